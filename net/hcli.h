/*
 * hcli.h: the one HTTP client of pubtrail, on libcurl's multi interface
 * driven from a libevent event base.  Used by every command of `pubtrail`
 * that talks to a log, a witness or a gossip peer, and by pubtraild's
 * witness client (on the daemon's own loop, so a slow witness never holds
 * up sequencing).
 *
 * One client = one base URL (http:// or https://, an optional path prefix),
 * one curl multi handle (its connection cache: keep-alive, HTTP/2
 * multiplexing where the server offers it), and at most `concurrency`
 * requests in flight; more are queued in order.  Every request has:
 *
 *   - a whole-request deadline (CURLOPT_TIMEOUT_MS: connect, TLS, send,
 *     the whole answer);
 *   - a cap on its answer's body, given per request by what that answer
 *     can be (a hash tile is 8 KiB), enforced while reading: a declared
 *     Content-Length over the cap ends the transfer at the headers, and
 *     the body callback ends it as soon as the bytes received pass it, so
 *     a server streaming an endless answer costs at most the cap.  The
 *     body of a non-2xx answer (a refusal's reason) is kept up to
 *     HCLI_MAX_ERROR_BODY bytes (or the cap, if smaller) and cut there:
 *     the status is what counts;
 *   - TLS verified against the system CA store, or only against the CA
 *     file given (cacert);
 *   - proxies from the environment as curl reads them (https_proxy or
 *     HTTPS_PROXY, http_proxy, all_proxy, no_proxy or NO_PROXY; curl never
 *     reads upper-case HTTP_PROXY);
 *   - Accept-Encoding with what curl can decode, and decoding of gzip
 *     (and deflate, br, zstd) the server sends, asked or not; the cap
 *     applies to the decoded bytes;
 *   - errors in curl's words with the URL: "connection refused", "could
 *     not resolve host", "TLS certificate verification failed", "timed
 *     out" ...
 *
 * Event loop: with opts.base NULL the client makes its own base, driven by
 * hcli_run()/hcli_run_until()/hcli_get()/hcli_post() (the command-line
 * tool); with a base of the caller's, requests complete from that base's
 * loop (the daemon) and the synchronous calls are not used.  Everything
 * runs on the base's thread.
 */
#ifndef PT_NET_HCLI_H
#define PT_NET_HCLI_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"

struct event_base;
struct hcli;

#define HCLI_RECV_BUFFER	(64 * 1024)	/* default CURLOPT_BUFFERSIZE */
#define HCLI_MAX_RESP_HEADERS	65536	/* all header bytes of one answer */
#define HCLI_MAX_ERROR_BODY	4096	/* bytes kept of a non-2xx answer */

struct hcli_opts {
	struct event_base *base; /* NULL: the client owns one */
	unsigned timeout_ms;	/* whole request; 0 = PT_HTTP_DEADLINE_MS */
	unsigned concurrency;	/* requests in flight at once; 0 = 1 */
	size_t max_response;	/* cap for requests that give 0;
				 * 0 = PT_HTTP_MAX_RESPONSE */
	size_t recv_buffer;	/* bytes per read (CURLOPT_BUFFERSIZE, 1 KiB ..
				 * 10 MiB); 0 = HCLI_RECV_BUFFER */
	const char *cacert;	/* PEM file of the CAs to trust instead of
				 * the system store; NULL: system (copied) */
};

/* Why a request had no usable answer (err != 0). */
enum hcli_fail {
	HCLI_OK = 0,
	HCLI_CONNECT,		/* refused, unreachable */
	HCLI_RESOLVE,		/* host or proxy name unknown */
	HCLI_TLS,		/* handshake or certificate verification */
	HCLI_TIMEOUT,		/* the whole-request deadline passed */
	HCLI_TOOBIG,		/* the answer is larger than its cap */
	HCLI_PROTOCOL,		/* not HTTP, bad encoding, connection broken */
	HCLI_LOCAL,		/* out of memory, bad CA file, ... */
};

/* One answer.  body is heap memory, NUL-terminated (len excludes the
 * NUL), owned by whoever holds the struct: hcli_resp_free() releases it. */
struct hcli_resp {
	int err;			/* 0, or PT_ENET (no usable answer) */
	enum hcli_fail fail;		/* why, when err */
	int status;			/* HTTP status; 0 when err */
	uint8_t *body;
	size_t len;
	size_t cap;			/* bytes allocated at body */
	char ctype[96];			/* Content-Type, "" when absent */
	unsigned retry_after;		/* Retry-After seconds (<= 3600), 0 */
	char encoding[16];		/* hcli_start_gzip only: the answer's
					 * Content-Encoding, body left encoded
					 * ("" when none or identity) */
	char why[PT_WHY_MAX];		/* "GET URL: reason" when err */
};
void hcli_resp_free(struct hcli_resp *r);

