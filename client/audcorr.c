/* audcorr.c: the audit's check of the corrections index.  See audcorr.h. */
#include <stdlib.h>
#include <string.h>

#include "audcorr.h"
#include "crypto.h"
#include "cstatus.h"
#include "ptlimits.h"
#include "record.h"

#define MSGPACK "application/msgpack"

struct pair {
	uint64_t t, c;
	uint8_t is_void, seen, have;
	uint8_t leaf[32], sid[32];	/* the target's, once it passed */
};

struct later {			/* a correction of a target before the run */
	uint64_t t, c;
	struct mt_hash hash;	/* its target_leaf_hash */
	uint8_t sid[32];
};

struct aud_corr {
	struct pair *p;
	size_t n, cap;
	size_t cur;		/* first pair with t >= the entry passing */
	int absent;		/* the server has no /corrections */
	struct later *l;
	size_t nl, capl;
};

int
aud_corr_new(struct aud_corr **out)
{
	return (*out = calloc(1, sizeof(**out))) == NULL ? PT_ENOMEM : 0;
}

void
aud_corr_free(struct aud_corr *ac)
{
	if (ac == NULL)
		return;
	free(ac->p);
	free(ac->l);
	free(ac);
}

static int
push(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		void *q = realloc(*arr, nc * size);

		if (q == NULL)
			return PT_ENOMEM;
		*arr = q;
		*cap = nc;
	}
	(*n)++;
	return 0;
}

/* One page {corrections: [[t, c, kind]...], more: 0|1}. */
static int
page_decode(struct aud_corr *ac, const struct ckpt *ck, const uint8_t *buf,
    size_t len, int *more, uint64_t *last_t, uint64_t *last_c)
{
	struct wire_cur c;
	size_t np, na, n3;
	int have = 0;

	if (wire_check_canonical(buf, len, NULL) != 0)
		return PT_EMALFORMED;
	wire_cur_init(&c, buf, len);
	if (wire_cur_map(&c, &np) != 0 || np != 2)
		return PT_EMALFORMED;
	for (size_t i = 0; i < np; i++) {
		const char *k;
		size_t kl;
		uint64_t v;

		if (wire_cur_str(&c, &k, &kl) != 0)
			return PT_EMALFORMED;
		if (kl == 4 && memcmp(k, "more", 4) == 0) {
			if (wire_cur_uint(&c, &v) != 0 || v > 1)
				return PT_EMALFORMED;
			*more = (int)v;
			have |= 1;
			continue;
		}
		if (kl != 11 || memcmp(k, "corrections", 11) != 0 ||
		    wire_cur_array(&c, &na) != 0 ||
		    na > PT_MAX_CORRECTIONS_PAGE)
			return PT_EMALFORMED;
		have |= 2;
		for (size_t j = 0; j < na; j++) {
			uint64_t t, x;
			const char *kind;
			size_t klen;
			struct pair *p;
			int rc;

			if (wire_cur_array(&c, &n3) != 0 || n3 != 3 ||
			    wire_cur_uint(&c, &t) != 0 ||
			    wire_cur_uint(&c, &x) != 0 ||
			    wire_cur_str(&c, &kind, &klen) != 0 ||
			    !((klen == 4 && memcmp(kind, "void", 4) == 0) ||
			    (klen == 5 && memcmp(kind, "amend", 5) == 0)))
				return PT_EMALFORMED;
			/* key order, each correction after its target */
			if (x <= t || t < *last_t || (t == *last_t &&
			    x <= *last_c && (*last_t | *last_c) != 0))
				return PT_EANSWER;
			*last_t = t;
			*last_c = x;
			if (t >= ck->size)
				continue;
			if (x >= ck->size)
				continue;	/* beyond the signed tree */
			if (ac->n >= AUD_CORR_MAX)
				return PT_ETOOBIG;
			if ((rc = push((void **)&ac->p, &ac->n, &ac->cap,
			    sizeof(*ac->p))) != 0)
				return rc;
			p = &ac->p[ac->n - 1];
			memset(p, 0, sizeof(*p));
			p->t = t;
			p->c = x;
			p->is_void = klen == 4;
		}
	}
	return have == 3 ? 0 : PT_EMALFORMED;
}

