/*
 * bench.h: helpers shared by the benchmark programs (bench/ *.c).  Header
 * only, because the Makefile builds each bench/ source into its own program.
 *
 * Every program prints its measurements as lines
 *
 *   FIG <name> <value> <unit>
 *
 * on stdout; bench/run.sh pairs each figure with its baseline, prints the
 * table and writes bench/results.json.  Nothing here asserts anything about
 * time.
 */
#ifndef PT_BENCH_H
#define PT_BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "note.h"
#include "pt.h"
#include "wire.h"

static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void
bench_fig(const char *name, double value, const char *unit)
{
	printf("FIG %s %.6g %s\n", name, value, unit);
	fflush(stdout);
}

static inline void
bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

static inline void
bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* A deterministic xorshift generator (benchmarks must be reproducible). */
static inline uint64_t
bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * Canonical payment record number i of run tag (keys in canonical order),
 * about 300 bytes, appended to b.  The id is "<tag>-<i>".
 */
static inline int
bench_payment(struct wire_buf *b, const char *tag, uint64_t i)
{
	char id[96], desc[128];
	int rc = 0;

	snprintf(id, sizeof(id), "%s-%llu", tag, (unsigned long long)i);
	snprintf(desc, sizeof(desc), "Road resurfacing, lot %llu, phase %llu "
	    "of the municipal programme", (unsigned long long)(i % 977),
	    (unsigned long long)(i % 7));
	rc |= wire_enc_map(b, 8);
	rc |= wire_enc_cstr(b, "amount_minor");
	rc |= wire_enc_uint(b, 10000 + (i * 7919) % 10000000);
	rc |= wire_enc_cstr(b, "currency");
	rc |= wire_enc_cstr(b, "EUR");
	rc |= wire_enc_cstr(b, "date");
	rc |= wire_enc_cstr(b, "2026-03-01");
	rc |= wire_enc_cstr(b, "description");
	rc |= wire_enc_cstr(b, desc);
	rc |= wire_enc_cstr(b, "id");
	rc |= wire_enc_cstr(b, id);
	rc |= wire_enc_cstr(b, "payee");
	rc |= wire_enc_map(b, 4);
	rc |= wire_enc_cstr(b, "id");
	rc |= wire_enc_cstr(b, "0001");
	rc |= wire_enc_cstr(b, "kind");
	rc |= wire_enc_cstr(b, "organization");
	rc |= wire_enc_cstr(b, "name");
	rc |= wire_enc_cstr(b, "Acme Roads Ltd");
	rc |= wire_enc_cstr(b, "scheme");
	rc |= wire_enc_cstr(b, "GB-COH");
	rc |= wire_enc_cstr(b, "payer");
	rc |= wire_enc_map(b, 4);
	rc |= wire_enc_cstr(b, "id");
	rc |= wire_enc_cstr(b, "FIN-1");
	rc |= wire_enc_cstr(b, "kind");
	rc |= wire_enc_cstr(b, "organization");
	rc |= wire_enc_cstr(b, "name");
	rc |= wire_enc_cstr(b, "Benchmark Finance Office");
	rc |= wire_enc_cstr(b, "scheme");
	rc |= wire_enc_cstr(b, "XI-TEST");
	rc |= wire_enc_cstr(b, "type");
	rc |= wire_enc_cstr(b, "payment");
	return rc != 0 ? PT_ENOMEM : 0;
}

/*
 * Signed submission bytes for payment i (wire_submission_sign, then
 * wire_submission_encode) appended to out.  0 or a PT_E* code.
 */
static inline int
bench_signed_submission(const struct note_skey *k, const char *origin,
    const char *tag, uint64_t i, struct wire_buf *out)
{
	struct wire_buf rec;
	struct wire_submission s;
	char vkey[PT_MAX_VKEY + 1];
	int rc;

	wire_buf_init(&rec);
	if ((rc = bench_payment(&rec, tag, i)) == 0 &&
	    (rc = wire_submission_sign(k, origin, rec.data, rec.len, &s, vkey,
	    sizeof(vkey))) == 0)
		rc = wire_submission_encode(&s, out);
	wire_buf_free(&rec);
	return rc;
}

/* Read a private key string (first line of path). */
static inline int
bench_load_key(const char *path, struct note_skey *k)
{
	char buf[512];
	size_t len;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return PT_EIO;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return PT_EIO;
	}
	fclose(f);
	len = strcspn(buf, "\r\n");
	return note_skey_parse(buf, len, k);
}

/* New Ed25519 key named name: private key string to skey_path, and the
 * submitters line "<vkey>\n" to subm_path (either may be NULL). */
static inline int
bench_new_key(const char *name, const char *skey_path, const char *subm_path,
    struct note_skey *k)
{
	char s[512], v[PT_MAX_VKEY + 1];
	FILE *f;
	int rc;

	if ((rc = note_keygen(name, NOTE_ALG_ED25519, k)) != 0 ||
	    (rc = note_skey_format(k, s, sizeof(s))) != 0 ||
	    (rc = note_vkey_format(&k->vk, v, sizeof(v))) != 0)
		return rc;
	if (skey_path != NULL) {
		if ((f = fopen(skey_path, "w")) == NULL)
			return PT_EIO;
		fprintf(f, "%s\n", s);
		if (fclose(f) != 0)
			return PT_EIO;
	}
	if (subm_path != NULL) {
		if ((f = fopen(subm_path, "a")) == NULL)
			return PT_EIO;
		fprintf(f, "%s\n", v);
		if (fclose(f) != 0)
			return PT_EIO;
	}
	return 0;
}

#endif
