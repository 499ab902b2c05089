/*
 * tile.c: C2SP tlog-tiles resource paths and entry bundles.
 *
 * Paths have exactly one spelling.  The parser accepts only what
 * tile_path_format produces, so a path names one resource, a cache key is
 * unique, and a static file tree written by the daemon can be served as is:
 *
 *   tile/<L>/<N>[.p/<W>]  and  tile/entries/<N>[.p/<W>]
 *   L: 0..63, decimal, no leading zeros
 *   N: 3-digit groups, all but the last prefixed "x"; no all-zero leading
 *      group ("x000/..." is not canonical); the value fits in 64 bits
 *   W: 1..255, decimal, no leading zeros; absent for full tiles
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ptlimits.h"
#include "pt.h"
#include "tile.h"

/* 2^64 - 1 has 20 decimal digits: 7 groups of 3. */
#define TILE_MAX_GROUPS 7

/*
 * Write t's path, NUL-terminated, to out.  PT_EINVAL when the level is over
 * TILE_MAX_LEVEL (hash tiles) or the width is not 1..256; PT_ETOOBIG when cap
 * cannot hold the path (TILE_PATH_MAX always can).  O(1).
 */
int
tile_path_format(const struct tile *t, char *out, size_t cap)
{
	char buf[TILE_PATH_MAX];
	unsigned group[TILE_MAX_GROUPS], ng = 0, i;
	uint64_t n = t->n;
	size_t used;

	if (t->width < 1 || t->width > TILE_WIDTH)
		return PT_EINVAL;
	if (!t->entries && t->level > TILE_MAX_LEVEL)
		return PT_EINVAL;
	do {
		group[ng++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n != 0);
	if (t->entries)
		used = (size_t)snprintf(buf, sizeof(buf), "tile/entries");
	else
		used = (size_t)snprintf(buf, sizeof(buf), "tile/%u", t->level);
	for (i = ng; i-- > 0;)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    "/%s%03u", i > 0 ? "x" : "", group[i]);
	if (t->width < TILE_WIDTH)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    ".p/%u", t->width);
	assert(used < sizeof(buf));
	if (used + 1 > cap)
		return PT_ETOOBIG;
	memcpy(out, buf, used + 1);
	return 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A decimal number in 0..max with no leading zeros ("0" itself is fine)
 * starting at p[*pos]; stops at the first non-digit.  At most 3 digits are
 * read, which covers every max used here (<= 255).
 */
static int
parse_small(const char *p, size_t len, size_t *pos, unsigned max,
    unsigned *out)
{
	size_t i = *pos, start = i;
	unsigned v = 0;

	while (i < len && is_digit(p[i])) {
		if (i - start == 3)
			return PT_EMALFORMED;
		v = v * 10 + (unsigned)(p[i] - '0');
		i++;
	}
	if (i == start || (p[start] == '0' && i - start > 1) || v > max)
		return PT_EMALFORMED;
	*pos = i;
	*out = v;
	return 0;
}

/*
 * Strict parse of a tile or entry-bundle path, len bytes (no leading slash,
 * no query string, no NUL needed).  Accepts exactly the paths that
 * tile_path_format writes; anything else (leading zeros, a missing or extra
 * "x", empty or extra components, W of 0 or 256, level over 63, N over
 * 2^64-1, trailing bytes) is PT_EMALFORMED.  O(len), len <= TILE_PATH_MAX.
 */
