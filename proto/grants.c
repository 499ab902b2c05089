/*
 * grants.c: who may append what, from the log's office_key entries
 * (grants.h; docs/PROTOCOL.md section 6.6).
 *
 * Layout: the keys the log granted, in grant order, in one array (a key is
 * never granted twice: a revoked key stays revoked), and an open-addressing
 * table from the verifier key string to its slot in the array (FNV-1a;
 * capacity a power of two at least twice the keys), so that the question
 * asked for every entry, "which grant does this signer hold", costs one
 * hash of the key string.  The rules of grants and revokes scan the array
 * (O(keys)): they are rare, and PT_MAX_OFFICE_KEYS bounds them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "grants.h"
#include "record.h"

struct legacy {
	char vkey[PT_MAX_VKEY + 1];	/* a legacy entry's signer */
	size_t vkey_len;
	unsigned need;			/* types it appended */
	uint64_t first[RECORD_NTYPES + 1]; /* first index per type */
};

struct grants {
	enum grants_mode mode;
	struct grants_key *keys;
	size_t n, cap;
	uint32_t *slot;			/* 1 + key index; 0 empty */
	size_t nslot;			/* power of two, >= 2 * n */
	int have_registrar;
	char registrar[PT_MAX_VKEY + 1];
	size_t registrar_len;
	struct note_vkey registrar_key;
	int have_log_key;
	struct note_vkey log_key;
	uint64_t first_okey;		/* GRANTS_NEVER: none yet */
	uint64_t last_index;		/* of the last grants_apply */
	int applied;
	/* GRANTS_HISTORY: the legacy prefix's signers */
	struct legacy *legacy;
	size_t nlegacy, caplegacy;
	int run_ended;			/* the first office_key run is over */
	size_t late_next;		/* next legacy signer to report */
};

/* ------------------------------------------------------------ table */

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static long
find_slot(const struct grants *g, const char *vkey, size_t len)
{
	size_t mask, i;

	if (g->nslot == 0)
		return -1;
	mask = g->nslot - 1;
	for (i = (size_t)fnv1a(vkey, len) & mask; g->slot[i] != 0;
	    i = (i + 1) & mask) {
		const struct grants_key *k = &g->keys[g->slot[i] - 1];

		if (k->vkey_len == len && memcmp(k->vkey, vkey, len) == 0)
			return (long)(g->slot[i] - 1);
	}
	return -1;
}

/* Rebuild the table for n keys (grows it when needed).  0 or PT_ENOMEM. */
static int
rehash(struct grants *g)
{
	size_t want = 16, mask;
	uint32_t *ns;

	while (want < 2 * (g->n + 1))
		want *= 2;
	if (want == g->nslot)
		goto insert_last;
	if ((ns = calloc(want, sizeof(*ns))) == NULL)
		return PT_ENOMEM;
	free(g->slot);
	g->slot = ns;
	g->nslot = want;
	mask = want - 1;
	for (size_t k = 0; k < g->n; k++) {
		size_t i = (size_t)fnv1a(g->keys[k].vkey, g->keys[k].vkey_len) &
		    mask;

		while (g->slot[i] != 0)
			i = (i + 1) & mask;
		g->slot[i] = (uint32_t)(k + 1);
	}
	return 0;
insert_last:
	if (g->n > 0) {
		const struct grants_key *k = &g->keys[g->n - 1];
		size_t i;

		mask = g->nslot - 1;
		i = (size_t)fnv1a(k->vkey, k->vkey_len) & mask;
		while (g->slot[i] != 0)
			i = (i + 1) & mask;
		g->slot[i] = (uint32_t)g->n;
	}
	return 0;
}

/* ------------------------------------------------------- life cycle */

int
grants_new(enum grants_mode mode, struct grants **out)
{
	struct grants *g;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return PT_ENOMEM;
	g->mode = mode;
	g->first_okey = GRANTS_NEVER;
	*out = g;
	return 0;
}

static void
key_free(struct grants_key *k)
{
	free(k->name);
	free(k->org);
}

