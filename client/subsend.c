/*
 * subsend.c: sign and submit checked records, keep verified receipts
 * (subsend.h).
 *
 * The valid records are signed in input order and queued on the HTTP
 * pool (at most 2 x concurrency requests waiting, so memory stays
 * bounded); answers arrive in any order and results are printed in input
 * order.  A receipt is saved only after vrf_receipt_mine() accepted it
 * AND it is the receipt for exactly the record we signed, by our key.
 * Before the end the checkpoints of all saved receipts are proven
 * consistent with each other, with the checkpoint seen at the start and
 * with the client's memory of the log (subrcpt.c).
 *
 * HTTP is touched in three places only: send_job (POST /add), job_done
 * (its answer) and the pump loop; the rest works on items.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audcorr.h"
#include "crypto.h"
#include "cstatus.h"
#include "json.h"
#include "presign.h"
#include "ptlimits.h"
#include "subrcpt.h"
#include "subsend.h"
#include "util.h"
#include "verify.h"

#define SUB_MAX_ATTEMPTS 30	/* sends of one submission the log answered busy */
#define SUB_DRAW_MS	200	/* progress bar redraws at most this often */
#define SUB_KNOWN_NOTES	8	/* checkpoint notes remembered as verified */
/* A record the run stopped before the log answered for: perhaps never
 * sent, perhaps sent before the log went away (and logged) */
#define NOT_ANSWERED	"not logged as far as this run knows: it stopped " \
			"before the log answered (run the same command again: " \
			"what was logged is answered with its receipt)"

/* ST_NORECEIPT: logged (index known), its receipt not saved; ST_CHECK:
 * refused as an id used for other content (409), to be looked up at the
 * end: ST_AMENDED when a correction made it read as this record (a month's
 * file, corrected, sent again), else ST_REFUSED */
enum { ST_WAIT = 0, ST_OK, ST_REFUSED, ST_UNSENT, ST_NORECEIPT, ST_CHECK,
	ST_AMENDED, ST_LOCAL };	/* ST_LOCAL: not sent, for a local error
				 * (the disclosures file not written) */

struct result {
	uint8_t state;
	int rc;
	uint64_t index;
	uint64_t by;			/* ST_AMENDED: the amending correction */
	char *why;			/* not ST_OK: heap */
};

struct run;

/* One POST /add: a batch of items (an array body), or one item sent as a
 * submission of its own when the batch size is 1. */
struct job {
	struct run *x;
	size_t n;			/* items */
	size_t *k;			/* their indexes */
	uint8_t *body;			/* what is sent, for retries */
	size_t body_len;
	unsigned attempts;
};

struct run {
	const struct sub_opts *o;
	struct itk *t;
	size_t to_correct;		/* sub_counts' */
	const char *correct_id, *correct_file;
	struct result *res;
	uint8_t **sub;			/* signed submission of item k, until done */
	size_t *sublen;
	uint8_t (*sig)[64];		/* its signature */
	size_t next_print;
	size_t ok, refused, unsent, local;
	/* Problem lines: a reason that repeats line after line (a full
	 * disk, for every record after) is printed SUB_SAME_MAX times, then
	 * counted, and said once with the count. */
	char *same_why;
	size_t same_n, same_hidden;
	size_t before;		/* of ok: below the start's tree size */
	size_t noreceipt;	/* of ok: receipt not saved */
	int stalled;
	int watching;			/* watch() is set to run */
	uint64_t start_ms, last_progress_ms, last_draw_ms;
	int bar;			/* progress bar on stderr */
	int worst;
	struct sub_ckset cks;		/* the receipts' checkpoints */
	/* The last checkpoint notes verified: the answers of concurrent
	 * batches come in any order, so a batch's note is often not the
	 * last one seen. */
	struct vrf_note *known;		/* SUB_KNOWN_NOTES, a ring */
	size_t known_next;
	struct cr_signer *signer;	/* o->key, kept for every signature */
	struct sub_writer *writer;	/* receipts, on a thread of their own */
	int syncing;			/* it makes them durable (run_end) */
};

static void
worse(struct run *x, int ex)
{
	if (ex == CLI_OK)
		return;
	/* Verification failures outrank everything else. */
	if (x->worst != CLI_EVERIFY)
		x->worst = ex;
}

/* ------------------------------------------------------------ progress */

static void
bar_clear(struct run *x)
{
	if (x->bar)
		fputs("\r\033[K", stderr);
}

static void
bar_draw(struct run *x, int force)
{
	uint64_t now = ut_now_ms(), el;
	size_t n = x->t->nitems, done = x->ok + x->refused + x->unsent +
	    x->local;
	char line[160], fill[31];
	double rate;
	unsigned pct, w;

	if (!x->bar || (!force && now - x->last_draw_ms < SUB_DRAW_MS))
		return;
	x->last_draw_ms = now;
	el = now > x->start_ms ? now - x->start_ms : 1;
	rate = (double)done * 1000.0 / (double)el;
	pct = n ? (unsigned)(done * 100 / n) : 100;
	w = n ? (unsigned)(done * 30 / n) : 30;
	memset(fill, '#', w);
	memset(fill + w, '.', 30 - w);
	fill[30] = '\0';
	if (rate > 0 && done < n) {
		unsigned long eta = (unsigned long)((double)(n - done) / rate);

		snprintf(line, sizeof(line), "[%s] %3u%% %zu/%zu %.0f/s ETA "
		    "%lu:%02lu", fill, pct, done, n, rate, eta / 60, eta % 60);
	} else
		snprintf(line, sizeof(line), "[%s] %3u%% %zu/%zu %.0f/s", fill,
		    pct, done, n, rate);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
}

