/* logc.c: verified reads from a log over HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "crypto.h"
#include "ptlimits.h"
#include "logc.h"
#include "signer.h"
#include "tile.h"
#include "tilerd.h"
#include "util.h"
#include "verify.h"

#define MSGPACK "application/msgpack"

int
logc_open(const char *url, const struct note_vkey *key,
    const struct hcli_opts *o, struct logc **out, struct pt_why *why)
{
	struct logc *lc;
	int rc;

	*out = NULL;
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return PT_ENOMEM;
	if ((rc = hcli_new(url, o, &lc->http, why)) != 0) {
		free(lc);
		return rc;
	}
	lc->key = *key;
	*out = lc;
	return 0;
}

void
logc_free(struct logc *lc)
{
	if (lc == NULL)
		return;
	hcli_free(lc->http);
	free(lc);
}

/*
 * The answer's status as an error: 200 is 0; 404 is PT_ENOTFOUND; any
 * other 4xx is the log refusing the request (PT_EREFUSED: exit 5); 5xx
 * and anything else a server error (PT_ENET).
 */
int
logc_status(const struct hcli_resp *r, const char *what, struct pt_why *why)
{
	char reason[120];
	size_t n = 0;
	int rc;

	if (r->err != 0)	/* "GET URL: reason" says it all */
		return pt_why_set(why, PT_ENET, "%s", r->why);
	if (r->status == 200)
		return 0;
	/* The server's one-line plain-text reason, printable ASCII only. */
	if (r->body != NULL && strncmp(r->ctype, "text/plain", 10) == 0) {
		for (; n < r->len && n < sizeof(reason) - 1; n++) {
			if (r->body[n] == '\n')
				break;
			reason[n] = r->body[n] >= 0x20 && r->body[n] < 0x7f ?
			    (char)r->body[n] : '?';
		}
	}
	reason[n] = '\0';
	if (r->status == 404)
		rc = PT_ENOTFOUND;
	else if (r->status >= 400 && r->status < 500)
		rc = PT_EREFUSED;
	else
		rc = PT_ENET;
	return pt_why_set(why, rc, "%s: server answered %d%s%s", what,
	    r->status, n ? ": " : "", reason);
}

int
logc_status_of(struct logc *lc, const struct hcli_resp *r, const char *what,
    struct pt_why *why)
{
	lc->last_status = r->err != 0 ? 0 : r->status;
	return logc_status(r, what, why);
}

/*
 * GET /checkpoint (fresh: asking caches to revalidate) and open it with
 * the log key; *note gets the answer's body (caller frees).
 */
static int
fetch_checkpoint(struct logc *lc, int fresh, struct ckpt *ck, char **note,
    size_t *note_len, struct pt_why *why)
{
	struct hcli_resp r;
	int rc;

	*note = NULL;
	if (fresh)
		hcli_get_fresh(lc->http, "/checkpoint", "text/plain",
		    PT_NOTE_MAX, &r);
	else
		hcli_get(lc->http, "/checkpoint", "text/plain", PT_NOTE_MAX,
		    &r);
	if ((rc = logc_status(&r, "GET /checkpoint", why)) != 0)
		goto out;
	if (r.len > PT_NOTE_MAX) {
		rc = pt_why_set(why, PT_ENET, "GET /checkpoint: answer of %zu "
		    "bytes is not a checkpoint", r.len);
		goto out;
	}
	if ((rc = vrf_checkpoint((const char *)r.body, r.len, &lc->key, ck,
	    why)) != 0) {
		char who[PT_WHY_MAX];

		/* Signed, but not by this key at all: another log, or the
		 * wrong key given; no claim against the log. */
		if (rc == PT_EUNKNOWNSIGNER && vrf_signers((const char *)r.body,
		    r.len, &lc->key, who, sizeof(who)) == 0) {
			rc = pt_why_set(why, PT_EINVAL, "a wrong --log-key "
			    "or --log, not a fault of the log: --log-key is "
			    "%.40s+%08x; the log has %s", lc->key.name,
			    (unsigned)lc->key.hash, who);
			goto out;
		}
		/* Not a signed note at all: a server error, not evidence. */
		if (rc != PT_ESIG && rc != PT_EUNKNOWNSIGNER &&
		    rc != PT_EORIGIN)
			rc = pt_why_set(why, PT_ENET, "GET /checkpoint: the "
			    "answer is not a signed checkpoint (%s)",
			    pt_strerror(rc));
		goto out;
	}
	*note = (char *)r.body;
	*note_len = r.len;
	r.body = NULL;
out:
	hcli_resp_free(&r);
	return rc;
}

/* GET /proof/consistency?old=n&new=n: 0 when the log has a tree of size n
 * (its answer is the empty proof), its refusal otherwise; from a
 * tiles-only server, 0 when its tiles of that tree give known_root. */
