/*
 * test_evidence: split-view evidence files (client/evidence.c): exact
 * format round trip, strict parsing, and evd_check on checkpoints signed
 * with the C2SP example log key (RFC 8032 TEST 2 seed): same size with
 * different roots proves a split view; different leaves at one index with
 * inclusion proofs prove it whatever the sizes; anything else does not.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../client/evidence.h"
#include "ckpt.h"
#include "crypto.h"
#include "mt.h"
#include "note.h"
#include "pt.h"

#define LOG_SKEY "PRIVATE+KEY+example.com/behind-the-sofa+37bc54d7+AUzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7"
#define LOG_VKEY "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
#define OTHER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static struct note_skey sk;
static struct note_vkey vk, other;

/* Leaves of two branches: a[i] for i < fork, then tagged by branch. */
static struct mt_hash la[16], lb[16];

static int
rd(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	const struct mt_hash *l = ctx;
	uint64_t lo = n << level, hi = (n + 1) << level, i;
	struct mt_frontier f;

	mt_frontier_init(&f);
	for (i = lo; i < hi; i++)
		mt_frontier_push(&f, &l[i]);
	return mt_frontier_root(&f, out);
}

static void
mknote(const struct mt_hash *l, uint64_t size, char *out, size_t cap)
{
	struct mt_reader r = { rd, (void *)l };
	struct ckpt c;
	char text[512];

	memset(&c, 0, sizeof(c));
	strcpy(c.origin, "example.com/behind-the-sofa");
	c.size = size;
	ck_assert_int_eq(mt_root(&r, size, &c.root), 0);
	ck_assert_int_eq(ckpt_format(&c, text, sizeof(text), NULL), 0);
	ck_assert_int_eq(note_sign(text, strlen(text), &sk, 1, 0, out, cap,
	    NULL), 0);
}

static void
setup(void)
{
	int i;

	ck_assert_int_eq(note_skey_parse(LOG_SKEY, strlen(LOG_SKEY), &sk), 0);
	ck_assert_int_eq(note_vkey_parse(LOG_VKEY, strlen(LOG_VKEY), &vk), 0);
	ck_assert_int_eq(note_vkey_parse(OTHER_VKEY, strlen(OTHER_VKEY),
	    &other), 0);
	for (i = 0; i < 16; i++) {
		uint8_t d[2] = { 'a', (uint8_t)i };

		mt_leaf_hash(d, 2, &la[i]);
		if (i >= 5)
			d[0] = 'b';
		mt_leaf_hash(d, 2, &lb[i]);
	}
}

static int
check(const struct evd *e, struct pt_why *why)
{
	struct evd *p = malloc(sizeof(*p));
	char *buf;
	size_t len;
	int rc;

	ck_assert_int_eq(evd_format(e, &buf, &len), 0);
	ck_assert_uint_eq(strlen(buf), len);
	rc = evd_parse(buf, len, p, why);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(p->kind, e->kind);
	rc = evd_check(p, &vk, why);
	free(buf);
	free(p);
	return rc;
}

START_TEST(same_size)
{
	static char a[4096], b[4096];
	struct pt_why why = { "" };
	struct evd e;

	mknote(la, 8, a, sizeof(a));
	mknote(lb, 8, b, sizeof(b));
	memset(&e, 0, sizeof(e));
	e.kind = EVD_SAME_SIZE;
	strcpy(e.check, "two roots\nsecond line is cut");
	e.note[0] = a;
	e.note_len[0] = strlen(a);
	e.note[1] = b;
	e.note_len[1] = strlen(b);
	ck_assert_int_eq(check(&e, &why), 0);
	ck_assert(strstr(why.text, "size 8") != NULL);
	/* Another key: not proof.  The same note twice: not evidence. */
	ck_assert_int_ne(evd_check(&e, &other, &why), 0);
	e.note[1] = a;
	e.note_len[1] = strlen(a);
	ck_assert_int_eq(check(&e, &why), PT_EINVAL);
	/* Within the shared prefix the branches agree: sizes 4 and 4. */
	mknote(la, 4, a, sizeof(a));
	mknote(lb, 4, b, sizeof(b));
	e.note[0] = a;
	e.note_len[0] = strlen(a);
	e.note[1] = b;
	e.note_len[1] = strlen(b);
	ck_assert_int_eq(check(&e, &why), PT_EINVAL);
}
END_TEST

