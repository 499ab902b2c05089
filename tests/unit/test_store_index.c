/*
 * test_store_index.c: the store's indexes (store_index.c): offices and
 * exact ids keys ((submitter, id) -> index, in the log and inside a
 * batch), leaf lookups (lowest index, prefix collisions), and the leaves
 * epoch that moves from leaves/new into leaves when it completes (aborted,
 * reopened, looked up on both sides).  Real LMDB under /tmp.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "store_fixture.h"

START_TEST(offices_and_exact_ids)
{
	static const uint8_t sub_c[32] = { 0xc1 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct pt_why why = { "" };
	struct mt_hash h;
	uint8_t e[64];
	uint64_t idx;
	size_t len;

	dir_make();
	s = open_ok(0);
	/* sub_a gets office 0 (index 0), sub_b office 1. */
	ck_assert_int_eq(append_batch(s, &m, 0, 20, 40, 10, 1), 0);
	/* Same id under a third submitter; ids that are prefixes of each
	 * other ("pay-1", "pay-10") under one office: all distinct. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	len = make_entry(1000, e, 40, 0);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_batch_find_id(b, sub_c, "pay-1", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-1", 5,
	    &idx), 0);
	ck_assert_uint_eq(idx, 20);
	ck_assert_int_eq(store_batch_find_id(b, sub_c, "pay-1", 5, &idx), 0);
	ck_assert_uint_eq(idx, 20);
	ck_assert_int_eq(store_batch_find_id(b, sub_c, "pay-10", 6, &idx),
	    PT_ENOTFOUND);
	/* The same entry bytes again (another id): find_leaf answers the
	 * lowest index. */
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-10", 6,
	    &idx), 0);
	ck_assert_uint_eq(idx, 21);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-1", 5,
	    &idx), PT_ECONFLICT);
	store_batch_abort(b);
	/* The aborted batch's office number is not kept: sub_c gets 2
	 * again, and the full check counts exactly three offices. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-1", 5,
	    &idx), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-10", 6,
	    &idx), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, "n\n22\n", 5, 2), 0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_find_id(t, sub_a, "pay-1", 5, &idx),
	    PT_ENOTFOUND);	/* pay-1 was sub_b's */
	ck_assert_int_eq(store_find_id(t, sub_b, "pay-1", 5, &idx), 0);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(store_find_id(t, sub_c, "pay-1", 5, &idx), 0);
	ck_assert_uint_eq(idx, 20);
	ck_assert_int_eq(store_find_id(t, sub_c, "pay-10", 6, &idx), 0);
	ck_assert_uint_eq(idx, 21);
	ck_assert_int_eq(store_find_id(t, sub_c, "pay-2", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), 0);
	ck_assert_uint_eq(idx, 20);
	/* Bad arguments. */
	ck_assert_int_eq(store_find_id(t, sub_a, "x", 0, &idx), PT_EINVAL);
	ck_assert_int_eq(store_find_id(t, sub_a, "x", PT_MAX_ID + 1, &idx),
	    PT_EINVAL);
	ck_assert_int_eq(store_find_id(t, NULL, "x", 1, &idx), PT_EINVAL);
	store_read_end(t);
	ck_assert_int_eq(store_check_full(s, &idx, &why, NULL, NULL), 0);
	store_close(s);
	/* The ids key layout is exact: sub_a's "pay-2" (office 0, length 5)
	 * and sub_c's "pay-1" (office 2) are keys the store wrote: writing
	 * them again adds no record (the open counts them). */
	{
		static const uint8_t key02[] = { 0, 0, 0, 0, 5, 'p', 'a', 'y',
		    '-', '2' };
		static const uint8_t key21[] = { 0, 0, 0, 2, 5, 'p', 'a', 'y',
		    '-', '1' };
		static const uint8_t v2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
		static const uint8_t v20[8] = { 0, 0, 0, 0, 0, 0, 0, 20 };

		lmdb_edit("ids", key02, sizeof(key02), v2, 8, 0);
		lmdb_edit("ids", key21, sizeof(key21), v20, 8, 0);
		s = open_ok(0);
		ck_assert_int_eq(store_check_full(s, &idx, &why, NULL, NULL),
		    0);
		ck_assert_int_eq(store_read_begin(s, &t), 0);
		ck_assert_int_eq(store_find_id(t, sub_a, "pay-2", 5, &idx), 0);
		ck_assert_uint_eq(idx, 2);
		store_read_end(t);
		store_close(s);
	}
	dir_remove();
	free(m.leaf);
}
END_TEST

