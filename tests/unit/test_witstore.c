/*
 * test_witstore.c: the witness store (client/witstore.h) alone, on real
 * LMDB files in a temporary directory: missing records, a put read back
 * byte for byte, an aborted transaction leaving nothing, readers seeing the
 * old record until the writer commits, a reopened store keeping its
 * records, a transaction poisoned by its first failure, a full map answered
 * PT_EFULL with what was committed kept, and errors that carry the
 * library's words in why only.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pt.h"
#include "ptlimits.h"
#include "witstore.h"

static char dir[256];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pt-witstore-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct wst_rec
rec(uint64_t size, uint8_t fill, const char *note)
{
	struct wst_rec r;

	memset(&r, 0, sizeof(r));
	r.size = size;
	memset(r.root.b, fill, sizeof(r.root.b));
	r.note = (char *)note;
	r.note_len = strlen(note);
	return r;
}

static void
put_commit(struct wst *s, const char *origin, const struct wst_rec *r)
{
	struct pt_why why = { "" };
	struct wst_txn *t;

	ck_assert_int_eq(wst_begin(s, &t, &why), 0);
	ck_assert_int_eq(wst_put(t, origin, r, &why), 0);
	ck_assert_int_eq(wst_commit(t, &why), 0);
}

static void
assert_rec(struct wst *s, const char *origin, uint64_t size, uint8_t fill,
    const char *note)
{
	struct pt_why why = { "" };
	struct wst_rec got;
	uint8_t want[32];

	ck_assert_int_eq(wst_read(s, origin, &got, &why), 0);
	ck_assert_uint_eq(got.size, size);
	memset(want, fill, sizeof(want));
	ck_assert_mem_eq(got.root.b, want, 32);
	ck_assert_uint_eq(got.note_len, strlen(note));
	ck_assert_str_eq(got.note, note);
	wst_rec_cleanup(&got);
	ck_assert_ptr_null(got.note);
}

START_TEST(records)
{
	struct pt_why why = { "" };
	struct wst *s;
	struct wst_txn *t;
	struct wst_rec r = rec(5, 0xaa, "log.test\n5\nroot\n\n\xe2\x80\x94 l x\n"),
	    got;
	struct stat st;
	char path[300];

	ck_assert_int_eq(wst_open(dir, 0, &s, &why), 0);
	snprintf(path, sizeof(path), "%s/db", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	/* Nothing yet. */
	ck_assert_int_eq(wst_read(s, "log.test", &got, &why), PT_ENOTFOUND);
	ck_assert_ptr_null(got.note);
	/* A put read back in the same transaction and after the commit. */
	ck_assert_int_eq(wst_begin(s, &t, &why), 0);
	ck_assert_int_eq(wst_get(t, "log.test", &got, &why), PT_ENOTFOUND);
	ck_assert_int_eq(wst_put(t, "log.test", &r, &why), 0);
	ck_assert_int_eq(wst_get(t, "log.test", &got, &why), 0);
	ck_assert_uint_eq(got.size, 5);
	ck_assert_str_eq(got.note, r.note);
	wst_rec_cleanup(&got);
	/* A reader outside the transaction still sees nothing. */
	ck_assert_int_eq(wst_read(s, "log.test", &got, &why), PT_ENOTFOUND);
	ck_assert_int_eq(wst_commit(t, &why), 0);
	assert_rec(s, "log.test", 5, 0xaa, r.note);
	/* Origins are distinct keys, byte for byte. */
	ck_assert_int_eq(wst_read(s, "log.tes", &got, &why), PT_ENOTFOUND);
	ck_assert_int_eq(wst_read(s, "log.test2", &got, &why), PT_ENOTFOUND);
	/* An aborted replacement leaves the committed record. */
	r = rec(9, 0xbb, "log.test\n9\nroot\n\n\xe2\x80\x94 l y\n");
	ck_assert_int_eq(wst_begin(s, &t, &why), 0);
	ck_assert_int_eq(wst_put(t, "log.test", &r, &why), 0);
	wst_abort(t);
	assert_rec(s, "log.test", 5, 0xaa,
	    "log.test\n5\nroot\n\n\xe2\x80\x94 l x\n");
	wst_abort(NULL);
	/* A replacement that commits, and a second origin. */
	put_commit(s, "log.test", &r);
	put_commit(s, "other.test", &r);
	wst_close(s);
	/* Reopened: both kept. */
	ck_assert_int_eq(wst_open(dir, 0, &s, &why), 0);
	assert_rec(s, "log.test", 9, 0xbb, r.note);
	assert_rec(s, "other.test", 9, 0xbb, r.note);
	wst_close(s);
	wst_close(NULL);
	wst_rec_cleanup(NULL);
}
END_TEST

