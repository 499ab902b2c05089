/*
 * export.c: verified entries as CSV, JSON Lines, OCDS or BLDS.
 *
 * The export is a full audit (audit.h) with a callback per entry.  With
 * --out FILE the output goes to a new temporary file beside FILE
 * (DIR/.FILE.XXXXXX) and is renamed to FILE only when
 * the whole log verified; on standard output, lines are written as they
 * are checked and the exit code (0 only when the root verified) says
 * whether they may be trusted.
 */
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

struct exp {
	enum fmt fmt;
	FILE *out;
	json_t *releases;	/* OCDS */
	uint64_t written;
	const char *origin;
};

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

static void
csv_cell(FILE *f, const char *s, int first)
{
	if (!first)
		fputc(',', f);
	csv_fwrite(f, s, strlen(s));
}

static void
csv_row(FILE *f, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		csv_cell(f, cells[i] != NULL ? cells[i] : "", i == 0);
	fputs("\r\n", f);
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
	"target_index", "reason",
};
#define NCSV (sizeof(csv_header) / sizeof(csv_header[0]))

static const char *const blds_header[] = {
	"PermitNum", "Description", "AppliedDate", "IssuedDate",
	"CompletedDate", "StatusCurrent", "OriginalAddress1", "OriginalCity",
	"OriginalState", "OriginalZip", "Jurisdiction", "PermitType",
	"StatusDate", "ExpiresDate", "EstProjectCost", "Fee", "Link",
};
#define NBLDS (sizeof(blds_header) / sizeof(blds_header[0]))

static void
money(json_t *rec, const char *field, char *out, size_t cap)
{
	json_t *v = json_object_get(rec, field);
	const char *cur = str(rec, "currency");

	out[0] = '\0';
	if (json_is_integer(v))
		export_amount((int64_t)json_integer_value(v), cur[0] ? cur :
		    NULL, out, cap);
}

