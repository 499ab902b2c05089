/*
 * presign.h: records signed ahead, on a second thread, while `pubtrail
 * submit` is still reading and checking the rest of its input.
 *
 * Nothing may be sent before the whole input is checked (all or nothing),
 * so that first phase runs on one core while the other idles; the
 * signatures, the largest part of submit's own CPU, need not wait for it.
 * Each valid record is queued as it is read (a copy of its bytes; at most
 * PRESIGN_MAX records and PRESIGN_BYTES held, so memory stays bounded),
 * and signed in input order with the office key for the origin named by
 * --log-key.  When the input is read the thread stops after its current
 * signature; the sender then takes, for record k, the submission made for
 * exactly those bytes under exactly the checkpoint's origin, or signs it
 * itself.  A signature made ahead is the one the sender would have made
 * (Ed25519 is deterministic), and nothing is sent or written before the
 * sender takes it: the order of disclosures before their records is the
 * sender's, as before.
 */
#ifndef PT_CLIENT_PRESIGN_H
#define PT_CLIENT_PRESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"

#define PRESIGN_MAX	32768	/* records queued ahead, ~1 KiB each */
#define PRESIGN_BYTES	(64u << 20) /* bytes held (copies, submissions) */

struct presign;

/* Start the thread for key k and origin.  0, PT_ENOMEM, or PT_EIO (no
 * thread, no kept signer): the caller goes on without one. */
int presign_start(const struct note_skey *k, const char *origin,
    struct presign **out);

/* Queue a copy of valid record k (k counts the records offered, from 0;
 * a k out of turn, past PRESIGN_MAX or PRESIGN_BYTES, or no memory ends
 * the queueing).  Never fails: what is not queued the sender signs. */
void presign_add(struct presign *p, size_t k, const uint8_t *rec,
    size_t len);

/* How many records are signed so far (in order, from the first). */
size_t presign_signed(struct presign *p);

/* The input is read: stop the thread after its current signature.  n is
 * the number of valid records kept; when it is not the number offered
 * (repeated ids dropped, the indexes moved) every result is dropped. */
void presign_stop(struct presign *p, size_t n);

/* Record k's submission, made ahead for exactly rec (len bytes) under
 * origin: 1 with *sub (malloc'd, the caller's), *sublen and sig; 0 when
 * there is none.  p may be NULL. */
int presign_take(struct presign *p, size_t k, const char *origin,
    const uint8_t *rec, size_t len, uint8_t **sub, size_t *sublen,
    uint8_t sig[64]);

/* Stop (if running) and free; NULL does nothing. */
void presign_free(struct presign *p);

#endif
