/*
 * evidence.h: split-view evidence files and `pubtrail evidence verify`.
 *
 * An evidence file holds two checkpoints signed by one log that cannot both
 * be true, and the check that failed:
 *
 *   "pubtrail-evidence/v1\n"
 *   "kind " ("same-size" | "inconsistent") "\n"
 *   "check " <one line: what failed, for people> "\n"
 *   "old " <size of note A> "\n"             (kind inconsistent)
 *   "proof " <base64 32-byte hash> "\n"      (kind inconsistent, 0..64)
 *   "index " <leaf index> "\n"               (kind inclusion)
 *   "leaf " <base64 leaf hash in A> "\n"     (kind inclusion)
 *   "path " <base64 hash> "\n"               (0..64: its inclusion proof in A)
 *   "leaf " <base64 leaf hash in B> "\n"
 *   "path " <base64 hash> "\n"               (0..64: in B)
 *   "note " <decimal length> "\n" <note A: that many bytes>
 *   "note " <decimal length> "\n" <note B: that many bytes>
 *
 * same-size: both notes are checkpoints signed by the log key, of the same
 * size, with different roots.  This alone proves a split view: anyone with
 * the log's key can check it offline, and `evidence verify` exits 0.
 *
 * inclusion: the two checkpoints hold different leaves at one index, each
 * proven by an RFC 9162 inclusion proof against its signed root: proves a
 * split view whatever the two sizes, and `evidence verify` exits 0.
 *
 * inconsistent: note A is smaller than note B and the log answered a
 * consistency proof (the proof lines) that does not verify between them.
 * That is what the witness or gossip peer saw, kept for people to look
 * into; it does not prove a split view by itself (a proof could have been
 * damaged in transit), so `evidence verify` reports it and exits 1.
 */
#ifndef PT_CLIENT_EVIDENCE_H
#define PT_CLIENT_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"
#include "note.h"
#include "pt.h"

#define EVD_SAME_SIZE		1
#define EVD_INCONSISTENT	2
#define EVD_INCLUSION		3

struct evd {
	int kind;
	char check[512];
	uint64_t old;
	size_t nproof;
	struct mt_hash proof[PT_MAX_PROOF];
	uint64_t index;			/* kind inclusion */
	struct mt_hash leaf[2];
	size_t npath[2];
	struct mt_hash path[2][PT_MAX_PROOF];
	const char *note[2];		/* into the parsed buffer */
	size_t note_len[2];
};

/*
 * Format an evidence file into a fresh heap buffer (*out, NUL-terminated,
 * caller frees; *outlen without the NUL).  The check text is cut at the
 * first newline and at 500 bytes.  PT_EINVAL, PT_ETOOBIG (over
 * PT_EVIDENCE_MAX), PT_ENOMEM.
 */
int evd_format(const struct evd *e, char **out, size_t *outlen);

/* Parse strictly (exact framing, no trailing bytes, bounded by
 * PT_EVIDENCE_MAX).  e's notes point into buf.  0 or PT_EMALFORMED /
 * PT_ETOOBIG with the reason in *why.  O(len). */
int evd_parse(const char *buf, size_t len, struct evd *e, struct pt_why *why);

/*
 * Does e prove that logkey signed two incompatible checkpoints?  0 yes
 * (both notes open with logkey, same origin, and: same size with different
 * roots, or, kind inclusion, different leaves at one index below both
 * sizes with inclusion proofs that verify against both roots); otherwise the reason in *why and PT_ESIG / PT_EUNKNOWNSIGNER /
 * PT_EORIGIN (a note not signed by logkey), PT_ECONFLICT (kind
 * inconsistent: recorded, not provable offline), PT_EINVAL (the notes are
 * compatible: not evidence at all).  Work: two checkpoint openings.
 */
int evd_check(const struct evd *e, const struct note_vkey *logkey,
    struct pt_why *why);

/*
 * Write e into dir/evidence/ (created 0755 when missing) under a fresh
 * name "<origin hash 8 hex>-<size A>-<size B>-<unix time>-<random>.evidence";
 * path (may be NULL, cap bytes) gets the file's path.  Durable (fsync of
 * file and directory) before returning.  PT_EIO, PT_ENOMEM.
 */
int evd_save(const char *dir, const struct evd *e, char *path, size_t cap,
    struct pt_why *why);

/* `pubtrail evidence verify --log-key VKEY FILE`: exit 0 when FILE proves
 * a split view, 1 when it does not, 2 usage, 3 I/O. */
int evidence_main(int argc, char **argv);

#endif