static void
write_csv(struct exp *x, json_t *ej, json_t *rec)
{
	char idx[24], tm[24], amt[48], amin[24], fee[48], cost[48], tgt[24];
	const char *cells[NCSV];
	json_t *v;

	snprintf(idx, sizeof(idx), "%lld", (long long)json_integer_value(
	    json_object_get(ej, "index")));
	snprintf(tm, sizeof(tm), "%lld", (long long)json_integer_value(
	    json_object_get(ej, "time")));
	money(rec, "amount_minor", amt, sizeof(amt));
	amin[0] = tgt[0] = '\0';
	if (json_is_integer(v = json_object_get(rec, "amount_minor")))
		snprintf(amin, sizeof(amin), "%lld",
		    (long long)json_integer_value(v));
	if (json_is_integer(v = json_object_get(rec, "target_index")))
		snprintf(tgt, sizeof(tgt), "%lld",
		    (long long)json_integer_value(v));
	money(rec, "fee_minor", fee, sizeof(fee));
	money(rec, "est_project_cost_minor", cost, sizeof(cost));
	size_t i = 0;
	cells[i++] = idx;
	cells[i++] = str(ej, "leaf_hash");
	cells[i++] = tm;
	cells[i++] = str(ej, "submitter");
	cells[i++] = str(rec, "type");
	cells[i++] = str(rec, "id");
	cells[i++] = str(rec, "date");
	cells[i++] = amt;
	cells[i++] = str(rec, "currency");
	cells[i++] = amin;
	cells[i++] = str(rec, "payer.scheme");
	cells[i++] = str(rec, "payer.id");
	cells[i++] = str(rec, "payer.name");
	cells[i++] = str(rec, "payee.kind");
	cells[i++] = str(rec, "payee.scheme");
	cells[i++] = str(rec, "payee.id");
	cells[i++] = str(rec, "payee.name");
	cells[i++] = str(rec, "payee.commitment");
	cells[i++] = str(rec, "description");
	cells[i++] = str(rec, "ocid");
	cells[i++] = str(rec, "contract_id");
	cells[i++] = str(rec, "permit_num");
	cells[i++] = str(rec, "permit_type");
	cells[i++] = str(rec, "decision");
	cells[i++] = str(rec, "decision_date");
	cells[i++] = str(rec, "jurisdiction.name");
	cells[i++] = str(rec, "address.line1");
	cells[i++] = str(rec, "address.city");
	cells[i++] = str(rec, "address.state");
	cells[i++] = str(rec, "address.zip");
	cells[i++] = str(rec, "applicant.kind");
	cells[i++] = str(rec, "applicant.name");
	cells[i++] = str(rec, "applicant.commitment");
	cells[i++] = fee;
	cells[i++] = cost;
	cells[i++] = str(rec, "action");
	cells[i++] = tgt;
	cells[i++] = str(rec, "reason");
	csv_row(x->out, cells, i);
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
	money(rec, "fee_minor", fee, sizeof(fee));
	money(rec, "est_project_cost_minor", cost, sizeof(cost));
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
	csv_row(x->out, cells, i);
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

static void
add_ocds(struct exp *x, json_t *ej, json_t *rec)
{
	json_t *rel, *parties, *tx, *contract, *value;
	char ocid[300], date[32], amount[48];
	const char *id = str(rec, "id");
	double a;

	if (strcmp(str(rec, "type"), "payment") != 0)
		return;
	if (str(rec, "ocid")[0] != '\0')
		snprintf(ocid, sizeof(ocid), "%s", str(rec, "ocid"));
	else
		snprintf(ocid, sizeof(ocid), "ocds-pubtrail-%s", id);
	snprintf(date, sizeof(date), "%sT00:00:00Z", str(rec, "date"));
	money(rec, "amount_minor", amount, sizeof(amount));
	a = strtod(amount, NULL);
	rel = json_object();
	parties = json_array();
	tx = json_object();
	json_object_set_new(rel, "ocid", json_string(ocid));
	json_object_set_new(rel, "id", json_sprintf("%s-%lld", id, (long long)
	    json_integer_value(json_object_get(ej, "index"))));
	json_object_set_new(rel, "date", json_string(date));
	json_object_set_new(rel, "tag", json_pack("[s]", "implementation"));
	json_object_set_new(rel, "initiationType", json_string("tender"));
	json_object_set_new(tx, "id", json_string(id));
	json_object_set_new(tx, "date", json_string(date));
	value = json_object();
	json_object_set_new(value, "amount", json_real(a));
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
	contract = json_object();
	json_object_set_new(contract, "id", json_string(str(rec,
	    "contract_id")[0] ? str(rec, "contract_id") : id));
	json_object_set_new(contract, "awardID", json_string(str(rec,
	    "contract_id")[0] ? str(rec, "contract_id") : id));
	json_object_set_new(contract, "description", json_string(str(rec,
	    "description")));
	json_object_set_new(contract, "implementation", json_pack("{s:[o]}",
	    "transactions", tx));
	json_object_set_new(rel, "parties", parties);
	json_object_set_new(rel, "contracts", json_pack("[o]", contract));
	json_array_append_new(x->releases, rel);
	x->written++;
}

static int
on_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len,
    const struct wire_entry *e)
{
	struct exp *x = arg;
	json_t *ej, *rec;
	int rc;

	if ((rc = jrec_entry_to_json(e, entry, len, index, &ej, NULL)) != 0)
		return rc;
	rec = json_object_get(ej, "record");
	switch (x->fmt) {
	case F_JSONL:
		json_dumpf(ej, x->out, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', x->out);
		x->written++;
		break;
	case F_CSV:
		write_csv(x, ej, rec);
		x->written++;
		break;
	case F_BLDS:
		write_blds(x, rec);
		break;
	case F_OCDS:
		add_ocds(x, ej, rec);
		break;
	}
	json_decref(ej);
	return ferror(x->out) ? PT_EIO : 0;
}

static const char export_usage[] =
    "usage: pubtrail export --log URL --log-key VKEY\n"
    "                       --format csv|jsonl|ocds|blds [--out FILE]\n"
    "                       [--threads N] [--concurrency N] [--quiet]\n"
    "\n"
    "Audit the whole log (as `pubtrail audit`) and write every verified\n"
    "entry: csv (one row per entry, amounts as decimals from minor units\n"
    "and the currency's exponent), jsonl (one entry per line with index\n"
    "and leaf hash), ocds (an OCDS 1.1 release package of the payments),\n"
    "blds (BLDS core permit CSV of the permit decisions).  With --out the\n"
    "file appears only when everything verified.  Exit 0 verified, 1 the\n"
    "log failed a check, 3 network.\n";

int
export_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "format", 1, NULL, 'f' },
		{ "out", 1, NULL, 'o' },
		{ "threads", 1, NULL, 't' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common co;
	struct exp x;
	struct aud_opts o;
	struct aud_state st;
	struct aud_summary sum;
	struct logc *lc = NULL;
	struct pt_why why = { "" };
	const char *fmt = NULL, *out = NULL;
	char tmp[UT_PATH_MAX];
	uint64_t v;
	int c, rc, ex = CLI_OK;

	cli_common_init(&co);
	memset(&x, 0, sizeof(x));
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(export_usage, stdout);
			return CLI_OK;
		case 'f':
			fmt = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			if (num_parse_u64_str(optarg, 1, 64, &v) != 0)
				return cli_usage_error(export_usage,
				    "--threads: 1..64");
			o.threads = (unsigned)v;
			break;
		default:
			if ((rc = cli_common_opt(&co, c, optarg,
			    export_usage)) != 1) {
				if (rc == 0)
					fputs(export_usage, stderr);
				return CLI_EUSAGE;
			}
		}
	}
	if (optind != argc)
		return cli_usage_error(export_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (fmt == NULL)
		return cli_usage_error(export_usage, "--format is required");
	if (strcmp(fmt, "csv") == 0)
		x.fmt = F_CSV;
	else if (strcmp(fmt, "jsonl") == 0)
		x.fmt = F_JSONL;
	else if (strcmp(fmt, "ocds") == 0)
		x.fmt = F_OCDS;
	else if (strcmp(fmt, "blds") == 0)
		x.fmt = F_BLDS;
	else
		return cli_usage_error(export_usage, "--format: csv, jsonl, "
		    "ocds or blds");
	if ((rc = cli_common_check(&co, 1, export_usage)) != 0)
		return rc;
	if (out != NULL) {
		struct pt_why tw = { "" };
		int fd = ut_tmpfile(out, 0644, tmp, sizeof(tmp), &tw);

		if (fd < 0)
			return cli_fail(fd, &tw, "--out");
		if ((x.out = fdopen(fd, "w")) == NULL) {
			close(fd);
			unlink(tmp);
			return cli_fail(PT_EIO, NULL, "%s", tmp);
		}
	} else
		x.out = stdout;
	{
		struct hcli_opts ho;

		cli_hcli_opts(&co, co.concurrency, &ho);
		ho.recv_buffer = AUD_RECV_BUFFER;

		if ((rc = logc_open(co.log_url, &co.key, &ho, &lc, &why)) !=
		    0) {
			ex = cli_fail(rc, &why, "--log");
			goto out;
		}
	}
	if (x.fmt == F_CSV)
		csv_row(x.out, csv_header, NCSV);
	else if (x.fmt == F_BLDS)
		csv_row(x.out, blds_header, NBLDS);
	else if (x.fmt == F_OCDS)
		x.releases = json_array();
	o.fn = on_entry;
	o.arg = &x;
	o.progress = !co.quiet && isatty(2) && out != NULL;
	rc = aud_run(lc, &st, &o, &sum, &why);
	if (rc != 0) {
		ex = cli_fail(rc, &why, "export of %s FAILED verification; "
		    "the output must not be trusted", co.log_url);
		goto out;
	}
	if (x.fmt == F_OCDS) {
		json_t *pkg = json_object();
		char ts[32];
		time_t now = time(NULL);
		struct tm tmv;

		gmtime_r(&now, &tmv);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tmv);
		json_object_set_new(pkg, "uri", json_sprintf("%s/checkpoint",
		    co.log_url));
		json_object_set_new(pkg, "version", json_string("1.1"));
		json_object_set_new(pkg, "publishedDate", json_string(ts));
		json_object_set_new(pkg, "publisher", json_pack("{s:s}",
		    "name", sum.origin));
		json_object_set_new(pkg, "releases", x.releases);
		x.releases = NULL;
		json_dumpf(pkg, x.out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		fputc('\n', x.out);
		json_decref(pkg);
	}
	if (fflush(x.out) != 0 || ferror(x.out)) {
		ex = cli_fail(PT_EIO, NULL, "writing the export");
		goto out;
	}
	if (out != NULL) {
		if (fsync(fileno(x.out)) != 0 || fclose(x.out) != 0) {
			x.out = NULL;
			ex = cli_fail(PT_EIO, NULL, "%s", tmp);
			goto out;
		}
		x.out = NULL;
		{
			struct pt_why tw = { "" };

			if ((rc = ut_tmp_commit(tmp, out, 0, &tw)) != 0) {
				ex = cli_fail(rc, &tw, "--out");
				goto out;
			}
		}
	}
	if (!co.quiet)
		fprintf(stderr, "pubtrail: exported %llu of %llu verified "
		    "entries of %s (tree size %llu)\n",
		    (unsigned long long)x.written,
		    (unsigned long long)sum.entries, sum.origin,
		    (unsigned long long)sum.new_size);
out:
	if (out != NULL && x.out != NULL) {
		fclose(x.out);
		unlink(tmp);
	}
	json_decref(x.releases);
	aud_state_free(&st);
	logc_free(lc);
	return ex;
}
