/* tdir.c: a static C2SP tlog-tiles tree on disk (tdir.h). */
#define _GNU_SOURCE		/* syncfs(2): a round's files durable at once */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "ptlimits.h"
#include "sfile.h"
#include "tdir.h"

#define TDIR_COPY_DEPTH	4	/* directory levels tdir_copy_dir descends */

struct tdir {
	char root[SF_PATH_MAX];
	int gzip;
	char lastdir[SF_PATH_MAX];	/* the last directory made */
	int unsynced;			/* files written since tdir_sync */
	struct tdir_stats st;
};

int
tdir_open(const char *dir, int gzip, struct tdir **out, struct pt_why *why)
{
	struct tdir *d;
	struct stat sb;
	size_t n = strlen(dir);

	*out = NULL;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || n + TILE_PATH_MAX + 64 >= SF_PATH_MAX)
		return pt_why_set(why, PT_EINVAL, "%s: bad directory name",
		    dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return pt_why_set(why, PT_EIO, "%s: %s", dir, strerror(errno));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return pt_why_set(why, PT_EIO, "%s: not a directory", dir);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return PT_ENOMEM;
	memcpy(d->root, dir, n);
	d->root[n] = '\0';
	d->gzip = gzip;
	*out = d;
	return 0;
}

void
tdir_free(struct tdir *d)
{
	if (d == NULL)
		return;
	free(d);
}

const char *
tdir_root(const struct tdir *d)
{
	return d->root;
}

const struct tdir_stats *
tdir_stats(const struct tdir *d)
{
	return &d->st;
}

static int
fsync_path(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

/*
 * Every file written since the last call, its data and its name, on
 * disk: one syncfs(2) of the tree's file system instead of an fsync per
 * file and directory (a round writes tens of files).  PT_EIO.
 */
int
tdir_sync(struct tdir *d, struct pt_why *why)
{
	int fd, rc = 0;

	if (!d->unsynced)
		return 0;
	if ((fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    syncfs(fd) != 0)
		rc = pt_why_set(why, PT_EIO, "syncfs %s: %s", d->root,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		d->unsynced = 0;
	return rc;
}

/* mkdir -p of dir (inside the root, which exists).  O(depth) calls, none
 * when it is the directory made last. */
static int
make_dirs(struct tdir *d, const char *dir, struct pt_why *why)
{
	char p[SF_PATH_MAX];
	size_t rl = strlen(d->root);

	if (strcmp(dir, d->lastdir) == 0 || strlen(dir) <= rl)
		return 0;	/* made last, or the root itself */
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + rl + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0755) == 0)
			d->unsynced = 1;	/* a new name in its parent */
		else if (errno != EEXIST)
			return pt_why_set(why, PT_EIO, "mkdir %s: %s", p,
			    strerror(errno));
		*s = c;
		if (c == '\0')
			break;
	}
	snprintf(d->lastdir, sizeof(d->lastdir), "%s", dir);
	return 0;
}

