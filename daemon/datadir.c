/*
 * datadir.c: DIR/pubtraild.lock and DIR/checkpoint (see datadir.h for
 * why they exist and the slot layout).  Plain POSIX I/O, no LMDB.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "datadir.h"
#include "num.h"
#include "pt.h"
#include "ptlimits.h"

#define COPY_MAGIC	"PTCKPv1\n"
#define PATH_CAP	4096
#define DATADIR_PAGE	4096	/* a slot is written in whole pages */

_Static_assert(DATADIR_SLOT >= DATADIR_SLOT_HDR + PT_LOG_NOTE_MAX,
    "a slot holds the longest note");
_Static_assert(DATADIR_SLOT_HDR == 8 + 8 + 4 + 4 + 32, "slot header");
_Static_assert(DATADIR_SLOT % DATADIR_PAGE == 0, "a slot is whole pages");

/* DIR/name into path; PT_EINVAL when it does not fit. */
static int
dir_path(char path[PATH_CAP], const char *dir, const char *name)
{
	if ((size_t)snprintf(path, PATH_CAP, "%s/%s", dir, name) >= PATH_CAP)
		return PT_EINVAL;
	return 0;
}

/* ---- the lock file ---- */

/*
 * The pid the holder wrote ("<decimal>\n"), or 0 when the file holds
 * anything else: a holder that has not written it yet, or a program that
 * is not pubtraild.  One pread.
 */
static uint64_t
holder_pid(int fd)
{
	char buf[32];
	ssize_t n;
	uint64_t pid;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 2 || buf[n - 1] != '\n')
		return 0;
	if (num_parse_u64(buf, (size_t)n - 1, 1, INT_MAX, &pid) != 0)
		return 0;
	return pid;
}

/* Record our pid as the holder's, for the next one's refusal. */
static int
holder_write(int fd)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		return PT_EIO;
	return 0;
}

int
datadir_lock(const char *dir, int *fdp, struct pt_why *why)
{
	char path[PATH_CAP];
	uint64_t pid;
	int fd, e, rc;

	*fdp = -1;
	if (dir_path(path, dir, DATADIR_LOCK_NAME) != 0)
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		e = errno;
		return pt_why_set(why, e == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s", path, strerror(e));
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno;
		if (e != EWOULDBLOCK)
			rc = pt_why_set(why, PT_EIO, "%s: flock: %s", path,
			    strerror(e));
		else if ((pid = holder_pid(fd)) != 0)
			rc = pt_why_set(why, PT_EBUSY, "%s: the log store is "
			    "in use by another pubtraild (pid %llu holds %s); "
			    "refusing to open it twice", dir,
			    (unsigned long long)pid, path);
		else
			rc = pt_why_set(why, PT_EBUSY, "%s: the log store is "
			    "in use by another process (it holds %s); refusing "
			    "to open it twice", dir, path);
		close(fd);
		return rc;
	}
	if (holder_write(fd) != 0) {
		e = errno;
		close(fd);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	*fdp = fd;
	return 0;
}

void
datadir_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the flock */
}

/* ---- the checkpoint copy ---- */

static void
put_be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

struct copy_slot {
	uint64_t seq;
	uint32_t len;
	int	 valid;
};

/* Parse one slot of which got bytes could be read. */
static void
slot_parse(const uint8_t *buf, size_t got, struct copy_slot *cs)
{
	uint8_t h[32];

	memset(cs, 0, sizeof(*cs));
	if (got < DATADIR_SLOT_HDR || memcmp(buf, COPY_MAGIC, 8) != 0)
		return;
	cs->seq = (uint64_t)get_be32(buf + 8) << 32 | get_be32(buf + 12);
	cs->len = get_be32(buf + 16);
	if (cs->len == 0 || cs->len > PT_LOG_NOTE_MAX ||
	    DATADIR_SLOT_HDR + cs->len > got)
		return;
	if (cr_sha256(buf + DATADIR_SLOT_HDR, cs->len, NULL, 0, NULL, 0,
	    h) != 0 || memcmp(h, buf + 24, 32) != 0)
		return;
	cs->valid = 1;
}

/* The bytes of a slot that are written for a note of len bytes: its
 * header and note, zero-padded to a whole page. */
static size_t
slot_span(size_t len)
{
	size_t n = DATADIR_SLOT_HDR + len;

	n = (n + DATADIR_PAGE - 1) / DATADIR_PAGE * DATADIR_PAGE;
	return n < DATADIR_SLOT ? n : DATADIR_SLOT;
}

/* Fill a new slot's first slot_span(len) bytes: header, note, zero
 * padding. */
static int
slot_fill(uint8_t *slot, uint64_t seq, const char *note, size_t len)
{
	memset(slot, 0, slot_span(len));
	memcpy(slot, COPY_MAGIC, 8);
	put_be32(slot + 8, (uint32_t)(seq >> 32));
	put_be32(slot + 12, (uint32_t)seq);
	put_be32(slot + 16, (uint32_t)len);
	memcpy(slot + DATADIR_SLOT_HDR, note, len);
	return cr_sha256(note, len, NULL, 0, NULL, 0, slot + 24);
}

