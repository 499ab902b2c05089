/*
 * fuzz_witreq.c: the C2SP tlog-witness exchange (proto/witreq): the
 * add-checkpoint request parser, the 409 size body and the check of a 200
 * answer's cosignature lines.  Every input goes to all three.
 * Invariants beyond "no crash, no sanitizer report":
 *   - an accepted request formats back to exactly the input, but for old
 *     0 with a proof, which parses (the witness answers it 422) and which
 *     witreq_format never writes;
 *   - an accepted request never has more than PT_WITREQ_MAX_PROOF hashes,
 *     and its note is the input's tail;
 *   - an accepted size body formats back to exactly the input;
 *   - witreq_resp_check accepts only an answer holding a line by the
 *     witness key, copies that line whole, and the copy is in the input.
 * The witness key and the checkpoint text are the fixed ones of seeds.py.
 */
#include <string.h>

#include "fuzz.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "ptlimits.h"
#include "witreq.h"

#define FUZZ_WIT_VKEY "fuzz.example/witness+dd3a5dc6+BLggz1/ZR6ZvKtKdksRLV" \
	"aYFYpNoOIJfIptARUEO3V24"
/* The checkpoint text seeds.py cosigns (13 leaves "entry 0".."entry 12"). */
#define FUZZ_CKPT_TEXT "fuzz.example/log\n13\n" \
	"wMEonwBgX419h4C59CZMc2zPuEzpFwjCsn5kJr/H2Kg=\n"

static struct note_vkey wkey;

static int
contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}
static int have_key = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct witreq w;
	static char out[PT_WITREQ_MAX_BODY + 64];
	char line[WITREQ_LINE_MAX];
	const char *buf = (const char *)data;
	size_t olen;
	uint64_t v, ts;

	if (have_key < 0)
		have_key = note_vkey_parse(FUZZ_WIT_VKEY,
		    strlen(FUZZ_WIT_VKEY), &wkey) == 0;
	FUZZ_ASSERT(have_key == 1);

	if (witreq_parse(buf, size, &w, NULL) == 0) {
		FUZZ_ASSERT(size <= PT_WITREQ_MAX_BODY);
		FUZZ_ASSERT(w.nproof <= PT_WITREQ_MAX_PROOF);
		FUZZ_ASSERT(w.note_len > 0 && w.note + w.note_len == buf + size);
		if (w.old == 0 && w.nproof != 0) {
			FUZZ_ASSERT(witreq_format(w.old, w.proof, w.nproof,
			    w.note, w.note_len, out, sizeof(out), &olen) ==
			    PT_EINVAL);
		} else {
			FUZZ_ASSERT(witreq_format(w.old, w.proof, w.nproof,
			    w.note, w.note_len, out, sizeof(out), &olen) == 0);
			FUZZ_ASSERT(olen == size && memcmp(out, buf, size) ==
			    0);
		}
	}
	if (witreq_size_parse(buf, size, &v) == 0) {
		FUZZ_ASSERT(witreq_size_format(v, out, sizeof(out), &olen) ==
		    0);
		FUZZ_ASSERT(olen == size && memcmp(out, buf, size) == 0);
	}
	memset(line, 0, sizeof(line));
	if (witreq_resp_check(buf, size, FUZZ_CKPT_TEXT,
	    strlen(FUZZ_CKPT_TEXT), &wkey, line, sizeof(line), &ts) == 0) {
		size_t ll = strlen(line);

		FUZZ_ASSERT(ll > 0 && line[ll - 1] == '\n');
		FUZZ_ASSERT(ll <= size);
		FUZZ_ASSERT(contains(buf, size, line, ll));
		FUZZ_ASSERT(strncmp(line, "\xe2\x80\x94 fuzz.example/witness ",
		    4 + strlen("fuzz.example/witness ")) == 0);
	}
	return 0;
}
