/*
 * json.c: JSON <-> canonical msgpack records (jansson + wire_enc/wire_cur).
 *
 * Encoding walks the JSON value once, writing map keys in canonical order
 * (by their bytes, shorter first on a common prefix); the result is then
 * checked by record_check(), the same validator the daemon runs, so the
 * client never signs a record the log would refuse.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <utf8proc.h>

#include "amount.h"
#include "crypto.h"
#include "fold.h"
#include "json.h"
#include "persnum.h"
#include "ptlimits.h"
#include "record.h"
#include "signer.h"
#include "tty.h"
#include "util.h"
#include "wire.h"

/* Fields whose values are bytes (bin in msgpack, hex in JSON). */
static const char *const bin_keys[] = {
	"commitment", "target_leaf_hash", NULL,
};

static int
is_bin_key(const char *k)
{
	for (size_t i = 0; bin_keys[i] != NULL; i++)
		if (strcmp(k, bin_keys[i]) == 0)
			return 1;
	return 0;
}

void
jrec_discs_clear(struct jrec_discs *d)
{
	int (*known)(void *, const char *, const char *, const char *,
	    size_t, uint8_t *);
	int (*holds)(void *, const uint8_t *);
	int (*erased)(void *, const char *, const char *, uint8_t *);
	int (*alike)(void *, const char *, const char *, const char *,
	    uint8_t *, char **);
	void *known_arg;

	if (d == NULL)
		return;
	known = d->known;
	holds = d->holds;
	erased = d->erased;
	alike = d->alike;
	known_arg = d->known_arg;
	for (size_t i = 0; i < d->n; i++) {
		if (d->d[i].value != NULL) {
			cr_wipe(d->d[i].value, d->d[i].value_len);
			free(d->d[i].value);
		}
		cr_wipe(d->d[i].salt, sizeof(d->d[i].salt));
	}
	memset(d, 0, sizeof(*d));
	d->known = known;
	d->holds = holds;
	d->erased = erased;
	d->alike = alike;
	d->known_arg = known_arg;
}

static int
keycmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	int c = memcmp(x, y, lx < ly ? lx : ly);

	if (c != 0)
		return c;
	return lx < ly ? -1 : lx > ly;
}

#define ENC_SOFT_MAX	16	/* values said and stood in for, a record */

struct enc {
	struct wire_buf *out;
	struct jrec_discs *discs;
	struct pt_why *why;
	char path[256];
	/* With each (jrec_from_json_each): a value JSON cannot give the
	 * record (a fraction, a boolean, null, bad hex) is said through
	 * each, stands in as an integer, and the record is still checked,
	 * what the check says at that path left out: every problem of a
	 * record in one round. */
	record_each_fn each;
	void *arg;
	size_t nsoft;
	char soft[ENC_SOFT_MAX][256];
};

static int text_unseen(struct enc *e, const char *s, size_t len,
    const char *where);

/* A value that cannot be encoded (rc, the reason in why as "PATH: ..."):
 * said through each and stood in for (0), or the encoding's error. */
static int
enc_soft(struct enc *e, int rc)
{
	if (e->each == NULL || e->nsoft == ENC_SOFT_MAX)
		return rc;
	e->each(e->arg, rc, e->why->text);
	snprintf(e->soft[e->nsoft++], sizeof(e->soft[0]), "%s", e->path[0] ?
	    e->path : "record");
	return wire_enc_int(e->out, 1);
}

static int enc_value(struct enc *e, const json_t *v, const char *key,
    int depth);

/* 1 and its salt when the disclosures file has the person of path
 * (e->path) named s (len bytes) for this record, or, in a correction's
 * replacement, for the record it amends (the person as the amended
 * record has them); else 0. */
static int
person_known(struct enc *e, const char *s, size_t len, uint8_t salt[32])
{
	const struct jrec_discs *d = e->discs;

	if (d->known == NULL)
		return 0;
	if (d->id != NULL && d->known(d->known_arg, d->id, e->path, s, len,
	    salt) == 1)
		return 1;
	return d->rid != NULL && strncmp(e->path, "replacement.", 12) == 0 &&
	    d->known(d->known_arg, d->rid, e->path + 12, s, len, salt) == 1;
}

/* {"commitment": c, "kind": "individual"}, encoded. */
static int
enc_commitment(struct enc *e, const uint8_t c[32])
{
	int rc;

	if ((rc = wire_enc_map(e->out, 2)) != 0 ||
	    (rc = wire_enc_cstr(e->out, "commitment")) != 0 ||
	    (rc = wire_enc_bin(e->out, c, 32)) != 0 ||
	    (rc = wire_enc_cstr(e->out, "kind")) != 0 ||
	    (rc = wire_enc_cstr(e->out, "individual")) != 0)
		return rc;
	return 0;
}

