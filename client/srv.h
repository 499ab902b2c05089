/*
 * srv.h: the small HTTP server under `pubtrail witness serve` and
 * `pubtrail gossip serve`: libevent evhttp with header and body limits, a
 * cap on simultaneous connections and a whole-request deadline (libevent
 * 2.1's own timeouts only measure inactivity: a client trickling a byte
 * at a time would otherwise stay forever).
 *
 * How: evhttp_set_bevcb() lets us create each connection's bufferevent and
 * keep a reference to it; a sweep timer releases the ones evhttp has freed
 * and shuts down those that have not completed a request within the
 * deadline of opening or of their previous answer.  Connections over the
 * cap are shut at once (or answered 503 if a request arrives first).
 * Handlers must answer before returning.
 */
#ifndef PT_CLIENT_SRV_H
#define PT_CLIENT_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"

struct event_base;
struct evhttp_request;
struct srv;

struct srv_opts {
	size_t max_body;	/* bytes; larger bodies get 413 from evhttp */
	unsigned max_conns;	/* 0 = PT_HTTP_MAX_CONNS */
	unsigned deadline_ms;	/* 0 = PT_HTTP_DEADLINE_MS */
};

typedef void (*srv_handler)(struct evhttp_request *req, void *arg);

/* Listen on listen ("HOST:PORT", port 1..65535) and serve every request
 * through handler.  0, PT_EINVAL (bad HOST:PORT), PT_EIO (bind), PT_ENOMEM;
 * reason in *why.  srv_free() stops and frees. */
int srv_start(struct event_base *base, const char *listen,
    const struct srv_opts *o, srv_handler handler, void *arg,
    struct srv **out, struct pt_why *why);
void srv_free(struct srv *s);

#endif