/* ------------------------------------------------------------- results */

#define SUB_SAME_MAX	3	/* lines of one reason in a row */

/* The repeats of a reason not printed, said once with their count. */
static void
same_flush(struct run *x)
{
	if (x->same_hidden > 0)
		fprintf(stderr, "pubtrail: ... and %zu more record%s for the "
		    "same reason: %s\n", x->same_hidden, x->same_hidden == 1 ?
		    "" : "s", x->same_why);
	free(x->same_why);
	x->same_why = NULL;
	x->same_n = x->same_hidden = 0;
}

/* 1 when why repeats the reason of the last SUB_SAME_MAX problem lines
 * (counted, not printed), else 0 (print it). */
static int
same_again(struct run *x, const char *why)
{
	if (x->same_why != NULL && strcmp(x->same_why, why) == 0) {
		if (++x->same_n <= SUB_SAME_MAX)
			return 0;
		x->same_hidden++;
		return 1;
	}
	same_flush(x);
	x->same_why = strdup(why);
	x->same_n = 1;
	return 0;
}

static void
print_ready(struct run *x)
{
	const struct itk *t = x->t;
	int cleared = 0;

	while (x->next_print < t->nitems &&
	    x->res[x->next_print].state != ST_WAIT &&
	    x->res[x->next_print].state != ST_CHECK) {
		const struct itk_item *it = &t->items[x->next_print];
		struct result *r = &x->res[x->next_print];
		char receipt[UT_PATH_MAX] = "";
		int logged = r->state == ST_OK || r->state == ST_NORECEIPT ||
		    r->state == ST_AMENDED;

		if (!cleared) {
			bar_clear(x);
			cleared = 1;
		}
		if (r->state == ST_OK && x->o->receipts != NULL)
			sub_receipt_name(x->o->receipts, it->id, receipt,
			    sizeof(receipt));
		if (x->o->co->json) {
			json_t *o = json_object();
			char where[300];
			const char *file = strcmp(it->file, "-") == 0 ?
			    "stdin" : it->file;

			/* as problems are placed: no line 0 (a record
			 * `correct` built) */
			if (it->line > 0)
				snprintf(where, sizeof(where), "%s:%zu", file,
				    it->line);
			else
				snprintf(where, sizeof(where), "%s", file);
			json_object_set_new(o, "id", json_string(it->id));
			json_object_set_new(o, "where", json_string(where));
			if (logged) {
				json_object_set_new(o, "index",
				    json_integer((json_int_t)r->index));
				json_object_set_new(o, "already_logged",
				    json_boolean(r->index < x->o->ck->size));
				if (receipt[0] != '\0')
					json_object_set_new(o, "receipt",
					    json_string(receipt));
				if (r->state == ST_AMENDED)
					json_object_set_new(o, "amended_by",
					    json_integer((json_int_t)r->by));
			}
			if (r->state != ST_OK && r->state != ST_AMENDED) {
				json_object_set_new(o, "error", json_string(
				    r->state == ST_UNSENT ? "not_logged_yet" :
				    r->state == ST_LOCAL ? "not_sent" :
				    r->state == ST_NORECEIPT ?
				    "receipt_not_saved" : pt_errname(r->rc)));
				json_object_set_new(o, "reason",
				    json_string(r->why != NULL ? r->why : ""));
			}
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		} else if (logged) {
			char id[PT_MAX_ID * 4 + 1];

			printf("%s \xe2\x86\x92 %llu", itk_printable(it->id, id,
			    sizeof(id)), (unsigned long long)r->index);
			if (r->state == ST_AMENDED)
				printf(" (as amended by #%llu: nothing new)",
				    (unsigned long long)r->by);
			if (r->state == ST_NORECEIPT)
				fputs(" (receipt not saved)", stdout);
			putchar('\n');
		}
		if (r->state == ST_REFUSED || r->state == ST_NORECEIPT ||
		    r->state == ST_LOCAL) {
			struct in_pos pos = { it->file, it->line, 0 };
			struct itk quiet = { 0 };
			char w[PT_WHY_MAX + 128];
			const char *why = r->why != NULL ? r->why :
			    pt_strerror(r->rc);

			fflush(stdout);
			/* one line, in the intake format, counted apart */
			if (r->state == ST_NORECEIPT)
				snprintf(w, sizeof(w), "%s (the record is "
				    "logged, at index %llu: run the same "
				    "command again to save its receipt)", why,
				    (unsigned long long)r->index);
			if (!same_again(x, why))
				itk_problem(&quiet, &pos, r->state ==
				    ST_NORECEIPT ? "receipt" : r->state ==
				    ST_LOCAL ? "not sent" : "log", it->id, 0,
				    r->state == ST_NORECEIPT ? w : why);
		}
		free(r->why);
		r->why = NULL;
		x->next_print++;
	}
	if (cleared) {
		fflush(stdout);
		bar_draw(x, 1);
	}
}

