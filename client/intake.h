/*
 * intake.h: every record of every input file read, encoded and checked
 * before anything is sent (`pubtrail submit`, `pubtrail correct`).
 *
 * Each record is encoded canonically and checked with the log's own
 * schema code (jrec_from_json, record_check); its currency must be an
 * ISO 4217 code (amount.h); JSON input keeps amounts in minor units
 * (an "amount" key is refused, with what to write instead); ids repeated
 * within the input are refused, every occurrence of them.  Every problem
 * is printed on standard error as one line
 *
 *     FILE:LINE[:COL]: FIELD: PROBLEM (VALUE)
 *
 * where VALUE is the offending value as JSON (a string in quotes), so a
 * clerk sees exactly what was read; control bytes are escaped.  With
 * json set, each problem is also a JSON object on standard output:
 * {"where","field","problem","value"}.
 */
#ifndef PT_CLIENT_INTAKE_H
#define PT_CLIENT_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "json.h"

/* One valid record, ready to sign. */
struct itk_item {
	char *id;
	const char *file;		/* as given to itk_read (borrowed) */
	size_t line;
	uint8_t *record;		/* canonical record bytes */
	size_t record_len;
	size_t ndisc;			/* committed fields (json.h) */
	struct jrec_disc *disc;		/* their secrets; NULL when none */
};

struct itk_id;

struct itk {
	struct itk_item *items;		/* valid records, input order */
	size_t nitems, cap;
	size_t records;			/* records seen, valid or not */
	size_t invalid;			/* records refused */
	size_t problems;		/* problem lines printed */
	size_t files_unread;		/* files that could not be read */
	struct itk_id *ids;		/* every id seen (repeat check) */
	size_t nids, capids;
	/* set by the caller before itk_read: */
	int json;			/* also print problems as JSON */
	struct jrec_discs *discs;	/* salts known (may be NULL) */
	/* called for each valid record as it is added (may be NULL): k its
	 * index then; repeated ids found at the end can still drop it */
	void (*added)(void *arg, size_t k, const struct itk_item *it);
	void *added_arg;
};

/*
 * Read the n files (paths; "-" standard input) with o into t (zeroed by
 * the caller, json/discs set), printing every problem.  0, or PT_ENOMEM.
 * Problems are counted in t, not returned.  O(total input size), plus
 * O(records log records) for the repeated-id check.
 */
int itk_read(struct itk *t, char *const *paths, size_t n,
    const struct in_opts *o);

/*
 * Check and encode one record object (taken: json_decref'd) read at pos,
 * as itk_read does for each record of a file: problems printed and
 * counted, a valid record appended to t->items.  0 (look at t->nitems to
 * see whether it was added), or PT_ENOMEM.
 */
int itk_add(struct itk *t, json_t *obj, const struct in_pos *pos);

/*
 * Print one problem in the format above (stderr; and stdout as JSON when
 * t->json) and count it.  file may be NULL.
 */
void itk_problem(struct itk *t, const struct in_pos *pos, const char *field,
    const char *value, int value_json, const char *problem);

/* Free one item's memory (secrets wiped); the item may be reused. */
void itk_item_clear(struct itk_item *it);
/* Free everything in t (secrets wiped). */
void itk_free(struct itk *t);

/* Copy of s for a terminal or a log line: control bytes and DEL as \xHH,
 * at most cap-1 bytes (cut at a character).  Returns out. */
char *itk_printable(const char *s, char *out, size_t cap);

#endif
