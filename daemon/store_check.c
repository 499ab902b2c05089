/*
 * store_check.c: the full check of a store, for `pubtraild --check-full`
 * and the tests (as mdb_stat.c sits beside mdb.c: nothing on the daemon's
 * request path calls it).
 *
 * It recomputes every leaf hash from the entry bytes and every stored
 * subtree hash from its stored children, compares both with what is
 * stored, recomputes the root two ways, and checks the indexes as far as
 * the store can without parsing entries: every leaf has its leaves key;
 * every offices record has a distinct number below meta "offices"; ids
 * maps well-formed keys of known offices onto 0 .. size-1, each index
 * exactly once.  Reads go in chunks of STORE_CHECK_CHUNK entries, one
 * short read txn each (entries below the checked size never change, so
 * appends may go on meanwhile).  O(n) reads and hashes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "store_int.h"

#define STORE_CHECK_CHUNK	65536	/* entries per read txn */

struct chk {
	struct store	*s;
	MDB_txn		*txn;
	MDB_cursor	*cur;		/* on entries */
	struct store_check *res;
	struct pt_why	*why;
};

static void
chk_end(struct chk *c)
{
	if (c->cur != NULL)
		mdb_cursor_close(c->cur);
	if (c->txn != NULL)
		mdb_txn_abort(c->txn);
	c->cur = NULL;
	c->txn = NULL;
}

static int
chk_begin(struct chk *c)
{
	int rc;

	if ((rc = mdb_txn_begin(c->s->env, NULL, MDB_RDONLY, &c->txn)) != 0) {
		c->txn = NULL;
		return store_map_err(rc);
	}
	if ((rc = mdb_cursor_open(c->txn, c->s->entries, &c->cur)) != 0) {
		c->cur = NULL;
		chk_end(c);
		return store_map_err(rc);
	}
	return 0;
}

/* Record the first problem: its kind, (level, n), the first leaf under
 * it, and the reason.  Returns PT_ECORRUPT. */
