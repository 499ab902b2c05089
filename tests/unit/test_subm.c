/*
 * test_subm.c: the allowed-submitters file (daemon/subm.c), read from a
 * temporary directory with keys made here, and the per-submitter token
 * buckets driven with explicit clocks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "note.h"
#include "pt.h"
#include "record.h"
#include "subm.h"
#include "wire.h"

static char dir[64];
static char path[128];

/* Unchecked (parent) fixture: removed even when a test fails. */
static void
dir_setup(void)
{
	strcpy(dir, "/tmp/pt_subm_XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/submitters", dir);
}

static void
dir_teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void
write_file(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* A new verifier key string of algorithm alg named name. */
static void
vkey(const char *name, uint8_t alg, char *out, size_t cap)
{
	struct note_skey k;

	ck_assert_int_eq(note_keygen(name, alg, &k), 0);
	ck_assert_int_eq(note_vkey_format(&k.vk, out, cap), 0);
	note_skey_wipe(&k);
}

static int
load_text(const char *text, struct subm_list **l, struct pt_why *why)
{
	write_file(text, strlen(text));
	why->text[0] = '\0';
	*l = NULL;
	return subm_load(path, l, why);
}

START_TEST(missing_file_is_empty)
{
	struct subm_list *l = NULL;
	struct pt_why why;

	unlink(path);
	ck_assert_int_eq(subm_load(path, &l, &why), 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->n, 0);
	ck_assert_ptr_null(subm_find(l, "x", 1));
	subm_free(l);
	subm_free(NULL);
	/* A directory is not a file of submitters. */
	ck_assert_int_ne(subm_load(dir, &l, &why), 0);
}
END_TEST

START_TEST(keys_types_comments)
{
	char a[PT_MAX_VKEY + 1], b[PT_MAX_VKEY + 1], c[PT_MAX_VKEY + 1];
	char text[2048];
	struct subm_list *l;
	struct subm_entry *e;
	struct pt_why why;
	uint8_t id[32];

	vkey("finance-office", NOTE_ALG_ED25519, a, sizeof(a));
	vkey("permit-office", NOTE_ALG_ED25519, b, sizeof(b));
	vkey("both", NOTE_ALG_ED25519, c, sizeof(c));
	snprintf(text, sizeof(text),
	    "# allowed offices\n"
	    "\n"
	    "   \t\n"
	    "%s   # every type\n"
	    "\t%s permit_decision correction\r\n"
	    "%s payment\tpermit_decision", a, b, c);
	ck_assert_int_eq(load_text(text, &l, &why), 0);
	ck_assert_uint_eq(l->n, 3);
	e = subm_find(l, a, strlen(a));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->types, ~0u);
	ck_assert_int_eq(wire_submitter_id(a, strlen(a), id), 0);
	ck_assert_int_eq(memcmp(id, e->id, 32), 0);
	e = subm_find(l, b, strlen(b));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->types, (1u << RECORD_PERMIT_DECISION) |
	    (1u << RECORD_CORRECTION));
	e = subm_find(l, c, strlen(c));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->types, (1u << RECORD_PAYMENT) |
	    (1u << RECORD_PERMIT_DECISION));
	/* Found by the whole string only: no prefix, no longer string. */
	ck_assert_ptr_null(subm_find(l, a, strlen(a) - 1));
	ck_assert_ptr_null(subm_find(l, "finance-office", 14));
	{
		char longer[PT_MAX_VKEY + 2];

		snprintf(longer, sizeof(longer), "%sx", a);
		ck_assert_ptr_null(subm_find(l, longer, strlen(longer)));
	}
	subm_free(l);
}
END_TEST

START_TEST(refusals_name_file_and_line)
{
	char a[PT_MAX_VKEY + 1], cos[PT_MAX_VKEY + 1], text[4096];
	struct subm_list *l;
	struct pt_why why;
	char where[160];

	vkey("office", NOTE_ALG_ED25519, a, sizeof(a));
	vkey("witness", NOTE_ALG_COSIG_V1, cos, sizeof(cos));

	snprintf(where, sizeof(where), "%s:2: ", path);
	snprintf(text, sizeof(text), "# x\n%s payments\n", a);
	ck_assert_int_eq(load_text(text, &l, &why), PT_EINVAL);
	ck_assert_ptr_null(l);
	ck_assert_ptr_nonnull(strstr(why.text, where));
	ck_assert_ptr_nonnull(strstr(why.text, "unknown record type"));

	snprintf(text, sizeof(text), "\n%s\n", cos);
	ck_assert_int_eq(load_text(text, &l, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "Ed25519"));

	ck_assert_int_eq(load_text("\nnot-a-key\n", &l, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, where));
	ck_assert_ptr_nonnull(strstr(why.text, "bad verifier key"));

	snprintf(text, sizeof(text), "%s\n%s payment\n", a, a);
	ck_assert_int_eq(load_text(text, &l, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, where));
	ck_assert_ptr_nonnull(strstr(why.text, "duplicate key"));

	/* A line is seen whole: a NUL byte is refused, not the end. */
	snprintf(text, sizeof(text), "# x\n%s", a);
	{
		size_t n = strlen(text);

		memcpy(text + n, "\0 payment\n", 10);
		write_file(text, n + 10);
	}
	ck_assert_int_eq(subm_load(path, &l, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, where));
	ck_assert_ptr_nonnull(strstr(why.text, "NUL byte"));

	/* SUBM_MAX_LINE bytes pass (a comment), one more is refused. */
	memset(text, ' ', sizeof(text));
	text[0] = '#';
	text[SUBM_MAX_LINE] = '\n';
	write_file(text, SUBM_MAX_LINE + 1);
	ck_assert_int_eq(subm_load(path, &l, &why), 0);
	ck_assert_uint_eq(l->n, 0);
	subm_free(l);
	text[SUBM_MAX_LINE] = ' ';
	text[SUBM_MAX_LINE + 1] = '\n';
	write_file(text, SUBM_MAX_LINE + 2);
	ck_assert_int_eq(subm_load(path, &l, &why), PT_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "line longer"));
}
END_TEST

