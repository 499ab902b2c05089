/*
 * env.h: the daemon's one global environment.  Set up in main.c; the
 * event-loop thread owns everything here except where a field says
 * otherwise.
 */
#ifndef PTD_ENV_H
#define PTD_ENV_H

#include <pthread.h>
#include <stdint.h>

#include "cfg.h"
#include "ptlimits.h"
#include "note.h"

struct event_base;
struct store;
struct subm_list;
struct seq;
struct httpd;

struct env {
	struct cfg cfg;
	char config_path[CFG_PATH_MAX];	/* "" when none */
	struct event_base *base;
	struct store *store;
	struct note_skey logkey;	/* secret: wiped at exit */
	struct note_vkey logvkey;
	char logvkey_str[PT_MAX_VKEY + 1];
	char origin[PT_MAX_ORIGIN + 1];
	struct subm_list *subm;
	struct seq *seq;
	struct httpd *httpd;

	/* The latest published checkpoint: written by the sequencer thread
	 * after each commit, read by the loop thread.  Guarded by ck_mu. */
	pthread_mutex_t ck_mu;
	char ck_note[PT_NOTE_MAX + 1];
	size_t ck_len;
	uint64_t ck_size;
};

extern struct env env;

/* Copy the published checkpoint (under ck_mu).  note gets ck_len bytes
 * plus a NUL; cap >= PT_NOTE_MAX + 1. */
void env_checkpoint(char *note, size_t cap, size_t *len, uint64_t *size);
void env_publish_checkpoint(const char *note, size_t len, uint64_t size);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME) and monotonic. */
uint64_t env_now_ms(void);
double env_mono(void);

#endif
