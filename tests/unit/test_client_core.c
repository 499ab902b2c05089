/*
 * test_client_core.c: the client's pure parts: JSON <-> canonical records
 * (known answers from Python's msgpack), natural-person commitments (known
 * answer from hashlib), receipt verification (a receipt built here from proto/ pieces, then every byte
 * flipped), number parsing, receipt file names, monitor filters, records
 * signed ahead (presign.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ckpt.h"
#include "crypto.h"
#include "../../client/json.h"
#include "../../client/monitor.h"
#include "../../client/presign.h"
#include "mt.h"
#include "note.h"
#include "num.h"
#include "pt.h"
#include "record.h"
#include "../../client/submit.h"
#include "tproof.h"
#include "../../client/util.h"
#include "../../client/verify.h"
#include "wire.h"

static const char sample_json[] =
    "{\"type\":\"payment\",\"id\":\"P-1\",\"date\":\"2026-03-01\","
    "\"amount_minor\":-5,\"currency\":\"EUR\",\"payer\":{\"kind\":"
    "\"organization\",\"scheme\":\"GB-GOR\",\"id\":\"PB1\",\"name\":"
    "\"City\"},\"payee\":{\"kind\":\"organization\",\"scheme\":\"GB-COH\","
    "\"id\":\"00000007\",\"name\":\"Acme\"},\"description\":\"x\"}";

/* Python: msgpack.packb(canon(r), use_bin_type=True).hex() */
static const char sample_hex[] =
    "88ac616d6f756e745f6d696e6f72fba863757272656e6379a3455552a464617465aa"
    "323032362d30332d3031ab6465736372697074696f6ea178a26964a3502d31a57061"
    "79656584a26964a83030303030303037a46b696e64ac6f7267616e697a6174696f6e"
    "a46e616d65a441636d65a6736368656d65a647422d434f48a5706179657284a26964"
    "a3504231a46b696e64ac6f7267616e697a6174696f6ea46e616d65a443697479a673"
    "6368656d65a647422d474f52a474797065a77061796d656e74";

static int
encode(const char *js, struct wire_buf *b, struct jrec_discs *d,
    struct pt_why *why)
{
	json_error_t je;
	json_t *o = json_loads(js, 0, &je);
	int rc;

	ck_assert_ptr_nonnull(o);
	rc = jrec_from_json(o, b, d, why);
	json_decref(o);
	return rc;
}

START_TEST(json_canonical_known_answer)
{
	struct wire_buf b;
	struct pt_why why = { "" };
	char *hex;
	json_t *back, *orig;
	json_error_t je;

	wire_buf_init(&b);
	ck_assert_int_eq(encode(sample_json, &b, NULL, &why), 0);
	hex = malloc(2 * b.len + 1);
	cr_hex_encode(b.data, b.len, hex);
	ck_assert_str_eq(hex, sample_hex);
	free(hex);
	/* and back: the same JSON value */
	ck_assert_int_eq(jrec_to_json(b.data, b.len, &back, &why), 0);
	orig = json_loads(sample_json, 0, &je);
	ck_assert(json_equal(orig, back));
	json_decref(orig);
	json_decref(back);
	wire_buf_free(&b);
}
END_TEST