void
grants_free(struct grants *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		key_free(&g->keys[i]);
	free(g->keys);
	free(g->slot);
	free(g->legacy);
	free(g);
}

int
grants_clone(const struct grants *g, struct grants **out)
{
	struct grants *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PT_ENOMEM;
	*c = *g;
	c->keys = NULL;
	c->slot = NULL;
	c->legacy = NULL;
	c->n = c->cap = c->nslot = 0;
	c->nlegacy = c->caplegacy = 0;
	if (g->n > 0 &&
	    (c->keys = calloc(g->n, sizeof(*c->keys))) == NULL)
		goto nomem;
	c->cap = g->n;
	for (size_t i = 0; i < g->n; i++) {
		struct grants_key *d = &c->keys[i];

		*d = g->keys[i];
		d->name = NULL;
		d->org = NULL;
		c->n = i + 1;
		if ((d->name = malloc(g->keys[i].name_len + 1)) == NULL ||
		    (d->org = malloc(g->keys[i].org_len)) == NULL)
			goto nomem;
		memcpy(d->name, g->keys[i].name, g->keys[i].name_len + 1);
		memcpy(d->org, g->keys[i].org, g->keys[i].org_len);
	}
	if (g->nslot > 0) {
		if ((c->slot = malloc(g->nslot * sizeof(*c->slot))) == NULL)
			goto nomem;
		memcpy(c->slot, g->slot, g->nslot * sizeof(*c->slot));
		c->nslot = g->nslot;
	}
	if (g->nlegacy > 0) {
		if ((c->legacy = malloc(g->nlegacy * sizeof(*c->legacy))) ==
		    NULL)
			goto nomem;
		memcpy(c->legacy, g->legacy, g->nlegacy * sizeof(*c->legacy));
		c->nlegacy = c->caplegacy = g->nlegacy;
	}
	*out = c;
	return 0;
nomem:
	grants_free(c);
	return PT_ENOMEM;
}

int
grants_pin_registrar(struct grants *g, const char *vkey, size_t len,
    struct pt_why *why)
{
	struct note_vkey k;

	if (vkey == NULL || len == 0 || len > PT_MAX_VKEY ||
	    note_vkey_parse(vkey, len, &k) != 0 || k.alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EINVAL, "the registrar's key must be "
		    "an Ed25519 verifier key string");
	if (g->have_registrar) {
		if (g->registrar_len == len &&
		    memcmp(g->registrar, vkey, len) == 0)
			return 0;
		return pt_why_set(why, PT_ECONFLICT, "this log's office_key "
		    "entries are signed by %s+%08x, not by the registrar %s+%08x",
		    g->registrar_key.name, g->registrar_key.hash, k.name,
		    k.hash);
	}
	memcpy(g->registrar, vkey, len);
	g->registrar[len] = '\0';
	g->registrar_len = len;
	g->registrar_key = k;
	g->have_registrar = 1;
	return 0;
}

int
grants_set_log_key(struct grants *g, const struct note_vkey *k)
{
	if (k == NULL || k->alg != NOTE_ALG_ED25519)
		return PT_EINVAL;
	g->log_key = *k;
	g->have_log_key = 1;
	return 0;
}

const char *
grants_registrar(const struct grants *g, uint64_t *first_at)
{
	if (first_at != NULL)
		*first_at = g->first_okey;
	return g->have_registrar ? g->registrar : NULL;
}

/* ------------------------------------------------------------ rules */