static int
consistent_at(struct logc *lc, uint64_t n, const struct mt_hash *known_root,
    struct pt_why *why)
{
	struct hcli_resp r;
	char path[96];
	int rc;

	rc = PT_ENOTFOUND;
	if (!lc->tiles_only) {
		snprintf(path, sizeof(path), "/proof/consistency?old=%llu&"
		    "new=%llu", (unsigned long long)n, (unsigned long long)n);
		hcli_get(lc->http, path, MSGPACK, WIRE_MAX_PROOF_MSG, &r);
		rc = logc_status_of(lc, &r, "GET /proof/consistency", why);
		hcli_resp_free(&r);
	}
	if (rc == PT_ENOTFOUND) {
		/* A tiles-only server has the tree of size n when its tiles
		 * of that tree give the root signed for it. */
		struct mt_frontier fr;
		struct mt_hash root;

		lc->tiles_only = 1;
		if ((rc = logc_tiles_frontier(lc, n, &fr, why)) == 0 &&
		    (rc = mt_frontier_root(&fr, &root)) == 0 &&
		    cr_memcmp(root.b, known_root->b, 32) != 0)
			rc = pt_why_set(why, PT_EPROOF, "%.60s serves hash "
			    "tiles of the tree of size %llu that do not give "
			    "the root signed for that size",
			    hcli_url(lc->http), (unsigned long long)n);
	}
	return rc;
}

int
logc_order(struct logc *lc, const struct ckpt *known, const struct ckpt *got,
    struct pt_why *why)
{
	int rc;

	if (got->size >= known->size)
		return logc_consistent(lc, known, got, why);
	/* Older than one verified before: acceptable only as a prefix of
	 * it, proven by the log (a stale cache or a replaying relay); a
	 * log that cannot prove it (4xx: it no longer has the larger
	 * tree) rolled back. */
	lc->last_status = 0;
	if (got->size == 0) {
		/* The empty tree is a prefix of every tree: ask whether the
		 * log still has the larger one (an empty proof of it to
		 * itself; a log that rolled back refuses). */
		rc = consistent_at(lc, known->size, &known->root, why);
	} else
		rc = logc_consistent(lc, got, known, why);
	if (rc == 0)
		return pt_why_set(why, PT_ESTALE, "stale, not a rollback: "
		    "%.60s serves size %llu, older than size %llu seen "
		    "before (also past caches), proven a prefix of it; try "
		    "again later", hcli_url(lc->http),
		    (unsigned long long)got->size,
		    (unsigned long long)known->size);
	if (rc == PT_ENOTFOUND && lc->tiles_only)
		return pt_why_set(why, PT_ESTALE, "%.60s serves size %llu, "
		    "older than size %llu seen before, and has not the hash "
		    "tiles of the larger tree to prove it a prefix of it: a "
		    "mirror or cache behind the log, or a log that rolled "
		    "back (not claimed either way); read the log itself, or "
		    "try again later", hcli_url(lc->http),
		    (unsigned long long)got->size,
		    (unsigned long long)known->size);
	if (rc == PT_EREFUSED && lc->last_status != 429)
		return pt_why_set(why, PT_EROLLBACK, "the log's checkpoint "
		    "(size %llu) is smaller than one verified earlier (size "
		    "%llu) and the log cannot prove it is a prefix of it: the "
		    "log rolled back", (unsigned long long)got->size,
		    (unsigned long long)known->size);
	return rc;
}

int
logc_checkpoint_since(struct logc *lc, const struct ckpt *known,
    struct ckpt *ck, char **note, size_t *note_len, struct pt_why *why)
{
	char *body = NULL;
	size_t len = 0;
	int rc = 0;

	if (note != NULL)
		*note = NULL;
	/* A checkpoint older than one verified before is asked for again
	 * past caches once before it is called stale. */
	for (int fresh = 0; fresh < 2; fresh++) {
		free(body);
		body = NULL;
		if ((rc = fetch_checkpoint(lc, fresh, ck, &body, &len,
		    why)) != 0)
			break;
		if ((rc = logc_remember(lc, ck, body, len, why)) == 0 &&
		    known != NULL)
			rc = logc_order(lc, known, ck, why);
		if (rc != PT_ESTALE)
			break;
	}
	if (rc == 0 && note != NULL) {
		*note = body;
		body = NULL;
	}
	if (rc == 0 && note_len != NULL)
		*note_len = len;
	free(body);
	return rc;
}

int
logc_checkpoint(struct logc *lc, struct ckpt *ck, char **note,
    size_t *note_len, struct pt_why *why)
{
	return logc_checkpoint_since(lc, NULL, ck, note, note_len, why);
}

