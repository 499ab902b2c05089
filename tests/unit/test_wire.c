/*
 * test_wire.c: canonical msgpack walker and messages.
 *
 * Replays tests/corpus/wire/{ok,bad}/ (written by tests/corpus/wire/gen.py
 * with python3-msgpack and python3-cryptography, an independent encoder and
 * signer): every ok/ file decodes and re-encodes to the same bytes, every
 * bad/ file fails with the error named in its file name.  The corpus is read
 * relative to $PT_SRCDIR, else the current directory (the repository root).
 */
#include <check.h>
#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "note.h"
#include "pt.h"
#include "record.h"
#include "wire.h"
#include "wire_int.h"

#define ORIGIN		"log.example.org/pubtrail/2026"
#define KEY_NAME	"finance.example.gov"
#define VKEY		"finance.example.gov+6fcd57c9+" \
			"AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define SUBMITTER_ID	"c43f35d7e7a1af1b229476994d277c88" \
			"a385e6dc212442aea6842a3d44a21b1e"
#define SIG_PAYMENT_MIN	"de1c7525a948faa390ee04d3917378f5" \
			"2088f96cb13e6f837bed501784fa1658" \
			"82797781576dc8e0e47ed5e464b4cb8d" \
			"b12ce0a910f19c328c7d1148aa8fdb0d"

