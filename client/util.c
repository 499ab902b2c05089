/* util.c: bounded file I/O, atomic writes and number parsing. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
ut_read_stream(FILE *f, size_t max, uint8_t **buf, size_t *len,
    struct pt_why *why)
{
	uint8_t *b = NULL, *nb;
	size_t cap = 0, n = 0, got;

	*buf = NULL;
	*len = 0;
	for (;;) {
		/* Room for max+1 bytes (to notice "too big") and the NUL. */
		if (cap - n < 2) {
			size_t ncap = cap == 0 ? 4096 : cap * 2;

			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= cap) {
				free(b);
				return pt_why_set(why, PT_ETOOBIG,
				    "input is larger than %zu bytes", max);
			}
			if ((nb = realloc(b, ncap)) == NULL) {
				free(b);
				return PT_ENOMEM;
			}
			b = nb;
			cap = ncap;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			free(b);
			return pt_why_set(why, PT_ETOOBIG,
			    "input is larger than %zu bytes", max);
		}
		if (got == 0) {
			if (ferror(f)) {
				free(b);
				return pt_why_set(why, PT_EIO, "read: %s",
				    strerror(errno));
			}
			break;
		}
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int
ut_read_input(const char *path, size_t max, uint8_t **buf, size_t *len,
    struct pt_why *why)
{
	int rc = ut_read_file(path, max, buf, len, why);

	return rc == PT_ENOTFOUND ? PT_EIO : rc;
}

int
ut_read_file(const char *path, size_t max, uint8_t **buf, size_t *len,
    struct pt_why *why)
{
	FILE *f;
	int rc;

	if (strcmp(path, "-") == 0)
		return ut_read_stream(stdin, max, buf, len, why);
	if ((f = fopen(path, "rb")) == NULL) {
		int e = errno;

		return pt_why_set(why, e == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s", path, strerror(e));
	}
	rc = ut_read_stream(f, max, buf, len, why);
	if (rc != 0 && why != NULL) {
		char tmp[PT_WHY_MAX];
		size_t pl = strlen(path);

		memcpy(tmp, why->text, sizeof(tmp));
		if (pl > 80)
			pl = 80;
		snprintf(why->text, sizeof(why->text), "%.*s: %.*s", (int)pl,
		    path, (int)(sizeof(tmp) - 90), tmp);
	}
	fclose(f);
	return rc;
}

static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path), *dir;
	int fd, rc = 0;

	if (copy == NULL)
		return PT_ENOMEM;
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		free(copy);
		return PT_EIO;
	}
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = PT_EIO;
	close(fd);
	free(copy);
	return rc;
}

/* The directory part of path ("." when it has none) into buf. */
static int
dir_of(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(buf, cap, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return PT_EINVAL;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

int
ut_check_dir_private(const char *dir, struct pt_why *why)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pt_why_set(why, PT_EIO, "%s: not a directory", dir);
	if ((st.st_mode & 022) != 0)
		return pt_why_set(why, PT_EIO, "%s is writable by others (mode "
		    "%04o): keys and state are not kept there; run `chmod "
		    "go-w %s` or choose another directory", dir,
		    (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

int
ut_check_secret_file(const char *path, struct pt_why *why)
{
	char dir[UT_PATH_MAX];
	struct stat st;
	int rc;

	if (dir_of(path, dir, sizeof(dir)) != 0)
		return pt_why_set(why, PT_EINVAL, "%s: path too long", path);
	if ((rc = ut_check_dir_private(dir, why)) != 0)
		return rc;
	if (stat(path, &st) != 0)
		return pt_why_set(why, errno == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pt_why_set(why, PT_EIO, "%s: not a regular file", path);
	if ((st.st_mode & 022) != 0)
		return pt_why_set(why, PT_EIO, "%s is writable by others (mode "
		    "%04o): anyone could replace this key; run `chmod 600 %s`",
		    path, (unsigned)(st.st_mode & 07777), path);
	if ((st.st_mode & 044) != 0)
		fprintf(stderr, "pubtrail: warning: %s is readable by others "
		    "(mode %04o): anyone who can read it can sign as its "
		    "owner; run `chmod 600 %s`\n", path,
		    (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int
ut_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmpcap,
    struct pt_why *why)
{
	char dir[UT_PATH_MAX];
	const char *base = strrchr(path, '/');
	int fd, n;

	base = base == NULL ? path : base + 1;
	if (dir_of(path, dir, sizeof(dir)) != 0 || base[0] == '\0')
		return pt_why_set(why, PT_EINVAL, "%s: bad file name", path);
	n = snprintf(tmp, tmpcap, "%s/.%s.XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= tmpcap)
		return pt_why_set(why, PT_EINVAL, "%s: path too long", path);
	/* mkstemp: a new name, O_CREAT | O_EXCL (a planted file or symbolic
	 * link at it makes it pick another, never open that one), mode
	 * 0600; then the mode asked for. */
	if ((fd = mkstemp(tmp)) < 0)
		return pt_why_set(why, PT_EIO, "%s: cannot create a temporary "
		    "file in %s: %s", path, dir, strerror(errno));
	if (fchmod(fd, (mode_t)mode) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", tmp, strerror(e));
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int
ut_tmp_commit(const char *tmp, const char *path, int excl,
    struct pt_why *why)
{
	if (excl) {
		/* link() creates path or fails if anything (a file, a
		 * symbolic link) is there: never follows, never replaces. */
		if (link(tmp, path) != 0) {
			int e = errno;

			unlink(tmp);
			return pt_why_set(why, e == EEXIST ? PT_ECONFLICT :
			    PT_EIO, "%s: %s", path, e == EEXIST ?
			    "already exists" : strerror(e));
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		/* rename() replaces a symbolic link at path, not its target. */
		int e = errno;

		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	if (fsync_dir_of(path) != 0)
		return pt_why_set(why, PT_EIO, "%s: fsync of directory failed",
		    path);
	return 0;
}

int
ut_write_file(const char *path, const void *data, size_t len, unsigned mode,
    int excl, struct pt_why *why)
{
	char tmp[UT_PATH_MAX + 16], dir[UT_PATH_MAX];
	const uint8_t *p = data;
	size_t off = 0;
	int fd, rc;
	struct stat st;

	if (excl && lstat(path, &st) == 0)
		return pt_why_set(why, PT_ECONFLICT, "%s: already exists",
		    path);
	if ((mode & 077) == 0) {
		/* A private file (a key, state): not in a directory others
		 * can write, where they could swap it. */
		if (dir_of(path, dir, sizeof(dir)) != 0)
			return pt_why_set(why, PT_EINVAL, "%s: path too long",
			    path);
		if ((rc = ut_check_dir_private(dir, why)) != 0)
			return rc;
	}
	if ((fd = ut_tmpfile(path, mode, tmp, sizeof(tmp), why)) < 0)
		return fd;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return ut_tmp_commit(tmp, path, excl, why);
fail:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
}

int
ut_mkdirs(const char *path, unsigned mode, struct pt_why *why)
{
	char buf[UT_PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return pt_why_set(why, PT_EINVAL, "bad directory name");
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
			return pt_why_set(why, PT_EIO, "%s: %s", buf,
			    strerror(errno));
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}



uint64_t
ut_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

char *
ut_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t
ut_rtrim(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
	    s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}
