/*
 * csvin.c: CSV rows to JSON record objects, with libcsv.
 *
 * libcsv is run with CSV_REPALL_NL so that every unquoted line end is
 * reported: the physical line of each row is then the count of line feeds
 * before it (unquoted ones, and those inside quoted cells of earlier
 * rows), which keeps FILE:LINE exact across blank lines and multi-line
 * cells.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <utf8proc.h>

#include "csvin.h"
#include "num.h"
#include "ptlimits.h"
#include "record.h"
#include "util.h"

enum vkind {
	V_STR,		/* as is */
	V_INT,		/* integer (minor units, indexes, years) */
	V_MONEY,	/* decimal in major units -> minor units */
	V_DATE,		/* first 10 chars of an ISO date-time */
	V_DECISION,	/* free-text status -> schema decision */
	V_MAPPED,	/* BLDS StatusCurrentMapped -> schema decision */
	V_CHECK,	/* StatusCurrent beside StatusCurrentMapped: checked */
	V_IGNORE,	/* known column with no schema field, or mapped to "-" */
	V_ADDR2,	/* a second address line: after line1, a comma between */
	V_UNNAMED,	/* empty header cell: its cells must be empty */
};

/* Accepted column names: shown as written here, matched normalised. */
static const struct colname {
	const char *name;
	const char *path;
	enum vkind kind;
	int blds;
} colnames[] = {
	{ "id", "id", V_STR, 0 },
	{ "type", "type", V_STR, 0 },
	{ "date", "date", V_DATE, 0 },
	{ "amount", "amount_minor", V_MONEY, 0 },
	{ "amount_minor", "amount_minor", V_INT, 0 },
	{ "currency", "currency", V_STR, 0 },
	{ "description", "description", V_STR, 0 },
	{ "ocid", "ocid", V_STR, 0 },
	{ "contract_id", "contract_id", V_STR, 0 },
	{ "source_uri", "source_uri", V_STR, 0 },
	{ "payer.kind", "payer.kind", V_STR, 0 },
	{ "payer.scheme", "payer.scheme", V_STR, 0 },
	{ "payer.id", "payer.id", V_STR, 0 },
	{ "payer.name", "payer.name", V_STR, 0 },
	{ "payee.kind", "payee.kind", V_STR, 0 },
	{ "payee.scheme", "payee.scheme", V_STR, 0 },
	{ "payee.id", "payee.id", V_STR, 0 },
	{ "payee.name", "payee.name", V_STR, 0 },
	{ "budget.admin", "budget.admin", V_STR, 0 },
	{ "budget.economic", "budget.economic", V_STR, 0 },
	{ "budget.functional", "budget.functional", V_STR, 0 },
	{ "budget.fiscal_year", "budget.fiscal_year", V_INT, 0 },
	{ "permit_num", "permit_num", V_STR, 0 },
	{ "permit_type", "permit_type", V_STR, 0 },
	{ "decision", "decision", V_DECISION, 0 },
	{ "decision_date", "decision_date", V_DATE, 0 },
	{ "applied_date", "applied_date", V_DATE, 0 },
	{ "issued_date", "issued_date", V_DATE, 0 },
	{ "expires_date", "expires_date", V_DATE, 0 },
	{ "fee", "fee_minor", V_MONEY, 0 },
	{ "fee_minor", "fee_minor", V_INT, 0 },
	{ "est_project_cost", "est_project_cost_minor", V_MONEY, 0 },
	{ "est_project_cost_minor", "est_project_cost_minor", V_INT, 0 },
	{ "link", "link", V_STR, 0 },
	{ "address.line1", "address.line1", V_STR, 0 },
	{ "address.city", "address.city", V_STR, 0 },
	{ "address.state", "address.state", V_STR, 0 },
	{ "address.zip", "address.zip", V_STR, 0 },
	{ "applicant.kind", "applicant.kind", V_STR, 0 },
	{ "applicant.scheme", "applicant.scheme", V_STR, 0 },
	{ "applicant.id", "applicant.id", V_STR, 0 },
	{ "applicant.name", "applicant.name", V_STR, 0 },
	{ "jurisdiction.kind", "jurisdiction.kind", V_STR, 0 },
	{ "jurisdiction.scheme", "jurisdiction.scheme", V_STR, 0 },
	{ "jurisdiction.id", "jurisdiction.id", V_STR, 0 },
	{ "jurisdiction.name", "jurisdiction.name", V_STR, 0 },
	{ "action", "action", V_STR, 0 },
	{ "reason", "reason", V_STR, 0 },
	{ "target_index", "target_index", V_INT, 0 },
	{ "target_leaf_hash", "target_leaf_hash", V_STR, 0 },
	/* BLDS core permits (permitdata.org) */
	{ "PermitNum", "permit_num", V_STR, 1 },
	{ "AppliedDate", "applied_date", V_DATE, 1 },
	{ "IssuedDate", "issued_date", V_DATE, 1 },
	{ "ExpiresDate", "expires_date", V_DATE, 1 },
	{ "StatusCurrent", "decision", V_DECISION, 1 },
	{ "StatusCurrentMapped", "decision", V_MAPPED, 1 },
	{ "StatusDate", "decision_date", V_DATE, 1 },
	{ "OriginalAddress1", "address.line1", V_STR, 1 },
	{ "OriginalAddress2", "address.line1", V_ADDR2, 1 },
	{ "OriginalCity", "address.city", V_STR, 1 },
	{ "OriginalState", "address.state", V_STR, 1 },
	{ "OriginalZip", "address.zip", V_STR, 1 },
	{ "Jurisdiction", "jurisdiction.name", V_STR, 1 },
	{ "PermitType", "permit_type", V_STR, 1 },
	{ "EstProjectCost", "est_project_cost_minor", V_MONEY, 1 },
	{ "Fee", "fee_minor", V_MONEY, 1 },
	{ "Link", "link", V_STR, 1 },
	/* BLDS columns the schema has no field for */
	{ "CompletedDate", NULL, V_IGNORE, 1 },
	{ "PermitClass", NULL, V_IGNORE, 1 },
	{ "PermitClassMapped", NULL, V_IGNORE, 1 },
	{ "WorkClass", NULL, V_IGNORE, 1 },
	{ "WorkClassMapped", NULL, V_IGNORE, 1 },
	{ "PermitTypeMapped", NULL, V_IGNORE, 1 },
	{ "PermitTypeDesc", NULL, V_IGNORE, 1 },
	{ "ProposedUse", NULL, V_IGNORE, 1 },
	{ "HousingUnits", NULL, V_IGNORE, 1 },
	{ "PIN", NULL, V_IGNORE, 1 },
	{ "ContractorCompanyName", NULL, V_IGNORE, 1 },
	{ "ContractorTrade", NULL, V_IGNORE, 1 },
	{ "ContractorTradeMapped", NULL, V_IGNORE, 1 },
	{ "ContractorLicNum", NULL, V_IGNORE, 1 },
	{ "ContractorStateLic", NULL, V_IGNORE, 1 },
	{ "MasterPermitNum", NULL, V_IGNORE, 1 },
	{ "Latitude", NULL, V_IGNORE, 1 },
	{ "Longitude", NULL, V_IGNORE, 1 },
	{ "TotalSqFt", NULL, V_IGNORE, 1 },
	{ "VoidDate", NULL, V_IGNORE, 1 },
	{ "StatusDateMapped", NULL, V_IGNORE, 1 },
};
#define NCOLNAMES (sizeof(colnames) / sizeof(colnames[0]))

/* BLDS StatusCurrentMapped values: decisions, and stages that are not. */
static const struct {
	const char *value;
	const char *decision;	/* NULL: not a decision */
} blds_mapped[] = {
	{ "Application Accepted", NULL },
	{ "In Review", NULL },
	{ "Permit Issued", "issued" },
	{ "Inspection Phase", NULL },
	{ "Permit Finaled", "finaled" },
	{ "Permit Cancelled", "cancelled" },
	{ "Permit Canceled", "cancelled" },
};

void
csvin_accepted(char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < NCOLNAMES; i++) {
		int w;

		if (colnames[i].kind == V_IGNORE)
			continue;
		w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "",
		    colnames[i].name);
		if (w < 0 || (size_t)w >= cap - n) {
			out[n] = '\0';
			break;
		}
		n += (size_t)w;
	}
}

/* Lower-case, without blanks, "_" and "-". */
static void
normalise(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < cap; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == ' ' || c == '_' || c == '-' || c == '\t')
			continue;
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
}

static const struct colname *
find_colname(const char *name)
{
	char norm[128], cn[128];

	if (strlen(name) >= sizeof(norm))
		return NULL;
	normalise(name, norm, sizeof(norm));
	for (size_t i = 0; i < NCOLNAMES; i++) {
		normalise(colnames[i].name, cn, sizeof(cn));
		if (strcmp(norm, cn) == 0)
			return &colnames[i];
	}
	return NULL;
}

/* Copy s[0..len) without surrounding blanks into a fresh string. */
static char *
trimdup(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		len--;
	return ut_strndup(s, len);
}

/* The offset of the first byte of s[0..n) that is not UTF-8 text, or n
 * (utf8proc decodes; a Windows-1252 or Latin-1 "ä" is one byte that
 * starts no valid sequence). */
static size_t
utf8_bad_at(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;

		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(n - i > 4 ? 4 : n - i), &cp);
		if (k <= 0 || cp < 0)
			return i;
		i += (size_t)k;
	}
	return n;
}

/* ------------------------------------------------------------- the map */

struct csvin_map {
	size_t n;
	struct {
		char *name;		/* header cell; NULL for a constant */
		char *field;		/* "-" = ignore */
		char *value;		/* a constant's value, a cell's word */
		char *cell;		/* FIELD: CELL => VALUE: the office's
					 * word CELL in FIELD's column reads
					 * as VALUE; else NULL */
	} e[CSVIN_MAP_ENTRIES];
};

void
csvin_map_free(struct csvin_map *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].name);
		free(m->e[i].field);
		free(m->e[i].value);
		free(m->e[i].cell);
	}
	free(m);
}

/* Where entry line of a map is: "FILE:LINE", or "entry N" of --map's
 * comma-separated text. */
