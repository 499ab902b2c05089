/* persnum.c: national numbers that by their form are a natural person's. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "persnum.h"

#define PN_MAX	24	/* the longest form, separators removed */

/* The digits of id with the separators people write in numbers (space,
 * point, hyphen, slash, plus) removed, into out (PN_MAX + 1); its length, or 0
 * when id holds anything else or is too long. */
static size_t
digits_of(const char *id, char *out)
{
	size_t n = 0;

	for (; *id != '\0'; id++) {
		if (strchr(" .-/+", *id) != NULL)
			continue;
		if (!isdigit((unsigned char)*id) || n == PN_MAX)
			return 0;
		out[n++] = *id;
	}
	out[n] = '\0';
	return n;
}

/* The number of two digits at d. */
static int
two(const char *d)
{
	return (d[0] - '0') * 10 + (d[1] - '0');
}

/* A day 1..31 and a month 1..12: a date's fields (the calendar is not
 * checked: a person's number may stand for an unknown day). */
static int
day_month(int day, int month)
{
	return day >= 1 && day <= 31 && month >= 1 && month <= 12;
}

/* Sum of the digits of d weighted by w (n of each). */
static int
weighted(const char *d, const int *w, size_t n)
{
	int s = 0;

	for (size_t i = 0; i < n; i++)
		s += (d[i] - '0') * w[i];
	return s;
}

/* d (n digits) mod 97, for numbers longer than an integer holds. */
static int
mod97(const char *d, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n; i++)
		r = (r * 10 + (d[i] - '0')) % 97;
	return r;
}

/* Luhn over n digits: 1 when the last is the check digit. */
static int
luhn(const char *d, size_t n)
{
	int s = 0;

	for (size_t i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';

		if (i % 2 == 1 && (v *= 2) > 9)
			v -= 9;
		s += v;
	}
	return s % 10 == 0;
}

/* Poland: PESEL, 11 digits YYMMDDZZZXQ; the month carries the century
 * (+20 for 2000-2099 ...); Q = (10 - weighted sum mod 10) mod 10. */
static int
pl_pesel(const char *d, size_t n)
{
	static const int w[] = { 1, 3, 7, 9, 1, 3, 7, 9, 1, 3 };

	return n == 11 && day_month(two(d + 4), two(d + 2) % 20) &&
	    (10 - weighted(d, w, 10) % 10) % 10 == d[10] - '0';
}

/* Switzerland: AHV/AVS number, 756 and 10 digits, an EAN-13 check. */
static int
ch_ahv(const char *d, size_t n)
{
	static const int w[] = { 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3 };

	return n == 13 && strncmp(d, "756", 3) == 0 &&
	    (10 - weighted(d, w, 12) % 10) % 10 == d[12] - '0';
}

/* Austria: social insurance number, 10 digits NNNC DDMMYY, C the
 * weighted sum of the others mod 11; never begins with 0. */
static int
at_svnr(const char *d, size_t n)
{
	static const int w[] = { 3, 7, 9, 0, 5, 8, 4, 2, 1, 6 };

	return n == 10 && d[0] != '0' && weighted(d, w, 10) % 11 ==
	    d[3] - '0';
}

/* Germany: tax identification number (IdNr), 11 digits, not beginning
 * with 0; in the first ten exactly one digit appears two or three times
 * and the others at most once; the last an ISO 7064 MOD 11,10 check. */
static int
de_idnr(const char *d, size_t n)
{
	int count[10] = { 0 }, twice = 0, p = 10;

	if (n != 11 || d[0] == '0')
		return 0;
	for (size_t i = 0; i < 10; i++)
		count[d[i] - '0']++;
	for (int i = 0; i < 10; i++) {
		if (count[i] > 3)
			return 0;
		twice += count[i] > 1;
	}
	if (twice != 1)
		return 0;
	for (size_t i = 0; i < 10; i++) {
		int s = (d[i] - '0' + p) % 10;

		p = (s == 0 ? 10 : s) * 2 % 11;
	}
	return (11 - p) % 10 == d[10] - '0';
}

/*
 * France: NIR (social security number), 13 characters and a 2-digit key:
 * sex (1, 2; 3, 4, 7, 8 for temporary numbers), year, month, department
 * (2A and 2B for Corsica, counted as 19 and 18 in the key), commune,
 * order; key = 97 - (the 13 as a number mod 97).  id as written: the
 * Corsican letters keep it from being digits only.
 */
