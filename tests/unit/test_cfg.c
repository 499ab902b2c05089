/*
 * test_cfg.c: the configuration table (daemon/cfg.c): defaults within
 * their own bounds, every numeric key's bounds exactly, unknown keys and
 * sections, string lengths, and INI files read from a temporary directory:
 * inline comments ('#' and ';') are cut off, never kept in a value; an
 * indented key is a key; over-long lines and NUL bytes are refused, never
 * split or cut short; listen's HOST:PORT split.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "pt.h"
#include "ptlimits.h"

/* Every numeric key with the bounds the man page documents. */
static const struct {
	const char *key;
	size_t off;
	uint64_t min, max, def;
} nums[] = {
	{ "batch_max", offsetof(struct cfg, batch_max), 1, PT_BATCH_MAX,
	  PT_BATCH_DEFAULT },
	{ "batch_window_ms", offsetof(struct cfg, batch_window_ms), 0, 1000,
	  PT_BATCH_WINDOW_MS },
	{ "batch_window_max_ms", offsetof(struct cfg, batch_window_max_ms), 0,
	  1000, PT_BATCH_WINDOW_MAX_MS },
	{ "verify_threads", offsetof(struct cfg, verify_threads), 0, 64, 0 },
	{ "queue_max", offsetof(struct cfg, queue_max), 1, PT_QUEUE_MAX,
	  16384 },
	{ "max_headers", offsetof(struct cfg, max_headers), 1024, 65536,
	  PT_HTTP_MAX_HEADERS },
	{ "max_body", offsetof(struct cfg, max_body), 1024, PT_MAX_SUBMISSION,
	  PT_HTTP_MAX_BODY },
	{ "request_deadline_ms", offsetof(struct cfg, request_deadline_ms),
	  100, 600000, PT_HTTP_DEADLINE_MS },
	{ "idle_timeout_s", offsetof(struct cfg, idle_timeout_s), 1, 3600,
	  PT_HTTP_IDLE_S },
	{ "max_connections", offsetof(struct cfg, max_connections), 16, 65536,
	  PT_HTTP_MAX_CONNS },
	{ "rate_limit", offsetof(struct cfg, rate_limit), 0, 1000000, 1000 },
	{ "rate_burst", offsetof(struct cfg, rate_burst), 1, 10000000, 5000 },
	{ "map_size_mb", offsetof(struct cfg, map_size_mb), 1, 1ULL << 24,
	  65536 },
	{ "verbose", offsetof(struct cfg, verbose), 0, 1, 0 },
	{ "witness_interval_ms", offsetof(struct cfg, witness_interval_ms), 10,
	  3600000, 1000 },
	{ "witness_timeout_ms", offsetof(struct cfg, witness_timeout_ms), 100,
	  600000, 5000 },
	{ "witness_wait_quorum", offsetof(struct cfg, witness_wait_quorum), 0,
	  1, 0 },
	{ "witness_receipt_timeout_ms",
	  offsetof(struct cfg, witness_receipt_timeout_ms), 1000, 3600000,
	  60000 },
};
#define NNUMS (sizeof(nums) / sizeof(nums[0]))

static uint64_t
num_at(const struct cfg *c, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)c + off, sizeof(v));
	return v;
}

static char dir[64];
static char path[128];

/* An unchecked fixture (run in the parent): the directory goes even when
 * a test fails in its forked child. */
static void
dir_setup(void)
{
	strcpy(dir, "/tmp/pt_cfg_XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/pubtraild.conf", dir);
}

static void
dir_teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/* Write len bytes of text to the config file. */
static void
write_conf(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static int
load(const char *text, struct cfg *c, struct pt_why *why)
{
	write_conf(text, strlen(text));
	cfg_defaults(c);
	why->text[0] = '\0';
	return cfg_load(c, path, why);
}

START_TEST(defaults)
{
	struct cfg c;

	cfg_defaults(&c);
	ck_assert_str_eq(c.data, "./pubtrail-data");
	ck_assert_str_eq(c.listen, "127.0.0.1:8640");
	ck_assert_str_eq(c.origin, "");
	ck_assert_str_eq(c.submitters, "");
	ck_assert_str_eq(c.witness_policy, "");
	for (size_t i = 0; i < NNUMS; i++) {
		uint64_t v = num_at(&c, nums[i].off);

		ck_assert_msg(v == nums[i].def, "%s default %" PRIu64,
		    nums[i].key, v);
		ck_assert_msg(v >= nums[i].min && v <= nums[i].max,
		    "%s default outside its bounds", nums[i].key);
	}
}
END_TEST

/* Each bound is exact: min and max accepted, one beyond refused (and the
 * value left as it was), and no other spelling of a number. */
START_TEST(numeric_bounds)
{
	for (size_t i = 0; i < NNUMS; i++) {
		struct cfg c;
		struct pt_why why;
		char v[32];

		cfg_defaults(&c);
		snprintf(v, sizeof(v), "%" PRIu64, nums[i].min);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, v, &why), 0);
		ck_assert_uint_eq(num_at(&c, nums[i].off), nums[i].min);
		snprintf(v, sizeof(v), "%" PRIu64, nums[i].max);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, v, &why), 0);
		ck_assert_uint_eq(num_at(&c, nums[i].off), nums[i].max);
		snprintf(v, sizeof(v), "%" PRIu64, nums[i].max + 1);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, v, &why), PT_EINVAL);
		ck_assert_ptr_nonnull(strstr(why.text, nums[i].key));
		ck_assert_uint_eq(num_at(&c, nums[i].off), nums[i].max);
		if (nums[i].min > 0) {
			snprintf(v, sizeof(v), "%" PRIu64, nums[i].min - 1);
			ck_assert_int_eq(cfg_set(&c, nums[i].key, v, &why),
			    PT_EINVAL);
		}
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "-1", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "+1", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "01", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, " 1", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "1 ", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "1k", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key, "0x1", NULL),
		    PT_EINVAL);
		ck_assert_int_eq(cfg_set(&c, nums[i].key,
		    "18446744073709551616", NULL), PT_EINVAL);
		ck_assert_uint_eq(num_at(&c, nums[i].off), nums[i].max);
	}
}
END_TEST

