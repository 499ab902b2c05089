/*
 * api.h: the HTTP routes (docs/API.md).  One table maps method + path to a
 * handler; each handler fills one reply, sent from one place; one function
 * maps PT_E* codes to HTTP statuses.
 */
#ifndef PTD_API_H
#define PTD_API_H

struct evhttp_request;
struct seq_job;

/* evhttp generic callback: route and answer req. */
void api_dispatch(struct evhttp_request *req, void *arg);
/* Sequencer completion (loop thread): answer the job's request. */
void api_add_done(struct seq_job *j);
/*
 * With witness_wait_quorum: answer the parked submissions whose entries
 * the served (quorum-cosigned) checkpoint now covers; those parked longer
 * than timeout_ms (or all, when stopping) get 503 saying their index.
 * Loop thread.
 */
void api_release_parked(uint64_t timeout_ms, int stopping);
/* HTTP status for a PT_E* code. */
int api_status(int err);

#endif
