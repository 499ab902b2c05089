/*
 * test_policy: C2SP tlog-policy parsing (the spec's example, every rule),
 * quorum evaluation (exhaustive truth tables), which cosignatures count
 * (pol_cosigs: time window, ML-DSA-44 witnesses this build cannot verify,
 * post-quantum-sized lines by unknown signers) and pol_check_checkpoint on
 * the C2SP tlog-cosignature known-answer checkpoint.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
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
static char mk[2][PT_MAX_VKEY_MLDSA + 1]; /* ML-DSA-44 witness keys */

/* An ML-DSA-44 verifier key (type 0x06) for name with a made-up public key
 * (its key ID computed here, independently of note.c). */
static void
mldsa_vkey(const char *name, uint8_t seed, char *out, size_t cap)
{
	uint8_t key[1 + NOTE_MLDSA44_PUB], a[2] = { '\n', 0x06 }, h[32];
	int n;

	key[0] = 0x06;
	for (int i = 0; i < NOTE_MLDSA44_PUB; i++)
		key[1 + i] = (uint8_t)(i * 7 + seed);
	ck_assert_int_eq(cr_sha256(name, strlen(name), a, 2, key + 1,
	    NOTE_MLDSA44_PUB, h), 0);
	n = snprintf(out, cap, "%s+%02x%02x%02x%02x+", name, h[0], h[1], h[2],
	    h[3]);
	ck_assert_int_gt(cr_b64_encode(key, sizeof(key), out + n,
	    cap - (size_t)n), 0);
}

/* A signature line of n signature bytes (random) for name and key ID. */
static size_t
rand_line(char *out, size_t cap, const char *name, uint32_t id, size_t n)
{
	uint8_t raw[PT_NOTE_MAX_SIG_LINE / 4 * 3];
	int k, b;

	ck_assert_uint_le(4 + n, sizeof(raw));
	ck_assert_int_eq(cr_random(raw + 4, n), 0);
	raw[0] = (uint8_t)(id >> 24);
	raw[1] = (uint8_t)(id >> 16);
	raw[2] = (uint8_t)(id >> 8);
	raw[3] = (uint8_t)id;
	k = snprintf(out, cap, "\xe2\x80\x94 %s ", name);
	b = cr_b64_encode(raw, 4 + n, out + k, cap - (size_t)k - 1);
	ck_assert_int_gt(b, 0);
	out[k + b] = '\n';
	out[k + b + 1] = '\0';
	return (size_t)(k + b + 1);
}

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
	mldsa_vkey("mldsa.example/w9", 3, mk[0], sizeof(mk[0]));
	mldsa_vkey("mldsa.example/w10", 5, mk[1], sizeof(mk[1]));
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
	struct pol_cosigs cs;

	ck_assert_int_eq(note_vkey_parse(LOG_VKEY, strlen(LOG_VKEY), &logk), 0);
	ck_assert_int_eq(note_vkey_parse(lk2, strlen(lk2), &other), 0);
	/* quorum w1 (second witness), met at the cosignature's time. */
	snprintf(buf, sizeof(buf), "log %s\nwitness a %s\nwitness w1 %s\n"
	    "quorum w1\n", LOG_VKEY, wk[0], W1_VKEY);
	p = parse(buf, 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME, &ck, &cs, &why), 0);
	ck_assert_uint_eq(cs.counted, 2);
	ck_assert_uint_eq(cs.present, 2);
	ck_assert_uint_eq(cs.time[1], W1_TIME);
	ck_assert_uint_eq(ck.size, 20852163);
	/* The log key from the policy. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), NULL,
	    W1_TIME, NULL, NULL, &why), 0);
	/* From the future: only within PT_COSIG_SKEW_S (300 s). */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME - PT_COSIG_SKEW_S - 1, NULL, &cs, &why), PT_ETIME);
	ck_assert_uint_eq(cs.counted, 0);
	ck_assert_uint_eq(cs.future, 2);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME - PT_COSIG_SKEW_S, NULL, NULL, &why), 0);
	/* A log key the policy does not list. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &other,
	    W1_TIME, NULL, NULL, &why), PT_EUNKNOWNSIGNER);
	/* Without the cosignature line: quorum not met. */
	ck_assert_int_eq(pol_check_checkpoint(p, CK_BODY "\n" LOG_LINE,
	    strlen(CK_BODY "\n" LOG_LINE), &logk, W1_TIME, NULL, NULL,
	    &why), PT_EUNKNOWNSIGNER);
	ck_assert(strstr(why.text, "quorum") != NULL);
	/* 2 of 2 with only one: not met; quorum none: met. */
	snprintf(buf, sizeof(buf), "witness a %s\nwitness w1 %s\n"
	    "group g all a w1\nquorum g\n", wk[0], W1_VKEY);
	p = parse(buf, 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME, NULL, NULL, &why), PT_EUNKNOWNSIGNER);
	p = parse("quorum none\n", 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), &logk,
	    W1_TIME, NULL, NULL, &why), 0);
	/* No logs in the policy and no key given. */
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE, strlen(NOTE), NULL,
	    W1_TIME, NULL, NULL, &why), PT_EUNKNOWNSIGNER);
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
		    &logk, W1_TIME, NULL, NULL, &why), PT_ESIG);
	}
	/* Two lines by one policy witness: malformed. */
	snprintf(buf, sizeof(buf), "witness w1 %s\nquorum none\n", W1_VKEY);
	p = parse(buf, 0);
	ck_assert_int_eq(pol_check_checkpoint(p, NOTE W1_LINE,
	    strlen(NOTE W1_LINE), &logk, W1_TIME, NULL, NULL, &why),
	    PT_EMALFORMED);
}
END_TEST