int
aud_corr_load(struct aud_corr *ac, struct logc *lc, const struct ckpt *ck,
    struct pt_why *why)
{
	uint64_t lt = 0, lx = 0;
	struct hcli_resp r;
	char path[96];
	int more = 1, rc;

	ac->n = ac->cur = ac->nl = 0;
	ac->absent = 0;
	if (lc->tiles_only) {
		ac->absent = 1;
		return 0;
	}
	while (more) {
		if (ac->n == 0 && lt == 0 && lx == 0)
			snprintf(path, sizeof(path), "/corrections");
		else
			snprintf(path, sizeof(path), "/corrections?target=%llu"
			    "&index=%llu", (unsigned long long)lt,
			    (unsigned long long)lx + 1);
		hcli_get(lc->http, path, MSGPACK, PT_ANSWER_CORRECTION_PAGE,
		    &r);
		rc = logc_status(&r, "GET /corrections", why);
		if (rc == PT_ENOTFOUND) {
			hcli_resp_free(&r);
			ac->absent = 1;
			ac->n = 0;
			return 0;
		}
		if (rc == 0) {
			size_t before = ac->n;

			rc = page_decode(ac, ck, r.body, r.len, &more, &lt,
			    &lx);
			if (rc == PT_EMALFORMED)
				rc = pt_why_set(why, PT_ENET, "GET %s: "
				    "malformed answer", path);
			else if (rc == PT_EANSWER)
				rc = pt_why_set(why, PT_EANSWER, "GET %s: the "
				    "log's corrections are out of order, or "
				    "one comes before its target", path);
			else if (rc == PT_ETOOBIG)
				rc = pt_why_set(why, rc, "more than %u "
				    "corrections", AUD_CORR_MAX);
			if (rc == 0 && more && r.len < 16 && before == ac->n)
				rc = pt_why_set(why, PT_ENET, "GET %s: more, "
				    "but an empty page", path);
		}
		hcli_resp_free(&r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The pair (t, c), or NULL.  O(log n). */
static struct pair *
find(const struct aud_corr *ac, uint64_t t, uint64_t c)
{
	size_t lo = 0, hi = ac->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pair *p = &ac->p[mid];

		if (p->t < t || (p->t == t && p->c < c))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ac->n && ac->p[lo].t == t && ac->p[lo].c == c ?
	    &ac->p[lo] : NULL;
}

int
aud_corr_entry(struct aud_corr *ac, uint64_t index,
    const struct mt_hash *leaf, const struct wire_entry *e, uint64_t start,
    struct pt_why *why)
{
	const struct record_info *ci = &e->sub.info;
	uint8_t sid[32];
	struct pair *p;
	struct pt_why w = { "" };
	size_t k;
	int rc;

	wire_submitter_id(e->sub.submitter_str, e->sub.submitter_len, sid);
	/* A listed target passing: note its leaf hash and office. */
	while (ac->cur < ac->n && ac->p[ac->cur].t < index)
		ac->cur++;
	for (k = ac->cur; k < ac->n && ac->p[k].t == index; k++) {
		memcpy(ac->p[k].leaf, leaf->b, 32);
		memcpy(ac->p[k].sid, sid, 32);
		ac->p[k].have = 1;
	}
	if (ci->type != RECORD_CORRECTION)
		return 0;
	if (!ac->absent) {
		if ((p = find(ac, ci->target_index, index)) == NULL)
			return pt_why_set(why, PT_EANSWER, "entry %llu is a "
			    "correction of entry %llu that the log's "
			    "corrections index (GET /corrections) leaves out",
			    (unsigned long long)index,
			    (unsigned long long)ci->target_index);
		if (p->is_void != (ci->action_void != 0))
			return pt_why_set(why, PT_EANSWER, "the log's "
			    "corrections index lists entry %llu as %s, it "
			    "%s", (unsigned long long)index, p->is_void ?
			    "a void" : "an amendment", ci->action_void ?
			    "voids" : "amends");
		p->seen = 1;
		if (p->have) {
			struct mt_hash tl;

			memcpy(tl.b, p->leaf, 32);
			if ((rc = cst_applies(p->t, &tl, p->sid, index, e,
			    &w)) != 0)
				return pt_why_set(why, rc, "a correction the "
				    "log should have refused: %s", w.text);
			return 0;
		}
	}
	if (ci->target_index >= start && ci->target_index < index &&
	    ac->absent == 0)
		return pt_why_set(why, PT_EANSWER, "entry %llu: its target "
		    "%llu was not noted", (unsigned long long)index,
		    (unsigned long long)ci->target_index);
	/* A target before this run (or no index to note it by): checked
	 * at the end against the target fetched and proven. */
	if ((rc = push((void **)&ac->l, &ac->nl, &ac->capl,
	    sizeof(*ac->l))) != 0)
		return rc;
	ac->l[ac->nl - 1].t = ci->target_index;
	ac->l[ac->nl - 1].c = index;
	ac->l[ac->nl - 1].hash = ci->target_hash;
	memcpy(ac->l[ac->nl - 1].sid, sid, 32);
	return 0;
}

int
aud_corr_finish(struct aud_corr *ac, struct logc *lc, const struct ckpt *ck,
    uint64_t start, struct pt_why *why)
{
	struct pt_why w = { "" };
	int rc;

	for (size_t i = 0; i < ac->n; i++)
		if (ac->p[i].c >= start && !ac->p[i].seen)
			return pt_why_set(why, PT_EANSWER, "the log lists "
			    "entry %llu as a correction of entry %llu: it is "
			    "not one", (unsigned long long)ac->p[i].c,
			    (unsigned long long)ac->p[i].t);
	for (size_t i = 0; i < ac->nl; i++) {
		struct later *l = &ac->l[i];
		struct wire_entry te;
		struct mt_hash leaf;
		uint8_t *tb = NULL, tsid[32];
		size_t tl;

		if (l->t >= l->c)
			return pt_why_set(why, PT_EANSWER, "entry %llu corrects "
			    "entry %llu, which does not come before it",
			    (unsigned long long)l->c, (unsigned long long)l->t);
		if ((rc = logc_entry(lc, l->t, ck, &tb, &tl, &te, why)) != 0)
			return rc;
		mt_leaf_hash(tb, tl, &leaf);
		wire_submitter_id(te.sub.submitter_str, te.sub.submitter_len,
		    tsid);
		free(tb);
		if (cr_memcmp(leaf.b, l->hash.b, 32) != 0)
			return pt_why_set(why, PT_EANSWER, "entry %llu names "
			    "another leaf hash than entry %llu's: a correction "
			    "the log should have refused",
			    (unsigned long long)l->c, (unsigned long long)l->t);
		if (cr_memcmp(tsid, l->sid, 32) != 0)
			return pt_why_set(why, PT_EANSWER, "entry %llu corrects "
			    "entry %llu of another office: a correction the "
			    "log should have refused", (unsigned long long)l->c,
			    (unsigned long long)l->t);
	}
	(void)w;
	return 0;
}

int
aud_corr_status(const struct aud_corr *ac, uint64_t index, int *is_void,
    uint64_t *by)
{
	size_t lo = 0, hi = ac->n;

	if (ac->absent)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ac->p[mid].t <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo: first pair with t > index; the one before is the last of
	 * index's, if any */
	if (lo == 0 || ac->p[lo - 1].t != index)
		return 0;
	*is_void = ac->p[lo - 1].is_void;
	*by = ac->p[lo - 1].c;
	return 1;
}
