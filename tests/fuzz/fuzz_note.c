/*
 * fuzz_note.c: the signed-note, checkpoint and tlog-proof parsers, and the
 * signature checks behind them (note_parse, ckpt_parse, ckpt_check,
 * tproof_parse, ckpt_open, note_verify with a log key and a witness
 * cosignature key, pol_cosigs with a policy of that witness).  Invariants
 * beyond "no crash, no sanitizer report":
 *   - a parsed note rebuilds to exactly the input from its text and its
 *     signature lines (nothing skipped, nothing invented), each line where
 *     its line pointer says; short signatures re-encode to their line;
 *   - pol_cosigs counts the witness only when its line verifies;
 *   - ckpt_parse and ckpt_check agree; a parsed checkpoint formats back to
 *     exactly its text;
 *   - a parsed tlog-proof formats back to exactly the input;
 *   - ckpt_open accepts only what note_parse and ckpt_parse accept, with
 *     the origin equal to the log key's name.
 * The seed corpus (seeds.py) holds notes signed by the fixed keys below so
 * that the verification paths are reached.
 */
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "fuzz.h"
#include "mt.h"
#include "note.h"
#include "policy.h"
#include "pt.h"
#include "ptlimits.h"
#include "tproof.h"

/* Fixed test keys (seeds.py has the private halves; nothing else uses
 * them). */
#define FUZZ_LOG_VKEY "fuzz.example/log+06b82f25+AbezO4RUlI+/vxkOTnMPnqv+" \
	"Yvzhv2bwLUuvi5ul7c77"
#define FUZZ_WIT_VKEY "fuzz.example/witness+dd3a5dc6+BLggz1/ZR6ZvKtKdksRLV" \
	"aYFYpNoOIJfIptARUEO3V24"

static struct note_vkey keys[2];
static int nkeys = -1;
static struct pol pol;		/* witness keys[1], quorum none */

static void
load_keys(void)
{
	if (nkeys >= 0)
		return;
	nkeys = 0;
	if (note_vkey_parse(FUZZ_LOG_VKEY, strlen(FUZZ_LOG_VKEY),
	    &keys[0]) != 0)
		return;
	nkeys = 1;
	if (note_vkey_parse(FUZZ_WIT_VKEY, strlen(FUZZ_WIT_VKEY),
	    &keys[1]) != 0)
		return;
	pol.quorum = POL_NONE;
	pol.nwit = 1;
	strcpy(pol.wit[0].name, "w");
	pol.wit[0].key = keys[1];
	nkeys = 2;
}

/* Rebuild the note from its parts; it must be the input. */
static void
check_note_rebuild(const char *buf, size_t len, const struct note *n)
{
	static char out[PT_NOTE_MAX + 1];
	size_t off = 0;

	FUZZ_ASSERT(n->text == buf);
	FUZZ_ASSERT(n->text_len >= 1 && n->text_len < len);
	FUZZ_ASSERT(n->text[n->text_len - 1] == '\n');
	FUZZ_ASSERT(n->nsigs >= 1 && n->nsigs <= PT_NOTE_MAX_SIGS);
	FUZZ_ASSERT(n->text_len <= PT_NOTE_MAX_TEXT);
	/* The lines tile the rest of the input. */
	off = n->text_len + 1;
	for (size_t i = 0; i < n->nsigs; i++) {
		FUZZ_ASSERT(n->sigs[i].sig_len >= 1);
		FUZZ_ASSERT(n->sigs[i].line == buf + off);
		FUZZ_ASSERT(n->sigs[i].line_len <= PT_NOTE_MAX_SIG_LINE);
		FUZZ_ASSERT(buf[off + n->sigs[i].line_len - 1] == '\n');
		off += n->sigs[i].line_len;
	}
	FUZZ_ASSERT(off == len);
	/* A signature longer than NOTE_SIG_MAX (an unknown kind, ignored by
	 * note_verify) keeps only its length and first bytes: no re-encoding
	 * of the whole note. */
	for (size_t i = 0; i < n->nsigs; i++)
		if (n->sigs[i].sig_len > NOTE_SIG_MAX)
			return;
	memcpy(out, n->text, n->text_len);
	off = n->text_len;
	out[off++] = '\n';
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_sig *s = &n->sigs[i];
		uint8_t raw[4 + NOTE_SIG_MAX];
		size_t nl = strlen(s->name);
		int b;

		FUZZ_ASSERT(off + 4 + nl + 1 < sizeof(out));
		memcpy(out + off, "\xe2\x80\x94 ", 4);
		off += 4;
		memcpy(out + off, s->name, nl);
		off += nl;
		out[off++] = ' ';
		raw[0] = (uint8_t)(s->hash >> 24);
		raw[1] = (uint8_t)(s->hash >> 16);
		raw[2] = (uint8_t)(s->hash >> 8);
		raw[3] = (uint8_t)s->hash;
		memcpy(raw + 4, s->sig, s->sig_len);
		FUZZ_ASSERT(off + cr_b64_enclen(4 + s->sig_len) + 2 <
		    sizeof(out));
		b = cr_b64_encode(raw, 4 + s->sig_len, out + off,
		    sizeof(out) - off);
		FUZZ_ASSERT(b > 0);
		off += (size_t)b;
		out[off++] = '\n';
	}
	FUZZ_ASSERT(off == len);
	FUZZ_ASSERT(memcmp(out, buf, len) == 0);
}

