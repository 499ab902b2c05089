/*
 * hcli.c: libcurl multi on a libevent base (see hcli.h).
 *
 * Wiring (as curl's multi-event example): curl tells us which sockets to
 * watch for what (sock_cb, CURLMOPT_SOCKETFUNCTION) and when to call it
 * back with no socket ready (timer_cb, CURLMOPT_TIMERFUNCTION); libevent
 * events on those sockets and one timer call curl_multi_socket_action(),
 * after which finished transfers are collected (collect()) and their
 * callbacks run, outside any curl callback, so a callback may start new
 * requests.
 *
 * Life of a request: hcli_start() queues it; pump() gives queued requests
 * easy handles (reused from a small pool) and adds them to the multi handle
 * while fewer than `concurrency` are in flight; collect() sees it done,
 * fills the answer, runs the callback, frees it and pumps again.
 *
 * The answer's cap is applied in header_cb (a declared Content-Length
 * over it) and in write_cb (bytes received over it, after decoding):
 * either returns a short count, which makes curl end the transfer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "hcli.h"
#include "num.h"
#include "ptlimits.h"

/* A socket curl asked us to watch. */
struct hsock {
	struct hcli *c;
	curl_socket_t fd;
	struct event *ev;
	struct hsock *next, *prev;	/* every live one, for hcli_free */
};

struct hreq {
	struct hcli *c;
	struct hreq *next, *prev;	/* queue, or in-flight list */
	CURL *easy;			/* while in flight */
	struct curl_slist *hdrs;
	char *url;
	int post;
	int raw;			/* hcli_start_gzip: body left encoded */
	uint8_t *body;
	size_t body_len;
	size_t max;			/* cap of the answer's body */
	hcli_done_fn done;
	void *arg;
	/* while reading the answer */
	size_t hdr_bytes;
	uint64_t clen;			/* declared Content-Length */
	int have_clen, encoded;
	int status;			/* of the answer being read */
	int too_big, hdr_too_big, nomem, cut_short;
	char errbuf[CURL_ERROR_SIZE];
	struct hcli_resp resp;
};

struct timer {
	struct hcli *c;
	struct event *ev;
	void (*fn)(void *);
	void *arg;
};

#define HCLI_IDLE_EASY	8		/* easy handles kept for reuse */

struct hcli {
	struct event_base *base;
	int own_base;
	CURLM *multi;
	struct event *timer;		/* curl's timeout */
	struct hsock *socks;
	char *url;			/* base, no trailing '/' */
	char *cacert;
	struct hcli_opts o;
	struct event *pump_ev;		/* pump() from the loop */
	struct hreq *qhead, *qtail;
	size_t queued;
	struct hreq *flight;		/* in flight (doubly linked) */
	unsigned inflight;
	size_t timers;
	CURL *idle[HCLI_IDLE_EASY];
	unsigned nidle;
	struct spare {
		uint8_t *p;
		size_t cap;
	} spare[HCLI_SPARES];
	unsigned nspare;
};

static void pump(struct hcli *c);
static void pump_event(evutil_socket_t fd, short what, void *arg);
static void collect(struct hcli *c);

/* ------------------------------------------------------------ bodies */

void
hcli_resp_free(struct hcli_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->cap = 0;
}

/* Keep buffer p (cap bytes) for a later answer, or free it.
 * O(HCLI_SPARES). */
static void
spare_put(struct hcli *c, uint8_t *p, size_t cap)
{
	unsigned m = 0;

	if (p == NULL || cap == 0) {
		free(p);
		return;
	}
	if (c->nspare == HCLI_SPARES) {
		/* Full: drop the smallest (this one if it is). */
		for (unsigned i = 1; i < c->nspare; i++)
			if (c->spare[i].cap < c->spare[m].cap)
				m = i;
		if (c->spare[m].cap >= cap) {
			free(p);
			return;
		}
		free(c->spare[m].p);
		c->spare[m] = c->spare[--c->nspare];
	}
	c->spare[c->nspare].p = p;
	c->spare[c->nspare].cap = cap;
	c->nspare++;
}

void
hcli_resp_recycle(struct hcli *c, struct hcli_resp *r)
{
	spare_put(c, r->body, r->cap);
	r->body = NULL;
	r->len = 0;
	r->cap = 0;
}

