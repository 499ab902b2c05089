/*
 * witstore.c: the witness's state in LMDB (see witstore.h).
 *
 * Layout: one environment in DIR/db, default flags (every commit is
 * fsynced; no MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP), one unnamed
 * database:
 *
 *   key    the origin line, 1..PT_MAX_ORIGIN bytes
 *   value  size (8 bytes, big-endian) || root (32 bytes) || signed note
 *
 * Records written by earlier versions hold the note as it was received
 * (without the witness's cosignature); they read back the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "ptlimits.h"
#include "util.h"
#include "witstore.h"

#define WST_MAP_SIZE	(64u << 20)
#define WST_HDR		40		/* size || root */

struct wst {
	MDB_env *env;
	MDB_dbi dbi;
	char path[UT_PATH_MAX];
};

struct wst_txn {
	struct wst *s;
	MDB_txn *txn;
	int err;			/* first failure: the txn is poisoned */
};

/* An LMDB code as a PT_* code, its text into why. */
static int
lmdb_err(int rc, struct pt_why *why, const char *what)
{
	int err = rc == MDB_MAP_FULL || rc == ENOSPC ? PT_EFULL : PT_EIO;

	return pt_why_set(why, err, "witness store: %s: %s", what,
	    mdb_strerror(rc));
}

int
wst_open(const char *dir, size_t map_size, struct wst **out,
    struct pt_why *why)
{
	struct wst *s;
	MDB_txn *txn;
	int rc, dead;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/db", dir) >=
	    sizeof(s->path)) {
		free(s);
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	}
	if ((rc = ut_mkdirs(s->path, 0700, why)) != 0) {
		free(s);
		return rc;
	}
	if ((rc = mdb_env_create(&s->env)) != 0) {
		free(s);
		return lmdb_err(rc, why, "create");
	}
	if ((rc = mdb_env_set_mapsize(s->env, map_size ? map_size :
	    WST_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(s->env, s->path, 0, 0600)) != 0) {
		rc = lmdb_err(rc, why, s->path);
		goto fail;
	}
	(void)mdb_reader_check(s->env, &dead);
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		rc = lmdb_err(rc, why, s->path);
		goto fail;
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &s->dbi)) != 0) {
		mdb_txn_abort(txn);
		rc = lmdb_err(rc, why, s->path);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		rc = lmdb_err(rc, why, s->path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	mdb_env_close(s->env);
	free(s);
	return rc;
}

void
wst_close(struct wst *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	free(s);
}

void
wst_rec_cleanup(struct wst_rec *r)
{
	if (r == NULL)
		return;
	free(r->note);
	memset(r, 0, sizeof(*r));
}

static int
origin_key(const char *origin, MDB_val *k)
{
	size_t n;

	if (origin == NULL || (n = strnlen(origin, PT_MAX_ORIGIN + 1)) == 0 ||
	    n > PT_MAX_ORIGIN)
		return PT_EINVAL;
	k->mv_data = (void *)origin;
	k->mv_size = n;
	return 0;
}

/* Get origin's record in txn, copied (pointers into LMDB pages die with
 * the transaction). */
static int
get_rec(MDB_txn *txn, MDB_dbi dbi, const char *origin, struct wst_rec *out,
    struct pt_why *why)
{
	const uint8_t *v;
	MDB_val k, d;
	int rc;

	memset(out, 0, sizeof(*out));
	if (origin_key(origin, &k) != 0)
		return pt_why_set(why, PT_EINVAL, "bad origin");
	if ((rc = mdb_get(txn, dbi, &k, &d)) == MDB_NOTFOUND)
		return PT_ENOTFOUND;
	if (rc != 0)
		return lmdb_err(rc, why, "read");
	if (d.mv_size <= WST_HDR || d.mv_size - WST_HDR > PT_NOTE_MAX)
		return pt_why_set(why, PT_ECORRUPT, "witness store: the "
		    "record of %s is %zu bytes", origin, d.mv_size);
	v = d.mv_data;
	if ((out->note = malloc(d.mv_size - WST_HDR + 1)) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	for (int i = 0; i < 8; i++)
		out->size = out->size << 8 | v[i];
	memcpy(out->root.b, v + 8, 32);
	out->note_len = d.mv_size - WST_HDR;
	memcpy(out->note, v + WST_HDR, out->note_len);
	out->note[out->note_len] = '\0';
	return 0;
}

int
wst_begin(struct wst *s, struct wst_txn **out, struct pt_why *why)
{
	struct wst_txn *t;
	int rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &t->txn)) != 0) {
		free(t);
		return lmdb_err(rc, why, "begin");
	}
	t->s = s;
	*out = t;
	return 0;
}

int
wst_get(struct wst_txn *t, const char *origin, struct wst_rec *out,
    struct pt_why *why)
{
	int rc;

	if (t->err != 0) {
		memset(out, 0, sizeof(*out));
		return PT_EPOISONED;
	}
	rc = get_rec(t->txn, t->s->dbi, origin, out, why);
	if (rc != 0 && rc != PT_ENOTFOUND && rc != PT_ECORRUPT)
		t->err = rc;
	return rc;
}

int
wst_put(struct wst_txn *t, const char *origin, const struct wst_rec *r,
    struct pt_why *why)
{
	MDB_val k, d;
	uint8_t *v;
	int rc;

	if (t->err != 0)
		return PT_EPOISONED;
	if (origin_key(origin, &k) != 0 || r == NULL || r->note == NULL ||
	    r->note_len == 0 || r->note_len > PT_NOTE_MAX)
		return t->err = pt_why_set(why, PT_EINVAL, "bad record");
	d.mv_size = WST_HDR + r->note_len;
	if ((rc = mdb_put(t->txn, t->s->dbi, &k, &d, MDB_RESERVE)) != 0)
		return t->err = lmdb_err(rc, why, "write");
	v = d.mv_data;
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(r->size >> (56 - 8 * i));
	memcpy(v + 8, r->root.b, 32);
	memcpy(v + WST_HDR, r->note, r->note_len);
	return 0;
}

int
wst_commit(struct wst_txn *t, struct pt_why *why)
{
	int rc;

	if (t->err != 0) {
		rc = t->err;
		mdb_txn_abort(t->txn);
		free(t);
		return rc == PT_EFULL ? PT_EFULL : PT_EPOISONED;
	}
	rc = mdb_txn_commit(t->txn);
	free(t);
	return rc == 0 ? 0 : lmdb_err(rc, why, "commit");
}

void
wst_abort(struct wst_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int
wst_read(struct wst *s, const char *origin, struct wst_rec *out,
    struct pt_why *why)
{
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_err(rc, why, "begin read");
	rc = get_rec(txn, s->dbi, origin, out, why);
	mdb_txn_abort(txn);
	return rc;
}
