/*
 * submit.c: sign and submit records, keep verified receipts.
 *
 * Two phases.  First every record of every input is read, encoded and
 * checked (intake.c); with a problem anywhere nothing is sent unless
 * --keep-going.  Then the valid records are signed in input order and
 * queued on the HTTP pool (at most 4 x concurrency waiting, so memory
 * stays bounded); answers arrive in any order and results are printed in
 * input order.  A receipt is saved only after vrf_receipt() accepted it
 * AND it is the receipt for exactly the record we signed, by our key.
 * Before exit 0 the checkpoints of all saved receipts are proven
 * consistent with each other, with the checkpoint seen at the start and
 * with the client's memory of the log.
 *
 * HTTP is touched in three places only: send_job (POST /add), job_done
 * (its answer) and the pump loop in sub_send; the rest works on items.
 */
#define _GNU_SOURCE		/* syncfs(2): receipts made durable at once */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "evidence.h"
#include "input.h"
#include "json.h"
#include "keys.h"
#include "num.h"
#include "ptlimits.h"
#include "submit.h"
#include "util.h"
#include "verify.h"

#define SUB_MAX_ATTEMPTS 30	/* sends of one submission the log answered busy */
#define SUB_DRAW_MS	200	/* progress bar redraws at most this often */

enum { ST_WAIT = 0, ST_OK, ST_REFUSED, ST_UNSENT };

struct result {
	uint8_t state;
	int rc;
	uint64_t index;
	char *why;			/* ST_REFUSED / ST_UNSENT: heap */
};

/* A distinct checkpoint seen in a receipt. */
struct seen {
	uint64_t size;
	struct mt_hash root;
	char *note;
	size_t note_len;
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
	struct result *res;
	uint8_t **sub;			/* signed submission of item k, until done */
	size_t *sublen;
	uint8_t (*sig)[64];		/* its signature */
	size_t next_print;
	size_t ok, refused, unsent;
	int stalled;
	uint64_t start_ms, last_progress_ms, last_draw_ms;
	int bar;			/* progress bar on stderr */
	int worst;
	struct seen *seen;
	size_t nseen, capseen;
	int forked;
	char *known_note;		/* the last checkpoint note verified */
	size_t known_len;
	struct ckpt *known_ck;
};

int
sub_receipt_name(const char *dir, const char *id, char *out, size_t cap)
{
	size_t n;
	int w;

	w = snprintf(out, cap, "%s/", dir);
	if (w < 0 || (size_t)w >= cap)
		return PT_ETOOBIG;
	n = (size_t)w;
	for (const char *p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && p != id);

		if (n + 4 >= cap)
			return PT_ETOOBIG;
		if (plain)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	if (n + sizeof(".receipt") > cap)
		return PT_ETOOBIG;
	memcpy(out + n, ".receipt", sizeof(".receipt"));
	return 0;
}

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
	size_t n = x->t->nitems, done = x->ok + x->refused + x->unsent;
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

