/* fold.c: NFC, case folding, default ignorables removed.  See fold.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <utf8proc.h>

#include "crypto.h"
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

/* Bytes that make up a word: ASCII letters and digits, and any byte of
 * a character beyond ASCII (folded letters, mostly). */
static int
word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* Whether the folded text ft holds the folded word w as a word. */
static int
has_word(const char *ft, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = ft; (p = strstr(p, w)) != NULL; p++)
		if ((p == ft || !word_byte((unsigned char)p[-1])) &&
		    !word_byte((unsigned char)p[n]))
			return 1;
	return 0;
}

/* Folded as fold_text does, and without accents (UTF8PROC_STRIPMARK): a
 * name written in capitals often drops them ("ΠΑΠΑΔΟΠΟΥΛΟΥ" for
 * "Παπαδοπούλου", "GARCIA" for "García").  0, or PT_EUTF8 / PT_ENOMEM. */
static int
fold_loose(const char *s, size_t n, char **out)
{
	utf8proc_uint8_t *r = NULL;
	utf8proc_ssize_t k;

	*out = NULL;
	k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &r,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
	    UTF8PROC_IGNORE | UTF8PROC_STRIPMARK);
	if (k < 0) {
		free(r);
		return k == UTF8PROC_ERROR_NOMEM ? PT_ENOMEM : PT_EUTF8;
	}
	*out = (char *)r;
	return 0;
}

/* Parts of names that name nobody: particles and titles, folded. */
static const char *const name_particles[] = {
	"von", "van", "vom", "der", "den", "dem", "des", "del", "della",
	"dos", "das", "die", "und", "zum", "zur", "ter", "ten", "bin", "ben",
	"ibn", "les", "las", "los", "herr", "frau", "prof", "dipl", "mrs",
	"miss", "mme", "sig", "sra", "sr", "familie", "fam",
};

static void
wipe_free(char *p)
{
	if (p != NULL)
		cr_wipe(p, strlen(p));
	free(p);
}

/*
 * Whether the folded text ft holds n bytes of name s as a word: folded
 * without accents ("Müller" as "muller"), or with German umlauts written
 * out as systems without them write them ("mueller", as SEPA transfers
 * and old exports do).
 */
static int
has_name(const char *ft, const char *s, size_t n)
{
	static const char *const ae[][2] = {
		{ "\xc3\xa4", "ae" }, { "\xc3\xb6", "oe" }, { "\xc3\xbc", "ue" },
	};
	char *f = NULL, *w;
	int hit = 0;

	if (fold_loose(s, n, &f) == 0 && f[0] != '\0')
		hit = has_word(ft, f);
	wipe_free(f);
	f = NULL;
	if (hit || fold_text(s, n, &f) != 0 || strstr(f, "\xc3") == NULL ||
	    (w = malloc(strlen(f) + 1)) == NULL) {
		wipe_free(f);
		return hit;
	}
	/* each umlaut is two bytes, and so is its spelling out */
	for (size_t i = 0, o = 0; ; ) {
		size_t k;

		for (k = 0; k < 3; k++)
			if (strncmp(f + i, ae[k][0], 2) == 0)
				break;
		if (k < 3) {
			memcpy(w + o, ae[k][1], 2);
			i += 2;
			o += 2;
		} else if ((w[o++] = f[i++]) == '\0')
			break;
	}
	hit = strcmp(w, f) != 0 && has_word(ft, w);
	wipe_free(w);
	wipe_free(f);
	return hit;
}

int
fold_name_in(const char *name, const char *text, char *word, size_t cap)
{
	char *ft = NULL;
	const char *a, *b;
	int hit = 0;

	if (cap == 0 || fold_loose(text, strlen(text), &ft) != 0)
		return 0;
	if (has_name(ft, name, strlen(name))) {
		snprintf(word, cap, "%s", name);
		hit = 1;
	}
	/* each word of the name as it is written, folded on its own */
	for (a = name; !hit && *a != '\0'; a = b) {
		char *fw = NULL;
		size_t cps = 0, i;

		while (*a != '\0' && !word_byte((unsigned char)*a))
			a++;
		for (b = a; word_byte((unsigned char)*b); b++)
			if (((unsigned char)*b & 0xc0) != 0x80)
				cps++;
		if (cps < 3 || fold_loose(a, (size_t)(b - a), &fw) != 0) {
			wipe_free(fw);
			continue;
		}
		for (i = 0; i < sizeof(name_particles) /
		    sizeof(name_particles[0]); i++)
			if (strcmp(fw, name_particles[i]) == 0)
				break;
		if (i == sizeof(name_particles) / sizeof(name_particles[0]) &&
		    has_name(ft, a, (size_t)(b - a))) {
			snprintf(word, cap, "%.*s", (int)(b - a), a);
			hit = 1;
		}
		wipe_free(fw);
	}
	wipe_free(ft);
	return hit;
}

/* ICU's transliterator: opened once; one caller at a time uses it (an
 * open UTransliterator is not safe to share between threads). */
static UTransliterator *latin;
static pthread_once_t latin_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t latin_mu = PTHREAD_MUTEX_INITIALIZER;

static void
latin_open(void)
{
	static const char id[] = "Any-Latin; Latin-ASCII";
	UChar uid[sizeof(id)];
	UErrorCode err = U_ZERO_ERROR;

	u_uastrcpy(uid, id);
	latin = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
	if (U_FAILURE(err))
		latin = NULL;
}

int
fold_latin_ascii(const char *s, size_t n, char *out, size_t cap)
{
	enum { MAXU = 512 };
	UChar u[MAXU];
	UErrorCode err = U_ZERO_ERROR;
	int32_t ulen = 0, limit;
	int rc = 0;

	if (cap == 0 || n > MAXU / 4)
		return PT_ETOOBIG;
	u_strFromUTF8(u, MAXU, &ulen, s, (int32_t)n, &err);
	if (U_FAILURE(err))
		return err == U_INVALID_CHAR_FOUND ? PT_EUTF8 : PT_ETOOBIG;
	pthread_once(&latin_once, latin_open);
	if (latin == NULL)
		return PT_EINVAL;
	limit = ulen;
	pthread_mutex_lock(&latin_mu);
	utrans_transUChars(latin, u, &ulen, MAXU, 0, &limit, &err);
	pthread_mutex_unlock(&latin_mu);
	if (U_FAILURE(err))
		return PT_ETOOBIG;
	for (int32_t i = 0; i < ulen; i++)
		if (u[i] >= 0x80)
			rc = PT_EINVAL;
	if (rc != 0)
		return rc;
	if ((size_t)ulen + 1 > cap)
		return PT_ETOOBIG;
	for (int32_t i = 0; i < ulen; i++)
		out[i] = (char)u[i];
	out[ulen] = '\0';
	return 0;
}
