/*
 * test_hcli.c: the libcurl HTTP client (net/hcli) against an evhttp server
 * running in a thread of this process: answers, statuses, POST bodies,
 * Retry-After; keep-alive reuse (one connection for many requests) and the
 * concurrency bound; answers capped while they are read (a declared length
 * over the cap, an endless chunked answer, an endless gzip answer counted
 * decoded); gzip sent unasked, decoded; the whole-request deadline against
 * a server that never answers; a refused connection and an unknown host in
 * curl's words with the URL; bad base URLs; timers; a client on the
 * caller's event base.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "hcli.h"
#include "pt.h"

static struct {
	struct event_base *base;
	struct evhttp *http;
	pthread_t tid;
	int port;
	pthread_mutex_t mu;
	int inflight, max_inflight;
	void *conns[64];
	int nconns;
	int streams;			/* endless answers still running */
	char accept_enc[128];		/* the last Accept-Encoding seen */
	struct evhttp_request *held[8];	/* never answered (/slow) */
	int nheld;
} S;

/* An answer sent in chunks until the client goes away. */
struct stream {
	struct evhttp_request *req;
	struct event *ev;
	int gzip;
};

static void
note_conn(struct evhttp_request *req)
{
	void *c = evhttp_request_get_connection(req);
	int i;

	pthread_mutex_lock(&S.mu);
	for (i = 0; i < S.nconns; i++)
		if (S.conns[i] == c)
			break;
	if (i == S.nconns && S.nconns < 64)
		S.conns[S.nconns++] = c;
	pthread_mutex_unlock(&S.mu);
}

static int
get(int *p)
{
	int v;

	pthread_mutex_lock(&S.mu);
	v = *p;
	pthread_mutex_unlock(&S.mu);
	return v;
}

/* --- gzip by hand: stored deflate blocks (RFC 1951 3.2.4, RFC 1952) --- */

static uint32_t
crc32_of(const uint8_t *p, size_t n, uint32_t crc)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static const uint8_t GZ_HEADER[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0,
    0xff };

/* One stored block of data (n <= 65535) into b. */
static void
gz_block(struct evbuffer *b, const uint8_t *data, uint16_t n, int final)
{
	uint8_t h[5] = { final ? 1 : 0, (uint8_t)n, (uint8_t)(n >> 8),
	    (uint8_t)~n, (uint8_t)(~n >> 8) };

	evbuffer_add(b, h, 5);
	evbuffer_add(b, data, n);
}

static void
gz_whole(struct evbuffer *b, const char *text)
{
	size_t n = strlen(text);
	uint32_t crc = crc32_of((const uint8_t *)text, n, 0);
	uint8_t t[8] = { (uint8_t)crc, (uint8_t)(crc >> 8),
	    (uint8_t)(crc >> 16), (uint8_t)(crc >> 24), (uint8_t)n,
	    (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };

	evbuffer_add(b, GZ_HEADER, sizeof(GZ_HEADER));
	gz_block(b, (const uint8_t *)text, (uint16_t)n, 1);
	evbuffer_add(b, t, 8);
}

/* --- the server --- */

static void
stream_closed(struct evhttp_connection *ec, void *arg)
{
	struct stream *s = arg;

	(void)ec;
	/* A request whose client went away (no connection any more) is
	 * ours to end, which frees it; otherwise it goes with the
	 * connection being freed. */
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_send_reply_end(s->req);
	event_free(s->ev);
	free(s);
	pthread_mutex_lock(&S.mu);
	S.streams--;
	pthread_mutex_unlock(&S.mu);
}

static void
stream_more(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct evbuffer *b = evbuffer_new();
	static uint8_t chunk[16384];
	struct timeval tv = { 0, 1000 };

	(void)fd;
	(void)what;
	/* Only while the client reads: never more than 1 MiB queued. */
	if (evbuffer_get_length(bufferevent_get_output(
	    evhttp_connection_get_bufferevent(evhttp_request_get_connection(
	    s->req)))) < (1 << 20)) {
		if (s->gzip)
			gz_block(b, chunk, sizeof(chunk), 0);
		else
			evbuffer_add(b, chunk, sizeof(chunk));
		evhttp_send_reply_chunk(s->req, b);
	}
	evbuffer_free(b);
	evtimer_add(s->ev, &tv);
}

static void
stream_start(struct evhttp_request *req, int gzip)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct evbuffer *b = evbuffer_new();
	struct timeval tv = { 0, 1000 };

	s->req = req;
	s->gzip = gzip;
	s->ev = evtimer_new(S.base, stream_more, s);
	pthread_mutex_lock(&S.mu);
	S.streams++;
	pthread_mutex_unlock(&S.mu);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    stream_closed, s);
	if (gzip)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Encoding", "gzip");
	evhttp_send_reply_start(req, 200, "OK");
	if (gzip) {
		evbuffer_add(b, GZ_HEADER, sizeof(GZ_HEADER));
		evhttp_send_reply_chunk(req, b);
	}
	evbuffer_free(b);
	evtimer_add(s->ev, &tv);
}

