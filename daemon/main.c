/*
 * main.c: pubtraild start-up, signals and shutdown.
 *
 * Start-up order: options and config; data directory (created on first
 * start, with a new log key); the store (exclusive lock); identity checks
 * (the latest checkpoint verifies with the log key and matches the stored
 * tree; the copy kept outside LMDB is not ahead of it; the clock has not
 * gone back); then the sequencer and the HTTP server.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "api.h"
#include "cfg.h"
#include "ckpt.h"
#include "crypto.h"
#include "env.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "seq.h"
#include "store.h"
#include "subm.h"
#include "witc.h"

#define CLOCK_SKEW_MS 2000	/* tolerated backwards step of the clock */

static void
usage(FILE *out)
{
	fprintf(out,
"usage: pubtraild [-n] [--config FILE] [--data DIR] [--listen HOST:PORT]\n"
"                 [--origin ORIGIN] [--check-full] [-v] [--help] [--version]\n"
"\n"
"pubtraild runs a pubtrail transparency log: it appends signed public\n"
"records to an RFC 9162 Merkle tree in LMDB and serves C2SP checkpoints,\n"
"tiles and proofs over HTTP.  With no options it uses ./pubtrail-data and\n"
"listens on 127.0.0.1:%d; on first start it creates the directory and a\n"
"new log key (log.key, log.vkey).\n"
"\n"
"  --data DIR         data directory (config key: data)\n"
"  --listen HOST:PORT address to listen on (config key: listen)\n"
"  --origin ORIGIN    log origin when a new log is created (config: origin)\n"
"  --witness-policy FILE  ask the witnesses of this C2SP tlog-policy file to\n"
"                     cosign checkpoints (config key: witness_policy)\n"
"  --config FILE      read an INI config file (see pubtraild.conf(5))\n"
"  -n                 check the configuration and exit\n"
"  --check-full       recompute every hash from the stored entries, name the\n"
"                     first bad index, and exit (0 good, 1 bad)\n"
"  -v                 log debug messages\n"
"  --help, --version\n"
"\n"
"Config keys (INI, top level or [pubtraild]):\n", CFG_DEFAULT_PORT);
	cfg_describe(out);
	fprintf(out, "\nSignals: SIGHUP re-reads the submitters file and the "
	    "config's limits;\nSIGTERM/SIGINT finish the batch in flight, "
	    "commit, and exit 0.\n");
}

static int
read_small_file(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return PT_EIO;
	while ((n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (n < 0 || got == cap)
		return PT_EIO;
	buf[got] = '\0';
	*len = got;
	return 0;
}

/* Write path atomically and durably (temp + fsync + rename + dir fsync). */
static int
write_file_durable(const char *dir, const char *name, const char *data,
    size_t len, mode_t mode)
{
	char tmp[CFG_PATH_MAX + 64], dst[CFG_PATH_MAX + 64];
	int fd, dfd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return PT_EIO;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return PT_EIO;
	}
	close(fd);
	if (rename(tmp, dst) != 0)
		return PT_EIO;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		int rc = fsync(dfd);

		close(dfd);
		if (rc != 0)
			return PT_EIO;
	}
	return 0;
}

static void
default_origin(char *out, size_t cap)
{
	char host[256] = "localhost";

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, cap, "%s/pubtrail", host);
}

