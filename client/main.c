/* main.c: pubtrail entry point (placeholder until the daemon lands). */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("pubtrail %s\n", PT_VERSION);
		return 0;
	}
	fprintf(stderr, "pubtrail: not yet implemented\n");
	return 1;
}
