/*
 * api.c: route table and handlers.  Reads use one short LMDB read
 * transaction each and copy what they need before ending it.  Every range
 * check against the latest checkpoint happens before storage is touched.
 */
#include <sys/queue.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "cfg.h"
#include "crypto.h"
#include "env.h"
#include "log.h"
#include "metrics.h"
#include "mt.h"
#include "num.h"
#include "pub.h"
#include "rcpt.h"
#include "record.h"
#include "seq.h"
#include "store.h"
#include "subm.h"
#include "tile.h"
#include "webroot.h"
#include "wire.h"
#include "witc.h"

#define CT_MSGPACK	"application/msgpack"
#define CT_JSON		"application/json"
#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_OCTETS	"application/octet-stream"
#define CACHE_NONE	"no-store"
#define CACHE_SHORT	"public, max-age=1, must-revalidate"
#define CACHE_IMMUTABLE	"public, max-age=31536000, immutable"
#define CACHE_PARTIAL	"public, max-age=60"

struct api {
	struct api_ctx *ctx;		/* main's */
	struct seq_job *parked;		/* durable, waiting for the quorum */
	uint64_t nparked;
};

/* One request's answer. */
struct rq {
	struct api *api;
	struct api_ctx *ctx;		/* api->ctx */
	struct evhttp_request *req;
	enum metrics_route route;
	int status;
	const char *ctype;
	const char *cache;
	struct evbuffer *body;
	int json;		/* client asked for JSON */
	int deferred;		/* answered later (POST /add) */
	double t0;
	char path[512];
	const char *query;	/* after '?', or NULL */
};

int
api_status(int err)
{
	switch (err) {
	case 0:
		return 200;
	case PT_ETOOBIG:
		return 413;
	case PT_EMALFORMED: case PT_ENONCANON: case PT_EDUPKEY:
	case PT_EUNKNOWNKEY: case PT_ETYPE: case PT_EUTF8: case PT_ETRAILING:
	case PT_ETRUNCATED: case PT_ESCHEMA: case PT_ERANGE: case PT_EDEPTH:
	case PT_EINVAL: case PT_EORIGIN:
		return 400;
	case PT_ESIG: case PT_EUNKNOWNSIGNER: case PT_EFORBIDDEN:
		return 403;
	case PT_ENOTFOUND:
		return 404;
	case PT_ECONFLICT:
		return 409;
	case PT_ERATE:
		return 429;
	case PT_EFULL: case PT_EBUSY: case PT_ENOMEM:
		return 503;
	default:
		return 500;
	}
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Set an error answer: status and a one-line text reason. */
static void
fail(struct rq *rq, int status, const char *fmt, ...)
{
	va_list ap;

	rq->status = status;
	rq->ctype = CT_TEXT;
	rq->cache = CACHE_NONE;
	evbuffer_drain(rq->body, evbuffer_get_length(rq->body));
	va_start(ap, fmt);
	evbuffer_add_vprintf(rq->body, fmt, ap);
	va_end(ap);
	evbuffer_add(rq->body, "\n", 1);
}

static void
fail_err(struct rq *rq, int err, const char *what)
{
	fail(rq, api_status(err), "%s: %s", what, pt_strerror(err));
}

/* The one place a reply is sent.  A HEAD answer has the headers of the
 * GET answer, its Content-Length included, and no content (evhttp would
 * send the content, which a keep-alive client then reads as the start of
 * its next answer). */
static void
send_rq(struct rq *rq)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

	evhttp_add_header(h, "Content-Type", rq->ctype);
	evhttp_add_header(h, "Cache-Control", rq->cache);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (rq->route != MR_ADD)	/* read routes: any page may read */
		evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	if (rq->status == 429)
		evhttp_add_header(h, "Retry-After", "1");
	if (rq->status == 503)
		evhttp_add_header(h, "Retry-After", "5");
	if (evhttp_request_get_command(rq->req) == EVHTTP_REQ_HEAD) {
		char cl[24];
		size_t n = evbuffer_get_length(rq->body);

		snprintf(cl, sizeof(cl), "%zu", n);
		evhttp_add_header(h, "Content-Length", cl);
		evbuffer_drain(rq->body, n);
	}
	evhttp_send_reply(rq->req, rq->status, reason_phrase(rq->status),
	    rq->body);
	metrics_http(rq->ctx->metrics, rq->route, rq->status,
	    env_mono() - rq->t0);
	evbuffer_free(rq->body);
	free(rq);
}