/* Load DIR/log.key, or create it (and log.vkey) for a new log. */
static void
load_or_create_key(const char *origin_opt, int origin_given)
{
	char path[CFG_PATH_MAX + 16], buf[1024];
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/log.key", env.cfg.data);
	if (access(path, F_OK) != 0) {
		char origin[PT_MAX_ORIGIN + 1];
		char skey[512];

		if (strlen(origin_opt) > PT_MAX_ORIGIN)
			fatalx("origin longer than %d bytes", PT_MAX_ORIGIN);
		if (origin_opt[0] != '\0')
			memcpy(origin, origin_opt, strlen(origin_opt) + 1);
		else
			default_origin(origin, sizeof(origin));
		if ((rc = note_keygen(origin, NOTE_ALG_ED25519,
		    &env.logkey)) != 0)
			fatalx("cannot create a log key for origin \"%s\": %s"
			    " (an origin must be a valid key name: no spaces,"
			    " no '+')", origin, pt_strerror(rc));
		if (note_skey_format(&env.logkey, skey, sizeof(skey)) != 0 ||
		    note_vkey_format(&env.logkey.vk, env.logvkey_str,
		    sizeof(env.logvkey_str)) != 0)
			fatalx("cannot format the new log key");
		len = strlen(skey);
		skey[len++] = '\n';
		if (write_file_durable(env.cfg.data, "log.key", skey, len,
		    0600) != 0)
			fatalx("cannot write %s: %s", path, strerror(errno));
		cr_wipe(skey, sizeof(skey));
		snprintf(buf, sizeof(buf), "%s\n", env.logvkey_str);
		if (write_file_durable(env.cfg.data, "log.vkey", buf,
		    strlen(buf), 0644) != 0)
			fatalx("cannot write %s/log.vkey", env.cfg.data);
		log_info("created a new log \"%s\" in %s; verifier key: %s",
		    origin, env.cfg.data, env.logvkey_str);
	} else {
		struct stat st;

		if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
			log_warnx("%s is readable by others (mode %o); it "
			    "should be 0600", path, st.st_mode & 0777);
		if (read_small_file(path, buf, sizeof(buf), &len) != 0)
			fatalx("cannot read %s", path);
		while (len > 0 && (buf[len - 1] == '\n' ||
		    buf[len - 1] == '\r'))
			len--;
		rc = note_skey_parse(buf, len, &env.logkey);
		cr_wipe(buf, sizeof(buf));
		if (rc != 0)
			fatalx("%s: not a C2SP private key string: %s", path,
			    pt_strerror(rc));
		if (env.logkey.vk.alg != NOTE_ALG_ED25519)
			fatalx("%s: the log key must be Ed25519", path);
		if (note_vkey_format(&env.logkey.vk, env.logvkey_str,
		    sizeof(env.logvkey_str)) != 0)
			fatalx("cannot format the log's verifier key");
		if (origin_given && strcmp(origin_opt, env.logkey.vk.name) != 0)
			fatalx("--origin \"%s\" differs from this log's "
			    "origin \"%s\" (set when the log was created)",
			    origin_opt, env.logkey.vk.name);
	}
	env.logvkey = env.logkey.vk;
	if (strlen(env.logkey.vk.name) > PT_MAX_ORIGIN)
		fatalx("origin too long");
	snprintf(env.origin, sizeof(env.origin), "%s", env.logkey.vk.name);
}

static void
load_submitters(int fatal)
{
	char path[CFG_PATH_MAX + 16];
	struct pt_why why = { "" };
	struct subm_list *l;

	if (env.cfg.submitters[0] != '\0')
		snprintf(path, sizeof(path), "%s", env.cfg.submitters);
	else
		snprintf(path, sizeof(path), "%s/submitters", env.cfg.data);
	if (subm_load(path, &l, &why) != 0) {
		if (fatal)
			fatalx("%s", why.text);
		log_warnx("not reloaded: %s", why.text);
		return;
	}
	subm_carry(l, env.subm);
	subm_free(env.subm);
	env.subm = l;
	log_info("%zu allowed submitter%s (%s)", l->n, l->n == 1 ? "" : "s",
	    path);
}

