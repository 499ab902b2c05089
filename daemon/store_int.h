/*
 * store_int.h: the store's private header, shared by its files and
 * included by nothing else: the on-disk layout (constants, key encodings),
 * the store's structures, and the functions its files call in each other.
 * The layout is explained at the top of store.c; its history and figures
 * are in docs/STORAGE.md.
 *
 *   store.c         open and close, batches, read transactions
 *   store_groups.c  hash groups: read, write, the batch's right edge, the
 *                   upper levels in memory, hash tiles
 *   store_index.c   the leaves index (epochs) and the ids/offices index
 *   store_check.c   the full check (--check-full, tests)
 *   store_copy.c    the hot backup's compacting copy (pubtraild backup)
 *   datadir.c       the lock file and the checkpoint copy (no LMDB)
 */
#ifndef PT_STORE_INT_H
#define PT_STORE_INT_H

#include <lmdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "store.h"

#define STORE_FORMAT		3	/* meta "version" */
#define STORE_LEVELS		64

/* Hash groups (store_groups.c). */
#define LOW_LEVELS		4	/* levels 1..3 are not stored */
#define STORED(l)		((l) == 0 || (l) >= LOW_LEVELS)
#define NEXT_STORED(l)		((l) == 0 ? LOW_LEVELS : (l) + 1)
#define UPPER_LEVEL		12	/* levels >= 12 also kept in memory */
#define BAND_LEVELS		4	/* levels per band: 0..3, 4..7 */
#define CACHED_BANDS		2	/* bands read by group (read txns) */
#define GROUP_SHIFT		4
#define GROUP_SLOTS		(1u << GROUP_SHIFT)
#define GROUP_BYTES		(GROUP_SLOTS * MT_HASH_SIZE)

/* The leaves index (store_index.c). */
#define LEAF_EPOCH_SHIFT	16	/* leaves: 65536 entries per epoch */
#define LEAF_EPOCH		(1ULL << LEAF_EPOCH_SHIFT)
#define LEAF_EPOCH_BYTES	6	/* index >> 16, big-endian */
#define LEAF_PREFIX		4	/* leaf hash bytes in the key */
#define LEAF_LOW_BYTES		2	/* index & 0xffff */
#define LEAF_KEY		(LEAF_EPOCH_BYTES + LEAF_PREFIX + \
				 LEAF_LOW_BYTES)
#define LEAF_SUB_SHIFT		12	/* leaves/new: 4096 entries per part */
#define LEAF_PARTS		(1u << (LEAF_EPOCH_SHIFT - LEAF_SUB_SHIFT))
#define LEAF_NEW_KEY		(1 + LEAF_PREFIX + LEAF_LOW_BYTES)

/* The ids and offices index (store_index.c). */
#define OFFICE_BYTES		4	/* office number, big-endian */
#define OFFICE_MAX		UINT32_MAX
#define IDS_KEY_MAX		(OFFICE_BYTES + 1 + PT_MAX_ID)

#define CKPT_HDR		8	/* time_ms before the note */

_Static_assert(PT_MAX_ID <= 255, "ids keys carry the id length in a byte");
_Static_assert(IDS_KEY_MAX <= 511, "LMDB's default maximum key size");
_Static_assert(LEAF_EPOCH_SHIFT == 8 * LEAF_LOW_BYTES, "leaf key layout");
_Static_assert(LEAF_EPOCH_SHIFT - LEAF_SUB_SHIFT <= 8, "one byte of part");
_Static_assert(LOW_LEVELS - 1 <= GROUP_SHIFT,
    "a computed hash reads one group");
_Static_assert(BAND_LEVELS == LOW_LEVELS, "band 0 is levels 0..3");
_Static_assert(CACHED_BANDS * BAND_LEVELS <= UPPER_LEVEL,
    "the cached bands lie below the levels kept in memory");
_Static_assert(PT_BATCH_MAX <= (1u << UPPER_LEVEL),
    "a batch completes at most one hash per upper level");

/*
 * The hashes of one level >= UPPER_LEVEL, in memory (store_groups.c).  The
 * sequencer appends, any thread reads: h[0 .. count) are set before count
 * is published (release); a grown array replaces h only after the old
 * slots are copied, and old arrays are kept until store_close, so a reader
 * holding one never reads freed memory.
 */
struct upper {
	_Atomic(struct mt_hash *) h;
	_Atomic uint64_t count;
	uint64_t	 cap;
};

