/*
 * witness.c: `pubtrail witness serve` (see witness.h).
 *
 * State: one LMDB environment in DIR/db (default, fully synchronous
 * flags), one unnamed database: origin -> 8-byte big-endian size || 32-byte
 * root || the signed note as received.  Every add-checkpoint runs inside
 * one write transaction: read the stored state, check, put, commit (fsync),
 * and only then answer.  The event loop runs one request at a time and
 * LMDB serialises writers across processes as well.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <lmdb.h>

#include "ckpt.h"
#include "cli.h"
#include "crypto.h"
#include "evidence.h"
#include "keys.h"
#include "mt.h"
#include "note.h"
#include "num.h"
#include "hsrv.h"
#include "util.h"
#include "witness.h"
#include "witreq.h"

#define WIT_MAX_LOGS	32
#define WIT_MAP_SIZE	(64u << 20)

struct wit {
	struct event_base *base;
	struct hsrv *srv;
	MDB_env *env;
	MDB_dbi dbi;
	const char *dir;
	struct note_skey key;
	struct note_vkey logs[WIT_MAX_LOGS];
	size_t nlogs;
	int fatal;
	uint64_t served, cosigned, refused;
	unsigned evidence;		/* files written this run */
};

static const char wit_usage[] =
    "usage: pubtrail witness serve --key FILE --listen HOST:PORT --state DIR\n"
    "           --log VKEY[,VKEY...] [--name NAME]\n"
    "           [--request-deadline MS] [--max-connections N]\n"
    "\n"
    "A C2SP tlog-witness: POST /add-checkpoint cosigns checkpoints of the\n"
    "given logs that are consistent with the last one it cosigned.  The\n"
    "cosigning key is read from FILE (created with NAME when missing); its\n"
    "verifier key is written to DIR/witness.vkey and printed.\n";

