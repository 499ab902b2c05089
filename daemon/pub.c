/* pub.c: the published checkpoint (see pub.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"
#include "ptlimits.h"
#include "pub.h"

struct ck {
	char note[PT_NOTE_MAX + 1];
	size_t len;
	uint64_t size;
};

struct pub {
	pthread_mutex_t mu;
	struct ck latest, served;	/* under mu */
	int wait_quorum;		/* fixed */
	pub_notify_fn notify;
	void *arg;
};

int
pub_new(int wait_quorum, pub_notify_fn notify, void *arg, struct pub **out)
{
	struct pub *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PT_ENOMEM;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return PT_ENOMEM;
	}
	p->wait_quorum = wait_quorum;
	p->notify = notify;
	p->arg = arg;
	*out = p;
	return 0;
}

void
pub_free(struct pub *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int
pub_wait_quorum(const struct pub *p)
{
	return p->wait_quorum;
}

/* Copy c out (caller holds mu). */
static void
ck_copy(const struct ck *c, char *note, size_t cap, size_t *len,
    uint64_t *size)
{
	if (note != NULL && cap > c->len) {
		memcpy(note, c->note, c->len);
		note[c->len] = '\0';
		if (len != NULL)
			*len = c->len;
	} else if (len != NULL) {
		*len = 0;
	}
	if (size != NULL)
		*size = c->size;
}

static void
ck_set(struct ck *c, const char *note, size_t len, uint64_t size)
{
	memcpy(c->note, note, len);
	c->note[len] = '\0';
	c->len = len;
	c->size = size;
}

void
pub_latest(struct pub *p, char *note, size_t cap, size_t *len,
    uint64_t *size)
{
	pthread_mutex_lock(&p->mu);
	ck_copy(&p->latest, note, cap, len, size);
	pthread_mutex_unlock(&p->mu);
}

void
pub_served(struct pub *p, char *note, size_t cap, size_t *len,
    uint64_t *size)
{
	pthread_mutex_lock(&p->mu);
	ck_copy(&p->served, note, cap, len, size);
	pthread_mutex_unlock(&p->mu);
}

void
pub_signed(struct pub *p, const char *note, size_t len, uint64_t size)
{
	if (len > PT_NOTE_MAX)
		return;
	pthread_mutex_lock(&p->mu);
	ck_set(&p->latest, note, len, size);
	if (!p->wait_quorum)
		ck_set(&p->served, note, len, size);
	pthread_mutex_unlock(&p->mu);
	if (p->notify != NULL)
		p->notify(p->arg);
}

void
pub_cosigned(struct pub *p, const char *note, size_t len, uint64_t size,
    int quorum)
{
	if (len > PT_NOTE_MAX)
		return;
	pthread_mutex_lock(&p->mu);
	/* Without wait_quorum: add the cosignatures to the checkpoint served
	 * now, if it is still the latest.  With it: serve the newest
	 * checkpoint that meets the quorum. */
	if ((!p->wait_quorum && size == p->latest.size) ||
	    (p->wait_quorum && quorum && size >= p->served.size))
		ck_set(&p->served, note, len, size);
	pthread_mutex_unlock(&p->mu);
}
