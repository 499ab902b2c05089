/*
 * input.c: JSON, JSON Lines and CSV record input.
 *
 * JSON files are cut into their top-level values (or, for one top-level
 * array, its elements) by a small scanner that knows strings and
 * brackets, and each value is decoded by jansson on its own: a record's
 * line is where its value starts, and a syntax error is confined to the
 * value it is in as long as the brackets around it still match.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "util.h"

struct rd {
	const char *path;
	in_record_fn fn;
	in_problem_fn pfn;
	void *arg;
};

static void
rd_problem(struct rd *r, size_t line, size_t col, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
rd_problem(struct rd *r, size_t line, size_t col, const char *field,
    const char *fmt, ...)
{
	struct in_pos pos = { r->path, line, col };
	char text[PT_WHY_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->pfn(r->arg, &pos, field, NULL, 0, text);
}

/* ----------------------------------------------------------------- CSV */

static int
csv_row(void *arg, json_t *obj, size_t line, const struct csvin_row *row)
{
	struct rd *r = arg;
	struct in_rec rec = { obj, { r->path, line, 0 }, row };

	return r->fn(r->arg, &rec);
}

static void
csv_err(void *arg, size_t line, size_t col, const char *field,
    const char *value, const char *problem)
{
	struct rd *r = arg;
	struct in_pos pos = { r->path, line, col };

	r->pfn(r->arg, &pos, field, value, 0, problem);
}

/* ---------------------------------------------------------------- JSON */

/* Hand one decoded top-level value over. */
static int
json_value(struct rd *r, const char *b, size_t len, size_t line, size_t col)
{
	struct in_rec rec = { NULL, { r->path, line, 0 }, NULL };
	json_error_t je;
	json_t *v;

	v = json_loadb(b, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (v == NULL) {
		rd_problem(r, line + (size_t)(je.line > 0 ? je.line - 1 : 0),
		    je.line == 1 ? col + (size_t)je.column - 1 :
		    (size_t)(je.column > 0 ? je.column : 0), "json", "%s",
		    je.text);
		return r->fn(r->arg, &rec);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		rd_problem(r, line, col, "json", "a record is a JSON object "
		    "{...}");
		return r->fn(r->arg, &rec);
	}
	rec.obj = v;
	return r->fn(r->arg, &rec);
}

struct scan {
	const char *b;
	size_t len, i;
	size_t line, linestart;
};

static void
scan_ws(struct scan *s)
{
	for (; s->i < s->len; s->i++) {
		char c = s->b[s->i];

		if (c == '\n') {
			s->line++;
			s->linestart = s->i + 1;
		} else if (c != ' ' && c != '\t' && c != '\r')
			break;
	}
}

/* Move past the value at s->i.  0, or -1 when it never ends. */
static int
scan_value(struct scan *s)
{
	int depth = 0, str = 0;

	for (; s->i < s->len; s->i++) {
		char c = s->b[s->i];

		if (c == '\n') {
			s->line++;
			s->linestart = s->i + 1;
		}
		if (str) {
			if (c == '\\')
				s->i++;
			else if (c == '"')
				str = 0;
			if (str == 0 && depth == 0) {
				s->i++;
				return 0;
			}
			continue;
		}
		switch (c) {
		case '"':
			str = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return 0;	/* a scalar's end */
			if (--depth == 0) {
				s->i++;
				return 0;
			}
			break;
		case ',':
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			if (depth == 0)
				return 0;
			break;
		default:
			break;
		}
	}
	return depth == 0 && !str ? 0 : -1;
}

/* The rest of the file does not scan: let jansson say why. */
static void
json_broken(struct rd *r, const struct scan *s, size_t from, size_t line,
    size_t col)
{
	json_error_t je;
	json_t *v = json_loadb(s->b + from, s->len - from,
	    JSON_DISABLE_EOF_CHECK, &je);

	if (v != NULL) {
		json_decref(v);
		rd_problem(r, line, col, "json", "the brackets do not match; "
		    "nothing after this point was read");
		return;
	}
	rd_problem(r, line + (size_t)(je.line > 0 ? je.line - 1 : 0),
	    je.line == 1 ? col + (size_t)je.column - 1 : (size_t)je.column,
	    "json", "%s; nothing after this point was read", je.text);
}

static int
read_json(struct rd *r, const char *b, size_t len)
{
	struct scan s = { b, len, 0, 1, 0 };
	size_t start, line, col;
	int rc, nvalues = 0;

	if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		s.i = s.linestart = 3;
	scan_ws(&s);
	if (s.i < len && b[s.i] == '[') {
		/* One array of records. */
		s.i++;
		for (;;) {
			scan_ws(&s);
			if (s.i < len && b[s.i] == ']' && nvalues == 0) {
				s.i++;
				break;
			}
			start = s.i;
			line = s.line;
			col = s.i - s.linestart + 1;
			if (scan_value(&s) != 0 || s.i == start) {
				json_broken(r, &s, start, line, col);
				return 0;
			}
			nvalues++;
			if ((rc = json_value(r, b + start, s.i - start, line,
			    col)) != 0)
				return rc;
			scan_ws(&s);
			if (s.i < len && b[s.i] == ',') {
				s.i++;
				continue;
			}
			if (s.i < len && b[s.i] == ']') {
				s.i++;
				break;
			}
			rd_problem(r, s.line, s.i - s.linestart + 1, "json",
			    "want ',' or ']' after an element of the array; "
			    "nothing after this point was read");
			return 0;
		}
		scan_ws(&s);
		if (s.i < len)
			rd_problem(r, s.line, s.i - s.linestart + 1, "json",
			    "text after the array");
		return 0;
	}
	/* Objects one after another (one, JSON Lines, pretty-printed). */
	while (scan_ws(&s), s.i < len) {
		start = s.i;
		line = s.line;
		col = s.i - s.linestart + 1;
		if (scan_value(&s) != 0 || s.i == start) {
			json_broken(r, &s, start, line, col);
			return 0;
		}
		nvalues++;
		if ((rc = json_value(r, b + start, s.i - start, line, col)) !=
		    0)
			return rc;
	}
	if (nvalues == 0)
		rd_problem(r, 0, 0, "json", "no records in the file");
	return 0;
}

static int
read_jsonl(struct rd *r, const char *b, size_t len)
{
	size_t pos = 0, line = 0;
	int rc;

	if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *p = b + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - p) : len - pos, k = 0;

		pos += n + 1;
		line++;
		n = ut_rtrim(p, n);
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		if (k == n)
			continue;
		if ((rc = json_value(r, p + k, n - k, line, k + 1)) != 0)
			return rc;
	}
	return 0;
}

