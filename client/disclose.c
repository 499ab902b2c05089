/* disclose.c: the disclosures file, `pubtrail disclose` and
 * `pubtrail check-disclosure`. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "cli.h"
#include "crypto.h"
#include "disclose.h"
#include "fold.h"
#include "keys.h"
#include "logc.h"
#include "num.h"
#include "record.h"
#include "util.h"
#include "verify.h"

#define DIS_LINE_MAX	(64u << 10)	/* bytes of one line, at most */
#define DIS_IDX_MAP	((size_t)16 << 30)	/* the index's map */
#define DIS_IDX_VERSION	1
#define DIS_HKEY	16		/* bytes of a key's hash */
#define DIS_KEY		(1 + DIS_HKEY + 8) /* type, hash, offset */

/*
 * The disclosures file is the record: JSON Lines, appended to, kept by the
 * office.  Beside it, PATH.idx (LMDB, one file and its -lock) indexes it,
 * so that a run neither reads the whole file into memory nor searches it:
 * an office paying benefits to 800,000 persons a month writes a year's
 * millions of lines.  The index is a cache: it holds no name and no salt,
 * only hashes and the byte offsets of lines, and is brought up to date
 * from the file at every open (the lines after the offset it covers), or
 * built again when the file is not the one it indexed (another inode,
 * shorter than indexed, or the bytes before the covered end changed: a
 * line deleted, as the docs allow).  Every line read through the index is
 * parsed and compared with what was looked for; one that does not match
 * (the file edited in place) rebuilds the index.  Keys, one database:
 *
 *   'F' H(submitter, id, field) offset   a line of (id, field)
 *   'A' H(submitter, P, F) offset        a correction's line: id "P/...",
 *                                        field "replacement.F"
 *   'I' H(submitter, id) offset          every line of id
 *   'C' H(submitter, commitment)         -> offset of its first line
 *   'R' H(submitter, commitment)         retracted (a record refused)
 *   'E' H(submitter, id) offset          an erasure mark of id
 *   'D' H(submitter, commitment)         -> offset of its erasure mark
 *   "\0meta"                             version, end, inode, device,
 *                                        SHA-256 of the 64 bytes before end
 *
 * H is the first 16 bytes of SHA-256 over the length-prefixed parts;
 * offsets big-endian, so a key's lines come in file order.  A dry run
 * writes nothing beside the file: it reads a current index, or builds a
 * temporary one it removes.
 */
struct dis_store {
	char *path;
	char *submitter;
	char *idx;		/* the index's path */
	char *tmpdir;		/* a dry run's temporary index, or NULL */
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *wtxn;		/* open while lines are added */
	int rfd;		/* the file, read at offsets (-1: none yet) */
	uint64_t end;		/* bytes of whole lines the index covers */
	uint64_t torn;		/* where a cut last line begins, or
				 * UINT64_MAX: cut away before appending */
	int fd;			/* open to append, after the first add */
	int lockfd;		/* the index file, flocked while this run
				 * writes (-1: a dry run's, none) */
	int unsynced;		/* lines written since the last fsync */
	json_t *written;	/* id -> [{field, commitment}] this run wrote */
};

struct dis_meta {
	uint8_t version[8], end[8], ino[8], dev[8], tail[32];
};

static int
hexfield(const json_t *o, const char *key, uint8_t out[32])
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) != 64 ||
	    cr_hex_decode(json_string_value(v), 64, out, 32) != 0)
		return PT_EMALFORMED;
	return 0;
}

/* 0 when line's salt and value give its commitment (got: theirs). */
static int
line_commits(const json_t *line, uint8_t got[32])
{
	const json_t *v = json_object_get(line, "value");
	uint8_t salt[32], want[32];

	if (!json_is_string(v) || hexfield(line, "salt", salt) != 0 ||
	    hexfield(line, "commitment", want) != 0 ||
	    record_commit(salt, json_string_value(v), json_string_length(v),
	    got) != 0 || cr_memcmp(got, want, 32) != 0)
		return PT_EPROOF;
	return 0;
}

/* Whether o is an object whose submitter, id and field are strings, and
 * whose key is 64 hex digits: what every kind of line has. */
static int
line_of(const json_t *o, const char *key)
{
	uint8_t b[32];

	return json_is_object(o) &&
	    json_is_string(json_object_get(o, "submitter")) &&
	    json_is_string(json_object_get(o, "id")) &&
	    json_is_string(json_object_get(o, "field")) &&
	    hexfield(o, key, b) == 0;
}

static int
valid_line(const json_t *o)
{
	uint8_t b[32];

	return line_of(o, "commitment") &&
	    json_is_string(json_object_get(o, "value")) &&
	    hexfield(o, "salt", b) == 0;
}

/* A retraction: {"version", "submitter", "id", "field", "retract":
 * "<commitment hex>"}: the line of that commitment was written for a
 * record the log refused (its id holds other content), so its salt is
 * never taken again. */
static int
valid_retract(const json_t *o)
{
	return line_of(o, "retract");
}

/* An erasure mark: {"version", "submitter", "id", "field", "erased":
 * "<commitment hex>", "date"}: what `disclose --erase` leaves where a
 * person's line was (a request to erase their data): the commitment the
 * log holds for (id, field), without the name or the salt, so that the
 * record sent again reads as logged and its name is not kept again. */
static int
valid_erased(const json_t *o)
{
	return line_of(o, "erased");
}

static const char *
str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* key[0..17): type, then H(parts): each part as "LEN:" and its bytes
 * (n parts, b/bl; NULL parts are left out).  0 or PT_ENOMEM. */
static int
hkey(uint8_t *key, char type, const char *const *b, const size_t *bl,
    size_t n)
{
	struct cr_sha256 h;
	uint8_t d[CR_SHA256_SIZE];
	char len[24];
	int rc = 0;

	if (cr_sha256_init(&h) != 0)
		return PT_ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int w = snprintf(len, sizeof(len), "%zu:", bl[i]);

		if ((rc = cr_sha256_update(&h, len, (size_t)w)) == 0)
			rc = cr_sha256_update(&h, b[i], bl[i]);
	}
	if (rc == 0)
		rc = cr_sha256_final(&h, d);
	cr_sha256_cleanup(&h);
	key[0] = (uint8_t)type;
	memcpy(key + 1, d, DIS_HKEY);
	return rc == 0 ? 0 : PT_ENOMEM;
}

/* The key prefix of (submitter, a[, b]) of type. */
static int
key_of(const struct dis_store *s, uint8_t *key, char type, const char *a,
    size_t al, const char *b)
{
	const char *p[3] = { s->submitter, a, b };
	size_t l[3] = { strlen(s->submitter), al, b ? strlen(b) : 0 };

	return hkey(key, type, p, l, b != NULL ? 3 : 2);
}

/* Whether the file system of the index has less than min bytes free. */
static int
idx_disk_full(const struct dis_store *s, uint64_t min)
{
	struct statvfs v;
	char dir[UT_PATH_MAX];
	const char *sl = strrchr(s->idx, '/');

	snprintf(dir, sizeof(dir), "%.*s", sl == NULL ? 1 : sl == s->idx ?
	    1 : (int)(sl - s->idx), sl == NULL ? "." : s->idx);
	return statvfs(dir, &v) == 0 &&
	    (uint64_t)v.f_bavail * v.f_frsize < min;
}

static int
idx_err(const struct dis_store *s, int rc, struct pt_why *why)
{
	/* LMDB says EIO for a write a full disk cut short */
	int full = (rc == EIO || rc == ENOSPC || rc == MDB_MAP_FULL) &&
	    idx_disk_full(s, 64u << 10);

	return pt_why_set(why, PT_EIO, "%s: the index of the disclosures "
	    "file: %s%s", s->idx, mdb_strerror(rc), full ? " (the disk is "
	    "full: free space, then run again; the disclosures file itself "
	    "is whole)" : "");
}

/* Put key (klen bytes) -> val (vlen) in txn; an existing 'C' key keeps
 * its first line.  0 or the store's error. */
static int
idx_put(struct dis_store *s, MDB_txn *txn, const uint8_t *key, size_t klen,
    const void *val, size_t vlen, struct pt_why *why)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(txn, s->dbi, &k, &v, key[0] == 'C' ||
	    key[0] == 'D' ? MDB_NOOVERWRITE : 0);

	if (rc == MDB_KEYEXIST)
		return 0;
	return rc == 0 ? 0 : idx_err(s, rc, why);
}

/* Index line o (valid_line, valid_retract or valid_erased), which begins
 * at off, when
 * it is this submitter's (others' lines are never looked up).  0 or an
 * error. */
static int
index_line(struct dis_store *s, MDB_txn *txn, const json_t *o, uint64_t off,
    struct pt_why *why)
{
	const char *id = str_of(o, "id"), *field = str_of(o, "field");
	uint8_t key[DIS_KEY], c[32], ob[8];
	char hex[65];
	int rc;

