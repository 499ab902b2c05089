/*
 * storebench.c: what the store's layout costs, per database, and how fast
 * the store appends and checks with nothing else in the way (no
 * signatures, no HTTP, no record encoding).  Moved out of the unit tests
 * (it was test_store's 100,000-entry measurement): a figure, not a test.
 *
 *   storebench --dir DIR [--n N] [--batch B]
 *
 * Creates the store in DIR (which must not exist), appends N entries
 * (default 100,000) of 300..599 bytes in batches of B (default 1,000),
 * the even ones by one submitter and the odd ones by another (two offices
 * interleaved: the ids index's less favourable case), each batch with a
 * short note; then runs the full check; then reads the page
 * counts of each database (LMDB's own statistics, read-only).
 *
 * Figures: store_append (entries/s, fsynced batches), store_check_full
 * (entries/s), store_overhead (bytes per entry in the databases beyond the
 * entry bytes), store_map_overhead (the same, counting the map up to its
 * last page: with the free pages of the last commits, a constant), and
 * store_db_<name> (bytes per entry of each database; entries includes the
 * entry bytes; hashes is the 61 hash/LL databases together).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mt.h"
#include "num.h"
#include "ptlimits.h"
#include "../daemon/store.h"

static const uint8_t sub_a[32] = { 0xa1, 0xa2, 0xa3 };
static const uint8_t sub_b[32] = { 0xb1, 0xb2, 0xb3 };

/* Entry i: a unique marker, then filler; 300 + (i * 7919) % 300 bytes. */
static size_t
make_entry(uint64_t i, uint8_t *buf)
{
	size_t len = 300 + (size_t)((i * 7919) % 300);
	int m;

	m = snprintf((char *)buf, 32, "ENTRY-%010llu-", (unsigned long long)i);
	for (size_t j = (size_t)m; j < len; j++)
		buf[j] = (uint8_t)(j * 31 + i * 17);
	return len;
}

static void
append_all(struct store *s, uint64_t n, uint64_t per, uint64_t *bytes)
{
	struct store_batch *b;
	struct mt_hash h;
	uint8_t e[1024];
	char id[32], note[512];
	size_t len, idlen;
	int rc, nlen;

	for (uint64_t start = 0, k = 0; start < n; start += per, k++) {
		uint64_t end = start + per < n ? start + per : n;

		if ((rc = store_batch_begin(s, &b)) != 0)
			bench_die("batch: %s", pt_strerror(rc));
		for (uint64_t i = start; i < end; i++) {
			len = make_entry(i, e);
			*bytes += len;
			idlen = (size_t)snprintf(id, sizeof(id), "pay-%llu",
			    (unsigned long long)i);
			if ((rc = mt_leaf_hash(e, len, &h)) != 0 ||
			    (rc = store_batch_append(b, e, len, &h,
			    i % 2 ? sub_b : sub_a, id, idlen, NULL)) != 0)
				bench_die("append %llu: %s",
				    (unsigned long long)i, pt_strerror(rc));
		}
		if ((rc = store_batch_root(b, &h)) != 0)
			bench_die("root: %s", pt_strerror(rc));
		/* Note-shaped (the store does not parse it); the unit
		 * tests' note, so that the figures compare with theirs. */
		nlen = snprintf(note, sizeof(note), "example.org/log\n%llu\n"
		    "ROOT=\n\n\xe2\x80\x94 example.org/log sig\n",
		    (unsigned long long)end);
		if ((rc = store_batch_set_checkpoint(b, note, (size_t)nlen,
		    k)) != 0 || (rc = store_batch_commit(b)) != 0)
			bench_die("commit: %s", pt_strerror(rc));
	}
}

/* Pages of one named database; *psize gets the page size. */
static uint64_t
db_pages(MDB_txn *txn, const char *name, unsigned *psize)
{
	MDB_dbi dbi;
	MDB_stat st;
	int rc;

	if ((rc = mdb_dbi_open(txn, name, 0, &dbi)) != 0 ||
	    (rc = mdb_stat(txn, dbi, &st)) != 0)
		bench_die("%s: %s", name, mdb_strerror(rc));
	*psize = st.ms_psize;
	return st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
}