/* Sign and commit the checkpoint of the empty tree (new logs). */
static void
init_empty_log(void)
{
	struct store_batch *b;
	struct ckpt *c = calloc(1, sizeof(*c));
	char body[PT_NOTE_MAX], note[PT_NOTE_MAX + 1];
	size_t blen, nlen;
	int rc;

	if (c == NULL)
		fatalx("out of memory");
	snprintf(c->origin, sizeof(c->origin), "%s", env.origin);
	c->size = 0;
	mt_empty_root(&c->root);
	if ((rc = ckpt_format(c, body, sizeof(body), &blen)) != 0 ||
	    (rc = note_sign(body, blen, &env.logkey, 1, 0, note,
	    sizeof(note), &nlen)) != 0)
		fatalx("cannot sign the empty checkpoint: %s",
		    pt_strerror(rc));
	free(c);
	if ((rc = store_batch_begin(env.store, &b)) != 0 ||
	    (rc = store_batch_set_checkpoint(b, note, nlen, 0)) != 0 ||
	    (rc = store_batch_commit(b)) != 0)
		fatalx("cannot initialise the store: %s", pt_strerror(rc));
}

/*
 * Bounded start-up integrity check (the full one is --check-full): the
 * newest entries (up to one tile) hash to their stored leaf hashes, and
 * each stored hash on the tree's right edge equals the hash of its stored
 * children.  O(256 + log n) reads.
 */
static void
quick_check(struct store_txn *t, uint64_t size)
{
	struct mt_reader r;
	uint64_t first = size > 256 ? size - 256 : 0, off = 0;
	int rc;

	store_txn_reader(t, &r);
	for (uint64_t i = first; i < size; i++) {
		const uint8_t *e;
		size_t elen;
		struct mt_hash want, got;

		if ((rc = store_get_entry(t, i, &e, &elen)) != 0 ||
		    (rc = mt_leaf_hash(e, elen, &want)) != 0 ||
		    (rc = r.read(r.ctx, 0, i, &got)) != 0)
			fatalx("integrity: entry %llu unreadable: %s; run "
			    "--check-full", (unsigned long long)i,
			    pt_strerror(rc));
		if (cr_memcmp(want.b, got.b, MT_HASH_SIZE) != 0)
			fatalx("integrity: entry %llu does not match its stored "
			    "leaf hash (a flipped bit?); refusing to sign over "
			    "it; run --check-full", (unsigned long long)i);
	}
	for (int bit = 63; bit >= 1; bit--) {
		struct mt_hash node, l, rr, want;
		uint64_t n;

		if (!(size & (1ULL << bit)))
			continue;
		n = off >> bit;
		if ((rc = r.read(r.ctx, (unsigned)bit, n, &node)) != 0 ||
		    (rc = r.read(r.ctx, (unsigned)bit - 1, 2 * n, &l)) != 0 ||
		    (rc = r.read(r.ctx, (unsigned)bit - 1, 2 * n + 1, &rr)) != 0
		    || (rc = mt_node_hash(&l, &rr, &want)) != 0)
			fatalx("integrity: stored hash (%d, %llu) unreadable: %s",
			    bit, (unsigned long long)n, pt_strerror(rc));
		if (cr_memcmp(want.b, node.b, MT_HASH_SIZE) != 0)
			fatalx("integrity: stored hash at level %d index %llu "
			    "differs from the hash of its children; refusing "
			    "to sign over it; run --check-full", bit,
			    (unsigned long long)n);
		off += 1ULL << bit;
	}
}

/*
 * Identity checks: refuse to run on a store that does not match its own
 * signed checkpoint, that is behind the checkpoint copy kept outside LMDB
 * (an old backup), or when the clock has gone back.  Returns the last
 * integration time.
 */
