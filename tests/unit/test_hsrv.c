/*
 * test_hsrv.c: the hardened HTTP server (net/hsrv) on loopback, its event
 * loop in a thread of this process, driven by plain sockets from the test:
 * answers and keep-alive; the connection cap (the connection over it is
 * shut or answered 503, never handled; the others keep working; a slot
 * freed is usable again); the whole-request deadline against a client
 * trickling one byte at a time; no deadline while a handler defers its
 * answer, and the clock restarting after it; body and header limits and
 * methods refused by evhttp before any handler; limits changed on a
 * running server; HOST:PORT parsing and bind failures.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "hsrv.h"
#include "pt.h"

/* The server under test and what it saw. */
static struct {
	struct event_base *base;
	struct hsrv *s;
	pthread_t tid;
	int port;
	pthread_mutex_t mu;
	int ev[4];			/* counts of enum hsrv_event */
	int handled;			/* handler calls */
} S;

struct later {
	struct evhttp_request *req;
	struct event *ev;
};

static void
on_event(void *arg, enum hsrv_event ev)
{
	(void)arg;
	pthread_mutex_lock(&S.mu);
	S.ev[ev]++;
	pthread_mutex_unlock(&S.mu);
}

static int
count(int *p)
{
	int v;

	pthread_mutex_lock(&S.mu);
	v = *p;
	pthread_mutex_unlock(&S.mu);
	return v;
}

static void
reply_text(struct evhttp_request *req, int code, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "%s", text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, code, "X", b);
	evbuffer_free(b);
}

static void
answer_later(evutil_socket_t fd, short what, void *arg)
{
	struct later *l = arg;

	(void)fd;
	(void)what;
	reply_text(l->req, 200, "late");
	event_free(l->ev);
	free(l);
}

/* /ok: 200 "hello"; /defer: 200 "late" after 600 ms (longer than the
 * deadlines the tests use). */
static void
handler(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);

	(void)arg;
	pthread_mutex_lock(&S.mu);
	S.handled++;
	pthread_mutex_unlock(&S.mu);
	if (strcmp(uri, "/defer") == 0) {
		struct later *l = calloc(1, sizeof(*l));
		struct timeval tv = { 0, 600 * 1000 };

		l->req = req;
		l->ev = evtimer_new(S.base, answer_later, l);
		evtimer_add(l->ev, &tv);
		return;
	}
	reply_text(req, 200, "hello");
}

static void *
serve(void *arg)
{
	(void)arg;
	event_base_dispatch(S.base);
	return NULL;
}

static void
server_start(const struct hsrv_opts *o)
{
	struct hsrv_opts oo = *o;
	struct pt_why why = { "" };

	memset(&S, 0, sizeof(S));
	pthread_mutex_init(&S.mu, NULL);
	S.base = event_base_new();
	oo.event = on_event;
	ck_assert_int_eq(hsrv_start(S.base, "127.0.0.1:0", &oo, handler, NULL,
	    &S.s, &why), 0);
	S.port = hsrv_port(S.s);
	ck_assert_int_gt(S.port, 0);
	pthread_create(&S.tid, NULL, serve, NULL);
}

static void
server_stop(void)
{
	event_base_loopexit(S.base, NULL);
	pthread_join(S.tid, NULL);
	hsrv_free(S.s);
	event_base_free(S.base);
	pthread_mutex_destroy(&S.mu);
}

