/* evidence.c: split-view evidence files (see evidence.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckpt.h"
#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "keys.h"
#include "num.h"
#include "util.h"

#define MAGIC	"pubtrail-evidence/v1\n"

int
evd_format(const struct evd *e, char **out, size_t *outlen)
{
	size_t cap, n = 0, i, cl;
	char *b;
	const char *nl;
	int k;

	*out = NULL;
	if ((e->kind != EVD_SAME_SIZE && e->kind != EVD_INCONSISTENT &&
	    e->kind != EVD_INCLUSION) || e->nproof > PT_MAX_PROOF ||
	    e->npath[0] > PT_MAX_PROOF || e->npath[1] > PT_MAX_PROOF ||
	    e->note_len[0] == 0 ||
	    e->note_len[1] == 0)
		return PT_EINVAL;
	cap = 1024 + 52 * (e->nproof + e->npath[0] + e->npath[1] + 2) +
	    e->note_len[0] + e->note_len[1];
	if (cap > PT_EVIDENCE_MAX)
		return PT_ETOOBIG;
	if ((b = malloc(cap)) == NULL)
		return PT_ENOMEM;
	cl = strnlen(e->check, 500);
	if ((nl = memchr(e->check, '\n', cl)) != NULL)
		cl = (size_t)(nl - e->check);
	k = snprintf(b, cap, MAGIC "kind %s\ncheck %.*s\n",
	    e->kind == EVD_SAME_SIZE ? "same-size" : e->kind ==
	    EVD_INCLUSION ? "inclusion" : "inconsistent", (int)cl,
	    e->check);
	n = (size_t)k;
	if (e->kind == EVD_INCONSISTENT) {
		n += (size_t)snprintf(b + n, cap - n, "old %" PRIu64 "\n",
		    e->old);
		for (i = 0; i < e->nproof; i++) {
			memcpy(b + n, "proof ", 6);
			n += 6;
			cr_b64_encode(e->proof[i].b, 32, b + n, cap - n);
			n += 44;
			b[n++] = '\n';
		}
	}
	if (e->kind == EVD_INCLUSION) {
		size_t j, s;

		n += (size_t)snprintf(b + n, cap - n, "index %" PRIu64 "\n",
		    e->index);
		for (j = 0; j < 2; j++) {
			memcpy(b + n, "leaf ", 5);
			n += 5;
			cr_b64_encode(e->leaf[j].b, 32, b + n, cap - n);
			n += 44;
			b[n++] = '\n';
			for (s = 0; s < e->npath[j]; s++) {
				memcpy(b + n, "path ", 5);
				n += 5;
				cr_b64_encode(e->path[j][s].b, 32, b + n,
				    cap - n);
				n += 44;
				b[n++] = '\n';
			}
		}
	}
	for (i = 0; i < 2; i++) {
		n += (size_t)snprintf(b + n, cap - n, "note %zu\n",
		    e->note_len[i]);
		memcpy(b + n, e->note[i], e->note_len[i]);
		n += e->note_len[i];
	}
	b[n] = '\0';
	*out = b;
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

/* Next "\n"-terminated line at *p (without the "\n"). */
static int
line(const char **p, const char *end, const char **s, size_t *len)
{
	const char *nl;

	if (*p >= end || (nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return PT_EMALFORMED;
	*s = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int
prefixed(const char *s, size_t len, const char *pre, const char **rest,
    size_t *rlen)
{
	size_t n = strlen(pre);

	if (len < n || memcmp(s, pre, n) != 0)
		return 0;
	*rest = s + n;
	*rlen = len - n;
	return 1;
}

int
evd_parse(const char *buf, size_t len, struct evd *e, struct pt_why *why)
{
	const char *p = buf, *end = buf + len, *s, *r;
	size_t n, rn, got, i;
	uint64_t v;

	memset(e, 0, sizeof(*e));
	if (len > PT_EVIDENCE_MAX)
		return pt_why_set(why, PT_ETOOBIG, "file over %d bytes",
		    PT_EVIDENCE_MAX);
	if (len < strlen(MAGIC) || memcmp(buf, MAGIC, strlen(MAGIC)) != 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "not a pubtrail-evidence/v1 file");
	p += strlen(MAGIC);
	if (line(&p, end, &s, &n) != 0 || !prefixed(s, n, "kind ", &r, &rn))
		return pt_why_set(why, PT_EMALFORMED, "no kind line");
	if (rn == 9 && memcmp(r, "same-size", 9) == 0)
		e->kind = EVD_SAME_SIZE;
	else if (rn == 12 && memcmp(r, "inconsistent", 12) == 0)
		e->kind = EVD_INCONSISTENT;
	else if (rn == 9 && memcmp(r, "inclusion", 9) == 0)
		e->kind = EVD_INCLUSION;
	else
		return pt_why_set(why, PT_EMALFORMED, "unknown kind");
	if (line(&p, end, &s, &n) != 0 || !prefixed(s, n, "check ", &r, &rn) ||
	    rn >= sizeof(e->check))
		return pt_why_set(why, PT_EMALFORMED, "no check line");
	memcpy(e->check, r, rn);
	e->check[rn] = '\0';
	if (e->kind == EVD_INCONSISTENT) {
		if (line(&p, end, &s, &n) != 0 ||
		    !prefixed(s, n, "old ", &r, &rn) ||
		    num_parse_u64(r, rn, 0, (1ULL << 63) - 1, &e->old) != 0)
			return pt_why_set(why, PT_EMALFORMED, "no old line");
		while (end - p > 6 && memcmp(p, "proof ", 6) == 0) {
			if (e->nproof == PT_MAX_PROOF)
				return pt_why_set(why, PT_ETOOBIG,
				    "too many proof lines");
			line(&p, end, &s, &n);
			if (n != 50 || cr_b64_decode(s + 6, 44,
			    e->proof[e->nproof].b, 32, &got) != 0 || got != 32)
				return pt_why_set(why, PT_EMALFORMED,
				    "bad proof line");
			e->nproof++;
		}
	}
	if (e->kind == EVD_INCLUSION) {
		if (line(&p, end, &s, &n) != 0 ||
		    !prefixed(s, n, "index ", &r, &rn) ||
		    num_parse_u64(r, rn, 0, (1ULL << 63) - 1, &e->index) != 0)
			return pt_why_set(why, PT_EMALFORMED, "no index line");
		for (i = 0; i < 2; i++) {
			if (line(&p, end, &s, &n) != 0 || n != 49 ||
			    memcmp(s, "leaf ", 5) != 0 || cr_b64_decode(s + 5,
			    44, e->leaf[i].b, 32, &got) != 0 || got != 32)
				return pt_why_set(why, PT_EMALFORMED,
				    "bad leaf line");
			while (end - p > 5 && memcmp(p, "path ", 5) == 0) {
				if (e->npath[i] == PT_MAX_PROOF)
					return pt_why_set(why, PT_ETOOBIG,
					    "too many path lines");
				line(&p, end, &s, &n);
				if (n != 49 || cr_b64_decode(s + 5, 44,
				    e->path[i][e->npath[i]].b, 32, &got) != 0 ||
				    got != 32)
					return pt_why_set(why, PT_EMALFORMED,
					    "bad path line");
				e->npath[i]++;
			}
		}
	}
	for (i = 0; i < 2; i++) {
		if (line(&p, end, &s, &n) != 0 ||
		    !prefixed(s, n, "note ", &r, &rn) ||
		    num_parse_u64(r, rn, 0, PT_NOTE_MAX, &v) != 0 || v == 0 ||
		    v > (uint64_t)(end - p))
			return pt_why_set(why, PT_EMALFORMED,
			    "bad note %zu framing", i + 1);
		e->note[i] = p;
		e->note_len[i] = (size_t)v;
		p += v;
	}
	if (p != end)
		return pt_why_set(why, PT_EMALFORMED,
		    "bytes after the second note");
	return 0;
}

int
evd_check(const struct evd *e, const struct note_vkey *logkey,
    struct pt_why *why)
{
	struct ckpt *c;
	int rc, i;

	if ((c = malloc(2 * sizeof(*c))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	for (i = 0; i < 2; i++)
		if ((rc = ckpt_open(e->note[i], e->note_len[i], logkey,
		    &c[i])) != 0) {
			pt_why_set(why, rc, "note %d is not a checkpoint "
			    "signed by the log key: %s", i + 1,
			    pt_strerror(rc));
			goto out;
		}
	if (strcmp(c[0].origin, c[1].origin) != 0) {
		rc = pt_why_set(why, PT_EORIGIN, "the notes name two origins");
		goto out;
	}
	if (e->kind == EVD_INCLUSION) {
		if (cr_memcmp(e->leaf[0].b, e->leaf[1].b, 32) == 0) {
			rc = pt_why_set(why, PT_EINVAL, "the two leaves are "
			    "the same");
			goto out;
		}
		for (i = 0; i < 2; i++)
			if (mt_verify_inclusion(&e->leaf[i], e->index,
			    c[i].size, e->path[i], e->npath[i],
			    &c[i].root) != 0) {
				rc = pt_why_set(why, PT_EPROOF, "the inclusion "
				    "proof of leaf %" PRIu64 " in note %d "
				    "does not verify", e->index, i + 1);
				goto out;
			}
		rc = 0;
		pt_why_set(why, 0, "the log signed trees of sizes %" PRIu64
		    " and %" PRIu64 " holding different entries at index %"
		    PRIu64, c[0].size, c[1].size, e->index);
		goto out;
	}
	if (c[0].size == c[1].size) {
		if (cr_memcmp(c[0].root.b, c[1].root.b, 32) != 0) {
			rc = 0;
			pt_why_set(why, 0, "the log signed two different trees "
			    "of size %" PRIu64, c[0].size);
		} else
			rc = pt_why_set(why, PT_EINVAL,
			    "the two checkpoints agree (same size and root)");
		goto out;
	}
	if (e->kind == EVD_INCONSISTENT) {
		rc = mt_verify_consistency(c[0].size, c[1].size, &c[0].root,
		    &c[1].root, e->proof, e->nproof);
		if (rc == 0)
			rc = pt_why_set(why, PT_EINVAL, "the recorded proof "
			    "verifies: the checkpoints are consistent");
		else
			rc = pt_why_set(why, PT_ECONFLICT, "sizes %" PRIu64
			    " and %" PRIu64 ": the recorded consistency proof "
			    "fails, which does not prove a split view offline "
			    "(ask the log for a proof between them)",
			    c[0].size, c[1].size);
		goto out;
	}
	rc = pt_why_set(why, PT_EINVAL, "same-size evidence with sizes %"
	    PRIu64 " and %" PRIu64, c[0].size, c[1].size);
out:
	free(c);
	return rc;
}

/* Length of a checkpoint note's text: up to and including the "\n"
 * before the first empty line (a checkpoint body has none). */
static size_t
body_len(const char *n, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (n[i] == '\n' && n[i + 1] == '\n')
			return i + 1;
	return len;
}

int
evd_save(const char *dir, const struct evd *e, char *path, size_t cap,
    struct pt_why *why)
{
	char d[UT_PATH_MAX], p[UT_PATH_MAX + 128], origin[PT_MAX_ORIGIN + 1];
	uint8_t h[32], rnd[4];
	struct ckpt *c;
	uint64_t sz[2] = { 0, 0 };
	char *buf;
	size_t len;
	int rc, i;

	if (strlen(dir) > UT_PATH_MAX - 64 ||
	    snprintf(d, sizeof(d), "%s/evidence", dir) >= (int)sizeof(d))
		return pt_why_set(why, PT_EINVAL, "path too long");
	if ((rc = ut_mkdirs(d, 0755, why)) != 0)
		return rc;
	origin[0] = '\0';
	if ((c = malloc(sizeof(*c))) == NULL)
		return PT_ENOMEM;
	for (i = 0; i < 2; i++)
		if (ckpt_parse(e->note[i], body_len(e->note[i],
		    e->note_len[i]), c) == 0) {
			sz[i] = c->size;
			memcpy(origin, c->origin, sizeof(origin));
		}
	free(c);
	cr_sha256(origin, strlen(origin), NULL, 0, NULL, 0, h);
	cr_random(rnd, sizeof(rnd));
	snprintf(p, sizeof(p), "%s/%02x%02x%02x%02x-%" PRIu64 "-%" PRIu64
	    "-%lld-%02x%02x%02x%02x.evidence", d, h[0], h[1], h[2], h[3],
	    sz[0], sz[1], (long long)time(NULL), rnd[0], rnd[1], rnd[2],
	    rnd[3]);
	if ((rc = evd_format(e, &buf, &len)) != 0)
		return pt_why_set(why, rc, "evidence: %s", pt_strerror(rc));
	rc = ut_write_file(p, buf, len, 0644, 1, why);
	free(buf);
	if (rc == 0 && path != NULL)
		snprintf(path, cap, "%s", p);
	return rc;
}

static const char evd_usage[] =
    "usage: pubtrail evidence verify --log-key VKEY FILE\n"
    "\n"
    "Exit 0 when FILE proves that the log with key VKEY signed two\n"
    "checkpoints that cannot both be true; 1 when it does not.\n";

int
evidence_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "log-key", 1, NULL, 'k' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pt_why why = { "" };
	struct note_vkey key;
	const char *keyarg = NULL;
	struct evd *e;
	uint8_t *buf;
	size_t len;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)) {
			fputs(evd_usage, stdout);
			return CLI_OK;
		}
		return cli_usage_error(evd_usage, "want: evidence verify");
	}
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyarg = optarg;
			break;
		case 'h':
			fputs(evd_usage, stdout);
			return CLI_OK;
		default:
			return cli_usage_error(evd_usage, "bad option");
		}
	}
	if (keyarg == NULL || optind != argc - 1)
		return cli_usage_error(evd_usage,
		    "want --log-key VKEY and one FILE");
	if ((rc = keys_load_vkey(keyarg, &key, &why)) != 0)
		return cli_fail(rc == PT_EIO ? rc : PT_EINVAL, &why,
		    "--log-key");
	if ((rc = ut_read_input(argv[optind], PT_EVIDENCE_MAX, &buf, &len,
	    &why)) != 0)
		return cli_fail(rc, &why, "%s", argv[optind]);
	if ((e = malloc(sizeof(*e))) == NULL) {
		free(buf);
		return cli_fail(PT_ENOMEM, NULL, "evidence");
	}
	if ((rc = evd_parse((const char *)buf, len, e, &why)) == 0)
		rc = evd_check(e, &key, &why);
	if (rc == 0)
		printf("%sPROVEN%s: %s\n  check recorded: %s\n",
		    cli_red(stdout), cli_reset(stdout), why.text, e->check);
	else
		fprintf(stderr, "pubtrail: %s: not proof of a split view: "
		    "%s\n", argv[optind], why.text[0] ? why.text :
		    pt_strerror(rc));
	free(e);
	free(buf);
	if (rc == 0)
		return CLI_OK;
	return CLI_EVERIFY;
}
