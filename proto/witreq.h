/*
 * witreq.h: the C2SP tlog-witness add-checkpoint exchange, byte for byte.
 *
 * Request body (POST <prefix>/add-checkpoint):
 *
 *   "old " <decimal size, no leading zeros> "\n"
 *   <base64 32-byte hash> "\n"          0..63 consistency proof lines
 *   "\n"
 *   <signed checkpoint note>
 *
 * 409 answer body (Content-Type text/x.tlog.size): <decimal size> "\n".
 * 200 answer body: one or more note signature lines ("\u2014 name b64\n"),
 * at most PT_WITRESP_MAX_BODY bytes (room for 16 post-quantum lines).
 *
 * Strict and bounded (PT_WITREQ_MAX_BODY, PT_WITREQ_MAX_PROOF).  No I/O.
 */
#ifndef PT_WITREQ_H
#define PT_WITREQ_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"
#include "note.h"
#include "pt.h"
#include "ptlimits.h"

#define WITREQ_SIZE_CTYPE	"text/x.tlog.size"
/* An Ed25519 cosignature line with its "\n" and a NUL. */
#define WITREQ_LINE_MAX		(4 + PT_MAX_KEY_NAME + 1 + 104 + 2)

struct witreq {
	uint64_t old;
	size_t nproof;
	struct mt_hash proof[PT_WITREQ_MAX_PROOF];
	const char *note;		/* into the caller's buffer */
	size_t note_len;
};

/*
 * Parse a request body: the old line, the proof lines, the empty line; the
 * rest is the note (not parsed here: the witness opens it with the log's
 * key).  An empty note is refused.  A non-empty proof with old 0 parses:
 * tlog-witness answers it 422 after checking the signature, so the
 * witness, not the parser, refuses it.  0, PT_ETOOBIG (body over
 * PT_WITREQ_MAX_BODY, more than 63 proof lines), PT_EMALFORMED (everything
 * else); reason in *why.  O(len).
 */
int witreq_parse(const char *buf, size_t len, struct witreq *out,
    struct pt_why *why);

/*
 * Format a request body (NUL-terminated; *outlen, may be NULL, without
 * the NUL).  PT_EINVAL (more than 63 proof hashes, proof with old 0,
 * empty note), PT_ETOOBIG (cap too small or over PT_WITREQ_MAX_BODY).
 */
int witreq_format(uint64_t old, const struct mt_hash *proof, size_t nproof,
    const char *note, size_t note_len, char *out, size_t cap,
    size_t *outlen);

/* The 409 body: exactly <decimal>"\n".  0 or PT_EMALFORMED. */
int witreq_size_parse(const char *buf, size_t len, uint64_t *size);
/* Write it (NUL-terminated). 0 or PT_ETOOBIG. */
int witreq_size_format(uint64_t size, char *out, size_t cap, size_t *outlen);

/*
 * Check a 200 answer from the witness with key wkey (an Ed25519
 * cosignature key) for the checkpoint text (the note text: the checkpoint
 * body without signatures): the body must be 1..PT_NOTE_MAX_SIGS
 * well-formed signature lines of at most PT_NOTE_MAX_SIG_LINE bytes, at
 * most PT_WITRESP_MAX_BODY in all; lines by other keys are ignored whatever
 * their size; exactly one line must be by wkey and verify as a cosignature
 * v1 over text.  That line (with its "\n", NUL-terminated) is copied to
 * line (cap >= WITREQ_LINE_MAX suffices) and its time to *ts (may be
 * NULL); whether that time counts is pol_cosigs's business.
 * 0, PT_EMALFORMED (not signature lines), PT_ETOOBIG, PT_EINVAL (wkey not
 * an Ed25519 cosignature key), PT_EUNKNOWNSIGNER (no line by wkey), PT_ESIG
 * (it does not verify, or two lines by wkey), PT_ENOMEM.  O(len), one
 * verification; allocates text_len + len + ~15 KB, freed before return.
 */
int witreq_resp_check(const char *body, size_t len, const char *text,
    size_t text_len, const struct note_vkey *wkey, char *line, size_t cap,
    uint64_t *ts);

#endif
