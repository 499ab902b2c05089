/*
 * cli.c: pubtrail's subcommand dispatch, exit codes and error output.
 *
 * Each subcommand is a function taking (argc, argv) with argv[0] the
 * subcommand's name, parsing its own options with getopt_long, and
 * returning an exit code from enum cli_exit.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "correct.h"
#include "num.h"
#include "policy.h"
#include "verify.h"
#include "disclose.h"
#include "evidence.h"
#include "export.h"
#include "get.h"
#include "gossip.h"
#include "witness.h"
#include "keys.h"
#include "mirror.h"
#include "ptlimits.h"
#include "monitor.h"
#include "okeys.h"
#include "receipt.h"
#include "submit.h"
#include "tty.h"
#include "util.h"
#include "verify.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "keygen", keys_cmd_keygen, "create an Ed25519 signing key" },
	{ "keys", okc_cmd, "grant, revoke and list office keys (the log's own record)" },
	{ "submit", sub_cmd, "sign and submit records, keep verified receipts" },
	{ "correct", cor_cmd, "void or amend a record this office logged" },
	{ "verify", vrf_cmd, "verify a receipt offline" },
	{ "receipt", receipt_cmd, "show a receipt for people, or make its QR code" },
	{ "get", get_cmd, "fetch and verify a checkpoint, entry or proof" },
	{ "audit", aud_cmd, "verify a whole log, incrementally" },
	{ "monitor", mon_cmd, "follow a log and print matching new entries" },
	{ "export", export_cmd, "export verified entries as CSV, JSONL, OCDS or BLDS" },
	{ "mirror", mir_cmd, "copy a log, verified, into a static tlog-tiles tree" },
	{ "disclose", dis_cmd_disclose, "reveal a person's line; find or erase them" },
	{ "check-disclosure", dis_cmd_check, "check a disclosure against the log" },
	{ "witness", witness_main, "run a C2SP tlog-witness (witness serve)" },
	{ "gossip", gossip_main, "exchange verified checkpoints (gossip sync|serve)" },
	{ "evidence", evidence_main, "re-check a split-view evidence file" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: pubtrail <command> [options] [args]\n"
	    "       pubtrail <command> --help\n"
	    "       pubtrail --version\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-17s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "\nexit codes: 0 ok, 1 verification failed (evidence "
	    "against the log), 2 usage,\n  3 network or server error, 4 not "
	    "found in the log, 5 refused by the log,\n  6 local file "
	    "error, 7 stale (the log or a cache serves an older checkpoint "
	    "than\n  one verified before: consistent with it, not a "
	    "rollback)\n");
}

int
cli_main(int argc, char **argv)
{
	/* A server closing a keep-alive connection must be an error on that
	 * request, not the end of the process. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("pubtrail %s\n", PT_VERSION);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2) {
			for (size_t i = 0; i < NCOMMANDS; i++) {
				if (strcmp(argv[2], commands[i].name) == 0) {
					char *hv[] = { argv[2], "--help", NULL };

					return commands[i].fn(2, hv);
				}
			}
		}
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			int ex;

			optind = 0;	/* glibc: full re-initialisation */
			opterr = 1;
			ex = commands[i].fn(argc - 1, argv + 1);
			/* Output that could not be written: a closed pipe
			 * ends quietly; anything else is an error. */
			if (fflush(stdout) != 0 || ferror(stdout)) {
				if (cli_out_check(stdout) != 0 && ex == CLI_OK)
					ex = cli_fail(PT_EIO, NULL, "writing "
					    "the output");
			}
			return ex;
		}
	}
	fprintf(stderr, "pubtrail: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EUSAGE;
}

int
cli_exit_for(int err)
{
	switch (err) {
	case 0:
		return CLI_OK;
	case PT_EINVAL:
		return CLI_EUSAGE;
	case PT_ENOTFOUND:
		return CLI_ENOTFOUND;
	case PT_EREFUSED:
	case PT_ERATE:
	case PT_EFORBIDDEN:
		return CLI_EREFUSED;
	case PT_EIO:
	case PT_EFULL:
		return CLI_EFILE;
	case PT_ESTALE:
		return CLI_ESTALE;
	case PT_ENET:
	case PT_ENOMEM:
	case PT_EBUSY:
	case PT_ECRYPTO:
	case PT_ETIME:
		return CLI_ENET;
	default:
		/* Signatures, proofs, schema, decoding, conflicts, forks,
		 * rollbacks: the data failed verification. */
		return CLI_EVERIFY;
	}
}

int
cli_fail(int err, const struct pt_why *why, const char *fmt, ...)
{
	char ctx[512];
	va_list ap;

	/* The context and the reason may carry log or peer data (a key
	 * name, a server's reason): escaped, one line. */
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pubtrail: %s", cli_red(stderr));
	tty_puts(stderr, ctx);
	fputs(": ", stderr);
	if (why != NULL && why->text[0] != '\0')
		tty_puts(stderr, why->text);
	else
		fputs(pt_strerror(err), stderr);
	fprintf(stderr, "%s\n", cli_reset(stderr));
	return cli_exit_for(err);
}

void
cli_json_print(FILE *f, json_t *o, size_t flags)
{
	flags |= JSON_SORT_KEYS;
	if (isatty(fileno(f)))
		flags |= JSON_ENSURE_ASCII;
	json_dumpf(o, f, flags);
	fputc('\n', f);
}

