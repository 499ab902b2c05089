/*
 * main.c: pubtraild start-up, signals and shutdown.
 *
 * Start-up order: options and config; data directory (created on first
 * start, with a new log key); the store (exclusive lock); identity checks
 * (logchk.c: the latest checkpoint verifies with the log key and matches
 * the stored tree; the copy kept outside LMDB is not ahead of it; the
 * clock has not gone back); then the sequencer and the HTTP server.
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
#include <event2/http.h>
#include <event2/thread.h>
#include <systemd/sd-daemon.h>

#include "allow.h"
#include "api.h"
#include "backup.h"
#include "cfg.h"
#include "corr.h"
#include "crypto.h"
#include "hsrv.h"
#include "log.h"
#include "logchk.h"
#include "logkey.h"
#include "metrics.h"
#include "note.h"
#include "pt.h"
#include "pub.h"
#include "publish.h"
#include "recover.h"
#include "seq.h"
#include "sfile.h"
#include "store.h"
#include "subm.h"
#include "witc.h"

/*
 * The daemon's wiring: built here, passed to each module as arguments (the
 * routes get `routes`, the sequencer a seq_opts made from it, the witness
 * client its options); the one instance lives in main()'s frame and the
 * event callbacks get it as their argument.  No module reaches into it.
 */
struct daemon {
	struct cfg cfg;			/* limits change on SIGHUP */
	char config_path[CFG_PATH_MAX];	/* "" when none */
	struct event_base *base;
	struct store *store;
	struct note_skey logkey;	/* secret: wiped at exit */
	char logvkey_str[PT_MAX_VKEY + 1];
	char registrar[PT_MAX_VKEY + 1];	/* "" when none */
	struct allow *allow;		/* who may append: the log's grants */
	char origin[PT_MAX_ORIGIN + 1];
	struct pub *pub;		/* the published checkpoint */
	struct publish *publish;	/* publish_dir's thread, or NULL */
	/* The routes' context holds the grants, the sequencer, the witness
	 * client and the metrics. */
	struct api_ctx routes;
	struct hsrv *http;		/* the HTTP server (net/hsrv) */
	struct api *api;
	struct event *ckpt_ev;		/* seq thread -> loop: new checkpoint */
	struct event *park_ev, *reader_ev;
	struct event *watchdog_ev;	/* systemd WatchdogSec= pings */
	struct event *sig_term, *sig_int, *sig_hup;
};

/* The command line. */
struct opts {
	const char *config;
	const char *set_data, *set_listen, *set_origin, *set_policy;
	const char *bootstrap_key;	/* --bootstrap-registrar-key FILE */
	int checkonly, full, verbose, require_origin;
};

