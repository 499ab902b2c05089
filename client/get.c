/* get.c: single verified reads from a log. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "crypto.h"
#include "cstatus.h"
#include "get.h"
#include "json.h"
#include "okeys.h"
#include "keys.h"
#include "logc.h"
#include "num.h"
#include "ptlimits.h"
#include "record.h"
#include "signer.h"
#include "tilerd.h"
#include "tty.h"
#include "util.h"
#include "verify.h"

static const char get_usage[] =
    "usage: pubtrail get checkpoint  --log URL --log-key VKEY [--json]\n"
    "       pubtrail get entry       --log URL --log-key VKEY [--json] INDEX\n"
    "       pubtrail get inclusion   --log URL --log-key VKEY [--json]\n"
    "                                (INDEX | --hash LEAFHASH [--scan])\n"
    "       pubtrail get consistency --log URL --log-key VKEY [--json]\n"
    "                                --from CHECKPOINT_FILE\n"
    "       pubtrail get lookup      --log URL --log-key VKEY [--json]\n"
    "                                --submitter VKEY|HEXID --id ID [--scan]\n"
    "\n"
    "Each answer is verified before it is shown: the checkpoint's signature\n"
    "by VKEY; an entry's inclusion proof against that signed checkpoint,\n"
    "its schema and its submitter's signature; a consistency proof from an\n"
    "older signed checkpoint (a file saved earlier) to the current one.\n"
    "A server that serves only C2SP tlog-tiles paths and /checkpoint (a\n"
    "mirror; --tiles-only to read a log that way) is enough: proofs are\n"
    "computed from its hash tiles, entries read from its entry bundles.  A\n"
    "lookup, or an inclusion by leaf hash, there needs a scan: --scan reads\n"
    "every entry bundle (lookup) or every level-0 hash tile (32 bytes an\n"
    "entry) of the log, with progress, and proves the answer, or proves\n"
    "that no entry matches.\n"
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

/*
 * An entry, verified in ck, with its status once its corrections are
 * applied (cstatus.h), and how its signer stood with the log's grants at
 * its index (okeys.h, the quick way: the log's /office-keys; not from a
 * tiles-only source).  An entry whose signer held no grant for it is
 * evidence against the log: exit 1, after it is shown.
 */
/* An entry for people, after its "verified" and status lines: its leaf
 * hash, when it was logged, and its record field by field (amounts in
 * major units: cst_put_fields); --json has it all as JSON. */
static void
show_fields(json_t *o, enum cst_status status)
{
	json_t *rec = json_object_get(o, "record");
	json_t *cur = json_is_object(rec) ? json_object_get(rec, "currency") :
	    NULL;
	json_t *lh = json_object_get(o, "leaf_hash");
	time_t t = (time_t)(json_integer_value(json_object_get(o, "time")) /
	    1000);
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("  leaf hash %s, logged %s\n", json_is_string(lh) ?
	    json_string_value(lh) : "?", when);
	if (!json_is_object(rec))
		return;
	printf("  the record%s:\n", status == CST_CURRENT ||
	    status == CST_UNKNOWN ? "" : " as logged");
	cst_put_fields(stdout, rec, "", json_is_string(cur) ?
	    json_string_value(cur) : NULL);
}

