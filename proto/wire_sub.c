/*
 * wire_sub.c: what an office sends (docs/PROTOCOL.md sections 5 and 7): the
 * messages an office or a registrar signs, submissions (signed, verified,
 * decoded, encoded) and the entries the log makes of them.
 *
 * Decoders check the whole message with wire_check_canonical() first, then
 * read its fields by name (wire_msg_fields) through a cursor into the
 * caller's buffer: nothing is allocated while decoding.
 */
#include <stdint.h>
#include <string.h>

#include "crypto.h"
#include "record.h"
#include "wire.h"
#include "wire_int.h"

/* ------------------------------------------------------------ submissions */

#define SIGN_DOMAIN "pubtrail/submission/v1\n"
#define REGISTRAR_DOMAIN "pubtrail/office-key/v1\n"

static int
origin_check(const char *origin, size_t *len)
{
	size_t n;

	if (origin == NULL)
		return PT_EINVAL;
	n = strlen(origin);
	if (n == 0 || n > PT_MAX_ORIGIN)
		return PT_EINVAL;
	if (wire_utf8_valid((const uint8_t *)origin, n) != 0)
		return PT_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)origin[i] < 0x20 || origin[i] == 0x7f)
			return PT_EINVAL;
	*len = n;
	return 0;
}

/* domain || origin || "\n" || record, appended to out. */
static int
domain_message(const char *domain, const char *origin,
    const uint8_t *record, size_t record_len, struct wire_buf *out)
{
	size_t olen;
	int r;

	if ((r = origin_check(origin, &olen)) != 0)
		return r;
	if (record == NULL || record_len == 0 || record_len > PT_MAX_RECORD)
		return PT_EINVAL;
	if ((r = wire_buf_append(out, domain, strlen(domain))) != 0 ||
	    (r = wire_buf_append(out, origin, olen)) != 0 ||
	    (r = wire_buf_append(out, "\n", 1)) != 0 ||
	    (r = wire_buf_append(out, record, record_len)) != 0)
		return r;
	return 0;
}

int
wire_sign_message(const char *origin, const uint8_t *record,
    size_t record_len, struct wire_buf *out)
{
	return domain_message(SIGN_DOMAIN, origin, record, record_len, out);
}

int
wire_registrar_message(const char *origin, const uint8_t *record,
    size_t record_len, struct wire_buf *out)
{
	return domain_message(REGISTRAR_DOMAIN, origin, record, record_len,
	    out);
}

/* The message whose signature a submission of a record of type t
 * carries: the registrar's for office_key records, else the office's. */
static int
message_for(enum record_type t, const char *origin, const uint8_t *record,
    size_t record_len, struct wire_buf *out)
{
	return t == RECORD_OFFICE_KEY ?
	    wire_registrar_message(origin, record, record_len, out) :
	    wire_sign_message(origin, record, record_len, out);
}

int
wire_submitter_id(const char *vkey, size_t len, uint8_t out[32])
{
	if (vkey == NULL || len == 0 || len > PT_MAX_VKEY)
		return PT_EINVAL;
	return cr_sha256(vkey, len, NULL, 0, NULL, 0, out);
}

int
wire_submission_sign(const struct note_skey *k, const char *origin,
    const uint8_t *record, size_t record_len, struct wire_submission *s,
    char *vkey_buf, size_t vkey_cap)
{
	return wire_submission_sign_kept(k, NULL, origin, record, record_len,
	    s, vkey_buf, vkey_cap);
}

int
wire_submission_sign_kept(const struct note_skey *k, struct cr_signer *sg,
    const char *origin, const uint8_t *record, size_t record_len,
    struct wire_submission *s, char *vkey_buf, size_t vkey_cap)
{
	struct wire_buf msg;
	size_t olen;
	int r;

	memset(s, 0, sizeof(*s));
	if (k == NULL || vkey_buf == NULL || k->vk.alg != NOTE_ALG_ED25519 ||
	    origin_check(origin, &olen) != 0)
		return PT_EINVAL;
	if ((r = record_check(record, record_len, &s->info, NULL)) != 0)
		goto fail;
	if ((r = note_vkey_format(&k->vk, vkey_buf, vkey_cap)) != 0)
		goto fail;
	wire_buf_init(&msg);
	r = message_for(s->info.type, origin, record, record_len, &msg);
	if (r == 0)
		r = sg != NULL ? cr_signer_sign(sg, msg.data, msg.len, s->sig) :
		    cr_ed25519_sign(k->seed, msg.data, msg.len, s->sig);
	wire_buf_free(&msg);
	if (r != 0)
		goto fail;
	s->record = record;
	s->record_len = record_len;
	s->record_checked = 1;
	s->submitter = k->vk;
	s->submitter_str = vkey_buf;
	s->submitter_len = strlen(vkey_buf);
	return 0;
fail:
	memset(s, 0, sizeof(*s));
	return r;
}

int
wire_submission_verify(const struct wire_submission *s, const char *origin)
{
	struct record_info info;
	struct wire_buf msg;
	int r;

	if (s == NULL || s->submitter.alg != NOTE_ALG_ED25519)
		return PT_ESIG;
	wire_buf_init(&msg);
	/* The type picks the domain: take it from the record itself when
	 * nobody checked it (s->info would be empty). */
	if (!s->record_checked && record_check(s->record, s->record_len,
	    &info, NULL) != 0)
		return PT_ESIG;
	if ((r = message_for(s->record_checked ? s->info.type : info.type,
	    origin, s->record, s->record_len, &msg)) != 0) {
		wire_buf_free(&msg);
		return r == PT_ENOMEM ? r : PT_ESIG;
	}
	r = cr_ed25519_verify(s->submitter.pub, msg.data, msg.len, s->sig);
	wire_buf_free(&msg);
	return r == 0 ? 0 : PT_ESIG;
}

