/*
 * test_tproof.c: C2SP tlog-proof v1.  The spec's example (its extra line,
 * index and five proof hashes) around a real signed checkpoint; malformed
 * proofs; an end-to-end proof for a 5-leaf RFC 6962 tree built by hand.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "tproof.h"

#define HEAD "c2sp.org/tlog-proof@v1\n"
#define EXTRA "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
#define HASHES "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n" \
	"B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n" \
	"EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n" \
	"RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n" \
	"AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
/* The tlog-checkpoint example body signed with the RFC 8032 test-2 key. */
#define NOTE "example.com/behind-the-sofa\n20852163\n" \
	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n" \
	"\xe2\x80\x94 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n"
#define SPEC HEAD EXTRA "index 73894\n" HASHES "\n" NOTE

static struct tproof p, p2;

static int
parse_str(const char *s)
{
	return tproof_parse(s, strlen(s), &p);
}

START_TEST(spec_example)
{
	static char out[PT_NOTE_MAX * 2];
	uint8_t h[32];
	size_t len, hl;

	ck_assert_int_eq(parse_str(SPEC), 0);
	ck_assert_uint_eq(p.index, 73894);
	ck_assert_uint_eq(p.n, 5);
	ck_assert_int_eq(cr_b64_decode("AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=",
	    44, h, sizeof(h), &hl), 0);
	ck_assert_mem_eq(p.proof[4].b, h, 32);
	ck_assert_uint_eq(p.extra_len, 39);
	ck_assert_mem_eq(p.extra, "age-v1.2.1-darwin-arm64.tar.gz", 30);
	ck_assert_uint_eq(p.note_len, strlen(NOTE));
	ck_assert_mem_eq(p.note, NOTE, p.note_len);
	ck_assert_int_eq(tproof_format(&p, out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, SPEC);
	ck_assert_uint_eq(len, strlen(SPEC));
	ck_assert_int_eq(tproof_format(&p, out, 100, &len), PT_ETOOBIG);
	/* Without extra data, and with no proof hashes at all. */
	ck_assert_int_eq(parse_str(HEAD "index 0\n\n" NOTE), 0);
	ck_assert_uint_eq(p.index, 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_uint_eq(p.extra_len, 0);
	ck_assert_int_eq(tproof_format(&p, out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, HEAD "index 0\n\n" NOTE);
}
END_TEST

START_TEST(malformed)
{
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "", PT_EMALFORMED },
		{ "c2sp.org/tlog-proof@v2\nindex 1\n\n" NOTE, PT_EMALFORMED },
		{ "c2sp.org/tlog-proof@v1 \nindex 1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD, PT_EMALFORMED },
		{ HEAD "index 1\n", PT_EMALFORMED },
		{ HEAD "index 1\n" HASHES, PT_EMALFORMED },	/* no blank */
		{ HEAD "index 1\n" HASHES "\n", PT_EMALFORMED },	/* no note */
		{ HEAD "\n" NOTE, PT_EMALFORMED },		/* no index */
		{ HEAD "index\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index \n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index 01\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index +1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index -1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index  1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "Index 1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index 9223372036854775807\n\n" NOTE, PT_ERANGE },
		{ HEAD "extra \nindex 1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "extra YQ\nindex 1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "extra YR==\nindex 1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "extra YQ==\nextra YQ==\nindex 1\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index 1\nextra YQ==\n\n" NOTE, PT_EMALFORMED },
		{ HEAD "index 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n\n" NOTE,
		  PT_EMALFORMED },				/* 31 bytes */
		{ HEAD "index 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n\n" NOTE,
		  PT_EMALFORMED },
		{ HEAD "index 1\r\n\n" NOTE, PT_EMALFORMED },
		{ "\n" HEAD "index 1\n\n" NOTE, PT_EMALFORMED },
		/* The note must be a signed note. */
		{ HEAD "index 1\n\nexample.com/x\n1\n", PT_EMALFORMED },
		{ HEAD "index 1\n\n\n" NOTE, PT_EMALFORMED },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse_str(bad[i].s);

		ck_assert_msg(rc == bad[i].err, "case %zu: got %d want %d", i,
		    rc, bad[i].err);
	}
	/* The largest index whose tree can exist. */
	ck_assert_int_eq(parse_str(HEAD "index 9223372036854775806\n\n" NOTE),
	    0);
}
END_TEST

START_TEST(limits)
{
	static char buf[PT_NOTE_MAX * 3], out[PT_NOTE_MAX * 3];
	size_t pos;
	int i;

	pos = (size_t)sprintf(buf, HEAD "index 1\n");
	for (i = 0; i < PT_MAX_PROOF; i++)
		pos += (size_t)sprintf(buf + pos,
		    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n");
	sprintf(buf + pos, "\n" NOTE);
	ck_assert_int_eq(parse_str(buf), 0);
	ck_assert_uint_eq(p.n, PT_MAX_PROOF);
	sprintf(buf + pos, "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n\n"
	    NOTE);
	ck_assert_int_eq(parse_str(buf), PT_ETOOBIG);
	/* Extra data up to one line. */
	memset(&p2, 0, sizeof(p2));
	p2.note = NOTE;
	p2.note_len = strlen(NOTE);
	p2.extra_len = (PT_NOTE_MAX_LINE - 6) / 4 * 3;
	memset(p2.extra, 'x', p2.extra_len);
	ck_assert_int_eq(tproof_format(&p2, out, sizeof(out), &pos), 0);
	ck_assert_int_eq(tproof_parse(out, pos, &p), 0);
	ck_assert_uint_eq(p.extra_len, p2.extra_len);
	p2.extra_len += 3;
	ck_assert_int_eq(tproof_format(&p2, out, sizeof(out), &pos), PT_EINVAL);
	pos = (size_t)sprintf(buf, HEAD "extra ");
	memset(buf + pos, 'A', PT_NOTE_MAX_LINE);
	sprintf(buf + pos + PT_NOTE_MAX_LINE, "\nindex 1\n\n" NOTE);
	ck_assert_int_eq(parse_str(buf), PT_ETOOBIG);
	p2.extra_len = 0;
	p2.n = PT_MAX_PROOF + 1;
	ck_assert_int_eq(tproof_format(&p2, out, sizeof(out), &pos), PT_ETOOBIG);
	p2.n = 0;
	p2.note = "not a note\n";
	p2.note_len = 11;
	ck_assert_int_ne(tproof_format(&p2, out, sizeof(out), &pos), 0);
}
END_TEST

/* RFC 6962 tree of 5 leaves, by hand: root = H(H(H(l0,l1),H(l2,l3)),l4);
 * the inclusion proof of leaf 2 is [l3, H(l0,l1), l4]. */
START_TEST(verify_end_to_end)
{
	static char body[512], note[1024], text[4096];
	struct mt_hash l[5], l01, l23, l0123, root;
	struct note_skey k, other;
	struct ckpt c;
	size_t blen, nlen, tlen;
	char in[16];

	for (int i = 0; i < 5; i++) {
		snprintf(in, sizeof(in), "leaf %d", i);
		ck_assert_int_eq(mt_leaf_hash(in, strlen(in), &l[i]), 0);
	}
	ck_assert_int_eq(mt_node_hash(&l[0], &l[1], &l01), 0);
	ck_assert_int_eq(mt_node_hash(&l[2], &l[3], &l23), 0);
	ck_assert_int_eq(mt_node_hash(&l01, &l23, &l0123), 0);
	ck_assert_int_eq(mt_node_hash(&l0123, &l[4], &root), 0);
	ck_assert_int_eq(note_keygen("tproof.example/log", NOTE_ALG_ED25519,
	    &k), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.origin, "tproof.example/log");
	c.size = 5;
	c.root = root;
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), &blen), 0);
	ck_assert_int_eq(note_sign(body, blen, &k, 1, 0, note, sizeof(note),
	    &nlen), 0);
	memset(&p2, 0, sizeof(p2));
	p2.index = 2;
	p2.n = 3;
	p2.proof[0] = l[3];
	p2.proof[1] = l01;
	p2.proof[2] = l[4];
	p2.note = note;
	p2.note_len = nlen;
	ck_assert_int_eq(tproof_format(&p2, text, sizeof(text), &tlen), 0);
	ck_assert_int_eq(tproof_parse(text, tlen, &p), 0);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tproof_verify(&p, &l[2], &k.vk, &c), 0);
	ck_assert_uint_eq(c.size, 5);
	/* Another leaf, another index, a proof too short or too long. */
	ck_assert_int_eq(tproof_verify(&p, &l[1], &k.vk, NULL),
	    PT_EPROOF);
	p.index = 3;
	ck_assert_int_eq(tproof_verify(&p, &l[2], &k.vk, NULL),
	    PT_EPROOF);
	p.index = 5;
	ck_assert_int_eq(tproof_verify(&p, &l[2], &k.vk, NULL),
	    PT_ERANGE);
	p.index = 2;
	p.n = 2;
	ck_assert_int_eq(tproof_verify(&p, &l[2], &k.vk, NULL),
	    PT_EPROOF);
	p.n = 4;
	p.proof[3] = l[0];
	ck_assert_int_eq(tproof_verify(&p, &l[2], &k.vk, NULL),
	    PT_EPROOF);
	p.n = 3;
	/* Not signed by the key we trust. */
	ck_assert_int_eq(note_keygen("tproof.example/log", NOTE_ALG_ED25519,
	    &other), 0);
	ck_assert_int_eq(tproof_verify(&p, &l[2], &other.vk, NULL),
	    PT_EUNKNOWNSIGNER);
	note_skey_wipe(&k);
	note_skey_wipe(&other);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tproof");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, spec_example);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, verify_end_to_end);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
