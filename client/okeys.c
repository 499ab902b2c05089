/*
 * okeys.c: office keys, client side (okeys.h): the log's grants replayed
 * with proto/grants.c, hooked into audits or fetched through
 * /office-keys, and the verdict on an entry's signer.  The command
 * `pubtrail keys grant|revoke|list` is okeys_cmd.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "json.h"
#include "okeys.h"
#include "record.h"
#include "signer.h"
#include "util.h"

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
		signer_label_vkey(reg, strlen(reg), rl, sizeof(rl));
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
