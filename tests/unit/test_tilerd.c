/*
 * test_tilerd.c: Merkle proofs computed from C2SP tlog-tiles hash tiles.
 *
 * A tree of 70,000 leaves (the tlog-tiles spec's example size: partial
 * tiles at levels 0, 1 and 2) is built with mt_append into per-level
 * arrays of stored hashes; tiles are cut from those arrays as the spec
 * defines them (tile (L, N) holds the stored hashes of tree level 8L at
 * N*256 ..).  For trees of many sizes the reader over tiles must give the
 * same roots, inclusion proofs and consistency proofs as the reader over
 * the arrays, the proofs must verify, a partial tile the source no longer
 * has must be replaced by its full tile, and a tile of the wrong length or
 * a failing fetch must be an error.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "ptlimits.h"
#include "pt.h"
#include "tile.h"
#include "tilerd.h"

#define NLEAF	70000u
#define NLEVEL	18

static struct mt_hash *lvl[NLEVEL];	/* stored hashes by tree level */
static uint64_t cnt[NLEVEL];

static int
arr_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	(void)ctx;
	if (level >= NLEVEL || n >= cnt[level])
		return PT_ERANGE;
	*out = lvl[level][n];
	return 0;
}

static void
build(void)
{
	struct mt_reader r = { arr_read, NULL };

	if (lvl[0] != NULL)
		return;
	for (unsigned l = 0; l < NLEVEL; l++)
		ck_assert_ptr_nonnull(lvl[l] = calloc(NLEAF, sizeof(**lvl)));
	for (uint64_t i = 0; i < NLEAF; i++) {
		struct mt_stored st[64];
		struct mt_hash leaf;
		uint8_t d[8];
		size_t c;

		for (int k = 0; k < 8; k++)
			d[k] = (uint8_t)(i >> (8 * k));
		ck_assert_int_eq(mt_leaf_hash(d, sizeof(d), &leaf), 0);
		ck_assert_int_eq(mt_append(&r, i, &leaf, st, &c), 0);
		for (size_t k = 0; k < c; k++) {
			ck_assert_uint_lt(st[k].level, NLEVEL);
			ck_assert_uint_eq(st[k].n, cnt[st[k].level]);
			lvl[st[k].level][st[k].n] = st[k].hash;
			cnt[st[k].level]++;
		}
	}
}

/* The tile source: tiles of the tree of size `have`; with drop_partial,
 * partial tiles are "deleted" wherever their full tile exists. */
struct src {
	uint64_t have;
	int drop_partial;
	int fail;			/* return this from every fetch */
	int short_by;			/* serve tiles this many bytes short */
	unsigned fetches, full_for_partial;
};

static int
src_fetch(void *ctx, const struct tile *t, uint8_t *out, size_t *len,
    struct pt_why *why)
{
	struct src *s = ctx;
	struct tile q = *t;
	unsigned w;

	ck_assert(!t->entries);
	s->fetches++;
	if (s->fail)
		return pt_why_set(why, s->fail, "fetch failed");
	if (tile_width_at(&q, s->have, &w) != 0 || t->width > w)
		return PT_ENOTFOUND;
	if (t->width < TILE_WIDTH && s->drop_partial && w == TILE_WIDTH)
		return PT_ENOTFOUND;
	if (t->width == TILE_WIDTH && w == TILE_WIDTH)
		s->full_for_partial++;
	for (unsigned i = 0; i < t->width; i++)
		memcpy(out + 32 * i, lvl[8 * t->level][t->n * TILE_WIDTH + i].b,
		    32);
	*len = 32 * (size_t)t->width - (size_t)s->short_by;
	return 0;
}

static const uint64_t sizes[] = { 1, 2, 3, 7, 255, 256, 257, 511, 512,
    65535, 65536, 65537, 65792, 69999, 70000 };

