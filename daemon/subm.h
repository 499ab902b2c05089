/*
 * subm.h: the submitters file (DATA/submitters or the configured file),
 * which only bootstraps a log's grants (daemon/allow.h: who may append is
 * decided by the log's office_key entries), and per-submitter token
 * buckets (rate limits).
 *
 *   # comment
 *   <verifier key string> [record type ...] [| SCHEME ID DISPLAY NAME]
 *
 * One office per line; with no types listed every office record type
 * (payment, permit_decision, correction) is granted.  After a "|", the
 * organisation the key signs for (an org-id.guide scheme, the id within
 * it) and the office's display name, which may hold spaces: they go into
 * the key's grant.  Used from the event-loop thread only.
 */
#ifndef PTD_SUBM_H
#define PTD_SUBM_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"
#include "pt.h"

struct subm_entry {
	char vkey[PT_MAX_VKEY + 1];
	struct note_vkey key;
	uint8_t id[32];			/* wire_submitter_id(vkey) */
	unsigned types;			/* bit (1 << record_type) */
	unsigned line;			/* in the file */
	char *office;			/* "SCHEME ID NAME" after '|', or NULL
					 * (heap; subm_free frees it) */
	double tokens;			/* rate-limit bucket */
	uint64_t last_ms;
};

struct subm_list {
	size_t n;
	struct subm_entry *e;
};

/*
 * Parse path: a line is at most SUBM_MAX_LINE bytes, '#' starts a comment,
 * blank lines are skipped; at most SUBM_MAX_ENTRIES keys.  A missing file
 * is an empty list (nobody may submit).  0 with *out (freed with
 * subm_free), or PT_EINVAL (bad key or type, duplicate key, two keys of
 * the same name, over-long line, NUL byte), PT_ETOOBIG (too many keys), PT_EIO, PT_ENOMEM, with the
 * file and line in why (may be NULL).  O(n^2) in the number of keys (the
 * duplicate check); SIGHUP and start-up only.
 */
#define SUBM_MAX_LINE	1024
#define SUBM_MAX_ENTRIES 100000
int subm_load(const char *path, struct subm_list **out, struct pt_why *why);
/* Free l; NULL is allowed. */
void subm_free(struct subm_list *l);
/* Carry rate-limit state from old to new for keys in both. */
void subm_carry(struct subm_list *new_list, const struct subm_list *old);
/* Entry for a verifier key string, or NULL. */
struct subm_entry *subm_find(struct subm_list *l, const char *vkey,
    size_t len);
/* Take one token: 0, or PT_ERATE when over rate (rate 0 = unlimited). */
int subm_take(struct subm_entry *e, uint64_t now_ms, uint64_t rate,
    uint64_t burst);
/* Refill, then 0 when a token is available (none is taken), PT_ERATE when
 * not: a fast refusal before any work. */
int subm_peek(struct subm_entry *e, uint64_t now_ms, uint64_t rate,
    uint64_t burst);
/* Give back a token taken by subm_take (the submission was not the
 * office's: its signature did not verify). */
void subm_refund(struct subm_entry *e, uint64_t rate, uint64_t burst);

#endif
