/*
 * store.c: the log's LMDB storage.
 *
 * Design
 *
 * One LMDB environment in DIR holds the whole log; a write transaction holds
 * one whole batch, so entries, hashes, indexes and the batch's signed
 * checkpoint become durable together (one fsync of the data pages, one
 * O_DSYNC meta-page write) or not at all.  LMDB is opened with its default,
 * durable flags plus MDB_NOTLS (read transactions are objects, not
 * thread-local state: the HTTP thread and the sequencer both read).  Never
 * any flag that trades durability or locking away (no-sync, no-meta-sync,
 * write-map, map-async, no-lock).
 *
 * LMDB lets two writer processes take turns, and a second pubtraild taking
 * turns with the first would sign a second view of the log.  So DIR has its
 * own lock, DIR/pubtraild.lock: flock(LOCK_EX|LOCK_NB) at open, held until
 * store_close (the kernel drops it when the process dies, so a crash never
 * leaves a stale lock).  The holder writes its PID into the file so that the
 * refusal can name it.  flock locks belong to the open file description, so
 * a second store_open in the same process is refused too, before LMDB ever
 * sees the directory twice.
 *
 * Keys are big-endian so that LMDB's memcmp order is numeric order.
 *
 *   database   key                               value
 *   entries    index (8)                         entry bytes
 *   hash/LL    n >> 4 (8)                        16 hashes (512): slots
 *   (LL = 00, 04 .. 63)                          (L, 16g) .. (L, 16g+15)
 *   leaves     index >> 16 (6) || leaf hash[0..4) empty
 *              || index & 0xffff (2)
 *   leaves/new (index & 0xffff) >> 12 (1)        empty
 *              || leaf hash[0..4) || index & 0xffff (2)
 *   ids        office (4) || id length (1) || id index (8)
 *   offices    submitter id (32)                 office (4)
 *   checkpoints size (8)                         time_ms (8) || note bytes
 *   meta       "version" / "size" / "time" /     uint64 (8)
 *              "offices" (the next office number)
 *
 * This is format 3 (meta "version").  A store of any other format is
 * refused at open with a message naming both versions; there is no
 * conversion (formats 1 and 2 were never deployed).
 *
 * Why this shape.  LMDB splits a full page in the middle unless the insert
 * uses MDB_APPEND, in which case the left page stays full.  Indexes only
 * grow, so everything keyed by position is written with MDB_APPEND and its
 * pages end 100% full: entries, and the hashes.
 *
 * Hashes.  Levels 1, 2 and 3 are not stored (format 2 stored all 64
 * levels, two hashes per entry): they alone are 7/8 of an entry's internal
 * nodes.  A hash of level L in 1..3 is hashed up when read from the 2^L
 * leaf hashes it covers, which lie in one level-0 group: the same one
 * lookup as a stored hash plus at most 7 node hashes (~1 us), and a read
 * transaction remembers the last level-0 group it read, so the four proof
 * nodes at levels 0..3 (all in the leaf's own group) cost one lookup and
 * 11 node hashes.  Read transactions treat levels 4..7 the same way: the
 * stored level-4 group of a leaf holds its proof nodes at levels 4..7, so
 * they too cost one lookup and 11 node hashes, instead of a descent into
 * each of four B-trees that miss the CPU caches in a big log (levels 5..7
 * are still stored, for the write batch's right edge and the full check).
 * Format 3 stores 1 + 1/16 + 1/32 + ... = 1.125 hashes per entry
 * instead of 2.  (Storing only the levels 0, 4, 8, ... would store
 * 1.07, but then every band of four levels costs a proof 11 node hashes:
 * measured, twice the CPU per proof of format 2.)  Every hash tile (levels
 * 8T) is still a range of stored hashes.  Hashes of one tree level are
 * written in increasing n, but the levels interleave (leaf 31 writes
 * (0,31), then (4,1), (5,0)), so one database per stored level (hash/00,
 * hash/04 .. hash/63, all created at first open) keeps each level appending
 * at its own end.  Within
 * a level, 16 consecutive hashes share one 512-byte value: the group is
 * created zero-filled with MDB_APPEND when its first hash is written and its
 * later slots are filled by rewriting a value of the same size, which LMDB
 * does in place, so no page ever splits in the middle.  A slot is defined
 * by the tree size, not by its bytes: hash (L, n) exists iff
 * (n + 1) << L <= size, and readers refuse anything beyond; the writer
 * checks that a slot it fills is still zero.  A hash tile (level 8T,
 * n .. n+255) is 16 consecutive keys of one database: one cursor range.
 * Measured (tests/unit/test_store.c prints it): about 37 bytes per stored
 * hash, against about 50 with one key per hash; 39 bytes per entry in all.
 *
 * The indexes decide what a commit costs.  An fsynced commit writes every
 * page the transaction dirtied (copy on write, plus the branch pages above
 * them), so the cost of a batch is the number of distinct pages its inserts
 * land on, not the number of inserts.  Format 1 keyed both indexes by
 * hashes (leaves by a leaf-hash prefix, ids by SHA-256(domain || submitter
 * || id)): uniformly random keys, so at 1M entries a batch of 1,024 dirtied
 * ~1,000 pages of each (~8 MB per fsync for ~0.5 MB of entries) and the
 * rate fell as the trees grew (docs/PERFORMANCE.md).  Format 2 gives both
 * indexes keys whose new values land on few pages:
 *
 * ids (dedup: (submitter, record id) -> index).  Deduplication must never
 * give a false positive (it would answer a new submission with somebody
 * else's index), and the store does not parse entries.  Each submitter id
 * (32 bytes) gets a small number, its office, at its first append: the
 * offices database maps submitter id -> office (4 bytes, big-endian), and
 * meta "offices" holds the next number (offices = records in offices, a
 * cheap invariant checked at open).  The ids key is office || length of
 * the record id (1 byte, ids are 1..PT_MAX_ID <= 255 bytes) || the id's
 * bytes: an injective encoding of (submitter, id), so the key is exact and
 * a false positive is impossible; there is no hash.  The length byte also
 * sorts shorter ids first, so decimal ids without leading zeros ("pay-9",
 * "pay-10") sort in numeric order.  Offices number their records mostly in
 * order, so a batch's new keys land at the end of each office's range: a
 * few pages per office per batch instead of one page per entry.  LMDB 0.9's
 * mdb_page_split picks the split point by size when the new key goes at
 * the end of the page (newindx >= nkeys) and keeps the left page full, so
 * the range of the newest office (the end of the tree) fills its pages
 * almost completely; an office whose range is followed by another office's
 * keys splits in the middle and leaves ~50% full pages behind.  Measured:
 * one office ~32 bytes per entry (for "pay-N" ids), two interleaved
 * offices ~48 (test_store), against 75 for format 1.  The batch keeps the
 * last office looked up, so a run of one office's submissions costs one
 * offices lookup.  The caller re-reads the entry anyway to tell "same
 * content" from "conflict".
 *
 * leaves (leaf hash -> lowest index, for proofs by hash).  Entries are
 * indexed in epochs of 65,536, each keyed by a 4-byte prefix of the leaf
 * hash and the low 16 bits of the index.  The current epoch lives in its
 * own database, leaves/new, in 16 parts of 4,096 entries (the key starts
 * with the part): the keys of a part are random, but a batch only inserts
 * into the current part, at most ~35 pages.  (Format 2 inserted into the
 * whole current epoch, up to ~500 pages per commit: at 1,024 entries per
 * batch that was more than half of what a commit wrote.)  The append that
 * completes an epoch moves it, in the same transaction, into leaves: the
 * 65,536 keys are read, sorted by prefix || low bits and appended under
 * the epoch number (6 bytes) with MDB_APPEND, so finished epochs sit in
 * full pages (22 bytes per entry, against 33 in ~68%-full pages), and
 * leaves/new is emptied with mdb_drop (leaves_merge: ~8 ms once per
 * 65,536 entries).  Older epochs are never written again.  The price is
 * on lookups: store_find_leaf does one cursor range per complete epoch,
 * oldest first (15 at 1M entries, 152 at 10M, one B-tree descent each
 * when cached), plus one per part of the current epoch (up to 16).  A
 * prefix match never answers alone: each candidate is confirmed against
 * the full 32-byte hash (0, index), so 4 bytes of prefix only cost an
 * extra hash read for one leaf in 2^32 per epoch.
 *
 * Cost, measured by test_store (100,000 entries of 300..599 bytes, batches
 * of 1000, two offices interleaved): 163.5 bytes per entry beyond the
 * entry bytes (format 2: 204, format 1: 237): entries 49 (node header, key,
 * the unfilled end of each page), hashes 42, leaves 24 (15 of them in the one
 * complete epoch, 10 in the 34,464 entries of leaves/new), ids 48 (two
 * interleaved offices; ~32 with one).  seqbench (1M entries, one office)
 * measures its figure in data.mdb with the free pages; the free pages of
 * the last two commits add a constant (see docs/PERFORMANCE.md).
 *
 * Appends copy the entry into its place in the map (MDB_RESERVE, so the
 * bytes are written once), recompute the leaf hash from the bytes as stored
 * and compare it with the caller's (a leaf hash flipped in memory must
 * never enter the tree).  The complete subtrees the leaf completes are
 * hashed from the batch's right edge: at batch begin the last stored hash
 * of every level (the left sibling of the next one) and the partial last
 * group of every stored level are read once (O(levels) lookups); a group
 * is put
 * once when it completes and the partial ones once at the end of the batch,
 * instead of a get and a 512-byte put per hash.  Before anything reads
 * hashes in the batch (store_batch_reader, store_batch_root) and before the
 * commit, the partial groups are written to the transaction;
 * store_batch_root() then recomputes the root by reading back what was
 * written; nothing is taken from memory.
 *
 * Ledger invariants, checked cheaply at every open (O(64) reads; the open
 * also loads the upper levels, size / 4096 hashes) and fully
 * by store_check_full: meta size == number of entries == number of ids
 * keys; leaves holds the keys of the complete epochs and leaves/new those
 * of the current one; meta offices == number of offices records <= size;
 * stored level L holds ceil((size >> L) / 16) groups; the latest
 * checkpoint is at exactly the meta size; a commit that appended entries
 * carries a checkpoint; checkpoint times never go backwards.
 * store_check_full also checks that every leaf has its leaves key, that
 * every offices record has a distinct number below meta offices, and that
 * ids maps well-formed keys of known offices onto 0 .. size-1, each index
 * exactly once (the entries cannot be parsed here, so that is as far as
 * the ids index can be checked).
 *
 * Errors.  A failed operation poisons the batch (PT_EPOISONED from every
 * later call) until store_batch_abort; LMDB does the same to its txn.
 * MDB_MAP_FULL, ENOSPC, EDQUOT and EFBIG are PT_EFULL: the transaction is
 * aborted and nothing was written (LMDB writes the meta page last, so pages
 * written by a failed commit are unreferenced).  LMDB 0.9.24 reports a disk
 * that fills during a commit as EIO ("short write, filesystem full?"; seen
 * on tmpfs, see test_store.c), so a commit's EIO while DIR's filesystem has
 * less than STORE_LOW_SPACE free is PT_EFULL too.  If LMDB marked the
 * environment fatal (a failed meta-page write; every later txn gets
 * MDB_PANIC) the answer is PT_EIO whatever the errno was, and the caller
 * must exit.  Every other commit failure is PT_EIO too.  After PT_EFULL the
 * store keeps working for reads and, after store_grow or once disk space is
 * freed, for writes.
 *
 * DIR/checkpoint is a copy of the latest signed checkpoint outside LMDB
 * (for rollback detection after a restore from an old backup): written
 * after each commit that set a checkpoint into one of two preallocated
 * fixed-size slots, in turn, then fdatasync (see write_copy): updating it
 * never needs new disk blocks, and a torn write spoils only one slot.
 *
 * Threads: one batch at a time, from one thread.  Read transactions may be
 * begun from any thread; each is used by one thread at a time.  Keep them
 * short: an open read transaction pins the pages it sees.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "ptlimits.h"
#include "pt.h"
#include "store.h"

#define STORE_FORMAT		3	/* meta "version" */
#define STORE_LEVELS		64
#define LOW_LEVELS		4	/* levels 1..3 are not stored */
#define STORED(l)		((l) == 0 || (l) >= LOW_LEVELS)
#define NEXT_STORED(l)		((l) == 0 ? LOW_LEVELS : (l) + 1)
#define UPPER_LEVEL		12	/* levels >= 12 also kept in memory */
#define BAND_LEVELS		4	/* levels per band: 0..3, 4..7 */
#define CACHED_BANDS		2	/* bands read by group (hash_read_db) */
#define GROUP_SHIFT		4
#define GROUP_SLOTS		(1u << GROUP_SHIFT)
#define GROUP_BYTES		(GROUP_SLOTS * MT_HASH_SIZE)
#define LEAF_EPOCH_SHIFT	16	/* leaves: 65536 entries per epoch */
#define LEAF_EPOCH_BYTES	6	/* index >> 16, big-endian */
#define LEAF_PREFIX		4	/* leaf hash bytes in the key */
#define LEAF_LOW_BYTES		2	/* index & 0xffff */
#define LEAF_KEY		(LEAF_EPOCH_BYTES + LEAF_PREFIX + \
				 LEAF_LOW_BYTES)