int
tile_path_parse(const char *path, size_t len, struct tile *out)
{
	static const char pfx[] = "tile/", ent[] = "entries/";
	struct tile t;
	size_t pos = 0;
	unsigned g, ng = 0, i;
	bool last = false;
	int rc;

	memset(&t, 0, sizeof(t));
	if (len > TILE_PATH_MAX || len < sizeof(pfx) - 1 ||
	    memcmp(path, pfx, sizeof(pfx) - 1) != 0)
		return PT_EMALFORMED;
	pos = sizeof(pfx) - 1;
	if (len - pos >= sizeof(ent) - 1 &&
	    memcmp(path + pos, ent, sizeof(ent) - 1) == 0) {
		t.entries = true;
		pos += sizeof(ent) - 1;
	} else {
		if ((rc = parse_small(path, len, &pos, TILE_MAX_LEVEL,
		    &t.level)) != 0)
			return rc;
		if (pos >= len || path[pos] != '/')
			return PT_EMALFORMED;
		pos++;
	}
	/* N: "xDDD/" groups, then a final "DDD". */
	while (!last) {
		if (pos < len && path[pos] == 'x')
			pos++;
		else
			last = true;
		if (len - pos < 3)
			return PT_EMALFORMED;
		for (g = 0, i = 0; i < 3; i++) {
			if (!is_digit(path[pos + i]))
				return PT_EMALFORMED;
			g = g * 10 + (unsigned)(path[pos + i] - '0');
		}
		pos += 3;
		/* A leading all-zero group would be a leading zero of N. */
		if (ng == 0 && !last && g == 0)
			return PT_EMALFORMED;
		if (++ng > TILE_MAX_GROUPS ||
		    t.n > (UINT64_MAX - g) / 1000)
			return PT_EMALFORMED;
		t.n = t.n * 1000 + g;
		if (!last) {
			if (pos >= len || path[pos] != '/')
				return PT_EMALFORMED;
			pos++;
		}
	}
	t.width = TILE_WIDTH;
	if (pos < len) {
		if (len - pos < 3 || memcmp(path + pos, ".p/", 3) != 0)
			return PT_EMALFORMED;
		pos += 3;
		if ((rc = parse_small(path, len, &pos, TILE_WIDTH - 1,
		    &t.width)) != 0 || t.width == 0)
			return PT_EMALFORMED;
	}
	if (pos != len)
		return PT_EMALFORMED;
	*out = t;
	return 0;
}

/*
 * Width of tile t in a tree of size leaves.  A hash tile at level L holds
 * tree-level-8L hashes, of which the tree has size >> 8L; an entry bundle
 * holds leaves.  Tile N is full (256) when more than N*256 + 255 exist,
 * partial (1..255) when N is the last and incomplete one, and otherwise does
 * not exist: *width = 0 and PT_ERANGE (also for size > PT_MAX_TREE_SIZE).
 * PT_EINVAL for a level over TILE_MAX_LEVEL.  O(1).
 */
int
tile_width_at(const struct tile *t, uint64_t size, unsigned *width)
{
	unsigned shift;
	uint64_t count;

	*width = 0;
	if (!t->entries && t->level > TILE_MAX_LEVEL)
		return PT_EINVAL;
	if (size > PT_MAX_TREE_SIZE)
		return PT_ERANGE;
	shift = t->entries ? 0 : TILE_HEIGHT * t->level;
	count = shift >= 64 ? 0 : size >> shift;
	if ((count >> TILE_HEIGHT) > t->n)
		*width = TILE_WIDTH;
	else if ((count >> TILE_HEIGHT) == t->n)
		*width = (unsigned)(count & (TILE_WIDTH - 1));
	return *width == 0 ? PT_ERANGE : 0;
}

/*
 * Append entry e (len bytes, len <= 65535; len 0 is a valid, empty entry) to
 * the bundle in buf[0..*used) as a big-endian uint16 length and the bytes.
 * PT_ETOOBIG when len > 65535 or the result would exceed cap; then buf and
 * *used are unchanged.  O(len).
 */
int
tile_bundle_put(uint8_t *buf, size_t cap, size_t *used, const uint8_t *e,
    size_t len)
{
	if (len > 0xffff || *used > cap || cap - *used < 2 + len)
		return PT_ETOOBIG;
	buf[*used] = (uint8_t)(len >> 8);
	buf[*used + 1] = (uint8_t)(len & 0xff);
	if (len > 0)
		memcpy(buf + *used + 2, e, len);
	*used += 2 + len;
	return 0;
}

/*
 * Next entry of the bundle buf[0..len) at *off: sets *e (pointing into buf,
 * valid while buf is) and *elen, advances *off and returns 0; returns 1 when
 * *off == len (the end).  PT_EMALFORMED when fewer than 2 bytes remain or the
 * length prefix runs past the end (a truncated bundle), or *off > len.  O(1).
 */
int
tile_bundle_next(const uint8_t *buf, size_t len, size_t *off,
    const uint8_t **e, size_t *elen)
{
	size_t o = *off, n;

	if (o == len)
		return 1;
	if (o > len || len - o < 2)
		return PT_EMALFORMED;
	n = (size_t)buf[o] << 8 | buf[o + 1];
	if (len - o - 2 < n)
		return PT_EMALFORMED;
	*e = buf + o + 2;
	*elen = n;
	*off = o + 2 + n;
	return 0;
}