static int
wants_json(struct evhttp_request *req)
{
	const char *a = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Accept");

	return a != NULL && strstr(a, CT_JSON) != NULL;
}

/*
 * --- query strings: known keys only, each at most once ---
 *
 * Split as evhttp_parse_query_str does ('&' between parameters, the first
 * '=' between a key and its value, keys compared undecoded, a trailing '&'
 * allowed), but each value is decoded with evhttp_uridecode, which gives
 * its decoded length: a value is seen whole by length, so an encoded NUL
 * ("1%00junk") is a byte of it, refused by the value's own check, never
 * an end that hides what follows.
 */

struct qarg {
	const char *name;
	char *value;		/* decoded (owned; qargs_free), or NULL */
	size_t len;		/* decoded length */
};

static void
qargs_free(struct qarg *args, size_t nargs)
{
	for (size_t i = 0; i < nargs; i++) {
		free(args[i].value);
		args[i].value = NULL;
	}
}

/* 0, or -1 with the answer set (400 or 503); args[].value set for the keys
 * present, to be freed with qargs_free either way. */
static int
parse_query(struct rq *rq, struct qarg *args, size_t nargs)
{
	char *copy, *p, *seg, *key, *val;
	int rc = 0;

	if (rq->query == NULL)
		return 0;
	if ((copy = strdup(rq->query)) == NULL) {
		fail(rq, 503, "out of memory");
		return -1;
	}
	p = copy;
	while (rc == 0 && p != NULL && *p != '\0') {
		size_t i;

		seg = strsep(&p, "&");
		val = seg;
		key = strsep(&val, "=");
		if (val == NULL || *key == '\0') {
			fail(rq, 400, "malformed query string");
			rc = -1;
			break;
		}
		for (i = 0; i < nargs; i++)
			if (strcmp(key, args[i].name) == 0)
				break;
		if (i == nargs) {
			fail(rq, 400, "unknown query parameter \"%.40s\"", key);
			rc = -1;
		} else if (args[i].value != NULL) {
			fail(rq, 400, "repeated query parameter \"%s\"", key);
			rc = -1;
		} else if ((args[i].value = evhttp_uridecode(val, 1,
		    &args[i].len)) == NULL) {
			fail(rq, 503, "out of memory");
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int
query_u64(struct rq *rq, const struct qarg *a, uint64_t max, uint64_t *out)
{
	if (a->value == NULL) {
		fail(rq, 400, "missing query parameter \"%s\"", a->name);
		return -1;
	}
	if (num_parse_u64(a->value, a->len, 0, max, out) != 0) {
		fail(rq, 400, "%s: want a decimal integer <= %llu", a->name,
		    (unsigned long long)max);
		return -1;
	}
	return 0;
}

/* A 32-byte value given as 64 hex digits (by decoded length). */
static int
query_hex32(const struct qarg *a, uint8_t out[32])
{
	return a->value != NULL && a->len == 64 &&
	    cr_hex_decode(a->value, 64, out, 32) == 0 ? 0 : -1;
}

static void
proof_answer(struct rq *rq, int incl, uint64_t a, uint64_t b,
    const struct mt_hash *proof, size_t n)
{
	struct wire_buf wb;
	int rc;

	rq->cache = CACHE_NONE;
	if (rq->json) {
		json_t *o = json_object(), *arr = json_array();
		char b64[64], *s;

		for (size_t i = 0; i < n; i++) {
			cr_b64_encode(proof[i].b, MT_HASH_SIZE, b64,
			    sizeof(b64));
			json_array_append_new(arr, json_string(b64));
		}
		json_object_set_new(o, incl ? "index" : "old",
		    json_integer((json_int_t)a));
		json_object_set_new(o, incl ? "size" : "new",
		    json_integer((json_int_t)b));
		json_object_set_new(o, "proof", arr);
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		if (s == NULL) {
			fail(rq, 503, "out of memory");
			return;
		}
		evbuffer_add_printf(rq->body, "%s\n", s);
		free(s);
		rq->ctype = CT_JSON;
		rq->status = 200;
		return;
	}
	wire_buf_init(&wb);
	rc = incl ? wire_inclusion_encode(a, b, proof, n, &wb) :
	    wire_consistency_encode(a, b, proof, n, &wb);
	if (rc != 0)
		fail_err(rq, rc, "encoding proof");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
		rq->status = 200;
	}
	wire_buf_free(&wb);
}

/* --- handlers --- */

static void
h_healthz(struct rq *rq)
{
	evbuffer_add_printf(rq->body, "ok\n");
	rq->cache = CACHE_NONE;
}

static void
h_metrics(struct rq *rq)
{
	uint64_t size, used = 0, mapsize = 0;

	pub_latest(rq->ctx->pub, NULL, 0, NULL, &size);
	store_map_info(rq->ctx->store, &used, &mapsize);
	metrics_render(rq->ctx->metrics, rq->body, size, used, mapsize,
	    (rq->ctx->seq != NULL ? seq_queue_len(rq->ctx->seq) : 0) +
	    rq->api->nparked);
	if (rq->ctx->witc != NULL)
		witc_metrics(rq->ctx->witc, rq->body);
	rq->ctype = "text/plain; version=0.0.4; charset=utf-8";
	rq->cache = CACHE_NONE;
}

static void
h_checkpoint(struct rq *rq)
{
	char *note = malloc(PT_NOTE_MAX + 1);
	size_t len;

	if (note == NULL) {
		fail(rq, 503, "out of memory");
		return;
	}
	pub_served(rq->ctx->pub, note, PT_NOTE_MAX + 1, &len, NULL);
	if (len == 0)
		fail(rq, 503, "no checkpoint cosigned by the witness quorum "
		    "yet");
	else {
		evbuffer_add(rq->body, note, len);
		rq->cache = CACHE_SHORT;
	}
	free(note);
}

static void
h_tile(struct rq *rq)
{
	struct tile t;
	struct store_txn *txn;
	uint64_t size;
	unsigned width;
	int rc;

	if (tile_path_parse(rq->path + 1, strlen(rq->path + 1), &t) != 0) {
		fail(rq, 400, "malformed tile path");
		return;
	}
	rq->route = t.entries ? MR_ENTRIES : MR_TILE;
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &size);
	if (tile_width_at(&t, size, &width) != 0 || t.width > width) {
		fail(rq, 404, "tile not in the tree of size %llu",
		    (unsigned long long)size);
		return;
	}
	/* A partial tile stays servable after the full one exists (its
	 * bytes never change); tlog-tiles allows either. */
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		fail_err(rq, rc, "storage");
		return;
	}
	if (t.entries) {
		/* One cursor walk, then the whole bundle copied into one
		 * reserved extent (not 2 x 256 small adds). */
		const uint8_t *e[TILE_WIDTH];
		size_t elen[TILE_WIDTH], total = 0;
		struct evbuffer_iovec v;

		_Static_assert(TILE_WIDTH <= STORE_RANGE_MAX, "bundle range");
		rc = store_get_entries(txn, t.n * TILE_WIDTH, t.width, e, elen);
		for (unsigned i = 0; rc == 0 && i < t.width; i++) {
			if (elen[i] > 0xffff)
				rc = PT_ECORRUPT;
			total += 2 + elen[i];
		}
		if (rc == 0 && (evbuffer_reserve_space(rq->body,
		    (ev_ssize_t)total, &v, 1) != 1 || v.iov_len < total))
			rc = PT_ENOMEM;
		if (rc == 0) {
			uint8_t *p = v.iov_base;

			for (unsigned i = 0; i < t.width; i++) {
				*p++ = (uint8_t)(elen[i] >> 8);
				*p++ = (uint8_t)elen[i];
				memcpy(p, e[i], elen[i]);
				p += elen[i];
			}
			v.iov_len = total;
			if (evbuffer_commit_space(rq->body, &v, 1) != 0)
				rc = PT_ENOMEM;
		}
	} else {
		struct mt_hash *h = malloc(TILE_WIDTH * sizeof(*h));

		if (h == NULL)
			rc = PT_ENOMEM;
		else if ((rc = store_get_hashes(txn, t.level * TILE_HEIGHT,
		    t.n * TILE_WIDTH, t.width, h)) == 0)
			evbuffer_add(rq->body, h, t.width * sizeof(*h));
		free(h);
	}
	store_read_end(txn);
	if (rc != 0) {
		log_warnx("tile %s: %s", rq->path, pt_strerror(rc));
		fail_err(rq, rc == PT_ENOTFOUND ? PT_EIO : rc, "reading tile");
		return;
	}
	rq->ctype = CT_OCTETS;
	rq->cache = t.width == TILE_WIDTH ? CACHE_IMMUTABLE : CACHE_PARTIAL;
}

