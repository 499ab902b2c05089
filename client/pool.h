/*
 * pool.h: the client's worker threads for CPU-bound checks (leaf hashes,
 * subtree hashes and signature verification in audits).  Threads are
 * created on first use and live until the process exits, so per-thread
 * library state (OpenSSL's cached digest contexts) is created once per
 * thread, not once per task.
 *
 * A FIFO of tasks: the (main) thread that submits a task is the one that
 * waits for it; any number of tasks may be queued at once, so the caller
 * can keep its event loop running while the workers hash.
 */
#ifndef PT_CLIENT_POOL_H
#define PT_CLIENT_POOL_H

#define POOL_MAX_THREADS	64

/*
 * A task, embedded in the caller's own struct (which it must outlive the
 * task: until pool_done() has returned 1 or pool_wait() has returned).
 * fn runs once on some worker; what it writes is visible to the submitter
 * after pool_done()/pool_wait().  The pool owns next and done.
 */
struct pool_task {
	void (*fn)(struct pool_task *);
	struct pool_task *next;
	int done;
};

/*
 * Queue t (t->fn set by the caller) to run on one of up to n workers
 * (1..POOL_MAX_THREADS; more threads are started when fewer exist) and
 * return at once.  0, or PT_ENOMEM when no thread exists and none could
 * be created: then t has already run on the calling thread and is done.
 * O(1) plus thread creation.
 */
int pool_submit(unsigned n, struct pool_task *t);

/* 1 when t has finished, else 0 (does not wait).  t must be submitted. */
int pool_done(struct pool_task *t);

/* Wait until t (submitted) has finished. */
void pool_wait(struct pool_task *t);

#endif