#define LEAF_EPOCH		(1ULL << LEAF_EPOCH_SHIFT)
#define LEAF_SUB_SHIFT		12	/* leaves/new: 4096 entries per part */
#define LEAF_NEW_KEY		(1 + LEAF_PREFIX + LEAF_LOW_BYTES)
#define OFFICE_BYTES		4	/* office number, big-endian */
#define OFFICE_MAX		UINT32_MAX
#define IDS_KEY_MAX		(OFFICE_BYTES + 1 + PT_MAX_ID)
#define CKPT_HDR		8	/* time_ms before the note */
#define STORE_MAX_DBS		80	/* 61 stored levels + 7 + slack */
#define STORE_MAX_READERS	512	/* concurrent read txns, all processes */
#define STORE_DEFAULT_MAP	(64ULL << 30)
#define STORE_CHECK_CHUNK	65536	/* entries per read txn in check_full */
#define STORE_LOW_SPACE		(64ULL << 20) /* EIO below this free: full */

_Static_assert(PT_MAX_ID <= 255, "ids keys carry the id length in a byte");
_Static_assert(IDS_KEY_MAX <= 511, "LMDB's default maximum key size");
_Static_assert(LEAF_EPOCH_SHIFT == 8 * LEAF_LOW_BYTES, "leaf key layout");
_Static_assert(LEAF_EPOCH_SHIFT - LEAF_SUB_SHIFT <= 8, "one byte of part");
_Static_assert(LOW_LEVELS - 1 <= GROUP_SHIFT, "a computed hash reads one group");
_Static_assert(BAND_LEVELS == LOW_LEVELS, "band 0 is levels 0..3");
_Static_assert(CACHED_BANDS * BAND_LEVELS <= UPPER_LEVEL,
    "the cached bands lie below the levels kept in memory");
_Static_assert(PT_BATCH_MAX <= (1u << UPPER_LEVEL),
    "a batch completes at most one hash per upper level");
static const char lock_name[] = "pubtraild.lock";

/*
 * The hashes of one level >= UPPER_LEVEL, in memory (see upper_read).  The
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
	MDB_dbi		 level[STORE_LEVELS];	/* stored levels only */
	char		*dir;
	int		 lockfd;
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
 * level-4 group, so a proof looks each band up once (see hash_read_db).
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
	struct gcache	 gc;		/* see hash_read */
};

/* ---- small helpers ---- */

static void
put_be64(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t b[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

static void
setwhy(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
setwhy(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* LMDB and errno codes to PT_E*.  Nothing MDB_* leaves this file. */
static int
map_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return PT_ENOTFOUND;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return PT_EFULL;
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
	case MDB_BAD_VALSIZE:
		return PT_ETOOBIG;
	case MDB_READERS_FULL:
	case MDB_DBS_FULL:
	case EAGAIN:
		return PT_EBUSY;
	case ENOMEM:
		return PT_ENOMEM;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		return PT_ECORRUPT;
	case ENOENT:
		return PT_ENOTFOUND;
	case MDB_PANIC:
	default:
		return PT_EIO;
	}
}

/* Record the first failure of a batch; returns err. */
static int
poison(struct store_batch *b, int err)
{
	if (b->err == 0)
		b->err = err;
	return err;
}

static int
meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *v)
{
	MDB_val k = { strlen(name), (void *)(uintptr_t)name }, d;
	int rc;

	if ((rc = mdb_get(txn, dbi, &k, &d)) != 0)
		return rc == MDB_NOTFOUND ? PT_ENOTFOUND : map_err(rc);
	if (d.mv_size != 8)
		return PT_ECORRUPT;
	*v = get_be64(d.mv_data);
	return 0;
}

static int
meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v)
{
	uint8_t b[8];
	MDB_val k = { strlen(name), (void *)(uintptr_t)name }, d = { 8, b };

	put_be64(b, v);
	return map_err(mdb_put(txn, dbi, &k, &d, 0));
}

/* leaves key of (leaf hash, index): epoch || prefix || low bits. */
static void
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
static void
leaf_new_key(uint8_t kb[LEAF_NEW_KEY], const uint8_t *hash, uint64_t index)
{
	kb[0] = (uint8_t)((index & (LEAF_EPOCH - 1)) >> LEAF_SUB_SHIFT);
	memcpy(kb + 1, hash, LEAF_PREFIX);
	kb[1 + LEAF_PREFIX] = (uint8_t)(index >> 8);
	kb[1 + LEAF_PREFIX + 1] = (uint8_t)index;
}

/* ids key: office (4) || id length (1) || id bytes.  Returns its size. */
static size_t
ids_key(uint8_t kb[IDS_KEY_MAX], uint32_t office, const char *id,
    size_t id_len)
{
	kb[0] = (uint8_t)(office >> 24);
	kb[1] = (uint8_t)(office >> 16);
	kb[2] = (uint8_t)(office >> 8);
	kb[3] = (uint8_t)office;
	kb[OFFICE_BYTES] = (uint8_t)id_len;
	memcpy(kb + OFFICE_BYTES + 1, id, id_len);
	return OFFICE_BYTES + 1 + id_len;
}

/* Office number of a submitter id: 0, PT_ENOTFOUND, PT_ECORRUPT, PT_EIO. */
static int
office_get(const struct store *s, MDB_txn *txn, const uint8_t sub[32],
    uint32_t *office)
{
	MDB_val k = { 32, (void *)(uintptr_t)sub }, d;
	const uint8_t *v;
	int rc;

	if ((rc = mdb_get(txn, s->offices, &k, &d)) != 0)
		return map_err(rc);
	if (d.mv_size != OFFICE_BYTES)
		return PT_ECORRUPT;
	v = d.mv_data;
	*office = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
	    (uint32_t)v[2] << 8 | v[3];
	return 0;
}

/*
 * Hash (level, n) as of tree size bound: PT_ENOTFOUND when it is not
 * complete in that tree, PT_ECORRUPT when it should be stored and is not.
 * A stored level (0, or 4 and above) is copied from its group; a hash of
 * level 1..3 is hashed up from the 2^level leaf hashes it covers, which lie
 * in one level-0 group (at most 7 node hashes).  One B-tree lookup either
 * way, none when gc (may be NULL; read transactions only) holds the group.
 *
 * With gc, levels 5..7 are read the same way from level 4: the level-4
 * group of a proof's leaf holds its nodes at levels 4..7, so a proof does
 * one lookup for that band instead of four.  At 10M entries the trees of
 * levels 5..7 are 10, 5 and 2.5 MB, and each descent into them misses the
 * CPU caches; 11 node hashes cost less (docs/PERFORMANCE.md).  Without gc
 * (the write batch, store_check_full) stored hashes are read as stored.
 */
static int
hash_read_db(const struct store *s, MDB_txn *txn, struct gcache *gc,
    uint64_t bound, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct mt_hash h[1u << (BAND_LEVELS - 1)];
	const uint8_t *grp;
	unsigned base, band, up, w;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t n0;
	int rc, cached;

	if (level >= STORE_LEVELS || n >= (bound >> level))
		return PT_ENOTFOUND;
	band = level / BAND_LEVELS;
	cached = gc != NULL && band < CACHED_BANDS;
	if (!STORED(level) || cached)
		base = band * BAND_LEVELS;
	else
		base = level;
	up = level - base;
	n0 = n << up;
	if (cached && gc->ok[band] && gc->g[band] == n0 >> GROUP_SHIFT)
		grp = gc->data[band];
	else {
		put_be64(kb, n0 >> GROUP_SHIFT);
		rc = mdb_get(txn, s->level[base], &k, &d);
		if (rc == MDB_NOTFOUND || (rc == 0 &&
		    d.mv_size != GROUP_BYTES))
			return PT_ECORRUPT;
		if (rc != 0)
			return map_err(rc);
		grp = d.mv_data;
		if (cached) {
			gc->ok[band] = 1;
			gc->g[band] = n0 >> GROUP_SHIFT;
			gc->data[band] = grp;
		}
	}
	w = 1u << up;
	memcpy(h, grp + (n0 & (GROUP_SLOTS - 1)) * MT_HASH_SIZE,
	    w * MT_HASH_SIZE);
	for (; w > 1; w /= 2)
		for (unsigned i = 0; i < w / 2; i++)
			if ((rc = mt_node_hash(&h[2 * i], &h[2 * i + 1],
			    &h[i])) != 0)
				return rc;
	*out = h[0];
	return 0;
}

/*
 * The upper levels in memory.  A proof at 10M entries has 24 nodes; the
 * ones at level 12 and above (12 of them at 10M, 8 at 1M) each cost a
 * B-tree descent on pages nobody else touches, which is what made proofs
 * slower as the log grew.  Those levels hold size / 4096 hashes in all
 * (80 KB at 10M entries, 8 MB at 1G), so the store keeps them in memory:
 * loaded at open, appended after each commit from the batch's right edge.
 * Only committed hashes enter, so the memory copy agrees with LMDB; the
 * full check and everything inside a write batch (the right edge, the
 * root read back before signing) read LMDB itself (hash_read_db).
 */
static int
upper_read(const struct store *s, unsigned level, uint64_t n,
    struct mt_hash *out)
{
	const struct upper *u = &s->up[level];

	if (level < UPPER_LEVEL || level >= STORE_LEVELS ||
	    n >= atomic_load_explicit(&u->count, memory_order_acquire))
		return PT_ENOTFOUND;
	*out = atomic_load_explicit(&u->h, memory_order_acquire)[n];
	return 0;
}

/* Append hash (level, n), the next of its level.  Sequencer (or open)
 * only.  PT_ENOMEM, PT_EINVAL when n is not the next one. */
static int
upper_push(struct store *s, unsigned level, uint64_t n,
    const struct mt_hash *h)
{
	struct upper *u = &s->up[level];
	uint64_t c = atomic_load_explicit(&u->count, memory_order_relaxed);
	struct mt_hash *a = atomic_load_explicit(&u->h, memory_order_relaxed);

	if (n != c)
		return PT_EINVAL;
	if (c == u->cap) {
		uint64_t cap = u->cap == 0 ? 64 : 2 * u->cap;
		struct mt_hash *na = malloc(cap * sizeof(*na));
		struct retired *r = malloc(sizeof(*r));

		if (na == NULL || r == NULL) {
			free(na);
			free(r);
			return PT_ENOMEM;
		}
		if (c > 0)
			memcpy(na, a, c * sizeof(*na));
		if (a != NULL) {
			r->p = a;
			r->next = s->retired;
			s->retired = r;
		} else
			free(r);
		atomic_store_explicit(&u->h, na, memory_order_release);
		u->cap = cap;
		a = na;
	}
	a[c] = *h;
	atomic_store_explicit(&u->count, c + 1, memory_order_release);
	return 0;
}

/* Forget every upper level (the next reads go to LMDB until reloaded). */
static void
upper_clear(struct store *s)
{
	for (unsigned l = UPPER_LEVEL; l < STORE_LEVELS; l++)
		atomic_store_explicit(&s->up[l].count, 0,
		    memory_order_release);
}

/* Load the upper levels of a tree of size from txn.  O(size / 4096). */
static int
upper_load(struct store *s, MDB_txn *txn, uint64_t size)
{
	struct mt_hash h;
	int rc;

	upper_clear(s);
	for (unsigned l = UPPER_LEVEL; l < STORE_LEVELS; l++)
		for (uint64_t n = 0; n < (size >> l); n++)
			if ((rc = hash_read_db(s, txn, NULL, size, l, n,
			    &h)) != 0 || (rc = upper_push(s, l, n, &h)) != 0) {
				upper_clear(s);
				return rc;
			}
	return 0;
}

/* Hash (level, n): from memory for the upper levels, else hash_read_db. */
static int
hash_read(const struct store *s, MDB_txn *txn, struct gcache *gc,
    uint64_t bound, unsigned level, uint64_t n, struct mt_hash *out)
{
	if (level >= UPPER_LEVEL && level < STORE_LEVELS &&
	    n < (bound >> level) && upper_read(s, level, n, out) == 0)
		return 0;
	return hash_read_db(s, txn, gc, bound, level, n, out);
}

