/*
 * note.h: C2SP signed-note (Ed25519, algorithm 0x01) and C2SP
 * tlog-cosignature (algorithm 0x04: 8-byte big-endian timestamp followed by
 * an Ed25519 signature over the cosigned message; algorithm 0x06: the same
 * with an ML-DSA-44 signature, whose keys are parsed but which this build
 * cannot verify).
 *
 *   verifier key string:  <name>+<hash hex8>+<base64(alg || public key)>
 *   private key string:   PRIVATE+KEY+<name>+<hash hex8>+<base64(alg || seed32)>
 *   key hash:             first 4 bytes (big-endian) of
 *                         SHA-256(name || "\n" || alg || public key)
 *   note:                 <text ending in "\n">"\n"<signature lines>
 *   signature line:       "\u2014 " <name> " " base64(keyhash4 || sig) "\n"
 *
 * All parsing is strict and bounded by ptlimits.h: the text by
 * PT_NOTE_MAX_TEXT and PT_NOTE_MAX_LINE, each signature line by
 * PT_NOTE_MAX_SIG_LINE (room for post-quantum signatures), the whole note by
 * PT_NOTE_MAX.  No I/O.
 */
#ifndef PT_NOTE_H
#define PT_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "ptlimits.h"

#define NOTE_ALG_ED25519	0x01
#define NOTE_ALG_COSIG_V1	0x04	/* Ed25519 cosignature */
#define NOTE_ALG_COSIG_MLDSA44	0x06	/* ML-DSA-44 cosignature */
#define NOTE_SIG_MAX		72	/* cosignature: 8 + 64 */
#define NOTE_MLDSA44_PUB	1312	/* ML-DSA-44 public key, bytes */
#define NOTE_MLDSA44_SIG	2420	/* ML-DSA-44 signature, bytes */

/*
 * A public (verifier) key.  For Ed25519 keys (0x01, 0x04) pub is the
 * public key.  For ML-DSA-44 keys (0x06) pub is SHA-256 of the 1312-byte
 * public key: enough to tell keys apart, nothing to verify with (this build
 * cannot verify ML-DSA-44 anyway: note_alg_verifiable).
 */
struct note_vkey {
	char name[PT_MAX_KEY_NAME + 1];
	uint8_t alg;		/* NOTE_ALG_* */
	uint32_t hash;
	uint8_t pub[32];
};

/* A private (signer) key (Ed25519 types only); wipe with note_skey_wipe()
 * when done. */
struct note_skey {
	struct note_vkey vk;
	uint8_t seed[32];
};

/* 1 when this build can verify signatures of algorithm alg (0x01, 0x04),
 * 0 otherwise: ML-DSA-44 (0x06) needs OpenSSL 3.5, Debian 12 has 3.0. */
int note_alg_verifiable(uint8_t alg);
/* "Ed25519", "Ed25519 cosignature", "ML-DSA-44 cosignature" or "unknown";
 * static storage. */
const char *note_alg_name(uint8_t alg);

/* Key hash as defined above, for a 32-byte (Ed25519) public key.  0,
 * PT_EINVAL or PT_ECRYPTO. */
int note_key_hash(const char *name, uint8_t alg, const uint8_t pub[32],
    uint32_t *out);
/* Valid key name: 1..PT_MAX_KEY_NAME bytes of UTF-8, no Unicode spaces,
 * no '+', no C0/C1 control character or U+007F.  0 or PT_EMALFORMED/
 * PT_ETOOBIG.  O(len). */
int note_name_check(const char *name, size_t len);

/* New random key of algorithm alg (NOTE_ALG_ED25519 or NOTE_ALG_COSIG_V1). */
int note_keygen(const char *name, uint8_t alg, struct note_skey *out);
void note_skey_wipe(struct note_skey *k);

/* Parse / format key strings.  Format writes a NUL-terminated string and
 * fails with PT_ETOOBIG when cap is too small, PT_EINVAL for an ML-DSA-44
 * key (only its fingerprint is kept).  Parse rejects a hash that does not
 * match, an unknown algorithm, non-canonical base64, a wrong length, a
 * string over PT_MAX_VKEY (PT_MAX_VKEY_MLDSA for ML-DSA-44 keys).
 * PT_EMALFORMED, PT_ETOOBIG.  Private keys are Ed25519 types only. */
int note_vkey_parse(const char *s, size_t len, struct note_vkey *out);
int note_vkey_format(const struct note_vkey *k, char *out, size_t cap);
int note_skey_parse(const char *s, size_t len, struct note_skey *out);
int note_skey_format(const struct note_skey *k, char *out, size_t cap);

/* One signature line of a parsed note.  sig holds the first
 * min(sig_len, NOTE_SIG_MAX) bytes: a longer signature (another algorithm,
 * e.g. ML-DSA) is kept as an unknown one and can never verify under an
 * Ed25519 key.  line points at the whole line ("\u2014 ... \n") in the
 * parsed buffer. */
struct note_sig {
	char name[PT_MAX_KEY_NAME + 1];
	uint32_t hash;
	uint8_t sig[NOTE_SIG_MAX];
	size_t sig_len;		/* bytes after the 4-byte key hash */
	const char *line;	/* into the caller's buffer */
	size_t line_len;	/* includes the final "\n" */
};

