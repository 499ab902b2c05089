/* csvin.c: CSV rows to JSON record objects, with libcsv. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "csvin.h"
#include "num.h"
#include "ptlimits.h"
#include "util.h"

enum vkind {
	V_STR,		/* as is */
	V_INT,		/* integer */
	V_MONEY,	/* decimal in major units -> minor units */
	V_DATE,		/* first 10 chars of an ISO date-time */
	V_DECISION,	/* BLDS status -> schema decision */
	V_IGNORE,	/* known BLDS column with no schema field */
};

/* Normalised column name -> field path. */
static const struct colmap {
	const char *col;
	const char *path;
	enum vkind kind;
} colmap[] = {
	/* BLDS core (permits) */
	{ "permitnum", "permit_num", V_STR },
	{ "description", "description", V_STR },
	{ "applieddate", "applied_date", V_DATE },
	{ "issueddate", "issued_date", V_DATE },
	{ "expiresdate", "expires_date", V_DATE },
	{ "statuscurrent", "decision", V_DECISION },
	{ "statusdate", "decision_date", V_DATE },
	{ "originaladdress1", "address.line1", V_STR },
	{ "originalcity", "address.city", V_STR },
	{ "originalstate", "address.state", V_STR },
	{ "originalzip", "address.zip", V_STR },
	{ "jurisdiction", "jurisdiction.name", V_STR },
	{ "permittype", "permit_type", V_STR },
	{ "estprojectcost", "est_project_cost_minor", V_MONEY },
	{ "fee", "fee_minor", V_MONEY },
	{ "link", "link", V_STR },
	{ "completeddate", NULL, V_IGNORE },
	{ "originaladdress2", NULL, V_IGNORE },
	{ "permitclass", NULL, V_IGNORE },
	{ "permitclassmapped", NULL, V_IGNORE },
	{ "statuscurrentmapped", NULL, V_IGNORE },
	{ "workclass", NULL, V_IGNORE },
	{ "workclassmapped", NULL, V_IGNORE },
	{ "permittypemapped", NULL, V_IGNORE },
	{ "permittypedesc", NULL, V_IGNORE },
	{ "proposeduse", NULL, V_IGNORE },
	{ "housingunits", NULL, V_IGNORE },
	{ "pin", NULL, V_IGNORE },
	{ "contractorcompanyname", NULL, V_IGNORE },
	{ "contractortrade", NULL, V_IGNORE },
	{ "contractortrademapped", NULL, V_IGNORE },
	{ "contractorlicnum", NULL, V_IGNORE },
	{ "contractorstatelic", NULL, V_IGNORE },
	{ "masterpermitnum", NULL, V_IGNORE },
	{ "latitude", NULL, V_IGNORE },
	{ "longitude", NULL, V_IGNORE },
	{ "totalsqft", NULL, V_IGNORE },
	{ "voiddate", NULL, V_IGNORE },
	{ "statusdatemapped", NULL, V_IGNORE },
	/* schema fields that carry numbers */
	{ "amountminor", "amount_minor", V_INT },
	{ "amount", "amount_minor", V_MONEY },
	{ "estprojectcostminor", "est_project_cost_minor", V_INT },
	{ "feeminor", "fee_minor", V_INT },
	{ "targetindex", "target_index", V_INT },
	{ "budget.fiscalyear", "budget.fiscal_year", V_INT },
	/* schema fields with other spellings */
	{ "date", "date", V_DATE },
	{ "decisiondate", "decision_date", V_DATE },
	{ "decision", "decision", V_DECISION },
	{ "jurisdiction.name", "jurisdiction.name", V_STR },
};

/* Plain schema field names accepted as columns (any case). */
static const char *const plain_fields[] = {
	"id", "type", "currency", "description", "ocid", "contract_id",
	"source_uri", "permit_num", "permit_type", "link", "action", "reason",
	"target_leaf_hash", "applied_date", "issued_date", "expires_date",
	NULL,
};
static const char *const party_prefixes[] = {
	"payer.", "payee.", "applicant.", "jurisdiction.", "address.",
	"budget.", NULL,
};