/* Read the whole file at path (at most cap bytes) into buf. */
static int
read_path(const char *path, uint8_t *buf, size_t cap, size_t *len,
    struct pt_why *why)
{
	struct stat sb;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? PT_ENOTFOUND : pt_why_set(why, PT_EIO,
		    "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return pt_why_set(why, PT_EIO, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > cap) {
		close(fd);
		return pt_why_set(why, PT_ETOOBIG, "%s: %lld bytes, at most %zu",
		    path, (long long)sb.st_size, cap);
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return pt_why_set(why, PT_EIO, "%s: short read", path);
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

/*
 * Write data to path through a temporary file in dir, then link (excl:
 * write once; PT_ECONFLICT when something is there) or rename.  With
 * durable, fsync the file before and the directory after; otherwise the
 * next tdir_sync makes both durable.
 */
static int
put_path(struct tdir *d, const char *dir, const char *path, const void *data,
    size_t len, unsigned mode, int excl, int durable, struct pt_why *why)
{
	char tmp[SF_PATH_MAX];
	int fd, rc, e;

	if ((fd = sf_tmpfile(path, mode, tmp, sizeof(tmp), why)) < 0)
		return fd;
	if ((errno = sf_write_all(fd, data, len)) != 0 ||
	    (durable && fsync(fd) != 0)) {
		e = errno;
		close(fd);
		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(tmp);
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(e));
	}
	if (excl) {
		rc = link(tmp, path) == 0 ? 0 : errno == EEXIST ?
		    PT_ECONFLICT : pt_why_set(why, PT_EIO, "%s: %s", path,
		    strerror(errno));
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		rc = pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
	} else
		rc = 0;
	if (rc == 0) {
		d->st.bytes += len;
		d->unsynced = 1;
		if (durable && fsync_path(dir) != 0)
			rc = pt_why_set(why, PT_EIO, "fsync %s: %s", dir,
			    strerror(errno));
	}
	return rc;
}

/* gzip (RFC 1952) of data at zlib's default level into a fresh buffer:
 * on entry bundles 6 writes 0.2% more than 9 at 1.4 times its speed (and
 * a sixth of the bundle's size). */
static int
gzip_bytes(const void *data, size_t len, uint8_t **out, size_t *olen)
{
	z_stream zs;
	uLong cap;
	uint8_t *buf;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return PT_ENOMEM;
	cap = deflateBound(&zs, (uLong)len) + 32;
	if ((buf = malloc(cap)) == NULL) {
		deflateEnd(&zs);
		return PT_ENOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	*olen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return PT_ENOMEM;
	}
	*out = buf;
	return 0;
}

/* DIR/<tile path> and its directory. */
static int
tile_paths(const struct tdir *d, const struct tile *t, char *path,
    size_t pcap, char *dir, size_t dcap)
{
	char rel[TILE_PATH_MAX];
	int rc;

	if ((rc = tile_path_format(t, rel, sizeof(rel))) != 0)
		return rc;
	if ((size_t)snprintf(path, pcap, "%s/%s", d->root, rel) >= pcap)
		return PT_EINVAL;
	return dir != NULL ? sf_dirname(path, dir, dcap) : 0;
}

int
tdir_put_tile(struct tdir *d, const struct tile *t, const void *data,
    size_t len, struct pt_why *why)
{
	char path[SF_PATH_MAX], dir[SF_PATH_MAX];
	int full = t->width == TILE_WIDTH, rc;

	if ((rc = tile_paths(d, t, path, sizeof(path), dir, sizeof(dir))) != 0)
		return pt_why_set(why, rc, "bad tile");
	if ((rc = make_dirs(d, dir, why)) != 0)
		return rc;
	if (full && access(path, F_OK) == 0)
		goto exists;
	/* The gzip copy of a full bundle first: it is never there without
	 * it (nginx's gzip_static serves the plain file when the .gz is
	 * missing, not the other way round).  A partial bundle, replaced by
	 * a wider one at the next commit, is not compressed each time. */
	if (d->gzip && t->entries && full) {
		char gz[SF_PATH_MAX + 4];
		uint8_t *z;
		size_t zl;

		snprintf(gz, sizeof(gz), "%s.gz", path);
		if ((rc = gzip_bytes(data, len, &z, &zl)) != 0)
			return rc;
		rc = put_path(d, dir, gz, z, zl, 0644, 0, 0, why);
		free(z);
		if (rc != 0)
			return rc;
		d->st.gz_files++;
	}
	rc = put_path(d, dir, path, data, len, 0644, full, 0, why);
	if (rc == 0) {
		d->st.files++;
		return 0;
	}
	if (rc != PT_ECONFLICT)
		return rc;
exists:
	{
		/* Written once: the same bytes, or a tree of another
		 * history, which is never overwritten. */
		uint8_t *have;
		size_t hl = 0;

		if ((have = malloc(len + 1)) == NULL)
			return PT_ENOMEM;
		rc = read_path(path, have, len + 1, &hl, why);
		if (rc == 0 && (hl != len || memcmp(have, data, len) != 0))
			rc = pt_why_set(why, PT_ECONFLICT, "%s exists with "
			    "other bytes: this tree holds another history; "
			    "it is never overwritten", path);
		else if (rc == PT_ETOOBIG)
			rc = pt_why_set(why, PT_ECONFLICT, "%s exists with "
			    "other bytes: this tree holds another history; "
			    "it is never overwritten", path);
		free(have);
		if (rc == 0)
			d->st.kept++;
		return rc;
	}
}

int
tdir_get_tile(struct tdir *d, const struct tile *t, uint8_t *buf, size_t cap,
    size_t *len, struct pt_why *why)
{
	char path[SF_PATH_MAX];
	int rc;

	if ((rc = tile_paths(d, t, path, sizeof(path), NULL, 0)) != 0)
		return pt_why_set(why, rc, "bad tile");
	return read_path(path, buf, cap, len, why);
}

int
tdir_has_full(struct tdir *d, const struct tile *t)
{
	struct tile f = *t;
	char path[SF_PATH_MAX];

	f.width = TILE_WIDTH;
	if (tile_paths(d, &f, path, sizeof(path), NULL, 0) != 0)
		return 0;
	return access(path, F_OK) == 0;
}

int
tdir_drop_partials(struct tdir *d, const struct tile *t, struct pt_why *why)
{
	struct tile f = *t;
	char path[SF_PATH_MAX], pdir[SF_PATH_MAX + 4], parent[SF_PATH_MAX];
	DIR *dh;
	struct dirent *de;
	int rc = 0;

	f.width = TILE_WIDTH;
	if (tile_paths(d, &f, path, sizeof(path), parent, sizeof(parent)) != 0)
		return pt_why_set(why, PT_EINVAL, "bad tile");
	snprintf(pdir, sizeof(pdir), "%s.p", path);
	if ((dh = opendir(pdir)) == NULL)
		return errno == ENOENT ? 0 : pt_why_set(why, PT_EIO, "%s: %s",
		    pdir, strerror(errno));
	while ((de = readdir(dh)) != NULL) {
		char p[SF_PATH_MAX + 300];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", pdir, de->d_name);
		if (unlink(p) != 0 && errno != ENOENT) {
			rc = pt_why_set(why, PT_EIO, "%s: %s", p,
			    strerror(errno));
			break;
		}
		if (strchr(de->d_name, '.') == NULL)
			d->st.dropped++;
	}
	closedir(dh);
	if (rc == 0 && rmdir(pdir) != 0 && errno != ENOENT)
		rc = pt_why_set(why, PT_EIO, "%s: %s", pdir, strerror(errno));
	if (rc == 0)
		d->unsynced = 1;
	if (strcmp(d->lastdir, pdir) == 0)
		d->lastdir[0] = '\0';
	return rc;
}

/* DIR/name for a name tdir_put_file accepts. */
static int
file_path(const struct tdir *d, const char *name, char *path, size_t cap)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255 || name[0] == '/' || strstr(name, "..") != NULL)
		return PT_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == '/'))
			return PT_EINVAL;
	}
	if ((size_t)snprintf(path, cap, "%s/%s", d->root, name) >= cap)
		return PT_EINVAL;
	return 0;
}

