/*
 * store.h: the log's LMDB storage, the one interface the rest of pubtrail
 * uses.  Only the store's files (daemon/store*.c) include lmdb.h; MDB_*
 * codes never leave them.  (Design essay at the top of store.c; the files
 * are listed in store_int.h; figures and history in docs/STORAGE.md.)
 *
 * One environment in DIR (data.mdb, lock.mdb) plus DIR/pubtraild.lock (an
 * exclusive flock held for the life of the process: one writer) and
 * DIR/checkpoint (a copy of the latest signed checkpoint, written after each
 * commit into one of two preallocated slots, then fdatasync); those two are
 * datadir.c's.
 *
 * Named databases (format 3): entries (index -> entry bytes), hash/LL
 * (complete subtree hashes of level 0 and of the levels 4 .. 63, 16 to a
 * value; levels 1..3 are hashed up from level 0 when read), leaves
 * (complete epochs of 65536: epoch || leaf hash prefix || index ->
 * nothing) and leaves/new (the current epoch), ids (office || id length || record id -> index),
 * offices (submitter id -> office number), checkpoints (size -> signed
 * note), meta.  A store of another format is refused at open (PT_ECORRUPT,
 * naming both versions).
 *
 * A write batch is one LMDB write transaction: entries, hashes, indexes and
 * the new checkpoint commit together or not at all.  A failed operation
 * poisons the batch (later calls return PT_EPOISONED) until aborted.
 * Durability flags are LMDB's defaults (fsync on commit); never NOSYNC.
 */
#ifndef PT_STORE_H
#define PT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"

struct pt_why;
struct store;
struct store_batch;
struct store_txn;

struct store_opts {
	uint64_t map_size;		/* bytes; 0 = default (64 GiB) */
	int readonly;			/* for tools: no lock, no writes */
};

/*
 * Open (creating when absent) the store in dir.  Takes the exclusive lock
 * (PT_EBUSY with a clear message in why when another process holds it),
 * clears stale reader slots (mdb_reader_check).  why (may be NULL) gets a
 * reason on every failure but PT_ENOMEM.  *out is freed by store_close().
 * PT_EINVAL, PT_EIO, PT_ENOMEM, PT_EBUSY, PT_ECORRUPT, PT_ENOTFOUND.
 */
int store_open(const char *dir, const struct store_opts *o,
    struct store **out, struct pt_why *why);
void store_close(struct store *s);

/* Tree size recorded by the last commit (0 for a new store). */
uint64_t store_size(const struct store *s);

/* --- writing: one batch at a time, from one thread --- */
int store_batch_begin(struct store *s, struct store_batch **out);
/*
 * Append one entry at index store_size()+k (k-th in this batch): stores the
 * entry, its leaf hash -> index, submitter id || record id -> index, and the
 * complete-subtree hashes it completes (mt_append).  *index gets its index.
 */
int store_batch_append(struct store_batch *b, const uint8_t *entry,
    size_t len, const struct mt_hash *leaf, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index);
/* Size the tree will have if this batch commits. */
uint64_t store_batch_size(const struct store_batch *b);
/* Reader over this batch's transaction (sees its own writes). */
void store_batch_reader(struct store_batch *b, struct mt_reader *r);
/* Lookups inside the batch (see its own writes): 0 or PT_ENOTFOUND. */
int store_batch_find_id(struct store_batch *b, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index);
/* Root of the batch's tree, recomputed by reading back what was written
 * (never from memory): O(log n) reads. */
int store_batch_root(struct store_batch *b, struct mt_hash *root);
/* The signed checkpoint for the batch's size (and metadata, e.g. time). */
int store_batch_set_checkpoint(struct store_batch *b, const char *note,
    size_t len, uint64_t time_ms);
/* Commit (fsync).  PT_EFULL when the map or disk is full (nothing written);
 * PT_EIO on any other failure (the caller must stop the process). The batch
 * is freed in every case. */
int store_batch_commit(struct store_batch *b);
void store_batch_abort(struct store_batch *b);

/* --- reading: short read transactions; copy data out before _end --- */
int store_read_begin(struct store *s, struct store_txn **out);
void store_read_end(struct store_txn *t);
/* Size of the latest committed checkpoint visible to t. */
uint64_t store_txn_size(const struct store_txn *t);
void store_txn_reader(struct store_txn *t, struct mt_reader *r);
/* Entry bytes: *data points into the map, valid until store_read_end. */
int store_get_entry(struct store_txn *t, uint64_t index, const uint8_t **data,
    size_t *len);