static void
usage(FILE *out)
{
	fprintf(out,
"usage: pubtraild [-n] [--config FILE] [--data DIR] [--listen HOST:PORT]\n"
"                 [--origin ORIGIN] [--require-origin] [--check-full] [-v]\n"
"                 [--bootstrap-registrar-key FILE] [--help] [--version]\n"
"       pubtraild backup --data DIR --out OUT [--with-private-key] [--json]\n"
"       pubtraild recover --data DIR --from SOURCE [--from SOURCE ...] ...\n"
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
"  --require-origin   refuse to create a new log without --origin or an\n"
"                     origin in the config (config: require_origin)\n"
"  --witness-policy FILE  ask the witnesses of this C2SP tlog-policy file to\n"
"                     cosign checkpoints (config key: witness_policy)\n"
"  --bootstrap-registrar-key FILE  the registrar's private key, used once:\n"
"                     when the log has no office_key grants yet, the keys of\n"
"                     the submitters file become grants signed with it (a\n"
"                     log made before office keys migrates so); then the\n"
"                     key is wiped.  Never keep it on the log's machine.\n"
"  --config FILE      read an INI config file (see pubtraild.conf(5))\n"
"  -n                 check the configuration and exit\n"
"  --check-full       recompute every hash from the stored entries, name the\n"
"                     first bad index, and exit: 0 good, 1 bad, 3 busy (a\n"
"                     live log: check a hot backup of it), 4 could not run\n"
"  -v                 log debug messages (and a line per committed batch)\n"
"  --help, --version\n"
"\n"
"Config keys (INI, top level or [pubtraild]):\n", CFG_DEFAULT_PORT);
	cfg_describe(out);
	fprintf(out, "\nWho may append is the log's own office_key entries "
	    "(pubtrail keys grant|revoke|list);\nthe submitters file only "
	    "bootstraps them.\n");
	fprintf(out, "\nSignals: SIGHUP re-reads the config's limits;\n"
	    "SIGTERM/SIGINT finish the batch in flight, commit, and exit 0.\n");
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

/* A new log: a new key for origin (or <hostname>/pubtrail, said loudly),
 * in DATA/log.key (0600, created safely: logkey.h) and DATA/log.vkey. */
static void
create_key(struct daemon *d, const char *origin_opt)
{
	char origin[PT_MAX_ORIGIN + 1];
	struct pt_why why = { "" };

	if (strlen(origin_opt) > PT_MAX_ORIGIN)
		fatalx("origin longer than %d bytes", PT_MAX_ORIGIN);
	if (origin_opt[0] != '\0')
		memcpy(origin, origin_opt, strlen(origin_opt) + 1);
	else {
		default_origin(origin, sizeof(origin));
		log_warnx("*** no origin given: this new log is named \"%s\" "
		    "after the host, for good (it is the first line of every "
		    "checkpoint).  To choose, stop now, remove %s and start "
		    "with --origin NAME (make run ORIGIN=NAME) or `origin = "
		    "NAME` in the config ***", origin, d->cfg.data);
	}
	if (logkey_create(d->cfg.data, origin, &d->logkey, &why) != 0)
		fatalx("%s", why.text);
	if (note_vkey_format(&d->logkey.vk, d->logvkey_str,
	    sizeof(d->logvkey_str)) != 0)
		fatalx("cannot format the new log key");
	log_info("created a new log \"%s\" in %s; verifier key: %s", origin,
	    d->cfg.data, d->logvkey_str);
}

/* Does dir hold (part of) a log already: a store or a verifier key? */
static int
holds_log(const char *dir)
{
	char p[CFG_PATH_MAX + 16];
	struct stat st;

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	if (stat(p, &st) == 0 && st.st_size > 0)
		return 1;
	snprintf(p, sizeof(p), "%s/%s", dir, LOGKEY_VNAME);
	return lstat(p, &st) == 0;
}

/* Load DATA/log.key (refused when others may read it), or create it (and
 * log.vkey) for a new log; a given origin must be the log's own.  A
 * directory that holds a log without its key is refused. */
static void
load_or_create_key(struct daemon *d, const char *origin_opt,
    int origin_given)
{
	struct pt_why why = { "" };
	int rc;

	rc = logkey_load(d->cfg.data, &d->logkey, &why);
	if (rc == PT_ENOTFOUND && holds_log(d->cfg.data))
		fatalx("%s holds a log but no %s: put the log's private key "
		    "back (from its offline copy, mode 0600); a new key would "
		    "make a different log", d->cfg.data, LOGKEY_NAME);
	if (rc == PT_ENOTFOUND)
		create_key(d, origin_opt);
	else if (rc != 0)
		fatalx("%s", why.text);
	else if (note_vkey_format(&d->logkey.vk, d->logvkey_str,
	    sizeof(d->logvkey_str)) != 0)
		fatalx("cannot format the log's verifier key");
	else if (origin_given && strcmp(origin_opt, d->logkey.vk.name) != 0)
		fatalx("--origin \"%s\" differs from this log's origin \"%s\" "
		    "(set when the log was created)", origin_opt,
		    d->logkey.vk.name);
	if (strlen(d->logkey.vk.name) > PT_MAX_ORIGIN)
		fatalx("origin too long");
	snprintf(d->origin, sizeof(d->origin), "%s", d->logkey.vk.name);
}

/* A small text file into buf (cap bytes, NUL-terminated; *len its
 * length): 0, or PT_EIO (unreadable, or cap bytes or more). */
static int
read_small_file(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return PT_EIO;
	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got >= cap)
		return PT_EIO;
	buf[got] = '\0';
	*len = got;
	return 0;
}

/* The first line of path into buf (cap bytes), trailing CR/LF cut: 0 or
 * PT_EIO. */
