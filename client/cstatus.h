/*
 * cstatus.h: what a record means once its corrections are applied, the
 * same rule everywhere a record is shown (get, lookup, verify --log,
 * monitor, export, audit).
 *
 * The rule (PROTOCOL.md 6.5; the citizen page's corrections.js applies the
 * same): a correction applies to entry T when it is an entry after T of
 * type correction whose target_index is T, whose target_leaf_hash is T's
 * leaf hash, and which is signed by the same submitter (the same verifier
 * key string) as T.  The last applicable one in log order decides: void ->
 * "voided by #N", amend -> "amended by #N" with its replacement as the
 * effective record; none -> "current".  A correction of a correction
 * changes how that correction reads, not its target: to undo a void, an
 * office amends the original again.
 *
 * The log lists an entry's corrections (GET /corrections/<T>); the list is
 * a claim, so each listed correction is fetched, proven in the signed
 * checkpoint and checked by the rule before it is shown, and a listed
 * entry that is not a correction of T is the log's fault (PT_EANSWER,
 * exit 1).  That the log left none out is what auditors check: they
 * recompute the index from the entries (audit.h).
 */
#ifndef PT_CLIENT_CSTATUS_H
#define PT_CLIENT_CSTATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ckpt.h"
#include "logc.h"
#include "mt.h"
#include "pt.h"
#include "wire.h"

enum cst_status { CST_CURRENT, CST_VOIDED, CST_AMENDED, CST_UNKNOWN };

/* Corrections of one entry at most shown (and fetched): more is an error
 * rather than a partial status. */
#define CST_MAX_CORRECTIONS	1024

/* One applied correction. */
struct cst_corr {
	uint64_t index;
	uint64_t time_ms;		/* when the log took it in */
	int is_void;
	json_t *record;			/* the correction record (owned) */
};

struct cst {
	enum cst_status status;		/* CST_UNKNOWN: the server lists no
					 * corrections (a static tlog-tiles
					 * mirror): say so, never "current" */
	size_t n;			/* applied, in log order */
	struct cst_corr *c;
};

/*
 * The one rule: 0 when the entry corr (at corr_index) corrects the entry
 * at target_index whose leaf hash is target_leaf and whose submitter id
 * (SHA-256 of its verifier key string, wire_submitter_id) is target_sid,
 * else PT_EANSWER with the reason.  Used by every command that shows a
 * status and by the audit engine.  O(1).
 */
int cst_applies(uint64_t target_index, const struct mt_hash *target_leaf,
    const uint8_t target_sid[32], uint64_t corr_index,
    const struct wire_entry *corr, struct pt_why *why);

/*
 * The status of entry index (bytes entry, decoded e, verified in ck): its
 * corrections as the log lists them (GET /corrections/<index>, paged),
 * those below ck's size each fetched, proven in ck and checked by
 * cst_applies.  A server without the route (404: a static mirror), or
 * --tiles-only, gives CST_UNKNOWN.  *out is freed with cst_free.  Errors: the network's,
 * PT_EANSWER (a listed entry is not a correction of this one, or the
 * answer is for another entry), PT_ETOOBIG (over CST_MAX_CORRECTIONS).
 * O(corrections) requests.
 */
int cst_resolve(struct logc *lc, const struct ckpt *ck, uint64_t index,
    const uint8_t *entry, size_t len, const struct wire_entry *e,
    struct cst *out, struct pt_why *why);
void cst_free(struct cst *c);

/* "current", "voided", "amended", "unknown". */
const char *cst_word(enum cst_status s);

/* For people: "status: current", or "status: VOIDED by #12 on <date>
 * (C-1): <reason>" and, amended, the effective record's fields; text from
 * the log escaped (tty.h). */
void cst_print(FILE *f, const struct cst *c);
/*
 * Every field of a record object to f, one per line, nested keys dotted
 * and prefixed with prefix, values escaped for a terminal; an amount (a
 * key ending in "_minor") as an exact decimal of currency (its ISO 4217
 * minor unit; a nested object's own "currency" for its amounts) under the
 * key without "_minor", or in minor units, said so, when the currency is
 * NULL or its minor unit unknown.
 */
void cst_put_fields(FILE *f, json_t *obj, const char *prefix,
    const char *currency);

/* Into the JSON object o (an entry as jrec_entry_to_json makes it):
 * "status", "corrected_by" (index or null), "corrections" ([{index, time,
 * id, action, reason}]) and "effective_record" (the record as corrected:
 * the replacement, null when voided, the record itself when current). */
void cst_json(json_t *o, const struct cst *c);

#endif
