/*
 * httpd.h: the HTTP front end (libevent evhttp) with the limits libevent
 * 2.1 does not enforce by itself: a cap on simultaneous connections and a
 * whole-request deadline (evhttp's own timeouts only measure inactivity, so
 * a client trickling one byte at a time would stay forever).
 *
 * How: evhttp_set_bevcb() lets us create each connection's bufferevent; we
 * keep a reference to it (bufferevent_incref) so the memory and the socket
 * stay valid until we drop it, and a sweep timer checks each connection:
 * one that evhttp has freed (its event callback cleared) is released; one
 * that has not delivered a complete request within the deadline of opening
 * (or of its previous answer) is shut down, which evhttp sees as EOF.
 * Connections over the cap are shut down at once.
 */
#ifndef PTD_HTTPD_H
#define PTD_HTTPD_H

#include "cfg.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct httpd;

typedef void (*httpd_handler)(struct evhttp_request *req, void *arg);

/* Bind cfg->listen and serve every request through handler.  0 or
 * PT_EIO with the reason in why. */
int httpd_start(struct event_base *base, const struct cfg *c,
    httpd_handler handler, void *arg, struct httpd **out, char *why,
    size_t whylen);
/* Apply the limits in c again (SIGHUP). */
void httpd_configure(struct httpd *h, const struct cfg *c);
/* A request is being worked on (no deadline) / was answered (deadline
 * restarts for the next request on the connection). */
/* Returns 0, or PT_EBUSY when req's connection is over the cap (answer
 * 503 and close). */
int httpd_request_begin(struct httpd *h, struct evhttp_request *req);
void httpd_request_end(struct httpd *h, struct evhttp_request *req);
/* Port actually bound (for listen port 0). */
int httpd_port(const struct httpd *h);
void httpd_free(struct httpd *h);

#endif
