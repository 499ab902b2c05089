/*
 * okeys_cmd.c: `pubtrail keys grant|revoke|list` (okeys.h): a grant or
 * revoke signed with the registrar's key and appended; the log's keys
 * listed, verified by an audit (or --quick, by /office-keys) with the
 * replay of okeys.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "json.h"
#include "keys.h"
#include "okeys.h"
#include "record.h"
#include "signer.h"
#include "util.h"
#include "verify.h"

static const char keys_usage[] =
    "usage: pubtrail keys grant  --log URL --log-key VKEY --registrar-key FILE\n"
    "                            --key VKEY|FILE --name NAME --org SCHEME/ID\n"
    "                            [--org-name NAME] --types TYPE[,TYPE...]\n"
    "                            --reason TEXT [--valid-from YYYY-MM-DD]\n"
    "                            [--id ID] [--receipt FILE] [--json]\n"
    "       pubtrail keys revoke --log URL --log-key VKEY --registrar-key FILE\n"
    "                            --key VKEY|FILE --reason TEXT [--id ID]\n"
    "                            [--receipt FILE] [--json]\n"
    "       pubtrail keys list   --log URL --log-key VKEY\n"
    "                            [--registrar-key-pub VKEY] [--all] [--quick]\n"
    "                            [--state DIR] [--json]\n"
    "       pubtrail keygen --name NAME --out FILE\n"
    "\n"
    "Who may append to a log is on the log: office_key entries, signed by\n"
    "the log's registrar, grant an office's key the record types it may\n"
    "append, or revoke it (docs/PROTOCOL.md 6.6, docs/OPERATIONS.md).\n"
    "\n"
    "grant   signs a grant with the registrar's private key FILE and appends\n"
    "        it: the key (VKEY: a verifier key string or a .pub file), the\n"
    "        office's display NAME, the organisation it signs for (an\n"
    "        org-id.guide SCHEME and the ID within it; --org-name, default\n"
    "        NAME), the types (payment, permit_decision, correction), why, and\n"
    "        optionally the first day it may append.  A key is granted once;\n"
    "        two keys in force never share a key name.\n"
    "revoke  ends a key's grant (its name and organisation are taken from\n"
    "        its grant, read from the log).  A revoked key is never granted\n"
    "        again; rotate by granting a new key, then revoking the old.\n"
    "list    shows the keys the log granted, verified from the log: every\n"
    "        entry is read and judged (an audit: an entry by a key without a\n"
    "        grant, or a grant the rule refuses, fails it, exit 1 with the\n"
    "        index); --quick reads only the entries the log's /office-keys\n"
    "        names (each proven, but not that none is missing); --state DIR\n"
    "        keeps an audit state (incremental).  --registrar-key-pub pins\n"
    "        the registrar (else: the signer of the log's first office_key\n"
    "        entry).  --all also lists revoked keys.\n"
    "\n"
    "Exit 0 ok, 1 a verification failed, 2 usage, 3 network, 5 the log\n"
    "refused (e.g. 409: already granted, or the name is taken), 6 a file.\n";

struct kopts {
	struct cli_common co;
	const char *registrar_key, *key, *name, *org;
	const char *org_name, *types, *reason, *valid_from, *id, *receipt;
	const char *state;
	int all, quick;
};

/* "payment,correction" into a sorted JSON array of known office types. */
static json_t *
types_json(const char *s, struct pt_why *why)
{
	static const char *const order[] = { "correction", "payment",
	    "permit_decision" };
	unsigned mask = 0;
	json_t *a;

	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		enum record_type t;

		if (record_type_parse(s, n, &t) != 0 ||
		    !(RECORD_TYPES_ALL & (1u << t))) {
			pt_why_set(why, PT_EINVAL, "--types: \"%.*s\" is not "
			    "payment, permit_decision or correction", (int)n, s);
			return NULL;
		}
		mask |= 1u << t;
		s += n + (s[n] == ',');
	}
	if (mask == 0) {
		pt_why_set(why, PT_EINVAL, "--types: at least one type");
		return NULL;
	}
	a = json_array();
	for (size_t i = 0; i < 3; i++) {
		enum record_type t;

		record_type_parse(order[i], strlen(order[i]), &t);
		if (mask & (1u << t))
			json_array_append_new(a, json_string(order[i]));
	}
	return a;
}