static int
chk_bad(struct chk *c, int kind, unsigned level, uint64_t n, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

static int
chk_bad(struct chk *c, int kind, unsigned level, uint64_t n, const char *fmt,
    ...)
{
	va_list ap;

	c->res->bad_kind = kind;
	c->res->level = level;
	c->res->n = n;
	c->res->index = level < 64 ? n << level : n;
	if (c->why != NULL) {
		va_start(ap, fmt);
		vsnprintf(c->why->text, sizeof(c->why->text), fmt, ap);
		va_end(ap);
	}
	return PT_ECORRUPT;
}

/* ---- the shape: records, counts, the last groups ---- */

/* Counts and the zero tail of each level's last group. */
static int
chk_structure(struct chk *c, uint64_t size)
{
	static const uint8_t zero[MT_HASH_SIZE];
	struct store *s = c->s;
	MDB_stat st;
	int rc, eb = 0;

	if ((rc = store_count_check(s, c->txn, size, c->why, &eb)) != 0) {
		if (rc != PT_ECORRUPT)
			return rc;
		/* store_count_check wrote the reason; keep it. */
		c->res->bad_kind = eb ? STORE_BAD_ENTRY : STORE_BAD_INDEX;
		c->res->level = 64;
		c->res->n = c->res->index = size;
		return PT_ECORRUPT;
	}
	for (unsigned l = 0; l < STORE_LEVELS; l = NEXT_STORED(l)) {
		uint64_t have = size >> l;
		uint64_t want = (have + GROUP_SLOTS - 1) >> GROUP_SHIFT;
		uint64_t first = have & ~(uint64_t)(GROUP_SLOTS - 1);
		uint8_t kb[8];
		MDB_val k = { 8, kb }, d;

		if ((rc = mdb_stat(c->txn, s->level[l], &st)) != 0)
			return store_map_err(rc);
		if (st.ms_entries != want)
			return chk_bad(c, STORE_BAD_HASH, l, have, "hash level "
			    "%u holds %zu groups, want %llu", l, st.ms_entries,
			    (unsigned long long)want);
		if ((have & (GROUP_SLOTS - 1)) == 0)
			continue;
		put_be64(kb, have >> GROUP_SHIFT);
		rc = mdb_get(c->txn, s->level[l], &k, &d);
		if (rc != 0 || d.mv_size != GROUP_BYTES)
			return chk_bad(c, STORE_BAD_HASH, l, first, "hash level "
			    "%u: last group missing or malformed", l);
		for (unsigned j = (unsigned)(have & (GROUP_SLOTS - 1));
		    j < GROUP_SLOTS; j++)
			if (memcmp((const uint8_t *)d.mv_data + j *
			    MT_HASH_SIZE, zero, MT_HASH_SIZE) != 0)
				return chk_bad(c, STORE_BAD_HASH, l, first + j,
				    "hash (%u,%llu) stored beyond the tree", l,
				    (unsigned long long)(first + j));
	}
	return 0;
}

/* The size record, the latest checkpoint at exactly that size, and the
 * structure.  *size gets the tree size checked. */
static int
chk_head(struct chk *c, uint64_t *size)
{
	MDB_cursor *cc;
	MDB_val k, d;
	uint64_t ck = 0;
	int rc, err;

	if ((err = store_meta_get(c->txn, c->s->meta, "size", size)) != 0)
		return err == PT_ENOTFOUND ? chk_bad(c, STORE_BAD_META, 64, 0,
		    "no tree size record") : err;
	c->res->size = *size;
	if ((rc = mdb_cursor_open(c->txn, c->s->ckpts, &cc)) != 0)
		return store_map_err(rc);
	rc = mdb_cursor_get(cc, &k, &d, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		ck = get_be64(k.mv_data);
	mdb_cursor_close(cc);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_map_err(rc);
	if ((rc == MDB_NOTFOUND && *size != 0) || (rc == 0 && ck != *size))
		return chk_bad(c, STORE_BAD_META, 64, *size, "latest "
		    "checkpoint is at size %llu, the tree at %llu",
		    (unsigned long long)ck, (unsigned long long)*size);
	return chk_structure(c, *size);
}

/* ---- the entries and the hashes ---- */

/* Entry i's bytes, from c's cursor (a new chunk starts with a seek). */
static int
chk_entry_at(struct chk *c, uint64_t i, MDB_val *d)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb };
	int rc;

	if (i % STORE_CHECK_CHUNK == 0) {
		put_be64(kb, i);
		rc = mdb_cursor_get(c->cur, &k, d, MDB_SET_KEY);
	} else
		rc = mdb_cursor_get(c->cur, &k, d, MDB_NEXT);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_map_err(rc);
	if (rc == MDB_NOTFOUND || k.mv_size != 8 || get_be64(k.mv_data) != i)
		return chk_bad(c, STORE_BAD_ENTRY, 0, i, "entry %llu missing",
		    (unsigned long long)i);
	return 0;
}

/* Entry i hashes to a, the stored leaf hash is b: which one changed?  The
 * leaves index recorded the prefix of the hash the entry had when it was
 * appended. */
static int
chk_leaf_differs(struct chk *c, uint64_t i, const struct mt_hash *a,
    const struct mt_hash *b)
{
	int has_a, has_b, err;

	if ((err = store_idx_has_leaf(c->s, c->txn, a, i, &has_a)) != 0 ||
	    (err = store_idx_has_leaf(c->s, c->txn, b, i, &has_b)) != 0)
		return err;
	if (has_a)
		return chk_bad(c, STORE_BAD_HASH, 0, i, "stored leaf hash "
		    "(0,%llu) differs from the hash of entry %llu, which "
		    "agrees with the leaf index: the stored hash is damaged",
		    (unsigned long long)i, (unsigned long long)i);
	return chk_bad(c, STORE_BAD_ENTRY, 0, i, "entry %llu: its bytes do "
	    "not hash to the stored leaf hash (0,%llu)%s",
	    (unsigned long long)i, (unsigned long long)i, has_b ? ", which "
	    "agrees with the leaf index: the entry bytes are damaged" : "");
}

