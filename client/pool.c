/*
 * pool.c: a fixed set of worker threads, grown on demand, never stopped.
 *
 * The only mutable file-scope state of the client: one pool per process,
 * guarded by one mutex.  A job is published by bumping `gen`; worker t
 * runs it when t < active, then decrements `remaining`; pool_wait()
 * sleeps until remaining is 0.
 */
#include <pthread.h>

#include "pool.h"
#include "pt.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	unsigned nthreads;
	unsigned long gen;
	unsigned long born[POOL_MAX_THREADS];	/* gen when thread t started */
	unsigned active, remaining;
	pool_fn fn;
	void *arg;
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER, 0, 0, { 0 }, 0, 0, NULL, NULL };

static void *
worker(void *argp)
{
	unsigned t = (unsigned)(unsigned long)argp;
	unsigned long seen;

	pthread_mutex_lock(&P.mu);
	/* Created inside pool_start just before the bump to the job it must
	 * run: start from the generation it was born in. */
	seen = P.born[t];
	for (;;) {
		pool_fn fn;
		void *arg;
		unsigned n;

		while (P.gen == seen)
			pthread_cond_wait(&P.work, &P.mu);
		seen = P.gen;
		if (t >= P.active)
			continue;
		fn = P.fn;
		arg = P.arg;
		n = P.active;
		pthread_mutex_unlock(&P.mu);
		fn(arg, t, n);
		pthread_mutex_lock(&P.mu);
		if (--P.remaining == 0)
			pthread_cond_signal(&P.done);
	}
	return NULL;
}

int
pool_start(unsigned n, pool_fn fn, void *arg)
{
	if (n < 1)
		n = 1;
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	pthread_mutex_lock(&P.mu);
	while (P.nthreads < n) {
		pthread_t tid;
		pthread_attr_t at;
		int rc;

		P.born[P.nthreads] = P.gen;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &at, worker,
		    (void *)(unsigned long)P.nthreads);
		pthread_attr_destroy(&at);
		if (rc != 0)
			break;
		P.nthreads++;
	}
	if (P.nthreads == 0) {
		pthread_mutex_unlock(&P.mu);
		for (unsigned t = 0; t < n; t++)
			fn(arg, t, n);
		return PT_ENOMEM;
	}
	if (n > P.nthreads)
		n = P.nthreads;
	P.fn = fn;
	P.arg = arg;
	P.active = n;
	P.remaining = n;
	P.gen++;
	pthread_cond_broadcast(&P.work);
	pthread_mutex_unlock(&P.mu);
	return 0;
}

void
pool_wait(void)
{
	pthread_mutex_lock(&P.mu);
	while (P.remaining > 0)
		pthread_cond_wait(&P.done, &P.mu);
	pthread_mutex_unlock(&P.mu);
}
