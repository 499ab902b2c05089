/*
 * test_grants.c: office_key records (schema, the registrar's signing
 * domain) and the grants rule (proto/grants.c): grants, revokes, names,
 * the registrar, valid_from, the correction rule through
 * record_may_append, a legacy prefix judged by its migration grants,
 * clones, and many keys.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "grants.h"
#include "note.h"
#include "pt.h"
#include "record.h"
#include "wire.h"

#define ORIGIN	"log.example/keys"
#define E(call) ck_assert_int_eq((call), 0)

/* A signed entry held together with the buffers it points into. */
struct sub {
	struct wire_buf rec;
	struct wire_submission s;
	char vkey[PT_MAX_VKEY + 1];
};

static void
kv_str(struct wire_buf *b, const char *k, const char *v)
{
	E(wire_enc_cstr(b, k));
	E(wire_enc_cstr(b, v));
}

static void
org(struct wire_buf *b, const char *id, const char *name)
{
	E(wire_enc_map(b, 4));
	kv_str(b, "id", id);
	kv_str(b, "kind", "organization");
	kv_str(b, "name", name);
	kv_str(b, "scheme", "XI-TEST");
}

/* An office_key record.  types: NULL for a revoke, else names in byte
 * order; valid_from may be NULL. */
static void
okey_rec(struct wire_buf *b, const char *action, const char *id,
    const char *vkey, const char *name, const char *orgid,
    const char *const *types, const char *valid_from)
{
	size_t nt = 0;

	while (types != NULL && types[nt] != NULL)
		nt++;
	E(wire_enc_map(b, 7 + (types != NULL) + (valid_from != NULL)));
	kv_str(b, "action", action);
	kv_str(b, "id", id);
	kv_str(b, "key", vkey);
	kv_str(b, "name", name);
	E(wire_enc_cstr(b, "organization"));
	org(b, orgid, "Test Finance Office");
	kv_str(b, "reason", "test");
	kv_str(b, "type", "office_key");
	if (types != NULL) {
		E(wire_enc_cstr(b, "types"));
		E(wire_enc_array(b, nt));
		for (size_t i = 0; i < nt; i++)
			E(wire_enc_cstr(b, types[i]));
	}
	if (valid_from != NULL)
		kv_str(b, "valid_from", valid_from);
}

static void
payment_rec(struct wire_buf *b, const char *id)
{
	E(wire_enc_map(b, 8));
	E(wire_enc_cstr(b, "amount_minor"));
	E(wire_enc_int(b, 100));
	kv_str(b, "currency", "EUR");
	kv_str(b, "date", "2026-03-01");
	kv_str(b, "description", "x");
	kv_str(b, "id", id);
	E(wire_enc_cstr(b, "payee"));
	org(b, "P1", "Payee");
	E(wire_enc_cstr(b, "payer"));
	org(b, "FIN", "Payer");
	kv_str(b, "type", "payment");
}

/* A void correction of target (index 0, any hash), or an amend with a
 * payment replacement. */
static void
correction_rec(struct wire_buf *b, const char *id, int amend)
{
	uint8_t h[32] = { 0 };

	E(wire_enc_map(b, 6 + amend));
	kv_str(b, "action", amend ? "amend" : "void");
	kv_str(b, "id", id);
	kv_str(b, "reason", "typo");
	if (amend) {
		E(wire_enc_cstr(b, "replacement"));
		payment_rec(b, "PAY-X");
	}
	E(wire_enc_cstr(b, "target_index"));
	E(wire_enc_uint(b, 0));
	E(wire_enc_cstr(b, "target_leaf_hash"));
	E(wire_enc_bin(b, h, 32));
	kv_str(b, "type", "correction");
}

static void
sign(struct sub *u, const struct note_skey *k)
{
	struct pt_why why = { "" };
	int rc = wire_submission_sign(k, ORIGIN, u->rec.data, u->rec.len,
	    &u->s, u->vkey, sizeof(u->vkey));

	if (rc != 0)
		record_check(u->rec.data, u->rec.len, NULL, &why);
	ck_assert_msg(rc == 0, "sign: %s %s", pt_strerror(rc), why.text);
	E(wire_submission_verify(&u->s, ORIGIN));
}

