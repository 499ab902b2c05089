/*
 * correct.c: `pubtrail correct`: corrections as a command (correct.h).
 * correct_parse reads the command line; correct_run reads and checks the
 * replacement, finds and verifies the target in the log, chooses the
 * correction's id, and hands the one correction to sub_send as submit
 * does (what the two commands share is in submit.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "correct.h"
#include "crypto.h"
#include "cstatus.h"
#include "record.h"
#include "submit.h"
#include "tty.h"

#define COR_MAX_TRIES	99	/* ID/amend, ID/amend-2, ... ID/amend-99 */

static const char correct_usage[] =
    "usage: pubtrail correct --log URL --log-key VKEY --key FILE\n"
    "         (--void ID | --amend ID --with FILE) --reason TEXT\n"
    "         [--id CORRECTION-ID] [--receipts DIR | --no-receipts]\n"
    "         [--disclosures FILE] [--format json|jsonl|csv] [--map ...]\n"
    "         [--type TYPE]\n"
    "         [--currency CODE] [--decimal-comma | --decimal-point]\n"
    "         [--thousands-sep SEP] [--negative STYLE]\n"
    "         [--date-format FORMAT]\n"
    "         [--delimiter , | ; | tab] [--header-line N] [--dry-run]\n"
    "         [--give-up SECONDS] [--json] [--quiet]\n"
    "\n"
    "Correct a record this office logged: the log is never edited, so a\n"
    "correction is appended that voids the record with id ID, or amends it\n"
    "with the record in FILE, in any format `submit` reads: one record\n"
    "(its id may be left out: it is ID), or several, such as the month's\n"
    "export corrected, of which the one with id ID is taken.  The record\n"
    "is looked up in the log by the office's key and ID and verified; its\n"
    "index and leaf hash go into the correction, which is signed, submitted\n"
    "and kept as a receipt like `submit` does.  The correction's own id is\n"
    "--id, else ID/void or ID/amend (ID/amend-2, ... for a later\n"
    "amendment): running the same command again logs nothing twice.  A\n"
    "record voided already is not voided again, nor amended to what it\n"
    "says already (exit 1); to undo a void, amend the record.  A permit\n"
    "read without an id column has the id PermitNum/decision/StatusDate:\n"
    "a row of another date or decision is another decision, refused as an\n"
    "amendment (void the logged one, and submit the row).  FILE is read\n"
    "with `submit`'s options (--map, --header-line, ...).  A --reason\n"
    "that holds the name of a person of the record (as the disclosures\n"
    "file has it) is refused: the log shows the reason to everyone.\n"
    "\n"
    "Every field the correction changes is listed, as read (\"amount:\n"
    "-12.50 EUR -> -125.00 EUR\"; --json: a line {\"id\", \"correction\",\n"
    "\"changes\"} after the correction's own); --dry-run looks everything\n"
    "up and lists the changes, and sends and writes nothing.\n"
    "\n"
    "Exit 0 logged, 1 invalid or failed verification, 2 usage, 3 network,\n"
    "4 no record ID by this office in the log, 5 the log refused the\n"
    "correction (or --id is taken), 6 a file cannot be read or written.\n";

/* The one record of the --with file: its only record, or of several
 * (the month's export, corrected) the one whose id is the target's. */
struct one {
	json_t *obj;			/* the record taken */
	size_t n;			/* records in the file */
	size_t nmatch;			/* of them with the target's id */
	const char *want;		/* the target's id */
	struct itk *t;
	struct in_pos pos;
	int made_id;			/* obj's id made by the reading (a
					 * permit's PermitNum/decision/date
					 * without an id column) */
};

