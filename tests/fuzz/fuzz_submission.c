/*
 * fuzz_submission.c: the submission decoder and the schema validator.
 * Every input goes through wire_check_canonical, record_check and each
 * message decoder (submission, entry, receipt, inclusion and consistency
 * proof answers).  Invariants beyond "no crash, no sanitizer report":
 *   - anything a decoder accepts is canonical (wire_check_canonical agrees);
 *   - an accepted message re-encodes to exactly the input bytes (one record,
 *     one encoding);
 *   - an accepted submission's record is itself an accepted record with the
 *     same type and id;
 *   - rejection leaves the output zeroed where the header promises it.
 */
#include <string.h>

#include "fuzz.h"
#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "record.h"
#include "wire.h"

static void
check_reencode(const uint8_t *in, size_t len, const struct wire_buf *b)
{
	FUZZ_ASSERT(b->len == len);
	FUZZ_ASSERT(memcmp(b->data, in, len) == 0);
}

static void
fuzz_submission(const uint8_t *data, size_t size, int canonical)
{
	struct wire_submission s;
	struct wire_buf b;
	struct record_info ri;
	struct pt_why why;
	int rc;

	rc = wire_submission_decode(data, size, &s, &why);
	if (rc != 0) {
		static const struct wire_submission zero;

		FUZZ_ASSERT(rc < 0);
		FUZZ_ASSERT(memcmp(&s, &zero, sizeof(s)) == 0);
		return;
	}
	FUZZ_ASSERT(canonical == 0);
	FUZZ_ASSERT(size <= PT_MAX_SUBMISSION);
	FUZZ_ASSERT(s.record >= data && s.record + s.record_len <= data + size);
	FUZZ_ASSERT(record_check(s.record, s.record_len, &ri, NULL) == 0);
	FUZZ_ASSERT(ri.type == s.info.type && ri.id_len == s.info.id_len);
	FUZZ_ASSERT(memcmp(ri.id, s.info.id, ri.id_len) == 0);
	wire_buf_init(&b);
	FUZZ_ASSERT(wire_submission_encode(&s, &b) == 0);
	check_reencode(data, size, &b);
	wire_buf_free(&b);
	/* The signature check must neither crash nor accept for a log the
	 * corpus was not signed for (fuzzed signatures are not valid ones). */
	rc = wire_submission_verify(&s, "fuzz.invalid/never-signed-for");
	FUZZ_ASSERT(rc == PT_ESIG || rc == PT_ENOMEM);
}

static void
fuzz_entry(const uint8_t *data, size_t size, int canonical)
{
	struct wire_entry e;
	struct wire_buf b;

	if (wire_entry_decode(data, size, &e, NULL) != 0)
		return;
	FUZZ_ASSERT(canonical == 0);
	FUZZ_ASSERT(size <= PT_MAX_ENTRY);
	wire_buf_init(&b);
	FUZZ_ASSERT(wire_entry_encode(&e.sub, e.time_ms, &b) == 0);
	check_reencode(data, size, &b);
	wire_buf_free(&b);
}

static void
fuzz_receipt(const uint8_t *data, size_t size, int canonical)
{
	struct wire_receipt r;
	struct wire_buf b;

	if (wire_receipt_decode(data, size, &r, NULL) != 0)
		return;
	/* A receipt's entry and proof text may exceed the generic string and
	 * bin limits wire_check_canonical applies; nothing else may differ. */
	FUZZ_ASSERT(canonical == 0 || canonical == PT_ETOOBIG);
	FUZZ_ASSERT(r.index < PT_MAX_TREE_SIZE);
	FUZZ_ASSERT(r.entry_len >= 1 && r.entry_len <= PT_MAX_ENTRY);
	wire_buf_init(&b);
	FUZZ_ASSERT(wire_receipt_encode(&r, &b) == 0);
	check_reencode(data, size, &b);
	wire_buf_free(&b);
}

static void
fuzz_proofs(const uint8_t *data, size_t size, int canonical)
{
	struct mt_hash proof[PT_MAX_PROOF];
	struct wire_buf b;
	uint64_t x, y;
	size_t n;

	if (wire_inclusion_decode(data, size, &x, &y, proof, PT_MAX_PROOF, &n,
	    NULL) == 0) {
		FUZZ_ASSERT(canonical == 0);
		FUZZ_ASSERT(x < y && y <= PT_MAX_TREE_SIZE && n <= PT_MAX_PROOF);
		wire_buf_init(&b);
		FUZZ_ASSERT(wire_inclusion_encode(x, y, proof, n, &b) == 0);
		check_reencode(data, size, &b);
		wire_buf_free(&b);
	}
	if (wire_consistency_decode(data, size, &x, &y, proof, PT_MAX_PROOF,
	    &n, NULL) == 0) {
		FUZZ_ASSERT(canonical == 0);
		FUZZ_ASSERT(x <= y && y <= PT_MAX_TREE_SIZE && n <= PT_MAX_PROOF);
		wire_buf_init(&b);
		FUZZ_ASSERT(wire_consistency_encode(x, y, proof, n, &b) == 0);
		check_reencode(data, size, &b);
		wire_buf_free(&b);
	}
	/* A caller with room for fewer hashes must get PT_ETOOBIG, never an
	 * overflow of its array. */
	if (size > 0 && wire_inclusion_decode(data, size, &x, &y, proof,
	    data[0] % 4, &n, NULL) == 0)
		FUZZ_ASSERT(n <= (size_t)(data[0] % 4));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_info ri;
	struct pt_why why;
	int canonical;

	canonical = wire_check_canonical(data, size, &why);
	FUZZ_ASSERT(canonical <= 0);
	if (record_check(data, size, &ri, &why) == 0) {
		FUZZ_ASSERT(canonical == 0);
		FUZZ_ASSERT(size <= PT_MAX_RECORD);
		FUZZ_ASSERT(ri.type >= RECORD_PAYMENT &&
		    ri.type <= RECORD_CORRECTION);
		FUZZ_ASSERT(ri.id_len >= 1 && ri.id_len <= PT_MAX_ID);
		FUZZ_ASSERT(ri.id >= (const char *)data &&
		    ri.id + ri.id_len <= (const char *)data + size);
	}
	fuzz_submission(data, size, canonical);
	fuzz_entry(data, size, canonical);
	fuzz_receipt(data, size, canonical);
	fuzz_proofs(data, size, canonical);
	return 0;
}
