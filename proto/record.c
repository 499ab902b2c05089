/*
 * record.c: record schema v1 (docs/PROTOCOL.md section 6).
 *
 * A record is checked in two passes over the same bytes, neither of which
 * allocates: wire_check_canonical() (generic canonical msgpack and limits),
 * then a table-driven walk of the map through a wire_cur cursor.  Each map
 * the schema knows (record types, party, budget, address) is a table of
 * (key, kind, required); unknown keys are PT_EUNKNOWNKEY, a missing
 * required key PT_ESCHEMA naming it, a value of the wrong msgpack type
 * PT_ETYPE, a value of the right type that breaks a rule PT_ESCHEMA.  The
 * `why` text always starts with the dotted path of the field.
 */
#include <string.h>

#include "crypto.h"
#include "note.h"
#include "record.h"
#include "wire.h"

enum fkind {
	F_TYPE,		/* the record's type string (checked by dispatch) */
	F_KIND,		/* a party's kind string (checked by dispatch) */
	F_ID,		/* 1..PT_MAX_ID bytes of printable ASCII, no space */
	F_LINE,		/* 1..PT_MAX_STRING bytes of text, no controls */
	F_PARA,		/* as F_LINE, but "\n" allowed */
	F_URI,		/* http(s) URI: printable ASCII, no space */
	F_OCID,		/* "ocds-" prefix, else as F_ID */
	F_DATE,		/* YYYY-MM-DD, a real Gregorian date */
	F_CURRENCY,	/* ISO 4217 alpha-3: three of A-Z */
	F_AMOUNT,	/* int64 */
	F_AMOUNT_NN,	/* int64 >= 0 */
	F_YEAR,		/* uint 1..9999 */
	F_DECISION,	/* permit decision enum */
	F_ACTION,	/* "amend" | "void" */
	F_SCHEME,	/* org-id.guide list code, e.g. GB-GOR */
	F_HASH32,	/* bin(32) */
	F_INDEX,	/* uint < PT_MAX_TREE_SIZE */
	F_ORG,		/* party that must be an organization */
	F_PARTY,	/* organization or individual */
	F_BUDGET,
	F_ADDRESS,
	F_RECORD,	/* a nested payment or permit_decision */
	F_OKACTION,	/* office_key: "grant" | "revoke" */
	F_OKKEY,	/* office_key: an Ed25519 verifier key string */
	F_OKNAME,	/* office_key: display name, as F_LINE */
	F_OKORG,	/* office_key: the organisation, as F_ORG */
	F_OKTYPES,	/* office_key: array of office record types */
	F_OKDATE,	/* office_key: valid_from, as F_DATE */
};

#define REQ 1
#define OPT 0

struct field {
	const char *name;
	enum fkind kind;
	int required;
};

/* Tables list keys in ascending byte order, as they appear on the wire. */
static const struct field payment_fields[] = {
	{ "amount_minor", F_AMOUNT, REQ },
	{ "budget", F_BUDGET, OPT },
	{ "contract_id", F_ID, OPT },
	{ "currency", F_CURRENCY, REQ },
	{ "date", F_DATE, REQ },
	{ "description", F_PARA, REQ },
	{ "id", F_ID, REQ },
	{ "ocid", F_OCID, OPT },
	{ "payee", F_PARTY, REQ },
	{ "payer", F_ORG, REQ },
	{ "source_uri", F_URI, OPT },
	{ "type", F_TYPE, REQ },
};

static const struct field permit_fields[] = {
	{ "address", F_ADDRESS, REQ },
	{ "applicant", F_PARTY, OPT },
	{ "applied_date", F_DATE, OPT },
	{ "currency", F_CURRENCY, OPT },
	{ "decision", F_DECISION, REQ },
	{ "decision_date", F_DATE, REQ },
	{ "description", F_PARA, REQ },
	{ "est_project_cost_minor", F_AMOUNT_NN, OPT },
	{ "expires_date", F_DATE, OPT },
	{ "fee_minor", F_AMOUNT_NN, OPT },
	{ "id", F_ID, REQ },
	{ "issued_date", F_DATE, OPT },
	{ "jurisdiction", F_ORG, REQ },
	{ "link", F_URI, OPT },
	{ "permit_num", F_ID, REQ },
	{ "permit_type", F_LINE, REQ },
	{ "type", F_TYPE, REQ },
};
#define PERMIT_CURRENCY	3
#define PERMIT_COST	7
#define PERMIT_FEE	9

