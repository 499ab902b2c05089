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
	MR_CONSISTENCY, MR_ENTRY, MR_LOOKUP, MR_CORRECTIONS, MR_METRICS,
	MR_HEALTHZ, MR_KEYS, MR_OFFICE_KEYS,
	MR_WEB, MR_OTHER, MR_NROUTES
};

/*
 * The counters: one object, made by main and passed to the routes, the
 * sequencer and the HTTP server's event callback.  metrics_new: 0 or
 * PT_ENOMEM; metrics_free accepts NULL.  Every update is a relaxed atomic
 * add (any thread, O(1)).
 */
struct metrics;
int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);
void metrics_http(struct metrics *m, enum metrics_route r, int status,
    double seconds);
void metrics_rejection(struct metrics *m, int pt_err);
void metrics_appended(struct metrics *m, int record_type, uint64_t n);
void metrics_batch(struct metrics *m, uint64_t entries,
    double commit_seconds);
void metrics_conn(struct metrics *m, int delta);
void metrics_conn_refused(struct metrics *m);
/* publish_dir (publish.c): the size published, a failed round.  The two
 * figures are rendered once either was called. */
void metrics_published(struct metrics *m, uint64_t size);
void metrics_publish_error(struct metrics *m);
void metrics_deadline_cut(struct metrics *m);
/* Render everything (Prometheus text 0.0.4) to out; tree size, map use
 * and queue length are passed in (sampled now).  O(routes x statuses). */
void metrics_render(struct metrics *m, struct evbuffer *out,
    uint64_t tree_size, uint64_t map_used, uint64_t map_size,
    uint64_t queue_len);

#endif
