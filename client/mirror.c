/*
 * mirror.c: `pubtrail mirror`, a verified static copy of a log that any
 * web server, object store or CDN serves as a C2SP tlog-tiles log
 * (docs/MIRROR.md).
 *
 * The mirror keeps the tlog-mirror model (c2sp.org/tlog-mirror,
 * "Updating a Mirror") as a pull: the *mirror checkpoint* M is
 * DIR/checkpoint (what it serves), the *pending checkpoint* P
 * (DIR/.pubtrail-mirror/pending) the one it is copying towards.  A run:
 *
 *   1. M is re-opened with the log key and its tree recomputed from the
 *      local tiles (O(log n) reads): a damaged tree is refused, never
 *      extended;
 *   2. the log's checkpoint R is fetched and verified (key, --policy);
 *      it must extend P (or M): a consistency proof from the log's tiles,
 *      or, for an R older than M, a proof from the local tiles that R is
 *      a prefix (then nothing is published: stale).  Two trees that
 *      cannot both be true are written as evidence (client/evidence.h)
 *      and the run exits 1 with nothing published;
 *   3. the target T (R, or P when R is older) is saved as pending, and
 *      its hash tiles above level 0 (1/256 of the data) are fetched and
 *      verified top-down: the right edge's partial tiles must give T's
 *      signed root, each full tile must hash to its entry in the tile
 *      above;
 *   4. the entry bundles are fetched through the audit engine (a window
 *      of requests, hashing on every core): each bundle is checked
 *      against the verified tile above it (a full bundle's subtree hash,
 *      a partial bundle's leaf hashes) and only then written with its
 *      level-0 tile (write once, gzip beside it when asked), so an
 *      interrupted run resumes after the last bundle it wrote; at the
 *      end the tree recomputed from every entry must give T's root;
 *   5. the tiles above level 0 are written, the directories fsynced, and
 *      the checkpoint replaced last (rename); partial tiles made
 *      obsolete by full ones are then removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "logc.h"
#include "mirror.h"
#include "num.h"
#include "ptlimits.h"
#include "tdir.h"
#include "tilerd.h"
#include "util.h"

#define MIR_STATE	".pubtrail-mirror"
#define MIR_PENDING	MIR_STATE "/pending"
#define MIR_LOCK	MIR_STATE "/lock"
#define TILE_BYTES	(TILE_WIDTH * MT_HASH_SIZE)

/* The verified hash tiles of the target tree at one tile level: tiles
 * lo .. lo+count-1 (the last one partial when the level's width says
 * so). */
struct vlevel {
	uint64_t lo;
	size_t count;
	uint8_t *data;			/* count * TILE_BYTES */
	unsigned *width;
};

struct mir_sum {
	uint64_t old_size, new_size, resumed_at;
	uint64_t bundles, bytes;
	double seconds;
	int stale;
};

struct mir {
	struct cli_common co;
	const char *out, *web;
	int gzip, no_web, threads, progress;
	struct logc *lc;
	struct tdir *td;
	int lockfd;
	struct ckpt *m, *p, *t;		/* mirrored, pending, target */
	int have_m, have_p;
	char *m_note, *p_note, *t_note;
	size_t m_len, p_len, t_len;
	struct mt_frontier mfr;		/* M's, from the local tiles */
	unsigned nlev;			/* tile levels of T */
	struct vlevel lev[TILE_MAX_LEVEL + 1];
	char evidence[UT_PATH_MAX];	/* the evidence file written, or "" */
	struct pt_why bwhy;		/* why on_bundle stopped the run */
	struct mir_sum sum;
};

/* ------------------------------------------------------------ helpers */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* tilerd over the local tree. */
static int
local_fetch(void *ctx, const struct tile *t, uint8_t *out, size_t *len,
    struct pt_why *why)
{
	struct mir *x = ctx;

	return tdir_get_tile(x->td, t, out, TILE_BYTES, len, why);
}

/* A verified tile of T at (level, n), or NULL. */
static const uint8_t *
vtile(const struct mir *x, unsigned level, uint64_t n, unsigned *width)
{
	const struct vlevel *v;

	if (level >= x->nlev)
		return NULL;
	v = &x->lev[level];
	if (n < v->lo || n - v->lo >= v->count)
		return NULL;
	*width = v->width[n - v->lo];
	return v->data + (size_t)(n - v->lo) * TILE_BYTES;
}

/*
 * tilerd over the verified tree of T: the verified tiles, and below
 * them (full tiles of the part M already had) the local ones.
 */
static int
vt_fetch(void *ctx, const struct tile *t, uint8_t *out, size_t *len,
    struct pt_why *why)
{
	struct mir *x = ctx;
	const uint8_t *d;
	unsigned w;

