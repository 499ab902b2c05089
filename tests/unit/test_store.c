/*
 * test_store.c: the LMDB store, with real LMDB in temporary directories
 * under /tmp (removed at the end of each test).  Roots are compared with
 * RFC 6962 known answers and with mt_root over an in-memory array of leaf
 * hashes; corruption is made by flipping bits in data.mdb after close.
 */
#define _GNU_SOURCE	/* unshare(CLONE_NEWNS) for the disk-full test */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "mt.h"
#include "ptlimits.h"
#include "pt.h"
#include "../../daemon/store.h"

/* ---- fixtures ---- */

/*
 * Each test works in its own directory under one base directory made by an
 * unchecked fixture (in the parent process), so the base is removed even
 * when a test fails or crashes in its forked child.
 */
static char base[64];
static char tdir[128];

/* Remove dir and the plain files in it (one level: stores hold no
 * subdirectories). */
static void
rm_flat(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == -1)
			rm_flat(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
base_setup(void)
{
	strcpy(base, "/tmp/pt_store_XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void
base_teardown(void)
{
	rm_flat(base);
}

static void
dir_make(void)
{
	snprintf(tdir, sizeof(tdir), "%s/t_XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tdir));
}

static void
dir_remove(void)
{
	rm_flat(tdir);
	tdir[0] = '\0';
}

static const uint8_t sub_a[32] = { 0xa1, 0xa2, 0xa3 };
static const uint8_t sub_b[32] = { 0xb1, 0xb2, 0xb3 };

/* Deterministic synthetic entry i: a unique marker, then filler. */
static size_t
make_entry(uint64_t i, uint8_t *buf, size_t minlen, size_t spread)
{
	size_t len = minlen + (spread ? (size_t)((i * 7919) % spread) : 0);
	int m;

	m = snprintf((char *)buf, 32, "ENTRY-%010llu-", (unsigned long long)i);
	for (size_t j = (size_t)m; j < len; j++)
		buf[j] = (uint8_t)(j * 31 + i * 17);
	return len;
}

static void
make_id(uint64_t i, char *id, size_t cap, size_t *len)
{
	*len = (size_t)snprintf(id, cap, "pay-%llu", (unsigned long long)i);
}

/* In-memory tree: leaf hashes, and a reader that recomputes any complete
 * subtree from them (O(2^level) per read). */
struct memtree {
	struct mt_hash *leaf;
	uint64_t n, cap;
};

static void
mem_push(struct memtree *m, const struct mt_hash *h)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->leaf = realloc(m->leaf, m->cap * sizeof(*m->leaf));
		ck_assert_ptr_nonnull(m->leaf);
	}
	m->leaf[m->n++] = *h;
}

static int
mem_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct memtree *m = ctx;
	struct mt_hash l, r;
	int rc;

	if (level == 0) {
		if (n >= m->n)
			return PT_ENOTFOUND;
		*out = m->leaf[n];
		return 0;
	}
	if ((rc = mem_read(ctx, level - 1, 2 * n, &l)) != 0 ||
	    (rc = mem_read(ctx, level - 1, 2 * n + 1, &r)) != 0)
		return rc;
	return mt_node_hash(&l, &r, out);
}

static void
mem_root(struct memtree *m, uint64_t size, struct mt_hash *root)
{
	struct mt_reader r = { mem_read, m };

	ck_assert_int_eq(mt_root(&r, size, root), 0);
}

static struct store *
open_ok(uint64_t map)
{
	/* 256 MiB unless told: valgrind cannot map the 64 GiB default. */
	struct store_opts o = { map ? map : 256ULL << 20, 0 };
	struct store *s;
	char why[256];
	int rc;

	rc = store_open(tdir, &o, &s, why, sizeof(why));
	ck_assert_msg(rc == 0, "store_open: %s: %s", pt_strerror(rc), why);
	return s;
}

static void
make_note(uint64_t size, char *note, size_t cap, size_t *len)
{
	*len = (size_t)snprintf(note, cap, "example.org/log\n%llu\n"
	    "ROOT=\n\n\xe2\x80\x94 example.org/log sig\n",
	    (unsigned long long)size);
}

/*
 * Append entries [start, start+count) in one batch with a checkpoint; keeps
 * m in step.  Returns the commit result (0 expected unless testing full).
 */
static int
append_batch(struct store *s, struct memtree *m, uint64_t start,
    uint64_t count, size_t minlen, size_t spread, uint64_t time_ms)
{
	struct store_batch *b;
	uint8_t e[PT_MAX_ENTRY];
	char id[64], note[256];
	size_t len, idlen, nlen;
	struct mt_hash h, root, want;
	uint64_t idx;
	int rc;

	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_uint_eq(store_batch_size(b), start);
	for (uint64_t i = start; i < start + count; i++) {
		len = make_entry(i, e, minlen, spread);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		rc = store_batch_append(b, e, len, &h, i % 2 ? sub_b : sub_a,
		    id, idlen, &idx);
		if (rc != 0) {
			ck_assert_int_eq(store_batch_append(b, e, len, &h,
			    sub_a, id, idlen, &idx), PT_EPOISONED);
			store_batch_abort(b);
			return rc;
		}
		ck_assert_uint_eq(idx, i);
	}
	ck_assert_uint_eq(store_batch_size(b), start + count);
	ck_assert_int_eq(store_batch_root(b, &root), 0);
	make_note(start + count, note, sizeof(note), &nlen);
	if ((rc = store_batch_set_checkpoint(b, note, nlen, time_ms)) != 0) {
		store_batch_abort(b);
		return rc;
	}
	rc = store_batch_commit(b);
	if (rc == 0 && m != NULL) {
		for (uint64_t i = start; i < start + count; i++) {
			len = make_entry(i, e, minlen, spread);
			ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
			mem_push(m, &h);
		}
		mem_root(m, start + count, &want);
		ck_assert_mem_eq(root.b, want.b, 32);
	}
	return rc;
}

/* Every root 1..size read back through a read txn equals the memory one. */
static void
check_roots(struct store *s, struct memtree *m, uint64_t step)
{
	struct store_txn *t;
	struct mt_reader r;
	struct mt_hash a, b;

	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_uint_eq(store_txn_size(t), m->n);
	store_txn_reader(t, &r);
	for (uint64_t n = 0; n <= m->n; n += step) {
		ck_assert_int_eq(mt_root(&r, n, &a), 0);
		mem_root(m, n, &b);
		ck_assert_mem_eq(a.b, b.b, 32);
	}
	ck_assert_int_eq(mt_root(&r, m->n, &a), 0);
	mem_root(m, m->n, &b);
	ck_assert_mem_eq(a.b, b.b, 32);
	store_read_end(t);
}

/* ---- known answers ---- */

/* RFC 6962 / certificate-transparency test leaves and roots for sizes 1..8
 * (the same vectors as golang.org/x/mod/sumdb/tlog and transparency-dev). */
START_TEST(rfc6962_roots)
{
	static const char *leaves[8] = { "", "\x00", "\x10", "\x20\x21",
	    "\x30\x31", "\x40\x41\x42\x43",
	    "\x50\x51\x52\x53\x54\x55\x56\x57",
	    "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f" };
	static const size_t lens[8] = { 0, 1, 1, 2, 2, 4, 8, 16 };
	static const char *roots[8] = {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct mt_reader r;
	struct mt_hash h, root, want;
	char id[16], note[256];
	size_t idlen, nlen;
	uint64_t idx;

	dir_make();
	s = open_ok(0);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(store_batch_begin(s, &b), 0);
		ck_assert_int_eq(mt_leaf_hash(leaves[i], lens[i], &h), 0);
		idlen = (size_t)snprintf(id, sizeof(id), "kat-%d", i);
		ck_assert_int_eq(store_batch_append(b, (const uint8_t *)
		    leaves[i], lens[i], &h, sub_a, id, idlen, &idx), 0);
		ck_assert_uint_eq(idx, (uint64_t)i);
		ck_assert_int_eq(store_batch_root(b, &root), 0);
		ck_assert_int_eq(cr_hex_decode(roots[i], 64, want.b, 32), 0);
		ck_assert_mem_eq(root.b, want.b, 32);
		make_note((uint64_t)i + 1, note, sizeof(note), &nlen);
		ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen,
		    1000 + (uint64_t)i), 0);
		ck_assert_int_eq(store_batch_commit(b), 0);
	}
	store_close(s);

	/* After reopening, every root is read back from disk. */
	s = open_ok(0);
	ck_assert_uint_eq(store_size(s), 8);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	store_txn_reader(t, &r);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(mt_root(&r, (uint64_t)i + 1, &root), 0);
		ck_assert_int_eq(cr_hex_decode(roots[i], 64, want.b, 32), 0);
		ck_assert_mem_eq(root.b, want.b, 32);
	}
	store_read_end(t);
	ck_assert_int_eq(store_check_full(s, &idx, NULL, 0, NULL, NULL), 0);
	ck_assert_uint_eq(idx, UINT64_MAX);
	store_close(s);
	dir_remove();
}
END_TEST

