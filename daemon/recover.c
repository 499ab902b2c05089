/*
 * recover.c: `pubtraild recover --data DIR --from SOURCE ...` (recover.h).
 *
 * In order:
 *   1. DIR: its log key's verifier (log.key or log.vkey), its store opened
 *      for writing (the lock: no daemon may run), its size B and latest
 *      checkpoint.
 *   2. The sources are opened; each checkpoint found (a source's own, every
 *      verified receipt's, --checkpoint files, DIR/checkpoint) is verified
 *      with the log key (others are ignored with a warning).  Two different
 *      roots at one size are a fork: refused.  The target T is the largest.
 *   3. Coverage: every index in [B, T.size) must be in some source (a copy
 *      or a tile tree covers [0, its size), a receipt its own index); the
 *      indexes in none are named and nothing is written.
 *   4. One write batch: each missing entry, in order, from the first source
 *      that has it (a source that fails is skipped for the next), decoded
 *      (its submitter and id feed the store's indexes) and appended with
 *      its own leaf hash.  The batch's root, read back from what was
 *      written, must be T's, and every other known checkpoint's root must
 *      be the rebuilt tree's at its size; only then is the batch committed
 *      with T's note as the log signed it (other signature lines dropped).
 *   5. DIR/BACKUP is removed: the daemon may start, at T.
 * Memory: the receipts' entries at or past B, one entry bundle per tile
 * source, the distinct checkpoints.  Work: O(T.size - B) appends, one
 * fetch per 256 entries from a tile source.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "backup.h"
#include "ckpt.h"
#include "crypto.h"
#include "datadir.h"
#include "hcli.h"
#include "logkey.h"
#include "mt.h"
#include "note.h"
#include "recover.h"
#include "store.h"
#include "tile.h"
#include "tproof.h"
#include "wire.h"

#define RECOVER_MAX_SOURCES	64
#define RECOVER_MAX_RECEIPTS	(1u << 22)	/* receipt files in one run */
#define RECOVER_MAX_CKPTS	(1u << 20)	/* distinct checkpoints */
#define RECOVER_MAX_LOST_SHOWN	20		/* lost ranges printed */
#define RECOVER_PROGRESS	65536		/* entries between reports */

enum src_kind { SRC_URL, SRC_TILES, SRC_COPY, SRC_RECEIPTS };

static const char *const kind_name[] = {
	"tlog-tiles URL", "tlog-tiles directory", "copy of the data",
	"receipts",
};

struct rentry {
	uint64_t index;
	uint8_t *e;
	size_t len;
};

struct src {
	enum src_kind kind;
	const char *name;		/* as given */
	uint64_t size;			/* covers [0, size) (not receipts) */
	int broken;			/* a fetch failed: skipped */
	uint64_t used;			/* entries taken from it */
	struct hcli *hc;		/* SRC_URL */
	struct store *st;		/* SRC_COPY */
	struct store_txn *txn;
	/* One entry bundle (SRC_URL, SRC_TILES). */
	int have_tile;
	uint64_t tile_n;
	uint8_t *tile;
	size_t tile_len;
	unsigned tile_w;
	const uint8_t *te[TILE_WIDTH];
	size_t tl[TILE_WIDTH];
	/* SRC_RECEIPTS: sorted by index. */
	struct rentry *re;
	size_t nre, capre;
	size_t nbad;			/* receipts that did not verify */
};

struct ck {
	uint64_t size;
	struct mt_hash root;
	char *note;			/* as the log signed it */
	size_t len;
	const char *from;
};

struct rec {
	const char *dir;
	struct note_vkey vk;
	struct store *st;
	uint64_t base;			/* DIR's size */
	struct src src[RECOVER_MAX_SOURCES];
	size_t nsrc;
	struct ck *ck;
	size_t nck, capck;
	int fork;			/* two roots at one size */
	const char *cacert;
	int verbose;
};

