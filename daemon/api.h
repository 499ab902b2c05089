/*
 * api.h: the HTTP routes (docs/API.md).  One table maps method + path to a
 * handler; each handler fills one reply, sent from one place; one function
 * maps PT_E* codes to HTTP statuses.  Everything here runs on the event
 * loop's thread.
 */
#ifndef PTD_API_H
#define PTD_API_H

#include <stdint.h>

struct allow;
struct cfg;
struct evhttp_request;
struct metrics;
struct pub;
struct seq;
struct seq_job;
struct store;
struct witc;

/*
 * What the routes use, built by main and kept by it: the api reads the
 * fields at each request, so main may change them between requests (on
 * the loop thread): new limits on SIGHUP, seq set to NULL when
 * stopping.
 */
struct api_ctx {
	const struct cfg *cfg;		/* max_body, rate_limit, rate_burst */
	struct store *store;
	struct pub *pub;		/* bounds every read; receipts */
	struct allow *allow;		/* who may append (the log's grants) */
	struct seq *seq;		/* NULL: POST /add answers 503 */
	struct witc *witc;		/* NULL without a witness policy */
	const char *logvkey;		/* the log's verifier key string */
	const char *registrar;		/* the registrar's, or NULL */
	struct metrics *metrics;	/* GET /metrics; every answer counted */
};

struct api;

/* New routes over ctx (the caller's; it must outlive the api).  0 or
 * PT_ENOMEM. */
int api_new(struct api_ctx *ctx, struct api **out);
/* Free a; NULL is allowed.  Answers any parked submission 503 first
 * (api_release_parked(a, 0, 1)). */
void api_free(struct api *a);

/* evhttp generic callback (arg: the struct api): route and answer req. */
void api_dispatch(struct evhttp_request *req, void *arg);
/* Sequencer completion (seq_done_fn, arg: the struct api): answer the
 * job's request, or park it (wait_quorum) until the served checkpoint
 * covers its entry. */
void api_add_done(struct seq_job *j, void *arg);
/*
 * With wait_quorum (pub_wait_quorum): answer the parked submissions whose
 * entries the served (quorum-cosigned) checkpoint now covers; those parked
 * longer than timeout_ms (or all, when stopping) get 503 saying their
 * index.  O(parked).
 */
void api_release_parked(struct api *a, uint64_t timeout_ms, int stopping);
/* Submissions parked (durable, waiting for the quorum). */
uint64_t api_parked(const struct api *a);
/* HTTP status for a PT_E* code. */
int api_status(int err);

/* Log how many refusals the rate limit of their log lines held back
 * since the last report, if any (a periodic timer and the end call it). */
void api_log_held_refusals(struct api *a);

#endif