/* "SCHEME/ID" into the organisation party. */
static json_t *
org_json(const char *org, const char *name, struct pt_why *why)
{
	const char *slash = strchr(org, '/');

	if (slash == NULL || slash == org || slash[1] == '\0') {
		pt_why_set(why, PT_EINVAL, "--org: want SCHEME/ID, e.g. "
		    "XI-EXAMPLE/FIN (an org-id.guide list code and the id "
		    "within it)");
		return NULL;
	}
	return json_pack("{s:s%, s:s, s:s, s:s}", "scheme", org,
	    (size_t)(slash - org), "kind", "organization", "name", name,
	    "id", slash + 1);
}

/* The default id: "grant-" or "revoke-" and 16 hex digits of
 * SHA-256(vkey): one grant and one revoke per key, so a retry of the same
 * command is answered with the same entry. */
static void
default_id(const char *action, const char *vkey, char *out, size_t cap)
{
	uint8_t h[32];
	char hex[65];

	cr_sha256(vkey, strlen(vkey), NULL, 0, NULL, 0, h);
	cr_hex_encode(h, 32, hex);
	snprintf(out, cap, "%s-%.16s", action, hex);
}

/* Sign record (canonical) with the registrar's key and append it; verify
 * the receipt; print the result. */
static int
append_okey(struct kopts *ko, struct logc *lc, const struct note_skey *rk,
    const char *origin, const struct wire_buf *rec, const char *what)
{
	struct wire_submission s;
	struct wire_buf body;
	struct hcli_resp r;
	struct vrf_result *res;
	struct pt_why why = { "" };
	char rv[PT_MAX_VKEY + 1];
	int rc;

	wire_buf_init(&body);
	if ((rc = wire_submission_sign(rk, origin, rec->data, rec->len, &s, rv,
	    sizeof(rv))) != 0 || (rc = wire_submission_encode(&s, &body)) != 0)
		return cli_fail(rc, NULL, "%s: signing", what);
	hcli_post(lc->http, "/add", body.data, body.len, "application/msgpack",
	    "application/msgpack", WIRE_MAX_RECEIPT, &r);
	wire_buf_free(&body);
	if ((rc = logc_status(&r, "POST /add", &why)) != 0) {
		hcli_resp_free(&r);
		return cli_fail(rc, &why, "%s", what);
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		hcli_resp_free(&r);
		return cli_fail(PT_ENOMEM, NULL, "%s", what);
	}
	rc = vrf_receipt(r.body, r.len, &ko->co.key, res, &why);
	if (rc == 0 && (res->entry.sub.record_len != rec->len ||
	    memcmp(res->entry.sub.record, rec->data, rec->len) != 0 ||
	    res->entry.sub.submitter_len != strlen(rv) ||
	    memcmp(res->entry.sub.submitter_str, rv, strlen(rv)) != 0))
		rc = pt_why_set(&why, PT_EPROOF, "the log answered with a "
		    "receipt for another record");
	if (rc == 0 && ko->receipt != NULL)
		rc = ut_write_file(ko->receipt, r.body, r.len, 0644, 0, &why);
	if (rc != 0) {
		free(res);
		hcli_resp_free(&r);
		return cli_fail(rc, &why, "%s", what);
	}
	if (ko->co.json) {
		json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "action", what,
		    "index", (json_int_t)res->index, "registrar", rv, "origin",
		    origin);

		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	} else
		printf("%s: entry #%llu, signed by the registrar %s+%08x, in "
		    "the log's checkpoint of size %llu\n", what,
		    (unsigned long long)res->index, rk->vk.name, rk->vk.hash,
		    (unsigned long long)res->ck.size);
	free(res);
	hcli_resp_free(&r);
	return CLI_OK;
}