/* ---- format 2: offices, exact ids keys, leaf epochs ---- */

/* Run f on the store's LMDB environment directly (writable). */
static void
lmdb_edit(const char *dbname, const void *key, size_t klen, const void *val,
    size_t vlen, int del)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)(uintptr_t)key };
	MDB_val d = { vlen, (void *)(uintptr_t)val };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 80), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(env, 256ULL << 20), 0);
	ck_assert_int_eq(mdb_env_open(env, tdir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, dbname, 0, &dbi), 0);
	if (del)
		ck_assert_int_eq(mdb_del(txn, dbi, &k, NULL), 0);
	else
		ck_assert_int_eq(mdb_put(txn, dbi, &k, &d, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(offices_and_format)
{
	static const uint8_t sub_c[32] = { 0xc1 };
	static const uint8_t v1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t v2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t v4[8] = { 0, 0, 0, 0, 0, 0, 0, 4 };
	/* Office 0 (sub_a), id "pay-2": the key the store writes
	 * (office || id length || id). */
	static const uint8_t key02[] = { 0, 0, 0, 0, 5, 'p', 'a', 'y', '-',
	    '2' };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct store_check res;
	struct store_opts o = { 256ULL << 20, 0 };
	struct mt_hash h;
	uint8_t e[64];
	char why[512];
	uint64_t idx;
	size_t len;

	dir_make();
	s = open_ok(0);
	/* sub_a gets office 0 (index 0), sub_b office 1. */
	ck_assert_int_eq(append_batch(s, &m, 0, 20, 40, 10, 1), 0);
	/* Same id under a third submitter; ids that are prefixes of each
	 * other ("pay-1", "pay-10") under one office: all distinct. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	len = make_entry(1000, e, 40, 0);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_batch_find_id(b, sub_c, "pay-1", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-1", 5,
	    &idx), 0);
	ck_assert_uint_eq(idx, 20);
	ck_assert_int_eq(store_batch_find_id(b, sub_c, "pay-1", 5, &idx), 0);
	ck_assert_uint_eq(idx, 20);
	ck_assert_int_eq(store_batch_find_id(b, sub_c, "pay-10", 6, &idx),
	    PT_ENOTFOUND);
	/* The same entry bytes again (another id): find_leaf answers the
	 * lowest index. */
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-10", 6,
	    &idx), 0);
	ck_assert_uint_eq(idx, 21);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-1", 5,
	    &idx), PT_ECONFLICT);
	store_batch_abort(b);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-1", 5,
	    &idx), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_c, "pay-10", 6,
	    &idx), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, "n\n22\n", 5, 2), 0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_find_id(t, sub_a, "pay-1", 5, &idx),
	    PT_ENOTFOUND);	/* pay-1 was sub_b's */
	ck_assert_int_eq(store_find_id(t, sub_b, "pay-1", 5, &idx), 0);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(store_find_id(t, sub_c, "pay-1", 5, &idx), 0);
	ck_assert_uint_eq(idx, 20);
	ck_assert_int_eq(store_find_id(t, sub_c, "pay-10", 6, &idx), 0);
	ck_assert_uint_eq(idx, 21);
	ck_assert_int_eq(store_find_id(t, sub_c, "pay-2", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), 0);
	ck_assert_uint_eq(idx, 20);
	store_read_end(t);
	ck_assert_int_eq(store_check_full_report(s, &res, why, sizeof(why),
	    NULL, NULL), 0);
	store_close(s);

	/* The ids key layout is exact: sub_a's "pay-2" names entry 2.
	 * Make it name entry 4 (counts unchanged): only the full check
	 * sees it, as two ids records for entry 4. */
	lmdb_edit("ids", key02, sizeof(key02), v4, 8, 0);
	s = open_ok(0);
	ck_assert_int_eq(store_check_full_report(s, &res, why, sizeof(why),
	    NULL, NULL), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_INDEX);
	ck_assert_uint_eq(res.index, 4);
	ck_assert_msg(strstr(why, "two ids records name entry 4") != NULL,
	    "%s", why);
	store_close(s);
	lmdb_edit("ids", key02, sizeof(key02), v2, 8, 0);
	s = open_ok(0);
	ck_assert_int_eq(store_check_full_report(s, &res, why, sizeof(why),
	    NULL, NULL), 0);
	store_close(s);
	/* An extra ids record: the open-time counts disagree. */
	lmdb_edit("ids", "\0\0\0\7\1x", 6, v1, 8, 0);
	ck_assert_int_eq(store_open(tdir, &o, &s, why, sizeof(why)),
	    PT_ECORRUPT);
	ck_assert_msg(strstr(why, "ids holds 23 records") != NULL, "%s", why);
	lmdb_edit("ids", "\0\0\0\7\1x", 6, NULL, 0, 1);
	/* Another format version is refused, with the reason. */
	lmdb_edit("meta", "version", 7, v1, 8, 0);
	ck_assert_int_eq(store_open(tdir, &o, &s, why, sizeof(why)),
	    PT_ECORRUPT);
	ck_assert_msg(strstr(why, "store format 1, this program reads only "
	    "format 3") != NULL, "%s", why);
	o.readonly = 1;
	ck_assert_int_eq(store_open(tdir, &o, &s, why, sizeof(why)),
	    PT_ECORRUPT);
	ck_assert_msg(strstr(why, "store format 1") != NULL, "%s", why);
	dir_remove();
	free(m.leaf);
}
END_TEST