/*
 * The directory of the client's per-log memory: $PUBTRAIL_STATE, else
 * $XDG_STATE_HOME/pubtrail, else $HOME/.local/state/pubtrail; "" (no
 * memory) when none is set or PUBTRAIL_STATE is "-".
 */
static void
state_dir(char *out, size_t cap)
{
	const char *s;

	out[0] = '\0';
	if ((s = getenv("PUBTRAIL_STATE")) != NULL) {
		if (strcmp(s, "-") != 0)
			snprintf(out, cap, "%s", s);
	} else if ((s = getenv("XDG_STATE_HOME")) != NULL && s[0] == '/') {
		snprintf(out, cap, "%s/pubtrail", s);
	} else if ((s = getenv("HOME")) != NULL && s[0] == '/') {
		snprintf(out, cap, "%s/.local/state/pubtrail", s);
	}
}

int
logc_remember(struct logc *lc, const struct ckpt *ck, const char *note,
    size_t len, struct pt_why *why)
{
	char dir[1024], path[1200], vk[PT_MAX_VKEY + 1], hex[65];
	uint8_t id[32], *old = NULL;
	size_t olen;
	struct ckpt *oc;
	struct pt_why w = { "" };
	int rc;

	state_dir(dir, sizeof(dir));
	if (dir[0] == '\0' && !lc->no_memory && getenv("PUBTRAIL_STATE") ==
	    NULL) {
		/* said once: a job without HOME (a service, an env -i) would
		 * otherwise run without the rollback check unawares */
		static int said;

		if (!said++)
			fprintf(stderr, "pubtrail: no memory of the log's "
			    "checkpoints (neither PUBTRAIL_STATE, "
			    "XDG_STATE_HOME nor HOME is set): a log that rolls "
			    "back is not noticed; set PUBTRAIL_STATE=DIR, or - "
			    "to run without\n");
	}
	if (dir[0] == '\0' || lc->no_memory)
		return 0;
	if (note_vkey_format(&lc->key, vk, sizeof(vk)) != 0 ||
	    cr_sha256(vk, strlen(vk), NULL, 0, NULL, 0, id) != 0)
		return 0;
	cr_hex_encode(id, 32, hex);
	snprintf(path, sizeof(path), "%s/logs/%s.checkpoint", dir, hex);
	rc = ut_read_file(path, PT_NOTE_MAX, &old, &olen, &w);
	if (rc == PT_ENOTFOUND)
		goto save;
	if (rc != 0)
		return pt_why_set(why, PT_EIO, "%s", w.text);
	if ((oc = calloc(1, sizeof(*oc))) == NULL) {
		free(old);
		return PT_ENOMEM;
	}
	rc = ckpt_open((const char *)old, olen, &lc->key, oc);
	free(old);
	if (rc != 0) {
		free(oc);
		return pt_why_set(why, PT_EIO, "%s: not a checkpoint of this "
		    "log; remove it to start trusting the log afresh", path);
	}
	rc = logc_order(lc, oc, ck, why);
	free(oc);
	if (rc != 0)
		return rc;
save:
	if ((rc = ut_mkdirs(dir, 0700, &w)) != 0 ||
	    (snprintf(path, sizeof(path), "%s/logs", dir),
	    rc = ut_mkdirs(path, 0700, &w)) != 0)
		goto unsaved;
	snprintf(path, sizeof(path), "%s/logs/%s.checkpoint", dir, hex);
	if (ut_write_file(path, note, len, 0600, 0, &w) == 0)
		return 0;
unsaved:
	/* The checkpoint itself verified; only the memory is lost: say so
	 * rather than fail the command, since this client cannot then catch
	 * a later rewrite of this log by itself. */
	fprintf(stderr, "pubtrail: warning: cannot remember the checkpoint "
	    "in %s: %s\n", dir, w.text[0] ? w.text : "write failed");
	return 0;
}

/*
 * GET /proof/consistency?old=&new= into proof.  PT_ENOTFOUND (404) when
 * the server has no such route (pubtraild never answers 404 there).
 */
static int
http_consistency(struct logc *lc, uint64_t osz, uint64_t nsz,
    struct mt_hash *proof, size_t *n, struct pt_why *why)
{
	struct hcli_resp r;
	struct pt_why w = { "" };
	char path[96];
	uint64_t old, new_size;
	int rc;

	snprintf(path, sizeof(path), "/proof/consistency?old=%llu&new=%llu",
	    (unsigned long long)osz, (unsigned long long)nsz);
	hcli_get(lc->http, path, MSGPACK, WIRE_MAX_PROOF_MSG, &r);
	if ((rc = logc_status_of(lc, &r, "GET /proof/consistency", why)) != 0)
		goto out;
	if ((rc = wire_consistency_decode(r.body, r.len, &old, &new_size,
	    proof, PT_MAX_PROOF, n, &w)) != 0) {
		rc = pt_why_set(why, PT_ENET, "GET /proof/consistency: bad "
		    "answer: %s", w.text[0] ? w.text : pt_strerror(rc));
		goto out;
	}
	if (old != osz || new_size != nsz)
		rc = pt_why_set(why, PT_EANSWER, "GET %s: the answer is a "
		    "proof from size %llu to %llu, not the one asked for",
		    path, (unsigned long long)old,
		    (unsigned long long)new_size);
out:
	hcli_resp_free(&r);
	return rc;
}

