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

int
ut_write_file(const char *path, const void *data, size_t len, unsigned mode,
    int excl, struct pt_why *why)
{
	char tmp[UT_PATH_MAX];
	const uint8_t *p = data;
	size_t off = 0;
	int fd, n;
	struct stat st;

	if (excl && lstat(path, &st) == 0)
		return pt_why_set(why, PT_ECONFLICT, "%s: already exists",
		    path);
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    (mode_t)mode)) < 0)
		return pt_why_set(why, PT_EIO, "%s: %s", tmp, strerror(errno));
	(void)fchmod(fd, (mode_t)mode);
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
	fd = -1;
	if (excl) {
		/* link() refuses an existing target: no race with another
		 * writer creating path meanwhile. */
		if (link(tmp, path) != 0) {
			int e = errno;

			unlink(tmp);
			return pt_why_set(why, e == EEXIST ? PT_ECONFLICT :
			    PT_EIO, "%s: %s", path, strerror(e));
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0)
		goto fail;
	if (fsync_dir_of(path) != 0)
		return pt_why_set(why, PT_EIO, "%s: fsync of directory failed",
		    path);
	return 0;
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