static const char *
map_where(char *buf, size_t cap, const char *src, size_t line, char sep)
{
	if (sep == ',')
		snprintf(buf, cap, "entry %zu", line);
	else
		snprintf(buf, cap, "%.200s:%zu", src, line);
	return buf;
}

/* Every { of v has its } after a name, without a brace between. */
static int
braces_ok(const char *v)
{
	for (; *v != '\0'; v++) {
		const char *e;

		if (*v == '}')
			return 0;
		if (*v != '{')
			continue;
		if ((e = strpbrk(v + 1, "{}")) == NULL || *e != '}' ||
		    e == v + 1)
			return 0;
		v = e;
	}
	return 1;
}

/* Parse entries separated by sep ('\n' for a file, ',' inline). */
static int
map_parse(const char *src, const char *text, size_t len, char sep,
    struct csvin_map **out, struct pt_why *why)
{
	struct csvin_map *m;
	size_t pos = 0, line = 0, bad;
	char wh[240];

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	if ((bad = utf8_bad_at(text + pos, len - pos)) < len - pos) {
		for (size_t i = pos; i < pos + bad; i++)
			line += text[i] == sep;
		return pt_why_set(why, PT_EMALFORMED, "%s: not UTF-8 text "
		    "(byte 0x%02X; a Windows or Latin-1 file? save it as "
		    "UTF-8)", map_where(wh, sizeof(wh), src, line + 1, sep),
		    (unsigned char)text[pos + bad]);
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return PT_ENOMEM;
	while (pos <= len) {
		const char *s = text + pos, *end, *eq = NULL;
		size_t n;
		char *name, *field, *value;

		end = memchr(s, sep, len - pos);
		n = end != NULL ? (size_t)(end - s) : len - pos;
		pos += n + 1;
		line++;
		map_where(wh, sizeof(wh), src, line, sep);
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '=')
				eq = s + i;
			if (s[i] == '\0') {
				csvin_map_free(m);
				return pt_why_set(why, PT_EMALFORMED, "%s: a NUL "
				    "byte", wh);
			}
		}
		/* blank, or a comment */
		{
			size_t k = 0;

			while (k < n && (s[k] == ' ' || s[k] == '\t' ||
			    s[k] == '\r'))
				k++;
			if (k == n || s[k] == '#')
				continue;
		}
		if (eq == NULL) {
			csvin_map_free(m);
			return pt_why_set(why, PT_EMALFORMED, "%s: want NAME "
			    "= FIELD, or FIELD := VALUE%s", wh, sep == ',' ?
			    " (--map splits its text at every comma: a value "
			    "with a comma goes in a map file)" : "");
		}
		if (m->n == CSVIN_MAP_ENTRIES) {
			csvin_map_free(m);
			return pt_why_set(why, PT_ETOOBIG, "%.200s: more than %d "
			    "mappings", src, CSVIN_MAP_ENTRIES);
		}
		/* FIELD: CELL => VALUE: a word of the office's for one of
		 * the log's (decision: Genehmigt => issued) */
		{
			const char *ar = NULL, *colon;
			char *f, *c, *v;
			const struct colname *cn;

			for (size_t i = 0; i + 1 < n; i++)
				if (s[i] == '=' && s[i + 1] == '>') {
					ar = s + i;
					break;
				}
			if (ar != NULL) {
				colon = memchr(s, ':', (size_t)(ar - s));
				if (colon == NULL) {
					csvin_map_free(m);
					return pt_why_set(why, PT_EMALFORMED,
					    "%s: want FIELD: WORD => VALUE (a "
					    "word of the office's in FIELD's "
					    "column read as VALUE)", wh);
				}
				f = trimdup(s, (size_t)(colon - s));
				c = trimdup(colon + 1, (size_t)(ar - colon) - 1);
				v = trimdup(ar + 2, n - (size_t)(ar - s) - 2);
				if (f == NULL || c == NULL || v == NULL) {
					free(f);
					free(c);
					free(v);
					csvin_map_free(m);
					return PT_ENOMEM;
				}
				m->e[m->n].name = NULL;
				m->e[m->n].field = f;
				m->e[m->n].cell = c;
				m->e[m->n].value = v;
				m->n++;
				if (f[0] == '\0' || c[0] == '\0' || v[0] == '\0' ||
				    (cn = find_colname(f)) == NULL) {
					pt_why_set(why, PT_EMALFORMED, "%s: want "
					    "FIELD: WORD => VALUE, FIELD a field "
					    "(decision, payee.kind, ...)", wh);
					csvin_map_free(m);
					return PT_EMALFORMED;
				}
				for (size_t i = 0; i + 1 < m->n; i++)
					if (m->e[i].cell != NULL &&
					    strcmp(find_colname(m->e[i].field)->
					    path, cn->path) == 0 &&
					    strcasecmp(m->e[i].cell, c) == 0) {
						pt_why_set(why, PT_EMALFORMED,
						    "%s: \"%.60s\" in %s is "
						    "given twice", wh, c, f);
						csvin_map_free(m);
						return PT_EMALFORMED;
					}
				continue;
			}
		}
		/* FIELD := VALUE: a constant; NAME = FIELD: a column */
		{
			const char *ce = NULL;

			for (size_t i = 0; i + 1 < n; i++)
				if (s[i] == ':' && s[i + 1] == '=') {
					ce = s + i;
					break;
				}
			if (ce != NULL) {
				name = NULL;
				field = trimdup(s, (size_t)(ce - s));
				value = trimdup(ce + 2, n - (size_t)(ce - s) - 2);
			} else {
				name = trimdup(s, (size_t)(eq - s));
				field = trimdup(eq + 1, n - (size_t)(eq - s) - 1);
				value = NULL;
			}
			if ((ce == NULL && name == NULL) || field == NULL ||
			    (ce != NULL && value == NULL)) {
				free(name);
				free(field);
				free(value);
				csvin_map_free(m);
				return PT_ENOMEM;
			}
		}
		m->e[m->n].name = name;
		m->e[m->n].field = field;
		m->e[m->n].value = value;
		m->n++;
		if ((name != NULL && name[0] == '\0') || field[0] == '\0' ||
		    (value != NULL && value[0] == '\0')) {
			csvin_map_free(m);
			return pt_why_set(why, PT_EMALFORMED, "%s: want NAME "
			    "= FIELD (FIELD \"-\" ignores the column), or "
			    "FIELD := VALUE", wh);
		}
		/* "payer.name := Office A   # see wiki" would log the
		 * comment: comments are whole lines */
		if (value != NULL && (strstr(value, " #") != NULL ||
		    strstr(value, "\t#") != NULL)) {
			csvin_map_free(m);
			return pt_why_set(why, PT_EMALFORMED, "%s: a \"#\" after "
			    "the value would be logged with it: a comment is a "
			    "line of its own, starting with #", wh);
		}
		if (value != NULL && !braces_ok(value)) {
			csvin_map_free(m);
			return pt_why_set(why, PT_EMALFORMED, "%s: want {NAME} "
			    "with NAME a column of the export: in a constant, "
			    "{NAME} takes that column's cell (id := {Jahr}-"
			    "{Belegnummer}); a brace of its own cannot be "
			    "given", wh);
		}
		if ((value != NULL || strcmp(field, "-") != 0) &&
		    find_colname(field) == NULL) {
			pt_why_set(why, PT_EMALFORMED, "%s: \"%.40s\" is not a "
			    "field; accepted: see pubtrail(1) (amount, id, "
			    "payee.name, ...)", wh, field);
			csvin_map_free(m);
			return PT_EMALFORMED;
		}
		for (size_t i = 0; i + 1 < m->n; i++)
			if ((name != NULL && m->e[i].name != NULL &&
			    strcmp(m->e[i].name, name) == 0) ||
			    (name == NULL && m->e[i].name == NULL &&
			    m->e[i].cell == NULL &&
			    strcmp(m->e[i].field, field) == 0)) {
				pt_why_set(why, PT_EMALFORMED, "%s: \"%.60s\" "
				    "is given twice", wh, name != NULL ? name :
				    field);
				csvin_map_free(m);
				return PT_EMALFORMED;
			}
	}
	*out = m;
	return 0;
}

int
csvin_map_load(const char *arg, struct csvin_map **out, struct pt_why *why)
{
	uint8_t *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (strchr(arg, '=') != NULL)
		return map_parse("--map", arg, strlen(arg), ',', out, why);
	if ((rc = ut_read_file(arg, CSVIN_MAP_MAX, &buf, &len, why)) != 0)
		return rc;
	rc = map_parse(arg, (const char *)buf, len, '\n', out, why);
	free(buf);
	return rc;
}

/* The log's word for cell in a column of field path, when the map gives
 * one (FIELD: CELL => VALUE, CELL matched ignoring ASCII case); else
 * cell. */
static const char *
map_word(const struct csvin_map *m, const char *path, const char *cell)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct colname *cn;

		if (m->e[i].cell == NULL || strcasecmp(m->e[i].cell, cell) != 0)
			continue;
		cn = find_colname(m->e[i].field);
		if (cn != NULL && strcmp(cn->path, path) == 0)
			return m->e[i].value;
	}
	return cell;
}

static const char *
map_find(const struct csvin_map *m, const char *name)
{
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].name != NULL && strcmp(m->e[i].name, name) == 0)
			return m->e[i].field;
	return NULL;
}

