/*
 * test_intake.c: what an office's files become before anything is signed:
 * amounts (every locale convention, every ambiguity refused with the
 * options that would accept it), the ISO 4217 table's shape, CSV
 * delimiters, byte order marks, dates in a declared order (never
 * guessed), column maps, BLDS statuses, duplicate and
 * contradictory columns, exact line numbers, and JSON inputs whose bad
 * records are reported one by one with their lines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../client/amount.h"
#include "../../client/cli.h"
#include "../../client/csvin.h"
#include "../../client/datefmt.h"
#include "../../client/export.h"
#include "../../client/input.h"
#include "../../client/json.h"
#include "pt.h"

/* ------------------------------------------------------------- amounts */

struct amt_case {
	const char *in;
	const char *cur;
	char decimal;
	enum amt_sep thou;
	int rc;			/* 0 or the error */
	long long want;		/* minor units when rc == 0 */
	const char *hint;	/* substring of the reason, or NULL */
};

static const struct amt_case amt_cases[] = {
	/* nothing said: point decimals, no separators */
	{ "1234.56", "EUR", 0, AMT_SEP_NONE, 0, 123456, NULL },
	{ "1234.5", "EUR", 0, AMT_SEP_NONE, 0, 123450, NULL },
	{ "1234", "EUR", 0, AMT_SEP_NONE, 0, 123400, NULL },
	{ "-0.01", "EUR", 0, AMT_SEP_NONE, 0, -1, NULL },
	{ "+7", "EUR", 0, AMT_SEP_NONE, 0, 700, NULL },
	{ "  12.50 ", "EUR", 0, AMT_SEP_NONE, 0, 1250, NULL },
	{ "500", "JPY", 0, AMT_SEP_NONE, 0, 500, NULL },
	{ "1.5", "KWD", 0, AMT_SEP_NONE, 0, 1500, NULL },
	{ "0.0001", "CLF", 0, AMT_SEP_NONE, 0, 1, NULL },
	/* the examples: a comma is never guessed */
	{ "1234,56", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-comma reads it as 1234.56 EUR" },
	{ "12,5", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-comma reads it as 12.50 EUR" },
	{ "1,2,3.4", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "not an amount in any convention" },
	{ "1,2", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "a comma may be a decimal or a thousands separator; "
	    "--decimal-comma reads it as 1.20 EUR" },
	{ "1,234", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-point --thousands-sep , reads it as 1234.00 EUR" },
	{ "1,234", "KWD", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-comma reads it as 1.234 KWD, --decimal-point "
	    "--thousands-sep , as 1234.000 KWD" },
	{ "12,500.00", "USD", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-point --thousands-sep , reads it as 12500.00 USD" },
	/* a point before three digits in a three-decimal currency */
	{ "1.234", "KWD", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-point reads it as 1.234 KWD, --decimal-comma "
	    "--thousands-sep . as 1234.000 KWD" },
	{ "1.234", "KWD", '.', AMT_SEP_NONE, 0, 1234, NULL },
	{ "1.234", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "EUR has 2 decimal places (ISO 4217), this has 3; "
	    "--decimal-comma --thousands-sep . reads it as 1234.00 EUR" },
	/* --decimal-comma */
	{ "1234,56", "EUR", ',', AMT_SEP_NONE, 0, 123456, NULL },
	{ "12,5", "EUR", ',', AMT_SEP_NONE, 0, 1250, NULL },
	{ "-0,5", "EUR", ',', AMT_SEP_NONE, 0, -50, NULL },
	{ "1.234,56", "EUR", ',', AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-comma --thousands-sep . reads it as 1234.56 EUR" },
	{ "12.50", "EUR", ',', AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-point reads it as 12.50 EUR" },
	{ "1234,567", "EUR", ',', AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "EUR has 2 decimal places" },
	{ "12,5", "JPY", ',', AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "JPY has 0 decimal places" },
	/* --decimal-comma --thousands-sep . (German) */
	{ "1.234.567,89", "EUR", ',', AMT_SEP_POINT, 0, 123456789, NULL },
	{ "1.234,5", "EUR", ',', AMT_SEP_POINT, 0, 123450, NULL },
	{ "1234,5", "EUR", ',', AMT_SEP_POINT, 0, 123450, NULL },
	{ "12.34,5", "EUR", ',', AMT_SEP_POINT, PT_EMALFORMED, 0,
	    "groups of three" },
	{ "1.2345,5", "EUR", ',', AMT_SEP_POINT, PT_EMALFORMED, 0,
	    "groups of three" },
	{ "1234.567,5", "EUR", ',', AMT_SEP_POINT, PT_EMALFORMED, 0,
	    "groups of three" },
	{ ".234,5", "EUR", ',', AMT_SEP_POINT, PT_EMALFORMED, 0, NULL },
	{ "1.,5", "EUR", ',', AMT_SEP_POINT, PT_EMALFORMED, 0, NULL },
	/* --decimal-point --thousands-sep , (English) */
	{ "1,234,567.89", "USD", '.', AMT_SEP_COMMA, 0, 123456789, NULL },
	{ "1,234", "USD", '.', AMT_SEP_COMMA, 0, 123400, NULL },
	{ "0,123", "USD", '.', AMT_SEP_COMMA, PT_EMALFORMED, 0,
	    "groups of three" },
	{ "1,23,456.00", "INR", '.', AMT_SEP_COMMA, PT_EMALFORMED, 0,
	    "groups of three" },
	{ "12,34", "USD", '.', AMT_SEP_COMMA, PT_EMALFORMED, 0,
	    "--decimal-comma reads it as 12.34 USD" },
	/* the thousands separator alone implies a decimal point */
	{ "1,234.5", "USD", 0, AMT_SEP_COMMA, 0, 123450, NULL },
	/* spaces (French, also U+00A0 and U+202F) and apostrophes (Swiss) */
	{ "1 234 567,89", "EUR", ',', AMT_SEP_SPACE, 0, 123456789, NULL },
	{ "1\xc2\xa0" "234,5", "EUR", ',', AMT_SEP_SPACE, 0, 123450, NULL },
	{ "1\xe2\x80\xaf" "234,5", "EUR", ',', AMT_SEP_SPACE, 0, 123450,
	    NULL },
	{ "1 234,5", "EUR", ',', AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "--decimal-comma --thousands-sep space reads it as 1234.50" },
	{ "1'234.50", "CHF", '.', AMT_SEP_APOS, 0, 123450, NULL },
	{ "1\xe2\x80\x99" "234.50", "CHF", '.', AMT_SEP_APOS, 0, 123450,
	    NULL },
	/* not amounts */
	{ "", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, "no amount" },
	{ "   ", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, "no amount" },
	{ "12.", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, "after" },
	{ ".5", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, "before" },
	{ "1.2.3", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, NULL },
	{ "\xe2\x82\xac 12.50", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "U+20AC is no digit, sign or separator (a currency symbol" },
	{ "12.50 EUR", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "export the column as a plain Number" },
	{ "1e3", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, NULL },
	{ "12.50-", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "read only with --negative trailing" },
	{ "(12.50)", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0,
	    "read only with --negative parentheses" },
	{ "--1", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, NULL },
	{ "0x10", "EUR", 0, AMT_SEP_NONE, PT_EMALFORMED, 0, NULL },
	{ "92233720368547758.07", "EUR", 0, AMT_SEP_NONE, 0,
	    INT64_MAX, NULL },
	{ "92233720368547758.08", "EUR", 0, AMT_SEP_NONE, PT_ERANGE, 0,
	    NULL },
	{ "99999999999999999999", "JPY", 0, AMT_SEP_NONE, PT_ERANGE, 0,
	    NULL },
	/* currencies */
	{ "1", "XAU", 0, AMT_SEP_NONE, PT_ENOTFOUND, 0, "no minor unit" },
	{ "1", "EUX", 0, AMT_SEP_NONE, PT_ENOTFOUND, 0, "not an ISO 4217" },
	{ "1", "eur", 0, AMT_SEP_NONE, PT_ENOTFOUND, 0, "not an ISO 4217" },
	{ "1", NULL, 0, AMT_SEP_NONE, PT_ENOTFOUND, 0, "needs a currency" },
};

START_TEST(amounts_every_convention)
{
	for (size_t i = 0; i < sizeof(amt_cases) / sizeof(amt_cases[0]);
	    i++) {
		const struct amt_case *c = &amt_cases[i];
		struct amt_opts o = { c->decimal, c->thou, 0 };
		struct pt_why why = { "" };
		int64_t v = 42;
		int rc = amt_parse(c->in, strlen(c->in), c->cur, &o, &v, &why);

		ck_assert_msg(rc == c->rc, "%zu \"%s\" %s: rc %d want %d (%s)",
		    i, c->in, c->cur ? c->cur : "-", rc, c->rc, why.text);
		if (rc == 0)
			ck_assert_msg(v == c->want, "%zu \"%s\": %lld want %lld",
			    i, c->in, (long long)v, c->want);
		else
			ck_assert_msg(v == 42, "%zu: out written on error", i);
		if (c->hint != NULL)
			ck_assert_msg(strstr(why.text, c->hint) != NULL,
			    "%zu \"%s\": reason \"%s\" lacks \"%s\"", i, c->in,
			    why.text, c->hint);
	}
}
END_TEST

START_TEST(amount_options)
{
	struct amt_opts o = { 0, AMT_SEP_NONE, 0 };
	struct pt_why why = { "" };

	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_DECIMAL_COMMA, NULL, &why), 1);
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_DECIMAL_POINT, NULL, &why),
	    PT_EINVAL);
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_THOUSANDS, ",", &why), 1);
	ck_assert_int_eq(amt_opts_check(&o, &why), PT_EINVAL);
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_THOUSANDS, ".", &why), 1);
	ck_assert_int_eq(amt_opts_check(&o, &why), 0);
	o.decimal = '.';
	ck_assert_int_eq(amt_opts_check(&o, &why), PT_EINVAL);
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_THOUSANDS, "x", &why),
	    PT_EINVAL);
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_THOUSANDS, "space", &why), 1);
	ck_assert_int_eq(o.thousands, AMT_SEP_SPACE);
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_NEGATIVE, "trailing", &why),
	    1);
	ck_assert_int_eq(o.negative, 't');
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_NEGATIVE, "parentheses",
	    &why), 1);
	ck_assert_int_eq(o.negative, 'p');
	ck_assert_int_eq(amt_cli_opt(&o, AMT_OPT_NEGATIVE, "minus", &why),
	    PT_EINVAL);
	ck_assert_int_eq(amt_cli_opt(&o, 'x', NULL, &why), 0);
}
END_TEST