static void
h_inclusion(struct rq *rq)
{
	struct qarg a[] = { { "index", NULL, 0 }, { "hash", NULL, 0 },
	    { "size", NULL, 0 } };
	struct mt_hash proof[PT_MAX_PROOF], leaf;
	struct store_txn *txn;
	struct mt_reader r;
	uint64_t size, latest, index = 0;
	size_t n;
	int rc;

	if (parse_query(rq, a, 3) != 0)
		goto out;
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (query_u64(rq, &a[2], PT_MAX_TREE_SIZE, &size) != 0)
		goto out;
	if (size == 0 || size > latest) {
		fail(rq, 400, "size must be in 1..%llu (the latest "
		    "checkpoint)", (unsigned long long)latest);
		goto out;
	}
	if ((a[0].value == NULL) == (a[1].value == NULL)) {
		fail(rq, 400, "give exactly one of index and hash");
		goto out;
	}
	if (a[0].value != NULL) {
		if (query_u64(rq, &a[0], PT_MAX_TREE_SIZE, &index) != 0)
			goto out;
		if (index >= size) {
			fail(rq, 400, "index must be below size");
			goto out;
		}
	} else if (query_hex32(&a[1], leaf.b) != 0) {
		fail(rq, 400, "hash: want 64 hex digits (a leaf hash)");
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		fail_err(rq, rc, "storage");
		goto out;
	}
	rc = 0;
	if (a[1].value != NULL) {
		rc = store_find_leaf(txn, &leaf, &index);
		if (rc == 0 && index >= size)
			rc = PT_ERANGE;
	}
	if (rc == 0) {
		store_txn_reader(txn, &r);
		rc = mt_inclusion_proof(&r, index, size, proof, PT_MAX_PROOF,
		    &n);
	}
	store_read_end(txn);
	if (rc == PT_ENOTFOUND)
		fail(rq, 404, "no entry with that leaf hash");
	else if (rc == PT_ERANGE)
		fail(rq, 400, "entry %llu is not in the tree of size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	else if (rc != 0)
		fail_err(rq, rc, "inclusion proof");
	else
		proof_answer(rq, 1, index, size, proof, n);
out:
	qargs_free(a, 3);
}

static void
h_consistency(struct rq *rq)
{
	struct qarg a[] = { { "old", NULL, 0 }, { "new", NULL, 0 } };
	struct mt_hash proof[PT_MAX_PROOF];
	struct store_txn *txn;
	struct mt_reader r;
	uint64_t old, nw, latest;
	size_t n;
	int rc;

	if (parse_query(rq, a, 2) != 0)
		goto out;
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (query_u64(rq, &a[0], PT_MAX_TREE_SIZE, &old) != 0 ||
	    query_u64(rq, &a[1], PT_MAX_TREE_SIZE, &nw) != 0)
		goto out;
	if (nw > latest) {
		fail(rq, 400, "new must be at most %llu (the latest "
		    "checkpoint)", (unsigned long long)latest);
		goto out;
	}
	if (old == 0 || old > nw) {
		fail(rq, 400, "old must be in 1..new");
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		fail_err(rq, rc, "storage");
		goto out;
	}
	store_txn_reader(txn, &r);
	rc = mt_consistency_proof(&r, old, nw, proof, PT_MAX_PROOF, &n);
	store_read_end(txn);
	if (rc != 0)
		fail_err(rq, rc, "consistency proof");
	else
		proof_answer(rq, 0, old, nw, proof, n);
out:
	qargs_free(a, 2);
}

/*
 * One msgpack value at c (a stored entry: canonical bytes, read through
 * wire's cursor) as JSON: bin as base64, an integer above INT64_MAX as a
 * decimal string.  NULL when out of memory or the bytes are not what
 * wire_check_canonical accepts.  O(len); depth bounded by PT_MAX_DEPTH.
 */
static json_t *
cur_to_json(struct wire_cur *c, int depth)
{
	json_t *j = NULL;
	const char *str;
	const uint8_t *bin;
	uint64_t u;
	int64_t i;
	size_t n;

	if (depth > PT_MAX_DEPTH)
		return NULL;
	switch (wire_cur_kind(c)) {
	case WIRE_K_UINT:
		if (wire_cur_uint(c, &u) != 0)
			return NULL;
		if (u <= INT64_MAX)
			return json_integer((json_int_t)u);
		{
			char dec[24];

			snprintf(dec, sizeof(dec), "%llu",
			    (unsigned long long)u);
			return json_string(dec);
		}
	case WIRE_K_NINT:
		return wire_cur_int(c, &i) != 0 ? NULL :
		    json_integer((json_int_t)i);
	case WIRE_K_STR:
		return wire_cur_str(c, &str, &n) != 0 ? NULL :
		    json_stringn(str, n);
	case WIRE_K_BIN: {
		char *b64;

		if (wire_cur_bin(c, &bin, &n) != 0 ||
		    (b64 = malloc(cr_b64_enclen(n) + 1)) == NULL)
			return NULL;
		cr_b64_encode(bin, n, b64, cr_b64_enclen(n) + 1);
		j = json_string(b64);
		free(b64);
		return j;
	}
	case WIRE_K_ARRAY:
		if (wire_cur_array(c, &n) != 0 || (j = json_array()) == NULL)
			return NULL;
		for (size_t k = 0; k < n; k++)
			if (json_array_append_new(j, cur_to_json(c,
			    depth + 1)) != 0)
				goto fail;
		return j;
	case WIRE_K_MAP:
		if (wire_cur_map(c, &n) != 0 || (j = json_object()) == NULL)
			return NULL;
		for (size_t k = 0; k < n; k++) {
			size_t klen;

			if (wire_cur_str(c, &str, &klen) != 0 ||
			    json_object_setn_new(j, str, klen, cur_to_json(c,
			    depth + 1)) != 0)
				goto fail;
		}
		return j;
	default:
		return NULL;
	}
fail:
	json_decref(j);
	return NULL;
}

/* Answer with one entry: its raw leaf bytes, or JSON {entry, index,
 * leaf_hash}. */
static void
entry_answer(struct rq *rq, uint64_t index, const uint8_t *e, size_t len)
{
	struct wire_cur c;
	struct mt_hash leaf;
	json_t *o, *ej;
	char hex[65], *s;

	rq->cache = CACHE_IMMUTABLE;
	if (!rq->json) {
		evbuffer_add(rq->body, e, len);
		rq->ctype = CT_MSGPACK;
		return;
	}
	mt_leaf_hash(e, len, &leaf);
	cr_hex_encode(leaf.b, 32, hex);
	wire_cur_init(&c, e, len);
	if ((ej = cur_to_json(&c, 0)) == NULL || c.p != c.end) {
		json_decref(ej);
		fail(rq, 500, "stored entry %llu does not decode",
		    (unsigned long long)index);
		return;
	}
	o = json_object();
	json_object_set_new(o, "index", json_integer((json_int_t)index));
	json_object_set_new(o, "leaf_hash", json_string(hex));
	json_object_set_new(o, "entry", ej);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL) {
		fail(rq, 503, "out of memory");
		return;
	}
	evbuffer_add_printf(rq->body, "%s\n", s);
	free(s);
	rq->ctype = CT_JSON;
}

