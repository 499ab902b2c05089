/*
 * test_store.c: the store's API as the daemon uses it (store.c): known
 * answers, appends and reads across reopen, every refusal of the open,
 * the checkpoint copy kept in step with the commits, one writer, full
 * map and full disk, poisoned batches, stale readers.  The hash groups,
 * the indexes and the full check have their own suites
 * (test_store_groups, test_store_index, test_store_check); the lock file
 * and the copy's slots are test_datadir's.  Real LMDB under /tmp.
 */
#define _GNU_SOURCE	/* unshare(CLONE_NEWNS) for the disk-full test */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "mt.h"
#include "pt.h"
#include "ptlimits.h"
#include "store_fixture.h"

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
	ck_assert_int_eq(store_check_full(s, &idx, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(idx, UINT64_MAX);
	store_close(s);
	dir_remove();
}
END_TEST

/* ---- appends, reopen, entries, checkpoints ---- */

START_TEST(append_reopen_entries)
{
	static const uint64_t batches[] = { 1, 15, 16, 17, 100, 300, 1, 62 };
	struct memtree m = { 0 };
	struct store *s;
	struct store_batch *b;
	struct store_txn *t;
	struct mt_hash h;
	struct pt_why why = { "" };
	uint8_t e[1024];
	char id[64], want[64];
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

	/* Checkpoints: latest and by size. */
	ck_assert_int_eq(store_latest_checkpoint(t, &note, &nlen, &size, &tms),
	    0);
	ck_assert_uint_eq(size, start);
	ck_assert_uint_eq(tms, 5007);
	snprintf(want, sizeof(want), "example.org/log\n%llu\n",
	    (unsigned long long)start);
	ck_assert_int_eq(strncmp(note, want, strlen(want)), 0);
	ck_assert_int_eq(store_checkpoint_at(t, 32, &note, &nlen), 0);
	ck_assert_int_eq(strncmp(note, "example.org/log\n32\n", 19), 0);
	ck_assert_int_eq(store_checkpoint_at(t, 33, &note, &nlen),
	    PT_ENOTFOUND);
	store_read_end(t);

	/* A batch's writes are not visible to a read txn, and an aborted
	 * batch leaves nothing behind. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	len = make_entry(start, e, 40, 200);
	ck_assert_int_eq(mt_leaf_hash(e, len, &h), 0);
	make_id(start, id, sizeof(id), &idlen);
	ck_assert_int_eq(store_batch_append(b, e, len, &h, sub_a, id, idlen,
	    &idx), 0);
	ck_assert_uint_eq(idx, start);
	ck_assert_uint_eq(store_batch_size(b), start + 1);
	ck_assert_int_eq(store_read_begin(s, &t), 0);
	ck_assert_uint_eq(store_txn_size(t), start);
	ck_assert_int_eq(store_get_entry(t, start, &data, &len), PT_ENOTFOUND);
	store_read_end(t);
	store_batch_abort(b);
	ck_assert_uint_eq(store_size(s), start);
	ck_assert_int_eq(store_check_full(s, &idx, &why, NULL, NULL), 0);
	store_close(s);
	free(m.leaf);
	dir_remove();
}
END_TEST

/* ---- the open refuses what it cannot trust ---- */

/* A closed store of 20 entries (two offices), checkpoint time 1. */
static void
make20(void)
{
	struct store *s;

	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 0, 20, 40, 10, 1), 0);
	store_close(s);
}

/* store_open of tdir (readonly or not) fails with want, and why holds
 * text. */
static void
open_refused(int readonly, int want, const char *text)
{
	struct store_opts o = { 256ULL << 20, readonly };
	struct store *s = (struct store *)&s;
	struct pt_why why = { "" };

	ck_assert_int_eq(store_open(tdir, &o, &s, &why), want);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(why.text, text) != NULL, "want \"%s\" in \"%s\"",
	    text, why.text);
	ck_assert_msg(strstr(why.text, tdir) != NULL, "%s", why.text);
}

