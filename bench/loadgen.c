/*
 * loadgen.c: HTTP load generator for the benchmarks (libevent's HTTP
 * client, keep-alive, many connections, one request in flight per
 * connection, one event loop thread).
 *
 *   loadgen [options] add --key FILE --origin ORIGIN --tag TAG --n N
 *       POST /add with N distinct submissions, all signed (by KEY, for
 *       ORIGIN) before the clock starts; each is sent once.
 *   loadgen [options] get --path PATH      GET PATH again and again
 *   loadgen [options] proof --size N       GET /proof/inclusion for random
 *                                          indexes below N, size N
 *   loadgen [options] tiles --size N       GET random full level-0 hash
 *                                          tiles of a tree of size N
 *
 * options: --port P (required) --conns C (default 64) --duration S
 *          (default 10; add: until the N submissions are answered)
 *          --rate R (requests/s, 0 = as fast as answers come; default 0)
 *          --name NAME (figure prefix; default the mode)
 *          --seed S
 *
 * Prints FIG <name>_rate req/s, <name>_p50_ms, <name>_p99_ms, <name>_errors.
 * Any answer other than 200 is an error (the first is shown on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "bench.h"
#include "tile.h"

enum mode { M_ADD, M_GET, M_PROOF, M_TILES };

struct lg;

struct lconn {
	struct lg *g;
	struct evhttp_connection *ec;
	int busy;
	double t_send;
};

struct lg {
	struct event_base *base;
	struct event *tick;
	enum mode mode;
	const char *host;
	unsigned port;
	unsigned nconns;
	struct lconn *conns;
	double duration, rate, tokens, t_tick;
	double t0, t_end, t_last;
	int stopping;
	uint64_t seed;
	/* what to send */
	const char *path;
	uint64_t size;
	struct wire_buf *subs;		/* add: pre-signed bodies */
	uint64_t nsubs, next_sub;
	/* results */
	double *lat;
	uint64_t nlat, caplat, sent, done, errors;
	int shown_error;
	unsigned inflight;
};

static void send_one(struct lconn *c);

static void
record(struct lg *g, double l)
{
	if (g->nlat == g->caplat) {
		g->caplat = g->caplat ? 2 * g->caplat : 65536;
		g->lat = realloc(g->lat, g->caplat * sizeof(*g->lat));
		if (g->lat == NULL)
			bench_die("out of memory");
	}
	g->lat[g->nlat++] = l;
}

static int
more_work(struct lg *g)
{
	if (g->stopping)
		return 0;
	if (g->mode == M_ADD)
		return g->next_sub < g->nsubs;
	return bench_now() < g->t_end;
}

static void
on_done(struct evhttp_request *req, void *arg)
{
	struct lconn *c = arg;
	struct lg *g = c->g;
	double now = bench_now();
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;

	c->busy = 0;
	g->inflight--;
	g->done++;
	g->t_last = now;
	record(g, now - c->t_send);
	if (code != 200) {
		g->errors++;
		if (!g->shown_error) {
			char msg[256] = "";
			struct evbuffer *b = req != NULL ?
			    evhttp_request_get_input_buffer(req) : NULL;

			if (b != NULL)
				evbuffer_copyout(b, msg, sizeof(msg) - 1);
			fprintf(stderr, "loadgen: first error: HTTP %d %s\n",
			    code, msg);
			g->shown_error = 1;
		}
	}
	if (g->rate == 0 && more_work(g))
		send_one(c);
	else if (g->inflight == 0 && !more_work(g))
		event_base_loopexit(g->base, NULL);
}

