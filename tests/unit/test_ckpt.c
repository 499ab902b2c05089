/*
 * test_ckpt.c: C2SP tlog-checkpoint bodies and signed checkpoints.  Known
 * answers: the tlog-checkpoint spec example body, golang.org/x/mod/sumdb/tlog
 * TestFormatTree (root = RecordHash("hello world")), a signed tree note from
 * sumdb/client_test.go, and the spec body signed and cosigned with the
 * RFC 8032 test keys (lines computed with Python's cryptography package).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "mt.h"
#include "note.h"
#include "num.h"
#include "pt.h"

#define ROOT "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
#define CK_BODY "example.com/behind-the-sofa\n20852163\n" ROOT "\n"
#define LOG_VKEY "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
#define LOG_SKEY "PRIVATE+KEY+example.com/behind-the-sofa+37bc54d7+AUzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7"
#define LOG_LINE "\xe2\x80\x94 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n"
#define LOG_LINE_EXT "\xe2\x80\x94 example.com/behind-the-sofa N7xU1wSbJw6Ruq8yw7OoNyON2CNVzbdlREgW/2vl1e5g8bBy90uI0BNhsIlIf38njK3NGoqG8tYvAL03OaHkT28nNQQ=\n"
#define W1_VKEY "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define W1_SKEY "PRIVATE+KEY+witness.example.com/w1+7e6f4aaa+BJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
#define W1_LINE "\xe2\x80\x94 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n"
#define W1_LINE_EXT "\xe2\x80\x94 witness.example.com/w1 fm9KqgAAAABkGFDLIuL8T/r+ot9/se7I268ZmJM8p3rxd8Ka+bfcOd5xPdXHh3MoYE7+z/yUoNC/vP2rFAwTNdNupv+DNpCrycDFBg==\n"
#define SUMDB_VKEY "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6"
#define SUMDB_NOTE "go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n\n" \
	"\xe2\x80\x94 localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n"

static struct ckpt c, c2;

static struct note_vkey
vkey(const char *s)
{
	struct note_vkey k;

	ck_assert_int_eq(note_vkey_parse(s, strlen(s), &k), 0);
	return k;
}

static int
parse_str(const char *s)
{
	return ckpt_parse(s, strlen(s), &c);
}

START_TEST(spec_example)
{
	uint8_t root[32];
	size_t rl;
	char out[512];
	size_t len;

	ck_assert_int_eq(parse_str(CK_BODY), 0);
	ck_assert_str_eq(c.origin, "example.com/behind-the-sofa");
	ck_assert_uint_eq(c.size, 20852163);
	ck_assert_int_eq(cr_b64_decode(ROOT, 44, root, sizeof(root), &rl), 0);
	ck_assert_mem_eq(c.root.b, root, 32);
	ck_assert_uint_eq(c.next, 0);
	ck_assert_int_eq(ckpt_format(&c, out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, CK_BODY);
	ck_assert_uint_eq(len, strlen(CK_BODY));
	ck_assert_int_eq(ckpt_check(CK_BODY, strlen(CK_BODY)), 0);
	/* With extension lines. */
	ck_assert_int_eq(parse_str(CK_BODY "ext one\n\xe2\x9c\x93 two\n"), 0);
	ck_assert_uint_eq(c.next, 2);
	ck_assert_str_eq(c.ext[0], "ext one");
	ck_assert_str_eq(c.ext[1], "\xe2\x9c\x93 two");
	ck_assert_int_eq(ckpt_format(&c, out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, CK_BODY "ext one\n\xe2\x9c\x93 two\n");
	ck_assert_int_eq(ckpt_format(&c, out, 20, &len), PT_ETOOBIG);
	ck_assert_int_eq(ckpt_format(&c, out, strlen(CK_BODY) + 16, &len),
	    PT_ETOOBIG);
	ck_assert_int_eq(ckpt_format(&c, out, strlen(CK_BODY) + 17, &len), 0);
}
END_TEST