/* {"kind": "individual", "name": "..."} -> {"commitment": bin, "kind": ...} */
static int
enc_individual(struct enc *e, const json_t *o)
{
	const json_t *name = json_object_get(o, "name");
	struct jrec_disc *d;
	const char *s;
	char *norm = NULL;	/* s in NFC, when it differs */
	size_t len;
	int rc;

	if (json_is_string(name) && (json_object_get(o, "scheme") != NULL ||
	    json_object_get(o, "id") != NULL))
		return enc_soft(e, pt_why_set(e->why, PT_ESCHEMA, "%s.%s: an "
		    "individual has no scheme or id in the log (they name the "
		    "person, as a self-employed person's tax number does): "
		    "leave them out", e->path, json_object_get(o, "id") !=
		    NULL ? "id" : "scheme"));
	if (json_object_size(o) != 2 || !json_is_string(name))
		return enc_soft(e, pt_why_set(e->why, PT_ESCHEMA, "%s: an "
		    "individual is {\"kind\": \"individual\", \"name\": "
		    "\"...\"} (the name is committed to, never logged)",
		    e->path));
	s = json_string_value(name);
	len = json_string_length(name);
	if (len == 0 || len > PT_MAX_STRING)
		return pt_why_set(e->why, PT_ESCHEMA, "%s.name: want 1..%d "
		    "bytes", e->path, PT_MAX_STRING);
	{
		/* committed to, the name must be the one shown when it is
		 * disclosed: no invisible characters, not blanks only */
		char where[sizeof(e->path) + 8];

		snprintf(where, sizeof(where), "%s.name", e->path);
		if (text_unseen(e, s, len, where))
			return enc_soft(e, PT_ESCHEMA);
	}
	if (e->discs == NULL || e->discs->n >= JREC_MAX_DISC)
		return pt_why_set(e->why, PT_ETOOBIG, "%s: too many committed "
		    "fields in one record", e->path);
	d = &e->discs->d[e->discs->n];
	memset(d, 0, sizeof(*d));
	if (strlen(e->path) >= sizeof(d->field))
		return pt_why_set(e->why, PT_ETOOBIG, "%s: path too long",
		    e->path);
	/* The name committed to is its NFC form, so that the same name
	 * written in another Unicode form (a decomposed ü, as some systems
	 * export it) gets the same salt and commitment; a line the
	 * disclosures file has for the name as written (before names were
	 * normalised) keeps that form. */
	if (!person_known(e, s, len, d->salt)) {
		utf8proc_uint8_t *nfc = NULL;
		utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)s,
		    (utf8proc_ssize_t)len, &nfc, UTF8PROC_STABLE |
		    UTF8PROC_COMPOSE);

		if (nl > 0 && ((size_t)nl != len || memcmp(nfc, s, len) != 0)) {
			s = norm = (char *)nfc;
			len = (size_t)nl;
			nfc = NULL;
		}
		free(nfc);
		if (!person_known(e, s, len, d->salt)) {
			uint8_t c[32];
			char *stored = NULL;

			/* the same name in other capitals: as the line has
			 * it (the record reads as logged) */
			if (e->discs->alike != NULL && e->discs->id != NULL &&
			    e->discs->alike(e->discs->known_arg, e->discs->id,
			    e->path, s, d->salt, &stored) == 1) {
				free(norm);
				s = norm = stored;
				len = strlen(s);
				goto commit;
			}
			free(stored);
			/* erased from the disclosures file: the record
			 * carries the commitment the log holds, and the name
			 * is neither committed to again nor kept */
			if (e->discs->erased != NULL && e->discs->id != NULL &&
			    e->discs->erased(e->discs->known_arg,
			    e->discs->id, e->path, c) == 1) {
				free(norm);
				memset(d, 0, sizeof(*d));
				return enc_commitment(e, c);
			}
			if ((rc = cr_random(d->salt, sizeof(d->salt))) != 0)
				goto out;
		}
	}
commit:
	if ((rc = record_commit(d->salt, s, len, d->commitment)) != 0)
		goto out;
	if ((d->value = ut_strndup(s, len)) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	free(norm);
	norm = NULL;
	d->value_len = len;
	strcpy(d->field, e->path);
	e->discs->n++;
	return enc_commitment(e, d->commitment);
out:
	free(norm);
	return rc;
}

/*
 * The digits an organization number of a register has, where the register
 * numbers with a fixed count of digits: a shorter one lost its leading
 * zeros in a spreadsheet column of numbers (KvK 01234567 became 1234567).
 * KvK: 8 digits; EIN: 9 digits, as 12-3456789 or 123456789; Companies
 * House: 8 characters, 8 digits or 2 letters and 6 digits (SC123456).
 * NULL when id is of the form, else what the form is.
 */
static const char *
register_form(const char *scheme, const char *id)
{
	size_t n = strlen(id), d = strspn(id, "0123456789");

	if (strcmp(scheme, "NL-KVK") == 0 && !(n == 8 && d == 8))
		return "8 digits (01234567)";
	if (strcmp(scheme, "US-EIN") == 0 && !(n == 9 && d == 9) &&
	    !(n == 10 && d == 2 && id[2] == '-' &&
	    strspn(id + 3, "0123456789") == 7))
		return "9 digits (12-3456789)";
	if (strcmp(scheme, "GB-COH") == 0 && !(n == 8 && (d == 8 ||
	    (isupper((unsigned char)id[0]) && isupper((unsigned char)id[1]) &&
	    strspn(id + 2, "0123456789") == 6))))
		return "8 characters: 8 digits (01234567), or 2 letters and 6 "
		    "digits (SC123456)";
	return NULL;
}

