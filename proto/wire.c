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

/*
 * The first bytes 0xc0..0xdf (indexed from 0xc0): the kind each announces,
 * how many big-endian bytes follow it (0 for the kinds canonical form
 * refuses: nothing after them is read), and the smallest value or length
 * that needs this header rather than a shorter one (a negative integer's
 * rule is hdr_nint's).
 */
static const struct {
	enum hkind kind;
	uint8_t extra;
	uint64_t min;
} formats[32] = {
	{ H_NIL, 0, 0 },			/* 0xc0 nil */
	{ H_NEVER, 0, 0 },			/* 0xc1 never used */
	{ H_BOOL, 0, 0 },			/* 0xc2 false */
	{ H_BOOL, 0, 0 },			/* 0xc3 true */
	{ H_BIN, 1, 0 },			/* 0xc4 bin 8 */
	{ H_BIN, 2, 0x100 },			/* 0xc5 bin 16 */
	{ H_BIN, 4, 0x10000 },			/* 0xc6 bin 32 */
	{ H_EXT, 0, 0 },			/* 0xc7 ext 8 */
	{ H_EXT, 0, 0 },			/* 0xc8 ext 16 */
	{ H_EXT, 0, 0 },			/* 0xc9 ext 32 */
	{ H_FLOAT, 0, 0 },			/* 0xca float 32 */
	{ H_FLOAT, 0, 0 },			/* 0xcb float 64 */
	{ H_UINT, 1, 0x80 },			/* 0xcc uint 8 */
	{ H_UINT, 2, 0x100 },			/* 0xcd uint 16 */
	{ H_UINT, 4, 0x10000 },			/* 0xce uint 32 */
	{ H_UINT, 8, 0x100000000ULL },		/* 0xcf uint 64 */
	{ H_NINT, 1, 0 },			/* 0xd0 int 8 */
	{ H_NINT, 2, 0 },			/* 0xd1 int 16 */
	{ H_NINT, 4, 0 },			/* 0xd2 int 32 */
	{ H_NINT, 8, 0 },			/* 0xd3 int 64 */
	{ H_EXT, 0, 0 },			/* 0xd4 fixext 1 */
	{ H_EXT, 0, 0 },			/* 0xd5 fixext 2 */
	{ H_EXT, 0, 0 },			/* 0xd6 fixext 4 */
	{ H_EXT, 0, 0 },			/* 0xd7 fixext 8 */
	{ H_EXT, 0, 0 },			/* 0xd8 fixext 16 */
	{ H_STR, 1, 32 },			/* 0xd9 str 8 */
	{ H_STR, 2, 0x100 },			/* 0xda str 16 */
	{ H_STR, 4, 0x10000 },			/* 0xdb str 32 */
	{ H_ARRAY, 2, 16 },			/* 0xdc array 16 */
	{ H_ARRAY, 4, 0x10000 },		/* 0xdd array 32 */
	{ H_MAP, 2, 16 },			/* 0xde map 16 */
	{ H_MAP, 4, 0x10000 },			/* 0xdf map 32 */
};

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The formats whose first byte b holds the value or length: positive and
 * negative fixint, fixmap, fixarray, fixstr.  1 when b is one (h->kind and
 * its value filled), else 0. */
static int
hdr_fix(uint8_t b, struct hdr *h)
{
	if (b <= 0x7f) {
		h->kind = H_UINT;
		h->n = b;
	} else if (b >= 0xe0) {
		h->kind = H_NINT;
		h->i = (int8_t)b;
	} else if (b <= 0x8f) {
		h->kind = H_MAP;
		h->n = b & 0x0f;
	} else if (b <= 0x9f) {
		h->kind = H_ARRAY;
		h->n = b & 0x0f;
	} else if (b <= 0xbf) {
		h->kind = H_STR;
		h->n = b & 0x1f;
	} else
		return 0;
	return 1;
}

/* The signed integer v of extra big-endian bytes after header byte b:
 * canonical only when negative and too small for a shorter format
 * (PT_ENONCANON).  Fills h->i. */
static int
hdr_nint(uint64_t v, size_t extra, uint8_t b, struct hdr *h,
    struct pt_why *why)
{
	int64_t sv;

