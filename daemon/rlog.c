/* rlog.c: a rate limit for log lines (rlog.h). */
#include "rlog.h"

void
rlog_init(struct rlog *r, double rate, double burst, double now)
{
	r->rate = rate;
	r->burst = burst;
	r->tokens = burst;
	r->last = now;
	r->held = 0;
	r->held_since = now;
}

static void
refill(struct rlog *r, double now)
{
	if (now > r->last) {
		r->tokens += (now - r->last) * r->rate;
		if (r->tokens > r->burst)
			r->tokens = r->burst;
		r->last = now;
	}
}

int
rlog_allow(struct rlog *r, double now, uint64_t *held, double *secs)
{
	*held = 0;
	*secs = 0;
	refill(r, now);
	if (r->tokens < 1) {
		if (r->held++ == 0)
			r->held_since = now;
		return 0;
	}
	r->tokens -= 1;
	if (r->held > 0)
		*held = rlog_take_held(r, now, secs);
	return 1;
}

uint64_t
rlog_take_held(struct rlog *r, double now, double *secs)
{
	uint64_t n = r->held;

	*secs = n > 0 ? now - r->held_since : 0;
	r->held = 0;
	return n;
}
