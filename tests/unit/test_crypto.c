/* test_crypto.c: known answers for the OpenSSL wrapper. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pt.h"

START_TEST(sha256_known_answers)
{
	uint8_t h[32];
	char hex[65];

	ck_assert_int_eq(cr_sha256(NULL, 0, NULL, 0, NULL, 0, h), 0);
	cr_hex_encode(h, 32, hex);
	ck_assert_str_eq(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(cr_sha256("a", 1, "b", 1, "c", 1, h), 0);
	cr_hex_encode(h, 32, hex);
	ck_assert_str_eq(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* RFC 8032 section 7.1, TEST 1. */
START_TEST(ed25519_rfc8032)
{
	uint8_t seed[32], pub[32], wantpub[32], sig[64], wantsig[64];

	ck_assert_int_eq(cr_hex_decode(
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	    64, seed, 32), 0);
	ck_assert_int_eq(cr_hex_decode(
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	    64, wantpub, 32), 0);
	ck_assert_int_eq(cr_hex_decode(
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	    128, wantsig, 64), 0);
	ck_assert_int_eq(cr_ed25519_public(seed, pub), 0);
	ck_assert_mem_eq(pub, wantpub, 32);
	ck_assert_int_eq(cr_ed25519_sign(seed, "", 0, sig), 0);
	ck_assert_mem_eq(sig, wantsig, 64);
	ck_assert_int_eq(cr_ed25519_verify(pub, "", 0, sig), 0);
	sig[5] ^= 1;
	ck_assert_int_eq(cr_ed25519_verify(pub, "", 0, sig), PT_ESIG);
}
END_TEST

/* A kept signer gives the same signatures (RFC 8032 section 7.1, TEST 2,
 * and the one-shot signer's on other messages), many times over. */
START_TEST(ed25519_kept_signer)
{
	uint8_t seed[32], sig[64], want[64], one[64], msg[300];
	struct cr_signer *sg = NULL;

	ck_assert_int_eq(cr_hex_decode(
	    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	    64, seed, 32), 0);
	ck_assert_int_eq(cr_hex_decode(
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	    128, want, 64), 0);
	ck_assert_int_eq(cr_signer_new(seed, &sg), 0);
	ck_assert_int_eq(cr_signer_sign(sg, "\x72", 1, sig), 0);
	ck_assert_mem_eq(sig, want, 64);
	for (size_t i = 0; i < sizeof(msg); i++) {
		msg[i] = (uint8_t)(i * 7);
		ck_assert_int_eq(cr_signer_sign(sg, msg, i, sig), 0);
		ck_assert_int_eq(cr_ed25519_sign(seed, msg, i, one), 0);
		ck_assert_mem_eq(sig, one, 64);
	}
	cr_signer_free(sg);
	cr_signer_free(NULL);
}
END_TEST

/*
 * cr_ed25519_verify keeps a thread's last key parsed: RFC 8032 section
 * 7.1 TESTs 1 and 2 in turn, each signature checked under both keys, a
 * key one bit off, and another thread: a kept key is used for its own
 * bytes only.
 */
struct vk_case {
	uint8_t	pub[2][32], sig[2][64];
	int	fails;
};

static const char *const vk_msg[2] = { "", "\x72" };

static void *
vk_run(void *arg)
{
	struct vk_case *c = arg;
	uint8_t pub[32];

	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 2; k++) {
			for (int m = 0; m < 2; m++) {
				int rc = cr_ed25519_verify(c->pub[k], vk_msg[m],
				    strlen(vk_msg[m]), c->sig[m]);

				c->fails += (k == m) != (rc == 0);
			}
			memcpy(pub, c->pub[k], 32);
			pub[round] ^= 0x40;
			c->fails += cr_ed25519_verify(pub, vk_msg[k],
			    strlen(vk_msg[k]), c->sig[k]) == 0;
			c->fails += cr_ed25519_verify(c->pub[k], vk_msg[k],
			    strlen(vk_msg[k]), c->sig[k]) != 0;
		}
	}
	return NULL;
}

START_TEST(ed25519_verify_kept_key)
{
	static const char *const hex[4] = {
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	};
	struct vk_case here = { .fails = 0 }, there;
	pthread_t t;

	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(cr_hex_decode(hex[k], 64, here.pub[k], 32),
		    0);
		ck_assert_int_eq(cr_hex_decode(hex[2 + k], 128, here.sig[k],
		    64), 0);
	}
	there = here;
	vk_run(&here);
	ck_assert_int_eq(pthread_create(&t, NULL, vk_run, &there), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	vk_run(&here);
	ck_assert_int_eq(here.fails, 0);
	ck_assert_int_eq(there.fails, 0);
}
END_TEST

