/*
 * test_api.c: the HTTP routes (daemon/api.c) through the real HTTP server
 * (net/hsrv) on a loopback port inside the test (port 0), a real
 * sequencer over a store in a temporary directory, and libevent's HTTP
 * client on the same event loop.  Every route; the error-to-status
 * mapping; refusals of POST /add (413, 400, 403, 409, 429, 503) with the
 * tree unchanged; bad queries (an encoded NUL among them); receipts held
 * until the witness quorum (witness_wait_quorum) and released, or
 * answered 503 at the time-out.  Answers are checked with the proto
 * decoders and verifiers, not with the daemon's own code.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "api.h"
#include "cfg.h"
#include "ckpt.h"
#include "crypto.h"
#include "hsrv.h"
#include "metrics.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "pub.h"
#include "seq.h"
#include "store.h"
#include "allow.h"
#include "tile.h"
#include "tproof.h"
#include "wire.h"

#define ORIGIN	"test.example/log"

static char base[64];

static void
rm_tree(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == -1)
			rm_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
base_setup(void)
{
	strcpy(base, "/tmp/pt_api_XXXXXX");
	if (mkdtemp(base) == NULL || evthread_use_pthreads() != 0) {
		perror("setup");
		exit(1);
	}
}

static void
base_teardown(void)
{
	rm_tree(base);
}

/* ---- the fixture: what main wires, on a temporary store ---- */

struct fx {
	char dir[128];
	struct cfg cfg;
	struct note_skey logkey, office, permits, stranger, registrar;
	char office_vkey[PT_MAX_VKEY + 1];
	struct store *st;
	struct pub *pub;
	struct event_base *base;
	struct api_ctx ctx;
	struct api *api;
	struct hsrv *http;
	struct evhttp_connection *conn;		/* keep-alive, in turn */
	struct evhttp_connection *conn2;	/* beside a parked request */
};

static void
vkey_of(const struct note_skey *k, char *out, size_t cap)
{
	ck_assert_int_eq(note_vkey_format(&k->vk, out, cap), 0);
}

/* The empty tree's signed checkpoint, committed and published (as a new
 * log's start-up does). */
static void
init_empty(struct fx *f)
{
	struct ckpt c;
	char body[PT_NOTE_MAX], note[PT_NOTE_MAX + 1];
	size_t blen, nlen;
	struct store_batch *b;

	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "%s", ORIGIN);
	mt_empty_root(&c.root);
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), &blen), 0);
	ck_assert_int_eq(note_sign(body, blen, &f->logkey, 1, 0, note,
	    sizeof(note), &nlen), 0);
	ck_assert_int_eq(store_batch_begin(f->st, &b), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen, 0), 0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	pub_signed(f->pub, note, nlen, 0);
}

/* One grant by the fixture's registrar into the grants ab builds. */
static void
grant_key(struct fx *f, struct allow_batch *ab, uint64_t index,
    const struct note_skey *k, const char *types)
{
	struct wire_buf rec;
	struct wire_submission sub;
	struct pt_why why = { "" };
	char v[PT_MAX_VKEY + 1], rv[PT_MAX_VKEY + 1];
	const char *t;
	size_t nt = 1;

	vkey_of(k, v, sizeof(v));
	for (t = types; *t != '\0'; t++)
		nt += *t == ' ';
	wire_buf_init(&rec);
	ck_assert_int_eq(wire_enc_map(&rec, 8) | wire_enc_cstr(&rec, "action") |
	    wire_enc_cstr(&rec, "grant") | wire_enc_cstr(&rec, "id") |
	    wire_enc_cstr(&rec, k->vk.name) | wire_enc_cstr(&rec, "key") |
	    wire_enc_cstr(&rec, v) | wire_enc_cstr(&rec, "name") |
	    wire_enc_cstr(&rec, k->vk.name) |
	    wire_enc_cstr(&rec, "organization") | wire_enc_map(&rec, 4) |
	    wire_enc_cstr(&rec, "id") | wire_enc_cstr(&rec, "FIN") |
	    wire_enc_cstr(&rec, "kind") | wire_enc_cstr(&rec, "organization") |
	    wire_enc_cstr(&rec, "name") | wire_enc_cstr(&rec, "Office") |
	    wire_enc_cstr(&rec, "scheme") | wire_enc_cstr(&rec, "XI-TEST") |
	    wire_enc_cstr(&rec, "reason") | wire_enc_cstr(&rec, "fixture") |
	    wire_enc_cstr(&rec, "type") | wire_enc_cstr(&rec, "office_key") |
	    wire_enc_cstr(&rec, "types") | wire_enc_array(&rec, nt), 0);
	for (t = types; *t != '\0'; t += strcspn(t, " ") + (t[strcspn(t,
	    " ")] == ' '))
		ck_assert_int_eq(wire_enc_str(&rec, t, strcspn(t, " ")), 0);
	ck_assert_int_eq(wire_submission_sign(&f->registrar, ORIGIN, rec.data,
	    rec.len, &sub, rv, sizeof(rv)), 0);
	ck_assert_msg(allow_batch_apply(f->ctx.allow, ab, index, 1, &sub,
	    &why) == 0, "%s", why.text);
	wire_buf_free(&rec);
}

/* Who may append: office (every type) and permits (permits only),
 * granted in memory (the fixture's log starts empty). */
