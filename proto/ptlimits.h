/*
 * ptlimits.h: every size and count limit in pubtrail, by name, in one place.
 * Each is checked before anything is allocated.  The daemon's configurable
 * limits take these as defaults and as hard ceilings.
 */
#ifndef PT_PTLIMITS_H
#define PT_PTLIMITS_H

/* Records, submissions, entries (proto/wire, proto/record). */
#define PT_MAX_RECORD		16384	/* canonical record bytes */
#define PT_MAX_SUBMISSION	20480	/* POST /add body */
#define PT_MAX_ENTRY		24576	/* leaf bytes; < 65536 for entry bundles */
#define PT_MAX_STRING		4096	/* any msgpack string */
#define PT_MAX_BIN		4096	/* any msgpack bin */
#define PT_MAX_MAP_KEYS		32	/* pairs in one map */
#define PT_MAX_ARRAY		64	/* elements in one array */
#define PT_MAX_DEPTH		6	/* container nesting */
#define PT_MAX_ID		128	/* a record's id, bytes */
#define PT_MAX_KEY_NAME		128	/* signed-note key name, bytes */
#define PT_MAX_VKEY		256	/* verifier key string (Ed25519 key), bytes */
#define PT_MAX_VKEY_MLDSA	2048	/* one of an ML-DSA-44 key (1312 bytes) */
#define PT_MAX_ORIGIN		256	/* checkpoint origin line, bytes */
#define PT_MAX_OFFICE_KEYS	10000	/* keys a log grants (office_key), and
					 * signers before its first grant */

/*
 * Signed notes and checkpoints (proto/note, proto/ckpt).  C2SP signed-note:
 * a verifier MUST accept at least 16 signatures, and post-quantum ones are
 * up to nearly 5 kB (an ML-DSA-44 cosignature line is about 3.3 kB, one of
 * ML-DSA-87 size with a 128-byte key name 6.3 kB).  So the text keeps its
 * own strict bounds, and a whole note fits its text plus 16 signature lines
 * of the largest size.
 */
#define PT_NOTE_MAX_TEXT	16384	/* a note's text (a checkpoint body) */
#define PT_NOTE_MAX_LINE	1024	/* one line of a note's text */
#define PT_NOTE_MAX_SIG_LINE	8192	/* one signature line, "\n" included */
#define PT_NOTE_MIN_SIGS	16	/* signature lines of that size that fit */
#define PT_NOTE_MAX_SIGS	64	/* signature lines (of any size) */
#define PT_NOTE_MAX		(PT_NOTE_MAX_TEXT + 1 + \
				 PT_NOTE_MIN_SIGS * PT_NOTE_MAX_SIG_LINE)
					/* a whole signed note: 147,457 bytes */
#define PT_LOG_NOTE_MAX		(PT_NOTE_MAX_TEXT + 1 + 256)
					/* a checkpoint as the log signs it: its
					 * text and its own Ed25519 line */
#define PT_CKPT_MAX_EXT		16	/* checkpoint extension lines */

/* Merkle proofs (proto/mt). */
#define PT_MAX_PROOF		64	/* hashes in any proof; 2*log2(2^63)+ fits */
#define PT_MAX_TREE_SIZE	(1ULL << 62)

/* HTTP (daemon/http, client). Defaults; config may lower or raise to a cap. */
#define PT_HTTP_MAX_HEADERS	8192	/* all request headers, bytes */
#define PT_HTTP_MAX_BODY	PT_MAX_SUBMISSION
#define PT_HTTP_DEADLINE_MS	10000	/* whole request, first byte to reply */
#define PT_HTTP_IDLE_S		30	/* keep-alive idle */
#define PT_HTTP_MAX_CONNS	4096	/* simultaneous connections */
#define PT_WEB_MAX_FILE		(8u << 20) /* one static file of the citizen page */
#define PT_HTTP_MAX_RESPONSE	(64u << 20) /* client: largest answer read */
/* The daemon's log of refused requests: one line each, at most this many
 * per second after a burst; the rest are counted and reported as one line. */
#define PT_LOG_REFUSALS_PER_S	10
#define PT_LOG_REFUSALS_BURST	100