/* sumdb/tlog TestFormatTree / TestParseTree. */
START_TEST(go_tlog_tree)
{
	static const char golden[] = "go.sum database tree\n123456789012\n"
	    "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
	struct mt_hash h;
	char out[256];

	ck_assert_int_eq(mt_leaf_hash("hello world", 11, &h), 0);
	memset(&c2, 0, sizeof(c2));
	strcpy(c2.origin, "go.sum database tree");
	c2.size = 123456789012ULL;
	c2.root = h;
	ck_assert_int_eq(ckpt_format(&c2, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, golden);
	ck_assert_int_eq(parse_str(golden), 0);
	ck_assert_uint_eq(c.size, 123456789012ULL);
	ck_assert_mem_eq(c.root.b, h.b, 32);
	ck_assert_int_eq(parse_str("go.sum database tree\n0xabcdef\n"
	    "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"), PT_EMALFORMED);
	ck_assert_int_eq(parse_str("go.sum database tree\n123456789012\n"
	    "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n"),
	    PT_EMALFORMED);
}
END_TEST

START_TEST(malformed_bodies)
{
	static const struct {
		const char *body;
		int err;
	} bad[] = {
		{ "", PT_EMALFORMED },
		{ "example.com/log\n", PT_EMALFORMED },
		{ "example.com/log\n5\n", PT_EMALFORMED },
		{ "example.com/log\n5\n" ROOT, PT_EMALFORMED },	/* no "\n" */
		{ "\n5\n" ROOT "\n", PT_EMALFORMED },			/* origin */
		{ " example.com/log\n5\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log \n5\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n05\n" ROOT "\n", PT_EMALFORMED },	/* size */
		{ "example.com/log\n00\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n+1\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n-1\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n 1\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n1 \n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n1e3\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n\xd9\xa1\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/log\n9223372036854775808\n" ROOT "\n", PT_ERANGE },
		{ "example.com/log\n18446744073709551615\n" ROOT "\n", PT_ERANGE },
		{ "example.com/log\n18446744073709551616\n" ROOT "\n", PT_ERANGE },
		{ "example.com/log\n99999999999999999999\n" ROOT "\n", PT_ERANGE },
		{ "example.com/log\n100000000000000000000\n" ROOT "\n",
		  PT_EMALFORMED },
		/* Root: bad base64, unpadded, 31 and 33 bytes, spaces. */
		{ "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I*\n",
		  PT_EMALFORMED },
		{ "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
		  PT_EMALFORMED },
		{ "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n",
		  PT_EMALFORMED },
		{ "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n",
		  PT_EMALFORMED },
		{ "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
		  PT_EMALFORMED },
		{ "example.com/log\n5\n" ROOT " \n", PT_EMALFORMED },
		{ "example.com/log\n5\n\n", PT_EMALFORMED },
		/* Empty extension line (also: a note's blank line). */
		{ "example.com/log\n5\n" ROOT "\n\n", PT_EMALFORMED },
		{ "example.com/log\n5\n" ROOT "\na\n\nb\n", PT_EMALFORMED },
		/* Note text rules. */
		{ "example.com/log\n5\n" ROOT "\n\r\n", PT_EMALFORMED },
		{ "example.com/l\x01og\n5\n" ROOT "\n", PT_EMALFORMED },
		{ "example.com/l\xffog\n5\n" ROOT "\n", PT_EUTF8 },
	};
	char big[PT_MAX_ORIGIN + 128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse_str(bad[i].body);

		ck_assert_msg(rc == bad[i].err, "case %zu: got %d want %d", i,
		    rc, bad[i].err);
		ck_assert_int_eq(ckpt_check(bad[i].body, strlen(bad[i].body)),
		    rc);
	}
	/* The largest valid size, and size 0. */
	ck_assert_int_eq(parse_str("example.com/log\n9223372036854775807\n"
	    ROOT "\n"), 0);
	ck_assert_uint_eq(c.size, 9223372036854775807ULL);
	ck_assert_int_eq(parse_str("example.com/log\n0\n" ROOT "\n"), 0);
	ck_assert_uint_eq(c.size, 0);
	/* Origin of exactly PT_MAX_ORIGIN bytes, and one more. */
	memset(big, 'o', PT_MAX_ORIGIN);
	strcpy(big + PT_MAX_ORIGIN, "\n1\n" ROOT "\n");
	ck_assert_int_eq(parse_str(big), 0);
	ck_assert_uint_eq(strlen(c.origin), PT_MAX_ORIGIN);
	memset(big, 'o', PT_MAX_ORIGIN + 1);
	strcpy(big + PT_MAX_ORIGIN + 1, "\n1\n" ROOT "\n");
	ck_assert_int_eq(parse_str(big), PT_ETOOBIG);
}
END_TEST

START_TEST(extension_limits)
{
	static char body[PT_NOTE_MAX * 2];
	size_t pos;
	int i;

	pos = (size_t)sprintf(body, "%s", CK_BODY);
	for (i = 0; i < PT_CKPT_MAX_EXT; i++)
		pos += (size_t)sprintf(body + pos, "ext %d\n", i);
	ck_assert_int_eq(ckpt_parse(body, pos, &c), 0);
	ck_assert_uint_eq(c.next, PT_CKPT_MAX_EXT);
	sprintf(body + pos, "one too many\n");
	ck_assert_int_eq(parse_str(body), PT_ETOOBIG);
	/* An extension line of PT_NOTE_MAX_LINE bytes, then one more byte. */
	pos = (size_t)sprintf(body, "%s", CK_BODY);
	memset(body + pos, 'e', PT_NOTE_MAX_LINE);
	strcpy(body + pos + PT_NOTE_MAX_LINE, "\n");
	ck_assert_int_eq(parse_str(body), 0);
	ck_assert_uint_eq(strlen(c.ext[0]), PT_NOTE_MAX_LINE);
	memset(body + pos, 'e', PT_NOTE_MAX_LINE + 1);
	strcpy(body + pos + PT_NOTE_MAX_LINE + 1, "\n");
	ck_assert_int_eq(parse_str(body), PT_ETOOBIG);
	/* ckpt_format refuses what ckpt_parse would refuse. */
	ck_assert_int_eq(parse_str(CK_BODY), 0);
	c.next = 1;
	c.ext[0][0] = '\0';
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), NULL), PT_EINVAL);
	c.next = PT_CKPT_MAX_EXT + 1;
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), NULL), PT_EINVAL);
	c.next = 0;
	c.origin[0] = '\0';
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), NULL), PT_EINVAL);
	strcpy(c.origin, "a\nb");
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), NULL), PT_EINVAL);
	strcpy(c.origin, "ok");
	c.size = 1ULL << 63;
	ck_assert_int_eq(ckpt_format(&c, body, sizeof(body), NULL), PT_EINVAL);
}
END_TEST