/* ---- the upper levels (12 and above), kept in memory ---- */

/* Hashes (level, 0 .. size >> level) of levels 12 and 13 through a read
 * txn equal the memory tree's. */
static void
check_upper(struct store *s, struct memtree *m)
{
	struct store_txn *t;
	struct mt_hash got, want;

	ck_assert_int_eq(store_read_begin(s, &t), 0);
	for (unsigned l = 12; l <= 13; l++) {
		for (uint64_t n = 0; n < (m->n >> l); n++) {
			ck_assert_int_eq(store_get_hashes(t, l, n, 1, &got), 0);
			ck_assert_int_eq(mem_read(m, l, n, &want), 0);
			ck_assert_mem_eq(got.b, want.b, 32);
		}
		ck_assert_int_eq(store_get_hashes(t, l, m->n >> l, 1, &got),
		    PT_ENOTFOUND);
	}
	store_read_end(t);
}

START_TEST(upper_levels)
{
	/* Batches that end exactly on, just before and just after the
	 * 4096-entry boundaries, up to 3 x 4096 + 5 entries; an aborted
	 * batch across a boundary must leave nothing behind in memory. */
	static const uint64_t batches[] = { 4095, 1, 4096, 1000, 3096, 5 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	uint64_t start = 0;

	dir_make();
	s = open_ok(0);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		ck_assert_int_eq(append_batch(s, &m, start, batches[i], 20, 40,
		    100 + i), 0);
		start += batches[i];
		check_upper(s, &m);
		if (i == 2) {
			/* Appends across the next boundary, then abort. */
			uint8_t e[64];
			char id[64];
			size_t len, idlen;
			struct mt_hash h;

			ck_assert_int_eq(store_batch_begin(s, &b), 0);
			for (uint64_t j = start; j < start + 4096; j++) {
				len = make_entry(j + 1000000, e, 20, 40);
				make_id(j + 1000000, id, sizeof(id), &idlen);
				ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
				ck_assert_int_eq(store_batch_append(b, e, len,
				    &h, sub_a, id, idlen, NULL), 0);
			}
			store_batch_abort(b);
			check_upper(s, &m);
		}
	}
	ck_assert_uint_eq(start, 3 * 4096 + 5);
	check_roots(s, &m, 509);
	store_close(s);
	/* Loaded again from LMDB at open. */
	s = open_ok(0);
	check_upper(s, &m);
	check_roots(s, &m, 509);
	store_close(s);
	dir_remove();
	free(m.leaf);
}
END_TEST

/* ---- appends, reopen, lookups, tiles ---- */