START_TEST(roots_and_proofs)
{
	struct mt_reader ar = { arr_read, NULL };

	build();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size = sizes[i];
		struct src s = { .have = size };
		struct tilerd *t;
		struct mt_reader tr;
		struct mt_frontier fr;
		struct mt_hash want, got, p1[PT_MAX_PROOF], p2[PT_MAX_PROOF];
		size_t n1, n2;
		struct pt_why why = { "" };

		ck_assert_int_eq(tilerd_new(size, src_fetch, &s, &why, &t), 0);
		tilerd_reader(t, &tr);
		ck_assert_int_eq(mt_root(&ar, size, &want), 0);
		ck_assert_int_eq(mt_root(&tr, size, &got), 0);
		ck_assert_mem_eq(want.b, got.b, 32);
		ck_assert_int_eq(tilerd_frontier(t, &fr), 0);
		ck_assert_uint_eq(fr.size, size);
		ck_assert_int_eq(mt_frontier_root(&fr, &got), 0);
		ck_assert_mem_eq(want.b, got.b, 32);
		for (uint64_t idx = 0; idx < size; idx += 1 + size / 7) {
			ck_assert_int_eq(mt_inclusion_proof(&ar, idx, size, p1,
			    PT_MAX_PROOF, &n1), 0);
			ck_assert_int_eq(mt_inclusion_proof(&tr, idx, size, p2,
			    PT_MAX_PROOF, &n2), 0);
			ck_assert_uint_eq(n1, n2);
			ck_assert_mem_eq(p1, p2, n1 * sizeof(*p1));
			ck_assert_int_eq(mt_verify_inclusion(&lvl[0][idx], idx,
			    size, p2, n2, &want), 0);
		}
		for (uint64_t old = 1; old <= size; old += 1 + size / 5) {
			struct mt_hash oroot;

			ck_assert_int_eq(mt_consistency_proof(&ar, old, size,
			    p1, PT_MAX_PROOF, &n1), 0);
			ck_assert_int_eq(mt_consistency_proof(&tr, old, size,
			    p2, PT_MAX_PROOF, &n2), 0);
			ck_assert_uint_eq(n1, n2);
			ck_assert_mem_eq(p1, p2, n1 * sizeof(*p1));
			ck_assert_int_eq(mt_root(&ar, old, &oroot), 0);
			ck_assert_int_eq(mt_verify_consistency(old, size,
			    &oroot, &want, p2, n2), 0);
		}
		/* O(log n) tiles, not one per read: a handful of levels,
		 * two sides of the tree, eight slots. */
		ck_assert_uint_le(tilerd_fetches(t), 200);
		tilerd_free(t);
	}
}
END_TEST

/* A source that has grown to 70,000 and deleted the partial tiles whose
 * full tiles exist: the full tiles stand in, and the results are those of
 * the smaller tree. */
START_TEST(partial_replaced_by_full)
{
	struct mt_reader ar = { arr_read, NULL };
	uint64_t size = 300;	/* level-0 tile 1 of width 44 */
	struct src s = { .have = NLEAF, .drop_partial = 1 };
	struct tilerd *t;
	struct mt_reader tr;
	struct mt_hash want, got, p1[PT_MAX_PROOF], p2[PT_MAX_PROOF];
	size_t n1, n2;

	build();
	ck_assert_int_eq(tilerd_new(size, src_fetch, &s, NULL, &t), 0);
	tilerd_reader(t, &tr);
	ck_assert_int_eq(mt_root(&ar, size, &want), 0);
	ck_assert_int_eq(mt_root(&tr, size, &got), 0);
	ck_assert_mem_eq(want.b, got.b, 32);
	ck_assert_uint_ge(s.full_for_partial, 1);
	ck_assert_int_eq(mt_inclusion_proof(&ar, 299, size, p1, PT_MAX_PROOF,
	    &n1), 0);
	ck_assert_int_eq(mt_inclusion_proof(&tr, 299, size, p2, PT_MAX_PROOF,
	    &n2), 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(p1, p2, n1 * sizeof(*p1));
	tilerd_free(t);
	/* A source that has neither (it is behind): not found. */
	s.have = 200;
	s.drop_partial = 0;
	ck_assert_int_eq(tilerd_new(size, src_fetch, &s, NULL, &t), 0);
	tilerd_reader(t, &tr);
	ck_assert_int_eq(mt_root(&tr, size, &got), PT_ENOTFOUND);
	tilerd_free(t);
}
END_TEST

START_TEST(bad_tiles_and_failures)
{
	struct src s = { .have = 1000, .short_by = 1 };
	struct tilerd *t;
	struct mt_reader tr;
	struct mt_hash got;
	struct pt_why why = { "" };

	build();
	ck_assert_int_eq(tilerd_new(1000, src_fetch, &s, &why, &t), 0);
	tilerd_reader(t, &tr);
	ck_assert_int_eq(mt_root(&tr, 1000, &got), PT_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(why.text, "bytes, want"));
	tilerd_free(t);

	s.short_by = 0;
	s.fail = PT_ENET;
	why.text[0] = '\0';
	ck_assert_int_eq(tilerd_new(1000, src_fetch, &s, &why, &t), 0);
	tilerd_reader(t, &tr);
	ck_assert_int_eq(mt_root(&tr, 1000, &got), PT_ENET);
	ck_assert_str_eq(why.text, "fetch failed");
	tilerd_free(t);

	/* A full tile standing in for a partial one must be full. */
	s.fail = 0;
	s.have = NLEAF;
	s.drop_partial = 1;
	s.short_by = 32;
	ck_assert_int_eq(tilerd_new(300, src_fetch, &s, &why, &t), 0);
	tilerd_reader(t, &tr);
	ck_assert_int_eq(mt_root(&tr, 300, &got), PT_EMALFORMED);
	tilerd_free(t);

	ck_assert_int_eq(tilerd_new(0, src_fetch, &s, &why, &t), PT_ERANGE);
	ck_assert_int_eq(tilerd_new(PT_MAX_TREE_SIZE + 1, src_fetch, &s, &why,
	    &t), PT_ERANGE);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tilerd");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, roots_and_proofs);
	tcase_add_test(tc, partial_replaced_by_full);
	tcase_add_test(tc, bad_tiles_and_failures);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
