/*
 * test_webroot.c: the citizen page's static files (daemon/webroot.c).
 * Path syntax (what may name a file), fixed content types and cache rules,
 * symbolic links not followed, directories and oversized files refused,
 * nothing outside the root, and the log's own /config.json when the
 * directory has none.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "ptlimits.h"
#include "allow.h"
#include "note.h"
#include "wire.h"
#include "webroot.h"

static char dir[64];
static char outside[64];

static void
put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
rm_rf(const char *d)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		perror("rm");
}

/* Unchecked fixture: removed even when a test fails. */
static void
root_setup(void)
{
	char p[256];

	strcpy(dir, "/tmp/pt_webroot_XXXXXX");
	strcpy(outside, "/tmp/pt_webroot_out_XXXXXX");
	if (mkdtemp(dir) == NULL || mkdtemp(outside) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(p, sizeof(p), "%s/js", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir.js", dir);
	mkdir(p, 0755);
}

static void
root_teardown(void)
{
	rm_rf(dir);
	rm_rf(outside);
}

struct got {
	struct webroot_answer a;
	char body[4096];
	size_t len;
};

static void
serve(const char *path, const struct webroot_log *log, struct got *g)
{
	struct evbuffer *b = evbuffer_new();

	memset(g, 0, sizeof(*g));
	webroot_serve(dir, path, log, b, &g->a);
	g->len = evbuffer_get_length(b);
	if (g->len < sizeof(g->body))
		evbuffer_copyout(b, g->body, g->len);
	evbuffer_free(b);
}

START_TEST(path_syntax)
{
	static const char *const ok[] = { "index.html", "js/app.js",
	    "lib/msgpack/utils/int.mjs", "a-b_c.d.css", "x" };
	static const char *const bad[] = { "", "/index.html", "../x.html",
	    "js/../index.html", ".hidden", "js/.x.js", "js//app.js", "js/",
	    "a b.html", "%2e%2e/x.html", "x\\y.html", "index.html?x",
	    "\xc3\xa9.html", "a:b.html", "~root.html" };
	char big[WEBROOT_MAX_PATH + 2];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(webroot_path_ok(ok[i], strlen(ok[i])) == 0,
		    "%s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(webroot_path_ok(bad[i], strlen(bad[i])) != 0,
		    "%s", bad[i]);
	/* The length counts, not a NUL. */
	ck_assert(webroot_path_ok("a.js\0.html", 10) != 0);
	memset(big, 'a', sizeof(big));
	ck_assert(webroot_path_ok(big, WEBROOT_MAX_PATH) == 0);
	ck_assert(webroot_path_ok(big, WEBROOT_MAX_PATH + 1) != 0);
}
END_TEST

START_TEST(files_and_types)
{
	struct got g;

	put("index.html", "<!doctype html>hello");
	put("js/app.js", "export {};");
	put("style.css", "body{}");
	put("notes.conf", "secret");
	serve("/", NULL, &g);
	ck_assert_int_eq(g.a.status, 200);
	ck_assert_str_eq(g.a.ctype, "text/html; charset=utf-8");
	ck_assert_str_eq(g.a.cache, "no-cache");
	ck_assert_ptr_nonnull(g.a.csp);
	ck_assert(strstr(g.a.csp, "default-src 'none'") != NULL);
	ck_assert_int_eq((int)g.len, 20);
	ck_assert(memcmp(g.body, "<!doctype html>hello", 20) == 0);
	serve("/js/app.js", NULL, &g);
	ck_assert_int_eq(g.a.status, 200);
	ck_assert_str_eq(g.a.ctype, "text/javascript; charset=utf-8");
	ck_assert_str_eq(g.a.cache, "public, max-age=300");
	ck_assert_ptr_null(g.a.csp);
	serve("/style.css", NULL, &g);
	ck_assert_str_eq(g.a.ctype, "text/css; charset=utf-8");
	/* An extension outside the table is not served, whatever exists. */
	serve("/notes.conf", NULL, &g);
	ck_assert_int_eq(g.a.status, 404);
	ck_assert_str_eq(g.a.ctype, "text/plain; charset=utf-8");
	ck_assert(strstr(g.body, "secret") == NULL);
	serve("/missing.js", NULL, &g);
	ck_assert_int_eq(g.a.status, 404);
	serve("/js/../index.html", NULL, &g);
	ck_assert_int_eq(g.a.status, 404);
	/* A directory named like a file. */
	serve("/dir.js", NULL, &g);
	ck_assert_int_eq(g.a.status, 404);
}
END_TEST

START_TEST(symlinks_and_size)
{
	char target[256], link[256];
	struct got g;
	int fd;

	snprintf(target, sizeof(target), "%s/secret.txt", outside);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq((int)write(fd, "outside", 7), 7);
	close(fd);
	snprintf(link, sizeof(link), "%s/leak.txt", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	serve("/leak.txt", NULL, &g);
	ck_assert_int_eq(g.a.status, 404);
	ck_assert(strstr(g.body, "outside") == NULL);
	/* Over PT_WEB_MAX_FILE: refused, nothing read. */
	snprintf(link, sizeof(link), "%s/big.js", dir);
	fd = open(link, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)PT_WEB_MAX_FILE + 1), 0);
	close(fd);
	serve("/big.js", NULL, &g);
	ck_assert_int_eq(g.a.status, 500);
	ck_assert(g.len < 100);
	/* An empty file is a file. */
	put("empty.txt", "");
	serve("/empty.txt", NULL, &g);
	ck_assert_int_eq(g.a.status, 200);
	ck_assert_int_eq((int)g.len, 0);
}
END_TEST

/* A log's grants with one office key in force (its verifier key string
 * into vk), granted in memory by a registrar of its own. */
static struct allow *
one_office(const struct note_vkey *logkey, char *vk, size_t cap)
{
	struct note_skey reg, office;
	struct allow *a;
	struct allow_batch ab = { NULL };
	struct wire_buf rec;
	struct wire_submission sub;
	struct pt_why why = { "" };
	char rv[PT_MAX_VKEY + 1];

	ck_assert_int_eq(note_keygen("registrar", NOTE_ALG_ED25519, &reg), 0);
	ck_assert_int_eq(note_keygen("finance.example.gov", NOTE_ALG_ED25519,
	    &office), 0);
	ck_assert_int_eq(note_vkey_format(&office.vk, vk, cap), 0);
	ck_assert_int_eq(note_vkey_format(&reg.vk, rv, sizeof(rv)), 0);
	ck_assert_int_eq(allow_new(logkey, rv, &a, &why), 0);
	wire_buf_init(&rec);
	ck_assert_int_eq(wire_enc_map(&rec, 8) | wire_enc_cstr(&rec, "action") |
	    wire_enc_cstr(&rec, "grant") | wire_enc_cstr(&rec, "id") |
	    wire_enc_cstr(&rec, "G-1") | wire_enc_cstr(&rec, "key") |
	    wire_enc_cstr(&rec, vk) | wire_enc_cstr(&rec, "name") |
	    wire_enc_cstr(&rec, "Finance") |
	    wire_enc_cstr(&rec, "organization") | wire_enc_map(&rec, 4) |
	    wire_enc_cstr(&rec, "id") | wire_enc_cstr(&rec, "FIN") |
	    wire_enc_cstr(&rec, "kind") | wire_enc_cstr(&rec, "organization") |
	    wire_enc_cstr(&rec, "name") | wire_enc_cstr(&rec, "Finance") |
	    wire_enc_cstr(&rec, "scheme") | wire_enc_cstr(&rec, "XI-TEST") |
	    wire_enc_cstr(&rec, "reason") | wire_enc_cstr(&rec, "test") |
	    wire_enc_cstr(&rec, "type") | wire_enc_cstr(&rec, "office_key") |
	    wire_enc_cstr(&rec, "types") | wire_enc_array(&rec, 1) |
	    wire_enc_cstr(&rec, "payment"), 0);
	ck_assert_int_eq(wire_submission_sign(&reg, "example.gov/payments",
	    rec.data, rec.len, &sub, rv, sizeof(rv)), 0);
	ck_assert_msg(allow_batch_apply(a, &ab, 0, 1, &sub, &why) == 0, "%s",
	    why.text);
	allow_batch_commit(a, &ab);
	wire_buf_free(&rec);
	note_skey_wipe(&reg);
	note_skey_wipe(&office);
	return a;
}

START_TEST(config_json)
{
	static const char vkey[] =
	    "example.gov/payments+a40eb6c0+ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
	struct note_vkey lk;
	char office[PT_MAX_VKEY + 1];
	struct webroot_log log = { vkey, "", NULL };
	char pol[256];
	struct got g;
	json_t *j;
	FILE *f;

	ck_assert_int_eq(note_vkey_parse(vkey, strlen(vkey), &lk), 0);
	log.allow = one_office(&lk, office, sizeof(office));
	serve("/config.json", &log, &g);
	ck_assert_int_eq(g.a.status, 200);
	ck_assert_str_eq(g.a.ctype, "application/json");
	ck_assert_str_eq(g.a.cache, "no-cache");
	g.body[g.len] = '\0';
	j = json_loads(g.body, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "log_key")), vkey);
	ck_assert(json_is_null(json_object_get(j, "policy")));
	ck_assert(json_is_true(json_object_get(j, "served_by_log")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j,
	    "offices"), 0)), office);
	json_decref(j);
	/* With a policy file: its text. */
	snprintf(pol, sizeof(pol), "%s/policy", outside);
	f = fopen(pol, "w");
	fputs("quorum none\n", f);
	fclose(f);
	log.policy_path = pol;
	serve("/config.json", &log, &g);
	g.body[g.len] = '\0';
	j = json_loads(g.body, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "policy")),
	    "quorum none\n");
	json_decref(j);
	/* An unreadable policy: 500, not a config that says "none". */
	log.policy_path = "/nonexistent/policy";
	serve("/config.json", &log, &g);
	ck_assert_int_eq(g.a.status, 500);
	/* A config.json in the directory wins (a watchdog's own). */
	put("config.json", "{\"log_key\": \"pinned\"}");
	serve("/config.json", &log, &g);
	ck_assert_int_eq(g.a.status, 200);
	ck_assert(memcmp(g.body, "{\"log_key\": \"pinned\"}", 21) == 0);
	/* No web root: nothing is served. */
	{
		struct evbuffer *b = evbuffer_new();
		struct webroot_answer a;

		webroot_serve("", "/index.html", &log, b, &a);
		ck_assert_int_eq(a.status, 404);
		evbuffer_free(b);
	}
	allow_free(log.allow);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("webroot");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_test(tc, path_syntax);
	tcase_add_test(tc, files_and_types);
	tcase_add_test(tc, symlinks_and_size);
	tcase_add_test(tc, config_json);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
