/*
 * intake.c: read, encode and check every input record before anything is
 * sent; report every problem, one a line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "amount.h"
#include "crypto.h"
#include "fold.h"
#include "intake.h"
#include "record.h"
#include "tty.h"
#include "util.h"

#define ITK_VALUE_MAX	120	/* bytes of a value shown in a problem */

char *
itk_printable(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	if (cap == 0)
		return out;
	for (; *p != '\0'; p++) {
		int c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;

		/* what shows nothing or turns the text around: named */
		if (*p >= 0x80 && !c1 && (k = utf8proc_iterate(p, -1,
		    &cp)) > 0 && tty_invisible_cp(cp)) {
			if (n + 7 > cap - 1)
				break;
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x",
			    (unsigned)cp);
			p += k - 1;
			continue;
		}

		if (*p < 0x20 || *p == 0x7f || c1) {
			if (n + 5 > cap - 1)
				break;
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x",
			    c1 ? p[1] : *p);
			p += c1;
			continue;
		}
		if (n + 1 > cap - 1)
			break;
		out[n++] = (char)*p;
	}
	/* never end inside a UTF-8 sequence */
	if (*p != '\0')
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--, (void)0;
	if (*p != '\0' && n > 0 && (unsigned char)out[n - 1] >= 0xc0)
		n--;
	out[n] = '\0';
	return out;
}

void
itk_problem(struct itk *t, const struct in_pos *pos, const char *field,
    const char *value, int value_json, const char *problem)
{
	char where[300], f[128], pr[2400], v[ITK_VALUE_MAX * 5 + 8];
	char *quoted = NULL;
	const char *file;
	size_t n;

	t->problems++;
	file = pos == NULL || pos->file == NULL ? "" :
	    strcmp(pos->file, "-") == 0 ? "stdin" : pos->file;
	itk_printable(file, where, 200);
	n = strlen(where);
	if (pos != NULL && pos->line > 0)
		n += (size_t)snprintf(where + n, sizeof(where) - n, ":%zu",
		    pos->line);
	if (pos != NULL && pos->line > 0 && pos->col > 0)
		snprintf(where + n, sizeof(where) - n, ":%zu", pos->col);
	itk_printable(field != NULL ? field : "record", f, sizeof(f));
	itk_printable(problem, pr, sizeof(pr));
	v[0] = '\0';
	if (value != NULL) {
		if (!value_json) {
			json_t *s = json_string(value);

			/* raw bytes that are not UTF-8: shown escaped */
			quoted = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) :
			    NULL;
			json_decref(s);
		}
		if (quoted == NULL && !value_json) {
			char raw[ITK_VALUE_MAX * 5];

			for (size_t i = 0, k = 0; value[i] != '\0' &&
			    k + 5 < sizeof(raw); i++) {
				unsigned char c = (unsigned char)value[i];

				k += (size_t)(c >= 0x20 && c < 0x7f ?
				    snprintf(raw + k, sizeof(raw) - k, "%c", c) :
				    snprintf(raw + k, sizeof(raw) - k, "\\x%02x",
				    c));
			}
			snprintf(v, sizeof(v), "\"%s\"", raw);
		} else {
			char cut[ITK_VALUE_MAX + 4];
			const char *src = quoted != NULL ? quoted : value;

			if (strlen(src) > ITK_VALUE_MAX) {
				memcpy(cut, src, ITK_VALUE_MAX);
				cut[ITK_VALUE_MAX] = '\0';
				itk_printable(cut, v, ITK_VALUE_MAX);
				strcat(v, "...");
			} else
				itk_printable(src, v, sizeof(v));
		}
	}
	fflush(stdout);
	if (v[0] != '\0')
		fprintf(stderr, "%s: %s: %s (%s)\n", where, f, pr, v);
	else
		fprintf(stderr, "%s: %s: %s\n", where, f, pr);
	if (t->json) {
		json_t *o = json_object();

		json_object_set_new(o, "where", json_string(where));
		json_object_set_new(o, "error", json_string("invalid"));
		json_object_set_new(o, "field", json_string(f));
		json_object_set_new(o, "problem", json_string(pr));
		if (value != NULL) {
			json_t *jv = json_string(value);

			json_object_set_new(o, "value", jv != NULL ? jv :
			    json_string(v));
		}
		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	}
	free(quoted);
}

