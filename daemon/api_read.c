/*
 * api_read.c: the read routes (docs/API.md): checkpoint, tiles, proofs,
 * entries, lookups, metrics, health and the citizen page.  Each uses one
 * short LMDB read transaction and copies what it needs before ending it;
 * every size and index is checked against the latest checkpoint before
 * storage is touched.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api_int.h"
#include "cfg.h"
#include "crypto.h"
#include "log.h"
#include "metrics.h"
#include "mt.h"
#include "num.h"
#include "pub.h"
#include "record.h"
#include "seq.h"
#include "store.h"
#include "tile.h"
#include "webroot.h"
#include "wire.h"
#include "witc.h"

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
		api_fail(rq, 503, "out of memory");
		return -1;
	}
	p = copy;
	while (rc == 0 && p != NULL && *p != '\0') {
		size_t i;

		seg = strsep(&p, "&");
		val = seg;
		key = strsep(&val, "=");
		if (val == NULL || *key == '\0') {
			api_fail(rq, 400, "malformed query string");
			rc = -1;
			break;
		}
		for (i = 0; i < nargs; i++)
			if (strcmp(key, args[i].name) == 0)
				break;
		if (i == nargs) {
			api_fail(rq, 400, "unknown query parameter \"%.40s\"",
			    key);
			rc = -1;
		} else if (args[i].value != NULL) {
			api_fail(rq, 400, "repeated query parameter \"%s\"",
			    key);
			rc = -1;
		} else if ((args[i].value = evhttp_uridecode(val, 1,
		    &args[i].len)) == NULL) {
			api_fail(rq, 503, "out of memory");
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
		api_fail(rq, 400, "missing query parameter \"%s\"", a->name);
		return -1;
	}
	if (num_parse_u64(a->value, a->len, 0, max, out) != 0) {
		api_fail(rq, 400, "%s: want a decimal integer <= %llu", a->name,
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
			api_fail(rq, 503, "out of memory");
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
		api_fail_err(rq, rc, "encoding proof");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
		rq->status = 200;
	}
	wire_buf_free(&wb);
}

/* --- handlers --- */

void
api_h_healthz(struct rq *rq)
{
	evbuffer_add_printf(rq->body, "ok\n");
	rq->cache = CACHE_NONE;
}

/* GET /log.vkey, /registrar.vkey: the verifier key strings of the log's
 * checkpoint key and of its registrar (PROTOCOL.md 6.6), one line each,
 * as DATA/log.vkey and DATA/registrar.vkey hold them.  Neither changes
 * for the life of a log; a client still takes them from its operator out
 * of band, and checks what it is served against them. */
void
api_h_vkey(struct rq *rq)
{
	const char *k = strcmp(rq->path, "/log.vkey") == 0 ?
	    rq->ctx->logvkey : rq->ctx->registrar;

	if (k == NULL) {
		api_fail(rq, 404, "this log has no registrar configured");
		return;
	}
	evbuffer_add_printf(rq->body, "%s\n", k);
	rq->cache = CACHE_PARTIAL;
}

/*
 * GET /office-keys?size=N[&from=I]: the indexes of the office_key entries
 * (grants and revokes, PROTOCOL.md 6.6) below N, from I on, at most
 * PT_MAX_ARRAY of them: {"indexes": [uint...], "size": N}; fewer than
 * PT_MAX_ARRAY means there are no more.  A convenience, like the proof
 * routes: each entry is proven on its own, and an audit checks that the
 * list leaves none out.
 */