START_TEST(base64_strict)
{
	uint8_t out[16], out32[32];
	size_t n;
	char enc[32];

	ck_assert_int_eq(cr_b64_encode((const uint8_t *)"foobar", 6, enc,
	    sizeof(enc)), 8);
	ck_assert_str_eq(enc, "Zm9vYmFy");
	ck_assert_int_eq(cr_b64_decode("Zm9vYg==", 8, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(out, "foob", 4);
	ck_assert_int_eq(cr_b64_decode("Zm9vYh==", 8, out, sizeof(out), &n),
	    PT_EMALFORMED);	/* non-zero unused bits */
	ck_assert_int_eq(cr_b64_decode("Zm9vYg=", 7, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("Zm9v\nYg==", 9, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("Zm=vYg==", 8, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("", 0, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cr_b64_decode("Zm9vYmFyZm9vYmFyZm9v", 20, out, 4, &n),
	    PT_ETOOBIG);
	/* blanks EVP_DecodeBlock itself would skip */
	ck_assert_int_eq(cr_b64_decode(" Zm9vYmF", 8, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("Zm9vYmF ", 8, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("Zm9v===", 8, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("Zg==Zm9v", 8, out, sizeof(out), &n),
	    PT_EMALFORMED);
	ck_assert_int_eq(cr_b64_decode("Zm9-", 4, out, sizeof(out), &n),
	    PT_EMALFORMED);	/* base64url is another alphabet */
	/* a 32-byte key fits a 32-byte buffer (its padding needs no room) */
	ck_assert_int_eq(cr_b64_decode(
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 44, out32, 32, &n), 0);
	ck_assert_uint_eq(n, 32);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(out32[i], i);
}
END_TEST

/* RFC 4648 section 10's vectors, both ways. */
START_TEST(base64_rfc4648)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	uint8_t out[8];
	char enc[16];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t pl = strlen(v[i][0]), el = strlen(v[i][1]);

		ck_assert_int_eq(cr_b64_encode((const uint8_t *)v[i][0], pl,
		    enc, sizeof(enc)), (int)el);
		ck_assert_str_eq(enc, v[i][1]);
		ck_assert_int_eq(cr_b64_decode(v[i][1], el, out, pl, &n), 0);
		ck_assert_uint_eq(n, pl);
		ck_assert_mem_eq(out, v[i][0], pl);
	}
}
END_TEST

/*
 * Every quad of the 65 characters (the alphabet and '='), and each after
 * one valid quad: exactly the canonical encodings of 1..3 bytes decode, to
 * those bytes.  The rule is restated here, not taken from crypto.c.
 */
static int
b64_ref(int c)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c == '=' ? NULL : strchr(a, c);

	return p ? (int)(p - a) : -1;
}

START_TEST(base64_every_quad)
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	char q[9] = "QUJD", bad[9] = "";
	uint8_t out[6];
	size_t n;
	unsigned ok = 0, wrong = 0;

	/* ck_assert reports to the parent at each call: count instead */
	for (int a = 0; a < 65; a++)
	for (int b = 0; b < 65; b++)
	for (int c = 0; c < 65; c++)
	for (int d = 0; d < 65; d++) {
		int v[4], pad, valid, good;
		uint32_t w;

		q[4] = chars[a]; q[5] = chars[b]; q[6] = chars[c];
		q[7] = chars[d];
		for (int j = 0; j < 4; j++)
			v[j] = b64_ref(q[4 + j]);
		pad = (v[3] < 0) + (v[2] < 0 && v[3] < 0);
		valid = v[0] >= 0 && v[1] >= 0 && (v[2] >= 0 || pad == 2) &&
		    (pad == 2 ? (v[1] & 0xf) == 0 :
		    pad == 1 ? v[2] >= 0 && (v[2] & 0x3) == 0 : 1);
		if (!valid) {
			good = cr_b64_decode(q + 4, 4, out, 3, &n) ==
			    PT_EMALFORMED && cr_b64_decode(q, 8, out, 6, &n) ==
			    PT_EMALFORMED;
		} else {
			ok++;
			w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			    (uint32_t)(v[2] < 0 ? 0 : v[2]) << 6 |
			    (uint32_t)(v[3] < 0 ? 0 : v[3]);
			good = cr_b64_decode(q, 8, out, 6, &n) == 0 &&
			    n == 6 - (size_t)pad && memcmp(out, "ABC", 3) == 0 &&
			    out[3] == (w >> 16 & 0xff) &&
			    (pad == 2 || out[4] == (w >> 8 & 0xff)) &&
			    (pad >= 1 || out[5] == (w & 0xff));
		}
		if (!good && wrong++ == 0)
			memcpy(bad, q, sizeof(bad));
	}
	ck_assert_msg(wrong == 0, "%u quads decoded wrongly, first %s", wrong,
	    bad);
	/* 2^24 three-byte, 2^16 two-byte and 2^8 one-byte strings */
	ck_assert_uint_eq(ok, (1u << 24) + (1u << 16) + (1u << 8));
}
END_TEST

START_TEST(hex_strict)
{
	uint8_t b[2];

	ck_assert_int_eq(cr_hex_decode("aB0f", 4, b, 2), 0);
	ck_assert_uint_eq(b[0], 0xab);
	ck_assert_int_eq(cr_hex_decode("aB0", 3, b, 2), PT_EMALFORMED);
	ck_assert_int_eq(cr_hex_decode("zz00", 4, b, 2), PT_EMALFORMED);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, sha256_known_answers);
	tcase_add_test(tc, ed25519_rfc8032);
	tcase_add_test(tc, ed25519_kept_signer);
	tcase_add_test(tc, ed25519_verify_kept_key);
	tcase_add_test(tc, base64_strict);
	tcase_add_test(tc, base64_rfc4648);
	tcase_add_test(tc, base64_every_quad);
	tcase_add_test(tc, hex_strict);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