static const char recover_usage[] =
"usage: pubtraild recover --data DIR --from SOURCE [--from SOURCE ...]\n"
"                         [--checkpoint FILE ...] [--cacert FILE] [--json] [-v]\n"
"\n"
"Bring the log in DIR (a restored backup, or a store older than its\n"
"checkpoint copy) to the newest checkpoint the log published, without\n"
"signing anything: the missing entries are re-appended in their original\n"
"order, byte for byte, and committed only when the rebuilt tree's root is\n"
"exactly the published checkpoint's.  SOURCE is, in the order given:\n"
"  http[s]://...   a log or mirror serving C2SP tlog-tiles\n"
"  DIR             another copy of the data (it has data.mdb), a static\n"
"                  tlog-tiles tree (checkpoint and tile/), or a directory\n"
"                  of receipts (*.receipt files, e.g. an office's)\n"
"--checkpoint FILE adds a checkpoint known to be published (from a witness\n"
"or a monitor).  Entries in no source are named and nothing is written.\n"
"-v says what each source is and holds.\n"
"Exit 0 recovered (DIR/BACKUP removed: the daemon may start), 1 refused\n"
"(lost entries, a root that does not match, a fork), 2 usage, 3 busy (a\n"
"daemon runs on DIR), 4 could not run.\n";

/* ---- checkpoints ---- */

/* A checkpoint from a source: kept when the log signed it (the other
 * signature lines dropped); 0 kept or already known, else the error. */
static int
add_ckpt(struct rec *r, const char *note, size_t len, const char *from)
{
	struct ckpt *c;
	struct note n;
	char *kept;
	size_t klen;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PT_ENOMEM;
	if ((rc = ckpt_open(note, len, &r->vk, c)) != 0) {
		free(c);
		return rc;
	}
	for (size_t i = 0; i < r->nck; i++) {
		if (r->ck[i].size != c->size)
			continue;
		if (cr_memcmp(r->ck[i].root.b, c->root.b, MT_HASH_SIZE) != 0) {
			fprintf(stderr, "recover: FORK: the log signed two "
			    "different roots at size %llu (%s and %s)\n",
			    (unsigned long long)c->size, r->ck[i].from, from);
			r->fork = 1;
		}
		free(c);
		return 0;
	}
	if (r->nck == RECOVER_MAX_CKPTS) {
		free(c);
		return PT_ETOOBIG;
	}
	if (r->nck == r->capck) {
		size_t ncap = r->capck ? 2 * r->capck : 64;
		struct ck *nck = realloc(r->ck, ncap * sizeof(*nck));

		if (nck == NULL) {
			free(c);
			return PT_ENOMEM;
		}
		r->ck = nck;
		r->capck = ncap;
	}
	if ((kept = malloc(len + 1)) == NULL) {
		free(c);
		return PT_ENOMEM;
	}
	if ((rc = note_parse(note, len, &n)) != 0 ||
	    (rc = note_keep_lines(&n, &r->vk, 1, kept, len + 1, &klen)) != 0) {
		free(kept);
		free(c);
		return rc;
	}
	r->ck[r->nck].size = c->size;
	r->ck[r->nck].root = c->root;
	r->ck[r->nck].note = kept;
	r->ck[r->nck].len = klen;
	r->ck[r->nck].from = from;
	r->nck++;
	free(c);
	return 0;
}

static const struct ck *
newest(const struct rec *r)
{
	const struct ck *best = NULL;

	for (size_t i = 0; i < r->nck; i++)
		if (best == NULL || r->ck[i].size > best->size)
			best = &r->ck[i];
	return best;
}

/* ---- reading files ---- */

static int
read_file(const char *path, size_t max, uint8_t **out, size_t *len,
    struct pt_why *why)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pt_why_set(why, errno == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max) {
		close(fd);
		return pt_why_set(why, PT_ETOOBIG, "%s: not a regular file of "
		    "at most %zu bytes", path, max);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return PT_ENOMEM;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return pt_why_set(why, PT_EIO, "%s: short read", path);
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* ---- sources ---- */

static int
open_url(struct rec *r, struct src *s, struct pt_why *why)
{
	struct hcli_opts o;
	struct hcli_resp resp;
	int rc;

	memset(&o, 0, sizeof(o));
	o.cacert = r->cacert;
	o.timeout_ms = 30000;
	if ((rc = hcli_new(s->name, &o, &s->hc, why)) != 0)
		return rc;
	memset(&resp, 0, sizeof(resp));
	if ((rc = hcli_get(s->hc, "/checkpoint", NULL, PT_NOTE_MAX, &resp))
	    != 0 || (rc = resp.err) != 0 || resp.status != 200) {
		pt_why_set(why, PT_ENET, "%s/checkpoint: %s", s->name,
		    resp.err ? resp.why : "not 200");
		hcli_resp_free(&resp);
		return PT_ENET;
	}
	rc = add_ckpt(r, (const char *)resp.body, resp.len, s->name);
	if (rc == 0) {
		struct ckpt *c = calloc(1, sizeof(*c));

		if (c == NULL)
			rc = PT_ENOMEM;
		else if (ckpt_open((const char *)resp.body, resp.len, &r->vk,
		    c) == 0)
			s->size = c->size;
		free(c);
	} else
		pt_why_set(why, rc, "%s/checkpoint: not signed by this log's "
		    "key: %s", s->name, pt_strerror(rc));
	hcli_resp_free(&resp);
	return rc;
}

static int
open_tiles(struct rec *r, struct src *s, struct pt_why *why)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	struct ckpt *c;
	int rc;

	snprintf(path, sizeof(path), "%s/checkpoint", s->name);
	if ((rc = read_file(path, PT_NOTE_MAX, &buf, &len, why)) != 0)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		free(buf);
		return PT_ENOMEM;
	}
	if ((rc = ckpt_open((const char *)buf, len, &r->vk, c)) != 0)
		pt_why_set(why, rc, "%s: not signed by this log's key: %s",
		    path, pt_strerror(rc));
	else if ((rc = add_ckpt(r, (const char *)buf, len, s->name)) == 0)
		s->size = c->size;
	free(c);
	free(buf);
	return rc;
}

