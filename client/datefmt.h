/*
 * datefmt.h: calendar dates as spreadsheets write them, never guessed.
 *
 * A spreadsheet saves a date cell as its locale shows it: 31.01.2026 in
 * Germany, 31/01/2026 in France, 1/31/2026 in the United States.  The log
 * holds ISO 8601 dates (YYYY-MM-DD).  01/02/2026 is the 1st of February
 * in one locale and the 2nd of January in another, so a date in any other
 * form is read only in the order the user declared (--date-format
 * DD.MM.YYYY); without one it is refused, and the refusal says which
 * declaration would read it and as what.  YYYY-MM-DD is read always: it
 * cannot be taken for anything else.
 */
#ifndef PT_CLIENT_DATEFMT_H
#define PT_CLIENT_DATEFMT_H

#include <stddef.h>

#include "pt.h"

/* A declared date format: day, month and four-digit year in an order
 * and with a separator.  All zero: none declared (ISO dates only). */
struct datefmt {
	char order[3];		/* 'D' 'M' 'Y' in the declared order */
	char sep;		/* '.', '/' or '-' */
	char text[12];		/* the format as shown: "DD.MM.YYYY" */
};

/*
 * Parse a --date-format argument into *f: DD, MM and YYYY (D and M also
 * accepted) in the order day-month-year, month-day-year or
 * year-month-day, separated by one of . / - (the same one twice):
 * DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY, DD-MM-YYYY, YYYY/MM/DD, ...  A day
 * or month is read with one digit or two either way, and a date with any
 * of the three separators (the same one twice): the declaration is of the
 * order.  0, or PT_EINVAL
 * with the reason in *why (a two-digit year, another order, a mixed or
 * unknown separator).
 */
int datefmt_parse(const char *spec, struct datefmt *f, struct pt_why *why);

/*
 * Read the date at the start of s: an ISO date (YYYY-MM-DD, taken as it
 * stands: the schema judges the day) or, when f declares a format, a
 * date in it.  0 with iso (NUL-terminated YYYY-MM-DD) and *end just past
 * the date (a time may follow); -1 when s does not start with such a
 * date, -2 when it does but names no day of the calendar (31.02.2026).
 * f may be NULL.  O(1).
 */
int datefmt_read(const struct datefmt *f, const char *s, char iso[11],
    const char **end);

/*
 * For a date cell datefmt_read did not read: which --date-format would
 * read it and as what ("--date-format DD.MM.YYYY reads it as 2026-01-31";
 * both readings when day and month could be either, except that between
 * points the day comes first, as in every locale that writes them), or
 * why none would (a two-digit year), into out; "" when the cell looks
 * like no date.
 */
void datefmt_hint(const char *s, char *out, size_t cap);

#endif
