/*
 * wire.h: canonical msgpack messages (docs/PROTOCOL.md sections 5 and 7).
 *
 * Canonical msgpack here: maps with string keys sorted by their UTF-8 bytes
 * (shorter first on a common prefix), no duplicate keys; integers in the
 * shortest encoding (non-negative values always as positive fixint/uint*);
 * strings valid UTF-8 in the shortest str header; bin in the shortest bin
 * header; no floats, no ext, no nil, no booleans; at most PT_MAX_DEPTH
 * nested containers; exactly one top-level value, no trailing bytes.
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

#include "ptlimits.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "record.h"

/*
 * Limits of the messages that carry whole entries and proof texts, derived
 * from the named limits in ptlimits.h (a receipt embeds an entry as bin and a
 * C2SP tlog-proof text, each larger than the generic PT_MAX_BIN/PT_MAX_STRING).
 */
#define WIRE_MAX_TPROOF	(PT_NOTE_MAX + 128 + PT_MAX_PROOF * 45)
#define WIRE_MAX_RECEIPT (PT_MAX_ENTRY + WIRE_MAX_TPROOF + 64)
#define WIRE_MAX_PROOF_MSG (64 + PT_MAX_PROOF * 35)

/* A growable byte buffer owned by the caller; wire_buf_free() releases it
 * (and may be called on an initialised, never-used buffer).  Encoders append
 * to it; when an encoder fails the contents are unspecified: free it. */
struct wire_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};
void wire_buf_init(struct wire_buf *b);
void wire_buf_free(struct wire_buf *b);
/* Append len bytes.  0 or PT_ENOMEM (b unchanged). Amortised O(len). */
int wire_buf_append(struct wire_buf *b, const void *data, size_t len);

/*
 * Low-level canonical encoders (msgpack-c's packer, which always emits the
 * shortest header for a length or integer).  The caller writes map keys in
 * ascending byte order itself; wire_check_canonical() checks the result.
 * Each appends to b; 0 or PT_ENOMEM.  O(len).
 */
int wire_enc_map(struct wire_buf *b, size_t npairs);
int wire_enc_array(struct wire_buf *b, size_t n);
int wire_enc_str(struct wire_buf *b, const char *s, size_t len);
int wire_enc_cstr(struct wire_buf *b, const char *s);	/* NUL-terminated */
int wire_enc_bin(struct wire_buf *b, const void *p, size_t len);
int wire_enc_uint(struct wire_buf *b, uint64_t v);
int wire_enc_int(struct wire_buf *b, int64_t v);
/* Append an already-encoded canonical value verbatim (e.g. a record). */
int wire_enc_raw(struct wire_buf *b, const uint8_t *p, size_t len);

/*
 * Read cursor over bytes ALREADY accepted by wire_check_canonical() (or the
 * decoders below): each call reads one header at c->p and advances.  They
 * never read past c->end (PT_ETRUNCATED) and never allocate; a value of
 * another kind is PT_ETYPE and leaves c unchanged.  Returned pointers point
 * into the cursor's buffer.  O(1) each, except wire_cur_skip, O(value).
 */
struct wire_cur {
	const uint8_t *p;
	const uint8_t *end;
};
enum wire_kind {
	WIRE_K_NONE = 0,	/* end of input or a kind canonical form lacks */
	WIRE_K_UINT,		/* non-negative integer */
	WIRE_K_NINT,		/* negative integer */
	WIRE_K_STR,
	WIRE_K_BIN,
	WIRE_K_ARRAY,
	WIRE_K_MAP,
};
void wire_cur_init(struct wire_cur *c, const uint8_t *buf, size_t len);
enum wire_kind wire_cur_kind(const struct wire_cur *c);
int wire_cur_map(struct wire_cur *c, size_t *npairs);
int wire_cur_array(struct wire_cur *c, size_t *n);
int wire_cur_str(struct wire_cur *c, const char **s, size_t *len);
int wire_cur_bin(struct wire_cur *c, const uint8_t **p, size_t *len);
int wire_cur_uint(struct wire_cur *c, uint64_t *v);
/* Any integer that fits int64_t; a uint above INT64_MAX is PT_ERANGE. */
int wire_cur_int(struct wire_cur *c, int64_t *v);
/* Skip one whole value (with everything nested in it); *start and *len
 * (either pointer may be NULL) get its encoded span. */
int wire_cur_skip(struct wire_cur *c, const uint8_t **start, size_t *len);

/*
 * Check that buf[0..len) is exactly one canonical msgpack value within the
 * generic limits (PT_MAX_STRING, PT_MAX_BIN, PT_MAX_MAP_KEYS, PT_MAX_ARRAY,
 * PT_MAX_DEPTH).  No schema.  O(len), no allocation; the walk uses a fixed
 * stack of PT_MAX_DEPTH frames.  Errors (first found, in byte order):
 * PT_ETRUNCATED (input ends inside a header or value, or is empty),
 * PT_ENONCANON (a header or integer not in its shortest form, a non-negative
 * integer in a signed format, map keys out of order), PT_EDUPKEY,
 * PT_ETOOBIG (a declared length or count over its limit: checked before the
 * bytes that remain), PT_EDEPTH, PT_ETYPE (nil, bool, float, ext, a non-string
 * map key), PT_EMALFORMED (byte 0xc1), PT_EUTF8, PT_ETRAILING.  why (may be
 * NULL) gets the offset and reason.
 */