/*
 * A buffer of at least need bytes: the smallest recycled one that is large
 * enough, or a new one (rounded up, so that answers of nearly the same size
 * can use each other's buffers).  NULL when out of memory.  O(HCLI_SPARES).
 */
static uint8_t *
body_alloc(struct hcli *c, size_t need, size_t *cap)
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

/* ------------------------------------------------ curl's callbacks */

/* The cap of r's answer: the caller's for 2xx; a refusal's reason is
 * only read up to HCLI_MAX_ERROR_BODY bytes (the rest is cut off, the
 * status kept), so that a large error page is still a 404. */
static size_t
cap_of(const struct hreq *r)
{
	if (r->status >= 200 && r->status < 300)
		return r->max;
	return r->max < HCLI_MAX_ERROR_BODY ? r->max : HCLI_MAX_ERROR_BODY;
}

/* Body bytes (decoded): append within the cap, else end the transfer. */
static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct hreq *r = arg;
	struct hcli_resp *a = &r->resp;
	size_t len = size * n, need, max = cap_of(r);

	if (r->raw && r->encoded)	/* encoded bytes: header_cb's slack */
		max += max / 64 + 1024;

	if (len > max - a->len) {
		if (r->status >= 200 && r->status < 300) {
			r->too_big = 1;
			return 0;
		}
		/* Keep what fits of a refusal's text, then stop. */
		len = max - a->len;
		r->cut_short = 1;
	}
	need = a->len + len + 1;
	if (need > a->cap) {
		size_t want = need, cap;
		uint8_t *nb;

		/* The declared length (within the cap) at once; else grow
		 * by doubling, up to the cap. */
		if (r->have_clen && (!r->encoded || r->raw) &&
		    r->clen + 1 > want)
			want = (size_t)r->clen + 1;
		else if (a->cap > 0 && 2 * a->cap > want)
			want = 2 * a->cap;
		if (want > max + 1)
			want = max + 1;
		if ((nb = body_alloc(r->c, want, &cap)) == NULL) {
			r->nomem = 1;
			return 0;
		}
		if (a->len > 0)
			memcpy(nb, a->body, a->len);
		spare_put(r->c, a->body, a->cap);
		a->body = nb;
		a->cap = cap;
	}
	memcpy(a->body + a->len, p, len);
	a->len += len;
	return r->cut_short ? 0 : len;
}

/* "Name:" at the start of line h (of n bytes)?  Then *v and *vl get the
 * value without surrounding blanks and CRLF. */
