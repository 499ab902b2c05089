/*
 * test_store_groups.c: the stored hashes (store_groups.c), against an
 * in-memory tree: every complete subtree hash through store_get_hashes
 * and through the proof reader (which reads levels 1..3 and 5..7 from
 * one group per band, and levels 12 and above from memory), in order and
 * in a scattered order, hash tiles as ranges, the batch's reader over its
 * own writes, and the upper levels across batch boundaries, aborts and
 * reopens.  Real LMDB under /tmp.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "store_fixture.h"

/* A store of 512 entries in batches of odd sizes; m gets its leaves. */
static struct store *
build512(struct memtree *m)
{
	static const uint64_t batches[] = { 1, 15, 16, 17, 100, 300, 1, 62 };
	struct store *s;
	uint64_t start = 0;

	dir_make();
	s = open_ok(0);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		ck_assert_int_eq(append_batch(s, m, start, batches[i], 40, 200,
		    5000 + i), 0);
		start += batches[i];
	}
	ck_assert_uint_eq(start, 512);
	return s;
}

START_TEST(every_hash_two_ways)
{
	struct memtree m = { 0 };
	struct store *s;
	struct store_txn *t;
	struct mt_reader rd;
	struct mt_hash tile[256], want;
	uint64_t size;

	s = build512(&m);
	store_close(s);
	s = open_ok(0);
	size = store_size(s);
	check_roots(s, &m, 1);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	store_txn_reader(t, &rd);
	/* Every complete subtree hash, stored levels (0, 4 ..) and the
	 * levels hashed up from them, one at a time and as ranges; and
	 * through the proof reader. */
	for (unsigned l = 0; l <= 9; l++) {
		uint64_t cnt = size >> l;

		for (uint64_t n = 0; n < cnt; n++) {
			ck_assert_int_eq(store_get_hashes(t, l, n, 1, tile), 0);
			ck_assert_int_eq(mem_read(&m, l, n, &want), 0);
			ck_assert_msg(memcmp(tile[0].b, want.b, 32) == 0,
			    "hash (%u,%llu)", l, (unsigned long long)n);
			ck_assert_int_eq(rd.read(rd.ctx, l, n, &tile[1]), 0);
			ck_assert_msg(memcmp(tile[1].b, want.b, 32) == 0,
			    "reader: hash (%u,%llu)", l, (unsigned long long)n);
		}
		ck_assert_int_eq(store_get_hashes(t, l, cnt, 1, tile),
		    PT_ENOTFOUND);
		ck_assert_int_eq(rd.read(rd.ctx, l, cnt, &tile[0]),
		    PT_ENOTFOUND);
		if (cnt > 2) {
			unsigned c = (unsigned)(cnt - 1 > 256 ? 256 : cnt - 1);

			ck_assert_int_eq(store_get_hashes(t, l, 1, c, tile), 0);
			for (unsigned i = 0; i < c; i++) {
				ck_assert_int_eq(mem_read(&m, l, 1 + i, &want),
				    0);
				ck_assert_mem_eq(tile[i].b, want.b, 32);
			}
		}
	}
	/* Scattered: each read jumps to another group and band, so the
	 * band cache must follow (a proof's pattern, and worse). */
	for (uint64_t k = 0; k < 2000; k++) {
		unsigned l = (unsigned)((k * 7) % 10);
		uint64_t cnt = size >> l, n;

		if (cnt == 0)
			continue;
		n = (k * 2654435761u) % cnt;
		ck_assert_int_eq(rd.read(rd.ctx, l, n, &tile[0]), 0);
		ck_assert_int_eq(mem_read(&m, l, n, &want), 0);
		ck_assert_msg(memcmp(tile[0].b, want.b, 32) == 0,
		    "scattered: hash (%u,%llu)", l, (unsigned long long)n);
	}
	/* Hash tiles: level 0 tiles 0 and 1 (full), level 8 tile 0 (width
	 * 2), and a partial read from the middle of a group. */
	ck_assert_int_eq(store_get_hashes(t, 0, 0, 256, tile), 0);
	ck_assert_mem_eq(tile, m.leaf, 256 * sizeof(struct mt_hash));
	ck_assert_int_eq(store_get_hashes(t, 0, 256, 256, tile), 0);
	ck_assert_mem_eq(tile, m.leaf + 256, 256 * sizeof(struct mt_hash));
	ck_assert_int_eq(store_get_hashes(t, 8, 0, 2, tile), 0);
	for (uint64_t n = 0; n < 2; n++) {
		ck_assert_int_eq(mem_read(&m, 8, n, &want), 0);
		ck_assert_mem_eq(tile[n].b, want.b, 32);
	}
	ck_assert_int_eq(store_get_hashes(t, 3, 5, 50, tile), 0);
	for (uint64_t n = 0; n < 50; n++) {
		ck_assert_int_eq(mem_read(&m, 3, 5 + n, &want), 0);
		ck_assert_mem_eq(tile[n].b, want.b, 32);
	}
	ck_assert_int_eq(store_get_hashes(t, 9, 0, 1, tile), 0);
	ck_assert_int_eq(store_get_hashes(t, 8, 0, 3, tile), PT_ENOTFOUND);
	ck_assert_int_eq(store_get_hashes(t, 0, 500, 13, tile), PT_ENOTFOUND);
	ck_assert_int_eq(store_get_hashes(t, 10, 0, 1, tile), PT_ENOTFOUND);
	ck_assert_int_eq(store_get_hashes(t, 64, 0, 1, tile), PT_EINVAL);
	ck_assert_int_eq(store_get_hashes(t, 0, 0, 0, tile), PT_EINVAL);
	store_read_end(t);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

/* Inside a batch the reader sees the batch's own hashes, partial groups
 * included, and the root read back agrees with the memory tree's; a
 * committed read txn does not see them. */
START_TEST(batch_reader_own_writes)
{
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct mt_reader r;
	struct mt_hash h, want, root;
	uint8_t e[256];
	char id[64];
	size_t len = 0, idlen;
	uint64_t start;

	s = build512(&m);
	start = store_size(s);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	store_batch_reader(b, &r);
	/* 37 more: completes (4, 32) and (5, 16), leaves (0, 548) partial. */
	for (uint64_t i = start; i < start + 37; i++) {
		len = make_entry(i, e, 40, 200);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, id,
		    idlen, NULL), 0);
		mem_push(&m, &h);
		ck_assert_int_eq(r.read(r.ctx, 0, i, &want), 0);
		ck_assert_mem_eq(want.b, h.b, 32);
	}
	for (unsigned l = 0; l <= 9; l++)
		for (uint64_t n = 0; n < m.n >> l; n++) {
			ck_assert_int_eq(r.read(r.ctx, l, n, &h), 0);
			ck_assert_int_eq(mem_read(&m, l, n, &want), 0);
			ck_assert_msg(memcmp(h.b, want.b, 32) == 0,
			    "batch: hash (%u,%llu)", l, (unsigned long long)n);
		}
	ck_assert_int_eq(r.read(r.ctx, 0, m.n, &h), PT_ENOTFOUND);
	ck_assert_int_eq(store_batch_root(b, &root), 0);
	mem_root(&m, m.n, &want);
	ck_assert_mem_eq(root.b, want.b, 32);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	{
		struct mt_reader tr;

		store_txn_reader(t, &tr);
		ck_assert_int_eq(tr.read(tr.ctx, 0, start, &h), PT_ENOTFOUND);
		ck_assert_int_eq(store_get_hashes(t, 4, 32, 1, &h),
		    PT_ENOTFOUND);
	}
	store_read_end(t);
	/* A poisoned batch's reader refuses. */
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "x", 1,
	    NULL), PT_ECORRUPT);
	ck_assert_int_eq(r.read(r.ctx, 0, 0, &h), PT_EPOISONED);
	store_batch_abort(b);
	ck_assert_uint_eq(store_size(s), start);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

