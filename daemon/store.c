/*
 * store.c: the log's LMDB storage: open and close, batches, read
 * transactions.  (store_int.h lists the store's other files.)
 *
 * One LMDB environment in DIR holds the whole log.  A write transaction
 * holds one whole batch, so entries, hashes, indexes and the batch's signed
 * checkpoint become durable together (one fsync of the data pages, one
 * O_DSYNC meta-page write) or not at all.  LMDB is opened with its default,
 * durable flags plus MDB_NOTLS (read transactions are objects, not
 * thread-local state: the HTTP thread and the sequencer both read); never
 * with a flag that trades durability or locking away (no-sync,
 * no-meta-sync, write-map, map-async, no-lock).  Beside the environment,
 * DIR/pubtraild.lock keeps a second writer out and DIR/checkpoint holds a
 * copy of the latest signed checkpoint (datadir.c).
 *
 * Layout, format 3 (meta "version"; a store of another format is refused
 * at open, naming both; there is no conversion).  Keys are big-endian, so
 * that LMDB's memcmp order is numeric order:
 *
 *   database    key                               value
 *   entries     index (8)                         entry bytes
 *   hash/LL     n >> 4 (8)                        16 hashes (512): slots
 *   (LL = 00, 04 .. 63)                           (L, 16g) .. (L, 16g+15)
 *   leaves      index >> 16 (6) || leaf hash[0..4) empty
 *               || index & 0xffff (2)
 *   leaves/new  (index & 0xffff) >> 12 (1)        empty
 *               || leaf hash[0..4) || index & 0xffff (2)
 *   ids         office (4) || id length (1) || id index (8)
 *   offices     submitter id (32)                 office (4)
 *   checkpoints size (8)                          time_ms (8) || note bytes
 *   office_keys index (8)                         empty
 *   meta        "version" / "size" / "time" /     uint64 (8)
 *               "offices" (the next office number)
 *
 * Why this shape.  An fsynced commit costs the pages it dirties, and LMDB
 * splits a full page in the middle unless the insert is an MDB_APPEND,
 * which leaves the left page full.  So every database takes its inserts on
 * as few pages as possible, and at its end where it can:
 *
 *  - entries and the hashes are keyed by position, only grow, and are
 *    written with MDB_APPEND: their pages end full.
 *  - hashes (store_groups.c): levels 1..3, 7/8 of the internal nodes, are
 *    not stored but hashed up from the level-0 group holding their leaves
 *    (at most 7 node hashes), so an entry costs 1.125 stored hashes.  Each
 *    stored level has its own database, because the levels' writes
 *    interleave, and 16 hashes share one value: created zero-filled with
 *    MDB_APPEND, filled by same-size rewrites that LMDB does in place.  A
 *    hash tile (level 8T, 256 hashes) is one cursor range.  Read
 *    transactions take a proof's nodes at levels 0..3 and 4..7 from one
 *    group each, and levels 12 and above (size / 4096 hashes) from memory.
 *  - ids (store_index.c): a submitter's small office number, then the id's
 *    bytes: an exact key, so deduplication never gives a false positive;
 *    and as offices number their records mostly in order, a batch's new
 *    keys land at the end of each office's range, a few pages per office.
 *  - leaves (store_index.c): keys by leaf-hash prefix are random, so the
 *    current epoch of 65,536 entries takes them in leaves/new, in 16 parts
 *    of 4,096 (a batch touches one part); the append that completes the
 *    epoch moves it, sorted, into leaves with MDB_APPEND, and a finished
 *    epoch is never written again.  A lookup reads a range per epoch and
 *    confirms each candidate against the stored leaf hash.
 *
 * docs/STORAGE.md has the measured cost of each database and the formats
 * this one replaced.
 *
 * Appending.  An entry is copied into its place in the map (MDB_RESERVE)
 * and its leaf hash recomputed from the bytes as stored and compared with
 * the caller's: a leaf hash flipped in memory never enters the tree.  The
 * subtrees a leaf completes are hashed from the batch's right edge (read
 * once at batch begin); a group is put when it completes and the partial
 * ones once before the batch is read or committed.  store_batch_root reads
 * the root back from what was written; nothing is taken from memory.
 *
 * Invariants, checked cheaply at every open (O(64) reads) and fully by
 * store_check_full (store_check.c): meta size == number of entries ==
 * number of ids keys; leaves holds the keys of the complete epochs and
 * leaves/new those of the current one; meta offices == number of offices
 * records <= size; stored level L holds ceil((size >> L) / 16) groups; the
 * latest checkpoint is at exactly the meta size.  Commits keep two more: a
 * commit that appended entries carries a checkpoint, and checkpoint times
 * never go backwards.
 *
 * Errors.  A failed operation poisons the batch (PT_EPOISONED from every
 * later call) until store_batch_abort, as LMDB does to its txn.
 * MDB_MAP_FULL, ENOSPC, EDQUOT and EFBIG are PT_EFULL: the transaction is
 * aborted and nothing was written (LMDB writes the meta page last).  LMDB
 * 0.9 reports a disk that fills during a commit as EIO ("short write,
 * filesystem full?"), so a commit's EIO while DIR's filesystem has less
 * than STORE_LOW_SPACE free is PT_EFULL too.  Once LMDB marked the
 * environment fatal (MDB_PANIC) the answer is PT_EIO, and the caller must
 * exit.  After PT_EFULL the store keeps working for reads and, after
 * store_grow or once disk space is freed, for writes.
 *
 * Threads: one batch at a time, from one thread.  Read transactions may be
 * begun from any thread; each is used by one thread at a time.  Keep them
 * short: an open read transaction pins the pages it sees.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "datadir.h"
#include "store_int.h"

#define STORE_MAX_DBS		80	/* 61 stored levels + 7 + slack */
#define STORE_MAX_READERS	512	/* concurrent read txns, all processes */
#define STORE_DEFAULT_MAP	(64ULL << 30)
#define STORE_LOW_SPACE		(64ULL << 20) /* EIO below this free: full */