START_TEST(open_refusals)
{
	static const uint8_t v1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t v2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t v3[8] = { 0, 0, 0, 0, 0, 0, 0, 3 };
	static const uint8_t v20[8] = { 0, 0, 0, 0, 0, 0, 0, 20 };
	static const uint8_t zero8[8];
	struct store *s;

	/* An extra ids record: the counts disagree with the size. */
	make20();
	lmdb_edit("ids", "\0\0\0\7\1x", 6, v1, 8, 0);
	open_refused(0, PT_ECORRUPT, "ids holds 21 records, want 20");
	lmdb_edit("ids", "\0\0\0\7\1x", 6, NULL, 0, 1);
	s = open_ok(0);
	store_close(s);

	/* Another format is refused, naming both, before anything else;
	 * so is a malformed version record. */
	lmdb_edit("meta", "version", 7, v1, 8, 0);
	open_refused(0, PT_ECORRUPT, "store format 1, this program reads "
	    "only format 3");
	open_refused(1, PT_ECORRUPT, "store format 1");
	lmdb_edit("meta", "version", 7, v3, 4, 0);
	open_refused(0, PT_ECORRUPT, "bad format version record");
	/* Entries but no version at all: not initialised over them. */
	lmdb_edit("meta", "version", 7, NULL, 0, 1);
	open_refused(0, PT_ECORRUPT, "entries without a format version");
	lmdb_edit("meta", "version", 7, v3, 8, 0);

	/* The size record, the office count, the groups, the checkpoint. */
	lmdb_edit("meta", "size", 4, NULL, 0, 1);
	open_refused(0, PT_ENOTFOUND, "no tree size record");
	lmdb_edit("meta", "size", 4, v20, 8, 0);
	lmdb_edit("meta", "offices", 7, v3, 8, 0);
	open_refused(0, PT_ECORRUPT, "offices holds 2 records, the office "
	    "count is 3");
	lmdb_edit("meta", "offices", 7, NULL, 0, 1);
	open_refused(0, PT_ENOTFOUND, "no office count record");
	lmdb_edit("meta", "offices", 7, v2, 8, 0);
	lmdb_edit("hash/04", zero8, 8, NULL, 0, 1);
	open_refused(0, PT_ECORRUPT, "hash level 4 holds 0 groups, want 1");
	dir_remove();

	make20();
	lmdb_edit("checkpoints", v20, 8, NULL, 0, 1);
	open_refused(0, PT_ECORRUPT, "tree size 20 without a signed "
	    "checkpoint");
	open_refused(1, PT_ECORRUPT, "tree size 20 without a signed "
	    "checkpoint");
	lmdb_edit("checkpoints", v1, 8, "\0\0\0\0\0\0\0\1n\n", 10, 0);
	open_refused(0, PT_ECORRUPT, "latest checkpoint is not at the tree "
	    "size 20");
	dir_remove();

	/* A new store, never written: a readonly open refuses it once its
	 * version is gone; a writable one initialises it again. */
	dir_make();
	s = open_ok(0);
	store_close(s);
	lmdb_edit("meta", "version", 7, NULL, 0, 1);
	open_refused(1, PT_ENOTFOUND, "store never initialised");
	s = open_ok(0);
	ck_assert_uint_eq(store_size(s), 0);
	store_close(s);
	dir_remove();

	/* An LMDB environment that is not a store, and no store at all. */
	dir_make();
	lmdb_make_empty();
	open_refused(1, PT_ENOTFOUND, "not a pubtrail store (no databases)");
	dir_remove();
	dir_make();
	open_refused(1, PT_ENOTFOUND, "cannot open the LMDB environment");
	dir_remove();
	{
		struct pt_why why = { "" };

		ck_assert_int_eq(store_open("", NULL, &s, &why), PT_EINVAL);
		ck_assert_str_eq(why.text, "no store directory");
	}
}
END_TEST

/* ---- the checkpoint copy follows the commits ---- */