static void
check_ckpt(const char *text, size_t len)
{
	static struct ckpt c;
	static char out[PT_NOTE_MAX + 1];
	size_t olen;
	int rc;

	rc = ckpt_parse(text, len, &c);
	FUZZ_ASSERT((rc == 0) == (ckpt_check(text, len) == 0));
	if (rc != 0)
		return;
	FUZZ_ASSERT(c.size <= INT64_MAX);
	FUZZ_ASSERT(c.next <= PT_CKPT_MAX_EXT);
	FUZZ_ASSERT(ckpt_format(&c, out, sizeof(out), &olen) == 0);
	FUZZ_ASSERT(olen == len && memcmp(out, text, len) == 0);
}

static void
check_tproof(const char *buf, size_t len)
{
	static struct tproof p;
	static char out[PT_NOTE_MAX * 2];
	size_t olen;

	if (tproof_parse(buf, len, &p) != 0)
		return;
	FUZZ_ASSERT(p.n <= PT_MAX_PROOF);
	FUZZ_ASSERT(p.note >= buf && p.note + p.note_len == buf + len);
	FUZZ_ASSERT(tproof_format(&p, out, sizeof(out), &olen) == 0);
	FUZZ_ASSERT(olen == len && memcmp(out, buf, len) == 0);
	/* The embedded note is a signed checkpoint: open it too. */
	if (nkeys == 2)
		(void)ckpt_open(p.note, p.note_len, &keys[0], NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note n;
	static struct ckpt c;
	const char *buf = (const char *)data;
	struct pol_cosigs cs;
	uint64_t verified = 0;
	int rc, orc, crc;

	load_keys();
	FUZZ_ASSERT(nkeys == 2);
	rc = note_parse(buf, size, &n);
	if (rc == 0) {
		check_note_rebuild(buf, size, &n);
		check_ckpt(n.text, n.text_len);
		rc = note_verify(&n, keys, 2, &verified);
		FUZZ_ASSERT(rc <= 0);
		if (rc == 0)
			FUZZ_ASSERT(verified != 0 && (verified & ~3ULL) == 0);
		/* The witness counts only when its line verifies: then
		 * note_verify found it too (or failed on the log's line). */
		crc = pol_cosigs(&pol, &n, UINT64_MAX / 4, &cs);
		FUZZ_ASSERT(crc <= 0);
		if (crc == 0) {
			FUZZ_ASSERT((cs.counted & ~1ULL) == 0 &&
			    cs.future == 0 && cs.unverifiable == 0);
			FUZZ_ASSERT((cs.counted & ~cs.present) == 0);
			if (cs.counted && rc == 0)
				FUZZ_ASSERT(verified & 2);
		} else
			FUZZ_ASSERT(cs.counted == 0);
	} else {
		FUZZ_ASSERT(n.nsigs == 0 && n.text == NULL);
		/* The input may itself be a bare checkpoint body. */
		check_ckpt(buf, size);
	}
	orc = ckpt_open(buf, size, &keys[0], &c);
	if (orc == 0) {
		FUZZ_ASSERT(note_parse(buf, size, &n) == 0);
		FUZZ_ASSERT(ckpt_check(n.text, n.text_len) == 0);
		FUZZ_ASSERT(strcmp(c.origin, keys[0].name) == 0);
	}
	check_tproof(buf, size);
	return 0;
}