static int
open_copy(struct rec *r, struct src *s, struct pt_why *why)
{
	struct store_opts so = { 0, 1 };
	const char *note;
	size_t len;
	uint64_t size, tm;
	int rc;

	if ((rc = store_open(s->name, &so, &s->st, why)) != 0)
		return rc;
	if ((rc = store_read_begin(s->st, &s->txn)) != 0)
		return pt_why_set(why, rc, "%s: %s", s->name, pt_strerror(rc));
	if ((rc = store_latest_checkpoint(s->txn, &note, &len, &size, &tm))
	    != 0)
		return pt_why_set(why, rc, "%s: no checkpoint", s->name);
	if ((rc = add_ckpt(r, note, len, s->name)) != 0)
		return pt_why_set(why, rc, "%s: its checkpoint is not signed "
		    "by this log's key: %s", s->name, pt_strerror(rc));
	s->size = size;
	return 0;
}

static int
cmp_rentry(const void *a, const void *b)
{
	const struct rentry *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* One receipt file: verified against its own checkpoint, which must be
 * the log's; its entry kept when at or past DIR's size. */
static int
load_receipt(struct rec *r, struct src *s, const char *path)
{
	struct wire_receipt wr;
	struct tproof *tp;
	struct mt_hash leaf;
	struct pt_why why = { "" };
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = read_file(path, WIRE_MAX_RECEIPT, &buf, &len, &why)) != 0)
		return rc;
	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		free(buf);
		return PT_ENOMEM;
	}
	if ((rc = wire_receipt_decode(buf, len, &wr, &why)) != 0 ||
	    (rc = tproof_parse(wr.proof, wr.proof_len, tp)) != 0 ||
	    tp->index != wr.index ||
	    (rc = mt_leaf_hash(wr.entry, wr.entry_len, &leaf)) != 0 ||
	    (rc = tproof_verify(tp, &leaf, &r->vk, NULL)) != 0) {
		fprintf(stderr, "recover: %s: not a receipt of this log (%s); "
		    "skipped\n", path, pt_strerror(rc ? rc : PT_EPROOF));
		s->nbad++;
		rc = 0;
		goto out;
	}
	if ((rc = add_ckpt(r, tp->note, tp->note_len, s->name)) != 0)
		goto out;
	if (wr.index >= r->base) {
		if (s->nre == s->capre) {
			size_t ncap = s->capre ? 2 * s->capre : 256;
			struct rentry *n = realloc(s->re, ncap * sizeof(*n));

			if (n == NULL) {
				rc = PT_ENOMEM;
				goto out;
			}
			s->re = n;
			s->capre = ncap;
		}
		if ((s->re[s->nre].e = malloc(wr.entry_len)) == NULL) {
			rc = PT_ENOMEM;
			goto out;
		}
		memcpy(s->re[s->nre].e, wr.entry, wr.entry_len);
		s->re[s->nre].len = wr.entry_len;
		s->re[s->nre].index = wr.index;
		s->nre++;
	}
out:
	free(tp);
	free(buf);
	return rc;
}

