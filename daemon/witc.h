/*
 * witc.h: the log's side of witnessing (C2SP tlog-witness).  Reads a trust
 * policy (C2SP tlog-policy: `witness NAME VKEY URL`, `group`, `quorum`),
 * and for the newest checkpoint, at most once per interval, asks every
 * witness in parallel (net/hcli: libcurl on the daemon's event loop, http://
 * or https://, whole-request deadlines, answers capped while read) to
 * cosign it,
 * sending the consistency proof from the size that witness last cosigned
 * and retrying from the size a 409 reports.  Cosignature lines it gets are
 * merged into the published checkpoint.
 *
 * Runs entirely on the event-loop thread.
 */
#ifndef PTD_WITC_H
#define PTD_WITC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;
struct witc;

struct witc_opts {
	const char *policy_path;	/* tlog-policy file */
	uint64_t interval_ms;		/* at most one round per interval */
	uint64_t timeout_ms;		/* per witness request */
	int wait_for_quorum;		/* publish only cosigned checkpoints */
	const char *cacert;		/* CAs for https:// witnesses; NULL or
					 * "": the system's store */
};

/*
 * Called (on the loop thread) whenever a checkpoint with cosignatures is
 * ready: note is the log-signed checkpoint with every cosignature line
 * obtained so far appended (a valid signed note), size its tree size,
 * quorum 1 when the policy's quorum is met by those cosignatures.
 */
typedef void (*witc_publish_fn)(const char *note, size_t len, uint64_t size,
    int quorum, void *arg);

/* Parse the policy and start.  0, or PT_EIO (cannot open the policy),
 * PT_EINVAL (a witness without URL), PT_ENOMEM, or the policy parser's
 * and the HTTP client's errors, with the reason in why (may be NULL; a bad
 * policy file: names the line). */
struct pt_why;
int witc_start(struct event_base *base, struct store *store,
    const struct witc_opts *o, witc_publish_fn publish, void *arg,
    struct witc **out, struct pt_why *why);
/* A new log-signed checkpoint was committed (loop thread).  The copy is
 * the caller's; witc keeps its own. */
void witc_checkpoint(struct witc *w, const char *note, size_t len,
    uint64_t size);
/* For /metrics: witnesses up (answered the last round), cosigned size per
 * witness, rounds, failures.  Appends Prometheus text to out. */
struct evbuffer;
void witc_metrics(struct witc *w, struct evbuffer *out);
void witc_free(struct witc *w);

#endif