static int
read_first_line(const char *path, char *buf, size_t cap)
{
	size_t len;

	if (read_small_file(path, buf, cap, &len) != 0)
		return PT_EIO;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/*
 * The configured registrar's verifier key string into out (PT_MAX_VKEY +
 * 1 bytes): registrar_key (the string, or a file holding it), else
 * DATA/registrar.vkey when it exists, else "" (none configured).  0, or
 * PT_EINVAL with the reason in why.
 */
static int
load_registrar(const struct cfg *c, char *out, struct pt_why *why)
{
	const char *k = c->registrar_key;
	char path[CFG_PATH_MAX + 32], buf[4 * PT_MAX_VKEY];
	struct note_vkey vk;

	out[0] = '\0';
	if (k[0] != '\0' && strlen(k) <= PT_MAX_VKEY &&
	    note_vkey_parse(k, strlen(k), &vk) == 0) {
		snprintf(out, PT_MAX_VKEY + 1, "%s", k);
		return 0;
	}
	if (k[0] != '\0')
		snprintf(path, sizeof(path), "%s", k);
	else {
		snprintf(path, sizeof(path), "%s/registrar.vkey", c->data);
		if (access(path, F_OK) != 0)
			return 0;
	}
	if (read_first_line(path, buf, sizeof(buf)) != 0)
		return pt_why_set(why, PT_EINVAL, "registrar_key: cannot read "
		    "%s", path);
	if (strlen(buf) > PT_MAX_VKEY ||
	    note_vkey_parse(buf, strlen(buf), &vk) != 0 ||
	    vk.alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EINVAL, "registrar_key: %s does not "
		    "hold an Ed25519 verifier key string", path);
	snprintf(out, PT_MAX_VKEY + 1, "%s", buf);
	return 0;
}

/* SIGHUP: a log without a registrar takes the one now configured (a
 * log's registrar, once named, never changes). */
static void
reload_registrar(struct daemon *d)
{
	char vk[PT_MAX_VKEY + 1];
	struct pt_why why = { "" };

	if (d->registrar[0] != '\0')
		return;
	if (load_registrar(&d->cfg, vk, &why) != 0) {
		log_warnx("%s", why.text);
		return;
	}
	if (vk[0] == '\0')
		return;
	if (allow_set_registrar(d->allow, vk, &why) != 0) {
		log_warnx("registrar not set: %s", why.text);
		return;
	}
	snprintf(d->registrar, sizeof(d->registrar), "%s", vk);
	d->routes.registrar = d->registrar;
	log_info("registrar %s: it may now grant and revoke office keys", vk);
}

/* The registrar's private key from path (--bootstrap-registrar-key). */
static void
load_registrar_skey(const char *path, struct note_skey *k)
{
	char buf[1024];
	struct pt_why why = { "" };
	size_t len;
	int rc, readable = 0;


	if (sf_check_secret(path, &readable, &why) != 0)
		fatalx("--bootstrap-registrar-key: %s", why.text);
	if (readable)
		log_warnx("%s is readable by others; a registrar key belongs "
		    "offline, readable by its keeper only", path);
	if (read_small_file(path, buf, sizeof(buf), &len) != 0)
		fatalx("--bootstrap-registrar-key: cannot read %s", path);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	rc = note_skey_parse(buf, len, k);
	cr_wipe(buf, sizeof(buf));
	if (rc != 0 || k->vk.alg != NOTE_ALG_ED25519)
		fatalx("--bootstrap-registrar-key: %s is not an Ed25519 C2SP "
		    "private key string", path);
}

/*
 * A log without grants: the keys of the submitters file become grants
 * signed by the registrar's private key (given once); a log made before
 * office keys migrates so, and says so.  The new checkpoint is published;
 * *last_time moves to the grants' integration time.
 */
static void
bootstrap_grants(struct daemon *d, const char *keyfile, const char *path,
    const struct subm_list *l, uint64_t *last_time)
{
	struct note_skey rk;
	struct pt_why why = { "" };
	char note[PT_LOG_NOTE_MAX + 1], vk[PT_MAX_VKEY + 1], buf[PT_MAX_VKEY + 2];
	uint64_t before = store_size(d->store), first = 0;
	size_t added = 0, nlen = 0;
	int rc;

	load_registrar_skey(keyfile, &rk);
	rc = allow_bootstrap(d->allow, d->store, d->origin, &d->logkey, &rk,
	    l, path, &added, &first, last_time, note, sizeof(note), &nlen,
	    &why);
	note_vkey_format(&rk.vk, vk, sizeof(vk));
	note_skey_wipe(&rk);
	if (rc != 0)
		fatalx("bootstrap: %s", why.text);
	pub_signed(d->pub, note, nlen, store_size(d->store));
	if (d->registrar[0] == '\0') {
		char rpath[CFG_PATH_MAX + 32];
		struct pt_why w = { "" };

		snprintf(d->registrar, sizeof(d->registrar), "%s", vk);
		snprintf(buf, sizeof(buf), "%s\n", vk);
		snprintf(rpath, sizeof(rpath), "%s/registrar.vkey",
		    d->cfg.data);
		if (sf_write(rpath, buf, strlen(buf), 0644, 0, &w) != 0)
			fatalx("cannot write %s: %s", rpath, w.text);
		log_info("registrar %s (written to %s/registrar.vkey)", vk,
		    d->cfg.data);
	}
	if (before > 0)
		log_warnx("migrated: this log was made before office keys; the "
		    "%zu key%s of %s %s now logged grants #%llu..#%llu, signed "
		    "by the registrar %s.  %s is not read again: who may "
		    "append is the log's office_key entries (pubtrail keys "
		    "list).  Remove --bootstrap-registrar-key and keep that key "
		    "offline", added, added == 1 ? "" : "s", path,
		    added == 1 ? "is" : "are", (unsigned long long)first,
		    (unsigned long long)(first + added - 1), vk, path);
	else
		log_info("bootstrapped: the %zu key%s of %s %s now logged "
		    "grants #%llu..#%llu, signed by the registrar %s; remove "
		    "--bootstrap-registrar-key and keep that key offline",
		    added, added == 1 ? "" : "s", path, added == 1 ? "is" :
		    "are", (unsigned long long)first,
		    (unsigned long long)(first + added - 1), vk);
}

/*
 * Who may append: the configured registrar, the grants rebuilt from the
 * log's office_key entries, and, for a log without any, the bootstrap
 * from the submitters file (o->bootstrap_key) or a warning that nobody
 * may append yet.
 */
static void
start_allow(struct daemon *d, const struct opts *o, uint64_t *last_time)
{
	char path[CFG_PATH_MAX + 16];
	struct pt_why why = { "" };
	struct subm_list *l = NULL;
	uint64_t first;
	size_t n, keys;

	if (load_registrar(&d->cfg, d->registrar, &why) != 0)
		fatalx("%s", why.text);
	if (allow_new(&d->logkey.vk, d->registrar, &d->allow, &why) != 0)
		fatalx("registrar_key: %s", why.text);
	if (allow_load(d->allow, d->store, d->origin, &n, &why) != 0)
		fatalx("office keys: %s (the configured registrar is %s)",
		    why.text, d->registrar[0] ? d->registrar : "none");
	keys = allow_count(d->allow, &first);
	if (d->cfg.submitters[0] != '\0')
		snprintf(path, sizeof(path), "%s", d->cfg.submitters);
	else
		snprintf(path, sizeof(path), "%s/submitters", d->cfg.data);
	if (n > 0) {
		log_info("%zu office_key entr%s from #%llu: %zu key%s granted; "
		    "registrar %s", n, n == 1 ? "y" : "ies",
		    (unsigned long long)first, keys, keys == 1 ? "" : "s",
		    d->registrar[0] ? d->registrar : "(not configured)");
		if (o->bootstrap_key != NULL)
			log_warnx("--bootstrap-registrar-key not used: this log "
			    "has grants since #%llu (change them with pubtrail "
			    "keys grant|revoke); keep that key offline",
			    (unsigned long long)first);
		return;
	}
	{
		struct stat st;

		/* Whoever can write it decides who is granted. */
		if (stat(path, &st) == 0 && (st.st_mode & 022) != 0)
			fatalx("%s is writable by others (mode %04o): run "
			    "`chmod go-w %s`", path,
			    (unsigned)(st.st_mode & 07777), path);
	}
	if (subm_load(path, &l, &why) != 0)
		fatalx("%s", why.text);
	if (o->bootstrap_key != NULL)
		bootstrap_grants(d, o->bootstrap_key, path, l, last_time);
	else if (l->n > 0)
		log_warnx("this log has no office_key grants, so nobody may "
		    "append yet: %s lists %zu key%s, which become grants when "
		    "pubtraild starts once with --bootstrap-registrar-key FILE "
		    "(or grant them with pubtrail keys grant); "
		    "docs/OPERATIONS.md", path, l->n, l->n == 1 ? "" : "s");
	else
		log_info("this log has no office_key grants yet: nobody may "
		    "append until the registrar grants a key (pubtrail keys "
		    "grant)");
	subm_free(l);
}

/* The start-up identity checks (logchk.h) on d's log; the last
 * integration time. */
static uint64_t
check_identity(struct daemon *d)
{
	struct logchk l = { d->store, d->cfg.data, &d->logkey.vk,
	    d->logvkey_str, d->origin, d->pub };

	return logchk_identity(&l);
}

/* --- event callbacks (loop thread; arg: the struct daemon) --- */

/* Every 10 s: clear LMDB reader slots left by killed processes; report
 * the refusals whose log lines the rate limit held back. */
static void
on_reader_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int dead = 0;

	(void)fd;
	(void)what;
	if (store_reader_check(d->store, &dead) == 0 && dead > 0)
		log_warnx("cleared %d stale LMDB reader slot%s", dead,
		    dead == 1 ? "" : "s");
	api_log_held_refusals(d->api);
}

