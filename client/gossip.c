/* gossip.c: `pubtrail gossip serve|sync` (see gossip.h). */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ckpt.h"
#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "gossip.h"
#include "hcli.h"
#include "keys.h"
#include "num.h"
#include "hsrv.h"
#include "tty.h"
#include "util.h"
#include "wire.h"

#define G_PATH		"/gossip/v1/checkpoints"
#define G_LEAF		"/gossip/v1/leaf"

struct gview {
	char dir[UT_PATH_MAX];
	struct note_vkey key;
	char url[PT_POLICY_MAX_URL + 1];
	int have;
	struct ckpt ck;
	char *note;
	size_t note_len;
};

struct gossip {
	const char *dir;
	struct gview *v[PT_GOSSIP_MAX_LOGS];
	size_t nv;
	int forks;		/* evidence written this run */
	unsigned timeout_ms;
	const char *cacert;		/* --cacert: CAs for https:// */
	struct event_base *base;
	struct hcli *peer;	/* sync: the peer, for leaf relays */
};

static const char g_usage[] =
    "usage: pubtrail gossip sync  --peer URL --state DIR [--log URL --log-key VKEY]\n"
    "                             [--checkpoint FILE] [--timeout MS] [--cacert FILE]\n"
    "       pubtrail gossip serve --listen HOST:PORT --state DIR\n"
    "                             [--log URL --log-key VKEY] [--checkpoint FILE]\n"
    "                             [--timeout MS] [--cacert FILE]\n"
    "\n"
    "Exchange the latest verified checkpoint of each followed log with a\n"
    "peer; two checkpoints the log signed that cannot both be true are\n"
    "written to DIR/evidence/ and sync exits 1.\n";

static void
view_free(struct gview *v)
{
	if (v != NULL)
		free(v->note);
	free(v);
}

static void
origin_id(const char *origin, char out[17])
{
	uint8_t h[32];

	cr_sha256(origin, strlen(origin), NULL, 0, NULL, 0, h);
	cr_hex_encode(h, 8, out);
}

static struct gview *
find_view(struct gossip *g, const char *origin)
{
	size_t i;

	for (i = 0; i < g->nv; i++)
		if (strcmp(g->v[i]->key.name, origin) == 0)
			return g->v[i];
	return NULL;
}

/* Load one view directory; a missing checkpoint is fine. */
/*
 * A checkpoint of the log with key as its log signed it: its text and the
 * log's own lines, without what others added (witnesses, post-quantum
 * signers), so that at most PT_LOG_NOTE_MAX bytes are kept and 64 logs
 * always fit a gossip body.  *out is a new NUL-terminated heap copy.
 * note_parse's errors, PT_EUNKNOWNSIGNER, PT_ETOOBIG, PT_ENOMEM.
 */
static int
log_form(const struct note_vkey *key, const char *note, size_t len,
    char **out, size_t *outlen, struct pt_why *why)
{
	struct note *n;
	int rc;

	*out = NULL;
	if ((n = malloc(sizeof(*n))) == NULL || (*out = malloc(len + 1)) ==
	    NULL) {
		free(n);
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	}
	if ((rc = note_parse(note, len, n)) == 0)
		rc = note_keep_lines(n, key, 1, *out, len + 1, outlen);
	free(n);
	if (rc == 0 && *outlen > PT_LOG_NOTE_MAX)
		rc = PT_ETOOBIG;
	if (rc != 0) {
		free(*out);
		*out = NULL;
		return pt_why_set(why, rc, "checkpoint of %s: %s", key->name,
		    pt_strerror(rc));
	}
	return 0;
}

static int
load_view(struct gossip *g, const char *dir, struct pt_why *why)
{
	char p[UT_PATH_MAX + 16];
	struct gview *v;
	uint8_t *buf;
	size_t len;
	int rc;

	if (g->nv == PT_GOSSIP_MAX_LOGS)
		return pt_why_set(why, PT_ETOOBIG, "more than %d logs",
		    PT_GOSSIP_MAX_LOGS);
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return PT_ENOMEM;
	snprintf(v->dir, sizeof(v->dir), "%s", dir);
	snprintf(p, sizeof(p), "%s/vkey", dir);
	if ((rc = keys_load_vkey(p, &v->key, why)) != 0)
		goto fail;
	snprintf(p, sizeof(p), "%s/url", dir);
	if ((rc = ut_read_file(p, PT_POLICY_MAX_URL, &buf, &len, NULL)) == 0) {
		len = ut_rtrim((const char *)buf, len);
		memcpy(v->url, buf, len);
		v->url[len] = '\0';
		free(buf);
	}
	snprintf(p, sizeof(p), "%s/checkpoint", dir);
	rc = ut_read_file(p, PT_NOTE_MAX, &buf, &len, why);
	if (rc == 0) {
		if ((rc = ckpt_open((const char *)buf, len, &v->key,
		    &v->ck)) != 0) {
			free(buf);
			rc = pt_why_set(why, PT_ECORRUPT, "%s: does not open "
			    "with the log key: %s", p, pt_strerror(rc));
			goto fail;
		}
		rc = log_form(&v->key, (const char *)buf, len, &v->note,
		    &v->note_len, why);
		free(buf);
		if (rc != 0)
			goto fail;
		v->have = 1;
	} else if (rc != PT_ENOTFOUND)
		goto fail;
	g->v[g->nv++] = v;
	return 0;
fail:
	view_free(v);
	return rc;
}

