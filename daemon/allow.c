/* allow.c: who may append, from the log's office_key entries (allow.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allow.h"
#include "ckpt.h"
#include "crypto.h"
#include "env.h"
#include "mt.h"
#include "record.h"
#include "store.h"
#include "subm.h"

#define LOAD_CHUNK	256	/* office_key indexes read per transaction */
#define REASON_MAX	1280	/* a bootstrap grant's reason */

struct bucket {
	uint8_t id[32];			/* wire_submitter_id */
	struct subm_entry e;		/* its token bucket */
	int used;
};

struct allow {
	pthread_mutex_t mu;
	struct grants *live;		/* under mu */
	int have_registrar;
	char registrar[PT_MAX_VKEY + 1];
	struct note_vkey logkey;
	/* rate buckets: the loop thread's */
	struct bucket *b;
	size_t nb, capb;		/* capb a power of two */
};

/* Check and pin vkey as the registrar (a->mu held, or not yet shared). */
static int
set_registrar(struct allow *a, const char *vkey, struct pt_why *why)
{
	struct note_vkey rk;
	int rc;

	if (a->have_registrar)
		return strcmp(a->registrar, vkey) == 0 ? 0 :
		    pt_why_set(why, PT_ECONFLICT, "this log's registrar is %s; "
		    "a log's registrar never changes", a->registrar);
	if (strlen(vkey) > PT_MAX_VKEY || note_vkey_parse(vkey, strlen(vkey),
	    &rk) != 0 || rk.alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EINVAL, "the registrar's key is not "
		    "an Ed25519 verifier key string");
	if (cr_memcmp(rk.pub, a->logkey.pub, sizeof(rk.pub)) == 0)
		return pt_why_set(why, PT_EINVAL, "the registrar's key is the "
		    "log's checkpoint key: a registrar has a key of its own "
		    "(pubtrail keygen)");
	if ((rc = grants_pin_registrar(a->live, vkey, strlen(vkey), why)) != 0)
		return rc;
	snprintf(a->registrar, sizeof(a->registrar), "%s", vkey);
	a->have_registrar = 1;
	return 0;
}

