/*
 * wire_answer.c: what the log answers (docs/PROTOCOL.md section 7, and
 * docs/API.md for batches): receipts, lookup answers, inclusion and
 * consistency proof answers, and the batch envelope of POST /add (the
 * request's array cut into its submissions, one result per item).
 *
 * Decoders check the whole message first (wire_check_canonical, or the
 * receipt's own limits), then read its fields by name through a cursor into
 * the caller's buffer: nothing is allocated while decoding.
 */
#include <stdint.h>
#include <string.h>

#include "mt.h"
#include "wire.h"
#include "wire_int.h"

/* --------------------------------------------------------------- receipts */

static const struct wire_limits receipt_limits = {
	WIRE_MAX_TPROOF, PT_MAX_ENTRY, PT_MAX_MAP_KEYS, PT_MAX_ARRAY
};
static const char *const rcpt_names[] = { "entry", "index", "proof" };

int
wire_receipt_encode(const struct wire_receipt *r, struct wire_buf *out)
{
	int e;

	if (r->entry == NULL || r->entry_len == 0 ||
	    r->entry_len > PT_MAX_ENTRY || r->proof == NULL ||
	    r->proof_len == 0 || r->proof_len > WIRE_MAX_TPROOF ||
	    r->index >= PT_MAX_TREE_SIZE ||
	    wire_utf8_valid((const uint8_t *)r->proof, r->proof_len) != 0)
		return PT_EINVAL;
	if ((e = wire_enc_map(out, 3)) != 0 ||
	    (e = wire_enc_cstr(out, "entry")) != 0 ||
	    (e = wire_enc_bin(out, r->entry, r->entry_len)) != 0 ||
	    (e = wire_enc_cstr(out, "index")) != 0 ||
	    (e = wire_enc_uint(out, r->index)) != 0 ||
	    (e = wire_enc_cstr(out, "proof")) != 0 ||
	    (e = wire_enc_str(out, r->proof, r->proof_len)) != 0)
		return e;
	return 0;
}

int
wire_lookup_encode(const uint8_t *entry, size_t entry_len, uint64_t index,
    struct wire_buf *out)
{
	int e;

	if (entry == NULL || entry_len == 0 || entry_len > PT_MAX_ENTRY ||
	    index >= PT_MAX_TREE_SIZE)
		return PT_EINVAL;
	if ((e = wire_enc_map(out, 2)) != 0 ||
	    (e = wire_enc_cstr(out, "entry")) != 0 ||
	    (e = wire_enc_bin(out, entry, entry_len)) != 0 ||
	    (e = wire_enc_cstr(out, "index")) != 0 ||
	    (e = wire_enc_uint(out, index)) != 0)
		return e;
	return 0;
}

int
wire_receipt_decode(const uint8_t *buf, size_t len,
    struct wire_receipt *out, struct pt_why *why)
{
	struct wire_cur c, vals[3];
	int r;

	memset(out, 0, sizeof(*out));
	if (len > WIRE_MAX_RECEIPT)
		return pt_why_set(why, PT_ETOOBIG,
		    "receipt of %zu bytes is over the limit of %d", len,
		    WIRE_MAX_RECEIPT);
	if ((r = wire_walk(buf, len, &receipt_limits, why)) != 0)
		return r;
	wire_cur_init(&c, buf, len);
	if ((r = wire_msg_fields(&c, rcpt_names, 3, vals, why)) != 0 ||
	    (r = wire_field_bin(&vals[0], "entry", 0, &out->entry,
	    &out->entry_len, why)) != 0 ||
	    (r = wire_field_uint(&vals[1], "index", &out->index, why)) != 0 ||
	    (r = wire_field_str(&vals[2], "proof", &out->proof, &out->proof_len,
	    why)) != 0)
		goto fail;
	if (out->entry_len == 0) {
		r = pt_why_set(why, PT_ESCHEMA, "entry: empty");
		goto fail;
	}
	if (out->proof_len == 0) {
		r = pt_why_set(why, PT_ESCHEMA, "proof: empty");
		goto fail;
	}
	if (out->index >= PT_MAX_TREE_SIZE) {
		r = pt_why_set(why, PT_ERANGE, "index: %llu is out of range",
		    (unsigned long long)out->index);
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}

/* ----------------------------------------------------------------- proofs */

static int
enc_hashes(struct wire_buf *out, const struct mt_hash *proof, size_t n)
{
	int r;

	if ((r = wire_enc_array(out, n)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = wire_enc_bin(out, proof[i].b, MT_HASH_SIZE)) != 0)
			return r;
	return 0;
}

static int
dec_hashes(struct wire_cur *v, struct mt_hash *proof, size_t max, size_t *n,
    struct pt_why *why)
{
	const uint8_t *p;
	size_t cnt, len;
	int r;

