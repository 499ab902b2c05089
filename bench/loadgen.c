/*
 * loadgen.c: HTTP load generator for the benchmarks: keep-alive HTTP/1.1
 * over many connections, one request in flight per connection, one
 * libevent loop thread.  It runs on the same cores as the server it
 * measures, so it is kept light: plain sockets instead of evhttp's client,
 * each request written with one write(2) (POST /add requests are built
 * whole, headers and body, before the clock starts), and only what is
 * needed of each answer parsed: the status line and Content-Length; the
 * body is read to its end and dropped.
 *
 *   loadgen [options] add --key FILE --origin ORIGIN --tag TAG --n N
 *       [--batch B]  (B submissions per POST /add: a batch, docs/API.md;
 *       each answer's items with status 200 are counted: <name>_entries)
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
 * Any answer other than 200 is an error (the first is shown on stderr), and
 * so is a connection that breaks or stays silent for 60 s with a request
 * in flight (the next request opens a new connection).
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"
#include "tile.h"

#define LG_HDR_MAX	16384		/* response header bytes */
#define LG_TIMEOUT_S	60		/* no answer for this long: error */

enum mode { M_ADD, M_GET, M_PROOF, M_TILES };

struct lg;

struct lconn {
	struct lg *g;
	int fd;				/* -1: not connected */
	struct event *rev, *wev;
	int busy;
	double t_send;
	/* request bytes not yet written */
	const char *wp;
	size_t wleft;
	char req[TILE_PATH_MAX + 512];	/* GET requests are built here */
	/* answer being read */
	char hdr[LG_HDR_MAX];
	size_t hlen;
	int in_body, status;
	uint64_t body_left;
	char msg[256];			/* start of the body (first error) */
	size_t msglen;
	/* batch answers: items answered 200 (a rolling tail of the body) */
	unsigned char tail[8];
	size_t ntail;
	uint64_t items_ok;
};

struct lg {
	struct event_base *base;
	struct event *tick;
	enum mode mode;
	const char *host;
	unsigned port;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned nconns;
	struct lconn *conns;
	double duration, rate, tokens, t_tick;
	double t0, t_end, t_last;
	int stopping;
	uint64_t seed;
	/* what to send */
	const char *path;
	uint64_t size;
	struct wire_buf *subs;		/* add: whole pre-built requests */
	uint64_t nsubs, next_sub;
	unsigned batch;			/* add: submissions per request */
	uint64_t items_ok;
	/* results */
	double *lat;
	uint64_t nlat, caplat, sent, done, errors;
	int shown_error;
	unsigned inflight;
};

static void send_one(struct lconn *c);
static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);

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
conn_open(struct lconn *c)
{
	struct lg *g = c->g;
	struct timeval tv = { LG_TIMEOUT_S, 0 };
	int one = 1, fd;

	fd = socket(g->addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&g->addr, g->addrlen)
	    != 0)
		bench_die("connect to %s:%u: %s", g->host, g->port,
		    strerror(errno));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		bench_die("socket options: %s", strerror(errno));
	c->fd = fd;
	c->rev = event_new(g->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(g->base, fd, EV_WRITE, on_write, c);
	if (c->rev == NULL || c->wev == NULL || event_add(c->rev, &tv) != 0)
		bench_die("libevent");
}

static void
conn_close(struct lconn *c)
{
	if (c->fd < 0)
		return;
	event_free(c->rev);
	event_free(c->wev);
	close(c->fd);
	c->fd = -1;
	c->rev = c->wev = NULL;
}

/* The answer in flight on c is complete (status 0: none came). */
static void
finish(struct lconn *c, int status)
{
	struct lg *g = c->g;
	double now = bench_now();

	c->busy = 0;
	c->in_body = 0;
	c->hlen = 0;
	g->items_ok += c->items_ok;
	c->items_ok = 0;
	c->ntail = 0;
	g->inflight--;
	g->done++;
	g->t_last = now;
	record(g, now - c->t_send);
	if (status != 200) {
		g->errors++;
		if (!g->shown_error) {
			fprintf(stderr, "loadgen: first error: HTTP %d %.*s\n",
			    status, (int)c->msglen, c->msg);
			g->shown_error = 1;
		}
	}
	if (g->rate == 0 && more_work(g))
		send_one(c);
	else if (g->inflight == 0 && !more_work(g))
		event_base_loopexit(g->base, NULL);
}