/*
 * Entry i (bytes d) of a tree of size: its leaf hash against the stored
 * one and the leaves index, then each stored subtree it completes against
 * its stored children (checked already, lower levels first; pending[l] is
 * the stored left sibling at level l).  The leaf goes into f.
 */
static int
chk_entry(struct chk *c, uint64_t size, uint64_t i, const MDB_val *d,
    struct mt_hash pending[STORE_LEVELS], struct mt_frontier *f)
{
	struct mt_hash a, b, comp;
	uint64_t idx;
	unsigned lvl;
	int err, has;

	if ((err = mt_leaf_hash(d->mv_data, d->mv_size, &a)) != 0)
		return err;
	err = store_grp_read_db(c->s, c->txn, NULL, size, 0, i, &b);
	if (err == PT_ECORRUPT)
		return chk_bad(c, STORE_BAD_HASH, 0, i, "leaf hash (0,%llu) "
		    "missing", (unsigned long long)i);
	if (err != 0)
		return err;
	if (cr_memcmp(a.b, b.b, MT_HASH_SIZE) != 0)
		return chk_leaf_differs(c, i, &a, &b);
	if ((err = store_idx_has_leaf(c->s, c->txn, &a, i, &has)) != 0)
		return err;
	if (!has)
		return chk_bad(c, STORE_BAD_INDEX, 0, i, "leaf index lacks "
		    "entry %llu", (unsigned long long)i);
	if ((err = mt_frontier_push(f, &a)) != 0)
		return err;
	for (idx = i, lvl = 0; idx & 1; idx >>= 1, lvl++) {
		if ((err = mt_node_hash(&pending[lvl], &b, &comp)) != 0)
			return err;
		err = store_grp_read_db(c->s, c->txn, NULL, size, lvl + 1,
		    idx >> 1, &b);
		if (err != 0 && err != PT_ECORRUPT)
			return err;
		if (err == PT_ECORRUPT || cr_memcmp(comp.b, b.b,
		    MT_HASH_SIZE) != 0)
			return chk_bad(c, STORE_BAD_HASH, lvl + 1, idx >> 1,
			    "stored hash (%u,%llu) %s", lvl + 1,
			    (unsigned long long)(idx >> 1), err == PT_ECORRUPT ?
			    "missing" : "differs from the hash of its stored "
			    "children");
	}
	pending[lvl] = b;
	return 0;
}

/* Every entry 0 .. size-1, a chunk per read txn; progress runs between
 * chunks with no txn open.  c's txn is open on entry and on return. */
static int
chk_entries(struct chk *c, uint64_t size, struct mt_frontier *f,
    void (*progress)(uint64_t, uint64_t, void *), void *ctx)
{
	struct mt_hash pending[STORE_LEVELS];
	MDB_val d;
	int err;

	for (uint64_t i = 0; i < size; i++) {
		if (i != 0 && i % STORE_CHECK_CHUNK == 0) {
			chk_end(c);
			if (progress != NULL)
				progress(i, size, ctx);
			if ((err = chk_begin(c)) != 0)
				return err;
		}
		if ((err = chk_entry_at(c, i, &d)) != 0 ||
		    (err = chk_entry(c, size, i, &d, pending, f)) != 0)
			return err;
	}
	return 0;
}

/* The root two ways: from the entries (f), and from the stored hashes
 * through the read path (the upper levels in memory included). */
static int
chk_root(struct chk *c, uint64_t size, struct mt_frontier *f)
{
	struct store_txn tx;
	struct mt_reader r;
	struct mt_hash stroot;
	int err;

	if ((err = mt_frontier_root(f, &c->res->root)) != 0)
		return err;
	memset(&tx, 0, sizeof(tx));
	tx.s = c->s;
	tx.txn = c->txn;
	tx.size = size;
	store_txn_reader(&tx, &r);
	if ((err = mt_root(&r, size, &stroot)) != 0)
		return err;
	if (cr_memcmp(stroot.b, c->res->root.b, MT_HASH_SIZE) != 0)
		return chk_bad(c, STORE_BAD_HASH, 64, size, "root from the "
		    "stored hashes differs from the root of the entries");
	return 0;
}

