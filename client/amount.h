/*
 * amount.h: money amounts written by people, read so that they cannot be
 * misread, and the ISO 4217 minor units they are read with.
 *
 * An amount in a spreadsheet export ("1234,56", "1.234,56", "12 500.00")
 * means different things in different locales.  amt_parse() reads one
 * only when the reading is unambiguous under the options the user gave:
 *
 *   - the decimal separator is "." unless --decimal-comma says ","; a
 *     comma when neither --decimal-comma nor a "," thousands separator was
 *     given is refused (it could be either);
 *   - thousands separators are accepted only when declared
 *     (--thousands-sep , . ' or space) and only between groups of exactly
 *     three digits ("1,234,567", never "12,34" or "1,23,456");
 *   - at most as many fraction digits as the currency's ISO 4217 minor
 *     unit (JPY 0, EUR 2, KWD 3, CLF 4); a currency without a minor unit
 *     (XAU, XDR, ...) has no decimal amounts at all;
 *   - when nothing was said, "1.234" in a three-decimal currency could be
 *     a German thousand: refused until --decimal-point or --decimal-comma.
 *
 * A refusal quotes nothing itself (callers append the value) and says
 * which options would accept the value and how each would read it.
 *
 * The minor units come from a table generated from, and checked by
 * tests/integration/test_iso4217.py against, two maintained sources that
 * Debian ships: the code list of iso-codes (iso_4217.json) and the
 * fraction digits of OpenJDK's java.util.Currency.  No I/O.
 */
#ifndef PT_CLIENT_AMOUNT_H
#define PT_CLIENT_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"

#define AMT_NA		(-1)	/* ISO 4217 "N.A.": no minor unit */
#define AMT_MAX_TEXT	48	/* longest amt_format() output, with NUL */

/* Thousands separators a user may declare. */
enum amt_sep {
	AMT_SEP_NONE = 0,
	AMT_SEP_COMMA,		/* 1,234,567.89 */
	AMT_SEP_POINT,		/* 1.234.567,89 */
	AMT_SEP_SPACE,		/* 1 234 567,89 (also U+00A0, U+202F) */
	AMT_SEP_APOS,		/* 1'234'567.89 (also U+2019) */
};

struct amt_opts {
	char decimal;		/* 0 (not said: "."), '.' or ',' */
	enum amt_sep thousands;
	char negative;		/* negative amounts, besides a leading
				 * minus: 0, 't' (a trailing minus,
				 * "1.234,56-"), 'p' (parentheses) */
};

/*
 * Command-line options every command that reads amounts shares:
 * --decimal-comma, --decimal-point, --thousands-sep SEP, --negative
 * trailing|parentheses.  Use
 * AMT_LONGOPTS in a getopt_long table and hand the codes to amt_cli_opt.
 */
#define AMT_OPT_DECIMAL_COMMA	0x180
#define AMT_OPT_DECIMAL_POINT	0x181
#define AMT_OPT_THOUSANDS	0x182
#define AMT_OPT_NEGATIVE	0x183
#define AMT_LONGOPTS							\
	{ "decimal-comma", 0, NULL, AMT_OPT_DECIMAL_COMMA },		\
	{ "decimal-point", 0, NULL, AMT_OPT_DECIMAL_POINT },		\
	{ "thousands-sep", 1, NULL, AMT_OPT_THOUSANDS },		\
	{ "negative", 1, NULL, AMT_OPT_NEGATIVE }

/*
 * Handle one getopt code into o: 1 consumed, 0 not an amount option,
 * PT_EINVAL with the reason in *why (an unknown separator, both decimal
 * options, a thousands separator equal to the decimal one).  The last
 * check needs every option: call amt_opts_check() after the loop too.
 */
int amt_cli_opt(struct amt_opts *o, int code, const char *arg,
    struct pt_why *why);
int amt_opts_check(const struct amt_opts *o, struct pt_why *why);

/*
 * ISO 4217 minor unit of the alpha-3 code (NUL-terminated): 0 and *exp
 * 0..4 or AMT_NA; PT_ENOTFOUND when code is not a current ISO 4217 code.
 * O(log table).
 */
int amt_exponent(const char *code, int *exp);

/* For a currency s that is no ISO 4217 code: "; in capitals: EUR" (s
 * "eur"), "; the euro's is EUR" (s the euro sign), else "". */
void amt_code_hint(const char *s, char *out, size_t cap);

/* Entry i of the table (codes ascending): 0, or PT_ENOTFOUND past the
 * end.  *code is static. */
int amt_table(size_t i, const char **code, int *exp);

/*
 * Read s (len bytes; surrounding ASCII blanks ignored) as an amount in
 * major units of currency and give it in minor units (*out).  0, or:
 * PT_EMALFORMED (not an amount, or ambiguous, or more fraction digits
 * than the currency has) / PT_ERANGE (beyond int64 minor units) /
 * PT_ENOTFOUND (currency not in ISO 4217, or without a minor unit), each
 * with the problem in *why, e.g. "a comma may be a decimal or a
 * thousands separator: --decimal-comma reads 1234.56 EUR".  Allocates
 * nothing.  O(len).
 */
int amt_parse(const char *s, size_t len, const char *currency,
    const struct amt_opts *o, int64_t *out, struct pt_why *why);

/*
 * minor in major units of currency, plainly: "-1234.56", "1234" (JPY).
 * 0, or PT_ENOTFOUND (currency not in the table, or without a minor
 * unit: out gets the minor units as an integer), PT_ETOOBIG (cap below
 * AMT_MAX_TEXT).
 */
int amt_format(int64_t minor, const char *currency, char *out, size_t cap);

#endif
