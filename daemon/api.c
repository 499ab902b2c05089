/*
 * api.c: the route table, the dispatcher, the one place replies are sent
 * and the one map from PT_E* codes to HTTP statuses.  The handlers are in
 * api_read.c (reads: one short LMDB read transaction each, every range
 * checked against the latest checkpoint before storage is touched) and
 * api_add.c (POST /add).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_int.h"
#include "env.h"
#include "log.h"
#include "metrics.h"
#include "pt.h"
#include "ptlimits.h"

int
api_status(int err)
{
	switch (err) {
	case 0:
		return 200;
	case PT_ETOOBIG:
		return 413;
	case PT_EMALFORMED: case PT_ENONCANON: case PT_EDUPKEY:
	case PT_EUNKNOWNKEY: case PT_ETYPE: case PT_EUTF8: case PT_ETRAILING:
	case PT_ETRUNCATED: case PT_ESCHEMA: case PT_ERANGE: case PT_EDEPTH:
	case PT_EINVAL: case PT_EORIGIN:
		return 400;
	case PT_ESIG: case PT_EUNKNOWNSIGNER: case PT_EFORBIDDEN:
		return 403;
	case PT_ENOTFOUND:
		return 404;
	case PT_ECONFLICT:
		return 409;
	case PT_ERATE:
		return 429;
	case PT_EFULL: case PT_EBUSY: case PT_ENOMEM:
		return 503;
	default:
		return 500;
	}
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void
api_fail(struct rq *rq, int status, const char *fmt, ...)
{
	va_list ap;

	rq->status = status;
	rq->ctype = CT_TEXT;
	rq->cache = CACHE_NONE;
	evbuffer_drain(rq->body, evbuffer_get_length(rq->body));
	va_start(ap, fmt);
	evbuffer_add_vprintf(rq->body, fmt, ap);
	va_end(ap);
	evbuffer_add(rq->body, "\n", 1);
}

void
api_fail_err(struct rq *rq, int err, const char *what)
{
	api_fail(rq, api_status(err), "%s: %s", what, pt_strerror(err));
}

/* Copy at most cap - 1 bytes of the first line of src (len bytes) to dst,
 * printable ASCII only (others become '?'): text from a request or about
 * it goes into the log, never control bytes. */
static void
log_safe(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '\n' || c == '\r')
			break;
		dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = '\0';
}

void
api_log_held_refusals(struct api *a)
{
	double secs;
	uint64_t n = rlog_take_held(&a->refusals, env_mono(), &secs);

	if (n > 0)
		log_info("%llu more refused requests not logged (over %d lines "
		    "a second) in the last %.0f s; pubtrail_rejections_total "
		    "and pubtrail_http_requests_total count them all",
		    (unsigned long long)n, PT_LOG_REFUSALS_PER_S, secs);
}

/*
 * One line per refused request: every refusal of POST /add and every
 * other answer of 400 and above but a read's 404 (a tile or entry that
 * does not exist yet is a normal answer).  Status, reason, the submitter's
 * key name and hash when known, the peer.  Rate-limited (rlog): a flood
 * logs a bounded number of lines and one count of the rest.
 */
static void
log_refusal(struct rq *rq)
{
	struct evhttp_connection *c;
	const char *xff;
	char reason[160], peer[80] = "?", fwd[96] = "";
	char *addr = NULL;
	ev_uint16_t port = 0;
	uint64_t held;
	double secs;
	size_t blen;

	if (rq->status < 400 || (rq->status == 404 && rq->route != MR_ADD))
		return;
	if (!rlog_allow(&rq->api->refusals, env_mono(), &held, &secs))
		return;
	if (held > 0)
		log_info("%llu more refused requests not logged (over %d lines "
		    "a second) in the last %.0f s", (unsigned long long)held,
		    PT_LOG_REFUSALS_PER_S, secs);
	blen = evbuffer_get_length(rq->body);
	if (blen > sizeof(reason))
		blen = sizeof(reason);
	log_safe(reason, sizeof(reason), (const char *)evbuffer_pullup(
	    rq->body, (ev_ssize_t)blen), blen);
	if ((c = evhttp_request_get_connection(rq->req)) != NULL) {
		evhttp_connection_get_peer(c, &addr, &port);
		if (addr != NULL) {
			char a[48];

			log_safe(a, sizeof(a), addr, strlen(addr));
			snprintf(peer, sizeof(peer), "%s:%u", a, (unsigned)port);
		}
	}
	xff = evhttp_find_header(evhttp_request_get_input_headers(rq->req),
	    "X-Forwarded-For");
	if (xff != NULL) {
		char x[64];

		log_safe(x, sizeof(x), xff, strlen(xff));
		snprintf(fwd, sizeof(fwd), " (forwarded for %s)", x);
	}
	log_info("refused %s %.60s: %d %s; submitter %s; peer %s%s",
	    evhttp_request_get_command(rq->req) == EVHTTP_REQ_POST ? "POST" :
	    "GET", rq->path, rq->status, reason, rq->submitter[0] ?
	    rq->submitter : "-", peer, fwd);
}

/* The one place a reply is sent.  A HEAD answer has the headers of the
 * GET answer, its Content-Length included, and no content (evhttp would
 * send the content, which a keep-alive client then reads as the start of
 * its next answer). */
