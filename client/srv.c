/* srv.c: evhttp with a connection cap and a whole-request deadline. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "num.h"
#include "ptlimits.h"
#include "srv.h"
#include "util.h"

#define SWEEP_MS 100

struct sconn {
	struct bufferevent *bev;	/* one reference is ours */
	uint64_t t0;			/* opened or last answered, ms */
	int refuse;
	int cut;
};

struct srv {
	struct evhttp *http;
	struct event *sweep;
	struct sconn **c;
	size_t n, cap;
	unsigned max_conns;
	uint64_t deadline_ms;
	srv_handler handler;
	void *arg;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
shut(struct sconn *c)
{
	evutil_socket_t fd;

	if (c->cut)
		return;
	c->cut = 1;
	if ((fd = bufferevent_getfd(c->bev)) >= 0)
		shutdown(fd, SHUT_RDWR);
	bufferevent_enable(c->bev, EV_READ);	/* let evhttp notice now */
}

static void
refuse_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	shut(arg);
}

static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct srv *s = arg;
	struct bufferevent *bev;
	struct sconn *c;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return bev;
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 32;
		struct sconn **p = realloc(s->c, nc * sizeof(*p));

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
	if (s->n > s->max_conns) {
		struct timeval zero = { 0, 0 };

		c->refuse = 1;
		event_base_once(base, -1, EV_TIMEOUT, refuse_cb, c, &zero);
	}
	return bev;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	uint64_t now = mono_ms();
	size_t i = 0;

	(void)fd;
	(void)what;
	while (i < s->n) {
		struct sconn *c = s->c[i];
		bufferevent_event_cb ecb = NULL;

		bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
		if (ecb == NULL) {		/* evhttp is done with it */
			bufferevent_decref(c->bev);
			free(c);
			s->c[i] = s->c[--s->n];
			continue;
		}
		if (!c->cut && now - c->t0 > s->deadline_ms)
			shut(c);
		i++;
	}
}

static struct sconn *
conn_of(struct srv *s, struct evhttp_request *req)
{
	struct evhttp_connection *ec = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	size_t i;

	if (ec == NULL)
		return NULL;
	bev = evhttp_connection_get_bufferevent(ec);
	for (i = s->n; i-- > 0;)
		if (s->c[i]->bev == bev)
			return s->c[i];
	return NULL;
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	struct sconn *c = conn_of(s, req);

	if (c != NULL && c->refuse) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		evhttp_send_error(req, 503, "too many connections");
		return;
	}
	s->handler(req, s->arg);
	if ((c = conn_of(s, req)) != NULL)
		c->t0 = mono_ms();
}

int
srv_start(struct event_base *base, const char *listen,
    const struct srv_opts *o, srv_handler handler, void *arg,
    struct srv **out, struct pt_why *why)
{
	struct timeval tv = { 0, SWEEP_MS * 1000 };
	const char *colon;
	char host[256];
	uint64_t port;
	struct srv *s;

	*out = NULL;
	if ((colon = strrchr(listen, ':')) == NULL ||
	    (size_t)(colon - listen) >= sizeof(host) ||
	    num_parse_u64_str(colon + 1, 1, 65535, &port) != 0)
		return pt_why_set(why, PT_EINVAL, "--listen: want HOST:PORT");
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	s->max_conns = o->max_conns ? o->max_conns : PT_HTTP_MAX_CONNS;
	s->deadline_ms = o->deadline_ms ? o->deadline_ms : PT_HTTP_DEADLINE_MS;
	s->handler = handler;
	s->arg = arg;
	if ((s->http = evhttp_new(base)) == NULL ||
	    (s->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, s)) ==
	    NULL) {
		srv_free(s);
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	}
	evhttp_set_max_body_size(s->http, (ev_ssize_t)o->max_body);
	evhttp_set_max_headers_size(s->http, PT_HTTP_MAX_HEADERS);
	evhttp_set_timeout(s->http, PT_HTTP_IDLE_S);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_bevcb(s->http, bev_cb, s);
	evhttp_set_gencb(s->http, dispatch, s);
	if (evhttp_bind_socket(s->http, host, (uint16_t)port) != 0) {
		srv_free(s);
		return pt_why_set(why, PT_EIO, "cannot listen on %s", listen);
	}
	event_add(s->sweep, &tv);
	*out = s;
	return 0;
}

void
srv_free(struct srv *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->sweep != NULL)
		event_free(s->sweep);
	if (s->http != NULL)
		evhttp_free(s->http);
	for (i = 0; i < s->n; i++) {
		bufferevent_decref(s->c[i]->bev);
		free(s->c[i]);
	}
	free(s->c);
	free(s);
}
