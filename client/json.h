/*
 * json.h: JSON <-> canonical msgpack records, with jansson.
 *
 * Input (what offices write): a JSON object per record, using the field
 * names of record schema v1 (docs/PROTOCOL.md section 6).  Integers are
 * JSON integers; byte fields (hashes, commitments) are lower-case or
 * upper-case hex strings; no floats, booleans or nulls.  A natural person
 * (payee, applicant) is written
 *     {"kind": "individual", "name": "Jane Doe"}
 * and becomes, in the record, a salted commitment to the name (a fresh
 * 32-byte salt per field, record_commit()); the salt and name are handed
 * back to the caller in struct jrec_disc so that only the office keeps
 * them (disclose.h).
 *
 * Output (what is shown): the same shapes, byte fields as lower-case hex.
 */
#ifndef PT_CLIENT_JSON_H
#define PT_CLIENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pt.h"
#include "record.h"
#include "wire.h"

#define JREC_MAX_DISC	8	/* committed fields in one record */
#define JREC_FIELD_MAX	64	/* path of a committed field ("payee") */

/* One committed field: what the office must keep to disclose it. */
struct jrec_disc {
	char field[JREC_FIELD_MAX];	/* dotted path, e.g. "payee" */
	char *value;			/* the name (heap, NUL-terminated) */
	size_t value_len;
	uint8_t salt[32];
	uint8_t commitment[32];
};

struct jrec_discs {
	size_t n;
	struct jrec_disc d[JREC_MAX_DISC];
	/*
	 * Optional: salts used before.  When known() returns 1 for (record
	 * id, field, value) the salt it wrote is reused, so that submitting
	 * the same input again yields the same record (an idempotent retry,
	 * not a conflict).  Kept by jrec_discs_clear().
	 */
	int (*known)(void *arg, const char *id, const char *field,
	    const char *value, size_t len, uint8_t salt[32]);
	void *known_arg;
	/*
	 * Optional: whether a commitment given ready-made in the input
	 * ({"kind": "individual", "commitment": ...}, as an export of the
	 * log has it) is one whose salt is kept; one that is not is refused
	 * (a hash of a name without a kept salt can be neither disclosed
	 * nor, if unsalted, kept secret).
	 */
	int (*holds)(void *arg, const uint8_t commitment[32]);
	/*
	 * Optional: whether the person of (record id, field) was erased
	 * from the disclosures file (`pubtrail disclose --erase`): 1 and the
	 * commitment the log holds, which the record then carries as it
	 * was logged, its name neither committed to again nor kept (so a
	 * month's file sent again after an erasure reads as logged).
	 */
	int (*erased)(void *arg, const char *id, const char *field,
	    uint8_t commitment[32]);
	/*
	 * Optional: when known() has no line of the name as written, a line
	 * of (record id, field) of the same name but for case and Unicode
	 * form ("JÜRGEN MÜLLER" for "Jürgen Müller": an export that changed
	 * its capitals): 1, its salt, and its name as the line has it
	 * (*stored, malloc'd), which the record then commits to, so that it
	 * reads as logged.
	 */
	int (*alike)(void *arg, const char *id, const char *field,
	    const char *value, uint8_t salt[32], char **stored);
	const char *id;		/* set by jrec_from_json while it runs */
	/* and a correction's replacement's id: a person in the replacement
	 * keeps the salt the amended record (that id) has for the same name,
	 * so that an amendment of the amount does not change the payee's
	 * commitment, and the corrected record reads as the month's file */
	const char *rid;
};
/* Free the values and wipe the salts; d may be reused after (known,
 * holds, erased, alike and known_arg are kept). */
void jrec_discs_clear(struct jrec_discs *d);

/*
 * Encode the JSON object obj as a canonical record into out (appended) and
 * check it with record_check().  Individuals are replaced by commitments
 * and their secrets added to *discs (may be NULL only when the input holds
 * no individual).  Errors: PT_ETYPE (float, boolean, null, bad hex),
 * PT_ETOOBIG, PT_EDEPTH, PT_ENOMEM, PT_ECRYPTO, and every record_check()
 * error, with the field in *why.  O(size of obj).
 */
int jrec_from_json(const json_t *obj, struct wire_buf *out,
    struct jrec_discs *discs, struct pt_why *why);
/* The same, with every problem of the record's check given to each
 * (record_check_each); a problem of the encoding, before it, is in the
 * answer only. */
int jrec_from_json_each(const json_t *obj, struct wire_buf *out,
    struct jrec_discs *discs, record_each_fn each, void *arg,
    struct pt_why *why);

/*
 * The fields that differ between two records as JSON (jrec_to_json), "now"
 * and "mine", as a new array of {field, from, to} in field order: nested
 * fields dotted, amounts in major units with their currency ("amount":
 * "-12.50 EUR"), from or to null where the field is left out.
 */
json_t *jrec_changes(json_t *now, json_t *mine);

/*
 * changes (jrec_changes) on one line into out (cap bytes, cut with "..."):
 * "amount: 12.50 EUR -> 125.00 EUR; date: ...".  1 when every change is a
 * committed field's commitment (the same record, a person's name under
 * another salt), else 0.
 */
int jrec_changes_text(json_t *changes, char *out, size_t cap);

/*
 * Decode a canonical msgpack value (already checked, e.g. a record inside
 * a decoded entry) into a new JSON value (*out, caller json_decref()s).
 * bin -> lower-case hex string.  PT_EMALFORMED on anything else.
 */
int jrec_to_json(const uint8_t *buf, size_t len, json_t **out,
    struct pt_why *why);

/*
 * A whole entry for display:
 *   {"index", "leaf_hash" (hex), "time" (ms), "submitter" (vkey string),
 *    "signer" (signer_label: "name+keyhash"), "record": {...}}
 * index is omitted when it is UINT64_MAX.  *out: caller json_decref()s.
 */
struct wire_entry;
int jrec_entry_to_json(const struct wire_entry *e, const uint8_t *bytes,
    size_t len, uint64_t index, json_t **out, struct pt_why *why);

/* Look up a dotted path ("payer.name") in a JSON object; NULL if absent.
 * Borrowed reference. */
json_t *jrec_path(json_t *obj, const char *path);

#endif