static int
header_is(const char *h, size_t n, const char *name, const char **v,
    size_t *vl)
{
	size_t k = strlen(name);

	if (n <= k || h[k] != ':' || strncasecmp(h, name, k) != 0)
		return 0;
	h += k + 1;
	n -= k + 1;
	while (n > 0 && (*h == ' ' || *h == '\t')) {
		h++;
		n--;
	}
	while (n > 0 && (h[n - 1] == '\r' || h[n - 1] == '\n' ||
	    h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	*v = h;
	*vl = n;
	return 1;
}

/*
 * One header line of an answer (also of a proxy's CONNECT answer and of
 * 1xx answers: each status line starts afresh).  At the blank line ending
 * the headers, a declared length over the cap ends the transfer; an
 * encoded body may be a little larger than the decoded one (deflate's
 * stored blocks), so it gets 1/64 and 1 KiB of slack.
 */
static size_t
header_cb(char *h, size_t size, size_t n, void *arg)
{
	struct hreq *r = arg;
	size_t len = size * n, vl;
	const char *v;
	uint64_t x;

	r->hdr_bytes += len;
	if (r->hdr_bytes > HCLI_MAX_RESP_HEADERS) {
		r->hdr_too_big = 1;
		return 0;
	}
	if (len >= 5 && memcmp(h, "HTTP/", 5) == 0) {
		const char *sp = memchr(h, ' ', len);
		uint64_t st;

		r->have_clen = 0;
		r->encoded = 0;
		r->status = 0;
		r->resp.encoding[0] = '\0';
		if (sp != NULL && (size_t)(sp - h) + 4 <= len &&
		    num_parse_u64(sp + 1, 3, 100, 599, &st) == 0)
			r->status = (int)st;
	} else if (header_is(h, len, "Content-Length", &v, &vl)) {
		if (num_parse_u64(v, vl, 0, UINT64_MAX, &x) == 0) {
			r->clen = x;
			r->have_clen = 1;
		}
	} else if (header_is(h, len, "Content-Encoding", &v, &vl)) {
		r->encoded = !(vl == 8 && strncasecmp(v, "identity", 8) == 0);
		if (r->raw)
			snprintf(r->resp.encoding, sizeof(r->resp.encoding),
			    "%.*s", r->encoded ? (int)(vl < 15 ? vl : 15) : 0,
			    v);
	} else if (len <= 2 && (h[0] == '\r' || h[0] == '\n') &&
	    r->have_clen && r->status >= 200 && r->status < 300) {
		uint64_t lim = r->max;

		if (r->encoded)
			lim += r->max / 64 + 1024;
		if (r->clen > lim) {
			r->too_big = 1;
			return 0;
		}
	}
	return len;
}

static void
sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct hsock *s = arg;
	struct hcli *c = s->c;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	/* s may be freed inside (CURL_POLL_REMOVE): not used after. */
	curl_multi_socket_action(c->multi, fd, flags, &running);
	collect(c);
}

static void
sock_free(struct hcli *c, struct hsock *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants, or stop. */
static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct hcli *c = arg;
	struct hsock *s = sockp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(c->multi, fd, NULL);
			sock_free(c, s);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->c = c;
		s->fd = fd;
		s->next = c->socks;
		if (c->socks != NULL)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (s->ev != NULL) {
		event_del(s->ev);
		event_assign(s->ev, c->base, fd, kind, sock_event, s);
	} else if ((s->ev = event_new(c->base, fd, kind, sock_event, s)) ==
	    NULL)
		return -1;
	return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

static void
timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct hcli *c = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(c);
}

/* CURLMOPT_TIMERFUNCTION: call curl back in ms (-1: never).  Never calls
 * curl from here (curl forbids it): the timer event does. */
static int
timer_cb(CURLM *m, long ms, void *arg)
{
	struct hcli *c = arg;
	struct timeval tv;

	(void)m;
	if (ms < 0)
		return event_del(c->timer) == 0 ? 0 : -1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(c->timer, &tv) == 0 ? 0 : -1;
}

/* ------------------------------------------------------ the client */

/* url is http[s]://HOST[:PORT][/PATH]: no spaces or control characters,
 * no query, fragment or user name.  0 or PT_EINVAL / PT_ENOMEM with the
 * reason in *why.  Needs curl_global_init. */
static int
url_check(const char *url, struct pt_why *why)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
	char *user = NULL;
	int bad;

	for (size_t n = 0; url[n] != '\0'; n++)
		if ((unsigned char)url[n] <= 0x20 || url[n] == 0x7f)
			return pt_why_set(why, PT_EINVAL, "%.100s: a URL has no "
			    "spaces or control characters", url);
	if ((u = curl_url()) == NULL)
		return PT_ENOMEM;
	bad = curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    host[0] == '\0';
	if (!bad && (curl_url_get(u, CURLUPART_QUERY, &query, 0) ==
	    CURLUE_OK || curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) ==
	    CURLUE_OK || curl_url_get(u, CURLUPART_USER, &user, 0) ==
	    CURLUE_OK))
		bad = 2;
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_free(user);
	curl_url_cleanup(u);
	if (bad)
		return pt_why_set(why, PT_EINVAL, bad == 2 ? "%.100s: no query, "
		    "fragment or user name in a log URL" : "%.100s: want "
		    "http[s]://HOST[:PORT][/PATH]", url);
	return 0;
}

/* o (NULL: all defaults) into c->o with its defaults and bounds; the CA
 * file is kept apart (c->cacert). */
static void
opts_defaults(struct hcli *c, const struct hcli_opts *o)
{
	static const struct hcli_opts none;

	c->o = o != NULL ? *o : none;
	if (c->o.timeout_ms == 0)
		c->o.timeout_ms = PT_HTTP_DEADLINE_MS;
	if (c->o.concurrency == 0)
		c->o.concurrency = 1;
	if (c->o.max_response == 0)
		c->o.max_response = PT_HTTP_MAX_RESPONSE;
	if (c->o.recv_buffer == 0)
		c->o.recv_buffer = HCLI_RECV_BUFFER;
	if (c->o.recv_buffer < 1024)
		c->o.recv_buffer = 1024;
	if (c->o.recv_buffer > CURL_MAX_READ_SIZE)
		c->o.recv_buffer = CURL_MAX_READ_SIZE;
	c->o.cacert = NULL;
}

