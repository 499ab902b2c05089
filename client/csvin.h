/*
 * csvin.h: records from CSV (libcsv).  The first row names the columns;
 * each further row becomes one JSON record object (json.h's input shape)
 * handed to a callback.
 *
 * Columns: schema field names ("amount_minor", "payer.name", dotted for
 * nested objects), or BLDS core permit columns (PermitNum, StatusCurrent,
 * StatusDate, OriginalAddress1, ..., as city open-data portals publish
 * them).  Column names match case-insensitively, ignoring spaces, "_" and
 * "-".  Decimal money columns ("amount", EstProjectCost, Fee) are turned
 * into minor units with the currency's ISO 4217 exponent.  Empty cells are
 * left out.  Other BLDS columns the schema has no field for are ignored;
 * any other unknown column is an error (nothing is silently dropped).
 */
#ifndef PT_CLIENT_CSVIN_H
#define PT_CLIENT_CSVIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pt.h"

struct csvin_opts {
	const char *type;	/* record type when there is no type column */
	const char *currency;	/* when there is no currency column */
};

/* Called once per data row with a new object the callback must
 * json_decref(); row is the 1-based line of the row.  Return 0 to go on,
 * a negative code to stop (returned by csvin_parse). */
typedef int (*csvin_row_fn)(void *arg, json_t *obj, size_t row);

/*
 * Parse buf as CSV (RFC 4180; CRLF or LF).  PT_EMALFORMED (bad CSV, a
 * row with a different number of cells than the header, a bad number),
 * PT_EUNKNOWNKEY (unknown column), PT_ENOMEM, or the callback's error;
 * reason with the line number in *why.  O(len).
 */
int csvin_parse(const uint8_t *buf, size_t len, const struct csvin_opts *o,
    csvin_row_fn fn, void *arg, struct pt_why *why);

/* ISO 4217 minor-unit exponent of code (2 for codes not in the table). */
unsigned csvin_currency_exponent(const char *code);

/*
 * Decimal "1234.5" (optional sign, at most exp fraction digits, optional
 * thousands separators ",") -> minor units (123450 with exp 2).
 * 0, PT_EMALFORMED, PT_ERANGE.
 */
int csvin_decimal_to_minor(const char *s, unsigned exp, int64_t *out);

#endif
