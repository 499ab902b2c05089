/*
 * sfile.h: files created safely, for pubtraild and pubtrail alike (keys,
 * state, receipts, backups).  Plain POSIX I/O.
 *
 * A file is written through a new temporary file in its own directory
 * (mkstemp: O_CREAT | O_EXCL, so a file or symbolic link planted at that
 * name is never opened), with its final mode, written, fsynced, closed,
 * then renamed over the path (rename replaces a symbolic link at the path,
 * it never writes through it) or, when the file must be new, linked to it
 * (link fails if anything, a dangling link included, is there); then the
 * directory is fsynced.  Private files (no group or other bits: keys,
 * state) are refused in a directory others can write, where someone could
 * swap them.  Each refusal names the command that fixes it.
 */
#ifndef PT_NET_SFILE_H
#define PT_NET_SFILE_H

#include <stddef.h>

struct pt_why;

#define SF_PATH_MAX	4096

/*
 * Write data (len bytes) to path as above, with mode; excl: the file must
 * not exist (PT_ECONFLICT when anything is at path).  0; PT_EINVAL (path
 * too long), PT_EIO (the directory others can write, or any failed call;
 * the reason in why, which may be NULL).  O(len).
 */
int sf_write(const char *path, const void *data, size_t len, unsigned mode,
    int excl, struct pt_why *why);

/*
 * A new temporary file for path, in path's directory, named
 * DIR/.BASE.XXXXXX, mode set to mode, close-on-exec; its name in tmp
 * (tmpcap bytes).  Returns the open descriptor (>= 0), or PT_EINVAL /
 * PT_EIO with the reason in why.  Finish with sf_commit (or close and
 * unlink it).
 */
int sf_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmpcap,
    struct pt_why *why);

/* Move a written, fsynced and closed temporary file to path (rename, or
 * link when excl), then fsync the directory; tmp is removed on failure.
 * 0, PT_ECONFLICT, PT_EIO. */
int sf_commit(const char *tmp, const char *path, int excl,
    struct pt_why *why);

/* All len bytes of data to fd (a short write continued, EINTR retried):
 * 0, or the errno of the failed write (EIO when it wrote nothing). */
int sf_write_all(int fd, const void *data, size_t len);

/* The directory part of path ("." when it has none) into buf (cap
 * bytes).  0 or PT_EINVAL. */
int sf_dirname(const char *path, char *buf, size_t cap);

/* dir must not be writable by group or others (PT_EIO naming the chmod
 * that fixes it).  PT_EIO also when it is missing or not a directory. */
int sf_check_dir_private(const char *dir, struct pt_why *why);

/*
 * Before reading a private key at path: refused (PT_EIO, with the command
 * that fixes it) when the file or its directory is writable by group or
 * others, or it is not a regular file; *readable set to 1 when group or
 * others may read it (the caller warns or refuses), else 0.  PT_ENOTFOUND
 * when it does not exist.  O(1).
 */
int sf_check_secret(const char *path, int *readable, struct pt_why *why);

#endif