static int
enc_object(struct enc *e, const json_t *o, int depth)
{
	const char **keys;
	const char *k;
	json_t *v;
	size_t n = json_object_size(o), i = 0, plen = strlen(e->path);
	const json_t *kind = json_object_get(o, "kind");
	int rc = 0;

	if (json_is_string(kind) &&
	    strcmp(json_string_value(kind), "individual") == 0 &&
	    json_object_get(o, "name") != NULL)
		return enc_individual(e, o);
	if (json_is_string(kind) &&
	    strcmp(json_string_value(kind), "individual") == 0 &&
	    e->discs != NULL && e->discs->holds != NULL) {
		const json_t *c = json_object_get(o, "commitment");
		uint8_t b[32];

		if (json_is_string(c) && json_string_length(c) == 64 &&
		    cr_hex_decode(json_string_value(c), 64, b, 32) == 0 &&
		    !e->discs->holds(e->discs->known_arg, b))
			return enc_soft(e, pt_why_set(e->why, PT_ESCHEMA,
			    "%s.commitment: not one of this office's (no salt "
			    "for it in the disclosures file): give the person's "
			    "name, {\"kind\": \"individual\", \"name\": ...}, "
			    "and it is committed to here", e->path));
	}
	if (json_is_string(kind) &&
	    strcmp(json_string_value(kind), "organization") == 0 &&
	    json_is_string(json_object_get(o, "scheme")) &&
	    json_is_string(json_object_get(o, "id"))) {
		/* an organization's number: a person's, or one cut short */
		const char *sch = json_string_value(json_object_get(o,
		    "scheme"));
		const char *oid = json_string_value(json_object_get(o, "id"));
		const char *form = register_form(sch, oid);
		const char *pn = pnum_person(sch, oid);

		if (pn != NULL)
			return enc_soft(e, pt_why_set(e->why, PT_ESCHEMA,
			    "%s.id: the number of a natural person (%s: a "
			    "self-employed person?): log them as an "
			    "individual, their name committed to, without the "
			    "number",
			    e->path, pn));
		if (form != NULL)
			return enc_soft(e, pt_why_set(e->why, PT_ESCHEMA,
			    "%s.id: a %s number has %s: leading zeros lost in "
			    "a column of numbers? format it as Text", e->path,
			    sch, form));
	}
	if (n > PT_MAX_MAP_KEYS)
		return pt_why_set(e->why, PT_ETOOBIG, "%s: more than %d keys",
		    plen ? e->path : "record", PT_MAX_MAP_KEYS);
	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL)
		return PT_ENOMEM;
	json_object_foreach((json_t *)o, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), keycmp);
	if ((rc = wire_enc_map(e->out, n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		size_t klen = strlen(keys[i]);

		if (plen + 1 + klen >= sizeof(e->path)) {
			rc = pt_why_set(e->why, PT_ETOOBIG, "field path too "
			    "long");
			goto out;
		}
		if (plen > 0)
			e->path[plen] = '.';
		memcpy(e->path + plen + (plen > 0), keys[i], klen + 1);
		if ((rc = wire_enc_cstr(e->out, keys[i])) != 0 ||
		    (rc = enc_value(e, json_object_get(o, keys[i]), keys[i],
		    depth + 1)) != 0)
			goto out;
		e->path[plen] = '\0';
	}
out:
	free(keys);
	return rc;
}

/* The look-alike scripts of a letter: 0 Latin, 1 Cyrillic, 2 Greek
 * (ICU's script property), -1 any other or none.  The Greek small mu is
 * none: it is the unit prefix of "μg" and "μm" in a Latin text. */
static int
lookalike_script(utf8proc_int32_t cp)
{
	UErrorCode err = U_ZERO_ERROR;
	UScriptCode sc;

	if (cp == 0x03bc)
		return -1;
	sc = uscript_getScript((UChar32)cp, &err);
	if (U_FAILURE(err))
		return -1;
	return sc == USCRIPT_LATIN ? 0 : sc == USCRIPT_CYRILLIC ? 1 :
	    sc == USCRIPT_GREEK ? 2 : -1;
}

static int
is_word_cp(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);

	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
	    (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME);
}

/*
 * A word (a run of letters and marks, s[a..b)) whose letters come from two
 * of Latin, Cyrillic and Greek, which share look-alike letters: "Аcme"
 * with a Cyrillic А, typed with a keyboard's other layout, reads as
 * "Acme" and is never found by a search for it, and splits one payee's
 * totals in two.  1 with the reason in e->why (naming the first letter of
 * the script the word has fewer of), else 0.
 */
static int
word_mixed(struct enc *e, const char *s, size_t a, size_t b,
    const char *where)
{
	static const char *const names[] = { "Latin", "Cyrillic", "Greek" };
	size_t count[3] = { 0, 0, 0 }, first[3] = { 0, 0, 0 }, at;
	utf8proc_int32_t cp, odd = 0;
	utf8proc_ssize_t k;
	int x, y = -1, n = 0;
	char name[128];
	UErrorCode err = U_ZERO_ERROR;

	for (size_t i = a; i < b; i += (size_t)k) {
		if ((k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(b - i), &cp)) <= 0)
			return 0;
		if ((x = lookalike_script(cp)) < 0)
			continue;
		if (count[x]++ == 0) {
			first[x] = i;
			n++;
		}
	}
	if (n < 2)
		return 0;
	/* the script with fewer letters in the word is the stray one */
	for (x = 0; x < 3; x++)
		if (count[x] > 0 && (y < 0 || count[x] < count[y] ||
		    (count[x] == count[y] && first[x] > first[y])))
			y = x;
	at = first[y];
	utf8proc_iterate((const utf8proc_uint8_t *)s + at,
	    (utf8proc_ssize_t)(b - at), &odd);
	u_charName((UChar32)odd, U_UNICODE_CHAR_NAME, name, sizeof(name),
	    &err);
	if (U_FAILURE(err))
		name[0] = '\0';
	for (x = 0; x < 3; x++)
		if (x != y && count[x] > 0)
			break;
	/* the word shown up to 40 bytes, cut between characters */
	if (b - a > 40)
		for (b = a + 40; b > a && ((unsigned char)s[b] & 0xc0) == 0x80;
		    b--)
			;
	pt_why_set(e->why, PT_ESCHEMA, "%s: \"%.*s\" mixes %s and %s "
	    "look-alike letters (U+%04X %.48s, byte %zu): retype it in one "
	    "script: searches miss it", where, (int)(b - a), s + a,
	    names[x], names[y], (unsigned)odd, name, at);
	return 1;
}

