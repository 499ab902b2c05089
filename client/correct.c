/* correct.c: `pubtrail correct`: corrections as a command. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "correct.h"
#include "crypto.h"
#include "input.h"
#include "intake.h"
#include "json.h"
#include "keys.h"
#include "num.h"
#include "ptlimits.h"
#include "record.h"
#include "submit.h"
#include "util.h"

#define COR_MAX_TRIES	99	/* ID/amend, ID/amend-2, ... ID/amend-99 */

static const char correct_usage[] =
    "usage: pubtrail correct --log URL --log-key VKEY --key FILE\n"
    "         (--void ID | --amend ID --with FILE) --reason TEXT\n"
    "         [--id CORRECTION-ID] [--receipts DIR | --no-receipts]\n"
    "         [--disclosures FILE] [--format json|jsonl|csv] [--map ...]\n"
    "         [--currency CODE] [--decimal-comma | --decimal-point]\n"
    "         [--thousands-sep SEP] [--give-up SECONDS] [--json] [--quiet]\n"
    "\n"
    "Correct a record this office logged: the log is never edited, so a\n"
    "correction is appended that voids the record with id ID, or amends it\n"
    "with the record in FILE (one record, in any format `submit` reads; its\n"
    "id may be left out: it is ID).  The record is looked up in the log by\n"
    "the office's key and ID and verified; its index and leaf hash go into\n"
    "the correction, which is signed, submitted and kept as a receipt like\n"
    "`submit` does.  The correction's own id is --id, else ID/void or\n"
    "ID/amend (ID/amend-2, ... for a later amendment): running the same\n"
    "command again logs nothing twice.\n"
    "\n"
    "Exit 0 logged, 1 invalid or failed verification, 2 usage, 3 network,\n"
    "4 no record ID by this office in the log, 5 the log refused the\n"
    "correction (or --id is taken), 6 a file cannot be read or written.\n";

/* The one record of the --with file. */
struct one {
	json_t *obj;
	size_t n;
	struct itk *t;
	struct in_pos pos;
};

