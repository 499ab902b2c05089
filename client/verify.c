/*
 * verify.c: receipts, checkpoints and entries, checked offline.
 *
 * Order of checks for a receipt: the checkpoint signature first (nothing
 * else is trusted before the log key vouches for the origin, size and
 * root), then the entry and its submitter signature for that origin, then
 * the inclusion proof against the signed root (never a bare root).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "crypto.h"
#include "cstatus.h"
#include "logc.h"
#include "okeys.h"
#include "policy.h"
#include "json.h"
#include "ptlimits.h"
#include "record.h"
#include "signer.h"
#include "tproof.h"
#include "tty.h"
#include "util.h"
#include "verify.h"

/* The --policy in force: set once by cli_common_check, then read-only. */
static const struct pol *vrf_policy;

void
vrf_set_policy(const struct pol *p)
{
	vrf_policy = p;
}

/* vrf_checkpoint, also telling what each policy witness counted for
 * (cs, may be NULL; zeroed without a policy). */
static int
check_checkpoint(const char *note, size_t len,
    const struct note_vkey *log_key, struct ckpt *out, struct pol_cosigs *cs,
    struct pt_why *why)
{
	int rc;

	if (vrf_policy != NULL) {
		struct pt_why w = { "" };

		rc = pol_check_checkpoint(vrf_policy, note, len, log_key,
		    (uint64_t)time(NULL), out, cs, &w);
		if (rc == 0)
			return 0;
		if (rc == PT_EUNKNOWNSIGNER || rc == PT_ETIME)
			return pt_why_set(why, rc, "checkpoint does not meet "
			    "the witness policy: %s", w.text[0] ? w.text :
			    pt_strerror(rc));
		/* Otherwise report as for the log key alone. */
	} else {
		if (cs != NULL)
			memset(cs, 0, sizeof(*cs));
		rc = ckpt_open(note, len, log_key, out);
	}
	switch (rc) {
	case 0:
		return 0;
	case PT_ESIG:
		return pt_why_set(why, rc, "checkpoint signature by %s does "
		    "not verify", log_key->name);
	case PT_EUNKNOWNSIGNER: {
		char who[PT_WHY_MAX];

		if (vrf_signers(note, len, log_key, who, sizeof(who)) == 0)
			return pt_why_set(why, rc, "checkpoint is not signed "
			    "by the log key %.40s+%08x: %s", log_key->name,
			    (unsigned)log_key->hash, who);
		return pt_why_set(why, rc, "checkpoint is not signed by the "
		    "log key %s", log_key->name);
	}
	case PT_EORIGIN:
		return pt_why_set(why, rc, "checkpoint origin is not %s",
		    log_key->name);
	default:
		return pt_why_set(why, rc, "checkpoint: %s", pt_strerror(rc));
	}
}

int
vrf_checkpoint(const char *note, size_t len, const struct note_vkey *log_key,
    struct ckpt *out, struct pt_why *why)
{
	return check_checkpoint(note, len, log_key, out, NULL, why);
}

int
vrf_signers(const char *note, size_t len, const struct note_vkey *key,
    char *out, size_t cap)
{
	struct note *n;
	size_t o, i, ol;
	int found = 0;

	out[0] = '\0';
	if ((n = malloc(sizeof(*n))) == NULL)
		return -1;
	if (note_parse(note, len, n) != 0) {
		free(n);
		return -1;
	}
	for (ol = 0; ol < n->text_len && n->text[ol] != '\n'; ol++)
		;
	o = (size_t)snprintf(out, cap, "origin \"%.*s\"", (int)(ol > 64 ?
	    64 : ol), n->text);
	for (i = 0; i < n->nsigs; i++) {
		if (n->sigs[i].hash == key->hash &&
		    strcmp(n->sigs[i].name, key->name) == 0)
			found = 1;
		if (i < 3 && o < cap)
			o += (size_t)snprintf(out + o, cap - o, "%s%.40s+%08x",
			    i == 0 ? ", signed by " : " and ", n->sigs[i].name,
			    (unsigned)n->sigs[i].hash);
	}
	if (n->nsigs > 3 && o < cap)
		snprintf(out + o, cap - o, " and %zu more", n->nsigs - 3);
	free(n);
	return found;
}