void
itk_item_clear(struct itk_item *it)
{
	free(it->id);
	free(it->record);
	for (size_t i = 0; i < it->ndisc; i++) {
		if (it->disc[i].value != NULL) {
			cr_wipe(it->disc[i].value, it->disc[i].value_len);
			free(it->disc[i].value);
		}
		cr_wipe(it->disc[i].salt, sizeof(it->disc[i].salt));
	}
	free(it->disc);
	memset(it, 0, sizeof(*it));
}

struct itk_id {
	char *id;
	const char *file;
	size_t line;
	size_t item;		/* index in items, or SIZE_MAX (invalid) */
};

void
itk_free(struct itk *t)
{
	for (size_t i = 0; i < t->nids; i++)
		free(t->ids[i].id);
	free(t->ids);
	t->ids = NULL;
	t->nids = t->capids = 0;
	for (size_t i = 0; i < t->nitems; i++)
		itk_item_clear(&t->items[i]);
	free(t->items);
	t->items = NULL;
	t->nitems = t->cap = 0;
}

struct rctx {
	struct itk *t;
	int bad;		/* problems in the current record */
	const struct in_rec *rec;	/* the record being checked */
	int said;		/* problems its check gave (record_problem) */
	int partial;		/* checking a CSV row's partial record */
	/* JSON major-unit keys said to go in their _minor field (paths):
	 * what the schema says of them, or of the _minor field missing,
	 * would say it again */
	char major[6][64];
	size_t nmajor;
};

/* A problem at the field path of a record: for CSV the column that set
 * it (its name as written, its number, the cell); for JSON the value. */
static void
field_problem(struct rctx *c, const struct in_rec *r, const char *path,
    const char *problem)
{
	struct in_pos pos = r->pos;
	const char *name, *cell;
	size_t col;

	c->bad++;
	if (r->row != NULL) {
		if (csvin_row_locate(r->row, path, &col, &name, &cell) == 0) {
			pos.col = col;
			itk_problem(c->t, &pos, name, cell, 0, problem);
		} else
			itk_problem(c->t, &pos, path, NULL, 0, problem);
		return;
	}
	{
		json_t *v = r->obj != NULL ? jrec_path(r->obj, path) : NULL;
		char *text = v != NULL && !json_is_object(v) ?
		    json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15)) : NULL;

		itk_problem(c->t, &pos, path, text, 1, problem);
		free(text);
	}
}

/* "payee.kind: missing required field" -> path "payee.kind" and the
 * rest; "record" when the text does not start with a path. */
static void
split_why(const char *text, char *path, size_t cap, const char **rest)
{
	size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_.");

	if (n > 0 && n < cap && text[n] == ':' && text[n + 1] == ' ') {
		memcpy(path, text, n);
		path[n] = '\0';
		*rest = text + n + 2;
		return;
	}
	snprintf(path, cap, "record");
	*rest = text;
}

static int
has_column(const struct csvin_row *row, const char *path)
{
	const char *name, *cell;
	size_t col;

	return csvin_row_locate(row, path, &col, &name, &cell) == 0;
}

/* Whether a column of row says the kind of the party of path ("payee.id":
 * a payee.kind cell that is not empty). */
static int
kind_given(const struct csvin_row *row, const char *path)
{
	char kp[32];
	const char *name, *cell;
	size_t col;

	snprintf(kp, sizeof(kp), "%.*s.kind", (int)(strlen(path) - 3), path);
	return csvin_row_locate(row, kp, &col, &name, &cell) == 0 &&
	    cell[0] != '\0';
}