static int flush_groups(struct store_batch *b);

static int
batch_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct store_batch *b = ctx;
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if (b->dirty && (rc = flush_groups(b)) != 0)
		return rc;
	/* From LMDB, never the memory copy: store_batch_root reads back
	 * what the batch wrote. */
	return hash_read_db(b->s, b->txn, NULL, b->size, level, n, out);
}

static int
txn_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct store_txn *t = ctx;

	return hash_read(t->s, t->txn, &t->gc, t->size, level, n, out);
}

/*
 * Hashes are written a group at a time: the batch keeps the rightmost group
 * of each level in memory (og[]) and puts it once when it is complete and
 * once more at the end of the batch (flush_groups) if still partial, instead
 * of rewriting a 512-byte value for every hash.  A new group is put with
 * MDB_APPEND; a group stored by an earlier batch is rewritten with a value
 * of the same size, which LMDB does in place.
 */
static int
group_put(struct store_batch *b, unsigned level)
{
	struct open_group *o = &b->og[level];
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d = { GROUP_BYTES, o->buf };
	int rc;

	put_be64(kb, o->g);
	rc = mdb_put(b->txn, b->s->level[level], &k, &d,
	    o->stored ? 0 : MDB_APPEND);
	if (rc == MDB_KEYEXIST)
		return PT_ECORRUPT;
	if (rc != 0)
		return map_err(rc);
	o->stored = 1;
	o->dirty = 0;
	return 0;
}

static int
flush_groups(struct store_batch *b)
{
	int rc;

	for (unsigned l = 0; l < STORE_LEVELS; l = NEXT_STORED(l))
		if (b->og[l].dirty &&
		    (rc = group_put(b, l)) != 0)
			return poison(b, rc);
	b->dirty = 0;
	return 0;
}

/* Load the right edge at batch begin: last[] (every level) and the
 * partial groups (stored levels).  O(levels) lookups. */
static int
edge_load(struct store_batch *b)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	for (unsigned l = 0; l < STORE_LEVELS; l++) {
		struct open_group *o = &b->og[l];
		uint64_t cnt = b->size >> l;

		if (cnt > 0 && (rc = hash_read_db(b->s, b->txn, NULL,
		    b->size, l, cnt - 1, &b->last[l])) != 0)
			return rc;
		if (!STORED(l))
			continue;
		o->g = cnt >> GROUP_SHIFT;
		o->stored = o->dirty = 0;
		memset(o->buf, 0, GROUP_BYTES);
		if ((cnt & (GROUP_SLOTS - 1)) == 0)
			continue;
		put_be64(kb, o->g);
		rc = mdb_get(b->txn, b->s->level[l], &k, &d);
		if (rc == MDB_NOTFOUND || (rc == 0 && d.mv_size != GROUP_BYTES))
			return PT_ECORRUPT;
		if (rc != 0)
			return map_err(rc);
		memcpy(o->buf, d.mv_data, GROUP_BYTES);
		o->stored = 1;
	}
	return 0;
}

/* Set hash (level, n), the next one of its level: nothing to store on
 * a level that is not stored.  The slot must still be zero.  A completed
 * group is put at once. */
static int
hash_set(struct store_batch *b, unsigned level, uint64_t n,
    const struct mt_hash *h)
{
	static const uint8_t zero[MT_HASH_SIZE];
	struct open_group *o;
	unsigned slot = (unsigned)(n & (GROUP_SLOTS - 1));
	int rc;

	if (level >= STORE_LEVELS)
		return PT_EINVAL;
	if (!STORED(level))
		return 0;
	o = &b->og[level];
	if ((n >> GROUP_SHIFT) != o->g) {
		/* The previous group was completed and put. */
		if (o->dirty || (n >> GROUP_SHIFT) != o->g + 1 || slot != 0)
			return PT_ECORRUPT;
		o->g++;
		o->stored = 0;
		memset(o->buf, 0, GROUP_BYTES);
	}
	if (memcmp(o->buf + slot * MT_HASH_SIZE, zero, MT_HASH_SIZE) != 0)
		return PT_ECORRUPT;	/* slot already written */
	memcpy(o->buf + slot * MT_HASH_SIZE, h->b, MT_HASH_SIZE);
	o->dirty = 1;
	b->dirty = 1;
	if (slot == GROUP_SLOTS - 1 && (rc = group_put(b, level)) != 0)
		return rc;
	return 0;
}

static int
find_id(const struct store *s, MDB_txn *txn, uint64_t bound,
    const uint8_t submitter_id[32], const char *id, size_t id_len,
    uint64_t *index)
{
	uint8_t kb[IDS_KEY_MAX];
	MDB_val k, d;
	uint64_t idx;
	uint32_t office;
	int rc;

	if (submitter_id == NULL || id == NULL || id_len == 0 ||
	    id_len > PT_MAX_ID || index == NULL)
		return PT_EINVAL;
	if ((rc = office_get(s, txn, submitter_id, &office)) != 0)
		return rc;
	k.mv_size = ids_key(kb, office, id, id_len);
	k.mv_data = kb;
	if ((rc = mdb_get(txn, s->ids, &k, &d)) != 0)
		return map_err(rc);
	if (d.mv_size != 8)
		return PT_ECORRUPT;
	if ((idx = get_be64(d.mv_data)) >= bound)
		return PT_ECORRUPT;
	*index = idx;
	return 0;
}

/* ---- the lock file ---- */

static int
lock_dir(struct store *s, char *why, size_t whylen)
{
	char path[4096], buf[32];
	ssize_t n;
	long pid = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->dir, lock_name) >=
	    sizeof(path)) {
		setwhy(why, whylen, "%s: path too long", s->dir);
		return PT_EINVAL;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		setwhy(why, whylen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? PT_ENOTFOUND : PT_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				pid = strtol(buf, NULL, 10);
			}
			if (pid > 0)
				setwhy(why, whylen, "%s: the log store is in "
				    "use by another pubtraild (pid %ld holds "
				    "%s); refusing to open it twice", s->dir,
				    pid, path);
			else
				setwhy(why, whylen, "%s: the log store is in "
				    "use by another process (it holds %s); "
				    "refusing to open it twice", s->dir, path);
			close(fd);
			return PT_EBUSY;
		}
		setwhy(why, whylen, "%s: flock: %s", path, strerror(e));
		close(fd);
		return PT_EIO;
	}
	/* Ours now: record the holder for the next one's message. */
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		setwhy(why, whylen, "%s: %s", path, strerror(errno));
		close(fd);
		return PT_EIO;
	}
	s->lockfd = fd;
	return 0;
}

/* ---- open and close ---- */

static void
upper_free(struct store *s)
{
	for (unsigned l = 0; l < STORE_LEVELS; l++)
		free(atomic_load(&s->up[l].h));
	while (s->retired != NULL) {
		struct retired *r = s->retired;

		s->retired = r->next;
		free(r->p);
		free(r);
	}
}

/*
 * The record counts a tree of size holds: size entries and ids keys; the
 * leaves keys of the complete epochs in leaves and those of the current
 * one in leaves/new.  PT_ECORRUPT with the reason in why.  O(1).
 */
static int
count_check(const struct store *s, MDB_txn *txn, uint64_t size, char *why,
    size_t whylen, int *entries_bad)
{
	const MDB_dbi dbi[4] = { s->entries, s->ids, s->leaves, s->leaves_new };
	const char *name[4] = { "entries", "ids", "leaves", "leaves/new" };
	const uint64_t want[4] = { size, size, size & ~(LEAF_EPOCH - 1),
	    size & (LEAF_EPOCH - 1) };
	MDB_stat st;
	int rc;

	for (int i = 0; i < 4; i++) {
		if ((rc = mdb_stat(txn, dbi[i], &st)) != 0)
			return map_err(rc);
		if (st.ms_entries != want[i]) {
			if (entries_bad != NULL)
				*entries_bad = i == 0;
			setwhy(why, whylen, "%s: %s holds %zu records, want "
			    "%llu for tree size %llu", s->dir, name[i],
			    st.ms_entries, (unsigned long long)want[i],
			    (unsigned long long)size);
			return PT_ECORRUPT;
		}
	}
	return 0;
}

/* Open (and on a new writable store, create and initialise) the databases;
 * check the cheap invariants; load the size and the upper levels.
 * O(64 + size / 4096) lookups. */
static int
open_dbs(struct store *s, char *why, size_t whylen)
{
	MDB_txn *txn;
	MDB_stat st;
	unsigned flags = s->readonly ? 0 : MDB_CREATE;
	uint64_t version = 0, size = 0;
	char name[16];
	int rc, err;

	rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn);
	if (rc != 0) {
		setwhy(why, whylen, "%s: cannot begin: %s", s->dir,
		    mdb_strerror(rc));
		return map_err(rc);
	}
	rc = mdb_dbi_open(txn, "meta", flags, &s->meta);
	/* The format first: an older store lacks databases this one has. */
	if (rc == 0) {
		err = meta_get(txn, s->meta, "version", &version);
		if (err == 0 && version != STORE_FORMAT) {
			mdb_txn_abort(txn);
			setwhy(why, whylen, "%s: store format %llu, this "
			    "program reads only format %d (no conversion "
			    "exists: keep the old program for this store, or "
			    "start a new log in an empty directory)", s->dir,
			    (unsigned long long)version, STORE_FORMAT);
			return PT_ECORRUPT;
		}
	}
	if (rc == 0)
		rc = mdb_dbi_open(txn, "entries", flags, &s->entries);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "leaves", flags, &s->leaves);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "leaves/new", flags, &s->leaves_new);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "ids", flags, &s->ids);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "offices", flags, &s->offices);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "checkpoints", flags, &s->ckpts);
	for (unsigned l = 0; rc == 0 && l < STORE_LEVELS; l = NEXT_STORED(l)) {
		snprintf(name, sizeof(name), "hash/%02u", l);
		rc = mdb_dbi_open(txn, name, flags, &s->level[l]);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND) {
			setwhy(why, whylen, "%s: not a pubtrail store (no "
			    "databases)", s->dir);
			return PT_ENOTFOUND;
		}
		setwhy(why, whylen, "%s: cannot open databases: %s", s->dir,
		    mdb_strerror(rc));
		return map_err(rc);
	}

	err = meta_get(txn, s->meta, "version", &version);
	if (err == PT_ENOTFOUND) {
		if ((rc = mdb_stat(txn, s->entries, &st)) == 0 &&
		    st.ms_entries != 0) {
			setwhy(why, whylen, "%s: entries without a format "
			    "version", s->dir);
			err = PT_ECORRUPT;
		} else if (s->readonly) {
			setwhy(why, whylen, "%s: store never initialised",
			    s->dir);
			err = PT_ENOTFOUND;
		} else if ((err = meta_put(txn, s->meta, "version",
		    STORE_FORMAT)) == 0 &&
		    (err = meta_put(txn, s->meta, "size", 0)) == 0 &&
		    (err = meta_put(txn, s->meta, "offices", 0)) == 0 &&
		    (err = meta_put(txn, s->meta, "time", 0)) == 0) {
			version = STORE_FORMAT;
		} else
			setwhy(why, whylen, "%s: cannot initialise: %s",
			    s->dir, pt_strerror(err));
	} else if (err != 0)
		setwhy(why, whylen, "%s: bad format version record", s->dir);
	else if (version != STORE_FORMAT) {
		setwhy(why, whylen, "%s: store format %llu, this program "
		    "reads %d", s->dir, (unsigned long long)version,
		    STORE_FORMAT);
		err = PT_ECORRUPT;
	}
	if (err == 0 && (err = meta_get(txn, s->meta, "size", &size)) != 0)
		setwhy(why, whylen, "%s: no tree size record", s->dir);
	if (err == 0 && size > PT_MAX_TREE_SIZE) {
		setwhy(why, whylen, "%s: tree size %llu out of range", s->dir,
		    (unsigned long long)size);
		err = PT_ECORRUPT;
	}

	/* Cheap invariants: counts must agree with the size. */
	if (err == 0) {
		uint64_t noff = 0;

		err = count_check(s, txn, size, why, whylen, NULL);
		if (err == 0 && (err = meta_get(txn, s->meta, "offices",
		    &noff)) != 0)
			setwhy(why, whylen, "%s: no office count record",
			    s->dir);
		if (err == 0 && (rc = mdb_stat(txn, s->offices, &st)) != 0)
			err = map_err(rc);
		else if (err == 0 && (st.ms_entries != noff ||
		    noff > (uint64_t)OFFICE_MAX + 1 || noff > size)) {
			setwhy(why, whylen, "%s: offices holds %zu records, "
			    "the office count is %llu (tree size %llu)",
			    s->dir, st.ms_entries, (unsigned long long)noff,
			    (unsigned long long)size);
			err = PT_ECORRUPT;
		}
		for (unsigned l = 0; err == 0 && l < STORE_LEVELS;
		    l = NEXT_STORED(l)) {
			uint64_t want = ((size >> l) + GROUP_SLOTS - 1) >>
			    GROUP_SHIFT;

			if ((rc = mdb_stat(txn, s->level[l], &st)) != 0)
				err = map_err(rc);
			else if (st.ms_entries != want) {
				setwhy(why, whylen, "%s: hash level %u holds "
				    "%zu groups, want %llu for tree size %llu",
				    s->dir, l, st.ms_entries,
				    (unsigned long long)want,
				    (unsigned long long)size);
				err = PT_ECORRUPT;
			}
		}
	}
	if (err == 0) {
		MDB_cursor *c;
		MDB_val k, d;

		if ((rc = mdb_cursor_open(txn, s->ckpts, &c)) != 0)
			err = map_err(rc);
		else {
			rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
			if (rc == MDB_NOTFOUND) {
				if (size != 0) {
					setwhy(why, whylen, "%s: tree size %llu "
					    "without a signed checkpoint",
					    s->dir, (unsigned long long)size);
					err = PT_ECORRUPT;
				}
			} else if (rc != 0)
				err = map_err(rc);
			else if (k.mv_size != 8 || get_be64(k.mv_data) != size) {
				setwhy(why, whylen, "%s: latest checkpoint is "
				    "not at the tree size %llu", s->dir,
				    (unsigned long long)size);
				err = PT_ECORRUPT;
			}
			mdb_cursor_close(c);
		}
	}
	if (err == 0 && (err = upper_load(s, txn, size)) != 0)
		setwhy(why, whylen, "%s: cannot read the hashes of levels %d "
		    "and above: %s", s->dir, UPPER_LEVEL, pt_strerror(err));
	if (err != 0) {
		mdb_txn_abort(txn);
		if (why != NULL && whylen > 0 && why[0] == '\0')
			setwhy(why, whylen, "%s: %s", s->dir,
			    pt_strerror(err));
		return err;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		setwhy(why, whylen, "%s: cannot commit: %s", s->dir,
		    mdb_strerror(rc));
		return map_err(rc);
	}
	atomic_store(&s->size, size);
	return 0;
}