void
api_h_office_keys(struct rq *rq)
{
	struct qarg a[] = { { "size", NULL, 0 }, { "from", NULL, 0 } };
	uint64_t size, from = 0, latest, idx[PT_MAX_ARRAY];
	struct store_txn *txn;
	struct wire_buf wb;
	size_t n = 0;
	int rc;

	if (parse_query(rq, a, 2) != 0)
		goto out;
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (query_u64(rq, &a[0], PT_MAX_TREE_SIZE, &size) != 0 ||
	    (a[1].value != NULL && query_u64(rq, &a[1], PT_MAX_TREE_SIZE,
	    &from) != 0))
		goto out;
	if (size > latest) {
		api_fail(rq, 400, "size must be at most %llu (the latest "
		    "checkpoint)", (unsigned long long)latest);
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
		goto out;
	}
	rc = store_office_keys(txn, from, idx, PT_MAX_ARRAY, &n);
	store_read_end(txn);
	if (rc != 0) {
		api_fail_err(rq, rc, "office_keys");
		goto out;
	}
	while (n > 0 && idx[n - 1] >= size)
		n--;
	rq->cache = CACHE_NONE;
	if (rq->json) {
		json_t *o = json_object(), *arr = json_array();
		char *s;

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_integer((json_int_t)
			    idx[i]));
		json_object_set_new(o, "indexes", arr);
		json_object_set_new(o, "size", json_integer((json_int_t)size));
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		if (s == NULL) {
			api_fail(rq, 503, "out of memory");
			goto out;
		}
		evbuffer_add(rq->body, s, strlen(s));
		free(s);
		rq->ctype = CT_JSON;
		goto out;
	}
	wire_buf_init(&wb);
	rc = wire_enc_map(&wb, 2) | wire_enc_cstr(&wb, "indexes") |
	    wire_enc_array(&wb, n);
	for (size_t i = 0; i < n; i++)
		rc |= wire_enc_uint(&wb, idx[i]);
	rc |= wire_enc_cstr(&wb, "size") | wire_enc_uint(&wb, size);
	if (rc != 0)
		api_fail(rq, 503, "out of memory");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
	}
	wire_buf_free(&wb);
out:
	qargs_free(a, 2);
}

void
api_h_metrics(struct rq *rq)
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

void
api_h_checkpoint(struct rq *rq)
{
	char *note = malloc(PT_NOTE_MAX + 1);
	size_t len;

	if (note == NULL) {
		api_fail(rq, 503, "out of memory");
		return;
	}
	pub_served(rq->ctx->pub, note, PT_NOTE_MAX + 1, &len, NULL);
	if (len == 0)
		api_fail(rq, 503, "no checkpoint cosigned by the witness "
		    "quorum yet");
	else {
		evbuffer_add(rq->body, note, len);
		rq->cache = CACHE_SHORT;
	}
	free(note);
}

void
api_h_tile(struct rq *rq)
{
	struct tile t;
	struct store_txn *txn;
	uint64_t size;
	unsigned width;
	int rc;

	if (tile_path_parse(rq->path + 1, strlen(rq->path + 1), &t) != 0) {
		api_fail(rq, 400, "malformed tile path");
		return;
	}
	rq->route = t.entries ? MR_ENTRIES : MR_TILE;
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &size);
	if (tile_width_at(&t, size, &width) != 0 || t.width > width) {
		api_fail(rq, 404, "tile not in the tree of size %llu",
		    (unsigned long long)size);
		return;
	}
	/* A partial tile stays servable after the full one exists (its
	 * bytes never change); tlog-tiles allows either. */
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
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
		api_fail_err(rq, rc == PT_ENOTFOUND ? PT_EIO : rc,
		    "reading tile");
		return;
	}
	rq->ctype = CT_OCTETS;
	rq->cache = t.width == TILE_WIDTH ? CACHE_IMMUTABLE : CACHE_PARTIAL;
}