int
tdir_put_file(struct tdir *d, const char *name, const void *data, size_t len,
    unsigned mode, struct pt_why *why)
{
	char path[SF_PATH_MAX], dir[SF_PATH_MAX];
	int rc;

	if (file_path(d, name, path, sizeof(path)) != 0 ||
	    sf_dirname(path, dir, sizeof(dir)) != 0)
		return pt_why_set(why, PT_EINVAL, "%s: bad file name", name);
	if ((rc = make_dirs(d, dir, why)) != 0)
		return rc;
	return put_path(d, dir, path, data, len, mode, 0, 1, why);
}

int
tdir_get_file(struct tdir *d, const char *name, size_t max, uint8_t **buf,
    size_t *len, struct pt_why *why)
{
	char path[SF_PATH_MAX];
	uint8_t *b;
	int rc;

	*buf = NULL;
	if (file_path(d, name, path, sizeof(path)) != 0)
		return pt_why_set(why, PT_EINVAL, "%s: bad file name", name);
	if ((b = malloc(max + 1)) == NULL)
		return PT_ENOMEM;
	if ((rc = read_path(path, b, max, len, why)) != 0) {
		free(b);
		return rc;
	}
	b[*len] = '\0';
	*buf = b;
	return 0;
}

int
tdir_remove_file(struct tdir *d, const char *name, struct pt_why *why)
{
	char path[SF_PATH_MAX];

	if (file_path(d, name, path, sizeof(path)) != 0)
		return pt_why_set(why, PT_EINVAL, "%s: bad file name", name);
	if (unlink(path) != 0 && errno != ENOENT)
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

/* A name tdir_copy_dir copies: the page's alphabet, no dot files, none
 * of the names the tree itself uses. */
static int
copy_name_ok(const char *s, int top)
{
	static const char *const reserved[] = { "checkpoint", "tile",
	    "config.json", "log.vkey", "registrar.vkey" };

	if (s[0] == '.' || s[0] == '\0' || strlen(s) > 100)
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		    *c == '-'))
			return 0;
	for (size_t i = 0; top && i < sizeof(reserved) / sizeof(*reserved);
	    i++)
		if (strcmp(s, reserved[i]) == 0)
			return 0;
	return 1;
}

