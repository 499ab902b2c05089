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

/*
 * Whether text names the person called name, ignoring case, accents and
 * Unicode form: the whole name as words of their own ("Mietzuschuss für Jürgen
 * Müller"), or one of its words of three letters or more, not a particle
 * or a title (von, de, Frau ...), standing as a word of its own
 * ("Zuschuss Müller", "Müller-Lüdenscheidt", not "Annahme" for Anna).
 * 1, with the word of the name as written there in word (cap bytes; the
 * whole name when it matched whole); 0 otherwise, also for text or a name
 * that is not UTF-8.  What is folded is wiped before it is freed.
 */
int fold_name_in(const char *name, const char *text, char *word,
    size_t cap);

/*
 * n bytes of s (UTF-8) in ASCII letters, as ICU's transliterators
 * "Any-Latin; Latin-ASCII" write it ("ΔΑ-2026-001" -> "DA-2026-001",
 * "Müller" -> "Muller"), NUL-terminated in out (cap bytes).  0, or
 * PT_EUTF8 (not UTF-8), PT_ETOOBIG (over cap), PT_EINVAL (a character
 * with no ASCII form is left, or ICU's data is missing).  A hint for
 * people, never a rule: nothing logged is transliterated.  O(n).
 */
int fold_latin_ascii(const char *s, size_t n, char *out, size_t cap);

#endif
