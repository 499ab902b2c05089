/*
 * submit.c: sign and submit records, keep verified receipts.
 *
 * Records are read and signed in input order and queued on the HTTP pool
 * (at most 4 x concurrency waiting, so memory stays bounded for any input
 * size).  Answers arrive in any order; results are printed in input order.
 * A receipt is saved only after vrf_receipt() accepted it AND it is the
 * receipt for exactly the record we signed, by our key.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "disclose.h"
#include "input.h"
#include "json.h"
#include "keys.h"
#include "logc.h"
#include "ptlimits.h"
#include "submit.h"
#include "util.h"
#include "verify.h"

#define SUB_MAX_ATTEMPTS 30	/* sends of one submission (429/503) */

struct sub_item {
	struct sub_ctx *ctx;
	char *id;
	char *where;
	uint8_t *record;
	size_t record_len;
	uint8_t *body;			/* the encoded submission, for retries */
	size_t body_len;
	unsigned attempts;
	int done;
	int rc;
	uint64_t index;
	char receipt[UT_PATH_MAX];
	char why[PT_WHY_MAX];
};

struct sub_ctx {
	struct cli_common co;
	const char *receipts;
	const char *disclosures;
	int dry_run;
	struct logc *lc;
	struct ckpt ck;			/* checkpoint seen at the start */
	char *latest_note;		/* largest checkpoint in a receipt */
	struct ckpt latest;
	struct note_skey key;
	char vkey[PT_MAX_VKEY + 1];
	struct dis_store *dis;
	struct jrec_discs discs;
	struct sub_item **items;
	size_t nitems, cap, next_print;
	size_t ok, failed;
	int worst;
};

int
sub_receipt_name(const char *dir, const char *id, char *out, size_t cap)
{
	size_t n;
	int w;

	w = snprintf(out, cap, "%s/", dir);
	if (w < 0 || (size_t)w >= cap)
		return PT_ETOOBIG;
	n = (size_t)w;
	for (const char *p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && p != id);

		if (n + 4 >= cap)
			return PT_ETOOBIG;
		if (plain)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	if (n + sizeof(".receipt") > cap)
		return PT_ETOOBIG;
	memcpy(out + n, ".receipt", sizeof(".receipt"));
	return 0;
}

static void
worse(struct sub_ctx *x, int ex)
{
	if (ex == CLI_OK)
		return;
	/* Verification failures outrank everything else. */
	if (x->worst != CLI_EVERIFY)
		x->worst = ex;
}

static void
print_ready(struct sub_ctx *x)
{
	while (x->next_print < x->nitems && x->items[x->next_print]->done) {
		struct sub_item *it = x->items[x->next_print];

		if (x->co.json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(it->id));
			if (it->rc == 0 && x->dry_run)
				json_object_set_new(o, "valid", json_true());
			else if (it->rc == 0) {
				json_object_set_new(o, "index",
				    json_integer((json_int_t)it->index));
				if (it->receipt[0] != '\0')
					json_object_set_new(o, "receipt",
					    json_string(it->receipt));
			} else {
				json_object_set_new(o, "error",
				    json_string(pt_errname(it->rc)));
				json_object_set_new(o, "reason",
				    json_string(it->why));
			}
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		} else if (it->rc == 0 && x->dry_run)
			printf("valid %s\n", it->id);
		else if (it->rc == 0)
			printf("%llu\n", (unsigned long long)it->index);
		if (it->rc != 0) {
			fflush(stdout);
			fprintf(stderr, "pubtrail: %s%s (id %s): %s%s\n",
			    cli_red(stderr), it->where, it->id, it->why,
			    cli_reset(stderr));
		}
		free(it->id);
		free(it->where);
		free(it->record);
		free(it->body);
		free(it);
		x->items[x->next_print] = NULL;
		x->next_print++;
	}
	fflush(stdout);
}

static void
item_fail(struct sub_item *it, int rc, const struct pt_why *why)
{
	struct sub_ctx *x = it->ctx;

	it->rc = rc;
	snprintf(it->why, sizeof(it->why), "%s", why != NULL &&
	    why->text[0] ? why->text : pt_strerror(rc));
	it->done = 1;
	x->failed++;
	worse(x, cli_exit_for(rc));
}