/* Read up to want bytes of slot k into buf, of which *got are already
 * there; fewer at the end of the file.  PT_EIO. */
static int
slot_read_to(int fd, int k, uint8_t *buf, size_t want, size_t *got)
{
	while (*got < want) {
		ssize_t n = pread(fd, buf + *got, want - *got,
		    (off_t)k * DATADIR_SLOT + (off_t)*got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return PT_EIO;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* Read both slots of an open copy file into bufs (2 * DATADIR_SLOT
 * bytes): the first page of each, and the rest of its note when the
 * header gives a longer one; *best is the newest valid one, -1 when none
 * is.  PT_EIO. */
static int
slots_read(int fd, uint8_t *bufs, struct copy_slot cs[2], int *best)
{
	*best = -1;
	for (int k = 0; k < 2; k++) {
		uint8_t *b = bufs + k * DATADIR_SLOT;
		size_t got = 0, len;

		if (slot_read_to(fd, k, b, DATADIR_PAGE, &got) != 0)
			return PT_EIO;
		if (got == DATADIR_PAGE && memcmp(b, COPY_MAGIC, 8) == 0 &&
		    (len = get_be32(b + 16)) <= PT_LOG_NOTE_MAX &&
		    slot_read_to(fd, k, b, DATADIR_SLOT_HDR + len, &got) != 0)
			return PT_EIO;
		slot_parse(b, got, &cs[k]);
		if (cs[k].valid && (*best < 0 || cs[k].seq > cs[*best].seq))
			*best = k;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int dfd, ok;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return PT_EIO;
	ok = fsync(dfd) == 0;
	close(dfd);
	return ok ? 0 : PT_EIO;
}

/*
 * Open DIR/checkpoint for writing, creating it when absent.  A file
 * shorter than its two slots (new, or left so by a failure right after it
 * was created) gets both allocated, and it and its directory are synced,
 * so that later writes need no new blocks.  PT_EIO.
 */
static int
copy_open(const char *dir, const char *path, int *fdp)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		return PT_EIO;
	if (fstat(fd, &st) != 0 || (st.st_size < 2 * DATADIR_SLOT &&
	    (posix_fallocate(fd, 0, 2 * DATADIR_SLOT) != 0 ||
	    fsync(fd) != 0 || fsync_dir(dir) != 0))) {
		close(fd);
		return PT_EIO;
	}
	*fdp = fd;
	return 0;
}

/* Write the first n bytes of a slot at off.  PT_EIO. */
static int
slot_write(int fd, const uint8_t *slot, size_t n_slot, off_t off)
{
	size_t done = 0;

	while (done < n_slot) {
		ssize_t n = pwrite(fd, slot + done, n_slot - done,
		    off + (off_t)done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return PT_EIO;
		done += (size_t)n;
	}
	return 0;
}

int
datadir_copy_write(const char *dir, const char *note, size_t len)
{
	char path[PATH_CAP];
	struct copy_slot cs[2];
	uint8_t *bufs, *slot;
	uint64_t seq;
	int fd, best, rc;

	if (note == NULL || len == 0 || len > PT_LOG_NOTE_MAX)
		return PT_EINVAL;
	if (dir_path(path, dir, DATADIR_COPY_NAME) != 0)
		return PT_EINVAL;
	if ((bufs = malloc(2 * DATADIR_SLOT)) == NULL)
		return PT_ENOMEM;
	if ((rc = copy_open(dir, path, &fd)) != 0) {
		free(bufs);
		return rc;
	}
	if ((rc = slots_read(fd, bufs, cs, &best)) == 0) {
		seq = best < 0 ? 1 : cs[best].seq + 1;
		slot = bufs + (seq % 2) * DATADIR_SLOT;
		if ((rc = slot_fill(slot, seq, note, len)) == 0 &&
		    (rc = slot_write(fd, slot, slot_span(len), (off_t)(seq %
		    2) * DATADIR_SLOT)) == 0)
			rc = fdatasync(fd) == 0 ? 0 : PT_EIO;
	}
	free(bufs);
	if (close(fd) != 0 && rc == 0)
		rc = PT_EIO;
	return rc;
}

int
datadir_copy_read(const char *dir, char **note, size_t *len)
{
	char path[PATH_CAP];
	struct copy_slot cs[2];
	uint8_t *bufs;
	int fd, best, rc;

	*note = NULL;
	*len = 0;
	if (dir_path(path, dir, DATADIR_COPY_NAME) != 0)
		return PT_EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? PT_ENOTFOUND : PT_EIO;
	if ((bufs = malloc(2 * DATADIR_SLOT)) == NULL) {
		close(fd);
		return PT_ENOMEM;
	}
	rc = slots_read(fd, bufs, cs, &best);
	close(fd);
	if (rc == 0 && best < 0)
		rc = PT_EMALFORMED;
	if (rc == 0 && (*note = malloc(cs[best].len + 1)) == NULL)
		rc = PT_ENOMEM;
	if (rc == 0) {
		memcpy(*note, bufs + best * DATADIR_SLOT + DATADIR_SLOT_HDR,
		    cs[best].len);
		(*note)[cs[best].len] = '\0';
		*len = cs[best].len;
	}
	free(bufs);
	return rc;
}
