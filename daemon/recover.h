/*
 * recover.h: `pubtraild recover`, the way back from a lost disk that does
 * not fork the log.
 *
 * A restored backup (backup.h) is behind what the log published.  recover
 * finds the newest checkpoint the log signed among its sources, re-appends
 * the entries the backup lacks in their original order and byte for byte
 * (integration times included: the leaf hashes are the published ones),
 * and commits only when the rebuilt tree's root is exactly the published
 * checkpoint's, stored as it was signed: recover never signs.  Every other
 * checkpoint the sources hold must be a prefix of the rebuilt tree too.
 * When some entries are in no source it names the lost indexes and writes
 * nothing: the log must then not be started again from this directory
 * (docs/OPERATIONS.md says what remains: retire the log).
 *
 * Sources (--from, in the order given; the first that has an entry gives
 * it):
 *   http[s]://...   a log or a mirror serving C2SP tlog-tiles (checkpoint,
 *                   entry bundles), fetched with net/hcli (libcurl)
 *   DIR with data.mdb      another copy of the data (opened read-only)
 *   DIR with checkpoint and tile/   a static tlog-tiles tree on disk
 *   any other DIR   receipts (*.receipt, docs/PROTOCOL.md 7.3), each
 *                   verified (tproof_verify) before it is used
 * plus --checkpoint FILE (a checkpoint known to be published, e.g. from a
 * witness or a monitor) and the directory's own checkpoint copy.
 */
#ifndef PTD_RECOVER_H
#define PTD_RECOVER_H

/* The exit statuses of `pubtraild recover`. */
#define RECOVER_OK	0	/* at the newest published checkpoint */
#define RECOVER_REFUSED	1	/* lost entries, a wrong root, a fork */
#define RECOVER_USAGE	2
#define RECOVER_BUSY	3	/* a daemon runs on the directory */
#define RECOVER_CANNOT	4	/* could not run: no log, I/O, network */

/* `pubtraild recover ...` (argv[0] is "recover"): a RECOVER_* status. */
int recover_main(int argc, char **argv);

#endif
