/*
 * backup.c: `pubtraild backup --data DIR --out OUT`, a hot backup of a log
 * that may be running (backup.h has the layout and why it is marked).
 *
 * Order: OUT is made (new, 0700); the store of DIR is opened read-only (no
 * lock: the daemon keeps running) and copied (store_copy); the copy is
 * opened and its latest checkpoint verified with the log key, its size
 * matched and its root recomputed from the copied hashes; then the
 * checkpoint copy, the keys, the submitters and last the manifest are
 * written (each through sfile.h, fsynced).  A backup without its manifest
 * is unfinished: recover and the daemon treat it as no backup.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "backup.h"
#include "cfg.h"
#include "ckpt.h"
#include "crypto.h"
#include "datadir.h"
#include "env.h"
#include "logkey.h"
#include "note.h"
#include "num.h"
#include "sfile.h"
#include "store.h"

#define MANIFEST_MAX	2048
#define SMALL_FILE_MAX	(1u << 20)	/* submitters, keys: copied whole */

static const char backup_usage[] =
"usage: pubtraild backup --data DIR --out OUT [--with-private-key] [--json]\n"
"       pubtraild backup --config FILE --out OUT [...]\n"
"\n"
"Take a hot backup of the log in DIR (its daemon may be running and\n"
"appending): OUT (a new directory, mode 0700) gets LMDB's compacting copy\n"
"of the store from one read transaction, the copy's latest checkpoint\n"
"(verified with the log key), log.vkey, registrar.vkey, the submitters\n"
"file and a manifest (BACKUP) recording the tree size and root it holds.\n"
"The private key\n"
"log.key is copied only with --with-private-key (mode 0600); keep it\n"
"offline.  OUT is a data directory: check it with\n"
"`pubtraild --check-full --data OUT`; after a loss, restore it and run\n"
"`pubtraild recover` (the daemon refuses to serve a restored backup until\n"
"then).  Exit 0 done, 1 failed, 2 usage.\n";

/* Read a whole small file (at most max bytes, not through a link). */
static int
read_small(const char *path, size_t max, char **out, size_t *len,
    mode_t *mode, struct pt_why *why)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return pt_why_set(why, errno == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		close(fd);
		return pt_why_set(why, PT_EIO, "%s: not a regular file of at "
		    "most %zu bytes", path, max);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return PT_ENOMEM;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	if (mode != NULL)
		*mode = st.st_mode & 0777;
	return 0;
}

/* Copy DIR/name to OUT/name with mode (missing: PT_ENOTFOUND). */
static int
copy_small(const char *dir, const char *out, const char *name, unsigned mode,
    int excl, struct pt_why *why)
{
	char src[SF_PATH_MAX], dst[SF_PATH_MAX];
	char *buf;
	size_t len;
	int rc;

	if (snprintf(src, sizeof(src), "%s/%s", dir, name) >= (int)sizeof(src)
	    || snprintf(dst, sizeof(dst), "%s/%s", out, name) >=
	    (int)sizeof(dst))
		return pt_why_set(why, PT_EINVAL, "path too long");
	if ((rc = read_small(src, SMALL_FILE_MAX, &buf, &len, NULL, why)) != 0)
		return rc;
	rc = sf_write(dst, buf, len, mode, excl, why);
	cr_wipe(buf, len);
	free(buf);
	return rc;
}

/*
 * The copy in out: its latest checkpoint verifies with vk, its size is
 * the store's, and the root recomputed from its hashes is the signed one.
 * *bi gets what it holds; the note is written to OUT/checkpoint.
 */