static const struct {
	const char *code;
	unsigned exp;
} exponents[] = {
	{ "BHD", 3 }, { "BIF", 0 }, { "CLP", 0 }, { "DJF", 0 }, { "GNF", 0 },
	{ "IQD", 3 }, { "ISK", 0 }, { "JOD", 3 }, { "JPY", 0 }, { "KMF", 0 },
	{ "KRW", 0 }, { "KWD", 3 }, { "LYD", 3 }, { "OMR", 3 }, { "PYG", 0 },
	{ "RWF", 0 }, { "TND", 3 }, { "UGX", 0 }, { "UYI", 0 }, { "VND", 0 },
	{ "VUV", 0 }, { "XAF", 0 }, { "XOF", 0 }, { "XPF", 0 }, { "CLF", 4 },
	{ "UYW", 4 },
};

unsigned
csvin_currency_exponent(const char *code)
{
	for (size_t i = 0; i < sizeof(exponents) / sizeof(exponents[0]); i++)
		if (code != NULL && strcmp(code, exponents[i].code) == 0)
			return exponents[i].exp;
	return 2;
}

int
csvin_decimal_to_minor(const char *s, unsigned exp, int64_t *out)
{
	uint64_t v = 0;
	unsigned frac = 0;
	int neg = 0, dot = 0, digits = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s != '\0'; s++) {
		if (*s == ',' && !dot)
			continue;
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return PT_EMALFORMED;
		if (dot && ++frac > exp)
			return PT_EMALFORMED;
		if (v > (uint64_t)INT64_MAX / 10)
			return PT_ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
		digits++;
	}
	if (digits == 0)
		return PT_EMALFORMED;
	for (; frac < exp; frac++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return PT_ERANGE;
		v *= 10;
	}
	if (v > (uint64_t)INT64_MAX)
		return PT_ERANGE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

struct col {
	char *name;		/* as written */
	const char *path;	/* field path, NULL = ignore */
	char pathbuf[128];
	enum vkind kind;
};

struct parse {
	const struct csvin_opts *o;
	csvin_row_fn fn;
	void *arg;
	struct pt_why *why;
	int rc;
	size_t row;		/* current line number (1-based) */
	struct col *cols;
	size_t ncols;
	char **cells;
	size_t ncells, capcells;
	int have_header;
};

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

static int
map_column(struct parse *p, struct col *c)
{
	char norm[128];
	size_t i;

	normalise(c->name, norm, sizeof(norm));
	for (i = 0; i < sizeof(colmap) / sizeof(colmap[0]); i++) {
		if (strcmp(norm, colmap[i].col) == 0) {
			c->path = colmap[i].path;
			c->kind = colmap[i].kind;
			return 0;
		}
	}
	for (i = 0; plain_fields[i] != NULL; i++) {
		char pn[64];

		normalise(plain_fields[i], pn, sizeof(pn));
		if (strcmp(norm, pn) == 0) {
			c->path = plain_fields[i];
			c->kind = strstr(plain_fields[i], "date") != NULL ?
			    V_DATE : V_STR;
			return 0;
		}
	}
	/* dotted: prefix as in the schema, last part lower-cased */
	for (i = 0; party_prefixes[i] != NULL; i++) {
		size_t pl = strlen(party_prefixes[i]);
		char pn[64];

		normalise(party_prefixes[i], pn, sizeof(pn));
		if (strncmp(norm, pn, strlen(pn)) == 0 &&
		    norm[strlen(pn)] != '\0') {
			const char *dot = strchr(c->name, '.');
			size_t k = 0;

			if (dot == NULL)
				break;
			memcpy(c->pathbuf, party_prefixes[i], pl);
			for (dot++; *dot != '\0' && pl + k + 1 <
			    sizeof(c->pathbuf); dot++)
				c->pathbuf[pl + k++] = (char)tolower(
				    (unsigned char)*dot);
			c->pathbuf[pl + k] = '\0';
			c->path = c->pathbuf;
			c->kind = V_STR;
			return 0;
		}
	}
	return pt_why_set(p->why, PT_EUNKNOWNKEY, "line 1: unknown column "
	    "\"%s\"", c->name);
}

