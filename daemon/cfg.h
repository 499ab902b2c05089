/*
 * cfg.h: pubtraild configuration.  One table (cfg.c) names every key, its
 * type, bounds and default; the INI file (--config FILE, inih) and the
 * command-line options both go through it, so every option has a config
 * key and every limit is checked the same way.
 */
#ifndef PTD_CFG_H
#define PTD_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pt.h"

#define CFG_PATH_MAX 1024

struct cfg {
	char data[CFG_PATH_MAX];	/* data directory */
	char listen[CFG_PATH_MAX];	/* HOST:PORT */
	char origin[CFG_PATH_MAX];	/* used when a log is created */
	uint64_t require_origin;	/* 1: no new log without origin */
	char submitters[CFG_PATH_MAX];	/* "" = DATA/submitters */
	char registrar_key[CFG_PATH_MAX]; /* verifier key or file; "" =
					 * DATA/registrar.vkey if present */
	uint64_t batch_max;
	uint64_t batch_window_ms;
	uint64_t batch_window_max_ms;
	uint64_t verify_threads;	/* 0 = number of CPUs */
	uint64_t queue_max;
	uint64_t max_headers;
	uint64_t max_body;
	uint64_t add_batch_max;		/* submissions in one POST /add */
	uint64_t add_batch_bytes;	/* bytes of such a batch */
	uint64_t request_deadline_ms;
	uint64_t idle_timeout_s;
	uint64_t max_connections;
	uint64_t rate_limit;		/* per submitter, entries/s; 0 = off */
	uint64_t rate_burst;
	uint64_t map_size_mb;
	uint64_t verbose;
	char witness_policy[CFG_PATH_MAX];	/* "" = no witnesses */
	char witness_cacert[CFG_PATH_MAX];	/* "" = system CA store */
	uint64_t witness_interval_ms;
	uint64_t witness_timeout_ms;
	uint64_t witness_wait_quorum;
	uint64_t witness_receipt_timeout_ms;
	char web_root[CFG_PATH_MAX];	/* citizen page; "" = none */
	char publish_dir[CFG_PATH_MAX];	/* static tlog-tiles tree; "" = none */
	uint64_t publish_gzip;		/* .gz beside each bundle there */
};

#define CFG_DEFAULT_PORT 8640

/* Fill c with every key's default. */
void cfg_defaults(struct cfg *c);

/* Set one key from text (taken literally: no comments), checking type and
 * bounds: a number through num_parse_u64 within the key's [min, max], a
 * string of at most CFG_PATH_MAX - 1 bytes (and at least 1 for data and
 * listen).  0, PT_ENOTFOUND (unknown key), PT_EINVAL (bad value); why (may
 * be NULL) says which.  c is unchanged on error.  O(len). */
int cfg_set(struct cfg *c, const char *key, const char *value,
    struct pt_why *why);

/* Read an INI file: keys at top level or in a [pubtraild] section; lines
 * starting with '#' or ';' are comments, and so is the rest of a value
 * from a '#' or ';' at its start or after a blank ("data = /x # why"
 * sets data to "/x").  Stops at the first error: PT_EIO (cannot open),
 * PT_EINVAL (unknown section or key, bad value, syntax), with "file:
 * reason" or "file:line: syntax error" in why (may be NULL).  Keys set
 * before the error stay set in c. */
int cfg_load(struct cfg *c, const char *path, struct pt_why *why);

/* Print every key, its value, bounds and meaning (for --help and docs). */
void cfg_describe(FILE *out);

/* Split c->listen into host and port.  0 or PT_EINVAL. */
int cfg_listen_split(const struct cfg *c, char *host, size_t hostcap,
    uint16_t *port);

#endif