/* The log at ko's --log, its verified checkpoint into ck. */
static int
open_log(struct kopts *ko, struct logc **lc, struct ckpt *ck)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	cli_hcli_opts(&ko->co, ko->co.concurrency, &ho);
	ho.recv_buffer = AUD_RECV_BUFFER;
	if ((rc = logc_open(ko->co.log_url, &ko->co.key, &ho, lc, &why)) != 0)
		return cli_fail(rc, &why, "--log");
	if ((rc = logc_checkpoint(*lc, ck, NULL, NULL, &why)) != 0)
		return cli_fail(rc, &why, "checkpoint");
	return 0;
}

static int
cmd_grant_or_revoke(struct kopts *ko, int revoke)
{
	struct note_skey rk;
	struct note_vkey ok;
	struct logc *lc = NULL;
	struct ckpt ck;
	struct okc *k = NULL;
	struct wire_buf rec;
	struct pt_why why = { "" };
	char vk[PT_MAX_VKEY + 1], id[PT_MAX_ID + 1];
	json_t *o = NULL, *org = NULL, *types = NULL;
	int rc, ex;

	if (ko->registrar_key == NULL || ko->key == NULL || ko->reason == NULL)
		return cli_usage_error(keys_usage, "--registrar-key, --key and "
		    "--reason are required");
	if (!revoke && (ko->name == NULL || ko->org == NULL ||
	    ko->types == NULL))
		return cli_usage_error(keys_usage, "grant: --name, --org and "
		    "--types are required");
	if (revoke && (ko->types != NULL || ko->valid_from != NULL))
		return cli_usage_error(keys_usage, "revoke takes no --types or "
		    "--valid-from");
	if ((rc = keys_load_vkey(ko->key, &ok, &why)) != 0)
		return cli_fail(rc == PT_EIO ? rc : PT_EINVAL, &why, "--key");
	note_vkey_format(&ok, vk, sizeof(vk));
	if (!revoke && (types = types_json(ko->types, &why)) == NULL)
		return cli_fail(PT_EINVAL, &why, "grant");
	if (!revoke && (org = org_json(ko->org, ko->org_name != NULL ?
	    ko->org_name : ko->name, &why)) == NULL) {
		json_decref(types);
		return cli_fail(PT_EINVAL, &why, "grant");
	}
	if ((rc = keys_load_skey(ko->registrar_key, &rk, &why)) != 0) {
		json_decref(types);
		json_decref(org);
		return cli_fail(rc, &why, "--registrar-key");
	}
	wire_buf_init(&rec);
	if ((ex = open_log(ko, &lc, &ck)) != 0)
		goto out;
	if (revoke) {
		/* The revoke names the office as its grant did. */
		const struct grants_key *gk;

		if ((rc = okc_new(&ko->co.key, NULL, &k, &why)) != 0 ||
		    (rc = okc_fetch(k, lc, &ck, &why)) != 0) {
			ex = cli_fail(rc, &why, "reading the log's grants");
			goto out;
		}
		if ((gk = grants_find(okc_grants(k), vk, strlen(vk))) == NULL) {
			pt_why_set(&why, PT_ENOTFOUND, "%s+%08x has no grant in "
			    "this log", ok.name, ok.hash);
			ex = cli_fail(PT_ENOTFOUND, &why, "revoke");
			goto out;
		}
		if ((rc = jrec_to_json(gk->org, gk->org_len, &org, &why)) != 0) {
			ex = cli_fail(rc, &why, "revoke");
			goto out;
		}
		o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "action",
		    "revoke", "id", "", "key", vk, "name", gk->name,
		    "organization", org, "reason", ko->reason, "type",
		    "office_key");
	} else {
		o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:O}",
		    "action", "grant", "id", "", "key", vk, "name", ko->name,
		    "organization", org, "reason", ko->reason, "type",
		    "office_key", "types", types);
		if (o != NULL && ko->valid_from != NULL)
			json_object_set_new(o, "valid_from",
			    json_string(ko->valid_from));
	}
	if (o == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "keys");
		goto out;
	}
	if (ko->id != NULL)
		snprintf(id, sizeof(id), "%s", ko->id);
	else
		default_id(revoke ? "revoke" : "grant", vk, id, sizeof(id));
	json_object_set_new(o, "id", json_string(id));
	if ((rc = jrec_from_json(o, &rec, NULL, &why)) != 0) {
		ex = cli_fail(PT_EINVAL, &why, "%s: the record",
		    revoke ? "revoke" : "grant");
		goto out;
	}
	ex = append_okey(ko, lc, &rk, ck.origin, &rec, revoke ? "revoke" :
	    "grant");