static int
dec_submitter(struct wire_cur *v, struct wire_submission *out,
    struct pt_why *why)
{
	const char *s;
	size_t len;
	int r;

	if ((r = wire_field_str(v, "submitter", &s, &len, why)) != 0)
		return r;
	if (len == 0 || len > PT_MAX_VKEY)
		return pt_why_set(why, PT_ETOOBIG,
		    "submitter: %zu bytes, want 1..%d", len, PT_MAX_VKEY);
	if ((r = note_vkey_parse(s, len, &out->submitter)) != 0)
		return pt_why_set(why, r, "submitter: not a valid verifier "
		    "key string (%s)", pt_strerror(r));
	if (out->submitter.alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_ESCHEMA,
		    "submitter: key algorithm 0x%02x, want 0x01 (Ed25519)",
		    out->submitter.alg);
	out->submitter_str = s;
	out->submitter_len = len;
	return 0;
}

/* Fields of a submission (names sorted) and, with "time", of an entry. */
static const char *const sub_names[] = { "record", "sig", "submitter" };
static const char *const ent_names[] = { "record", "sig", "submitter", "time" };

static int
dec_sub_fields(struct wire_cur *vals, struct wire_submission *out,
    struct pt_why *why)
{
	const uint8_t *p;
	size_t len;
	int r;

	if ((r = wire_cur_skip(&vals[0], &out->record, &out->record_len)) != 0)
		return pt_why_set(why, r, "record: bad value");
	if ((r = record_check(out->record, out->record_len, &out->info, why))
	    != 0)
		return r;
	out->record_checked = 1;
	if ((r = wire_field_bin(&vals[1], "sig", 64, &p, &len, why)) != 0)
		return r;
	memcpy(out->sig, p, 64);
	return dec_submitter(&vals[2], out, why);
}

int
wire_submission_decode(const uint8_t *buf, size_t len,
    struct wire_submission *out, struct pt_why *why)
{
	struct wire_cur c, vals[3];
	int r;

	memset(out, 0, sizeof(*out));
	if (len > PT_MAX_SUBMISSION)
		return pt_why_set(why, PT_ETOOBIG,
		    "submission of %zu bytes is over the limit of %d", len,
		    PT_MAX_SUBMISSION);
	if ((r = wire_check_canonical(buf, len, why)) != 0)
		return r;
	wire_cur_init(&c, buf, len);
	if ((r = wire_msg_fields(&c, sub_names, 3, vals, why)) != 0 ||
	    (r = dec_sub_fields(vals, out, why)) != 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	return 0;
}

static int
enc_sub_fields(const struct wire_submission *s, struct wire_buf *out)
{
	int r;

	/* The record walk is most of an encode's cost: skipped when the
	 * record was checked already (the sequencer encodes every entry). */
	if ((!s->record_checked &&
	    wire_check_canonical(s->record, s->record_len, NULL) != 0) ||
	    s->record_len > PT_MAX_RECORD || s->submitter_str == NULL ||
	    s->submitter_len == 0 || s->submitter_len > PT_MAX_VKEY)
		return PT_EINVAL;
	if ((r = wire_enc_cstr(out, "record")) != 0 ||
	    (r = wire_enc_raw(out, s->record, s->record_len)) != 0 ||
	    (r = wire_enc_cstr(out, "sig")) != 0 ||
	    (r = wire_enc_bin(out, s->sig, 64)) != 0 ||
	    (r = wire_enc_cstr(out, "submitter")) != 0 ||
	    (r = wire_enc_str(out, s->submitter_str, s->submitter_len)) != 0)
		return r;
	return 0;
}

int
wire_submission_encode(const struct wire_submission *s, struct wire_buf *out)
{
	int r;

	if ((r = wire_enc_map(out, 3)) != 0)
		return r;
	return enc_sub_fields(s, out);
}

/* ---------------------------------------------------------------- entries */

int
wire_entry_encode(const struct wire_submission *s, uint64_t time_ms,
    struct wire_buf *out)
{
	size_t start = out->len;
	int r;

	if ((r = wire_enc_map(out, 4)) != 0 ||
	    (r = enc_sub_fields(s, out)) != 0 ||
	    (r = wire_enc_cstr(out, "time")) != 0 ||
	    (r = wire_enc_uint(out, time_ms)) != 0)
		return r;
	if (out->len - start > PT_MAX_ENTRY)
		return PT_ETOOBIG;
	return 0;
}

int
wire_entry_decode(const uint8_t *buf, size_t len, struct wire_entry *out,
    struct pt_why *why)
{
	struct wire_cur c, vals[4];
	int r;

	memset(out, 0, sizeof(*out));
	if (len > PT_MAX_ENTRY)
		return pt_why_set(why, PT_ETOOBIG,
		    "entry of %zu bytes is over the limit of %d", len,
		    PT_MAX_ENTRY);
	if ((r = wire_check_canonical(buf, len, why)) != 0)
		return r;
	wire_cur_init(&c, buf, len);
	if ((r = wire_msg_fields(&c, ent_names, 4, vals, why)) != 0 ||
	    (r = dec_sub_fields(vals, &out->sub, why)) != 0 ||
	    (r = wire_field_uint(&vals[3], "time", &out->time_ms, why)) != 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	return 0;
}
