/*
 * lmdb_reader: open a log store read-only (as a tool would) and wait, for
 * the stale-reader test in tests/integration/test_faults.py.
 *
 *   lmdb_reader DIR read   begin a read transaction (takes a slot in
 *                          LMDB's reader table), print "ready <pid>" and
 *                          wait to be killed
 *   lmdb_reader DIR hold   only keep the store open (keeps LMDB's lock
 *                          table alive across a daemon restart), print
 *                          "ready <pid>" and wait
 *
 * A process killed with SIGKILL in "read" leaves its slot in the reader
 * table: that is the stale reader pubtraild must clear (mdb_reader_check).
 * Exits 1 when the store cannot be opened or read.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"
#include "../../daemon/store.h"

int
main(int argc, char **argv)
{
	struct store_opts ro = { 0, 1 };
	struct pt_why why = { "" };
	struct store *s;
	struct store_txn *t;
	int rc;

	if (argc != 3 || (strcmp(argv[2], "read") != 0 &&
	    strcmp(argv[2], "hold") != 0)) {
		fprintf(stderr, "usage: lmdb_reader DIR read|hold\n");
		return 2;
	}
	if ((rc = store_open(argv[1], &ro, &s, &why)) != 0) {
		fprintf(stderr, "lmdb_reader: %s\n", why.text[0] ? why.text :
		    pt_strerror(rc));
		return 1;
	}
	if (strcmp(argv[2], "read") == 0 &&
	    (rc = store_read_begin(s, &t)) != 0) {
		fprintf(stderr, "lmdb_reader: read txn: %s\n",
		    pt_strerror(rc));
		return 1;
	}
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