/* ---- the ids and offices indexes ---- */

/* Every offices record: a 32-byte submitter id with a distinct number
 * below the office count, which *noff gets.  In c's txn; noff / 8 bytes. */
static int
chk_offices(struct chk *c, uint64_t size, uint64_t *noff)
{
	MDB_cursor *cur;
	MDB_val k, d;
	uint8_t *oseen;
	int rc, err = 0;

	if ((err = store_meta_get(c->txn, c->s->meta, "offices", noff)) != 0 ||
	    *noff > size)
		return chk_bad(c, STORE_BAD_META, 64, size, "office count "
		    "record missing or out of range");
	if ((oseen = calloc(*noff / 8 + 1, 1)) == NULL)
		return PT_ENOMEM;
	if ((rc = mdb_cursor_open(c->txn, c->s->offices, &cur)) != 0) {
		free(oseen);
		return store_map_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		uint32_t o;

		if (k.mv_size != 32 || d.mv_size != OFFICE_BYTES) {
			err = chk_bad(c, STORE_BAD_INDEX, 64, size,
			    "malformed offices record");
			break;
		}
		o = get_be32(d.mv_data);
		if (o >= *noff || (oseen[o / 8] & (1u << (o % 8)))) {
			err = chk_bad(c, STORE_BAD_INDEX, 64, size, "office "
			    "number %lu out of range or used twice",
			    (unsigned long)o);
			break;
		}
		oseen[o / 8] |= (uint8_t)(1u << (o % 8));
	}
	mdb_cursor_close(cur);
	free(oseen);
	if (err == 0 && rc != MDB_NOTFOUND)
		err = store_map_err(rc);
	return err;
}

/* Where the walk over ids stands between chunks. */
struct ids_walk {
	uint8_t		*seen;		/* size bits: index named */
	uint64_t	 nseen;
	uint64_t	 noff;
	uint8_t		 last[IDS_KEY_MAX];	/* the last key checked */
	size_t		 last_len;
	int		 first;
};

/* One ids record: a well-formed key of a known office naming an index
 * below the committed size tsize; indexes below size are counted (each
 * once); later ones were appended after the check began. */
static int
chk_ids_record(struct chk *c, uint64_t size, uint64_t tsize,
    struct ids_walk *w, const MDB_val *k, const MDB_val *d)
{
	const uint8_t *kb = k->mv_data;
	uint64_t idx;
	uint32_t o;

	if (k->mv_size < OFFICE_BYTES + 2 || k->mv_size > IDS_KEY_MAX ||
	    kb[OFFICE_BYTES] != k->mv_size - OFFICE_BYTES - 1 ||
	    d->mv_size != 8)
		return chk_bad(c, STORE_BAD_INDEX, 64, size,
		    "malformed ids record");
	idx = get_be64(d->mv_data);
	if (idx >= tsize)
		return chk_bad(c, STORE_BAD_INDEX, 64, size, "ids names index "
		    "%llu beyond the tree", (unsigned long long)idx);
	memcpy(w->last, kb, k->mv_size);
	w->last_len = k->mv_size;
	if (idx >= size)
		return 0;	/* appended after the check began */
	o = get_be32(kb);
	if (o >= w->noff)
		return chk_bad(c, STORE_BAD_INDEX, 0, idx, "ids record of "
		    "entry %llu names unknown office %lu",
		    (unsigned long long)idx, (unsigned long)o);
	if (w->seen[idx / 8] & (1u << (idx % 8)))
		return chk_bad(c, STORE_BAD_INDEX, 0, idx, "two ids records "
		    "name entry %llu", (unsigned long long)idx);
	w->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
	w->nseen++;
	return 0;
}

/* Up to STORE_CHECK_CHUNK ids records after w->last, in c's txn; *done
 * when the end of ids was reached. */