static int
one_record(void *arg, struct in_rec *r)
{
	struct one *o = arg;
	json_t *id = r->obj != NULL ? json_object_get(r->obj, "id") : NULL;
	int match = json_is_string(id) && strcmp(json_string_value(id),
	    o->want) == 0;

	o->n++;
	o->nmatch += match;
	/* keep the first record until one with the id comes */
	if (r->obj != NULL && (o->obj == NULL || (match && o->nmatch == 1))) {
		const char *name, *cell;
		size_t col;

		json_decref(o->obj);
		o->obj = r->obj;
		o->pos = r->pos;
		o->made_id = r->row != NULL && csvin_row_locate(r->row, "id",
		    &col, &name, &cell) != 0;
		return 0;
	}
	json_decref(r->obj);
	return 0;
}

static void
one_problem(void *arg, const struct in_pos *pos, const char *field,
    const char *value, int value_json, const char *problem)
{
	struct one *o = arg;

	itk_problem(o->t, pos, field, value, value_json, problem);
}

/* The correction record for candidate id cid. */
static json_t *
build(const char *cid, int is_void, const char *reason, uint64_t index,
    const struct mt_hash *leaf, json_t *replacement)
{
	json_t *o = json_object();
	char hex[65];

	if (o == NULL)
		return NULL;
	cr_hex_encode(leaf->b, 32, hex);
	json_object_set_new(o, "type", json_string("correction"));
	json_object_set_new(o, "id", json_string(cid));
	json_object_set_new(o, "action", json_string(is_void ? "void" :
	    "amend"));
	json_object_set_new(o, "reason", json_string(reason));
	json_object_set_new(o, "target_index", json_integer((json_int_t)index));
	json_object_set_new(o, "target_leaf_hash", json_string(hex));
	if (replacement != NULL)
		json_object_set(o, "replacement", replacement);
	return o;
}

/* What `pubtrail correct` was asked to do. */
struct correct_args {
	struct sub_args a;
	const char *target;		/* --void ID | --amend ID */
	int is_void;
	const char *with;		/* --with FILE (amend) */
	const char *reason;		/* --reason TEXT */
	const char *cid;		/* --id CORRECTION-ID, or NULL */
	int dry;			/* --dry-run */
};

#define OPT_VOID	0x210
#define OPT_AMEND	0x211
#define OPT_WITH	0x212
#define OPT_REASON	0x213
#define OPT_ID		0x214

/* The command line into c.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
correct_parse(int argc, char **argv, struct correct_args *c)
{
	static const struct option longopts[] = {
		SUB_LONGOPTS,
		{ "void", 1, NULL, OPT_VOID },
		{ "amend", 1, NULL, OPT_AMEND },
		{ "with", 1, NULL, OPT_WITH },
		{ "reason", 1, NULL, OPT_REASON },
		{ "id", 1, NULL, OPT_ID },
		{ "dry-run", 0, NULL, 'n' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sub_args *a = &c->a;
	struct pt_why why = { "" };
	int o, rc;

	memset(c, 0, sizeof(*c));
	sub_args_init(a);
	c->is_void = -1;
	while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(correct_usage, stdout);
			return CLI_OK;
		case OPT_VOID:
		case OPT_AMEND:
			if (c->target != NULL)
				return cli_usage_error(correct_usage, "one of "
				    "--void ID or --amend ID");
			c->target = optarg;
			c->is_void = o == OPT_VOID;
			break;
		case OPT_WITH:
			c->with = optarg;
			break;
		case OPT_REASON:
			c->reason = optarg;
			break;
		case OPT_ID:
			c->cid = optarg;
			break;
		case 'n':
			c->dry = 1;
			break;
		default:
			if ((rc = sub_args_opt(a, o, optarg, correct_usage)) != 0)
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage_error(correct_usage, "unexpected argument "
		    "'%s'", argv[optind]);
	if (c->target == NULL)
		return cli_usage_error(correct_usage, "--void ID or --amend ID "
		    "is required");
	if (c->is_void && c->with != NULL)
		return cli_usage_error(correct_usage, "--with goes with --amend; "
		    "a void has no replacement");
	if (!c->is_void && c->with == NULL)
		return cli_usage_error(correct_usage, "--amend ID needs --with "
		    "FILE (the corrected record)");
	if (c->reason == NULL || c->reason[0] == '\0')
		return cli_usage_error(correct_usage, "--reason TEXT is required "
		    "(it is logged, for everyone to read)");
	if (a->keyfile == NULL)
		return cli_usage_error(correct_usage, "--key FILE is required");
	if (amt_opts_check(&a->io.csv.amt, &why) != 0)
		return cli_usage_error(correct_usage, "%s", why.text);
	if ((rc = cli_common_check(&a->co, 1, correct_usage)) != 0)
		return rc;
	return -1;
}

/* The replacement of --with, read and checked like any input record,
 * into one (its id the target's).  0 or the exit code (problems
 * printed). */
