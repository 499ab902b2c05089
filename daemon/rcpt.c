/* rcpt.c: receipts from the store. */
#include <stdlib.h>
#include <string.h>

#include "mt.h"
#include "pt.h"
#include "rcpt.h"
#include "store.h"
#include "tproof.h"
#include "wire.h"

/*
 * Stored hashes kept per level, any four, the oldest replaced: what the
 * proofs of consecutive leaves share is at most the path's left sibling
 * and the one subtree of the tree's right edge at that level (the ranges
 * right of the path), and a proof's reads also pass the other children.
 * Two slots chosen by n's parity made the sibling and the right edge
 * evict each other: 4.7 reads per receipt missed, each up to 7 node
 * hashes (levels 1..3 and 5..7 are hashed up from their group).
 */
#define RC_LEVELS	64
#define RC_WAYS		4

struct rc_slot {
	uint64_t n;
	struct mt_hash h;
	int ok;
};

struct rcpt_ctx {
	struct store_txn *t;
	struct mt_reader store;		/* the transaction's reader */
	struct rc_slot slot[RC_LEVELS][RC_WAYS];
	unsigned char next[RC_LEVELS];	/* the slot replaced next */
	struct tproof tp;
	char text[PT_NOTE_MAX + 128 + PT_MAX_PROOF * 46];
	/* The note the last receipt was formatted under (checked then):
	 * the receipts of a batch share it, and it is checked once. */
	char note[PT_NOTE_MAX];
	size_t note_len;
};

/* mt_read_fn: a stored hash, from the context when it was read before.
 * Complete subtrees never change, so a kept hash stays right. */
static int
cached_read(void *arg, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct rcpt_ctx *c = arg;
	struct rc_slot *sl;
	int rc;

	if (level >= RC_LEVELS)
		return c->store.read(c->store.ctx, level, n, out);
	for (unsigned i = 0; i < RC_WAYS; i++) {
		sl = &c->slot[level][i];
		if (sl->ok && sl->n == n) {
			*out = sl->h;
			return 0;
		}
	}
	if ((rc = c->store.read(c->store.ctx, level, n, out)) != 0)
		return rc;
	sl = &c->slot[level][c->next[level]];
	c->next[level] = (unsigned char)((c->next[level] + 1) % RC_WAYS);
	sl->n = n;
	sl->h = *out;
	sl->ok = 1;
	return 0;
}

struct rcpt_ctx *
rcpt_ctx_new(struct store_txn *t)
{
	struct rcpt_ctx *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->t = t;
	store_txn_reader(t, &c->store);
	return c;
}

void
rcpt_ctx_free(struct rcpt_ctx *c)
{
	free(c);
}

int
rcpt_ctx_build(struct rcpt_ctx *c, uint64_t index, const char *note,
    size_t note_len, uint64_t ck_size, struct wire_buf *out)
{
	struct mt_reader r = { cached_read, c };
	struct tproof *tp = &c->tp;
	struct wire_receipt wr;
	const uint8_t *entry;
	size_t elen, plen;
	int rc;

	if (index >= ck_size)
		return PT_ERANGE;
	if (note_len > PT_NOTE_MAX)
		return PT_ETOOBIG;
	memset(tp, 0, sizeof(*tp));
	if ((rc = mt_inclusion_proof(&r, index, ck_size, tp->proof,
	    PT_MAX_PROOF, &tp->n)) != 0)
		return rc;
	if ((rc = store_get_entry(c->t, index, &entry, &elen)) != 0)
		return rc;
	tp->index = index;
	tp->note = note;
	tp->note_len = note_len;
	tp->note_checked = note_len > 0 && c->note_len == note_len &&
	    memcmp(c->note, note, note_len) == 0;
	if ((rc = tproof_format(tp, c->text, sizeof(c->text), &plen)) != 0)
		return rc;
	if (!tp->note_checked) {
		memcpy(c->note, note, note_len);
		c->note_len = note_len;
	}
	wr.entry = entry;
	wr.entry_len = elen;
	wr.index = index;
	wr.proof = c->text;
	wr.proof_len = plen;
	return wire_receipt_encode(&wr, out);
}

int
rcpt_build(struct store_txn *t, uint64_t index, const char *note,
    size_t note_len, uint64_t ck_size, struct wire_buf *out)
{
	struct rcpt_ctx *c;
	int rc;

	if (index >= ck_size)
		return PT_ERANGE;
	if ((c = rcpt_ctx_new(t)) == NULL)
		return PT_ENOMEM;
	rc = rcpt_ctx_build(c, index, note, note_len, ck_size, out);
	rcpt_ctx_free(c);
	return rc;
}
