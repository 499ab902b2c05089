/* cstatus.c: corrections applied to a record.  See cstatus.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amount.h"
#include "crypto.h"
#include "cstatus.h"
#include "json.h"
#include "record.h"
#include "tty.h"

const char *
cst_word(enum cst_status s)
{
	return s == CST_VOIDED ? "voided" : s == CST_AMENDED ? "amended" :
	    s == CST_UNKNOWN ? "unknown" : "current";
}

int
cst_applies(uint64_t target_index, const struct mt_hash *target_leaf,
    const uint8_t target_sid[32], uint64_t corr_index,
    const struct wire_entry *corr, struct pt_why *why)
{
	const struct record_info *ci = &corr->sub.info;
	uint8_t sid[32];

	if (ci->type != RECORD_CORRECTION)
		return pt_why_set(why, PT_EANSWER, "entry %llu is a %s, not a "
		    "correction", (unsigned long long)corr_index,
		    record_type_name(ci->type));
	if (ci->target_index != target_index)
		return pt_why_set(why, PT_EANSWER, "entry %llu corrects entry "
		    "%llu, not %llu", (unsigned long long)corr_index,
		    (unsigned long long)ci->target_index,
		    (unsigned long long)target_index);
	if (corr_index <= target_index)
		return pt_why_set(why, PT_EANSWER, "entry %llu comes before "
		    "its target %llu", (unsigned long long)corr_index,
		    (unsigned long long)target_index);
	if (cr_memcmp(ci->target_hash.b, target_leaf->b, MT_HASH_SIZE) != 0)
		return pt_why_set(why, PT_EANSWER, "entry %llu names another "
		    "leaf hash than entry %llu's", (unsigned long long)
		    corr_index, (unsigned long long)target_index);
	wire_submitter_id(corr->sub.submitter_str, corr->sub.submitter_len,
	    sid);
	if (cr_memcmp(sid, target_sid, 32) != 0)
		return pt_why_set(why, PT_EANSWER, "entry %llu is signed by "
		    "another office than entry %llu", (unsigned long long)
		    corr_index, (unsigned long long)target_index);
	return 0;
}

void
cst_free(struct cst *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->c[i].record);
	free(c->c);
	memset(c, 0, sizeof(*c));
}

int
cst_resolve(struct logc *lc, const struct ckpt *ck, uint64_t index,
    const uint8_t *entry, size_t len, const struct wire_entry *e,
    struct cst *out, struct pt_why *why)
{
	struct mt_hash leaf;
	uint8_t sid[32];
	uint64_t *idx;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (lc->tiles_only) {
		out->status = CST_UNKNOWN;
		return 0;
	}
	if ((rc = mt_leaf_hash(entry, len, &leaf)) != 0)
		return rc;
	wire_submitter_id(e->sub.submitter_str, e->sub.submitter_len, sid);
	if ((idx = calloc(CST_MAX_CORRECTIONS, sizeof(*idx))) == NULL)
		return PT_ENOMEM;
	if ((rc = logc_corrections(lc, index, ck, idx, CST_MAX_CORRECTIONS,
	    &n, why)) == PT_ENOTFOUND) {
		/* index is in the signed tree: no such route here */
		out->status = CST_UNKNOWN;
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (n > 0 && (out->c = calloc(n, sizeof(*out->c))) == NULL) {
		rc = PT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct wire_entry ce;
		struct pt_why w = { "" };
		uint8_t *cb = NULL;
		size_t cl;

		if ((rc = logc_entry(lc, idx[i], ck, &cb, &cl, &ce, why)) != 0)
			goto out;
		if ((rc = cst_applies(index, &leaf, sid, idx[i], &ce, &w)) != 0) {
			free(cb);
			rc = pt_why_set(why, PT_EANSWER, "the log lists entry "
			    "%llu as a correction of entry %llu, but it is "
			    "not: %s", (unsigned long long)idx[i],
			    (unsigned long long)index, w.text);
			goto out;
		}
		out->c[out->n].index = idx[i];
		out->c[out->n].time_ms = ce.time_ms;
		out->c[out->n].is_void = ce.sub.info.action_void;
		rc = jrec_to_json(ce.sub.record, ce.sub.record_len,
		    &out->c[out->n].record, why);
		free(cb);
		if (rc != 0)
			goto out;
		out->n++;
	}
	if (out->n > 0)
		out->status = out->c[out->n - 1].is_void ? CST_VOIDED :
		    CST_AMENDED;
out:
	free(idx);
	if (rc != 0)
		cst_free(out);
	return rc;
}

