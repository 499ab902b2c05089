/*
 * hsrv.h: the one hardened HTTP server of pubtrail (libevent evhttp), used
 * by pubtraild and by `pubtrail witness serve` and `pubtrail gossip serve`.
 *
 * libevent 2.1's evhttp has no limits of its own by default, and its
 * timeouts measure inactivity only (a client trickling one byte every few
 * seconds stays forever).  hsrv adds, from the named limits in ptlimits.h:
 *
 *   - header and body maxima (evhttp answers 413 / closes above them);
 *   - a cap on simultaneous connections (2.1 has no
 *     evhttp_set_max_connections): a connection over the cap is shut at
 *     once, or answered 503 "too many connections" (Connection: close)
 *     should a request arrive on it first;
 *   - a whole-request deadline: a connection that has not delivered a
 *     complete request within deadline_ms of opening (or of its previous
 *     answer being sent) is shut down, which evhttp sees as EOF.  While a
 *     request is with the handler (from the handler's call until its reply
 *     is fully written, however long the handler defers it) there is no
 *     deadline: answering is the handler's business.
 *
 * How: evhttp_set_bevcb() lets hsrv create each connection's bufferevent
 * and keep a reference to it (bufferevent_incref), so its memory and socket
 * stay valid until hsrv drops it; a sweep timer every HSRV_SWEEP_MS releases
 * the connections evhttp has freed (event callback cleared) and shuts those
 * past their deadline.  The reply's end is seen through
 * evhttp_request_set_on_complete_cb(), which hsrv owns on every request it
 * hands to a handler (handlers must not set it).
 *
 * Everything runs on the event base's thread.
 */
#ifndef PT_NET_HSRV_H
#define PT_NET_HSRV_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"

struct event_base;
struct evhttp_request;
struct hsrv;

#define HSRV_SWEEP_MS	100	/* deadline resolution */
/* methods: GET, HEAD, POST, PUT, DELETE reach the handler, which answers
 * 405 itself (with its own Allow header). */
#define HSRV_METHODS_ANY	(1 << 0 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4)

/* What happened to a connection, for the caller's metrics. */
enum hsrv_event {
	HSRV_OPENED,		/* a connection was accepted */
	HSRV_CLOSED,		/* it is gone */
	HSRV_REFUSED,		/* over the connection cap */
	HSRV_CUT,		/* shut down at its deadline */
};

struct hsrv_opts {
	size_t max_body;	/* request body bytes; 0 = PT_HTTP_MAX_BODY */
	size_t max_headers;	/* request header bytes; 0 = PT_HTTP_MAX_HEADERS */
	unsigned max_conns;	/* 0 = PT_HTTP_MAX_CONNS */
	unsigned deadline_ms;	/* 0 = PT_HTTP_DEADLINE_MS */
	unsigned idle_s;	/* keep-alive idle; 0 = PT_HTTP_IDLE_S */
	unsigned methods;	/* EVHTTP_REQ_* mask evhttp lets through to the
				 * handler (others get 405 from evhttp);
				 * 0 = GET | HEAD | POST */
	/* Called (may be NULL) for each event above. */
	void (*event)(void *arg, enum hsrv_event ev);
	void *event_arg;
};

/*
 * The handler gets every request that passed the limits.  It must send
 * exactly one reply (evhttp_send_reply/evhttp_send_error), now or later
 * from the same thread; it must not set the request's on-complete callback.
 */
typedef void (*hsrv_handler)(struct evhttp_request *req, void *arg);

/*
 * Split listen "HOST:PORT" or "[V6]:PORT" (port 0..65535; 0 = any free
 * one) into host (NUL-terminated, at most hostcap - 1 bytes) and *port.
 * 0 or PT_EINVAL.  O(len).
 */
int hsrv_listen_split(const char *listen, char *host, size_t hostcap,
    uint16_t *port);

/*
 * Listen on listen (as hsrv_listen_split) on base and serve every request
 * through handler(req, arg).  o is copied (NULL: all defaults).  0;
 * PT_EINVAL (bad HOST:PORT), PT_EIO (cannot bind: the reason from the
 * system), PT_ENOMEM; reason in *why (may be NULL).  *out is freed with
 * hsrv_free().
 */
int hsrv_start(struct event_base *base, const char *listen,
    const struct hsrv_opts *o, hsrv_handler handler, void *arg,
    struct hsrv **out, struct pt_why *why);

/* Apply o's limits again (SIGHUP); connections already open keep running
 * under the new deadline and cap.  O(1). */
void hsrv_configure(struct hsrv *s, const struct hsrv_opts *o);

/* Port actually bound (for listen port 0). */
int hsrv_port(const struct hsrv *s);

/* Connections open now (for tests and metrics).  O(1). */
size_t hsrv_conns(const struct hsrv *s);

/* Stop listening, close every connection, free s (NULL is fine).  A
 * request still with a handler must not be answered afterwards. */
void hsrv_free(struct hsrv *s);

#endif
