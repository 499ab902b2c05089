/*
 * clock_shim.c: an LD_PRELOAD library that sets the wall clock back, for
 * the clock test in tests/integration/test_faults.py (faketime is not
 * installed).  CLOCK_REALTIME (and its coarse variant), gettimeofday() and
 * time() report PT_CLOCK_BACK_MS milliseconds earlier than the real clock;
 * monotonic clocks are untouched.  When PT_CLOCK_BACK_FILE names a file, the
 * number of milliseconds is read from it at every call instead, so a test
 * can step the clock of a running process.
 *
 * Build: cc -shared -fPIC -o clock_shim.so clock_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/time.h>
#include <time.h>

static long long
back_ms(void)
{
	const char *v = getenv("PT_CLOCK_BACK_MS");
	const char *path = getenv("PT_CLOCK_BACK_FILE");

	if (path != NULL) {
		char buf[32];
		ssize_t n;
		int fd;

		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return 0;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return 0;
		buf[n] = '\0';
		return atoll(buf);
	}
	return v != NULL ? atoll(v) : 0;
}

static void
shift(struct timespec *ts)
{
	long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec -
	    back_ms() * 1000000LL;

	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (real == NULL &&
	    (real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
	    "clock_gettime")) == NULL)
		abort();
	rc = real(id, ts);
	if (rc == 0 &&
	    (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		shift(ts);
	return rc;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *out)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	if (out != NULL)
		*out = ts.tv_sec;
	return ts.tv_sec;
}