/* A constant of the map takes column name: {name} is in its value. */
static int
map_refers(const struct csvin_map *m, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; m != NULL && i < m->n; i++) {
		const char *v = m->e[i].name == NULL && m->e[i].cell == NULL ?
		    m->e[i].value : NULL;

		while (v != NULL && (v = strchr(v, '{')) != NULL) {
			if (strncmp(v + 1, name, nl) == 0 && v[1 + nl] == '}')
				return 1;
			v++;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the parse */

struct col {
	char *name;		/* header cell, trimmed; a constant's field */
	const char *path;	/* field path, NULL = none */
	enum vkind kind;
	const char *constant;	/* a map constant's value (borrowed) */
	/* A constant with {NAME} in it (id := {Jahr}-{Beleg}): the file's
	 * columns it takes, in order; problems are said at the first. */
	size_t *refs;
	size_t nrefs;
	size_t at;		/* the column problems are said at (1-based;
				 * 0: a plain constant, at no column) */
};

/* Columns 0..ncols-1 are the file's; after them come the map's
 * constants, as if each were a column holding its value in every row. */
struct csvin_row {
	const struct col *cols;
	size_t ncols;		/* the file's columns */
	size_t nall;		/* and the constants */
	char *const *cells;
	size_t ncells;
	/* A row whose cells were not all read: failed[i] for cell i, and
	 * the record built from the rest (see csvin_row_partial). */
	const unsigned char *failed;
	json_t *partial;
};

struct parse {
	int company_unmeant;	/* data_row: defaults() refused a party */
	const struct csvin_opts *o;
	csvin_row_fn fn;
	csvin_err_fn efn;
	void *arg;
	int rc;			/* fatal: stop */
	int bad_header;		/* the header failed: rows are not read */
	size_t lf;		/* line ends before the current row */
	size_t row_lf;		/* line ends inside the current row's cells */
	char nl;		/* the line end: '\n' (LF, CR LF), or '\r' in
				 * a file of CR line ends only */
	char crmark;		/* stands in for a CR alone inside a row of
				 * an LF file (0: none there) */
	size_t chunk_end;	/* offset of the end of the line being read */
	size_t chunk_line;	/* and its number */
	size_t row_off;		/* offset where the current row begins */
	struct col *cols;
	size_t ncols;		/* the header's columns */
	size_t nall;		/* and the map's constants */
	char **cells;
	size_t ncells, capcells;
	int have_header;
	int sep_line;		/* a first line "sep=X": skipped */
	size_t line0;		/* lines skipped before buf (--header-line) */
	const uint8_t *buf;	/* what read_rows reads, for title_above */
	size_t len;
	char delim;
};

static void
problem(struct parse *p, size_t line, size_t col, const char *field,
    const char *value, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void
problem(struct parse *p, size_t line, size_t col, const char *field,
    const char *value, const char *fmt, ...)
{
	char text[2 * PT_WHY_MAX + 2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	p->efn(p->arg, line, col, field, value, text);
}

int
csvin_row_locate(const struct csvin_row *row, const char *path, size_t *col,
    const char **name, const char **cell)
{
	size_t pl = strlen(path);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < row->nall && i < row->ncells; i++) {
			const char *cp = row->cols[i].path;
			size_t cl;

			if (cp == NULL)
				continue;
			cl = strlen(cp);
			if (pass == 0 ? strcmp(cp, path) != 0 :
			    !((cl > pl && strncmp(cp, path, pl) == 0 &&
			    cp[pl] == '.') || (pl > cl &&
			    strncmp(path, cp, cl) == 0 && path[cl] == '.')))
				continue;
			*col = i < row->ncols ? i + 1 : row->cols[i].at;
			*name = row->cols[i].name;
			*cell = row->cells[i];
			return 0;
		}
	}
	return PT_ENOTFOUND;
}

/* A field defaults() makes when no column sets it. */
static int
made_by_defaults(const char *path)
{
	size_t n = strlen(path);

	return strcmp(path, "id") == 0 || strcmp(path, "type") == 0 ||
	    strcmp(path, "currency") == 0 ||
	    (n > 5 && strcmp(path + n - 5, ".kind") == 0);
}

int
csvin_row_failed(const struct csvin_row *row, const char *path)
{
	size_t col;
	const char *name, *cell;

	if (row->failed == NULL)
		return 0;
	if (csvin_row_locate(row, path, &col, &name, &cell) != 0)
		return made_by_defaults(path);
	for (size_t i = 0; i < row->nall && i < row->ncells; i++)
		if (row->cells[i] == cell)
			return row->failed[i];
	return 0;
}

json_t *
csvin_row_partial(const struct csvin_row *row)
{
	return row->partial;
}

/* Set obj[path] = v (a new reference, taken), creating objects. */
static int
set_path(json_t *obj, const char *path, json_t *v)
{
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		char seg[64];
		size_t n = (size_t)(dot - path);
		json_t *sub;

		if (n >= sizeof(seg)) {
			json_decref(v);
			return PT_ETOOBIG;
		}
		memcpy(seg, path, n);
		seg[n] = '\0';
		sub = json_object_get(obj, seg);
		if (sub == NULL) {
			if ((sub = json_object()) == NULL ||
			    json_object_set_new(obj, seg, sub) != 0) {
				json_decref(v);
				return PT_ENOMEM;
			}
		}
		obj = sub;
		path = dot + 1;
	}
	return json_object_set_new(obj, path, v) == 0 ? 0 : PT_ENOMEM;
}

/* Free-text status to the schema's spelling ("Canceled" -> cancelled). */
static const char *
decision_of(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < cap; s++)
		buf[n++] = *s == ' ' || *s == '-' ? '_' :
		    (char)tolower((unsigned char)*s);
	buf[n] = '\0';
	if (strcmp(buf, "canceled") == 0)
		return "cancelled";
	if (strcmp(buf, "final") == 0 || strcmp(buf, "finalled") == 0)
		return "finaled";
	return buf;
}

/* How to map the column name: "--map 'NAME=FIELD'" as a shell takes it (a
 * quote in NAME as '\''), or, for a name an inline map cannot hold (a
 * comma, which separates inline mappings), the line of a map file. */