/* What witness i counted for, in words; *status gets the JSON token. */
static const char *
witness_status(const struct pol_cosigs *cs, size_t i, const char **status)
{
	uint64_t b = UINT64_C(1) << i;

	if (cs->unverifiable & b) {
		*status = "unverifiable";
		return cs->present & b ? "cosigned, but cannot be verified "
		    "here" : "cannot be verified here";
	}
	if (cs->counted & b) {
		*status = "counted";
		return "cosigned";
	}
	if (cs->future & b) {
		*status = "future";
		return "cosignature dated in the future";
	}
	*status = "absent";
	return "no cosignature";
}

/* A cosignature time as ISO 8601 UTC ("2026-07-06T10:00:00Z"). */
static void
utc(uint64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)INT64_MAX / 2 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "%" PRIu64, t);
}

void
vrf_print_witnesses(FILE *f, const struct vrf_result *r)
{
	const struct pol *p = vrf_policy;
	const char *st, *words;
	char when[40];
	size_t i;

	if (!r->policy || !r->cosigs.done || p == NULL)
		return;
	for (i = 0; i < p->nwit; i++) {
		words = witness_status(&r->cosigs, i, &st);
		if (strcmp(st, "unverifiable") == 0)
			fprintf(f, "  witness %s: %s, %s (%s), not counted\n",
			    p->wit[i].name, note_alg_name(p->wit[i].key.alg),
			    words, cr_library_version());
		else if (strcmp(st, "counted") == 0) {
			utc(r->cosigs.time[i], when, sizeof(when));
			fprintf(f, "  witness %s: %s at %s, counted\n",
			    p->wit[i].name, words, when);
		} else if (strcmp(st, "future") == 0) {
			utc(r->cosigs.time[i], when, sizeof(when));
			fprintf(f, "  witness %s: %s (%s), not counted\n",
			    p->wit[i].name, words, when);
		} else
			fprintf(f, "  witness %s: %s\n", p->wit[i].name, words);
	}
}

