/*
 * submit.c: `pubtrail submit`, and what `pubtrail correct` shares with it
 * (submit.h).
 *
 * Two phases.  First every record of every input is read, encoded and
 * checked (intake.c); with a problem anywhere nothing is sent unless
 * --keep-going.  Then the valid records go to sub_send (subsend.c), which
 * signs, sends and keeps verified receipts.  The command itself reads its
 * options (submit_parse), then runs (submit_run): read, report, and either
 * the dry run or the sending, and the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amount.h"
#include "audcorr.h"
#include "cstatus.h"
#include "datefmt.h"
#include "json.h"
#include "keys.h"
#include "num.h"
#include "presign.h"
#include "submit.h"
#include "tty.h"

/* ------------------------------------------------- shared with correct */

void
sub_args_init(struct sub_args *a)
{
	memset(a, 0, sizeof(*a));
	cli_common_init(&a->co);
	a->receipts = "receipts";
	a->give_up = SUB_GIVE_UP_S;
}

int
sub_args_opt(struct sub_args *a, int code, const char *arg,
    const char *usage)
{
	struct pt_why why = { "" };
	uint64_t v;
	int rc;

	switch (code) {
	case 'k':
		a->keyfile = arg;
		return 0;
	case 'r':
		a->receipts = arg;
		return 0;
	case SUB_OPT_NORECEIPTS:
		a->receipts = NULL;
		return 0;
	case 'd':
		a->disclosures = arg;
		return 0;
	case 'f':
		if (strcmp(arg, "json") != 0 && strcmp(arg, "jsonl") != 0 &&
		    strcmp(arg, "csv") != 0)
			return cli_usage_error(usage, "--format: json, jsonl or "
			    "csv");
		a->io.format = arg;
		return 0;
	case 'c':
		a->io.csv.currency = arg;
		return 0;
	case SUB_OPT_MAP:
		a->map = arg;
		return 0;
	case SUB_OPT_DELIM:
		if (strcmp(arg, ",") == 0 || strcmp(arg, ";") == 0)
			a->io.csv.delimiter = arg[0];
		else if (strcmp(arg, "tab") == 0 || strcmp(arg, "\t") == 0)
			a->io.csv.delimiter = '\t';
		else
			return cli_usage_error(usage, "--delimiter: want , ; "
			    "or tab");
		return 0;
	case SUB_OPT_HEADERLINE:
		if (num_parse_u64_str(arg, 1, 1000, &v) != 0)
			return cli_usage_error(usage, "--header-line: the "
			    "header's line, 1..1000");
		a->io.csv.header_line = (unsigned)v;
		return 0;
	case SUB_OPT_DATEFMT:
		if (datefmt_parse(arg, &a->io.csv.date, &why) != 0)
			return cli_usage_error(usage, "%s", why.text);
		return 0;
	case SUB_OPT_TYPE:
		a->io.csv.type = arg;
		return 0;
	case SUB_OPT_GIVEUP:
		if (num_parse_u64_str(arg, 1, 86400, &v) != 0)
			return cli_usage_error(usage, "--give-up: 1..86400 "
			    "seconds");
		a->give_up = (unsigned)v;
		return 0;
	}
	if ((rc = amt_cli_opt(&a->io.csv.amt, code, arg, &why)) == 1)
		return 0;
	if (rc < 0)
		return cli_usage_error(usage, "%s", why.text);
	if ((rc = cli_common_opt(&a->co, code, arg, usage)) == 1)
		return 0;
	if (rc == 0)
		fputs(usage, stderr);
	return CLI_EUSAGE;
}

/* The key file's exclusive flock, waited for (saying so) while another
 * run holds it.  A file system without flock: no lock, as before. */
static void
lock_key(struct sub_office *of, const struct sub_args *a)
{
	int fd = open(a->keyfile, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;		/* keys_load_skey says why */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			close(fd);
			return;
		}
		if (!a->co.quiet)
			fprintf(stderr, "pubtrail: another run with the key %s "
			    "is under way: waiting for it to end\n",
			    a->keyfile);
		while (flock(fd, LOCK_EX) != 0)
			if (errno != EINTR) {
				close(fd);
				return;
			}
	}
	of->lockfd = fd;
	of->locked = 1;
}

