/*
 * store_corr.c: the corrections index (issue 19): from an entry to the
 * entries that correct it, so that every answer that shows a record can
 * list its corrections.
 *
 *   database     key                                   value
 *   corrections  target index (8) || correction index (8)   kind (1):
 *                                                      0 void, 1 amend
 *
 * both big-endian, so one target's corrections are one key range in log
 * order.  The store does not parse entries: the caller says which entry
 * corrects which (store_classify_fn, wire_entry_decode in the daemon).  A
 * batch puts the key of each correction it appends in its own write
 * transaction (store_batch_correction), so the index commits with the
 * entry or not at all.  meta "corrections" is the tree size up to which
 * the index is complete: a store made before the index existed has none
 * (0), and store_corrections_build fills it in from the entries, a few
 * thousand entries per transaction, at start-up before anything is
 * appended; readers are told PT_EBUSY until it is complete.
 * store_corrections_check (--check-full) recomputes it from the entries.
 */
#include <stdlib.h>

#include "store_int.h"

#define CORR_KEY	16
#define CORR_BUILD_STEP	16384	/* entries per build transaction */

static void
corr_key(uint8_t k[CORR_KEY], uint64_t target, uint64_t index)
{
	put_be64(k, target);
	put_be64(k + 8, index);
}

int
store_corr_open(struct store *s, MDB_txn *txn, int fresh, struct pt_why *why)
{
	uint64_t built = 0;
	int rc, err;

	rc = mdb_dbi_open(txn, "corrections", s->readonly ? 0 : MDB_CREATE,
	    &s->corr);
	if (rc == MDB_NOTFOUND && s->readonly) {
		/* A store made before the index, opened read-only: no
		 * corrections answers from it. */
		s->corr_ok = 0;
		atomic_store(&s->corr_built, 0);
		return 0;
	}
	if (rc != 0)
		return pt_why_set(why, store_map_err(rc), "%s: cannot open "
		    "the corrections index: %s", s->dir, mdb_strerror(rc));
	s->corr_ok = 1;
	if (fresh && (err = store_meta_put(txn, s->meta, "corrections",
	    0)) != 0)
		return err;
	err = store_meta_get(txn, s->meta, "corrections", &built);
	if (err == PT_ENOTFOUND)
		built = 0;	/* made before the index: build it */
	else if (err != 0)
		return pt_why_set(why, err, "%s: bad corrections record",
		    s->dir);
	atomic_store(&s->corr_built, built);
	return 0;
}

int
store_batch_correction(struct store_batch *b, uint64_t target,
    uint64_t index, unsigned kind)
{
	uint8_t kb[CORR_KEY], kv = (uint8_t)kind;
	MDB_val k = { CORR_KEY, kb }, d = { 1, &kv };
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if (!b->s->corr_ok || index < b->base || index >= b->size ||
	    target >= index || kind > STORE_CORR_AMEND)
		return poison(b, PT_EINVAL);
	corr_key(kb, target, index);
	rc = mdb_put(b->txn, b->s->corr, &k, &d, MDB_NOOVERWRITE);
	if (rc != 0 && rc != MDB_KEYEXIST)
		return poison(b, store_map_err(rc));
	return 0;
}

int
store_corr_commit_mark(struct store_batch *b)
{
	if (!b->s->corr_ok || b->size == b->base ||
	    atomic_load(&b->s->corr_built) != b->base)
		return 0;
	return store_meta_put(b->txn, b->s->meta, "corrections", b->size);
}

void
store_corr_committed(struct store_batch *b)
{
	uint64_t base = b->base;

	if (b->s->corr_ok)
		atomic_compare_exchange_strong(&b->s->corr_built, &base,
		    b->size);
}

int
store_get_corrections(struct store_txn *t, uint64_t target, uint64_t from,
    uint64_t *out, size_t max, size_t *n)
{
	const struct store *s = t->s;
	uint8_t kb[CORR_KEY];
	MDB_val k = { CORR_KEY, kb }, d;
	MDB_cursor *c;
	int rc, op = MDB_SET_RANGE;

	*n = 0;
	if (!s->corr_ok || atomic_load(&s->corr_built) < t->size)
		return PT_EBUSY;
	if (target >= t->size)
		return PT_ENOTFOUND;
	if ((rc = mdb_cursor_open(t->txn, s->corr, &c)) != 0)
		return store_map_err(rc);
	corr_key(kb, target, from);
	while ((rc = mdb_cursor_get(c, &k, &d, op)) == 0) {
		uint64_t idx;

		op = MDB_NEXT;
		if (k.mv_size != CORR_KEY) {
			rc = PT_ECORRUPT;
			break;
		}
		if (get_be64(k.mv_data) != target)
			break;
		idx = get_be64((const uint8_t *)k.mv_data + 8);
		if (idx >= t->size)
			break;		/* appended after this snapshot's tree */
		if (*n == max) {
			rc = 1;		/* more than max */
			break;
		}
		out[(*n)++] = idx;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND || rc == 0)
		return 0;
	if (rc == 1)
		return 1;
	return rc < 0 ? rc : store_map_err(rc);
}