/*
 * An id or a register number refused as not printable ASCII without
 * spaces, said with what would be taken: "FN 123456a" as people write it
 * (without its spaces: FN123456a?), "ΔΑ-2026-001" in Greek letters (in
 * Latin letters: DA-2026-001?).  Only a hint: the office writes it so in
 * its file, the same way each time (an id finds its record again).  1
 * when said.
 */
static int
id_hint(struct rctx *c, const char *path, const char *rest)
{
	json_t *v = jrec_path(c->rec->obj, path);
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	char msg[400], latin[4 * PT_MAX_ID + 1], plain[PT_MAX_ID + 1];
	const char *p;
	size_t n = 0;
	int ascii = 1;

	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	if (!ascii && fold_latin_ascii(s, strlen(s), latin,
	    sizeof(latin)) != 0)
		return 0;
	for (p = ascii ? s : latin; *p != '\0' && n < PT_MAX_ID; p++)
		if (*p != ' ')
			plain[n++] = *p;
	plain[n] = '\0';
	if (*p != '\0' || n == 0 || record_id_check(plain, n) != 0 ||
	    strcmp(plain, s) == 0)
		return 0;
	if (ascii)
		snprintf(msg, sizeof(msg), "%s (without its spaces: %s? "
		    "write it so in the file)", rest, plain);
	else
		snprintf(msg, sizeof(msg), "%s (in Latin letters: %s? write "
		    "it so in the file, the same way in every file: an id "
		    "finds its record again)", rest, plain);
	field_problem(c, c->rec, path, msg);
	return 1;
}

/* record_each_fn: one problem of the record c->rec, "PATH: PROBLEM", in
 * the intake's form (every problem of a record, not only its first). */
static void
record_problem(void *arg, int rc, const char *why)
{
	struct rctx *c = arg;
	char path[96];
	const char *rest;

	(void)rc;
	c->said++;
	split_why(why, path, sizeof(path), &rest);
	if (c->partial) {
		/* What is said of an unreadable cell's field was said
		 * already; of a field the reading makes from other cells
		 * it may follow from that cell, and would mislead.
		 * Anything else is the row's own. */
		if (csvin_row_failed(c->rec->row, path))
			return;
	}
	for (size_t i = 0; i < c->nmajor; i++) {
		size_t kl = strlen(c->major[i]);

		if (strcmp(path, c->major[i]) == 0 ||
		    (strncmp(path, c->major[i], kl) == 0 &&
		    strcmp(path + kl, "_minor") == 0 &&
		    strstr(rest, "missing") != NULL))
			return;
	}
	if (strcmp(path, "id") == 0 && strstr(rest, "missing") != NULL &&
	    c->rec->row != NULL && !has_column(c->rec->row, "id") &&
	    c->rec->obj != NULL && jrec_path(c->rec->obj, "permit_num") != NULL) {
		field_problem(c, c->rec, path, "missing: without an id column, "
		    "a permit decision's id is made of its permit number, "
		    "decision and decision date (PermitNum/decision/"
		    "StatusDate): give all three, or an id column");
		return;
	}
	if (strncmp(rest, "want a calendar date", 20) == 0 &&
	    c->rec->row == NULL && c->rec->obj != NULL) {
		/* JSON from a system that writes date-times: its date */
		json_t *v = jrec_path(c->rec->obj, path);
		const char *d = json_is_string(v) ? json_string_value(v) : "";
		char msg[160];

		if (strlen(d) > 10 && (d[10] == 'T' || d[10] == ' ') &&
		    record_date_valid(d, 10) == 0) {
			snprintf(msg, sizeof(msg), "%s: a date-time's date is "
			    "its first ten characters (%.10s)", rest, d);
			field_problem(c, c->rec, path, msg);
			return;
		}
	}
	if (strncmp(path, "budget.", 7) == 0 &&
	    strncmp(rest, "want 1..", 8) == 0 && c->rec->row != NULL) {
		/* "Repairs & Maintenance" in a budget column */
		char msg[400];

		snprintf(msg, sizeof(msg), "%s (a budget field holds a code of "
		    "the office's classification, such as 5410.9400: map a "
		    "label column to - , or to description)", rest);
		field_problem(c, c->rec, path, msg);
		return;
	}
	if (strncmp(rest, "not a known decision", 20) == 0 &&
	    c->rec->row != NULL) {
		/* Genehmigt, Abgelehnt: the office's own words */
		char msg[400];

		snprintf(msg, sizeof(msg), "%s; an office's own word goes in "
		    "the map as: %s: WORD => issued (or another of these)",
		    rest, path);
		field_problem(c, c->rec, path, msg);
		return;
	}
	if ((strcmp(path, "payee.id") == 0 ||
	    strcmp(path, "applicant.id") == 0) &&
	    strstr(rest, "missing") != NULL && c->rec->row != NULL &&
	    !kind_given(c->rec->row, path)) {
		/* a scheme for every row (a map constant) and a row without
		 * a number: a person, whose number must not be made up */
		char msg[300];

		snprintf(msg, sizeof(msg), "%s (a natural person has none: "
		    "give the row %.*s.kind individual, its scheme cell empty; "
		    "a map's scheme constant is left out of such a row)", rest,
		    (int)(strlen(path) - 3), path);
		field_problem(c, c->rec, path, msg);
		return;
	}
	if (strstr(rest, "printable ASCII without spaces") != NULL &&
	    id_hint(c, path, rest))
		return;
	field_problem(c, c->rec, path, rest);
}

