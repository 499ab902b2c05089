/*
 * test_mt.c: RFC 9162 Merkle trees.
 *
 * Known answers: the RFC 6962 test tree of 8 leaves as published in
 * transparency-dev/merkle (testonly/constants.go, proof/verify_test.go):
 * every node hash, the roots of sizes 1..8, and the published inclusion and
 * consistency proofs.  Properties: for every size 1..128 and every index and
 * (old, new) pair, the proofs we generate from stored subtrees equal the
 * RFC's recursive definitions computed naively over all leaves, verify, and
 * stop verifying after any one corruption.  Edge cases from RELIABILITY.md.
 * Huge trees (up to PT_MAX_TREE_SIZE) use a tree whose leaves are all equal,
 * so that a subtree hash depends only on its level.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ptlimits.h"
#include "mt.h"
#include "pt.h"

/* ---------------------------------------------------------------- helpers */

/*
 * Check's ck_assert_* report every passing assertion to the parent process
 * (a pipe write each); the property loops run millions of them, so they use
 * these silent-when-passing forms.
 */
#define CHECK_EQ(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_)							\
		ck_abort_msg("%s:%d: %s is %lld, want %lld", __FILE__,	\
		    __LINE__, #a, a_, b_);				\
} while (0)
#define CHECK(e) do {							\
	if (!(e))							\
		ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #e); \
} while (0)
#define CHECK_MEM_EQ(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

static struct mt_hash
hx(const char *hex)
{
	struct mt_hash h;

	CHECK_EQ(cr_hex_decode(hex, 64, h.b, 32), 0);
	return h;
}

static const char *rfc_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

/* transparency-dev/merkle testonly NodeHashes(): [level][index]. */
static const char *kat_nodes[4][8] = {
	{
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
	"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
	}, {
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	}, {
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}, {
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	},
};

/* RootHashes(), sizes 0..8. */
static const char *kat_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/*
 * Array-backed store: level L holds hashes of subtrees (L, n).  limit is the
 * tree size the caller named; a read outside it is a test failure (the API
 * promises the reader is only asked for subtrees inside the tree).
 */
#define MAXLEAVES 256
#define MAXLEVEL 9

struct store {
	struct mt_hash h[MAXLEVEL][MAXLEAVES];
	uint64_t count[MAXLEVEL];
	uint64_t size;		/* leaves appended */
	uint64_t limit;		/* tree size the current call names */
	unsigned reads;
	int fail;		/* return this from every read when nonzero */
};

static int
store_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct store *s = ctx;

	s->reads++;
	if (s->fail)
		return s->fail;
	CHECK(level < MAXLEVEL);
	CHECK(n < s->count[level]);
	CHECK((n + 1) << level <= s->limit);
	*out = s->h[level][n];
	return 0;
}

static void
store_append(struct store *s, const struct mt_reader *r,
    const struct mt_hash *leaf)
{
	struct mt_stored st[64];
	size_t c, i;

	s->limit = s->size;
	CHECK_EQ(mt_append(r, s->size, leaf, st, &c), 0);
	for (i = 0; i < c; i++) {
		CHECK(st[i].level < MAXLEVEL);
		CHECK_EQ(st[i].n, s->count[st[i].level]);
		s->h[st[i].level][st[i].n] = st[i].hash;
		s->count[st[i].level]++;
	}
	s->size++;
}

static struct store *
store_new(struct mt_reader *r)
{
	struct store *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	r->read = store_read;
	r->ctx = s;
	return s;
}

/* Leaf data for the property tests: distinct, varied lengths. */
static void
leaf_data(unsigned i, uint8_t *buf, size_t *len)
{
	size_t j;

	*len = i % 13;
	for (j = 0; j < *len; j++)
		buf[j] = (uint8_t)(i * 7 + j);
	if (*len == 0 && i != 0) {
		buf[0] = (uint8_t)i;
		buf[1] = (uint8_t)(i >> 8);
		*len = 2;
	}
}

/* -------------------------------------------- the RFC, naively, recursively */

