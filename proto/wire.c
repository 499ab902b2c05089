/*
 * wire.c: canonical msgpack (docs/PROTOCOL.md sections 5 and 7).
 *
 * Decoding never uses msgpack-c's unpacker.  wire_check_canonical() walks the
 * raw bytes header by header with a fixed stack of PT_MAX_DEPTH frames and
 * checks, before looking at anything a header announces: the header is the
 * shortest one for its length or value; the declared length or count is
 * within its named limit; the bytes that remain can hold it.  Strings are
 * checked as UTF-8 and map keys as strictly ascending strings.  Only then do
 * the message decoders read the same bytes again through a bounds-checked
 * cursor (struct wire_cur) that points into the buffer: nothing is allocated
 * while decoding, whatever a header claims.
 *
 * Encoding uses msgpack-c's packer, which already emits the shortest header
 * for every length and integer; map keys are written in sorted order by hand.
 *
 * This file is the msgpack layer; the messages built on it are in
 * wire_sub.c (submissions, entries) and wire_answer.c (receipts, proofs,
 * batches), which share the functions declared in wire_int.h.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "wire.h"
#include "wire_int.h"

/* ---------------------------------------------------------------- buffers */

void
wire_buf_init(struct wire_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
wire_buf_free(struct wire_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	wire_buf_init(b);
}

int
wire_buf_append(struct wire_buf *b, const void *data, size_t len)
{
	size_t ncap;
	uint8_t *n;

	if (len == 0)
		return 0;
	if (len > SIZE_MAX / 2 - b->len)
		return PT_ENOMEM;
	if (b->len + len > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + len)
			ncap *= 2;
		if ((n = realloc(b->data, ncap)) == NULL)
			return PT_ENOMEM;
		b->data = n;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

/* ---------------------------------------------------------------- encoder */

static int
pk_write(void *data, const char *buf, size_t len)
{
	return wire_buf_append(data, buf, len) == 0 ? 0 : -1;
}

#define PK(b, call) do {						\
	msgpack_packer pk_;						\
	msgpack_packer_init(&pk_, (b), pk_write);			\
	return (call) == 0 ? 0 : PT_ENOMEM;				\
} while (0)

int
wire_enc_map(struct wire_buf *b, size_t npairs)
{
	PK(b, msgpack_pack_map(&pk_, npairs));
}

int
wire_enc_array(struct wire_buf *b, size_t n)
{
	PK(b, msgpack_pack_array(&pk_, n));
}

int
wire_enc_str(struct wire_buf *b, const char *s, size_t len)
{
	PK(b, msgpack_pack_str_with_body(&pk_, s, len));
}

int
wire_enc_cstr(struct wire_buf *b, const char *s)
{
	return wire_enc_str(b, s, strlen(s));
}

int
wire_enc_bin(struct wire_buf *b, const void *p, size_t len)
{
	PK(b, msgpack_pack_bin_with_body(&pk_, p, len));
}

int
wire_enc_uint(struct wire_buf *b, uint64_t v)
{
	PK(b, msgpack_pack_uint64(&pk_, v));
}

int
wire_enc_int(struct wire_buf *b, int64_t v)
{
	PK(b, msgpack_pack_int64(&pk_, v));
}

int
wire_enc_raw(struct wire_buf *b, const uint8_t *p, size_t len)
{
	return wire_buf_append(b, p, len);
}

/* ------------------------------------------------------- header reading */

enum hkind {
	H_UINT, H_NINT, H_STR, H_BIN, H_ARRAY, H_MAP,
	H_NIL, H_BOOL, H_FLOAT, H_EXT, H_NEVER
};

struct hdr {
	enum hkind kind;
	size_t hlen;		/* header bytes */
	uint64_t n;		/* uint value, or length / count */
	int64_t i;		/* nint value */
};

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Read the header at p (avail bytes available).  Fills *h.  Checks that the
 * header bytes are present (PT_ETRUNCATED) and that it is the shortest
 * encoding (PT_ENONCANON).  Does not check payload lengths.
 */
static int
hdr_read(const uint8_t *p, size_t avail, struct hdr *h, struct pt_why *why)
{
	uint8_t b;
	size_t extra = 0;
	uint64_t v;

	if (avail == 0)
		return pt_why_set(why, PT_ETRUNCATED, "input ends before a value");
	b = p[0];
	h->hlen = 1;
	h->n = 0;
	h->i = 0;
	if (b <= 0x7f) {
		h->kind = H_UINT;
		h->n = b;
		return 0;
	}
	if (b >= 0xe0) {
		h->kind = H_NINT;
		h->i = (int8_t)b;
		return 0;
	}
	if (b <= 0x8f) {
		h->kind = H_MAP;
		h->n = b & 0x0f;
		return 0;
	}
	if (b <= 0x9f) {
		h->kind = H_ARRAY;
		h->n = b & 0x0f;
		return 0;
	}
	if (b <= 0xbf) {
		h->kind = H_STR;
		h->n = b & 0x1f;
		return 0;
	}
	switch (b) {
	case 0xc0:
		h->kind = H_NIL;
		return 0;
	case 0xc1:
		h->kind = H_NEVER;
		return 0;
	case 0xc2: case 0xc3:
		h->kind = H_BOOL;
		return 0;
	case 0xc4: h->kind = H_BIN; extra = 1; break;
	case 0xc5: h->kind = H_BIN; extra = 2; break;
	case 0xc6: h->kind = H_BIN; extra = 4; break;
	case 0xc7: case 0xc8: case 0xc9:
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		h->kind = H_EXT;
		return 0;
	case 0xca: case 0xcb:
		h->kind = H_FLOAT;
		return 0;
	case 0xcc: h->kind = H_UINT; extra = 1; break;
	case 0xcd: h->kind = H_UINT; extra = 2; break;
	case 0xce: h->kind = H_UINT; extra = 4; break;
	case 0xcf: h->kind = H_UINT; extra = 8; break;
	case 0xd0: h->kind = H_NINT; extra = 1; break;
	case 0xd1: h->kind = H_NINT; extra = 2; break;
	case 0xd2: h->kind = H_NINT; extra = 4; break;
	case 0xd3: h->kind = H_NINT; extra = 8; break;
	case 0xd9: h->kind = H_STR; extra = 1; break;
	case 0xda: h->kind = H_STR; extra = 2; break;
	case 0xdb: h->kind = H_STR; extra = 4; break;
	case 0xdc: h->kind = H_ARRAY; extra = 2; break;
	case 0xdd: h->kind = H_ARRAY; extra = 4; break;
	case 0xde: h->kind = H_MAP; extra = 2; break;
	case 0xdf: h->kind = H_MAP; extra = 4; break;
	default:
		h->kind = H_NEVER;
		return 0;
	}
	if (avail - 1 < extra)
		return pt_why_set(why, PT_ETRUNCATED,
		    "input ends inside a header (0x%02x)", b);
	h->hlen = 1 + extra;
	v = be(p + 1, extra);
	if (h->kind == H_NINT) {
		/* Sign-extend from extra bytes. */
		int64_t sv;
		if (extra == 8)
			sv = (int64_t)v;
		else if (v & (1ULL << (extra * 8 - 1)))
			sv = (int64_t)(v | ~((1ULL << (extra * 8)) - 1));
		else
			sv = (int64_t)v;
		if (sv >= 0)
			return pt_why_set(why, PT_ENONCANON,
			    "non-negative integer %lld encoded as signed "
			    "(0x%02x)", (long long)sv, b);
		if ((extra == 1 && sv >= -32) ||
		    (extra == 2 && sv >= INT8_MIN) ||
		    (extra == 4 && sv >= INT16_MIN) ||
		    (extra == 8 && sv >= INT32_MIN))
			return pt_why_set(why, PT_ENONCANON,
			    "integer %lld not in its shortest encoding "
			    "(0x%02x)", (long long)sv, b);
		h->i = sv;
		return 0;
	}
	h->n = v;
	switch (b) {
	case 0xcc:
		if (v < 0x80)
			goto noncanon;
		break;
	case 0xcd: case 0xc5: case 0xda:
		if (v < 0x100)
			goto noncanon;
		break;
	case 0xce: case 0xc6: case 0xdd: case 0xdf:
		if (v < 0x10000)
			goto noncanon;
		break;
	case 0xcf:
		if (v < 0x100000000ULL)
			goto noncanon;
		break;
	case 0xd9:
		if (v < 32)
			goto noncanon;
		break;
	case 0xdb:
		if (v < 0x10000)
			goto noncanon;
		break;
	case 0xdc: case 0xde:
		if (v < 16)
			goto noncanon;
		break;
	default:
		break;
	}
	return 0;
noncanon:
	return pt_why_set(why, PT_ENONCANON,
	    "value %llu not in its shortest encoding (0x%02x)",
	    (unsigned long long)v, b);
}

/* ------------------------------------------------------------------ UTF-8 */

/* 0 when p[0..len) is well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
int
wire_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else
			return -1;
		if (len - i - 1 < n)
			return -1;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += n + 1;
	}
	return 0;
}

/* --------------------------------------------------------------- walker */

static const struct wire_limits generic_limits = {
	PT_MAX_STRING, PT_MAX_BIN, PT_MAX_MAP_KEYS, PT_MAX_ARRAY
};

struct frame {
	uint64_t left;		/* items left; a map of n pairs has 2n */
	int is_map;
	const uint8_t *key;	/* previous key in this map, or NULL */
	size_t keylen;
};

static const char *
kind_name(enum hkind k)
{
	switch (k) {
	case H_NIL: return "nil";
	case H_BOOL: return "boolean";
	case H_FLOAT: return "float";
	case H_EXT: return "ext";
	default: return "reserved byte 0xc1";
	}
}

int
wire_walk(const uint8_t *buf, size_t len, const struct wire_limits *lim,
    struct pt_why *why)
{
	struct frame st[PT_MAX_DEPTH];
	size_t depth = 0;
	size_t off = 0;
	struct hdr h;
	int r, iskey;

	if (buf == NULL && len > 0)
		return pt_why_set(why, PT_EINVAL, "NULL buffer");
	do {
		iskey = depth > 0 && st[depth - 1].is_map &&
		    st[depth - 1].left % 2 == 0;
		if (depth > 0)
			st[depth - 1].left--;
		if ((r = hdr_read(buf + off, len - off, &h, why)) != 0)
			return r;
		if (h.kind == H_NEVER)
			return pt_why_set(why, PT_EMALFORMED,
			    "byte 0x%02x at offset %zu is never used",
			    buf[off], off);
		if (h.kind >= H_NIL)
			return pt_why_set(why, PT_ETYPE,
			    "%s at offset %zu is not allowed",
			    kind_name(h.kind), off);
		if (iskey && h.kind != H_STR)
			return pt_why_set(why, PT_ETYPE,
			    "map key at offset %zu is not a string", off);
		off += h.hlen;
		switch (h.kind) {
		case H_UINT:
		case H_NINT:
			break;
		case H_STR:
		case H_BIN:
			if (h.n > (h.kind == H_STR ? lim->max_str :
			    lim->max_bin))
				return pt_why_set(why, PT_ETOOBIG,
				    "%s of %llu bytes at offset %zu is over "
				    "the limit of %zu",
				    h.kind == H_STR ? "string" : "bin",
				    (unsigned long long)h.n, off - h.hlen,
				    h.kind == H_STR ? lim->max_str :
				    lim->max_bin);
			if (h.n > len - off)
				return pt_why_set(why, PT_ETRUNCATED,
				    "%s of %llu bytes at offset %zu: only "
				    "%zu bytes remain",
				    h.kind == H_STR ? "string" : "bin",
				    (unsigned long long)h.n, off - h.hlen,
				    len - off);
			if (h.kind == H_STR &&
			    wire_utf8_valid(buf + off, (size_t)h.n) != 0)
				return pt_why_set(why, PT_EUTF8,
				    "string at offset %zu is not valid UTF-8",
				    off - h.hlen);
			if (iskey) {
				struct frame *f = &st[depth - 1];
				if (f->key != NULL) {
					size_t m = f->keylen < h.n ?
					    f->keylen : (size_t)h.n;
					int c = memcmp(f->key, buf + off, m);
					if (c == 0 && f->keylen == h.n)
						return pt_why_set(why,
						    PT_EDUPKEY, "duplicate map "
						    "key \"%.*s\"", (int)
						    (m > 40 ? 40 : m),
						    (const char *)f->key);
					if (c > 0 || (c == 0 &&
					    f->keylen > h.n))
						return pt_why_set(why,
						    PT_ENONCANON, "map keys "
						    "not in ascending order at "
						    "offset %zu", off - h.hlen);
				}
				f->key = buf + off;
				f->keylen = (size_t)h.n;
			}
			off += (size_t)h.n;
			break;
		case H_ARRAY:
		case H_MAP:
			if (h.n > (h.kind == H_MAP ? lim->max_keys :
			    lim->max_array))
				return pt_why_set(why, PT_ETOOBIG,
				    "%s of %llu %s at offset %zu is over the "
				    "limit of %zu",
				    h.kind == H_MAP ? "map" : "array",
				    (unsigned long long)h.n,
				    h.kind == H_MAP ? "pairs" : "elements",
				    off - h.hlen, h.kind == H_MAP ?
				    lim->max_keys : lim->max_array);
			/* Every element needs at least one byte. */
			if (h.n * (h.kind == H_MAP ? 2 : 1) > len - off)
				return pt_why_set(why, PT_ETRUNCATED,
				    "%s at offset %zu declares %llu items; "
				    "only %zu bytes remain",
				    h.kind == H_MAP ? "map" : "array",
				    off - h.hlen, (unsigned long long)h.n,
				    len - off);
			if (depth == PT_MAX_DEPTH)
				return pt_why_set(why, PT_EDEPTH,
				    "containers nested deeper than %d at "
				    "offset %zu", PT_MAX_DEPTH, off - h.hlen);
			if (h.n > 0) {
				st[depth].left = h.n *
				    (h.kind == H_MAP ? 2 : 1);
				st[depth].is_map = h.kind == H_MAP;
				st[depth].key = NULL;
				st[depth].keylen = 0;
				depth++;
			}
			break;
		default:
			return pt_why_set(why, PT_EMALFORMED, "internal");
		}
		while (depth > 0 && st[depth - 1].left == 0)
			depth--;
	} while (depth > 0);
	if (off != len)
		return pt_why_set(why, PT_ETRAILING,
		    "%zu bytes after the value that ends at offset %zu",
		    len - off, off);
	return 0;
}

int
wire_check_canonical(const uint8_t *buf, size_t len, struct pt_why *why)
{
	return wire_walk(buf, len, &generic_limits, why);
}

/* ----------------------------------------------------------------- cursor */

void
wire_cur_init(struct wire_cur *c, const uint8_t *buf, size_t len)
{
	c->p = buf;
	c->end = buf + len;
}

static int
cur_hdr(const struct wire_cur *c, struct hdr *h)
{
	if (c->p == NULL || c->p >= c->end)
		return PT_ETRUNCATED;
	return hdr_read(c->p, (size_t)(c->end - c->p), h, NULL);
}

enum wire_kind
wire_cur_kind(const struct wire_cur *c)
{
	struct hdr h;

	if (cur_hdr(c, &h) != 0)
		return WIRE_K_NONE;
	switch (h.kind) {
	case H_UINT: return WIRE_K_UINT;
	case H_NINT: return WIRE_K_NINT;
	case H_STR: return WIRE_K_STR;
	case H_BIN: return WIRE_K_BIN;
	case H_ARRAY: return WIRE_K_ARRAY;
	case H_MAP: return WIRE_K_MAP;
	default: return WIRE_K_NONE;
	}
}

static int
cur_container(struct wire_cur *c, enum hkind want, size_t *n)
{
	struct hdr h;
	int r;

	if ((r = cur_hdr(c, &h)) != 0)
		return r;
	if (h.kind != want)
		return PT_ETYPE;
	if (h.n > (size_t)(c->end - c->p) - h.hlen)
		return PT_ETRUNCATED;
	c->p += h.hlen;
	*n = (size_t)h.n;
	return 0;
}

int
wire_cur_map(struct wire_cur *c, size_t *npairs)
{
	return cur_container(c, H_MAP, npairs);
}

int
wire_cur_array(struct wire_cur *c, size_t *n)
{
	return cur_container(c, H_ARRAY, n);
}

static int
cur_bytes(struct wire_cur *c, enum hkind want, const uint8_t **p, size_t *len)
{
	struct hdr h;
	int r;

	if ((r = cur_hdr(c, &h)) != 0)
		return r;
	if (h.kind != want)
		return PT_ETYPE;
	if (h.n > (size_t)(c->end - c->p) - h.hlen)
		return PT_ETRUNCATED;
	*p = c->p + h.hlen;
	*len = (size_t)h.n;
	c->p += h.hlen + (size_t)h.n;
	return 0;
}

int
wire_cur_str(struct wire_cur *c, const char **s, size_t *len)
{
	const uint8_t *p;
	int r;

	if ((r = cur_bytes(c, H_STR, &p, len)) == 0)
		*s = (const char *)p;
	return r;
}

int
wire_cur_bin(struct wire_cur *c, const uint8_t **p, size_t *len)
{
	return cur_bytes(c, H_BIN, p, len);
}

int
wire_cur_uint(struct wire_cur *c, uint64_t *v)
{
	struct hdr h;
	int r;

	if ((r = cur_hdr(c, &h)) != 0)
		return r;
	if (h.kind != H_UINT)
		return PT_ETYPE;
	*v = h.n;
	c->p += h.hlen;
	return 0;
}

int
wire_cur_int(struct wire_cur *c, int64_t *v)
{
	struct hdr h;
	int r;

	if ((r = cur_hdr(c, &h)) != 0)
		return r;
	if (h.kind == H_UINT) {
		if (h.n > INT64_MAX)
			return PT_ERANGE;
		*v = (int64_t)h.n;
	} else if (h.kind == H_NINT)
		*v = h.i;
	else
		return PT_ETYPE;
	c->p += h.hlen;
	return 0;
}

int
wire_cur_skip(struct wire_cur *c, const uint8_t **start, size_t *len)
{
	const uint8_t *p = c->p;
	uint64_t pending = 1;
	struct hdr h;
	int r;

	while (pending > 0) {
		if (p >= c->end)
			return PT_ETRUNCATED;
		if ((r = hdr_read(p, (size_t)(c->end - p), &h, NULL)) != 0)
			return r;
		pending--;
		switch (h.kind) {
		case H_UINT: case H_NINT:
			p += h.hlen;
			break;
		case H_STR: case H_BIN:
			if (h.n > (size_t)(c->end - p) - h.hlen)
				return PT_ETRUNCATED;
			p += h.hlen + (size_t)h.n;
			break;
		case H_ARRAY: case H_MAP:
			/* Each item needs a byte: bounds pending. */
			if (h.n > (size_t)(c->end - p))
				return PT_ETRUNCATED;
			pending += h.n * (h.kind == H_MAP ? 2 : 1);
			p += h.hlen;
			break;
		default:
			return PT_ETYPE;
		}
	}
	if (start != NULL)
		*start = c->p;
	if (len != NULL)
		*len = (size_t)(p - c->p);
	c->p = p;
	return 0;
}

/* ------------------------------------------------ message field tables */

/*
 * A message map is decoded against a table of its keys (in ascending
 * order, as they must appear): each value is found by its key's place in
 * the table; unknown keys are PT_EUNKNOWNKEY; missing keys PT_ESCHEMA.
 */
static int
why_key(struct pt_why *why, int err, const char *what, const char *k,
    size_t klen)
{
	char safe[41];
	size_t i, n = klen < 40 ? klen : 40;

	for (i = 0; i < n; i++)
		safe[i] = (k[i] >= 0x20 && k[i] < 0x7f) ? k[i] : '?';
	safe[n] = '\0';
	return pt_why_set(why, err, "%s \"%s\"", what, safe);
}

/* Read the map header at c and match its keys against names[0..n), which
 * must be sorted.  vals[i] gets a cursor at the value of names[i]; all keys
 * are required.  O(pairs * n). */
int
wire_msg_fields(struct wire_cur *c, const char *const *names, size_t n,
    struct wire_cur *vals, struct pt_why *why)
{
	size_t npairs, i, k, klen;
	unsigned seen = 0;
	const char *key;
	int r;

	if ((r = wire_cur_map(c, &npairs)) != 0)
		return pt_why_set(why, r, "message is not a map");
	for (i = 0; i < npairs; i++) {
		if ((r = wire_cur_str(c, &key, &klen)) != 0)
			return pt_why_set(why, r, "map key is not a string");
		for (k = 0; k < n; k++)
			if (strlen(names[k]) == klen &&
			    memcmp(names[k], key, klen) == 0)
				break;
		if (k == n)
			return why_key(why, PT_EUNKNOWNKEY, "unknown key",
			    key, klen);
		vals[k] = *c;
		seen |= 1u << k;
		if ((r = wire_cur_skip(c, NULL, NULL)) != 0)
			return pt_why_set(why, r, "bad value");
		vals[k].end = c->p;
	}
	for (k = 0; k < n; k++)
		if (!(seen & (1u << k)))
			return pt_why_set(why, PT_ESCHEMA,
			    "missing field \"%s\"", names[k]);
	return 0;
}

int
wire_field_uint(struct wire_cur *v, const char *name, uint64_t *out,
    struct pt_why *why)
{
	int r;

	if ((r = wire_cur_uint(v, out)) != 0)
		return pt_why_set(why, PT_ETYPE,
		    "%s: want a non-negative integer", name);
	return 0;
}

int
wire_field_bin(struct wire_cur *v, const char *name, size_t want,
    const uint8_t **p, size_t *len, struct pt_why *why)
{
	if (wire_cur_bin(v, p, len) != 0)
		return pt_why_set(why, PT_ETYPE, "%s: want bin", name);
	if (want != 0 && *len != want)
		return pt_why_set(why, PT_ESCHEMA, "%s: want %zu bytes, got %zu",
		    name, want, *len);
	return 0;
}

int
wire_field_str(struct wire_cur *v, const char *name, const char **s,
    size_t *len, struct pt_why *why)
{
	if (wire_cur_str(v, s, len) != 0)
		return pt_why_set(why, PT_ETYPE, "%s: want string", name);
	return 0;
}