static int
tcp_connect(void)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)S.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* 0 when all of s was sent, -1 when the server had closed. */
static int
send_str(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read one answer: its status (0 when the server closed without one, -1
 * on the 5 s receive timeout).  Reads headers and a Content-Length body.
 */
static int
read_status(int fd, char *body, size_t cap)
{
	char buf[16384];
	size_t n = 0;
	const char *e, *cl;
	int status;

	for (;;) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1;
		if (r <= 0)
			return n == 0 ? 0 : -2;
		n += (size_t)r;
		buf[n] = '\0';
		if ((e = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
			return -3;
		cl = strstr(buf, "Content-Length: ");
		if (cl != NULL && cl < e) {
			size_t want = (size_t)strtoul(cl + 16, NULL, 10);

			if (n - (size_t)(e + 4 - buf) < want)
				continue;
			if (body != NULL && cap > 0)
				snprintf(body, cap, "%.*s", (int)want, e + 4);
		}
		return status;
	}
}

/* Wait up to 5 s for *p to reach v. */
static int
wait_count(int *p, int v)
{
	for (int i = 0; i < 500; i++) {
		if (count(p) >= v)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* 1 when the server has closed fd (EOF or reset) within 5 s. */
static int
closed_by_server(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, 0);

	return r == 0 || (r < 0 && errno == ECONNRESET);
}

static const char GET_OK[] = "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n";

START_TEST(answers_and_keepalive)
{
	struct hsrv_opts o = { 0 };
	char body[64];
	int fd;

	server_start(&o);
	fd = tcp_connect();
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(send_str(fd, GET_OK, strlen(GET_OK)), 0);
		ck_assert_int_eq(read_status(fd, body, sizeof(body)), 200);
		ck_assert_str_eq(body, "hello");
	}
	close(fd);
	ck_assert_int_eq(count(&S.handled), 3);
	ck_assert_int_eq(count(&S.ev[HSRV_OPENED]), 1);
	ck_assert(wait_count(&S.ev[HSRV_CLOSED], 1));
	ck_assert_uint_eq(hsrv_conns(S.s), 0);
	server_stop();
}
END_TEST

START_TEST(connection_cap)
{
	struct hsrv_opts o = { .max_conns = 3 };
	int a[3], d, e, st;

	server_start(&o);
	for (int i = 0; i < 3; i++)
		a[i] = tcp_connect();
	ck_assert(wait_count(&S.ev[HSRV_OPENED], 3));
	d = tcp_connect();
	ck_assert(wait_count(&S.ev[HSRV_REFUSED], 1));
	/* The fourth is shut, or answered 503 if its request came first;
	 * never handled. */
	if (send_str(d, GET_OK, strlen(GET_OK)) == 0) {
		st = read_status(d, NULL, 0);
		ck_assert_msg(st == 0 || st == 503, "status %d", st);
	}
	close(d);
	ck_assert_int_eq(count(&S.handled), 0);
	/* The three below the cap still work. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(send_str(a[i], GET_OK, strlen(GET_OK)), 0);
		ck_assert_int_eq(read_status(a[i], NULL, 0), 200);
	}
	/* A slot freed is usable again. */
	close(a[0]);
	ck_assert(wait_count(&S.ev[HSRV_CLOSED], 2));
	e = tcp_connect();
	ck_assert_int_eq(send_str(e, GET_OK, strlen(GET_OK)), 0);
	ck_assert_int_eq(read_status(e, NULL, 0), 200);
	ck_assert_int_eq(count(&S.ev[HSRV_REFUSED]), 1);
	close(e);
	close(a[1]);
	close(a[2]);
	server_stop();
}
END_TEST

START_TEST(deadline_cuts_trickling_client)
{
	struct hsrv_opts o = { .deadline_ms = 300 };
	const char *start = "GET /ok HTTP/1.1\r\nHost: t\r\nX-Pad: ";
	int fd, cut = 0, sent = 0, g;

	server_start(&o);
	fd = tcp_connect();
	ck_assert_int_eq(send_str(fd, start, strlen(start)), 0);
	/* One byte every 50 ms, for up to 4 s: each byte resets libevent's
	 * own inactivity timeout, never the whole-request deadline. */
	for (int i = 0; i < 80 && !cut; i++) {
		struct pollfd p = { fd, POLLIN, 0 };

		usleep(50000);
		if (poll(&p, 1, 0) == 1 && closed_by_server(fd))
			cut = 1;
		else if (send_str(fd, "a", 1) != 0)
			cut = 1;
		else
			sent++;
	}
	ck_assert_msg(cut, "a trickling client stayed %d bytes", sent);
	ck_assert_int_eq(count(&S.handled), 0);
	ck_assert_int_ge(count(&S.ev[HSRV_CUT]), 1);
	close(fd);
	/* Others are still served. */
	fd = tcp_connect();
	ck_assert_int_eq(send_str(fd, GET_OK, strlen(GET_OK)), 0);
	ck_assert_int_eq(read_status(fd, NULL, 0), 200);
	/* An idle keep-alive connection is cut at the deadline too. */
	g = count(&S.ev[HSRV_CUT]);
	ck_assert(closed_by_server(fd));
	ck_assert_int_eq(count(&S.ev[HSRV_CUT]), g + 1);
	close(fd);
	server_stop();
}
END_TEST

START_TEST(no_deadline_while_handler_defers)
{
	struct hsrv_opts o = { .deadline_ms = 200 };
	const char *req = "GET /defer HTTP/1.1\r\nHost: t\r\n\r\n";
	char body[64];
	int fd;

	server_start(&o);
	fd = tcp_connect();
	/* The answer comes 600 ms later, three deadlines: it arrives. */
	ck_assert_int_eq(send_str(fd, req, strlen(req)), 0);
	ck_assert_int_eq(read_status(fd, body, sizeof(body)), 200);
	ck_assert_str_eq(body, "late");
	ck_assert_int_eq(count(&S.ev[HSRV_CUT]), 0);
	/* The clock restarted at the reply: the idle connection is cut. */
	ck_assert(closed_by_server(fd));
	ck_assert_int_eq(count(&S.ev[HSRV_CUT]), 1);
	close(fd);
	server_stop();
}
END_TEST

START_TEST(limits_refuse_before_handler)
{
	struct hsrv_opts o = { .max_body = 1024, .max_headers = 1024 };
	char req[8192], pad[4096];
	int fd, st;

	server_start(&o);
	/* A body over max_body (declared). */
	fd = tcp_connect();
	snprintf(req, sizeof(req), "POST /ok HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 2048\r\n\r\n");
	ck_assert_int_eq(send_str(fd, req, strlen(req)), 0);
	st = read_status(fd, NULL, 0);
	ck_assert_msg(st == 413 || st == 0, "status %d", st);
	close(fd);
	/* An endless chunked body. */
	fd = tcp_connect();
	snprintf(req, sizeof(req), "POST /ok HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	ck_assert_int_eq(send_str(fd, req, strlen(req)), 0);
	memset(pad, 'x', sizeof(pad));
	for (int i = 0; i < 16; i++) {
		snprintf(req, sizeof(req), "%zx\r\n", sizeof(pad));
		if (send_str(fd, req, strlen(req)) != 0 ||
		    send_str(fd, pad, sizeof(pad)) != 0 ||
		    send_str(fd, "\r\n", 2) != 0)
			break;
	}
	st = read_status(fd, NULL, 0);
	ck_assert_msg(st == 413 || st == 0 || st == -2, "status %d", st);
	close(fd);
	/* Headers over max_headers. */
	fd = tcp_connect();
	memset(pad, 'h', 2000);
	pad[2000] = '\0';
	snprintf(req, sizeof(req), "GET /ok HTTP/1.1\r\nHost: t\r\n"
	    "X-Big: %s\r\n\r\n", pad);
	if (send_str(fd, req, strlen(req)) == 0) {
		st = read_status(fd, NULL, 0);
		ck_assert_msg(st == 0 || (st >= 400 && st < 500) || st == -2,
		    "status %d", st);
	}
	close(fd);
	/* A method not let through. */
	fd = tcp_connect();
	snprintf(req, sizeof(req), "DELETE /ok HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(send_str(fd, req, strlen(req)), 0);
	st = read_status(fd, NULL, 0);
	ck_assert_msg(st >= 400, "status %d", st);
	close(fd);
	ck_assert_int_eq(count(&S.handled), 0);
	/* A body within the limit reaches the handler. */
	fd = tcp_connect();
	snprintf(req, sizeof(req), "POST /ok HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 1000\r\n\r\n%1000s", "");
	ck_assert_int_eq(send_str(fd, req, strlen(req)), 0);
	ck_assert_int_eq(read_status(fd, NULL, 0), 200);
	ck_assert_int_eq(count(&S.handled), 1);
	close(fd);
	server_stop();
}
END_TEST

/* hsrv_configure on the loop thread, as a SIGHUP handler would. */
static struct hsrv_opts reconf;
static int reconf_done;

static void
reconf_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	hsrv_configure(S.s, &reconf);
	pthread_mutex_lock(&S.mu);
	reconf_done = 1;
	pthread_mutex_unlock(&S.mu);
}

START_TEST(configure_running_server)
{
	struct hsrv_opts o = { 0 };
	struct timeval zero = { 0, 0 };
	int a, b, st;

	server_start(&o);
	a = tcp_connect();
	ck_assert(wait_count(&S.ev[HSRV_OPENED], 1));
	memset(&reconf, 0, sizeof(reconf));
	reconf.max_conns = 1;
	reconf.event = on_event;
	reconf_done = 0;
	event_base_once(S.base, -1, EV_TIMEOUT, reconf_cb, NULL, &zero);
	ck_assert(wait_count(&reconf_done, 1));
	b = tcp_connect();
	ck_assert(wait_count(&S.ev[HSRV_REFUSED], 1));
	if (send_str(b, GET_OK, strlen(GET_OK)) == 0) {
		st = read_status(b, NULL, 0);
		ck_assert_msg(st == 0 || st == 503, "status %d", st);
	}
	close(b);
	ck_assert_int_eq(send_str(a, GET_OK, strlen(GET_OK)), 0);
	ck_assert_int_eq(read_status(a, NULL, 0), 200);
	close(a);
	server_stop();
}
END_TEST

START_TEST(listen_split_and_bind)
{
	static const struct {
		const char *listen;
		int rc;
		const char *host;
		uint16_t port;
	} v[] = {
		{ "127.0.0.1:8640", 0, "127.0.0.1", 8640 },
		{ "localhost:0", 0, "localhost", 0 },
		{ "[::1]:443", 0, "::1", 443 },
		{ "[::1]:65536", PT_EINVAL, NULL, 0 },
		{ "127.0.0.1", PT_EINVAL, NULL, 0 },
		{ ":80", PT_EINVAL, NULL, 0 },
		{ "h:", PT_EINVAL, NULL, 0 },
		{ "h:8x", PT_EINVAL, NULL, 0 },
		{ "h:+1", PT_EINVAL, NULL, 0 },
		{ "[::1:80", PT_EINVAL, NULL, 0 },
		{ "[]:80", PT_EINVAL, NULL, 0 },
	};
	struct hsrv_opts o = { 0 };
	struct event_base *base = event_base_new();
	struct hsrv *s = NULL, *s2 = NULL;
	struct pt_why why = { "" };
	char host[64], busy[64];
	uint16_t port;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		port = 1;
		ck_assert_msg(hsrv_listen_split(v[i].listen, host, sizeof(host),
		    &port) == v[i].rc, "%s", v[i].listen);
		if (v[i].rc == 0) {
			ck_assert_str_eq(host, v[i].host);
			ck_assert_uint_eq(port, v[i].port);
		}
	}
	ck_assert_int_eq(hsrv_listen_split("127.0.0.1:1", host, 4, &port),
	    PT_EINVAL);
	ck_assert_int_eq(hsrv_start(base, "nonsense", &o, handler, NULL, &s,
	    &why), PT_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(why.text, "HOST:PORT"));
	/* A port in use: PT_EIO, with the system's reason. */
	ck_assert_int_eq(hsrv_start(base, "127.0.0.1:0", NULL, handler, NULL,
	    &s, &why), 0);
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", hsrv_port(s));
	ck_assert_int_eq(hsrv_start(base, busy, &o, handler, NULL, &s2, &why),
	    PT_EIO);
	ck_assert_ptr_nonnull(strstr(why.text, busy));
	ck_assert_ptr_null(s2);
	hsrv_free(s);
	hsrv_free(NULL);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("hsrv");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, answers_and_keepalive);
	tcase_add_test(tc, connection_cap);
	tcase_add_test(tc, deadline_cuts_trickling_client);
	tcase_add_test(tc, no_deadline_while_handler_defers);
	tcase_add_test(tc, limits_refuse_before_handler);
	tcase_add_test(tc, configure_running_server);
	tcase_add_test(tc, listen_split_and_bind);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
