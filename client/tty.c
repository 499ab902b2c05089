/* tty.c: text from outside, escaped for a terminal.  See tty.h. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "tty.h"

/* Code points written as \uNNNN: C1 controls, bidi controls, line and
 * paragraph separators. */
int
tty_hidden_cp(int32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

int
tty_invisible_cp(int32_t cp)
{
	return tty_hidden_cp(cp) || cp == 0x00ad || cp == 0x180e ||
	    (cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) ||
	    cp == 0xfeff;
}

/*
 * The next unit of s at *i: either a run of bytes to copy (esc[0] == 0,
 * *copy bytes) or one escape (esc, NUL-terminated).  Advances *i.
 */
static void
next_unit(const char *s, size_t n, size_t *i, char esc[8], size_t *copy)
{
	unsigned char c = (unsigned char)s[*i];
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	esc[0] = '\0';
	*copy = 0;
	if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
		esc[0] = '\\';
		esc[1] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' :
		    't';
		esc[2] = '\0';
		(*i)++;
		return;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(esc, 8, "\\x%02x", c);
		(*i)++;
		return;
	}
	if (c < 0x80) {
		*copy = 1;
		(*i)++;
		return;
	}
	k = utf8proc_iterate((const utf8proc_uint8_t *)s + *i,
	    (utf8proc_ssize_t)(n - *i > 4 ? 4 : n - *i), &cp);
	if (k <= 0 || cp < 0) {
		snprintf(esc, 8, "\\x%02x", c);
		(*i)++;
		return;
	}
	if (tty_hidden_cp(cp))
		snprintf(esc, 8, "\\u%04x", (unsigned)cp & 0xffffu);
	else
		*copy = (size_t)k;
	*i += (size_t)k;
}

size_t
tty_escape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0, copy, el;
	char esc[8];

	if (cap == 0)
		return 0;
	while (i < n) {
		size_t at = i;

		next_unit(s, n, &i, esc, &copy);
		if (esc[0] != '\0') {
			el = strlen(esc);
			if (o + el >= cap)
				break;
			memcpy(out + o, esc, el);
			o += el;
		} else {
			if (o + copy >= cap)
				break;
			memcpy(out + o, s + at, copy);
			o += copy;
		}
	}
	out[o] = '\0';
	return o;
}

void
tty_put(FILE *f, const char *s, size_t n)
{
	size_t i = 0, copy;
	char esc[8];

	while (i < n) {
		size_t at = i;

		next_unit(s, n, &i, esc, &copy);
		if (esc[0] != '\0')
			fputs(esc, f);
		else
			fwrite(s + at, 1, copy, f);
	}
}

void
tty_puts(FILE *f, const char *s)
{
	tty_put(f, s, strlen(s));
}

void
tty_put_text(FILE *f, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *nl;

	if (!isatty(fileno(f))) {
		fwrite(s, 1, n, f);
		return;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		tty_put(f, p, nl != NULL ? (size_t)(nl - p) : (size_t)(end - p));
		if (nl == NULL)
			break;
		fputc('\n', f);
		p = nl + 1;
	}
}

int
tty_is_plain(const char *s, size_t n)
{
	size_t i = 0, copy;
	char esc[8];

	while (i < n) {
		next_unit(s, n, &i, esc, &copy);
		if (esc[0] != '\0')
			return 0;
	}
	return 1;
}