/* Valid note text: 1..PT_NOTE_MAX_TEXT bytes ending in "\n", valid UTF-8,
 * no ASCII control character but "\n", every line <= PT_NOTE_MAX_LINE bytes.
 * 0, PT_EMALFORMED (shape, control character), PT_EUTF8, PT_ETOOBIG.
 * O(len). */
int note_text_check(const char *text, size_t len);

/* A parsed note.  text points into the caller's buffer (not copied): valid
 * as long as that buffer is. */
struct note {
	const char *text;
	size_t text_len;	/* includes the final "\n" of the text */
	size_t nsigs;
	struct note_sig sigs[PT_NOTE_MAX_SIGS];
};

/* Split a signed note into text and signature lines, strictly:
 * size <= PT_NOTE_MAX, valid UTF-8 with no control characters but "\n",
 * text non-empty, valid as note_text_check says (<= PT_NOTE_MAX_TEXT,
 * lines <= PT_NOTE_MAX_LINE), a blank line, 1..PT_NOTE_MAX_SIGS well-formed
 * signature lines of at most PT_NOTE_MAX_SIG_LINE bytes each, final "\n".
 * Two lines with one (name, hash) are kept (a verifier ignores them when
 * the key is unknown: note_verify).  Does not verify anything.  Errors:
 * PT_ETOOBIG (size, a line, > PT_NOTE_MAX_SIGS lines, a key name),
 * PT_EUTF8, PT_EMALFORMED (everything else); out is then empty (nsigs 0,
 * text NULL).  O(len), no allocation (about 6 KB of stack); struct note is
 * about 15 KB. */
int note_parse(const char *buf, size_t len, struct note *out);

/*
 * Verify n against known keys: signatures by unknown keys are ignored; a
 * signature line whose (name, hash) matches a known key but does not verify
 * rejects the whole note (PT_ESIG), and so do two lines by one known key
 * (PT_EMALFORMED).  Keys this build cannot verify (note_alg_verifiable)
 * are treated as unknown.  On success *verified (may be NULL) gets a bitmask
 * of which keys[i] (i < 64) produced a valid signature.  Returns
 * PT_EUNKNOWNSIGNER when none of keys signed.  Cosignature keys
 * (NOTE_ALG_COSIG_V1) are verified as tlog-cosignature v1 over the note's
 * text, which must then be a checkpoint.  PT_EINVAL: keys sharing a
 * (name, hash), or an unknown alg.  Work: one Ed25519 verification per
 * signature line of a known key; O(nsigs * nkeys) name comparisons.
 */
int note_verify(const struct note *n, const struct note_vkey *keys,
    size_t nkeys, uint64_t *verified);

/*
 * n with only the signature lines whose (name, key ID) is one of keys' (in
 * n's order): its text, the blank line, those lines.  For keeping what was
 * verified without what other signers added.  out gets it NUL-terminated
 * (cap > n's length always suffices); *outlen (may be NULL) its length.
 * PT_EINVAL, PT_ETOOBIG (cap; out is then ""), PT_EUNKNOWNSIGNER (no line
 * by keys: that would not be a signed note).  O(length + nsigs * nkeys).
 */
int note_keep_lines(const struct note *n, const struct note_vkey *keys,
    size_t nkeys, char *out, size_t cap, size_t *outlen);

/* Ed25519 signature line for text by k (alg 0x01): appends
 * "\u2014 name base64\n" to the NUL-terminated string already in out (of
 * capacity cap), keeping it NUL-terminated.  PT_EINVAL (k not an Ed25519
 * key, out not a string), note_text_check errors, PT_ETOOBIG (no room:
 * out unchanged), PT_ECRYPTO. */
int note_sign_line(const struct note_skey *k, const char *text, size_t len,
    char *out, size_t cap);

/* Build a whole note: text, blank line, one signature line per key (any mix
 * of algorithms; cosignature keys use timestamp, and need a checkpoint
 * text).  Writes NUL-terminated; *outlen (may be NULL) gets the length.
 * PT_EINVAL (no keys, an invalid key, two keys with one (name, hash)),
 * note_text_check errors, PT_ETOOBIG (cap, > PT_NOTE_MAX_SIGS keys, a note
 * over PT_NOTE_MAX), cosignature errors.  On error out is "". */
int note_sign(const char *text, size_t len, const struct note_skey *keys,
    size_t nkeys, uint64_t timestamp, char *out, size_t cap, size_t *outlen);

/*
 * tlog-cosignature v1.  checkpoint is the note text (a checkpoint body).
 * The signed message is "cosignature/v1\ntime <timestamp>\n" followed by the
 * checkpoint as the spec defines.  sig gets 8-byte big-endian timestamp ||
 * 64-byte signature.  PT_EINVAL (k not a cosignature key, timestamp >
 * 2^63 - 1), ckpt_check errors, PT_ENOMEM, PT_ECRYPTO.
 */
int note_cosign_v1(const struct note_skey *k, const char *checkpoint,
    size_t len, uint64_t timestamp, uint8_t sig[72]);
/* 0 valid, PT_ESIG not (wrong length, timestamp > 2^63 - 1, bad
 * signature); ckpt_check errors when checkpoint is not a checkpoint;
 * PT_ENOMEM; PT_EINVAL when k is not a cosignature key.  *timestamp (may be
 * NULL) gets the signed time.  Allocates and frees len + ~40 bytes. */
int note_cosig_verify_v1(const struct note_vkey *k, const char *checkpoint,
    size_t len, const uint8_t *sig, size_t sig_len, uint64_t *timestamp);

#endif
