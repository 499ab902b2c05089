/*
 * seq.c: verification pool and sequencer thread (see seq.h).
 *
 * Threads and queues:
 *   loop thread --seq_submit--> vq --verify workers--> sq --sequencer-->
 *   store commit --> done list --event_active--> loop thread replies.
 * Each queue is a singly linked FIFO under the seq mutex.  The store's
 * write side is used only by the sequencer thread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "allow.h"
#include "ckpt.h"
#include "crypto.h"
#include "env.h"
#include "log.h"
#include "metrics.h"
#include "mt.h"
#include "note.h"
#include "pub.h"
#include "rcpt.h"
#include "seq.h"
#include "store.h"

#ifdef PT_CRASHPOINTS
/* Test builds: die at a named point when PT_CRASHPOINT names it. */
#define CRASHPOINT(name) do {						\
	const char *cp_ = getenv("PT_CRASHPOINT");			\
	if (cp_ != NULL && strcmp(cp_, name) == 0) {			\
		log_warnx("crash point %s", name);			\
		raise(SIGKILL);						\
	}								\
} while (0)
#else
#define CRASHPOINT(name) do { } while (0)
#endif

struct jq {
	struct seq_job *head, *tail;
	uint64_t n;
};

struct seq {
	struct seq_opts o;		/* o.origin points to origin below */
	char origin[PT_MAX_ORIGIN + 1];
	seq_done_fn done;
	void *done_arg;
	pthread_mutex_t mu;
	pthread_cond_t vq_cv, sq_cv;
	struct jq vq, sq, dq;
	uint64_t inflight;		/* submitted, not yet done */
	int stop_verify, stop_seq;
	int seq_idle;			/* sequencer waits for a first job */
	int stretch;			/* it waits for those being verified */
	uint64_t verifying;		/* taken by a worker, not yet in sq */
	unsigned nworkers;
	pthread_t *workers;
	pthread_t seqthr;
	struct event *done_ev;
	/* sequencer-thread state */
	struct mt_frontier frontier;	/* in-memory right edge */
	uint64_t last_time_ms;
};

static void
jq_push(struct jq *q, struct seq_job *j)
{
	j->next = NULL;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
}

static struct seq_job *
jq_pop(struct jq *q)
{
	struct seq_job *j = q->head;

	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->n--;
		j->next = NULL;
	}
	return j;
}

void
seq_job_free(struct seq_job *j)
{
	if (j == NULL)
		return;
	wire_buf_free(&j->reply);
	free(j->body);
	free(j);
}

/* Hand a finished job to the loop thread. */
static void
complete(struct seq *s, struct seq_job *j)
{
	if (j->rc != 0)
		metrics_rejection(s->o.metrics, j->rc);
	pthread_mutex_lock(&s->mu);
	jq_push(&s->dq, j);
	pthread_mutex_unlock(&s->mu);
	event_active(s->done_ev, EV_READ, 0);
}

/* Hand a whole batch to the loop thread: one lock, one wakeup.  Empties
 * batch. */
static void
complete_batch(struct seq *s, struct jq *batch)
{
	struct seq_job *j;

	if (batch->head == NULL)
		return;
	for (j = batch->head; j != NULL; j = j->next)
		if (j->rc != 0)
			metrics_rejection(s->o.metrics, j->rc);
	pthread_mutex_lock(&s->mu);
	if (s->dq.tail != NULL)
		s->dq.tail->next = batch->head;
	else
		s->dq.head = batch->head;
	s->dq.tail = batch->tail;
	s->dq.n += batch->n;
	pthread_mutex_unlock(&s->mu);
	memset(batch, 0, sizeof(*batch));
	event_active(s->done_ev, EV_READ, 0);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct seq *s = arg;
	struct jq q;
	struct seq_job *j;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&s->mu);
	q = s->dq;
	memset(&s->dq, 0, sizeof(s->dq));
	s->inflight -= q.n;
	pthread_mutex_unlock(&s->mu);
	while ((j = jq_pop(&q)) != NULL)
		s->done(j, s->done_arg);
}