/* The databases' pages, read-only through LMDB (the store is closed). */
static void
db_figures(const char *dir, uint64_t n, uint64_t bytes)
{
	static const char *names[] = { "entries", "leaves", "leaves/new",
	    "ids", "offices", "checkpoints", "meta" };
	MDB_env *env;
	MDB_txn *txn;
	unsigned psize = 4096;
	uint64_t total = 0, hashes = 0, p;
	char fig[64], name[16];
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 80)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
		bench_die("%s: %s", dir, mdb_strerror(rc));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = db_pages(txn, names[i], &psize);
		total += p;
		snprintf(fig, sizeof(fig), "store_db_%s", names[i]);
		for (char *c = fig; *c != '\0'; c++)
			if (*c == '/')
				*c = '_';
		bench_fig(fig, (double)(p * psize) / (double)n, "bytes/entry");
	}
	for (unsigned l = 0; l < 64; l = l == 0 ? 4 : l + 1) {
		snprintf(name, sizeof(name), "hash/%02u", l);
		hashes += db_pages(txn, name, &psize);
	}
	total += hashes;
	bench_fig("store_db_hashes", (double)(hashes * psize) / (double)n,
	    "bytes/entry");
	bench_fig("store_overhead", ((double)(total * psize) - (double)bytes) /
	    (double)n, "bytes/entry");
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

static void
progress(uint64_t done, uint64_t total, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "storebench: check %llu/%llu\n",
	    (unsigned long long)done, (unsigned long long)total);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "n", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_opts so = { 0, 0 };
	struct store_check res;
	struct pt_why why = { "" };
	struct store *s;
	const char *dir = NULL;
	uint64_t n = 100000, per = 1000, bytes = 0, used, size;
	double t0, t1, t2;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n':
			if (num_parse_u64_str(optarg, 1, PT_MAX_TREE_SIZE,
			    &n) != 0)
				bench_die("--n: 1..%llu",
				    (unsigned long long)PT_MAX_TREE_SIZE);
			break;
		case 'b':
			if (num_parse_u64_str(optarg, 1, PT_BATCH_MAX,
			    &per) != 0)
				bench_die("--batch: 1..%d", PT_BATCH_MAX);
			break;
		default:
			fprintf(stderr, "usage: storebench --dir DIR [--n N] "
			    "[--batch B]\n");
			return 2;
		}
	}
	if (dir == NULL)
		bench_die("--dir DIR is required");
	if (mkdir(dir, 0700) == -1)
		bench_die("%s: %s (must not exist)", dir, strerror(errno));
	if ((rc = store_open(dir, &so, &s, &why)) != 0)
		bench_die("store_open: %s", why.text);
	t0 = bench_now();
	append_all(s, n, per, &bytes);
	t1 = bench_now();
	if ((rc = store_check_full_report(s, &res, &why, progress,
	    NULL)) != 0)
		bench_die("check: %s", why.text[0] ? why.text :
		    pt_strerror(rc));
	t2 = bench_now();
	if ((rc = store_map_info(s, &used, &size)) != 0)
		bench_die("map: %s", pt_strerror(rc));
	store_close(s);
	fprintf(stderr, "storebench: %llu entries of 300..599 bytes (mean "
	    "%.1f), batches of %llu, two offices interleaved\n",
	    (unsigned long long)n, (double)bytes / (double)n,
	    (unsigned long long)per);
	bench_fig("store_append", (double)n / (t1 - t0), "entries/s");
	bench_fig("store_check_full", (double)n / (t2 - t1), "entries/s");
	db_figures(dir, n, bytes);
	bench_fig("store_map_overhead", ((double)used - (double)bytes) /
	    (double)n, "bytes/entry");
	return 0;
}
