/*
 * subrcpt.c: the receipts a submit or correct run keeps: their files and
 * the checkpoints they carry (subrcpt.h).
 */
#define _GNU_SOURCE		/* syncfs(2): receipts made durable at once */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "subrcpt.h"
#include "sfile.h"
#include "util.h"

int
sub_receipt_name(const char *dir, const char *id, char *out, size_t cap)
{
	size_t n;
	int w;

	w = snprintf(out, cap, "%s/", dir);
	if (w < 0 || (size_t)w >= cap)
		return PT_ETOOBIG;
	n = (size_t)w;
	for (const char *p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && p != id);

		if (n + 4 >= cap)
			return PT_ETOOBIG;
		if (plain)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	if (n + sizeof(".receipt") > cap)
		return PT_ETOOBIG;
	memcpy(out + n, ".receipt", sizeof(".receipt"));
	return 0;
}

/*
 * As ut_write_file (a new mkstemp file in the directory, then rename over
 * path) without an fsync per file: a run of 100,000 records would spend
 * most of its time there.  A crash before sub_receipts_sync loses at most
 * receipts the same command fetches again.
 */
/* All of p to fd: 0 or errno. */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		off += (size_t)w;
	}
	return 0;
}

/*
 * The quick way, for a new name: an unnamed file in the directory
 * (O_TMPFILE), written, then linked at path: one directory entry made,
 * none renamed or removed, and never a partial file at path.  A run keeps
 * a receipt per record, so this is most of submit's system time.  0; 1 to
 * take the slow way (no O_TMPFILE here, no /proc, or something already at
 * path, a symbolic link included: the rename replaces it); or PT_EIO.
 */
static int
write_linked(const char *path, const uint8_t *p, size_t len,
    struct pt_why *why)
{
	char dir[UT_PATH_MAX], proc[40];
	int fd, e;

	if (sf_dirname(path, dir, sizeof(dir)) != 0)
		return 1;
	if ((fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) < 0)
		return 1;
	e = fchmod(fd, 0644) != 0 ? errno : write_all(fd, p, len);
	if (e != 0) {
		close(fd);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	e = linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 ?
	    0 : errno;
	if (close(fd) != 0 && e == 0) {
		e = errno;
		(void)unlink(path);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	if (e == 0)
		return 0;
	return e == EEXIST || e == ENOENT || e == EPERM || e == EXDEV ? 1 :
	    pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
}

int
sub_receipt_write(const char *path, const uint8_t *p, size_t len,
    struct pt_why *why)
{
	char tmp[UT_PATH_MAX + 16];
	int fd, rc, e;

	if ((rc = write_linked(path, p, len, why)) != 1)
		return rc;
	if ((fd = ut_tmpfile(path, 0644, tmp, sizeof(tmp), why)) < 0)
		return fd;
	if ((e = write_all(fd, p, len)) != 0) {
		close(fd);
		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	return 0;
}

int
sub_receipts_sync(const char *dir, struct pt_why *why)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || syncfs(fd) != 0 || fsync(fd) != 0)
		rc = pt_why_set(why, PT_EIO, "%s: the receipts may not be on "
		    "disk: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int
sub_ckset_add(struct sub_ckset *s, const struct vrf_result *v, size_t *other)
{
	struct sub_seen *e;

	for (size_t i = s->n; i-- > 0;) {
		if (s->seen[i].size != v->ck.size)
			continue;
		if (cr_memcmp(s->seen[i].root.b, v->ck.root.b, 32) == 0)
			return 0;
		s->forked = 1;
		*other = i;
		return 1;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct sub_seen *n = realloc(s->seen, ncap * sizeof(*n));

		if (n == NULL)
			return PT_ENOMEM;
		s->seen = n;
		s->cap = ncap;
	}
	e = &s->seen[s->n];
	if ((e->note = ut_strndup(v->note, v->note_len)) == NULL)
		return PT_ENOMEM;
	e->note_len = v->note_len;
	e->size = v->ck.size;
	e->root = v->ck.root;
	s->n++;
	return 0;
}

void
sub_ckset_fork(const struct sub_ckset *s, size_t other,
    const struct vrf_result *v, const char *dir)
{
	const struct sub_seen *o = &s->seen[other];
	struct evd *e;
	char path[UT_PATH_MAX];
	struct pt_why why = { "" };

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->kind = EVD_SAME_SIZE;
	snprintf(e->check, sizeof(e->check), "two receipts from `pubtrail "
	    "submit` carry checkpoints of size %llu with different roots",
	    (unsigned long long)o->size);
	e->note[0] = o->note;
	e->note_len[0] = o->note_len;
	e->note[1] = v->note;
	e->note_len[1] = v->note_len;
	if (evd_save(dir, e, path, sizeof(path), &why) == 0)
		fprintf(stderr, "pubtrail: %sTHE LOG SHOWED TWO DIFFERENT TREES "
		    "OF SIZE %llu%s\n  evidence: %s\n  check it: pubtrail "
		    "evidence verify --log-key VKEY %s\n", cli_red(stderr),
		    (unsigned long long)o->size, cli_reset(stderr), path, path);
	else
		fprintf(stderr, "pubtrail: THE LOG SHOWED TWO DIFFERENT TREES "
		    "OF SIZE %llu; could not save evidence: %s\n",
		    (unsigned long long)o->size, why.text);
	free(e);
}

int
sub_ckset_check(const struct sub_ckset *s, struct logc *lc,
    const struct ckpt *start)
{
	struct ckpt *a, *b;
	struct pt_why why = { "" };
	size_t top = 0;
	int rc, ex = CLI_OK;

	if (s->n == 0)
		return CLI_OK;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL) {
		free(a);
		return cli_fail(PT_ENOMEM, NULL, "receipts' checkpoints");
	}
	for (size_t i = 1; i < s->n; i++)
		if (s->seen[i].size > s->seen[top].size)
			top = i;
	*b = *start;			/* origin etc. */
	b->size = s->seen[top].size;
	b->root = s->seen[top].root;
	for (size_t i = 0; i <= s->n && ex == CLI_OK; i++) {
		if (i < s->n) {
			if (i == top)
				continue;
			a->size = s->seen[i].size;
			a->root = s->seen[i].root;
		} else
			*a = *start;	/* the checkpoint at the start */
		if (a->size > b->size)
			continue;	/* start newer than all receipts */
		if ((rc = logc_consistent(lc, a, b, &why)) != 0) {
			ex = cli_fail(rc, &why, "the checkpoints of the receipts "
			    "(sizes %llu and %llu) are not consistent",
			    (unsigned long long)a->size,
			    (unsigned long long)b->size);
			if (ex == CLI_EVERIFY)
				fprintf(stderr, "  the larger checkpoint:\n%.*s\n",
				    (int)s->seen[top].note_len,
				    s->seen[top].note);
		}
	}
	if (ex == CLI_OK && (rc = logc_remember(lc, b, s->seen[top].note,
	    s->seen[top].note_len, &why)) != 0)
		ex = cli_fail(rc, &why, "the receipts' checkpoint (size %llu) "
		    "against the one this client remembers for the log",
		    (unsigned long long)b->size);
	free(a);
	free(b);
	return ex;
}

void
sub_ckset_cleanup(struct sub_ckset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->seen[i].note);
	free(s->seen);
	memset(s, 0, sizeof(*s));
}