/* The connection broke or timed out: the request in flight is an error;
 * the next request opens a new connection. */
static void
conn_fail(struct lconn *c, const char *why)
{
	int busy = c->busy;

	conn_close(c);
	if (busy) {
		snprintf(c->msg, sizeof(c->msg), "(%s)", why);
		c->msglen = strlen(c->msg);
		finish(c, 0);
	}
}

/*
 * Status line and Content-Length of a complete header block h (NUL
 * terminated, ends with CRLF CRLF).  0, or -1 when it is not an HTTP/1.x
 * answer with a Content-Length (the daemon and nginx always send one).
 */
static int
parse_head(const char *h, int *status, uint64_t *clen)
{
	const char *p;
	char *end;
	int have = 0;

	if (strncmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ')
		return -1;
	*status = (int)strtol(h + 9, &end, 10);
	if (end != h + 12 || *status < 100 || *status > 599)
		return -1;
	for (p = strstr(h, "\r\n"); p != NULL && p[2] != '\r';
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0) {
			*clen = strtoull(p + 17, &end, 10);
			have = 1;
		} else if (strncasecmp(p + 2, "Transfer-Encoding:", 18) == 0)
			return -1;
	}
	return have ? 0 : -1;
}

/* A batch answer's results with status 200 hold these bytes:
 * "status" (fixstr 6) and 200 (uint8). */
static const unsigned char ok_pat[9] = { 0xa6, 's', 't', 'a', 't', 'u',
    's', 0xcc, 0xc8 };

/*
 * Count ok_pat in the body bytes p[0..n), also across reads: a match that
 * begins in the previous read's last bytes (c->tail) is looked for in the
 * tail and this read's first bytes, the others with memmem.  The pattern
 * overlaps no shift of itself, so matches never overlap.  (A byte-by-byte
 * window cost ~5 ns a byte, 7 us of the load generator's CPU per entry,
 * taken from the daemon on the same cores.)
 */
static void
count_ok(struct lconn *c, const unsigned char *p, size_t n)
{
	const size_t pl = sizeof(ok_pat), keep_max = sizeof(c->tail);
	unsigned char w[2 * sizeof(ok_pat)];
	size_t head = n < keep_max ? n : keep_max, wl, keep;
	const unsigned char *q = p, *m;

	memcpy(w, c->tail, c->ntail);
	memcpy(w + c->ntail, p, head);
	wl = c->ntail + head;
	for (size_t i = 0; i < c->ntail && i + pl <= wl; i++)
		if (memcmp(w + i, ok_pat, pl) == 0)
			c->items_ok++;
	while ((size_t)(p + n - q) >= pl &&
	    (m = memmem(q, (size_t)(p + n - q), ok_pat, pl)) != NULL) {
		c->items_ok++;
		q = (const unsigned char *)m + pl;
	}
	/* the last keep_max bytes seen, for the next read */
	if (n >= keep_max) {
		memcpy(c->tail, p + n - keep_max, keep_max);
		c->ntail = keep_max;
	} else {
		keep = wl < keep_max ? wl : keep_max;
		memmove(c->tail, w + wl - keep, keep);
		c->ntail = keep;
	}
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	static char buf[65536];
	struct lconn *c = arg;
	const char *p;
	ssize_t n;
	size_t off = 0;

	if (what & EV_TIMEOUT) {
		if (c->busy)
			conn_fail(c, "no answer within the time-out");
		return;
	}
	if ((n = read(fd, buf, sizeof(buf))) <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_fail(c, n == 0 ? "connection closed" : strerror(errno));
		return;
	}
	if (!c->busy)
		bench_die("answer bytes with no request in flight");
	if (!c->in_body) {
		size_t take = (size_t)n, from = c->hlen > 3 ? c->hlen - 3 : 0;
		uint64_t clen = 0;

		if (take > sizeof(c->hdr) - 1 - c->hlen)
			take = sizeof(c->hdr) - 1 - c->hlen;
		memcpy(c->hdr + c->hlen, buf, take);
		c->hlen += take;
		c->hdr[c->hlen] = '\0';
		if ((p = strstr(c->hdr + from, "\r\n\r\n")) == NULL) {
			if (c->hlen == sizeof(c->hdr) - 1)
				bench_die("answer headers over %d bytes",
				    LG_HDR_MAX);
			return;
		}
		if (parse_head(c->hdr, &c->status, &clen) != 0)
			bench_die("not an HTTP/1.x answer with a Content-Length:"
			    " %.80s", c->hdr);
		/* The body's bytes already read. */
		off = (size_t)(p + 4 - c->hdr) - (c->hlen - take);
		c->in_body = 1;
		c->body_left = clen;
		c->msglen = 0;
	}
	if (c->msglen < sizeof(c->msg) && c->status != 200) {
		size_t m = (size_t)n - off;

		if (m > sizeof(c->msg) - c->msglen)
			m = sizeof(c->msg) - c->msglen;
		memcpy(c->msg + c->msglen, buf + off, m);
		c->msglen += m;
	}
	if ((uint64_t)n - off > c->body_left)
		bench_die("bytes after the answer's body (nothing was "
		    "pipelined)");
	if (c->g->batch > 1 && c->status == 200)
		count_ok(c, (const unsigned char *)buf + off, (size_t)n - off);
	c->body_left -= (uint64_t)n - off;
	if (c->body_left == 0)
		finish(c, c->status);
}