START_TEST(json_refusals)
{
	static const struct {
		const char *edit_from, *edit_to;
		int want;
	} cases[] = {
		{ "\"amount_minor\":-5", "\"amount_minor\":1.5", PT_ETYPE },
		{ "\"amount_minor\":-5", "\"amount_minor\":true", PT_ETYPE },
		{ "\"amount_minor\":-5", "\"amount_minor\":null", PT_ETYPE },
		{ "\"amount_minor\":-5", "\"amount_minor\":\"5\"", PT_ETYPE },
		{ "\"date\":\"2026-03-01\"", "\"date\":\"2026-02-30\"",
		    PT_ESCHEMA },
		{ "\"currency\":\"EUR\"", "\"currency\":\"eur\"", PT_ESCHEMA },
		{ "\"description\":\"x\"", "\"extra\":\"x\",\"description\":"
		    "\"x\"", PT_EUNKNOWNKEY },
		{ "\"id\":\"P-1\",", "", PT_ESCHEMA },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char js[2048], *p;
		struct wire_buf b;
		struct pt_why why = { "" };
		int rc;

		strcpy(js, sample_json);
		p = strstr(js, cases[i].edit_from);
		ck_assert_ptr_nonnull(p);
		memmove(p + strlen(cases[i].edit_to), p +
		    strlen(cases[i].edit_from), strlen(p +
		    strlen(cases[i].edit_from)) + 1);
		memcpy(p, cases[i].edit_to, strlen(cases[i].edit_to));
		wire_buf_init(&b);
		rc = encode(js, &b, NULL, &why);
		ck_assert_msg(rc == cases[i].want, "case %zu: %d (%s), want %d",
		    i, rc, why.text, cases[i].want);
		ck_assert(why.text[0] != '\0');
		ck_assert_uint_eq(b.len, 0);
		wire_buf_free(&b);
	}
}
END_TEST

/* Known answer: SHA-256("pubtrail commitment v1\n" || 00..1f || "Jane Doe"),
 * from Python's hashlib. */
static int
known_salt(void *arg, const char *id, const char *field, const char *value,
    size_t len, uint8_t salt[32])
{
	(void)arg;
	if (strcmp(id, "P-1") != 0 || strcmp(field, "payee") != 0 ||
	    len != 8 || memcmp(value, "Jane Doe", 8) != 0)
		return 0;
	for (int i = 0; i < 32; i++)
		salt[i] = (uint8_t)i;
	return 1;
}

START_TEST(json_individual_commitment)
{
	char js[2048], *p, hex[65];
	struct wire_buf b;
	struct jrec_discs d;
	struct pt_why why = { "" };
	json_t *back;
	const char *from = "{\"kind\":\"organization\",\"scheme\":\"GB-COH\","
	    "\"id\":\"00000007\",\"name\":\"Acme\"}";
	const char *to = "{\"kind\":\"individual\",\"name\":\"Jane Doe\"}";

	strcpy(js, sample_json);
	p = strstr(js, from);
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
	memset(&d, 0, sizeof(d));
	d.known = known_salt;
	wire_buf_init(&b);
	ck_assert_int_eq(encode(js, &b, &d, &why), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.d[0].field, "payee");
	ck_assert_str_eq(d.d[0].value, "Jane Doe");
	cr_hex_encode(d.d[0].commitment, 32, hex);
	ck_assert_str_eq(hex, "4f3cc59f553206aae42914830bf04e67c459eca2574a7ec2"
	    "162bc0bd3a1dbc40");
	for (size_t k = 0; k + 4 <= b.len; k++)
		ck_assert(memcmp(b.data + k, "Jane", 4) != 0);
	ck_assert_int_eq(jrec_to_json(b.data, b.len, &back, &why), 0);
	ck_assert_str_eq(json_string_value(jrec_path(back,
	    "payee.commitment")), hex);
	ck_assert_str_eq(json_string_value(jrec_path(back, "payee.kind")),
	    "individual");
	ck_assert_ptr_null(jrec_path(back, "payee.name"));
	json_decref(back);
	/* without a known salt: a fresh random one each time */
	jrec_discs_clear(&d);
	ck_assert_ptr_eq(d.known, known_salt);
	d.known = NULL;
	b.len = 0;
	ck_assert_int_eq(encode(js, &b, &d, &why), 0);
	cr_hex_encode(d.d[0].commitment, 32, hex);
	ck_assert_str_ne(hex, "4f3cc59f553206aae42914830bf04e67c459eca2574a7ec2"
	    "162bc0bd3a1dbc40");
	jrec_discs_clear(&d);
	/* an individual with more than a name is refused */
	b.len = 0;
	p = strstr(js, "\"name\":\"Jane Doe\"");
	memmove(p + 10, p, strlen(p) + 1);
	memcpy(p, "\"id\":\"9\",", 9);
	p[9] = ' ';
	ck_assert_int_eq(encode(js, &b, &d, &why), PT_ESCHEMA);
	ck_assert_uint_eq(d.n, 0);
	wire_buf_free(&b);
}
END_TEST