/* pub_notify_fn (sequencer thread): wake the loop for on_checkpoint. */
static void
notify_checkpoint(void *arg)
{
	struct daemon *d = arg;

	event_active(d->ckpt_ev, EV_READ, 0);
}

/* A new log-signed checkpoint was committed: hand it to the witnesses. */
static void
on_checkpoint(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	char *note;
	size_t len;
	uint64_t size;

	(void)fd;
	(void)what;
	publish_wake(d->publish);
	if (d->routes.witc == NULL || (note = malloc(PT_NOTE_MAX + 1)) == NULL)
		return;
	pub_latest(d->pub, note, PT_NOTE_MAX + 1, &len, &size);
	if (len > 0)
		witc_checkpoint(d->routes.witc, note, len, size);
	free(note);
}

/* Cosignatures arrived (witc_publish_fn). */
static void
on_cosigned(const char *note, size_t len, uint64_t size, int quorum,
    void *arg)
{
	struct daemon *d = arg;

	pub_cosigned(d->pub, note, len, size, quorum);
	publish_wake(d->publish);
	if (pub_wait_quorum(d->pub))
		api_release_parked(d->api, d->cfg.witness_receipt_timeout_ms,
		    0);
}

static void
on_park_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	api_release_parked(d->api, d->cfg.witness_receipt_timeout_ms, 0);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	log_info("signal %d: finishing the batch in flight and stopping",
	    (int)sig);
	sd_notify(0, "STOPPING=1");
	/* Drain the sequencer (its pending answers are sent by seq_stop
	 * through api_add_done), answer what waits for a quorum, stop. */
	seq_stop(d->routes.seq);
	d->routes.seq = NULL;
	api_release_parked(d->api, 0, 1);
	event_base_loopexit(d->base, NULL);
}