START_TEST(unknown_keys_and_strings)
{
	struct cfg c, before;
	struct pt_why why;
	char big[CFG_PATH_MAX + 1];

	cfg_defaults(&c);
	before = c;
	ck_assert_int_eq(cfg_set(&c, "nosuchkey", "1", &why), PT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(why.text, "nosuchkey"));
	ck_assert_int_eq(cfg_set(&c, "Data", "/x", NULL), PT_ENOTFOUND);
	ck_assert_int_eq(cfg_set(&c, "", "/x", NULL), PT_ENOTFOUND);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
	/* Strings: taken literally on the command line, up to the limit;
	 * data and listen may not be empty. */
	ck_assert_int_eq(cfg_set(&c, "data", "/srv/log # not a comment",
	    NULL), 0);
	ck_assert_str_eq(c.data, "/srv/log # not a comment");
	ck_assert_int_eq(cfg_set(&c, "data", "", &why), PT_EINVAL);
	ck_assert_int_eq(cfg_set(&c, "listen", "", NULL), PT_EINVAL);
	ck_assert_int_eq(cfg_set(&c, "origin", "", NULL), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(cfg_set(&c, "submitters", big, &why), PT_EINVAL);
	ck_assert_str_eq(c.submitters, "");
	big[CFG_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(cfg_set(&c, "submitters", big, NULL), 0);
	ck_assert_uint_eq(strlen(c.submitters), CFG_PATH_MAX - 1);
}
END_TEST

START_TEST(file_keys_and_sections)
{
	struct cfg c;
	struct pt_why why;

	ck_assert_int_eq(load("# a comment\n; another\n\n"
	    "data = /srv/a\n[pubtraild]\nlisten = 127.0.0.1:9\n"
	    "batch_max = 7\r\nrate_limit=0\n", &c, &why), 0);
	ck_assert_str_eq(c.data, "/srv/a");
	ck_assert_str_eq(c.listen, "127.0.0.1:9");
	ck_assert_uint_eq(c.batch_max, 7);
	ck_assert_uint_eq(c.rate_limit, 0);
	ck_assert_int_eq(load("[other]\ndata = /x\n", &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "unknown section"));
	ck_assert_int_eq(load("datum = /x\n", &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "unknown key"));
	ck_assert_ptr_nonnull(strstr(why.text, path));
	ck_assert_int_eq(load("batch_max = 0\n", &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "batch_max"));
	ck_assert_int_eq(load("data /x\n", &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, ":1: syntax error"));
	ck_assert_int_eq(load("data = /x\n[pubtraild\n", &c, &why),
	    PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, ":2: syntax error"));
	unlink(path);
	ck_assert_int_eq(cfg_load(&c, path, &why), PT_EIO);
	ck_assert_ptr_nonnull(strstr(why.text, "cannot open"));
}
END_TEST

/* "data = /x # c" used to set data to "/x # c" (and pubtraild -n said
 * OK): a comment is cut off, with the blanks before it. */
START_TEST(inline_comments_never_kept)
{
	struct cfg c;
	struct pt_why why;

	ck_assert_int_eq(load("data = /x # c\n", &c, &why), 0);
	ck_assert_str_eq(c.data, "/x");
	ck_assert_int_eq(load("data = /x\t# c\n", &c, &why), 0);
	ck_assert_str_eq(c.data, "/x");
	ck_assert_int_eq(load("data = /x ; c\n", &c, &why), 0);
	ck_assert_str_eq(c.data, "/x");
	ck_assert_int_eq(load("origin = a/b # c # d\n", &c, &why), 0);
	ck_assert_str_eq(c.origin, "a/b");
	/* Numbers too: "5 # five" is 5, not a bad number. */
	ck_assert_int_eq(load("batch_max = 5 # five\n", &c, &why), 0);
	ck_assert_uint_eq(c.batch_max, 5);
	ck_assert_int_eq(load("rate_limit = 9;x\n", &c, &why), PT_EINVAL);
	/* Inside a word a '#' is part of the value. */
	ck_assert_int_eq(load("origin = log#2\n", &c, &why), 0);
	ck_assert_str_eq(c.origin, "log#2");
	/* A value that is only a comment is empty (and data may not be). */
	ck_assert_int_eq(load("origin = # none\n", &c, &why), 0);
	ck_assert_str_eq(c.origin, "");
	ck_assert_int_eq(load("data =   # none\n", &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "data"));
}
END_TEST

/* An indented key is a key (inih would take it as a continuation line of
 * the previous value); over-long lines and NUL bytes are refused. */
START_TEST(lines_whole_or_refused)
{
	struct cfg c;
	struct pt_why why;
	char text[512];

	ck_assert_int_eq(load("[pubtraild]\n  data = /a\n\tlisten = 1.2.3.4:5\n",
	    &c, &why), 0);
	ck_assert_str_eq(c.data, "/a");
	ck_assert_str_eq(c.listen, "1.2.3.4:5");
	/* 199 bytes and the newline: the longest line. */
	memset(text, 0, sizeof(text));
	memcpy(text, "data = /", 8);
	memset(text + 8, 'a', 191);
	text[199] = '\n';
	ck_assert_int_eq(load(text, &c, &why), 0);
	ck_assert_uint_eq(strlen(c.data), 192);
	/* One more: refused, not split into "data = /aaa" and a second line
	 * "a...listen=1.2.3.4:5". */
	memset(text, 0, sizeof(text));
	memcpy(text, "data = /", 8);
	memset(text + 8, 'a', 192);
	strcat(text, "listen=1.2.3.4:5\n");
	ck_assert_int_eq(load(text, &c, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, ":1: line too long"));
	ck_assert_str_eq(c.data, "./pubtrail-data");
	/* A NUL byte in a value. */
	write_conf("listen = 1.2.3.4:5\ndata = /x\0junk\n", 32);
	cfg_defaults(&c);
	ck_assert_int_eq(cfg_load(&c, path, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, ":2: NUL byte"));
	/* No newline at the end of the file. */
	ck_assert_int_eq(load("data = /y", &c, &why), 0);
	ck_assert_str_eq(c.data, "/y");
}
END_TEST

START_TEST(listen_split)
{
	static const struct {
		const char *listen;
		int rc;
		const char *host;
		uint16_t port;
	} v[] = {
		{ "127.0.0.1:8640", 0, "127.0.0.1", 8640 },
		{ "localhost:0", 0, "localhost", 0 },
		{ "[::1]:65535", 0, "::1", 65535 },
		{ "[::1]:65536", PT_EINVAL, NULL, 0 },
		{ "127.0.0.1", PT_EINVAL, NULL, 0 },
		{ ":80", PT_EINVAL, NULL, 0 },
		{ "h:", PT_EINVAL, NULL, 0 },
		{ "h:08", PT_EINVAL, NULL, 0 },
		{ "h:-1", PT_EINVAL, NULL, 0 },
		{ "[::1:80", PT_EINVAL, NULL, 0 },
		{ "[]:80", PT_EINVAL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct cfg c;
		char host[64];
		uint16_t port = 1;

		cfg_defaults(&c);
		ck_assert_int_eq(cfg_set(&c, "listen", v[i].listen, NULL), 0);
		ck_assert_msg(cfg_listen_split(&c, host, sizeof(host), &port)
		    == v[i].rc, "%s", v[i].listen);
		if (v[i].rc == 0) {
			ck_assert_str_eq(host, v[i].host);
			ck_assert_uint_eq(port, v[i].port);
		}
	}
	{
		struct cfg c;
		char host[4];
		uint16_t port;

		cfg_defaults(&c);
		ck_assert_int_eq(cfg_listen_split(&c, host, sizeof(host),
		    &port), PT_EINVAL);
	}
}
END_TEST

/* --help and the man page come from the same table: every key is there. */
START_TEST(describe_names_every_key)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	cfg_describe(f);
	fclose(f);
	for (size_t i = 0; i < NNUMS; i++)
		ck_assert_msg(strstr(buf, nums[i].key) != NULL, "%s",
		    nums[i].key);
	ck_assert_ptr_nonnull(strstr(buf, "data"));
	ck_assert_ptr_nonnull(strstr(buf, "witness_policy"));
	ck_assert_ptr_nonnull(strstr(buf, "witness_cacert"));
	free(buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, numeric_bounds);
	tcase_add_test(tc, unknown_keys_and_strings);
	tcase_add_test(tc, file_keys_and_sections);
	tcase_add_test(tc, inline_comments_never_kept);
	tcase_add_test(tc, lines_whole_or_refused);
	tcase_add_test(tc, listen_split);
	tcase_add_test(tc, describe_names_every_key);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
