/* signer.c: the one way a signer is shown.  See signer.h. */
#include <string.h>

#include "signer.h"
#include "tty.h"

void
signer_label(const struct note_vkey *k, char *out, size_t cap)
{
	snprintf(out, cap, "%s+%08x", k->name, (unsigned)k->hash);
}

void
signer_print(FILE *f, const struct note_vkey *k)
{
	char l[SIGNER_LABEL_MAX];

	signer_label(k, l, sizeof(l));
	tty_puts(f, l);
}