	if (strcmp(str_of(o, "submitter"), s->submitter) != 0)
		return 0;
	if (json_object_get(o, "retract") != NULL) {
		if ((rc = key_of(s, key, 'R', str_of(o, "retract"), 64,
		    NULL)) != 0)
			return rc;
		return idx_put(s, txn, key, 1 + DIS_HKEY, "", 0, why);
	}
	num_put_be64(ob, off);
	if (json_object_get(o, "erased") != NULL) {
		memcpy(key + 1 + DIS_HKEY, ob, 8);
		if ((rc = key_of(s, key, 'E', id, strlen(id), NULL)) != 0 ||
		    (rc = idx_put(s, txn, key, DIS_KEY, "", 0, why)) != 0 ||
		    (rc = key_of(s, key, 'D', str_of(o, "erased"), 64,
		    NULL)) != 0)
			return rc;
		return idx_put(s, txn, key, 1 + DIS_HKEY, ob, 8, why);
	}
	hexfield(o, "commitment", c);
	cr_hex_encode(c, 32, hex);
	memcpy(key + 1 + DIS_HKEY, ob, 8);
	if ((rc = key_of(s, key, 'F', id, strlen(id), field)) != 0 ||
	    (rc = idx_put(s, txn, key, DIS_KEY, "", 0, why)) != 0 ||
	    (rc = key_of(s, key, 'I', id, strlen(id), NULL)) != 0 ||
	    (rc = idx_put(s, txn, key, DIS_KEY, "", 0, why)) != 0 ||
	    (rc = key_of(s, key, 'C', hex, 64, NULL)) != 0 ||
	    (rc = idx_put(s, txn, key, 1 + DIS_HKEY, ob, 8, why)) != 0)
		return rc;
	if (strncmp(field, "replacement.", 12) != 0)
		return 0;
	/* a correction's id is the target's, '/', more: under every
	 * prefix before a '/' (a permit's id holds some itself) */
	for (const char *sl = strchr(id, '/'); sl != NULL;
	    sl = strchr(sl + 1, '/')) {
		if ((rc = key_of(s, key, 'A', id, (size_t)(sl - id),
		    field + 12)) != 0 ||
		    (rc = idx_put(s, txn, key, DIS_KEY, "", 0, why)) != 0)
			return rc;
	}
	return 0;
}

/* The line at off of s's file, parsed (a new reference), or NULL when
 * there is none whole there, or it is not one valid says it is
 * (valid_line, valid_erased). */
static json_t *
line_at(const struct dis_store *s, uint64_t off,
    int (*valid)(const json_t *))
{
	char small[1024], *buf = small;
	size_t cap = sizeof(small);
	ssize_t n = 0;
	json_t *o = NULL;
	char *nl = NULL;

	if (s->rfd < 0)
		return NULL;
	/* most lines fit the first read; a longer one is read again whole */
	for (;;) {
		n = pread(s->rfd, buf, cap, (off_t)off);
		if (n <= 0 || (nl = memchr(buf, '\n', (size_t)n)) != NULL ||
		    (size_t)n < cap || buf != small)
			break;
		if ((buf = malloc(DIS_LINE_MAX)) == NULL) {
			buf = small;
			break;
		}
		cap = DIS_LINE_MAX;
	}
	if (n > 0 && nl != NULL) {
		o = json_loadb(buf, (size_t)(nl - buf), JSON_REJECT_DUPLICATES,
		    NULL);
		if (o != NULL && !valid(o)) {
			json_decref(o);
			o = NULL;
		}
	}
	cr_wipe(buf, cap);	/* a name and its salt */
	if (buf != small)
		free(buf);
	return o;
}

/* The 64 bytes of the file before end, hashed (all of it when shorter):
 * what the index saw last.  0 or PT_EIO. */
static int
tail_hash(const struct dis_store *s, uint64_t end, uint8_t out[32])
{
	uint8_t b[64];
	size_t n = end < sizeof(b) ? (size_t)end : sizeof(b);

	if (n > 0 && pread(s->rfd, b, n, (off_t)(end - n)) != (ssize_t)n)
		return PT_EIO;
	return cr_sha256(b, n, NULL, 0, NULL, 0, out) == 0 ? 0 : PT_EIO;
}

/* The line number of byte off (for a message): the newlines before it
 * and one. */
static size_t
line_number(const struct dis_store *s, uint64_t off)
{
	char b[8192];
	uint64_t at = 0;
	size_t line = 1;

	while (at < off) {
		size_t want = off - at < sizeof(b) ? (size_t)(off - at) :
		    sizeof(b);
		ssize_t n = pread(s->rfd, b, want, (off_t)at);

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			line += b[i] == '\n';
		at += (uint64_t)n;
	}
	return line;
}

/*
 * Index the lines of the file from s->end to its end in txn (size bytes
 * now).  A last line without its newline is a write cut short (a full
 * disk; nothing whose line is incomplete was sent, as lines are synced
 * first): left out, and cut away before the next line is appended.  A
 * whole line that is no disclosure is refused with its line number.
 */
static int
catch_up(struct dis_store *s, MDB_txn *txn, uint64_t size, struct pt_why *why)
{
	char *buf = malloc(DIS_LINE_MAX + 1);
	uint64_t at = s->end;
	size_t have = 0;
	int rc = 0;

	if (buf == NULL)
		return PT_ENOMEM;
	s->torn = UINT64_MAX;
	while (at + have < size || have > 0) {
		char *nl;
		ssize_t n = 0;
		size_t room = DIS_LINE_MAX - have;

		if (at + have < size && room > 0) {
			n = pread(s->rfd, buf + have, room, (off_t)(at + have));
			if (n < 0) {
				rc = pt_why_set(why, PT_EIO, "%s: %s", s->path,
				    strerror(errno));
				break;
			}
			have += (size_t)n;
		}
		if ((nl = memchr(buf, '\n', have)) == NULL) {
			if (at + have < size) {
				rc = pt_why_set(why, PT_EIO, "%s:%zu: a line "
				    "longer than %u bytes: not a disclosures "
				    "file", s->path, line_number(s, at),
				    DIS_LINE_MAX);
				break;
			}
			if (have > 0)
				s->torn = at;	/* cut short */
			break;
		}
		if (nl > buf) {
			json_t *o = json_loadb(buf, (size_t)(nl - buf),
			    JSON_REJECT_DUPLICATES, NULL);

			if (o == NULL || (!valid_line(o) &&
			    !valid_retract(o) && !valid_erased(o))) {
				json_decref(o);
				rc = pt_why_set(why, PT_EIO, "%s:%zu: not a "
				    "disclosure line", s->path,
				    line_number(s, at));
				break;
			}
			rc = index_line(s, txn, o, at, why);
			json_decref(o);
			if (rc != 0)
				break;
		}
		have -= (size_t)(nl + 1 - buf);
		at += (uint64_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have);
	}
	cr_wipe(buf, DIS_LINE_MAX + 1);
	free(buf);
	if (rc == 0)
		s->end = at;
	return rc;
}

/* The meta record of txn into m; 0, or PT_ENOTFOUND (a new index). */
static int
meta_get(struct dis_store *s, MDB_txn *txn, struct dis_meta *m)
{
	MDB_val k = { 5, (void *)"\0meta" }, v;

	if (mdb_get(txn, s->dbi, &k, &v) != 0 || v.mv_size != sizeof(*m))
		return PT_ENOTFOUND;
	memcpy(m, v.mv_data, sizeof(*m));
	return num_get_be64(m->version) == DIS_IDX_VERSION ? 0 : PT_ENOTFOUND;
}

/* Bring the index in txn up to date with the file (st: its stat), from
 * scratch when it indexed another file or other bytes.  0 or an error. */
static int
refresh(struct dis_store *s, MDB_txn *txn, const struct stat *st,
    int rebuild, struct pt_why *why)
{
	struct dis_meta m;
	uint8_t tail[32];
	MDB_val k = { 5, (void *)"\0meta" }, v = { sizeof(m), &m };
	int rc;

	s->end = 0;
	if (!rebuild && meta_get(s, txn, &m) == 0 &&
	    num_get_be64(m.ino) == (uint64_t)st->st_ino &&
	    num_get_be64(m.dev) == (uint64_t)st->st_dev &&
	    num_get_be64(m.end) <= (uint64_t)st->st_size &&
	    tail_hash(s, num_get_be64(m.end), tail) == 0 &&
	    memcmp(tail, m.tail, 32) == 0)
		s->end = num_get_be64(m.end);
	else if ((rc = mdb_drop(txn, s->dbi, 0)) != 0)
		return idx_err(s, rc, why);
	if ((rc = catch_up(s, txn, (uint64_t)st->st_size, why)) != 0)
		return rc;
	num_put_be64(m.version, DIS_IDX_VERSION);
	num_put_be64(m.end, s->end);
	num_put_be64(m.ino, (uint64_t)st->st_ino);
	num_put_be64(m.dev, (uint64_t)st->st_dev);
	if (tail_hash(s, s->end, m.tail) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", s->path,
		    strerror(errno));
	if ((rc = mdb_put(txn, s->dbi, &k, &v, 0)) != 0)
		return idx_err(s, rc, why);
	return 0;
}

/* Whether the index at s->idx covers the file as it is (st): a dry run
 * then reads it as it is. */
static int
idx_current(struct dis_store *s, const struct stat *st)
{
	struct dis_meta m;
	uint8_t tail[32];
	MDB_txn *txn;
	int ok = 0;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	ok = meta_get(s, txn, &m) == 0 &&
	    num_get_be64(m.ino) == (uint64_t)st->st_ino &&
	    num_get_be64(m.dev) == (uint64_t)st->st_dev &&
	    num_get_be64(m.end) == (uint64_t)st->st_size &&
	    tail_hash(s, num_get_be64(m.end), tail) == 0 &&
	    memcmp(tail, m.tail, 32) == 0;
	if (ok)
		s->end = num_get_be64(m.end);
	mdb_txn_abort(txn);
	return ok;
}

/* The index cannot be made: the disk is full. */
static int
no_room(const struct dis_store *s, struct pt_why *why)
{
	return pt_why_set(why, PT_EIO, "%s: no room to make the index of the "
	    "disclosures file (the disk is full: free space, then run again; "
	    "the disclosures file itself is whole)", s->idx);
}

