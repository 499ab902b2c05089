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
    "                        [--thousands-sep SEP]] [--json]\n"
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

int
mon_cmd(int argc, char **argv)
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
	struct cli_common co;
	struct mon m;
	struct aud_opts o;
	struct aud_state st;
	struct aud_summary sum;
	struct logc *lc = NULL;
	struct pt_why why = { "" };
	const char *state = NULL, *min_arg = NULL, *max_arg = NULL;
	struct amt_opts amt = { 0, AMT_SEP_NONE };
	uint64_t interval = 10, v;
	int64_t iv;
	int c, rc, once = 0, from_start = 0, ex = CLI_OK;
	struct sigaction sa;

	cli_common_init(&co);
	memset(&m, 0, sizeof(m));
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(monitor_usage, stdout);
			return CLI_OK;
		case 's':
			state = optarg;
			break;
		case 'i':
			if (num_parse_u64_str(optarg, 1, 86400, &v) != 0)
				return cli_usage_error(monitor_usage,
				    "--interval: 1..86400 seconds");
			interval = v;
			break;
		case '1':
			once = 1;
			break;
		case '0':
			from_start = 1;
			break;
		case 't':
			m.f.type = optarg;
			break;
		case 'P':
			m.f.payer = optarg;
			break;
		case 'E':
			m.f.payee = optarg;
			break;
		case 'n':
			m.f.permit_num = optarg;
			break;
		case 'O':
			m.f.office = optarg;
			break;
		case 'm':
			min_arg = optarg;
			break;
		case 'M':
			max_arg = optarg;
			break;
		case 'c':
			m.f.currency = optarg;
			break;
		default:
			if ((rc = amt_cli_opt(&amt, c, optarg, &why)) == 1)
				break;
			if (rc < 0)
				return cli_usage_error(monitor_usage, "%s",
				    why.text);
			if ((rc = cli_common_opt(&co, c, optarg,
			    monitor_usage)) != 1) {
				if (rc == 0)
					fputs(monitor_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind != argc)
		return cli_usage_error(monitor_usage, "unexpected argument "
		    "'%s'", argv[optind]);
	if (amt_opts_check(&amt, &why) != 0)
		return cli_usage_error(monitor_usage, "%s", why.text);
	if ((min_arg != NULL || max_arg != NULL) && m.f.currency == NULL)
		return cli_usage_error(monitor_usage, "--min-amount and "
		    "--max-amount need --currency CODE (amounts are compared in "
		    "one currency's units)");
	for (int k = 0; k < 2; k++) {
		const char *a = k == 0 ? min_arg : max_arg;

		if (a == NULL)
			continue;
		if (amt_parse(a, strlen(a), m.f.currency, &amt, &iv, &why) != 0)
			return cli_usage_error(monitor_usage, "--%s \"%.60s\": "
			    "%s", k == 0 ? "min-amount" : "max-amount", a,
			    why.text);
		if (k == 0) {
			m.f.have_min = 1;
			m.f.min_amount = iv;
		} else {
			m.f.have_max = 1;
			m.f.max_amount = iv;
		}
	}
	if (m.f.type != NULL) {
		enum record_type rt;

		if (record_type_parse(m.f.type, strlen(m.f.type), &rt) != 0)
			return cli_usage_error(monitor_usage, "--type: one of "
			    "payment, permit_decision, correction, office_key");
	}
	if ((rc = cli_common_check(&co, 1, monitor_usage)) != 0)
		return rc;
	m.json = co.json;
	if (aud_corr_new(&m.corr) != 0)
		return cli_fail(PT_ENOMEM, NULL, "monitor");
	o.corr = m.corr;
	o.fn = on_entry;
	o.arg = &m;
	o.defer = 1;
	if (state != NULL && (rc = aud_state_load(state, &co.key, &st,
	    &why)) != 0) {
		aud_corr_free(m.corr);
		return cli_fail(rc == PT_ECORRUPT ? PT_EIO : rc, &why,
		    "--state");
	}
	{
		struct hcli_opts ho;

		cli_hcli_opts(&co, co.concurrency, &ho);
		ho.recv_buffer = AUD_RECV_BUFFER;

		if ((rc = logc_open(co.log_url, &co.key, &ho, &lc, &why)) !=
		    0) {
			aud_state_free(&st);
			aud_corr_free(m.corr);
			return cli_fail(rc, &why, "--log");
		}
		lc->tiles_only = co.tiles_only;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!st.have && !from_start &&
	    (rc = aud_bootstrap(lc, &st, &why)) != 0) {
		ex = cli_fail(rc, &why, "start");
		goto out;
	}
	while (!stop) {
		rc = aud_run(lc, &st, &o, &sum, &why);
		if (rc != 0 && cli_exit_for(rc) == CLI_EVERIFY) {
			ex = cli_fail(rc, &why, "the log FAILED verification");
			goto out;
		}
		if (rc != 0) {
			/* Network trouble: say so and keep following. */
			cli_fail(rc, &why, "poll");
			if (once) {
				ex = cli_exit_for(rc);
				goto out;
			}
		} else if (state != NULL &&
		    (rc = aud_state_save(state, &st, &why)) != 0) {
			ex = cli_fail(rc, &why, "--state");
			goto out;
		}
		if (once)
			break;
		for (uint64_t t = 0; t < interval && !stop; t++)
			sleep(1);
	}
out:
	aud_state_free(&st);
	aud_corr_free(m.corr);
	logc_free(lc);
	return ex;
}
