/*
 * ckpt.h: C2SP tlog-checkpoint bodies (the text of a signed note):
 *
 *   <origin>\n
 *   <decimal tree size>\n
 *   <base64 root hash>\n
 *   [<extension line>\n ...]
 *
 * Origin: non-empty, <= PT_MAX_ORIGIN bytes, printable, no leading/trailing
 * space.  Size: decimal without leading zeros (except "0").  Root: canonical
 * base64 of exactly 32 bytes.  Extension lines: non-empty, <= PT_CKPT_MAX_EXT.
 */
#ifndef PT_CKPT_H
#define PT_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "ptlimits.h"
#include "mt.h"

struct ckpt {
	char origin[PT_MAX_ORIGIN + 1];
	uint64_t size;
	struct mt_hash root;
	size_t next;				/* number of extension lines */
	char ext[PT_CKPT_MAX_EXT][PT_NOTE_MAX_LINE + 1];
};

/*
 * Parse a checkpoint body strictly: note_text_check() rules, then the three
 * lines and the extension lines as above; size <= 2^63 - 1.  PT_EMALFORMED,
 * PT_EUTF8, PT_ETOOBIG (origin, a line, too many extension lines),
 * PT_ERANGE (size > 2^63 - 1).  O(len), no allocation.
 */
int ckpt_parse(const char *text, size_t len, struct ckpt *out);
/* Same checks as ckpt_parse without filling a struct. */
int ckpt_check(const char *text, size_t len);
/* Format the body (NUL-terminated). *outlen (may be NULL) gets the length
 * without the NUL.  PT_ETOOBIG when cap is too small; PT_EINVAL when c is
 * not a valid checkpoint (the output is re-parsed). */
int ckpt_format(const struct ckpt *c, char *out, size_t cap, size_t *outlen);

/*
 * Parse and verify a signed checkpoint note against the log's key: the note
 * must carry a valid signature by log_key (an Ed25519 key), its origin must
 * equal the key's name (C2SP: the origin line and key name SHOULD match; we
 * require it), and its body must parse.  Every other signature line is
 * ignored here: which witness cosignatures count is decided by one
 * function, pol_cosigs (policy.h).
 *
 * Errors: those of note_parse and ckpt_parse; PT_EUNKNOWNSIGNER when
 * log_key did not sign; PT_ESIG when its signature fails; PT_EMALFORMED
 * for two lines by log_key; PT_EORIGIN when the origin is not log_key's
 * name; PT_EINVAL for a log_key that is not Ed25519.  out may be NULL.
 * Work: one parse, one Ed25519 verification.
 */
struct note;
struct note_vkey;
int ckpt_open(const char *note, size_t len, const struct note_vkey *log_key,
    struct ckpt *out);
/* The same for a note already parsed (note_parse): n and its buffer are
 * only read. */
int ckpt_open_note(const struct note *n, const struct note_vkey *log_key,
    struct ckpt *out);

#endif
