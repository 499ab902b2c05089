/* main.c: pubtrail entry point; everything is in cli.c and the modules. */
#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