/* The caller's event base (o->base), or one of c's own; then c's timer
 * and pump events on it.  Failures leave NULLs for hcli_new to see. */
static void
events_init(struct hcli *c, const struct hcli_opts *o)
{
	if (o != NULL && o->base != NULL)
		c->base = o->base;
	else {
		/* epoll's change list: read and write interest changes of
		 * one loop pass become one epoll_ctl each.  No descriptor
		 * here is dup'ed. */
		struct event_config *ec = event_config_new();

		if (ec != NULL) {
			if (event_config_set_flag(ec,
			    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
				c->base = event_base_new_with_config(ec);
			event_config_free(ec);
		}
		c->own_base = 1;
	}
	if (c->base != NULL) {
		c->timer = evtimer_new(c->base, timer_event, c);
		c->pump_ev = event_new(c->base, -1, 0, pump_event, c);
	}
}

/* curl's multi handle for c: its sockets and timers through c's events,
 * at most concurrency connections to the host, HTTP/2 multiplexed. */
static void
multi_setup(struct hcli *c)
{
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)c->o.concurrency);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	    (long)c->o.concurrency + 4);
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_MULTIPLEX);
}

int
hcli_new(const char *url, const struct hcli_opts *o, struct hcli **out,
    struct pt_why *why)
{
	struct hcli *c;
	size_t n;
	int rc;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pt_why_set(why, PT_ENOMEM, "cannot start libcurl");
	if ((rc = url_check(url, why)) != 0) {
		curl_global_cleanup();
		return rc;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		curl_global_cleanup();
		return PT_ENOMEM;
	}
	opts_defaults(c, o);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((c->url = malloc(n + 1)) != NULL) {
		memcpy(c->url, url, n);
		c->url[n] = '\0';
	}
	if (o != NULL && o->cacert != NULL)
		c->cacert = strdup(o->cacert);
	events_init(c, o);
	c->multi = curl_multi_init();
	if (c->url == NULL || (o != NULL && o->cacert != NULL &&
	    c->cacert == NULL) || c->base == NULL || c->timer == NULL ||
	    c->pump_ev == NULL || c->multi == NULL) {
		hcli_free(c);
		return PT_ENOMEM;
	}
	multi_setup(c);
	*out = c;
	return 0;
}

const char *
hcli_url(const struct hcli *c)
{
	return c->url;
}

static void
req_free(struct hreq *r)
{
	curl_slist_free_all(r->hdrs);
	free(r->url);
	free(r->body);
	hcli_resp_free(&r->resp);
	free(r);
}

void
hcli_free(struct hcli *c)
{
	struct hreq *r, *n;

	if (c == NULL)
		return;
	for (r = c->qhead; r != NULL; r = n) {
		n = r->next;
		req_free(r);
	}
	while ((r = c->flight) != NULL) {
		c->flight = r->next;
		curl_multi_remove_handle(c->multi, r->easy);
		curl_easy_cleanup(r->easy);
		req_free(r);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	while (c->socks != NULL)
		sock_free(c, c->socks);
	for (unsigned i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	for (unsigned i = 0; i < c->nspare; i++)
		free(c->spare[i].p);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->pump_ev != NULL)
		event_free(c->pump_ev);
	if (c->own_base && c->base != NULL)
		event_base_free(c->base);
	free(c->url);
	free(c->cacert);
	free(c);
	curl_global_cleanup();
}

/* ------------------------------------------------------- requests */

/* The failure class (*f) and the short words for curl's code rc (oserr:
 * the system's errno for a failed connect), with a detail into extra (cap
 * bytes) for a time-out.  The words are static. */
static const char *
fail_words(const struct hreq *r, CURLcode rc, long oserr, char *extra,
    size_t cap, enum hcli_fail *f)
{
	const char *words;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		*f = HCLI_CONNECT;
		words = oserr == ECONNREFUSED ? "connection refused" :
		    oserr == ENETUNREACH || oserr == EHOSTUNREACH ?
		    "network unreachable" : "could not connect";
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		*f = HCLI_RESOLVE;
		words = "could not resolve host";
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		*f = HCLI_RESOLVE;
		words = "could not resolve proxy";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		*f = HCLI_TLS;
		words = "TLS certificate verification failed";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		*f = HCLI_TLS;
		words = "TLS handshake failed";
		break;
	case CURLE_SSL_CACERT_BADFILE:
		*f = HCLI_LOCAL;
		words = "cannot use the CA file";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		*f = HCLI_TIMEOUT;
		words = "timed out";
		snprintf(extra, cap, ": no complete answer within "
		    "%u ms", r->c->o.timeout_ms);
		break;
	case CURLE_GOT_NOTHING:
		*f = HCLI_PROTOCOL;
		words = "the server closed the connection without answering";
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		*f = HCLI_PROTOCOL;
		words = "connection broken";
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*f = HCLI_PROTOCOL;
		words = "not a valid HTTP answer";
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		*f = HCLI_PROTOCOL;
		words = "the answer's content encoding does not decode";
		break;
	case CURLE_OUT_OF_MEMORY:
		*f = HCLI_LOCAL;
		words = "out of memory";
		break;
	default:
		*f = HCLI_PROTOCOL;
		words = curl_easy_strerror(rc);
		break;
	}
	return words;
}