static int
copy_dir(struct tdir *d, const char *src, const char *rel, unsigned *nfiles,
    int depth, struct pt_why *why)
{
	char path[SF_PATH_MAX];
	DIR *dh;
	struct dirent *de;
	int rc = 0;

	snprintf(path, sizeof(path), "%s%s%s", src, rel[0] ? "/" : "", rel);
	if ((dh = opendir(path)) == NULL)
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
	while (rc == 0 && (de = readdir(dh)) != NULL) {
		char r2[SF_PATH_MAX / 2], p2[SF_PATH_MAX];
		struct stat sb;
		uint8_t *buf, *old;
		size_t len, olen;

		if (!copy_name_ok(de->d_name, rel[0] == '\0') ||
		    (size_t)snprintf(r2, sizeof(r2), "%s%s%s", rel, rel[0] ?
		    "/" : "", de->d_name) >= sizeof(r2) ||
		    (size_t)snprintf(p2, sizeof(p2), "%s/%s", src, r2) >=
		    sizeof(p2) || lstat(p2, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (depth < TDIR_COPY_DEPTH)
				rc = copy_dir(d, src, r2, nfiles, depth + 1,
				    why);
			continue;
		}
		if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size >
		    TDIR_COPY_MAX_FILE)
			continue;
		if (++*nfiles > TDIR_COPY_MAX_FILES) {
			rc = pt_why_set(why, PT_EIO, "%s: more than %d files",
			    src, TDIR_COPY_MAX_FILES);
			break;
		}
		if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
			rc = PT_ENOMEM;
			break;
		}
		if ((rc = read_path(p2, buf, (size_t)sb.st_size, &len,
		    why)) != 0) {
			free(buf);
			break;
		}
		/* Unchanged files are left as they are. */
		if (tdir_get_file(d, r2, TDIR_COPY_MAX_FILE, &old, &olen,
		    NULL) == 0 && olen == len && memcmp(old, buf, len) == 0)
			;
		else
			rc = tdir_put_file(d, r2, buf, len, 0644, why);
		free(old);
		free(buf);
	}
	closedir(dh);
	return rc;
}

int
tdir_copy_dir(struct tdir *d, const char *src, struct pt_why *why)
{
	unsigned n = 0;

	return copy_dir(d, src, "", &n, 0, why);
}
