/*
 * test_reading.c: what the client writes for people and programs
 * (issue 19): terminal escaping (client/tty.c), filter folding
 * (client/fold.c), spreadsheet formula cells (export_cell_is_formula) and
 * the one signer label (client/signer.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "fold.h"
#include "note.h"
#include "signer.h"
#include "tty.h"

static const char *
esc(const char *s, size_t n)
{
	static char out[512];

	tty_escape(s, n, out, sizeof(out));
	return out;
}

START_TEST(tty_escapes)
{
	char small[8];

	ck_assert_str_eq(esc("plain text", 10), "plain text");
	ck_assert_str_eq(esc("a\nb\r\tc", 6), "a\\nb\\r\\tc");
	ck_assert_str_eq(esc("back\\slash", 10), "back\\\\slash");
	ck_assert_str_eq(esc("\x1b[2J\x07", 5), "\\x1b[2J\\x07");
	ck_assert_str_eq(esc("del\x7f", 4), "del\\x7f");
	ck_assert_str_eq(esc("nul\0x", 5), "nul\\x00x");
	/* UTF-8 of any script is kept; C1, bidi and separators are not */
	ck_assert_str_eq(esc("M\xc3\xbcller \xe6\x97\xa5", 11),
	    "M\xc3\xbcller \xe6\x97\xa5");
	ck_assert_str_eq(esc("\xc2\x9b" "31m", 5), "\\u009b31m");
	ck_assert_str_eq(esc("a\xe2\x80\xae" "b", 5), "a\\u202eb");
	ck_assert_str_eq(esc("\xe2\x81\xa6x", 4), "\\u2066x");
	ck_assert_str_eq(esc("\xe2\x80\xa8", 3), "\\u2028");
	/* not UTF-8: each byte */
	ck_assert_str_eq(esc("\xff\xc3", 2), "\\xff\\xc3");
	ck_assert_str_eq(esc("\xed\xa0\x80", 3), "\\xed\\xa0\\x80");
	ck_assert(tty_is_plain("Acme Roads Ltd", 14));
	ck_assert(!tty_is_plain("x\ny", 3));
	/* an escape that does not fit is left out whole */
	tty_escape("abc\x1b", 4, small, 6);
	ck_assert_str_eq(small, "abc");
}
END_TEST

START_TEST(fold_matches_people)
{
	char *n;

	ck_assert_int_eq(fold_text("ACME Roads", 10, &n), 0);
	ck_assert_str_eq(n, "acme roads");
	ck_assert(fold_contains("Acme Roads Ltd", 14, n));
	/* zero-width space, soft hyphen inside the name */
	ck_assert(fold_contains("Ac\xe2\x80\x8bme Ro\xc2\xad" "ads", 15, n));
	free(n);
	/* NFC: e + combining acute matches precomposed e-acute */
	ck_assert_int_eq(fold_text("CAF\xc3\x89", 5, &n), 0);
	ck_assert(fold_contains("Cafe\xcc\x81 Central", 14, n));
	free(n);
	/* full case folding: German sharp s */
	ck_assert_int_eq(fold_text("STRASSE", 7, &n), 0);
	ck_assert(fold_contains("Hauptstra\xc3\x9f" "e", 12, n));
	free(n);
	ck_assert_int_eq(fold_text("\xff", 1, &n), PT_EUTF8);
	ck_assert_ptr_null(n);
}
END_TEST

/* The hint for an id in other letters: ICU's Any-Latin; Latin-ASCII. */
START_TEST(latin_hint)
{
	char out[64];

	/* Greek ΔΑ-2026-001, Cyrillic Заказ, German Müller */
	ck_assert_int_eq(fold_latin_ascii("\xce\x94\xce\x91-2026-001", 13,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "DA-2026-001");
	ck_assert_int_eq(fold_latin_ascii("\xd0\x97\xd0\xb0\xd0\xba\xd0\xb0"
	    "\xd0\xb7", 10, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "Zakaz");
	ck_assert_int_eq(fold_latin_ascii("M\xc3\xbcller", 7, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "Muller");
	/* an emoji has no ASCII form; not UTF-8; no room */
	ck_assert_int_eq(fold_latin_ascii("A\xf0\x9f\x98\x80", 5, out,
	    sizeof(out)), PT_EINVAL);
	ck_assert_int_eq(fold_latin_ascii("\xff", 1, out, sizeof(out)),
	    PT_EUTF8);
	ck_assert_int_eq(fold_latin_ascii("M\xc3\xbcller", 7, out, 6),
	    PT_ETOOBIG);
}
END_TEST

START_TEST(formula_cells)
{
	ck_assert(export_cell_is_formula("=1+1"));
	ck_assert(export_cell_is_formula("+1"));
	ck_assert(export_cell_is_formula("-1+2"));
	ck_assert(export_cell_is_formula("@SUM(A1)"));
	ck_assert(export_cell_is_formula("\t=1"));
	ck_assert(export_cell_is_formula("\r=1"));
	ck_assert(export_cell_is_formula("-"));
	ck_assert(export_cell_is_formula("-1."));
	ck_assert(export_cell_is_formula("--1"));
	/* plain numbers are numbers, also negative ones */
	ck_assert(!export_cell_is_formula("-12.50"));
	ck_assert(!export_cell_is_formula("-3"));
	ck_assert(!export_cell_is_formula("12.5"));
	ck_assert(!export_cell_is_formula("Acme"));
	ck_assert(!export_cell_is_formula(""));
}
END_TEST

START_TEST(signer_labels)
{
	struct note_vkey k;
	char l[SIGNER_LABEL_MAX];

	ck_assert_int_eq(note_vkey_parse("finance.example.gov+6fcd57c9+AQOhB7"
	    "/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4", 73, &k), 0);
	signer_label(&k, l, sizeof(l));
	ck_assert_str_eq(l, "finance.example.gov+6fcd57c9");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reading");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, tty_escapes);
	tcase_add_test(tc, fold_matches_people);
	tcase_add_test(tc, latin_hint);
	tcase_add_test(tc, formula_cells);
	tcase_add_test(tc, signer_labels);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
