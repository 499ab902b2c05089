/*
 * store_groups.c: the stored hashes of the tree (see the essay in store.c).
 *
 * hash/LL holds the complete subtree hashes of level LL (00, and 04 .. 63),
 * 16 consecutive ones to a 512-byte value keyed by n >> 4; levels 1..3 are
 * hashed up from level 0 when read.  Hash (L, n) exists iff
 * (n + 1) << L <= size: readers refuse anything beyond, the writer checks
 * that a slot it fills is still zero.
 *
 * Reading: store_grp_read_db (one lookup per hash, or none when a read
 * transaction's band cache holds the group) and, for read transactions,
 * the levels 12 and above from memory.  Writing: the batch keeps the
 * rightmost group of each stored level in memory and puts a group once
 * when it completes and once more at the end of the batch if still
 * partial.  Hash tiles: store_get_hashes, one cursor range.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/*
 * Hash (level, n) as of tree size bound: PT_ENOTFOUND when it is not
 * complete in that tree, PT_ECORRUPT when it should be stored and is not.
 * A stored level (0, or 4 and above) is copied from its group; a hash of
 * level 1..3 is hashed up from the 2^level leaf hashes it covers, which lie
 * in one level-0 group (at most 7 node hashes).  One B-tree lookup either
 * way, none when gc (may be NULL; read transactions only) holds the group.
 *
 * With gc, levels 5..7 are read the same way from level 4: the level-4
 * group of a proof's leaf holds its nodes at levels 4..7, so a proof does
 * one lookup for that band instead of four.  At 10M entries the trees of
 * levels 5..7 are 10, 5 and 2.5 MB, and each descent into them misses the
 * CPU caches; 11 node hashes cost less (docs/STORAGE.md).  Without gc
 * (the write batch, the full check) stored hashes are read as stored.
 */
static int
hash_read_db(const struct store *s, MDB_txn *txn, struct gcache *gc,
    uint64_t bound, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct mt_hash h[1u << (BAND_LEVELS - 1)];
	const uint8_t *grp;
	unsigned base, band, up, w;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t n0;
	int rc, cached;

	if (level >= STORE_LEVELS || n >= (bound >> level))
		return PT_ENOTFOUND;
	band = level / BAND_LEVELS;
	cached = gc != NULL && band < CACHED_BANDS;
	if (!STORED(level) || cached)
		base = band * BAND_LEVELS;
	else
		base = level;
	up = level - base;
	n0 = n << up;
	if (cached && gc->ok[band] && gc->g[band] == n0 >> GROUP_SHIFT)
		grp = gc->data[band];
	else {
		put_be64(kb, n0 >> GROUP_SHIFT);
		rc = mdb_get(txn, s->level[base], &k, &d);
		if (rc == MDB_NOTFOUND || (rc == 0 &&
		    d.mv_size != GROUP_BYTES))
			return PT_ECORRUPT;
		if (rc != 0)
			return store_map_err(rc);
		grp = d.mv_data;
		if (cached) {
			gc->ok[band] = 1;
			gc->g[band] = n0 >> GROUP_SHIFT;
			gc->data[band] = grp;
		}
	}
	w = 1u << up;
	memcpy(h, grp + (n0 & (GROUP_SLOTS - 1)) * MT_HASH_SIZE,
	    w * MT_HASH_SIZE);
	for (; w > 1; w /= 2)
		for (unsigned i = 0; i < w / 2; i++)
			if ((rc = mt_node_hash(&h[2 * i], &h[2 * i + 1],
			    &h[i])) != 0)
				return rc;
	*out = h[0];
	return 0;
}

int
store_grp_read_db(const struct store *s, MDB_txn *txn, struct gcache *gc,
    uint64_t bound, unsigned level, uint64_t n, struct mt_hash *out)
{
	return hash_read_db(s, txn, gc, bound, level, n, out);
}

/* ---- the upper levels, in memory ---- */

