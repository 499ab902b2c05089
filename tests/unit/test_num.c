/*
 * test_num.c: the one bounded integer parser.  Every byte of the given
 * length counts: a NUL (a decoded "%00") or anything after the digits is
 * refused, as are signs, spaces, leading zeros and overflow.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "pt.h"

START_TEST(unsigned_values)
{
	uint64_t v = 7;

	ck_assert_int_eq(num_parse_u64("0", 1, 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(num_parse_u64("10", 2, 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(num_parse_u64("18446744073709551615", 20, 0,
	    UINT64_MAX, &v), 0);
	ck_assert(v == UINT64_MAX);
	/* The length decides, not a NUL: "1" of "12" is 1. */
	ck_assert_int_eq(num_parse_u64("12", 1, 0, 10, &v), 0);
	ck_assert_uint_eq(v, 1);
}
END_TEST

START_TEST(unsigned_refusals)
{
	static const struct {
		const char *s;
		size_t len;
		int err;
	} bad[] = {
		{ "", 0, PT_EMALFORMED },
		{ "01", 2, PT_EMALFORMED },
		{ "00", 2, PT_EMALFORMED },
		{ "+1", 2, PT_EMALFORMED },
		{ "-1", 2, PT_EMALFORMED },
		{ " 1", 2, PT_EMALFORMED },
		{ "1 ", 2, PT_EMALFORMED },
		{ "1\0junk", 6, PT_EMALFORMED },	/* "1%00junk" decoded */
		{ "1\0", 2, PT_EMALFORMED },
		{ "\0" "1", 2, PT_EMALFORMED },
		{ "1e3", 3, PT_EMALFORMED },
		{ "0x10", 4, PT_EMALFORMED },
		{ "\xd9\xa1", 2, PT_EMALFORMED },	/* Arabic-Indic one */
		{ "11", 2, PT_ERANGE },			/* > max 10 */
		{ "18446744073709551616", 20, PT_ERANGE },
		{ "99999999999999999999", 20, PT_ERANGE },
		{ "100000000000000000000", 21, PT_EMALFORMED },
	};
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = num_parse_u64(bad[i].s, bad[i].len, 0, 10, &v);

		if (bad[i].err == PT_ERANGE && bad[i].len == 20)
			rc = num_parse_u64(bad[i].s, bad[i].len, 0,
			    UINT64_MAX, &v);
		ck_assert_msg(rc == bad[i].err, "case %zu: got %d want %d", i,
		    rc, bad[i].err);
		ck_assert_uint_eq(v, 42);	/* untouched on error */
	}
	ck_assert_int_eq(num_parse_u64("3", 1, 5, 10, &v), PT_ERANGE);
	ck_assert_int_eq(num_parse_u64(NULL, 0, 0, 10, &v), PT_EINVAL);
	ck_assert_int_eq(num_parse_u64("1", 1, 0, 10, NULL), PT_EINVAL);
}
END_TEST

START_TEST(signed_values)
{
	int64_t v = 5;

	ck_assert_int_eq(num_parse_i64_str("-9223372036854775808", INT64_MIN,
	    INT64_MAX, &v), 0);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(num_parse_i64_str("9223372036854775807", INT64_MIN,
	    INT64_MAX, &v), 0);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(num_parse_i64_str("9223372036854775808", INT64_MIN,
	    INT64_MAX, &v), PT_ERANGE);
	ck_assert_int_eq(num_parse_i64_str("-9223372036854775809", INT64_MIN,
	    INT64_MAX, &v), PT_ERANGE);
	ck_assert_int_eq(num_parse_i64_str("-0", INT64_MIN, INT64_MAX, &v),
	    PT_EMALFORMED);
	ck_assert_int_eq(num_parse_i64_str("-", INT64_MIN, INT64_MAX, &v),
	    PT_EMALFORMED);
	ck_assert_int_eq(num_parse_i64_str("--1", INT64_MIN, INT64_MAX, &v),
	    PT_EMALFORMED);
	ck_assert_int_eq(num_parse_i64("-1\0", 3, INT64_MIN, INT64_MAX, &v),
	    PT_EMALFORMED);
	ck_assert_int_eq(num_parse_i64_str("-5", -4, 4, &v), PT_ERANGE);
	ck_assert_int_eq(num_parse_i64_str("-4", -4, 4, &v), 0);
	ck_assert(v == -4);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, unsigned_values);
	tcase_add_test(tc, unsigned_refusals);
	tcase_add_test(tc, signed_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
