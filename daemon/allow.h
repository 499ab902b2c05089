/*
 * allow.h: who may append to this log, from the log itself (docs/PROTOCOL.md
 * section 6.6).  The daemon's side of proto/grants: the live grants,
 * rebuilt at start from the store's office_key entries (the store's
 * office_keys index: no entry but those is read), checked at admission (a
 * fast 403 before any signature is verified) and decided again by the
 * sequencer in index order, in the write transaction that appends the
 * entry; a batch that holds an office_key entry works on a copy that
 * replaces the live grants when it commits.  DATA/submitters only
 * bootstraps: allow_bootstrap() turns its keys into grants signed by the
 * registrar's private key, given once (pubtraild
 * --bootstrap-registrar-key FILE) and wiped.  Per-key rate-limit buckets
 * live here too (the loop thread's).
 *
 * Threads: the loop thread admits and keeps the buckets; the sequencer
 * thread runs batches; the live grants are shared under a mutex.
 */
#ifndef PTD_ALLOW_H
#define PTD_ALLOW_H

#include <stddef.h>
#include <stdint.h>

#include "grants.h"
#include "note.h"
#include "pt.h"
#include "wire.h"

struct store;
struct subm_list;
struct allow;

/*
 * New, empty grants for the log with checkpoint key logkey and the
 * configured registrar (its verifier key string, or NULL when none is
 * configured: then no office_key entry is accepted).  0, PT_EINVAL (the
 * registrar is not an Ed25519 verifier key string, or is the log's key),
 * PT_ENOMEM; why says which.  allow_free() frees it (NULL allowed).
 */
int allow_new(const struct note_vkey *logkey, const char *registrar,
    struct allow **out, struct pt_why *why);
void allow_free(struct allow *a);

/*
 * Replay the office_key entries of the store (read through its
 * office_keys index), each decoded, its signature verified for origin and
 * applied by the rule.  *n gets their number.  0, or PT_ECORRUPT (an
 * indexed entry that is not a valid office_key entry, or one the rule
 * refuses: e.g. signed by another registrar than the configured one), the
 * store's errors; why says which entry.  O(office_key entries).
 */
int allow_load(struct allow *a, struct store *st, const char *origin,
    size_t *n, struct pt_why *why);

/* Grants in the log (in force or revoked) and the index of its first
 * office_key entry (GRANTS_NEVER: none). */
size_t allow_count(struct allow *a, uint64_t *first_at);
/* The configured registrar's verifier key string, or NULL (the string
 * never changes once set). */
const char *allow_registrar(struct allow *a);

/*
 * Name the registrar of a log that had none configured (SIGHUP after
 * DATA/registrar.vkey or registrar_key was set).  0 (also when it is
 * already this one), PT_ECONFLICT (another one is set: a log's registrar
 * never changes), PT_EINVAL (not an Ed25519 verifier key string, or the
 * log's key); why says which.
 */
int allow_set_registrar(struct allow *a, const char *vkey,
    struct pt_why *why);

/* Call fn with each key in force (under the lock: fn must not call back
 * into a), in grant order.  O(keys). */
void allow_each_in_force(struct allow *a,
    void (*fn)(void *arg, const struct grants_key *k), void *arg);

/*
 * Turn the keys of list (a parsed submitters file, named path in the
 * reasons) into grants signed by registrar (whose verifier key must be
 * the configured one, or becomes it when none is configured), appended in
 * one batch after the store's last entry, with a checkpoint signed by
 * logkey, committed (fsync) before anything is answered.  *added gets the
 * number of grants, *first their first index, *time_ms the integration
 * time (at least *time_ms on entry).  Only for a log without grants:
 * PT_ECONFLICT otherwise.  0, or PT_EINVAL (a line that makes no valid
 * grant: why names it), the rule's errors (two keys named alike...), the
 * store's errors.  O(keys).
 */
int allow_bootstrap(struct allow *a, struct store *st, const char *origin,
    const struct note_skey *logkey, const struct note_skey *registrar,
    const struct subm_list *list, const char *path, size_t *added,
    uint64_t *first, uint64_t *time_ms, char *note, size_t note_cap,
    size_t *note_len, struct pt_why *why);

/*
 * Admission, on the loop thread: may s be appended now?  An office's
 * record: the rule against the live grants, at the log's next index
 * (grants_check).  An office_key record: it must be signed by the
 * configured registrar (PT_EUNKNOWNSIGNER otherwise, or when none is
 * configured); the rule itself is decided in sequence (allow_batch_apply),
 * after an identical resubmission of a grant was answered from the log.
 * 0 or those errors.  O(1) for an office's record.
 */
int allow_admit(struct allow *a, uint64_t index, uint64_t now_ms,
    const struct wire_submission *s, struct pt_why *why);

/* The rate-limit bucket of submitter (its verifier key string, len bytes;
 * created on first use; the loop thread's).  NULL when out of memory. */
struct subm_entry *allow_bucket(struct allow *a, const char *vkey,
    size_t len);

/*
 * The sequencer's side, for one batch (caller-owned, zeroed before the
 * first use): allow_batch_apply decides s at index (time_ms: the batch's
 * integration time) after the batch's earlier entries: 0 or the rule's
 * errors (nothing changes).  allow_batch_commit after the store commit
 * made the batch durable; allow_batch_abort when it did not.  Both leave
 * ab empty.
 */
struct allow_batch {
	struct grants *work;		/* NULL until an office_key entry */
};
int allow_batch_apply(struct allow *a, struct allow_batch *ab,
    uint64_t index, uint64_t time_ms, const struct wire_submission *s,
    struct pt_why *why);
void allow_batch_commit(struct allow *a, struct allow_batch *ab);
void allow_batch_abort(struct allow_batch *ab);

#endif