/* ---- helpers shared by the store's files ---- */

int
store_map_err(int rc)
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

int
store_meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *v)
{
	MDB_val k = { strlen(name), (void *)(uintptr_t)name }, d;
	int rc;

	if ((rc = mdb_get(txn, dbi, &k, &d)) != 0)
		return store_map_err(rc);
	if (d.mv_size != 8)
		return PT_ECORRUPT;
	*v = get_be64(d.mv_data);
	return 0;
}

int
store_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v)
{
	uint8_t b[8];
	MDB_val k = { strlen(name), (void *)(uintptr_t)name }, d = { 8, b };

	put_be64(b, v);
	return store_map_err(mdb_put(txn, dbi, &k, &d, 0));
}

int
store_count_check(const struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why, int *entries_bad)
{
	const MDB_dbi dbi[4] = { s->entries, s->ids, s->leaves, s->leaves_new };
	const char *name[4] = { "entries", "ids", "leaves", "leaves/new" };
	const uint64_t want[4] = { size, size, size & ~(LEAF_EPOCH - 1),
	    size & (LEAF_EPOCH - 1) };
	MDB_stat st;
	int rc;

	for (int i = 0; i < 4; i++) {
		if ((rc = mdb_stat(txn, dbi[i], &st)) != 0)
			return store_map_err(rc);
		if (st.ms_entries != want[i]) {
			if (entries_bad != NULL)
				*entries_bad = i == 0;
			return pt_why_set(why, PT_ECORRUPT, "%s: %s holds %zu "
			    "records, want %llu for tree size %llu", s->dir,
			    name[i], st.ms_entries, (unsigned long long)want[i],
			    (unsigned long long)size);
		}
	}
	return 0;
}

/* ---- opening: one phase per function ---- */