static char *
corpus_path(const char *rel)
{
	const char *src = getenv("PT_SRCDIR");
	char *p;
	size_t n;

	if (src == NULL || *src == '\0')
		src = ".";
	n = strlen(src) + strlen(rel) + 32;
	p = malloc(n);
	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/tests/corpus/wire/%s", src, rel);
	return p;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s (run from the repository "
	    "root or set PT_SRCDIR)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static uint8_t *
corpus_file(const char *rel, size_t *len)
{
	char *p = corpus_path(rel);
	uint8_t *b = slurp(p, len);

	free(p);
	return b;
}

/*
 * Decode buf with the named decoder.  When reenc is non-NULL and decoding
 * succeeded, the message is encoded again into reenc (not for "canonical"
 * and "record", which have no encoder of their own).
 */
static int
decode_as(const char *dec, const uint8_t *buf, size_t len,
    struct wire_buf *reenc, struct pt_why *why)
{
	int r;

	if (strcmp(dec, "canonical") == 0)
		return wire_check_canonical(buf, len, why);
	if (strcmp(dec, "record") == 0) {
		struct record_info info;
		return record_check(buf, len, &info, why);
	}
	if (strcmp(dec, "submission") == 0) {
		struct wire_submission s;
		if ((r = wire_submission_decode(buf, len, &s, why)) == 0 &&
		    reenc != NULL) {
			ck_assert_int_ne(s.record_checked, 0);
			ck_assert_int_eq(wire_submission_encode(&s, reenc), 0);
		}
		return r;
	}
	if (strcmp(dec, "entry") == 0) {
		struct wire_entry e;
		if ((r = wire_entry_decode(buf, len, &e, why)) == 0 &&
		    reenc != NULL)
			ck_assert_int_eq(wire_entry_encode(&e.sub, e.time_ms,
			    reenc), 0);
		return r;
	}
	if (strcmp(dec, "receipt") == 0) {
		struct wire_receipt rc;
		if ((r = wire_receipt_decode(buf, len, &rc, why)) == 0 &&
		    reenc != NULL)
			ck_assert_int_eq(wire_receipt_encode(&rc, reenc), 0);
		return r;
	}
	if (strcmp(dec, "inclusion") == 0 || strcmp(dec, "consistency") == 0) {
		struct mt_hash proof[PT_MAX_PROOF];
		uint64_t a, b;
		size_t n;
		int incl = dec[0] == 'i';

		r = incl ? wire_inclusion_decode(buf, len, &a, &b, proof,
		    PT_MAX_PROOF, &n, why) : wire_consistency_decode(buf, len,
		    &a, &b, proof, PT_MAX_PROOF, &n, why);
		if (r == 0 && reenc != NULL)
			ck_assert_int_eq(incl ?
			    wire_inclusion_encode(a, b, proof, n, reenc) :
			    wire_consistency_encode(a, b, proof, n, reenc), 0);
		return r;
	}
	ck_abort_msg("unknown decoder %s", dec);
	return PT_EINVAL;
}

/* Split "<decoder>.<rest>" into dec (cap bytes). */
static void
name_field(const char *name, int idx, char *out, size_t cap)
{
	const char *p = name, *q;
	size_t n;

	for (; idx > 0; idx--) {
		p = strchr(p, '.');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	q = strchr(p, '.');
	n = q ? (size_t)(q - p) : strlen(p);
	ck_assert_uint_lt(n, cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

static size_t
replay_dir(const char *sub, int want_ok)
{
	char *dir = corpus_path(sub);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t count = 0;

	ck_assert_msg(d != NULL, "cannot open %s (run from the repository root "
	    "or set PT_SRCDIR)", dir);
	while ((de = readdir(d)) != NULL) {
		char dec[32], err[32], path[1024];
		struct wire_buf re;
		struct pt_why why;
		uint8_t *buf;
		size_t len;
		int r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		buf = slurp(path, &len);
		name_field(de->d_name, 0, dec, sizeof(dec));
		wire_buf_init(&re);
		why.text[0] = '\0';
		r = decode_as(dec, buf, len, want_ok ? &re : NULL, &why);
		if (want_ok) {
			ck_assert_msg(r == 0, "%s: %s (%s)", de->d_name,
			    pt_errname(r), why.text);
			if (strcmp(dec, "canonical") != 0 &&
			    strcmp(dec, "record") != 0) {
				ck_assert_msg(re.len == len &&
				    memcmp(re.data, buf, len) == 0,
				    "%s: re-encoding differs", de->d_name);
			}
		} else {
			name_field(de->d_name, 1, err, sizeof(err));
			ck_assert_msg(strcmp(pt_errname(r), err) == 0,
			    "%s: got %s (%s)", de->d_name, pt_errname(r),
			    why.text);
			ck_assert_msg(why.text[0] != '\0', "%s: no reason",
			    de->d_name);
		}
		wire_buf_free(&re);
		free(buf);
		count++;
	}
	closedir(d);
	free(dir);
	return count;
}

/*
 * wire_utf8_valid against glibc's iconv, an independent strict UTF-8
 * decoder (it refuses overlong forms, surrogates, code points above
 * U+10FFFF and cut sequences): every bad sequence at every offset of an
 * ASCII run (the eight-byte steps must not jump over it), then random
 * mixes of ASCII runs, good sequences and bytes of any value.
 */
static int
iconv_accepts(const uint8_t *p, size_t n)
{
	static uint32_t out[256];
	iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
	char *ip = (char *)(uintptr_t)p, *op = (char *)out;
	size_t il = n, ol = sizeof(out), r;

	ck_assert_ptr_ne(cd, (iconv_t)-1);
	r = iconv(cd, &ip, &il, &op, &ol);
	iconv_close(cd);
	return r != (size_t)-1 && il == 0;
}

START_TEST(utf8_as_iconv)
{
	static const char *const seq[] = {
		"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf",				/* good */
		"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x9f\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe",
		"\xc2", "\xe2\x82", "\xf0\x9f\x98", "\xc2\x41",	/* bad */
	};
	uint8_t b[200];
	uint32_t x = 12345;
	int nbad = 0;

	for (size_t k = 0; k < sizeof(seq) / sizeof(seq[0]); k++) {
		size_t sl = strlen(seq[k]);

		for (size_t at = 0; at <= 40; at++) {
			for (size_t tail = 0; tail <= 17; tail += 17) {
				size_t n = at + sl + tail;

				memset(b, 'a', n);
				memcpy(b + at, seq[k], sl);
				ck_assert_int_eq(wire_utf8_valid(b, n) == 0,
				    iconv_accepts(b, n));
			}
		}
	}
	for (int t = 0; t < 20000; t++) {
		size_t n = 0;

		while (n < 160) {
			x = x * 1103515245u + 12345u;
			if ((x >> 16) % 3 == 0) {	/* an ASCII run */
				size_t r = (x >> 8) % 20;

				memset(b + n, 'A' + (int)(x % 26), r);
				n += r;
			} else if ((x >> 16) % 3 == 1) {
				const char *q = seq[(x >> 4) % 8];

				memcpy(b + n, q, strlen(q));
				n += strlen(q);
			} else
				b[n++] = (uint8_t)(x >> 24);
			if ((x >> 20) % 11 == 0)
				break;
		}
		nbad += !iconv_accepts(b, n);
		ck_assert_int_eq(wire_utf8_valid(b, n) == 0,
		    iconv_accepts(b, n));
	}
	/* both kinds were tried */
	ck_assert_int_gt(nbad, 1000);
	ck_assert_int_lt(nbad, 19000);
}
END_TEST

START_TEST(corpus_ok)
{
	ck_assert_uint_ge(replay_dir("ok", 1), 25);
}
END_TEST

START_TEST(corpus_bad)
{
	ck_assert_uint_ge(replay_dir("bad", 0), 150);
}
END_TEST

/* Every proper prefix of a valid message is refused, and so is every
 * single-byte change that the decoder cannot tell is valid: the point is
 * that none of them crash or read out of bounds (ASan, valgrind). */
START_TEST(corpus_ok_mutations)
{
	static const char *const files[] = {
		"ok/submission.correction-amend.bin",
		"ok/entry.permit-max.bin",
		"ok/receipt.basic.bin",
		"ok/inclusion.three.bin",
		"ok/consistency.three.bin",
	};
	static const char *const decs[] = {
		"submission", "entry", "receipt", "inclusion", "consistency",
	};

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		uint8_t *buf = corpus_file(files[f], &len);

		for (size_t cut = 0; cut < len; cut++)
			ck_assert_int_ne(decode_as(decs[f], buf, cut, NULL,
			    NULL), 0);
		for (size_t i = 0; i < len; i++) {
			uint8_t *m = malloc(len);
			ck_assert_ptr_nonnull(m);
			memcpy(m, buf, len);
			m[i] ^= 0xff;
			(void)decode_as(decs[f], m, len, NULL, NULL);
			m[i] ^= 0x81;
			(void)decode_as(decs[f], m, len, NULL, NULL);
			free(m);
		}
		free(buf);
	}
}
END_TEST

/* Canonical integer and length boundaries, built with the encoder. */
START_TEST(canonical_boundaries)
{
	static const uint64_t us[] = {
		0, 127, 128, 255, 256, 65535, 65536, 0xffffffffULL,
		0x100000000ULL, UINT64_MAX,
	};
	static const int64_t is[] = {
		-1, -32, -33, -128, -129, -32768, -32769, INT32_MIN,
		(int64_t)INT32_MIN - 1, INT64_MIN, 0, 5, INT64_MAX,
	};
	static const size_t ls[] = { 0, 31, 32, 255, 256, 4096 };
	struct wire_buf b;
	struct wire_cur c;
	uint64_t u;
	int64_t v;
	const char *s;
	const uint8_t *p;
	size_t n;
	char *big = calloc(1, 4097);

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 4096);
	for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		wire_buf_init(&b);
		ck_assert_int_eq(wire_enc_uint(&b, us[i]), 0);
		ck_assert_int_eq(wire_check_canonical(b.data, b.len, NULL), 0);
		wire_cur_init(&c, b.data, b.len);
		ck_assert_int_eq(wire_cur_kind(&c), WIRE_K_UINT);
		ck_assert_int_eq(wire_cur_uint(&c, &u), 0);
		ck_assert(u == us[i]);
		ck_assert_ptr_eq(c.p, c.end);
		wire_buf_free(&b);
	}
	for (size_t i = 0; i < sizeof(is) / sizeof(is[0]); i++) {
		wire_buf_init(&b);
		ck_assert_int_eq(wire_enc_int(&b, is[i]), 0);
		ck_assert_int_eq(wire_check_canonical(b.data, b.len, NULL), 0);
		wire_cur_init(&c, b.data, b.len);
		ck_assert_int_eq(wire_cur_int(&c, &v), 0);
		ck_assert(v == is[i]);
		wire_buf_free(&b);
	}
	wire_buf_init(&b);
	ck_assert_int_eq(wire_enc_uint(&b, (uint64_t)INT64_MAX + 1), 0);
	wire_cur_init(&c, b.data, b.len);
	ck_assert_int_eq(wire_cur_int(&c, &v), PT_ERANGE);
	wire_buf_free(&b);
	for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++) {
		wire_buf_init(&b);
		ck_assert_int_eq(wire_enc_str(&b, big, ls[i]), 0);
		ck_assert_int_eq(wire_enc_bin(&b, big, ls[i]), 0);
		/* two values: trailing */
		ck_assert_int_eq(wire_check_canonical(b.data, b.len, NULL),
		    PT_ETRAILING);
		wire_cur_init(&c, b.data, b.len);
		ck_assert_int_eq(wire_cur_bin(&c, &p, &n), PT_ETYPE);
		ck_assert_int_eq(wire_cur_str(&c, &s, &n), 0);
		ck_assert_uint_eq(n, ls[i]);
		ck_assert_int_eq(wire_cur_bin(&c, &p, &n), 0);
		ck_assert_uint_eq(n, ls[i]);
		ck_assert_ptr_eq(c.p, c.end);
		wire_buf_free(&b);
	}
	/* 4097 bytes: one over PT_MAX_STRING, all bytes present. */
	wire_buf_init(&b);
	big[4096] = 'a';
	ck_assert_int_eq(wire_enc_str(&b, big, 4097), 0);
	ck_assert_int_eq(wire_check_canonical(b.data, b.len, NULL),
	    PT_ETOOBIG);
	wire_buf_free(&b);
	free(big);
}
END_TEST

/* The encoders walk a record nobody checked (record_checked 0) and refuse
 * a non-canonical one; decoding and signing mark the record checked. */
START_TEST(encode_checks_unchecked_record)
{
	/* {"a": 1} with 1 as a non-minimal uint8 (0xcc 0x01). */
	static const uint8_t bad[] = { 0x81, 0xa1, 'a', 0xcc, 0x01 };
	struct wire_submission s;
	struct wire_buf b;

	memset(&s, 0, sizeof(s));
	s.record = bad;
	s.record_len = sizeof(bad);
	s.submitter_str = "x+0a0b0c0d+AQ";
	s.submitter_len = strlen(s.submitter_str);
	wire_buf_init(&b);
	ck_assert_int_eq(wire_entry_encode(&s, 1, &b), PT_EINVAL);
	ck_assert_int_eq(wire_submission_encode(&s, &b), PT_EINVAL);
	wire_buf_free(&b);
}
END_TEST

/* The four 5-byte "allocate 4 GiB" headers, with and without the payload
 * running to the end of a larger buffer; never an allocation. */
START_TEST(huge_headers)
{
	static const uint8_t h[][5] = {
		{ 0xdb, 0xff, 0xff, 0xff, 0xff },
		{ 0xc6, 0xff, 0xff, 0xff, 0xff },
		{ 0xdd, 0xff, 0xff, 0xff, 0xff },
		{ 0xdf, 0xff, 0xff, 0xff, 0xff },
	};
	struct wire_submission s;
	struct pt_why why;

	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(wire_check_canonical(h[i], 5, &why),
		    PT_ETOOBIG);
		ck_assert_int_eq(wire_submission_decode(h[i], 5, &s, &why),
		    PT_ETOOBIG);
		ck_assert_int_eq(record_check(h[i], 5, NULL, &why),
		    PT_ETOOBIG);
	}
	/* Within the limit but longer than what remains. */
	ck_assert_int_eq(wire_check_canonical((const uint8_t *)
	    "\xda\x10\x00xx", 5, &why), PT_ETRUNCATED);
	ck_assert_int_eq(wire_check_canonical((const uint8_t *)
	    "\xdc\x00\x40\x01", 4, &why), PT_ETRUNCATED);
	ck_assert_int_eq(wire_check_canonical((const uint8_t *)
	    "\xde\x00\x20\xa1" "a", 5, &why), PT_ETRUNCATED);
	ck_assert_int_eq(wire_check_canonical(NULL, 0, &why), PT_ETRUNCATED);
}
END_TEST