START_TEST(parse_u64)
{
	uint64_t v;

	ck_assert_int_eq(num_parse_u64("0", 1, 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(num_parse_u64("10", 2, 0, 10, &v), 0);
	ck_assert_int_eq(num_parse_u64("11", 2, 0, 10, &v), PT_ERANGE);
	ck_assert_int_eq(num_parse_u64("18446744073709551615", 20, 0,
	    UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(num_parse_u64("18446744073709551616", 20, 0,
	    UINT64_MAX, &v), PT_ERANGE);
	ck_assert_int_eq(num_parse_u64("", 0, 0, 10, &v), PT_EMALFORMED);
	ck_assert_int_eq(num_parse_u64("01", 2, 0, 10, &v), PT_EMALFORMED);
	ck_assert_int_eq(num_parse_u64("+1", 2, 0, 10, &v), PT_EMALFORMED);
}
END_TEST

/* A signature line of a post-quantum size (an ML-DSA-44 cosignature line
 * is 3,268 bytes with a 19-byte name) by an unknown key, random bytes. */
static size_t
pq_line(char *out, size_t cap, const char *name, size_t sigbytes)
{
	uint8_t raw[PT_NOTE_MAX_SIG_LINE / 4 * 3];
	int n, b;

	ck_assert_uint_le(4 + sigbytes, sizeof(raw));
	ck_assert_int_eq(cr_random(raw, 4 + sigbytes), 0);
	n = snprintf(out, cap, "\xe2\x80\x94 %s ", name);
	b = cr_b64_encode(raw, 4 + sigbytes, out + n, cap - (size_t)n - 1);
	ck_assert_int_gt(b, 0);
	out[n + b] = '\n';
	out[n + b + 1] = '\0';
	return (size_t)(n + b + 1);
}

START_TEST(open_signed)
{
	static char note[PT_NOTE_MAX + 1];
	struct note_vkey lk = vkey(LOG_VKEY), wk = vkey(W1_VKEY), sk;
	struct note_skey ls;
	size_t len, pos;
	int i;

	/* Known answer: the spec body, signed and cosigned; the cosignature
	 * is not ckpt_open's business (pol_cosigs decides what counts). */
	strcpy(note, CK_BODY "\n" LOG_LINE W1_LINE);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c), 0);
	ck_assert_uint_eq(c.size, 20852163);
	ck_assert_str_eq(c.origin, "example.com/behind-the-sofa");
	/* Witness line first; out may be NULL. */
	strcpy(note, CK_BODY "\n" W1_LINE LOG_LINE);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, NULL), 0);
	/* Only the witness signed. */
	strcpy(note, CK_BODY "\n" W1_LINE);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c),
	    PT_EUNKNOWNSIGNER);
	/* With an extension line, the log's signature covers it. */
	strcpy(note, CK_BODY "ext one\n\n" LOG_LINE_EXT W1_LINE_EXT);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c), 0);
	ck_assert_uint_eq(c.next, 1);
	/* A log signature over the body without the extension line fails. */
	strcpy(note, CK_BODY "ext one\n\n" LOG_LINE W1_LINE);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c), PT_ESIG);
	/* A bad log signature. */
	strcpy(note, CK_BODY "\n" LOG_LINE W1_LINE);
	note[strlen(CK_BODY) + 1 + 40] ^= 1;
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c), PT_ESIG);
	/* Two lines by the log key: malformed, even when both verify. */
	strcpy(note, CK_BODY "\n" LOG_LINE LOG_LINE);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c),
	    PT_EMALFORMED);
	/* ... but two lines by an unknown key are ignored (signed-note). */
	strcpy(note, CK_BODY "\n" W1_LINE LOG_LINE W1_LINE);
	ck_assert_int_eq(ckpt_open(note, strlen(note), &lk, &c), 0);
	/* Sixteen post-quantum-sized lines by other signers (two of them
	 * named like the log, with other key IDs), before and after the
	 * log's line: ignored, the checkpoint opens (C2SP signed-note: MUST
	 * accept at least 16 signatures, up to nearly 5 kB each). */
	pos = strlen(strcpy(note, CK_BODY "\n"));
	for (i = 0; i < 16; i++) {
		char name[64];

		if (i == 8) {
			strcpy(note + pos, LOG_LINE);
			pos += strlen(LOG_LINE);
		}
		snprintf(name, sizeof(name), i < 2 ?
		    "example.com/behind-the-sofa" : "pq%d.example/w", i);
		pos += pq_line(note + pos, sizeof(note) - pos, name,
		    i % 2 ? 8 + NOTE_MLDSA44_SIG : 4627 + 8);
	}
	ck_assert_uint_gt(pos, 16 * 3268);
	ck_assert_int_eq(ckpt_open(note, pos, &lk, &c), 0);
	ck_assert_uint_eq(c.size, 20852163);
	/* Wrong origin: sumdb's tree note, validly signed by its key. */
	sk = vkey(SUMDB_VKEY);
	ck_assert_int_eq(ckpt_open(SUMDB_NOTE, strlen(SUMDB_NOTE), &sk, &c),
	    PT_EORIGIN);
	/* Another log's checkpoint. */
	ck_assert_int_eq(ckpt_open(SUMDB_NOTE, strlen(SUMDB_NOTE), &lk, &c),
	    PT_EUNKNOWNSIGNER);
	/* A properly signed text that is not a checkpoint. */
	ck_assert_int_eq(note_skey_parse(LOG_SKEY, strlen(LOG_SKEY), &ls), 0);
	ck_assert_int_eq(note_sign("example.com/behind-the-sofa\n5\nxx\n", 33,
	    &ls, 1, 0, note, sizeof(note), &len), 0);
	ck_assert_int_eq(ckpt_open(note, len, &lk, &c), PT_EMALFORMED);
	/* Origin that merely starts with the key name. */
	strcpy(c2.origin, "example.com/behind-the-sofa2\n5\n" ROOT "\n");
	ck_assert_int_eq(note_sign(c2.origin, strlen(c2.origin), &ls, 1, 0,
	    note, sizeof(note), &len), 0);
	ck_assert_int_eq(ckpt_open(note, len, &lk, &c), PT_EORIGIN);
	note_skey_wipe(&ls);
	/* Bad arguments: a cosignature key as log key. */
	ck_assert_int_eq(ckpt_open(note, len, &wk, &c), PT_EINVAL);
	ck_assert_int_eq(ckpt_open(note, len, NULL, &c), PT_EINVAL);
}
END_TEST