static int
open_receipts(struct rec *r, struct src *s, struct pt_why *why)
{
	DIR *dh;
	struct dirent *de;
	char path[4096];
	size_t n = 0, nlen;
	int rc = 0;

	if ((dh = opendir(s->name)) == NULL)
		return pt_why_set(why, PT_EIO, "%s: %s", s->name,
		    strerror(errno));
	while ((de = readdir(dh)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen < 9 || strcmp(de->d_name + nlen - 8, ".receipt") != 0)
			continue;
		if (++n > RECOVER_MAX_RECEIPTS) {
			rc = pt_why_set(why, PT_ETOOBIG, "%s: more than %u "
			    "receipts", s->name, RECOVER_MAX_RECEIPTS);
			break;
		}
		if (snprintf(path, sizeof(path), "%s/%s", s->name,
		    de->d_name) >= (int)sizeof(path))
			continue;
		if ((rc = load_receipt(r, s, path)) != 0) {
			pt_why_set(why, rc, "%s: %s", path, pt_strerror(rc));
			break;
		}
	}
	closedir(dh);
	if (rc != 0)
		return rc;
	if (s->nre > 1)
		qsort(s->re, s->nre, sizeof(*s->re), cmp_rentry);
	if (r->verbose)
		fprintf(stderr, "recover: %s: %zu receipts, %zu entries past "
		    "index %llu, %zu not of this log\n", s->name, n, s->nre,
		    (unsigned long long)r->base, s->nbad);
	return 0;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
has_file(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static int
open_source(struct rec *r, struct src *s, struct pt_why *why)
{
	if (strncmp(s->name, "http://", 7) == 0 ||
	    strncmp(s->name, "https://", 8) == 0) {
		s->kind = SRC_URL;
		return open_url(r, s, why);
	}
	if (!is_dir(s->name))
		return pt_why_set(why, PT_ENOTFOUND, "%s: neither an http(s) "
		    "URL nor a directory", s->name);
	if (has_file(s->name, "data.mdb")) {
		s->kind = SRC_COPY;
		return open_copy(r, s, why);
	}
	if (has_file(s->name, "checkpoint") && has_file(s->name, "tile")) {
		s->kind = SRC_TILES;
		return open_tiles(r, s, why);
	}
	s->kind = SRC_RECEIPTS;
	return open_receipts(r, s, why);
}

static void
close_source(struct src *s)
{
	if (s->txn != NULL)
		store_read_end(s->txn);
	store_close(s->st);
	hcli_free(s->hc);
	free(s->tile);
	for (size_t i = 0; i < s->nre; i++)
		free(s->re[i].e);
	free(s->re);
}

/* Fetch entry bundle n of a tile source (width by the source's size). */
static int
load_tile(struct src *s, uint64_t n, struct pt_why *why)
{
	struct tile t = { true, 0, n, 0 };
	char path[TILE_PATH_MAX], full[4096];
	size_t off = 0;
	unsigned k = 0;
	int rc;

	s->have_tile = 0;
	free(s->tile);
	s->tile = NULL;
	t.width = s->size - n * TILE_WIDTH >= TILE_WIDTH ? TILE_WIDTH :
	    (unsigned)(s->size - n * TILE_WIDTH);
	if ((rc = tile_path_format(&t, path, sizeof(path))) != 0)
		return rc;
	if (s->kind == SRC_URL) {
		struct hcli_resp resp;

		memset(&resp, 0, sizeof(resp));
		snprintf(full, sizeof(full), "/%s", path);
		if ((rc = hcli_get(s->hc, full, NULL, PT_ANSWER_BUNDLE, &resp))
		    != 0 || resp.err != 0 || resp.status != 200) {
			pt_why_set(why, PT_ENET, "%s%s: %s", s->name, full,
			    resp.err ? resp.why : "not 200");
			hcli_resp_free(&resp);
			return PT_ENET;
		}
		s->tile = resp.body;
		s->tile_len = resp.len;
		resp.body = NULL;
		hcli_resp_free(&resp);
	} else {
		snprintf(full, sizeof(full), "%s/%s", s->name, path);
		if ((rc = read_file(full, PT_ANSWER_BUNDLE, &s->tile,
		    &s->tile_len, why)) != 0)
			return rc;
	}
	while (k < TILE_WIDTH && (rc = tile_bundle_next(s->tile, s->tile_len,
	    &off, &s->te[k], &s->tl[k])) == 0)
		k++;
	if (rc < 0 || k != t.width || off != s->tile_len)
		return pt_why_set(why, PT_EMALFORMED, "%s: %s: not an entry "
		    "bundle of %u entries", s->name, path, t.width);
	s->tile_n = n;
	s->tile_w = k;
	s->have_tile = 1;
	return 0;
}

/* Does s claim to hold entry i? */
static int
covers(const struct src *s, uint64_t i)
{
	size_t lo = 0, hi = s->nre;

	if (s->broken)
		return 0;
	if (s->kind != SRC_RECEIPTS)
		return i < s->size;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->re[mid].index < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nre && s->re[lo].index == i;
}

/* Entry i from s (pointer valid until the next call for s). */
static int
get_entry(struct src *s, uint64_t i, const uint8_t **e, size_t *len,
    struct pt_why *why)
{
	int rc;

	switch (s->kind) {
	case SRC_COPY:
		return store_get_entry(s->txn, i, e, len);
	case SRC_URL:
	case SRC_TILES:
		if (!s->have_tile || s->tile_n != i / TILE_WIDTH)
			if ((rc = load_tile(s, i / TILE_WIDTH, why)) != 0)
				return rc;
		if (i % TILE_WIDTH >= s->tile_w)
			return PT_ENOTFOUND;
		*e = s->te[i % TILE_WIDTH];
		*len = s->tl[i % TILE_WIDTH];
		return 0;
	case SRC_RECEIPTS: {
		size_t lo = 0, hi = s->nre;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (s->re[mid].index < i)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= s->nre || s->re[lo].index != i)
			return PT_ENOTFOUND;
		*e = s->re[lo].e;
		*len = s->re[lo].len;
		return 0;
	}
	}
	return PT_EINVAL;
}

/* ---- the work ---- */

/* Name the indexes in [from, to) no source holds; their number. */
static uint64_t
report_lost(struct rec *r, uint64_t from, uint64_t to)
{
	uint64_t lost = 0, start = 0;
	size_t ranges = 0;
	int in = 0;

	for (uint64_t i = from; i <= to; i++) {
		int have = 0;

		for (size_t k = 0; i < to && k < r->nsrc && !have; k++)
			have = covers(&r->src[k], i);
		if (i < to && !have) {
			lost++;
			if (!in)
				start = i;
			in = 1;
			continue;
		}
		if (in && ranges++ < RECOVER_MAX_LOST_SHOWN) {
			if (start == i - 1)
				fprintf(stderr, "recover: LOST: entry %llu is "
				    "in no source\n", (unsigned long long)start);
			else
				fprintf(stderr, "recover: LOST: entries %llu.."
				    "%llu are in no source\n",
				    (unsigned long long)start,
				    (unsigned long long)(i - 1));
		}
		in = 0;
	}
	if (ranges > RECOVER_MAX_LOST_SHOWN)
		fprintf(stderr, "recover: ... and %zu more lost ranges\n",
		    ranges - RECOVER_MAX_LOST_SHOWN);
	return lost;
}

/* Append entry i from the first source that has it. */
static int
append_one(struct rec *r, struct store_batch *b, uint64_t i,
    uint64_t *time_ms, struct pt_why *why)
{
	for (size_t k = 0; k < r->nsrc; k++) {
		struct src *s = &r->src[k];
		struct wire_entry we;
		struct mt_hash leaf;
		struct pt_why w = { "" };
		const uint8_t *e;
		uint8_t sid[32];
		size_t len;
		uint64_t idx;
		int rc;

		if (!covers(s, i))
			continue;
		if ((rc = get_entry(s, i, &e, &len, &w)) != 0) {
			fprintf(stderr, "recover: %s: entry %llu: %s; the "
			    "source is skipped from here on\n", s->name,
			    (unsigned long long)i, w.text[0] ? w.text :
			    pt_strerror(rc));
			s->broken = 1;
			continue;
		}
		if ((rc = wire_entry_decode(e, len, &we, &w)) != 0 ||
		    (rc = wire_submitter_id(we.sub.submitter_str,
		    we.sub.submitter_len, sid)) != 0 ||
		    (rc = mt_leaf_hash(e, len, &leaf)) != 0) {
			fprintf(stderr, "recover: %s: entry %llu is not a "
			    "pubtrail entry (%s); the source is skipped\n",
			    s->name, (unsigned long long)i, w.text[0] ?
			    w.text : pt_strerror(rc));
			s->broken = 1;
			continue;
		}
		if ((rc = store_batch_append(b, e, len, &leaf, sid,
		    we.sub.info.id, we.sub.info.id_len, &idx)) != 0)
			return pt_why_set(why, rc, "appending entry %llu: %s",
			    (unsigned long long)i, pt_strerror(rc));
		if (idx != i)
			return pt_why_set(why, PT_ECORRUPT, "entry %llu went to "
			    "index %llu", (unsigned long long)i,
			    (unsigned long long)idx);
		*time_ms = we.time_ms;
		s->used++;
		return 0;
	}
	return pt_why_set(why, PT_ENOTFOUND, "entry %llu could not be read "
	    "from any source", (unsigned long long)i);
}

/* The rebuilt tree (reader r of size) holds every known checkpoint of at
 * most that size: 0, or PT_ECONFLICT naming the first that differs. */
static int
check_prefixes(struct rec *r, const struct mt_reader *rd, uint64_t size,
    size_t *checked, struct pt_why *why)
{
	*checked = 0;
	for (size_t i = 0; i < r->nck; i++) {
		struct mt_hash root;
		int rc;

		if (r->ck[i].size > size)
			continue;
		if ((rc = mt_root(rd, r->ck[i].size, &root)) != 0)
			return pt_why_set(why, rc, "root at %llu: %s",
			    (unsigned long long)r->ck[i].size,
			    pt_strerror(rc));
		if (cr_memcmp(root.b, r->ck[i].root.b, MT_HASH_SIZE) != 0)
			return pt_why_set(why, PT_ECONFLICT, "the rebuilt tree "
			    "differs from the checkpoint of size %llu (from %s)",
			    (unsigned long long)r->ck[i].size, r->ck[i].from);
		(*checked)++;
	}
	return 0;
}

/* Steps 3 and 4: rebuild [base, t->size) and commit with t's note. */
static int
rebuild(struct rec *r, const struct ck *t, size_t *checked,
    struct pt_why *why)
{
	struct store_batch *b;
	struct mt_reader rd;
	struct mt_hash root;
	uint64_t lost, time_ms = 0;
	int rc;

	if ((lost = report_lost(r, r->base, t->size)) > 0)
		return pt_why_set(why, PT_ENOTFOUND, "%llu of the %llu entries "
		    "between %llu and the published size %llu are in no "
		    "source: nothing was written", (unsigned long long)lost,
		    (unsigned long long)(t->size - r->base),
		    (unsigned long long)r->base, (unsigned long long)t->size);
	if ((rc = store_batch_begin(r->st, &b)) != 0)
		return pt_why_set(why, rc, "store: %s", pt_strerror(rc));
	for (uint64_t i = r->base; i < t->size; i++) {
		if ((rc = append_one(r, b, i, &time_ms, why)) != 0) {
			store_batch_abort(b);
			if (rc == PT_ENOTFOUND)
				fprintf(stderr, "recover: LOST: entry %llu\n",
				    (unsigned long long)i);
			return rc;
		}
		if ((i - r->base + 1) % RECOVER_PROGRESS == 0)
			fprintf(stderr, "recover: %llu/%llu entries\n",
			    (unsigned long long)(i - r->base + 1),
			    (unsigned long long)(t->size - r->base));
	}
	if ((rc = store_batch_root(b, &root)) != 0) {
		store_batch_abort(b);
		return pt_why_set(why, rc, "root: %s", pt_strerror(rc));
	}
	if (cr_memcmp(root.b, t->root.b, MT_HASH_SIZE) != 0) {
		store_batch_abort(b);
		return pt_why_set(why, PT_ECONFLICT, "the rebuilt tree's root "
		    "at size %llu is not the published checkpoint's (from %s): "
		    "a source served entries that are not the log's; nothing "
		    "was written", (unsigned long long)t->size, t->from);
	}
	store_batch_reader(b, &rd);
	if ((rc = check_prefixes(r, &rd, t->size, checked, why)) != 0) {
		store_batch_abort(b);
		return rc;
	}
	if ((rc = store_batch_set_checkpoint(b, t->note, t->len, time_ms))
	    != 0) {
		store_batch_abort(b);
		return pt_why_set(why, rc, "checkpoint: %s", pt_strerror(rc));
	}
	if ((rc = store_batch_commit(b)) != 0)
		return pt_why_set(why, rc, "commit: %s", pt_strerror(rc));
	return 0;
}

/* Nothing to fetch: DIR's own tree must hold every known checkpoint. */
static int
check_local(struct rec *r, size_t *checked, struct pt_why *why)
{
	struct store_txn *t;
	struct mt_reader rd;
	int rc;

	if ((rc = store_read_begin(r->st, &t)) != 0)
		return pt_why_set(why, rc, "store: %s", pt_strerror(rc));
	store_txn_reader(t, &rd);
	rc = check_prefixes(r, &rd, r->base, checked, why);
	store_read_end(t);
	return rc;
}

/* Step 1: DIR's key and store; its own checkpoints join the known ones. */
static int
open_target(struct rec *r, struct pt_why *why)
{
	struct store_opts so = { 0, 0 };
	struct store_txn *t;
	const char *note;
	char path[4096], *copy;
	size_t len;
	uint64_t size, tm;
	int has_private, rc;

	snprintf(path, sizeof(path), "%s/data.mdb", r->dir);
	if (!has_file(r->dir, "data.mdb"))
		return pt_why_set(why, PT_ENOTFOUND, "%s holds no log (no "
		    "data.mdb): restore a backup into it first", r->dir);
	if ((rc = logkey_check_dir(r->dir, why)) != 0 ||
	    (rc = logkey_load_vkey(r->dir, &r->vk, &has_private, why)) != 0)
		return rc;
	if ((rc = store_open(r->dir, &so, &r->st, why)) != 0)
		return rc;
	r->base = store_size(r->st);
	if ((rc = store_read_begin(r->st, &t)) != 0)
		return pt_why_set(why, rc, "store: %s", pt_strerror(rc));
	rc = store_latest_checkpoint(t, &note, &len, &size, &tm);
	if (rc == 0 && (rc = add_ckpt(r, note, len, r->dir)) != 0)
		pt_why_set(why, rc, "%s: its latest checkpoint does not verify "
		    "with the log key", r->dir);
	else if (rc != 0)
		pt_why_set(why, rc, "%s: no checkpoint in the store", r->dir);
	store_read_end(t);
	if (rc != 0)
		return rc;
	/* The checkpoint copy left in DIR (a store restored in place). */
	if (datadir_copy_read(r->dir, &copy, &len) == 0) {
		if (add_ckpt(r, copy, len, "the checkpoint copy") != 0)
			fprintf(stderr, "recover: %s/checkpoint does not verify "
			    "with the log key; ignored\n", r->dir);
		free(copy);
	}
	return 0;
}

static int
add_ckpt_file(struct rec *r, const char *path, struct pt_why *why)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = read_file(path, PT_NOTE_MAX, &buf, &len, why)) != 0)
		return rc;
	rc = add_ckpt(r, (const char *)buf, len, path);
	free(buf);
	if (rc != 0)
		return pt_why_set(why, rc, "%s: not a checkpoint signed by this "
		    "log: %s", path, pt_strerror(rc));
	return 0;
}