START_TEST(cursor_skip)
{
	/* {"a": [1, {"b": "c"}], "d": bin(2)} then 0x07 */
	static const uint8_t m[] = {
		0x82, 0xa1, 'a', 0x92, 0x01, 0x81, 0xa1, 'b', 0xa1, 'c',
		0xa1, 'd', 0xc4, 0x02, 0x00, 0x00, 0x07,
	};
	struct wire_cur c;
	const uint8_t *start;
	size_t len, n;
	uint64_t u;

	wire_cur_init(&c, m, sizeof(m));
	ck_assert_int_eq(wire_cur_skip(&c, &start, &len), 0);
	ck_assert_ptr_eq(start, m);
	ck_assert_uint_eq(len, sizeof(m) - 1);
	ck_assert_int_eq(wire_cur_uint(&c, &u), 0);
	ck_assert_uint_eq(u, 7);
	ck_assert_int_eq(wire_cur_kind(&c), WIRE_K_NONE);
	ck_assert_int_eq(wire_cur_uint(&c, &u), PT_ETRUNCATED);
	/* A truncated copy cannot be skipped past its end. */
	wire_cur_init(&c, m, 9);
	ck_assert_int_eq(wire_cur_skip(&c, NULL, NULL), PT_ETRUNCATED);
	ck_assert_ptr_eq(c.p, m);
	wire_cur_init(&c, m, sizeof(m));
	ck_assert_int_eq(wire_cur_array(&c, &n), PT_ETYPE);
	ck_assert_int_eq(wire_cur_map(&c, &n), 0);
	ck_assert_uint_eq(n, 2);
}
END_TEST