static void *
verify_main(void *arg)
{
	struct seq *s = arg;
	struct seq_job *j;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->vq.head == NULL && !s->stop_verify)
			pthread_cond_wait(&s->vq_cv, &s->mu);
		j = jq_pop(&s->vq);
		if (j != NULL)
			s->verifying++;
		pthread_mutex_unlock(&s->mu);
		if (j == NULL)
			return NULL;
		j->rc = wire_submission_verify(&j->sub, s->origin);
		if (j->rc != 0) {
			pt_why_set(&j->why, j->rc, "submitter signature does "
			    "not verify for this log's origin");
			pthread_mutex_lock(&s->mu);
			s->verifying--;
			if (s->stretch && s->vq.n + s->verifying == 0)
				pthread_cond_signal(&s->sq_cv);
			pthread_mutex_unlock(&s->mu);
			complete(s, j);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &j->t_ready);
		pthread_mutex_lock(&s->mu);
		s->verifying--;
		jq_push(&s->sq, j);
		/* Wake the sequencer only when it has something to do: a
		 * first job when it is idle, a full batch inside a window
		 * (which otherwise ends on its own), with no window any job
		 * (it waits only while jobs are being verified), or, when it
		 * stretched the window under load, the last job verified. */
		if (s->seq_idle || s->sq.n >= s->o.batch_max ||
		    s->o.window_ms == 0 ||
		    (s->stretch && s->vq.n + s->verifying == 0))
			pthread_cond_signal(&s->sq_cv);
		pthread_mutex_unlock(&s->mu);
	}
}

/* Initialise the in-memory frontier from the stored tree. */
static int
frontier_load(struct seq *s)
{
	struct store_txn *t;
	struct mt_reader r;
	uint64_t size, off = 0;
	int rc;

	mt_frontier_init(&s->frontier);
	if ((rc = store_read_begin(s->o.store, &t)) != 0)
		return rc;
	size = store_size(s->o.store);
	store_txn_reader(t, &r);
	for (int bit = 63; bit >= 0; bit--) {
		if (!(size & (1ULL << bit)))
			continue;
		rc = r.read(r.ctx, (unsigned)bit, off >> bit,
		    &s->frontier.h[s->frontier.count]);
		if (rc != 0)
			break;
		s->frontier.count++;
		off += 1ULL << bit;
	}
	store_read_end(t);
	s->frontier.size = size;
	return rc;
}

static int
sign_checkpoint(struct seq *s, uint64_t size, const struct mt_hash *root,
    char *note, size_t cap, size_t *len)
{
	struct ckpt *c;
	char body[PT_NOTE_MAX_TEXT + 1];
	size_t blen;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PT_ENOMEM;
	snprintf(c->origin, sizeof(c->origin), "%s", s->origin);
	c->size = size;
	c->root = *root;
	rc = ckpt_format(c, body, sizeof(body), &blen);
	free(c);
	if (rc != 0)
		return rc;
	return note_sign(body, blen, s->o.logkey, 1, 0, note, cap, len);
}

/*
 * One batch, in named steps: assemble (append the new entries in one write
 * transaction), verify the root (read back from the transaction, against
 * the in-memory one), sign, commit (fsync; then publish), answer (receipts
 * and idempotent answers from one read transaction).  A full store at any
 * step refuses the batch's new entries (503) with nothing written; any
 * other storage failure stops the process (recovery is from disk).
 */
struct batch {
	struct jq jobs;
	struct store_batch *b;		/* NULL once committed or aborted */
	struct allow_batch ab;		/* the grants after the batch */
	struct mt_frontier saved;	/* the right edge before the batch */
	struct wire_buf eb;		/* one entry's bytes, reused */
	uint64_t now;			/* the batch's integration time */
	uint64_t added;			/* new entries */
	uint64_t bytype[RECORD_NTYPES + 1];
	uint64_t size;			/* tree size after the batch */
	struct mt_hash root;
	char *note;			/* the signed checkpoint */
	size_t note_len;
	double t0;
};