/* "GET URL: " + reason, into r->resp.why; the short words first, curl's
 * own (with the system's reason) after them. */
static void
fail_text(struct hreq *r, CURLcode rc)
{
	struct hcli_resp *a = &r->resp;
	const char *words;
	enum hcli_fail f;
	char extra[64] = "", text[512];
	long oserr = 0;
	size_t n;

	if (r->easy != NULL)
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
	words = fail_words(r, rc, oserr, extra, sizeof(extra), &f);
	if (rc == CURLE_WRITE_ERROR || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_BAD_CONTENT_ENCODING) {
		/* Our own callbacks ended it. */
		if (r->too_big) {
			f = HCLI_TOOBIG;
			words = "answer too large";
			snprintf(extra, sizeof(extra), ": over %zu bytes",
			    r->max);
			r->errbuf[0] = '\0';
		} else if (r->hdr_too_big) {
			f = HCLI_TOOBIG;
			words = "answer headers too large";
			r->errbuf[0] = '\0';
		} else if (r->nomem) {
			f = HCLI_LOCAL;
			words = "out of memory";
			r->errbuf[0] = '\0';
		}
	}
	a->err = PT_ENET;
	a->fail = f;
	a->status = 0;
	n = (size_t)snprintf(text, sizeof(text), "%s %.120s: %.80s%.60s%s%.150s"
	    "%s", r->post ? "POST" : "GET", r->url, words, extra,
	    r->errbuf[0] ? " (" : "", r->errbuf, r->errbuf[0] ? ")" : "");
	if (n >= sizeof(a->why))
		n = sizeof(a->why) - 1;
	memcpy(a->why, text, n);
	a->why[n] = '\0';
}

static void
flight_link(struct hcli *c, struct hreq *r)
{
	r->prev = NULL;
	r->next = c->flight;
	if (c->flight != NULL)
		c->flight->prev = r;
	c->flight = r;
	c->inflight++;
}

static void
flight_unlink(struct hcli *c, struct hreq *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->flight = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
	c->inflight--;
}

/* r's transfer ended with rc: fill the answer, call back, free r. */
static void
finish(struct hreq *r, CURLcode rc)
{
	struct hcli *c = r->c;
	struct hcli_resp *a = &r->resp;
	char *ct = NULL;
	long code = 0;
	curl_off_t ra = 0;

	if (r->cut_short && (rc == CURLE_WRITE_ERROR ||
	    rc == CURLE_BAD_CONTENT_ENCODING))
		rc = CURLE_OK;	/* a refusal's text, cut at its cap */
	if (rc == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		a->status = (int)code;
		if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct) ==
		    CURLE_OK && ct != NULL)
			snprintf(a->ctype, sizeof(a->ctype), "%s", ct);
		if (curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &ra) ==
		    CURLE_OK && ra > 0)
			a->retry_after = ra > 3600 ? 3600 : (unsigned)ra;
		if (a->body == NULL) {
			if ((a->body = body_alloc(c, 1, &a->cap)) == NULL) {
				rc = CURLE_OUT_OF_MEMORY;
				a->status = 0;
			}
		}
		if (a->body != NULL)
			a->body[a->len] = '\0';
	}
	if (rc != CURLE_OK) {
		hcli_resp_recycle(c, a);
		fail_text(r, rc);
	}
	/* The easy handle back to the pool (its connection stays in the
	 * multi handle's cache). */
	if (c->nidle < HCLI_IDLE_EASY)
		c->idle[c->nidle++] = r->easy;
	else
		curl_easy_cleanup(r->easy);
	r->easy = NULL;
	flight_unlink(c, r);
	r->done(r->arg, a);
	req_free(r);
}