static uint64_t
check_identity(void)
{
	struct store_txn *t;
	struct mt_reader r;
	struct ckpt *c = calloc(1, sizeof(*c)), *cc = calloc(1, sizeof(*cc));
	struct mt_hash root;
	const char *note;
	size_t len, clen;
	uint64_t size, time_ms, now;
	char *copy = NULL;
	int rc;

	if (c == NULL || cc == NULL)
		fatalx("out of memory");
	if ((rc = store_read_begin(env.store, &t)) != 0)
		fatalx("store: %s", pt_strerror(rc));
	if ((rc = store_latest_checkpoint(t, &note, &len, &size,
	    &time_ms)) != 0)
		fatalx("store has no signed checkpoint: %s", pt_strerror(rc));
	if ((rc = ckpt_open(note, len, &env.logvkey, NULL, 0, c, NULL)) != 0)
		fatalx("the latest stored checkpoint does not verify with the "
		    "log key %s: %s", env.logvkey_str, pt_strerror(rc));
	if (c->size != size || size != store_size(env.store))
		fatalx("stored tree size %llu does not match the latest "
		    "checkpoint's %llu", (unsigned long long)
		    store_size(env.store), (unsigned long long)c->size);
	store_txn_reader(t, &r);
	if ((rc = mt_root(&r, size, &root)) != 0)
		fatalx("cannot recompute the root at size %llu: %s",
		    (unsigned long long)size, pt_strerror(rc));
	if (cr_memcmp(root.b, c->root.b, MT_HASH_SIZE) != 0)
		fatalx("integrity: the stored tree's root at size %llu differs"
		    " from the signed checkpoint's; run --check-full",
		    (unsigned long long)size);
	quick_check(t, size);
	env_publish_checkpoint(note, len, size);
	store_read_end(t);

	rc = store_read_checkpoint_copy(env.cfg.data, &copy, &clen);
	if (rc == 0) {
		if ((rc = ckpt_open(copy, clen, &env.logvkey, NULL, 0, cc,
		    NULL)) != 0)
			fatalx("%s/checkpoint does not verify with the log key:"
			    " %s", env.cfg.data, pt_strerror(rc));
		free(copy);
		if (cc->size > c->size)
			fatalx("rollback: the database holds %llu entries but "
			    "this log has signed a checkpoint of %llu (%s/"
			    "checkpoint); an old backup was restored? refusing"
			    " to run and re-sign a different history",
			    (unsigned long long)c->size,
			    (unsigned long long)cc->size, env.cfg.data);
		if (cc->size == c->size &&
		    cr_memcmp(cc->root.b, c->root.b, MT_HASH_SIZE) != 0)
			fatalx("fork: %s/checkpoint and the database sign "
			    "different roots at size %llu", env.cfg.data,
			    (unsigned long long)c->size);
	} else if (rc == PT_ENOTFOUND) {
		if (size > 0)
			log_warnx("%s/checkpoint is missing: rollback "
			    "detection restarts from this database",
			    env.cfg.data);
	} else {
		fatalx("%s/checkpoint is unreadable (%s): it guards against "
		    "restoring an old backup; inspect it, and remove it only "
		    "if this database is known to be the newest",
		    env.cfg.data, pt_strerror(rc));
	}
	/* A commit whose copy was not written (crash in between) leaves the
	 * copy behind the database: bring it up to date. */
	if (rc != 0 || cc->size < c->size) {
		if ((rc = store_sync_checkpoint_copy(env.store)) != 0)
			fatalx("cannot write %s/checkpoint: %s", env.cfg.data,
			    pt_strerror(rc));
	}
	now = env_now_ms();
	if (time_ms > now + CLOCK_SKEW_MS)
		fatalx("clock: the last entry was integrated at %llu ms but "
		    "the clock says %llu ms; refusing to integrate entries "
		    "with earlier times (fix the clock)",
		    (unsigned long long)time_ms, (unsigned long long)now);
	log_info("log \"%s\": %llu entries, checkpoint verified",
	    env.origin, (unsigned long long)size);
	free(c);
	free(cc);
	return time_ms;
}

static void
progress(uint64_t done, uint64_t total, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "check-full: %llu/%llu entries\n",
	    (unsigned long long)done, (unsigned long long)total);
}