/* How a major-unit JSON value v goes in minor units of the record's
 * currency cur (may be NULL): "1234.5 KWD is 1234500", or an example. */
static void
json_minor_hint(json_t *v, json_t *cur, char *out, size_t cap)
{
	struct amt_opts pt = { '.', AMT_SEP_NONE, 0 };
	const char *code = json_is_string(cur) ? json_string_value(cur) :
	    NULL;
	char *text = json_is_string(v) ? strdup(json_string_value(v)) :
	    json_is_number(v) ? json_dumps(v, JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15)) : NULL;
	int64_t minor;
	int exp;

	if (text != NULL && code != NULL && strlen(text) < 40 &&
	    amt_parse(text, strlen(text), code, &pt, &minor, NULL) == 0)
		snprintf(out, cap, "%s %s is %lld", text, code,
		    (long long)minor);
	else if (code != NULL && amt_exponent(code, &exp) == 0 &&
	    exp != AMT_NA) {
		long long unit = 1;

		for (int i = 0; i < exp; i++)
			unit *= 10;
		snprintf(out, cap, "%s has %d decimal place%s: 1 %s is %lld",
		    code, exp, exp == 1 ? "" : "s", code, unit);
	} else
		snprintf(out, cap, "12.50 EUR is 1250, 1234 JPY is 1234, "
		    "1.234 KWD is 1234");
	free(text);
}