/* ICU's confusables data: opened once, used by every thread (checks on an
 * open USpoofChecker are thread-safe). */
static USpoofChecker *spoof;
static pthread_once_t spoof_once = PTHREAD_ONCE_INIT;

static void
spoof_open(void)
{
	UErrorCode err = U_ZERO_ERROR;

	spoof = uspoof_open(&err);
	if (U_FAILURE(err))
		spoof = NULL;
}

/*
 * The word s[a..b), of Cyrillic or Greek letters only, reads as a word of
 * ASCII letters: its skeleton (Unicode's confusables, UTS #39) is one.
 * Greek "Τ" reads as "T", Cyrillic "ООО" as "OOO"; "β" (ß), "Ελλάς" do
 * not.
 */
static int
word_reads_latin(const char *s, size_t a, size_t b)
{
	char sk[256];
	UErrorCode err = U_ZERO_ERROR;
	int32_t n;

	pthread_once(&spoof_once, spoof_open);
	if (spoof == NULL || b - a > 64)
		return 0;
	n = uspoof_getSkeletonUTF8(spoof, 0, s + a, (int32_t)(b - a), sk,
	    sizeof(sk), &err);
	if (U_FAILURE(err) || n <= 0)
		return 0;
	for (int32_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)sk[i]) ||
		    (unsigned char)sk[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * Company forms written in Greek or Cyrillic capitals that all read as
 * Latin ones (abbreviations of legal forms as ISO 20275's list writes
 * them): a Latin name joined to one by a hyphen ("BMW-ΑΕ", "ООО-Acme") is
 * a company's usual name, not a look-alike of a Latin word.
 */
static const char *const local_forms[] = {
	"\xce\x91\xce\x95",	/* ΑΕ */
	"\xce\x9f\xce\x95",	/* ΟΕ */
	"\xce\x95\xce\x95",	/* ΕΕ */
	"\xce\x99\xce\x9a\xce\x95",	/* ΙΚΕ */
	"\xce\x91\xce\xa4\xce\x95",	/* ΑΤΕ */
	"\xce\x91\xce\x92\xce\x95\xce\x95",	/* ΑΒΕΕ */
	"\xce\x91\xce\x95\xce\x92\xce\x95",	/* ΑΕΒΕ */
	"\xce\x91\xce\x92\xce\x95",	/* ΑΒΕ */
	"\xce\x91\xce\x95\xce\x95",	/* ΑΕΕ */
	"\xce\x91\xce\x9c\xce\x9a\xce\x95",	/* ΑΜΚΕ */
	"\xce\x9c\xce\x99\xce\x9a\xce\x95",	/* ΜΙΚΕ */
	"\xd0\x9e\xd0\x9e\xd0\x9e",	/* ООО */
	"\xd0\x90\xd0\x9e",	/* АО */
	"\xd0\x9e\xd0\x90\xd0\x9e",	/* ОАО */
	"\xd0\xa2\xd0\x9e\xd0\x92",	/* ТОВ */
	"\xd0\xa2\xd0\x9e\xd0\x9e",	/* ТОО */
	"\xd0\x90\xd0\xa2",	/* АТ */
	"\xd0\x95\xd0\xa2",	/* ЕТ */
};

/* When s[wa..b) begins with one of local_forms, written with or without
 * points ("ΑΕ", "Α.Ε."), where it ends; else 0. */
static size_t
local_form(const char *s, size_t wa, size_t b)
{
	char f[32];
	size_t n = 0, i = wa;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	while (i < b && (k = utf8proc_iterate((const utf8proc_uint8_t *)s +
	    i, (utf8proc_ssize_t)(b - i), &cp)) > 0) {
		if (cp != '.' && !is_word_cp(cp))
			break;
		if (cp != '.') {
			if (n + (size_t)k >= sizeof(f))
				return 0;
			memcpy(f + n, s + i, (size_t)k);
			n += (size_t)k;
		}
		i += (size_t)k;
	}
	f[n] = '\0';
	for (size_t j = 0; j < sizeof(local_forms) / sizeof(local_forms[0]);
	    j++)
		if (strcmp(f, local_forms[j]) == 0)
			return i;
	return 0;
}

/*
 * A token (a run of characters between blanks, s[a..b)) with Latin
 * letters (the caller knows it has Latin and Greek or Cyrillic ones) and
 * a word of Greek or Cyrillic letters that read as Latin ones:
 * "Τ-Systems" with a Greek Tau reads as "T-Systems" and is never found by
 * a search for it (word_mixed sees only words mixing scripts; here the
 * hyphen splits them).  1 with the reason in e->why, else 0.
 */
static int
token_lookalike(struct enc *e, const char *s, size_t a, size_t b,
    const char *where)
{
	utf8proc_int32_t cp, first = 0;
	utf8proc_ssize_t k = 1;
	size_t at = SIZE_MAX;
	char name[128];
	UErrorCode err = U_ZERO_ERROR;

	/* each word of the token: Cyrillic or Greek letters only, read as
	 * Latin ones? */
	for (size_t i = a; i < b && at == SIZE_MAX;) {
		size_t wa = i;
		int only = 1;

		while (i < b) {
			if ((k = utf8proc_iterate((const utf8proc_uint8_t *)s +
			    i, (utf8proc_ssize_t)(b - i), &cp)) <= 0)
				return 0;
			if (!is_word_cp(cp))
				break;
			if (i == wa)
				first = cp;
			only &= lookalike_script(cp) > 0 || (i > wa &&
			    utf8proc_category(cp) >= UTF8PROC_CATEGORY_MN);
			i += (size_t)k;
		}
		if (i > wa && only && word_reads_latin(s, wa, i)) {
			size_t f = local_form(s, wa, b);

			if (f == 0)
				at = wa;
			else
				i = f;		/* a company form: taken */
		} else if (i == wa)
			i += (size_t)k;		/* not a letter */
	}
	if (at == SIZE_MAX)
		return 0;
	u_charName((UChar32)first, U_UNICODE_CHAR_NAME, name, sizeof(name),
	    &err);
	if (U_FAILURE(err))
		name[0] = '\0';
	if (b - a > 40)
		for (b = a + 40; b > a && ((unsigned char)s[b] & 0xc0) == 0x80;
		    b--)
			;
	pt_why_set(e->why, PT_ESCHEMA, "%s: \"%.*s\" has %s letters that read "
	    "as Latin ones beside Latin letters (U+%04X %.48s, byte %zu): "
	    "retype it in one script: searches miss it", where, (int)(b - a),
	    s + a, lookalike_script(first) == 1 ? "Cyrillic" : "Greek",
	    (unsigned)first, name, at);
	return 1;
}

/*
 * Text as a reader will see it: a character that shows nothing or turns
 * what follows around (a zero-width space, a soft hyphen, a byte order
 * mark, a bidi control such as U+202E, which shows "emcA" as "Acme", a
 * line separator) makes a published name or description read other than
 * it is, or split one payee's totals in two; text of blanks only says
 * nothing.  1 with the reason in e->why, else 0.
 */
static int
text_unseen(struct enc *e, const char *s, size_t len, const char *where)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	int blank = 1, scripts = 0, x;
	size_t a;

	/* ASCII (most text): nothing invisible; blank unless a byte is
	 * other than a space or a tab */
	for (a = 0; a < len && (unsigned char)s[a] < 0x80; a++)
		blank &= s[a] == ' ' || s[a] == '\t';
	if (a == len) {
		if (!blank || len == 0)
			return 0;
		pt_why_set(e->why, PT_ESCHEMA, "%s: blanks only: write the "
		    "text, or leave the field out", where);
		return 1;
	}
	blank = 1;
	for (size_t i = 0, w = 0, t = 0; i <= len; i += (size_t)k) {
		if (i == len) {
			if (w < i && word_mixed(e, s, w, i, where))
				return 1;
			if (scripts == 3 &&
			    token_lookalike(e, s, t, i, where))
				return 1;
			break;
		}
		if ((k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(len - i), &cp)) <= 0)
			return 0;	/* not UTF-8: jansson had it so */
		if (!is_word_cp(cp)) {
			if (w < i && word_mixed(e, s, w, i, where))
				return 1;
			w = i + (size_t)k;
		}
		/* the token's scripts: 1 Latin, 2 Greek or Cyrillic */
		if (cp < 0x80 ? isalpha((int)cp) : 0)
			scripts |= 1;
		else if (cp >= 0x80 && (x = lookalike_script(cp)) >= 0)
			scripts |= x == 0 ? 1 : 2;
		if (utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS ||
		    cp == '\t') {
			if (scripts == 3 &&
			    token_lookalike(e, s, t, i, where))
				return 1;
			t = i + (size_t)k;
			scripts = 0;
		}
		if (tty_invisible_cp(cp)) {
			pt_why_set(e->why, PT_ESCHEMA, "%s: an invisible "
			    "character, U+%04X, at byte %zu: it makes the text "
			    "read other than it is; remove it", where,
			    (unsigned)cp, i);
			return 1;
		}
		blank &= cp == ' ' || cp == '\t' || cp == 0x00a0 ||
		    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
		    cp == 0x205f || cp == 0x3000;
	}
	if (!blank || len == 0)
		return 0;
	pt_why_set(e->why, PT_ESCHEMA, "%s: blanks only: write the text, or "
	    "leave the field out", where);
	return 1;
}

