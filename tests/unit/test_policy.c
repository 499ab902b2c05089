/*
 * test_policy: C2SP tlog-policy parsing (the spec's example, every rule),
 * quorum evaluation (exhaustive truth tables) and pol_check_checkpoint on
 * the C2SP tlog-cosignature known-answer checkpoint.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "note.h"
#include "policy.h"
#include "pt.h"

/* The C2SP example checkpoint, log signature and witness cosignature
 * (RFC 8032 TEST 2 / TEST 1 seeds; see docs/PROTOCOL.md 2.3). */
#define CK_BODY "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define W1_VKEY "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define W1_LINE "\xe2\x80\x94 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n"
#define W1_TIME 1679315147ULL
#define LOG_VKEY "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
#define LOG_LINE "\xe2\x80\x94 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n"
#define NOTE CK_BODY "\n" LOG_LINE W1_LINE

static char wk[8][300];		/* fresh cosignature verifier keys */
static char lk2[300];		/* another log key */

static void
setup(void)
{
	struct note_skey k;
	char name[32];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "w%d.example", i);
		ck_assert_int_eq(note_keygen(name, NOTE_ALG_COSIG_V1, &k), 0);
		ck_assert_int_eq(note_vkey_format(&k.vk, wk[i], sizeof(wk[i])),
		    0);
		note_skey_wipe(&k);
	}
	ck_assert_int_eq(note_keygen("other.example/log", NOTE_ALG_ED25519,
	    &k), 0);
	ck_assert_int_eq(note_vkey_format(&k.vk, lk2, sizeof(lk2)), 0);
	note_skey_wipe(&k);
}

static struct pol *
parse(const char *text, int want)
{
	static struct pol p;
	struct pt_why why = { "" };
	int rc = pol_parse(text, strlen(text), &p, &why);

	if (rc != want)
		ck_abort_msg("pol_parse = %d (%s), want %d, for:\n%s", rc,
		    why.text, want, text);
	if (rc != 0)
		ck_assert(why.text[0] != '\0');
	return &p;
}

/* The C2SP example: two groups of three, 2-of-3 X and any Y, both. */
START_TEST(spec_example)
{
	char buf[8192];
	struct pol *p;
	unsigned m;

	snprintf(buf, sizeof(buf),
	    "log %s\n\n"
	    "witness X1 %s\nwitness X2 %s\nwitness X3 %s\n"
	    "group X-witnesses 2 X1 X2 X3\n\n"
	    "witness Y1 %s\nwitness Y2 %s\nwitness Y3 %s\n"
	    "group Y-witnesses any Y1 Y2 Y3\n\n"
	    "group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
	    LOG_VKEY, wk[0], wk[1], wk[2], wk[3], wk[4], wk[5]);
	p = parse(buf, 0);
	ck_assert_uint_eq(p->nlogs, 1);
	ck_assert_uint_eq(p->nwit, 6);
	ck_assert_uint_eq(p->ngroups, 3);
	ck_assert_uint_eq(p->groups[0].k, 2);
	ck_assert_uint_eq(p->groups[1].k, 1);
	ck_assert_uint_eq(p->groups[2].k, 2);
	ck_assert_uint_eq(p->quorum, POL_GROUP_BASE + 2);
	ck_assert_str_eq(p->wit[3].name, "Y1");
	for (m = 0; m < 64; m++) {
		int x = __builtin_popcount(m & 7) >= 2;
		int y = (m >> 3) != 0;

		ck_assert_int_eq(pol_quorum_met(p, m), x && y);
	}
}
END_TEST

