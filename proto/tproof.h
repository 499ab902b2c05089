/*
 * tproof.h: C2SP tlog-proof, the text form of "this entry is at index i of
 * the tree this signed checkpoint commits to":
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <decimal>
 *   <base64 hash>          (one line per inclusion proof hash)
 *   <blank line>
 *   <signed checkpoint note>
 *
 * Exactly as C2SP tlog-proof v1: the first line is the literal string, the
 * optional "extra" line carries non-empty canonical base64, the index is a
 * decimal without leading zeros (<= 2^63 - 2), each hash line is canonical
 * base64 of 32 bytes (at most PT_MAX_PROOF of them), every header line is at
 * most PT_NOTE_MAX_LINE bytes, and the rest is a signed note (note_parse)
 * whose text is a checkpoint (ckpt_check).
 * See docs/PROTOCOL.md section 3.
 */
#ifndef PT_TPROOF_H
#define PT_TPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "ptlimits.h"
#include "mt.h"

struct tproof {
	uint64_t index;
	size_t n;
	struct mt_hash proof[PT_MAX_PROOF];
	const char *note;	/* points into the parsed buffer */
	size_t note_len;
	/* Opaque, unauthenticated extra data (0 bytes: no "extra" line). */
	size_t extra_len;
	uint8_t extra[PT_NOTE_MAX_LINE];
	/* tproof_format: nonzero when the caller checked these very note
	 * bytes as tproof_format would (a receipt builder formatting many
	 * proofs under one checkpoint): not parsed again. */
	int note_checked;
};

/* Format (NUL-terminated); *outlen (may be NULL) gets the length.
 * PT_ETOOBIG when cap is too small or n > PT_MAX_PROOF; PT_EINVAL when
 * extra_len is too large for one line or index > 2^63 - 2; the
 * note_parse or ckpt_check error when note is not a signed checkpoint. */
int tproof_format(const struct tproof *p, char *out, size_t cap,
    size_t *outlen);
/* Strict parse; does not verify the proof or the note's signatures (use
 * tproof_verify).  out->note points into buf.  PT_EMALFORMED, PT_ETOOBIG,
 * PT_ERANGE, or note_parse's and ckpt_check's errors.  O(len),
 * no allocation (about 14 KB of stack for the note check). */
int tproof_parse(const char *buf, size_t len, struct tproof *out);

/*
 * Verify a parsed proof for the entry whose leaf hash is leaf: the note must
 * be a checkpoint signed by log_key (ckpt_open), index < its size (PT_ERANGE
 * otherwise) and the inclusion proof must lead to its root (PT_EPROOF
 * otherwise).  out (may be NULL) gets the checkpoint.  Witness
 * cosignatures are a policy's business (pol_check_checkpoint).  O(n)
 * hashes plus one signature verification.
 */
struct note_vkey;
struct ckpt;
int tproof_verify(const struct tproof *p, const struct mt_hash *leaf,
    const struct note_vkey *log_key, struct ckpt *out);

#endif
