/*
 * fsync_shim.c: an LD_PRELOAD library that fails the Nth durability-relevant
 * call on a file under one directory, for the fault tests
 * (tests/integration/test_faults.py).  Wrapped: fsync, fdatasync, msync,
 * write, writev, pwrite, pwrite64, pwritev, pwritev64.
 *
 * Environment:
 *   PT_SHIM_DIR     count only calls on files under this directory (msync,
 *                   which has no descriptor, always counts); required
 *   PT_SHIM_OPS     comma-separated names of the calls to count (default:
 *                   all of them; "write" also covers writev, "pwrite" also
 *                   pwrite64, pwritev and pwritev64)
 *   PT_SHIM_FAIL_N  fail the Nth counted call (1-based); 0 or unset: count
 *                   only.  Later calls succeed again (what a kernel does
 *                   after it dropped dirty pages: the fsyncgate trap)
 *   PT_SHIM_MODE    "drop" (default): fail without doing anything, the
 *                   data never reaches the file; "persist": do the call,
 *                   then report failure anyway
 *   PT_SHIM_LOG     append "<count> <call> <path> <result>" per counted
 *                   call to this file
 *   PT_SHIM_ARM     count only while this file exists (so a test can let
 *                   start-up and some batches pass, then arm the shim)
 * The failure is errno EIO, return -1.
 *
 * Build: cc -shared -fPIC -o fsync_shim.so fsync_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_ulong shim_count;
static _Thread_local int shim_busy;

static const char *
shim_env(const char *k)
{
	const char *v = getenv(k);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static void *
shim_next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort();
	return p;
}

/* Is this call one we count (op selected, fd under the directory)? */
static int
shim_match(const char *op, const char *alias, int fd, char *path,
    size_t cap)
{
	const char *dir = shim_env("PT_SHIM_DIR");
	const char *ops = shim_env("PT_SHIM_OPS");
	const char *arm = shim_env("PT_SHIM_ARM");
	struct stat st;
	char link[64];
	ssize_t n;
	size_t dl;

	path[0] = '\0';
	if (dir == NULL || shim_busy)
		return 0;
	if (arm != NULL && stat(arm, &st) == -1)
		return 0;
	if (ops != NULL) {
		char buf[256];
		char *tok, *save = NULL;
		int hit = 0;

		snprintf(buf, sizeof(buf), "%s", ops);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, op) == 0 || strcmp(tok, alias) == 0)
				hit = 1;
		if (!hit)
			return 0;
	}
	if (fd < 0) {
		snprintf(path, cap, "(mapping)");
		return 1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	shim_busy = 1;
	n = readlink(link, path, cap - 1);
	shim_busy = 0;
	if (n <= 0)
		return 0;
	path[n] = '\0';
	dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return strncmp(path, dir, dl) == 0 && (path[dl] == '/' ||
	    path[dl] == '\0');
}

static void
shim_log(unsigned long n, const char *op, const char *path, int failed)
{
	const char *lp = shim_env("PT_SHIM_LOG");
	static ssize_t (*real_write)(int, const void *, size_t);
	char line[PATH_MAX + 64];
	int fd, len;

	if (lp == NULL)
		return;
	if (real_write == NULL)
		real_write = (ssize_t (*)(int, const void *, size_t))
		    shim_next("write");
	len = snprintf(line, sizeof(line), "%lu %s %s %s\n", n, op, path,
	    failed ? "FAILED" : "ok");
	shim_busy = 1;
	if ((fd = open(lp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) != -1) {
		(void)real_write(fd, line, (size_t)len);
		close(fd);
	}
	shim_busy = 0;
}

/* Returns 1 when this call must fail, 0 to proceed; *persist says whether
 * a failing call still does its work first. */
static int
shim_decide(const char *op, const char *alias, int fd, int *persist)
{
	char path[PATH_MAX];
	const char *v = shim_env("PT_SHIM_FAIL_N");
	const char *mode = shim_env("PT_SHIM_MODE");
	unsigned long n, want = v != NULL ? strtoul(v, NULL, 10) : 0;
	int fail;

	*persist = mode != NULL && strcmp(mode, "persist") == 0;
	if (!shim_match(op, alias, fd, path, sizeof(path)))
		return 0;
	n = atomic_fetch_add(&shim_count, 1) + 1;
	fail = want != 0 && n == want;
	shim_log(n, op, path, fail);
	return fail;
}

#define SHIM_FAIL() do { errno = EIO; return -1; } while (0)

int
fsync(int fd)
{
	static int (*real)(int);
	int persist;

	if (real == NULL)
		real = (int (*)(int))shim_next("fsync");
	if (shim_decide("fsync", "fsync", fd, &persist)) {
		if (persist)
			(void)real(fd);
		SHIM_FAIL();
	}
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);
	int persist;

	if (real == NULL)
		real = (int (*)(int))shim_next("fdatasync");
	if (shim_decide("fdatasync", "fdatasync", fd, &persist)) {
		if (persist)
			(void)real(fd);
		SHIM_FAIL();
	}
	return real(fd);
}

int
msync(void *addr, size_t len, int flags)
{
	static int (*real)(void *, size_t, int);
	int persist;

	if (real == NULL)
		real = (int (*)(void *, size_t, int))shim_next("msync");
	if (shim_decide("msync", "msync", -1, &persist)) {
		if (persist)
			(void)real(addr, len, flags);
		SHIM_FAIL();
	}
	return real(addr, len, flags);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	int persist;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))
		    shim_next("write");
	if (shim_decide("write", "write", fd, &persist)) {
		if (persist)
			(void)real(fd, buf, len);
		SHIM_FAIL();
	}
	return real(fd, buf, len);
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	static ssize_t (*real)(int, const struct iovec *, int);
	int persist;

	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int))
		    shim_next("writev");
	if (shim_decide("writev", "write", fd, &persist)) {
		if (persist)
			(void)real(fd, iov, iovcnt);
		SHIM_FAIL();
	}
	return real(fd, iov, iovcnt);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	int persist;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))
		    shim_next("pwrite");
	if (shim_decide("pwrite", "pwrite", fd, &persist)) {
		if (persist)
			(void)real(fd, buf, len, off);
		SHIM_FAIL();
	}
	return real(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	int persist;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))
		    shim_next("pwrite64");
	if (shim_decide("pwrite64", "pwrite", fd, &persist)) {
		if (persist)
			(void)real(fd, buf, len, off);
		SHIM_FAIL();
	}
	return real(fd, buf, len, off);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	static ssize_t (*real)(int, const struct iovec *, int, off_t);
	int persist;

	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int, off_t))
		    shim_next("pwritev");
	if (shim_decide("pwritev", "pwrite", fd, &persist)) {
		if (persist)
			(void)real(fd, iov, iovcnt, off);
		SHIM_FAIL();
	}
	return real(fd, iov, iovcnt, off);
}

ssize_t
pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	static ssize_t (*real)(int, const struct iovec *, int, off_t);
	int persist;

	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int, off_t))
		    shim_next("pwritev64");
	if (shim_decide("pwritev64", "pwrite", fd, &persist)) {
		if (persist)
			(void)real(fd, iov, iovcnt, off);
		SHIM_FAIL();
	}
	return real(fd, iov, iovcnt, off);
}