START_TEST(syntax_details)
{
	char buf[8192];
	struct pol *p;

	/* Tabs, leading/trailing blanks, comments, URLs, single witness. */
	snprintf(buf, sizeof(buf),
	    "# a comment\n  \t\n\tlog\t%s  http://log.example/  \n"
	    "  # indented comment\n"
	    "witness  w\t%s http://w.example/prefix\t\nquorum w \n",
	    LOG_VKEY, W1_VKEY);
	p = parse(buf, 0);
	ck_assert_str_eq(p->logs[0].url, "http://log.example/");
	ck_assert_str_eq(p->wit[0].url, "http://w.example/prefix");
	ck_assert_uint_eq(p->quorum, 0);
	ck_assert_int_eq(pol_quorum_met(p, 0), 0);
	ck_assert_int_eq(pol_quorum_met(p, 1), 1);
	/* quorum none, no logs, no witnesses */
	p = parse("quorum none\n", 0);
	ck_assert_uint_eq(p->quorum, POL_NONE);
	ck_assert_int_eq(pol_quorum_met(p, 0), 1);
	/* Non-ASCII names are opaque octets. */
	snprintf(buf, sizeof(buf), "witness \xe2\x84\xaa %s\n"
	    "witness K %s\ngroup g all K \xe2\x84\xaa\nquorum g\n", wk[0],
	    wk[1]);
	p = parse(buf, 0);
	ck_assert_int_eq(pol_quorum_met(p, 1), 0);
	ck_assert_int_eq(pol_quorum_met(p, 3), 1);
}
END_TEST

START_TEST(rejects)
{
	char buf[8192];
	int i;
	size_t n;

	parse("", PT_EMALFORMED);				/* no quorum */
	parse("quorum none", PT_EMALFORMED);			/* no final \n */
	parse("quorum none\nquorum none\n", PT_EMALFORMED);
	parse("quorum x\n", PT_EMALFORMED);
	parse("quorum\n", PT_EMALFORMED);
	parse("quorum none extra\n", PT_EMALFORMED);
	parse("quorm none\n", PT_EMALFORMED);
	parse("quorum none\r\n", PT_EMALFORMED);		/* CR */
	parse("quorum none\n\x01\n", PT_EMALFORMED);
	parse("quorum none\n#\x7f\n", PT_EMALFORMED);
	parse("\x00quorum none\n", PT_EMALFORMED);
	/* Forward reference, duplicates, reserved name, thresholds. */
	snprintf(buf, sizeof(buf), "group g any a\nwitness a %s\nquorum g\n",
	    wk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "quorum a\nwitness a %s\n", wk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\nwitness a %s\nquorum a\n",
	    wk[0], wk[1]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\ngroup a any a\nquorum a\n",
	    wk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness none %s\nquorum none\n", wk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\ngroup g any a none\n"
	    "quorum g\n", wk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\nwitness b %s\n"
	    "group g any a b a\nquorum g\n", wk[0], wk[1]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\ngroup g any\nquorum g\n",
	    wk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\ngroup g\nquorum g\n", wk[0]);
	parse(buf, PT_EMALFORMED);
	{
		static const char *bad[] = { "0", "3", "01", "-1", "+1",
		    "1.0", "ALL", "18446744073709551617" };
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			snprintf(buf, sizeof(buf), "witness a %s\nwitness b "
			    "%s\ngroup g %s a b\nquorum g\n", wk[0], wk[1],
			    bad[i]);
			parse(buf, PT_EMALFORMED);
		}
		snprintf(buf, sizeof(buf), "witness a %s\nwitness b %s\n"
		    "group g 2 a b\nquorum g\n", wk[0], wk[1]);
		parse(buf, 0);
	}
	/* Key types and duplicates (same public key, another name). */
	snprintf(buf, sizeof(buf), "witness a %s\nquorum a\n", LOG_VKEY);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "log %s\nquorum none\n", W1_VKEY);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "log %s\nlog %s\nquorum none\n", LOG_VKEY,
	    LOG_VKEY);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "witness a %s\nwitness b %s\nquorum a\n",
	    W1_VKEY, W1_VKEY);
	parse(buf, PT_EMALFORMED);
	parse("witness a notakey+00000000+AAAA\nquorum a\n", PT_EMALFORMED);
	parse("log\nquorum none\n", PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "log %s u extra\nquorum none\n", LOG_VKEY);
	parse(buf, PT_EMALFORMED);
	/* Limits. */
	n = 0;
	for (i = 0; i <= PT_POLICY_MAX_WITNESSES; i++) {
		struct note_skey k;
		char v[300], name[16];

		snprintf(name, sizeof(name), "x%d", i);
		ck_assert_int_eq(note_keygen(name, NOTE_ALG_COSIG_V1, &k), 0);
		note_vkey_format(&k.vk, v, sizeof(v));
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "witness %s %s\n", name, v);
	}
	snprintf(buf + n, sizeof(buf) - n, "quorum x0\n");
	parse(buf, PT_ETOOBIG);
	memset(buf, 'a', 200);
	memcpy(buf, "witness ", 8);
	snprintf(buf + 200, sizeof(buf) - 200, " %s\nquorum none\n", wk[0]);
	parse(buf, PT_ETOOBIG);
	{
		char *big = malloc(PT_POLICY_MAX + 2);
		struct pol *p = malloc(sizeof(*p));

		memset(big, '\n', PT_POLICY_MAX + 1);
		ck_assert_int_eq(pol_parse(big, PT_POLICY_MAX + 1, p, NULL),
		    PT_ETOOBIG);
		free(big);
		free(p);
	}
}
END_TEST