START_TEST(inclusion)
{
	static char a[4096], b[4096];
	struct mt_reader ra = { rd, la }, rb = { rd, lb };
	struct pt_why why = { "" };
	struct evd e;

	mknote(la, 7, a, sizeof(a));
	mknote(lb, 12, b, sizeof(b));
	memset(&e, 0, sizeof(e));
	e.kind = EVD_INCLUSION;
	strcpy(e.check, "entry 6 differs");
	e.index = 6;
	e.leaf[0] = la[6];
	e.leaf[1] = lb[6];
	ck_assert_int_eq(mt_inclusion_proof(&ra, 6, 7, e.path[0], PT_MAX_PROOF,
	    &e.npath[0]), 0);
	ck_assert_int_eq(mt_inclusion_proof(&rb, 6, 12, e.path[1],
	    PT_MAX_PROOF, &e.npath[1]), 0);
	e.note[0] = a;
	e.note_len[0] = strlen(a);
	e.note[1] = b;
	e.note_len[1] = strlen(b);
	ck_assert_int_eq(check(&e, &why), 0);
	ck_assert(strstr(why.text, "index 6") != NULL);
	/* Wrong path, same leaves, index out of range: not proof. */
	e.path[1][0].b[0] ^= 1;
	ck_assert_int_eq(check(&e, &why), PT_EPROOF);
	e.path[1][0].b[0] ^= 1;
	e.leaf[1] = la[6];
	ck_assert_int_eq(check(&e, &why), PT_EINVAL);
	e.leaf[1] = lb[6];
	e.index = 7;
	ck_assert_int_eq(check(&e, &why), PT_EPROOF);
	/* Kind inconsistent with a failing proof: recorded, not proof. */
	memset(&e, 0, sizeof(e));
	e.kind = EVD_INCONSISTENT;
	strcpy(e.check, "proof fails");
	e.old = 7;
	e.nproof = 1;
	e.note[0] = a;
	e.note_len[0] = strlen(a);
	e.note[1] = b;
	e.note_len[1] = strlen(b);
	ck_assert_int_eq(check(&e, &why), PT_ECONFLICT);
}
END_TEST

START_TEST(strict_parse)
{
	static char a[4096], b[4096], buf[16384];
	struct pt_why why = { "" };
	struct evd e, *p = malloc(sizeof(*p));
	char *f;
	size_t len;
	static const char *bad[][2] = {
		{ "pubtrail-evidence/v1\n", "pubtrail-evidence/v2\n" },
		{ "kind same-size", "kind samesize" },
		{ "check ", "chek " },
		{ "note ", "note 0" },
	};
	size_t i;

	mknote(la, 8, a, sizeof(a));
	mknote(lb, 8, b, sizeof(b));
	memset(&e, 0, sizeof(e));
	e.kind = EVD_SAME_SIZE;
	strcpy(e.check, "x");
	e.note[0] = a;
	e.note_len[0] = strlen(a);
	e.note[1] = b;
	e.note_len[1] = strlen(b);
	ck_assert_int_eq(evd_format(&e, &f, &len), 0);
	ck_assert_int_eq(evd_parse(f, len, p, &why), 0);
	ck_assert_uint_eq(p->note_len[1], strlen(b));
	ck_assert(memcmp(p->note[1], b, strlen(b)) == 0);
	/* Trailing bytes, truncation. */
	memcpy(buf, f, len);
	buf[len] = '\n';
	ck_assert_int_eq(evd_parse(buf, len + 1, p, &why), PT_EMALFORMED);
	ck_assert_int_eq(evd_parse(f, len - 1, p, &why), PT_EMALFORMED);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *at = strstr(f, bad[i][0]);
		size_t pre, n;

		ck_assert_ptr_nonnull(at);
		pre = (size_t)(at - f);
		memcpy(buf, f, pre);
		n = pre + (size_t)sprintf(buf + pre, "%s", bad[i][1]);
		memcpy(buf + n, at + strlen(bad[i][0]), len - pre -
		    strlen(bad[i][0]));
		n += len - pre - strlen(bad[i][0]);
		ck_assert_int_ne(evd_parse(buf, n, p, &why), 0);
	}
	free(f);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, same_size);
	tcase_add_test(tc, inclusion);
	tcase_add_test(tc, strict_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
