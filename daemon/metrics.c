/* metrics.c: Prometheus counters and histograms, lock-free. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "pt.h"
#include "record.h"

static const char *route_names[MR_NROUTES] = {
	"checkpoint", "tile", "entries", "add", "inclusion", "consistency",
	"entry", "lookup", "corrections", "metrics", "healthz", "keys",
	"office_keys", "web", "other",
};

static const int statuses[] = { 200, 304, 400, 403, 404, 405, 409, 413,
	429, 500, 503 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
#define NERR 40		/* covers every PT_E* code (-0 .. -39) */
#define NLAT 12		/* latency buckets */
#define NBATCH 14	/* batch-size buckets: 1,2,4..8192 */

static const double lat_bounds[NLAT] = { 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5 };

struct metrics {
	atomic_ullong req[MR_NROUTES][NSTATUS + 1];
	atomic_ullong lat[MR_NROUTES][NLAT + 1];
	atomic_ullong lat_sum_us[MR_NROUTES];
	atomic_ullong rej[NERR];
	atomic_ullong appended[RECORD_NTYPES + 1];
	atomic_ullong batch[NBATCH + 1];
	atomic_ullong batch_count, batch_entries;
	atomic_ullong commit[NLAT + 1];
	atomic_ullong commit_sum_us;
	atomic_llong conns;
	atomic_ullong conns_refused, deadline_cuts;
	atomic_ullong published_size, publish_errors;
	atomic_int publishing;
};

int
metrics_new(struct metrics **out)
{
	struct metrics *m;

	/* Zeroed memory is a valid atomic zero on every target we build. */
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return PT_ENOMEM;
	*out = m;
	return 0;
}

void
metrics_free(struct metrics *m)
{
	free(m);
}

static unsigned
lat_bucket(double s)
{
	unsigned i;

	for (i = 0; i < NLAT; i++)
		if (s <= lat_bounds[i])
			break;
	return i;
}

void
metrics_http(struct metrics *m, enum metrics_route r, int status,
    double seconds)
{
	unsigned i;

	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			break;
	atomic_fetch_add_explicit(&m->req[r][i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lat[r][lat_bucket(seconds)], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lat_sum_us[r],
	    (unsigned long long)(seconds * 1e6), memory_order_relaxed);
}

void
metrics_rejection(struct metrics *m, int err)
{
	unsigned i = (unsigned)(-err);

	if (err < 0 && i < NERR)
		atomic_fetch_add_explicit(&m->rej[i], 1, memory_order_relaxed);
}

void
metrics_appended(struct metrics *m, int type, uint64_t n)
{
	if (type >= 1 && type <= RECORD_NTYPES)
		atomic_fetch_add_explicit(&m->appended[type], n,
		    memory_order_relaxed);
}

void
metrics_batch(struct metrics *m, uint64_t entries, double secs)
{
	unsigned i = 0;

	while (i < NBATCH && entries > (1ULL << i))
		i++;
	atomic_fetch_add_explicit(&m->batch[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->batch_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->batch_entries, entries,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&m->commit[lat_bucket(secs)], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&m->commit_sum_us,
	    (unsigned long long)(secs * 1e6), memory_order_relaxed);
}

void
metrics_conn(struct metrics *m, int delta)
{
	atomic_fetch_add_explicit(&m->conns, delta, memory_order_relaxed);
}

void
metrics_published(struct metrics *m, uint64_t size)
{
	atomic_store_explicit(&m->publishing, 1, memory_order_relaxed);
	atomic_store_explicit(&m->published_size, size, memory_order_relaxed);
}

void
metrics_publish_error(struct metrics *m)
{
	atomic_store_explicit(&m->publishing, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->publish_errors, 1, memory_order_relaxed);
}

void
metrics_conn_refused(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->conns_refused, 1, memory_order_relaxed);
}

void
metrics_deadline_cut(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->deadline_cuts, 1, memory_order_relaxed);
}

#define LD(x) ((unsigned long long)atomic_load_explicit(&(x), \
	memory_order_relaxed))

static void
render_hist(struct evbuffer *o, const char *name, const char *labels,
    atomic_ullong *b, unsigned nb, const double *bounds, double sum)
{
	unsigned long long cum = 0;

	for (unsigned i = 0; i < nb; i++) {
		cum += LD(b[i]);
		evbuffer_add_printf(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name,
		    labels, labels[0] ? "," : "", bounds[i], cum);
	}
	cum += LD(b[nb]);
	evbuffer_add_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
	    labels, labels[0] ? "," : "", cum);
	evbuffer_add_printf(o, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name,
	    labels, sum, name, labels, cum);
}