START_TEST(check_known_checkpoint)
{
	char buf[4096];
	struct pt_why why = { "" };
	struct note_vkey logk, other;
	struct ckpt ck;
	struct pol *p;
	uint64_t mask;

	ck_assert_int_eq(note_vkey_parse(LOG_VKEY, strlen(LOG_VKEY), &logk), 0);
	ck_assert_int_eq(note_vkey_parse(lk2, strlen(lk2), &other), 0);
	/* quorum w1 (second witness), met at the cosignature's time. */
	snprintf(buf, sizeof(buf), "log %s\nwitness a %s\nwitness w1 %s\n"
	    "quorum w1\n", LOG_VKEY, wk[0], W1_VKEY);
	p = parse(buf, 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME, 0, &ck, &mask, &why), 0);
	ck_assert_uint_eq(mask, 2);
	ck_assert_uint_eq(ck.size, 20852163);
	/* The log key from the policy. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), NULL,
	    W1_TIME, 0, NULL, NULL, &why), 0);
	/* From the future: only within the skew. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME - 301, 300, NULL, &mask, &why), PT_ETIME);
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME - 300, 300, NULL, NULL, &why), 0);
	/* A log key the policy does not list. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &other,
	    W1_TIME, 0, NULL, NULL, &why), PT_EUNKNOWNSIGNER);
	/* Without the cosignature line: quorum not met. */
	ck_assert_int_eq(pol_check_checkpoint(p, CK_BODY "\n" LOG_LINE,
	    strlen(CK_BODY "\n" LOG_LINE), &logk, W1_TIME, 0, NULL, NULL,
	    &why), PT_EUNKNOWNSIGNER);
	ck_assert(strstr(why.text, "quorum") != NULL);
	/* 2 of 2 with only one: not met; quorum none: met. */
	snprintf(buf, sizeof(buf), "witness a %s\nwitness w1 %s\n"
	    "group g all a w1\nquorum g\n", wk[0], W1_VKEY);
	p = parse(buf, 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME, 0, NULL, NULL, &why), PT_EUNKNOWNSIGNER);
	p = parse("quorum none\n", 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME, 0, NULL, NULL, &why), 0);
	/* No logs in the policy and no key given. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), NULL,
	    W1_TIME, 0, NULL, NULL, &why), PT_EUNKNOWNSIGNER);
	/* A cosignature by a policy witness that does not verify rejects. */
	{
		char bad[4096];
		char *q;

		snprintf(bad, sizeof(bad), "%s", NOTE);
		q = strstr(bad, "fm9Kqg") + 20;
		*q = *q == 'A' ? 'B' : 'A';
		snprintf(buf, sizeof(buf), "witness w1 %s\nquorum none\n",
		    W1_VKEY);
		p = parse(buf, 0);
		ck_assert_int_eq(pol_check_checkpoint(p, bad, strlen(bad),
		    &logk, W1_TIME, 0, NULL, NULL, &why), PT_ESIG);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, spec_example);
	tcase_add_test(tc, syntax_details);
	tcase_add_test(tc, rejects);
	tcase_add_test(tc, check_known_checkpoint);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
