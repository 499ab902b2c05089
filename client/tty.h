/*
 * tty.h: text from a log, a relay or a gossip peer, made safe to show on a
 * terminal.
 *
 * Anything a log serves (record fields, key names, reasons), a relay
 * rewrites or a peer sends is data, never terminal control: a newline in a
 * correction's reason must not forge a line of `monitor`'s output, an
 * escape sequence in a payee's name must not move the cursor or retitle
 * the window, and a right-to-left override must not reverse what follows.
 * So every such text goes through tty_escape() before it reaches a
 * terminal (or a log file someone will `cat`), with these escapes:
 *
 *   backslash          \\          (so that every escape below is unambiguous)
 *   LF, CR, TAB        \n \r \t
 *   other C0, DEL      \xNN        (U+0000..U+001F, U+007F)
 *   C1 controls        \uNNNN      (U+0080..U+009F)
 *   bidi controls      \uNNNN      (U+061C, U+200E, U+200F, U+202A..U+202E,
 *                                   U+2066..U+2069)
 *   line, paragraph    \u2028 \u2029
 *     separators
 *   bytes that are     \xNN        (each byte of an invalid UTF-8 sequence)
 *     not UTF-8
 *
 * Everything else (printable ASCII, and valid UTF-8 of any script) is
 * written as it is.  UTF-8 is decoded by libutf8proc (utf8proc_iterate),
 * never by hand.  JSON output needs none of this: jansson escapes control
 * characters in strings, and commands write JSON with JSON_ENSURE_ASCII on
 * a terminal (cli_json_print).
 */
#ifndef PT_CLIENT_TTY_H
#define PT_CLIENT_TTY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes tty_escape() may need per input byte, at most. */
#define TTY_ESCAPE_RATIO	6

/*
 * Escape n bytes of s into out (cap bytes, always NUL-terminated when cap
 * > 0).  An escape that does not fit whole is left out, and so is
 * everything after it.  Returns the length written.  O(n).
 */
size_t tty_escape(const char *s, size_t n, char *out, size_t cap);

/* Write n bytes of s to f, escaped.  O(n). */
void tty_put(FILE *f, const char *s, size_t n);
/* The same for a NUL-terminated string. */
void tty_puts(FILE *f, const char *s);

/*
 * Multi-line text that must stay byte-exact when saved (a signed note):
 * to a terminal, each line escaped (line feeds kept as such); to anything
 * else (a file, a pipe), written unchanged.
 */
void tty_put_text(FILE *f, const char *s, size_t n);

/* 1 for a code point tty_escape() writes as \uNNNN (a C1 or bidi
 * control, a line or paragraph separator). */
int tty_hidden_cp(int32_t cp);
/* Those, and what shows nothing: a soft hyphen, a zero-width space or
 * joiner, a word joiner, a byte order mark (U+00AD, U+180E, U+200B..D,
 * U+2060..4, U+FEFF). */
int tty_invisible_cp(int32_t cp);

/* 1 when s (n bytes) holds nothing tty_escape() would change. */
int tty_is_plain(const char *s, size_t n);

#endif