static void
sub_free(struct sub *u)
{
	wire_buf_free(&u->rec);
}

static const char *const T_PAY[] = { "payment", NULL };
static const char *const T_PERMIT[] = { "permit_decision", NULL };
static const char *const T_CORR_PAY[] = { "correction", "payment", NULL };

static struct note_skey reg, offa, offb, offa2, logk;
static char va[PT_MAX_VKEY + 1], vb[PT_MAX_VKEY + 1], va2[PT_MAX_VKEY + 1],
    vreg[PT_MAX_VKEY + 1], vlog[PT_MAX_VKEY + 1];

/* Outside the tests (no ck_assert): any failure is fatal. */
static void
setup(void)
{
	if (note_keygen("registrar.example", NOTE_ALG_ED25519, &reg) != 0 ||
	    note_keygen("finance-office", NOTE_ALG_ED25519, &offa) != 0 ||
	    note_keygen("planning-office", NOTE_ALG_ED25519, &offb) != 0 ||
	    note_keygen("finance-office", NOTE_ALG_ED25519, &offa2) != 0 ||
	    note_keygen(ORIGIN, NOTE_ALG_ED25519, &logk) != 0 ||
	    note_vkey_format(&offa.vk, va, sizeof(va)) != 0 ||
	    note_vkey_format(&offb.vk, vb, sizeof(vb)) != 0 ||
	    note_vkey_format(&offa2.vk, va2, sizeof(va2)) != 0 ||
	    note_vkey_format(&reg.vk, vreg, sizeof(vreg)) != 0 ||
	    note_vkey_format(&logk.vk, vlog, sizeof(vlog)) != 0) {
		fprintf(stderr, "test_grants: cannot make the keys\n");
		exit(EXIT_FAILURE);
	}
}

/* Apply a grant of vkey (types) by signer at index; returns the rule's
 * answer. */
static int
grant(struct grants *g, uint64_t index, const struct note_skey *signer,
    const char *id, const char *vkey, const char *name,
    const char *const *types, const char *valid_from, struct pt_why *why)
{
	struct sub u;
	int rc;

	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	okey_rec(&u.rec, "grant", id, vkey, name, "FIN", types, valid_from);
	sign(&u, signer);
	rc = grants_apply(g, index, 1000, &u.s, NULL, 0, why);
	sub_free(&u);
	return rc;
}

static int
revoke(struct grants *g, uint64_t index, const char *id, const char *vkey,
    const char *name, const char *orgid, struct pt_why *why)
{
	struct sub u;
	int rc;

	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	okey_rec(&u.rec, "revoke", id, vkey, name, orgid, NULL, NULL);
	sign(&u, &reg);
	rc = grants_apply(g, index, 1000, &u.s, NULL, 0, why);
	sub_free(&u);
	return rc;
}

static int
pay(struct grants *g, uint64_t index, uint64_t time_ms,
    const struct note_skey *k, const char *id, int apply, struct pt_why *why)
{
	struct sub u;
	int rc;

	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	payment_rec(&u.rec, id);
	sign(&u, k);
	rc = apply ? grants_apply(g, index, time_ms, &u.s, NULL, 0, why) :
	    grants_check(g, index, time_ms, &u.s, NULL, 0, why);
	sub_free(&u);
	return rc;
}

/* ------------------------------------------------------------ records */