/*
 * Assemble: per job, the (submitter, id) lookup (a found id is answered
 * later, not appended: seq_idempotent), the entry's bytes, its leaf hash,
 * the append and the in-memory frontier.  One encode buffer for the whole
 * batch: no allocation per entry.  0 or the store's errors.
 */
static int
batch_assemble(struct seq *s, struct batch *bt)
{
	struct seq_job *j;
	int rc;

	if ((rc = store_batch_begin(s->o.store, &bt->b)) != 0)
		fatalx("store: cannot begin write: %s", pt_strerror(rc));
	bt->now = env_now_ms();
	if (bt->now < s->last_time_ms)
		bt->now = s->last_time_ms;	/* never backwards */
	for (j = bt->jobs.head; j != NULL; j = j->next) {
		struct mt_hash leaf;
		uint64_t found;

		rc = store_batch_find_id(bt->b, j->subm_id, j->sub.info.id,
		    j->sub.info.id_len, &found);
		if (rc == 0) {
			j->dup = 1;
			continue;
		}
		if (rc != PT_ENOTFOUND)
			return rc;
		/* Who may append, decided here in index order, after the
		 * batch's earlier entries (a revoke before a record of the
		 * revoked key in the same batch refuses the record). */
		if (s->o.allow != NULL && (rc = allow_batch_apply(s->o.allow,
		    &bt->ab, store_batch_size(bt->b), bt->now, &j->sub,
		    &j->why)) != 0) {
			j->rc = rc;
			continue;
		}
		bt->eb.len = 0;
		if ((rc = wire_entry_encode(&j->sub, bt->now, &bt->eb)) != 0) {
			/* cannot happen for a decoded submission */
			j->rc = pt_why_set(&j->why, rc, "entry too large");
			continue;
		}
		if ((rc = mt_leaf_hash(bt->eb.data, bt->eb.len, &leaf)) != 0 ||
		    (rc = store_batch_append(bt->b, bt->eb.data, bt->eb.len,
		    &leaf, j->subm_id, j->sub.info.id, j->sub.info.id_len,
		    &j->index)) != 0 ||
		    (j->sub.info.type == RECORD_CORRECTION &&
		    (rc = store_batch_correction(bt->b,
		    j->sub.info.target_index, j->index,
		    j->sub.info.action_void ? STORE_CORR_VOID :
		    STORE_CORR_AMEND)) != 0) ||
		    (j->sub.info.type == RECORD_OFFICE_KEY &&
		    (rc = store_batch_mark_office_key(bt->b, j->index)) != 0) ||
		    (rc = mt_frontier_push(&s->frontier, &leaf)) != 0)
			return rc;
		bt->bytype[j->sub.info.type]++;
		bt->added++;
	}
	return 0;
}

/*
 * Verify the root: sign only what was written.  The root read back from
 * the transaction must equal the root kept in memory, else the process
 * stops without signing.  0 or the store's errors.  O(log n).
 */
static int
batch_verify_root(struct seq *s, struct batch *bt)
{
	struct mt_hash memroot;
	int rc;

	bt->size = store_batch_size(bt->b);
	LEDGER_INVARIANT(bt->size == s->frontier.size);
	CRASHPOINT("before_sign");
	if ((rc = store_batch_root(bt->b, &bt->root)) != 0 ||
	    (rc = mt_frontier_root(&s->frontier, &memroot)) != 0)
		return rc;
#ifdef PT_CRASHPOINTS
	if (getenv("PT_FLIP_MEMROOT") != NULL)
		memroot.b[0] ^= 1;
#endif
	if (cr_memcmp(bt->root.b, memroot.b, MT_HASH_SIZE) != 0)
		fatalx("integrity: root recomputed from storage at size %llu "
		    "differs from the in-memory root; refusing to sign",
		    (unsigned long long)bt->size);
	return 0;
}

/* Sign: the checkpoint of the verified root, put in the transaction.  0,
 * PT_ENOMEM, or the signer's and the store's errors. */
