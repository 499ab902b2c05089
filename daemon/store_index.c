/*
 * store_index.c: the store's two indexes (see the essay in store.c).
 *
 * ids and offices: (submitter, record id) -> index, for deduplication.
 * Each submitter id gets a small number, its office, at its first append
 * (offices: submitter id -> office; meta "offices" the next number); the
 * ids key is office || id length || id bytes, an exact encoding of
 * (submitter, id): no hash, so no false positive.
 *
 * leaves: leaf hash -> lowest index, for proofs by hash.  Entries are
 * indexed in epochs of 65,536 by a 4-byte prefix of the leaf hash and the
 * low 16 bits of the index.  The current epoch lives in leaves/new, in 16
 * parts of 4,096 (the key starts with the part); the append that completes
 * the epoch moves it, sorted, into leaves under its epoch number.  A prefix
 * match never answers alone: each candidate is confirmed against the full
 * stored hash (0, index).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "store_int.h"

/* ---- ids and offices ---- */

int
store_idx_office(const struct store *s, MDB_txn *txn, const uint8_t sub[32],
    uint32_t *office)
{
	MDB_val k = { 32, (void *)(uintptr_t)sub }, d;
	int rc;

	if ((rc = mdb_get(txn, s->offices, &k, &d)) != 0)
		return store_map_err(rc);
	if (d.mv_size != OFFICE_BYTES)
		return PT_ECORRUPT;
	*office = get_be32(d.mv_data);
	return 0;
}

/* Assign the next office number to sub (not yet in offices): the offices
 * record and meta "offices".  PT_ERANGE when 2^32 numbers are used. */