/* The HTTP server's connection events, into the metrics (arg). */
static void
on_http_event(void *arg, enum hsrv_event ev)
{
	struct metrics *m = arg;

	switch (ev) {
	case HSRV_OPENED:
		metrics_conn(m, 1);
		break;
	case HSRV_CLOSED:
		metrics_conn(m, -1);
		break;
	case HSRV_REFUSED:
		metrics_conn_refused(m);
		break;
	case HSRV_CUT:
		metrics_deadline_cut(m);
		break;
	}
}

/* The HTTP server's limits from the config; its events go to m. */
static void
http_opts(const struct cfg *c, struct metrics *m, struct hsrv_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* evhttp's one body limit: the larger of a submission's and a
	 * batch's (api_add.c holds each body to its own). */
	o->max_body = (size_t)c->max_body;
	if (c->add_batch_max > 0 && c->add_batch_bytes > c->max_body)
		o->max_body = (size_t)c->add_batch_bytes;
	o->max_headers = (size_t)c->max_headers;
	o->max_conns = (unsigned)c->max_connections;
	o->deadline_ms = (unsigned)c->request_deadline_ms;
	o->idle_s = (unsigned)c->idle_timeout_s;
	o->event = on_http_event;
	o->event_arg = m;
}

static void
http_configure(struct daemon *d)
{
	struct hsrv_opts ho;

	http_opts(&d->cfg, d->routes.metrics, &ho);
	hsrv_configure(d->http, &ho);
}

/* SIGHUP: the config's limits are read again (paths need a restart). */
/* The limits in force, one line (at start-up and after each SIGHUP). */
static void
log_limits(const struct daemon *d, const char *when)
{
	const struct cfg *c = &d->cfg;

	log_info("%s: limits rate_limit=%llu/s rate_burst=%llu max_body=%llu "
	    "max_headers=%llu request_deadline_ms=%llu idle_timeout_s=%llu "
	    "max_connections=%llu (%s%s)", when,
	    (unsigned long long)c->rate_limit,
	    (unsigned long long)c->rate_burst, (unsigned long long)c->max_body,
	    (unsigned long long)c->max_headers,
	    (unsigned long long)c->request_deadline_ms,
	    (unsigned long long)c->idle_timeout_s,
	    (unsigned long long)c->max_connections,
	    d->config_path[0] != '\0' ? "config " : "no config file: defaults "
	    "and the command line", d->config_path);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct cfg c;
	struct pt_why why = { "" };

	(void)sig;
	(void)what;
	log_info("SIGHUP: reloading");
	sd_notify(0, "RELOADING=1");
	cfg_defaults(&c);
	if (d->config_path[0] != '\0' &&
	    cfg_load(&c, d->config_path, &why) != 0) {
		log_warnx("config not reloaded: %s", why.text);
	} else if (d->config_path[0] != '\0') {
		d->cfg.rate_limit = c.rate_limit;
		d->cfg.rate_burst = c.rate_burst;
		d->cfg.max_body = c.max_body;
		d->cfg.add_batch_max = c.add_batch_max;
		d->cfg.add_batch_bytes = c.add_batch_bytes;
		d->cfg.max_headers = c.max_headers;
		d->cfg.request_deadline_ms = c.request_deadline_ms;
		d->cfg.idle_timeout_s = c.idle_timeout_s;
		d->cfg.max_connections = c.max_connections;
		http_configure(d);
		log_limits(d, "SIGHUP");
	} else
		log_info("SIGHUP: no config file; the limits stay");
	log_info("SIGHUP: who may append is the log's office_key entries; "
	    "the submitters file is not read again");
	reload_registrar(d);
	sd_notify(0, "READY=1");
}

/* The service manager's watchdog (WatchdogSec=): pinged from the event
 * loop, so a loop that stops turning gets the daemon restarted. */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

/* --- start-up and shutdown, in the order main runs them --- */

/* The command line into *o: -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "origin", required_argument, NULL, 'o' },
		{ "witness-policy", required_argument, NULL, 'W' },
		{ "bootstrap-registrar-key", required_argument, NULL, 'B' },
		{ "check-full", no_argument, NULL, 'F' },
		{ "require-origin", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "nvh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'd': o->set_data = optarg; break;
		case 'l': o->set_listen = optarg; break;
		case 'o': o->set_origin = optarg; break;
		case 'W': o->set_policy = optarg; break;
		case 'B': o->bootstrap_key = optarg; break;
		case 'n': o->checkonly = 1; break;
		case 'F': o->full = 1; break;
		case 'R': o->require_origin = 1; break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pubtraild %s\n", PT_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Defaults, the config file, then the command line's overrides; -n ends
 * here.  -1 to go on, else the exit status. */