START_TEST(amounts_negative_whole_padded)
{
	/* --negative (SAP's trailing minus, accounting parentheses), a
	 * whole amount's dash, padding and spaces spreadsheets write */
	static const struct {
		const char *in, *cur;
		char decimal, negative;
		enum amt_sep thou;
		int rc;
		long long want;
		const char *hint;
	} cases[] = {
		{ "1.234,56-", "EUR", ',', 't', AMT_SEP_POINT, 0, -123456, NULL },
		{ "5-", "EUR", 0, 't', AMT_SEP_NONE, 0, -500, NULL },
		{ "1.234,56", "EUR", ',', 't', AMT_SEP_POINT, 0, 123456, NULL },
		{ "-1.234,56", "EUR", ',', 't', AMT_SEP_POINT, 0, -123456, NULL },
		{ "-5,00-", "EUR", ',', 't', AMT_SEP_NONE, PT_EMALFORMED, 0,
		    "two signs" },
		{ "1.234,56-", "EUR", ',', 0, AMT_SEP_POINT, PT_EMALFORMED, 0,
		    "--negative trailing" },
		{ "(1 234,56)", "PLN", ',', 'p', AMT_SEP_SPACE, 0, -123456,
		    NULL },
		{ "(1,234.56)", "USD", '.', 'p', AMT_SEP_COMMA, 0, -123456,
		    NULL },
		{ "(-5)", "USD", 0, 'p', AMT_SEP_NONE, PT_EMALFORMED, 0,
		    "two signs" },
		{ "(5", "USD", 0, 'p', AMT_SEP_NONE, PT_EMALFORMED, 0,
		    "--negative parentheses" },
		{ "5-", "EUR", 0, 'p', AMT_SEP_NONE, PT_EMALFORMED, 0,
		    "--negative trailing" },
		/* a dash for the cents: never a minus */
		{ "1'234.-", "CHF", '.', 't', AMT_SEP_APOS, PT_EMALFORMED, 0,
		    "a dash for the cents" },
		{ "1 234,-", "PLN", ',', 0, AMT_SEP_SPACE, PT_EMALFORMED, 0,
		    "a dash for the cents" },
		{ "1'234.\xe2\x80\x93", "CHF", '.', 0, AMT_SEP_APOS,
		    PT_EMALFORMED, 0, "a dash for the cents" },
		/* a minus then a space; U+2212 */
		{ "- 1 234,56", "PLN", ',', 0, AMT_SEP_SPACE, 0, -123456, NULL },
		{ "\xe2\x88\x92" "12.50", "EUR", 0, 0, AMT_SEP_NONE, 0, -1250,
		    NULL },
		/* padding of no-break and thin spaces; thin and figure
		 * spaces as thousands separators */
		{ "\xc2\xa0" "1 234,56\xc2\xa0", "PLN", ',', 0, AMT_SEP_SPACE, 0,
		    123456, NULL },
		{ "1\xe2\x80\x89" "234,56", "EUR", ',', 0, AMT_SEP_SPACE, 0,
		    123456, NULL },
		{ "1\xe2\x80\x87" "234,56", "EUR", ',', 0, AMT_SEP_SPACE, 0,
		    123456, NULL },
		/* a separator after the decimal one; Excel's text mark */
		{ "1'234.5'0", "CHF", '.', 0, AMT_SEP_APOS, PT_EMALFORMED, 0,
		    "an apostrophe after the decimal point: thousands "
		    "separators go only before it" },
		{ "'1234.50", "CHF", '.', 0, AMT_SEP_APOS, PT_EMALFORMED, 0,
		    "an apostrophe before the number" },
		/* what is none of these is named */
		{ "1\x92" "234.50", "CHF", '.', 0, AMT_SEP_APOS, PT_EMALFORMED,
		    0, "not UTF-8 text (byte 0x92)" },
		{ "12,50 \xe2\x82\xac", "EUR", ',', 0, AMT_SEP_NONE,
		    PT_EMALFORMED, 0, "U+20AC is no digit" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct amt_opts o = { cases[i].decimal, cases[i].thou,
		    cases[i].negative };
		struct pt_why why = { "" };
		int64_t v = 42;
		int rc = amt_parse(cases[i].in, strlen(cases[i].in),
		    cases[i].cur, &o, &v, &why);

		ck_assert_msg(rc == cases[i].rc, "%zu \"%s\": rc %d (%s)", i,
		    cases[i].in, rc, why.text);
		if (rc == 0)
			ck_assert_msg(v == cases[i].want, "%zu: %lld", i,
			    (long long)v);
		else
			ck_assert_msg(cases[i].hint == NULL ||
			    strstr(why.text, cases[i].hint) != NULL,
			    "%zu \"%s\": %s", i, cases[i].in, why.text);
	}
}
END_TEST

START_TEST(iso4217_table)
{
	const char *code, *prev = "";
	int exp, n = 0;

	/* sorted, unique, three capitals, exponents 0..4 or N.A. */
	for (size_t i = 0; amt_table(i, &code, &exp) == 0; i++, n++) {
		ck_assert_int_eq(strlen(code), 3);
		for (int k = 0; k < 3; k++)
			ck_assert(code[k] >= 'A' && code[k] <= 'Z');
		ck_assert_msg(strcmp(prev, code) < 0, "%s after %s", code, prev);
		ck_assert(exp == AMT_NA || (exp >= 0 && exp <= 4));
		prev = code;
	}
	ck_assert_int_gt(n, 150);
	ck_assert_int_eq(amt_exponent("EUR", &exp), 0);
	ck_assert_int_eq(exp, 2);
	ck_assert_int_eq(amt_exponent("JPY", &exp), 0);
	ck_assert_int_eq(exp, 0);
	ck_assert_int_eq(amt_exponent("BHD", &exp), 0);
	ck_assert_int_eq(exp, 3);
	ck_assert_int_eq(amt_exponent("CLF", &exp), 0);
	ck_assert_int_eq(exp, 4);
	ck_assert_int_eq(amt_exponent("XAU", &exp), 0);
	ck_assert_int_eq(exp, AMT_NA);
	ck_assert_int_eq(amt_exponent("XYZ", &exp), PT_ENOTFOUND);
	ck_assert_int_eq(amt_exponent("EU", &exp), PT_ENOTFOUND);
	ck_assert_int_eq(amt_exponent(NULL, &exp), PT_ENOTFOUND);
}
END_TEST

START_TEST(amount_format)
{
	char buf[AMT_MAX_TEXT];

	ck_assert_int_eq(amt_format(123456, "EUR", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1234.56");
	ck_assert_int_eq(amt_format(-5, "EUR", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-0.05");
	ck_assert_int_eq(amt_format(500, "JPY", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "500");
	ck_assert_int_eq(amt_format(1, "BHD", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0.001");
	ck_assert_int_eq(amt_format(INT64_MIN, "EUR", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-92233720368547758.08");
	ck_assert_int_eq(amt_format(7, "XAU", buf, sizeof(buf)), PT_ENOTFOUND);
	ck_assert_str_eq(buf, "7");
	ck_assert_int_eq(amt_format(7, "EUR", buf, 4), PT_ETOOBIG);
	export_amount(7, "XYZ", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	export_amount(12345, "KWD", buf, sizeof(buf));
	ck_assert_str_eq(buf, "12.345");
}
END_TEST

/* ----------------------------------------------------------------- CSV */

struct got {
	json_t *rows;		/* objects, or null for a refused row */
	json_t *lines;		/* the line of each row */
	char problems[8192];
	int nproblems;
};

static int
got_row(void *arg, json_t *obj, size_t line, const struct csvin_row *row)
{
	struct got *g = arg;

	(void)row;
	json_array_append_new(g->rows, obj != NULL ? obj : json_null());
	json_array_append_new(g->lines, json_integer((json_int_t)line));
	return 0;
}

static void
got_err(void *arg, size_t line, size_t col, const char *field,
    const char *value, const char *problem)
{
	struct got *g = arg;
	size_t n = strlen(g->problems);

	snprintf(g->problems + n, sizeof(g->problems) - n, "%zu:%zu: %s: %s "
	    "(%s)\n", line, col, field, problem, value ? value : "-");
	g->nproblems++;
}

static void
got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->rows = json_array();
	g->lines = json_array();
}

static void
got_free(struct got *g)
{
	json_decref(g->rows);
	json_decref(g->lines);
}

static int
parse(const char *csv, const struct csvin_opts *o, struct got *g)
{
	got_init(g);
	return csvin_parse((const uint8_t *)csv, strlen(csv), o, got_row,
	    got_err, g);
}

static long long
row_int(struct got *g, size_t i, const char *path)
{
	return json_integer_value(jrec_path(json_array_get(g->rows, i), path));
}

static const char *
row_str(struct got *g, size_t i, const char *path)
{
	return json_string_value(jrec_path(json_array_get(g->rows, i), path));
}

START_TEST(csv_german_export)
{
	/* Excel "CSV UTF-8" in a German locale: BOM, semicolons, decimal
	 * commas with thousands points, a trailing empty column, CRLF. */
	const char csv[] =
	    "\xef\xbb\xbfid;date;amount;currency;payer.scheme;payer.id;"
	    "payer.name;payee.scheme;payee.id;payee.name;description;\r\n"
	    "R-1;2026-03-01;1.234,56;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;A1;"
	    "\"M\xc3\xbcller; Schmidt GmbH\";Rechnung 1;\r\n"
	    "\r\n"
	    "R-2;2026-03-02;12,5;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;A1;Acme;"
	    "\"zwei\r\nZeilen\";\r\n"
	    "R-3;2026-03-03;-0,01;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;A1;Acme;"
	    "Storno;\r\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.amt.decimal = ',';
	o.amt.thousands = AMT_SEP_POINT;
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_uint_eq(json_array_size(g.rows), 3);
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 123456);
	ck_assert_int_eq(row_int(&g, 1, "amount_minor"), 1250);
	ck_assert_int_eq(row_int(&g, 2, "amount_minor"), -1);
	ck_assert_str_eq(row_str(&g, 0, "payee.name"),
	    "M\xc3\xbcller; Schmidt GmbH");
	/* the CR LF of a Windows cell is the line break it means */
	ck_assert_str_eq(row_str(&g, 1, "description"), "zwei\nZeilen");
	ck_assert_str_eq(row_str(&g, 0, "type"), "payment");
	ck_assert_str_eq(row_str(&g, 0, "payee.kind"), "organization");
	/* lines exact across a blank line and a two-line cell */
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 0)), 2);
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 1)), 4);
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 2)), 6);
	got_free(&g);
	/* the same file with nothing said about the comma: refused, every
	 * row, with the option that reads each */
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_int_eq(g.nproblems, 3);
	ck_assert_ptr_nonnull(strstr(g.problems, "2:3: amount: a comma may be "
	    "a decimal or a thousands separator; --decimal-comma "
	    "--thousands-sep . reads it as 1234.56 EUR (1.234,56)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "4:3: amount:"));
	ck_assert_ptr_nonnull(strstr(g.problems, "6:3: amount:"));
	ck_assert(json_is_null(json_array_get(g.rows, 0)));
	ck_assert(json_is_null(json_array_get(g.rows, 2)));
	got_free(&g);
}
END_TEST

START_TEST(csv_tab_separated)
{
	const char tsv[] =
	    "id\tdate\tamount\tcurrency\tpayer.scheme\tpayer.id\tpayer.name\t"
	    "payee.name\tdescription\n"
	    "T-1\t2026-01-31\t1,234.50\tUSD\tUS-EIN\t1\tCity\tJane Roe\t"
	    "Grant, first part\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.amt.thousands = AMT_SEP_COMMA;
	ck_assert_int_eq(parse(tsv, &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 123450);
	ck_assert_str_eq(row_str(&g, 0, "description"), "Grant, first part");
	/* a payee without a scheme is a natural person */
	ck_assert_str_eq(row_str(&g, 0, "payee.kind"), "individual");
	got_free(&g);
}
END_TEST

START_TEST(csv_excel_sep_line_and_sap_rules)
{
	/* Excel's "sep=;" names the delimiter (the header on line 2); an
	 * SAP list's rule lines are no records; the line numbers stay the
	 * file's */
	const char sep[] =
	    "sep=;\r\n"
	    "id;date;amount;currency;payer.scheme;payer.id;payer.name;"
	    "payee.name;description\r\n"
	    "-----;----------;------;---;------;--;-----;-----;-----\r\n"
	    "S-1;2026-01-31;1,50;EUR;DE-HRB;F1;Stadt;Jane Roe;x, y\r\n"
	    "=====;;;;;;;;\r\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.amt.decimal = ',';
	ck_assert_int_eq(parse(sep, &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_uint_eq(json_array_size(g.rows), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 0)), 4);
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 150);
	ck_assert_str_eq(row_str(&g, 0, "description"), "x, y");
	got_free(&g);
	/* said otherwise: refused */
	o.delimiter = ',';
	ck_assert_int_eq(parse(sep, &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "the file's first line says "
	    "its delimiter is \";\", --delimiter another"));
	ck_assert_uint_eq(json_array_size(g.rows), 0);
	got_free(&g);
	/* a header not UTF-8 after the sep line: said at line 2 */
	o.delimiter = 0;
	ck_assert_int_eq(parse("sep=,\nid,W\xe4hrung\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "2:2: csv: the header is not "
	    "UTF-8"));
	got_free(&g);
}
END_TEST

/* A report's title above the header: said once with the header's line;
 * --header-line reads from there, lines keep their numbers, the lines
 * above are not read (an open quote in the title is no problem). */
START_TEST(csv_title_above_header)
{
	const char rep[] =
	    "Payments \"December\n"
	    "\n"
	    "id,date,amount,currency\n"
	    "X-1,2026-12-01,1.50,EUR\n"
	    "X-2,2026-12-01,1.5.0,EUR\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.type = "payment";
	ck_assert_int_eq(parse("Payments December\n\nid,date,amount,"
	    "currency\nX-1,2026-12-01,1.50,EUR\n", &o, &g), 0);
	ck_assert_msg(g.nproblems == 1 && strstr(g.problems, "1:0: csv: line "
	    "1 is not the header (none of its columns is known: a title above "
	    "the header?); line 3 looks like it (\"id,date,amount,currency\"): "
	    "--header-line 3 reads the file from there") != NULL, "%s",
	    g.problems);
	ck_assert_uint_eq(json_array_size(g.rows), 0);
	got_free(&g);
	o.header_line = 3;
	ck_assert_int_eq(parse(rep, &o, &g), 0);
	ck_assert_msg(g.nproblems == 1 && strstr(g.problems, "5:3: amount: ")
	    != NULL, "%s", g.problems);
	ck_assert_uint_eq(json_array_size(g.rows), 2);
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 0)), 4);
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 150);
	got_free(&g);
	/* a file shorter than that; a header of unknown names with no row
	 * of known ones below: each column said, as before */
	o.header_line = 9;
	ck_assert_int_eq(parse(rep, &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "1:0: csv: --header-line 9: "
	    "the file has 5 lines"));
	got_free(&g);
	o.header_line = 0;
	ck_assert_int_eq(parse("Betrag,Datum\n1,2\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "1:1: Betrag: unknown "
	    "column"));
	got_free(&g);
}
END_TEST

