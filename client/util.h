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
 * Write data to path atomically: a temporary file in the same directory
 * with the given mode, fsync, rename, fsync of the directory.  When excl is
 * set, PT_ECONFLICT if path exists.  PT_EIO with the reason in *why.
 */
int ut_write_file(const char *path, const void *data, size_t len,
    unsigned mode, int excl, struct pt_why *why);

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
