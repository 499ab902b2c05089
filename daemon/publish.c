/* publish.c: the static tlog-tiles tree pubtraild writes (publish.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>

#include "ckpt.h"
#include "crypto.h"
#include "log.h"
#include "metrics.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "ptlimits.h"
#include "pub.h"
#include "publish.h"
#include "store.h"
#include "tdir.h"
#include "tile.h"
#include "webroot.h"

#define TILE_BYTES	(TILE_WIDTH * MT_HASH_SIZE)
#define PUBLISH_MIN_MS	100	/* between rounds, at least */

struct publish {
	struct publish_opts o;
	struct tdir *td;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wake, stop, dead;
	_Atomic uint64_t size;		/* published */
	char *note;			/* the checkpoint published last */
	size_t note_len;
	uint8_t *buf;			/* a bundle: 256 entries */
	char *served;			/* PT_NOTE_MAX + 1 */
};

uint64_t
publish_size(struct publish *p)
{
	return atomic_load_explicit(&p->size, memory_order_relaxed);
}

void
publish_wake(struct publish *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->wake = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Hash tile (level k, n) of width w, or bundle n of width w, from the
 * store into buf (*len).  One short read transaction. */
static int
read_tile(struct publish *p, const struct tile *t, uint8_t *buf,
    size_t *len)
{
	struct store_txn *txn;
	int rc;

	if ((rc = store_read_begin(p->o.store, &txn)) != 0)
		return rc;
	if (t->entries) {
		const uint8_t *e[TILE_WIDTH];
		size_t elen[TILE_WIDTH], used = 0;

		rc = store_get_entries(txn, t->n * TILE_WIDTH, t->width, e,
		    elen);
		for (unsigned i = 0; rc == 0 && i < t->width; i++)
			rc = tile_bundle_put(buf, PT_ANSWER_BUNDLE, &used, e[i],
			    elen[i]);
		*len = used;
	} else {
		rc = store_get_hashes(txn, t->level * TILE_HEIGHT,
		    t->n * TILE_WIDTH, t->width, (struct mt_hash *)buf);
		*len = (size_t)t->width * MT_HASH_SIZE;
	}
	store_read_end(txn);
	return rc;
}

/*
 * Write every tile of the tree of size that the tree of size from lacks:
 * at each level the tiles from the one that was partial (or absent) at
 * from to the last, full ones once and the partial one of size; bundles
 * as level 0.  O((size - from) / 256 + levels) tiles.
 */
static int
write_tiles(struct publish *p, uint64_t from, uint64_t size,
    struct pt_why *why)
{
	int rc;

	for (unsigned k = 0; k <= TILE_MAX_LEVEL && k * TILE_HEIGHT < 64;
	    k++) {
		uint64_t sk = size >> (k * TILE_HEIGHT);
		uint64_t n0 = (from >> (k * TILE_HEIGHT)) / TILE_WIDTH;

		if (sk == 0)
			break;
		for (uint64_t n = n0; n <= sk / TILE_WIDTH; n++) {
			unsigned w = n < sk / TILE_WIDTH ? TILE_WIDTH :
			    (unsigned)(sk % TILE_WIDTH);

			if (w == 0)
				break;
			for (int ent = 0; ent <= (k == 0); ent++) {
				struct tile t = { ent == 1, ent ? 0 : k, n, w };
				size_t len = 0;

				if ((rc = read_tile(p, &t, p->buf, &len)) != 0)
					return pt_why_set(why, rc, "reading "
					    "tile %u/%llu from the store: %s",
					    k, (unsigned long long)n,
					    pt_strerror(rc));
				if ((rc = tdir_put_tile(p->td, &t, p->buf, len,
				    why)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

/* Remove the partial tiles of the positions that are full at size and
 * were not at from. */
static int
drop_partials(struct publish *p, uint64_t from, uint64_t size,
    struct pt_why *why)
{
	int rc;

	for (unsigned k = 0; k <= TILE_MAX_LEVEL && k * TILE_HEIGHT < 64;
	    k++) {
		uint64_t sk = size >> (k * TILE_HEIGHT);
		uint64_t n0 = (from >> (k * TILE_HEIGHT)) / TILE_WIDTH;

		if (sk == 0)
			break;
		for (uint64_t n = n0; n < sk / TILE_WIDTH; n++) {
			struct tile t = { false, k, n, TILE_WIDTH };

			if ((rc = tdir_drop_partials(p->td, &t, why)) != 0)
				return rc;
			if (k == 0) {
				t.entries = true;
				if ((rc = tdir_drop_partials(p->td, &t,
				    why)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

/* One round: publish the served checkpoint when it is new.  0, or the
 * error of a write (retried later). */
static int
round_once(struct publish *p, struct pt_why *why)
{
	uint64_t size, from = publish_size(p);
	size_t len;
	int rc;

	pub_served(p->o.pub, p->served, PT_NOTE_MAX + 1, &len, &size);
	if (len == 0 || size < from || (size == from && p->note != NULL &&
	    len == p->note_len && memcmp(p->served, p->note, len) == 0))
		return 0;
	if (size > from) {
		if ((rc = write_tiles(p, from, size, why)) != 0 ||
		    (rc = tdir_sync(p->td, why)) != 0)
			return rc;
	}
	if ((rc = tdir_put_file(p->td, "checkpoint", p->served, len, 0644,
	    why)) != 0)
		return rc;
	free(p->note);
	if ((p->note = malloc(len)) != NULL) {
		memcpy(p->note, p->served, len);
		p->note_len = len;
	}
	atomic_store_explicit(&p->size, size, memory_order_relaxed);
	if (size > from && (rc = drop_partials(p, from, size, why)) != 0)
		log_warnx("publish_dir: %s", why->text);
	if (p->o.metrics != NULL)
		metrics_published(p->o.metrics, size);
	return 0;
}

/* now + ms as a CLOCK_REALTIME deadline for pthread_cond_timedwait. */
static struct timespec
deadline_in(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/*
 * The thread: a round when woken, at most one every PUBLISH_MIN_MS
 * (wake-ups meanwhile coalesce into the next round); after a failed round
 * another a second later, woken or not.
 */
static void *
run(void *arg)
{
	struct publish *p = arg;
	struct pt_why why;
	struct timespec next = { 0, 0 };
	int rc, failing = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && !p->wake) {
			if (failing) {
				struct timespec ts = deadline_in(1000);

				if (pthread_cond_timedwait(&p->cv, &p->mu,
				    &ts) != 0)
					break;		/* retry now */
			} else
				pthread_cond_wait(&p->cv, &p->mu);
		}
		while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu,
		    &next) == 0)
			;	/* not before next: wake-ups coalesce */
		if (p->stop)
			break;
		p->wake = 0;
		pthread_mutex_unlock(&p->mu);
		why.text[0] = '\0';
		rc = round_once(p, &why);
		next = deadline_in(PUBLISH_MIN_MS);
		if (rc != 0 && p->o.metrics != NULL)
			metrics_publish_error(p->o.metrics);
		if (rc == PT_ECONFLICT) {
			log_warnx("publish_dir %s: %s; publishing stopped (the "
			    "log goes on)", p->o.dir, why.text);
			pthread_mutex_lock(&p->mu);
			p->dead = 1;
			break;
		}
		if (rc != 0 && !failing)
			log_warnx("publish_dir %s: %s; retrying every second",
			    p->o.dir, why.text[0] ? why.text : pt_strerror(rc));
		else if (rc == 0 && failing)
			log_info("publish_dir %s: publishing again", p->o.dir);
		failing = rc != 0;
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Where publishing goes on: 0 for a directory without a checkpoint, the
 * size of its checkpoint when it is this log's and the store has the
 * same root at that size.  PT_ECONFLICT (reason in why) for a checkpoint
 * of another log or another history: its tree is not written over.
 */
static int
resume_size(struct publish *p, uint64_t *size, struct pt_why *why)
{
	struct ckpt *ck;
	uint8_t *note = NULL;
	size_t len;
	struct store_txn *txn;
	struct mt_reader rd;
	struct mt_hash root;
	int rc;

	*size = 0;
	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return PT_ENOMEM;
	rc = tdir_get_file(p->td, "checkpoint", PT_NOTE_MAX, &note, &len, why);
	if (rc == PT_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (ckpt_open((const char *)note, len, p->o.logkey, ck) != 0) {
		rc = pt_why_set(why, PT_ECONFLICT, "its checkpoint is not one "
		    "of this log (another log's tree?)");
		goto out;
	}
	if ((rc = store_read_begin(p->o.store, &txn)) != 0)
		goto out;
	store_txn_reader(txn, &rd);
	rc = mt_root(&rd, ck->size, &root);
	store_read_end(txn);
	if (rc != 0 || cr_memcmp(root.b, ck->root.b, 32) != 0) {
		rc = pt_why_set(why, PT_ECONFLICT, "its checkpoint of size "
		    "%llu is not the tree this store holds", (unsigned long long)
		    ck->size);
		goto out;
	}
	*size = ck->size;
	if ((p->note = malloc(len)) != NULL) {
		memcpy(p->note, note, len);
		p->note_len = len;
	}
out:
	free(note);
	free(ck);
	return rc;
}

/* log.vkey, registrar.vkey (as pubtraild serves them), the page and its
 * config.json (as pubtraild answers /config.json: the web root's own,
 * else the log's). */
static int
put_extras(struct publish *p, struct pt_why *why)
{
	char vk[PT_MAX_VKEY + 2];
	struct evbuffer *b;
	struct webroot_answer a;
	struct webroot_log wl = { p->o.logvkey, p->o.policy_path, p->o.allow };
	struct stat sb;
	int rc;

	snprintf(vk, sizeof(vk), "%s\n", p->o.logvkey);
	if ((rc = tdir_put_file(p->td, "log.vkey", vk, strlen(vk), 0644,
	    why)) != 0)
		return rc;
	if (p->o.registrar != NULL && p->o.registrar[0] != '\0') {
		snprintf(vk, sizeof(vk), "%s\n", p->o.registrar);
		if ((rc = tdir_put_file(p->td, "registrar.vkey", vk,
		    strlen(vk), 0644, why)) != 0)
			return rc;
	}
	if (p->o.web_root == NULL || p->o.web_root[0] == '\0')
		return 0;
	if (stat(p->o.web_root, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		/* As the route: no page to serve, none to publish. */
		log_info("publish_dir %s: no citizen page (web_root %s is not "
		    "a directory)", p->o.dir, p->o.web_root);
		return 0;
	}
	if ((rc = tdir_copy_dir(p->td, p->o.web_root, why)) != 0)
		return rc;
	if ((b = evbuffer_new()) == NULL)
		return PT_ENOMEM;
	webroot_serve(p->o.web_root, "/config.json", &wl, b, &a);
	if (a.status == 200) {
		size_t n = evbuffer_get_length(b);
		unsigned char *s = evbuffer_pullup(b, -1);

		rc = s == NULL ? PT_ENOMEM : tdir_put_file(p->td,
		    "config.json", s, n, 0644, why);
	}
	evbuffer_free(b);
	return rc;
}

int
publish_start(const struct publish_opts *o, struct publish **out,
    struct pt_why *why)
{
	struct publish *p;
	uint64_t size;
	int rc;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->buf = malloc(PT_ANSWER_BUNDLE)) == NULL ||
	    (p->served = malloc(PT_NOTE_MAX + 1)) == NULL) {
		if (p != NULL)
			free(p->buf);
		free(p);
		return PT_ENOMEM;
	}
	p->o = *o;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((rc = tdir_open(o->dir, o->gzip, &p->td, why)) != 0 ||
	    (rc = resume_size(p, &size, why)) != 0 ||
	    (rc = put_extras(p, why)) != 0)
		goto fail;
	atomic_store(&p->size, size);
	p->o.logkey = NULL;	/* the caller's: read above only */
	p->o.allow = NULL;
	p->wake = 1;
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		rc = pt_why_set(why, PT_ENOMEM, "cannot start a thread");
		goto fail;
	}
	*out = p;
	return 0;
fail:
	tdir_free(p->td);
	free(p->note);
	free(p->buf);
	free(p->served);
	free(p);
	return rc;
}

void
publish_stop(struct publish *p)
{
	struct pt_why why = { "" };

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	/* The last commit's checkpoint too. */
	if (!p->dead && round_once(p, &why) != 0)
		log_warnx("publish_dir %s: %s", p->o.dir, why.text);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	tdir_free(p->td);
	free(p->note);
	free(p->buf);
	free(p->served);
	free(p);
}
