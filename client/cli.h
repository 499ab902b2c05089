/*
 * cli.h: pubtrail's command-line framework: subcommand dispatch, exit
 * codes, error reporting and the options every network command shares.
 */
#ifndef PT_CLIENT_CLI_H
#define PT_CLIENT_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "hcli.h"
#include "note.h"
#include "pt.h"

/* Exit codes (documented in pubtrail(1) and docs/CLIENT.md). */
enum cli_exit {
	CLI_OK = 0,		/* success, everything verified */
	CLI_EVERIFY = 1,	/* verification failed: evidence of a bad log or entry */
	CLI_EUSAGE = 2,		/* bad command line (also a --log-key that is
				 * not the log's) */
	CLI_ENET = 3,		/* network or server error: unreachable, TLS,
				 * timed out, 5xx, an answer that is not what
				 * was asked */
	CLI_ENOTFOUND = 4,	/* no such entry or record in the log */
	CLI_EREFUSED = 5,	/* the log refused the request (HTTP 400,
				 * 403, 409, 413, 422, 429 ...) */
	CLI_EFILE = 6,		/* a local file cannot be read, written or
				 * created (missing, permissions, disk full) */
	CLI_ESTALE = 7,		/* the log (or a cache or relay in front of
				 * it) serves a checkpoint older than one
				 * verified before, proven a prefix of it, even
				 * when asked past caches: stale, not a
				 * rollback; try again later */
};

/* Run pubtrail with argv as given to main().  Returns the exit code. */
int cli_main(int argc, char **argv);

/* Exit code for a PT_E* code (0 maps to CLI_OK). */
int cli_exit_for(int err);

/*
 * Print "pubtrail: <context>: <reason>" to stderr, where reason is why's
 * text when set, else pt_strerror(err).  Returns cli_exit_for(err).
 */
int cli_fail(int err, const struct pt_why *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Write the JSON value o to f and a newline, with flags (JSON_COMPACT,
 * JSON_INDENT(n) ...) and always JSON_SORT_KEYS; with JSON_ENSURE_ASCII
 * when f is a terminal, so that no byte of log data reaches it raw.
 */
void cli_json_print(FILE *f, json_t *o, size_t flags);

/*
 * After writing to f (standard output): 0 when all is well; a reader that
 * closed the pipe (EPIPE) ends the process quietly the conventional way,
 * by SIGPIPE (status 141 in a shell), as `yes | head` does; any other
 * write error is PT_EIO.  Call it where a long output loop can stop.
 */
int cli_out_check(FILE *f);

/* s as one shell word (in single quotes unless it is only letters,
 * digits and -_./:=@%+,) into out (cap bytes; cut short with "..." when
 * it does not fit): a command a message tells the user to run, pasted
 * as it is.  A control character is shown as '?', never sent to the
 * terminal (such a word is to be typed by hand).  Returns out. */
const char *cli_shell_word(const char *s, char *out, size_t cap);

/* Print a usage error and the usage text to stderr; returns CLI_EUSAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* 1 when colour may be written to f: a terminal, NO_COLOR unset and
 * TERM not "dumb". */
int cli_color(FILE *f);

/* "\033[32m" etc. when cli_color(f), else "". */
const char *cli_green(FILE *f);
const char *cli_red(FILE *f);
const char *cli_reset(FILE *f);

/*
 * Options shared by the commands that talk to a log.  cli_common_parse()
 * is not getopt: each command's getopt loop calls cli_common_opt() for the
 * option codes below and gets 1 when it consumed the option.
 */
struct cli_common {
	const char *log_url;		/* --log URL */
	const char *log_key;		/* --log-key VKEY|FILE */
	int json;			/* --json */
	unsigned timeout_ms;		/* --timeout MS (whole request) */
	unsigned concurrency;		/* --concurrency N */
	int quiet;			/* --quiet */
	const char *policy;		/* --policy FILE (tlog-policy) */
	const char *cacert;		/* --cacert FILE: CAs for https:// */
	int tiles_only;			/* --tiles-only: read only tlog-tiles
					 * resources (proofs from tiles) */
	struct note_vkey key;		/* parsed log_key (cli_common_check) */
	const char *registrar_pub;	/* --registrar-key-pub VKEY|FILE: the
					 * log's registrar (office keys) */
	char registrar[PT_MAX_VKEY + 1]; /* its key string, "" when none
					 * (cli_common_check) */
};

#define CLI_OPT_LOG		0x100
#define CLI_OPT_LOGKEY		0x101
#define CLI_OPT_JSON		0x102
#define CLI_OPT_TIMEOUT		0x103
#define CLI_OPT_CONC		0x104
#define CLI_OPT_QUIET		0x105
#define CLI_OPT_POLICY		0x106
#define CLI_OPT_CACERT		0x107
#define CLI_OPT_TILES		0x108
#define CLI_OPT_REGPUB		0x109

/* getopt_long table entries for the common options; use as
 * { CLI_LONGOPTS_COMMON, { ... command's own ... }, { 0 } }. */
#define CLI_LONGOPTS_COMMON						\
	{ "log", 1, NULL, CLI_OPT_LOG },				\
	{ "log-key", 1, NULL, CLI_OPT_LOGKEY },				\
	{ "json", 0, NULL, CLI_OPT_JSON },				\
	{ "timeout", 1, NULL, CLI_OPT_TIMEOUT },			\
	{ "concurrency", 1, NULL, CLI_OPT_CONC },			\
	{ "quiet", 0, NULL, CLI_OPT_QUIET },				\
	{ "policy", 1, NULL, CLI_OPT_POLICY },				\
	{ "cacert", 1, NULL, CLI_OPT_CACERT },				\
	{ "tiles-only", 0, NULL, CLI_OPT_TILES },			\
	{ "registrar-key-pub", 1, NULL, CLI_OPT_REGPUB }

/* Defaults into c. */
void cli_common_init(struct cli_common *c);
/* Handle one getopt code: 1 consumed, 0 not ours, CLI_EUSAGE negated
 * (-2) for a bad value (message printed). */
int cli_common_opt(struct cli_common *c, int code, const char *arg,
    const char *usage);
/* Check that --log (when need_log) and --log-key are given and load the
 * key; with --policy, load the policy: from then on every checkpoint is
 * accepted only when the policy's witness quorum cosigned it
 * (vrf_checkpoint).  Returns 0 or an exit code (message printed). */
int cli_common_check(struct cli_common *c, int need_log, const char *usage);

/* The HTTP client's options from c (--timeout, --cacert) with concurrency
 * requests in flight at once. */
void cli_hcli_opts(const struct cli_common *c, unsigned concurrency,
    struct hcli_opts *out);

#endif
