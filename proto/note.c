/*
 * note.c: C2SP signed-note with Ed25519 (signature type 0x01) and C2SP
 * tlog-cosignature v1 (type 0x04), strictly and within the limits of
 * ptlimits.h; ML-DSA-44 cosignature keys (type 0x06) are parsed, never
 * verified (OpenSSL 3.0 has no ML-DSA).  See note.h for the formats and
 * docs/PROTOCOL.md section 2.
 *
 * Parsing never allocates; verifying a cosignature allocates one buffer of
 * at most PT_NOTE_MAX_TEXT + 64 bytes for the signed message (Ed25519
 * needs the whole message).  Secrets are wiped with cr_wipe, signatures and hashes are
 * compared with cr_memcmp.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "pt.h"

#define EMDASH_SP	"\xe2\x80\x94 "	/* U+2014 EM DASH, U+0020 SPACE */
#define EMDASH_SP_LEN	4
#define SKEY_PREFIX	"PRIVATE+KEY+"
#define SKEY_PREFIX_LEN	12
#define COSIG_HDR	"cosignature/v1\ntime "
#define TS_MAX		UINT64_C(0x7fffffffffffffff)	/* 2^63 - 1 */

/*
 * Decode one UTF-8 sequence at s[*i] (strict: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  0 and advances *i, or PT_EUTF8.
 */
static int
utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	size_t n, k;
	uint32_t c = s[*i], min;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return PT_EUTF8;
	if (len - *i <= n)
		return PT_EUTF8;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return PT_EUTF8;
		c = c << 6 | (s[*i + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return PT_EUTF8;
	*cp = c;
	*i += n + 1;
	return 0;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static int
is_unicode_space(uint32_t c)
{
	switch (c) {
	case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20:
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	}
	return c >= 0x2000 && c <= 0x200a;
}

/*
 * Valid UTF-8, no control character but "\n", no line (without its "\n")
 * over maxline bytes.  0, PT_EUTF8, PT_EMALFORMED, PT_ETOOBIG.  O(len).
 */
static int
text_scan(const char *text, size_t len, size_t maxline)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, line = 0;
	uint32_t c;
	int rc;

	while (i < len) {
		size_t start = i;

		if ((rc = utf8_next(s, len, &i, &c)) != 0)
			return rc;
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c < 0x20)
			return PT_EMALFORMED;
		line += i - start;
		if (line > maxline)
			return PT_ETOOBIG;
	}
	return 0;
}

int
note_text_check(const char *text, size_t len)
{
	if (text == NULL || len == 0 || text[len - 1] != '\n')
		return PT_EMALFORMED;
	if (len > PT_NOTE_MAX_TEXT)
		return PT_ETOOBIG;
	return text_scan(text, len, PT_NOTE_MAX_LINE);
}

int
note_name_check(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0;
	uint32_t c;

	if (name == NULL || len == 0)
		return PT_EMALFORMED;
	if (len > PT_MAX_KEY_NAME)
		return PT_ETOOBIG;
	while (i < len) {
		if (utf8_next(s, len, &i, &c) != 0)
			return PT_EMALFORMED;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '+' ||
		    is_unicode_space(c))
			return PT_EMALFORMED;
	}
	return 0;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* SHA-256(name || "\n" || alg || pub)[:4] over publen bytes of key. */
static int
key_hash(const char *name, uint8_t alg, const uint8_t *pub, size_t publen,
    uint32_t *out)
{
	uint8_t a[2] = { '\n', 0 }, h[CR_SHA256_SIZE];
	int rc;

	if (name == NULL || pub == NULL || out == NULL)
		return PT_EINVAL;
	a[1] = alg;
	if ((rc = cr_sha256(name, strlen(name), a, sizeof(a), pub, publen,
	    h)) != 0)
		return rc;
	*out = get_be32(h);
	return 0;
}