static void
print_ready(struct run *x)
{
	const struct itk *t = x->t;
	int cleared = 0;

	while (x->next_print < t->nitems &&
	    x->res[x->next_print].state != ST_WAIT) {
		const struct itk_item *it = &t->items[x->next_print];
		struct result *r = &x->res[x->next_print];
		char receipt[UT_PATH_MAX] = "";

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

			snprintf(where, sizeof(where), "%s:%zu", strcmp(it->file,
			    "-") == 0 ? "stdin" : it->file, it->line);
			json_object_set_new(o, "id", json_string(it->id));
			json_object_set_new(o, "where", json_string(where));
			if (r->state == ST_OK) {
				json_object_set_new(o, "index",
				    json_integer((json_int_t)r->index));
				if (receipt[0] != '\0')
					json_object_set_new(o, "receipt",
					    json_string(receipt));
			} else {
				json_object_set_new(o, "error", json_string(
				    r->state == ST_UNSENT ? "not_logged_yet" :
				    pt_errname(r->rc)));
				json_object_set_new(o, "reason",
				    json_string(r->why != NULL ? r->why : ""));
			}
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		} else if (r->state == ST_OK) {
			char id[PT_MAX_ID * 4 + 1];

			printf("%s \xe2\x86\x92 %llu\n", itk_printable(it->id, id,
			    sizeof(id)), (unsigned long long)r->index);
		}
		if (r->state == ST_REFUSED) {
			struct in_pos pos = { it->file, it->line, 0 };
			struct itk quiet = { 0 };

			fflush(stdout);
			/* one line, in the intake format, counted apart */
			itk_problem(&quiet, &pos, "log", it->id, 0, r->why !=
			    NULL ? r->why : pt_strerror(r->rc));
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
	if (state != ST_OK)
		r->why = strdup(why != NULL && why[0] ? why : pt_strerror(rc));
	switch (state) {
	case ST_OK:
		x->ok++;
		x->last_progress_ms = ut_now_ms();
		break;
	case ST_REFUSED:
		x->refused++;
		x->last_progress_ms = ut_now_ms();
		worse(x, cli_exit_for(rc));
		break;
	default:
		x->unsent++;
		worse(x, CLI_ENET);
		break;
	}
	bar_draw(x, 0);
}

/* A distinct checkpoint from a receipt: remembered; a second root for a
 * size seen before is a split view, saved as evidence. */
static void
seen_checkpoint(struct run *x, const struct vrf_result *v)
{
	struct seen *s;

	for (size_t i = x->nseen; i-- > 0;) {
		struct evd *e;
		char path[UT_PATH_MAX];
		struct pt_why why = { "" };

		s = &x->seen[i];
		if (s->size != v->ck.size)
			continue;
		if (cr_memcmp(s->root.b, v->ck.root.b, 32) == 0)
			return;
		x->forked = 1;
		worse(x, CLI_EVERIFY);
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return;
		e->kind = EVD_SAME_SIZE;
		snprintf(e->check, sizeof(e->check), "two receipts from `pubtrail "
		    "submit` carry checkpoints of size %llu with different "
		    "roots", (unsigned long long)s->size);
		e->note[0] = s->note;
		e->note_len[0] = s->note_len;
		e->note[1] = v->note;
		e->note_len[1] = v->note_len;
		bar_clear(x);
		if (evd_save(x->o->receipts != NULL ? x->o->receipts : ".", e,
		    path, sizeof(path), &why) == 0)
			fprintf(stderr, "pubtrail: %sTHE LOG SHOWED TWO "
			    "DIFFERENT TREES OF SIZE %llu%s\n  evidence: %s\n"
			    "  check it: pubtrail evidence verify --log-key "
			    "VKEY %s\n", cli_red(stderr), (unsigned long long)
			    s->size, cli_reset(stderr), path, path);
		else
			fprintf(stderr, "pubtrail: THE LOG SHOWED TWO DIFFERENT "
			    "TREES OF SIZE %llu; could not save evidence: %s\n",
			    (unsigned long long)s->size, why.text);
		free(e);
		return;
	}
	if (x->nseen == x->capseen) {
		size_t ncap = x->capseen ? x->capseen * 2 : 64;
		struct seen *n = realloc(x->seen, ncap * sizeof(*n));

		if (n == NULL)
			return;
		x->seen = n;
		x->capseen = ncap;
	}
	s = &x->seen[x->nseen];
	if ((s->note = ut_strndup(v->note, v->note_len)) == NULL)
		return;
	s->note_len = v->note_len;
	s->size = v->ck.size;
	s->root = v->ck.root;
	x->nseen++;
}

/*
 * Write a receipt as ut_write_file does (a new mkstemp file in the
 * directory, then rename over path) without an fsync per file: a run of
 * 100,000 records would spend most of its time there.  sync_receipts()
 * makes them all durable at the end with one syncfs(2); a crash before it
 * loses at most receipts the same command fetches again.
 */
static int
write_receipt(const char *path, const uint8_t *p, size_t len,
    struct pt_why *why)
{
	char tmp[UT_PATH_MAX + 16];
	size_t off = 0;
	int fd;

	if ((fd = ut_tmpfile(path, 0644, tmp, sizeof(tmp), why)) < 0)
		return fd;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			close(fd);
			unlink(tmp);
			return pt_why_set(why, PT_EIO, "%s: %s", path,
			    strerror(e));
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	return 0;
}

/* Every receipt written, and the directory, on disk (one syncfs). */
static int
sync_receipts(const char *dir, struct pt_why *why)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || syncfs(fd) != 0 || fsync(fd) != 0)
		rc = pt_why_set(why, PT_EIO, "%s: the receipts may not be on "
		    "disk: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
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
		struct vrf_mine m = { x->known_note, x->known_len,
		    x->known_ck, it->record, it->record_len, x->o->vkey,
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
	/* the next receipts of this batch carry the same note: verified
	 * once */
	if (x->known_ck != NULL && (res->note_len != x->known_len ||
	    memcmp(res->note, x->known_note, x->known_len) != 0)) {
		char *n = ut_strndup(res->note, res->note_len);

		if (n != NULL) {
			free(x->known_note);
			x->known_note = n;
			x->known_len = res->note_len;
			*x->known_ck = res->ck;
		}
	}
	x->res[k].index = res->index;
	if (x->o->receipts != NULL) {
		if (sub_receipt_name(x->o->receipts, it->id, path,
		    sizeof(path)) != 0) {
			finish(x, k, ST_REFUSED, PT_EIO, "receipt file name too "
			    "long (the record is logged: run again with "
			    "--receipts in a shorter directory)");
			goto out;
		}
		if ((rc = write_receipt(path, body, len, &why)) != 0) {
			finish(x, k, ST_REFUSED, rc, why.text);
			goto out;
		}
	}
	finish(x, k, ST_OK, 0, NULL);
out:
	free(res);
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
		job_fail_all(j, ST_UNSENT, PT_ENET, "not sent: the run stopped");
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
	finish(x, k, ST_REFUSED, rc, w);
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
		job_fail_all(j, ST_REFUSED, rc, w);
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
			finish(x, k, ST_REFUSED, rc, why.text);
			return 1;
		}
	}
	wire_buf_init(&body);
	if ((rc = wire_submission_sign(x->o->key, x->o->ck->origin,
	    it->record, it->record_len, &s, vbuf, sizeof(vbuf))) != 0 ||
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

/* Every distinct checkpoint of a saved receipt must be a prefix of the
 * largest; the largest is then checked against (and becomes) the
 * client's memory of the log.  0 or the exit code. */
static int
check_checkpoints(struct run *x)
{
	struct ckpt *a, *b;
	struct pt_why why = { "" };
	size_t top = 0;
	int rc, ex = CLI_OK;

	if (x->nseen == 0)
		return CLI_OK;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL) {
		free(a);
		return cli_fail(PT_ENOMEM, NULL, "receipts' checkpoints");
	}
	for (size_t i = 1; i < x->nseen; i++)
		if (x->seen[i].size > x->seen[top].size)
			top = i;
	*b = *x->o->ck;			/* origin etc. */
	b->size = x->seen[top].size;
	b->root = x->seen[top].root;
	for (size_t i = 0; i <= x->nseen && ex == CLI_OK; i++) {
		if (i < x->nseen) {
			if (i == top)
				continue;
			a->size = x->seen[i].size;
			a->root = x->seen[i].root;
		} else
			*a = *x->o->ck;	/* the checkpoint at the start */
		if (a->size > b->size)
			continue;	/* start newer than all receipts */
		if ((rc = logc_consistent(x->o->lc, a, b, &why)) != 0) {
			ex = cli_fail(rc, &why, "the checkpoints of the receipts "
			    "(sizes %llu and %llu) are not consistent",
			    (unsigned long long)a->size,
			    (unsigned long long)b->size);
			if (ex == CLI_EVERIFY)
				fprintf(stderr, "  the larger checkpoint:\n%.*s\n",
				    (int)x->seen[top].note_len,
				    x->seen[top].note);
		}
	}
	if (ex == CLI_OK && (rc = logc_remember(x->o->lc, b,
	    x->seen[top].note, x->seen[top].note_len, &why)) != 0)
		ex = cli_fail(rc, &why, "the receipts' checkpoint (size %llu) "
		    "against the one this client remembers for the log",
		    (unsigned long long)b->size);
	free(a);
	free(b);
	return ex;
}

