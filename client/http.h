/*
 * http.h: a small HTTP/1.1 client on libevent's evhttp, for talking to
 * pubtraild (or any static server holding its tiles).
 *
 * One client = one event base and a pool of `concurrency` keep-alive
 * connections to one server; requests are queued and at most one is in
 * flight per connection, so at most `concurrency` at once.  Each request
 * has a whole-request deadline (libevent's own timeouts only measure
 * inactivity), and answers larger than max_response are refused before
 * they are buffered in full.  Only plain http:// URLs (no TLS); names are
 * resolved with getaddrinfo, never evdns.
 */
#ifndef PT_CLIENT_HTTP_H
#define PT_CLIENT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"

struct http_client;

struct http_opts {
	unsigned timeout_ms;	/* whole request; 0 = PT_HTTP_DEADLINE_MS */
	unsigned concurrency;	/* connections; 0 = 1 */
	size_t max_response;	/* body bytes; 0 = PT_HTTP_MAX_RESPONSE */
};

/* One answer.  body is heap memory, NUL-terminated (len excludes the
 * NUL), owned by whoever holds the struct: http_resp_free() releases it. */
struct http_resp {
	int err;			/* 0, or PT_ENET (no usable answer) */
	int status;			/* HTTP status; 0 when err */
	uint8_t *body;
	size_t len;
	size_t cap;			/* bytes allocated at body */
	char ctype[96];			/* Content-Type, "" when absent */
	unsigned retry_after;		/* Retry-After seconds, 0 when absent */
	char why[PT_WHY_MAX];		/* reason when err */
};
void http_resp_free(struct http_resp *r);

/*
 * New client for base URL url ("http://host[:port][/prefix]").  Paths
 * given to requests are appended to the prefix.  PT_EINVAL (bad URL, not
 * http), PT_ENOMEM; reason in *why.  Free with http_client_free().
 */
int http_client_new(const char *url, const struct http_opts *o,
    struct http_client **out, struct pt_why *why);
/* Close every connection and free c (NULL is fine).  Pending requests are
 * dropped without their callbacks. */
void http_client_free(struct http_client *c);

/*
 * Completion callback: r is valid during the call only; the callback may
 * take r->body (set it to NULL) to keep it.  It may start new requests.
 */
typedef void (*http_done_fn)(void *arg, struct http_resp *r);

/*
 * Queue a request: method "GET" or "POST", path starting with "/", accept
 * (may be NULL) for the Accept header, body/len/ctype for POST (copied).
 * done is called exactly once from http_run(), in completion order.
 * 0 or PT_ENOMEM / PT_EINVAL.
 */
int http_start(struct http_client *c, const char *method, const char *path,
    const char *accept, const void *body, size_t len, const char *ctype,
    http_done_fn done, void *arg);

/* Run the event loop until every queued request has completed.  0. */
int http_run(struct http_client *c);

/* Run the event loop until at most max requests are queued or in flight
 * (back-pressure for producers of many requests).  0. */
int http_run_until(struct http_client *c, size_t max);

/*
 * Call fn(arg) from the event loop after ms milliseconds (for retries
 * with back-off).  Counts as pending, so http_run() waits for it.
 * 0 or PT_ENOMEM.
 */
int http_later(struct http_client *c, unsigned ms, void (*fn)(void *),
    void *arg);

/* Number of requests queued or in flight, and timers pending. */
size_t http_pending(const struct http_client *c);

/*
 * Give r's body (from an answer of c) back to c, for a later answer to be
 * read into without a new allocation, and clear r like http_resp_free().
 * For callers that fetch many similar answers (audits): it spares the
 * allocator returning memory to the system and faulting it in again for
 * every answer.  c keeps at most HTTP_SPARES buffers (freed with c).
 */
#define HTTP_SPARES	80
void http_resp_recycle(struct http_client *c, struct http_resp *r);

/* Synchronous GET: start + run.  0 with *r filled (r->err may still be
 * PT_ENET); caller http_resp_free()s. */
int http_get(struct http_client *c, const char *path, const char *accept,
    struct http_resp *r);

/* Synchronous POST. */
int http_post(struct http_client *c, const char *path, const void *body,
    size_t len, const char *ctype, const char *accept, struct http_resp *r);

#endif
