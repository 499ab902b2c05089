/*
 * okeys.c: office keys, client side (okeys.h): the log's grants replayed
 * with proto/grants.c, hooked into audits or fetched through
 * /office-keys; `pubtrail keys grant|revoke|list`.
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
#include "num.h"
#include "okeys.h"
#include "record.h"
#include "util.h"
#include "verify.h"

#define STATE_MAGIC	"pubtrail-office-keys v1\n"
#define STATE_MAX	(2ULL * PT_MAX_OFFICE_KEYS * (PT_MAX_ENTRY + 16) + 64)

struct kept {
	uint64_t index;
	uint8_t *p;
	size_t len;
};

struct bad {
	uint64_t index;
	char why[PT_WHY_MAX];
};

struct okc {
	struct grants *g;
	struct kept *kept;		/* the office_key entries applied */
	size_t nkept, capkept;
	uint64_t *seen;			/* every office_key entry's index */
	size_t nseen, capseen;
	struct bad bad[OKC_MAX_BAD];
	size_t nbad;			/* all, also beyond OKC_MAX_BAD */
	aud_entry_fn inner;
	void *inner_arg;
	int finished;
	/* The log's migration: its first run of office_key entries,
	 * [first, mig_end), judges a legacy prefix (PROTOCOL.md 6.6). */
	uint64_t mig_end;
	int run_open;
};

