/*
 * hsrv.c: evhttp with a connection cap and a whole-request deadline (see
 * hsrv.h for what and why).
 *
 * State: one struct hconn per accepted connection, in an array the sweep
 * walks; the array holds one reference to each connection's bufferevent.
 * A connection's clock (t0) starts when it opens and again each time a
 * reply has been written; while a request is with the handler (busy) it
 * does not run.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hsrv.h"
#include "num.h"
#include "ptlimits.h"

#define HSRV_MAX_WRITE	(256 * 1024)	/* bytes per write(2), at most */

struct hconn {
	struct bufferevent *bev;	/* we hold one reference */
	uint64_t t0;			/* ms: opened, or last reply written */
	int busy;			/* a request is with the handler */
	int refuse;			/* over the cap */
	int cut;			/* already shut down */
	int nodelay;			/* TCP_NODELAY set */
};

struct hsrv {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct event *sweep;
	struct event *refuse_ev;	/* shuts connections over the cap */
	struct hconn **c;
	size_t n, cap;
	struct hsrv_opts o;		/* defaults filled in */
	hsrv_handler handler;
	void *arg;
	int port;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
note(struct hsrv *s, enum hsrv_event ev)
{
	if (s->o.event != NULL)
		s->o.event(s->o.event_arg, ev);
}

static void
opts_fill(struct hsrv_opts *d, const struct hsrv_opts *o)
{
	static const struct hsrv_opts none;

	*d = o != NULL ? *o : none;
	if (d->max_body == 0)
		d->max_body = PT_HTTP_MAX_BODY;
	if (d->max_headers == 0)
		d->max_headers = PT_HTTP_MAX_HEADERS;
	if (d->max_conns == 0)
		d->max_conns = PT_HTTP_MAX_CONNS;
	if (d->deadline_ms == 0)
		d->deadline_ms = PT_HTTP_DEADLINE_MS;
	if (d->idle_s == 0)
		d->idle_s = PT_HTTP_IDLE_S;
	if (d->methods == 0)
		d->methods = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
		    EVHTTP_REQ_POST;
}

/* Shut c's socket down; evhttp sees EOF at once and frees the
 * connection (the sweep then drops our reference, closing the socket). */
static void
shut(struct hconn *c)
{
	evutil_socket_t fd;

	if (c->cut)
		return;
	c->cut = 1;
	if ((fd = bufferevent_getfd(c->bev)) >= 0)
		shutdown(fd, SHUT_RDWR);
	/* Wake evhttp so it notices now rather than at its next timeout. */
	bufferevent_enable(c->bev, EV_READ);
}

/* Shut every connection over the cap not yet shut (made active by bev_cb
 * once the new connection has its socket).  O(connections). */
static void
refuse_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hsrv *s = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i]->refuse)
			shut(s->c[i]);
}

/* evhttp's bufferevent factory: every accepted connection passes here. */
static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct hsrv *s = arg;
	struct bufferevent *bev;
	struct hconn *c;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;	/* evhttp makes its own; it goes untracked */
	/* Large answers (entry bundles) in a few writes, not in libevent's
	 * default 16 KiB ones. */
	(void)bufferevent_set_max_single_write(bev, HSRV_MAX_WRITE);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return bev;
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 64;
		struct hconn **p = realloc(s->c, nc * sizeof(*p));

		if (p == NULL) {
			free(c);
			return bev;
		}
		s->c = p;
		s->cap = nc;
	}
	bufferevent_incref(bev);
	c->bev = bev;
	c->t0 = mono_ms();
	s->c[s->n++] = c;
	note(s, HSRV_OPENED);
	if (s->n > s->o.max_conns) {
		c->refuse = 1;
		note(s, HSRV_REFUSED);
		event_active(s->refuse_ev, EV_TIMEOUT, 0);
	}
	return bev;
}

/* Every HSRV_SWEEP_MS: release what evhttp freed, cut what is late.
 * O(connections). */
static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hsrv *s = arg;
	uint64_t now = mono_ms();
	size_t i = 0;

	(void)fd;
	(void)what;
	while (i < s->n) {
		struct hconn *c = s->c[i];
		bufferevent_event_cb ecb = NULL;

		bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
		if (ecb == NULL) {
			/* evhttp freed the connection: drop our reference,
			 * which closes the socket. */
			bufferevent_decref(c->bev);
			free(c);
			s->c[i] = s->c[--s->n];
			note(s, HSRV_CLOSED);
			continue;
		}
		if (!c->busy && !c->cut && now - c->t0 > s->o.deadline_ms) {
			note(s, HSRV_CUT);
			shut(c);
		}
		i++;
	}
}

/* Our record of req's connection, or NULL (untracked).  O(connections),
 * newest first. */
static struct hconn *
conn_of(struct hsrv *s, struct evhttp_request *req)
{
	struct evhttp_connection *ec = evhttp_request_get_connection(req);
	struct bufferevent *bev;

	if (ec == NULL)
		return NULL;
	bev = evhttp_connection_get_bufferevent(ec);
	for (size_t i = s->n; i-- > 0;)
		if (s->c[i]->bev == bev)
			return s->c[i];
	return NULL;
}