/* ---- the upper levels (12 and above), kept in memory ---- */

/* Hashes (level, 0 .. size >> level) of levels 12 and 13 through a read
 * txn equal the memory tree's. */
static void
check_upper(struct store *s, struct memtree *m)
{
	struct store_txn *t;
	struct mt_hash got, want;

	ck_assert_int_eq(store_read_begin(s, &t), 0);
	for (unsigned l = 12; l <= 13; l++) {
		for (uint64_t n = 0; n < (m->n >> l); n++) {
			ck_assert_int_eq(store_get_hashes(t, l, n, 1, &got), 0);
			ck_assert_int_eq(mem_read(m, l, n, &want), 0);
			ck_assert_mem_eq(got.b, want.b, 32);
		}
		ck_assert_int_eq(store_get_hashes(t, l, m->n >> l, 1, &got),
		    PT_ENOTFOUND);
	}
	store_read_end(t);
}

START_TEST(upper_levels)
{
	/* Batches that end exactly on, just before and just after the
	 * 4096-entry boundaries, up to 3 x 4096 + 5 entries; an aborted
	 * batch across a boundary must leave nothing behind in memory. */
	static const uint64_t batches[] = { 4095, 1, 4096, 1000, 3096, 5 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	uint64_t start = 0;

	dir_make();
	s = open_ok(0);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		ck_assert_int_eq(append_batch(s, &m, start, batches[i], 20, 40,
		    100 + i), 0);
		start += batches[i];
		check_upper(s, &m);
		if (i == 2) {
			/* Appends across the next boundary, then abort. */
			uint8_t e[64];
			char id[64];
			size_t len, idlen;
			struct mt_hash h;

			ck_assert_int_eq(store_batch_begin(s, &b), 0);
			for (uint64_t j = start; j < start + 4096; j++) {
				len = make_entry(j + 1000000, e, 20, 40);
				make_id(j + 1000000, id, sizeof(id), &idlen);
				ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
				ck_assert_int_eq(store_batch_append(b, e, len,
				    &h, sub_a, id, idlen, NULL), 0);
			}
			store_batch_abort(b);
			check_upper(s, &m);
		}
	}
	ck_assert_uint_eq(start, 3 * 4096 + 5);
	check_roots(s, &m, 509);
	store_close(s);
	/* Loaded again from LMDB at open. */
	s = open_ok(0);
	check_upper(s, &m);
	check_roots(s, &m, 509);
	store_close(s);
	dir_remove();
	free(m.leaf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_groups");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, every_hash_two_ways);
	tcase_add_test(tc, batch_reader_own_writes);
	tcase_add_test(tc, upper_levels);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
