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
struct witc;
struct event;
struct seq_job;

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

	struct witc *witc;		/* NULL without a witness policy */
	struct event *ckpt_ev;		/* seq thread -> loop: new checkpoint */
	struct seq_job *parked;		/* receipts waiting for a quorum */
	uint64_t nparked;

	/* The latest log-signed checkpoint (ck_*): written by the sequencer
	 * thread after each commit.  The served checkpoint (pub_*): what
	 * GET /checkpoint answers and receipts carry: the latest one, with
	 * any cosignatures for it; or, with witness_wait_quorum, the latest
	 * one whose cosignatures meet the policy's quorum (pub_size 0 and
	 * pub_len 0 until there is one).  Both guarded by ck_mu. */
	pthread_mutex_t ck_mu;
	char ck_note[PT_NOTE_MAX + 1];
	size_t ck_len;
	uint64_t ck_size;
	char pub_note[PT_NOTE_MAX + 1];
	size_t pub_len;
	uint64_t pub_size;
	int wait_quorum;		/* set once at start-up */
};

extern struct env env;

/* Copy the latest log-signed checkpoint (under ck_mu).  note gets ck_len
 * bytes plus a NUL; cap >= PT_NOTE_MAX + 1.  Its size bounds every read. */
void env_checkpoint(char *note, size_t cap, size_t *len, uint64_t *size);
/* Copy the served checkpoint (see above): *len 0 when there is none yet. */
void env_served(char *note, size_t cap, size_t *len, uint64_t *size);
/* A new log-signed checkpoint was committed (any thread).  Without
 * wait_quorum it is served at once; the loop thread is told (ckpt_ev). */
void env_publish_checkpoint(const char *note, size_t len, uint64_t size);
/* Witness cosignatures arrived for a checkpoint of size (loop thread). */
void env_publish_cosigned(const char *note, size_t len, uint64_t size,
    int quorum);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME) and monotonic. */
uint64_t env_now_ms(void);
double env_mono(void);

#endif