/*
 * Open (creating DIR and the store when absent, unless o->readonly) the
 * store in dir.  A writer takes DIR/pubtraild.lock (PT_EBUSY naming the
 * directory and the holder's PID in why when another process, or another
 * store_open in this process, holds it); readonly opens take no lock and
 * never write.  Clears stale reader slots (mdb_reader_check).  Checks the
 * cheap ledger invariants (PT_ECORRUPT, reason in why).  Errors: PT_EINVAL,
 * PT_ENOMEM, PT_EBUSY, PT_EIO, PT_ECORRUPT, PT_ENOTFOUND (readonly on a
 * missing store).  why (may be NULL) gets a reason on failure.  *out is
 * owned by the caller until store_close().  O(64 + size / 4096) lookups.
 */
int
store_open(const char *dir, const struct store_opts *o, struct store **out,
    char *why, size_t whylen)
{
	struct store *s;
	uint64_t map = STORE_DEFAULT_MAP;
	int rc, err, dead = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (dir == NULL || out == NULL || dir[0] == '\0') {
		setwhy(why, whylen, "no store directory");
		return PT_EINVAL;
	}
	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PT_ENOMEM;
	s->lockfd = -1;
	s->readonly = o != NULL && o->readonly;
	if (o != NULL && o->map_size != 0)
		map = o->map_size;
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return PT_ENOMEM;
	}
	if (!s->readonly && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		setwhy(why, whylen, "%s: %s", dir, strerror(errno));
		err = PT_EIO;
		goto fail;
	}
	if (!s->readonly && (err = lock_dir(s, why, whylen)) != 0)
		goto fail;
	if ((rc = mdb_env_create(&s->env)) != 0) {
		setwhy(why, whylen, "%s: %s", dir, mdb_strerror(rc));
		err = map_err(rc);
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, STORE_MAX_READERS)) != 0 ||
	    ((!s->readonly || (o != NULL && o->map_size != 0)) &&
	    (rc = mdb_env_set_mapsize(s->env, (size_t)map)) != 0)) {
		setwhy(why, whylen, "%s: %s", dir, mdb_strerror(rc));
		err = map_err(rc);
		goto fail;
	}
	/* Default (durable) flags; MDB_NOTLS: read txns are objects. */
	rc = mdb_env_open(s->env, dir, MDB_NOTLS |
	    (s->readonly ? MDB_RDONLY : 0), 0600);
	if (rc != 0) {
		setwhy(why, whylen, "%s: cannot open the LMDB environment: %s",
		    dir, mdb_strerror(rc));
		err = map_err(rc);
		goto fail;
	}
	if ((rc = mdb_reader_check(s->env, &dead)) != 0) {
		setwhy(why, whylen, "%s: reader check: %s", dir,
		    mdb_strerror(rc));
		err = map_err(rc);
		goto fail;
	}
	if ((err = open_dbs(s, why, whylen)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s->dir);
	free(s);
	return err;
}

/*
 * Close the store: aborts a batch left open, closes the environment, then
 * releases the lock.  No read transaction may be open.  NULL is ignored.
 */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	assert(atomic_load(&s->nread) == 0);
	if (s->batch != NULL)
		store_batch_abort(s->batch);
	mdb_env_close(s->env);
	if (s->lockfd != -1)
		close(s->lockfd);	/* releases the flock */
	upper_free(s);
	free(s->dir);
	free(s);
}

/* Tree size of the last commit (0 for a new store).  Any thread.  O(1). */
uint64_t
store_size(const struct store *s)
{
	return atomic_load(&((struct store *)(uintptr_t)s)->size);
}

/*
 * Clear reader slots left by dead processes (mdb_reader_check); *dead (may
 * be NULL) gets how many.  Call at start-up (store_open does) and
 * periodically.  0 or PT_EIO.  O(max readers).
 */
int
store_reader_check(struct store *s, int *dead)
{
	int n = 0, rc;

	rc = mdb_reader_check(s->env, &n);
	if (dead != NULL)
		*dead = n;
	return map_err(rc);
}

/* ---- writing ---- */

/*
 * Begin the one write batch (one LMDB write txn).  PT_EINVAL on a readonly
 * store, PT_EBUSY when a batch is already open, PT_EIO/PT_ENOMEM from LMDB,
 * PT_ECORRUPT when the stored size disagrees with the last commit.  *out is
 * owned by the store until store_batch_commit or store_batch_abort.  O(1).
 */
int
store_batch_begin(struct store *s, struct store_batch **out)
{
	struct store_batch *b;
	uint64_t size;
	int rc;

	*out = NULL;
	if (s->readonly)
		return PT_EINVAL;
	if (s->batch != NULL)
		return PT_EBUSY;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return PT_ENOMEM;
	b->s = s;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &b->txn)) != 0) {
		free(b);
		return map_err(rc);
	}
	if ((rc = meta_get(b->txn, s->meta, "size", &size)) != 0 ||
	    size != atomic_load(&s->size)) {
		mdb_txn_abort(b->txn);
		free(b);
		return rc != 0 ? rc : PT_ECORRUPT;
	}
	b->base = b->size = size;
	if ((rc = edge_load(b)) != 0) {
		mdb_txn_abort(b->txn);
		free(b);
		return rc;
	}
	s->batch = b;
	*out = b;
	return 0;
}

/* Assign the next office number to sub (not yet in offices): the offices
 * record and meta "offices".  PT_ERANGE when 2^32 numbers are used. */
