/* get.c: single verified reads from a log. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "crypto.h"
#include "get.h"
#include "json.h"
#include "keys.h"
#include "logc.h"
#include "num.h"
#include "ptlimits.h"
#include "record.h"
#include "signer.h"
#include "tty.h"
#include "util.h"
#include "verify.h"

static const char get_usage[] =
    "usage: pubtrail get checkpoint  --log URL --log-key VKEY [--json]\n"
    "       pubtrail get entry       --log URL --log-key VKEY [--json] INDEX\n"
    "       pubtrail get inclusion   --log URL --log-key VKEY [--json]\n"
    "                                (INDEX | --hash LEAFHASH)\n"
    "       pubtrail get consistency --log URL --log-key VKEY [--json]\n"
    "                                --from CHECKPOINT_FILE\n"
    "       pubtrail get lookup      --log URL --log-key VKEY [--json]\n"
    "                                --submitter VKEY|HEXID --id ID\n"
    "\n"
    "Each answer is verified before it is shown: the checkpoint's signature\n"
    "by VKEY; an entry's inclusion proof against that signed checkpoint,\n"
    "its schema and its submitter's signature; a consistency proof from an\n"
    "older signed checkpoint (a file saved earlier) to the current one.\n"
    "Exit 0 verified, 1 verification failed, 2 usage (or a --log-key that\n"
    "is not the log's), 3 network, 4 not found, 5 refused by the log.\n";

static void
print_json(json_t *o)
{
	cli_json_print(stdout, o, JSON_INDENT(2));
}

/* A checkpoint in the client's JSON conventions (docs/CLIENT.md): root as
 * lower-case hex, the size as tree_size. */
static json_t *
ckpt_json(const struct ckpt *ck, const char *note)
{
	char hex[65];
	json_t *o = json_object();

	cr_hex_encode(ck->root.b, 32, hex);
	json_object_set_new(o, "origin", json_string(ck->origin));
	json_object_set_new(o, "tree_size",
	    json_integer((json_int_t)ck->size));
	json_object_set_new(o, "root", json_string(hex));
	if (note != NULL)
		json_object_set_new(o, "note", json_string(note));
	return o;
}

static int
show_entry(int json, uint64_t index, const struct ckpt *ck,
    const uint8_t *buf, size_t len, const struct wire_entry *e)
{
	json_t *o;
	struct pt_why why = { "" };
	int rc;

	if ((rc = jrec_entry_to_json(e, buf, len, index, &o, &why)) != 0)
		return cli_fail(rc, &why, "entry");
	json_object_set_new(o, "tree_size", json_integer((json_int_t)ck->size));
	if (!json) {
		printf("%sverified%s: entry %llu, %s ", cli_green(stdout),
		    cli_reset(stdout), (unsigned long long)index,
		    record_type_name(e->sub.info.type));
		tty_put(stdout, e->sub.info.id, e->sub.info.id_len);
		printf(", is in ");
		tty_puts(stdout, ck->origin);
		printf(" at tree size %llu, signed by ",
		    (unsigned long long)ck->size);
		signer_print(stdout, &e->sub.submitter);
		putchar('\n');
	}
	print_json(o);
	json_decref(o);
	return CLI_OK;
}

