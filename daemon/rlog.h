/*
 * rlog.h: a rate limit for log lines, so that a flood of refused requests
 * cannot fill the disk with the log: a token bucket of lines (rate per
 * second, burst), and a count of the lines it held back, reported as one
 * line later.  The caller does the logging; one thread (the event loop).
 */
#ifndef PTD_RLOG_H
#define PTD_RLOG_H

#include <stdint.h>

struct rlog {
	double rate, burst;	/* lines per second, bucket size */
	double tokens;
	double last;		/* time of the last refill, seconds */
	uint64_t held;		/* lines held back since held_since */
	double held_since;
};

/* A full bucket at time now (seconds, monotonic). */
void rlog_init(struct rlog *r, double rate, double burst, double now);

/*
 * May a line be logged at now?  1: yes (a token taken); 0: no, counted.
 * When it says yes and lines were held back, *held and *secs get their
 * number and the seconds since the first was held (log them first) and
 * the count starts again; otherwise *held is 0.  O(1).
 */
int rlog_allow(struct rlog *r, double now, uint64_t *held, double *secs);

/* The lines held back so far (and the seconds since the first), and the
 * count starts again: for a timer and for the last line at exit.  O(1). */
uint64_t rlog_take_held(struct rlog *r, double now, double *secs);

#endif
