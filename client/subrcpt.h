/*
 * subrcpt.h: the receipts a `pubtrail submit` or `correct` run keeps,
 * once each is verified (subsend.c): their files, and the checkpoints they
 * carry.
 *
 * A receipt file is DIR/<id>.receipt, written whole before it has its
 * name (an unnamed file linked at it; or a temporary file renamed over
 * it) but without an fsync each: sub_receipts_sync makes them all durable
 * with one syncfs(2) at the end.  A submit run writes them on a thread of
 * its own (struct sub_writer), so that the file system's time per receipt
 * overlaps the signing and checking of the next records.
 *
 * Every receipt carries a checkpoint, and all of them must be views of one
 * tree: two roots for one size are a split view, told at once with the
 * evidence saved (sub_ckset_add, sub_ckset_fork); at the end every distinct
 * checkpoint must be proven a prefix of the largest, and the largest is
 * checked against (and becomes) the client's memory of the log
 * (sub_ckset_check).
 */
#ifndef PT_CLIENT_SUBRCPT_H
#define PT_CLIENT_SUBRCPT_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt.h"
#include "logc.h"
#include "mt.h"
#include "pt.h"
#include "verify.h"

/* Receipt file name for a record id: DIR/<id>.receipt with every byte
 * outside [A-Za-z0-9._-] (and a leading '.') written as %XX.  out gets at
 * most cap bytes, NUL-terminated.  0 or PT_ETOOBIG. */
int sub_receipt_name(const char *dir, const char *id, char *out, size_t cap);

/* Write len bytes of p to path: an unnamed file in its directory linked
 * at path, or where something is at path already (or O_TMPFILE is
 * missing) a new file renamed over it; never a partial file at path; no
 * fsync (sub_receipts_sync does that for all).  0 or PT_EIO with the
 * reason in *why. */
int sub_receipt_write(const char *path, const uint8_t *p, size_t len,
    struct pt_why *why);

/*
 * Receipts written by a thread of its own, in the order queued.  start:
 * 0, PT_ENOMEM or PT_EIO (no thread).  put: queue a copy of p (len bytes)
 * for path, tagged k; waits while max_queued writes are queued (memory
 * stays bounded); 0 or PT_ENOMEM.  done: fn(arg, k, rc, why) for each
 * write finished since the last call, rc 0 or PT_EIO with the reason, on
 * the caller's thread.  drain: wait until every queued write is finished
 * (then reported by done).  stop: drain, end the thread, free (NULL does
 * nothing).  sync: after the writes queued so far, sub_receipts_sync(dir)
 * on the writer's thread (the caller goes on: checking the receipts'
 * checkpoints, say); synced waits for it: 0, or PT_EIO with the reason.
 */
struct sub_writer;
typedef void sub_written_fn(void *arg, size_t k, int rc, const char *why);
int sub_writer_start(size_t max_queued, struct sub_writer **out);
int sub_writer_put(struct sub_writer *w, size_t k, const char *path,
    const uint8_t *p, size_t len);
void sub_writer_done(struct sub_writer *w, sub_written_fn *fn, void *arg);
void sub_writer_drain(struct sub_writer *w);
int sub_writer_sync(struct sub_writer *w, const char *dir);
int sub_writer_synced(struct sub_writer *w, struct pt_why *why);
void sub_writer_stop(struct sub_writer *w);

/* Every receipt written in dir, and dir itself, on disk (one syncfs and
 * an fsync of the directory).  0 or PT_EIO. */
int sub_receipts_sync(const char *dir, struct pt_why *why);

/* A distinct checkpoint seen in a receipt. */
struct sub_seen {
	uint64_t size;
	struct mt_hash root;
	char *note;			/* the signed note (heap) */
	size_t note_len;
};

/* The distinct checkpoints of a run's receipts.  Zero it to start;
 * sub_ckset_cleanup frees it. */
struct sub_ckset {
	struct sub_seen *seen;
	size_t n, cap;
	int forked;			/* a split view was seen */
};

/*
 * Note the checkpoint of the verified receipt v.  0 when noted (or known
 * already); 1 when a checkpoint of its size with another root was noted
 * before: a split view (s->forked set, *other its index in s->seen, for
 * sub_ckset_fork); PT_ENOMEM (not noted).  O(number noted).
 */
int sub_ckset_add(struct sub_ckset *s, const struct vrf_result *v,
    size_t *other);

/* Save the split view that sub_ckset_add found (s->seen[other] and v) as
 * evidence in dir, and say so loudly on stderr with the command that
 * checks it. */
void sub_ckset_fork(const struct sub_ckset *s, size_t other,
    const struct vrf_result *v, const char *dir);

/*
 * Every noted checkpoint, and start (the checkpoint at the start of the
 * run, when not newer than them all), proven a prefix of the largest
 * (logc_consistent); then the largest checked against the client's memory
 * of the log (logc_remember).  start gives the origin.  CLI_OK, or the
 * exit code with the message printed.  One consistency proof per noted
 * checkpoint.
 */
int sub_ckset_check(const struct sub_ckset *s, struct logc *lc,
    const struct ckpt *start);

void sub_ckset_cleanup(struct sub_ckset *s);

#endif
