/*
 * mt_dump: pubtrail's side of tests/integration/test_interop_tree.sh.
 *
 * Builds the same 70,000-leaf tree as tests/interop/mt_vectors.go, storing
 * the complete subtrees that mt_append reports in per-level arrays, and
 * prints, in the same line format and order, roots (mt_root), inclusion and
 * consistency proofs (mt_inclusion_proof, mt_consistency_proof), hash tiles
 * (paths from tile_path_format, widths from tile_width_at, contents from the
 * stored hashes of tree level 8L) and entry bundles (tile_bundle_put).  Every
 * proof is also checked with mt_verify_* and every root against mt_frontier
 * before it is printed; a failure exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ptlimits.h"
#include "mt.h"
#include "pt.h"
#include "tile.h"

#define TOTAL 70000
#define LEVELS 18	/* 2^17 > TOTAL */

struct store {
	struct mt_hash *h[LEVELS];
	uint64_t count[LEVELS];
	uint64_t limit;		/* tree size of the current question */
};

static struct store st;
static struct mt_hash roots[TOTAL + 1];

static void
die(const char *what, int rc)
{
	fprintf(stderr, "mt_dump: %s: %s\n", what, pt_strerror(rc));
	exit(1);
}

static int
store_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct store *s = ctx;

	if (level >= LEVELS || n >= s->count[level] ||
	    ((n + 1) << level) > s->limit) {
		fprintf(stderr, "mt_dump: read (%u, %llu) outside tree %llu\n",
		    level, (unsigned long long)n, (unsigned long long)s->limit);
		return PT_ECORRUPT;
	}
	*out = s->h[level][n];
	return 0;
}

static const struct mt_reader rd = { store_read, &st };

/* "leaf <i>;" repeated i % 4 times, as in mt_vectors.go. */
static size_t
leaf(uint64_t i, char *buf, size_t cap)
{
	size_t len = 0;
	unsigned k;

	for (k = 0; k < i % 4; k++)
		len += (size_t)snprintf(buf + len, cap - len, "leaf %llu;",
		    (unsigned long long)i);
	return len;
}

static void
print_hashes(const char *tag, uint64_t a, uint64_t b,
    const struct mt_hash *p, size_t n)
{
	char hex[2 * MT_HASH_SIZE + 1];
	size_t i;

	printf("%s %llu %llu ", tag, (unsigned long long)a,
	    (unsigned long long)b);
	for (i = 0; i < n; i++) {
		cr_hex_encode(p[i].b, MT_HASH_SIZE, hex);
		printf("%s%s", i ? "," : "", hex);
	}
	putchar('\n');
}

static void
incl(uint64_t i, uint64_t n)
{
	struct mt_hash p[PT_MAX_PROOF];
	size_t len;
	int rc;

	st.limit = n;
	if ((rc = mt_inclusion_proof(&rd, i, n, p, PT_MAX_PROOF, &len)) != 0)
		die("inclusion proof", rc);
	if ((rc = mt_verify_inclusion(&st.h[0][i], i, n, p, len,
	    &roots[n])) != 0)
		die("verify own inclusion proof", rc);
	print_hashes("incl", i, n, p, len);
}

static void
cons(uint64_t m, uint64_t n)
{
	struct mt_hash p[PT_MAX_PROOF];
	size_t len;
	int rc;

	st.limit = n;
	if ((rc = mt_consistency_proof(&rd, m, n, p, PT_MAX_PROOF,
	    &len)) != 0)
		die("consistency proof", rc);
	if ((rc = mt_verify_consistency(m, n, &roots[m], &roots[n], p,
	    len)) != 0)
		die("verify own consistency proof", rc);
	print_hashes("cons", m, n, p, len);
}

static void
tiles(uint64_t size)
{
	char path[TILE_PATH_MAX], hex[2 * MT_HASH_SIZE + 1];
	struct tile t;
	unsigned w, i;
	int rc;

	for (t.level = 0; t.level <= TILE_MAX_LEVEL; t.level++) {
		t.entries = false;
		for (t.n = 0;; t.n++) {
			if (tile_width_at(&t, size, &w) != 0)
				break;
			t.width = w;
			if ((rc = tile_path_format(&t, path, sizeof(path))) != 0)
				die("tile path", rc);
			printf("tile %llu %s ", (unsigned long long)size, path);
			for (i = 0; i < w; i++) {
				uint64_t n = t.n * TILE_WIDTH + i;
				unsigned lv = TILE_HEIGHT * t.level;

				if (lv >= LEVELS || n >= st.count[lv])
					die("tile hash missing", PT_ECORRUPT);
				cr_hex_encode(st.h[lv][n].b, MT_HASH_SIZE, hex);
				fputs(hex, stdout);
			}
			putchar('\n');
		}
		if (t.n == 0)
			break;
	}
}

