/*
 * test_note.c: C2SP signed-note and tlog-cosignature v1.  Known answers from
 * golang.org/x/mod/sumdb/note (note_test.go, the PeterNeumann/EnochRoot keys)
 * and sumdb/client_test.go (a signed tree note), the C2SP tlog-cosignature
 * example checkpoint and timestamp cosigned with the RFC 8032 test-1 key by
 * Python's cryptography package, and a corpus of malformed notes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "pt.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define PETER_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

/* sumdb/client_test.go: a tree note signed by the test server key. */
#define SUMDB_VKEY "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6"
#define SUMDB_NOTE "go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n\n" \
	"\xe2\x80\x94 localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n"

/* C2SP tlog-cosignature example body and time; witness key = RFC 8032
 * test-1 seed, log key = RFC 8032 test-2 seed; lines computed with Python. */
#define CK_BODY "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define CK_TIME 1679315147ULL
#define W1_VKEY "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define W1_SKEY "PRIVATE+KEY+witness.example.com/w1+7e6f4aaa+BJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
#define W1_LINE "\xe2\x80\x94 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n"
#define W1_LINE_EXT "\xe2\x80\x94 witness.example.com/w1 fm9KqgAAAABkGFDLIuL8T/r+ot9/se7I268ZmJM8p3rxd8Ka+bfcOd5xPdXHh3MoYE7+z/yUoNC/vP2rFAwTNdNupv+DNpCrycDFBg==\n"
#define LOG_VKEY "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
#define LOG_SKEY "PRIVATE+KEY+example.com/behind-the-sofa+37bc54d7+AUzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7"
#define LOG_LINE "\xe2\x80\x94 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n"

static struct note n;	/* 14 KB: keep it off the stack */

static struct note_vkey
vkey(const char *s)
{
	struct note_vkey k;

	ck_assert_int_eq(note_vkey_parse(s, strlen(s), &k), 0);
	return k;
}

static struct note_skey
skey(const char *s)
{
	struct note_skey k;

	ck_assert_int_eq(note_skey_parse(s, strlen(s), &k), 0);
	return k;
}

/* Parse then verify s against keys; returns the first error. */
static int
open_note(const char *s, size_t len, const struct note_vkey *keys,
    size_t nkeys, uint64_t *mask)
{
	int rc;

	if ((rc = note_parse(s, len, &n)) != 0)
		return rc;
	return note_verify(&n, keys, nkeys, mask);
}

static int
open_str(const char *s, const struct note_vkey *keys, size_t nkeys)
{
	uint64_t m;

	return open_note(s, strlen(s), keys, nkeys, &m);
}

START_TEST(key_strings_known_answers)
{
	struct note_vkey v;
	struct note_skey s;
	char buf[PT_MAX_VKEY + 16];
	uint32_t h;

	v = vkey(PETER_VKEY);
	ck_assert_str_eq(v.name, "PeterNeumann");
	ck_assert_uint_eq(v.hash, 0xc74f20a3);
	ck_assert_uint_eq(v.alg, NOTE_ALG_ED25519);
	ck_assert_int_eq(note_key_hash("PeterNeumann", 1, v.pub, &h), 0);
	ck_assert_uint_eq(h, 0xc74f20a3);
	ck_assert_int_eq(note_vkey_format(&v, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, PETER_VKEY);
	s = skey(PETER_SKEY);
	ck_assert_mem_eq(&s.vk, &v, sizeof(v));	/* derived public key */
	ck_assert_int_eq(note_skey_format(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, PETER_SKEY);
	ck_assert_int_eq(note_vkey_format(&v, buf, 10), PT_ETOOBIG);
	ck_assert_int_eq(note_skey_format(&s, buf, 20), PT_ETOOBIG);
	note_skey_wipe(&s);
	ck_assert_uint_eq(s.seed[0] | s.seed[31], 0);
	v = vkey(ENOCH_VKEY);
	ck_assert_uint_eq(v.hash, 0xaf0cfe78);
	/* Cosignature (0x04) keys. */
	v = vkey(W1_VKEY);
	ck_assert_uint_eq(v.alg, NOTE_ALG_COSIG_V1);
	s = skey(W1_SKEY);
	ck_assert_mem_eq(s.vk.pub, v.pub, 32);
	note_skey_wipe(&s);
}
END_TEST

/* golang.org/x/mod/sumdb/note TestNewVerifier / TestNewSigner manglings. */
START_TEST(key_strings_mangled)
{
	static const char *vk = PETER_VKEY, *sk = PETER_SKEY;
	struct note_vkey v;
	struct note_skey s;
	char b[160];
	size_t vl = strlen(vk), sl = strlen(sk);

	for (size_t i = 0; i <= vl; i++)
		for (size_t j = i + 1; j <= vl; j++)
			if (i != 0 || j != vl)
				ck_assert_int_ne(note_vkey_parse(vk + i, j - i,
				    &v), 0);
	strcpy(b, vk);
	for (size_t i = 0; i < vl; i++) {
		b[i]++;
		ck_assert_int_ne(note_vkey_parse(b, vl, &v), 0);
		b[i]--;
	}
	for (size_t i = 0; i <= sl; i++)
		for (size_t j = i + 1; j <= sl; j++)
			if (i != 0 || j != sl)
				ck_assert_int_ne(note_skey_parse(sk + i, j - i,
				    &s), 0);
	strcpy(b, sk);
	for (size_t i = 0; i < sl; i++) {
		b[i]++;
		ck_assert_int_ne(note_skey_parse(b, sl, &s), 0);
		b[i]--;
	}
	/* Wrong length key and unknown algorithm, each with its hash fixed. */
	ck_assert_int_eq(note_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
	    74, &v), PT_EMALFORMED);
	ck_assert_int_eq(note_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    66, &v), PT_EMALFORMED);
	/* Upper-case hash hex is not the canonical form. */
	ck_assert_int_eq(note_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    66, &v), PT_EMALFORMED);
	/* A private key is not a verifier key and vice versa. */
	ck_assert_int_ne(note_vkey_parse(sk, sl, &v), 0);
	ck_assert_int_ne(note_skey_parse(vk, vl, &s), 0);
	{
		static char big[PT_MAX_VKEY_MLDSA + 2];

		memset(big, 'a', sizeof(big));
		ck_assert_int_eq(note_vkey_parse(big, PT_MAX_VKEY_MLDSA + 1,
		    &v), PT_ETOOBIG);
	}
}
END_TEST