START_TEST(append_reopen_lookups)
{
	static const uint64_t batches[] = { 1, 15, 16, 17, 100, 300, 1, 62 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct mt_reader rd0;
	struct mt_hash h, tile[256], want;
	uint8_t e[1024];
	char id[64], why[256];
	const char *note;
	const uint8_t *data;
	size_t len, idlen, nlen;
	uint64_t start = 0, idx, size, tms;

	dir_make();
	s = open_ok(0);
	ck_assert_uint_eq(store_size(s), 0);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		ck_assert_int_eq(append_batch(s, &m, start, batches[i], 40, 200,
		    5000 + i), 0);
		start += batches[i];
		ck_assert_uint_eq(store_size(s), start);
		check_roots(s, &m, 37);
	}
	store_close(s);

	s = open_ok(0);
	ck_assert_uint_eq(store_size(s), start);
	ck_assert_uint_eq(start, 512);
	check_roots(s, &m, 1);

	ck_assert_int_eq(store_read_begin(s, &t), 0);
	for (uint64_t i = 0; i < start; i++) {
		size_t want_len = make_entry(i, e, 40, 200);

		ck_assert_int_eq(store_get_entry(t, i, &data, &len), 0);
		ck_assert_uint_eq(len, want_len);
		ck_assert_mem_eq(data, e, len);
		ck_assert_int_eq(store_find_leaf(t, &m.leaf[i], &idx), 0);
		ck_assert_uint_eq(idx, i);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(store_find_id(t, i % 2 ? sub_b : sub_a, id,
		    idlen, &idx), 0);
		ck_assert_uint_eq(idx, i);
		/* the other submitter never used this id */
		ck_assert_int_eq(store_find_id(t, i % 2 ? sub_a : sub_b, id,
		    idlen, &idx), PT_ENOTFOUND);
	}
	ck_assert_int_eq(store_get_entry(t, start, &data, &len), PT_ENOTFOUND);
	/* Ranges: whole bundles, a partial one at the end, past the end. */
	{
		const uint8_t *rd[STORE_RANGE_MAX];
		size_t rl[STORE_RANGE_MAX];
		static const uint64_t from[] = { 0, 256, 300, 511 };
		static const unsigned cnt[] = { 256, 256, 212, 1 };

		for (unsigned j = 0; j < 4; j++) {
			ck_assert_int_eq(store_get_entries(t, from[j], cnt[j],
			    rd, rl), 0);
			for (unsigned i = 0; i < cnt[j]; i++) {
				size_t wl = make_entry(from[j] + i, e, 40, 200);

				ck_assert_uint_eq(rl[i], wl);
				ck_assert_mem_eq(rd[i], e, wl);
			}
		}
		ck_assert_int_eq(store_get_entries(t, 300, 213, rd, rl),
		    PT_ENOTFOUND);
		ck_assert_int_eq(store_get_entries(t, 512, 1, rd, rl),
		    PT_ENOTFOUND);
		ck_assert_int_eq(store_get_entries(t, 0, 0, rd, rl), PT_EINVAL);
		ck_assert_int_eq(store_get_entries(t, 0, STORE_RANGE_MAX + 1,
		    rd, rl), PT_EINVAL);
	}
	memset(h.b, 0x55, 32);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	/* same 8-byte prefix as a real leaf, different hash: not found */
	h = m.leaf[77];
	h.b[31] ^= 1;
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	ck_assert_int_eq(store_find_id(t, sub_a, "nope", 4, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_find_id(t, sub_a, "x", 0, &idx), PT_EINVAL);

	/* Hash tiles: level 0 tiles 0 and 1 (full), level 8 tile 0 (width 2),
	 * and a partial read from the middle of a group. */
	ck_assert_int_eq(store_get_hashes(t, 0, 0, 256, tile), 0);
	ck_assert_mem_eq(tile, m.leaf, 256 * sizeof(struct mt_hash));
	ck_assert_int_eq(store_get_hashes(t, 0, 256, 256, tile), 0);
	ck_assert_mem_eq(tile, m.leaf + 256, 256 * sizeof(struct mt_hash));
	ck_assert_int_eq(store_get_hashes(t, 8, 0, 2, tile), 0);
	for (uint64_t n = 0; n < 2; n++) {
		ck_assert_int_eq(mem_read(&m, 8, n, &want), 0);
		ck_assert_mem_eq(tile[n].b, want.b, 32);
	}
	ck_assert_int_eq(store_get_hashes(t, 3, 5, 50, tile), 0);
	for (uint64_t n = 0; n < 50; n++) {
		ck_assert_int_eq(mem_read(&m, 3, 5 + n, &want), 0);
		ck_assert_mem_eq(tile[n].b, want.b, 32);
	}
	/* Every complete subtree hash, stored levels (0, 4 ..) and the
	 * levels hashed up from them, one at a time and as ranges; and
	 * through the proof reader, which reads levels 1..3 and 5..7 from
	 * the level-0 and level-4 groups (hash_read_db). */
	store_txn_reader(t, &rd0);
	for (unsigned l = 0; l <= 9; l++) {
		uint64_t cnt = start >> l;

		for (uint64_t n = 0; n < cnt; n++) {
			ck_assert_int_eq(store_get_hashes(t, l, n, 1, tile), 0);
			ck_assert_int_eq(mem_read(&m, l, n, &want), 0);
			ck_assert_msg(memcmp(tile[0].b, want.b, 32) == 0,
			    "hash (%u,%llu)", l, (unsigned long long)n);
			ck_assert_int_eq(rd0.read(rd0.ctx, l, n, &tile[1]), 0);
			ck_assert_msg(memcmp(tile[1].b, want.b, 32) == 0,
			    "reader: hash (%u,%llu)", l, (unsigned long long)n);
		}
		ck_assert_int_eq(store_get_hashes(t, l, cnt, 1, tile),
		    PT_ENOTFOUND);
		if (cnt > 2) {
			ck_assert_int_eq(store_get_hashes(t, l, 1,
			    (unsigned)(cnt - 1 > 256 ? 256 : cnt - 1), tile),
			    0);
			ck_assert_int_eq(mem_read(&m, l, cnt - 1 > 256 ? 256 :
			    cnt - 1, &want), 0);
			ck_assert_mem_eq(tile[(cnt - 1 > 256 ? 256 : cnt - 1) -
			    1].b, want.b, 32);
		}
	}
	ck_assert_int_eq(store_get_hashes(t, 9, 0, 1, tile), 0);
	ck_assert_int_eq(store_get_hashes(t, 8, 0, 3, tile), PT_ENOTFOUND);
	ck_assert_int_eq(store_get_hashes(t, 0, 500, 13, tile), PT_ENOTFOUND);
	ck_assert_int_eq(store_get_hashes(t, 10, 0, 1, tile), PT_ENOTFOUND);
	ck_assert_int_eq(store_get_hashes(t, 64, 0, 1, tile), PT_EINVAL);

	/* Checkpoints: latest and by size. */
	ck_assert_int_eq(store_latest_checkpoint(t, &note, &nlen, &size, &tms),
	    0);
	ck_assert_uint_eq(size, start);
	ck_assert_uint_eq(tms, 5007);
	snprintf(why, sizeof(why), "example.org/log\n%llu\n",
	    (unsigned long long)start);
	ck_assert_int_eq(strncmp(note, why, strlen(why)), 0);
	ck_assert_int_eq(store_checkpoint_at(t, 32, &note, &nlen), 0);
	ck_assert_int_eq(strncmp(note, "example.org/log\n32\n", 19), 0);
	ck_assert_int_eq(store_checkpoint_at(t, 33, &note, &nlen),
	    PT_ENOTFOUND);
	store_read_end(t);

	/* Inside a batch: own writes are visible to find_id and the reader;
	 * a committed read txn does not see them. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	make_id(5, id, sizeof(id), &idlen);
	ck_assert_int_eq(store_batch_find_id(b, sub_b, id, idlen, &idx), 0);
	ck_assert_uint_eq(idx, 5);
	len = make_entry(start, e, 40, 200);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "fresh", 5, &idx),
	    PT_ENOTFOUND);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "fresh", 5,
	    &idx), 0);
	ck_assert_uint_eq(idx, start);
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "fresh", 5, &idx), 0);
	ck_assert_uint_eq(idx, start);
	{
		struct mt_reader r;

		store_batch_reader(b, &r);
		ck_assert_int_eq(r.read(r.ctx, 0, start, &want), 0);
		ck_assert_mem_eq(want.b, h.b, 32);
	}
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_uint_eq(store_txn_size(t), start);
	ck_assert_int_eq(store_find_id(t, sub_a, "fresh", 5, &idx),
	    PT_ENOTFOUND);
	store_read_end(t);
	store_batch_abort(b);
	ck_assert_uint_eq(store_size(s), start);
	ck_assert_int_eq(store_check_full(s, &idx, why, sizeof(why), NULL,
	    NULL), 0);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

/* ---- the checkpoint copy ---- */

START_TEST(checkpoint_copy)
{
	struct store *s;
	struct store_txn *t;
	char *copy, path[256];
	const char *note;
	size_t len, nlen;
	int fd;

	dir_make();
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len),
	    PT_ENOTFOUND);
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 0, 10, 50, 0, 1), 0);
	ck_assert_int_eq(append_batch(s, NULL, 10, 3, 50, 0, 2), 0);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_latest_checkpoint(t, &note, &nlen, NULL, NULL),
	    0);
	ck_assert_uint_eq(len, nlen);
	ck_assert_mem_eq(copy, note, len);
	ck_assert_int_eq(copy[len], '\0');
	store_read_end(t);
	free(copy);
	snprintf(path, sizeof(path), "%s/checkpoint.tmp", tdir);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* A lost copy is rewritten from the store. */
	snprintf(path, sizeof(path), "%s/checkpoint", tdir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(store_sync_checkpoint_copy(s), 0);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_int_eq(strncmp(copy, "example.org/log\n13\n", 19), 0);
	free(copy);
	store_close(s);

	/* Two slots written in turn: a torn newest slot falls back to the
	 * older one; no valid slot, or an empty file, is refused. */
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 13, 2, 50, 0, 3), 0);
	store_close(s);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_int_eq(strncmp(copy, "example.org/log\n15\n", 19), 0);
	free(copy);
	snprintf(path, sizeof(path), "%s/checkpoint", tdir);
	for (int slot = 0; slot < 2; slot++) {
		uint8_t b[2048];
		int newest = -1;

		fd = open(path, O_RDWR);
		ck_assert_int_ge(fd, 0);
		/* Flip a byte in the note of the slot holding size 15 (first
		 * pass) and then of the other. */
		for (int k = 0; k < 2; k++) {
			ck_assert_int_eq(pread(fd, b, sizeof(b), k * 20480),
			    (ssize_t)sizeof(b));
			if (memmem(b, sizeof(b), "log\n15\n", 7) != NULL)
				newest = k;
		}
		if (slot == 1)
			newest = newest < 0 ? 1 : 1 - newest;
		ck_assert_int_ge(newest, 0);
		ck_assert_int_eq(pread(fd, b, 1, newest * 20480 + 60), 1);
		b[0] ^= 0x20;
		ck_assert_int_eq(pwrite(fd, b, 1, newest * 20480 + 60), 1);
		close(fd);
		if (slot == 0) {
			ck_assert_int_eq(store_read_checkpoint_copy(tdir,
			    &copy, &len), 0);
			ck_assert_int_eq(strncmp(copy, "example.org/log\n13\n",
			    19), 0);
			free(copy);
		}
	}
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len),
	    PT_EMALFORMED);
	ck_assert_ptr_null(copy);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len),
	    PT_EMALFORMED);
	dir_remove();
}
END_TEST