static int
check_copy(const char *out, const struct note_vkey *vk,
    struct backup_info *bi, struct pt_why *why)
{
	struct store_opts so = { 0, 1 };
	struct store *s;
	struct store_txn *t;
	struct mt_reader r;
	struct mt_hash root;
	struct ckpt *c;
	const char *note;
	size_t len;
	uint64_t size, tm;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PT_ENOMEM;
	if ((rc = store_open(out, &so, &s, why)) != 0) {
		free(c);
		return rc;
	}
	if ((rc = store_read_begin(s, &t)) != 0) {
		pt_why_set(why, rc, "reading the copy: %s", pt_strerror(rc));
		goto out;
	}
	rc = store_latest_checkpoint(t, &note, &len, &size, &tm);
	if (rc == 0 && (rc = ckpt_open(note, len, vk, c)) != 0)
		pt_why_set(why, rc, "the copy's latest checkpoint does not "
		    "verify with the log key: %s", pt_strerror(rc));
	else if (rc != 0)
		pt_why_set(why, rc, "the copy has no checkpoint: %s",
		    pt_strerror(rc));
	if (rc == 0 && (c->size != size || size != store_txn_size(t)))
		rc = pt_why_set(why, PT_ECORRUPT, "the copy's tree size does "
		    "not match its checkpoint's");
	if (rc == 0) {
		store_txn_reader(t, &r);
		if ((rc = mt_root(&r, size, &root)) != 0 ||
		    cr_memcmp(root.b, c->root.b, MT_HASH_SIZE) != 0)
			rc = pt_why_set(why, PT_ECORRUPT, "the copy's root "
			    "differs from its signed checkpoint's");
	}
	if (rc == 0 && (rc = datadir_copy_write(out, note, len)) != 0)
		pt_why_set(why, rc, "%s/%s: %s", out, DATADIR_COPY_NAME,
		    pt_strerror(rc));
	if (rc == 0) {
		snprintf(bi->origin, sizeof(bi->origin), "%s", c->origin);
		bi->size = size;
		bi->root = c->root;
		bi->time_ms = tm;
	}
	store_read_end(t);
out:
	store_close(s);
	free(c);
	return rc;
}

static int
write_manifest(const char *out, const struct backup_info *bi,
    struct pt_why *why)
{
	char path[SF_PATH_MAX], buf[MANIFEST_MAX], root[64];
	int n;

	cr_b64_encode(bi->root.b, MT_HASH_SIZE, root, sizeof(root));
	n = snprintf(buf, sizeof(buf), "pubtrail-backup v1\norigin %s\n"
	    "size %llu\nroot %s\ntime_ms %llu\ntaken_ms %llu\n"
	    "private_key %s\n", bi->origin, (unsigned long long)bi->size, root,
	    (unsigned long long)bi->time_ms, (unsigned long long)bi->taken_ms,
	    bi->private_key ? "yes" : "no");
	if (n < 0 || (size_t)n >= sizeof(buf) || snprintf(path, sizeof(path),
	    "%s/%s", out, BACKUP_MANIFEST) >= (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "manifest too long");
	return sf_write(path, buf, (size_t)n, 0644, 1, why);
}

/* One "key value" line of the manifest at *p (advanced past it). */
static int
manifest_line(const char **p, const char *key, const char **val,
    size_t *vlen)
{
	size_t kl = strlen(key);
	const char *nl;

	if (strncmp(*p, key, kl) != 0 || (*p)[kl] != ' ' ||
	    (nl = strchr(*p, '\n')) == NULL)
		return PT_EMALFORMED;
	*val = *p + kl + 1;
	*vlen = (size_t)(nl - *val);
	*p = nl + 1;
	return 0;
}

int
backup_manifest_read(const char *dir, struct backup_info *bi,
    struct pt_why *why)
{
	char path[SF_PATH_MAX], *buf;
	const char *p, *v;
	size_t len, vl;
	uint8_t raw[64];
	int rc;

	memset(bi, 0, sizeof(*bi));
	if (snprintf(path, sizeof(path), "%s/%s", dir, BACKUP_MANIFEST) >=
	    (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	if ((rc = read_small(path, MANIFEST_MAX, &buf, &len, NULL, why)) != 0)
		return rc;
	p = buf;
	rc = PT_EMALFORMED;
	if (strncmp(p, "pubtrail-backup v1\n", 19) != 0)
		goto out;
	p += 19;
	if (manifest_line(&p, "origin", &v, &vl) != 0 || vl == 0 ||
	    vl > PT_MAX_ORIGIN)
		goto out;
	memcpy(bi->origin, v, vl);
	bi->origin[vl] = '\0';
	if (manifest_line(&p, "size", &v, &vl) != 0 ||
	    num_parse_u64(v, vl, 0, PT_MAX_TREE_SIZE, &bi->size) != 0)
		goto out;
	if (manifest_line(&p, "root", &v, &vl) != 0 ||
	    cr_b64_decode(v, vl, raw, sizeof(raw), &len) != 0 ||
	    len != MT_HASH_SIZE)
		goto out;
	memcpy(bi->root.b, raw, MT_HASH_SIZE);
	if (manifest_line(&p, "time_ms", &v, &vl) != 0 ||
	    num_parse_u64(v, vl, 0, UINT64_MAX, &bi->time_ms) != 0 ||
	    manifest_line(&p, "taken_ms", &v, &vl) != 0 ||
	    num_parse_u64(v, vl, 0, UINT64_MAX, &bi->taken_ms) != 0 ||
	    manifest_line(&p, "private_key", &v, &vl) != 0)
		goto out;
	if (vl == 3 && memcmp(v, "yes", 3) == 0)
		bi->private_key = 1;
	else if (!(vl == 2 && memcmp(v, "no", 2) == 0))
		goto out;
	rc = *p == '\0' ? 0 : PT_EMALFORMED;
out:
	free(buf);
	if (rc != 0)
		return pt_why_set(why, rc, "%s: not a pubtrail backup manifest",
		    path);
	return 0;
}

int
backup_manifest_remove(const char *dir, struct pt_why *why)
{
	char path[SF_PATH_MAX];
	int dfd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, BACKUP_MANIFEST) >=
	    (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	if (unlink(path) != 0 && errno != ENOENT)
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) != 0) {
		if (dfd >= 0)
			close(dfd);
		return pt_why_set(why, PT_EIO, "%s: fsync failed", dir);
	}
	close(dfd);
	return 0;
}

/* Take the backup of dir into out; 0 or an error with the reason. */
static int
take_backup(const char *dir, const char *out, int with_key,
    struct backup_info *bi, struct pt_why *why)
{
	struct store_opts so = { 0, 1 };
	struct note_vkey vk;
	struct store *s;
	struct stat st;
	char path[SF_PATH_MAX];
	int has_private, rc;