/* Answers the clients read, each capped while it is read (net/hcli) by what
 * it can be.  Checkpoints are at most PT_NOTE_MAX, entries PT_MAX_ENTRY,
 * proofs WIRE_MAX_PROOF_MSG, receipts WIRE_MAX_RECEIPT (proto/wire.h). */
#define PT_ANSWER_TILE		(256 * 32)	/* a full hash tile */
#define PT_ANSWER_BUNDLE	(256 * (2 + PT_MAX_ENTRY)) /* an entry bundle */
#define PT_MAX_CORRECTIONS_LISTED 256	/* corrections of one entry in one
					 * answer; /corrections/N?from= pages */
#define PT_ANSWER_CORRECTIONS	(64 + 9 * PT_MAX_CORRECTIONS_LISTED)
					/* /corrections/N */
#define PT_MAX_CORRECTIONS_PAGE	4096	/* (target, correction) pairs in one
					 * answer of GET /corrections */
#define PT_ANSWER_CORRECTION_PAGE (64 + 26 * PT_MAX_CORRECTIONS_PAGE)
#define PT_ANSWER_LOOKUP	(PT_MAX_ENTRY + PT_ANSWER_CORRECTIONS)
					/* /lookup: entry, index, corrections */
#define PT_ANSWER_SMALL		4096	/* a gossip leaf relay, a short text */

/* Sequencer (daemon/seq). */
#define PT_BATCH_MAX		4096	/* entries per batch, at most */
#define PT_BATCH_DEFAULT	4096	/* default batch_max (docs/PERFORMANCE.md) */
#define PT_BATCH_WINDOW_MS	2	/* default batch window (docs/PERFORMANCE.md) */
#define PT_BATCH_WINDOW_MAX_MS	10	/* default window under load (same) */
#define PT_QUEUE_MAX		65536	/* submissions waiting */
#define PT_ADD_BATCH_MAX	4096	/* submissions in one POST /add, at most */
#define PT_ADD_BATCH_DEFAULT	1000	/* default add_batch_max */
#define PT_ADD_BATCH_BYTES	(4u << 20)	/* default add_batch_bytes */
#define PT_ADD_BATCH_BYTES_MAX	(64u << 20)	/* add_batch_bytes, at most */

/* Witnessing and trust policies (proto/policy, proto/witreq, client/witness,
 * client/gossip, daemon/witc). */
#define PT_POLICY_MAX		65536	/* a tlog-policy file, bytes */
#define PT_POLICY_MAX_LOGS	32	/* log lines */
#define PT_POLICY_MAX_WITNESSES	32	/* witness lines (< 64: bitmasks) */
#define PT_POLICY_MAX_GROUPS	32	/* group lines */
#define PT_POLICY_MAX_NAME	128	/* a witness or group name, bytes */
#define PT_POLICY_MAX_URL	512	/* a log or witness URL, bytes */
#define PT_WITREQ_MAX_PROOF	63	/* consistency proof lines (tlog-witness) */
#define PT_WITREQ_MAX_BODY	(PT_NOTE_MAX + 4096) /* add-checkpoint body */
#define PT_WITRESP_MAX_BODY	(PT_NOTE_MIN_SIGS * PT_NOTE_MAX_SIG_LINE)
					/* add-checkpoint answer the log reads:
					 * 16 signature lines of the largest size */
#define PT_COSIG_SKEW_S		300	/* a cosignature dated later than now plus
					 * this many seconds does not count */
#define PT_EVIDENCE_MAX		(4 * PT_NOTE_MAX) /* an evidence file, bytes */
#define PT_GOSSIP_MAX_LOGS	64	/* logs one gossip peer exchanges */
#define PT_GOSSIP_MAX_BODY	(PT_GOSSIP_MAX_LOGS * (PT_LOG_NOTE_MAX + 32))
					/* a gossip body: 64 checkpoints as
					 * their logs signed them (gossip keeps
					 * no other lines), 1,067,072 bytes */
#define PT_WITNESS_MAX_EVIDENCE	1000	/* evidence files one witness run writes */

#endif