/* Open the LMDB environment at s->idx (flags: MDB_RDONLY or 0). */
static int
env_open(struct dis_store *s, unsigned flags, struct pt_why *why)
{
	MDB_txn *txn;
	int rc;

	/* LMDB maps a new environment's first pages before it knows its
	 * writes of them failed, and a full disk then kills the process
	 * (SIGBUS): a new index is made only with room for it */
	if (!(flags & MDB_RDONLY)) {
		struct stat st;

		if ((stat(s->idx, &st) != 0 || st.st_size < (1 << 16)) &&
		    idx_disk_full(s, 32u << 10))
			return no_room(s, why);
	}
	if ((rc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		return idx_err(s, rc, why);
	}
	if ((rc = mdb_env_set_mapsize(s->env, DIS_IDX_MAP)) != 0 ||
	    (rc = mdb_env_open(s->env, s->idx, MDB_NOSUBDIR | MDB_NOSYNC |
	    MDB_NOTLS | flags, 0600)) != 0)
		return idx_err(s, rc, why);
	if ((rc = mdb_txn_begin(s->env, NULL, flags & MDB_RDONLY, &txn)) != 0)
		return idx_err(s, rc, why);
	rc = mdb_dbi_open(txn, NULL, 0, &s->dbi);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	return rc == 0 ? 0 : idx_err(s, rc, why);
}

/* The directory of path: one others cannot write to (ut_check_dir_private),
 * or the reason in *why. */
static int
dir_private(const char *path, struct pt_why *why)
{
	char dir[UT_PATH_MAX];
	const char *sl = strrchr(path, '/');
	size_t dl = sl == NULL ? 1 : sl == path ? 1 : (size_t)(sl - path);

	if (dl >= sizeof(dir))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", path);
	memcpy(dir, sl == NULL ? "." : path, dl);
	dir[dl] = '\0';
	return ut_check_dir_private(dir, why);
}

/* The file's private mode, as open_private wants it of a file it writes:
 * names and salts are read only from a file others cannot read. */
static int
check_private(const struct dis_store *s, const struct stat *st,
    struct pt_why *why)
{
	if (!S_ISREG(st->st_mode) || (st->st_mode & 077) != 0)
		return pt_why_set(why, PT_EIO, "%s: not a private regular "
		    "file (mode %04o): it holds names and salts; run `chmod "
		    "600 %s`", s->path, (unsigned)(st->st_mode & 07777),
		    s->path);
	return 0;
}

/* The exclusive flock of FILE.idx (made 0600 if missing), waited for,
 * saying so, while another run holds it.  A file system without flock:
 * no lock.  0 or an error. */
static int
lock_file(struct dis_store *s, struct pt_why *why)
{
	s->lockfd = open(s->idx, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (s->lockfd < 0)
		return errno == ENOSPC || errno == EDQUOT ? no_room(s, why) :
		    pt_why_set(why, PT_EIO, "%s: %s", s->idx, strerror(errno));
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return 0;
	fprintf(stderr, "pubtrail: another run is writing the disclosures "
	    "file %s: waiting for it to end\n", s->path);
	while (flock(s->lockfd, LOCK_EX) != 0)
		if (errno != EINTR)
			return 0;
	return 0;
}

int
dis_store_open(const char *path, const char *submitter, int readonly,
    struct dis_store **out, struct pt_why *why)
{
	struct dis_store *s;
	struct stat st;
	MDB_txn *txn;
	int rc = 0;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PT_ENOMEM;
	s->fd = s->rfd = s->lockfd = -1;
	s->torn = UINT64_MAX;
	if ((s->path = strdup(path)) == NULL ||
	    (s->submitter = strdup(submitter)) == NULL ||
	    (s->idx = malloc(strlen(path) + 5)) == NULL) {
		dis_store_free(s);
		return PT_ENOMEM;
	}
	snprintf(s->idx, strlen(path) + 5, "%s.idx", path);
	/* a run that writes: one at a time per file, whatever key path each
	 * was given (the key's own lock does not see a copy of the key), so
	 * that no run cuts or indexes another's line half written */
	if (!readonly && ((rc = dir_private(path, why)) != 0 ||
	    (rc = lock_file(s, why)) != 0)) {
		dis_store_free(s);
		return rc;
	}
	if ((s->rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT) {
			rc = pt_why_set(why, PT_EIO, "%s: %s%s", path,
			    strerror(errno), errno == ELOOP ? " (a symbolic "
			    "link: disclosures are not read through one)" : "");
			dis_store_free(s);
			return rc;
		}
		memset(&st, 0, sizeof(st));	/* none yet: empty */
	} else if (fstat(s->rfd, &st) != 0 ||
	    (rc = check_private(s, &st, why)) != 0) {
		rc = rc != 0 ? rc : pt_why_set(why, PT_EIO, "%s: %s", path,
		    strerror(errno));
		dis_store_free(s);
		return rc;
	}
	if (readonly && access(s->idx, F_OK) == 0 && s->rfd >= 0 &&
	    env_open(s, MDB_RDONLY, why) == 0 && idx_current(s, &st)) {
		*out = s;	/* a current index, read as it is */
		return 0;
	}
	if (readonly) {
		/* a dry run writes nothing beside the file: a temporary
		 * index, removed at dis_store_free */
		const char *tmp = getenv("TMPDIR");
		size_t n = strlen(tmp ? tmp : "/tmp") + 32;

		if (s->env != NULL) {
			mdb_env_close(s->env);
			s->env = NULL;
		}
		free(s->idx);
		if ((s->tmpdir = malloc(n)) == NULL ||
		    (s->idx = malloc(n + 8)) == NULL) {
			dis_store_free(s);
			return PT_ENOMEM;
		}
		snprintf(s->tmpdir, n, "%s/pubtrail-dis.XXXXXX",
		    tmp ? tmp : "/tmp");
		if (mkdtemp(s->tmpdir) == NULL) {
			rc = pt_why_set(why, PT_EIO, "%s: %s", s->tmpdir,
			    strerror(errno));
			free(s->tmpdir);
			s->tmpdir = NULL;
			dis_store_free(s);
			return rc;
		}
		snprintf(s->idx, n + 8, "%s/idx", s->tmpdir);
	}
	if ((rc = env_open(s, 0, why)) != 0 ||
	    (rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		rc = rc < 0 ? rc : idx_err(s, rc, why);
		dis_store_free(s);
		return rc;
	}
	if (s->rfd >= 0)
		rc = refresh(s, txn, &st, 0, why);
	else if ((rc = mdb_drop(txn, s->dbi, 0)) != 0)
		rc = idx_err(s, rc, why);	/* no file: an empty index */
	if (rc != 0 || (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0 && rc < 0)
			mdb_txn_abort(txn);
		rc = rc < 0 ? rc : idx_err(s, rc, why);
		dis_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
dis_store_free(struct dis_store *s)
{
	if (s == NULL)
		return;
	if (s->wtxn != NULL)
		mdb_txn_commit(s->wtxn);	/* a cache: nothing is lost */
	if (s->env != NULL)
		mdb_env_close(s->env);
	if (s->tmpdir != NULL) {
		char lock[UT_PATH_MAX];

		snprintf(lock, sizeof(lock), "%s-lock", s->idx);
		unlink(s->idx);
		unlink(lock);
		rmdir(s->tmpdir);
		free(s->tmpdir);
	}
	if (s->fd >= 0)
		close(s->fd);	/* synced by dis_store_sync if it had to */
	if (s->lockfd >= 0)
		close(s->lockfd);	/* after the index's last commit */
	if (s->rfd >= 0)
		close(s->rfd);
	json_decref(s->written);
	free(s->path);
	free(s->submitter);
	free(s->idx);
	free(s);
}

/* A read transaction, or the open write one (lines added this run). */
static MDB_txn *
txn_get(struct dis_store *s)
{
	MDB_txn *txn;

	if (s->wtxn != NULL)
		return s->wtxn;
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
		return NULL;
	return txn;
}

static void
txn_put(struct dis_store *s, MDB_txn *txn)
{
	if (txn != NULL && txn != s->wtxn)
		mdb_txn_abort(txn);
}

/* Whether the commitment of line o (valid_line) was retracted. */
static int
retracted(struct dis_store *s, MDB_txn *txn, const json_t *o)
{
	uint8_t key[DIS_KEY];
	MDB_val k = { 1 + DIS_HKEY, key }, v;

	return key_of(s, key, 'R', str_of(o, "commitment"), 64, NULL) == 0 &&
	    mdb_get(txn, s->dbi, &k, &v) == 0;
}

/* Whether line o is what key type looked for. */
static int
line_is(const struct dis_store *s, const json_t *o, char type,
    const char *id, const char *field)
{
	const char *lid = str_of(o, "id"), *lf = str_of(o, "field");
	size_t il = strlen(id);

	if (strcmp(str_of(o, "submitter"), s->submitter) != 0)
		return 0;
	switch (type) {
	case 'F':
		return strcmp(lid, id) == 0 && strcmp(lf, field) == 0;
	case 'I':
	case 'E':
		return strcmp(lid, id) == 0 && (field == NULL ||
		    strcmp(lf, field) == 0);
	case 'A':
		return strncmp(lid, id, il) == 0 && lid[il] == '/' &&
		    strncmp(lf, "replacement.", 12) == 0 &&
		    strcmp(lf + 12, field) == 0;
	}
	return 0;
}

/*
 * The lines under key (type, id, field) in file order (type 'E': the
 * erasure marks of id, of field when not NULL): each parsed and
 * checked against what was looked for, kept when value is NULL or equal
 * (len bytes); at most max of them.  A new array (NULL when out of
 * memory).  A line that does not match its key (the file edited in
 * place) sets *stale.
 */
static json_t *
lines_of(struct dis_store *s, char type, const char *id, const char *field,
    const char *value, size_t len, size_t max, int *stale)
{
	uint8_t key[DIS_KEY];
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	json_t *out = json_array();
	int rc;

	if (out == NULL || key_of(s, key, type, id, strlen(id),
	    type == 'I' || type == 'E' ? NULL : field) != 0 ||
	    (txn = txn_get(s)) == NULL)
		return out;
	if (mdb_cursor_open(txn, s->dbi, &c) != 0) {
		txn_put(s, txn);
		return out;
	}
	k.mv_size = 1 + DIS_HKEY;
	k.mv_data = key;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    json_array_size(out) < max; rc = mdb_cursor_get(c, &k, &v,
	    MDB_NEXT)) {
		json_t *o;
		const json_t *lv;

		if (k.mv_size != DIS_KEY || memcmp(k.mv_data, key,
		    1 + DIS_HKEY) != 0)
			break;
		o = line_at(s, num_get_be64((const uint8_t *)k.mv_data + 1 +
		    DIS_HKEY), type == 'E' ? valid_erased : valid_line);
		if (o == NULL || !line_is(s, o, type, id, field)) {
			json_decref(o);
			*stale = 1;
			continue;
		}
		if (type != 'E' && retracted(s, txn, o)) {
			json_decref(o);
			continue;
		}
		lv = json_object_get(o, "value");
		if (value == NULL || (json_string_length(lv) == len &&
		    memcmp(json_string_value(lv), value, len) == 0))
			json_array_append(out, o);
		json_decref(o);
	}
	mdb_cursor_close(c);
	txn_put(s, txn);
	return out;
}

/* The index built again from the file, after a line read through it did
 * not match (the file edited in place).  0 or an error. */
static int
rebuild(struct dis_store *s, struct pt_why *why)
{
	struct stat st;
	MDB_txn *txn;
	int rc;

	if (fstat(s->rfd, &st) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", s->path,
		    strerror(errno));
	if (s->wtxn != NULL) {
		if ((rc = mdb_txn_commit(s->wtxn)) != 0) {
			s->wtxn = NULL;
			return idx_err(s, rc, why);
		}
		s->wtxn = NULL;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return idx_err(s, rc, why);
	if ((rc = refresh(s, txn, &st, 1, why)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return (rc = mdb_txn_commit(txn)) == 0 ? 0 : idx_err(s, rc, why);
}

/* The first line of (type, id, field) with value (NULL: any), a new
 * reference, or NULL. */
static json_t *
find(struct dis_store *s, char type, const char *id, const char *field,
    const char *value, size_t len)
{
	struct pt_why why = { "" };
	int stale = 0;
	json_t *a = lines_of(s, type, id, field, value, len, 1, &stale), *o;

	if (stale && json_array_size(a) == 0 && rebuild(s, &why) == 0) {
		json_decref(a);
		stale = 0;
		a = lines_of(s, type, id, field, value, len, 1, &stale);
	}
	o = json_incref(json_array_get(a, 0));
	json_decref(a);
	return o;
}

/* The erasure marks of record id (of field, when not NULL), in file
 * order: a new array (empty when none or out of memory). */
static json_t *
marks_of(struct dis_store *s, const char *id, const char *field)
{
	int stale = 0;

	return lines_of(s, 'E', id, field, NULL, 0, SIZE_MAX, &stale);
}

int
dis_store_erased(void *store, const char *id, const char *field,
    uint8_t commitment[32])
{
	json_t *m = marks_of(store, id, field);
	int erased = json_array_size(m) > 0 && hexfield(json_array_get(m,
	    json_array_size(m) - 1), "erased", commitment) == 0;

	json_decref(m);
	return erased;
}

const char *
dis_store_path(const struct dis_store *s)
{
	return s->path;
}

int
dis_store_holds(void *store, const uint8_t commitment[32])
{
	struct dis_store *s = store;
	uint8_t key[DIS_KEY], c[32];
	char hex[65];
	MDB_txn *txn;
	MDB_val k = { 1 + DIS_HKEY, key }, v;
	json_t *o = NULL;
	int held = 0;

	cr_hex_encode(commitment, 32, hex);
	if (key_of(s, key, 'C', hex, 64, NULL) != 0 ||
	    (txn = txn_get(s)) == NULL)
		return 0;
	if (mdb_get(txn, s->dbi, &k, &v) == 0 && v.mv_size == 8)
		o = line_at(s, num_get_be64(v.mv_data), valid_line);
	held = o != NULL && hexfield(o, "commitment", c) == 0 &&
	    memcmp(c, commitment, 32) == 0 &&
	    strcmp(str_of(o, "submitter"), s->submitter) == 0 &&
	    !retracted(s, txn, o);
	json_decref(o);
	o = NULL;
	/* or a person erased: the commitment of a logged record, whose
	 * export sent again reads as logged */
	k.mv_data = key;
	if (!held && key_of(s, key, 'D', hex, 64, NULL) == 0 &&
	    mdb_get(txn, s->dbi, &k, &v) == 0 && v.mv_size == 8)
		o = line_at(s, num_get_be64(v.mv_data), valid_erased);
	if (o != NULL)
		held = hexfield(o, "erased", c) == 0 &&
		    memcmp(c, commitment, 32) == 0 &&
		    strcmp(str_of(o, "submitter"), s->submitter) == 0;
	txn_put(s, txn);
	json_decref(o);
	return held;
}

int
dis_store_renamed(struct dis_store *s, const char *id, const char *field,
    const char *commitment)
{
	int stale = 0, other = 0;
	json_t *a = lines_of(s, 'F', id, field, NULL, 0, SIZE_MAX, &stale), *o;
	const char *mine = NULL;
	size_t i;

	json_array_foreach(a, i, o)
		if (strcmp(str_of(o, "commitment"), commitment) == 0)
			mine = str_of(o, "value");
	json_array_foreach(a, i, o)
		other |= mine == NULL || strcmp(str_of(o, "value"), mine) != 0;
	json_decref(a);
	return other;
}

int
dis_store_known(void *store, const char *id, const char *field,
    const char *value, size_t len, uint8_t salt[32])
{
	struct dis_store *s = store;
	json_t *o = find(s, 'F', id, field, value, len);
	int known;

	/* a correction's line for the replacement: the name a `correct
	 * --amend` gave the person, whose salt the corrected month file
	 * sent again must reuse to read as amended */
	if (o == NULL && strncmp(field, "replacement.", 12) != 0)
		o = find(s, 'A', id, field, value, len);
	known = o != NULL && hexfield(o, "salt", salt) == 0;
	json_decref(o);
	return known;
}

/* Whether text holds the name of line o (whole, or a word of it, as
 * name_in_text in json.c looks: fold_name_in), the word in word. */
static int
names_in(const json_t *o, const char *text, char *word, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, "value"));

	return v != NULL && fold_name_in(v, text, word, cap);
}

int
dis_store_name_in(struct dis_store *s, const char *id, const char *text,
    char *field, size_t cap, char *word, size_t wcap)
{
	int stale = 0, hit = 0;
	json_t *a, *o;
	size_t i;

	a = lines_of(s, 'I', id, NULL, NULL, 0, SIZE_MAX, &stale);
	json_array_foreach(a, i, o) {
		const char *f = str_of(o, "field");
		json_t *b, *p;
		size_t j;

		hit = names_in(o, text, word, wcap);
		/* and the names corrections gave the person since */
		b = hit || strncmp(f, "replacement.", 12) == 0 ? json_array() :
		    lines_of(s, 'A', id, f, NULL, 0, SIZE_MAX, &stale);
		json_array_foreach(b, j, p)
			hit = hit || names_in(p, text, word, wcap);
		json_decref(b);
		if (hit) {
			snprintf(field, cap, "%s", f);
			break;
		}
	}
	json_decref(a);
	return hit;
}

int
dis_store_alike(void *store, const char *id, const char *field,
    const char *value, uint8_t salt[32], char **stored)
{
	struct dis_store *s = store;
	char *want = NULL;
	int stale = 0, found = 0;

	*stored = NULL;
	if (fold_text(value, strlen(value), &want) != 0)
		return 0;
	/* the record's own lines, then (not for a replacement's field) a
	 * correction's, as dis_store_known looks */
	for (int pass = 0; pass < 2 && !found; pass++) {
		json_t *a, *o;
		size_t i;

		if (pass == 1 && strncmp(field, "replacement.", 12) == 0)
			break;
		a = lines_of(s, pass == 0 ? 'F' : 'A', id, field, NULL, 0,
		    SIZE_MAX, &stale);
		json_array_foreach(a, i, o) {
			const json_t *v = json_object_get(o, "value");
			char *f = NULL;

			if (!found && fold_text(json_string_value(v),
			    json_string_length(v), &f) == 0 &&
			    strcmp(f, want) == 0 &&
			    hexfield(o, "salt", salt) == 0 &&
			    (*stored = strdup(json_string_value(v))) != NULL)
				found = 1;
			free(f);
		}
		json_decref(a);
	}
	free(want);
	return found;
}

/* The lines of d for record id that s does not hold yet, as a new JSON
 * array (empty when none), or NULL when out of memory.  A name whose salt
 * came from a correction's line for the record (the corrected month's
 * file sent again) gets no line of its own: that line keeps its secret,
 * under the id and field where the log holds the commitment. */
static json_t *
new_lines(struct dis_store *s, const char *id,
    const struct jrec_discs *d)
{
	json_t *batch = json_array(), *o;
	char hex[65];

	if (batch == NULL)
		return NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct jrec_disc *x = &d->d[i];

		if ((o = find(s, 'F', id, x->field, x->value,
		    x->value_len)) != NULL) {
			json_decref(o);
			continue;
		}
		if ((o = find(s, 'A', id, x->field, x->value,
		    x->value_len)) != NULL) {
			uint8_t c[32];
			int same = hexfield(o, "commitment", c) == 0 &&
			    memcmp(c, x->commitment, 32) == 0;

			json_decref(o);
			if (same)
				continue;
		}
		o = json_object();
		json_object_set_new(o, "version", json_integer(1));
		json_object_set_new(o, "submitter", json_string(s->submitter));
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "field", json_string(x->field));
		json_object_set_new(o, "value", json_stringn(x->value,
		    x->value_len));
		cr_hex_encode(x->salt, 32, hex);
		json_object_set_new(o, "salt", json_string(hex));
		cr_hex_encode(x->commitment, 32, hex);
		json_object_set_new(o, "commitment", json_string(hex));
		json_array_append_new(batch, o);
	}
	return batch;
}

/* s's file opened to append: names and salts of natural persons, so never
 * through a symbolic link, never in a directory others can write, never
 * readable by others.  The descriptor, or a negative PT_E* code with the
 * reason in *why. */
static int
open_private(const struct dis_store *s, struct pt_why *why)
{
	struct stat st;
	int fd, rc;

	if ((rc = dir_private(s->path, why)) != 0)
		return rc;
	if ((fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return pt_why_set(why, PT_EIO, "%s: %s%s", s->path,
		    strerror(errno), errno == ELOOP ? " (a symbolic link: "
		    "disclosures are not written through one)" : "");
	if (fstat(fd, &st) != 0)
		rc = pt_why_set(why, PT_EIO, "%s: %s", s->path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0)
		rc = pt_why_set(why, PT_EIO, "%s: not a private regular file "
		    "(mode %04o): it holds names and salts; run `chmod 600 "
		    "%s`", s->path, (unsigned)(st.st_mode & 07777), s->path);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* The line o, and a newline, appended to fd (s's file) in one write; the
 * text wiped from memory after.  *n gets its length.  0, PT_ENOMEM or
 * PT_EIO. */
static int
write_line(const struct dis_store *s, int fd, const json_t *o, size_t *len,
    struct pt_why *why)
{
	char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	size_t n, off = 0;
	int rc = 0;

	if (line == NULL)
		return PT_ENOMEM;
	n = strlen(line);
	line[n++] = '\n';	/* replaces the NUL; written by length */
	while (off < n) {
		ssize_t w = write(fd, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = pt_why_set(why, PT_EIO, "%s: %s", s->path,
			    strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	*len = n;
	cr_wipe(line, n);
	free(line);
	return rc;
}

/* s's file open to append, a cut last line cut away first (its record
 * was never sent), and s->rfd open on it.  0 or an error. */
static int
open_append(struct dis_store *s, struct pt_why *why)
{
	int rc;

	if ((s->fd = open_private(s, why)) < 0) {
		rc = s->fd;
		s->fd = -1;
		return rc;
	}
	if (s->torn != UINT64_MAX) {
		if (ftruncate(s->fd, (off_t)s->torn) != 0)
			return pt_why_set(why, PT_EIO, "%s: cutting away its "
			    "last line, cut short: %s", s->path,
			    strerror(errno));
		s->torn = UINT64_MAX;
	}
	if (s->rfd < 0 && (s->rfd = open(s->path, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return pt_why_set(why, PT_EIO, "%s: %s", s->path,
		    strerror(errno));
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &s->wtxn)) != 0) {
		s->wtxn = NULL;
		return idx_err(s, rc, why);
	}
	return 0;
}

int
dis_store_add(struct dis_store *s, const char *id, const struct jrec_discs *d,
    struct pt_why *why)
{
	json_t *batch, *o;
	size_t i, n;
	int rc = 0;

	if ((batch = new_lines(s, id, d)) == NULL)
		return PT_ENOMEM;
	if (json_array_size(batch) == 0)
		goto out;
	if (s->fd < 0 && (rc = open_append(s, why)) != 0)
		goto out;
	if (s->wtxn == NULL && (rc = mdb_txn_begin(s->env, NULL, 0,
	    &s->wtxn)) != 0) {
		s->wtxn = NULL;
		rc = idx_err(s, rc, why);
		goto out;
	}
	json_array_foreach(batch, i, o) {
		s->unsynced = 1;
		if ((rc = write_line(s, s->fd, o, &n, why)) != 0) {
			/* a line cut short (a full disk): cut away, so that
			 * the file stays whole lines */
			if (ftruncate(s->fd, (off_t)s->end) != 0)
				s->torn = s->end;
			goto out;
		}
		if ((rc = index_line(s, s->wtxn, o, s->end, why)) != 0)
			goto out;
		s->end += n;
		/* kept to retract should the log refuse the record */
		if (s->written == NULL && (s->written = json_object()) == NULL)
			continue;
		if (json_object_get(s->written, id) == NULL)
			json_object_set_new(s->written, id, json_array());
		json_array_append_new(json_object_get(s->written, id),
		    json_pack("{s:O,s:O}", "field", json_object_get(o,
		    "field"), "commitment", json_object_get(o, "commitment")));
	}
out:
	json_decref(batch);
	return rc;
}

int
dis_store_retract(struct dis_store *s, const char *id, struct pt_why *why)
{
	json_t *w = s->written != NULL ? json_object_get(s->written, id) :
	    NULL, *e;
	size_t i, n;
	int rc = 0;

	if (w == NULL || json_array_size(w) == 0 || s->fd < 0)
		return 0;
	if (s->wtxn == NULL && (rc = mdb_txn_begin(s->env, NULL, 0,
	    &s->wtxn)) != 0) {
		s->wtxn = NULL;
		return idx_err(s, rc, why);
	}
	json_array_foreach(w, i, e) {
		json_t *o = json_pack("{s:i,s:s,s:s,s:O,s:O}", "version", 1,
		    "submitter", s->submitter, "id", id, "field",
		    json_object_get(e, "field"), "retract",
		    json_object_get(e, "commitment"));

		if (o == NULL)
			return PT_ENOMEM;
		s->unsynced = 1;
		rc = write_line(s, s->fd, o, &n, why);
		if (rc == 0 && (rc = index_line(s, s->wtxn, o, s->end,
		    why)) == 0)
			s->end += n;
		else if (ftruncate(s->fd, (off_t)s->end) != 0)
			s->torn = s->end;
		json_decref(o);
		if (rc != 0)
			return rc;
	}
	json_object_del(s->written, id);
	return dis_store_sync(s, why);
}

int
dis_store_sync(struct dis_store *s, struct pt_why *why)
{
	struct dis_meta m;
	MDB_val k = { 5, (void *)"\0meta" }, v = { sizeof(m), &m };
	struct stat st;

	if (!s->unsynced)
		return 0;
	if (fsync(s->fd) != 0)
		return pt_why_set(why, PT_EIO, "%s: fsync: %s", s->path,
		    strerror(errno));
	s->unsynced = 0;
	/* the index: what it covers now (a cache, not synced) */
	if (s->wtxn == NULL || fstat(s->fd, &st) != 0)
		return 0;
	num_put_be64(m.version, DIS_IDX_VERSION);
	num_put_be64(m.end, s->end);
	num_put_be64(m.ino, (uint64_t)st.st_ino);
	num_put_be64(m.dev, (uint64_t)st.st_dev);
	if (tail_hash(s, s->end, m.tail) != 0 ||
	    mdb_put(s->wtxn, s->dbi, &k, &v, 0) != 0)
		mdb_txn_abort(s->wtxn);	/* caught up at the next open */
	else
		mdb_txn_commit(s->wtxn);
	s->wtxn = NULL;
	return 0;
}

/*
 * Every whole line of s's file (to s->end: a last line cut short was
 * never sent) in order, through fn(arg, line, len, o): o the line parsed
 * (NULL: no JSON).  fn returns nonzero to stop, which is returned.  The
 * buffer is wiped: lines hold names and salts.
 */
static int
each_line(struct dis_store *s, int (*fn)(void *, const char *, size_t,
    json_t *), void *arg, struct pt_why *why)
{
	char *buf = malloc(DIS_LINE_MAX + 1);
	uint64_t at = 0;
	size_t have = 0;
	int rc = 0;

	if (buf == NULL)
		return PT_ENOMEM;
	while (rc == 0 && at < s->end) {
		char *nl;
		uint64_t left = s->end - at;
		size_t room = DIS_LINE_MAX - have;

		if (have < left && room > 0) {
			ssize_t n = pread(s->rfd, buf + have,
			    left - have < room ? (size_t)(left - have) : room,
			    (off_t)(at + have));

			if (n <= 0) {
				rc = pt_why_set(why, PT_EIO, "%s: %s", s->path,
				    n < 0 ? strerror(errno) : "changed while "
				    "read");
				break;
			}
			have += (size_t)n;
		}
		if ((nl = memchr(buf, '\n', have)) == NULL) {
			rc = pt_why_set(why, PT_EIO, "%s: changed while read",
			    s->path);
			break;
		}
		{
			size_t len = (size_t)(nl + 1 - buf);
			json_t *o = json_loadb(buf, len - 1,
			    JSON_REJECT_DUPLICATES, NULL);

			rc = fn(arg, buf, len, o);
			json_decref(o);
			have -= len;
			at += len;
			memmove(buf, nl + 1, have);
		}
	}
	cr_wipe(buf, DIS_LINE_MAX + 1);
	free(buf);
	return rc;
}

/* What `disclose --name` and `--erase` look for: the lines of this
 * submitter of record ids[] (of field, when set), or whose value is the
 * name (folded: any case and Unicode form). */
struct dis_pick {
	struct dis_store *s;
	const char *const *ids;
	size_t nids;
	const char *field;
	const char *name;	/* folded, or NULL */
	json_t *names;		/* folded values of the lines picked */
	json_t *out;		/* what was picked or is reported */
	json_t *also;		/* lines of a picked name left as they are */
	size_t nretracted;	/* lines picked of records the log refused
				 * (retracted: no logged record's salt) */
	int fd;			/* the file written (erasing), or -1 */
	const char *date;
	struct pt_why *why;
};

/* Whether line o (valid_line) is one p looks for. */
static int
picked(struct dis_pick *p, const json_t *o)
{
	if (strcmp(str_of(o, "submitter"), p->s->submitter) != 0)
		return 0;
	for (size_t i = 0; i < p->nids; i++)
		if (strcmp(str_of(o, "id"), p->ids[i]) == 0 &&
		    (p->field == NULL || strcmp(str_of(o, "field"),
		    p->field) == 0))
			return 1;
	if (p->name != NULL) {
		char *f = NULL;
		int same = fold_text(str_of(o, "value"), json_string_length(
		    json_object_get(o, "value")), &f) == 0 &&
		    strcmp(f, p->name) == 0;

		free(f);
		return same;
	}
	return 0;
}

/* A line's folded value into p->names. */
static int
note_name(struct dis_pick *p, const json_t *o)
{
	char *f = NULL;
	int rc = fold_text(str_of(o, "value"), json_string_length(
	    json_object_get(o, "value")), &f);

	if (rc == 0 && json_object_set_new(p->names, f, json_true()) != 0)
		rc = PT_ENOMEM;
	if (f != NULL)
		cr_wipe(f, strlen(f));
	free(f);
	return rc;
}

/* each_line: the live lines p looks for into p->out, the retracted ones
 * (a record the log refused) counted; their names into p->names. */
static int
find_line(void *arg, const char *line, size_t len, json_t *o)
{
	struct dis_pick *p = arg;
	MDB_txn *txn;
	int gone;

	(void)line;
	(void)len;
	if (o == NULL || !valid_line(o) || !picked(p, o))
		return 0;
	if ((txn = txn_get(p->s)) == NULL)
		return PT_ENOMEM;
	gone = retracted(p->s, txn, o);
	txn_put(p->s, txn);
	if (note_name(p, o) != 0)
		return PT_ENOMEM;
	if (gone)
		p->nretracted++;
	else if (json_array_append(p->out, o) != 0)
		return PT_ENOMEM;
	return 0;
}

/* Write len bytes of line to p->fd. */
static int
write_raw(struct dis_pick *p, const char *line, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(p->fd, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == ENOSPC || errno == EDQUOT ?
			    pt_why_set(p->why, PT_EIO, "%s: no room to write "
			    "the file again (the disk is full: free space, "
			    "then run again; the disclosures file is as it "
			    "was)", p->s->path) : pt_why_set(p->why, PT_EIO,
			    "%s: %s", p->s->path, strerror(errno));
		off += (size_t)w;
	}
	return 0;
}

/* each_line, erasing: the file written again to p->fd, each line picked
 * replaced by its erasure mark (a retracted one, whose salt no logged
 * record holds, by nothing); a line of the same name that is not picked
 * is kept and reported in p->also. */
static int
erase_line(void *arg, const char *line, size_t len, json_t *o)
{
	struct dis_pick *p = arg;
	json_t *m;
	MDB_txn *txn;
	size_t n;
	int rc, gone;

	if (o == NULL || !valid_line(o) ||
	    strcmp(str_of(o, "submitter"), p->s->submitter) != 0)
		return write_raw(p, line, len);
	if (!picked(p, o)) {
		char *f = NULL;

		if (fold_text(str_of(o, "value"), json_string_length(
		    json_object_get(o, "value")), &f) == 0 &&
		    json_object_get(p->names, f) != NULL)
			json_array_append_new(p->also, json_pack("{s:O,s:O}",
			    "id", json_object_get(o, "id"), "field",
			    json_object_get(o, "field")));
		free(f);
		return write_raw(p, line, len);
	}
	if ((txn = txn_get(p->s)) == NULL)
		return PT_ENOMEM;
	gone = retracted(p->s, txn, o);
	txn_put(p->s, txn);
	if (gone)
		return 0;
	m = json_pack("{s:i,s:O,s:O,s:O,s:O,s:s}", "version", 1, "submitter",
	    json_object_get(o, "submitter"), "id", json_object_get(o, "id"),
	    "field", json_object_get(o, "field"), "erased",
	    json_object_get(o, "commitment"), "date", p->date);
	if (m == NULL)
		return PT_ENOMEM;
	if ((rc = write_line(p->s, p->fd, m, &n, p->why)) == 0)
		json_array_append(p->out, m);
	json_decref(m);
	return rc;
}

/*
 * `disclose --erase`: the file written again with every line p picks
 * replaced by an erasure mark, into a temporary file beside it, synced,
 * and renamed over it (a crash leaves the file as it was, or as erased);
 * the index then built again.  The marks written in p->out.  0 or an
 * error, the file as it was.
 */
static int
erase_lines(struct dis_pick *p)
{
	struct dis_store *s = p->s;
	char tmp[UT_PATH_MAX];
	struct stat st;
	MDB_txn *txn;
	int rc;

	if ((p->fd = ut_tmpfile(s->path, 0600, tmp, sizeof(tmp), p->why)) < 0)
		return p->fd;
	if ((rc = each_line(s, erase_line, p, p->why)) == 0 &&
	    fsync(p->fd) != 0)
		rc = pt_why_set(p->why, PT_EIO, "%s: fsync: %s", tmp,
		    strerror(errno));
	if (close(p->fd) != 0 && rc == 0)
		rc = pt_why_set(p->why, PT_EIO, "%s: %s", tmp,
		    strerror(errno));
	p->fd = -1;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	if ((rc = ut_tmp_commit(tmp, s->path, 0, p->why)) != 0)
		return rc;
	/* the file is another (inode): the index built again now */
	close(s->rfd);
	if ((s->rfd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    fstat(s->rfd, &st) != 0)
		return pt_why_set(p->why, PT_EIO, "%s: %s", s->path,
		    strerror(errno));
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return idx_err(s, rc, p->why);
	if ((rc = refresh(s, txn, &st, 1, p->why)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return (rc = mdb_txn_commit(txn)) == 0 ? 0 : idx_err(s, rc, p->why);
}

int
dis_check_record(const json_t *disc, json_t *record, const char *submitter,
    size_t submitter_len, struct pt_why *why)
{
	uint8_t got[32], logged[32];
	const json_t *sub = json_object_get(disc, "submitter");
	const char *field;
	json_t *party;

	if (!valid_line(disc))
		return pt_why_set(why, PT_EMALFORMED, "not a disclosure");
	field = json_string_value(json_object_get(disc, "field"));
	if (json_string_length(sub) != submitter_len ||
	    memcmp(json_string_value(sub), submitter, submitter_len) != 0)
		return pt_why_set(why, PT_EPROOF, "the logged record was "
		    "signed by another submitter than the disclosure names");
	if (strcmp(json_string_value(json_object_get(disc, "id")),
	    json_string_value(json_object_get(record, "id")) ?
	    json_string_value(json_object_get(record, "id")) : "") != 0)
		return pt_why_set(why, PT_EPROOF, "the logged record has "
		    "another id");
	if (line_commits(disc, got) != 0)
		return pt_why_set(why, PT_EPROOF, "salt and value do not "
		    "give the disclosure's commitment");
	party = jrec_path(record, field);
	if (party == NULL || hexfield(party, "commitment", logged) != 0)
		return pt_why_set(why, PT_ENOTFOUND, "the logged record has "
		    "no committed field %s", field);
	if (cr_memcmp(logged, got, 32) != 0)
		return pt_why_set(why, PT_EPROOF, "the logged commitment at "
		    "%s is not the commitment to this value", field);
	return 0;
}

static const char disclose_usage[] =
    "usage: pubtrail disclose --key FILE [--disclosures FILE] --id ID\n"
    "                         [--field FIELD]\n"
    "       pubtrail disclose --key FILE [--disclosures FILE] --name NAME\n"
    "       pubtrail disclose --key FILE [--disclosures FILE] --erase\n"
    "                         (--id ID [--id ID ...] [--field FIELD] |\n"
    "                          --name NAME) [--json]\n"
    "\n"
    "Print the disclosure of one committed field (default: the only one)\n"
    "of the record ID, from the office's disclosures FILE (default\n"
    "KEYFILE.disclosures.jsonl, as submit writes it): the value and its\n"
    "salt, which let one person check the logged commitment with\n"
    "`pubtrail check-disclosure`.  --key is the office's key file (its\n"
    "verifier key selects the lines).  Exit 4 when there is no such field\n"
    "(or its line was erased); 1 when the field has several lines (copied\n"
    "in from another computer's file, or written by an earlier version):\n"
    "all are printed, one a line; check each with check-disclosure.\n"
    "\n"
    "  --name NAME  every line of the person NAME (any case and Unicode\n"
    "               form), one a line: what the office keeps of them (a\n"
    "               request for access); exit 4 when none\n"
    "  --erase      a request to erase a person's data: the lines of the\n"
    "               records --id (of --field), or of the name --name, are\n"
    "               replaced in FILE by erasure marks that keep the\n"
    "               logged commitment but not the name or the salt.  The\n"
    "               log's commitments can then be linked to no one; the\n"
    "               record sent again reads as logged.  Cannot be undone\n"
    "               (copies of FILE, such as backups, still hold them).\n"
    "               Lines of the same name it leaves are listed\n"
    "  --json       (--erase) what was erased and left, as one JSON object\n";

/* Today's date (UTC) as YYYY-MM-DD into out. */
static void
today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		snprintf(out, 11, "unknown");
}

/* `disclose --name` and `--erase`. */
static int
disclose_pick(struct dis_pick *p, int erase, int json)
{
	const char *file = dis_store_path(p->s);
	json_t *o;
	size_t i, n;
	int rc;

	if ((rc = each_line(p->s, find_line, p, p->why)) != 0)
		return cli_fail(rc, p->why, "--disclosures");
	if (!erase) {
		json_array_foreach(p->out, i, o) {
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
		}
		if (json_array_size(p->out) == 0 && p->nretracted == 0)
			return cli_fail(PT_ENOTFOUND, NULL, "no line of the "
			    "name in %s", file);
		fprintf(stderr, "pubtrail: %zu line%s of the name in %s (each "
		    "the disclosure of one record's field)%s\n",
		    json_array_size(p->out), json_array_size(p->out) == 1 ?
		    "" : "s", file, p->nretracted > 0 ? "; the file also holds "
		    "the name in lines of records the log refused (retracted: "
		    "no logged record's salt), which --erase --name removes" :
		    "");
		return json_array_size(p->out) > 0 ? CLI_OK : CLI_ENOTFOUND;
	}
	if (json_array_size(p->out) == 0 && p->nretracted == 0) {
		json_t *m = p->nids > 0 ? marks_of(p->s, p->ids[0], p->field) :
		    json_array();
		const char *d = str_of(json_array_get(m, 0), "date");

		rc = json_array_size(m) > 0 ? cli_fail(PT_ENOTFOUND, NULL,
		    "nothing to erase: the line of %s %s in %s was erased on "
		    "%s", p->ids[0], str_of(json_array_get(m, 0), "field"),
		    file, d != NULL ? d : "an earlier day") :
		    cli_fail(PT_ENOTFOUND, NULL, "nothing to erase: no line "
		    "of %s in %s", p->nids > 0 ? "the record" : "the name",
		    file);
		json_decref(m);
		return rc;
	}
	json_array_clear(p->out);
	if ((rc = erase_lines(p)) != 0)
		return cli_fail(rc, p->why, "--erase");
	if (json) {
		json_t *r = json_pack("{s:s,s:O,s:O,s:I}", "file", file,
		    "erased", p->out, "same_name_kept", p->also,
		    "retracted_removed", (json_int_t)p->nretracted);

		json_array_foreach(p->out, i, o)
			json_object_del(o, "submitter");
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(r);
		return CLI_OK;
	}
	json_array_foreach(p->out, i, o)
		printf("erased: %s %s (commitment %.16s...)\n", str_of(o, "id"),
		    str_of(o, "field"), str_of(o, "erased"));
	if (p->nretracted > 0)
		printf("removed: %zu line%s of records the log refused "
		    "(retracted)\n", p->nretracted, p->nretracted == 1 ? "" :
		    "s");
	json_array_foreach(p->also, i, o) {
		char qid[PT_MAX_ID * 4 + 8], qf[256];

		printf("kept: %s %s holds the same name: erase it too with "
		    "--erase --id %s --field %s (or all of the name's with "
		    "--name)\n", str_of(o, "id"), str_of(o, "field"),
		    cli_shell_word(str_of(o, "id"), qid, sizeof(qid)),
		    cli_shell_word(str_of(o, "field"), qf, sizeof(qf)));
	}
	n = json_array_size(p->out) + p->nretracted;
	printf("The name%s and salt%s of %zu line%s are gone from %s: the "
	    "log's commitment%s can be linked to no one. Copies of the file "
	    "(backups) still hold them.\n", n == 1 ? "" : "s", n == 1 ? "" :
	    "s", n, n == 1 ? "" : "s", file, json_array_size(p->out) == 1 ?
	    "" : "s");
	return CLI_OK;
}

/* After a record's line is shown: a correction that gave the person of
 * (id, field) another name, said on stderr (the line shown is the name
 * the record had when it was logged). */
static void
say_amended(struct dis_store *s, const char *id, const char *field,
    const json_t *hit)
{
	int stale = 0;
	json_t *a = lines_of(s, 'A', id, field, NULL, 0, SIZE_MAX, &stale), *o;
	size_t i;

	json_array_foreach(a, i, o) {
		char qid[PT_MAX_ID * 4 + 8];

		if (json_equal(json_object_get(o, "value"),
		    json_object_get(hit, "value")))
			continue;
		fprintf(stderr, "pubtrail: note: the correction %s gave %s of "
		    "%s another name: `pubtrail disclose --id %s --field %s` "
		    "shows the name as corrected\n", str_of(o, "id"), field,
		    id, cli_shell_word(str_of(o, "id"), qid, sizeof(qid)),
		    str_of(o, "field"));
	}
	json_decref(a);
}

int
dis_cmd_disclose(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "disclosures", 1, NULL, 'd' },
		{ "key", 1, NULL, 'k' },
		{ "id", 1, NULL, 'i' },
		{ "field", 1, NULL, 'f' },
		{ "name", 1, NULL, 'n' },
		{ "erase", 0, NULL, 'e' },
		{ "json", 0, NULL, 'j' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *keyfile = NULL, *id = NULL, *field = NULL;
	const char *name = NULL;
	const char **ids = NULL;
	char vkey[PT_MAX_VKEY + 1], dpath[UT_PATH_MAX], date[11];
	struct note_skey k;
	struct dis_store *s;
	struct pt_why why = { "" };
	json_t *o, *hit = NULL, *hits;
	char fieldbuf[256];
	size_t i, nhit = 0, nids = 0;
	int c, rc, erase = 0, json = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			file = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'i': {
			const char **n = realloc(ids, (nids + 1) *
			    sizeof(*ids));

			if (n == NULL) {
				free(ids);
				return cli_fail(PT_ENOMEM, NULL, "--id");
			}
			ids = n;
			ids[nids++] = id = optarg;
			break;
		}
		case 'f':
			field = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'e':
			erase = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			free(ids);
			fputs(disclose_usage, stdout);
			return CLI_OK;
		default:
			free(ids);
			fputs(disclose_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	rc = optind != argc || keyfile == NULL ? cli_usage_error(
	    disclose_usage, "--key is required") :
	    (id == NULL) == (name == NULL) ? cli_usage_error(disclose_usage,
	    "give --id or --name") :
	    nids > 1 && !erase ? cli_usage_error(disclose_usage, "--id once "
	    "(several only with --erase)") :
	    name != NULL && field != NULL ? cli_usage_error(disclose_usage,
	    "--field goes with --id") :
	    json && !erase ? cli_usage_error(disclose_usage, "--json goes "
	    "with --erase (the other forms print JSON)") : 0;
	if (rc == 0 && file == NULL) {
		if (snprintf(dpath, sizeof(dpath), "%s.disclosures.jsonl",
		    keyfile) >= (int)sizeof(dpath))
			rc = cli_usage_error(disclose_usage, "--key: path too "
			    "long");
		file = dpath;
	}
	if (rc != 0) {
		free(ids);
		return rc;
	}
	if ((rc = keys_load_skey(keyfile, &k, &why)) != 0) {
		free(ids);
		return cli_fail(rc, &why, "--key");
	}
	rc = note_vkey_format(&k.vk, vkey, sizeof(vkey));
	note_skey_wipe(&k);
	if (rc != 0 || (access(file, F_OK) != 0 && errno == ENOENT)) {
		free(ids);
		return rc != 0 ? cli_fail(rc, NULL, "--key") :
		    cli_fail(PT_ENOTFOUND, NULL, "%s: no disclosures file "
		    "(the office's runs write it beside the key, unless given "
		    "--disclosures)", file);
	}
	if ((rc = dis_store_open(file, vkey, 0, &s, &why)) != 0) {
		free(ids);
		return cli_fail(rc, &why, "--disclosures");
	}
	if (erase || name != NULL) {
		char *fname = NULL;
		struct dis_pick p = { .s = s, .ids = ids, .nids = nids,
		    .field = field, .names = json_object(), .out = json_array(),
		    .also = json_array(), .fd = -1, .date = date, .why = &why };

		today(date);
		if (name != NULL && fold_text(name, strlen(name), &fname) !=
		    0)
			rc = cli_usage_error(disclose_usage, "--name: not "
			    "UTF-8 text");
		else if (p.names == NULL || p.out == NULL || p.also == NULL)
			rc = cli_fail(PT_ENOMEM, NULL, "disclose");
		else {
			p.name = fname;
			rc = disclose_pick(&p, erase, json);
		}
		free(fname);
		json_decref(p.names);
		json_decref(p.out);
		json_decref(p.also);
		free(ids);
		dis_store_free(s);
		return rc;
	}
	free(ids);
	{
		int stale = 0;

		hits = lines_of(s, 'I', id, field, NULL, 0, SIZE_MAX, &stale);
		if (stale && rebuild(s, &why) == 0) {
			json_decref(hits);
			stale = 0;
			hits = lines_of(s, 'I', id, field, NULL, 0, SIZE_MAX,
			    &stale);
		}
	}
	nhit = json_array_size(hits);
	hit = json_array_get(hits, 0);
	if (nhit == 0) {
		json_t *m = marks_of(s, id, field);

		json_decref(hits);
		if (json_array_size(m) > 0) {
			o = json_array_get(m, 0);
			rc = cli_fail(PT_ENOTFOUND, NULL, "record %s, field "
			    "%s: the person's line was erased on %s (`pubtrail "
			    "disclose --erase`): the logged commitment "
			    "%.16s... can be linked to no one", id, str_of(o,
			    "field"), str_of(o, "date") != NULL ? str_of(o,
			    "date") : "an earlier day", str_of(o, "erased"));
			json_decref(m);
			dis_store_free(s);
			return rc;
		}
		json_decref(m);
		dis_store_free(s);
		return cli_fail(PT_ENOTFOUND, NULL, "no committed field%s%s "
		    "of record %s in %s", field ? " " : "", field ? field : "",
		    id, file);
	}
	if (field == NULL) {
		/* several fields, or one under several lines */
		json_array_foreach(hits, i, o)
			if (strcmp(str_of(o, "field"), str_of(hit, "field")) !=
			    0) {
				json_decref(hits);
				dis_store_free(s);
				return cli_usage_error(disclose_usage,
				    "record %s has several committed fields: "
				    "name one with --field", id);
			}
		/* copied: hits is freed before the messages below */
		snprintf(fieldbuf, sizeof(fieldbuf), "%s", str_of(hit,
		    "field"));
		field = fieldbuf;
	}
	if (nhit > 1) {
		/* one field under several lines: another computer's lines
		 * copied in, or lines an earlier version wrote (two runs at
		 * once, a refused record's line not retracted); the log's
		 * record holds one of them */
		json_array_foreach(hits, i, o) {
			json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
		}
		json_decref(hits);
		dis_store_free(s);
		return cli_fail(PT_EMALFORMED, NULL, "record %s has %zu lines "
		    "for field %s in %s, with different salts: all are above, "
		    "one a line, oldest first; save each to a file and check "
		    "it with `pubtrail check-disclosure`: the valid one is the "
		    "one the log's record holds", id, nhit, field, file);
	}
	/* a line edited by hand (a name retyped): its salt and value no
	 * longer give its commitment, and a disclosure would name someone
	 * the log's record does not */
	{
		uint8_t got[32];

		if (line_commits(hit, got) != 0) {
			json_decref(hits);
			dis_store_free(s);
			return cli_fail(PT_EMALFORMED, NULL, "record %s, field "
			    "%s: the line in %s does not match its own "
			    "commitment: its value or salt was changed after it "
			    "was written (edited by hand?); nothing is shown. "
			    "Restore the line from a backup of the file", id,
			    field, file);
		}
	}
	json_dumpf(hit, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	if (strncmp(field, "replacement.", 12) != 0)
		say_amended(s, id, field, hit);
	json_decref(hits);
	dis_store_free(s);
	return CLI_OK;
}

static const char check_usage[] =
    "usage: pubtrail check-disclosure --log-key VKEY (--log URL | --receipt FILE)\n"
    "                                 [--index I] [--json] DISCLOSURE\n"
    "\n"
    "Check a disclosure (a JSON file from `pubtrail disclose`, \"-\" for\n"
    "standard input) against the logged record: with --log, the record is\n"
    "looked up by submitter and id (or fetched at --index), proven to be in\n"
    "the log's signed checkpoint; with --receipt, the receipt is verified\n"
    "offline.  Then the commitment recomputed from salt and value must be\n"
    "the one logged at the disclosed field.  Exit 0 valid, 1 not, 3\n"
    "network, 4 no such record.\n";

/* What `pubtrail check-disclosure` was asked to do. */
struct check_args {
	struct cli_common co;
	const char *receipt;		/* --receipt FILE, or NULL: --log */
	const char *index_arg;		/* --index I, or NULL: look it up */
	uint64_t index;
	const char *file;		/* DISCLOSURE */
};

/* The command line into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
check_parse(int argc, char **argv, struct check_args *a)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "receipt", 1, NULL, 'r' },
		{ "index", 1, NULL, 'i' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	cli_common_init(&a->co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_usage, stdout);
			return CLI_OK;
		} else if (c == 'r')
			a->receipt = optarg;
		else if (c == 'i')
			a->index_arg = optarg;
		else if ((rc = cli_common_opt(&a->co, c, optarg,
		    check_usage)) < 0)
			return -rc;
		else if (rc == 0) {
			fputs(check_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(check_usage, "one DISCLOSURE file");
	if ((a->receipt == NULL) == (a->co.log_url == NULL))
		return cli_usage_error(check_usage, "give --log or --receipt");
	if (a->index_arg != NULL && num_parse_u64_str(a->index_arg, 0,
	    PT_MAX_TREE_SIZE, &a->index) != 0)
		return cli_usage_error(check_usage, "--index: bad number");
	if ((rc = cli_common_check(&a->co, 0, check_usage)) != 0)
		return rc;
	a->file = argv[optind];
	return -1;
}

/* The logged entry a disclosure is checked against, and what holds it. */
struct logged {
	struct wire_entry e;		/* into buf or res's receipt */
	uint64_t index;
	uint8_t *buf;			/* the receipt or the entry (heap) */
	struct vrf_result *res;		/* --receipt: the verified receipt */
	struct logc *lc;		/* --log */
};

static void
logged_free(struct logged *g)
{
	free(g->buf);
	free(g->res);
	logc_free(g->lc);
}

/* --receipt: the entry of the receipt, verified offline.  0 or the exit
 * code. */
static int
entry_from_receipt(const struct check_args *a, struct logged *g)
{
	struct pt_why why = { "" };
	size_t len;
	int rc;

	if ((g->res = malloc(sizeof(*g->res))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "check-disclosure");
	if ((rc = ut_read_input(a->receipt, WIRE_MAX_RECEIPT, &g->buf, &len,
	    &why)) != 0)
		return cli_fail(rc, &why, "--receipt");
	if ((rc = vrf_receipt(g->buf, len, &a->co.key, g->res, &why)) != 0)
		return cli_fail(rc, &why, "%s", a->receipt);
	g->e = g->res->entry;
	g->index = g->res->index;
	return 0;
}

/* --log: the entry at --index, or the disclosure's record looked up by
 * submitter and id; proven in the log's verified checkpoint.  0 or the
 * exit code. */
static int
entry_from_log(const struct check_args *a, const json_t *disc,
    struct logged *g)
{
	struct hcli_opts ho;
	struct ckpt ck;
	struct pt_why why = { "" };
	const json_t *sv = json_object_get(disc, "submitter");
	const char *id = json_string_value(json_object_get(disc, "id"));
	uint8_t sid[32];
	size_t len;
	int rc;

	cli_hcli_opts(&a->co, 1, &ho);
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &g->lc, &why)) !=
	    0)
		return cli_fail(rc, &why, "--log");
	g->lc->tiles_only = a->co.tiles_only;
	if ((rc = logc_checkpoint(g->lc, &ck, NULL, NULL, &why)) != 0)
		return cli_fail(rc, &why, "checkpoint");
	g->index = a->index;
	if (a->index_arg != NULL)
		rc = logc_entry(g->lc, a->index, &ck, &g->buf, &len, &g->e,
		    &why);
	else if ((rc = wire_submitter_id(json_string_value(sv),
	    json_string_length(sv), sid)) == 0)
		rc = logc_lookup(g->lc, sid, id, &ck, &g->index, &g->buf, &len,
		    &g->e, &why);
	if (rc != 0)
		return cli_fail(rc, &why, "record %s", id);
	return 0;
}

/* The outcome of dis_check_record (rc, why) for the entry at index. */
static void
print_check(const struct check_args *a, const json_t *disc, uint64_t index,
    int rc, const struct pt_why *why)
{
	if (a->co.json) {
		json_t *o = json_object();

		json_object_set_new(o, "valid", json_boolean(rc == 0));
		json_object_set_new(o, "index", json_integer((json_int_t)index));
		json_object_set(o, "field", json_object_get(disc, "field"));
		json_object_set(o, "id", json_object_get(disc, "id"));
		if (rc != 0)
			json_object_set_new(o, "reason", json_string(why->text));
		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	} else if (rc == 0)
		printf("%svalid%s: %s of record %s (index %llu) is the "
		    "commitment to the disclosed value\n", cli_green(stdout),
		    cli_reset(stdout), json_string_value(json_object_get(disc,
		    "field")), json_string_value(json_object_get(disc, "id")),
		    (unsigned long long)index);
	else
		cli_fail(rc, why, "disclosure does not match");
}

/* Read the disclosure, find its logged entry, check, print.  The exit
 * code. */
static int
check_run(const struct check_args *a)
{
	struct pt_why why = { "" };
	struct logged g;
	uint8_t *dbuf = NULL;
	size_t dlen;
	json_t *disc = NULL, *rec = NULL;
	json_error_t je;
	int rc, ex;

	memset(&g, 0, sizeof(g));
	if ((rc = ut_read_input(a->file, 65536, &dbuf, &dlen, &why)) != 0)
		return cli_fail(rc, &why, "disclosure");
	disc = json_loadb((const char *)dbuf, dlen, JSON_REJECT_DUPLICATES,
	    &je);
	if (disc == NULL || !valid_line(disc)) {
		ex = cli_fail(PT_EINVAL, NULL, "%s: not a disclosure", a->file);
		goto out;
	}
	if ((ex = a->receipt != NULL ? entry_from_receipt(a, &g) :
	    entry_from_log(a, disc, &g)) != 0)
		goto out;
	if ((rc = jrec_to_json(g.e.sub.record, g.e.sub.record_len, &rec,
	    &why)) != 0) {
		ex = cli_fail(rc, &why, "record");
		goto out;
	}
	rc = dis_check_record(disc, rec, g.e.sub.submitter_str,
	    g.e.sub.submitter_len, &why);
	ex = cli_exit_for(rc);
	print_check(a, disc, g.index, rc, &why);
out:
	json_decref(disc);
	json_decref(rec);
	free(dbuf);
	logged_free(&g);
	return ex;
}

int
dis_cmd_check(int argc, char **argv)
{
	struct check_args a;
	int rc;

	if ((rc = check_parse(argc, argv, &a)) >= 0)
		return rc;
	return check_run(&a);
}