void
api_h_inclusion(struct rq *rq)
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
		api_fail(rq, 400, "size must be in 1..%llu (the latest "
		    "checkpoint)", (unsigned long long)latest);
		goto out;
	}
	if ((a[0].value == NULL) == (a[1].value == NULL)) {
		api_fail(rq, 400, "give exactly one of index and hash");
		goto out;
	}
	if (a[0].value != NULL) {
		if (query_u64(rq, &a[0], PT_MAX_TREE_SIZE, &index) != 0)
			goto out;
		if (index >= size) {
			api_fail(rq, 400, "index must be below size");
			goto out;
		}
	} else if (query_hex32(&a[1], leaf.b) != 0) {
		api_fail(rq, 400, "hash: want 64 hex digits (a leaf hash)");
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
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
		api_fail(rq, 404, "no entry with that leaf hash");
	else if (rc == PT_ERANGE)
		api_fail(rq, 400, "entry %llu is not in the tree of size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	else if (rc != 0)
		api_fail_err(rq, rc, "inclusion proof");
	else
		proof_answer(rq, 1, index, size, proof, n);
out:
	qargs_free(a, 3);
}

void
api_h_consistency(struct rq *rq)
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
		api_fail(rq, 400, "new must be at most %llu (the latest "
		    "checkpoint)", (unsigned long long)latest);
		goto out;
	}
	if (old == 0 || old > nw) {
		api_fail(rq, 400, "old must be in 1..new");
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
		goto out;
	}
	store_txn_reader(txn, &r);
	rc = mt_consistency_proof(&r, old, nw, proof, PT_MAX_PROOF, &n);
	store_read_end(txn);
	if (rc != 0)
		api_fail_err(rq, rc, "consistency proof");
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

/* The corrections of one entry, as read from the index in one snapshot. */
struct corrs {
	uint64_t idx[PT_MAX_CORRECTIONS_LISTED];
	size_t n;
	int more;		/* more than listed: page with ?from= */
};

/* The corrections of target in txn's tree: 0, or -1 with the answer set
 * (503 while the index is being built). */
static int
corrs_get(struct rq *rq, struct store_txn *txn, uint64_t target,
    uint64_t from, struct corrs *c)
{
	int rc;

	rc = store_get_corrections(txn, target, from, c->idx,
	    PT_MAX_CORRECTIONS_LISTED, &c->n);
	c->more = rc == 1;
	if (rc == 0 || rc == 1)
		return 0;
	if (rc == PT_EBUSY)
		api_fail(rq, 503, "the corrections index is being built");
	else if (rc == PT_ENOTFOUND)
		api_fail(rq, 404, "no entry %llu", (unsigned long long)target);
	else
		api_fail_err(rq, rc, "corrections");
	return -1;
}

static json_t *
corrs_json(const struct corrs *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->n; i++)
		json_array_append_new(a, json_integer((json_int_t)c->idx[i]));
	return a;
}

static int
corrs_enc(struct wire_buf *wb, const struct corrs *c)
{
	int rc;

	if ((rc = wire_enc_cstr(wb, "corrections")) != 0 ||
	    (rc = wire_enc_array(wb, c->n)) != 0)
		return rc;
	for (size_t i = 0; i < c->n; i++)
		if ((rc = wire_enc_uint(wb, c->idx[i])) != 0)
			return rc;
	return 0;
}

/* Answer with one entry: its raw leaf bytes (immutable), or JSON {entry,
 * index, leaf_hash, corrections, corrections_more} (not cached: later
 * corrections change it). */
static void
entry_answer(struct rq *rq, uint64_t index, const uint8_t *e, size_t len,
    const struct corrs *c)
{
	struct wire_cur cur;
	struct mt_hash leaf;
	json_t *o, *ej;
	char hex[65], *s;

	rq->cache = CACHE_IMMUTABLE;
	if (!rq->json) {
		evbuffer_add(rq->body, e, len);
		rq->ctype = CT_MSGPACK;
		return;
	}
	rq->cache = CACHE_NONE;
	mt_leaf_hash(e, len, &leaf);
	cr_hex_encode(leaf.b, 32, hex);
	wire_cur_init(&cur, e, len);
	if ((ej = cur_to_json(&cur, 0)) == NULL || cur.p != cur.end) {
		json_decref(ej);
		api_fail(rq, 500, "stored entry %llu does not decode",
		    (unsigned long long)index);
		return;
	}
	o = json_object();
	json_object_set_new(o, "index", json_integer((json_int_t)index));
	json_object_set_new(o, "leaf_hash", json_string(hex));
	json_object_set_new(o, "entry", ej);
	json_object_set_new(o, "corrections", corrs_json(c));
	json_object_set_new(o, "corrections_more", json_boolean(c->more));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL) {
		api_fail(rq, 503, "out of memory");
		return;
	}
	evbuffer_add_printf(rq->body, "%s\n", s);
	free(s);
	rq->ctype = CT_JSON;
}

