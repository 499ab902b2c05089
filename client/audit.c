/*
 * audit.c: the audit engine and `pubtrail audit`.
 *
 * A run is a pipeline over the entry bundles (256 entries each) of the
 * new tree, at most AUD_WINDOW bundles at a time.  The main thread runs
 * the event loop: it keeps the window's requests (each bundle and its
 * level-0 hash tile) in flight over the client's keep-alive connections,
 * so the server always has the next answers to send.  As soon as both
 * answers of a bundle have arrived, the bundle is one task for the worker
 * threads (pool.c), which check its framing and width, hash every entry,
 * compare the leaf hashes with the hash tile, decode every entry and
 * verify its submitter signature (not with hashes_only), and hash a full
 * bundle into its 256-leaf subtree.  Meanwhile the main thread keeps
 * receiving.  Bundles are then taken in index order on the main thread:
 * the first bad entry (lowest index) stops the run with its index; a good
 * bundle's subtree (or, for a partial one, its leaves) goes into the
 * frontier, and the entry callback sees its entries in index order.  At
 * the end the frontier's root must equal the signed root; only then is
 * the state updated (and, in deferred mode, the callback called).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "crypto.h"
#include "num.h"
#include "okeys.h"
#include "pool.h"
#include "ptlimits.h"
#include "record.h"
#include "tile.h"
#include "util.h"
#include "verify.h"

/* Bundles fetched, being checked or waiting to be taken in order, at
 * most; bounds memory at AUD_WINDOW bundles of up to 256 entries. */
#define AUD_WINDOW	32
#define AUD_PROGRESS	16		/* bundles between progress lines */
/* Deferred mode keeps at most this many bytes of entries before proving
 * the prefix they complete (monitor: memory independent of how much the
 * log grew between two polls). */
#define AUD_DEFER_BYTES	(4u << 20)
#define FRONTIER_MAGIC	"pubtrail-frontier v1\n"

struct job {
	const uint8_t *p;
	size_t len;
	uint64_t index;
	struct wire_entry e;
};

enum bstate { B_IDLE, B_FETCH, B_WORK };

struct run;

/* One entry bundle in the window.  Owned by the main thread, except
 * between pool_submit and pool_done, when only its worker writes the
 * results (rc .. jobs). */
struct bundle {
	struct pool_task task;		/* first: the worker's handle */
	struct run *x;
	enum bstate state;
	struct tile t;
	uint64_t first;			/* index of its first entry */
	unsigned width;
	unsigned skip;			/* entries verified by an earlier run */
	int need, got;			/* answers expected, arrived */
	size_t wire_len;		/* bundle bytes received (encoded) */
	struct hcli_resp er, hr;	/* entries, level-0 hashes */
	/* results of the worker */
	int rc;
	struct pt_why why;
	int have_root;			/* root: the full bundle's subtree */
	struct mt_hash root;
	struct mt_hash leaf[TILE_WIDTH];
	struct job *jobs;		/* width - skip of them, or NULL */
};

struct kept {
	uint64_t index;
	uint8_t *p;
	size_t len;
};