static uint64_t
naive_k(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static struct mt_hash
naive_mth(const struct mt_hash *lh, uint64_t lo, uint64_t hi)
{
	struct mt_hash l, r, out;
	uint64_t k;

	if (hi == lo) {
		mt_empty_root(&out);
		return out;
	}
	if (hi - lo == 1)
		return lh[lo];
	k = naive_k(hi - lo);
	l = naive_mth(lh, lo, lo + k);
	r = naive_mth(lh, lo + k, hi);
	CHECK_EQ(mt_node_hash(&l, &r, &out), 0);
	return out;
}

/* PATH(m, D[lo:hi]) appended to p. */
static void
naive_path(const struct mt_hash *lh, uint64_t m, uint64_t lo, uint64_t hi,
    struct mt_hash *p, size_t *n)
{
	uint64_t k;

	if (hi - lo <= 1)
		return;
	k = naive_k(hi - lo);
	if (m < k) {
		naive_path(lh, m, lo, lo + k, p, n);
		p[(*n)++] = naive_mth(lh, lo + k, hi);
	} else {
		naive_path(lh, m - k, lo + k, hi, p, n);
		p[(*n)++] = naive_mth(lh, lo, lo + k);
	}
}

/* SUBPROOF(m, D[lo:hi], b) appended to p. */
static void
naive_subproof(const struct mt_hash *lh, uint64_t m, uint64_t lo,
    uint64_t hi, bool b, struct mt_hash *p, size_t *n)
{
	uint64_t k;

	if (m == hi - lo) {
		if (!b)
			p[(*n)++] = naive_mth(lh, lo, hi);
		return;
	}
	k = naive_k(hi - lo);
	if (m <= k) {
		naive_subproof(lh, m, lo, lo + k, b, p, n);
		p[(*n)++] = naive_mth(lh, lo + k, hi);
	} else {
		naive_subproof(lh, m - k, lo + k, hi, false, p, n);
		p[(*n)++] = naive_mth(lh, lo, lo + k);
	}
}

/* ------------------------------------------------------ known answers */

static void
build_rfc_tree(struct store *s, const struct mt_reader *r,
    struct mt_hash lh[8])
{
	uint8_t d[16];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = strlen(rfc_leaves[i]) / 2;
		CHECK_EQ(cr_hex_decode(rfc_leaves[i], 2 * n, d, n), 0);
		CHECK_EQ(mt_leaf_hash(n ? d : NULL, n, &lh[i]), 0);
		store_append(s, r, &lh[i]);
	}
}

START_TEST(kat_nodes_and_roots)
{
	struct mt_reader r;
	struct store *s = store_new(&r);
	struct mt_hash lh[8], h, want;
	struct mt_frontier f;
	unsigned lv, i, size;

	build_rfc_tree(s, &r, lh);
	/* Every stored complete subtree, as mt_append produced it. */
	for (lv = 0; lv < 4; lv++) {
		CHECK_EQ(s->count[lv], 8u >> lv);
		for (i = 0; i < (8u >> lv); i++) {
			want = hx(kat_nodes[lv][i]);
			CHECK_MEM_EQ(s->h[lv][i].b, want.b, 32);
		}
	}
	mt_frontier_init(&f);
	for (size = 0; size <= 8; size++) {
		want = hx(kat_roots[size]);
		s->limit = size;
		CHECK_EQ(mt_root(&r, size, &h), 0);
		CHECK_MEM_EQ(h.b, want.b, 32);
		CHECK_EQ(mt_frontier_root(&f, &h), 0);
		CHECK_MEM_EQ(h.b, want.b, 32);
		if (size < 8)
			CHECK_EQ(mt_frontier_push(&f, &lh[size]), 0);
	}
	mt_empty_root(&h);
	want = hx(kat_roots[0]);
	CHECK_MEM_EQ(h.b, want.b, 32);
	free(s);
}
END_TEST