static int
office_new(struct store_batch *b, const uint8_t sub[32])
{
	struct store *s = b->s;
	uint8_t v[OFFICE_BYTES];
	MDB_val k = { 32, (void *)(uintptr_t)sub }, d = { OFFICE_BYTES, v };
	uint64_t next;
	int rc;

	if ((rc = meta_get(b->txn, s->meta, "offices", &next)) != 0)
		return rc == PT_ENOTFOUND ? PT_ECORRUPT : rc;
	if (next > OFFICE_MAX)
		return PT_ERANGE;
	v[0] = (uint8_t)(next >> 24);
	v[1] = (uint8_t)(next >> 16);
	v[2] = (uint8_t)(next >> 8);
	v[3] = (uint8_t)next;
	rc = mdb_put(b->txn, s->offices, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return PT_ECORRUPT;
	if (rc != 0)
		return map_err(rc);
	if ((rc = meta_put(b->txn, s->meta, "offices", next + 1)) != 0)
		return rc;
	b->office = (uint32_t)next;
	return 0;
}

/* The low 48 bits of v, big-endian, into b[0..6); and back. */
static void
put_be48(uint8_t b[6], uint64_t v)
{
	uint8_t t[8];

	put_be64(t, v);
	memcpy(b, t + 2, 6);
}

static uint64_t
get_be48(const uint8_t b[6])
{
	uint8_t t[8] = { 0 };

	memcpy(t + 2, b, 6);
	return get_be64(t);
}

#define LEAF_PARTS	(1u << (LEAF_EPOCH_SHIFT - LEAF_SUB_SHIFT))

/*
 * Move the completed epoch e from leaves/new into leaves: read its 65,536
 * keys, sort them by prefix || low bits, append them to leaves (MDB_APPEND:
 * the epoch is the newest, so its keys go at the end and the pages end
 * full) and empty leaves/new (mdb_drop frees its pages).  PT_ECORRUPT
 * unless leaves/new holds exactly the epoch's keys.  Once per 65,536
 * appends; 1 MiB of memory meanwhile.
 *
 * The cursor returns the keys part by part, each part already in order
 * (part || prefix || low bits sorts by prefix || low bits within a part),
 * so the sort is a merge of at most 16 sorted runs, done pairwise on the
 * keys as 48-bit numbers (big-endian bytes compare as the numbers do):
 * four linear passes instead of a qsort, which took the whole move from
 * 12.6 to 8.4 ms per epoch (most of the rest is the 65,536 puts).
 */
static int
leaves_merge(struct store_batch *b, uint64_t e)
{
	enum { W = LEAF_PREFIX + LEAF_LOW_BYTES };
	struct store *s = b->s;
	uint64_t *keys, *tmp, *t;
	size_t run[LEAF_PARTS + 1], nrun = 0, n = 0;
	uint8_t kb[LEAF_KEY], eb[8], part = 0;
	MDB_cursor *c;
	MDB_val k, d = { 0, NULL };
	int rc, err = 0;

	_Static_assert(W == 6, "leaf keys merge as 48-bit numbers");
	keys = malloc((size_t)LEAF_EPOCH * sizeof(*keys));
	tmp = malloc((size_t)LEAF_EPOCH * sizeof(*tmp));
	if (keys == NULL || tmp == NULL) {
		free(keys);
		free(tmp);
		return PT_ENOMEM;
	}
	if ((rc = mdb_cursor_open(b->txn, s->leaves_new, &c)) != 0) {
		free(keys);
		free(tmp);
		return map_err(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;

		if (n == LEAF_EPOCH || k.mv_size != LEAF_NEW_KEY ||
		    kp[0] != kp[1 + LEAF_PREFIX] >> (LEAF_SUB_SHIFT - 8)) {
			err = PT_ECORRUPT;
			break;
		}
		/* Each part is one run; the cursor visits them in order. */
		if (n == 0 || kp[0] != part) {
			if (nrun == LEAF_PARTS) {
				err = PT_ECORRUPT;
				break;
			}
			run[nrun++] = n;
			part = kp[0];
		}
		keys[n++] = get_be48(kp + 1);
	}
	mdb_cursor_close(c);
	if (err == 0 && rc != MDB_NOTFOUND)
		err = map_err(rc);
	if (err == 0 && n != LEAF_EPOCH)
		err = PT_ECORRUPT;
	if (err != 0) {
		free(keys);
		free(tmp);
		return err;
	}
	run[nrun] = n;
	/* Merge runs 2i and 2i+1 into run i until one is left. */
	while (nrun > 1) {
		size_t m = 0;

		for (size_t r = 0; r < nrun; r += 2) {
			/* runs r and r + 1 (if any): [a, ae) and [ae, be) */
			size_t a = run[r], ae = run[r + 1], o = a;
			size_t bi = ae, be = r + 1 < nrun ? run[r + 2] : ae;

			while (a < ae && bi < be)
				tmp[o++] = keys[a] <= keys[bi] ? keys[a++] :
				    keys[bi++];
			while (a < ae)
				tmp[o++] = keys[a++];
			while (bi < be)
				tmp[o++] = keys[bi++];
			run[m++] = run[r];
		}
		run[m] = n;
		nrun = m;
		t = keys;
		keys = tmp;
		tmp = t;
	}
	put_be64(eb, e);
	memcpy(kb, eb + 8 - LEAF_EPOCH_BYTES, LEAF_EPOCH_BYTES);
	k.mv_size = LEAF_KEY;
	k.mv_data = kb;
	for (size_t i = 0; i < n && err == 0; i++) {
		put_be48(kb + LEAF_EPOCH_BYTES, keys[i]);
		d.mv_size = 0;
		d.mv_data = NULL;
		/* MDB_APPEND refuses a key that is not above the last one:
		 * a duplicate (or a run out of order) is damage. */
		rc = mdb_put(b->txn, s->leaves, &k, &d, MDB_APPEND);
		if (rc == MDB_KEYEXIST)
			err = PT_ECORRUPT;
		else if (rc != 0)
			err = map_err(rc);
	}
	free(keys);
	free(tmp);
	if (err == 0 && (rc = mdb_drop(b->txn, s->leaves_new, 0)) != 0)
		err = map_err(rc);
	return err;
}

/*
 * Append one entry at index store_batch_size(b) (see store.h).  The entry
 * bytes are hashed again as stored and must give *leaf (PT_ECORRUPT
 * otherwise).  Errors, all of which poison the batch: PT_EPOISONED, PT_EINVAL
 * (len > PT_MAX_ENTRY, id_len 0 or > PT_MAX_ID, after set_checkpoint),
 * PT_ERANGE (tree full, or 2^32 offices), PT_ECONFLICT (submitter and id already in the log
 * or the batch: use store_batch_find_id first), PT_EFULL (map or disk full),
 * PT_ECORRUPT, PT_EIO.  Copies its inputs.  O(log n) B-tree operations.
 */
int
store_batch_append(struct store_batch *b, const uint8_t *entry, size_t len,
    const struct mt_hash *leaf, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index)
{
	struct store *s = b->s;
	struct mt_hash got, h;
	uint8_t ikey[8], lkey[LEAF_NEW_KEY], idkey[IDS_KEY_MAX];
	MDB_val k, d;
	uint64_t i = b->size;
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if ((entry == NULL && len != 0) || len > PT_MAX_ENTRY ||
	    leaf == NULL || submitter_id == NULL || id == NULL ||
	    id_len == 0 || id_len > PT_MAX_ID || b->has_ckpt)
		return poison(b, PT_EINVAL);
	if (i >= PT_MAX_TREE_SIZE)
		return poison(b, PT_ERANGE);

	/* ids first: a duplicate must not write anything else.  The
	 * submitter's office number, assigned at its first append. */
	if (!b->have_office || memcmp(b->office_sub, submitter_id, 32) != 0) {
		rc = office_get(s, b->txn, submitter_id, &b->office);
		if (rc == PT_ENOTFOUND)
			rc = office_new(b, submitter_id);
		if (rc != 0)
			return poison(b, rc);
		memcpy(b->office_sub, submitter_id, 32);
		b->have_office = 1;
	}
	put_be64(ikey, i);
	k.mv_size = ids_key(idkey, b->office, id, id_len);
	k.mv_data = idkey;
	d.mv_size = 8;
	d.mv_data = ikey;
	rc = mdb_put(b->txn, s->ids, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return poison(b, PT_ECONFLICT);
	if (rc != 0)
		return poison(b, map_err(rc));

	/* The entry, copied into its place in the map (MDB_RESERVE), then
	 * its leaf hash recomputed from the bytes as stored. */
	k.mv_size = 8;
	k.mv_data = ikey;
	d.mv_size = len;
	d.mv_data = NULL;
	rc = mdb_put(b->txn, s->entries, &k, &d, MDB_APPEND | MDB_RESERVE);
	if (rc == MDB_KEYEXIST)
		return poison(b, PT_ECORRUPT);
	if (rc != 0)
		return poison(b, map_err(rc));
	if (d.mv_size != len)
		return poison(b, PT_ECORRUPT);
	if (len > 0)
		memcpy(d.mv_data, entry, len);
	if ((rc = mt_leaf_hash(d.mv_data, len, &got)) != 0)
		return poison(b, rc);
	if (cr_memcmp(got.b, leaf->b, MT_HASH_SIZE) != 0)
		return poison(b, PT_ECORRUPT);

	/* Leaf index of the current epoch: part || prefix || low bits of
	 * the index, no value; the leaf that completes the epoch moves the
	 * epoch into leaves. */
	leaf_new_key(lkey, leaf->b, i);
	k.mv_size = LEAF_NEW_KEY;
	k.mv_data = lkey;
	d.mv_size = 0;
	d.mv_data = NULL;
	rc = mdb_put(b->txn, s->leaves_new, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return poison(b, PT_ECORRUPT);
	if (rc != 0)
		return poison(b, map_err(rc));
	if (((i + 1) & (LEAF_EPOCH - 1)) == 0 &&
	    (rc = leaves_merge(b, i >> LEAF_EPOCH_SHIFT)) != 0)
		return poison(b, rc);

	/* The complete subtrees this leaf completes, (0, i) first, from the
	 * right edge kept in the batch (each left sibling is last[level]). */
	h = got;
	for (unsigned l = 0; ; l++) {
		uint64_t at = i >> l;
		struct mt_hash left = b->last[l], up;

		if ((rc = hash_set(b, l, at, &h)) != 0)
			return poison(b, rc);
		b->last[l] = h;
		if (!(at & 1))
			break;
		if ((rc = mt_node_hash(&left, &h, &up)) != 0)
			return poison(b, rc);
		h = up;
	}
	b->size = i + 1;
	if (index != NULL)
		*index = i;
	return 0;
}

/* Size the tree will have if b commits.  O(1). */
uint64_t
store_batch_size(const struct store_batch *b)
{
	return b->size;
}

/*
 * A reader of stored hashes inside b's transaction (it sees the batch's own
 * writes, for the batch's current size).  Valid until b is committed or
 * aborted; returns PT_EPOISONED once b is poisoned.
 */
void
store_batch_reader(struct store_batch *b, struct mt_reader *r)
{
	r->read = batch_read;
	r->ctx = b;
}

/*
 * Index of (submitter_id, id) in the committed log or earlier in this batch.
 * 0, PT_ENOTFOUND (does not poison), PT_EPOISONED; any other failure
 * (PT_EINVAL, PT_EIO, PT_ECORRUPT) poisons.  Two lookups (offices, ids).
 */
int
store_batch_find_id(struct store_batch *b, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index)
{
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	rc = find_id(b->s, b->txn, b->size, submitter_id, id, id_len, index);
	if (rc != 0 && rc != PT_ENOTFOUND)
		poison(b, rc);
	return rc;
}

/*
 * Root of the batch's tree, read back from the transaction through
 * mt_root (never from memory).  Errors poison.  O(log n) lookups.
 */
int
store_batch_root(struct store_batch *b, struct mt_hash *root)
{
	struct mt_reader r = { batch_read, b };
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if ((rc = mt_root(&r, b->size, root)) != 0)
		return poison(b, rc);
	return 0;
}

/*
 * Record the signed checkpoint note (1..PT_LOG_NOTE_MAX bytes, copied) for the
 * batch's current size, with its time.  Setting it again in the same batch
 * replaces it; so does a batch that only re-signs the same size (e.g. with
 * added cosignatures).  No append may follow (PT_EINVAL).  Errors poison:
 * PT_EINVAL, PT_ETIME (time_ms before the latest checkpoint's), PT_ENOMEM,
 * PT_EFULL, PT_EIO.  O(log n).
 */
int
store_batch_set_checkpoint(struct store_batch *b, const char *note,
    size_t len, uint64_t time_ms)
{
	struct store *s = b->s;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t last = 0;
	char *copy;
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if (note == NULL || len == 0 || len > PT_LOG_NOTE_MAX)
		return poison(b, PT_EINVAL);
	if ((rc = meta_get(b->txn, s->meta, "time", &last)) != 0)
		return poison(b, rc);
	if (time_ms < last)
		return poison(b, PT_ETIME);
	if ((copy = malloc(len)) == NULL)
		return poison(b, PT_ENOMEM);
	memcpy(copy, note, len);
	put_be64(kb, b->size);
	d.mv_size = CKPT_HDR + len;
	if ((rc = mdb_put(b->txn, s->ckpts, &k, &d, MDB_RESERVE)) != 0) {
		free(copy);
		return poison(b, map_err(rc));
	}
	put_be64(d.mv_data, time_ms);
	memcpy((uint8_t *)d.mv_data + CKPT_HDR, note, len);
	if ((rc = meta_put(b->txn, s->meta, "time", time_ms)) != 0) {
		free(copy);
		return poison(b, rc);
	}
	free(b->note);
	b->note = copy;
	b->note_len = len;
	b->has_ckpt = 1;
	return 0;
}

/*
 * DIR/checkpoint: two fixed-size slots, written in turn, so that updating
 * the copy never needs new disk blocks (a full disk cannot stop it) and a
 * write torn by a crash spoils at most the slot being written:
 *
 *   slot k at offset k * COPY_SLOT, k = seq % 2:
 *     "PTCKPv1\n"  seq (u64 BE)  len (u32 BE)  0 (u32)  SHA-256(note)
 *     note (len bytes)  zero padding to COPY_SLOT
 *
 * The file is created at full size (posix_fallocate) once.  A reader takes
 * the valid slot (magic, bounds, hash) with the larger seq.
 */
#define COPY_MAGIC	"PTCKPv1\n"
#define COPY_HDR	56
#define COPY_SLOT	20480	/* >= COPY_HDR + PT_LOG_NOTE_MAX, page multiple */
_Static_assert(COPY_HDR + PT_LOG_NOTE_MAX <= COPY_SLOT, "a copy slot holds "
    "any checkpoint the log signs");

static int
fsync_dir(const char *dir)
{
	int dfd, ok;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return PT_EIO;
	ok = fsync(dfd) == 0;
	close(dfd);
	return ok ? 0 : PT_EIO;
}

struct copy_slot {
	uint64_t seq;
	uint32_t len;
	int valid;
};

static void
copy_parse_slot(const uint8_t *buf, size_t got, struct copy_slot *cs)
{
	uint8_t h[32];

	memset(cs, 0, sizeof(*cs));
	if (got < COPY_HDR || memcmp(buf, COPY_MAGIC, 8) != 0)
		return;
	cs->seq = get_be64(buf + 8);
	cs->len = (uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 |
	    (uint32_t)buf[18] << 8 | buf[19];
	if (cs->len == 0 || cs->len > PT_LOG_NOTE_MAX ||
	    COPY_HDR + cs->len > got)
		return;
	if (cr_sha256(buf + COPY_HDR, cs->len, NULL, 0, NULL, 0, h) != 0 ||
	    memcmp(h, buf + 24, 32) != 0)
		return;
	cs->valid = 1;
}

/* Read both slots of an open copy file; *best is -1 when none is valid.
 * bufs gets 2 * COPY_SLOT bytes. */
static int
copy_read_slots(int fd, uint8_t *bufs, struct copy_slot cs[2], int *best)
{
	*best = -1;
	for (int k = 0; k < 2; k++) {
		size_t got = 0;

		while (got < COPY_SLOT) {
			ssize_t n = pread(fd, bufs + k * COPY_SLOT + got,
			    COPY_SLOT - got, (off_t)k * COPY_SLOT + (off_t)got);

			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				return PT_EIO;
			if (n == 0)
				break;
			got += (size_t)n;
		}
		copy_parse_slot(bufs + k * COPY_SLOT, got, &cs[k]);
		if (cs[k].valid && (*best < 0 || cs[k].seq > cs[*best].seq))
			*best = k;
	}
	return 0;
}

/* Write the note to the next slot of DIR/checkpoint and fdatasync it. */
static int
write_copy(const char *dir, const char *note, size_t len)
{
	char path[4096];
	struct copy_slot cs[2];
	uint8_t *bufs, *slot;
	uint64_t seq;
	size_t off = 0;
	int fd, best, created = 0, rc;

	if (len == 0 || len > PT_LOG_NOTE_MAX)
		return PT_EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/checkpoint", dir) >=
	    sizeof(path))
		return PT_EIO;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		created = 1;
	}
	if (fd == -1)
		return PT_EIO;
	if ((bufs = calloc(2, COPY_SLOT)) == NULL) {
		close(fd);
		return PT_ENOMEM;
	}
	if (created) {
		if (posix_fallocate(fd, 0, 2 * COPY_SLOT) != 0 ||
		    fsync(fd) != 0 || fsync_dir(dir) != 0) {
			rc = PT_EIO;
			goto out;
		}
	}
	if ((rc = copy_read_slots(fd, bufs, cs, &best)) != 0)
		goto out;
	seq = best < 0 ? 1 : cs[best].seq + 1;
	slot = bufs + (seq % 2) * COPY_SLOT;
	memset(slot, 0, COPY_SLOT);
	memcpy(slot, COPY_MAGIC, 8);
	put_be64(slot + 8, seq);
	slot[16] = (uint8_t)(len >> 24);
	slot[17] = (uint8_t)(len >> 16);
	slot[18] = (uint8_t)(len >> 8);
	slot[19] = (uint8_t)len;
	if ((rc = cr_sha256(note, len, NULL, 0, NULL, 0, slot + 24)) != 0)
		goto out;
	memcpy(slot + COPY_HDR, note, len);
	while (off < COPY_SLOT) {
		ssize_t n = pwrite(fd, slot + off, COPY_SLOT - off,
		    (off_t)((seq % 2) * COPY_SLOT + off));

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = PT_EIO;
			goto out;
		}
		off += (size_t)n;
	}
	rc = fdatasync(fd) == 0 ? 0 : PT_EIO;
out:
	free(bufs);
	if (close(fd) != 0 && rc == 0)
		rc = PT_EIO;
	return rc;
}

/*
 * Map a failed commit.  PT_EIO when LMDB marked the environment fatal (a
 * failed meta-page write: MDB_PANIC from then on).  PT_EFULL for a full map
 * or disk.  LMDB 0.9 reports a short write of data pages ("filesystem
 * full?") as EIO, so an EIO while DIR's filesystem has less than
 * STORE_LOW_SPACE bytes free is PT_EFULL too.  Either way the meta page was
 * not written, so the failed transaction's pages are unreferenced and the
 * last commit stands.
 */
static int
commit_err(struct store *s, int rc)
{
	struct statvfs vfs;
	MDB_txn *probe;
	int prc;

	prc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &probe);
	if (prc == 0)
		mdb_txn_abort(probe);
	if (prc == MDB_PANIC)
		return PT_EIO;
	if (map_err(rc) == PT_EFULL)
		return PT_EFULL;
	if (rc == EIO && statvfs(s->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < STORE_LOW_SPACE)
		return PT_EFULL;
	return PT_EIO;
}

/*
 * After a commit: the hashes the batch completed at the upper levels, from
 * its right edge (a batch completes at most one per upper level; see the
 * _Static_assert).  If memory runs out the levels are dropped and reads go
 * to LMDB (correct, only slower).
 */
static void
upper_commit(struct store_batch *b)
{
	struct store *s = b->s;

	for (unsigned l = UPPER_LEVEL; l < STORE_LEVELS; l++) {
		uint64_t have = atomic_load_explicit(&s->up[l].count,
		    memory_order_relaxed);
		uint64_t want = b->size >> l;

		if (want == have)
			continue;
		if (want != have + 1 ||
		    upper_push(s, l, want - 1, &b->last[l]) != 0) {
			upper_clear(s);
			return;
		}
	}
}

static void
batch_free(struct store_batch *b)
{
	b->s->batch = NULL;
	free(b->note);
	free(b);
}

/*
 * Commit the batch (LMDB fsyncs), then write DIR/checkpoint when the batch
 * set a checkpoint.  b is freed in every case.  Errors: PT_EPOISONED (a
 * failed op earlier; nothing written), PT_EINVAL (entries appended without
 * a checkpoint; nothing written), PT_EFULL (map or disk full; nothing
 * written, the store stays usable), PT_EIO (the caller must stop the
 * process: a commit failure, or, with the batch already durable in LMDB,
 * the DIR/checkpoint copy could not be written).  O(pages written).
 */
int
store_batch_commit(struct store_batch *b)
{
	struct store *s = b->s;
	int rc, err = 0;

	if (b->err != 0) {
		store_batch_abort(b);
		return PT_EPOISONED;
	}
	if (b->size != b->base && !b->has_ckpt) {
		store_batch_abort(b);
		return PT_EINVAL;
	}
	if (b->dirty && (err = flush_groups(b)) != 0) {
		store_batch_abort(b);
		return err;
	}
	if (b->size != b->base &&
	    (err = meta_put(b->txn, s->meta, "size", b->size)) != 0) {
		store_batch_abort(b);
		return err;
	}
	rc = mdb_txn_commit(b->txn);	/* frees the txn, even on failure */
	b->txn = NULL;
	if (rc != 0)
		err = commit_err(s, rc);
	else {
		upper_commit(b);
		atomic_store(&s->size, b->size);
		if (b->has_ckpt)
			err = write_copy(s->dir, b->note, b->note_len);
	}
	batch_free(b);
	return err;
}

/* Abort the batch: nothing it did is kept.  b is freed; NULL is ignored. */
void
store_batch_abort(struct store_batch *b)
{
	if (b == NULL)
		return;
	if (b->txn != NULL)
		mdb_txn_abort(b->txn);
	batch_free(b);
}

/* ---- reading ---- */

/*
 * Begin a read transaction (a snapshot of the last commit).  Any thread;
 * keep it short.  *out is owned by the caller until store_read_end.  PT_EBUSY
 * (reader table full), PT_ENOMEM, PT_EIO, PT_ECORRUPT.  O(1).
 */
int
store_read_begin(struct store *s, struct store_txn **out)
{
	struct store_txn *t;
	int rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return PT_ENOMEM;
	t->s = s;
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
	if (rc == MDB_MAP_RESIZED && s->readonly &&
	    atomic_load(&s->nread) == 0) {
		/* The writer (another process) grew the map: adopt it. */
		if ((rc = mdb_env_set_mapsize(s->env, 0)) == 0)
			rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
	}
	if (rc != 0) {
		free(t);
		return map_err(rc);
	}
	if ((rc = meta_get(t->txn, s->meta, "size", &t->size)) != 0) {
		mdb_txn_abort(t->txn);
		free(t);
		return rc == PT_ENOTFOUND ? PT_ECORRUPT : rc;
	}
	atomic_fetch_add(&s->nread, 1);
	*out = t;
	return 0;
}

/* End a read transaction; every pointer it returned becomes invalid.  t is
 * freed; NULL is ignored. */
void
store_read_end(struct store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	atomic_fetch_sub(&t->s->nread, 1);
	free(t);
}

/* Tree size visible to t (== the size of its latest checkpoint). O(1). */
uint64_t
store_txn_size(const struct store_txn *t)
{
	return t->size;
}

/* A reader of stored hashes for t's size; valid until store_read_end. */
void
store_txn_reader(struct store_txn *t, struct mt_reader *r)
{
	r->read = txn_read;
	r->ctx = t;
}

/*
 * Entry at index: *data points into the map, valid until store_read_end(t);
 * do not write through it.  PT_ENOTFOUND when index >= store_txn_size(t),
 * PT_ECORRUPT when an entry inside the tree is missing.  One lookup.
 */
int
store_get_entry(struct store_txn *t, uint64_t index, const uint8_t **data,
    size_t *len)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	if (index >= t->size)
		return PT_ENOTFOUND;
	put_be64(kb, index);
	if ((rc = mdb_get(t->txn, t->s->entries, &k, &d)) != 0)
		return rc == MDB_NOTFOUND ? PT_ECORRUPT : map_err(rc);
	*data = d.mv_data;
	*len = d.mv_size;
	return 0;
}

/*
 * Entries first .. first+count-1 (count <= STORE_RANGE_MAX): data[i] and
 * len[i] as store_get_entry gives them (pointing into the map, valid until
 * store_read_end(t)), from one cursor walk instead of count lookups (an
 * entry bundle is 256 consecutive entries).  PT_EINVAL for count 0 or over
 * the maximum, PT_ENOTFOUND when any is beyond store_txn_size(t),
 * PT_ECORRUPT when one inside the tree is missing.  O(log n + count).
 */
int
store_get_entries(struct store_txn *t, uint64_t first, unsigned count,
    const uint8_t **data, size_t *len)
{
	MDB_cursor *c;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	int rc, err = 0;

	if (count == 0 || count > STORE_RANGE_MAX || data == NULL ||
	    len == NULL)
		return PT_EINVAL;
	if (first >= t->size || count > t->size - first)
		return PT_ENOTFOUND;
	if ((rc = mdb_cursor_open(t->txn, t->s->entries, &c)) != 0)
		return map_err(rc);
	put_be64(kb, first);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY);
	for (unsigned i = 0; i < count; i++) {
		if (i > 0)
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
		if (rc != 0) {
			err = rc == MDB_NOTFOUND ? PT_ECORRUPT : map_err(rc);
			break;
		}
		if (k.mv_size != 8 || get_be64(k.mv_data) != first + i) {
			err = PT_ECORRUPT;
			break;
		}
		data[i] = d.mv_data;
		len[i] = d.mv_size;
	}
	mdb_cursor_close(c);
	return err;
}

