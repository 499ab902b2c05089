/*
 * pub.h: the published checkpoint, one object that main makes and passes
 * to who needs it (the sequencer writes it, the routes and the witness
 * client read it).
 *
 * It holds two signed notes:
 *   latest: the latest log-signed checkpoint, set by the sequencer thread
 *     after each commit.  Its size bounds every read (nothing beyond it
 *     is served).
 *   served: what GET /checkpoint answers and receipts carry.  Without
 *     wait_quorum: the latest, with any witness cosignatures obtained for
 *     it.  With wait_quorum: the latest checkpoint whose cosignatures meet
 *     the witness policy's quorum (empty, size 0, until there is one).
 * Every function may be called from any thread (one mutex inside); each
 * copies at most PT_NOTE_MAX bytes.
 */
#ifndef PTD_PUB_H
#define PTD_PUB_H

#include <stddef.h>
#include <stdint.h>

struct pub;

/* Called after each pub_signed, on the sequencer's thread, outside the
 * lock: main wakes its event loop with it (event_active is thread-safe). */
typedef void (*pub_notify_fn)(void *arg);

/* New, empty (sizes 0, no notes).  notify may be NULL.  0 or PT_ENOMEM. */
int pub_new(int wait_quorum, pub_notify_fn notify, void *arg,
    struct pub **out);
/* Free p; NULL is allowed.  Nobody may use p after. */
void pub_free(struct pub *p);
/* Whether served waits for a quorum (fixed at pub_new). */
int pub_wait_quorum(const struct pub *p);

/*
 * Copy the latest log-signed (pub_latest) or the served (pub_served)
 * checkpoint: note (may be NULL) gets its bytes and a NUL when cap is
 * larger than its length (cap >= PT_NOTE_MAX + 1 always is), else *len is
 * 0; len and size may be NULL.  *len is 0 when there is no note yet.
 */
void pub_latest(struct pub *p, char *note, size_t cap, size_t *len,
    uint64_t *size);
void pub_served(struct pub *p, char *note, size_t cap, size_t *len,
    uint64_t *size);

/* A log-signed checkpoint of size was committed (or verified at start-up):
 * it becomes the latest (and, without wait_quorum, the served one); then
 * notify is called.  A note over PT_NOTE_MAX bytes is ignored. */
void pub_signed(struct pub *p, const char *note, size_t len, uint64_t size);

/* Witness cosignatures arrived for the checkpoint of size (note: the
 * log-signed note with the cosignature lines): without wait_quorum it is
 * served if size is still the latest; with it, if quorum is set and size
 * is not below the served size. */
void pub_cosigned(struct pub *p, const char *note, size_t len,
    uint64_t size, int quorum);

#endif