START_TEST(numbers_and_names)
{
	uint64_t u;
	int64_t i;
	char name[64];

	ck_assert_int_eq(num_parse_u64_str("0", 0, 10, &u), 0);
	ck_assert_int_eq(num_parse_u64_str("010", 0, 100, &u), PT_EMALFORMED);
	ck_assert_int_eq(num_parse_u64_str("18446744073709551615", 0, UINT64_MAX,
	    &u), 0);
	ck_assert_int_eq(num_parse_u64_str("18446744073709551616", 0, UINT64_MAX,
	    &u), PT_ERANGE);
	ck_assert_int_eq(num_parse_u64_str("11", 0, 10, &u), PT_ERANGE);
	ck_assert_int_eq(num_parse_u64_str("-1", 0, 10, &u), PT_EMALFORMED);
	ck_assert_int_eq(num_parse_u64_str("", 0, 10, &u), PT_EMALFORMED);
	ck_assert_int_eq(num_parse_i64_str("-9223372036854775808", INT64_MIN,
	    INT64_MAX, &i), 0);
	ck_assert(i == INT64_MIN);
	ck_assert_int_eq(num_parse_i64_str("-0", INT64_MIN, INT64_MAX, &i),
	    PT_EMALFORMED);
	ck_assert_int_eq(sub_receipt_name("d", "PAY-1.a_b", name,
	    sizeof(name)), 0);
	ck_assert_str_eq(name, "d/PAY-1.a_b.receipt");
	ck_assert_int_eq(sub_receipt_name("d", "../x/y z", name,
	    sizeof(name)), 0);
	ck_assert_str_eq(name, "d/%2E.%2Fx%2Fy%20z.receipt");
	ck_assert_int_eq(sub_receipt_name("d", "abcdefghijklmnopqrstuvwxyz"
	    "abcdefghijklmnopqrstuvwxyz", name, 40), PT_ETOOBIG);
}
END_TEST

START_TEST(monitor_filters)
{
	json_error_t je;
	json_t *r = json_loads(sample_json, 0, &je);
	struct mon_filter f;

	memset(&f, 0, sizeof(f));
	ck_assert(mon_match(&f, r));
	f.type = "payment";
	f.payer = "Cit";
	f.payee = "7";
	ck_assert(mon_match(&f, r));
	f.have_min = 1;
	f.min_amount = -5;
	f.have_max = 1;
	f.max_amount = -5;
	ck_assert(mon_match(&f, r));
	f.max_amount = -6;
	ck_assert(!mon_match(&f, r));
	f.have_max = 0;
	f.currency = "EUR";
	ck_assert(mon_match(&f, r));
	f.currency = "USD";
	ck_assert(!mon_match(&f, r));
	f.currency = NULL;
	f.type = "permit_decision";
	ck_assert(!mon_match(&f, r));
	f.type = NULL;
	f.permit_num = "BP-1";
	ck_assert(!mon_match(&f, r));
	json_decref(r);
}
END_TEST

/* ------------------------------------------------ receipts, built here */

#define NLEAVES 5
static struct mt_hash leaves[NLEAVES];

static int
range(uint64_t lo, uint64_t hi, struct mt_hash *out)
{
	uint64_t k = 1;
	struct mt_hash l, r;

	if (hi - lo == 1) {
		*out = leaves[lo];
		return 0;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	range(lo, lo + k, &l);
	range(lo + k, hi, &r);
	return mt_node_hash(&l, &r, out);
}

static int
array_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	(void)ctx;
	return range(n << level, (n + 1) << level, out);
}