/*
 * Text as logged: in Unicode NFC, so that the same name exported by one
 * system decomposed (u and a combining diaeresis) and by another composed
 * is one name in the log, not a conflict (409) or a payee split in two.
 * ASCII, most text, is written as it is.
 */
static int
enc_text_nfc(struct enc *e, const char *s, size_t len)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n;
	size_t i;
	int rc;

	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len)
		return wire_enc_str(e->out, s, len);
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	    &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0 || (size_t)n > PT_MAX_STRING)
		rc = wire_enc_str(e->out, s, len);
	else
		rc = wire_enc_str(e->out, (const char *)nfc, (size_t)n);
	free(nfc);
	return rc;
}

static int
enc_value(struct enc *e, const json_t *v, const char *key, int depth)
{
	const char *where = e->path[0] ? e->path : "record";

	if (depth > PT_MAX_DEPTH)
		return pt_why_set(e->why, PT_EDEPTH, "%s: nested too deeply",
		    where);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return enc_object(e, v, depth);
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		int rc;

		if (n > PT_MAX_ARRAY)
			return pt_why_set(e->why, PT_ETOOBIG, "%s: more than "
			    "%d elements", where, PT_MAX_ARRAY);
		if ((rc = wire_enc_array(e->out, n)) != 0)
			return rc;
		for (size_t i = 0; i < n; i++)
			if ((rc = enc_value(e, json_array_get(v, i), key,
			    depth + 1)) != 0)
				return rc;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);

		if (key != NULL && is_bin_key(key)) {
			uint8_t buf[PT_MAX_BIN];

			if (len % 2 != 0 || len / 2 > sizeof(buf) ||
			    cr_hex_decode(s, len, buf, len / 2) != 0)
				return enc_soft(e, pt_why_set(e->why, PT_ETYPE,
				    "%s: want hex bytes", where));
			return wire_enc_bin(e->out, buf, len / 2);
		}
		if (len > PT_MAX_STRING)
			return pt_why_set(e->why, PT_ETOOBIG, "%s: longer than "
			    "%d bytes", where, PT_MAX_STRING);
		if (text_unseen(e, s, len, where))
			return enc_soft(e, PT_ESCHEMA);
		return enc_text_nfc(e, s, len);
	}
	case JSON_INTEGER:
		return wire_enc_int(e->out, (int64_t)json_integer_value(v));
	case JSON_REAL:
		if (key == NULL || strlen(key) < 6 ||
		    strcmp(key + strlen(key) - 6, "_minor") != 0)
			return enc_soft(e, pt_why_set(e->why, PT_ETYPE, "%s: "
			    "want an integer, written without a point or an "
			    "exponent", where));
		return enc_soft(e, pt_why_set(e->why, PT_ETYPE, "%s: no "
		    "fractions: amounts are integers in minor units (e.g. "
		    "cents), written without a point or an exponent", where));
	case JSON_TRUE:
	case JSON_FALSE:
		return enc_soft(e, pt_why_set(e->why, PT_ETYPE, "%s: booleans "
		    "are not allowed in records", where));
	case JSON_NULL:
	default:
		return enc_soft(e, pt_why_set(e->why, PT_ETYPE, "%s: null is "
		    "not allowed (leave the field out)", where));
	}
}

