/*
 * policy.c: C2SP tlog-policy parser and quorum evaluation (see policy.h).
 *
 * Groups may only name earlier definitions, so evaluating them in file
 * order sees every member's result before the group itself: one pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "num.h"
#include "policy.h"
#include "pt.h"

#define MAX_TOKENS	(3 + PT_POLICY_MAX_WITNESSES + PT_POLICY_MAX_GROUPS)

struct tok {
	const char *s;
	size_t len;
};

static int
tok_is(const struct tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->len == n && memcmp(t->s, w, n) == 0;
}

/* Split one line (without its "\n") at runs of space and tab. */
static int
split(const char *s, size_t len, struct tok *t, size_t *nt)
{
	size_t i = 0, n = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == MAX_TOKENS)
			return PT_ETOOBIG;
		t[n].s = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		t[n].len = (size_t)(s + i - t[n].s);
		n++;
	}
	*nt = n;
	return 0;
}

/* Look a witness or group name up: its member code, or -1. */
static int
lookup(const struct pol *p, const struct tok *t)
{
	size_t i;

	for (i = 0; i < p->nwit; i++)
		if (strlen(p->wit[i].name) == t->len &&
		    memcmp(p->wit[i].name, t->s, t->len) == 0)
			return (int)i;
	for (i = 0; i < p->ngroups; i++)
		if (strlen(p->groups[i].name) == t->len &&
		    memcmp(p->groups[i].name, t->s, t->len) == 0)
			return (int)(POL_GROUP_BASE + i);
	return -1;
}

static int
copy_name(const struct pol *p, const struct tok *t, char *dst,
    struct pt_why *why, unsigned line)
{
	if (t->len > PT_POLICY_MAX_NAME)
		return pt_why_set(why, PT_ETOOBIG, "line %u: name too long",
		    line);
	if (tok_is(t, "none"))
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: the name \"none\" is reserved", line);
	if (lookup(p, t) >= 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: name defined twice", line);
	memcpy(dst, t->s, t->len);
	dst[t->len] = '\0';
	return 0;
}

static int
copy_url(const struct tok *t, char *dst, struct pt_why *why, unsigned line)
{
	if (t->len > PT_POLICY_MAX_URL)
		return pt_why_set(why, PT_ETOOBIG, "line %u: URL too long",
		    line);
	memcpy(dst, t->s, t->len);
	dst[t->len] = '\0';
	return 0;
}

/* A log key (want_log) must be Ed25519 (0x01); a witness key an Ed25519
 * (0x04) or ML-DSA-44 (0x06) cosignature key. */
static int
parse_key(const struct tok *t, int want_log, struct note_vkey *k,
    struct pt_why *why, unsigned line)
{
	if (t->len > PT_MAX_VKEY_MLDSA || note_vkey_parse(t->s, t->len,
	    k) != 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: not a valid verifier key", line);
	if (want_log && k->alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: a log key must have type 0x01", line);
	if (!want_log && k->alg != NOTE_ALG_COSIG_V1 &&
	    k->alg != NOTE_ALG_COSIG_MLDSA44)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: a witness key must have type 0x04 or 0x06",
		    line);
	return 0;
}

static int
dup_pub(const struct pol *p, const uint8_t pub[32])
{
	size_t i;

	for (i = 0; i < p->nlogs; i++)
		if (memcmp(p->logs[i].key.pub, pub, 32) == 0)
			return 1;
	for (i = 0; i < p->nwit; i++)
		if (memcmp(p->wit[i].key.pub, pub, 32) == 0)
			return 1;
	return 0;
}

/* The key token kt (a log's when want_log) into *k, not a key seen on an
 * earlier line; the optional URL token ut (NULL: none) into url. */
static int
key_and_url(const struct pol *p, const struct tok *kt, const struct tok *ut,
    int want_log, struct note_vkey *k, char *url, struct pt_why *why,
    unsigned line)
{
	int rc;

	if ((rc = parse_key(kt, want_log, k, why, line)) != 0)
		return rc;
	if (dup_pub(p, k->pub))
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: duplicate key", line);
	if (ut != NULL && (rc = copy_url(ut, url, why, line)) != 0)
		return rc;
	return 0;
}

/* log <vkey> [<url>] */
static int
parse_log(struct pol *p, const struct tok *t, size_t nt, unsigned line,
    struct pt_why *why)
{
	int rc;

