/*
 * http.c: libevent HTTP client with a bounded pool of keep-alive
 * connections, whole-request deadlines and a response-size cap.
 *
 * Life of a request: http_start() queues it; pump() hands queued requests
 * to idle connections (one in flight per connection); libevent calls
 * req_done() (or err_cb() then req_done(NULL)) or our deadline fires first
 * and cancels it; finish() runs the caller's callback, frees the request
 * and schedules pump() again from a fresh loop iteration (never from
 * inside libevent's callback).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http.h"
#include "num.h"
#include "ptlimits.h"
#include "util.h"

struct http_req {
	struct http_client *c;
	struct http_req *next;		/* queue link */
	enum evhttp_cmd_type method;
	char *uri;
	char *accept;
	char *ctype;
	uint8_t *body;
	size_t body_len;
	http_done_fn done;
	void *arg;
	struct http_slot *slot;
	struct evhttp_request *ev;
	struct event *deadline;
	int error;			/* last evhttp error, -1 none */
	int finished;
	int retries;
	struct http_resp resp;
};

struct http_slot {
	struct evhttp_connection *conn;
	struct http_req *cur;
};

struct http_client {
	struct event_base *base;
	struct event *pump_ev;
	char *host;
	int port;
	char *prefix;
	char hosthdr[300];
	struct http_opts o;
	struct http_slot *slots;
	unsigned nslots;
	struct http_req *qhead, *qtail;
	size_t queued;
	unsigned inflight;
	size_t timers;
	struct spare {
		uint8_t *p;
		size_t cap;
	} spare[HTTP_SPARES];		/* recycled bodies */
	unsigned nspare;
};

struct http_timer {
	struct http_client *c;
	struct event *ev;
	void (*fn)(void *);
	void *arg;
};

static void pump(struct http_client *c);

void
http_resp_free(struct http_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->cap = 0;
}

void
http_resp_recycle(struct http_client *c, struct http_resp *r)
{
	unsigned m = 0;

	if (r->body == NULL || r->cap == 0) {
		http_resp_free(r);
		return;
	}
	if (c->nspare == HTTP_SPARES) {
		/* Full: drop the smallest (this one if it is). */
		for (unsigned i = 1; i < c->nspare; i++)
			if (c->spare[i].cap < c->spare[m].cap)
				m = i;
		if (c->spare[m].cap >= r->cap) {
			http_resp_free(r);
			return;
		}
		free(c->spare[m].p);
		c->spare[m] = c->spare[--c->nspare];
	}
	c->spare[c->nspare].p = r->body;
	c->spare[c->nspare].cap = r->cap;
	c->nspare++;
	r->body = NULL;
	r->len = 0;
	r->cap = 0;
}

/*
 * A buffer of at least need bytes for an answer: the smallest recycled one
 * that is large enough, or a new one (rounded up, so that answers of
 * nearly the same size can use each other's buffers).  O(HTTP_SPARES).
 */
static uint8_t *
body_alloc(struct http_client *c, size_t need, size_t *cap)
{
	unsigned best = c->nspare;
	uint8_t *p;

	for (unsigned i = 0; i < c->nspare; i++)
		if (c->spare[i].cap >= need && (best == c->nspare ||
		    c->spare[i].cap < c->spare[best].cap))
			best = i;
	if (best < c->nspare) {
		p = c->spare[best].p;
		*cap = c->spare[best].cap;
		c->spare[best] = c->spare[--c->nspare];
		return p;
	}
	*cap = need > 4096 ? (need + 16383) & ~(size_t)16383 : need;
	if ((p = malloc(*cap)) == NULL)
		*cap = 0;
	return p;
}

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pump(arg);
}

int
http_client_new(const char *url, const struct http_opts *o,
    struct http_client **out, struct pt_why *why)
{
	struct evhttp_uri *u;
	struct http_client *c;
	const char *scheme, *host, *path;
	size_t plen;

