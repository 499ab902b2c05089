/* httpd.c: evhttp with a connection cap and a whole-request deadline. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "env.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "pt.h"

#define SWEEP_MS 100
#define HTTPD_MAX_WRITE (256 * 1024)	/* bytes per write(2), at most */

struct conn {
	struct bufferevent *bev;	/* we hold one reference */
	double t_start;			/* request clock */
	int busy;			/* a request is with a handler */
	int refuse;			/* over the cap: shut at once */
	int cut;			/* already shut down */
	int nodelay;			/* TCP_NODELAY set */
};

struct httpd {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct event *sweep;
	struct conn **conns;
	size_t nconns, capconns;
	uint64_t max_conns;
	double deadline;
	int port;
};

static void
conn_shut(struct conn *c)
{
	evutil_socket_t fd;

	if (c->cut)
		return;
	c->cut = 1;
	fd = bufferevent_getfd(c->bev);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	/* Wake evhttp so it notices now rather than at its next timeout. */
	bufferevent_enable(c->bev, EV_READ);
}

static void
refuse_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_shut(arg);
}

static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct httpd *h = arg;
	struct conn *c;
	struct bufferevent *bev;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;	/* evhttp makes its own; it goes untracked */
	/* Large answers (128 KiB entry bundles) in a few writes, not in
	 * libevent's default 16 KiB ones. */
	(void)bufferevent_set_max_single_write(bev, HTTPD_MAX_WRITE);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return bev;
	if (h->nconns == h->capconns) {
		size_t ncap = h->capconns ? h->capconns * 2 : 64;
		struct conn **nc = realloc(h->conns, ncap * sizeof(*nc));

		if (nc == NULL) {
			free(c);
			return bev;
		}
		h->conns = nc;
		h->capconns = ncap;
	}
	bufferevent_incref(bev);
	c->bev = bev;
	c->t_start = env_mono();
	h->conns[h->nconns++] = c;
	metrics_conn(1);
	if (h->nconns > h->max_conns) {
		struct timeval zero = { 0, 0 };

		c->refuse = 1;
		metrics_conn_refused();
		event_base_once(base, -1, EV_TIMEOUT, refuse_cb, c, &zero);
	}
	return bev;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *h = arg;
	double now = env_mono();
	size_t i = 0;

	(void)fd;
	(void)what;
	while (i < h->nconns) {
		struct conn *c = h->conns[i];
		bufferevent_event_cb ecb = NULL;

		bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
		if (ecb == NULL) {
			/* evhttp freed the connection: drop our reference,
			 * which closes the socket. */
			bufferevent_decref(c->bev);
			free(c);
			h->conns[i] = h->conns[--h->nconns];
			metrics_conn(-1);
			continue;
		}
		if (!c->busy && !c->cut && now - c->t_start > h->deadline) {
			metrics_deadline_cut();
			conn_shut(c);
		}
		i++;
	}
}

static struct conn *
conn_of(struct httpd *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;

	if (evcon == NULL)
		return NULL;
	bev = evhttp_connection_get_bufferevent(evcon);
	for (size_t i = h->nconns; i-- > 0;)
		if (h->conns[i]->bev == bev)
			return h->conns[i];
	return NULL;
}

int
httpd_request_begin(struct httpd *h, struct evhttp_request *req)
{
	struct conn *c = conn_of(h, req);

	if (c == NULL)
		return 0;
	if (c->refuse)
		return PT_EBUSY;
	if (!c->nodelay) {
		/* Answers are written as headers then body: without this,
		 * Nagle's algorithm and delayed ACKs stall keep-alive
		 * clients for tens of milliseconds per answer. */
		int one = 1;
		evutil_socket_t fd = bufferevent_getfd(c->bev);

		if (fd >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		c->nodelay = 1;
	}
	c->busy = 1;
	return 0;
}

void
httpd_request_end(struct httpd *h, struct evhttp_request *req)
{
	struct conn *c = conn_of(h, req);

	if (c != NULL) {
		c->busy = 0;
		c->t_start = env_mono();
	}
}

void
httpd_configure(struct httpd *h, const struct cfg *c)
{
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)c->max_headers);
	evhttp_set_max_body_size(h->http, (ev_ssize_t)c->max_body);
	evhttp_set_timeout(h->http, (int)c->idle_timeout_s);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	h->max_conns = c->max_connections;
	h->deadline = (double)c->request_deadline_ms / 1000.0;
}

int
httpd_start(struct event_base *base, const struct cfg *c,
    httpd_handler handler, void *arg, struct httpd **out, char *why,
    size_t whylen)
{
	struct httpd *h;
	char host[256];
	uint16_t port;
	struct timeval tv = { 0, SWEEP_MS * 1000 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (cfg_listen_split(c, host, sizeof(host), &port) != 0) {
		snprintf(why, whylen, "bad listen address \"%s\" (want "
		    "HOST:PORT)", c->listen);
		return PT_EINVAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return PT_ENOMEM;
	h->base = base;
	if ((h->http = evhttp_new(base)) == NULL) {
		free(h);
		return PT_ENOMEM;
	}
	httpd_configure(h, c);
	evhttp_set_bevcb(h->http, bev_cb, h);
	evhttp_set_gencb(h->http, handler, arg);
	h->sock = evhttp_bind_socket_with_handle(h->http, host, port);
	if (h->sock == NULL) {
		snprintf(why, whylen, "cannot listen on %s: %s", c->listen,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		evhttp_free(h->http);
		free(h);
		return PT_EIO;
	}
	if (getsockname(evhttp_bound_socket_get_fd(h->sock),
	    (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port = ntohs(((struct sockaddr_in6 *)&ss)->
			    sin6_port);
	}
	h->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, h);
	if (h->sweep == NULL || event_add(h->sweep, &tv) != 0)
		fatalx("cannot start the connection sweep");
	*out = h;
	return 0;
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	event_free(h->sweep);
	evhttp_free(h->http);
	for (size_t i = 0; i < h->nconns; i++) {
		bufferevent_decref(h->conns[i]->bev);
		free(h->conns[i]);
	}
	free(h->conns);
	free(h);
}
