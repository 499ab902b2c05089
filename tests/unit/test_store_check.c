/*
 * test_store_check.c: the full check (store_check.c).  Damage is made to a
 * closed store, by flipping bits in data.mdb or by editing records through
 * LMDB with the counts kept right (so that the open's cheap checks pass
 * and only the full check can see it); each kind must be found, named, and
 * located, and undoing it must make the check pass again.  One store of
 * 66,536 entries checks the chunked walk, its progress calls and appends
 * that go on while it runs.  Real LMDB under /tmp.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "store_fixture.h"

static int
check_report(struct store_check *res, struct pt_why *why)
{
	struct store *s = open_ok(0);
	int rc;

	rc = store_check_full_report(s, res, why, NULL, NULL);
	store_close(s);
	return rc;
}

/* The report says kind at index (the first leaf under the damage; the
 * tree size for damage no leaf can be blamed for), with text in why. */
static void
want_bad(int kind, uint64_t index, const char *text)
{
	struct store_check res;
	struct pt_why why = { "" };

	ck_assert_int_eq(check_report(&res, &why), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, kind);
	ck_assert_uint_eq(res.index, index);
	ck_assert_msg(strstr(why.text, text) != NULL, "want \"%s\" in \"%s\"",
	    text, why.text);
}

static void
want_good(void)
{
	struct store_check res;
	struct pt_why why = { "" };

	ck_assert_msg(check_report(&res, &why) == 0, "%s", why.text);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_NONE);
	ck_assert_uint_eq(res.index, UINT64_MAX);
}

START_TEST(flipped_bits)
{
	struct memtree m = { 0 };
	struct store *s;
	struct store_check res;
	struct pt_why why = { "" };
	struct mt_hash h1, want;
	uint8_t e[512];
	uint64_t start = 0;

	dir_make();
	s = open_ok(0);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(append_batch(s, &m, start, 50, 60, 100,
		    (uint64_t)i), 0);
		start += 50;
	}
	store_close(s);

	ck_assert_int_eq(check_report(&res, &why), 0);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_NONE);
	ck_assert_uint_eq(res.size, 300);
	mem_root(&m, 300, &want);
	ck_assert_mem_eq(res.root.b, want.b, 32);

	/* One bit of entry 137's bytes (after its marker). */
	make_entry(137, e, 60, 100);
	ck_assert_int_ge(flip_in_file(e, 24, 20), 1);
	want_bad(STORE_BAD_ENTRY, 137, "entry 137: its bytes do not hash to "
	    "the stored leaf hash (0,137), which agrees with the leaf index: "
	    "the entry bytes are damaged");
	e[20] ^= 1;
	ck_assert_int_ge(flip_in_file(e, 24, 20), 1);	/* undo */
	want_good();

	/* Level 1 is not stored (hashed up from level 0 when read). */
	ck_assert_int_eq(mem_read(&m, 1, 40, &h1), 0);
	ck_assert_int_eq(flip_in_file(h1.b, 32, 20), 0);
	/* One bit of the stored hash (4, 5), which covers leaves 80 .. 95. */
	ck_assert_int_eq(mem_read(&m, 4, 5, &h1), 0);
	ck_assert_int_ge(flip_in_file(h1.b, 32, 20), 1);
	ck_assert_int_eq(check_report(&res, &why), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_HASH);
	ck_assert_uint_eq(res.level, 4);
	ck_assert_uint_eq(res.n, 5);
	ck_assert_uint_eq(res.index, 80);
	ck_assert_msg(strstr(why.text, "stored hash (4,5) differs from the "
	    "hash of its stored children") != NULL, "%s", why.text);
	h1.b[20] ^= 1;
	ck_assert_int_ge(flip_in_file(h1.b, 32, 20), 1);
	want_good();

	/* One bit of the stored leaf hash (0, 200), past the indexed prefix. */
	h1 = m.leaf[200];
	ck_assert_int_ge(flip_in_file(h1.b, 32, 20), 1);
	ck_assert_int_eq(check_report(&res, &why), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_HASH);
	ck_assert_uint_eq(res.level, 0);
	ck_assert_uint_eq(res.n, 200);
	ck_assert_uint_eq(res.index, 200);
	ck_assert_msg(strstr(why.text, "stored hash is damaged") != NULL, "%s",
	    why.text);
	/* Reads that use it see the damage: the root no longer matches. */
	{
		struct store_txn *t;
		struct mt_reader r;
		struct mt_hash root;

		s = open_ok(0);
		ck_assert_int_eq(store_read_begin(s, &t), 0);
		store_txn_reader(t, &r);
		ck_assert_int_eq(mt_root(&r, 201, &root), 0);
		mem_root(&m, 201, &want);
		ck_assert_int_ne(memcmp(root.b, want.b, 32), 0);
		store_read_end(t);
		store_close(s);
	}
	free(m.leaf);
	dir_remove();
}
END_TEST

/* Damage to the indexes and to the groups with the record counts kept, so
 * that only the full check sees it.  The store: 20 entries, sub_a (office
 * 0) the even ones, sub_b (office 1) the odd ones, "pay-<i>". */