static int
read_replacement(const struct correct_args *c, struct itk *t,
    struct one *one)
{
	struct pt_why why = { "" };
	const char *id;
	int rc;

	one->t = t;
	one->want = c->target;
	if ((rc = in_read(c->with, &c->a.io, one_record, one_problem, one,
	    &why)) != 0)
		return cli_fail(rc, &why, "--with %s", c->with);
	if (one->obj == NULL || (one->n > 1 && one->nmatch != 1)) {
		struct in_pos pos = { c->with, 0, 0 };
		char msg[300] = "";

		if (one->n == 0)
			snprintf(msg, sizeof(msg), "no record in the file");
		else if (one->n > 1 && one->nmatch == 0)
			snprintf(msg, sizeof(msg), "%zu records, none with the "
			    "id of the record amended: --with takes the "
			    "corrected record, alone or among others%s", one->n,
			    one->made_id ? " (a permit row of another date or "
			    "decision is another decision: void the old one and "
			    "submit the row)" : "");
		else if (one->n > 1)
			snprintf(msg, sizeof(msg), "%zu records with the id of "
			    "the record amended: which one is meant?",
			    one->nmatch);
		if (one->n == 0 || one->n > 1)
			itk_problem(t, &pos, "record", one->n > 1 ? c->target :
			    NULL, 0, msg);
		return CLI_EVERIFY;
	}
	/* a permit read without an id column is known by its number,
	 * decision and date: a row that makes another id is another
	 * decision; amended in, it would be logged again as itself when the
	 * month's file is sent again */
	if (one->made_id && (id = json_string_value(json_object_get(one->obj,
	    "id"))) != NULL && strcmp(id, c->target) != 0) {
		char msg[PT_MAX_ID * 2 + 400];

		snprintf(msg, sizeof(msg), "a permit read without an id column "
		    "is known by PermitNum/decision/StatusDate: this row is "
		    "another decision than %s, not an amendment of it; void that "
		    "(pubtrail correct --void %s --reason ...) and submit this "
		    "row, so that the month's file sent again logs nothing "
		    "twice", c->target, c->target);
		itk_problem(t, &one->pos, "id", id, 0, msg);
		return CLI_EVERIFY;
	}
	/* no id given: the record amended's */
	if (json_object_get(one->obj, "id") == NULL)
		json_object_set_new(one->obj, "id", json_string(c->target));
	id = json_string_value(json_object_get(one->obj, "id"));
	if (id == NULL || strcmp(id, c->target) != 0) {
		itk_problem(t, &one->pos, "id", id, 0, "the corrected record "
		    "keeps the id of the record it amends");
		return CLI_EVERIFY;
	}
	return 0;
}

/* The record to correct, as found in the log. */
struct target {
	uint64_t index;
	struct mt_hash leaf;
	struct record_info info;
	struct wire_entry e;		/* into buf */
	uint8_t *buf;			/* the entry (heap) */
	size_t len;
};

/* The target, looked up by this office's submitter id and verified: in
 * the checkpoint ck, signed for this log.  0 or the exit code. */
