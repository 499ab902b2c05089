/*
 * record_value.c: the rules for one value of each scalar kind of record
 * schema v1 (docs/PROTOCOL.md section 6): ids, text, URIs, dates,
 * currencies, amounts, years, indexes, decisions, the office_key fields.
 * record.c walks a record's maps and hands each scalar value here
 * (record_value_check); each rule reads the value through the cursor and
 * nothing is allocated.
 */
#include <stdint.h>
#include <string.h>

#include "note.h"
#include "record.h"
#include "record_int.h"
#include "wire.h"

static const char *const decisions[] = {
	"appeal_decided", "cancelled", "denied", "expired", "finaled",
	"issued", "reinstated", "revoked", "suspended", "withdrawn",
};

/* ------------------------------------------------------------ scalar rules */

static int
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
record_date_valid(const char *s, size_t len)
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

/* 00:00 UTC of a date record_date_valid() accepted, in ms since 1970-01-01
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

/* Each check_<kind> below reads one value at v, of the field named path in
 * reasons: PT_ETYPE for a value of the wrong msgpack type, PT_ESCHEMA for
 * one that breaks the kind's rule.  O(value). */

/* F_TYPE, F_KIND: a string, whose value the caller's dispatch checks. */
static int
check_str(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;

	return get_str(x, v, path, &s, &len);
}

/* F_ID, and F_OCID (ocid: "ocds-" and more) */
static int
check_id(struct ctx *x, struct wire_cur *v, const char *path, int ocid)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	if (id_valid(s, len, PT_MAX_ID) != 0)
		return pt_why_set(x->why, PT_ESCHEMA, "%s: want 1..%d "
		    "bytes of printable ASCII without spaces", path,
		    PT_MAX_ID);
	if (ocid && (len <= 5 || memcmp(s, "ocds-", 5) != 0))
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want an OCDS ocid (\"ocds-...\")", path);
	return 0;
}