static void
bundles(uint64_t size)
{
	static uint8_t buf[TILE_WIDTH * (2 + 64)];
	char path[TILE_PATH_MAX], data[64], hex[3];
	const uint8_t *e;
	struct mt_hash h;
	struct tile t = { true, 0, 0, 0 };
	size_t used, off, elen, len, j;
	unsigned w, i;
	int rc;

	for (t.n = 0; tile_width_at(&t, size, &w) == 0; t.n++) {
		t.width = w;
		used = 0;
		for (i = 0; i < w; i++) {
			len = leaf(t.n * TILE_WIDTH + i, data, sizeof(data));
			if ((rc = tile_bundle_put(buf, sizeof(buf), &used,
			    (const uint8_t *)data, len)) != 0)
				die("bundle put", rc);
		}
		/* Read it back: each entry hashes to its stored leaf hash. */
		for (off = 0, i = 0; (rc = tile_bundle_next(buf, used, &off, &e,
		    &elen)) == 0; i++) {
			if ((rc = mt_leaf_hash(e, elen, &h)) != 0)
				die("leaf hash", rc);
			if (i >= w || memcmp(h.b, st.h[0][t.n * TILE_WIDTH +
			    i].b, MT_HASH_SIZE) != 0)
				die("bundle entry hash", PT_ECORRUPT);
		}
		if (rc != 1 || i != w)
			die("bundle iteration", rc < 0 ? rc : PT_ECORRUPT);
		if ((rc = tile_path_format(&t, path, sizeof(path))) != 0)
			die("bundle path", rc);
		printf("bundle %llu %s ", (unsigned long long)size, path);
		for (j = 0; j < used; j++) {
			snprintf(hex, sizeof(hex), "%02x", buf[j]);
			fputs(hex, stdout);
		}
		putchar('\n');
	}
}

int
main(void)
{
	static const uint64_t small[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16,
	    17, 100, 255, 256, 257, 511, 512, 513, 999, 1000 };
	static const uint64_t more_roots[] = { 4095, 4096, 4097, 65535, 65536,
	    65537, 69999, 70000 };
	static const uint64_t big[] = { 0, 1, 255, 256, 12345, 65535, 65536,
	    69998, 69999 };
	static const uint64_t tile_sizes[] = { 1, 2, 255, 256, 257, 1000,
	    65536, TOTAL };
	static const uint64_t bundle_sizes[] = { 1, 4, 256, 1000 };
	struct mt_stored out[64];
	struct mt_frontier f;
	struct mt_hash lh, h;
	char data[64];
	char hex[2 * MT_HASH_SIZE + 1];
	size_t c, k, len;
	uint64_t i, n, m;
	unsigned lv;
	int rc;

	for (lv = 0; lv < LEVELS; lv++)
		if ((st.h[lv] = calloc((TOTAL >> lv) + 1,
		    sizeof(struct mt_hash))) == NULL)
			die("calloc", PT_ENOMEM);
	mt_frontier_init(&f);
	mt_empty_root(&roots[0]);
	for (i = 0; i < TOTAL; i++) {
		len = leaf(i, data, sizeof(data));
		if ((rc = mt_leaf_hash(data, len, &lh)) != 0)
			die("leaf hash", rc);
		st.limit = i;
		if ((rc = mt_append(&rd, i, &lh, out, &c)) != 0)
			die("append", rc);
		for (k = 0; k < c; k++) {
			if (out[k].level >= LEVELS ||
			    out[k].n != st.count[out[k].level])
				die("append order", PT_ECORRUPT);
			st.h[out[k].level][out[k].n] = out[k].hash;
			st.count[out[k].level]++;
		}
		if ((rc = mt_frontier_push(&f, &lh)) != 0 ||
		    (rc = mt_frontier_root(&f, &roots[i + 1])) != 0)
			die("frontier", rc);
	}

	for (n = 1; n <= 1000 + sizeof(more_roots) / sizeof(more_roots[0]);
	    n++) {
		uint64_t size = n <= 1000 ? n : more_roots[n - 1001];

		st.limit = size;
		if ((rc = mt_root(&rd, size, &h)) != 0)
			die("root", rc);
		if (memcmp(h.b, roots[size].b, MT_HASH_SIZE) != 0)
			die("root differs from frontier root", PT_ECORRUPT);
		cr_hex_encode(h.b, MT_HASH_SIZE, hex);
		printf("root %llu %s\n", (unsigned long long)size, hex);
	}
	for (k = 0; k < sizeof(small) / sizeof(small[0]); k++) {
		n = small[k];
		for (i = 0; i < n; i++)
			incl(i, n);
		for (m = 1; m <= n; m++)
			cons(m, n);
	}
	for (k = 0; k < sizeof(big) / sizeof(big[0]); k++)
		incl(big[k], TOTAL);
	for (k = 1; k < sizeof(big) / sizeof(big[0]); k++) {
		cons(big[k], TOTAL);
		cons(big[k] + 1, TOTAL);
	}
	for (k = 0; k < sizeof(tile_sizes) / sizeof(tile_sizes[0]); k++)
		tiles(tile_sizes[k]);
	for (k = 0; k < sizeof(bundle_sizes) / sizeof(bundle_sizes[0]); k++)
		bundles(bundle_sizes[k]);
	for (lv = 0; lv < LEVELS; lv++)
		free(st.h[lv]);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("write", PT_EIO);
	return 0;
}