static int
show_entry(const struct cli_common *co, struct logc *lc, uint64_t index,
    const struct ckpt *ck, const uint8_t *buf, size_t len,
    const struct wire_entry *e)
{
	json_t *o;
	struct cst st;
	struct okc *g = NULL;
	struct pt_why why = { "" }, gwhy = { "" };
	int rc, held = 0, json = co->json;

	if ((rc = cst_resolve(lc, ck, index, buf, len, e, &st, &why)) != 0)
		return cli_fail(rc, &why, "corrections of entry %llu",
		    (unsigned long long)index);
	if ((rc = jrec_entry_to_json(e, buf, len, index, &o, &why)) != 0) {
		cst_free(&st);
		return cli_fail(rc, &why, "entry");
	}
	json_object_set_new(o, "tree_size", json_integer((json_int_t)ck->size));
	cst_json(o, &st);
	if (lc->tiles_only)
		pt_why_set(&gwhy, PT_EREFUSED, "--tiles-only: office keys "
		    "not read (pubtrail keys list reads them from the bundles)");
	else if ((rc = okc_quick(co, lc, &g, &gwhy)) != 0 &&
	    rc != PT_ENOTFOUND && cli_exit_for(rc) == CLI_EVERIFY) {
		json_decref(o);
		cst_free(&st);
		return cli_fail(rc, &gwhy, "the log's office keys");
	}
	signer_json_granted(o, e, index, g);
	if (!json) {
		printf("%sverified%s: entry %llu, %s ", cli_green(stdout),
		    cli_reset(stdout), (unsigned long long)index,
		    record_type_name(e->sub.info.type));
		tty_put(stdout, e->sub.info.id, e->sub.info.id_len);
		printf(", is in ");
		tty_puts(stdout, ck->origin);
		printf(" at tree size %llu, signed by ",
		    (unsigned long long)ck->size);
		held = signer_print_granted(stdout, e, index, g);
		if (g == NULL) {
			printf(" (grant not checked: ");
			tty_puts(stdout, gwhy.text);
			putchar(')');
		}
		putchar('\n');
		cst_print(stdout, &st);
		show_fields(o, st.status);
	} else {
		if (g != NULL)
			held = okc_describe(g, e, index, why.text,
			    sizeof(why.text));
		print_json(o);
	}
	json_decref(o);
	cst_free(&st);
	okc_free(g);
	if (held != 0) {
		fprintf(stderr, "pubtrail: entry %llu: its signer held no grant "
		    "for it in this log (the office keys rule)\n",
		    (unsigned long long)index);
		return CLI_EVERIFY;
	}
	return CLI_OK;
}

/* A match in a lookup scan: stops the scan (aud_run returns it). */
#define SCAN_FOUND	1

struct lscan {
	uint8_t sid[32];
	const char *id;
	size_t idlen;
	uint64_t index;
};

static int
lscan_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len,
    const struct wire_entry *unused)
{
	struct lscan *sc = arg;
	struct wire_entry e;
	uint8_t sid[32];

	(void)unused;
	/* An entry that does not decode is not the record asked for (an
	 * audit names it). */
	if (wire_entry_decode(entry, len, &e, NULL) != 0 ||
	    e.sub.info.id_len != sc->idlen ||
	    memcmp(e.sub.info.id, sc->id, sc->idlen) != 0 ||
	    wire_submitter_id(e.sub.submitter_str, e.sub.submitter_len,
	    sid) != 0 || memcmp(sid, sc->sid, 32) != 0)
		return 0;
	sc->index = index;
	return SCAN_FOUND;
}

/*
 * Find the record (submitter, id) by reading every entry bundle of the
 * tree of ck, in index order (the audit engine, leaf hashes only): the
 * first match is then proven by logc_entry; no match is proven by the
 * root recomputed from every entry (PT_ENOTFOUND: it is not in the log).
 * O(size) bytes and hashes.
 */