static int
find_target(const struct correct_args *c, struct logc *lc,
    const uint8_t sid[32], const struct ckpt *ck, struct target *tg)
{
	struct pt_why why = { "" };
	int rc;

	rc = logc_lookup(lc, sid, c->target, ck, &tg->index, &tg->buf,
	    &tg->len, &tg->e, &why);
	if (rc == PT_ENOTFOUND)
		return cli_fail(rc, NULL, "no record with id \"%s\" by this "
		    "office's key in the log (check the id as logged: the "
		    "receipts' file names, or `pubtrail export` lists them; "
		    "and --key%s%s%s", c->target,
		    strchr(c->target, '/') == NULL ? "; if it is a permit "
		    "number: a decision read without an id column has the id "
		    "PermitNum/decision/StatusDate, e.g. " : "",
		    strchr(c->target, '/') == NULL ? c->target : "",
		    strchr(c->target, '/') == NULL ? "/issued/2026-02-01)" :
		    ")");
	if (rc != 0)
		return cli_fail(rc, &why, "looking up \"%s\"", c->target);
	if ((rc = mt_leaf_hash(tg->buf, tg->len, &tg->leaf)) != 0 ||
	    (rc = record_check(tg->e.sub.record, tg->e.sub.record_len,
	    &tg->info, &why)) != 0)
		return cli_fail(rc, &why, "the record \"%s\"", c->target);
	return 0;
}

/* An amendment replaces a record that is not itself a correction, with a
 * record of its type.  0 or the exit code. */
static int
check_amend(const struct correct_args *c, const struct target *tg,
    struct itk *t, const struct one *one)
{
	enum record_type rt;
	const char *ts = json_string_value(json_object_get(one->obj, "type"));

	if (tg->info.type == RECORD_CORRECTION)
		return cli_fail(PT_EINVAL, NULL, "\"%s\" is itself a "
		    "correction: amend the record it corrects", c->target);
	if (ts == NULL || record_type_parse(ts, strlen(ts), &rt) != 0 ||
	    rt != tg->info.type) {
		itk_problem(t, &one->pos, "type", ts, 0, "the corrected record "
		    "must have the type of the one it amends");
		return CLI_EVERIFY;
	}
	return 0;
}

/* A reason that names the natural person of the record corrected: the
 * log shows the reason to everyone, and the person only as a salted
 * commitment (a void's record names no person of its own, so json.c's
 * check of a record's text cannot see it).  0 or the exit code. */
static int
check_reason(const struct correct_args *c, struct sub_office *of)
{
	char field[JREC_FIELD_MAX], word[160];
	struct pt_why why = { "" };
	int rc;

	if (of->dis == NULL || !dis_store_name_in(of->dis, c->target,
	    c->reason, field, sizeof(field), word, sizeof(word)))
		return 0;
	pt_why_set(&why, PT_ESCHEMA, "holds the name of the natural person "
	    "in %s of %s (\"%s\"), which the log never shows (only a salted "
	    "commitment): take the name out of the reason", field, c->target,
	    word);
	rc = cli_fail(PT_ESCHEMA, &why, "--reason");
	cr_wipe(word, sizeof(word));
	cr_wipe(why.text, sizeof(why.text));
	return rc;
}

/* The correction with id cid, checked and encoded into t's one item, and
 * allowed by the office rule as the log applies it.  0 or the exit code. */
static int
stage(const struct correct_args *c, const struct target *tg,
    const struct one *one, const char *vkey, const char *cid, struct itk *t)
{
	struct in_pos pos = { "correction", 0, 0 };
	struct record_info ci;
	struct pt_why why = { "" };
	json_t *obj;
	int rc;

	if ((obj = build(cid, c->is_void, c->reason, tg->index, &tg->leaf,
	    one->obj)) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "correct");
	if ((rc = itk_add(t, obj, &pos)) != 0)
		return cli_fail(rc, NULL, "correct");
	if (t->nitems == 0)
		return CLI_EVERIFY;	/* the problem is printed */
	if ((rc = record_check(t->items[0].record, t->items[0].record_len,
	    &ci, &why)) != 0 ||
	    (rc = record_may_append(&ci, RECORD_TYPES_ALL, vkey, strlen(vkey),
	    tg->e.sub.submitter_str, tg->e.sub.submitter_len, &why)) != 0 ||
	    (rc = record_amends(&ci, &tg->info, &why)) != 0)
		return cli_fail(rc, &why, "correct");
	return 0;
}