struct built {
	struct note_skey log, office;
	struct wire_buf receipt;
};

/* A receipt for entry `index` of a 5-leaf tree whose other leaves are
 * filler; the submission is signed for sign_origin. */
static void
build(struct built *bt, uint64_t index, const char *sign_origin)
{
	struct wire_buf rec, entry;
	struct wire_submission s;
	char vbuf[PT_MAX_VKEY + 1], body[512], *note, *tp;
	struct mt_reader rd = { array_read, NULL };
	struct ckpt ck;
	struct tproof *p = calloc(1, sizeof(*p));
	struct wire_receipt r;
	struct pt_why why = { "" };
	size_t blen, nlen, tlen;

	ck_assert_int_eq(note_keygen("test.example/log", NOTE_ALG_ED25519,
	    &bt->log), 0);
	ck_assert_int_eq(note_keygen("office.example", NOTE_ALG_ED25519,
	    &bt->office), 0);
	wire_buf_init(&rec);
	wire_buf_init(&entry);
	wire_buf_init(&bt->receipt);
	ck_assert_int_eq(encode(sample_json, &rec, NULL, &why), 0);
	ck_assert_int_eq(wire_submission_sign(&bt->office, sign_origin,
	    rec.data, rec.len, &s, vbuf, sizeof(vbuf)), 0);
	ck_assert_int_eq(wire_entry_encode(&s, 1795000000000ULL, &entry), 0);
	for (uint64_t i = 0; i < NLEAVES; i++) {
		uint8_t fill = (uint8_t)i;

		if (i == index)
			mt_leaf_hash(entry.data, entry.len, &leaves[i]);
		else
			mt_leaf_hash(&fill, 1, &leaves[i]);
	}
	memset(&ck, 0, sizeof(ck));
	strcpy(ck.origin, "test.example/log");
	ck.size = NLEAVES;
	ck_assert_int_eq(mt_root(&rd, NLEAVES, &ck.root), 0);
	ck_assert_int_eq(ckpt_format(&ck, body, sizeof(body), &blen), 0);
	note = malloc(PT_NOTE_MAX);
	tp = malloc(WIRE_MAX_TPROOF);
	ck_assert_int_eq(note_sign(body, blen, &bt->log, 1, 0, note,
	    PT_NOTE_MAX, &nlen), 0);
	p->index = index;
	ck_assert_int_eq(mt_inclusion_proof(&rd, index, NLEAVES, p->proof,
	    PT_MAX_PROOF, &p->n), 0);
	p->note = note;
	p->note_len = nlen;
	ck_assert_int_eq(tproof_format(p, tp, WIRE_MAX_TPROOF, &tlen), 0);
	r.entry = entry.data;
	r.entry_len = entry.len;
	r.index = index;
	r.proof = tp;
	r.proof_len = tlen;
	ck_assert_int_eq(wire_receipt_encode(&r, &bt->receipt), 0);
	free(note);
	free(tp);
	free(p);
	wire_buf_free(&rec);
	wire_buf_free(&entry);
}

START_TEST(receipt_verifies)
{
	struct built bt;
	struct vrf_result res;
	struct pt_why why = { "" };

	build(&bt, 3, "test.example/log");
	ck_assert_int_eq(vrf_receipt(bt.receipt.data, bt.receipt.len,
	    &bt.log.vk, &res, &why), 0);
	ck_assert_uint_eq(res.index, 3);
	ck_assert_uint_eq(res.ck.size, NLEAVES);
	ck_assert_str_eq(res.ck.origin, "test.example/log");
	ck_assert_uint_eq(res.entry.sub.info.type, RECORD_PAYMENT);
	ck_assert_mem_eq(res.leaf.b, leaves[3].b, 32);
	/* another log's key: not signed by it */
	ck_assert_int_eq(vrf_receipt(bt.receipt.data, bt.receipt.len,
	    &bt.office.vk, &res, &why), PT_EUNKNOWNSIGNER);
	note_skey_wipe(&bt.log);
	note_skey_wipe(&bt.office);
	wire_buf_free(&bt.receipt);
}
END_TEST