static void
write_submitters(struct fx *f)
{
	struct allow_batch ab = { NULL };
	struct pt_why why = { "" };
	char rv[PT_MAX_VKEY + 1];

	ck_assert_int_eq(note_keygen("registrar", NOTE_ALG_ED25519,
	    &f->registrar), 0);
	vkey_of(&f->registrar, rv, sizeof(rv));
	ck_assert_msg(allow_new(&f->logkey.vk, rv, &f->ctx.allow, &why) == 0,
	    "%s", why.text);
	grant_key(f, &ab, 0, &f->office, "correction payment permit_decision");
	grant_key(f, &ab, 1, &f->permits, "permit_decision");
	allow_batch_commit(f->ctx.allow, &ab);
}

static void
fx_open(struct fx *f, int wait_quorum, const char *conf)
{
	struct store_opts so = { 64 << 20, 0 };
	struct seq_opts sq;
	struct pt_why pw;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	cfg_defaults(&f->cfg);
	ck_assert_int_eq(cfg_set(&f->cfg, "listen", "127.0.0.1:0", &pw), 0);
	if (conf != NULL) {
		char path[256];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/pubtraild.conf", f->dir);
		ck_assert_ptr_nonnull(fp = fopen(path, "w"));
		fputs(conf, fp);
		fclose(fp);
		ck_assert_msg(cfg_load(&f->cfg, path, &pw) == 0, "%s", pw.text);
	}
	ck_assert_int_eq(note_keygen(ORIGIN, NOTE_ALG_ED25519, &f->logkey), 0);
	ck_assert_int_eq(note_keygen("office", NOTE_ALG_ED25519, &f->office),
	    0);
	ck_assert_int_eq(note_keygen("permits", NOTE_ALG_ED25519, &f->permits),
	    0);
	ck_assert_int_eq(note_keygen("stranger", NOTE_ALG_ED25519,
	    &f->stranger), 0);
	vkey_of(&f->office, f->office_vkey, sizeof(f->office_vkey));
	ck_assert_msg(store_open(f->dir, &so, &f->st, &pw) == 0, "%s",
	    pw.text);
	ck_assert_int_eq(pub_new(wait_quorum, NULL, NULL, &f->pub), 0);
	ck_assert_ptr_nonnull(f->base = event_base_new());
	init_empty(f);
	write_submitters(f);
	f->ctx.cfg = &f->cfg;
	f->ctx.store = f->st;
	f->ctx.pub = f->pub;
	ck_assert_int_eq(metrics_new(&f->ctx.metrics), 0);
	ck_assert_int_eq(api_new(&f->ctx, &f->api), 0);
	memset(&sq, 0, sizeof(sq));
	sq.store = f->st;
	sq.origin = ORIGIN;
	sq.logkey = &f->logkey;
	sq.pub = f->pub;
	sq.metrics = f->ctx.metrics;
	sq.allow = f->ctx.allow;
	sq.verify_threads = 2;
	sq.batch_max = 64;
	sq.window_ms = 1;
	sq.queue_max = 1024;
	ck_assert_int_eq(seq_start(f->base, &sq, api_add_done, f->api,
	    &f->ctx.seq), 0);
	{
		struct hsrv_opts ho;

		memset(&ho, 0, sizeof(ho));
		ho.max_body = (size_t)f->cfg.max_body;
		ck_assert_msg(hsrv_start(f->base, f->cfg.listen, &ho,
		    api_dispatch, f->api, &f->http, &pw) == 0, "%s", pw.text);
	}
	ck_assert_ptr_nonnull(f->conn = evhttp_connection_base_new(f->base,
	    NULL, "127.0.0.1", (uint16_t)hsrv_port(f->http)));
	ck_assert_ptr_nonnull(f->conn2 = evhttp_connection_base_new(f->base,
	    NULL, "127.0.0.1", (uint16_t)hsrv_port(f->http)));
	/* A broken answer fails the test at once, not after 50 s. */
	evhttp_connection_set_timeout(f->conn, 10);
	evhttp_connection_set_timeout(f->conn2, 10);
}

static void
fx_close(struct fx *f)
{
	evhttp_connection_free(f->conn);
	evhttp_connection_free(f->conn2);
	seq_stop(f->ctx.seq);
	api_free(f->api);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	hsrv_free(f->http);
	event_base_free(f->base);
	allow_free(f->ctx.allow);
	pub_free(f->pub);
	metrics_free(f->ctx.metrics);
	store_close(f->st);
	note_skey_wipe(&f->logkey);
	note_skey_wipe(&f->office);
	note_skey_wipe(&f->permits);
	note_skey_wipe(&f->stranger);
	note_skey_wipe(&f->registrar);
}

/* ---- the client: libevent's, on the fixture's loop ---- */

struct resp {
	int done;
	int status;
	char ctype[128], cache[128], allow[64], retry[16];
	struct wire_buf body;		/* NUL-terminated too */
};

static void
copy_header(struct evkeyvalq *h, const char *name, char *out, size_t cap)
{
	const char *v = evhttp_find_header(h, name);

	snprintf(out, cap, "%s", v != NULL ? v : "");
}