START_TEST(record_schema)
{
	struct wire_buf b;
	struct record_info ri;
	struct pt_why why = { "" };

	wire_buf_init(&b);
	okey_rec(&b, "grant", "G-1", va, "Finance Office", "FIN", T_CORR_PAY,
	    "2026-03-01");
	E(record_check(b.data, b.len, &ri, &why));
	ck_assert_int_eq(ri.type, RECORD_OFFICE_KEY);
	ck_assert_int_eq(ri.okey_revoke, 0);
	ck_assert_uint_eq(ri.okey_vkey_len, strlen(va));
	ck_assert(memcmp(ri.okey_vkey, va, strlen(va)) == 0);
	ck_assert_uint_eq(ri.okey_name_len, 14);
	ck_assert_uint_eq(ri.okey_types, (1u << RECORD_CORRECTION) |
	    (1u << RECORD_PAYMENT));
	ck_assert_uint_eq(ri.okey_valid_from_ms, 1772323200000ULL);
	ck_assert_uint_eq(ri.okey_org[0], 0x84);	/* the party map */
	ck_assert_uint_gt(ri.okey_org_len, 30);
	b.len = 0;
	okey_rec(&b, "revoke", "R-1", va, "Finance Office", "FIN", NULL, NULL);
	E(record_check(b.data, b.len, &ri, &why));
	ck_assert_int_eq(ri.okey_revoke, 1);
	ck_assert_uint_eq(ri.okey_types, 0);
	/* grant without types; revoke with types or valid_from */
	b.len = 0;
	okey_rec(&b, "grant", "G-2", va, "F", "FIN", NULL, NULL);
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	ck_assert_str_eq(why.text, "types: required when action is grant");
	b.len = 0;
	okey_rec(&b, "revoke", "R-2", va, "F", "FIN", T_PAY, NULL);
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	b.len = 0;
	okey_rec(&b, "revoke", "R-3", va, "F", "FIN", NULL, "2026-01-01");
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	/* types: unknown, office_key, unsorted, repeated */
	{
		static const char *const bad[][3] = {
			{ "refund", NULL, NULL },
			{ "office_key", NULL, NULL },
			{ "payment", "correction", NULL },
			{ "payment", "payment", NULL },
		};
		for (size_t i = 0; i < 4; i++) {
			b.len = 0;
			okey_rec(&b, "grant", "G-3", va, "F", "FIN", bad[i],
			    NULL);
			ck_assert_int_eq(record_check(b.data, b.len, NULL,
			    &why), PT_ESCHEMA);
			ck_assert(strncmp(why.text, "types:", 6) == 0);
		}
	}
	/* a bad key, a witness key, a bad action, a bad date */
	b.len = 0;
	okey_rec(&b, "grant", "G-4", "finance+00000000+AAAA", "F", "FIN",
	    T_PAY, NULL);
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	ck_assert(strncmp(why.text, "key:", 4) == 0);
	b.len = 0;
	okey_rec(&b, "suspend", "G-5", va, "F", "FIN", T_PAY, NULL);
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	b.len = 0;
	okey_rec(&b, "grant", "G-6", va, "F", "FIN", T_PAY, "2026-02-30");
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	/* a name with a control character */
	b.len = 0;
	okey_rec(&b, "grant", "G-7", va, "F\x1b[2J", "FIN", T_PAY, NULL);
	ck_assert_int_eq(record_check(b.data, b.len, NULL, &why), PT_ESCHEMA);
	ck_assert_str_eq(record_type_name(RECORD_OFFICE_KEY), "office_key");
	wire_buf_free(&b);
}
END_TEST

/* The registrar signs in its own domain: its signature over a record is
 * not an office's submission signature over the same bytes, and back. */
START_TEST(registrar_domain)
{
	static const char want[] = "pubtrail/office-key/v1\nlog.example\n\x80";
	static const uint8_t rec[] = { 0x80 };
	struct wire_buf m;
	struct sub u;

	wire_buf_init(&m);
	E(wire_registrar_message("log.example", rec, 1, &m));
	ck_assert_uint_eq(m.len, sizeof(want) - 1);
	ck_assert(memcmp(m.data, want, m.len) == 0);
	wire_buf_free(&m);

	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	okey_rec(&u.rec, "grant", "G-1", va, "F", "FIN", T_PAY, NULL);
	sign(&u, &reg);
	/* the same bytes signed in the office's domain do not verify */
	wire_buf_init(&m);
	E(wire_sign_message(ORIGIN, u.rec.data, u.rec.len, &m));
	E(cr_ed25519_sign(reg.seed, m.data, m.len, u.s.sig));
	ck_assert_int_eq(wire_submission_verify(&u.s, ORIGIN), PT_ESIG);
	wire_buf_free(&m);
	/* nor for another log */
	sign(&u, &reg);
	ck_assert_int_eq(wire_submission_verify(&u.s, "other.example/log"),
	    PT_ESIG);
	/* an unchecked submission picks the domain from the record */
	u.s.record_checked = 0;
	memset(&u.s.info, 0, sizeof(u.s.info));
	E(wire_submission_verify(&u.s, ORIGIN));
	sub_free(&u);

	/* a payment signed in the registrar's domain does not verify */
	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	payment_rec(&u.rec, "PAY-1");
	sign(&u, &offa);
	wire_buf_init(&m);
	E(wire_registrar_message(ORIGIN, u.rec.data, u.rec.len, &m));
	E(cr_ed25519_sign(offa.seed, m.data, m.len, u.s.sig));
	ck_assert_int_eq(wire_submission_verify(&u.s, ORIGIN), PT_ESIG);
	wire_buf_free(&m);
	sub_free(&u);
}
END_TEST