static void
print_json(const struct rec *r, const struct ck *t, uint64_t before,
    size_t checked)
{
	json_t *o = json_object(), *srcs = json_array();
	char root[64];

	cr_b64_encode(t->root.b, MT_HASH_SIZE, root, sizeof(root));
	for (size_t k = 0; k < r->nsrc; k++)
		json_array_append_new(srcs, json_pack("{s:s, s:s, s:I}",
		    "source", r->src[k].name, "kind",
		    kind_name[r->src[k].kind], "entries",
		    (json_int_t)r->src[k].used));
	json_object_set_new(o, "data", json_string(r->dir));
	json_object_set_new(o, "before", json_integer((json_int_t)before));
	json_object_set_new(o, "size", json_integer((json_int_t)t->size));
	json_object_set_new(o, "root", json_string(root));
	json_object_set_new(o, "checkpoint_from", json_string(t->from));
	json_object_set_new(o, "checkpoints_verified",
	    json_integer((json_int_t)checked));
	json_object_set_new(o, "sources", srcs);
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

/* The options of `recover` that are not the run's state in struct rec. */
struct rec_args {
	const char *ckfiles[RECOVER_MAX_SOURCES];	/* --checkpoint FILE */
	size_t nckf;
	int json;					/* --json */
};

/* The command line into r (DIR, sources, --cacert, -v) and a.  -1 to go
 * on, RECOVER_OK after --help, or RECOVER_USAGE (the usage printed). */
static int
recover_parse(int argc, char **argv, struct rec *r, struct rec_args *a)
{
	static const struct option lopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "checkpoint", required_argument, NULL, 'k' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "hv", lopts, NULL)) != -1) {
		switch (ch) {
		case 'd': r->dir = optarg; break;
		case 'f':
			if (r->nsrc == RECOVER_MAX_SOURCES)
				goto usage;
			r->src[r->nsrc++].name = optarg;
			break;
		case 'k':
			if (a->nckf == RECOVER_MAX_SOURCES)
				goto usage;
			a->ckfiles[a->nckf++] = optarg;
			break;
		case 'C': r->cacert = optarg; break;
		case 'j': a->json = 1; break;
		case 'v': r->verbose = 1; break;
		case 'h':
			fputs(recover_usage, stdout);
			return RECOVER_OK;
		default:
			goto usage;
		}
	}
	if (optind != argc || r->dir == NULL || r->nsrc == 0)
		goto usage;
	return -1;