static void
on_resp(struct evhttp_request *req, void *arg)
{
	struct resp *r = arg;
	struct evbuffer *in;
	struct evkeyvalq *h;
	size_t n;

	r->done = 1;
	if (req == NULL)
		return;
	r->status = evhttp_request_get_response_code(req);
	h = evhttp_request_get_input_headers(req);
	copy_header(h, "Content-Type", r->ctype, sizeof(r->ctype));
	copy_header(h, "Cache-Control", r->cache, sizeof(r->cache));
	copy_header(h, "Allow", r->allow, sizeof(r->allow));
	copy_header(h, "Retry-After", r->retry, sizeof(r->retry));
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	wire_buf_init(&r->body);
	ck_assert_int_eq(wire_buf_append(&r->body, evbuffer_pullup(in, -1), n),
	    0);
	ck_assert_int_eq(wire_buf_append(&r->body, "", 1), 0);
	r->body.len = n;
}

/* Send a request on conn; the answer comes through the loop
 * (wait_resp).  One connection carries one request at a time. */
static void
send_on(struct evhttp_connection *conn, enum evhttp_cmd_type method,
    const char *uri, const void *body, size_t len, int json, struct resp *r)
{
	struct evhttp_request *req;
	struct evkeyvalq *h;

	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(req = evhttp_request_new(on_resp, r));
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", "127.0.0.1");
	if (json)
		evhttp_add_header(h, "Accept", "application/json");
	if (body != NULL)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	ck_assert_int_eq(evhttp_make_request(conn, req, method, uri), 0);
}

static void
send_req(struct fx *f, enum evhttp_cmd_type method, const char *uri,
    const void *body, size_t len, int json, struct resp *r)
{
	send_on(f->conn, method, uri, body, len, json, r);
}

static void
wait_resp(struct fx *f, struct resp *r)
{
	while (!r->done)
		event_base_loop(f->base, EVLOOP_ONCE);
	ck_assert_int_ne(r->status, 0);
}

static void
req(struct fx *f, enum evhttp_cmd_type method, const char *uri,
    const void *body, size_t len, int json, struct resp *r)
{
	send_req(f, method, uri, body, len, json, r);
	wait_resp(f, r);
}

/* GET uri, expecting status; the body is r's. */
static void
get(struct fx *f, const char *uri, int json, int status, struct resp *r)
{
	req(f, EVHTTP_REQ_GET, uri, NULL, 0, json, r);
	ck_assert_msg(r->status == status, "GET %s: %d, want %d: %s", uri,
	    r->status, status, r->body.data);
}

static void
resp_free(struct resp *r)
{
	wire_buf_free(&r->body);
}

/* ---- records and submissions ---- */

static void
enc_org(struct wire_buf *b, const char *id, const char *name,
    const char *scheme)
{
	ck_assert_int_eq(wire_enc_map(b, 4) | wire_enc_cstr(b, "id") |
	    wire_enc_cstr(b, id) | wire_enc_cstr(b, "kind") |
	    wire_enc_cstr(b, "organization") | wire_enc_cstr(b, "name") |
	    wire_enc_cstr(b, name) | wire_enc_cstr(b, "scheme") |
	    wire_enc_cstr(b, scheme), 0);
}

static void
payment(struct wire_buf *b, const char *id, uint64_t amount)
{
	ck_assert_int_eq(wire_enc_map(b, 8) |
	    wire_enc_cstr(b, "amount_minor") | wire_enc_uint(b, amount) |
	    wire_enc_cstr(b, "currency") | wire_enc_cstr(b, "EUR") |
	    wire_enc_cstr(b, "date") | wire_enc_cstr(b, "2026-03-01") |
	    wire_enc_cstr(b, "description") | wire_enc_cstr(b, "Roads") |
	    wire_enc_cstr(b, "id") | wire_enc_cstr(b, id) |
	    wire_enc_cstr(b, "payee"), 0);
	enc_org(b, "0001", "Acme Roads Ltd", "GB-COH");
	ck_assert_int_eq(wire_enc_cstr(b, "payer"), 0);
	enc_org(b, "FIN-1", "Test Finance Office", "XI-TEST");
	ck_assert_int_eq(wire_enc_cstr(b, "type") |
	    wire_enc_cstr(b, "payment"), 0);
}

/* A correction voiding entry idx of leaf hash h. */
static void
correction(struct wire_buf *b, const char *id, uint64_t idx,
    const uint8_t h[32])
{
	ck_assert_int_eq(wire_enc_map(b, 6) | wire_enc_cstr(b, "action") |
	    wire_enc_cstr(b, "void") | wire_enc_cstr(b, "id") |
	    wire_enc_cstr(b, id) | wire_enc_cstr(b, "reason") |
	    wire_enc_cstr(b, "entered twice") |
	    wire_enc_cstr(b, "target_index") | wire_enc_uint(b, idx) |
	    wire_enc_cstr(b, "target_leaf_hash") | wire_enc_bin(b, h, 32) |
	    wire_enc_cstr(b, "type") | wire_enc_cstr(b, "correction"), 0);
}

/* rec signed by k for ORIGIN (the signature's first byte flipped when
 * forge), as POST /add bytes in out. */
static void
sign_rec(const struct note_skey *k, const struct wire_buf *rec, int forge,
    struct wire_buf *out)
{
	struct wire_submission s;
	char vkey[PT_MAX_VKEY + 1];

