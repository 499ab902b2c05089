/*
 * subrcpt.c: the receipts a submit or correct run keeps: their files and
 * the checkpoints they carry (subrcpt.h).
 */
#define _GNU_SOURCE		/* syncfs(2): receipts made durable at once */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "sfile.h"
#include "subrcpt.h"
#include "util.h"
#include "wire.h"

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
	e = fchmod(fd, 0644) != 0 ? errno : sf_write_all(fd, p, len);
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

/*
 * Something is at path already: 0 when it may be replaced by the receipt
 * p (a receipt of the same entry: the same record logged by the same
 * office, a run again, its proof perhaps to a newer checkpoint; or a
 * symbolic link, which is replaced, not followed), or it is p itself
 * (*same); otherwise PT_EIO saying what is there.  Two
 * offices may use one id, and a receipt is an office's proof: one is
 * never replaced by another's.
 */
static int
replace_ok(const char *path, const uint8_t *p, size_t len, int *same,
    struct pt_why *why)
{
	struct wire_receipt mine, there;
	struct stat st;
	uint8_t *buf = NULL;
	size_t blen;
	int rc;

	*same = 0;
	/* a symbolic link (never one of ours) is replaced, never followed */
	if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
		return 0;
	rc = ut_read_file(path, WIRE_MAX_RECEIPT, &buf, &blen, NULL);
	if (rc == PT_ENOTFOUND)
		return 0;		/* gone meanwhile */
	if (rc == 0 && blen == len && memcmp(buf, p, len) == 0)
		*same = 1;
	else if (rc != 0 || wire_receipt_decode(buf, blen, &there, NULL) != 0)
		rc = pt_why_set(why, PT_EIO, "%.100s is there already and is "
		    "not a receipt; not replaced: move it away, or use "
		    "--receipts DIR", path);
	else if (wire_receipt_decode(p, len, &mine, NULL) != 0 ||
	    there.entry_len != mine.entry_len ||
	    memcmp(there.entry, mine.entry, mine.entry_len) != 0)
		rc = pt_why_set(why, PT_EIO, "%.80s holds the receipt of "
		    "another entry (index %llu); not replaced: one --receipts "
		    "DIR per office", path, (unsigned long long)there.index);
	free(buf);
	return rc;
}

/*
 * As ut_write_file, without an fsync per file (a run of 100,000 records
 * would spend most of its time there): the quick way above, or a new
 * mkstemp file in the directory renamed over path, but only over the
 * receipt of the same entry (replace_ok).  A crash before
 * sub_receipts_sync loses at most receipts the same command fetches again.
 */
int
sub_receipt_write(const char *path, const uint8_t *p, size_t len,
    struct pt_why *why)
{
	char tmp[UT_PATH_MAX + 16];
	int fd, rc, e, same;

