/*
 * metrics.h: counters and histograms for GET /metrics (Prometheus text
 * format 0.0.4).  Updated from any thread with relaxed atomics; rendered
 * on the event-loop thread.
 */
#ifndef PTD_METRICS_H
#define PTD_METRICS_H

#include <stdint.h>

struct evbuffer;

enum metrics_route {
	MR_CHECKPOINT, MR_TILE, MR_ENTRIES, MR_ADD, MR_INCLUSION,
	MR_CONSISTENCY, MR_ENTRY, MR_LOOKUP, MR_METRICS, MR_HEALTHZ,
	MR_WEB, MR_OTHER, MR_NROUTES
};

void metrics_init(void);
void metrics_http(enum metrics_route r, int status, double seconds);
void metrics_rejection(int pt_err);
void metrics_appended(int record_type, uint64_t n);
void metrics_batch(uint64_t entries, double commit_seconds);
void metrics_conn(int delta);
void metrics_conn_refused(void);
void metrics_deadline_cut(void);
/* Render everything; tree size and map use are passed in (sampled now). */
void metrics_render(struct evbuffer *out, uint64_t tree_size,
    uint64_t map_used, uint64_t map_size, uint64_t queue_len);

#endif