/*
 * A proof at 10M entries has 24 nodes; the ones at level 12 and above (12
 * of them at 10M, 8 at 1M) each cost a B-tree descent on pages nobody else
 * touches, which is what made proofs slower as the log grew.  Those levels
 * hold size / 4096 hashes in all (80 KB at 10M entries, 8 MB at 1G), so
 * the store keeps them in memory: loaded at open, appended after each
 * commit from the batch's right edge.  Only committed hashes enter, so the
 * memory copy agrees with LMDB; the full check and everything inside a
 * write batch (the right edge, the root read back before signing) read
 * LMDB itself (hash_read_db).
 */
static int
upper_read(const struct store *s, unsigned level, uint64_t n,
    struct mt_hash *out)
{
	const struct upper *u = &s->up[level];

	if (level < UPPER_LEVEL || level >= STORE_LEVELS ||
	    n >= atomic_load_explicit(&u->count, memory_order_acquire))
		return PT_ENOTFOUND;
	*out = atomic_load_explicit(&u->h, memory_order_acquire)[n];
	return 0;
}

/* Append hash (level, n), the next of its level.  Sequencer (or open)
 * only.  PT_ENOMEM, PT_EINVAL when n is not the next one. */
static int
upper_push(struct store *s, unsigned level, uint64_t n,
    const struct mt_hash *h)
{
	struct upper *u = &s->up[level];
	uint64_t c = atomic_load_explicit(&u->count, memory_order_relaxed);
	struct mt_hash *a = atomic_load_explicit(&u->h, memory_order_relaxed);

	if (n != c)
		return PT_EINVAL;
	if (c == u->cap) {
		uint64_t cap = u->cap == 0 ? 64 : 2 * u->cap;
		struct mt_hash *na = malloc(cap * sizeof(*na));
		struct retired *r = malloc(sizeof(*r));

		if (na == NULL || r == NULL) {
			free(na);
			free(r);
			return PT_ENOMEM;
		}
		if (c > 0)
			memcpy(na, a, c * sizeof(*na));
		if (a != NULL) {
			r->p = a;
			r->next = s->retired;
			s->retired = r;
		} else
			free(r);
		atomic_store_explicit(&u->h, na, memory_order_release);
		u->cap = cap;
		a = na;
	}
	a[c] = *h;
	atomic_store_explicit(&u->count, c + 1, memory_order_release);
	return 0;
}

/* Forget every upper level (the next reads go to LMDB until reloaded). */
static void
upper_clear(struct store *s)
{
	for (unsigned l = UPPER_LEVEL; l < STORE_LEVELS; l++)
		atomic_store_explicit(&s->up[l].count, 0,
		    memory_order_release);
}

/* Load the upper levels of a tree of size from txn.  O(size / 4096). */
int
store_upper_load(struct store *s, MDB_txn *txn, uint64_t size)
{
	struct mt_hash h;
	int rc;

	upper_clear(s);
	for (unsigned l = UPPER_LEVEL; l < STORE_LEVELS; l++)
		for (uint64_t n = 0; n < (size >> l); n++)
			if ((rc = hash_read_db(s, txn, NULL, size, l, n,
			    &h)) != 0 || (rc = upper_push(s, l, n, &h)) != 0) {
				upper_clear(s);
				return rc;
			}
	return 0;
}

/*
 * After a commit: the hashes the batch completed at the upper levels, from
 * its right edge (a batch completes at most one per upper level; see the
 * _Static_assert in store_int.h).  If memory runs out the levels are
 * dropped and reads go to LMDB (correct, only slower).
 */
void
store_upper_commit(struct store_batch *b)
{
	struct store *s = b->s;

	for (unsigned l = UPPER_LEVEL; l < STORE_LEVELS; l++) {
		uint64_t have = atomic_load_explicit(&s->up[l].count,
		    memory_order_relaxed);
		uint64_t want = b->size >> l;

		if (want == have)
			continue;
		if (want != have + 1 ||
		    upper_push(s, l, want - 1, &b->last[l]) != 0) {
			upper_clear(s);
			return;
		}
	}
}

void
store_upper_free(struct store *s)
{
	for (unsigned l = 0; l < STORE_LEVELS; l++)
		free(atomic_load(&s->up[l].h));
	while (s->retired != NULL) {
		struct retired *r = s->retired;

		s->retired = r->next;
		free(r->p);
		free(r);
	}
}