/* F_LINE, and F_PARA (para: "\n" allowed) */
static int
check_text(struct ctx *x, struct wire_cur *v, const char *path, int para)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	if (len == 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: must not be empty", path);
	if (text_valid(s, len, para) != 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: control characters not allowed", path);
	return 0;
}

/* F_URI */
static int
check_uri(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	if (uri_valid(s, len) != 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want an http:// or https:// URI of printable "
		    "ASCII", path);
	return 0;
}

/* F_DATE; *date (when not NULL) gets the date's first byte. */
static int
check_date(struct ctx *x, struct wire_cur *v, const char *path,
    const char **date)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	if (record_date_valid(s, len) != 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want a calendar date YYYY-MM-DD", path);
	if (date != NULL)
		*date = s;
	return 0;
}

/* F_CURRENCY */
static int
check_currency(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	if (len != 3 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z' || s[2] < 'A' || s[2] > 'Z')
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want an ISO 4217 code (three of A-Z)", path);
	return 0;
}

/* F_AMOUNT, and F_AMOUNT_NN (nonneg: not below 0) */
static int
check_amount(struct ctx *x, struct wire_cur *v, const char *path, int nonneg)
{
	int64_t iv;
	int r;

	r = wire_cur_int(v, &iv);
	if (r == PT_ERANGE)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: out of the signed 64-bit range", path);
	if (r != 0)
		return pt_why_set(x->why, PT_ETYPE,
		    "%s: want integer", path);
	if (nonneg && iv < 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: must not be negative", path);
	return 0;
}

static int
get_uint(struct ctx *x, struct wire_cur *v, const char *path, uint64_t *uv)
{
	if (wire_cur_uint(v, uv) != 0)
		return pt_why_set(x->why, PT_ETYPE,
		    "%s: want a non-negative integer", path);
	return 0;
}

/* F_YEAR */
static int
check_year(struct ctx *x, struct wire_cur *v, const char *path)
{
	uint64_t uv;
	int r;

	if ((r = get_uint(x, v, path, &uv)) != 0)
		return r;
	if (uv < 1 || uv > 9999)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want a year 1..9999", path);
	return 0;
}

/* F_INDEX: a correction's target_index, kept in x->info. */
static int
check_index(struct ctx *x, struct wire_cur *v, const char *path)
{
	uint64_t uv;
	int r;

	if ((r = get_uint(x, v, path, &uv)) != 0)
		return r;
	if (uv >= PT_MAX_TREE_SIZE)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: out of range", path);
	if (x->info != NULL)
		x->info->target_index = uv;
	return 0;
}

/* F_DECISION: one of decisions[]. */
static int
check_decision(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	for (size_t i = 0; i < NELEM(decisions); i++)
		if (streq(s, len, decisions[i]))
			return 0;
	return pt_why_set(x->why, PT_ESCHEMA,
	    "%s: not a known decision (issued, finaled, cancelled, denied, "
	    "expired, revoked, suspended, reinstated, withdrawn, "
	    "appeal_decided)", path);
}

/* F_ACTION: a correction's "amend" or "void", kept in x->action_void. */
static int
check_action(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

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
}

/* F_SCHEME */
static int
check_scheme(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

	if ((r = get_str(x, v, path, &s, &len)) != 0)
		return r;
	if (scheme_valid(s, len) != 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want an org-id.guide list code such as "
		    "GB-GOR", path);
	return 0;
}

/* F_HASH32: 32 bytes; a correction's target_leaf_hash (field f) is kept in
 * x->info. */
static int
check_hash32(struct ctx *x, const struct field *f, struct wire_cur *v,
    const char *path)
{
	const uint8_t *b;
	size_t len;

	if (wire_cur_bin(v, &b, &len) != 0)
		return pt_why_set(x->why, PT_ETYPE,
		    "%s: want bin", path);
	if (len != 32)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: want 32 bytes, got %zu", path, len);
	if (strcmp(f->name, "target_leaf_hash") == 0 && x->info != NULL)
		memcpy(x->info->target_hash.b, b, 32);
	return 0;
}

/* F_OKACTION: an office_key's "grant" or "revoke", kept in
 * x->okey_revoke. */
static int
check_okaction(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

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
}

/* F_OKKEY: an Ed25519 verifier key string, kept in x->info. */
static int
check_okkey(struct ctx *x, struct wire_cur *v, const char *path)
{
	struct note_vkey k;
	const char *s;
	size_t len;
	int r;

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

/* F_OKNAME: a display name, kept in x->info. */
static int
check_okname(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	size_t len;
	int r;

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
}

/* F_OKTYPES: office record types, each once, in byte order; their mask is
 * kept in x->info. */
static int
check_oktypes(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s, *prev = NULL;
	size_t len, n, plen = 0;
	unsigned mask = 0;
	enum record_type t;
	int r;

	if (wire_cur_array(v, &n) != 0)
		return pt_why_set(x->why, PT_ETYPE,
		    "%s: want an array of record types", path);
	if (n == 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: must not be empty", path);
	for (size_t i = 0; i < n; i++) {
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

/* F_OKDATE: as F_DATE, kept in x->info as milliseconds. */
static int
check_okdate(struct ctx *x, struct wire_cur *v, const char *path)
{
	const char *s;
	int r;

	if ((r = check_date(x, v, path, &s)) != 0)
		return r;
	if (x->info != NULL)
		x->info->okey_valid_from_ms = date_ms(s);
	return 0;
}

/* Each scalar kind to its rule (record.c checks the maps). */
int
record_value_check(struct ctx *x, const struct field *f, struct wire_cur *v,
    const char *path)
{
	switch (f->kind) {
	case F_TYPE:
	case F_KIND:
		return check_str(x, v, path);
	case F_ID:
		return check_id(x, v, path, 0);
	case F_OCID:
		return check_id(x, v, path, 1);
	case F_LINE:
		return check_text(x, v, path, 0);
	case F_PARA:
		return check_text(x, v, path, 1);
	case F_URI:
		return check_uri(x, v, path);
	case F_DATE:
		return check_date(x, v, path, NULL);
	case F_CURRENCY:
		return check_currency(x, v, path);
	case F_AMOUNT:
		return check_amount(x, v, path, 0);
	case F_AMOUNT_NN:
		return check_amount(x, v, path, 1);
	case F_YEAR:
		return check_year(x, v, path);
	case F_INDEX:
		return check_index(x, v, path);
	case F_DECISION:
		return check_decision(x, v, path);
	case F_ACTION:
		return check_action(x, v, path);
	case F_SCHEME:
		return check_scheme(x, v, path);
	case F_HASH32:
		return check_hash32(x, f, v, path);
	case F_OKACTION:
		return check_okaction(x, v, path);
	case F_OKKEY:
		return check_okkey(x, v, path);
	case F_OKNAME:
		return check_okname(x, v, path);
	case F_OKTYPES:
		return check_oktypes(x, v, path);
	case F_OKDATE:
		return check_okdate(x, v, path);
	default:
		break;
	}
	return pt_why_set(x->why, PT_EINVAL, "%s: internal", path);
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
record_id_check(const char *s, size_t len)
{
	return s != NULL && id_valid(s, len, PT_MAX_ID) == 0 ? 0 : PT_ESCHEMA;
}
