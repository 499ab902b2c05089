/*
 * test_tile.c: C2SP tlog-tiles paths, widths and entry bundles.
 *
 * Known answers are the spec's own examples (c2sp.org/tlog-tiles): index
 * 1234067 is x001/x234/067; a tree of 70,000 has 273 full level-0 tiles, a
 * level-0 tile of width 112, one full level-1 tile, a level-1 tile of width
 * 17 and a level-2 tile of width 1; a tree of 256 has one full level-0 tile
 * and a level-1 tile of width 1.  The interop test compares our paths with
 * golang.org/x/mod/sumdb/tlog for every tile of several trees.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ptlimits.h"
#include "pt.h"
#include "tile.h"

static void
fmt_eq(bool entries, unsigned level, uint64_t n, unsigned width,
    const char *want)
{
	struct tile t = { entries, level, n, width }, back;
	char buf[TILE_PATH_MAX];

	ck_assert_int_eq(tile_path_format(&t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(tile_path_parse(buf, strlen(buf), &back), 0);
	ck_assert(back.entries == entries);
	ck_assert_uint_eq(back.level, entries ? 0 : level);
	ck_assert_uint_eq(back.n, n);
	ck_assert_uint_eq(back.width, width);
}

START_TEST(spec_examples)
{
	fmt_eq(false, 0, 1234067, 256, "tile/0/x001/x234/067");
	fmt_eq(true, 0, 1234067, 256, "tile/entries/x001/x234/067");
	/* The tree of 70,000 leaves. */
	fmt_eq(false, 0, 272, 256, "tile/0/272");
	fmt_eq(false, 0, 273, 112, "tile/0/273.p/112");
	fmt_eq(true, 0, 273, 112, "tile/entries/273.p/112");
	fmt_eq(false, 1, 0, 256, "tile/1/000");
	fmt_eq(false, 1, 1, 17, "tile/1/001.p/17");
	fmt_eq(false, 2, 0, 1, "tile/2/000.p/1");
	/* Other corners. */
	fmt_eq(false, 0, 0, 256, "tile/0/000");
	fmt_eq(false, 63, 0, 255, "tile/63/000.p/255");
	fmt_eq(false, 10, 999, 256, "tile/10/999");
	fmt_eq(false, 0, 1000, 256, "tile/0/x001/000");
	fmt_eq(false, 0, 1000000, 5, "tile/0/x001/x000/000.p/5");
	fmt_eq(true, 0, UINT64_MAX, 256,
	    "tile/entries/x018/x446/x744/x073/x709/x551/615");
	fmt_eq(true, 0, UINT64_MAX, 255,
	    "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255");
}
END_TEST

