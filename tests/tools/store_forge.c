/*
 * store_forge: what an operator can do to a log's store behind the
 * daemon's back (the daemon stopped), for the office keys tests
 * (tests/integration/test_keys.py).  It goes through the store's own API
 * and signs with the log's own key, so the result is a log the daemon
 * starts on and serves, as a dishonest operator could make it:
 *
 *   store_forge DIR append FILE [--office-key | --correction]
 *       append the entry whose bytes are in FILE (any entry: e.g. one
 *       signed by a key the log never granted), with a new checkpoint
 *       signed by DIR/log.key; --office-key also marks it in the
 *       office_keys index, as the sequencer marks an office_key entry;
 *       --correction lists it in the corrections index under its target,
 *       as the sequencer lists a correction (so the log's answers apply
 *       it: e.g. one another office signed)
 *   store_forge DIR drop-office-keys
 *       delete the office_keys database: the store of a log made before
 *       office keys (pubtraild then migrates it)
 *
 * Prints the new entry's index (append).  Exits 1 on any failure.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "wire.h"
#include "../../daemon/logkey.h"
#include "../../daemon/store.h"

static int
fail(const char *what, int rc, const struct pt_why *why)
{
	fprintf(stderr, "store_forge: %s: %s\n", what, why != NULL &&
	    why->text[0] ? why->text : pt_strerror(rc));
	return 1;
}

static int
forge_append(const char *dir, const char *file, int okey, int corr)
{
	struct store_opts so = { 0, 0 };
	struct pt_why why = { "" };
	struct store *s;
	struct store_batch *b;
	struct note_skey lk;
	struct wire_entry e;
	struct mt_hash leaf, root;
	struct ckpt c;
	uint8_t buf[PT_MAX_ENTRY + 1], sid[32];
	char body[PT_NOTE_MAX_TEXT + 1], note[PT_LOG_NOTE_MAX + 1];
	size_t len, blen, nlen;
	uint64_t index;
	FILE *f;
	int rc;

	if ((f = fopen(file, "rb")) == NULL)
		return fail(file, PT_EIO, NULL);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len == 0 || len > PT_MAX_ENTRY)
		return fail(file, PT_ETOOBIG, NULL);
	if ((rc = wire_entry_decode(buf, len, &e, &why)) != 0)
		return fail("entry", rc, &why);
	if ((rc = logkey_load(dir, &lk, &why)) != 0)
		return fail("log key", rc, &why);
	if ((rc = store_open(dir, &so, &s, &why)) != 0)
		return fail("store", rc, &why);
	memset(&c, 0, sizeof(c));
	if ((rc = mt_leaf_hash(buf, len, &leaf)) != 0 ||
	    (rc = wire_submitter_id(e.sub.submitter_str, e.sub.submitter_len,
	    sid)) != 0 || (rc = store_batch_begin(s, &b)) != 0)
		return fail("append", rc, NULL);
	if ((rc = store_batch_append(b, buf, len, &leaf, sid, e.sub.info.id,
	    e.sub.info.id_len, &index)) != 0 ||
	    (okey && (rc = store_batch_mark_office_key(b, index)) != 0) ||
	    (corr && (rc = store_batch_correction(b, e.sub.info.target_index,
	    index, e.sub.info.action_void ? STORE_CORR_VOID :
	    STORE_CORR_AMEND)) != 0) ||
	    (rc = store_batch_root(b, &root)) != 0)
		return fail("append", rc, NULL);
	snprintf(c.origin, sizeof(c.origin), "%s", lk.vk.name);
	c.size = store_batch_size(b);
	c.root = root;
	if ((rc = ckpt_format(&c, body, sizeof(body), &blen)) != 0 ||
	    (rc = note_sign(body, blen, &lk, 1, 0, note, sizeof(note),
	    &nlen)) != 0 ||
	    (rc = store_batch_set_checkpoint(b, note, nlen, e.time_ms)) != 0 ||
	    (rc = store_batch_commit(b)) != 0)
		return fail("commit", rc, NULL);
	note_skey_wipe(&lk);
	store_close(s);
	printf("%llu\n", (unsigned long long)index);
	return 0;
}

/* LMDB directly: the store's API never deletes a database. */
static int
drop_office_keys(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 128)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, 64ULL << 30)) != 0 ||
	    (rc = mdb_env_open(env, dir, 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "office_keys", 0, &dbi)) != 0 ||
	    (rc = mdb_drop(txn, dbi, 1)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		fprintf(stderr, "store_forge: drop-office-keys: %s\n",
		    mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}

int
main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && strcmp(argv[2], "append") == 0)
		return forge_append(argv[1], argv[3], argc == 5 &&
		    strcmp(argv[4], "--office-key") == 0, argc == 5 &&
		    strcmp(argv[4], "--correction") == 0);
	if (argc == 3 && strcmp(argv[2], "drop-office-keys") == 0)
		return drop_office_keys(argv[1]);
	fprintf(stderr, "usage: store_forge DIR append FILE [--office-key | "
	    "--correction]\n"
	    "       store_forge DIR drop-office-keys\n");
	return 2;
}