static int
chk_ids_chunk(struct chk *c, uint64_t size, struct ids_walk *w, int *done)
{
	MDB_cursor *cur;
	MDB_val k, d;
	uint64_t tsize, n = 0;
	int rc, err;

	if ((err = store_meta_get(c->txn, c->s->meta, "size", &tsize)) != 0)
		return err;
	if ((rc = mdb_cursor_open(c->txn, c->s->ids, &cur)) != 0)
		return store_map_err(rc);
	if (w->first)
		rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	else {
		k.mv_size = w->last_len;
		k.mv_data = w->last;
		rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY);
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	w->first = 0;
	for (; rc == 0 && n < STORE_CHECK_CHUNK;
	    rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), n++)
		if ((err = chk_ids_record(c, size, tsize, w, &k, &d)) != 0)
			break;
	mdb_cursor_close(cur);
	if (err != 0)
		return err;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_map_err(rc);
	*done = rc == MDB_NOTFOUND;
	return 0;
}

/*
 * The ids and offices indexes, which the entries cannot be checked against
 * (the store does not parse entries): the offices records, then every ids
 * record; ids must map onto the indexes 0 .. size-1, each exactly once.
 * Chunks of STORE_CHECK_CHUNK keys, one short read txn each.  O(n) reads,
 * size / 8 bytes of memory.
 */
static int
chk_ids(struct chk *c, uint64_t size)
{
	struct ids_walk w;
	int err, done = 0;

	memset(&w, 0, sizeof(w));
	w.first = 1;
	if ((w.seen = calloc(size / 8 + 1, 1)) == NULL)
		return PT_ENOMEM;
	if ((err = chk_begin(c)) == 0)
		err = chk_offices(c, size, &w.noff);
	while (err == 0 && !done) {
		if (!w.first) {
			chk_end(c);
			if ((err = chk_begin(c)) != 0)
				break;
		}
		err = chk_ids_chunk(c, size, &w, &done);
	}
	chk_end(c);
	if (err == 0 && w.nseen != size) {
		uint64_t i;

		for (i = 0; i < size && (w.seen[i / 8] & (1u << (i % 8))); i++)
			;
		err = chk_bad(c, STORE_BAD_INDEX, 0, i, "ids index lacks "
		    "entry %llu", (unsigned long long)i);
	}
	free(w.seen);
	return err;
}

/*
 * Full check with a report (see store.h).  Returns 0 when everything agrees,
 * PT_ECORRUPT with res filled and a reason in why for the first problem,
 * or PT_EIO/PT_ENOMEM/PT_ECRYPTO when the check itself could not run.
 */
int
store_check_full_report(struct store *s, struct store_check *res,
    struct pt_why *why,
    void (*progress)(uint64_t done, uint64_t total, void *ctx), void *ctx)
{
	struct chk c = { s, NULL, NULL, res, why };
	struct mt_frontier f;
	uint64_t size = 0;
	int err;

	memset(res, 0, sizeof(*res));
	res->bad_kind = STORE_BAD_NONE;
	res->index = UINT64_MAX;
	if (why != NULL)
		why->text[0] = '\0';
	mt_frontier_init(&f);
	if ((err = chk_begin(&c)) != 0)
		return err;
	if ((err = chk_head(&c, &size)) == 0 &&
	    (err = chk_entries(&c, size, &f, progress, ctx)) == 0)
		err = chk_root(&c, size, &f);
	chk_end(&c);
	if (err == 0)
		err = chk_ids(&c, size);
	if (err == 0 && progress != NULL)
		progress(size, size, ctx);
	return err;
}

/*
 * Full check (see store.h); *bad gets the first bad leaf index (the first
 * leaf under a bad hash), UINT64_MAX when all is well.
 */
int
store_check_full(struct store *s, uint64_t *bad, struct pt_why *why,
    void (*progress)(uint64_t done, uint64_t total, void *ctx), void *ctx)
{
	struct store_check res;
	int rc;

	rc = store_check_full_report(s, &res, why, progress, ctx);
	if (bad != NULL)
		*bad = res.index;
	return rc;
}