static void
h_entry(struct rq *rq)
{
	struct store_txn *txn;
	const uint8_t *e;
	uint64_t index, latest;
	size_t len;
	int rc;

	if (num_parse_u64_str(rq->path + strlen("/entry/"), 0, PT_MAX_TREE_SIZE,
	    &index) != 0) {
		fail(rq, 400, "want /entry/<decimal index>");
		return;
	}
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (index >= latest) {
		fail(rq, 404, "no entry %llu: the latest checkpoint has %llu",
		    (unsigned long long)index, (unsigned long long)latest);
		return;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		fail_err(rq, rc, "storage");
		return;
	}
	if ((rc = store_get_entry(txn, index, &e, &len)) == 0)
		entry_answer(rq, index, e, len);
	else
		fail_err(rq, rc, "reading entry");
	store_read_end(txn);
}

/* Answer a lookup: {entry (bytes), index} in msgpack, or as /entry in
 * JSON. */
static void
lookup_answer(struct rq *rq, uint64_t index, const uint8_t *e, size_t len)
{
	struct wire_buf wb;
	int rc;

	if (rq->json) {
		entry_answer(rq, index, e, len);
		rq->cache = CACHE_NONE;
		return;
	}
	wire_buf_init(&wb);
	if ((rc = wire_lookup_encode(e, len, index, &wb)) != 0)
		fail_err(rq, rc, "encoding the answer");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
		rq->cache = CACHE_NONE;
	}
	wire_buf_free(&wb);
}