static int
scan_lookup(struct logc *lc, const struct cli_common *co,
    const struct ckpt *ck, const char *note, size_t note_len,
    const uint8_t sid[32], const char *id, uint64_t *index, uint8_t **buf,
    size_t *len, struct wire_entry *e, struct pt_why *why)
{
	struct lscan sc;
	struct aud_opts o;
	struct aud_state st;
	struct aud_summary sum;
	int rc;

	memset(&sc, 0, sizeof(sc));
	memcpy(sc.sid, sid, 32);
	sc.id = id;
	sc.idlen = strlen(id);
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.hashes_only = 1;
	o.no_tiles = 1;
	o.fn = lscan_entry;
	o.arg = &sc;
	o.progress = !co->json && !co->quiet && isatty(2);
	o.target = ck;
	o.target_note = note;
	o.target_note_len = note_len;
	if (!co->quiet)
		fprintf(stderr, "pubtrail: scanning %s: up to %llu entries in "
		    "%llu entry bundles\n", hcli_url(lc->http),
		    (unsigned long long)ck->size, (unsigned long long)
		    ((ck->size + TILE_WIDTH - 1) / TILE_WIDTH));
	rc = aud_run(lc, &st, &o, &sum, why);
	aud_state_free(&st);
	if (rc == SCAN_FOUND) {
		*index = sc.index;
		return logc_entry(lc, sc.index, ck, buf, len, e, why);
	}
	if (rc == 0)
		return pt_why_set(why, PT_ENOTFOUND, "no entry of the %llu in "
		    "the signed tree has that submitter and id (every entry "
		    "read and the root recomputed)",
		    (unsigned long long)ck->size);
	return rc;
}

/*
 * Find the leaf hash among the level-0 hash tiles of ck's tree (32 bytes
 * an entry, one request per 256 entries), then prove it.  No match is
 * proven by the root recomputed from every leaf hash read (PT_EPROOF when
 * the tiles do not give the signed root).  O(size) hashes.
 */
static int
scan_leaf(struct logc *lc, const struct cli_common *co, const struct ckpt *ck,
    const struct mt_hash *leaf, uint64_t *index, struct pt_why *why)
{
	struct tilerd *t;
	struct mt_reader rd;
	struct mt_frontier fr;
	struct mt_hash h, root;
	int progress = !co->json && !co->quiet && isatty(2);
	int rc = 0, found = 0;

	if (ck->size == 0)
		return pt_why_set(why, PT_ENOTFOUND, "the log is empty");
	if (!co->quiet)
		fprintf(stderr, "pubtrail: scanning %s: %llu leaf hashes in "
		    "%llu hash tiles\n", hcli_url(lc->http),
		    (unsigned long long)ck->size, (unsigned long long)
		    ((ck->size + TILE_WIDTH - 1) / TILE_WIDTH));
	if ((rc = logc_tiles_open(lc, ck->size, why, &t)) != 0)
		return rc;
	tilerd_reader(t, &rd);
	mt_frontier_init(&fr);
	for (uint64_t i = 0; i < ck->size && !found; i++) {
		if ((rc = rd.read(rd.ctx, 0, i, &h)) != 0)
			break;
		if (cr_memcmp(h.b, leaf->b, 32) == 0) {
			*index = i;
			found = 1;
		}
		if ((rc = mt_frontier_push(&fr, &h)) != 0)
			break;
		if (progress && i % (64 * TILE_WIDTH) == 0)
			fprintf(stderr, "\r%llu/%llu", (unsigned long long)i,
			    (unsigned long long)ck->size);
	}
	if (progress)
		fputc('\n', stderr);
	tilerd_free(t);
	if (rc != 0)
		return rc;
	if (found)
		return logc_inclusion(lc, *index, ck, leaf, why);
	if ((rc = mt_frontier_root(&fr, &root)) != 0)
		return rc;
	if (cr_memcmp(root.b, ck->root.b, 32) != 0)
		return pt_why_set(why, PT_EPROOF, "the level-0 hash tiles do "
		    "not give the root of the signed checkpoint of size %llu",
		    (unsigned long long)ck->size);
	return pt_why_set(why, PT_ENOTFOUND, "no entry of the %llu in the "
	    "signed tree has that leaf hash (every leaf hash read and the "
	    "root recomputed)", (unsigned long long)ck->size);
}

/* What `pubtrail get` was asked for. */
enum get_what {
	GET_CHECKPOINT,
	GET_ENTRY,
	GET_INCLUSION,			/* by INDEX */
	GET_INCLUSION_HASH,		/* by --hash */
	GET_CONSISTENCY,
	GET_LOOKUP,
};