int
store_corrections_build(struct store *s, store_classify_fn fn, void *ctx,
    uint64_t *added, struct pt_why *why)
{
	uint64_t size = atomic_load(&s->size), i = atomic_load(&s->corr_built);
	int rc, err = 0;

	if (added != NULL)
		*added = 0;
	if (s->readonly || !s->corr_ok)
		return i >= size ? 0 : PT_EINVAL;
	if (s->batch != NULL)
		return PT_EBUSY;
	while (i < size) {
		uint64_t end = size - i > CORR_BUILD_STEP ? i + CORR_BUILD_STEP :
		    size;
		MDB_txn *txn;

		if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
			return pt_why_set(why, store_map_err(rc), "corrections "
			    "index: %s", mdb_strerror(rc));
		for (; i < end && err == 0; i++) {
			uint8_t ib[8], kb[CORR_KEY], kv;
			MDB_val k = { 8, ib }, d, ck = { CORR_KEY, kb },
			    cd = { 1, &kv };
			uint64_t target;
			unsigned kind = 0;

			put_be64(ib, i);
			if ((rc = mdb_get(txn, s->entries, &k, &d)) != 0) {
				err = pt_why_set(why, rc == MDB_NOTFOUND ?
				    PT_ECORRUPT : store_map_err(rc), "entry "
				    "%llu: missing", (unsigned long long)i);
				break;
			}
			rc = fn(d.mv_data, d.mv_size, i, &target, &kind, ctx);
			kv = (uint8_t)kind;
			if (rc == PT_ENOTFOUND)
				continue;
			if (rc != 0 || target >= i) {
				err = pt_why_set(why, rc != 0 ? rc :
				    PT_ECORRUPT, "entry %llu: cannot be "
				    "indexed as a correction",
				    (unsigned long long)i);
				break;
			}
			corr_key(kb, target, i);
			rc = mdb_put(txn, s->corr, &ck, &cd, MDB_NOOVERWRITE);
			if (rc != 0 && rc != MDB_KEYEXIST)
				err = store_map_err(rc);
			else if (added != NULL && rc == 0)
				(*added)++;
		}
		if (err == 0)
			err = store_meta_put(txn, s->meta, "corrections", i);
		if (err != 0) {
			mdb_txn_abort(txn);
			return err;
		}
		if ((rc = mdb_txn_commit(txn)) != 0)
			return pt_why_set(why, store_map_err(rc), "corrections "
			    "index: %s", mdb_strerror(rc));
		atomic_store(&s->corr_built, i);
	}
	return 0;
}