	if (nt < 2 || nt > 3)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: want: log <vkey> [<url>]", line);
	if (p->nlogs == PT_POLICY_MAX_LOGS)
		return pt_why_set(why, PT_ETOOBIG,
		    "line %u: more than %d logs", line, PT_POLICY_MAX_LOGS);
	if ((rc = key_and_url(p, &t[1], nt == 3 ? &t[2] : NULL, 1,
	    &p->logs[p->nlogs].key, p->logs[p->nlogs].url, why, line)) != 0)
		return rc;
	p->nlogs++;
	return 0;
}

/* witness <name> <vkey> [<url>] */
static int
parse_witness(struct pol *p, const struct tok *t, size_t nt, unsigned line,
    struct pt_why *why)
{
	int rc;

	if (nt < 3 || nt > 4)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: want: witness <name> <vkey> [<url>]", line);
	if (p->nwit == PT_POLICY_MAX_WITNESSES)
		return pt_why_set(why, PT_ETOOBIG,
		    "line %u: more than %d witnesses", line,
		    PT_POLICY_MAX_WITNESSES);
	if ((rc = copy_name(p, &t[1], p->wit[p->nwit].name, why, line)) != 0)
		return rc;
	if ((rc = key_and_url(p, &t[2], nt == 4 ? &t[3] : NULL, 0,
	    &p->wit[p->nwit].key, p->wit[p->nwit].url, why, line)) != 0)
		return rc;
	p->nwit++;
	return 0;
}

/* group <name> all|any|<k> <name>... */
static int
parse_group(struct pol *p, const struct tok *t, size_t nt, unsigned line,
    struct pt_why *why)
{
	struct pol_group *g;
	uint64_t kk;
	size_t i, j;
	int rc, m;

	if (nt < 4)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: want: group <name> all|any|<k> <name>...",
		    line);
	if (p->ngroups == PT_POLICY_MAX_GROUPS)
		return pt_why_set(why, PT_ETOOBIG,
		    "line %u: more than %d groups", line,
		    PT_POLICY_MAX_GROUPS);
	g = &p->groups[p->ngroups];
	memset(g, 0, sizeof(*g));
	if ((rc = copy_name(p, &t[1], g->name, why, line)) != 0)
		return rc;
	g->n = (unsigned)(nt - 3);
	for (i = 3; i < nt; i++) {
		if ((m = lookup(p, &t[i])) < 0)
			return pt_why_set(why, PT_EMALFORMED,
			    "line %u: member %.*s is not defined on an "
			    "earlier line", line, (int)(t[i].len > 64 ?
			    64 : t[i].len), t[i].s);
		for (j = 0; j < i - 3; j++)
			if (g->member[j] == (uint16_t)m)
				return pt_why_set(why, PT_EMALFORMED,
				    "line %u: member listed twice", line);
		g->member[i - 3] = (uint16_t)m;
	}
	if (tok_is(&t[2], "all"))
		g->k = g->n;
	else if (tok_is(&t[2], "any"))
		g->k = 1;
	else {
		if (num_parse_u64(t[2].s, t[2].len, 0, g->n, &kk) != 0 ||
		    kk < 1)
			return pt_why_set(why, PT_EMALFORMED,
			    "line %u: threshold must be all, any or a "
			    "number from 1 to %u", line, g->n);
		g->k = (unsigned)kk;
	}
	p->ngroups++;
	return 0;
}

/* quorum <name>|none, once */
static int
parse_quorum(struct pol *p, const struct tok *t, size_t nt, unsigned line,
    int *have_quorum, struct pt_why *why)
{
	int m;

	if (nt != 2)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: want: quorum <name>", line);
	if (*have_quorum)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: a second quorum line", line);
	if (tok_is(&t[1], "none"))
		p->quorum = POL_NONE;
	else if ((m = lookup(p, &t[1])) < 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "line %u: quorum names nothing defined on an "
		    "earlier line", line);
	else
		p->quorum = (uint16_t)m;
	*have_quorum = 1;
	return 0;
}

