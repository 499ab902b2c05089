/*
 * witness.c: `pubtrail witness serve` (see witness.h).
 *
 * State: the witness store (witstore.h): per origin, the size and root
 * last cosigned and the note served for it.  Every add-checkpoint reads
 * the stored record, checks, cosigns, puts and commits (fsync) inside one
 * write transaction, and only then answers.  The event loop runs one
 * request at a time and the store serialises writers across processes as
 * well.  Storage errors are logged here, never sent to peers.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ckpt.h"
#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "keys.h"
#include "mt.h"
#include "note.h"
#include "num.h"
#include "hsrv.h"
#include "util.h"
#include "witness.h"
#include "witreq.h"
#include "witstore.h"

#define WIT_MAX_LOGS	32

struct wit {
	struct event_base *base;
	struct hsrv *srv;
	struct wst *store;
	const char *dir;
	struct note_skey key;
	struct note_vkey logs[WIT_MAX_LOGS];
	size_t nlogs;
	int fatal;
	uint64_t served, cosigned, refused;
	unsigned evidence;		/* files written this run */
};

static const char wit_usage[] =
    "usage: pubtrail witness serve --key FILE --listen HOST:PORT --state DIR\n"
    "           --log VKEY[,VKEY...] [--name NAME]\n"
    "           [--request-deadline MS] [--max-connections N]\n"
    "\n"
    "A C2SP tlog-witness: POST /add-checkpoint cosigns checkpoints of the\n"
    "given logs that are consistent with the last one it cosigned, and\n"
    "GET /<hex SHA-256 of a log's origin>/checkpoint serves the last one it\n"
    "cosigned.  The cosigning key is read from FILE (created with NAME when\n"
    "missing); its verifier key is written to DIR/witness.vkey and\n"
    "printed.\n";