/* What the record's check says, but not at a path a value stood in for
 * (said already). */
static void
soft_filter(void *arg, int rc, const char *why)
{
	struct enc *e = arg;

	for (size_t i = 0; i < e->nsoft; i++) {
		size_t n = strlen(e->soft[i]);

		if (strncmp(why, e->soft[i], n) == 0 && (why[n] == ':' ||
		    why[n] == '.'))
			return;
	}
	e->each(e->arg, rc, why);
}

/*
 * A natural person's name, committed to and never logged, written out in
 * the record's free text ("Mietzuschuss für Jürgen Müller", "Zuschuss
 * Müller"): the usual way a benefits office's export publishes the person
 * it pays.  The names of obj's (and its replacement's) individual parties
 * are looked for in its description and reason, whole or by a word of
 * their own (fold_name_in).  1 when one is there and it was said through
 * e->each (the record is refused after its other problems are found), -1
 * with the reason in e->why without each, else 0.
 */
static int
name_in_text(struct enc *e, const json_t *obj)
{
	static const char *const parties[] = { "payee", "applicant", "payer",
	    "jurisdiction" };
	static const char *const texts[] = { "description", "reason" };
	const json_t *objs[2] = { obj, json_object_get(obj, "replacement") };

	for (size_t a = 0; a < 2 && json_is_object(objs[a]); a++)
	for (size_t i = 0; i < 4; i++) {
		const json_t *p = json_object_get(objs[a], parties[i]);
		const char *name = json_string_value(json_object_get(p,
		    "name"));
		const char *kind = json_string_value(json_object_get(p,
		    "kind"));

		if (name == NULL || kind == NULL ||
		    strcmp(kind, "individual") != 0)
			continue;
		for (size_t b = 0; b < 2; b++)
		for (size_t t = 0; t < 2; t++) {
			const char *v = json_string_value(json_object_get(
			    objs[b], texts[t]));
			char word[160];

			if (v == NULL || !fold_name_in(name, v, word,
			    sizeof(word)))
				continue;
			pt_why_set(e->why, PT_ESCHEMA, "%s%s: holds the name "
			    "of the natural person in %s%s (\"%s\"), which the "
			    "log never shows (only a salted commitment): take "
			    "the name out of the text", b ? "replacement." : "",
			    texts[t], a ? "replacement." : "", parties[i],
			    word);
			cr_wipe(word, sizeof(word));
			if (e->each == NULL || e->nsoft == ENC_SOFT_MAX)
				return -1;
			/* said, and the rest of the record checked */
			e->each(e->arg, PT_ESCHEMA, e->why->text);
			snprintf(e->soft[e->nsoft++], sizeof(e->soft[0]),
			    "%s%s", b ? "replacement." : "", texts[t]);
			return 1;
		}
	}
	return 0;
}