static void
h_lookup(struct rq *rq)
{
	struct qarg a[] = { { "submitter", NULL, 0 }, { "id", NULL, 0 } };
	struct store_txn *txn;
	uint8_t sid[32];
	const uint8_t *e;
	uint64_t index, latest;
	size_t len;
	int rc;

	if (parse_query(rq, a, 2) != 0)
		goto out;
	if (query_hex32(&a[0], sid) != 0) {
		fail(rq, 400, "submitter: want 64 hex digits (submitter id)");
		goto out;
	}
	if (a[1].value == NULL || record_id_check(a[1].value, a[1].len) != 0) {
		fail(rq, 400, "id: want 1..%d bytes of printable ASCII without "
		    "spaces (a record id)", PT_MAX_ID);
		goto out;
	}
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		fail_err(rq, rc, "storage");
		goto out;
	}
	rc = store_find_id(txn, sid, a[1].value, a[1].len, &index);
	if (rc == 0 && index >= latest)
		rc = PT_ENOTFOUND;
	if (rc == 0)
		rc = store_get_entry(txn, index, &e, &len);
	if (rc == 0)
		lookup_answer(rq, index, e, len);
	else if (rc == PT_ENOTFOUND)
		fail(rq, 404, "no entry with that submitter and id");
	else
		fail_err(rq, rc, "lookup");
	store_read_end(txn);