/* Record item k's outcome: a refusal exits as cli_exit_for(rc) says (5
 * the log refused it, 1 its receipt failed verification, 6 a receipt
 * could not be written); a record not yet logged 3. */
static void
finish(struct run *x, size_t k, int state, int rc, const char *why)
{
	struct result *r = &x->res[k];

	r->state = (uint8_t)state;
	r->rc = rc;
	free(x->sub[k]);
	x->sub[k] = NULL;
	free(r->why);
	r->why = NULL;
	if (state != ST_OK && state != ST_AMENDED)
		r->why = strdup(why != NULL && why[0] ? why : pt_strerror(rc));
	switch (state) {
	case ST_CHECK:			/* decided at the end (run_end) */
		x->last_progress_ms = ut_now_ms();
		return;
	case ST_NORECEIPT:		/* logged: counted as such too */
		x->noreceipt++;
		worse(x, cli_exit_for(rc));
		/* FALLTHROUGH */
	case ST_AMENDED:
	case ST_OK:
		x->ok++;
		/* in the log before this run began: logged by an earlier
		 * run (a re-run answers with the existing receipt) */
		if (r->index < x->o->ck->size)
			x->before++;
		x->last_progress_ms = ut_now_ms();
		break;
	case ST_REFUSED:
		x->refused++;
		x->last_progress_ms = ut_now_ms();
		worse(x, cli_exit_for(rc));
		break;
	case ST_LOCAL:
		x->local++;
		worse(x, cli_exit_for(rc));
		break;
	default:
		x->unsent++;
		worse(x, CLI_ENET);
		break;
	}
	bar_draw(x, 0);
}
/* A receipt's checkpoint noted; a split view told at once, with its
 * evidence saved beside the receipts. */
static void
seen_checkpoint(struct run *x, const struct vrf_result *v)
{
	size_t other;

	if (sub_ckset_add(&x->cks, v, &other) != 1)
		return;
	worse(x, CLI_EVERIFY);
	bar_clear(x);
	sub_ckset_fork(&x->cks, other, v, x->o->receipts != NULL ?
	    x->o->receipts : ".");
}

/* The receipts of this batch, and of the others in flight, carry the
 * same few notes: each verified once (the ring's oldest is replaced). */
static void
remember_note(struct run *x, const struct vrf_result *res)
{
	struct vrf_note *slot;
	char *n;

	if (vrf_note_find(x->known, SUB_KNOWN_NOTES, res->note,
	    res->note_len) != NULL ||
	    (n = ut_strndup(res->note, res->note_len)) == NULL)
		return;
	slot = &x->known[x->known_next];
	x->known_next = (x->known_next + 1) % SUB_KNOWN_NOTES;
	free(slot->note);
	slot->note = n;
	slot->note_len = res->note_len;
	slot->ck = res->ck;
}

/* The answer to one POST /add is a receipt: check it is ours, keep it. */
static void
accept_receipt(struct run *x, size_t k, const uint8_t *body, size_t len)
{
	const struct itk_item *it = &x->t->items[k];
	struct vrf_result *res;
	struct pt_why why = { "" };
	char path[UT_PATH_MAX];
	int rc;

	if ((res = malloc(sizeof(*res))) == NULL) {
		finish(x, k, ST_UNSENT, PT_ENOMEM, NULL);
		return;
	}
	{
		struct vrf_mine m = { x->known, SUB_KNOWN_NOTES,
		    it->record, it->record_len, x->o->vkey,
		    strlen(x->o->vkey), x->sig[k] };

		rc = vrf_receipt_mine(body, len, &x->o->lc->key, &m, res,
		    &why);
	}
	if (rc != 0) {
		char w[PT_WHY_MAX];

		snprintf(w, sizeof(w), "the log's receipt does not verify: %s",
		    why.text);
		finish(x, k, ST_REFUSED, rc, w);
		goto out;
	}
	if (res->entry.sub.record_len != it->record_len ||
	    memcmp(res->entry.sub.record, it->record, it->record_len) != 0 ||
	    res->entry.sub.submitter_len != strlen(x->o->vkey) ||
	    memcmp(res->entry.sub.submitter_str, x->o->vkey,
	    res->entry.sub.submitter_len) != 0) {
		finish(x, k, ST_REFUSED, PT_EPROOF, "the log answered with a "
		    "receipt for another record or submitter");
		goto out;
	}
	seen_checkpoint(x, res);
	remember_note(x, res);
	x->res[k].index = res->index;
	/* the log answered: progress, though the item is finished only
	 * once its receipt is in its file (--give-up counts answers) */
	x->last_progress_ms = ut_now_ms();
	if (x->o->receipts != NULL) {
		if (sub_receipt_name(x->o->receipts, it->id, path,
		    sizeof(path)) != 0) {
			finish(x, k, ST_NORECEIPT, PT_EIO, "receipt file name "
			    "too long (use --receipts in a shorter "
			    "directory)");
			goto out;
		}
		/* finished when written (receipt_written) */
		if (sub_writer_put(x->writer, k, path, body, len) != 0)
			finish(x, k, ST_NORECEIPT, PT_EIO, "out of memory "
			    "keeping its receipt");
		goto out;
	}
	finish(x, k, ST_OK, 0, NULL);
out:
	free(res);
}

