/*
 * witc.c: the log's witness client (see witc.h).
 *
 * One round = one add-checkpoint request to every witness that has not yet
 * cosigned the newest checkpoint, all in parallel on the loop thread.  A
 * witness is asked with old = the size it last cosigned as far as we know
 * (0 at start: the first answer is then a 409 naming its size, and we
 * retry at once with a proof from there, at most WITC_RETRIES times a
 * round).  Consistency proofs are computed from the store in one short
 * read transaction.  Every cosignature line is verified (witreq_resp_check)
 * before it is kept; the published note is the log-signed note plus the
 * lines of the witnesses that cosigned exactly that size.  Rounds start at
 * most once per interval; a checkpoint arriving during a round is asked for
 * in the next one.  Requests go through net/hcli (libcurl on this loop):
 * http:// or https:// witnesses, a whole-request deadline, and an answer
 * cap of PT_WITRESP_MAX_BODY applied while reading, so a witness streaming
 * an endless answer costs at most that.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "crypto.h"
#include "hcli.h"
#include "log.h"
#include "mt.h"
#include "note.h"
#include "policy.h"
#include "pt.h"
#include "store.h"
#include "witc.h"
#include "witreq.h"

#define WITC_RETRIES	2

struct witc;

struct witc_w {
	struct witc *wc;
	const struct pol_witness *pw;
	struct hcli *http;		/* its URL, keep-alive connection */
	int busy;			/* a request is in flight */
	uint64_t old;			/* size it last cosigned, as we know */
	uint64_t req_size;		/* size asked for */
	unsigned retries;
	char line[PT_NOTE_MAX_LINE + 8];
	uint64_t line_size;		/* line is a cosignature of this size */
	int up;
	int unverifiable;		/* a key type we cannot verify: not asked */
	int warned_future;		/* logged its clock being ahead */
	uint64_t ok, conflicts, errors, timeouts;
};

struct witc {
	struct event_base *base;
	struct store *store;
	struct witc_opts o;
	witc_publish_fn publish;
	void *arg;
	struct pol *pol;
	struct witc_w w[PT_POLICY_MAX_WITNESSES];
	size_t nw;
	char *note;			/* newest log-signed checkpoint */
	size_t note_len, text_len;
	uint64_t size;
	char *rnote;			/* the one this round asks for */
	size_t rnote_len, rtext_len;
	uint64_t rsize;
	uint64_t last_round_ms;
	struct event *timer;
	int timer_set;
	size_t inflight;
	uint64_t rounds;
	uint64_t quorum_size;		/* newest size published with quorum */
	int have_quorum;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void send_req(struct witc_w *w);
static void maybe_round(struct witc *wc);
static void on_timer(evutil_socket_t fd, short ev, void *arg);

static int
read_policy(const char *path, struct pol *p, struct pt_why *why)
{
	struct pt_why pw = { "" };
	FILE *f;
	char *buf;
	size_t n;
	int rc;

	if ((f = fopen(path, "rb")) == NULL)
		return pt_why_set(why, PT_EIO, "%s: cannot open", path);
	if ((buf = malloc(PT_POLICY_MAX + 1)) == NULL) {
		fclose(f);
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, PT_POLICY_MAX + 1, f);
	rc = ferror(f) ? PT_EIO : 0;
	fclose(f);
	if (rc == 0)
		rc = pol_parse(buf, n, p, &pw);
	free(buf);
	if (rc != 0)
		pt_why_set(why, rc, "%s: %s", path, pw.text[0] ? pw.text :
		    pt_strerror(rc));
	return rc;
}

int
witc_start(struct event_base *base, struct store *store,
    const struct witc_opts *o, witc_publish_fn publish, void *arg,
    struct witc **out, struct pt_why *why)
{
	struct hcli_opts ho;
	struct pt_why hw = { "" };
	struct witc *wc;
	size_t i;
	int rc;