int wire_check_canonical(const uint8_t *buf, size_t len, struct pt_why *why);

/*
 * Batch of submissions (POST /add whose body is an array, docs/API.md):
 *   [ <submission>, <submission>, ... ]
 * answered, once every item is durable or refused, by an array of as many
 * results, in order:
 *   { "receipt": bin <the receipt>, "status": 200 }
 *   { "error": str <one line>, "status": uint <its HTTP status> }
 *
 * wire_batch_is: 1 when body starts with an array header (a batch), else 0.
 * wire_batch_split: cut the array into its items' spans without decoding
 * them (each is then decoded as a submission of its own); 0 with *n in
 * 1..max, or PT_EMALFORMED (not an array, empty, or an item whose bounds
 * cannot be found), PT_ETOOBIG (more than max items: checked on the header,
 * before any item), PT_ENONCANON (the array header not in its shortest
 * form), PT_ETRAILING; why gets the reason.  items: max entries, the
 * caller's.  O(len), no allocation.
 */
struct wire_span {
	const uint8_t *p;
	size_t len;
};
int wire_batch_is(const uint8_t *buf, size_t len);
int wire_batch_split(const uint8_t *buf, size_t len, size_t max,
    struct wire_span *items, size_t *n, struct pt_why *why);
/* Append one result to out (after wire_enc_array(out, n)): a receipt
 * when status is 200, else the error text (cut at 1024 bytes). */
int wire_batch_result_encode(struct wire_buf *out, unsigned status,
    const uint8_t *receipt, size_t receipt_len, const char *error);

struct wire_batch_result {
	unsigned status;		/* 200, or the item's error status */
	const uint8_t *receipt;		/* status 200: into the answer */
	size_t receipt_len;
	const char *error;		/* otherwise, not NUL-terminated */
	size_t error_len;
};
/*
 * Decode a batch answer that must hold exactly n results (res: n entries,
 * pointers into buf): each a map of "status" (100..599) and either
 * "receipt" (bin, status 200, at most WIRE_MAX_RECEIPT bytes: verify it
 * with the receipt's own decoder) or "error" (str, other statuses), keys
 * in canonical order, nothing else.  0, or PT_EMALFORMED / PT_ETRAILING
 * with the reason in why.  O(len), no allocation.
 */
int wire_batch_answer_decode(const uint8_t *buf, size_t len, size_t n,
    struct wire_batch_result *res, struct pt_why *why);

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
	/* Nonzero: record passed record_check (wire_submission_decode and
	 * wire_submission_sign set it), so the encoders need not walk it
	 * again.  Leave 0 for a record nobody checked. */
	int record_checked;
};

/*
 * Strict decode: len <= PT_MAX_SUBMISSION, wire_check_canonical(), exactly
 * the three keys, record_check() on the record, sig exactly 64 bytes,
 * submitter parsed with note_vkey_parse() and of algorithm 0x01.  Does NOT
 * verify the signature (wire_submission_verify) nor that the submitter is
 * authorised.  Errors: those of wire_check_canonical and record_check,
 * PT_EUNKNOWNKEY, PT_ESCHEMA (missing key, wrong sig length, non-Ed25519
 * key), PT_ETYPE, and note_vkey_parse's (PT_EMALFORMED, PT_ETOOBIG).  All
 * pointers in *out point into buf (valid while buf is); *out is zeroed on
 * error.  O(len), no allocation.
 */
int wire_submission_decode(const uint8_t *buf, size_t len,
    struct wire_submission *out, struct pt_why *why);
/* Append the canonical encoding of s to out: the record bytes are copied
 * verbatim and must be canonical (else PT_EINVAL, as for a missing
 * submitter string).  0, PT_EINVAL or PT_ENOMEM.  O(record_len). */
int wire_submission_encode(const struct wire_submission *s,
    struct wire_buf *out);

/*
 * The message an office signs: "pubtrail/submission/v1\n" || origin || "\n"
 * || record bytes.  Binding the origin stops replay to another log; the
 * domain string stops any other pubtrail signature standing in for it.
 * Appends to out.  origin: NUL-terminated, 1..PT_MAX_ORIGIN bytes of UTF-8
 * without control characters.  0, PT_EINVAL (bad origin, empty or
 * over-long record), PT_ENOMEM.  O(record_len).
 */
int wire_sign_message(const char *origin, const uint8_t *record,
    size_t record_len, struct wire_buf *out);
/*
 * The message a registrar signs for an office_key record (PROTOCOL.md
 * section 6.6): "pubtrail/office-key/v1\n" || origin || "\n" || record
 * bytes.  Its own domain, so that a registrar's signature never stands in
 * for an office's submission (nor an office's for a grant), and neither
 * for a checkpoint or cosignature.  As wire_sign_message otherwise.
 */