usage:
	fputs(recover_usage, stderr);
	return RECOVER_USAGE;
}

/* DIR's store, every source, and the --checkpoint files (their
 * checkpoints noted).  -1 to go on, or a RECOVER_* status (said). */
static int
open_all(struct rec *r, const struct rec_args *a)
{
	struct pt_why why = { "" };
	int rc;

	if ((rc = open_target(r, &why)) != 0) {
		fprintf(stderr, "recover: %s\n", why.text[0] ? why.text :
		    pt_strerror(rc));
		return rc == PT_EBUSY ? RECOVER_BUSY : RECOVER_CANNOT;
	}
	for (size_t k = 0; k < r->nsrc; k++) {
		if ((rc = open_source(r, &r->src[k], &why)) != 0) {
			fprintf(stderr, "recover: %s\n", why.text[0] ? why.text
			    : pt_strerror(rc));
			return RECOVER_CANNOT;
		}
		if (r->verbose)
			fprintf(stderr, "recover: source %s: %s\n",
			    r->src[k].name, kind_name[r->src[k].kind]);
	}
	for (size_t k = 0; k < a->nckf; k++)
		if ((rc = add_ckpt_file(r, a->ckfiles[k], &why)) != 0) {
			fprintf(stderr, "recover: %s\n", why.text);
			return RECOVER_CANNOT;
		}
	return -1;
}

