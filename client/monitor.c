/* monitor.c: follow a log and print matching verified entries. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amount.h"
#include "audit.h"
#include "cli.h"
#include "export.h"
#include "json.h"
#include "monitor.h"
#include "fold.h"
#include "num.h"
#include "record.h"
#include "signer.h"
#include "tty.h"
#include "util.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* field of rec (a string) contains needle, both folded (fold.h). */
static int
field_has(json_t *rec, const char *path, const char *needle)
{
	json_t *v = jrec_path(rec, path);

	return json_is_string(v) && fold_contains(json_string_value(v),
	    json_string_length(v), needle);
}

static int
contains(json_t *rec, const char *party, const char *needle)
{
	char p[64], *fn;
	int hit;

	if (fold_text(needle, strlen(needle), &fn) != 0)
		return 0;
	snprintf(p, sizeof(p), "%s.id", party);
	hit = field_has(rec, p, fn);
	snprintf(p, sizeof(p), "%s.name", party);
	hit = hit || field_has(rec, p, fn);
	free(fn);
	return hit;
}

int
mon_match(const struct mon_filter *f, json_t *rec)
{
	json_t *a;

	if (f->type != NULL && (!json_is_string(json_object_get(rec, "type")) ||
	    strcmp(json_string_value(json_object_get(rec, "type")), f->type) !=
	    0))
		return 0;
	if (f->payer != NULL && !contains(rec, "payer", f->payer))
		return 0;
	if (f->payee != NULL && !contains(rec, "payee", f->payee))
		return 0;
	if (f->office != NULL) {
		/* A grant or revoke naming the office: so that an office
		 * learns of any key given in its name within one poll. */
		json_t *k = json_object_get(rec, "key");
		const char *t = json_string_value(json_object_get(rec, "type"));
		char *fn;
		int hit;

		if (t == NULL || strcmp(t, "office_key") != 0 ||
		    fold_text(f->office, strlen(f->office), &fn) != 0)
			return 0;
		hit = (json_is_string(k) && fold_contains(json_string_value(k),
		    strcspn(json_string_value(k), "+"), fn)) ||
		    field_has(rec, "name", fn);
		free(fn);
		if (!hit && !contains(rec, "organization", f->office))
			return 0;
	}
	if (f->permit_num != NULL) {
		json_t *v = json_object_get(rec, "permit_num");
		char *fa, *fb;
		int eq;

		if (!json_is_string(v) || fold_text(f->permit_num,
		    strlen(f->permit_num), &fa) != 0)
			return 0;
		if (fold_text(json_string_value(v), json_string_length(v),
		    &fb) != 0) {
			free(fa);
			return 0;
		}
		eq = strcmp(fa, fb) == 0;
		free(fa);
		free(fb);
		if (!eq)
			return 0;
	}
	if (f->currency != NULL && (!json_is_string(json_object_get(rec,
	    "currency")) || strcmp(json_string_value(json_object_get(rec,
	    "currency")), f->currency) != 0))
		return 0;
	if (f->have_min || f->have_max) {
		a = json_object_get(rec, "amount_minor");
		if (!json_is_integer(a))
			return 0;
		if (f->have_min && json_integer_value(a) < f->min_amount)
			return 0;
		if (f->have_max && json_integer_value(a) > f->max_amount)
			return 0;
	}
	return 1;
}

struct mon {
	struct mon_filter f;
	struct aud_corr *corr;	/* the log's corrections, checked by the
				 * audit engine as entries pass */
	int json;
	unsigned long long shown;
	uint64_t next;		/* entries below were handled (a poll that
				 * failed after showing some is not shown
				 * twice) */
};

