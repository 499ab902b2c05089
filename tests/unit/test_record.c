/*
 * test_record.c: record schema v1.  Records are built here with the C
 * encoder (wire_enc_*) and compared byte for byte with the ones
 * tests/corpus/wire/gen.py built with python3-msgpack; then single fields
 * are varied to hit each rule.  The large malformed corpus is replayed by
 * test_wire.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pt.h"
#include "record.h"
#include "wire.h"

/* From tests/corpus/wire/vectors.txt (computed by gen.py in Python). */
#define COMMIT_JANE_DOE	"d1e7d133de85c89a899394b56952d550" \
			"51dde0dbdacac31340b61132c3dcc823"

static uint8_t *
corpus_file(const char *rel, size_t *len)
{
	const char *src = getenv("PT_SRCDIR");
	char path[1024];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/corpus/wire/%s",
	    src && *src ? src : ".", rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repository "
	    "root or set PT_SRCDIR)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#define E(call) ck_assert_int_eq((call), 0)

static void
kv_str(struct wire_buf *b, const char *k, const char *v)
{
	E(wire_enc_cstr(b, k));
	E(wire_enc_cstr(b, v));
}

static void
org(struct wire_buf *b, const char *scheme, const char *id, const char *name)
{
	E(wire_enc_map(b, 4));
	kv_str(b, "id", id);
	kv_str(b, "kind", "organization");
	kv_str(b, "name", name);
	kv_str(b, "scheme", scheme);
}

/* The payment-min record of gen.py, with date, currency and amount
 * replaceable.  Keys in ascending order. */
static void
payment(struct wire_buf *b, const char *date, const char *currency,
    int64_t amount)
{
	E(wire_enc_map(b, 8));
	E(wire_enc_cstr(b, "amount_minor"));
	E(wire_enc_int(b, amount));
	kv_str(b, "currency", currency);
	kv_str(b, "date", date);
	kv_str(b, "description", "Stationery");
	kv_str(b, "id", "PAY-2023-0001");
	E(wire_enc_cstr(b, "payee"));
	org(b, "GB-COH", "01234567", "Example Supplies Ltd");
	E(wire_enc_cstr(b, "payer"));
	org(b, "GB-GOR", "EA1234", "Department for Example");
	kv_str(b, "type", "payment");
}

static int
check_payment(const char *date, const char *currency, int64_t amount)
{
	struct wire_buf b;
	struct pt_why why;
	int r;

	wire_buf_init(&b);
	payment(&b, date, currency, amount);
	r = record_check(b.data, b.len, NULL, &why);
	wire_buf_free(&b);
	return r;
}

START_TEST(payment_matches_python)
{
	struct wire_buf b;
	struct record_info info;
	uint8_t *want;
	size_t wlen;

	want = corpus_file("ok/record.payment-min.bin", &wlen);
	wire_buf_init(&b);
	payment(&b, "2023-03-31", "GBP", 125000);
	ck_assert_uint_eq(b.len, wlen);
	ck_assert_mem_eq(b.data, want, wlen);
	E(record_check(b.data, b.len, &info, NULL));
	ck_assert_int_eq(info.type, RECORD_PAYMENT);
	ck_assert_uint_eq(info.id_len, 13);
	/* id points into the record bytes */
	ck_assert((const uint8_t *)info.id > b.data &&
	    (const uint8_t *)info.id + info.id_len <= b.data + b.len);
	ck_assert_mem_eq(info.id, "PAY-2023-0001", 13);
	wire_buf_free(&b);
	free(want);
}
END_TEST

START_TEST(dates)
{
	static const char *const good[] = {
		"2023-03-31", "2024-02-29", "2000-02-29", "0001-01-01",
		"9999-12-31", "2023-12-31", "2023-01-31", "2023-04-30",
	};
	static const char *const bad[] = {
		"2023-02-29", "1900-02-29", "2100-02-29", "2023-04-31",
		"2023-06-31", "2023-09-31", "2023-11-31", "2023-00-01",
		"2023-13-01", "2023-01-00", "2023-01-32", "0000-01-01",
		"2023-1-1", "2023-01-1", "+023-01-01", "2023-01-01 ",
		"2023 01 01", "２０２３-01-01", "2023-03-31T00:00Z", "",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(check_payment(good[i], "GBP", 1) == 0, "%s",
		    good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(check_payment(bad[i], "GBP", 1) == PT_ESCHEMA,
		    "%s", bad[i]);
}
END_TEST

START_TEST(amounts_and_currency)
{
	ck_assert_int_eq(check_payment("2023-01-01", "EUR", 0), 0);
	ck_assert_int_eq(check_payment("2023-01-01", "EUR", INT64_MIN), 0);
	ck_assert_int_eq(check_payment("2023-01-01", "EUR", INT64_MAX), 0);
	ck_assert_int_eq(check_payment("2023-01-01", "EUR", -1), 0);
	ck_assert_int_eq(check_payment("2023-01-01", "XTS", 1), 0);	/* ISO 4217 test code */
	ck_assert_int_eq(check_payment("2023-01-01", "eur", 1), PT_ESCHEMA);
	ck_assert_int_eq(check_payment("2023-01-01", "EU", 1), PT_ESCHEMA);
	ck_assert_int_eq(check_payment("2023-01-01", "EURO", 1), PT_ESCHEMA);
	ck_assert_int_eq(check_payment("2023-01-01", "E1R", 1), PT_ESCHEMA);
	ck_assert_int_eq(check_payment("2023-01-01", "", 1), PT_ESCHEMA);
}
END_TEST

/* A correction built in C, compared with gen.py's correction-void. */
START_TEST(correction_void_matches_python)
{
	struct wire_buf b;
	struct record_info info;
	uint8_t leaf[32], *want;
	size_t wlen;

	E(cr_sha256("\x00" "entry", 6, NULL, 0, NULL, 0, leaf));
	want = corpus_file("ok/record.correction-void.bin", &wlen);
	wire_buf_init(&b);
	E(wire_enc_map(&b, 6));
	kv_str(&b, "action", "void");
	kv_str(&b, "id", "COR-1");
	kv_str(&b, "reason", "Duplicate entry");
	E(wire_enc_cstr(&b, "target_index"));
	E(wire_enc_uint(&b, 41));
	E(wire_enc_cstr(&b, "target_leaf_hash"));
	E(wire_enc_bin(&b, leaf, 32));
	kv_str(&b, "type", "correction");
	ck_assert_uint_eq(b.len, wlen);
	ck_assert_mem_eq(b.data, want, wlen);
	E(record_check(b.data, b.len, &info, NULL));
	ck_assert_int_eq(info.type, RECORD_CORRECTION);
	ck_assert_int_eq(info.action_void, 1);
	ck_assert(info.target_index == 41);
	ck_assert_mem_eq(info.target_hash.b, leaf, 32);
	ck_assert_mem_eq(info.id, "COR-1", 5);
	wire_buf_free(&b);
	free(want);
}
END_TEST

START_TEST(corpus_records_info)
{
	static const struct {
		const char *file;
		enum record_type type;
		const char *id;
		int action_void;
		uint64_t target;
	} t[] = {
		{ "ok/record.payment-min.bin", RECORD_PAYMENT, "PAY-2023-0001",
		    0, 0 },
		{ "ok/record.payment-max.bin", RECORD_PAYMENT, "PAY-2024-0002",
		    0, 0 },
		{ "ok/record.permit-min.bin", RECORD_PERMIT_DECISION,
		    "BP-2023-000123", 0, 0 },
		{ "ok/record.permit-max.bin", RECORD_PERMIT_DECISION,
		    "BP-2023-000124", 0, 0 },
		{ "ok/record.correction-void.bin", RECORD_CORRECTION, "COR-1",
		    1, 41 },
		{ "ok/record.correction-amend.bin", RECORD_CORRECTION, "COR-2",
		    0, 1ULL << 40 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct record_info info;
		struct pt_why why;
		size_t len;
		uint8_t *buf = corpus_file(t[i].file, &len);

		ck_assert_msg(record_check(buf, len, &info, &why) == 0,
		    "%s: %s", t[i].file, why.text);
		ck_assert_int_eq(info.type, t[i].type);
		ck_assert_uint_eq(info.id_len, strlen(t[i].id));
		ck_assert_mem_eq(info.id, t[i].id, info.id_len);
		ck_assert_int_eq(info.action_void, t[i].action_void);
		ck_assert(info.target_index == t[i].target);
		/* Every proper prefix is refused; info stays zeroed. */
		for (size_t cut = 0; cut < len; cut++) {
			ck_assert_int_ne(record_check(buf, cut, &info, NULL),
			    0);
			ck_assert_ptr_null(info.id);
		}
		free(buf);
	}
}
END_TEST

START_TEST(commitment_known_answer)
{
	uint8_t salt[32], out[32];
	char hex[65];

	memset(salt, 0x11, 32);
	E(record_commit(salt, "Jane Doe", 8, out));
	cr_hex_encode(out, 32, hex);
	ck_assert_str_eq(hex, COMMIT_JANE_DOE);
	/* Independent of this code: SHA-256 of the concatenation. */
	{
		uint8_t msg[23 + 32 + 8], h[32];
		memcpy(msg, "pubtrail commitment v1\n", 23);
		memcpy(msg + 23, salt, 32);
		memcpy(msg + 55, "Jane Doe", 8);
		E(cr_sha256(msg, sizeof(msg), NULL, 0, NULL, 0, h));
		ck_assert_mem_eq(h, out, 32);
	}
	salt[0] ^= 1;
	E(record_commit(salt, "Jane Doe", 8, out));
	cr_hex_encode(out, 32, hex);
	ck_assert_str_ne(hex, COMMIT_JANE_DOE);
}
END_TEST

START_TEST(type_names)
{
	enum record_type t;

	ck_assert_str_eq(record_type_name(RECORD_PAYMENT), "payment");
	ck_assert_str_eq(record_type_name(RECORD_PERMIT_DECISION),
	    "permit_decision");
	ck_assert_str_eq(record_type_name(RECORD_CORRECTION), "correction");
	ck_assert_ptr_null(record_type_name((enum record_type)0));
	ck_assert_str_eq(record_type_name(RECORD_OFFICE_KEY), "office_key");
	ck_assert_ptr_null(record_type_name((enum record_type)5));
	E(record_type_parse("permit_decision", 15, &t));
	ck_assert_int_eq(t, RECORD_PERMIT_DECISION);
	ck_assert_int_eq(record_type_parse("payment", 6, &t), PT_ENOTFOUND);
	ck_assert_int_eq(record_type_parse("payments", 8, &t), PT_ENOTFOUND);
	ck_assert_int_eq(record_type_parse(NULL, 0, &t), PT_ENOTFOUND);
}
END_TEST

/* A permit with an individual applicant, every optional field, and the
 * currency rule in both directions. */
static int
permit(int with_fee, int with_currency, const char *decision,
    const char *scheme)
{
	struct wire_buf b;
	struct pt_why why;
	uint8_t c[32];
	int r;

	memset(c, 0xab, sizeof(c));
	wire_buf_init(&b);
	E(wire_enc_map(&b, 11 + (with_fee != 0) + (with_currency != 0)));
	E(wire_enc_cstr(&b, "address"));
	E(wire_enc_map(&b, 4));
	kv_str(&b, "city", "Seattle");
	kv_str(&b, "line1", "400 Pine St");
	kv_str(&b, "state", "WA");
	kv_str(&b, "zip", "98101");
	E(wire_enc_cstr(&b, "applicant"));
	E(wire_enc_map(&b, 2));
	E(wire_enc_cstr(&b, "commitment"));
	E(wire_enc_bin(&b, c, 32));
	kv_str(&b, "kind", "individual");
	if (with_currency)
		kv_str(&b, "currency", "USD");
	kv_str(&b, "decision", decision);
	kv_str(&b, "decision_date", "2023-06-01");
	kv_str(&b, "description", "Deck\naddition");
	if (with_fee) {
		E(wire_enc_cstr(&b, "fee_minor"));
		E(wire_enc_int(&b, with_fee));
	}
	kv_str(&b, "id", "BP-1");
	E(wire_enc_cstr(&b, "jurisdiction"));
	org(&b, scheme, "91-6001275", "City of Seattle");
	kv_str(&b, "link", "http://permits.example.gov/BP-1");
	kv_str(&b, "permit_num", "BP-1");
	kv_str(&b, "permit_type", "Building (residential)");
	kv_str(&b, "type", "permit_decision");
	r = record_check(b.data, b.len, NULL, &why);
	wire_buf_free(&b);
	return r;
}

START_TEST(permits)
{
	static const char *const decisions[] = {
		"appeal_decided", "cancelled", "denied", "expired", "finaled",
		"issued", "reinstated", "revoked", "suspended", "withdrawn",
	};

	for (size_t i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
		ck_assert_int_eq(permit(0, 0, decisions[i], "US-EIN"), 0);
	ck_assert_int_eq(permit(500, 1, "issued", "US-EIN"), 0);
	ck_assert_int_eq(permit(500, 0, "issued", "US-EIN"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 1, "issued", "US-EIN"), PT_ESCHEMA);
	ck_assert_int_eq(permit(-5, 1, "issued", "US-EIN"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 0, "Issued", "US-EIN"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 0, "approved", "US-EIN"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 0, "issued", "XI-LEI"), 0);
	ck_assert_int_eq(permit(0, 0, "issued", "GB-GOV-1"), 0);
	ck_assert_int_eq(permit(0, 0, "issued", "US"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 0, "issued", "us-ein"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 0, "issued", "US-EIN-"), PT_ESCHEMA);
	ck_assert_int_eq(permit(0, 0, "issued", "US EIN"), PT_ESCHEMA);
}
END_TEST

/* A correction may amend with a valid payment or permit, and the nested
 * record's fields do not leak into the correction's info. */
START_TEST(correction_nesting)
{
	struct wire_buf b, inner;
	struct record_info info;
	struct pt_why why;
	uint8_t leaf[32];

	memset(leaf, 7, 32);
	wire_buf_init(&inner);
	payment(&inner, "2023-03-31", "GBP", 125000);
	wire_buf_init(&b);
	E(wire_enc_map(&b, 7));
	kv_str(&b, "action", "amend");
	kv_str(&b, "id", "COR-9");
	kv_str(&b, "reason", "Amount was wrong");
	E(wire_enc_cstr(&b, "replacement"));
	E(wire_enc_raw(&b, inner.data, inner.len));
	E(wire_enc_cstr(&b, "target_index"));
	E(wire_enc_uint(&b, (1ULL << 62) - 1));
	E(wire_enc_cstr(&b, "target_leaf_hash"));
	E(wire_enc_bin(&b, leaf, 32));
	kv_str(&b, "type", "correction");
	ck_assert_msg(record_check(b.data, b.len, &info, &why) == 0, "%s",
	    why.text);
	ck_assert_int_eq(info.type, RECORD_CORRECTION);
	ck_assert_int_eq(info.action_void, 0);
	ck_assert(info.target_index == (1ULL << 62) - 1);
	ck_assert_uint_eq(info.id_len, 5);
	ck_assert_mem_eq(info.id, "COR-9", 5);
	ck_assert_mem_eq(info.target_hash.b, leaf, 32);
	ck_assert_int_eq(info.replacement_type, RECORD_PAYMENT);
	wire_buf_free(&b);
	wire_buf_free(&inner);
}
END_TEST

/* The office rule: the record's type, a correction's replacement's type
 * (the hole: an office allowed only permits logging a payment inside a
 * correction), the target's office. */
START_TEST(office_rule)
{
	struct record_info info;
	struct pt_why why = { "" };
	const char *a = "office-a+12345678+AAAA", *b = "office-b+12345678+BBBB";
	unsigned ponly = (1u << RECORD_PERMIT_DECISION) |
	    (1u << RECORD_CORRECTION);

	memset(&info, 0, sizeof(info));
	info.type = RECORD_PAYMENT;
	ck_assert_int_eq(record_may_append(&info, RECORD_TYPES_ALL, a,
	    strlen(a), NULL, 0, &why), 0);
	ck_assert_int_eq(record_may_append(&info, ponly, a, strlen(a), NULL,
	    0, &why), PT_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why.text, "type payment"));
	info.type = RECORD_CORRECTION;
	info.replacement_type = RECORD_PAYMENT;
	info.target_index = 7;
	ck_assert_int_eq(record_may_append(&info, ponly, a, strlen(a), NULL,
	    0, &why), PT_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why.text, "payment (the replacement in a "
	    "correction)"));
	info.replacement_type = RECORD_PERMIT_DECISION;
	ck_assert_int_eq(record_may_append(&info, ponly, a, strlen(a), NULL,
	    0, &why), 0);
	ck_assert_int_eq(record_may_append(&info, ponly, a, strlen(a), a,
	    strlen(a), &why), 0);
	ck_assert_int_eq(record_may_append(&info, ponly, a, strlen(a), b,
	    strlen(b), &why), PT_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why.text, "entry 7 was submitted by "
	    "another office"));
	/* a prefix of the key is another office */
	ck_assert_int_eq(record_may_append(&info, ponly, a, strlen(a), a,
	    strlen(a) - 1, &why), PT_EFORBIDDEN);
	/* a void has no replacement; only the correction type counts */
	info.replacement_type = 0;
	ck_assert_int_eq(record_may_append(&info, 1u << RECORD_CORRECTION, a,
	    strlen(a), NULL, 0, &why), 0);
	ck_assert_int_eq(record_may_append(&info, 1u << RECORD_PAYMENT, a,
	    strlen(a), NULL, 0, &why), PT_EFORBIDDEN);
	ck_assert(record_decision_known("issued", 6));
	ck_assert(!record_decision_known("issue", 5));
}
END_TEST

/* Error reasons name the field, with its path. */
START_TEST(why_names_field)
{
	struct pt_why why;
	size_t len;
	uint8_t *buf;

	buf = corpus_file("bad/record.schema.correction-bad-replacement.bin",
	    &len);
	ck_assert_int_eq(record_check(buf, len, NULL, &why), PT_ESCHEMA);
	ck_assert_ptr_nonnull(strstr(why.text, "replacement.payee"));
	free(buf);
	buf = corpus_file("bad/record.unknown_key.individual-with-name.bin",
	    &len);
	ck_assert_int_eq(record_check(buf, len, NULL, &why), PT_EUNKNOWNKEY);
	ck_assert_ptr_nonnull(strstr(why.text, "payee.name"));
	free(buf);
	buf = corpus_file("bad/record.schema.date-2023-02-29.bin", &len);
	ck_assert_int_eq(record_check(buf, len, NULL, NULL), PT_ESCHEMA);
	free(buf);
}
END_TEST

/* record_check_each: every problem of a record, each once, in field
 * order (a bad date, an unknown field, a field missing inside the payee's
 * map, said there and not again by the record's, a missing field), checking on past each; the answer is the first, the
 * one record_check gives alone; a right record gives none. */
struct seen_problems {
	int n;
	int rc[8];
	char text[8][PT_WHY_MAX];
};

static void
seen_one(void *arg, int rc, const char *why)
{
	struct seen_problems *s = arg;

	ck_assert_int_lt(s->n, 8);
	s->rc[s->n] = rc;
	snprintf(s->text[s->n], PT_WHY_MAX, "%s", why);
	s->n++;
}

START_TEST(check_each_gives_every_problem)
{
	struct seen_problems s;
	struct wire_buf b;
	struct pt_why why, one;

	wire_buf_init(&b);
	E(wire_enc_map(&b, 8));		/* no payer; "extra" unknown */
	E(wire_enc_cstr(&b, "amount_minor"));
	E(wire_enc_int(&b, 100));
	kv_str(&b, "currency", "EUR");
	kv_str(&b, "date", "2026-13-01");
	kv_str(&b, "description", "x");
	kv_str(&b, "extra", "y");
	kv_str(&b, "id", "P-1");
	E(wire_enc_cstr(&b, "payee"));	/* an organization without name */
	E(wire_enc_map(&b, 3));
	kv_str(&b, "id", "1");
	kv_str(&b, "kind", "organization");
	kv_str(&b, "scheme", "DE-HRB");
	kv_str(&b, "type", "payment");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(record_check_each(b.data, b.len, NULL, seen_one, &s,
	    &why), PT_ESCHEMA);
	ck_assert_int_eq(s.n, 4);
	ck_assert_ptr_nonnull(strstr(s.text[0], "date:"));
	ck_assert_str_eq(s.text[1], "extra: unknown field");
	ck_assert_int_eq(s.rc[1], PT_EUNKNOWNKEY);
	ck_assert_str_eq(s.text[2], "payee.name: missing required field");
	ck_assert_str_eq(s.text[3], "payer: missing required field");
	/* the answer is the first problem, as record_check's alone */
	ck_assert_str_eq(why.text, s.text[0]);
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &one), s.rc[0]);
	ck_assert_str_eq(one.text, s.text[0]);
	wire_buf_free(&b);
	/* a right record: no call */
	wire_buf_init(&b);
	payment(&b, "2023-03-01", "GBP", 12500);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(record_check_each(b.data, b.len, NULL, seen_one, &s,
	    NULL), 0);
	ck_assert_int_eq(s.n, 0);
	/* a problem before the fields (not canonical): one call */
	b.data[b.len - 1] ^= 0x80;
	memset(&s, 0, sizeof(s));
	ck_assert_int_ne(record_check_each(b.data, b.len, NULL, seen_one, &s,
	    NULL), 0);
	ck_assert_int_eq(s.n, 1);
	wire_buf_free(&b);
}
END_TEST