	/* Sign-extend from extra bytes. */
	if (extra == 8)
		sv = (int64_t)v;
	else if (v & (1ULL << (extra * 8 - 1)))
		sv = (int64_t)(v | ~((1ULL << (extra * 8)) - 1));
	else
		sv = (int64_t)v;
	if (sv >= 0)
		return pt_why_set(why, PT_ENONCANON,
		    "non-negative integer %lld encoded as signed (0x%02x)",
		    (long long)sv, b);
	if ((extra == 1 && sv >= -32) ||
	    (extra == 2 && sv >= INT8_MIN) ||
	    (extra == 4 && sv >= INT16_MIN) ||
	    (extra == 8 && sv >= INT32_MIN))
		return pt_why_set(why, PT_ENONCANON,
		    "integer %lld not in its shortest encoding (0x%02x)",
		    (long long)sv, b);
	h->i = sv;
	return 0;
}

/*
 * Read the header at p (avail bytes available).  Fills *h.  Checks that the
 * header bytes are present (PT_ETRUNCATED) and that it is the shortest
 * encoding (PT_ENONCANON).  Does not check payload lengths.  O(1).
 */
static int
hdr_read(const uint8_t *p, size_t avail, struct hdr *h, struct pt_why *why)
{
	uint8_t b;
	size_t extra;
	uint64_t v;

	if (avail == 0)
		return pt_why_set(why, PT_ETRUNCATED, "input ends before a value");
	b = p[0];
	h->hlen = 1;
	h->n = 0;
	h->i = 0;
	if (hdr_fix(b, h))
		return 0;
	h->kind = formats[b - 0xc0].kind;
	extra = formats[b - 0xc0].extra;
	if (extra == 0)
		return 0;
	if (avail - 1 < extra)
		return pt_why_set(why, PT_ETRUNCATED,
		    "input ends inside a header (0x%02x)", b);
	h->hlen = 1 + extra;
	v = be(p + 1, extra);
	if (h->kind == H_NINT)
		return hdr_nint(v, extra, b, h, why);
	h->n = v;
	if (v < formats[b - 0xc0].min)
		return pt_why_set(why, PT_ENONCANON,
		    "value %llu not in its shortest encoding (0x%02x)",
		    (unsigned long long)v, b);
	return 0;
}

/* ------------------------------------------------------------------ UTF-8 */

/* 0 when p[0..len) is well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF.  Runs of ASCII, most of what the
 * daemon validates (ids, names, a receipt's proof text), are stepped over
 * eight bytes at a time. */
int
wire_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			uint64_t w;

			for (i++; len - i >= 8; i += 8) {
				memcpy(&w, p + i, 8);
				if ((w & 0x8080808080808080ULL) != 0)
					break;
			}
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