	wire_buf_init(out);
	ck_assert_int_eq(wire_submission_sign(k, ORIGIN, rec->data, rec->len,
	    &s, vkey, sizeof(vkey)), 0);
	if (forge)
		s.sig[0] ^= 1;
	ck_assert_int_eq(wire_submission_encode(&s, out), 0);
}

/* POST /add of payment id (amount) signed by k: the status. */
static int
add(struct fx *f, const struct note_skey *k, const char *id, uint64_t amount,
    int forge, struct resp *r)
{
	struct wire_buf rec, sb;

	wire_buf_init(&rec);
	payment(&rec, id, amount);
	sign_rec(k, &rec, forge, &sb);
	req(f, EVHTTP_REQ_POST, "/add", sb.data, sb.len, 0, r);
	wire_buf_free(&rec);
	wire_buf_free(&sb);
	return r->status;
}

/* A receipt: decodes, its proof verifies under the log key; the entry's
 * bytes and index go out. */
static void
check_receipt(struct fx *f, const struct resp *r, uint64_t *index,
    struct mt_hash *leaf)
{
	struct wire_receipt wr;
	struct tproof *tp = malloc(sizeof(*tp));

	ck_assert_ptr_nonnull(tp);
	ck_assert_str_eq(r->ctype, "application/msgpack");
	ck_assert_int_eq(wire_receipt_decode(r->body.data, r->body.len, &wr,
	    NULL), 0);
	ck_assert_int_eq(tproof_parse(wr.proof, wr.proof_len, tp), 0);
	ck_assert_int_eq(mt_leaf_hash(wr.entry, wr.entry_len, leaf), 0);
	ck_assert_int_eq(tproof_verify(tp, leaf, &f->logkey.vk, NULL), 0);
	*index = wr.index;
	free(tp);
}

static uint64_t
tree_size(struct fx *f)
{
	uint64_t size;

	pub_latest(f->pub, NULL, 0, NULL, &size);
	ck_assert_uint_eq(store_size(f->st), size);
	return size;
}

/* The signed root of the latest checkpoint. */
static void
latest_root(struct fx *f, struct mt_hash *root, uint64_t *size)
{
	char note[PT_NOTE_MAX + 1];
	size_t len;
	struct ckpt c;

	pub_latest(f->pub, note, sizeof(note), &len, NULL);
	ck_assert_int_eq(ckpt_open(note, len, &f->logkey.vk, &c), 0);
	*root = c.root;
	*size = c.size;
}

/* ---- tests ---- */