out:
	qargs_free(a, 2);
}

/*
 * A correction must point at an entry that exists (index below the latest
 * checkpoint), name that entry's leaf hash exactly, and come from the
 * office that submitted the entry (PROTOCOL.md section 6.5).  0, or -1
 * with the answer set.
 */
static int
check_correction(struct rq *rq, struct store_txn *txn,
    const struct wire_submission *sub)
{
	struct mt_reader r;
	struct mt_hash h;
	struct wire_entry we;
	const uint8_t *e;
	size_t elen;
	uint64_t latest;
	int rc;

	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (sub->info.target_index >= latest) {
		metrics_rejection(rq->ctx->metrics, PT_ESCHEMA);
		fail(rq, 400, "correction: target_index %llu is not in the log "
		    "(size %llu)", (unsigned long long)sub->info.target_index,
		    (unsigned long long)latest);
		return -1;
	}
	store_txn_reader(txn, &r);
	if ((rc = r.read(r.ctx, 0, sub->info.target_index, &h)) != 0 ||
	    (rc = store_get_entry(txn, sub->info.target_index, &e, &elen))
	    != 0 || (rc = wire_entry_decode(e, elen, &we, NULL)) != 0) {
		fail_err(rq, rc, "correction target");
		return -1;
	}
	if (cr_memcmp(h.b, sub->info.target_hash.b, MT_HASH_SIZE) != 0) {
		metrics_rejection(rq->ctx->metrics, PT_ESCHEMA);
		fail(rq, 400, "correction: target_leaf_hash is not the leaf "
		    "hash of entry %llu",
		    (unsigned long long)sub->info.target_index);
		return -1;
	}
	if (we.sub.submitter_len != sub->submitter_len ||
	    memcmp(we.sub.submitter_str, sub->submitter_str,
	    sub->submitter_len) != 0) {
		metrics_rejection(rq->ctx->metrics, PT_EFORBIDDEN);
		fail(rq, 403, "correction: entry %llu was submitted by another "
		    "office", (unsigned long long)sub->info.target_index);
		return -1;
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
		fail(rq, 400, "empty body: want a msgpack submission");
		return -1;
	}
	if (len > rq->ctx->cfg->max_body) {
		fail(rq, 413, "body over %llu bytes",
		    (unsigned long long)rq->ctx->cfg->max_body);
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->body = malloc(len)) == NULL) {
		free(j);
		fail(rq, 503, "out of memory");
		return -1;
	}
	wire_buf_init(&j->reply);
	j->body_len = len;
	evbuffer_remove(in, j->body, len);
	*out = j;
	return 0;
}

/* Decode the submission; its submitter must be listed, may append its
 * type and is within its rate (peeked: the token is taken in add_queue).
 * 0 with *se, or -1 with the answer set. */
static int
add_admit(struct rq *rq, struct seq_job *j, struct subm_entry **se)
{
	const struct cfg *cfg = rq->ctx->cfg;
	struct pt_why why = { "" };
	int rc;

	if ((rc = wire_submission_decode(j->body, j->body_len, &j->sub,
	    &why)) != 0) {
		metrics_rejection(rq->ctx->metrics, rc);
		/* A declared size over a limit is malformed input here: the
		 * body itself was within max_body. */
		fail(rq, 400, "malformed submission: %s",
		    why.text[0] ? why.text : pt_strerror(rc));
		return -1;
	}
	*se = rq->ctx->subm == NULL ? NULL : subm_find(rq->ctx->subm,
	    j->sub.submitter_str, j->sub.submitter_len);
	if (*se == NULL) {
		metrics_rejection(rq->ctx->metrics, PT_EUNKNOWNSIGNER);
		fail(rq, 403, "unknown submitter: this log does not accept "
		    "records signed by that key");
		return -1;
	}
	if (!((*se)->types & (1u << j->sub.info.type))) {
		metrics_rejection(rq->ctx->metrics, PT_EFORBIDDEN);
		fail(rq, 403, "submitter may not append records of type %s",
		    record_type_name(j->sub.info.type));
		return -1;
	}
	if (subm_peek(*se, env_now_ms(), cfg->rate_limit, cfg->rate_burst)
	    != 0) {
		metrics_rejection(rq->ctx->metrics, PT_ERATE);
		fail(rq, 429, "rate limit: at most %llu appends/s per "
		    "submitter", (unsigned long long)cfg->rate_limit);
		return -1;
	}
	memcpy(j->subm_id, (*se)->id, 32);
	return 0;
}