/* Is cid free in the log (*free_ 1), or holding exactly t's one item
 * (*free_ 1 too: the log answers with its receipt)?  0 or the exit
 * code. */
static int
id_free(struct logc *lc, const uint8_t sid[32], const struct ckpt *ck,
    const char *cid, const struct itk *t, int *free_, int *same)
{
	struct pt_why why = { "" };
	struct wire_entry e;
	uint8_t *buf = NULL;
	size_t len;
	uint64_t index;
	int rc;

	rc = logc_lookup(lc, sid, cid, ck, &index, &buf, &len, &e, &why);
	*same = 0;
	if (rc == PT_ENOTFOUND) {
		*free_ = 1;
		return 0;
	}
	if (rc != 0)
		return cli_fail(rc, &why, "looking up \"%s\"", cid);
	*free_ = *same = e.sub.record_len == t->items[0].record_len &&
	    memcmp(e.sub.record, t->items[0].record, e.sub.record_len) == 0;
	free(buf);
	return 0;
}

/*
 * The correction's id into cid and the correction into t's one item: the
 * first free candidate (--id, else ID/void or ID/amend, ID/amend-2, ...),
 * or one that already holds exactly this correction (*logged: the log
 * answers with its receipt).  0 or the exit code.  At most COR_MAX_TRIES
 * lookups.
 */
static int
choose_id(const struct correct_args *c, const struct target *tg,
    const struct one *one, const struct sub_office *of,
    const uint8_t sid[32], struct itk *t, char cid[PT_MAX_ID + 1],
    int *logged)
{
	unsigned last = c->cid != NULL ? 1 : COR_MAX_TRIES;
	int ex, is_free;

	for (unsigned n = 1; n <= last; n++) {
		if (c->cid != NULL)
			snprintf(cid, PT_MAX_ID + 1, "%s", c->cid);
		else if (snprintf(cid, PT_MAX_ID + 1, n == 1 ? "%s/%s" :
		    "%s/%s-%u", c->target, c->is_void ? "void" : "amend", n) >=
		    PT_MAX_ID + 1)
			return cli_usage_error(correct_usage, "the id \"%s\" is "
			    "too long to name its correction: give --id",
			    c->target);
		if ((ex = stage(c, tg, one, of->vkey, cid, t)) != 0 ||
		    (ex = id_free(of->lc, sid, of->ck, cid, t, &is_free,
		    logged)) != 0)
			return ex;
		if (is_free)
			return 0;
		if (c->cid != NULL)
			return cli_fail(PT_EREFUSED, NULL, "--id %s is taken by "
			    "another record of this office", c->cid);
		itk_item_clear(&t->items[0]);
		t->nitems = 0;
	}
	return cli_fail(PT_EREFUSED, NULL, "%u corrections of \"%s\" exist: "
	    "give --id", COR_MAX_TRIES, c->target);
}

/* Sign and submit the one correction, keep its receipt (logged: it is in
 * the log already, and its receipt is fetched again).  The exit code. */
static int
send_correction(const struct correct_args *c, const struct target *tg,
    const struct sub_office *of, struct itk *t, const char *cid,
    int logged)
{
	const struct sub_args *a = &c->a;
	struct pt_why why = { "" };
	struct sub_opts so;
	struct sub_counts cnt;
	int rc, ex;

	if (a->receipts != NULL &&
	    (rc = ut_mkdirs(a->receipts, 0755, &why)) != 0)
		return cli_fail(rc, &why, "--receipts");
	sub_office_send_opts(of, a, 1, &so);
	ex = sub_send(&so, t, &cnt);
	if (!a->co.quiet && cnt.logged == 1)
		fprintf(stderr, "pubtrail: %s %s (index %llu) with %s%s\n",
		    c->is_void ? "voided" : "amended", c->target,
		    (unsigned long long)tg->index, cid, logged ? " (in the "
		    "log before this run: nothing new)" : "");
	return ex;
}