/* sub_written_fn: item k's receipt is in its file, or could not be. */
static void
receipt_written(void *arg, size_t k, int rc, const char *why)
{
	struct run *x = arg;

	if (rc == 0)
		finish(x, k, ST_OK, 0, NULL);
	else
		finish(x, k, ST_NORECEIPT, rc, why);
}

/* ------------------------------------------------------- HTTP (POST /add) */

static void job_done(void *arg, struct hcli_resp *r);

static void
job_free(struct job *j)
{
	free(j->k);
	free(j->body);
	free(j);
}

/* A job for the n items ks (copied): its body is the one submission, or
 * an array of them.  NULL when out of memory. */
static struct job *
job_new(struct run *x, const size_t *ks, size_t n, int batch)
{
	struct job *j = calloc(1, sizeof(*j));
	struct wire_buf b;
	int rc = 0;

	if (j == NULL || (j->k = calloc(n, sizeof(*j->k))) == NULL) {
		free(j);
		return NULL;
	}
	j->x = x;
	j->n = n;
	memcpy(j->k, ks, n * sizeof(*ks));
	wire_buf_init(&b);
	if (batch)
		rc = wire_enc_array(&b, n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = wire_enc_raw(&b, x->sub[ks[i]], x->sublen[ks[i]]);
	if (rc != 0) {
		wire_buf_free(&b);
		job_free(j);
		return NULL;
	}
	j->body = b.data;
	j->body_len = b.len;
	return j;
}

static void
job_fail_all(struct job *j, int state, int rc, const char *why)
{
	for (size_t i = 0; i < j->n; i++)
		finish(j->x, j->k[i], state, rc, why);
}

static void
send_job(void *arg)
{
	struct job *j = arg;
	struct run *x = j->x;
	int batch = x->o->batch > 1;
	int rc;

	if (x->stalled) {
		job_fail_all(j, ST_UNSENT, PT_ENET, NOT_ANSWERED);
		print_ready(x);
		job_free(j);
		return;
	}
	j->attempts++;
	if ((rc = hcli_start(x->o->lc->http, "POST", "/add",
	    "application/msgpack", batch ? j->n * (WIRE_MAX_RECEIPT + 64) +
	    64 : WIRE_MAX_RECEIPT, j->body, j->body_len,
	    "application/msgpack", job_done, j)) != 0) {
		job_fail_all(j, ST_UNSENT, rc, NULL);
		print_ready(x);
		job_free(j);
	}
}

/* No record was answered for give_up_s: stop sending. */
static int
stalled(struct run *x)
{
	if (!x->stalled && ut_now_ms() - x->last_progress_ms >=
	    (uint64_t)x->o->give_up_s * 1000)
		x->stalled = 1;
	return x->stalled;
}

/* Send j again after a back-off (Retry-After seconds when given), unless
 * the run gave up; 0 when scheduled. */
static int
retry_later(struct job *j, unsigned retry_after, int busy)
{
	struct run *x = j->x;
	unsigned ms = retry_after ? retry_after * 1000 :
	    100u << (j->attempts < 6 ? j->attempts : 6);
	uint8_t jit;

	if (stalled(x) || (busy && j->attempts >= SUB_MAX_ATTEMPTS))
		return -1;
	if (cr_random(&jit, 1) == 0)
		ms += (unsigned)jit * 4;
	return hcli_later(x->o->lc->http, ms, send_job, j);
}

/* The log refused item k with status and text (len bytes). */
static void
item_refused(struct run *x, size_t k, unsigned status, const char *text,
    size_t len)
{
	char w[PT_WHY_MAX + 128];
	int rc = status == 404 ? PT_ENOTFOUND : status >= 500 ? PT_ENET :
	    PT_EREFUSED;

	snprintf(w, sizeof(w), "POST /add: the log answered %u: %.*s%s",
	    status, (int)(len < 200 ? len : 200), text, status == 409 ?
	    "; to change a logged record: pubtrail correct --amend ID "
	    "--with FILE --reason TEXT (or --void ID)" : "");
	finish(x, k, status == 409 ? ST_CHECK : ST_REFUSED, rc, w);
}

/* A batch's answer: one result per item; busy items go again. */
static void
batch_answer(struct job *j, const uint8_t *body, size_t len)
{
	struct run *x = j->x;
	struct wire_batch_result *res;
	struct pt_why why = { "" };
	size_t *again, nagain = 0;
	unsigned retry_after = 0;

	res = calloc(j->n, sizeof(*res));
	again = calloc(j->n, sizeof(*again));
	if (res == NULL || again == NULL) {
		free(res);
		free(again);
		job_fail_all(j, ST_UNSENT, PT_ENOMEM, NULL);
		return;
	}
	if (wire_batch_answer_decode(body, len, j->n, res, &why) != 0) {
		char w[PT_WHY_MAX + 32];

		snprintf(w, sizeof(w), "POST /add: bad answer: %s", why.text);
		job_fail_all(j, ST_UNSENT, PT_ENET, w);
		goto out;
	}
	for (size_t i = 0; i < j->n; i++) {
		if (res[i].status == 200)
			accept_receipt(x, j->k[i], res[i].receipt,
			    res[i].receipt_len);
		else if (res[i].status == 429 || res[i].status == 503)
			again[nagain++] = j->k[i];
		else
			item_refused(x, j->k[i], res[i].status, res[i].error,
			    res[i].error_len);
	}
	if (nagain > 0) {
		struct job *r = job_new(x, again, nagain, 1);

		if (r != NULL) {
			r->attempts = j->attempts;
			if (retry_later(r, retry_after, 1) == 0)
				goto out;
			for (size_t i = 0; i < nagain; i++)
				finish(x, again[i], ST_UNSENT, PT_ENET, "the log "
				    "stayed busy");
			job_free(r);
		} else
			for (size_t i = 0; i < nagain; i++)
				finish(x, again[i], ST_UNSENT, PT_ENOMEM, NULL);
	}
out:
	free(res);
	free(again);
}

static void
job_done(void *arg, struct hcli_resp *r)
{
	struct job *j = arg;
	struct run *x = j->x;
	struct pt_why why = { "" };
	int rc, busy = r->err == 0 && (r->status == 429 ||
	    r->status == 503);

	/* No answer, or busy (rate limit, overload, a gateway without its
	 * log): wait as told, or back off exponentially with jitter, and
	 * send the same bytes again (the log answers a repeat with the same
	 * receipt) until the run gives up on the log. */
	if (r->err != 0 || busy || (r->status == 502 || r->status == 504)) {
		if (retry_later(j, r->retry_after, busy) == 0)
			return;
		logc_status(r, "POST /add", &why);
		job_fail_all(j, ST_UNSENT, PT_ENET, why.text);
		goto out;
	}
	if ((rc = logc_status(r, "POST /add", &why)) != 0) {
		/* the whole request refused (a batch too large, ...) */
		char w[PT_WHY_MAX + 128];

		snprintf(w, sizeof(w), "%s%s", why.text, r->status == 409 ?
		    "; to change a logged record: pubtrail correct --amend ID "
		    "--with FILE --reason TEXT (or --void ID)" : "");
		job_fail_all(j, r->status == 409 && j->n == 1 ? ST_CHECK :
		    ST_REFUSED, rc, w);
		goto out;
	}
	if (x->o->batch > 1)
		batch_answer(j, r->body, r->len);
	else
		accept_receipt(x, j->k[0], r->body, r->len);
out:
	job_free(j);
	print_ready(x);
}

/* -------------------------------------------------------------- sending */

/* Sign item k: its submission bytes and signature into x.  0, or 1 when
 * it failed (finished), or PT_ENOMEM. */
static int
prepare(struct run *x, size_t k)
{
	const struct itk_item *it = &x->t->items[k];
	struct wire_buf body;
	struct wire_submission s;
	struct pt_why why = { "" };
	char vbuf[PT_MAX_VKEY + 1];
	int rc;

	if (it->ndisc > 0 && x->o->dis != NULL) {
		/* Never log a commitment whose secret was not kept. */
		struct jrec_discs d;

		memset(&d, 0, sizeof(d));
		d.n = it->ndisc;
		memcpy(d.d, it->disc, it->ndisc * sizeof(d.d[0]));
		if ((rc = dis_store_add(x->o->dis, it->id, &d, &why)) != 0) {
			finish(x, k, ST_LOCAL, rc, why.text);
			return 1;
		}
	}
	if (presign_take(x->o->presign, k, x->o->ck->origin, it->record,
	    it->record_len, &x->sub[k], &x->sublen[k], x->sig[k]))
		return 0;
	wire_buf_init(&body);
	if ((rc = wire_submission_sign_kept(x->o->key, x->signer,
	    x->o->ck->origin, it->record, it->record_len, &s, vbuf,
	    sizeof(vbuf))) != 0 ||
	    (rc = wire_submission_encode(&s, &body)) != 0) {
		wire_buf_free(&body);
		if (rc == PT_ENOMEM)
			return rc;
		finish(x, k, ST_REFUSED, rc, NULL);
		return 1;
	}
	x->sub[k] = body.data;
	x->sublen[k] = body.len;
	memcpy(x->sig[k], s.sig, 64);
	return 0;
}

/* x for the items of t: 0 or PT_ENOMEM (then run_free cleans up). */
static int
run_init(struct run *x, const struct sub_opts *o, struct itk *t)
{
	int rc;

	memset(x, 0, sizeof(*x));
	x->o = o;
	x->t = t;
	x->res = calloc(t->nitems, sizeof(*x->res));
	x->sub = calloc(t->nitems, sizeof(*x->sub));
	x->sublen = calloc(t->nitems, sizeof(*x->sublen));
	x->sig = calloc(t->nitems, sizeof(*x->sig));
	x->known = calloc(SUB_KNOWN_NOTES, sizeof(*x->known));
	if (x->res == NULL || x->sub == NULL || x->sublen == NULL ||
	    x->sig == NULL || x->known == NULL)
		return PT_ENOMEM;
	/* Without a kept signer (only when the library cannot make one)
	 * each signature derives the key again: slower, as correct. */
	if (t->nitems > 0 &&
	    cr_signer_new(o->key->seed, &x->signer) == PT_ENOMEM)
		return PT_ENOMEM;
	/* At most as many receipts queued as a full window of batches
	 * brings: the answers wait for the disk, memory stays bounded. */
	if (o->receipts != NULL && t->nitems > 0 &&
	    (rc = sub_writer_start(2 * (size_t)o->co->concurrency *
	    (o->batch > 1 ? o->batch : 1), &x->writer)) != 0)
		return rc;
	x->start_ms = x->last_progress_ms = ut_now_ms();
	x->bar = !o->co->quiet && isatty(STDERR_FILENO) && t->nitems > 1;
	return 0;
}

static void
run_free(struct run *x)
{
	free(x->same_why);
	sub_ckset_cleanup(&x->cks);
	for (size_t k = 0; x->res != NULL && k < x->t->nitems; k++) {
		free(x->res[k].why);
		if (x->sub != NULL)
			free(x->sub[k]);
	}
	free(x->res);
	free(x->sub);
	free(x->sublen);
	free(x->sig);
	for (size_t i = 0; x->known != NULL && i < SUB_KNOWN_NOTES; i++)
		free(x->known[i].note);
	free(x->known);
	cr_signer_free(x->signer);
	sub_writer_stop(x->writer);
}

/* The disclosures the items of batch wrote made durable before they are
 * sent; when that fails every item fails with the reason (*nb = 0): no
 * commitment is logged whose secret could be lost.  0 or 1. */
static int
dis_sync(struct run *x, const size_t *batch, size_t *nb)
{
	struct pt_why why = { "" };
	int rc;

	if ((rc = dis_store_sync(x->o->dis, &why)) == 0)
		return 0;
	for (size_t i = 0; i < *nb; i++)
		finish(x, batch[i], ST_LOCAL, rc, why.text);
	*nb = 0;
	return 1;
}

/* Every half second while requests are pending: once the run gave up on
 * the log (no answer for --give-up), the requests still waiting for one
 * end now, not each at its own time-out. */
static void
watch(void *arg)
{
	struct run *x = arg;
	struct hcli *c = x->o->lc->http;

	if (stalled(x))
		hcli_abort_all(c, "given up: no answer for --give-up");
	else if (hcli_pending(c) > 0 && hcli_later(c, 500, watch, x) == 0)
		return;
	x->watching = 0;
}

/*
 * Sign in input order; send a job per batch of items; keep at most
 * 2 x concurrency jobs in flight (memory bounded for any input); then
 * wait for every answer.  Stops early when the log stalled.  0 or
 * PT_ENOMEM.
 */
static int
pump(struct run *x)
{
	const struct sub_opts *o = x->o;
	size_t nb = 0, bmax = o->batch > 1 ? o->batch : 1, *batch;
	int rc = 0;

	if ((batch = calloc(bmax, sizeof(*batch))) == NULL)
		return PT_ENOMEM;
	for (size_t k = 0; k <= x->t->nitems; k++) {
		if (k < x->t->nitems) {
			if (stalled(x))
				break;
			if ((rc = prepare(x, k)) < 0)
				break;
			if (rc == 0)
				batch[nb++] = k;
			rc = 0;
		}
		if (nb > 0 && (nb == bmax || k == x->t->nitems) &&
		    o->dis != NULL && dis_sync(x, batch, &nb) != 0)
			continue;	/* the batch failed: nothing to send */
		if (nb > 0 && (nb == bmax || k == x->t->nitems)) {
			struct job *j = job_new(x, batch, nb, o->batch > 1);

			if (j == NULL) {
				rc = PT_ENOMEM;
				break;
			}
			nb = 0;
			send_job(j);
			if (!x->watching && hcli_later(o->lc->http, 500, watch,
			    x) == 0)
				x->watching = 1;
			hcli_run_until(o->lc->http,
			    2 * (size_t)o->co->concurrency);
			sub_writer_done(x->writer, receipt_written, x);
			print_ready(x);
		}
	}
	hcli_run(o->lc->http);
	sub_writer_drain(x->writer);
	sub_writer_done(x->writer, receipt_written, x);
	free(batch);
	return rc;
}

int
sub_amended_entry(struct logc *lc, const struct ckpt *ck, uint64_t index,
    const uint8_t *buf, size_t len, const struct wire_entry *e,
    const uint8_t *rec, size_t rec_len, uint64_t *by)
{
	struct pt_why why = { "" };
	struct cst st;
	json_t *mine = NULL, *now;
	int same = 0;

	memset(&st, 0, sizeof(st));
	if (cst_resolve(lc, ck, index, buf, len, e, &st, &why) == 0 &&
	    st.status == CST_AMENDED && jrec_to_json(rec, rec_len, &mine,
	    NULL) == 0) {
		now = json_object_get(st.c[st.n - 1].record, "replacement");
		if (now != NULL && json_equal(now, mine)) {
			same = 1;
			*by = st.c[st.n - 1].index;
		}
	}
	json_decref(mine);
	cst_free(&st);
	return same;
}

void
sub_correct_hint(const char *opts, const char *id, const char *file)
{
	char qid[PT_MAX_ID * 4 + 8], qf[UT_PATH_MAX + 8];

	cli_shell_word(id, qid, sizeof(qid));
	fprintf(stderr, "pubtrail: to change the logged record %s to the row "
	    "refused above:\n  pubtrail correct%s --amend %s --with %s "
	    "--reason 'WHY'\n(or to take it back: pubtrail correct%s --void "
	    "%s --reason 'WHY')\n", id, opts, qid, strcmp(file, "-") == 0 ?
	    "FILE" : cli_shell_word(file, qf, sizeof(qf)), opts, qid);
}

int
sub_conflict_text(const uint8_t *lrec, size_t llen, const uint8_t *rec,
    size_t rec_len, uint64_t index, struct dis_store *dis, const char *id,
    const char *file, char *out, size_t cap)
{
	json_t *now = NULL, *mine = NULL, *ch = NULL, *c;
	char qid[PT_MAX_ID * 4 + 8], qf[UT_PATH_MAX + 8];
	char diff[400] = "";
	int salt = 0, renamed = 0;
	size_t i, n = 0;

	if (jrec_to_json(lrec, llen, &now, NULL) == 0 &&
	    jrec_to_json(rec, rec_len, &mine, NULL) == 0 &&
	    (ch = jrec_changes(now, mine)) != NULL)
		salt = jrec_changes_text(ch, diff, sizeof(diff));
	if (salt) {
		/* the fields, not their commitments' bytes; a field whose
		 * line in the disclosures file names another person: the
		 * name changed, not the salt */
		json_array_foreach(ch, i, c) {
			const char *f = json_string_value(json_object_get(c,
			    "field"));
			const json_t *to = json_object_get(c, "to");
			char field[128];
			int w;

			snprintf(field, sizeof(field), "%.*s",
			    (int)(strlen(f) - 11), f);
			if (dis != NULL && json_is_string(to) &&
			    dis_store_renamed(dis, id, field,
			    json_string_value(to)))
				renamed = 1;
			w = snprintf(diff + n, sizeof(diff) - n, "%s%s",
			    i ? ", " : "", field);
			if (w < 0 || (size_t)w >= sizeof(diff) - n)
				break;
			n += (size_t)w;
		}
	}
	json_decref(now);
	json_decref(mine);
	json_decref(ch);
	cli_shell_word(id, qid, sizeof(qid));
	if (strcmp(file, "-") == 0)
		snprintf(qf, sizeof(qf), "FILE");
	else
		cli_shell_word(file, qf, sizeof(qf));
	if (salt && renamed) {
		snprintf(out, cap, "the log holds this record at index %llu "
		    "with another person's name in it (%s: the disclosures "
		    "file has the record under another name): if the name "
		    "was corrected, pubtrail correct --amend %s --with %s "
		    "--reason TEXT (the whole command is below)",
		    (unsigned long long)index, diff, qid, qf);
		return 1;
	} else if (salt)
		snprintf(out, cap, "the log holds this record at index %llu, "
		    "a natural person's name in it (%s) committed under "
		    "another salt: %s%s%s; nothing to correct",
		    (unsigned long long)index, diff, dis != NULL ?
		    "the disclosures file " :
		    "no disclosures file was read", dis != NULL ?
		    dis_store_path(dis) : "", dis != NULL ? " lacks the salt "
		    "the log's record was made with (another computer's file, "
		    "or a lost one?): run with the office's file, "
		    "--disclosures" : " (--key)");
	else {
		snprintf(out, cap, "the log holds this id at index %llu for "
		    "other content (%s): if this row is another record (an id "
		    "used again, as document numbers that restart each year), "
		    "give it an id of its own (a CSV's map can make one of two "
		    "columns: id := {Jahr}-{Belegnummer}, for rows not logged "
		    "yet: a record logged under the old id, sent again under "
		    "a new one, is logged twice); to change the logged record: "
		    "pubtrail correct --amend %s --with %s --reason TEXT (or "
		    "--void %s; the whole command is below)",
		    (unsigned long long)index, diff[0] ? diff :
		    "what differs could not be shown", qid, qf, qid);
		return 1;
	}
	return 0;
}

/* After the pump: an id the log holds for other content (409) is looked
 * up: as amended, does it read as this record?  Then it is logged (the
 * corrected month's file sent again), else refused, saying what
 * differs. */
static void
run_checks(struct run *x)
{
	uint8_t sid[32];
	int have_sid = wire_submitter_id(x->o->vkey, strlen(x->o->vkey),
	    sid) == 0;

	for (size_t k = 0; k < x->t->nitems; k++) {
		const struct itk_item *it = &x->t->items[k];
		struct result *r = &x->res[k];
		struct pt_why lwhy = { "" };
		struct wire_entry e;
		uint8_t *buf = NULL;
		size_t len;
		char *why, text[2048];

		if (r->state != ST_CHECK)
			continue;
		if (x->stalled || !have_sid || logc_lookup(x->o->lc, sid,
		    it->id, x->o->ck, &r->index, &buf, &len, &e, &lwhy) != 0) {
			/* not looked up: refused as answered */
			why = r->why;
			r->why = NULL;
			finish(x, k, ST_REFUSED, r->rc, why);
			free(why);
			continue;
		}
		if (sub_amended_entry(x->o->lc, x->o->ck, r->index, buf, len,
		    &e, it->record, it->record_len, &r->by) == 1) {
			free(buf);
			finish(x, k, ST_AMENDED, 0, NULL);
			continue;
		}
		memcpy(text, "POST /add: the log answered 409: ", 33);
		if (sub_conflict_text(e.sub.record, e.sub.record_len,
		    it->record, it->record_len, r->index, x->o->dis, it->id,
		    it->file, text + 33, sizeof(text) - 33) &&
		    x->to_correct++ == 0) {
			x->correct_id = it->id;
			x->correct_file = it->file;
		}
		free(buf);
		/* refused for good: the salts this run made for it are
		 * never taken again */
		if (x->o->dis != NULL && dis_store_retract(x->o->dis, it->id,
		    &lwhy) != 0)
			fprintf(stderr, "pubtrail: %s\n", lwhy.text);
		finish(x, k, ST_REFUSED, r->rc, text);
	}
}

/* After the pump: what was never answered is not logged yet; every
 * result printed; the receipts made durable. */
static void
run_end(struct run *x)
{
	sub_writer_drain(x->writer);
	sub_writer_done(x->writer, receipt_written, x);
	run_checks(x);
	for (size_t k = 0; k < x->t->nitems; k++)
		if (x->res[k].state == ST_WAIT)
			finish(x, k, ST_UNSENT, PT_ENET, NOT_ANSWERED);
	print_ready(x);
	bar_clear(x);
	same_flush(x);
	bar_draw(x, 1);
	bar_clear(x);
	/* The receipts made durable on the writer's thread while the
	 * receipts' checkpoints are checked (run_synced). */
	if (x->ok > 0 && x->o->receipts != NULL &&
	    sub_writer_sync(x->writer, x->o->receipts) != 0) {
		struct pt_why why = { "" };

		if (sub_receipts_sync(x->o->receipts, &why) != 0)
			worse(x, cli_fail(PT_EIO, &why, "receipts"));
	} else if (x->ok > 0 && x->o->receipts != NULL)
		x->syncing = 1;
}

/* After run_end: the receipts are on disk, or the exit code says not. */
static void
run_synced(struct run *x)
{
	struct pt_why why = { "" };

	if (x->syncing && sub_writer_synced(x->writer, &why) != 0)
		worse(x, cli_fail(PT_EIO, &why, "receipts"));
	x->syncing = 0;
}

/*
 * Of the records the log held before this run (a file sent again), those
 * the log lists corrections of since: said once, after the run, so that a
 * nightly job's "nothing new" does not hide that a record it sends was
 * voided or amended meanwhile (the listing is the log's claim; `pubtrail
 * get lookup` shows each verified).  Text output only.
 */
static void
note_corrected(struct run *x)
{
	struct aud_corr *ac = NULL;
	struct pt_why why = { "" };
	size_t n = 0;

	if (aud_corr_new(&ac) != 0 ||
	    aud_corr_load(ac, x->o->lc, x->o->ck, &why) != 0) {
		aud_corr_free(ac);
		return;
	}
	for (size_t k = 0; k < x->t->nitems; k++) {
		const struct result *r = &x->res[k];
		char id[PT_MAX_ID * 4 + 1];
		uint64_t by;
		int v;

		if ((r->state != ST_OK && r->state != ST_NORECEIPT) ||
		    r->index >= x->o->ck->size ||
		    aud_corr_status(ac, r->index, &v, &by) != 1)
			continue;
		if (n == 0)
			fputs("pubtrail: records this run found in the log were "
			    "corrected since, as the log lists (pubtrail get "
			    "lookup shows each, verified):", stderr);
		if (n++ < 10)
			fprintf(stderr, "%s%s %s by #%llu", n > 1 ? ", " : " ",
			    itk_printable(x->t->items[k].id, id, sizeof(id)),
			    v ? "voided" : "amended", (unsigned long long)by);
	}
	if (n > 10)
		fprintf(stderr, ", and %zu more", n - 10);
	if (n > 0)
		fputc('\n', stderr);
	aud_corr_free(ac);
}

int
sub_send(const struct sub_opts *o, struct itk *t, struct sub_counts *c)
{
	struct run x;
	int rc, ex;

	memset(c, 0, sizeof(*c));
	if (t->nitems == 0)
		return CLI_OK;
	if ((rc = run_init(&x, o, t)) == 0) {
		bar_draw(&x, 1);
		rc = pump(&x);
		run_end(&x);
	}
	if (rc != 0)
		worse(&x, cli_fail(rc, NULL, "submit"));
	if (x.ok > 0 && x.stalled) {
		/* the log gives no answer: its proofs would not come */
		worse(&x, cli_fail(PT_ENET, NULL, "the consistency of the "
		    "receipts' checkpoints could not be checked (the log gave "
		    "no answer)"));
		fprintf(stderr, "  the receipts this run saved were verified; "
		    "run the same command again when the log answers: it logs "
		    "nothing twice, and checks them\n");
	} else if (x.ok > 0 && (ex = sub_ckset_check(&x.cks, o->lc, o->ck)) !=
	    CLI_OK) {
		worse(&x, ex);
		c->inconsistent = 1;
	}
	if (x.cks.forked)
		c->inconsistent = 1;
	run_synced(&x);
	if (x.before > 0 && !x.stalled && !o->co->json && !o->co->quiet)
		note_corrected(&x);
	c->logged = x.ok;
	c->noreceipt = x.noreceipt;
	c->before = x.before;
	c->refused = x.refused;
	c->unsent = x.unsent;
	c->local = x.local;
	c->stalled = x.stalled;
	c->to_correct = x.to_correct;
	c->correct_id = x.correct_id;
	c->correct_file = x.correct_file;
	run_free(&x);
	return x.worst;
}