START_TEST(round_trip_generated)
{
	static char body[PT_NOTE_MAX], note[PT_NOTE_MAX];
	struct note_skey keys[4];
	struct note n;
	size_t blen, nlen;

	ck_assert_int_eq(note_keygen("log.example/a", NOTE_ALG_ED25519,
	    &keys[0]), 0);
	for (int i = 1; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%d.example", i);
		ck_assert_int_eq(note_keygen(name, NOTE_ALG_COSIG_V1, &keys[i]),
		    0);
	}
	memset(&c2, 0, sizeof(c2));
	strcpy(c2.origin, "log.example/a");
	c2.size = 42;
	memset(c2.root.b, 0xab, 32);
	ck_assert_int_eq(ckpt_format(&c2, body, sizeof(body), &blen), 0);
	/* Log and witnesses 1 and 3 sign. */
	{
		struct note_skey signers[3] = { keys[0], keys[1], keys[3] };

		ck_assert_int_eq(note_sign(body, blen, signers, 3, 1700000000,
		    note, sizeof(note), &nlen), 0);
		for (int i = 0; i < 3; i++)
			note_skey_wipe(&signers[i]);
	}
	ck_assert_int_eq(ckpt_open(note, nlen, &keys[0].vk, &c), 0);
	ck_assert_mem_eq(&c, &c2, sizeof(c));
	/* The parsed-note form gives the same. */
	ck_assert_int_eq(note_parse(note, nlen, &n), 0);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(ckpt_open_note(&n, &keys[0].vk, &c), 0);
	ck_assert_mem_eq(&c, &c2, sizeof(c));
	for (int i = 0; i < 4; i++)
		note_skey_wipe(&keys[i]);
}
END_TEST