/* The id rule the schema and GET /lookup share, by length: a NUL, a space,
 * a control byte or a non-ASCII byte anywhere is refused. */
START_TEST(id_rule)
{
	char big[PT_MAX_ID + 1];

	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(record_id_check("PAY-1", 5), 0);
	ck_assert_int_eq(record_id_check("!~", 2), 0);
	ck_assert_int_eq(record_id_check(big, PT_MAX_ID), 0);
	ck_assert_int_eq(record_id_check(big, PT_MAX_ID + 1), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("", 0), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check(NULL, 0), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("P-1\0junk", 8), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("\0", 1), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("P 1", 3), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("P\n1", 3), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("P\x7f", 2), PT_ESCHEMA);
	ck_assert_int_eq(record_id_check("\xc3\xa9", 2), PT_ESCHEMA);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, payment_matches_python);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, amounts_and_currency);
	tcase_add_test(tc, correction_void_matches_python);
	tcase_add_test(tc, corpus_records_info);
	tcase_add_test(tc, commitment_known_answer);
	tcase_add_test(tc, type_names);
	tcase_add_test(tc, permits);
	tcase_add_test(tc, correction_nesting);
	tcase_add_test(tc, office_rule);
	tcase_add_test(tc, why_names_field);
	tcase_add_test(tc, id_rule);
	tcase_add_test(tc, check_each_gives_every_problem);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