/* Five appends, then every read route against them. */
START_TEST(every_route)
{
	struct fx f;
	struct resp r;
	struct mt_hash leaves[5], root, proof[64];
	uint64_t idx, size, a, b;
	size_t n;
	char uri[256], hex[65], sid[65];
	uint8_t subm_id[32];

	fx_open(&f, 0, NULL);
	for (int i = 0; i < 5; i++) {
		char id[16];

		snprintf(id, sizeof(id), "P-%d", i);
		ck_assert_int_eq(add(&f, &f.office, id, 100, 0, &r), 200);
		check_receipt(&f, &r, &idx, &leaves[i]);
		ck_assert_uint_eq(idx, (uint64_t)i);
		ck_assert_str_eq(r.cache, "no-store");
		resp_free(&r);
	}
	latest_root(&f, &root, &size);
	ck_assert_uint_eq(size, 5);

	/* /checkpoint: the served note, short-lived in caches. */
	get(&f, "/checkpoint", 0, 200, &r);
	{
		char note[PT_NOTE_MAX + 1];
		size_t len;

		pub_served(f.pub, note, sizeof(note), &len, NULL);
		ck_assert_uint_eq(r.body.len, len);
		ck_assert_int_eq(memcmp(r.body.data, note, len), 0);
	}
	ck_assert_str_eq(r.cache, "public, max-age=1, must-revalidate");
	resp_free(&r);
	/* HEAD: the same headers, no content; the keep-alive connection
	 * goes on with the next answer intact. */
	req(&f, EVHTTP_REQ_HEAD, "/checkpoint", NULL, 0, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body.len, 0);
	ck_assert_str_eq(r.cache, "public, max-age=1, must-revalidate");
	resp_free(&r);
	req(&f, EVHTTP_REQ_HEAD, "/nope", NULL, 0, 0, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_uint_eq(r.body.len, 0);
	resp_free(&r);

	/* Hash tile level 0, partial: the five leaf hashes. */
	get(&f, "/tile/0/000.p/5", 0, 200, &r);
	ck_assert_uint_eq(r.body.len, 5 * 32);
	ck_assert_int_eq(memcmp(r.body.data, leaves, 5 * 32), 0);
	ck_assert_str_eq(r.cache, "public, max-age=60");
	ck_assert_str_eq(r.ctype, "application/octet-stream");
	resp_free(&r);
	/* The entry bundle: five length-prefixed entries hashing to them. */
	get(&f, "/tile/entries/000.p/5", 0, 200, &r);
	{
		const uint8_t *p = r.body.data, *end = p + r.body.len;

		for (int i = 0; i < 5; i++) {
			size_t el;
			struct mt_hash h;

			ck_assert(end - p >= 2);
			el = (size_t)p[0] << 8 | p[1];
			p += 2;
			ck_assert((size_t)(end - p) >= el);
			mt_leaf_hash(p, el, &h);
			ck_assert_int_eq(memcmp(h.b, leaves[i].b, 32), 0);
			p += el;
		}
		ck_assert(p == end);
	}
	resp_free(&r);
	get(&f, "/tile/0/000.p/6", 0, 404, &r);
	resp_free(&r);
	get(&f, "/tile/0/000", 0, 404, &r);
	resp_free(&r);
	get(&f, "/tile/0/x000", 0, 400, &r);
	resp_free(&r);

	/* Inclusion by index (msgpack and JSON) and by leaf hash. */
	get(&f, "/proof/inclusion?index=2&size=5", 0, 200, &r);
	ck_assert_int_eq(wire_inclusion_decode(r.body.data, r.body.len, &a,
	    &b, proof, 64, &n, NULL), 0);
	ck_assert(a == 2 && b == 5);
	ck_assert_int_eq(mt_verify_inclusion(&leaves[2], 2, 5, proof, n,
	    &root), 0);
	ck_assert_str_eq(r.cache, "no-store");
	resp_free(&r);
	get(&f, "/proof/inclusion?index=2&size=5", 1, 200, &r);
	ck_assert_str_eq(r.ctype, "application/json");
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "\"index\":2"));
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "\"size\":5"));
	resp_free(&r);
	cr_hex_encode(leaves[3].b, 32, hex);
	snprintf(uri, sizeof(uri), "/proof/inclusion?hash=%s&size=5", hex);
	get(&f, uri, 0, 200, &r);
	ck_assert_int_eq(wire_inclusion_decode(r.body.data, r.body.len, &a,
	    &b, proof, 64, &n, NULL), 0);
	ck_assert_uint_eq(a, 3);
	ck_assert_int_eq(mt_verify_inclusion(&leaves[3], 3, 5, proof, n,
	    &root), 0);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/proof/inclusion?hash=%064d&size=5", 0);
	get(&f, uri, 0, 404, &r);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/proof/inclusion?hash=%s&size=3", hex);
	get(&f, uri, 0, 400, &r);	/* entry 3 is not in the tree of 3 */
	resp_free(&r);

	/* Consistency 2 -> 5 verifies between the two roots. */
	get(&f, "/proof/consistency?old=2&new=5", 0, 200, &r);
	ck_assert_int_eq(wire_consistency_decode(r.body.data, r.body.len, &a,
	    &b, proof, 64, &n, NULL), 0);
	{
		struct mt_hash r2;

		ck_assert_int_eq(mt_node_hash(&leaves[0], &leaves[1], &r2), 0);
		ck_assert_int_eq(mt_verify_consistency(2, 5, &r2, &root, proof,
		    n), 0);
	}
	resp_free(&r);

	/* /entry: bytes, or JSON with its index and leaf hash. */
	get(&f, "/entry/4", 0, 200, &r);
	{
		struct mt_hash h;

		mt_leaf_hash(r.body.data, r.body.len, &h);
		ck_assert_int_eq(memcmp(h.b, leaves[4].b, 32), 0);
	}
	ck_assert_str_eq(r.cache, "public, max-age=31536000, immutable");
	resp_free(&r);
	get(&f, "/entry/4", 1, 200, &r);
	cr_hex_encode(leaves[4].b, 32, hex);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, hex));
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "\"index\":4"));
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "\"id\":\"P-4\""));
	resp_free(&r);
	get(&f, "/entry/5", 0, 404, &r);
	resp_free(&r);
	get(&f, "/entry/04", 0, 400, &r);
	resp_free(&r);

	/* /lookup: {corrections, corrections_more, entry, index} through
	 * wire's cursor; JSON. */
	ck_assert_int_eq(wire_submitter_id(f.office_vkey,
	    strlen(f.office_vkey), subm_id), 0);
	cr_hex_encode(subm_id, 32, sid);
	snprintf(uri, sizeof(uri), "/lookup?submitter=%s&id=P-1", sid);
	get(&f, uri, 0, 200, &r);
	{
		struct wire_cur c;
		const char *k;
		const uint8_t *e;
		size_t np, kl, el;
		uint64_t i;
		struct mt_hash h;

		ck_assert_int_eq(wire_check_canonical(r.body.data, r.body.len,
		    NULL), 0);
		wire_cur_init(&c, r.body.data, r.body.len);
		ck_assert_int_eq(wire_cur_map(&c, &np), 0);
		ck_assert_uint_eq(np, 4);
		ck_assert_int_eq(wire_cur_str(&c, &k, &kl), 0);
		ck_assert(kl == 11 && memcmp(k, "corrections", 11) == 0);
		ck_assert_int_eq(wire_cur_array(&c, &el), 0);
		ck_assert_uint_eq(el, 0);	/* none */
		ck_assert_int_eq(wire_cur_str(&c, &k, &kl), 0);
		ck_assert(kl == 16 && memcmp(k, "corrections_more", 16) == 0);
		ck_assert_int_eq(wire_cur_uint(&c, &i), 0);
		ck_assert_uint_eq(i, 0);
		ck_assert_int_eq(wire_cur_str(&c, &k, &kl), 0);
		ck_assert(kl == 5 && memcmp(k, "entry", 5) == 0);
		ck_assert_int_eq(wire_cur_bin(&c, &e, &el), 0);
		mt_leaf_hash(e, el, &h);
		ck_assert_int_eq(memcmp(h.b, leaves[1].b, 32), 0);
		ck_assert_int_eq(wire_cur_str(&c, &k, &kl), 0);
		ck_assert(kl == 5 && memcmp(k, "index", 5) == 0);
		ck_assert_int_eq(wire_cur_uint(&c, &i), 0);
		ck_assert_uint_eq(i, 1);
	}
	ck_assert_str_eq(r.cache, "no-store");
	resp_free(&r);
	get(&f, uri, 1, 200, &r);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "\"index\":1"));
	ck_assert_str_eq(r.cache, "no-store");
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/lookup?submitter=%s&id=P-9", sid);
	get(&f, uri, 0, 404, &r);
	resp_free(&r);

	/* /metrics and /healthz. */
	get(&f, "/metrics", 0, 200, &r);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data,
	    "pubtrail_tree_size 5"));
	ck_assert_ptr_nonnull(strstr((char *)r.body.data,
	    "pubtrail_http_requests_total{route=\"add\",code=\"200\"} 5\n"));
	ck_assert_ptr_nonnull(strstr((char *)r.body.data,
	    "pubtrail_entries_total{type=\"payment\"} 5\n"));
	resp_free(&r);
	get(&f, "/healthz", 0, 200, &r);
	ck_assert_str_eq((char *)r.body.data, "ok\n");
	resp_free(&r);

	/* Routing: unknown paths, methods, query strings. */
	get(&f, "/nope", 0, 404, &r);
	ck_assert_str_eq(r.ctype, "text/plain; charset=utf-8");
	resp_free(&r);
	req(&f, EVHTTP_REQ_POST, "/checkpoint", "x", 1, 0, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	resp_free(&r);
	get(&f, "/add", 0, 405, &r);
	ck_assert_str_eq(r.allow, "POST");
	resp_free(&r);
	get(&f, "/healthz?x=1", 0, 400, &r);
	resp_free(&r);
	get(&f, "/checkpoint?", 0, 400, &r);
	resp_free(&r);
	ck_assert_uint_eq(tree_size(&f), 5);
	fx_close(&f);
}
END_TEST