void
api_send(struct rq *rq)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

	evhttp_add_header(h, "Content-Type", rq->ctype);
	evhttp_add_header(h, "Cache-Control", rq->cache);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* msgpack or JSON by Accept: caches must keep them apart (an entry's
	 * msgpack is immutable, its JSON lists corrections that grow). */
	if (rq->route == MR_ENTRY || rq->route == MR_LOOKUP ||
	    rq->route == MR_CORRECTIONS || rq->route == MR_INCLUSION ||
	    rq->route == MR_CONSISTENCY)
		evhttp_add_header(h, "Vary", "Accept");
	if (rq->route != MR_ADD)	/* read routes: any page may read */
		evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	if (rq->status == 429)
		evhttp_add_header(h, "Retry-After", "1");
	if (rq->status == 503)
		evhttp_add_header(h, "Retry-After", "5");
	if (evhttp_request_get_command(rq->req) == EVHTTP_REQ_HEAD) {
		char cl[24];
		size_t n = evbuffer_get_length(rq->body);

		snprintf(cl, sizeof(cl), "%zu", n);
		evhttp_add_header(h, "Content-Length", cl);
		evbuffer_drain(rq->body, n);
	}
	log_refusal(rq);
	evhttp_send_reply(rq->req, rq->status, reason_phrase(rq->status),
	    rq->body);
	metrics_http(rq->ctx->metrics, rq->route, rq->status,
	    env_mono() - rq->t0);
	evbuffer_free(rq->body);
	free(rq);
}

static int
wants_json(struct evhttp_request *req)
{
	const char *a = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Accept");

	return a != NULL && strstr(a, CT_JSON) != NULL;
}

int
api_new(struct api_ctx *ctx, struct api **out)
{
	struct api *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return PT_ENOMEM;
	a->ctx = ctx;
	rlog_init(&a->refusals, PT_LOG_REFUSALS_PER_S, PT_LOG_REFUSALS_BURST,
	    env_mono());
	*out = a;
	return 0;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	api_release_parked(a, 0, 1);
	api_log_held_refusals(a);
	free(a);
}

/* --- routing --- */

enum match { M_EXACT, M_PREFIX };

static const struct route {
	const char *path;
	enum match match;
	unsigned methods;
	enum metrics_route id;
	void (*fn)(struct rq *);
} routes[] = {
	{ "/checkpoint", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_CHECKPOINT, api_h_checkpoint },
	{ "/tile/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_TILE,
	  api_h_tile },
	{ "/add", M_EXACT, EVHTTP_REQ_POST, MR_ADD, api_h_add },
	{ "/proof/inclusion", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_INCLUSION, api_h_inclusion },
	{ "/proof/consistency", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_CONSISTENCY, api_h_consistency },
	{ "/entry/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_ENTRY,
	  api_h_entry },
	{ "/lookup", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_LOOKUP,
	  api_h_lookup },
	{ "/corrections/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_CORRECTIONS, api_h_corrections },
	{ "/corrections", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_CORRECTIONS, api_h_corrections_all },
	{ "/metrics", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_METRICS,
	  api_h_metrics },
	{ "/healthz", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_HEALTHZ,
	  api_h_healthz },
	{ "/log.vkey", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_KEYS,
	  api_h_vkey },
	{ "/registrar.vkey", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_KEYS, api_h_vkey },
	{ "/office-keys", M_EXACT, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	  MR_OFFICE_KEYS, api_h_office_keys },
	{ "/", M_PREFIX, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, MR_WEB, api_h_web },
};

void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	struct rq *rq;
	const char *uri = evhttp_request_get_uri(req);
	const char *q;
	size_t plen;

	if ((rq = calloc(1, sizeof(*rq))) == NULL ||
	    (rq->body = evbuffer_new()) == NULL) {
		free(rq);
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	rq->api = a;
	rq->ctx = a->ctx;
	rq->req = req;
	rq->t0 = env_mono();
	rq->status = 200;
	rq->ctype = CT_TEXT;
	rq->cache = CACHE_NONE;
	rq->route = MR_OTHER;
	rq->json = wants_json(req);
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (plen >= sizeof(rq->path) || uri[0] != '/') {
		api_fail(rq, plen >= sizeof(rq->path) ? 404 : 400, "bad path");
		api_send(rq);
		return;
	}
	memcpy(rq->path, uri, plen);
	rq->path[plen] = '\0';
	rq->query = q != NULL ? q + 1 : NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		int hit = r->match == M_EXACT ? strcmp(rq->path, r->path) == 0 :
		    strncmp(rq->path, r->path, strlen(r->path)) == 0;

		if (!hit)
			continue;
		rq->route = r->id;
		if (!(evhttp_request_get_command(req) & r->methods)) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Allow", r->methods & EVHTTP_REQ_POST ?
			    "POST" : "GET, HEAD");
			api_fail(rq, 405, "method not allowed");
		} else if (r->id != MR_ADD && rq->query != NULL &&
		    r->id != MR_INCLUSION && r->id != MR_CONSISTENCY &&
		    r->id != MR_LOOKUP && r->id != MR_CORRECTIONS &&
		    r->id != MR_WEB && r->id != MR_OFFICE_KEYS) {
			api_fail(rq, 400, "this route takes no query string");
		} else {
			r->fn(rq);
		}
		if (!rq->deferred)
			api_send(rq);
		return;
	}
	api_fail(rq, 404, "no such route");
	api_send(rq);
}
