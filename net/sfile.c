/* sfile.c: files created safely (sfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pt.h"
#include "sfile.h"

int
sf_dirname(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (cap < 2)
			return PT_EINVAL;
		memcpy(buf, ".", 2);
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return PT_EINVAL;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

static int
fsync_dir(const char *path)
{
	char dir[SF_PATH_MAX];
	int fd, rc = 0;

	if (sf_dirname(path, dir, sizeof(dir)) != 0)
		return PT_EINVAL;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return PT_EIO;
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = PT_EIO;
	close(fd);
	return rc;
}

int
sf_check_dir_private(const char *dir, struct pt_why *why)
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
sf_check_secret(const char *path, int *readable, struct pt_why *why)
{
	char dir[SF_PATH_MAX];
	struct stat st;
	int rc;

	*readable = 0;
	if (sf_dirname(path, dir, sizeof(dir)) != 0)
		return pt_why_set(why, PT_EINVAL, "%s: path too long", path);
	if ((rc = sf_check_dir_private(dir, why)) != 0)
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
	*readable = (st.st_mode & 044) != 0;
	return 0;
}

int
sf_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmpcap,
    struct pt_why *why)
{
	char dir[SF_PATH_MAX];
	const char *base = strrchr(path, '/');
	int fd, n;

	base = base == NULL ? path : base + 1;
	if (sf_dirname(path, dir, sizeof(dir)) != 0 || base[0] == '\0')
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
sf_commit(const char *tmp, const char *path, int excl, struct pt_why *why)
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
	if (fsync_dir(path) != 0)
		return pt_why_set(why, PT_EIO, "%s: fsync of directory failed",
		    path);
	return 0;
}

int
sf_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
sf_write(const char *path, const void *data, size_t len, unsigned mode,
    int excl, struct pt_why *why)
{
	char tmp[SF_PATH_MAX + 16], dir[SF_PATH_MAX];
	int fd, rc, e;
	struct stat st;

	if (excl && lstat(path, &st) == 0)
		return pt_why_set(why, PT_ECONFLICT, "%s: already exists",
		    path);
	if ((mode & 077) == 0) {
		if (sf_dirname(path, dir, sizeof(dir)) != 0)
			return pt_why_set(why, PT_EINVAL, "%s: path too long",
			    path);
		if ((rc = sf_check_dir_private(dir, why)) != 0)
			return rc;
	}
	if ((fd = sf_tmpfile(path, mode, tmp, sizeof(tmp), why)) < 0)
		return fd;
	if ((e = sf_write_all(fd, data, len)) != 0) {
		errno = e;
		goto fail;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return sf_commit(tmp, path, excl, why);
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
}