static const char *
s(json_t *rec, const char *path)
{
	json_t *v = jrec_path(rec, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* Text from the log, escaped for the terminal (tty.h). */
static void
put(const char *text)
{
	tty_puts(stdout, text);
}

static void
show_text(const struct mon *m, uint64_t index, json_t *rec,
    const struct wire_entry *e)
{
	uint64_t by;
	int v;

	const char *type = s(rec, "type");

	printf("%llu %s ", (unsigned long long)index, type);
	if (strcmp(type, "payment") == 0) {
		char amt[AMT_MAX_TEXT + 16];

		/* no ISO 4217 minor unit: the minor units, said so */
		if (amt_format((int64_t)json_integer_value(json_object_get(rec,
		    "amount_minor")), s(rec, "currency"), amt, AMT_MAX_TEXT) !=
		    0)
			strcat(amt, " (minor units)");
		put(s(rec, "id"));
		printf(" %s %s ", s(rec, "date"), amt);
		put(s(rec, "currency"));
		putchar(' ');
		put(s(rec, "payer.name"));
		printf(" -> ");
		if (strcmp(s(rec, "payee.kind"), "individual") == 0)
			printf("(individual)");
		else
			put(s(rec, "payee.name"));
	} else if (strcmp(type, "permit_decision") == 0) {
		put(s(rec, "permit_num"));
		putchar(' ');
		put(s(rec, "decision"));
		printf(" %s ", s(rec, "decision_date"));
		put(s(rec, "address.line1"));
		printf(", ");
		put(s(rec, "address.city"));
	} else if (strcmp(type, "office_key") == 0) {
		/* Who may sign for an office: loud on a terminal. */
		json_t *k = json_object_get(rec, "key");
		struct note_vkey vk;

		printf("%sALERT%s %s of ", cli_red(stdout), cli_reset(stdout),
		    s(rec, "action"));
		if (json_is_string(k) && note_vkey_parse(json_string_value(k),
		    json_string_length(k), &vk) == 0)
			signer_print(stdout, &vk);
		printf(" for \"");
		put(s(rec, "name"));
		printf("\" (");
		put(s(rec, "organization.scheme"));
		putchar('/');
		put(s(rec, "organization.id"));
		putchar(')');
		if (json_is_array(json_object_get(rec, "types"))) {
			json_t *t;
			size_t i;

			printf(" types");
			json_array_foreach(json_object_get(rec, "types"), i, t) {
				printf("%c", i == 0 ? ' ' : ',');
				put(json_string_value(t));
			}
		}
		if (s(rec, "valid_from")[0] != '\0')
			printf(" from %s", s(rec, "valid_from"));
		printf(": ");
		put(s(rec, "reason"));
	} else {
		put(s(rec, "id"));
		printf(" %s entry %lld: ", strcmp(s(rec, "action"), "void") ==
		    0 ? "voids" : "amends", (long long)json_integer_value(
		    json_object_get(rec, "target_index")));
		put(s(rec, "reason"));
	}
	printf(" [signed by ");
	signer_print(stdout, &e->sub.submitter);
	printf("]");
	if (aud_corr_status(m->corr, index, &v, &by) == 1)
		printf(" %s by #%llu", v ? "VOIDED" : "AMENDED",
		    (unsigned long long)by);
	putchar('\n');
}

static int
on_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len,
    const struct wire_entry *e)
{
	struct mon *m = arg;
	json_t *ej, *rec;
	int rc;

	if (index < m->next)
		return 0;
	m->next = index + 1;
	if ((rc = jrec_entry_to_json(e, entry, len, index, &ej, NULL)) != 0)
		return rc;
	rec = json_object_get(ej, "record");
	if (!mon_match(&m->f, rec)) {
		json_decref(ej);
		return 0;
	}
	m->shown++;
	if (m->json) {
		uint64_t by;
		int v, r = aud_corr_status(m->corr, index, &v, &by);

		json_object_set_new(ej, "status", json_string(r < 0 ?
		    "unknown" : r == 0 ? "current" : v ? "voided" :
		    "amended"));
		json_object_set_new(ej, "corrected_by", r == 1 ?
		    json_integer((json_int_t)by) : json_null());
		cli_json_print(stdout, ej, JSON_COMPACT);
	} else
		show_text(m, index, rec, e);
	fflush(stdout);
	json_decref(ej);
	return cli_out_check(stdout);
}

static const char monitor_usage[] =
    "usage: pubtrail monitor --log URL --log-key VKEY [--state DIR]\n"
    "                        [--interval SECONDS] [--once] [--from-start]\n"
    "                        [--type TYPE] [--payer TEXT] [--payee TEXT]\n"
    "                        [--office NAME]\n"
    "                        [--permit-num NUM] [--currency CODE\n"
    "                        [--min-amount AMOUNT] [--max-amount AMOUNT]\n"
    "                        [--decimal-comma | --decimal-point]\n"
    "                        [--thousands-sep SEP]\n"
    "                        [--negative STYLE]] [--json]\n"
    "\n"
    "Follow the log: every poll verifies the new checkpoint (consistent\n"
    "with the last one), every new entry and the recomputed root, then\n"
    "prints the new entries that match all filters (text, or JSON Lines\n"
    "with --json), until interrupted (--once: one poll).  Without --state\n"
    "it starts at the log's current size (verified from its hash tiles),\n"
    "or at 0 with --from-start.  --payer, --payee and --permit-num match\n"
    "whatever the case, Unicode normal form or invisible characters\n"
    "(NFC, case folding, default-ignorable code points removed).\n"
    "--office NAME shows (ALERT) every grant or revoke of an office key\n"
    "(office_key entries) whose key name, office name, or organisation's\n"
    "name or id holds NAME, matched the same way: an office learns within\n"
    "one poll of any key given in its name.\n"
    "--currency shows only records in that currency; --min-amount and\n"
    "--max-amount (which need it) are amounts in its major units, read as\n"
    "`submit` reads them: 1234.56, or with --decimal-comma 1234,56 (a comma\n"
    "is refused unless you say what it is).  Entries are shown as soon as a\n"
    "consistency proof places them in the signed tree, a few MiB at a time.\n"
    "Exit 0 when stopped, 1 when the log failed a check, 3 network, 7 stale\n"
    "(--once).\n";

/* The command line of `pubtrail monitor`. */
struct monitor_args {
	struct cli_common co;
	struct mon_filter f;
	const char *state;		/* --state DIR */
	uint64_t interval;		/* --interval SECONDS */
	int once;			/* --once */
	int from_start;			/* --from-start */
	/* Read while parsing, into f's amounts. */
	const char *min_arg, *max_arg;	/* --min-amount, --max-amount */
	struct amt_opts amt;		/* how they are written */
};

/* What the monitor follows, once started. */
struct monitor_ctx {
	struct mon m;		/* filters, corrections, progress */
	struct aud_opts o;	/* the audit engine, calling on_entry */
	struct aud_state st;	/* the last verified checkpoint */
	struct logc *lc;
};

/* Reads the options into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
monitor_options(int argc, char **argv, struct monitor_args *a)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "state", 1, NULL, 's' },
		{ "interval", 1, NULL, 'i' },
		{ "once", 0, NULL, '1' },
		{ "from-start", 0, NULL, '0' },
		{ "type", 1, NULL, 't' },
		{ "payer", 1, NULL, 'P' },
		{ "payee", 1, NULL, 'E' },
		{ "permit-num", 1, NULL, 'n' },
		{ "office", 1, NULL, 'O' },
		{ "min-amount", 1, NULL, 'm' },
		{ "max-amount", 1, NULL, 'M' },
		{ "currency", 1, NULL, 'c' },
		AMT_LONGOPTS,
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pt_why why = { "" };
	uint64_t v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(monitor_usage, stdout);
			return CLI_OK;
		case 's':
			a->state = optarg;
			break;
		case 'i':
			if (num_parse_u64_str(optarg, 1, 86400, &v) != 0)
				return cli_usage_error(monitor_usage,
				    "--interval: 1..86400 seconds");
			a->interval = v;
			break;
		case '1':
			a->once = 1;
			break;
		case '0':
			a->from_start = 1;
			break;
		case 't':
			a->f.type = optarg;
			break;
		case 'P':
			a->f.payer = optarg;
			break;
		case 'E':
			a->f.payee = optarg;
			break;
		case 'n':
			a->f.permit_num = optarg;
			break;
		case 'O':
			a->f.office = optarg;
			break;
		case 'm':
			a->min_arg = optarg;
			break;
		case 'M':
			a->max_arg = optarg;
			break;
		case 'c':
			a->f.currency = optarg;
			break;
		default:
			if ((rc = amt_cli_opt(&a->amt, c, optarg, &why)) == 1)
				break;
			if (rc < 0)
				return cli_usage_error(monitor_usage, "%s",
				    why.text);
			if ((rc = cli_common_opt(&a->co, c, optarg,
			    monitor_usage)) != 1) {
				if (rc == 0)
					fputs(monitor_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	return -1;
}

/* --min-amount and --max-amount, in --currency's minor units, into a->f.
 * -1 to go on, or the usage exit code. */
static int
monitor_amounts(struct monitor_args *a)
{
	struct pt_why why = { "" };
	int64_t iv;

	if ((a->min_arg != NULL || a->max_arg != NULL) &&
	    a->f.currency == NULL)
		return cli_usage_error(monitor_usage, "--min-amount and "
		    "--max-amount need --currency CODE (amounts are compared "
		    "in one currency's units)");
	for (int k = 0; k < 2; k++) {
		const char *arg = k == 0 ? a->min_arg : a->max_arg;

		if (arg == NULL)
			continue;
		if (amt_parse(arg, strlen(arg), a->f.currency, &a->amt, &iv,
		    &why) != 0)
			return cli_usage_error(monitor_usage, "--%s \"%.60s\": "
			    "%s", k == 0 ? "min-amount" : "max-amount", arg,
			    why.text);
		if (k == 0) {
			a->f.have_min = 1;
			a->f.min_amount = iv;
		} else {
			a->f.have_max = 1;
			a->f.max_amount = iv;
		}
	}
	return -1;
}

/* The command line into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
monitor_parse(int argc, char **argv, struct monitor_args *a)
{
	struct pt_why why = { "" };
	enum record_type rt;
	int rc;

	memset(a, 0, sizeof(*a));
	a->interval = 10;
	a->amt.decimal = 0;
	a->amt.thousands = AMT_SEP_NONE;
	cli_common_init(&a->co);
	if ((rc = monitor_options(argc, argv, a)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage_error(monitor_usage, "unexpected argument "
		    "'%s'", argv[optind]);
	if (amt_opts_check(&a->amt, &why) != 0)
		return cli_usage_error(monitor_usage, "%s", why.text);
	if ((rc = monitor_amounts(a)) >= 0)
		return rc;
	if (a->f.type != NULL && record_type_parse(a->f.type,
	    strlen(a->f.type), &rt) != 0)
		return cli_usage_error(monitor_usage, "--type: one of "
		    "payment, permit_decision, correction, office_key");
	if ((rc = cli_common_check(&a->co, 1, monitor_usage)) != 0)
		return rc;
	return -1;
}

/* The audit engine set up to call on_entry (r->m), the --state loaded,
 * the log opened.  0 or the exit code. */
static int
monitor_open(const struct monitor_args *a, struct monitor_ctx *r)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	r->m.f = a->f;
	r->m.json = a->co.json;
	if (aud_corr_new(&r->m.corr) != 0)
		return cli_fail(PT_ENOMEM, NULL, "monitor");
	r->o.corr = r->m.corr;
	r->o.fn = on_entry;
	r->o.arg = &r->m;
	r->o.defer = 1;
	if (a->state != NULL && (rc = aud_state_load(a->state, &a->co.key,
	    &r->st, &why)) != 0)
		return cli_fail(rc == PT_ECORRUPT ? PT_EIO : rc, &why,
		    "--state");
	cli_hcli_opts(&a->co, a->co.concurrency, &ho);
	ho.recv_buffer = AUD_RECV_BUFFER;
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &r->lc,
	    &why)) != 0)
		return cli_fail(rc, &why, "--log");
	r->lc->tiles_only = a->co.tiles_only;
	return 0;
}