struct delayed {
	struct evhttp_request *req;
	struct event *ev;
};

static void
reply_later(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;
	struct evbuffer *b = evbuffer_new();

	(void)fd;
	(void)what;
	evbuffer_add_printf(b, "late");
	evhttp_send_reply(d->req, 200, "OK", b);
	evbuffer_free(b);
	pthread_mutex_lock(&S.mu);
	S.inflight--;
	pthread_mutex_unlock(&S.mu);
	event_free(d->ev);
	free(d);
}

static void
handler(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req), *ae;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	note_conn(req);
	ae = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Accept-Encoding");
	pthread_mutex_lock(&S.mu);
	snprintf(S.accept_enc, sizeof(S.accept_enc), "%s", ae ? ae : "");
	pthread_mutex_unlock(&S.mu);
	if (strcmp(uri, "/ok") == 0) {
		evbuffer_add_printf(b, "hello");
		evhttp_add_header(out, "Content-Type",
		    "text/plain; charset=utf-8");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/big") == 0) {
		char *big = calloc(1, 2 << 20);

		evbuffer_add(b, big, 2 << 20);
		free(big);
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/endless") == 0) {
		stream_start(req, 0);
	} else if (strcmp(uri, "/endless-gzip") == 0) {
		stream_start(req, 1);
	} else if (strcmp(uri, "/gzip") == 0) {
		/* Whatever the request asked for. */
		gz_whole(b, "a bundle, gzip-encoded unasked\n");
		evhttp_add_header(out, "Content-Encoding", "gzip");
		evhttp_add_header(out, "Content-Type",
		    "application/octet-stream");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/bigerror") == 0) {
		char *big = malloc(100000);

		memset(big, 'e', 100000);
		evbuffer_add(b, big, 100000);
		free(big);
		evhttp_add_header(out, "Content-Type", "text/html");
		evhttp_send_reply(req, 404, "Not Found", b);
	} else if (strcmp(uri, "/badgzip") == 0) {
		evbuffer_add_printf(b, "this is not gzip at all");
		evhttp_add_header(out, "Content-Encoding", "gzip");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/slow") == 0) {
		/* never answered */
		if (S.nheld < 8)
			S.held[S.nheld++] = req;
	} else if (strcmp(uri, "/delay") == 0) {
		struct delayed *d = calloc(1, sizeof(*d));
		struct timeval tv = { 0, 20000 };

		pthread_mutex_lock(&S.mu);
		if (++S.inflight > S.max_inflight)
			S.max_inflight = S.inflight;
		pthread_mutex_unlock(&S.mu);
		d->req = req;
		d->ev = evtimer_new(S.base, reply_later, d);
		evtimer_add(d->ev, &tv);
	} else if (strcmp(uri, "/echo") == 0) {
		const char *ct = evhttp_find_header(
		    evhttp_request_get_input_headers(req), "Content-Type");

		evhttp_add_header(out, "Content-Type", ct ? ct : "none");
		evbuffer_add_buffer(b, evhttp_request_get_input_buffer(req));
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/busy") == 0) {
		evhttp_add_header(out, "Retry-After", "7");
		evhttp_add_header(out, "Content-Type", "text/plain");
		evbuffer_add_printf(b, "rate limit\n");
		evhttp_send_reply(req, 429, "Too Many Requests", b);
	} else
		evhttp_send_error(req, 404, NULL);
	evbuffer_free(b);
}

static void *
serve(void *arg)
{
	(void)arg;
	event_base_dispatch(S.base);
	return NULL;
}

static void
server_start(void)
{
	struct evhttp_bound_socket *h;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(&S, 0, sizeof(S));
	pthread_mutex_init(&S.mu, NULL);
	S.base = event_base_new();
	S.http = evhttp_new(S.base);
	evhttp_set_gencb(S.http, handler, NULL);
	h = evhttp_bind_socket_with_handle(S.http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(h);
	getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&sin,
	    &sl);
	S.port = ntohs(sin.sin_port);
	pthread_create(&S.tid, NULL, serve, NULL);
}

