/*
 * subsend.h: the sending half of `pubtrail submit`, shared with `pubtrail
 * correct`: checked records signed for the origin of the log's verified
 * checkpoint, submitted over a pool of keep-alive connections, each
 * receipt verified before it is saved (subrcpt.h), and every saved
 * receipt's checkpoint proven consistent with the others and with the
 * client's memory of the log before the run ends well.
 */
#ifndef PT_CLIENT_SUBSEND_H
#define PT_CLIENT_SUBSEND_H

#include <stddef.h>

#include "cli.h"
#include "ckpt.h"
#include "disclose.h"
#include "intake.h"
#include "logc.h"
#include "note.h"

/* What sub_send needs: all borrowed, alive for the call. */
struct presign;

struct sub_opts {
	const struct cli_common *co;	/* --json, --quiet, --concurrency */
	struct logc *lc;		/* open; ck verified and remembered */
	const struct ckpt *ck;		/* the log's checkpoint at the start */
	const struct note_skey *key;	/* the office's signing key */
	const char *vkey;		/* its verifier key string */
	struct dis_store *dis;		/* where committed secrets go first */
	const char *receipts;		/* directory, or NULL: keep none */
	unsigned give_up_s;		/* stop after this long without an answer */
	unsigned batch;			/* submissions per POST /add (1: no batches) */
	struct presign *presign;	/* records signed ahead, or NULL */
};

/*
 * Whether the log's entry at index (buf, len bytes, decoded e, verified in
 * ck; an id the log refused for other content) is amended so that the
 * record in effect is exactly rec (rec_len bytes, canonical): 1 with the
 * amending correction's index in *by, else 0 (not amended, amended
 * otherwise, or a lookup that failed).  Lookups proven in ck.
 */
int sub_amended_entry(struct logc *lc, const struct ckpt *ck, uint64_t index,
    const uint8_t *buf, size_t len, const struct wire_entry *e,
    const uint8_t *rec, size_t rec_len, uint64_t *by);

/*
 * Why the log refuses rec (rec_len bytes, read from file) under an id it
 * holds at index for the record lrec (llen bytes): the fields that
 * differ, and what to do (the `pubtrail correct` of id and file); when
 * only a natural person's commitment differs (the same record, the name
 * under another salt), that the disclosures file dis (NULL: none was
 * read) lacks the salt the logged record was made with, or, when it has
 * the record id under another name, that the name changed.  Into out
 * (cap bytes).  1 when a correction is what to do, else 0.
 */
int sub_conflict_text(const uint8_t *lrec, size_t llen, const uint8_t *rec,
    size_t rec_len, uint64_t index, struct dis_store *dis, const char *id,
    const char *file, char *out, size_t cap);

/* After refusals sub_conflict_text said a correction is for: the whole
 * `pubtrail correct` command for the first one (id, read from file),
 * with the run's options that correct takes too (opts: shell words), on
 * stderr. */
void sub_correct_hint(const char *opts, const char *id, const char *file);

struct sub_counts {
	size_t logged;			/* receipts verified (and saved) */
	size_t noreceipt;		/* of those, the receipt not saved */
	size_t before;			/* of those, in the log before the run */
	size_t refused;			/* the log refused them */
	size_t unsent;			/* not yet logged when the run stopped */
	size_t local;			/* not sent: a local error (the
					 * disclosures file not written) */
	int stalled;			/* the log stopped answering */
	size_t to_correct;		/* refused: a record logged otherwise
					 * (sub_conflict_text's 1) */
	const char *correct_id;		/* the first of them, and its file */
	const char *correct_file;
	int inconsistent;		/* a receipt's checkpoint failed a check */
};

/*
 * Sign and submit the items of t in order, print "ID → INDEX" (or JSON)
 * for each in input order, keep receipts, show progress on a terminal,
 * stop when the log gives no answer for give_up_s, then check the
 * receipts' checkpoints (consistent with each other, with the start and
 * with the remembered checkpoint; evidence saved on failure).  Returns
 * the exit code (enum cli_exit); *c gets the counts.  Memory: the items'
 * results, and at most 2 x concurrency requests' bodies in flight.
 */
int sub_send(const struct sub_opts *o, struct itk *t, struct sub_counts *c);

#endif
