/*
 * witreq.c: tlog-witness add-checkpoint bodies (see witreq.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "num.h"
#include "witreq.h"

int
witreq_parse(const char *buf, size_t len, struct witreq *out,
    struct pt_why *why)
{
	const char *s = buf, *end = buf + len, *nl;
	size_t n, got;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > PT_WITREQ_MAX_BODY)
		return pt_why_set(why, PT_ETOOBIG, "body over %d bytes",
		    PT_WITREQ_MAX_BODY);
	if ((nl = memchr(s, '\n', len)) == NULL || nl - s < 5 ||
	    memcmp(s, "old ", 4) != 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "first line must be \"old <size>\"");
	if ((rc = num_parse_u64(s + 4, (size_t)(nl - s - 4), 0,
	    (1ULL << 63) - 1, &out->old)) != 0)
		return pt_why_set(why, PT_EMALFORMED, "bad old size");
	for (s = nl + 1;; s = nl + 1) {
		if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) ==
		    NULL)
			return pt_why_set(why, PT_EMALFORMED,
			    "no empty line before the checkpoint");
		n = (size_t)(nl - s);
		if (n == 0)
			break;
		if (out->nproof == PT_WITREQ_MAX_PROOF)
			return pt_why_set(why, PT_ETOOBIG,
			    "more than %d proof lines", PT_WITREQ_MAX_PROOF);
		if (n != 44 || cr_b64_decode(s, n,
		    out->proof[out->nproof].b, MT_HASH_SIZE, &got) != 0 ||
		    got != MT_HASH_SIZE)
			return pt_why_set(why, PT_EMALFORMED,
			    "proof line %zu: not base64 of 32 bytes",
			    out->nproof + 1);
		out->nproof++;
	}
	out->note = nl + 1;
	out->note_len = (size_t)(end - out->note);
	if (out->note_len == 0)
		return pt_why_set(why, PT_EMALFORMED, "no checkpoint");
	return 0;
}

int
witreq_format(uint64_t old, const struct mt_hash *proof, size_t nproof,
    const char *note, size_t note_len, char *out, size_t cap,
    size_t *outlen)
{
	size_t n, i;
	int k;

	if (cap > 0)
		out[0] = '\0';
	if (nproof > PT_WITREQ_MAX_PROOF || (old == 0 && nproof > 0) ||
	    note_len == 0)
		return PT_EINVAL;
	k = snprintf(out, cap, "old %" PRIu64 "\n", old);
	if (k < 0 || (size_t)k >= cap)
		return PT_ETOOBIG;
	n = (size_t)k;
	for (i = 0; i < nproof; i++) {
		if (cap - n < 46)
			goto toobig;
		if (cr_b64_encode(proof[i].b, MT_HASH_SIZE, out + n,
		    cap - n) < 0)
			goto toobig;
		n += 44;
		out[n++] = '\n';
	}
	if (cap - n < note_len + 2 || n + 1 + note_len > PT_WITREQ_MAX_BODY)
		goto toobig;
	out[n++] = '\n';
	memcpy(out + n, note, note_len);
	n += note_len;
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return 0;
toobig:
	if (cap > 0)
		out[0] = '\0';
	return PT_ETOOBIG;
}

int
witreq_size_parse(const char *buf, size_t len, uint64_t *size)
{
	if (len < 2 || buf[len - 1] != '\n')
		return PT_EMALFORMED;
	if (num_parse_u64(buf, len - 1, 0, (1ULL << 63) - 1, size) != 0)
		return PT_EMALFORMED;
	return 0;
}

int
witreq_size_format(uint64_t size, char *out, size_t cap, size_t *outlen)
{
	int k = snprintf(out, cap, "%" PRIu64 "\n", size);

	if (k < 0 || (size_t)k >= cap)
		return PT_ETOOBIG;
	if (outlen != NULL)
		*outlen = (size_t)k;
	return 0;
}

int
witreq_resp_check(const char *body, size_t len, const char *text,
    size_t text_len, const struct note_vkey *wkey, char *line, size_t cap,
    uint64_t *ts)
{
	struct note *n;
	char *buf;
	uint8_t raw[4 + NOTE_SIG_MAX];
	size_t i, found = 0, at = 0, k;
	int rc;

	if (cap > 0)
		line[0] = '\0';
	if (wkey == NULL || wkey->alg != NOTE_ALG_COSIG_V1)
		return PT_EINVAL;
	if (len == 0)
		return PT_EMALFORMED;
	if (len > PT_WITRESP_MAX_BODY || text_len + 1 + len > PT_NOTE_MAX)
		return PT_ETOOBIG;
	/* Parse the lines as the signatures of a note over text. */
	if ((buf = malloc(text_len + 1 + len)) == NULL)
		return PT_ENOMEM;
	if ((n = malloc(sizeof(*n))) == NULL) {
		free(buf);
		return PT_ENOMEM;
	}
	memcpy(buf, text, text_len);
	buf[text_len] = '\n';
	memcpy(buf + text_len + 1, body, len);
	if ((rc = note_parse(buf, text_len + 1 + len, n)) != 0 ||
	    n->text_len != text_len) {
		rc = rc == PT_ETOOBIG ? rc : PT_EMALFORMED;
		goto out;
	}
	for (i = 0; i < n->nsigs; i++)
		if (n->sigs[i].hash == wkey->hash &&
		    strcmp(n->sigs[i].name, wkey->name) == 0) {
			found++;
			at = i;
		}
	if (found == 0) {
		rc = PT_EUNKNOWNSIGNER;
		goto out;
	}
	if (found > 1 || n->sigs[at].sig_len > NOTE_SIG_MAX) {
		rc = PT_ESIG;
		goto out;
	}
	if ((rc = note_cosig_verify_v1(wkey, text, text_len, n->sigs[at].sig,
	    n->sigs[at].sig_len, ts)) != 0)
		goto out;
	raw[0] = (uint8_t)(wkey->hash >> 24);
	raw[1] = (uint8_t)(wkey->hash >> 16);
	raw[2] = (uint8_t)(wkey->hash >> 8);
	raw[3] = (uint8_t)wkey->hash;
	memcpy(raw + 4, n->sigs[at].sig, n->sigs[at].sig_len);
	k = strlen(wkey->name);
	if (cap < 4 + k + 1 + cr_b64_enclen(4 + n->sigs[at].sig_len) + 2) {
		rc = PT_ETOOBIG;
		goto out;
	}
	memcpy(line, "\xe2\x80\x94 ", 4);
	memcpy(line + 4, wkey->name, k);
	line[4 + k] = ' ';
	if (cr_b64_encode(raw, 4 + n->sigs[at].sig_len, line + 5 + k,
	    cap - 5 - k) < 0) {
		rc = PT_ETOOBIG;
		goto out;
	}
	strcat(line, "\n");
	rc = 0;
out:
	if (rc != 0 && cap > 0)
		line[0] = '\0';
	free(n);
	free(buf);
	return rc;
}