int
sub_office_open(struct sub_office *of, struct sub_args *a, const char *usage)
{
	struct pt_why why = { "" };
	int rc;

	if (a->map != NULL && (rc = csvin_map_load(a->map, &of->map, &why)) !=
	    0)
		return cli_fail(rc == PT_ENOTFOUND || rc == PT_EIO ? rc :
		    PT_EINVAL, &why, "--map");
	a->io.csv.map = of->map;
	if (a->keyfile == NULL)
		return 0;
	if (!a->nolock)
		lock_key(of, a);
	if ((rc = keys_load_skey(a->keyfile, &of->key, &why)) != 0)
		return cli_fail(rc, &why, "--key");
	of->have_key = 1;
	if ((rc = note_vkey_format(&of->key.vk, of->vkey, sizeof(of->vkey))) !=
	    0)
		return cli_fail(rc, NULL, "--key");
	if (a->disclosures == NULL) {
		if (snprintf(of->dpath, sizeof(of->dpath), "%s.disclosures.jsonl",
		    a->keyfile) >= (int)sizeof(of->dpath))
			return cli_usage_error(usage, "--key: path too long");
		a->disclosures = of->dpath;
	}
	if ((rc = dis_store_open(a->disclosures, of->vkey, a->nolock, &of->dis,
	    &why)) != 0)
		return cli_fail(rc, &why, "disclosures file");
	of->discs.known = dis_store_known;
	of->discs.holds = dis_store_holds;
	of->discs.erased = dis_store_erased;
	of->discs.alike = dis_store_alike;
	of->discs.known_arg = of->dis;
	return 0;
}

int
sub_office_connect(struct sub_office *of, const struct sub_args *a)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	cli_hcli_opts(&a->co, a->co.concurrency, &ho);
	/* no request is waited for longer than the run waits for an answer
	 * (--give-up), the first checkpoint's included */
	if (a->give_up > 0 && (uint64_t)a->give_up * 1000 < ho.timeout_ms)
		ho.timeout_ms = a->give_up * 1000u;
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &of->lc, &why)) !=
	    0)
		return cli_fail(rc, &why, "--log");
	return 0;
}