/*
 * Copy the hashes (level, n .. n+count-1) to out[0..count-1] (caller
 * owned).  PT_EINVAL for level > 63 or count 0; PT_ENOTFOUND when any of
 * them is not complete in t's tree; PT_ECORRUPT when one should be stored
 * and is not.  On a stored level (0, and 4 and above: every hash tile's)
 * one cursor range, O(log n + count / 16); on levels 1..3 one lookup and
 * up to 7 node hashes per hash.
 */
int
store_get_hashes(struct store_txn *t, unsigned level, uint64_t n,
    unsigned count, struct mt_hash *out)
{
	MDB_cursor *c;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t avail, g;
	unsigned done = 0;
	int rc, err = 0;

	if (level >= STORE_LEVELS || count == 0 || out == NULL)
		return PT_EINVAL;
	avail = t->size >> level;
	if (n >= avail || count > avail - n)
		return PT_ENOTFOUND;
	if (!STORED(level)) {
		for (unsigned i = 0; i < count; i++)
			if ((rc = hash_read(t->s, t->txn, &t->gc, t->size, level, n + i,
			    &out[i])) != 0)
				return rc;
		return 0;
	}
	if ((rc = mdb_cursor_open(t->txn, t->s->level[level], &c)) != 0)
		return map_err(rc);
	g = n >> GROUP_SHIFT;
	put_be64(kb, g);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY);
	while (done < count) {
		unsigned slot = (unsigned)((n + done) & (GROUP_SLOTS - 1));

		if (rc != 0) {
			err = rc == MDB_NOTFOUND ? PT_ECORRUPT : map_err(rc);
			break;
		}
		if (k.mv_size != 8 || get_be64(k.mv_data) != g ||
		    d.mv_size != GROUP_BYTES) {
			err = PT_ECORRUPT;
			break;
		}
		for (; slot < GROUP_SLOTS && done < count; slot++, done++)
			memcpy(out[done].b, (const uint8_t *)d.mv_data +
			    slot * MT_HASH_SIZE, MT_HASH_SIZE);
		g++;
		if (done < count)
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return err;
}

/*
 * Candidates for *leaf in one key range of dbi: the keys from kb (klen
 * bytes) on that share its first klen - LEAF_LOW_BYTES bytes; the index of
 * each is base | its low bits.  Each is confirmed against the full stored
 * hash (0, index).  0 with *index set, PT_ENOTFOUND, PT_EIO, PT_ECORRUPT.
 */
static int
leaf_range(struct store_txn *t, MDB_cursor *c, const uint8_t *kb,
    size_t klen, uint64_t base, const struct mt_hash *leaf, uint64_t *index)
{
	MDB_val k = { klen, (void *)(uintptr_t)kb }, d;
	struct mt_hash h;
	int rc, err = PT_ENOTFOUND;

	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		uint64_t idx;

		if (k.mv_size != klen)
			return PT_ECORRUPT;
		if (memcmp(kp, kb, klen - LEAF_LOW_BYTES) != 0)
			break;
		idx = base | (uint64_t)kp[klen - 2] << 8 | kp[klen - 1];
		if (idx >= t->size)
			return PT_ECORRUPT;
		if ((err = hash_read(t->s, t->txn, &t->gc, t->size, 0, idx,
		    &h)) != 0)
			return err;
		if (cr_memcmp(h.b, leaf->b, MT_HASH_SIZE) == 0) {
			*index = idx;
			return 0;
		}
		err = PT_ENOTFOUND;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return map_err(rc);
	return err;
}

/*
 * Lowest index whose leaf hash is *leaf.  One cursor range per complete
 * epoch of 65536 entries in leaves, oldest first, then one per part of
 * 4096 entries of the current epoch in leaves/new: candidates are the keys
 * with the hash's 4-byte prefix, each confirmed against the full stored
 * hash (0, index).  0, PT_ENOTFOUND, PT_EIO, PT_ECORRUPT.
 * O((n / 65536 + 16) log n + candidates).
 */