static void submit_done(void *arg, struct hcli_resp *r);

static void
send_item(void *arg)
{
	struct sub_item *it = arg;
	int rc;

	it->attempts++;
	if ((rc = hcli_start(it->ctx->lc->http, "POST", "/add",
	    "application/msgpack", WIRE_MAX_RECEIPT, it->body, it->body_len,
	    "application/msgpack", submit_done, it)) != 0) {
		item_fail(it, rc, NULL);
		print_ready(it->ctx);
	}
}

static void
submit_done(void *arg, struct hcli_resp *r)
{
	struct sub_item *it = arg;
	struct sub_ctx *x = it->ctx;
	struct vrf_result *res = NULL;
	struct pt_why why = { "" };
	int rc;

	/* Over the log's rate limit or overloaded: wait as told (or back
	 * off exponentially, with jitter) and send the same bytes again;
	 * the log answers a repeat with the same receipt. */
	if (r->err == 0 && (r->status == 429 || r->status == 503) &&
	    it->attempts < SUB_MAX_ATTEMPTS) {
		unsigned ms = r->retry_after ? r->retry_after * 1000 :
		    100u << (it->attempts < 6 ? it->attempts : 6);
		uint8_t j;

		if (cr_random(&j, 1) == 0)
			ms += (unsigned)j * 4;
		if (hcli_later(x->lc->http, ms, send_item, it) == 0)
			return;
	}
	if ((rc = logc_status(r, "POST /add", &why)) != 0) {
		item_fail(it, rc, &why);
		goto out;
	}
	if ((res = malloc(sizeof(*res))) == NULL) {
		item_fail(it, PT_ENOMEM, NULL);
		goto out;
	}
	if ((rc = vrf_receipt(r->body, r->len, &x->lc->key, res, &why)) != 0) {
		char w[PT_WHY_MAX];

		snprintf(w, sizeof(w), "receipt from the log does not verify: "
		    "%s", why.text);
		snprintf(why.text, sizeof(why.text), "%s", w);
		item_fail(it, rc, &why);
		goto out;
	}
	if (res->entry.sub.record_len != it->record_len ||
	    memcmp(res->entry.sub.record, it->record, it->record_len) != 0 ||
	    res->entry.sub.submitter_len != strlen(x->vkey) ||
	    memcmp(res->entry.sub.submitter_str, x->vkey,
	    res->entry.sub.submitter_len) != 0) {
		pt_why_set(&why, PT_EPROOF, "the log answered with a receipt "
		    "for another record or submitter");
		item_fail(it, PT_EPROOF, &why);
		goto out;
	}
	if (res->ck.size > x->latest.size) {
		char *n = ut_strndup(res->note, res->note_len);

		if (n != NULL) {
			free(x->latest_note);
			x->latest_note = n;
			x->latest = res->ck;
		}
	}
	it->index = res->index;
	if (x->receipts != NULL) {
		if (sub_receipt_name(x->receipts, it->id, it->receipt,
		    sizeof(it->receipt)) != 0) {
			pt_why_set(&why, PT_EIO, "receipt file name too long");
			item_fail(it, PT_EIO, &why);
			goto out;
		}
		if ((rc = ut_write_file(it->receipt, r->body, r->len, 0644, 0,
		    &why)) != 0) {
			it->receipt[0] = '\0';
			item_fail(it, rc, &why);
			goto out;
		}
	}
	it->done = 1;
	x->ok++;
out:
	free(res);
	print_ready(x);
}

static int
add_item(struct sub_ctx *x, struct sub_item *it)
{
	if (x->nitems == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 256;
		struct sub_item **n = realloc(x->items, ncap * sizeof(*n));

		if (n == NULL)
			return PT_ENOMEM;
		x->items = n;
		x->cap = ncap;
	}
	x->items[x->nitems++] = it;
	return 0;
}