static int
load_state(struct gossip *g, struct pt_why *why)
{
	char p[UT_PATH_MAX], sub[UT_PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(p, sizeof(p), "%s/logs", g->dir);
	if ((rc = ut_mkdirs(p, 0755, why)) != 0)
		return rc;
	if ((d = opendir(p)) == NULL)
		return pt_why_set(why, PT_EIO, "%s: cannot read", p);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", p, de->d_name);
		if ((rc = load_view(g, sub, why)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
save_view(struct gview *v, const char *note, size_t len,
    const struct ckpt *ck, struct pt_why *why)
{
	char p[UT_PATH_MAX + 16];
	char *copy;
	int rc;

	if ((rc = log_form(&v->key, note, len, &copy, &len, why)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s/checkpoint", v->dir);
	if ((rc = ut_write_file(p, copy, len, 0644, 0, why)) != 0) {
		free(copy);
		return rc;
	}
	free(v->note);
	v->note = copy;
	v->note_len = len;
	v->ck = *ck;
	v->have = 1;
	return 0;
}

static void
fork_found(struct gossip *g, const struct gview *v, struct evd *e,
    const char *from)
{
	struct pt_why why = { "" };
	char path[UT_PATH_MAX + 128], vk[KEYS_STR_MAX];

	g->forks++;
	if (note_vkey_format(&v->key, vk, sizeof(vk)) != 0)
		snprintf(vk, sizeof(vk), "<log vkey>");
	if (evd_save(g->dir, e, path, sizeof(path), &why) != 0)
		snprintf(path, sizeof(path), "(not saved: %s)", why.text);
	fprintf(stderr, "\n%s*** SPLIT VIEW: THE LOG SHOWED DIFFERENT "
	    "HISTORIES ***%s\n  %s\n  seen via: %s\n  evidence: %s\n  check "
	    "it: pubtrail evidence verify --log-key %s %s\n\n",
	    cli_red(stderr), cli_reset(stderr), e->check, from, path, vk, path);
}

/* PT_ENET with why: the transfer's own reason, or the status answered to
 * GET <base of hc><path>. */
static int
answer_fail(const struct hcli *hc, const char *path,
    const struct hcli_resp *r, struct pt_why *why)
{
	if (r->err != 0)
		return pt_why_set(why, PT_ENET, "%s", r->why);
	return pt_why_set(why, PT_ENET, "GET %s%s: server answered %d",
	    hcli_url(hc), path, r->status);
}

/*
 * Leaf hash of the entry at index in the tree of size, and its inclusion
 * proof, from the log at url (GET /entry/<index>, GET /proof/inclusion).
 * Not verified here: callers verify against a signed root.
 */
static int
fetch_leaf(const struct gossip *g, const char *url, uint64_t index,
    uint64_t size, struct mt_hash *leaf, struct mt_hash *path, size_t *np,
    struct pt_why *why)
{
	struct hcli_opts ho = { .timeout_ms = g->timeout_ms,
	    .cacert = g->cacert };
	struct hcli *hc = NULL;
	struct hcli_resp r;
	char p[128];
	uint64_t i, n;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = hcli_new(url, &ho, &hc, why)) != 0)
		return rc;
	snprintf(p, sizeof(p), "/entry/%" PRIu64, index);
	hcli_get(hc, p, "application/msgpack", PT_MAX_ENTRY, &r);
	if (r.err != 0 || r.status != 200) {
		rc = answer_fail(hc, p, &r, why);
		goto out;
	}
	if ((rc = mt_leaf_hash(r.body, r.len, leaf)) != 0)
		goto out;
	hcli_resp_free(&r);
	snprintf(p, sizeof(p), "/proof/inclusion?index=%" PRIu64 "&size=%"
	    PRIu64, index, size);
	hcli_get(hc, p, "application/msgpack", WIRE_MAX_PROOF_MSG, &r);
	if (r.err != 0 || r.status != 200 || wire_inclusion_decode(r.body,
	    r.len, &i, &n, path, PT_MAX_PROOF, np, NULL) != 0 || i != index ||
	    n != size) {
		rc = pt_why_set(why, PT_ENET, "%s%s: no usable answer", url, p);
		goto out;
	}
	rc = 0;
out:
	hcli_resp_free(&r);
	hcli_free(hc);
	return rc;
}

/* The peer's leaf at index in its checkpoint of size (relayed from its
 * log): "leaf <b64>\n" then "path <b64>\n" lines. */
static int
peer_leaf(struct gossip *g, const struct gview *v, uint64_t index,
    uint64_t size, struct mt_hash *leaf, struct mt_hash *path, size_t *np)
{
	struct hcli_resp r;
	char p[160], id[17];
	const char *b, *end;
	size_t got;
	int rc = PT_ENET;

	origin_id(v->key.name, id);
	snprintf(p, sizeof(p), "/gossip/v1/leaf?log=%s&index=%" PRIu64
	    "&size=%" PRIu64, id, index, size);
	memset(&r, 0, sizeof(r));
	hcli_get(g->peer, p, "text/plain", PT_ANSWER_SMALL, &r);
	if (r.err != 0 || r.status != 200 || r.len < 50)
		goto out;
	b = (const char *)r.body;
	end = b + r.len;
	if (memcmp(b, "leaf ", 5) != 0 || b[49] != '\n' ||
	    cr_b64_decode(b + 5, 44, leaf->b, 32, &got) != 0 || got != 32)
		goto out;
	*np = 0;
	for (b += 50; b < end; b += 50) {
		if (end - b < 50 || *np == PT_MAX_PROOF ||
		    memcmp(b, "path ", 5) != 0 || b[49] != '\n' ||
		    cr_b64_decode(b + 5, 44, path[*np].b, 32, &got) != 0 ||
		    got != 32)
			goto out;
		(*np)++;
	}
	rc = 0;
out:
	hcli_resp_free(&r);
	return rc;
}

/*
 * A fork between our checkpoint (v) and theirs (c, note) from the peer:
 * look for an index below both sizes where the two trees hold different
 * leaves, each proven against its signed root; when found, turn e into
 * offline-provable inclusion evidence.  At most ~2 log2(size) probes.
 */
static void
upgrade_evidence(struct gossip *g, const struct gview *v,
    const struct ckpt *c, const char *note, size_t len, struct evd *e)
{
	struct mt_hash la, lb, *pa, *pb;
	size_t na, nb;
	uint64_t m, cand[130], i;
	size_t nc = 0, k;
	struct pt_why why = { "" };

	if (g->peer == NULL || v->url[0] == '\0')
		return;
	m = v->ck.size < c->size ? v->ck.size : c->size;
	if (m == 0)
		return;
	cand[nc++] = m - 1;
	if (m >= 2)
		cand[nc++] = m - 2;
	for (i = m / 2; nc < 128; i /= 2) {
		cand[nc++] = i;
		if (i == 0)
			break;
	}
	pa = malloc(2 * PT_MAX_PROOF * sizeof(*pa));
	if (pa == NULL)
		return;
	pb = pa + PT_MAX_PROOF;
	for (k = 0; k < nc; k++) {
		i = cand[k];
		if (fetch_leaf(g, v->url, i, v->ck.size, &la, pa,
		    &na, &why) != 0 || mt_verify_inclusion(&la, i, v->ck.size,
		    pa, na, &v->ck.root) != 0)
			continue;
		if (peer_leaf(g, v, i, c->size, &lb, pb, &nb) != 0 ||
		    mt_verify_inclusion(&lb, i, c->size, pb, nb,
		    &c->root) != 0)
			continue;
		if (cr_memcmp(la.b, lb.b, 32) == 0)
			continue;
		e->kind = EVD_INCLUSION;
		e->index = i;
		e->leaf[0] = la;
		e->leaf[1] = lb;
		e->npath[0] = na;
		e->npath[1] = nb;
		memcpy(e->path[0], pa, na * sizeof(*pa));
		memcpy(e->path[1], pb, nb * sizeof(*pb));
		e->note[0] = v->note;
		e->note_len[0] = v->note_len;
		e->note[1] = note;
		e->note_len[1] = len;
		snprintf(e->check + strlen(e->check), sizeof(e->check) -
		    strlen(e->check), "; entry %" PRIu64 " differs between "
		    "them", i);
		break;
	}
	free(pa);
}

/* The view's checkpoint and another one of a different size, in size
 * order. */
struct pair {
	const struct ckpt *small, *big;
	const char *snote, *bnote;
	size_t slen, blen;
};

/*
 * c (note, len: from `from`) and view v differ in size: ask v's log for
 * the consistency proof between them and check it.  0 consistent, 1 no
 * decision (no log URL: said on stderr), PT_ECONFLICT after writing
 * evidence (into e), other errors when no decision could be made
 * (network, a bad answer).  One request.
 */
static int
check_sizes(struct gossip *g, const struct gview *v, const struct ckpt *c,
    const char *note, size_t len, const char *from, struct evd *e,
    struct pt_why *why)
{
	struct hcli_opts ho = { .timeout_ms = g->timeout_ms,
	    .cacert = g->cacert };
	int theirs_bigger = c->size > v->ck.size;
	struct pair p = {
		theirs_bigger ? &v->ck : c, theirs_bigger ? c : &v->ck,
		theirs_bigger ? v->note : note, theirs_bigger ? note : v->note,
		theirs_bigger ? v->note_len : len, theirs_bigger ? len :
		v->note_len,
	};
	struct hcli *hc = NULL;
	struct hcli_resp r;
	char path[96];
	uint64_t old, nsz;
	size_t n;
	int rc;

	if (p.small->size == 0)
		return 0;
	if (v->url[0] == '\0') {
		fprintf(stderr, "pubtrail gossip: %s: no log URL to ask for a "
		    "consistency proof from %" PRIu64 " to %" PRIu64 "; "
		    "skipped\n", v->key.name, p.small->size, p.big->size);
		return 1;
	}
	if ((rc = hcli_new(v->url, &ho, &hc, why)) != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/proof/consistency?old=%" PRIu64
	    "&new=%" PRIu64, p.small->size, p.big->size);
	hcli_get(hc, path, "application/msgpack", WIRE_MAX_PROOF_MSG, &r);
	e->kind = EVD_INCONSISTENT;
	e->old = p.small->size;
	e->note[0] = p.snote;
	e->note_len[0] = p.slen;
	e->note[1] = p.bnote;
	e->note_len[1] = p.blen;
	if (r.err != 0 || r.status >= 500 || r.status == 429)
		rc = answer_fail(hc, path, &r, why);
	else if (r.status != 200) {
		snprintf(e->check, sizeof(e->check), "%s: the log signed a "
		    "checkpoint of size %" PRIu64 " but cannot prove it "
		    "consistent with the one of size %" PRIu64 " (HTTP %d)",
		    v->key.name, p.big->size, p.small->size, r.status);
		rc = PT_ECONFLICT;
	} else if (wire_consistency_decode(r.body, r.len, &old, &nsz,
	    e->proof, PT_MAX_PROOF, &n, NULL) != 0 || old != p.small->size ||
	    nsz != p.big->size)
		rc = pt_why_set(why, PT_ENET, "%s: bad consistency answer",
		    v->url);
	else {
		e->nproof = n;
		if (mt_verify_consistency(p.small->size, p.big->size,
		    &p.small->root, &p.big->root, e->proof, n) != 0) {
			snprintf(e->check, sizeof(e->check), "%s: the log's "
			    "consistency proof from size %" PRIu64 " to %"
			    PRIu64 " does not verify between the two signed "
			    "checkpoints", v->key.name, p.small->size,
			    p.big->size);
			rc = PT_ECONFLICT;
		}
	}
	hcli_resp_free(&r);
	hcli_free(hc);
	if (rc == PT_ECONFLICT) {
		upgrade_evidence(g, v, c, note, len, e);
		fork_found(g, v, e, from);
	}
	return rc;
}

/*
 * Check note (from `from`) against view v.  0 when consistent (v may move
 * forward), PT_ECONFLICT after writing evidence, other errors when no
 * decision could be made (network).
 */
static int
check_note(struct gossip *g, struct gview *v, const char *note, size_t len,
    const char *from, struct pt_why *why)
{
	struct ckpt *c;
	struct evd *e = NULL;
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		free(c);
		return PT_ENOMEM;
	}
	if ((rc = ckpt_open(note, len, &v->key, c)) != 0) {
		fputs("pubtrail gossip: ignoring a checkpoint for ", stderr);
		tty_puts(stderr, v->key.name);
		fputs(" from ", stderr);
		tty_puts(stderr, from);
		fprintf(stderr, " that does not open with the log key (%s)\n",
		    pt_strerror(rc));
		rc = 0;
	} else if (!v->have)
		rc = save_view(v, note, len, c, why);
	else if (c->size == v->ck.size) {
		rc = 0;
		if (cr_memcmp(c->root.b, v->ck.root.b, 32) != 0) {
			e->kind = EVD_SAME_SIZE;
			snprintf(e->check, sizeof(e->check), "%s: two signed "
			    "checkpoints of size %" PRIu64 " with different "
			    "roots", v->key.name, c->size);
			e->note[0] = v->note;
			e->note_len[0] = v->note_len;
			e->note[1] = note;
			e->note_len[1] = len;
			fork_found(g, v, e, from);
			rc = PT_ECONFLICT;
		}
	} else if ((rc = check_sizes(g, v, c, note, len, from, e, why)) == 1)
		rc = 0;			/* no decision */
	else if (rc == 0 && c->size > v->ck.size)
		rc = save_view(v, note, len, c, why);
	free(e);
	free(c);
	return rc;
}

/* Parse "note <len>\n<bytes>" records; calls fn for each. */
static int
each_note(const char *buf, size_t len, int (*fn)(void *, const char *,
    size_t), void *arg, struct pt_why *why)
{
	const char *p = buf, *end = buf + len, *nl;
	uint64_t n;
	size_t count = 0;
	int rc;

	while (p < end) {
		if (++count > PT_GOSSIP_MAX_LOGS)
			return pt_why_set(why, PT_ETOOBIG, "too many notes");
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    nl - p < 6 || memcmp(p, "note ", 5) != 0 ||
		    num_parse_u64(p + 5, (size_t)(nl - p - 5), 0, PT_NOTE_MAX,
		    &n) != 0 || n == 0 || n > (uint64_t)(end - nl - 1))
			return pt_why_set(why, PT_EMALFORMED,
			    "bad gossip framing");
		if ((rc = fn(arg, nl + 1, (size_t)n)) != 0 &&
		    rc != PT_ECONFLICT)
			return rc;
		p = nl + 1 + n;
	}
	return 0;
}

struct recv_ctx {
	struct gossip *g;
	const char *from;
	struct pt_why *why;
	int hard;		/* a non-fork error */
};

static int
recv_one(void *arg, const char *note, size_t len)
{
	struct recv_ctx *x = arg;
	const char *nl = memchr(note, '\n', len);
	char origin[PT_MAX_ORIGIN + 1];
	struct gview *v;
	int rc;

	if (nl == NULL || (size_t)(nl - note) > PT_MAX_ORIGIN)
		return 0;
	memcpy(origin, note, (size_t)(nl - note));
	origin[nl - note] = '\0';
	if ((v = find_view(x->g, origin)) == NULL)
		return 0;		/* a log we do not follow */
	rc = check_note(x->g, v, note, len, x->from, x->why);
	if (rc != 0 && rc != PT_ECONFLICT) {
		fputs("pubtrail gossip: ", stderr);
		tty_puts(stderr, origin);
		fputs(": ", stderr);
		tty_puts(stderr, x->why->text[0] ? x->why->text :
		    pt_strerror(rc));
		fputc('\n', stderr);
		x->hard = rc;
	}
	return 0;
}

static struct evbuffer *
our_notes(struct gossip *g)
{
	struct evbuffer *b = evbuffer_new();
	size_t i;

	if (b == NULL)
		return NULL;
	for (i = 0; i < g->nv; i++)
		if (g->v[i]->have) {
			evbuffer_add_printf(b, "note %zu\n", g->v[i]->note_len);
			evbuffer_add(b, g->v[i]->note, g->v[i]->note_len);
		}
	return b;
}

/* --log/--log-key/--checkpoint: add or refresh a followed log. */
static int
follow(struct gossip *g, const char *url, const char *keyarg,
    const char *ckfile, struct pt_why *why)
{
	struct hcli_opts ho = { .timeout_ms = g->timeout_ms,
	    .cacert = g->cacert };
	char id[17], d[UT_PATH_MAX], p[UT_PATH_MAX + 16], vk[KEYS_STR_MAX];
	struct note_vkey key;
	struct gview *v;
	struct hcli *hc = NULL;
	struct hcli_resp r;
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = keys_load_vkey(keyarg, &key, why)) != 0)
		return rc;
	if ((v = find_view(g, key.name)) == NULL) {
		origin_id(key.name, id);
		snprintf(d, sizeof(d), "%s/logs/%s", g->dir, id);
		if ((rc = ut_mkdirs(d, 0755, why)) != 0)
			return rc;
		note_vkey_format(&key, vk, sizeof(vk) - 1);
		strcat(vk, "\n");
		snprintf(p, sizeof(p), "%s/vkey", d);
		if ((rc = ut_write_file(p, vk, strlen(vk), 0644, 0, why)) != 0)
			return rc;
		if ((rc = load_view(g, d, why)) != 0)
			return rc;
		v = g->v[g->nv - 1];
	} else if (memcmp(v->key.pub, key.pub, 32) != 0)
		return pt_why_set(why, PT_ECONFLICT, "state follows %s with "
		    "another key", key.name);
	if (url != NULL) {
		snprintf(v->url, sizeof(v->url), "%s", url);
		snprintf(p, sizeof(p), "%s/url", v->dir);
		if ((rc = ut_write_file(p, url, strlen(url), 0644, 0,
		    why)) != 0)
			return rc;
	}
	if (ckfile != NULL) {
		if ((rc = ut_read_input(ckfile, PT_NOTE_MAX, &buf, &len,
		    why)) != 0)
			return rc;
		rc = check_note(g, v, (const char *)buf, len, ckfile, why);
		free(buf);
		if (rc != 0 && rc != PT_ECONFLICT)
			return rc;
	}
	if (url != NULL) {
		memset(&r, 0, sizeof(r));
		if ((rc = hcli_new(url, &ho, &hc, why)) != 0)
			return rc;
		hcli_get(hc, "/checkpoint", "text/plain", PT_NOTE_MAX, &r);
		if (r.err != 0 || r.status != 200) {
			rc = answer_fail(hc, "/checkpoint", &r, why);
		} else {
			rc = check_note(g, v, (const char *)r.body, r.len,
			    url, why);
			if (rc == PT_ECONFLICT)
				rc = 0;
		}
		hcli_resp_free(&r);
		hcli_free(hc);
	}
	return rc;
}