static void
send_one(struct lconn *c)
{
	struct lg *g = c->g;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char path[256], tp[TILE_PATH_MAX];
	enum evhttp_cmd_type cmd = EVHTTP_REQ_GET;

	if ((req = evhttp_request_new(on_done, c)) == NULL)
		bench_die("evhttp_request_new");
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", g->host);
	switch (g->mode) {
	case M_ADD: {
		struct wire_buf *s = &g->subs[g->next_sub++];

		cmd = EVHTTP_REQ_POST;
		snprintf(path, sizeof(path), "/add");
		evhttp_add_header(h, "Content-Type", "application/msgpack");
		evbuffer_add(evhttp_request_get_output_buffer(req), s->data,
		    s->len);
		break;
	}
	case M_GET:
		snprintf(path, sizeof(path), "%s", g->path);
		break;
	case M_PROOF:
		snprintf(path, sizeof(path), "/proof/inclusion?index=%llu&"
		    "size=%llu", (unsigned long long)(bench_rand(&g->seed) %
		    g->size), (unsigned long long)g->size);
		break;
	case M_TILES: {
		struct tile t = { false, 0, 0, TILE_WIDTH };

		t.n = bench_rand(&g->seed) % (g->size / TILE_WIDTH);
		if (tile_path_format(&t, tp, sizeof(tp)) != 0)
			bench_die("tile path");
		snprintf(path, sizeof(path), "/%s", tp);
		break;
	}
	}
	c->busy = 1;
	c->t_send = bench_now();
	g->inflight++;
	g->sent++;
	if (evhttp_make_request(c->ec, req, cmd, path) != 0)
		bench_die("evhttp_make_request");
}