/* Answer with the receipt of the existing entry idx under the served
 * checkpoint (503 while that does not cover it yet). */
static void
add_existing_answer(struct rq *rq, struct store_txn *txn, struct seq_job *j,
    uint64_t idx)
{
	char *ck = malloc(PT_NOTE_MAX + 1);
	size_t cklen;
	uint64_t cksize;
	int rc;

	if (ck == NULL) {
		fail(rq, 503, "out of memory");
		return;
	}
	pub_served(rq->ctx->pub, ck, PT_NOTE_MAX + 1, &cklen, &cksize);
	rc = idx < cksize ? rcpt_build(txn, idx, ck, cklen, cksize,
	    &j->reply) : PT_EBUSY;
	if (rc == PT_EBUSY)
		fail(rq, 503, "entry %llu is not yet in a checkpoint cosigned "
		    "by the witness quorum; try again",
		    (unsigned long long)idx);
	else if (rc != 0)
		fail_err(rq, rc, "receipt");
	else {
		evbuffer_add(rq->body, j->reply.data, j->reply.len);
		rq->ctype = CT_MSGPACK;
		rq->cache = CACHE_NONE;
	}
	free(ck);
}

/*
 * Before any signature check: a correction must fit its target, and an
 * identical resubmission is answered from the index at once (without
 * verifying the same bytes twice).  0: queue j (a new id; or a used id
 * with other content: 409 once the sequencer knows the signature is the
 * office's, else 403); -1: answered.
 */
static int
add_known(struct rq *rq, struct seq_job *j)
{
	struct store_txn *txn;
	uint64_t idx;
	int rc;

	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		fail_err(rq, rc, "storage");
		return -1;
	}
	if (j->sub.info.type == RECORD_CORRECTION &&
	    check_correction(rq, txn, &j->sub) != 0) {
		store_read_end(txn);
		return -1;
	}
	rc = seq_idempotent(txn, j->subm_id, &j->sub, &idx);
	if (rc == 0)
		add_existing_answer(rq, txn, j, idx);
	else if (rc != PT_ENOTFOUND && rc != PT_ECONFLICT)
		fail_err(rq, rc, "lookup");
	store_read_end(txn);
	return rc == PT_ENOTFOUND || rc == PT_ECONFLICT ? 0 : -1;
}

/*
 * Take the office's token now, so that concurrent submissions cannot all
 * pass the peek in add_admit; it is given back if the signature turns out
 * not to be the office's (api_add_done), so a forger naming the office
 * cannot spend its rate.  Identical resubmissions (add_known) cost no
 * token.  0: queued (ownership of j passed); -1: answered.
 */
static int
add_queue(struct rq *rq, struct seq_job *j, struct subm_entry *se)
{
	const struct cfg *cfg = rq->ctx->cfg;

	if (subm_take(se, env_now_ms(), cfg->rate_limit, cfg->rate_burst)
	    != 0) {
		metrics_rejection(rq->ctx->metrics, PT_ERATE);
		fail(rq, 429, "rate limit: at most %llu appends/s per "
		    "submitter", (unsigned long long)cfg->rate_limit);
		return -1;
	}
	j->req = rq;
	if (rq->ctx->seq == NULL || seq_submit(rq->ctx->seq, j) != 0) {
		subm_refund(se, cfg->rate_limit, cfg->rate_burst);
		metrics_rejection(rq->ctx->metrics, PT_EBUSY);
		fail(rq, 503, "log is busy or stopping; try again");
		return -1;
	}
	return 0;
}

static void
h_add(struct rq *rq)
{
	struct seq_job *j = NULL;
	struct subm_entry *se;

	if (add_body(rq, &j) != 0)
		return;
	if (add_admit(rq, j, &se) == 0 && add_known(rq, j) == 0 &&
	    add_queue(rq, j, se) == 0) {
		rq->deferred = 1;
		return;
	}
	seq_job_free(j);
}

