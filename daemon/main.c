/* main.c: pubtraild entry point (placeholder until the daemon lands). */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("pubtraild %s\n", PT_VERSION);
		return 0;
	}
	fprintf(stderr, "pubtraild: not yet implemented\n");
	return 1;
}