/* proof/verify_test.go inclusionProofs (leaf there is 1-based). */
static const struct {
	uint64_t index, size;
	unsigned n;
	const char *p[3];
} kat_incl[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, {
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, {
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, {
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

/* proof/verify_test.go consistencyProofs. */
static const struct {
	uint64_t old, new_size;
	unsigned n;
	const char *p[3];
} kat_cons[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, {
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, {
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3, {
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

START_TEST(kat_inclusion)
{
	struct mt_reader r;
	struct store *s = store_new(&r);
	struct mt_hash lh[8], p[PT_MAX_PROOF], want, root;
	size_t n, i, j;

	build_rfc_tree(s, &r, lh);
	for (i = 0; i < sizeof(kat_incl) / sizeof(kat_incl[0]); i++) {
		s->limit = kat_incl[i].size;
		CHECK_EQ(mt_inclusion_proof(&r, kat_incl[i].index,
		    kat_incl[i].size, p, PT_MAX_PROOF, &n), 0);
		CHECK_EQ(n, kat_incl[i].n);
		for (j = 0; j < n; j++) {
			want = hx(kat_incl[i].p[j]);
			CHECK_MEM_EQ(p[j].b, want.b, 32);
		}
		root = hx(kat_roots[kat_incl[i].size]);
		CHECK_EQ(mt_verify_inclusion(&lh[kat_incl[i].index],
		    kat_incl[i].index, kat_incl[i].size, p, n, &root), 0);
	}
	free(s);
}
END_TEST

START_TEST(kat_consistency)
{
	struct mt_reader r;
	struct store *s = store_new(&r);
	struct mt_hash lh[8], p[PT_MAX_PROOF], want, r1, r2;
	size_t n, i, j;

	build_rfc_tree(s, &r, lh);
	for (i = 0; i < sizeof(kat_cons) / sizeof(kat_cons[0]); i++) {
		s->limit = kat_cons[i].new_size;
		CHECK_EQ(mt_consistency_proof(&r, kat_cons[i].old,
		    kat_cons[i].new_size, p, PT_MAX_PROOF, &n), 0);
		CHECK_EQ(n, kat_cons[i].n);
		for (j = 0; j < n; j++) {
			want = hx(kat_cons[i].p[j]);
			CHECK_MEM_EQ(p[j].b, want.b, 32);
		}
		r1 = hx(kat_roots[kat_cons[i].old]);
		r2 = hx(kat_roots[kat_cons[i].new_size]);
		CHECK_EQ(mt_verify_consistency(kat_cons[i].old,
		    kat_cons[i].new_size, &r1, &r2, p, n), 0);
		if (n > 0)
			CHECK_EQ(mt_verify_consistency(kat_cons[i].old,
			    kat_cons[i].new_size, &r2, &r1, p, n), PT_EPROOF);
	}
	free(s);
}
END_TEST

/* ------------------------------------------------------------ properties */

#define PSIZE 128

struct ptree {
	struct store *s;
	struct mt_reader r;
	struct mt_hash lh[PSIZE];
	struct mt_hash root[PSIZE + 1];
};

static struct ptree *
ptree_new(void)
{
	struct ptree *t = calloc(1, sizeof(*t));
	struct mt_frontier f;
	struct mt_hash h;
	uint8_t d[16];
	size_t len;
	unsigned i;

	ck_assert_ptr_nonnull(t);
	t->s = store_new(&t->r);
	mt_frontier_init(&f);
	for (i = 0; i < PSIZE; i++) {
		leaf_data(i, d, &len);
		CHECK_EQ(mt_leaf_hash(d, len, &t->lh[i]), 0);
		store_append(t->s, &t->r, &t->lh[i]);
		CHECK_EQ(mt_frontier_push(&f, &t->lh[i]), 0);
		CHECK_EQ(f.size, i + 1);
		/* Root three ways: naive, from storage, streaming. */
		t->root[i + 1] = naive_mth(t->lh, 0, i + 1);
		t->s->limit = i + 1;
		t->s->reads = 0;
		CHECK_EQ(mt_root(&t->r, i + 1, &h), 0);
		CHECK(t->s->reads <= 8);	/* popcount(size) */
		CHECK_MEM_EQ(h.b, t->root[i + 1].b, 32);
		CHECK_EQ(mt_frontier_root(&f, &h), 0);
		CHECK_MEM_EQ(h.b, t->root[i + 1].b, 32);
	}
	mt_empty_root(&t->root[0]);
	return t;
}

static void
ptree_free(struct ptree *t)
{
	free(t->s);
	free(t);
}

static int
incl(const struct ptree *t, uint64_t i, uint64_t n, const struct mt_hash *p,
    size_t len)
{
	return mt_verify_inclusion(&t->lh[i], i, n, p, len, &t->root[n]);
}

START_TEST(prop_inclusion)
{
	struct ptree *t = ptree_new();
	struct mt_hash p[PT_MAX_PROOF + 2], q[PT_MAX_PROOF + 2], np[64], x;
	uint64_t n, i;
	size_t len, nlen, j, bit;

	for (n = 1; n <= PSIZE; n++) {
		for (i = 0; i < n; i++) {
			t->s->limit = n;
			t->s->reads = 0;
			CHECK_EQ(mt_inclusion_proof(&t->r, i, n, p,
			    PT_MAX_PROOF, &len), 0);
			CHECK(t->s->reads <= 2 * 7 + 1);
			nlen = 0;
			naive_path(t->lh, i, 0, n, np, &nlen);
			CHECK_EQ(len, nlen);
			CHECK_MEM_EQ(p, np, len * sizeof(p[0]));
			CHECK_EQ(incl(t, i, n, p, len), 0);
			/* Too little room. */
			if (len > 0)
				CHECK_EQ(mt_inclusion_proof(&t->r, i, n,
				    q, len - 1, &nlen), PT_ETOOBIG);

			/* One bit flipped anywhere (every bit for small n). */
			for (j = 0; j < len; j++)
				for (bit = 0; bit < 256;
				    bit += n <= 16 ? 1 : 127) {
					memcpy(q, p, len * sizeof(p[0]));
					q[j].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
					CHECK_EQ(incl(t, i, n, q, len),
					    PT_EPROOF);
				}
			x = t->lh[i];
			x.b[31] ^= 0x80;
			CHECK_EQ(mt_verify_inclusion(&x, i, n, p, len,
			    &t->root[n]), PT_EPROOF);
			x = t->root[n];
			x.b[0] ^= 1;
			CHECK_EQ(mt_verify_inclusion(&t->lh[i], i, n, p,
			    len, &x), PT_EPROOF);
			/* A hash dropped (first, last) or added (front, back). */
			if (len > 0) {
				CHECK_EQ(incl(t, i, n, p, len - 1),
				    PT_EPROOF);
				CHECK_EQ(incl(t, i, n, p + 1, len - 1),
				    PT_EPROOF);
			}
			memcpy(q, p, len * sizeof(p[0]));
			q[len] = t->root[n];
			CHECK_EQ(incl(t, i, n, q, len + 1), PT_EPROOF);
			memset(&q[len], 0, sizeof(q[0]));
			CHECK_EQ(incl(t, i, n, q, len + 1), PT_EPROOF);
			q[0] = t->root[n];
			memcpy(q + 1, p, len * sizeof(p[0]));
			CHECK_EQ(incl(t, i, n, q, len + 1), PT_EPROOF);
			/* Wrong index. */
			if (i > 0)
				CHECK_EQ(mt_verify_inclusion(&t->lh[i],
				    i - 1, n, p, len, &t->root[n]), PT_EPROOF);
			if (i + 1 < n)
				CHECK_EQ(mt_verify_inclusion(&t->lh[i],
				    i + 1, n, p, len, &t->root[n]), PT_EPROOF);
			if ((i ^ 2) < n)
				CHECK_EQ(mt_verify_inclusion(&t->lh[i],
				    i ^ 2, n, p, len, &t->root[n]), PT_EPROOF);
			/* Wrong size: the shape changes, the proof fails. */
			CHECK_EQ(mt_verify_inclusion(&t->lh[i], i,
			    n * 2, p, len, &t->root[n]), PT_EPROOF);
			CHECK_EQ(mt_verify_inclusion(&t->lh[i], i,
			    n / 2, p, len, &t->root[n]),
			    i < n / 2 ? PT_EPROOF : PT_ERANGE);
			/* Another leaf's proof for this leaf. */
			if (i + 1 < n) {
				CHECK_EQ(mt_inclusion_proof(&t->r, i + 1,
				    n, q, PT_MAX_PROOF, &nlen), 0);
				CHECK_EQ(incl(t, i, n, q, nlen),
				    PT_EPROOF);
			}
		}
	}
	ptree_free(t);
}
END_TEST

static int
cons(const struct ptree *t, uint64_t m, uint64_t n, const struct mt_hash *p,
    size_t len)
{
	return mt_verify_consistency(m, n, &t->root[m], &t->root[n], p, len);
}

START_TEST(prop_consistency)
{
	struct ptree *t = ptree_new();
	struct mt_hash p[PT_MAX_PROOF + 2], q[PT_MAX_PROOF + 2], np[64];
	uint64_t m, n;
	size_t len, nlen, j, bit;

	for (n = 1; n <= PSIZE; n++) {
		for (m = 1; m <= n; m++) {
			t->s->limit = n;
			t->s->reads = 0;
			CHECK_EQ(mt_consistency_proof(&t->r, m, n, p,
			    PT_MAX_PROOF, &len), 0);
			CHECK(t->s->reads <= 2 * 8 + 1);
			nlen = 0;
			naive_subproof(t->lh, m, 0, n, true, np, &nlen);
			CHECK_EQ(len, nlen);
			CHECK_MEM_EQ(p, np, len * sizeof(p[0]));
			CHECK_EQ(cons(t, m, n, p, len), 0);
			if (m == n) {
				CHECK_EQ(len, 0);
				/* Equal sizes: only equal roots, empty proof. */
				CHECK_EQ(mt_verify_consistency(m, n,
				    &t->root[m], &t->root[m - 1], p, 0),
				    PT_EPROOF);
				q[0] = t->root[m];
				CHECK_EQ(cons(t, m, n, q, 1), PT_EPROOF);
				continue;
			}
			CHECK(len >= 1);
			CHECK_EQ(mt_consistency_proof(&t->r, m, n, q,
			    len - 1, &nlen), PT_ETOOBIG);
			for (j = 0; j < len; j++)
				for (bit = 0; bit < 256;
				    bit += n <= 16 ? 1 : 127) {
					memcpy(q, p, len * sizeof(p[0]));
					q[j].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
					CHECK_EQ(cons(t, m, n, q, len),
					    PT_EPROOF);
				}
			/* Roots wrong or swapped; empty proof. */
			CHECK_EQ(mt_verify_consistency(m, n,
			    &t->root[n], &t->root[m], p, len), PT_EPROOF);
			CHECK_EQ(mt_verify_consistency(m, n,
			    &t->root[m - 1], &t->root[n], p, len), PT_EPROOF);
			CHECK_EQ(mt_verify_consistency(m, n,
			    &t->root[m], &t->root[n - 1], p, len), PT_EPROOF);
			CHECK_EQ(cons(t, m, n, p, 0), PT_EPROOF);
			/* A hash dropped or added. */
			CHECK_EQ(cons(t, m, n, p, len - 1), PT_EPROOF);
			CHECK_EQ(cons(t, m, n, p + 1, len - 1),
			    PT_EPROOF);
			memcpy(q, p, len * sizeof(p[0]));
			q[len] = t->root[n];
			CHECK_EQ(cons(t, m, n, q, len + 1), PT_EPROOF);
			q[len] = t->root[m];
			CHECK_EQ(cons(t, m, n, q, len + 1), PT_EPROOF);
			q[0] = t->root[m];
			memcpy(q + 1, p, len * sizeof(p[0]));
			CHECK_EQ(cons(t, m, n, q, len + 1), PT_EPROOF);
			q[0] = p[0];
			CHECK_EQ(cons(t, m, n, q, len + 1), PT_EPROOF);
			/* Wrong sizes (roots kept). */
			CHECK_EQ(mt_verify_consistency(m - 1, n,
			    &t->root[m], &t->root[n], p, len), PT_EPROOF);
			CHECK_EQ(mt_verify_consistency(m + 1, n,
			    &t->root[m], &t->root[n], p, len), PT_EPROOF);
			if ((m ^ 2) <= n)
				CHECK_EQ(mt_verify_consistency(m ^ 2,
				    n, &t->root[m], &t->root[n], p, len),
				    PT_EPROOF);
			CHECK_EQ(mt_verify_consistency(m, n * 2,
			    &t->root[m], &t->root[n], p, len), PT_EPROOF);
			if (n / 2 >= m)
				CHECK_EQ(mt_verify_consistency(m,
				    n / 2, &t->root[m], &t->root[n], p, len),
				    PT_EPROOF);
		}
	}
	ptree_free(t);
}
END_TEST

/* Generated range hashes equal MTH(D[lo:hi]); unaligned ranges refused. */
START_TEST(range_hash)
{
	struct ptree *t = ptree_new();
	struct mt_hash h, want;
	uint64_t lo, hi, k;
	int rc;

	t->s->limit = PSIZE;
	for (lo = 0; lo < PSIZE; lo++)
		for (hi = lo + 1; hi <= PSIZE; hi++) {
			rc = mt_range_hash(&t->r, lo, hi, &h);
			k = hi - lo == 1 ? 1 : naive_k(hi - lo);
			if (lo % k != 0) {
				CHECK_EQ(rc, PT_EINVAL);
				continue;
			}
			CHECK_EQ(rc, 0);
			want = naive_mth(t->lh, lo, hi);
			CHECK_MEM_EQ(h.b, want.b, 32);
		}
	CHECK_EQ(mt_range_hash(&t->r, 5, 5, &h), PT_EINVAL);
	CHECK_EQ(mt_range_hash(&t->r, 6, 5, &h), PT_EINVAL);
	CHECK_EQ(mt_range_hash(&t->r, 0, PT_MAX_TREE_SIZE + 1, &h),
	    PT_ERANGE);
	ptree_free(t);
}
END_TEST

/* ------------------------------------------------------------ edge cases */

START_TEST(edges)
{
	struct ptree *t = ptree_new();
	struct mt_hash p[PT_MAX_PROOF + 1], e, h;
	size_t len = 99;

	mt_empty_root(&e);
	t->s->limit = PSIZE;
	/* Size 0. */
	CHECK_EQ(mt_root(&t->r, 0, &h), 0);
	CHECK_MEM_EQ(h.b, e.b, 32);
	CHECK_EQ(mt_inclusion_proof(&t->r, 0, 0, p, 64, &len),
	    PT_ERANGE);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0, 0, p, 0, &e),
	    PT_ERANGE);
	/* Size 1: the root is the leaf hash, the proof is empty. */
	CHECK_EQ(mt_inclusion_proof(&t->r, 0, 1, p, 0, &len), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0, 1, NULL, 0,
	    &t->lh[0]), 0);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0, 1, NULL, 0,
	    &t->lh[1]), PT_EPROOF);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0, 1, &t->lh[0], 1,
	    &t->lh[0]), PT_EPROOF);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 1, 1, NULL, 0,
	    &t->lh[0]), PT_ERANGE);
	/* index >= size. */
	CHECK_EQ(mt_inclusion_proof(&t->r, 7, 7, p, 64, &len),
	    PT_ERANGE);
	CHECK_EQ(mt_inclusion_proof(&t->r, 8, 7, p, 64, &len),
	    PT_ERANGE);
	CHECK_EQ(mt_verify_inclusion(&t->lh[6], 7, 7, p, 3,
	    &t->root[7]), PT_ERANGE);
	/* Oversized trees and proofs. */
	CHECK_EQ(mt_root(&t->r, PT_MAX_TREE_SIZE + 1, &h), PT_ERANGE);
	CHECK_EQ(mt_inclusion_proof(&t->r, 0, PT_MAX_TREE_SIZE + 1,
	    p, 64, &len), PT_ERANGE);
	CHECK_EQ(mt_consistency_proof(&t->r, 1, PT_MAX_TREE_SIZE + 1,
	    p, 64, &len), PT_ERANGE);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0,
	    PT_MAX_TREE_SIZE + 1, p, 63, &e), PT_ERANGE);
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0, UINT64_MAX, p, 64,
	    &e), PT_ERANGE);
	CHECK_EQ(mt_verify_consistency(1, PT_MAX_TREE_SIZE + 1, &e, &e,
	    p, 2), PT_ERANGE);
	memset(p, 0, sizeof(p));
	CHECK_EQ(mt_verify_inclusion(&t->lh[0], 0, 5, p,
	    PT_MAX_PROOF + 1, &e), PT_EPROOF);
	CHECK_EQ(mt_verify_consistency(3, 5, &e, &e, p,
	    PT_MAX_PROOF + 1), PT_EPROOF);
	/* old == 0: never, not even an empty proof with equal roots. */
	CHECK_EQ(mt_verify_consistency(0, 0, &e, &e, NULL, 0),
	    PT_EPROOF);
	CHECK_EQ(mt_verify_consistency(0, 5, &e, &t->root[5], NULL, 0),
	    PT_EPROOF);
	CHECK_EQ(mt_verify_consistency(0, 1, &e, &t->root[1], NULL, 0),
	    PT_EPROOF);
	CHECK_EQ(mt_verify_consistency(0, 1, &e, &t->root[1],
	    &t->root[1], 1), PT_EPROOF);
	CHECK_EQ(mt_consistency_proof(&t->r, 0, 5, p, 64, &len),
	    PT_ERANGE);
	CHECK_EQ(mt_consistency_proof(&t->r, 0, 0, p, 64, &len),
	    PT_ERANGE);
	/* old > new. */
	CHECK_EQ(mt_consistency_proof(&t->r, 6, 5, p, 64, &len),
	    PT_ERANGE);
	CHECK_EQ(mt_verify_consistency(6, 5, &t->root[6], &t->root[5],
	    NULL, 0), PT_ERANGE);
	CHECK_EQ(mt_verify_consistency(1, 0, &t->root[1], &e,
	    NULL, 0), PT_ERANGE);
	/* old == new. */
	CHECK_EQ(mt_consistency_proof(&t->r, 5, 5, p, 64, &len), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(mt_verify_consistency(5, 5, &t->root[5], &t->root[5],
	    NULL, 0), 0);
	CHECK_EQ(mt_verify_consistency(5, 5, &t->root[5], &t->root[4],
	    NULL, 0), PT_EPROOF);
	/* A 1 -> 2 proof (Trillian once got it wrong): exactly [leaf 1]. */
	t->s->limit = 2;
	CHECK_EQ(mt_consistency_proof(&t->r, 1, 2, p, 64, &len), 0);
	CHECK_EQ(len, 1);
	CHECK_MEM_EQ(p[0].b, t->lh[1].b, 32);
	CHECK_EQ(cons(t, 1, 2, p, 1), 0);
	CHECK_EQ(cons(t, 1, 2, p, 0), PT_EPROOF);
	ptree_free(t);
}
END_TEST

