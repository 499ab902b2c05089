/*
 * logc.h: verified access to one log over HTTP.  Nothing a log server
 * says is returned before it is checked: checkpoints against the log key,
 * proofs against signed checkpoints, entries against their leaf hashes.
 */
#ifndef PT_CLIENT_LOGC_H
#define PT_CLIENT_LOGC_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt.h"
#include "hcli.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "wire.h"

struct logc {
	struct hcli *http;
	struct note_vkey key;		/* the log's verifier key */
	int last_status;		/* HTTP status of the last answer */
	int tiles_only;			/* proofs from hash tiles, entries from
					 * bundles: set by --tiles-only, or
					 * once the server answered 404 to a
					 * proof or entry route (a static
					 * tlog-tiles mirror) */
	int no_lookup;			/* the server has no /lookup route */
	int has_lookup;			/* it has (asked, or answered) */
	int no_memory;			/* logc_remember off: the command keeps
					 * its own state (mirror) */
};

/* Connect (lazily) to url with key.  PT_EINVAL, PT_ENOMEM.  Free with
 * logc_free(). */
int logc_open(const char *url, const struct note_vkey *key,
    const struct hcli_opts *o, struct logc **out, struct pt_why *why);
void logc_free(struct logc *lc);

/*
 * Map a non-2xx answer (or a transport failure) to an error: 404 ->
 * PT_ENOTFOUND, any other 4xx (400, 403, 409, 413, 422, 429 ...) ->
 * PT_EREFUSED (the log refused the request), 5xx and transport failures
 * -> PT_ENET; *why gets what + the server's one-line reason (or the
 * transfer's own "GET URL: reason").  0 for 200.
 */
int logc_status(const struct hcli_resp *r, const char *what,
    struct pt_why *why);
/* The same, also recording the status in lc->last_status. */
int logc_status_of(struct logc *lc, const struct hcli_resp *r,
    const char *what, struct pt_why *why);

/*
 * GET /checkpoint and open it with the log key.  *note (may be NULL) gets
 * a heap copy of the signed note (caller frees).  Errors of
 * vrf_checkpoint (exit 1 class), PT_ENET, or PT_EINVAL when the
 * checkpoint carries no signature line of the log key at all (another
 * log, or a wrong --log-key: *why names the origin and key that signed).
 */
int logc_checkpoint(struct logc *lc, struct ckpt *ck, char **note,
    size_t *note_len, struct pt_why *why);

/*
 * logc_checkpoint, also ordering the new checkpoint after known (may be
 * NULL: an audit's or monitor's own state) as logc_order does.  Stale is
 * not rollback: a checkpoint older than the remembered one (or than known)
 * that the log proves is a prefix of it is fetched again once with
 * "Cache-Control: no-cache" (hcli_get_fresh), and when it is still older,
 * PT_ESTALE (exit 7) with the sizes and the URL in *why.  Only a smaller
 * checkpoint the log cannot prove a prefix is PT_EROLLBACK, and a proof
 * that fails PT_EPROOF (exit 1).
 */
int logc_checkpoint_since(struct logc *lc, const struct ckpt *known,
    struct ckpt *ck, char **note, size_t *note_len, struct pt_why *why);

/*
 * Order got after known, both verified: got the same or newer must be
 * consistent with known (logc_consistent); got older must be proven a
 * prefix of known (a consistency proof from got to known): then
 * PT_ESTALE, and PT_EROLLBACK when the log refuses that proof (it no
 * longer has the larger tree).  O(log n), one request.
 */
int logc_order(struct logc *lc, const struct ckpt *known,
    const struct ckpt *got, struct pt_why *why);

/*
 * Prove that the verified checkpoint newer extends the verified
 * checkpoint older: same root when the sizes are equal; PT_EROLLBACK when
 * newer is smaller; otherwise GET /proof/consistency and
 * mt_verify_consistency against the two signed roots.  PT_EPROOF with the
 * reason when the log's histories diverge.  O(log n).
 */
/*
 * The client's memory of each log (issue 5): the latest checkpoint it
 * verified, per log key, in $PUBTRAIL_STATE (else $XDG_STATE_HOME/pubtrail,
 * else ~/.local/state/pubtrail; PUBTRAIL_STATE=- turns it off).  A new
 * checkpoint ck is accepted only with a consistency proof from the
 * remembered one (fetched from the log; the same size needs the same root;
 * an older one must be a prefix of it), and then remembered.  Called by
 * logc_checkpoint.  0, or PT_EPROOF / PT_EROLLBACK (exit 1: evidence), a
 * network error, PT_EIO (unreadable memory), PT_ESTALE (an older
 * checkpoint proven a prefix of the remembered one: not remembered).
 */
int logc_remember(struct logc *lc, const struct ckpt *ck, const char *note,
    size_t len, struct pt_why *why);
int logc_consistent(struct logc *lc, const struct ckpt *older,
    const struct ckpt *newer, struct pt_why *why);