/* Bad queries: 400, before storage is touched, with a reason. */
START_TEST(bad_queries)
{
	static const char *bad[] = {
		"/proof/inclusion?index=0&size=1%00junk",
		"/proof/consistency?old=1%00x&new=1%00y",
		"/proof/inclusion?index=0%00&size=1",
		"/proof/inclusion?index=0",
		"/proof/inclusion?size=1",
		"/proof/inclusion?index=0&hash=00&size=1",
		"/proof/inclusion?index=0&size=1&index=0",
		"/proof/inclusion?index=0&size=1&bogus=1",
		"/proof/inclusion?index=-1&size=1",
		"/proof/inclusion?index=01&size=1",
		"/proof/inclusion?index=+1&size=1",
		"/proof/inclusion?index=0&size=2",
		"/proof/inclusion?index=1&size=1",
		"/proof/inclusion?index=0&size=0",
		"/proof/inclusion?index=0&size=99999999999999999999999",
		"/proof/inclusion?hash=zz&size=1",
		"/proof/inclusion?&index=0&size=1",
		"/proof/inclusion?index=0&&size=1",
		"/proof/inclusion?index&size=1",
		"/proof/inclusion?=0&size=1",
		"/proof/consistency?old=0&new=1",
		"/proof/consistency?old=2&new=1",
		"/proof/consistency?old=1&new=2",
		"/proof/consistency?old=1",
		"/lookup?id=P-0",
		"/lookup?submitter=00&id=P-0",
		"/lookup?submitter="
		    "0000000000000000000000000000000000000000000000000000000000000000",
		"/lookup?submitter="
		    "0000000000000000000000000000000000000000000000000000000000000000"
		    "&id=P%200",
		"/lookup?submitter="
		    "0000000000000000000000000000000000000000000000000000000000000000"
		    "&id=P-0%00junk",
	};
	struct fx f;
	struct resp r;

	fx_open(&f, 0, NULL);
	ck_assert_int_eq(add(&f, &f.office, "P-0", 1, 0, &r), 200);
	resp_free(&r);
	get(&f, "/proof/inclusion?index=0&size=1", 0, 200, &r);
	resp_free(&r);
	get(&f, "/proof/consistency?old=1&new=1", 0, 200, &r);
	resp_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		get(&f, bad[i], 0, 400, &r);
		ck_assert_str_eq(r.ctype, "text/plain; charset=utf-8");
		ck_assert_uint_gt(r.body.len, 1);
		resp_free(&r);
	}
	fx_close(&f);
}
END_TEST