/* Hash (level, n): from memory for the upper levels, else hash_read_db. */
static int
hash_read(const struct store *s, MDB_txn *txn, struct gcache *gc,
    uint64_t bound, unsigned level, uint64_t n, struct mt_hash *out)
{
	if (level >= UPPER_LEVEL && level < STORE_LEVELS &&
	    n < (bound >> level) && upper_read(s, level, n, out) == 0)
		return 0;
	return hash_read_db(s, txn, gc, bound, level, n, out);
}

/* ---- writing, a group at a time ---- */

/*
 * Put the open group of level: a new group with MDB_APPEND (each level's
 * database grows at its end); a group stored by an earlier batch is
 * rewritten with a value of the same size, which LMDB does in place.
 */
static int
group_put(struct store_batch *b, unsigned level)
{
	struct open_group *o = &b->og[level];
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d = { GROUP_BYTES, o->buf };
	int rc;

	put_be64(kb, o->g);
	rc = mdb_put(b->txn, b->s->level[level], &k, &d,
	    o->stored ? 0 : MDB_APPEND);
	if (rc == MDB_KEYEXIST)
		return PT_ECORRUPT;
	if (rc != 0)
		return store_map_err(rc);
	o->stored = 1;
	o->dirty = 0;
	return 0;
}

/* Put every dirty open group, before anything reads hashes in the batch
 * and before the commit.  Poisons on failure. */
int
store_grp_flush(struct store_batch *b)
{
	int rc;

	for (unsigned l = 0; l < STORE_LEVELS; l = NEXT_STORED(l))
		if (b->og[l].dirty &&
		    (rc = group_put(b, l)) != 0)
			return poison(b, rc);
	b->dirty = 0;
	return 0;
}

/* Load the right edge at batch begin: last[] (every level) and the
 * partial groups (stored levels).  O(levels) lookups. */
int
store_grp_edge_load(struct store_batch *b)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	for (unsigned l = 0; l < STORE_LEVELS; l++) {
		struct open_group *o = &b->og[l];
		uint64_t cnt = b->size >> l;

		if (cnt > 0 && (rc = hash_read_db(b->s, b->txn, NULL,
		    b->size, l, cnt - 1, &b->last[l])) != 0)
			return rc;
		if (!STORED(l))
			continue;
		o->g = cnt >> GROUP_SHIFT;
		o->stored = o->dirty = 0;
		memset(o->buf, 0, GROUP_BYTES);
		if ((cnt & (GROUP_SLOTS - 1)) == 0)
			continue;
		put_be64(kb, o->g);
		rc = mdb_get(b->txn, b->s->level[l], &k, &d);
		if (rc == MDB_NOTFOUND || (rc == 0 && d.mv_size != GROUP_BYTES))
			return PT_ECORRUPT;
		if (rc != 0)
			return store_map_err(rc);
		memcpy(o->buf, d.mv_data, GROUP_BYTES);
		o->stored = 1;
	}
	return 0;
}

/* Set hash (level, n), the next one of its level: nothing to store on
 * a level that is not stored.  The slot must still be zero.  A completed
 * group is put at once. */
static int
hash_set(struct store_batch *b, unsigned level, uint64_t n,
    const struct mt_hash *h)
{
	static const uint8_t zero[MT_HASH_SIZE];
	struct open_group *o;
	unsigned slot = (unsigned)(n & (GROUP_SLOTS - 1));
	int rc;

	if (level >= STORE_LEVELS)
		return PT_EINVAL;
	if (!STORED(level))
		return 0;
	o = &b->og[level];
	if ((n >> GROUP_SHIFT) != o->g) {
		/* The previous group was completed and put. */
		if (o->dirty || (n >> GROUP_SHIFT) != o->g + 1 || slot != 0)
			return PT_ECORRUPT;
		o->g++;
		o->stored = 0;
		memset(o->buf, 0, GROUP_BYTES);
	}
	if (memcmp(o->buf + slot * MT_HASH_SIZE, zero, MT_HASH_SIZE) != 0)
		return PT_ECORRUPT;	/* slot already written */
	memcpy(o->buf + slot * MT_HASH_SIZE, h->b, MT_HASH_SIZE);
	o->dirty = 1;
	b->dirty = 1;
	if (slot == GROUP_SLOTS - 1 && (rc = group_put(b, level)) != 0)
		return rc;
	return 0;
}

