/*
 * baseline.c: this machine's own limits, measured in the same run as the
 * pubtrail figures they are set beside (bench/README.md).
 *
 *   baseline ed25519 THREADS SECONDS   Ed25519 verifications/s, THREADS
 *                                      threads, a submission-sized message
 *   baseline sha256 THREADS SECONDS    RFC 9162 leaf hashes/s of a typical
 *                                      entry (mt_leaf_hash, 480 bytes)
 *   baseline lmdb DIR N [V]            LMDB puts/s: N puts of 8-byte
 *                                      increasing keys and V-byte values
 *                                      (default 32; figure lmdb_puts, or
 *                                      lmdb_puts_V for another V), 10,000
 *                                      per fsynced commit, default
 *                                      (durable) flags
 *   baseline files DIR N               new files/s: N files of a receipt's
 *                                      size (1,600 bytes) made in the new
 *                                      directory DIR, each open(O_CREAT |
 *                                      O_EXCL), write, close; the file
 *                                      system's floor for pubtrail
 *                                      submit's receipts (figure
 *                                      files_create; nothing deleted)
 *   baseline httpd PORT                a trivial evhttp handler (200, 3
 *                                      bytes) on 127.0.0.1:PORT, one event
 *                                      loop thread, until SIGTERM
 *
 * Prints FIG lines (bench.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "bench.h"
#include "crypto.h"
#include "mt.h"

struct thr {
	pthread_t t;
	double seconds;
	uint64_t done;
	int kind;		/* 0 ed25519, 1 sha256 */
	int failed;
};

static void *
thr_main(void *arg)
{
	struct thr *t = arg;
	uint8_t seed[32], pub[32], sig[64], msg[480];
	struct mt_hash h;
	double end;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 131 + 7);
	if (cr_ed25519_keygen(seed, pub) != 0 ||
	    cr_ed25519_sign(seed, msg, 330, sig) != 0) {
		t->failed = 1;
		return NULL;
	}
	end = bench_now() + t->seconds;
	while (bench_now() < end) {
		for (int k = 0; k < 64; k++) {
			if (t->kind == 0) {
				if (cr_ed25519_verify(pub, msg, 330, sig) != 0)
					t->failed = 1;
			} else {
				msg[0] = (uint8_t)k;
				if (mt_leaf_hash(msg, sizeof(msg), &h) != 0)
					t->failed = 1;
			}
		}
		t->done += 64;
	}
	return NULL;
}

static void
run_threads(int kind, unsigned n, double seconds)
{
	struct thr *t = calloc(n, sizeof(*t));
	uint64_t total = 0;
	double t0, dt;
	char name[64];

	if (t == NULL)
		bench_die("out of memory");
	t0 = bench_now();
	for (unsigned i = 0; i < n; i++) {
		t[i].seconds = seconds;
		t[i].kind = kind;
		if (pthread_create(&t[i].t, NULL, thr_main, &t[i]) != 0)
			bench_die("pthread_create");
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(t[i].t, NULL);
		if (t[i].failed)
			bench_die("crypto failed");
		total += t[i].done;
	}
	dt = bench_now() - t0;
	snprintf(name, sizeof(name), "%s_%ut", kind == 0 ? "ed25519_verify" :
	    "sha256_leaf", n);
	bench_fig(name, (double)total / dt, kind == 0 ? "verifications/s" :
	    "hashes/s");
	free(t);
}