	*out = NULL;
	memset(&ho, 0, sizeof(ho));
	if ((wc = calloc(1, sizeof(*wc))) == NULL ||
	    (wc->pol = calloc(1, sizeof(*wc->pol))) == NULL) {
		free(wc);
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	}
	wc->base = base;
	wc->store = store;
	wc->o = *o;
	if (wc->o.timeout_ms == 0)
		wc->o.timeout_ms = 5000;
	wc->publish = publish;
	wc->arg = arg;
	if ((rc = read_policy(o->policy_path, wc->pol, why)) != 0)
		goto fail;
	for (i = 0; i < wc->pol->nwit; i++) {
		struct witc_w *w = &wc->w[i];

		w->wc = wc;
		w->pw = &wc->pol->wit[i];
		wc->nw++;
		if (!note_alg_verifiable(w->pw->key.alg)) {
			/* Its cosignatures could not be checked before they
			 * were published, and would never count. */
			log_warnx("witness %s: %s, cannot be verified here "
			    "(%s): not asked, not counted", w->pw->name,
			    note_alg_name(w->pw->key.alg),
			    cr_library_version());
			w->unverifiable = 1;
			continue;
		}
		if (w->pw->url[0] == '\0') {
			rc = pt_why_set(why, PT_EINVAL, "%s: witness %s has "
			    "no URL", o->policy_path, w->pw->name);
			goto fail;
		}
		ho.base = base;
		ho.timeout_ms = (unsigned)wc->o.timeout_ms;
		ho.concurrency = 1;
		ho.max_response = PT_WITRESP_MAX_BODY;
		ho.recv_buffer = 16384;
		ho.cacert = o->cacert != NULL && o->cacert[0] != '\0' ?
		    o->cacert : NULL;
		if ((rc = hcli_new(w->pw->url, &ho, &w->http, &hw)) != 0) {
			pt_why_set(why, rc, "witness %s: %s", w->pw->name,
			    hw.text[0] ? hw.text : pt_strerror(rc));
			goto fail;
		}
	}
	if ((wc->timer = evtimer_new(base, on_timer, wc)) == NULL) {
		rc = pt_why_set(why, PT_ENOMEM, "out of memory");
		goto fail;
	}
	*out = wc;
	return 0;
fail:
	witc_free(wc);
	return rc;
}

/* The log-signed note plus the line of each witness in mask that has one
 * for the newest size, into buf (PT_NOTE_MAX + 1 bytes, NUL-terminated);
 * its length. */
static size_t
assemble(const struct witc *wc, uint64_t mask, char *buf)
{
	size_t n, i, l;

	memcpy(buf, wc->note, wc->note_len);
	n = wc->note_len;
	for (i = 0; i < wc->nw; i++) {
		if (!((mask >> i) & 1) || wc->w[i].line_size != wc->size ||
		    wc->w[i].line[0] == '\0')
			continue;
		l = strlen(wc->w[i].line);
		if (n + l > PT_NOTE_MAX)
			break;
		memcpy(buf + n, wc->w[i].line, l);
		n += l;
	}
	buf[n] = '\0';
	return n;
}

/*
 * Publish the newest checkpoint with the cosignatures that count: which
 * ones do is pol_cosigs's rule, the same every client applies, so the
 * quorum reported here (and receipts handed out on it) is the one a client
 * checking the policy finds.  A verified line that does not count (dated
 * too far in the future) is dropped and its witness asked again next round.
 */
static void
publish_now(struct witc *wc)
{
	struct pol_cosigs cs;
	struct note *n;
	char *buf;
	size_t len, i;
	int q, rc;

	if (wc->note == NULL || wc->publish == NULL)
		return;
	if ((buf = malloc(PT_NOTE_MAX + 1)) == NULL)
		return;
	if ((n = malloc(sizeof(*n))) == NULL) {
		free(buf);
		return;
	}
	memset(&cs, 0, sizeof(cs));
	len = assemble(wc, ~UINT64_C(0), buf);
	if (len > wc->note_len && ((rc = note_parse(buf, len, n)) != 0 ||
	    (rc = pol_cosigs(wc->pol, n, (uint64_t)time(NULL), &cs)) != 0))
		log_warnx("witness cosignatures for size %" PRIu64 ": %s; "
		    "none counted", wc->size, pt_strerror(rc));
	for (i = 0; i < wc->nw; i++) {
		struct witc_w *w = &wc->w[i];

		if (!((cs.future >> i) & 1)) {
			if ((cs.counted >> i) & 1)
				w->warned_future = 0;
			continue;
		}
		if (!w->warned_future)
			log_warnx("witness %s: cosignature dated %" PRIu64
			    " s after our clock (more than %d s): not "
			    "counted; asking again", w->pw->name,
			    cs.time[i] - (uint64_t)time(NULL), PT_COSIG_SKEW_S);
		w->warned_future = 1;
		w->line[0] = '\0';
	}
	len = assemble(wc, cs.counted, buf);
	free(n);
	q = pol_quorum_met(wc->pol, cs.counted);
	if (q && (!wc->have_quorum || wc->size > wc->quorum_size)) {
		wc->have_quorum = 1;
		wc->quorum_size = wc->size;
	}
	wc->publish(buf, len, wc->size, q, wc->arg);
	free(buf);
}

static void
round_done(struct witc *wc)
{
	publish_now(wc);
	maybe_round(wc);
}

static void
finish(struct witc_w *w, int ok)
{
	struct witc *wc = w->wc;

	w->busy = 0;
	w->up = ok;
	if (wc->inflight > 0 && --wc->inflight == 0)
		round_done(wc);
}

/*
 * A witness refused (C2SP tlog-witness, current text, and v1.0.0 which
 * answered 409 with a text body for the same size and another root; a 409
 * with a size is handled by the caller).  422: for a request from the same
 * size (no proof) it cosigned another tree of this size, which is a
 * conflict; otherwise it rejected our consistency proof, and its size is
 * asked for again (old 0) next round.
 */
static void
answer_refused(struct witc_w *w, int code)
{
	const char *what;
	int same = w->old == w->req_size;

	switch (code) {
	case 400:
		what = "it calls our request malformed";
		break;
	case 403:
		what = "it does not trust our log key for this origin";
		break;
	case 404:
		what = "it does not know our log";
		break;
	case 409:
		what = "it cosigned another tree of this size";
		break;
	case 422:
		what = same ? "it cosigned another tree of this size" :
		    "it rejected our consistency proof";
		break;
	default:
		what = "unexpected status";
	}
	log_warnx("witness %s: answered %d for size %" PRIu64 " (old %" PRIu64
	    "): %s", w->pw->name, code, w->req_size, w->old, what);
	if (code == 409 || (code == 422 && same))
		w->conflicts++;
	else
		w->errors++;
	if (code == 422)
		w->old = 0;	/* rediscover its size next round */
}

/* A witness's answer (hcli_done_fn; arg: the witness). */
static void
on_answer(void *arg, struct hcli_resp *r)
{
	struct witc_w *w = arg;
	struct witc *wc = w->wc;
	const char *body = r->body != NULL ? (const char *)r->body : "";
	uint64_t s, ts;
	size_t len = r->len;
	int code = r->status, rc;

	if (r->err != 0) {
		if (r->fail == HCLI_TIMEOUT) {
			log_warnx("witness %s: no answer within %" PRIu64
			    " ms", w->pw->name, wc->o.timeout_ms);
			w->timeouts++;
		} else {
			log_warnx("witness %s: %s", w->pw->name, r->why);
			w->errors++;
		}
		finish(w, 0);
		return;
	}
	if (code == 200) {
		rc = witreq_resp_check(body, len, wc->rnote, wc->rtext_len,
		    &w->pw->key, w->line, sizeof(w->line), &ts);
		if (rc == 0) {
			w->line_size = w->req_size;
			w->old = w->req_size;
			w->ok++;
			finish(w, 1);
			publish_now(wc);
			return;
		}
		log_warnx("witness %s: bad cosignature answer: %s",
		    w->pw->name, pt_strerror(rc));
		w->line[0] = '\0';
		w->errors++;
		finish(w, 0);
		return;
	}
	if (code == 409 && strncmp(r->ctype, WITREQ_SIZE_CTYPE,
	    strlen(WITREQ_SIZE_CTYPE)) == 0 &&
	    witreq_size_parse(body, len, &s) == 0) {
		if (s > w->req_size) {
			log_warnx("witness %s: has cosigned size %" PRIu64
			    " of this log, larger than ours (%" PRIu64 "): "
			    "the log was rolled back or forked", w->pw->name,
			    s, w->req_size);
			w->conflicts++;
			finish(w, 0);
			return;
		}
		if (s == w->old || w->retries >= WITC_RETRIES) {
			w->conflicts++;
			finish(w, 0);
			return;
		}
		w->old = s;
		w->retries++;
		w->busy = 0;
		wc->inflight--;
		send_req(w);
		if (!w->busy) {
			w->up = 0;
			if (wc->inflight == 0)
				round_done(wc);
		}
		return;
	}
	answer_refused(w, code);
	finish(w, 0);
}

static void
send_req(struct witc_w *w)
{
	struct witc *wc = w->wc;
	struct mt_hash proof[PT_WITREQ_MAX_PROOF];
	struct store_txn *t;
	struct mt_reader r;
	size_t np = 0, blen;
	char *body;
	int rc;

	if (w->old > wc->rsize) {
		log_warnx("witness %s: has cosigned size %" PRIu64 ", larger "
		    "than ours (%" PRIu64 ")", w->pw->name, w->old, wc->rsize);
		w->conflicts++;
		return;
	}
	if (w->old > 0 && w->old < wc->rsize) {
		if (wc->store == NULL)
			return;
		if ((rc = store_read_begin(wc->store, &t)) != 0)
			return;
		store_txn_reader(t, &r);
		rc = mt_consistency_proof(&r, w->old, wc->rsize, proof,
		    PT_WITREQ_MAX_PROOF, &np);
		store_read_end(t);
		if (rc != 0) {
			log_warnx("witness %s: consistency proof %" PRIu64
			    "..%" PRIu64 ": %s", w->pw->name, w->old,
			    wc->rsize, pt_strerror(rc));
			w->errors++;
			return;
		}
	}
	if ((body = malloc(PT_WITREQ_MAX_BODY + 1)) == NULL)
		return;
	rc = witreq_format(w->old, proof, np, wc->rnote, wc->rnote_len, body,
	    PT_WITREQ_MAX_BODY + 1, &blen);
	if (rc == 0)
		rc = hcli_start(w->http, "POST", "/add-checkpoint", NULL,
		    PT_WITRESP_MAX_BODY, body, blen, "text/plain; charset=utf-8",
		    on_answer, w);
	free(body);
	if (rc != 0) {
		w->errors++;
		return;
	}
	w->req_size = wc->rsize;
	w->busy = 1;
	wc->inflight++;
}

static void
start_round(struct witc *wc)
{
	size_t i;
	char *copy;

	if ((copy = malloc(wc->note_len + 1)) == NULL)
		return;
	memcpy(copy, wc->note, wc->note_len + 1);
	free(wc->rnote);
	wc->rnote = copy;
	wc->rnote_len = wc->note_len;
	wc->rtext_len = wc->text_len;
	wc->rsize = wc->size;
	wc->rounds++;
	wc->last_round_ms = now_ms();
	for (i = 0; i < wc->nw; i++) {
		if (wc->w[i].unverifiable || wc->w[i].busy ||
		    (wc->w[i].line_size == wc->size &&
		    wc->w[i].line[0] != '\0'))
			continue;
		wc->w[i].retries = 0;
		send_req(&wc->w[i]);
	}
	if (wc->inflight == 0)
		round_done(wc);
}

static void
on_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct witc *wc = arg;

