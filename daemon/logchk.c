/*
 * logchk.c: the checks pubtraild makes of its log before it serves
 * (logchk.h), and --check-full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "ckpt.h"
#include "corr.h"
#include "crypto.h"
#include "env.h"
#include "log.h"
#include "logchk.h"
#include "logkey.h"
#include "mt.h"
#include "pt.h"
#include "pub.h"
#include "store.h"

#define CLOCK_SKEW_MS 2000	/* tolerated backwards step of the clock */

void
logchk_init_empty(struct store *s, const char *origin,
    const struct note_skey *key)
{
	struct store_batch *b;
	struct ckpt *c = calloc(1, sizeof(*c));
	char body[PT_NOTE_MAX_TEXT + 1], note[PT_LOG_NOTE_MAX + 1];
	size_t blen, nlen;
	int rc;

	if (c == NULL)
		fatalx("out of memory");
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	c->size = 0;
	mt_empty_root(&c->root);
	if ((rc = ckpt_format(c, body, sizeof(body), &blen)) != 0 ||
	    (rc = note_sign(body, blen, key, 1, 0, note,
	    sizeof(note), &nlen)) != 0)
		fatalx("cannot sign the empty checkpoint: %s",
		    pt_strerror(rc));
	free(c);
	if ((rc = store_batch_begin(s, &b)) != 0 ||
	    (rc = store_batch_set_checkpoint(b, note, nlen, 0)) != 0 ||
	    (rc = store_batch_commit(b)) != 0)
		fatalx("cannot initialise the store: %s", pt_strerror(rc));
}

/*
 * Bounded start-up integrity check (the full one is --check-full): the
 * newest entries (up to one tile) hash to their stored leaf hashes, and
 * each stored hash on the tree's right edge equals the hash of its stored
 * children.  O(256 + log n) reads.
 */
static void
quick_check(struct store_txn *t, uint64_t size)
{
	struct mt_reader r;
	uint64_t first = size > 256 ? size - 256 : 0, off = 0;
	int rc;

	store_txn_reader(t, &r);
	for (uint64_t i = first; i < size; i++) {
		const uint8_t *e;
		size_t elen;
		struct mt_hash want, got;

		if ((rc = store_get_entry(t, i, &e, &elen)) != 0 ||
		    (rc = mt_leaf_hash(e, elen, &want)) != 0 ||
		    (rc = r.read(r.ctx, 0, i, &got)) != 0)
			fatalx("integrity: entry %llu unreadable: %s; run "
			    "--check-full", (unsigned long long)i,
			    pt_strerror(rc));
		if (cr_memcmp(want.b, got.b, MT_HASH_SIZE) != 0)
			fatalx("integrity: entry %llu does not match its stored "
			    "leaf hash (a flipped bit?); refusing to sign over "
			    "it; run --check-full", (unsigned long long)i);
	}
	for (int bit = 63; bit >= 1; bit--) {
		struct mt_hash node, l, rr, want;
		uint64_t n;

		if (!(size & (1ULL << bit)))
			continue;
		n = off >> bit;
		if ((rc = r.read(r.ctx, (unsigned)bit, n, &node)) != 0 ||
		    (rc = r.read(r.ctx, (unsigned)bit - 1, 2 * n, &l)) != 0 ||
		    (rc = r.read(r.ctx, (unsigned)bit - 1, 2 * n + 1, &rr)) != 0
		    || (rc = mt_node_hash(&l, &rr, &want)) != 0)
			fatalx("integrity: stored hash (%d, %llu) unreadable: %s",
			    bit, (unsigned long long)n, pt_strerror(rc));
		if (cr_memcmp(want.b, node.b, MT_HASH_SIZE) != 0)
			fatalx("integrity: stored hash at level %d index %llu "
			    "differs from the hash of its children; refusing "
			    "to sign over it; run --check-full", bit,
			    (unsigned long long)n);
		off += 1ULL << bit;
	}
}

/*
 * The store matches its own latest signed checkpoint (it verifies with the
 * log key, its size is the tree's, its root is the stored tree's, and the
 * quick check passes); that checkpoint is published.  *c gets it, *time_ms
 * the last integration time.
 */
