/*
 * witstore.h: the witness's state behind a small interface.  C2SP
 * tlog-witness: "for each log, uniquely identified by its origin line, the
 * witness is only required to keep track of the latest checkpoint it
 * observed and verified", and checking the old size against it and
 * persisting the new one "must be performed atomically".
 *
 * One record per origin: the size and root the witness last cosigned, and
 * the signed note it serves for that origin (GET <prefix>/<origin
 * hash>/checkpoint: the checkpoint, the log's signature lines it verified,
 * its own cosignature).  Records are read and replaced inside one write
 * transaction (wst_begin .. wst_commit), which excludes every other writer,
 * in this process or another, and is on disk (fsynced) when wst_commit
 * returns 0.
 *
 * Errors are PT_* codes; the storage library's own text goes only into
 * *why, for the witness's local log, never to a peer.  This is the only
 * client module that includes lmdb.h.
 */
#ifndef PT_CLIENT_WITSTORE_H
#define PT_CLIENT_WITSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"
#include "pt.h"

struct wst;
struct wst_txn;

/* One origin's record.  note is a heap copy (NUL-terminated) owned by the
 * record: wst_rec_cleanup frees it. */
struct wst_rec {
	uint64_t size;
	struct mt_hash root;
	char *note;
	size_t note_len;
};

/*
 * Open (creating it, mode 0700) the store in dir/db: an LMDB environment
 * with the default, fully synchronous flags and a map of map_size bytes
 * (0: 64 MiB).  Stale reader slots of dead processes are cleared.  0 and
 * *out, or PT_EINVAL (path too long), PT_EIO, PT_ENOMEM; the reason in *why.
 */
int wst_open(const char *dir, size_t map_size, struct wst **out,
    struct pt_why *why);
/* Close; NULL is allowed.  No transaction may be open. */
void wst_close(struct wst *s);

/*
 * Begin the write transaction of one add-checkpoint.  One at a time per
 * store (LMDB serialises writers across processes too).  0 and *out, or
 * PT_EIO, PT_ENOMEM; reason in *why.
 */
int wst_begin(struct wst *s, struct wst_txn **out, struct pt_why *why);
/*
 * The record of origin (1..PT_MAX_ORIGIN bytes) as of t: a copy in *out
 * (cleanup with wst_rec_cleanup).  PT_ENOTFOUND (none yet), PT_ECORRUPT (a
 * record that is not one), PT_EIO, PT_ENOMEM, PT_EPOISONED (t failed
 * before); reason in *why.  O(log n) page reads.
 */
int wst_get(struct wst_txn *t, const char *origin, struct wst_rec *out,
    struct pt_why *why);
/*
 * Replace origin's record in t with r (note 1..PT_NOTE_MAX bytes).
 * PT_EINVAL, PT_EFULL (the map is full: t is then failed, abort it),
 * PT_EIO, PT_EPOISONED; reason in *why.  A failure poisons t.
 */
int wst_put(struct wst_txn *t, const char *origin, const struct wst_rec *r,
    struct pt_why *why);
/* Commit and fsync; t is freed whatever the result.  0, PT_EPOISONED (t
 * failed before: nothing written), PT_EFULL, PT_EIO. */
int wst_commit(struct wst_txn *t, struct pt_why *why);
/* Abort and free t (nothing written); NULL is allowed. */
void wst_abort(struct wst_txn *t);

/* The record of origin in a short read transaction of its own: as
 * wst_get. */
int wst_read(struct wst *s, const char *origin, struct wst_rec *out,
    struct pt_why *why);
/* Free r's note and zero r; NULL is allowed. */
void wst_rec_cleanup(struct wst_rec *r);

#endif