/* ML-DSA-44 cosignature keys (type 0x06, C2SP tlog-cosignature): parsed,
 * key ID checked, never verifiable here.  Known answer from Python's
 * hashlib: name "mldsa.example/w9", public key bytes (7 i + 3) mod 256,
 * key ID a0622188, SHA-256 of the key 1aa85d17...361d1e. */
START_TEST(mldsa_keys)
{
	static const uint8_t fp[32] = {
		0x1a, 0xa8, 0x5d, 0x17, 0x97, 0xe4, 0x4d, 0xfa, 0x04, 0x49,
		0x7a, 0x5c, 0xd0, 0xd1, 0x8c, 0x68, 0xbc, 0x29, 0x86, 0x53,
		0x90, 0x24, 0x11, 0x2e, 0xc9, 0xc9, 0x73, 0x1f, 0x08, 0x36,
		0x1d, 0x1e };
	static char s[PT_MAX_VKEY_MLDSA + 64], out[PT_MAX_VKEY_MLDSA];
	uint8_t key[1 + NOTE_MLDSA44_PUB];
	struct note_vkey v;
	struct note_skey sk;
	size_t kl;

	key[0] = 0x06;
	for (int i = 0; i < NOTE_MLDSA44_PUB; i++)
		key[1 + i] = (uint8_t)(i * 7 + 3);
	kl = (size_t)snprintf(s, sizeof(s), "mldsa.example/w9+a0622188+");
	ck_assert_int_gt(cr_b64_encode(key, sizeof(key), s + kl,
	    sizeof(s) - kl), 0);
	ck_assert_int_eq(note_vkey_parse(s, strlen(s), &v), 0);
	ck_assert_uint_eq(v.alg, NOTE_ALG_COSIG_MLDSA44);
	ck_assert_uint_eq(v.hash, 0xa0622188);
	ck_assert_str_eq(v.name, "mldsa.example/w9");
	ck_assert_mem_eq(v.pub, fp, 32);
	ck_assert_int_eq(note_alg_verifiable(v.alg), 0);
	ck_assert_str_eq(note_alg_name(v.alg), "ML-DSA-44 cosignature");
	/* Only the fingerprint is kept: it cannot be written back. */
	ck_assert_int_eq(note_vkey_format(&v, out, sizeof(out)), PT_EINVAL);
	/* Another key ID, a key one byte short. */
	s[kl - 2] = s[kl - 2] == '8' ? '9' : '8';
	ck_assert_int_eq(note_vkey_parse(s, strlen(s), &v), PT_EMALFORMED);
	kl = (size_t)snprintf(s, sizeof(s), "mldsa.example/w9+a0622188+");
	ck_assert_int_gt(cr_b64_encode(key, sizeof(key) - 1, s + kl,
	    sizeof(s) - kl), 0);
	ck_assert_int_eq(note_vkey_parse(s, strlen(s), &v), PT_EMALFORMED);
	/* No private keys of that type, no key generation. */
	ck_assert_int_eq(note_keygen("x", NOTE_ALG_COSIG_MLDSA44, &sk),
	    PT_EINVAL);
	/* An Ed25519-sized key under type 0x06 is the wrong length. */
	ck_assert_int_eq(note_vkey_parse("PeterNeumann+c74f20a3+BhpzZAIUFDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    66, &v), PT_EMALFORMED);
	/* A line whose (name, key ID) is an ML-DSA-44 key is ignored by
	 * note_verify (it cannot check it), whatever it holds. */
	{
		static char msg[8192];
		uint8_t raw[4 + 8 + NOTE_MLDSA44_SIG];
		struct note_vkey ks[2];
		uint64_t m;

		kl = (size_t)snprintf(s, sizeof(s), "mldsa.example/w9+a0622188+");
		cr_b64_encode(key, sizeof(key), s + kl, sizeof(s) - kl);
		ks[0] = vkey(PETER_VKEY);
		ck_assert_int_eq(note_vkey_parse(s, strlen(s), &ks[1]), 0);
		memset(raw, 0x5a, sizeof(raw));
		raw[0] = 0xa0, raw[1] = 0x62, raw[2] = 0x21, raw[3] = 0x88;
		kl = (size_t)snprintf(msg, sizeof(msg), "%s\n%s\xe2\x80\x94 "
		    "mldsa.example/w9 ", PETER_TEXT, PETER_SIG);
		kl += (size_t)cr_b64_encode(raw, sizeof(raw), msg + kl,
		    sizeof(msg) - kl);
		msg[kl++] = '\n';
		ck_assert_int_eq(open_note(msg, kl, ks, 2, &m), 0);
		ck_assert_uint_eq(m, 1);
		ck_assert_uint_eq(kl, strlen(PETER_TEXT) + 1 +
		    strlen(PETER_SIG) + 4 + 16 + 1 + 3244 + 1);
		ck_assert_int_eq(open_note(msg, kl, ks + 1, 1, &m),
		    PT_EUNKNOWNSIGNER);
	}
}
END_TEST

START_TEST(key_names)
{
	char big[PT_MAX_KEY_NAME + 2];

	ck_assert_int_eq(note_name_check("example.com/log42", 17), 0);
	ck_assert_int_eq(note_name_check("caf\xc3\xa9", 5), 0);
	ck_assert_int_eq(note_name_check("", 0), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a+b", 3), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a b", 3), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\tb", 3), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\nb", 3), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\0b", 3), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\xc2\xa0" "b", 4), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\xe2\x80\x83" "b", 5), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\xe3\x80\x80" "b", 5), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\xe2\x80\xa8" "b", 5), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\xff", 2), PT_EMALFORMED);
	ck_assert_int_eq(note_name_check("a\xc0\xaf", 3), PT_EMALFORMED);
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(note_name_check(big, PT_MAX_KEY_NAME), 0);
	ck_assert_int_eq(note_name_check(big, PT_MAX_KEY_NAME + 1), PT_ETOOBIG);
}
END_TEST