START_TEST(rate_limit_bucket)
{
	struct subm_entry e;
	uint64_t t = 1000000;

	memset(&e, 0, sizeof(e));
	/* rate 10/s, burst 3: three at once, then one per 100 ms. */
	ck_assert_int_eq(subm_peek(&e, t, 10, 3), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(subm_take(&e, t, 10, 3), 0);
	ck_assert_int_eq(subm_peek(&e, t, 10, 3), PT_ERATE);
	ck_assert_int_eq(subm_take(&e, t, 10, 3), PT_ERATE);
	ck_assert_int_eq(subm_take(&e, t + 99, 10, 3), PT_ERATE);
	ck_assert_int_eq(subm_take(&e, t + 100, 10, 3), 0);
	ck_assert_int_eq(subm_take(&e, t + 100, 10, 3), PT_ERATE);
	/* Peeking takes nothing. */
	ck_assert_int_eq(subm_peek(&e, t + 200, 10, 3), 0);
	ck_assert_int_eq(subm_peek(&e, t + 200, 10, 3), 0);
	ck_assert_int_eq(subm_take(&e, t + 200, 10, 3), 0);
	ck_assert_int_eq(subm_peek(&e, t + 200, 10, 3), PT_ERATE);
	/* A refund gives one back, never beyond the burst. */
	subm_refund(&e, 10, 3);
	ck_assert_int_eq(subm_take(&e, t + 200, 10, 3), 0);
	ck_assert_int_eq(subm_take(&e, t + 200, 10, 3), PT_ERATE);
	for (int i = 0; i < 10; i++)
		subm_refund(&e, 10, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(subm_take(&e, t + 200, 10, 3), 0);
	ck_assert_int_eq(subm_take(&e, t + 200, 10, 3), PT_ERATE);
	/* A long pause fills up to the burst only. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(subm_take(&e, t + 3600000, 10, 3), 0);
	ck_assert_int_eq(subm_take(&e, t + 3600000, 10, 3), PT_ERATE);
	/* A clock that goes back adds nothing (and does not move last_ms
	 * back, so the time is not counted twice). */
	ck_assert_int_eq(subm_take(&e, t, 10, 3), PT_ERATE);
	ck_assert_int_eq(subm_take(&e, t + 3600000 + 99, 10, 3), PT_ERATE);
	ck_assert_int_eq(subm_take(&e, t + 3600000 + 100, 10, 3), 0);
}
END_TEST

START_TEST(rate_zero_is_unlimited)
{
	struct subm_entry e;

	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(subm_take(&e, 5, 0, 1), 0);
	ck_assert_int_eq(subm_peek(&e, 5, 0, 1), 0);
	subm_refund(&e, 0, 1);
}
END_TEST

/* A reload keeps the buckets of the keys that stay listed. */
START_TEST(carry_over_reload)
{
	char a[PT_MAX_VKEY + 1], b[PT_MAX_VKEY + 1], text[1024];
	struct subm_list *old, *nw;
	struct subm_entry *e;
	struct pt_why why;

	vkey("a", NOTE_ALG_ED25519, a, sizeof(a));
	vkey("b", NOTE_ALG_ED25519, b, sizeof(b));
	snprintf(text, sizeof(text), "%s\n%s\n", a, b);
	ck_assert_int_eq(load_text(text, &old, &why), 0);
	e = subm_find(old, a, strlen(a));
	ck_assert_int_eq(subm_take(e, 1000, 1, 1), 0);
	ck_assert_int_eq(subm_take(e, 1000, 1, 1), PT_ERATE);
	snprintf(text, sizeof(text), "%s payment\n", a);
	ck_assert_int_eq(load_text(text, &nw, &why), 0);
	subm_carry(nw, old);
	subm_free(old);
	e = subm_find(nw, a, strlen(a));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->types, 1u << RECORD_PAYMENT);
	ck_assert_int_eq(subm_take(e, 1000, 1, 1), PT_ERATE);
	ck_assert_int_eq(subm_take(e, 2000, 1, 1), 0);
	ck_assert_ptr_null(subm_find(nw, b, strlen(b)));
	subm_carry(nw, NULL);
	subm_free(nw);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("subm");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, missing_file_is_empty);
	tcase_add_test(tc, keys_types_comments);
	tcase_add_test(tc, refusals_name_file_and_line);
	tcase_add_test(tc, rate_limit_bucket);
	tcase_add_test(tc, rate_zero_is_unlimited);
	tcase_add_test(tc, carry_over_reload);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