out:
	note_skey_wipe(&rk);
	wire_buf_free(&rec);
	json_decref(o);
	json_decref(org);
	json_decref(types);
	okc_free(k);
	logc_free(lc);
	return ex;
}

static void
iso_time(uint64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, cap,
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "?");
}

static json_t *
key_json(const struct grants_key *gk)
{
	json_t *o, *org = NULL, *types = json_array();
	char tb[48], ts[32];

	jrec_to_json(gk->org, gk->org_len, &org, NULL);
	grants_types_str(gk->types, tb, sizeof(tb));
	for (char *p = strtok(tb, ","); p != NULL; p = strtok(NULL, ","))
		json_array_append_new(types, json_string(p));
	iso_time(gk->granted_time_ms, ts, sizeof(ts));
	o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:s, s:b}", "key",
	    gk->vkey, "name", gk->name, "organization", org != NULL ? org : json_null(),
	    "types", types, "granted_at", (json_int_t)gk->granted_at,
	    "granted_time", ts, "in_force", gk->revoked_at == GRANTS_NEVER);
	if (o == NULL)
		return NULL;
	{
		char lab[PT_MAX_KEY_NAME + 16];

		snprintf(lab, sizeof(lab), "%s+%08x", gk->key.name,
		    gk->key.hash);
		json_object_set_new(o, "signer", json_string(lab));
	}
	if (gk->valid_from_ms != 0) {
		iso_time(gk->valid_from_ms, ts, sizeof(ts));
		ts[10] = '\0';
		json_object_set_new(o, "valid_from", json_string(ts));
	}
	if (gk->revoked_at != GRANTS_NEVER) {
		json_object_set_new(o, "revoked_at",
		    json_integer((json_int_t)gk->revoked_at));
		iso_time(gk->revoked_time_ms, ts, sizeof(ts));
		json_object_set_new(o, "revoked_time", json_string(ts));
	}
	return o;
}

static void
print_key(const struct grants_key *gk, const char *reglabel)
{
	json_t *org = NULL;
	char tb[48], ts[32];

	jrec_to_json(gk->org, gk->org_len, &org, NULL);
	grants_types_str(gk->types, tb, sizeof(tb));
	iso_time(gk->granted_time_ms, ts, sizeof(ts));
	printf("  %s+%08x  \"%s\"  %s/%s  %s\n", gk->key.name, gk->key.hash,
	    gk->name, json_string_value(json_object_get(org, "scheme")),
	    json_string_value(json_object_get(org, "id")), tb);
	printf("      granted at #%llu (%s) by %s", (unsigned long long)
	    gk->granted_at, ts, reglabel);
	if (gk->valid_from_ms != 0) {
		iso_time(gk->valid_from_ms, ts, sizeof(ts));
		printf(", valid from %.10s", ts);
	}
	if (gk->revoked_at != GRANTS_NEVER) {
		iso_time(gk->revoked_time_ms, ts, sizeof(ts));
		printf(", REVOKED at #%llu (%s)", (unsigned long long)
		    gk->revoked_at, ts);
	}
	putchar('\n');
	json_decref(org);
}

/* What keys list prints: JSON (--json) or text, of the keys k replayed
 * from the log of ck (nbad violations). */