	if ((d = vtile(x, t->level, t->n, &w)) != NULL) {
		if (w < t->width)
			return PT_ENOTFOUND;
		memcpy(out, d, (size_t)t->width * MT_HASH_SIZE);
		*len = (size_t)t->width * MT_HASH_SIZE;
		return 0;
	}
	if (t->level < x->nlev && t->n >= x->lev[t->level].lo &&
	    t->level > 0)
		return PT_ENOTFOUND;
	return tdir_get_tile(x->td, t, out, TILE_BYTES, len, why);
}

/* GET a hash tile of the log (a missing partial tile: its full tile's
 * first hashes). */
static int
fetch_tile(struct mir *x, const struct tile *t, uint8_t *out,
    struct pt_why *why)
{
	struct tile f = *t;
	size_t len = 0;
	int rc;

	rc = logc_tile(x->lc, t, out, &len, why);
	if (rc == PT_ENOTFOUND && t->width < TILE_WIDTH) {
		f.width = TILE_WIDTH;
		if ((rc = logc_tile(x->lc, &f, out, &len, why)) == 0 &&
		    len == TILE_BYTES)
			len = (size_t)t->width * MT_HASH_SIZE;
	}
	if (rc != 0)
		return rc;
	if (len != (size_t)t->width * MT_HASH_SIZE)
		return pt_why_set(why, PT_ENET, "hash tile %u/%llu of width %u "
		    "has %zu bytes", t->level, (unsigned long long)t->n,
		    t->width, len);
	return 0;
}

/* MTH of a full tile's 256 hashes: the hash 8 levels up. */
static int
tile_root(const uint8_t *data, struct mt_hash *out)
{
	struct mt_hash h[TILE_WIDTH / 2];
	int rc;

	for (size_t i = 0; i < TILE_WIDTH / 2; i++) {
		struct mt_hash a, b;

		memcpy(a.b, data + 64 * i, 32);
		memcpy(b.b, data + 64 * i + 32, 32);
		if ((rc = mt_node_hash(&a, &b, &h[i])) != 0)
			return rc;
	}
	for (size_t cnt = TILE_WIDTH / 2; cnt > 1; cnt /= 2)
		for (size_t i = 0; i < cnt / 2; i++)
			if ((rc = mt_node_hash(&h[2 * i], &h[2 * i + 1],
			    &h[i])) != 0)
				return rc;
	*out = h[0];
	return 0;
}

/* Write the evidence e into DIR/.pubtrail-mirror/evidence/. */
static void
save_evidence(struct mir *x, const struct evd *e)
{
	char dir[UT_PATH_MAX];
	struct pt_why w = { "" };

	snprintf(dir, sizeof(dir), "%s/%s", tdir_root(x->td), MIR_STATE);
	if (evd_save(dir, e, x->evidence, sizeof(x->evidence), &w) != 0) {
		x->evidence[0] = '\0';
		fprintf(stderr, "pubtrail: cannot write the evidence: %s\n",
		    w.text);
	}
}

/* Two signed checkpoints that cannot both be true: evidence, exit 1. */
static int
refuse_fork(struct mir *x, const struct ckpt *a, const char *anote,
    size_t alen, const struct ckpt *b, const char *bnote, size_t blen,
    const struct mt_hash *proof, size_t n, struct pt_why *why)
{
	struct evd e;

	memset(&e, 0, sizeof(e));
	e.kind = a->size == b->size ? EVD_SAME_SIZE : EVD_INCONSISTENT;
	snprintf(e.check, sizeof(e.check), a->size == b->size ?
	    "pubtrail mirror: two signed checkpoints of size %llu with "
	    "different roots" : "pubtrail mirror: the consistency proof from "
	    "size %llu to %llu computed from the tiles does not verify",
	    (unsigned long long)a->size, (unsigned long long)b->size);
	e.old = a->size;
	e.nproof = n;
	if (n > 0)
		memcpy(e.proof, proof, n * sizeof(*proof));
	e.note[0] = anote;
	e.note_len[0] = alen;
	e.note[1] = bnote;
	e.note_len[1] = blen;
	save_evidence(x, &e);
	return pt_why_set(why, PT_EPROOF, "the log's signed checkpoints of "
	    "size %llu and %llu (one served now, one this mirror holds or is "
	    "copying) cannot both be true: the log forked or rewrote its "
	    "history; nothing was published%s%s", (unsigned long long)a->size,
	    (unsigned long long)b->size, x->evidence[0] ? "; evidence: " : "",
	    x->evidence);
}

/* ------------------------------------------------------- local state */