int
note_key_hash(const char *name, uint8_t alg, const uint8_t pub[32],
    uint32_t *out)
{
	return key_hash(name, alg, pub, 32, out);
}

/* Types a verifier key may have. */
static int
alg_known(uint8_t alg)
{
	return alg == NOTE_ALG_ED25519 || alg == NOTE_ALG_COSIG_V1 ||
	    alg == NOTE_ALG_COSIG_MLDSA44;
}

/* Types we hold private keys of, sign and verify with. */
static int
alg_signable(uint8_t alg)
{
	return alg == NOTE_ALG_ED25519 || alg == NOTE_ALG_COSIG_V1;
}

int
note_alg_verifiable(uint8_t alg)
{
	/* ML-DSA-44 (FIPS 204) arrived in OpenSSL 3.5; Debian 12 ships 3.0,
	 * and crypto.c wraps only what every supported OpenSSL has. */
	return alg_signable(alg);
}

const char *
note_alg_name(uint8_t alg)
{
	switch (alg) {
	case NOTE_ALG_ED25519:
		return "Ed25519";
	case NOTE_ALG_COSIG_V1:
		return "Ed25519 cosignature";
	case NOTE_ALG_COSIG_MLDSA44:
		return "ML-DSA-44 cosignature";
	}
	return "unknown";
}

/* Length of the key material after the type byte in a key string. */
static size_t
key_len(uint8_t alg)
{
	return alg == NOTE_ALG_COSIG_MLDSA44 ? NOTE_MLDSA44_PUB : 32;
}

int
note_keygen(const char *name, uint8_t alg, struct note_skey *out)
{
	size_t nlen;
	int rc;

	if (name == NULL || out == NULL || !alg_signable(alg))
		return PT_EINVAL;
	nlen = strnlen(name, PT_MAX_KEY_NAME + 1);
	if ((rc = note_name_check(name, nlen)) != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	memcpy(out->vk.name, name, nlen);
	out->vk.alg = alg;
	if ((rc = cr_ed25519_keygen(out->seed, out->vk.pub)) != 0 ||
	    (rc = note_key_hash(out->vk.name, alg, out->vk.pub,
	    &out->vk.hash)) != 0) {
		note_skey_wipe(out);
		return rc;
	}
	return 0;
}

void
note_skey_wipe(struct note_skey *k)
{
	if (k != NULL)
		cr_wipe(k, sizeof(*k));
}

/*
 * Parse "<name>+<hash hex8>+<base64 key>" (s not NUL-terminated): fills
 * name, hash and the decoded key bytes (alg || key material: 32 bytes, or
 * NOTE_MLDSA44_PUB for type 0x06) into key (cap bytes), their count in
 * *klen.  Hex must be lower-case, base64 canonical.
 */
static int
keystr_split(const char *s, size_t len, char name[PT_MAX_KEY_NAME + 1],
    uint32_t *hash, uint8_t *key, size_t cap, size_t *klen)
{
	const char *plus, *h, *b;
	uint8_t hb[4];
	size_t nlen, blen;
	int rc;

	plus = memchr(s, '+', len);
	if (plus == NULL)
		return PT_EMALFORMED;
	nlen = (size_t)(plus - s);
	if ((rc = note_name_check(s, nlen)) != 0)
		return rc;
	h = plus + 1;
	if ((size_t)(s + len - h) < 9 || h[8] != '+')
		return PT_EMALFORMED;
	for (int i = 0; i < 8; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' &&
		    h[i] <= 'f')))
			return PT_EMALFORMED;
	if (cr_hex_decode(h, 8, hb, 4) != 0)
		return PT_EMALFORMED;
	b = h + 9;
	blen = (size_t)(s + len - b);
	if (blen < 4 || blen / 4 * 3 > cap)
		return PT_EMALFORMED;
	rc = cr_b64_decode(b, blen, key, cap, klen);
	if (rc != 0 || *klen < 1 || !alg_known(key[0]) ||
	    *klen != 1 + key_len(key[0])) {
		cr_wipe(key, cap);
		return PT_EMALFORMED;
	}
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	*hash = get_be32(hb);
	return 0;
}

