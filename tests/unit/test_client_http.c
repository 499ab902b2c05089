/*
 * test_client_http.c: the client's libevent HTTP layer against an evhttp
 * server running in a thread of this process: answers, keep-alive reuse,
 * the concurrency bound, the response-size cap, the whole-request
 * deadline, a refused connection, POST bodies, Retry-After and timers.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "pt.h"
#include "../../client/http.h"

static struct {
	struct event_base *base;
	struct evhttp *http;
	pthread_t tid;
	int port;
	pthread_mutex_t mu;
	int inflight, max_inflight;
	void *conns[64];
	int nconns;
} S;

struct delayed {
	struct evhttp_request *req;
	struct event *ev;
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
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	note_conn(req);
	if (strcmp(uri, "/ok") == 0) {
		evbuffer_add_printf(b, "hello");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "text/plain; charset=utf-8");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/big") == 0) {
		char *big = calloc(1, 2 << 20);

		evbuffer_add(b, big, 2 << 20);
		free(big);
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/slow") == 0) {
		/* never answered */
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
		evbuffer_add_buffer(b, evhttp_request_get_input_buffer(req));
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/busy") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "7");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "text/plain");
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
	evhttp_free(S.http);
	event_base_free(S.base);
	pthread_mutex_destroy(&S.mu);
}

static struct http_client *
client(unsigned timeout_ms, unsigned conc, size_t max)
{
	struct http_opts o = { timeout_ms, conc, max };
	struct http_client *c;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", S.port);
	ck_assert_int_eq(http_client_new(url, &o, &c, NULL), 0);
	return c;
}

START_TEST(answers_and_keepalive)
{
	struct http_client *c;
	struct http_resp r;

	server_start();
	c = client(2000, 1, 0);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(http_get(c, "/ok", NULL, &r), 0);
		ck_assert_int_eq(r.err, 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(r.len, 5);
		ck_assert_str_eq((char *)r.body, "hello");
		ck_assert_str_eq(r.ctype, "text/plain; charset=utf-8");
		http_resp_free(&r);
	}
	ck_assert_int_eq(S.nconns, 1);	/* one keep-alive connection */
	ck_assert_int_eq(http_get(c, "/nope", NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	http_resp_free(&r);
	ck_assert_int_eq(http_post(c, "/echo", "abc\0def", 7,
	    "application/msgpack", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 7);
	ck_assert_mem_eq(r.body, "abc\0def", 7);
	http_resp_free(&r);
	ck_assert_int_eq(http_get(c, "/busy", NULL, &r), 0);
	ck_assert_int_eq(r.status, 429);
	ck_assert_uint_eq(r.retry_after, 7);
	http_resp_free(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

static int ndone;

static void
count_done(void *arg, struct http_resp *r)
{
	(void)arg;
	ck_assert_int_eq(r->err, 0);
	ck_assert_int_eq(r->status, 200);
	ndone++;
}

START_TEST(bounded_concurrency)
{
	struct http_client *c;

	server_start();
	c = client(5000, 3, 0);
	ndone = 0;
	for (int i = 0; i < 30; i++)
		ck_assert_int_eq(http_start(c, "GET", "/delay", NULL, NULL, 0,
		    NULL, count_done, NULL), 0);
	ck_assert_uint_eq(http_pending(c), 30);
	http_run(c);
	ck_assert_int_eq(ndone, 30);
	ck_assert_int_eq(http_pending(c), 0);
	ck_assert_int_le(S.max_inflight, 3);
	ck_assert_int_ge(S.max_inflight, 2);
	ck_assert_int_le(S.nconns, 3);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(response_cap)
{
	struct http_client *c;
	struct http_resp r;

	server_start();
	c = client(5000, 1, 1 << 20);
	ck_assert_int_eq(http_get(c, "/big", NULL, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_ptr_null(r.body);
	ck_assert(r.why[0] != '\0');
	http_resp_free(&r);
	/* the client still works after */
	ck_assert_int_eq(http_get(c, "/ok", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(deadline)
{
	struct http_client *c;
	struct http_resp r;
	struct timespec a, b;
	double el;

	server_start();
	c = client(300, 1, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(http_get(c, "/slow", NULL, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) /
	    1e9;
	ck_assert_int_eq(r.err, PT_ENET);
	ck_assert_ptr_nonnull(strstr(r.why, "300 ms"));
	ck_assert(el >= 0.25 && el < 2.0);
	http_resp_free(&r);
	ck_assert_int_eq(http_get(c, "/ok", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(refused_and_bad_urls)
{
	struct http_client *c;
	struct http_resp r;
	struct pt_why why = { "" };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char url[64];

	/* a port nobody listens on */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sin.sin_port));
	close(fd);
	ck_assert_int_eq(http_client_new(url, NULL, &c, NULL), 0);
	ck_assert_int_eq(http_get(c, "/x", NULL, &r), 0);
	ck_assert_int_eq(r.err, PT_ENET);
	http_resp_free(&r);
	http_client_free(c);
	ck_assert_int_eq(http_client_new("https://x.example", NULL, &c, &why),
	    PT_EINVAL);
	ck_assert_int_eq(http_client_new("ftp://x", NULL, &c, NULL),
	    PT_EINVAL);
	ck_assert_int_eq(http_client_new("not a url", NULL, &c, NULL),
	    PT_EINVAL);
	ck_assert_int_eq(http_client_new("http://h/?q=1", NULL, &c, NULL),
	    PT_EINVAL);
	http_client_free(NULL);
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
	struct http_client *c;

	ck_assert_int_eq(http_client_new("http://127.0.0.1:1", NULL, &c, NULL),
	    0);
	fired = 0;
	ck_assert_int_eq(http_later(c, 10, on_timer, NULL), 0);
	ck_assert_int_eq(http_later(c, 1, on_timer, NULL), 0);
	ck_assert_uint_eq(http_pending(c), 2);
	http_run(c);
	ck_assert_int_eq(fired, 2);
	http_client_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_http");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	signal(SIGPIPE, SIG_IGN);	/* as cli_main does */
	evthread_use_pthreads();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, answers_and_keepalive);
	tcase_add_test(tc, bounded_concurrency);
	tcase_add_test(tc, response_cap);
	tcase_add_test(tc, deadline);
	tcase_add_test(tc, refused_and_bad_urls);
	tcase_add_test(tc, timers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	libevent_global_shutdown();
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
