/* util.c: bounded file I/O, atomic writes and number parsing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sfile.h"
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

int
ut_check_dir_private(const char *dir, struct pt_why *why)
{
	return sf_check_dir_private(dir, why);
}

int
ut_check_secret_file(const char *path, struct pt_why *why)
{
	int readable, rc;

	if ((rc = sf_check_secret(path, &readable, why)) != 0)
		return rc;
	if (readable)
		fprintf(stderr, "pubtrail: warning: %s is readable by others: "
		    "anyone who can read it can sign as its owner; run "
		    "`chmod 600 %s`\n", path, path);
	return 0;
}

int
ut_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmpcap,
    struct pt_why *why)
{
	return sf_tmpfile(path, mode, tmp, tmpcap, why);
}

int
ut_tmp_commit(const char *tmp, const char *path, int excl,
    struct pt_why *why)
{
	return sf_commit(tmp, path, excl, why);
}

int
ut_write_file(const char *path, const void *data, size_t len, unsigned mode,
    int excl, struct pt_why *why)
{
	return sf_write(path, data, len, mode, excl, why);
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
