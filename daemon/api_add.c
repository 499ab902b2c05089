/*
 * api_add.c: POST /add, from the body to the answer: admission on the
 * event loop (decode, submitter, type, rate, correction target, the
 * idempotency rule), then the sequencer (seq.c), then the receipt, or,
 * with witness_wait_quorum, the receipt held until the served checkpoint
 * covers the entry.
 *
 * A body that is a msgpack array is a batch (docs/API.md): each item goes
 * through the same steps as a submission of its own, its refusal or
 * receipt kept in its slot, and the batch is answered once, when its last
 * item is durable or refused, with one result per item.  The steps write
 * their refusals through struct ans, to the request or to a slot.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "allow.h"
#include "api_int.h"
#include "cfg.h"
#include "crypto.h"
#include "env.h"
#include "metrics.h"
#include "mt.h"
#include "pub.h"
#include "rcpt.h"
#include "record.h"
#include "seq.h"
#include "store.h"
#include "subm.h"
#include "wire.h"

/* One POST /add batch, answered when its last item is. */
struct add_batch {
	struct rq *rq;
	size_t n, pending;
	struct add_slot {
		unsigned status;	/* 0 while pending */
		char *error;		/* status != 200 */
		struct wire_buf receipt;
	} *slot;
};

/* Where a step's answer goes: the request (b NULL), or slot i of b. */
struct ans {
	struct rq *rq;
	struct add_batch *b;
	size_t i;
};

/*
 * What admission reads the store through: the checkpoints read first
 * (the served one, for the receipts of known ids; the latest, for
 * correction targets), then a read snapshot.  The sequencer commits
 * before it publishes, so both checkpoints lie within the snapshot, however
 * long a batch's admission takes.
 */
struct adm_view {
	struct store_txn *txn;
	char *ck;			/* the served checkpoint note */
	size_t cklen;
	uint64_t cksize;		/* its size */
	uint64_t latest;		/* the latest checkpoint's size */
};

static void batch_item_done(struct add_batch *b);

