/*
 * datefmt.c: calendar dates read only in a declared order (datefmt.h).
 *
 * A date cell is cut into three groups of digits with one separator
 * between them; a declared format says which group is the day, the month
 * and the year.  Undeclared, every order is tried only to say which
 * declaration would read the cell, and as what.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "datefmt.h"
#include "record.h"

static const char orders[][3] = {
	{ 'D', 'M', 'Y' }, { 'M', 'D', 'Y' }, { 'Y', 'M', 'D' },
};

/* Three groups of 1..4 digits, one separator (. / -) between each. */
struct groups {
	unsigned v[3];
	int len[3];
	char sep;
	const char *end;	/* just past the third group */
};

static int
is_sep(char c)
{
	return c == '.' || c == '/' || c == '-';
}

static int
split3(const char *s, struct groups *g)
{
	const char *p = s;

	for (int k = 0; k < 3; k++) {
		unsigned v = 0;
		int n = 0;

		while (isdigit((unsigned char)*p) && n < 5) {
			v = v * 10 + (unsigned)(*p++ - '0');
			n++;
		}
		if (n == 0 || n > 4)
			return -1;
		g->v[k] = v;
		g->len[k] = n;
		if (k == 2)
			break;
		if (!is_sep(*p) || (k == 1 && *p != g->sep))
			return -1;
		g->sep = *p++;
	}
	g->end = p;
	return 0;
}

/* g read in order: 0 with iso, -1 when a group is of the wrong length
 * for its part, -2 when the parts name no day of the calendar. */
static int
reading(const struct groups *g, const char order[3], char iso[11])
{
	unsigned d = 0, m = 0, y = 0;

	for (int k = 0; k < 3; k++) {
		if (order[k] == 'Y' ? g->len[k] != 4 : g->len[k] > 2)
			return -1;
		if (order[k] == 'D')
			d = g->v[k];
		else if (order[k] == 'M')
			m = g->v[k];
		else
			y = g->v[k];
	}
	snprintf(iso, 11, "%04u-%02u-%02u", y, m, d);
	return record_date_valid(iso, 10) == 0 ? 0 : -2;
}

/* "DD.MM.YYYY" for an order and a separator. */
static void
fmt_text(const char order[3], char sep, char out[12])
{
	size_t n = 0;

	for (int k = 0; k < 3; k++) {
		const char *part = order[k] == 'D' ? "DD" : order[k] == 'M' ?
		    "MM" : "YYYY";

		memcpy(out + n, part, strlen(part));
		n += strlen(part);
		if (k < 2)
			out[n++] = sep;
	}
	out[n] = '\0';
}

int
datefmt_parse(const char *spec, struct datefmt *f, struct pt_why *why)
{
	const char *p = spec;
	int ok = 0;

	memset(f, 0, sizeof(*f));
	for (int k = 0; k < 3; k++) {
		char c = (char)toupper((unsigned char)*p);
		size_t n = 0;

		while (c != '\0' && toupper((unsigned char)p[n]) == c)
			n++;
		if (c == 'Y' && n == 2) {
			memset(f, 0, sizeof(*f));
			return pt_why_set(why, PT_EINVAL, "--date-format: a "
			    "two-digit year names no century: give the dates a "
			    "four-digit year (YYYY) in the spreadsheet (\"%s\")",
			    spec);
		}
		if (!((c == 'D' || c == 'M') && n <= 2) &&
		    !(c == 'Y' && n == 4))
			goto bad;
		if (memchr(f->order, c, (size_t)k) != NULL)
			goto bad;
		f->order[k] = c;
		p += n;
		if (k == 2)
			break;
		if (!is_sep(*p) || (k == 1 && *p != f->sep))
			goto bad;
		f->sep = *p++;
	}
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++)
		ok |= memcmp(f->order, orders[i], 3) == 0;
	if (*p != '\0' || !ok)
		goto bad;
	fmt_text(f->order, f->sep, f->text);
	return 0;
bad:
	memset(f, 0, sizeof(*f));
	return pt_why_set(why, PT_EINVAL, "--date-format: want DD, MM and YYYY "
	    "in the order of the file's dates, separated by . / or -: "
	    "DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD ... (\"%s\")",
	    spec);
}

/* YYYY-MM-DD exactly, not followed by a digit. */
static int
iso_shape(const char *s)
{
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' :
		    !isdigit((unsigned char)s[i]))
			return 0;
	return !isdigit((unsigned char)s[10]);
}

int
datefmt_read(const struct datefmt *f, const char *s, char iso[11],
    const char **end)
{
	struct groups g;
	int r;

	if (iso_shape(s)) {
		memcpy(iso, s, 10);
		iso[10] = '\0';
		*end = s + 10;
		return 0;
	}
	/* the order is what the declaration says; its separator only
	 * shows how it is written: a column holding both 31/01/2026 and
	 * 31-01-2026 (two systems' exports pasted together) reads whole */
	if (f == NULL || f->order[0] == '\0' || split3(s, &g) != 0)
		return -1;
	if ((r = reading(&g, f->order, iso)) == 0)
		*end = g.end;
	return r;
}

void
datefmt_hint(const char *s, char *out, size_t cap)
{
	struct groups g;
	char iso[3][11], fmt[12];
	int n = 0;
	size_t len = 0;

	out[0] = '\0';
	if (cap == 0 || split3(s, &g) != 0)
		return;
	if (g.len[0] <= 2 && g.len[1] <= 2 && g.len[2] == 2) {
		snprintf(out, cap, "a two-digit year names no century: give "
		    "the column a date format with a four-digit year (YYYY)");
		return;
	}
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		int seen = 0;

		/* no locale writes the month first between points (CLDR:
		 * d.M.y, y.M.d), so a German 02.03.2026 is not also offered
		 * as the 3rd of February; MM.DD.YYYY may still be declared */
		if ((g.sep == '.' && orders[i][0] == 'M') ||
		    reading(&g, orders[i], iso[n]) != 0)
			continue;
		for (int k = 0; k < n; k++)
			seen |= strcmp(iso[k], iso[n]) == 0;
		if (seen)
			continue;
		fmt_text(orders[i], g.sep, fmt);
		snprintf(out + len, cap - len, n == 0 ? "--date-format %s "
		    "reads it as %s" : ", --date-format %s as %s", fmt, iso[n]);
		len += strlen(out + len);
		n++;
	}
}
