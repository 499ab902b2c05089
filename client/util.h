/*
 * util.h: small helpers shared by the client's modules: bounded file
 * reads, atomic file writes, bounded number parsing, directories.
 * Every function returns 0 or a negative PT_E* code.
 */
#ifndef PT_CLIENT_UTIL_H
#define PT_CLIENT_UTIL_H

#define UT_PATH_MAX 4096

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pt.h"

/*
 * Read a whole file (path "-" is stdin) of at most max bytes into a fresh
 * NUL-terminated buffer (*buf, caller frees; *len excludes the NUL).
 * PT_ENOTFOUND (no such file), PT_EIO, PT_ETOOBIG (over max: nothing
 * beyond max+1 bytes is read), PT_ENOMEM.  Reason in *why.  O(size).
 */
int ut_read_file(const char *path, size_t max, uint8_t **buf, size_t *len,
    struct pt_why *why);

/* ut_read_file for a file the user named: a missing file is PT_EIO
 * (a local file error, exit 6), not PT_ENOTFOUND (exit 4 is for what the
 * log does not have). */
int ut_read_input(const char *path, size_t max, uint8_t **buf, size_t *len,
    struct pt_why *why);

/* Read all of f (at most max bytes) like ut_read_file. */
int ut_read_stream(FILE *f, size_t max, uint8_t **buf, size_t *len,
    struct pt_why *why);

/*
 * Write data to path atomically and safely: a new temporary file in the
 * same directory (mkstemp: O_CREAT | O_EXCL, so a planted file or symbolic
 * link is never opened) with the given mode, fsync, then rename over path
 * (which replaces a symbolic link there, never writes through it) or, when
 * excl is set, link (which fails, PT_ECONFLICT, if anything is at path),
 * and fsync of the directory.  A private file (mode without group or other
 * bits: keys, state) is refused (PT_EIO) in a directory others can write,
 * with the command that fixes it.  PT_EIO with the reason in *why.
 */
int ut_write_file(const char *path, const void *data, size_t len,
    unsigned mode, int excl, struct pt_why *why);

/*
 * A new temporary file for path, in path's directory, named
 * DIR/.BASE.XXXXXX (mkstemp), mode set to mode, close-on-exec; its name in
 * tmp (tmpcap bytes).  Returns the open descriptor (>= 0), or PT_EINVAL /
 * PT_EIO with the reason in *why.  Finish with ut_tmp_commit (or close and
 * unlink it).
 */
int ut_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmpcap,
    struct pt_why *why);

/* Move a written, fsynced and closed temporary file to path as
 * ut_write_file does (rename, or link when excl), then fsync the
 * directory; tmp is removed on failure.  0, PT_ECONFLICT, PT_EIO. */
int ut_tmp_commit(const char *tmp, const char *path, int excl,
    struct pt_why *why);

/* dir must not be writable by group or others (PT_EIO naming the chmod
 * that fixes it).  PT_EIO also when it is missing or not a directory. */
int ut_check_dir_private(const char *dir, struct pt_why *why);

/*
 * Before reading a private key at path: refused (PT_EIO, with the command
 * that fixes it) when the file or its directory is writable by group or
 * others; a warning on stderr when the file is readable by them.
 * PT_ENOTFOUND when it does not exist.
 */
int ut_check_secret_file(const char *path, struct pt_why *why);

/* Make directory path (and parents) with mode when absent.  PT_EIO. */
int ut_mkdirs(const char *path, unsigned mode, struct pt_why *why);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
uint64_t ut_now_ms(void);

/* Copy s (len bytes) to a fresh NUL-terminated string; NULL when out of
 * memory.  Caller frees. */
char *ut_strndup(const char *s, size_t len);

/* Trim trailing ASCII whitespace from a length, returning the new length. */
size_t ut_rtrim(const char *s, size_t len);

#endif