/* What was done, for people. */
static void
print_text(const struct rec *r, const struct ck *t, uint64_t before,
    size_t checked)
{
	if (t->size > before) {
		printf("recover: %s: %llu entries re-appended (%llu -> %llu); "
		    "the root is the published checkpoint's (from %s), and %zu "
		    "known checkpoints are prefixes of the tree\n", r->dir,
		    (unsigned long long)(t->size - before),
		    (unsigned long long)before, (unsigned long long)t->size,
		    t->from, checked);
		for (size_t k = 0; k < r->nsrc; k++)
			printf("recover:   %llu from %s (%s)\n",
			    (unsigned long long)r->src[k].used, r->src[k].name,
			    kind_name[r->src[k].kind]);
	} else
		printf("recover: %s: nothing to fetch: the newest checkpoint in "
		    "the sources has size %llu and the log here has %llu; %zu "
		    "known checkpoints are prefixes of its tree.  If the log "
		    "published past that, name a source that has it\n", r->dir,
		    (unsigned long long)t->size, (unsigned long long)before,
		    checked);
	printf("recover: %s may be served again\n", r->dir);
}

/* Opened: refuse a fork, bring DIR to the newest checkpoint (or check it
 * is there already), remove DIR/BACKUP, say so.  A RECOVER_* status. */