/* Every truncation and every single-bit flip of a signed checkpoint:
 * never a crash, and never accepted, but where the witness line (unknown
 * to ckpt_open) is dropped whole or still parses. */
START_TEST(mutations)
{
	static const char good[] = CK_BODY "\n" LOG_LINE W1_LINE;
	static char buf[sizeof(good)];
	struct note_vkey lk = vkey(LOG_VKEY);
	size_t len = strlen(good), wstart = strlen(CK_BODY "\n" LOG_LINE);

	for (size_t i = 0; i < len; i++) {
		memcpy(buf, good, len);
		if (i == wstart)
			ck_assert_int_eq(ckpt_open(buf, i, &lk, &c), 0);
		else
			ck_assert_int_ne(ckpt_open(buf, i, &lk, &c), 0);
		for (int b = 0; b < 8; b++) {
			int rc;

			buf[i] = (char)(good[i] ^ (1 << b));
			rc = ckpt_open(buf, len, &lk, &c);
			if (rc == 0) {
				ck_assert_msg(i >= wstart, "flip %zu/%d "
				    "accepted", i, b);
				buf[i] = good[i];
				continue;
			}
			ck_assert_msg(rc == PT_EMALFORMED || rc == PT_ESIG ||
			    rc == PT_EUTF8 || rc == PT_EUNKNOWNSIGNER ||
			    rc == PT_EORIGIN || rc == PT_ERANGE ||
			    rc == PT_ETOOBIG, "flip %zu/%d: %d", i, b, rc);
			buf[i] = good[i];
		}
	}
	ck_assert_int_eq(ckpt_open(good, len, &lk, &c), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ckpt");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, spec_example);
	tcase_add_test(tc, go_tlog_tree);
	tcase_add_test(tc, malformed_bodies);
	tcase_add_test(tc, extension_limits);
	tcase_add_test(tc, parse_u64);
	tcase_add_test(tc, open_signed);
	tcase_add_test(tc, round_trip_generated);
	tcase_add_test(tc, mutations);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