int
get_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "hash", 1, NULL, 'H' },
		{ "from", 1, NULL, 'f' },
		{ "submitter", 1, NULL, 's' },
		{ "id", 1, NULL, 'i' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common co;
	const char *what, *hash = NULL, *from = NULL, *submitter = NULL;
	const char *id = NULL;
	struct logc *lc = NULL;
	struct pt_why why = { "" };
	struct ckpt ck;
	char *note = NULL;
	size_t note_len;
	uint8_t *buf = NULL;
	size_t len;
	struct wire_entry e;
	uint64_t index = 0;
	int c, rc, ex = CLI_OK;

	cli_common_init(&co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(get_usage, stdout);
			return CLI_OK;
		case 'H':
			hash = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 's':
			submitter = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		default:
			if ((rc = cli_common_opt(&co, c, optarg, get_usage)) !=
			    1) {
				if (rc == 0)
					fputs(get_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind >= argc)
		return cli_usage_error(get_usage, "what to get?");
	what = argv[optind++];
	if (strcmp(what, "entry") == 0 || (strcmp(what, "inclusion") == 0 &&
	    hash == NULL)) {
		if (optind + 1 != argc || num_parse_u64_str(argv[optind], 0,
		    PT_MAX_TREE_SIZE - 1, &index) != 0)
			return cli_usage_error(get_usage, "%s: want one INDEX",
			    what);
		optind++;
	}
	if (optind != argc)
		return cli_usage_error(get_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (strcmp(what, "checkpoint") != 0 && strcmp(what, "entry") != 0 &&
	    strcmp(what, "inclusion") != 0 && strcmp(what, "consistency") !=
	    0 && strcmp(what, "lookup") != 0)
		return cli_usage_error(get_usage, "unknown object '%s'", what);
	if (strcmp(what, "consistency") == 0 && from == NULL)
		return cli_usage_error(get_usage, "consistency: --from FILE "
		    "(a signed checkpoint saved earlier) is required");
	if (strcmp(what, "lookup") == 0 && (submitter == NULL || id == NULL))
		return cli_usage_error(get_usage, "lookup: --submitter and --id "
		    "are required");
	if ((rc = cli_common_check(&co, 1, get_usage)) != 0)
		return rc;
	{
		struct hcli_opts ho;

		cli_hcli_opts(&co, 1, &ho);

		if ((rc = logc_open(co.log_url, &co.key, &ho, &lc, &why)) != 0)
			return cli_fail(rc, &why, "--log");
	}
	if ((rc = logc_checkpoint(lc, &ck, &note, &note_len, &why)) != 0) {
		ex = cli_fail(rc, &why, "checkpoint");
		goto out;
	}
	if (strcmp(what, "checkpoint") == 0) {
		if (co.json) {
			json_t *o = ckpt_json(&ck, note);

			print_json(o);
			json_decref(o);
		} else
			tty_put_text(stdout, note, note_len);
	} else if (strcmp(what, "entry") == 0) {
		if ((rc = logc_entry(lc, index, &ck, &buf, &len, &e,
		    &why)) != 0)
			ex = cli_fail(rc, &why, "entry %llu",
			    (unsigned long long)index);
		else
			ex = show_entry(co.json, index, &ck, buf, len, &e);
	} else if (strcmp(what, "inclusion") == 0 && hash == NULL) {
		struct mt_hash leaf;
		char hex[65];

		if ((rc = logc_entry(lc, index, &ck, &buf, &len, &e,
		    &why)) != 0) {
			ex = cli_fail(rc, &why, "inclusion of %llu",
			    (unsigned long long)index);
			goto out;
		}
		mt_leaf_hash(buf, len, &leaf);
		cr_hex_encode(leaf.b, 32, hex);
		if (co.json) {
			json_t *o = ckpt_json(&ck, NULL);

			json_object_set_new(o, "index",
			    json_integer((json_int_t)index));
			json_object_set_new(o, "leaf_hash", json_string(hex));
			json_object_set_new(o, "included", json_true());
			print_json(o);
			json_decref(o);
		} else
		{
			printf("%sincluded%s: entry %llu (leaf hash %s) is in ",
			    cli_green(stdout), cli_reset(stdout),
			    (unsigned long long)index, hex);
			tty_puts(stdout, ck.origin);
			printf(" at tree size %llu\n",
			    (unsigned long long)ck.size);
		}
	} else if (strcmp(what, "inclusion") == 0) {
		/* By leaf hash: ask the server for the proof, bind it to the
		 * signed checkpoint. */
		struct mt_hash leaf, proof[PT_MAX_PROOF];
		struct hcli_resp r;
		char path[160];
		uint64_t sz;
		size_t n;

		if (strlen(hash) != 64 || cr_hex_decode(hash, 64, leaf.b,
		    32) != 0) {
			ex = cli_usage_error(get_usage, "--hash: want 64 hex "
			    "digits");
			goto out;
		}
		snprintf(path, sizeof(path), "/proof/inclusion?hash=%s&size=%llu",
		    hash, (unsigned long long)ck.size);
		hcli_get(lc->http, path, "application/msgpack",
		    WIRE_MAX_PROOF_MSG, &r);
		if ((rc = logc_status(&r, "GET /proof/inclusion", &why)) == 0 &&
		    (rc = wire_inclusion_decode(r.body, r.len, &index, &sz,
		    proof, PT_MAX_PROOF, &n, NULL)) != 0)
			rc = pt_why_set(&why, PT_ENET, "malformed proof");
		if (rc == 0 && sz != ck.size)
			rc = pt_why_set(&why, PT_EANSWER, "GET %s: the answer "
			    "is a proof in size %llu, not the one asked for",
			    path, (unsigned long long)sz);
		if (rc == 0 && mt_verify_inclusion(&leaf, index, ck.size,
		    proof, n, &ck.root) != 0)
			rc = pt_why_set(&why, PT_EPROOF, "inclusion proof does "
			    "not lead to the signed root");
		hcli_resp_free(&r);
		if (rc != 0) {
			ex = cli_fail(rc, &why, "inclusion of %s", hash);
			goto out;
		}
		if (co.json) {
			json_t *o = ckpt_json(&ck, NULL);

			json_object_set_new(o, "index",
			    json_integer((json_int_t)index));
			json_object_set_new(o, "leaf_hash", json_string(hash));
			json_object_set_new(o, "included", json_true());
			print_json(o);
			json_decref(o);
		} else
		{
			printf("%sincluded%s: leaf %s is entry %llu of ",
			    cli_green(stdout), cli_reset(stdout), hash,
			    (unsigned long long)index);
			tty_puts(stdout, ck.origin);
			printf(" at tree size %llu\n",
			    (unsigned long long)ck.size);
		}
	} else if (strcmp(what, "consistency") == 0) {
		struct ckpt old;
		uint8_t *ob;
		size_t olen;

		if ((rc = ut_read_input(from, PT_NOTE_MAX, &ob, &olen,
		    &why)) != 0) {
			ex = cli_fail(rc, &why, "--from");
			goto out;
		}
		rc = vrf_checkpoint((const char *)ob, olen, &co.key, &old, &why);
		free(ob);
		if (rc != 0) {
			ex = cli_fail(rc, &why, "--from %s", from);
			goto out;
		}
		if ((rc = logc_consistent(lc, &old, &ck, &why)) != 0) {
			ex = cli_fail(rc, &why, "consistency");
			goto out;
		}
		if (co.json) {
			json_t *o = ckpt_json(&ck, NULL);

			json_object_set_new(o, "old_size",
			    json_integer((json_int_t)old.size));
			json_object_set_new(o, "consistent", json_true());
			print_json(o);
			json_decref(o);
		} else
		{
			printf("%sconsistent%s: ", cli_green(stdout),
			    cli_reset(stdout));
			tty_puts(stdout, ck.origin);
			printf(" at size %llu extends the checkpoint of size "
			    "%llu\n", (unsigned long long)ck.size,
			    (unsigned long long)old.size);
		}
	} else {
		uint8_t sid[32];
		struct note_vkey sk;

		if (strlen(submitter) == 64 && cr_hex_decode(submitter, 64,
		    sid, 32) == 0)
			;
		else if (keys_load_vkey(submitter, &sk, &why) == 0) {
			char vs[PT_MAX_VKEY + 1];

			note_vkey_format(&sk, vs, sizeof(vs));
			wire_submitter_id(vs, strlen(vs), sid);
		} else {
			ex = cli_usage_error(get_usage, "--submitter: want a "
			    "verifier key (string or file) or 64 hex digits");
			goto out;
		}
		if ((rc = logc_lookup(lc, sid, id, &ck, &index, &buf, &len, &e,
		    &why)) != 0)
			ex = cli_fail(rc, &why, "lookup of %s", id);
		else
			ex = show_entry(co.json, index, &ck, buf, len, &e);
	}
out:
	free(buf);
	free(note);
	logc_free(lc);
	return ex;
}