int
note_vkey_parse(const char *s, size_t len, struct note_vkey *out)
{
	struct note_vkey k;
	uint8_t key[1 + NOTE_MLDSA44_PUB + 2];	/* + base64 slack */
	size_t klen;
	uint32_t want;
	int rc;

	if (s == NULL || out == NULL)
		return PT_EINVAL;
	if (len > PT_MAX_VKEY_MLDSA)
		return PT_ETOOBIG;
	memset(&k, 0, sizeof(k));
	if ((rc = keystr_split(s, len, k.name, &k.hash, key, sizeof(key),
	    &klen)) != 0)
		return rc;
	if (key[0] != NOTE_ALG_COSIG_MLDSA44 && len > PT_MAX_VKEY)
		return PT_ETOOBIG;
	k.alg = key[0];
	if ((rc = key_hash(k.name, k.alg, key + 1, klen - 1, &want)) != 0)
		return rc;
	if (want != k.hash)
		return PT_EMALFORMED;
	if (k.alg == NOTE_ALG_COSIG_MLDSA44) {
		if ((rc = cr_sha256(key + 1, klen - 1, NULL, 0, NULL, 0,
		    k.pub)) != 0)
			return rc;
	} else
		memcpy(k.pub, key + 1, 32);
	*out = k;
	return 0;
}

/* Append "<name>+<hash>+<base64(alg || key)>" at out[*pos]. */
static int
keystr_format(const char *name, uint32_t hash, uint8_t alg,
    const uint8_t key[32], char *out, size_t cap, size_t *pos)
{
	uint8_t raw[33];
	size_t nlen = strlen(name);
	int n;

	if (cap - *pos < nlen + 1 + 8 + 1 + 44 + 1)
		return PT_ETOOBIG;
	memcpy(out + *pos, name, nlen);
	*pos += nlen;
	n = snprintf(out + *pos, cap - *pos, "+%08" PRIx32 "+", hash);
	if (n != 10)
		return PT_ETOOBIG;
	*pos += 10;
	raw[0] = alg;
	memcpy(raw + 1, key, 32);
	n = cr_b64_encode(raw, sizeof(raw), out + *pos, cap - *pos);
	cr_wipe(raw, sizeof(raw));
	if (n < 0)
		return n;
	*pos += (size_t)n;
	return 0;
}

int
note_vkey_format(const struct note_vkey *k, char *out, size_t cap)
{
	size_t pos = 0;
	int rc;

	if (k == NULL || out == NULL || cap == 0 || !alg_signable(k->alg) ||
	    note_name_check(k->name, strnlen(k->name, sizeof(k->name))) != 0)
		return PT_EINVAL;
	if ((rc = keystr_format(k->name, k->hash, k->alg, k->pub, out, cap,
	    &pos)) != 0) {
		out[0] = '\0';
		return rc;
	}
	return 0;
}

int
note_skey_parse(const char *s, size_t len, struct note_skey *out)
{
	struct note_skey k;
	uint8_t key[1 + NOTE_MLDSA44_PUB + 2];	/* + base64 slack */
	size_t klen = 0;
	uint32_t want;
	int rc;

	if (s == NULL || out == NULL)
		return PT_EINVAL;
	if (len > PT_MAX_VKEY + SKEY_PREFIX_LEN)
		return PT_ETOOBIG;
	if (len < SKEY_PREFIX_LEN || memcmp(s, SKEY_PREFIX,
	    SKEY_PREFIX_LEN) != 0)
		return PT_EMALFORMED;
	memset(&k, 0, sizeof(k));
	memset(key, 0, sizeof(key));
	rc = keystr_split(s + SKEY_PREFIX_LEN, len - SKEY_PREFIX_LEN,
	    k.vk.name, &k.vk.hash, key, sizeof(key), &klen);
	if (rc != 0)
		goto out;
	rc = PT_EMALFORMED;
	if (!alg_signable(key[0]))
		goto out;
	k.vk.alg = key[0];
	memcpy(k.seed, key + 1, 32);
	if ((rc = cr_ed25519_public(k.seed, k.vk.pub)) != 0 ||
	    (rc = note_key_hash(k.vk.name, k.vk.alg, k.vk.pub, &want)) != 0)
		goto out;
	if (want != k.vk.hash) {
		rc = PT_EMALFORMED;
		goto out;
	}
	*out = k;
	rc = 0;
out:
	cr_wipe(key, sizeof(key));
	note_skey_wipe(&k);
	return rc;
}