/* ------------------------------------------------------------- rules */

START_TEST(grant_and_revoke)
{
	struct grants *g;
	struct pt_why why = { "" };
	const struct grants_key *k;
	uint64_t first;

	E(grants_new(GRANTS_APPEND, &g));
	ck_assert_ptr_null(grants_registrar(g, &first));
	ck_assert_uint_eq(first, GRANTS_NEVER);
	/* nobody may append before any grant */
	ck_assert_int_eq(pay(g, 0, 1, &offa, "P-0", 0, &why),
	    PT_EUNKNOWNSIGNER);
	ck_assert(strstr(why.text, "no office keys yet") != NULL);
	E(grant(g, 0, &reg, "G-A", va, "Finance Office", T_CORR_PAY, NULL,
	    &why));
	ck_assert_str_eq(grants_registrar(g, &first), vreg);
	ck_assert_uint_eq(first, 0);
	E(grant(g, 1, &reg, "G-B", vb, "Planning Office", T_PERMIT, NULL,
	    &why));
	ck_assert_uint_eq(grants_count(g), 2);
	E(pay(g, 2, 2000, &offa, "P-1", 1, &why));
	/* B may not append payments; the registrar may not either */
	ck_assert_int_eq(pay(g, 3, 2000, &offb, "P-2", 1, &why),
	    PT_EFORBIDDEN);
	ck_assert_str_eq(why.text,
	    "this office may not append records of type payment");
	ck_assert_int_eq(pay(g, 3, 2000, &reg, "P-3", 1, &why),
	    PT_EFORBIDDEN);
	ck_assert_str_eq(why.text,
	    "the registrar's key signs office_key entries only");
	ck_assert_int_eq(pay(g, 3, 2000, &offa2, "P-4", 1, &why),
	    PT_EUNKNOWNSIGNER);
	/* revoke A: its later records are refused, with the index */
	E(revoke(g, 3, "R-A", va, "Finance Office", "FIN", &why));
	ck_assert_int_eq(pay(g, 4, 3000, &offa, "P-5", 1, &why),
	    PT_EFORBIDDEN);
	ck_assert(strstr(why.text, "was revoked at #3") != NULL);
	k = grants_find(g, va, strlen(va));
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->granted_at, 0);
	ck_assert_uint_eq(k->revoked_at, 3);
	ck_assert_str_eq(k->name, "Finance Office");
	/* revoked is revoked: not again, not granted again */
	ck_assert_int_eq(revoke(g, 5, "R-A2", va, "Finance Office", "FIN",
	    &why), PT_EFORBIDDEN);
	ck_assert(strstr(why.text, "already revoked at #3") != NULL);
	ck_assert_int_eq(grant(g, 5, &reg, "G-A3", va, "Finance Office",
	    T_PAY, NULL, &why), PT_EFORBIDDEN);
	/* a revoke names the office as its grant did */
	ck_assert_int_eq(revoke(g, 5, "R-B", vb, "Finance Office", "FIN",
	    &why), PT_ESCHEMA);
	ck_assert_int_eq(revoke(g, 5, "R-B", vb, "Planning Office", "PLN",
	    &why), PT_ESCHEMA);
	/* of a key never granted */
	ck_assert_int_eq(revoke(g, 5, "R-C", va2, "X", "FIN", &why),
	    PT_EFORBIDDEN);
	/* indexes only go up */
	ck_assert_int_eq(pay(g, 3, 3000, &offb, "P-6", 1, &why), PT_ERANGE);
	grants_free(g);
}
END_TEST