static void
ans_fail(const struct ans *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
ans_fail(const struct ans *a, int status, const char *fmt, ...)
{
	char text[PT_WHY_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (a->b == NULL) {
		api_fail(a->rq, status, "%s", text);
		return;
	}
	a->b->slot[a->i].status = (unsigned)status;
	a->b->slot[a->i].error = strdup(text);
	batch_item_done(a->b);
}

static void
ans_fail_err(const struct ans *a, int err, const char *what)
{
	ans_fail(a, api_status(err), "%s: %s", what, pt_strerror(err));
}

/* A receipt (len bytes) as the answer. */
static void
ans_receipt(const struct ans *a, const uint8_t *p, size_t len)
{
	if (a->b == NULL) {
		evbuffer_add(a->rq->body, p, len);
		a->rq->ctype = CT_MSGPACK;
		a->rq->cache = CACHE_NONE;
		return;
	}
	a->b->slot[a->i].status = 200;
	if (wire_enc_raw(&a->b->slot[a->i].receipt, p, len) != 0) {
		a->b->slot[a->i].status = 503;
		a->b->slot[a->i].error = strdup("out of memory");
	}
	batch_item_done(a->b);
}

/*
 * A correction must point at an entry that exists (index below the latest
 * checkpoint), name that entry's leaf hash exactly, come from the office
 * that submitted the entry, and amend it with a record of its type and id
 * (PROTOCOL.md section 6.5).  0, or -1
 * with the answer set.
 */
static int
check_correction(const struct ans *a, const struct adm_view *v,
    const struct wire_submission *sub)
{
	struct store_txn *txn = v->txn;
	struct mt_reader r;
	struct mt_hash h;
	struct wire_entry we;
	const uint8_t *e;
	size_t elen;
	uint64_t latest = v->latest;
	struct pt_why why = { "" };
	int rc;

	if (sub->info.target_index >= latest) {
		metrics_rejection(a->rq->ctx->metrics, PT_ESCHEMA);
		ans_fail(a, 400, "correction: target_index %llu is not in the "
		    "log (size %llu)",
		    (unsigned long long)sub->info.target_index,
		    (unsigned long long)latest);
		return -1;
	}
	store_txn_reader(txn, &r);
	if ((rc = r.read(r.ctx, 0, sub->info.target_index, &h)) != 0 ||
	    (rc = store_get_entry(txn, sub->info.target_index, &e, &elen))
	    != 0 || (rc = wire_entry_decode(e, elen, &we, NULL)) != 0) {
		ans_fail_err(a, rc, "correction target");
		return -1;
	}
	if (cr_memcmp(h.b, sub->info.target_hash.b, MT_HASH_SIZE) != 0) {
		metrics_rejection(a->rq->ctx->metrics, PT_ESCHEMA);
		ans_fail(a, 400, "correction: target_leaf_hash is not the "
		    "leaf hash of entry %llu",
		    (unsigned long long)sub->info.target_index);
		return -1;
	}
	/* The types were checked at admission (add_admit); here the
	 * target's office. */
	if (record_may_append(&sub->info, RECORD_TYPES_ALL, sub->submitter_str,
	    sub->submitter_len, we.sub.submitter_str, we.sub.submitter_len,
	    &why) != 0) {
		metrics_rejection(a->rq->ctx->metrics, PT_EFORBIDDEN);
		ans_fail(a, 403, "%s", why.text);
		return -1;
	}
	/* an amendment keeps the record's type and id */
	if (!sub->info.action_void) {
		struct record_info ti;

		if ((rc = record_check(we.sub.record, we.sub.record_len, &ti,
		    NULL)) != 0) {
			ans_fail_err(a, rc, "correction target");
			return -1;
		}
		if (record_amends(&sub->info, &ti, &why) != 0) {
			metrics_rejection(a->rq->ctx->metrics, PT_ESCHEMA);
			ans_fail(a, 400, "%s", why.text);
			return -1;
		}
	}
	return 0;
}

/*
 * POST /add, in steps: take the body (add_body), admit it (add_admit:
 * decode, known submitter, allowed type, rate), answer a known id at once
 * (add_known), else queue it for the sequencer (add_queue), which answers
 * through api_add_done once the entry is durable.  Each step sets the
 * answer and returns -1 when it refuses.
 */

/* A new job holding the body's bytes: 0, or -1 with the answer set. */
static int
add_body(struct rq *rq, struct seq_job **out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	size_t len = evbuffer_get_length(in);
	struct seq_job *j;

	if (len == 0) {
		api_fail(rq, 400, "empty body: want a msgpack submission");
		return -1;
	}
	if (len > rq->ctx->cfg->max_body) {
		api_fail(rq, 413, "body over %llu bytes",
		    (unsigned long long)rq->ctx->cfg->max_body);
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->body = malloc(len)) == NULL) {
		free(j);
		api_fail(rq, 503, "out of memory");
		return -1;
	}
	wire_buf_init(&j->reply);
	j->body_len = len;
	j->slot = SIZE_MAX;
	evbuffer_remove(in, j->body, len);
	*out = j;
	return 0;
}

/* Decode the submission; the log's grants must let its submitter append
 * it (allow_admit: the office_key rule, PROTOCOL.md section 6.6), and the
 * submitter be within its rate (peeked: the token is taken in
 * add_queue).  0 with *se, or -1 with the answer set. */
static int
add_admit(const struct ans *a, struct seq_job *j, struct subm_entry **se)
{
	const struct cfg *cfg = a->rq->ctx->cfg;
	struct pt_why why = { "" };
	int rc;

	if ((rc = wire_submission_decode(j->body, j->body_len, &j->sub,
	    &why)) != 0) {
		metrics_rejection(a->rq->ctx->metrics, rc);
		/* A declared size over a limit is malformed input here: the
		 * body itself was within max_body. */
		ans_fail(a, 400, "malformed submission: %s",
		    why.text[0] ? why.text : pt_strerror(rc));
		return -1;
	}
	/* For the log: the key's name and hash (the first two fields). */
	{
		const char *k = j->sub.submitter_str;
		size_t n = 0, plus = 0;

		while (n < j->sub.submitter_len && n + 1 <
		    sizeof(a->rq->submitter)) {
			unsigned char c = (unsigned char)k[n];

			if (c == '+' && ++plus == 2)
				break;
			a->rq->submitter[n++] = c > 0x20 && c < 0x7f ?
			    (char)c : '?';
		}
		a->rq->submitter[n] = '\0';
	}
	if (a->rq->ctx->allow == NULL)
		rc = pt_why_set(&why, PT_EUNKNOWNSIGNER, "unknown submitter: "
		    "this log accepts no submissions");
	else
		rc = allow_admit(a->rq->ctx->allow,
		    store_size(a->rq->ctx->store), env_now_ms(), &j->sub, &why);
	if (rc != 0) {
		metrics_rejection(a->rq->ctx->metrics, rc);
		ans_fail(a, api_status(rc), "%s", why.text);
		return -1;
	}
	if ((*se = allow_bucket(a->rq->ctx->allow, j->sub.submitter_str,
	    j->sub.submitter_len)) == NULL) {
		ans_fail(a, 503, "out of memory");
		return -1;
	}
	if (subm_peek(*se, env_now_ms(), cfg->rate_limit, cfg->rate_burst)
	    != 0) {
		metrics_rejection(a->rq->ctx->metrics, PT_ERATE);
		ans_fail(a, 429, "rate limit: at most %llu appends/s per "
		    "submitter", (unsigned long long)cfg->rate_limit);
		return -1;
	}
	memcpy(j->subm_id, (*se)->id, 32);
	return 0;
}

/* Answer with the receipt of the existing entry idx under the served
 * checkpoint (503 while that does not cover it yet). */
static void
add_existing_answer(const struct ans *a, const struct adm_view *v,
    struct seq_job *j, uint64_t idx)
{
	int rc;

	rc = idx < v->cksize ? rcpt_build(v->txn, idx, v->ck, v->cklen,
	    v->cksize, &j->reply) : PT_EBUSY;
	if (rc == PT_EBUSY)
		ans_fail(a, 503, "entry %llu is not yet in a checkpoint "
		    "cosigned by the witness quorum; try again",
		    (unsigned long long)idx);
	else if (rc != 0)
		ans_fail_err(a, rc, "receipt");
	else
		ans_receipt(a, j->reply.data, j->reply.len);
}

/* Open v: the checkpoints, then the snapshot.  0, PT_ENOMEM or the
 * store's errors. */
static int
adm_begin(struct api_ctx *ctx, struct adm_view *v)
{
	memset(v, 0, sizeof(*v));
	if ((v->ck = malloc(PT_NOTE_MAX + 1)) == NULL)
		return PT_ENOMEM;
	pub_served(ctx->pub, v->ck, PT_NOTE_MAX + 1, &v->cklen, &v->cksize);
	pub_latest(ctx->pub, NULL, 0, NULL, &v->latest);
	return store_read_begin(ctx->store, &v->txn);
}

static void
adm_end(struct adm_view *v)
{
	if (v->txn != NULL)
		store_read_end(v->txn);
	free(v->ck);
	memset(v, 0, sizeof(*v));
}

/*
 * Before any signature check: a correction must fit its target, and an
 * identical resubmission is answered from the index at once (without
 * verifying the same bytes twice).  0: queue j (a new id; or a used id
 * with other content: 409 once the sequencer knows the signature is the
 * office's, else 403); -1: answered.
 */
static int
add_known(const struct ans *a, const struct adm_view *v, struct seq_job *j)
{
	uint64_t idx;
	int rc;

	if (j->sub.info.type == RECORD_CORRECTION &&
	    check_correction(a, v, &j->sub) != 0)
		return -1;
	rc = seq_idempotent(v->txn, j->subm_id, &j->sub, &idx);
	if (rc == 0)
		add_existing_answer(a, v, j, idx);
	else if (rc != PT_ENOTFOUND && rc != PT_ECONFLICT)
		ans_fail_err(a, rc, "lookup");
	return rc == PT_ENOTFOUND || rc == PT_ECONFLICT ? 0 : -1;
}

/*
 * Take the office's token now, so that concurrent submissions cannot all
 * pass the peek in add_admit; it is given back if the signature turns out
 * not to be the office's (api_add_done), so a forger naming the office
 * cannot spend its rate.  Identical resubmissions (add_known) cost no
 * token.  0: j is ready to queue (add_queue, or a batch's
 * seq_submit_many; add_busy when it cannot be); -1: answered.
 */
static int
add_take(const struct ans *a, struct seq_job *j, struct subm_entry *se)
{
	const struct cfg *cfg = a->rq->ctx->cfg;

	if (subm_take(se, env_now_ms(), cfg->rate_limit, cfg->rate_burst)
	    != 0) {
		metrics_rejection(a->rq->ctx->metrics, PT_ERATE);
		ans_fail(a, 429, "rate limit: at most %llu appends/s per "
		    "submitter", (unsigned long long)cfg->rate_limit);
		return -1;
	}
	j->req = a->b != NULL ? (void *)a->b : (void *)a->rq;
	j->slot = a->b != NULL ? a->i : SIZE_MAX;
	return 0;
}

/* j took se's token (add_take) and the sequencer cannot queue it. */
static void
add_busy(const struct ans *a, struct subm_entry *se)
{
	const struct cfg *cfg = a->rq->ctx->cfg;

	subm_refund(se, cfg->rate_limit, cfg->rate_burst);
	metrics_rejection(a->rq->ctx->metrics, PT_EBUSY);
	ans_fail(a, 503, "log is busy or stopping; try again");
}

/* One submission: the token, then the sequencer's queue.  0: queued
 * (ownership of j passed); -1: answered. */
static int
add_queue(const struct ans *a, struct seq_job *j, struct subm_entry *se)
{
	if (add_take(a, j, se) != 0)
		return -1;
	if (a->rq->ctx->seq == NULL || seq_submit(a->rq->ctx->seq, j) != 0) {
		add_busy(a, se);
		return -1;
	}
	return 0;
}

/* Set the batch's answer on its request: one result per item, in order.
 * Frees b (not the request). */
static void
batch_fill(struct add_batch *b)
{
	struct rq *rq = b->rq;
	struct wire_buf out;
	int rc;

	wire_buf_init(&out);
	rc = wire_enc_array(&out, b->n);
	for (size_t i = 0; rc == 0 && i < b->n; i++)
		rc = wire_batch_result_encode(&out, b->slot[i].status,
		    b->slot[i].receipt.data, b->slot[i].receipt.len,
		    b->slot[i].error);
	if (rc != 0)
		api_fail(rq, 503, "out of memory");
	else {
		rq->status = 200;
		rq->ctype = CT_MSGPACK;
		rq->cache = CACHE_NONE;
		evbuffer_add(rq->body, out.data, out.len);
	}
	wire_buf_free(&out);
	for (size_t i = 0; i < b->n; i++) {
		free(b->slot[i].error);
		wire_buf_free(&b->slot[i].receipt);
	}
	free(b->slot);
	free(b);
}

/* One item of b has its answer; the last one (from the sequencer's
 * completions, on the loop) sends the batch. */
static void
batch_item_done(struct add_batch *b)
{
	struct rq *rq = b->rq;

	if (--b->pending == 0) {
		batch_fill(b);
		api_send(rq);
	}
}

/*
 * The items of batch b through the steps of a single submission, with one
 * read transaction for them all (the known ids, the correction targets)
 * and one hand-over to the sequencer (seq_submit_many): an item answered
 * here has its slot set; the others are answered by the sequencer.
 */
static void
add_batch_items(struct rq *rq, struct add_batch *b,
    const struct wire_span *items, size_t n)
{
	const struct cfg *cfg = rq->ctx->cfg;
	struct seq_job **q = calloc(n > 0 ? n : 1, sizeof(*q));
	struct subm_entry **qse = calloc(n > 0 ? n : 1, sizeof(*qse));
	struct adm_view v = { NULL, NULL, 0, 0, 0 };
	size_t nq = 0, done = 0;
	int rc = q == NULL || qse == NULL ? PT_ENOMEM : adm_begin(rq->ctx, &v);

	for (size_t i = 0; i < n; i++) {
		struct ans a = { rq, b, i };
		struct seq_job *j;
		struct subm_entry *se;

		if (rc != 0) {
			ans_fail_err(&a, rc, "storage");
			continue;
		}
		if ((j = calloc(1, sizeof(*j))) == NULL ||
		    (j->body = malloc(items[i].len)) == NULL) {
			free(j);
			ans_fail(&a, 503, "out of memory");
			continue;
		}
		wire_buf_init(&j->reply);
		memcpy(j->body, items[i].p, items[i].len);
		j->body_len = items[i].len;
		j->slot = i;
		if (items[i].len > cfg->max_body) {
			ans_fail(&a, 413, "submission over %llu bytes",
			    (unsigned long long)cfg->max_body);
			seq_job_free(j);
			continue;
		}
		if (add_admit(&a, j, &se) == 0 && add_known(&a, &v, j) == 0 &&
		    add_take(&a, j, se) == 0) {
			q[nq] = j;
			qse[nq++] = se;
			continue;	/* queued below */
		}
		seq_job_free(j);
	}
	adm_end(&v);
	if (nq > 0 && rq->ctx->seq != NULL)
		done = seq_submit_many(rq->ctx->seq, q, nq);
	for (size_t k = done; k < nq; k++) {	/* the sequencer is full */
		struct ans a = { rq, b, q[k]->slot };

		add_busy(&a, qse[k]);
		seq_job_free(q[k]);
	}
	free(q);
	free(qse);
}

/*
 * POST /add with an array body: split it (the count checked on the
 * header, before any item), then each item through the steps of a single
 * submission; answered by batch_send once every item has its answer.
 */
static void
add_batch(struct rq *rq, const uint8_t *body, size_t len)
{
	const struct cfg *cfg = rq->ctx->cfg;
	struct wire_span *items;
	struct add_batch *b;
	struct pt_why why = { "" };
	size_t n;
	int rc;

	if (cfg->add_batch_max == 0) {
		api_fail(rq, 400, "batches are not accepted here (add_batch_max "
		    "= 0): one submission per request");
		return;
	}
	if (len > cfg->add_batch_bytes) {
		api_fail(rq, 413, "batch over %llu bytes",
		    (unsigned long long)cfg->add_batch_bytes);
		return;
	}
	if ((items = calloc((size_t)cfg->add_batch_max, sizeof(*items))) ==
	    NULL) {
		api_fail(rq, 503, "out of memory");
		return;
	}
	if ((rc = wire_batch_split(body, len, (size_t)cfg->add_batch_max,
	    items, &n, &why)) != 0) {
		free(items);
		metrics_rejection(rq->ctx->metrics, rc);
		api_fail(rq, rc == PT_ETOOBIG ? 413 : 400, "malformed submission: "
		    "a batch: %s", why.text);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->slot = calloc(n, sizeof(*b->slot))) == NULL) {
		free(b);
		free(items);
		api_fail(rq, 503, "out of memory");
		return;
	}
	b->rq = rq;
	b->n = n;
	b->pending = n + 1;		/* + 1: held until every item is in */
	for (size_t i = 0; i < n; i++)
		wire_buf_init(&b->slot[i].receipt);
	rq->deferred = 1;
	add_batch_items(rq, b, items, n);
	free(items);
	/* the + 1: when every item was answered here, the dispatcher sends
	 * the answer as it returns (never this handler: it would free rq
	 * under the dispatcher) */
	if (--b->pending == 0) {
		batch_fill(b);
		rq->deferred = 0;
	}
}