START_TEST(checkpoint_copy)
{
	struct store *s;
	struct store_txn *t;
	struct store_batch *b;
	struct store_opts ro = { 0, 1 };
	char *copy, path[256];
	const char *note;
	size_t len, nlen;

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

	/* A batch that sets no checkpoint leaves the copy alone; a
	 * re-signed one (same size) replaces it. */
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_int_eq(strncmp(copy, "example.org/log\n13\n", 19), 0);
	free(copy);
	ck_assert_int_eq(store_batch_begin(s, &b), 0);
	ck_assert_int_eq(store_batch_set_checkpoint(b, "cosigned 13\n", 12,
	    2), 0);
	ck_assert_int_eq(store_batch_commit(b), 0);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_str_eq(copy, "cosigned 13\n");
	free(copy);

	/* A lost copy is rewritten from the store. */
	snprintf(path, sizeof(path), "%s/checkpoint", tdir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(store_sync_checkpoint_copy(s), 0);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_str_eq(copy, "cosigned 13\n");
	free(copy);
	store_close(s);

	/* After a reopen the next commit's copy is the newest; a readonly
	 * store never writes it. */
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 13, 2, 50, 0, 3), 0);
	store_close(s);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_int_eq(strncmp(copy, "example.org/log\n15\n", 19), 0);
	free(copy);
	ck_assert_int_eq(store_open(tdir, &ro, &s, NULL), 0);
	ck_assert_int_eq(store_sync_checkpoint_copy(s), PT_EINVAL);
	store_close(s);

	/* A copy that cannot be written after a durable commit is PT_EIO
	 * (the daemon stops); the commit itself stands. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 15, 1, 50, 0, 4), PT_EIO);
	ck_assert_uint_eq(store_size(s), 16);
	ck_assert_int_eq(store_sync_checkpoint_copy(s), PT_EIO);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(store_sync_checkpoint_copy(s), 0);
	store_close(s);
	ck_assert_int_eq(store_read_checkpoint_copy(tdir, &copy, &len), 0);
	ck_assert_int_eq(strncmp(copy, "example.org/log\n16\n", 19), 0);
	free(copy);
	dir_remove();
}
END_TEST

/* ---- one writer ---- */

START_TEST(exclusive_lock)
{
	struct store *s, *s2;
	struct store_opts ro = { 0, 1 };
	struct store_txn *t;
	struct pt_why why = { "" };
	char pid[32];
	int status;
	pid_t child;

	dir_make();
	s = open_ok(0);
	ck_assert_int_eq(append_batch(s, NULL, 0, 5, 30, 0, 1), 0);

	/* Same process: refused before LMDB sees the directory twice. */
	ck_assert_int_eq(store_open(tdir, NULL, &s2, &why), PT_EBUSY);
	ck_assert_ptr_null(s2);
	ck_assert_ptr_nonnull(strstr(why.text, tdir));
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	ck_assert_msg(strstr(why.text, pid) != NULL, "%s", why.text);

	/* Another process: PT_EBUSY naming the directory and our PID. */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct store *c;
		struct pt_why cwhy = { "" };
		int rc = store_open(tdir, NULL, &c, &cwhy);

		_exit(rc == PT_EBUSY && strstr(cwhy.text, tdir) != NULL &&
		    strstr(cwhy.text, pid) != NULL ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* Read-only opens take no lock and cannot write. */
	ck_assert_int_eq(store_open(tdir, &ro, &s2, &why), 0);
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
	ck_assert_int_ne(store_open(tdir, &ro, &s2, &why), 0);
	dir_remove();
}
END_TEST

/* ---- map full ---- */

START_TEST(map_full)
{
	struct memtree m = { 0 };
	struct store *s;
	struct store_txn *t;
	struct pt_why why = { "" };
	uint64_t start = 0, idx, used, size;
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
	ck_assert_int_eq(store_check_full(s, &idx, &why, NULL, NULL), 0);

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
	ck_assert_int_eq(store_check_full(s, &idx, &why, NULL, NULL), 0);
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
	char mnt[256], store[300], filler[300];
	struct store_opts o = { 256ULL << 20, 0 };
	struct store *s;
	struct pt_why why = { "" };
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
	if (store_open(store, &o, &s, &why) != 0)
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
	    store_check_full(s, &bad, &why, NULL, NULL) != 0)
		return 6;
	unlink(filler);
	if (append_batch(s, NULL, start, 20, 2000, 0, 100000) != 0)
		return 7;
	if (store_size(s) != start + 20 ||
	    store_check_full(s, &bad, &why, NULL, NULL) != 0)
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
	ck_assert_int_eq(store_check_full(s, &idx, NULL, NULL, NULL), 0);
	store_close(s);
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
		if (store_open(tdir, &ro, &rs, NULL) != 0 ||
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
	tcase_add_test(tc, append_reopen_entries);
	tcase_add_test(tc, open_refusals);
	tcase_add_test(tc, checkpoint_copy);
	tcase_add_test(tc, exclusive_lock);
	tcase_add_test(tc, map_full);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, poisoned_batch);
	tcase_add_test(tc, stale_reader_cleared);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
