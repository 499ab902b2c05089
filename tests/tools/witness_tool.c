/*
 * witness_tool: runs `pubtrail witness|gossip|evidence ...` until the
 * lead wires these subcommands into client/cli.c (the pubtrail binary does
 * not link LMDB yet).  Usage: witness_tool witness serve ..., witness_tool
 * gossip sync|serve ..., witness_tool evidence verify ...
 */
#include <stdio.h>
#include <string.h>

#include "../../client/evidence.h"
#include "../../client/gossip.h"
#include "../../client/witness.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "witness") == 0)
		return witness_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "gossip") == 0)
		return gossip_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "evidence") == 0)
		return evidence_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: witness_tool witness|gossip|evidence ...\n");
	return 2;
}