int
sub_office_checkpoint(struct sub_office *of, const char *what)
{
	struct pt_why why = { "" };
	int rc;

	if ((of->ck = calloc(1, sizeof(*of->ck))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "%s", what);
	if ((rc = logc_checkpoint(of->lc, of->ck, NULL, NULL, &why)) != 0) {
		int ex = cli_fail(rc, &why, "checkpoint");

		/* before anything is sent: no record is half done */
		fprintf(stderr, "pubtrail: %s: nothing was sent (the log's "
		    "checkpoint comes first); run the same command again once "
		    "the log answers\n", what);
		return ex;
	}
	return 0;
}

void
sub_office_send_opts(const struct sub_office *of, const struct sub_args *a,
    unsigned batch, struct sub_opts *so)
{
	memset(so, 0, sizeof(*so));
	so->co = &a->co;
	so->lc = of->lc;
	so->ck = of->ck;
	so->key = &of->key;
	so->vkey = of->vkey;
	so->dis = of->dis;
	so->receipts = a->receipts;
	so->give_up_s = a->give_up;
	so->batch = batch;
}

void
sub_office_close(struct sub_office *of)
{
	if (of->have_key)
		note_skey_wipe(&of->key);
	jrec_discs_clear(&of->discs);
	dis_store_free(of->dis);
	csvin_map_free(of->map);
	logc_free(of->lc);
	free(of->ck);
	if (of->locked)
		close(of->lockfd);	/* and the lock with it */
	memset(of, 0, sizeof(*of));
}

/* ------------------------------------------------------------- dry run */

/* The amounts of a record (keys ending in "_minor", nested ones dotted,
 * each with the currency of its own object) as they were read, appended
 * to out: "amount 1234.56 EUR", so that a decimal comma or a thousands
 * separator read otherwise than meant shows before anything is logged. */
static void
dry_amounts(json_t *obj, const char *prefix, char *out, size_t cap)
{
	json_t *c = json_object_get(obj, "currency"), *v;
	const char *cur = json_is_string(c) ? json_string_value(c) : NULL;
	const char *k;

	json_object_foreach(obj, k, v) {
		char path[160], txt[AMT_MAX_TEXT];
		size_t kl = strlen(k), ol = strlen(out);

		snprintf(path, sizeof(path), "%s%s", prefix, k);
		if (json_is_object(v)) {
			char sub[170];

			snprintf(sub, sizeof(sub), "%s.", path);
			dry_amounts(v, sub, out, cap);
			continue;
		}
		if (!json_is_integer(v) || kl <= 6 ||
		    strcmp(k + kl - 6, "_minor") != 0)
			continue;
		if (cur != NULL && amt_format(json_integer_value(v), cur, txt,
		    sizeof(txt)) == 0) {
			path[strlen(path) - 6] = '\0';
			snprintf(out + ol, cap - ol, "%s%s %s %s", ol ? ", " : "",
			    path, txt, cur);
		} else
			snprintf(out + ol, cap - ol, "%s%s %lld", ol ? ", " : "",
			    path, (long long)json_integer_value(v));
	}
}

/* The dates of a record as they were read, appended to out: "date
 * 2026-01-31", so that a --date-format that reads day and month the
 * wrong way round shows before anything is logged. */
static void
dry_dates(json_t *obj, char *out, size_t cap)
{
	static const char *const keys[] = { "date", "decision_date",
	    "applied_date", "issued_date", "expires_date" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(obj, keys[i]);
		size_t ol = strlen(out);

		if (json_is_string(v))
			snprintf(out + ol, cap - ol, "%s%s %s", ol ? ", " : "",
			    keys[i], json_string_value(v));
	}
}

/* One valid record of a dry run: "ID → valid (amount 1234.56 EUR)" or
 * "ID → INDEX (already logged; amount 1234.56 EUR)", with its dates
 * first when dates (a --date-format was given); status (else NULL) and
 * by: "voided" or "amended" (since: the log's record in effect is another
 * than this) or "as_amended" (this is the record as amended by #by); or
 * with --json {"id", "valid", "record"}, the record as it would be
 * logged; "already logged" / logged_at when at is not UINT64_MAX. */
static void
dry_line(const struct itk_item *it, int json, int dates, uint64_t at,
    const char *status, uint64_t by)
{
	char id[PT_MAX_ID * 4 + 1], am[512] = "";
	json_t *rec = NULL;

	(void)jrec_to_json(it->record, it->record_len, &rec, NULL);
	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(it->id));
		json_object_set_new(o, "valid", json_true());
		if (rec != NULL)
			json_object_set(o, "record", rec);
		if (at != UINT64_MAX)
			json_object_set_new(o, "logged_at",
			    json_integer((json_int_t)at));
		if (status != NULL) {
			json_object_set_new(o, "status", json_string(status));
			json_object_set_new(o, "corrected_by",
			    json_integer((json_int_t)by));
		}
		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		if (json_is_object(rec) && dates)
			dry_dates(rec, am, sizeof(am));
		if (json_is_object(rec))
			dry_amounts(rec, "", am, sizeof(am));
		printf("%s \xe2\x86\x92 ", itk_printable(it->id, id,
		    sizeof(id)));
		if (at != UINT64_MAX && status != NULL)
			printf("%llu (already logged, %s by #%llu%s",
			    (unsigned long long)at, strcmp(status, "voided") ==
			    0 ? "voided" : strcmp(status, "amended") == 0 ?
			    "amended since" : "as amended",
			    (unsigned long long)by, am[0] != '\0' ? "; " :
			    ")");
		else if (at != UINT64_MAX)
			printf("%llu (already logged%s", (unsigned long long)at,
			    am[0] != '\0' ? "; " : ")");
		else
			fputs(am[0] != '\0' ? "valid (" : "valid", stdout);
		if (am[0] != '\0') {
			tty_puts(stdout, am);
			fputc(')', stdout);
		}
		fputc('\n', stdout);
	}
	json_decref(rec);
}

/* Whether the log's corrections index lists a correction of index (or
 * lists none at all: a static mirror, whose statuses are resolved one by
 * one). */
static int
listed(const struct aud_corr *corr, uint64_t index)
{
	uint64_t by;
	int v;

	return corr == NULL || aud_corr_status(corr, index, &v, &by) != 0;
}