static const struct field correction_fields[] = {
	{ "action", F_ACTION, REQ },
	{ "id", F_ID, REQ },
	{ "reason", F_PARA, REQ },
	{ "replacement", F_RECORD, OPT },
	{ "target_index", F_INDEX, REQ },
	{ "target_leaf_hash", F_HASH32, REQ },
	{ "type", F_TYPE, REQ },
};
#define CORR_REPLACEMENT 3

static const struct field office_key_fields[] = {
	{ "action", F_OKACTION, REQ },
	{ "id", F_ID, REQ },
	{ "key", F_OKKEY, REQ },
	{ "name", F_OKNAME, REQ },
	{ "organization", F_OKORG, REQ },
	{ "reason", F_PARA, REQ },
	{ "type", F_TYPE, REQ },
	{ "types", F_OKTYPES, OPT },
	{ "valid_from", F_OKDATE, OPT },
};
#define OKEY_TYPES	7
#define OKEY_VALID_FROM	8

static const struct field org_fields[] = {
	{ "id", F_ID, REQ },
	{ "kind", F_KIND, REQ },
	{ "name", F_LINE, REQ },
	{ "scheme", F_SCHEME, REQ },
};

static const struct field individual_fields[] = {
	{ "commitment", F_HASH32, REQ },
	{ "kind", F_KIND, REQ },
};

static const struct field budget_fields[] = {
	{ "admin", F_ID, OPT },
	{ "economic", F_ID, OPT },
	{ "fiscal_year", F_YEAR, OPT },
	{ "functional", F_ID, OPT },
};

static const struct field address_fields[] = {
	{ "city", F_LINE, REQ },
	{ "line1", F_LINE, REQ },
	{ "state", F_LINE, OPT },
	{ "zip", F_LINE, OPT },
};