/* The command line of `pubtrail get`. */
struct get_args {
	struct cli_common co;
	enum get_what what;
	const char *hash;		/* --hash LEAFHASH (64 hex digits) */
	struct mt_hash leaf;		/* --hash, decoded */
	const char *from;		/* --from CHECKPOINT_FILE */
	const char *submitter;		/* --submitter VKEY|HEXID */
	uint8_t sid[32];		/* --submitter's id */
	const char *id;			/* --id ID */
	uint64_t index;			/* INDEX (entry, inclusion) */
	int scan;			/* --scan */
};

/* --submitter (a verifier key, as a string or a file, or 64 hex digits)
 * into its submitter id.  0, or -1 when it is none of those. */
static int
submitter_id(const char *submitter, uint8_t sid[32])
{
	struct note_vkey sk;
	struct pt_why why = { "" };
	char vs[PT_MAX_VKEY + 1];

	if (strlen(submitter) == 64 && cr_hex_decode(submitter, 64, sid,
	    32) == 0)
		return 0;
	if (keys_load_vkey(submitter, &sk, &why) != 0)
		return -1;
	note_vkey_format(&sk, vs, sizeof(vs));
	wire_submitter_id(vs, strlen(vs), sid);
	return 0;
}

/* The log being read, and its signed checkpoint, once fetched. */
struct get_log {
	struct logc *lc;
	struct ckpt ck;
	char *note;			/* the checkpoint's note (heap) */
	size_t note_len;
};

/* Reads the options into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
get_options(int argc, char **argv, struct get_args *a)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "hash", 1, NULL, 'H' },
		{ "from", 1, NULL, 'f' },
		{ "submitter", 1, NULL, 's' },
		{ "id", 1, NULL, 'i' },
		{ "scan", 0, NULL, 'S' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(get_usage, stdout);
			return CLI_OK;
		case 'H':
			a->hash = optarg;
			break;
		case 'f':
			a->from = optarg;
			break;
		case 's':
			a->submitter = optarg;
			break;
		case 'i':
			a->id = optarg;
			break;
		case 'S':
			a->scan = 1;
			break;
		default:
			if ((rc = cli_common_opt(&a->co, c, optarg,
			    get_usage)) != 1) {
				if (rc == 0)
					fputs(get_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	return -1;
}

/* The object asked for, by name, into a->what.  -1 when unknown. */
static int
get_what_of(const char *what, struct get_args *a)
{
	static const struct {
		const char *name;
		enum get_what what;
	} whats[] = {
		{ "checkpoint", GET_CHECKPOINT },
		{ "entry", GET_ENTRY },
		{ "inclusion", GET_INCLUSION },
		{ "consistency", GET_CONSISTENCY },
		{ "lookup", GET_LOOKUP },
	};

	for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
		if (strcmp(what, whats[i].name) == 0) {
			a->what = whats[i].what;
			if (a->what == GET_INCLUSION && a->hash != NULL)
				a->what = GET_INCLUSION_HASH;
			return 0;
		}
	return -1;
}