/* --dry-run with --log: which ids are in the log already. */
static int
dry_lookup(struct itk *t, struct logc *lc, const char *vkey, int json,
    int dates, struct dis_store *dis, size_t *logged, size_t *conflicts,
    const struct itk_item **fix)
{
	struct ckpt *ck;
	struct aud_corr *corr = NULL;
	struct pt_why why = { "" };
	uint8_t sid[32];
	int rc, ex = CLI_OK;

	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "--dry-run");
	if ((rc = wire_submitter_id(vkey, strlen(vkey), sid)) != 0 ||
	    (rc = logc_checkpoint(lc, ck, NULL, NULL, &why)) != 0) {
		free(ck);
		return cli_fail(rc, &why, "checkpoint");
	}
	/* the log's corrections index, read once: which records to resolve
	 * (without it, every one found is resolved) */
	if (aud_corr_new(&corr) != 0 ||
	    aud_corr_load(corr, lc, ck, &why) != 0) {
		aud_corr_free(corr);
		corr = NULL;
	}
	for (size_t k = 0; k < t->nitems; k++) {
		const struct itk_item *it = &t->items[k];
		struct wire_entry e;
		uint8_t *buf = NULL;
		size_t len;
		uint64_t index = 0, by = 0;
		const char *status;
		int same = 0, found;

		rc = logc_lookup(lc, sid, it->id, ck, &index, &buf, &len, &e,
		    &why);
		if (rc != 0 && rc != PT_ENOTFOUND) {
			free(ck);
			aud_corr_free(corr);
			return cli_fail(rc, &why, "looking up %s", it->id);
		}
		found = rc == 0;
		if (found)
			same = e.sub.record_len == it->record_len &&
			    memcmp(e.sub.record, it->record, it->record_len) ==
			    0;
		status = NULL;
		if (found && same && listed(corr, index)) {
			/* logged as it is here: corrected since?  (only what
			 * the index lists is resolved, and proven) */
			struct cst st;

			memset(&st, 0, sizeof(st));
			if (cst_resolve(lc, ck, index, buf, len, &e, &st,
			    &why) == 0 && (st.status == CST_VOIDED ||
			    st.status == CST_AMENDED)) {
				status = st.status == CST_VOIDED ? "voided" :
				    "amended";
				by = st.c[st.n - 1].index;
			}
			cst_free(&st);
		}
		if (found && !same && listed(corr, index) &&
		    sub_amended_entry(lc, ck, index, buf, len, &e, it->record,
		    it->record_len, &by) == 1) {
			/* the record as amended: the month's file corrected */
			free(buf);
			(*logged)++;
			dry_line(it, json, dates, index, "as_amended", by);
			continue;
		}
		if (found && !same) {
			struct in_pos pos = { it->file, it->line, 0 };
			char msg[2048];

			(*conflicts)++;
			if (sub_conflict_text(e.sub.record, e.sub.record_len,
			    it->record, it->record_len, index, dis, it->id,
			    it->file, msg, sizeof(msg)) && *fix == NULL)
				*fix = it;
			free(buf);
			itk_problem(t, &pos, "id", it->id, 0, msg);
			ex = CLI_EVERIFY;
			continue;
		}
		free(buf);
		if (found)
			(*logged)++;
		dry_line(it, json, dates, found ? index : UINT64_MAX, status,
		    by);
	}
	free(ck);
	aud_corr_free(corr);
	return ex;
}

static void
dry_print(const struct itk *t, int json, int dates)
{
	for (size_t k = 0; k < t->nitems; k++)
		dry_line(&t->items[k], json, dates, UINT64_MAX, NULL, 0);
}

/* ------------------------------------------------------------ the command */