START_TEST(lookups_after_reopen)
{
	static const uint64_t batches[] = { 1, 15, 16, 17, 100, 300, 1, 62 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct mt_hash h;
	uint8_t e[1024];
	char id[64];
	size_t len, idlen;
	uint64_t start = 0, idx;

	dir_make();
	s = open_ok(0);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		ck_assert_int_eq(append_batch(s, &m, start, batches[i], 40, 200,
		    5000 + i), 0);
		start += batches[i];
	}
	store_close(s);
	s = open_ok(0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	for (uint64_t i = 0; i < start; i++) {
		ck_assert_int_eq(store_find_leaf(t, &m.leaf[i], &idx), 0);
		ck_assert_uint_eq(idx, i);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(store_find_id(t, i % 2 ? sub_b : sub_a, id,
		    idlen, &idx), 0);
		ck_assert_uint_eq(idx, i);
		/* the other submitter never used this id */
		ck_assert_int_eq(store_find_id(t, i % 2 ? sub_a : sub_b, id,
		    idlen, &idx), PT_ENOTFOUND);
	}
	memset(h.b, 0x55, 32);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	/* same prefix as a real leaf, different hash: not found */
	h = m.leaf[77];
	h.b[31] ^= 1;
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	ck_assert_int_eq(store_find_id(t, sub_a, "nope", 4, &idx),
	    PT_ENOTFOUND);
	store_read_end(t);

	/* Inside a batch: own writes are visible to find_id; a committed
	 * read txn does not see them. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	make_id(5, id, sizeof(id), &idlen);
	ck_assert_int_eq(store_batch_find_id(b, sub_b, id, idlen, &idx), 0);
	ck_assert_uint_eq(idx, 5);
	len = make_entry(start, e, 40, 200);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "fresh", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "fresh", 5,
	    &idx), 0);
	ck_assert_uint_eq(idx, start);
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "fresh", 5, &idx), 0);
	ck_assert_uint_eq(idx, start);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_find_id(t, sub_a, "fresh", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	store_read_end(t);
	/* A bad argument poisons the batch; not found does not. */
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "x", 0, &idx),
	    PT_EINVAL);
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "fresh", 5, &idx),
	    PT_EPOISONED);
	store_batch_abort(b);
	ck_assert_uint_eq(store_size(s), start);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

/* The batch that completes a leaves epoch moves it into leaves; aborted,
 * nothing moved; committed after a reopen, every leaf is found. */
START_TEST(leaves_epoch_move)
{
	static const uint64_t probe[] = { 0, 4095, 4096, 40000, 65529, 65530,
	    65535, 65536, 65539 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct pt_why why = { "" };
	struct mt_hash h;
	uint8_t e[64];
	char id[64];
	size_t len, idlen;
	uint64_t idx, start = 0;

	dir_make();
	s = open_ok(0);
	for (; start < 65530; start += 6553)
		ck_assert_int_eq(append_batch(s, NULL, start, 6553, 24, 16,
		    start + 1), 0);
	/* Across the epoch's end, then abort. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	for (uint64_t i = start; i < start + 10; i++) {
		len = make_entry(i, e, 24, 16);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, id,
		    idlen, NULL), 0);
	}
	store_batch_abort(b);
	store_close(s);
	s = open_ok(0);		/* the open-time counts agree */
	ck_assert_uint_eq(store_size(s), 65530);
	ck_assert_int_eq(append_batch(s, NULL, start, 10, 24, 16, 70000), 0);
	store_close(s);
	s = open_ok(0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	for (unsigned j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
		len = make_entry(probe[j], e, 24, 16);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_find_leaf(t, &h, &idx), 0);
		ck_assert_uint_eq(idx, probe[j]);
	}
	len = make_entry(65540, e, 24, 16);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	store_read_end(t);
	ck_assert_int_eq(store_check_full(s, &idx, &why, NULL, NULL), 0);
	store_close(s);
	dir_remove();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_index");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, offices_and_exact_ids);
	tcase_add_test(tc, lookups_after_reopen);
	tcase_add_test(tc, leaves_epoch_move);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
