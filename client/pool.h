/*
 * pool.h: the client's worker threads for CPU-bound checks (signature
 * verification in audits).  Threads are created on first use and live
 * until the process exits, so per-thread library state (OpenSSL's cached
 * digest contexts) is created once per thread, not once per batch.
 * One job at a time, started and awaited by the same (main) thread.
 */
#ifndef PT_CLIENT_POOL_H
#define PT_CLIENT_POOL_H

#define POOL_MAX_THREADS	64

/* A job runs fn(arg, t, n) on n threads, t = 0..n-1. */
typedef void (*pool_fn)(void *arg, unsigned t, unsigned n);

/*
 * Start fn on n threads (1..POOL_MAX_THREADS) and return at once; the
 * caller may do other work (run its event loop) before pool_wait().
 * 0, or PT_ENOMEM when no thread could be created (then fn has been run
 * on the calling thread for every t before returning).
 */
int pool_start(unsigned n, pool_fn fn, void *arg);

/* Wait until the job started last has finished on every thread. */
void pool_wait(void);

#endif