/* ---------------------------------------------------- what it changes */

/* One value of a change line, escaped for the terminal. */
static void
put_value(FILE *f, json_t *v)
{
	if (v == NULL)
		fputs("(none)", f);
	else
		tty_puts(f, json_string_value(v));
}

/* The change lines, "  FIELD: FROM -> TO", to f. */
static void
print_changes(FILE *f, json_t *changes)
{
	size_t i;
	json_t *ch;

	json_array_foreach(changes, i, ch) {
		fputs("  ", f);
		tty_puts(f, json_string_value(json_object_get(ch, "field")));
		fputs(": ", f);
		put_value(f, json_object_get(ch, "from"));
		fputs(" -> ", f);
		put_value(f, json_object_get(ch, "to"));
		fputc('\n', f);
	}
}

/*
 * A correction that changes nothing the log shows is refused, so that a
 * reason is not logged forever by mistake: a void of a record voided
 * already (by another correction than this one: a run again is answered
 * with its receipt), saying by which entry; an amendment whose record is
 * the record in effect already (the record as logged, or as last
 * amended).  Else *changes gets what an amendment changes (NULL for a
 * void).  0 or the exit code.
 */
static int
check_changes(const struct correct_args *c, const struct target *tg,
    const struct sub_office *of, const struct itk *t, json_t **changes)
{
	struct cst st;
	struct pt_why why = { "" };
	json_t *now = NULL, *mine = NULL;
	int rc, ex = CLI_OK;

	*changes = NULL;
	memset(&st, 0, sizeof(st));
	if ((rc = cst_resolve(of->lc, of->ck, tg->index, tg->buf, tg->len,
	    &tg->e, &st, &why)) != 0)
		return cli_fail(rc, &why, "corrections of \"%s\"", c->target);
	if (c->is_void && st.status == CST_VOIDED) {
		fprintf(stderr, "pubtrail: \"%s\" (index %llu) is voided "
		    "already: nothing logged (a second void changes nothing; to "
		    "undo a void, amend the record)\n  ", c->target,
		    (unsigned long long)tg->index);
		cst_print(stderr, &st);
		ex = CLI_EVERIFY;
	} else if (!c->is_void) {
		json_t *corr = NULL;

		/* in effect: as last amended, or as logged (also when
		 * voided: the amendment brings it back) */
		if (st.status == CST_AMENDED)
			now = json_incref(json_object_get(
			    st.c[st.n - 1].record, "replacement"));
		else
			(void)jrec_to_json(tg->e.sub.record,
			    tg->e.sub.record_len, &now, NULL);
		if (jrec_to_json(t->items[0].record, t->items[0].record_len,
		    &corr, NULL) == 0)
			mine = json_incref(json_object_get(corr,
			    "replacement"));
		json_decref(corr);
		if (now != NULL && mine != NULL && st.status != CST_VOIDED &&
		    json_equal(now, mine)) {
			fprintf(stderr, "pubtrail: \"%s\" (index %llu) reads "
			    "so already%s: nothing logged (the corrected "
			    "record is the record in effect)\n", c->target,
			    (unsigned long long)tg->index,
			    st.status == CST_AMENDED ? ", as amended" : "");
			ex = CLI_EVERIFY;
		} else if (json_is_object(now) && json_is_object(mine))
			*changes = jrec_changes(now, mine);
	}
	if (ex != CLI_OK && c->a.co.json) {
		json_t *o = json_pack("{s:s,s:s,s:I,s:s}", "id", c->target,
		    "error", "nothing_to_correct", "index",
		    (json_int_t)tg->index, "reason", c->is_void ?
		    "voided already" : "the record in effect already");

		if (o != NULL) {
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		}
	}
	json_decref(now);
	json_decref(mine);
	cst_free(&st);
	return ex;
}