int
logc_consistent(struct logc *lc, const struct ckpt *older,
    const struct ckpt *newer, struct pt_why *why)
{
	struct mt_hash proof[PT_MAX_PROOF];
	size_t n = 0;
	int rc;

	if (newer->size < older->size)
		return pt_why_set(why, PT_EROLLBACK, "the log's checkpoint "
		    "(size %llu) is smaller than one verified earlier (size "
		    "%llu): the log rolled back", (unsigned long long)
		    newer->size, (unsigned long long)older->size);
	if (newer->size == older->size) {
		if (cr_memcmp(newer->root.b, older->root.b, 32) != 0)
			return pt_why_set(why, PT_EPROOF, "two signed "
			    "checkpoints of size %llu with different roots: "
			    "the log forked", (unsigned long long)newer->size);
		return 0;
	}
	if (older->size == 0)
		return 0;	/* every tree extends the empty tree */
	rc = lc->tiles_only ? PT_ENOTFOUND : http_consistency(lc, older->size,
	    newer->size, proof, &n, why);
	if (rc == PT_ENOTFOUND) {
		/* A static tlog-tiles server: the proof from its tiles. */
		lc->tiles_only = 1;
		rc = logc_tiles_consistency(lc, older->size, newer->size,
		    proof, PT_MAX_PROOF, &n, why);
	}
	if (rc != 0)
		return rc;
	if (mt_verify_consistency(older->size, newer->size, &older->root,
	    &newer->root, proof, n) != 0)
		return pt_why_set(why, PT_EPROOF, "the signed checkpoint of "
		    "size %llu is not consistent with the one of size %llu "
		    "verified earlier: the log rewrote its history",
		    (unsigned long long)newer->size,
		    (unsigned long long)older->size);
	return 0;
}

/*
 * GET /proof/inclusion?index=&size= into proof.  PT_ENOTFOUND (404) when
 * the server has no such route (pubtraild never answers 404 there).
 */
static int
http_inclusion(struct logc *lc, uint64_t index, uint64_t size,
    struct mt_hash *proof, size_t *n, struct pt_why *why)
{
	struct hcli_resp r;
	struct pt_why w = { "" };
	char path[96];
	uint64_t idx, sz;
	int rc;

	snprintf(path, sizeof(path), "/proof/inclusion?index=%llu&size=%llu",
	    (unsigned long long)index, (unsigned long long)size);
	hcli_get(lc->http, path, MSGPACK, WIRE_MAX_PROOF_MSG, &r);
	if ((rc = logc_status_of(lc, &r, "GET /proof/inclusion", why)) != 0)
		goto out;
	if ((rc = wire_inclusion_decode(r.body, r.len, &idx, &sz, proof,
	    PT_MAX_PROOF, n, &w)) != 0) {
		rc = pt_why_set(why, PT_ENET, "GET /proof/inclusion: bad "
		    "answer: %s", w.text[0] ? w.text : pt_strerror(rc));
		goto out;
	}
	if (idx != index || sz != size)
		rc = pt_why_set(why, PT_EANSWER, "GET %s: the answer is a "
		    "proof of index %llu in size %llu, not the one asked for",
		    path, (unsigned long long)idx, (unsigned long long)sz);
out:
	hcli_resp_free(&r);
	return rc;
}

int
logc_inclusion(struct logc *lc, uint64_t index, const struct ckpt *ck,
    const struct mt_hash *leaf, struct pt_why *why)
{
	struct mt_hash proof[PT_MAX_PROOF];
	size_t n;

	return logc_inclusion_proof(lc, index, ck, leaf, proof, &n, why);
}

int
logc_inclusion_proof(struct logc *lc, uint64_t index, const struct ckpt *ck,
    const struct mt_hash *leaf, struct mt_hash proof[PT_MAX_PROOF],
    size_t *np, struct pt_why *why)
{
	size_t n = 0;
	int rc;

	*np = 0;

	if (index >= ck->size)
		return pt_why_set(why, PT_ENOTFOUND, "index %llu is not below "
		    "the tree size %llu", (unsigned long long)index,
		    (unsigned long long)ck->size);
	rc = lc->tiles_only ? PT_ENOTFOUND : http_inclusion(lc, index,
	    ck->size, proof, &n, why);
	if (rc == PT_ENOTFOUND) {
		lc->tiles_only = 1;	/* as in logc_consistent */
		rc = logc_tiles_inclusion(lc, index, ck->size, proof,
		    PT_MAX_PROOF, &n, why);
	}
	if (rc != 0)
		return rc;
	if (mt_verify_inclusion(leaf, index, ck->size, proof, n,
	    &ck->root) != 0)
		return pt_why_set(why, PT_EPROOF, "inclusion proof of index "
		    "%llu does not lead to the signed root of size %llu",
		    (unsigned long long)index, (unsigned long long)ck->size);
	*np = n;
	return 0;
}

