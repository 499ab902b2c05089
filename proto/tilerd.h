/*
 * tilerd.h: the Merkle tree of one tree size read from C2SP tlog-tiles.
 *
 * An mt_reader (proto/mt.h) whose stored hashes come from hash tiles that
 * a caller's fetch function supplies: over HTTP in the client (a server
 * that serves only tlog-tiles paths and /checkpoint), from local files in
 * `pubtrail mirror`, from arrays in the tests.  So inclusion and
 * consistency proofs, roots and frontiers are computed from tiles by the
 * same Merkle code the daemon runs on LMDB.
 *
 * Subtree (level, n) of the tree is read from the hash tile at tile level
 * level / 8 (TILE_HEIGHT): the 2^(level % 8) stored hashes it covers are
 * hashed up.  A tile is asked for with the width it has in the tree of the
 * reader's size (tile_width_at); when a partial tile is not found
 * (PT_ENOTFOUND: a log MAY delete a partial tile once the full tile
 * exists, C2SP tlog-tiles), the full tile is asked for instead and its
 * first hashes used.  The last TILERD_SLOTS tiles are kept.
 *
 * Nothing here trusts a tile: what the reader gives is only as good as the
 * tiles, so every result must be checked against a signed root
 * (mt_verify_inclusion, mt_verify_consistency, or a root compare).  No
 * I/O of its own, no locking: one reader per thread.
 */
#ifndef PT_TILERD_H
#define PT_TILERD_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"
#include "pt.h"
#include "tile.h"

#define TILERD_SLOTS	8		/* tiles kept, 8 KiB each */

/*
 * Fetch hash tile t (t->entries false, t->width its width) into out
 * (room for TILE_WIDTH * 32 bytes); *len gets the bytes written.  Return
 * 0, PT_ENOTFOUND when the source does not have that tile, or another
 * PT_E* code (reason in *why), which the reader passes through.
 */
typedef int (*tilerd_fetch_fn)(void *ctx, const struct tile *t,
    uint8_t *out, size_t *len, struct pt_why *why);

struct tilerd;

/*
 * A reader of the tree of size leaves (1..PT_MAX_TREE_SIZE, else
 * PT_ERANGE) through fetch(ctx, ...).  why (may be NULL) receives the
 * reason of a failed fetch or of a tile of the wrong length; it must
 * outlive the reader.  PT_ENOMEM.  Free with tilerd_free().
 */
int tilerd_new(uint64_t size, tilerd_fetch_fn fetch, void *ctx,
    struct pt_why *why, struct tilerd **out);
void tilerd_free(struct tilerd *r);

/* The mt_reader over r (valid while r lives).  Its read function returns
 * 0, a fetch error, PT_ENOTFOUND (neither the partial nor the full tile
 * exists), PT_EMALFORMED (a tile of the wrong length: reason in why),
 * PT_ERANGE (a subtree outside the tree). */
void tilerd_reader(struct tilerd *r, struct mt_reader *out);

/* Tiles fetched so far (successful fetches; partial fallbacks count
 * twice).  O(1). */
uint64_t tilerd_fetches(const struct tilerd *r);

/*
 * The frontier (mt_frontier) of the tree of r's size, from O(log size)
 * subtree reads.  The caller must compare its root with a signed one.
 */
int tilerd_frontier(struct tilerd *r, struct mt_frontier *out);

#endif