/* The command line into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
get_parse(int argc, char **argv, struct get_args *a)
{
	const char *what;
	int rc;

	memset(a, 0, sizeof(*a));
	cli_common_init(&a->co);
	if ((rc = get_options(argc, argv, a)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error(get_usage, "what to get?");
	what = argv[optind++];
	if (strcmp(what, "entry") == 0 || (strcmp(what, "inclusion") == 0 &&
	    a->hash == NULL)) {
		if (optind + 1 != argc || num_parse_u64_str(argv[optind], 0,
		    PT_MAX_TREE_SIZE - 1, &a->index) != 0)
			return cli_usage_error(get_usage, "%s: want one INDEX",
			    what);
		optind++;
	}
	if (optind != argc && strcmp(what, "lookup") == 0 && a->id == NULL)
		return cli_usage_error(get_usage, "lookup: the id goes with "
		    "--id: --id '%s' (and --submitter VKEY)", argv[optind]);
	if (optind != argc)
		return cli_usage_error(get_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (get_what_of(what, a) != 0)
		return cli_usage_error(get_usage, "unknown object '%s'", what);
	if (a->what == GET_CONSISTENCY && a->from == NULL)
		return cli_usage_error(get_usage, "consistency: --from FILE "
		    "(a signed checkpoint saved earlier) is required");
	if (a->what == GET_LOOKUP && (a->submitter == NULL || a->id == NULL))
		return cli_usage_error(get_usage, "lookup: --submitter and "
		    "--id are required");
	if (a->scan && a->what != GET_LOOKUP && a->what != GET_INCLUSION_HASH)
		return cli_usage_error(get_usage, "--scan: only for lookup and "
		    "inclusion --hash");
	if (a->what == GET_INCLUSION_HASH && (strlen(a->hash) != 64 ||
	    cr_hex_decode(a->hash, 64, a->leaf.b, 32) != 0))
		return cli_usage_error(get_usage, "--hash: want 64 hex digits");
	if (a->what == GET_LOOKUP && submitter_id(a->submitter, a->sid) != 0)
		return cli_usage_error(get_usage, "--submitter: want a "
		    "verifier key (string or file) or 64 hex digits");
	if ((rc = cli_common_check(&a->co, 1, get_usage)) != 0)
		return rc;
	return -1;
}

/* get checkpoint: the signed note as served (or --json).  The exit code. */
static int
get_checkpoint(const struct get_args *a, struct get_log *g)
{
	if (a->co.json) {
		json_t *o = ckpt_json(&g->ck, g->note);

		print_json(o);
		json_decref(o);
	} else
		tty_put_text(stdout, g->note, g->note_len);
	return CLI_OK;
}

/* get entry INDEX: the entry proven in the checkpoint, then shown.  The
 * exit code. */
static int
get_entry(const struct get_args *a, struct get_log *g)
{
	struct pt_why why = { "" };
	struct wire_entry e;
	uint8_t *buf = NULL;
	size_t len;
	int rc, ex;

	if ((rc = logc_entry(g->lc, a->index, &g->ck, &buf, &len, &e,
	    &why)) != 0)
		ex = cli_fail(rc, &why, "entry %llu",
		    (unsigned long long)a->index);
	else
		ex = show_entry(&a->co, g->lc, a->index, &g->ck, buf, len, &e);
	free(buf);
	return ex;
}

/* The answer of an inclusion: entry index (leaf hash hex) is in ck, for
 * people or --json; by_hash says which was asked for. */
static void
show_included(const struct get_args *a, const struct ckpt *ck,
    uint64_t index, const char *hex, int by_hash)
{
	if (a->co.json) {
		json_t *o = ckpt_json(ck, NULL);

		json_object_set_new(o, "index",
		    json_integer((json_int_t)index));
		json_object_set_new(o, "leaf_hash", json_string(hex));
		json_object_set_new(o, "included", json_true());
		print_json(o);
		json_decref(o);
		return;
	}
	if (by_hash)
		printf("%sincluded%s: leaf %s is entry %llu of ",
		    cli_green(stdout), cli_reset(stdout), hex,
		    (unsigned long long)index);
	else
		printf("%sincluded%s: entry %llu (leaf hash %s) is in ",
		    cli_green(stdout), cli_reset(stdout),
		    (unsigned long long)index, hex);
	tty_puts(stdout, ck->origin);
	printf(" at tree size %llu\n", (unsigned long long)ck->size);
}

/* get inclusion INDEX: the entry read and proven, its leaf hash shown.
 * The exit code. */