static void
check_store_checkpoint(const struct logchk *l, struct ckpt *c,
    uint64_t *time_ms)
{
	struct store_txn *t;
	struct mt_reader r;
	struct mt_hash root;
	const char *note;
	size_t len;
	uint64_t size;
	int rc;

	if ((rc = store_read_begin(l->store, &t)) != 0)
		fatalx("store: %s", pt_strerror(rc));
	if ((rc = store_latest_checkpoint(t, &note, &len, &size,
	    time_ms)) != 0)
		fatalx("store has no signed checkpoint: %s", pt_strerror(rc));
	if ((rc = ckpt_open(note, len, l->vk, c)) != 0)
		fatalx("the latest stored checkpoint does not verify with the "
		    "log key %s: %s", l->vkey, pt_strerror(rc));
	if (c->size != size || size != store_size(l->store))
		fatalx("stored tree size %llu does not match the latest "
		    "checkpoint's %llu", (unsigned long long)
		    store_size(l->store), (unsigned long long)c->size);
	store_txn_reader(t, &r);
	if ((rc = mt_root(&r, size, &root)) != 0)
		fatalx("cannot recompute the root at size %llu: %s",
		    (unsigned long long)size, pt_strerror(rc));
	if (cr_memcmp(root.b, c->root.b, MT_HASH_SIZE) != 0)
		fatalx("integrity: the stored tree's root at size %llu differs"
		    " from the signed checkpoint's; run --check-full",
		    (unsigned long long)size);
	quick_check(t, size);
	pub_signed(l->pub, note, len, size);
	store_read_end(t);
}

/*
 * The copy of the latest checkpoint kept outside LMDB (DATA/checkpoint) is
 * not ahead of the store (an old backup restored) nor a different root at
 * the same size (a fork); a copy behind the store (a crash between the
 * commit and the copy) or missing is brought up to date.
 */
static void
check_checkpoint_copy(const struct logchk *l, const struct ckpt *c)
{
	struct ckpt *cc = calloc(1, sizeof(*cc));
	char *copy = NULL;
	size_t clen;
	int rc;

	if (cc == NULL)
		fatalx("out of memory");
	rc = store_read_checkpoint_copy(l->data, &copy, &clen);
	if (rc == 0) {
		if ((rc = ckpt_open(copy, clen, l->vk, cc)) != 0)
			fatalx("%s/checkpoint does not verify with the log key:"
			    " %s", l->data, pt_strerror(rc));
		free(copy);
		if (cc->size > c->size)
			fatalx("rollback: the database holds %llu entries but "
			    "this log has signed a checkpoint of %llu (%s/"
			    "checkpoint); an old backup was restored? refusing"
			    " to run and re-sign a different history",
			    (unsigned long long)c->size,
			    (unsigned long long)cc->size, l->data);
		if (cc->size == c->size &&
		    cr_memcmp(cc->root.b, c->root.b, MT_HASH_SIZE) != 0)
			fatalx("fork: %s/checkpoint and the database sign "
			    "different roots at size %llu", l->data,
			    (unsigned long long)c->size);
	} else if (rc == PT_ENOTFOUND) {
		if (c->size > 0)
			log_warnx("%s/checkpoint is missing: rollback "
			    "detection restarts from this database",
			    l->data);
	} else {
		fatalx("%s/checkpoint is unreadable (%s): it guards against "
		    "restoring an old backup; inspect it, and remove it only "
		    "if this database is known to be the newest",
		    l->data, pt_strerror(rc));
	}
	if (rc != 0 || cc->size < c->size) {
		if ((rc = store_sync_checkpoint_copy(l->store)) != 0)
			fatalx("cannot write %s/checkpoint: %s", l->data,
			    pt_strerror(rc));
	}
	free(cc);
}

