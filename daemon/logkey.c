/* logkey.c: the log's key files and data directory checks (logkey.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "logkey.h"
#include "ptlimits.h"
#include "sfile.h"

#define KEYFILE_MAX	1024

int
logkey_check_dir(const char *dir, struct pt_why *why)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return pt_why_set(why, errno == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pt_why_set(why, PT_EIO, "%s: not a directory", dir);
	if (st.st_uid != geteuid())
		return pt_why_set(why, PT_EIO, "%s belongs to uid %u, not to "
		    "this daemon's user (uid %u): run `chown -R %u %s`", dir,
		    (unsigned)st.st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), dir);
	if ((st.st_mode & 077) != 0)
		return pt_why_set(why, PT_EIO, "%s is open to others (mode "
		    "%04o): it holds the log's private key; run `chmod 700 %s`",
		    dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

/* Read a small file (at most cap - 1 bytes) without following a symbolic
 * link at its name; buf is NUL-terminated.  *st gets its status. */
static int
read_key_file(const char *path, char *buf, size_t cap, size_t *len,
    struct stat *st, struct pt_why *why)
{
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return pt_why_set(why, errno == ENOENT ? PT_ENOTFOUND : PT_EIO,
		    "%s: %s%s", path, strerror(errno), errno == ELOOP ?
		    " (a symbolic link: the key must be a file in the data "
		    "directory)" : "");
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return pt_why_set(why, PT_EIO, "%s: not a regular file", path);
	}
	while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got + 1 >= cap)
		return pt_why_set(why, PT_EMALFORMED, "%s: too long", path);
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	*len = got;
	return 0;
}

int
logkey_create(const char *dir, const char *origin, struct note_skey *k,
    struct pt_why *why)
{
	char path[SF_PATH_MAX], skey[512], vkey[PT_MAX_VKEY + 2];
	size_t len;
	int rc;

	if (note_keygen(origin, NOTE_ALG_ED25519, k) != 0)
		return pt_why_set(why, PT_EINVAL, "cannot create a log key for "
		    "origin \"%.100s\": an origin must be a valid key name (no "
		    "spaces, no '+')", origin);
	if (note_skey_format(k, skey, sizeof(skey) - 1) != 0 ||
	    note_vkey_format(&k->vk, vkey, sizeof(vkey) - 1) != 0) {
		note_skey_wipe(k);
		return pt_why_set(why, PT_EINVAL, "cannot format the new key");
	}
	len = strlen(skey);
	skey[len++] = '\n';
	if (snprintf(path, sizeof(path), "%s/%s", dir, LOGKEY_NAME) >=
	    (int)sizeof(path)) {
		cr_wipe(skey, sizeof(skey));
		note_skey_wipe(k);
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	}
	rc = sf_write(path, skey, len, 0600, 1, why);
	cr_wipe(skey, sizeof(skey));
	if (rc != 0) {
		note_skey_wipe(k);
		return rc;
	}
	strcat(vkey, "\n");
	snprintf(path, sizeof(path), "%s/%s", dir, LOGKEY_VNAME);
	if ((rc = sf_write(path, vkey, strlen(vkey), 0644, 0, why)) != 0) {
		note_skey_wipe(k);
		return rc;
	}
	return 0;
}

int
logkey_load(const char *dir, struct note_skey *k, struct pt_why *why)
{
	char path[SF_PATH_MAX], buf[KEYFILE_MAX];
	struct stat st;
	size_t len;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, LOGKEY_NAME) >=
	    (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	if ((rc = read_key_file(path, buf, sizeof(buf), &len, &st, why)) != 0) {
		cr_wipe(buf, sizeof(buf));
		return rc;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		cr_wipe(buf, sizeof(buf));
		if (st.st_uid != geteuid())
			return pt_why_set(why, PT_EIO, "%s belongs to uid %u, "
			    "not to this daemon's user: run `chown %u %s`",
			    path, (unsigned)st.st_uid, (unsigned)geteuid(),
			    path);
		return pt_why_set(why, PT_EIO, "%s is open to others (mode "
		    "%04o): whoever reads it can sign as the log; run `chmod "
		    "600 %s` (and consider the key exposed)", path,
		    (unsigned)(st.st_mode & 07777), path);
	}
	rc = note_skey_parse(buf, len, k);
	cr_wipe(buf, sizeof(buf));
	if (rc != 0)
		return pt_why_set(why, PT_EMALFORMED, "%s: not a C2SP private "
		    "key string", path);
	if (k->vk.alg != NOTE_ALG_ED25519) {
		note_skey_wipe(k);
		return pt_why_set(why, PT_EMALFORMED, "%s: the log key must be "
		    "Ed25519", path);
	}
	return 0;
}

int
logkey_load_vkey(const char *dir, struct note_vkey *vk, int *has_private,
    struct pt_why *why)
{
	char path[SF_PATH_MAX], buf[KEYFILE_MAX];
	struct note_skey k;
	struct stat st;
	size_t len;
	int rc;

	*has_private = 0;
	rc = logkey_load(dir, &k, why);
	if (rc == 0) {
		*vk = k.vk;
		note_skey_wipe(&k);
		*has_private = 1;
		return 0;
	}
	if (rc != PT_ENOTFOUND)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s", dir, LOGKEY_VNAME) >=
	    (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", dir);
	if ((rc = read_key_file(path, buf, sizeof(buf), &len, &st, why)) != 0)
		return rc == PT_ENOTFOUND ? pt_why_set(why, PT_ENOTFOUND,
		    "%s has neither %s nor %s", dir, LOGKEY_NAME,
		    LOGKEY_VNAME) : rc;
	if (note_vkey_parse(buf, len, vk) != 0 || vk->alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EMALFORMED, "%s: not an Ed25519 "
		    "verifier key string", path);
	return 0;
}