START_TEST(names_and_keys)
{
	struct grants *g;
	struct pt_why why = { "" };
	struct note_skey same_pub;
	char vsame[PT_MAX_VKEY + 1];

	E(grants_new(GRANTS_APPEND, &g));
	E(grants_set_log_key(g, &logk.vk));
	E(grant(g, 0, &reg, "G-A", va, "Finance Office", T_PAY, NULL, &why));
	/* the same key again */
	ck_assert_int_eq(grant(g, 1, &reg, "G-A1", va, "Finance Office",
	    T_PAY, NULL, &why), PT_ECONFLICT);
	/* another key with the name of a key in force */
	ck_assert_int_eq(grant(g, 1, &reg, "G-A2", va2, "Finance Office",
	    T_PAY, NULL, &why), PT_ECONFLICT);
	ck_assert(strstr(why.text, "key name finance-office is already "
	    "granted") != NULL);
	/* the same public key under another name */
	same_pub = offa;
	snprintf(same_pub.vk.name, sizeof(same_pub.vk.name), "fin2");
	E(note_key_hash("fin2", NOTE_ALG_ED25519, same_pub.vk.pub,
	    &same_pub.vk.hash));
	E(note_vkey_format(&same_pub.vk, vsame, sizeof(vsame)));
	ck_assert_int_eq(note_vkey_parse(vsame, strlen(vsame), &same_pub.vk),
	    0);
	ck_assert_int_eq(grant(g, 1, &reg, "G-S", vsame, "Finance Office",
	    T_PAY, NULL, &why), PT_ECONFLICT);
	ck_assert(strstr(why.text, "public key is already granted") != NULL);
	/* the registrar's key, the log's key */
	ck_assert_int_eq(grant(g, 1, &reg, "G-R", vreg, "Registrar", T_PAY,
	    NULL, &why), PT_EFORBIDDEN);
	ck_assert_int_eq(grant(g, 1, &reg, "G-L", vlog, "Log", T_PAY, NULL,
	    &why), PT_EFORBIDDEN);
	/* another registrar */
	ck_assert_int_eq(grant(g, 1, &offb, "G-X", va2, "X", T_PAY, NULL,
	    &why), PT_EUNKNOWNSIGNER);
	ck_assert(strstr(why.text, "registrar.example+") != NULL);
	/* rotation: revoke the old key, then the name is free */
	E(revoke(g, 1, "R-A", va, "Finance Office", "FIN", &why));
	E(grant(g, 2, &reg, "G-A2", va2, "Finance Office", T_PAY, NULL,
	    &why));
	E(pay(g, 3, 5000, &offa2, "P-1", 1, &why));
	grants_free(g);
}
END_TEST

START_TEST(pinned_registrar)
{
	struct grants *g;
	struct pt_why why = { "" };

	E(grants_new(GRANTS_HISTORY, &g));
	E(grants_pin_registrar(g, vreg, strlen(vreg), &why));
	E(grants_pin_registrar(g, vreg, strlen(vreg), &why));
	ck_assert_int_eq(grants_pin_registrar(g, va, strlen(va), &why),
	    PT_ECONFLICT);
	ck_assert_int_eq(grants_pin_registrar(g, "junk", 4, &why), PT_EINVAL);
	ck_assert_int_eq(grant(g, 0, &offb, "G-A", va, "F", T_PAY, NULL,
	    &why), PT_EUNKNOWNSIGNER);
	E(grant(g, 0, &reg, "G-A", va, "F", T_PAY, NULL, &why));
	grants_free(g);
	/* unpinned: the first office_key entry's signer is the registrar */
	E(grants_new(GRANTS_HISTORY, &g));
	E(grant(g, 0, &offb, "G-A", va, "F", T_PAY, NULL, &why));
	ck_assert_str_eq(grants_registrar(g, NULL), vb);
	ck_assert_int_eq(grant(g, 1, &reg, "G-A2", va2, "F2", T_PAY, NULL,
	    &why), PT_EUNKNOWNSIGNER);
	ck_assert_int_eq(grants_pin_registrar(g, vreg, strlen(vreg), &why),
	    PT_ECONFLICT);
	grants_free(g);
}
END_TEST

