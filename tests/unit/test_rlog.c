/*
 * test_rlog.c: the rate limit of log lines (daemon/rlog.c): a burst, then
 * the rate; every line held back is counted once and reported once.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "rlog.h"

START_TEST(burst_then_rate)
{
	struct rlog r;
	uint64_t held, total_held = 0;
	double secs;
	int allowed = 0;

	rlog_init(&r, 10, 100, 0.0);
	/* 1000 lines at one instant: the burst passes, the rest is held. */
	for (int i = 0; i < 1000; i++)
		allowed += rlog_allow(&r, 0.0, &held, &secs);
	ck_assert_int_eq(allowed, 100);
	/* A second later: 10 tokens; the first line allowed carries the
	 * count of the 900 held back, and how long ago the first was. */
	ck_assert_int_eq(rlog_allow(&r, 1.0, &held, &secs), 1);
	ck_assert_uint_eq(held, 900);
	ck_assert(secs > 0.99 && secs < 1.01);
	total_held += held;
	for (int i = 0; i < 20; i++)
		if (!rlog_allow(&r, 1.0, &held, &secs))
			continue;
		else
			total_held += held;
	/* 9 more passed, 11 held, reported by the timer's call. */
	ck_assert_uint_eq(rlog_take_held(&r, 5.0, &secs), 11);
	ck_assert(secs > 3.99 && secs < 4.01);
	ck_assert_uint_eq(rlog_take_held(&r, 5.0, &secs), 0);
	ck_assert_uint_eq(total_held, 900);
}
END_TEST

START_TEST(bucket_never_above_burst)
{
	struct rlog r;
	uint64_t held;
	double secs;
	int allowed = 0;

	rlog_init(&r, 10, 5, 0.0);
	/* An hour of silence refills to the burst, not beyond. */
	for (int i = 0; i < 100; i++)
		allowed += rlog_allow(&r, 3600.0, &held, &secs);
	ck_assert_int_eq(allowed, 5);
	/* Time going back (it should not; monotonic) adds nothing. */
	ck_assert_int_eq(rlog_allow(&r, 10.0, &held, &secs), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rlog");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, burst_then_rate);
	tcase_add_test(tc, bucket_never_above_burst);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