int
note_skey_format(const struct note_skey *k, char *out, size_t cap)
{
	size_t pos = SKEY_PREFIX_LEN;
	int rc;

	if (k == NULL || out == NULL || cap == 0 || !alg_signable(k->vk.alg) ||
	    note_name_check(k->vk.name, strnlen(k->vk.name,
	    sizeof(k->vk.name))) != 0)
		return PT_EINVAL;
	if (cap <= SKEY_PREFIX_LEN) {
		out[0] = '\0';
		return PT_ETOOBIG;
	}
	memcpy(out, SKEY_PREFIX, SKEY_PREFIX_LEN);
	if ((rc = keystr_format(k->vk.name, k->vk.hash, k->vk.alg, k->seed,
	    out, cap, &pos)) != 0) {
		cr_wipe(out, cap);
		out[0] = '\0';
		return rc;
	}
	return 0;
}

/* Parse one signature line (without its "\n") into sig. */
static int
sig_line_parse(const char *line, size_t len, struct note_sig *sig)
{
	uint8_t raw[PT_NOTE_MAX_SIG_LINE / 4 * 3];
	const char *sp, *b64;
	size_t nlen, blen, rawlen;
	int rc;

	if (len < EMDASH_SP_LEN || memcmp(line, EMDASH_SP, EMDASH_SP_LEN) != 0)
		return PT_EMALFORMED;
	line += EMDASH_SP_LEN;
	len -= EMDASH_SP_LEN;
	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return PT_EMALFORMED;
	nlen = (size_t)(sp - line);
	if ((rc = note_name_check(line, nlen)) != 0)
		return rc == PT_ETOOBIG ? PT_ETOOBIG : PT_EMALFORMED;
	b64 = sp + 1;
	blen = len - nlen - 1;
	/* Extra spaces anywhere make the base64 invalid. */
	if (blen == 0 || cr_b64_decode(b64, blen, raw, sizeof(raw),
	    &rawlen) != 0)
		return PT_EMALFORMED;
	if (rawlen < 5)
		return PT_EMALFORMED;
	memset(sig, 0, sizeof(*sig));
	memcpy(sig->name, line, nlen);
	sig->name[nlen] = '\0';
	sig->hash = get_be32(raw);
	sig->sig_len = rawlen - 4;
	memcpy(sig->sig, raw + 4, sig->sig_len < NOTE_SIG_MAX ? sig->sig_len :
	    NOTE_SIG_MAX);
	return 0;
}