START_TEST(valid_from)
{
	struct grants *g;
	struct pt_why why = { "" };

	E(grants_new(GRANTS_APPEND, &g));
	E(grant(g, 0, &reg, "G-A", va, "F", T_PAY, "2026-03-01", &why));
	ck_assert_int_eq(pay(g, 1, 1772323199999ULL, &offa, "P-1", 0, &why),
	    PT_EFORBIDDEN);
	ck_assert(strstr(why.text, "is valid from 2026-03-01") != NULL);
	E(pay(g, 1, 1772323200000ULL, &offa, "P-1", 1, &why));
	grants_free(g);
}
END_TEST

START_TEST(corrections)
{
	struct grants *g;
	struct pt_why why = { "" };
	struct sub u;
	static const char *const t_corr[] = { "correction", NULL };

	E(grants_new(GRANTS_APPEND, &g));
	E(grant(g, 0, &reg, "G-A", va, "F", T_CORR_PAY, NULL, &why));
	E(grant(g, 1, &reg, "G-B", vb, "P", t_corr, NULL, &why));
	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	correction_rec(&u.rec, "C-1", 1);
	sign(&u, &offa);
	/* A corrects its own entry */
	E(grants_check(g, 2, 1, &u.s, va, strlen(va), &why));
	/* not B's */
	ck_assert_int_eq(grants_check(g, 2, 1, &u.s, vb, strlen(vb), &why),
	    PT_EFORBIDDEN);
	ck_assert(strstr(why.text, "submitted by another office") != NULL);
	sub_free(&u);
	/* B may correct, but not replace with a payment */
	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	correction_rec(&u.rec, "C-2", 1);
	sign(&u, &offb);
	ck_assert_int_eq(grants_check(g, 2, 1, &u.s, vb, strlen(vb), &why),
	    PT_EFORBIDDEN);
	ck_assert(strstr(why.text, "the replacement in a correction") !=
	    NULL);
	sub_free(&u);
	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	correction_rec(&u.rec, "C-3", 0);
	sign(&u, &offb);
	E(grants_check(g, 2, 1, &u.s, vb, strlen(vb), &why));
	sub_free(&u);
	grants_free(g);
}
END_TEST

/* A log made before office keys: entries 0..2 with no grant, then its
 * migration grants A payments and B payments (not permits, which B
 * appended at #1 and #2). */
START_TEST(legacy_prefix)
{
	struct grants *g;
	struct pt_why why = { "" };
	struct sub u;
	uint64_t idx;

	E(grants_new(GRANTS_HISTORY, &g));
	E(pay(g, 0, 1, &offa, "P-0", 1, &why));
	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	/* B: a payment, then a void correction of its own entry */
	payment_rec(&u.rec, "P-B");
	sign(&u, &offb);
	E(grants_apply(g, 1, 1, &u.s, NULL, 0, &why));
	sub_free(&u);
	memset(&u, 0, sizeof(u));
	wire_buf_init(&u.rec);
	correction_rec(&u.rec, "C-B", 0);
	sign(&u, &offb);
	E(grants_apply(g, 2, 1, &u.s, vb, strlen(vb), &why));
	sub_free(&u);
	ck_assert_int_eq(grants_next_late(g, &idx, &why), 0);
	E(grant(g, 3, &reg, "G-A", va, "F", T_PAY, NULL, &why));
	E(grant(g, 4, &reg, "G-B", vb, "P", T_PAY, NULL, &why));
	ck_assert_int_eq(grants_next_late(g, &idx, &why), 0);
	/* the migration ends with the next office's entry */
	E(pay(g, 5, 1, &offa, "P-5", 1, &why));
	ck_assert_int_eq(grants_next_late(g, &idx, &why), 1);
	ck_assert_uint_eq(idx, 2);
	ck_assert(strstr(why.text, "does not allow correction") != NULL);
	ck_assert_int_eq(grants_next_late(g, &idx, &why), 0);
	grants_free(g);

	/* a log with no grants at all */
	E(grants_new(GRANTS_HISTORY, &g));
	E(pay(g, 0, 1, &offa, "P-0", 1, &why));
	E(pay(g, 1, 1, &offa, "P-1", 1, &why));
	ck_assert_int_eq(grants_next_late(g, &idx, &why), 0);
	grants_end(g);
	ck_assert_int_eq(grants_next_late(g, &idx, &why), 1);
	ck_assert_uint_eq(idx, 0);
	ck_assert(strstr(why.text, "granted no office keys") != NULL);
	grants_free(g);

	/* in the log's own mode there is no legacy: refused at once */
	E(grants_new(GRANTS_APPEND, &g));
	ck_assert_int_eq(pay(g, 0, 1, &offa, "P-0", 1, &why),
	    PT_EUNKNOWNSIGNER);
	grants_free(g);
}
END_TEST