int
okc_new(const struct note_vkey *logkey, const char *registrar,
    struct okc **out, struct pt_why *why)
{
	struct okc *k;
	int rc;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PT_ENOMEM;
	if ((rc = grants_new(GRANTS_HISTORY, &k->g)) != 0 ||
	    (logkey != NULL && (rc = grants_set_log_key(k->g, logkey)) != 0)) {
		okc_free(k);
		return pt_why_set(why, rc, "%s", pt_strerror(rc));
	}
	if (registrar != NULL && (rc = grants_pin_registrar(k->g, registrar,
	    strlen(registrar), why)) != 0) {
		okc_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void
okc_free(struct okc *k)
{
	if (k == NULL)
		return;
	grants_free(k->g);
	for (size_t i = 0; i < k->nkept; i++)
		free(k->kept[i].p);
	free(k->kept);
	free(k->seen);
	free(k);
}

const struct grants *
okc_grants(const struct okc *k)
{
	return k->g;
}

static void
add_bad(struct okc *k, uint64_t index, const char *why)
{
	if (k->nbad < OKC_MAX_BAD) {
		k->bad[k->nbad].index = index;
		snprintf(k->bad[k->nbad].why, sizeof(k->bad[k->nbad].why), "%s",
		    why);
	}
	k->nbad++;
}

int
okc_bad(const struct okc *k, size_t i, uint64_t *index, const char **why)
{
	if (i >= k->nbad || i >= OKC_MAX_BAD)
		return -1;
	*index = k->bad[i].index;
	*why = k->bad[i].why;
	return 0;
}

size_t
okc_bad_count(const struct okc *k)
{
	return k->nbad;
}

static int
keep(struct okc *k, uint64_t index, const uint8_t *p, size_t len)
{
	struct kept *n;

	if (k->nkept == k->capkept) {
		size_t ncap = k->capkept ? k->capkept * 2 : 16;

		if ((n = realloc(k->kept, ncap * sizeof(*n))) == NULL)
			return PT_ENOMEM;
		k->kept = n;
		k->capkept = ncap;
	}
	if ((k->kept[k->nkept].p = malloc(len)) == NULL)
		return PT_ENOMEM;
	memcpy(k->kept[k->nkept].p, p, len);
	k->kept[k->nkept].len = len;
	k->kept[k->nkept].index = index;
	k->nkept++;
	return 0;
}

/* Judge one entry with the rule; a refusal is a violation, not an end. */
static int
judge(struct okc *k, uint64_t index, const uint8_t *entry, size_t len,
    const struct wire_entry *e)
{
	struct pt_why why = { "" };
	uint64_t late;
	int rc;

	if (e->sub.info.type == RECORD_OFFICE_KEY) {
		if (k->nseen == k->capseen) {
			size_t ncap = k->capseen ? k->capseen * 2 : 16;
			uint64_t *n = realloc(k->seen, ncap * sizeof(*n));

			if (n == NULL)
				return PT_ENOMEM;
			k->seen = n;
			k->capseen = ncap;
		}
		if (k->nseen == 0) {
			k->mig_end = index + 1;
			k->run_open = 1;
		} else if (k->run_open && index == k->mig_end)
			k->mig_end++;
		else
			k->run_open = 0;
		k->seen[k->nseen++] = index;
	} else if (k->nseen > 0)
		k->run_open = 0;
	rc = grants_apply(k->g, index, e->time_ms, &e->sub, NULL, 0, &why);
	if (rc == PT_ENOMEM)
		return rc;
	if (rc != 0)
		add_bad(k, index, why.text);
	else if (e->sub.info.type == RECORD_OFFICE_KEY &&
	    (rc = keep(k, index, entry, len)) != 0)
		return rc;
	while (grants_next_late(k->g, &late, &why) == 1)
		add_bad(k, late, why.text);
	return 0;
}

static int
on_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len,
    const struct wire_entry *e)
{
	struct okc *k = arg;
	int rc;

	if ((rc = judge(k, index, entry, len, e)) != 0)
		return rc;
	return k->inner != NULL ? k->inner(k->inner_arg, index, entry, len, e) :
	    0;
}

void
okc_hook(struct okc *k, struct aud_opts *o)
{
	k->inner = o->fn;
	k->inner_arg = o->arg;
	o->fn = on_entry;
	o->arg = k;
}

/* ------------------------------------------------------- /office-keys */

/* {"indexes": [uint...], "size": uint} into idx (at most PT_MAX_ARRAY). */
static int
decode_list(const uint8_t *buf, size_t len, uint64_t *idx, size_t *n,
    uint64_t *size)
{
	struct wire_cur c;
	size_t np, na;
	const char *key;
	size_t kl;
	int have = 0;

	*n = 0;
	if (wire_check_canonical(buf, len, NULL) != 0)
		return PT_EMALFORMED;
	wire_cur_init(&c, buf, len);
	if (wire_cur_map(&c, &np) != 0 || np != 2)
		return PT_EMALFORMED;
	for (size_t i = 0; i < np; i++) {
		if (wire_cur_str(&c, &key, &kl) != 0)
			return PT_EMALFORMED;
		if (kl == 7 && memcmp(key, "indexes", 7) == 0) {
			if (wire_cur_array(&c, &na) != 0 || na > PT_MAX_ARRAY)
				return PT_EMALFORMED;
			for (size_t j = 0; j < na; j++)
				if (wire_cur_uint(&c, &idx[j]) != 0)
					return PT_EMALFORMED;
			*n = na;
			have |= 1;
		} else if (kl == 4 && memcmp(key, "size", 4) == 0) {
			if (wire_cur_uint(&c, size) != 0)
				return PT_EMALFORMED;
			have |= 2;
		} else
			return PT_EMALFORMED;
	}
	return have == 3 ? 0 : PT_EMALFORMED;
}

/*
 * The indexes the log's /office-keys names below ck->size, all of them
 * (paged), into *out (heap, caller frees), checked to increase.
 */
static int
fetch_list(struct logc *lc, const struct ckpt *ck, uint64_t **out,
    size_t *nout, struct pt_why *why)
{
	uint64_t idx[PT_MAX_ARRAY], from = 0, size, *all = NULL;
	size_t n, nall = 0, cap = 0;
	char path[96];
	int rc;

	*out = NULL;
	*nout = 0;
	do {
		struct hcli_resp r;

		snprintf(path, sizeof(path), "/office-keys?size=%llu&from=%llu",
		    (unsigned long long)ck->size, (unsigned long long)from);
		hcli_get(lc->http, path, "application/msgpack",
		    64 + 10 * PT_MAX_ARRAY, &r);
		rc = logc_status(&r, "GET /office-keys", why);
		if (rc == 0 && (decode_list(r.body, r.len, idx, &n, &size) != 0
		    || size != ck->size))
			rc = pt_why_set(why, PT_ENET, "GET /office-keys: not "
			    "the list of the tree of size %llu asked for",
			    (unsigned long long)ck->size);
		hcli_resp_free(&r);
		if (rc != 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (idx[i] < from || idx[i] >= ck->size ||
			    (nall > 0 && idx[i] <= all[nall - 1])) {
				rc = pt_why_set(why, PT_EPROOF, "the log's "
				    "/office-keys answer is out of order or "
				    "range (#%llu)", (unsigned long long)idx[i]);
				goto fail;
			}
			if (nall == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				uint64_t *na;

				if (ncap > 2 * PT_MAX_OFFICE_KEYS + PT_MAX_ARRAY) {
					rc = pt_why_set(why, PT_EPROOF, "the log "
					    "names more office_key entries than "
					    "a log can have");
					goto fail;
				}
				if ((na = realloc(all, ncap * sizeof(*na))) ==
				    NULL) {
					rc = PT_ENOMEM;
					goto fail;
				}
				all = na;
				cap = ncap;
			}
			all[nall++] = idx[i];
		}
		if (n > 0)
			from = idx[n - 1] + 1;
	} while (n == PT_MAX_ARRAY);
	*out = all;
	*nout = nall;
	return 0;
fail:
	free(all);
	return rc;
}

int
okc_fetch(struct okc *k, struct logc *lc, const struct ckpt *ck,
    struct pt_why *why)
{
	uint64_t *idx;
	size_t n;
	int rc;