/* The named databases other than meta and hash/LL. */
static const struct {
	const char	*name;
	size_t		 off;		/* of the MDB_dbi in struct store */
} named_dbs[] = {
	{ "entries",	 offsetof(struct store, entries) },
	{ "leaves",	 offsetof(struct store, leaves) },
	{ "leaves/new",	 offsetof(struct store, leaves_new) },
	{ "ids",	 offsetof(struct store, ids) },
	{ "offices",	 offsetof(struct store, offices) },
	{ "checkpoints", offsetof(struct store, ckpts) },
};

/* A failed mdb_dbi_open: a missing database means this is no store. */
static int
dbi_err(const struct store *s, int rc, struct pt_why *why)
{
	if (rc == MDB_NOTFOUND)
		return pt_why_set(why, PT_ENOTFOUND, "%s: not a pubtrail store "
		    "(no databases)", s->dir);
	return pt_why_set(why, store_map_err(rc), "%s: cannot open "
	    "databases: %s", s->dir, mdb_strerror(rc));
}

/*
 * Open meta and read the format version, once: *fresh when there is none
 * yet (a new store).  Another format is refused before anything else is
 * opened (an older store lacks databases this one has).
 */
static int
format_check(struct store *s, MDB_txn *txn, unsigned flags, int *fresh,
    struct pt_why *why)
{
	uint64_t version = 0;
	int rc, err;

	*fresh = 0;
	if ((rc = mdb_dbi_open(txn, "meta", flags, &s->meta)) != 0)
		return dbi_err(s, rc, why);
	err = store_meta_get(txn, s->meta, "version", &version);
	if (err == PT_ENOTFOUND) {
		*fresh = 1;
		return 0;
	}
	if (err != 0)
		return pt_why_set(why, err, "%s: bad format version record",
		    s->dir);
	if (version != STORE_FORMAT)
		return pt_why_set(why, PT_ECORRUPT, "%s: store format %llu, "
		    "this program reads only format %d (no conversion exists: "
		    "keep the old program for this store, or start a new log "
		    "in an empty directory)", s->dir,
		    (unsigned long long)version, STORE_FORMAT);
	return 0;
}

/* Open (flags: MDB_CREATE on a writable store) every other database. */
static int
dbs_open(struct store *s, MDB_txn *txn, unsigned flags, struct pt_why *why)
{
	char name[16];
	int rc;

	for (size_t i = 0; i < sizeof(named_dbs) / sizeof(named_dbs[0]); i++)
		if ((rc = mdb_dbi_open(txn, named_dbs[i].name, flags,
		    (MDB_dbi *)(void *)((char *)s + named_dbs[i].off))) != 0)
			return dbi_err(s, rc, why);
	for (unsigned l = 0; l < STORE_LEVELS; l = NEXT_STORED(l)) {
		snprintf(name, sizeof(name), "hash/%02u", l);
		if ((rc = mdb_dbi_open(txn, name, flags, &s->level[l])) != 0)
			return dbi_err(s, rc, why);
	}
	return 0;
}

/* A store without a format version: initialise it (writable and empty),
 * or refuse. */
static int
store_init(struct store *s, MDB_txn *txn, struct pt_why *why)
{
	MDB_stat st;
	int rc, err;

	if ((rc = mdb_stat(txn, s->entries, &st)) != 0)
		return store_map_err(rc);
	if (st.ms_entries != 0)
		return pt_why_set(why, PT_ECORRUPT, "%s: entries without a "
		    "format version", s->dir);
	if (s->readonly)
		return pt_why_set(why, PT_ENOTFOUND, "%s: store never "
		    "initialised", s->dir);
	if ((err = store_meta_put(txn, s->meta, "version", STORE_FORMAT)) != 0 ||
	    (err = store_meta_put(txn, s->meta, "size", 0)) != 0 ||
	    (err = store_meta_put(txn, s->meta, "offices", 0)) != 0 ||
	    (err = store_meta_put(txn, s->meta, "time", 0)) != 0)
		return pt_why_set(why, err, "%s: cannot initialise: %s",
		    s->dir, pt_strerror(err));
	return 0;
}