/* The reply to a request of c has been written: its clock restarts for
 * the next request on the connection. */
static void
complete_cb(struct evhttp_request *req, void *arg)
{
	struct hconn *c = arg;

	(void)req;
	c->busy = 0;
	c->t0 = mono_ms();
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct hsrv *s = arg;
	struct hconn *c = conn_of(s, req);

	if (c != NULL && c->refuse) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(req);

		evhttp_add_header(h, "Connection", "close");
		evhttp_add_header(h, "Content-Type",
		    "text/plain; charset=utf-8");
		evhttp_send_error(req, 503, "too many connections");
		return;
	}
	if (c != NULL) {
		if (!c->nodelay) {
			/* Answers are written as headers then body: without
			 * this, Nagle's algorithm and delayed ACKs stall
			 * keep-alive clients for tens of ms per answer. */
			int one = 1;
			evutil_socket_t fd = bufferevent_getfd(c->bev);

			if (fd >= 0)
				(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
				    &one, sizeof(one));
			c->nodelay = 1;
		}
		c->busy = 1;
		evhttp_request_set_on_complete_cb(req, complete_cb, c);
	}
	s->handler(req, s->arg);
}

int
hsrv_listen_split(const char *listen, char *host, size_t hostcap,
    uint16_t *port)
{
	const char *colon = strrchr(listen, ':');
	uint64_t p;
	size_t hl;

	if (colon == NULL || colon == listen)
		return PT_EINVAL;
	hl = (size_t)(colon - listen);
	if (listen[0] == '[') {		/* [v6]:port */
		if (hl < 3 || listen[hl - 1] != ']' || hl - 2 >= hostcap)
			return PT_EINVAL;
		memcpy(host, listen + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		if (hl >= hostcap)
			return PT_EINVAL;
		memcpy(host, listen, hl);
		host[hl] = '\0';
	}
	if (num_parse_u64(colon + 1, strlen(colon + 1), 0, 65535, &p) != 0)
		return PT_EINVAL;
	*port = (uint16_t)p;
	return 0;
}

void
hsrv_configure(struct hsrv *s, const struct hsrv_opts *o)
{
	opts_fill(&s->o, o);
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)s->o.max_headers);
	evhttp_set_max_body_size(s->http, (ev_ssize_t)s->o.max_body);
	evhttp_set_timeout(s->http, (int)s->o.idle_s);
	evhttp_set_allowed_methods(s->http, (ev_uint16_t)s->o.methods);
}

int
hsrv_start(struct event_base *base, const char *listen,
    const struct hsrv_opts *o, hsrv_handler handler, void *arg,
    struct hsrv **out, struct pt_why *why)
{
	struct timeval tv = { 0, HSRV_SWEEP_MS * 1000 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct hsrv *s;
	char host[256];
	uint16_t port;

	*out = NULL;
	if (hsrv_listen_split(listen, host, sizeof(host), &port) != 0)
		return pt_why_set(why, PT_EINVAL, "listen address \"%s\": want "
		    "HOST:PORT", listen);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	s->base = base;
	s->handler = handler;
	s->arg = arg;
	if ((s->http = evhttp_new(base)) == NULL ||
	    (s->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, s)) ==
	    NULL || (s->refuse_ev = event_new(base, -1, 0, refuse_cb, s)) ==
	    NULL) {
		hsrv_free(s);
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	}
	hsrv_configure(s, o);
	evhttp_set_bevcb(s->http, bev_cb, s);
	evhttp_set_gencb(s->http, dispatch, s);
	if ((s->sock = evhttp_bind_socket_with_handle(s->http, host, port)) ==
	    NULL) {
		int e = EVUTIL_SOCKET_ERROR();

		hsrv_free(s);
		return pt_why_set(why, PT_EIO, "cannot listen on %s: %s",
		    listen, evutil_socket_error_to_string(e));
	}
	if (getsockname(evhttp_bound_socket_get_fd(s->sock),
	    (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			s->port = ntohs(((struct sockaddr_in6 *)&ss)->
			    sin6_port);
	}
	if (event_add(s->sweep, &tv) != 0) {
		hsrv_free(s);
		return pt_why_set(why, PT_ENOMEM, "cannot start the "
		    "connection sweep");
	}
	*out = s;
	return 0;
}

int
hsrv_port(const struct hsrv *s)
{
	return s->port;
}

size_t
hsrv_conns(const struct hsrv *s)
{
	return s->n;
}

void
hsrv_free(struct hsrv *s)
{
	if (s == NULL)
		return;
	if (s->sweep != NULL)
		event_free(s->sweep);
	if (s->refuse_ev != NULL)
		event_free(s->refuse_ev);
	if (s->http != NULL)
		evhttp_free(s->http);
	for (size_t i = 0; i < s->n; i++) {
		bufferevent_decref(s->c[i]->bev);
		free(s->c[i]);
	}
	free(s->c);
	free(s);
}