	*out = NULL;
	if ((u = evhttp_uri_parse(url)) == NULL)
		return pt_why_set(why, PT_EINVAL, "%s: not a URL", url);
	scheme = evhttp_uri_get_scheme(u);
	host = evhttp_uri_get_host(u);
	if (scheme == NULL || strcmp(scheme, "http") != 0 || host == NULL ||
	    host[0] == '\0') {
		evhttp_uri_free(u);
		return pt_why_set(why, PT_EINVAL, "%s: want http://HOST[:PORT]"
		    "[/PATH] (https: put a local proxy in front)", url);
	}
	if (evhttp_uri_get_query(u) != NULL ||
	    evhttp_uri_get_fragment(u) != NULL) {
		evhttp_uri_free(u);
		return pt_why_set(why, PT_EINVAL, "%s: no query or fragment "
		    "in a log URL", url);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evhttp_uri_free(u);
		return PT_ENOMEM;
	}
	c->o.timeout_ms = o != NULL && o->timeout_ms ? o->timeout_ms :
	    PT_HTTP_DEADLINE_MS;
	c->o.concurrency = o != NULL && o->concurrency ? o->concurrency : 1;
	c->o.max_response = o != NULL && o->max_response ? o->max_response :
	    PT_HTTP_MAX_RESPONSE;
	c->port = evhttp_uri_get_port(u);
	if (c->port <= 0)
		c->port = 80;
	c->host = strdup(host);
	path = evhttp_uri_get_path(u);
	if (path == NULL)
		path = "";
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	c->prefix = ut_strndup(path, plen);
	if (c->port == 80)
		snprintf(c->hosthdr, sizeof(c->hosthdr), "%.256s", host);
	else
		snprintf(c->hosthdr, sizeof(c->hosthdr), "%.256s:%d", host,
		    c->port);
	evhttp_uri_free(u);
	c->nslots = c->o.concurrency;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	/* epoll's change list: evhttp turns a connection's read and write
	 * events on and off around every request; the changes of one loop
	 * pass become one epoll_ctl each (an audit made ~47,000 of them per
	 * million entries without it).  No descriptor here is dup'ed. */
	{
		struct event_config *ec = event_config_new();

		if (ec != NULL) {
			if (event_config_set_flag(ec,
			    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
				c->base = event_base_new_with_config(ec);
			event_config_free(ec);	/* does not accept NULL */
		}
	}
	if (c->base != NULL)
		c->pump_ev = event_new(c->base, -1, 0, pump_cb, c);
	if (c->host == NULL || c->prefix == NULL || c->slots == NULL ||
	    c->base == NULL || c->pump_ev == NULL) {
		http_client_free(c);
		return PT_ENOMEM;
	}
	*out = c;
	return 0;
}

static void
req_free(struct http_req *r)
{
	if (r->deadline != NULL)
		event_free(r->deadline);
	free(r->uri);
	free(r->accept);
	free(r->ctype);
	free(r->body);
	http_resp_free(&r->resp);
	free(r);
}

void
http_client_free(struct http_client *c)
{
	struct http_req *r, *n;

	if (c == NULL)
		return;
	for (r = c->qhead; r != NULL; r = n) {
		n = r->next;
		req_free(r);
	}
	for (unsigned i = 0; c->slots != NULL && i < c->nslots; i++) {
		if (c->slots[i].conn != NULL)
			evhttp_connection_free(c->slots[i].conn);
		if (c->slots[i].cur != NULL)
			req_free(c->slots[i].cur);
	}
	free(c->slots);
	for (unsigned i = 0; i < c->nspare; i++)
		free(c->spare[i].p);
	if (c->pump_ev != NULL)
		event_free(c->pump_ev);
	if (c->base != NULL)
		event_base_free(c->base);
	free(c->host);
	free(c->prefix);
	free(c);
}

static void
schedule_pump(struct http_client *c)
{
	if (!event_pending(c->pump_ev, EV_TIMEOUT, NULL))
		event_active(c->pump_ev, EV_TIMEOUT, 0);
}

static void
finish(struct http_req *r)
{
	struct http_client *c = r->c;

	if (r->finished)
		return;
	r->finished = 1;
	if (r->deadline != NULL)
		evtimer_del(r->deadline);
	if (r->slot != NULL) {
		r->slot->cur = NULL;
		r->slot = NULL;
		c->inflight--;
	}
	r->done(r->arg, &r->resp);
	req_free(r);
	schedule_pump(c);
}

static const char *
evreq_error_text(int e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed by the server";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid HTTP answer (bad status line or headers)";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection refused or broken";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer larger than the client's limit";
	case EVREQ_HTTP_REQUEST_CANCEL:
		return "cancelled";
	default:
		return "no answer";
	}
}

static void
err_cb(enum evhttp_request_error e, void *arg)
{
	struct http_req *r = arg;

	if (!r->finished)
		r->error = (int)e;
}

static void requeue_front(struct http_client *c, struct http_req *r);

static void
req_done(struct evhttp_request *ev, void *arg)
{
	struct http_req *r = arg;
	struct http_client *c = r->c;
	struct evbuffer *in;
	const char *ct;
	size_t len;

	r->ev = NULL;
	if (r->finished)
		return;
	if (ev == NULL || evhttp_request_get_response_code(ev) == 0) {
		/* A keep-alive connection the server closed while we sent:
		 * retry an idempotent GET once on a fresh connection. */
		if (r->method == EVHTTP_REQ_GET && r->retries == 0 &&
		    r->error == EVREQ_HTTP_EOF) {
			r->retries++;
			r->error = -1;
			if (r->deadline != NULL)
				evtimer_del(r->deadline);
			r->slot->cur = NULL;
			r->slot = NULL;
			c->inflight--;
			requeue_front(c, r);
			schedule_pump(c);
			return;
		}
		r->resp.err = PT_ENET;
		snprintf(r->resp.why, sizeof(r->resp.why), "%s:%d: %s",
		    c->host, c->port, evreq_error_text(r->error));
		finish(r);
		return;
	}
	r->resp.status = evhttp_request_get_response_code(ev);
	ct = evhttp_find_header(evhttp_request_get_input_headers(ev),
	    "Content-Type");
	if (ct != NULL)
		snprintf(r->resp.ctype, sizeof(r->resp.ctype), "%s", ct);
	ct = evhttp_find_header(evhttp_request_get_input_headers(ev),
	    "Retry-After");
	if (ct != NULL) {
		uint64_t ra;

		if (num_parse_u64_str(ct, 0, 3600, &ra) == 0)
			r->resp.retry_after = (unsigned)ra;
	}
	in = evhttp_request_get_input_buffer(ev);
	len = evbuffer_get_length(in);
	if (len > c->o.max_response) {
		r->resp.err = PT_ENET;
		r->resp.status = 0;
		snprintf(r->resp.why, sizeof(r->resp.why), "answer of %zu "
		    "bytes is over the limit of %zu", len, c->o.max_response);
		finish(r);
		return;
	}
	if ((r->resp.body = body_alloc(c, len + 1, &r->resp.cap)) == NULL) {
		r->resp.err = PT_ENET;
		r->resp.status = 0;
		snprintf(r->resp.why, sizeof(r->resp.why), "out of memory");
		finish(r);
		return;
	}
	if (len > 0)
		evbuffer_remove(in, r->resp.body, len);
	r->resp.body[len] = '\0';
	r->resp.len = len;
	finish(r);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_req *r = arg;
	struct http_client *c = r->c;

	(void)fd;
	(void)what;
	if (r->finished)
		return;
	r->resp.err = PT_ENET;
	snprintf(r->resp.why, sizeof(r->resp.why), "%s:%d: no complete "
	    "answer within %u ms", c->host, c->port, c->o.timeout_ms);
	r->finished = 0;
	if (r->ev != NULL) {
		struct evhttp_request *ev = r->ev;

		r->ev = NULL;
		r->finished = 1;	/* ignore callbacks from the cancel */
		evhttp_cancel_request(ev);
		r->finished = 0;
	}
	finish(r);
}

static int
slot_conn(struct http_client *c, struct http_slot *s)
{
	unsigned secs;

	if (s->conn != NULL)
		return 0;
	s->conn = evhttp_connection_base_new(c->base, NULL, c->host,
	    (unsigned short)c->port);
	if (s->conn == NULL)
		return PT_ENET;
	secs = (c->o.timeout_ms + 999) / 1000;
	evhttp_connection_set_timeout(s->conn, (int)secs);
	evhttp_connection_set_retries(s->conn, 0);
	evhttp_connection_set_max_body_size(s->conn,
	    (ev_ssize_t)c->o.max_response);
	evhttp_connection_set_max_headers_size(s->conn, PT_HTTP_MAX_HEADERS);
	return 0;
}

static void
dispatch(struct http_client *c, struct http_slot *s, struct http_req *r)
{
	struct evhttp_request *ev;
	struct evkeyvalq *h;
	struct timeval tv;

	r->slot = s;
	s->cur = r;
	c->inflight++;
	r->error = -1;
	tv.tv_sec = c->o.timeout_ms / 1000;
	tv.tv_usec = (c->o.timeout_ms % 1000) * 1000;
	if (r->deadline == NULL &&
	    (r->deadline = evtimer_new(c->base, deadline_cb, r)) == NULL)
		goto fail;
	evtimer_add(r->deadline, &tv);
	if (slot_conn(c, s) != 0)
		goto fail;
	if ((ev = evhttp_request_new(req_done, r)) == NULL)
		goto fail;
	evhttp_request_set_error_cb(ev, err_cb);
	h = evhttp_request_get_output_headers(ev);
	evhttp_add_header(h, "Host", c->hosthdr);
	evhttp_add_header(h, "User-Agent", "pubtrail/" PT_VERSION);
	if (r->accept != NULL)
		evhttp_add_header(h, "Accept", r->accept);
	if (r->method == EVHTTP_REQ_POST) {
		char n[32];

		snprintf(n, sizeof(n), "%zu", r->body_len);
		evhttp_add_header(h, "Content-Type", r->ctype != NULL ?
		    r->ctype : "application/octet-stream");
		evhttp_add_header(h, "Content-Length", n);
		evbuffer_add(evhttp_request_get_output_buffer(ev), r->body,
		    r->body_len);
	}
	r->ev = ev;
	if (evhttp_make_request(s->conn, ev, r->method, r->uri) != 0) {
		r->ev = NULL;
		goto fail;
	}
	return;
fail:
	r->resp.err = PT_ENET;
	snprintf(r->resp.why, sizeof(r->resp.why), "%s:%d: cannot start "
	    "the request", c->host, c->port);
	finish(r);
}

static void
pump(struct http_client *c)
{
	for (unsigned i = 0; i < c->nslots && c->qhead != NULL; i++) {
		struct http_req *r;

		if (c->slots[i].cur != NULL)
			continue;
		r = c->qhead;
		c->qhead = r->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		r->next = NULL;
		c->queued--;
		dispatch(c, &c->slots[i], r);
	}
}

static void
requeue_front(struct http_client *c, struct http_req *r)
{
	r->next = c->qhead;
	c->qhead = r;
	if (c->qtail == NULL)
		c->qtail = r;
	c->queued++;
}

int
http_start(struct http_client *c, const char *method, const char *path,
    const char *accept, const void *body, size_t len, const char *ctype,
    http_done_fn done, void *arg)
{
	struct http_req *r;
	size_t plen = strlen(c->prefix), ulen = strlen(path);

	if (path[0] != '/' || done == NULL)
		return PT_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return PT_ENOMEM;
	r->c = c;
	r->done = done;
	r->arg = arg;
	if (strcmp(method, "GET") == 0)
		r->method = EVHTTP_REQ_GET;
	else if (strcmp(method, "POST") == 0)
		r->method = EVHTTP_REQ_POST;
	else {
		free(r);
		return PT_EINVAL;
	}
	if ((r->uri = malloc(plen + ulen + 1)) == NULL)
		goto nomem;
	memcpy(r->uri, c->prefix, plen);
	memcpy(r->uri + plen, path, ulen + 1);
	if (accept != NULL && (r->accept = strdup(accept)) == NULL)
		goto nomem;
	if (ctype != NULL && (r->ctype = strdup(ctype)) == NULL)
		goto nomem;
	if (len > 0) {
		if ((r->body = malloc(len)) == NULL)
			goto nomem;
		memcpy(r->body, body, len);
		r->body_len = len;
	}
	if (c->qtail != NULL)
		c->qtail->next = r;
	else
		c->qhead = r;
	c->qtail = r;
	c->queued++;
	schedule_pump(c);
	return 0;
nomem:
	req_free(r);
	return PT_ENOMEM;
}

size_t
http_pending(const struct http_client *c)
{
	return c->queued + c->inflight + c->timers;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_timer *t = arg;

	(void)fd;
	(void)what;
	t->c->timers--;
	event_free(t->ev);
	t->fn(t->arg);
	free(t);
}

int
http_later(struct http_client *c, unsigned ms, void (*fn)(void *), void *arg)
{
	struct http_timer *t;
	struct timeval tv;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return PT_ENOMEM;
	t->c = c;
	t->fn = fn;
	t->arg = arg;
	if ((t->ev = evtimer_new(c->base, timer_cb, t)) == NULL) {
		free(t);
		return PT_ENOMEM;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(t->ev, &tv);
	c->timers++;
	return 0;
}

int
http_run(struct http_client *c)
{
	while (http_pending(c) > 0)
		event_base_loop(c->base, EVLOOP_ONCE);
	return 0;
}

int
http_run_until(struct http_client *c, size_t max)
{
	while (http_pending(c) > max)
		event_base_loop(c->base, EVLOOP_ONCE);
	return 0;
}

static void
sync_done(void *arg, struct http_resp *r)
{
	struct http_resp *out = arg;

	*out = *r;
	r->body = NULL;
}

int
http_get(struct http_client *c, const char *path, const char *accept,
    struct http_resp *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = http_start(c, "GET", path, accept, NULL, 0, NULL, sync_done,
	    r)) != 0)
		return rc;
	return http_run(c);
}

int
http_post(struct http_client *c, const char *path, const void *body,
    size_t len, const char *ctype, const char *accept, struct http_resp *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = http_start(c, "POST", path, accept, body, len, ctype,
	    sync_done, r)) != 0)
		return rc;
	return http_run(c);
}
