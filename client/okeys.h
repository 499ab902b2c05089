/*
 * okeys.h: office keys, client side (docs/PROTOCOL.md section 6.6): who
 * may append to a log, replayed from the log itself with the one rule
 * (proto/grants.h), and `pubtrail keys grant|revoke|list`.
 *
 * Two ways to read a log's grants.  Complete: hook an audit (okc_hook)
 * and every entry passes through the rule in index order, so an entry
 * signed by a key without a grant is found wherever it is.  Quick
 * (okc_fetch): the log's /office-keys route names its office_key entries
 * and each is fetched with its inclusion proof; each is proven, but only
 * an audit shows that none was left out (audit checks the route too).
 */
#ifndef PT_CLIENT_OKEYS_H
#define PT_CLIENT_OKEYS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "ckpt.h"
#include "cli.h"
#include "grants.h"
#include "logc.h"
#include "note.h"
#include "pt.h"

/* Violations kept with their reasons (all are counted). */
#define OKC_MAX_BAD	100

struct okc;

/*
 * A new replay for the log of key logkey; registrar (may be NULL) pins the
 * registrar's verifier key string (--registrar-key-pub), else the signer
 * of the log's first office_key entry is its registrar.  0, PT_EINVAL
 * (why says so), PT_ENOMEM.  okc_free() frees it (NULL allowed).
 */
int okc_new(const struct note_vkey *logkey, const char *registrar,
    struct okc **out, struct pt_why *why);
void okc_free(struct okc *k);

/* Put k in front of o's entry callback (kept and called after k's own):
 * from then on aud_run(o) judges every entry with the rule.  Not with
 * o->hashes_only (entries are not decoded then). */
void okc_hook(struct okc *k, struct aud_opts *o);

/*
 * After the audit reached the end of the log: the verdicts that come
 * late (a legacy prefix) and, when lc is not NULL, the check that the
 * log's /office-keys route names exactly the office_key entries the audit
 * saw (below ck's size).  Returns the number of violations (0: every
 * entry's signer held a grant for its type at its index), or a negative
 * error: PT_ENET (the route could not be read), PT_ENOMEM.
 */
long okc_finish(struct okc *k, struct logc *lc, const struct ckpt *ck,
    struct pt_why *why);

/* Violation i (0 .. min(count, OKC_MAX_BAD) - 1): its index and reason.
 * -1 when there is none. */
int okc_bad(const struct okc *k, size_t i, uint64_t *index,
    const char **why);
size_t okc_bad_count(const struct okc *k);

/*
 * Audit state (the directory of aud_state_load/save): the office_key
 * entries verified so far, in DIR/office_keys, so that an incremental
 * audit judges new entries by the grants of the old ones.  Load replays
 * those below size (the state's checkpoint size); a missing file is an
 * empty log of grants only when size is 0 (else PT_ENOTFOUND: audit from
 * the start).  Save writes it atomically, before the audit state.
 * PT_EIO, PT_ECORRUPT, PT_ENOMEM with the reason in why.
 */
int okc_state_load(struct okc *k, const char *dir, uint64_t size,
    const char *origin, struct pt_why *why);
int okc_state_save(struct okc *k, const char *dir, struct pt_why *why);

/*
 * The quick way: GET /office-keys?size=ck->size (paged), each named entry
 * fetched with its inclusion proof in ck (logc_entry) and applied.  0, or
 * PT_EPROOF (the route named an entry that is not an office_key entry, or
 * out of order), the network and proof errors of logc_entry.  Entries the
 * rule refuses are violations (okc_bad).  O(office_key entries) requests.
 */
int okc_fetch(struct okc *k, struct logc *lc, const struct ckpt *ck,
    struct pt_why *why);

const struct grants *okc_grants(const struct okc *k);

/*
 * How the signer of entry e, at index, stood with the log's grants (the
 * replay must cover index), for people, into out (cap bytes): "granted at
 * #3 by registrar+1a2b3c4d", "... , revoked at #9" (later), "granted at
 * #3 by ..., in the log's migration (this entry predates office keys)",
 * "REVOKED at #2, before this entry", "NO GRANT in this log", "granted
 * ..., but NOT for this record: <reason>", "the log's registrar".  The
 * rule's verdict, as of index: 0 when the signer held a grant for e, or
 * PT_EFORBIDDEN.  (No correction target is checked here: the log and
 * audits do.)
 */
int okc_describe(const struct okc *k, const struct wire_entry *e,
    uint64_t index, char *out, size_t cap);

/* The same as JSON: {"granted_at", "registrar", "revoked_at" (when),
 * "held": true|false, "why"}; NULL when out of memory. */
json_t *okc_describe_json(const struct okc *k, const struct wire_entry *e,
    uint64_t index);

/*
 * For `pubtrail audit`: a replay pinned to co's --registrar-key-pub (when
 * given) and, with a state directory, loaded from it (st: the audit state
 * just loaded), hooked into o.  0, or an exit code (the message printed).
 */
int okc_audit_start(const struct cli_common *co, const char *state,
    const struct aud_state *st, struct aud_opts *o, struct okc **out);

/*
 * For get and verify: the log's grants the quick way (okc_fetch) under
 * its verified checkpoint, pinned to co's --registrar-key-pub.  0 with
 * *out, or an error with the reason (PT_ENOTFOUND: the log serves no
 * /office-keys, e.g. a tiles-only mirror).
 */
int okc_quick(const struct cli_common *co, struct logc *lc,
    struct okc **out, struct pt_why *why);
/*
 * After a verified aud_run: okc_finish against lc; every violation is
 * printed to stderr ("pubtrail: entry #N: reason"); with a state
 * directory and none, the office keys state is saved (before the audit
 * state).  0, PT_EUNKNOWNSIGNER (violations: why names the first index and
 * how many), or the errors of okc_finish and okc_state_save.
 */
int okc_audit_end(struct okc *k, struct logc *lc, const struct aud_state *st,
    const char *state, struct pt_why *why);

/* `pubtrail keys grant|revoke|list ...` (keygen is keys.c's). */
int okc_cmd(int argc, char **argv);

#endif