static void
list_output(const struct kopts *ko, const struct okc *k,
    const struct ckpt *ckp, long nbad)
{
	const char *reg;
	char rl[PT_MAX_KEY_NAME + 16] = "(none)";
	uint64_t first;
	size_t nin = 0;

	reg = grants_registrar(okc_grants(k), &first);
	if (reg != NULL)
		signer_label_vkey(reg, strlen(reg), rl, sizeof(rl));
	if (ko->co.json) {
		json_t *out = json_object(), *keys = json_array(),
		    *bad = json_array();

		for (size_t i = 0; i < grants_count(okc_grants(k)); i++) {
			const struct grants_key *gk = grants_key_at(
			    okc_grants(k), i);

			if (ko->all || gk->revoked_at == GRANTS_NEVER)
				json_array_append_new(keys, key_json(gk));
		}
		for (size_t i = 0; i < okc_bad_count(k) && i < OKC_MAX_BAD;
		    i++) {
			uint64_t idx;
			const char *w;

			okc_bad(k, i, &idx, &w);
			json_array_append_new(bad, json_pack("{s:I, s:s}",
			    "index", (json_int_t)idx, "reason", w));
		}
		json_object_set_new(out, "origin", json_string(ckp->origin));
		json_object_set_new(out, "size", json_integer((json_int_t)
		    ckp->size));
		json_object_set_new(out, "registrar", reg != NULL ?
		    json_string(reg) : json_null());
		json_object_set_new(out, "verified", json_string(ko->quick ?
		    "office_key entries named by /office-keys" :
		    "every entry"));
		json_object_set_new(out, "keys", keys);
		json_object_set_new(out, "violations", bad);
		json_object_set_new(out, "ok", json_boolean(nbad == 0));
		json_dumpf(out, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(out);
	} else {
		printf("office keys of %s (tree size %llu; %s)\n", ckp->origin,
		    (unsigned long long)ckp->size, ko->quick ? "the office_key "
		    "entries /office-keys names, each proven" :
		    "every entry verified");
		if (reg != NULL)
			printf("registrar %s (%s)\n", rl, ko->co.registrar[0] ?
			    "pinned with --registrar-key-pub" : "signer of the "
			    "log's first office_key entry");
		else
			printf("registrar: none yet (this log has no office_key "
			    "entries)\n");
		for (size_t i = 0; i < grants_count(okc_grants(k)); i++) {
			const struct grants_key *gk = grants_key_at(
			    okc_grants(k), i);

			nin += gk->revoked_at == GRANTS_NEVER;
			if (ko->all || gk->revoked_at == GRANTS_NEVER)
				print_key(gk, rl);
		}
		printf("%zu key%s in force, %zu revoked\n", nin, nin == 1 ? "" :
		    "s", grants_count(okc_grants(k)) - nin);
	}
}

static int
cmd_list(struct kopts *ko)
{
	struct logc *lc = NULL;
	struct okc *k = NULL;
	struct aud_opts o;
	struct aud_state st;
	struct aud_summary sum;
	struct ckpt ck;
	struct pt_why why = { "" };
	long nbad;
	int rc, ex = CLI_OK;

	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	if (ko->quick && ko->state != NULL)
		return cli_usage_error(keys_usage, "--quick reads no entries "
		    "but office_key ones: not with --state");
	if ((rc = okc_new(&ko->co.key, ko->co.registrar[0] ?
	    ko->co.registrar : NULL, &k, &why)) != 0)
		return cli_fail(rc, &why, "--registrar-key-pub");
	if (ko->state != NULL) {
		if ((rc = aud_state_load(ko->state, &ko->co.key, &st, &why))
		    != 0 || (rc = okc_state_load(k, ko->state, st.have ?
		    st.ck.size : 0, st.ck.origin, &why)) != 0) {
			ex = cli_fail(rc == PT_ECORRUPT ? PT_EIO : rc, &why,
			    "--state");
			goto out;
		}
	}
	if ((ex = open_log(ko, &lc, &ck)) != 0)
		goto out;
	if (ko->quick)
		rc = okc_fetch(k, lc, &ck, &why);
	else {
		okc_hook(k, &o);
		o.progress = !ko->co.json && !ko->co.quiet && isatty(2);
		rc = aud_run(lc, &st, &o, &sum, &why);
		ck = st.ck;
	}
	if (rc != 0) {
		ex = cli_fail(rc, &why, "reading the log's grants");
		goto out;
	}
	if ((nbad = okc_finish(k, ko->quick ? NULL : lc, &ck, &why)) < 0) {
		ex = cli_fail((int)nbad, &why, "checking /office-keys");
		goto out;
	}
	if (nbad == 0 && ko->state != NULL &&
	    ((rc = okc_state_save(k, ko->state, &why)) != 0 ||
	    (rc = aud_state_save(ko->state, &st, &why)) != 0)) {
		ex = cli_fail(rc, &why, "--state");
		goto out;
	}
	list_output(ko, k, &ck, nbad);
	for (size_t i = 0; i < okc_bad_count(k) && i < OKC_MAX_BAD; i++) {
		uint64_t idx;
		const char *w;

		okc_bad(k, i, &idx, &w);
		fprintf(stderr, "pubtrail: entry #%llu: %s\n",
		    (unsigned long long)idx, w);
	}
	if (nbad > 0) {
		fprintf(stderr, "pubtrail: %ld entr%s of %s FAILED the office "
		    "keys rule\n", nbad, nbad == 1 ? "y" : "ies",
		    ko->co.log_url);
		ex = CLI_EVERIFY;
	}
out:
	aud_state_free(&st);
	okc_free(k);
	logc_free(lc);
	return ex;
}

int
okc_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "registrar-key", 1, NULL, 'R' },
		{ "key", 1, NULL, 'k' },
		{ "name", 1, NULL, 'n' },
		{ "org", 1, NULL, 'o' },
		{ "org-name", 1, NULL, 'O' },
		{ "types", 1, NULL, 't' },
		{ "reason", 1, NULL, 'r' },
		{ "valid-from", 1, NULL, 'v' },
		{ "id", 1, NULL, 'i' },
		{ "receipt", 1, NULL, 'e' },
		{ "state", 1, NULL, 's' },
		{ "all", 0, NULL, 'a' },
		{ "quick", 0, NULL, 'Q' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kopts ko;
	const char *sub;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(keys_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EUSAGE : CLI_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "grant") != 0 && strcmp(sub, "revoke") != 0 &&
	    strcmp(sub, "list") != 0)
		return cli_usage_error(keys_usage, "unknown keys command '%s'",
		    sub);
	memset(&ko, 0, sizeof(ko));
	cli_common_init(&ko.co);
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(keys_usage, stdout);
			return CLI_OK;
		case 'R': ko.registrar_key = optarg; break;
		case 'k': ko.key = optarg; break;
		case 'n': ko.name = optarg; break;
		case 'o': ko.org = optarg; break;
		case 'O': ko.org_name = optarg; break;
		case 't': ko.types = optarg; break;
		case 'r': ko.reason = optarg; break;
		case 'v': ko.valid_from = optarg; break;
		case 'i': ko.id = optarg; break;
		case 'e': ko.receipt = optarg; break;
		case 's': ko.state = optarg; break;
		case 'a': ko.all = 1; break;
		case 'Q': ko.quick = 1; break;
		default:
			if ((rc = cli_common_opt(&ko.co, c, optarg,
			    keys_usage)) != 1) {
				if (rc == 0)
					fputs(keys_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind != argc)
		return cli_usage_error(keys_usage, "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_common_check(&ko.co, 1, keys_usage)) != 0)
		return rc;
	if (strcmp(sub, "list") == 0)
		return cmd_list(&ko);
	return cmd_grant_or_revoke(&ko, strcmp(sub, "revoke") == 0);
}