static int
same_str(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static int
same_pub(const struct note_vkey *a, const struct note_vkey *b)
{
	return cr_memcmp(a->pub, b->pub, sizeof(a->pub)) == 0;
}

/* "2026-03-01" for ms since the epoch (a whole day). */
static void
day_str(uint64_t ms, char *out, size_t cap)
{
	int64_t z = (int64_t)(ms / 86400000ULL) + 719468, era, doe, yoe, y,
	    doy, mp, d, m;

	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	snprintf(out, cap, "%04lld-%02lld-%02lld", (long long)(y + (m <= 2)),
	    (long long)m, (long long)d);
}

/* The rule for an office_key entry (grant or revoke).  *slot gets the
 * revoked key's slot (revoke) or -1 (grant). */
static int
check_office_key(const struct grants *g, uint64_t index,
    const struct wire_submission *s, long *slot, struct pt_why *why)
{
	const struct record_info *ri = &s->info;
	struct note_vkey k;
	long i;

	*slot = -1;
	if (g->have_registrar && !same_str(s->submitter_str, s->submitter_len,
	    g->registrar, g->registrar_len))
		return pt_why_set(why, PT_EUNKNOWNSIGNER, "office_key entries "
		    "are signed by this log's registrar %s+%08x, not by %s+%08x",
		    g->registrar_key.name, g->registrar_key.hash,
		    s->submitter.name, s->submitter.hash);
	if (note_vkey_parse(ri->okey_vkey, ri->okey_vkey_len, &k) != 0)
		return pt_why_set(why, PT_ESCHEMA, "key: not a verifier key");
	if (same_pub(&k, &s->submitter) || (g->have_registrar &&
	    same_pub(&k, &g->registrar_key)))
		return pt_why_set(why, PT_EFORBIDDEN, "the registrar's own key "
		    "is never an office's key");
	if (g->have_log_key && same_pub(&k, &g->log_key))
		return pt_why_set(why, PT_EFORBIDDEN, "the log's checkpoint "
		    "key is never an office's key");
	i = find_slot(g, ri->okey_vkey, ri->okey_vkey_len);
	if (ri->okey_revoke) {
		const struct grants_key *gk;

		if (i < 0)
			return pt_why_set(why, PT_EFORBIDDEN, "revoke: %s+%08x "
			    "was never granted in this log", k.name, k.hash);
		gk = &g->keys[i];
		if (gk->revoked_at != GRANTS_NEVER)
			return pt_why_set(why, PT_EFORBIDDEN, "revoke: %s+%08x "
			    "was already revoked at #%llu", k.name, k.hash,
			    (unsigned long long)gk->revoked_at);
		if (!same_str(ri->okey_name, ri->okey_name_len, gk->name,
		    gk->name_len) || ri->okey_org_len != gk->org_len ||
		    memcmp(ri->okey_org, gk->org, gk->org_len) != 0)
			return pt_why_set(why, PT_ESCHEMA, "revoke: name and "
			    "organization must be those of the grant at #%llu",
			    (unsigned long long)gk->granted_at);
		*slot = i;
		return 0;
	}
	if (i >= 0) {
		const struct grants_key *gk = &g->keys[i];

		if (gk->revoked_at != GRANTS_NEVER)
			return pt_why_set(why, PT_EFORBIDDEN, "grant: %s+%08x "
			    "was revoked at #%llu, and a revoked key is never "
			    "granted again (make a new key)", k.name, k.hash,
			    (unsigned long long)gk->revoked_at);
		return pt_why_set(why, PT_ECONFLICT, "grant: %s+%08x is "
		    "already granted (at #%llu)", k.name, k.hash,
		    (unsigned long long)gk->granted_at);
	}
	for (size_t j = 0; j < g->n; j++) {
		const struct grants_key *gk = &g->keys[j];

		if (same_pub(&gk->key, &k)) {
			if (gk->revoked_at != GRANTS_NEVER)
				return pt_why_set(why, PT_EFORBIDDEN, "grant: "
				    "this public key was revoked at #%llu (as "
				    "%s+%08x), and a revoked key is never "
				    "granted again", (unsigned long long)
				    gk->revoked_at, gk->key.name,
				    gk->key.hash);
			return pt_why_set(why, PT_ECONFLICT, "grant: this "
			    "public key is already granted as %s+%08x (at "
			    "#%llu)", gk->key.name, gk->key.hash,
			    (unsigned long long)gk->granted_at);
		}
		if (gk->revoked_at == GRANTS_NEVER &&
		    strcmp(gk->key.name, k.name) == 0)
			return pt_why_set(why, PT_ECONFLICT, "grant: the key "
			    "name %s is already granted to %s+%08x (at #%llu); "
			    "give the new key a name of its own",
			    k.name, gk->key.name, gk->key.hash,
			    (unsigned long long)gk->granted_at);
	}
	if (g->n >= PT_MAX_OFFICE_KEYS)
		return pt_why_set(why, PT_EFORBIDDEN, "grant: this log has "
		    "granted %d keys, the most it may", PT_MAX_OFFICE_KEYS);
	(void)index;
	return 0;
}

/* The rule for an office's record, given the grants so far. */
static int
check_office_record(const struct grants *g, uint64_t time_ms,
    const struct wire_submission *s, const char *target, size_t target_len,
    struct pt_why *why)
{
	const struct grants_key *gk;
	char day[48];
	long i;

	i = find_slot(g, s->submitter_str, s->submitter_len);
	if (i < 0) {
		if (g->have_registrar && same_str(s->submitter_str,
		    s->submitter_len, g->registrar, g->registrar_len))
			return pt_why_set(why, PT_EFORBIDDEN, "the registrar's "
			    "key signs office_key entries only");
		if (g->first_okey == GRANTS_NEVER)
			return pt_why_set(why, PT_EUNKNOWNSIGNER, "unknown "
			    "submitter: this log has granted no office keys "
			    "yet");
		return pt_why_set(why, PT_EUNKNOWNSIGNER, "unknown submitter: "
		    "this log has no grant for %s+%08x", s->submitter.name,
		    s->submitter.hash);
	}
	gk = &g->keys[i];
	if (gk->revoked_at != GRANTS_NEVER)
		return pt_why_set(why, PT_EFORBIDDEN, "the key %s+%08x was "
		    "revoked at #%llu", gk->key.name, gk->key.hash,
		    (unsigned long long)gk->revoked_at);
	if (time_ms < gk->valid_from_ms) {
		day_str(gk->valid_from_ms, day, sizeof(day));
		return pt_why_set(why, PT_EFORBIDDEN, "the grant of %s+%08x "
		    "(at #%llu) is valid from %s", gk->key.name, gk->key.hash,
		    (unsigned long long)gk->granted_at, day);
	}
	return record_may_append(&s->info, gk->types, s->submitter_str,
	    s->submitter_len, target, target_len, why);
}

int
grants_check(const struct grants *g, uint64_t index, uint64_t time_ms,
    const struct wire_submission *s, const char *target, size_t target_len,
    struct pt_why *why)
{
	long slot;

	if (g == NULL || s == NULL)
		return pt_why_set(why, PT_EINVAL, "no entry");
	if (s->info.type == RECORD_OFFICE_KEY)
		return check_office_key(g, index, s, &slot, why);
	if (g->mode == GRANTS_HISTORY && g->first_okey == GRANTS_NEVER)
		return 0;	/* legacy: judged when the migration is seen */
	return check_office_record(g, time_ms, s, target, target_len, why);
}

/* ------------------------------------------------------------ apply */

static int
add_key(struct grants *g, uint64_t index, uint64_t time_ms,
    const struct record_info *ri)
{
	struct grants_key *k;

	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 8;
		struct grants_key *nk = realloc(g->keys, ncap * sizeof(*nk));

		if (nk == NULL)
			return PT_ENOMEM;
		g->keys = nk;
		g->cap = ncap;
	}
	k = &g->keys[g->n];
	memset(k, 0, sizeof(*k));
	if ((k->name = malloc(ri->okey_name_len + 1)) == NULL ||
	    (k->org = malloc(ri->okey_org_len)) == NULL) {
		key_free(k);
		return PT_ENOMEM;
	}
	memcpy(k->vkey, ri->okey_vkey, ri->okey_vkey_len);
	k->vkey[ri->okey_vkey_len] = '\0';
	k->vkey_len = ri->okey_vkey_len;
	if (note_vkey_parse(k->vkey, k->vkey_len, &k->key) != 0) {
		key_free(k);
		return PT_EINVAL;	/* record_check accepted it */
	}
	memcpy(k->name, ri->okey_name, ri->okey_name_len);
	k->name[ri->okey_name_len] = '\0';
	k->name_len = ri->okey_name_len;
	memcpy(k->org, ri->okey_org, ri->okey_org_len);
	k->org_len = ri->okey_org_len;
	k->types = ri->okey_types;
	k->valid_from_ms = ri->okey_valid_from_ms;
	k->granted_at = index;
	k->granted_time_ms = time_ms;
	k->revoked_at = GRANTS_NEVER;
	g->n++;
	if (rehash(g) != 0) {
		g->n--;
		key_free(k);
		return PT_ENOMEM;
	}
	return 0;
}

