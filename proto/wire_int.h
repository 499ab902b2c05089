/*
 * wire_int.h: wire's private header, shared by its files and included by
 * nothing else (wire.h is the one public interface).
 *
 *   wire.c         the msgpack layer: buffers and encoders, the header
 *                  reader, the canonical walk (wire_check_canonical), the
 *                  read cursor, and decoding a message map by its field names
 *   wire_sub.c     what an office sends: the signed messages, submissions
 *                  (sign, verify, decode, encode) and entries
 *   wire_answer.c  what the log answers: receipts, lookups, inclusion and
 *                  consistency proofs, and the batch envelope of POST /add
 */
#ifndef PT_WIRE_INT_H
#define PT_WIRE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"
#include "wire.h"

/* The largest string, bin, map and array a walk accepts. */
struct wire_limits {
	size_t max_str;
	size_t max_bin;
	size_t max_keys;
	size_t max_array;
};

/* wire_check_canonical() with limits other than the generic ones (a receipt
 * carries a whole entry and a proof text).  Same errors, same bound. */
int wire_walk(const uint8_t *buf, size_t len, const struct wire_limits *lim,
    struct pt_why *why);

/* 0 when p[0..len) is well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF; -1 otherwise.  O(len). */
int wire_utf8_valid(const uint8_t *p, size_t len);

/*
 * Read the map header at c (bytes a walk accepted) and match its keys
 * against names[0..n) (n <= 32, sorted as they must appear).  vals[i] gets a
 * cursor spanning the value of names[i]; every key is required.  Errors, with
 * the reason in why: the cursor's (not a map, a key not a string, a bad
 * value), PT_EUNKNOWNKEY, PT_ESCHEMA (a missing key).  O(len + pairs * n).
 */
int wire_msg_fields(struct wire_cur *c, const char *const *names, size_t n,
    struct wire_cur *vals, struct pt_why *why);

/* One field's value, read at v, named name in why: a non-negative integer;
 * a bin (of exactly want bytes unless want is 0: PT_ESCHEMA); a string.
 * PT_ETYPE for a value of another kind.  Pointers point into v's buffer. */
int wire_field_uint(struct wire_cur *v, const char *name, uint64_t *out,
    struct pt_why *why);
int wire_field_bin(struct wire_cur *v, const char *name, size_t want,
    const uint8_t **p, size_t *len, struct pt_why *why);
int wire_field_str(struct wire_cur *v, const char *name, const char **s,
    size_t *len, struct pt_why *why);

#endif