void
api_h_add(struct rq *rq)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	struct seq_job *j = NULL;
	struct subm_entry *se;
	struct ans a = { rq, NULL, 0 };
	size_t len = evbuffer_get_length(in);

	if (len > 0 && wire_batch_is(evbuffer_pullup(in, 1), 1)) {
		uint8_t *body = evbuffer_pullup(in, -1);

		if (body == NULL) {
			api_fail(rq, 503, "out of memory");
			return;
		}
		add_batch(rq, body, len);
		return;
	}
	if (add_body(rq, &j) != 0)
		return;
	if (add_admit(&a, j, &se) == 0) {
		struct adm_view v;
		int rc, known;

		if ((rc = adm_begin(rq->ctx, &v)) != 0) {
			adm_end(&v);
			ans_fail_err(&a, rc, "storage");
			seq_job_free(j);
			return;
		}
		known = add_known(&a, &v, j);
		adm_end(&v);
		if (known == 0 && add_queue(&a, j, se) == 0) {
			rq->deferred = 1;
			return;
		}
	}
	seq_job_free(j);
}

/* Answer a finished job and free it: its request, or its batch slot. */
static void
add_answer(struct seq_job *j)
{
	struct rq *rq;

	if (j->slot != SIZE_MAX) {
		struct add_batch *b = j->req;
		struct ans a = { b->rq, b, j->slot };

		if (j->rc != 0)
			ans_fail(&a, api_status(j->rc), "%s", j->why.text[0] ?
			    j->why.text : pt_strerror(j->rc));
		else
			ans_receipt(&a, j->reply.data, j->reply.len);
		seq_job_free(j);
		return;
	}
	rq = j->req;

	if (j->rc != 0) {
		api_fail(rq, api_status(j->rc), "%s", j->why.text[0] ?
		    j->why.text : pt_strerror(j->rc));
	} else {
		rq->status = 200;
		rq->ctype = CT_MSGPACK;
		rq->cache = CACHE_NONE;
		evbuffer_add(rq->body, j->reply.data, j->reply.len);
	}
	seq_job_free(j);
	api_send(rq);
}