static int
do_sync(struct gossip *g, const char *peer)
{
	struct hcli_opts ho = { .timeout_ms = g->timeout_ms,
	    .cacert = g->cacert };
	struct pt_why why = { "" };
	struct hcli *hc = NULL;
	struct hcli_resp r;
	struct evbuffer *b;
	struct recv_ctx x = { g, peer, &why, 0 };
	int rc, ex = CLI_OK;

	memset(&r, 0, sizeof(r));
	if ((rc = hcli_new(peer, &ho, &hc, &why)) != 0)
		return cli_fail(rc, &why, "--peer");
	hcli_get(hc, G_PATH, "text/plain", PT_GOSSIP_MAX_BODY, &r);
	if (r.err != 0 || r.status != 200) {
		answer_fail(hc, G_PATH, &r, &why);
		ex = cli_fail(PT_ENET, &why, "gossip sync");
		goto out;
	}
	g->peer = hc;
	rc = each_note((const char *)r.body, r.len, recv_one, &x, &why);
	g->peer = NULL;
	if (rc != 0) {
		ex = cli_fail(PT_ENET, &why, "peer answer");
		goto out;
	}
	hcli_resp_free(&r);
	if ((b = our_notes(g)) == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "gossip");
		goto out;
	}
	hcli_post(hc, G_PATH, evbuffer_pullup(b, -1), evbuffer_get_length(b),
	    "text/plain", "text/plain", PT_ANSWER_SMALL, &r);
	evbuffer_free(b);
	if (r.err != 0) {
		fputs("pubtrail gossip: ", stderr);
		tty_puts(stderr, r.why);
		fputc('\n', stderr);
	} else if (r.status == 409) {
		/* The peer's word, not evidence: nothing here proves it (our
		 * own checks of its checkpoints passed above).  Said so, its
		 * text escaped, and not an exit 1. */
		fputs("pubtrail gossip: the peer says it found a split view "
		    "(its claim, not checked here: ask its operator for the "
		    "evidence file and check it with `pubtrail evidence "
		    "verify`): ", stderr);
		tty_put(stderr, (const char *)r.body, r.len > 500 ? 500 :
		    r.len);
		fputc('\n', stderr);
	} else if (r.status != 200) {
		fputs("pubtrail gossip: ", stderr);
		tty_puts(stderr, peer);
		fprintf(stderr, " answered %d\n", r.status);
	}
	if (x.hard != 0)
		ex = cli_exit_for(x.hard);