static int
load_config(struct daemon *d, const struct opts *o)
{
	struct pt_why why = { "" };
	char host[256];
	uint16_t port;

	cfg_defaults(&d->cfg);
	if (o->config != NULL) {
		if (cfg_load(&d->cfg, o->config, &why) != 0) {
			fprintf(stderr, "pubtraild: %s\n", why.text);
			return 1;
		}
		snprintf(d->config_path, sizeof(d->config_path), "%s",
		    o->config);
	}
	if ((o->set_data && cfg_set(&d->cfg, "data", o->set_data, &why)
	    != 0) || (o->set_listen && cfg_set(&d->cfg, "listen",
	    o->set_listen, &why) != 0) || (o->set_origin && cfg_set(&d->cfg,
	    "origin", o->set_origin, &why) != 0) || (o->set_policy &&
	    cfg_set(&d->cfg, "witness_policy", o->set_policy, &why) != 0)) {
		fprintf(stderr, "pubtraild: %s\n", why.text);
		return 2;
	}
	if (o->require_origin)
		d->cfg.require_origin = 1;
	if (cfg_listen_split(&d->cfg, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "pubtraild: listen: want HOST:PORT, got "
		    "\"%s\"\n", d->cfg.listen);
		return o->checkonly ? 1 : 2;
	}
	if (o->checkonly) {
		printf("configuration OK\n");
		return 0;
	}
	return -1;
}

/* A restored backup (DATA/BACKUP, backup.h) is not served: the log has
 * most likely published checkpoints past it. */
static void
refuse_restored_backup(struct daemon *d)
{
	struct backup_info bi;
	struct pt_why why = { "" };
	int rc = backup_manifest_read(d->cfg.data, &bi, &why);

	if (rc == PT_ENOTFOUND)
		return;
	if (rc != 0)
		fatalx("%s", why.text);
	fatalx("%s is a backup of \"%s\" holding %llu entries: the log has "
	    "most likely published checkpoints past it, and signing from here "
	    "would fork it.  Bring it to the last published checkpoint first: "
	    "pubtraild recover --data %s --from SOURCE (a mirror's URL or "
	    "directory, another copy of the data, the offices' receipt "
	    "directories); see pubtraild(8)", d->cfg.data, bi.origin,
	    (unsigned long long)bi.size, d->cfg.data);
}

/* With require_origin, a directory without a log and no origin chosen is
 * refused before anything is created. */
static void
check_origin_choice(struct daemon *d)
{
	if (d->cfg.require_origin && d->cfg.origin[0] == '\0') {
		char key[CFG_PATH_MAX + 16];

		snprintf(key, sizeof(key), "%s/log.key", d->cfg.data);
		if (access(key, F_OK) != 0)
			fatalx("%s holds no log, and no origin was chosen for "
			    "a new one: set `origin = NAME` in %s (or pass "
			    "--origin NAME), e.g. finance.example.gov/payments/"
			    "2026; the origin names the log for good",
			    d->cfg.data, d->config_path[0] != '\0' ?
			    d->config_path : "the config file");
	}
}

/*
 * The corrections index covers every entry before anything is appended
 * or served: a store made before the index existed gets it built from its
 * entries here, once (O(entries), logged).
 */
static void
corrections_index(struct daemon *d)
{
	struct pt_why why = { "" };
	uint64_t added = 0;
	int rc;

	if ((rc = store_corrections_build(d->store, corr_classify, NULL,
	    &added, &why)) != 0)
		fatalx("corrections index: %s", why.text[0] ? why.text :
		    pt_strerror(rc));
	if (added > 0)
		log_info("corrections index: %llu corrections indexed from "
		    "the entries", (unsigned long long)added);
}

/* The data directory (made on first start; refused when others may use
 * it), the log key, the store (with the empty tree's checkpoint on a new
 * log). */
static void
open_log(struct daemon *d, const struct opts *o)
{
	struct store_opts so = { 0, 0 };
	struct store_txn *t;
	const char *n;
	size_t l;
	uint64_t s, tm;
	struct pt_why why = { "" };
	int rc;

	if (mkdir(d->cfg.data, 0700) == 0)
		log_info("created data directory %s", d->cfg.data);
	else if (errno != EEXIST)
		fatalx("cannot create data directory %s: %s", d->cfg.data,
		    strerror(errno));
	if (logkey_check_dir(d->cfg.data, &why) != 0)
		fatalx("%s", why.text);
	refuse_restored_backup(d);
	load_or_create_key(d, d->cfg.origin, o->set_origin != NULL ||
	    d->cfg.origin[0] != '\0');
	so.map_size = d->cfg.map_size_mb << 20;
	if ((rc = store_open(d->cfg.data, &so, &d->store, &why)) != 0)
		fatalx("%s", why.text[0] ? why.text : pt_strerror(rc));
	corrections_index(d);
	if ((rc = store_read_begin(d->store, &t)) != 0)
		fatalx("store: %s", pt_strerror(rc));
	rc = store_latest_checkpoint(t, &n, &l, &s, &tm);
	store_read_end(t);
	if (rc == PT_ENOTFOUND && store_size(d->store) == 0)
		logchk_init_empty(d->store, d->origin, &d->logkey);
	else if (rc != 0)
		fatalx("store: %s", pt_strerror(rc));
}

