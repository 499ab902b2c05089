/*
 * logchk.h: the checks pubtraild makes of its log before it serves, and
 * --check-full.
 *
 * At start-up (logchk_identity) the daemon refuses to run on a store that
 * does not match its own latest signed checkpoint (it must verify with the
 * log key, its size and root be the stored tree's, and the newest entries
 * and the tree's right edge hash as stored), on one behind the copy of the
 * checkpoint kept outside LMDB (an old backup restored, or a fork), or
 * when the clock has gone back.  Each refusal is fatal (log.h) and says
 * what to do.  --check-full (logchk_full_main) recomputes every hash
 * instead, and the corrections index, and exits with a status.
 */
#ifndef PTD_LOGCHK_H
#define PTD_LOGCHK_H

#include <stdint.h>

#include "note.h"

struct pub;
struct store;

/* What logchk_identity checks, all borrowed. */
struct logchk {
	struct store *store;		/* open */
	const char *data;		/* the data directory */
	const struct note_vkey *vk;	/* the log key's verifier */
	const char *vkey;		/* its key string, for messages */
	const char *origin;		/* the log's origin, for messages */
	struct pub *pub;		/* gets the verified checkpoint */
};

/* Sign with key and commit the checkpoint of the empty tree for origin
 * (a new log's first).  Fatal on failure. */
void logchk_init_empty(struct store *s, const char *origin,
    const struct note_skey *key);

/*
 * The identity checks (above); the verified checkpoint is published
 * (pub_signed); a checkpoint copy behind the store (a crash between the
 * commit and the copy) or missing is brought up to date.  Returns the
 * last integration time.  Fatal on any refusal.  O(256 + log n) reads.
 */
uint64_t logchk_identity(const struct logchk *l);

/* The exit statuses of --check-full (pubtraild(8)). */
#define LOGCHK_OK	0	/* every hash and the signed root agree */
#define LOGCHK_BAD	1	/* damaged: the first bad index is named */
#define LOGCHK_BUSY	3	/* a live log: a daemon holds the lock */
#define LOGCHK_CANNOT	4	/* could not run (no log, unreadable, ...) */

/*
 * --check-full on the log in data (opened with a map of map_size_mb MiB):
 * every hash recomputed from the entries, the signed root compared, the
 * corrections index checked; the outcome printed on stdout, progress on
 * stderr.  Nothing is created (no directory, no key, no empty log); the
 * log key's verifier comes from log.key or, in a backup made without the
 * private key, log.vkey.  A live log (its daemon holds the lock) is
 * LOGCHK_BUSY: check a hot backup of it instead.  A LOGCHK_* status.
 * O(n) reads and hashes.
 */
int logchk_full_main(const char *data, uint64_t map_size_mb);

#endif
