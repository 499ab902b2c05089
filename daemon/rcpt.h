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
struct rcpt_ctx;

/*
 * Receipt for the entry at index under the signed checkpoint note (of tree
 * size ck_size > index): entry bytes + C2SP tlog-proof with the inclusion
 * proof.  Appended to out.  O(log n) reads in t.  0, PT_ERANGE (index >=
 * ck_size), PT_ENOMEM, or the store's and the formatters' errors.
 */
int rcpt_build(struct store_txn *t, uint64_t index, const char *note,
    size_t note_len, uint64_t ck_size, struct wire_buf *out);

/*
 * Many receipts from one read transaction (a committed batch): the stored
 * hashes read for one proof are kept and reused by the next ones, so the
 * receipts of consecutive entries share the reads of the nodes their
 * proofs have in common (every level above the lowest few).  The bytes
 * are exactly rcpt_build's.  rcpt_ctx_new: NULL when out of memory; t must
 * outlive the context.  rcpt_ctx_free accepts NULL.
 */
struct rcpt_ctx *rcpt_ctx_new(struct store_txn *t);
int rcpt_ctx_build(struct rcpt_ctx *c, uint64_t index, const char *note,
    size_t note_len, uint64_t ck_size, struct wire_buf *out);
void rcpt_ctx_free(struct rcpt_ctx *c);

#endif