static const char *const decisions[] = {
	"appeal_decided", "cancelled", "denied", "expired", "finaled",
	"issued", "reinstated", "revoked", "suspended", "withdrawn",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PATH_MAX_LEN 96

struct ctx {
	struct pt_why *why;
	struct record_info *info;	/* NULL inside a nested record */
	int action_void;		/* set by F_ACTION */
	enum record_type nested_type;	/* set by a nested record */
	int okey_revoke;		/* set by F_OKACTION */
};

static int check_record(struct ctx *x, struct wire_cur *c, const char *path,
    int nested);

static int
streq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* out = path "." name (or name at the top), truncated to fit. */
static void
join(char *out, const char *path, const char *name)
{
	size_t n = 0;

	for (; *path != '\0' && n < PATH_MAX_LEN - 1; path++)
		out[n++] = *path;
	if (n > 0 && n < PATH_MAX_LEN - 1)
		out[n++] = '.';
	for (; *name != '\0' && n < PATH_MAX_LEN - 1; name++)
		out[n++] = *name;
	out[n] = '\0';
}

/* ------------------------------------------------------------ scalar rules */

static int
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_valid(const char *s, size_t len)
{
	static const unsigned mdays[] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y = 0, m, d, dim;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (size_t i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(s[i] - '0');
	m = (unsigned)(s[5] - '0') * 10 + (unsigned)(s[6] - '0');
	d = (unsigned)(s[8] - '0') * 10 + (unsigned)(s[9] - '0');
	if (y == 0 || m < 1 || m > 12)
		return -1;
	dim = mdays[m - 1] + (m == 2 && is_leap(y));
	return d >= 1 && d <= dim ? 0 : -1;
}

/* 00:00 UTC of a date date_valid() accepted, in ms since 1970-01-01
 * (0 for dates before it).  Days from the civil date: H. Hinnant's
 * algorithm, exact for the proleptic Gregorian calendar. */
static uint64_t
date_ms(const char *s)
{
	int64_t y = 0, m, d, era, yoe, doy, doe, days;

	for (size_t i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	return days > 0 ? (uint64_t)days * 86400000ULL : 0;
}

static int
id_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return -1;
	return 0;
}

/* Text (already valid UTF-8): no C0 controls, DEL or C1 controls (U+0080..
 * U+009F, encoded 0xc2 0x80..0x9f); "\n" only when nl is set. */
static int
text_valid(const char *s, size_t len, int nl)
{
	const unsigned char *p = (const unsigned char *)s;

	if (len == 0 || len > PT_MAX_STRING)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' && nl)
			continue;
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return -1;
	}
	return 0;
}

static int
scheme_valid(const char *s, size_t len)
{
	size_t i;

	/* [A-Z]{2} ( "-" [A-Z0-9]+ )+ , at most 32 bytes */
	if (len < 4 || len > 32)
		return -1;
	if (s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' ||
	    s[2] != '-')
		return -1;
	for (i = 3; i < len; i++) {
		if (s[i] == '-') {
			if (s[i - 1] == '-' || i + 1 == len)
				return -1;
			continue;
		}
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return -1;
	}
	return 0;
}

static int
uri_valid(const char *s, size_t len)
{
	if (!(len > 8 && memcmp(s, "https://", 8) == 0) &&
	    !(len > 7 && memcmp(s, "http://", 7) == 0))
		return -1;
	return id_valid(s, len, PT_MAX_STRING);
}

/* --------------------------------------------------------------- values */

static int
get_str(struct ctx *x, struct wire_cur *v, const char *path, const char **s,
    size_t *len)
{
	if (wire_cur_str(v, s, len) != 0)
		return pt_why_set(x->why, PT_ETYPE, "%s: want string", path);
	return 0;
}

static int
check_party(struct ctx *x, struct wire_cur *v, const char *path,
    int org_only);
static int check_map(struct ctx *x, struct wire_cur *c,
    const struct field *tab, size_t n, const char *path, unsigned *seen);

static int
check_value(struct ctx *x, const struct field *f, struct wire_cur *v,
    const char *path)
{
	const char *s;
	const uint8_t *b;
	size_t len, i;
	int64_t iv;
	uint64_t uv;
	unsigned seen;
	int r;

	switch (f->kind) {
	case F_TYPE:
	case F_KIND:
		/* Value checked by the caller's dispatch. */
		return get_str(x, v, path, &s, &len);
	case F_ID:
	case F_OCID:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (id_valid(s, len, PT_MAX_ID) != 0)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: want 1..%d "
			    "bytes of printable ASCII without spaces", path,
			    PT_MAX_ID);
		if (f->kind == F_OCID && (len <= 5 ||
		    memcmp(s, "ocds-", 5) != 0))
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want an OCDS ocid (\"ocds-...\")", path);
		return 0;
	case F_LINE:
	case F_PARA:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (len == 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: must not be empty", path);
		if (text_valid(s, len, f->kind == F_PARA) != 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: control characters not allowed", path);
		return 0;
	case F_URI:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (uri_valid(s, len) != 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want an http:// or https:// URI of printable "
			    "ASCII", path);
		return 0;
	case F_DATE:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (date_valid(s, len) != 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want a calendar date YYYY-MM-DD", path);
		return 0;
	case F_CURRENCY:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (len != 3 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
		    s[1] > 'Z' || s[2] < 'A' || s[2] > 'Z')
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want an ISO 4217 code (three of A-Z)", path);
		return 0;
	case F_AMOUNT:
	case F_AMOUNT_NN:
		r = wire_cur_int(v, &iv);
		if (r == PT_ERANGE)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: out of the signed 64-bit range", path);
		if (r != 0)
			return pt_why_set(x->why, PT_ETYPE,
			    "%s: want integer", path);
		if (f->kind == F_AMOUNT_NN && iv < 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: must not be negative", path);
		return 0;
	case F_YEAR:
	case F_INDEX:
		if (wire_cur_uint(v, &uv) != 0)
			return pt_why_set(x->why, PT_ETYPE,
			    "%s: want a non-negative integer", path);
		if (f->kind == F_YEAR && (uv < 1 || uv > 9999))
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want a year 1..9999", path);
		if (f->kind == F_INDEX && uv >= PT_MAX_TREE_SIZE)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: out of range", path);
		if (f->kind == F_INDEX && x->info != NULL)
			x->info->target_index = uv;
		return 0;
	case F_DECISION:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		for (i = 0; i < NELEM(decisions); i++)
			if (streq(s, len, decisions[i]))
				return 0;
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: not a known decision", path);
	case F_ACTION:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (streq(s, len, "amend"))
			x->action_void = 0;
		else if (streq(s, len, "void"))
			x->action_void = 1;
		else
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want \"amend\" or \"void\"", path);
		return 0;
	case F_SCHEME:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (scheme_valid(s, len) != 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want an org-id.guide list code such as "
			    "GB-GOR", path);
		return 0;
	case F_HASH32:
		if (wire_cur_bin(v, &b, &len) != 0)
			return pt_why_set(x->why, PT_ETYPE,
			    "%s: want bin", path);
		if (len != 32)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want 32 bytes, got %zu", path, len);
		if (strcmp(f->name, "target_leaf_hash") == 0 &&
		    x->info != NULL)
			memcpy(x->info->target_hash.b, b, 32);
		return 0;
	case F_ORG:
	case F_PARTY:
		return check_party(x, v, path, f->kind == F_ORG);
	case F_BUDGET:
		if ((r = check_map(x, v, budget_fields, NELEM(budget_fields),
		    path, &seen)) != 0)
			return r;
		if (seen == 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: must not be empty", path);
		return 0;
	case F_ADDRESS:
		return check_map(x, v, address_fields, NELEM(address_fields),
		    path, &seen);
	case F_RECORD:
		return check_record(x, v, path, 1);
	case F_OKACTION:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (streq(s, len, "grant"))
			x->okey_revoke = 0;
		else if (streq(s, len, "revoke"))
			x->okey_revoke = 1;
		else
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want \"grant\" or \"revoke\"", path);
		return 0;
	case F_OKKEY: {
		struct note_vkey k;

		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (len == 0 || len > PT_MAX_VKEY ||
		    note_vkey_parse(s, len, &k) != 0)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: want a C2SP "
			    "verifier key string of at most %d bytes", path,
			    PT_MAX_VKEY);
		if (k.alg != NOTE_ALG_ED25519)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: want an "
			    "Ed25519 (type 0x01) key", path);
		if (x->info != NULL) {
			x->info->okey_vkey = s;
			x->info->okey_vkey_len = len;
		}
		return 0;
	}
	case F_OKNAME:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (text_valid(s, len, 0) != 0)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: want 1..%d "
			    "bytes of text without control characters", path,
			    PT_MAX_STRING);
		if (x->info != NULL) {
			x->info->okey_name = s;
			x->info->okey_name_len = len;
		}
		return 0;
	case F_OKORG: {
		const uint8_t *start = v->p;

		if ((r = check_party(x, v, path, 1)) != 0)
			return r;
		if (x->info != NULL) {
			x->info->okey_org = start;
			x->info->okey_org_len = (size_t)(v->p - start);
		}
		return 0;
	}
	case F_OKTYPES: {
		const char *prev = NULL;
		size_t n, plen = 0;
		unsigned mask = 0;
		enum record_type t;

		if (wire_cur_array(v, &n) != 0)
			return pt_why_set(x->why, PT_ETYPE,
			    "%s: want an array of record types", path);
		if (n == 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: must not be empty", path);
		for (i = 0; i < n; i++) {
			if ((r = get_str(x, v, path, &s, &len)) != 0)
				return r;
			if (record_type_parse(s, len, &t) != 0 ||
			    !(RECORD_TYPES_ALL & (1u << t)))
				return pt_why_set(x->why, PT_ESCHEMA, "%s: want "
				    "\"correction\", \"payment\" or "
				    "\"permit_decision\"", path);
			if (prev != NULL) {
				size_t m = plen < len ? plen : len;
				int c = memcmp(prev, s, m);

				if (c > 0 || (c == 0 && plen >= len))
					return pt_why_set(x->why, PT_ESCHEMA,
					    "%s: types must be listed once "
					    "each, in byte order", path);
			}
			prev = s;
			plen = len;
			mask |= 1u << t;
		}
		if (x->info != NULL)
			x->info->okey_types = mask;
		return 0;
	}
	case F_OKDATE:
		if ((r = get_str(x, v, path, &s, &len)) != 0)
			return r;
		if (date_valid(s, len) != 0)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: want a calendar date YYYY-MM-DD", path);
		if (x->info != NULL)
			x->info->okey_valid_from_ms = date_ms(s);
		return 0;
	}
	return pt_why_set(x->why, PT_EINVAL, "%s: internal", path);
}

/*
 * Read the map at c and check it against tab.  *seen gets a bitmask of the
 * keys present (bit i for tab[i]).  O(pairs * n).
 */
static int
check_map(struct ctx *x, struct wire_cur *c, const struct field *tab,
    size_t n, const char *path, unsigned *seen)
{
	char sub[PATH_MAX_LEN], safe[41];
	const char *key;
	size_t npairs, klen, i, k;
	int r;

	*seen = 0;
	if (wire_cur_map(c, &npairs) != 0)
		return pt_why_set(x->why, PT_ETYPE, "%s: want map",
		    *path ? path : "record");
	for (i = 0; i < npairs; i++) {
		if (wire_cur_str(c, &key, &klen) != 0)
			return pt_why_set(x->why, PT_ETYPE,
			    "%s: map key is not a string", path);
		for (k = 0; k < n; k++)
			if (streq(key, klen, tab[k].name))
				break;
		if (k == n) {
			size_t m = klen < 40 ? klen : 40;
			for (size_t j = 0; j < m; j++)
				safe[j] = (key[j] >= 0x20 && key[j] < 0x7f) ?
				    key[j] : '?';
			safe[m] = '\0';
			join(sub, path, safe);
			return pt_why_set(x->why, PT_EUNKNOWNKEY,
			    "%s: unknown field", sub);
		}
		*seen |= 1u << k;
		join(sub, path, tab[k].name);
		if ((r = check_value(x, &tab[k], c, sub)) != 0)
			return r;
	}
	for (k = 0; k < n; k++)
		if (tab[k].required && !(*seen & (1u << k))) {
			join(sub, path, tab[k].name);
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: missing required field", sub);
		}
	return 0;
}

/* Find the string value of key in the map at c (c is not moved).
 * 1 found, 0 absent, or a negative error (PT_ETYPE: value not a string). */
static int
find_str(const struct wire_cur *c, const char *key, const char **s,
    size_t *len)
{
	struct wire_cur t = *c;
	const char *k;
	size_t npairs, klen;

	if (wire_cur_map(&t, &npairs) != 0)
		return PT_ETYPE;
	for (size_t i = 0; i < npairs; i++) {
		if (wire_cur_str(&t, &k, &klen) != 0)
			return PT_ETYPE;
		if (streq(k, klen, key))
			return wire_cur_str(&t, s, len) == 0 ? 1 : PT_ETYPE;
		if (wire_cur_skip(&t, NULL, NULL) != 0)
			return PT_ETRUNCATED;
	}
	return 0;
}

static int
check_party(struct ctx *x, struct wire_cur *v, const char *path,
    int org_only)
{
	const char *s;
	size_t len;
	unsigned seen;
	char sub[PATH_MAX_LEN];

	if (wire_cur_kind(v) != WIRE_K_MAP)
		return pt_why_set(x->why, PT_ETYPE, "%s: want map", path);
	join(sub, path, "kind");
	switch (find_str(v, "kind", &s, &len)) {
	case 1:
		break;
	case 0:
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: missing required field", sub);
	default:
		return pt_why_set(x->why, PT_ETYPE, "%s: want string", sub);
	}
	if (streq(s, len, "organization"))
		return check_map(x, v, org_fields, NELEM(org_fields), path,
		    &seen);
	if (streq(s, len, "individual")) {
		if (org_only)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: must be an organization", sub);
		return check_map(x, v, individual_fields,
		    NELEM(individual_fields), path, &seen);
	}
	return pt_why_set(x->why, PT_ESCHEMA,
	    "%s: want \"organization\" or \"individual\"", sub);
}

static int
check_record(struct ctx *x, struct wire_cur *c, const char *path, int nested)
{
	const struct field *tab;
	struct record_info *saved = x->info;
	struct wire_cur start = *c;
	enum record_type t;
	const char *s, *id;
	size_t len, n, idlen;
	unsigned seen;
	char sub[PATH_MAX_LEN];
	int r;

	if (wire_cur_kind(c) != WIRE_K_MAP)
		return pt_why_set(x->why, PT_ETYPE, "%s: want map",
		    *path ? path : "record");
	join(sub, path, "type");
	switch (find_str(c, "type", &s, &len)) {
	case 1:
		break;
	case 0:
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: missing required field", sub);
	default:
		return pt_why_set(x->why, PT_ETYPE, "%s: want string", sub);
	}
	if (record_type_parse(s, len, &t) != 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: unknown record type", sub);
	switch (t) {
	case RECORD_PAYMENT:
		tab = payment_fields;
		n = NELEM(payment_fields);
		break;
	case RECORD_PERMIT_DECISION:
		tab = permit_fields;
		n = NELEM(permit_fields);
		break;
	case RECORD_OFFICE_KEY:
		if (nested)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: a correction"
			    " may only replace a payment or permit_decision",
			    sub);
		tab = office_key_fields;
		n = NELEM(office_key_fields);
		break;
	case RECORD_CORRECTION:
	default:
		if (nested)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: a correction"
			    " may only replace a payment or permit_decision",
			    sub);
		tab = correction_fields;
		n = NELEM(correction_fields);
		break;
	}
	if (nested) {
		x->info = NULL;
		x->nested_type = t;
	}
	r = check_map(x, c, tab, n, path, &seen);
	x->info = saved;
	if (r != 0)
		return r;
	if (t == RECORD_PERMIT_DECISION) {
		int amounts = (seen & (1u << PERMIT_COST)) ||
		    (seen & (1u << PERMIT_FEE));
		int cur = (seen & (1u << PERMIT_CURRENCY)) != 0;
		join(sub, path, "currency");
		if (amounts && !cur)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: required "
			    "with fee_minor or est_project_cost_minor", sub);
		if (cur && !amounts)
			return pt_why_set(x->why, PT_ESCHEMA, "%s: only "
			    "allowed with fee_minor or est_project_cost_minor",
			    sub);
	}
	if (t == RECORD_CORRECTION) {
		int has = (seen & (1u << CORR_REPLACEMENT)) != 0;
		join(sub, path, "replacement");
		if (!x->action_void && !has)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: required when action is amend", sub);
		if (x->action_void && has)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: not allowed when action is void", sub);
	}
	if (t == RECORD_OFFICE_KEY) {
		int types = (seen & (1u << OKEY_TYPES)) != 0;
		int vf = (seen & (1u << OKEY_VALID_FROM)) != 0;

		join(sub, path, "types");
		if (!x->okey_revoke && !types)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: required when action is grant", sub);
		if (x->okey_revoke && types)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: not allowed when action is revoke", sub);
		join(sub, path, "valid_from");
		if (x->okey_revoke && vf)
			return pt_why_set(x->why, PT_ESCHEMA,
			    "%s: not allowed when action is revoke", sub);
	}
	if (!nested && x->info != NULL) {
		/* id is required and was checked: find it again. */
		if (find_str(&start, "id", &id, &idlen) != 1)
			return pt_why_set(x->why, PT_ESCHEMA, "id: missing");
		x->info->type = t;
		x->info->id = id;
		x->info->id_len = idlen;
		x->info->action_void = t == RECORD_CORRECTION ?
		    x->action_void : 0;
		x->info->replacement_type = t == RECORD_CORRECTION &&
		    !x->action_void ? x->nested_type : 0;
		x->info->okey_revoke = t == RECORD_OFFICE_KEY ?
		    x->okey_revoke : 0;
	}
	return 0;
}

