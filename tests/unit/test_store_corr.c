/*
 * test_store_corr.c: the store's corrections index (daemon/store_corr.c):
 * keys written in the batch's own transaction, ranges in log order within
 * one snapshot, paging, a store made before the index (built from the
 * entries at start-up), and --check-full's comparison with the entries.
 * Real LMDB under /tmp.  Which synthetic entry corrects which is this
 * suite's rule (the store does not parse entries): entry i with i % 3 == 2
 * corrects entry i / 3.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "store_fixture.h"

static int
is_corr(uint64_t i, uint64_t *target)
{
	if (i % 3 != 2)
		return 0;
	*target = i / 3;
	return 1;
}

static int
classify(const uint8_t *entry, size_t len, uint64_t index, uint64_t *target,
    unsigned *kind, void *ctx)
{
	uint8_t e[PT_MAX_ENTRY];
	size_t n = make_entry(index, e, 40, 50);

	(void)ctx;
	/* the entry really is entry index of this suite */
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(memcmp(e, entry, n), 0);
	*kind = index % 2 ? STORE_CORR_VOID : STORE_CORR_AMEND;
	return is_corr(index, target) ? 0 : PT_ENOTFOUND;
}

/* Entries [start, start + count) with their corrections keys. */
static void
append_corr(struct store *s, uint64_t start, uint64_t count, int keys)
{
	struct store_batch *b;
	uint8_t e[PT_MAX_ENTRY];
	char id[64], note[256];
	size_t len, idlen, nlen;
	struct mt_hash h;
	uint64_t idx, t;

	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	for (uint64_t i = start; i < start + count; i++) {
		len = make_entry(i, e, 40, 50);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, id,
		    idlen, &idx), 0);
		if (keys && is_corr(i, &t))
			ck_assert_int_eq(store_batch_correction(b, t, i, i % 2 ?
			    STORE_CORR_VOID : STORE_CORR_AMEND), 0);
	}
	make_note(start + count, note, sizeof(note), &nlen);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen, 1 + start),
	    0);
	ck_assert_int_eq(store_batch_commit(b), 0);
}

/* Corrections of target as listed by the store: count, and each checked
 * against the rule. */
static size_t
listed(struct store *s, uint64_t target, uint64_t from, size_t max, int *rc)
{
	struct store_txn *t;
	uint64_t out[PT_MAX_CORRECTIONS_LISTED], tg;
	size_t n = 0;

	ck_assert_int_eq(store_read_begin(s, &t), 0);
	*rc = store_get_corrections(t, target, from, out, max, &n);
	for (size_t i = 0; i < n; i++) {
		ck_assert(is_corr(out[i], &tg) && tg == target);
		ck_assert(out[i] >= from);
		ck_assert(i == 0 || out[i] > out[i - 1]);
	}
	store_read_end(t);
	return n;
}

START_TEST(index_in_the_batch)
{
	struct store *s;
	struct store_batch *b;
	uint64_t bad;
	struct pt_why why = { "" };
	int rc;

	dir_make();
	s = open_ok(0);
	append_corr(s, 0, 30, 1);
	/* entry 0 is corrected by 2; entry 3 by 11; 9 by 29 */
	ck_assert_uint_eq(listed(s, 0, 0, 16, &rc), 1);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(listed(s, 9, 0, 16, &rc), 1);
	ck_assert_uint_eq(listed(s, 10, 0, 16, &rc), 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(listed(s, 29, 0, 16, &rc), 0);
	listed(s, 30, 0, 16, &rc);
	ck_assert_int_eq(rc, PT_ENOTFOUND);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), 0);
	{
		struct store_txn *t;
		struct store_corr pc[4];
		size_t n;

		ck_assert_int_eq(store_read_begin(s, &t), 0);
		ck_assert_int_eq(store_list_corrections(t, 0, 0, pc, 4, &n), 1);
		ck_assert_uint_eq(n, 4);
		ck_assert(pc[0].target == 0 && pc[0].index == 2 &&
		    pc[0].kind == STORE_CORR_AMEND);
		ck_assert(pc[1].target == 1 && pc[1].index == 5 &&
		    pc[1].kind == STORE_CORR_VOID);
		ck_assert_int_eq(store_list_corrections(t, 9, 0, pc, 4, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert(pc[0].target == 9 && pc[0].index == 29);
		store_read_end(t);
	}
	/* refused: a target not before the correction, an index outside
	 * the batch; the batch is poisoned */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_correction(b, 5, 4, 0), PT_EINVAL);
	ck_assert_int_eq(store_batch_correction(b, 1, 2, 0), PT_EPOISONED);
	store_batch_abort(b);
	store_close(s);
	dir_remove();
}
END_TEST

