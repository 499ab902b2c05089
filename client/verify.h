/*
 * verify.h: offline verification of receipts (`pubtrail verify`) and the
 * checks every other command builds on.
 */
#ifndef PT_CLIENT_VERIFY_H
#define PT_CLIENT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt.h"
#include "mt.h"
#include "note.h"
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
 * Open a signed checkpoint note with log_key (ckpt_open) and say why not.
 * PT_ESIG / PT_EUNKNOWNSIGNER / PT_EMALFORMED / PT_EORIGIN.
 */
/*
 * Accept checkpoints only under policy p from now on (NULL: the log key
 * alone).  p must live as long as the process.  Cosignatures timed more
 * than VRF_COSIG_SKEW seconds in the future do not count.
 */
struct pol;
#define VRF_COSIG_SKEW 60
void vrf_set_policy(const struct pol *p);
int vrf_checkpoint(const char *note, size_t len,
    const struct note_vkey *log_key, struct ckpt *out, struct pt_why *why);

/*
 * Verify one entry's content: decode (schema) and submitter signature for
 * origin.  out (may be NULL) gets the decoded entry.  O(len).
 */
int vrf_entry(const uint8_t *entry, size_t len, const char *origin,
    struct wire_entry *out, struct pt_why *why);

/* `pubtrail verify --log-key VKEY [--json] RECEIPT...`. */
int vrf_cmd(int argc, char **argv);

#endif
