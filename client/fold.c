/* fold.c: NFC, case folding, default ignorables removed.  See fold.h. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "fold.h"

int
fold_text(const char *s, size_t n, char **out)
{
	utf8proc_uint8_t *r = NULL;
	utf8proc_ssize_t k;

	*out = NULL;
	k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &r,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
	    UTF8PROC_IGNORE);
	if (k < 0) {
		free(r);
		return k == UTF8PROC_ERROR_NOMEM ? PT_ENOMEM : PT_EUTF8;
	}
	*out = (char *)r;
	return 0;
}

int
fold_contains(const char *s, size_t n, const char *needle)
{
	char *f;
	int hit;

	if (fold_text(s, n, &f) != 0)
		return 0;
	hit = strstr(f, needle) != NULL;
	free(f);
	return hit;
}