static const char submit_usage[] =
    "usage: pubtrail submit --log URL --log-key VKEY --key FILE\n"
    "         [--receipts DIR | --no-receipts] [--disclosures FILE]\n"
    "         [--format json|jsonl|csv] [--delimiter , | ; | tab]\n"
    "         [--header-line N]\n"
    "         [--map FILE | --map 'NAME=FIELD,...'] [--type TYPE]\n"
    "         [--currency CODE] [--decimal-comma | --decimal-point]\n"
    "         [--thousands-sep , | . | ' | space]\n"
    "         [--negative trailing | parentheses]\n"
    "         [--date-format DD.MM.YYYY | MM/DD/YYYY | ...] [--keep-going]\n"
    "         [--dry-run] [--give-up SECONDS] [--batch N]\n"
    "         [--concurrency N]\n"
    "         [--timeout MS] [--json] [--quiet] [INPUT...]\n"
    "\n"
    "Submit records (JSON object, JSON array, JSON Lines or CSV; \"-\" or\n"
    "no INPUT: standard input) to the log at URL, signed with the office's\n"
    "key FILE for the origin of the log's checkpoint, verified with VKEY.\n"
    "\n"
    "Every record of every INPUT is read and checked with the log's own\n"
    "schema code first; any problem is printed as\n"
    "  FILE:LINE[:COL]: FIELD: PROBLEM (VALUE)\n"
    "and then NOTHING is sent, unless --keep-going (send the valid records,\n"
    "list the others).  An id used twice in the input is a problem.\n"
    "\n"
    "CSV: ',' ';' or tab separated (detected, --delimiter, or tab for a\n"
    ".tsv file); columns are schema field names or BLDS names, or the\n"
    "office's own names mapped with --map (a file of NAME = FIELD lines,\n"
    "FIELD := VALUE constants, where {NAME} takes a column's cell:\n"
    "id := {Jahr}-{Belegnummer}; or inline NAME=FIELD,...).\n"
    "A report's title lines above the header: --header-line N names the\n"
    "header's line (the lines above it are not read).\n"
    "Amounts in major units (amount, fee, EstProjectCost) are read with the\n"
    "currency's ISO 4217 decimals; a comma is refused unless you say what\n"
    "it is: --decimal-comma (1234,56), or --decimal-point with\n"
    "--thousands-sep , (1,234.56).  --negative trailing reads SAP's\n"
    "1.234,56- as negative, --negative parentheses an accounting format's\n"
    "(1,234.56).  Thousands separators are accepted only\n"
    "when declared and between groups of three digits.  JSON input takes\n"
    "amount_minor, an integer in minor units.  --currency gives rows\n"
    "without a currency column theirs; --type their record type.\n"
    "Dates are YYYY-MM-DD; a spreadsheet's own (31.01.2026, 1/31/2026) is\n"
    "refused unless you say its order: --date-format DD.MM.YYYY (also\n"
    "DD/MM/YYYY, MM/DD/YYYY, YYYY/MM/DD, ..., one or two digits for day\n"
    "and month, four for the year).  A time after a date (hh:mm[:ss],\n"
    "9:30 AM) is checked and dropped.\n"
    "\n"
    "A payee or applicant {\"kind\": \"individual\", \"name\": ...} (or a\n"
    "CSV payee without a scheme) becomes a salted commitment; salt and name\n"
    "are appended to the disclosures FILE (default KEYFILE.disclosures.jsonl,\n"
    "mode 0600) before the record is sent.\n"
    "\n"
    "Records go to the log --batch N at a time (default 100) in one\n"
    "POST /add each (--batch 1: one record per request), --concurrency\n"
    "requests at once.  Each receipt is verified, then saved as\n"
    "DIR/<id>.receipt (default\n"
    "DIR: ./receipts; never over another entry's receipt: one DIR per\n"
    "office); \"ID -> INDEX\" is printed for each record in input\n"
    "order, with a progress bar on a terminal.  Before exit 0, every saved\n"
    "receipt's checkpoint is proven consistent with the others and with\n"
    "the checkpoint this client remembers for the log.  If the log gives\n"
    "no answer for --give-up SECONDS (default 60) the run stops then and\n"
    "says how many records are not confirmed: running the same command\n"
    "again resumes safely (a record already logged is answered with its\n"
    "receipt, never logged twice).  No request, the first checkpoint's\n"
    "included, is waited for longer than --give-up.\n"
    "\n"
    "--dry-run reads and checks only: no --log needed, nothing written;\n"
    "each valid record is shown with its amounts (and with --date-format\n"
    "its dates) as read (\"ID -> valid (amount 1234.56 EUR)\"; --json:\n"
    "the record as it would be logged);\n"
    "with --log (and --key) it also says which ids are in the log already\n"
    "(same content: already logged; other content: a conflict).\n"
    "\n"
    "Exit 0 all logged, 1 a record is invalid or a receipt or checkpoint\n"
    "failed verification, 3 network or the log stopped answering, 5 the\n"
    "log refused a record (e.g. 409: the same id with other content),\n"
    "6 a file cannot be read or a receipt written.\n";


/* What `pubtrail submit` was asked to do. */
struct submit_args {
	struct sub_args a;
	char redo[2048];		/* the options correct takes too, as
					 * shell words (" --log URL ...") */
	char **inputs;			/* INPUT..., or "-" */
	size_t ninputs;
	unsigned batch;			/* --batch N */
	int dry;			/* --dry-run */
	int keep;			/* --keep-going */
};

#define OPT_KEEPGOING	0x210
#define OPT_BATCH	0x212

/*
 * This run's options that `pubtrail correct` takes too (the log, the
 * key, the files, how input is read), from the command line getopt_long
 * accepted with lo, as shell words into out (cap bytes): the command a
 * refusal (409) tells the user to run to amend the record, complete.
 */