	if ((rc = fetch_list(lc, ck, &idx, &n, why)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct wire_entry e;
		uint8_t *buf;
		size_t len;

		if ((rc = logc_entry(lc, idx[i], ck, &buf, &len, &e, why)) != 0)
			break;
		if (e.sub.info.type != RECORD_OFFICE_KEY)
			rc = pt_why_set(why, PT_EPROOF, "the log's /office-keys "
			    "names entry #%llu, which is not an office_key "
			    "entry", (unsigned long long)idx[i]);
		else
			rc = judge(k, idx[i], buf, len, &e);
		free(buf);
	}
	free(idx);
	return rc;
}

long
okc_finish(struct okc *k, struct logc *lc, const struct ckpt *ck,
    struct pt_why *why)
{
	struct pt_why w = { "" };
	uint64_t late, *idx = NULL;
	size_t n = 0, j = 0;
	int rc;

	grants_end(k->g);
	while (grants_next_late(k->g, &late, &w) == 1)
		add_bad(k, late, w.text);
	if (lc == NULL || k->finished)
		return (long)k->nbad;
	k->finished = 1;
	/* The route must name what the entries are: every office_key entry
	 * the audit saw, and nothing else, below the audited size. */
	if (lc->tiles_only)
		return (long)k->nbad;	/* only tlog-tiles resources asked */
	if ((rc = fetch_list(lc, ck, &idx, &n, why)) != 0) {
		/* A mirror or tiles-only server need not serve the route. */
		if (rc == PT_ENOTFOUND)
			return (long)k->nbad;
		if (rc != PT_EPROOF)
			return rc;
		add_bad(k, ck->size, why->text);
		return (long)k->nbad;
	}
	for (size_t i = 0; i < k->nseen || j < n;) {
		if (j < n && (i == k->nseen || idx[j] < k->seen[i])) {
			pt_why_set(&w, PT_EPROOF, "the log's /office-keys names "
			    "entry #%llu, which is not an office_key entry",
			    (unsigned long long)idx[j]);
			add_bad(k, idx[j++], w.text);
		} else if (j == n || k->seen[i] < idx[j]) {
			pt_why_set(&w, PT_EPROOF, "the log's /office-keys leaves "
			    "out the office_key entry #%llu", (unsigned long long)
			    k->seen[i]);
			add_bad(k, k->seen[i++], w.text);
		} else {
			i++;
			j++;
		}
	}
	free(idx);
	return (long)k->nbad;
}

/* ----------------------------------------------------------- state */

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
okc_state_save(struct okc *k, const char *dir, struct pt_why *why)
{
	char path[1200];
	size_t len = strlen(STATE_MAGIC) + 4, off;
	uint8_t *b;
	int rc;

	for (size_t i = 0; i < k->nkept; i++)
		len += 12 + k->kept[i].len;
	if ((b = malloc(len)) == NULL)
		return PT_ENOMEM;
	memcpy(b, STATE_MAGIC, strlen(STATE_MAGIC));
	off = strlen(STATE_MAGIC);
	put_be(b + off, k->nkept, 4);
	off += 4;
	for (size_t i = 0; i < k->nkept; i++) {
		put_be(b + off, k->kept[i].index, 8);
		put_be(b + off + 8, k->kept[i].len, 4);
		memcpy(b + off + 12, k->kept[i].p, k->kept[i].len);
		off += 12 + k->kept[i].len;
	}
	snprintf(path, sizeof(path), "%s/office_keys", dir);
	/* Public entries, beside the audit state (aud_state_save's modes). */
	if ((rc = ut_mkdirs(dir, 0755, why)) == 0)
		rc = ut_write_file(path, b, len, 0644, 0, why);
	free(b);
	return rc;
}

int
okc_state_load(struct okc *k, const char *dir, uint64_t size,
    const char *origin, struct pt_why *why)
{
	char path[1200];
	uint8_t *b = NULL;
	size_t len, off, n;
	struct pt_why w = { "" };
	int rc;

	snprintf(path, sizeof(path), "%s/office_keys", dir);
	rc = ut_read_file(path, STATE_MAX, &b, &len, &w);
	if (rc == PT_ENOTFOUND)
		return size == 0 ? 0 : pt_why_set(why, PT_ENOTFOUND, "%s is "
		    "missing: the office keys of the audited entries are not "
		    "known (audit again from the start: remove %s)", path, dir);
	if (rc != 0)
		return pt_why_set(why, PT_EIO, "%s", w.text);
	off = strlen(STATE_MAGIC);
	if (len < off + 4 || memcmp(b, STATE_MAGIC, off) != 0) {
		rc = PT_ECORRUPT;
		goto out;
	}
	n = (size_t)get_be(b + off, 4);
	off += 4;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct wire_entry e;
		uint64_t index;
		size_t el;

		if (len - off < 12) {
			rc = PT_ECORRUPT;
			break;
		}
		index = get_be(b + off, 8);
		el = (size_t)get_be(b + off + 8, 4);
		off += 12;
		if (el > len - off || el > PT_MAX_ENTRY) {
			rc = PT_ECORRUPT;
			break;
		}
		/* Entries the audit saved beyond its state (saved first,
		 * then the state) are judged again when audited again. */
		if (index < size) {
			if (wire_entry_decode(b + off, el, &e, NULL) != 0 ||
			    e.sub.info.type != RECORD_OFFICE_KEY ||
			    wire_submission_verify(&e.sub, origin) != 0)
				rc = PT_ECORRUPT;
			else if ((rc = judge(k, index, b + off, el, &e)) == 0 &&
			    k->nbad > 0)
				rc = PT_ECORRUPT;
		}
		off += el;
	}
	if (rc == 0 && off != len)
		rc = PT_ECORRUPT;
out:
	free(b);
	if (rc == PT_ECORRUPT)
		return pt_why_set(why, rc, "%s: not a valid office keys state "
		    "(remove %s to audit from the start)", path, dir);
	return rc;
}

/* ------------------------------------------------------- describing */

static void
label_of(const char *vkey, size_t len, char *out, size_t cap)
{
	struct note_vkey k;

	if (note_vkey_parse(vkey, len, &k) == 0)
		snprintf(out, cap, "%s+%08x", k.name, k.hash);
	else
		snprintf(out, cap, "(unparsable key)");
}

/* The rule's verdict on e at index, as describe() words it: 0 or
 * PT_EFORBIDDEN, with the words in out. */
static int
verdict(const struct okc *k, const struct wire_entry *e, uint64_t index,
    const struct grants_key **gkp, char *out, size_t cap)
{
	const struct grants_key *gk = grants_find(k->g, e->sub.submitter_str,
	    e->sub.submitter_len);
	const char *reg = grants_registrar(k->g, NULL);
	char rl[PT_MAX_KEY_NAME + 16] = "", why[PT_WHY_MAX];
	struct pt_why w = { "" };
	uint64_t first;
	int legacy;

	*gkp = gk;
	grants_registrar(k->g, &first);
	legacy = first != GRANTS_NEVER && index < first;
	if (reg != NULL)
		label_of(reg, strlen(reg), rl, sizeof(rl));
	if (reg != NULL && strlen(reg) == e->sub.submitter_len &&
	    memcmp(reg, e->sub.submitter_str, e->sub.submitter_len) == 0) {
		int okey = e->sub.info.type == RECORD_OFFICE_KEY;

		snprintf(out, cap, "the log's registrar%s", okey ? "" :
		    ", which may append office_key entries only");
		return okey ? 0 : PT_EFORBIDDEN;
	}
	if (e->sub.info.type == RECORD_OFFICE_KEY) {
		snprintf(out, cap, "NOT the log's registrar%s%s: an office_key "
		    "entry by another key", reg ? " " : "", rl);
		return PT_EFORBIDDEN;
	}
	if (gk == NULL || (!legacy && gk->granted_at >= index) ||
	    (legacy && gk->granted_at >= k->mig_end)) {
		snprintf(out, cap, "NO GRANT in this log%s", gk != NULL ?
		    " before this entry" : "");
		return PT_EFORBIDDEN;
	}
	if (gk->revoked_at < index) {
		snprintf(out, cap, "granted at #%llu, REVOKED at #%llu, before "
		    "this entry", (unsigned long long)gk->granted_at,
		    (unsigned long long)gk->revoked_at);
		return PT_EFORBIDDEN;
	}
	if (!legacy && e->time_ms < gk->valid_from_ms) {
		snprintf(out, cap, "granted at #%llu by %s, but only valid from "
		    "a later day", (unsigned long long)gk->granted_at, rl);
		return PT_EFORBIDDEN;
	}
	if (record_may_append(&e->sub.info, gk->types, e->sub.submitter_str,
	    e->sub.submitter_len, NULL, 0, &w) != 0) {
		snprintf(why, sizeof(why), "%s", w.text);
		snprintf(out, cap, "granted at #%llu by %s, but NOT for this "
		    "record: %s", (unsigned long long)gk->granted_at, rl, why);
		return PT_EFORBIDDEN;
	}
	snprintf(out, cap, "granted at #%llu by %s%s", (unsigned long long)
	    gk->granted_at, rl, legacy ? ", in the log's migration (this "
	    "entry predates office keys)" : "");
	if (gk->revoked_at != GRANTS_NEVER) {
		size_t n = strlen(out);

		snprintf(out + n, cap - n, ", revoked at #%llu",
		    (unsigned long long)gk->revoked_at);
	}
	return 0;
}

int
okc_describe(const struct okc *k, const struct wire_entry *e,
    uint64_t index, char *out, size_t cap)
{
	const struct grants_key *gk;

	return verdict(k, e, index, &gk, out, cap);
}

json_t *
okc_describe_json(const struct okc *k, const struct wire_entry *e,
    uint64_t index)
{
	const struct grants_key *gk;
	const char *reg = grants_registrar(k->g, NULL);
	char words[2 * PT_WHY_MAX];
	json_t *o = json_object();
	int rc = verdict(k, e, index, &gk, words, sizeof(words));

	if (o == NULL)
		return NULL;
	if (reg != NULL)
		json_object_set_new(o, "registrar", json_string(reg));
	if (gk != NULL) {
		json_object_set_new(o, "granted_at",
		    json_integer((json_int_t)gk->granted_at));
		if (gk->revoked_at != GRANTS_NEVER)
			json_object_set_new(o, "revoked_at",
			    json_integer((json_int_t)gk->revoked_at));
	}
	json_object_set_new(o, "held", json_boolean(rc == 0));
	json_object_set_new(o, "words", json_string(words));
	return o;
}

/* ------------------------------------------------------------ audit */

int
okc_audit_start(const struct cli_common *co, const char *state,
    const struct aud_state *st, struct aud_opts *o, struct okc **out)
{
	struct pt_why why = { "" };
	int rc;

	*out = NULL;
	if ((rc = okc_new(&co->key, co->registrar[0] ? co->registrar : NULL,
	    out, &why)) != 0)
		return cli_fail(rc, &why, "--registrar-key-pub");
	if (state != NULL && (rc = okc_state_load(*out, state, st->have ?
	    st->ck.size : 0, st->ck.origin, &why)) != 0) {
		okc_free(*out);
		*out = NULL;
		return cli_fail(rc == PT_ENOTFOUND || rc == PT_ECORRUPT ?
		    PT_EIO : rc, &why, "--state");
	}
	okc_hook(*out, o);
	return 0;
}

int
okc_quick(const struct cli_common *co, struct logc *lc, struct okc **out,
    struct pt_why *why)
{
	struct ckpt ck;
	int rc;

