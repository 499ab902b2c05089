/*
 * persnum_check: for each input line "SCHEME ID", print "1" when the
 * client takes ID for a natural person's number (client/persnum.c),
 * else "0", for tests/integration/test_persnum.py to compare with
 * python-stdnum.
 */
#include <stdio.h>
#include <string.h>

#include "../../client/persnum.h"

int
main(void)
{
	char line[256], *id;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((id = strchr(line, ' ')) == NULL) {
			fprintf(stderr, "persnum_check: want SCHEME ID\n");
			return 2;
		}
		*id++ = '\0';
		printf("%d\n", pnum_person(line, id) != NULL);
	}
	return 0;
}