int
store_find_leaf(struct store_txn *t, const struct mt_hash *leaf,
    uint64_t *index)
{
	MDB_cursor *c;
	uint8_t kb[LEAF_KEY];
	uint64_t epochs = t->size >> LEAF_EPOCH_SHIFT;
	uint64_t cur = t->size & (LEAF_EPOCH - 1);
	uint64_t base = epochs << LEAF_EPOCH_SHIFT;
	int rc = 0, err = PT_ENOTFOUND;

	if ((rc = mdb_cursor_open(t->txn, t->s->leaves, &c)) != 0)
		return map_err(rc);
	for (uint64_t e = 0; e < epochs && err == PT_ENOTFOUND; e++) {
		leaf_key(kb, leaf->b, e << LEAF_EPOCH_SHIFT);
		err = leaf_range(t, c, kb, LEAF_KEY, e << LEAF_EPOCH_SHIFT,
		    leaf, index);
	}
	mdb_cursor_close(c);
	if (err != PT_ENOTFOUND || cur == 0)
		return err;
	if ((rc = mdb_cursor_open(t->txn, t->s->leaves_new, &c)) != 0)
		return map_err(rc);
	for (uint64_t p = 0; p <= (cur - 1) >> LEAF_SUB_SHIFT &&
	    err == PT_ENOTFOUND; p++) {
		leaf_new_key(kb, leaf->b, base | p << LEAF_SUB_SHIFT);
		err = leaf_range(t, c, kb, LEAF_NEW_KEY, base, leaf, index);
	}
	mdb_cursor_close(c);
	return err;
}

/*
 * Index of (submitter_id, id): 0, PT_ENOTFOUND, PT_EINVAL (id_len 0 or over
 * PT_MAX_ID), PT_EIO, PT_ECORRUPT.  Same key means same submitter and id
 * (the key is the submitter's office and the id's bytes, exact); the
 * caller compares content.  Two lookups (offices, ids).
 */
int
store_find_id(struct store_txn *t, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index)
{
	return find_id(t->s, t->txn, t->size, submitter_id, id, id_len, index);
}

static int
ckpt_value(const MDB_val *d, const char **note, size_t *len,
    uint64_t *time_ms)
{
	if (d->mv_size <= CKPT_HDR)
		return PT_ECORRUPT;
	if (time_ms != NULL)
		*time_ms = get_be64(d->mv_data);
	*note = (const char *)d->mv_data + CKPT_HDR;
	*len = d->mv_size - CKPT_HDR;
	return 0;
}

/*
 * Latest signed checkpoint visible to t: *note points into the map (not
 * NUL-terminated), valid until store_read_end(t).  size and time_ms may be
 * NULL.  0, PT_ENOTFOUND (none yet), PT_EIO, PT_ECORRUPT.  O(log n).
 */
int
store_latest_checkpoint(struct store_txn *t, const char **note, size_t *len,
    uint64_t *size, uint64_t *time_ms)
{
	MDB_cursor *c;
	MDB_val k, d;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, t->s->ckpts, &c)) != 0)
		return map_err(rc);
	rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	mdb_cursor_close(c);	/* k and d stay valid for the txn */
	if (rc != 0)
		return map_err(rc);
	if (k.mv_size != 8)
		return PT_ECORRUPT;
	if (size != NULL)
		*size = get_be64(k.mv_data);
	return ckpt_value(&d, note, len, time_ms);
}

/*
 * Checkpoint signed at exactly size: as store_latest_checkpoint (pointer
 * into the map, valid until store_read_end).  PT_ENOTFOUND.  O(log n).
 */
int
store_checkpoint_at(struct store_txn *t, uint64_t size, const char **note,
    size_t *len)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	put_be64(kb, size);
	if ((rc = mdb_get(t->txn, t->s->ckpts, &k, &d)) != 0)
		return map_err(rc);
	return ckpt_value(&d, note, len, NULL);
}

/* ---- maintenance ---- */

/*
 * Map use: *used = bytes up to the last page in use (freed pages inside it
 * are reused), *size = the map size.  Any thread.  0 or PT_EIO.  O(1).
 */
int
store_map_info(struct store *s, uint64_t *used, uint64_t *size)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	if ((rc = mdb_env_info(s->env, &info)) != 0 ||
	    (rc = mdb_env_stat(s->env, &st)) != 0)
		return map_err(rc);
	if (used != NULL)
		*used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	if (size != NULL)
		*size = info.me_mapsize;
	return 0;
}

/*
 * Grow the map to new_size bytes (rounded up to the page size).  No batch
 * and no read transaction of this process may be open (PT_EBUSY; the check
 * is best effort: the caller must make sure none begins meanwhile).
 * PT_EINVAL on a readonly store or when new_size is not larger.  O(1).
 */
int
store_grow(struct store *s, uint64_t new_size)
{
	MDB_envinfo info;
	long pg = sysconf(_SC_PAGESIZE);
	int rc;

	if (s->readonly)
		return PT_EINVAL;
	if (s->batch != NULL || atomic_load(&s->nread) != 0)
		return PT_EBUSY;
	if ((rc = mdb_env_info(s->env, &info)) != 0)
		return map_err(rc);
	if (pg > 0 && new_size % (uint64_t)pg != 0)
		new_size += (uint64_t)pg - new_size % (uint64_t)pg;
	if (new_size <= info.me_mapsize || new_size > SIZE_MAX)
		return PT_EINVAL;
	return map_err(mdb_env_set_mapsize(s->env, (size_t)new_size));
}

/* ---- full check ---- */

struct chk {
	struct store	*s;
	MDB_txn		*txn;
	MDB_cursor	*cur;
	struct store_check *res;
	char		*why;
	size_t		 whylen;
};

static void
chk_end(struct chk *c)
{
	if (c->cur != NULL)
		mdb_cursor_close(c->cur);
	if (c->txn != NULL)
		mdb_txn_abort(c->txn);
	c->cur = NULL;
	c->txn = NULL;
}

static int
chk_begin(struct chk *c)
{
	int rc;

	if ((rc = mdb_txn_begin(c->s->env, NULL, MDB_RDONLY, &c->txn)) != 0) {
		c->txn = NULL;
		return map_err(rc);
	}
	if ((rc = mdb_cursor_open(c->txn, c->s->entries, &c->cur)) != 0) {
		c->cur = NULL;
		chk_end(c);
		return map_err(rc);
	}
	return 0;
}

static int
chk_bad(struct chk *c, int kind, unsigned level, uint64_t n, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

static int
chk_bad(struct chk *c, int kind, unsigned level, uint64_t n, const char *fmt,
    ...)
{
	va_list ap;

	c->res->bad_kind = kind;
	c->res->level = level;
	c->res->n = n;
	c->res->index = level < 64 ? n << level : n;
	if (c->why != NULL && c->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	return PT_ECORRUPT;
}

/* Whether the leaves index has (h, i): in leaves, or in leaves/new when
 * i's epoch was not complete (yet) in c's snapshot. */
static int
chk_has_leafkey(struct chk *c, const struct mt_hash *h, uint64_t i, int *has)
{
	uint8_t kb[LEAF_KEY];
	MDB_val k = { LEAF_KEY, kb }, d;
	int rc;

	leaf_key(kb, h->b, i);
	rc = mdb_get(c->txn, c->s->leaves, &k, &d);
	if (rc == MDB_NOTFOUND) {
		leaf_new_key(kb, h->b, i);
		k.mv_size = LEAF_NEW_KEY;
		rc = mdb_get(c->txn, c->s->leaves_new, &k, &d);
	}
	*has = rc == 0;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc);
}

/* Structure: counts and the zero tail of each level's last group. */
static int
chk_structure(struct chk *c, uint64_t size)
{
	static const uint8_t zero[MT_HASH_SIZE];
	struct store *s = c->s;
	MDB_stat st;
	int rc, eb = 0;

	if ((rc = count_check(s, c->txn, size, c->why, c->whylen,
	    &eb)) != 0) {
		if (rc != PT_ECORRUPT)
			return rc;
		/* count_check wrote the reason; keep it. */
		c->res->bad_kind = eb ? STORE_BAD_ENTRY : STORE_BAD_INDEX;
		c->res->level = 64;
		c->res->n = c->res->index = size;
		return PT_ECORRUPT;
	}
	for (unsigned l = 0; l < STORE_LEVELS; l = NEXT_STORED(l)) {
		uint64_t have = size >> l;
		uint64_t want = (have + GROUP_SLOTS - 1) >> GROUP_SHIFT;
		uint8_t kb[8];
		MDB_val k = { 8, kb }, d;

		if ((rc = mdb_stat(c->txn, s->level[l], &st)) != 0)
			return map_err(rc);
		if (st.ms_entries != want)
			return chk_bad(c, STORE_BAD_HASH, l, have, "hash level "
			    "%u holds %zu groups, want %llu", l, st.ms_entries,
			    (unsigned long long)want);
		if ((have & (GROUP_SLOTS - 1)) == 0)
			continue;
		put_be64(kb, have >> GROUP_SHIFT);
		rc = mdb_get(c->txn, s->level[l], &k, &d);
		if (rc != 0 || d.mv_size != GROUP_BYTES)
			return chk_bad(c, STORE_BAD_HASH, l, have & ~(uint64_t)
			    (GROUP_SLOTS - 1), "hash level %u: last group "
			    "missing or malformed", l);
		for (unsigned j = (unsigned)(have & (GROUP_SLOTS - 1));
		    j < GROUP_SLOTS; j++)
			if (memcmp((const uint8_t *)d.mv_data + j *
			    MT_HASH_SIZE, zero, MT_HASH_SIZE) != 0)
				return chk_bad(c, STORE_BAD_HASH, l,
				    (have & ~(uint64_t)(GROUP_SLOTS - 1)) + j,
				    "hash (%u,%llu) stored beyond the tree", l,
				    (unsigned long long)((have &
				    ~(uint64_t)(GROUP_SLOTS - 1)) + j));
	}
	return 0;
}

/*
 * The ids and offices indexes, which the entries cannot be checked against
 * (the store does not parse entries): every offices record is a 32-byte
 * submitter id with a distinct number below the office count; every ids key
 * is office || length || id with a known office; and ids maps onto the
 * indexes 0 .. size-1, each exactly once.  ids keys of commits made after
 * size (appends may go on meanwhile) are skipped.  Chunks of
 * STORE_CHECK_CHUNK keys, one short read txn each.  O(n) reads, size / 8
 * bytes of memory.
 */
static int
chk_ids(struct chk *c, uint64_t size)
{
	struct store *s = c->s;
	uint8_t *seen = NULL, *oseen = NULL, last[IDS_KEY_MAX];
	size_t last_len = 0;
	uint64_t noff = 0, nseen = 0, tsize;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	int rc, err = 0, first = 1;

	if ((seen = calloc(size / 8 + 1, 1)) == NULL)
		return PT_ENOMEM;
	if ((err = chk_begin(c)) != 0)
		goto out;
	if ((err = meta_get(c->txn, s->meta, "offices", &noff)) != 0 ||
	    noff > size) {
		err = chk_bad(c, STORE_BAD_META, 64, size, "office count "
		    "record missing or out of range");
		goto out;
	}
	if ((oseen = calloc(noff / 8 + 1, 1)) == NULL) {
		err = PT_ENOMEM;
		goto out;
	}
	if ((rc = mdb_cursor_open(c->txn, s->offices, &cur)) != 0) {
		err = map_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *v = d.mv_data;
		uint32_t o;

		if (k.mv_size != 32 || d.mv_size != OFFICE_BYTES) {
			err = chk_bad(c, STORE_BAD_INDEX, 64, size,
			    "malformed offices record");
			goto out;
		}
		o = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
		    (uint32_t)v[2] << 8 | v[3];
		if (o >= noff || (oseen[o / 8] & (1u << (o % 8)))) {
			err = chk_bad(c, STORE_BAD_INDEX, 64, size, "office "
			    "number %lu out of range or used twice",
			    (unsigned long)o);
			goto out;
		}
		oseen[o / 8] |= (uint8_t)(1u << (o % 8));
	}
	if (rc != MDB_NOTFOUND) {
		err = map_err(rc);
		goto out;
	}
	mdb_cursor_close(cur);
	cur = NULL;

	for (;;) {
		uint64_t n = 0;

		if (!first) {
			chk_end(c);
			if ((err = chk_begin(c)) != 0)
				goto out;
		}
		if ((err = meta_get(c->txn, s->meta, "size", &tsize)) != 0)
			goto out;
		if ((rc = mdb_cursor_open(c->txn, s->ids, &cur)) != 0) {
			err = map_err(rc);
			goto out;
		}
		if (first)
			rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
		else {
			k.mv_size = last_len;
			k.mv_data = last;
			rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY);
			if (rc == 0)
				rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
		}
		first = 0;
		for (; rc == 0 && n < STORE_CHECK_CHUNK;
		    rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), n++) {
			const uint8_t *kb = k.mv_data;
			uint64_t idx;
			uint32_t o;

			if (k.mv_size < OFFICE_BYTES + 2 ||
			    k.mv_size > IDS_KEY_MAX ||
			    kb[OFFICE_BYTES] != k.mv_size - OFFICE_BYTES - 1 ||
			    d.mv_size != 8) {
				err = chk_bad(c, STORE_BAD_INDEX, 64, size,
				    "malformed ids record");
				goto out;
			}
			idx = get_be64(d.mv_data);
			if (idx >= tsize) {
				err = chk_bad(c, STORE_BAD_INDEX, 64, size,
				    "ids names index %llu beyond the tree",
				    (unsigned long long)idx);
				goto out;
			}
			memcpy(last, kb, k.mv_size);
			last_len = k.mv_size;
			if (idx >= size)
				continue;	/* appended after the check began */
			o = (uint32_t)kb[0] << 24 | (uint32_t)kb[1] << 16 |
			    (uint32_t)kb[2] << 8 | kb[3];
			if (o >= noff) {
				err = chk_bad(c, STORE_BAD_INDEX, 0, idx, "ids "
				    "record of entry %llu names unknown office "
				    "%lu", (unsigned long long)idx,
				    (unsigned long)o);
				goto out;
			}
			if (seen[idx / 8] & (1u << (idx % 8))) {
				err = chk_bad(c, STORE_BAD_INDEX, 0, idx, "two "
				    "ids records name entry %llu",
				    (unsigned long long)idx);
				goto out;
			}
			seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
			nseen++;
		}
		if (rc != 0 && rc != MDB_NOTFOUND) {
			err = map_err(rc);
			goto out;
		}
		mdb_cursor_close(cur);
		cur = NULL;
		if (rc == MDB_NOTFOUND)
			break;
	}
	if (nseen != size) {
		uint64_t i;

		for (i = 0; i < size && (seen[i / 8] & (1u << (i % 8))); i++)
			;
		err = chk_bad(c, STORE_BAD_INDEX, 0, i, "ids index lacks "
		    "entry %llu", (unsigned long long)i);
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	chk_end(c);
	free(seen);
	free(oseen);
	return err;
}