START_TEST(receipt_every_byte_flipped)
{
	struct built bt;
	struct vrf_result res;
	struct pt_why why;

	build(&bt, 4, "test.example/log");
	for (size_t i = 0; i < bt.receipt.len; i++) {
		for (unsigned bit = 0; bit < 8; bit += 7) {
			bt.receipt.data[i] ^= (uint8_t)(1u << bit);
			why.text[0] = '\0';
			ck_assert_msg(vrf_receipt(bt.receipt.data,
			    bt.receipt.len, &bt.log.vk, &res, &why) != 0,
			    "byte %zu bit %u accepted", i, bit);
			ck_assert(why.text[0] != '\0');
			bt.receipt.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	for (size_t cut = 0; cut < bt.receipt.len; cut += 7)
		ck_assert(vrf_receipt(bt.receipt.data, cut, &bt.log.vk, &res,
		    NULL) != 0);
	ck_assert_int_eq(vrf_receipt(bt.receipt.data, bt.receipt.len,
	    &bt.log.vk, &res, NULL), 0);
	note_skey_wipe(&bt.log);
	note_skey_wipe(&bt.office);
	wire_buf_free(&bt.receipt);
}
END_TEST

START_TEST(receipt_signed_for_another_log)
{
	struct built bt;
	struct vrf_result res;
	struct pt_why why = { "" };

	build(&bt, 0, "other.example/log");
	ck_assert_int_eq(vrf_receipt(bt.receipt.data, bt.receipt.len,
	    &bt.log.vk, &res, &why), PT_ESIG);
	ck_assert_ptr_nonnull(strstr(why.text, "submitter signature"));
	note_skey_wipe(&bt.log);
	note_skey_wipe(&bt.office);
	wire_buf_free(&bt.receipt);
}
END_TEST

/* Records signed ahead: the same bytes as signing in turn (Ed25519 is
 * deterministic), taken only for the same record bytes and origin, once;
 * nothing when the records were renumbered after they were offered. */
#define PS_N	40
#define PS_ORIGIN "log.example.org/presign"

static void
ps_record(size_t i, struct wire_buf *b)
{
	char js[sizeof(sample_json) + 32];
	struct pt_why why = { "" };

	snprintf(js, sizeof(js), "{\"type\":\"payment\",\"id\":\"P-%zu\","
	    "\"date\":\"2026-03-01\",\"amount_minor\":%zu,\"currency\":"
	    "\"EUR\",\"payer\":{\"kind\":\"organization\",\"scheme\":"
	    "\"GB-GOR\",\"id\":\"PB1\",\"name\":\"City\"},\"payee\":{\"kind\":"
	    "\"organization\",\"scheme\":\"GB-COH\",\"id\":\"00000007\","
	    "\"name\":"
	    "\"Acme\"},\"description\":\"x\"}", i, 100 + i);
	wire_buf_init(b);
	ck_assert_int_eq(encode(js, b, NULL, &why), 0);
}

/* Wait until n records are signed (the thread is told nothing: a test
 * must not depend on how fast it runs). */
static void
ps_wait(struct presign *p, size_t n)
{
	for (int i = 0; i < 60000 && presign_signed(p) < n; i++)
		usleep(1000);
	ck_assert_uint_ge(presign_signed(p), n);
}

START_TEST(presign_takes_only_what_it_signed)
{
	struct note_skey k;
	struct presign *p;
	struct wire_buf rec[PS_N], want;
	struct wire_submission s;
	char vkey[PT_MAX_VKEY + 1];
	uint8_t *sub, sig[64];
	size_t sublen, i;

	ck_assert_int_eq(note_keygen("office.example", NOTE_ALG_ED25519, &k),
	    0);
	for (i = 0; i < PS_N; i++)
		ps_record(i, &rec[i]);
	ck_assert_int_eq(presign_start(&k, PS_ORIGIN, &p), 0);
	for (i = 0; i < PS_N; i++)
		presign_add(p, i, rec[i].data, rec[i].len);
	/* nothing is taken while the thread runs */
	ck_assert_int_eq(presign_take(p, 0, PS_ORIGIN, rec[0].data,
	    rec[0].len, &sub, &sublen, sig), 0);
	ps_wait(p, PS_N);
	presign_stop(p, PS_N);
	ck_assert_uint_eq(presign_signed(p), PS_N);
	/* another origin, or other bytes at that index: not taken */
	ck_assert_int_eq(presign_take(p, 0, PS_ORIGIN "x", rec[0].data,
	    rec[0].len, &sub, &sublen, sig), 0);
	ck_assert_int_eq(presign_take(p, 0, PS_ORIGIN, rec[1].data,
	    rec[1].len, &sub, &sublen, sig), 0);
	ck_assert_int_eq(presign_take(p, PS_N, PS_ORIGIN, rec[0].data,
	    rec[0].len, &sub, &sublen, sig), 0);
	for (i = 0; i < PS_N; i++) {
		ck_assert_int_eq(presign_take(p, i, PS_ORIGIN, rec[i].data,
		    rec[i].len, &sub, &sublen, sig), 1);
		/* the bytes the sender would have made */
		ck_assert_int_eq(wire_submission_sign(&k, PS_ORIGIN,
		    rec[i].data, rec[i].len, &s, vkey, sizeof(vkey)), 0);
		wire_buf_init(&want);
		ck_assert_int_eq(wire_submission_encode(&s, &want), 0);
		ck_assert_uint_eq(sublen, want.len);
		ck_assert_mem_eq(sub, want.data, want.len);
		ck_assert_mem_eq(sig, s.sig, 64);
		wire_buf_free(&want);
		free(sub);
		/* once only */
		ck_assert_int_eq(presign_take(p, i, PS_ORIGIN, rec[i].data,
		    rec[i].len, &sub, &sublen, sig), 0);
	}
	presign_free(p);

	/* One record fewer kept than offered (a repeated id dropped, the
	 * indexes after it moved), or offered out of turn: nothing. */
	for (int out_of_turn = 0; out_of_turn < 2; out_of_turn++) {
		ck_assert_int_eq(presign_start(&k, PS_ORIGIN, &p), 0);
		for (i = 0; i < PS_N; i++)
			presign_add(p, out_of_turn && i == PS_N - 1 ? i + 1 :
			    i, rec[i].data, rec[i].len);
		ps_wait(p, PS_N - 1);
		presign_stop(p, out_of_turn ? PS_N + 1 : PS_N - 1);
		for (i = 0; i < PS_N; i++)
			ck_assert_int_eq(presign_take(p, i, PS_ORIGIN,
			    rec[i].data, rec[i].len, &sub, &sublen, sig), 0);
		presign_free(p);
	}
	presign_free(NULL);
	ck_assert_int_eq(presign_take(NULL, 0, PS_ORIGIN, rec[0].data,
	    rec[0].len, &sub, &sublen, sig), 0);
	for (i = 0; i < PS_N; i++)
		wire_buf_free(&rec[i]);
	note_skey_wipe(&k);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_core");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, json_canonical_known_answer);
	tcase_add_test(tc, json_refusals);
	tcase_add_test(tc, json_individual_commitment);
	tcase_add_test(tc, numbers_and_names);
	tcase_add_test(tc, monitor_filters);
	tcase_add_test(tc, receipt_verifies);
	tcase_add_test(tc, receipt_every_byte_flipped);
	tcase_add_test(tc, receipt_signed_for_another_log);
	tcase_add_test(tc, presign_takes_only_what_it_signed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