static int
office_new(struct store_batch *b, const uint8_t sub[32])
{
	struct store *s = b->s;
	uint8_t v[OFFICE_BYTES];
	MDB_val k = { 32, (void *)(uintptr_t)sub }, d = { OFFICE_BYTES, v };
	uint64_t next;
	int rc;

	if ((rc = store_meta_get(b->txn, s->meta, "offices", &next)) != 0)
		return rc == PT_ENOTFOUND ? PT_ECORRUPT : rc;
	if (next > OFFICE_MAX)
		return PT_ERANGE;
	put_be32(v, (uint32_t)next);
	rc = mdb_put(b->txn, s->offices, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return PT_ECORRUPT;
	if (rc != 0)
		return store_map_err(rc);
	if ((rc = store_meta_put(b->txn, s->meta, "offices", next + 1)) != 0)
		return rc;
	b->office = (uint32_t)next;
	return 0;
}

int
store_idx_find_id(const struct store *s, MDB_txn *txn, uint64_t bound,
    const uint8_t submitter_id[32], const char *id, size_t id_len,
    uint64_t *index)
{
	uint8_t kb[IDS_KEY_MAX];
	MDB_val k, d;
	uint64_t idx;
	uint32_t office;
	int rc;

	if (submitter_id == NULL || id == NULL || id_len == 0 ||
	    id_len > PT_MAX_ID || index == NULL)
		return PT_EINVAL;
	if ((rc = store_idx_office(s, txn, submitter_id, &office)) != 0)
		return rc;
	k.mv_size = ids_key(kb, office, id, id_len);
	k.mv_data = kb;
	if ((rc = mdb_get(txn, s->ids, &k, &d)) != 0)
		return store_map_err(rc);
	if (d.mv_size != 8)
		return PT_ECORRUPT;
	if ((idx = get_be64(d.mv_data)) >= bound)
		return PT_ECORRUPT;
	*index = idx;
	return 0;
}

/*
 * The ids key of entry i: the submitter's office number (the batch keeps
 * the last one, so a run of one office's submissions costs one offices
 * lookup; a new submitter gets the next number), then office || id -> i.
 * PT_ECONFLICT when the key exists.  Two puts at most.
 */
int
store_idx_put_id(struct store_batch *b, uint64_t i,
    const uint8_t submitter_id[32], const char *id, size_t id_len)
{
	struct store *s = b->s;
	uint8_t ikey[8], idkey[IDS_KEY_MAX];
	MDB_val k, d;
	int rc;

	if (!b->have_office || memcmp(b->office_sub, submitter_id, 32) != 0) {
		rc = store_idx_office(s, b->txn, submitter_id, &b->office);
		if (rc == PT_ENOTFOUND)
			rc = office_new(b, submitter_id);
		if (rc != 0)
			return rc;
		memcpy(b->office_sub, submitter_id, 32);
		b->have_office = 1;
	}
	put_be64(ikey, i);
	k.mv_size = ids_key(idkey, b->office, id, id_len);
	k.mv_data = idkey;
	d.mv_size = 8;
	d.mv_data = ikey;
	rc = mdb_put(b->txn, s->ids, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return PT_ECONFLICT;
	if (rc != 0)
		return store_map_err(rc);
	return 0;
}

/*
 * Index of (submitter_id, id) in the committed log or earlier in this batch.
 * 0, PT_ENOTFOUND (does not poison), PT_EPOISONED; any other failure
 * (PT_EINVAL, PT_EIO, PT_ECORRUPT) poisons.  Two lookups (offices, ids).
 */
int
store_batch_find_id(struct store_batch *b, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index)
{
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	rc = store_idx_find_id(b->s, b->txn, b->size, submitter_id, id, id_len,
	    index);
	if (rc != 0 && rc != PT_ENOTFOUND)
		poison(b, rc);
	return rc;
}

/*
 * Index of (submitter_id, id): 0, PT_ENOTFOUND, PT_EINVAL (id_len 0 or over
 * PT_MAX_ID), PT_EIO, PT_ECORRUPT.  Same key means same submitter and id
 * (the key is the submitter's office and the id's bytes, exact); the
 * caller compares content.  Two lookups (offices, ids).
 */
int
store_find_id(struct store_txn *t, const uint8_t submitter_id[32],
    const char *id, size_t id_len, uint64_t *index)
{
	return store_idx_find_id(t->s, t->txn, t->size, submitter_id, id,
	    id_len, index);
}

/* ---- leaves: moving a completed epoch ---- */

/* The low 48 bits of v, big-endian, into b[0..6); and back. */
static void
put_be48(uint8_t b[6], uint64_t v)
{
	uint8_t t[8];

	put_be64(t, v);
	memcpy(b, t + 2, 6);
}

static uint64_t
get_be48(const uint8_t b[6])
{
	uint8_t t[8] = { 0 };

	memcpy(t + 2, b, 6);
	return get_be64(t);
}

/*
 * Read the 65,536 keys of leaves/new into keys[] as 48-bit numbers
 * (prefix || low bits; big-endian bytes compare as the numbers do), and
 * where each part's run starts into run[0 .. *nrun).  The cursor returns
 * the keys part by part, each part already in order.  PT_ECORRUPT unless
 * leaves/new holds exactly one epoch of well-formed keys.
 */
static int
epoch_read(struct store_batch *b, uint64_t *keys, size_t run[LEAF_PARTS],
    size_t *nrun)
{
	MDB_cursor *c;
	MDB_val k, d;
	size_t n = 0;
	uint8_t part = 0;
	int rc, err = 0;

	*nrun = 0;
	if ((rc = mdb_cursor_open(b->txn, b->s->leaves_new, &c)) != 0)
		return store_map_err(rc);
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;

		if (n == LEAF_EPOCH || k.mv_size != LEAF_NEW_KEY ||
		    kp[0] != kp[1 + LEAF_PREFIX] >> (LEAF_SUB_SHIFT - 8)) {
			err = PT_ECORRUPT;
			break;
		}
		/* Each part is one run; the cursor visits them in order. */
		if (n == 0 || kp[0] != part) {
			if (*nrun == LEAF_PARTS) {
				err = PT_ECORRUPT;
				break;
			}
			run[(*nrun)++] = n;
			part = kp[0];
		}
		keys[n++] = get_be48(kp + 1);
	}
	mdb_cursor_close(c);
	if (err == 0 && rc != MDB_NOTFOUND)
		err = store_map_err(rc);
	if (err == 0 && n != LEAF_EPOCH)
		err = PT_ECORRUPT;
	return err;
}

/*
 * Merge the sorted runs keys[run[i] .. run[i+1]) (run[nrun] = n), pairwise,
 * until one is left: four linear passes for 16 runs instead of a qsort
 * (which took the whole move from 12.6 to 8.4 ms per epoch).  tmp has room
 * for n keys.  Returns the array that holds the result (keys or tmp).
 */
static uint64_t *
runs_merge(uint64_t *keys, uint64_t *tmp, size_t run[LEAF_PARTS + 1],
    size_t nrun, size_t n)
{
	uint64_t *t;

	run[nrun] = n;
	while (nrun > 1) {
		size_t m = 0;

		for (size_t r = 0; r < nrun; r += 2) {
			/* runs r and r + 1 (if any): [a, ae) and [ae, be) */
			size_t a = run[r], ae = run[r + 1], o = a;
			size_t bi = ae, be = r + 1 < nrun ? run[r + 2] : ae;

			while (a < ae && bi < be)
				tmp[o++] = keys[a] <= keys[bi] ? keys[a++] :
				    keys[bi++];
			while (a < ae)
				tmp[o++] = keys[a++];
			while (bi < be)
				tmp[o++] = keys[bi++];
			run[m++] = run[r];
		}
		run[m] = n;
		nrun = m;
		t = keys;
		keys = tmp;
		tmp = t;
	}
	return keys;
}

/* Append the sorted keys of epoch e to leaves (MDB_APPEND: the epoch is
 * the newest, so its keys go at the end and the pages end full). */
static int
epoch_append(struct store_batch *b, uint64_t e, const uint64_t *keys,
    size_t n)
{
	uint8_t kb[LEAF_KEY], eb[8];
	MDB_val k = { LEAF_KEY, kb }, d;
	int rc;

	put_be64(eb, e);
	memcpy(kb, eb + 8 - LEAF_EPOCH_BYTES, LEAF_EPOCH_BYTES);
	for (size_t i = 0; i < n; i++) {
		put_be48(kb + LEAF_EPOCH_BYTES, keys[i]);
		d.mv_size = 0;
		d.mv_data = NULL;
		/* MDB_APPEND refuses a key that is not above the last one:
		 * a duplicate (or a run out of order) is damage. */
		rc = mdb_put(b->txn, b->s->leaves, &k, &d, MDB_APPEND);
		if (rc == MDB_KEYEXIST)
			return PT_ECORRUPT;
		if (rc != 0)
			return store_map_err(rc);
	}
	return 0;
}

/*
 * Move the completed epoch e from leaves/new into leaves: read its 65,536
 * keys, merge its 16 sorted parts, append them to leaves and empty
 * leaves/new (mdb_drop frees its pages).  Once per 65,536 appends; 1 MiB of
 * memory meanwhile; ~8 ms, most of it the 65,536 puts.
 */
static int
leaves_move(struct store_batch *b, uint64_t e)
{
	enum { W = LEAF_PREFIX + LEAF_LOW_BYTES };
	uint64_t *keys, *tmp;
	size_t run[LEAF_PARTS + 1], nrun;
	int rc, err;

	_Static_assert(W == 6, "leaf keys merge as 48-bit numbers");
	keys = malloc((size_t)LEAF_EPOCH * sizeof(*keys));
	tmp = malloc((size_t)LEAF_EPOCH * sizeof(*tmp));
	if (keys == NULL || tmp == NULL)
		err = PT_ENOMEM;
	else if ((err = epoch_read(b, keys, run, &nrun)) == 0)
		err = epoch_append(b, e, runs_merge(keys, tmp, run, nrun,
		    LEAF_EPOCH), LEAF_EPOCH);
	free(keys);
	free(tmp);
	if (err == 0 && (rc = mdb_drop(b->txn, b->s->leaves_new, 0)) != 0)
		err = store_map_err(rc);
	return err;
}

/*
 * The leaves/new key of entry i (part || prefix || low bits of the index,
 * no value); the entry that completes the epoch moves it into leaves.
 */
int
store_idx_put_leaf(struct store_batch *b, uint64_t i,
    const struct mt_hash *leaf)
{
	uint8_t lkey[LEAF_NEW_KEY];
	MDB_val k = { LEAF_NEW_KEY, lkey }, d = { 0, NULL };
	int rc;

	leaf_new_key(lkey, leaf->b, i);
	rc = mdb_put(b->txn, b->s->leaves_new, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return PT_ECORRUPT;
	if (rc != 0)
		return store_map_err(rc);
	if (((i + 1) & (LEAF_EPOCH - 1)) == 0)
		return leaves_move(b, i >> LEAF_EPOCH_SHIFT);
	return 0;
}

/* ---- leaves: lookups ---- */

/*
 * Candidates for *leaf in one key range: the keys from kb (klen bytes) on
 * that share its first klen - LEAF_LOW_BYTES bytes; the index of each is
 * base | its low bits.  Each is confirmed against the full stored hash
 * (0, index).  0 with *index set, PT_ENOTFOUND, PT_EIO, PT_ECORRUPT.
 */
static int
leaf_range(struct store_txn *t, MDB_cursor *c, const uint8_t *kb,
    size_t klen, uint64_t base, const struct mt_hash *leaf, uint64_t *index)
{
	MDB_val k = { klen, (void *)(uintptr_t)kb }, d;
	struct mt_hash h;
	int rc, err = PT_ENOTFOUND;

	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		uint64_t idx;

		if (k.mv_size != klen)
			return PT_ECORRUPT;
		if (memcmp(kp, kb, klen - LEAF_LOW_BYTES) != 0)
			break;
		idx = base | (uint64_t)kp[klen - 2] << 8 | kp[klen - 1];
		if (idx >= t->size)
			return PT_ECORRUPT;
		if ((err = store_grp_read_db(t->s, t->txn, &t->gc, t->size, 0,
		    idx, &h)) != 0)
			return err;
		if (cr_memcmp(h.b, leaf->b, MT_HASH_SIZE) == 0) {
			*index = idx;
			return 0;
		}
		err = PT_ENOTFOUND;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_map_err(rc);
	return err;
}

/*
 * Lowest index whose leaf hash is *leaf.  One cursor range per complete
 * epoch of 65536 entries in leaves, oldest first, then one per part of
 * 4096 entries of the current epoch in leaves/new: candidates are the keys
 * with the hash's 4-byte prefix, each confirmed against the full stored
 * hash (0, index).  0, PT_ENOTFOUND, PT_EIO, PT_ECORRUPT.
 * O((n / 65536 + 16) log n + candidates).
 */
int
store_find_leaf(struct store_txn *t, const struct mt_hash *leaf,
    uint64_t *index)
{
	MDB_cursor *c;
	uint8_t kb[LEAF_KEY];
	uint64_t epochs = t->size >> LEAF_EPOCH_SHIFT;
	uint64_t cur = t->size & (LEAF_EPOCH - 1);
	uint64_t base = epochs << LEAF_EPOCH_SHIFT;
	int rc = 0, err = PT_ENOTFOUND;

	if ((rc = mdb_cursor_open(t->txn, t->s->leaves, &c)) != 0)
		return store_map_err(rc);
	for (uint64_t e = 0; e < epochs && err == PT_ENOTFOUND; e++) {
		leaf_key(kb, leaf->b, e << LEAF_EPOCH_SHIFT);
		err = leaf_range(t, c, kb, LEAF_KEY, e << LEAF_EPOCH_SHIFT,
		    leaf, index);
	}
	mdb_cursor_close(c);
	if (err != PT_ENOTFOUND || cur == 0)
		return err;
	if ((rc = mdb_cursor_open(t->txn, t->s->leaves_new, &c)) != 0)
		return store_map_err(rc);
	for (uint64_t p = 0; p <= (cur - 1) >> LEAF_SUB_SHIFT &&
	    err == PT_ENOTFOUND; p++) {
		leaf_new_key(kb, leaf->b, base | p << LEAF_SUB_SHIFT);
		err = leaf_range(t, c, kb, LEAF_NEW_KEY, base, leaf, index);
	}
	mdb_cursor_close(c);
	return err;
}

/* Whether the leaves index has (h, i): in leaves, or in leaves/new when
 * i's epoch was not complete (yet) in txn's snapshot.  Two lookups. */
int
store_idx_has_leaf(const struct store *s, MDB_txn *txn,
    const struct mt_hash *h, uint64_t i, int *has)
{
	uint8_t kb[LEAF_KEY];
	MDB_val k = { LEAF_KEY, kb }, d;
	int rc;

	leaf_key(kb, h->b, i);
	rc = mdb_get(txn, s->leaves, &k, &d);
	if (rc == MDB_NOTFOUND) {
		leaf_new_key(kb, h->b, i);
		k.mv_size = LEAF_NEW_KEY;
		rc = mdb_get(txn, s->leaves_new, &k, &d);
	}
	*has = rc == 0;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_map_err(rc);
}

/* ---- office_keys: the indexes of the office_key entries ---- */

int
store_idx_okeys_open(struct store *s, MDB_txn *txn, uint64_t size,
    struct pt_why *why)
{
	MDB_cursor *c;
	MDB_val k, d;
	int rc, err = 0;

	rc = mdb_dbi_open(txn, "office_keys", s->readonly ? 0 : MDB_CREATE,
	    &s->okeys);
	if (rc == MDB_NOTFOUND && s->readonly)
		return 0;	/* older store: no office_key entries */
	if (rc != 0)
		return pt_why_set(why, store_map_err(rc), "%s: cannot open "
		    "office_keys: %s", s->dir, mdb_strerror(rc));
	s->have_okeys = 1;
	if ((rc = mdb_cursor_open(txn, s->okeys, &c)) != 0)
		return store_map_err(rc);
	rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	if (rc == 0 && (k.mv_size != 8 || get_be64(k.mv_data) >= size))
		err = pt_why_set(why, PT_ECORRUPT, "%s: office_keys names an "
		    "entry beyond the tree size %llu", s->dir,
		    (unsigned long long)size);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		err = store_map_err(rc);
	mdb_cursor_close(c);
	return err;
}

int
store_batch_mark_office_key(struct store_batch *b, uint64_t index)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d = { 0, kb };
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if (index < b->base || index >= b->size || !b->s->have_okeys)
		return poison(b, PT_EINVAL);
	put_be64(kb, index);
	if ((rc = mdb_put(b->txn, b->s->okeys, &k, &d, MDB_APPEND)) != 0)
		return poison(b, rc == MDB_KEYEXIST ? PT_EINVAL :
		    store_map_err(rc));
	return 0;
}

int
store_office_keys(struct store_txn *t, uint64_t from, uint64_t *out,
    size_t max, size_t *n)
{
	MDB_cursor *c;
	MDB_val k, d;
	uint8_t kb[8];
	int rc;

	*n = 0;
	if (!t->s->have_okeys || max == 0)
		return 0;
	if ((rc = mdb_cursor_open(t->txn, t->s->okeys, &c)) != 0)
		return store_map_err(rc);
	put_be64(kb, from);
	k.mv_size = 8;
	k.mv_data = kb;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0 &&
	    *n < max; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		uint64_t i;

		if (k.mv_size != 8) {
			mdb_cursor_close(c);
			return PT_ECORRUPT;
		}
		if ((i = get_be64(k.mv_data)) >= t->size)
			break;
		out[(*n)++] = i;
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_map_err(rc);
}