/* A legacy entry (GRANTS_HISTORY, before any office_key entry): remember
 * what its signer appended. */
static int
add_legacy(struct grants *g, uint64_t index, const struct wire_submission *s,
    const char *target, size_t target_len, struct pt_why *why)
{
	struct legacy *l = NULL;
	unsigned need = 1u << s->info.type;
	int rc;

	/* The office of a corrected entry needs no grant to be checked. */
	if (s->info.type == RECORD_CORRECTION && (rc = record_may_append(
	    &s->info, RECORD_TYPES_ALL, s->submitter_str, s->submitter_len,
	    target, target_len, why)) != 0)
		return rc;
	for (size_t i = 0; i < g->nlegacy; i++)
		if (same_str(g->legacy[i].vkey, g->legacy[i].vkey_len,
		    s->submitter_str, s->submitter_len)) {
			l = &g->legacy[i];
			break;
		}
	if (l == NULL) {
		if (g->nlegacy >= PT_MAX_OFFICE_KEYS)
			return pt_why_set(why, PT_ETOOBIG, "more than %d "
			    "signers before the log's first office_key entry",
			    PT_MAX_OFFICE_KEYS);
		if (g->nlegacy == g->caplegacy) {
			size_t ncap = g->caplegacy ? g->caplegacy * 2 : 8;
			struct legacy *nl = realloc(g->legacy,
			    ncap * sizeof(*nl));

			if (nl == NULL)
				return PT_ENOMEM;
			g->legacy = nl;
			g->caplegacy = ncap;
		}
		l = &g->legacy[g->nlegacy++];
		memset(l, 0, sizeof(*l));
		memcpy(l->vkey, s->submitter_str, s->submitter_len);
		l->vkey_len = s->submitter_len;
	}
	if (s->info.type == RECORD_CORRECTION && s->info.replacement_type != 0)
		need |= 1u << s->info.replacement_type;
	for (int t = 1; t <= RECORD_NTYPES; t++)
		if ((need & (1u << t)) && !(l->need & (1u << t)))
			l->first[t] = index;
	l->need |= need;
	return 0;
}