static void
server_stop(void)
{
	event_base_loopexit(S.base, NULL);
	pthread_join(S.tid, NULL);
	/* Held requests whose client went away are ours to free; the others
	 * go with their connections. */
	for (int i = 0; i < S.nheld; i++)
		if (evhttp_request_get_connection(S.held[i]) == NULL)
			evhttp_request_free(S.held[i]);
	evhttp_free(S.http);
	event_base_free(S.base);
	pthread_mutex_destroy(&S.mu);
}

static struct hcli *
client(unsigned timeout_ms, unsigned conc, size_t max)
{
	struct hcli_opts o = { .timeout_ms = timeout_ms, .concurrency = conc,
	    .max_response = max };
	struct hcli *c;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", S.port);
	ck_assert_int_eq(hcli_new(url, &o, &c, NULL), 0);
	return c;
}

START_TEST(answers_and_keepalive)
{
	struct hcli *c;
	struct hcli_resp r;

	server_start();
	c = client(2000, 1, 0);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(hcli_get(c, "/ok", NULL, 0, &r), 0);
		ck_assert_int_eq(r.err, 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(r.len, 5);
		ck_assert_str_eq((char *)r.body, "hello");
		ck_assert_str_eq(r.ctype, "text/plain; charset=utf-8");
		hcli_resp_free(&r);
	}
	ck_assert_int_eq(get(&S.nconns), 1);	/* one keep-alive connection */
	ck_assert_int_eq(hcli_get(c, "/nope", NULL, 0, &r), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 404);
	hcli_resp_free(&r);
	ck_assert_int_eq(hcli_post(c, "/echo", "abc\0def", 7,
	    "application/msgpack", NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 7);
	ck_assert_mem_eq(r.body, "abc\0def", 7);
	ck_assert_str_eq(r.ctype, "application/msgpack");
	hcli_resp_free(&r);
	ck_assert_int_eq(hcli_get(c, "/busy", NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 429);
	ck_assert_uint_eq(r.retry_after, 7);
	hcli_resp_free(&r);
	/* evhttp_send_error (the 404) closed the first connection. */
	ck_assert_int_eq(get(&S.nconns), 2);
	/* Methods and paths are checked. */
	ck_assert_int_eq(hcli_get(c, "ok", NULL, 0, &r), PT_EINVAL);
	ck_assert_int_eq(hcli_start(c, "PUT", "/ok", NULL, 0, NULL, 0, NULL,
	    NULL, NULL), PT_EINVAL);
	hcli_free(c);
	server_stop();
}
END_TEST

static int ndone;

static void
count_done(void *arg, struct hcli_resp *r)
{
	(void)arg;
	ck_assert_int_eq(r->err, 0);
	ck_assert_int_eq(r->status, 200);
	ndone++;
}

START_TEST(bounded_concurrency)
{
	struct hcli *c;

	server_start();
	c = client(5000, 3, 0);
	ndone = 0;
	for (int i = 0; i < 30; i++)
		ck_assert_int_eq(hcli_start(c, "GET", "/delay", NULL, 0, NULL, 0,
		    NULL, count_done, NULL), 0);
	ck_assert_uint_eq(hcli_pending(c), 30);
	hcli_run(c);
	ck_assert_int_eq(ndone, 30);
	ck_assert_uint_eq(hcli_pending(c), 0);
	ck_assert_int_le(get(&S.max_inflight), 3);
	ck_assert_int_ge(get(&S.max_inflight), 2);
	ck_assert_int_le(get(&S.nconns), 3);
	/* Back-pressure: run until at most 5 are left. */
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(hcli_start(c, "GET", "/delay", NULL, 0, NULL, 0,
		    NULL, count_done, NULL), 0);
	hcli_run_until(c, 5);
	ck_assert_uint_le(hcli_pending(c), 5);
	hcli_run(c);
	ck_assert_int_eq(ndone, 50);
	ck_assert_int_le(get(&S.nconns), 3);	/* the same connections */
	hcli_free(c);
	server_stop();
}
END_TEST

START_TEST(caps_while_reading)
{
	struct hcli *c;
	struct hcli_resp r;

	server_start();
	c = client(10000, 1, 0);
	/* A declared length over the cap: refused at the headers. */
	ck_assert_int_eq(hcli_get(c, "/big", NULL, 1 << 20, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_int_eq(r.fail, HCLI_TOOBIG);
	ck_assert_ptr_null(r.body);
	ck_assert_ptr_nonnull(strstr(r.why, "/big"));
	ck_assert_ptr_nonnull(strstr(r.why, "too large"));
	hcli_resp_free(&r);
	/* The same answer within its cap is read whole. */
	ck_assert_int_eq(hcli_get(c, "/big", NULL, 2 << 20, &r), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.len, 2 << 20);
	hcli_resp_free(&r);
	/* An endless answer: ended once it passes the cap, long before the
	 * 10 s deadline (so: too large, not timed out). */
	ck_assert_int_eq(hcli_get(c, "/endless", NULL, 65536, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_int_eq(r.fail, HCLI_TOOBIG);
	ck_assert_ptr_nonnull(strstr(r.why, "over 65536 bytes"));
	hcli_resp_free(&r);
	/* The same for an endless gzip answer, counted decoded. */
	ck_assert_int_eq(hcli_get(c, "/endless-gzip", NULL, 100000, &r), 0);
	ck_assert_int_eq(r.fail, HCLI_TOOBIG);
	hcli_resp_free(&r);
	/* The server saw both streams closed; the client still works. */
	for (int i = 0; i < 500 && get(&S.streams) > 0; i++)
		usleep(10000);
	ck_assert_int_eq(get(&S.streams), 0);
	ck_assert_int_eq(hcli_get(c, "/ok", NULL, 5, &r), 0);
	ck_assert_int_eq(r.status, 200);
	hcli_resp_free(&r);
	/* A refusal's large page: the status counts, its text is cut. */
	ck_assert_int_eq(hcli_get(c, "/bigerror", NULL, 100, &r), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_uint_eq(r.len, 100);
	hcli_resp_free(&r);
	ck_assert_int_eq(hcli_get(c, "/bigerror", NULL, 0, &r), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_uint_eq(r.len, HCLI_MAX_ERROR_BODY);
	ck_assert_uint_eq(strlen((char *)r.body), HCLI_MAX_ERROR_BODY);
	hcli_resp_free(&r);
	/* A cap of exactly the answer's size is enough, one less is not. */
	ck_assert_int_eq(hcli_get(c, "/ok", NULL, 4, &r), 0);
	ck_assert_int_eq(r.fail, HCLI_TOOBIG);
	hcli_resp_free(&r);
	hcli_free(c);
	server_stop();
}
END_TEST

START_TEST(gzip_unasked)
{
	struct hcli *c;
	struct hcli_resp r;

	server_start();
	c = client(5000, 1, 0);
	ck_assert_int_eq(hcli_get(c, "/gzip", NULL, 0, &r), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((char *)r.body, "a bundle, gzip-encoded unasked\n");
	hcli_resp_free(&r);
	/* The request offered gzip. */
	pthread_mutex_lock(&S.mu);
	ck_assert_ptr_nonnull(strstr(S.accept_enc, "gzip"));
	pthread_mutex_unlock(&S.mu);
	/* A body that claims gzip and is not: an error, never its bytes. */
	ck_assert_int_eq(hcli_get(c, "/badgzip", NULL, 0, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_ptr_null(r.body);
	ck_assert_ptr_nonnull(strstr(r.why, "encoding"));
	hcli_resp_free(&r);
	hcli_free(c);
	server_stop();
}
END_TEST

/* hcli_done_fn keeping the answer in *arg. */
static void
keep_answer(void *arg, struct hcli_resp *r)
{
	struct hcli_resp *out = arg;

	*out = *r;
	r->body = NULL;
}

static void
get_gzip(struct hcli *c, const char *path, size_t max, struct hcli_resp *r)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(hcli_start_gzip(c, path, NULL, max, keep_answer, r),
	    0);
	hcli_run(c);
}

/* hcli_start_gzip leaves the body encoded, asks for gzip only, and caps
 * the encoded bytes; hcli_gunzip decodes a gzip member written by hand
 * (stored blocks) and refuses one over its cap, damaged, truncated or
 * followed by other bytes. */
START_TEST(gzip_left_encoded)
{
	struct hcli *c;
	struct hcli_resp r;
	struct evbuffer *b = evbuffer_new();
	const char *text = "a bundle, gzip-encoded unasked\n";
	uint8_t *gz, *d, *bad;
	size_t gl, dl, dc;

	server_start();
	c = client(5000, 1, 0);
	get_gzip(c, "/gzip", 4096, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.encoding, "gzip");
	ck_assert_uint_ge(r.len, 18);
	ck_assert_uint_eq(r.body[0], 0x1f);
	ck_assert_uint_eq(r.body[1], 0x8b);
	pthread_mutex_lock(&S.mu);
	ck_assert_str_eq(S.accept_enc, "gzip");
	pthread_mutex_unlock(&S.mu);
	ck_assert_int_eq(hcli_gunzip(r.body, r.len, 4096, &d, &dl, &dc), 0);
	ck_assert_uint_eq(dl, strlen(text));
	ck_assert_uint_gt(dc, dl);
	ck_assert_str_eq((char *)d, text);
	free(d);
	ck_assert_int_eq(hcli_gunzip(r.body, r.len, 5, &d, &dl, &dc),
	    PT_ETOOBIG);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(hcli_gunzip(r.body, r.len - 3, 4096, &d, &dl, NULL),
	    PT_EMALFORMED);
	hcli_resp_free(&r);
	/* Identity: no encoding, the body as is. */
	get_gzip(c, "/ok", 4096, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_str_eq(r.encoding, "");
	ck_assert_str_eq((char *)r.body, "hello");
	hcli_resp_free(&r);
	/* "gzip" that is not: received as is, refused when decoded. */
	get_gzip(c, "/badgzip", 4096, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_str_eq(r.encoding, "gzip");
	ck_assert_int_eq(hcli_gunzip(r.body, r.len, 4096, &d, &dl, NULL),
	    PT_EMALFORMED);
	hcli_resp_free(&r);
	/* An endless gzip stream ends at the cap of encoded bytes. */
	get_gzip(c, "/endless-gzip", 100000, &r);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_int_eq(r.fail, HCLI_TOOBIG);
	hcli_resp_free(&r);
	/* Bytes after the member. */
	gz_whole(b, text);
	gl = evbuffer_get_length(b);
	gz = evbuffer_pullup(b, -1);
	ck_assert_ptr_nonnull(bad = malloc(gl + 1));
	memcpy(bad, gz, gl);
	bad[gl] = 'x';
	ck_assert_int_eq(hcli_gunzip(bad, gl, 4096, &d, &dl, NULL), 0);
	free(d);
	ck_assert_int_eq(hcli_gunzip(bad, gl + 1, 4096, &d, &dl, NULL),
	    PT_EMALFORMED);
	free(bad);
	evbuffer_free(b);
	hcli_free(c);
	server_stop();
}
END_TEST

START_TEST(deadline)
{
	struct hcli *c;
	struct hcli_resp r;

	server_start();
	c = client(300, 1, 0);
	ck_assert_int_eq(hcli_get(c, "/slow", NULL, 0, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_int_eq(r.fail, HCLI_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(r.why, "timed out"));
	ck_assert_ptr_nonnull(strstr(r.why, "300 ms"));
	ck_assert_ptr_nonnull(strstr(r.why, "/slow"));
	hcli_resp_free(&r);
	ck_assert_int_eq(hcli_get(c, "/ok", NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	hcli_resp_free(&r);
	hcli_free(c);
	server_stop();
}
END_TEST

START_TEST(refused_unknown_and_bad_urls)
{
	struct hcli *c;
	struct hcli_resp r;
	struct pt_why why = { "" };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char url[64];

	/* A port nobody listens on. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sin.sin_port));
	close(fd);
	ck_assert_int_eq(hcli_new(url, NULL, &c, NULL), 0);
	ck_assert_int_eq(hcli_get(c, "/x", NULL, 0, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_int_eq(r.fail, HCLI_CONNECT);
	ck_assert_msg(strstr(r.why, "connection refused") != NULL, "%s",
	    r.why);
	ck_assert_ptr_nonnull(strstr(r.why, url));
	hcli_resp_free(&r);
	hcli_free(c);
	/* A name that cannot resolve (.invalid, RFC 6761). */
	ck_assert_int_eq(hcli_new("https://no-such-host.invalid", NULL, &c,
	    NULL), 0);
	ck_assert_int_eq(hcli_get(c, "/checkpoint", NULL, 0, &r), 0);
	ck_assert_int_eq(r.fail, HCLI_RESOLVE);
	ck_assert_msg(strstr(r.why, "could not resolve host") != NULL, "%s",
	    r.why);
	ck_assert_ptr_nonnull(strstr(r.why,
	    "https://no-such-host.invalid/checkpoint"));
	hcli_resp_free(&r);
	hcli_free(c);
	/* Base URLs. */
	ck_assert_int_eq(hcli_new("https://x.example/log/", NULL, &c, &why), 0);
	ck_assert_str_eq(hcli_url(c), "https://x.example/log");
	hcli_free(c);
	ck_assert_int_eq(hcli_new("ftp://x", NULL, &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "http[s]://"));
	ck_assert_int_eq(hcli_new("not a url", NULL, &c, NULL), PT_EINVAL);
	ck_assert_int_eq(hcli_new("http://", NULL, &c, NULL), PT_EINVAL);
	ck_assert_int_eq(hcli_new("http://h/?q=1", NULL, &c, NULL), PT_EINVAL);
	ck_assert_int_eq(hcli_new("http://h/#f", NULL, &c, NULL), PT_EINVAL);
	ck_assert_int_eq(hcli_new("http://u:p@h/", NULL, &c, NULL), PT_EINVAL);
	ck_assert_int_eq(hcli_new("http://h/\n", NULL, &c, NULL), PT_EINVAL);
	hcli_free(NULL);
}
END_TEST

static int fired;

static void
on_timer(void *arg)
{
	(void)arg;
	fired++;
}

START_TEST(timers)
{
	struct hcli *c;

	ck_assert_int_eq(hcli_new("http://127.0.0.1:1", NULL, &c, NULL), 0);
	fired = 0;
	ck_assert_int_eq(hcli_later(c, 10, on_timer, NULL), 0);
	ck_assert_int_eq(hcli_later(c, 1, on_timer, NULL), 0);
	ck_assert_uint_eq(hcli_pending(c), 2);
	hcli_run(c);
	ck_assert_int_eq(fired, 2);
	hcli_free(c);
}
END_TEST

/* A client on the caller's base: callbacks come from the caller's loop. */
struct ext {
	struct event_base *base;
	int done;
	size_t bytes;
};

static void
ext_done(void *arg, struct hcli_resp *r)
{
	struct ext *x = arg;

	ck_assert_int_eq(r->err, 0);
	x->bytes += r->len;
	if (++x->done == 5)
		event_base_loopbreak(x->base);
}

START_TEST(callers_base_and_recycling)
{
	struct hcli_opts o = { .concurrency = 2 };
	struct hcli *c;
	struct hcli_resp r;
	struct ext x = { 0 };
	char url[64];
	uint8_t *first;

	server_start();
	x.base = event_base_new();
	o.base = x.base;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", S.port);
	ck_assert_int_eq(hcli_new(url, &o, &c, NULL), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(hcli_start(c, "GET", "/ok", NULL, 0, NULL, 0,
		    NULL, ext_done, &x), 0);
	event_base_dispatch(x.base);
	ck_assert_int_eq(x.done, 5);
	ck_assert_uint_eq(x.bytes, 25);
	ck_assert_uint_eq(hcli_pending(c), 0);
	/* A body given back is used for the next answer. */
	ck_assert_int_eq(hcli_get(c, "/big", NULL, 4 << 20, &r), 0);
	ck_assert_uint_eq(r.len, 2 << 20);
	first = r.body;
	hcli_resp_recycle(c, &r);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(hcli_get(c, "/big", NULL, 4 << 20, &r), 0);
	ck_assert_ptr_eq(r.body, first);
	hcli_resp_free(&r);
	/* Requests in flight when the client is freed: no callback. */
	ck_assert_int_eq(hcli_start(c, "GET", "/slow", NULL, 0, NULL, 0, NULL,
	    ext_done, &x), 0);
	event_base_loop(x.base, EVLOOP_NONBLOCK);
	hcli_free(c);
	ck_assert_int_eq(x.done, 5);
	event_base_free(x.base);
	server_stop();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hcli");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	signal(SIGPIPE, SIG_IGN);	/* as cli_main does */
	evthread_use_pthreads();
	/* The test decides what is proxied: nothing. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, answers_and_keepalive);
	tcase_add_test(tc, bounded_concurrency);
	tcase_add_test(tc, caps_while_reading);
	tcase_add_test(tc, gzip_unasked);
	tcase_add_test(tc, gzip_left_encoded);
	tcase_add_test(tc, deadline);
	tcase_add_test(tc, refused_unknown_and_bad_urls);
	tcase_add_test(tc, timers);
	tcase_add_test(tc, callers_base_and_recycling);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	libevent_global_shutdown();
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