/* The refusals of POST /add, each with the tree unchanged. */
START_TEST(add_refusals)
{
	struct fx f;
	struct resp r;
	struct wire_buf rec, sb;
	uint64_t idx, idx2;
	struct mt_hash leaf;
	uint8_t *big;

	fx_open(&f, 0, "rate_limit = 0\n");
	ck_assert_int_eq(add(&f, &f.office, "A", 1, 0, &r), 200);
	check_receipt(&f, &r, &idx, &leaf);
	resp_free(&r);
	/* Empty and over max_body. */
	req(&f, EVHTTP_REQ_POST, "/add", NULL, 0, 0, &r);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	ck_assert_ptr_nonnull(big = calloc(1, f.cfg.max_body + 1));
	req(&f, EVHTTP_REQ_POST, "/add", big, f.cfg.max_body + 1, 0, &r);
	ck_assert(r.status == 413 || r.status == 400);
	resp_free(&r);
	free(big);
	/* Not msgpack; a record that fails the schema. */
	req(&f, EVHTTP_REQ_POST, "/add", "\xc1", 1, 0, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "malformed"));
	resp_free(&r);
	/* Unknown submitter; a type its line does not allow. */
	ck_assert_int_eq(add(&f, &f.stranger, "S", 1, 0, &r), 403);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "unknown submitter"));
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.permits, "S", 1, 0, &r), 403);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "type payment"));
	resp_free(&r);
	/* The same record again: its receipt (no new entry); another record
	 * under the id: 409; a forgery under the id: 403, not 409. */
	ck_assert_int_eq(add(&f, &f.office, "A", 1, 0, &r), 200);
	check_receipt(&f, &r, &idx2, &leaf);
	ck_assert_uint_eq(idx2, idx);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "A", 2, 0, &r), 409);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "A", 2, 1, &r), 403);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "N", 2, 1, &r), 403);
	resp_free(&r);
	/* Corrections: the target must be in the log, with its leaf hash,
	 * and the office's own. */
	{
		uint8_t zero[32] = { 0 };
		struct {
			uint64_t idx;
			const uint8_t *h;
			const struct note_skey *k;
			int status;
		} c[] = {
			{ 0, zero, &f.office, 400 },
			{ 7, leaf.b, &f.office, 400 },
			{ 0, leaf.b, &f.permits, 403 },
			{ 0, leaf.b, &f.office, 200 },
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			char id[8];

			snprintf(id, sizeof(id), "C-%zu", i);
			wire_buf_init(&rec);
			correction(&rec, id, c[i].idx, c[i].h);
			sign_rec(c[i].k, &rec, 0, &sb);
			req(&f, EVHTTP_REQ_POST, "/add", sb.data, sb.len, 0, &r);
			ck_assert_msg(r.status == c[i].status, "%zu: %d %s", i,
			    r.status, r.body.data);
			resp_free(&r);
			wire_buf_free(&rec);
			wire_buf_free(&sb);
		}
	}
	ck_assert_uint_eq(tree_size(&f), 2);
	/* No sequencer (stopping): 503 with Retry-After. */
	seq_stop(f.ctx.seq);
	f.ctx.seq = NULL;
	ck_assert_int_eq(add(&f, &f.office, "Z", 1, 0, &r), 503);
	ck_assert_str_eq(r.retry, "5");
	resp_free(&r);
	ck_assert_uint_eq(tree_size(&f), 2);
	fx_close(&f);
}
END_TEST

/* The rate limit: the burst, then 429 with Retry-After; other offices
 * unaffected; a forgery naming the office does not spend its tokens. */
START_TEST(rate_limited)
{
	struct fx f;
	struct resp r;

	fx_open(&f, 0, "rate_limit = 1\nrate_burst = 2\n");
	ck_assert_int_eq(add(&f, &f.office, "R1", 1, 1, &r), 403);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "R1", 1, 1, &r), 403);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "R1", 1, 0, &r), 200);
	resp_free(&r);
	/* An identical resubmission is answered from the index and takes
	 * no token (it is still refused while none is left). */
	ck_assert_int_eq(add(&f, &f.office, "R1", 1, 0, &r), 200);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "R2", 1, 0, &r), 200);
	resp_free(&r);
	ck_assert_int_eq(add(&f, &f.office, "R3", 1, 0, &r), 429);
	ck_assert_str_eq(r.retry, "1");
	resp_free(&r);
	ck_assert_uint_eq(tree_size(&f), 2);
	fx_close(&f);
}
END_TEST

/* With witness_wait_quorum: no checkpoint is served before the quorum;
 * an append is answered once the served checkpoint covers it (its receipt
 * carries that checkpoint), or 503 at the time-out, durable either way. */