int
cli_out_check(FILE *f)
{
	int e = errno;

	if (!ferror(f))
		return 0;
	if (e == EPIPE || (fflush(f) != 0 && errno == EPIPE)) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return PT_EIO;
}

const char *
cli_shell_word(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	if (cap < 8) {
		if (cap > 0)
			out[0] = '\0';
		return out;
	}
	if (s[0] != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_./:=@%+,") == strlen(s)) {
		snprintf(out, cap, "%s", s);
		if (strlen(s) >= cap)
			memcpy(out + cap - 4, "...", 4);
		return out;
	}
	out[n++] = '\'';
	for (; *s != '\0'; s++) {
		size_t need = *s == '\'' ? 4 : 1;

		if (n + need + 5 > cap) {
			memcpy(out + n, "'...", 5);
			return out;
		}
		if (*s == '\'')
			memcpy(out + n, "'\\''", 4);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			out[n] = '?';	/* never a control to the terminal */
		else
			out[n] = *s;
		n += need;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return out;
}

int
cli_usage_error(const char *usage_text, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pubtrail: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return CLI_EUSAGE;
}

int
cli_color(FILE *f)
{
	const char *term = getenv("TERM");

	if (getenv("NO_COLOR") != NULL)
		return 0;
	if (term == NULL || strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

const char *
cli_green(FILE *f)
{
	return cli_color(f) ? "\033[32m" : "";
}

const char *
cli_red(FILE *f)
{
	return cli_color(f) ? "\033[31m" : "";
}

const char *
cli_reset(FILE *f)
{
	return cli_color(f) ? "\033[0m" : "";
}

void
cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = PT_HTTP_DEADLINE_MS * 3;
	c->concurrency = 8;
}

int
cli_common_opt(struct cli_common *c, int code, const char *arg,
    const char *usage_text)
{
	uint64_t v;

	switch (code) {
	case CLI_OPT_LOG:
		c->log_url = arg;
		return 1;
	case CLI_OPT_LOGKEY:
		c->log_key = arg;
		return 1;
	case CLI_OPT_JSON:
		c->json = 1;
		return 1;
	case CLI_OPT_QUIET:
		c->quiet = 1;
		return 1;
	case CLI_OPT_POLICY:
		c->policy = arg;
		return 1;
	case CLI_OPT_CACERT:
		c->cacert = arg;
		return 1;
	case CLI_OPT_TILES:
		c->tiles_only = 1;
		return 1;
	case CLI_OPT_REGPUB:
		c->registrar_pub = arg;
		return 1;
	case CLI_OPT_TIMEOUT:
		if (num_parse_u64_str(arg, 1, 3600000, &v) != 0) {
			cli_usage_error(usage_text, "--timeout: want "
			    "milliseconds, 1..3600000");
			return -CLI_EUSAGE;
		}
		c->timeout_ms = (unsigned)v;
		return 1;
	case CLI_OPT_CONC:
		if (num_parse_u64_str(arg, 1, 256, &v) != 0) {
			cli_usage_error(usage_text, "--concurrency: want 1..256");
			return -CLI_EUSAGE;
		}
		c->concurrency = (unsigned)v;
		return 1;
	default:
		return 0;
	}
}

int
cli_common_check(struct cli_common *c, int need_log, const char *usage_text)
{
	struct pt_why why = { "" };
	int rc;

	if (need_log && c->log_url == NULL)
		return cli_usage_error(usage_text, "--log URL is required");
	if (c->log_key == NULL)
		return cli_usage_error(usage_text, "--log-key VKEY is required "
		    "(the log's verifier key string, or a file holding it)");
	if ((rc = keys_load_vkey(c->log_key, &c->key, &why)) != 0)
		return cli_fail(rc == PT_EIO ? rc : PT_EINVAL, &why,
		    "--log-key");
	if (c->registrar_pub != NULL) {
		struct note_vkey rk;

		if ((rc = keys_load_vkey(c->registrar_pub, &rk, &why)) != 0)
			return cli_fail(rc == PT_EIO ? rc : PT_EINVAL, &why,
			    "--registrar-key-pub");
		note_vkey_format(&rk, c->registrar, sizeof(c->registrar));
	}
	if (c->cacert != NULL && access(c->cacert, R_OK) != 0) {
		pt_why_set(&why, PT_EIO, "%s: %s", c->cacert, strerror(errno));
		return cli_fail(PT_EIO, &why, "--cacert");
	}
	if (c->policy != NULL) {
		uint8_t *buf = NULL;
		size_t len;
		struct pol *p;

		if ((rc = ut_read_input(c->policy, PT_POLICY_MAX, &buf, &len,
		    &why)) != 0)
			return cli_fail(rc, &why, "--policy");
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			free(buf);
			return cli_fail(PT_ENOMEM, NULL, "--policy");
		}
		rc = pol_parse((const char *)buf, len, p, &why);
		free(buf);
		if (rc != 0) {
			free(p);
			return cli_fail(PT_EINVAL, &why, "--policy");
		}
		vrf_set_policy(p);	/* kept for the life of the process */
	}
	return 0;
}

void
cli_hcli_opts(const struct cli_common *c, unsigned concurrency,
    struct hcli_opts *out)
{
	memset(out, 0, sizeof(*out));
	out->timeout_ms = c->timeout_ms;
	out->concurrency = concurrency;
	out->cacert = c->cacert;
}
