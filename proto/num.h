/*
 * num.h: the one bounded integer parser of pubtrail.  Every decimal number
 * that comes from outside (HTTP paths and queries, config values, command
 * lines, checkpoints, tlog-proofs, policies, witness requests) goes
 * through it.  It sees the whole value by length, not up to a NUL, so a
 * decoded "%00" or any other byte after the digits is refused, never
 * silently cut off.
 *
 * Pure: no I/O, no allocation, no locale.  O(len).
 */
#ifndef PT_NUM_H
#define PT_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Strict unsigned decimal in s[0..len): 1..20 ASCII digits, no sign, no
 * space, no leading zero (except "0"), value in [min, max].  0 with *out
 * set; PT_EMALFORMED (empty, over 20 characters, a non-digit anywhere, a
 * leading zero) or
 * PT_ERANGE (overflow or outside [min, max]); *out is untouched on error.
 * PT_EINVAL for a NULL s or out.
 */
int num_parse_u64(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out);

/* The same for a signed value: an optional '-' then the digits as above;
 * "-0" is refused (one value, one spelling). */
int num_parse_i64(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out);

/* For NUL-terminated strings that cannot hold a NUL of their own (argv,
 * already length-checked text): num_parse_u64(s, strlen(s), ...). */
int num_parse_u64_str(const char *s, uint64_t min, uint64_t max,
    uint64_t *out);
int num_parse_i64_str(const char *s, int64_t min, int64_t max,
    int64_t *out);

/* v as 8 bytes big-endian at p, and back: keys whose byte order is their
 * numeric order, and integers in files. */
void num_put_be64(uint8_t *p, uint64_t v);
uint64_t num_get_be64(const uint8_t *p);

#endif