START_TEST(index_and_group_damage)
{
	/* sub_a's "pay-2", as stored, and the same id under office 9. */
	static const uint8_t key02[] = { 0, 0, 0, 0, 5, 'p', 'a', 'y', '-',
	    '2' };
	static const uint8_t key92[] = { 0, 0, 0, 9, 5, 'p', 'a', 'y', '-',
	    '2' };
	static const uint8_t v2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t v4[8] = { 0, 0, 0, 0, 0, 0, 0, 4 };
	static const uint8_t v25[8] = { 0, 0, 0, 0, 0, 0, 0, 25 };
	static const uint8_t g1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t off0[4] = { 0 }, off1[4] = { 0, 0, 0, 1 };
	static const uint8_t off5[4] = { 0, 0, 0, 5 };
	struct memtree m = { 0 };
	struct store *s;
	uint8_t lk[7], grp[512];
	struct mt_hash h;

	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, &m, 0, 20, 40, 10, 1), 0);
	store_close(s);
	want_good();

	/* ids: two records for one entry (and none for another). */
	lmdb_edit("ids", key02, sizeof(key02), v4, 8, 0);
	want_bad(STORE_BAD_INDEX, 4, "two ids records name entry 4");
	lmdb_edit("ids", key02, sizeof(key02), v25, 8, 0);
	want_bad(STORE_BAD_INDEX, 20, "ids names index 25 beyond the "
	    "tree");
	lmdb_edit("ids", key02, sizeof(key02), v2, 4, 0);
	want_bad(STORE_BAD_INDEX, 20, "malformed ids record");
	lmdb_edit("ids", key02, sizeof(key02), NULL, 0, 1);
	lmdb_edit("ids", key92, sizeof(key92), v2, 8, 0);
	want_bad(STORE_BAD_INDEX, 2, "ids record of entry 2 names unknown "
	    "office 9");
	lmdb_edit("ids", key92, sizeof(key92), NULL, 0, 1);
	lmdb_edit("ids", key02, sizeof(key02), v2, 8, 0);
	want_good();

	/* offices: a number out of range, a number used twice. */
	lmdb_edit("offices", sub_a, 32, off5, 4, 0);
	want_bad(STORE_BAD_INDEX, 20, "office number 5 out of range "
	    "or used twice");
	lmdb_edit("offices", sub_a, 32, off1, 4, 0);
	want_bad(STORE_BAD_INDEX, 20, "office number 1 out of range "
	    "or used twice");
	lmdb_edit("offices", sub_a, 32, off0, 4, 0);
	want_good();

	/* leaves/new: entry 7's key replaced by one with another prefix. */
	h = m.leaf[7];
	lk[0] = 0;
	memcpy(lk + 1, h.b, 4);
	lk[5] = 0;
	lk[6] = 7;
	lmdb_edit("leaves/new", lk, sizeof(lk), NULL, 0, 1);
	lk[1] ^= 0xff;
	lmdb_edit("leaves/new", lk, sizeof(lk), "", 0, 0);
	want_bad(STORE_BAD_INDEX, 7, "leaf index lacks entry 7");
	lmdb_edit("leaves/new", lk, sizeof(lk), NULL, 0, 1);
	lk[1] ^= 0xff;
	lmdb_edit("leaves/new", lk, sizeof(lk), "", 0, 0);
	want_good();

	/* hash/00 group 1 holds (0, 16 .. 31); the tree has 16 .. 19 and
	 * the rest must be zero. */
	memset(grp, 0, sizeof(grp));
	for (unsigned j = 0; j < 4; j++)
		memcpy(grp + 32 * j, m.leaf[16 + j].b, 32);
	grp[32 * 5] = 1;
	lmdb_edit("hash/00", g1, 8, grp, sizeof(grp), 0);
	want_bad(STORE_BAD_HASH, 21, "hash (0,21) stored beyond the tree");
	grp[32 * 5] = 0;
	lmdb_edit("hash/00", g1, 8, grp, sizeof(grp), 0);
	want_good();
	dir_remove();
	free(m.leaf);
}
END_TEST

/* ---- the walk in chunks, with appends going on ---- */

struct prog {
	struct store	*s;
	uint64_t	 calls;
	uint64_t	 last;
	int		 appended;
};

/* Between chunks no txn is open: append a batch, as the sequencer may. */
static void
progress_append(uint64_t done, uint64_t total, void *ctx)
{
	struct prog *p = ctx;

	ck_assert_uint_le(done, total);
	ck_assert_uint_gt(done, p->last);
	p->last = done;
	p->calls++;
	if (!p->appended) {
		ck_assert_int_eq(append_batch(p->s, NULL, total, 10, 24, 16,
		    1000), 0);
		p->appended = 1;
	}
}

START_TEST(chunks_and_progress)
{
	enum { N = 65536 + 1000 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_check res;
	struct pt_why why = { "" };
	struct prog p = { 0 };
	struct mt_hash want;
	uint64_t start = 0;

	dir_make();
	s = open_ok(0);
	for (; start + 8192 <= N; start += 8192)
		ck_assert_int_eq(append_batch(s, &m, start, 8192, 24, 16,
		    1 + start / 8192), 0);
	ck_assert_int_eq(append_batch(s, &m, start, N - start, 24, 16, 999),
	    0);
	p.s = s;
	ck_assert_int_eq(store_check_full_report(s, &res, &why,
	    progress_append, &p), 0);
	/* One call between the two chunks, one at the end; the entries
	 * appended meanwhile are not part of this check. */
	ck_assert_uint_eq(p.calls, N / 65536 + 1);
	ck_assert_uint_eq(p.last, N);
	ck_assert_uint_eq(res.size, N);
	mem_root(&m, N, &want);
	ck_assert_mem_eq(res.root.b, want.b, 32);
	ck_assert_uint_eq(store_size(s), N + 10);
	/* And the next check covers them. */
	ck_assert_int_eq(store_check_full_report(s, &res, &why, NULL, NULL),
	    0);
	ck_assert_uint_eq(res.size, N + 10);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_check");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, flipped_bits);
	tcase_add_test(tc, index_and_group_damage);
	tcase_add_test(tc, chunks_and_progress);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