	*out = NULL;
	if ((rc = okc_new(&co->key, co->registrar[0] ? co->registrar : NULL,
	    out, why)) != 0 ||
	    (rc = logc_checkpoint(lc, &ck, NULL, NULL, why)) != 0 ||
	    (rc = okc_fetch(*out, lc, &ck, why)) != 0) {
		okc_free(*out);
		*out = NULL;
	}
	return rc;
}

int
okc_audit_end(struct okc *k, struct logc *lc, const struct aud_state *st,
    const char *state, struct pt_why *why)
{
	uint64_t idx, first = GRANTS_NEVER;
	const char *w;
	long n;

	if ((n = okc_finish(k, lc, &st->ck, why)) < 0)
		return (int)n;
	for (size_t i = 0; okc_bad(k, i, &idx, &w) == 0; i++) {
		fprintf(stderr, "pubtrail: entry #%llu: %s\n",
		    (unsigned long long)idx, w);
		if (idx < first)
			first = idx;
	}
	if (n > 0)
		return pt_why_set(why, PT_EUNKNOWNSIGNER, "entry #%llu%s: its "
		    "signer held no grant for it (the office keys rule; %ld "
		    "entr%s in all)", (unsigned long long)first, n > 1 ?
		    " and others" : "", n, n == 1 ? "y" : "ies");
	return state != NULL ? okc_state_save(k, state, why) : 0;
}

/* ------------------------------------------------------------- CLI */

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
		label_of(reg, strlen(reg), rl, sizeof(rl));
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
