/*
 * mt.c: RFC 9162 section 2.1 Merkle trees: hashing, roots, inclusion and
 * consistency proofs, their verification, and the bookkeeping of appends.
 *
 * Design
 *
 * The tree over leaves D[0:n] is never materialised.  What exists, in the
 * store or in fetched tiles, is the hash of every *complete* subtree: the
 * subtree (level L, index N) covers leaves [N << L, (N+1) << L) and its hash
 * never changes once its last leaf has been appended.  This is the layout of
 * golang.org/x/mod/sumdb/tlog and of C2SP tlog-tiles (tile level T holds the
 * hashes of tree level 8T), so the daemon can serve tiles straight from its
 * store and a client can answer the same questions from fetched tiles.
 *
 * Every other hash is a range hash MTH(D[lo:hi]) whose range ends on the
 * right edge of some tree.  RFC 9162 splits D[lo:hi] at k, the largest power
 * of two below hi - lo; when lo is a multiple of k the left half is a stored
 * subtree and the right half is again such a range, so a range hash is a fold,
 * right to left, of at most 63 stored subtrees (mt_range_hash).  A root is the
 * range hash of [0, size).
 *
 * Proofs follow the RFC's recursive definitions (PATH and SUBPROOF), unrolled
 * into loops that walk from the root down.  Every sibling met on the way is a
 * complete subtree (one read) except the first right sibling met while the
 * walk still touches the right edge of the tree: that one is a range hash.  So
 * a proof costs at most 63 + 63 reads, and memory is a fixed 64-entry array:
 * nothing here allocates.
 *
 * Verification is the RFC 9162 2.1.3.2 and 2.1.4.2 algorithms, step by step,
 * preceded by an exact check of the proof length against the tree shape (the
 * RFC algorithms reject wrong lengths too; checking first turns "proof too
 * long by one" into a clear refusal before any hashing).  Two deliberate
 * departures from some libraries, both from RELIABILITY.md: a consistency
 * proof from size 0 never verifies (nothing is provable from the empty tree,
 * and an empty proof "from 0" was a real bypass), and sizes above
 * PT_MAX_TREE_SIZE are refused as out of range, which keeps every shift and
 * sum below 2^63.
 *
 * Appends: leaf i completes subtree (0, i), and (L+1, i >> (L+1)) for each L
 * while bit L of i is set.  mt_append computes exactly those, reading the left
 * siblings, so a store that saves them keeps the invariant above at O(1)
 * amortised hashes per leaf.  mt_frontier is the same idea in memory: the
 * roots of the complete subtrees of [0, size), largest first.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "crypto.h"
#include "ptlimits.h"
#include "mt.h"
#include "pt.h"

/* Hashes in the fixed scratch arrays: enough for any tree <= 2^62. */
#define MT_SCRATCH 64

