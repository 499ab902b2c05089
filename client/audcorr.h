/*
 * audcorr.h: the audit engine's check of the log's corrections index
 * (issue 19): auditors compute the index from the entries themselves and
 * report a log whose answers omit a correction.
 *
 * At the start of a run the log's whole index is read (GET /corrections,
 * page after page: (target, correction, kind) in key order) and kept, as
 * far as the run's signed checkpoint reaches: memory grows with the number
 * of corrections, not of entries.  Then, as the entries pass in index
 * order, each correction entry must be listed under its target with its
 * kind (else the log's answers omit it: PT_EANSWER, exit 1) and must
 * apply by the one rule (cst_applies: target leaf hash, same office; a
 * target from before this run is fetched and proven); a listed target's
 * leaf hash and office are noted as it passes.  At the end every listed
 * correction of the run's range must have been seen as one (else the log
 * lists a correction that is not).  Exports read the status of each row
 * from the checked index (aud_corr_status).  A server without the route (a
 * static mirror) lists nothing: every correction is then checked against
 * its target fetched from the log, and statuses are unknown ahead.
 */
#ifndef PT_CLIENT_AUDCORR_H
#define PT_CLIENT_AUDCORR_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt.h"
#include "logc.h"
#include "mt.h"
#include "pt.h"
#include "wire.h"

struct aud_corr;

/* New, empty.  0 or PT_ENOMEM; aud_corr_free accepts NULL. */
int aud_corr_new(struct aud_corr **out);
void aud_corr_free(struct aud_corr *ac);

/* Read the log's index for ck (replacing what ac held).  O(corrections /
 * PT_MAX_CORRECTIONS_PAGE) requests; PT_ETOOBIG past AUD_CORR_MAX. */
#define AUD_CORR_MAX	(16u << 20)
int aud_corr_load(struct aud_corr *ac, struct logc *lc, const struct ckpt *ck,
    struct pt_why *why);
/* The entry at index (leaf hash, decoded e) passes, in index order; start
 * is the run's first index.  0 or PT_EANSWER with the reason. */
int aud_corr_entry(struct aud_corr *ac, uint64_t index,
    const struct mt_hash *leaf, const struct wire_entry *e, uint64_t start,
    struct pt_why *why);
/* After the last entry of the run [start, ck->size): the listed
 * corrections not seen, and the targets from before the run. */
int aud_corr_finish(struct aud_corr *ac, struct logc *lc,
    const struct ckpt *ck, uint64_t start, struct pt_why *why);

/* The status of entry index by the checked index: 0 current, 1 with
 * *is_void and *by (the deciding correction), -1 unknown (no index from
 * this server).  O(log corrections). */
int aud_corr_status(const struct aud_corr *ac, uint64_t index, int *is_void,
    uint64_t *by);

#endif