int
jrec_from_json(const json_t *obj, struct wire_buf *out,
    struct jrec_discs *discs, struct pt_why *why)
{
	return jrec_from_json_each(obj, out, discs, NULL, NULL, why);
}

int
jrec_from_json_each(const json_t *obj, struct wire_buf *out,
    struct jrec_discs *discs, record_each_fn each, void *arg,
    struct pt_why *why)
{
	struct enc e;
	struct record_info info;
	struct pt_why w = { "" };
	size_t start = out->len, before = discs != NULL ? discs->n : 0;
	int rc;

	if (!json_is_object(obj))
		return pt_why_set(why, PT_ETYPE, "a record is a JSON object");
	/* (not the stand-ins' paths: 4 KB, written only when used) */
	memset(&e, 0, offsetof(struct enc, soft));
	if (discs != NULL) {
		json_t *rep = json_object_get(obj, "replacement");

		discs->id = json_string_value(json_object_get(obj, "id"));
		discs->rid = json_is_object(rep) ? json_string_value(
		    json_object_get(rep, "id")) : NULL;
	}
	e.out = out;
	e.discs = discs;
	e.why = why;
	e.each = each;
	e.arg = arg;
	if (name_in_text(&e, obj) < 0) {
		rc = PT_ESCHEMA;
		goto fail;
	}
	if ((rc = enc_object(&e, obj, 1)) != 0)
		goto fail;
	if (out->len - start > PT_MAX_RECORD) {
		rc = pt_why_set(why, PT_ETOOBIG, "record is %zu bytes, over "
		    "the limit of %d", out->len - start, PT_MAX_RECORD);
		goto fail;
	}
	if ((rc = record_check_each(out->data + start, out->len - start,
	    &info, each != NULL ? soft_filter : NULL, &e, &w)) != 0 &&
	    e.nsoft == 0) {
		pt_why_set(why, rc, "%s", w.text[0] ? w.text : pt_strerror(rc));
		goto fail;
	}
	if (e.nsoft > 0) {		/* said through each, stood in for */
		rc = pt_why_set(why, PT_ETYPE, "%s", e.soft[0]);
		goto fail;
	}
	return 0;
fail:
	out->len = start;
	if (discs != NULL) {
		while (discs->n > before) {
			struct jrec_disc *d = &discs->d[--discs->n];

			if (d->value != NULL) {
				cr_wipe(d->value, d->value_len);
				free(d->value);
			}
			memset(d, 0, sizeof(*d));
		}
	}
	return rc;
}

static int
dec_value(struct wire_cur *c, json_t **out, int depth)
{
	size_t n;
	int rc;

	*out = NULL;
	if (depth > PT_MAX_DEPTH + 4)
		return PT_EDEPTH;
	switch (wire_cur_kind(c)) {
	case WIRE_K_UINT: {
		uint64_t v;

		if ((rc = wire_cur_uint(c, &v)) != 0)
			return rc;
		if (v > INT64_MAX) {
			char buf[24];

			snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)v);
			*out = json_string(buf);
		} else
			*out = json_integer((json_int_t)v);
		break;
	}
	case WIRE_K_NINT: {
		int64_t v;

		if ((rc = wire_cur_int(c, &v)) != 0)
			return rc;
		*out = json_integer((json_int_t)v);
		break;
	}
	case WIRE_K_STR: {
		const char *s;

		if ((rc = wire_cur_str(c, &s, &n)) != 0)
			return rc;
		*out = json_stringn(s, n);
		if (*out == NULL)
			return PT_EUTF8;
		break;
	}
	case WIRE_K_BIN: {
		const uint8_t *p;
		char *hex;

		if ((rc = wire_cur_bin(c, &p, &n)) != 0)
			return rc;
		if ((hex = malloc(2 * n + 1)) == NULL)
			return PT_ENOMEM;
		cr_hex_encode(p, n, hex);
		*out = json_string(hex);
		free(hex);
		break;
	}
	case WIRE_K_ARRAY:
		if ((rc = wire_cur_array(c, &n)) != 0)
			return rc;
		if ((*out = json_array()) == NULL)
			return PT_ENOMEM;
		for (size_t i = 0; i < n; i++) {
			json_t *v;

			if ((rc = dec_value(c, &v, depth + 1)) != 0) {
				json_decref(*out);
				*out = NULL;
				return rc;
			}
			json_array_append_new(*out, v);
		}
		return 0;
	case WIRE_K_MAP:
		if ((rc = wire_cur_map(c, &n)) != 0)
			return rc;
		if ((*out = json_object()) == NULL)
			return PT_ENOMEM;
		for (size_t i = 0; i < n; i++) {
			const char *k;
			size_t klen;
			char *key;
			json_t *v;

			if ((rc = wire_cur_str(c, &k, &klen)) != 0 ||
			    (rc = dec_value(c, &v, depth + 1)) != 0) {
				json_decref(*out);
				*out = NULL;
				return rc;
			}
			if ((key = ut_strndup(k, klen)) == NULL) {
				json_decref(v);
				json_decref(*out);
				*out = NULL;
				return PT_ENOMEM;
			}
			json_object_set_new(*out, key, v);
			free(key);
		}
		return 0;
	default:
		return PT_EMALFORMED;
	}
	return *out == NULL ? PT_ENOMEM : 0;
}

/* obj's fields into out (path -> the value as read): nested objects
 * dotted; an integer "*_minor" with its object's currency in major units
 * under the path without "_minor" ("amount": "-12.50 EUR"). */