int
sub_send(const struct sub_opts *o, struct itk *t, struct sub_counts *c)
{
	struct run x;
	size_t k, nb = 0, bmax = o->batch > 1 ? o->batch : 1, *batch;
	int rc = 0, ex;

	memset(&x, 0, sizeof(x));
	memset(c, 0, sizeof(*c));
	x.o = o;
	x.t = t;
	if (t->nitems == 0)
		return CLI_OK;
	x.res = calloc(t->nitems, sizeof(*x.res));
	x.sub = calloc(t->nitems, sizeof(*x.sub));
	x.sublen = calloc(t->nitems, sizeof(*x.sublen));
	x.sig = calloc(t->nitems, sizeof(*x.sig));
	x.known_ck = calloc(1, sizeof(*x.known_ck));
	batch = calloc(bmax, sizeof(*batch));
	if (x.res == NULL || x.sub == NULL || x.sublen == NULL ||
	    x.sig == NULL || x.known_ck == NULL || batch == NULL) {
		rc = PT_ENOMEM;
		goto done;
	}
	x.start_ms = x.last_progress_ms = ut_now_ms();
	x.bar = !o->co->quiet && isatty(STDERR_FILENO) && t->nitems > 1;
	bar_draw(&x, 1);
	/* Sign in input order; send a job per bmax items; keep at most
	 * 2 x concurrency jobs in flight (memory bounded for any input). */
	for (k = 0; k <= t->nitems; k++) {
		if (k < t->nitems) {
			if (stalled(&x))
				break;
			if ((rc = prepare(&x, k)) < 0)
				break;
			if (rc == 0)
				batch[nb++] = k;
			rc = 0;
		}
		if (nb > 0 && (nb == bmax || k == t->nitems)) {
			struct job *j = job_new(&x, batch, nb, o->batch > 1);

			if (j == NULL) {
				rc = PT_ENOMEM;
				break;
			}
			nb = 0;
			send_job(j);
			hcli_run_until(o->lc->http,
			    2 * (size_t)o->co->concurrency);
			print_ready(&x);
		}
	}
	hcli_run(o->lc->http);
	for (k = 0; k < t->nitems; k++)
		if (x.res[k].state == ST_WAIT)
			finish(&x, k, ST_UNSENT, PT_ENET, "not sent: the run "
			    "stopped");
	print_ready(&x);
	bar_draw(&x, 1);
	bar_clear(&x);
	if (x.ok > 0 && o->receipts != NULL) {
		struct pt_why why = { "" };

		if (sync_receipts(o->receipts, &why) != 0)
			worse(&x, cli_fail(PT_EIO, &why, "receipts"));
	}
done:
	if (rc != 0)
		worse(&x, cli_fail(rc, NULL, "submit"));
	if (x.ok > 0 && (ex = check_checkpoints(&x)) != CLI_OK) {
		worse(&x, ex);
		c->inconsistent = 1;
	}
	if (x.forked)
		c->inconsistent = 1;
	c->logged = x.ok;
	c->refused = x.refused;
	c->unsent = x.unsent;
	c->stalled = x.stalled;
	for (size_t i = 0; i < x.nseen; i++)
		free(x.seen[i].note);
	free(x.seen);
	for (k = 0; x.res != NULL && k < t->nitems; k++) {
		free(x.res[k].why);
		if (x.sub != NULL)
			free(x.sub[k]);
	}
	free(x.res);
	free(x.sub);
	free(x.sublen);
	free(x.sig);
	free(x.known_note);
	free(x.known_ck);
	free(batch);
	return x.worst;
}

