/*
 * record_int.h: record's private header, shared by its files and included
 * by nothing else (record.h is the one interface).
 *
 *   record.c        the schema: each map's table of fields, the walk of a
 *                   record's maps (record_check), the rules between fields,
 *                   the office rule (record_may_append), commitments
 *   record_value.c  the rules for one value of each scalar kind: ids, text,
 *                   URIs, dates, currencies, amounts, decisions, the
 *                   office_key fields
 */
#ifndef PT_RECORD_INT_H
#define PT_RECORD_INT_H

#include <stddef.h>
#include <string.h>

#include "pt.h"
#include "record.h"
#include "wire.h"

enum fkind {
	F_TYPE,		/* the record's type string (checked by dispatch) */
	F_KIND,		/* a party's kind string (checked by dispatch) */
	F_ID,		/* 1..PT_MAX_ID bytes of printable ASCII, no space */
	F_LINE,		/* 1..PT_MAX_STRING bytes of text, no controls */
	F_PARA,		/* as F_LINE, but "\n" allowed */
	F_URI,		/* http(s) URI: printable ASCII, no space */
	F_OCID,		/* "ocds-" prefix, else as F_ID */
	F_DATE,		/* YYYY-MM-DD, a real Gregorian date */
	F_CURRENCY,	/* ISO 4217 alpha-3: three of A-Z */
	F_AMOUNT,	/* int64 */
	F_AMOUNT_NN,	/* int64 >= 0 */
	F_YEAR,		/* uint 1..9999 */
	F_DECISION,	/* permit decision enum */
	F_ACTION,	/* "amend" | "void" */
	F_SCHEME,	/* org-id.guide list code, e.g. GB-GOR */
	F_HASH32,	/* bin(32) */
	F_INDEX,	/* uint < PT_MAX_TREE_SIZE */
	F_ORG,		/* party that must be an organization */
	F_PARTY,	/* organization or individual */
	F_BUDGET,
	F_ADDRESS,
	F_RECORD,	/* a nested payment or permit_decision */
	F_OKACTION,	/* office_key: "grant" | "revoke" */
	F_OKKEY,	/* office_key: an Ed25519 verifier key string */
	F_OKNAME,	/* office_key: display name, as F_LINE */
	F_OKORG,	/* office_key: the organisation, as F_ORG */
	F_OKTYPES,	/* office_key: array of office record types */
	F_OKDATE,	/* office_key: valid_from, as F_DATE */
};

struct field {
	const char *name;
	enum fkind kind;
	int required;
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One record_check: where reasons go, and what the walk found so far. */
struct ctx {
	struct pt_why *why;
	struct record_info *info;	/* NULL inside a nested record */
	int action_void;		/* set by F_ACTION */
	enum record_type nested_type;	/* set by a nested record */
	const char *nested_id;		/* and its id */
	size_t nested_id_len;
	int okey_revoke;		/* set by F_OKACTION */
	/* record_check_each: every problem to each, and on past a field's */
	record_each_fn each;
	void *each_arg;
	unsigned nreported;
	struct pt_why first;		/* the first problem reported */
};

static inline int
streq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/*
 * Check the value at v (a cursor over bytes a walk accepted) of field f,
 * named path in reasons, for its scalar kind: every kind but the maps
 * (F_ORG, F_PARTY, F_BUDGET, F_ADDRESS, F_RECORD, F_OKORG), which record.c
 * checks.  What a kind keeps goes to x (x->info may be NULL: nothing kept).
 * 0, PT_ETYPE (a value of the wrong msgpack type), PT_ESCHEMA (a value that
 * breaks its kind's rule), PT_EINVAL (a map kind), with the reason in
 * x->why.  O(value).
 */
int record_value_check(struct ctx *x, const struct field *f,
    struct wire_cur *v, const char *path);

#endif
