/* input.c: JSON, JSON Lines and CSV record input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "util.h"

struct csvctx {
	const char *path;
	in_record_fn fn;
	void *arg;
};

static int
csv_row(void *arg, json_t *obj, size_t row)
{
	struct csvctx *c = arg;
	char where[300];

	snprintf(where, sizeof(where), "%.256s:%zu", c->path, row);
	return c->fn(c->arg, obj, where);
}

static const char *
detect(const char *path, const uint8_t *buf, size_t len)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot != NULL && strchr(dot, '/') == NULL) {
		if (strcmp(dot, ".csv") == 0)
			return "csv";
		if (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".ndjson") == 0)
			return "jsonl";
		if (strcmp(dot, ".json") == 0)
			return "json";
	}
	for (i = 0; i < len && (buf[i] == ' ' || buf[i] == '\t' ||
	    buf[i] == '\r' || buf[i] == '\n'); i++)
		;
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		return "json";
	return "csv";
}

static int
read_jsonl(const char *path, char *buf, in_record_fn fn, void *arg,
    struct pt_why *why)
{
	char where[300], *p, *nl;
	size_t line = 1;
	int rc;

	for (p = buf; p != NULL && *p != '\0'; p = nl, line++) {
		json_t *o;
		json_error_t je;
		size_t n;

		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		n = ut_rtrim(p, strlen(p));
		p[n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			continue;
		o = json_loads(p, JSON_REJECT_DUPLICATES, &je);
		if (o == NULL)
			return pt_why_set(why, PT_EMALFORMED, "%.256s:%zu: %s",
			    path, line, je.text);
		if (!json_is_object(o)) {
			json_decref(o);
			return pt_why_set(why, PT_EMALFORMED, "%.256s:%zu: a "
			    "record is a JSON object", path, line);
		}
		snprintf(where, sizeof(where), "%.256s:%zu", path, line);
		if ((rc = fn(arg, o, where)) != 0)
			return rc;
	}
	return 0;
}

int
in_read(const char *path, const struct in_opts *o, in_record_fn fn,
    void *arg, struct pt_why *why)
{
	uint8_t *buf;
	size_t len;
	const char *fmt;
	char where[300];
	int rc;

	if ((rc = ut_read_input(path, IN_MAX_FILE, &buf, &len, why)) != 0)
		return rc;
	fmt = o != NULL && o->format != NULL ? o->format :
	    detect(path, buf, len);
	if (strcmp(fmt, "csv") == 0) {
		struct csvctx c = { path, fn, arg };
		struct csvin_opts none = { NULL, NULL };

		rc = csvin_parse(buf, len, o != NULL ? &o->csv : &none,
		    csv_row, &c, why);
	} else if (strcmp(fmt, "jsonl") == 0) {
		rc = read_jsonl(path, (char *)buf, fn, arg, why);
	} else if (strcmp(fmt, "json") == 0) {
		json_error_t je;
		json_t *v = json_loadb((const char *)buf, len,
		    JSON_REJECT_DUPLICATES, &je);

		if (v == NULL) {
			/* Several objects one after another: JSON Lines. */
			if (je.line > 1 && strstr(je.text, "end of file") !=
			    NULL)
				rc = read_jsonl(path, (char *)buf, fn, arg, why);
			else
				rc = pt_why_set(why, PT_EMALFORMED,
				    "%.256s:%d: %s", path, je.line, je.text);
		} else if (json_is_object(v)) {
			snprintf(where, sizeof(where), "%.256s", path);
			rc = fn(arg, v, where);
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;

			rc = 0;
			json_array_foreach(v, i, e) {
				if (!json_is_object(e)) {
					rc = pt_why_set(why, PT_EMALFORMED,
					    "%.256s[%zu]: a record is a JSON "
					    "object", path, i);
					break;
				}
				snprintf(where, sizeof(where), "%.256s[%zu]",
				    path, i);
				json_incref(e);
				if ((rc = fn(arg, e, where)) != 0)
					break;
			}
			json_decref(v);
		} else {
			json_decref(v);
			rc = pt_why_set(why, PT_EMALFORMED, "%.256s: a record is "
			    "a JSON object", path);
		}
	} else
		rc = pt_why_set(why, PT_EINVAL, "unknown input format %s",
		    fmt);
	free(buf);
	return rc;
}