/* Set obj[path] = v, creating intermediate objects. */
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
			sub = json_object();
			json_object_set_new(obj, seg, sub);
		}
		obj = sub;
		path = dot + 1;
	}
	json_object_set_new(obj, path, v);
	return 0;
}

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

static const char *
cell_of(struct parse *p, const char *path)
{
	for (size_t i = 0; i < p->ncols && i < p->ncells; i++)
		if (p->cols[i].path != NULL &&
		    strcmp(p->cols[i].path, path) == 0 &&
		    p->cells[i][0] != '\0')
			return p->cells[i];
	return NULL;
}

static int
build_row(struct parse *p)
{
	json_t *o = json_object(), *party;
	const char *currency, *type;
	static const char *const parties[] = { "payer", "payee", "applicant",
	    "jurisdiction", NULL };
	char dbuf[64];
	int rc;

	if (o == NULL)
		return PT_ENOMEM;
	currency = cell_of(p, "currency");
	if (currency == NULL)
		currency = p->o->currency;
	for (size_t i = 0; i < p->ncols; i++) {
		const struct col *c = &p->cols[i];
		const char *v = p->cells[i];
		json_t *jv = NULL;

		if (c->path == NULL || c->kind == V_IGNORE || v[0] == '\0')
			continue;
		switch (c->kind) {
		case V_INT: {
			int64_t n;

			if (num_parse_i64_str(v, INT64_MIN, INT64_MAX, &n) != 0) {
				json_decref(o);
				return pt_why_set(p->why, PT_EMALFORMED,
				    "line %zu: %s: want an integer", p->row,
				    c->name);
			}
			jv = json_integer((json_int_t)n);
			break;
		}
		case V_MONEY: {
			int64_t n;

			if (currency == NULL &&
			    strcmp(c->path, "amount_minor") == 0) {
				json_decref(o);
				return pt_why_set(p->why, PT_EMALFORMED,
				    "line %zu: %s: an amount needs a currency "
				    "column or --currency", p->row, c->name);
			}
			if (csvin_decimal_to_minor(v, csvin_currency_exponent(
			    currency), &n) != 0) {
				json_decref(o);
				return pt_why_set(p->why, PT_EMALFORMED,
				    "line %zu: %s: \"%s\" is not an amount in "
				    "%s", p->row, c->name, v, currency ?
				    currency : "major units");
			}
			jv = json_integer((json_int_t)n);
			break;
		}
		case V_DATE:
			if (strlen(v) > 10 && (v[10] == 'T' || v[10] == ' '))
				jv = json_stringn(v, 10);
			else
				jv = json_string(v);
			break;
		case V_DECISION:
			jv = json_string(decision_of(v, dbuf, sizeof(dbuf)));
			break;
		default:
			jv = json_string(v);
			break;
		}
		if (jv == NULL) {
			json_decref(o);
			return pt_why_set(p->why, PT_EMALFORMED, "line %zu: %s: "
			    "not valid UTF-8", p->row, c->name);
		}
		if ((rc = set_path(o, c->path, jv)) != 0) {
			json_decref(o);
			return rc;
		}
	}
	/* Defaults: type, currency for money, party kinds, a stable id. */
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
		party = json_object_get(o, parties[i]);
		if (party != NULL && json_object_get(party, "kind") == NULL)
			json_object_set_new(party, "kind", json_string(
			    json_object_get(party, "scheme") != NULL ||
			    strcmp(parties[i], "jurisdiction") == 0 ||
			    strcmp(parties[i], "payer") == 0 ?
			    "organization" : "individual"));
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
	return p->fn(p->arg, o, p->row);
}