/* One line of nt (>= 1) tokens, by its keyword. */
static int
parse_line(struct pol *p, const struct tok *t, size_t nt, unsigned line,
    int *have_quorum, struct pt_why *why)
{
	if (tok_is(&t[0], "log"))
		return parse_log(p, t, nt, line, why);
	if (tok_is(&t[0], "witness"))
		return parse_witness(p, t, nt, line, why);
	if (tok_is(&t[0], "group"))
		return parse_group(p, t, nt, line, why);
	if (tok_is(&t[0], "quorum"))
		return parse_quorum(p, t, nt, line, have_quorum, why);
	return pt_why_set(why, PT_EMALFORMED, "line %u: unknown keyword",
	    line);
}

int
pol_parse(const char *buf, size_t len, struct pol *out, struct pt_why *why)
{
	struct tok t[MAX_TOKENS];
	const char *s, *nl;
	size_t i, nt;
	unsigned line = 0;
	int have_quorum = 0, rc;

	memset(out, 0, sizeof(*out));
	if (len > PT_POLICY_MAX)
		return pt_why_set(why, PT_ETOOBIG, "policy over %d bytes",
		    PT_POLICY_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c != '\t' && c != '\n' && (c < 0x20 || c == 0x7f)) {
			rc = pt_why_set(why, PT_EMALFORMED,
			    "byte %zu: control character 0x%02x", i, c);
			goto fail;
		}
	}
	if (len > 0 && buf[len - 1] != '\n') {
		rc = pt_why_set(why, PT_EMALFORMED,
		    "the last line does not end in a newline");
		goto fail;
	}
	for (s = buf; s < buf + len; s = nl + 1) {
		line++;
		nl = memchr(s, '\n', (size_t)(buf + len - s));
		if ((rc = split(s, (size_t)(nl - s), t, &nt)) != 0) {
			pt_why_set(why, rc, "line %u: too many items", line);
			goto fail;
		}
		if (nt == 0 || t[0].s[0] == '#')
			continue;
		if ((rc = parse_line(out, t, nt, line, &have_quorum,
		    why)) != 0)
			goto fail;
	}
	if (!have_quorum) {
		rc = pt_why_set(why, PT_EMALFORMED, "no quorum line");
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

int
pol_quorum_met(const struct pol *p, uint64_t mask)
{
	uint64_t gok = 0;
	size_t i;
	unsigned j, c;
	uint16_t m;

	if (p->quorum == POL_NONE)
		return 1;
	for (i = 0; i < p->ngroups; i++) {
		c = 0;
		for (j = 0; j < p->groups[i].n; j++) {
			m = p->groups[i].member[j];
			if (m < POL_GROUP_BASE ? (mask >> m) & 1 :
			    (gok >> (m - POL_GROUP_BASE)) & 1)
				c++;
		}
		if (c >= p->groups[i].k)
			gok |= 1ULL << i;
	}
	if (p->quorum < POL_GROUP_BASE)
		return (int)((mask >> p->quorum) & 1);
	return (int)((gok >> (p->quorum - POL_GROUP_BASE)) & 1);
}

static int
same_key(const struct note_vkey *a, const struct note_vkey *b)
{
	return a->alg == b->alg && a->hash == b->hash &&
	    strcmp(a->name, b->name) == 0 && memcmp(a->pub, b->pub, 32) == 0;
}

int
pol_find_witness(const struct pol *p, const struct note_vkey *k)
{
	size_t i;

	for (i = 0; i < p->nwit; i++)
		if (same_key(&p->wit[i].key, k))
			return (int)i;
	return -1;
}

/* The origin line of a note (up to the first "\n"), bounded. */
static int
note_origin(const char *note, size_t len, char *out, size_t cap)
{
	const char *nl = memchr(note, '\n', len);
	size_t n;

	if (nl == NULL || (n = (size_t)(nl - note)) >= cap)
		return PT_EMALFORMED;
	memcpy(out, note, n);
	out[n] = '\0';
	return 0;
}

int
pol_cosigs(const struct pol *p, const struct note *n, uint64_t now,
    struct pol_cosigs *out)
{
	const struct note_sig *s;
	struct pol_cosigs cs;
	uint64_t ts;
	size_t i, j;
	int rc, found;

	memset(out, 0, sizeof(*out));
	memset(&cs, 0, sizeof(cs));
	if (n == NULL || n->text == NULL)
		return PT_EINVAL;
	if ((rc = ckpt_check(n->text, n->text_len)) != 0)
		return rc;
	for (i = 0; i < p->nwit; i++) {
		const struct note_vkey *k = &p->wit[i].key;

		if (!note_alg_verifiable(k->alg))
			cs.unverifiable |= UINT64_C(1) << i;
		for (found = 0, j = 0; j < n->nsigs; j++) {
			s = &n->sigs[j];
			if (s->hash != k->hash || strcmp(s->name, k->name) != 0)
				continue;
			if (found++)
				return PT_EMALFORMED;	/* two lines by k */
			cs.present |= UINT64_C(1) << i;
			if (!note_alg_verifiable(k->alg))
				continue;
			if (s->sig_len > NOTE_SIG_MAX)
				return PT_ESIG;
			if ((rc = note_cosig_verify_v1(k, n->text,
			    n->text_len, s->sig, s->sig_len, &ts)) != 0)
				return rc;
			cs.time[i] = ts;
			/* now + skew cannot wrap: both are far below 2^64. */
			if (ts > now + PT_COSIG_SKEW_S)
				cs.future |= UINT64_C(1) << i;
			else
				cs.counted |= UINT64_C(1) << i;
		}
	}
	cs.done = 1;
	*out = cs;
	return 0;
}

/* Append "; <name> cannot be verified here (...)" for unverifiable
 * witnesses to why, as room allows. */
static void
why_unverifiable(const struct pol *p, const struct pol_cosigs *cs,
    struct pt_why *why)
{
	size_t i, len;

	if (why == NULL)
		return;
	for (i = 0; i < p->nwit; i++) {
		if (!((cs->unverifiable >> i) & 1))
			continue;
		len = strlen(why->text);
		snprintf(why->text + len, sizeof(why->text) - len,
		    "; %s: %s cannot be verified here, not counted",
		    p->wit[i].name, note_alg_name(p->wit[i].key.alg));
	}
}

int
pol_check_checkpoint(const struct pol *p, const char *note, size_t len,
    const struct note_vkey *logkey, uint64_t now, struct ckpt *out,
    struct pol_cosigs *csout, struct pt_why *why)
{
	const struct note_vkey *lk = logkey;
	char origin[PT_MAX_ORIGIN + 1];
	struct pol_cosigs cs;
	struct note *n;
	size_t i;
	int rc, found;

	memset(&cs, 0, sizeof(cs));
	if (csout != NULL)
		*csout = cs;
	if (lk != NULL && p->nlogs > 0) {
		for (found = 0, i = 0; i < p->nlogs; i++)
			if (same_key(&p->logs[i].key, lk))
				found = 1;
		if (!found)
			return pt_why_set(why, PT_EUNKNOWNSIGNER,
			    "the log key is not one of the policy's logs");
	}
	if (lk == NULL) {
		if (note_origin(note, len, origin, sizeof(origin)) != 0)
			return pt_why_set(why, PT_EMALFORMED,
			    "not a checkpoint");
		for (i = 0; i < p->nlogs; i++)
			if (strcmp(p->logs[i].key.name, origin) == 0)
				lk = &p->logs[i].key;
		if (lk == NULL)
			return pt_why_set(why, PT_EUNKNOWNSIGNER,
			    "the policy lists no log for origin %s", origin);
	}
	if ((n = malloc(sizeof(*n))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	if ((rc = note_parse(note, len, n)) != 0 ||
	    (rc = ckpt_open_note(n, lk, out)) != 0) {
		free(n);
		return pt_why_set(why, rc, "checkpoint: %s", pt_strerror(rc));
	}
	rc = pol_cosigs(p, n, now, &cs);
	free(n);
	if (rc != 0)
		return pt_why_set(why, rc, "checkpoint: a policy witness's "
		    "cosignature: %s", pt_strerror(rc));
	if (csout != NULL)
		*csout = cs;
	if (pol_quorum_met(p, cs.counted))
		return 0;
	if (pol_quorum_met(p, cs.counted | cs.future))
		rc = pt_why_set(why, PT_ETIME, "witness quorum not met: "
		    "cosignatures dated in the future");
	else
		rc = pt_why_set(why, PT_EUNKNOWNSIGNER, "witness quorum not "
		    "met (%d of %zu policy witnesses counted)",
		    __builtin_popcountll(cs.counted), p->nwit);
	why_unverifiable(p, &cs, why);
	return rc;
}
