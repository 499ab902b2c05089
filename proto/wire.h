/*
 * wire.h: canonical msgpack messages (docs/PROTOCOL.md sections 5 and 7).
 *
 * Canonical msgpack here: maps with string keys sorted by their UTF-8 bytes
 * (shorter first on a common prefix), no duplicate keys; integers in the
 * shortest encoding (non-negative values always as positive fixint/uint*);
 * strings valid UTF-8 in the shortest str header; bin in the shortest bin
 * header; no floats, no ext, no nil, no booleans unless a schema says so;
 * exactly one top-level value, no trailing bytes.
 *
 * The decoder walks every header and checks each declared length against
 * the bytes that remain before anything is allocated (msgpack-c's unpacker
 * would otherwise allocate what a 5-byte header claims), then decodes only
 * complete buffers.
 */
#ifndef PT_WIRE_H
#define PT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "record.h"

/* A growable byte buffer owned by the caller; wire_buf_free() releases it. */
struct wire_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};
void wire_buf_init(struct wire_buf *b);
void wire_buf_free(struct wire_buf *b);

/*
 * Check that buf[0..len) is exactly one canonical msgpack value within the
 * generic limits (PT_MAX_STRING, PT_MAX_BIN, PT_MAX_MAP_KEYS, PT_MAX_ARRAY,
 * PT_MAX_DEPTH).  No schema.  O(len), no allocation.
 */
int wire_check_canonical(const uint8_t *buf, size_t len, struct pt_why *why);

/*
 * Submission (POST /add body):
 *   { "record": <record map>, "sig": bin(64), "submitter": str }
 * submitter is the C2SP verifier key string of the office (alg 0x01).
 * sig is Ed25519 by that key over wire_sign_message().
 * Fields point into the decoded buffer.
 */
struct wire_submission {
	const uint8_t *record;		/* the canonical record map bytes */
	size_t record_len;
	struct record_info info;
	struct note_vkey submitter;
	const char *submitter_str;	/* the verifier key string as sent */
	size_t submitter_len;
	uint8_t sig[64];
};

/* Strict decode + record_check().  Does NOT verify the signature. */
int wire_submission_decode(const uint8_t *buf, size_t len,
    struct wire_submission *out, struct pt_why *why);
/* Canonical encoding of a submission into out (appended). */
int wire_submission_encode(const struct wire_submission *s,
    struct wire_buf *out);

/*
 * The message an office signs: "pubtrail/submission/v1\n" || origin || "\n"
 * || record bytes.  Binding the origin stops replay to another log; the
 * domain string stops any other pubtrail signature standing in for it.
 */
int wire_sign_message(const char *origin, const uint8_t *record,
    size_t record_len, struct wire_buf *out);
/* Sign record for origin with k (fills s->sig, s->submitter*). The string
 * pointer is set to a static per-call buffer inside s: see wire.c. */
int wire_submission_sign(const struct note_skey *k, const char *origin,
    const uint8_t *record, size_t record_len, struct wire_submission *s,
    char *vkey_buf, size_t vkey_cap);
/* 0 when s->sig verifies for origin; PT_ESIG otherwise. */
int wire_submission_verify(const struct wire_submission *s,
    const char *origin);

/* 32-byte submitter id: SHA-256 of the verifier key string.  Used as the
 * key of (submitter, id) lookups; shown as lower-case hex. */
int wire_submitter_id(const char *vkey, size_t len, uint8_t out[32]);

/*
 * Entry (the leaf; what /tile/entries serves and the leaf hash covers):
 *   { "record": <map>, "sig": bin(64), "submitter": str, "time": uint }
 * time: the log's integration time, milliseconds since the Unix epoch.
 */
struct wire_entry {
	struct wire_submission sub;
	uint64_t time_ms;
};
int wire_entry_encode(const struct wire_submission *s, uint64_t time_ms,
    struct wire_buf *out);
int wire_entry_decode(const uint8_t *buf, size_t len, struct wire_entry *out,
    struct pt_why *why);

/*
 * Receipt (answer to POST /add):
 *   { "entry": bin, "index": uint, "proof": str }
 * proof is a C2SP tlog-proof (index, inclusion proof hashes, signed
 * checkpoint note with any cosignatures) for that entry.
 */
struct wire_receipt {
	const uint8_t *entry;
	size_t entry_len;
	uint64_t index;
	const char *proof;
	size_t proof_len;
};
int wire_receipt_encode(const struct wire_receipt *r, struct wire_buf *out);
int wire_receipt_decode(const uint8_t *buf, size_t len,
    struct wire_receipt *out, struct pt_why *why);

/*
 * Proof answers (GET /proof/...):
 *   inclusion:   { "index": uint, "proof": [bin(32)...], "size": uint }
 *   consistency: { "new": uint, "old": uint, "proof": [bin(32)...] }
 */
int wire_inclusion_encode(uint64_t index, uint64_t size,
    const struct mt_hash *proof, size_t n, struct wire_buf *out);
int wire_inclusion_decode(const uint8_t *buf, size_t len, uint64_t *index,
    uint64_t *size, struct mt_hash *proof, size_t max, size_t *n,
    struct pt_why *why);
int wire_consistency_encode(uint64_t old, uint64_t new_size,
    const struct mt_hash *proof, size_t n, struct wire_buf *out);
int wire_consistency_decode(const uint8_t *buf, size_t len, uint64_t *old,
    uint64_t *new_size, struct mt_hash *proof, size_t max, size_t *n,
    struct pt_why *why);

#endif