struct run {
	struct logc *lc;
	const struct aud_opts *o;
	struct aud_summary *sum;
	struct ckpt ck;			/* the new checkpoint */
	uint64_t start;
	struct mt_frontier fr;
	struct kept *kept;
	size_t nkept, capkept, keptbytes;
	uint64_t proven;		/* entries below this are in the signed
					 * tree (deferred mode) */
	struct aud_corr *corr;		/* the corrections index checked, or
					 * NULL (hashes_only) */
	unsigned threads;
	int stop;			/* failed: no new tasks */
	int want_jobs;			/* entries go to checks or to fn */
	double t0;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- state */

void
aud_state_free(struct aud_state *st)
{
	if (st == NULL)
		return;
	free(st->note);
	memset(st, 0, sizeof(*st));
}

int
aud_state_load(const char *dir, const struct note_vkey *key,
    struct aud_state *st, struct pt_why *why)
{
	char path[UT_PATH_MAX];
	uint8_t *note = NULL, *fb = NULL;
	size_t nlen, flen, ml = strlen(FRONTIER_MAGIC);
	struct mt_hash root;
	int rc;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	rc = ut_read_file(path, PT_NOTE_MAX, &note, &nlen, why);
	if (rc == PT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if ((rc = ckpt_open((const char *)note, nlen, key, &st->ck)) != 0) {
		free(note);
		return pt_why_set(why, rc == PT_EORIGIN || rc ==
		    PT_EUNKNOWNSIGNER ? PT_EORIGIN : PT_ECORRUPT, "%s: not a "
		    "checkpoint of this log (%s): use another --state "
		    "directory", path, pt_strerror(rc));
	}
	snprintf(path, sizeof(path), "%s/frontier", dir);
	if ((rc = ut_read_file(path, 4096, &fb, &flen, why)) != 0) {
		free(note);
		return rc == PT_ENOTFOUND ? pt_why_set(why, PT_ECORRUPT,
		    "%s: missing", path) : rc;
	}
	if (flen < ml + 9 || memcmp(fb, FRONTIER_MAGIC, ml) != 0 ||
	    fb[ml + 8] > 64 || flen != ml + 9 + 32 * (size_t)fb[ml + 8])
		goto corrupt;
	st->fr.size = num_get_be64(fb + ml);
	st->fr.count = fb[ml + 8];
	memcpy(st->fr.h, fb + ml + 9, 32 * (size_t)st->fr.count);
	if (st->fr.size != st->ck.size ||
	    (unsigned)__builtin_popcountll(st->fr.size) != st->fr.count ||
	    mt_frontier_root(&st->fr, &root) != 0 ||
	    cr_memcmp(root.b, st->ck.root.b, 32) != 0)
		goto corrupt;
	free(fb);
	st->note = (char *)note;
	st->note_len = nlen;
	st->have = 1;
	return 0;
corrupt:
	free(fb);
	free(note);
	memset(st, 0, sizeof(*st));
	return pt_why_set(why, PT_ECORRUPT, "%s: does not match the saved "
	    "checkpoint; remove the state directory to audit from scratch",
	    path);
}

int
aud_state_save(const char *dir, const struct aud_state *st,
    struct pt_why *why)
{
	char path[UT_PATH_MAX];
	uint8_t buf[64 + 9 + 64 * 32];
	size_t ml = strlen(FRONTIER_MAGIC), n;
	int rc;

