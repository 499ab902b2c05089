/*
 * cfg.c: the configuration table.  Every key has a type, bounds and a
 * default; the same table drives --config files, command-line options,
 * `pubtraild -n` and the config man page.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "cfg.h"
#include "hsrv.h"
#include "num.h"
#include "ptlimits.h"
#include "pt.h"

/* Where `make install` puts the citizen page (Makefile sets it). */
#ifndef PT_WEB_ROOT
#define PT_WEB_ROOT "/usr/local/share/pubtrail/web"
#endif

enum cfg_kind { CFG_STR, CFG_U64 };

static const struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	size_t off;
	uint64_t min, max, def;		/* CFG_STR: min is a length */
	const char *defstr;
	const char *help;
} cfg_keys[] = {
	{ "data", CFG_STR, offsetof(struct cfg, data), 1, 0, 0,
	  "./pubtrail-data", "data directory (LMDB, log key, submitters)" },
	{ "listen", CFG_STR, offsetof(struct cfg, listen), 1, 0, 0,
	  "127.0.0.1:8640", "HOST:PORT to listen on" },
	{ "origin", CFG_STR, offsetof(struct cfg, origin), 0, 0, 0,
	  "", "log origin (checkpoint first line), used when a log is "
	  "created; default <hostname>/pubtrail" },
	{ "require_origin", CFG_U64, offsetof(struct cfg, require_origin), 0,
	  1, 0, NULL, "1: refuse to create a new log unless origin is set "
	  "(the service unit passes --require-origin)" },
	{ "submitters", CFG_STR, offsetof(struct cfg, submitters), 0, 0, 0,
	  "", "submitters file, read only to bootstrap a log's grants "
	  "(with --bootstrap-registrar-key); default DATA/submitters" },
	{ "registrar_key", CFG_STR, offsetof(struct cfg, registrar_key), 0, 0,
	  0, "", "the registrar's verifier key (the string, or a file whose "
	  "first line it is), who signs office_key grants and revokes; "
	  "default DATA/registrar.vkey when it exists" },
	{ "batch_max", CFG_U64, offsetof(struct cfg, batch_max), 1,
	  PT_BATCH_MAX, PT_BATCH_DEFAULT, NULL, "entries per batch (one "
	  "commit, one fsync, one checkpoint)" },
	{ "batch_window_ms", CFG_U64, offsetof(struct cfg, batch_window_ms),
	  0, 1000, PT_BATCH_WINDOW_MS, NULL, "longest wait for a batch to "
	  "fill, milliseconds" },
	{ "batch_window_max_ms", CFG_U64,
	  offsetof(struct cfg, batch_window_max_ms), 0, 1000,
	  PT_BATCH_WINDOW_MAX_MS, NULL, "under load (submissions still being "
	  "verified when batch_window_ms ends) a batch keeps filling up to "
	  "this long, milliseconds; batch_window_ms = 0, or this at most "
	  "batch_window_ms, turns it off" },
	{ "verify_threads", CFG_U64, offsetof(struct cfg, verify_threads), 0,
	  64, 0, NULL, "signature verification threads (0 = one per CPU)" },
	{ "queue_max", CFG_U64, offsetof(struct cfg, queue_max), 1,
	  PT_QUEUE_MAX, 16384, NULL, "submissions waiting to be sequenced; "
	  "beyond it POST /add answers 503" },
	{ "max_headers", CFG_U64, offsetof(struct cfg, max_headers), 1024,
	  65536, PT_HTTP_MAX_HEADERS, NULL, "request header bytes" },
	{ "max_body", CFG_U64, offsetof(struct cfg, max_body), 1024,
	  PT_MAX_SUBMISSION, PT_HTTP_MAX_BODY, NULL, "request body bytes" },
	{ "add_batch_max", CFG_U64, offsetof(struct cfg, add_batch_max), 0,
	  PT_ADD_BATCH_MAX, PT_ADD_BATCH_DEFAULT, NULL, "submissions in one "
	  "POST /add batch (0: batches refused)" },
	{ "add_batch_bytes", CFG_U64, offsetof(struct cfg, add_batch_bytes),
	  1024, PT_ADD_BATCH_BYTES_MAX, PT_ADD_BATCH_BYTES, NULL, "bytes of "
	  "one POST /add batch (refused before it is read whole)" },
	{ "request_deadline_ms", CFG_U64,
	  offsetof(struct cfg, request_deadline_ms), 100, 600000,
	  PT_HTTP_DEADLINE_MS, NULL, "a connection must deliver a whole "
	  "request within this time of opening (or of its last answer)" },
	{ "idle_timeout_s", CFG_U64, offsetof(struct cfg, idle_timeout_s), 1,
	  3600, PT_HTTP_IDLE_S, NULL, "inactivity timeout, seconds" },
	{ "max_connections", CFG_U64, offsetof(struct cfg, max_connections),
	  16, 65536, PT_HTTP_MAX_CONNS, NULL, "simultaneous connections; "
	  "beyond it new connections are closed at once" },
	{ "rate_limit", CFG_U64, offsetof(struct cfg, rate_limit), 0,
	  1000000, 1000, NULL, "appends per second per submitter (0 = no "
	  "limit); beyond it 429" },
	{ "rate_burst", CFG_U64, offsetof(struct cfg, rate_burst), 1,
	  10000000, 5000, NULL, "burst allowance per submitter" },
	{ "map_size_mb", CFG_U64, offsetof(struct cfg, map_size_mb), 1,
	  1ULL << 24, 65536, NULL, "LMDB map size, MiB (the largest the "
	  "log can grow)" },
	{ "verbose", CFG_U64, offsetof(struct cfg, verbose), 0, 1, 0, NULL,
	  "log debug messages" },
	{ "witness_policy", CFG_STR, offsetof(struct cfg, witness_policy), 0,
	  0, 0, "", "C2SP tlog-policy file naming the witnesses asked to "
	  "cosign each checkpoint (\"\" = none)" },
	{ "witness_cacert", CFG_STR, offsetof(struct cfg, witness_cacert), 0,
	  0, 0, "", "PEM file of the CAs trusted for https:// witnesses "
	  "(\"\" = the system's CA store)" },
	{ "witness_interval_ms", CFG_U64,
	  offsetof(struct cfg, witness_interval_ms), 10, 3600000, 1000, NULL,
	  "at most one cosigning round per interval" },
	{ "witness_timeout_ms", CFG_U64,
	  offsetof(struct cfg, witness_timeout_ms), 100, 600000, 5000, NULL,
	  "time-out of one request to a witness" },
	{ "witness_wait_quorum", CFG_U64,
	  offsetof(struct cfg, witness_wait_quorum), 0, 1, 0, NULL,
	  "1: serve and put in receipts only checkpoints whose cosignatures "
	  "meet the policy's quorum; 0: serve at once, add cosignatures as "
	  "they arrive" },
	{ "witness_receipt_timeout_ms", CFG_U64,
	  offsetof(struct cfg, witness_receipt_timeout_ms), 1000, 3600000,
	  60000, NULL, "with witness_wait_quorum: how long an append waits "
	  "for the quorum before answering 503 (the entry stays durable)" },
	{ "web_root", CFG_STR, offsetof(struct cfg, web_root), 0, 0, 0,
	  PT_WEB_ROOT, "directory of the citizen page served at / "
	  "(docs/WEB.md; \"\" = none)" },
	{ "publish_dir", CFG_STR, offsetof(struct cfg, publish_dir), 0, 0, 0,
	  "", "directory the daemon writes the log into after each commit, "
	  "as a static C2SP tlog-tiles tree for nginx to serve "
	  "(docs/MIRROR.md; \"\" = none)" },
	{ "publish_gzip", CFG_U64, offsetof(struct cfg, publish_gzip), 0, 1,
	  1, NULL, "1: a gzip copy beside each full entry bundle in "
	  "publish_dir, for nginx's gzip_static" },
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))