static int
lock_dir(struct mir *x, struct pt_why *why)
{
	char path[UT_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tdir_root(x->td), MIR_STATE);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return pt_why_set(why, PT_EIO, "%s: %s", path,
		    strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", tdir_root(x->td), MIR_LOCK);
	if ((x->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) < 0)
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
	if (flock(x->lockfd, LOCK_EX | LOCK_NB) != 0)
		return pt_why_set(why, PT_EIO, "%s: another `pubtrail mirror` "
		    "is writing this directory", tdir_root(x->td));
	return 0;
}

/* Open a checkpoint file of the mirror (name) with the log key. */
static int
load_ckpt(struct mir *x, const char *name, struct ckpt *ck, char **note,
    size_t *len, struct pt_why *why)
{
	uint8_t *buf;
	int rc;

	if ((rc = tdir_get_file(x->td, name, PT_NOTE_MAX, &buf, len,
	    why)) != 0)
		return rc;
	if ((rc = ckpt_open((const char *)buf, *len, &x->co.key, ck)) != 0) {
		free(buf);
		return pt_why_set(why, PT_EIO, "%s/%s is not a checkpoint of "
		    "this log (%s): mirror it into another directory",
		    tdir_root(x->td), name, pt_strerror(rc));
	}
	*note = (char *)buf;
	return 0;
}

/* M and P, with M's tree recomputed from the local tiles. */
static int
load_state(struct mir *x, struct pt_why *why)
{
	struct mt_hash root;
	struct tilerd *rd;
	int rc;

	rc = load_ckpt(x, "checkpoint", x->m, &x->m_note, &x->m_len, why);
	if (rc == PT_ENOTFOUND) {
		mt_frontier_init(&x->mfr);
		return 0;
	}
	if (rc != 0)
		return rc;
	x->have_m = 1;
	mt_frontier_init(&x->mfr);
	if (x->m->size > 0) {
		if ((rc = tilerd_new(x->m->size, local_fetch, x, why, &rd)) !=
		    0)
			return rc;
		rc = tilerd_frontier(rd, &x->mfr);
		tilerd_free(rd);
		if (rc == 0)
			rc = mt_frontier_root(&x->mfr, &root);
		if (rc != 0 || cr_memcmp(root.b, x->m->root.b, 32) != 0)
			return pt_why_set(why, PT_EIO, "%s: the mirrored hash "
			    "tiles do not give the root of its checkpoint "
			    "(size %llu): damaged or changed on disk (%s); "
			    "it is not extended", tdir_root(x->td),
			    (unsigned long long)x->m->size, rc != 0 ?
			    (why->text[0] ? why->text : pt_strerror(rc)) :
			    "another root");
	}
	rc = load_ckpt(x, MIR_PENDING, x->p, &x->p_note, &x->p_len, why);
	if (rc == PT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	/* A pending checkpoint at or behind M is spent. */
	x->have_p = x->p->size > x->m->size || !x->have_m;
	return 0;
}

/* ---------------------------------------------------------- ordering */

/*
 * Decide the target from R (verified), M and P: T extends what the
 * mirror holds and copies, or the run stops (stale, or evidence).
 */
static int
choose_target(struct mir *x, const struct ckpt *r, char **rnote,
    size_t rlen, struct pt_why *why)
{
	const struct ckpt *k = x->have_p ? x->p : x->have_m ? x->m : NULL;
	const char *knote = x->have_p ? x->p_note : x->m_note;
	size_t klen = x->have_p ? x->p_len : x->m_len;
	struct mt_hash proof[PT_MAX_PROOF];
	size_t n = 0;
	int rc;

	if (k == NULL || r->size > k->size || (r->size == k->size &&
	    cr_memcmp(r->root.b, k->root.b, 32) == 0)) {
		if (k != NULL && r->size > k->size && k->size > 0) {
			if ((rc = logc_tiles_consistency(x->lc, k->size,
			    r->size, proof, PT_MAX_PROOF, &n, why)) != 0)
				return rc;
			if (mt_verify_consistency(k->size, r->size, &k->root,
			    &r->root, proof, n) != 0)
				return refuse_fork(x, k, knote, klen, r,
				    *rnote, rlen, proof, n, why);
		}
		*x->t = *r;
		x->t_note = *rnote;
		x->t_len = rlen;
		*rnote = NULL;
		return 0;
	}
	if (r->size == k->size)
		return refuse_fork(x, k, knote, klen, r, *rnote, rlen, NULL, 0,
		    why);
	/* R is older than what the mirror holds or copies: a prefix of it
	 * (a cache, or a log behind its mirror), or a history that cannot
	 * be both. */
	if (r->size > 0 && x->have_m && r->size <= x->m->size) {
		struct tilerd *rd;
		struct mt_reader mr;

		if ((rc = tilerd_new(x->m->size, local_fetch, x, why, &rd)) !=
		    0)
			return rc;
		tilerd_reader(rd, &mr);
		rc = r->size == x->m->size ? 0 : mt_consistency_proof(&mr,
		    r->size, x->m->size, proof, PT_MAX_PROOF, &n);
		tilerd_free(rd);
		if (rc != 0)
			return rc;
		if (r->size == x->m->size ? cr_memcmp(r->root.b, x->m->root.b,
		    32) != 0 : mt_verify_consistency(r->size, x->m->size,
		    &r->root, &x->m->root, proof, n) != 0)
			return refuse_fork(x, r, *rnote, rlen, x->m,
			    x->m_note, x->m_len, proof, n, why);
	} else if (r->size > 0) {
		/* Between M and P: the log's tiles of P prove it. */
		if ((rc = logc_tiles_consistency(x->lc, r->size, x->p->size,
		    proof, PT_MAX_PROOF, &n, why)) != 0)
			return rc == PT_ENOTFOUND ? pt_why_set(why, PT_ESTALE,
			    "the log serves size %llu, older than the size "
			    "%llu this mirror is copying, and not the tiles "
			    "of that tree: try again later",
			    (unsigned long long)r->size,
			    (unsigned long long)x->p->size) : rc;
		if (mt_verify_consistency(r->size, x->p->size, &r->root,
		    &x->p->root, proof, n) != 0)
			return refuse_fork(x, r, *rnote, rlen, x->p, x->p_note,
			    x->p_len, proof, n, why);
	}
	if (!x->have_p)
		return pt_why_set(why, PT_ESTALE, "the log serves size %llu, "
		    "older than the %llu this mirror holds (proven a prefix "
		    "of it: a stale cache, not a rollback); nothing to do",
		    (unsigned long long)r->size,
		    (unsigned long long)x->m->size);
	/* Go on copying P: its tiles and bundles never change. */
	*x->t = *x->p;
	if ((x->t_note = ut_strndup(x->p_note, x->p_len)) == NULL)
		return PT_ENOMEM;
	x->t_len = x->p_len;
	return 0;
}

/* ------------------------------------------------- the tiles above 0 */

/*
 * Fetch T's hash tiles that the copy needs: at level 0 the partial tile
 * of the right edge, at each level above every tile from the one that
 * was partial (or absent) in M to T's last; then verify them: the
 * partial tiles give T's root, each full tile hashes to its entry in the
 * tile above.  O((T - M) / 256 + levels) hashes and tiles.
 */
static int
fetch_levels(struct mir *x, struct pt_why *why)
{
	uint64_t msize = x->have_m ? x->m->size : 0;
	struct tilerd *rd;
	struct mt_reader mr;
	struct mt_hash root;
	int rc;

	for (x->nlev = 0; x->nlev <= TILE_MAX_LEVEL; x->nlev++) {
		unsigned k = x->nlev;
		uint64_t tk = k * TILE_HEIGHT < 64 ? x->t->size >>
		    (k * TILE_HEIGHT) : 0;
		uint64_t hi = tk / TILE_WIDTH;
		unsigned last = (unsigned)(tk % TILE_WIDTH);
		struct vlevel *v = &x->lev[k];

		if (tk == 0)
			break;
		v->lo = k == 0 ? hi : (msize >> (k * TILE_HEIGHT)) / TILE_WIDTH;
		v->count = (size_t)(hi - v->lo) + (last ? 1 : 0);
		if (v->count == 0)
			continue;
		if (v->count > ((size_t)1 << 40) / TILE_BYTES ||
		    (v->data = malloc(v->count * TILE_BYTES)) == NULL ||
		    (v->width = calloc(v->count, sizeof(*v->width))) == NULL)
			return PT_ENOMEM;
		for (size_t i = 0; i < v->count; i++) {
			struct tile t = { false, k, v->lo + i, TILE_WIDTH };

			if (t.n == hi)
				t.width = last;
			v->width[i] = t.width;
			if ((rc = fetch_tile(x, &t, v->data + i * TILE_BYTES,
			    why)) != 0)
				return rc;
		}
	}
	/* The right edge against the signed root. */
	if ((rc = tilerd_new(x->t->size, vt_fetch, x, why, &rd)) != 0)
		return rc;
	tilerd_reader(rd, &mr);
	rc = mt_root(&mr, x->t->size, &root);
	tilerd_free(rd);
	if (rc != 0)
		return rc;
	if (cr_memcmp(root.b, x->t->root.b, 32) != 0)
		return pt_why_set(why, PT_EPROOF, "the log's hash tiles of the "
		    "tree of size %llu do not give the root it signed",
		    (unsigned long long)x->t->size);
	/* Full tiles, top down, against the verified tile above. */
	for (unsigned k = x->nlev; k-- > 1;) {
		struct vlevel *v = &x->lev[k];

		for (size_t i = 0; i < v->count; i++) {
			uint64_t n = v->lo + i;
			const uint8_t *up;
			unsigned w;

			if (v->width[i] != TILE_WIDTH)
				continue;
			if ((rc = tile_root(v->data + i * TILE_BYTES,
			    &root)) != 0)
				return rc;
			if ((up = vtile(x, k + 1, n / TILE_WIDTH, &w)) == NULL ||
			    n % TILE_WIDTH >= w)
				return pt_why_set(why, PT_EINVAL, "mirror: no "
				    "tile above %u/%llu", k,
				    (unsigned long long)n);
			if (cr_memcmp(root.b, up + MT_HASH_SIZE * (n %
			    TILE_WIDTH), 32) != 0)
				return pt_why_set(why, PT_EPROOF, "the log's "
				    "hash tile %u/%llu does not hash to its "
				    "entry in the tile above, which its signed "
				    "root proves", k, (unsigned long long)n);
		}
	}
	return 0;
}

/* ----------------------------------------------------------- bundles */

/* aud_bundle_fn: check a bundle against the verified tiles, write it
 * and its level-0 tile. */
static int
on_bundle(void *arg, const struct aud_bundle *b)
{
	struct mir *x = arg;
	struct tile t = { true, 0, b->n, b->width };
	uint8_t tile[TILE_BYTES];
	const uint8_t *v;
	unsigned vw;
	int rc, ok;

	for (unsigned i = 0; i < b->width; i++)
		memcpy(tile + MT_HASH_SIZE * i, b->leaf[i].b, MT_HASH_SIZE);
	if (b->width == TILE_WIDTH)
		ok = b->root != NULL && (v = vtile(x, 1, b->n / TILE_WIDTH,
		    &vw)) != NULL && b->n % TILE_WIDTH < vw &&
		    cr_memcmp(b->root->b, v + MT_HASH_SIZE * (b->n %
		    TILE_WIDTH), 32) == 0;
	else
		ok = (v = vtile(x, 0, b->n, &vw)) != NULL && vw == b->width &&
		    cr_memcmp(tile, v, MT_HASH_SIZE * (size_t)vw) == 0;
	if (!ok)
		return pt_why_set(&x->bwhy, PT_EPROOF, "entry bundle %llu does "
		    "not match the log's verified hash tiles: the log serves "
		    "entries that are not the ones its signed tree holds",
		    (unsigned long long)b->n);
	if ((rc = tdir_put_tile(x->td, &t, b->data, b->len, &x->bwhy)) == 0) {
		t.entries = false;
		rc = tdir_put_tile(x->td, &t, tile,
		    MT_HASH_SIZE * (size_t)b->width, &x->bwhy);
	}
	if (rc != 0)
		return rc == PT_ECONFLICT ? PT_EIO : rc;
	x->sum.bundles++;
	x->sum.bytes += b->len;
	return 0;
}

/* The first bundle of T not yet copied whole (an earlier run towards P
 * wrote bundles past M, each verified before it was written). */
static uint64_t
resume_at(struct mir *x)
{
	uint64_t msize = x->have_m ? x->m->size : 0;
	uint64_t n = msize / TILE_WIDTH;

	if (!x->have_p)
		return msize;
	while ((n + 1) * TILE_WIDTH <= x->t->size) {
		struct tile b = { true, 0, n, TILE_WIDTH };
		struct tile h = { false, 0, n, TILE_WIDTH };

		if (!tdir_has_full(x->td, &b) || !tdir_has_full(x->td, &h))
			break;
		n++;
	}
	return n * TILE_WIDTH > msize ? n * TILE_WIDTH : msize;
}

static int
copy_bundles(struct mir *x, struct pt_why *why)
{
	struct aud_opts o;
	struct aud_state st;
	struct aud_summary as;
	struct mt_frontier fr = x->mfr;
	uint64_t s = resume_at(x);
	int rc;

	x->sum.resumed_at = s;
	if (s > fr.size) {
		struct tilerd *rd;

		if ((rc = tilerd_new(s, vt_fetch, x, why, &rd)) != 0)
			return rc;
		rc = tilerd_frontier(rd, &fr);
		tilerd_free(rd);
		if (rc != 0)
			return rc;
	}
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.threads = (unsigned)x->threads;
	o.progress = x->progress;
	o.hashes_only = 1;
	o.target = x->t;
	o.target_note = x->t_note;
	o.target_note_len = x->t_len;
	o.from = &fr;
	o.bundle = on_bundle;
	o.bundle_arg = x;
	x->bwhy.text[0] = '\0';
	rc = aud_run(x->lc, &st, &o, &as, why);
	aud_state_free(&st);
	if (rc != 0 && x->bwhy.text[0] != '\0')
		*why = x->bwhy;		/* on_bundle's reason */
	return rc;
}

/* ------------------------------------------------------------ publish */

static int
publish(struct mir *x, struct pt_why *why)
{
	uint64_t msize = x->have_m ? x->m->size : 0;
	int rc;

	for (unsigned k = 1; k < x->nlev; k++) {
		struct vlevel *v = &x->lev[k];

		for (size_t i = 0; i < v->count; i++) {
			struct tile t = { false, k, v->lo + i, v->width[i] };

			if ((rc = tdir_put_tile(x->td, &t, v->data + i *
			    TILE_BYTES, MT_HASH_SIZE * (size_t)v->width[i],
			    why)) != 0)
				return rc;
		}
	}
	if ((rc = tdir_sync(x->td, why)) != 0 ||
	    (rc = tdir_put_file(x->td, "checkpoint", x->t_note, x->t_len,
	    0644, why)) != 0)
		return rc;
	/* Published.  Partial tiles whose full tile now exists go. */
	for (unsigned k = 0; k < x->nlev; k++) {
		uint64_t tk = x->t->size >> (k * TILE_HEIGHT);
		uint64_t first = (msize >> (k * TILE_HEIGHT)) / TILE_WIDTH;
		uint64_t pend = x->have_p ? (x->p->size >> (k * TILE_HEIGHT)) /
		    TILE_WIDTH : first;

		for (uint64_t n = first; n < tk / TILE_WIDTH; n++) {
			struct tile t = { false, k, n, TILE_WIDTH };

			/* Level 0: only where partials were written (M's
			 * and P's right edges); above: every new full tile. */
			if (k == 0 && n != first && n != pend)
				continue;
			if ((rc = tdir_drop_partials(x->td, &t, why)) != 0)
				return rc;
			if (k == 0) {
				t.entries = true;
				if ((rc = tdir_drop_partials(x->td, &t,
				    why)) != 0)
					return rc;
			}
		}
	}
	if ((rc = tdir_sync(x->td, why)) != 0)
		return rc;
	return tdir_remove_file(x->td, MIR_PENDING, why);
}

/* --------------------------------------------------- keys and the page */

/* log.vkey (the key this mirror verified with), registrar.vkey (as the
 * log serves it, when it does and it parses as a verifier key). */
static int
put_keys(struct mir *x, struct pt_why *why)
{
	char vk[PT_MAX_VKEY + 2];
	struct hcli_resp r;
	struct note_vkey rk;
	int rc;

	if (note_vkey_format(&x->co.key, vk, sizeof(vk) - 1) != 0)
		return pt_why_set(why, PT_EINVAL, "log key");
	strcat(vk, "\n");
	if ((rc = tdir_put_file(x->td, "log.vkey", vk, strlen(vk), 0644,
	    why)) != 0)
		return rc;
	hcli_get(x->lc->http, "/registrar.vkey", "text/plain",
	    PT_ANSWER_SMALL, &r);
	if (r.err == 0 && r.status == 200 && r.len > 1 &&
	    r.body[r.len - 1] == '\n' &&
	    note_vkey_parse((const char *)r.body, r.len - 1, &rk) == 0)
		rc = tdir_put_file(x->td, "registrar.vkey", r.body, r.len,
		    0644, why);
	hcli_resp_free(&r);
	return rc;
}

/* The page's config.json: this mirror's own origin ("" = the page's),
 * the key it verified with, the policy it applied. */
static int
put_web_config(struct mir *x, struct pt_why *why)
{
	char vk[PT_MAX_VKEY + 1];
	json_t *o = json_object();
	uint8_t *pol = NULL;
	size_t plen;
	char *s;
	int rc;

	note_vkey_format(&x->co.key, vk, sizeof(vk));
	json_object_set_new(o, "log", json_string(""));
	json_object_set_new(o, "log_key", json_string(vk));
	if (x->co.policy != NULL && ut_read_input(x->co.policy,
	    PT_POLICY_MAX, &pol, &plen, why) == 0)
		json_object_set_new(o, "policy", json_stringn((char *)pol,
		    plen));
	else
		json_object_set_new(o, "policy", json_null());
	free(pol);
	json_object_set_new(o, "offices", json_array());
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return PT_ENOMEM;
	rc = tdir_put_file(x->td, "config.json", s, strlen(s), 0644, why);
	free(s);
	return rc;
}

static int
put_web(struct mir *x, struct pt_why *why)
{
	const char *src = x->web;
	struct stat sb;
	int rc;

	if (x->no_web)
		return 0;
	if (src == NULL) {
		/* The installed page, when there is one. */
		src = PT_WEB_ROOT;
		if (stat(src, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return 0;
	}
	if ((rc = tdir_copy_dir(x->td, src, why)) != 0)
		return rc;
	return put_web_config(x, why);
}

/* ---------------------------------------------------------------- run */

static int
mir_run(struct mir *x, struct pt_why *why)
{
	struct ckpt *r;
	char *rnote = NULL;
	size_t rlen;
	int rc;

	if ((rc = tdir_open(x->out, x->gzip, &x->td, why)) != 0 ||
	    (rc = lock_dir(x, why)) != 0 || (rc = load_state(x, why)) != 0)
		return rc;
	x->sum.old_size = x->have_m ? x->m->size : 0;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return PT_ENOMEM;
	if ((rc = logc_checkpoint(x->lc, r, &rnote, &rlen, why)) == 0)
		rc = choose_target(x, r, &rnote, rlen, why);
	free(rnote);
	free(r);
	if (rc != 0)
		return rc;
	x->sum.new_size = x->t->size;
	if (x->have_m && x->t->size == x->m->size) {
		/* Nothing new; the same tree may carry new cosignatures. */
		if (x->t_len != x->m_len || memcmp(x->t_note, x->m_note,
		    x->m_len) != 0)
			rc = tdir_put_file(x->td, "checkpoint", x->t_note,
			    x->t_len, 0644, why);
		goto extras;
	}
	if ((!x->have_p || x->p->size != x->t->size) && (rc =
	    tdir_put_file(x->td, MIR_PENDING, x->t_note, x->t_len, 0644,
	    why)) != 0)
		return rc;
	if (x->t->size > 0 && ((rc = fetch_levels(x, why)) != 0 ||
	    (rc = copy_bundles(x, why)) != 0))
		return rc;
	if ((rc = publish(x, why)) != 0)
		return rc;
extras:
	if (rc == 0)
		rc = put_keys(x, why);
	if (rc == 0)
		rc = put_web(x, why);
	return rc;
}

static const char mirror_usage[] =
    "usage: pubtrail mirror --log URL --log-key VKEY --out DIR [--policy FILE]\n"
    "                       [--gzip] [--web DIR | --no-web] [--threads N]\n"
    "                       [--concurrency N] [--cacert FILE] [--timeout MS]\n"
    "                       [--json] [--quiet]\n"
    "\n"
    "Copy the log into DIR as a static C2SP tlog-tiles tree (checkpoint,\n"
    "hash tiles, entry bundles, log.vkey, registrar.vkey when the log has\n"
    "one, and the citizen page) that any web server, object store or CDN\n"
    "serves as the log.  Nothing is published before it is verified: the\n"
    "checkpoint by VKEY (and the --policy quorum), its consistency with what\n"
    "DIR holds, every hash tile and entry bundle against it; the checkpoint\n"
    "is replaced last.  Incremental (only what is new is fetched) and\n"
    "resumable (an interrupted run goes on from the last bundle it wrote).\n"
    "--gzip writes a gzip copy beside each entry bundle (nginx gzip_static).\n"
    "--web DIR copies the citizen page from DIR (default: the installed\n"
    "page, when there is one) with a config.json naming this mirror and\n"
    "VKEY.  Exit 0 published (or nothing new), 1 the log forked, rewrote\n"
    "or served data its signed tree does not hold (evidence written into\n"
    "DIR/.pubtrail-mirror/evidence/, nothing published), 3 network, 6 DIR\n"
    "cannot be written or holds a damaged or another log's tree, 7 the log\n"
    "serves an older checkpoint than DIR holds (proven a prefix).\n";

static void
print_summary(const struct mir *x, int json, int rc, const struct pt_why *why)
{
	const struct tdir_stats *ts = x->td != NULL ? tdir_stats(x->td) :
	    NULL;

	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "ok", json_boolean(rc == 0));
		json_object_set_new(o, "dir", json_string(x->out));
		json_object_set_new(o, "previous_size",
		    json_integer((json_int_t)x->sum.old_size));
		json_object_set_new(o, "tree_size",
		    json_integer((json_int_t)x->sum.new_size));
		json_object_set_new(o, "resumed_at",
		    json_integer((json_int_t)x->sum.resumed_at));
		json_object_set_new(o, "bundles_fetched",
		    json_integer((json_int_t)x->sum.bundles));
		json_object_set_new(o, "bundle_bytes",
		    json_integer((json_int_t)x->sum.bytes));
		json_object_set_new(o, "files_written", json_integer(
		    ts ? (json_int_t)ts->files : 0));
		json_object_set_new(o, "gzip_files", json_integer(
		    ts ? (json_int_t)ts->gz_files : 0));
		json_object_set_new(o, "partials_removed", json_integer(
		    ts ? (json_int_t)ts->dropped : 0));
		json_object_set_new(o, "seconds", json_real(x->sum.seconds));
		if (x->evidence[0])
			json_object_set_new(o, "evidence",
			    json_string(x->evidence));
		if (rc != 0) {
			json_object_set_new(o, "error",
			    json_string(pt_errname(rc)));
			json_object_set_new(o, "reason", json_string(
			    why->text[0] ? why->text : pt_strerror(rc)));
		}
		cli_json_print(stdout, o, JSON_COMPACT);
		json_decref(o);
		return;
	}
	if (rc != 0 || x->co.quiet)
		return;
	printf("%smirrored%s %s into %s: size %llu (was %llu), %llu bundles "
	    "fetched (%llu bytes), %llu files written in %.2f s\n",
	    cli_green(stdout), cli_reset(stdout), x->co.log_url, x->out,
	    (unsigned long long)x->sum.new_size,
	    (unsigned long long)x->sum.old_size,
	    (unsigned long long)x->sum.bundles,
	    (unsigned long long)x->sum.bytes,
	    (unsigned long long)(ts ? ts->files : 0), x->sum.seconds);
}

/* A mirror run's state, with no options yet (mir_free).  NULL when out
 * of memory. */
static struct mir *
mir_new(void)
{
	struct mir *x;

	if ((x = calloc(1, sizeof(*x))) == NULL || (x->m = calloc(3,
	    sizeof(struct ckpt))) == NULL) {
		free(x);
		return NULL;
	}
	x->p = x->m + 1;
	x->t = x->m + 2;
	x->lockfd = -1;
	cli_common_init(&x->co);
	return x;
}

static void
mir_free(struct mir *x)
{
	if (x->lockfd >= 0)
		close(x->lockfd);
	for (unsigned k = 0; k <= TILE_MAX_LEVEL; k++) {
		free(x->lev[k].data);
		free(x->lev[k].width);
	}
	tdir_free(x->td);
	logc_free(x->lc);
	free(x->m_note);
	free(x->p_note);
	free(x->t_note);
	free(x->m);
	free(x);
}

/* The command line into x's options.  -1 to go on, or an exit code
 * (CLI_OK after --help). */
static int
mir_parse(int argc, char **argv, struct mir *x)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "out", 1, NULL, 'o' },
		{ "gzip", 0, NULL, 'z' },
		{ "web", 1, NULL, 'w' },
		{ "no-web", 0, NULL, 'W' },
		{ "threads", 1, NULL, 't' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(mirror_usage, stdout);
			return CLI_OK;
		case 'o':
			x->out = optarg;
			break;
		case 'z':
			x->gzip = 1;
			break;
		case 'w':
			x->web = optarg;
			break;
		case 'W':
			x->no_web = 1;
			break;
		case 't':
			if (num_parse_u64_str(optarg, 1, 64, &v) != 0)
				return cli_usage_error(mirror_usage,
				    "--threads: 1..64");
			x->threads = (int)v;
			break;
		default:
			if ((rc = cli_common_opt(&x->co, c, optarg,
			    mirror_usage)) != 1) {
				if (rc == 0)
					fputs(mirror_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind != argc)
		return cli_usage_error(mirror_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (x->out == NULL)
		return cli_usage_error(mirror_usage, "--out DIR is required");
	if (x->web != NULL && x->no_web)
		return cli_usage_error(mirror_usage, "--web or --no-web, not "
		    "both");
	if ((rc = cli_common_check(&x->co, 1, mirror_usage)) != 0)
		return rc;
	return -1;
}

/* The log opened to be read as a mirror reads it: tiles only, with no
 * memory of its own (DIR is its memory of the log).  0 or the exit
 * code. */
static int
mir_open_log(struct mir *x)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	cli_hcli_opts(&x->co, x->co.concurrency, &ho);
	ho.recv_buffer = AUD_RECV_BUFFER;
	if ((rc = logc_open(x->co.log_url, &x->co.key, &ho, &x->lc,
	    &why)) != 0)
		return cli_fail(rc, &why, "--log");
	x->lc->tiles_only = 1;	/* a mirror reads what it copies */
	x->lc->no_memory = 1;	/* DIR is its memory of the log */
	return 0;
}

/* The exit code for mir_run's rc, its reason said on standard error
 * (with --json, the summary line carries it). */
static int
mir_exit(const struct mir *x, int rc, const struct pt_why *why)
{
	if (rc == 0)
		return CLI_OK;
	if (rc == PT_ESTALE && !x->co.json) {
		fprintf(stderr, "pubtrail: mirror: %s\n", why->text);
		return CLI_ESTALE;
	}
	return x->co.json ? cli_exit_for(rc) : cli_fail(rc, why,
	    "mirror of %s", x->co.log_url);
}

int
mir_cmd(int argc, char **argv)
{
	struct mir *x;
	struct pt_why why = { "" };
	double t0 = now_s();
	int rc, ex;

	if ((x = mir_new()) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "mirror");
	if ((ex = mir_parse(argc, argv, x)) >= 0)
		goto out;
	x->progress = !x->co.json && !x->co.quiet && isatty(2);
	if ((ex = mir_open_log(x)) != 0)
		goto out;
	rc = mir_run(x, &why);
	x->sum.seconds = now_s() - t0;
	print_summary(x, x->co.json, rc, &why);
	ex = mir_exit(x, rc, &why);
out:
	mir_free(x);
	return ex;
}