static int
entry_check(struct logc *lc, uint64_t index, const struct ckpt *ck,
    const uint8_t *buf, size_t len, struct wire_entry *e, struct pt_why *why)
{
	struct mt_hash leaf;
	int rc;

	if ((rc = mt_leaf_hash(buf, len, &leaf)) != 0)
		return rc;
	if ((rc = logc_inclusion(lc, index, ck, &leaf, why)) != 0) {
		/* The proof of index N does not lead to the root with these
		 * bytes as its leaf: they are not entry N (another entry, or
		 * altered bytes). */
		if (rc == PT_EPROOF)
			rc = pt_why_set(why, PT_EANSWER, "the entry served as "
			    "#%llu is not the entry at index %llu of the "
			    "signed tree of size %llu (its leaf hash is not "
			    "the one the proof of index %llu needs): another "
			    "entry, or altered bytes",
			    (unsigned long long)index,
			    (unsigned long long)index,
			    (unsigned long long)ck->size,
			    (unsigned long long)index);
		return rc;
	}
	return vrf_entry(buf, len, ck->origin, e, why);
}

int
logc_entry(struct logc *lc, uint64_t index, const struct ckpt *ck,
    uint8_t **buf, size_t *len, struct wire_entry *e, struct pt_why *why)
{
	struct hcli_resp r;
	char path[64];
	int rc;

	*buf = NULL;
	if (index >= ck->size)
		return pt_why_set(why, PT_ENOTFOUND, "index %llu is not below "
		    "the tree size %llu", (unsigned long long)index,
		    (unsigned long long)ck->size);
	memset(&r, 0, sizeof(r));
	rc = PT_ENOTFOUND;
	if (!lc->tiles_only) {
		snprintf(path, sizeof(path), "/entry/%llu",
		    (unsigned long long)index);
		hcli_get(lc->http, path, MSGPACK, PT_MAX_ENTRY, &r);
		rc = logc_status_of(lc, &r, "GET /entry", why);
	}
	if (rc == PT_ENOTFOUND) {
		/* pubtraild says 404 only for an index beyond its latest
		 * checkpoint, and index < ck->size: no such route, a static
		 * tlog-tiles server.  The entry from its bundle. */
		lc->tiles_only = 1;
		hcli_resp_free(&r);
		rc = logc_bundle_entry(lc, index, ck->size, &r.body, &r.len,
		    why);
	}
	if (rc != 0)
		goto out;
	if (r.len > PT_MAX_ENTRY) {
		rc = pt_why_set(why, PT_ENET, "GET /entry: answer too large");
		goto out;
	}
	if ((rc = entry_check(lc, index, ck, r.body, r.len, e, why)) != 0)
		goto out;
	*buf = r.body;
	*len = r.len;
	r.body = NULL;
out:
	hcli_resp_free(&r);
	return rc;
}

/* {"entry": bin | map, "index": uint} */
static int
lookup_decode(const uint8_t *buf, size_t len, const uint8_t **entry,
    size_t *elen, uint64_t *index)
{
	struct wire_cur c;
	size_t n;
	int have = 0;

	if (wire_check_canonical(buf, len, NULL) != 0)
		return PT_EMALFORMED;
	wire_cur_init(&c, buf, len);
	if (wire_cur_map(&c, &n) != 0)
		return PT_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		const char *k;
		size_t kl;

		if (wire_cur_str(&c, &k, &kl) != 0)
			return PT_EMALFORMED;
		if (kl == 5 && memcmp(k, "entry", 5) == 0) {
			if (wire_cur_kind(&c) == WIRE_K_BIN) {
				if (wire_cur_bin(&c, entry, elen) != 0)
					return PT_EMALFORMED;
			} else if (wire_cur_skip(&c, entry, elen) != 0)
				return PT_EMALFORMED;
			have |= 1;
		} else if (kl == 5 && memcmp(k, "index", 5) == 0) {
			if (wire_cur_uint(&c, index) != 0)
				return PT_EMALFORMED;
			have |= 2;
		} else if (wire_cur_skip(&c, NULL, NULL) != 0)
			return PT_EMALFORMED;
	}
	return have == 3 ? 0 : PT_EMALFORMED;
}

