/*
 * tile.h: C2SP tlog-tiles paths and entry bundles.  Tile height 8 (256
 * hashes or entries per full tile).
 *
 *   tile/<L>/<N>[.p/<W>]        hash tile: level L (0..63), index N, width W
 *   tile/entries/<N>[.p/<W>]    entry bundle
 *
 * N is written in 3-digit groups, all but the last prefixed with "x":
 * 1234067 -> x001/x234/067.  W is 1..255 and only present for partial tiles.
 * Hash tile (L, N) holds the stored hashes of tree level 8*L at indexes
 * N*256 .. N*256+W-1, concatenated.  An entry bundle holds entries
 * N*256 .. N*256+W-1, each as a big-endian uint16 length then the bytes.
 */
#ifndef PT_TILE_H
#define PT_TILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TILE_HEIGHT	8
#define TILE_WIDTH	256
#define TILE_MAX_LEVEL	63
#define TILE_PATH_MAX	96

struct tile {
	bool entries;		/* entry bundle rather than hash tile */
	unsigned level;		/* hash tiles only */
	uint64_t n;
	unsigned width;		/* 1..256; 256 = full (no .p/ suffix) */
};

/* "tile/..." without a leading slash, NUL-terminated. PT_ETOOBIG/PT_EINVAL. */
int tile_path_format(const struct tile *t, char *out, size_t cap);
/* Strict parse of "tile/..." (no leading slash, no query): canonical
 * only (no leading zeros in groups, every group 3 digits, x prefixes where
 * due, W in 1..255).  PT_EMALFORMED. */
int tile_path_parse(const char *path, size_t len, struct tile *out);

/*
 * The width tile t has in a tree of size: 0 when the tile does not exist
 * yet (PT_ERANGE returned), 256 when full, else the partial width.  For hash
 * tiles of level L the count of stored hashes at tree level 8L is
 * size >> (8L).
 */
int tile_width_at(const struct tile *t, uint64_t size, unsigned *width);

/* Append one entry (len <= 65535) to a bundle being built in buf.  Returns
 * PT_ETOOBIG when cap would be exceeded. */
int tile_bundle_put(uint8_t *buf, size_t cap, size_t *used, const uint8_t *e,
    size_t len);
/* Iterate a bundle: *off starts at 0; each call yields one entry (pointer
 * into buf) or returns 1 at the end; PT_EMALFORMED for a truncated bundle. */
int tile_bundle_next(const uint8_t *buf, size_t len, size_t *off,
    const uint8_t **e, size_t *elen);

#endif