json_t *
vrf_witnesses_json(const struct vrf_result *r)
{
	const struct pol *p = vrf_policy;
	const char *st;
	json_t *a, *o;
	size_t i;

	if (!r->policy || !r->cosigs.done || p == NULL ||
	    (a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < p->nwit; i++) {
		(void)witness_status(&r->cosigs, i, &st);
		if ((o = json_object()) == NULL)
			break;
		json_object_set_new(o, "name", json_string(p->wit[i].name));
		json_object_set_new(o, "type",
		    json_string(note_alg_name(p->wit[i].key.alg)));
		json_object_set_new(o, "status", json_string(st));
		if (strcmp(st, "counted") == 0 || strcmp(st, "future") == 0)
			json_object_set_new(o, "timestamp", json_integer(
			    (json_int_t)r->cosigs.time[i]));
		json_array_append_new(a, o);
	}
	return a;
}

int
vrf_entry(const uint8_t *entry, size_t len, const char *origin,
    struct wire_entry *out, struct pt_why *why)
{
	struct wire_entry e;
	struct pt_why w = { "" };
	int rc;

	if (out == NULL)
		out = &e;
	if ((rc = wire_entry_decode(entry, len, out, &w)) != 0)
		return pt_why_set(why, rc, "entry: %s", w.text[0] ? w.text :
		    pt_strerror(rc));
	if ((rc = wire_submission_verify(&out->sub, origin)) != 0)
	{
		char l[SIGNER_LABEL_MAX];

		signer_label(&out->sub.submitter, l, sizeof(l));
		return pt_why_set(why, rc, "submitter signature by %s does "
		    "not verify for %s", l, origin);
	}
	return 0;
}

/* The first byte that is not JSON whitespace, or -1. */
static int
first_byte(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r')
			return buf[i];
	return -1;
}

int
vrf_input_kind(const uint8_t *buf, size_t len, char *what, size_t cap)
{
	struct wire_entry e;
	struct wire_submission sub;
	int c = first_byte(buf, len);

	if (len == 0)
		return snprintf(what, cap, "an empty file"), 0;
	if (c == '{' || c == '[') {
		json_error_t je;
		json_t *j = json_loadb((const char *)buf, len, 0, &je);
		json_t *t = json_is_object(j) ? json_object_get(j, "type") :
		    NULL;
		const char *tn = json_is_string(t) ? json_string_value(t) :
		    NULL;
		enum record_type rt;

		if (tn != NULL && record_type_parse(tn, strlen(tn), &rt) == 0)
			snprintf(what, cap, "a JSON %s record (what an office "
			    "submits)", record_type_name(rt));
		else if (json_is_object(j) && json_object_get(j, "record") !=
		    NULL && json_object_get(j, "index") != NULL)
			snprintf(what, cap, "a JSON entry (as `pubtrail get "
			    "--json` prints it)");
		else
			snprintf(what, cap, "a JSON %s", j == NULL ? "text "
			    "that does not parse" : json_is_array(j) ? "list" :
			    "object");
		json_decref(j);
		return 0;
	}
	if (len >= 22 && memcmp(buf, "c2sp.org/tlog-proof@v1", 22) == 0)
		return snprintf(what, cap, "a tlog-proof text"), 0;
	if (c > 0 && c < 0x80) {
		/* A signed note: text, a blank line, "— " signature lines. */
		for (size_t i = 0; i + 6 <= len; i++)
			if (memcmp(buf + i, "\n\n\xe2\x80\x94 ", 6) == 0)
				return snprintf(what, cap, "a signed note (a "
				    "checkpoint)"), 0;
	}
	/* Text: a receipt, an entry and a submission are msgpack maps, and
	 * begin with a byte of 0x80 or above. */
	if ((c >= 0x20 && c < 0x7f) || c == 0xef) {
		size_t n = len < 512 ? len : 512;

		if (memchr(buf, '\0', n) == NULL)
			return snprintf(what, cap, "a text file%s",
			    memchr(buf, ';', n) != NULL || memchr(buf, ',', n) !=
			    NULL ? " (a CSV export? that is what an office "
			    "submits)" : ""), 0;
	}
	if (wire_entry_decode(buf, len, &e, NULL) == 0)
		return snprintf(what, cap, "an entry's bytes (a leaf of the "
		    "log, as GET /entry serves it)"), 0;
	if (wire_submission_decode(buf, len, &sub, NULL) == 0)
		return snprintf(what, cap, "a signed submission (what is "
		    "sent to POST /add)"), 0;
	if (c >= 0x80 && c <= 0x8f)
		return snprintf(what, cap, "msgpack that is not {entry, index, "
		    "proof}"), 0;
	return -1;
}

const struct vrf_note *
vrf_note_find(const struct vrf_note *notes, size_t n, const char *note,
    size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (notes[i].note != NULL && notes[i].note_len == len &&
		    memcmp(notes[i].note, note, len) == 0)
			return &notes[i];
	return NULL;
}

/* The note of m's known notes that is byte for byte note, or NULL (also
 * for m NULL, and always under a --policy: its quorum is checked anew). */
static const struct vrf_note *
known_note(const struct vrf_mine *m, const char *note, size_t len)
{
	if (m == NULL || vrf_policy != NULL)
		return NULL;
	return vrf_note_find(m->notes, m->nnotes, note, len);
}

/* vrf_receipt and vrf_receipt_mine: m may be NULL. */
static int
receipt_check(const uint8_t *buf, size_t len, const struct note_vkey *log_key,
    const struct vrf_mine *m, struct vrf_result *out, struct pt_why *why)
{
	const struct vrf_note *known;
	struct wire_receipt r;
	struct tproof *tp;
	struct pt_why w = { "" };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wire_receipt_decode(buf, len, &r, &w)) != 0) {
		char what[120];

		if (vrf_input_kind(buf, len, what, sizeof(what)) == 0)
			return pt_why_set(why, rc, "%s, not a receipt (a "
			    "receipt is the msgpack file `pubtrail submit` "
			    "writes: the entry, its index and a tlog-proof)",
			    what);
		return pt_why_set(why, rc, "receipt: %s", w.text[0] ? w.text :
		    pt_strerror(rc));
	}
	if ((tp = malloc(sizeof(*tp))) == NULL)
		return PT_ENOMEM;
	if ((rc = tproof_parse(r.proof, r.proof_len, tp)) != 0) {
		pt_why_set(why, rc, "receipt: tlog-proof: %s", pt_strerror(rc));
		goto out;
	}
	out->policy = vrf_policy != NULL;
	if ((known = known_note(m, tp->note, tp->note_len)) != NULL)
		out->ck = known->ck;	/* these very bytes verified before */
	else if ((rc = check_checkpoint(tp->note, tp->note_len, log_key,
	    &out->ck, &out->cosigs, why)) != 0)
		goto out;
	out->note = tp->note;
	out->note_len = tp->note_len;
	if (tp->index != r.index) {
		rc = pt_why_set(why, PT_EPROOF, "receipt index %llu differs "
		    "from its proof's index %llu", (unsigned long long)r.index,
		    (unsigned long long)tp->index);
		goto out;
	}
	if (m != NULL && m->sig != NULL &&
	    wire_entry_decode(r.entry, r.entry_len, &out->entry, NULL) == 0 &&
	    out->entry.sub.record_len == m->record_len &&
	    memcmp(out->entry.sub.record, m->record, m->record_len) == 0 &&
	    out->entry.sub.submitter_len == m->submitter_len &&
	    memcmp(out->entry.sub.submitter_str, m->submitter,
	    m->submitter_len) == 0 &&
	    memcmp(out->entry.sub.sig, m->sig, 64) == 0) {
		/* exactly the submission the caller signed: its signature
		 * is the caller's own, compared rather than verified */
	} else if ((rc = vrf_entry(r.entry, r.entry_len, out->ck.origin,
	    &out->entry, why)) != 0)
		goto out;
	if ((rc = mt_leaf_hash(r.entry, r.entry_len, &out->leaf)) != 0)
		goto out;
	rc = mt_verify_inclusion(&out->leaf, r.index, out->ck.size, tp->proof,
	    tp->n, &out->ck.root);
	if (rc == PT_ERANGE) {
		pt_why_set(why, rc, "index %llu is not below the checkpoint's "
		    "size %llu", (unsigned long long)r.index,
		    (unsigned long long)out->ck.size);
		goto out;
	}
	if (rc != 0) {
		pt_why_set(why, PT_EPROOF, "inclusion proof of index %llu does "
		    "not lead to the signed root of size %llu",
		    (unsigned long long)r.index,
		    (unsigned long long)out->ck.size);
		rc = PT_EPROOF;
		goto out;
	}
	out->index = r.index;
	out->entry_bytes = r.entry;
	out->entry_len = r.entry_len;