static void
reply(struct evhttp_request *req, int code, const char *ctype,
    const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

static void
reply_text(struct evhttp_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
reply_text(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char buf[PT_WHY_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	reply(req, code, "text/plain; charset=utf-8", buf, (size_t)n);
}

/* Text of a signed checkpoint note (through the "\n" before the blank
 * line). */
static size_t
note_text_len(const char *n, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (n[i] == '\n' && n[i + 1] == '\n')
			return i + 1;
	return 0;
}

static void
save_evidence(struct wit *w, int kind, const char *check, uint64_t old,
    const struct witreq *r, const char *stored, size_t stored_len)
{
	struct pt_why why = { "" };
	char path[UT_PATH_MAX + 128];
	struct evd *e;
	size_t i;

	/* Anyone can replay a log-signed checkpoint with a bad proof: bound
	 * what that costs the witness's disk. */
	if (w->evidence >= PT_WITNESS_MAX_EVIDENCE) {
		fprintf(stderr, "pubtrail witness: LOG MISBEHAVIOUR: %s; "
		    "not saved (%d evidence files this run)\n", check,
		    PT_WITNESS_MAX_EVIDENCE);
		return;
	}
	w->evidence++;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->kind = kind;
	snprintf(e->check, sizeof(e->check), "%s", check);
	e->old = old;
	if (kind == EVD_INCONSISTENT) {
		e->nproof = r->nproof;
		for (i = 0; i < r->nproof; i++)
			e->proof[i] = r->proof[i];
	}
	e->note[0] = stored;
	e->note_len[0] = stored_len;
	e->note[1] = r->note;
	e->note_len[1] = r->note_len;
	if (evd_save(w->dir, e, path, sizeof(path), &why) == 0)
		fprintf(stderr, "pubtrail witness: LOG MISBEHAVIOUR: %s; "
		    "evidence saved in %s\n", check, path);
	else
		fprintf(stderr, "pubtrail witness: LOG MISBEHAVIOUR: %s; "
		    "could not save evidence: %s\n", check, why.text);
	free(e);
}

/* The whole add-checkpoint: one exit, one answer. */
static void
add_checkpoint(struct wit *w, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct pt_why why = { "" };
	struct witreq *r = NULL;
	struct ckpt *c = NULL;
	char origin[PT_MAX_ORIGIN + 1], sbuf[32], line[PT_NOTE_MAX_LINE + 8];
	char check[400];
	const char *body, *nl, *stored = NULL;
	uint8_t sig[72], raw[76], *val = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint64_t ssize = 0, now;
	struct mt_hash sroot;
	size_t len, i, tl, slen = 0, n;
	int rc, known = 0, signed_ok = 0;

	len = evbuffer_get_length(in);
	if (len > PT_WITREQ_MAX_BODY) {
		reply_text(req, 413, "body over %d bytes", PT_WITREQ_MAX_BODY);
		goto out;
	}
	if ((body = (const char *)evbuffer_pullup(in, -1)) == NULL &&
	    len > 0) {
		reply_text(req, 503, "out of memory");
		goto out;
	}
	if ((r = malloc(sizeof(*r))) == NULL ||
	    (c = malloc(sizeof(*c))) == NULL) {
		reply_text(req, 503, "out of memory");
		goto out;
	}
	if ((rc = witreq_parse(body == NULL ? "" : body, len, r, &why)) != 0) {
		reply_text(req, 400, "%s", why.text);
		goto out;
	}
	/* Origin, then the log's signature by one of its keys. */
	if ((nl = memchr(r->note, '\n', r->note_len)) == NULL ||
	    (size_t)(nl - r->note) > PT_MAX_ORIGIN) {
		reply_text(req, 400, "not a checkpoint");
		goto out;
	}
	memcpy(origin, r->note, (size_t)(nl - r->note));
	origin[nl - r->note] = '\0';
	for (i = 0; i < w->nlogs; i++) {
		if (strcmp(w->logs[i].name, origin) != 0)
			continue;
		known = 1;
		rc = ckpt_open(r->note, r->note_len, &w->logs[i], NULL, 0, c,
		    NULL);
		if (rc == 0) {
			signed_ok = 1;
			break;
		}
		if (rc != PT_ESIG && rc != PT_EUNKNOWNSIGNER &&
		    rc != PT_EORIGIN) {
			reply_text(req, 400, "checkpoint: %s",
			    pt_strerror(rc));
			goto out;
		}
	}
	if (!known) {
		reply_text(req, 404, "unknown log origin");
		goto out;
	}
	if (!signed_ok) {
		reply_text(req, 403, "no valid signature by the log's key");
		goto out;
	}
	if (r->old > c->size) {
		reply_text(req, 400, "old size %" PRIu64 " is larger than the "
		    "checkpoint size %" PRIu64, r->old, c->size);
		goto out;
	}
	tl = note_text_len(r->note, r->note_len);
	/* Check and store atomically. */
	if ((rc = mdb_txn_begin(w->env, NULL, 0, &txn)) != 0) {
		reply_text(req, 500, "storage: %s", mdb_strerror(rc));
		w->fatal = 1;
		goto out;
	}
	k.mv_data = origin;
	k.mv_size = strlen(origin);
	rc = mdb_get(txn, w->dbi, &k, &v);
	if (rc == 0) {
		if (v.mv_size < 41 || (val = malloc(v.mv_size)) == NULL) {
			reply_text(req, 500, "storage: bad record");
			w->fatal = 1;
			goto out;
		}
		memcpy(val, v.mv_data, v.mv_size);
		for (ssize = 0, i = 0; i < 8; i++)
			ssize = ssize << 8 | val[i];
		memcpy(sroot.b, val + 8, 32);
		stored = (const char *)val + 40;
		slen = v.mv_size - 40;
	} else if (rc != MDB_NOTFOUND) {
		reply_text(req, 500, "storage: %s", mdb_strerror(rc));
		w->fatal = 1;
		goto out;
	}
	if (r->old != ssize) {
		if (stored != NULL && c->size == ssize &&
		    cr_memcmp(c->root.b, sroot.b, 32) != 0) {
			snprintf(check, sizeof(check), "%s: two signed "
			    "checkpoints of size %" PRIu64 " with different "
			    "roots", origin, ssize);
			save_evidence(w, EVD_SAME_SIZE, check, 0, r, stored,
			    slen);
		}
		witreq_size_format(ssize, sbuf, sizeof(sbuf), &n);
		reply(req, 409, WITREQ_SIZE_CTYPE, sbuf, n);
		goto out;
	}
	if (stored != NULL && c->size == ssize) {
		if (cr_memcmp(c->root.b, sroot.b, 32) != 0) {
			snprintf(check, sizeof(check), "%s: two signed "
			    "checkpoints of size %" PRIu64 " with different "
			    "roots", origin, ssize);
			save_evidence(w, EVD_SAME_SIZE, check, 0, r, stored,
			    slen);
			reply_text(req, 409, "a checkpoint of this size with "
			    "another root was cosigned before");
			goto out;
		}
		if (r->nproof != 0) {
			reply_text(req, 422, "old size equals the size: the "
			    "proof must be empty");
			goto out;
		}
	} else if (stored != NULL && ssize == 0) {
		/* The empty tree is a prefix of every tree: from size 0
		 * there is nothing to prove, and the proof must be empty
		 * (tlog-witness). */
		if (r->nproof != 0) {
			reply_text(req, 422, "old size 0: the proof must be "
			    "empty");
			goto out;
		}
	} else if (stored != NULL) {
		if (mt_verify_consistency(ssize, c->size, &sroot, &c->root,
		    r->proof, r->nproof) != 0) {
			snprintf(check, sizeof(check), "%s: consistency proof "
			    "from %" PRIu64 " to %" PRIu64 " does not verify",
			    origin, ssize, c->size);
			save_evidence(w, EVD_INCONSISTENT, check, ssize, r,
			    stored, slen);
			reply_text(req, 422, "consistency proof does not "
			    "verify");
			goto out;
		}
	}
	/* Store, then commit, then cosign and answer. */
	if (stored == NULL || c->size > ssize) {
		uint8_t *nv;

		v.mv_size = 40 + r->note_len;
		if ((nv = malloc(v.mv_size)) == NULL) {
			reply_text(req, 503, "out of memory");
			goto out;
		}
		for (i = 0; i < 8; i++)
			nv[i] = (uint8_t)(c->size >> (56 - 8 * i));
		memcpy(nv + 8, c->root.b, 32);
		memcpy(nv + 40, r->note, r->note_len);
		v.mv_data = nv;
		rc = mdb_put(txn, w->dbi, &k, &v, 0);
		free(nv);
		if (rc != 0) {
			reply_text(req, rc == MDB_MAP_FULL ? 503 : 500,
			    "storage: %s", mdb_strerror(rc));
			if (rc != MDB_MAP_FULL)
				w->fatal = 1;
			goto out;
		}
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0) {
		reply_text(req, 500, "storage: %s", mdb_strerror(rc));
		w->fatal = 1;
		goto out;
	}
	now = (uint64_t)time(NULL);
	if ((rc = note_cosign_v1(&w->key, r->note, tl, now, sig)) != 0) {
		reply_text(req, 500, "cosign: %s", pt_strerror(rc));
		goto out;
	}
	raw[0] = (uint8_t)(w->key.vk.hash >> 24);
	raw[1] = (uint8_t)(w->key.vk.hash >> 16);
	raw[2] = (uint8_t)(w->key.vk.hash >> 8);
	raw[3] = (uint8_t)w->key.vk.hash;
	memcpy(raw + 4, sig, 72);
	n = (size_t)snprintf(line, sizeof(line), "\xe2\x80\x94 %s ",
	    w->key.vk.name);
	cr_b64_encode(raw, sizeof(raw), line + n, sizeof(line) - n);
	n = strlen(line);
	line[n++] = '\n';
	w->cosigned++;
	reply(req, 200, "text/plain; charset=utf-8", line, n);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(val);
	free(c);
	free(r);
	if (w->fatal) {
		fprintf(stderr, "pubtrail witness: storage failed; "
		    "stopping\n");
		event_base_loopexit(w->base, NULL);
	}
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct wit *w = arg;
	const char *path = evhttp_request_get_uri(req);

	w->served++;
	if (path != NULL && strcmp(path, "/add-checkpoint") == 0) {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Allow", "POST");
			reply_text(req, 405, "POST only");
			return;
		}
		add_checkpoint(w, req);
		return;
	}
	if (path != NULL && strcmp(path, "/healthz") == 0) {
		reply_text(req, 200, "ok");
		return;
	}
	reply_text(req, 404, "not found");
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct wit *w = arg;

	(void)sig;
	(void)ev;
	event_base_loopexit(w->base, NULL);
}

static int
load_key(const char *path, const char *name, struct note_skey *k,
    struct pt_why *why)
{
	char buf[KEYS_STR_MAX + 2];
	uint8_t *data;
	size_t len;
	int rc;

	rc = ut_read_file(path, 1024, &data, &len, why);
	if (rc == PT_ENOTFOUND) {
		if ((rc = note_keygen(name, NOTE_ALG_COSIG_V1, k)) != 0)
			return pt_why_set(why, rc, "key generation failed");
		if ((rc = note_skey_format(k, buf, sizeof(buf))) != 0)
			return pt_why_set(why, rc, "key format failed");
		strcat(buf, "\n");
		rc = ut_write_file(path, buf, strlen(buf), 0600, 1, why);
		cr_wipe(buf, sizeof(buf));
		if (rc == 0)
			fprintf(stderr, "pubtrail witness: new cosigning key "
			    "written to %s\n", path);
		return rc;
	}
	if (rc != 0)
		return rc;
	len = ut_rtrim((const char *)data, len);
	rc = note_skey_parse((const char *)data, len, k);
	cr_wipe(data, len);
	free(data);
	if (rc != 0)
		return pt_why_set(why, rc, "%s: not a private key", path);
	if (k->vk.alg != NOTE_ALG_COSIG_V1) {
		note_skey_wipe(k);
		return pt_why_set(why, PT_EMALFORMED, "%s: not a cosignature "
		    "(type 0x04) key", path);
	}
	return 0;
}

static int
parse_logs(struct wit *w, const char *arg, struct pt_why *why)
{
	const char *s = arg, *comma;
	size_t n;

	while (*s != '\0') {
		comma = strchr(s, ',');
		n = comma == NULL ? strlen(s) : (size_t)(comma - s);
		if (w->nlogs == WIT_MAX_LOGS)
			return pt_why_set(why, PT_ETOOBIG, "more than %d logs",
			    WIT_MAX_LOGS);
		if (note_vkey_parse(s, n, &w->logs[w->nlogs]) != 0 ||
		    w->logs[w->nlogs].alg != NOTE_ALG_ED25519)
			return pt_why_set(why, PT_EMALFORMED,
			    "--log: not an Ed25519 verifier key: %.*s",
			    (int)(n > 80 ? 80 : n), s);
		w->nlogs++;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int
open_store(struct wit *w, struct pt_why *why)
{
	char path[UT_PATH_MAX];
	MDB_txn *txn;
	int rc, dead;

	if (snprintf(path, sizeof(path), "%s/db", w->dir) >= (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "--state: path too long");
	if ((rc = ut_mkdirs(path, 0700, why)) != 0)
		return rc;
	if ((rc = mdb_env_create(&w->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(w->env, WIT_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(w->env, path, 0, 0600)) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", path,
		    mdb_strerror(rc));
	mdb_reader_check(w->env, &dead);
	if ((rc = mdb_txn_begin(w->env, NULL, 0, &txn)) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", path,
		    mdb_strerror(rc));
	if ((rc = mdb_dbi_open(txn, NULL, 0, &w->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", path,
		    mdb_strerror(rc));
	return 0;
}

int
witness_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "key", 1, NULL, 'k' },
		{ "listen", 1, NULL, 'l' },
		{ "state", 1, NULL, 's' },
		{ "log", 1, NULL, 'g' },
		{ "name", 1, NULL, 'n' },
		{ "request-deadline", 1, NULL, 'D' },
		{ "max-connections", 1, NULL, 'C' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pt_why why = { "" };
	const char *keyf = NULL, *listen = NULL, *name = "pubtrail-witness";
	char vk[KEYS_STR_MAX + 2], path[UT_PATH_MAX + 32];
	struct event *sigs[2] = { NULL, NULL };
	struct wit *w;
	unsigned deadline_ms = 0, max_conns = 0;
	uint64_t lim;
	int c, rc, ex = CLI_OK;

	if (argc < 2 || strcmp(argv[1], "serve") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)) {
			fputs(wit_usage, stdout);
			return CLI_OK;
		}
		return cli_usage_error(wit_usage, "want: witness serve");
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "witness");
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyf = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 's':
			w->dir = optarg;
			break;
		case 'g':
			if ((rc = parse_logs(w, optarg, &why)) != 0) {
				ex = cli_usage_error(wit_usage, "%s", why.text);
				goto out;
			}
			break;
		case 'n':
			name = optarg;
			break;
		case 'D':
		case 'C':
			if (num_parse_u64_str(optarg, 1, c == 'D' ? 600000 :
			    PT_HTTP_MAX_CONNS, &lim) != 0) {
				ex = cli_usage_error(wit_usage, "--%s: out of "
				    "range", c == 'D' ? "request-deadline" :
				    "max-connections");
				goto out;
			}
			if (c == 'D')
				deadline_ms = (unsigned)lim;
			else
				max_conns = (unsigned)lim;
			break;
		case 'h':
			fputs(wit_usage, stdout);
			goto out;
		default:
			ex = cli_usage_error(wit_usage, "bad option");
			goto out;
		}
	}
	if (keyf == NULL || listen == NULL || w->dir == NULL ||
	    w->nlogs == 0 || optind != argc) {
		ex = cli_usage_error(wit_usage,
		    "--key, --listen, --state and --log are required");
		goto out;
	}
	if ((rc = ut_mkdirs(w->dir, 0700, &why)) != 0 ||
	    (rc = load_key(keyf, name, &w->key, &why)) != 0) {
		ex = cli_fail(rc, &why, "witness");
		goto out;
	}
	if ((rc = open_store(w, &why)) != 0) {
		ex = cli_fail(rc, &why, "witness state");
		goto out;
	}
	note_vkey_format(&w->key.vk, vk, sizeof(vk) - 1);
	snprintf(path, sizeof(path), "%s/witness.vkey", w->dir);
	strcat(vk, "\n");
	if ((rc = ut_write_file(path, vk, strlen(vk), 0644, 0, &why)) != 0) {
		ex = cli_fail(rc, &why, "witness.vkey");
		goto out;
	}
	if ((w->base = event_base_new()) == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "witness");
		goto out;
	}
	{
		struct hsrv_opts so = { .max_body = PT_WITREQ_MAX_BODY,
		    .max_conns = max_conns, .deadline_ms = deadline_ms,
		    .methods = HSRV_METHODS_ANY };

		if ((rc = hsrv_start(w->base, listen, &so, handle, w, &w->srv,
		    &why)) != 0) {
			ex = cli_fail(rc, &why, "witness");
			goto out;
		}
	}
	sigs[0] = evsignal_new(w->base, SIGTERM, on_signal, w);
	sigs[1] = evsignal_new(w->base, SIGINT, on_signal, w);
	if (sigs[0] == NULL || sigs[1] == NULL) {
		ex = cli_fail(PT_ENOMEM, NULL, "witness");
		goto out;
	}
	event_add(sigs[0], NULL);
	event_add(sigs[1], NULL);
	signal(SIGPIPE, SIG_IGN);
	fputs(vk, stdout);
	fflush(stdout);
	fprintf(stderr, "pubtrail witness: %s listening on %s, %zu log "
	    "key(s)\n", w->key.vk.name, listen, w->nlogs);
	event_base_dispatch(w->base);
	if (w->fatal)
		ex = CLI_ENET;
	fprintf(stderr, "pubtrail witness: stopped (%" PRIu64 " cosigned)\n",
	    w->cosigned);
out:
	if (sigs[0] != NULL)
		event_free(sigs[0]);
	if (sigs[1] != NULL)
		event_free(sigs[1]);
	hsrv_free(w->srv);
	if (w->base != NULL)
		event_base_free(w->base);
	if (w->env != NULL)
		mdb_env_close(w->env);
	note_skey_wipe(&w->key);
	free(w);
	return ex;
}