static int
size_load(const struct store *s, MDB_txn *txn, uint64_t *size,
    struct pt_why *why)
{
	int err;

	if ((err = store_meta_get(txn, s->meta, "size", size)) != 0)
		return pt_why_set(why, err, "%s: no tree size record", s->dir);
	if (*size > PT_MAX_TREE_SIZE)
		return pt_why_set(why, PT_ECORRUPT, "%s: tree size %llu out "
		    "of range", s->dir, (unsigned long long)*size);
	return 0;
}

/* meta offices == number of offices records <= size, and fits 32 bits. */
static int
offices_count_check(const struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why)
{
	MDB_stat st;
	uint64_t noff = 0;
	int rc, err;

	if ((err = store_meta_get(txn, s->meta, "offices", &noff)) != 0)
		return pt_why_set(why, err, "%s: no office count record",
		    s->dir);
	if ((rc = mdb_stat(txn, s->offices, &st)) != 0)
		return store_map_err(rc);
	if (st.ms_entries != noff || noff > (uint64_t)OFFICE_MAX + 1 ||
	    noff > size)
		return pt_why_set(why, PT_ECORRUPT, "%s: offices holds %zu "
		    "records, the office count is %llu (tree size %llu)",
		    s->dir, st.ms_entries, (unsigned long long)noff,
		    (unsigned long long)size);
	return 0;
}

/* Stored level L holds ceil((size >> L) / 16) groups. */
static int
groups_count_check(const struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why)
{
	MDB_stat st;
	int rc;

	for (unsigned l = 0; l < STORE_LEVELS; l = NEXT_STORED(l)) {
		uint64_t want = ((size >> l) + GROUP_SLOTS - 1) >> GROUP_SHIFT;

		if ((rc = mdb_stat(txn, s->level[l], &st)) != 0)
			return store_map_err(rc);
		if (st.ms_entries != want)
			return pt_why_set(why, PT_ECORRUPT, "%s: hash level %u "
			    "holds %zu groups, want %llu for tree size %llu",
			    s->dir, l, st.ms_entries, (unsigned long long)want,
			    (unsigned long long)size);
	}
	return 0;
}

/* The latest checkpoint is at exactly the tree size (none for size 0). */
static int
latest_ckpt_check(const struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why)
{
	MDB_cursor *c;
	MDB_val k, d;
	int rc, err = 0;

	if ((rc = mdb_cursor_open(txn, s->ckpts, &c)) != 0)
		return store_map_err(rc);
	rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		if (size != 0)
			err = pt_why_set(why, PT_ECORRUPT, "%s: tree size %llu "
			    "without a signed checkpoint", s->dir,
			    (unsigned long long)size);
	} else if (rc != 0)
		err = store_map_err(rc);
	else if (k.mv_size != 8 || get_be64(k.mv_data) != size)
		err = pt_why_set(why, PT_ECORRUPT, "%s: latest checkpoint is "
		    "not at the tree size %llu", s->dir,
		    (unsigned long long)size);
	mdb_cursor_close(c);
	return err;
}