static void
flat(json_t *obj, const char *prefix, json_t *out)
{
	json_t *c = json_object_get(obj, "currency"), *v;
	const char *cur = json_is_string(c) ? json_string_value(c) : NULL;
	const char *k;

	json_object_foreach(obj, k, v) {
		char path[160], txt[AMT_MAX_TEXT + 16];
		size_t kl = strlen(k);
		char *dump;

		snprintf(path, sizeof(path), "%s%s", prefix, k);
		if (json_is_object(v)) {
			char sub[170];

			snprintf(sub, sizeof(sub), "%s.", path);
			flat(v, sub, out);
			continue;
		}
		if (json_is_integer(v) && kl > 6 &&
		    strcmp(k + kl - 6, "_minor") == 0 && cur != NULL &&
		    amt_format(json_integer_value(v), cur, txt,
		    AMT_MAX_TEXT) == 0) {
			path[strlen(path) - 6] = '\0';
			snprintf(txt + strlen(txt), sizeof(txt) - strlen(txt),
			    " %s", cur);
			json_object_set_new(out, path, json_string(txt));
		} else if (json_is_string(v))
			json_object_set(out, path, v);
		else if ((dump = json_dumps(v, JSON_COMPACT |
		    JSON_ENCODE_ANY)) != NULL) {
			json_object_set_new(out, path, json_string(dump));
			free(dump);
		}
	}
}

json_t *
jrec_changes(json_t *now, json_t *mine)
{
	json_t *a = json_object(), *b = json_object(), *all = json_object();
	json_t *out = json_array(), *v;
	const char *k;

	flat(now, "", a);
	flat(mine, "", b);
	json_object_update(all, a);
	json_object_update(all, b);
	json_object_foreach(all, k, v) {
		json_t *x = json_object_get(a, k), *y = json_object_get(b, k);

		if (x != NULL && y != NULL && json_equal(x, y))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:O?,s:O?}", "field",
		    k, "from", x, "to", y));
	}
	json_decref(a);
	json_decref(b);
	json_decref(all);
	return out;
}

int
jrec_changes_text(json_t *changes, char *out, size_t cap)
{
	size_t i, n = 0;
	json_t *ch;
	int only_commitments = json_array_size(changes) > 0;

	if (cap > 0)
		out[0] = '\0';
	json_array_foreach(changes, i, ch) {
		const char *f = json_string_value(json_object_get(ch, "field"));
		const json_t *a = json_object_get(ch, "from");
		const json_t *b = json_object_get(ch, "to");
		size_t fl = strlen(f);
		int w;

		only_commitments &= fl > 11 &&
		    strcmp(f + fl - 11, ".commitment") == 0;
		if (n >= cap)
			continue;
		w = snprintf(out + n, cap - n, "%s%s: %.40s -> %.40s",
		    i ? "; " : "", f, a ? json_string_value(a) : "(none)",
		    b ? json_string_value(b) : "(none)");
		if (w < 0 || (size_t)w >= cap - n) {
			/* cut: end with an ellipsis where it fits */
			if (cap >= 4)
				memcpy(out + cap - 4, "...", 4);
			n = cap;
		} else
			n += (size_t)w;
	}
	return only_commitments;
}

int
jrec_to_json(const uint8_t *buf, size_t len, json_t **out, struct pt_why *why)
{
	struct wire_cur c;
	int rc;

	wire_cur_init(&c, buf, len);
	if ((rc = dec_value(&c, out, 0)) != 0)
		return pt_why_set(why, rc, "cannot show value as JSON: %s",
		    pt_strerror(rc));
	if (c.p != c.end) {
		json_decref(*out);
		*out = NULL;
		return pt_why_set(why, PT_ETRAILING, "trailing bytes");
	}
	return 0;
}

int
jrec_entry_to_json(const struct wire_entry *e, const uint8_t *bytes,
    size_t len, uint64_t index, json_t **out, struct pt_why *why)
{
	struct mt_hash leaf;
	char hex[65];
	json_t *o, *rec;
	int rc;

	*out = NULL;
	if ((rc = jrec_to_json(e->sub.record, e->sub.record_len, &rec,
	    why)) != 0)
		return rc;
	if ((rc = mt_leaf_hash(bytes, len, &leaf)) != 0) {
		json_decref(rec);
		return rc;
	}
	cr_hex_encode(leaf.b, 32, hex);
	if ((o = json_object()) == NULL) {
		json_decref(rec);
		return PT_ENOMEM;
	}
	if (index != UINT64_MAX)
		json_object_set_new(o, "index", json_integer((json_int_t)index));
	json_object_set_new(o, "leaf_hash", json_string(hex));
	json_object_set_new(o, "time", json_integer((json_int_t)e->time_ms));
	json_object_set_new(o, "submitter", json_stringn(e->sub.submitter_str,
	    e->sub.submitter_len));
	{
		char label[SIGNER_LABEL_MAX];

		signer_label(&e->sub.submitter, label, sizeof(label));
		json_object_set_new(o, "signer", json_string(label));
	}
	json_object_set_new(o, "record", rec);
	*out = o;
	return 0;
}

json_t *
jrec_path(json_t *obj, const char *path)
{
	char seg[128];
	const char *p = path, *dot;

	while (obj != NULL && *p != '\0') {
		size_t n;

		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg) || !json_is_object(obj))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		obj = json_object_get(obj, seg);
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}