/* Paced mode: release rate*dt requests per tick to idle connections. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct lg *g = arg;
	double now = bench_now();

	(void)fd;
	(void)what;
	if (!more_work(g)) {
		event_del(g->tick);
		if (g->inflight == 0)
			event_base_loopexit(g->base, NULL);
		return;
	}
	g->tokens += (now - g->t_tick) * g->rate;
	g->t_tick = now;
	if (g->tokens > g->nconns)
		g->tokens = g->nconns;
	for (unsigned i = 0; i < g->nconns && g->tokens >= 1 &&
	    more_work(g); i++)
		if (!g->conns[i].busy) {
			send_one(&g->conns[i]);
			g->tokens -= 1;
		}
}

struct signer {
	pthread_t t;
	struct lg *g;
	const struct note_skey *k;
	const char *origin, *tag;
	uint64_t lo, hi;
	int rc;
};

static void *
sign_main(void *arg)
{
	struct signer *s = arg;

	for (uint64_t i = s->lo; i < s->hi && s->rc == 0; i++) {
		wire_buf_init(&s->g->subs[i]);
		s->rc = bench_signed_submission(s->k, s->origin, s->tag, i,
		    &s->g->subs[i]);
	}
	return NULL;
}

static void
presign(struct lg *g, const char *keyfile, const char *origin,
    const char *tag, uint64_t n)
{
	struct note_skey k;
	struct signer s[2];
	int rc;

	if ((rc = bench_load_key(keyfile, &k)) != 0)
		bench_die("%s: %s", keyfile, pt_strerror(rc));
	if ((g->subs = calloc(n, sizeof(*g->subs))) == NULL)
		bench_die("out of memory");
	g->nsubs = n;
	for (int i = 0; i < 2; i++) {
		s[i].g = g;
		s[i].k = &k;
		s[i].origin = origin;
		s[i].tag = tag;
		s[i].lo = n * (uint64_t)i / 2;
		s[i].hi = n * (uint64_t)(i + 1) / 2;
		s[i].rc = 0;
		if (pthread_create(&s[i].t, NULL, sign_main, &s[i]) != 0)
			bench_die("pthread_create");
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(s[i].t, NULL);
		if (s[i].rc != 0)
			bench_die("signing: %s", pt_strerror(s[i].rc));
	}
	note_skey_wipe(&k);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen --port P [--conns C] [--duration S] "
	    "[--rate R] [--name N]\n"
	    "         add --key FILE --origin O --tag T --n N | get --path P "
	    "| proof --size N | tiles --size N\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "conns", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'N' },
		{ "seed", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "origin", required_argument, NULL, 'o' },
		{ "tag", required_argument, NULL, 't' },
		{ "n", required_argument, NULL, 'n' },
		{ "path", required_argument, NULL, 'P' },
		{ "size", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct lg g;
	const char *name = NULL, *key = NULL, *origin = NULL, *tag = "b";
	uint64_t n = 0;
	struct timeval tv = { 0, 1000 };
	char fname[128];
	double elapsed;
	int ch;

	memset(&g, 0, sizeof(g));
	g.host = "127.0.0.1";
	g.nconns = 64;
	g.duration = 10;
	g.seed = 0x9e3779b97f4a7c15ULL;
	/* Options may come before or after the mode word. */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': g.port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': g.host = optarg; break;
		case 'c': g.nconns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': g.duration = strtod(optarg, NULL); break;
		case 'r': g.rate = strtod(optarg, NULL); break;
		case 'N': name = optarg; break;
		case 's': g.seed = strtoull(optarg, NULL, 10) | 1; break;
		case 'k': key = optarg; break;
		case 'o': origin = optarg; break;
		case 't': tag = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'P': g.path = optarg; break;
		case 'S': g.size = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || g.port == 0 || g.nconns == 0)
		usage();
	if (strcmp(argv[optind], "add") == 0) {
		g.mode = M_ADD;
		if (key == NULL || origin == NULL || n == 0)
			usage();
		presign(&g, key, origin, tag, n);
	} else if (strcmp(argv[optind], "get") == 0) {
		g.mode = M_GET;
		if (g.path == NULL)
			usage();
	} else if (strcmp(argv[optind], "proof") == 0) {
		g.mode = M_PROOF;
		if (g.size == 0)
			usage();
	} else if (strcmp(argv[optind], "tiles") == 0) {
		g.mode = M_TILES;
		if (g.size < TILE_WIDTH)
			usage();
	} else
		usage();
	if (name == NULL)
		name = argv[optind];

	if ((g.base = event_base_new()) == NULL ||
	    (g.conns = calloc(g.nconns, sizeof(*g.conns))) == NULL)
		bench_die("libevent");
	for (unsigned i = 0; i < g.nconns; i++) {
		g.conns[i].g = &g;
		g.conns[i].ec = evhttp_connection_base_new(g.base, NULL, g.host,
		    (uint16_t)g.port);
		if (g.conns[i].ec == NULL)
			bench_die("evhttp_connection_base_new");
		evhttp_connection_set_timeout(g.conns[i].ec, 60);
		evhttp_connection_set_retries(g.conns[i].ec, 0);
	}
	g.t0 = g.t_tick = bench_now();
	g.t_end = g.t0 + g.duration;
	if (g.rate > 0) {
		g.tick = event_new(g.base, -1, EV_PERSIST, on_tick, &g);
		event_add(g.tick, &tv);
	} else
		for (unsigned i = 0; i < g.nconns && more_work(&g); i++)
			send_one(&g.conns[i]);
	event_base_dispatch(g.base);
	elapsed = (g.t_last > g.t0 ? g.t_last : bench_now()) - g.t0;

	qsort(g.lat, g.nlat, sizeof(*g.lat), cmp_double);
	snprintf(fname, sizeof(fname), "%s_rate", name);
	bench_fig(fname, (double)g.done / elapsed, "req/s");
	if (g.nlat > 0) {
		snprintf(fname, sizeof(fname), "%s_p50", name);
		bench_fig(fname, 1000 * g.lat[g.nlat / 2], "ms");
		snprintf(fname, sizeof(fname), "%s_p99", name);
		bench_fig(fname, 1000 * g.lat[(g.nlat * 99) / 100], "ms");
	}
	snprintf(fname, sizeof(fname), "%s_errors", name);
	bench_fig(fname, (double)g.errors, "requests");
	fprintf(stderr, "loadgen %s: %llu answers in %.2f s, %llu errors, "
	    "%u connections%s\n", name, (unsigned long long)g.done, elapsed,
	    (unsigned long long)g.errors, g.nconns, g.rate > 0 ? ", paced" :
	    "");

	for (unsigned i = 0; i < g.nconns; i++)
		evhttp_connection_free(g.conns[i].ec);
	if (g.tick != NULL)
		event_free(g.tick);
	event_base_free(g.base);
	for (uint64_t i = 0; i < g.nsubs; i++)
		wire_buf_free(&g.subs[i]);
	free(g.subs);
	free(g.lat);
	free(g.conns);
	return 0;
}