static int
fr_nir(const char *id)
{
	char d[PN_MAX + 1];
	size_t n = 0;
	int corse = 0;

	for (; *id != '\0' && n < PN_MAX; id++) {
		if (*id == ' ' || *id == '.' || *id == '-')
			continue;
		if (n == 6 && (*id == 'A' || *id == 'B') && d[5] == '2') {
			corse = *id;
			d[n++] = '0';		/* replaced below */
			continue;
		}
		if (!isdigit((unsigned char)*id))
			return 0;
		d[n++] = *id;
	}
	if (*id != '\0' || n != 15 || strchr("123478", d[0]) == NULL)
		return 0;
	if (corse) {
		d[5] = '1';
		d[6] = corse == 'A' ? '9' : '8';
	}
	return 97 - mod97(d, 13) == two(d + 13);
}

/* Belgium: national register number, 11 digits YYMMDDSSSCC; CC = 97 -
 * (the nine as a number mod 97), with a 2 before them for the born
 * since 2000. */
static int
be_nn(const char *d, size_t n)
{
	char d2[11];

	if (n != 11)
		return 0;
	d2[0] = '2';
	memcpy(d2 + 1, d, 9);
	return 97 - mod97(d, 9) == two(d + 9) ||
	    97 - mod97(d2, 10) == two(d + 9);
}

/* Sweden: personnummer, YYMMDD-NNNC (or YYYYMMDD...), a Luhn check over
 * the ten digits; an organisation number has the same check and a
 * "month" of 20 or more, so the date tells them apart (a coordination
 * number's day is +60). */
static int
se_pnr(const char *d, size_t n)
{
	int day;

	if (n == 12)
		d += 2, n = 10;
	if (n != 10)
		return 0;
	day = two(d + 4);
	return day_month(day > 60 ? day - 60 : day, two(d + 2)) &&
	    luhn(d, 10);
}

/* Denmark: CPR number, 10 digits DDMMYYSSSS (no check digit since 2007);
 * a company's CVR number has 8. */
static int
dk_cpr(const char *d, size_t n)
{
	return n == 10 && day_month(two(d), two(d + 2));
}

/* Norway: fødselsnummer, 11 digits DDMMYYIIIKK, two mod 11 checks (a D
 * number's day is +40, an H number's month +40); an organisation
 * number has 9. */
static int
no_fnr(const char *d, size_t n)
{
	static const int w1[] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
	static const int w2[] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	int k1, k2, day, month;

	if (n != 11)
		return 0;
	day = two(d) % 40;
	month = two(d + 2) % 40;
	k1 = (11 - weighted(d, w1, 9) % 11) % 11;
	k2 = (11 - weighted(d, w2, 10) % 11) % 11;
	return day_month(day, month) && k1 != 10 && k1 == d[9] - '0' &&
	    k2 != 10 && k2 == d[10] - '0';
}

/* Finland: henkilötunnus, DDMMYY, a century sign (+ - A, and since 2023
 * B-F and U-Y), three digits, a check character: the nine digits as a
 * number mod 31 in "0123456789ABCDEFHJKLMNPRSTUVWXY".  id as written. */
static int
fi_hetu(const char *id)
{
	static const char check[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";
	char d[10];
	long v;

	if (strlen(id) != 11 || strchr("+-ABCDEFUVWXY", id[6]) == NULL ||
	    strspn(id, "0123456789") != 6 ||
	    strspn(id + 7, "0123456789") < 3 ||
	    !day_month(two(id), two(id + 2)))
		return 0;
	memcpy(d, id, 6);
	memcpy(d + 6, id + 7, 3);
	d[9] = '\0';
	v = 0;
	for (size_t i = 0; i < 9; i++)
		v = v * 10 + (d[i] - '0');
	return id[10] == check[v % 31];
}

/* United Kingdom: National Insurance number, two letters, six digits and
 * A, B, C or D (AB 12 34 56 C); a company's number has 8 characters. */
static int
gb_nino(const char *id)
{
	char s[PN_MAX + 1];
	size_t n = 0;

	for (; *id != '\0'; id++) {
		if (*id == ' ')
			continue;
		if (n == PN_MAX)
			return 0;
		s[n++] = *id;
	}
	s[n] = '\0';
	return n == 9 && isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]) && strspn(s + 2, "0123456789") == 6 &&
	    strchr("ABCD", s[8]) != NULL && s[8] != '\0';
}

