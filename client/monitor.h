/*
 * monitor.h: `pubtrail monitor`: follow a log, verify every new entry (an
 * incremental audit per poll) and print those matching the filters.
 */
#ifndef PT_CLIENT_MONITOR_H
#define PT_CLIENT_MONITOR_H

#include <jansson.h>

/* Filters; NULL / unset fields match everything. */
struct mon_filter {
	const char *type;
	const char *payer;	/* substring of payer.id or payer.name */
	const char *payee;	/* substring of payee.id or payee.name */
	const char *permit_num;
	const char *office;	/* office_key entries only: a substring of the
				 * key's name, the office's display name, or
				 * its organisation's name or id */
	const char *currency;	/* ISO 4217 code; required with amounts */
	int have_min, have_max;
	long long min_amount, max_amount;	/* minor units of currency */
};

/* 1 when record (JSON as jrec_to_json makes it) matches f. */
int mon_match(const struct mon_filter *f, json_t *record);

int mon_cmd(int argc, char **argv);

#endif