/* Write what is left of the request; wait for writability if the socket
 * is full. */
static void
flush_req(struct lconn *c)
{
	ssize_t n;

	while (c->wleft > 0) {
		if ((n = write(c->fd, c->wp, c->wleft)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (event_add(c->wev, NULL) != 0)
					bench_die("libevent");
				return;
			}
			conn_fail(c, strerror(errno));
			return;
		}
		c->wp += n;
		c->wleft -= (size_t)n;
	}
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_req(arg);
}

static void
send_one(struct lconn *c)
{
	struct lg *g = c->g;
	char tp[TILE_PATH_MAX];
	int n = 0;

	if (c->fd < 0)
		conn_open(c);
	switch (g->mode) {
	case M_ADD: {
		struct wire_buf *s = &g->subs[g->next_sub++];

		c->wp = (const char *)s->data;
		c->wleft = s->len;
		break;
	}
	case M_GET:
		n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\n\r\n", g->path, g->host);
		break;
	case M_PROOF:
		n = snprintf(c->req, sizeof(c->req), "GET /proof/inclusion?"
		    "index=%llu&size=%llu HTTP/1.1\r\nHost: %s\r\n\r\n",
		    (unsigned long long)(bench_rand(&g->seed) % g->size),
		    (unsigned long long)g->size, g->host);
		break;
	case M_TILES: {
		struct tile t = { false, 0, 0, TILE_WIDTH };

		t.n = bench_rand(&g->seed) % (g->size / TILE_WIDTH);
		if (tile_path_format(&t, tp, sizeof(tp)) != 0)
			bench_die("tile path");
		n = snprintf(c->req, sizeof(c->req), "GET /%s HTTP/1.1\r\n"
		    "Host: %s\r\n\r\n", tp, g->host);
		break;
	}
	}
	if (g->mode != M_ADD) {
		if (n < 0 || (size_t)n >= sizeof(c->req))
			bench_die("request too long");
		c->wp = c->req;
		c->wleft = (size_t)n;
	}
	c->busy = 1;
	c->hlen = 0;
	c->in_body = 0;
	c->t_send = bench_now();
	g->inflight++;
	g->sent++;
	flush_req(c);
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

/* g->host:g->port as a numeric address (no DNS). */
static void
resolve(struct lg *g)
{
	struct addrinfo hints, *ai;
	char port[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", g->port);
	if ((rc = getaddrinfo(g->host, port, &hints, &ai)) != 0)
		bench_die("%s: %s (a numeric address is needed)", g->host,
		    gai_strerror(rc));
	memcpy(&g->addr, ai->ai_addr, ai->ai_addrlen);
	g->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
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

	struct wire_buf body;
	char head[512];
	int n;

	wire_buf_init(&body);
	for (uint64_t i = s->lo; i < s->hi && s->rc == 0; i++) {
		struct wire_buf *r = &s->g->subs[i];

		wire_buf_init(r);
		body.len = 0;
		if ((s->rc = bench_signed_submission(s->k, s->origin, s->tag,
		    i, &body)) != 0)
			break;
		if (s->g->batch > 1) {
			/* batched: the requests are built after signing */
			s->rc = wire_buf_append(r, body.data, body.len);
			continue;
		}
		/* The whole request, written with one write(2). */
		n = snprintf(head, sizeof(head), "POST /add HTTP/1.1\r\n"
		    "Host: %s\r\nContent-Type: application/msgpack\r\n"
		    "Content-Length: %zu\r\n\r\n", s->g->host, body.len);
		if (n < 0 || (size_t)n >= sizeof(head))
			bench_die("host name too long");
		if ((s->rc = wire_buf_append(r, head, (size_t)n)) == 0)
			s->rc = wire_buf_append(r, body.data, body.len);
	}
	wire_buf_free(&body);
	return NULL;
}

/* Group the signed submissions in g->subs into requests of g->batch
 * (a msgpack array each), which replace them. */
static void
build_batches(struct lg *g)
{
	uint64_t nreq = (g->nsubs + g->batch - 1) / g->batch;
	struct wire_buf *req = calloc(nreq, sizeof(*req)), arr;
	char head[512];

	if (req == NULL)
		bench_die("out of memory");
	wire_buf_init(&arr);
	for (uint64_t r = 0; r < nreq; r++) {
		uint64_t lo = r * g->batch, hi = lo + g->batch;
		int n;

		if (hi > g->nsubs)
			hi = g->nsubs;
		arr.len = 0;
		if (wire_enc_array(&arr, (size_t)(hi - lo)) != 0)
			bench_die("out of memory");
		for (uint64_t i = lo; i < hi; i++)
			if (wire_buf_append(&arr, g->subs[i].data,
			    g->subs[i].len) != 0)
				bench_die("out of memory");
		n = snprintf(head, sizeof(head), "POST /add HTTP/1.1\r\n"
		    "Host: %s\r\nContent-Type: application/msgpack\r\n"
		    "Content-Length: %zu\r\n\r\n", g->host, arr.len);
		wire_buf_init(&req[r]);
		if (n < 0 || (size_t)n >= sizeof(head) ||
		    wire_buf_append(&req[r], head, (size_t)n) != 0 ||
		    wire_buf_append(&req[r], arr.data, arr.len) != 0)
			bench_die("out of memory");
	}
	for (uint64_t i = 0; i < g->nsubs; i++)
		wire_buf_free(&g->subs[i]);
	free(g->subs);
	wire_buf_free(&arr);
	g->subs = req;
	g->nsubs = nreq;
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
	if (g->batch > 1)
		build_batches(g);
}

/* CPU seconds used by the calling thread (the event loop). */
static double
thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	    "         add --key FILE --origin O --tag T --n N [--batch B] "
	    "| get --path P "
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
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct lg g;
	const char *name = NULL, *key = NULL, *origin = NULL, *tag = "b";
	uint64_t n = 0;
	struct timeval tv = { 0, 1000 };
	char fname[128];
	double elapsed, cpu0;
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
		case 'b': g.batch = (unsigned)strtoul(optarg, NULL, 10); break;
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
	resolve(&g);
	for (unsigned i = 0; i < g.nconns; i++) {
		g.conns[i].g = &g;
		g.conns[i].fd = -1;
		conn_open(&g.conns[i]);
	}
	cpu0 = thread_cpu();
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
	if (g.batch > 1) {
		snprintf(fname, sizeof(fname), "%s_entries", name);
		bench_fig(fname, (double)g.items_ok / elapsed, "entries/s");
		snprintf(fname, sizeof(fname), "%s_entries_n", name);
		bench_fig(fname, (double)g.items_ok, "entries");
	}
	fprintf(stderr, "loadgen %s: %llu answers in %.2f s, %llu errors, "
	    "%u connections%s, %.1f us of loadgen CPU per answer\n", name,
	    (unsigned long long)g.done, elapsed, (unsigned long long)g.errors,
	    g.nconns, g.rate > 0 ? ", paced" : "", g.done > 0 ?
	    1e6 * (thread_cpu() - cpu0) / (double)g.done : 0.0);

	for (unsigned i = 0; i < g.nconns; i++)
		conn_close(&g.conns[i]);
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
