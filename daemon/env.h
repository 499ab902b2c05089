/*
 * env.h: the daemon's clocks, the part of its environment every module
 * reads.  No state: the daemon's context is built by main.c and passed
 * to each module as arguments (seq_opts, api_ctx, pub, ...).
 */
#ifndef PTD_ENV_H
#define PTD_ENV_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
uint64_t env_now_ms(void);
/* Seconds on the monotonic clock (CLOCK_MONOTONIC). */
double env_mono(void);

#endif