static void
test_skey(struct note_skey *k)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < 32; i++)
		k->seed[i] = (uint8_t)i;
	strcpy(k->vk.name, KEY_NAME);
	k->vk.alg = NOTE_ALG_ED25519;
	ck_assert_int_eq(cr_ed25519_public(k->seed, k->vk.pub), 0);
	ck_assert_int_eq(note_key_hash(k->vk.name, k->vk.alg, k->vk.pub,
	    &k->vk.hash), 0);
}

/* Sign in C what gen.py signed in Python: Ed25519 is deterministic, so the
 * submission must be the same bytes. */
START_TEST(sign_known_answer)
{
	struct note_skey k;
	struct wire_submission s, d;
	struct wire_buf b;
	char vkey[PT_MAX_VKEY + 1], hex[129];
	uint8_t *rec, *want, id[32];
	size_t rlen, wlen;

	test_skey(&k);
	rec = corpus_file("ok/record.payment-min.bin", &rlen);
	want = corpus_file("ok/submission.payment-min.bin", &wlen);
	ck_assert_int_eq(wire_submission_sign(&k, ORIGIN, rec, rlen, &s, vkey,
	    sizeof(vkey)), 0);
	ck_assert_str_eq(vkey, VKEY);
	ck_assert_ptr_eq(s.submitter_str, vkey);
	ck_assert_uint_eq(s.submitter_len, strlen(VKEY));
	ck_assert_ptr_eq(s.record, rec);
	ck_assert_int_eq(s.info.type, RECORD_PAYMENT);
	ck_assert_uint_eq(s.info.id_len, 13);
	ck_assert_mem_eq(s.info.id, "PAY-2023-0001", 13);
	cr_hex_encode(s.sig, 64, hex);
	ck_assert_str_eq(hex, SIG_PAYMENT_MIN);
	wire_buf_init(&b);
	ck_assert_int_eq(wire_submission_encode(&s, &b), 0);
	ck_assert_uint_eq(b.len, wlen);
	ck_assert_mem_eq(b.data, want, wlen);
	ck_assert_int_eq(wire_submission_verify(&s, ORIGIN), 0);

	/* Decode what Python wrote and verify it; another origin fails. */
	ck_assert_int_eq(wire_submission_decode(want, wlen, &d, NULL), 0);
	ck_assert_int_eq(wire_submission_verify(&d, ORIGIN), 0);
	ck_assert_int_eq(wire_submission_verify(&d,
	    "log.example.org/pubtrail/2027"), PT_ESIG);
	ck_assert_int_eq(wire_submission_verify(&d, ORIGIN "x"), PT_ESIG);
	d.sig[0] ^= 1;
	ck_assert_int_eq(wire_submission_verify(&d, ORIGIN), PT_ESIG);

	ck_assert_int_eq(wire_submitter_id(VKEY, strlen(VKEY), id), 0);
	cr_hex_encode(id, 32, hex);
	ck_assert_str_eq(hex, SUBMITTER_ID);

	/* Bad arguments. */
	ck_assert_int_eq(wire_submission_sign(&k, "", rec, rlen, &s, vkey,
	    sizeof(vkey)), PT_EINVAL);
	ck_assert_int_eq(wire_submission_sign(&k, "a\nb", rec, rlen, &s, vkey,
	    sizeof(vkey)), PT_EINVAL);
	ck_assert_int_eq(wire_submission_sign(&k, ORIGIN, rec, rlen, &s, vkey,
	    10), PT_ETOOBIG);
	ck_assert_ptr_null(s.record);
	ck_assert_int_eq(wire_submission_sign(&k, ORIGIN, rec, rlen - 1, &s,
	    vkey, sizeof(vkey)), PT_ETRUNCATED);
	k.vk.alg = NOTE_ALG_COSIG_V1;
	ck_assert_int_eq(wire_submission_sign(&k, ORIGIN, rec, rlen, &s, vkey,
	    sizeof(vkey)), PT_EINVAL);
	note_skey_wipe(&k);
	wire_buf_free(&b);
	free(rec);
	free(want);
}
END_TEST

