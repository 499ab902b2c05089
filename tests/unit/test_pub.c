/*
 * test_pub.c: the published checkpoint (daemon/pub.c): which note is the
 * latest and which is served, without and with witness_wait_quorum, and
 * the notification after each signed checkpoint.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"
#include "ptlimits.h"
#include "pub.h"

static int notified;

static void
count(void *arg)
{
	(*(int *)arg)++;
}

/* The served and latest notes and sizes, as strings. */
static void
expect(struct pub *p, const char *latest, uint64_t lsize,
    const char *served, uint64_t ssize)
{
	char note[PT_NOTE_MAX + 1];
	size_t len;
	uint64_t size;

	pub_latest(p, note, sizeof(note), &len, &size);
	ck_assert_uint_eq(len, strlen(latest));
	ck_assert_str_eq(note, latest);
	ck_assert_uint_eq(size, lsize);
	pub_served(p, note, sizeof(note), &len, &size);
	ck_assert_uint_eq(len, strlen(served));
	ck_assert_str_eq(note, served);
	ck_assert_uint_eq(size, ssize);
}

START_TEST(served_at_once)
{
	struct pub *p;
	char small[4];
	size_t len = 99;
	uint64_t size = 99;

	notified = 0;
	ck_assert_int_eq(pub_new(0, count, &notified, &p), 0);
	ck_assert_int_eq(pub_wait_quorum(p), 0);
	expect(p, "", 0, "", 0);
	pub_signed(p, "ck1", 3, 1);
	ck_assert_int_eq(notified, 1);
	expect(p, "ck1", 1, "ck1", 1);
	/* Cosignatures for the latest are served with it ... */
	pub_cosigned(p, "ck1+w", 5, 1, 0);
	expect(p, "ck1", 1, "ck1+w", 1);
	pub_signed(p, "ck2", 3, 2);
	ck_assert_int_eq(notified, 2);
	expect(p, "ck2", 2, "ck2", 2);
	/* ... those for an older one are not. */
	pub_cosigned(p, "ck1+w", 5, 1, 1);
	expect(p, "ck2", 2, "ck2", 2);
	/* Sizes only; a buffer too small gets no note. */
	pub_latest(p, NULL, 0, NULL, &size);
	ck_assert_uint_eq(size, 2);
	pub_served(p, small, sizeof(small) - 1, &len, &size);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(size, 2);
	pub_free(p);
	pub_free(NULL);
}
END_TEST

START_TEST(served_once_the_quorum_cosigned)
{
	struct pub *p;

	notified = 0;
	ck_assert_int_eq(pub_new(1, count, &notified, &p), 0);
	ck_assert_int_eq(pub_wait_quorum(p), 1);
	pub_signed(p, "ck1", 3, 1);
	expect(p, "ck1", 1, "", 0);
	pub_cosigned(p, "ck1+a", 5, 1, 0);	/* below the quorum */
	expect(p, "ck1", 1, "", 0);
	pub_cosigned(p, "ck1+ab", 6, 1, 1);
	expect(p, "ck1", 1, "ck1+ab", 1);
	pub_signed(p, "ck2", 3, 2);
	pub_signed(p, "ck3", 3, 3);
	ck_assert_int_eq(notified, 3);
	expect(p, "ck3", 3, "ck1+ab", 1);
	pub_cosigned(p, "ck3+ab", 6, 3, 1);
	expect(p, "ck3", 3, "ck3+ab", 3);
	/* A late quorum for an older size never replaces a newer one. */
	pub_cosigned(p, "ck2+ab", 6, 2, 1);
	expect(p, "ck3", 3, "ck3+ab", 3);
	pub_free(p);
}
END_TEST

START_TEST(oversized_notes_ignored)
{
	struct pub *p;
	char *big = malloc(PT_NOTE_MAX + 2);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', PT_NOTE_MAX + 1);
	big[PT_NOTE_MAX + 1] = '\0';
	ck_assert_int_eq(pub_new(0, NULL, NULL, &p), 0);
	pub_signed(p, "ck1", 3, 1);
	pub_signed(p, big, PT_NOTE_MAX + 1, 2);
	pub_cosigned(p, big, PT_NOTE_MAX + 1, 1, 1);
	expect(p, "ck1", 1, "ck1", 1);
	big[PT_NOTE_MAX] = '\0';
	pub_signed(p, big, PT_NOTE_MAX, 2);
	expect(p, big, 2, big, 2);
	pub_free(p);
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pub");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, served_at_once);
	tcase_add_test(tc, served_once_the_quorum_cosigned);
	tcase_add_test(tc, oversized_notes_ignored);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