/*
 * The entry a lookup answered with must be the record asked for: signed
 * by the submitter asked for (its id is the SHA-256 of the verifier key
 * string) and carrying the record id asked for.  Another genuine entry
 * with a valid proof is still the wrong answer.
 */
static int
lookup_bound(const struct wire_entry *e, uint64_t index,
    const uint8_t submitter_id[32], const char *id, struct pt_why *why)
{
	uint8_t sid[32];
	char asked[SIGNER_LABEL_MAX], got[SIGNER_LABEL_MAX];

	wire_submitter_id(e->sub.submitter_str, e->sub.submitter_len, sid);
	if (cr_memcmp(sid, submitter_id, 32) != 0) {
		char hex[17];

		cr_hex_encode(submitter_id, 8, hex);
		signer_label(&e->sub.submitter, got, sizeof(got));
		return pt_why_set(why, PT_EANSWER, "the log answered the "
		    "lookup of %.100s by submitter %s... with entry %llu, a "
		    "record of another office (%s): not the record asked for",
		    id, hex, (unsigned long long)index, got);
	}
	if (e->sub.info.id_len != strlen(id) ||
	    memcmp(e->sub.info.id, id, e->sub.info.id_len) != 0) {
		signer_label(&e->sub.submitter, asked, sizeof(asked));
		return pt_why_set(why, PT_EANSWER, "the log answered the "
		    "lookup of %.100s with entry %llu, %s's record %.*s: not "
		    "the record asked for", id, (unsigned long long)index,
		    asked, (int)(e->sub.info.id_len > 100 ? 100 :
		    e->sub.info.id_len), e->sub.info.id);
	}
	return 0;
}

int
logc_route_absent(struct logc *lc, const char *route)
{
	struct hcli_resp r;
	int absent;

	hcli_get(lc->http, route, MSGPACK, PT_ANSWER_SMALL, &r);
	absent = r.err == 0 && r.status == 404;
	hcli_resp_free(&r);
	return absent;
}

int
logc_lookup(struct logc *lc, const uint8_t submitter_id[32], const char *id,
    const struct ckpt *ck, uint64_t *index, uint8_t **buf, size_t *len,
    struct wire_entry *e, struct pt_why *why)
{
	struct hcli_resp r;
	char hex[65], *enc, *path;
	const uint8_t *ent;
	size_t elen, plen;
	int rc;

	*buf = NULL;
	cr_hex_encode(submitter_id, 32, hex);
	if ((enc = evhttp_encode_uri(id)) == NULL)
		return PT_ENOMEM;
	plen = strlen(enc) + 128;
	if ((path = malloc(plen)) == NULL) {
		free(enc);
		return PT_ENOMEM;
	}
	snprintf(path, plen, "/lookup?submitter=%s&id=%s", hex, enc);
	free(enc);
	hcli_get(lc->http, path, MSGPACK, PT_ANSWER_LOOKUP, &r);
	free(path);
	/* A 404: no such record, or no such route (asked once: a dry run
	 * of many new ids would ask, and be logged, for each) */
	if ((rc = logc_status(&r, "GET /lookup", why)) == PT_ENOTFOUND &&
	    !lc->has_lookup && !(lc->has_lookup = !(lc->no_lookup =
	    logc_route_absent(lc, "/lookup"))))
		rc = pt_why_set(why, PT_EREFUSED, "%.100s has no /lookup "
		    "(a static tlog-tiles mirror): finding a record by office "
		    "and id there means reading every entry bundle of the "
		    "log; `pubtrail get lookup --scan` does that",
		    hcli_url(lc->http));
	if (rc != 0)
		goto out;
	lc->has_lookup = 1;
	if (lookup_decode(r.body, r.len, &ent, &elen, index) != 0 ||
	    elen > PT_MAX_ENTRY) {
		rc = pt_why_set(why, PT_ENET, "GET /lookup: malformed answer");
		goto out;
	}
	if (*index >= ck->size) {
		rc = pt_why_set(why, PT_ENOTFOUND, "entry %llu is newer than "
		    "the checkpoint (size %llu); retry", (unsigned long long)
		    *index, (unsigned long long)ck->size);
		goto out;
	}
	if ((*buf = malloc(elen ? elen : 1)) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	memcpy(*buf, ent, elen);
	*len = elen;
	if ((rc = entry_check(lc, *index, ck, *buf, elen, e, why)) == 0)
		rc = lookup_bound(e, *index, submitter_id, id, why);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
	}
out:
	hcli_resp_free(&r);
	return rc;
}

/* ------------------------------------------- tlog-tiles resources only */

int
logc_tile(struct logc *lc, const struct tile *t, uint8_t *out, size_t *len,
    struct pt_why *why)
{
	char path[TILE_PATH_MAX + 2], what[TILE_PATH_MAX + 8];
	struct hcli_resp r;
	int rc;