int
grants_apply(struct grants *g, uint64_t index, uint64_t time_ms,
    const struct wire_submission *s, const char *target, size_t target_len,
    struct pt_why *why)
{
	long slot;
	int rc;

	if (g == NULL || s == NULL)
		return pt_why_set(why, PT_EINVAL, "no entry");
	if (g->applied && index <= g->last_index)
		return pt_why_set(why, PT_ERANGE, "entry %llu applied after "
		    "entry %llu", (unsigned long long)index,
		    (unsigned long long)g->last_index);
	if (s->info.type == RECORD_OFFICE_KEY) {
		if ((rc = check_office_key(g, index, s, &slot, why)) != 0)
			return rc;
		if (slot >= 0) {
			g->keys[slot].revoked_at = index;
			g->keys[slot].revoked_time_ms = time_ms;
		} else if ((rc = add_key(g, index, time_ms, &s->info)) != 0)
			return pt_why_set(why, rc, "%s", pt_strerror(rc));
		if (!g->have_registrar) {
			memcpy(g->registrar, s->submitter_str,
			    s->submitter_len);
			g->registrar[s->submitter_len] = '\0';
			g->registrar_len = s->submitter_len;
			g->registrar_key = s->submitter;
			g->have_registrar = 1;
		}
		if (g->first_okey == GRANTS_NEVER)
			g->first_okey = index;
	} else if (g->mode == GRANTS_HISTORY &&
	    g->first_okey == GRANTS_NEVER) {
		if ((rc = add_legacy(g, index, s, target, target_len, why)) != 0)
			return rc;
	} else {
		if (g->mode == GRANTS_HISTORY && !g->run_ended)
			grants_end(g);
		if ((rc = check_office_record(g, time_ms, s, target,
		    target_len, why)) != 0)
			return rc;
	}
	g->applied = 1;
	g->last_index = index;
	return 0;
}