/*
 * The complete subtrees leaf i completes, (0, i) first, each hashed from
 * the right edge kept in the batch (each left sibling is last[level]).
 * O(levels completed) node hashes; a put per group completed.
 */
int
store_grp_append(struct store_batch *b, uint64_t i, const struct mt_hash *leaf)
{
	struct mt_hash h = *leaf;
	int rc;

	for (unsigned l = 0; ; l++) {
		uint64_t at = i >> l;
		struct mt_hash left = b->last[l], up;

		if ((rc = hash_set(b, l, at, &h)) != 0)
			return rc;
		b->last[l] = h;
		if (!(at & 1))
			break;
		if ((rc = mt_node_hash(&left, &h, &up)) != 0)
			return rc;
		h = up;
	}
	return 0;
}

/* ---- the readers ---- */

static int
batch_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct store_batch *b = ctx;
	int rc;

	if (b->err != 0)
		return PT_EPOISONED;
	if (b->dirty && (rc = store_grp_flush(b)) != 0)
		return rc;
	/* From LMDB, never the memory copy: store_batch_root reads back
	 * what the batch wrote. */
	return hash_read_db(b->s, b->txn, NULL, b->size, level, n, out);
}

static int
txn_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct store_txn *t = ctx;

	return hash_read(t->s, t->txn, &t->gc, t->size, level, n, out);
}

/*
 * A reader of stored hashes inside b's transaction (it sees the batch's own
 * writes, for the batch's current size).  Valid until b is committed or
 * aborted; returns PT_EPOISONED once b is poisoned.
 */
void
store_batch_reader(struct store_batch *b, struct mt_reader *r)
{
	r->read = batch_read;
	r->ctx = b;
}

/* A reader of stored hashes for t's size; valid until store_read_end. */
void
store_txn_reader(struct store_txn *t, struct mt_reader *r)
{
	r->read = txn_read;
	r->ctx = t;
}

/*
 * Copy the hashes (level, n .. n+count-1) to out[0..count-1] (caller
 * owned).  PT_EINVAL for level > 63 or count 0; PT_ENOTFOUND when any of
 * them is not complete in t's tree; PT_ECORRUPT when one should be stored
 * and is not.  On a stored level (0, and 4 and above: every hash tile's)
 * one cursor range, O(log n + count / 16); on levels 1..3 one lookup and
 * up to 7 node hashes per hash.
 */
int
store_get_hashes(struct store_txn *t, unsigned level, uint64_t n,
    unsigned count, struct mt_hash *out)
{
	MDB_cursor *c;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t avail, g;
	unsigned done = 0;
	int rc, err = 0;

	if (level >= STORE_LEVELS || count == 0 || out == NULL)
		return PT_EINVAL;
	avail = t->size >> level;
	if (n >= avail || count > avail - n)
		return PT_ENOTFOUND;
	if (!STORED(level)) {
		for (unsigned i = 0; i < count; i++)
			if ((rc = hash_read(t->s, t->txn, &t->gc, t->size,
			    level, n + i, &out[i])) != 0)
				return rc;
		return 0;
	}
	if ((rc = mdb_cursor_open(t->txn, t->s->level[level], &c)) != 0)
		return store_map_err(rc);
	g = n >> GROUP_SHIFT;
	put_be64(kb, g);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY);
	while (done < count) {
		unsigned slot = (unsigned)((n + done) & (GROUP_SLOTS - 1));

		if (rc != 0) {
			err = rc == MDB_NOTFOUND ? PT_ECORRUPT :
			    store_map_err(rc);
			break;
		}
		if (k.mv_size != 8 || get_be64(k.mv_data) != g ||
		    d.mv_size != GROUP_BYTES) {
			err = PT_ECORRUPT;
			break;
		}
		for (; slot < GROUP_SLOTS && done < count; slot++, done++)
			memcpy(out[done].b, (const uint8_t *)d.mv_data +
			    slot * MT_HASH_SIZE, MT_HASH_SIZE);
		g++;
		if (done < count)
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return err;
}