void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char *p = (char *)c + k->off;

		if (k->kind == CFG_STR)
			snprintf(p, CFG_PATH_MAX, "%s", k->defstr);
		else
			memcpy(p, &k->def, sizeof(uint64_t));
	}
}

int
cfg_set(struct cfg *c, const char *key, const char *value,
    struct pt_why *why)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char *p = (char *)c + k->off;
		size_t len = strlen(value);
		uint64_t v;

		if (strcmp(k->name, key) != 0)
			continue;
		if (k->kind == CFG_STR) {
			if (len < k->min || len >= CFG_PATH_MAX)
				return pt_why_set(why, PT_EINVAL, "%s: want "
				    "%llu..%d bytes, got %zu", key,
				    (unsigned long long)k->min,
				    CFG_PATH_MAX - 1, len);
			memcpy(p, value, len + 1);
			return 0;
		}
		if (num_parse_u64(value, len, k->min, k->max, &v) != 0)
			return pt_why_set(why, PT_EINVAL, "%s: want a decimal "
			    "integer in [%llu, %llu], got \"%.40s\"", key,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max, value);
		memcpy(p, &v, sizeof(v));
		return 0;
	}
	return pt_why_set(why, PT_ENOTFOUND, "unknown key \"%.60s\"", key);
}

struct load_ctx {
	struct cfg *c;
	struct pt_why *why;
	const char *path;
	int rc;
};