out:
	hcli_resp_free(&r);
	hcli_free(hc);
	if (g->forks > 0)
		return CLI_EVERIFY;
	if (ex == CLI_OK)
		printf("gossip: %zu log(s) consistent with %s\n", g->nv, peer);
	return ex;
}

/* GET /gossip/v1/leaf?log=<id>&index=I&size=N: relay our log's leaf. */
static void
serve_leaf(struct gossip *g, struct evhttp_request *req)
{
	struct evkeyvalq q;
	struct mt_hash leaf, *path;
	struct pt_why why = { "" };
	struct evbuffer *b;
	const char *uri = evhttp_request_get_uri(req), *id, *si, *ss;
	struct gview *v = NULL;
	char vid[17], b64[48];
	uint64_t index, size;
	size_t i, np;
	int code = 400;

	TAILQ_INIT(&q);
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	if ((path = malloc(PT_MAX_PROOF * sizeof(*path))) == NULL ||
	    strlen(uri) > 256 || evhttp_parse_query_str(strchr(uri, '?') + 1,
	    &q) != 0 || (id = evhttp_find_header(&q, "log")) == NULL ||
	    (si = evhttp_find_header(&q, "index")) == NULL ||
	    (ss = evhttp_find_header(&q, "size")) == NULL ||
	    num_parse_u64_str(si, 0, PT_MAX_TREE_SIZE, &index) != 0 ||
	    num_parse_u64_str(ss, 1, PT_MAX_TREE_SIZE, &size) != 0 ||
	    index >= size) {
		evbuffer_add_printf(b, "want log, index < size\n");
		goto out;
	}
	for (i = 0; i < g->nv && v == NULL; i++) {
		origin_id(g->v[i]->key.name, vid);
		if (strcmp(vid, id) == 0 && g->v[i]->url[0] != '\0')
			v = g->v[i];
	}
	if (v == NULL) {
		code = 404;
		evbuffer_add_printf(b, "no such log\n");
		goto out;
	}
	if (fetch_leaf(g, v->url, index, size, &leaf, path, &np,
	    &why) != 0) {
		code = 502;
		evbuffer_add_printf(b, "%s\n", why.text);
		goto out;
	}
	cr_b64_encode(leaf.b, 32, b64, sizeof(b64));
	evbuffer_add_printf(b, "leaf %s\n", b64);
	for (i = 0; i < np; i++) {
		cr_b64_encode(path[i].b, 32, b64, sizeof(b64));
		evbuffer_add_printf(b, "path %s\n", b64);
	}
	code = 200;
out:
	evhttp_clear_headers(&q);
	free(path);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

static void
serve_cb(struct evhttp_request *req, void *arg)
{
	struct gossip *g = arg;
	struct pt_why why = { "" };
	struct recv_ctx x = { g, "a gossip peer", &why, 0 };
	struct evbuffer *in, *b;
	int before = g->forks, rc;

	if (strncmp(evhttp_request_get_uri(req), G_LEAF "?",
	    strlen(G_LEAF) + 1) == 0) {
		serve_leaf(g, req);
		return;
	}
	if (strcmp(evhttp_request_get_uri(req), G_PATH) != 0) {
		evhttp_send_error(req, 404, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		evbuffer_free(b);
		if ((b = our_notes(g)) == NULL) {
			evhttp_send_error(req, 503, NULL);
			return;
		}
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evbuffer_add_printf(b, "GET or POST\n");
		evhttp_send_reply(req, 405, "Method Not Allowed", b);
		evbuffer_free(b);
		return;
	}
	in = evhttp_request_get_input_buffer(req);
	rc = each_note((const char *)evbuffer_pullup(in, -1),
	    evbuffer_get_length(in), recv_one, &x, &why);
	if (rc != 0) {
		evbuffer_add_printf(b, "%s\n", why.text);
		evhttp_send_reply(req, 400, "Bad Request", b);
	} else if (g->forks > before) {
		evbuffer_add_printf(b, "split view: evidence written to %s/"
		    "evidence/\n", g->dir);
		evhttp_send_reply(req, 409, "Conflict", b);
	} else {
		evbuffer_add_printf(b, "ok\n");
		evhttp_send_reply(req, 200, "OK", b);
	}
	evbuffer_free(b);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	event_base_loopexit(arg, NULL);
}

static int
do_serve(struct gossip *g, const char *listen)
{
	struct hsrv_opts so = { .max_body = PT_GOSSIP_MAX_BODY,
	    .methods = HSRV_METHODS_ANY };
	struct pt_why why = { "" };
	struct event *s1 = NULL, *s2 = NULL;
	struct hsrv *srv = NULL;
	int ex = CLI_OK, rc;

	if ((g->base = event_base_new()) == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "gossip");
		goto out;
	}
	if ((rc = hsrv_start(g->base, listen, &so, serve_cb, g, &srv,
	    &why)) != 0) {
		ex = rc == PT_EINVAL ? cli_usage_error(g_usage, "%s",
		    why.text) : cli_fail(rc, &why, "gossip");
		goto out;
	}
	s1 = evsignal_new(g->base, SIGTERM, on_signal, g->base);
	s2 = evsignal_new(g->base, SIGINT, on_signal, g->base);
	if (s1 == NULL || s2 == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "gossip");
		goto out;
	}
	event_add(s1, NULL);
	event_add(s2, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "pubtrail gossip: serving %zu log(s) on %s\n", g->nv,
	    listen);
	event_base_dispatch(g->base);
	fprintf(stderr, "pubtrail gossip: stopped; %d split view(s) "
	    "recorded\n", g->forks);
out:
	if (s1 != NULL)
		event_free(s1);
	if (s2 != NULL)
		event_free(s2);
	hsrv_free(srv);
	if (g->base != NULL)
		event_base_free(g->base);
	return ex;
}