/* --dry-run: what the correction would do; nothing sent or written. */
static int
dry_show(const struct correct_args *c, const struct target *tg,
    const char *cid, int logged, json_t *changes)
{
	if (c->a.co.json) {
		json_t *o = json_pack("{s:s,s:I,s:s,s:s,s:b,s:b}", "id",
		    c->target, "index", (json_int_t)tg->index, "action",
		    c->is_void ? "void" : "amend", "correction", cid,
		    "dry_run", 1, "logged_already", logged);

		if (o == NULL)
			return cli_fail(PT_ENOMEM, NULL, "correct");
		if (changes != NULL)
			json_object_set(o, "changes", changes);
		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
		return CLI_OK;
	}
	fputs(c->target, stdout);
	printf(" (index %llu) ", (unsigned long long)tg->index);
	if (logged) {
		printf("is %s by %s in the log already: nothing new\n",
		    c->is_void ? "voided" : "amended", cid);
		return CLI_OK;
	}
	printf("would be %s with %s%s\n", c->is_void ? "voided" : "amended",
	    cid, changes != NULL && json_array_size(changes) > 0 ? ":" : "");
	if (changes != NULL)
		print_changes(stdout, changes);
	fputs("pubtrail: dry run: nothing was sent or written\n", stderr);
	return CLI_OK;
}

static int
correct_run(struct correct_args *c)
{
	struct sub_office of;
	struct itk t;
	struct one one;
	struct target tg;
	uint8_t sid[32];
	char cid[PT_MAX_ID + 1];
	json_t *changes = NULL;
	int rc, ex, logged = 0;

	memset(&of, 0, sizeof(of));
	memset(&t, 0, sizeof(t));
	memset(&one, 0, sizeof(one));
	memset(&tg, 0, sizeof(tg));
	c->a.nolock = c->dry;
	if ((ex = sub_office_open(&of, &c->a, correct_usage)) != 0 ||
	    (ex = check_reason(c, &of)) != 0)
		goto out;
	if ((rc = wire_submitter_id(of.vkey, strlen(of.vkey), sid)) != 0) {
		ex = cli_fail(rc, NULL, "--key");
		goto out;
	}
	t.json = c->a.co.json;
	t.discs = &of.discs;
	if ((c->with != NULL && (ex = read_replacement(c, &t, &one)) != 0) ||
	    (ex = sub_office_connect(&of, &c->a)) != 0 ||
	    (ex = sub_office_checkpoint(&of, "correct")) != 0 ||
	    (ex = find_target(c, of.lc, sid, of.ck, &tg)) != 0 ||
	    (!c->is_void && (ex = check_amend(c, &tg, &t, &one)) != 0) ||
	    (ex = choose_id(c, &tg, &one, &of, sid, &t, cid, &logged)) != 0 ||
	    (!logged && (ex = check_changes(c, &tg, &of, &t, &changes)) != 0))
		goto out;
	if (c->dry)
		ex = dry_show(c, &tg, cid, logged, changes);
	else {
		ex = send_correction(c, &tg, &of, &t, cid, logged);
		if (ex == CLI_OK && changes != NULL && c->a.co.json) {
			/* after the correction's own line: what it changed */
			json_t *o = json_pack("{s:s,s:s,s:O}", "id", c->target,
			    "correction", cid, "changes", changes);

			if (o != NULL) {
				json_dumpf(o, stdout, JSON_COMPACT |
				    JSON_SORT_KEYS);
				fputc('\n', stdout);
				json_decref(o);
			}
		} else if (ex == CLI_OK && changes != NULL && !c->a.co.quiet)
			print_changes(stderr, changes);
	}
out:
	json_decref(changes);
	free(tg.buf);
	json_decref(one.obj);
	itk_free(&t);
	sub_office_close(&of);
	return ex;
}

int
cor_cmd(int argc, char **argv)
{
	struct correct_args c;
	int rc;

	if ((rc = correct_parse(argc, argv, &c)) >= 0)
		return rc;
	return correct_run(&c);
}