out:
	free(tp);
	return rc;
}

int
vrf_receipt(const uint8_t *buf, size_t len, const struct note_vkey *log_key,
    struct vrf_result *out, struct pt_why *why)
{
	return receipt_check(buf, len, log_key, NULL, out, why);
}

int
vrf_receipt_mine(const uint8_t *buf, size_t len,
    const struct note_vkey *log_key, const struct vrf_mine *m,
    struct vrf_result *out, struct pt_why *why)
{
	return receipt_check(buf, len, log_key, m, out, why);
}

static const char verify_usage[] =
    "usage: pubtrail verify --log-key VKEY [--policy FILE] [--json]\n"
    "                       [--log URL [--refresh] [--registrar-key-pub VKEY]]\n"
    "                       RECEIPT...\n"
    "\n"
    "Verify receipts offline (\"-\" reads one from standard input): the\n"
    "checkpoint's signature by the log key VKEY (a verifier key string, or\n"
    "a file holding one), the entry's record and submitter signature for\n"
    "the checkpoint's origin, and the inclusion proof against the signed\n"
    "root.  With --policy FILE (C2SP tlog-policy) the witness cosignatures\n"
    "that count must also meet its quorum, and each policy witness is listed\n"
    "with what it counted for: a cosignature dated more than 300 s in the\n"
    "future does not count, nor does an ML-DSA-44 witness (this build's\n"
    "OpenSSL cannot verify it).  Offline, a receipt's status (voided or\n"
    "amended later) cannot be known.  With --log URL the receipt is also\n"
    "checked in the log as it is now: the log's current checkpoint (which\n"
    "must meet --policy) is proven consistent with the receipt's, the\n"
    "entry is proven in it, and its corrections are applied (current,\n"
    "voided by #N, amended by #N); --refresh then rewrites the receipt\n"
    "with that newer checkpoint, so a receipt issued before the witness\n"
    "quorum meets the policy offline.  Online, the signer is also shown\n"
    "with the log's grant of its key (\"granted at #3 by registrar+...\",\n"
    "from the log's office_key entries, each proven), and a signer that held\n"
    "no grant for the record at its index makes the receipt invalid;\n"
    "--registrar-key-pub pins the log's registrar.  Exit 0 when every\n"
    "receipt is valid, 1 when one is not (with the reason), 2 usage, 3\n"
    "network, 6 a receipt file cannot be read, 7 stale.\n";

