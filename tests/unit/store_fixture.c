/*
 * store_fixture.c: helpers of the store's unit suites (store_fixture.h).
 * Linked into every tests/unit/test_store*.c binary (see the Makefile).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"
#include "ptlimits.h"
#include "store_fixture.h"

char tdir[128];
const uint8_t sub_a[32] = { 0xa1, 0xa2, 0xa3 };
const uint8_t sub_b[32] = { 0xb1, 0xb2, 0xb3 };

static char base[64];

void
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

void
base_setup(void)
{
	strcpy(base, "/tmp/pt_store_XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

void
base_teardown(void)
{
	rm_flat(base);
}

void
dir_make(void)
{
	snprintf(tdir, sizeof(tdir), "%s/t_XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tdir));
}

void
dir_remove(void)
{
	rm_flat(tdir);
	tdir[0] = '\0';
}

size_t
make_entry(uint64_t i, uint8_t *buf, size_t minlen, size_t spread)
{
	size_t len = minlen + (spread ? (size_t)((i * 7919) % spread) : 0);
	int m;

	m = snprintf((char *)buf, 32, "ENTRY-%010llu-", (unsigned long long)i);
	for (size_t j = (size_t)m; j < len; j++)
		buf[j] = (uint8_t)(j * 31 + i * 17);
	return len;
}

void
make_id(uint64_t i, char *id, size_t cap, size_t *len)
{
	*len = (size_t)snprintf(id, cap, "pay-%llu", (unsigned long long)i);
}

void
make_note(uint64_t size, char *note, size_t cap, size_t *len)
{
	*len = (size_t)snprintf(note, cap, "example.org/log\n%llu\n"
	    "ROOT=\n\n\xe2\x80\x94 example.org/log sig\n",
	    (unsigned long long)size);
}

void
mem_push(struct memtree *m, const struct mt_hash *h)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->leaf = realloc(m->leaf, m->cap * sizeof(*m->leaf));
		ck_assert_ptr_nonnull(m->leaf);
	}
	m->leaf[m->n++] = *h;
}

int
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

void
mem_root(struct memtree *m, uint64_t size, struct mt_hash *root)
{
	struct mt_reader r = { mem_read, m };

	ck_assert_int_eq(mt_root(&r, size, root), 0);
}

struct store *
open_ok(uint64_t map)
{
	struct store_opts o = { map ? map : 256ULL << 20, 0 };
	struct store *s;
	struct pt_why why = { "" };
	int rc;

	rc = store_open(tdir, &o, &s, &why);
	ck_assert_msg(rc == 0, "store_open: %s: %s", pt_strerror(rc),
	    why.text);
	return s;
}

int
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

void
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

void
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

void
lmdb_make_empty(void)
{
	MDB_env *env;
	MDB_txn *txn;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(env, 1ULL << 20), 0);
	ck_assert_int_eq(mdb_env_open(env, tdir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

int
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
