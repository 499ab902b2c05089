/*
 * store_copy.c: the copy behind `pubtraild backup`.  LMDB's compacting
 * copy (mdb_env_copyfd2 with MDB_CP_COMPACT) walks every database from one
 * read transaction of its own: the copy is the store as one commit left
 * it, taken while the daemon goes on appending (a reader never blocks the
 * writer), and holds only the pages in use.  The file is created new
 * (O_EXCL, never through a link) with mode 0600, and fsynced with its
 * directory before this returns: LMDB's copy does not sync.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

int
store_copy(struct store *s, const char *outdir, struct pt_why *why)
{
	char path[4096];
	int fd, dfd, rc;

	if (snprintf(path, sizeof(path), "%s/data.mdb", outdir) >=
	    (int)sizeof(path))
		return pt_why_set(why, PT_EINVAL, "%s: path too long", outdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
	rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	if (rc != 0) {
		close(fd);
		unlink(path);
		return pt_why_set(why, store_map_err(rc) == PT_EFULL ?
		    PT_EFULL : PT_EIO, "copying the store to %s: %s", path,
		    mdb_strerror(rc));
	}
	if (fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return pt_why_set(why, PT_EIO, "%s: fsync: %s", path,
		    strerror(e));
	}
	if (close(fd) != 0)
		return pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
	if ((dfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) != 0) {
		int e = errno;

		if (dfd >= 0)
			close(dfd);
		return pt_why_set(why, PT_EIO, "%s: fsync: %s", outdir,
		    strerror(e));
	}
	close(dfd);
	return 0;
}