static void
field_cb(void *data, size_t len, void *arg)
{
	struct parse *p = arg;
	char *s;

	if (p->rc != 0)
		return;
	if (p->ncells == p->capcells) {
		size_t ncap = p->capcells ? p->capcells * 2 : 16;
		char **nc;

		if (ncap > 4 * PT_MAX_MAP_KEYS * PT_MAX_MAP_KEYS) {
			p->rc = pt_why_set(p->why, PT_ETOOBIG, "line %zu: too "
			    "many columns", p->row);
			return;
		}
		if ((nc = realloc(p->cells, ncap * sizeof(*nc))) == NULL) {
			p->rc = PT_ENOMEM;
			return;
		}
		p->cells = nc;
		p->capcells = ncap;
	}
	if (len > PT_MAX_STRING) {
		p->rc = pt_why_set(p->why, PT_ETOOBIG, "line %zu: a cell is "
		    "longer than %d bytes", p->row, PT_MAX_STRING);
		return;
	}
	if ((s = ut_strndup(data != NULL ? data : "", data != NULL ? len :
	    0)) == NULL) {
		p->rc = PT_ENOMEM;
		return;
	}
	/* Trim surrounding blanks of unquoted cells (libcsv keeps them). */
	p->cells[p->ncells++] = s;
}

static void
free_cells(struct parse *p)
{
	for (size_t i = 0; i < p->ncells; i++)
		free(p->cells[i]);
	p->ncells = 0;
}

static void
row_cb(int c, void *arg)
{
	struct parse *p = arg;

	(void)c;
	if (p->rc != 0) {
		free_cells(p);
		return;
	}
	if (p->ncells == 1 && p->cells[0][0] == '\0') {
		/* blank line */
		free_cells(p);
		p->row++;
		return;
	}
	if (!p->have_header) {
		p->cols = calloc(p->ncells, sizeof(*p->cols));
		if (p->cols == NULL) {
			p->rc = PT_ENOMEM;
			free_cells(p);
			return;
		}
		p->ncols = p->ncells;
		for (size_t i = 0; i < p->ncells; i++) {
			p->cols[i].name = p->cells[i];
			p->cells[i] = NULL;
			if (p->rc == 0)
				p->rc = map_column(p, &p->cols[i]);
		}
		p->ncells = 0;
		p->have_header = 1;
		p->row++;
		return;
	}
	if (p->ncells != p->ncols)
		p->rc = pt_why_set(p->why, PT_EMALFORMED, "line %zu: %zu cells, "
		    "the header has %zu", p->row, p->ncells, p->ncols);
	else
		p->rc = build_row(p);
	free_cells(p);
	p->row++;
}

int
csvin_parse(const uint8_t *buf, size_t len, const struct csvin_opts *o,
    csvin_row_fn fn, void *arg, struct pt_why *why)
{
	struct csv_parser cp;
	struct parse p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.fn = fn;
	p.arg = arg;
	p.why = why;
	p.row = 1;
	if (csv_init(&cp, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0)
		return PT_ENOMEM;
	/* Skip a UTF-8 byte order mark (spreadsheet exports). */
	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
		buf += 3;
		len -= 3;
	}
	if (csv_parse(&cp, buf, len, field_cb, row_cb, &p) != len &&
	    p.rc == 0)
		p.rc = pt_why_set(why, PT_EMALFORMED, "line %zu: %s", p.row,
		    csv_strerror(csv_error(&cp)));
	if (p.rc == 0 && csv_fini(&cp, field_cb, row_cb, &p) != 0 &&
	    p.rc == 0)
		p.rc = pt_why_set(why, PT_EMALFORMED, "line %zu: %s", p.row,
		    csv_strerror(csv_error(&cp)));
	csv_free(&cp);
	rc = p.rc;
	if (rc == 0 && !p.have_header)
		rc = pt_why_set(why, PT_EMALFORMED, "no header row");
	free_cells(&p);
	free(p.cells);
	for (size_t i = 0; i < p.ncols; i++)
		free(p.cols[i].name);
	free(p.cols);
	return rc;
}