/*
 * Prove that leaf (the hash of the entry at index) is in the verified
 * checkpoint ck: GET /proof/inclusion?index=&size= (from tiles when the
 * server has no such route: logc_tiles_inclusion) and mt_verify_inclusion
 * against ck's root.  PT_EPROOF, PT_ERANGE, PT_ENET.
 */
int logc_inclusion(struct logc *lc, uint64_t index, const struct ckpt *ck,
    const struct mt_hash *leaf, struct pt_why *why);
/* The same, handing back the verified proof (*np hashes). */
int logc_inclusion_proof(struct logc *lc, uint64_t index,
    const struct ckpt *ck, const struct mt_hash *leaf,
    struct mt_hash proof[PT_MAX_PROOF], size_t *np, struct pt_why *why);

/*
 * GET /entry/<index> (the exact leaf bytes; from its entry bundle when the
 * server has no such route: logc_bundle_entry), prove its inclusion in ck
 * and verify its content (schema, submitter signature for ck's origin).
 * *buf (caller frees) and *e (points into *buf) are set on success.
 */
int logc_entry(struct logc *lc, uint64_t index, const struct ckpt *ck,
    uint8_t **buf, size_t *len, struct wire_entry *e, struct pt_why *why);

/*
 * GET /lookup?submitter=<hex id>&id=<id>, then as logc_entry for the index
 * the server names, and the answer must be the record asked for: signed by
 * that submitter, with that id (PT_EANSWER naming what came instead).
 * *index gets it.  A server without the route (a static mirror: 404 for
 * /lookup without a query too, where pubtraild says 400) sets
 * lc->no_lookup and is PT_EREFUSED: finding a record by office and id
 * there takes a scan of every entry bundle (`get lookup --scan`).
 */
/* Whether the server lacks route (a path without a query): pubtraild
 * answers its query routes without a query 400 (missing parameters), a
 * server without the route 404.  One request. */
int logc_route_absent(struct logc *lc, const char *route);
int logc_lookup(struct logc *lc, const uint8_t submitter_id[32],
    const char *id, const struct ckpt *ck, uint64_t *index, uint8_t **buf,
    size_t *len, struct wire_entry *e, struct pt_why *why);

/*
 * Proofs and entries from C2SP tlog-tiles resources alone (proto/tilerd.h
 * over GET /tile/...): what a server that serves only tiles, bundles and
 * /checkpoint offers.  size is the size of a verified checkpoint (tiles
 * are asked for with their width in that tree; a missing partial tile is
 * replaced by its full tile).  The results are not yet verified: bind
 * them to the signed roots (mt_verify_*) as logc_inclusion and
 * logc_consistent do.  PT_ENOTFOUND when the server lacks a tile of that
 * tree (reason in *why), PT_ENET, PT_EMALFORMED (a tile of the wrong
 * length).  O(log size) requests of at most 8 KiB.
 */
int logc_tiles_inclusion(struct logc *lc, uint64_t index, uint64_t size,
    struct mt_hash *proof, size_t max, size_t *n, struct pt_why *why);
int logc_tiles_consistency(struct logc *lc, uint64_t old, uint64_t size,
    struct mt_hash *proof, size_t max, size_t *n, struct pt_why *why);
/* GET hash tile t (its width as given) into out (TILE_WIDTH * 32
 * bytes); *len its size.  PT_ENOTFOUND (404), PT_ENET, PT_EMALFORMED (over
 * 8 KiB).  Not verified. */
struct tile;
int logc_tile(struct logc *lc, const struct tile *t, uint8_t *out,
    size_t *len, struct pt_why *why);
/* A reader of the tree of size over this server's hash tiles (why must
 * outlive it; tilerd_free() it). */
struct tilerd;
int logc_tiles_open(struct logc *lc, uint64_t size, struct pt_why *why,
    struct tilerd **out);
/* The frontier of the tree of size from its tiles (compare its root with
 * the signed one). */
int logc_tiles_frontier(struct logc *lc, uint64_t size,
    struct mt_frontier *fr, struct pt_why *why);

/*
 * Entry index of the tree of size from its entry bundle (partial, or the
 * full bundle when the partial one is gone): *buf (caller frees) gets a
 * copy of its bytes.  Not verified: prove its leaf hash (logc_entry does).
 * PT_ENOTFOUND, PT_ENET, PT_EMALFORMED (a bundle that is not one of that
 * width).  One request of at most PT_ANSWER_BUNDLE bytes.
 */
int logc_bundle_entry(struct logc *lc, uint64_t index, uint64_t size,
    uint8_t **buf, size_t *len, struct pt_why *why);

/*
 * The entries that correct entry target, as the log lists them (GET
 * /corrections/<target>?from=, page after page), those below ck's size, in
 * log order, at most max into out (*n).  The answer must be for target and
 * ascending, each after target (PT_EANSWER otherwise); PT_ETOOBIG when
 * there are more than max.  Not verified: each is a claim (cstatus.h).
 */
int logc_corrections(struct logc *lc, uint64_t target, const struct ckpt *ck,
    uint64_t *out, size_t max, size_t *n, struct pt_why *why);

#endif
