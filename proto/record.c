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
 *
 * This file holds the tables and the walk of the maps; the rule for each
 * scalar value is in record_value.c (record_int.h is what they share).
 */
#include <string.h>

#include "crypto.h"
#include "record.h"
#include "record_int.h"
#include "wire.h"

#define REQ 1
#define OPT 0

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

#define PATH_MAX_LEN 96

static int check_record(struct ctx *x, struct wire_cur *c, const char *path,
    int nested);
static int
check_party(struct ctx *x, struct wire_cur *v, const char *path,
    int org_only);
static int check_map(struct ctx *x, struct wire_cur *c,
    const struct field *tab, size_t n, const char *path, unsigned *seen);

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

/* ----------------------------------------------------------------- maps */

/* F_BUDGET: budget_fields, at least one of them. */
static int
check_budget(struct ctx *x, struct wire_cur *v, const char *path)
{
	unsigned seen;
	int r;

	if ((r = check_map(x, v, budget_fields, NELEM(budget_fields),
	    path, &seen)) != 0)
		return r;
	if (seen == 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: must not be empty", path);
	return 0;
}

/* F_ADDRESS: address_fields. */
static int
check_address(struct ctx *x, struct wire_cur *v, const char *path)
{
	unsigned seen;

	return check_map(x, v, address_fields, NELEM(address_fields), path,
	    &seen);
}

/* F_OKORG: an organization, whose encoded map is kept in x->info. */
static int
check_okorg(struct ctx *x, struct wire_cur *v, const char *path)
{
	const uint8_t *start = v->p;
	int r;

	if ((r = check_party(x, v, path, 1)) != 0)
		return r;
	if (x->info != NULL) {
		x->info->okey_org = start;
		x->info->okey_org_len = (size_t)(v->p - start);
	}
	return 0;
}

/* record_check_each: give the problem now in x->why to x->each; the
 * first one is kept for the answer. */
static void
report(struct ctx *x, int rc)
{
	if (x->nreported++ == 0)
		x->first = *x->why;
	x->each(x->each_arg, rc, x->why->text);
}

/* Check the value at v of field f (named path in reasons): the kinds that
 * are maps here, every scalar kind by record_value_check. */
static int
check_value(struct ctx *x, const struct field *f, struct wire_cur *v,
    const char *path)
{
	switch (f->kind) {
	case F_ORG:
		return check_party(x, v, path, 1);
	case F_PARTY:
		return check_party(x, v, path, 0);
	case F_BUDGET:
		return check_budget(x, v, path);
	case F_ADDRESS:
		return check_address(x, v, path);
	case F_RECORD:
		return check_record(x, v, path, 1);
	case F_OKORG:
		return check_okorg(x, v, path);
	default:
		return record_value_check(x, f, v, path);
	}
}

/*
 * Read the map at c and check it against tab.  *seen gets a bitmask of the
 * keys present (bit i for tab[i]).  The first problem is the answer; with
 * x->each (record_check_each) every problem is reported once, here or in
 * a nested map, a wrong value skipped whole, and the check goes on to the
 * next field and every missing one.  O(pairs * n).
 */
static int
check_map(struct ctx *x, struct wire_cur *c, const struct field *tab,
    size_t n, const char *path, unsigned *seen)
{
	char sub[PATH_MAX_LEN], safe[41];
	const char *key;
	size_t npairs, klen, i, k;
	int r, first = 0;

	*seen = 0;
	if (wire_cur_map(c, &npairs) != 0)
		return pt_why_set(x->why, PT_ETYPE, "%s: want map",
		    *path ? path : "record");
	for (i = 0; i < npairs; i++) {
		struct wire_cur vstart;
		unsigned before = x->nreported;

		if (wire_cur_str(c, &key, &klen) != 0)
			return pt_why_set(x->why, PT_ETYPE,
			    "%s: map key is not a string", path);
		for (k = 0; k < n; k++)
			if (streq(key, klen, tab[k].name))
				break;
		vstart = *c;
		if (k == n) {
			size_t m = klen < 40 ? klen : 40;
			for (size_t j = 0; j < m; j++)
				safe[j] = (key[j] >= 0x20 && key[j] < 0x7f) ?
				    key[j] : '?';
			safe[m] = '\0';
			join(sub, path, safe);
			r = pt_why_set(x->why, PT_EUNKNOWNKEY,
			    "%s: unknown field", sub);
		} else {
			*seen |= 1u << k;
			join(sub, path, tab[k].name);
			r = check_value(x, &tab[k], c, sub);
		}
		if (r == 0)
			continue;
		if (x->each == NULL)
			return r;
		/* on to the next field: this value skipped whole (the
		 * bytes were walked already); said once, here or inside */
		if (x->nreported == before)
			report(x, r);
		first = first != 0 ? first : r;
		*c = vstart;
		if (wire_cur_skip(c, NULL, NULL) != 0)
			return first;
	}
	for (k = 0; k < n; k++)
		if (tab[k].required && !(*seen & (1u << k))) {
			join(sub, path, tab[k].name);
			r = pt_why_set(x->why, PT_ESCHEMA,
			    "%s: missing required field", sub);
			if (x->each == NULL)
				return r;
			report(x, r);
			first = first != 0 ? first : r;
		}
	return first;
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

/* The type of the record map at c (c is not moved), from its "type" field
 * (named path.type in reasons). */
static int
record_type_at(struct ctx *x, const struct wire_cur *c, const char *path,
    enum record_type *t)
{
	const char *s;
	size_t len;
	char sub[PATH_MAX_LEN];

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
	if (record_type_parse(s, len, t) != 0)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: unknown record type", sub);
	return 0;
}

/* The field table of a record of type t (*tab, *n).  A nested record (a
 * correction's replacement) may only be a payment or a permit_decision. */
static int
record_fields(struct ctx *x, enum record_type t, int nested,
    const char *path, const struct field **tab, size_t *n)
{
	char sub[PATH_MAX_LEN];

	switch (t) {
	case RECORD_PAYMENT:
		*tab = payment_fields;
		*n = NELEM(payment_fields);
		return 0;
	case RECORD_PERMIT_DECISION:
		*tab = permit_fields;
		*n = NELEM(permit_fields);
		return 0;
	case RECORD_OFFICE_KEY:
		*tab = office_key_fields;
		*n = NELEM(office_key_fields);
		break;
	case RECORD_CORRECTION:
	default:
		*tab = correction_fields;
		*n = NELEM(correction_fields);
		break;
	}
	if (nested) {
		join(sub, path, "type");
		return pt_why_set(x->why, PT_ESCHEMA, "%s: a correction"
		    " may only replace a payment or permit_decision", sub);
	}
	return 0;
}

/* permit_decision: a currency goes with the fee or the project cost. */
static int
permit_rules(struct ctx *x, unsigned seen, const char *path)
{
	int amounts = (seen & (1u << PERMIT_COST)) ||
	    (seen & (1u << PERMIT_FEE));
	int cur = (seen & (1u << PERMIT_CURRENCY)) != 0;
	char sub[PATH_MAX_LEN];

	join(sub, path, "currency");
	if (amounts && !cur)
		return pt_why_set(x->why, PT_ESCHEMA, "%s: required "
		    "with fee_minor or est_project_cost_minor", sub);
	if (cur && !amounts)
		return pt_why_set(x->why, PT_ESCHEMA, "%s: only "
		    "allowed with fee_minor or est_project_cost_minor",
		    sub);
	return 0;
}

/* correction: a replacement exactly when the action is amend. */
static int
correction_rules(struct ctx *x, unsigned seen, const char *path)
{
	int has = (seen & (1u << CORR_REPLACEMENT)) != 0;
	char sub[PATH_MAX_LEN];

	join(sub, path, "replacement");
	if (!x->action_void && !has)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: required when action is amend", sub);
	if (x->action_void && has)
		return pt_why_set(x->why, PT_ESCHEMA,
		    "%s: not allowed when action is void", sub);
	return 0;
}

/* office_key: types exactly when the action is grant; valid_from only
 * then. */
static int
okey_rules(struct ctx *x, unsigned seen, const char *path)
{
	int types = (seen & (1u << OKEY_TYPES)) != 0;
	int vf = (seen & (1u << OKEY_VALID_FROM)) != 0;
	char sub[PATH_MAX_LEN];

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
	return 0;
}

/* The rules between the fields of a record of type t that its table cannot
 * say (seen: the fields present, as check_map found them). */
static int
record_rules(struct ctx *x, enum record_type t, unsigned seen,
    const char *path)
{
	switch (t) {
	case RECORD_PERMIT_DECISION:
		return permit_rules(x, seen, path);
	case RECORD_CORRECTION:
		return correction_rules(x, seen, path);
	case RECORD_OFFICE_KEY:
		return okey_rules(x, seen, path);
	case RECORD_PAYMENT:
		break;
	}
	return 0;
}

/* What record_check tells its caller about the top-level record of type t
 * (start: a cursor at its map), into x->info. */
static int
record_info_fill(struct ctx *x, enum record_type t,
    const struct wire_cur *start)
{
	const char *id;
	size_t idlen;

	/* id is required and was checked: find it again. */
	if (find_str(start, "id", &id, &idlen) != 1)
		return pt_why_set(x->why, PT_ESCHEMA, "id: missing");
	x->info->type = t;
	x->info->id = id;
	x->info->id_len = idlen;
	x->info->action_void = t == RECORD_CORRECTION ? x->action_void : 0;
	x->info->replacement_type = t == RECORD_CORRECTION &&
	    !x->action_void ? x->nested_type : 0;
	x->info->replacement_id = x->info->replacement_type != 0 ?
	    x->nested_id : NULL;
	x->info->replacement_id_len = x->info->replacement_type != 0 ?
	    x->nested_id_len : 0;
	x->info->okey_revoke = t == RECORD_OFFICE_KEY ? x->okey_revoke : 0;
	return 0;
}

/* Check the record map at c (named path in reasons; nested: a correction's
 * replacement, whose facts are not the caller's): its type, its fields by
 * the type's table, the rules between them; then, at the top, fill
 * x->info. */
static int
check_record(struct ctx *x, struct wire_cur *c, const char *path, int nested)
{
	struct record_info *saved = x->info;
	struct wire_cur start = *c;
	const struct field *tab;
	enum record_type t;
	unsigned seen;
	size_t n;
	int r;

	if ((r = record_type_at(x, c, path, &t)) != 0 ||
	    (r = record_fields(x, t, nested, path, &tab, &n)) != 0)
		return r;
	if (nested) {
		x->info = NULL;
		x->nested_type = t;
		if (find_str(&start, "id", &x->nested_id,
		    &x->nested_id_len) != 1) {
			x->nested_id = NULL;
			x->nested_id_len = 0;
		}
	}
	r = check_map(x, c, tab, n, path, &seen);
	x->info = saved;
	if (r != 0 || (r = record_rules(x, t, seen, path)) != 0)
		return r;
	if (!nested && x->info != NULL)
		return record_info_fill(x, t, &start);
	return 0;
}

int
record_check(const uint8_t *buf, size_t len, struct record_info *info,
    struct pt_why *why)
{
	return record_check_each(buf, len, info, NULL, NULL, why);
}

int
record_check_each(const uint8_t *buf, size_t len, struct record_info *info,
    record_each_fn each, void *arg, struct pt_why *why)
{
	struct record_info tmp;
	struct pt_why own = { "" };
	struct wire_cur c;
	struct ctx x;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	if (why == NULL)
		why = &own;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (buf == NULL || len == 0)
		r = pt_why_set(why, PT_ETRUNCATED, "empty record");
	else if (len > PT_MAX_RECORD)
		r = pt_why_set(why, PT_ETOOBIG,
		    "record of %zu bytes is over the limit of %d", len,
		    PT_MAX_RECORD);
	else
		r = wire_check_canonical(buf, len, why);
	if (r != 0) {
		if (each != NULL)
			each(arg, r, why->text);
		return r;
	}
	x.why = why;
	x.info = &tmp;
	x.action_void = 0;
	x.nested_type = 0;
	x.nested_id = NULL;
	x.nested_id_len = 0;
	x.okey_revoke = 0;
	x.each = each;
	x.each_arg = arg;
	x.nreported = 0;
	wire_cur_init(&c, buf, len);
	if ((r = check_record(&x, &c, "", 0)) != 0) {
		if (each != NULL && x.nreported == 0)
			report(&x, r);		/* a problem before the fields */
		else if (each != NULL)
			*why = x.first;
		return r;
	}
	if (info != NULL)
		*info = tmp;
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

int
record_amends(const struct record_info *corr,
    const struct record_info *target, struct pt_why *why)
{
	if (corr->type != RECORD_CORRECTION || corr->action_void)
		return 0;
	if (corr->replacement_type != target->type)
		return pt_why_set(why, PT_ESCHEMA, "correction: entry %llu is "
		    "a %s, the replacement a %s: an amendment keeps the "
		    "record's type", (unsigned long long)corr->target_index,
		    record_type_name(target->type),
		    record_type_name(corr->replacement_type));
	if (corr->replacement_id == NULL ||
	    corr->replacement_id_len != target->id_len ||
	    memcmp(corr->replacement_id, target->id, target->id_len) != 0)
		return pt_why_set(why, PT_ESCHEMA, "correction: the "
		    "replacement's id is \"%.*s\", entry %llu's \"%.*s\": an "
		    "amendment keeps the record's id",
		    (int)(corr->replacement_id_len < 64 ?
		    corr->replacement_id_len : 64), corr->replacement_id != NULL ?
		    corr->replacement_id : "", (unsigned long long)
		    corr->target_index, (int)(target->id_len < 64 ?
		    target->id_len : 64), target->id);
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