/* What verify --log found out about a receipt in the log as it is now. */
struct online {
	int done;		/* the checks ran (rc 0) */
	struct ckpt cur;	/* the log's current (policy-checked) checkpoint */
	struct cst st;		/* the entry's status */
	int refreshed;		/* --refresh wrote the file */
};

/*
 * verify --log: the receipt (already valid for the log key) is in the log
 * as it is now: the log's current checkpoint (under --policy: cosigned by
 * the quorum) is consistent with the receipt's, the entry is proven in it,
 * and its corrections are applied.  With refresh, the receipt file is
 * rewritten (atomically) with a tlog-proof against that newer checkpoint,
 * so a receipt issued before the witness quorum meets the policy offline.
 */
static int
vrf_online(struct logc *lc, const struct vrf_result *res, const char *file,
    int refresh, struct online *on, struct pt_why *why)
{
	struct tproof *tp = NULL;
	char *note = NULL, *text = NULL;
	size_t note_len, tlen;
	int rc;

	memset(on, 0, sizeof(*on));
	if ((rc = logc_checkpoint_since(lc, &res->ck, &on->cur, &note,
	    &note_len, why)) != 0)
		return rc;
	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	if ((rc = logc_inclusion_proof(lc, res->index, &on->cur, &res->leaf,
	    tp->proof, &tp->n, why)) != 0)
		goto out;
	if ((rc = cst_resolve(lc, &on->cur, res->index, res->entry_bytes,
	    res->entry_len, &res->entry, &on->st, why)) != 0)
		goto out;
	on->done = 1;
	/* A newer checkpoint, or the same one with other cosignatures. */
	if (refresh && (on->cur.size != res->ck.size ||
	    note_len != res->note_len ||
	    memcmp(note, res->note, note_len) != 0)) {
		struct wire_receipt wr;
		struct wire_buf wb;
		struct pt_why w = { "" };

		tp->index = res->index;
		tp->note = note;
		tp->note_len = note_len;
		tlen = WIRE_MAX_TPROOF + 1;
		if ((text = malloc(tlen)) == NULL) {
			rc = PT_ENOMEM;
			goto out;
		}
		if ((rc = tproof_format(tp, text, tlen, &tlen)) != 0) {
			rc = pt_why_set(why, rc, "--refresh: %s",
			    pt_strerror(rc));
			goto out;
		}
		memset(&wr, 0, sizeof(wr));
		wr.entry = res->entry_bytes;
		wr.entry_len = res->entry_len;
		wr.index = res->index;
		wr.proof = text;
		wr.proof_len = tlen;
		wire_buf_init(&wb);
		if ((rc = wire_receipt_encode(&wr, &wb)) == 0 &&
		    (rc = ut_write_file(file, wb.data, wb.len, 0644, 0,
		    &w)) != 0)
			pt_why_set(why, rc, "--refresh: %s", w.text);
		wire_buf_free(&wb);
		if (rc == 0)
			on->refreshed = 1;
	}
out:
	if (rc != 0)
		cst_free(&on->st);
	free(text);
	free(tp);
	free(note);
	return rc;
}

/* The command line of `pubtrail verify`. */
struct verify_args {
	struct cli_common co;
	int refresh;			/* --refresh */
	char **files;			/* RECEIPT... */
	int nfiles;
};

/* What every receipt is checked against. */
struct verify_ctx {
	const struct pol *policy;	/* --policy, or NULL */
	struct logc *lc;		/* --log, or NULL (offline) */
	struct okc *grants;		/* the log's office keys, or NULL */
};

/* The command line into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
verify_parse(int argc, char **argv, struct verify_args *a)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "refresh", 0, NULL, 'R' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	cli_common_init(&a->co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(verify_usage, stdout);
			return CLI_OK;
		}
		if (c == 'R') {
			a->refresh = 1;
			continue;
		}
		if ((rc = cli_common_opt(&a->co, c, optarg, verify_usage)) < 0)
			return -rc;
		if (rc == 0) {
			fputs(verify_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind == argc)
		return cli_usage_error(verify_usage, "no receipt given");
	if (a->refresh && a->co.log_url == NULL)
		return cli_usage_error(verify_usage, "--refresh needs --log "
		    "URL");
	if ((rc = cli_common_check(&a->co, 0, verify_usage)) != 0)
		return rc;
	a->files = argv + optind;
	a->nfiles = argc - optind;
	return -1;
}

/* With --log: the log opened and who it says may sign (its office_key
 * entries) read into v.  0 or the exit code. */