/* ----------------------------------------------------------- dry run */

/* --dry-run with --log: which ids are in the log already. */
static int
dry_lookup(struct itk *t, struct logc *lc, const char *vkey, int json,
    size_t *logged, size_t *conflicts)
{
	struct ckpt *ck;
	struct pt_why why = { "" };
	uint8_t sid[32];
	int rc, ex = CLI_OK;

	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "--dry-run");
	if ((rc = wire_submitter_id(vkey, strlen(vkey), sid)) != 0 ||
	    (rc = logc_checkpoint(lc, ck, NULL, NULL, &why)) != 0) {
		free(ck);
		return cli_fail(rc, &why, "checkpoint");
	}
	for (size_t k = 0; k < t->nitems; k++) {
		const struct itk_item *it = &t->items[k];
		struct wire_entry e;
		uint8_t *buf = NULL;
		size_t len;
		uint64_t index = 0;
		char id[PT_MAX_ID * 4 + 1];
		int same = 0, found;

		rc = logc_lookup(lc, sid, it->id, ck, &index, &buf, &len, &e,
		    &why);
		if (rc != 0 && rc != PT_ENOTFOUND) {
			free(ck);
			return cli_fail(rc, &why, "looking up %s", it->id);
		}
		found = rc == 0;
		if (found)
			same = e.sub.record_len == it->record_len &&
			    memcmp(e.sub.record, it->record, it->record_len) ==
			    0;
		free(buf);
		if (found && !same) {
			struct in_pos pos = { it->file, it->line, 0 };
			char msg[200];

			(*conflicts)++;
			snprintf(msg, sizeof(msg), "already in the log at index "
			    "%llu with other content: the log would refuse it; "
			    "to change it, use pubtrail correct",
			    (unsigned long long)index);
			itk_problem(t, &pos, "id", it->id, 0, msg);
			ex = CLI_EVERIFY;
			continue;
		}
		if (found)
			(*logged)++;
		if (json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(it->id));
			json_object_set_new(o, "valid", json_true());
			if (found)
				json_object_set_new(o, "logged_at",
				    json_integer((json_int_t)index));
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		} else if (found)
			printf("%s \xe2\x86\x92 %llu (already logged)\n",
			    itk_printable(it->id, id, sizeof(id)),
			    (unsigned long long)index);
		else
			printf("%s \xe2\x86\x92 valid\n", itk_printable(it->id, id,
			    sizeof(id)));
	}
	free(ck);
	return ex;
}