static int
batch_sign(struct seq *s, struct batch *bt)
{
	int rc;

	if ((bt->note = malloc(PT_LOG_NOTE_MAX + 1)) == NULL)
		return PT_ENOMEM;
	if ((rc = sign_checkpoint(s, bt->size, &bt->root, bt->note,
	    PT_LOG_NOTE_MAX + 1, &bt->note_len)) != 0)
		return rc;
	CRASHPOINT("after_sign");
	return store_batch_set_checkpoint(bt->b, bt->note, bt->note_len,
	    bt->now);
}

/* Commit (fsync), then publish the checkpoint and count the batch.  0 or
 * PT_EFULL; any other failure stops the process. */
static int
batch_commit(struct seq *s, struct batch *bt)
{
	int rc;

	CRASHPOINT("before_commit");
	rc = store_batch_commit(bt->b);
	bt->b = NULL;
	if (rc == PT_EFULL)
		return rc;
	if (rc != 0)
		fatalx("store: commit failed: %s; stopping (recovery is from "
		    "disk)", pt_strerror(rc));
	CRASHPOINT("after_commit");
	if (s->o.allow != NULL)
		allow_batch_commit(s->o.allow, &bt->ab);
	s->last_time_ms = bt->now;
	pub_signed(s->o.pub, bt->note, bt->note_len, bt->size);
	for (int t = 1; t <= RECORD_NTYPES; t++)
		metrics_appended(s->o.metrics, t, bt->bytype[t]);
	metrics_batch(s->o.metrics, bt->added, env_mono() - bt->t0);
	log_debug("batch: %llu new entries, tree size %llu, %.1f ms",
	    (unsigned long long)bt->added, (unsigned long long)bt->size,
	    (env_mono() - bt->t0) * 1e3);
	return 0;
}

/* Storage full (during the appends or at the commit): nothing was
 * written; the right edge goes back and every job still standing is
 * answered 503. */
static void
batch_refuse_full(struct seq *s, struct batch *bt)
{
	struct seq_job *j;

	if (bt->b != NULL) {
		store_batch_abort(bt->b);
		bt->b = NULL;
	}
	allow_batch_abort(&bt->ab);
	log_warnx("storage full: batch of %llu refused",
	    (unsigned long long)bt->added);
	s->frontier = bt->saved;
	for (j = bt->jobs.head; j != NULL; j = j->next)
		if (j->rc == 0)
			j->rc = pt_why_set(&j->why, PT_EFULL, "log storage is "
			    "full; try again later");
}

/*
 * Answer: every job still standing gets its receipt under the served
 * checkpoint, from one read transaction and one receipt context (the
 * receipts of a batch's consecutive entries share the stored hashes their
 * proofs read).  A job whose id was found is answered by the idempotency
 * rule: the existing entry's receipt, or 409.
 */
static void
batch_answer(struct seq *s, struct batch *bt)
{
	struct store_txn *t;
	struct rcpt_ctx *rctx;
	struct seq_job *j;
	char *ck = malloc(PT_NOTE_MAX + 1);
	size_t cklen;
	uint64_t cksize, idx;
	int rc;

	if (ck == NULL)
		fatalx("out of memory answering a committed batch");
	pub_latest(s->o.pub, ck, PT_NOTE_MAX + 1, &cklen, &cksize);
	if ((rc = store_read_begin(s->o.store, &t)) != 0)
		fatalx("store: cannot read: %s", pt_strerror(rc));
	if ((rctx = rcpt_ctx_new(t)) == NULL)
		fatalx("out of memory answering a committed batch");
	for (j = bt->jobs.head; j != NULL; j = j->next) {
		if (j->rc != 0)
			continue;
		if (j->dup) {
			rc = seq_idempotent(t, j->subm_id, &j->sub, &idx);
			if (rc == PT_ECONFLICT) {
				j->rc = pt_why_set(&j->why, rc, "id already "
				    "used by this submitter for different "
				    "content (index %llu)",
				    (unsigned long long)idx);
				continue;
			}
			if (rc != 0)
				fatalx("store: the entry of a known id is "
				    "unreadable: %s", pt_strerror(rc));
			j->index = idx;
			j->existing = 1;
		}
		if ((rc = rcpt_ctx_build(rctx, j->index, ck, cklen, cksize,
		    &j->reply)) != 0)
			j->rc = pt_why_set(&j->why, rc, "cannot build receipt: "
			    "%s", pt_strerror(rc));
	}
	rcpt_ctx_free(rctx);
	store_read_end(t);
	free(ck);
}

