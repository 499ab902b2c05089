/*
 * test_witreq: the C2SP tlog-witness add-checkpoint request (the spec's
 * example body, byte for byte), the 409 size body, and checking a 200
 * answer against the C2SP tlog-cosignature known-answer cosignature.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "note.h"
#include "pt.h"
#include "witreq.h"

#define CK_BODY "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define W1_VKEY "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define W1_LINE "\xe2\x80\x94 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n"
#define LOG_VKEY "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"

/* The example request body of C2SP tlog-witness. */
#define SPEC_NOTE CK_BODY "\n" \
	"\xe2\x80\x94 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n" \
	"\xe2\x80\x94 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
#define SPEC_REQ "old 20852014\n" \
	"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" \
	"jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n" \
	"5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n" \
	"/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n" \
	"\n" SPEC_NOTE

static struct witreq r;

static int
parse(const char *s)
{
	struct pt_why why = { "" };
	int rc = witreq_parse(s, strlen(s), &r, &why);

	if (rc != 0)
		ck_assert(why.text[0] != '\0');
	return rc;
}

START_TEST(spec_example)
{
	char out[8192];
	size_t n;

	ck_assert_int_eq(parse(SPEC_REQ), 0);
	ck_assert_uint_eq(r.old, 20852014);
	ck_assert_uint_eq(r.nproof, 4);
	ck_assert_uint_eq(r.proof[0].b[0], 0x3e);	/* "PlRN" */
	ck_assert_uint_eq(r.proof[3].b[0], 0xff);	/* "/6WV" */
	ck_assert_uint_eq(r.note_len, strlen(SPEC_NOTE));
	ck_assert(memcmp(r.note, SPEC_NOTE, r.note_len) == 0);
	ck_assert_int_eq(witreq_format(r.old, r.proof, r.nproof, r.note,
	    r.note_len, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, strlen(SPEC_REQ));
	ck_assert_str_eq(out, SPEC_REQ);
	/* Exactly enough room, and one byte less. */
	ck_assert_int_eq(witreq_format(r.old, r.proof, r.nproof, r.note,
	    r.note_len, out, n + 1, NULL), 0);
	ck_assert_int_eq(witreq_format(r.old, r.proof, r.nproof, r.note,
	    r.note_len, out, n, NULL), PT_ETOOBIG);
	ck_assert_str_eq(out, "");
	/* old 0, empty proof */
	ck_assert_int_eq(parse("old 0\n\n" SPEC_NOTE), 0);
	ck_assert_uint_eq(r.old, 0);
	ck_assert_uint_eq(r.nproof, 0);
	ck_assert_int_eq(witreq_format(0, r.proof, 1, SPEC_NOTE,
	    strlen(SPEC_NOTE), out, sizeof(out), NULL), PT_EINVAL);
	ck_assert_int_eq(witreq_format(1, r.proof, 64, SPEC_NOTE,
	    strlen(SPEC_NOTE), out, sizeof(out), NULL), PT_EINVAL);
}
END_TEST

START_TEST(rejects)
{
	static const char *bad[] = {
		"",
		"old 1",
		"old 1\n",
		"old 1\n\n",
		"old\n\n" CK_BODY,
		"old \n\n" CK_BODY,
		"old 01\n\n" CK_BODY,
		"old -1\n\n" CK_BODY,
		"old +1\n\n" CK_BODY,
		"old  1\n\n" CK_BODY,
		"old 1 \n\n" CK_BODY,
		"Old 1\n\n" CK_BODY,
		"old 9223372036854775808\n\n" CK_BODY,
		"old 1\r\n\n" CK_BODY,
		"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n\n" CK_BODY,
		"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkax=\n\n" CK_BODY,
		"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" CK_BODY,
		"old 1\n PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\n" CK_BODY,
		"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=AAAA\n\n" CK_BODY,
	};
	char big[8192];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != PT_EMALFORMED)
			ck_abort_msg("accepted bad request %zu", i);
	/* old 0 with a proof parses: the witness answers it 422 once the
	 * log's signature is checked (tlog-witness), not 400. */
	ck_assert_int_eq(parse("old 0\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw="
	    "\n\n" CK_BODY), 0);
	ck_assert_uint_eq(r.nproof, 1);
	/* 63 proof lines are fine, 64 are not. */
	n = (size_t)snprintf(big, sizeof(big), "old 5\n");
	for (i = 0; i < 63; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n");
	snprintf(big + n, sizeof(big) - n, "\n" CK_BODY);
	ck_assert_int_eq(parse(big), 0);
	ck_assert_uint_eq(r.nproof, 63);
	snprintf(big + n, sizeof(big) - n,
	    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\n" CK_BODY);
	ck_assert_int_eq(parse(big), PT_ETOOBIG);
	{
		char *huge = malloc(PT_WITREQ_MAX_BODY + 1);

		memset(huge, 'a', PT_WITREQ_MAX_BODY + 1);
		memcpy(huge, "old 0\n\n", 7);
		ck_assert_int_eq(witreq_parse(huge, PT_WITREQ_MAX_BODY + 1, &r,
		    NULL), PT_ETOOBIG);
		ck_assert_int_eq(witreq_parse(huge, PT_WITREQ_MAX_BODY, &r,
		    NULL), 0);
		free(huge);
	}
}
END_TEST

START_TEST(size_body)
{
	char out[32];
	size_t n;
	uint64_t v;

	ck_assert_int_eq(witreq_size_parse("20852163\n", 9, &v), 0);
	ck_assert_uint_eq(v, 20852163);
	ck_assert_int_eq(witreq_size_parse("0\n", 2, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(witreq_size_parse("05\n", 3, &v), PT_EMALFORMED);
	ck_assert_int_eq(witreq_size_parse("5", 1, &v), PT_EMALFORMED);
	ck_assert_int_eq(witreq_size_parse("5\n\n", 3, &v), PT_EMALFORMED);
	ck_assert_int_eq(witreq_size_parse("\n", 1, &v), PT_EMALFORMED);
	ck_assert_int_eq(witreq_size_parse("5 \n", 3, &v), PT_EMALFORMED);
	ck_assert_int_eq(witreq_size_format(20852163, out, sizeof(out), &n), 0);
	ck_assert_str_eq(out, "20852163\n");
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(witreq_size_format(20852163, out, 9, &n), PT_ETOOBIG);
}
END_TEST

/* An ML-DSA-44-sized cosignature line (3,268 bytes with a 19-byte name):
 * random bytes under key ID 0xfe000000 + i. */
static size_t
pq_line(char *out, const char *name, uint32_t i)
{
	uint8_t raw[4 + 8 + 2420];
	int n, b;

	ck_assert_int_eq(cr_random(raw, sizeof(raw)), 0);
	raw[0] = 0xfe, raw[1] = 0, raw[2] = 0, raw[3] = (uint8_t)i;
	n = sprintf(out, "\xe2\x80\x94 %s ", name);
	b = cr_b64_encode(raw, sizeof(raw), out + n, 4000);
	ck_assert_int_eq(b, 3244);
	out[n + b] = '\n';
	return (size_t)(n + b + 1);
}

START_TEST(answer_check)
{
	struct note_vkey w1, logk, other;
	struct note_skey ok;
	char line[WITREQ_LINE_MAX];
	uint64_t ts = 0;
	char body[2048];

	ck_assert_int_eq(note_vkey_parse(W1_VKEY, strlen(W1_VKEY), &w1), 0);
	ck_assert_int_eq(note_vkey_parse(LOG_VKEY, strlen(LOG_VKEY), &logk), 0);
	ck_assert_int_eq(note_keygen("other.example/w", NOTE_ALG_COSIG_V1,
	    &ok), 0);
	other = ok.vk;
	note_skey_wipe(&ok);
	ck_assert_int_eq(witreq_resp_check(W1_LINE, strlen(W1_LINE), CK_BODY,
	    strlen(CK_BODY), &w1, line, sizeof(line), &ts), 0);
	ck_assert_str_eq(line, W1_LINE);
	ck_assert_uint_eq(ts, 1679315147);
	/* Unknown lines around it are ignored. */
	snprintf(body, sizeof(body), "\xe2\x80\x94 other.example AAAAAAAA\n%s"
	    "\xe2\x80\x94 third.example BBBBBBBB\n", W1_LINE);
	ck_assert_int_eq(witreq_resp_check(body, strlen(body), CK_BODY,
	    strlen(CK_BODY), &w1, line, sizeof(line), NULL), 0);
	ck_assert_str_eq(line, W1_LINE);
	/* Not by this witness; not a cosignature key. */
	ck_assert_int_eq(witreq_resp_check(W1_LINE, strlen(W1_LINE), CK_BODY,
	    strlen(CK_BODY), &other, line, sizeof(line), NULL),
	    PT_EUNKNOWNSIGNER);
	ck_assert_int_eq(witreq_resp_check(W1_LINE, strlen(W1_LINE), CK_BODY,
	    strlen(CK_BODY), &logk, line, sizeof(line), NULL), PT_EINVAL);
	/* Sixteen ML-DSA-44-sized lines by other signers (one of them with
	 * the witness's name and another key ID, as a witness with an
	 * ML-DSA-44 key beside its Ed25519 one sends) around the line: the
	 * answer is accepted and the line kept. */
	{
		static char big[PT_WITRESP_MAX_BODY + 1];
		size_t pos = 0;

		for (int i = 0; i < 16; i++) {
			if (i == 5) {
				strcpy(big + pos, W1_LINE);
				pos += strlen(W1_LINE);
			}
			pos += pq_line(big + pos, i == 0 ?
			    "witness.example.com/w1" : "pq.example/w",
			    (uint32_t)i);
		}
		ck_assert_uint_gt(pos, 16 * 3268);
		ck_assert_int_eq(witreq_resp_check(big, pos, CK_BODY,
		    strlen(CK_BODY), &w1, line, sizeof(line), &ts), 0);
		ck_assert_str_eq(line, W1_LINE);
		/* An answer over PT_WITRESP_MAX_BODY is refused unread. */
		ck_assert_int_eq(witreq_resp_check(big, PT_WITRESP_MAX_BODY + 1,
		    CK_BODY, strlen(CK_BODY), &w1, line, sizeof(line), &ts),
		    PT_ETOOBIG);
	}
	/* Another checkpoint: does not verify. */
	ck_assert_int_eq(witreq_resp_check(W1_LINE, strlen(W1_LINE),
	    "example.com/behind-the-sofa\n20852164\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", strlen(CK_BODY) + 0,
	    &w1, line, sizeof(line), NULL), PT_ESIG);
	ck_assert_str_eq(line, "");
	/* Garbage, missing final newline, empty. */
	ck_assert_int_eq(witreq_resp_check("hello\n", 6, CK_BODY,
	    strlen(CK_BODY), &w1, line, sizeof(line), NULL), PT_EMALFORMED);
	ck_assert_int_eq(witreq_resp_check(W1_LINE, strlen(W1_LINE) - 1,
	    CK_BODY, strlen(CK_BODY), &w1, line, sizeof(line), NULL),
	    PT_EMALFORMED);
	ck_assert_int_eq(witreq_resp_check("", 0, CK_BODY, strlen(CK_BODY),
	    &w1, line, sizeof(line), NULL), PT_EMALFORMED);
	/* Twice the same line. */
	snprintf(body, sizeof(body), "%s%s", W1_LINE, W1_LINE);
	ck_assert_int_ne(witreq_resp_check(body, strlen(body), CK_BODY,
	    strlen(CK_BODY), &w1, line, sizeof(line), NULL), 0);
	/* Too small an output. */
	ck_assert_int_eq(witreq_resp_check(W1_LINE, strlen(W1_LINE), CK_BODY,
	    strlen(CK_BODY), &w1, line, 20, NULL), PT_ETOOBIG);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("witreq");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, spec_example);
	tcase_add_test(tc, rejects);
	tcase_add_test(tc, size_body);
	tcase_add_test(tc, answer_check);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