static int
one_record(void *arg, json_t *obj, const char *where)
{
	struct sub_ctx *x = arg;
	struct sub_item *it;
	struct wire_buf rec, body;
	struct wire_submission s;
	struct pt_why why = { "" };
	char vbuf[PT_MAX_VKEY + 1];
	const char *id;
	int rc;

	wire_buf_init(&rec);
	wire_buf_init(&body);
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		json_decref(obj);
		return PT_ENOMEM;
	}
	it->ctx = x;
	id = json_string_value(json_object_get(obj, "id"));
	it->id = strdup(id != NULL ? id : "?");
	it->where = strdup(where);
	if (it->id == NULL || it->where == NULL || add_item(x, it) != 0) {
		free(it->id);
		free(it->where);
		free(it);
		json_decref(obj);
		return PT_ENOMEM;
	}
	jrec_discs_clear(&x->discs);
	rc = jrec_from_json(obj, &rec, &x->discs, &why);
	json_decref(obj);
	if (rc != 0) {
		item_fail(it, rc, &why);
		goto out;
	}
	if (x->discs.n > 0 && x->dis != NULL &&
	    (rc = dis_store_add(x->dis, it->id, &x->discs, &why)) != 0) {
		/* Never log a commitment whose secret was not kept. */
		item_fail(it, rc, &why);
		goto out;
	}
	if (x->dry_run) {
		it->done = 1;
		x->ok++;
		goto out;
	}
	if ((rc = wire_submission_sign(&x->key, x->ck.origin, rec.data, rec.len,
	    &s, vbuf, sizeof(vbuf))) != 0 ||
	    (rc = wire_submission_encode(&s, &body)) != 0) {
		item_fail(it, rc, NULL);
		goto out;
	}
	it->record = rec.data;
	it->record_len = rec.len;
	rec.data = NULL;
	it->body = body.data;
	it->body_len = body.len;
	body.data = NULL;
	send_item(it);
	hcli_run_until(x->lc->http, 4 * (size_t)x->co.concurrency);
out:
	jrec_discs_clear(&x->discs);
	wire_buf_free(&rec);
	wire_buf_free(&body);
	print_ready(x);
	return 0;
}

static const char submit_usage[] =
    "usage: pubtrail submit --log URL --log-key VKEY --key FILE\n"
    "                       [--receipts DIR] [--disclosures FILE]\n"
    "                       [--format json|jsonl|csv] [--type TYPE]\n"
    "                       [--currency CODE] [--concurrency N]\n"
    "                       [--timeout MS] [--dry-run] [--json] [INPUT...]\n"
    "\n"
    "Submit records (JSON object, JSON Lines, JSON array or CSV; \"-\" or\n"
    "no INPUT: standard input) to the log at URL, signed with the office's\n"
    "key FILE for the origin of the log's checkpoint, verified with VKEY.\n"
    "Each record is checked with the log's own schema code before it is\n"
    "signed.  A payee or applicant {\"kind\": \"individual\", \"name\": ...}\n"
    "becomes a salted commitment; salt and name are appended to the\n"
    "disclosures FILE (default: KEYFILE.disclosures.jsonl, mode 0600) before\n"
    "the record is sent.  Each receipt is verified, then saved as\n"
    "DIR/<id>.receipt; the index of each record is printed, in input order.\n"
    "CSV: schema field names or BLDS columns (see pubtrail(1)); --type sets\n"
    "the record type of rows without a type column, --currency the\n"
    "currency of decimal amounts.  --dry-run only validates.\n"
    "Exit 0 all accepted, 1 a receipt failed verification or a record is\n"
    "invalid, 3 network, 5 the log refused a record (e.g. 409: the same id\n"
    "with other content), 6 a file cannot be read or a receipt written.\n";