/* ---- one writer ---- */

START_TEST(exclusive_lock)
{
	struct store *s, *s2;
	struct store_opts ro = { 0, 1 };
	struct store_txn *t;
	char why[512], pid[32];
	int status;
	pid_t child;

	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 0, 5, 30, 0, 1), 0);

	/* Same process: refused before LMDB sees the directory twice. */
	ck_assert_int_eq(store_open(tdir, NULL, &s2, why, sizeof(why)),
	    PT_EBUSY);
	ck_assert_ptr_null(s2);
	ck_assert_ptr_nonnull(strstr(why, tdir));
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	ck_assert_msg(strstr(why, pid) != NULL, "%s", why);

	/* Another process: PT_EBUSY naming the directory and our PID. */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct store *c;
		char cwhy[512];
		int rc = store_open(tdir, NULL, &c, cwhy, sizeof(cwhy));

		_exit(rc == PT_EBUSY && strstr(cwhy, tdir) != NULL &&
		    strstr(cwhy, pid) != NULL ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* Read-only opens take no lock and cannot write. */
	ck_assert_int_eq(store_open(tdir, &ro, &s2, why, sizeof(why)), 0);
	ck_assert_uint_eq(store_size(s2), 5);
	ck_assert_int_eq(store_read_begin(s2, &t), 0);
	ck_assert_uint_eq(store_txn_size(t), 5);
	store_read_end(t);
	{
		struct store_batch *b;

		ck_assert_int_eq(store_batch_begin(s2, &b), PT_EINVAL);
	}
	store_close(s2);

	/* Released on close. */
	store_close(s);
	s = open_ok(0);
	ck_assert_uint_eq(store_size(s), 5);
	store_close(s);
	dir_remove();

	/* Read-only on a store that does not exist. */
	dir_make();
	ck_assert_int_ne(store_open(tdir, &ro, &s2, why, sizeof(why)), 0);
	dir_remove();
}
END_TEST

/* ---- map full ---- */

START_TEST(map_full)
{
	struct memtree m = { 0 };
	struct store *s;
	struct store_txn *t;
	uint64_t start = 0, idx, used, size;
	char why[256];
	int rc = 0, tries;

	dir_make();
	s = open_ok(1 << 20);
	for (tries = 0; tries < 1000; tries++) {
		rc = append_batch(s, &m, start, 20, 1500, 0, 10 + tries);
		if (rc != 0)
			break;
		start += 20;
	}
	ck_assert_int_eq(rc, PT_EFULL);
	ck_assert_uint_gt(start, 0);

	/* Nothing half-written; reads keep working. */
	ck_assert_uint_eq(store_size(s), start);
	check_roots(s, &m, 7);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_find_leaf(t, &m.leaf[start - 1], &idx), 0);
	ck_assert_uint_eq(idx, start - 1);
	store_read_end(t);
	ck_assert_int_eq(store_check_full(s, &idx, why, sizeof(why), NULL,
	    NULL), 0);

	/* Grow (no txn open), then the same batch goes in. */
	ck_assert_int_eq(store_map_info(s, &used, &size), 0);
	ck_assert_uint_eq(size, 1 << 20);
	ck_assert_int_eq(store_grow(s, 512 << 10), PT_EINVAL);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_int_eq(store_grow(s, 4 << 20), PT_EBUSY);
	store_read_end(t);
	ck_assert_int_eq(store_grow(s, 4 << 20), 0);
	ck_assert_int_eq(append_batch(s, &m, start, 20, 1500, 0, 5000), 0);
	start += 20;
	check_roots(s, &m, 7);
	store_close(s);

	s = open_ok(4 << 20);
	ck_assert_uint_eq(store_size(s), start);
	ck_assert_int_eq(store_check_full(s, &idx, why, sizeof(why), NULL,
	    NULL), 0);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