/* Run the callbacks of finished transfers, then start queued ones. */
static void
collect(struct hcli *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct hreq *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
		curl_multi_remove_handle(c->multi, e);
		finish(r, rc);
	}
	pump(c);
}

/* An easy handle set up for r.  NULL when out of memory. */
static CURL *
easy_for(struct hcli *c, struct hreq *r)
{
	CURL *e;

	if (c->nidle > 0) {
		e = c->idle[--c->nidle];
		curl_easy_reset(e);
	} else if ((e = curl_easy_init()) == NULL)
		return NULL;
	r->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (r->raw) {
		/* gzip only, and left encoded (hcli_start_gzip). */
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
		curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	} else
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)c->o.recv_buffer);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "pubtrail/" PT_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	if (c->cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
	if (r->post) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body != NULL ?
		    (char *)r->body : "");
	} else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	return e;
}

/* Start queued requests while fewer than concurrency are in flight.
 * Runs from the event loop only (never inside hcli_start), so a request
 * that cannot start is answered from the loop like any other. */
static void
pump(struct hcli *c)
{
	while (c->qhead != NULL && c->inflight < c->o.concurrency) {
		struct hreq *r = c->qhead;

		c->qhead = r->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		r->next = NULL;
		c->queued--;
		if ((r->easy = easy_for(c, r)) != NULL &&
		    curl_multi_add_handle(c->multi, r->easy) == CURLM_OK) {
			flight_link(c, r);
			continue;
		}
		if (r->easy != NULL)
			curl_easy_cleanup(r->easy);
		r->easy = NULL;
		r->resp.err = PT_ENET;
		r->resp.fail = HCLI_LOCAL;
		snprintf(r->resp.why, sizeof(r->resp.why), "%s %s: cannot "
		    "start the request (out of memory)", r->post ? "POST" :
		    "GET", r->url);
		r->done(r->arg, &r->resp);
		req_free(r);
	}
}

static void
pump_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pump(arg);
}

/* hcli_start; nocache adds "Cache-Control: no-cache" (hcli_get_fresh). */
static int
start(struct hcli *c, const char *method, const char *path,
    const char *accept, size_t max, const void *body, size_t len,
    const char *ctype, int nocache, int raw, hcli_done_fn done, void *arg)
{
	struct hreq *r;
	size_t blen = strlen(c->url), plen = strlen(path);
	char h[160];
	int ok = 1;

	if (path[0] != '/' || done == NULL)
		return PT_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return PT_ENOMEM;
	r->c = c;
	r->done = done;
	r->arg = arg;
	r->max = max ? max : c->o.max_response;
	r->raw = raw;
	if (strcmp(method, "POST") == 0)
		r->post = 1;
	else if (strcmp(method, "GET") != 0) {
		free(r);
		return PT_EINVAL;
	}
	if ((r->url = malloc(blen + plen + 1)) == NULL)
		goto nomem;
	memcpy(r->url, c->url, blen);
	memcpy(r->url + blen, path, plen + 1);
	if (accept != NULL) {
		snprintf(h, sizeof(h), "Accept: %.140s", accept);
		ok = ok && (r->hdrs = curl_slist_append(r->hdrs, h)) != NULL;
	}
	if (nocache) {
		struct curl_slist *l;

		ok = ok && (l = curl_slist_append(r->hdrs,
		    "Cache-Control: no-cache")) != NULL && (r->hdrs = l) != NULL;
		ok = ok && (l = curl_slist_append(r->hdrs,
		    "Pragma: no-cache")) != NULL && (r->hdrs = l) != NULL;
	}
	if (r->post) {
		struct curl_slist *l;

		snprintf(h, sizeof(h), "Content-Type: %.140s", ctype != NULL ?
		    ctype : "application/octet-stream");
		ok = ok && (l = curl_slist_append(r->hdrs, h)) != NULL &&
		    (r->hdrs = l) != NULL;
		/* No "Expect: 100-continue" round trip. */
		ok = ok && (l = curl_slist_append(r->hdrs, "Expect:")) != NULL &&
		    (r->hdrs = l) != NULL;
		if (ok && len > 0) {
			if ((r->body = malloc(len)) == NULL)
				ok = 0;
			else {
				memcpy(r->body, body, len);
				r->body_len = len;
			}
		}
	}
	if (!ok)
		goto nomem;
	if (c->qtail != NULL)
		c->qtail->next = r;
	else
		c->qhead = r;
	c->qtail = r;
	c->queued++;
	if (!event_pending(c->pump_ev, EV_TIMEOUT, NULL))
		event_active(c->pump_ev, EV_TIMEOUT, 0);
	return 0;
nomem:
	req_free(r);
	return PT_ENOMEM;
}