/* The phases of open_dbs inside its one txn; *size gets the tree size. */
static int
dbs_load(struct store *s, MDB_txn *txn, uint64_t *size, struct pt_why *why)
{
	unsigned flags = s->readonly ? 0 : MDB_CREATE;
	int fresh, err;

	if ((err = format_check(s, txn, flags, &fresh, why)) != 0 ||
	    (err = dbs_open(s, txn, flags, why)) != 0 ||
	    (fresh && (err = store_init(s, txn, why)) != 0) ||
	    (err = store_corr_open(s, txn, fresh, why)) != 0 ||
	    (err = size_load(s, txn, size, why)) != 0 ||
	    (err = store_count_check(s, txn, *size, why, NULL)) != 0 ||
	    (err = offices_count_check(s, txn, *size, why)) != 0 ||
	    (err = groups_count_check(s, txn, *size, why)) != 0 ||
	    (err = latest_ckpt_check(s, txn, *size, why)) != 0 ||
	    (err = store_idx_okeys_open(s, txn, *size, why)) != 0)
		return err;
	if ((err = store_upper_load(s, txn, *size)) != 0)
		return pt_why_set(why, err, "%s: cannot read the hashes of "
		    "levels %d and above: %s", s->dir, UPPER_LEVEL,
		    pt_strerror(err));
	return 0;
}

/* Open (on a new writable store, create and initialise) the databases;
 * check the cheap invariants; load the size and the upper levels; one
 * txn.  O(64 + size / 4096) lookups. */
static int
open_dbs(struct store *s, struct pt_why *why)
{
	MDB_txn *txn;
	uint64_t size = 0;
	int rc, err;

	rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return pt_why_set(why, store_map_err(rc), "%s: cannot begin: "
		    "%s", s->dir, mdb_strerror(rc));
	if ((err = dbs_load(s, txn, &size, why)) != 0) {
		mdb_txn_abort(txn);
		if (why != NULL && why->text[0] == '\0')
			pt_why_set(why, err, "%s: %s", s->dir,
			    pt_strerror(err));
		return err;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return pt_why_set(why, store_map_err(rc), "%s: cannot commit: "
		    "%s", s->dir, mdb_strerror(rc));
	atomic_store(&s->size, size);
	return 0;
}

/* Create the LMDB environment in s->dir and clear stale reader slots. */
static int
env_open(struct store *s, const struct store_opts *o, struct pt_why *why)
{
	uint64_t map = STORE_DEFAULT_MAP;
	int rc, dead = 0;

	if (o != NULL && o->map_size != 0)
		map = o->map_size;
	if ((rc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		return pt_why_set(why, store_map_err(rc), "%s: %s", s->dir,
		    mdb_strerror(rc));
	}
	if ((rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, STORE_MAX_READERS)) != 0 ||
	    ((!s->readonly || (o != NULL && o->map_size != 0)) &&
	    (rc = mdb_env_set_mapsize(s->env, (size_t)map)) != 0))
		return pt_why_set(why, store_map_err(rc), "%s: %s", s->dir,
		    mdb_strerror(rc));
	/* Default (durable) flags; MDB_NOTLS: read txns are objects. */
	rc = mdb_env_open(s->env, s->dir, MDB_NOTLS |
	    (s->readonly ? MDB_RDONLY : 0), 0600);
	if (rc != 0)
		return pt_why_set(why, store_map_err(rc), "%s: cannot open the "
		    "LMDB environment: %s", s->dir, mdb_strerror(rc));
	if ((rc = mdb_reader_check(s->env, &dead)) != 0)
		return pt_why_set(why, store_map_err(rc), "%s: reader check: "
		    "%s", s->dir, mdb_strerror(rc));
	return 0;
}

static void
store_free(struct store *s)
{
	if (s->env != NULL)
		mdb_env_close(s->env);
	datadir_unlock(s->lockfd);	/* after LMDB let go of DIR */
	store_upper_free(s);
	free(s->dir);
	free(s);
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
    struct pt_why *why)
{
	struct store *s;
	int err = 0;

	if (why != NULL)
		why->text[0] = '\0';
	if (dir == NULL || out == NULL || dir[0] == '\0')
		return pt_why_set(why, PT_EINVAL, "no store directory");
	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PT_ENOMEM;
	s->lockfd = -1;
	s->readonly = o != NULL && o->readonly;
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return PT_ENOMEM;
	}
	if (!s->readonly && mkdir(dir, 0700) == -1 && errno != EEXIST)
		err = pt_why_set(why, PT_EIO, "%s: %s", dir, strerror(errno));
	if (err == 0 && !s->readonly)
		err = datadir_lock(dir, &s->lockfd, why);
	if (err == 0 && (err = env_open(s, o, why)) == 0)
		err = open_dbs(s, why);
	if (err != 0) {
		store_free(s);
		return err;
	}
	*out = s;
	return 0;
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
	store_free(s);
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
	return store_map_err(rc);
}

