/*
 * backup.h: `pubtraild backup` (a hot backup of a running log) and the
 * manifest that marks a data directory as a restored backup.
 *
 * A backup is a directory that is itself a data directory:
 *
 *   data.mdb     LMDB's compacting copy of the live store, from one read
 *                transaction (consistent while appends go on)
 *   checkpoint   the checkpoint copy (datadir.h) of the backup's own
 *                latest checkpoint
 *   log.vkey     the log's verifier key
 *   submitters   the allowed submitters, when the log has that file
 *   log.key      the private key, only with --with-private-key (0600)
 *   BACKUP       the manifest: what the backup holds (below)
 *
 * BACKUP (text, one "key value" per line, in this order):
 *
 *   pubtrail-backup v1
 *   origin <the log's origin>
 *   size <tree size the backup holds>
 *   root <base64 root of that tree>
 *   time_ms <the last entry's integration time>
 *   taken_ms <when the backup was taken>
 *   private_key yes|no
 *
 * pubtraild refuses to serve from a directory that holds BACKUP: by the
 * time it is restored the log has most likely published checkpoints past
 * it, and signing from there would fork the log.  `pubtraild recover`
 * (recover.h) brings it to the last published checkpoint from mirrors,
 * other copies or receipts, checks the root, and only then removes BACKUP.
 * `pubtraild --check-full` runs on a backup as it is.
 */
#ifndef PTD_BACKUP_H
#define PTD_BACKUP_H

#include <stdint.h>

#include "mt.h"
#include "pt.h"
#include "ptlimits.h"

#define BACKUP_MANIFEST	"BACKUP"

struct backup_info {
	char origin[PT_MAX_ORIGIN + 1];
	uint64_t size;
	struct mt_hash root;
	uint64_t time_ms;
	uint64_t taken_ms;
	int private_key;
};

/* `pubtraild backup ...` (argv[0] is "backup"): the exit status. */
int backup_main(int argc, char **argv);

/*
 * DIR/BACKUP into *bi.  PT_ENOTFOUND when DIR has none; PT_EMALFORMED (not
 * a manifest of this form, reason in why); PT_EIO.  O(1).
 */
int backup_manifest_read(const char *dir, struct backup_info *bi,
    struct pt_why *why);

/* Remove DIR/BACKUP (and fsync DIR): the directory is a log again.
 * 0 or PT_EIO. */
int backup_manifest_remove(const char *dir, struct pt_why *why);

#endif
