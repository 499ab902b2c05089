/*
 * rcpt.h: receipts and proofs built from the store, shared by the
 * sequencer (new entries) and the HTTP handlers (existing entries).
 */
#ifndef PTD_RCPT_H
#define PTD_RCPT_H

#include <stddef.h>
#include <stdint.h>

struct store_txn;
struct wire_buf;

/*
 * Receipt for the entry at index under the signed checkpoint note (of tree
 * size ck_size > index): entry bytes + C2SP tlog-proof with the inclusion
 * proof.  Appended to out.  O(log n) reads in t.
 */
int rcpt_build(struct store_txn *t, uint64_t index, const char *note,
    size_t note_len, uint64_t ck_size, struct wire_buf *out);

#endif