	path[0] = '/';
	if ((rc = tile_path_format(t, path + 1, sizeof(path) - 1)) != 0)
		return rc;
	hcli_get(lc->http, path, NULL, PT_ANSWER_TILE, &r);
	snprintf(what, sizeof(what), "GET %s", path);
	if ((rc = logc_status_of(lc, &r, what, why)) == 0) {
		if (r.len > PT_ANSWER_TILE)
			rc = pt_why_set(why, PT_EMALFORMED, "%s: %zu bytes is "
			    "not a hash tile", what, r.len);
		else {
			memcpy(out, r.body, r.len);
			*len = r.len;
		}
	}
	hcli_resp_free(&r);
	return rc;
}

/* tilerd's fetch over HTTP. */
static int
http_tile(void *ctx, const struct tile *t, uint8_t *out, size_t *len,
    struct pt_why *why)
{
	return logc_tile(ctx, t, out, len, why);
}

/* A tile the server lacks, said as what it means for the proof. */
static int
tiles_missing(struct logc *lc, int rc, uint64_t size, struct pt_why *why)
{
	char got[PT_WHY_MAX];

	if (rc != PT_ENOTFOUND)
		return rc;
	snprintf(got, sizeof(got), "%s", why != NULL ? why->text : "");
	return pt_why_set(why, PT_ENOTFOUND, "%.100s has not the hash tiles "
	    "of the tree of size %llu (%.200s)", hcli_url(lc->http),
	    (unsigned long long)size, got);
}

int
logc_tiles_open(struct logc *lc, uint64_t size, struct pt_why *why,
    struct tilerd **out)
{
	return tilerd_new(size, http_tile, lc, why, out);
}

int
logc_tiles_inclusion(struct logc *lc, uint64_t index, uint64_t size,
    struct mt_hash *proof, size_t max, size_t *n, struct pt_why *why)
{
	struct tilerd *t;
	struct mt_reader rd;
	int rc;

	if ((rc = tilerd_new(size, http_tile, lc, why, &t)) != 0)
		return rc;
	tilerd_reader(t, &rd);
	rc = mt_inclusion_proof(&rd, index, size, proof, max, n);
	tilerd_free(t);
	return tiles_missing(lc, rc, size, why);
}

int
logc_tiles_consistency(struct logc *lc, uint64_t old, uint64_t size,
    struct mt_hash *proof, size_t max, size_t *n, struct pt_why *why)
{
	struct tilerd *t;
	struct mt_reader rd;
	int rc;

	if ((rc = tilerd_new(size, http_tile, lc, why, &t)) != 0)
		return rc;
	tilerd_reader(t, &rd);
	rc = mt_consistency_proof(&rd, old, size, proof, max, n);
	tilerd_free(t);
	return tiles_missing(lc, rc, size, why);
}

int
logc_tiles_frontier(struct logc *lc, uint64_t size, struct mt_frontier *fr,
    struct pt_why *why)
{
	struct tilerd *t;
	int rc;

	if (size == 0) {
		mt_frontier_init(fr);
		return 0;
	}
	if ((rc = tilerd_new(size, http_tile, lc, why, &t)) != 0)
		return rc;
	rc = tilerd_frontier(t, fr);
	tilerd_free(t);
	return tiles_missing(lc, rc, size, why);
}

