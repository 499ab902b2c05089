/*
 * seq.h: the sequencer.  Submissions that passed decoding, schema and
 * submitter checks on the event loop are verified (Ed25519) on a pool of
 * worker threads, then batched by one sequencer thread: one LMDB write
 * transaction per batch holding the entries, their hashes and indexes and
 * the new signed checkpoint; the root is recomputed from what was written
 * and compared with an independently kept in-memory root before the log
 * key signs it; the commit is fsynced; only then are the submitters
 * answered, with receipts.  Any storage failure other than "full" stops
 * the process: it never carries on from memory.
 */
#ifndef PTD_SEQ_H
#define PTD_SEQ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pt.h"
#include "wire.h"

struct allow;
struct event_base;
struct metrics;
struct note_skey;
struct pub;
struct seq;
struct store;
struct store_txn;

struct seq_job {
	struct seq_job *next;
	uint8_t *body;			/* owned: the submission bytes */
	size_t body_len;
	struct wire_submission sub;	/* points into body */
	uint8_t subm_id[32];
	/* results, valid in the done callback */
	int rc;				/* 0 or PT_E* */
	struct pt_why why;		/* the reason, when rc != 0 */
	struct wire_buf reply;		/* receipt when rc == 0 */
	uint64_t index;
	int existing;			/* answered from an earlier entry */
	/* sequencer-private */
	int dup;			/* its id was found: not appended */
	struct timespec t_ready;	/* verified (CLOCK_REALTIME) */
	/* caller's */
	void *req;
	size_t slot;			/* its place in a batch, or SIZE_MAX */
	double t0;
};

/* Called on base's thread for every job submitted, exactly once; j is
 * the callee's from then on (seq_job_free).  arg: seq_start's done_arg. */
typedef void (*seq_done_fn)(struct seq_job *j, void *arg);

/* The sequencer's context: main builds it; every pointer must outlive the
 * sequencer (seq_stop). */
struct seq_opts {
	struct store *store;		/* the write side is the sequencer's */
	const char *origin;		/* submissions are verified for it */
	const struct note_skey *logkey;	/* signs every checkpoint */
	struct pub *pub;		/* gets every committed checkpoint */
	struct metrics *metrics;	/* batches, appends, rejections */
	struct allow *allow;		/* who may append (NULL: anyone; tests) */
	unsigned verify_threads;
	uint64_t batch_max;
	uint64_t window_ms;
	uint64_t window_max_ms;		/* under load (seq.c) */
	uint64_t queue_max;
	uint64_t last_time_ms;		/* integration time never goes back */
};

/* Start the threads, with the in-memory right edge of the tree read from
 * the store (O(log n) reads).  0, PT_ENOMEM, or the store's errors. */
int seq_start(struct event_base *base, const struct seq_opts *o,
    seq_done_fn done, void *done_arg, struct seq **out);
/* Queue j (ownership passes to the sequencer until done(j)).  PT_EBUSY
 * when queue_max jobs are in flight or the sequencer is stopping: j stays
 * the caller's. */
int seq_submit(struct seq *s, struct seq_job *j);
/* Queue jobs j[0..n) in order, under one lock and one wakeup (a POST /add
 * batch): the number queued, a prefix; the others (PT_EBUSY, as above)
 * stay the caller's. */
size_t seq_submit_many(struct seq *s, struct seq_job *const *j, size_t n);
/* Jobs submitted and not yet handed to done. */
uint64_t seq_queue_len(struct seq *s);
/* Stop: finish every queued job (commit), join the threads, deliver the
 * remaining completions (calls done on this thread).  Then free.  NULL is
 * allowed. */
void seq_stop(struct seq *s);
/* Free j and what it owns; NULL is allowed. */
void seq_job_free(struct seq_job *j);

/*
 * The idempotency rule (DESIGN.md), in one place for the routes and the
 * sequencer: is there an entry of this submitter (subm_id) under sub's
 * record id, and is it the same record?  0: the same record is at *index
 * (answer with its receipt); PT_ECONFLICT: a different record uses the id,
 * at *index; PT_ENOTFOUND: the id is free; PT_ECORRUPT: the stored entry
 * does not decode; or the store's read errors.  O(log n) reads in t.
 */
int seq_idempotent(struct store_txn *t, const uint8_t subm_id[32],
    const struct wire_submission *sub, uint64_t *index);

#endif