/*
 * The event base and the published checkpoint.  epoll with a change list:
 * evhttp turns read and write interest on and off a few times per request;
 * the change list folds those into one epoll_ctl per descriptor per loop
 * pass (measured: 7.4 -> 6.3 system calls per POST /add).  libevent's
 * caveat (a descriptor dup'ed or closed and reopened while still
 * registered) does not arise: evhttp and this daemon never dup
 * descriptors.
 */
static void
make_loop(struct daemon *d)
{
	struct event_config *ec;
	int wait_quorum = d->cfg.witness_policy[0] != '\0' &&
	    d->cfg.witness_wait_quorum;

	if (evthread_use_pthreads() != 0)
		fatalx("libevent without thread support");
	if ((ec = event_config_new()) == NULL || event_config_set_flag(ec,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0 ||
	    (d->base = event_base_new_with_config(ec)) == NULL)
		fatalx("cannot create the event base");
	event_config_free(ec);
	if ((d->ckpt_ev = event_new(d->base, -1, 0, on_checkpoint, d)) == NULL
	    || pub_new(wait_quorum, notify_checkpoint, d, &d->pub) != 0)
		fatalx("out of memory");
}

/* The sequencer, the routes and the HTTP server, with last_time the last
 * integration time. */
static void
start_serving(struct daemon *d, uint64_t last_time)
{
	struct seq_opts sq;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	memset(&sq, 0, sizeof(sq));
	sq.store = d->store;
	sq.origin = d->origin;
	sq.logkey = &d->logkey;
	sq.pub = d->pub;
	sq.metrics = d->routes.metrics;
	sq.allow = d->allow;
	sq.verify_threads = d->cfg.verify_threads ?
	    (unsigned)d->cfg.verify_threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	sq.batch_max = d->cfg.batch_max;
	sq.window_ms = d->cfg.batch_window_ms;
	sq.window_max_ms = d->cfg.batch_window_max_ms;
	sq.queue_max = d->cfg.queue_max;
	sq.last_time_ms = last_time;
	d->routes.cfg = &d->cfg;
	d->routes.store = d->store;
	d->routes.pub = d->pub;
	d->routes.logvkey = d->logvkey_str;
	d->routes.registrar = d->registrar[0] ? d->registrar : NULL;
	d->routes.allow = d->allow;
	if (api_new(&d->routes, &d->api) != 0)
		fatalx("out of memory");
	if ((rc = seq_start(d->base, &sq, api_add_done, d->api,
	    &d->routes.seq)) != 0)
		fatalx("sequencer: %s", pt_strerror(rc));
}

/* Requests reach the routes once they exist (the socket is bound first,
 * the loop runs only when everything is up). */
static void
route_request(struct evhttp_request *req, void *arg)
{
	struct daemon *d = arg;

	if (d->api == NULL)
		evhttp_send_error(req, 503, "starting");
	else
		api_dispatch(req, d->api);
}

/* Bind the listening socket before anything is created on disk: a port
 * already taken stops the daemon with nothing left behind. */
static void
bind_http(struct daemon *d)
{
	struct hsrv_opts ho;
	struct pt_why why = { "" };

	http_opts(&d->cfg, d->routes.metrics, &ho);
	if (hsrv_start(d->base, d->cfg.listen, &ho, route_request, d,
	    &d->http, &why) != 0)
		fatalx("%s (nothing was created or changed on disk)",
		    why.text);
}

/* The witness client, with the timer that answers parked submissions.
 * The first checkpoint reaches it through on_checkpoint (made active by
 * the start-up publication). */
static void
start_witnessing(struct daemon *d)
{
	struct witc_opts wo;
	struct timeval sec = { 1, 0 };
	struct pt_why why = { "" };

	if (d->cfg.witness_policy[0] == '\0')
		return;
	memset(&wo, 0, sizeof(wo));
	wo.policy_path = d->cfg.witness_policy;
	wo.interval_ms = d->cfg.witness_interval_ms;
	wo.timeout_ms = d->cfg.witness_timeout_ms;
	wo.wait_for_quorum = (int)d->cfg.witness_wait_quorum;
	wo.cacert = d->cfg.witness_cacert;
	if (witc_start(d->base, d->store, &wo, on_cosigned, d,
	    &d->routes.witc, &why) != 0)
		fatalx("witness policy: %s", why.text);
	d->park_ev = event_new(d->base, -1, EV_PERSIST, on_park_tick, d);
	if (d->park_ev == NULL || event_add(d->park_ev, &sec) != 0)
		fatalx("cannot start the receipt timer");
	log_info("witnessing per %s (%s)", d->cfg.witness_policy,
	    pub_wait_quorum(d->pub) ? "checkpoints served once the quorum "
	    "cosigned" : "checkpoints served at once, cosignatures added as "
	    "they arrive");
}

/*
 * publish_dir: the static tree written after each commit, on a thread of
 * its own.  A directory that cannot be used is said loudly; the log
 * serves without it.
 */
static void
start_publishing(struct daemon *d)
{
	struct publish_opts po;
	struct note_vkey vk;
	struct pt_why why = { "" };
	int rc;

	if (d->cfg.publish_dir[0] == '\0')
		return;
	if (note_vkey_parse(d->logvkey_str, strlen(d->logvkey_str), &vk) != 0)
		fatalx("log verifier key %s does not parse", d->logvkey_str);
	memset(&po, 0, sizeof(po));
	po.dir = d->cfg.publish_dir;
	po.gzip = (int)d->cfg.publish_gzip;
	po.store = d->store;
	po.pub = d->pub;
	po.logkey = &vk;
	po.logvkey = d->logvkey_str;
	po.web_root = d->cfg.web_root;
	po.policy_path = d->cfg.witness_policy;
	po.allow = d->routes.allow;
	po.registrar = d->routes.registrar;
	po.metrics = d->routes.metrics;
	if ((rc = publish_start(&po, &d->publish, &why)) != 0)
		log_warnx("publish_dir %s: %s; not publishing (the log serves "
		    "as before)", d->cfg.publish_dir, why.text[0] ? why.text :
		    pt_strerror(rc));
	else
		log_info("publishing the log into %s%s", d->cfg.publish_dir,
		    d->cfg.publish_gzip ? " (bundles also gzip)" : "");
}

/* Signals through libevent, and the periodic reader-slot check. */
static void
start_housekeeping(struct daemon *d)
{
	struct timeval every = { 10, 0 };

	d->sig_term = evsignal_new(d->base, SIGTERM, on_term, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_term, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, on_hup, d);
	d->reader_ev = event_new(d->base, -1, EV_PERSIST, on_reader_check, d);
	if (d->reader_ev == NULL || event_add(d->reader_ev, &every) != 0)
		fatalx("cannot start the reader check");
	if (d->sig_term == NULL || d->sig_int == NULL || d->sig_hup == NULL ||
	    evsignal_add(d->sig_term, NULL) != 0 ||
	    evsignal_add(d->sig_int, NULL) != 0 ||
	    evsignal_add(d->sig_hup, NULL) != 0)
		fatalx("cannot install signal handlers");
}

/*
 * Tell the service manager (systemd's NOTIFY_SOCKET; nothing without it)
 * that the log is verified and the socket bound, and start the watchdog
 * pings at half the interval it asks for.
 */
static void
notify_ready(struct daemon *d)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		struct timeval tv = { (time_t)(usec / 2000000),
		    (suseconds_t)(usec / 2 % 1000000) };

		d->watchdog_ev = event_new(d->base, -1, EV_PERSIST,
		    on_watchdog, d);
		if (d->watchdog_ev == NULL || event_add(d->watchdog_ev, &tv)
		    != 0)
			fatalx("cannot start the watchdog timer");
	}
	sd_notifyf(0, "READY=1\nSTATUS=serving \"%s\" on port %d",
	    d->origin, hsrv_port(d->http));
}