START_TEST(sign_message_bytes)
{
	struct wire_buf b;
	static const uint8_t rec[] = { 0x80 };
	static const char want[] = "pubtrail/submission/v1\nlog.example\n\x80";

	wire_buf_init(&b);
	ck_assert_int_eq(wire_sign_message("log.example", rec, 1, &b), 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(b.data, want, b.len);
	wire_buf_free(&b);
	wire_buf_init(&b);
	ck_assert_int_eq(wire_sign_message(NULL, rec, 1, &b), PT_EINVAL);
	ck_assert_int_eq(wire_sign_message("a\tb", rec, 1, &b), PT_EINVAL);
	ck_assert_int_eq(wire_sign_message("a", rec, 0, &b), PT_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	wire_buf_free(&b);
	wire_buf_free(NULL);
}
END_TEST

/* Round trips of every record type through submission and entry, using
 * the corpus records (minimal and maximal). */
START_TEST(roundtrip_entries)
{
	static const char *const recs[] = {
		"payment-min", "payment-max", "permit-min", "permit-max",
		"correction-void", "correction-amend",
	};
	static const enum record_type types[] = {
		RECORD_PAYMENT, RECORD_PAYMENT, RECORD_PERMIT_DECISION,
		RECORD_PERMIT_DECISION, RECORD_CORRECTION, RECORD_CORRECTION,
	};
	static const uint64_t times[] = { 0, 1, 1700000000123ULL, UINT64_MAX };
	struct note_skey k;
	char vkey[PT_MAX_VKEY + 1], rel[128];

	test_skey(&k);
	for (size_t i = 0; i < 6; i++) {
		struct wire_submission s, d;
		struct wire_entry e;
		struct wire_buf sb, eb;
		uint8_t *rec, *want;
		size_t rlen, wlen;

		snprintf(rel, sizeof(rel), "ok/record.%s.bin", recs[i]);
		rec = corpus_file(rel, &rlen);
		ck_assert_int_eq(wire_submission_sign(&k, ORIGIN, rec, rlen,
		    &s, vkey, sizeof(vkey)), 0);
		ck_assert_int_eq(s.info.type, types[i]);
		wire_buf_init(&sb);
		ck_assert_int_eq(wire_submission_encode(&s, &sb), 0);
		snprintf(rel, sizeof(rel), "ok/submission.%s.bin", recs[i]);
		want = corpus_file(rel, &wlen);
		ck_assert_uint_eq(sb.len, wlen);
		ck_assert_mem_eq(sb.data, want, wlen);
		free(want);
		ck_assert_int_eq(wire_submission_decode(sb.data, sb.len, &d,
		    NULL), 0);
		ck_assert_uint_eq(d.record_len, rlen);
		ck_assert_mem_eq(d.record, rec, rlen);
		ck_assert_mem_eq(d.sig, s.sig, 64);
		ck_assert_mem_eq(d.submitter.pub, k.vk.pub, 32);
		ck_assert_int_eq(d.info.type, types[i]);
		ck_assert_int_eq(wire_submission_verify(&d, ORIGIN), 0);
		for (size_t t = 0; t < 4; t++) {
			wire_buf_init(&eb);
			ck_assert_int_eq(wire_entry_encode(&d, times[t], &eb),
			    0);
			ck_assert_int_eq(wire_entry_decode(eb.data, eb.len, &e,
			    NULL), 0);
			ck_assert(e.time_ms == times[t]);
			ck_assert_uint_eq(e.sub.record_len, rlen);
			ck_assert_int_eq(wire_submission_verify(&e.sub, ORIGIN),
			    0);
			/* An entry is not a submission and vice versa. */
			ck_assert_int_eq(wire_submission_decode(eb.data,
			    eb.len, &d, NULL), PT_EUNKNOWNKEY);
			ck_assert_int_eq(wire_submission_decode(sb.data,
			    sb.len, &d, NULL), 0);
			wire_buf_free(&eb);
		}
		if (types[i] == RECORD_CORRECTION) {
			ck_assert_int_eq(d.info.action_void, i == 4);
			ck_assert(d.info.target_index ==
			    (i == 4 ? 41 : 1ULL << 40));
		}
		wire_buf_free(&sb);
		free(rec);
	}
	note_skey_wipe(&k);
}
END_TEST

START_TEST(roundtrip_receipt)
{
	struct wire_receipt r, d;
	struct wire_buf b;
	static const uint64_t idx[] = { 0, 1, 127, 128, (1ULL << 62) - 1 };
	uint8_t *entry;
	size_t elen;
	const char *proof = "c2sp.org/tlog-proof@v1\nindex 0\n\nnote\n";

	entry = corpus_file("ok/entry.payment-max.bin", &elen);
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		r.entry = entry;
		r.entry_len = elen;
		r.index = idx[i];
		r.proof = proof;
		r.proof_len = strlen(proof);
		wire_buf_init(&b);
		ck_assert_int_eq(wire_receipt_encode(&r, &b), 0);
		ck_assert_int_eq(wire_receipt_decode(b.data, b.len, &d, NULL),
		    0);
		ck_assert(d.index == idx[i]);
		ck_assert_uint_eq(d.entry_len, elen);
		ck_assert_mem_eq(d.entry, entry, elen);
		ck_assert_uint_eq(d.proof_len, strlen(proof));
		ck_assert_mem_eq(d.proof, proof, d.proof_len);
		wire_buf_free(&b);
	}
	r.index = 1ULL << 62;
	wire_buf_init(&b);
	ck_assert_int_eq(wire_receipt_encode(&r, &b), PT_EINVAL);
	r.index = 0;
	r.proof_len = 0;
	ck_assert_int_eq(wire_receipt_encode(&r, &b), PT_EINVAL);
	r.proof = "\xff";
	r.proof_len = 1;
	ck_assert_int_eq(wire_receipt_encode(&r, &b), PT_EINVAL);
	wire_buf_free(&b);
	free(entry);
}
END_TEST

START_TEST(roundtrip_proofs)
{
	struct mt_hash p[PT_MAX_PROOF], q[PT_MAX_PROOF];
	static const size_t ns[] = { 0, 1, 2, 63, 64 };
	struct wire_buf b;
	struct pt_why why;
	uint64_t a, c;
	size_t n;

	for (size_t i = 0; i < PT_MAX_PROOF; i++)
		memset(p[i].b, (int)i, 32);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		wire_buf_init(&b);
		ck_assert_int_eq(wire_inclusion_encode(3, 1ULL << 62, p, ns[i],
		    &b), 0);
		ck_assert_int_eq(wire_inclusion_decode(b.data, b.len, &a, &c,
		    q, PT_MAX_PROOF, &n, &why), 0);
		ck_assert(a == 3 && c == 1ULL << 62);
		ck_assert_uint_eq(n, ns[i]);
		if (n > 0) {
			ck_assert_mem_eq(q, p, n * sizeof(p[0]));
			/* Too little room for the answer. */
			ck_assert_int_eq(wire_inclusion_decode(b.data, b.len,
			    &a, &c, q, n - 1, &n, &why), PT_ETOOBIG);
		}
		wire_buf_free(&b);

		wire_buf_init(&b);
		ck_assert_int_eq(wire_consistency_encode(0, 5, p, ns[i], &b),
		    0);
		ck_assert_int_eq(wire_consistency_decode(b.data, b.len, &a, &c,
		    q, PT_MAX_PROOF, &n, &why), 0);
		ck_assert(a == 0 && c == 5);
		ck_assert_uint_eq(n, ns[i]);
		if (n > 0)
			ck_assert_mem_eq(q, p, n * sizeof(p[0]));
		wire_buf_free(&b);
	}
	wire_buf_init(&b);
	ck_assert_int_eq(wire_inclusion_encode(5, 5, p, 1, &b), PT_EINVAL);
	ck_assert_int_eq(wire_inclusion_encode(0, 1, p, 65, &b), PT_EINVAL);
	ck_assert_int_eq(wire_consistency_encode(6, 5, p, 1, &b), PT_EINVAL);
	ck_assert_int_eq(wire_consistency_encode(1, (1ULL << 62) + 1, p, 1,
	    &b), PT_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	wire_buf_free(&b);
}
END_TEST

/* GET /lookup's answer: a known encoding, canonical, bounds refused. */
START_TEST(lookup_answer)
{
	static const uint8_t want[] = {
		0x82, 0xa5, 'e', 'n', 't', 'r', 'y', 0xc4, 0x03, 'a', 'b', 'c',
		0xa5, 'i', 'n', 'd', 'e', 'x', 0xcd, 0x01, 0x00,
	};
	struct wire_buf b;
	uint8_t *big = calloc(1, PT_MAX_ENTRY + 1);

	ck_assert_ptr_nonnull(big);
	wire_buf_init(&b);
	ck_assert_int_eq(wire_lookup_encode((const uint8_t *)"abc", 3, 256,
	    &b), 0);
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_int_eq(memcmp(b.data, want, sizeof(want)), 0);
	ck_assert_int_eq(wire_check_canonical(b.data, b.len, NULL), 0);
	wire_buf_free(&b);
	wire_buf_init(&b);
	ck_assert_int_eq(wire_lookup_encode(big, PT_MAX_ENTRY, 0, &b), 0);
	ck_assert_int_eq(wire_lookup_encode(big, PT_MAX_ENTRY + 1, 0, &b),
	    PT_EINVAL);
	ck_assert_int_eq(wire_lookup_encode(big, 0, 0, &b), PT_EINVAL);
	ck_assert_int_eq(wire_lookup_encode(NULL, 1, 0, &b), PT_EINVAL);
	ck_assert_int_eq(wire_lookup_encode(big, 1, PT_MAX_TREE_SIZE, &b),
	    PT_EINVAL);
	wire_buf_free(&b);
	free(big);
}
END_TEST

START_TEST(size_limits)
{
	uint8_t *big = calloc(1, PT_MAX_ENTRY + 2);
	struct wire_submission s;
	struct wire_entry e;
	struct wire_receipt r;

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(wire_submission_decode(big, PT_MAX_SUBMISSION + 1, &s,
	    NULL), PT_ETOOBIG);
	ck_assert_int_eq(wire_entry_decode(big, PT_MAX_ENTRY + 1, &e, NULL),
	    PT_ETOOBIG);
	ck_assert_int_eq(record_check(big, PT_MAX_RECORD + 1, NULL, NULL),
	    PT_ETOOBIG);
	/* Zeros: a canonical 0 followed by trailing bytes. */
	ck_assert_int_eq(wire_receipt_decode(big, 100, &r, NULL),
	    PT_ETRAILING);
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, corpus_ok);
	tcase_add_test(tc, utf8_as_iconv);
	tcase_add_test(tc, encode_checks_unchecked_record);
	tcase_add_test(tc, corpus_bad);
	tcase_add_test(tc, corpus_ok_mutations);
	tcase_add_test(tc, canonical_boundaries);
	tcase_add_test(tc, huge_headers);
	tcase_add_test(tc, cursor_skip);
	tcase_add_test(tc, sign_known_answer);
	tcase_add_test(tc, sign_message_bytes);
	tcase_add_test(tc, roundtrip_entries);
	tcase_add_test(tc, roundtrip_receipt);
	tcase_add_test(tc, roundtrip_proofs);
	tcase_add_test(tc, size_limits);
	tcase_add_test(tc, lookup_answer);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
