/*
 * csvin.h: records from CSV files as offices export them (libcsv).  The
 * first non-blank row names the columns; each further row becomes one
 * JSON record object (json.h's input shape).
 *
 * Delimiters: ',' ';' or tab, detected from the header row (outside
 * quotes) unless given; a header holding more than one of them is refused
 * rather than guessed.  A UTF-8 byte order mark is skipped; UTF-16 is
 * refused with what to do instead.
 *
 * Columns: schema field names ("amount", "amount_minor", "payer.name",
 * dotted for nested objects) or BLDS permit columns (PermitNum,
 * StatusCurrent, StatusCurrentMapped, StatusDate, OriginalAddress1, ...),
 * matched ignoring case, spaces, "_" and "-"; or the office's own names
 * mapped to those by a column map (csvin_map_load).  A column whose
 * header is empty must be empty in every row.  An unknown column, a
 * column given twice, or two columns that set the same field ("amount"
 * and "amount_minor") refuse the file, listing the accepted names.
 *
 * Values: money columns in major units ("amount", "fee",
 * "est_project_cost", BLDS EstProjectCost and Fee) are read by
 * amt_parse() with the row's currency (amount.h: an ambiguous amount is
 * refused, never guessed); *_minor columns are integers in minor units;
 * dates are ISO 8601 YYYY-MM-DD, or in the order the user declared
 * (datefmt.h: 31.01.2026 with --date-format DD.MM.YYYY; undeclared,
 * refused with the declaration that would read it), and a time after
 * one is checked and dropped; BLDS
 * StatusCurrentMapped values map to decisions ("Permit Issued" ->
 * issued; "In Review" is not a decision and is refused), and when both
 * StatusCurrent and StatusCurrentMapped are given the decision comes from
 * StatusCurrentMapped and a StatusCurrent that names a different decision
 * refuses the row.  Empty cells are left out.
 *
 * Every problem is reported (one call of the error callback each, with
 * line, column, the column's name as written and the cell); a row with a
 * problem is handed to the row callback as NULL so that it is counted.
 */
#ifndef PT_CLIENT_CSVIN_H
#define PT_CLIENT_CSVIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "amount.h"
#include "datefmt.h"
#include "pt.h"

#define CSVIN_MAP_MAX		65536	/* bytes of a column map file */
#define CSVIN_MAP_ENTRIES	256	/* mappings in one map */
#define CSVIN_MAX_COLUMNS	256	/* columns of a CSV file */

/*
 * A column map: the office's column names -> schema columns, in a small
 * file the office keeps beside its export (docs/CLIENT.md, pubtrail(1)):
 *
 *   # pubtrail column map
 *   Payment ID = id
 *   Betrag = amount
 *   Notiz = -
 *
 * One "NAME = FIELD" a line; NAME is the header cell exactly (surrounding
 * blanks trimmed), split from FIELD at the last "="; FIELD is any column
 * name csvin accepts, or "-" to ignore the column; "FIELD := VALUE" a
 * constant; "FIELD: WORD => VALUE" the office's word WORD (ignoring ASCII
 * case) in FIELD's columns read as VALUE; "#" lines and blank lines are
 * comments.  The same mappings may be given inline, separated by
 * commas: "Payment ID=id,Betrag=amount".
 */
struct csvin_map;

/*
 * arg holding "=" is an inline map, anything else the path of a map file.
 * PT_EMALFORMED (syntax, an unknown FIELD, a NAME mapped twice),
 * PT_ETOOBIG, PT_ENOTFOUND, PT_EIO, PT_ENOMEM; the reason with the file
 * and line in *why.  Free with csvin_map_free (NULL is fine).
 */
int csvin_map_load(const char *arg, struct csvin_map **out,
    struct pt_why *why);
void csvin_map_free(struct csvin_map *m);

struct csvin_opts {
	const char *type;	/* record type when there is no type column */
	const char *currency;	/* when there is no currency column */
	char delimiter;		/* 0: detect ',' ';' or tab */
	struct amt_opts amt;	/* how to read money columns */
	struct datefmt date;	/* how to read date columns (zero: ISO) */
	const struct csvin_map *map; /* may be NULL */
	unsigned header_line;	/* 0 or 1: the header is the first line
				 * (after "sep=X"); N: lines 1..N-1 are
				 * skipped unread (a report's title) */
};

/* One problem: line and column (1-based; col 0 when the problem is the
 * whole row), field (the column's name as written, or a word such as
 * "csv"), value (the cell, NULL when none), problem (text). */
typedef void (*csvin_err_fn)(void *arg, size_t line, size_t col,
    const char *field, const char *value, const char *problem);

/* The row being handed over; valid during the row callback only. */
struct csvin_row;

/*
 * Called once per data row: obj is a new object the callback must
 * json_decref(), or NULL for a row whose problems were reported (then
 * csvin_row_partial holds what the rest of it makes).  line is the row's
 * first line in the file.  Return 0 to go on, non-zero to stop
 * (csvin_parse returns it).
 */
typedef int (*csvin_row_fn)(void *arg, json_t *obj, size_t line,
    const struct csvin_row *row);

/*
 * Which column set path (or a field below or above it, e.g. "payee" for
 * payee.name): 0 with its 1-based number, its name as written and the
 * cell; PT_ENOTFOUND.  Pointers live as long as row.
 */
int csvin_row_locate(const struct csvin_row *row, const char *path,
    size_t *col, const char **name, const char **cell);

/*
 * A row handed over without its object (obj NULL) because cells could not
 * be read (reported): the record the rest of the row makes, borrowed for
 * the call, each unreadable cell standing in as a value of its column's
 * kind (an integer 1, the text "?") or left out (a decision); NULL for a
 * row that could not be read at all (a wrong number of cells) and for a
 * row read whole.  Checking it finds the row's other problems in the same
 * run.
 */
json_t *csvin_row_partial(const struct csvin_row *row);

/*
 * For such a row, whether what is said at path may be about an unreadable
 * cell: 1 when the column that set path (as csvin_row_locate finds it)
 * could not be read, or when no column sets path and the reading makes it
 * from other cells (a permit's id from its number, decision and date; the
 * currency that goes with an amount; the type; a party's kind); else 0.
 * 0 for a row read whole.
 */
int csvin_row_failed(const struct csvin_row *row, const char *path);

/*
 * Read buf as CSV (RFC 4180; CRLF or LF) and hand every row over.  0 when
 * the buffer was read to its end (every problem reported through efn;
 * a problem in the header stops the file after it is reported), or
 * PT_ENOMEM, or the row callback's non-zero.  O(len).
 */
int csvin_parse(const uint8_t *buf, size_t len, const struct csvin_opts *o,
    csvin_row_fn fn, csvin_err_fn efn, void *arg);

/* The accepted column names, comma-separated, into out (cap bytes,
 * NUL-terminated; cut at a name when too small; 2048 bytes hold all). */
void csvin_accepted(char *out, size_t cap);

#endif