static int
check_full(void)
{
	struct store_check res;
	struct store_txn *t;
	struct ckpt *c;
	const char *note;
	size_t len;
	char why[512] = "";
	int rc;

	rc = store_check_full_report(env.store, &res, why, sizeof(why),
	    progress, NULL);
	if (rc == PT_ECORRUPT) {
		printf("check-full: FAILED at index %llu: %s\n",
		    (unsigned long long)res.index, why);
		return 1;
	}
	if (rc != 0) {
		printf("check-full: could not run: %s\n", why[0] ? why :
		    pt_strerror(rc));
		return 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("out of memory");
	if ((rc = store_read_begin(env.store, &t)) != 0)
		fatalx("store: %s", pt_strerror(rc));
	rc = store_latest_checkpoint(t, &note, &len, NULL, NULL);
	if (rc == 0)
		rc = ckpt_open(note, len, &env.logvkey, NULL, 0, c, NULL);
	store_read_end(t);
	if (rc != 0) {
		printf("check-full: FAILED: the latest checkpoint does not "
		    "verify with the log key: %s\n", pt_strerror(rc));
		free(c);
		return 1;
	}
	if (c->size != res.size ||
	    cr_memcmp(c->root.b, res.root.b, MT_HASH_SIZE) != 0) {
		printf("check-full: FAILED: the root recomputed from the %llu "
		    "entries differs from the signed checkpoint's\n",
		    (unsigned long long)res.size);
		free(c);
		return 1;
	}
	free(c);
	printf("check-full: ok, %llu entries, every hash recomputed from the "
	    "entries and the signed root matches\n",
	    (unsigned long long)res.size);
	return 0;
}

static struct event *reader_ev;

/* Clear LMDB reader slots left by killed processes. */
static void
on_reader_check(evutil_socket_t fd, short what, void *arg)
{
	int dead = 0;

	(void)fd;
	(void)what;
	(void)arg;
	if (store_reader_check(env.store, &dead) == 0 && dead > 0)
		log_warnx("cleared %d stale LMDB reader slot%s", dead,
		    dead == 1 ? "" : "s");
}

static struct event *sig_term, *sig_int, *sig_hup, *park_ev;

/* Loop thread: a new log-signed checkpoint was committed. */
static void
on_checkpoint(evutil_socket_t fd, short what, void *arg)
{
	char *note = malloc(PT_NOTE_MAX + 1);
	size_t len;
	uint64_t size;

	(void)fd;
	(void)what;
	(void)arg;
	if (note == NULL)
		return;
	env_checkpoint(note, PT_NOTE_MAX + 1, &len, &size);
	if (env.witc != NULL && len > 0)
		witc_checkpoint(env.witc, note, len, size);
	free(note);
}

/* Loop thread: cosignatures arrived. */
static void
on_cosigned(const char *note, size_t len, uint64_t size, int quorum,
    void *arg)
{
	(void)arg;
	env_publish_cosigned(note, len, size, quorum);
	if (env.wait_quorum)
		api_release_parked(env.cfg.witness_receipt_timeout_ms, 0);
}

static void
on_park_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	api_release_parked(env.cfg.witness_receipt_timeout_ms, 0);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("signal %d: finishing the batch in flight and stopping",
	    (int)sig);
	/* Stop taking connections, then drain the sequencer (its pending
	 * answers are sent by seq_stop through api_add_done). */
	seq_stop(env.seq);
	env.seq = NULL;
	api_release_parked(0, 1);
	event_base_loopexit(env.base, NULL);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct cfg c;
	struct pt_why why = { "" };

	(void)sig;
	(void)what;
	(void)arg;
	log_info("SIGHUP: reloading");
	cfg_defaults(&c);
	if (env.config_path[0] != '\0' &&
	    cfg_load(&c, env.config_path, &why) != 0) {
		log_warnx("config not reloaded: %s", why.text);
	} else if (env.config_path[0] != '\0') {
		/* Only limits change at run time; paths need a restart. */
		env.cfg.rate_limit = c.rate_limit;
		env.cfg.rate_burst = c.rate_burst;
		env.cfg.max_body = c.max_body;
		env.cfg.max_headers = c.max_headers;
		env.cfg.request_deadline_ms = c.request_deadline_ms;
		env.cfg.idle_timeout_s = c.idle_timeout_s;
		env.cfg.max_connections = c.max_connections;
		httpd_configure(env.httpd, &env.cfg);
	}
	load_submitters(0);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "origin", required_argument, NULL, 'o' },
		{ "witness-policy", required_argument, NULL, 'W' },
		{ "check-full", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_opts so = { 0, 0 };
	struct seq_opts sq;
	struct pt_why cwhy = { "" };
	char why[512];
	const char *config = NULL;
	const char *set_data = NULL, *set_listen = NULL, *set_origin = NULL;
	const char *set_policy = NULL;
	int ch, checkonly = 0, full = 0, verbose = 0, rc;
	uint64_t last_time;
	long ncpu;

	while ((ch = getopt_long(argc, argv, "nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'd': set_data = optarg; break;
		case 'l': set_listen = optarg; break;
		case 'o': set_origin = optarg; break;
		case 'W': set_policy = optarg; break;
		case 'n': checkonly = 1; break;
		case 'F': full = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pubtraild %s\n", PT_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg_defaults(&env.cfg);
	if (config != NULL) {
		if (cfg_load(&env.cfg, config, &cwhy) != 0) {
			fprintf(stderr, "pubtraild: %s\n", cwhy.text);
			return 1;
		}
		snprintf(env.config_path, sizeof(env.config_path), "%s",
		    config);
	}
	if ((set_data && cfg_set(&env.cfg, "data", set_data, &cwhy) != 0) ||
	    (set_listen && cfg_set(&env.cfg, "listen", set_listen, &cwhy)
	    != 0) || (set_origin && cfg_set(&env.cfg, "origin", set_origin,
	    &cwhy) != 0) || (set_policy && cfg_set(&env.cfg, "witness_policy",
	    set_policy, &cwhy) != 0)) {
		fprintf(stderr, "pubtraild: %s\n", cwhy.text);
		return 2;
	}
	{
		char host[256];
		uint16_t port;

		if (cfg_listen_split(&env.cfg, host, sizeof(host), &port)
		    != 0) {
			fprintf(stderr, "pubtraild: listen: want HOST:PORT, "
			    "got \"%s\"\n", env.cfg.listen);
			return checkonly ? 1 : 2;
		}
	}
	if (checkonly) {
		printf("configuration OK\n");
		return 0;
	}
	log_init(verbose || env.cfg.verbose);
	pthread_mutex_init(&env.ck_mu, NULL);
	metrics_init();
	signal(SIGPIPE, SIG_IGN);

	if (mkdir(env.cfg.data, 0700) == 0)
		log_info("created data directory %s", env.cfg.data);
	else if (errno != EEXIST)
		fatalx("cannot create data directory %s: %s", env.cfg.data,
		    strerror(errno));
	load_or_create_key(env.cfg.origin, set_origin != NULL ||
	    env.cfg.origin[0] != '\0');

	so.map_size = env.cfg.map_size_mb << 20;
	if ((rc = store_open(env.cfg.data, &so, &env.store, why,
	    sizeof(why))) != 0)
		fatalx("%s", why[0] ? why : pt_strerror(rc));
	{
		struct store_txn *t;
		const char *n;
		size_t l;
		uint64_t s, tm;

		if ((rc = store_read_begin(env.store, &t)) != 0)
			fatalx("store: %s", pt_strerror(rc));
		rc = store_latest_checkpoint(t, &n, &l, &s, &tm);
		store_read_end(t);
		if (rc == PT_ENOTFOUND && store_size(env.store) == 0)
			init_empty_log();
		else if (rc != 0)
			fatalx("store: %s", pt_strerror(rc));
	}
	if (full) {
		rc = check_full();
		store_close(env.store);
		note_skey_wipe(&env.logkey);
		return rc;
	}
	env.wait_quorum = env.cfg.witness_policy[0] != '\0' &&
	    env.cfg.witness_wait_quorum;
	last_time = check_identity();
	load_submitters(1);

	if (evthread_use_pthreads() != 0)
		fatalx("libevent without thread support");
	/*
	 * epoll with a change list: evhttp turns read and write interest on
	 * and off a few times per request; the change list folds those into
	 * one epoll_ctl per descriptor per loop pass (measured: 7.4 -> 6.3
	 * system calls per POST /add).  libevent's caveat (a descriptor
	 * dup'ed or closed and reopened while still registered) does not
	 * arise: evhttp and this daemon never dup descriptors.
	 */
	{
		struct event_config *ec = event_config_new();

		if (ec == NULL || event_config_set_flag(ec,
		    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0 ||
		    (env.base = event_base_new_with_config(ec)) == NULL)
			fatalx("cannot create the event base");
		event_config_free(ec);
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sq.verify_threads = env.cfg.verify_threads ?
	    (unsigned)env.cfg.verify_threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	sq.batch_max = env.cfg.batch_max;
	sq.window_ms = env.cfg.batch_window_ms;
	sq.queue_max = env.cfg.queue_max;
	sq.last_time_ms = last_time;
	if ((env.ckpt_ev = event_new(env.base, -1, 0, on_checkpoint, NULL))
	    == NULL)
		fatalx("out of memory");
	if ((rc = seq_start(env.base, &sq, api_add_done, &env.seq)) != 0)
		fatalx("sequencer: %s", pt_strerror(rc));
	if ((rc = httpd_start(env.base, &env.cfg, api_dispatch, NULL,
	    &env.httpd, why, sizeof(why))) != 0)
		fatalx("%s", why);
	if (env.cfg.witness_policy[0] != '\0') {
		struct witc_opts wo;
		struct timeval sec = { 1, 0 };

		wo.policy_path = env.cfg.witness_policy;
		wo.interval_ms = env.cfg.witness_interval_ms;
		wo.timeout_ms = env.cfg.witness_timeout_ms;
		wo.wait_for_quorum = (int)env.cfg.witness_wait_quorum;
		if ((rc = witc_start(env.base, env.store, &wo, on_cosigned,
		    NULL, &env.witc, why, sizeof(why))) != 0)
			fatalx("witness policy: %s", why);
		park_ev = event_new(env.base, -1, EV_PERSIST, on_park_tick,
		    NULL);
		if (park_ev == NULL || event_add(park_ev, &sec) != 0)
			fatalx("cannot start the receipt timer");
		event_active(env.ckpt_ev, EV_READ, 0);
		log_info("witnessing per %s (%s)", env.cfg.witness_policy,
		    env.wait_quorum ? "checkpoints served once the quorum "
		    "cosigned" : "checkpoints served at once, cosignatures "
		    "added as they arrive");
	}
	sig_term = evsignal_new(env.base, SIGTERM, on_term, NULL);
	sig_int = evsignal_new(env.base, SIGINT, on_term, NULL);
	sig_hup = evsignal_new(env.base, SIGHUP, on_hup, NULL);
	reader_ev = event_new(env.base, -1, EV_PERSIST, on_reader_check, NULL);
	{
		struct timeval minute = { 60, 0 };

		if (reader_ev == NULL || event_add(reader_ev, &minute) != 0)
			fatalx("cannot start the reader check");
	}
	if (sig_term == NULL || sig_int == NULL || sig_hup == NULL ||
	    evsignal_add(sig_term, NULL) != 0 ||
	    evsignal_add(sig_int, NULL) != 0 ||
	    evsignal_add(sig_hup, NULL) != 0)
		fatalx("cannot install signal handlers");
	log_info("listening on %s (port %d); verifier key %s", env.cfg.listen,
	    httpd_port(env.httpd), env.logvkey_str);

	event_base_dispatch(env.base);

	/* Answers sent by seq_stop are flushed by a last loop pass. */
	event_base_loop(env.base, EVLOOP_NONBLOCK);
	httpd_free(env.httpd);
	witc_free(env.witc);
	if (park_ev != NULL)
		event_free(park_ev);
	event_free(env.ckpt_ev);
	env.ckpt_ev = NULL;
	event_free(sig_term);
	event_free(sig_int);
	event_free(sig_hup);
	event_free(reader_ev);
	event_base_free(env.base);
	store_close(env.store);
	subm_free(env.subm);
	note_skey_wipe(&env.logkey);
	log_info("stopped");
	return 0;
}