/* A reader error passes through unchanged. */
START_TEST(reader_errors)
{
	struct ptree *t = ptree_new();
	struct mt_hash p[64], h;
	struct mt_stored st[64];
	size_t len, c;

	t->s->limit = PSIZE;
	t->s->fail = PT_EIO;
	CHECK_EQ(mt_root(&t->r, 5, &h), PT_EIO);
	CHECK_EQ(mt_range_hash(&t->r, 0, 1, &h), PT_EIO);
	CHECK_EQ(mt_inclusion_proof(&t->r, 2, 5, p, 64, &len), PT_EIO);
	CHECK_EQ(mt_consistency_proof(&t->r, 2, 5, p, 64, &len),
	    PT_EIO);
	CHECK_EQ(mt_append(&t->r, 3, &t->lh[0], st, &c), PT_EIO);
	t->s->fail = PT_ECORRUPT;
	CHECK_EQ(mt_root(&t->r, 128, &h), PT_ECORRUPT);
	/* No read needed: no error. */
	CHECK_EQ(mt_append(&t->r, 4, &t->lh[0], st, &c), 0);
	CHECK_EQ(c, 1);
	CHECK_EQ(mt_inclusion_proof(&t->r, 0, 1, p, 64, &len), 0);
	CHECK_EQ(mt_append(&t->r, PT_MAX_TREE_SIZE, &t->lh[0], st, &c),
	    PT_ERANGE);
	ptree_free(t);
}
END_TEST

