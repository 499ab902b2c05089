/*
 * datadir.h: the two files of pubtraild's data directory that live outside
 * LMDB.  Plain POSIX I/O: no LMDB, no libevent.  The store (store.c) is its
 * caller in the daemon; tests/unit/test_datadir.c drives it alone.
 *
 * DIR/pubtraild.lock: one writer.  LMDB lets two writer processes take
 * turns, and a second pubtraild taking turns with the first would sign a
 * second view of the log.  datadir_lock takes flock(LOCK_EX|LOCK_NB) on it
 * and writes the holder's pid ("<decimal>\n") into it so that the next
 * one's refusal can name the holder.  The kernel drops the lock when the
 * process dies (a crash never leaves a stale lock).  flock locks belong to
 * the open file description, so a second datadir_lock in the same process
 * is refused too.
 *
 * DIR/checkpoint: a copy of the latest signed checkpoint, for rollback
 * detection after a restore from an old backup.  Two fixed-size slots are
 * written in turn, so that updating the copy never needs new disk blocks
 * (a full disk cannot stop it) and a write torn by a crash spoils at most
 * the slot being written:
 *
 *   slot k at offset k * DATADIR_SLOT, k = seq % 2:
 *     "PTCKPv1\n"  seq (u64 BE)  len (u32 BE)  0 (u32)  SHA-256(note)
 *     note (len bytes)  zero padding to the end of its 4 KiB page
 *
 * Only those pages are written (one, for a log's checkpoint: the copy is
 * written at every commit), and only they are read, so the bytes after
 * them may be an older note's.  Both slots are allocated
 * (posix_fallocate) when the file is created, or when a failure left it
 * shorter.  A reader takes the valid slot (magic, bounds, hash) with the
 * larger seq.
 */
#ifndef PT_DATADIR_H
#define PT_DATADIR_H

#include <stddef.h>

struct pt_why;

#define DATADIR_LOCK_NAME	"pubtraild.lock"
#define DATADIR_COPY_NAME	"checkpoint"
#define DATADIR_SLOT		20480	/* >= header + PT_LOG_NOTE_MAX, pages */
#define DATADIR_SLOT_HDR	56	/* magic, seq, len, 0, SHA-256 */

/*
 * Take DIR/pubtraild.lock (created 0600 when absent) and write our pid in
 * it; *fd gets the descriptor that holds the lock (release it with
 * datadir_unlock; -1 on failure).  PT_EBUSY when another process, or
 * another datadir_lock of this process, holds it (why names DIR and the
 * holder's pid when the file holds one); PT_ENOTFOUND when DIR does not
 * exist; PT_EINVAL (path too long); PT_EIO.  O(1).
 */
int datadir_lock(const char *dir, int *fd, struct pt_why *why);
/* Release the lock taken by datadir_lock (close fd); -1 is ignored. */
void datadir_unlock(int fd);

/*
 * Write note (1..PT_LOG_NOTE_MAX bytes) to the next slot of DIR/checkpoint
 * (creating and allocating the file first when needed), then fdatasync.
 * PT_EINVAL (bad length, path too long), PT_ENOMEM, PT_EIO (any failed
 * open, allocation, write or sync: the caller must stop, never retry an
 * fsync).  O(len): the pages of the note, after reading those of both slots.
 */
int datadir_copy_write(const char *dir, const char *note, size_t len);

/*
 * The newest valid slot of DIR/checkpoint as a new NUL-terminated heap
 * copy in *note (the caller frees it with free()), *len bytes without the
 * NUL.  PT_ENOTFOUND (no file), PT_EMALFORMED (no valid slot), PT_EINVAL
 * (path too long), PT_ENOMEM, PT_EIO (unreadable).  *note is NULL on
 * failure.  O(the notes' pages).
 */
int datadir_copy_read(const char *dir, char **note, size_t *len);

#endif