	if (wire_cur_array(v, &cnt) != 0)
		return pt_why_set(why, PT_ETYPE, "proof: want array");
	if (cnt > PT_MAX_PROOF || cnt > max)
		return pt_why_set(why, PT_ETOOBIG,
		    "proof: %zu hashes, room for %zu", cnt,
		    max < PT_MAX_PROOF ? max : (size_t)PT_MAX_PROOF);
	for (size_t i = 0; i < cnt; i++) {
		if ((r = wire_field_bin(v, "proof[]", MT_HASH_SIZE, &p, &len, why))
		    != 0)
			return r;
		memcpy(proof[i].b, p, MT_HASH_SIZE);
	}
	*n = cnt;
	return 0;
}

static const char *const incl_names[] = { "index", "proof", "size" };
static const char *const cons_names[] = { "new", "old", "proof" };

int
wire_inclusion_encode(uint64_t index, uint64_t size,
    const struct mt_hash *proof, size_t n, struct wire_buf *out)
{
	int r;

	if (index >= size || size > PT_MAX_TREE_SIZE || n > PT_MAX_PROOF ||
	    (n > 0 && proof == NULL))
		return PT_EINVAL;
	if ((r = wire_enc_map(out, 3)) != 0 ||
	    (r = wire_enc_cstr(out, "index")) != 0 ||
	    (r = wire_enc_uint(out, index)) != 0 ||
	    (r = wire_enc_cstr(out, "proof")) != 0 ||
	    (r = enc_hashes(out, proof, n)) != 0 ||
	    (r = wire_enc_cstr(out, "size")) != 0 ||
	    (r = wire_enc_uint(out, size)) != 0)
		return r;
	return 0;
}

int
wire_inclusion_decode(const uint8_t *buf, size_t len, uint64_t *index,
    uint64_t *size, struct mt_hash *proof, size_t max, size_t *n,
    struct pt_why *why)
{
	struct wire_cur c, vals[3];
	int r;

	*n = 0;
	if (len > WIRE_MAX_PROOF_MSG)
		return pt_why_set(why, PT_ETOOBIG,
		    "proof answer of %zu bytes is over the limit", len);
	if ((r = wire_check_canonical(buf, len, why)) != 0)
		return r;
	wire_cur_init(&c, buf, len);
	if ((r = wire_msg_fields(&c, incl_names, 3, vals, why)) != 0 ||
	    (r = wire_field_uint(&vals[0], "index", index, why)) != 0 ||
	    (r = wire_field_uint(&vals[2], "size", size, why)) != 0)
		return r;
	if (*size > PT_MAX_TREE_SIZE || *index >= *size)
		return pt_why_set(why, PT_ERANGE,
		    "index %llu / size %llu out of range",
		    (unsigned long long)*index, (unsigned long long)*size);
	return dec_hashes(&vals[1], proof, max, n, why);
}

int
wire_consistency_encode(uint64_t old, uint64_t new_size,
    const struct mt_hash *proof, size_t n, struct wire_buf *out)
{
	int r;

	if (old > new_size || new_size > PT_MAX_TREE_SIZE ||
	    n > PT_MAX_PROOF || (n > 0 && proof == NULL))
		return PT_EINVAL;
	if ((r = wire_enc_map(out, 3)) != 0 ||
	    (r = wire_enc_cstr(out, "new")) != 0 ||
	    (r = wire_enc_uint(out, new_size)) != 0 ||
	    (r = wire_enc_cstr(out, "old")) != 0 ||
	    (r = wire_enc_uint(out, old)) != 0 ||
	    (r = wire_enc_cstr(out, "proof")) != 0 ||
	    (r = enc_hashes(out, proof, n)) != 0)
		return r;
	return 0;
}

int
wire_consistency_decode(const uint8_t *buf, size_t len, uint64_t *old,
    uint64_t *new_size, struct mt_hash *proof, size_t max, size_t *n,
    struct pt_why *why)
{
	struct wire_cur c, vals[3];
	int r;

	*n = 0;
	if (len > WIRE_MAX_PROOF_MSG)
		return pt_why_set(why, PT_ETOOBIG,
		    "proof answer of %zu bytes is over the limit", len);
	if ((r = wire_check_canonical(buf, len, why)) != 0)
		return r;
	wire_cur_init(&c, buf, len);
	if ((r = wire_msg_fields(&c, cons_names, 3, vals, why)) != 0 ||
	    (r = wire_field_uint(&vals[0], "new", new_size, why)) != 0 ||
	    (r = wire_field_uint(&vals[1], "old", old, why)) != 0)
		return r;
	if (*new_size > PT_MAX_TREE_SIZE || *old > *new_size)
		return pt_why_set(why, PT_ERANGE,
		    "old %llu / new %llu out of range",
		    (unsigned long long)*old, (unsigned long long)*new_size);
	return dec_hashes(&vals[2], proof, max, n, why);
}

/* ------------------------------------------------------------- batches */

int
wire_batch_is(const uint8_t *buf, size_t len)
{
	return len > 0 && ((buf[0] & 0xf0) == 0x90 || buf[0] == 0xdc ||
	    buf[0] == 0xdd);
}

int
wire_batch_split(const uint8_t *buf, size_t len, size_t max,
    struct wire_span *items, size_t *n, struct pt_why *why)
{
	struct wire_cur c;
	size_t count, hlen;