START_TEST(keygen_round_trip)
{
	struct note_skey s, s2;
	struct note_vkey v;
	char sb[PT_MAX_VKEY + 16], vb[PT_MAX_VKEY + 1];
	uint8_t algs[2] = { NOTE_ALG_ED25519, NOTE_ALG_COSIG_V1 };

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(note_keygen("example.org/k", algs[i], &s), 0);
		ck_assert_int_eq(note_skey_format(&s, sb, sizeof(sb)), 0);
		ck_assert_int_eq(note_vkey_format(&s.vk, vb, sizeof(vb)), 0);
		ck_assert_int_eq(note_skey_parse(sb, strlen(sb), &s2), 0);
		ck_assert_int_eq(note_vkey_parse(vb, strlen(vb), &v), 0);
		ck_assert_mem_eq(&s2, &s, sizeof(s));
		ck_assert_mem_eq(&v, &s.vk, sizeof(v));
		note_skey_wipe(&s);
		note_skey_wipe(&s2);
	}
	ck_assert_int_eq(note_keygen("bad name", 1, &s), PT_EMALFORMED);
	ck_assert_int_eq(note_keygen("ok", 2, &s), PT_EINVAL);
}
END_TEST

/* sumdb/note TestSign and the package documentation's example. */
START_TEST(sign_known_answer)
{
	struct note_skey s = skey(PETER_SKEY);
	char out[1024];
	size_t len;

	ck_assert_int_eq(note_sign(PETER_TEXT, strlen(PETER_TEXT), &s, 1, 0,
	    out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, PETER_TEXT "\n" PETER_SIG);
	ck_assert_uint_eq(len, strlen(out));
	/* note_sign_line appends to a string. */
	strcpy(out, "x");
	ck_assert_int_eq(note_sign_line(&s, PETER_TEXT, strlen(PETER_TEXT),
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "x" PETER_SIG);
	out[0] = '\0';
	ck_assert_int_eq(note_sign_line(&s, PETER_TEXT, strlen(PETER_TEXT),
	    out, 40), PT_ETOOBIG);
	ck_assert_int_eq(note_sign_line(&s, PETER_TEXT, strlen(PETER_TEXT),
	    out, 40), PT_ETOOBIG);	/* out was left a valid string */
	/* Text without a final newline, empty text, control characters. */
	ck_assert_int_eq(note_sign("abc", 3, &s, 1, 0, out, sizeof(out), &len),
	    PT_EMALFORMED);
	ck_assert_int_eq(note_sign("", 0, &s, 1, 0, out, sizeof(out), &len),
	    PT_EMALFORMED);
	ck_assert_int_eq(note_sign("a\rb\n", 4, &s, 1, 0, out, sizeof(out),
	    &len), PT_EMALFORMED);
	ck_assert_int_eq(note_sign(PETER_TEXT, strlen(PETER_TEXT), &s, 1, 0,
	    out, 100, &len), PT_ETOOBIG);
	/* The same key twice. */
	{
		struct note_skey two[2] = { s, s };

		ck_assert_int_eq(note_sign(PETER_TEXT, strlen(PETER_TEXT), two,
		    2, 0, out, sizeof(out), &len), PT_EINVAL);
		note_skey_wipe(&two[0]);
		note_skey_wipe(&two[1]);
	}
	note_skey_wipe(&s);
}
END_TEST

/* sumdb/note TestOpen. */
START_TEST(open_known_answers)
{
	static const char msg[] = PETER_TEXT "\n" PETER_SIG ENOCH_SIG;
	struct note_vkey keys[3];
	uint64_t m = 99;

	keys[0] = vkey(PETER_VKEY);
	keys[1] = vkey(ENOCH_VKEY);
	ck_assert_int_eq(open_note(msg, strlen(msg), keys, 1, &m), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_uint_eq(n.text_len, strlen(PETER_TEXT));
	ck_assert_mem_eq(n.text, PETER_TEXT, n.text_len);
	ck_assert_uint_eq(n.nsigs, 2);
	ck_assert_str_eq(n.sigs[1].name, "EnochRoot");
	ck_assert_uint_eq(n.sigs[1].hash, 0xaf0cfe78);
	ck_assert_uint_eq(n.sigs[1].sig_len, 64);
	ck_assert_int_eq(open_note(msg, strlen(msg), keys, 2, &m), 0);
	ck_assert_uint_eq(m, 3);
	ck_assert_int_eq(open_note(msg, strlen(msg), keys + 1, 1, &m), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_int_eq(open_note(msg, strlen(msg), NULL, 0, &m),
	    PT_EUNKNOWNSIGNER);
	/* Duplicated verifier: ambiguous. */
	keys[2] = keys[1];
	ck_assert_int_eq(open_note(msg, strlen(msg), keys, 3, &m), PT_EINVAL);
	/* A signature tampered with ("ABCD" inserted at 60) by a known key. */
	{
		char bad[512];
		const char *sig = PETER_SIG;

		snprintf(bad, sizeof(bad), "%s\n%.60sABCD%s", PETER_TEXT, sig,
		    sig + 60);
		ck_assert_int_eq(open_str(bad, keys, 1), PT_ESIG);
		/* ... is ignored when the key is unknown. */
		ck_assert_int_eq(open_note(bad, strlen(bad), keys + 1, 1, &m),
		    PT_EUNKNOWNSIGNER);
	}
	/* A signed tree note from sumdb's tests. */
	keys[0] = vkey(SUMDB_VKEY);
	ck_assert_int_eq(open_str(SUMDB_NOTE, keys, 1), 0);
}
END_TEST

/* sumdb/note TestOpen's malformed messages, and ours. */
START_TEST(malformed_corpus)
{
	static const struct {
		const char *msg;
		int err;
	} bad[] = {
		{ PETER_TEXT, PT_EMALFORMED },			/* no blank line */
		{ PETER_TEXT "\n", PT_EMALFORMED },		/* no signatures */
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		  PT_EMALFORMED },				/* no final newline */
		{ "\x01" PETER_TEXT "\n" PETER_SIG, PT_EMALFORMED },
		{ "\xff" PETER_TEXT "\n" PETER_SIG, PT_EUTF8 },
		{ PETER_TEXT "\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n" PETER_SIG "Unexpected line.\n", PT_EMALFORMED },
		/* Empty text: the only blank line is the first line. */
		{ "\n" PETER_SIG, PT_EMALFORMED },
		{ "", PT_EMALFORMED },
		{ "\n", PT_EMALFORMED },
		{ "\n\n", PT_EMALFORMED },
		/* Base64: bad character, missing padding, non-zero pad bits. */
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA*=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n",
		  PT_EMALFORMED },
		/* Signature too short to carry a key hash and a signature. */
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08gow==\n", PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann \n", PT_EMALFORMED },
		/* Extra or missing spaces, wrong dash. */
		{ PETER_TEXT "\n\xe2\x80\x94  PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n \xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  PT_EMALFORMED },
		{ PETER_TEXT "\n\xe2\x80\x94 PeterNeumann\n", PT_EMALFORMED },
		/* Control characters anywhere: CR, TAB, NUL, ESC. */
		{ "If you\r\n\n" PETER_SIG, PT_EMALFORMED },
		{ "a\tb\n\n" PETER_SIG, PT_EMALFORMED },
		{ PETER_TEXT "\n" PETER_SIG "\r\n", PT_EMALFORMED },
		{ "a\x1b[0m\n\n" PETER_SIG, PT_EMALFORMED },
		/* Non-UTF-8: overlong, surrogate, truncated, > U+10FFFF. */
		{ "a\xc0\xaf\n\n" PETER_SIG, PT_EUTF8 },
		{ "a\xed\xa0\x80\n\n" PETER_SIG, PT_EUTF8 },
		{ "a\xe2\x80\n\n" PETER_SIG, PT_EUTF8 },
		{ "a\xf4\x90\x80\x80\n\n" PETER_SIG, PT_EUTF8 },
		/* Duplicate signature lines by one known key (by an unknown
		 * one they are ignored: see below). */
		{ PETER_TEXT "\n" PETER_SIG PETER_SIG, PT_EMALFORMED },
		{ PETER_TEXT "\n" ENOCH_SIG PETER_SIG PETER_SIG, PT_EMALFORMED },
		/* Blank line after the signatures. */
		{ PETER_TEXT "\n" PETER_SIG "\n", PT_EMALFORMED },
	};
	struct note_vkey k = vkey(PETER_VKEY);
	uint64_t m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = open_note(bad[i].msg, strlen(bad[i].msg), &k, 1, &m);

		ck_assert_msg(rc == bad[i].err, "case %zu: got %d want %d", i,
		    rc, bad[i].err);
	}
	ck_assert_int_eq(open_note("a\0b\n\n" PETER_SIG, 4 + 1 +
	    strlen(PETER_SIG), &k, 1, &m), PT_EMALFORMED);
	/* Accepted: two lines by a key we do not know (signed-note: MUST
	 * ignore signatures from unknown keys). */
	ck_assert_int_eq(open_note(PETER_TEXT "\n" ENOCH_SIG PETER_SIG ENOCH_SIG,
	    strlen(PETER_TEXT "\n" ENOCH_SIG PETER_SIG ENOCH_SIG), &k, 1, &m),
	    0);
	ck_assert_uint_eq(n.nsigs, 3);
	/* Accepted: a text with empty lines and a final empty line (the
	 * split is at the last blank line), U+007F, non-ASCII text. */
	{
		struct note_skey s = skey(PETER_SKEY);
		static const char *good[] = { "a\n\nb\n", "a\n\n", "\n",
		    "\x7f\n", "ed \xc3\xa8 subito sera.\n" };
		char out[1024];
		size_t len;

		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			ck_assert_int_eq(note_sign(good[i], strlen(good[i]), &s,
			    1, 0, out, sizeof(out), &len), 0);
			ck_assert_int_eq(open_note(out, len, &k, 1, &m), 0);
			ck_assert_uint_eq(n.text_len, strlen(good[i]));
		}
		note_skey_wipe(&s);
	}
}
END_TEST