/* SIGINT and SIGTERM stop the monitor after the current poll. */
static void
monitor_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Polls every --interval seconds until stopped (--once: one poll): an
 * incremental audit, its new matching entries shown, then --state saved.
 * A log that fails a check ends it; network trouble is said and followed
 * on.  The exit code. */
static int
monitor_follow(const struct monitor_args *a, struct monitor_ctx *r)
{
	struct aud_summary sum;
	struct pt_why why = { "" };
	int rc;

	while (!stop) {
		rc = aud_run(r->lc, &r->st, &r->o, &sum, &why);
		if (rc != 0 && cli_exit_for(rc) == CLI_EVERIFY)
			return cli_fail(rc, &why, "the log FAILED "
			    "verification");
		if (rc != 0) {
			/* Network trouble: say so and keep following. */
			cli_fail(rc, &why, "poll");
			if (a->once)
				return cli_exit_for(rc);
		} else if (a->state != NULL &&
		    (rc = aud_state_save(a->state, &r->st, &why)) != 0)
			return cli_fail(rc, &why, "--state");
		if (a->once)
			break;
		for (uint64_t t = 0; t < a->interval && !stop; t++)
			sleep(1);
	}
	return CLI_OK;
}

static int
monitor_run(const struct monitor_args *a)
{
	struct monitor_ctx r;
	struct pt_why why = { "" };
	int rc, ex;

	memset(&r, 0, sizeof(r));
	if ((ex = monitor_open(a, &r)) != 0)
		goto out;
	monitor_signals();
	if (!r.st.have && !a->from_start &&
	    (rc = aud_bootstrap(r.lc, &r.st, &why)) != 0) {
		ex = cli_fail(rc, &why, "start");
		goto out;
	}
	ex = monitor_follow(a, &r);
out:
	aud_state_free(&r.st);
	aud_corr_free(r.m.corr);
	logc_free(r.lc);
	return ex;
}

int
mon_cmd(int argc, char **argv)
{
	struct monitor_args a;
	int rc;

	if ((rc = monitor_parse(argc, argv, &a)) >= 0)
		return rc;
	return monitor_run(&a);
}