static int
one_record(void *arg, struct in_rec *r)
{
	struct one *o = arg;

	o->n++;
	if (o->n == 1 && r->obj != NULL) {
		o->obj = r->obj;
		o->pos = r->pos;
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

#define OPT_VOID	0x300
#define OPT_AMEND	0x301
#define OPT_WITH	0x302
#define OPT_REASON	0x303
#define OPT_ID		0x304
#define OPT_NORECEIPTS	0x305
#define OPT_GIVEUP	0x306
#define OPT_MAP		0x307

int
cor_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		AMT_LONGOPTS,
		{ "key", 1, NULL, 'k' },
		{ "void", 1, NULL, OPT_VOID },
		{ "amend", 1, NULL, OPT_AMEND },
		{ "with", 1, NULL, OPT_WITH },
		{ "reason", 1, NULL, OPT_REASON },
		{ "id", 1, NULL, OPT_ID },
		{ "receipts", 1, NULL, 'r' },
		{ "no-receipts", 0, NULL, OPT_NORECEIPTS },
		{ "disclosures", 1, NULL, 'd' },
		{ "format", 1, NULL, 'f' },
		{ "currency", 1, NULL, 'c' },
		{ "map", 1, NULL, OPT_MAP },
		{ "give-up", 1, NULL, OPT_GIVEUP },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common co;
	struct in_opts io;
	struct itk t;
	struct sub_opts so;
	struct sub_counts cnt;
	struct note_skey key;
	struct jrec_discs discs;
	struct dis_store *dis = NULL;
	struct logc *lc = NULL;
	struct csvin_map *map = NULL;
	struct ckpt *ck = NULL;
	struct wire_entry e;
	struct mt_hash leaf;
	struct one one;
	const char *keyfile = NULL, *receipts = "receipts", *target = NULL;
	const char *with = NULL, *reason = NULL, *cid_arg = NULL;
	const char *disclosures = NULL, *map_arg = NULL;
	char dpath[UT_PATH_MAX], vkey[PT_MAX_VKEY + 1], cid[PT_MAX_ID + 1];
	struct pt_why why = { "" };
	uint8_t sid[32], *tbuf = NULL;
	size_t tlen;
	uint64_t tindex, v;
	unsigned give_up = SUB_GIVE_UP_S;
	int c, rc, ex = CLI_OK, is_void = -1, have_key = 0;
	struct record_info tinfo;

	memset(&io, 0, sizeof(io));
	memset(&t, 0, sizeof(t));
	memset(&discs, 0, sizeof(discs));
	memset(&key, 0, sizeof(key));
	memset(&one, 0, sizeof(one));
	cli_common_init(&co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(correct_usage, stdout);
			return CLI_OK;
		case 'k':
			keyfile = optarg;
			break;
		case OPT_VOID:
		case OPT_AMEND:
			if (target != NULL)
				return cli_usage_error(correct_usage, "one of "
				    "--void ID or --amend ID");
			target = optarg;
			is_void = c == OPT_VOID;
			break;
		case OPT_WITH:
			with = optarg;
			break;
		case OPT_REASON:
			reason = optarg;
			break;
		case OPT_ID:
			cid_arg = optarg;
			break;
		case 'r':
			receipts = optarg;
			break;
		case OPT_NORECEIPTS:
			receipts = NULL;
			break;
		case 'd':
			disclosures = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "jsonl") != 0 &&
			    strcmp(optarg, "csv") != 0)
				return cli_usage_error(correct_usage, "--format: "
				    "json, jsonl or csv");
			io.format = optarg;
			break;
		case 'c':
			io.csv.currency = optarg;
			break;
		case OPT_MAP:
			map_arg = optarg;
			break;
		case OPT_GIVEUP:
			if (num_parse_u64_str(optarg, 1, 86400, &v) != 0)
				return cli_usage_error(correct_usage, "--give-up: "
				    "1..86400 seconds");
			give_up = (unsigned)v;
			break;
		default:
			if ((rc = amt_cli_opt(&io.csv.amt, c, optarg, &why)) ==
			    1)
				break;
			if (rc < 0)
				return cli_usage_error(correct_usage, "%s",
				    why.text);
			if ((rc = cli_common_opt(&co, c, optarg,
			    correct_usage)) != 1) {
				if (rc == 0)
					fputs(correct_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind != argc)
		return cli_usage_error(correct_usage, "unexpected argument "
		    "'%s'", argv[optind]);
	if (target == NULL)
		return cli_usage_error(correct_usage, "--void ID or --amend ID "
		    "is required");
	if (is_void && with != NULL)
		return cli_usage_error(correct_usage, "--with goes with --amend; "
		    "a void has no replacement");
	if (!is_void && with == NULL)
		return cli_usage_error(correct_usage, "--amend ID needs --with "
		    "FILE (the corrected record)");
	if (reason == NULL || reason[0] == '\0')
		return cli_usage_error(correct_usage, "--reason TEXT is required "
		    "(it is logged, for everyone to read)");
	if (keyfile == NULL)
		return cli_usage_error(correct_usage, "--key FILE is required");
	if (amt_opts_check(&io.csv.amt, &why) != 0)
		return cli_usage_error(correct_usage, "%s", why.text);
	if ((rc = cli_common_check(&co, 1, correct_usage)) != 0)
		return rc;
	if (map_arg != NULL && (rc = csvin_map_load(map_arg, &map, &why)) !=
	    0)
		return cli_fail(rc == PT_ENOTFOUND || rc == PT_EIO ? rc :
		    PT_EINVAL, &why, "--map");
	io.csv.map = map;
	if ((rc = keys_load_skey(keyfile, &key, &why)) != 0) {
		ex = cli_fail(rc, &why, "--key");
		goto out;
	}
	have_key = 1;
	if ((rc = note_vkey_format(&key.vk, vkey, sizeof(vkey))) != 0 ||
	    (rc = wire_submitter_id(vkey, strlen(vkey), sid)) != 0) {
		ex = cli_fail(rc, NULL, "--key");
		goto out;
	}
	if (disclosures == NULL) {
		if (snprintf(dpath, sizeof(dpath), "%s.disclosures.jsonl",
		    keyfile) >= (int)sizeof(dpath)) {
			ex = cli_usage_error(correct_usage, "--key: path too "
			    "long");
			goto out;
		}
		disclosures = dpath;
	}
	if ((rc = dis_store_open(disclosures, vkey, &dis, &why)) != 0) {
		ex = cli_fail(rc, &why, "disclosures file");
		goto out;
	}
	discs.known = dis_store_known;
	discs.known_arg = dis;
	t.json = co.json;
	t.discs = &discs;
	/* The replacement, read and checked like any input record. */
	if (with != NULL) {
		one.t = &t;
		rc = in_read(with, &io, one_record, one_problem, &one, &why);
		if (rc != 0) {
			ex = cli_fail(rc, &why, "--with %s", with);
			goto out;
		}
		if (one.n != 1 || one.obj == NULL) {
			if (one.n != 1) {
				struct in_pos pos = { with, 0, 0 };

				itk_problem(&t, &pos, "record", NULL, 0,
				    one.n == 0 ? "no record in the file" :
				    "more than one record: --with takes the "
				    "one corrected record");
			}
			ex = CLI_EVERIFY;
			goto out;
		}
		if (json_object_get(one.obj, "id") == NULL)
			json_object_set_new(one.obj, "id", json_string(target));
		if (!json_is_string(json_object_get(one.obj, "id")) ||
		    strcmp(json_string_value(json_object_get(one.obj, "id")),
		    target) != 0) {
			itk_problem(&t, &one.pos, "id", json_string_value(
			    json_object_get(one.obj, "id")), 0, "the corrected "
			    "record keeps the id of the record it amends");
			ex = CLI_EVERIFY;
			goto out;
		}
	}
	{
		struct hcli_opts ho;

		cli_hcli_opts(&co, co.concurrency, &ho);
		if ((rc = logc_open(co.log_url, &co.key, &ho, &lc, &why)) !=
		    0) {
			ex = cli_fail(rc, &why, "--log");
			goto out;
		}
	}
	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "correct");
		goto out;
	}
	if ((rc = logc_checkpoint(lc, ck, NULL, NULL, &why)) != 0) {
		ex = cli_fail(rc, &why, "checkpoint");
		goto out;
	}
	/* The target, verified: in the checkpoint, signed for this log. */
	rc = logc_lookup(lc, sid, target, ck, &tindex, &tbuf, &tlen, &e, &why);
	if (rc == PT_ENOTFOUND) {
		ex = cli_fail(rc, NULL, "no record with id \"%s\" by this "
		    "office's key in the log", target);
		goto out;
	}
	if (rc != 0) {
		ex = cli_fail(rc, &why, "looking up \"%s\"", target);
		goto out;
	}
	if ((rc = mt_leaf_hash(tbuf, tlen, &leaf)) != 0 ||
	    (rc = record_check(e.sub.record, e.sub.record_len, &tinfo,
	    &why)) != 0) {
		ex = cli_fail(rc, &why, "the record \"%s\"", target);
		goto out;
	}
	if (!is_void) {
		enum record_type rt;
		const char *ts = json_string_value(json_object_get(one.obj,
		    "type"));

		if (tinfo.type == RECORD_CORRECTION) {
			ex = cli_fail(PT_EINVAL, NULL, "\"%s\" is itself a "
			    "correction: amend the record it corrects", target);
			goto out;
		}
		if (ts == NULL || record_type_parse(ts, strlen(ts), &rt) != 0 ||
		    rt != tinfo.type) {
			itk_problem(&t, &one.pos, "type", ts, 0, "the corrected "
			    "record must have the type of the one it amends");
			ex = CLI_EVERIFY;
			goto out;
		}
	}
	/* The correction's id: the first free candidate, or one that already
	 * holds exactly this correction (then the log answers with its
	 * receipt). */
	for (unsigned n = 1; n <= (cid_arg != NULL ? 1 : COR_MAX_TRIES);
	    n++) {
		struct in_pos pos = { "correct", 0, 0 };
		struct record_info ci;
		struct wire_entry ee;
		uint8_t *ebuf = NULL;
		size_t elen;
		uint64_t eindex;
		json_t *obj;

		if (cid_arg != NULL)
			snprintf(cid, sizeof(cid), "%s", cid_arg);
		else if (snprintf(cid, sizeof(cid), n == 1 ? "%s/%s" :
		    "%s/%s-%u", target, is_void ? "void" : "amend", n) >=
		    (int)sizeof(cid)) {
			ex = cli_usage_error(correct_usage, "the id \"%s\" is too "
			    "long to name its correction: give --id", target);
			goto out;
		}
		if ((obj = build(cid, is_void, reason, tindex, &leaf,
		    one.obj)) == NULL) {
			ex = cli_fail(PT_ENOMEM, NULL, "correct");
			goto out;
		}
		if ((rc = itk_add(&t, obj, &pos)) != 0) {
			ex = cli_fail(rc, NULL, "correct");
			goto out;
		}
		if (t.nitems == 0) {
			ex = CLI_EVERIFY;	/* the problem is printed */
			goto out;
		}
		/* the office rule, as the log applies it */
		if ((rc = record_check(t.items[0].record,
		    t.items[0].record_len, &ci, &why)) != 0 ||
		    (rc = record_may_append(&ci, RECORD_TYPES_ALL, vkey,
		    strlen(vkey), e.sub.submitter_str, e.sub.submitter_len,
		    &why)) != 0) {
			ex = cli_fail(rc, &why, "correct");
			goto out;
		}
		rc = logc_lookup(lc, sid, cid, ck, &eindex, &ebuf, &elen, &ee,
		    &why);
		if (rc == PT_ENOTFOUND)
			break;
		if (rc != 0) {
			ex = cli_fail(rc, &why, "looking up \"%s\"", cid);
			goto out;
		}
		rc = ee.sub.record_len == t.items[0].record_len &&
		    memcmp(ee.sub.record, t.items[0].record,
		    ee.sub.record_len) == 0;
		free(ebuf);
		if (rc)
			break;		/* this very correction: idempotent */
		if (cid_arg != NULL) {
			ex = cli_fail(PT_EREFUSED, NULL, "--id %s is taken by "
			    "another record of this office", cid_arg);
			goto out;
		}
		itk_item_clear(&t.items[0]);
		t.nitems = 0;
		if (n == COR_MAX_TRIES) {
			ex = cli_fail(PT_EREFUSED, NULL, "%u corrections of \"%s"
			    "\" exist: give --id", n, target);
			goto out;
		}
	}
	if (receipts != NULL && (rc = ut_mkdirs(receipts, 0755, &why)) != 0) {
		ex = cli_fail(rc, &why, "--receipts");
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.co = &co;
	so.lc = lc;
	so.ck = ck;
	so.key = &key;
	so.vkey = vkey;
	so.dis = dis;
	so.receipts = receipts;
	so.give_up_s = give_up;
	so.batch = 1;
	ex = sub_send(&so, &t, &cnt);
	if (!co.quiet && cnt.logged == 1)
		fprintf(stderr, "pubtrail: %s %s (index %llu) with %s\n",
		    is_void ? "voided" : "amended", target,
		    (unsigned long long)tindex, cid);
out:
	if (have_key)
		note_skey_wipe(&key);
	free(tbuf);
	json_decref(one.obj);
	itk_free(&t);
	jrec_discs_clear(&discs);
	dis_store_free(dis);
	csvin_map_free(map);
	logc_free(lc);
	free(ck);
	return ex;
}