void
api_h_entry(struct rq *rq)
{
	struct store_txn *txn;
	struct corrs *c = NULL;
	const uint8_t *e;
	uint64_t index, latest;
	size_t len;
	int rc;

	if (num_parse_u64_str(rq->path + strlen("/entry/"), 0, PT_MAX_TREE_SIZE,
	    &index) != 0) {
		api_fail(rq, 400, "want /entry/<decimal index>");
		return;
	}
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (index >= latest) {
		api_fail(rq, 404, "no entry %llu: the latest checkpoint has "
		    "%llu", (unsigned long long)index,
		    (unsigned long long)latest);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		api_fail(rq, 503, "out of memory");
		return;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		free(c);
		api_fail_err(rq, rc, "storage");
		return;
	}
	if ((rc = store_get_entry(txn, index, &e, &len)) != 0)
		api_fail_err(rq, rc, "reading entry");
	else if (!rq->json || corrs_get(rq, txn, index, 0, c) == 0)
		entry_answer(rq, index, e, len, c);
	store_read_end(txn);
	free(c);
}

/* Answer a lookup: {corrections, corrections_more (0|1), entry (bytes),
 * index} in msgpack, or as /entry in JSON.  Never cached. */
static void
lookup_answer(struct rq *rq, uint64_t index, const uint8_t *e, size_t len,
    const struct corrs *c)
{
	struct wire_buf wb;
	int rc;

	if (rq->json) {
		entry_answer(rq, index, e, len, c);
		rq->cache = CACHE_NONE;
		return;
	}
	wire_buf_init(&wb);
	if ((rc = wire_enc_map(&wb, 4)) != 0 || (rc = corrs_enc(&wb, c)) != 0 ||
	    (rc = wire_enc_cstr(&wb, "corrections_more")) != 0 ||
	    (rc = wire_enc_uint(&wb, (uint64_t)c->more)) != 0 ||
	    (rc = wire_enc_cstr(&wb, "entry")) != 0 ||
	    (rc = wire_enc_bin(&wb, e, len)) != 0 ||
	    (rc = wire_enc_cstr(&wb, "index")) != 0 ||
	    (rc = wire_enc_uint(&wb, index)) != 0)
		api_fail_err(rq, rc, "encoding the answer");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
		rq->cache = CACHE_NONE;
	}
	wire_buf_free(&wb);
}

void
api_h_lookup(struct rq *rq)
{
	struct qarg a[] = { { "submitter", NULL, 0 }, { "id", NULL, 0 } };
	struct store_txn *txn;
	struct corrs *c = NULL;
	uint8_t sid[32];
	const uint8_t *e;
	uint64_t index, latest;
	size_t len;
	int rc;

	if (parse_query(rq, a, 2) != 0)
		goto out;
	if (query_hex32(&a[0], sid) != 0) {
		api_fail(rq, 400, "submitter: want 64 hex digits (submitter "
		    "id)");
		goto out;
	}
	if (a[1].value == NULL || record_id_check(a[1].value, a[1].len) != 0) {
		api_fail(rq, 400, "id: want 1..%d bytes of printable ASCII "
		    "without spaces (a record id)", PT_MAX_ID);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		api_fail(rq, 503, "out of memory");
		goto out;
	}
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
		goto out;
	}
	rc = store_find_id(txn, sid, a[1].value, a[1].len, &index);
	if (rc == 0 && index >= latest)
		rc = PT_ENOTFOUND;
	if (rc == 0)
		rc = store_get_entry(txn, index, &e, &len);
	if (rc == 0) {
		if (corrs_get(rq, txn, index, 0, c) == 0)
			lookup_answer(rq, index, e, len, c);
	} else if (rc == PT_ENOTFOUND)
		api_fail(rq, 404, "no entry with that submitter and id");
	else
		api_fail_err(rq, rc, "lookup");
	store_read_end(txn);
