/*
 * fold.h: text as people search it.  A filter for "acme" must find
 * "Acme Roads", "ACME" and "Acme" written with a combining accent or a
 * zero-width space inside it.  Both the filter and the field are folded
 * the same way by libutf8proc (utf8proc_map): Unicode normalisation to
 * NFC, full case folding, and default-ignorable code points (zero-width
 * space and joiners, soft hyphen, bidi marks, variation selectors ...)
 * removed.  No table of our own.
 */
#ifndef PT_CLIENT_FOLD_H
#define PT_CLIENT_FOLD_H

#include <stddef.h>

#include "pt.h"

/*
 * Fold n bytes of s (UTF-8) into a new NUL-terminated string (*out,
 * caller frees).  PT_EUTF8 when s is not valid UTF-8, PT_ENOMEM.  O(n).
 */
int fold_text(const char *s, size_t n, char **out);

/* 1 when the folded text of s (n bytes) contains needle, which is already
 * folded (fold_text); 0 otherwise, also for text that is not UTF-8. */
int fold_contains(const char *s, size_t n, const char *needle);

#endif