/*
 * Disk full, for real: a forked child makes a private mount namespace, puts
 * an 8 MiB tmpfs under the test directory, fills half of it, and appends
 * until the disk is full.  LMDB 0.9.24 reports the short write as EIO; the
 * store must still answer PT_EFULL, keep the last commit intact and
 * readable, and take the same batch once room is made.  Skipped (with a
 * note) where mount namespaces are not allowed.  Exit codes name the step.
 */
static int
disk_full_child(void)
{
	char mnt[256], store[300], filler[300], why[256];
	struct store_opts o = { 256ULL << 20, 0 };
	struct store *s;
	static uint8_t zero[1 << 20];
	uint64_t start = 0, bad;
	int fd, rc = 0;

	snprintf(mnt, sizeof(mnt), "%s/mnt", tdir);
	snprintf(store, sizeof(store), "%s/store", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	if (mkdir(mnt, 0700) == -1 || unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=8m") == -1)
		return 77;
	if ((fd = open(filler, O_WRONLY | O_CREAT, 0600)) == -1)
		return 2;
	for (int i = 0; i < 4; i++)
		if (write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero))
			return 3;
	close(fd);
	if (store_open(store, &o, &s, why, sizeof(why)) != 0)
		return 4;
	for (int k = 0; k < 10000; k++) {
		if ((rc = append_batch(s, NULL, start, 20, 2000, 0,
		    (uint64_t)k)) != 0)
			break;
		start += 20;
	}
	if (rc != PT_EFULL || start == 0)
		return 5;
	if (store_size(s) != start ||
	    store_check_full(s, &bad, why, sizeof(why), NULL, NULL) != 0)
		return 6;
	unlink(filler);
	if (append_batch(s, NULL, start, 20, 2000, 0, 100000) != 0)
		return 7;
	if (store_size(s) != start + 20 ||
	    store_check_full(s, &bad, why, sizeof(why), NULL, NULL) != 0)
		return 8;
	store_close(s);
	umount(mnt);
	return 0;
}

START_TEST(disk_full)
{
	int status;
	pid_t child;

	dir_make();
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(disk_full_child());
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		printf("store: disk_full skipped (no mount namespace)\n");
	else
		ck_assert_msg(WEXITSTATUS(status) == 0, "disk_full step %d",
		    WEXITSTATUS(status));
	dir_remove();
}
END_TEST

/* ---- poisoned batches and refused operations ---- */

START_TEST(poisoned_batch)
{
	struct store *s;
	struct store_batch *b, *b2;
	struct mt_hash h, root;
	uint8_t e[64];
	char note[128];
	size_t len, nlen;
	uint64_t idx;

	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 0, 3, 20, 0, 100), 0);

	/* A wrong leaf hash: refused, poisoned until aborted. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_begin(s, &b2), PT_EBUSY);
	len = make_entry(3, e, 20, 0);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "a", 1,
	    &idx), 0);
	len = make_entry(4, e, 20, 0);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	h.b[7] ^= 0x10;
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "b", 1,
	    &idx), PT_ECORRUPT);
	h.b[7] ^= 0x10;
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "b", 1,
	    &idx), PT_EPOISONED);
	ck_assert_int_eq(store_batch_find_id(b, sub_a, "a", 1, &idx),
	    PT_EPOISONED);
	ck_assert_int_eq(store_batch_root(b, &root), PT_EPOISONED);
	make_note(5, note, sizeof(note), &nlen);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen, 200),
	    PT_EPOISONED);
	ck_assert_int_eq(store_batch_commit(b), PT_EPOISONED);
	ck_assert_uint_eq(store_size(s), 3);

	/* Duplicate id (committed, then within the batch): conflict. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_b, "pay-1", 5,
	    &idx), PT_ECONFLICT);
	store_batch_abort(b);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "dup", 3,
	    &idx), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "dup", 3,
	    &idx), PT_ECONFLICT);
	store_batch_abort(b);

	/* Entries without a checkpoint are not committed. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "c", 1,
	    &idx), 0);
	ck_assert_int_eq(store_batch_commit(b), PT_EINVAL);
	ck_assert_uint_eq(store_size(s), 3);

	/* Time never goes backwards; nothing is appended after signing. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "c", 1,
	    &idx), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen, 99),
	    PT_ETIME);
	store_batch_abort(b);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, nlen, 100), 0);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "c", 1,
	    &idx), PT_EINVAL);
	store_batch_abort(b);
	/* Bad arguments poison too. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_append(b, e, PT_MAX_ENTRY + 1, &h, sub_a,
	    "c", 1, &idx), PT_EINVAL);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, "c", 1,
	    &idx), PT_EPOISONED);
	store_batch_abort(b);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, note, 0, 100),
	    PT_EINVAL);
	store_batch_abort(b);

	/* A re-signed checkpoint at the same size (e.g. cosigned) replaces
	 * the stored one; the store still works normally afterwards. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, "cosigned\n", 9, 100),
	    0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	{
		struct store_txn *t;
		const char *n;
		size_t nl;
		uint64_t sz;

		ck_assert_int_eq(store_read_begin(s, &t), 0);
		ck_assert_int_eq(store_latest_checkpoint(t, &n, &nl, &sz,
		    NULL), 0);
		ck_assert_uint_eq(sz, 3);
		ck_assert_uint_eq(nl, 9);
		ck_assert_mem_eq(n, "cosigned\n", 9);
		store_read_end(t);
	}
	ck_assert_int_eq(append_batch(s, NULL, 3, 4, 20, 0, 300), 0);
	ck_assert_uint_eq(store_size(s), 7);
	ck_assert_int_eq(store_check_full(s, &idx, NULL, 0, NULL, NULL), 0);
	store_close(s);
	dir_remove();
}
END_TEST

/* ---- full check: flipped bits in data.mdb ---- */

/* Flip bit 0 of byte off in every occurrence of pat (len bytes) in
 * DIR/data.mdb; returns the number of occurrences. */
