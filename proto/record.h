/*
 * record.h: record schema v1 (docs/PROTOCOL.md section 6) and its validator.
 *
 * A record is a canonical msgpack map (wire.h).  record_check() decodes it
 * strictly and validates it against the schema of its `type`: payment,
 * permit_decision, correction or office_key (a registrar's grant or
 * revocation of an office's key: PROTOCOL.md section 6.6).  The same code
 * runs in the daemon (before a submission is queued) and in the client
 * (before signing, and when auditing), so both sides agree on what is
 * valid.  Who may append which type is proto/grants.h.
 */
#ifndef PT_RECORD_H
#define PT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "ptlimits.h"
#include "mt.h"
#include "pt.h"

enum record_type {
	RECORD_PAYMENT = 1,
	RECORD_PERMIT_DECISION = 2,
	RECORD_CORRECTION = 3,
	RECORD_OFFICE_KEY = 4,
};
#define RECORD_NTYPES 4

/* What the log needs to know about a valid record.  Pointers point into the
 * record bytes given to record_check() and live as long as they do. */
struct record_info {
	enum record_type type;
	const char *id;			/* the publisher's own unique id */
	size_t id_len;
	/* correction only: */
	uint64_t target_index;
	struct mt_hash target_hash;
	int action_void;		/* 1 = void, 0 = amend */
	enum record_type replacement_type; /* amend: the replacement's; else 0 */
	const char *replacement_id;	/* amend: the replacement's id */
	size_t replacement_id_len;
	/* office_key only (PROTOCOL.md section 6.6): */
	int okey_revoke;		/* 1 = revoke, 0 = grant */
	const char *okey_vkey;		/* the office's verifier key string */
	size_t okey_vkey_len;
	const char *okey_name;		/* its display name */
	size_t okey_name_len;
	const uint8_t *okey_org;	/* the organisation (party map bytes) */
	size_t okey_org_len;
	unsigned okey_types;		/* grant: bits 1 << record type */
	uint64_t okey_valid_from_ms;	/* grant: 00:00 UTC of valid_from, in
					 * ms since the epoch; 0 if absent */
};

/*
 * Decode buf strictly as a canonical record and validate it.  Returns 0 and
 * fills *info (may be NULL; zeroed on error), or PT_ETOOBIG, PT_EMALFORMED,
 * PT_ETRUNCATED, PT_ETRAILING, PT_ENONCANON, PT_EDUPKEY, PT_EUNKNOWNKEY,
 * PT_ETYPE, PT_EUTF8, PT_EDEPTH, PT_ESCHEMA with the dotted path of the
 * field and the reason in *why (may be NULL), e.g. "payee.kind: missing
 * required field".  A correction's replacement is validated as a record of
 * its own (payment or permit_decision only); info describes the outer
 * record.  Allocates nothing.  O(len).
 */
int record_check(const uint8_t *buf, size_t len, struct record_info *info,
    struct pt_why *why);

/*
 * record_check for people fixing a file: every problem found is given to
 * each (its code and its text, as record_check words it), and the check
 * goes on past a field whose value is wrong, an unknown field and a
 * missing one, to the record's other fields (the rules between fields
 * are checked only when the fields are right).  Returns the first
 * problem's code, its text in *why, or 0 (each is called at least once
 * when the answer is not 0).  The log itself uses
 * record_check: the first problem is its answer.  O(len).
 */
typedef void (*record_each_fn)(void *arg, int rc, const char *why);
int record_check_each(const uint8_t *buf, size_t len,
    struct record_info *info, record_each_fn each, void *arg,
    struct pt_why *why);

/* Every record type an office may append (all but office_key, which
 * only the log's registrar signs), as a mask for record_may_append(). */
#define RECORD_TYPES_ALL ((1u << RECORD_PAYMENT) | \
	(1u << RECORD_PERMIT_DECISION) | (1u << RECORD_CORRECTION))

/*
 * The office rule, one function for the log and its clients: may an office
 * (submitter, the verifier key string of submitter_len bytes) that is
 * allowed the record types in mask types (bit 1 << type) append the record
 * info describes?  The record's own type must be allowed, and so must a
 * correction's replacement's type (an office that may not log payments may
 * not log one inside a correction either).  When target (target_len
 * bytes) is not NULL, it is the submitter of the entry a correction
 * points at, which must be the same office: only the office that logged an
 * entry may correct it.  0, or PT_EFORBIDDEN with the reason in *why
 * ("may not append records of type payment (the replacement in a
 * correction)").  No allocation; O(submitter_len).
 */
int record_may_append(const struct record_info *info, unsigned types,
    const char *submitter, size_t submitter_len, const char *target,
    size_t target_len, struct pt_why *why);

/*
 * An amendment replaces the record it amends, which keeps its type and its
 * id (PROTOCOL.md section 6.5): 0 when corr (a correction, as record_check
 * describes it) is a void, or amends target (the record at its
 * target_index) with a replacement of target's type and id; else
 * PT_ESCHEMA with the reason.  The log and `correct` both ask it.  O(id).
 */
int record_amends(const struct record_info *corr,
    const struct record_info *target, struct pt_why *why);

/* 1 when s (len bytes) is one of the schema's permit decisions
 * ("issued", "denied", ...), else 0. */
int record_decision_known(const char *s, size_t len);

/* 0 when s (len bytes) is a calendar date of the schema's dates,
 * YYYY-MM-DD (proleptic Gregorian, year 0001..9999), else -1.  O(1). */
int record_date_valid(const char *s, size_t len);

/* "payment", "permit_decision", "correction" (static strings); NULL for an
 * unknown type. */
const char *record_type_name(enum record_type t);
/* Inverse of record_type_name. 0 or PT_ENOTFOUND. */
int record_type_parse(const char *s, size_t len, enum record_type *out);

/* The rule every record `id` follows (and so every lookup by id): 1..
 * PT_MAX_ID bytes of printable ASCII without spaces (0x21..0x7e), seen by
 * length (a NUL is a byte like any other, and refused).  0 or PT_ESCHEMA.
 * O(len). */
int record_id_check(const char *s, size_t len);

/*
 * Natural-person commitment (docs/PROTOCOL.md section 6.2): SHA-256 of
 * "pubtrail commitment v1\n" || salt (32 bytes) || value.  The salt is
 * random per field.  0 or PT_ECRYPTO.
 */
int record_commit(const uint8_t salt[32], const char *value, size_t len,
    uint8_t out[32]);

#endif