/* ---- writing ---- */

/*
 * Begin the one write batch (one LMDB write txn).  PT_EINVAL on a readonly
 * store, PT_EBUSY when a batch is already open, PT_EIO/PT_ENOMEM from LMDB,
 * PT_ECORRUPT when the stored size disagrees with the last commit.  *out is
 * owned by the store until store_batch_commit or store_batch_abort.
 * O(levels) lookups (the right edge).
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
		return store_map_err(rc);
	}
	if ((rc = store_meta_get(b->txn, s->meta, "size", &size)) != 0 ||
	    size != atomic_load(&s->size)) {
		mdb_txn_abort(b->txn);
		free(b);
		return rc != 0 ? rc : PT_ECORRUPT;
	}
	b->base = b->size = size;
	if ((rc = store_grp_edge_load(b)) != 0) {
		mdb_txn_abort(b->txn);
		free(b);
		return rc;
	}
	s->batch = b;
	*out = b;
	return 0;
}

/* Entry i's bytes, copied into their place in the map (MDB_RESERVE: the
 * bytes are written once); *got gets their leaf hash, recomputed from the
 * bytes as stored. */
static int
entry_put(struct store_batch *b, uint64_t i, const uint8_t *entry,
    size_t len, struct mt_hash *got)
{
	uint8_t ikey[8];
	MDB_val k = { 8, ikey }, d = { len, NULL };
	int rc;

	put_be64(ikey, i);
	rc = mdb_put(b->txn, b->s->entries, &k, &d, MDB_APPEND | MDB_RESERVE);
	if (rc == MDB_KEYEXIST)
		return PT_ECORRUPT;
	if (rc != 0)
		return store_map_err(rc);
	if (d.mv_size != len)
		return PT_ECORRUPT;
	if (len > 0)
		memcpy(d.mv_data, entry, len);
	return mt_leaf_hash(d.mv_data, len, got);
}

/*
 * Append one entry at index store_batch_size(b) (see store.h): its ids key
 * first (a duplicate must not write anything else), the entry bytes, its
 * leaves key, the hashes it completes.  The entry bytes are hashed again
 * as stored and must give *leaf (PT_ECORRUPT otherwise).  Errors, all of
 * which poison the batch: PT_EPOISONED, PT_EINVAL (len > PT_MAX_ENTRY,
 * id_len 0 or > PT_MAX_ID, after set_checkpoint), PT_ERANGE (tree full, or
 * 2^32 offices), PT_ECONFLICT (submitter and id already in the log or the
 * batch: use store_batch_find_id first), PT_EFULL (map or disk full),
 * PT_ECORRUPT, PT_EIO.  Copies its inputs.  O(log n) B-tree operations.
 */