static int
verify_open(const struct verify_args *a, struct verify_ctx *v)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	if (a->co.log_url == NULL)
		return 0;
	cli_hcli_opts(&a->co, 1, &ho);
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &v->lc,
	    &why)) != 0)
		return cli_fail(rc, &why, "--log");
	if ((rc = okc_quick(&a->co, v->lc, &v->grants, &why)) != 0 &&
	    rc != PT_ENOTFOUND)
		return cli_fail(rc, &why, "the log's office keys");
	return 0;
}

/* A receipt file that cannot be read: said (with --json, every file named
 * gets its line, also one that cannot be read).  The exit code. */
static int
show_unread(const struct verify_args *a, const char *file, int rc,
    const struct pt_why *why)
{
	json_t *o;

	if (!a->co.json)
		return cli_fail(rc, why, "%s", file);
	o = json_object();
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "valid", json_false());
	json_object_set_new(o, "error", json_string(pt_errname(rc)));
	json_object_set_new(o, "reason", json_string(why->text[0] ?
	    why->text : pt_strerror(rc)));
	cli_json_print(stdout, o, JSON_COMPACT);
	json_decref(o);
	return cli_exit_for(rc);
}

/*
 * The receipt in buf checked: for the log key (offline, under --policy;
 * online the policy is asked of the log's current checkpoint instead),
 * then with --log in the log as it is now (on), then its signer against
 * the log's grants.  rc (0 valid) with the reason in why; the exit code
 * into *ex.
 */
static int
verify_check(const struct verify_args *a, const struct verify_ctx *v,
    const char *file, const uint8_t *buf, size_t len, struct vrf_result *res,
    struct online *on, struct pt_why *why, int *ex)
{
	int rc;

	if (v->lc != NULL)
		vrf_policy = NULL;
	rc = vrf_receipt(buf, len, &a->co.key, res, why);
	vrf_policy = v->policy;
	/* Whatever fails in a receipt is evidence (exit 1); online, the
	 * log's answers have their own codes (3, 7 ...). */
	*ex = rc == 0 ? CLI_OK : rc == PT_ENOMEM ? CLI_ENET : CLI_EVERIFY;
	if (rc == 0 && v->lc != NULL && (rc = vrf_online(v->lc, res, file,
	    a->refresh, on, why)) != 0) {
		*ex = cli_exit_for(rc);
		if (*ex == CLI_OK)
			*ex = CLI_EVERIFY;
	}
	if (rc == 0 && v->grants != NULL && okc_describe(v->grants,
	    &res->entry, res->index, why->text, sizeof(why->text)) != 0) {
		char w[PT_WHY_MAX];

		snprintf(w, sizeof(w), "%s", why->text);
		rc = pt_why_set(why, PT_EUNKNOWNSIGNER, "signed by %s+%08x: %s "
		    "(the log's office keys rule)",
		    res->entry.sub.submitter.name,
		    res->entry.sub.submitter.hash, w);
		*ex = CLI_EVERIFY;
	}
	return rc;
}

/* The verdict on one receipt (rc, why) as one JSON line. */
static void
show_json(const struct verify_ctx *v, const char *file,
    const struct vrf_result *res, const struct online *on, int rc,
    const struct pt_why *why)
{
	json_t *o = json_object(), *wj;

	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "valid", json_boolean(rc == 0));
	if (rc == 0) {
		json_t *ej = NULL;

		json_object_set_new(o, "origin", json_string(res->ck.origin));
		json_object_set_new(o, "tree_size",
		    json_integer((json_int_t)res->ck.size));
		if (jrec_entry_to_json(&res->entry, res->entry_bytes,
		    res->entry_len, res->index, &ej, NULL) == 0)
			json_object_set_new(o, "entry", ej);
		json_object_set_new(o, "index",
		    json_integer((json_int_t)res->index));
		signer_json_granted(o, &res->entry, res->index, v->grants);
		if (on->done) {
			json_t *lj = json_object();

			json_object_set_new(lj, "tree_size",
			    json_integer((json_int_t)on->cur.size));
			json_object_set_new(lj, "consistent", json_true());
			json_object_set_new(lj, "policy",
			    json_boolean(v->policy != NULL));
			json_object_set_new(lj, "refreshed",
			    json_boolean(on->refreshed));
			json_object_set_new(o, "log", lj);
			if (ej != NULL)
				cst_json(ej, &on->st);
		}
	} else {
		json_object_set_new(o, "error", json_string(pt_errname(rc)));
		json_object_set_new(o, "reason", json_string(why->text[0] ?
		    why->text : pt_strerror(rc)));
	}
	if ((wj = vrf_witnesses_json(res)) != NULL)
		json_object_set_new(o, "witnesses", wj);
	cli_json_print(stdout, o, JSON_COMPACT);
	json_decref(o);
}

