/* signer.c: the one way a signer is shown.  See signer.h. */
#include <string.h>

#include "okeys.h"
#include "record.h"
#include "signer.h"
#include "tty.h"
#include "wire.h"

void
signer_label(const struct note_vkey *k, char *out, size_t cap)
{
	snprintf(out, cap, "%s+%08x", k->name, (unsigned)k->hash);
}

void
signer_label_vkey(const char *vkey, size_t len, char *out, size_t cap)
{
	struct note_vkey k;

	if (note_vkey_parse(vkey, len, &k) == 0)
		signer_label(&k, out, cap);
	else
		snprintf(out, cap, "(unparsable key)");
}

void
signer_print(FILE *f, const struct note_vkey *k)
{
	char l[SIGNER_LABEL_MAX];

	signer_label(k, l, sizeof(l));
	tty_puts(f, l);
}

int
signer_print_granted(FILE *f, const struct wire_entry *e, uint64_t index,
    const struct okc *g)
{
	char d[2 * SIGNER_LABEL_MAX + 64];
	int rc;

	signer_print(f, &e->sub.submitter);
	if (g == NULL)
		return 0;
	rc = okc_describe(g, e, index, d, sizeof(d));
	fputs(" (", f);
	tty_puts(f, d);
	fputc(')', f);
	return rc;
}

void
signer_json_granted(json_t *o, const struct wire_entry *e, uint64_t index,
    const struct okc *g)
{
	json_t *j;

	if (g != NULL && (j = okc_describe_json(g, e, index)) != NULL)
		json_object_set_new(o, "grant", j);
}