int
note_parse(const char *buf, size_t len, struct note *out)
{
	size_t split, pos, i;
	int found = 0, rc;

	if (buf == NULL || out == NULL)
		return PT_EINVAL;
	out->text = NULL;
	out->text_len = 0;
	out->nsigs = 0;
	if (len > PT_NOTE_MAX)
		return PT_ETOOBIG;
	/* The whole note: UTF-8, no control characters but newline, no line
	 * longer than a signature line may be. */
	if ((rc = text_scan(buf, len, PT_NOTE_MAX_SIG_LINE - 1)) != 0)
		return rc;
	if (len == 0 || buf[len - 1] != '\n')
		return PT_EMALFORMED;
	/* The text ends at the last empty line. */
	for (i = len; i-- > 0;) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] == '\n')) {
			found = 1;
			break;
		}
	}
	if (!found)
		return PT_EMALFORMED;	/* no blank line */
	split = i;
	if (split == 0)
		return PT_EMALFORMED;	/* empty text */
	if (split + 1 == len)
		return PT_EMALFORMED;	/* no signature lines */
	/* The text keeps its own, stricter limits. */
	if ((rc = note_text_check(buf, split)) != 0)
		return rc;
	out->text = buf;
	out->text_len = split;
	out->nsigs = 0;
	for (pos = split + 1; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen = (size_t)(nl - (buf + pos));
		struct note_sig *s;

		if (out->nsigs == PT_NOTE_MAX_SIGS) {
			rc = PT_ETOOBIG;
			goto fail;
		}
		s = &out->sigs[out->nsigs];
		if ((rc = sig_line_parse(buf + pos, llen, s)) != 0)
			goto fail;
		s->line = buf + pos;
		s->line_len = llen + 1;
		out->nsigs++;
		pos += llen + 1;
	}
	return 0;
fail:
	out->text = NULL;
	out->text_len = 0;
	out->nsigs = 0;
	return rc;
}

/* Build "cosignature/v1\ntime <ts>\n" || checkpoint in a new buffer. */
static int
cosig_message(uint64_t ts, const char *ckpt, size_t len, uint8_t **msg,
    size_t *msglen)
{
	char hdr[64];
	int n;

	n = snprintf(hdr, sizeof(hdr), COSIG_HDR "%" PRIu64 "\n", ts);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return PT_EINVAL;
	if ((*msg = malloc((size_t)n + len)) == NULL)
		return PT_ENOMEM;
	memcpy(*msg, hdr, (size_t)n);
	memcpy(*msg + n, ckpt, len);
	*msglen = (size_t)n + len;
	return 0;
}

int
note_cosign_v1(const struct note_skey *k, const char *checkpoint,
    size_t len, uint64_t timestamp, uint8_t sig[72])
{
	uint8_t *msg;
	size_t mlen;
	int rc;

	if (k == NULL || checkpoint == NULL || sig == NULL ||
	    k->vk.alg != NOTE_ALG_COSIG_V1 || timestamp > TS_MAX)
		return PT_EINVAL;
	if ((rc = ckpt_check(checkpoint, len)) != 0)
		return rc;
	if ((rc = cosig_message(timestamp, checkpoint, len, &msg,
	    &mlen)) != 0)
		return rc;
	for (int i = 0; i < 8; i++)
		sig[i] = (uint8_t)(timestamp >> (56 - 8 * i));
	rc = cr_ed25519_sign(k->seed, msg, mlen, sig + 8);
	free(msg);
	return rc;
}

int
note_cosig_verify_v1(const struct note_vkey *k, const char *checkpoint,
    size_t len, const uint8_t *sig, size_t sig_len, uint64_t *timestamp)
{
	uint8_t *msg;
	size_t mlen;
	uint64_t ts = 0;
	int rc;

	if (k == NULL || checkpoint == NULL || sig == NULL ||
	    k->alg != NOTE_ALG_COSIG_V1)
		return PT_EINVAL;
	if (sig_len != 8 + CR_ED25519_SIG)
		return PT_ESIG;
	for (int i = 0; i < 8; i++)
		ts = ts << 8 | sig[i];
	if (ts > TS_MAX)
		return PT_ESIG;
	if ((rc = ckpt_check(checkpoint, len)) != 0)
		return rc;
	if ((rc = cosig_message(ts, checkpoint, len, &msg, &mlen)) != 0)
		return rc;
	rc = cr_ed25519_verify(k->pub, msg, mlen, sig + 8);
	free(msg);
	if (rc != 0)
		return PT_ESIG;
	if (timestamp != NULL)
		*timestamp = ts;
	return 0;
}

