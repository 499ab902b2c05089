/*
 * iso4217_dump: print the client's ISO 4217 table (client/amount.c), one
 * "CODE DIGITS" line per currency ("N.A." for no minor unit), for
 * tests/integration/test_iso4217.py to compare with the sources Debian
 * ships.
 */
#include <stdio.h>

#include "../../client/amount.h"

int
main(void)
{
	const char *code;
	int exp;

	for (size_t i = 0; amt_table(i, &code, &exp) == 0; i++) {
		if (exp == AMT_NA)
			printf("%s N.A.\n", code);
		else
			printf("%s %d\n", code, exp);
	}
	return 0;
}