	*n = 0;
	wire_cur_init(&c, buf, len);
	if (!wire_batch_is(buf, len) || wire_cur_array(&c, &count) != 0)
		return pt_why_set(why, PT_EMALFORMED, "a batch is a msgpack "
		    "array of submissions");
	hlen = (size_t)(c.p - buf);
	if (hlen != (count < 16 ? 1u : count < 65536 ? 3u : 5u))
		return pt_why_set(why, PT_ENONCANON, "array header not in its "
		    "shortest form");
	if (count == 0)
		return pt_why_set(why, PT_EMALFORMED, "an empty batch");
	if (count > max)
		return pt_why_set(why, PT_ETOOBIG, "a batch of %zu submissions: "
		    "at most %zu", count, max);
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p;
		size_t l;

		if (wire_cur_skip(&c, &p, &l) != 0)
			return pt_why_set(why, PT_EMALFORMED, "item %zu: cannot "
			    "find its end", i);
		items[i].p = p;
		items[i].len = l;
	}
	if (c.p != c.end)
		return pt_why_set(why, PT_ETRAILING, "bytes after the batch");
	*n = count;
	return 0;
}

int
wire_batch_result_encode(struct wire_buf *out, unsigned status,
    const uint8_t *receipt, size_t receipt_len, const char *error)
{
	int r;

	if ((r = wire_enc_map(out, 2)) != 0)
		return r;
	if (status == 200) {
		if ((r = wire_enc_cstr(out, "receipt")) != 0 ||
		    (r = wire_enc_bin(out, receipt, receipt_len)) != 0)
			return r;
	} else {
		size_t el = error != NULL ? strlen(error) : 0;

		if (el > 1024)
			el = 1024;
		if ((r = wire_enc_cstr(out, "error")) != 0 ||
		    (r = wire_enc_str(out, error != NULL ? error : "", el)) != 0)
			return r;
	}
	if ((r = wire_enc_cstr(out, "status")) != 0 ||
	    (r = wire_enc_uint(out, status)) != 0)
		return r;
	return 0;
}

static int
key_is(struct wire_cur *c, const char *want)
{
	const char *k;
	size_t kl;

	return wire_cur_str(c, &k, &kl) == 0 && kl == strlen(want) &&
	    memcmp(k, want, kl) == 0;
}

int
wire_batch_answer_decode(const uint8_t *buf, size_t len, size_t n,
    struct wire_batch_result *res, struct pt_why *why)
{
	struct wire_cur c;
	size_t count;

	wire_cur_init(&c, buf, len);
	if (wire_cur_array(&c, &count) != 0 || count != n)
		return pt_why_set(why, PT_EMALFORMED, "want an array of %zu "
		    "results", n);
	for (size_t i = 0; i < n; i++) {
		struct wire_batch_result *r = &res[i];
		size_t np;
		uint64_t st;

		memset(r, 0, sizeof(*r));
		if (wire_cur_map(&c, &np) != 0 || np != 2)
			return pt_why_set(why, PT_EMALFORMED, "result %zu: want a "
			    "map of two keys", i);
		{
			const char *k;
			size_t kl;

			if (wire_cur_str(&c, &k, &kl) != 0)
				return pt_why_set(why, PT_EMALFORMED, "result %zu: "
				    "want a key", i);
			if (kl == 5 && memcmp(k, "error", 5) == 0) {
				if (wire_cur_str(&c, &r->error, &r->error_len) !=
				    0 || r->error_len > 1024)
					return pt_why_set(why, PT_EMALFORMED,
					    "result %zu: bad error", i);
			} else if (kl == 7 && memcmp(k, "receipt", 7) == 0) {
				if (wire_cur_bin(&c, &r->receipt,
				    &r->receipt_len) != 0 ||
				    r->receipt_len == 0 ||
				    r->receipt_len > WIRE_MAX_RECEIPT)
					return pt_why_set(why, PT_EMALFORMED,
					    "result %zu: bad receipt", i);
			} else
				return pt_why_set(why, PT_EMALFORMED, "result "
				    "%zu: want error or receipt", i);
		}
		if (!key_is(&c, "status") || wire_cur_uint(&c, &st) != 0 ||
		    st < 100 || st > 599 || (st == 200) != (r->receipt != NULL))
			return pt_why_set(why, PT_EMALFORMED, "result %zu: bad "
			    "status", i);
		r->status = (unsigned)st;
	}
	if (c.p != c.end)
		return pt_why_set(why, PT_ETRAILING, "bytes after the results");
	return 0;
}
