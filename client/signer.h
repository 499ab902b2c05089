/*
 * signer.h: how the signer of an entry is named to people, in one place.
 *
 * A key's name is chosen by whoever made the key: two offices' keys can
 * both be called "finance-office".  So a signer is always shown as its
 * name with its C2SP signed-note key hash, "finance-office+27c20f30",
 * which tells two keys of the same name apart and matches the first two
 * fields of the office's verifier key string.  Every command that shows a
 * submitter (get, verify, receipt show, monitor, export's "signer" column
 * and the JSON field "signer") calls signer_label(); nothing formats a
 * signer itself.  Where the log's grants are known (okeys.h: get, verify
 * --log), signer_print_granted() adds who granted the key, read from the
 * log's own office_key entries: "finance-office+27c20f30 (granted at #3
 * by registrar+1a2b3c4d)".
 */
#ifndef PT_CLIENT_SIGNER_H
#define PT_CLIENT_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "note.h"
#include "ptlimits.h"

/* Bytes of a label: the name, '+', 8 hex digits, NUL. */
#define SIGNER_LABEL_MAX	(PT_MAX_KEY_NAME + 10)

/* "name+hash" of k into out (cap >= SIGNER_LABEL_MAX: never cut).  The
 * name is as the key has it: escape it (tty.h) before a terminal. */
void signer_label(const struct note_vkey *k, char *out, size_t cap);

/* The label of a verifier key string (len bytes) into out, or
 * "(unparsable key)" when it does not parse. */
void signer_label_vkey(const char *vkey, size_t len, char *out,
    size_t cap);

/* The label of k written to f for a terminal (tty_put). */
void signer_print(FILE *f, const struct note_vkey *k);

struct okc;
struct wire_entry;

/*
 * The label of entry e's signer and, when g (the log's grants) is not
 * NULL, how its key stood with them at index, in parentheses (okeys.h,
 * okc_describe): "finance-office+27c20f30 (granted at #3 by
 * registrar.example+1a2b3c4d)", "... (NO GRANT in this log)".  Returns 0,
 * or PT_EFORBIDDEN when g says the key held no grant at index.
 */
int signer_print_granted(FILE *f, const struct wire_entry *e,
    uint64_t index, const struct okc *g);
/* For JSON: o gets "grant": okc_describe_json(...) when g is not NULL
 * ("signer" is jrec_entry_to_json's). */
void signer_json_granted(json_t *o, const struct wire_entry *e,
    uint64_t index, const struct okc *g);

#endif