	(void)fd;
	(void)ev;
	wc->timer_set = 0;
	maybe_round(wc);
}

/* Start a round when one is due and something is left to ask. */
static void
maybe_round(struct witc *wc)
{
	struct timeval tv;
	uint64_t now, due;
	size_t i, need = 0;

	if (wc->note == NULL || wc->inflight > 0 || wc->timer_set)
		return;
	for (i = 0; i < wc->nw; i++)
		if (!wc->w[i].unverifiable && (wc->w[i].line_size != wc->size ||
		    wc->w[i].line[0] == '\0'))	/* size 0 too */
			need++;
	if (need == 0)
		return;
	now = now_ms();
	due = wc->last_round_ms + (wc->o.interval_ms ? wc->o.interval_ms :
	    1000);
	if (wc->rounds == 0 || now >= due) {
		start_round(wc);
		return;
	}
	tv.tv_sec = (time_t)((due - now) / 1000);
	tv.tv_usec = (suseconds_t)((due - now) % 1000) * 1000;
	evtimer_add(wc->timer, &tv);
	wc->timer_set = 1;
}

void
witc_checkpoint(struct witc *w, const char *note, size_t len, uint64_t size)
{
	char *copy;
	size_t i;

	if (w == NULL || len == 0 || len > PT_NOTE_MAX || (w->note != NULL &&
	    size < w->size))
		return;
	if ((copy = malloc(len + 1)) == NULL)
		return;
	memcpy(copy, note, len);
	copy[len] = '\0';
	for (i = 0; i + 1 < len; i++)
		if (copy[i] == '\n' && copy[i + 1] == '\n')
			break;
	if (i + 1 >= len) {
		free(copy);
		return;
	}
	free(w->note);
	w->note = copy;
	w->note_len = len;
	w->text_len = i + 1;
	w->size = size;
	for (i = 0; i < w->nw; i++)
		if (!w->w[i].unverifiable)
			break;
	if (i == w->nw) {		/* no witness to ask */
		publish_now(w);
		return;
	}
	maybe_round(w);
}