/*
 * New client for base URL url ("http[s]://HOST[:PORT][/PREFIX]"); paths
 * given to requests are appended to it.  o may be NULL (defaults).
 * PT_EINVAL (not such a URL: reason in *why), PT_ENOMEM.  Free with
 * hcli_free().
 */
int hcli_new(const char *url, const struct hcli_opts *o, struct hcli **out,
    struct pt_why *why);
/* Close every connection and free c (NULL is fine).  Requests queued or in
 * flight are dropped without their callbacks.  Not from a callback of c. */
void hcli_free(struct hcli *c);

/* The base URL, without a trailing '/'. */
const char *hcli_url(const struct hcli *c);

/*
 * Completion callback: r is valid during the call only; the callback may
 * take r->body (set it to NULL) to keep it.  It may start new requests
 * and timers; it must not free c.
 */
typedef void (*hcli_done_fn)(void *arg, struct hcli_resp *r);

/*
 * Queue a request: method "GET" or "POST", path starting with "/" (query
 * string included, already encoded), accept (may be NULL) for the Accept
 * header, max the cap of the answer's body in bytes (0: the client's
 * max_response), body/len/ctype for POST (copied).  done is called exactly
 * once, from the event loop, in completion order.  0, PT_EINVAL (method,
 * path), PT_ENOMEM.
 */
int hcli_start(struct hcli *c, const char *method, const char *path,
    const char *accept, size_t max, const void *body, size_t len,
    const char *ctype, hcli_done_fn done, void *arg);

/*
 * hcli_start for a GET whose answer is left gzip-encoded: Accept-Encoding
 * gzip only, and curl does not decode, so that the caller decodes it where
 * it likes (audits inflate entry bundles on their worker threads, not on
 * the event loop).  r->encoding says what came: "gzip", "" (identity), or
 * what a server chose unasked; max caps the bytes received (plus 1/64 and
 * 1 KiB for a gzip stream larger than what it holds); the decoded size is
 * the caller's to cap (hcli_gunzip).  0, PT_EINVAL, PT_ENOMEM.
 */
int hcli_start_gzip(struct hcli *c, const char *path, const char *accept,
    size_t max, hcli_done_fn done, void *arg);

/*
 * Decode one gzip member (RFC 1952) of len bytes at in into a fresh
 * buffer (*out, NUL-terminated, malloc'd: free() it, or hand it back in an
 * hcli_resp with *cap), at most max bytes (*outlen).  Any thread.  0;
 * PT_ETOOBIG (decodes to more than max), PT_EMALFORMED (not gzip, damaged,
 * truncated, or bytes after the member), PT_ENOMEM.  O(output).
 */
int hcli_gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out,
    size_t *outlen, size_t *cap);

/* Run the client's own event loop until every request and timer has
 * completed.  0. */
int hcli_run(struct hcli *c);

/* Run it until at most max requests and timers are pending
 * (back-pressure for producers of many requests).  0. */
int hcli_run_until(struct hcli *c, size_t max);

/* Call fn(arg) from the event loop after ms milliseconds (retries with
 * back-off).  Counts as pending.  0 or PT_ENOMEM. */
int hcli_later(struct hcli *c, unsigned ms, void (*fn)(void *), void *arg);

/*
 * End every request queued or in flight now, as answers that never came:
 * r->err PT_ENET, r->why "METHOD URL: why".  Their callbacks run from
 * here (requests they start then are not ended).  Timers stay.  For a
 * caller that gave up on the server (a run's --give-up).
 */
void hcli_abort_all(struct hcli *c, const char *why);

/* Requests queued or in flight, and timers pending.  O(1). */
size_t hcli_pending(const struct hcli *c);

/*
 * Give r's body (from an answer of c) back to c, for a later answer to be
 * read into without a new allocation, and clear r like hcli_resp_free().
 * For callers that fetch many similar answers (audits).  c keeps at most
 * HCLI_SPARES buffers (freed with c).
 */
#define HCLI_SPARES	80
void hcli_resp_recycle(struct hcli *c, struct hcli_resp *r);

/* Synchronous GET (start + run): 0 with *r filled (r->err may still be
 * PT_ENET), or an error of hcli_start; the caller hcli_resp_free()s. */
int hcli_get(struct hcli *c, const char *path, const char *accept,
    size_t max, struct hcli_resp *r);

/* hcli_get asking every cache on the way to revalidate with the origin
 * ("Cache-Control: no-cache", "Pragma: no-cache"): for a checkpoint older
 * than one already seen, which a cache may be serving stale. */
int hcli_get_fresh(struct hcli *c, const char *path, const char *accept,
    size_t max, struct hcli_resp *r);

/* Synchronous POST, as hcli_get. */
int hcli_post(struct hcli *c, const char *path, const void *body,
    size_t len, const char *ctype, const char *accept, size_t max,
    struct hcli_resp *r);

#endif