START_TEST(format_errors)
{
	struct tile t = { false, 0, 1234067, 256 };
	char buf[TILE_PATH_MAX];

	ck_assert_int_eq(tile_path_format(&t, buf, 21), 0);	/* exact fit */
	ck_assert_str_eq(buf, "tile/0/x001/x234/067");
	ck_assert_int_eq(tile_path_format(&t, buf, 20), PT_ETOOBIG);
	t.width = 0;
	ck_assert_int_eq(tile_path_format(&t, buf, sizeof(buf)), PT_EINVAL);
	t.width = 257;
	ck_assert_int_eq(tile_path_format(&t, buf, sizeof(buf)), PT_EINVAL);
	t.width = 256;
	t.level = 64;
	ck_assert_int_eq(tile_path_format(&t, buf, sizeof(buf)), PT_EINVAL);
	t.entries = true;	/* level ignored for bundles */
	ck_assert_int_eq(tile_path_format(&t, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(round_trips)
{
	static const uint64_t ns[] = {
		0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10000, 123456,
		999999, 1000000, 1000001, 4294967295ULL, 4294967296ULL,
		1ULL << 54, 999999999999999999ULL, 1000000000000000000ULL,
		9999999999999999999ULL, 10000000000000000000ULL,
		UINT64_MAX - 1, UINT64_MAX,
	};
	struct tile t, back;
	char buf[TILE_PATH_MAX];
	unsigned level, w, e;
	size_t i;
	uint64_t n;

	for (e = 0; e < 2; e++)
		for (level = 0; level <= TILE_MAX_LEVEL; level++)
			for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
				for (w = 1; w <= 256; w += (w < 3 || w > 253) ?
				    1 : 50) {
					t.entries = e;
					t.level = e ? 0 : level;
					t.n = ns[i];
					t.width = w;
					ck_assert_int_eq(tile_path_format(&t,
					    buf, sizeof(buf)), 0);
					ck_assert_int_eq(tile_path_parse(buf,
					    strlen(buf), &back), 0);
					ck_assert(back.entries == t.entries);
					ck_assert_uint_eq(back.level, t.level);
					ck_assert_uint_eq(back.n, t.n);
					ck_assert_uint_eq(back.width, t.width);
				}
	for (n = 0; n < 3000; n++) {
		t.entries = false;
		t.level = (unsigned)(n % 64);
		t.n = n * 997;
		t.width = 256;
		ck_assert_int_eq(tile_path_format(&t, buf, sizeof(buf)), 0);
		ck_assert_int_eq(tile_path_parse(buf, strlen(buf), &back), 0);
		ck_assert_uint_eq(back.n, t.n);
		ck_assert_uint_eq(back.level, t.level);
	}
}
END_TEST

static const char *bad_paths[] = {
	"", "t", "tile", "tile/", "tile/0", "tile/0/", "/tile/0/000",
	"tiles/0/000", "Tile/0/000", "tile//000", "tile/0//000",
	/* level */
	"tile/00/000", "tile/01/000", "tile/064/000", "tile/64/000",
	"tile/99/000", "tile/100/000", "tile/-1/000", "tile/+1/000",
	"tile/1e/000", "tile/ 1/000", "tile/x1/000", "tile/8/0/000",
	/* index groups */
	"tile/0/0", "tile/0/00", "tile/0/0000", "tile/0/1", "tile/0/00a",
	"tile/0/+00", "tile/0/ 00", "tile/0/-01", "tile/0/x", "tile/0/x1/000",
	"tile/0/x001", "tile/0/x001/", "tile/0/X001/000", "tile/0/xx001/000",
	"tile/0/x000/000", "tile/0/x000/x001/000", "tile/0/x001/x002",
	"tile/0/001/002", "tile/0/x001//002", "tile/0/x001/x234/067/",
	"tile/0/000/", "tile/0/x0001/000", "tile/0/x01/000",
	"tile/0/x001x234/067",
	/* 2^64 and beyond */
	"tile/0/x018/x446/x744/x073/x709/x551/616",
	"tile/0/x099/x999/x999/x999/x999/x999/999",
	"tile/0/x999/x999/x999/x999/x999/x999/999",
	"tile/0/x001/x000/x000/x000/x000/x000/x000/000",
	/* width */
	"tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/01",
	"tile/0/000.p/001", "tile/0/000.p/", "tile/0/000.p", "tile/0/000.",
	"tile/0/000.p/1/", "tile/0/000.p/1x", "tile/0/000.P/1",
	"tile/0/000.q/1", "tile/0/000p/1", "tile/0/000.p1", "tile/0/000.p//1",
	"tile/0/000.p/-1", "tile/0/000.p/1000", "tile/0/000.p/25 ",
	"tile/0/000.p/1.p/1", "tile/0/000/.p/1",
	/* other suffixes */
	"tile/0/000?x=1", "tile/0/000#", "tile/0/000 ", " tile/0/000",
	"tile/0/000\n",
	/* entry bundles */
	"tile/entries", "tile/entries/", "tile/entries/0", "tile/entries/00",
	"tile/entries/x000/000", "tile/entries/000.p/256",
	"tile/entries/000.p/0", "tile/Entries/000", "tile/entry/000",
	"tile/data/000", "tile/entries//000", "tile/entries/0/000",
	"tile/entriesx/000", "tile/0/entries/000",
};

START_TEST(malformed_paths)
{
	struct tile t;
	size_t i;

	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++)
		ck_assert_msg(tile_path_parse(bad_paths[i], strlen(bad_paths[i]),
		    &t) == PT_EMALFORMED, "accepted \"%s\"", bad_paths[i]);
	/* An embedded NUL, and a path cut short by len. */
	ck_assert_int_eq(tile_path_parse("tile/0/0\0000", 12, &t),
	    PT_EMALFORMED);
	ck_assert_int_eq(tile_path_parse("tile/0/000", 9, &t), PT_EMALFORMED);
	ck_assert_int_eq(tile_path_parse("tile/0/000.p/12", 14, &t), 0);
	ck_assert_uint_eq(t.width, 1);
	/* Too long to be a path at all. */
	{
		char big[TILE_PATH_MAX + 10];

		memset(big, '0', sizeof(big));
		memcpy(big, "tile/0/", 7);
		ck_assert_int_eq(tile_path_parse(big, sizeof(big), &t),
		    PT_EMALFORMED);
	}
	/* The largest index is fine. */
	ck_assert_int_eq(tile_path_parse(
	    "tile/0/x018/x446/x744/x073/x709/x551/615", 40, &t), 0);
	ck_assert_uint_eq(t.n, UINT64_MAX);
}
END_TEST

static unsigned
width(bool entries, unsigned level, uint64_t n, uint64_t size, int *rc)
{
	struct tile t = { entries, level, n, 0 };
	unsigned w = 99;

	*rc = tile_width_at(&t, size, &w);
	return w;
}

START_TEST(widths_spec)
{
	int rc;
	uint64_t n;

	/* Size 70,000. */
	for (n = 0; n < 273; n++) {
		ck_assert_uint_eq(width(false, 0, n, 70000, &rc), 256);
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(width(true, 0, n, 70000, &rc), 256);
	}
	ck_assert_uint_eq(width(false, 0, 273, 70000, &rc), 112);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(width(true, 0, 273, 70000, &rc), 112);
	ck_assert_uint_eq(width(false, 0, 274, 70000, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	ck_assert_uint_eq(width(false, 1, 0, 70000, &rc), 256);
	ck_assert_uint_eq(width(false, 1, 1, 70000, &rc), 17);
	ck_assert_uint_eq(width(false, 1, 2, 70000, &rc), 0);
	ck_assert_uint_eq(width(false, 2, 0, 70000, &rc), 1);
	ck_assert_uint_eq(width(false, 2, 1, 70000, &rc), 0);
	ck_assert_uint_eq(width(false, 3, 0, 70000, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	/* Size 256. */
	ck_assert_uint_eq(width(false, 0, 0, 256, &rc), 256);
	ck_assert_uint_eq(width(false, 0, 1, 256, &rc), 0);
	ck_assert_uint_eq(width(false, 1, 0, 256, &rc), 1);
	ck_assert_uint_eq(width(true, 0, 0, 256, &rc), 256);
	ck_assert_uint_eq(width(true, 0, 1, 256, &rc), 0);
	/* Size 0: no tile exists. */
	ck_assert_uint_eq(width(false, 0, 0, 0, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	ck_assert_uint_eq(width(true, 0, 0, 0, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	/* Levels too high for any tree, and bad arguments. */
	ck_assert_uint_eq(width(false, 63, 0, PT_MAX_TREE_SIZE, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	ck_assert_uint_eq(width(false, 7, 0, PT_MAX_TREE_SIZE, &rc), 64);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(width(false, 64, 0, 100, &rc), 0);
	ck_assert_int_eq(rc, PT_EINVAL);
	ck_assert_uint_eq(width(false, 0, 0, PT_MAX_TREE_SIZE + 1, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	ck_assert_uint_eq(width(true, 0, UINT64_MAX, PT_MAX_TREE_SIZE, &rc), 0);
	ck_assert_int_eq(rc, PT_ERANGE);
	ck_assert_uint_eq(width(true, 0, (PT_MAX_TREE_SIZE >> 8) - 1,
	    PT_MAX_TREE_SIZE, &rc), 256);
}
END_TEST

/* For many sizes: widths at each level add up to the hashes that exist. */
START_TEST(widths_sum)
{
	uint64_t size, n, sum, full, step = 1;
	unsigned level, w, partial;
	int rc;

	for (size = 0; size < PT_MAX_TREE_SIZE / 3; size += step) {
		if (size > 3000)
			step = size / 7 + 13;
		for (level = 0; level < 8; level++) {
			uint64_t count = level * 8 >= 64 ? 0 :
			    size >> (8 * level);
			uint64_t first = count >> 8 > 2 ? (count >> 8) - 2 : 0;

			/* Check the last few tiles exactly, infer the rest. */
			sum = first * 256;
			full = first;
			partial = 0;
			for (n = first; ; n++) {
				w = width(false, level, n, size, &rc);
				if (rc == PT_ERANGE)
					break;
				ck_assert_int_eq(rc, 0);
				ck_assert_uint_ge(w, 1);
				sum += w;
				if (w == 256)
					full++;
				else
					partial++;
			}
			ck_assert_uint_eq(sum, count);
			ck_assert_uint_eq(full, count >> 8);
			ck_assert_uint_eq(partial, (count & 255) ? 1 : 0);
			if (level == 0) {
				w = width(true, 0, count >> 8, size, &rc);
				ck_assert_uint_eq(w, (unsigned)(count & 255));
			}
		}
	}
}
END_TEST

START_TEST(bundles)
{
	static const size_t lens[] = { 0, 1, 0, 2, 255, 256, 1000, 0, 65535,
	    3 };
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	uint8_t *buf, *src;
	size_t cap = 80000, used = 0, off = 0, elen, i, j, cut, bounds[16];
	const uint8_t *e;
	int rc;

	buf = malloc(cap);
	src = malloc(65536 + 16);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(src);
	for (j = 0; j < 65536 + 16; j++)
		src[j] = (uint8_t)(j * 31 + 7);
	bounds[0] = 0;
	for (i = 0; i < nl; i++) {
		ck_assert_int_eq(tile_bundle_put(buf, cap, &used, src + i,
		    lens[i]), 0);
		bounds[i + 1] = used;
	}
	ck_assert_uint_eq(used, 2 * nl + 0 + 1 + 2 + 255 + 256 + 1000 +
	    65535 + 3);
	/* The encoding: big-endian uint16 length, then the bytes. */
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[1], 0);
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_uint_eq(buf[3], 1);
	ck_assert_uint_eq(buf[4], src[1]);
	ck_assert_uint_eq(buf[bounds[8]], 0xff);
	ck_assert_uint_eq(buf[bounds[8] + 1], 0xff);
	for (i = 0; i < nl; i++) {
		ck_assert_int_eq(tile_bundle_next(buf, used, &off, &e, &elen),
		    0);
		ck_assert_uint_eq(elen, lens[i]);
		ck_assert(e == buf + bounds[i] + 2);
		if (elen > 0)
			ck_assert_mem_eq(e, src + i, elen);
	}
	ck_assert_int_eq(tile_bundle_next(buf, used, &off, &e, &elen), 1);
	ck_assert_int_eq(tile_bundle_next(buf, used, &off, &e, &elen), 1);
	/* Empty bundle. */
	off = 0;
	ck_assert_int_eq(tile_bundle_next(buf, 0, &off, &e, &elen), 1);
	/* Every cut: at an entry boundary it is a shorter bundle, anywhere
	 * else it is truncated. */
	for (cut = 0; cut < used; cut++) {
		bool boundary = false;

		for (i = 0; i <= nl; i++)
			if (bounds[i] == cut)
				boundary = true;
		off = 0;
		while ((rc = tile_bundle_next(buf, cut, &off, &e, &elen)) == 0)
			continue;
		if (boundary)
			ck_assert_int_eq(rc, 1);
		else
			ck_assert_int_eq(rc, PT_EMALFORMED);
	}
	/* An offset past the end. */
	off = used + 1;
	ck_assert_int_eq(tile_bundle_next(buf, used, &off, &e, &elen),
	    PT_EMALFORMED);
	/* Limits on put: buf and *used untouched on failure. */
	used = 0;
	ck_assert_int_eq(tile_bundle_put(buf, cap, &used, src, 65536),
	    PT_ETOOBIG);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(tile_bundle_put(buf, 5, &used, src, 3), 0);
	ck_assert_uint_eq(used, 5);
	ck_assert_int_eq(tile_bundle_put(buf, 5, &used, src, 0), PT_ETOOBIG);
	ck_assert_uint_eq(used, 5);
	ck_assert_int_eq(tile_bundle_put(buf, 6, &used, src, 0), PT_ETOOBIG);
	ck_assert_int_eq(tile_bundle_put(buf, 7, &used, src, 0), 0);
	ck_assert_uint_eq(used, 7);
	used = 9;
	ck_assert_int_eq(tile_bundle_put(buf, 7, &used, src, 0), PT_ETOOBIG);
	/* Hand-made truncations. */
	{
		static const uint8_t one[] = { 0x00 };
		static const uint8_t short_body[] = { 0x00, 0x03, 'a', 'b' };
		static const uint8_t big_len[] = { 0xff, 0xff, 'a' };
		static const uint8_t ok_then_bad[] = { 0x00, 0x01, 'a', 0x00 };

		off = 0;
		ck_assert_int_eq(tile_bundle_next(one, 1, &off, &e, &elen),
		    PT_EMALFORMED);
		off = 0;
		ck_assert_int_eq(tile_bundle_next(short_body, 4, &off, &e,
		    &elen), PT_EMALFORMED);
		off = 0;
		ck_assert_int_eq(tile_bundle_next(big_len, 3, &off, &e, &elen),
		    PT_EMALFORMED);
		off = 0;
		ck_assert_int_eq(tile_bundle_next(ok_then_bad, 4, &off, &e,
		    &elen), 0);
		ck_assert_uint_eq(elen, 1);
		ck_assert_int_eq(tile_bundle_next(ok_then_bad, 4, &off, &e,
		    &elen), PT_EMALFORMED);
	}
	free(buf);
	free(src);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tile");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, spec_examples);
	tcase_add_test(tc, format_errors);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, malformed_paths);
	tcase_add_test(tc, widths_spec);
	tcase_add_test(tc, widths_sum);
	tcase_add_test(tc, bundles);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
