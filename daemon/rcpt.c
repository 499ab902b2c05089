/* rcpt.c: receipts from the store. */
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "rcpt.h"
#include "store.h"
#include "tproof.h"
#include "wire.h"

int
rcpt_build(struct store_txn *t, uint64_t index, const char *note,
    size_t note_len, uint64_t ck_size, struct wire_buf *out)
{
	struct mt_reader r;
	struct tproof *tp;
	struct wire_receipt wr;
	const uint8_t *entry;
	size_t elen, cap, plen;
	char *text;
	int rc;

	if (index >= ck_size)
		return PT_ERANGE;
	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return PT_ENOMEM;
	store_txn_reader(t, &r);
	if ((rc = mt_inclusion_proof(&r, index, ck_size, tp->proof,
	    PT_MAX_PROOF, &tp->n)) != 0)
		goto out;
	if ((rc = store_get_entry(t, index, &entry, &elen)) != 0)
		goto out;
	tp->index = index;
	tp->note = note;
	tp->note_len = note_len;
	cap = note_len + 128 + tp->n * 46;
	if ((text = malloc(cap)) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	if ((rc = tproof_format(tp, text, cap, &plen)) == 0) {
		wr.entry = entry;
		wr.entry_len = elen;
		wr.index = index;
		wr.proof = text;
		wr.proof_len = plen;
		rc = wire_receipt_encode(&wr, out);
	}
	free(text);
out:
	free(tp);
	return rc;
}