/* ML-DSA-44 witnesses: the policy loads; they never count here (OpenSSL
 * 3.0 cannot verify them), line or not; a quorum the Ed25519 witnesses
 * meet alone passes, one that needs them fails and says why. */
START_TEST(mldsa_witness)
{
	static char note[PT_NOTE_MAX + 1], buf[8192];
	struct pt_why why = { "" };
	struct note_vkey logk, m;
	struct pol_cosigs cs;
	struct pol *p;
	size_t pos;
	int i;

	ck_assert_int_eq(note_vkey_parse(LOG_VKEY, strlen(LOG_VKEY), &logk), 0);
	ck_assert_int_eq(note_vkey_parse(mk[0], strlen(mk[0]), &m), 0);
	ck_assert_uint_eq(m.alg, NOTE_ALG_COSIG_MLDSA44);
	ck_assert_int_eq(note_alg_verifiable(m.alg), 0);
	snprintf(buf, sizeof(buf), "log %s\nwitness w1 %s\nwitness pq %s "
	    "https://pq.example/\nwitness pq2 %s\ngroup ed any w1\n"
	    "group g 2 w1 pq pq2\nquorum ed\n", LOG_VKEY, W1_VKEY, mk[0],
	    mk[1]);
	p = parse(buf, 0);
	ck_assert_uint_eq(p->nwit, 3);
	ck_assert_uint_eq(p->wit[1].key.alg, NOTE_ALG_COSIG_MLDSA44);
	ck_assert_str_eq(p->wit[1].url, "https://pq.example/");
	/* The note: the spec's log and w1 lines, an ML-DSA-44-sized line
	 * by pq (random bytes: nobody can check them here) and sixteen by
	 * unknown signers. */
	pos = strlen(strcpy(note, NOTE));
	pos += rand_line(note + pos, sizeof(note) - pos, m.name, m.hash,
	    8 + NOTE_MLDSA44_SIG);
	for (i = 0; i < 16; i++) {
		char name[32];

		snprintf(name, sizeof(name), "other%d.example", i);
		pos += rand_line(note + pos, sizeof(note) - pos, name,
		    0x01020304u + (uint32_t)i, 8 + NOTE_MLDSA44_SIG);
	}
	ck_assert_int_eq(pol_check_checkpoint(p, note, pos, &logk, W1_TIME,
	    NULL, &cs, &why), 0);
	ck_assert_uint_eq(cs.counted, 1);
	ck_assert_uint_eq(cs.present, 3);
	ck_assert_uint_eq(cs.unverifiable, 6);
	/* A quorum that needs an ML-DSA-44 witness is not met, and the
	 * reason names it. */
	p->quorum = POL_GROUP_BASE + 1;
	ck_assert_int_eq(pol_check_checkpoint(p, note, pos, &logk, W1_TIME,
	    NULL, &cs, &why), PT_EUNKNOWNSIGNER);
	ck_assert_msg(strstr(why.text, "pq: ML-DSA-44 cosignature cannot be "
	    "verified here") != NULL, "%s", why.text);
	/* Two witnesses with the same key are duplicates; an ML-DSA-44 key
	 * is no log key. */
	snprintf(buf, sizeof(buf), "witness a %s\nwitness b %s\nquorum a\n",
	    mk[0], mk[0]);
	parse(buf, PT_EMALFORMED);
	snprintf(buf, sizeof(buf), "log %s\nquorum none\n", mk[0]);
	parse(buf, PT_EMALFORMED);
}
END_TEST

/* Every single-bit flip of the cosigned known answer's witness line under
 * a policy that knows the witness: rejected, or accepted with nothing
 * counted only when the flip made the line an unknown signer's. */
START_TEST(mutations)
{
	static const char good[] = NOTE;
	char buf[sizeof(good)], pb[1024];
	struct pt_why why = { "" };
	struct note_vkey logk;
	struct pol_cosigs cs;
	struct pol *p;
	size_t len = strlen(good), wstart = strlen(CK_BODY "\n" LOG_LINE);
	int rc;

	ck_assert_int_eq(note_vkey_parse(LOG_VKEY, strlen(LOG_VKEY), &logk), 0);
	snprintf(pb, sizeof(pb), "witness w1 %s\nquorum none\n", W1_VKEY);
	p = parse(pb, 0);
	for (size_t i = wstart; i < len; i++)
		for (int b = 0; b < 8; b++) {
			memcpy(buf, good, len);
			buf[i] = (char)(good[i] ^ (1 << b));
			rc = pol_check_checkpoint(p, buf, len, &logk, W1_TIME,
			    NULL, &cs, &why);
			if (rc == 0)
				ck_assert_msg(cs.present == 0 &&
				    cs.counted == 0, "flip %zu/%d counted",
				    i, b);
		}
	ck_assert_int_eq(pol_check_checkpoint(p, good, len, &logk, W1_TIME,
	    NULL, &cs, &why), 0);
	ck_assert_uint_eq(cs.counted, 1);
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
	tcase_add_test(tc, mldsa_witness);
	tcase_add_test(tc, mutations);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