START_TEST(clone_is_deep)
{
	struct grants *g, *c;
	struct pt_why why = { "" };

	E(grants_new(GRANTS_APPEND, &g));
	E(grant(g, 0, &reg, "G-A", va, "Finance Office", T_PAY, NULL, &why));
	E(grants_clone(g, &c));
	E(revoke(c, 1, "R-A", va, "Finance Office", "FIN", &why));
	E(grant(c, 2, &reg, "G-B", vb, "Planning Office", T_PERMIT, NULL,
	    &why));
	/* the original is unchanged */
	ck_assert_uint_eq(grants_count(g), 1);
	E(pay(g, 1, 1, &offa, "P-1", 0, &why));
	ck_assert_int_eq(pay(c, 3, 1, &offa, "P-1", 0, &why), PT_EFORBIDDEN);
	ck_assert_ptr_null(grants_find(g, vb, strlen(vb)));
	ck_assert_ptr_nonnull(grants_find(c, vb, strlen(vb)));
	grants_free(g);
	ck_assert_str_eq(grants_key_at(c, 0)->name, "Finance Office");
	grants_free(c);
	grants_free(NULL);
}
END_TEST

/* 300 keys: the table grows several times, every key is found, and an
 * office's record costs one lookup. */
START_TEST(many_keys)
{
	enum { N = 300 };
	static char vk[N][PT_MAX_VKEY + 1];
	static struct note_skey k[N];
	struct grants *g;
	struct pt_why why = { "" };
	char name[32], id[32];

	E(grants_new(GRANTS_APPEND, &g));
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "office-%d", i);
		snprintf(id, sizeof(id), "G-%d", i);
		E(note_keygen(name, NOTE_ALG_ED25519, &k[i]));
		E(note_vkey_format(&k[i].vk, vk[i], sizeof(vk[i])));
		E(grant(g, (uint64_t)i, &reg, id, vk[i], name, T_PAY, NULL,
		    &why));
	}
	for (int i = 0; i < N; i++) {
		const struct grants_key *gk = grants_find(g, vk[i],
		    strlen(vk[i]));

		ck_assert_ptr_nonnull(gk);
		ck_assert_uint_eq(gk->granted_at, (uint64_t)i);
	}
	E(pay(g, N, 1, &k[N - 1], "P", 1, &why));
	ck_assert_ptr_null(grants_find(g, va, strlen(va)));
	grants_free(g);
}
END_TEST

START_TEST(types_str)
{
	char b[48];

	ck_assert_str_eq(grants_types_str(RECORD_TYPES_ALL, b, sizeof(b)),
	    "correction,payment,permit_decision");
	ck_assert_str_eq(grants_types_str(1u << RECORD_PAYMENT, b, sizeof(b)),
	    "payment");
	ck_assert_str_eq(grants_types_str(0, b, sizeof(b)), "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("grants");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	setup();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, record_schema);
	tcase_add_test(tc, registrar_domain);
	tcase_add_test(tc, grant_and_revoke);
	tcase_add_test(tc, names_and_keys);
	tcase_add_test(tc, pinned_registrar);
	tcase_add_test(tc, valid_from);
	tcase_add_test(tc, corrections);
	tcase_add_test(tc, legacy_prefix);
	tcase_add_test(tc, clone_is_deep);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, types_str);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