static void
map_hint(const char *name, char *out, size_t cap)
{
	size_t n = 0, k = 0;

	if (strchr(name, ',') != NULL) {
		snprintf(out, cap, "a map file line \"%.60s = FIELD\" with "
		    "--map FILE", name);
		return;
	}
	n = (size_t)snprintf(out, cap, "--map '");
	for (k = 0; name[k] != '\0' && k < 60 && n + 8 < cap; k++) {
		if (name[k] == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else
			out[n++] = name[k];
	}
	snprintf(out + n, cap - n, "=FIELD'");
}

/*
 * The columns a constant's {NAME}s take (c->refs), each NAME exactly a
 * header cell.  0, or 1 after saying what is wrong.
 */
static int
template_cols(struct parse *p, size_t line, struct col *c)
{
	const char *v = c->constant, *o, *e;
	char rest[512];
	size_t n = 0;

	for (o = v; (o = strchr(o, '{')) != NULL; o++)
		n++;
	if ((c->refs = calloc(n ? n : 1, sizeof(*c->refs))) == NULL) {
		p->rc = PT_ENOMEM;
		return 1;
	}
	/* braces_ok(v): each { has its } after a name */
	for (o = v; (o = strchr(o, '{')) != NULL; o = e + 1) {
		size_t i, len;

		e = strchr(o + 1, '}');
		len = (size_t)(e - o - 1);
		for (i = 0; i < p->ncols; i++)
			if (strlen(p->cols[i].name) == len &&
			    memcmp(p->cols[i].name, o + 1, len) == 0)
				break;
		if (i == p->ncols) {
			rest[0] = '\0';
			n = 0;
			for (size_t k = 0; k < p->ncols && n < sizeof(rest) - 1;
			    k++)
				if (p->cols[k].name[0] != '\0')
					n += (size_t)snprintf(rest + n,
					    sizeof(rest) - n, "%s\"%.60s\"",
					    n ? ", " : "", p->cols[k].name);
			problem(p, line, 0, c->name, v, "the map's constant "
			    "takes column \"%.*s\", and this file's header "
			    "has no such column (the header's columns: %s)",
			    (int)(len > 60 ? 60 : len), o + 1, rest);
			return 1;
		}
		if (c->nrefs == 0)
			c->at = i + 1;
		c->refs[c->nrefs++] = i;
	}
	return 0;
}

/* The cell of template column c in the current row, made of the cells it
 * takes (""  when all of them are empty): malloc'd, or NULL. */
static char *
template_cell(const struct parse *p, const struct col *c)
{
	size_t len = strlen(c->constant) + 1, k = 0, empty = 0;
	const char *v;
	char *out, *w;

	for (size_t j = 0; j < c->nrefs; j++) {
		len += strlen(p->cells[c->refs[j]]);
		empty += p->cells[c->refs[j]][0] == '\0';
	}
	if (empty == c->nrefs)
		return strdup("");
	if ((out = malloc(len)) == NULL)
		return NULL;
	for (v = c->constant, w = out; *v != '\0'; v++) {
		if (*v != '{') {
			*w++ = *v;
			continue;
		}
		w = stpcpy(w, p->cells[c->refs[k++]]);
		v = strchr(v, '}');
	}
	*w = '\0';
	return out;
}

/* The first column template column c takes whose cell is empty while
 * another's is not (a cell missing from a made id), or SIZE_MAX. */
static size_t
template_gap(const struct parse *p, const struct col *c)
{
	size_t gap = SIZE_MAX, full = 0;

	for (size_t j = 0; j < c->nrefs; j++) {
		if (p->cells[c->refs[j]][0] != '\0')
			full++;
		else if (gap == SIZE_MAX)
			gap = c->refs[j];
	}
	return full > 0 ? gap : SIZE_MAX;
}

/* Whether a header cell name is a column this run reads: an accepted
 * name, one the map names, or one its constants take. */
static int
known_column(const struct parse *p, const char *name)
{
	return name[0] != '\0' && (find_colname(name) != NULL ||
	    map_find(p->o->map, name) != NULL || map_refers(p->o->map, name));
}

/*
 * A header row (line) of which no column is known, with a row of known
 * columns a few lines below it: a title or a report's heading above the
 * header, as spreadsheet reports have them ("Auszahlungsliste Dezember
 * 2026").  Said once, naming the line that looks like the header and
 * the option that reads from it, instead of each column as unknown.  -1
 * when said, else 0.  The lines below are split at the delimiter only (a
 * hint: quotes are not read).
 */
static int
title_above(struct parse *p, size_t line)
{
	size_t off = p->chunk_end, at = p->chunk_line + 1;

	for (size_t i = 0; i < p->ncells; i++)
		if (known_column(p, p->cells[i]))
			return 0;
	for (int k = 0; k < 30 && off < p->len; k++, at++) {
		const char *l = (const char *)p->buf + off;
		const char *e = memchr(l, p->nl, p->len - off);
		size_t ll = e != NULL ? (size_t)(e - l) : p->len - off;
		size_t known = 0, cells = 0;

		for (size_t a = 0; a <= ll; ) {
			const char *d = memchr(l + a, p->delim, ll - a);
			size_t b = d != NULL ? (size_t)(d - l) : ll;
			char *t = trimdup(l + a, b - a);

			if (t == NULL)
				return 0;
			/* a quoted name, and CR of a CR LF line */
			if (t[0] == '"' && strlen(t) > 1 &&
			    t[strlen(t) - 1] == '"') {
				memmove(t, t + 1, strlen(t));
				t[strlen(t) - 1] = '\0';
			}
			if (t[0] != '\0' && t[strlen(t) - 1] == '\r')
				t[strlen(t) - 1] = '\0';
			cells += t[0] != '\0';
			known += known_column(p, t);
			free(t);
			a = b + 1;
		}
		if (known >= 2 || (known == 1 && cells == 1)) {
			size_t show = ll > 0 && l[ll - 1] == '\r' ? ll - 1 : ll;

			/* at most 80 bytes, cut between characters */
			if (show > 80)
				for (show = 80; show > 0 &&
				    ((unsigned char)l[show] & 0xc0) == 0x80;
				    show--)
					;
			problem(p, line, 0, "csv", NULL, "line %zu is not the "
			    "header (none of its columns is known: a title "
			    "above the header?); line %zu looks like it "
			    "(\"%.*s%s\"): --header-line %zu reads the file "
			    "from there", line, at, (int)show, l, show < ll &&
			    l[show] != '\r' ? "..." : "", at);
			return -1;
		}
		off += ll + 1;
	}
	return 0;
}

static int
header(struct parse *p, size_t line)
{
	size_t mapped = SIZE_MAX, status = SIZE_MAX;
	int bad = 0, listed = 0;

	if (p->ncells > CSVIN_MAX_COLUMNS) {
		problem(p, line, 0, "csv", NULL, "more than %d columns",
		    CSVIN_MAX_COLUMNS);
		return -1;
	}
	if (title_above(p, line) != 0)
		return -1;
	{
		size_t nconst = 0;

		for (size_t k = 0; p->o->map != NULL && k < p->o->map->n; k++)
			nconst += p->o->map->e[k].name == NULL &&
			    p->o->map->e[k].cell == NULL;
		if ((p->cols = calloc(p->ncells + nconst, sizeof(*p->cols))) ==
		    NULL) {
			p->rc = PT_ENOMEM;
			return -1;
		}
		p->ncols = p->ncells;
		p->nall = p->ncells;
		for (size_t k = 0; p->o->map != NULL && k < p->o->map->n; k++) {
			const struct colname *cn;
			struct col *c;

			if (p->o->map->e[k].name != NULL ||
			    p->o->map->e[k].cell != NULL)
				continue;
			cn = find_colname(p->o->map->e[k].field);
			c = &p->cols[p->nall++];
			c->name = strdup(p->o->map->e[k].field);
			if (c->name == NULL) {
				p->rc = PT_ENOMEM;
				return -1;
			}
			c->path = cn->path;
			c->kind = cn->kind;
			c->constant = p->o->map->e[k].value;
		}
	}
	for (size_t i = 0; i < p->ncols; i++) {
		struct col *c = &p->cols[i];
		const struct colname *cn;
		const char *target;

		c->name = p->cells[i];
		p->cells[i] = NULL;
		if (c->name[0] == '\0') {
			c->kind = V_UNNAMED;
			continue;
		}
		target = map_find(p->o->map, c->name);
		if (target != NULL && strcmp(target, "-") == 0) {
			c->kind = V_IGNORE;
			continue;
		}
		cn = find_colname(target != NULL ? target : c->name);
		if (cn == NULL && target == NULL &&
		    map_refers(p->o->map, c->name)) {
			c->kind = V_IGNORE;	/* only a constant takes it */
			continue;
		}
		if (cn == NULL) {
			char acc[2048], hint[320];

			if (listed++ == 0)
				csvin_accepted(acc, sizeof(acc));
			else
				snprintf(acc, sizeof(acc), "as above");
			map_hint(c->name, hint, sizeof(hint));
			problem(p, line, i + 1, c->name, c->name, "unknown "
			    "column; accepted: %s; or map it: %s (FIELD - "
			    "ignores it)", acc, hint);
			bad = 1;
			continue;
		}
		c->path = cn->path;
		c->kind = cn->kind;
		if (cn->kind == V_MAPPED)
			mapped = i;
		if (cn->kind == V_DECISION && cn->blds && target == NULL)
			status = i;
	}
	/* A column the map names that the header lacks: its field would be
	 * left out of every record without a word (an export whose column
	 * was renamed).  A column the map ignores (-) may be missing. */
	for (size_t k = 0; p->o->map != NULL && k < p->o->map->n; k++) {
		const char *name = p->o->map->e[k].name;
		char rest[512];
		size_t i, n = 0;

		if (name == NULL || strcmp(p->o->map->e[k].field, "-") == 0)
			continue;
		for (i = 0; i < p->ncols; i++)
			if (strcmp(p->cols[i].name, name) == 0)
				break;
		if (i < p->ncols)
			continue;
		/* the header's cells the map does not name: the new name
		 * is likely among them */
		rest[0] = '\0';
		for (i = 0; i < p->ncols && n < sizeof(rest) - 1; i++)
			if (p->cols[i].name[0] != '\0' &&
			    map_find(p->o->map, p->cols[i].name) == NULL)
				n += (size_t)snprintf(rest + n,
				    sizeof(rest) - n, "%s\"%.60s\"",
				    n ? ", " : "", p->cols[i].name);
		problem(p, line, 0, p->o->map->e[k].field, name, "the map "
		    "names column \"%.60s\" for it, and this file's header "
		    "has no such column (renamed in this export?%s%s): "
		    "correct the map's line, or take it out for files "
		    "without the column", name, n ? " the columns the map "
		    "does not name: " : "", rest);
		bad = 1;
	}
	for (size_t i = p->ncols; i < p->nall; i++)
		if (strchr(p->cols[i].constant, '{') != NULL)
			bad |= template_cols(p, line, &p->cols[i]);
	/* BLDS: both statuses given: the mapped one decides, the raw one is
	 * checked against it. */
	if (mapped != SIZE_MAX && status != SIZE_MAX) {
		p->cols[status].kind = V_CHECK;
		p->cols[status].path = NULL;
	}
	for (size_t i = 0; i < p->nall; i++) {
		for (size_t k = 0; k < i; k++) {
			if (p->cols[i].path == NULL || p->cols[k].path == NULL ||
			    strcmp(p->cols[i].path, p->cols[k].path) != 0 ||
			    (p->cols[i].kind == V_ADDR2) !=
			    (p->cols[k].kind == V_ADDR2))
				continue;
			if (i >= p->ncols)
				problem(p, line, k + 1, p->cols[k].name,
				    p->cols[k].name, "this column and the map's "
				    "constant %s both set %s: keep one",
				    p->cols[i].name, p->cols[i].path);
			else if (strcmp(p->cols[i].name, p->cols[k].name) == 0)
				problem(p, line, i + 1, p->cols[i].name,
				    p->cols[i].name, "column given twice "
				    "(columns %zu and %zu)", k + 1, i + 1);
			else
				problem(p, line, i + 1, p->cols[i].name,
				    p->cols[i].name, "columns %zu (%.60s) and "
				    "%zu (%.60s) both set %s: keep one", k + 1,
				    p->cols[k].name, i + 1, p->cols[i].name,
				    p->cols[i].path);
			bad = 1;
			break;
		}
	}
	return bad ? -1 : 0;
}

static const char *
cell_of(struct parse *p, const char *path)
{
	for (size_t i = 0; i < p->nall && i < p->ncells; i++)
		if (p->cols[i].path != NULL &&
		    strcmp(p->cols[i].path, path) == 0 &&
		    p->cells[i][0] != '\0')
			return p->cells[i];
	return NULL;
}

/* Two digits at s, at most max: their value, or -1. */
static int
two_digits(const char *s, int max)
{
	int v;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v <= max ? v : -1;
}

/*
 * The time after a date's 'T' or space: hh:mm[:ss[.s...]] then nothing,
 * Z, or an offset +hh:mm / +hhmm / +hh (also -); after a space (loose)
 * also an hour of one digit and a 12-hour clock's AM or PM (hour 1..12,
 * "9:30 AM", as a spreadsheet writes it).  The date alone is logged; a
 * time that is no time means the cell is not what it seems.
 */
static int
time_ok(const char *t, int loose)
{
	int h;

	if (loose && isdigit((unsigned char)t[0]) && t[1] == ':') {
		h = t[0] - '0';
		t++;
	} else {
		if ((h = two_digits(t, 23)) < 0)
			return 0;
		t += 2;
	}
	if (*t != ':' || two_digits(t + 1, 59) < 0)
		return 0;
	t += 3;
	if (*t == ':') {
		if (two_digits(t + 1, 60) < 0)
			return 0;
		t += 3;
		if (*t == '.' || *t == ',') {
			if (!isdigit((unsigned char)t[1]))
				return 0;
			for (t++; isdigit((unsigned char)*t); t++)
				;
		}
	}
	if (loose) {
		const char *a = t + (*t == ' ');

		if (a[0] != '\0' && strchr("AaPp", a[0]) != NULL &&
		    (a[1] == 'M' || a[1] == 'm') && a[2] == '\0')
			return h >= 1 && h <= 12;
	}
	if (*t == 'Z')
		return t[1] == '\0';
	if (*t == '+' || *t == '-') {
		if (two_digits(t + 1, 23) < 0)
			return 0;
		t += 3;
		if (*t == ':')
			t++;
		if (*t != '\0' && (two_digits(t, 59) < 0 || t[2] != '\0'))
			return 0;
		return 1;
	}
	return *t == '\0';
}

/*
 * A date cell: its date as YYYY-MM-DD in *jv, read by datefmt (an ISO
 * date, or one in the --date-format declared); a time after it is
 * checked and dropped.  0, or -1 after reporting the problem.  A cell
 * that looks like no date at all goes on as it is: the schema says what
 * it wants (and a cell that is not UTF-8 is reported by the caller).
 */
static int
date_cell(struct parse *p, size_t line, size_t cn, const char *name,
    const char *v, json_t **jv)
{
	const struct datefmt *f = &p->o->date;
	const char *end = v;
	char iso[11], hint[200];
	int r = datefmt_read(f, v, iso, &end);

	if (r == -2) {
		problem(p, line, cn, name, v, "no such day: read as %s "
		    "(--date-format %s)", iso, f->text);
		return -1;
	}
	if (r != 0) {
		datefmt_hint(v, hint, sizeof(hint));
		if (f->order[0] != '\0')
			problem(p, line, cn, name, v, "want a date %s (as "
			    "--date-format says) or YYYY-MM-DD%s%s", f->text,
			    hint[0] != '\0' ? "; " : "", hint);
		else if (hint[0] != '\0')
			problem(p, line, cn, name, v, "want a calendar date "
			    "YYYY-MM-DD; %s", hint);
		else if (strlen(v) == 5 && strspn(v, "0123456789") == 5)
			problem(p, line, cn, name, v, "want a calendar date "
			    "YYYY-MM-DD; a spreadsheet's day number (days since "
			    "1900): give the column a date format");
		else if (strcspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz") < strlen(v) && strspn(v, "0123456789") <= 2 &&
		    strpbrk(v, "0123456789") != NULL && strlen(v) <= 20)
			problem(p, line, cn, name, v, "want a calendar date "
			    "YYYY-MM-DD; a month's name (05-Mar-2026): give the "
			    "column a date format of numbers (DD/MM/YYYY with "
			    "--date-format DD/MM/YYYY)");
		else {
			*jv = json_string(v);
			return 0;
		}
		return -1;
	}
	if (*end != '\0' && !((*end == 'T' || *end == ' ') &&
	    time_ok(end + 1, *end == ' '))) {
		if (f->order[0] != '\0')
			problem(p, line, cn, name, v, "want a date %s (as "
			    "--date-format says) or YYYY-MM-DD, alone or with a "
			    "time (hh:mm[:ss] [AM|PM]), of which the date is "
			    "logged", f->text);
		else
			problem(p, line, cn, name, v, "want a date YYYY-MM-DD "
			    "or an ISO 8601 date and time (YYYY-MM-DDThh:mm[:ss"
			    "[.s]][Z|+hh:mm]), of which the date is logged");
		return -1;
	}
	*jv = json_string(iso);
	return 0;
}

/* A BLDS StatusCurrentMapped value: 1 with its decision in *jv, -1
 * after reporting a stage that is no decision, 0 when v is none. */
static int
mapped_value(struct parse *p, size_t line, size_t cn, const char *name,
    const char *v, json_t **jv)
{
	for (size_t k = 0; k < sizeof(blds_mapped) / sizeof(blds_mapped[0]);
	    k++) {
		if (strcasecmp(v, blds_mapped[k].value) != 0)
			continue;
		if (blds_mapped[k].decision == NULL) {
			problem(p, line, cn, name, v, "not a decision: the "
			    "permit is still in process (only decisions are "
			    "logged)");
			return -1;
		}
		*jv = json_string(blds_mapped[k].decision);
		return 1;
	}
	return 0;
}

/*
 * What a spreadsheet writes in place of a value it could not show: an
 * error value of a formula in any language (#N/A, #REF!, #DIV/0!, German
 * #NV and #WERT!, French #VALEUR!, Spanish #¡VALOR!, LibreOffice Err:502),
 * #### for a column too narrow when the file was saved, and a long number
 * in scientific notation (4,43062E+13, a SIRET or an IBAN in a column of
 * numbers: its last digits are gone).  The reason, or NULL for a value.
 */
static const char *
spreadsheet_artifact(const char *v, int text)
{
	size_t n = strlen(v), k;

	if (n > 0 && strspn(v, "#") == n)
		return "the spreadsheet showed #### (the column was too narrow "
		    "when the file was saved): widen the column and export "
		    "again";
	if (n >= 3 && n <= 24 && v[0] == '#' && (v[n - 1] == '!' ||
	    v[n - 1] == '?' || strcmp(v, "#N/A") == 0 || strcmp(v, "#NV") ==
	    0)) {
		for (k = 1; k < n - 1; k++)
			if (!(isupper((unsigned char)v[k]) ||
			    isdigit((unsigned char)v[k]) || v[k] == '/' ||
			    v[k] == '_' || (unsigned char)v[k] >= 0x80))
				break;
		if (k >= n - 1)
			return "a spreadsheet's error value: the formula "
			    "behind this cell failed; correct it and export "
			    "again";
	}
	if (strncmp(v, "Err:", 4) == 0 && n == 7 &&
	    strspn(v + 4, "0123456789") == 3)
		return "a spreadsheet's error value (LibreOffice): the formula "
		    "behind this cell failed; correct it and export again";
	if (text) {
		/* -?D[.,DDD]E[+-]DD */
		k = v[0] == '-';
		if (isdigit((unsigned char)v[k]) && (v[k + 1] == '.' ||
		    v[k + 1] == ',' || v[k + 1] == 'E')) {
			k++;
			if (v[k] == '.' || v[k] == ',')
				for (k++; isdigit((unsigned char)v[k]); k++)
					;
			if (v[k] == 'E' && (v[k + 1] == '+' ||
			    v[k + 1] == '-') && strlen(v + k + 2) >= 2 &&
			    strspn(v + k + 2, "0123456789") ==
			    strlen(v + k + 2))
				return "a number in scientific notation: the "
				    "spreadsheet cut its digits; give the "
				    "column the format Text and type the "
				    "values again (or export from the source)";
		}
	}
	return NULL;
}

/* Convert one cell into *jv.  0, or -1 after reporting the problem. */
static int
convert(struct parse *p, size_t line, size_t i, const char *currency,
    const char *mapped_decision, json_t **jv)
{
	const struct col *c = &p->cols[i];
	const char *v = p->cells[i];
	struct pt_why why = { "" };
	char dbuf[64];
	int64_t n;
	int r;
	size_t cn = i < p->ncols ? i + 1 : c->at;	/* 0: a map constant */

	*jv = NULL;
	if (p->crmark != '\0' && c->kind != V_IGNORE &&
	    strchr(v, p->crmark) != NULL) {
		char shown[PT_MAX_STRING + 1];
		size_t k;

		for (k = 0; v[k] != '\0' && k < sizeof(shown) - 1; k++)
			shown[k] = v[k] == p->crmark ? '\r' : v[k];
		shown[k] = '\0';
		problem(p, line, cn, c->name, shown, "a carriage return (CR) "
		    "alone, not a line end of this file: a line break in a "
		    "cell the spreadsheet did not quote (the row would be cut "
		    "there); remove it or quote the cell");
		return -1;
	}
	if (c->path != NULL && p->o->map != NULL)	/* the office's word */
		v = map_word(p->o->map, c->path, v);
	if (c->kind != V_IGNORE && c->kind != V_UNNAMED) {
		const char *art = spreadsheet_artifact(v, c->kind == V_STR);

		if (art != NULL) {
			problem(p, line, cn, c->name, v, "%s", art);
			return -1;
		}
	}
	switch (c->kind) {
	case V_INT:
		if (num_parse_i64_str(v, INT64_MIN, INT64_MAX, &n) != 0) {
			const char *d = v + (v[0] == '+' || v[0] == '-');
			int plain = d[0] != '\0' && strspn(d, "0123456789") ==
			    strlen(d);

			problem(p, line, cn, c->name, v, "want an integer%s%s",
			    strstr(c->path, "_minor") != NULL ? " in minor "
			    "units (cents)" : "", plain ? ", written plainly "
			    "(no + sign, no leading zeros)" : strstr(c->path,
			    "_minor") != NULL ? "; a decimal amount goes in an "
			    "amount column" : "");
			return -1;
		}
		*jv = json_integer((json_int_t)n);
		break;
	case V_MONEY:
		/* a currency cell that is no code is said at its column */
		if (currency != NULL && currency == cell_of(p, "currency") &&
		    amt_exponent(currency, &r) != 0)
			return -1;
		if (amt_parse(v, strlen(v), currency, &p->o->amt, &n,
		    &why) != 0) {
			problem(p, line, cn, c->name, v, "%s", why.text);
			return -1;
		}
		*jv = json_integer((json_int_t)n);
		break;
	case V_DATE:
		if (date_cell(p, line, cn, c->name, v, jv) != 0)
			return -1;
		break;
	case V_DECISION:
		/* a StatusCurrentMapped value in the raw column reads so */
		if ((r = mapped_value(p, line, cn, c->name, v, jv)) != 0)
			return r < 0 ? -1 : 0;
		*jv = json_string(decision_of(v, dbuf, sizeof(dbuf)));
		break;
	case V_MAPPED:
		if ((r = mapped_value(p, line, cn, c->name, v, jv)) != 0)
			return r < 0 ? -1 : 0;
		problem(p, line, cn, c->name, v, "not a BLDS "
		    "StatusCurrentMapped value (Permit Issued, Permit "
		    "Finaled, Permit Cancelled; Application Accepted, In "
		    "Review and Inspection Phase are not decisions)");
		return -1;
	case V_CHECK: {
		const char *d = decision_of(v, dbuf, sizeof(dbuf));

		if (mapped_decision != NULL &&
		    record_decision_known(d, strlen(d)) &&
		    strcmp(d, mapped_decision) != 0) {
			problem(p, line, cn, c->name, v, "says %s, but "
			    "StatusCurrentMapped says %s", d, mapped_decision);
			return -1;
		}
		return 0;
	}
	case V_IGNORE:
		return 0;
	case V_UNNAMED:
		problem(p, line, cn, "csv", v, "a cell in a column without "
		    "a name in the header");
		return -1;
	case V_STR:
	default:
		/* a party's kind as a spreadsheet writes it: Individual,
		 * Organisation (the log's two words, any case, either
		 * spelling) */
		if (strlen(c->path) > 5 &&
		    strcmp(c->path + strlen(c->path) - 5, ".kind") == 0 &&
		    (strcasecmp(v, "individual") == 0 ||
		    strcasecmp(v, "organization") == 0 ||
		    strcasecmp(v, "organisation") == 0)) {
			*jv = json_string(strcasecmp(v, "individual") == 0 ?
			    "individual" : "organization");
			break;
		}
		if (strcmp(c->path, "currency") == 0 &&
		    amt_exponent(v, &r) != 0) {
			amt_code_hint(v, dbuf, sizeof(dbuf));
			problem(p, line, cn, c->name, v, "not an ISO 4217 "
			    "currency code (EUR, USD, JPY, ...)%s", dbuf);
			return -1;
		}
		*jv = json_string(v);
		break;
	}
	if (*jv == NULL) {
		problem(p, line, cn, c->name, v, "not UTF-8 text (a Windows "
		    "or Latin-1 export? save the file as \"CSV UTF-8\")");
		return -1;
	}
	return 0;
}

/*
 * Legal forms of companies (their abbreviations, points left out), as a
 * name's last word ends it: "Stadtwerke Musterstadt GmbH".  A sole
 * trader's forms (e.K., e.U.) are not here: a natural person.
 */
static const char *const company_forms[] = {
	"GmbH", "mbH", "AG", "KG", "OHG", "KGaA", "UG", "SE", "eG", "eV",
	"Ltd", "Limited", "LLC", "LLP", "Inc", "Corp", "plc", "PLC",
	"SA", "SAS", "SARL", "SRL", "Srl", "SpA", "BV", "NV", "AB", "ApS",
	"AS", "ASA", "Oy", "Oyj", "sro", "Kft", "Zrt",
	"\xce\x91\xce\x95",			/* ΑΕ */
	"\xce\x95\xce\xa0\xce\x95",		/* ΕΠΕ */
	"\xce\x9f\xce\x95",			/* ΟΕ */
	"\xce\x99\xce\x9a\xce\x95",		/* ΙΚΕ */
	"\xd0\x9e\xd0\x9e\xd0\x9e",		/* ООО */
	"\xd0\x90\xd0\x9e",			/* АО */
	"\xd0\x95\xd0\x9e\xd0\x9e\xd0\x94",	/* ЕООД */
	"\xd0\x9e\xd0\x9e\xd0\x94",		/* ООД */
	"\xd0\x90\xd0\x94",			/* АД */
	"\xd0\x95\xd0\x90\xd0\x94",		/* ЕАД */
	NULL
};

/* The company form name's last word is (company_forms), or NULL. */
static const char *
company_form(const char *name)
{
	char w[32];
	size_t e, b, n = 0;

	if (name == NULL)
		return NULL;
	for (e = strlen(name); e > 0 && (name[e - 1] == ' ' ||
	    name[e - 1] == ',' || name[e - 1] == '.'); e--)
		;
	for (b = e; b > 0 && name[b - 1] != ' ' && name[b - 1] != ','; b--)
		;
	if (b == 0)
		return NULL;		/* one word: no form after a name */
	for (size_t i = b; i < e && n + 1 < sizeof(w); i++)
		if (name[i] != '.')
			w[n++] = name[i];
	w[n] = '\0';
	for (size_t i = 0; company_forms[i] != NULL; i++)
		if (strcmp(w, company_forms[i]) == 0)
			return company_forms[i];
	return NULL;
}

/* A party defaulted to a natural person (no scheme or id) whose name
 * reads as a company's: refused at its name's column (failed marks it),
 * since it would be logged as a hidden person's commitment. */
static void
company_unmeant(struct parse *p, const char *party, const char *name,
    size_t line, unsigned char *failed)
{
	char path[32];
	const char *form = company_form(name);
	size_t col = 0;

	if (form == NULL)
		return;
	snprintf(path, sizeof(path), "%s.name", party);
	for (size_t i = 0; i < p->ncells; i++)
		if (p->cols[i].path != NULL && strcmp(p->cols[i].path,
		    path) == 0) {
			col = i < p->ncols ? i + 1 : 0;
			failed[i] = 1;
		}
	problem(p, line, col, path, name, "reads as a company's name (%s), "
	    "and the row has no %s.id: it would be logged as a natural "
	    "person, the name hidden behind a commitment; give the company's "
	    "register number (%s.scheme and %s.id, or a map constant), or "
	    "%s.kind individual if it is a person", form, party, party, party,
	    party);
	p->company_unmeant = 1;
}

/* The BLDS mapped decision of the row, if any (for V_CHECK). */
static const char *
row_mapped(struct parse *p)
{
	for (size_t i = 0; i < p->nall && i < p->ncells; i++) {
		if (p->cols[i].kind != V_MAPPED)
			continue;
		for (size_t k = 0; k < sizeof(blds_mapped) /
		    sizeof(blds_mapped[0]); k++)
			if (strcasecmp(p->cells[i], blds_mapped[k].value) == 0)
				return blds_mapped[k].decision;
	}
	return NULL;
}

static void
defaults(struct parse *p, json_t *o, const char *currency, size_t line,
    unsigned char *failed)
{
	static const char *const parties[] = { "payer", "payee", "applicant",
	    "jurisdiction", NULL };
	const char *type;
	json_t *party;

	if (json_object_get(o, "type") == NULL) {
		type = p->o->type;
		if (type == NULL)
			type = json_object_get(o, "permit_num") != NULL ?
			    "permit_decision" : "payment";
		json_object_set_new(o, "type", json_string(type));
	}
	if (json_object_get(o, "currency") == NULL && currency != NULL &&
	    (json_object_get(o, "amount_minor") != NULL ||
	    json_object_get(o, "fee_minor") != NULL ||
	    json_object_get(o, "est_project_cost_minor") != NULL))
		json_object_set_new(o, "currency", json_string(currency));
	for (size_t i = 0; parties[i] != NULL; i++) {
		/* an id without its scheme is an organization's whose
		 * scheme is missing (said so), not a person's */
		int org;

		party = json_object_get(o, parties[i]);
		if (party == NULL || json_object_get(party, "kind") != NULL)
			continue;
		org = json_object_get(party, "scheme") != NULL ||
		    json_object_get(party, "id") != NULL ||
		    strcmp(parties[i], "jurisdiction") == 0 ||
		    strcmp(parties[i], "payer") == 0;
		json_object_set_new(party, "kind", json_string(org ?
		    "organization" : "individual"));
		if (!org)
			company_unmeant(p, parties[i], json_string_value(
			    json_object_get(party, "name")), line, failed);
	}
	if (json_object_get(o, "id") == NULL &&
	    json_is_string(json_object_get(o, "permit_num")) &&
	    json_is_string(json_object_get(o, "decision")) &&
	    json_is_string(json_object_get(o, "decision_date"))) {
		char id[PT_MAX_ID + 1];

		snprintf(id, sizeof(id), "%s/%s/%s", json_string_value(
		    json_object_get(o, "permit_num")), json_string_value(
		    json_object_get(o, "decision")), json_string_value(
		    json_object_get(o, "decision_date")));
		json_object_set_new(o, "id", json_string(id));
	}
}

/* A stand-in for a cell that could not be read, of its column's kind:
 * NULL when none is safe (a decision: its absence is left out instead). */
static json_t *
placeholder(enum vkind kind)
{
	switch (kind) {
	case V_INT:
	case V_MONEY:
		return json_integer(1);
	case V_STR:
	case V_DATE:
		return json_string("?");
	default:
		return NULL;
	}
}

/* A second address line (BLDS OriginalAddress2: a unit, a floor, which
 * says which property): the schema has one line, so it goes after line1,
 * a comma between ("123 Main St, Unit 2"); line2 (taken) alone is line1. */
static int
add_line2(json_t *o, json_t *line2)
{
	json_t *addr = json_object_get(o, "address");
	json_t *l1 = json_is_object(addr) ? json_object_get(addr, "line1") :
	    NULL;
	size_t n;
	char *both;
	int rc;

	if (!json_is_string(l1))
		return set_path(o, "address.line1", line2);
	n = json_string_length(l1) + json_string_length(line2) + 3;
	if ((both = malloc(n)) == NULL) {
		json_decref(line2);
		return PT_ENOMEM;
	}
	snprintf(both, n, "%s, %s", json_string_value(l1),
	    json_string_value(line2));
	json_decref(line2);
	rc = set_path(o, "address.line1", json_string(both));
	free(both);
	return rc;
}

/* The row is the header again (every named column's cell its name). */
static int
header_again(struct parse *p)
{
	size_t named = 0;

	for (size_t i = 0; i < p->ncols && i < p->ncells; i++) {
		if (p->cols[i].name == NULL || p->cols[i].name[0] == '\0')
			continue;
		if (strcmp(p->cells[i], p->cols[i].name) != 0)
			return 0;
		named++;
	}
	return named > 1;
}

/* Column i is a map constant for a party's scheme or id, and the row
 * gives that party the kind individual. */
static int
constant_not_for_person(struct parse *p, size_t i)
{
	const char *path = p->cols[i].path, *dot, *kind;
	char kp[32];

	if (path == NULL || (dot = strchr(path, '.')) == NULL ||
	    (strcmp(dot, ".scheme") != 0 && strcmp(dot, ".id") != 0) ||
	    (size_t)(dot - path) + 6 > sizeof(kp))
		return 0;
	snprintf(kp, sizeof(kp), "%.*s.kind", (int)(dot - path), path);
	if ((kind = cell_of(p, kp)) == NULL)
		return 0;
	if (p->o->map != NULL)		/* Sole Trader => individual */
		kind = map_word(p->o->map, kp, kind);
	return strcasecmp(kind, "individual") == 0;
}

static void
data_row(struct parse *p, size_t line)
{
	struct csvin_row row = { p->cols, p->ncols, p->nall, p->cells,
	    p->ncells, NULL, NULL };
	unsigned char *failed;
	const char *currency, *mapped;
	json_t *o, *addr2 = NULL;
	size_t gap;
	int bad = 0, rc;

	if (p->ncells > p->ncols) {
		problem(p, line, p->ncols + 1, "csv", p->cells[p->ncols], "%zu "
		    "cells, the header has %zu", p->ncells, p->ncols);
		bad = 1;
	} else if (p->ncells < p->ncols) {
		/* Only trailing unnamed columns may be left out. */
		for (size_t i = p->ncells; i < p->ncols; i++)
			if (p->cols[i].kind != V_UNNAMED) {
				problem(p, line, 0, "csv", NULL, "%zu cells, the "
				    "header has %zu", p->ncells, p->ncols);
				bad = 1;
				break;
			}
	}
	if (bad) {
		rc = p->fn(p->arg, NULL, line, &row);
		if (rc != 0)
			p->rc = rc;
		return;
	}
	/* Left-out trailing unnamed cells, then the map's constants. */
	while (p->ncells < p->nall) {
		const struct col *c = &p->cols[p->ncells];
		const char *v = p->ncells < p->ncols ? "" : c->constant;

		if (p->ncells == p->capcells) {
			size_t ncap = p->capcells * 2 + 16;
			char **nc = realloc(p->cells, ncap * sizeof(*nc));

			if (nc == NULL) {
				p->rc = PT_ENOMEM;
				return;
			}
			p->cells = nc;
			p->capcells = ncap;
		}
		p->cells[p->ncells] = c->nrefs > 0 ? template_cell(p, c) :
		    strdup(v);
		if (p->cells[p->ncells] == NULL) {
			p->rc = PT_ENOMEM;
			return;
		}
		p->ncells++;
	}
	row.cells = p->cells;
	row.ncells = p->ncells;
	if (header_again(p)) {		/* a problem, but no record */
		problem(p, line, 0, "csv", NULL, "the header row again: two "
		    "exports pasted into one file? remove this row");
		return;
	}
	if ((o = json_object()) == NULL ||
	    (failed = calloc(p->ncells, 1)) == NULL) {
		json_decref(o);
		p->rc = PT_ENOMEM;
		return;
	}
	currency = cell_of(p, "currency");
	if (currency == NULL)
		currency = p->o->currency;
	mapped = row_mapped(p);
	for (size_t i = 0; i < p->ncells; i++) {
		json_t *jv;

		if (p->cells[i][0] == '\0')
			continue;
		/* the map's currency, as --currency: only with an amount
		 * (defaults() puts it in), so a permit without a fee is no
		 * record with a currency and no amount */
		if (i >= p->ncols && p->cols[i].path != NULL &&
		    strcmp(p->cols[i].path, "currency") == 0)
			continue;
		/* a map's party scheme (payee.scheme := FR-SIRET) is for
		 * the rows of organizations: a row that says its party is a
		 * natural person has none */
		if (i >= p->ncols && constant_not_for_person(p, i))
			continue;
		if (i >= p->ncols && p->cols[i].nrefs > 0 &&
		    (gap = template_gap(p, &p->cols[i])) != SIZE_MAX) {
			problem(p, line, gap + 1, p->cols[i].name,
			    p->cells[i], "column \"%.60s\" is empty, and the "
			    "map makes %s of it (%s := %.100s)",
			    p->cols[gap].name, p->cols[i].name, p->cols[i].name,
			    p->cols[i].constant);
			bad = failed[i] = 1;
			jv = placeholder(p->cols[i].kind);
		} else if (convert(p, line, i, currency, mapped, &jv) != 0) {
			/* The rest of the row is still checked against the
			 * schema: a stand-in of the column's kind keeps the
			 * defaults (type, currency) as the cell would have
			 * set them, and what the schema says at this column
			 * is left out (see csvin_row_failed). */
			bad = failed[i] = 1;
			jv = placeholder(p->cols[i].kind);
		}
		if (jv != NULL && p->cols[i].kind == V_ADDR2) {
			json_decref(addr2);
			addr2 = jv;	/* after line1, below */
			continue;
		}
		if (jv == NULL)
			continue;
		if ((rc = set_path(o, p->cols[i].path, jv)) != 0) {
			json_decref(o);
			json_decref(addr2);
			free(failed);
			p->rc = rc;
			return;
		}
	}
	if (addr2 != NULL) {
		if ((rc = add_line2(o, addr2)) != 0) {
			json_decref(o);
			free(failed);
			p->rc = rc;
			return;
		}
	}
	p->company_unmeant = 0;
	defaults(p, o, currency, line, failed);
	bad |= p->company_unmeant;
	if (bad) {
		row.failed = failed;
		row.partial = o;
		rc = p->fn(p->arg, NULL, line, &row);
		json_decref(o);
	} else
		rc = p->fn(p->arg, o, line, &row);
	free(failed);
	if (rc != 0)
		p->rc = rc;
}

static void
field_cb(void *data, size_t len, void *arg)
{
	struct parse *p = arg;
	const char *d = data != NULL ? data : "";
	char *s;

	if (p->rc != 0)
		return;
	for (size_t i = 0; i < len; i++)
		p->row_lf += d[i] == p->nl;
	if (p->ncells == p->capcells) {
		size_t ncap = p->capcells ? p->capcells * 2 : 16;
		char **nc;

		if (p->ncells > CSVIN_MAX_COLUMNS)
			return;		/* the row reports it: too many cells */
		if ((nc = realloc(p->cells, ncap * sizeof(*nc))) == NULL) {
			p->rc = PT_ENOMEM;
			return;
		}
		p->cells = nc;
		p->capcells = ncap;
	}
	if (len > PT_MAX_STRING)
		len = PT_MAX_STRING + 1;	/* the schema refuses it */
	if ((s = ut_strndup(d, len)) == NULL) {
		p->rc = PT_ENOMEM;
		return;
	}
	/* a line break in a quoted cell of a Windows file is CR LF: the
	 * line break it means is LF (a lone CR stays, and is refused) */
	if (memchr(s, '\r', len) != NULL) {
		size_t k = 0;

		for (size_t i = 0; s[i] != '\0'; i++)
			if (!(s[i] == '\r' && s[i + 1] == '\n'))
				s[k++] = s[i];
		s[k] = '\0';
	}
	p->cells[p->ncells++] = s;
}

static void
free_cells(struct parse *p)
{
	for (size_t i = 0; i < p->ncells; i++)
		free(p->cells[i]);
	p->ncells = 0;
}

static int
blank_row(struct parse *p)
{
	for (size_t i = 0; i < p->ncells; i++)
		if (p->cells[i][0] != '\0')
			return 0;
	return 1;
}

/* A data row of rules only: every cell empty or dashes, equals signs or
 * underscores (and blanks), one at least not empty: the line an SAP list
 * export draws under its header and above its totals.  No record. */
static int
rule_row(struct parse *p)
{
	int rule = 0;

	if (!p->have_header)
		return 0;
	for (size_t i = 0; i < p->ncells; i++) {
		const char *c = p->cells[i];

		if (c[strspn(c, " -=_")] != '\0')
			return 0;
		rule |= strpbrk(c, "-=_") != NULL;
	}
	return rule;
}

static void
row_cb(int c, void *arg)
{
	struct parse *p = arg;
	size_t line;

	if (p->ncells == 0) {
		/* CSV_REPALL_NL: a line end outside any row */
		p->lf += c == p->nl;
		p->row_off = p->chunk_end;
		return;
	}
	line = p->lf + 1;
	p->lf += p->row_lf + (c == p->nl);
	p->row_lf = 0;
	p->row_off = p->chunk_end;
	if (p->rc != 0 || p->bad_header || blank_row(p) || rule_row(p)) {
		free_cells(p);
		return;
	}
	if (p->sep_line) {
		/* Excel's "sep=;" before the header: said what it is */
		p->sep_line = 0;
		free_cells(p);
		return;
	}
	if (!p->have_header) {
		/* header cells are names: trimmed (quoted blanks too) */
		for (size_t i = 0; i < p->ncells; i++) {
			char *t = trimdup(p->cells[i], strlen(p->cells[i]));

			if (t == NULL) {
				p->rc = PT_ENOMEM;
				free_cells(p);
				return;
			}
			free(p->cells[i]);
			p->cells[i] = t;
		}
		p->have_header = 1;
		if (header(p, line) != 0)
			p->bad_header = 1;
		free_cells(p);
		return;
	}
	data_row(p, line);
	free_cells(p);
}

/* A data row libcsv could not read (reported): handed over without an
 * object, so that it counts among the records, as invalid. */
static void
broken_row(struct parse *p, size_t line)
{
	struct csvin_row row = { p->cols, p->ncols, p->nall, NULL, 0, NULL,
	    NULL };
	int rc;

	if (!p->have_header || p->bad_header)
		return;
	if ((rc = p->fn(p->arg, NULL, line, &row)) != 0)
		p->rc = rc;
}

/* ',' ';' or '\t' from the first non-blank row (outside quotes); 0
 * when several appear, ',' when none does (one column). */
static char
detect_delimiter(const uint8_t *buf, size_t len, char *seen, size_t cap)
{
	size_t count[3] = { 0, 0, 0 }, k = 0;
	static const char cand[3] = { ',', ';', '\t' };
	int q = 0, kinds = 0, content = 0;
	char found = ',';

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '"') {
			q = !q;
			content = 1;
		} else if (!q && buf[i] == '\n') {
			if (content)
				break;
		} else if (!q) {
			for (size_t j = 0; j < 3; j++)
				count[j] += buf[i] == (uint8_t)cand[j];
			content |= buf[i] != ' ' && buf[i] != '\r';
		}
	}
	seen[0] = '\0';
	for (size_t j = 0; j < 3; j++) {
		if (count[j] == 0)
			continue;
		kinds++;
		found = cand[j];
		if (k + 8 < cap)
			k += (size_t)snprintf(seen + k, cap - k, "%s%s",
			    k ? " and " : "", cand[j] == '\t' ? "tab" :
			    cand[j] == ',' ? "','" : "';'");
	}
	return kinds > 1 ? 0 : found;
}

