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
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "crypto.h"
#include "wire.h"

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
static int
utf8_valid(const uint8_t *p, size_t len)
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

struct wire_limits {
	size_t max_str;
	size_t max_bin;
	size_t max_keys;
	size_t max_array;
};

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

static int
walk(const uint8_t *buf, size_t len, const struct wire_limits *lim,
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
			    utf8_valid(buf + off, (size_t)h.n) != 0)
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
	return walk(buf, len, &generic_limits, why);
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
 * order, as they must appear).  Each present key's value is handed to the
 * table's handler; unknown keys are PT_EUNKNOWNKEY; missing keys PT_ESCHEMA.
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
 * are required.  O(pairs). */
static int
msg_fields(struct wire_cur *c, const char *const *names, size_t n,
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

static int
field_uint(struct wire_cur *v, const char *name, uint64_t *out,
    struct pt_why *why)
{
	int r;

	if ((r = wire_cur_uint(v, out)) != 0)
		return pt_why_set(why, PT_ETYPE,
		    "%s: want a non-negative integer", name);
	return 0;
}

static int
field_bin(struct wire_cur *v, const char *name, size_t want,
    const uint8_t **p, size_t *len, struct pt_why *why)
{
	if (wire_cur_bin(v, p, len) != 0)
		return pt_why_set(why, PT_ETYPE, "%s: want bin", name);
	if (want != 0 && *len != want)
		return pt_why_set(why, PT_ESCHEMA, "%s: want %zu bytes, got %zu",
		    name, want, *len);
	return 0;
}

static int
field_str(struct wire_cur *v, const char *name, const char **s, size_t *len,
    struct pt_why *why)
{
	if (wire_cur_str(v, s, len) != 0)
		return pt_why_set(why, PT_ETYPE, "%s: want string", name);
	return 0;
}

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
	if (utf8_valid((const uint8_t *)origin, n) != 0)
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
		r = cr_ed25519_sign(k->seed, msg.data, msg.len, s->sig);
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

	if ((r = field_str(v, "submitter", &s, &len, why)) != 0)
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
	if ((r = field_bin(&vals[1], "sig", 64, &p, &len, why)) != 0)
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
	if ((r = msg_fields(&c, sub_names, 3, vals, why)) != 0 ||
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
	if ((r = msg_fields(&c, ent_names, 4, vals, why)) != 0 ||
	    (r = dec_sub_fields(vals, &out->sub, why)) != 0 ||
	    (r = field_uint(&vals[3], "time", &out->time_ms, why)) != 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	return 0;
}

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
	    utf8_valid((const uint8_t *)r->proof, r->proof_len) != 0)
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
	if ((r = walk(buf, len, &receipt_limits, why)) != 0)
		return r;
	wire_cur_init(&c, buf, len);
	if ((r = msg_fields(&c, rcpt_names, 3, vals, why)) != 0 ||
	    (r = field_bin(&vals[0], "entry", 0, &out->entry,
	    &out->entry_len, why)) != 0 ||
	    (r = field_uint(&vals[1], "index", &out->index, why)) != 0 ||
	    (r = field_str(&vals[2], "proof", &out->proof, &out->proof_len,
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
		if ((r = field_bin(v, "proof[]", MT_HASH_SIZE, &p, &len, why))
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
	if ((r = msg_fields(&c, incl_names, 3, vals, why)) != 0 ||
	    (r = field_uint(&vals[0], "index", index, why)) != 0 ||
	    (r = field_uint(&vals[2], "size", size, why)) != 0)
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
	if ((r = msg_fields(&c, cons_names, 3, vals, why)) != 0 ||
	    (r = field_uint(&vals[0], "new", new_size, why)) != 0 ||
	    (r = field_uint(&vals[1], "old", old, why)) != 0)
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