static unsigned
bitlen64(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

static unsigned
popcount64(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

static unsigned
ctz64(uint64_t x)
{
	assert(x != 0);
	return (unsigned)__builtin_ctzll(x);
}

/* Largest power of two strictly below n, n >= 2. */
static uint64_t
split_point(uint64_t n)
{
	assert(n >= 2);
	return 1ULL << (bitlen64(n - 1) - 1);
}

static bool
is_pow2(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/*
 * Leaf hash SHA-256(0x00 || data).  0, PT_ECRYPTO or PT_ENOMEM.  O(len).
 * data may be NULL when len is 0.
 */
int
mt_leaf_hash(const void *data, size_t len, struct mt_hash *out)
{
	static const uint8_t pfx = 0x00;

	return cr_sha256(&pfx, 1, data, len, NULL, 0, out->b);
}

/*
 * Node hash SHA-256(0x01 || left || right).  0, PT_ECRYPTO or PT_ENOMEM.
 * The 65 bytes go to the digest in one update: 127 against 139 ns per
 * node hash here with three (OpenSSL 3.0's EVP cost per update).
 */
int
mt_node_hash(const struct mt_hash *left, const struct mt_hash *right,
    struct mt_hash *out)
{
	uint8_t in[1 + 2 * MT_HASH_SIZE];

	in[0] = 0x01;
	memcpy(in + 1, left->b, MT_HASH_SIZE);
	memcpy(in + 1 + MT_HASH_SIZE, right->b, MT_HASH_SIZE);
	return cr_sha256(in, sizeof(in), NULL, 0, NULL, 0, out->b);
}

/* MTH({}) = SHA-256 of the empty string; a constant, so this cannot fail. */
void
mt_empty_root(struct mt_hash *out)
{
	static const uint8_t empty[MT_HASH_SIZE] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};

	memcpy(out->b, empty, sizeof(empty));
}

/*
 * MTH(D[lo:hi]) from stored subtrees.  Computable exactly when, at every
 * split of the RFC recursion, the left half is aligned: lo must be a multiple
 * of the largest power of two below hi - lo (or of hi - lo itself when that is
 * a power of two).  Every range that occurs in an RFC 9162 tree has this
 * shape; any other range is PT_EINVAL.  Reads at most 63 subtrees, all
 * inside [lo, hi), and performs one fewer node hashes.
 */
int
mt_range_hash(const struct mt_reader *r, uint64_t lo, uint64_t hi,
    struct mt_hash *out)
{
	struct mt_hash part[MT_SCRATCH];
	unsigned n = 0, level;
	uint64_t len, k;
	int rc;

	if (hi > PT_MAX_TREE_SIZE)
		return PT_ERANGE;
	if (lo >= hi)
		return PT_EINVAL;
	for (;;) {
		len = hi - lo;
		if (is_pow2(len) && lo % len == 0) {
			/* The rest is one complete subtree. */
			level = ctz64(len);
			if ((rc = r->read(r->ctx, level, lo >> level,
			    &part[n])) != 0)
				return rc;
			n++;
			break;
		}
		k = split_point(len);
		if (lo % k != 0)
			return PT_EINVAL;
		level = ctz64(k);
		if ((rc = r->read(r->ctx, level, lo >> level, &part[n])) != 0)
			return rc;
		n++;
		lo += k;
		assert(n < MT_SCRATCH);
	}
	/* Fold right to left: MTH = H(left, MTH(rest)). */
	*out = part[n - 1];
	while (n-- > 1)
		if ((rc = mt_node_hash(&part[n - 1], out, out)) != 0)
			return rc;
	return 0;
}

/*
 * Root of the first size leaves: the range hash of [0, size), or the empty
 * root for size 0.  PT_ERANGE when size > PT_MAX_TREE_SIZE; reader errors
 * pass through.  At most 62 reads.
 */
int
mt_root(const struct mt_reader *r, uint64_t size, struct mt_hash *out)
{
	if (size > PT_MAX_TREE_SIZE)
		return PT_ERANGE;
	if (size == 0) {
		mt_empty_root(out);
		return 0;
	}
	return mt_range_hash(r, 0, size, out);
}

/* Copy n hashes from tmp (collected root first) to proof, leaf end first. */
static int
emit_reversed(const struct mt_hash *tmp, size_t n, struct mt_hash *proof,
    size_t max, size_t *len)
{
	size_t i;

	if (n > max)
		return PT_ETOOBIG;
	for (i = 0; i < n; i++)
		proof[i] = tmp[n - 1 - i];
	*len = n;
	return 0;
}

/*
 * RFC 9162 2.1.3.1 PATH(index, D[0:size]), unrolled: walk from the root to
 * the leaf; at each split the sibling's hash goes into the proof, which the
 * RFC orders leaf end first.  PT_ERANGE when index >= size or size >
 * PT_MAX_TREE_SIZE; PT_ETOOBIG when max is below the proof length (at most
 * 62); reader errors pass through.  At most 2 * 62 reads.  On error *len and
 * proof are unspecified.
 */
int
mt_inclusion_proof(const struct mt_reader *r, uint64_t index,
    uint64_t size, struct mt_hash *proof, size_t max, size_t *len)
{
	struct mt_hash tmp[MT_SCRATCH];
	uint64_t lo = 0, hi = size, k;
	size_t n = 0;
	int rc;

	if (size > PT_MAX_TREE_SIZE || index >= size)
		return PT_ERANGE;
	while (hi - lo > 1) {
		k = split_point(hi - lo);
		assert(n < MT_SCRATCH);
		if (index < lo + k) {
			rc = mt_range_hash(r, lo + k, hi, &tmp[n]);
			hi = lo + k;
		} else {
			rc = mt_range_hash(r, lo, lo + k, &tmp[n]);
			lo += k;
		}
		if (rc != 0)
			return rc;
		n++;
	}
	return emit_reversed(tmp, n, proof, max, len);
}

/*
 * RFC 9162 2.1.4.1 PROOF(old, D[0:new_size]) = SUBPROOF(old, D, true),
 * unrolled.  PT_ERANGE when old == 0, old > new_size or new_size >
 * PT_MAX_TREE_SIZE; old == new_size gives an empty proof.  PT_ETOOBIG when
 * max is below the proof length (at most 63); reader errors pass through.
 * At most 2 * 63 reads.
 */
int
mt_consistency_proof(const struct mt_reader *r, uint64_t old,
    uint64_t new_size, struct mt_hash *proof, size_t max, size_t *len)
{
	struct mt_hash tmp[MT_SCRATCH];
	uint64_t lo = 0, hi = new_size, k;
	size_t n = 0;
	bool whole = true;	/* the RFC's b: old tree is [0, hi) itself */
	int rc;

	if (new_size > PT_MAX_TREE_SIZE || old == 0 || old > new_size)
		return PT_ERANGE;
	for (;;) {
		assert(n < MT_SCRATCH);
		if (old == hi) {
			if (!whole) {
				if ((rc = mt_range_hash(r, lo, hi,
				    &tmp[n])) != 0)
					return rc;
				n++;
			}
			break;
		}
		k = split_point(hi - lo);
		if (old <= lo + k) {
			rc = mt_range_hash(r, lo + k, hi, &tmp[n]);
			hi = lo + k;
		} else {
			rc = mt_range_hash(r, lo, lo + k, &tmp[n]);
			lo += k;
			whole = false;
		}
		if (rc != 0)
			return rc;
		n++;
	}
	return emit_reversed(tmp, n, proof, max, len);
}

/*
 * Exact length of the inclusion proof for index in size (index < size):
 * the levels where the paths to index and to size-1 differ ("inner"), plus
 * one per set bit of index above them (left siblings on the right edge).
 */
static size_t
inclusion_len(uint64_t index, uint64_t size)
{
	unsigned inner = bitlen64(index ^ (size - 1));

	return inner + popcount64(inner >= 64 ? 0 : index >> inner);
}

/*
 * Verify an inclusion proof exactly as RFC 9162 2.1.3.2.  0 when valid;
 * PT_ERANGE when index >= size or size > PT_MAX_TREE_SIZE; PT_EPROOF for any
 * other failure, including a proof of the wrong length and more than
 * PT_MAX_PROOF hashes; PT_ECRYPTO/PT_ENOMEM if hashing fails.  O(len) hashes.
 */
int
mt_verify_inclusion(const struct mt_hash *leaf, uint64_t index,
    uint64_t size, const struct mt_hash *proof, size_t len,
    const struct mt_hash *root)
{
	struct mt_hash r;
	uint64_t fn, sn;
	size_t i;
	int rc;

	assert(leaf != NULL && root != NULL && (len == 0 || proof != NULL));
	/* Step 1. */
	if (size > PT_MAX_TREE_SIZE || index >= size)
		return PT_ERANGE;
	if (len > PT_MAX_PROOF || len != inclusion_len(index, size))
		return PT_EPROOF;
	/* Steps 2 and 3. */
	fn = index;
	sn = size - 1;
	r = *leaf;
	/* Step 4. */
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return PT_EPROOF;
		if ((fn & 1) != 0 || fn == sn) {
			if ((rc = mt_node_hash(&proof[i], &r, &r)) != 0)
				return rc;
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			if ((rc = mt_node_hash(&r, &proof[i], &r)) != 0)
				return rc;
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	if (sn != 0 || cr_memcmp(r.b, root->b, MT_HASH_SIZE) != 0)
		return PT_EPROOF;
	return 0;
}

/*
 * Exact length of the consistency proof from old to new_size, 0 < old <
 * new_size: the inclusion proof of the old tree's last complete subtree in
 * the new tree, plus that subtree's own hash unless old is a power of two
 * (then the verifier already has it: it is old_root).
 */
static size_t
consistency_len(uint64_t old, uint64_t new_size)
{
	unsigned level = ctz64(old);
	uint64_t idx = (old - 1) >> level;
	uint64_t sz = ((new_size - 1) >> level) + 1;

	return inclusion_len(idx, sz) + (idx == 0 ? 0 : 1);
}

/*
 * Verify a consistency proof exactly as RFC 9162 2.1.4.2.  0 when valid.
 * PT_ERANGE when old > new_size or new_size > PT_MAX_TREE_SIZE.
 * PT_EPROOF when old == 0 (always: nothing is provable from the empty tree),
 * when old == new_size and the proof is not empty or the roots differ, and
 * for every other failure including a wrong proof length.  PT_ECRYPTO or
 * PT_ENOMEM if hashing fails.  O(len) hashes.
 */
int
mt_verify_consistency(uint64_t old, uint64_t new_size,
    const struct mt_hash *old_root, const struct mt_hash *new_root,
    const struct mt_hash *proof, size_t len)
{
	const struct mt_hash *c;
	struct mt_hash fr, sr;
	uint64_t fn, sn;
	size_t i, plen;
	bool pow2;
	int rc;

	assert(old_root != NULL && new_root != NULL &&
	    (len == 0 || proof != NULL));
	if (new_size > PT_MAX_TREE_SIZE || old > new_size)
		return PT_ERANGE;
	if (old == 0)
		return PT_EPROOF;
	if (old == new_size) {
		if (len != 0 ||
		    cr_memcmp(old_root->b, new_root->b, MT_HASH_SIZE) != 0)
			return PT_EPROOF;
		return 0;
	}
	/* Step 1: an empty path fails (checked before step 2's prepend). */
	if (len == 0 || len > PT_MAX_PROOF ||
	    len != consistency_len(old, new_size))
		return PT_EPROOF;
	/* Step 2: the path is [old_root] + proof when old is a power of 2. */
	pow2 = is_pow2(old);
	plen = len + (pow2 ? 1 : 0);
#define PATH(j) (pow2 ? ((j) == 0 ? old_root : &proof[(j) - 1]) : &proof[(j)])
	/* Step 3. */
	fn = old - 1;
	sn = new_size - 1;
	/* Step 4. */
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	fr = *PATH(0);
	sr = fr;
	/* Step 6. */
	for (i = 1; i < plen; i++) {
		c = PATH(i);
		if (sn == 0)
			return PT_EPROOF;
		if ((fn & 1) != 0 || fn == sn) {
			if ((rc = mt_node_hash(c, &fr, &fr)) != 0 ||
			    (rc = mt_node_hash(c, &sr, &sr)) != 0)
				return rc;
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			if ((rc = mt_node_hash(&sr, c, &sr)) != 0)
				return rc;
		}
		fn >>= 1;
		sn >>= 1;
	}
#undef PATH
	/* Step 7. */
	if (sn != 0 ||
	    cr_memcmp(fr.b, old_root->b, MT_HASH_SIZE) != 0 ||
	    cr_memcmp(sr.b, new_root->b, MT_HASH_SIZE) != 0)
		return PT_EPROOF;
	return 0;
}

/*
 * The subtrees completed by appending leaf `index` (hash *leaf) to a tree of
 * size index: out[0] = (0, index, leaf), then (L+1, index >> (L+1)) for each
 * L while bit L of index is set, reading each left sibling (L, (index >> L)
 * - 1) through r.  Writes *count (1..63) entries.  PT_ERANGE when index >=
 * PT_MAX_TREE_SIZE; reader and hashing errors pass through, and then out is
 * unspecified.  O(log index) reads and hashes.
 */
int
mt_append(const struct mt_reader *r, uint64_t index,
    const struct mt_hash *leaf, struct mt_stored out[64], size_t *count)
{
	struct mt_hash left;
	uint64_t n = index;
	unsigned level = 0;
	size_t c = 0;
	int rc;

	if (index >= PT_MAX_TREE_SIZE)
		return PT_ERANGE;
	out[c].level = 0;
	out[c].n = index;
	out[c].hash = *leaf;
	c++;
	while ((n & 1) != 0) {
		if ((rc = r->read(r->ctx, level, n - 1, &left)) != 0)
			return rc;
		assert(c < 64);
		if ((rc = mt_node_hash(&left, &out[c - 1].hash,
		    &out[c].hash)) != 0)
			return rc;
		level++;
		n >>= 1;
		out[c].level = level;
		out[c].n = n;
		c++;
	}
	*count = c;
	return 0;
}

/* Empty frontier (size 0). */
void
mt_frontier_init(struct mt_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

/*
 * Append a leaf hash: merge it with the trailing subtrees it completes.
 * PT_ERANGE when the tree already holds PT_MAX_TREE_SIZE leaves; a hashing
 * error leaves f unchanged.  O(log size) hashes, amortised O(1).
 */
int
mt_frontier_push(struct mt_frontier *f, const struct mt_hash *leaf)
{
	return mt_frontier_push_subtree(f, 0, leaf);
}

/*
 * Push the hash of a complete subtree of 2^level leaves: the same carries as
 * mt_frontier_push on a tree of size >> level leaves.  PT_ERANGE unless the
 * size is a multiple of 2^level and stays within PT_MAX_TREE_SIZE; PT_EINVAL
 * for level > 62.  O(log size) node hashes.
 */
int
mt_frontier_push_subtree(struct mt_frontier *f, unsigned level,
    const struct mt_hash *h)
{
	struct mt_hash carry = *h;
	uint64_t s, add;
	unsigned c = f->count;
	int rc;

	if (level > 62)
		return PT_EINVAL;
	s = f->size >> level;
	add = (uint64_t)1 << level;
	if ((f->size & (add - 1)) != 0 || f->size > PT_MAX_TREE_SIZE - add)
		return PT_ERANGE;
	while ((s & 1) != 0) {
		assert(c > 0);
		if ((rc = mt_node_hash(&f->h[c - 1], &carry, &carry)) != 0)
			return rc;
		c--;
		s >>= 1;
	}
	f->h[c++] = carry;
	f->count = c;
	f->size += add;
	assert(f->count == popcount64(f->size));
	return 0;
}

/*
 * Root of the frontier's tree: the fold, right to left, of its subtrees; the
 * empty root for size 0.  O(log size) hashes; 0, PT_ECRYPTO or PT_ENOMEM.
 */
int
mt_frontier_root(const struct mt_frontier *f, struct mt_hash *out)
{
	struct mt_hash r;
	unsigned i;
	int rc;

	if (f->count == 0) {
		mt_empty_root(out);
		return 0;
	}
	r = f->h[f->count - 1];
	for (i = f->count - 1; i-- > 0;)
		if ((rc = mt_node_hash(&f->h[i], &r, &r)) != 0)
			return rc;
	*out = r;
	return 0;
}
