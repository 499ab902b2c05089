/*
 * verify.h: offline verification of receipts (`pubtrail verify`) and the
 * checks every other command builds on.
 */
#ifndef PT_CLIENT_VERIFY_H
#define PT_CLIENT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include <jansson.h>

#include "ckpt.h"
#include "mt.h"
#include "note.h"
#include "policy.h"
#include "pt.h"
#include "wire.h"

/* What a verified receipt says.  Pointers (entry, note) point into the
 * receipt buffer given to vrf_receipt() and live as long as it does. */
struct vrf_result {
	uint64_t index;
	struct ckpt ck;			/* the signed checkpoint's body */
	struct wire_entry entry;	/* decoded entry (record_check passed) */
	const uint8_t *entry_bytes;
	size_t entry_len;
	struct mt_hash leaf;
	const char *note;		/* the signed checkpoint note */
	size_t note_len;
	int policy;			/* 1: checked under the --policy */
	struct pol_cosigs cosigs;	/* then: what each witness counted */
};

/*
 * Verify a receipt (wire_receipt msgpack) against the log key:
 * the checkpoint note in its tlog-proof carries a valid signature by
 * log_key (ckpt_open: origin = key name); the entry decodes and its
 * record passes record_check(); the submitter signature verifies for the
 * checkpoint's origin; the tlog-proof index equals the receipt index; the
 * inclusion proof of the entry's leaf hash verifies against the signed
 * root at the signed size.  0 and *out filled, or the first failure's
 * code (PT_EMALFORMED..., PT_ESIG, PT_EUNKNOWNSIGNER, PT_EORIGIN,
 * PT_EPROOF, PT_ERANGE) with the reason in *why.  O(len + log size).
 */
int vrf_receipt(const uint8_t *buf, size_t len, const struct note_vkey *log_key,
    struct vrf_result *out, struct pt_why *why);

/*
 * Accept checkpoints only under policy p from now on (NULL: the log key
 * alone).  p must live as long as the process.  Which cosignatures count is
 * pol_cosigs's rule (a cosignature dated more than PT_COSIG_SKEW_S seconds
 * in the future does not; nor does one this build cannot verify).
 */
void vrf_set_policy(const struct pol *p);
/*
 * vrf_receipt for the office that submitted the entry (pubtrail submit),
 * doing less of the same work again: when the receipt's checkpoint note is
 * byte for byte one of m->notes (m->nnotes), notes this process verified
 * with log_key before (each with its body), it is not opened again (not
 * under a --policy);
 * when the entry's record, submitter and signature are byte for byte the
 * ones the caller signed (m->record, m->submitter, m->sig: 64 bytes), the
 * signature is compared, not verified again.  Every other check as
 * vrf_receipt, which it is when a field of m is NULL.
 */
struct vrf_note {
	char *note;			/* NULL: an empty slot */
	size_t note_len;
	struct ckpt ck;
};
/* The one of notes[0..n) that is byte for byte note (len bytes), or NULL. */
const struct vrf_note *vrf_note_find(const struct vrf_note *notes, size_t n,
    const char *note, size_t len);
struct vrf_mine {
	const struct vrf_note *notes;
	size_t nnotes;
	const uint8_t *record;
	size_t record_len;
	const char *submitter;
	size_t submitter_len;
	const uint8_t *sig;
};
int vrf_receipt_mine(const uint8_t *buf, size_t len,
    const struct note_vkey *log_key, const struct vrf_mine *m,
    struct vrf_result *out, struct pt_why *why);

/*
 * Open a signed checkpoint note with log_key (ckpt_open), and under the
 * policy when one is set (pol_check_checkpoint), and say why not.
 * PT_ESIG / PT_EUNKNOWNSIGNER / PT_EMALFORMED / PT_EORIGIN / PT_ETIME.
 */
int vrf_checkpoint(const char *note, size_t len,
    const struct note_vkey *log_key, struct ckpt *out, struct pt_why *why);

/*
 * Who signed the note, in words, into out (cap bytes, NUL-terminated):
 * 'origin "O", signed by N+0123abcd' (name and key hash) and the others
 * (at most 3 named).  Returns 1 when a signature line carries key's name
 * and key hash, 0 when none does (another log, or a wrong key), -1 when
 * the note does not parse (out is then "").  No signature is verified.
 * O(len).
 */
int vrf_signers(const char *note, size_t len, const struct note_vkey *key,
    char *out, size_t cap);

/*
 * What each policy witness counted for r (nothing when r->policy is 0):
 * one "  witness NAME: ..." line each to f (e.g. "witness w3: ML-DSA-44
 * cosignature, cannot be verified here (OpenSSL 3.0.17), not counted"), or
 * a JSON array of {"name", "status": counted|future|unverifiable|absent,
 * "time"} objects (NULL without a policy; the caller owns it).
 */
void vrf_print_witnesses(FILE *f, const struct vrf_result *r);
json_t *vrf_witnesses_json(const struct vrf_result *r);

/*
 * Verify one entry's content: decode (schema) and submitter signature for
 * origin.  out (may be NULL) gets the decoded entry.  O(len).
 */
int vrf_entry(const uint8_t *entry, size_t len, const char *origin,
    struct wire_entry *out, struct pt_why *why);

/*
 * What a file that is not a receipt is, in words, into what ("a JSON
 * payment record (what an office submits)", "a signed note (a
 * checkpoint)", "an entry's bytes ..."): 0, or -1 when it is nothing this
 * tool knows.  O(len).
 */
int vrf_input_kind(const uint8_t *buf, size_t len, char *what, size_t cap);

/* `pubtrail verify --log-key VKEY [--json] RECEIPT...`. */
int vrf_cmd(int argc, char **argv);

#endif