static int
get_inclusion(const struct get_args *a, struct get_log *g)
{
	struct pt_why why = { "" };
	struct wire_entry e;
	struct mt_hash leaf;
	char hex[65];
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = logc_entry(g->lc, a->index, &g->ck, &buf, &len, &e,
	    &why)) != 0) {
		free(buf);
		return cli_fail(rc, &why, "inclusion of %llu",
		    (unsigned long long)a->index);
	}
	mt_leaf_hash(buf, len, &leaf);
	free(buf);
	cr_hex_encode(leaf.b, 32, hex);
	show_included(a, &g->ck, a->index, hex, 0);
	return CLI_OK;
}

/*
 * The log's inclusion proof for leaf (hex: a->hash) in the tree of g->ck,
 * bound to its signed root; its index into *index.  A log without the
 * proof route (404 and no route) turns g->lc into tiles-only.  0 or an
 * error in why.
 */
static int
proof_by_hash(const struct get_args *a, struct get_log *g,
    const struct mt_hash *leaf, uint64_t *index, struct pt_why *why)
{
	struct mt_hash proof[PT_MAX_PROOF];
	struct hcli_resp r;
	char path[160];
	uint64_t sz;
	size_t n;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/proof/inclusion?hash=%s&size=%llu",
	    a->hash, (unsigned long long)g->ck.size);
	hcli_get(g->lc->http, path, "application/msgpack", WIRE_MAX_PROOF_MSG,
	    &r);
	if ((rc = logc_status(&r, "GET /proof/inclusion", why)) == 0 &&
	    (rc = wire_inclusion_decode(r.body, r.len, index, &sz, proof,
	    PT_MAX_PROOF, &n, NULL)) != 0)
		rc = pt_why_set(why, PT_ENET, "malformed proof");
	if (rc == 0 && sz != g->ck.size)
		rc = pt_why_set(why, PT_EANSWER, "GET %s: the answer is a "
		    "proof in size %llu, not the one asked for", path,
		    (unsigned long long)sz);
	if (rc == 0 && mt_verify_inclusion(leaf, *index, g->ck.size, proof, n,
	    &g->ck.root) != 0)
		rc = pt_why_set(why, PT_EPROOF, "inclusion proof does not lead "
		    "to the signed root");
	hcli_resp_free(&r);
	/* 404: the log has no such leaf, or no such route. */
	if (rc == PT_ENOTFOUND && logc_route_absent(g->lc, "/proof/inclusion"))
		g->lc->tiles_only = 1;
	return rc;
}

/* get inclusion --hash: asks the server for the proof, bound to the
 * signed checkpoint; from tiles only, --scan finds the leaf among the
 * level-0 hash tiles.  The exit code. */
static int
get_inclusion_hash(const struct get_args *a, struct get_log *g)
{
	struct pt_why why = { "" };
	uint64_t index = 0;
	int rc = 0;

	if (!g->lc->tiles_only)
		rc = proof_by_hash(a, g, &a->leaf, &index, &why);
	if (g->lc->tiles_only && a->scan)
		rc = scan_leaf(g->lc, &a->co, &g->ck, &a->leaf, &index, &why);
	else if (g->lc->tiles_only)
		rc = pt_why_set(&why, PT_EREFUSED, "%.100s: no proof routes "
		    "(a static tlog-tiles mirror, or --tiles-only): finding a "
		    "leaf hash means reading every level-0 hash tile; --scan "
		    "does that", hcli_url(g->lc->http));
	if (rc != 0)
		return cli_fail(rc, &why, "inclusion of %s", a->hash);
	show_included(a, &g->ck, index, a->hash, 1);
	return CLI_OK;
}

/* get consistency --from FILE: the saved checkpoint verified, then proven
 * a prefix of the current one.  The exit code. */