	if (!st->have)
		return 0;
	if ((rc = ut_mkdirs(dir, 0755, why)) != 0)
		return rc;
	memcpy(buf, FRONTIER_MAGIC, ml);
	num_put_be64(buf + ml, st->fr.size);
	buf[ml + 8] = (uint8_t)st->fr.count;
	memcpy(buf + ml + 9, st->fr.h, 32 * (size_t)st->fr.count);
	n = ml + 9 + 32 * (size_t)st->fr.count;
	/* Frontier first: a crash between the two writes leaves a frontier
	 * that does not match the checkpoint, which load refuses loudly
	 * rather than trusting. */
	snprintf(path, sizeof(path), "%s/frontier", dir);
	if ((rc = ut_write_file(path, buf, n, 0644, 0, why)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	return ut_write_file(path, st->note, st->note_len, 0644, 0, why);
}

/* ------------------------------------------------------------ checking */

/*
 * Worker: a bundle that came gzip-encoded (asked for so, hcli_start_gzip)
 * is inflated here, on the worker threads, not on the event loop, capped
 * at what a bundle can be.  O(bundle bytes).
 */
static int
decode_bundle(struct bundle *bu, struct pt_why *why)
{
	struct hcli_resp *r = &bu->er;
	uint8_t *d;
	size_t dl, dc;
	int rc;

	if (r->encoding[0] == '\0')
		return 0;
	if (strcmp(r->encoding, "gzip") != 0 &&
	    strcmp(r->encoding, "x-gzip") != 0)
		return pt_why_set(why, PT_ENET, "entry bundle %llu came in "
		    "the content encoding \"%s\", which was not asked for",
		    (unsigned long long)bu->t.n, r->encoding);
	if ((rc = hcli_gunzip(r->body, r->len, (size_t)bu->width *
	    (2 + PT_MAX_ENTRY), &d, &dl, &dc)) != 0)
		return pt_why_set(why, rc == PT_ENOMEM ? rc : PT_ENET, "entry "
		    "bundle %llu: %s", (unsigned long long)bu->t.n, rc ==
		    PT_ETOOBIG ? "decodes to more than an entry bundle can be" :
		    rc == PT_EMALFORMED ? "a damaged gzip stream" :
		    pt_strerror(rc));
	free(r->body);
	r->body = d;
	r->len = dl;
	r->cap = dc;
	r->encoding[0] = '\0';
	return 0;
}

/*
 * Worker: check one bundle whose answers have arrived.  Everything the
 * check of an entry needs is in the bundle; bundles share nothing but
 * the read-only run.  The first problem, in entry order, is the result.
 * O(bundle bytes) hashing, plus a signature check per entry without
 * hashes_only.
 */
static void
check_bundle(struct pool_task *pt)
{
	struct bundle *bu = (struct bundle *)pt;
	const struct run *x = bu->x;
	struct pt_why *why = &bu->why;
	struct mt_hash h[TILE_WIDTH / 2];
	size_t off = 0, nj = 0;
	unsigned k = 0;
	char what[64];
	int rc;

	bu->why.text[0] = '\0';
	snprintf(what, sizeof(what), "GET entry bundle %llu",
	    (unsigned long long)bu->t.n);
	if ((rc = logc_status(&bu->er, what, why)) != 0)
		goto out;
	if ((rc = decode_bundle(bu, why)) != 0)
		goto out;
	if (!x->o->no_tiles) {
		snprintf(what, sizeof(what), "GET hash tile 0/%llu",
		    (unsigned long long)bu->t.n);
		if ((rc = logc_status(&bu->hr, what, why)) != 0)
			goto out;
		if (bu->hr.len != 32 * (size_t)bu->width) {
			rc = pt_why_set(why, PT_ENET, "hash tile 0/%llu has %zu "
			    "bytes, want %u", (unsigned long long)bu->t.n,
			    bu->hr.len, 32 * bu->width);
			goto out;
		}
	}
	if (x->want_jobs && (bu->jobs = calloc(bu->width - bu->skip,
	    sizeof(*bu->jobs))) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	for (;;) {
		const uint8_t *e;
		size_t elen;
		uint64_t index = bu->first + k;
		int r = tile_bundle_next(bu->er.body, bu->er.len, &off, &e,
		    &elen);

		if (r == 1)
			break;
		if (r != 0 || k >= bu->width) {
			rc = pt_why_set(why, PT_EPROOF, "entry bundle %llu is "
			    "malformed or holds more than %u entries",
			    (unsigned long long)bu->t.n, bu->width);
			goto out;
		}
		k++;
		/* Entries an earlier run verified are skipped, unless a
		 * bundle callback wants the whole bundle's leaves. */
		if (k <= bu->skip && x->o->bundle == NULL)
			continue;
		if ((rc = mt_leaf_hash(e, elen, &bu->leaf[k - 1])) != 0)
			goto out;
		if (!x->o->no_tiles && cr_memcmp(bu->leaf[k - 1].b,
		    bu->hr.body + 32 * (size_t)(k - 1), 32) != 0) {
			rc = pt_why_set(why, PT_EPROOF, "hash tile 0/%llu "
			    "disagrees with entry %llu", (unsigned long long)
			    bu->t.n, (unsigned long long)index);
			goto out;
		}
		if (bu->jobs == NULL || k <= bu->skip)
			continue;
		bu->jobs[nj].p = e;
		bu->jobs[nj].len = elen;
		bu->jobs[nj].index = index;
		if (!x->o->hashes_only && (rc = vrf_entry(e, elen,
		    x->ck.origin, &bu->jobs[nj].e, why)) != 0) {
			char r2[PT_WHY_MAX];

			snprintf(r2, sizeof(r2), "%s", why->text[0] ?
			    why->text : pt_strerror(rc));
			rc = pt_why_set(why, rc, "entry %llu: %s",
			    (unsigned long long)index, r2);
			goto out;
		}
		nj++;
	}
	if (k != bu->width) {
		rc = pt_why_set(why, PT_EPROOF, "entry bundle %llu has %u "
		    "entries, want %u", (unsigned long long)bu->t.n, k,
		    bu->width);
		goto out;
	}
	/* A full bundle of new entries is one complete subtree of height
	 * TILE_HEIGHT: its 255 node hashes here, not on the main thread. */
	if ((bu->skip == 0 || x->o->bundle != NULL) &&
	    bu->width == TILE_WIDTH) {
		for (size_t i = 0; i < TILE_WIDTH / 2; i++)
			if ((rc = mt_node_hash(&bu->leaf[2 * i],
			    &bu->leaf[2 * i + 1], &h[i])) != 0)
				goto out;
		for (size_t cnt = TILE_WIDTH / 2; cnt > 1; cnt /= 2)
			for (size_t i = 0; i < cnt / 2; i++)
				if ((rc = mt_node_hash(&h[2 * i], &h[2 * i + 1],
				    &h[i])) != 0)
					goto out;
		bu->root = h[0];
		bu->have_root = 1;
	}
	rc = 0;
out:
	bu->rc = rc;
}

static void
progress(struct run *x, uint64_t done, int final)
{
	uint64_t total = x->ck.size - x->start;
	double el = now_s() - x->t0;
	unsigned pct = total ? (unsigned)(done * 100 / total) : 100;
	char bar[41];

	if (!x->o->progress)
		return;
	for (unsigned i = 0; i < 40; i++)
		bar[i] = i < pct * 40 / 100 ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %3u%% %llu/%llu entries, %.0f/s ", bar, pct,
	    (unsigned long long)done, (unsigned long long)total,
	    el > 0 ? (double)done / el : 0.0);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
keep(struct run *x, uint64_t index, const uint8_t *p, size_t len)
{
	if (x->nkept == x->capkept) {
		size_t ncap = x->capkept ? x->capkept * 2 : 256;
		struct kept *n = realloc(x->kept, ncap * sizeof(*n));

		if (n == NULL)
			return PT_ENOMEM;
		x->kept = n;
		x->capkept = ncap;
	}
	if ((x->kept[x->nkept].p = malloc(len ? len : 1)) == NULL)
		return PT_ENOMEM;
	memcpy(x->kept[x->nkept].p, p, len);
	x->kept[x->nkept].len = len;
	x->kept[x->nkept].index = index;
	x->nkept++;
	x->keptbytes += len;
	return 0;
}

/* Deferred entries to the callback, in index order, and forgotten. */
static int
flush_kept(struct run *x)
{
	int rc = 0;

	for (size_t i = 0; i < x->nkept; i++) {
		struct wire_entry e;

		if (rc == 0 && (rc = wire_entry_decode(x->kept[i].p,
		    x->kept[i].len, &e, NULL)) == 0)
			rc = x->o->fn(x->o->arg, x->kept[i].index, x->kept[i].p,
			    x->kept[i].len, &e);
		free(x->kept[i].p);
	}
	x->nkept = 0;
	x->keptbytes = 0;
	return rc;
}

/*
 * Deferred mode, mid-run: prove that the entries taken so far (the
 * frontier, a prefix of size m of the new tree) are the first m entries of
 * the signed tree, with the log's consistency proof from the frontier's
 * root to the signed root; then hand the kept entries to the callback.
 * So a monitor shows what is proven as it goes and keeps at most about
 * AUD_DEFER_BYTES, however far the log grew.  One request.
 */
static int
prove_prefix(struct run *x, struct pt_why *why)
{
	struct ckpt pre;
	int rc;

	if (x->fr.size == x->ck.size || x->fr.size == 0)
		return 0;	/* the final root check covers it */
	pre = x->ck;
	pre.size = x->fr.size;
	if ((rc = mt_frontier_root(&x->fr, &pre.root)) != 0)
		return rc;
	if ((rc = logc_consistent(x->lc, &pre, &x->ck, why)) != 0) {
		if (rc == PT_EPROOF)
			rc = pt_why_set(why, PT_EPROOF, "the first %llu "
			    "entries the log served are not the first %llu "
			    "of its signed tree of size %llu",
			    (unsigned long long)pre.size,
			    (unsigned long long)pre.size,
			    (unsigned long long)x->ck.size);
		return rc;
	}
	x->proven = pre.size;
	return flush_kept(x);
}

/*
 * Main thread: take the next bundle in index order, checked by its
 * worker: count it, put its hashes into the frontier and its entries to
 * the callback.  O(entries) without a callback's own work.
 */
static int
take_bundle(struct run *x, struct bundle *bu, struct pt_why *why)
{
	int rc;

	if (bu->er.err == 0 && bu->er.status == 200) {
		x->sum->bundles++;
		x->sum->bytes += bu->wire_len;
	}
	if (!x->o->no_tiles && bu->hr.err == 0 && bu->hr.status == 200) {
		x->sum->tiles++;
		x->sum->bytes += bu->hr.len;
	}
	if (bu->rc != 0) {
		*why = bu->why;
		return bu->rc;
	}
	if (x->o->bundle != NULL) {
		struct aud_bundle b = { bu->t.n, bu->width, bu->er.body,
		    bu->er.len, x->o->no_tiles ? NULL : bu->hr.body, bu->leaf,
		    bu->have_root ? &bu->root : NULL };

		if ((rc = x->o->bundle(x->o->bundle_arg, &b)) != 0)
			return rc;
	}
	if (bu->have_root && x->fr.size == bu->first)
		rc = mt_frontier_push_subtree(&x->fr, TILE_HEIGHT, &bu->root);
	else {
		rc = 0;
		for (unsigned k = bu->skip; k < bu->width && rc == 0; k++)
			rc = mt_frontier_push(&x->fr, &bu->leaf[k]);
	}
	if (rc != 0)
		return rc;
	x->sum->entries += bu->width - bu->skip;
	for (size_t i = 0; bu->jobs != NULL && i < bu->width - bu->skip; i++) {
		struct job *j = &bu->jobs[i];

		if (!x->o->hashes_only && j->e.sub.info.type >= 1 &&
		    j->e.sub.info.type <= RECORD_NTYPES)
			x->sum->by_type[j->e.sub.info.type]++;
		if (x->corr != NULL && (rc = aud_corr_entry(x->corr, j->index,
		    &bu->leaf[j->index - bu->first], &j->e, x->start,
		    why)) != 0)
			return rc;
		if (x->o->fn == NULL)
			continue;
		if (x->o->defer)
			rc = keep(x, j->index, j->p, j->len);
		else
			rc = x->o->fn(x->o->arg, j->index, j->p, j->len, &j->e);
		if (rc != 0)
			return rc;
	}
	if (x->o->defer && x->keptbytes >= AUD_DEFER_BYTES)
		return prove_prefix(x, why);
	return 0;
}

/* ------------------------------------------------------------ fetching */

static void
bundle_reset(struct bundle *bu)
{
	if (bu->x != NULL) {
		hcli_resp_recycle(bu->x->lc->http, &bu->er);
		hcli_resp_recycle(bu->x->lc->http, &bu->hr);
	}
	free(bu->jobs);
	bu->jobs = NULL;
	bu->state = B_IDLE;
}

/* Both answers in: hand the bundle to a worker (unless the run failed). */
static void
arrived(struct bundle *bu)
{
	struct run *x = bu->x;

	if (++bu->got < bu->need || x->stop)
		return;
	bu->state = B_WORK;
	bu->task.fn = check_bundle;
	(void)pool_submit(x->threads, &bu->task);
}

static void
got_entries(void *arg, struct hcli_resp *r)
{
	struct bundle *bu = arg;

	bu->er = *r;
	bu->wire_len = r->len;
	r->body = NULL;
	arrived(bu);
}

static void
got_tile(void *arg, struct hcli_resp *r)
{
	struct bundle *bu = arg;

	bu->hr = *r;
	r->body = NULL;
	arrived(bu);
}

/* Plan bundle n of the new tree into bu (idle) and queue its requests. */
static int
fetch_bundle(struct run *x, uint64_t n, struct bundle *bu)
{
	char path[TILE_PATH_MAX + 2];
	struct tile h;
	int rc;

	memset(bu, 0, sizeof(*bu));
	bu->x = x;
	bu->t.entries = true;
	bu->t.n = n;
	bu->t.width = TILE_WIDTH;
	if (tile_width_at(&bu->t, x->ck.size, &bu->width) != 0)
		return PT_ERANGE;
	bu->t.width = bu->width;
	bu->first = n * TILE_WIDTH;
	bu->skip = bu->first < x->start ? (unsigned)(x->start - bu->first) :
	    0;
	bu->need = x->o->no_tiles ? 1 : 2;
	bu->state = B_FETCH;
	path[0] = '/';
	if ((rc = tile_path_format(&bu->t, path + 1, sizeof(path) - 1)) != 0)
		return rc;
	/* Capped by what a bundle of this width can be, while it is read. */
	/* Left gzip-encoded: inflated by the worker (decode_bundle). */
	if ((rc = hcli_start_gzip(x->lc->http, path, NULL,
	    (size_t)bu->width * (2 + PT_MAX_ENTRY), got_entries, bu)) != 0)
		return rc;
	if (x->o->no_tiles)
		return 0;
	h = bu->t;
	h.entries = false;
	h.level = 0;
	if ((rc = tile_path_format(&h, path + 1, sizeof(path) - 1)) != 0 ||
	    (rc = hcli_start(x->lc->http, "GET", path, NULL,
	    (size_t)bu->width * MT_HASH_SIZE,
	    NULL, 0, NULL, got_tile, bu)) != 0) {
		bu->need = 1;	/* the entries request alone is queued */
		return rc;
	}
	return 0;
}

/*
 * Fetch and check bundles [tn, tend) through a window of AUD_WINDOW
 * (ring indexed by bundle number).  On failure, waits for every request
 * and task already started before returning, so the ring can be freed.
 */
static int
pipeline(struct run *x, struct bundle *ring, uint64_t tn, uint64_t tend,
    struct pt_why *why)
{
	struct hcli *c = x->lc->http;
	uint64_t next_req = tn, next_use = tn;
	int rc = 0;

	while (next_use < tend) {
		struct bundle *bu;

		while (next_req < tend && next_req - next_use < AUD_WINDOW) {
			bu = &ring[next_req % AUD_WINDOW];
			if ((rc = fetch_bundle(x, next_req, bu)) != 0)
				goto fail;
			next_req++;
		}
		bu = &ring[next_use % AUD_WINDOW];
		if (bu->state == B_WORK && pool_done(&bu->task)) {
			rc = take_bundle(x, bu, why);
			bundle_reset(bu);
			next_use++;
			if (rc != 0)
				goto fail;
			if ((next_use - tn) % AUD_PROGRESS == 0)
				progress(x, x->fr.size - x->start, 0);
			continue;
		}
		/* Receive while the workers check: one answer at a time, so
		 * that finished bundles are taken (and the window moves)
		 * soon. */
		if (hcli_pending(c) > 0)
			hcli_run_until(c, hcli_pending(c) - 1);
		else if (bu->state == B_WORK)
			pool_wait(&bu->task);
		else {
			rc = pt_why_set(why, PT_EINVAL, "audit: bundle %llu "
			    "neither fetched nor fetching", (unsigned long long)
			    next_use);
			goto fail;
		}
	}
	return 0;
fail:
	x->stop = 1;
	hcli_run(c);
	for (size_t i = 0; i < AUD_WINDOW; i++) {
		if (ring[i].state == B_WORK)
			pool_wait(&ring[i].task);
		bundle_reset(&ring[i]);
	}
	return rc;
}

int
aud_run(struct logc *lc, struct aud_state *st, const struct aud_opts *o,
    struct aud_summary *sum, struct pt_why *why)
{
	struct run x;
	struct bundle *ring = NULL;
	char *note = NULL;
	size_t note_len;
	struct mt_hash root;
	long ncpu;
	int rc;

	memset(&x, 0, sizeof(x));
	memset(sum, 0, sizeof(*sum));
	x.lc = lc;
	x.o = o;
	x.sum = sum;
	x.t0 = now_s();
	x.want_jobs = !o->hashes_only || o->fn != NULL;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	x.threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1;
	if (x.threads > POOL_MAX_THREADS)
		x.threads = POOL_MAX_THREADS;
	/* Ordered after the state's checkpoint: consistent with it, or
	 * stale (PT_ESTALE, the state untouched), never taken for a
	 * rollback when the log proves it is a prefix. */
	if (o->target != NULL) {
		x.ck = *o->target;
		note_len = o->target_note_len;
		if ((note = ut_strndup(o->target_note, note_len)) == NULL)
			return PT_ENOMEM;
	} else if ((rc = logc_checkpoint_since(lc, st->have ? &st->ck : NULL,
	    &x.ck, &note, &note_len, why)) != 0)
		return rc;
	snprintf(sum->origin, sizeof(sum->origin), "%s", x.ck.origin);
	sum->new_size = x.ck.size;
	sum->root = x.ck.root;
	if (o->from != NULL && o->target != NULL) {
		sum->old_size = o->from->size;
		x.fr = *o->from;
	} else if (st->have) {
		sum->old_size = st->ck.size;
		x.fr = st->fr;
	} else
		mt_frontier_init(&x.fr);
	x.start = x.fr.size;
	if (!o->hashes_only) {
		if (o->corr != NULL)
			x.corr = o->corr;
		else if ((rc = aud_corr_new(&x.corr)) != 0)
			goto out;
		if ((rc = aud_corr_load(x.corr, lc, &x.ck, why)) != 0)
			goto out;
	}
	if (x.start == x.ck.size)
		goto done;
	if ((ring = calloc(AUD_WINDOW, sizeof(*ring))) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	progress(&x, 0, 0);
	if ((rc = pipeline(&x, ring, x.start / TILE_WIDTH,
	    (x.ck.size + TILE_WIDTH - 1) / TILE_WIDTH, why)) != 0)
		goto out;
	progress(&x, x.fr.size - x.start, 1);
	if (x.fr.size != x.ck.size) {
		rc = pt_why_set(why, PT_EPROOF, "the log served %llu entries, "
		    "its checkpoint says %llu", (unsigned long long)x.fr.size,
		    (unsigned long long)x.ck.size);
		goto out;
	}
done:
	if ((rc = mt_frontier_root(&x.fr, &root)) != 0)
		goto out;
	if (cr_memcmp(root.b, x.ck.root.b, 32) != 0) {
		rc = pt_why_set(why, PT_EPROOF, "the tree recomputed from the "
		    "log's %llu entries does not have the root its signed "
		    "checkpoint names", (unsigned long long)x.ck.size);
		goto out;
	}
	/* The log's corrections index against the entries. */
	if (x.corr != NULL && (rc = aud_corr_finish(x.corr, lc, &x.ck,
	    x.start, why)) != 0)
		goto out;
	/* Verified: deferred callbacks, then the new state. */
	if ((rc = flush_kept(&x)) != 0)
		goto out;
	free(st->note);
	st->note = note;
	st->note_len = note_len;
	note = NULL;
	st->ck = x.ck;
	st->fr = x.fr;
	st->have = 1;
out:
	if (rc != 0 && x.o->progress)
		fputc('\n', stderr);
	free(ring);
	if (x.corr != o->corr)
		aud_corr_free(x.corr);
	for (size_t i = 0; i < x.nkept; i++)
		free(x.kept[i].p);
	free(x.kept);
	free(note);
	sum->seconds = now_s() - x.t0;
	return rc;
}

/* ----------------------------------------------------------- bootstrap */

int
aud_bootstrap(struct logc *lc, struct aud_state *st, struct pt_why *why)
{
	struct mt_frontier fr;
	struct mt_hash root;
	struct ckpt ck;
	char *note = NULL;
	size_t note_len;
	int rc;

	if ((rc = logc_checkpoint(lc, &ck, &note, &note_len, why)) != 0)
		return rc;
	if ((rc = logc_tiles_frontier(lc, ck.size, &fr, why)) != 0)
		goto out;
	if ((rc = mt_frontier_root(&fr, &root)) != 0)
		goto out;
	if (cr_memcmp(root.b, ck.root.b, 32) != 0) {
		rc = pt_why_set(why, PT_EPROOF, "the log's hash tiles do not "
		    "give the root of its signed checkpoint");
		goto out;
	}
	aud_state_free(st);
	st->have = 1;
	st->ck = ck;
	st->fr = fr;
	st->note = note;
	st->note_len = note_len;
	note = NULL;
out:
	free(note);
	return rc;
}

/* ---------------------------------------------------------------- CLI */

static const char audit_usage[] =
    "usage: pubtrail audit --log URL --log-key VKEY [--state DIR]\n"
    "                      [--threads N] [--no-tiles] [--hashes-only]\n"
    "                      [--concurrency N] [--policy FILE]\n"
    "                      [--registrar-key-pub VKEY]\n"
    "                      [--timeout MS] [--json] [--quiet]\n"
    "\n"
    "Verify the whole log: its checkpoint's signature by VKEY, every entry\n"
    "bundle (schema and submitter signature of every entry, on all cores),\n"
    "every level-0 hash tile, and the tree root recomputed from the entries;\n"
    "and that every entry's signer held a grant for its record type at its\n"
    "index, replaying the log's office_key entries (docs/PROTOCOL.md 6.6:\n"
    "the registrar is --registrar-key-pub, else the signer of the first\n"
    "office_key entry), and that the log's /office-keys names them all.\n"
    "Each entry that breaks that rule is named (exit 1).\n"
    "With --state, the last verified checkpoint and the tree's frontier are\n"
    "kept in DIR: the next audit fetches only new entries and proves that\n"
    "the new checkpoint is consistent with the old one (a log that rewrote\n"
    "its history fails).  A progress bar on a terminal; a summary at the\n"
    "end (--json: one JSON object).  Exit 0 verified, 1 the log failed a\n"
    "check (the reason is printed), 3 network or server error, 6 the\n"
    "state directory cannot be read or written.\n"
    "--hashes-only recomputes the leaf hashes and the tree only (a quick\n"
    "pass: no schema or submitter signature checks; not with --state).\n";

static void
print_summary(const struct aud_summary *s, int json, int rc,
    const struct pt_why *why)
{
	char hex[65];

	cr_hex_encode(s->root.b, 32, hex);
	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "ok", json_boolean(rc == 0));
		json_object_set_new(o, "origin", json_string(s->origin));
		json_object_set_new(o, "tree_size",
		    json_integer((json_int_t)s->new_size));
		json_object_set_new(o, "previous_size",
		    json_integer((json_int_t)s->old_size));
		json_object_set_new(o, "root", json_string(hex));
		json_object_set_new(o, "entries_checked",
		    json_integer((json_int_t)s->entries));
		json_object_set_new(o, "bundles_fetched",
		    json_integer((json_int_t)s->bundles));
		json_object_set_new(o, "tiles_fetched",
		    json_integer((json_int_t)s->tiles));
		json_object_set_new(o, "bytes_fetched",
		    json_integer((json_int_t)s->bytes));
		json_object_set_new(o, "payments",
		    json_integer((json_int_t)s->by_type[RECORD_PAYMENT]));
		json_object_set_new(o, "permit_decisions", json_integer(
		    (json_int_t)s->by_type[RECORD_PERMIT_DECISION]));
		json_object_set_new(o, "corrections",
		    json_integer((json_int_t)s->by_type[RECORD_CORRECTION]));
		json_object_set_new(o, "office_keys",
		    json_integer((json_int_t)s->by_type[RECORD_OFFICE_KEY]));
		json_object_set_new(o, "seconds", json_real(s->seconds));
		if (rc != 0) {
			json_object_set_new(o, "error",
			    json_string(pt_errname(rc)));
			json_object_set_new(o, "reason", json_string(
			    why->text[0] ? why->text : pt_strerror(rc)));
		}
		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	if (rc != 0)
		return;
	printf("%saudit ok%s: %s\n", cli_green(stdout), cli_reset(stdout),
	    s->origin);
	printf("  tree size      %llu (previously verified: %llu)\n",
	    (unsigned long long)s->new_size, (unsigned long long)s->old_size);
	printf("  root           %s\n", hex);
	printf("  entries        %llu checked (%llu payments, %llu permit "
	    "decisions, %llu corrections, %llu office keys)\n",
	    (unsigned long long)s->entries,
	    (unsigned long long)s->by_type[RECORD_PAYMENT],
	    (unsigned long long)s->by_type[RECORD_PERMIT_DECISION],
	    (unsigned long long)s->by_type[RECORD_CORRECTION],
	    (unsigned long long)s->by_type[RECORD_OFFICE_KEY]);
	printf("  fetched        %llu bundles, %llu tiles, %llu bytes in "
	    "%.2f s\n", (unsigned long long)s->bundles,
	    (unsigned long long)s->tiles, (unsigned long long)s->bytes,
	    s->seconds);
}

int
aud_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "state", 1, NULL, 's' },
		{ "threads", 1, NULL, 't' },
		{ "no-tiles", 0, NULL, 'T' },
		{ "hashes-only", 0, NULL, 'S' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common co;
	struct aud_opts o;
	struct aud_state st;
	struct aud_summary sum;
	struct logc *lc = NULL;
	struct pt_why why = { "" };
	const char *state = NULL;
	struct okc *ok = NULL;
	uint64_t v;
	int c, rc, ex;

	cli_common_init(&co);
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(audit_usage, stdout);
			return CLI_OK;
		case 's':
			state = optarg;
			break;
		case 'T':
			o.no_tiles = 1;
			break;
		case 'S':
			o.hashes_only = 1;
			break;
		case 't':
			if (num_parse_u64_str(optarg, 1, 64, &v) != 0)
				return cli_usage_error(audit_usage, "--threads: "
				    "1..64");
			o.threads = (unsigned)v;
			break;
		default:
			if ((rc = cli_common_opt(&co, c, optarg, audit_usage)) !=
			    1) {
				if (rc == 0)
					fputs(audit_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind != argc)
		return cli_usage_error(audit_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (o.hashes_only && state != NULL)
		return cli_usage_error(audit_usage, "--hashes-only with "
		    "--state would record entries as verified whose schema "
		    "and signatures were not checked");
	if ((rc = cli_common_check(&co, 1, audit_usage)) != 0)
		return rc;
	o.progress = !co.json && !co.quiet && isatty(2);
	if (state != NULL && (rc = aud_state_load(state, &co.key, &st,
	    &why)) != 0)
		return cli_fail(rc == PT_ECORRUPT ? PT_EIO : rc, &why,
		    "--state");
	/* Who may append: the office keys rule over every entry. */
	if (!o.hashes_only && (rc = okc_audit_start(&co, state,
	    &st, &o, &ok)) != 0) {
		aud_state_free(&st);
		return rc;
	}
	{
		struct hcli_opts ho;

		cli_hcli_opts(&co, co.concurrency, &ho);
		ho.recv_buffer = AUD_RECV_BUFFER;

		if ((rc = logc_open(co.log_url, &co.key, &ho, &lc, &why)) !=
		    0) {
			aud_state_free(&st);
			return cli_fail(rc, &why, "--log");
		}
		lc->tiles_only = co.tiles_only;
	}
	rc = aud_run(lc, &st, &o, &sum, &why);
	if (rc == 0 && ok != NULL)
		rc = okc_audit_end(ok, lc, &st, state, &why);
	if (rc == 0 && state != NULL)
		rc = aud_state_save(state, &st, &why);
	print_summary(&sum, co.json, rc, &why);
	if (rc == PT_ESTALE)
		ex = cli_fail(rc, &why, "audit of %s", co.log_url);
	else if (rc != 0)
		ex = cli_fail(rc, &why, "audit of %s FAILED", co.log_url);
	else
		ex = CLI_OK;
	okc_free(ok);
	aud_state_free(&st);
	logc_free(lc);
	return ex;
}