static void
dry_print(const struct itk *t, int json)
{
	char id[PT_MAX_ID * 4 + 1];

	for (size_t k = 0; k < t->nitems; k++) {
		if (json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(
			    t->items[k].id));
			json_object_set_new(o, "valid", json_true());
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		} else
			printf("%s \xe2\x86\x92 valid\n", itk_printable(
			    t->items[k].id, id, sizeof(id)));
	}
}

/* ------------------------------------------------------------ the command */

static const char submit_usage[] =
    "usage: pubtrail submit --log URL --log-key VKEY --key FILE\n"
    "         [--receipts DIR | --no-receipts] [--disclosures FILE]\n"
    "         [--format json|jsonl|csv] [--delimiter , | ; | tab]\n"
    "         [--map FILE | --map 'NAME=FIELD,...'] [--type TYPE]\n"
    "         [--currency CODE] [--decimal-comma | --decimal-point]\n"
    "         [--thousands-sep , | . | ' | space] [--keep-going]\n"
    "         [--dry-run] [--give-up SECONDS] [--batch N]\n"
    "         [--concurrency N]\n"
    "         [--timeout MS] [--json] [--quiet] [INPUT...]\n"
    "\n"
    "Submit records (JSON object, JSON array, JSON Lines or CSV; \"-\" or\n"
    "no INPUT: standard input) to the log at URL, signed with the office's\n"
    "key FILE for the origin of the log's checkpoint, verified with VKEY.\n"
    "\n"
    "Every record of every INPUT is read and checked with the log's own\n"
    "schema code first; any problem is printed as\n"
    "  FILE:LINE[:COL]: FIELD: PROBLEM (VALUE)\n"
    "and then NOTHING is sent, unless --keep-going (send the valid records,\n"
    "list the others).  An id used twice in the input is a problem.\n"
    "\n"
    "CSV: ',' ';' or tab separated (detected, or --delimiter); columns are\n"
    "schema field names or BLDS names, or the office's own names mapped\n"
    "with --map (a file of NAME = FIELD lines, or inline NAME=FIELD,...).\n"
    "Amounts in major units (amount, fee, EstProjectCost) are read with the\n"
    "currency's ISO 4217 decimals; a comma is refused unless you say what\n"
    "it is: --decimal-comma (1234,56), or --decimal-point with\n"
    "--thousands-sep , (1,234.56).  Thousands separators are accepted only\n"
    "when declared and between groups of three digits.  JSON input takes\n"
    "amount_minor, an integer in minor units.  --currency gives rows\n"
    "without a currency column theirs; --type their record type.\n"
    "\n"
    "A payee or applicant {\"kind\": \"individual\", \"name\": ...} (or a\n"
    "CSV payee without a scheme) becomes a salted commitment; salt and name\n"
    "are appended to the disclosures FILE (default KEYFILE.disclosures.jsonl,\n"
    "mode 0600) before the record is sent.\n"
    "\n"
    "Records go to the log --batch N at a time (default 100) in one\n"
    "POST /add each (--batch 1: one record per request), --concurrency\n"
    "requests at once.  Each receipt is verified, then saved as\n"
    "DIR/<id>.receipt (default\n"
    "DIR: ./receipts); \"ID -> INDEX\" is printed for each record in input\n"
    "order, with a progress bar on a terminal.  Before exit 0, every saved\n"
    "receipt's checkpoint is proven consistent with the others and with\n"
    "the checkpoint this client remembers for the log.  If the log gives\n"
    "no answer for --give-up SECONDS (default 60) the run stops and says\n"
    "how many records are not yet logged: running the same command again\n"
    "resumes safely (a record already logged is answered with its receipt,\n"
    "never logged twice).\n"
    "\n"
    "--dry-run reads and checks only: no --log needed, nothing written;\n"
    "with --log (and --key) it also says which ids are in the log already\n"
    "(same content: already logged; other content: a conflict).\n"
    "\n"
    "Exit 0 all logged, 1 a record is invalid or a receipt or checkpoint\n"
    "failed verification, 3 network or the log stopped answering, 5 the\n"
    "log refused a record (e.g. 409: the same id with other content),\n"
    "6 a file cannot be read or a receipt written.\n";