void
grants_end(struct grants *g)
{
	if (g->mode == GRANTS_HISTORY && g->first_okey != GRANTS_NEVER)
		g->run_ended = 1;
	else if (g->mode == GRANTS_HISTORY && g->nlegacy > 0)
		g->run_ended = 1;	/* a log with no grants at all */
}

int
grants_next_late(struct grants *g, uint64_t *index, struct pt_why *why)
{
	char tn[48];

	if (g->mode != GRANTS_HISTORY || !g->run_ended)
		return 0;
	for (; g->late_next < g->nlegacy; g->late_next++) {
		struct legacy *l = &g->legacy[g->late_next];
		long i = find_slot(g, l->vkey, l->vkey_len);
		struct note_vkey k;
		unsigned miss;
		uint64_t first = GRANTS_NEVER;

		if (note_vkey_parse(l->vkey, l->vkey_len, &k) != 0)
			memset(&k, 0, sizeof(k));
		miss = i < 0 ? l->need : l->need & ~g->keys[i].types;
		if (miss == 0)
			continue;
		for (int t = 1; t <= RECORD_NTYPES; t++)
			if ((miss & (1u << t)) && l->first[t] < first)
				first = l->first[t];
		*index = first;
		if (i < 0 && g->first_okey == GRANTS_NEVER)
			pt_why_set(why, PT_EUNKNOWNSIGNER, "signed by %s+%08x, "
			    "and this log has granted no office keys: who may "
			    "append is not public", k.name, k.hash);
		else if (i < 0)
			pt_why_set(why, PT_EUNKNOWNSIGNER, "signed by %s+%08x "
			    "before the log's first office_key entry (#%llu), "
			    "and its migration grants no such key", k.name,
			    k.hash, (unsigned long long)g->first_okey);
		else
			pt_why_set(why, PT_EFORBIDDEN, "signed by %s+%08x "
			    "before the log's first office_key entry (#%llu), "
			    "whose grant (#%llu) does not allow %s", k.name,
			    k.hash, (unsigned long long)g->first_okey,
			    (unsigned long long)g->keys[i].granted_at,
			    grants_types_str(miss, tn, sizeof(tn)));
		g->late_next++;
		return 1;
	}
	return 0;
}

/* --------------------------------------------------------- queries */

const struct grants_key *
grants_find(const struct grants *g, const char *vkey, size_t len)
{
	long i = find_slot(g, vkey, len);

	return i < 0 ? NULL : &g->keys[i];
}

size_t
grants_count(const struct grants *g)
{
	return g->n;
}

const struct grants_key *
grants_key_at(const struct grants *g, size_t i)
{
	return i < g->n ? &g->keys[i] : NULL;
}

char *
grants_types_str(unsigned mask, char *out, size_t cap)
{
	/* byte order of the names */
	static const enum record_type order[] = { RECORD_CORRECTION,
	    RECORD_OFFICE_KEY, RECORD_PAYMENT, RECORD_PERMIT_DECISION };
	size_t n = 0;

	if (cap == 0)
		return out;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int w;

		if (!(mask & (1u << order[i])))
			continue;
		w = snprintf(out + n, cap - n, "%s%s", n ? "," : "",
		    record_type_name(order[i]));
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return out;
}
