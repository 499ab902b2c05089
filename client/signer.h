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
 * signer itself.  (Issue 14 extends this one function with who granted
 * the key, e.g. "granted at #3 by registrar".)
 */
#ifndef PT_CLIENT_SIGNER_H
#define PT_CLIENT_SIGNER_H

#include <stddef.h>
#include <stdio.h>

#include "note.h"
#include "ptlimits.h"

/* Bytes of a label: the name, '+', 8 hex digits, NUL. */
#define SIGNER_LABEL_MAX	(PT_MAX_KEY_NAME + 10)

/* "name+hash" of k into out (cap >= SIGNER_LABEL_MAX: never cut).  The
 * name is as the key has it: escape it (tty.h) before a terminal. */
void signer_label(const struct note_vkey *k, char *out, size_t cap);

/* The label of k written to f for a terminal (tty_put). */
void signer_print(FILE *f, const struct note_vkey *k);

#endif
