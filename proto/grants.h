/*
 * grants.h: who may append what, decided from the log's own office_key
 * entries (docs/PROTOCOL.md section 6.6 and 7.1).
 *
 * One rule, one function: the log before it appends an entry (daemon/seq),
 * and every client that judges an entry (audit, verify, get, keys list,
 * monitor) replay the same office_key entries through grants_apply() in
 * index order and ask it the same question: "may the signer of this entry
 * append its record at index i, given the grants so far?"  The answer for
 * an office's record is record_may_append() (proto/record.h: its type, a
 * correction's replacement's type, a correction's target office) applied
 * to the types the office's key was granted, if the key was granted before
 * i, not revoked before i, and valid_from is not after the entry's time.
 * office_key entries themselves must be signed by the log's registrar (the
 * signer of its first office_key entry, or the key pinned with
 * grants_pin_registrar) and obey the grant and revoke rules below.
 *
 * Logs made before office keys (a "legacy prefix": entries before the
 * first office_key entry) are judged, in GRANTS_HISTORY mode, by the
 * grants of the log's first run of office_key entries (its migration):
 * such an entry is allowed when one of those grants gives its signer its
 * types.  The verdict comes when that run ends (grants_next_late).
 *
 * A grants object is not thread-safe: one thread at a time (the daemon
 * locks around it).  Memory: O(keys granted), at most PT_MAX_OFFICE_KEYS.
 */
#ifndef PT_GRANTS_H
#define PT_GRANTS_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"
#include "pt.h"
#include "ptlimits.h"
#include "wire.h"

#define GRANTS_NEVER	UINT64_MAX

struct grants;

/* One key the log granted, as its office_key entries say.  Read-only for
 * callers; owned by the grants object (valid until it changes or is
 * freed). */
struct grants_key {
	char vkey[PT_MAX_VKEY + 1];	/* the office's verifier key string */
	size_t vkey_len;
	struct note_vkey key;
	char *name;			/* display name (NUL-terminated) */
	size_t name_len;
	uint8_t *org;			/* organisation: canonical party map */
	size_t org_len;
	unsigned types;			/* bits 1 << enum record_type */
	uint64_t valid_from_ms;		/* 0: from the grant on */
	uint64_t granted_at;		/* index of the grant entry */
	uint64_t granted_time_ms;	/* its integration time */
	uint64_t revoked_at;		/* index of the revoke, or GRANTS_NEVER */
	uint64_t revoked_time_ms;
};

enum grants_mode {
	GRANTS_APPEND,		/* the log: an entry needs a grant, always */
	GRANTS_HISTORY,		/* a reader replaying a log from index 0:
				 * a legacy prefix is judged by the log's
				 * migration grants (see above) */
};

/* A new, empty set of grants.  0 or PT_ENOMEM.  grants_free() frees it
 * (NULL is allowed). */
int grants_new(enum grants_mode mode, struct grants **out);
void grants_free(struct grants *g);

/* A deep copy of g (the daemon's batch works on one, and keeps it when
 * the batch commits).  0 or PT_ENOMEM.  O(keys). */
int grants_clone(const struct grants *g, struct grants **out);

/*
 * Pin the registrar: every office_key entry must be signed by exactly this
 * verifier key string (a log's configured registrar_key; a client's
 * --registrar-key-pub).  Without a pin, the signer of the first office_key
 * entry is the registrar from then on.  0, PT_EINVAL (not an Ed25519
 * verifier key string), PT_ECONFLICT (an office_key entry was already
 * applied by another key: *why names it).
 */
int grants_pin_registrar(struct grants *g, const char *vkey, size_t len,
    struct pt_why *why);

/* Refuse grants of the log's own key k (its checkpoint key is never an
 * office's).  0 or PT_EINVAL. */
int grants_set_log_key(struct grants *g, const struct note_vkey *k);

/* The registrar's verifier key string (NULL while there is none) and the
 * index of the log's first office_key entry (GRANTS_NEVER: none yet). */
const char *grants_registrar(const struct grants *g, uint64_t *first_at);

/*
 * The rule.  May the entry s (decoded: wire_entry_decode or
 * wire_submission_decode; its signature is NOT checked here) be appended
 * at index with integration time time_ms (ms since the epoch), given the
 * entries applied so far?  target (target_len bytes; NULL when unknown)
 * is, for a correction, the submitter string of the entry it corrects.
 *
 * grants_check() only answers; grants_apply() also records an office_key
 * entry that passes (a grant or revoke takes effect from index + 1).
 * Indexes must increase from one grants_apply() to the next
 * (PT_ERANGE otherwise).  A refused entry changes nothing.
 *
 * 0, or: PT_EUNKNOWNSIGNER (no grant for the signer; an office_key entry
 * by a key other than the registrar), PT_EFORBIDDEN (revoked before index,
 * valid_from after time_ms, a type the grant does not allow, a correction
 * of another office's entry, the registrar signing an office's record, a
 * grant of the registrar's or the log's own key, a revoked key granted
 * again, a revoke of a key not in force, more than PT_MAX_OFFICE_KEYS
 * grants), PT_ECONFLICT (a grant of a key in force, of a key name or
 * public key held by another key in force), PT_ESCHEMA (a revoke whose
 * name or organisation is not its grant's), PT_ETOOBIG (more than
 * PT_MAX_OFFICE_KEYS legacy signers), PT_ENOMEM; the reason in *why (may
 * be NULL).
 * O(1) for an office's record (a hash lookup); O(keys) for an office_key
 * entry.
 */
int grants_check(const struct grants *g, uint64_t index, uint64_t time_ms,
    const struct wire_submission *s, const char *target, size_t target_len,
    struct pt_why *why);
int grants_apply(struct grants *g, uint64_t index, uint64_t time_ms,
    const struct wire_submission *s, const char *target, size_t target_len,
    struct pt_why *why);

/*
 * GRANTS_HISTORY: verdicts that come late, for legacy-prefix entries (see
 * above).  They are given once the log's first run of office_key entries
 * has ended: at the first office's entry after it, or at grants_end()
 * (call it when the replay reaches the end of the log).  Each call gives
 * the next refused legacy entry: 1 with its index and the reason, or 0 when
 * there is none (left).  Always 0 in GRANTS_APPEND mode.
 */
int grants_next_late(struct grants *g, uint64_t *index, struct pt_why *why);
void grants_end(struct grants *g);

/* The key whose verifier key string is vkey (len bytes), in force or
 * revoked; NULL when the log never granted it.  O(1). */
const struct grants_key *grants_find(const struct grants *g,
    const char *vkey, size_t len);

/* Keys in the order they were granted: index 0 .. grants_count() - 1. */
size_t grants_count(const struct grants *g);
const struct grants_key *grants_key_at(const struct grants *g, size_t i);

/*
 * "payment,permit_decision" (names of the types in mask, in byte order,
 * comma-separated) into out (cap bytes; 48 always suffice).  Returns out.
 */
char *grants_types_str(unsigned mask, char *out, size_t cap);

#endif