void
metrics_render(struct metrics *m, struct evbuffer *o, uint64_t tree_size,
    uint64_t map_used, uint64_t map_size, uint64_t queue_len)
{
	double bb[NBATCH];
	char lab[64];

	evbuffer_add_printf(o, "# HELP pubtrail_tree_size Entries in the "
	    "latest signed checkpoint.\n# TYPE pubtrail_tree_size gauge\n"
	    "pubtrail_tree_size %llu\n", (unsigned long long)tree_size);
	evbuffer_add_printf(o, "# HELP pubtrail_entries_total Entries "
	    "appended by this process, by record type.\n"
	    "# TYPE pubtrail_entries_total counter\n");
	for (int t = 1; t <= RECORD_NTYPES; t++)
		evbuffer_add_printf(o, "pubtrail_entries_total{type=\"%s\"} "
		    "%llu\n", record_type_name((enum record_type)t),
		    LD(m->appended[t]));
	evbuffer_add_printf(o, "# HELP pubtrail_rejections_total Refused "
	    "submissions, by reason.\n"
	    "# TYPE pubtrail_rejections_total counter\n");
	for (int i = 1; i < NERR; i++)
		if (LD(m->rej[i]) != 0)
			evbuffer_add_printf(o, "pubtrail_rejections_total"
			    "{reason=\"%s\"} %llu\n", pt_errname(-i),
			    LD(m->rej[i]));
	evbuffer_add_printf(o, "# HELP pubtrail_batch_entries Entries per "
	    "committed batch.\n# TYPE pubtrail_batch_entries histogram\n");
	for (unsigned i = 0; i < NBATCH; i++)
		bb[i] = (double)(1ULL << i);
	render_hist(o, "pubtrail_batch_entries", "", m->batch, NBATCH, bb,
	    (double)LD(m->batch_entries));
	evbuffer_add_printf(o, "# HELP pubtrail_commit_seconds Time to "
	    "write, sign and fsync one batch.\n"
	    "# TYPE pubtrail_commit_seconds histogram\n");
	render_hist(o, "pubtrail_commit_seconds", "", m->commit, NLAT,
	    lat_bounds, (double)LD(m->commit_sum_us) / 1e6);
	evbuffer_add_printf(o, "# HELP pubtrail_http_requests_total HTTP "
	    "requests answered, by route and status.\n"
	    "# TYPE pubtrail_http_requests_total counter\n");
	for (unsigned r = 0; r < MR_NROUTES; r++)
		for (unsigned s = 0; s <= NSTATUS; s++)
			if (LD(m->req[r][s]) != 0) {
				if (s < NSTATUS)
					evbuffer_add_printf(o,
					    "pubtrail_http_requests_total{"
					    "route=\"%s\",code=\"%d\"} %llu\n",
					    route_names[r], statuses[s],
					    LD(m->req[r][s]));
				else
					evbuffer_add_printf(o,
					    "pubtrail_http_requests_total{"
					    "route=\"%s\",code=\"other\"} "
					    "%llu\n", route_names[r],
					    LD(m->req[r][s]));
			}
	evbuffer_add_printf(o, "# HELP pubtrail_http_request_seconds Time "
	    "from dispatch to answer, by route.\n"
	    "# TYPE pubtrail_http_request_seconds histogram\n");
	for (unsigned r = 0; r < MR_NROUTES; r++) {
		snprintf(lab, sizeof(lab), "route=\"%s\"", route_names[r]);
		render_hist(o, "pubtrail_http_request_seconds", lab, m->lat[r],
		    NLAT, lat_bounds, (double)LD(m->lat_sum_us[r]) / 1e6);
	}
	evbuffer_add_printf(o, "# HELP pubtrail_http_connections Open "
	    "connections.\n# TYPE pubtrail_http_connections gauge\n"
	    "pubtrail_http_connections %lld\n",
	    (long long)atomic_load(&m->conns));
	evbuffer_add_printf(o, "# HELP pubtrail_http_connections_refused_total"
	    " Connections closed at once: over max_connections.\n"
	    "# TYPE pubtrail_http_connections_refused_total counter\n"
	    "pubtrail_http_connections_refused_total %llu\n",
	    LD(m->conns_refused));
	evbuffer_add_printf(o, "# HELP pubtrail_http_deadline_cuts_total "
	    "Connections closed for not completing a request in time.\n"
	    "# TYPE pubtrail_http_deadline_cuts_total counter\n"
	    "pubtrail_http_deadline_cuts_total %llu\n", LD(m->deadline_cuts));
	if (atomic_load(&m->publishing))
		evbuffer_add_printf(o, "# HELP pubtrail_published_tree_size "
		    "Size of the checkpoint publish_dir holds.\n"
		    "# TYPE pubtrail_published_tree_size gauge\n"
		    "pubtrail_published_tree_size %llu\n"
		    "# HELP pubtrail_publish_errors_total publish_dir rounds "
		    "that failed (retried a second later).\n"
		    "# TYPE pubtrail_publish_errors_total counter\n"
		    "pubtrail_publish_errors_total %llu\n",
		    LD(m->published_size), LD(m->publish_errors));
	evbuffer_add_printf(o, "# HELP pubtrail_queue_length Submissions "
	    "verified or verifying, not yet committed.\n"
	    "# TYPE pubtrail_queue_length gauge\npubtrail_queue_length %llu\n",
	    (unsigned long long)queue_len);
	evbuffer_add_printf(o, "# HELP pubtrail_lmdb_map_used_bytes LMDB "
	    "pages in use.\n# TYPE pubtrail_lmdb_map_used_bytes gauge\n"
	    "pubtrail_lmdb_map_used_bytes %llu\n"
	    "# HELP pubtrail_lmdb_map_size_bytes LMDB map size.\n"
	    "# TYPE pubtrail_lmdb_map_size_bytes gauge\n"
	    "pubtrail_lmdb_map_size_bytes %llu\n",
	    (unsigned long long)map_used, (unsigned long long)map_size);
}