/* Spain: a person's NIF: DNI, 8 digits and a letter; NIE and the like,
 * K, L, M, X, Y or Z, 7 digits, a letter (companies' begin with another
 * letter); also as a VAT number, ES before it. */
static int
es_nif(const char *id)
{
	size_t n = strlen(id);

	if (strncmp(id, "ES", 2) == 0 && n == 11)
		id += 2, n -= 2;
	return n == 9 && isupper((unsigned char)id[8]) &&
	    ((strspn(id, "0123456789") == 8) ||
	    (strchr("KLMXYZ", id[0]) != NULL && id[0] != '\0' &&
	    strspn(id + 1, "0123456789") == 7));
}

/* Italy: a person's codice fiscale, LLLLLL DD L DD L DDD L, a digit also
 * written as L M N P Q R S T U V (omocodia); companies' are 11 digits. */
static int
it_cf(const char *id)
{
	static const char shape[] = "LLLLLLDDLDDLDDDL";

	if (strncmp(id, "IT", 2) == 0 && strlen(id) == 18)
		id += 2;	/* as a VAT-style number */
	if (strlen(id) != 16)
		return 0;
	for (size_t i = 0; i < 16; i++) {
		unsigned char c = (unsigned char)id[i];

		if (!(isupper(c) && (shape[i] == 'L' ||
		    strchr("LMNPQRSTUV", c) != NULL)) &&
		    !(shape[i] == 'D' && isdigit(c)))
			return 0;
	}
	return 1;
}

/* United States: a Social Security or individual taxpayer number, 3-2-4
 * digits (an employer's EIN is 2-7). */
static int
us_ssn(const char *id)
{
	return strlen(id) == 11 && id[3] == '-' && id[6] == '-' &&
	    strspn(id, "0123456789") == 3 &&
	    strspn(id + 4, "0123456789") == 2 &&
	    strspn(id + 7, "0123456789") == 4;
}

const char *
pnum_person(const char *scheme, const char *raw)
{
	char d[PN_MAX + 1], id[64];
	size_t n, i;

	if (strlen(scheme) < 3 || scheme[2] != '-')
		return NULL;
	/* letters in any case: "rssmra80a01h501u" is the same number */
	for (i = 0; raw[i] != '\0' && i < sizeof(id) - 1; i++)
		id[i] = (char)toupper((unsigned char)raw[i]);
	if (raw[i] != '\0')
		return NULL;	/* longer than any person's number */
	id[i] = '\0';
	n = digits_of(id, d);
	switch (scheme[0] << 8 | scheme[1]) {
	case 'P' << 8 | 'L':
		return pl_pesel(d, n) ? "a Polish PESEL" : NULL;
	case 'C' << 8 | 'H':
		return ch_ahv(d, n) ? "a Swiss AHV/AVS number" : NULL;
	case 'A' << 8 | 'T':
		return at_svnr(d, n) ? "an Austrian social insurance number" :
		    NULL;
	case 'D' << 8 | 'E':
		/* digits only: a company's Steuernummer, 123/456/78901, has
		 * separators and may have 11 digits */
		return strlen(id) == n && de_idnr(d, n) ? "a German tax "
		    "identification number, an IdNr" : NULL;
	case 'F' << 8 | 'R':
		return fr_nir(id) ? "a French NIR, a social security number" :
		    NULL;
	case 'B' << 8 | 'E':
		return be_nn(d, n) ? "a Belgian national register number" :
		    NULL;
	case 'S' << 8 | 'E':
		return se_pnr(d, n) ? "a Swedish personnummer" : NULL;
	case 'D' << 8 | 'K':
		return dk_cpr(d, n) ? "a Danish CPR number" : NULL;
	case 'N' << 8 | 'O':
		return no_fnr(d, n) ? "a Norwegian fødselsnummer" : NULL;
	case 'F' << 8 | 'I':
		return fi_hetu(id) ? "a Finnish personal identity code" : NULL;
	case 'G' << 8 | 'B':
		return gb_nino(id) ? "a UK National Insurance number" : NULL;
	case 'E' << 8 | 'S':
		return es_nif(id) ? "a Spanish person's NIF, a DNI or NIE" :
		    NULL;
	case 'I' << 8 | 'T':
		return it_cf(id) ? "an Italian codice fiscale of a person" :
		    NULL;
	case 'U' << 8 | 'S':
		return us_ssn(id) ? "a US Social Security or taxpayer number" :
		    NULL;
	}
	return NULL;
}