/* One walk over buf[0..len): where it is, and the containers it is in. */
struct walker {
	const uint8_t *buf;
	size_t len;
	size_t off;		/* the next byte to read */
	const struct wire_limits *lim;
	struct pt_why *why;
	struct frame st[PT_MAX_DEPTH];
	size_t depth;
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

/* Read the header at w->off; refuse the kinds canonical form lacks and a
 * map key (iskey) that is not a string; step over the header. */
static int
walk_header(struct walker *w, int iskey, struct hdr *h)
{
	size_t off = w->off;
	int r;

	if ((r = hdr_read(w->buf + off, w->len - off, h, w->why)) != 0)
		return r;
	if (h->kind == H_NEVER)
		return pt_why_set(w->why, PT_EMALFORMED,
		    "byte 0x%02x at offset %zu is never used", w->buf[off],
		    off);
	if (h->kind >= H_NIL)
		return pt_why_set(w->why, PT_ETYPE,
		    "%s at offset %zu is not allowed", kind_name(h->kind), off);
	if (iskey && h->kind != H_STR)
		return pt_why_set(w->why, PT_ETYPE,
		    "map key at offset %zu is not a string", off);
	w->off += h->hlen;
	return 0;
}

/* The key key[0..klen), whose header is at offset at, must sort after the
 * innermost map's previous key: equal is PT_EDUPKEY, before PT_ENONCANON. */
static int
walk_key(struct walker *w, const uint8_t *key, size_t klen, size_t at)
{
	struct frame *f = &w->st[w->depth - 1];

	if (f->key != NULL) {
		size_t m = f->keylen < klen ? f->keylen : klen;
		int c = memcmp(f->key, key, m);

		if (c == 0 && f->keylen == klen)
			return pt_why_set(w->why, PT_EDUPKEY,
			    "duplicate map key \"%.*s\"",
			    (int)(m > 40 ? 40 : m), (const char *)f->key);
		if (c > 0 || (c == 0 && f->keylen > klen))
			return pt_why_set(w->why, PT_ENONCANON,
			    "map keys not in ascending order at offset %zu",
			    at);
	}
	f->key = key;
	f->keylen = klen;
	return 0;
}

/* A string or bin whose header was just read: its length within the limit
 * (checked first) and the bytes that remain, a string's UTF-8, a key's
 * order; then step over its bytes. */
static int
walk_bytes(struct walker *w, const struct hdr *h, int iskey)
{
	int str = h->kind == H_STR;
	const char *what = str ? "string" : "bin";
	size_t max = str ? w->lim->max_str : w->lim->max_bin;
	size_t at = w->off - h->hlen;
	const uint8_t *p = w->buf + w->off;
	int r;

	if (h->n > max)
		return pt_why_set(w->why, PT_ETOOBIG,
		    "%s of %llu bytes at offset %zu is over the limit of %zu",
		    what, (unsigned long long)h->n, at, max);
	if (h->n > w->len - w->off)
		return pt_why_set(w->why, PT_ETRUNCATED,
		    "%s of %llu bytes at offset %zu: only %zu bytes remain",
		    what, (unsigned long long)h->n, at, w->len - w->off);
	if (str && wire_utf8_valid(p, (size_t)h->n) != 0)
		return pt_why_set(w->why, PT_EUTF8,
		    "string at offset %zu is not valid UTF-8", at);
	if (iskey && (r = walk_key(w, p, (size_t)h->n, at)) != 0)
		return r;
	w->off += (size_t)h->n;
	return 0;
}

/* An array or map whose header was just read: its count within the limit
 * (checked first) and the bytes that remain (each item needs one), the
 * depth; then enter it, unless it is empty. */
static int
walk_container(struct walker *w, const struct hdr *h)
{
	int map = h->kind == H_MAP;
	const char *what = map ? "map" : "array";
	size_t max = map ? w->lim->max_keys : w->lim->max_array;
	size_t at = w->off - h->hlen;
	struct frame *f;

	if (h->n > max)
		return pt_why_set(w->why, PT_ETOOBIG,
		    "%s of %llu %s at offset %zu is over the limit of %zu",
		    what, (unsigned long long)h->n, map ? "pairs" : "elements",
		    at, max);
	if (h->n * (map ? 2 : 1) > w->len - w->off)
		return pt_why_set(w->why, PT_ETRUNCATED,
		    "%s at offset %zu declares %llu items; only %zu bytes "
		    "remain", what, at, (unsigned long long)h->n,
		    w->len - w->off);
	if (w->depth == PT_MAX_DEPTH)
		return pt_why_set(w->why, PT_EDEPTH,
		    "containers nested deeper than %d at offset %zu",
		    PT_MAX_DEPTH, at);
	if (h->n == 0)
		return 0;
	f = &w->st[w->depth++];
	f->left = h->n * (map ? 2 : 1);
	f->is_map = map;
	f->key = NULL;
	f->keylen = 0;
	return 0;
}

/* One value after another (each container's items in turn) until the
 * outermost value ends; then nothing may follow it.  O(len). */
int
wire_walk(const uint8_t *buf, size_t len, const struct wire_limits *lim,
    struct pt_why *why)
{
	struct walker w;
	struct frame *f;
	struct hdr h;
	int r, iskey;

	if (buf == NULL && len > 0)
		return pt_why_set(why, PT_EINVAL, "NULL buffer");
	w.buf = buf;
	w.len = len;
	w.off = 0;
	w.lim = lim;
	w.why = why;
	w.depth = 0;
	do {
		/* In a map, keys and values alternate, starting with a key. */
		f = w.depth > 0 ? &w.st[w.depth - 1] : NULL;
		iskey = f != NULL && f->is_map && f->left % 2 == 0;
		if (f != NULL)
			f->left--;
		if ((r = walk_header(&w, iskey, &h)) != 0)
			return r;
		switch (h.kind) {
		case H_UINT:
		case H_NINT:
			r = 0;
			break;
		case H_STR:
		case H_BIN:
			r = walk_bytes(&w, &h, iskey);
			break;
		case H_ARRAY:
		case H_MAP:
			r = walk_container(&w, &h);
			break;
		default:
			r = pt_why_set(why, PT_EMALFORMED, "internal");
			break;
		}
		if (r != 0)
			return r;
		/* Leave every container whose last item this was. */
		while (w.depth > 0 && w.st[w.depth - 1].left == 0)
			w.depth--;
	} while (w.depth > 0);
	if (w.off != len)
		return pt_why_set(why, PT_ETRAILING,
		    "%zu bytes after the value that ends at offset %zu",
		    len - w.off, w.off);
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
