/*
 * test_tdir.c: the static tlog-tiles tree on disk (net/tdir).  Real files
 * in a temporary directory: paths as C2SP tlog-tiles spells them, full
 * tiles written once (the same bytes kept, other bytes refused and never
 * written over), partial tiles replaced, their removal once the full tile
 * exists, gzip copies that zlib decompresses to the bundle, top-level file
 * names checked, no temporary files left behind.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "pt.h"
#include "tdir.h"
#include "tile.h"

static char root[256];

static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/pt-tdir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void
rm_rf(const char *p)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	ck_assert_int_eq(system(cmd), 0);
}

static void
teardown(void)
{
	rm_rf(root);
}

static long
file_size(const char *rel)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Files whose name starts with '.' anywhere under dir (temporaries). */
static int
count_dot_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[1024];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.')
			n++;
		if (de->d_type == DT_DIR)
			n += count_dot_files(p);
	}
	closedir(d);
	return n;
}

START_TEST(write_once_and_partials)
{
	struct tdir *d;
	struct pt_why why = { "" };
	struct tile full = { false, 0, 1234067, TILE_WIDTH };
	struct tile part = { false, 0, 1234068, 5 };
	uint8_t a[TILE_WIDTH * 32], b[TILE_WIDTH * 32], got[TILE_WIDTH * 32];
	size_t len;

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	ck_assert_int_eq(tdir_open(root, 0, &d, &why), 0);
	ck_assert_int_eq(tdir_put_tile(d, &full, a, sizeof(a), &why), 0);
	ck_assert_int_eq(file_size("tile/0/x001/x234/067"), 8192);
	ck_assert_int_eq(tdir_has_full(d, &full), 1);
	/* The same bytes again: kept.  Other bytes: refused, unchanged. */
	ck_assert_int_eq(tdir_put_tile(d, &full, a, sizeof(a), &why), 0);
	ck_assert_uint_eq(tdir_stats(d)->kept, 1);
	ck_assert_int_eq(tdir_put_tile(d, &full, b, sizeof(b), &why),
	    PT_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(why.text, "never overwritten"));
	ck_assert_int_eq(tdir_get_tile(d, &full, got, sizeof(got), &len,
	    &why), 0);
	ck_assert_uint_eq(len, sizeof(a));
	ck_assert_mem_eq(got, a, len);
	/* Partial tiles are replaced, several widths side by side. */
	ck_assert_int_eq(tdir_put_tile(d, &part, b, 5 * 32, &why), 0);
	ck_assert_int_eq(tdir_put_tile(d, &part, a, 5 * 32, &why), 0);
	part.width = 9;
	ck_assert_int_eq(tdir_put_tile(d, &part, a, 9 * 32, &why), 0);
	ck_assert_int_eq(file_size("tile/0/x001/x234/068.p/5"), 160);
	ck_assert_int_eq(file_size("tile/0/x001/x234/068.p/9"), 288);
	part.width = 5;
	ck_assert_int_eq(tdir_get_tile(d, &part, got, sizeof(got), &len,
	    &why), 0);
	ck_assert_mem_eq(got, a, 160);
	part.width = 7;
	ck_assert_int_eq(tdir_get_tile(d, &part, got, sizeof(got), &len,
	    &why), PT_ENOTFOUND);
	/* Once the full tile is there the partials go. */
	part.width = TILE_WIDTH;
	ck_assert_int_eq(tdir_has_full(d, &part), 0);
	ck_assert_int_eq(tdir_put_tile(d, &part, b, sizeof(b), &why), 0);
	ck_assert_int_eq(tdir_drop_partials(d, &part, &why), 0);
	ck_assert_uint_eq(tdir_stats(d)->dropped, 2);
	ck_assert_int_eq(file_size("tile/0/x001/x234/068.p/5"), -1);
	ck_assert_int_eq(file_size("tile/0/x001/x234/068.p"), -1);
	ck_assert_int_eq(tdir_drop_partials(d, &part, &why), 0);
	ck_assert_int_eq(tdir_sync(d, &why), 0);
	ck_assert_int_eq(count_dot_files(root), 0);
	tdir_free(d);
}
END_TEST