int
sub_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "key", 1, NULL, 'k' },
		{ "receipts", 1, NULL, 'r' },
		{ "disclosures", 1, NULL, 'd' },
		{ "format", 1, NULL, 'f' },
		{ "type", 1, NULL, 't' },
		{ "currency", 1, NULL, 'c' },
		{ "dry-run", 0, NULL, 'n' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sub_ctx *x;
	struct in_opts io;
	const char *keyfile = NULL;
	char dpath[UT_PATH_MAX];
	struct pt_why why = { "" };
	int c, rc, ex = CLI_OK;
	char *stdin_only[] = { "-" };
	char **inputs;
	int ninputs;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "submit");
	memset(&io, 0, sizeof(io));
	cli_common_init(&x->co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(submit_usage, stdout);
			free(x);
			return CLI_OK;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			x->receipts = optarg;
			break;
		case 'd':
			x->disclosures = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "jsonl") != 0 &&
			    strcmp(optarg, "csv") != 0) {
				free(x);
				return cli_usage_error(submit_usage, "--format: "
				    "json, jsonl or csv");
			}
			io.format = optarg;
			break;
		case 't':
			io.csv.type = optarg;
			break;
		case 'c':
			io.csv.currency = optarg;
			break;
		case 'n':
			x->dry_run = 1;
			break;
		default:
			if ((rc = cli_common_opt(&x->co, c, optarg,
			    submit_usage)) != 1) {
				free(x);
				if (rc == 0)
					fputs(submit_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (keyfile == NULL) {
		free(x);
		return cli_usage_error(submit_usage, "--key FILE is required");
	}
	if ((rc = cli_common_check(&x->co, !x->dry_run, submit_usage)) != 0) {
		free(x);
		return rc;
	}
	inputs = optind < argc ? argv + optind : stdin_only;
	ninputs = optind < argc ? argc - optind : 1;
	if ((rc = keys_load_skey(keyfile, &x->key, &why)) != 0) {
		free(x);
		return cli_fail(rc, &why, "--key");
	}
	if ((rc = note_vkey_format(&x->key.vk, x->vkey, sizeof(x->vkey))) !=
	    0) {
		ex = cli_fail(rc, NULL, "--key");
		goto out;
	}
	if (x->disclosures == NULL) {
		if (snprintf(dpath, sizeof(dpath), "%s.disclosures.jsonl",
		    keyfile) >= (int)sizeof(dpath)) {
			ex = cli_usage_error(submit_usage, "--key: path too "
			    "long");
			goto out;
		}
		x->disclosures = dpath;
	}
	if ((rc = dis_store_open(x->disclosures, x->vkey, &x->dis, &why)) !=
	    0) {
		ex = cli_fail(rc, &why, "disclosures file");
		goto out;
	}
	x->discs.known = dis_store_known;
	x->discs.known_arg = x->dis;
	if (x->receipts != NULL && (rc = ut_mkdirs(x->receipts, 0755,
	    &why)) != 0) {
		ex = cli_fail(rc, &why, "--receipts");
		goto out;
	}
	if (!x->dry_run) {
		struct hcli_opts ho;

		cli_hcli_opts(&x->co, x->co.concurrency, &ho);

		if ((rc = logc_open(x->co.log_url, &x->co.key, &ho, &x->lc,
		    &why)) != 0) {
			ex = cli_fail(rc, &why, "--log");
			goto out;
		}
		if ((rc = logc_checkpoint(x->lc, &x->ck, NULL, NULL, &why)) !=
		    0) {
			ex = cli_fail(rc, &why, "checkpoint");
			goto out;
		}
		x->latest = x->ck;
	}
	for (int i = 0; i < ninputs; i++) {
		rc = in_read(inputs[i], &io, one_record, x, &why);
		if (rc != 0) {
			ex = cli_fail(rc, &why, "%s", inputs[i]);
			break;
		}
	}
	if (x->lc != NULL)
		hcli_run(x->lc->http);
	print_ready(x);
	/* The log's newest checkpoint in our receipts must extend the one
	 * we started from. */
	if (x->lc != NULL && x->latest_note != NULL &&
	    (rc = logc_consistent(x->lc, &x->ck, &x->latest, &why)) != 0) {
		cli_fail(rc, &why, "consistency of the receipts' checkpoint");
		worse(x, cli_exit_for(rc));
	}
	if (ex == CLI_OK)
		ex = x->worst;
	if (!x->co.quiet && (x->failed > 0 || x->co.json == 0))
		fprintf(stderr, "pubtrail: %zu record%s %s, %zu failed\n",
		    x->ok, x->ok == 1 ? "" : "s", x->dry_run ? "valid" :
		    "submitted", x->failed);
out:
	note_skey_wipe(&x->key);
	for (size_t i = x->next_print; i < x->nitems; i++) {
		if (x->items[i] != NULL) {
			free(x->items[i]->id);
			free(x->items[i]->where);
			free(x->items[i]->record);
			free(x->items[i]->body);
			free(x->items[i]);
		}
	}
	free(x->items);
	free(x->latest_note);
	jrec_discs_clear(&x->discs);
	dis_store_free(x->dis);
	logc_free(x->lc);
	free(x);
	return ex;
}