static void
label(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			evbuffer_add_printf(out, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add_printf(out, "\\n");
		else
			evbuffer_add(out, s, 1);
	}
}

void
witc_metrics(struct witc *wc, struct evbuffer *out)
{
	static const char *res[] = { "ok", "conflict", "error", "timeout" };
	size_t i, j;
	uint64_t v;

	if (wc == NULL)
		return;
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_up gauge\n");
	for (i = 0; i < wc->nw; i++) {
		evbuffer_add_printf(out, "pubtrail_witness_up{witness=\"");
		label(out, wc->w[i].pw->name);
		evbuffer_add_printf(out, "\"} %d\n", wc->w[i].up);
	}
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_cosigned_size "
	    "gauge\n");
	for (i = 0; i < wc->nw; i++) {
		evbuffer_add_printf(out,
		    "pubtrail_witness_cosigned_size{witness=\"");
		label(out, wc->w[i].pw->name);
		evbuffer_add_printf(out, "\"} %" PRIu64 "\n",
		    wc->w[i].line_size);
	}
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_requests_total "
	    "counter\n");
	for (i = 0; i < wc->nw; i++)
		for (j = 0; j < 4; j++) {
			v = j == 0 ? wc->w[i].ok : j == 1 ?
			    wc->w[i].conflicts : j == 2 ? wc->w[i].errors :
			    wc->w[i].timeouts;
			evbuffer_add_printf(out,
			    "pubtrail_witness_requests_total{witness=\"");
			label(out, wc->w[i].pw->name);
			evbuffer_add_printf(out, "\",result=\"%s\"} %" PRIu64
			    "\n", res[j], v);
		}
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_rounds_total "
	    "counter\npubtrail_witness_rounds_total %" PRIu64 "\n",
	    wc->rounds);
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_quorum gauge\n"
	    "pubtrail_witness_quorum %d\n", wc->have_quorum &&
	    wc->quorum_size == wc->size);
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_quorum_size gauge\n"
	    "pubtrail_witness_quorum_size %" PRIu64 "\n", wc->have_quorum ?
	    wc->quorum_size : 0);
	evbuffer_add_printf(out, "# TYPE pubtrail_witness_pending_size "
	    "gauge\npubtrail_witness_pending_size %" PRIu64 "\n", wc->size);
}

void
witc_free(struct witc *wc)
{
	size_t i;

	if (wc == NULL)
		return;
	for (i = 0; i < PT_POLICY_MAX_WITNESSES; i++)
		hcli_free(wc->w[i].http);	/* in flight: no callback */
	if (wc->timer != NULL)
		event_free(wc->timer);
	free(wc->note);
	free(wc->rnote);
	free(wc->pol);
	free(wc);
}
