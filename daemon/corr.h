/*
 * corr.h: which entry a stored entry corrects, for the store's
 * corrections index (store.h store_classify_fn).
 */
#ifndef PTD_CORR_H
#define PTD_CORR_H

#include <stddef.h>
#include <stdint.h>

/* 0 with *target and *kind (STORE_CORR_VOID or _AMEND) when entry (at
 * index) is a correction, PT_ENOTFOUND when it is another record,
 * PT_ECORRUPT when it does not decode.  ctx is unused.  O(len). */
int corr_classify(const uint8_t *entry, size_t len, uint64_t index,
    uint64_t *target, unsigned *kind, void *ctx);

#endif
