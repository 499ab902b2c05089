/*
 * export.c: verified entries as CSV, JSON Lines, OCDS or BLDS.
 *
 * The export is a full audit (audit.h) with a callback per entry.  With
 * --out FILE the output goes to a new temporary file beside FILE
 * (DIR/.FILE.XXXXXX) and is renamed to FILE only when
 * the whole log verified; on standard output, lines are written as they
 * are checked and the exit code (0 only when the root verified) says
 * whether they may be trusted.  Every format streams: each entry is
 * written as it is checked and forgotten (the OCDS package too: its
 * releases first, its metadata after them), so memory does not grow with
 * the log.
 *
 * Output is input to someone else.  A CSV or BLDS cell that a spreadsheet
 * would read as a formula (first character =, +, -, @, TAB or CR: OWASP's
 * CSV injection guidance) is written with a leading apostrophe, unless it
 * is a plain decimal number ("-12.50"), which no spreadsheet runs; --raw
 * writes every cell unchanged, for programs.  OCDS amounts are JSON
 * numbers (the OCDS 1.1 schema's type for value.amount) written as exact
 * decimals from the integer minor units, never through floating point.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "audit.h"
#include "amount.h"
#include "cli.h"
#include "crypto.h"
#include "csvin.h"
#include "export.h"
#include "json.h"
#include "logc.h"
#include "num.h"
#include "record.h"
#include "util.h"

enum fmt { F_CSV, F_JSONL, F_OCDS, F_BLDS };

/* A corrected payment's OCDS identity, kept from its release until its
 * corrections' releases (only for payments the log lists as corrected). */
struct otarget {
	uint64_t index;
	char *ocid, *cid, *txid, *relid;
};

struct exp {
	enum fmt fmt;
	FILE *out;
	int raw;		/* --raw: cells unchanged */
	char delim;		/* CSV delimiter: ',' (default) ';' or tab */
	int dcomma;		/* --decimal-comma: amounts as 1234,56 */
	uint64_t written;
	uint64_t releases;	/* OCDS releases written */
	struct aud_corr *corr;	/* the checked corrections index */
	struct otarget *ot;	/* OCDS: corrected payments, by index */
	size_t not, capot;
	int werr;		/* errno of the first failed write, or 0 */
};

/* Status of entry index by the checked corrections index: "current",
 * "voided", "amended", or "unknown" (a server that lists none); *by the
 * deciding correction's index as text, or "". */
static const char *
row_status(const struct exp *x, uint64_t index, char *by, size_t cap)
{
	uint64_t c;
	int v, r = aud_corr_status(x->corr, index, &v, &c);

	by[0] = '\0';
	if (r < 0)
		return "unknown";
	if (r == 0)
		return "current";
	snprintf(by, cap, "%llu", (unsigned long long)c);
	return v ? "voided" : "amended";
}

/* Whether the row of entry index (record rec) holds a record as it stands
 * now: "1" for a record that is current, and for the correction that last
 * amended its target; "0" for a voided or amended record, a void, an
 * amendment amended again; "" when statuses are unknown. */
static const char *
row_in_effect(const struct exp *x, uint64_t index, json_t *rec)
{
	json_t *t = json_object_get(rec, "target_index");
	uint64_t by;
	int v, r;

	if (!json_is_integer(t))
		r = aud_corr_status(x->corr, index, &v, &by);
	else {
		const char *action = json_string_value(json_object_get(rec,
		    "action"));

		if (action == NULL || strcmp(action, "amend") != 0)
			return aud_corr_status(x->corr, index, &v, &by) < 0 ?
			    "" : "0";
		r = aud_corr_status(x->corr, (uint64_t)json_integer_value(t),
		    &v, &by);
		if (r < 0)
			return "";
		return r == 1 && !v && by == index ? "1" : "0";
	}
	return r < 0 ? "" : r == 0 ? "1" : "0";
}

void
export_amount(int64_t minor, const char *currency, char *out, size_t cap)
{
	/* No ISO 4217 minor unit known: no amount in major units (the
	 * minor units are exported beside it). */
	if (amt_format(minor, currency, out, cap) != 0 && cap > 0)
		out[0] = '\0';
}