START_TEST(bad_input_poisons)
{
	struct pt_why why = { "" };
	struct wst *s;
	struct wst_txn *t;
	struct wst_rec r = rec(1, 1, "x\n"), got, empty;
	char origin[PT_MAX_ORIGIN + 2];

	ck_assert_int_eq(wst_open(dir, 0, &s, &why), 0);
	put_commit(s, "log.test", &r);
	/* An origin too long, an empty note: refused, and the transaction
	 * is poisoned: later calls fail, the commit writes nothing. */
	memset(origin, 'o', sizeof(origin) - 1);
	origin[sizeof(origin) - 1] = '\0';
	ck_assert_int_eq(wst_begin(s, &t, &why), 0);
	r = rec(2, 2, "y\n");
	ck_assert_int_eq(wst_put(t, "log.test", &r, &why), 0);
	ck_assert_int_eq(wst_put(t, origin, &r, &why), PT_EINVAL);
	ck_assert_int_eq(wst_get(t, "log.test", &got, &why), PT_EPOISONED);
	ck_assert_int_eq(wst_put(t, "log.test", &r, &why), PT_EPOISONED);
	ck_assert_int_eq(wst_commit(t, &why), PT_EPOISONED);
	assert_rec(s, "log.test", 1, 1, "x\n");
	empty = rec(3, 3, "");
	ck_assert_int_eq(wst_begin(s, &t, &why), 0);
	ck_assert_int_eq(wst_put(t, "log.test", &empty, &why), PT_EINVAL);
	ck_assert_int_eq(wst_commit(t, &why), PT_EPOISONED);
	assert_rec(s, "log.test", 1, 1, "x\n");
	ck_assert_int_eq(wst_read(s, "", &got, &why), PT_EINVAL);
	wst_close(s);
}
END_TEST

START_TEST(full_map)
{
	struct pt_why why = { "" };
	struct wst *s;
	struct wst_txn *t;
	struct wst_rec r;
	char *note, origin[32];
	int i, rc = 0;

	/* A 1 MiB map and notes of PT_NOTE_MAX bytes: it fills within a few
	 * records; the failing commit writes nothing, and what was committed
	 * before reads back. */
	ck_assert_int_eq(wst_open(dir, 1u << 20, &s, &why), 0);
	ck_assert_ptr_nonnull(note = malloc(PT_NOTE_MAX + 1));
	memset(note, 'n', PT_NOTE_MAX);
	note[PT_NOTE_MAX] = '\0';
	r = rec(7, 7, note);
	for (i = 0; i < 100; i++) {
		snprintf(origin, sizeof(origin), "log%d.test", i);
		ck_assert_int_eq(wst_begin(s, &t, &why), 0);
		rc = wst_put(t, origin, &r, &why);
		if (rc == 0)
			rc = wst_commit(t, &why);
		else
			wst_abort(t);
		if (rc != 0)
			break;
	}
	ck_assert_int_eq(rc, PT_EFULL);
	ck_assert_int_gt(i, 0);
	ck_assert_msg(strstr(why.text, "witness store") != NULL, "%s",
	    why.text);
	snprintf(origin, sizeof(origin), "log%d.test", i - 1);
	assert_rec(s, origin, 7, 7, note);
	snprintf(origin, sizeof(origin), "log%d.test", i);
	ck_assert_int_eq(wst_read(s, origin, &r, &why), PT_ENOTFOUND);
	wst_close(s);
	free(note);
}
END_TEST

START_TEST(open_errors)
{
	struct pt_why why = { "" };
	struct wst *s = (struct wst *)1;
	char path[300];
	FILE *f;

	/* DIR/db is a file: the reason is for the local log. */
	snprintf(path, sizeof(path), "%s/db", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_ne(wst_open(dir, 0, &s, &why), 0);
	ck_assert_ptr_null(s);
	ck_assert(why.text[0] != '\0');
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("witstore");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, records);
	tcase_add_test(tc, bad_input_poisons);
	tcase_add_test(tc, full_map);
	tcase_add_test(tc, open_errors);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