int
record_check(const uint8_t *buf, size_t len, struct record_info *info,
    struct pt_why *why)
{
	struct record_info tmp;
	struct wire_cur c;
	struct ctx x;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (buf == NULL || len == 0)
		return pt_why_set(why, PT_ETRUNCATED, "empty record");
	if (len > PT_MAX_RECORD)
		return pt_why_set(why, PT_ETOOBIG,
		    "record of %zu bytes is over the limit of %d", len,
		    PT_MAX_RECORD);
	if ((r = wire_check_canonical(buf, len, why)) != 0)
		return r;
	x.why = why;
	x.info = &tmp;
	x.action_void = 0;
	x.nested_type = 0;
	x.okey_revoke = 0;
	wire_cur_init(&c, buf, len);
	if ((r = check_record(&x, &c, "", 0)) != 0)
		return r;
	if (info != NULL)
		*info = tmp;
	return 0;
}

int
record_decision_known(const char *s, size_t len)
{
	for (size_t i = 0; i < NELEM(decisions); i++)
		if (streq(s, len, decisions[i]))
			return 1;
	return 0;
}

int
record_may_append(const struct record_info *info, unsigned types,
    const char *submitter, size_t submitter_len, const char *target,
    size_t target_len, struct pt_why *why)
{
	if (!(types & (1u << info->type)))
		return pt_why_set(why, PT_EFORBIDDEN, "this office may not "
		    "append records of type %s", record_type_name(info->type));
	if (info->type != RECORD_CORRECTION)
		return 0;
	if (info->replacement_type != 0 &&
	    !(types & (1u << info->replacement_type)))
		return pt_why_set(why, PT_EFORBIDDEN, "this office may not "
		    "append records of type %s (the replacement in a "
		    "correction)", record_type_name(info->replacement_type));
	if (target != NULL && (target_len != submitter_len ||
	    memcmp(target, submitter, submitter_len) != 0))
		return pt_why_set(why, PT_EFORBIDDEN, "correction: entry %llu "
		    "was submitted by another office; only the office that "
		    "logged an entry may correct it",
		    (unsigned long long)info->target_index);
	return 0;
}