static void
redo_options(int argc, char **argv, const struct option *lo, char *out,
    size_t cap)
{
	static const char *const own[] = { "keep-going", "batch", "dry-run",
	    "json", "quiet", "help" };
	size_t n = 0;

	out[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		const struct option *o = NULL;
		char w[1024];
		size_t len, j;
		int skip = 0;

		if (strcmp(arg, "--") == 0)
			break;
		if (strncmp(arg, "--", 2) != 0)
			continue;		/* an input */
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		/* as getopt_long matched it: the name, or the one it begins */
		for (const struct option *p = lo; p->name != NULL; p++)
			if (strncmp(p->name, arg + 2, len) == 0 &&
			    (o == NULL || strlen(p->name) == len))
				o = p;
		if (o == NULL)
			continue;
		if (o->has_arg == 1)
			val = eq != NULL ? eq + 1 : i + 1 < argc ?
			    argv[++i] : "";
		for (j = 0; j < sizeof(own) / sizeof(own[0]); j++)
			skip |= strcmp(o->name, own[j]) == 0;
		if (skip)
			continue;
		if (n < cap)
			n += (size_t)snprintf(out + n, cap - n, " --%s",
			    o->name);
		if (val != NULL && n < cap)
			n += (size_t)snprintf(out + n, cap - n, " %s",
			    cli_shell_word(val, w, sizeof(w)));
	}
	if (n >= cap)
		memcpy(out + cap - 5, " ...", 5);
}

/* The command line into s.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
submit_parse(int argc, char **argv, struct submit_args *s)
{
	static const struct option longopts[] = {
		SUB_LONGOPTS,
		{ "keep-going", 0, NULL, OPT_KEEPGOING },
		{ "batch", 1, NULL, OPT_BATCH },
		{ "dry-run", 0, NULL, 'n' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char *stdin_only[] = { "-" };
	struct sub_args *a = &s->a;
	struct pt_why why = { "" };
	uint64_t v;
	int c, rc;

	memset(s, 0, sizeof(*s));
	sub_args_init(a);
	s->batch = SUB_BATCH;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(submit_usage, stdout);
			return CLI_OK;
		case OPT_KEEPGOING:
			s->keep = 1;
			break;
		case OPT_BATCH:
			if (num_parse_u64_str(optarg, 1, PT_ADD_BATCH_MAX, &v) !=
			    0)
				return cli_usage_error(submit_usage, "--batch: "
				    "1..%d submissions per request",
				    PT_ADD_BATCH_MAX);
			s->batch = (unsigned)v;
			break;
		case 'n':
			s->dry = 1;
			break;
		default:
			if ((rc = sub_args_opt(a, c, optarg, submit_usage)) != 0)
				return rc;
		}
	}
	if (amt_opts_check(&a->io.csv.amt, &why) != 0)
		return cli_usage_error(submit_usage, "%s", why.text);
	if (a->keyfile == NULL && (!s->dry || a->co.log_url != NULL))
		return cli_usage_error(submit_usage, "--key FILE is required%s",
		    s->dry ? " with --log (to find the office's ids)" : "");
	if ((!s->dry || a->co.log_url != NULL) &&
	    (rc = cli_common_check(&a->co, 1, submit_usage)) != 0)
		return rc;
	s->inputs = optind < argc ? argv + optind : stdin_only;
	s->ninputs = optind < argc ? (size_t)(argc - optind) : 1;
	redo_options(argc, argv, longopts, s->redo, sizeof(s->redo));
	return -1;
}

/* Phase 1 found problems and nothing is sent: say how many.  The exit
 * code. */
static int
report_invalid(const struct itk *t)
{
	if (t->records == 0)
		fprintf(stderr, "pubtrail: nothing sent: %zu problem%s above; no "
		    "record could be read\n", t->problems, t->problems == 1 ?
		    "" : "s");
	else
		fprintf(stderr, "pubtrail: nothing sent: %zu of %zu record%s "
		    "invalid%s (%zu problem%s above)%s\n", t->invalid,
		    t->records, t->records == 1 ? "" : "s",
		    t->files_unread ? ", and files unread" : "",
		    t->problems, t->problems == 1 ? "" : "s",
		    t->nitems > 0 ? "; --keep-going sends the valid ones" : "");
	return t->files_unread > 0 ? CLI_EFILE : CLI_EVERIFY;
}

/* --dry-run: each valid record said, and with --log whether it is logged
 * already; nothing sent or written.  The exit code. */