START_TEST(receipts_wait_for_the_quorum)
{
	struct fx f;
	struct resp r, r2;
	char note[PT_NOTE_MAX + 1], wnote[PT_NOTE_MAX + 1];
	size_t len;
	uint64_t size, idx;
	struct mt_hash leaf;

	fx_open(&f, 1, NULL);
	get(&f, "/checkpoint", 0, 503, &r);
	resp_free(&r);
	send_req(&f, EVHTTP_REQ_POST, "/add", NULL, 0, 0, &r);
	wait_resp(&f, &r);		/* an empty body, to warm up */
	resp_free(&r);
	{
		struct wire_buf rec, sb;

		wire_buf_init(&rec);
		payment(&rec, "W1", 1);
		sign_rec(&f.office, &rec, 0, &sb);
		send_req(&f, EVHTTP_REQ_POST, "/add", sb.data, sb.len, 0, &r);
		while (api_parked(f.api) == 0)
			event_base_loop(f.base, EVLOOP_ONCE);
		ck_assert_int_eq(r.done, 0);
		ck_assert_uint_eq(tree_size(&f), 1);	/* durable */
		/* The witnesses cosign (here: the log's note stands in for
		 * the cosigned one) and the quorum is met. */
		pub_latest(f.pub, note, sizeof(note), &len, &size);
		memcpy(wnote, note, len + 1);
		pub_cosigned(f.pub, wnote, len, size, 1);
		api_release_parked(f.api, 60000, 0);
		wait_resp(&f, &r);
		ck_assert_int_eq(r.status, 200);
		check_receipt(&f, &r, &idx, &leaf);
		ck_assert_uint_eq(idx, 0);
		resp_free(&r);
		get(&f, "/checkpoint", 0, 200, &r2);
		resp_free(&r2);
		wire_buf_free(&rec);
		wire_buf_free(&sb);
		/* The next one waits in vain: 503 naming its index. */
		wire_buf_init(&rec);
		payment(&rec, "W2", 1);
		sign_rec(&f.office, &rec, 0, &sb);
		send_req(&f, EVHTTP_REQ_POST, "/add", sb.data, sb.len, 0, &r);
		while (api_parked(f.api) == 0)
			event_base_loop(f.base, EVLOOP_ONCE);
		/* Known but not yet covered: 503 at once for a retry. */
		send_on(f.conn2, EVHTTP_REQ_POST, "/add", sb.data, sb.len, 0,
		    &r2);
		wait_resp(&f, &r2);
		ck_assert_int_eq(r2.status, 503);
		ck_assert_int_eq(r.done, 0);
		resp_free(&r2);
		api_release_parked(f.api, 0, 0);
		wait_resp(&f, &r);
		ck_assert_int_eq(r.status, 503);
		ck_assert_ptr_nonnull(strstr((char *)r.body.data,
		    "entry 1 is durable"));
		ck_assert_uint_eq(api_parked(f.api), 0);
		ck_assert_uint_eq(tree_size(&f), 2);
		resp_free(&r);
		wire_buf_free(&rec);
		wire_buf_free(&sb);
	}
	fx_close(&f);
}
END_TEST

/* The citizen page's route: files under web_root (HEAD without content),
 * the log's own /config.json, nothing outside the rules. */
START_TEST(web_page)
{
	struct fx f;
	struct resp r;
	char web[256], path[300];
	FILE *fp;

	fx_open(&f, 0, NULL);
	snprintf(web, sizeof(web), "%s/web", f.dir);
	ck_assert_int_eq(mkdir(web, 0700), 0);
	snprintf(path, sizeof(path), "%s/index.html", web);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("<!doctype html><title>t</title>\n", fp);
	fclose(fp);
	get(&f, "/", 0, 404, &r);		/* no web_root yet */
	resp_free(&r);
	ck_assert_int_eq(cfg_set(&f.cfg, "web_root", web, NULL), 0);
	get(&f, "/", 0, 200, &r);
	ck_assert_str_eq((char *)r.body.data,
	    "<!doctype html><title>t</title>\n");
	resp_free(&r);
	req(&f, EVHTTP_REQ_HEAD, "/index.html", NULL, 0, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body.len, 0);
	resp_free(&r);
	get(&f, "/config.json", 0, 200, &r);
	ck_assert_ptr_nonnull(strstr((char *)r.body.data, "served_by_log"));
	resp_free(&r);
	get(&f, "/../index.html", 0, 404, &r);
	resp_free(&r);
	get(&f, "/nothing.html", 0, 404, &r);
	resp_free(&r);
	/* The API routes still come first. */
	get(&f, "/healthz", 0, 200, &r);
	resp_free(&r);
	fx_close(&f);
}
END_TEST

/* One function maps every PT_E* code to a status. */
START_TEST(error_statuses)
{
	static const struct {
		int err, status;
	} m[] = {
		{ 0, 200 },
		{ PT_ETOOBIG, 413 },
		{ PT_EMALFORMED, 400 }, { PT_ENONCANON, 400 },
		{ PT_EDUPKEY, 400 }, { PT_EUNKNOWNKEY, 400 },
		{ PT_ETYPE, 400 }, { PT_EUTF8, 400 }, { PT_ETRAILING, 400 },
		{ PT_ETRUNCATED, 400 }, { PT_ESCHEMA, 400 },
		{ PT_ERANGE, 400 }, { PT_EDEPTH, 400 }, { PT_EINVAL, 400 },
		{ PT_EORIGIN, 400 },
		{ PT_ESIG, 403 }, { PT_EUNKNOWNSIGNER, 403 },
		{ PT_EFORBIDDEN, 403 },
		{ PT_ENOTFOUND, 404 },
		{ PT_ECONFLICT, 409 },
		{ PT_ERATE, 429 },
		{ PT_EFULL, 503 }, { PT_EBUSY, 503 }, { PT_ENOMEM, 503 },
		{ PT_EIO, 500 }, { PT_ECORRUPT, 500 }, { PT_ECRYPTO, 500 },
		{ PT_EPROOF, 500 }, { PT_EROLLBACK, 500 },
		{ PT_EPOISONED, 500 }, { PT_ETIME, 500 }, { PT_ENET, 500 },
		{ -999, 500 },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		ck_assert_msg(api_status(m[i].err) == m[i].status, "%d -> %d",
		    m[i].err, api_status(m[i].err));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_route);
	tcase_add_test(tc, bad_queries);
	tcase_add_test(tc, add_refusals);
	tcase_add_test(tc, rate_limited);
	tcase_add_test(tc, receipts_wait_for_the_quorum);
	tcase_add_test(tc, web_page);
	tcase_add_test(tc, error_statuses);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