/* What `pubtrail gossip sync|serve` was asked to do, besides g's state
 * directory, timeout and CA file. */
struct gossip_args {
	int serve;			/* serve, else sync */
	const char *peer;		/* --peer URL (sync) */
	const char *listen;		/* --listen HOST:PORT (serve) */
	const char *url;		/* --log URL */
	const char *key;		/* --log-key VKEY|FILE */
	const char *ck;			/* --checkpoint FILE */
};

/* The command line (argv[1] sync or serve) into g and a.  -1 to go on, or
 * an exit code (CLI_OK after --help). */
static int
gossip_parse(int argc, char **argv, struct gossip *g, struct gossip_args *a)
{
	static const struct option lo[] = {
		{ "peer", 1, NULL, 'p' },
		{ "listen", 1, NULL, 'l' },
		{ "state", 1, NULL, 's' },
		{ "log", 1, NULL, 'u' },
		{ "log-key", 1, NULL, 'k' },
		{ "checkpoint", 1, NULL, 'c' },
		{ "timeout", 1, NULL, 't' },
		{ "cacert", 1, NULL, 'A' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t t;
	int c;

	if (argc < 2 || (strcmp(argv[1], "sync") != 0 &&
	    strcmp(argv[1], "serve") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)) {
			fputs(g_usage, stdout);
			return CLI_OK;
		}
		return cli_usage_error(g_usage, "want: gossip sync|serve");
	}
	a->serve = strcmp(argv[1], "serve") == 0;
	g->timeout_ms = PT_HTTP_DEADLINE_MS;
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': a->peer = optarg; break;
		case 'l': a->listen = optarg; break;
		case 's': g->dir = optarg; break;
		case 'u': a->url = optarg; break;
		case 'k': a->key = optarg; break;
		case 'c': a->ck = optarg; break;
		case 'A': g->cacert = optarg; break;
		case 't':
			if (num_parse_u64_str(optarg, 1, 600000, &t) != 0)
				return cli_usage_error(g_usage, "--timeout");
			g->timeout_ms = (unsigned)t;
			break;
		case 'h':
			fputs(g_usage, stdout);
			return CLI_OK;
		default:
			return cli_usage_error(g_usage, "bad option");
		}
	}
	if (g->dir == NULL || optind != argc || (a->serve ? a->listen == NULL :
	    a->peer == NULL) || ((a->url != NULL || a->ck != NULL) &&
	    a->key == NULL))
		return cli_usage_error(g_usage, a->serve ? "want --listen and "
		    "--state" : "want --peer and --state (and --log-key with "
		    "--log or --checkpoint)");
	return -1;
}