int
hcli_start(struct hcli *c, const char *method, const char *path,
    const char *accept, size_t max, const void *body, size_t len,
    const char *ctype, hcli_done_fn done, void *arg)
{
	return start(c, method, path, accept, max, body, len, ctype, 0, 0, done,
	    arg);
}

int
hcli_start_gzip(struct hcli *c, const char *path, const char *accept,
    size_t max, hcli_done_fn done, void *arg)
{
	return start(c, "GET", path, accept, max, NULL, 0, NULL, 0, 1, done,
	    arg);
}

size_t
hcli_pending(const struct hcli *c)
{
	return c->queued + c->inflight + c->timers;
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timer *t = arg;

	(void)fd;
	(void)what;
	t->c->timers--;
	event_free(t->ev);
	t->fn(t->arg);
	free(t);
}

void
hcli_abort_all(struct hcli *c, const char *why)
{
	size_t n = c->inflight + c->queued;
	struct hreq *r;

	while (n-- > 0 && ((r = c->flight) != NULL || (r = c->qhead) !=
	    NULL)) {
		if (r->easy != NULL) {
			curl_multi_remove_handle(c->multi, r->easy);
			curl_easy_cleanup(r->easy);
			r->easy = NULL;
			flight_unlink(c, r);
		} else {
			c->qhead = r->next;
			if (c->qhead == NULL)
				c->qtail = NULL;
			r->next = NULL;
			c->queued--;
		}
		hcli_resp_recycle(c, &r->resp);
		r->resp.err = PT_ENET;
		r->resp.fail = HCLI_LOCAL;
		snprintf(r->resp.why, sizeof(r->resp.why), "%s %.120s: %s",
		    r->post ? "POST" : "GET", r->url, why);
		r->done(r->arg, &r->resp);
		req_free(r);
	}
}

int
hcli_later(struct hcli *c, unsigned ms, void (*fn)(void *), void *arg)
{
	struct timer *t;
	struct timeval tv;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return PT_ENOMEM;
	t->c = c;
	t->fn = fn;
	t->arg = arg;
	if ((t->ev = evtimer_new(c->base, later_cb, t)) == NULL) {
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
hcli_run(struct hcli *c)
{
	return hcli_run_until(c, 0);
}

int
hcli_run_until(struct hcli *c, size_t max)
{
	while (hcli_pending(c) > max)
		event_base_loop(c->base, EVLOOP_ONCE);
	return 0;
}

static void
sync_done(void *arg, struct hcli_resp *r)
{
	struct hcli_resp *out = arg;

	*out = *r;
	r->body = NULL;
}

int
hcli_get(struct hcli *c, const char *path, const char *accept, size_t max,
    struct hcli_resp *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = hcli_start(c, "GET", path, accept, max, NULL, 0, NULL,
	    sync_done, r)) != 0)
		return rc;
	return hcli_run(c);
}

int
hcli_get_fresh(struct hcli *c, const char *path, const char *accept,
    size_t max, struct hcli_resp *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = start(c, "GET", path, accept, max, NULL, 0, NULL, 1, 0,
	    sync_done, r)) != 0)
		return rc;
	return hcli_run(c);
}

int
hcli_post(struct hcli *c, const char *path, const void *body, size_t len,
    const char *ctype, const char *accept, size_t max, struct hcli_resp *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = hcli_start(c, "POST", path, accept, max, body, len, ctype,
	    sync_done, r)) != 0)
		return rc;
	return hcli_run(c);
}
