/* logc.c: verified reads from a log over HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "crypto.h"
#include "ptlimits.h"
#include "logc.h"
#include "signer.h"
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
			    "%.60s (key hash %08x); %.60s serves %s",
			    lc->key.name, (unsigned)lc->key.hash,
			    hcli_url(lc->http), who);
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
 * (its answer is the empty proof), its refusal otherwise. */
static int
consistent_at(struct logc *lc, uint64_t n, struct pt_why *why)
{
	struct hcli_resp r;
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "/proof/consistency?old=%llu&new=%llu",
	    (unsigned long long)n, (unsigned long long)n);
	hcli_get(lc->http, path, MSGPACK, WIRE_MAX_PROOF_MSG, &r);
	rc = logc_status_of(lc, &r, "GET /proof/consistency", why);
	hcli_resp_free(&r);
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
		rc = consistent_at(lc, known->size, why);
	} else
		rc = logc_consistent(lc, got, known, why);
	if (rc == 0)
		return pt_why_set(why, PT_ESTALE, "stale, not a rollback: "
		    "%.60s serves size %llu, older than size %llu seen "
		    "before (also past caches), proven a prefix of it; try "
		    "again later", hcli_url(lc->http),
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
	if (dir[0] == '\0')
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

int
logc_consistent(struct logc *lc, const struct ckpt *older,
    const struct ckpt *newer, struct pt_why *why)
{
	struct mt_hash proof[PT_MAX_PROOF];
	struct hcli_resp r;
	struct pt_why w = { "" };
	char path[96];
	uint64_t old, nsz;
	size_t n;
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
	snprintf(path, sizeof(path), "/proof/consistency?old=%llu&new=%llu",
	    (unsigned long long)older->size, (unsigned long long)newer->size);
	hcli_get(lc->http, path, MSGPACK, WIRE_MAX_PROOF_MSG, &r);
	if ((rc = logc_status_of(lc, &r, "GET /proof/consistency", why)) != 0)
		goto out;
	if ((rc = wire_consistency_decode(r.body, r.len, &old, &nsz, proof,
	    PT_MAX_PROOF, &n, &w)) != 0) {
		rc = pt_why_set(why, PT_ENET, "GET /proof/consistency: bad "
		    "answer: %s", w.text[0] ? w.text : pt_strerror(rc));
		goto out;
	}
	if (old != older->size || nsz != newer->size) {
		rc = pt_why_set(why, PT_EANSWER, "GET %s: the answer is a "
		    "proof from size %llu to %llu, not the one asked for",
		    path, (unsigned long long)old, (unsigned long long)nsz);
		goto out;
	}
	if (mt_verify_consistency(older->size, newer->size, &older->root,
	    &newer->root, proof, n) != 0)
		rc = pt_why_set(why, PT_EPROOF, "the signed checkpoint of size "
		    "%llu is not consistent with the one of size %llu verified "
		    "earlier: the log rewrote its history",
		    (unsigned long long)newer->size,
		    (unsigned long long)older->size);
out:
	hcli_resp_free(&r);
	return rc;
}

int
logc_inclusion(struct logc *lc, uint64_t index, const struct ckpt *ck,
    const struct mt_hash *leaf, struct pt_why *why)
{
	struct mt_hash proof[PT_MAX_PROOF];
	struct hcli_resp r;
	struct pt_why w = { "" };
	char path[96];
	uint64_t idx, sz;
	size_t n;
	int rc;

	if (index >= ck->size)
		return pt_why_set(why, PT_ENOTFOUND, "index %llu is not below "
		    "the tree size %llu", (unsigned long long)index,
		    (unsigned long long)ck->size);
	snprintf(path, sizeof(path), "/proof/inclusion?index=%llu&size=%llu",
	    (unsigned long long)index, (unsigned long long)ck->size);
	hcli_get(lc->http, path, MSGPACK, WIRE_MAX_PROOF_MSG, &r);
	if ((rc = logc_status(&r, "GET /proof/inclusion", why)) != 0)
		goto out;
	if ((rc = wire_inclusion_decode(r.body, r.len, &idx, &sz, proof,
	    PT_MAX_PROOF, &n, &w)) != 0) {
		rc = pt_why_set(why, PT_ENET, "GET /proof/inclusion: bad "
		    "answer: %s", w.text[0] ? w.text : pt_strerror(rc));
		goto out;
	}
	if (idx != index || sz != ck->size) {
		rc = pt_why_set(why, PT_EANSWER, "GET %s: the answer is a "
		    "proof of index %llu in size %llu, not the one asked for",
		    path, (unsigned long long)idx, (unsigned long long)sz);
		goto out;
	}
	if (mt_verify_inclusion(leaf, index, ck->size, proof, n,
	    &ck->root) != 0)
		rc = pt_why_set(why, PT_EPROOF, "inclusion proof of index %llu "
		    "does not lead to the signed root of size %llu",
		    (unsigned long long)index, (unsigned long long)ck->size);
out:
	hcli_resp_free(&r);
	return rc;
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
	snprintf(path, sizeof(path), "/entry/%llu", (unsigned long long)index);
	hcli_get(lc->http, path, MSGPACK, PT_MAX_ENTRY, &r);
	if ((rc = logc_status(&r, "GET /entry", why)) != 0)
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
	if ((rc = logc_status(&r, "GET /lookup", why)) != 0)
		goto out;
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