/* Commit one batch and hand every job to the loop thread.  Exits the
 * process on any storage failure but "full". */
static void
run_batch(struct seq *s, struct jq *jobs)
{
	struct batch bt;
	int rc;

	memset(&bt, 0, sizeof(bt));
	bt.jobs = *jobs;
	bt.saved = s->frontier;
	bt.t0 = env_mono();
	wire_buf_init(&bt.eb);
	rc = batch_assemble(s, &bt);
	if (rc == 0 && bt.added == 0) {
		/* Only known ids or refusals: nothing to write or sign. */
		store_batch_abort(bt.b);
		bt.b = NULL;
		allow_batch_abort(&bt.ab);
	} else if (rc == 0 && (rc = batch_verify_root(s, &bt)) == 0 &&
	    (rc = batch_sign(s, &bt)) == 0) {
		rc = batch_commit(s, &bt);
	}
	if (rc == PT_EFULL)
		batch_refuse_full(s, &bt);
	else if (rc != 0)
		fatalx("sequencer: %s; stopping (recovery is from disk)",
		    pt_strerror(rc));
	else
		batch_answer(s, &bt);
	CRASHPOINT("before_answer");
	free(bt.note);
	wire_buf_free(&bt.eb);
	complete_batch(s, &bt.jobs);
	CRASHPOINT("after_answer");
}

int
seq_idempotent(struct store_txn *t, const uint8_t subm_id[32],
    const struct wire_submission *sub, uint64_t *index)
{
	const uint8_t *e;
	size_t elen;
	struct wire_entry we;
	int rc;

	if ((rc = store_find_id(t, subm_id, sub->info.id, sub->info.id_len,
	    index)) != 0)
		return rc;
	if ((rc = store_get_entry(t, *index, &e, &elen)) != 0)
		return rc == PT_ENOTFOUND ? PT_ECORRUPT : rc;
	if (wire_entry_decode(e, elen, &we, NULL) != 0)
		return PT_ECORRUPT;
	if (we.sub.record_len != sub->record_len ||
	    memcmp(we.sub.record, sub->record, sub->record_len) != 0)
		return PT_ECONFLICT;
	return 0;
}

/* t + ms milliseconds. */
static struct timespec
ts_add_ms(struct timespec t, uint64_t ms)
{
	uint64_t ns = (uint64_t)t.tv_nsec + ms * 1000000ULL;

	t.tv_sec += (time_t)(ns / 1000000000ULL);
	t.tv_nsec = (long)(ns % 1000000000ULL);
	return t;
}

/*
 * Under s->mu, with a first verified job in sq: wait for the batch to
 * fill.  The window (window_ms) opens at the oldest verified job's
 * arrival.  When it ends while submissions are still being verified (a
 * load: POST /add batches, many offices at once), the batch keeps filling
 * until they are all verified, up to window_max_ms from the same start:
 * larger batches under load, fewer commits, less CPU per entry
 * (docs/PERFORMANCE.md), and no added wait when the log is quiet.
 */
static void
batch_wait(struct seq *s)
{
	struct timespec t0 = s->sq.head->t_ready;
	struct timespec dl = ts_add_ms(t0, s->o.window_ms);
	int stretched = 0;

	while (s->sq.n < s->o.batch_max && !s->stop_seq) {
		if (stretched ? s->vq.n + s->verifying == 0 :
		    s->vq.n == 0 && s->o.window_ms == 0)
			break;
		if (pthread_cond_timedwait(&s->sq_cv, &s->mu, &dl) == 0)
			continue;
		/* the window is over */
		if (stretched || s->vq.n + s->verifying == 0 ||
		    s->o.window_ms == 0 || s->o.window_max_ms <= s->o.window_ms)
			break;
		stretched = s->stretch = 1;
		dl = ts_add_ms(t0, s->o.window_max_ms);
	}
	s->stretch = 0;
}

