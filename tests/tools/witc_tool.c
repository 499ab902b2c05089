/*
 * witc_tool: drives daemon/witc against real witnesses without the
 * daemon's wiring: opens a (stopped or running) log's store read-only,
 * hands witc its newest checkpoint, and runs the loop until a published
 * note meets the policy's quorum (exit 0, the note on stdout) or the time
 * runs out (exit 1, the last note published on stdout).  /metrics text
 * from witc_metrics goes to stderr.
 *
 *   witc_tool DATA POLICY [WAIT_MS [INTERVAL_MS [TIMEOUT_MS]]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "../../daemon/log.h"
#include "../../daemon/store.h"
#include "../../daemon/witc.h"
#include "pt.h"
#include "ptlimits.h"

struct st {
	struct event_base *base;
	char last[PT_NOTE_MAX + 1];
	int quorum;
};

static void
publish(const char *note, size_t len, uint64_t size, int quorum, void *arg)
{
	struct st *s = arg;

	(void)size;
	memcpy(s->last, note, len);
	s->last[len] = '\0';
	if (quorum) {
		s->quorum = 1;
		event_base_loopexit(s->base, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct store_opts so = { 0, 1 };
	struct witc_opts wo = { NULL, 1000, 3000, 0, NULL };
	struct store *store;
	struct store_txn *t;
	struct witc *w;
	struct evbuffer *m;
	struct timeval tv;
	static struct st s;
	const char *note;
	struct pt_why pw = { "" };
	size_t len;
	uint64_t size, tms, wait = 10000;
	char *copy;

	if (argc < 3) {
		fprintf(stderr, "usage: witc_tool DATA POLICY [WAIT_MS "
		    "[INTERVAL_MS [TIMEOUT_MS]]]\n");
		return 2;
	}
	if (argc > 3)
		wait = strtoull(argv[3], NULL, 10);
	if (argc > 4)
		wo.interval_ms = strtoull(argv[4], NULL, 10);
	if (argc > 5)
		wo.timeout_ms = strtoull(argv[5], NULL, 10);
	wo.policy_path = argv[2];
	log_init(0);
	if (store_open(argv[1], &so, &store, &pw) != 0) {
		fprintf(stderr, "store: %s\n", pw.text);
		return 3;
	}
	if (store_read_begin(store, &t) != 0 ||
	    store_latest_checkpoint(t, &note, &len, &size, &tms) != 0) {
		fprintf(stderr, "no checkpoint\n");
		store_close(store);
		return 3;
	}
	copy = malloc(len);
	memcpy(copy, note, len);
	store_read_end(t);
	s.base = event_base_new();
	if (witc_start(s.base, store, &wo, publish, &s, &w, &pw) != 0) {
		fprintf(stderr, "witc_start: %s\n", pw.text);
		free(copy);
		event_base_free(s.base);
		store_close(store);
		return 2;
	}
	witc_checkpoint(w, copy, len, size);
	free(copy);
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	event_base_loopexit(s.base, &tv);
	event_base_dispatch(s.base);
	fputs(s.last, stdout);
	m = evbuffer_new();
	witc_metrics(w, m);
	fwrite(evbuffer_pullup(m, -1), 1, evbuffer_get_length(m), stderr);
	evbuffer_free(m);
	witc_free(w);
	event_base_free(s.base);
	store_close(store);
	return s.quorum ? 0 : 1;
}