uint64_t
logchk_identity(const struct logchk *l)
{
	struct ckpt *c = calloc(1, sizeof(*c));
	uint64_t time_ms, now, size;

	if (c == NULL)
		fatalx("out of memory");
	check_store_checkpoint(l, c, &time_ms);
	check_checkpoint_copy(l, c);
	size = c->size;
	free(c);
	now = env_now_ms();
	if (time_ms > now + CLOCK_SKEW_MS)
		fatalx("clock: the last entry was integrated at %llu ms but "
		    "the clock says %llu ms; refusing to integrate entries "
		    "with earlier times (fix the clock)",
		    (unsigned long long)time_ms, (unsigned long long)now);
	log_info("log \"%s\": %llu entries, checkpoint verified", l->origin,
	    (unsigned long long)size);
	return time_ms;
}

static void
progress(uint64_t done, uint64_t total, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "check-full: %llu/%llu entries\n",
	    (unsigned long long)done, (unsigned long long)total);
}

/* --check-full: every hash recomputed from the entries, and the signed
 * root must match.  A CHECK_* status. */
static int
check_full(struct store *s, const struct note_vkey *vk)
{
	struct store_check res;
	struct store_txn *t;
	struct ckpt *c;
	const char *note;
	size_t len;
	struct pt_why why = { "" };
	int rc;

	rc = store_check_full_report(s, &res, &why, progress, NULL);
	if (rc == PT_ECORRUPT) {
		printf("check-full: FAILED at index %llu: %s\n",
		    (unsigned long long)res.index, why.text);
		return LOGCHK_BAD;
	}
	if (rc != 0) {
		printf("check-full: could not run: %s\n", why.text[0] ?
		    why.text : pt_strerror(rc));
		return LOGCHK_CANNOT;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("out of memory");
	if ((rc = store_read_begin(s, &t)) != 0)
		fatalx("store: %s", pt_strerror(rc));
	rc = store_latest_checkpoint(t, &note, &len, NULL, NULL);
	if (rc == 0)
		rc = ckpt_open(note, len, vk, c);
	store_read_end(t);
	if (rc != 0) {
		printf("check-full: FAILED: the latest checkpoint does not "
		    "verify with the log key: %s\n", pt_strerror(rc));
		free(c);
		return LOGCHK_BAD;
	}
	if (c->size != res.size ||
	    cr_memcmp(c->root.b, res.root.b, MT_HASH_SIZE) != 0) {
		printf("check-full: FAILED: the root recomputed from the %llu "
		    "entries differs from the signed checkpoint's\n",
		    (unsigned long long)res.size);
		free(c);
		return LOGCHK_BAD;
	}
	free(c);
	{
		uint64_t bad;

		if (store_corrections_check(s, corr_classify, NULL,
		    &bad, &why) != 0) {
			printf("check-full: FAILED: %s\n", why.text);
			return LOGCHK_BAD;
		}
	}
	printf("check-full: ok, %llu entries, every hash recomputed from the "
	    "entries and the signed root matches; the corrections index "
	    "matches the entries\n", (unsigned long long)res.size);
	return LOGCHK_OK;
}

int
logchk_full_main(const char *data, uint64_t map_size_mb)
{
	struct store_opts so = { 0, 0 };
	struct store *s;
	struct note_vkey vk;
	struct pt_why why = { "" };
	char path[CFG_PATH_MAX + 16];
	struct stat st;
	int has_private, rc;

	snprintf(path, sizeof(path), "%s/data.mdb", data);
	if (stat(path, &st) != 0) {
		printf("check-full: could not run: %s holds no log (%s: %s)\n",
		    data, path, strerror(errno));
		return LOGCHK_CANNOT;
	}
	if (logkey_load_vkey(data, &vk, &has_private,
	    &why) != 0) {
		printf("check-full: could not run: %s\n", why.text);
		return LOGCHK_CANNOT;
	}
	so.map_size = map_size_mb << 20;
	rc = store_open(data, &so, &s, &why);
	if (rc == PT_EBUSY) {
		printf("check-full: busy: %s.  Check a live log on a hot "
		    "backup: pubtraild backup --data %s --out DIR, then "
		    "pubtraild --check-full --data DIR\n", why.text,
		    data);
		return LOGCHK_BUSY;
	}
	if (rc != 0) {
		printf("check-full: could not run: %s\n", why.text[0] ?
		    why.text : pt_strerror(rc));
		return LOGCHK_CANNOT;
	}
	rc = check_full(s, &vk);
	store_close(s);
	return rc;
}