/* Entries first .. first+count-1 (count <= STORE_RANGE_MAX) from one
 * cursor walk, pointing into the map like store_get_entry's. */
#define STORE_RANGE_MAX	256
int store_get_entries(struct store_txn *t, uint64_t first, unsigned count,
    const uint8_t **data, size_t *len);
/* Hashes of subtrees (level, n .. n+count-1), for hash tiles: one range
 * read.  PT_ENOTFOUND when any is missing. */
int store_get_hashes(struct store_txn *t, unsigned level, uint64_t n,
    unsigned count, struct mt_hash *out);
/* Lowest index of a leaf hash: one cursor range per 65536 entries. */
int store_find_leaf(struct store_txn *t, const struct mt_hash *leaf,
    uint64_t *index);
int store_find_id(struct store_txn *t, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index);
/* Latest signed checkpoint (points into the map, valid until _end). */
int store_latest_checkpoint(struct store_txn *t, const char **note,
    size_t *len, uint64_t *size, uint64_t *time_ms);
/* Checkpoint signed at exactly size. */
int store_checkpoint_at(struct store_txn *t, uint64_t size, const char **note,
    size_t *len);

/*
 * The corrections index (store_corr.c): which entries correct which, and
 * how.  The store does not parse entries; fn says whether the entry at
 * index corrects an earlier one: 0 with *target and *kind, PT_ENOTFOUND
 * when it is not a correction, another error to stop.
 */
#define STORE_CORR_VOID	0	/* kinds of correction */
#define STORE_CORR_AMEND	1
typedef int (*store_classify_fn)(const uint8_t *entry, size_t len,
    uint64_t index, uint64_t *target, unsigned *kind, void *ctx);
/* In a batch, after appending the correction (of kind STORE_CORR_*) at
 * index (of this batch) of entry target: its key, in the same
 * transaction.  Poisons on failure. */
int store_batch_correction(struct store_batch *b, uint64_t target,
    uint64_t index, unsigned kind);
/* Every (target, correction, kind) of t's tree from the key (from_target,
 * from_index) on, in key order, at most max into out: 0, 1 (more), PT_EBUSY
 * (index not built), PT_ECORRUPT.  One cursor range. */
struct store_corr {
	uint64_t target, index;
	unsigned kind;
};
int store_list_corrections(struct store_txn *t, uint64_t from_target,
    uint64_t from_index, struct store_corr *out, size_t max, size_t *n);
/*
 * The corrections of entry target in t's tree, in log order, those with
 * an index >= from, at most max of them into out (*n).  0; 1 when there
 * are more than max; PT_ENOTFOUND (target not in the tree); PT_EBUSY (the
 * index is not yet built up to t's size).  One cursor range.
 */
int store_get_corrections(struct store_txn *t, uint64_t target, uint64_t from,
    uint64_t *out, size_t max, size_t *n);
/*
 * Fill the index in from the entries it does not cover yet (a store made
 * before it existed: batches keep it complete afterwards), one
 * write transaction per 16384 entries.  Start-up only, before any batch.
 * *added (may be NULL) gets the keys put.  O(entries not covered).
 */
int store_corrections_build(struct store *s, store_classify_fn fn, void *ctx,
    uint64_t *added, struct pt_why *why);
/* Recompute the index from the entries and compare (--check-full):
 * PT_ECORRUPT with the first bad index in *bad and the reason.  O(n). */
int store_corrections_check(struct store *s, store_classify_fn fn, void *ctx,
    uint64_t *bad, struct pt_why *why);

/*
 * The office_keys index (PROTOCOL.md section 6.6): the indexes of the
 * log's office_key entries, so that the daemon rebuilds who may append
 * without reading every entry.  The store does not parse entries: the
 * sequencer marks each office_key entry it appends, in the same batch
 * (the index must be one appended by this batch).  A store made before
 * this index had no office_key entries: its index is created empty.
 * Mark: 0, PT_EPOISONED, PT_EINVAL (not appended by this batch), the
 * store's write errors (poison).  List: up to max indexes >= from,
 * ascending, below the txn's size, into out; *n their number.  O(n).
 */
