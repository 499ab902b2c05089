/*
 * tilerd.c: an mt_reader over C2SP tlog-tiles hash tiles (tilerd.h).
 *
 * Work per subtree read: at most one tile fetch (none when the tile is
 * among the last TILERD_SLOTS used) and 2^(level % 8) - 1 node hashes.
 * An inclusion or consistency proof reads O(log size) subtrees from
 * O(log size / 8) tiles per side of the tree.
 */
#include <stdlib.h>
#include <string.h>

#include "ptlimits.h"
#include "tilerd.h"

struct slot {
	int used;
	unsigned level;			/* tile level */
	uint64_t n;
	unsigned width;			/* hashes held (the tree's width) */
	uint64_t stamp;			/* last use, for eviction */
	uint8_t data[TILE_WIDTH * MT_HASH_SIZE];
};

struct tilerd {
	uint64_t size;
	tilerd_fetch_fn fetch;
	void *ctx;
	struct pt_why *why;
	uint64_t clock, fetches;
	struct slot slot[TILERD_SLOTS];
};

int
tilerd_new(uint64_t size, tilerd_fetch_fn fetch, void *ctx,
    struct pt_why *why, struct tilerd **out)
{
	struct tilerd *r;

	*out = NULL;
	if (size == 0 || size > PT_MAX_TREE_SIZE)
		return PT_ERANGE;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return PT_ENOMEM;
	r->size = size;
	r->fetch = fetch;
	r->ctx = ctx;
	r->why = why;
	*out = r;
	return 0;
}

void
tilerd_free(struct tilerd *r)
{
	free(r);
}

uint64_t
tilerd_fetches(const struct tilerd *r)
{
	return r->fetches;
}

/* Fetch tile t (its width in the tree) into s; a missing partial tile is
 * replaced by the first hashes of its full tile. */
static int
load(struct tilerd *r, const struct tile *t, struct slot *s)
{
	struct tile full = *t;
	size_t len = 0;
	int rc;

	s->used = 0;
	rc = r->fetch(r->ctx, t, s->data, &len, r->why);
	if (rc == 0)
		r->fetches++;
	if (rc == PT_ENOTFOUND && t->width < TILE_WIDTH) {
		full.width = TILE_WIDTH;
		if ((rc = r->fetch(r->ctx, &full, s->data, &len, r->why)) ==
		    0) {
			r->fetches++;
			if (len != TILE_WIDTH * MT_HASH_SIZE)
				return pt_why_set(r->why, PT_EMALFORMED,
				    "hash tile %u/%llu (full, for width %u) "
				    "has %zu bytes, want %u", t->level,
				    (unsigned long long)t->n, t->width, len,
				    TILE_WIDTH * MT_HASH_SIZE);
			len = (size_t)t->width * MT_HASH_SIZE;
		}
	}
	if (rc != 0)
		return rc;
	if (len != (size_t)t->width * MT_HASH_SIZE)
		return pt_why_set(r->why, PT_EMALFORMED, "hash tile %u/%llu "
		    "of width %u has %zu bytes, want %u", t->level,
		    (unsigned long long)t->n, t->width, len,
		    t->width * MT_HASH_SIZE);
	s->used = 1;
	s->level = t->level;
	s->n = t->n;
	s->width = t->width;
	return 0;
}

/* The slot holding tile (level, n), fetched when absent. */
static int
tile_get(struct tilerd *r, unsigned level, uint64_t n, struct slot **out)
{
	struct slot *victim = &r->slot[0];
	struct tile t;
	unsigned w;
	int rc;

	for (size_t i = 0; i < TILERD_SLOTS; i++) {
		struct slot *s = &r->slot[i];

		if (s->used && s->level == level && s->n == n) {
			s->stamp = ++r->clock;
			*out = s;
			return 0;
		}
		if (!s->used || (victim->used && s->stamp < victim->stamp))
			victim = s;
	}
	memset(&t, 0, sizeof(t));
	t.level = level;
	t.n = n;
	t.width = TILE_WIDTH;
	if (tile_width_at(&t, r->size, &w) != 0)
		return PT_ERANGE;
	t.width = w;
	if ((rc = load(r, &t, victim)) != 0)
		return rc;
	victim->stamp = ++r->clock;
	*out = victim;
	return 0;
}

static int
read_subtree(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct tilerd *r = ctx;
	unsigned tl = level / TILE_HEIGHT, sub = level % TILE_HEIGHT;
	size_t cnt = (size_t)1 << sub;
	struct mt_hash h[TILE_WIDTH / 2];
	struct slot *s;
	uint64_t first;
	size_t off;
	int rc;

	if (tl > TILE_MAX_LEVEL || n > (UINT64_MAX >> sub))
		return PT_ERANGE;
	first = n << sub;		/* first stored hash at level 8*tl */
	if ((rc = tile_get(r, tl, first / TILE_WIDTH, &s)) != 0)
		return rc;
	off = (size_t)(first % TILE_WIDTH);
	if (off + cnt > s->width)
		return PT_ERANGE;
	if (cnt == 1) {
		memcpy(out->b, s->data + MT_HASH_SIZE * off, MT_HASH_SIZE);
		return 0;
	}
	/* The first round reads pairs from the tile, later ones from h. */
	for (size_t i = 0; i < cnt / 2; i++) {
		struct mt_hash a, b;

		memcpy(a.b, s->data + MT_HASH_SIZE * (off + 2 * i),
		    MT_HASH_SIZE);
		memcpy(b.b, s->data + MT_HASH_SIZE * (off + 2 * i + 1),
		    MT_HASH_SIZE);
		if ((rc = mt_node_hash(&a, &b, &h[i])) != 0)
			return rc;
	}
	for (cnt /= 2; cnt > 1; cnt /= 2)
		for (size_t i = 0; i < cnt / 2; i++)
			if ((rc = mt_node_hash(&h[2 * i], &h[2 * i + 1],
			    &h[i])) != 0)
				return rc;
	*out = h[0];
	return 0;
}

void
tilerd_reader(struct tilerd *r, struct mt_reader *out)
{
	out->read = read_subtree;
	out->ctx = r;
}

int
tilerd_frontier(struct tilerd *r, struct mt_frontier *out)
{
	struct mt_reader rd;
	uint64_t lo = 0;
	int rc;

	tilerd_reader(r, &rd);
	mt_frontier_init(out);
	for (int b = 63; b >= 0; b--) {
		uint64_t bit = (uint64_t)1 << b;

		if ((r->size & bit) == 0)
			continue;
		if ((rc = mt_range_hash(&rd, lo, lo + bit,
		    &out->h[out->count])) != 0)
			return rc;
		out->count++;
		lo += bit;
	}
	out->size = r->size;
	return 0;
}