/*
 * Full check with a report (see store.h).  Returns 0 when everything agrees,
 * PT_ECORRUPT with res filled and a reason in why for the first problem,
 * or PT_EIO/PT_ENOMEM/PT_ECRYPTO when the check itself could not run.
 * Reads in chunks of 65536 entries, one short read txn each (entries below
 * the checked size never change, so appends may continue meanwhile);
 * progress runs between chunks with no txn open.  O(n) reads and hashes.
 */
int
store_check_full_report(struct store *s, struct store_check *res, char *why,
    size_t whylen,
    void (*progress)(uint64_t done, uint64_t total, void *ctx), void *ctx)
{
	struct chk c = { s, NULL, NULL, res, why, whylen };
	struct mt_hash pending[STORE_LEVELS], a, b, comp, stroot;
	struct mt_frontier f;
	struct mt_reader r;
	struct store_txn tx;
	MDB_cursor *cc;
	MDB_val k, d;
	uint64_t size = 0, ck = 0, i;
	int rc, err;

	memset(res, 0, sizeof(*res));
	res->bad_kind = STORE_BAD_NONE;
	res->index = UINT64_MAX;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	mt_frontier_init(&f);
	if ((err = chk_begin(&c)) != 0)
		return err;
	if ((err = meta_get(c.txn, s->meta, "size", &size)) != 0) {
		chk_end(&c);
		return err == PT_ENOTFOUND ? chk_bad(&c, STORE_BAD_META, 64, 0,
		    "no tree size record") : err;
	}
	res->size = size;
	if ((rc = mdb_cursor_open(c.txn, s->ckpts, &cc)) != 0) {
		chk_end(&c);
		return map_err(rc);
	}
	rc = mdb_cursor_get(cc, &k, &d, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		ck = get_be64(k.mv_data);
	mdb_cursor_close(cc);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		chk_end(&c);
		return map_err(rc);
	}
	if ((rc == MDB_NOTFOUND && size != 0) || (rc == 0 && ck != size)) {
		chk_end(&c);
		return chk_bad(&c, STORE_BAD_META, 64, size, "latest "
		    "checkpoint is at size %llu, the tree at %llu",
		    (unsigned long long)ck, (unsigned long long)size);
	}
	if ((err = chk_structure(&c, size)) != 0) {
		chk_end(&c);
		return err;
	}

	for (i = 0; i < size; i++) {
		uint64_t idx;
		unsigned lvl;
		int has;

		if (i != 0 && i % STORE_CHECK_CHUNK == 0) {
			chk_end(&c);
			if (progress != NULL)
				progress(i, size, ctx);
			if ((err = chk_begin(&c)) != 0)
				return err;
		}
		if (i % STORE_CHECK_CHUNK == 0) {
			uint8_t kb[8];

			put_be64(kb, i);
			k.mv_size = 8;
			k.mv_data = kb;
			rc = mdb_cursor_get(c.cur, &k, &d, MDB_SET_KEY);
		} else
			rc = mdb_cursor_get(c.cur, &k, &d, MDB_NEXT);
		if (rc != 0 && rc != MDB_NOTFOUND) {
			chk_end(&c);
			return map_err(rc);
		}
		if (rc == MDB_NOTFOUND || k.mv_size != 8 ||
		    get_be64(k.mv_data) != i) {
			chk_end(&c);
			return chk_bad(&c, STORE_BAD_ENTRY, 0, i, "entry %llu "
			    "missing", (unsigned long long)i);
		}
		if ((err = mt_leaf_hash(d.mv_data, d.mv_size, &a)) != 0) {
			chk_end(&c);
			return err;
		}
		err = hash_read_db(s, c.txn, NULL, size, 0, i, &b);
		if (err == PT_ECORRUPT) {
			chk_end(&c);
			return chk_bad(&c, STORE_BAD_HASH, 0, i, "leaf hash "
			    "(0,%llu) missing", (unsigned long long)i);
		}
		if (err != 0) {
			chk_end(&c);
			return err;
		}
		if (cr_memcmp(a.b, b.b, MT_HASH_SIZE) != 0) {
			int has_a, has_b;

			/* Which one changed?  The leaves index recorded the
			 * prefix of the hash the entry had when appended. */
			if ((err = chk_has_leafkey(&c, &a, i, &has_a)) != 0 ||
			    (err = chk_has_leafkey(&c, &b, i, &has_b)) != 0) {
				chk_end(&c);
				return err;
			}
			chk_end(&c);
			if (has_a)
				return chk_bad(&c, STORE_BAD_HASH, 0, i,
				    "stored leaf hash (0,%llu) differs from "
				    "the hash of entry %llu, which agrees with "
				    "the leaf index: the stored hash is damaged",
				    (unsigned long long)i,
				    (unsigned long long)i);
			return chk_bad(&c, STORE_BAD_ENTRY, 0, i, "entry %llu: "
			    "its bytes do not hash to the stored leaf hash "
			    "(0,%llu)%s", (unsigned long long)i,
			    (unsigned long long)i, has_b ? ", which agrees "
			    "with the leaf index: the entry bytes are damaged"
			    : "");
		}
		if ((err = chk_has_leafkey(&c, &a, i, &has)) != 0) {
			chk_end(&c);
			return err;
		}
		if (!has) {
			chk_end(&c);
			return chk_bad(&c, STORE_BAD_INDEX, 0, i, "leaf index "
			    "lacks entry %llu", (unsigned long long)i);
		}
		if ((err = mt_frontier_push(&f, &a)) != 0) {
			chk_end(&c);
			return err;
		}
		/* Each stored subtree this leaf completes, from its stored
		 * children (checked already, lower levels first). */
		for (idx = i, lvl = 0; idx & 1; idx >>= 1, lvl++) {
			if ((err = mt_node_hash(&pending[lvl], &b,
			    &comp)) != 0) {
				chk_end(&c);
				return err;
			}
			err = hash_read_db(s, c.txn, NULL, size, lvl + 1,
			    idx >> 1, &b);
			if (err != 0 && err != PT_ECORRUPT) {
				chk_end(&c);
				return err;
			}
			if (err == PT_ECORRUPT || cr_memcmp(comp.b, b.b,
			    MT_HASH_SIZE) != 0) {
				chk_end(&c);
				return chk_bad(&c, STORE_BAD_HASH, lvl + 1,
				    idx >> 1, "stored hash (%u,%llu) %s",
				    lvl + 1, (unsigned long long)(idx >> 1),
				    err == PT_ECORRUPT ? "missing" : "differs "
				    "from the hash of its stored children");
			}
		}
		pending[lvl] = b;
	}
	/* The root two ways: from the entries, and from the stored hashes. */
	if ((err = mt_frontier_root(&f, &res->root)) != 0) {
		chk_end(&c);
		return err;
	}
	tx.s = s;
	tx.txn = c.txn;
	tx.size = size;
	memset(&tx.gc, 0, sizeof(tx.gc));
	store_txn_reader(&tx, &r);
	err = mt_root(&r, size, &stroot);
	chk_end(&c);
	if (err != 0)
		return err;
	if (cr_memcmp(stroot.b, res->root.b, MT_HASH_SIZE) != 0)
		return chk_bad(&c, STORE_BAD_HASH, 64, size, "root from the "
		    "stored hashes differs from the root of the entries");
	if ((err = chk_ids(&c, size)) != 0)
		return err;
	if (progress != NULL)
		progress(size, size, ctx);
	return 0;
}

/*
 * Full check (see store.h); *bad gets the first bad leaf index (the first
 * leaf under a bad hash), UINT64_MAX when all is well.
 */
int
store_check_full(struct store *s, uint64_t *bad, char *why, size_t whylen,
    void (*progress)(uint64_t done, uint64_t total, void *ctx), void *ctx)
{
	struct store_check res;
	int rc;

	rc = store_check_full_report(s, &res, why, whylen, progress, ctx);
	if (bad != NULL)
		*bad = res.index;
	return rc;
}

/* ---- the copy outside LMDB ---- */

/*
 * Rewrite DIR/checkpoint from the latest checkpoint in the store (for
 * start-up, after checking that the copy is not ahead of the store: a commit
 * whose copy could not be written leaves the copy one checkpoint behind).
 * PT_EINVAL on a readonly store, PT_ENOTFOUND when there is no checkpoint,
 * PT_EIO.  O(note length).
 */
int
store_sync_checkpoint_copy(struct store *s)
{
	struct store_txn *t;
	const char *note;
	char *copy;
	size_t len;
	int rc;

	if (s->readonly)
		return PT_EINVAL;
	if ((rc = store_read_begin(s, &t)) != 0)
		return rc;
	if ((rc = store_latest_checkpoint(t, &note, &len, NULL, NULL)) != 0) {
		store_read_end(t);
		return rc;
	}
	if ((copy = malloc(len)) == NULL) {
		store_read_end(t);
		return PT_ENOMEM;
	}
	memcpy(copy, note, len);
	store_read_end(t);
	rc = write_copy(s->dir, copy, len);
	free(copy);
	return rc;
}

/*
 * Read the newest valid slot of DIR/checkpoint into a new NUL-terminated
 * heap buffer (*note, freed by the caller with free()).  PT_ENOTFOUND when
 * the file is absent, PT_EMALFORMED when no slot is valid, PT_ENOMEM,
 * PT_EIO.  O(COPY_SLOT).
 */
int
store_read_checkpoint_copy(const char *dir, char **note, size_t *len)
{
	char path[4096];
	struct copy_slot cs[2];
	uint8_t *bufs;
	int fd, best, rc;

	*note = NULL;
	*len = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/checkpoint", dir) >=
	    sizeof(path))
		return PT_EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? PT_ENOTFOUND : PT_EIO;
	if ((bufs = calloc(2, COPY_SLOT)) == NULL) {
		close(fd);
		return PT_ENOMEM;
	}
	rc = copy_read_slots(fd, bufs, cs, &best);
	close(fd);
	if (rc == 0 && best < 0)
		rc = PT_EMALFORMED;
	if (rc == 0 && (*note = malloc(cs[best].len + 1)) == NULL)
		rc = PT_ENOMEM;
	if (rc == 0) {
		memcpy(*note, bufs + best * COPY_SLOT + COPY_HDR, cs[best].len);
		(*note)[cs[best].len] = '\0';
		*len = cs[best].len;
	}
	free(bufs);
	return rc;
}