START_TEST(gzip_bundles)
{
	struct tdir *d;
	struct pt_why why = { "" };
	struct tile t = { true, 0, 2, TILE_WIDTH };
	static uint8_t bundle[TILE_WIDTH * 102], back[TILE_WIDTH * 102 + 1];
	static uint8_t gz[TILE_WIDTH * 102];
	char p[512];
	FILE *f;
	size_t gl;
	z_stream zs;

	for (int i = 0; i < TILE_WIDTH; i++) {
		bundle[102 * i] = 0;
		bundle[102 * i + 1] = 100;
		memset(bundle + 102 * i + 2, 'a' + i % 26, 100);
	}
	ck_assert_int_eq(tdir_open(root, 1, &d, &why), 0);
	ck_assert_int_eq(tdir_put_tile(d, &t, bundle, sizeof(bundle), &why), 0);
	ck_assert_int_eq(file_size("tile/entries/002"), sizeof(bundle));
	snprintf(p, sizeof(p), "%s/tile/entries/002.gz", root);
	ck_assert_ptr_nonnull(f = fopen(p, "rb"));
	gl = fread(gz, 1, sizeof(gz), f);
	fclose(f);
	ck_assert_uint_gt(gl, 18);
	ck_assert_uint_lt(gl, sizeof(bundle) / 4);
	ck_assert_uint_eq(gz[0], 0x1f);
	ck_assert_uint_eq(gz[1], 0x8b);
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = gz;
	zs.avail_in = (uInt)gl;
	zs.next_out = back;
	zs.avail_out = (uInt)sizeof(back);
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(zs.total_out, sizeof(bundle));
	inflateEnd(&zs);
	ck_assert_mem_eq(back, bundle, sizeof(bundle));
	ck_assert_uint_eq(tdir_stats(d)->gz_files, 1);
	/* A partial bundle (replaced at the next commit) and a hash tile
	 * get no gzip copy. */
	t.n = 3;
	t.width = 3;
	ck_assert_int_eq(tdir_put_tile(d, &t, bundle, 3 * 102, &why), 0);
	ck_assert_int_eq(file_size("tile/entries/003.p/3"), 3 * 102);
	ck_assert_int_eq(file_size("tile/entries/003.p/3.gz"), -1);
	t.entries = false;
	ck_assert_int_eq(tdir_put_tile(d, &t, bundle, 96, &why), 0);
	ck_assert_int_eq(file_size("tile/0/003.p/3.gz"), -1);
	ck_assert_uint_eq(tdir_stats(d)->gz_files, 1);
	ck_assert_int_eq(tdir_sync(d, &why), 0);
	ck_assert_int_eq(tdir_sync(d, &why), 0);	/* nothing new */
	tdir_free(d);
}
END_TEST

START_TEST(files)
{
	struct tdir *d;
	struct pt_why why = { "" };
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(tdir_open(root, 0, &d, &why), 0);
	ck_assert_int_eq(tdir_put_file(d, "checkpoint", "one\n", 4, 0644,
	    &why), 0);
	ck_assert_int_eq(tdir_put_file(d, "checkpoint", "two\n", 4, 0644,
	    &why), 0);
	ck_assert_int_eq(tdir_get_file(d, "checkpoint", 100, &buf, &len,
	    &why), 0);
	ck_assert_str_eq((char *)buf, "two\n");
	free(buf);
	ck_assert_int_eq(tdir_get_file(d, "checkpoint", 2, &buf, &len, &why),
	    PT_ETOOBIG);
	ck_assert_int_eq(tdir_put_file(d, "js/app.js", "x", 1, 0644, &why), 0);
	ck_assert_int_eq(file_size("js/app.js"), 1);
	ck_assert_int_eq(tdir_put_file(d, "../escape", "x", 1, 0644, &why),
	    PT_EINVAL);
	ck_assert_int_eq(tdir_put_file(d, "/abs", "x", 1, 0644, &why),
	    PT_EINVAL);
	ck_assert_int_eq(tdir_put_file(d, "a b", "x", 1, 0644, &why),
	    PT_EINVAL);
	ck_assert_int_eq(tdir_get_file(d, "nothing", 10, &buf, &len, &why),
	    PT_ENOTFOUND);
	ck_assert_int_eq(tdir_remove_file(d, "checkpoint", &why), 0);
	ck_assert_int_eq(tdir_remove_file(d, "checkpoint", &why), 0);
	ck_assert_int_eq(file_size("checkpoint"), -1);
	ck_assert_int_eq(count_dot_files(root), 0);
	tdir_free(d);
	/* Not a directory. */
	{
		char p[300];
		FILE *f;

		snprintf(p, sizeof(p), "%s/plain", root);
		ck_assert_ptr_nonnull(f = fopen(p, "w"));
		fclose(f);
		ck_assert_int_eq(tdir_open(p, 0, &d, &why), PT_EIO);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tdir");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_once_and_partials);
	tcase_add_test(tc, gzip_bundles);
	tcase_add_test(tc, files);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
