/*
 * tdir.h: a static C2SP tlog-tiles tree on disk, as `pubtrail mirror` and
 * pubtraild's `publish_dir` write it and any web server, object store or
 * CDN serves it (layout in docs/MIRROR.md):
 *
 *   DIR/checkpoint                    the signed checkpoint, written last
 *   DIR/tile/<L>/<N>[.p/<W>]          hash tiles
 *   DIR/tile/entries/<N>[.p/<W>]      entry bundles
 *   DIR/tile/entries/<N>.gz           a full bundle, gzip (with gzip set),
 *                                     for nginx's gzip_static
 *   DIR/<name>                        other top-level files (log.vkey, ...)
 *
 * Every file is written through a temporary file in its own directory
 * (".NAME.XXXXXX", mkstemp), then moved into place: a full tile
 * (immutable) with link(), so it is written once and never replaced (an
 * existing one must hold the same bytes); a partial tile or top-level
 * file with rename(), replacing it atomically.  A reader never sees half
 * a file.  Tiles are not fsynced one by one: tdir_sync() makes everything
 * written since its last call durable with one syncfs(2); callers write
 * the checkpoint (tdir_put_file: fsynced, and its directory) after it, so
 * a checkpoint never names a tile that a crash could lose.  Files are
 * 0644: the tree is public.  One tdir per thread.
 */
#ifndef PT_NET_TDIR_H
#define PT_NET_TDIR_H

#include <stddef.h>
#include <stdint.h>

#include "pt.h"
#include "ptlimits.h"
#include "tile.h"

struct tdir;

/* Counts of what a tdir wrote, for summaries and metrics. */
struct tdir_stats {
	uint64_t files;			/* tiles and bundles written */
	uint64_t kept;			/* full tiles already there, same bytes */
	uint64_t bytes;			/* bytes written (gzip files included) */
	uint64_t gz_files;
	uint64_t dropped;		/* partial tiles removed */
};

/*
 * Open (creating it, 0755, when missing) the tree at dir.  gzip: also
 * write a gzip copy (zlib, level 6) beside every full entry bundle (a
 * partial one is replaced at the next commit: not compressed each time).
 * PT_EIO / PT_EINVAL with the reason in *why, PT_ENOMEM.  tdir_free().
 */
int tdir_open(const char *dir, int gzip, struct tdir **out,
    struct pt_why *why);
void tdir_free(struct tdir *d);
const char *tdir_root(const struct tdir *d);
const struct tdir_stats *tdir_stats(const struct tdir *d);

/*
 * Write hash tile or entry bundle t (t->width its width; data its bytes).
 * A full tile that exists is kept when it holds the same bytes
 * (PT_ECONFLICT, never overwritten, when not: the tree was written for
 * another history).  PT_EIO (reason in *why), PT_ENOMEM.  O(len), plus
 * the gzip of a bundle.
 */
int tdir_put_tile(struct tdir *d, const struct tile *t, const void *data,
    size_t len, struct pt_why *why);

/*
 * Read tile t (t->width its width) into buf (cap bytes); *len gets its
 * size.  PT_ENOTFOUND when the file is absent, PT_ETOOBIG over cap,
 * PT_EIO.
 */
int tdir_get_tile(struct tdir *d, const struct tile *t, uint8_t *buf,
    size_t cap, size_t *len, struct pt_why *why);

/* 1 when the full tile at t's position exists, else 0.  One stat(). */
int tdir_has_full(struct tdir *d, const struct tile *t);

/*
 * Remove the partial tiles of t's position (tile/<L>/<N>.p/ or
 * tile/entries/<N>.p/, with their .gz files and the directory): C2SP
 * tlog-tiles lets a log delete them once the full tile exists, which the
 * caller must have written.  0 also when there are none; PT_EIO.
 */
int tdir_drop_partials(struct tdir *d, const struct tile *t,
    struct pt_why *why);

/* Everything written since the last call durable: one syncfs(2) of the
 * tree's file system (nothing when nothing was written).  PT_EIO. */
int tdir_sync(struct tdir *d, struct pt_why *why);

/*
 * A top-level file (name: [A-Za-z0-9._-], not starting with '.', or a
 * path under a directory tdir owns such as ".pubtrail-mirror/pending")
 * written atomically (rename) with mode, durable (the file fsynced, then
 * its directory).
 * PT_EINVAL, PT_EIO.
 */
int tdir_put_file(struct tdir *d, const char *name, const void *data,
    size_t len, unsigned mode, struct pt_why *why);
/* Read it (at most max bytes) into a fresh buffer (*buf, NUL-terminated,
 * caller frees).  PT_ENOTFOUND, PT_ETOOBIG, PT_EIO. */
int tdir_get_file(struct tdir *d, const char *name, size_t max,
    uint8_t **buf, size_t *len, struct pt_why *why);
/* Remove it; 0 when absent.  PT_EIO. */
int tdir_remove_file(struct tdir *d, const char *name, struct pt_why *why);

/*
 * Copy the regular files under src (the citizen page) into the tree, at
 * the same relative paths: at most TDIR_COPY_MAX_FILES files of at most
 * TDIR_COPY_MAX_FILE bytes, 4 directory levels, names of [A-Za-z0-9._-]
 * not starting with '.'; at the top, never a name the tree uses itself
 * (checkpoint, tile, config.json, log.vkey, registrar.vkey).  Symbolic
 * links are not followed.  A file already there with the same bytes is
 * not rewritten.  PT_EIO (reason in why), PT_ENOMEM.
 */
#define TDIR_COPY_MAX_FILES	512
#define TDIR_COPY_MAX_FILE	PT_WEB_MAX_FILE
int tdir_copy_dir(struct tdir *d, const char *src, struct pt_why *why);

#endif