struct retired {
	struct retired	*next;
	void		*p;
};

struct store {
	MDB_env		*env;
	MDB_dbi		 entries;
	MDB_dbi		 leaves;
	MDB_dbi		 leaves_new;
	MDB_dbi		 ids;
	MDB_dbi		 offices;
	MDB_dbi		 ckpts;
	MDB_dbi		 meta;
	MDB_dbi		 corr;			/* corrections (store_corr.c) */
	int		 corr_ok;		/* corr is open */
	_Atomic uint64_t corr_built;		/* the index covers entries
						 * below this */
	MDB_dbi		 okeys;			/* office_keys */
	int		 have_okeys;		/* 0: a read-only store
						 * made before office_keys */
	MDB_dbi		 level[STORE_LEVELS];	/* stored levels only */
	char		*dir;
	int		 lockfd;		/* datadir_lock */
	int		 readonly;
	_Atomic uint64_t size;		/* committed tree size */
	atomic_int	 nread;		/* open read txns */
	struct store_batch *batch;	/* the one open batch, or NULL */
	struct upper	 up[STORE_LEVELS];	/* levels >= UPPER_LEVEL */
	struct retired	*retired;		/* old up[].h arrays */
};

/* The rightmost group of one level while a batch fills it. */
struct open_group {
	uint64_t	 g;		/* key: n >> GROUP_SHIFT */
	int		 stored;	/* the key exists in the txn */
	int		 dirty;		/* buf differs from what is stored */
	uint8_t		 buf[GROUP_BYTES];
};

struct store_batch {
	struct store	*s;
	MDB_txn		*txn;
	uint64_t	 base;		/* size at begin */
	uint64_t	 size;		/* size after the appends so far */
	int		 err;		/* first failure; nonzero = poisoned */
	int		 has_ckpt;
	int		 dirty;		/* some open group is dirty */
	char		*note;		/* copy for DIR/checkpoint */
	size_t		 note_len;
	/* The office of the last append (submitter id -> number). */
	int		 have_office;
	uint32_t	 office;
	uint8_t		 office_sub[32];
	/* Right edge: last[L] is the hash (L, (size >> L) - 1) when
	 * size >> L > 0 (every level, stored or not); og[L] the group that
	 * holds (L, size >> L) for the stored levels. */
	struct mt_hash	 last[STORE_LEVELS];
	struct open_group og[STORE_LEVELS];
};

/*
 * The groups a read transaction read last, one per band (their pages do
 * not change while the transaction lives): the proof nodes at levels 0..3
 * all lie in the leaf's own level-0 group and those at levels 4..7 in one
 * level-4 group, so a proof looks each band up once (store_grp_read_db).
 */
struct gcache {
	int		 ok[CACHED_BANDS];
	uint64_t	 g[CACHED_BANDS];
	const uint8_t	*data[CACHED_BANDS];
};

struct store_txn {
	struct store	*s;
	MDB_txn		*txn;
	uint64_t	 size;
	struct gcache	 gc;		/* see store_grp_read_db */
};

/* ---- tiny helpers, inlined where the hot paths need them ---- */

