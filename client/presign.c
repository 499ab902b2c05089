/* presign.c: records signed ahead on a second thread (presign.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "presign.h"
#include "pt.h"
#include "wire.h"

struct pjob {
	uint8_t *rec;			/* a copy of the record's bytes */
	size_t len;
	uint8_t *sub;			/* its submission, or NULL */
	size_t sublen;
	uint8_t sig[64];
};

struct presign {
	pthread_mutex_t mu;
	pthread_cond_t work;
	struct pjob *job;		/* PRESIGN_MAX slots */
	size_t offered;			/* presign_add calls, in order */
	int out_of_turn;		/* one of them was not */
	size_t queued;			/* jobs [0, queued) queued */
	size_t held;			/* bytes: copies, submissions */
	size_t nsigned;			/* jobs [0, nsigned) finished */
	int closed;			/* no more queued */
	int stop, running;
	struct note_skey key;
	struct cr_signer *signer;
	char *origin;
	pthread_t thr;
};

/* Sign job j's record: its submission bytes, or none on any failure (the
 * sender then signs it and reports what fails). */
static void
sign_one(struct presign *p, struct pjob *j)
{
	struct wire_submission s;
	struct wire_buf body;
	char vbuf[PT_MAX_VKEY + 1];

	wire_buf_init(&body);
	if (wire_submission_sign_kept(&p->key, p->signer, p->origin, j->rec,
	    j->len, &s, vbuf, sizeof(vbuf)) != 0 ||
	    wire_submission_encode(&s, &body) != 0) {
		wire_buf_free(&body);
		return;
	}
	j->sub = body.data;
	j->sublen = body.len;
	memcpy(j->sig, s.sig, sizeof(j->sig));
}

static void *
presign_main(void *arg)
{
	struct presign *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t i;

		while (p->nsigned == p->queued && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		i = p->nsigned;
		pthread_mutex_unlock(&p->mu);
		sign_one(p, &p->job[i]);
		pthread_mutex_lock(&p->mu);
		p->nsigned = i + 1;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
presign_start(const struct note_skey *k, const char *origin,
    struct presign **out)
{
	struct presign *p;
	int rc;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PT_ENOMEM;
	p->key = *k;
	if ((p->job = calloc(PRESIGN_MAX, sizeof(*p->job))) == NULL ||
	    (p->origin = strdup(origin)) == NULL) {
		presign_free(p);
		return PT_ENOMEM;
	}
	if ((rc = cr_signer_new(k->seed, &p->signer)) != 0) {
		presign_free(p);
		return rc == PT_ENOMEM ? rc : PT_EIO;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	if (pthread_create(&p->thr, NULL, presign_main, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work);
		presign_free(p);
		return PT_EIO;
	}
	p->running = 1;
	*out = p;
	return 0;
}

void
presign_add(struct presign *p, size_t k, const uint8_t *rec, size_t len)
{
	uint8_t *copy;

	if (p == NULL)
		return;
	if (k != p->offered)
		p->out_of_turn = 1;
	p->offered = k + 1;
	if (p->closed)
		return;
	/* a copy, and a submission of the record's size and ~300 more */
	if (k != p->queued || k >= PRESIGN_MAX || len > PRESIGN_BYTES / 4 ||
	    p->held + 2 * len + 512 > PRESIGN_BYTES ||
	    (copy = malloc(len > 0 ? len : 1)) == NULL) {
		p->closed = 1;
		return;
	}
	memcpy(copy, rec, len);
	p->held += 2 * len + 512;
	pthread_mutex_lock(&p->mu);
	p->job[k].rec = copy;
	p->job[k].len = len;
	p->queued = k + 1;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

size_t
presign_signed(struct presign *p)
{
	size_t n;

	if (p == NULL)
		return 0;
	if (!p->running)
		return p->nsigned;
	pthread_mutex_lock(&p->mu);
	n = p->nsigned;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* Drop the results from job i on. */
static void
drop_from(struct presign *p, size_t i)
{
	for (; i < p->queued; i++) {
		free(p->job[i].rec);
		free(p->job[i].sub);
		memset(&p->job[i], 0, sizeof(p->job[i]));
	}
}

void
presign_stop(struct presign *p, size_t n)
{
	if (p == NULL)
		return;
	p->closed = 1;
	if (p->running) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thr, NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work);
		p->running = 0;
	}
	/* The thread is gone: [0, nsigned) hold results, for the record
	 * indexes as they were offered; unless records were dropped since,
	 * and the indexes moved. */
	if (n != p->offered || p->out_of_turn)
		p->nsigned = 0;
	drop_from(p, p->nsigned);
	p->queued = p->nsigned;
}

int
presign_take(struct presign *p, size_t k, const char *origin,
    const uint8_t *rec, size_t len, uint8_t **sub, size_t *sublen,
    uint8_t sig[64])
{
	struct pjob *j;

	if (p == NULL || p->running || k >= p->nsigned)
		return 0;
	j = &p->job[k];
	if (j->sub == NULL || j->len != len || strcmp(p->origin, origin) != 0
	    || memcmp(j->rec, rec, len) != 0)
		return 0;
	*sub = j->sub;
	*sublen = j->sublen;
	memcpy(sig, j->sig, 64);
	j->sub = NULL;
	free(j->rec);
	j->rec = NULL;
	return 1;
}

void
presign_free(struct presign *p)
{
	if (p == NULL)
		return;
	presign_stop(p, SIZE_MAX);
	free(p->job);
	free(p->origin);
	cr_signer_free(p->signer);
	note_skey_wipe(&p->key);
	free(p);
}