int wire_registrar_message(const char *origin, const uint8_t *record,
    size_t record_len, struct wire_buf *out);
/*
 * Check record with record_check() (only valid records are signed), then sign
 * it for origin with k (alg NOTE_ALG_ED25519) and fill all of *s:
 *   s->record/record_len = record/record_len (NOT copied: the caller's
 *     buffer must outlive s);
 *   s->info from record_check (points into record);
 *   s->submitter = k's public key;
 *   s->submitter_str = vkey_buf, into which k's verifier key string is
 *     written NUL-terminated (s->submitter_len excludes the NUL).  vkey_buf
 *     is caller-owned, vkey_cap bytes (PT_MAX_VKEY + 1 always suffices), and
 *     must outlive s;
 *   s->sig = Ed25519(k, wire_sign_message(origin, record)), or for an
 *     office_key record Ed25519(k, wire_registrar_message(origin, record)).
 * Errors: record_check's, PT_EINVAL (bad origin, key not Ed25519),
 * PT_ETOOBIG (vkey_cap too small), PT_ENOMEM, PT_ECRYPTO.  On error *s is
 * zeroed.  O(record_len).
 */
int wire_submission_sign(const struct note_skey *k, const char *origin,
    const uint8_t *record, size_t record_len, struct wire_submission *s,
    char *vkey_buf, size_t vkey_cap);
/* The same, signing with sg, a signer kept for k's seed (cr_signer_new):
 * half the CPU per signature when many are made (pubtrail submit).  sg
 * NULL: as wire_submission_sign. */
struct cr_signer;
int wire_submission_sign_kept(const struct note_skey *k, struct cr_signer *sg,
    const char *origin, const uint8_t *record, size_t record_len,
    struct wire_submission *s, char *vkey_buf, size_t vkey_cap);
/* 0 when s->sig is s->submitter's Ed25519 signature of
 * wire_sign_message(origin, s->record) (wire_registrar_message for an
 * office_key record: s->info.type decides); PT_ESIG otherwise (also for a bad
 * origin or a non-Ed25519 key), PT_ENOMEM.  Allocates one message buffer,
 * freed before returning.  O(record_len). */
int wire_submission_verify(const struct wire_submission *s,
    const char *origin);

/* 32-byte submitter id: SHA-256 of the verifier key string (exactly the
 * len bytes sent, 1..PT_MAX_VKEY).  Used as the key of (submitter, id)
 * lookups; shown as lower-case hex.  0, PT_EINVAL, PT_ECRYPTO. */
int wire_submitter_id(const char *vkey, size_t len, uint8_t out[32]);

/*
 * Entry (the leaf; what /tile/entries serves and the leaf hash covers):
 *   { "record": <map>, "sig": bin(64), "submitter": str, "time": uint }
 * time: the log's integration time, milliseconds since the Unix epoch.
 * Encode appends to out: 0, PT_EINVAL (as wire_submission_encode),
 * PT_ETOOBIG (over PT_MAX_ENTRY), PT_ENOMEM.  Decode: as
 * wire_submission_decode, with len <= PT_MAX_ENTRY and "time" required;
 * out->sub points into buf.  O(len), decode allocates nothing.
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
 * checkpoint note with any cosignatures) for that entry.  entry is
 * 1..PT_MAX_ENTRY bytes, proof 1..WIRE_MAX_TPROOF bytes of UTF-8, index <
 * PT_MAX_TREE_SIZE.  Neither the entry nor the proof text is parsed here
 * (wire_entry_decode, tproof_parse).  Encode: 0, PT_EINVAL, PT_ENOMEM.
 * Decode: canonical-form errors, PT_EUNKNOWNKEY, PT_ESCHEMA, PT_ETYPE,
 * PT_ERANGE (index); pointers into buf; O(len), no allocation.
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
 * Lookup answer (GET /lookup):
 *   { "entry": bin, "index": uint }
 * entry is 1..PT_MAX_ENTRY bytes (not parsed here), index <
 * PT_MAX_TREE_SIZE.  Appends to out: 0, PT_EINVAL, PT_ENOMEM.  O(len).
 */
int wire_lookup_encode(const uint8_t *entry, size_t entry_len,
    uint64_t index, struct wire_buf *out);

/*
 * Proof answers (GET /proof/...):
 *   inclusion:   { "index": uint, "proof": [bin(32)...], "size": uint }
 *   consistency: { "new": uint, "old": uint, "proof": [bin(32)...] }
 * At most PT_MAX_PROOF hashes; index < size <= PT_MAX_TREE_SIZE; old <= new
 * <= PT_MAX_TREE_SIZE.  Encode: 0, PT_EINVAL (arguments outside those
 * bounds), PT_ENOMEM.  Decode copies up to max hashes to proof and their
 * number to *n: canonical-form errors, PT_EUNKNOWNKEY, PT_ESCHEMA (missing
 * key, hash not 32 bytes), PT_ETYPE, PT_ERANGE, PT_ETOOBIG (more than max).
 * The proof is not verified here (mt_verify_*).  O(len), no allocation.
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