static int
flip_in_file(const uint8_t *pat, size_t plen, size_t off)
{
	char path[256];
	struct stat st;
	uint8_t *buf;
	int fd, hits = 0;

	snprintf(path, sizeof(path), "%s/data.mdb", tdir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	for (size_t i = 0; i + plen <= (size_t)st.st_size; i++)
		if (memcmp(buf + i, pat, plen) == 0) {
			buf[i + off] ^= 1;
			ck_assert_int_eq(pwrite(fd, buf + i + off, 1,
			    (off_t)(i + off)), 1);
			hits++;
		}
	fsync(fd);
	close(fd);
	free(buf);
	return hits;
}

static int
check_report(struct store_check *res, char *why, size_t whylen)
{
	struct store *s = open_ok(0);
	int rc;

	rc = store_check_full_report(s, res, why, whylen, NULL, NULL);
	store_close(s);
	return rc;
}

START_TEST(check_full_detects)
{
	struct memtree m = { 0 };
	struct store *s;
	struct store_check res;
	struct mt_hash h1, want;
	uint8_t e[512];
	char why[512];
	size_t len;
	uint64_t start = 0;

	dir_make();
	s = open_ok(0);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(append_batch(s, &m, start, 50, 60, 100,
		    (uint64_t)i), 0);
		start += 50;
	}
	store_close(s);

	ck_assert_int_eq(check_report(&res, why, sizeof(why)), 0);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_NONE);
	ck_assert_uint_eq(res.size, 300);
	mem_root(&m, 300, &want);
	ck_assert_mem_eq(res.root.b, want.b, 32);

	/* One bit of entry 137's bytes (after its marker). */
	len = make_entry(137, e, 60, 100);
	ck_assert_int_ge(flip_in_file(e, 24, 20), 1);
	ck_assert_int_eq(check_report(&res, why, sizeof(why)), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_ENTRY);
	ck_assert_uint_eq(res.index, 137);
	ck_assert_msg(strstr(why, "entry 137") != NULL, "%s", why);
	ck_assert_msg(strstr(why, "entry bytes are damaged") != NULL, "%s",
	    why);
	e[20] ^= 1;
	ck_assert_int_ge(flip_in_file(e, 24, 20), 1);	/* undo */
	ck_assert_int_eq(check_report(&res, why, sizeof(why)), 0);
	(void)len;

	/* Level 1 is not stored (hashed up from level 0 when read). */
	ck_assert_int_eq(mem_read(&m, 1, 40, &h1), 0);
	ck_assert_int_eq(flip_in_file(h1.b, 32, 20), 0);
	/* One bit of the stored hash (4, 5), which covers leaves 80 .. 95. */
	ck_assert_int_eq(mem_read(&m, 4, 5, &h1), 0);
	ck_assert_int_ge(flip_in_file(h1.b, 32, 20), 1);
	ck_assert_int_eq(check_report(&res, why, sizeof(why)), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_HASH);
	ck_assert_uint_eq(res.level, 4);
	ck_assert_uint_eq(res.n, 5);
	ck_assert_uint_eq(res.index, 80);
	ck_assert_msg(strstr(why, "(4,5)") != NULL, "%s", why);
	h1.b[20] ^= 1;
	ck_assert_int_ge(flip_in_file(h1.b, 32, 20), 1);
	ck_assert_int_eq(check_report(&res, why, sizeof(why)), 0);

	/* One bit of the stored leaf hash (0, 200), past the indexed prefix. */
	h1 = m.leaf[200];
	ck_assert_int_ge(flip_in_file(h1.b, 32, 20), 1);
	ck_assert_int_eq(check_report(&res, why, sizeof(why)), PT_ECORRUPT);
	ck_assert_int_eq(res.bad_kind, STORE_BAD_HASH);
	ck_assert_uint_eq(res.level, 0);
	ck_assert_uint_eq(res.n, 200);
	ck_assert_uint_eq(res.index, 200);
	ck_assert_msg(strstr(why, "stored hash is damaged") != NULL, "%s",
	    why);
	/* Reads that use it see the damage: the root no longer matches. */
	{
		struct store_txn *t;
		struct mt_reader r;
		struct mt_hash root;

		s = open_ok(0);
		ck_assert_int_eq(store_read_begin(s, &t), 0);
		store_txn_reader(t, &r);
		ck_assert_int_eq(mt_root(&r, 201, &root), 0);
		mem_root(&m, 201, &want);
		ck_assert_int_ne(memcmp(root.b, want.b, 32), 0);
		store_read_end(t);
		store_close(s);
	}
	free(m.leaf);
	dir_remove();
}
END_TEST

/* ---- stale readers ---- */

START_TEST(stale_reader_cleared)
{
	struct store *s;
	int p[2], dead = -1, status;
	char c;
	pid_t child;

	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 0, 4, 30, 0, 1), 0);
	ck_assert_int_eq(store_reader_check(s, &dead), 0);
	ck_assert_int_eq(dead, 0);
	ck_assert_int_eq(pipe(p), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* A read-only tool with a read txn open, killed mid-read. */
		struct store_opts ro = { 0, 1 };
		struct store *rs;
		struct store_txn *t;

		close(p[0]);
		if (store_open(tdir, &ro, &rs, NULL, 0) != 0 ||
		    store_read_begin(rs, &t) != 0)
			_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(store_reader_check(s, &dead), 0);
	ck_assert_int_eq(dead, 1);
	ck_assert_int_eq(store_reader_check(s, &dead), 0);
	ck_assert_int_eq(dead, 0);
	ck_assert_int_eq(append_batch(s, NULL, 4, 4, 30, 0, 2), 0);
	store_close(s);
	dir_remove();
}
END_TEST

/* ---- storage cost per entry (printed, not asserted) ---- */

