/*
 * mt.h: RFC 9162 section 2.1 Merkle trees (same as RFC 6962).
 *
 *   leaf hash  MTH({d}) = SHA-256(0x00 || d)
 *   node hash           = SHA-256(0x01 || left || right)
 *   empty tree MTH({})  = SHA-256("")
 *
 * Storage model (shared with golang.org/x/mod/sumdb/tlog and C2SP
 * tlog-tiles): only hashes of *complete* subtrees are stored.  The subtree
 * at (level L, index N) covers leaves [N << L, (N+1) << L).  Every other hash
 * (roots of non-power-of-two sizes, proof elements over the right edge) is
 * computed from O(log n) stored hashes fetched through a caller-supplied
 * reader, so the same code works on LMDB (daemon), on fetched tiles (client)
 * and on arrays (tests).
 */
#ifndef PT_MT_H
#define PT_MT_H

#include <stddef.h>
#include <stdint.h>

#define MT_HASH_SIZE 32

struct mt_hash {
	uint8_t b[MT_HASH_SIZE];
};

/*
 * Reader of stored complete-subtree hashes: write the hash of subtree
 * (level, n) to *out.  Returns 0, or a negative PT_E* code which the mt_
 * functions pass through unchanged.  The reader is only asked for subtrees
 * that lie entirely inside the tree size the caller names.
 */
typedef int (*mt_read_fn)(void *ctx, unsigned level, uint64_t n,
    struct mt_hash *out);

struct mt_reader {
	mt_read_fn read;
	void *ctx;
};

/* Leaf hash of data. 0 or PT_ECRYPTO.  O(len). */
int mt_leaf_hash(const void *data, size_t len, struct mt_hash *out);
/* Interior node hash. 0 or PT_ECRYPTO. */
int mt_node_hash(const struct mt_hash *left, const struct mt_hash *right,
    struct mt_hash *out);
/* Hash of the empty tree. */
void mt_empty_root(struct mt_hash *out);

/* Hash MTH(D[lo:hi]) of leaves [lo, hi), 0 <= lo < hi, from O(log(hi-lo))
 * reads.  The range must be one an RFC 9162 tree contains: lo a multiple of
 * the largest power of two below hi - lo (any [0, hi) qualifies); otherwise
 * PT_EINVAL.  PT_ERANGE when hi > PT_MAX_TREE_SIZE. */
int mt_range_hash(const struct mt_reader *r, uint64_t lo, uint64_t hi,
    struct mt_hash *out);
/* Root of the tree of the first size leaves (size 0: the empty root).
 * PT_ERANGE when size > PT_MAX_TREE_SIZE (every mt_ function refuses such
 * sizes, verifiers included). */
int mt_root(const struct mt_reader *r, uint64_t size, struct mt_hash *out);

/*
 * Inclusion proof (RFC 9162 2.1.3.1) for leaf index in tree size.  Writes up
 * to max hashes to proof and their number to *len.  PT_ERANGE when
 * index >= size; PT_ETOOBIG when max is too small.  O(log size) reads.
 */
int mt_inclusion_proof(const struct mt_reader *r, uint64_t index,
    uint64_t size, struct mt_hash *proof, size_t max, size_t *len);

/*
 * Consistency proof (RFC 9162 2.1.4.1) from old to new_size.  PT_ERANGE when
 * old == 0 or old > new_size.  old == new_size gives an empty proof.
 */
int mt_consistency_proof(const struct mt_reader *r, uint64_t old,
    uint64_t new_size, struct mt_hash *proof, size_t max, size_t *len);

/*
 * Verify an inclusion proof exactly as RFC 9162 2.1.3.2.  0 when valid;
 * PT_ERANGE when index >= size; PT_EPROOF otherwise (including a proof one
 * hash too long or too short).
 */
int mt_verify_inclusion(const struct mt_hash *leaf, uint64_t index,
    uint64_t size, const struct mt_hash *proof, size_t len,
    const struct mt_hash *root);

/*
 * Verify a consistency proof exactly as RFC 9162 2.1.4.2.  0 when valid.
 * old == new_size: valid only with an empty proof and equal roots.
 * old == 0: always PT_EPROOF (nothing is provable from the empty tree).
 * old > new_size: PT_ERANGE.
 */
int mt_verify_consistency(uint64_t old, uint64_t new_size,
    const struct mt_hash *old_root, const struct mt_hash *new_root,
    const struct mt_hash *proof, size_t len);

/*
 * The complete subtrees that become complete when leaf `index` (with hash
 * leaf) is appended to a tree of size index: (0, index) itself, then
 * (1, index/2) when index is odd, and so on up.  Reads the left siblings
 * through r (which must see hashes stored earlier, including earlier in the
 * same batch).  Writes up to 64 (level, n, hash) triples.  O(log n).
 */
struct mt_stored {
	unsigned level;
	uint64_t n;
	struct mt_hash hash;
};
int mt_append(const struct mt_reader *r, uint64_t index,
    const struct mt_hash *leaf, struct mt_stored out[64], size_t *count);

/*
 * In-memory right edge of a tree ("compact range" of [0, size)): the roots
 * of its complete subtrees, largest first.  Lets the client recompute a root
 * while streaming leaves, with O(log n) memory.
 */
struct mt_frontier {
	uint64_t size;
	unsigned count;
	struct mt_hash h[64];	/* h[i]: subtree for the i-th set bit of size, high to low */
};
void mt_frontier_init(struct mt_frontier *f);
int mt_frontier_push(struct mt_frontier *f, const struct mt_hash *leaf);
/* Push the hash of a complete subtree of 2^level leaves (the size must be a
 * multiple of 2^level, else PT_ERANGE): as 2^level single pushes would. */
int mt_frontier_push_subtree(struct mt_frontier *f, unsigned level,
    const struct mt_hash *h);
int mt_frontier_root(const struct mt_frontier *f, struct mt_hash *out);

#endif