START_TEST(csv_delimiter_refusals)
{
	struct csvin_opts o;
	struct got g;
	const char both[] = "id;date,amount\nA;1,2\n";
	const uint8_t utf16[] = { 0xff, 0xfe, 'i', 0, 'd', 0, '\n', 0 };

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(parse(both, &o, &g), 0);
	ck_assert_int_eq(g.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(g.problems, "both ',' and ';'"));
	ck_assert_ptr_nonnull(strstr(g.problems, "--delimiter"));
	ck_assert_uint_eq(json_array_size(g.rows), 0);
	got_free(&g);
	/* said: read with it (the comma is then inside a cell) */
	o.delimiter = ';';
	ck_assert_int_eq(parse("id;description\nA;x, y\n", &o, &g), 0);
	ck_assert_int_eq(g.nproblems, 0);
	ck_assert_str_eq(row_str(&g, 0, "description"), "x, y");
	got_free(&g);
	memset(&o, 0, sizeof(o));
	got_init(&g);
	ck_assert_int_eq(csvin_parse(utf16, sizeof(utf16), &o, got_row,
	    got_err, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "UTF-16"));
	got_free(&g);
}
END_TEST

START_TEST(csv_columns_refused)
{
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.currency = "EUR";
	/* amount and amount_minor: two columns for one field */
	ck_assert_int_eq(parse("id,amount,amount_minor\nA,1.00,100\n", &o,
	    &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "1:3: amount_minor: columns "
	    "2 (amount) and 3 (amount_minor) both set amount_minor"));
	ck_assert_uint_eq(json_array_size(g.rows), 0);
	got_free(&g);
	/* a column given twice (any spelling) */
	ck_assert_int_eq(parse("id,Amount,AMOUNT\nA,1,2\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "both set amount_minor"));
	got_free(&g);
	ck_assert_int_eq(parse("id,date,id\nA,2026-01-01,B\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "column given twice"));
	got_free(&g);
	/* an unknown column: the accepted names are listed */
	ck_assert_int_eq(parse("Payment ID,amount\nA,1\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "1:1: Payment ID: unknown "
	    "column; accepted: id, type, date, amount, amount_minor"));
	ck_assert_ptr_nonnull(strstr(g.problems, "StatusCurrentMapped"));
	ck_assert_ptr_nonnull(strstr(g.problems, "--map 'Payment ID=FIELD'"));
	got_free(&g);
	/* an unnamed column must stay empty */
	ck_assert_int_eq(parse("id,amount,\nA,1,\nB,2,x\n", &o, &g), 0);
	ck_assert_int_eq(g.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(g.problems, "3:3: csv: a cell in a column "
	    "without a name"));
	ck_assert_uint_eq(json_array_size(g.rows), 2);
	ck_assert(json_is_object(json_array_get(g.rows, 0)));
	ck_assert(json_is_null(json_array_get(g.rows, 1)));
	got_free(&g);
	/* ragged rows, a quote in the middle of a cell */
	ck_assert_int_eq(parse("id,amount\nA\nB,1,2\n", &o, &g), 0);
	ck_assert_int_eq(g.nproblems, 2);
	ck_assert_ptr_nonnull(strstr(g.problems, "2:0: csv: 1 cells, the "
	    "header has 2"));
	ck_assert_ptr_nonnull(strstr(g.problems, "3:3: csv: 3 cells"));
	got_free(&g);
	ck_assert_int_eq(parse("id,amount\nA,1\nB,\"2\"x\n", &o, &g), 0);
	ck_assert_int_eq(g.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(g.problems, "3:0: csv:"));
	got_free(&g);
	/* minor-unit columns take integers only */
	ck_assert_int_eq(parse("id,amount_minor\nA,12.50\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "want an integer in minor "
	    "units"));
	got_free(&g);
	/* not UTF-8 (a Windows-1252 export) */
	ck_assert_int_eq(parse("id,description\nA,M\xfcller\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "not UTF-8"));
	got_free(&g);
	ck_assert_int_eq(parse("", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "no header row"));
	got_free(&g);
}
END_TEST

/* A row with an unreadable cell hands over, besides its problem, the
 * record the rest of the row makes (stand-ins for the unreadable cells)
 * and which paths are the unreadable cells' (csvin_row_failed). */
struct partial_got {
	json_t *partial[2];
	int failed[2][5];
	int null_obj[2];
	size_t n;
};

static int
partial_row(void *arg, json_t *obj, size_t line, const struct csvin_row *row)
{
	static const char *const paths[5] = { "amount_minor", "date",
	    "currency", "payee", "description" };
	struct partial_got *g = arg;
	json_t *pr = csvin_row_partial(row);

	(void)line;
	ck_assert_uint_lt(g->n, 2);
	g->null_obj[g->n] = obj == NULL;
	g->partial[g->n] = pr != NULL ? json_deep_copy(pr) : NULL;
	for (int i = 0; i < 5; i++)
		g->failed[g->n][i] = csvin_row_failed(row, paths[i]);
	json_decref(obj);
	g->n++;
	return 0;
}

static void
partial_err(void *arg, size_t line, size_t col, const char *field,
    const char *value, const char *problem)
{
	(void)arg; (void)line; (void)col; (void)field; (void)value;
	(void)problem;
}

START_TEST(csv_unreadable_cell_partial)
{
	const char *csv = "id,date,amount,payee.name\n"
	    "K-1,2026-13-01,\"12,50\",Firma\n"
	    "K-2,2026-01-01,12.50,Firma\n";
	struct csvin_opts o = { 0 };
	struct partial_got g = { 0 };
	json_t *p;

	o.currency = "EUR";
	ck_assert_int_eq(csvin_parse((const uint8_t *)csv, strlen(csv), &o,
	    partial_row, partial_err, &g), 0);
	ck_assert_uint_eq(g.n, 2);
	/* the unreadable amount: no object, a partial one with a stand-in
	 * (which brings the currency default as a real amount would) */
	ck_assert(g.null_obj[0]);
	ck_assert_ptr_nonnull(p = g.partial[0]);
	ck_assert_str_eq(json_string_value(json_object_get(p, "id")), "K-1");
	ck_assert_str_eq(json_string_value(json_object_get(p, "date")),
	    "2026-13-01");
	ck_assert_int_eq(json_integer_value(json_object_get(p,
	    "amount_minor")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(p, "currency")),
	    "EUR");
	ck_assert_int_eq(g.failed[0][0], 1);	/* amount_minor: its cell */
	ck_assert_int_eq(g.failed[0][1], 0);	/* date: read */
	ck_assert_int_eq(g.failed[0][2], 1);	/* currency: made, no column */
	ck_assert_int_eq(g.failed[0][3], 0);	/* payee: payee.name, read */
	ck_assert_int_eq(g.failed[0][4], 0);	/* no column, not made */
	/* a row read whole: its object, no partial one, nothing failed */
	ck_assert(!g.null_obj[1]);
	ck_assert_ptr_null(g.partial[1]);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(g.failed[1][i], 0);
	json_decref(g.partial[0]);
}
END_TEST

START_TEST(csv_blds_status_mapped)
{
	const char csv[] =
	    "PermitNum,Description,StatusCurrent,StatusCurrentMapped,"
	    "StatusDate,OriginalAddress1,OriginalCity,Jurisdiction,"
	    "jurisdiction.scheme,jurisdiction.id,PermitType,Fee,"
	    "EstProjectCost,PermitClass\r\n"
	    "BP-1,Deck,Issued,Permit Issued,2026-02-01T10:00:00,1 Main St,"
	    "Springfield,City,US-EIN,12,Building,150.5,\"12,500\","
	    "Residential\r\n"
	    "BP-2,Shed,Final,Permit Finaled,2026-02-02,2 Oak,Springfield,City,"
	    "US-EIN,12,Building,75,,Residential\r\n"
	    "BP-3,Pool,Plan Check,In Review,2026-02-03,3 Elm,Springfield,City,"
	    "US-EIN,12,Building,75,,Residential\r\n"
	    "BP-4,Barn,Denied,Permit Issued,2026-02-04,4 Ash,Springfield,City,"
	    "US-EIN,12,Building,75,,Residential\r\n"
	    "BP-5,Barn,Closed,Permit Canceled,2026-02-05,5 Ash,Springfield,"
	    "City,US-EIN,12,Building,75,,Residential\r\n"
	    "BP-6,Barn,Closed,Done,2026-02-06,6 Ash,Springfield,City,US-EIN,"
	    "12,Building,75,,Residential\r\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.currency = "USD";
	o.amt.decimal = '.';
	o.amt.thousands = AMT_SEP_COMMA;
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 6);
	ck_assert_str_eq(row_str(&g, 0, "decision"), "issued");
	ck_assert_str_eq(row_str(&g, 0, "decision_date"), "2026-02-01");
	ck_assert_str_eq(row_str(&g, 0, "id"), "BP-1/issued/2026-02-01");
	ck_assert_str_eq(row_str(&g, 0, "type"), "permit_decision");
	ck_assert_int_eq(row_int(&g, 0, "fee_minor"), 15050);
	ck_assert_int_eq(row_int(&g, 0, "est_project_cost_minor"), 1250000);
	ck_assert_str_eq(row_str(&g, 0, "currency"), "USD");
	ck_assert_str_eq(row_str(&g, 1, "decision"), "finaled");
	ck_assert_str_eq(row_str(&g, 4, "decision"), "cancelled");
	/* in review: not a decision; Denied vs Permit Issued: refused;
	 * an unknown mapped value: refused with the accepted ones */
	ck_assert(json_is_null(json_array_get(g.rows, 2)));
	ck_assert(json_is_null(json_array_get(g.rows, 3)));
	ck_assert(json_is_null(json_array_get(g.rows, 5)));
	ck_assert_int_eq(g.nproblems, 3);
	ck_assert_ptr_nonnull(strstr(g.problems, "4:4: StatusCurrentMapped: not "
	    "a decision"));
	ck_assert_ptr_nonnull(strstr(g.problems, "5:3: StatusCurrent: says "
	    "denied, but StatusCurrentMapped says issued (Denied)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "7:4: StatusCurrentMapped: not "
	    "a BLDS StatusCurrentMapped value"));
	got_free(&g);
}
END_TEST

START_TEST(csv_column_map)
{
	const char csv[] =
	    "Buchungs-Nr.;Datum;Betrag;W\xc3\xa4hrung;Empf\xc3\xa4nger;"
	    "Verwendungszweck;Interne Notiz\n"
	    "B-1;2026-03-01;99,95;EUR;Anna Schmidt;Miete M\xc3\xa4rz;x\n";
	const char mapfile[] =
	    "\xef\xbb\xbf# Spaltenzuordnung der Stadtkasse\r\n"
	    "Buchungs-Nr. = id\r\n"
	    "Datum = date\r\n"
	    "  Betrag   =   amount  \r\n"
	    "W\xc3\xa4hrung = currency\r\n"
	    "Empf\xc3\xa4nger = payee.name\r\n"
	    "Verwendungszweck = description\r\n"
	    "\r\n"
	    "Interne Notiz = -\r\n";
	char path[] = "/tmp/pt-map-XXXXXX";
	struct csvin_map *m = NULL;
	struct pt_why why = { "" };
	struct csvin_opts o;
	struct got g;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, mapfile, sizeof(mapfile) - 1),
	    (ssize_t)(sizeof(mapfile) - 1));
	close(fd);
	ck_assert_int_eq(csvin_map_load(path, &m, &why), 0);
	unlink(path);
	memset(&o, 0, sizeof(o));
	o.map = m;
	o.amt.decimal = ',';
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_str_eq(row_str(&g, 0, "id"), "B-1");
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 9995);
	ck_assert_str_eq(row_str(&g, 0, "payee.name"), "Anna Schmidt");
	ck_assert_ptr_null(jrec_path(json_array_get(g.rows, 0), "Interne"));
	got_free(&g);
	csvin_map_free(m);
	/* inline, the same */
	ck_assert_int_eq(csvin_map_load("Buchungs-Nr.=id,Datum=date,"
	    "Betrag=amount,W\xc3\xa4hrung=currency,Empf\xc3\xa4nger=payee.name,"
	    "Verwendungszweck=description,Interne Notiz=-", &m, &why), 0);
	o.map = m;
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 9995);
	got_free(&g);
	csvin_map_free(m);
	/* a map that sets a field a column already sets: refused */
	ck_assert_int_eq(csvin_map_load("Betrag=amount", &m, &why), 0);
	o.map = m;
	ck_assert_int_eq(parse("id,Betrag,amount\nA,1,2\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "both set amount_minor"));
	got_free(&g);
	csvin_map_free(m);
	/* bad maps */
	ck_assert_int_eq(csvin_map_load("Betrag=amout", &m, &why),
	    PT_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(why.text, "\"amout\" is not a field"));
	ck_assert_int_eq(csvin_map_load("Betrag=amount,Betrag=id", &m, &why),
	    PT_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(why.text, "given twice"));
	/* constants: the same value in every row */
	ck_assert_int_eq(csvin_map_load("Betrag=amount,currency := EUR,"
	    "payer.name:=Stadtkasse", &m, &why), 0);
	o.map = m;
	memset(&o.amt, 0, sizeof(o.amt));
	ck_assert_int_eq(parse("id,Betrag\nA,1.5\nB,2\n", &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_int_eq(row_int(&g, 1, "amount_minor"), 200);
	ck_assert_str_eq(row_str(&g, 1, "currency"), "EUR");
	ck_assert_str_eq(row_str(&g, 0, "payer.name"), "Stadtkasse");
	got_free(&g);
	/* a constant and a column for one field: refused */
	ck_assert_int_eq(parse("id,Betrag,currency\nA,1.5,USD\n", &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "1:3: currency: this column "
	    "and the map's constant currency both set currency"));
	got_free(&g);
	csvin_map_free(m);
	ck_assert_int_eq(csvin_map_load("currency := EUR,currency := USD", &m,
	    &why), PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("colour := red", &m, &why),
	    PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("currency :=", &m, &why),
	    PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("=id", &m, &why), PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("/nonexistent/map", &m, &why),
	    PT_ENOTFOUND);
	ck_assert_ptr_null(m);
}
END_TEST

/* --------------------------------------------------------------- JSON */

struct in_got {
	int records, bad;
	char problems[4096];
	char lines[256];
};

static int
in_rec(void *arg, struct in_rec *r)
{
	struct in_got *g = arg;
	size_t n = strlen(g->lines);

	g->records++;
	g->bad += r->obj == NULL;
	snprintf(g->lines + n, sizeof(g->lines) - n, "%zu%s ", r->pos.line,
	    r->obj == NULL ? "!" : "");
	json_decref(r->obj);
	return 0;
}

static void
in_problem(void *arg, const struct in_pos *pos, const char *field,
    const char *value, int value_json, const char *problem)
{
	struct in_got *g = arg;
	size_t n = strlen(g->problems);

	(void)value;
	(void)value_json;
	snprintf(g->problems + n, sizeof(g->problems) - n, "%zu:%zu: %s: %s\n",
	    pos->line, pos->col, field, problem);
}

static void
read_text(const char *name, const char *text, struct in_got *g)
{
	char path[64];
	struct pt_why why = { "" };
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/pt-in-%d%s", (int)getpid(), name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(in_read(path, NULL, in_rec, in_problem, g, &why), 0);
	unlink(path);
}

START_TEST(json_every_record_reported)
{
	struct in_got g;

	/* an array with a bad element in the middle: the others are read,
	 * each at its line */
	read_text(".json", "[\n  {\"id\": \"A\"},\n  {\"id\": \"B\",},\n"
	    "  3,\n  {\"id\":\n    \"C\"}\n]\n", &g);
	ck_assert_int_eq(g.records, 4);
	ck_assert_int_eq(g.bad, 2);
	ck_assert_str_eq(g.lines, "2 3! 4! 5 ");
	ck_assert_ptr_nonnull(strstr(g.problems, "3:"));
	ck_assert_ptr_nonnull(strstr(g.problems, "4:3: json: a record is a "
	    "JSON object"));
	/* JSON Lines: a syntax error costs its line only */
	read_text(".jsonl", "{\"id\": \"A\"}\n\n{\"id\": \"B\"\n{\"id\": \"C\"}\n",
	    &g);
	ck_assert_int_eq(g.records, 3);
	ck_assert_int_eq(g.bad, 1);
	ck_assert_str_eq(g.lines, "1 3! 4 ");
	ck_assert_ptr_nonnull(strstr(g.problems, "3:"));
	/* pretty-printed objects one after another */
	read_text(".json", "{\n \"id\": \"A\"\n}\n{\n \"id\": \"B\"\n}\n", &g);
	ck_assert_int_eq(g.records, 2);
	ck_assert_str_eq(g.lines, "1 4 ");
	/* broken brackets: reported, the rest not guessed at */
	read_text(".json", "[{\"id\": \"A\"}, {\"id\": \"B\"", &g);
	ck_assert_int_eq(g.records, 1);
	ck_assert_ptr_nonnull(strstr(g.problems, "nothing after this point"));
	/* duplicate keys, an empty file */
	read_text(".json", "{\"id\": \"A\", \"id\": \"B\"}", &g);
	ck_assert_int_eq(g.bad, 1);
	read_text(".json", "  \n", &g);
	ck_assert_ptr_nonnull(strstr(g.problems, "no records"));
	/* UTF-16: one problem, saying so */
	read_text(".json", "\xff\xfe{\x01}\x01", &g);
	ck_assert_ptr_nonnull(strstr(g.problems, "the file is UTF-16: save it "
	    "as UTF-8"));
	ck_assert_int_eq(g.records, 0);
}
END_TEST

START_TEST(date_formats)
{
	static const struct {
		const char *spec, *text;
	} good[] = {
		{ "DD.MM.YYYY", "DD.MM.YYYY" }, { "d.m.yyyy", "DD.MM.YYYY" },
		{ "MM/DD/YYYY", "MM/DD/YYYY" }, { "DD/MM/YYYY", "DD/MM/YYYY" },
		{ "DD-MM-YYYY", "DD-MM-YYYY" }, { "YYYY/MM/DD", "YYYY/MM/DD" },
		{ "YYYY-M-D", "YYYY-MM-DD" },
	};
	static const char *const bad[] = { "", "DD.MM.YY", "MM-YYYY-DD",
	    "DD.MM/YYYY", "DD.DD.YYYY", "DDD.MM.YYYY", "DD MM YYYY",
	    "DD.MM.YYYY.", "YYYY-DD-MM", "TT.MM.JJJJ" };
	struct datefmt f, us;
	struct pt_why why = { "" };
	const char *end;
	char iso[11], hint[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(datefmt_parse(good[i].spec, &f, &why) == 0, "%s",
		    good[i].spec);
		ck_assert_str_eq(f.text, good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(datefmt_parse(bad[i], &f, &why) == PT_EINVAL,
		    "%s", bad[i]);
		ck_assert_int_eq(f.order[0], 0);
	}
	ck_assert_int_eq(datefmt_parse("DD.MM.YY", &f, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "two-digit year"));

	ck_assert_int_eq(datefmt_parse("DD.MM.YYYY", &f, &why), 0);
	ck_assert_int_eq(datefmt_parse("MM/DD/YYYY", &us, &why), 0);
	ck_assert_int_eq(datefmt_read(&f, "31.01.2026", iso, &end), 0);
	ck_assert_str_eq(iso, "2026-01-31");
	ck_assert_str_eq(end, "");
	ck_assert_int_eq(datefmt_read(&f, "1.2.2026 09:30", iso, &end), 0);
	ck_assert_str_eq(iso, "2026-02-01");
	ck_assert_str_eq(end, " 09:30");
	ck_assert_int_eq(datefmt_read(&us, "2/1/2026", iso, &end), 0);
	ck_assert_str_eq(iso, "2026-02-01");
	ck_assert_int_eq(datefmt_read(&us, "12/31/2024", iso, &end), 0);
	ck_assert_str_eq(iso, "2024-12-31");
	/* no such day; a leap day only in a leap year */
	ck_assert_int_eq(datefmt_read(&f, "31.02.2026", iso, &end), -2);
	ck_assert_int_eq(datefmt_read(&f, "29.02.2025", iso, &end), -2);
	ck_assert_int_eq(datefmt_read(&f, "29.02.2024", iso, &end), 0);
	ck_assert_int_eq(datefmt_read(&us, "31/12/2024", iso, &end), -2);
	/* the declared order with another separator (the same twice) */
	ck_assert_int_eq(datefmt_read(&f, "31/01/2026", iso, &end), 0);
	ck_assert_str_eq(iso, "2026-01-31");
	ck_assert_int_eq(datefmt_read(&us, "01-31-2026", iso, &end), 0);
	ck_assert_str_eq(iso, "2026-01-31");
	/* not in the declared form: mixed separators, a 2-digit year, a
	 * 3-digit day, a year of 5 digits, nothing declared */
	ck_assert_int_eq(datefmt_read(&f, "31/01.2026", iso, &end), -1);
	ck_assert_int_eq(datefmt_read(&f, "31.01.26", iso, &end), -1);
	ck_assert_int_eq(datefmt_read(&f, "031.01.2026", iso, &end), -1);
	ck_assert_int_eq(datefmt_read(&f, "31.01.20260", iso, &end), -1);
	ck_assert_int_eq(datefmt_read(NULL, "31.01.2026", iso, &end), -1);
	ck_assert_int_eq(datefmt_read(&f, " 31.01.2026", iso, &end), -1);
	/* ISO is read always, as it stands (the schema judges the day) */
	ck_assert_int_eq(datefmt_read(NULL, "2026-02-30T10:00", iso, &end),
	    0);
	ck_assert_str_eq(iso, "2026-02-30");
	ck_assert_str_eq(end, "T10:00");
	ck_assert_int_eq(datefmt_read(&us, "2026-01-31", iso, &end), 0);
	ck_assert_int_eq(datefmt_read(NULL, "2026-01-310", iso, &end), -1);

	datefmt_hint("31.01.2026", hint, sizeof(hint));
	ck_assert_str_eq(hint, "--date-format DD.MM.YYYY reads it as "
	    "2026-01-31");
	datefmt_hint("01/02/2026", hint, sizeof(hint));
	ck_assert_str_eq(hint, "--date-format DD/MM/YYYY reads it as "
	    "2026-02-01, --date-format MM/DD/YYYY as 2026-01-02");
	datefmt_hint("05/05/2026", hint, sizeof(hint));
	ck_assert_str_eq(hint, "--date-format DD/MM/YYYY reads it as "
	    "2026-05-05");
	datefmt_hint("2026/02/01", hint, sizeof(hint));
	ck_assert_str_eq(hint, "--date-format YYYY/MM/DD reads it as "
	    "2026-02-01");
	datefmt_hint("31.1.26", hint, sizeof(hint));
	ck_assert_ptr_nonnull(strstr(hint, "two-digit year"));
	datefmt_hint("2026.02.01", hint, sizeof(hint));
	ck_assert_str_eq(hint, "--date-format YYYY.MM.DD reads it as "
	    "2026-02-01");
	datefmt_hint("02-03-2026", hint, sizeof(hint));
	ck_assert_str_eq(hint, "--date-format DD-MM-YYYY reads it as "
	    "2026-03-02, --date-format MM-DD-YYYY as 2026-02-03");
	datefmt_hint("31.02.2026", hint, sizeof(hint));
	ck_assert_str_eq(hint, "");
	datefmt_hint("yesterday", hint, sizeof(hint));
	ck_assert_str_eq(hint, "");
	datefmt_hint("01/02/2026", hint, 20);	/* cut, terminated */
	ck_assert_uint_eq(strlen(hint), 19);
}
END_TEST

START_TEST(csv_dates_declared)
{
	/* Excel in a German locale saves dates as it shows them */
	const char de[] =
	    "id;date;amount_minor;currency;payer.scheme;payer.id;payer.name;"
	    "payee.scheme;payee.id;payee.name;description\r\n"
	    "R-1;31.01.2026;1;EUR;DE-GV;1;K;DE-HRB;2;A;x\r\n"
	    "R-2;1.2.2026 09:30;1;EUR;DE-GV;1;K;DE-HRB;2;A;x\r\n"
	    "R-3;2026-02-03;1;EUR;DE-GV;1;K;DE-HRB;2;A;x\r\n"
	    "R-4;30.02.2026;1;EUR;DE-GV;1;K;DE-HRB;2;A;x\r\n"
	    "R-5;02/04/2026;1;EUR;DE-GV;1;K;DE-HRB;2;A;x\r\n"
	    "R-6;02.04.26;1;EUR;DE-GV;1;K;DE-HRB;2;A;x\r\n";
	/* a US county's BLDS export: month first, a 12-hour clock */
	const char us[] =
	    "PermitNum,StatusCurrentMapped,StatusDate,IssuedDate,Description,"
	    "OriginalAddress1,OriginalCity,Jurisdiction,jurisdiction.scheme,"
	    "jurisdiction.id,PermitType\r\n"
	    "BP-1,Permit Issued,2/1/2026 9:30 AM,2/1/2026,Deck,1 Main St,"
	    "Springfield,City,US-EIN,12,Building\r\n"
	    "BP-2,Permit Issued,02/03/2026 12:05:09 pm,,Shed,2 Oak,"
	    "Springfield,City,US-EIN,12,Building\r\n"
	    "BP-3,Permit Issued,2/4/2026 13:00 PM,,Barn,3 Elm,Springfield,"
	    "City,US-EIN,12,Building\r\n"
	    "BP-4,Permit Issued,2/5/2026 0:30 AM,,Barn,4 Elm,Springfield,"
	    "City,US-EIN,12,Building\r\n";
	struct csvin_opts o;
	struct pt_why why = { "" };
	struct got g;

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(datefmt_parse("DD.MM.YYYY", &o.date, &why), 0);
	ck_assert_int_eq(parse(de, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 6);
	ck_assert_str_eq(row_str(&g, 0, "date"), "2026-01-31");
	ck_assert_str_eq(row_str(&g, 1, "date"), "2026-02-01");
	ck_assert_str_eq(row_str(&g, 2, "date"), "2026-02-03");
	ck_assert(json_is_null(json_array_get(g.rows, 3)));
	/* the declared order, whatever the separator */
	ck_assert_str_eq(row_str(&g, 4, "date"), "2026-04-02");
	ck_assert(json_is_null(json_array_get(g.rows, 5)));
	ck_assert_int_eq(g.nproblems, 2);
	ck_assert_ptr_nonnull(strstr(g.problems, "5:2: date: no such day: "
	    "read as 2026-02-30 (--date-format DD.MM.YYYY) (30.02.2026)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "7:2: date: want a date "
	    "DD.MM.YYYY (as --date-format says) or YYYY-MM-DD; a two-digit "
	    "year names no century"));
	got_free(&g);
	/* undeclared: refused, each with the declaration that reads it */
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(parse(de, &o, &g), 0);
	ck_assert_str_eq(row_str(&g, 2, "date"), "2026-02-03");
	ck_assert(json_is_null(json_array_get(g.rows, 0)));
	ck_assert(json_is_null(json_array_get(g.rows, 1)));
	ck_assert_ptr_nonnull(strstr(g.problems, "2:2: date: want a calendar "
	    "date YYYY-MM-DD; --date-format DD.MM.YYYY reads it as 2026-01-31 "
	    "(31.01.2026)"));
	/* between points the day comes first (no locale puts the month
	 * there); a slash says both orders, as the DE row 6 above */
	ck_assert_ptr_nonnull(strstr(g.problems, "3:2: date: want a calendar "
	    "date YYYY-MM-DD; --date-format DD.MM.YYYY reads it as "
	    "2026-02-01 (1.2.2026 09:30)"));
	got_free(&g);

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(datefmt_parse("MM/DD/YYYY", &o.date, &why), 0);
	ck_assert_int_eq(parse(us, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 4);
	ck_assert_str_eq(row_str(&g, 0, "decision_date"), "2026-02-01");
	ck_assert_str_eq(row_str(&g, 0, "issued_date"), "2026-02-01");
	ck_assert_str_eq(row_str(&g, 0, "id"), "BP-1/issued/2026-02-01");
	ck_assert_str_eq(row_str(&g, 1, "id"), "BP-2/issued/2026-02-03");
	/* 13 PM and 0 AM are no times of a 12-hour clock */
	ck_assert(json_is_null(json_array_get(g.rows, 2)));
	ck_assert(json_is_null(json_array_get(g.rows, 3)));
	ck_assert_int_eq(g.nproblems, 2);
	ck_assert_ptr_nonnull(strstr(g.problems, "4:3: StatusDate: want a date "
	    "MM/DD/YYYY (as --date-format says) or YYYY-MM-DD, alone or with "
	    "a time (hh:mm[:ss] [AM|PM]), of which the date is logged "
	    "(2/4/2026 13:00 PM)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "5:3: StatusDate:"));
	got_free(&g);
}
END_TEST

/* jrec_from_json of a payment to payee {kind organization, scheme, id,
 * name}: its answer, the reason in *why. */
static int
payee_rc(const char *scheme, const char *id, const char *name,
    struct pt_why *why)
{
	json_t *r = json_pack("{s:s,s:s,s:s,s:i,s:s,s:{s:s,s:s,s:s,s:s},"
	    "s:{s:s,s:s,s:s,s:s},s:s}", "type", "payment", "id", "P-1", "date",
	    "2026-01-02", "amount_minor", 1, "currency", "EUR", "payer", "kind",
	    "organization", "scheme", "XI-TEST", "id", "1", "name", "Office",
	    "payee", "kind", "organization", "scheme", scheme, "id", id, "name",
	    name, "description", "x");
	struct wire_buf out;
	int rc;

	ck_assert_ptr_nonnull(r);
	wire_buf_init(&out);
	why->text[0] = '\0';
	rc = jrec_from_json(r, &out, NULL, why);
	wire_buf_free(&out);
	json_decref(r);
	return rc;
}

START_TEST(register_numbers_whole)
{
	/* a register that numbers with a fixed count of digits: a shorter
	 * number lost its leading zeros in a spreadsheet */
	static const struct {
		const char *scheme, *id;
		int ok;
	} cases[] = {
		{ "NL-KVK", "01234567", 1 }, { "NL-KVK", "1234567", 0 },
		{ "NL-KVK", "012345678", 0 }, { "NL-KVK", "0123456A", 0 },
		{ "US-EIN", "12-3456789", 1 }, { "US-EIN", "023456789", 1 },
		{ "US-EIN", "23456789", 0 }, { "US-EIN", "2-3456789", 0 },
		{ "US-EIN", "12-345678", 0 }, { "GB-COH", "01234567", 1 },
		{ "GB-COH", "SC123456", 1 }, { "GB-COH", "1234567", 0 },
		{ "GB-COH", "SC12345", 0 }, { "GB-COH", "123", 0 },
		{ "XI-TEST", "123", 1 },
	};
	struct pt_why why = { "" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = payee_rc(cases[i].scheme, cases[i].id, "Acme", &why);

		ck_assert_msg((rc == 0) == cases[i].ok, "%s %s: %s",
		    cases[i].scheme, cases[i].id, why.text);
		if (!cases[i].ok)
			ck_assert_ptr_nonnull(strstr(why.text, "leading zeros "
			    "lost in a column of numbers? format it as Text"));
	}
}
END_TEST

START_TEST(csv_spreadsheet_artifacts)
{
	/* what spreadsheets write for what they could not show: refused,
	 * each with why; text that merely holds such signs is text */
	const char csv[] =
	    "id;date;amount;currency;payer.scheme;payer.id;payer.name;"
	    "payee.scheme;payee.id;payee.name;description\r\n"
	    "R-1;2026-01-02;#WERT!;EUR;DE-GV;1;K;FR-SIRET;4,43062E+13;#REF!;"
	    "x\r\n"
	    "R-2;########;1,00;EUR;DE-GV;1;K;DE-HRB;#N/A;#NV;"
	    "#\xc2\xa1VALOR!\r\n"
	    "R-3;2026-01-02;1,00;EUR;DE-GV;1;K;DE-HRB;Err:502;#DIV/0!;"
	    "#NOM?\r\n"
	    "R-4;2026-01-02;1,00;EUR;DE-GV;1;K;DE-HRB;-1.23457E-11;A;x\r\n"
	    "R-5;2026-01-02;1,00;EUR;DE-GV;1;K;DE-HRB;2E10;#1 thanks!;"
	    "E=mc2, 2E+10 #DIV/0! #N/A Err:502 ###\r\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.amt.decimal = ',';
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 5);
	for (size_t i = 0; i < 4; i++)
		ck_assert(json_is_null(json_array_get(g.rows, i)));
	ck_assert_str_eq(row_str(&g, 4, "payee.id"), "2E10");
	ck_assert_str_eq(row_str(&g, 4, "payee.name"), "#1 thanks!");
	ck_assert_int_eq(g.nproblems, 11);
	ck_assert_ptr_nonnull(strstr(g.problems, "2:3: amount: a spreadsheet's "
	    "error value: the formula behind this cell failed; correct it and "
	    "export again (#WERT!)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "2:9: payee.id: a number in "
	    "scientific notation: the spreadsheet cut its digits"));
	ck_assert_ptr_nonnull(strstr(g.problems, "2:10: payee.name: a "
	    "spreadsheet's error value"));
	ck_assert_ptr_nonnull(strstr(g.problems, "3:2: date: the spreadsheet "
	    "showed #### (the column was too narrow"));
	ck_assert_ptr_nonnull(strstr(g.problems, "3:9: payee.id: a "
	    "spreadsheet's error value"));
	ck_assert_ptr_nonnull(strstr(g.problems, "3:10: payee.name: a "
	    "spreadsheet's error value"));
	ck_assert_ptr_nonnull(strstr(g.problems, "3:11: description: a "
	    "spreadsheet's error value"));
	ck_assert_ptr_nonnull(strstr(g.problems, "4:9: payee.id: a "
	    "spreadsheet's error value (LibreOffice)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "4:10: payee.name: a "
	    "spreadsheet's error value"));
	ck_assert_ptr_nonnull(strstr(g.problems, "4:11: description: a "
	    "spreadsheet's error value"));
	ck_assert_ptr_nonnull(strstr(g.problems, "5:9: payee.id: a number in "
	    "scientific notation"));
	got_free(&g);
}
END_TEST

START_TEST(self_employed_numbers)
{
	/* a national number that by its form is a natural person's, under
	 * that country's scheme: refused as an organization's id */
	static const struct {
		const char *scheme, *id;
		int person;
	} cases[] = {
		{ "ES-NIF", "12345678Z", 1 }, { "ES-NIF", "X1234567L", 1 },
		{ "ES-AEAT", "ES12345678Z", 1 }, { "ES-NIF", "K1234567L", 1 },
		{ "ES-NIF", "B12345674", 0 }, { "ES-NIF", "Q2826000H", 0 },
		{ "ES-DIR3", "L01280796", 0 }, { "ES-NIF", "1234567Z", 0 },
		{ "IT-CF", "RSSMRA85T10A562S", 1 },
		{ "IT-CF", "RSSMRA85T1LA562S", 1 },	/* omocodia */
		{ "IT-CF", "01234567890", 0 }, { "IT-CF", "RSSMRA85T10A562", 0 },
		{ "DE-HRB", "12345678Z", 0 }, { "DE-HRB", "RSSMRA85T10A562S", 0 },
		{ "US-EIN", "321-54-9876", 1 }, { "US-SSA", "321-54-9876", 1 },
		{ "US-EIN", "12-3456789", 0 }, { "US-EIN", "123456789", 0 },
		{ "XI-TEST", "321-54-9876", 0 },
	};
	struct pt_why why = { "" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = payee_rc(cases[i].scheme, cases[i].id, "Ana Ruiz",
		    &why);

		if (cases[i].person) {
			ck_assert_msg(rc == PT_ESCHEMA, "%s %s", cases[i].scheme,
			    cases[i].id);
			ck_assert_ptr_nonnull(strstr(why.text, "payee.id: the "
			    "number of a natural person"));
		} else
			ck_assert_msg(rc == 0, "%s %s: %s", cases[i].scheme,
			    cases[i].id, why.text);
	}
}
END_TEST

START_TEST(csv_messages_say_what_to_do)
{
	/* a company's id without its scheme: the scheme is missing, it is
	 * not a person; a currency written as a symbol or in small letters;
	 * a header with a quote: the map to give, as a shell takes it; one
	 * with a comma: a map file line */
	const char csv[] =
	    "id;date;amount;currency;payer.scheme;payer.id;payer.name;"
	    "payee.id;payee.name;description\r\n"
	    "R-1;2026-01-02;1,00;EUR;DE-GV;1;K;4711;Acme;x\r\n"
	    "R-2;2026-01-02;1,00;\xe2\x82\xac;DE-GV;1;K;;Ana;x\r\n"
	    "R-3;2026-01-02;1,00;eur;DE-GV;1;K;;Ana;x\r\n";
	const char head[] = "id;Date d'op\xc3\xa9ration;Montant, TTC\r\n";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	o.amt.decimal = ',';
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_str_eq(row_str(&g, 0, "payee.kind"), "organization");
	ck_assert(json_is_null(json_array_get(g.rows, 1)));
	ck_assert(json_is_null(json_array_get(g.rows, 2)));
	/* once, at the currency column (not again at the amount) */
	ck_assert_int_eq(g.nproblems, 2);
	ck_assert_ptr_nonnull(strstr(g.problems, "3:4: currency: not an ISO "
	    "4217 currency code (EUR, USD, JPY, ...); the euro's is EUR"));
	ck_assert_ptr_nonnull(strstr(g.problems, "4:4: currency: not an ISO "
	    "4217 currency code (EUR, USD, JPY, ...); in capitals: EUR"));
	got_free(&g);

	memset(&o, 0, sizeof(o));
	o.delimiter = ';';
	ck_assert_int_eq(parse(head, &o, &g), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "or map it: --map "
	    "'Date d'\\''op\xc3\xa9ration=FIELD' (FIELD - ignores it)"));
	ck_assert_ptr_nonnull(strstr(g.problems, "or map it: a map file line "
	    "\"Montant, TTC = FIELD\" with --map FILE"));
	got_free(&g);
}
END_TEST

START_TEST(csv_map_words)
{
	/* an office's own words for the log's: FIELD: WORD => VALUE */
	const char csv[] =
	    "Aktenzeichen;Entscheidung;Datum;Typ\r\n"
	    "BA-1;Genehmigt;2026-03-05;Privatperson\r\n"
	    "BA-2;abgelehnt;2026-03-06;Firma\r\n"
	    "BA-3;Vertagt;2026-03-07;Firma\r\n";
	struct csvin_map *m = NULL;
	struct csvin_opts o;
	struct pt_why why = { "" };
	struct got g;

	ck_assert_int_eq(csvin_map_load("Aktenzeichen=PermitNum,"
	    "Entscheidung=StatusCurrent,Datum=StatusDate,Typ=applicant.kind,"
	    "decision: Genehmigt => issued,decision: Abgelehnt => denied,"
	    "applicant.kind: Privatperson => individual,"
	    "applicant.kind: Firma => organization", &m, &why), 0);
	memset(&o, 0, sizeof(o));
	o.map = m;
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_str_eq(row_str(&g, 0, "decision"), "issued");
	ck_assert_str_eq(row_str(&g, 0, "id"), "BA-1/issued/2026-03-05");
	ck_assert_str_eq(row_str(&g, 0, "applicant.kind"), "individual");
	ck_assert_str_eq(row_str(&g, 1, "decision"), "denied");
	ck_assert_str_eq(row_str(&g, 1, "applicant.kind"), "organization");
	/* a word the map does not give: as it is (the schema refuses it) */
	ck_assert_str_eq(row_str(&g, 2, "decision"), "vertagt");
	got_free(&g);
	csvin_map_free(m);
	/* refused: no FIELD, a FIELD that is none, a word given twice */
	ck_assert_int_eq(csvin_map_load("Genehmigt => issued", &m, &why),
	    PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("nonsense: A => b", &m, &why),
	    PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("decision: A => issued,"
	    "StatusCurrent: a => denied", &m, &why), PT_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(why.text, "is given twice"));
}
END_TEST

START_TEST(csv_map_scheme_not_for_persons)
{
	/* a map's payee.scheme for every row; a row whose payee is a
	 * natural person (payee.kind individual) gets none */
	const char csv[] =
	    "id;payee.kind;payee.id;payee.name\r\n"
	    "R-1;Individual;;Ana Ruiz\r\n"
	    "R-2;;12345678901234;ACME\r\n"
	    "R-3;ORGANISATION;12345678901234;ACME\r\n"
	    "R-4;sole trader;;John Smith\r\n";
	struct csvin_map *m = NULL;
	struct csvin_opts o;
	struct pt_why why = { "" };
	struct got g;

	ck_assert_int_eq(csvin_map_load("payee.scheme:=FR-SIRET,"
	    "payee.kind: Sole Trader => individual", &m, &why), 0);
	memset(&o, 0, sizeof(o));
	o.map = m;
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_msg(g.nproblems == 0, "%s", g.problems);
	ck_assert_ptr_null(jrec_path(json_array_get(g.rows, 0),
	    "payee.scheme"));
	ck_assert_str_eq(row_str(&g, 0, "payee.kind"), "individual");
	ck_assert_str_eq(row_str(&g, 1, "payee.scheme"), "FR-SIRET");
	ck_assert_str_eq(row_str(&g, 1, "payee.kind"), "organization");
	ck_assert_str_eq(row_str(&g, 2, "payee.kind"), "organization");
	ck_assert_str_eq(row_str(&g, 2, "payee.scheme"), "FR-SIRET");
	/* the office's word for a person, mapped: no scheme either */
	ck_assert_str_eq(row_str(&g, 3, "payee.kind"), "individual");
	ck_assert_ptr_null(jrec_path(json_array_get(g.rows, 3),
	    "payee.scheme"));
	got_free(&g);
	csvin_map_free(m);
}
END_TEST

START_TEST(csv_map_made_of_columns)
{
	/* SAP numbers its documents anew each year: the id is made of the
	 * fiscal year and the document number (id := {Jahr}-{Beleg}) */
	const char csv[] =
	    "Gesch\xc3\xa4\x66tsjahr;Belegnummer;Betrag;Text\r\n"
	    "2026;1900000123;12,50;Miete\r\n"
	    "2027;1900000123;99,00;Miete\r\n"
	    "2027;;5,00;Miete\r\n"
	    ";;7,00;Miete\r\n";
	struct csvin_map *m = NULL;
	struct csvin_opts o;
	struct pt_why why = { "" };
	struct got g;

	ck_assert_int_eq(csvin_map_load("id := {Gesch\xc3\xa4\x66tsjahr}-"
	    "{Belegnummer},Betrag=amount,description := {Text} {Betrag},"
	    "currency := EUR",
	    &m, &why), 0);
	memset(&o, 0, sizeof(o));
	o.map = m;
	o.amt.decimal = ',';
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_msg(row_str(&g, 0, "id") != NULL, "%s", g.problems);
	ck_assert_str_eq(row_str(&g, 0, "id"), "2026-1900000123");
	ck_assert_str_eq(row_str(&g, 0, "description"), "Miete 12,50");
	ck_assert_int_eq(row_int(&g, 0, "amount_minor"), 1250);
	ck_assert_str_eq(row_str(&g, 1, "id"), "2027-1900000123");
	/* one of the cells empty: said at that column; the row refused */
	ck_assert_msg(strstr(g.problems, "4:2: id: column \"Belegnummer\" is "
	    "empty, and the map makes id of it") != NULL, "%s", g.problems);
	ck_assert(json_is_null(json_array_get(g.rows, 2)));
	/* all of them empty: as an empty cell (no id, said by the schema
	 * check later); the description still has its text */
	ck_assert_ptr_null(jrec_path(json_array_get(g.rows, 3), "id"));
	ck_assert_str_eq(row_str(&g, 3, "description"), "Miete 7,00");
	ck_assert_int_eq(g.nproblems, 1);
	got_free(&g);
	/* a column the header lacks */
	csvin_map_free(m);
	ck_assert_int_eq(csvin_map_load("id := {Jahr}-{Belegnummer}", &m,
	    &why), 0);
	o.map = m;
	ck_assert_int_eq(parse(csv, &o, &g), 0);
	ck_assert_msg(strstr(g.problems, "the map's constant takes column "
	    "\"Jahr\", and this file's header has no such column") != NULL,
	    "%s", g.problems);
	ck_assert_int_eq(json_array_size(g.rows), 0);
	got_free(&g);
	csvin_map_free(m);
	/* braces that are no {NAME}: refused with the map */
	ck_assert_int_eq(csvin_map_load("id := {Jahr-{Beleg}}", &m, &why),
	    PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("id := {}", &m, &why), PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("id := Nr}", &m, &why), PT_EMALFORMED);
	ck_assert_int_eq(csvin_map_load("id := {Nr", &m, &why), PT_EMALFORMED);
	ck_assert_msg(strstr(why.text, "{NAME} takes that column's cell") !=
	    NULL, "%s", why.text);
}
END_TEST

static void
each_cat(void *arg, int rc, const char *why)
{
	char *buf = arg;
	size_t n = strlen(buf);

	(void)rc;
	snprintf(buf + n, 4096 - n, "%s\n", why);
}

START_TEST(persons_name_in_free_text)
{
	/* a benefits office's Verwendungszweck with the person's name in
	 * it: the name would be published beside its commitment */
	static const struct {
		const char *payee, *desc;
		int refused;
	} cases[] = {
		{ "J\xc3\xbcrgen M\xc3\xbcller", "Mietzuschuss f\xc3\xbcr "
		    "J\xc3\xbcrgen M\xc3\xbcller, Lindenweg 3", 1 },
		/* another case, and decomposed (NFD) */
		{ "J\xc3\xbcrgen M\xc3\xbcller", "an JU\xcc\x88RGEN "
		    "MU\xcc\x88LLER", 1 },
		{ "J\xc3\xbcrgen M\xc3\xbcller", "Mietzuschuss M\xc3\xa4rz",
		    0 },
		/* a word of the name only as a word of its own: not Anna
		 * in Annahme, not a particle, not two letters */
		{ "Anna", "Annahme der Rechnung", 0 },
		{ "Anna", "Zuschuss f\xc3\xbcr ANNA", 1 },
		{ "Anna Nowak", "Zuschuss Nowak", 1 },
		{ "Anna Nowak", "Nowakowski GmbH, Rechnung 7", 0 },
		{ "J\xc3\xbcrgen M\xc3\xbcller", "Erstattung MU\xcc\x88LLER-"
		    "Wohnung", 1 },
		{ "Hans von Berg", "Zuschuss von Amts wegen, Bergbau", 0 },
		{ "Hans von Berg", "Zuschuss (Berg)", 1 },
		{ "Frau Li Na", "Zuschuss an Frau Li", 0 },
		{ "O'Brien, Sean", "Refund Sean", 1 },
		/* capitals without their accents, as exports write them */
		{ "\xce\x9c\xce\xb1\xcf\x81\xce\xaf\xce\xb1 \xce\xa0\xce\xb1"
		    "\xcf\x80\xce\xb1\xce\xb4\xce\xbf\xcf\x80\xce\xbf\xcf\x8d"
		    "\xce\xbb\xce\xbf\xcf\x85", "EPIDOMA \xce\xa0\xce\x91\xce\xa0"
		    "\xce\x91\xce\x94\xce\x9f\xce\xa0\xce\x9f\xce\xa5\xce\x9b"
		    "\xce\x9f\xce\xa5", 1 },
		{ "Luc\xc3\xad" "a Garc\xc3\xad" "a", "AYUDA GARCIA", 1 },
		/* umlauts written out, as SEPA transfers do */
		{ "J\xc3\xbcrgen M\xc3\xbcller", "Mietzuschuss MUELLER", 1 },
		{ "Hans M\xc3\xb6ller", "Zuschuss Moeller", 1 },
		{ "J\xc3\xbcrgen M\xc3\xbcller", "Muellerstrasse 3", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = json_pack("{s:s,s:s,s:s,s:i,s:s,s:{s:s,s:s,s:s,s:s},"
		    "s:{s:s,s:s},s:s}", "type", "payment", "id", "P-1", "date",
		    "2026-01-02", "amount_minor", 1, "currency", "EUR", "payer",
		    "kind", "organization", "scheme", "XI-TEST", "id", "1",
		    "name", "Office", "payee", "kind", "individual", "name",
		    cases[i].payee, "description", cases[i].desc);
		char said[4096] = "";
		struct jrec_discs d;
		struct wire_buf out;
		struct pt_why why = { "" };
		int rc;

		memset(&d, 0, sizeof(d));
		wire_buf_init(&out);
		rc = jrec_from_json_each(r, &out, &d, each_cat, said, &why);
		if (cases[i].refused) {
			ck_assert_msg(rc != 0 && strstr(said, "description: "
			    "holds the name of the natural person in payee (\"")
			    != NULL, "%zu: %s", i, said);
			ck_assert_uint_eq(out.len, 0);
			/* without each: the same, as the first problem */
			ck_assert_int_eq(jrec_from_json(r, &out, &d, &why),
			    PT_ESCHEMA);
			ck_assert_msg(strstr(why.text, "holds the name") !=
			    NULL, "%s", why.text);
		} else
			ck_assert_msg(rc == 0, "%zu: %s", i, said);
		jrec_discs_clear(&d);
		wire_buf_free(&out);
		json_decref(r);
	}
}
END_TEST

START_TEST(json_every_problem_of_a_record)
{
	/* values JSON cannot give a record (a fraction, a boolean, an
	 * individual with an id) are said and stood in for, and the rest
	 * of the record is still checked: every problem in one round;
	 * nothing is encoded */
	json_t *r = json_loads("{\"type\": \"payment\", \"id\": \"X-3\", "
	    "\"date\": true, \"amount_minor\": 12.5, \"currency\": \"usd\", "
	    "\"payer\": {\"kind\": \"organization\", \"scheme\": \"XI-TEST\", "
	    "\"id\": \"1\", \"name\": \"County\"}, \"payee\": {\"kind\": "
	    "\"individual\", \"name\": \"Maria\", \"id\": \"1\"}}", 0, NULL);
	char said[4096] = "";
	struct jrec_discs d;
	struct wire_buf out;
	struct pt_why why = { "" };

	memset(&d, 0, sizeof(d));
	wire_buf_init(&out);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_ne(jrec_from_json_each(r, &out, &d, each_cat, said,
	    &why), 0);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_nonnull(strstr(said, "date: booleans are not allowed"));
	ck_assert_ptr_nonnull(strstr(said, "amount_minor: no fractions"));
	ck_assert_ptr_nonnull(strstr(said, "payee.id: an individual has no "
	    "scheme or id"));
	ck_assert_ptr_nonnull(strstr(said, "currency: want an ISO 4217"));
	ck_assert_ptr_nonnull(strstr(said, "description: missing"));
	/* nothing twice, nothing said of a stand-in's path by the check */
	ck_assert_ptr_null(strstr(said, "date: want"));
	ck_assert_ptr_null(strstr(said, "payee: "));
	/* an integer that is no amount: said so, not as cents */
	said[0] = '\0';
	{
		json_t *b = json_pack("{s:{s:f}}", "budget", "fiscal_year",
		    2026.0);

		(void)jrec_from_json_each(b, &out, &d, each_cat, said, &why);
		ck_assert_ptr_nonnull(strstr(said, "budget.fiscal_year: want "
		    "an integer, written without a point"));
		json_decref(b);
	}
	/* without each: the first problem (in key order), as before */
	said[0] = '\0';
	ck_assert_int_eq(jrec_from_json(r, &out, &d, &why), PT_ETYPE);
	ck_assert_ptr_nonnull(strstr(why.text, "amount_minor: no fractions"));
	wire_buf_free(&out);
	jrec_discs_clear(&d);
	json_decref(r);
}
END_TEST

START_TEST(csv_broken_rows_cost_themselves)
{
	/* a CR alone in an LF file is no line end: the row stays whole and
	 * the cell is refused (not cut, its first half read as a row) */
	const char crk[] = "id,description\n"
	    "A,Road works\rNOT paid\n"
	    "B,ok\n";
	/* a quote that opens a cell running on: the row from its first
	 * line is broken, the rest read; a quote never closed likewise */
	const char uq[] = "id,description\n"
	    "U-1,ok\n"
	    "U-2,\"never closed\n"
	    "U-3,ok\n"
	    "U-4,x\"y\n"
	    "U-5,ok\n"
	    "U-6,\"x\n"
	    "U-7,ok\n";
	/* a file of CR line ends: lines counted by them */
	const char cro[] = "id,description\rC-1,ok\rC-2,ok\rC-3,\"a\r";
	struct csvin_opts o;
	struct got g;

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(parse(crk, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 2);
	ck_assert(json_is_null(json_array_get(g.rows, 0)));
	ck_assert_str_eq(row_str(&g, 1, "id"), "B");
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 1)), 3);
	ck_assert_ptr_nonnull(strstr(g.problems, "2:2: description: a "
	    "carriage return (CR) alone, not a line end of this file"));
	ck_assert_ptr_nonnull(strstr(g.problems, "(Road works\rNOT paid)"));
	got_free(&g);

	ck_assert_int_eq(parse(uq, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 7);
	ck_assert_str_eq(row_str(&g, 0, "id"), "U-1");
	ck_assert(json_is_null(json_array_get(g.rows, 1)));
	ck_assert_str_eq(row_str(&g, 2, "id"), "U-3");
	ck_assert(json_is_null(json_array_get(g.rows, 3)));
	ck_assert_str_eq(row_str(&g, 4, "id"), "U-5");
	ck_assert(json_is_null(json_array_get(g.rows, 5)));
	ck_assert_str_eq(row_str(&g, 6, "id"), "U-7");
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 6)), 8);
	ck_assert_ptr_nonnull(strstr(g.problems, "3:0: csv:"));
	ck_assert_ptr_nonnull(strstr(g.problems, "(a quote opened on line 3 "
	    "runs on to it"));
	ck_assert_ptr_nonnull(strstr(g.problems, "5:0: csv:"));
	ck_assert_ptr_nonnull(strstr(g.problems, "7:0: csv:"));
	ck_assert_ptr_nonnull(strstr(g.problems, "(a quote is never closed)"));
	got_free(&g);

	ck_assert_int_eq(parse(cro, &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 3);
	ck_assert_int_eq(json_integer_value(json_array_get(g.lines, 1)), 3);
	ck_assert_ptr_nonnull(strstr(g.problems, "4:0: csv:"));
	got_free(&g);
	/* the header again (two exports pasted together): said, and no
	 * record; a NUL byte: the file refused at its line */
	ck_assert_int_eq(parse("id,description\nA,x\nid,description\nB,y\n",
	    &o, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 2);
	ck_assert_ptr_nonnull(strstr(g.problems, "3:0: csv: the header row "
	    "again"));
	got_free(&g);
	got_init(&g);
	ck_assert_int_eq(csvin_parse((const uint8_t *)"id\nA\nB\0\n", 7, &o,
	    got_row, got_err, &g), 0);
	ck_assert_uint_eq(json_array_size(g.rows), 0);
	ck_assert_ptr_nonnull(strstr(g.problems, "3:0: csv: a NUL byte"));
	got_free(&g);
}
END_TEST

START_TEST(text_that_reads_otherwise)
{
	/* names and descriptions that show other than they say: refused;
	 * any script's letters are text */
	static const struct {
		const char *name;
		const char *want;	/* NULL: taken */
	} cases[] = {
		{ "\xe2\x80\xae" "emcA", "U+202E, at byte 0" },
		{ "\xef\xbb\xbf" "Acme", "U+FEFF" },
		{ "Ac\xe2\x80\x8bme", "U+200B, at byte 2" },
		{ "Acme\xc2\xad", "U+00AD" },
		{ "Acme\xe2\x80\xa8Ltd", "U+2028" },
		{ "   ", "blanks only" },
		{ "\xc2\xa0\xe2\x80\xaf", "blanks only" },
		{ "M\xc3\xbcller & S\xc3\xb6hne", NULL },
		{ "\xd0\x90\xd0\xba\xd0\xbc\xd0\xb5", NULL },
		{ "\xd8\xb4\xd8\xb1\xd9\x83\xd8\xa9", NULL },
		{ "A  B", NULL },
		/* look-alike letters of two scripts in one word */
		{ "\xd0\x90" "cme GmbH", "\"\xd0\x90" "cme\" mixes Latin and "
		    "Cyrillic look-alike letters (U+0410 CYRILLIC CAPITAL "
		    "LETTER A, byte 0)" },
		{ "M\xd1\x96" "crosoft", "(U+0456 CYRILLIC SMALL LETTER "
		    "BYELORUSSIAN-UKRAINIAN I, byte 1)" },
		{ "\xd0\x9e\xd0\x9e\xd0\x9e Ac\xd0\xbc\xd0\xb5", "\"Ac"
		    "\xd0\xbc\xd0\xb5\" mixes Latin and Cyrillic look-alike letters (U+043C" },
		{ "Smith \xce\x9f" "lympic", "Latin and Greek" },
		/* one script a word: taken */
		{ "\xd0\x9e\xd0\x9e\xd0\x9e Acme \xd0\xa0\xd1\x83\xd1\x81", NULL },
		{ "10 \xce\xbcg Acme", NULL },		/* the micro prefix */
		{ "\xce\xb2-Carotin", NULL },
		{ "T\xe3\x82\xb7\xe3\x83\xa3\xe3\x83\x84", NULL },
		/* a word of Greek or Cyrillic letters that read as Latin ones,
		 * joined to Latin letters: a Greek Tau in T-Systems */
		{ "\xce\xa4-Systems GmbH", "\"\xce\xa4-Systems\" has Greek "
		    "letters that read as Latin ones beside Latin letters "
		    "(U+03A4 GREEK CAPITAL LETTER TAU, byte 0)" },
		{ "Acme (\xd0\xa2-Mobile)", "(U+0422 CYRILLIC CAPITAL LETTER TE, "
		    "byte 6)" },
		/* taken: a Greek word apart, one that does not read as
		 * Latin (Ελλάς), a Greek company form */
		{ "Coca-Cola-\xce\x95\xce\xbb\xce\xbb\xce\xac\xcf\x82", NULL },
		{ "Vodafone-Panafon \xce\x91.\xce\x95.\xce\x95.\xce\xa4.", NULL },
		{ "\xd0\x9e\xd0\x9e\xd0\x9e Acme", NULL },
		{ "Gold-\xd0\x90\xd0\x93", NULL },	/* Г reads as no Latin */
		/* a Latin name joined to a company form in Greek or
		 * Cyrillic capitals: the company's usual name */
		{ "BMW-\xce\x91\xce\x95", NULL },		/* BMW-ΑΕ */
		{ "Alpha-\xce\x91.\xce\x95.", NULL },	/* Alpha-Α.Ε. */
		{ "Acme-\xce\x99\xce\x9a\xce\x95", NULL },	/* Acme-ΙΚΕ */
		{ "Alpha-" "\xce\x91\xce\x9c\xce\x9a\xce\x95", NULL },	/* Alpha-ΑΜΚΕ */
		{ "Alpha-\xce\x9c.\xce\x99.\xce\x9a.\xce\x95.", NULL },	/* Alpha-Μ.Ι.Κ.Ε. */
		{ "\xd0\x9e\xd0\x9e\xd0\x9e-Acme", NULL },	/* ООО-Acme */
		{ "Acme-\xd0\xa2\xd0\x9e\xd0\x92", NULL },	/* Acme-ТОВ */
		/* ... but no other word: Α.Ε.Corp, ΑΕΕΤ, ΑΕ-Τ-Systems */
		{ "\xce\x91.\xce\x95.Corp", "U+0391" },
		{ "Acme-\xce\x91\xce\x95\xce\x95\xce\xa4", "U+0391" },
		{ "\xce\x91\xce\x95-\xce\xa4-Systems", "U+03A4" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pt_why why = { "" };
		int rc = payee_rc("XI-TEST", "2", cases[i].name, &why);

		if (cases[i].want == NULL)
			ck_assert_msg(rc == 0, "%zu: %s", i, why.text);
		else {
			ck_assert_msg(rc == PT_ESCHEMA, "%zu", i);
			ck_assert_msg(strstr(why.text, cases[i].want) != NULL &&
			    strncmp(why.text, "payee.name: ", 12) == 0, "%zu: %s",
			    i, why.text);
		}
	}
}
END_TEST

/* The commands a 409 prints are pasted into a shell as they are: each
 * word quoted only when it needs it, a quote escaped, no control
 * character sent to the terminal, a word too long cut with "...". */
START_TEST(shell_words)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "PAY-2026/0001", "PAY-2026/0001" },
		{ "https://log.example:8443/x", "https://log.example:8443/x" },
		{ "Payment ID=id,Betrag=amount", "'Payment ID=id,Betrag=amount'" },
		{ "it's", "'it'\\''s'" },
		{ "a\nb\x1b[2J", "'a?b?[2J'" },
		{ "", "''" },
		{ "Gesch\xc3\xa4" "ftsjahr", "'Gesch\xc3\xa4" "ftsjahr'" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(strcmp(cli_shell_word(cases[i].in, out,
		    sizeof(out)), cases[i].want) == 0, "%zu: %s", i, out);
	cli_shell_word("a b c d e f g h", out, 12);
	ck_assert_str_eq(out, "'a b c '...");
	cli_shell_word("abcdefghijklmnop", out, 12);
	ck_assert_str_eq(out, "abcdefgh...");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("intake");
	TCase *tc = tcase_create("intake");

	tcase_add_test(tc, amounts_every_convention);
	tcase_add_test(tc, shell_words);
	tcase_add_test(tc, amount_options);
	tcase_add_test(tc, amounts_negative_whole_padded);
	tcase_add_test(tc, iso4217_table);
	tcase_add_test(tc, amount_format);
	tcase_add_test(tc, csv_german_export);
	tcase_add_test(tc, csv_tab_separated);
	tcase_add_test(tc, csv_excel_sep_line_and_sap_rules);
	tcase_add_test(tc, csv_title_above_header);
	tcase_add_test(tc, csv_delimiter_refusals);
	tcase_add_test(tc, csv_columns_refused);
	tcase_add_test(tc, csv_blds_status_mapped);
	tcase_add_test(tc, csv_unreadable_cell_partial);
	tcase_add_test(tc, csv_column_map);
	tcase_add_test(tc, date_formats);
	tcase_add_test(tc, csv_dates_declared);
	tcase_add_test(tc, csv_spreadsheet_artifacts);
	tcase_add_test(tc, self_employed_numbers);
	tcase_add_test(tc, register_numbers_whole);
	tcase_add_test(tc, csv_messages_say_what_to_do);
	tcase_add_test(tc, csv_map_scheme_not_for_persons);
	tcase_add_test(tc, csv_map_made_of_columns);
	tcase_add_test(tc, csv_map_words);
	tcase_add_test(tc, csv_broken_rows_cost_themselves);
	tcase_add_test(tc, json_every_record_reported);
	tcase_add_test(tc, json_every_problem_of_a_record);
	tcase_add_test(tc, persons_name_in_free_text);
	tcase_add_test(tc, text_that_reads_otherwise);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? 0 : 1;
}