/* After the loop: everything in the reverse order, the key wiped. */
static void
shut_down(struct daemon *d)
{
	/* Answers sent by seq_stop are flushed by a last loop pass. */
	event_base_loop(d->base, EVLOOP_NONBLOCK);
	hsrv_free(d->http);
	witc_free(d->routes.witc);
	publish_stop(d->publish);	/* the last commit's checkpoint too */
	api_free(d->api);
	if (d->park_ev != NULL)
		event_free(d->park_ev);
	event_free(d->ckpt_ev);
	event_free(d->sig_term);
	event_free(d->sig_int);
	event_free(d->sig_hup);
	event_free(d->reader_ev);
	if (d->watchdog_ev != NULL)
		event_free(d->watchdog_ev);
	event_base_free(d->base);
	pub_free(d->pub);
	metrics_free(d->routes.metrics);
	store_close(d->store);
	allow_free(d->allow);
	note_skey_wipe(&d->logkey);
	log_info("stopped");
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct opts o;
	uint64_t last_time;
	int rc;

	memset(&d, 0, sizeof(d));
	if (argc > 1 && strcmp(argv[1], "backup") == 0)
		return backup_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "recover") == 0)
		return recover_main(argc - 1, argv + 1);
	if ((rc = parse_args(argc, argv, &o)) >= 0 ||
	    (rc = load_config(&d, &o)) >= 0)
		return rc;
	log_init(o.verbose || d.cfg.verbose);
	if (metrics_new(&d.routes.metrics) != 0)
		fatalx("out of memory");
	signal(SIGPIPE, SIG_IGN);
	if (o.full) {
		rc = logchk_full_main(d.cfg.data, d.cfg.map_size_mb);
		metrics_free(d.routes.metrics);
		return rc;
	}
	check_origin_choice(&d);
	make_loop(&d);
	bind_http(&d);
	open_log(&d, &o);
	last_time = check_identity(&d);
	log_limits(&d, "start-up");
	start_allow(&d, &o, &last_time);
	start_serving(&d, last_time);
	start_publishing(&d);
	start_witnessing(&d);
	start_housekeeping(&d);
	log_info("listening on %s (port %d); verifier key %s", d.cfg.listen,
	    hsrv_port(d.http), d.logvkey_str);
	notify_ready(&d);
	event_base_dispatch(d.base);
	shut_down(&d);
	return 0;
}
