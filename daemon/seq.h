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

struct event_base;
struct seq;

struct seq_job {
	struct seq_job *next;
	uint8_t *body;			/* owned: the submission bytes */
	size_t body_len;
	struct wire_submission sub;	/* points into body */
	uint8_t subm_id[32];
	/* results, valid in the done callback */
	int rc;				/* 0 or PT_E* */
	char why[PT_WHY_MAX];
	struct wire_buf reply;		/* receipt when rc == 0 */
	uint64_t index;
	int existing;			/* answered from an earlier entry */
	/* sequencer-private */
	int dup;
	uint64_t dup_index;
	struct timespec t_ready;	/* verified (CLOCK_REALTIME) */
	/* caller's */
	void *req;
	double t0;
};

typedef void (*seq_done_fn)(struct seq_job *j);

struct seq_opts {
	unsigned verify_threads;
	uint64_t batch_max;
	uint64_t window_ms;
	uint64_t queue_max;
	uint64_t last_time_ms;		/* integration time never goes back */
};

/* Start the threads.  done is called on base's thread for every job
 * submitted, exactly once.  0, PT_ENOMEM, PT_EIO (store). */
int seq_start(struct event_base *base, const struct seq_opts *o,
    seq_done_fn done, struct seq **out);
/* Queue j (ownership passes to the sequencer until done(j)).  PT_EBUSY
 * when the queue is full or the sequencer is stopping: j stays the
 * caller's. */
int seq_submit(struct seq *s, struct seq_job *j);
uint64_t seq_queue_len(struct seq *s);
/* Stop: finish every queued job (commit), join the threads, deliver the
 * remaining completions (calls done on this thread).  Then free. */
void seq_stop(struct seq *s);
void seq_job_free(struct seq_job *j);

#endif
