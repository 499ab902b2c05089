/*
 * tproof.c: C2SP tlog-proof v1 text format.  See tproof.h and
 * docs/PROTOCOL.md section 3.  Pure: no I/O, no allocation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "num.h"
#include "pt.h"
#include "tproof.h"

#define TP_MAGIC	"c2sp.org/tlog-proof@v1"
#define TP_MAGIC_LEN	22
#define TP_INDEX_MAX	(UINT64_C(0x7fffffffffffffff) - 1)
#define HASH_B64_LEN	44
/* Longest extra data whose "extra <base64>" line fits PT_NOTE_MAX_LINE. */
#define EXTRA_MAX	((PT_NOTE_MAX_LINE - 6) / 4 * 3)

/* Next line of buf[*pos..len) without its "\n": PT_EMALFORMED when there is
 * no "\n" left, PT_ETOOBIG when the line is too long. */
static int
next_line(const char *buf, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return PT_EMALFORMED;
	nl = memchr(buf + *pos, '\n', len - *pos);
	if (nl == NULL)
		return PT_EMALFORMED;
	*line = buf + *pos;
	*llen = (size_t)(nl - *line);
	if (*llen > PT_NOTE_MAX_LINE)
		return PT_ETOOBIG;
	*pos += *llen + 1;
	return 0;
}

int
tproof_parse(const char *buf, size_t len, struct tproof *out)
{
	struct note n;
	const char *line;
	size_t pos = 0, llen, dlen;
	uint8_t h[MT_HASH_SIZE + 2];
	int rc;

	if (buf == NULL || out == NULL)
		return PT_EINVAL;
	memset(out, 0, sizeof(*out));
	if ((rc = next_line(buf, len, &pos, &line, &llen)) != 0)
		goto fail;
	if (llen != TP_MAGIC_LEN || memcmp(line, TP_MAGIC, TP_MAGIC_LEN) != 0) {
		rc = PT_EMALFORMED;
		goto fail;
	}
	if ((rc = next_line(buf, len, &pos, &line, &llen)) != 0)
		goto fail;
	if (llen >= 6 && memcmp(line, "extra ", 6) == 0) {
		/* Non-empty canonical base64; absent data means no line. */
		if (llen == 6 || cr_b64_decode(line + 6, llen - 6, out->extra,
		    sizeof(out->extra), &dlen) != 0 || dlen == 0) {
			rc = PT_EMALFORMED;
			goto fail;
		}
		out->extra_len = dlen;
		if ((rc = next_line(buf, len, &pos, &line, &llen)) != 0)
			goto fail;
	}
	if (llen < 6 || memcmp(line, "index ", 6) != 0) {
		rc = PT_EMALFORMED;
		goto fail;
	}
	if ((rc = num_parse_u64(line + 6, llen - 6, 0, TP_INDEX_MAX,
	    &out->index)) != 0)
		goto fail;
	for (;;) {
		if ((rc = next_line(buf, len, &pos, &line, &llen)) != 0)
			goto fail;
		if (llen == 0)
			break;
		if (out->n == PT_MAX_PROOF) {
			rc = PT_ETOOBIG;
			goto fail;
		}
		if (llen != HASH_B64_LEN || cr_b64_decode(line, llen, h,
		    sizeof(h), &dlen) != 0 || dlen != MT_HASH_SIZE) {
			rc = PT_EMALFORMED;
			goto fail;
		}
		memcpy(out->proof[out->n].b, h, MT_HASH_SIZE);
		out->n++;
	}
	/* The rest is the signed checkpoint, verbatim. */
	if ((rc = note_parse(buf + pos, len - pos, &n)) != 0 ||
	    (rc = ckpt_check(n.text, n.text_len)) != 0)
		goto fail;
	out->note = buf + pos;
	out->note_len = len - pos;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

/* Append s (len bytes) at out[*pos], keeping room for the NUL. */
static int
put(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
	if (cap - *pos < len + 1)
		return PT_ETOOBIG;
	memcpy(out + *pos, s, len);
	*pos += len;
	out[*pos] = '\0';
	return 0;
}

int
tproof_format(const struct tproof *p, char *out, size_t cap, size_t *outlen)
{
	struct note n;
	char b64[PT_NOTE_MAX_LINE + 1], num[32];
	size_t pos = 0;
	int k, rc;

	if (p == NULL || out == NULL || cap == 0 || p->note == NULL)
		return PT_EINVAL;
	out[0] = '\0';
	if (p->n > PT_MAX_PROOF)
		return PT_ETOOBIG;
	if (p->extra_len > EXTRA_MAX || p->index > TP_INDEX_MAX)
		return PT_EINVAL;
	if (!p->note_checked &&
	    ((rc = note_parse(p->note, p->note_len, &n)) != 0 ||
	    (rc = ckpt_check(n.text, n.text_len)) != 0))
		return rc;
	if ((rc = put(out, cap, &pos, TP_MAGIC "\n", TP_MAGIC_LEN + 1)) != 0)
		goto fail;
	if (p->extra_len > 0) {
		k = cr_b64_encode(p->extra, p->extra_len, b64, sizeof(b64));
		if (k < 0) {
			rc = PT_EINVAL;
			goto fail;
		}
		if ((rc = put(out, cap, &pos, "extra ", 6)) != 0 ||
		    (rc = put(out, cap, &pos, b64, (size_t)k)) != 0 ||
		    (rc = put(out, cap, &pos, "\n", 1)) != 0)
			goto fail;
	}
	k = snprintf(num, sizeof(num), "index %" PRIu64 "\n", p->index);
	if ((rc = put(out, cap, &pos, num, (size_t)k)) != 0)
		goto fail;
	for (size_t i = 0; i < p->n; i++) {
		k = cr_b64_encode(p->proof[i].b, MT_HASH_SIZE, b64, sizeof(b64));
		if ((rc = put(out, cap, &pos, b64, (size_t)k)) != 0 ||
		    (rc = put(out, cap, &pos, "\n", 1)) != 0)
			goto fail;
	}
	if ((rc = put(out, cap, &pos, "\n", 1)) != 0 ||
	    (rc = put(out, cap, &pos, p->note, p->note_len)) != 0)
		goto fail;
	if (outlen != NULL)
		*outlen = pos;
	return 0;
fail:
	out[0] = '\0';
	return rc;
}

int
tproof_verify(const struct tproof *p, const struct mt_hash *leaf,
    const struct note_vkey *log_key, struct ckpt *out)
{
	struct ckpt c;
	int rc;

	if (p == NULL || leaf == NULL || log_key == NULL || p->note == NULL ||
	    p->n > PT_MAX_PROOF)
		return PT_EINVAL;
	if ((rc = ckpt_open(p->note, p->note_len, log_key, &c)) != 0)
		return rc;
	if (p->index >= c.size)
		return PT_ERANGE;
	if ((rc = mt_verify_inclusion(leaf, p->index, c.size, p->proof, p->n,
	    &c.root)) != 0)
		return rc;
	if (out != NULL)
		*out = c;
	return 0;
}