static int
get_consistency(const struct get_args *a, struct get_log *g)
{
	struct pt_why why = { "" };
	struct ckpt old;
	uint8_t *ob;
	size_t olen;
	int rc;

	if ((rc = ut_read_input(a->from, PT_NOTE_MAX, &ob, &olen, &why)) != 0)
		return cli_fail(rc, &why, "--from");
	rc = vrf_checkpoint((const char *)ob, olen, &a->co.key, &old, &why);
	free(ob);
	if (rc != 0)
		return cli_fail(rc, &why, "--from %s", a->from);
	if ((rc = logc_consistent(g->lc, &old, &g->ck, &why)) != 0)
		return cli_fail(rc, &why, "consistency");
	if (a->co.json) {
		json_t *o = ckpt_json(&g->ck, NULL);

		json_object_set_new(o, "old_size",
		    json_integer((json_int_t)old.size));
		json_object_set_new(o, "consistent", json_true());
		print_json(o);
		json_decref(o);
	} else {
		printf("%sconsistent%s: ", cli_green(stdout),
		    cli_reset(stdout));
		tty_puts(stdout, g->ck.origin);
		printf(" at size %llu extends the checkpoint of size %llu\n",
		    (unsigned long long)g->ck.size,
		    (unsigned long long)old.size);
	}
	return CLI_OK;
}

/* get lookup --submitter --id: the log's lookup (or, with --scan, every
 * entry bundle read), the entry proven, then shown.  The exit code. */
static int
get_lookup(const struct get_args *a, struct get_log *g)
{
	struct pt_why why = { "" };
	struct wire_entry e;
	uint8_t *buf = NULL;
	size_t len;
	uint64_t index = 0;
	int rc, ex;

	if (g->lc->tiles_only)
		rc = pt_why_set(&why, PT_EREFUSED, "--tiles-only: a lookup by "
		    "office and id takes a scan of every entry bundle; --scan "
		    "does that");
	else
		rc = logc_lookup(g->lc, a->sid, a->id, &g->ck, &index, &buf, &len,
		    &e, &why);
	if (rc == PT_EREFUSED && a->scan && (g->lc->tiles_only ||
	    g->lc->no_lookup))
		rc = scan_lookup(g->lc, &a->co, &g->ck, g->note, g->note_len,
		    a->sid, a->id, &index, &buf, &len, &e, &why);
	if (rc != 0)
		ex = cli_fail(rc, &why, "lookup of %s", a->id);
	else
		ex = show_entry(&a->co, g->lc, index, &g->ck, buf, len, &e);
	free(buf);
	return ex;
}

/* The log opened (--log, --log-key, the common HTTP options) and its
 * checkpoint fetched and verified into g.  0 or the exit code. */
static int
get_log_open(const struct get_args *a, struct get_log *g)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	cli_hcli_opts(&a->co, 1, &ho);
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &g->lc,
	    &why)) != 0)
		return cli_fail(rc, &why, "--log");
	g->lc->tiles_only = a->co.tiles_only;
	if ((rc = logc_checkpoint(g->lc, &g->ck, &g->note, &g->note_len,
	    &why)) != 0)
		return cli_fail(rc, &why, "checkpoint");
	return 0;
}

static int
get_run(const struct get_args *a)
{
	static int (*const step[])(const struct get_args *,
	    struct get_log *) = {
		[GET_CHECKPOINT] = get_checkpoint,
		[GET_ENTRY] = get_entry,
		[GET_INCLUSION] = get_inclusion,
		[GET_INCLUSION_HASH] = get_inclusion_hash,
		[GET_CONSISTENCY] = get_consistency,
		[GET_LOOKUP] = get_lookup,
	};
	struct get_log g;
	int ex;

	memset(&g, 0, sizeof(g));
	if ((ex = get_log_open(a, &g)) == 0)
		ex = step[a->what](a, &g);
	free(g.note);
	logc_free(g.lc);
	return ex;
}

int
get_cmd(int argc, char **argv)
{
	struct get_args a;
	int rc;

	if ((rc = get_parse(argc, argv, &a)) >= 0)
		return rc;
	return get_run(&a);
}