int
note_verify(const struct note *n, const struct note_vkey *keys,
    size_t nkeys, uint64_t *verified)
{
	uint64_t mask = 0;
	size_t good = 0, i, j;
	int rc;

	if (n == NULL || (keys == NULL && nkeys > 0) || n->text == NULL ||
	    n->nsigs > PT_NOTE_MAX_SIGS)
		return PT_EINVAL;
	for (i = 0; i < nkeys; i++) {
		if (!alg_known(keys[i].alg))
			return PT_EINVAL;
		for (j = i + 1; j < nkeys; j++)
			if (keys[i].hash == keys[j].hash &&
			    strcmp(keys[i].name, keys[j].name) == 0)
				return PT_EINVAL;	/* ambiguous */
	}
	for (i = 0; i < n->nsigs; i++) {
		const struct note_sig *s = &n->sigs[i];

		for (j = 0; j < nkeys; j++)
			if (keys[j].hash == s->hash &&
			    strcmp(keys[j].name, s->name) == 0)
				break;
		if (j == nkeys || !note_alg_verifiable(keys[j].alg))
			continue;	/* unknown key: ignored */
		if (j < 64 && (mask >> j) & 1)
			return PT_EMALFORMED;	/* two lines by one key */
		if (keys[j].alg == NOTE_ALG_ED25519) {
			if (s->sig_len != CR_ED25519_SIG)
				return PT_ESIG;
			rc = cr_ed25519_verify(keys[j].pub, n->text,
			    n->text_len, s->sig);
		} else {
			if (s->sig_len > NOTE_SIG_MAX)
				return PT_ESIG;
			rc = note_cosig_verify_v1(&keys[j], n->text,
			    n->text_len, s->sig, s->sig_len, NULL);
		}
		if (rc != 0)
			return rc;	/* a known key's signature fails */
		if (j < 64)
			mask |= UINT64_C(1) << j;
		good++;
	}
	if (good == 0)
		return PT_EUNKNOWNSIGNER;
	if (verified != NULL)
		*verified = mask;
	return 0;
}

int
note_keep_lines(const struct note *n, const struct note_vkey *keys,
    size_t nkeys, char *out, size_t cap, size_t *outlen)
{
	size_t pos, i, j, kept = 0;

	if (n == NULL || n->text == NULL || (keys == NULL && nkeys > 0) ||
	    out == NULL || cap == 0)
		return PT_EINVAL;
	out[0] = '\0';
	if (n->text_len + 2 > cap)
		return PT_ETOOBIG;
	memcpy(out, n->text, n->text_len);
	pos = n->text_len;
	out[pos++] = '\n';
	for (i = 0; i < n->nsigs; i++) {
		const struct note_sig *s = &n->sigs[i];

		for (j = 0; j < nkeys; j++)
			if (keys[j].hash == s->hash &&
			    strcmp(keys[j].name, s->name) == 0)
				break;
		if (j == nkeys)
			continue;
		if (cap - pos <= s->line_len) {
			out[0] = '\0';
			return PT_ETOOBIG;
		}
		memcpy(out + pos, s->line, s->line_len);
		pos += s->line_len;
		kept++;
	}
	if (kept == 0) {
		out[0] = '\0';
		return PT_EUNKNOWNSIGNER;
	}
	out[pos] = '\0';
	if (outlen != NULL)
		*outlen = pos;
	return 0;
}