static int
dry_run(const struct submit_args *s, struct sub_office *of, struct itk *t)
{
	const struct sub_args *a = &s->a;
	const struct itk_item *fix = NULL;
	size_t logged = 0, conflicts = 0;
	int ex = CLI_OK;

	if (a->co.log_url != NULL) {
		if ((ex = sub_office_connect(of, a)) != 0)
			return ex;
		ex = dry_lookup(t, of->lc, of->vkey, a->co.json,
		    a->io.csv.date.order[0] != '\0', of->dis, &logged,
		    &conflicts, &fix);
	} else
		dry_print(t, a->co.json, a->io.csv.date.order[0] != '\0');
	if (ex == CLI_OK && t->problems > 0)
		ex = CLI_EVERIFY;
	if (a->co.quiet && ex == CLI_OK)
		return ex;
	if (t->records == 0 && t->problems == 0)
		fprintf(stderr, "pubtrail: dry run: no records in the input; "
		    "nothing was sent or written\n");
	else if (t->records == 0)
		fprintf(stderr, "pubtrail: dry run: %zu problem%s above; no "
		    "record could be read; nothing was sent or written\n",
		    t->problems, t->problems == 1 ? "" : "s");
	else
		fprintf(stderr, "pubtrail: dry run: %zu record%s valid%s, %zu "
		    "invalid (%zu problem%s above); nothing was sent or "
		    "written\n", t->nitems - conflicts, t->nitems - conflicts ==
		    1 ? "" : "s", a->co.log_url == NULL ? "" : logged > 0 ?
		    " (some already logged)" : conflicts > 0 ? "" :
		    " (none logged yet)",
		    t->invalid + conflicts, t->problems, t->problems == 1 ? "" :
		    "s");
	if (fix != NULL)
		sub_correct_hint(s->redo, fix->id, fix->file);
	return ex;
}

/* The receipts directory made now, so that one that cannot be is said
 * before anything is sent (*made: it did not exist, to be removed again
 * if it stays empty).  0 or the exit code. */
static int
receipts_dir(const char *dir, int *made)
{
	struct pt_why why = { "" };
	struct stat st;
	int rc;

	*made = stat(dir, &st) != 0;
	if ((rc = ut_mkdirs(dir, 0755, &why)) != 0)
		return cli_fail(rc, &why, "--receipts");
	/* Others could take a receipt's name first, or (without the
	 * sticky bit, /tmp has it) replace a receipt once saved. */
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH)) {
		if (st.st_mode & S_ISVTX)	/* /tmp and the like */
			pt_why_set(&why, PT_EIO, "a shared directory anyone "
			    "may write to (mode %04o): keep an office's "
			    "receipts in a directory of its own (another "
			    "--receipts DIR)", (unsigned)(st.st_mode & 07777));
		else
			pt_why_set(&why, PT_EIO, "a directory anyone may "
			    "write to (mode %04o): keep an office's receipts "
			    "in a directory of its own (chmod o-w %s, or "
			    "another --receipts DIR)",
			    (unsigned)(st.st_mode & 07777), dir);
		return cli_fail(PT_EIO, &why, "--receipts %s", dir);
	}
	/* a receipt can be written there (a read-only mount, a full disk:
	 * found now, before records are logged without their receipts) */
	{
		char probe[UT_PATH_MAX];
		int fd;

		if (snprintf(probe, sizeof(probe), "%s/.pubtrail-probe-XXXXXX",
		    dir) >= (int)sizeof(probe))
			return cli_fail(PT_ETOOBIG, NULL, "--receipts %s", dir);
		if ((fd = mkstemp(probe)) < 0) {
			pt_why_set(&why, PT_EIO, "cannot write a receipt there "
			    "(%s): nothing sent", strerror(errno));
			return cli_fail(PT_EIO, &why, "--receipts %s", dir);
		}
		close(fd);
		(void)unlink(probe);
	}
	return 0;
}