out:
	free(c);
	qargs_free(a, 2);
}

/*
 * GET /corrections/<I>[?from=J]: the entries that correct entry I, in log
 * order (those >= J), at most PT_MAX_CORRECTIONS_LISTED:
 * {corrections: [uint...], index: I, more: 0|1} (msgpack; JSON with more
 * a boolean).  Never cached.
 */
void
api_h_corrections(struct rq *rq)
{
	struct qarg a[] = { { "from", NULL, 0 } };
	struct store_txn *txn;
	struct corrs *c = NULL;
	struct wire_buf wb;
	uint64_t index, latest, from = 0;
	int rc;

	if (num_parse_u64_str(rq->path + strlen("/corrections/"), 0,
	    PT_MAX_TREE_SIZE, &index) != 0) {
		api_fail(rq, 400, "want /corrections/<decimal index>");
		return;
	}
	if (parse_query(rq, a, 1) != 0)
		goto out;
	if (a[0].value != NULL && query_u64(rq, &a[0], PT_MAX_TREE_SIZE,
	    &from) != 0)
		goto out;
	pub_latest(rq->ctx->pub, NULL, 0, NULL, &latest);
	if (index >= latest) {
		api_fail(rq, 404, "no entry %llu: the latest checkpoint has "
		    "%llu", (unsigned long long)index,
		    (unsigned long long)latest);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		api_fail(rq, 503, "out of memory");
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
		goto out;
	}
	rc = corrs_get(rq, txn, index, from, c);
	store_read_end(txn);
	if (rc != 0)
		goto out;
	rq->cache = CACHE_NONE;
	if (rq->json) {
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "corrections", corrs_json(c));
		json_object_set_new(o, "index", json_integer((json_int_t)index));
		json_object_set_new(o, "more", json_boolean(c->more));
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		if (s == NULL) {
			api_fail(rq, 503, "out of memory");
			goto out;
		}
		evbuffer_add_printf(rq->body, "%s\n", s);
		free(s);
		rq->ctype = CT_JSON;
		goto out;
	}
	wire_buf_init(&wb);
	if ((rc = wire_enc_map(&wb, 3)) != 0 || (rc = corrs_enc(&wb, c)) != 0 ||
	    (rc = wire_enc_cstr(&wb, "index")) != 0 ||
	    (rc = wire_enc_uint(&wb, index)) != 0 ||
	    (rc = wire_enc_cstr(&wb, "more")) != 0 ||
	    (rc = wire_enc_uint(&wb, (uint64_t)c->more)) != 0)
		api_fail_err(rq, rc, "encoding the answer");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
	}
	wire_buf_free(&wb);
out:
	free(c);
	qargs_free(a, 1);
}

/*
 * GET /corrections[?target=T&index=C]: every (target, correction, kind) of
 * the latest tree, in key order from (T, C) on, at most
 * PT_MAX_CORRECTIONS_PAGE: {corrections: [[target, index, "void" |
 * "amend"], ...], more} (more 0/1 in msgpack, a boolean in JSON).  An
 * auditor reads the whole index this way and compares it with the one it
 * computes from the entries.  Never cached.
 */