/* A valid receipt for people: what it is, where, signed by whom, its
 * witnesses, and (online) its standing in the log now. */
static void
show_valid(const struct verify_ctx *v, const char *file,
    const struct vrf_result *res, const struct online *on)
{
	printf("%s", cli_green(stdout));
	tty_puts(stdout, file);
	printf(": valid%s: %s ", cli_reset(stdout),
	    record_type_name(res->entry.sub.info.type));
	tty_put(stdout, res->entry.sub.info.id, res->entry.sub.info.id_len);
	printf(" at index %llu of ", (unsigned long long)res->index);
	tty_puts(stdout, res->ck.origin);
	printf(" (tree size %llu), signed by ",
	    (unsigned long long)res->ck.size);
	signer_print_granted(stdout, &res->entry, res->index, v->grants);
	putchar('\n');
	vrf_print_witnesses(stdout, res);
	if (!on->done) {
		printf("  status: not checked offline (give --log URL to apply "
		    "the log's corrections)\n");
		return;
	}
	printf("  in the log now: proven in its current checkpoint (size "
	    "%llu), consistent with the receipt's%s\n",
	    (unsigned long long)on->cur.size, v->policy != NULL ? "; it meets "
	    "the witness policy" : "");
	if (on->refreshed)
		printf("  refreshed: the receipt now carries that "
		    "checkpoint\n");
	fputs("  ", stdout);
	cst_print(stdout, &on->st);
}

/* An invalid receipt, in red on standard error, with the reason. */
static void
show_invalid(const char *file, const struct vrf_result *res, int rc,
    const struct pt_why *why)
{
	fflush(stdout);
	fprintf(stderr, "%s", cli_red(stderr));
	tty_puts(stderr, file);
	fprintf(stderr, ": INVALID%s: ", cli_reset(stderr));
	tty_puts(stderr, why->text[0] ? why->text : pt_strerror(rc));
	fputc('\n', stderr);
	vrf_print_witnesses(stderr, res);
}

/* One receipt file read, checked and shown; its exit code folded into
 * *worst (a receipt that failed verification outranks other errors). */
static void
verify_one(const struct verify_args *a, const struct verify_ctx *v,
    const char *file, struct vrf_result *res, int *worst)
{
	struct online on;
	struct pt_why why = { "" };
	uint8_t *buf;
	size_t len;
	int rc, ex;

	memset(&on, 0, sizeof(on));
	if ((rc = ut_read_input(file, WIRE_MAX_RECEIPT, &buf, &len,
	    &why)) != 0) {
		ex = show_unread(a, file, rc, &why);
		if (*worst != CLI_EVERIFY && ex > *worst)
			*worst = ex;
		return;
	}
	rc = verify_check(a, v, file, buf, len, res, &on, &why, &ex);
	if (a->co.json)
		show_json(v, file, res, &on, rc, &why);
	else if (rc == 0)
		show_valid(v, file, res, &on);
	else
		show_invalid(file, res, rc, &why);
	cst_free(&on.st);
	free(buf);
	if (ex == CLI_EVERIFY || (*worst != CLI_EVERIFY && ex > *worst))
		*worst = ex;
}

static int
verify_run(const struct verify_args *a)
{
	struct verify_ctx v;
	struct vrf_result *res;
	int worst = CLI_OK;

	memset(&v, 0, sizeof(v));
	v.policy = vrf_policy;
	if ((worst = verify_open(a, &v)) != 0)
		goto out;
	for (int i = 0; i < a->nfiles; i++) {
		if ((res = malloc(sizeof(*res))) == NULL) {
			worst = cli_fail(PT_ENOMEM, NULL, "verify");
			break;
		}
		verify_one(a, &v, a->files[i], res, &worst);
		free(res);
	}
out:
	okc_free(v.grants);
	logc_free(v.lc);
	return worst;
}

int
vrf_cmd(int argc, char **argv)
{
	struct verify_args a;
	int rc;

	if ((rc = verify_parse(argc, argv, &a)) >= 0)
		return rc;
	return verify_run(&a);
}