int
allow_new(const struct note_vkey *logkey, const char *registrar,
    struct allow **out, struct pt_why *why)
{
	struct allow *a;
	int rc;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	pthread_mutex_init(&a->mu, NULL);
	a->logkey = *logkey;
	if ((rc = grants_new(GRANTS_APPEND, &a->live)) != 0 ||
	    (rc = grants_set_log_key(a->live, logkey)) != 0) {
		allow_free(a);
		return pt_why_set(why, rc, "%s", pt_strerror(rc));
	}
	if (registrar != NULL && registrar[0] != '\0' &&
	    (rc = set_registrar(a, registrar, why)) != 0) {
		allow_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int
allow_set_registrar(struct allow *a, const char *vkey, struct pt_why *why)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = set_registrar(a, vkey, why);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void
allow_free(struct allow *a)
{
	if (a == NULL)
		return;
	grants_free(a->live);
	free(a->b);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

const char *
allow_registrar(struct allow *a)
{
	const char *r;

	pthread_mutex_lock(&a->mu);
	r = a->have_registrar ? a->registrar : NULL;
	pthread_mutex_unlock(&a->mu);
	return r;
}

void
allow_each_in_force(struct allow *a,
    void (*fn)(void *arg, const struct grants_key *k), void *arg)
{
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < grants_count(a->live); i++) {
		const struct grants_key *k = grants_key_at(a->live, i);

		if (k->revoked_at == GRANTS_NEVER)
			fn(arg, k);
	}
	pthread_mutex_unlock(&a->mu);
}

size_t
allow_count(struct allow *a, uint64_t *first_at)
{
	size_t n;

	pthread_mutex_lock(&a->mu);
	n = grants_count(a->live);
	grants_registrar(a->live, first_at);
	pthread_mutex_unlock(&a->mu);
	return n;
}

/* ------------------------------------------------------------ load */

/* Apply the stored entry at index to g (start-up, no lock needed). */
static int
load_one(struct grants *g, struct store_txn *t, uint64_t index,
    const char *origin, struct pt_why *why)
{
	const uint8_t *p;
	size_t len;
	struct wire_entry we;
	struct pt_why w = { "" };
	int rc;

	if ((rc = store_get_entry(t, index, &p, &len)) != 0)
		return pt_why_set(why, rc, "entry %llu (an office_key entry): "
		    "%s", (unsigned long long)index, pt_strerror(rc));
	if (wire_entry_decode(p, len, &we, &w) != 0 ||
	    we.sub.info.type != RECORD_OFFICE_KEY)
		return pt_why_set(why, PT_ECORRUPT, "entry %llu is indexed as "
		    "an office_key entry but is not one", (unsigned long long)
		    index);
	if (wire_submission_verify(&we.sub, origin) != 0)
		return pt_why_set(why, PT_ECORRUPT, "entry %llu: the "
		    "registrar's signature does not verify",
		    (unsigned long long)index);
	if ((rc = grants_apply(g, index, we.time_ms, &we.sub, NULL, 0, &w))
	    != 0)
		return pt_why_set(why, rc == PT_ENOMEM ? rc : PT_ECORRUPT,
		    "entry %llu: %s", (unsigned long long)index, w.text);
	return 0;
}

int
allow_load(struct allow *a, struct store *st, const char *origin,
    size_t *n, struct pt_why *why)
{
	uint64_t idx[LOAD_CHUNK], from = 0;
	size_t got;
	int rc;

	*n = 0;
	do {
		struct store_txn *t;

		if ((rc = store_read_begin(st, &t)) != 0)
			return pt_why_set(why, rc, "store: %s",
			    pt_strerror(rc));
		rc = store_office_keys(t, from, idx, LOAD_CHUNK, &got);
		for (size_t i = 0; rc == 0 && i < got; i++)
			rc = load_one(a->live, t, idx[i], origin, why);
		store_read_end(t);
		if (rc != 0)
			return why != NULL && why->text[0] ? rc :
			    pt_why_set(why, rc, "office_keys: %s",
			    pt_strerror(rc));
		*n += got;
		if (got > 0)
			from = idx[got - 1] + 1;
	} while (got == LOAD_CHUNK);
	return 0;
}

/* ------------------------------------------------------- bootstrap */

static int
enc_kv(struct wire_buf *b, const char *k, const char *v, size_t vlen)
{
	int rc;

	if ((rc = wire_enc_cstr(b, k)) != 0)
		return rc;
	return wire_enc_str(b, v, vlen);
}

/*
 * The grant record of one line of the submitters file: its key, its
 * types (all office types when the line lists none), its display name
 * and organisation from after '|' ("SCHEME ID NAME..."), else the key's
 * name and an organisation that says it is unknown.
 */
static int
bootstrap_record(const struct subm_entry *e, unsigned n, const char *path,
    struct wire_buf *b)
{
	static const enum record_type order[] = { RECORD_CORRECTION,
	    RECORD_PAYMENT, RECORD_PERMIT_DECISION };
	char id[32], reason[REASON_MAX], scheme[64] = "XX-UNKNOWN",
	    oid[PT_MAX_ID + 1] = "UNKNOWN";
	const char *name = e->key.name;
	unsigned types = e->types & RECORD_TYPES_ALL;
	size_t nt = 0;
	int rc = 0;

	if (e->office != NULL) {
		int sl = 0, il = 0;
		const char *p = e->office;

		sl = (int)strcspn(p, " \t");
		p += sl + strspn(p + sl, " \t");
		il = (int)strcspn(p, " \t");
		name = p + il + strspn(p + il, " \t");
		if (sl == 0 || sl >= (int)sizeof(scheme) || il == 0 ||
		    il > PT_MAX_ID || *name == '\0')
			return PT_EINVAL;
		snprintf(scheme, sizeof(scheme), "%.*s", sl, e->office);
		snprintf(oid, sizeof(oid), "%.*s", il, p);
	}
	for (size_t i = 0; i < 3; i++)
		nt += (types & (1u << order[i])) != 0;
	snprintf(id, sizeof(id), "bootstrap-%u", n);
	snprintf(reason, sizeof(reason), "bootstrap: line %u of %s, the "
	    "log's submitters file", e->line, path);
	if ((rc = wire_enc_map(b, 8)) != 0 ||
	    (rc = enc_kv(b, "action", "grant", 5)) != 0 ||
	    (rc = enc_kv(b, "id", id, strlen(id))) != 0 ||
	    (rc = enc_kv(b, "key", e->vkey, strlen(e->vkey))) != 0 ||
	    (rc = enc_kv(b, "name", name, strlen(name))) != 0 ||
	    (rc = wire_enc_cstr(b, "organization")) != 0 ||
	    (rc = wire_enc_map(b, 4)) != 0 ||
	    (rc = enc_kv(b, "id", oid, strlen(oid))) != 0 ||
	    (rc = enc_kv(b, "kind", "organization", 12)) != 0 ||
	    (rc = enc_kv(b, "name", name, strlen(name))) != 0 ||
	    (rc = enc_kv(b, "scheme", scheme, strlen(scheme))) != 0 ||
	    (rc = enc_kv(b, "reason", reason, strlen(reason))) != 0 ||
	    (rc = enc_kv(b, "type", "office_key", 10)) != 0 ||
	    (rc = wire_enc_cstr(b, "types")) != 0 ||
	    (rc = wire_enc_array(b, nt)) != 0)
		return rc;
	for (size_t i = 0; i < 3; i++)
		if ((types & (1u << order[i])) && (rc = wire_enc_cstr(b,
		    record_type_name(order[i]))) != 0)
			return rc;
	return 0;
}

/* Sign the checkpoint of (size, root) with logkey into note. */
static int
sign_ckpt(const char *origin, uint64_t size, const struct mt_hash *root,
    const struct note_skey *logkey, char *note, size_t cap, size_t *len)
{
	struct ckpt *c = calloc(1, sizeof(*c));
	char body[PT_NOTE_MAX_TEXT + 1];
	size_t blen;
	int rc;

	if (c == NULL)
		return PT_ENOMEM;
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	c->size = size;
	c->root = *root;
	rc = ckpt_format(c, body, sizeof(body), &blen);
	free(c);
	if (rc != 0)
		return rc;
	return note_sign(body, blen, logkey, 1, 0, note, cap, len);
}

/* The right edge of the stored tree of size, into f.  O(log n). */
static int
frontier_of(struct store *st, uint64_t size, struct mt_frontier *f)
{
	struct store_txn *t;
	struct mt_reader r;
	uint64_t off = 0;
	int rc = 0;

	mt_frontier_init(f);
	if ((rc = store_read_begin(st, &t)) != 0)
		return rc;
	store_txn_reader(t, &r);
	for (int bit = 63; bit >= 0 && rc == 0; bit--) {
		if (!(size & (1ULL << bit)))
			continue;
		rc = r.read(r.ctx, (unsigned)bit, off >> bit, &f->h[f->count]);
		f->count++;
		off += 1ULL << bit;
	}
	store_read_end(t);
	f->size = size;
	return rc;
}

/* Append list's grants to b, deciding each with g. */
static int
bootstrap_append(struct grants *g, struct store_batch *b,
    struct mt_frontier *f, const char *origin,
    const struct note_skey *registrar, const struct subm_list *list,
    const char *path, uint64_t now, struct pt_why *why)
{
	struct wire_buf rec, ent;
	char rvkey[PT_MAX_VKEY + 1];
	uint8_t rid[32];
	int rc = 0;

	wire_buf_init(&rec);
	wire_buf_init(&ent);
	for (size_t i = 0; i < list->n && rc == 0; i++) {
		const struct subm_entry *e = &list->e[i];
		struct wire_submission s;
		struct mt_hash leaf;
		struct pt_why w = { "" };
		uint64_t index;

		rec.len = ent.len = 0;
		if ((rc = bootstrap_record(e, (unsigned)i + 1, path, &rec)) != 0
		    || (rc = wire_submission_sign(registrar, origin, rec.data,
		    rec.len, &s, rvkey, sizeof(rvkey))) != 0) {
			rc = pt_why_set(why, PT_EINVAL, "%s:%u: no valid grant "
			    "for this key (after '|': SCHEME ID DISPLAY NAME, "
			    "e.g. XI-EXAMPLE FIN Finance Office)", path,
			    e->line);
			break;
		}
		index = store_batch_size(b);
		if ((rc = grants_apply(g, index, now, &s, NULL, 0, &w)) != 0) {
			pt_why_set(why, rc, "%s:%u: %s", path, e->line, w.text);
			break;
		}
		if ((rc = wire_submitter_id(s.submitter_str, s.submitter_len,
		    rid)) != 0 ||
		    (rc = wire_entry_encode(&s, now, &ent)) != 0 ||
		    (rc = mt_leaf_hash(ent.data, ent.len, &leaf)) != 0 ||
		    (rc = store_batch_append(b, ent.data, ent.len, &leaf, rid,
		    s.info.id, s.info.id_len, &index)) != 0 ||
		    (rc = store_batch_mark_office_key(b, index)) != 0 ||
		    (rc = mt_frontier_push(f, &leaf)) != 0)
			pt_why_set(why, rc, "appending the grant of %s:%u: %s",
			    path, e->line, pt_strerror(rc));
	}
	wire_buf_free(&rec);
	wire_buf_free(&ent);
	return rc;
}

int
allow_bootstrap(struct allow *a, struct store *st, const char *origin,
    const struct note_skey *logkey, const struct note_skey *registrar,
    const struct subm_list *list, const char *path, size_t *added,
    uint64_t *first, uint64_t *time_ms, char *note, size_t note_cap,
    size_t *note_len, struct pt_why *why)
{
	struct grants *g = NULL;
	struct store_batch *b = NULL;
	struct mt_frontier f;
	struct mt_hash root, memroot;
	char rvkey[PT_MAX_VKEY + 1];
	uint64_t now = env_now_ms(), size;
	int rc;

	*added = 0;
	if (now < *time_ms)
		now = *time_ms;
	if (grants_count(a->live) > 0)
		return pt_why_set(why, PT_ECONFLICT, "this log has grants "
		    "already; change them with pubtrail keys grant|revoke");
	if ((rc = note_vkey_format(&registrar->vk, rvkey, sizeof(rvkey))) != 0)
		return pt_why_set(why, rc, "registrar key: %s", pt_strerror(rc));
	if (a->have_registrar && strcmp(rvkey, a->registrar) != 0)
		return pt_why_set(why, PT_EINVAL, "the registrar key given (%s) "
		    "is not the configured registrar (%s)", rvkey,
		    a->registrar);
	if (list->n == 0)
		return pt_why_set(why, PT_EINVAL, "%s lists no keys", path);
	size = store_size(st);
	if ((rc = grants_clone(a->live, &g)) != 0 ||
	    (rc = grants_pin_registrar(g, rvkey, strlen(rvkey), why)) != 0 ||
	    (rc = frontier_of(st, size, &f)) != 0 ||
	    (rc = store_batch_begin(st, &b)) != 0)
		goto fail;
	if ((rc = bootstrap_append(g, b, &f, origin, registrar, list, path,
	    now, why)) != 0)
		goto fail;
	/* Sign only what was written: the root read back from the batch
	 * equals the one kept in memory. */
	if ((rc = store_batch_root(b, &root)) != 0 ||
	    (rc = mt_frontier_root(&f, &memroot)) != 0)
		goto fail;
	if (cr_memcmp(root.b, memroot.b, MT_HASH_SIZE) != 0) {
		rc = pt_why_set(why, PT_ECORRUPT, "the root read back from the "
		    "bootstrap batch differs from the one computed in memory; "
		    "nothing signed");
		goto fail;
	}
	if ((rc = sign_ckpt(origin, store_batch_size(b), &root, logkey, note,
	    note_cap, note_len)) != 0 ||
	    (rc = store_batch_set_checkpoint(b, note, *note_len, now)) != 0)
		goto fail;
	rc = store_batch_commit(b);
	b = NULL;
	if (rc != 0)
		goto fail;
	pthread_mutex_lock(&a->mu);
	grants_free(a->live);
	a->live = g;
	if (!a->have_registrar) {
		snprintf(a->registrar, sizeof(a->registrar), "%s", rvkey);
		a->have_registrar = 1;
	}
	pthread_mutex_unlock(&a->mu);
	*added = list->n;
	*first = size;
	*time_ms = now;
	return 0;
fail:
	store_batch_abort(b);
	grants_free(g);
	if (why != NULL && why->text[0] == '\0')
		pt_why_set(why, rc, "bootstrap: %s", pt_strerror(rc));
	return rc;
}

/* ------------------------------------------------------- admission */

int
allow_admit(struct allow *a, uint64_t index, uint64_t now_ms,
    const struct wire_submission *s, struct pt_why *why)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	if (s->info.type != RECORD_OFFICE_KEY)
		rc = grants_check(a->live, index, now_ms, s, NULL, 0, why);
	else if (!a->have_registrar)
		rc = pt_why_set(why, PT_EUNKNOWNSIGNER, "this log has no "
		    "registrar (registrar_key in its configuration): it "
		    "accepts no office_key entries");
	else if (strlen(a->registrar) != s->submitter_len ||
	    memcmp(a->registrar, s->submitter_str, s->submitter_len) != 0)
		rc = pt_why_set(why, PT_EUNKNOWNSIGNER, "office_key entries "
		    "are signed by this log's registrar, not by %s+%08x",
		    s->submitter.name, s->submitter.hash);
	else
		/* The registrar's: the rule is the sequencer's, after an
		 * identical resubmission was answered from the log. */
		rc = 0;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

static uint64_t
id_hash(const uint8_t id[32])
{
	uint64_t h = 0;

	for (int i = 0; i < 8; i++)
		h = h << 8 | id[i];
	return h;
}

/* Grow the bucket table to hold one more. */
static int
buckets_grow(struct allow *a)
{
	size_t ncap = a->capb ? a->capb * 2 : 64;
	struct bucket *nb;

	if ((a->nb + 1) * 2 <= a->capb)
		return 0;
	if ((nb = calloc(ncap, sizeof(*nb))) == NULL)
		return PT_ENOMEM;
	for (size_t i = 0; i < a->capb; i++) {
		size_t j;

		if (!a->b[i].used)
			continue;
		for (j = (size_t)id_hash(a->b[i].id) & (ncap - 1); nb[j].used;
		    j = (j + 1) & (ncap - 1))
			;
		nb[j] = a->b[i];
	}
	free(a->b);
	a->b = nb;
	a->capb = ncap;
	return 0;
}

struct subm_entry *
allow_bucket(struct allow *a, const char *vkey, size_t len)
{
	uint8_t id[32];
	size_t j;

	if (wire_submitter_id(vkey, len, id) != 0 || buckets_grow(a) != 0)
		return NULL;
	for (j = (size_t)id_hash(id) & (a->capb - 1); a->b[j].used;
	    j = (j + 1) & (a->capb - 1))
		if (memcmp(a->b[j].id, id, 32) == 0)
			return &a->b[j].e;
	a->b[j].used = 1;
	memcpy(a->b[j].id, id, 32);
	memset(&a->b[j].e, 0, sizeof(a->b[j].e));
	memcpy(a->b[j].e.id, id, 32);
	a->nb++;
	return &a->b[j].e;
}

/* -------------------------------------------------------- batches */

int
allow_batch_apply(struct allow *a, struct allow_batch *ab, uint64_t index,
    uint64_t time_ms, const struct wire_submission *s, struct pt_why *why)
{
	int rc;

	if (s->info.type != RECORD_OFFICE_KEY) {
		if (ab->work != NULL)
			return grants_check(ab->work, index, time_ms, s, NULL,
			    0, why);
		pthread_mutex_lock(&a->mu);
		rc = grants_check(a->live, index, time_ms, s, NULL, 0, why);
		pthread_mutex_unlock(&a->mu);
		return rc;
	}
	if (ab->work == NULL) {
		pthread_mutex_lock(&a->mu);
		rc = a->have_registrar ? grants_clone(a->live, &ab->work) :
		    PT_EUNKNOWNSIGNER;
		pthread_mutex_unlock(&a->mu);
		if (rc == PT_EUNKNOWNSIGNER)
			return pt_why_set(why, rc, "this log has no registrar: "
			    "it accepts no office_key entries");
		if (rc != 0)
			return pt_why_set(why, rc, "out of memory");
	}
	return grants_apply(ab->work, index, time_ms, s, NULL, 0, why);
}

void
allow_batch_commit(struct allow *a, struct allow_batch *ab)
{
	struct grants *old;

	if (ab->work == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	old = a->live;
	a->live = ab->work;
	pthread_mutex_unlock(&a->mu);
	grants_free(old);
	ab->work = NULL;
}

void
allow_batch_abort(struct allow_batch *ab)
{
	grants_free(ab->work);
	ab->work = NULL;
}
