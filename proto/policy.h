/*
 * policy.h: C2SP tlog-policy trust policies, and checking a signed
 * checkpoint against one.
 *
 *   log <vkey> [<url>]
 *   witness <name> <vkey> [<url>]
 *   group <name> all|any|<k> <name>...
 *   quorum <name>|none
 *
 * Lines end in "\n"; items are separated by runs of space or tab; leading
 * and trailing blanks, empty lines and "#" comment lines are ignored.  Only
 * tab, newline, 0x20-0x7E and 0x80-0xFF may appear.  A group or the quorum
 * may only name witnesses and groups defined on earlier lines; a name is
 * defined once and listed in one group at most once; "none" is reserved;
 * exactly one quorum line.  Log keys are Ed25519 (0x01), witness keys
 * Ed25519 cosignature (0x04) or ML-DSA-44 cosignature (0x06) keys; two keys
 * with the same public key are duplicates.  Names are opaque octet strings.
 * No I/O.
 *
 * Which cosignatures count toward the quorum is decided in one place,
 * pol_cosigs: by the log's witness client before it publishes, and by every
 * client command that applies a policy.
 */
#ifndef PT_POLICY_H
#define PT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt.h"
#include "note.h"
#include "pt.h"
#include "ptlimits.h"

struct pol_witness {
	char name[PT_POLICY_MAX_NAME + 1];
	struct note_vkey key;		/* NOTE_ALG_COSIG_V1 or _MLDSA44 */
	char url[PT_POLICY_MAX_URL + 1]; /* "" when absent */
};

struct pol_log {
	struct note_vkey key;		/* alg NOTE_ALG_ED25519 */
	char url[PT_POLICY_MAX_URL + 1];
};

/* A member is witness i (i < POL_GROUP_BASE) or group i - POL_GROUP_BASE. */
#define POL_GROUP_BASE	64
#define POL_NONE	0xffff		/* quorum none */

struct pol_group {
	char name[PT_POLICY_MAX_NAME + 1];
	unsigned k;			/* threshold, 1 <= k <= n */
	unsigned n;
	uint16_t member[PT_POLICY_MAX_WITNESSES + PT_POLICY_MAX_GROUPS];
};

/* A parsed policy: about 60 KB, allocate it on the heap. */
struct pol {
	size_t nlogs;
	struct pol_log logs[PT_POLICY_MAX_LOGS];
	size_t nwit;
	struct pol_witness wit[PT_POLICY_MAX_WITNESSES];
	size_t ngroups;
	struct pol_group groups[PT_POLICY_MAX_GROUPS];
	uint16_t quorum;		/* witness, group + POL_GROUP_BASE, or POL_NONE */
};

/*
 * Parse a policy file strictly.  0, or PT_EMALFORMED (syntax, an unknown
 * keyword, a name used before it is defined or defined twice, a duplicate
 * key or member, k out of range, no or two quorum lines, a key of the
 * wrong type, a character not allowed), PT_ETOOBIG (file over
 * PT_POLICY_MAX, more than the PT_POLICY_MAX_* logs, witnesses or groups, a
 * name or URL too long); the reason, with the line number, in *why (may be
 * NULL).  out is zeroed first.  O(len + groups * members), no allocation.
 */
int pol_parse(const char *buf, size_t len, struct pol *out,
    struct pt_why *why);

/*
 * Is the quorum met when exactly the witnesses in mask (bit i: wit[i])
 * cosigned?  1 yes, 0 no.  "quorum none" is always met.
 * O(groups * members).
 */
int pol_quorum_met(const struct pol *p, uint64_t mask);

/* Index of the witness whose key equals k (name, hash, alg, public key),
 * or -1.  O(witnesses). */
int pol_find_witness(const struct pol *p, const struct note_vkey *k);

/*
 * What each policy witness's cosignature on one checkpoint counts for.
 * Bit i of each mask is wit[i].
 */
struct pol_cosigs {
	int done;		/* 1: the lines were looked at (else all 0) */
	uint64_t present;	/* a line by wit[i]'s (name, key ID) is there */
	uint64_t counted;	/* verified, dated no later than now + skew */
	uint64_t future;	/* verified, dated later: does not count */
	uint64_t unverifiable;	/* a key type this build cannot verify
				 * (ML-DSA-44): never counts, line or not */
	uint64_t time[PT_POLICY_MAX_WITNESSES]; /* of verified ones */
};

/*
 * The one rule for which cosignatures count.  n is a parsed note whose text
 * is a checkpoint (the log's signature is not looked at here: see
 * pol_check_checkpoint).  For each witness of p: its line (by name and key
 * ID) is looked for; a witness of a type note_alg_verifiable refuses is
 * unverifiable and never counts; otherwise its line must verify as a
 * cosignature over the text (one that does not rejects the whole note:
 * PT_ESIG; two lines by one witness key: PT_EMALFORMED), and it counts when
 * its timestamp is at most now + PT_COSIG_SKEW_S, else it is future.
 * Lines by keys not in p are ignored, whatever their size.  0 and *out
 * filled, or PT_ESIG, PT_EMALFORMED, ckpt_check's errors, PT_EINVAL, with
 * *out all zero.  now is POSIX seconds (at most 2^62).
 * Work: one Ed25519 verification per line by a policy witness.
 */
struct note;
int pol_cosigs(const struct pol *p, const struct note *n, uint64_t now,
    struct pol_cosigs *out);

/*
 * Accept a signed checkpoint under the policy:
 *   - it opens (ckpt_open) with logkey, or, when logkey is NULL, with the
 *     policy's log whose name is the checkpoint's origin; when both are
 *     given and the policy lists logs, logkey must be one of them;
 *   - the cosignatures that count (pol_cosigs, at time now) meet the
 *     quorum.
 * 0 and *out / *cs (each may be NULL) filled (*cs also when the quorum is
 * not met); or the errors of ckpt_open and pol_cosigs, PT_EUNKNOWNSIGNER
 * (no policy log for the origin, logkey not in the policy, quorum not met),
 * PT_ETIME (the quorum would be met but for cosignatures from the future),
 * PT_ENOMEM; the reason in *why (it names witnesses that cannot be verified
 * here).  Work: one note parse, one Ed25519 verification per signature by
 * a known key.
 */
int pol_check_checkpoint(const struct pol *p, const char *note, size_t len,
    const struct note_vkey *logkey, uint64_t now, struct ckpt *out,
    struct pol_cosigs *cs, struct pt_why *why);

#endif
