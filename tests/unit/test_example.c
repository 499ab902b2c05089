/*
 * test_example.c: the worked example of docs/PROTOCOL.md section 8,
 * reproduced byte for byte from our code.  The expected values were
 * computed with an independent implementation (Python: msgpack,
 * cryptography, hashlib; tests/integration/ptlib.py), so the document, the
 * C code and that implementation must all agree.
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
#include "wire.h"

#define ORIGIN "example.gov/payments"
#define OFFICE_SKEY "PRIVATE+KEY+finance.example.gov+6fcd57c9+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define OFFICE_VKEY "finance.example.gov+6fcd57c9+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define LOG_SKEY "PRIVATE+KEY+example.gov/payments+a40eb6c0+ASAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/"
#define LOG_VKEY "example.gov/payments+a40eb6c0+ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"
#define TIME_MS 1768435200000ULL

static const char record_hex[] =
	    "88ac616d6f756e745f6d696e6f72ce0003d090a863757272656e6379a3455552"
	    "a464617465aa323032362d30312d3135ab6465736372697074696f6eb9526f61"
	    "64207265737572666163696e672c2070686173652031a26964ad5041592d3230"
	    "32362d30303031a5706179656584a26964a83031323334353637a46b696e64ac"
	    "6f7267616e697a6174696f6ea46e616d65ae41636d6520526f616473204c7464"
	    "a6736368656d65a647422d434f48a5706179657284a26964a346494ea46b696e"
	    "64ac6f7267616e697a6174696f6ea46e616d65b64578616d706c652046696e61"
	    "6e6365204f6666696365a6736368656d65aa58492d4558414d504c45a4747970"
	    "65a77061796d656e74";
static const char submission_hex[] =
	    "83a67265636f726488ac616d6f756e745f6d696e6f72ce0003d090a863757272"
	    "656e6379a3455552a464617465aa323032362d30312d3135ab64657363726970"
	    "74696f6eb9526f6164207265737572666163696e672c2070686173652031a269"
	    "64ad5041592d323032362d30303031a5706179656584a26964a8303132333435"
	    "3637a46b696e64ac6f7267616e697a6174696f6ea46e616d65ae41636d652052"
	    "6f616473204c7464a6736368656d65a647422d434f48a5706179657284a26964"
	    "a346494ea46b696e64ac6f7267616e697a6174696f6ea46e616d65b64578616d"
	    "706c652046696e616e6365204f6666696365a6736368656d65aa58492d455841"
	    "4d504c45a474797065a77061796d656e74a3736967c440afcacb41aee206cce9"
	    "e758a17ff891dcd24aa19a2ded623fa21aa19335b908f69f09eeb5fe760d808d"
	    "bc0525efa379884d239674eaf3fe44fb4fb4b7850d8c0fa97375626d69747465"
	    "72d94966696e616e63652e6578616d706c652e676f762b36666364353763392b"
	    "41514f6842372f7a7a68432b48584464474f644c774a6c6e354e59776d36554e"
	    "58783363686d515356544734";
static const char entry_hex[] =
	    "84a67265636f726488ac616d6f756e745f6d696e6f72ce0003d090a863757272"
	    "656e6379a3455552a464617465aa323032362d30312d3135ab64657363726970"
	    "74696f6eb9526f6164207265737572666163696e672c2070686173652031a269"
	    "64ad5041592d323032362d30303031a5706179656584a26964a8303132333435"
	    "3637a46b696e64ac6f7267616e697a6174696f6ea46e616d65ae41636d652052"
	    "6f616473204c7464a6736368656d65a647422d434f48a5706179657284a26964"
	    "a346494ea46b696e64ac6f7267616e697a6174696f6ea46e616d65b64578616d"
	    "706c652046696e616e6365204f6666696365a6736368656d65aa58492d455841"
	    "4d504c45a474797065a77061796d656e74a3736967c440afcacb41aee206cce9"
	    "e758a17ff891dcd24aa19a2ded623fa21aa19335b908f69f09eeb5fe760d808d"
	    "bc0525efa379884d239674eaf3fe44fb4fb4b7850d8c0fa97375626d69747465"
	    "72d94966696e616e63652e6578616d706c652e676f762b36666364353763392b"
	    "41514f6842372f7a7a68432b48584464474f644c774a6c6e354e59776d36554e"
	    "58783363686d515356544734a474696d65cf0000019bbef3b000";
static const char sig_hex[] = "afcacb41aee206cce9e758a17ff891dcd24aa19a2ded623fa21aa19335b908f69f09eeb5fe760d808dbc0525efa379884d239674eaf3fe44fb4fb4b7850d8c0f";
static const char msg_sha256[] = "66c59845a174d895190af0579599a3b7e2a66b92ef3c0a16c239f4ea6b261c29";
static const char leaf_hex[] = "145e09e5d61719f320466895aefe9cc36c2bbd43cb3d1ff3767d59a557aa18ae";
static const char submitter_id_hex[] = "c43f35d7e7a1af1b229476994d277c88a385e6dc212442aea6842a3d44a21b1e";
static const char note_text[] =
	    "example.gov/payments\n"
	    "1\n"
	    "FF4J5dYXGfMgRmiVrv6cw2wrvUPLPR/zdn1ZpVeqGK4=\n"
	    "\n"
	    "\xe2\x80\x94 example.gov/payments pA62wESpWl9PT7EVpNUH8o0hK/ITZykvZxrbxw3oX6bFGKEHLs89k8pE3Bac1Xg8H0t9/Cxm6eNdoJ4NzoMcgLT2lAs=\n";

static uint8_t *
unhex(const char *h, size_t *len)
{
	size_t n = strlen(h) / 2;
	uint8_t *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(cr_hex_decode(h, 2 * n, b, n), 0);
	*len = n;
	return b;
}

START_TEST(worked_example)
{
	struct note_skey office, logk;
	struct wire_submission s;
	struct wire_buf buf, msg;
	struct record_info info;
	struct mt_hash leaf;
	struct ckpt *c = calloc(1, sizeof(*c));
	uint8_t *rec, *want_sub, *want_entry, *want_sig, h[32], id[32];
	size_t rlen, slen, elen, siglen, blen, nlen;
	char vkbuf[PT_MAX_VKEY + 1], hex[65], body[512], note[1024];

	ck_assert_ptr_nonnull(c);
	rec = unhex(record_hex, &rlen);
	want_sub = unhex(submission_hex, &slen);
	want_entry = unhex(entry_hex, &elen);
	want_sig = unhex(sig_hex, &siglen);
	ck_assert_int_eq(note_skey_parse(OFFICE_SKEY, strlen(OFFICE_SKEY),
	    &office), 0);
	ck_assert_int_eq(note_skey_parse(LOG_SKEY, strlen(LOG_SKEY), &logk), 0);
	ck_assert_int_eq(note_vkey_format(&office.vk, vkbuf, sizeof(vkbuf)), 0);
	ck_assert_str_eq(vkbuf, OFFICE_VKEY);
	ck_assert_int_eq(note_vkey_format(&logk.vk, vkbuf, sizeof(vkbuf)), 0);
	ck_assert_str_eq(vkbuf, LOG_VKEY);

	/* The record is canonical and valid. */
	ck_assert_int_eq(record_check(rec, rlen, &info, NULL), 0);
	ck_assert_int_eq(info.type, RECORD_PAYMENT);

	/* The signed message and the signature. */
	wire_buf_init(&msg);
	ck_assert_int_eq(wire_sign_message(ORIGIN, rec, rlen, &msg), 0);
	ck_assert_int_eq(cr_sha256(msg.data, msg.len, NULL, 0, NULL, 0, h), 0);
	cr_hex_encode(h, 32, hex);
	ck_assert_str_eq(hex, msg_sha256);
	wire_buf_free(&msg);
	ck_assert_int_eq(wire_submission_sign(&office, ORIGIN, rec, rlen, &s,
	    vkbuf, sizeof(vkbuf)), 0);
	ck_assert_mem_eq(s.sig, want_sig, 64);

	/* The submission bytes. */
	wire_buf_init(&buf);
	ck_assert_int_eq(wire_submission_encode(&s, &buf), 0);
	ck_assert_uint_eq(buf.len, slen);
	ck_assert_mem_eq(buf.data, want_sub, slen);
	ck_assert_int_eq(wire_submission_verify(&s, ORIGIN), 0);
	ck_assert_int_eq(wire_submitter_id(OFFICE_VKEY, strlen(OFFICE_VKEY),
	    id), 0);
	cr_hex_encode(id, 32, hex);
	ck_assert_str_eq(hex, submitter_id_hex);

	/* The entry and its leaf hash. */
	buf.len = 0;
	ck_assert_int_eq(wire_entry_encode(&s, TIME_MS, &buf), 0);
	ck_assert_uint_eq(buf.len, elen);
	ck_assert_mem_eq(buf.data, want_entry, elen);
	ck_assert_int_eq(mt_leaf_hash(buf.data, buf.len, &leaf), 0);
	cr_hex_encode(leaf.b, 32, hex);
	ck_assert_str_eq(hex, leaf_hex);
	wire_buf_free(&buf);

	/* The checkpoint of the one-entry tree, signed by the log. */
	snprintf(c->origin, sizeof(c->origin), "%s", ORIGIN);
	c->size = 1;
	c->root = leaf;
	ck_assert_int_eq(ckpt_format(c, body, sizeof(body), &blen), 0);
	ck_assert_int_eq(note_sign(body, blen, &logk, 1, 0, note, sizeof(note),
	    &nlen), 0);
	ck_assert_str_eq(note, note_text);

	note_skey_wipe(&office);
	note_skey_wipe(&logk);
	free(c);
	free(rec);
	free(want_sub);
	free(want_entry);
	free(want_sig);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("example");
	TCase *tc = tcase_create("protocol");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, worked_example);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