START_TEST(paging)
{
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	uint8_t e[PT_MAX_ENTRY];
	char id[64], note[256];
	size_t len, idlen, nlen, n;
	struct mt_hash h;
	uint64_t idx, out[4];

	/* one target corrected many times (keys by hand: not this suite's
	 * rule, so no check here) */
	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	for (uint64_t i = 0; i < 12; i++) {
		len = make_entry(i, e, 40, 50);
		make_id(i, id, sizeof(id), &idlen);
		mt_leaf_hash(e, len, &h);
		ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, id,
		    idlen, &idx), 0);
		if (i > 1)
			ck_assert_int_eq(store_batch_correction(b, 1, i,
			    STORE_CORR_VOID), 0);
	}
	make_note(12, note, sizeof(note), &nlen);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen, 5), 0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_get_corrections(t, 1, 0, out, 4, &n), 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(out[0], 2);
	ck_assert_uint_eq(out[3], 5);
	ck_assert_int_eq(store_get_corrections(t, 1, 6, out, 4, &n), 1);
	ck_assert_uint_eq(out[0], 6);
	ck_assert_int_eq(store_get_corrections(t, 1, 10, out, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[1], 11);
	store_read_end(t);
	store_close(s);
	dir_remove();
}
END_TEST

START_TEST(store_made_before_the_index)
{
	struct store *s;
	uint8_t k[16];
	uint64_t bad, added;
	struct pt_why why = { "" };
	int rc;

	dir_make();
	s = open_ok(0);
	append_corr(s, 0, 40000, 1);
	store_close(s);
	/* as a store of the previous program: no meta record, no keys (two
	 * removed here: the build puts them back) */
	lmdb_edit("meta", "corrections", 11, NULL, 0, 1);
	memset(k, 0, sizeof(k));
	k[15] = 2;		/* (0, 2) */
	lmdb_edit("corrections", k, 16, NULL, 0, 1);
	k[7] = 10;
	k[15] = 32;		/* (10, 32) */
	lmdb_edit("corrections", k, 16, NULL, 0, 1);
	s = open_ok(0);
	listed(s, 0, 0, 16, &rc);
	ck_assert_int_eq(rc, PT_EBUSY);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), PT_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(why.text, "covers 0 of 40000"));
	ck_assert_int_eq(store_corrections_build(s, classify, NULL, &added,
	    &why), 0);
	ck_assert_uint_eq(added, 2);
	ck_assert_uint_eq(listed(s, 0, 0, 16, &rc), 1);
	ck_assert_uint_eq(listed(s, 10, 0, 16, &rc), 1);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), 0);
	/* appends after the build keep it complete */
	append_corr(s, 40000, 9, 1);
	ck_assert_uint_eq(listed(s, 13334, 0, 16, &rc), 1);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), 0);
	store_close(s);
	dir_remove();
}
END_TEST

START_TEST(check_finds_missing_and_bogus_keys)
{
	struct store *s;
	uint8_t k[16];
	uint64_t bad;
	struct pt_why why = { "" };

	dir_make();
	s = open_ok(0);
	append_corr(s, 0, 30, 1);
	store_close(s);
	memset(k, 0, sizeof(k));
	k[7] = 3;
	k[15] = 11;		/* (3, 11) removed */
	lmdb_edit("corrections", k, 16, NULL, 0, 1);
	s = open_ok(0);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), PT_ECORRUPT);
	ck_assert_uint_eq(bad, 11);
	store_close(s);
	lmdb_edit("corrections", k, 16, "\1", 1, 0);	/* wrong kind */
	s = open_ok(0);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), PT_ECORRUPT);
	ck_assert_uint_eq(bad, 11);
	store_close(s);
	lmdb_edit("corrections", k, 16, "\0", 1, 0);
	k[7] = 1;
	k[15] = 4;		/* (1, 4): entry 4 is no correction */
	lmdb_edit("corrections", k, 16, "\0", 1, 0);
	s = open_ok(0);
	ck_assert_int_eq(store_corrections_check(s, classify, NULL, &bad,
	    &why), PT_ECORRUPT);
	ck_assert_uint_eq(bad, 4);
	ck_assert_ptr_nonnull(strstr(why.text, "lists entry 4"));
	store_close(s);
	dir_remove();
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("store_corr");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, index_in_the_batch);
	tcase_add_test(tc, paging);
	tcase_add_test(tc, store_made_before_the_index);
	tcase_add_test(tc, check_finds_missing_and_bogus_keys);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
