/*
 * ckpt.c: C2SP tlog-checkpoint bodies and signed checkpoints.  See ckpt.h
 * and docs/PROTOCOL.md section 3.  Pure: no I/O, no allocation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "num.h"
#include "pt.h"

#define SIZE_MAX_CKPT	UINT64_C(0x7fffffffffffffff)	/* 2^63 - 1 */
#define ROOT_B64_LEN	44


/* Next line of text[*pos..len) without its "\n"; text ends in "\n". */
static void
next_line(const char *text, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	const char *nl = memchr(text + *pos, '\n', len - *pos);

	*line = text + *pos;
	*llen = (size_t)(nl - *line);
	*pos += *llen + 1;
}

static int
parse(const char *text, size_t len, struct ckpt *out)
{
	const char *line;
	size_t pos = 0, llen, next = 0;
	uint64_t size;
	uint8_t root[MT_HASH_SIZE + 2];
	size_t rlen;
	int rc;

	if (text == NULL)
		return PT_EINVAL;
	if ((rc = note_text_check(text, len)) != 0)
		return rc;
	/* Origin. */
	next_line(text, len, &pos, &line, &llen);
	if (llen == 0 || line[0] == ' ' || line[llen - 1] == ' ')
		return PT_EMALFORMED;
	if (llen > PT_MAX_ORIGIN)
		return PT_ETOOBIG;
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		memcpy(out->origin, line, llen);
		out->origin[llen] = '\0';
	}
	/* Tree size. */
	if (pos == len)
		return PT_EMALFORMED;
	next_line(text, len, &pos, &line, &llen);
	if ((rc = num_parse_u64(line, llen, 0, SIZE_MAX_CKPT, &size)) != 0)
		return rc;
	/* Root hash. */
	if (pos == len)
		return PT_EMALFORMED;
	next_line(text, len, &pos, &line, &llen);
	if (llen != ROOT_B64_LEN || cr_b64_decode(line, llen, root,
	    sizeof(root), &rlen) != 0 || rlen != MT_HASH_SIZE)
		return PT_EMALFORMED;
	if (out != NULL) {
		out->size = size;
		memcpy(out->root.b, root, MT_HASH_SIZE);
	}
	/* Extension lines. */
	while (pos < len) {
		next_line(text, len, &pos, &line, &llen);
		if (llen == 0)
			return PT_EMALFORMED;
		if (next == PT_CKPT_MAX_EXT)
			return PT_ETOOBIG;
		if (out != NULL) {
			/* llen <= PT_NOTE_MAX_LINE: note_text_check. */
			memcpy(out->ext[next], line, llen);
			out->ext[next][llen] = '\0';
		}
		next++;
	}
	if (out != NULL)
		out->next = next;
	return 0;
}

int
ckpt_parse(const char *text, size_t len, struct ckpt *out)
{
	int rc;

	if (out == NULL)
		return PT_EINVAL;
	if ((rc = parse(text, len, out)) != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
ckpt_check(const char *text, size_t len)
{
	return parse(text, len, NULL);
}

/* Append s (len bytes) and "\n" at out[*pos]; keeps room for the NUL. */
static int
put_line(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
	if (cap - *pos < len + 2)
		return PT_ETOOBIG;
	memcpy(out + *pos, s, len);
	out[*pos + len] = '\n';
	*pos += len + 1;
	out[*pos] = '\0';
	return 0;
}

int
ckpt_format(const struct ckpt *c, char *out, size_t cap, size_t *outlen)
{
	char num[24], root[ROOT_B64_LEN + 1];
	size_t pos = 0, i;
	int n, rc;

	if (c == NULL || out == NULL || cap == 0)
		return PT_EINVAL;
	out[0] = '\0';
	if (c->next > PT_CKPT_MAX_EXT ||
	    memchr(c->origin, '\0', sizeof(c->origin)) == NULL)
		return PT_EINVAL;
	for (i = 0; i < c->next; i++)
		if (memchr(c->ext[i], '\0', sizeof(c->ext[i])) == NULL)
			return PT_EINVAL;
	n = snprintf(num, sizeof(num), "%" PRIu64, c->size);
	if (n < 0 || (size_t)n >= sizeof(num))
		return PT_EINVAL;
	if (cr_b64_encode(c->root.b, MT_HASH_SIZE, root, sizeof(root)) < 0)
		return PT_EINVAL;
	if ((rc = put_line(out, cap, &pos, c->origin, strlen(c->origin))) ||
	    (rc = put_line(out, cap, &pos, num, (size_t)n)) ||
	    (rc = put_line(out, cap, &pos, root, ROOT_B64_LEN)))
		goto fail;
	for (i = 0; i < c->next; i++)
		if ((rc = put_line(out, cap, &pos, c->ext[i],
		    strlen(c->ext[i]))) != 0)
			goto fail;
	/* Only emit what ckpt_parse accepts back. */
	if (parse(out, pos, NULL) != 0) {
		rc = PT_EINVAL;
		goto fail;
	}
	if (outlen != NULL)
		*outlen = pos;
	return 0;
fail:
	out[0] = '\0';
	return rc;
}

int
ckpt_open_note(const struct note *n, const struct note_vkey *log_key,
    struct ckpt *out)
{
	size_t olen;
	int rc;

	if (n == NULL || n->text == NULL || log_key == NULL ||
	    log_key->alg != NOTE_ALG_ED25519)
		return PT_EINVAL;
	if ((rc = ckpt_check(n->text, n->text_len)) != 0)
		return rc;
	if ((rc = note_verify(n, log_key, 1, NULL)) != 0)
		return rc;
	/* The origin line must be exactly the log key's name. */
	olen = strnlen(log_key->name, sizeof(log_key->name));
	if (n->text_len <= olen || memcmp(n->text, log_key->name, olen) != 0 ||
	    n->text[olen] != '\n')
		return PT_EORIGIN;
	if (out != NULL && (rc = ckpt_parse(n->text, n->text_len, out)) != 0)
		return rc;
	return 0;
}

int
ckpt_open(const char *note, size_t len, const struct note_vkey *log_key,
    struct ckpt *out)
{
	struct note n;
	int rc;

	if (note == NULL || log_key == NULL || log_key->alg != NOTE_ALG_ED25519)
		return PT_EINVAL;
	if ((rc = note_parse(note, len, &n)) != 0)
		return rc;
	return ckpt_open_note(&n, log_key, out);
}
