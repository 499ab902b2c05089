/*
 * input.h: records from files: one JSON object, a JSON array of objects,
 * objects one after another (JSON Lines, or pretty-printed), or CSV
 * (csvin.h).  "-" is standard input.  The format comes from --format,
 * else the file name's extension (.json, .jsonl, .ndjson, .csv, .tsv,
 * .txt), else the first byte ('{' or '[': JSON, anything else: CSV).
 *
 * Reading never stops at the first bad record: every record is handed to
 * the record callback (NULL when it could not be read), every problem to
 * the problem callback with its position, so that a caller can report
 * them all, one a line, and decide (all or nothing) before anything is
 * sent.  JSON records carry the line their object starts on; a syntax
 * error in JSON Lines costs that line only; in a JSON array, that element
 * (unless the array's own brackets are broken).
 */
#ifndef PT_CLIENT_INPUT_H
#define PT_CLIENT_INPUT_H

#include <stddef.h>

#include <jansson.h>

#include "csvin.h"
#include "pt.h"

#define IN_MAX_FILE	(1024u << 20)	/* one input file, bytes */

struct in_opts {
	const char *format;	/* NULL (detect), "json", "jsonl", "csv" */
	struct csvin_opts csv;
};

/* Where a record or a problem is: file as given ("-": standard input),
 * 1-based line (0: the whole file) and column (0: none). */
struct in_pos {
	const char *file;
	size_t line;
	size_t col;
};

/* One record read.  obj: a new reference the callback owns, or NULL when
 * the record had problems (already reported).  row: for CSV, the row to
 * locate fields in (csvin_row_locate), valid during the call; NULL for
 * JSON, whose amounts are integers in minor units only. */
struct in_rec {
	json_t *obj;
	struct in_pos pos;
	const struct csvin_row *row;
};

/* Non-zero stops the reading (in_read returns it). */
typedef int (*in_record_fn)(void *arg, struct in_rec *r);

/* One problem: field (a schema path, a CSV column name, or a word such
 * as "json", "csv"), value (NULL: none; JSON text when value_json, else
 * the raw cell), problem text. */
typedef void (*in_problem_fn)(void *arg, const struct in_pos *pos,
    const char *field, const char *value, int value_json,
    const char *problem);

/*
 * Read every record of path, in order.  0 when the file was read through
 * (its problems reported), PT_ENOTFOUND / PT_EIO / PT_ETOOBIG (over
 * IN_MAX_FILE) / PT_EINVAL (unknown --format) for the file itself with
 * the reason in *why, PT_ENOMEM, or the record callback's code.
 * O(file size).
 */
int in_read(const char *path, const struct in_opts *o, in_record_fn fn,
    in_problem_fn pfn, void *arg, struct pt_why *why);

#endif
