/*
 * audit.h: the audit engine (`pubtrail audit`, and under `monitor` and
 * `export`): fetch the log's verified checkpoint, every entry bundle (and
 * level-0 hash tile) it has beyond the last verified state, recompute the
 * tree with mt_frontier, check every entry's schema and submitter
 * signature, and check that the new
 * checkpoint's root is the recomputed one and consistent with the last
 * one verified.  Incremental: a state (in memory, or in a directory) keeps
 * the last verified signed checkpoint and the frontier of its tree, so the
 * next run fetches only what is new.  A pipeline: the event loop keeps a
 * window of bundle requests in flight, worker threads (one per core) check
 * and hash each bundle as it arrives, and the loop folds the results into
 * the frontier in index order.
 */
#ifndef PT_CLIENT_AUDIT_H
#define PT_CLIENT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "audcorr.h"
#include "ckpt.h"
#include "logc.h"
#include "mt.h"
#include "pt.h"
#include "wire.h"

/* Bytes per read for the clients that fetch bundles (audit, monitor,
 * export): 128 KiB answers in a few reads, not in curl's 16 KiB ones. */
#define AUD_RECV_BUFFER	(512 * 1024)

/* Verified state: the newest checkpoint checked and its tree's frontier. */
struct aud_state {
	int have;
	struct ckpt ck;
	char *note;			/* signed note (heap) */
	size_t note_len;
	struct mt_frontier fr;		/* fr.size == ck.size, root == ck.root */
};

/* Called for each new entry in index order, after its schema and
 * signature were checked; entry and e are valid during the call only.
 * Return 0, or an error to stop the audit. */
typedef int (*aud_entry_fn)(void *arg, uint64_t index, const uint8_t *entry,
    size_t len, const struct wire_entry *e);

/* A checked bundle, in index order (aud_opts.bundle): n its number,
 * width its entries, data its bytes as served, tile its level-0 hash tile
 * as served (NULL with no_tiles), leaf the width leaf hashes (of every
 * entry, also those an earlier run verified), root its subtree hash when
 * it is full (else NULL).  Valid during the call only. */
struct aud_bundle {
	uint64_t n;
	unsigned width;
	const uint8_t *data;
	size_t len;
	const uint8_t *tile;
	const struct mt_hash *leaf;
	const struct mt_hash *root;
};
typedef int (*aud_bundle_fn)(void *arg, const struct aud_bundle *b);

struct aud_opts {
	unsigned threads;	/* worker threads (bundle checks, hashing and
				 * signatures); 0 = cores */
	int progress;		/* progress bar on stderr */
	int no_tiles;		/* skip comparing level-0 hash tiles */
	int hashes_only;	/* recompute leaf hashes and the tree only:
				 * no schema or signature checks */
	int defer;		/* call fn only after the root verified
				 * (keeps the new entries in memory) */
	aud_entry_fn fn;	/* may be NULL */
	void *arg;
	/* The checkpoint to audit up to, with its signed note, verified by
	 * the caller: signature, policy, and ordered after the state
	 * (logc_order); NULL: the log's current one, fetched and ordered
	 * by logc_checkpoint_since. */
	const struct ckpt *target;
	const char *target_note;
	size_t target_note_len;
	/* Start from this frontier (of a tree the target extends, checked by
	 * the caller) instead of the state's; with target. */
	const struct mt_frontier *from;
	/* Called for each checked bundle in index order on the calling
	 * thread (before its entries reach fn); its error stops the run. */
	aud_bundle_fn bundle;
	void *bundle_arg;
	/* The log's corrections index, checked against the entries as they
	 * pass (audcorr.h); NULL: the run keeps its own.  Not with
	 * hashes_only. */
	struct aud_corr *corr;
};

struct aud_summary {
	uint64_t old_size, new_size;
	uint64_t entries;		/* entries checked this run */
	uint64_t bundles, tiles;	/* fetched */
	uint64_t bytes;			/* downloaded */
	uint64_t by_type[RECORD_NTYPES + 1]; /* by enum record_type */
	double seconds;
	char origin[PT_MAX_ORIGIN + 1];
	struct mt_hash root;
};

/*
 * Load the state from dir (files "checkpoint" and "frontier"); a missing
 * state is not an error (st->have = 0).  The checkpoint is re-verified
 * with key and the frontier must give its root.  PT_EIO, PT_ECORRUPT,
 * PT_EORIGIN (state of another log).  aud_state_free() releases it.
 */
int aud_state_load(const char *dir, const struct note_vkey *key,
    struct aud_state *st, struct pt_why *why);
/* Save st to dir atomically (each file write-temp, fsync, rename). */
int aud_state_save(const char *dir, const struct aud_state *st,
    struct pt_why *why);
void aud_state_free(struct aud_state *st);

/*
 * One audit run from st (updated on success only).  Errors: PT_ENET (the
 * server), PT_EROLLBACK / PT_EPROOF (inconsistent with st: the log
 * rewrote or forked its history), PT_EPROOF (recomputed root differs from
 * the signed one, or a hash tile disagrees with the entries), entry errors
 * (schema, PT_ESIG) naming the index, or fn's error.  Work: O(new entries)
 * hashes and signature checks, O(new entries / 256) requests.
 */
int aud_run(struct logc *lc, struct aud_state *st, const struct aud_opts *o,
    struct aud_summary *sum, struct pt_why *why);

/*
 * Start st at the log's current checkpoint without reading old entries:
 * the frontier is computed from hash tiles and checked against the signed
 * root.  O(log size) tile fetches.
 */
int aud_bootstrap(struct logc *lc, struct aud_state *st, struct pt_why *why);

int aud_cmd(int argc, char **argv);

#endif