int
store_corrections_check(struct store *s, store_classify_fn fn, void *ctx,
    uint64_t *bad, struct pt_why *why)
{
	uint64_t size = atomic_load(&s->size), want = 0, i = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, d;
	MDB_stat st;
	int rc, err = 0, op = MDB_FIRST;

	*bad = UINT64_MAX;
	if (!s->corr_ok)
		return pt_why_set(why, PT_ECORRUPT, "%s: no corrections index "
		    "(start the daemon once to build it)", s->dir);
	if (atomic_load(&s->corr_built) < size)
		return pt_why_set(why, PT_ECORRUPT, "%s: the corrections index "
		    "covers %llu of %llu entries (the daemon builds the rest "
		    "at start-up)", s->dir, (unsigned long long)
		    atomic_load(&s->corr_built), (unsigned long long)size);
	/* Every correction entry is indexed under its target. */
	while (i < size && err == 0) {
		uint64_t end = size - i > CORR_BUILD_STEP ? i + CORR_BUILD_STEP :
		    size;

		if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
			return store_map_err(rc);
		for (; i < end && err == 0; i++) {
			uint8_t ib[8], kb[CORR_KEY];
			MDB_val ek = { 8, ib }, ed, ck = { CORR_KEY, kb }, cd;
			uint64_t target;
			unsigned kind = 0;

			put_be64(ib, i);
			if ((rc = mdb_get(txn, s->entries, &ek, &ed)) != 0) {
				*bad = i;
				err = pt_why_set(why, PT_ECORRUPT, "entry %llu "
				    "missing", (unsigned long long)i);
				break;
			}
			rc = fn(ed.mv_data, ed.mv_size, i, &target, &kind,
			    ctx);
			if (rc == PT_ENOTFOUND)
				continue;
			corr_key(kb, rc == 0 ? target : 0, i);
			if (rc != 0 || target >= i ||
			    mdb_get(txn, s->corr, &ck, &cd) != 0 ||
			    cd.mv_size != 1 || *(uint8_t *)cd.mv_data != kind) {
				*bad = i;
				err = pt_why_set(why, PT_ECORRUPT, "entry %llu "
				    "is a correction the corrections index "
				    "does not list", (unsigned long long)i);
				break;
			}
			want++;
		}
		mdb_txn_abort(txn);
	}
	if (err != 0)
		return err;
	/* ... and the index holds nothing else. */
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_map_err(rc);
	if ((rc = mdb_stat(txn, s->corr, &st)) != 0) {
		mdb_txn_abort(txn);
		return store_map_err(rc);
	}
	if (st.ms_entries != want && (rc = mdb_cursor_open(txn, s->corr,
	    &c)) == 0) {
		while (mdb_cursor_get(c, &k, &d, op) == 0) {
			uint8_t ib[8];
			MDB_val ek = { 8, ib }, ed;
			uint64_t t, x, target;
			unsigned kind = 0;

			op = MDB_NEXT;
			t = k.mv_size == CORR_KEY ? get_be64(k.mv_data) : 0;
			x = k.mv_size == CORR_KEY ?
			    get_be64((const uint8_t *)k.mv_data + 8) : 0;
			put_be64(ib, x);
			if (k.mv_size != CORR_KEY || x >= size ||
			    mdb_get(txn, s->entries, &ek, &ed) != 0 ||
			    fn(ed.mv_data, ed.mv_size, x, &target, &kind,
			    ctx) != 0 || target != t) {
				*bad = x;
				err = pt_why_set(why, PT_ECORRUPT, "the "
				    "corrections index lists entry %llu as a "
				    "correction of %llu: it is not",
				    (unsigned long long)x,
				    (unsigned long long)t);
				break;
			}
		}
		mdb_cursor_close(c);
		if (err == 0)
			err = pt_why_set(why, PT_ECORRUPT, "the corrections "
			    "index holds %zu keys, the entries %llu "
			    "corrections", st.ms_entries,
			    (unsigned long long)want);
	}
	mdb_txn_abort(txn);
	return err;
}

int
store_list_corrections(struct store_txn *t, uint64_t from_target,
    uint64_t from_index, struct store_corr *out, size_t max, size_t *n)
{
	const struct store *s = t->s;
	uint8_t kb[CORR_KEY];
	MDB_val k = { CORR_KEY, kb }, d;
	MDB_cursor *c;
	int rc, op = MDB_SET_RANGE;

	*n = 0;
	if (!s->corr_ok || atomic_load(&s->corr_built) < t->size)
		return PT_EBUSY;
	if ((rc = mdb_cursor_open(t->txn, s->corr, &c)) != 0)
		return store_map_err(rc);
	corr_key(kb, from_target, from_index);
	while ((rc = mdb_cursor_get(c, &k, &d, op)) == 0) {
		uint64_t tg, idx;

		op = MDB_NEXT;
		if (k.mv_size != CORR_KEY || d.mv_size != 1 ||
		    *(uint8_t *)d.mv_data > STORE_CORR_AMEND) {
			rc = PT_ECORRUPT;
			break;
		}
		tg = get_be64(k.mv_data);
		idx = get_be64((const uint8_t *)k.mv_data + 8);
		if (tg >= t->size)
			break;		/* targets only grow past here */
		if (idx >= t->size)
			continue;	/* after this snapshot's tree */
		if (*n == max) {
			rc = 1;
			break;
		}
		out[*n].target = tg;
		out[*n].index = idx;
		out[*n].kind = *(uint8_t *)d.mv_data;
		(*n)++;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND || rc == 0)
		return 0;
	if (rc == 1)
		return 1;
	return rc < 0 ? rc : store_map_err(rc);
}