int
logc_bundle_entry(struct logc *lc, uint64_t index, uint64_t size,
    uint8_t **buf, size_t *len, struct pt_why *why)
{
	struct tile t = { true, 0, index / TILE_WIDTH, TILE_WIDTH };
	char path[TILE_PATH_MAX + 2], what[TILE_PATH_MAX + 8];
	struct hcli_resp r;
	const uint8_t *e = NULL;
	size_t off = 0, elen = 0;
	unsigned w, k = 0;
	int rc;

	*buf = NULL;
	if (index >= size || tile_width_at(&t, size, &w) != 0)
		return pt_why_set(why, PT_ENOTFOUND, "index %llu is not below "
		    "the tree size %llu", (unsigned long long)index,
		    (unsigned long long)size);
	t.width = w;
	for (;;) {
		path[0] = '/';
		if ((rc = tile_path_format(&t, path + 1, sizeof(path) - 1)) !=
		    0)
			return rc;
		hcli_get(lc->http, path, NULL, PT_ANSWER_BUNDLE, &r);
		snprintf(what, sizeof(what), "GET %s", path);
		rc = logc_status_of(lc, &r, what, why);
		if (rc != PT_ENOTFOUND || t.width == TILE_WIDTH)
			break;
		/* The partial bundle may be gone once the full one exists. */
		hcli_resp_free(&r);
		t.width = TILE_WIDTH;
	}
	if (rc != 0)
		goto out;
	for (;;) {
		const uint8_t *p;
		size_t pl;
		int nx = tile_bundle_next(r.body, r.len, &off, &p, &pl);

		if (nx == 1)
			break;
		if (nx != 0 || k >= t.width) {
			k = TILE_WIDTH + 1;
			break;
		}
		if (k == index % TILE_WIDTH) {
			e = p;
			elen = pl;
		}
		k++;
	}
	if (k != t.width || e == NULL || elen > PT_MAX_ENTRY) {
		rc = pt_why_set(why, PT_EMALFORMED, "%s: not an entry bundle "
		    "of %u entries of at most %d bytes", what, t.width,
		    PT_MAX_ENTRY);
		goto out;
	}
	if ((*buf = malloc(elen ? elen : 1)) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	memcpy(*buf, e, elen);
	*len = elen;
out:
	hcli_resp_free(&r);
	return rc;
}

/* {corrections: [uint...], index: uint, more: 0|1} */
static int
corrections_decode(const uint8_t *buf, size_t len, uint64_t *idx,
    size_t max, size_t *n, uint64_t *index, int *more)
{
	struct wire_cur c;
	size_t np, na;
	int have = 0;

	*n = 0;
	if (wire_check_canonical(buf, len, NULL) != 0)
		return PT_EMALFORMED;
	wire_cur_init(&c, buf, len);
	if (wire_cur_map(&c, &np) != 0)
		return PT_EMALFORMED;
	for (size_t i = 0; i < np; i++) {
		const char *k;
		size_t kl;
		uint64_t v;

		if (wire_cur_str(&c, &k, &kl) != 0)
			return PT_EMALFORMED;
		if (kl == 11 && memcmp(k, "corrections", 11) == 0) {
			if (wire_cur_array(&c, &na) != 0 || na > max)
				return PT_EMALFORMED;
			for (size_t j = 0; j < na; j++)
				if (wire_cur_uint(&c, &idx[j]) != 0)
					return PT_EMALFORMED;
			*n = na;
			have |= 1;
		} else if (kl == 5 && memcmp(k, "index", 5) == 0) {
			if (wire_cur_uint(&c, index) != 0)
				return PT_EMALFORMED;
			have |= 2;
		} else if (kl == 4 && memcmp(k, "more", 4) == 0) {
			if (wire_cur_uint(&c, &v) != 0 || v > 1)
				return PT_EMALFORMED;
			*more = (int)v;
			have |= 4;
		} else if (wire_cur_skip(&c, NULL, NULL) != 0)
			return PT_EMALFORMED;
	}
	return have == 7 ? 0 : PT_EMALFORMED;
}

int
logc_corrections(struct logc *lc, uint64_t target, const struct ckpt *ck,
    uint64_t *out, size_t max, size_t *n, struct pt_why *why)
{
	uint64_t page[PT_MAX_CORRECTIONS_LISTED], from = 0, idx;
	struct hcli_resp r;
	char path[96];
	size_t got;
	int more = 1, rc = 0;

	*n = 0;
	while (more) {
		snprintf(path, sizeof(path), "/corrections/%llu?from=%llu",
		    (unsigned long long)target, (unsigned long long)from);
		hcli_get(lc->http, path, MSGPACK, PT_ANSWER_CORRECTIONS, &r);
		if ((rc = logc_status(&r, "GET /corrections", why)) == 0 &&
		    corrections_decode(r.body, r.len, page,
		    PT_MAX_CORRECTIONS_LISTED, &got, &idx, &more) != 0)
			rc = pt_why_set(why, PT_ENET, "GET %s: malformed "
			    "answer", path);
		hcli_resp_free(&r);
		if (rc != 0)
			return rc;
		if (idx != target)
			return pt_why_set(why, PT_EANSWER, "GET %s: the answer "
			    "lists the corrections of entry %llu, not of the "
			    "one asked for", path, (unsigned long long)idx);
		for (size_t i = 0; i < got; i++) {
			if (page[i] <= target || page[i] < from ||
			    (*n > 0 && page[i] <= out[*n - 1]))
				return pt_why_set(why, PT_EANSWER, "GET %s: the "
				    "answer lists entry %llu, which cannot "
				    "correct entry %llu from there", path,
				    (unsigned long long)page[i],
				    (unsigned long long)target);
			if (page[i] >= ck->size)
				return 0;	/* beyond the signed tree */
			if (*n == max)
				return pt_why_set(why, PT_ETOOBIG, "entry %llu "
				    "has more than %zu corrections",
				    (unsigned long long)target, max);
			out[(*n)++] = page[i];
		}
		if (more && got == 0)
			return pt_why_set(why, PT_ENET, "GET %s: more, but an "
			    "empty page", path);
		if (got > 0)
			from = page[got - 1] + 1;
	}
	return 0;
}
