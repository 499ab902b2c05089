/*
 * test_datadir.c: the data directory's files outside LMDB (datadir.c),
 * alone and under faults: the lock held by this process, by another one
 * (named by its pid) and by one that wrote anything but a pid; the
 * checkpoint copy's two slots written in turn, torn, garbage, short,
 * unreadable, in a directory that vanished, and on a full disk.  Real
 * files in directories under /tmp (removed by an unchecked fixture, also
 * when a test fails in its forked child).
 */
#define _GNU_SOURCE	/* unshare(CLONE_NEWNS) for the full-disk test */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"
#include "ptlimits.h"
#include "../../daemon/datadir.h"

static char base[64];
static char tdir[128];
static char cpath[192];		/* tdir/checkpoint */
static char lpath[192];		/* tdir/pubtraild.lock */

static void
rm_tree(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == -1)
			rm_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
base_setup(void)
{
	strcpy(base, "/tmp/pt_datadir_XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void
base_teardown(void)
{
	rm_tree(base);
}

static void
dir_make(void)
{
	snprintf(tdir, sizeof(tdir), "%s/t_XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(cpath, sizeof(cpath), "%s/%s", tdir, DATADIR_COPY_NAME);
	snprintf(lpath, sizeof(lpath), "%s/%s", tdir, DATADIR_LOCK_NAME);
}

static void
dir_remove(void)
{
	rm_tree(tdir);
	tdir[0] = '\0';
}

/* Replace the whole content of path with len bytes of s. */
static void
file_put(const char *path, const void *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, len), (ssize_t)len);
	close(fd);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* The copy reads back as want (NUL-terminated text). */
static void
copy_is(const char *want)
{
	char *note = NULL;
	size_t len = 0;

	ck_assert_int_eq(datadir_copy_read(tdir, &note, &len), 0);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(note, want);
	free(note);
}

static void
copy_fails_in(const char *dir, int want)
{
	char *note = (char *)&note;
	size_t len = 1;

	ck_assert_int_eq(datadir_copy_read(dir, &note, &len), want);
	ck_assert_ptr_null(note);
	ck_assert_uint_eq(len, 0);
}

static void
copy_fails(int want)
{
	copy_fails_in(tdir, want);
}

static void
copy_write(const char *note)
{
	ck_assert_int_eq(datadir_copy_write(tdir, note, strlen(note)), 0);
}

/* XOR byte off of the file at path with x. */
static void
flip_byte(const char *path, off_t off, uint8_t x)
{
	uint8_t b;
	int fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= x;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/* ---- the lock ---- */

START_TEST(lock_one_holder)
{
	struct pt_why why = { "" };
	char buf[64], want[256];
	struct stat st;
	int fd, fd2 = 0;

	dir_make();
	ck_assert_int_eq(datadir_lock(tdir, &fd, &why), 0);
	ck_assert_int_ge(fd, 0);
	/* The holder's pid, for the next one's refusal; mode 0600. */
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	{
		int r = open(lpath, O_RDONLY);
		ssize_t n;

		ck_assert_int_ge(r, 0);
		n = read(r, buf, sizeof(buf) - 1);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		close(r);
	}
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(stat(lpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* A second lock in the same process is refused, naming us. */
	ck_assert_int_eq(datadir_lock(tdir, &fd2, &why), PT_EBUSY);
	ck_assert_int_eq(fd2, -1);
	snprintf(want, sizeof(want), "(pid %ld holds %s)", (long)getpid(),
	    lpath);
	ck_assert_msg(strstr(why.text, want) != NULL, "%s", why.text);
	ck_assert_msg(strncmp(why.text, tdir, strlen(tdir)) == 0, "%s",
	    why.text);
	/* Released on unlock; taken again. */
	datadir_unlock(fd);
	ck_assert_int_eq(datadir_lock(tdir, &fd, &why), 0);
	datadir_unlock(fd);
	datadir_unlock(-1);
	dir_remove();
}
END_TEST

/* A child takes the lock and waits; returns its pid (stop it with
 * SIGKILL).  When content is not NULL the child then overwrites the file
 * with it, as a process that is not pubtraild might. */
static pid_t
holder_start(const char *content)
{
	int p[2];
	char c;
	pid_t child;

	ck_assert_int_eq(pipe(p), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int fd;

		close(p[0]);
		if (datadir_lock(tdir, &fd, NULL) != 0)
			_exit(1);
		if (content != NULL)
			file_put(lpath, content, strlen(content));
		if (write(p[1], "l", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return child;
}

static void
holder_stop(pid_t child)
{
	int status;

	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
}

START_TEST(lock_other_process)
{
	static const char *garbage[] = { "", "\n", "abc\n", "12abc\n",
	    "0\n", "-5\n", " 42\n", "42 \n", "042\n", "4242",
	    "99999999999999999999\n", "2147483648\n", "1\n2\n" };
	struct pt_why why = { "" };
	char want[64];
	pid_t child;
	int fd;

	dir_make();
	/* Held by another pubtraild: refused, naming its pid. */
	child = holder_start(NULL);
	ck_assert_int_eq(datadir_lock(tdir, &fd, &why), PT_EBUSY);
	ck_assert_int_eq(fd, -1);
	snprintf(want, sizeof(want), "another pubtraild (pid %ld holds",
	    (long)child);
	ck_assert_msg(strstr(why.text, want) != NULL, "%s", why.text);
	/* The kernel drops the lock of a process that dies. */
	holder_stop(child);
	ck_assert_int_eq(datadir_lock(tdir, &fd, &why), 0);
	datadir_unlock(fd);

	/* Held by something that wrote anything but "<pid>\n": refused
	 * all the same, naming no pid (num_parse_u64 takes no junk). */
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		child = holder_start(garbage[i]);
		ck_assert_int_eq(datadir_lock(tdir, &fd, &why), PT_EBUSY);
		ck_assert_msg(strstr(why.text, "in use by another process (it "
		    "holds") != NULL, "\"%s\": %s", garbage[i], why.text);
		ck_assert_msg(strstr(why.text, "pid") == NULL, "\"%s\": %s",
		    garbage[i], why.text);
		holder_stop(child);
	}
	/* A pid of our own writing is read back whatever its size. */
	child = holder_start("2147483647\n");
	ck_assert_int_eq(datadir_lock(tdir, &fd, &why), PT_EBUSY);
	ck_assert_msg(strstr(why.text, "(pid 2147483647 holds") != NULL, "%s",
	    why.text);
	holder_stop(child);
	dir_remove();
}
END_TEST

START_TEST(lock_bad_directory)
{
	struct pt_why why = { "" };
	char missing[256], longdir[5000];
	int fd;

	dir_make();
	/* A directory that vanished (or never was). */
	snprintf(missing, sizeof(missing), "%s/gone", tdir);
	ck_assert_int_eq(datadir_lock(missing, &fd, &why), PT_ENOTFOUND);
	ck_assert_int_eq(fd, -1);
	ck_assert_msg(strstr(why.text, "No such file") != NULL, "%s",
	    why.text);
	/* The lock file is not a file. */
	ck_assert_int_eq(mkdir(lpath, 0700), 0);
	ck_assert_int_eq(datadir_lock(tdir, &fd, &why), PT_EIO);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(rmdir(lpath), 0);
	/* A path that does not fit. */
	memset(longdir, 'x', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	ck_assert_int_eq(datadir_lock(longdir, &fd, &why), PT_EINVAL);
	ck_assert_int_eq(datadir_lock(longdir, &fd, NULL), PT_EINVAL);
	dir_remove();
}
END_TEST

/* ---- the checkpoint copy ---- */

START_TEST(copy_slots_in_turn)
{
	static char big[PT_LOG_NOTE_MAX + 2];
	char note[64];
	uint8_t hdr[DATADIR_SLOT_HDR];
	int fd;

	dir_make();
	copy_fails(PT_ENOTFOUND);
	/* Created at full size at once: both slots. */
	copy_write("first\n");
	ck_assert_int_eq(file_size(cpath), 2 * DATADIR_SLOT);
	copy_is("first\n");
	for (int i = 2; i <= 7; i++) {
		snprintf(note, sizeof(note), "note %d\n", i);
		copy_write(note);
		copy_is(note);
		ck_assert_int_eq(file_size(cpath), 2 * DATADIR_SLOT);
	}
	/* Write k went to slot k % 2, with seq k: slot 1 holds seq 7. */
	fd = open(cpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, hdr, sizeof(hdr), DATADIR_SLOT),
	    (ssize_t)sizeof(hdr));
	ck_assert_mem_eq(hdr, "PTCKPv1\n", 8);
	ck_assert_int_eq(hdr[15], 7);
	ck_assert_int_eq(hdr[19], strlen("note 7\n"));
	ck_assert_int_eq(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	ck_assert_int_eq(hdr[15], 6);
	close(fd);

	/* The longest note fits; longer ones, empty ones, none: refused,
	 * and the copy is unchanged. */
	memset(big, 'n', sizeof(big));
	big[PT_LOG_NOTE_MAX] = '\0';
	ck_assert_int_eq(datadir_copy_write(tdir, big, PT_LOG_NOTE_MAX), 0);
	copy_is(big);
	ck_assert_int_eq(datadir_copy_write(tdir, big, PT_LOG_NOTE_MAX + 1),
	    PT_EINVAL);
	ck_assert_int_eq(datadir_copy_write(tdir, "x", 0), PT_EINVAL);
	ck_assert_int_eq(datadir_copy_write(tdir, NULL, 1), PT_EINVAL);
	copy_is(big);

	/* Only the pages a note needs are written: a short note in the
	 * longest one's slot (the next but one write) leaves the rest of
	 * that slot as it was, and is what is read. */
	copy_write("short 9\n");
	copy_write("short 10\n");
	copy_is("short 10\n");
	fd = open(cpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, note, 1, 8 * DATADIR_SLOT / 10), 1);
	ck_assert_int_eq(note[0], 'n');
	ck_assert_int_eq(pread(fd, note, 1, DATADIR_SLOT_HDR + 9), 1);
	ck_assert_int_eq(note[0], 0);
	close(fd);
	/* and a long note after a short one is read whole (the first page
	 * of the slot, then the rest the header gives) */
	copy_write("short 11\n");
	ck_assert_int_eq(datadir_copy_write(tdir, big, PT_LOG_NOTE_MAX), 0);
	copy_is(big);
	dir_remove();
}
END_TEST

START_TEST(copy_torn_and_garbage)
{
	static uint8_t junk[2 * DATADIR_SLOT];

	dir_make();
	copy_write("seq 1\n");		/* slot 1 */
	copy_write("seq 2\n");		/* slot 0 */
	copy_write("seq 3\n");		/* slot 1 */

	/* The newest slot's note damaged (a torn write, a bit flip): the
	 * older one answers; both damaged: no valid slot. */
	flip_byte(cpath, DATADIR_SLOT + DATADIR_SLOT_HDR + 2, 0x20);
	copy_is("seq 2\n");
	flip_byte(cpath, DATADIR_SLOT_HDR + 2, 0x20);
	copy_fails(PT_EMALFORMED);
	flip_byte(cpath, DATADIR_SLOT_HDR + 2, 0x20);
	copy_is("seq 2\n");
	/* The next write goes after the newest valid slot, over the torn
	 * one. */
	copy_write("seq 3 again\n");
	copy_is("seq 3 again\n");

	/* The file cut inside the second slot (a crash while it was being
	 * extended): slot 0 answers; a write makes it whole again. */
	ck_assert_int_eq(truncate(cpath, DATADIR_SLOT + DATADIR_SLOT_HDR + 4),
	    0);
	copy_is("seq 2\n");
	copy_write("seq 4\n");
	ck_assert_int_eq(file_size(cpath), 2 * DATADIR_SLOT);
	copy_is("seq 4\n");
	/* Cut inside the first slot's header: nothing valid. */
	ck_assert_int_eq(truncate(cpath, DATADIR_SLOT_HDR - 1), 0);
	copy_fails(PT_EMALFORMED);

	/* Headers that lie: a length of 0 or over PT_LOG_NOTE_MAX, a wrong
	 * magic, a larger seq with a bad hash. */
	dir_remove();
	dir_make();
	copy_write("seq 1\n");
	copy_write("seq 2\n");		/* slot 0, seq 2 */
	flip_byte(cpath, 16 + 1, 0xff);	/* len of slot 0 > PT_LOG_NOTE_MAX */
	copy_is("seq 1\n");
	flip_byte(cpath, 16 + 1, 0xff);
	flip_byte(cpath, 19, strlen("seq 2\n"));	/* len 0 */
	copy_is("seq 1\n");
	flip_byte(cpath, 19, strlen("seq 2\n"));
	copy_is("seq 2\n");
	flip_byte(cpath, 0, 0x01);	/* magic */
	copy_is("seq 1\n");
	flip_byte(cpath, 0, 0x01);
	/* The hash covers the note, not the header: a flipped seq makes the
	 * older note the newest (the daemon then finds the copy behind the
	 * store and rewrites it; it never takes a newer one for older). */
	flip_byte(cpath, DATADIR_SLOT + 8, 0x80);	/* slot 1: 2^63 + 1 */
	copy_is("seq 1\n");
	flip_byte(cpath, DATADIR_SLOT + 8, 0x80);
	flip_byte(cpath, DATADIR_SLOT + 24, 0x01);	/* slot 1's hash */
	copy_is("seq 2\n");

	/* Garbage and empty files: no valid slot. */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	file_put(cpath, junk, sizeof(junk));
	copy_fails(PT_EMALFORMED);
	file_put(cpath, "", 0);
	copy_fails(PT_EMALFORMED);
	/* A garbage file is taken over by the next write. */
	file_put(cpath, junk, sizeof(junk));
	copy_write("fresh\n");
	copy_is("fresh\n");
	dir_remove();
}
END_TEST

START_TEST(copy_unreadable)
{
	char missing[256], gone[128];

	dir_make();
	/* Not a file: cannot be read or written. */
	ck_assert_int_eq(mkdir(cpath, 0700), 0);
	copy_fails(PT_EIO);
	ck_assert_int_eq(datadir_copy_write(tdir, "x\n", 2), PT_EIO);
	ck_assert_int_eq(rmdir(cpath), 0);
	/* Unreadable by permissions (root reads anything: skipped). */
	copy_write("mine\n");
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(cpath, 0), 0);
		copy_fails(PT_EIO);
		ck_assert_int_eq(datadir_copy_write(tdir, "x\n", 2), PT_EIO);
		ck_assert_int_eq(chmod(cpath, 0644), 0);
	}
	copy_is("mine\n");
	/* The directory vanished. */
	snprintf(gone, sizeof(gone), "%s", tdir);
	dir_remove();
	ck_assert_int_eq(datadir_copy_write(gone, "x\n", 2), PT_EIO);
	copy_fails_in(gone, PT_ENOTFOUND);
	snprintf(missing, sizeof(missing), "/nonexistent-%ld", (long)getpid());
	ck_assert_int_eq(datadir_copy_write(missing, "x\n", 2), PT_EIO);
	copy_fails_in(missing, PT_ENOTFOUND);
}
END_TEST

/* A failure right after the file was created left it empty (or short):
 * the next write allocates both slots before it writes. */
START_TEST(copy_short_file_allocated)
{
	struct stat st;

	dir_make();
	file_put(cpath, "", 0);
	copy_write("after a crash\n");
	ck_assert_int_eq(stat(cpath, &st), 0);
	ck_assert_int_eq(st.st_size, 2 * DATADIR_SLOT);
	ck_assert_int_ge((long long)st.st_blocks * 512, 2 * DATADIR_SLOT);
	copy_is("after a crash\n");
	dir_remove();
}
END_TEST

/*
 * A full disk, for real: in a private mount namespace, a 1 MiB tmpfs.
 * Once the copy exists, filling the disk to the last byte does not stop
 * it (its slots are allocated); a copy created on a full disk is PT_EIO
 * and is allocated once room is made.  Skipped (with a note) where mount
 * namespaces are not allowed.  Exit codes name the step.
 */
static int
full_disk_child(void)
{
	static uint8_t fill[4096];
	char mnt[256], d2[300], filler[300], *note;
	size_t len;
	int fd;

	snprintf(mnt, sizeof(mnt), "%s/mnt", tdir);
	snprintf(d2, sizeof(d2), "%s/second", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	if (mkdir(mnt, 0700) == -1 || unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == -1)
		return 77;
	if (mkdir(d2, 0700) == -1)
		return 2;
	if (datadir_copy_write(mnt, "before\n", 7) != 0)
		return 3;
	if ((fd = open(filler, O_WRONLY | O_CREAT, 0600)) == -1)
		return 4;
	while (write(fd, fill, sizeof(fill)) == (ssize_t)sizeof(fill))
		;
	if (errno != ENOSPC)
		return 5;
	while (write(fd, fill, 1) == 1)
		;
	close(fd);
	for (int i = 0; i < 5; i++)
		if (datadir_copy_write(mnt, "during\n", 7) != 0)
			return 6;
	if (datadir_copy_read(mnt, &note, &len) != 0 ||
	    strcmp(note, "during\n") != 0)
		return 7;
	free(note);
	if (datadir_copy_write(d2, "new\n", 4) != PT_EIO)
		return 8;
	unlink(filler);
	if (datadir_copy_write(d2, "new\n", 4) != 0 ||
	    datadir_copy_read(d2, &note, &len) != 0 ||
	    strcmp(note, "new\n") != 0)
		return 9;
	free(note);
	umount(mnt);
	return 0;
}

START_TEST(copy_full_disk)
{
	int status;
	pid_t child;

	dir_make();
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(full_disk_child());
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		printf("datadir: copy_full_disk skipped (no mount namespace)\n");
	else
		ck_assert_msg(WEXITSTATUS(status) == 0, "copy_full_disk step "
		    "%d", WEXITSTATUS(status));
	dir_remove();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("datadir");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, lock_one_holder);
	tcase_add_test(tc, lock_other_process);
	tcase_add_test(tc, lock_bad_directory);
	tcase_add_test(tc, copy_slots_in_turn);
	tcase_add_test(tc, copy_torn_and_garbage);
	tcase_add_test(tc, copy_unreadable);
	tcase_add_test(tc, copy_short_file_allocated);
	tcase_add_test(tc, copy_full_disk);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