START_TEST(key_hash_mismatch_and_unknown)
{
	struct note_vkey k = vkey(PETER_VKEY), other;
	char msg[2048];

	/* Same name, different hash: an unknown key, so ignored. */
	snprintf(msg, sizeof(msg), "%s\n%s", PETER_TEXT,
	    "\xe2\x80\x94 PeterNeumann xxxxo/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
	ck_assert_int_eq(open_str(msg, &k, 1), PT_EUNKNOWNSIGNER);
	/* Same hash, different name: also unknown. */
	snprintf(msg, sizeof(msg), "%s\n%s", PETER_TEXT,
	    "\xe2\x80\x94 CarmenSandiego x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
	ck_assert_int_eq(open_str(msg, &k, 1), PT_EUNKNOWNSIGNER);
	/* Unknown signatures before and after a good one are ignored. */
	snprintf(msg, sizeof(msg), "%s\n%s%s%s", PETER_TEXT, ENOCH_SIG,
	    PETER_SIG, "\xe2\x80\x94 x AAAAAAA=\n");
	ck_assert_int_eq(open_str(msg, &k, 1), 0);
	/* Known key, wrong signature length (63 and 65 bytes): rejected. */
	{
		uint8_t raw[4 + 65];
		char b64[200];
		size_t rl;
		const char *p = PETER_SIG + 4 + 13;

		ck_assert_int_eq(cr_b64_decode(p, strlen(p) - 1, raw,
		    sizeof(raw), &rl), 0);
		ck_assert_uint_eq(rl, 68);
		raw[68] = 0;
		for (size_t l = 67; l <= 69; l += 2) {
			ck_assert_int_gt(cr_b64_encode(raw, l, b64,
			    sizeof(b64)), 0);
			snprintf(msg, sizeof(msg),
			    "%s\n\xe2\x80\x94 PeterNeumann %s\n", PETER_TEXT,
			    b64);
			ck_assert_int_eq(open_str(msg, &k, 1), PT_ESIG);
		}
	}
	/* A key with the same name and hash but another public key. */
	other = k;
	other.pub[0] ^= 1;
	ck_assert_int_eq(open_str(PETER_TEXT "\n" PETER_SIG, &other, 1),
	    PT_ESIG);
	/* A long unknown signature (e.g. ML-DSA) is carried, not verified. */
	{
		uint8_t raw[700];
		char b64[1000];

		memset(raw, 7, sizeof(raw));
		ck_assert_int_gt(cr_b64_encode(raw, sizeof(raw), b64,
		    sizeof(b64)), 0);
		snprintf(msg, sizeof(msg), "%s\n%s\xe2\x80\x94 pq %s\n",
		    PETER_TEXT, PETER_SIG, b64);
		ck_assert_int_eq(open_str(msg, &k, 1), 0);
		ck_assert_uint_eq(n.sigs[1].sig_len, 696);
	}
}
END_TEST

/* Build a note of text with nsig signature lines by generated keys. */
static size_t
many_sigs(char *out, size_t cap, size_t nsig, struct note_vkey *first)
{
	static struct note_skey keys[PT_NOTE_MAX_SIGS];
	size_t len, pos, i;
	char name[32];

	ck_assert_uint_le(nsig, PT_NOTE_MAX_SIGS + 1);
	for (i = 0; i < nsig && i < PT_NOTE_MAX_SIGS; i++) {
		snprintf(name, sizeof(name), "w%zu.example", i);
		ck_assert_int_eq(note_keygen(name, i % 2 ? NOTE_ALG_COSIG_V1 :
		    NOTE_ALG_ED25519, &keys[i]), 0);
	}
	ck_assert_int_eq(note_sign(CK_BODY, strlen(CK_BODY), keys, i, 1, out,
	    cap, &len), 0);
	*first = keys[0].vk;
	if (nsig > PT_NOTE_MAX_SIGS) {
		pos = len;
		ck_assert_int_eq(note_sign_line(&keys[0], "other\n", 6, out,
		    cap), 0);
		len = strlen(out);
		ck_assert_uint_gt(len, pos);
	}
	for (i = 0; i < nsig && i < PT_NOTE_MAX_SIGS; i++)
		note_skey_wipe(&keys[i]);
	return len;
}

START_TEST(signature_count_limits)
{
	static char buf[PT_NOTE_MAX * 2];
	struct note_vkey first;
	uint64_t m;
	size_t len;

	/* 16 must be accepted (C2SP), and everything up to our limit. */
	len = many_sigs(buf, sizeof(buf), 16, &first);
	ck_assert_int_eq(open_note(buf, len, &first, 1, &m), 0);
	ck_assert_uint_eq(n.nsigs, 16);
	len = many_sigs(buf, sizeof(buf), 17, &first);
	ck_assert_int_eq(open_note(buf, len, &first, 1, &m), 0);
	len = many_sigs(buf, sizeof(buf), PT_NOTE_MAX_SIGS, &first);
	ck_assert_int_eq(open_note(buf, len, &first, 1, &m), 0);
	ck_assert_uint_eq(n.nsigs, PT_NOTE_MAX_SIGS);
	len = many_sigs(buf, sizeof(buf), PT_NOTE_MAX_SIGS + 1, &first);
	ck_assert_int_eq(note_parse(buf, len, &n), PT_ETOOBIG);
}
END_TEST

START_TEST(size_limits)
{
	static char buf[PT_NOTE_MAX * 2], out[PT_NOTE_MAX * 2];
	struct note_skey s = skey(PETER_SKEY);
	struct note_vkey k = vkey(PETER_VKEY);
	size_t len, pos = 0;
	uint64_t m;

	/* One line of PT_NOTE_MAX_LINE bytes is fine, one more byte is not. */
	memset(buf, 'a', PT_NOTE_MAX_LINE);
	buf[PT_NOTE_MAX_LINE] = '\n';
	ck_assert_int_eq(note_sign(buf, PT_NOTE_MAX_LINE + 1, &s, 1, 0, out,
	    sizeof(out), &len), 0);
	ck_assert_int_eq(open_note(out, len, &k, 1, &m), 0);
	memset(buf, 'a', PT_NOTE_MAX_LINE + 1);
	buf[PT_NOTE_MAX_LINE + 1] = '\n';
	ck_assert_int_eq(note_sign(buf, PT_NOTE_MAX_LINE + 2, &s, 1, 0, out,
	    sizeof(out), &len), PT_ETOOBIG);
	/* Multi-byte characters count in bytes. */
	for (pos = 0; pos < PT_NOTE_MAX_LINE + 1; pos += 2)
		memcpy(buf + pos, "\xc3\xa9", 2);
	buf[pos] = '\n';
	ck_assert_int_eq(note_text_check(buf, pos + 1), PT_ETOOBIG);
	/* Whole note over PT_NOTE_MAX. */
	for (pos = 0; pos <= PT_NOTE_MAX; pos += 1001) {
		memset(buf + pos, 'b', 1000);
		buf[pos + 1000] = '\n';
	}
	ck_assert_int_eq(note_text_check(buf, pos), PT_ETOOBIG);
	ck_assert_int_eq(note_sign(buf, pos, &s, 1, 0, out, sizeof(out), &len),
	    PT_ETOOBIG);
	memcpy(buf + pos, "\n" PETER_SIG, 1 + strlen(PETER_SIG));
	ck_assert_int_eq(note_parse(buf, pos + 1 + strlen(PETER_SIG), &n),
	    PT_ETOOBIG);
	/* A text of PT_NOTE_MAX_TEXT bytes signs and opens; one byte more
	 * does not. */
	len = PT_NOTE_MAX_TEXT;
	for (pos = 0; pos < len; pos++)
		buf[pos] = (pos % 1000 == 999 || pos == len - 1) ? '\n' : 'c';
	ck_assert_int_eq(note_sign(buf, len, &s, 1, 0, out, sizeof(out), &pos),
	    0);
	ck_assert_int_eq(open_note(out, pos, &k, 1, &m), 0);
	buf[len - 1] = 'c';
	buf[len] = '\n';
	ck_assert_int_eq(note_sign(buf, len + 1, &s, 1, 0, out, sizeof(out),
	    &pos), PT_ETOOBIG);
	note_skey_wipe(&s);
}
END_TEST

/* One signature line of exactly PT_NOTE_MAX_SIG_LINE bytes (a 126-byte
 * name and 6,045 bytes of signature) by an unknown key. */
static size_t
max_sig_line(char *out, int tag, int extra)
{
	uint8_t raw[6045];
	size_t nl = 126 + (size_t)extra, pos;
	int b;

	memcpy(out, "\xe2\x80\x94 ", 4);
	memset(out + 4, 'n', nl);
	out[4] = (char)('A' + tag % 26);
	out[5] = (char)('A' + tag / 26);
	out[4 + nl] = ' ';
	memset(raw, tag, sizeof(raw));
	b = cr_b64_encode(raw, sizeof(raw), out + 5 + nl, 8200);
	ck_assert_int_eq(b, 8060);
	pos = 5 + nl + (size_t)b;
	out[pos++] = '\n';
	return pos;
}

/* note_keep_lines: the text and the lines of the given keys only. */
START_TEST(keep_lines)
{
	static char msg[16384], out[16384];
	static const char want[] = PETER_TEXT "\n" PETER_SIG;
	struct note_vkey k = vkey(PETER_VKEY), e = vkey(ENOCH_VKEY), ks[2];
	size_t len, olen;

	len = (size_t)snprintf(msg, sizeof(msg), "%s\n%s%s", PETER_TEXT,
	    ENOCH_SIG, PETER_SIG);
	len += max_sig_line(msg + len, 3, 0);
	ck_assert_int_eq(note_parse(msg, len, &n), 0);
	ck_assert_int_eq(note_keep_lines(&n, &k, 1, out, sizeof(out), &olen),
	    0);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(olen, strlen(want));
	/* Two keys: their lines in the note's order. */
	ks[0] = k;
	ks[1] = e;
	ck_assert_int_eq(note_keep_lines(&n, ks, 2, out, sizeof(out), &olen),
	    0);
	ck_assert_str_eq(out, PETER_TEXT "\n" ENOCH_SIG PETER_SIG);
	/* No line by the keys; too small an output. */
	ck_assert_int_eq(note_keep_lines(&n, NULL, 0, out, sizeof(out), NULL),
	    PT_EUNKNOWNSIGNER);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(note_keep_lines(&n, &k, 1, out, strlen(want), NULL),
	    PT_ETOOBIG);
	ck_assert_int_eq(note_keep_lines(&n, &k, 1, out, strlen(want) + 1,
	    NULL), 0);
}
END_TEST

START_TEST(signature_line_limits)
{
	static char buf[PT_NOTE_MAX + 16384];
	struct note_vkey k = vkey(PETER_VKEY);
	size_t pos, tl;
	uint64_t m;
	int i;

	/* A maximal line after a known signature: accepted and ignored. */
	pos = (size_t)sprintf(buf, "%s\n%s", PETER_TEXT, PETER_SIG);
	tl = max_sig_line(buf + pos, 0, 0);
	ck_assert_uint_eq(tl, PT_NOTE_MAX_SIG_LINE);
	ck_assert_int_eq(open_note(buf, pos + tl, &k, 1, &m), 0);
	ck_assert_uint_eq(n.sigs[1].sig_len, 6045 - 4);
	ck_assert_uint_eq(n.sigs[1].line_len, PT_NOTE_MAX_SIG_LINE);
	ck_assert_ptr_eq(n.sigs[1].line, buf + pos);
	/* One byte longer (a longer name): too big. */
	tl = max_sig_line(buf + pos, 0, 1);
	ck_assert_int_eq(note_parse(buf, pos + tl, &n), PT_ETOOBIG);
	/* The largest note: a PT_NOTE_MAX_TEXT text and 16 maximal lines
	 * (one of them replaced by the known signature, padded). */
	for (pos = 0; pos < PT_NOTE_MAX_TEXT; pos++)
		buf[pos] = (pos % 1000 == 999 ||
		    pos == PT_NOTE_MAX_TEXT - 1) ? '\n' : 'c';
	buf[pos++] = '\n';
	for (i = 0; i < 16; i++)
		pos += max_sig_line(buf + pos, i, 0);
	ck_assert_uint_eq(pos, PT_NOTE_MAX);
	ck_assert_int_eq(note_parse(buf, pos, &n), 0);
	ck_assert_uint_eq(n.nsigs, 16);
	ck_assert_int_eq(note_verify(&n, &k, 1, &m), PT_EUNKNOWNSIGNER);
	/* One byte more (a longer name in the last line): over PT_NOTE_MAX. */
	pos -= PT_NOTE_MAX_SIG_LINE;
	pos += max_sig_line(buf + pos, 15, 1);
	ck_assert_uint_eq(pos, PT_NOTE_MAX + 1);
	ck_assert_int_eq(note_parse(buf, pos, &n), PT_ETOOBIG);
}
END_TEST

/* tlog-cosignature v1: the spec's checkpoint and time, cosigned with a
 * known key by an independent implementation (Python cryptography). */
START_TEST(cosignature_known_answers)
{
	static const char msg[] = CK_BODY "\n" LOG_LINE W1_LINE;
	struct note_skey ls = skey(LOG_SKEY), ws = skey(W1_SKEY), both[2];
	struct note_vkey keys[2];
	uint8_t sig[72];
	char out[1024];
	size_t len;
	uint64_t m, ts;

	keys[0] = vkey(LOG_VKEY);
	keys[1] = vkey(W1_VKEY);
	both[0] = ls;
	both[1] = ws;
	ck_assert_int_eq(note_sign(CK_BODY, strlen(CK_BODY), both, 2, CK_TIME,
	    out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, msg);
	ck_assert_int_eq(open_note(msg, strlen(msg), keys, 2, &m), 0);
	ck_assert_uint_eq(m, 3);
	ck_assert_int_eq(note_cosig_verify_v1(&keys[1], n.text, n.text_len,
	    n.sigs[1].sig, n.sigs[1].sig_len, &ts), 0);
	ck_assert_uint_eq(ts, CK_TIME);
	ck_assert_int_eq(note_cosign_v1(&ws, CK_BODY, strlen(CK_BODY), CK_TIME,
	    sig), 0);
	ck_assert_mem_eq(sig, n.sigs[1].sig, 72);
	/* Extension lines are part of the cosigned message. */
	ck_assert_int_eq(note_sign(CK_BODY "ext one\n", strlen(CK_BODY) + 8,
	    &ws, 1, CK_TIME, out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, CK_BODY "ext one\n\n" W1_LINE_EXT);
	ck_assert_int_eq(open_note(out, len, &keys[1], 1, &m), 0);
	/* The same cosignature over the body without the extension fails. */
	ck_assert_int_eq(open_str(CK_BODY "\n" W1_LINE_EXT, &keys[1], 1),
	    PT_ESIG);
	/* Another time: fails. */
	sig[7] ^= 1;
	ck_assert_int_eq(note_cosig_verify_v1(&keys[1], CK_BODY,
	    strlen(CK_BODY), sig, 72, NULL), PT_ESIG);
	/* Timestamps above 2^63 - 1 are never valid. */
	ck_assert_int_eq(note_cosign_v1(&ws, CK_BODY, strlen(CK_BODY),
	    1ULL << 63, sig), PT_EINVAL);
	ck_assert_int_eq(note_cosign_v1(&ws, CK_BODY, strlen(CK_BODY),
	    (1ULL << 63) - 1, sig), 0);
	ck_assert_int_eq(note_cosig_verify_v1(&keys[1], CK_BODY,
	    strlen(CK_BODY), sig, 72, &ts), 0);
	ck_assert_uint_eq(ts, (1ULL << 63) - 1);
	sig[0] |= 0x80;
	ck_assert_int_eq(note_cosig_verify_v1(&keys[1], CK_BODY,
	    strlen(CK_BODY), sig, 72, NULL), PT_ESIG);
	ck_assert_int_eq(note_cosig_verify_v1(&keys[1], CK_BODY,
	    strlen(CK_BODY), sig, 64, NULL), PT_ESIG);
	/* The signed text must be a checkpoint. */
	ck_assert_int_eq(note_cosign_v1(&ws, PETER_TEXT, strlen(PETER_TEXT),
	    1, sig), PT_EMALFORMED);
	/* A cosignature key is not a plain Ed25519 key: the log key cannot
	 * verify a witness line and vice versa. */
	ck_assert_int_eq(note_cosign_v1(&ls, CK_BODY, strlen(CK_BODY), 1, sig),
	    PT_EINVAL);
	ck_assert_int_eq(note_sign_line(&ws, CK_BODY, strlen(CK_BODY), out,
	    sizeof(out)), PT_EINVAL);
	note_skey_wipe(&ls);
	note_skey_wipe(&ws);
	note_skey_wipe(&both[0]);
	note_skey_wipe(&both[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("note");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, key_strings_known_answers);
	tcase_add_test(tc, key_strings_mangled);
	tcase_add_test(tc, key_names);
	tcase_add_test(tc, keygen_round_trip);
	tcase_add_test(tc, sign_known_answer);
	tcase_add_test(tc, open_known_answers);
	tcase_add_test(tc, malformed_corpus);
	tcase_add_test(tc, key_hash_mismatch_and_unknown);
	tcase_add_test(tc, signature_count_limits);
	tcase_add_test(tc, size_limits);
	tcase_add_test(tc, signature_line_limits);
	tcase_add_test(tc, mldsa_keys);
	tcase_add_test(tc, keep_lines);
	tcase_add_test(tc, cosignature_known_answers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