	memset(bi, 0, sizeof(*bi));
	if (snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    (int)sizeof(path) || stat(path, &st) != 0)
		return pt_why_set(why, PT_ENOTFOUND, "%s holds no log", dir);
	if ((rc = logkey_load_vkey(dir, &vk, &has_private, why)) != 0)
		return rc;
	if (with_key && !has_private)
		return pt_why_set(why, PT_ENOTFOUND, "--with-private-key: %s "
		    "has no %s", dir, LOGKEY_NAME);
	if (mkdir(out, 0700) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s (a backup goes to a new "
		    "directory)", out, strerror(errno));
	if ((rc = store_open(dir, &so, &s, why)) != 0)
		return rc;
	rc = store_copy(s, out, why);
	store_close(s);
	if (rc != 0)
		return rc;
	if ((rc = check_copy(out, &vk, bi, why)) != 0)
		return rc;
	if ((rc = copy_small(dir, out, LOGKEY_VNAME, 0644, 1, why)) != 0)
		return rc;
	rc = copy_small(dir, out, "submitters", 0644, 1, why);
	if (rc != 0 && rc != PT_ENOTFOUND)
		return rc;
	/* the registrar's verifier key, when the log keeps it there */
	rc = copy_small(dir, out, "registrar.vkey", 0644, 1, why);
	if (rc != 0 && rc != PT_ENOTFOUND)
		return rc;
	if (with_key && (rc = copy_small(dir, out, LOGKEY_NAME, 0600, 1,
	    why)) != 0)
		return rc;
	bi->private_key = with_key;
	bi->taken_ms = env_now_ms();
	return write_manifest(out, bi, why);
}

int
backup_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "with-private-key", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *config = NULL, *out = NULL;
	struct backup_info bi;
	struct pt_why why = { "" };
	struct cfg cfg;
	char root[64];
	int ch, with_key = 0, json = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'c': config = optarg; break;
		case 'o': out = optarg; break;
		case 'k': with_key = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(backup_usage, stdout); return 0;
		default: fputs(backup_usage, stderr); return 2;
		}
	}
	if (optind != argc || out == NULL || (data == NULL && config == NULL)) {
		fputs(backup_usage, stderr);
		return 2;
	}
	if (data == NULL) {
		cfg_defaults(&cfg);
		if (cfg_load(&cfg, config, &why) != 0) {
			fprintf(stderr, "pubtraild backup: %s\n", why.text);
			return 2;
		}
		data = cfg.data;
	}
	if ((rc = take_backup(data, out, with_key, &bi, &why)) != 0) {
		fprintf(stderr, "pubtraild backup: %s\n", why.text[0] ?
		    why.text : pt_strerror(rc));
		return 1;
	}
	cr_b64_encode(bi.root.b, MT_HASH_SIZE, root, sizeof(root));
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:b}", "out", out,
		    "origin", bi.origin, "size", (json_int_t)bi.size, "root",
		    root, "private_key", bi.private_key);

		if (o == NULL || json_dumpf(o, stdout, JSON_COMPACT) != 0)
			return 1;
		json_decref(o);
		putchar('\n');
	} else
		printf("backup: %s holds %llu entries of \"%s\" (root %s); "
		    "private key %s\n", out, (unsigned long long)bi.size,
		    bi.origin, root, bi.private_key ? "copied (mode 0600: keep "
		    "it offline)" : "not copied");
	return 0;
}
