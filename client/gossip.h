/*
 * gossip.h: `pubtrail gossip serve|sync`: clients exchange the latest
 * checkpoints they verified for each log they follow, and catch a log that
 * shows them different histories.
 *
 *   pubtrail gossip sync  --peer URL --state DIR [--log URL --log-key VKEY]
 *                         [--checkpoint FILE]
 *   pubtrail gossip serve --listen HOST:PORT --state DIR
 *                         [--log URL --log-key VKEY] [--checkpoint FILE]
 *
 * State DIR: DIR/logs/<first 8 bytes of SHA-256(origin), hex>/ holds
 * "vkey" (the log's verifier key), "url" (its base URL, may be absent) and
 * "checkpoint" (the latest signed checkpoint this client verified);
 * DIR/evidence/ the evidence files (evidence.h).  --log/--log-key add or
 * refresh a followed log: its current checkpoint is fetched, opened with
 * the key and checked for consistency with the stored one (a proof from
 * the log) before it replaces it.  --checkpoint imports a signed
 * checkpoint verified elsewhere (e.g. an audit state's DIR/checkpoint).
 *
 * Wire (HTTP): GET /gossip/v1/checkpoints answers the stored checkpoints;
 * POST /gossip/v1/checkpoints sends ours, which the server checks and
 * answers 200 "ok" or 409 naming the evidence it wrote.  Both bodies are
 * zero or more "note <length>\n" <signed note> records
 * (at most PT_GOSSIP_MAX_LOGS).
 *
 * A received checkpoint of a followed log is opened with the log's key
 * (one that does not open is ignored, with a warning: it proves nothing)
 * and compared with ours: same size and root, fine; same size, other
 * root: evidence (kind same-size); other sizes: the log is asked for a
 * consistency proof between them, and one that does not verify, or a log
 * that cannot give one, is evidence (kind inconsistent) and a fork.  A
 * newer consistent checkpoint replaces ours.
 *
 * sync exits 0 when everything is consistent, 1 after a fork (evidence
 * written, loud message on stderr), 2 usage, 3 network or I/O.
 */
#ifndef PT_CLIENT_GOSSIP_H
#define PT_CLIENT_GOSSIP_H

/* argv[0] is "gossip", argv[1] "sync" or "serve". */
int gossip_main(int argc, char **argv);

#endif