static const char *
detect(const char *path, const uint8_t *buf, size_t len)
{
	const char *dot = strrchr(path, '.');
	size_t i = 0;

	if (dot != NULL && strchr(dot, '/') == NULL) {
		if (strcmp(dot, ".csv") == 0 || strcmp(dot, ".tsv") == 0 ||
		    strcmp(dot, ".txt") == 0)
			return "csv";
		if (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".ndjson") == 0)
			return "jsonl";
		if (strcmp(dot, ".json") == 0)
			return "json";
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len && (buf[i] == ' ' || buf[i] == '\t' ||
	    buf[i] == '\r' || buf[i] == '\n'); i++)
		;
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		return "json";
	return "csv";
}

int
in_read(const char *path, const struct in_opts *o, in_record_fn fn,
    in_problem_fn pfn, void *arg, struct pt_why *why)
{
	struct rd r = { path, fn, pfn, arg };
	uint8_t *buf;
	size_t len;
	const char *fmt;
	int rc;

	if ((rc = ut_read_input(path, IN_MAX_FILE, &buf, &len, why)) != 0)
		return rc;
	fmt = o != NULL && o->format != NULL ? o->format :
	    detect(path, buf, len);
	if (strcmp(fmt, "csv") == 0) {
		struct csvin_opts co;
		const char *dot = strrchr(path, '.');

		if (o != NULL)
			co = o->csv;
		else
			memset(&co, 0, sizeof(co));
		/* a .tsv file is tab-separated by its name (a header cell
		 * such as "Fee (USD, incl. tax)" holds a comma) */
		if (co.delimiter == 0 && dot != NULL &&
		    strcmp(dot, ".tsv") == 0)
			co.delimiter = '\t';
		rc = csvin_parse(buf, len, &co, csv_row, csv_err, &r);
	} else if (len >= 2 && ((buf[0] == 0xff && buf[1] == 0xfe) ||
	    (buf[0] == 0xfe && buf[1] == 0xff))) {
		/* JSON is UTF-8 (RFC 8259): one problem, not one a line */
		struct in_pos pos = { path, 1, 0 };

		pfn(arg, &pos, "json", NULL, 0, "the file is UTF-16: save it "
		    "as UTF-8");
		rc = 0;
	} else if (strcmp(fmt, "jsonl") == 0)
		rc = read_jsonl(&r, (const char *)buf, len);
	else if (strcmp(fmt, "json") == 0)
		rc = read_json(&r, (const char *)buf, len);
	else
		rc = pt_why_set(why, PT_EINVAL, "unknown input format %s",
		    fmt);
	free(buf);
	return rc;
}