/*
 * Rebuild j's receipt against the served checkpoint when it covers the
 * entry: 1 done (answer it), 0 not yet.
 */
static int
receipt_from_served(struct api *a, struct seq_job *j)
{
	struct store_txn *txn;
	char *ck = malloc(PT_NOTE_MAX + 1);
	size_t cklen;
	uint64_t cksize;
	int rc;

	if (ck == NULL) {
		j->rc = PT_ENOMEM;
		return 1;
	}
	pub_served(a->ctx->pub, ck, PT_NOTE_MAX + 1, &cklen, &cksize);
	if (cklen == 0 || j->index >= cksize) {
		free(ck);
		return 0;
	}
	j->reply.len = 0;
	if ((rc = store_read_begin(a->ctx->store, &txn)) == 0) {
		rc = rcpt_build(txn, j->index, ck, cklen, cksize, &j->reply);
		store_read_end(txn);
	}
	if (rc != 0)
		j->rc = pt_why_set(&j->why, rc, "cannot build receipt: %s",
		    pt_strerror(rc));
	free(ck);
	return 1;
}

void
api_add_done(struct seq_job *j, void *arg)
{
	struct api *a = arg;
	const struct cfg *cfg = a->ctx->cfg;
	struct subm_entry *se;

	/* A submission its key did not sign gives the office's token back
	 * (a forger must not spend another office's rate). */
	if (j->rc == PT_ESIG && a->ctx->allow != NULL &&
	    (se = allow_bucket(a->ctx->allow, j->sub.submitter_str,
	    j->sub.submitter_len)) != NULL)
		subm_refund(se, cfg->rate_limit, cfg->rate_burst);
	if (j->rc == 0 && pub_wait_quorum(a->ctx->pub) &&
	    !receipt_from_served(a, j)) {
		/* Durable, not yet cosigned by the quorum: park it. */
		j->t0 = env_mono();
		j->next = a->parked;
		a->parked = j;
		a->nparked++;
		return;
	}
	add_answer(j);
}

void
api_release_parked(struct api *a, uint64_t timeout_ms, int stopping)
{
	struct seq_job **pp = &a->parked, *j;
	double now = env_mono();

	while ((j = *pp) != NULL) {
		int done = receipt_from_served(a, j);

		if (!done && (stopping ||
		    (now - j->t0) * 1000.0 >= (double)timeout_ms)) {
			j->rc = pt_why_set(&j->why, PT_EBUSY, "entry %llu is "
			    "durable but not yet cosigned by the witness "
			    "quorum; fetch its receipt later (GET /lookup)",
			    (unsigned long long)j->index);
			done = 1;
		}
		if (!done) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		a->nparked--;
		add_answer(j);
	}
}

uint64_t
api_parked(const struct api *a)
{
	return a->nparked;
}