/*
 * Cut an inline comment off a value: a '#' or ';' at its start or after a
 * space or tab begins one (inih itself knows only ';' inline); the blanks
 * before it go too.  A '#' inside a word ("log#2") stays.  Writes into
 * buf (cap bytes); 0, or PT_ETOOBIG.
 */
static int
strip_comment(const char *value, char *buf, size_t cap)
{
	size_t len = 0;

	for (const char *q = value; *q != '\0'; q++) {
		if ((*q == '#' || *q == ';') &&
		    (q == value || q[-1] == ' ' || q[-1] == '\t'))
			break;
		len++;
	}
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len >= cap)
		return PT_ETOOBIG;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return 0;
}

/*
 * The lines inih parses, read by us (an ini_reader): a line longer than
 * inih's line buffer holds (num - 1: 199 bytes and the newline in
 * Debian's build), or holding a NUL byte, is an error (inih would split
 * the one and cut the other short, silently); leading blanks are dropped,
 * so that an indented "key = value" is a key, not a continuation of the
 * previous value (inih's multi-line values).
 */
struct cfg_src {
	FILE *f;
	unsigned line;
	int rc;			/* PT_ETOOBIG, PT_EMALFORMED or PT_EIO */
};

static char *
cfg_read_line(char *str, int num, void *stream)
{
	struct cfg_src *src = stream;
	size_t n = 0, cap = (size_t)num;
	int ch, lead = 1;

	if (src->rc != 0 || cap < 2)
		return NULL;
	while ((ch = getc(src->f)) != EOF && ch != '\n') {
		if (ch == '\0') {
			src->rc = PT_EMALFORMED;
			return NULL;
		}
		if (lead && (ch == ' ' || ch == '\t'))
			continue;
		lead = 0;
		if (n + 1 >= cap) {
			src->rc = PT_ETOOBIG;
			return NULL;
		}
		str[n++] = (char)ch;
	}
	if (ferror(src->f)) {
		src->rc = PT_EIO;
		return NULL;
	}
	if (ch == EOF && n == 0 && lead)
		return NULL;
	src->line++;
	str[n] = '\0';
	return str;
}

static int
cfg_ini_line(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *lc = user;
	struct pt_why why = { "" };
	char v[CFG_PATH_MAX];

	if (lc->rc != 0)
		return 0;
	if (section[0] != '\0' && strcmp(section, "pubtraild") != 0) {
		lc->rc = pt_why_set(lc->why, PT_EINVAL, "%s: unknown section "
		    "[%.60s]", lc->path, section);
		return 0;
	}
	if (strip_comment(value, v, sizeof(v)) != 0) {
		lc->rc = pt_why_set(lc->why, PT_EINVAL, "%s: %.60s: value too "
		    "long", lc->path, name);
		return 0;
	}
	if (cfg_set(lc->c, name, v, &why) != 0) {
		lc->rc = pt_why_set(lc->why, PT_EINVAL, "%s: %s", lc->path,
		    why.text);
		return 0;
	}
	return 1;
}

int
cfg_load(struct cfg *c, const char *path, struct pt_why *why)
{
	struct load_ctx lc = { c, why, path, 0 };
	struct cfg_src src = { NULL, 0, 0 };
	int rc;

	if ((src.f = fopen(path, "r")) == NULL)
		return pt_why_set(why, PT_EIO, "%s: cannot open: %s", path,
		    strerror(errno));
	/* inih hands a reader at most its own line buffer (ini_max_line): a
	 * longer line of ours is refused by the reader, not split. */
	rc = ini_parse_stream(cfg_read_line, &src, cfg_ini_line, &lc);
	fclose(src.f);
	if (src.rc == PT_ETOOBIG)
		return pt_why_set(why, PT_EINVAL, "%s:%u: line too long",
		    path, src.line + 1);
	if (src.rc == PT_EMALFORMED)
		return pt_why_set(why, PT_EINVAL, "%s:%u: NUL byte", path,
		    src.line + 1);
	if (src.rc != 0)
		return pt_why_set(why, PT_EIO, "%s: read error", path);
	if (lc.rc != 0)
		return lc.rc;
	if (rc != 0)
		return pt_why_set(why, PT_EINVAL, "%s:%d: syntax error", path,
		    rc);
	return 0;
}

void
cfg_describe(FILE *out)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->kind == CFG_STR)
			fprintf(out, "  %-20s %s (default \"%s\")\n", k->name,
			    k->help, k->defstr);
		else
			fprintf(out, "  %-20s %s (default %llu, %llu..%llu)\n",
			    k->name, k->help, (unsigned long long)k->def,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
	}
}

int
cfg_listen_split(const struct cfg *c, char *host, size_t hostcap,
    uint16_t *port)
{
	return hsrv_listen_split(c->listen, host, hostcap, port);
}