int
store_batch_append(struct store_batch *b, const uint8_t *entry, size_t len,
    const struct mt_hash *leaf, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index)
{
	struct mt_hash got;
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
	if ((rc = store_idx_put_id(b, i, submitter_id, id, id_len)) != 0 ||
	    (rc = entry_put(b, i, entry, len, &got)) != 0)
		return poison(b, rc);
	if (cr_memcmp(got.b, leaf->b, MT_HASH_SIZE) != 0)
		return poison(b, PT_ECORRUPT);
	if ((rc = store_idx_put_leaf(b, i, leaf)) != 0 ||
	    (rc = store_grp_append(b, i, &got)) != 0)
		return poison(b, rc);
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
 * Root of the batch's tree, read back from the transaction through
 * mt_root (never from memory).  Errors poison.  O(log n) lookups.
 */
int
store_batch_root(struct store_batch *b, struct mt_hash *root)
{
	struct mt_reader r;
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	store_batch_reader(b, &r);
	if ((rc = mt_root(&r, b->size, root)) != 0)
		return poison(b, rc);
	return 0;
}

/*
 * Record the signed checkpoint note (1..PT_LOG_NOTE_MAX bytes, copied) for
 * the batch's current size, with its time.  Setting it again in the same
 * batch replaces it; so does a batch that only re-signs the same size (e.g.
 * with added cosignatures).  No append may follow (PT_EINVAL).  Errors poison:
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
	if ((rc = store_meta_get(b->txn, s->meta, "time", &last)) != 0)
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
		return poison(b, store_map_err(rc));
	}
	put_be64(d.mv_data, time_ms);
	memcpy((uint8_t *)d.mv_data + CKPT_HDR, note, len);
	if ((rc = store_meta_put(b->txn, s->meta, "time", time_ms)) != 0) {
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
	if (store_map_err(rc) == PT_EFULL)
		return PT_EFULL;
	if (rc == EIO && statvfs(s->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < STORE_LOW_SPACE)
		return PT_EFULL;
	return PT_EIO;
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
	if ((b->dirty && (err = store_grp_flush(b)) != 0) ||
	    (b->size != b->base &&
	    (err = store_meta_put(b->txn, s->meta, "size", b->size)) != 0) ||
	    (err = store_corr_commit_mark(b)) != 0) {
		store_batch_abort(b);
		return err;
	}
	rc = mdb_txn_commit(b->txn);	/* frees the txn, even on failure */
	b->txn = NULL;
	if (rc != 0)
		err = commit_err(s, rc);
	else {
		store_upper_commit(b);
		store_corr_committed(b);
		atomic_store(&s->size, b->size);
		if (b->has_ckpt)
			err = datadir_copy_write(s->dir, b->note, b->note_len);
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
		return store_map_err(rc);
	}
	if ((rc = store_meta_get(t->txn, s->meta, "size", &t->size)) != 0) {
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
		return rc == MDB_NOTFOUND ? PT_ECORRUPT : store_map_err(rc);
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
		return store_map_err(rc);
	put_be64(kb, first);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY);
	for (unsigned i = 0; i < count; i++) {
		if (i > 0)
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
		if (rc != 0) {
			err = rc == MDB_NOTFOUND ? PT_ECORRUPT :
			    store_map_err(rc);
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
		return store_map_err(rc);
	rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	mdb_cursor_close(c);	/* k and d stay valid for the txn */
	if (rc != 0)
		return store_map_err(rc);
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
		return store_map_err(rc);
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
		return store_map_err(rc);
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
		return store_map_err(rc);
	if (pg > 0 && new_size % (uint64_t)pg != 0)
		new_size += (uint64_t)pg - new_size % (uint64_t)pg;
	if (new_size <= info.me_mapsize || new_size > SIZE_MAX)
		return PT_EINVAL;
	return store_map_err(mdb_env_set_mapsize(s->env, (size_t)new_size));
}

/* ---- the copy outside LMDB (datadir.c) ---- */

/*
 * Rewrite DIR/checkpoint from the latest checkpoint in the store (for
 * start-up, after checking that the copy is not ahead of the store: a commit
 * whose copy could not be written leaves the copy one checkpoint behind).
 * PT_EINVAL on a readonly store, PT_ENOTFOUND when there is no checkpoint,
 * PT_ENOMEM, PT_EIO.  O(note length).
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
	rc = datadir_copy_write(s->dir, copy, len);
	free(copy);
	return rc;
}

/* The newest valid slot of DIR/checkpoint (datadir_copy_read). */
int
store_read_checkpoint_copy(const char *dir, char **note, size_t *len)
{
	return datadir_copy_read(dir, note, len);
}