/* Append one signature line at out[*pos], keeping out NUL-terminated. */
static int
sig_line_append(char *out, size_t cap, size_t *pos, const char *name,
    uint32_t hash, const uint8_t *sig, size_t siglen)
{
	uint8_t raw[4 + NOTE_SIG_MAX];
	size_t nlen = strlen(name), need;
	int n;

	if (siglen > NOTE_SIG_MAX)
		return PT_EINVAL;
	need = EMDASH_SP_LEN + nlen + 1 + cr_b64_enclen(4 + siglen) + 1;
	if (*pos >= cap || cap - *pos < need + 1)
		return PT_ETOOBIG;
	put_be32(raw, hash);
	memcpy(raw + 4, sig, siglen);
	memcpy(out + *pos, EMDASH_SP, EMDASH_SP_LEN);
	memcpy(out + *pos + EMDASH_SP_LEN, name, nlen);
	out[*pos + EMDASH_SP_LEN + nlen] = ' ';
	n = cr_b64_encode(raw, 4 + siglen, out + *pos + EMDASH_SP_LEN + nlen +
	    1, cap - *pos - EMDASH_SP_LEN - nlen - 1);
	if (n < 0)
		return n;
	*pos += need;
	out[*pos - 1] = '\n';
	out[*pos] = '\0';
	return 0;
}

static int
skey_valid(const struct note_skey *k)
{
	return alg_signable(k->vk.alg) && note_name_check(k->vk.name,
	    strnlen(k->vk.name, sizeof(k->vk.name))) == 0;
}

int
note_sign_line(const struct note_skey *k, const char *text, size_t len,
    char *out, size_t cap)
{
	uint8_t sig[CR_ED25519_SIG];
	size_t pos;
	int rc;

	if (k == NULL || text == NULL || out == NULL || cap == 0 ||
	    k->vk.alg != NOTE_ALG_ED25519 || !skey_valid(k))
		return PT_EINVAL;
	pos = strnlen(out, cap);
	if (pos == cap)
		return PT_EINVAL;	/* out is not a string */
	if ((rc = note_text_check(text, len)) != 0)
		return rc;
	if ((rc = cr_ed25519_sign(k->seed, text, len, sig)) != 0)
		return rc;
	return sig_line_append(out, cap, &pos, k->vk.name, k->vk.hash, sig,
	    sizeof(sig));
}

int
note_sign(const char *text, size_t len, const struct note_skey *keys,
    size_t nkeys, uint64_t timestamp, char *out, size_t cap, size_t *outlen)
{
	uint8_t sig[NOTE_SIG_MAX];
	size_t pos, i, j, siglen;
	int rc;

	if (text == NULL || keys == NULL || out == NULL || cap == 0 ||
	    nkeys == 0)
		return PT_EINVAL;
	out[0] = '\0';
	if (nkeys > PT_NOTE_MAX_SIGS)
		return PT_ETOOBIG;
	for (i = 0; i < nkeys; i++) {
		if (!skey_valid(&keys[i]))
			return PT_EINVAL;
		for (j = i + 1; j < nkeys; j++)
			if (keys[i].vk.hash == keys[j].vk.hash &&
			    strcmp(keys[i].vk.name, keys[j].vk.name) == 0)
				return PT_EINVAL;
	}
	if ((rc = note_text_check(text, len)) != 0)
		return rc;
	if (len + 2 > cap)
		return PT_ETOOBIG;
	memcpy(out, text, len);
	out[len] = '\n';
	pos = len + 1;
	out[pos] = '\0';
	for (i = 0; i < nkeys; i++) {
		if (keys[i].vk.alg == NOTE_ALG_ED25519) {
			rc = cr_ed25519_sign(keys[i].seed, text, len, sig);
			siglen = CR_ED25519_SIG;
		} else {
			rc = note_cosign_v1(&keys[i], text, len, timestamp, sig);
			siglen = 8 + CR_ED25519_SIG;
		}
		if (rc != 0 || (rc = sig_line_append(out, cap, &pos,
		    keys[i].vk.name, keys[i].vk.hash, sig, siglen)) != 0) {
			out[0] = '\0';
			return rc;
		}
	}
	if (pos > PT_NOTE_MAX) {
		out[0] = '\0';
		return PT_ETOOBIG;
	}
	if (outlen != NULL)
		*outlen = pos;
	return 0;
}