/* JSON amounts are integers in minor units; currencies ISO 4217. */
static void
check_json_shapes(struct rctx *c, const struct in_rec *r, json_t *o,
    const char *prefix)
{
	static const struct {
		const char *key, *minor;
	} majors[] = {
		{ "amount", "amount_minor" },
		{ "fee", "fee_minor" },
		{ "est_project_cost", "est_project_cost_minor" },
	};
	json_t *cur = json_object_get(o, "currency");
	char path[64];
	int exp;

	if (r->row == NULL)
		for (size_t i = 0; i < sizeof(majors) / sizeof(majors[0]);
		    i++) {
			json_t *v = json_object_get(o, majors[i].key);
			char hint[160], msg[256];

			if (v == NULL)
				continue;
			snprintf(path, sizeof(path), "%s%s", prefix,
			    majors[i].key);
			json_minor_hint(v, cur, hint, sizeof(hint));
			snprintf(msg, sizeof(msg), "JSON input takes %s%s, an "
			    "integer in minor units (%s)", prefix,
			    majors[i].minor, hint);
			field_problem(c, r, path, msg);
			if (c->nmajor < sizeof(c->major) / sizeof(c->major[0]))
				snprintf(c->major[c->nmajor++],
				    sizeof(c->major[0]), "%s", path);
		}
	/* (what is not three capitals the schema refuses itself) */
	if (json_is_string(cur) && json_string_length(cur) == 3 &&
	    strspn(json_string_value(cur), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3 &&
	    amt_exponent(json_string_value(cur), &exp) != 0) {
		snprintf(path, sizeof(path), "%scurrency", prefix);
		field_problem(c, r, path, "not an ISO 4217 currency code (EUR, "
		    "USD, JPY, ...)");
	}
}

/*
 * Whether items a and b are the same record: the same bytes, but for the
 * commitments to the same persons (each occurrence of a person's name in
 * one input is committed to under a salt of its own until the first is
 * sent).
 */
static int
same_record(const struct itk_item *a, const struct itk_item *b)
{
	uint8_t *copy;
	int same = 1;

	if (a->record_len != b->record_len || a->ndisc != b->ndisc)
		return 0;
	if (a->ndisc == 0)
		return memcmp(a->record, b->record, a->record_len) == 0;
	if ((copy = malloc(b->record_len)) == NULL)
		return 0;
	memcpy(copy, b->record, b->record_len);
	for (size_t k = 0; k < a->ndisc && same; k++) {
		const struct jrec_disc *x = &a->disc[k], *y = &b->disc[k];
		size_t at = 0;

		same = strcmp(x->field, y->field) == 0 &&
		    x->value_len == y->value_len && x->value != NULL &&
		    y->value != NULL && memcmp(x->value, y->value,
		    x->value_len) == 0;
		/* y's commitment in the copy: a's there instead */
		while (same && at + 32 <= b->record_len &&
		    memcmp(copy + at, y->commitment, 32) != 0)
			at++;
		same = same && at + 32 <= b->record_len;
		if (same)
			memcpy(copy + at, x->commitment, 32);
	}
	same = same && memcmp(a->record, copy, a->record_len) == 0;
	free(copy);
	return same;
}

/* Remember that id was used at pos (item: its index, or SIZE_MAX). */
static int
note_id(struct itk *t, const char *id, const struct in_pos *pos, size_t item)
{
	if (t->nids == t->capids) {
		size_t ncap = t->capids ? t->capids * 2 : 256;
		struct itk_id *n = realloc(t->ids, ncap * sizeof(*n));

		if (n == NULL)
			return PT_ENOMEM;
		t->ids = n;
		t->capids = ncap;
	}
	if ((t->ids[t->nids].id = strdup(id)) == NULL)
		return PT_ENOMEM;
	t->ids[t->nids].file = pos->file;
	t->ids[t->nids].line = pos->line;
	t->ids[t->nids].item = item;
	t->nids++;
	return 0;
}

/*
 * A CSV row some cells of which could not be read (reported): its other
 * problems, from the record the rest of the row makes, so that one run
 * gives them all.  0 or PT_ENOMEM.
 */
static int
check_partial(struct rctx *c, struct in_rec *r)
{
	struct in_rec pr = *r;
	struct wire_buf rec;
	struct pt_why why = { "" };
	int rc;

	pr.obj = csvin_row_partial(r->row);
	c->nmajor = 0;
	check_json_shapes(c, &pr, pr.obj, "");
	wire_buf_init(&rec);
	c->rec = &pr;
	c->said = 0;
	c->partial = 1;
	rc = jrec_from_json_each(pr.obj, &rec, c->t->discs, record_problem,
	    c, &why);
	if (rc != 0 && rc != PT_ENOMEM && c->said == 0)
		record_problem(c, rc, why.text[0] ? why.text : pt_strerror(rc));
	c->partial = 0;
	c->rec = NULL;
	wire_buf_free(&rec);
	if (c->t->discs != NULL)
		jrec_discs_clear(c->t->discs);
	return rc == PT_ENOMEM ? rc : 0;
}

static int
on_record(void *arg, struct in_rec *r)
{
	struct rctx *c = arg;
	struct itk *t = c->t;
	struct itk_item *it;
	struct wire_buf rec;
	struct pt_why why = { "" };
	json_t *repl;
	const char *id;
	int rc;

	t->records++;
	if (r->obj == NULL) {
		const char *name, *cell;
		size_t col;

		t->invalid++;
		if (r->row != NULL && csvin_row_partial(r->row) != NULL &&
		    (rc = check_partial(c, r)) != 0)
			return rc;
		/* a CSV row with problems may still name its id */
		if (r->row != NULL && csvin_row_locate(r->row, "id", &col,
		    &name, &cell) == 0 && cell[0] != '\0')
			return note_id(t, cell, &r->pos, SIZE_MAX);
		return 0;
	}
	c->bad = 0;
	c->nmajor = 0;
	check_json_shapes(c, r, r->obj, "");
	if (json_is_object(repl = json_object_get(r->obj, "replacement")))
		check_json_shapes(c, r, repl, "replacement.");
	wire_buf_init(&rec);
	if (t->discs != NULL)
		jrec_discs_clear(t->discs);
	c->rec = r;
	c->said = 0;
	if ((rc = jrec_from_json_each(r->obj, &rec, t->discs, record_problem,
	    c, &why)) != 0) {
		if (rc == PT_ENOMEM) {
			json_decref(r->obj);
			return rc;
		}
		/* a problem of the encoding, before the record's check */
		if (c->said == 0)
			record_problem(c, rc, why.text[0] ? why.text :
			    pt_strerror(rc));
	}
	id = json_string_value(json_object_get(r->obj, "id"));
	if (c->bad > 0 || id == NULL) {
		if (c->bad == 0) {
			c->bad++;
			field_problem(c, r, "id", "missing required field");
		}
		t->invalid++;
		rc = id != NULL ? note_id(t, id, &r->pos, SIZE_MAX) : 0;
		wire_buf_free(&rec);
		json_decref(r->obj);
		if (t->discs != NULL)
			jrec_discs_clear(t->discs);
		return rc;
	}
	if (t->nitems == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct itk_item *ni = realloc(t->items, ncap * sizeof(*ni));

		if (ni == NULL) {
			wire_buf_free(&rec);
			json_decref(r->obj);
			return PT_ENOMEM;
		}
		t->items = ni;
		t->cap = ncap;
	}
	it = &t->items[t->nitems];
	memset(it, 0, sizeof(*it));
	it->file = r->pos.file;
	it->line = r->pos.line;
	it->id = strdup(id);
	json_decref(r->obj);
	it->record = rec.data;
	it->record_len = rec.len;
	rec.data = NULL;
	if (t->discs != NULL && t->discs->n > 0) {
		it->disc = calloc(t->discs->n, sizeof(*it->disc));
		if (it->disc != NULL) {
			memcpy(it->disc, t->discs->d, t->discs->n *
			    sizeof(*it->disc));
			it->ndisc = t->discs->n;
			/* the values moved to the item */
			for (size_t i = 0; i < t->discs->n; i++)
				t->discs->d[i].value = NULL;
		}
		jrec_discs_clear(t->discs);
		if (it->disc == NULL) {
			itk_item_clear(it);
			return PT_ENOMEM;
		}
	}
	if (it->id == NULL || note_id(t, it->id, &r->pos, t->nitems) != 0) {
		itk_item_clear(it);
		return PT_ENOMEM;
	}
	t->nitems++;
	if (t->added != NULL)
		t->added(t->added_arg, t->nitems - 1, it);
	return 0;
}

int
itk_add(struct itk *t, json_t *obj, const struct in_pos *pos)
{
	struct rctx c;
	struct in_rec r = { obj, *pos, NULL };

	memset(&c, 0, sizeof(c));
	c.t = t;
	return on_record(&c, &r);
}

static void
on_problem(void *arg, const struct in_pos *pos, const char *field,
    const char *value, int value_json, const char *problem)
{
	struct rctx *c = arg;

	itk_problem(c->t, pos, field, value, value_json, problem);
}

struct idref {
	const char *id;
	size_t i;
};

static int
by_id(const void *a, const void *b)
{
	const struct idref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Every record whose id another record of the input also has is refused,
 * all of them: which one was meant is not for us to guess. */
static int
repeated_ids(struct itk *t)
{
	struct idref *ix;
	size_t *other, i, k, n = t->nids;
	uint8_t *dup;

	if (n < 2)
		return 0;
	ix = calloc(n, sizeof(*ix));
	other = calloc(n, sizeof(*other));
	dup = calloc(n, 1);
	if (ix == NULL || other == NULL || dup == NULL) {
		free(ix);
		free(other);
		free(dup);
		return PT_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ix[i].id = t->ids[i].id;
		ix[i].i = i;
	}
	qsort(ix, n, sizeof(*ix), by_id);
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && strcmp(ix[i].id, ix[k].id) == 0; k++)
			;
		if (k - i < 2)
			continue;
		for (size_t j = i; j < k; j++) {
			dup[ix[j].i] = 1;
			/* the other occurrence to name: the first, or for
			 * the first the second */
			other[ix[j].i] = j == i ? ix[i + 1].i : ix[i].i;
		}
	}
	/* 2: the same record twice (a row pasted twice), before any item
	 * is cleared below */
	for (i = 0; i < n; i++) {
		const struct itk_id *d = &t->ids[i], *o = &t->ids[other[i]];

		if (dup[i] && d->item != SIZE_MAX && o->item != SIZE_MAX &&
		    same_record(&t->items[d->item], &t->items[o->item]))
			dup[i] = 2;
	}
	for (i = 0; i < n; i++) {
		const struct itk_id *d = &t->ids[i], *o = &t->ids[other[i]];
		struct in_pos pos = { d->file, d->line, 0 };
		char msg[600], of[200];

		if (!dup[i])
			continue;
		snprintf(msg, sizeof(msg), "the same id is used again in the "
		    "input (also at %s:%zu)%s", itk_printable(strcmp(o->file,
		    "-") == 0 ? "stdin" : o->file, of, sizeof(of)), o->line,
		    dup[i] == 2 ? ", the same record: take one of them out" :
		    ": if they are two records (document numbers that restart "
		    "each year), give each an id of its own (a CSV's map can "
		    "make one of two columns: id := {Jahr}-{Belegnummer})");
		itk_problem(t, &pos, "id", d->id, 0, msg);
		if (d->item != SIZE_MAX) {
			itk_item_clear(&t->items[d->item]);
			t->invalid++;
		}
	}
	for (i = 0, k = 0; i < t->nitems; i++)
		if (t->items[i].id != NULL)
			t->items[k++] = t->items[i];
	t->nitems = k;
	free(ix);
	free(other);
	free(dup);
	return 0;
}

int
itk_read(struct itk *t, char *const *paths, size_t n,
    const struct in_opts *o)
{
	struct rctx c;
	struct pt_why why = { "" };
	int rc;

	memset(&c, 0, sizeof(c));
	c.t = t;
	for (size_t i = 0; i < n; i++) {
		rc = in_read(paths[i], o, on_record, on_problem, &c, &why);
		if (rc == PT_ENOMEM)
			return rc;
		if (rc != 0) {
			struct in_pos pos = { paths[i], 0, 0 };

			t->files_unread++;
			itk_problem(t, &pos, "file", NULL, 0, why.text[0] ?
			    why.text : pt_strerror(rc));
		}
	}
	return repeated_ids(t);
}