/*
 * In a file of LF (or CR LF) line ends, a CR alone outside quotes is no
 * line end: libcsv would end the row there and cut a cell in two (the
 * first half read as a whole row).  Such CRs are given a stand-in byte
 * (one the file does not hold) in a copy, *buf and *len then the copy's,
 * so that the row stays whole and the cell is refused.  0 or PT_ENOMEM.
 */
static int
mark_stray_cr(struct parse *p, const uint8_t **buf, size_t *len,
    uint8_t **copy)
{
	const uint8_t *b = *buf;
	size_t n = *len;
	int q = 0, any = 0;
	char mark = 0;

	for (size_t i = 0; i < n && !any; i++) {
		q ^= b[i] == '"';
		any = !q && b[i] == '\r' && (i + 1 == n || b[i + 1] != '\n');
	}
	if (!any)
		return 0;
	for (char m = 1; m < 9 && mark == 0; m++)
		if (memchr(b, m, n) == NULL)
			mark = m;
	if (mark == 0)
		return 0;	/* every stand-in in use: the cells are
				 * refused as control characters anyway */
	if ((*copy = malloc(n)) == NULL)
		return PT_ENOMEM;
	memcpy(*copy, b, n);
	q = 0;
	for (size_t i = 0; i < n; i++) {
		q ^= b[i] == '"';
		if (!q && b[i] == '\r' && (i + 1 == n || b[i + 1] != '\n'))
			(*copy)[i] = (uint8_t)mark;
	}
	p->crmark = mark;
	*buf = *copy;
	*len = n;
	return 0;
}