/* ------------------------------------------- huge trees of identical leaves */

struct uniform {
	struct mt_hash lvl[64];	/* hash of any complete subtree at level L */
	uint64_t size;
	unsigned reads;
};

static int
uniform_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out)
{
	struct uniform *u = ctx;

	u->reads++;
	CHECK(level < 64);
	CHECK(n <= (u->size >> level) - 1);
	*out = u->lvl[level];
	return 0;
}

/* Subtree pushes: a frontier fed 2^L-leaf subtree roots (naive_mth) and
 * single leaves, mixed, has the roots of one fed leaves only; a subtree
 * at a size not a multiple of 2^L is refused. */
START_TEST(frontier_subtrees)
{
	struct mt_hash lh[1100], h, want;
	struct mt_frontier f;
	uint8_t d[16];
	size_t len;
	uint64_t at = 0;
	static const unsigned plan[] = { 8, 0, 0, 1, 2, 3, 4, 0, 5, 6, 7, 8 };

	for (unsigned i = 0; i < 1100; i++) {
		leaf_data(i, d, &len);
		CHECK_EQ(mt_leaf_hash(d, len, &lh[i]), 0);
	}
	mt_frontier_init(&f);
	for (unsigned p = 0; p < sizeof(plan) / sizeof(plan[0]); p++) {
		uint64_t w = (uint64_t)1 << plan[p];

		/* Pad with single leaves up to a multiple of 2^L. */
		while (at % w != 0) {
			CHECK_EQ(mt_frontier_push_subtree(&f, plan[p],
			    &lh[at]), PT_ERANGE);
			CHECK_EQ(mt_frontier_push(&f, &lh[at]), 0);
			at++;
		}
		ck_assert_uint_le(at + w, 1100);
		h = naive_mth(lh, at, at + w);
		CHECK_EQ(mt_frontier_push_subtree(&f, plan[p], &h), 0);
		at += w;
		CHECK_EQ(f.size, at);
		CHECK_EQ(mt_frontier_root(&f, &h), 0);
		want = naive_mth(lh, 0, at);
		CHECK_MEM_EQ(h.b, want.b, 32);
	}
	CHECK_EQ(mt_frontier_push_subtree(&f, 63, &h), PT_EINVAL);
}
END_TEST