	if ((rc = write_linked(path, p, len, why)) != 1)
		return rc;
	if ((rc = replace_ok(path, p, len, &same, why)) != 0)
		return rc;
	if (same)
		return 0;
	if ((fd = ut_tmpfile(path, 0644, tmp, sizeof(tmp), why)) < 0)
		return fd;
	if ((e = sf_write_all(fd, p, len)) != 0) {
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

/* One receipt to write (queued), or written (done, with its result). */
struct wjob {
	struct wjob *next;
	size_t k;
	int rc;
	char *why;			/* rc != 0 */
	char *path;			/* or the directory to sync */
	uint8_t *p;
	size_t len;
	int sync;			/* sub_writer_sync */
};

struct sub_writer {
	pthread_mutex_t mu;
	pthread_cond_t work, room, idle;
	struct wjob *head, *tail;	/* queued */
	struct wjob *done;		/* finished, newest first */
	size_t queued, max_queued;
	int busy, stop;
	int synced, sync_rc;		/* sub_writer_sync's result */
	char sync_why[PT_WHY_MAX];
	pthread_t thr;
};

static void
wjob_free(struct wjob *j)
{
	free(j->why);
	free(j->path);
	free(j->p);
	free(j);
}

static void *
writer_main(void *arg)
{
	struct sub_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct wjob *j;
		struct pt_why why = { "" };

		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if ((j = w->head) == NULL)
			break;
		if ((w->head = j->next) == NULL)
			w->tail = NULL;
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		if (j->sync) {
			int rc = sub_receipts_sync(j->path, &why);

			pthread_mutex_lock(&w->mu);
			w->busy = 0;
			w->queued--;
			w->synced = 1;
			w->sync_rc = rc;
			pthread_cond_signal(&w->room);
			snprintf(w->sync_why, sizeof(w->sync_why), "%s",
			    why.text);
			pthread_cond_broadcast(&w->idle);
			wjob_free(j);
			continue;
		}
		j->rc = sub_receipt_write(j->path, j->p, j->len, &why);
		if (j->rc != 0)
			j->why = strdup(why.text);
		free(j->p);
		j->p = NULL;
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		w->queued--;
		j->next = w->done;
		w->done = j;
		pthread_cond_signal(&w->room);
		if (w->head == NULL)
			pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
sub_writer_start(size_t max_queued, struct sub_writer **out)
{
	struct sub_writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return PT_ENOMEM;
	w->max_queued = max_queued > 0 ? max_queued : 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->room, NULL);
	pthread_cond_init(&w->idle, NULL);
	if (pthread_create(&w->thr, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->idle);
		free(w);
		return PT_EIO;
	}
	*out = w;
	return 0;
}

/* Queue j (queued may pass max_queued: a sync is one job). */
static void
writer_queue(struct sub_writer *w, struct wjob *j)
{
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	pthread_cond_signal(&w->work);
}

int
sub_writer_put(struct sub_writer *w, size_t k, const char *path,
    const uint8_t *p, size_t len)
{
	struct wjob *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->path = strdup(path)) == NULL ||
	    (j->p = malloc(len > 0 ? len : 1)) == NULL) {
		if (j != NULL)
			wjob_free(j);
		return PT_ENOMEM;
	}
	memcpy(j->p, p, len);
	j->len = len;
	j->k = k;
	pthread_mutex_lock(&w->mu);
	while (w->queued >= w->max_queued)
		pthread_cond_wait(&w->room, &w->mu);
	writer_queue(w, j);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void
sub_writer_done(struct sub_writer *w, sub_written_fn *fn, void *arg)
{
	struct wjob *j, *fwd = NULL, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	for (; j != NULL; j = next) {	/* oldest first */
		next = j->next;
		j->next = fwd;
		fwd = j;
	}
	for (j = fwd; j != NULL; j = next) {
		next = j->next;
		fn(arg, j->k, j->rc, j->why);
		wjob_free(j);
	}
}

int
sub_writer_sync(struct sub_writer *w, const char *dir)
{
	struct wjob *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->path = strdup(dir)) == NULL) {
		free(j);
		return PT_ENOMEM;
	}
	j->sync = 1;
	pthread_mutex_lock(&w->mu);
	w->synced = 0;
	writer_queue(w, j);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
sub_writer_synced(struct sub_writer *w, struct pt_why *why)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (!w->synced)
		pthread_cond_wait(&w->idle, &w->mu);
	rc = w->sync_rc;
	if (rc != 0)
		pt_why_set(why, rc, "%s", w->sync_why);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
sub_writer_drain(struct sub_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->head != NULL || w->busy)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void
sub_writer_stop(struct sub_writer *w)
{
	struct wjob *j, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thr, NULL);	/* it writes what is queued first */
	for (j = w->done; j != NULL; j = next) {
		next = j->next;
		wjob_free(j);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->idle);
	free(w);
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
		if ((rc = logc_consistent(lc, a, b, &why)) != 0 &&
		    cli_exit_for(rc) != CLI_EVERIFY) {
			/* not an answer: the log did not answer (a stop, the
			 * network), or not in time */
			ex = cli_fail(rc, &why, "the consistency of the "
			    "receipts' checkpoints (sizes %llu and %llu) could "
			    "not be checked", (unsigned long long)a->size,
			    (unsigned long long)b->size);
			fprintf(stderr, "  the receipts this run saved were "
			    "verified; run the same command again when the log "
			    "answers: it logs nothing twice, and checks them\n");
		} else if (rc != 0) {
			ex = cli_fail(rc, &why, "the checkpoints of the receipts "
			    "(sizes %llu and %llu) are not consistent",
			    (unsigned long long)a->size,
			    (unsigned long long)b->size);
			fprintf(stderr, "  the larger checkpoint:\n%.*s\n",
			    (int)s->seen[top].note_len, s->seen[top].note);
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