const char *
record_type_name(enum record_type t)
{
	switch (t) {
	case RECORD_PAYMENT: return "payment";
	case RECORD_PERMIT_DECISION: return "permit_decision";
	case RECORD_CORRECTION: return "correction";
	case RECORD_OFFICE_KEY: return "office_key";
	}
	return NULL;
}

int
record_type_parse(const char *s, size_t len, enum record_type *out)
{
	static const enum record_type all[] = {
		RECORD_PAYMENT, RECORD_PERMIT_DECISION, RECORD_CORRECTION,
		RECORD_OFFICE_KEY
	};

	if (s == NULL)
		return PT_ENOTFOUND;
	for (size_t i = 0; i < NELEM(all); i++)
		if (streq(s, len, record_type_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return PT_ENOTFOUND;
}

#define COMMIT_DOMAIN "pubtrail commitment v1\n"

int
record_commit(const uint8_t salt[32], const char *value, size_t len,
    uint8_t out[32])
{
	return cr_sha256(COMMIT_DOMAIN, strlen(COMMIT_DOMAIN), salt, 32,
	    value, len, out);
}

int
record_id_check(const char *s, size_t len)
{
	return s != NULL && id_valid(s, len, PT_MAX_ID) == 0 ? 0 : PT_ESCHEMA;
}