/*
 * The rows of buf, a line at a time (p->nl ends one), so that a row
 * libcsv cannot read is known by its place: reported, counted as an
 * invalid record, and the reading goes on with the next line (a quote in
 * an unquoted cell) or with the line after the broken row's first (a
 * quote never closed, which took the rest of the file), so that one run
 * reports every row.  0 or PT_ENOMEM.
 */
static int
read_rows(struct parse *p, struct csv_parser *cp, const uint8_t *buf,
    size_t len, char delim)
{
	size_t off = 0, line = 1 + p->line0;

	p->buf = buf;
	p->len = len;
	p->delim = delim;
	p->lf = p->line0;
	for (;;) {
		if (csv_init(cp, CSV_STRICT | CSV_APPEND_NULL |
		    CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
			return PT_ENOMEM;
		csv_set_delim(cp, (unsigned char)delim);
		p->row_off = off;
		while (off < len && p->rc == 0) {
			const uint8_t *e = memchr(buf + off, p->nl, len - off);
			size_t n = e != NULL ? (size_t)(e - buf) + 1 - off :
			    len - off, first;

			p->chunk_end = off + n;
			p->chunk_line = line;
			if (csv_parse(cp, buf + off, n, field_cb, row_cb, p) ==
			    n || p->rc != 0) {
				off += n;
				line++;
				continue;
			}
			/* the row from its first line: a quote there may
			 * have opened a cell that ran on to this line */
			first = p->lf + 1;
			if (first == line)
				problem(p, line, 0, "csv", NULL, "%s (a quote "
				    "inside an unquoted cell, or text after a "
				    "closing quote)", csv_strerror(csv_error(cp)));
			else
				problem(p, first, 0, "csv", NULL, "%s on line "
				    "%zu (a quote opened on line %zu runs on to "
				    "it: a quote inside an unquoted cell?)",
				    csv_strerror(csv_error(cp)), line, first);
			broken_row(p, first);
			free_cells(p);
			csv_free(cp);
			if (!p->have_header)	/* no columns known */
				return 0;
			/* read again from the line after its first */
			e = memchr(buf + p->row_off, p->nl, len - p->row_off);
			if (e == NULL)
				return 0;
			off = (size_t)(e - buf) + 1;
			line = first + 1;
			p->lf = first;
			p->row_lf = 0;
			if (csv_init(cp, CSV_STRICT | CSV_APPEND_NULL |
			    CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
				return PT_ENOMEM;
			csv_set_delim(cp, (unsigned char)delim);
			p->row_off = off;
		}
		if (p->rc != 0 || csv_fini(cp, field_cb, row_cb, p) == 0 ||
		    p->rc != 0) {
			csv_free(cp);
			return 0;
		}
		{
			/* a quote never closed: the row from its first line
			 * to the end; read again from the line after that */
			size_t start = p->row_off, first = p->lf + 1;
			const uint8_t *e = memchr(buf + start, p->nl,
			    len - start);

			problem(p, first, 0, "csv", NULL, "%s (a quote is "
			    "never closed)", csv_strerror(csv_error(cp)));
			broken_row(p, first);
			free_cells(p);
			csv_free(cp);
			if (e == NULL || !p->have_header)
				return 0;
			off = (size_t)(e - buf) + 1;
			line = first + 1;
			p->lf = first;
			p->row_lf = 0;
		}
	}
}

int
csvin_parse(const uint8_t *buf, size_t len, const struct csvin_opts *o,
    csvin_row_fn fn, csvin_err_fn efn, void *arg)
{
	struct csv_parser cp;
	struct parse p;
	uint8_t *copy = NULL;
	char delim, seen[64];
	size_t hdr = 0;		/* where the header begins */
	int rc;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.fn = fn;
	p.efn = efn;
	p.arg = arg;
	if (len >= 2 && ((buf[0] == 0xff && buf[1] == 0xfe) ||
	    (buf[0] == 0xfe && buf[1] == 0xff))) {
		problem(&p, 1, 0, "csv", NULL, "the file is UTF-16 (a "
		    "spreadsheet's \"Unicode text\"): save it as \"CSV UTF-8\"");
		return 0;
	}
	/* Skip a UTF-8 byte order mark (spreadsheet exports). */
	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
		buf += 3;
		len -= 3;
	}
	if (memchr(buf, '\0', len) != NULL) {
		const uint8_t *z = memchr(buf, '\0', len);
		size_t zl = 1;

		for (const uint8_t *q = buf; q < z; q++)
			zl += *q == '\n';
		problem(&p, zl, 0, "csv", NULL, "a NUL byte: not a text file "
		    "(UTF-16? save it as \"CSV UTF-8\"); nothing of it is "
		    "read");
		return 0;
	}
	delim = o->delimiter;
	/* "sep=;" first: Excel's way of naming the delimiter (a file saved
	 * for Excel, or by it); the header follows on line 2 */
	if (len >= 5 && memcmp(buf, "sep=", 4) == 0 && (len == 5 ||
	    buf[5] == '\n' || buf[5] == '\r') && strchr(",;\t", buf[4]) !=
	    NULL && buf[4] != '\0') {
		if (delim != 0 && delim != (char)buf[4]) {
			problem(&p, 1, 0, "csv", NULL, "the file's first line "
			    "says its delimiter is %s, --delimiter another",
			    buf[4] == '\t' ? "a tab" : buf[4] == ',' ?
			    "\",\"" : "\";\"");
			return 0;
		}
		delim = (char)buf[4];
		p.sep_line = 1;
		hdr = 5 + (len > 5 && buf[5] == '\r' && len > 6 &&
		    buf[6] == '\n') + (len > 5);
	}
	/* --header-line N: the lines above the header (a report's title)
	 * are not read at all; the lines keep their numbers */
	if (o->header_line > 1) {
		char nl = memchr(buf, '\n', len) == NULL &&
		    memchr(buf, '\r', len) != NULL ? '\r' : '\n';
		size_t off = 0, n = 1;

		while (n < o->header_line) {
			const uint8_t *e = memchr(buf + off, nl, len - off);

			if (e == NULL)
				break;
			off = (size_t)(e - buf) + 1;
			n++;
		}
		if (n < o->header_line || off >= len) {
			problem(&p, 1, 0, "csv", NULL, "--header-line %u: the "
			    "file has %zu line%s", o->header_line, n -
			    (off >= len), n - (off >= len) == 1 ? "" : "s");
			return 0;
		}
		buf += off;
		len -= off;
		/* a byte order mark before the header (a title put above
		 * an export by hand) */
		if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb &&
		    buf[2] == 0xbf) {
			buf += 3;
			len -= 3;
		}
		hdr = 0;
		p.sep_line = 0;
		p.line0 = o->header_line - 1;
	}
	if (delim == 0 && (delim = detect_delimiter(buf + hdr, len - hdr, seen,
	    sizeof(seen))) == 0) {
		problem(&p, 1 + p.line0, 0, "csv", NULL, "the header holds "
		    "both %s: say "
		    "which one separates the columns (--delimiter)", seen);
		return 0;
	}
	/* A header that is not UTF-8 (Excel's plain "CSV" is Windows-1252
	 * in Western Europe): the file, not a column, is the problem. */
	{
		const char *h = (const char *)buf + hdr;
		const char *nl = memchr(h, '\n', len - hdr);
		size_t hl = nl != NULL ? (size_t)(nl - h) : len - hdr;
		size_t bad = utf8_bad_at(h, hl), col = 1, cell = 0;

		if (bad < hl) {
			for (size_t i = 0; i < bad; i++)
				if (h[i] == delim) {
					col++;
					cell = i + 1;
				}
			if (bad - cell > 20)
				cell = bad - 20;
			problem(&p, 1 + p.sep_line + p.line0, col, "csv", NULL,
			    "the header is not UTF-8 text (byte 0x%02X after "
			    "\"%.*s\"): a Windows "
			    "or Latin-1 export? save the file as \"CSV UTF-8\"",
			    (unsigned char)h[bad], (int)(bad - cell), h + cell);
			return 0;
		}
	}
	p.nl = memchr(buf, '\n', len) == NULL && memchr(buf, '\r', len) !=
	    NULL ? '\r' : '\n';
	if (p.nl == '\n' && (rc = mark_stray_cr(&p, &buf, &len, &copy)) != 0)
		return rc;
	rc = read_rows(&p, &cp, buf, len, delim);
	free(copy);
	if (rc == 0)
		rc = p.rc;
	if (rc == 0 && !p.have_header)
		problem(&p, 1 + p.line0, 0, "csv", NULL, "no header row");
	free_cells(&p);
	free(p.cells);
	for (size_t i = 0; i < p.nall; i++) {
		free(p.cols[i].name);
		free(p.cols[i].refs);
	}
	free(p.cols);
	return rc;
}