/* Answer a finished job and free it. */
static void
add_answer(struct seq_job *j)
{
	struct rq *rq = j->req;

	if (j->rc != 0) {
		fail(rq, api_status(j->rc), "%s", j->why.text[0] ?
		    j->why.text : pt_strerror(j->rc));
	} else {
		rq->status = 200;
		rq->ctype = CT_MSGPACK;
		rq->cache = CACHE_NONE;
		evbuffer_add(rq->body, j->reply.data, j->reply.len);
	}
	seq_job_free(j);
	send_rq(rq);
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
	if (j->rc == PT_ESIG && a->ctx->subm != NULL &&
	    (se = subm_find(a->ctx->subm, j->sub.submitter_str,
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

int
api_new(struct api_ctx *ctx, struct api **out)
{
	struct api *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return PT_ENOMEM;
	a->ctx = ctx;
	*out = a;
	return 0;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	api_release_parked(a, 0, 1);
	free(a);
}

/* The citizen page (daemon/webroot.c): static files under web_root. */
static void
h_web(struct rq *rq)
{
	struct webroot_log wl = { rq->ctx->logvkey,
	    rq->ctx->cfg->witness_policy, rq->ctx->subm };
	struct webroot_answer a;

	webroot_serve(rq->ctx->cfg->web_root, rq->path, &wl, rq->body, &a);
	rq->status = a.status;
	rq->ctype = a.ctype;
	rq->cache = a.cache;
	if (a.csp != NULL) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

		evhttp_add_header(h, "Content-Security-Policy", a.csp);
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	}
}

/* --- routing --- */

enum match { M_EXACT, M_PREFIX };

static const struct route {
	const char *path;
	enum match match;
	unsigned methods;
	enum metrics_route id;
	void (*fn)(struct rq *);
} routes[] = {
	{ "/checkpoint", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_CHECKPOINT, h_checkpoint },
	{ "/tile/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_TILE,
	  h_tile },
	{ "/add", M_EXACT, EVHTTP_REQ_POST, MR_ADD, h_add },
	{ "/proof/inclusion", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_INCLUSION, h_inclusion },
	{ "/proof/consistency", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_CONSISTENCY, h_consistency },
	{ "/entry/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_ENTRY,
	  h_entry },
	{ "/lookup", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_LOOKUP,
	  h_lookup },
	{ "/metrics", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_METRICS,
	  h_metrics },
	{ "/healthz", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_HEALTHZ,
	  h_healthz },
	{ "/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_WEB, h_web },
};

void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	struct rq *rq;
	const char *uri = evhttp_request_get_uri(req);
	const char *q;
	size_t plen;

	if ((rq = calloc(1, sizeof(*rq))) == NULL ||
	    (rq->body = evbuffer_new()) == NULL) {
		free(rq);
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	rq->api = a;
	rq->ctx = a->ctx;
	rq->req = req;
	rq->t0 = env_mono();
	rq->status = 200;
	rq->ctype = CT_TEXT;
	rq->cache = CACHE_NONE;
	rq->route = MR_OTHER;
	rq->json = wants_json(req);
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (plen >= sizeof(rq->path) || uri[0] != '/') {
		fail(rq, plen >= sizeof(rq->path) ? 404 : 400, "bad path");
		send_rq(rq);
		return;
	}
	memcpy(rq->path, uri, plen);
	rq->path[plen] = '\0';
	rq->query = q != NULL ? q + 1 : NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		int hit = r->match == M_EXACT ? strcmp(rq->path, r->path) == 0 :
		    strncmp(rq->path, r->path, strlen(r->path)) == 0;

		if (!hit)
			continue;
		rq->route = r->id;
		if (!(evhttp_request_get_command(req) & r->methods)) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Allow", r->methods & EVHTTP_REQ_POST ?
			    "POST" : "GET, HEAD");
			fail(rq, 405, "method not allowed");
		} else if (r->id != MR_ADD && rq->query != NULL &&
		    r->id != MR_INCLUSION && r->id != MR_CONSISTENCY &&
		    r->id != MR_LOOKUP && r->id != MR_WEB) {
			fail(rq, 400, "this route takes no query string");
		} else {
			r->fn(rq);
		}
		if (!rq->deferred)
			send_rq(rq);
		return;
	}
	fail(rq, 404, "no such route");
	send_rq(rq);
}