int store_batch_mark_office_key(struct store_batch *b, uint64_t index);
int store_office_keys(struct store_txn *t, uint64_t from, uint64_t *out,
    size_t max, size_t *n);

/* Map use, for /metrics. */
int store_map_info(struct store *s, uint64_t *used, uint64_t *size);
/* Grow the map (no transaction may be active). */
int store_grow(struct store *s, uint64_t new_size);

/*
 * Full check: recompute every leaf hash from the entry bytes and every
 * stored subtree hash from its children, compare with what is stored, and
 * check the latest checkpoint's root.  *bad gets the first bad index.
 * progress (may be NULL) is called every 65536 entries.  O(n).
 */
int store_check_full(struct store *s, uint64_t *bad, struct pt_why *why,
    void (*progress)(uint64_t done, uint64_t total, void *ctx), void *ctx);

/*
 * The same check with a report.  The store does not parse notes, so it
 * cannot compare with the checkpoint's root itself: res->root is the root of
 * the first res->size entries recomputed from the entry bytes alone (also
 * checked against mt_root over the stored hashes); res->size is the tree
 * size, which is also the latest checkpoint's size.  The caller MUST compare
 * res->root with the root in that checkpoint (ckpt_parse) and treat a
 * difference as corruption.  0: all agrees.  PT_ECORRUPT: the first problem
 * found, in order of index, is in res (kind, (level, n), first leaf index)
 * and in why.  PT_EIO/PT_ENOMEM/PT_ECRYPTO: the check could not run.
 * Short read txns of 65536 entries each; progress runs between them.  O(n).
 */
enum store_bad {
	STORE_BAD_NONE = 0,
	STORE_BAD_ENTRY,	/* entry bytes at index (missing or damaged) */
	STORE_BAD_HASH,		/* stored hash at (level, n) */
	STORE_BAD_INDEX,	/* leaves or ids index */
	STORE_BAD_META,		/* size / checkpoint records */
};
struct store_check {
	uint64_t size;		/* tree size checked */
	struct mt_hash root;	/* root recomputed from the entries */
	int bad_kind;		/* enum store_bad */
	unsigned level;		/* STORE_BAD_HASH: the hash (level, n); */
	uint64_t n;		/* STORE_BAD_ENTRY: level 0, n = index */
	uint64_t index;		/* first bad leaf index; UINT64_MAX if none */
};
int store_check_full_report(struct store *s, struct store_check *res,
    struct pt_why *why,
    void (*progress)(uint64_t done, uint64_t total, void *ctx), void *ctx);

/*
 * Hot backup: a compacting copy (LMDB's, MDB_CP_COMPACT) of the store into
 * outdir/data.mdb (outdir exists; the file is created new, 0600), from one
 * read transaction of its own, so that it is consistent while a writer
 * goes on; fsynced with outdir.  Works on a readonly store.  Which commit
 * it holds is read back by opening the copy.  PT_EINVAL (path too long),
 * PT_EFULL (disk full), PT_EIO; the reason in why.  O(store size).
 */
int store_copy(struct store *s, const char *outdir, struct pt_why *why);

/* Clear reader slots left by dead processes (mdb_reader_check); *dead
 * (may be NULL) gets their number.  Call periodically.  0 or PT_EIO. */
int store_reader_check(struct store *s, int *dead);

/* The checkpoint copy kept outside LMDB (DIR/checkpoint, two preallocated
 * slots written in turn; see datadir.h): the newest valid slot as a new
 * NUL-terminated heap copy in *note (caller frees with free()), at most
 * PT_LOG_NOTE_MAX bytes.  PT_ENOTFOUND (no file), PT_EMALFORMED (no valid
 * slot), PT_EINVAL (path too long), PT_ENOMEM, PT_EIO. */
int store_read_checkpoint_copy(const char *dir, char **note, size_t *len);
/* Rewrite DIR/checkpoint (temp, fsync, rename, fsync dir) from the latest
 * checkpoint in the store, e.g. at start-up when the store is ahead of the
 * copy.  PT_EINVAL (readonly), PT_ENOTFOUND, PT_ENOMEM, PT_EIO. */
int store_sync_checkpoint_copy(struct store *s);

#endif
