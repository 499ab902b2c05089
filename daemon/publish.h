/*
 * publish.h: `publish_dir`, the static C2SP tlog-tiles tree pubtraild
 * writes itself (docs/MIRROR.md), so that one nginx (or an object store,
 * or a CDN) in front serves every read of a busy log.
 *
 * One thread of its own, woken after each commit and each cosignature:
 * it publishes the served checkpoint (pub_served) by writing, from the
 * store's committed data, every tile and bundle the tree of that size has
 * and the directory lacks (full ones once, the partial ones of that size),
 * fsyncing the directories, then replacing the checkpoint; partial tiles
 * that full ones replaced are removed.  The sequencer never waits for it:
 * a wake-up is a flag and a condition variable, and rounds coalesce (a
 * publisher behind by several commits publishes the newest checkpoint
 * once; at most one round every 100 ms).  Read transactions are short
 * (one tile each).  A round's files are written without an fsync each and
 * made durable at once (syncfs) before the checkpoint is replaced.  A write that fails
 * (disk full) is logged and retried a second later; appends go on.  A
 * directory that holds another tree (a full tile with other bytes) stops
 * the publisher, loudly; the daemon keeps serving.
 *
 * At start the directory's checkpoint is opened with the log key and its
 * root compared with the store's at that size: publishing goes on from
 * there.  A directory without a checkpoint is written from 0 (full tiles
 * already there are kept when they hold the same bytes); one whose
 * checkpoint is another log's, or another history's, is not written
 * over (publish_start fails).
 */
#ifndef PTD_PUBLISH_H
#define PTD_PUBLISH_H

#include <stdint.h>

struct metrics;
struct note_vkey;
struct pub;
struct publish;
struct pt_why;
struct store;
struct allow;

struct publish_opts {
	const char *dir;		/* the tree's directory */
	int gzip;			/* .gz beside every bundle */
	struct store *store;		/* read only */
	struct pub *pub;		/* the served checkpoint */
	const struct note_vkey *logkey;	/* opens the tree's checkpoint (read
					 * in publish_start only) */
	const char *logvkey;		/* written to log.vkey */
	const char *web_root;		/* the citizen page copied in ("" none) */
	const char *policy_path;	/* for the page's config.json */
	struct allow *allow;		/* its offices, for the page's
					 * config.json (read in publish_start
					 * only) */
	const char *registrar;		/* written to registrar.vkey; NULL or
					 * "": none */
	struct metrics *metrics;	/* may be NULL */
};

/* Open the directory (created 0755 when missing), find where publishing
 * goes on, write log.vkey (and registrar.vkey) and the page, start the
 * thread.  Every pointer
 * in o must outlive publish_stop.  0; PT_ECONFLICT (the directory holds
 * another tree), PT_EIO (reason in why), PT_ENOMEM. */
int publish_start(const struct publish_opts *o, struct publish **out,
    struct pt_why *why);
/* Ask for a round (any thread; never blocks on a round in progress). */
void publish_wake(struct publish *p);
/* Size of the checkpoint published last (any thread). */
uint64_t publish_size(struct publish *p);
/* Finish the round in progress, publish the served checkpoint once more,
 * join the thread, free.  NULL is allowed. */
void publish_stop(struct publish *p);

#endif
