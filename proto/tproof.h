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
 * (The exact grammar follows the C2SP spec; see docs/PROTOCOL.md.)
 */
#ifndef PT_TPROOF_H
#define PT_TPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "mt.h"

struct tproof {
	uint64_t index;
	size_t n;
	struct mt_hash proof[PT_MAX_PROOF];
	const char *note;	/* points into the parsed buffer */
	size_t note_len;
};

/* Format (NUL-terminated). PT_ETOOBIG when cap is too small. */
int tproof_format(const struct tproof *p, char *out, size_t cap,
    size_t *outlen);
/* Strict parse; does not verify the proof or the note. */
int tproof_parse(const char *buf, size_t len, struct tproof *out);

#endif