static void *
seq_main(void *arg)
{
	struct seq *s = arg;

	for (;;) {
		struct jq batch = { NULL, NULL, 0 };

		pthread_mutex_lock(&s->mu);
		s->seq_idle = 1;
		while (s->sq.head == NULL && !s->stop_seq)
			pthread_cond_wait(&s->sq_cv, &s->mu);
		s->seq_idle = 0;
		if (s->sq.head == NULL && s->stop_seq) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		/* The first arrival opens the window: the oldest verified
		 * job's, which may have waited through the previous commit
		 * already (then the window may be over at once). */
		if (s->sq.head != NULL)
			batch_wait(s);
		while (batch.n < s->o.batch_max && s->sq.head != NULL)
			jq_push(&batch, jq_pop(&s->sq));
		pthread_mutex_unlock(&s->mu);
		run_batch(s, &batch);
	}
}

int
seq_start(struct event_base *base, const struct seq_opts *o, seq_done_fn done,
    void *done_arg, struct seq **out)
{
	struct seq *s;
	int rc;

	if (strlen(o->origin) > PT_MAX_ORIGIN)
		return PT_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PT_ENOMEM;
	s->o = *o;
	snprintf(s->origin, sizeof(s->origin), "%s", o->origin);
	s->o.origin = s->origin;
	s->done = done;
	s->done_arg = done_arg;
	s->last_time_ms = o->last_time_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->vq_cv, NULL);
	pthread_cond_init(&s->sq_cv, NULL);
	if ((rc = frontier_load(s)) != 0) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->vq_cv);
		pthread_cond_destroy(&s->sq_cv);
		free(s);
		return rc;
	}
	s->done_ev = event_new(base, -1, 0, done_cb, s);
	s->nworkers = o->verify_threads;
	s->workers = calloc(s->nworkers, sizeof(pthread_t));
	if (s->done_ev == NULL || s->workers == NULL)
		fatalx("out of memory starting the sequencer");
	for (unsigned i = 0; i < s->nworkers; i++)
		if (pthread_create(&s->workers[i], NULL, verify_main, s) != 0)
			fatalx("cannot start verify thread");
	if (pthread_create(&s->seqthr, NULL, seq_main, s) != 0)
		fatalx("cannot start sequencer thread");
	*out = s;
	return 0;
}

int
seq_submit(struct seq *s, struct seq_job *j)
{
	pthread_mutex_lock(&s->mu);
	if (s->stop_verify || s->inflight >= s->o.queue_max) {
		pthread_mutex_unlock(&s->mu);
		return PT_EBUSY;
	}
	s->inflight++;
	jq_push(&s->vq, j);
	pthread_cond_signal(&s->vq_cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t
seq_submit_many(struct seq *s, struct seq_job *const *j, size_t n)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < n && !s->stop_verify && s->inflight < s->o.queue_max;
	    i++) {
		s->inflight++;
		jq_push(&s->vq, j[i]);
	}
	if (i > 1)
		pthread_cond_broadcast(&s->vq_cv);
	else if (i == 1)
		pthread_cond_signal(&s->vq_cv);
	pthread_mutex_unlock(&s->mu);
	return i;
}

uint64_t
seq_queue_len(struct seq *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->inflight;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void
seq_stop(struct seq *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop_verify = 1;
	pthread_cond_broadcast(&s->vq_cv);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	pthread_mutex_lock(&s->mu);
	s->stop_seq = 1;
	pthread_cond_broadcast(&s->sq_cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->seqthr, NULL);
	done_cb(-1, 0, s);
	event_free(s->done_ev);
	free(s->workers);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->vq_cv);
	pthread_cond_destroy(&s->sq_cv);
	free(s);
}