static void
progress_count(uint64_t done, uint64_t total, void *ctx)
{
	uint64_t *calls = ctx;

	ck_assert_uint_le(done, total);
	(*calls)++;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The batch that completes a leaves epoch moves it into leaves; aborted,
 * nothing moved; committed after a reopen, every leaf is found. */
START_TEST(leaves_epoch_move)
{
	static const uint64_t probe[] = { 0, 4095, 4096, 40000, 65529, 65530,
	    65535, 65536, 65539 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct mt_hash h;
	uint8_t e[64];
	char id[64], why[256];
	size_t len, idlen;
	uint64_t idx, start = 0;

	dir_make();
	s = open_ok(0);
	for (; start < 65530; start += 6553)
		ck_assert_int_eq(append_batch(s, NULL, start, 6553, 24, 16,
		    start + 1), 0);
	/* Across the epoch's end, then abort. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	for (uint64_t i = start; i < start + 10; i++) {
		len = make_entry(i, e, 24, 16);
		make_id(i, id, sizeof(id), &idlen);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, id,
		    idlen, NULL), 0);
	}
	store_batch_abort(b);
	store_close(s);
	s = open_ok(0);		/* the open-time counts agree */
	ck_assert_uint_eq(store_size(s), 65530);
	ck_assert_int_eq(append_batch(s, NULL, start, 10, 24, 16, 70000), 0);
	store_close(s);
	s = open_ok(0);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	for (unsigned j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
		len = make_entry(probe[j], e, 24, 16);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_find_leaf(t, &h, &idx), 0);
		ck_assert_uint_eq(idx, probe[j]);
	}
	len = make_entry(65540, e, 24, 16);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
	store_read_end(t);
	ck_assert_int_eq(store_check_full(s, &idx, why, sizeof(why), NULL,
	    NULL), 0);
	store_close(s);
	dir_remove();
}
END_TEST

#define NNAMES	7
START_TEST(storage_per_entry)
{
	static const char *names[] = { "entries", "leaves", "leaves/new",
	    "ids", "checkpoints", "meta", "offices" };
	const char *env_n = getenv("PT_STORE_MEASURE_N");
	const char *pre = getenv("LD_PRELOAD");
	uint64_t n = 100000, per = 1000, start = 0, entry_bytes = 0, calls = 0;
	uint64_t used, size, bad;
	struct store *s;
	struct store_check res;
	uint8_t e[1024];
	char why[256];
	double t0, t1, t2;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat st;
	uint64_t total_pages = 0, hash_pages = 0;

	if (env_n != NULL)
		n = strtoull(env_n, NULL, 10);
	else if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		n = 5000;	/* under valgrind */
	n -= n % per;
	for (uint64_t i = 0; i < n; i++)
		entry_bytes += make_entry(i, e, 300, 300);

	dir_make();
	s = open_ok(0);
	t0 = now_s();
	for (uint64_t k = 0; start < n; k++, start += per)
		ck_assert_int_eq(append_batch(s, NULL, start, per, 300, 300,
		    k), 0);
	t1 = now_s();
	ck_assert_int_eq(store_map_info(s, &used, &size), 0);
	ck_assert_int_eq(store_check_full_report(s, &res, why, sizeof(why),
	    progress_count, &calls), 0);
	t2 = now_s();
	ck_assert_uint_eq(res.size, n);
	ck_assert_uint_eq(calls, n / 65536 + 1);
	ck_assert_int_eq(store_check_full(s, &bad, why, sizeof(why), NULL,
	    NULL), 0);
	/* Leaf lookups on both sides of the 65536-entry epochs. */
	{
		static const uint64_t at[] = { 0, 1, 65535, 65536, 65537,
		    99999 };
		struct store_txn *t;
		struct mt_hash h;
		uint64_t idx;
		size_t len;

		ck_assert_int_eq(store_read_begin(s, &t), 0);
		for (unsigned j = 0; j < sizeof(at) / sizeof(at[0]); j++) {
			if (at[j] >= n)
				continue;
			len = make_entry(at[j], e, 300, 300);
			ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
			ck_assert_int_eq(store_find_leaf(t, &h, &idx), 0);
			ck_assert_uint_eq(idx, at[j]);
		}
		len = make_entry(n, e, 300, 300);
		ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
		ck_assert_int_eq(store_find_leaf(t, &h, &idx), PT_ENOTFOUND);
		store_read_end(t);
	}
	store_close(s);

	/* Per-database pages, through LMDB directly. */
	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 80), 0);
	ck_assert_int_eq(mdb_env_open(env, tdir, MDB_RDONLY, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	printf("store: %llu entries of 300..599 bytes (avg %.1f), batches of "
	    "%llu: append %.0f entries/s, check_full %.0f entries/s\n",
	    (unsigned long long)n, (double)entry_bytes / (double)n,
	    (unsigned long long)per, (double)n / (t1 - t0),
	    (double)n / (t2 - t1));
	for (int i = 0; i < NNAMES + 61; i++) {
		char name[16];
		uint64_t pages;

		if (i < NNAMES)
			snprintf(name, sizeof(name), "%s", names[i]);
		else
			snprintf(name, sizeof(name), "hash/%02d",
			    i == NNAMES ? 0 : i - NNAMES + 3);
		ck_assert_int_eq(mdb_dbi_open(txn, name, 0, &dbi), 0);
		ck_assert_int_eq(mdb_stat(txn, dbi, &st), 0);
		pages = st.ms_branch_pages + st.ms_leaf_pages +
		    st.ms_overflow_pages;
		total_pages += pages;
		if (i >= NNAMES)
			hash_pages += pages;
		if (i < NNAMES)
			printf("store:   %-12s %8llu pages  %7.1f bytes/entry%s"
			    "\n", name, (unsigned long long)pages,
			    (double)(pages * st.ms_psize) / (double)n,
			    i == 0 ? " (including the entry bytes)" : "");
	}
	ck_assert_int_eq(mdb_stat(txn, 0, &st), 0);
	printf("store:   %-12s %8llu pages  %7.1f bytes/entry (61 stored "
	    "levels)\n",
	    "hash/*", (unsigned long long)hash_pages,
	    (double)(hash_pages * st.ms_psize) / (double)n);
	printf("store: overhead beyond entry bytes: %.1f bytes/entry in the "
	    "databases; %.1f bytes/entry of map used (with the free pages "
	    "of the last commits, a constant)\n",
	    ((double)(total_pages * st.ms_psize) - (double)entry_bytes) /
	    (double)n, ((double)used - (double)entry_bytes) / (double)n);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	dir_remove();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, rfc6962_roots);
	tcase_add_test(tc, append_reopen_lookups);
	tcase_add_test(tc, upper_levels);
	tcase_add_test(tc, leaves_epoch_move);
	tcase_add_test(tc, offices_and_format);
	tcase_add_test(tc, checkpoint_copy);
	tcase_add_test(tc, exclusive_lock);
	tcase_add_test(tc, map_full);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, poisoned_batch);
	tcase_add_test(tc, check_full_detects);
	tcase_add_test(tc, stale_reader_cleared);
	tcase_add_test(tc, storage_per_entry);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