static inline void
put_be64(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t
get_be64(const uint8_t b[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

static inline void
put_be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static inline uint32_t
get_be32(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* Record the first failure of a batch; returns err. */
static inline int
poison(struct store_batch *b, int err)
{
	if (b->err == 0)
		b->err = err;
	return err;
}

/* ---- key encodings ---- */

/* leaves key of (leaf hash, index): epoch || prefix || low bits. */
static inline void
leaf_key(uint8_t kb[LEAF_KEY], const uint8_t *hash, uint64_t index)
{
	uint8_t t[8];

	put_be64(t, index >> LEAF_EPOCH_SHIFT);
	memcpy(kb, t + 8 - LEAF_EPOCH_BYTES, LEAF_EPOCH_BYTES);
	memcpy(kb + LEAF_EPOCH_BYTES, hash, LEAF_PREFIX);
	kb[LEAF_EPOCH_BYTES + LEAF_PREFIX] = (uint8_t)(index >> 8);
	kb[LEAF_EPOCH_BYTES + LEAF_PREFIX + 1] = (uint8_t)index;
}

/* leaves/new key of (leaf hash, index): part || prefix || low bits. */
static inline void
leaf_new_key(uint8_t kb[LEAF_NEW_KEY], const uint8_t *hash, uint64_t index)
{
	kb[0] = (uint8_t)((index & (LEAF_EPOCH - 1)) >> LEAF_SUB_SHIFT);
	memcpy(kb + 1, hash, LEAF_PREFIX);
	kb[1 + LEAF_PREFIX] = (uint8_t)(index >> 8);
	kb[1 + LEAF_PREFIX + 1] = (uint8_t)index;
}

/* ids key: office (4) || id length (1) || id bytes.  Returns its size. */
static inline size_t
ids_key(uint8_t kb[IDS_KEY_MAX], uint32_t office, const char *id,
    size_t id_len)
{
	put_be32(kb, office);
	kb[OFFICE_BYTES] = (uint8_t)id_len;
	memcpy(kb + OFFICE_BYTES + 1, id, id_len);
	return OFFICE_BYTES + 1 + id_len;
}

/* ---- store.c ---- */

/* LMDB and errno codes to PT_E*.  Nothing MDB_* leaves the store. */
int store_map_err(int rc);
/* meta record name (8-byte big-endian value): 0, PT_ENOTFOUND,
 * PT_ECORRUPT (wrong size), PT_EIO. */
int store_meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name,
    uint64_t *v);
int store_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name,
    uint64_t v);
/* The record counts a tree of size holds (entries, ids, leaves and
 * leaves/new): PT_ECORRUPT with the reason in why, *entries_bad (may be
 * NULL) set when it is the entries.  O(1). */
int store_count_check(const struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why, int *entries_bad);

/* ---- store_groups.c ---- */

/* Hash (level, n) as of tree size bound, from LMDB (gc: read txns only,
 * may be NULL).  PT_ENOTFOUND (not complete), PT_ECORRUPT (missing). */
int store_grp_read_db(const struct store *s, MDB_txn *txn, struct gcache *gc,
    uint64_t bound, unsigned level, uint64_t n, struct mt_hash *out);
/* Load the batch's right edge at begin: O(levels) lookups. */
int store_grp_edge_load(struct store_batch *b);
/* Set the hashes leaf i completes, (0, i) first, from the right edge;
 * completed groups are put at once.  Does not poison. */
int store_grp_append(struct store_batch *b, uint64_t i,
    const struct mt_hash *leaf);
/* Put the batch's dirty partial groups (poisons on failure). */
int store_grp_flush(struct store_batch *b);
/* The upper levels: load at open (O(size / 4096)), append after a commit
 * (drops them on failure: reads go to LMDB), free at close. */
int store_upper_load(struct store *s, MDB_txn *txn, uint64_t size);
void store_upper_commit(struct store_batch *b);
void store_upper_free(struct store *s);

/* ---- store_index.c ---- */

/* Office number of a submitter id: 0, PT_ENOTFOUND, PT_ECORRUPT, PT_EIO. */
int store_idx_office(const struct store *s, MDB_txn *txn,
    const uint8_t sub[32], uint32_t *office);
/* Index of (submitter, id) in a tree of size bound. */
int store_idx_find_id(const struct store *s, MDB_txn *txn, uint64_t bound,
    const uint8_t submitter_id[32], const char *id, size_t id_len,
    uint64_t *index);
/* Batch appends of entry i: its ids key (first: a duplicate is
 * PT_ECONFLICT before anything else is written), then its leaves key
 * (moving the epoch it completes).  Neither poisons. */
int store_idx_put_id(struct store_batch *b, uint64_t i,
    const uint8_t submitter_id[32], const char *id, size_t id_len);
int store_idx_put_leaf(struct store_batch *b, uint64_t i,
    const struct mt_hash *leaf);
/* Whether the leaves index holds (h, i), in leaves or leaves/new. */
int store_idx_has_leaf(const struct store *s, MDB_txn *txn,
    const struct mt_hash *h, uint64_t i, int *has);
/* office_keys: open (created on a writable store, absent is empty on a
 * read-only one); its last index must be below size. */
int store_idx_okeys_open(struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why);

/* ---- store_corr.c ---- */

/* Open the corrections database (created on a writable store; a
 * read-only store made before it has none) and load meta "corrections"
 * (fresh: put 0). */
int store_corr_open(struct store *s, MDB_txn *txn, int fresh,
    struct pt_why *why);
/* Inside store_batch_commit: advance meta "corrections" with the batch
 * when the index was complete at its base; after the commit, publish. */
int store_corr_commit_mark(struct store_batch *b);
void store_corr_committed(struct store_batch *b);

#endif
