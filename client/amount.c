/*
 * amount.c: unambiguous decimal amounts and the ISO 4217 minor units.
 *
 * An amount is first cut into tokens (digits and four classes of
 * separator: point, comma, space, apostrophe), then read under one
 * convention (decimal separator, thousands separator).  When the
 * convention the user chose does not read it, or reads it where another
 * convention reads it differently, every other convention is tried so
 * that the refusal can say which options would accept the value and how
 * each would read it.
 */
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "amount.h"

/*
 * ISO 4217: current alpha-3 codes and their minor units (AMT_NA: "N.A.").
 * Generated from iso-codes 4.15 (/usr/share/iso-codes/json/iso_4217.json,
 * the code list) plus ZWG (2024) and XCG (2025), which ISO added after
 * it, with the fraction digits of OpenJDK 17's java.util.Currency
 * (17.0.15); UYW, which OpenJDK omits, has 4 (ISO 4217 list one).
 * tests/integration/test_iso4217.py checks this table against both.
 */
static const struct {
	char code[4];
	int exp;
} iso4217[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
	{ "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
	{ "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
	{ "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
	{ "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
	{ "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
	{ "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "COU", 2 }, { "CRC", 2 }, { "CUC", 2 }, { "CUP", 2 }, { "CVE", 2 },
	{ "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 },
	{ "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 },
	{ "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 },
	{ "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 },
	{ "HNL", 2 }, { "HRK", 2 }, { "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 },
	{ "ILS", 2 }, { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 },
	{ "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KGS", 2 },
	{ "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 },
	{ "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 },
	{ "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 },
	{ "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 },
	{ "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 },
	{ "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 },
	{ "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 },
	{ "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 },
	{ "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 },
	{ "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 },
	{ "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 },
	{ "SLL", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 },
	{ "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 },
	{ "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 },
	{ "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 },
	{ "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 },
	{ "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 },
	{ "XAF", 0 }, { "XAG", AMT_NA }, { "XAU", AMT_NA }, { "XBA", AMT_NA },
	{ "XBB", AMT_NA }, { "XBC", AMT_NA }, { "XBD", AMT_NA }, { "XCD", 2 },
	{ "XCG", 2 }, { "XDR", AMT_NA }, { "XOF", 0 }, { "XPD", AMT_NA },
	{ "XPF", 0 }, { "XPT", AMT_NA }, { "XSU", AMT_NA }, { "XTS", AMT_NA },
	{ "XUA", AMT_NA }, { "XXX", AMT_NA }, { "YER", 2 }, { "ZAR", 2 },
	{ "ZMW", 2 }, { "ZWG", 2 }, { "ZWL", 2 },
};
#define NCODES (sizeof(iso4217) / sizeof(iso4217[0]))

int
amt_table(size_t i, const char **code, int *exp)
{
	if (i >= NCODES)
		return PT_ENOTFOUND;
	*code = iso4217[i].code;
	*exp = iso4217[i].exp;
	return 0;
}

int
amt_exponent(const char *code, int *exp)
{
	size_t lo = 0, hi = NCODES;

	if (code == NULL || strlen(code) != 3)
		return PT_ENOTFOUND;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(code, iso4217[mid].code);

		if (c == 0) {
			*exp = iso4217[mid].exp;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return PT_ENOTFOUND;
}

/* ------------------------------------------------------------- options */

int
amt_cli_opt(struct amt_opts *o, int code, const char *arg,
    struct pt_why *why)
{
	switch (code) {
	case AMT_OPT_DECIMAL_COMMA:
	case AMT_OPT_DECIMAL_POINT: {
		char d = code == AMT_OPT_DECIMAL_COMMA ? ',' : '.';

		if (o->decimal != 0 && o->decimal != d)
			return pt_why_set(why, PT_EINVAL, "--decimal-comma and "
			    "--decimal-point contradict each other");
		o->decimal = d;
		return 1;
	}
	case AMT_OPT_THOUSANDS:
		if (strcmp(arg, ",") == 0)
			o->thousands = AMT_SEP_COMMA;
		else if (strcmp(arg, ".") == 0)
			o->thousands = AMT_SEP_POINT;
		else if (strcmp(arg, "space") == 0 || strcmp(arg, " ") == 0)
			o->thousands = AMT_SEP_SPACE;
		else if (strcmp(arg, "'") == 0 ||
		    strcmp(arg, "apostrophe") == 0)
			o->thousands = AMT_SEP_APOS;
		else if (strcmp(arg, "none") == 0)
			o->thousands = AMT_SEP_NONE;
		else
			return pt_why_set(why, PT_EINVAL, "--thousands-sep: "
			    "want , . ' space or none");
		return 1;
	case AMT_OPT_NEGATIVE:
		if (strcmp(arg, "trailing") == 0)
			o->negative = 't';
		else if (strcmp(arg, "parentheses") == 0)
			o->negative = 'p';
		else if (strcmp(arg, "leading") == 0)
			o->negative = 0;
		else
			return pt_why_set(why, PT_EINVAL, "--negative: want "
			    "trailing (1.234,56-), parentheses ((1,234.56)) or "
			    "leading (-1234.56, always read)");
		return 1;
	default:
		return 0;
	}
}

int
amt_opts_check(const struct amt_opts *o, struct pt_why *why)
{
	if (o->thousands == AMT_SEP_COMMA && o->decimal == ',')
		return pt_why_set(why, PT_EINVAL, "--thousands-sep , with "
		    "--decimal-comma: a comma cannot be both");
	if (o->thousands == AMT_SEP_POINT && o->decimal != ',')
		return pt_why_set(why, PT_EINVAL, "--thousands-sep . needs "
		    "--decimal-comma (a point cannot be both)");
	return 0;
}

/* -------------------------------------------------------------- reading */

enum tok { T_DIGIT, T_POINT, T_COMMA, T_SPACE, T_APOS };

#define AMT_MAX_LEN	64	/* bytes of an amount, blanks trimmed */

struct toks {
	size_t n;
	unsigned char t[AMT_MAX_LEN];
	char d[AMT_MAX_LEN];	/* the digit, for T_DIGIT */
	int neg;
};

enum problem {
	P_OK = 0,
	P_EMPTY,
	P_CHAR,		/* a letter, symbol or stray sign */
	P_TRAILING_MINUS,
	P_PARENS,
	P_TWO_SIGNS,	/* "-5-", "(-5)" */
	P_WHOLE_DASH,	/* "1'234.-": a whole amount, a dash for cents */
	P_TEXT_MARK,	/* "'1234.50": Excel's mark of a number as text */
	P_LONG,
	P_TWO_DECIMALS,
	P_NO_INT,	/* ".5" */
	P_NO_FRAC,	/* "5." */
	P_SEP,		/* a separator of a class not in the convention */
	P_GROUPS,	/* thousands separators in the wrong places */
	P_FRAC,		/* more fraction digits than the currency has */
	P_RANGE,
};

/* The length of the blank a spreadsheet pads with that ends p[0..n)
 * (space, tab, U+00A0, U+2007, U+2009, U+202F), else 0. */
static size_t
blank_end(const unsigned char *p, size_t n)
{
	if (n >= 1 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		return 1;
	if (n >= 2 && p[n - 2] == 0xc2 && p[n - 1] == 0xa0)
		return 2;
	if (n >= 3 && p[n - 3] == 0xe2 && p[n - 2] == 0x80 &&
	    (p[n - 1] == 0x87 || p[n - 1] == 0x89 || p[n - 1] == 0xaf))
		return 3;
	return 0;
}

/* The same at the start of p[0..n). */
static size_t
blank_start(const unsigned char *p, size_t n)
{
	if (n >= 1 && (p[0] == ' ' || p[0] == '\t'))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0x87 || p[2] == 0x89 || p[2] == 0xaf))
		return 3;
	return 0;
}

/*
 * Cut s into tokens; negative: how else than with a leading minus
 * negative amounts may be written (amt_opts.negative).  P_OK, or the
 * problem.
 */
static enum problem
tokenize(const char *s, size_t len, char negative, struct toks *t)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	int marked = 0;		/* parentheses or a trailing minus */

	memset(t, 0, sizeof(*t));
	while ((k = blank_end(p + i, len - i)) > 0)
		len -= k;
	while ((k = blank_start(p + i, len - i)) > 0)
		i += k;
	if (i == len)
		return P_EMPTY;
	if (len - i > AMT_MAX_LEN)
		return P_LONG;
	if (p[i] == '\'' && len - i > 1 && p[i + 1] >= '0' && p[i + 1] <= '9')
		return P_TEXT_MARK;
	if (p[i] == '(' || p[len - 1] == ')') {
		if (negative != 'p' || p[i] != '(' || p[len - 1] != ')' ||
		    len - i < 3)
			return P_PARENS;
		i++;
		len--;
		t->neg = marked = 1;
	}
	/* "1'234.-", "1 234,–": a whole amount, the cents a dash */
	if ((len - i >= 3 && p[len - 1] == '-' && (p[len - 2] == '.' ||
	    p[len - 2] == ',')) || (len - i >= 5 && p[len - 3] == 0xe2 &&
	    p[len - 2] == 0x80 && p[len - 1] == 0x93 && (p[len - 4] == '.' ||
	    p[len - 4] == ',')))
		return P_WHOLE_DASH;
	if (p[len - 1] == '-' && len - i > 1) {
		if (marked)
			return P_TWO_SIGNS;
		if (negative != 't')
			return P_TRAILING_MINUS;
		len--;
		t->neg = marked = 1;
	}
	if (p[i] == '-' || p[i] == '+' || (len - i >= 3 && p[i] == 0xe2 &&
	    p[i + 1] == 0x88 && p[i + 2] == 0x92)) {	/* U+2212 minus */
		if (marked)
			return P_TWO_SIGNS;
		t->neg = p[i] != '+';
		i += p[i] == 0xe2 ? 3 : 1;
		while (i < len && p[i] == ' ')	/* "- 1 234,56" */
			i++;
	}
	while (i < len) {
		unsigned char c = p[i];

		if (c >= '0' && c <= '9') {
			t->d[t->n] = (char)c;
			t->t[t->n++] = T_DIGIT;
			i++;
		} else if (c == '.' || c == ',' || c == ' ' || c == '\'') {
			t->t[t->n++] = c == '.' ? T_POINT : c == ',' ? T_COMMA :
			    c == ' ' ? T_SPACE : T_APOS;
			i++;
		} else if (c == 0xc2 && i + 1 < len && p[i + 1] == 0xa0) {
			t->t[t->n++] = T_SPACE;		/* U+00A0 */
			i += 2;
		} else if (c == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xaf || p[i + 2] == 0x87 ||
		    p[i + 2] == 0x89)) {
			/* U+202F, U+2007, U+2009 */
			t->t[t->n++] = T_SPACE;
			i += 3;
		} else if (c == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
		    p[i + 2] == 0x99) {
			t->t[t->n++] = T_APOS;		/* U+2019 */
			i += 3;
		} else
			return P_CHAR;
	}
	if (t->n == 0)
		return P_EMPTY;
	return P_OK;
}

static enum tok
sep_tok(enum amt_sep s)
{
	switch (s) {
	case AMT_SEP_COMMA: return T_COMMA;
	case AMT_SEP_POINT: return T_POINT;
	case AMT_SEP_SPACE: return T_SPACE;
	case AMT_SEP_APOS: return T_APOS;
	case AMT_SEP_NONE: break;
	}
	return T_DIGIT;		/* no separator class */
}

/*
 * Read t with decimal separator class dec and thousands class thou
 * (T_DIGIT: none) for a currency with exp fraction digits.  *bad_sep gets
 * the class of a separator the convention has no place for.
 */
static enum problem
read_as(const struct toks *t, enum tok dec, enum tok thou, int exp,
    int64_t *out, size_t *nfrac, enum tok *bad_sep)
{
	size_t i, decpos = t->n, group = 0, ngroups = 0;
	uint64_t v = 0;
	int lead_zero = 0;

	*nfrac = 0;
	for (i = 0; i < t->n; i++) {
		if (t->t[i] == T_DIGIT)
			continue;
		if (t->t[i] == dec) {
			if (decpos != t->n)
				return P_TWO_DECIMALS;
			decpos = i;
		} else if (t->t[i] != thou || decpos != t->n) {
			*bad_sep = (enum tok)t->t[i];
			return P_SEP;
		}
	}
	if (decpos == 0 || t->t[0] != T_DIGIT)
		return decpos == 0 ? P_NO_INT : P_GROUPS;
	if (decpos != t->n && decpos + 1 == t->n)
		return P_NO_FRAC;
	/* integer part: groups between thousands separators */
	for (i = 0; i < decpos; i++) {
		if (t->t[i] == T_DIGIT) {
			if (group == 0 && ngroups == 0 && t->d[i] == '0')
				lead_zero = 1;
			group++;
			continue;
		}
		/* a thousands separator ends a group */
		if (group == 0 || (ngroups == 0 && group > 3) ||
		    (ngroups > 0 && group != 3))
			return P_GROUPS;
		ngroups++;
		group = 0;
	}
	if (group == 0 || (ngroups > 0 && group != 3))
		return P_GROUPS;
	if (ngroups > 0 && lead_zero)
		return P_GROUPS;	/* "0,123": a decimal, surely */
	if (decpos != t->n)
		*nfrac = t->n - decpos - 1;
	if ((int)*nfrac > exp)
		return P_FRAC;
	for (i = 0; i < t->n; i++) {
		if (t->t[i] != T_DIGIT)
			continue;
		if (v > (uint64_t)INT64_MAX / 10)
			return P_RANGE;
		v = v * 10 + (uint64_t)(t->d[i] - '0');
	}
	for (i = *nfrac; (int)i < exp; i++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return P_RANGE;
		v *= 10;
	}
	if (v > (uint64_t)INT64_MAX)
		return P_RANGE;
	*out = t->neg ? -(int64_t)v : (int64_t)v;
	return P_OK;
}

static const char *
tok_name(enum tok t)
{
	switch (t) {
	case T_POINT: return "a point";
	case T_COMMA: return "a comma";
	case T_SPACE: return "a space";
	case T_APOS: return "an apostrophe";
	case T_DIGIT: break;
	}
	return "a separator";
}

/* Conventions tried for the hint, simplest first. */
static const struct {
	enum tok dec, thou;
	const char *opts;
} conventions[] = {
	{ T_POINT, T_DIGIT, "--decimal-point" },
	{ T_COMMA, T_DIGIT, "--decimal-comma" },
	{ T_POINT, T_COMMA, "--decimal-point --thousands-sep ," },
	{ T_COMMA, T_POINT, "--decimal-comma --thousands-sep ." },
	{ T_COMMA, T_SPACE, "--decimal-comma --thousands-sep space" },
	{ T_POINT, T_SPACE, "--decimal-point --thousands-sep space" },
	{ T_POINT, T_APOS, "--decimal-point --thousands-sep \"'\"" },
};
#define NCONV (sizeof(conventions) / sizeof(conventions[0]))

/*
 * Append to buf "; OPTS reads it as X CUR[, OPTS as Y CUR]" for every
 * other convention that reads t (distinct readings only; skip the one
 * given as skip_dec/skip_thou).  Returns the number of readings.
 */
static int
hint(const struct toks *t, int exp, const char *currency, enum tok skip_dec,
    enum tok skip_thou, char *buf, size_t cap)
{
	int64_t seen[NCONV];
	size_t nseen = 0, len = strlen(buf);

	for (size_t c = 0; c < NCONV; c++) {
		int64_t v;
		size_t nf;
		enum tok bad;
		char txt[AMT_MAX_TEXT];
		int dup = 0, w;

		if (conventions[c].dec == skip_dec &&
		    conventions[c].thou == skip_thou)
			continue;
		if (read_as(t, conventions[c].dec, conventions[c].thou, exp,
		    &v, &nf, &bad) != P_OK)
			continue;
		for (size_t k = 0; k < nseen; k++)
			dup |= seen[k] == v;
		if (dup)
			continue;
		seen[nseen++] = v;
		amt_format(v, currency, txt, sizeof(txt));
		w = snprintf(buf + len, cap - len, "%s%s %s %s %s",
		    nseen == 1 ? "; " : ", ", conventions[c].opts,
		    nseen == 1 ? "reads it as" : "as", txt, currency);
		if (w < 0 || (size_t)w >= cap - len) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	return (int)nseen;
}

void
amt_code_hint(const char *s, char *out, size_t cap)
{
	char up[4];
	int exp;

	out[0] = '\0';
	if (strcmp(s, "\xe2\x82\xac") == 0) {		/* U+20AC */
		snprintf(out, cap, "; the euro's is EUR");
		return;
	}
	if (strlen(s) != 3)
		return;
	for (int i = 0; i < 3; i++)
		up[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	up[3] = '\0';
	if (strcmp(up, s) != 0 && amt_exponent(up, &exp) == 0)
		snprintf(out, cap, "; in capitals: %s", up);
}

/* What in s (len bytes) is no part of an amount: bytes that are not
 * UTF-8 (an export in a Windows code page), a character named by its
 * code point, or a letter or symbol.  PT_EMALFORMED, the reason in *why. */
static int
char_problem(const char *s, size_t len, struct pt_why *why)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;

		if (p[i] < 0x80)
			continue;
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0)
			return pt_why_set(why, PT_EMALFORMED, "not UTF-8 text "
			    "(byte 0x%02X): an export in a Windows or Latin-1 "
			    "code page? save the file as \"CSV UTF-8\"", p[i]);
		return pt_why_set(why, PT_EMALFORMED, "not an amount: U+%04X "
		    "is no digit, sign or separator (a currency symbol of a "
		    "Currency or Accounting number format? export the column "
		    "as a plain Number)", (unsigned)cp);
	}
	return pt_why_set(why, PT_EMALFORMED, "not an amount: only digits, a "
	    "sign and separators (a letter or symbol: a Currency or "
	    "Accounting number format? export the column as a plain "
	    "Number)");
}

int
amt_parse(const char *s, size_t len, const char *currency,
    const struct amt_opts *o, int64_t *out, struct pt_why *why)
{
	struct toks t;
	enum problem p;
	enum tok dec, thou, bad = T_DIGIT;
	char msg[PT_WHY_MAX];
	size_t nfrac = 0;
	int64_t v;
	int exp;

	if (currency == NULL)
		return pt_why_set(why, PT_ENOTFOUND, "an amount needs a "
		    "currency (a currency column or --currency)");
	if (amt_exponent(currency, &exp) != 0) {
		char hint[64];

		amt_code_hint(currency, hint, sizeof(hint));
		return pt_why_set(why, PT_ENOTFOUND, "the currency \"%.8s\" is "
		    "not an ISO 4217 code%s", currency, hint);
	}
	if (exp == AMT_NA)
		return pt_why_set(why, PT_ENOTFOUND, "%s has no minor unit in "
		    "ISO 4217: give amount_minor", currency);
	switch (tokenize(s, len, o != NULL ? o->negative : 0, &t)) {
	case P_OK:
		break;
	case P_EMPTY:
		return pt_why_set(why, PT_EMALFORMED, "no amount");
	case P_LONG:
		return pt_why_set(why, PT_EMALFORMED, "too long for an amount");
	case P_PARENS:
		return pt_why_set(why, PT_EMALFORMED, "an amount in "
		    "parentheses (an accounting format's negative) is read "
		    "only with --negative parentheses");
	case P_TRAILING_MINUS:
		return pt_why_set(why, PT_EMALFORMED, "a minus sign after the "
		    "number (as SAP writes negative amounts) is read only with "
		    "--negative trailing");
	case P_TWO_SIGNS:
		return pt_why_set(why, PT_EMALFORMED, "two signs: one says it");
	case P_TEXT_MARK:
		return pt_why_set(why, PT_EMALFORMED, "an apostrophe before "
		    "the number (a spreadsheet's mark of a number kept as "
		    "text): remove it, or format the column as Number");
	case P_WHOLE_DASH:
		return pt_why_set(why, PT_EMALFORMED, "a dash for the cents "
		    "(a whole amount) is not read: give the column a number "
		    "format with the currency's decimals (1234.00), or none");
	default:
		return char_problem(s, len, why);
	}
	dec = o != NULL && o->decimal == ',' ? T_COMMA : T_POINT;
	thou = o != NULL ? sep_tok(o->thousands) : T_DIGIT;
	msg[0] = '\0';
	if ((o == NULL || o->decimal == 0) && thou != T_COMMA) {
		/* Nothing said: a comma could be either; so could a point
		 * before exactly three digits in a currency that has them. */
		int comma = 0, points = 0;

		for (size_t i = 0; i < t.n; i++) {
			comma |= t.t[i] == T_COMMA;
			points += t.t[i] == T_POINT;
		}
		if (comma) {
			snprintf(msg, sizeof(msg), "a comma may be a decimal or "
			    "a thousands separator");
			if (hint(&t, exp, currency, T_DIGIT, T_DIGIT, msg,
			    sizeof(msg)) == 0)
				snprintf(msg, sizeof(msg), "not an amount in any "
				    "convention: its separators stand where "
				    "neither a decimal nor a thousands "
				    "separator may");
			return pt_why_set(why, PT_EMALFORMED, "%s", msg);
		}
		if (points == 1 && exp >= 3 && read_as(&t, T_POINT, thou, exp,
		    &v, &nfrac, &bad) == P_OK && nfrac == 3 &&
		    read_as(&t, T_COMMA, T_POINT, exp, &v, &nfrac, &bad) ==
		    P_OK) {
			snprintf(msg, sizeof(msg), "a point before three "
			    "digits in %s may be a decimal or a thousands "
			    "separator", currency);
			hint(&t, exp, currency, T_DIGIT, T_DIGIT, msg,
			    sizeof(msg));
			return pt_why_set(why, PT_EMALFORMED, "%s", msg);
		}
	}
	p = read_as(&t, dec, thou, exp, &v, &nfrac, &bad);
	switch (p) {
	case P_OK:
		*out = v;
		return 0;
	case P_RANGE:
		return pt_why_set(why, PT_ERANGE, "beyond the largest amount "
		    "(2^63-1 minor units)");
	case P_TWO_DECIMALS:
		snprintf(msg, sizeof(msg), "more than one decimal separator");
		break;
	case P_NO_INT:
		snprintf(msg, sizeof(msg), "want a digit before the decimal "
		    "separator (0.5, not .5)");
		break;
	case P_NO_FRAC:
		snprintf(msg, sizeof(msg), "want digits after the decimal "
		    "separator");
		break;
	case P_SEP:
		if (bad == thou) {
			snprintf(msg, sizeof(msg), "%s after the decimal %s: "
			    "thousands separators go only before it",
			    tok_name(bad), dec == T_COMMA ? "comma" : "point");
			break;
		}
		snprintf(msg, sizeof(msg), "%s is not a separator here "
		    "(decimal %s, thousands %s)", tok_name(bad),
		    dec == T_COMMA ? "comma" : "point", thou == T_DIGIT ?
		    "none" : tok_name(thou) + (thou == T_APOS ? 3 : 2));
		break;
	case P_GROUPS:
		snprintf(msg, sizeof(msg), "thousands separators must stand "
		    "between groups of three digits");
		break;
	case P_FRAC: {
		int zeros = 1;

		/* the digits beyond the currency's: zeros an export added? */
		for (size_t k = 1; k <= nfrac - (size_t)exp && k <= t.n; k++)
			zeros &= t.t[t.n - k] == T_DIGIT && t.d[t.n - k] == '0';
		snprintf(msg, sizeof(msg), "%s has %d decimal place%s (ISO "
		    "4217), this has %zu%s", currency, exp, exp == 1 ? "" : "s",
		    nfrac, zeros ? " (only zeros: give the column a number "
		    "format of that many decimal places in the spreadsheet "
		    "and export again)" : "");
		break;
	}
	default:
		snprintf(msg, sizeof(msg), "not an amount");
		break;
	}
	hint(&t, exp, currency, dec, thou, msg, sizeof(msg));
	return pt_why_set(why, PT_EMALFORMED, "%s", msg);
}

int
amt_format(int64_t minor, const char *currency, char *out, size_t cap)
{
	uint64_t u = minor < 0 ? (uint64_t)0 - (uint64_t)minor :
	    (uint64_t)minor;
	uint64_t p = 1;
	int exp, rc = 0;

	if (cap < AMT_MAX_TEXT)
		return PT_ETOOBIG;
	if (amt_exponent(currency, &exp) != 0 || exp == AMT_NA) {
		exp = 0;
		rc = PT_ENOTFOUND;
	}
	for (int i = 0; i < exp; i++)
		p *= 10;
	if (exp == 0)
		snprintf(out, cap, "%s%llu", minor < 0 ? "-" : "",
		    (unsigned long long)u);
	else
		snprintf(out, cap, "%s%llu.%0*llu", minor < 0 ? "-" : "",
		    (unsigned long long)(u / p), exp,
		    (unsigned long long)(u % p));
	return rc;
}
