/*
 * lmdb_reader: open an LMDB environment read-only and wait, for the
 * stale-reader test in tests/integration/test_faults.py.
 *
 *   lmdb_reader DIR read   begin a read transaction (takes a reader slot),
 *                          print "ready <pid>" and wait to be killed
 *   lmdb_reader DIR hold   only keep the environment open (keeps LMDB's
 *                          lock table alive across a daemon restart), print
 *                          "ready <pid>" and wait
 *
 * A process killed with SIGKILL in "read" leaves its slot in the reader
 * table: that is the stale reader pubtraild must clear (mdb_reader_check).
 * Exits 1 on an LMDB error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	int rc;

	if (argc != 3 || (strcmp(argv[2], "read") != 0 &&
	    strcmp(argv[2], "hold") != 0)) {
		fprintf(stderr, "usage: lmdb_reader DIR read|hold\n");
		return 2;
	}
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 16)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], MDB_RDONLY, 0)) != 0) {
		fprintf(stderr, "lmdb_reader: %s: %s\n", argv[1],
		    mdb_strerror(rc));
		return 1;
	}
	if (strcmp(argv[2], "read") == 0 &&
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) {
		fprintf(stderr, "lmdb_reader: read txn: %s\n",
		    mdb_strerror(rc));
		return 1;
	}
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