START_TEST(huge_trees)
{
	static const uint64_t sizes[] = {
		PT_MAX_TREE_SIZE, PT_MAX_TREE_SIZE - 1, (1ULL << 61) + 1,
		0x2aaaaaaaaaaaaaabULL, 0x1555555555555555ULL, 1000000007ULL,
	};
	struct uniform u;
	struct mt_reader r = { uniform_read, &u };
	struct mt_hash p[PT_MAX_PROOF + 1], r1, r2, leaf;
	struct mt_frontier f;
	uint64_t n, idx[4], old[4];
	size_t i, j, len;
	unsigned l;

	CHECK_EQ(mt_leaf_hash("x", 1, &u.lvl[0]), 0);
	for (l = 1; l < 64; l++)
		CHECK_EQ(mt_node_hash(&u.lvl[l - 1], &u.lvl[l - 1],
		    &u.lvl[l]), 0);
	leaf = u.lvl[0];
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		u.size = n;
		CHECK_EQ(mt_root(&r, n, &r2), 0);
		idx[0] = 0;
		idx[1] = n - 1;
		idx[2] = n / 2;
		idx[3] = n - 2;
		for (j = 0; j < 4; j++) {
			u.reads = 0;
			CHECK_EQ(mt_inclusion_proof(&r, idx[j], n, p,
			    PT_MAX_PROOF, &len), 0);
			CHECK(u.reads <= 2 * 62);
			CHECK(len <= 62);
			CHECK_EQ(mt_verify_inclusion(&leaf, idx[j], n,
			    p, len, &r2), 0);
			p[len / 2].b[3] ^= 4;
			CHECK_EQ(mt_verify_inclusion(&leaf, idx[j], n,
			    p, len, &r2), PT_EPROOF);
		}
		old[0] = 1;
		old[1] = n - 1;
		old[2] = n / 3 + 1;
		old[3] = n > (1ULL << 40) ? 1ULL << 40 : n - 3;
		for (j = 0; j < 4; j++) {
			u.size = n;
			u.reads = 0;
			CHECK_EQ(mt_consistency_proof(&r, old[j], n, p,
			    PT_MAX_PROOF, &len), 0);
			CHECK(u.reads <= 2 * 63);
			CHECK(len <= 63);
			u.size = old[j];
			CHECK_EQ(mt_root(&r, old[j], &r1), 0);
			CHECK_EQ(mt_verify_consistency(old[j], n, &r1,
			    &r2, p, len), 0);
			CHECK_EQ(mt_verify_consistency(old[j], n, &r1,
			    &r2, p, len - 1), PT_EPROOF);
			p[len - 1].b[0] ^= 1;
			CHECK_EQ(mt_verify_consistency(old[j], n, &r1,
			    &r2, p, len), PT_EPROOF);
		}
	}
	/* The frontier stops at PT_MAX_TREE_SIZE. */
	mt_frontier_init(&f);
	f.size = PT_MAX_TREE_SIZE - 1;
	f.count = 62;
	for (l = 0; l < 62; l++)
		f.h[l] = u.lvl[61 - l];
	CHECK_EQ(mt_frontier_push(&f, &leaf), 0);
	CHECK_EQ(f.count, 1);
	CHECK_MEM_EQ(f.h[0].b, u.lvl[62].b, 32);
	CHECK_EQ(mt_frontier_push(&f, &leaf), PT_ERANGE);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mt");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, kat_nodes_and_roots);
	tcase_add_test(tc, kat_inclusion);
	tcase_add_test(tc, kat_consistency);
	tcase_add_test(tc, prop_inclusion);
	tcase_add_test(tc, prop_consistency);
	tcase_add_test(tc, range_hash);
	tcase_add_test(tc, edges);
	tcase_add_test(tc, reader_errors);
	tcase_add_test(tc, huge_trees);
	tcase_add_test(tc, frontier_subtrees);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
