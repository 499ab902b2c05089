/*
 * api_int.h: what the route files share (api.c: dispatch, replies,
 * statuses; api_read.c: the read routes; api_add.c: POST /add and the
 * receipts held for a quorum).  Private to those three files.
 */
#ifndef PTD_API_INT_H
#define PTD_API_INT_H

#include <stdint.h>

#include "api.h"
#include "metrics.h"
#include "rlog.h"

struct evbuffer;
struct evhttp_request;
struct seq_job;

#define CT_MSGPACK	"application/msgpack"
#define CT_JSON		"application/json"
#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_OCTETS	"application/octet-stream"
#define CACHE_NONE	"no-store"
#define CACHE_SHORT	"public, max-age=1, must-revalidate"
#define CACHE_IMMUTABLE	"public, max-age=31536000, immutable"
#define CACHE_PARTIAL	"public, max-age=60"

struct api {
	struct api_ctx *ctx;		/* main's */
	struct seq_job *parked;		/* durable, waiting for the quorum */
	uint64_t nparked;
	struct rlog refusals;		/* log lines of refused requests */
};

/* One request's answer, owned by the dispatcher until api_send frees it
 * (a handler that sets deferred sends it later itself). */
struct rq {
	struct api *api;
	struct api_ctx *ctx;		/* api->ctx */
	struct evhttp_request *req;
	enum metrics_route route;
	int status;
	const char *ctype;
	const char *cache;
	struct evbuffer *body;
	int json;		/* client asked for JSON */
	int deferred;		/* answered later (POST /add) */
	double t0;
	char path[512];
	const char *query;	/* after '?', or NULL */
	char submitter[96];	/* POST /add: "name+hash" once decoded */
};

/* Set an error answer: status and a one-line text reason (replaces any
 * body so far). */
void api_fail(struct rq *rq, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a PT_E* code: api_status(err) and "what: <strerror>". */
void api_fail_err(struct rq *rq, int err, const char *what);
/* The one place a reply is sent; frees rq. */
void api_send(struct rq *rq);

/* Handlers: each fills rq's answer (api_read.c, api_add.c). */
void api_h_healthz(struct rq *rq);
void api_h_vkey(struct rq *rq);
void api_h_office_keys(struct rq *rq);
void api_h_metrics(struct rq *rq);
void api_h_checkpoint(struct rq *rq);
void api_h_tile(struct rq *rq);
void api_h_inclusion(struct rq *rq);
void api_h_consistency(struct rq *rq);
void api_h_entry(struct rq *rq);
void api_h_lookup(struct rq *rq);
void api_h_corrections(struct rq *rq);
void api_h_corrections_all(struct rq *rq);
void api_h_web(struct rq *rq);
void api_h_add(struct rq *rq);

#endif
