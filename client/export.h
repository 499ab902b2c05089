/*
 * export.h: `pubtrail export`: every entry of a log, verified by a full
 * audit, in the formats watchdogs load: CSV, JSON Lines, an OCDS 1.1
 * release package (payments) and BLDS core CSV (permits).
 */
#ifndef PT_CLIENT_EXPORT_H
#define PT_CLIENT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

/* minor units -> "1234.56" with the currency's ISO 4217 exponent; ""
 * for a currency without one (amt_format); cap >= AMT_MAX_TEXT. */
void export_amount(int64_t minor, const char *currency, char *out,
    size_t cap);

/* 1 when a spreadsheet would read cell text s as a formula (it starts with
 * =, +, -, @, TAB or CR and is not a plain decimal number): export writes
 * it with a leading apostrophe unless --raw. */
int export_cell_is_formula(const char *s);

int export_cmd(int argc, char **argv);

#endif