static void
iso(uint64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* An integer amount in minor units as an exact decimal, its integer
 * digits grouped by three ("EUR 1,250.00"; amt_format reads it); the
 * minor units, said so, when the currency's minor unit is not known. */
static void
put_amount(FILE *f, json_int_t minor, const char *currency)
{
	char txt[AMT_MAX_TEXT];
	const char *d;
	size_t ip;

	if (amt_format(minor, currency, txt, sizeof(txt)) != 0) {
		fprintf(f, "%s %lld (minor units)", currency != NULL ?
		    currency : "(no currency)", (long long)minor);
		return;
	}
	d = txt + (txt[0] == '-');
	ip = strcspn(d, ".");
	fprintf(f, "%s %s", currency, txt[0] == '-' ? "-" : "");
	for (size_t i = 0; i < ip; i++) {
		fputc(d[i], f);
		if (i != ip - 1 && (ip - 1 - i) % 3 == 0)
			fputc(',', f);
	}
	fputs(d + ip, f);
}

/* An amount's key without "_minor" when it is shown in major units. */
static int
is_minor_key(const char *k)
{
	size_t n = strlen(k);

	return n > 6 && strcmp(k + n - 6, "_minor") == 0;
}

void
cst_put_fields(FILE *f, json_t *obj, const char *prefix,
    const char *currency)
{
	const char *k;
	json_t *v;
	int exp;

	json_object_foreach(obj, k, v) {
		char path[160];

		snprintf(path, sizeof(path), "%s%s", prefix, k);
		if (json_is_object(v)) {
			json_t *c = json_object_get(v, "currency");
			char sub[170];

			/* a nested record (a correction's replacement) has a
			 * currency of its own */
			snprintf(sub, sizeof(sub), "%s.", path);
			cst_put_fields(f, v, sub, json_is_string(c) ?
			    json_string_value(c) : currency);
			continue;
		}
		if (json_is_integer(v) && is_minor_key(k) &&
		    amt_exponent(currency, &exp) == 0 && exp != AMT_NA)
			path[strlen(path) - 6] = '\0';	/* major units */
		fputs("    ", f);
		tty_puts(f, path);
		fprintf(f, "%*s ", strlen(path) < 22 ? (int)(22 -
		    strlen(path)) : 0, "");
		if (json_is_integer(v) && is_minor_key(k))
			put_amount(f, json_integer_value(v), currency);
		else if (json_is_integer(v))
			fprintf(f, "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v))
			tty_put(f, json_string_value(v), json_string_length(v));
		else
			fprintf(f, "(%s)", json_is_array(v) ? "list" : "value");
		fputc('\n', f);
	}
}

void
cst_print(FILE *f, const struct cst *c)
{
	const struct cst_corr *d;
	char when[32];

	if (c->status == CST_CURRENT) {
		fprintf(f, "status: current (no correction in the log)\n");
		return;
	}
	if (c->status == CST_UNKNOWN) {
		fprintf(f, "status: unknown: this server lists no corrections "
		    "(a static mirror); `pubtrail export` and `audit` find "
		    "them in the entries\n");
		return;
	}
	d = &c->c[c->n - 1];
	iso(d->time_ms, when, sizeof(when));
	fprintf(f, "status: %s by #%llu on %s (", c->status == CST_VOIDED ?
	    "VOIDED" : "AMENDED", (unsigned long long)d->index, when);
	tty_puts(f, str(d->record, "id"));
	fputs("): ", f);
	tty_puts(f, str(d->record, "reason"));
	fputc('\n', f);
	if (c->n > 1)
		fprintf(f, "  (%zu corrections in all; the last one decides)\n",
		    c->n);
	if (c->status == CST_AMENDED) {
		json_t *rep = json_object_get(d->record, "replacement");

		fprintf(f, "  the record as amended (\"effective_record\" in "
		    "--json):\n");
		if (json_is_object(rep))
			cst_put_fields(f, rep, "", str(rep, "currency")[0] ?
			    str(rep, "currency") : NULL);
	}
}

void
cst_json(json_t *o, const struct cst *c)
{
	json_t *arr = json_array(), *eff;

	for (size_t i = 0; i < c->n; i++) {
		const struct cst_corr *d = &c->c[i];

		json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:s,s:s}",
		    "index", (json_int_t)d->index, "time",
		    (json_int_t)d->time_ms, "id", str(d->record, "id"),
		    "action", d->is_void ? "void" : "amend", "reason",
		    str(d->record, "reason")));
	}
	json_object_set_new(o, "status", json_string(cst_word(c->status)));
	json_object_set_new(o, "corrected_by", c->n > 0 &&
	    c->status != CST_UNKNOWN ?
	    json_integer((json_int_t)c->c[c->n - 1].index) : json_null());
	json_object_set_new(o, "corrections", arr);
	if (c->status == CST_VOIDED || c->status == CST_UNKNOWN)
		eff = json_null();
	else if (c->status == CST_AMENDED)
		eff = json_incref(json_object_get(c->c[c->n - 1].record,
		    "replacement"));
	else
		eff = json_incref(json_object_get(o, "record"));
	json_object_set_new(o, "effective_record", eff != NULL ? eff :
	    json_null());
}