static void
lmdb_puts(const char *dir, uint64_t n, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t kb[8], vb[4096];
	MDB_val k = { 8, kb }, v = { vlen, vb };
	char name[64];
	double t0, dt;
	int rc;

	if (vlen == 0 || vlen > sizeof(vb))
		bench_die("lmdb: value size 1..%zu", sizeof(vb));
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		bench_die("%s: %s", dir, strerror(errno));
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, 16ULL << 30)) != 0 ||
	    (rc = mdb_env_open(env, dir, 0, 0600)) != 0)
		bench_die("lmdb: %s", mdb_strerror(rc));
	memset(vb, 0x5a, sizeof(vb));
	t0 = bench_now();
	for (uint64_t i = 0; i < n; ) {
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
		    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
			bench_die("lmdb: %s", mdb_strerror(rc));
		for (uint64_t j = 0; j < 10000 && i < n; j++, i++) {
			for (int b = 0; b < 8; b++)
				kb[b] = (uint8_t)(i >> (56 - 8 * b));
			vb[0] = (uint8_t)i;
			if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0)
				bench_die("lmdb put: %s", mdb_strerror(rc));
		}
		if ((rc = mdb_txn_commit(txn)) != 0)
			bench_die("lmdb commit: %s", mdb_strerror(rc));
	}
	dt = bench_now() - t0;
	mdb_env_close(env);
	if (vlen == 32)
		snprintf(name, sizeof(name), "lmdb_puts");
	else
		snprintf(name, sizeof(name), "lmdb_puts_%zu", vlen);
	bench_fig(name, (double)n / dt, "puts/s");
}

static void
on_req(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	(void)arg;
	evbuffer_add(b, "ok\n", 3);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static void
httpd(unsigned port)
{
	struct event_base *base = event_base_new();
	struct evhttp *h;
	struct event *st, *si;

	if (base == NULL || (h = evhttp_new(base)) == NULL)
		bench_die("libevent");
	evhttp_set_gencb(h, on_req, NULL);
	if (evhttp_bind_socket(h, "127.0.0.1", (uint16_t)port) != 0)
		bench_die("cannot listen on 127.0.0.1:%u", port);
	st = evsignal_new(base, SIGTERM, on_signal, base);
	si = evsignal_new(base, SIGINT, on_signal, base);
	event_add(st, NULL);
	event_add(si, NULL);
	event_base_dispatch(base);
	event_free(st);
	event_free(si);
	evhttp_free(h);
	event_base_free(base);
}

static void
files_create(const char *dir, uint64_t n)
{
	char path[4096], data[1600];
	double t0;

	memset(data, 'r', sizeof(data));
	if (mkdir(dir, 0755) != 0)
		bench_die("files: %s: %s", dir, strerror(errno));
	t0 = bench_now();
	for (uint64_t i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/bench-%llu.receipt", dir,
		    (unsigned long long)i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644)) < 0 || write(fd, data, sizeof(data)) !=
		    (ssize_t)sizeof(data) || close(fd) != 0)
			bench_die("files: %s: %s", path, strerror(errno));
	}
	bench_fig("files_create", (double)n / (bench_now() - t0), "files/s");
}

static void
usage(void)
{
	fprintf(stderr, "usage: baseline ed25519|sha256 THREADS SECONDS\n"
	    "       baseline lmdb DIR N [VALUE_BYTES]\n"
	    "       baseline files DIR N\n"
	    "       baseline httpd PORT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	if (strcmp(argv[1], "ed25519") == 0 && argc == 4)
		run_threads(0, (unsigned)strtoul(argv[2], NULL, 10),
		    strtod(argv[3], NULL));
	else if (strcmp(argv[1], "sha256") == 0 && argc == 4)
		run_threads(1, (unsigned)strtoul(argv[2], NULL, 10),
		    strtod(argv[3], NULL));
	else if (strcmp(argv[1], "lmdb") == 0 && (argc == 4 || argc == 5))
		lmdb_puts(argv[2], strtoull(argv[3], NULL, 10),
		    argc == 5 ? strtoul(argv[4], NULL, 10) : 32);
	else if (strcmp(argv[1], "files") == 0 && argc == 4)
		files_create(argv[2], strtoull(argv[3], NULL, 10));
	else if (strcmp(argv[1], "httpd") == 0 && argc == 3)
		httpd((unsigned)strtoul(argv[2], NULL, 10));
	else
		usage();
	return 0;
}