static const char *
str(json_t *rec, const char *path)
{
	json_t *v = jrec_path(rec, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* A plain decimal number: -?[0-9]+([.,][0-9]+)? (a decimal comma too:
 * --decimal-comma writes amounts so, and neither is a formula). */
static int
is_number(const char *s)
{
	size_t i = 0, d = 0;

	if (s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	if (d == 0)
		return 0;
	if (s[i] == '.' || s[i] == ',') {
		for (d = 0, i++; s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (d == 0)
			return 0;
	}
	return s[i] == '\0';
}

int
export_cell_is_formula(const char *s)
{
	return (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r') && !is_number(s);
}

static void
csv_cell(FILE *f, const char *s, int first, int raw, char delim)
{
	if (!first)
		fputc(delim, f);
	if (!raw && export_cell_is_formula(s)) {
		/* OWASP: a leading apostrophe makes the cell text.  The
		 * field is then quoted whole when it needs quotes. */
		size_t n = strlen(s);
		char *t = malloc(n + 2);

		if (t != NULL) {
			t[0] = '\'';
			memcpy(t + 1, s, n + 1);
			csv_fwrite(f, t, n + 1);
			free(t);
			return;
		}
		fputs("'", f);	/* out of memory: still never a formula */
	}
	csv_fwrite(f, s, strlen(s));
}

static void
csv_row(const struct exp *x, const char *const *cells, size_t n, int raw)
{
	for (size_t i = 0; i < n; i++)
		csv_cell(x->out, cells[i] != NULL ? cells[i] : "", i == 0, raw,
		    x->delim);
	fputs("\r\n", x->out);
}

static const char *const csv_header[] = {
	"index", "leaf_hash", "log_time_ms", "submitter", "type", "id",
	"date", "amount", "currency", "amount_minor", "payer_scheme",
	"payer_id", "payer_name", "payee_kind", "payee_scheme", "payee_id",
	"payee_name", "payee_commitment", "description", "ocid",
	"contract_id", "permit_num", "permit_type", "decision",
	"decision_date", "jurisdiction", "address_line1", "address_city",
	"address_state", "address_zip", "applicant_kind", "applicant_name",
	"applicant_commitment", "fee", "est_project_cost", "action",
	"target_index", "reason", "signer", "status", "corrected_by",
	"budget_admin", "budget_economic", "budget_functional",
	"budget_fiscal_year", "source_uri", "applied_date", "issued_date",
	"expires_date", "link", "jurisdiction_scheme", "jurisdiction_id",
	"applicant_scheme", "applicant_id", "in_effect", "log_time",
};
#define NCSV (sizeof(csv_header) / sizeof(csv_header[0]))

static const char *const blds_header[] = {
	"PermitNum", "Description", "AppliedDate", "IssuedDate",
	"CompletedDate", "StatusCurrent", "OriginalAddress1", "OriginalCity",
	"OriginalState", "OriginalZip", "Jurisdiction", "PermitType",
	"StatusDate", "ExpiresDate", "EstProjectCost", "Fee", "Link",
	"Currency",
};
#define NBLDS (sizeof(blds_header) / sizeof(blds_header[0]))

/* An amount cell of rec's field in major units, with a decimal comma
 * under --decimal-comma (x NULL: a point, as JSON has it). */
static void
money(const struct exp *x, json_t *rec, const char *field, char *out,
    size_t cap)
{
	json_t *v = json_object_get(rec, field);
	const char *cur = str(rec, "currency");
	char *pt;

	out[0] = '\0';
	if (json_is_integer(v))
		export_amount((int64_t)json_integer_value(v), cur[0] ? cur :
		    NULL, out, cap);
	if (x != NULL && x->dcomma && (pt = strchr(out, '.')) != NULL)
		*pt = ',';
}

static void iso_ms(json_int_t ms, char *out, size_t cap);

static void
write_csv(struct exp *x, json_t *ej, json_t *rec)
{
	char idx[24], tm[24], amt[48], amin[24], fee[48], cost[48], tgt[24];
	char by[24], fy[24], lt[32];
	const char *cells[NCSV];
	json_t *v, *d = rec;

	/* A correction that amends carries the record as corrected: its
	 * columns are the replacement's, its type, id, action, target and
	 * reason its own. */
	if (json_is_object(json_object_get(rec, "replacement")))
		d = json_object_get(rec, "replacement");
	snprintf(idx, sizeof(idx), "%lld", (long long)json_integer_value(
	    json_object_get(ej, "index")));
	snprintf(tm, sizeof(tm), "%lld", (long long)json_integer_value(
	    json_object_get(ej, "time")));
	money(x, d, "amount_minor", amt, sizeof(amt));
	amin[0] = tgt[0] = '\0';
	if (json_is_integer(v = json_object_get(d, "amount_minor")))
		snprintf(amin, sizeof(amin), "%lld",
		    (long long)json_integer_value(v));
	if (json_is_integer(v = json_object_get(rec, "target_index")))
		snprintf(tgt, sizeof(tgt), "%lld",
		    (long long)json_integer_value(v));
	money(x, d, "fee_minor", fee, sizeof(fee));
	money(x, d, "est_project_cost_minor", cost, sizeof(cost));
	size_t i = 0;
	cells[i++] = idx;
	cells[i++] = str(ej, "leaf_hash");
	cells[i++] = tm;
	cells[i++] = str(ej, "submitter");
	cells[i++] = str(rec, "type");
	cells[i++] = str(rec, "id");
	cells[i++] = str(d, "date");
	cells[i++] = amt;
	cells[i++] = str(d, "currency");
	cells[i++] = amin;
	cells[i++] = str(d, "payer.scheme");
	cells[i++] = str(d, "payer.id");
	cells[i++] = str(d, "payer.name");
	cells[i++] = str(d, "payee.kind");
	cells[i++] = str(d, "payee.scheme");
	cells[i++] = str(d, "payee.id");
	cells[i++] = str(d, "payee.name");
	cells[i++] = str(d, "payee.commitment");
	cells[i++] = str(d, "description");
	cells[i++] = str(d, "ocid");
	cells[i++] = str(d, "contract_id");
	cells[i++] = str(d, "permit_num");
	cells[i++] = str(d, "permit_type");
	cells[i++] = str(d, "decision");
	cells[i++] = str(d, "decision_date");
	cells[i++] = str(d, "jurisdiction.name");
	cells[i++] = str(d, "address.line1");
	cells[i++] = str(d, "address.city");
	cells[i++] = str(d, "address.state");
	cells[i++] = str(d, "address.zip");
	cells[i++] = str(d, "applicant.kind");
	cells[i++] = str(d, "applicant.name");
	cells[i++] = str(d, "applicant.commitment");
	cells[i++] = fee;
	cells[i++] = cost;
	cells[i++] = str(rec, "action");
	cells[i++] = tgt;
	cells[i++] = str(rec, "reason");
	cells[i++] = str(ej, "signer");
	cells[i++] = row_status(x, (uint64_t)json_integer_value(
	    json_object_get(ej, "index")), by, sizeof(by));
	cells[i++] = by;
	/* added after the columns above, which keep their places */
	fy[0] = '\0';
	if (json_is_integer(v = jrec_path(d, "budget.fiscal_year")))
		snprintf(fy, sizeof(fy), "%lld",
		    (long long)json_integer_value(v));
	cells[i++] = str(d, "budget.admin");
	cells[i++] = str(d, "budget.economic");
	cells[i++] = str(d, "budget.functional");
	cells[i++] = fy;
	cells[i++] = str(d, "source_uri");
	cells[i++] = str(d, "applied_date");
	cells[i++] = str(d, "issued_date");
	cells[i++] = str(d, "expires_date");
	cells[i++] = str(d, "link");
	cells[i++] = str(d, "jurisdiction.scheme");
	cells[i++] = str(d, "jurisdiction.id");
	cells[i++] = str(d, "applicant.scheme");
	cells[i++] = str(d, "applicant.id");
	cells[i++] = row_in_effect(x, (uint64_t)json_integer_value(
	    json_object_get(ej, "index")), rec);
	/* log_time_ms as a spreadsheet shows it (13 digits it would show
	 * in scientific notation) */
	iso_ms(json_integer_value(json_object_get(ej, "time")), lt,
	    sizeof(lt));
	cells[i++] = lt;
	csv_row(x, cells, i, x->raw);
}

static void
write_blds(struct exp *x, json_t *rec)
{
	char fee[48], cost[48];
	const char *cells[NBLDS];
	const char *d = str(rec, "decision");
	static const char *const labels[][2] = {
		{ "issued", "Issued" }, { "denied", "Denied" },
		{ "revoked", "Revoked" }, { "finaled", "Finaled" },
		{ "cancelled", "Cancelled" }, { "expired", "Expired" },
		{ "withdrawn", "Withdrawn" }, { "suspended", "Suspended" },
		{ "reinstated", "Reinstated" },
		{ "appeal_decided", "Appeal Decided" },
	};
	const char *status = d;
	size_t i = 0;

	if (strcmp(str(rec, "type"), "permit_decision") != 0)
		return;
	for (size_t k = 0; k < sizeof(labels) / sizeof(labels[0]); k++)
		if (strcmp(d, labels[k][0]) == 0)
			status = labels[k][1];
	money(x, rec, "fee_minor", fee, sizeof(fee));
	money(x, rec, "est_project_cost_minor", cost, sizeof(cost));
	cells[i++] = str(rec, "permit_num");
	cells[i++] = str(rec, "description");
	cells[i++] = str(rec, "applied_date");
	cells[i++] = str(rec, "issued_date");
	cells[i++] = strcmp(d, "finaled") == 0 ? str(rec, "decision_date") :
	    "";
	cells[i++] = status;
	cells[i++] = str(rec, "address.line1");
	cells[i++] = str(rec, "address.city");
	cells[i++] = str(rec, "address.state");
	cells[i++] = str(rec, "address.zip");
	cells[i++] = str(rec, "jurisdiction.name");
	cells[i++] = str(rec, "permit_type");
	cells[i++] = str(rec, "decision_date");
	cells[i++] = str(rec, "expires_date");
	cells[i++] = cost;
	cells[i++] = fee;
	cells[i++] = str(rec, "link");
	cells[i++] = str(rec, "currency");
	csv_row(x, cells, i, x->raw);
	x->written++;
}

static json_t *
ocds_party(json_t *p, const char *role, json_t *parties)
{
	json_t *o = json_object(), *ref = json_object();
	char pid[200];

	if (strcmp(str(p, "kind"), "individual") == 0) {
		snprintf(pid, sizeof(pid), "individual-%.16s",
		    str(p, "commitment"));
		json_object_set_new(o, "name", json_string("(natural person, "
		    "not disclosed)"));
		json_object_set_new(ref, "name", json_string("(natural person, "
		    "not disclosed)"));
	} else {
		json_t *ident = json_object();

		snprintf(pid, sizeof(pid), "%s-%s", str(p, "scheme"),
		    str(p, "id"));
		json_object_set_new(ident, "scheme", json_string(str(p,
		    "scheme")));
		json_object_set_new(ident, "id", json_string(str(p, "id")));
		json_object_set_new(ident, "legalName", json_string(str(p,
		    "name")));
		json_object_set_new(o, "identifier", ident);
		json_object_set_new(o, "name", json_string(str(p, "name")));
		json_object_set_new(ref, "name", json_string(str(p, "name")));
	}
	json_object_set_new(o, "id", json_string(pid));
	json_object_set_new(o, "roles", json_pack("[s]", role));
	json_array_append_new(parties, o);
	json_object_set_new(ref, "id", json_string(pid));
	return ref;
}

static char *
sdup(const char *s)
{
	return ut_strndup(s, strlen(s));
}

static int
ot_add(struct exp *x, uint64_t index, const char *ocid, const char *cid,
    const char *txid, const char *relid)
{
	struct otarget *t;

	if (x->not == x->capot) {
		size_t nc = x->capot ? 2 * x->capot : 64;
		struct otarget *n = realloc(x->ot, nc * sizeof(*n));

		if (n == NULL)
			return PT_ENOMEM;
		x->ot = n;
		x->capot = nc;
	}
	t = &x->ot[x->not];
	t->index = index;
	t->ocid = sdup(ocid);
	t->cid = sdup(cid);
	t->txid = sdup(txid);
	t->relid = sdup(relid != NULL ? relid : "");
	if (t->ocid == NULL || t->cid == NULL || t->txid == NULL ||
	    t->relid == NULL) {
		free(t->ocid);
		free(t->cid);
		free(t->txid);
		free(t->relid);
		return PT_ENOMEM;
	}
	x->not++;		/* in index order: sorted */
	return 0;
}

static const struct otarget *
ot_find(const struct exp *x, uint64_t index)
{
	size_t lo = 0, hi = x->not;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->ot[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->not && x->ot[lo].index == index ? &x->ot[lo] : NULL;
}

static void
ot_free(struct exp *x)
{
	for (size_t i = 0; i < x->not; i++) {
		free(x->ot[i].ocid);
		free(x->ot[i].cid);
		free(x->ot[i].txid);
		free(x->ot[i].relid);
	}
	free(x->ot);
	x->ot = NULL;
	x->not = x->capot = 0;
}

/*
 * OCDS amounts: the schema's value.amount is a JSON number, and jansson
 * writes numbers through double, which cannot hold 16 or more digits.
 * So an amount goes into the release as a marker string that no record
 * can hold (U+0001: every record text refuses control characters, and a
 * data string that spells the escape out is written with its backslash
 * escaped), and the dumped text has each marker replaced by the exact
 * decimal literal made from the integer minor units (export_amount).
 */
#define OCDS_MARK	"\001pubtrail-amount-%u\001"
#define OCDS_MAX_AMOUNTS 4

struct ocds_amounts {
	unsigned n;
	char lit[OCDS_MAX_AMOUNTS][48];
};

/* A marker for amount minor (in currency) into v.amount; nothing when the
 * currency has no known minor unit. */
static void
ocds_value(json_t *value, struct ocds_amounts *am, json_t *rec,
    const char *field)
{
	char amount[48], mark[32];

	money(NULL, rec, field, amount, sizeof(amount));	/* JSON: a point */
	if (amount[0] == '\0' || am->n == OCDS_MAX_AMOUNTS)
		return;
	snprintf(am->lit[am->n], sizeof(am->lit[0]), "%s", amount);
	snprintf(mark, sizeof(mark), OCDS_MARK, am->n);
	am->n++;
	json_object_set_new(value, "amount", json_string(mark));
}

/* Write rel (consumed) as one release of the package, amounts exact. */
static int
ocds_write(struct exp *x, json_t *rel, const struct ocds_amounts *am)
{
	char *text = json_dumps(rel, JSON_COMPACT | JSON_SORT_KEYS), *p;
	size_t off = 0;

	json_decref(rel);
	if (text == NULL)
		return PT_ENOMEM;
	fputs(x->releases++ == 0 ? "\n    " : ",\n    ", x->out);
	p = text;
	for (unsigned i = 0; i < am->n; i++) {
		char mark[64], *at;

		snprintf(mark, sizeof(mark), "\"\\u0001pubtrail-amount-%u"
		    "\\u0001\"", i);
		if ((at = strstr(p + off, mark)) == NULL)
			continue;
		fwrite(p + off, 1, (size_t)(at - (p + off)), x->out);
		fputs(am->lit[i], x->out);
		off = (size_t)(at - p) + strlen(mark);
	}
	fputs(p + off, x->out);
	free(text);
	x->written++;
	return 0;
}

/* An ISO 8601 date-time (UTC) from milliseconds since the epoch. */
static void
iso_ms(json_int_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tmv;

	gmtime_r(&t, &tmv);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

static int add_ocds_correction(struct exp *x, json_t *ej, json_t *rec);

/* The release of a payment (rec) at ej's index: tag implementation. */
static int
add_ocds(struct exp *x, json_t *ej, json_t *rec)
{
	json_t *rel, *parties, *tx, *contract, *value, *award;
	char ocid[300], date[32], when[32];
	const char *id = str(rec, "id");
	const char *cid = str(rec, "contract_id")[0] ? str(rec,
	    "contract_id") : id;
	struct ocds_amounts am = { 0 };

	if (strcmp(str(rec, "type"), "correction") == 0)
		return add_ocds_correction(x, ej, rec);
	if (strcmp(str(rec, "type"), "payment") != 0)
		return 0;
	if (str(rec, "ocid")[0] != '\0')
		snprintf(ocid, sizeof(ocid), "%s", str(rec, "ocid"));
	else
		snprintf(ocid, sizeof(ocid), "ocds-pubtrail-%s", id);
	snprintf(date, sizeof(date), "%sT00:00:00Z", str(rec, "date"));
	/* The release is dated when the log took the entry in (OCDS: when
	 * the information was first recorded); the payment by its day. */
	iso_ms(json_integer_value(json_object_get(ej, "time")), when,
	    sizeof(when));
	rel = json_object();
	parties = json_array();
	tx = json_object();
	json_object_set_new(rel, "ocid", json_string(ocid));
	json_object_set_new(rel, "id", json_sprintf("%s-%lld", id, (long long)
	    json_integer_value(json_object_get(ej, "index"))));
	json_object_set_new(rel, "date", json_string(when));
	json_object_set_new(rel, "tag", json_pack("[s]", "implementation"));
	json_object_set_new(rel, "initiationType", json_string("tender"));
	json_object_set_new(tx, "id", json_string(id));
	json_object_set_new(tx, "date", json_string(date));
	value = json_object();
	ocds_value(value, &am, rec, "amount_minor");
	json_object_set_new(value, "currency", json_string(str(rec,
	    "currency")));
	json_object_set_new(tx, "value", value);
	json_object_set_new(tx, "payer", ocds_party(json_object_get(rec,
	    "payer"), "payer", parties));
	json_object_set_new(tx, "payee", ocds_party(json_object_get(rec,
	    "payee"), "payee", parties));
	if (str(rec, "source_uri")[0] != '\0')
		json_object_set_new(tx, "uri", json_string(str(rec,
		    "source_uri")));
	/* OCDS requires a contract's awardID to name an award of the
	 * process: the award is given, with only its id. */
	award = json_object();
	json_object_set_new(award, "id", json_string(cid));
	contract = json_object();
	json_object_set_new(contract, "id", json_string(cid));
	json_object_set_new(contract, "awardID", json_string(cid));
	json_object_set_new(contract, "description", json_string(str(rec,
	    "description")));
	json_object_set_new(contract, "implementation", json_pack("{s:[o]}",
	    "transactions", tx));
	json_object_set_new(rel, "parties", parties);
	json_object_set_new(rel, "awards", json_pack("[o]", award));
	json_object_set_new(rel, "contracts", json_pack("[o]", contract));
	{
		/* A payment the log lists as corrected: its identity, for
		 * its corrections' releases. */
		uint64_t idx = (uint64_t)json_integer_value(json_object_get(ej,
		    "index")), c;
		int v;

		if (aud_corr_status(x->corr, idx, &v, &c) == 1 &&
		    ot_add(x, idx, ocid, cid, id, json_string_value(
		    json_object_get(rel, "id"))) != 0) {
			json_decref(rel);
			return PT_ENOMEM;
		}
	}
	return ocds_write(x, rel, &am);
}

/*
 * The release of a correction (rec, at ej's index) of a payment exported
 * before: OCDS release tag implementationUpdate, the same contracting
 * process (ocid), contract and transaction id, with the correction in the
 * contract's amendments (rationale: its reason; amendsReleaseID: the
 * payment's release).  An amendment carries the transaction as amended; a
 * void carries it with value.amount and value.currency null, which OCDS's
 * merge rules read as removing them from the compiled record.
 */
static int
add_ocds_correction(struct exp *x, json_t *ej, json_t *rec)
{
	json_t *rel, *contract, *tx, *value, *amend, *rep, *parties;
	uint64_t target = (uint64_t)json_integer_value(json_object_get(rec,
	    "target_index"));
	const struct otarget *t = ot_find(x, target);
	struct ocds_amounts am = { 0 };
	char when[32], relid[300], desc[400];
	int is_void = strcmp(str(rec, "action"), "void") == 0;

	if (t == NULL)
		return 0;		/* not a payment */
	rep = json_object_get(rec, "replacement");
	if (!is_void && (!json_is_object(rep) ||
	    strcmp(str(rep, "type"), "payment") != 0))
		return 0;
	iso_ms(json_integer_value(json_object_get(ej, "time")), when,
	    sizeof(when));
	snprintf(relid, sizeof(relid), "%s-%lld", str(rec, "id"), (long long)
	    json_integer_value(json_object_get(ej, "index")));
	snprintf(desc, sizeof(desc), "Payment %.100s (log entry #%llu) %s by "
	    "log entry #%lld", t->txid, (unsigned long long)target,
	    is_void ? "voided" : "amended", (long long)json_integer_value(
	    json_object_get(ej, "index")));
	rel = json_object();
	parties = json_array();
	tx = json_object();
	value = json_object();
	json_object_set_new(rel, "ocid", json_string(t->ocid));
	json_object_set_new(rel, "id", json_string(relid));
	json_object_set_new(rel, "date", json_string(when));
	json_object_set_new(rel, "tag", json_pack("[s]",
	    "implementationUpdate"));
	json_object_set_new(rel, "initiationType", json_string("tender"));
	json_object_set_new(tx, "id", json_string(t->txid));
	if (is_void) {
		json_object_set_new(value, "amount", json_null());
		json_object_set_new(value, "currency", json_null());
	} else {
		char date[32];

		snprintf(date, sizeof(date), "%sT00:00:00Z", str(rep, "date"));
		json_object_set_new(tx, "date", json_string(date));
		ocds_value(value, &am, rep, "amount_minor");
		json_object_set_new(value, "currency", json_string(str(rep,
		    "currency")));
		json_object_set_new(tx, "payer", ocds_party(json_object_get(
		    rep, "payer"), "payer", parties));
		json_object_set_new(tx, "payee", ocds_party(json_object_get(
		    rep, "payee"), "payee", parties));
	}
	json_object_set_new(tx, "value", value);
	amend = json_object();
	json_object_set_new(amend, "id", json_string(str(rec, "id")));
	json_object_set_new(amend, "date", json_string(when));
	json_object_set_new(amend, "rationale", json_string(str(rec,
	    "reason")));
	json_object_set_new(amend, "description", json_string(desc));
	json_object_set_new(amend, "amendsReleaseID", json_string(t->relid));
	json_object_set_new(amend, "releaseID", json_string(relid));
	contract = json_object();
	json_object_set_new(contract, "id", json_string(t->cid));
	json_object_set_new(contract, "awardID", json_string(t->cid));
	json_object_set_new(contract, "amendments", json_pack("[o]", amend));
	json_object_set_new(contract, "implementation", json_pack("{s:[o]}",
	    "transactions", tx));
	if (json_array_size(parties) > 0)
		json_object_set_new(rel, "parties", parties);
	else
		json_decref(parties);
	json_object_set_new(rel, "awards", json_pack("[{s:s}]", "id", t->cid));
	json_object_set_new(rel, "contracts", json_pack("[o]", contract));
	return ocds_write(x, rel, &am);
}

/*
 * A BLDS feed lists the permits as they stand: a voided decision is left
 * out, an amended one is written as its deciding amendment made it (at
 * that correction's place in the log), a superseded amendment is left
 * out.  Where the server lists no corrections (a static mirror) the
 * statuses are unknown ahead, and every decision is written as logged
 * (--format csv has the status column).
 */
static void
blds_entry(struct exp *x, uint64_t index, json_t *rec)
{
	uint64_t by;
	json_t *rep;
	int v, r = aud_corr_status(x->corr, index, &v, &by);

	if (r == 1)
		return;		/* voided, or amended: as amended below */
	if (strcmp(str(rec, "type"), "correction") != 0) {
		write_blds(x, rec);
		return;
	}
	rep = json_object_get(rec, "replacement");
	if (r < 0 || !json_is_object(rep) || !json_is_integer(
	    json_object_get(rec, "target_index")))
		return;
	if (aud_corr_status(x->corr, (uint64_t)json_integer_value(
	    json_object_get(rec, "target_index")), &v, &by) == 1 && !v &&
	    by == index)
		write_blds(x, rep);
}

static int
on_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len,
    const struct wire_entry *e)
{
	struct exp *x = arg;
	json_t *ej, *rec;
	int rc;

	/* Grants and revokes of office keys are not spending records
	 * (`pubtrail keys list` shows them; `audit` judges by them). */
	if (e->sub.info.type == RECORD_OFFICE_KEY)
		return 0;
	if ((rc = jrec_entry_to_json(e, entry, len, index, &ej, NULL)) != 0)
		return rc;
	rec = json_object_get(ej, "record");
	switch (x->fmt) {
	case F_JSONL: {
		char by[24];

		json_object_set_new(ej, "status", json_string(row_status(x,
		    index, by, sizeof(by))));
		json_object_set_new(ej, "corrected_by", by[0] ?
		    json_integer((json_int_t)strtoull(by, NULL, 10)) :
		    json_null());
		cli_json_print(x->out, ej, JSON_COMPACT);
	}
		x->written++;
		break;
	case F_CSV:
		write_csv(x, ej, rec);
		x->written++;
		break;
	case F_BLDS:
		blds_entry(x, index, rec);
		break;
	case F_OCDS:
		rc = add_ocds(x, ej, rec);
		break;
	}
	json_decref(ej);
	if (rc == 0 && ferror(x->out)) {
		x->werr = errno;
		rc = cli_out_check(x->out);
	}
	return rc;
}

static const char export_usage[] =
    "usage: pubtrail export --log URL --log-key VKEY\n"
    "                       --format csv|jsonl|ocds|blds [--out FILE]\n"
    "                       [--raw] [--package-uri URI] [--threads N]\n"
    "                       [--delimiter , | ; | tab] [--decimal-comma]\n"
    "                       [--bom] [--concurrency N] [--quiet]\n"
    "\n"
    "Audit the whole log (as `pubtrail audit`) and write every verified\n"
    "entry: csv (one row per entry, amounts as decimals from minor units\n"
    "and the currency's exponent; a correction's row carries the record\n"
    "as corrected; in_effect 1 marks the row that holds each record as\n"
    "it stands: sum over it for what was paid), jsonl (one entry per line\n"
    "with index and leaf hash), ocds (an OCDS 1.1 release package of the\n"
    "payments, amounts exact; --package-uri is where you publish it),\n"
    "blds (BLDS core permit CSV of the permit decisions as they stand,\n"
    "with their currency: a voided one left out, an amended one as\n"
    "amended; from a server that lists no corrections, as logged).\n"
    "CSV and BLDS cells that a spreadsheet would run as formulas\n"
    "(starting with = + - @ TAB CR, other than plain numbers) get a\n"
    "leading apostrophe; --raw writes them unchanged, for programs.\n"
    "For a spreadsheet in a locale with a decimal comma (German, French,\n"
    "Spanish ...): --decimal-comma writes amounts as 1234,56 and the\n"
    "cells separated by ; (or --delimiter tab), so that they open as\n"
    "numbers; --bom starts the file with a UTF-8 byte order mark, without\n"
    "which Excel takes it for Windows-1252.  Everything streams: memory\n"
    "does not grow with the log.  With --out the file appears only when\n"
    "everything verified.  Exit 0 verified, 1 the log failed a check,\n"
    "3 network, 6 the output could not be written, 7 stale; a reader\n"
    "that closes the pipe ends it quietly.\n";

/* The package's uri when none is given: names exactly what was exported
 * (the log's origin, tree size and root), not a place. */
static void
default_package_uri(const struct aud_summary *sum, char *out, size_t cap)
{
	char hex[65];
	size_t o;

	cr_hex_encode(sum->root.b, 32, hex);
	o = (size_t)snprintf(out, cap, "urn:pubtrail:");
	for (const char *p = sum->origin; *p != '\0' && o + 4 < cap; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == '/')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
	}
	snprintf(out + o, cap - o, ":%llu:%s",
	    (unsigned long long)sum->new_size, hex);
}

/* The package's metadata, after its releases (JSON keys have no order). */
static void
ocds_close(struct exp *x, const struct aud_summary *sum, const char *uri)
{
	json_t *meta = json_object(), *pub = json_object();
	char ts[32], def[700], *text;
	time_t now = time(NULL);
	struct tm tmv;

	gmtime_r(&now, &tmv);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tmv);
	if (uri == NULL) {
		default_package_uri(sum, def, sizeof(def));
		uri = def;
	}
	json_object_set_new(pub, "name", json_string(sum->origin));
	json_object_set_new(meta, "publishedDate", json_string(ts));
	json_object_set_new(meta, "publisher", pub);
	json_object_set_new(meta, "uri", json_string(uri));
	json_object_set_new(meta, "version", json_string("1.1"));
	text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(meta);
	/* "{\n  ...\n}": its members follow the releases. */
	fputs(x->releases ? "\n  ],\n" : "],\n", x->out);
	if (text != NULL && strlen(text) > 4)
		fwrite(text + 2, 1, strlen(text) - 2, x->out);
	else
		fputs("  \"version\": \"1.1\"\n}", x->out);
	fputc('\n', x->out);
	free(text);
}

/* The command line of `pubtrail export`. */
struct export_args {
	struct cli_common co;
	enum fmt fmt;			/* --format */
	const char *out;		/* --out FILE, or NULL: stdout */
	const char *puri;		/* --package-uri URI (ocds) */
	int raw;			/* --raw */
	char delim;			/* --delimiter; 0: ',' (';' with
					 * --decimal-comma) */
	int dcomma;			/* --decimal-comma */
	int bom;			/* --bom */
	unsigned threads;		/* --threads N, or 0: the default */
};

/* An export under way. */
struct export_ctx {
	struct exp x;			/* the writer on_entry feeds */
	struct logc *lc;
	char tmp[UT_PATH_MAX];		/* --out: the temporary file */
};

/* Reads the options into a, the format's name into *fmt.  -1 to go on,
 * or an exit code (CLI_OK after --help). */
static int
export_options(int argc, char **argv, struct export_args *a,
    const char **fmt)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "format", 1, NULL, 'f' },
		{ "out", 1, NULL, 'o' },
		{ "threads", 1, NULL, 't' },
		{ "raw", 0, NULL, 'r' },
		{ "package-uri", 1, NULL, 'u' },
		{ "delimiter", 1, NULL, 'd' },
		{ "decimal-comma", 0, NULL, ',' },
		{ "bom", 0, NULL, 'b' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(export_usage, stdout);
			return CLI_OK;
		case 'f':
			*fmt = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'r':
			a->raw = 1;
			break;
		case 'u':
			a->puri = optarg;
			break;
		case 'd':
			if (strcmp(optarg, ",") == 0 || strcmp(optarg, ";") == 0)
				a->delim = optarg[0];
			else if (strcmp(optarg, "tab") == 0 ||
			    strcmp(optarg, "\t") == 0)
				a->delim = '\t';
			else
				return cli_usage_error(export_usage,
				    "--delimiter: want , ; or tab");
			break;
		case ',':
			a->dcomma = 1;
			break;
		case 'b':
			a->bom = 1;
			break;
		case 't':
			if (num_parse_u64_str(optarg, 1, 64, &v) != 0)
				return cli_usage_error(export_usage,
				    "--threads: 1..64");
			a->threads = (unsigned)v;
			break;
		default:
			if ((rc = cli_common_opt(&a->co, c, optarg,
			    export_usage)) != 1) {
				if (rc == 0)
					fputs(export_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	return -1;
}

/* The command line into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
export_parse(int argc, char **argv, struct export_args *a)
{
	static const struct {
		const char *name;
		enum fmt fmt;
	} fmts[] = {
		{ "csv", F_CSV },
		{ "jsonl", F_JSONL },
		{ "ocds", F_OCDS },
		{ "blds", F_BLDS },
	};
	const char *fmt = NULL;
	size_t i;
	int rc;

	memset(a, 0, sizeof(*a));
	cli_common_init(&a->co);
	if ((rc = export_options(argc, argv, a, &fmt)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage_error(export_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (fmt == NULL)
		return cli_usage_error(export_usage, "--format is required");
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (strcmp(fmt, fmts[i].name) == 0)
			break;
	if (i == sizeof(fmts) / sizeof(fmts[0]))
		return cli_usage_error(export_usage, "--format: csv, jsonl, "
		    "ocds or blds");
	a->fmt = fmts[i].fmt;
	if ((a->delim != 0 || a->dcomma || a->bom) && a->fmt != F_CSV &&
	    a->fmt != F_BLDS)
		return cli_usage_error(export_usage, "--delimiter, "
		    "--decimal-comma and --bom are for --format csv and blds");
	if (a->dcomma && a->delim == ',')
		return cli_usage_error(export_usage, "--decimal-comma needs a "
		    "delimiter other than , (--delimiter ; or tab)");
	if (a->delim == 0)
		a->delim = a->dcomma ? ';' : ',';
	if (a->puri != NULL && (a->fmt != F_OCDS ||
	    strchr(a->puri, ':') == NULL || strlen(a->puri) > 600))
		return cli_usage_error(export_usage, "--package-uri: a URI "
		    "(with a scheme), for --format ocds");
	if ((rc = cli_common_check(&a->co, 1, export_usage)) != 0)
		return rc;
	return -1;
}

/* Where the export goes: with --out a new temporary file beside it (its
 * name in e->tmp), else standard output.  0 or the exit code. */
static int
export_open_out(const struct export_args *a, struct export_ctx *e)
{
	struct pt_why tw = { "" };
	int fd;

	if (a->out == NULL) {
		e->x.out = stdout;
		return 0;
	}
	if ((fd = ut_tmpfile(a->out, 0644, e->tmp, sizeof(e->tmp),
	    &tw)) < 0)
		return cli_fail(fd, &tw, "--out");
	if ((e->x.out = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(e->tmp);
		return cli_fail(PT_EIO, NULL, "%s", e->tmp);
	}
	return 0;
}

/* The log opened for a whole audit.  0 or the exit code. */
static int
export_log_open(const struct export_args *a, struct export_ctx *e)
{
	struct hcli_opts ho;
	struct pt_why why = { "" };
	int rc;

	cli_hcli_opts(&a->co, a->co.concurrency, &ho);
	ho.recv_buffer = AUD_RECV_BUFFER;
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &e->lc,
	    &why)) != 0)
		return cli_fail(rc, &why, "--log");
	e->lc->tiles_only = a->co.tiles_only;
	return 0;
}

/* What comes before the first entry: a CSV or BLDS header row, or the
 * opening of the OCDS package's releases. */
static void
export_begin(struct exp *x, int bom)
{
	if (bom)	/* for Excel, which reads UTF-8 only after one */
		fputs("\xef\xbb\xbf", x->out);
	if (x->fmt == F_CSV)
		csv_row(x, csv_header, NCSV, 1);
	else if (x->fmt == F_BLDS)
		csv_row(x, blds_header, NBLDS, 1);
	else if (x->fmt == F_OCDS)
		fputs("{\n  \"releases\": [", x->out);
}

/* The whole log audited, each verified entry written by on_entry; what
 * was verified into *sum.  0 or the exit code. */
static int
export_audit(const struct export_args *a, struct export_ctx *e,
    struct aud_summary *sum)
{
	struct aud_opts o;
	struct aud_state st;
	struct pt_why why = { "" };
	int rc;

	if ((rc = aud_corr_new(&e->x.corr)) != 0)
		return cli_fail(rc, NULL, "export");
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.threads = a->threads;
	o.corr = e->x.corr;
	o.fn = on_entry;
	o.arg = &e->x;
	o.progress = !a->co.quiet && isatty(2) && a->out != NULL;
	rc = aud_run(e->lc, &st, &o, sum, &why);
	aud_state_free(&st);
	if (rc == PT_ESTALE)
		return cli_fail(rc, &why, "export of %s", a->co.log_url);
	if (rc != 0 && e->x.werr != 0) {
		/* Our own output failed (a full disk): not the log. */
		pt_why_set(&why, PT_EIO, "%s", strerror(e->x.werr));
		return cli_fail(PT_EIO, &why, "writing the export to %s",
		    a->out != NULL ? a->out : "standard output");
	}
	if (rc != 0)
		return cli_fail(rc, &why, "export of %s FAILED verification; "
		    "the output must not be trusted", a->co.log_url);
	return 0;
}

/*
 * The output flushed and, with --out, made durable and renamed over
 * FILE.  0 when it is all written; else -1 with the exit code in *ex
 * (CLI_OK when the reader closed the pipe: the export ends quietly).
 */
static int
export_commit(const struct export_args *a, struct export_ctx *e, int *ex)
{
	struct pt_why tw = { "" };
	int rc;

	if (fflush(e->x.out) != 0 || ferror(e->x.out)) {
		if ((rc = cli_out_check(e->x.out)) != 0)
			*ex = cli_fail(rc, NULL, "writing the export");
		return -1;
	}
	if (a->out == NULL)
		return 0;
	if (fsync(fileno(e->x.out)) != 0 || fclose(e->x.out) != 0) {
		e->x.out = NULL;
		*ex = cli_fail(PT_EIO, NULL, "%s", e->tmp);
		return -1;
	}
	e->x.out = NULL;
	if ((rc = ut_tmp_commit(e->tmp, a->out, 0, &tw)) != 0) {
		*ex = cli_fail(rc, &tw, "--out");
		return -1;
	}
	return 0;
}

static int
export_run(const struct export_args *a)
{
	struct export_ctx e;
	struct aud_summary sum;
	int ex;

	memset(&e, 0, sizeof(e));
	e.x.fmt = a->fmt;
	e.x.raw = a->raw;
	e.x.delim = a->delim != 0 ? a->delim : ',';
	e.x.dcomma = a->dcomma;
	if ((ex = export_open_out(a, &e)) != 0)
		return ex;
	if ((ex = export_log_open(a, &e)) != 0)
		goto out;
	export_begin(&e.x, a->bom);
	if ((ex = export_audit(a, &e, &sum)) != 0)
		goto out;
	if (e.x.fmt == F_OCDS)
		ocds_close(&e.x, &sum, a->puri);
	if (export_commit(a, &e, &ex) != 0)
		goto out;
	if (!a->co.quiet)
		fprintf(stderr, "pubtrail: exported %llu of %llu verified "
		    "entries of %s (tree size %llu)\n",
		    (unsigned long long)e.x.written,
		    (unsigned long long)sum.entries, sum.origin,
		    (unsigned long long)sum.new_size);
out:
	if (a->out != NULL && e.x.out != NULL) {
		fclose(e.x.out);
		unlink(e.tmp);
	}
	aud_corr_free(e.x.corr);
	ot_free(&e.x);
	logc_free(e.lc);
	return ex;
}

int
export_cmd(int argc, char **argv)
{
	struct export_args a;
	int rc;

	if ((rc = export_parse(argc, argv, &a)) >= 0)
		return rc;
	return export_run(&a);
}
