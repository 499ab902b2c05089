/*
 * pool.c: a fixed set of worker threads, grown on demand, never stopped,
 * taking tasks from one FIFO.
 *
 * The only mutable file-scope state of the client: one pool per process,
 * guarded by one mutex.  pool_submit() appends a task and wakes one
 * worker; a worker pops the head, runs it unlocked, then marks it done
 * under the mutex and wakes the waiters (the mutex is what makes the
 * task's results visible to the thread that sees done).
 */
#include <pthread.h>
#include <stddef.h>

#include "pool.h"
#include "pt.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	unsigned nthreads;
	struct pool_task *head, *tail;
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER, 0, NULL, NULL };

static void *
worker(void *argp)
{
	struct pool_task *t;

	(void)argp;
	pthread_mutex_lock(&P.mu);
	for (;;) {
		while (P.head == NULL)
			pthread_cond_wait(&P.work, &P.mu);
		t = P.head;
		if ((P.head = t->next) == NULL)
			P.tail = NULL;
		pthread_mutex_unlock(&P.mu);
		t->fn(t);
		pthread_mutex_lock(&P.mu);
		t->done = 1;
		pthread_cond_broadcast(&P.done);
	}
	return NULL;
}

int
pool_submit(unsigned n, struct pool_task *t)
{
	if (n < 1)
		n = 1;
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	t->next = NULL;
	t->done = 0;
	pthread_mutex_lock(&P.mu);
	while (P.nthreads < n) {
		pthread_t tid;
		pthread_attr_t at;
		int rc;

		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &at, worker, NULL);
		pthread_attr_destroy(&at);
		if (rc != 0)
			break;
		P.nthreads++;
	}
	if (P.nthreads == 0) {
		pthread_mutex_unlock(&P.mu);
		t->fn(t);
		t->done = 1;
		return PT_ENOMEM;
	}
	if (P.tail != NULL)
		P.tail->next = t;
	else
		P.head = t;
	P.tail = t;
	pthread_cond_signal(&P.work);
	pthread_mutex_unlock(&P.mu);
	return 0;
}

int
pool_done(struct pool_task *t)
{
	int d;

	pthread_mutex_lock(&P.mu);
	d = t->done;
	pthread_mutex_unlock(&P.mu);
	return d;
}

void
pool_wait(struct pool_task *t)
{
	pthread_mutex_lock(&P.mu);
	while (!t->done)
		pthread_cond_wait(&P.done, &P.mu);
	pthread_mutex_unlock(&P.mu);
}