#define OPT_NORECEIPTS	0x200
#define OPT_KEEPGOING	0x201
#define OPT_GIVEUP	0x202
#define OPT_DELIM	0x203
#define OPT_MAP		0x204
#define OPT_BATCH	0x205

int
sub_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		AMT_LONGOPTS,
		{ "key", 1, NULL, 'k' },
		{ "receipts", 1, NULL, 'r' },
		{ "no-receipts", 0, NULL, OPT_NORECEIPTS },
		{ "disclosures", 1, NULL, 'd' },
		{ "format", 1, NULL, 'f' },
		{ "type", 1, NULL, 't' },
		{ "currency", 1, NULL, 'c' },
		{ "delimiter", 1, NULL, OPT_DELIM },
		{ "map", 1, NULL, OPT_MAP },
		{ "keep-going", 0, NULL, OPT_KEEPGOING },
		{ "give-up", 1, NULL, OPT_GIVEUP },
		{ "batch", 1, NULL, OPT_BATCH },
		{ "dry-run", 0, NULL, 'n' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common co;
	struct in_opts io;
	struct itk t;
	struct sub_opts so;
	struct sub_counts cnt;
	struct note_skey key;
	struct jrec_discs discs;
	struct dis_store *dis = NULL;
	struct logc *lc = NULL;
	struct csvin_map *map = NULL;
	struct ckpt *ck = NULL;
	const char *keyfile = NULL, *receipts = "receipts";
	const char *disclosures = NULL, *map_arg = NULL;
	char dpath[UT_PATH_MAX], vkey[PT_MAX_VKEY + 1];
	struct pt_why why = { "" };
	char *stdin_only[] = { "-" };
	char **inputs;
	size_t ninputs;
	int c, rc, ex = CLI_OK, dry = 0, keep = 0, have_key = 0, made_dir = 0;
	uint64_t v;
	unsigned give_up = SUB_GIVE_UP_S, batch = SUB_BATCH;

	memset(&io, 0, sizeof(io));
	memset(&t, 0, sizeof(t));
	memset(&discs, 0, sizeof(discs));
	memset(&key, 0, sizeof(key));
	cli_common_init(&co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(submit_usage, stdout);
			return CLI_OK;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			receipts = optarg;
			break;
		case OPT_NORECEIPTS:
			receipts = NULL;
			break;
		case 'd':
			disclosures = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "jsonl") != 0 &&
			    strcmp(optarg, "csv") != 0)
				return cli_usage_error(submit_usage, "--format: "
				    "json, jsonl or csv");
			io.format = optarg;
			break;
		case 't':
			io.csv.type = optarg;
			break;
		case 'c':
			io.csv.currency = optarg;
			break;
		case OPT_DELIM:
			if (strcmp(optarg, ",") == 0 || strcmp(optarg, ";") == 0)
				io.csv.delimiter = optarg[0];
			else if (strcmp(optarg, "tab") == 0 ||
			    strcmp(optarg, "\t") == 0)
				io.csv.delimiter = '\t';
			else
				return cli_usage_error(submit_usage,
				    "--delimiter: want , ; or tab");
			break;
		case OPT_MAP:
			map_arg = optarg;
			break;
		case OPT_KEEPGOING:
			keep = 1;
			break;
		case OPT_GIVEUP:
			if (num_parse_u64_str(optarg, 1, 86400, &v) != 0)
				return cli_usage_error(submit_usage, "--give-up: "
				    "1..86400 seconds");
			give_up = (unsigned)v;
			break;
		case OPT_BATCH:
			if (num_parse_u64_str(optarg, 1, PT_ADD_BATCH_MAX, &v) !=
			    0)
				return cli_usage_error(submit_usage, "--batch: "
				    "1..%d submissions per request",
				    PT_ADD_BATCH_MAX);
			batch = (unsigned)v;
			break;
		case 'n':
			dry = 1;
			break;
		default:
			if ((rc = amt_cli_opt(&io.csv.amt, c, optarg, &why)) ==
			    1)
				break;
			if (rc < 0)
				return cli_usage_error(submit_usage, "%s",
				    why.text);
			if ((rc = cli_common_opt(&co, c, optarg,
			    submit_usage)) != 1) {
				if (rc == 0)
					fputs(submit_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (amt_opts_check(&io.csv.amt, &why) != 0)
		return cli_usage_error(submit_usage, "%s", why.text);
	if (keyfile == NULL && (!dry || co.log_url != NULL))
		return cli_usage_error(submit_usage, "--key FILE is required%s",
		    dry ? " with --log (to find the office's ids)" : "");
	if ((!dry || co.log_url != NULL) &&
	    (rc = cli_common_check(&co, 1, submit_usage)) != 0)
		return rc;
	inputs = optind < argc ? argv + optind : stdin_only;
	ninputs = optind < argc ? (size_t)(argc - optind) : 1;
	if (map_arg != NULL && (rc = csvin_map_load(map_arg, &map, &why)) !=
	    0)
		return cli_fail(rc == PT_ENOTFOUND || rc == PT_EIO ? rc :
		    PT_EINVAL, &why, "--map");
	io.csv.map = map;
	if (keyfile != NULL) {
		if ((rc = keys_load_skey(keyfile, &key, &why)) != 0) {
			ex = cli_fail(rc, &why, "--key");
			goto out;
		}
		have_key = 1;
		if ((rc = note_vkey_format(&key.vk, vkey, sizeof(vkey))) != 0) {
			ex = cli_fail(rc, NULL, "--key");
			goto out;
		}
		if (disclosures == NULL) {
			if (snprintf(dpath, sizeof(dpath), "%s.disclosures.jsonl",
			    keyfile) >= (int)sizeof(dpath)) {
				ex = cli_usage_error(submit_usage, "--key: path "
				    "too long");
				goto out;
			}
			disclosures = dpath;
		}
		/* Read only here: the file is written (dis_store_add) just
		 * before a record is sent, never by a dry run. */
		if ((rc = dis_store_open(disclosures, vkey, &dis, &why)) != 0) {
			ex = cli_fail(rc, &why, "disclosures file");
			goto out;
		}
		discs.known = dis_store_known;
		discs.known_arg = dis;
	}
	/* Phase 1: everything read and checked. */
	t.json = co.json;
	t.discs = &discs;
	if ((rc = itk_read(&t, inputs, ninputs, &io)) != 0) {
		ex = cli_fail(rc, NULL, "reading the input");
		goto out;
	}
	if (t.problems > 0 && !keep && !dry) {
		if (t.records == 0)
			fprintf(stderr, "pubtrail: %s%zu problem%s above; no "
			    "record could be read\n", dry ? "" : "nothing sent: ",
			    t.problems, t.problems == 1 ? "" : "s");
		else
			fprintf(stderr, "pubtrail: %s%zu of %zu record%s "
			    "invalid%s (%zu problem%s above)%s\n",
			    "nothing sent: ", t.invalid,
			    t.records, t.records == 1 ? "" : "s",
			    t.files_unread ? ", and files unread" : "",
			    t.problems, t.problems == 1 ? "" : "s",
			    t.nitems > 0 ? "; --keep-going sends the valid ones" :
			    "");
		ex = t.files_unread > 0 ? CLI_EFILE : CLI_EVERIFY;
		goto out;
	}
	if (dry) {
		size_t logged = 0, conflicts = 0;

		if (co.log_url != NULL) {
			struct hcli_opts ho;

			cli_hcli_opts(&co, co.concurrency, &ho);
			if ((rc = logc_open(co.log_url, &co.key, &ho, &lc,
			    &why)) != 0) {
				ex = cli_fail(rc, &why, "--log");
				goto out;
			}
			ex = dry_lookup(&t, lc, vkey, co.json, &logged,
			    &conflicts);
		} else
			dry_print(&t, co.json);
		if (ex == CLI_OK && t.problems > 0)
			ex = CLI_EVERIFY;
		if ((!co.quiet || ex != CLI_OK) && t.records == 0)
			fprintf(stderr, "pubtrail: dry run: %zu problem%s above; "
			    "no record could be read; nothing was sent or "
			    "written\n", t.problems, t.problems == 1 ? "" : "s");
		else if (!co.quiet || ex != CLI_OK)
			fprintf(stderr, "pubtrail: dry run: %zu record%s valid"
			    "%s, %zu invalid (%zu problem%s above); nothing was "
			    "sent or written\n", t.nitems - conflicts,
			    t.nitems - conflicts == 1 ? "" : "s", co.log_url ==
			    NULL ? "" : logged > 0 ? " (some already logged)" :
			    " (none logged yet)", t.invalid + conflicts,
			    t.problems, t.problems == 1 ? "" : "s");
		goto out;
	}
	if (t.nitems == 0) {
		if (!co.quiet)
			fprintf(stderr, "pubtrail: no valid records to send\n");
		ex = t.problems > 0 ? CLI_EVERIFY : CLI_OK;
		goto out;
	}
	/* Phase 2: sign, send, keep receipts. */
	if (receipts != NULL) {
		struct stat st;

		/* made now, so that a directory that cannot be is said before
		 * anything is sent; removed again if it stays empty */
		made_dir = stat(receipts, &st) != 0;
		if ((rc = ut_mkdirs(receipts, 0755, &why)) != 0) {
			ex = cli_fail(rc, &why, "--receipts");
			goto out;
		}
		if (stat(receipts, &st) == 0 && (st.st_mode & S_IWOTH) &&
		    !(st.st_mode & S_ISVTX)) {
			ex = cli_fail(PT_EIO, NULL, "--receipts %s: a directory "
			    "anyone may write to", receipts);
			goto out;
		}
	}
	{
		struct hcli_opts ho;

		cli_hcli_opts(&co, co.concurrency, &ho);
		if ((rc = logc_open(co.log_url, &co.key, &ho, &lc, &why)) !=
		    0) {
			ex = cli_fail(rc, &why, "--log");
			goto out;
		}
	}
	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "submit");
		goto out;
	}
	if ((rc = logc_checkpoint(lc, ck, NULL, NULL, &why)) != 0) {
		ex = cli_fail(rc, &why, "checkpoint");
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.co = &co;
	so.lc = lc;
	so.ck = ck;
	so.key = &key;
	so.vkey = vkey;
	so.dis = dis;
	so.receipts = receipts;
	so.give_up_s = give_up;
	so.batch = batch;
	ex = sub_send(&so, &t, &cnt);
	if (made_dir && cnt.logged == 0)
		(void)rmdir(receipts);
	if (t.problems > 0 && ex != CLI_EVERIFY)
		ex = ex == CLI_OK ? CLI_EVERIFY : ex;
	if (!co.quiet || ex != CLI_OK) {
		fprintf(stderr, "pubtrail: %zu record%s logged", cnt.logged,
		    cnt.logged == 1 ? "" : "s");
		if (receipts != NULL && cnt.logged > 0)
			fprintf(stderr, " (receipts in %s/)", receipts);
		if (t.invalid > 0)
			fprintf(stderr, ", %zu invalid (not sent)", t.invalid);
		if (cnt.refused > 0)
			fprintf(stderr, ", %zu refused", cnt.refused);
		if (cnt.unsent > 0)
			fprintf(stderr, ", %zu not yet logged", cnt.unsent);
		fputc('\n', stderr);
		if (cnt.stalled)
			fprintf(stderr, "pubtrail: the log gave no answer for %u "
			    "s: stopped with %zu of %zu records not yet logged."
			    "\npubtrail: run the same command again to resume: "
			    "records already logged are answered with their "
			    "receipts, never logged twice.\n", give_up,
			    cnt.unsent, t.nitems);
		else if (cnt.unsent > 0)
			fprintf(stderr, "pubtrail: run the same command again "
			    "to log the %zu records not yet logged (never "
			    "twice).\n", cnt.unsent);
	}
out:
	if (have_key)
		note_skey_wipe(&key);
	itk_free(&t);
	jrec_discs_clear(&discs);
	dis_store_free(dis);
	csvin_map_free(map);
	logc_free(lc);
	free(ck);
	return ex;
}