static int
recover_run(struct rec *r, const struct rec_args *a)
{
	struct pt_why why = { "" };
	const struct ck *t;
	uint64_t before = r->base;
	size_t checked = 0;
	int rc;

	if (r->fork) {
		fprintf(stderr, "recover: refused: the log signed two histories;"
		    " this is evidence for its auditors, not something to "
		    "recover from\n");
		return RECOVER_REFUSED;
	}
	t = newest(r);
	if (t->size > r->base)
		rc = rebuild(r, t, &checked, &why);
	else
		rc = check_local(r, &checked, &why);
	if (rc != 0) {
		fprintf(stderr, "recover: refused: %s\n", why.text);
		return RECOVER_REFUSED;
	}
	if ((rc = backup_manifest_remove(r->dir, &why)) != 0) {
		fprintf(stderr, "recover: %s\n", why.text);
		return RECOVER_CANNOT;
	}
	if (a->json)
		print_json(r, t, before, checked);
	else
		print_text(r, t, before, checked);
	return RECOVER_OK;
}

static void
rec_free(struct rec *r)
{
	for (size_t k = 0; k < r->nsrc; k++)
		close_source(&r->src[k]);
	store_close(r->st);
	for (size_t i = 0; i < r->nck; i++)
		free(r->ck[i].note);
	free(r->ck);
	free(r);
}

int
recover_main(int argc, char **argv)
{
	struct rec_args a;
	struct rec *r;
	int ex;

	memset(&a, 0, sizeof(a));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RECOVER_CANNOT;
	if ((ex = recover_parse(argc, argv, r, &a)) < 0 &&
	    (ex = open_all(r, &a)) < 0)
		ex = recover_run(r, &a);
	rec_free(r);
	return ex;
}
