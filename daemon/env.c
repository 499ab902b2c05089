/* env.c: the global environment and its published checkpoint. */
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "env.h"

struct env env;

void
env_checkpoint(char *note, size_t cap, size_t *len, uint64_t *size)
{
	pthread_mutex_lock(&env.ck_mu);
	if (note != NULL && cap > env.ck_len) {
		memcpy(note, env.ck_note, env.ck_len);
		note[env.ck_len] = '\0';
		if (len != NULL)
			*len = env.ck_len;
	} else if (len != NULL) {
		*len = 0;
	}
	if (size != NULL)
		*size = env.ck_size;
	pthread_mutex_unlock(&env.ck_mu);
}

void
env_served(char *note, size_t cap, size_t *len, uint64_t *size)
{
	pthread_mutex_lock(&env.ck_mu);
	if (note != NULL && cap > env.pub_len) {
		memcpy(note, env.pub_note, env.pub_len);
		note[env.pub_len] = '\0';
		if (len != NULL)
			*len = env.pub_len;
	} else if (len != NULL) {
		*len = 0;
	}
	if (size != NULL)
		*size = env.pub_size;
	pthread_mutex_unlock(&env.ck_mu);
}

void
env_publish_checkpoint(const char *note, size_t len, uint64_t size)
{
	pthread_mutex_lock(&env.ck_mu);
	if (len <= PT_NOTE_MAX) {
		memcpy(env.ck_note, note, len);
		env.ck_note[len] = '\0';
		env.ck_len = len;
		env.ck_size = size;
		if (!env.wait_quorum) {
			memcpy(env.pub_note, note, len);
			env.pub_note[len] = '\0';
			env.pub_len = len;
			env.pub_size = size;
		}
	}
	pthread_mutex_unlock(&env.ck_mu);
	if (env.ckpt_ev != NULL)
		event_active(env.ckpt_ev, EV_READ, 0);
}

void
env_publish_cosigned(const char *note, size_t len, uint64_t size,
    int quorum)
{
	if (len > PT_NOTE_MAX)
		return;
	pthread_mutex_lock(&env.ck_mu);
	/* Without wait_quorum: add the cosignatures to the checkpoint served
	 * now, if it is still the latest.  With it: serve the newest
	 * checkpoint that meets the quorum. */
	if ((!env.wait_quorum && size == env.ck_size) ||
	    (env.wait_quorum && quorum && size >= env.pub_size)) {
		memcpy(env.pub_note, note, len);
		env.pub_note[len] = '\0';
		env.pub_len = len;
		env.pub_size = size;
	}
	pthread_mutex_unlock(&env.ck_mu);
}

uint64_t
env_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double
env_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