/* Refresh every followed log from its own URL.  A log that cannot be
 * reached now does not stop us from comparing what we verified before:
 * said, and skipped. */
static void
refresh_all(struct gossip *g)
{
	struct pt_why why = { "" };
	int rc;

	for (size_t i = 0; i < g->nv; i++) {
		char kp[UT_PATH_MAX + 16], u[PT_POLICY_MAX_URL + 1];

		if (g->v[i]->url[0] == '\0')
			continue;
		snprintf(kp, sizeof(kp), "%s/vkey", g->v[i]->dir);
		snprintf(u, sizeof(u), "%s", g->v[i]->url);
		if ((rc = follow(g, u, kp, NULL, &why)) != 0)
			fprintf(stderr, "pubtrail gossip: %s: %s (using the "
			    "checkpoint verified earlier)\n", u, why.text[0] ?
			    why.text : pt_strerror(rc));
		why.text[0] = '\0';
	}
}

/* Load the state, follow --log, then sync (every followed log refreshed
 * first, unless --log) or serve.  The exit code. */
static int
gossip_run(struct gossip *g, const struct gossip_args *a)
{
	struct pt_why why = { "" };
	int rc;

	if ((rc = load_state(g, &why)) != 0)
		return cli_fail(rc, &why, "--state %s", g->dir);
	if (a->key != NULL && (rc = follow(g, a->url, a->key, a->ck,
	    &why)) != 0)
		return cli_fail(rc, &why, "--log");
	if (a->serve)
		return do_serve(g, a->listen);
	if (a->url == NULL)
		refresh_all(g);
	return do_sync(g, a->peer);
}

int
gossip_main(int argc, char **argv)
{
	struct gossip_args a;
	struct gossip *g;
	int ex;

	memset(&a, 0, sizeof(a));
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "gossip");
	if ((ex = gossip_parse(argc, argv, g, &a)) < 0)
		ex = gossip_run(g, &a);
	if (g->forks > 0 && !a.serve)
		ex = CLI_EVERIFY;	/* whatever else went wrong */
	for (size_t i = 0; i < g->nv; i++)
		view_free(g->v[i]);
	free(g);
	return ex;
}