/* The last lines: what was logged, what not, and how to resume. */
static void
print_summary(const struct sub_args *a, const struct itk *t,
    const struct sub_counts *cnt)
{
	fprintf(stderr, "pubtrail: %zu record%s logged", cnt->logged,
	    cnt->logged == 1 ? "" : "s");
	if (cnt->before > 0 && cnt->before == cnt->logged)
		fprintf(stderr, " (%s in the log before this run: nothing new)",
		    cnt->before == 1 ? "it was" : "all were");
	else if (cnt->before > 0)
		fprintf(stderr, " (%zu of them already in the log before this "
		    "run)", cnt->before);
	if (a->receipts != NULL && cnt->logged > cnt->noreceipt)
		fprintf(stderr, " (receipts in %s/)", a->receipts);
	if (cnt->noreceipt > 0)
		fprintf(stderr, ", %zu of them without a saved receipt (run "
		    "the same command again to save them)", cnt->noreceipt);
	if (t->invalid > 0)
		fprintf(stderr, ", %zu invalid (not sent)", t->invalid);
	if (cnt->refused > 0)
		fprintf(stderr, ", %zu refused by the log", cnt->refused);
	if (cnt->local > 0)
		fprintf(stderr, ", %zu not sent (a local error above)",
		    cnt->local);
	if (cnt->unsent > 0)
		fprintf(stderr, ", %zu not confirmed (no answer)", cnt->unsent);
	fputc('\n', stderr);
	if (cnt->stalled)
		fprintf(stderr, "pubtrail: the log gave no answer for %u s: "
		    "stopped with %zu of %zu records not confirmed (not "
		    "logged, or logged without the answer reaching here).\n"
		    "pubtrail: run the same command again to resume: records "
		    "already logged are answered with their receipts, never "
		    "logged twice.\n", a->give_up, cnt->unsent, t->nitems);
	else if (cnt->unsent > 0)
		fprintf(stderr, "pubtrail: run the same command again for the "
		    "%zu records not confirmed: each is logged, or found "
		    "logged, once.\n", cnt->unsent);
	else if (cnt->local > 0)
		fprintf(stderr, "pubtrail: mend what the error above says, "
		    "then run the same command again: records already logged "
		    "are answered with their receipts, never logged "
		    "twice.\n");
}

/* Phase 2: sign (or take what ps signed ahead), send, keep receipts.
 * The exit code. */
static int
send_run(const struct submit_args *s, struct sub_office *of, struct itk *t,
    struct presign *ps)
{
	const struct sub_args *a = &s->a;
	struct sub_opts so;
	struct sub_counts cnt;
	int ex, made_dir = 0;

	if (a->receipts != NULL &&
	    (ex = receipts_dir(a->receipts, &made_dir)) != 0)
		return ex;
	if ((ex = sub_office_connect(of, a)) != 0 ||
	    (ex = sub_office_checkpoint(of, "submit")) != 0)
		return ex;
	sub_office_send_opts(of, a, s->batch, &so);
	so.presign = ps;
	ex = sub_send(&so, t, &cnt);
	if (made_dir && cnt.logged == 0)
		(void)rmdir(a->receipts);
	/* the most serious status, 1 before the others (pubtrail(1)) */
	if (t->problems > 0)
		ex = CLI_EVERIFY;
	if (!a->co.quiet || ex != CLI_OK)
		print_summary(a, t, &cnt);
	if (cnt.to_correct > 0)
		sub_correct_hint(s->redo, cnt.correct_id, cnt.correct_file);
	return ex;
}

/* itk's added hook: queue the record to be signed ahead. */
static void
presign_item(void *arg, size_t k, const struct itk_item *it)
{
	presign_add(arg, k, it->record, it->record_len);
}

static int
submit_run(struct submit_args *s)
{
	struct sub_args *a = &s->a;
	struct sub_office of;
	struct itk t;
	struct presign *ps = NULL;
	int rc, ex;

	memset(&of, 0, sizeof(of));
	memset(&t, 0, sizeof(t));
	a->nolock = s->dry;
	if ((ex = sub_office_open(&of, a, submit_usage)) != 0)
		goto out;
	/* Phase 1: everything read and checked. */
	t.json = a->co.json;
	t.discs = &of.discs;
	/* While one core reads and checks, the other signs (presign.h);
	 * without the thread the sender signs everything, as correct. */
	if (!s->dry && of.have_key && a->co.log_url != NULL &&
	    presign_start(&of.key, a->co.key.name, &ps) == 0) {
		t.added = presign_item;
		t.added_arg = ps;
	}
	rc = itk_read(&t, s->inputs, s->ninputs, &a->io);
	presign_stop(ps, t.nitems);
	if (rc != 0)
		ex = cli_fail(rc, NULL, "reading the input");
	else if (t.problems > 0 && !s->keep && !s->dry)
		ex = report_invalid(&t);
	else if (s->dry)
		ex = dry_run(s, &of, &t);
	else if (t.nitems == 0) {
		if (!a->co.quiet)
			fprintf(stderr, "pubtrail: %s\n", t.records == 0 ?
			    "no records in the input: nothing sent" :
			    "no valid records to send");
		ex = t.problems > 0 ? CLI_EVERIFY : CLI_OK;
	} else
		ex = send_run(s, &of, &t, ps);
out:
	presign_free(ps);
	itk_free(&t);
	sub_office_close(&of);
	return ex;
}

int
sub_cmd(int argc, char **argv)
{
	struct submit_args s;
	int rc;

	if ((rc = submit_parse(argc, argv, &s)) >= 0)
		return rc;
	return submit_run(&s);
}