void
api_h_corrections_all(struct rq *rq)
{
	struct qarg a[] = { { "target", NULL, 0 }, { "index", NULL, 0 } };
	struct store_txn *txn;
	struct store_corr *pc = NULL;
	struct wire_buf wb;
	uint64_t ft = 0, fi = 0;
	size_t n = 0;
	int rc, more;

	if (parse_query(rq, a, 2) != 0)
		goto out;
	if ((a[0].value != NULL && query_u64(rq, &a[0], PT_MAX_TREE_SIZE,
	    &ft) != 0) || (a[1].value != NULL && query_u64(rq, &a[1],
	    PT_MAX_TREE_SIZE, &fi) != 0))
		goto out;
	if ((pc = calloc(PT_MAX_CORRECTIONS_PAGE, sizeof(*pc))) == NULL) {
		api_fail(rq, 503, "out of memory");
		goto out;
	}
	if ((rc = store_read_begin(rq->ctx->store, &txn)) != 0) {
		api_fail_err(rq, rc, "storage");
		goto out;
	}
	rc = store_list_corrections(txn, ft, fi, pc, PT_MAX_CORRECTIONS_PAGE,
	    &n);
	store_read_end(txn);
	if (rc == PT_EBUSY) {
		api_fail(rq, 503, "the corrections index is being built");
		goto out;
	}
	if (rc != 0 && rc != 1) {
		api_fail_err(rq, rc, "corrections");
		goto out;
	}
	more = rc == 1;
	rq->cache = CACHE_NONE;
	if (rq->json) {
		json_t *o = json_object(), *arr = json_array();
		char *s;

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("[IIs]",
			    (json_int_t)pc[i].target, (json_int_t)pc[i].index,
			    pc[i].kind == STORE_CORR_VOID ? "void" : "amend"));
		json_object_set_new(o, "corrections", arr);
		json_object_set_new(o, "more", json_boolean(more));
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		if (s == NULL) {
			api_fail(rq, 503, "out of memory");
			goto out;
		}
		evbuffer_add_printf(rq->body, "%s\n", s);
		free(s);
		rq->ctype = CT_JSON;
		goto out;
	}
	wire_buf_init(&wb);
	rc = wire_enc_map(&wb, 2);
	if (rc == 0)
		rc = wire_enc_cstr(&wb, "corrections");
	if (rc == 0)
		rc = wire_enc_array(&wb, n);
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = wire_enc_array(&wb, 3)) != 0 ||
		    (rc = wire_enc_uint(&wb, pc[i].target)) != 0 ||
		    (rc = wire_enc_uint(&wb, pc[i].index)) != 0 ||
		    (rc = wire_enc_cstr(&wb, pc[i].kind == STORE_CORR_VOID ?
		    "void" : "amend")) != 0)
			break;
	if (rc == 0 && (rc = wire_enc_cstr(&wb, "more")) == 0)
		rc = wire_enc_uint(&wb, (uint64_t)more);
	if (rc != 0)
		api_fail_err(rq, rc, "encoding the answer");
	else {
		evbuffer_add(rq->body, wb.data, wb.len);
		rq->ctype = CT_MSGPACK;
	}
	wire_buf_free(&wb);
out:
	free(pc);
	qargs_free(a, 2);
}

/* The citizen page (daemon/webroot.c): static files under web_root. */
void
api_h_web(struct rq *rq)
{
	struct webroot_log wl = { rq->ctx->logvkey,
	    rq->ctx->cfg->witness_policy, rq->ctx->allow };
	struct webroot_answer a;

	webroot_serve(rq->ctx->cfg->web_root, rq->path, &wl, rq->body, &a);
	rq->status = a.status;
	rq->ctype = a.ctype;
	rq->cache = a.cache;
	if (a.csp != NULL) {
		struct evkeyvalq *h;

		h = evhttp_request_get_output_headers(rq->req);
		evhttp_add_header(h, "Content-Security-Policy", a.csp);
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	}
}