static void
reply(struct evhttp_request *req, int code, const char *ctype,
    const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

static void
reply_text(struct evhttp_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
reply_text(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char buf[PT_WHY_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	reply(req, code, "text/plain; charset=utf-8", buf, (size_t)n);
}

/* What a request for one add-checkpoint carries through its phases. */
struct addck {
	struct wit *w;
	struct witreq req;
	struct note note;		/* the request's note, parsed */
	struct ckpt ck;
	char origin[PT_MAX_ORIGIN + 1];
	/* The request's checkpoint as kept: text, the log's verified lines. */
	char *kept;
	size_t kept_len;
	struct wst_rec stored;		/* the record before this request */
	int have_stored;
	char line[WITREQ_LINE_MAX];	/* our cosignature line */
	size_t line_len;
	/* The answer (status != 200). */
	const char *ctype;		/* NULL: text/plain */
	char msg[PT_WHY_MAX + 64];
};

/* Set the answer's text; returns status. */
static int
refuse(struct addck *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
refuse(struct addck *a, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	return status;
}

/* A storage failure: the library's words go to our log, a generic 500 (or
 * 503 when only the map is full) to the peer; any failure but a full map
 * stops the witness (never continue from doubtful state). */
static int
storage_failed(struct addck *a, int rc, const struct pt_why *why)
{
	fprintf(stderr, "pubtrail witness: %s\n", why->text[0] ? why->text :
	    pt_strerror(rc));
	if (rc == PT_EFULL)
		return refuse(a, 503, "the witness's storage is full; try "
		    "again later");
	a->w->fatal = 1;
	return refuse(a, 500, "internal error");
}

/* Keep a same-size or inconsistent request (signed by the log) as
 * evidence of misbehaviour, at most PT_WITNESS_MAX_EVIDENCE a run (anyone
 * can replay a log-signed checkpoint with a bad proof). */
static void
save_evidence(struct addck *a, int kind, const char *check)
{
	struct wit *w = a->w;
	struct pt_why why = { "" };
	char path[UT_PATH_MAX + 128];
	struct evd *e;
	size_t i;

	if (w->evidence >= PT_WITNESS_MAX_EVIDENCE) {
		fprintf(stderr, "pubtrail witness: LOG MISBEHAVIOUR: %s; "
		    "not saved (%d evidence files this run)\n", check,
		    PT_WITNESS_MAX_EVIDENCE);
		return;
	}
	w->evidence++;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->kind = kind;
	snprintf(e->check, sizeof(e->check), "%s", check);
	if (kind == EVD_INCONSISTENT) {
		e->old = a->stored.size;
		e->nproof = a->req.nproof;
		for (i = 0; i < a->req.nproof; i++)
			e->proof[i] = a->req.proof[i];
	}
	e->note[0] = a->stored.note;
	e->note_len[0] = a->stored.note_len;
	e->note[1] = a->kept;
	e->note_len[1] = a->kept_len;
	if (evd_save(w->dir, e, path, sizeof(path), &why) == 0)
		fprintf(stderr, "pubtrail witness: LOG MISBEHAVIOUR: %s; "
		    "evidence saved in %s\n", check, path);
	else
		fprintf(stderr, "pubtrail witness: LOG MISBEHAVIOUR: %s; "
		    "could not save evidence: %s\n", check, why.text);
	free(e);
}

/* Phase 1: the body (size, then tlog-witness syntax).  413, 400, 503. */
static int
ac_parse(struct addck *a, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct pt_why why = { "" };
	const char *body;
	size_t len = evbuffer_get_length(in);

	if (len > PT_WITREQ_MAX_BODY)
		return refuse(a, 413, "body over %d bytes",
		    PT_WITREQ_MAX_BODY);
	if ((body = (const char *)evbuffer_pullup(in, -1)) == NULL &&
	    len > 0)
		return refuse(a, 503, "out of memory");
	if (witreq_parse(body == NULL ? "" : body, len, &a->req, &why) != 0)
		return refuse(a, 400, "%s", why.text);
	if (note_parse(a->req.note, a->req.note_len, &a->note) != 0)
		return refuse(a, 400, "not a signed note");
	return 0;
}

/*
 * Phase 2: the log's signature by the keys we trust for the origin
 * (unknown keys ignored, a trusted key's bad line refuses), then the
 * checkpoint itself.  Keeps the text and the verified log lines (a->kept):
 * what is stored, served and used as evidence.  404, 403, 400, 422, 503.
 */
static int
ac_verify(struct addck *a)
{
	struct note_vkey keys[WIT_MAX_LOGS];
	const struct note *n = &a->note;
	const char *nl;
	size_t nk = 0, i;
	struct mt_hash empty;
	int rc;

	if ((nl = memchr(n->text, '\n', n->text_len)) == NULL ||
	    (size_t)(nl - n->text) > PT_MAX_ORIGIN)
		return refuse(a, 400, "not a checkpoint");
	memcpy(a->origin, n->text, (size_t)(nl - n->text));
	a->origin[nl - n->text] = '\0';
	for (i = 0; i < a->w->nlogs; i++)
		if (strcmp(a->w->logs[i].name, a->origin) == 0)
			keys[nk++] = a->w->logs[i];
	if (nk == 0)
		return refuse(a, 404, "unknown log origin");
	/* No valid line by a trusted key, or a trusted key's line that does
	 * not verify (or two by one key: a malformed note): 403. */
	if ((rc = note_verify(n, keys, nk, NULL)) != 0)
		return refuse(a, 403, "%s", rc == PT_EUNKNOWNSIGNER ? "no "
		    "signature by the log's key" : "a signature by the log's "
		    "key does not verify");
	if ((rc = ckpt_parse(n->text, n->text_len, &a->ck)) != 0)
		return refuse(a, 400, "checkpoint: %s", pt_strerror(rc));
	if (a->req.old > a->ck.size)
		return refuse(a, 400, "old size %" PRIu64 " is larger than the "
		    "checkpoint size %" PRIu64, a->req.old, a->ck.size);
	mt_empty_root(&empty);
	if (a->ck.size == 0 && cr_memcmp(a->ck.root.b, empty.b, 32) != 0)
		return refuse(a, 422, "a checkpoint of size 0 must have the "
		    "empty tree's root");
	/* The kept form: text, blank line, the trusted keys' lines (room
	 * for our line after them, ac_persist). */
	if ((a->kept = malloc(PT_NOTE_MAX + 1)) == NULL)
		return refuse(a, 503, "out of memory");
	if (note_keep_lines(n, keys, nk, a->kept, PT_NOTE_MAX + 1,
	    &a->kept_len) != 0)
		return refuse(a, 500, "internal error");
	return 0;
}

/*
 * Phase 3, inside the write transaction: against the stored checkpoint.
 * 409 (old is not the stored size), 422 (a proof with old 0, same size and
 * another root, a consistency proof that does not verify), 500/503.
 */
static int
ac_check(struct addck *a, struct wst_txn *t)
{
	struct pt_why why = { "" };
	char check[400];
	uint64_t ssize;
	int rc;

	rc = wst_get(t, a->origin, &a->stored, &why);
	if (rc == 0)
		a->have_stored = 1;
	else if (rc != PT_ENOTFOUND)
		return storage_failed(a, rc, &why);
	ssize = a->have_stored ? a->stored.size : 0;
	if (a->req.old != ssize) {
		if (a->have_stored && a->ck.size == ssize &&
		    cr_memcmp(a->ck.root.b, a->stored.root.b, 32) != 0) {
			snprintf(check, sizeof(check), "%s: two signed "
			    "checkpoints of size %" PRIu64 " with different "
			    "roots", a->origin, ssize);
			save_evidence(a, EVD_SAME_SIZE, check);
		}
		a->ctype = WITREQ_SIZE_CTYPE;
		witreq_size_format(ssize, a->msg, sizeof(a->msg), NULL);
		return 409;
	}
	if (a->req.old == 0 && a->req.nproof != 0)
		return refuse(a, 422, "old size 0: the proof must be empty");
	if (!a->have_stored)
		return 0;
	if (a->ck.size == ssize) {
		if (cr_memcmp(a->ck.root.b, a->stored.root.b, 32) != 0) {
			snprintf(check, sizeof(check), "%s: two signed "
			    "checkpoints of size %" PRIu64 " with different "
			    "roots", a->origin, ssize);
			save_evidence(a, EVD_SAME_SIZE, check);
			return refuse(a, 422, "a checkpoint of this size with "
			    "another root was cosigned before");
		}
		if (a->req.nproof != 0)
			return refuse(a, 422, "old size equals the size: the "
			    "proof must be empty");
		return 0;
	}
	/* From size 0 nothing needs proving (the empty tree is a prefix of
	 * every tree): old 0 with an empty proof was accepted above. */
	if (ssize > 0 && mt_verify_consistency(ssize, a->ck.size,
	    &a->stored.root, &a->ck.root, a->req.proof, a->req.nproof) != 0) {
		snprintf(check, sizeof(check), "%s: consistency proof from %"
		    PRIu64 " to %" PRIu64 " does not verify", a->origin, ssize,
		    a->ck.size);
		save_evidence(a, EVD_INCONSISTENT, check);
		return refuse(a, 422, "consistency proof does not verify");
	}
	return 0;
}

/* Phase 4: our cosignature line (tlog-cosignature v1, time now).  500. */
static int
ac_cosign(struct addck *a)
{
	struct wit *w = a->w;
	uint8_t sig[72], raw[76];
	int rc, n;

	if ((rc = note_cosign_v1(&w->key, a->note.text, a->note.text_len,
	    (uint64_t)time(NULL), sig)) != 0) {
		fprintf(stderr, "pubtrail witness: cosign: %s\n",
		    pt_strerror(rc));
		return refuse(a, 500, "internal error");
	}
	raw[0] = (uint8_t)(w->key.vk.hash >> 24);
	raw[1] = (uint8_t)(w->key.vk.hash >> 16);
	raw[2] = (uint8_t)(w->key.vk.hash >> 8);
	raw[3] = (uint8_t)w->key.vk.hash;
	memcpy(raw + 4, sig, sizeof(sig));
	n = snprintf(a->line, sizeof(a->line), "\xe2\x80\x94 %s ",
	    w->key.vk.name);
	if (n < 0 || (size_t)n >= sizeof(a->line) || cr_b64_encode(raw,
	    sizeof(raw), a->line + n, sizeof(a->line) - (size_t)n - 1) < 0)
		return refuse(a, 500, "internal error");
	a->line_len = strlen(a->line);
	a->line[a->line_len++] = '\n';
	a->line[a->line_len] = '\0';
	return 0;
}

/* Phase 5: store the new record (the kept note with our line; a request
 * for the stored size keeps its record but gets the new line) and commit:
 * on disk before anyone sees the answer.  500/503. */
static int
ac_persist(struct addck *a, struct wst_txn **t)
{
	struct pt_why why = { "" };
	struct wst_rec r;
	int rc;

	if (a->kept_len + a->line_len > PT_NOTE_MAX)
		return refuse(a, 400, "checkpoint too large to keep");
	memcpy(a->kept + a->kept_len, a->line, a->line_len + 1);
	r.size = a->ck.size;
	r.root = a->ck.root;
	r.note = a->kept;
	r.note_len = a->kept_len + a->line_len;
	rc = wst_put(*t, a->origin, &r, &why);
	if (rc == 0)
		rc = wst_commit(*t, &why);
	else
		wst_abort(*t);
	*t = NULL;
	if (rc != 0)
		return storage_failed(a, rc, &why);
	return 0;
}

/* Phase 6: the one answer: our line (200) or the refusal. */
static void
ac_answer(struct addck *a, struct evhttp_request *req, int status)
{
	size_t n;

	if (status == 200) {
		a->w->cosigned++;
		reply(req, 200, "text/plain; charset=utf-8", a->line,
		    a->line_len);
		return;
	}
	a->w->refused++;
	if (a->ctype != NULL) {
		reply(req, status, a->ctype, a->msg, strlen(a->msg));
		return;
	}
	n = strlen(a->msg);
	if (n + 2 > sizeof(a->msg))
		n = sizeof(a->msg) - 2;
	a->msg[n++] = '\n';
	reply(req, status, "text/plain; charset=utf-8", a->msg, n);
}

/*
 * POST /add-checkpoint (C2SP tlog-witness): parse, verify, check against
 * the stored checkpoint, cosign, persist, answer; the check and the
 * persist in one write transaction.  One exit, one answer.
 */
static void
add_checkpoint(struct wit *w, struct evhttp_request *req)
{
	struct pt_why why = { "" };
	struct wst_txn *t = NULL;
	struct addck *a;
	int st, rc;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		reply_text(req, 503, "out of memory");
		return;
	}
	a->w = w;
	if ((st = ac_parse(a, req)) == 0 && (st = ac_verify(a)) == 0) {
		if ((rc = wst_begin(w->store, &t, &why)) != 0)
			st = storage_failed(a, rc, &why);
	}
	if (st == 0)
		st = ac_check(a, t);
	if (st == 0)
		st = ac_cosign(a);
	if (st == 0)
		st = ac_persist(a, &t);
	wst_abort(t);
	ac_answer(a, req, st == 0 ? 200 : st);
	wst_rec_cleanup(&a->stored);
	free(a->kept);
	free(a);
	if (w->fatal) {
		fprintf(stderr, "pubtrail witness: storage failed; "
		    "stopping\n");
		event_base_loopexit(w->base, NULL);
	}
}

/*
 * GET /<origin hash>/checkpoint (tlog-witness monitoring): the latest
 * checkpoint cosigned for the configured log whose origin's SHA-256 is
 * that lower-case hex, with the log's signatures we verified and our
 * cosignature; 404 when we never cosigned one.
 */
static void
get_checkpoint(struct wit *w, struct evhttp_request *req, const char *hex)
{
	struct pt_why why = { "" };
	struct wst_rec r;
	struct note *n = NULL;
	uint8_t h[32];
	char want[65];
	size_t i, j;
	int rc, ours = 0;

	for (i = 0; i < w->nlogs; i++) {
		if (cr_sha256(w->logs[i].name, strlen(w->logs[i].name), NULL,
		    0, NULL, 0, h) != 0)
			continue;
		cr_hex_encode(h, sizeof(h), want);
		if (strcmp(want, hex) == 0)
			break;
	}
	if (i == w->nlogs) {
		reply_text(req, 404, "unknown log origin");
		return;
	}
	rc = wst_read(w->store, w->logs[i].name, &r, &why);
	if (rc == PT_ENOTFOUND) {
		reply_text(req, 404, "no checkpoint of this log cosigned");
		return;
	}
	if (rc != 0) {
		fprintf(stderr, "pubtrail witness: %s\n", why.text[0] ?
		    why.text : pt_strerror(rc));
		reply_text(req, 500, "internal error");
		return;
	}
	/* Records older than this server hold the note as received,
	 * without our line: those are not served. */
	if ((n = malloc(sizeof(*n))) != NULL && note_parse(r.note, r.note_len,
	    n) == 0)
		for (j = 0; j < n->nsigs; j++)
			if (n->sigs[j].hash == w->key.vk.hash &&
			    strcmp(n->sigs[j].name, w->key.vk.name) == 0)
				ours = 1;
	free(n);
	if (ours)
		reply(req, 200, "text/plain; charset=utf-8", r.note,
		    r.note_len);
	else
		reply_text(req, 404, "no checkpoint of this log cosigned "
		    "since this witness was upgraded");
	wst_rec_cleanup(&r);
}

/* "/<64 lower-case hex>/checkpoint": the hex, or NULL. */
static const char *
monitor_path(const char *path, char hex[65])
{
	size_t i;

	if (strlen(path) != 1 + 64 + 11 || path[0] != '/' ||
	    strcmp(path + 65, "/checkpoint") != 0)
		return NULL;
	for (i = 0; i < 64; i++) {
		char c = path[1 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return NULL;
		hex[i] = c;
	}
	hex[64] = '\0';
	return hex;
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct wit *w = arg;
	const char *path = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char hex[65];

	w->served++;
	if (path != NULL && strcmp(path, "/add-checkpoint") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Allow", "POST");
			reply_text(req, 405, "POST only");
			return;
		}
		add_checkpoint(w, req);
		return;
	}
	if (path != NULL && monitor_path(path, hex) != NULL) {
		if (cmd != EVHTTP_REQ_GET) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Allow", "GET");
			reply_text(req, 405, "GET only");
			return;
		}
		get_checkpoint(w, req, hex);
		return;
	}
	if (path != NULL && strcmp(path, "/healthz") == 0) {
		reply_text(req, 200, "ok");
		return;
	}
	reply_text(req, 404, "not found");
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct wit *w = arg;

	(void)sig;
	(void)ev;
	event_base_loopexit(w->base, NULL);
}

static int
load_key(const char *path, const char *name, struct note_skey *k,
    struct pt_why *why)
{
	char buf[KEYS_STR_MAX + 2];
	uint8_t *data;
	size_t len;
	int rc;

	if ((rc = ut_check_secret_file(path, why)) == 0)
		rc = ut_read_file(path, 1024, &data, &len, why);
	if (rc == PT_ENOTFOUND) {
		if ((rc = note_keygen(name, NOTE_ALG_COSIG_V1, k)) != 0)
			return pt_why_set(why, rc, "key generation failed");
		if ((rc = note_skey_format(k, buf, sizeof(buf))) != 0)
			return pt_why_set(why, rc, "key format failed");
		strcat(buf, "\n");
		rc = ut_write_file(path, buf, strlen(buf), 0600, 1, why);
		cr_wipe(buf, sizeof(buf));
		if (rc == 0)
			fprintf(stderr, "pubtrail witness: new cosigning key "
			    "written to %s\n", path);
		return rc;
	}
	if (rc != 0)
		return rc;
	len = ut_rtrim((const char *)data, len);
	rc = note_skey_parse((const char *)data, len, k);
	cr_wipe(data, len);
	free(data);
	if (rc != 0)
		return pt_why_set(why, rc, "%s: not a private key", path);
	if (k->vk.alg != NOTE_ALG_COSIG_V1) {
		note_skey_wipe(k);
		return pt_why_set(why, PT_EMALFORMED, "%s: not a cosignature "
		    "(type 0x04) key", path);
	}
	return 0;
}

static int
parse_logs(struct wit *w, const char *arg, struct pt_why *why)
{
	const char *s = arg, *comma;
	size_t n;

	while (*s != '\0') {
		comma = strchr(s, ',');
		n = comma == NULL ? strlen(s) : (size_t)(comma - s);
		if (w->nlogs == WIT_MAX_LOGS)
			return pt_why_set(why, PT_ETOOBIG, "more than %d logs",
			    WIT_MAX_LOGS);
		if (note_vkey_parse(s, n, &w->logs[w->nlogs]) != 0 ||
		    w->logs[w->nlogs].alg != NOTE_ALG_ED25519)
			return pt_why_set(why, PT_EMALFORMED,
			    "--log: not an Ed25519 verifier key: %.*s",
			    (int)(n > 80 ? 80 : n), s);
		w->nlogs++;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* What `witness serve` was asked to do, besides w's dir and logs. */
struct wit_args {
	const char *keyf, *listen, *name;
	unsigned deadline_ms, max_conns;
};

/* Options of `witness serve` (argv[0] is "serve") into w and a.  -1 to go
 * on, or an exit code (CLI_OK after --help). */
static int
wit_parse_args(int argc, char **argv, struct wit *w, struct wit_args *a)
{
	static const struct option lo[] = {
		{ "key", 1, NULL, 'k' },
		{ "listen", 1, NULL, 'l' },
		{ "state", 1, NULL, 's' },
		{ "log", 1, NULL, 'g' },
		{ "name", 1, NULL, 'n' },
		{ "request-deadline", 1, NULL, 'D' },
		{ "max-connections", 1, NULL, 'C' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pt_why why = { "" };
	uint64_t lim;
	int c;

	a->name = "pubtrail-witness";
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			a->keyf = optarg;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 's':
			w->dir = optarg;
			break;
		case 'g':
			if (parse_logs(w, optarg, &why) != 0)
				return cli_usage_error(wit_usage, "%s",
				    why.text);
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'D':
		case 'C':
			if (num_parse_u64_str(optarg, 1, c == 'D' ? 600000 :
			    PT_HTTP_MAX_CONNS, &lim) != 0)
				return cli_usage_error(wit_usage, "--%s: out "
				    "of range", c == 'D' ? "request-deadline" :
				    "max-connections");
			if (c == 'D')
				a->deadline_ms = (unsigned)lim;
			else
				a->max_conns = (unsigned)lim;
			break;
		case 'h':
			fputs(wit_usage, stdout);
			return CLI_OK;
		default:
			return cli_usage_error(wit_usage, "bad option");
		}
	}
	if (a->keyf == NULL || a->listen == NULL || w->dir == NULL ||
	    w->nlogs == 0 || optind != argc)
		return cli_usage_error(wit_usage,
		    "--key, --listen, --state and --log are required");
	return -1;
}

/* Open the key and the store, listen, and serve until a signal or a
 * storage failure.  The exit code; w's resources are witness_main's to
 * free. */
static int
wit_serve(struct wit *w, const struct wit_args *a, struct event *sigs[2])
{
	struct pt_why why = { "" };
	char vk[KEYS_STR_MAX + 2], path[UT_PATH_MAX + 32];
	struct hsrv_opts so = { .max_body = PT_WITREQ_MAX_BODY,
	    .max_conns = a->max_conns, .deadline_ms = a->deadline_ms,
	    .methods = HSRV_METHODS_ANY };
	int rc;

	if ((rc = ut_mkdirs(w->dir, 0700, &why)) != 0 ||
	    (rc = load_key(a->keyf, a->name, &w->key, &why)) != 0)
		return cli_fail(rc, &why, "witness");
	if ((rc = wst_open(w->dir, 0, &w->store, &why)) != 0)
		return cli_fail(rc, &why, "witness state");
	note_vkey_format(&w->key.vk, vk, sizeof(vk) - 1);
	snprintf(path, sizeof(path), "%s/witness.vkey", w->dir);
	strcat(vk, "\n");
	if ((rc = ut_write_file(path, vk, strlen(vk), 0644, 0, &why)) != 0)
		return cli_fail(rc, &why, "witness.vkey");
	if ((w->base = event_base_new()) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "witness");
	if ((rc = hsrv_start(w->base, a->listen, &so, handle, w, &w->srv,
	    &why)) != 0)
		return cli_fail(rc, &why, "witness");
	sigs[0] = evsignal_new(w->base, SIGTERM, on_signal, w);
	sigs[1] = evsignal_new(w->base, SIGINT, on_signal, w);
	if (sigs[0] == NULL || sigs[1] == NULL)
		return cli_fail(PT_ENOMEM, NULL, "witness");
	event_add(sigs[0], NULL);
	event_add(sigs[1], NULL);
	signal(SIGPIPE, SIG_IGN);
	fputs(vk, stdout);
	fflush(stdout);
	fprintf(stderr, "pubtrail witness: %s listening on %s, %zu log "
	    "key(s)\n", w->key.vk.name, a->listen, w->nlogs);
	event_base_dispatch(w->base);
	fprintf(stderr, "pubtrail witness: stopped (%" PRIu64 " cosigned)\n",
	    w->cosigned);
	return w->fatal ? CLI_ENET : CLI_OK;
}

int
witness_main(int argc, char **argv)
{
	struct event *sigs[2] = { NULL, NULL };
	struct wit_args a;
	struct wit *w;
	int ex;

	if (argc < 2 || strcmp(argv[1], "serve") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)) {
			fputs(wit_usage, stdout);
			return CLI_OK;
		}
		return cli_usage_error(wit_usage, "want: witness serve");
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "witness");
	memset(&a, 0, sizeof(a));
	if ((ex = wit_parse_args(argc - 1, argv + 1, w, &a)) < 0)
		ex = wit_serve(w, &a, sigs);
	if (sigs[0] != NULL)
		event_free(sigs[0]);
	if (sigs[1] != NULL)
		event_free(sigs[1]);
	hsrv_free(w->srv);
	if (w->base != NULL)
		event_base_free(w->base);
	wst_close(w->store);
	note_skey_wipe(&w->key);
	free(w);
	return ex;
}
