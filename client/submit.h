/*
 * submit.h: `pubtrail submit`: every record of every input read and
 * checked first (intake.h: all or nothing unless --keep-going), then sent
 * by sub_send (subsend.h: signed, submitted, each receipt verified and
 * kept, the receipts' checkpoints proven consistent).
 *
 * The parts of the command that `pubtrail correct` shares: the options
 * both take (struct sub_args), and the office's side of a run (struct
 * sub_office: its key, its disclosures file, the log and its checkpoint).
 */
#ifndef PT_CLIENT_SUBMIT_H
#define PT_CLIENT_SUBMIT_H

#include <stddef.h>

#include "amount.h"
#include "cli.h"
#include "ckpt.h"
#include "csvin.h"
#include "disclose.h"
#include "input.h"
#include "json.h"
#include "logc.h"
#include "note.h"
#include "ptlimits.h"
#include "subrcpt.h"		/* sub_receipt_name, for the receipts' readers */
#include "subsend.h"
#include "util.h"

#define SUB_GIVE_UP_S	60	/* default --give-up: seconds without an answer */
#define SUB_BATCH	100	/* default --batch: submissions per POST /add */

/* The options submit and correct both take (SUB_LONGOPTS), filled by
 * sub_args_opt; all strings borrowed from argv. */
struct sub_args {
	struct cli_common co;		/* --log, --log-key, --json, ... */
	struct in_opts io;		/* --format, --currency, amounts,
					 * --date-format; the map is set by
					 * sub_office_open */
	const char *keyfile;		/* --key FILE */
	const char *receipts;		/* --receipts DIR (default "receipts");
					 * NULL: --no-receipts */
	const char *disclosures;	/* --disclosures FILE; NULL:
					 * KEYFILE.disclosures.jsonl */
	const char *map;		/* --map FILE | NAME=FIELD,... */
	unsigned give_up;		/* --give-up SECONDS */
	int nolock;			/* a dry run: no lock on the key */
};

#define SUB_OPT_NORECEIPTS	0x200
#define SUB_OPT_GIVEUP		0x201
#define SUB_OPT_MAP		0x202
#define SUB_OPT_DATEFMT		0x203
#define SUB_OPT_DELIM		0x204
#define SUB_OPT_TYPE		0x205
#define SUB_OPT_HEADERLINE	0x206

/* getopt_long table entries for sub_args; a command's own codes are
 * 0x210 and up. */
#define SUB_LONGOPTS							\
	CLI_LONGOPTS_COMMON,						\
	AMT_LONGOPTS,							\
	{ "key", 1, NULL, 'k' },					\
	{ "receipts", 1, NULL, 'r' },					\
	{ "no-receipts", 0, NULL, SUB_OPT_NORECEIPTS },			\
	{ "disclosures", 1, NULL, 'd' },				\
	{ "format", 1, NULL, 'f' },					\
	{ "currency", 1, NULL, 'c' },					\
	{ "map", 1, NULL, SUB_OPT_MAP },				\
	{ "date-format", 1, NULL, SUB_OPT_DATEFMT },			\
	{ "delimiter", 1, NULL, SUB_OPT_DELIM },			\
	{ "header-line", 1, NULL, SUB_OPT_HEADERLINE },			\
	{ "give-up", 1, NULL, SUB_OPT_GIVEUP },				\
	{ "type", 1, NULL, SUB_OPT_TYPE }

/* Defaults into a. */
void sub_args_init(struct sub_args *a);

/* One getopt code (the command's own handled before): 0 consumed, or
 * CLI_EUSAGE with the problem and usage printed (an option of neither,
 * or a bad value). */
int sub_args_opt(struct sub_args *a, int code, const char *arg,
    const char *usage);

/* The office's side of a run.  Zero it; sub_office_close frees it. */
struct sub_office {
	struct note_skey key;		/* the signing key, when have_key */
	int have_key;
	char vkey[PT_MAX_VKEY + 1];	/* its verifier key string */
	char dpath[UT_PATH_MAX];	/* the default disclosures path */
	struct dis_store *dis;		/* the disclosures file, read */
	struct jrec_discs discs;	/* the salts it holds (known by dis) */
	struct csvin_map *map;		/* --map, loaded */
	struct logc *lc;		/* sub_office_connect */
	struct ckpt *ck;		/* sub_office_checkpoint */
	int locked;			/* lockfd holds the key file's flock */
	int lockfd;
};

/*
 * Load --map (into a->io), then, with --key, the key, its verifier key
 * string and the disclosures file (read only: written just before a
 * record is sent).  Unless a->nolock, first an exclusive flock(2) on the
 * key file, held until sub_office_close: two runs for one office (a cron
 * job started twice) take turns, so the second reads the salts the first
 * wrote and logs nothing twice, nor a person under a second salt.  0, or
 * the exit code with the message printed.
 */
int sub_office_open(struct sub_office *of, struct sub_args *a,
    const char *usage);

/* Open the log at --log for of->lc.  0 or the exit code (printed). */
int sub_office_connect(struct sub_office *of, const struct sub_args *a);

/* Fetch the log's checkpoint into of->ck: verified (under --policy when
 * given) and checked against the client's memory of the log.  what names
 * the command in an out-of-memory message.  0 or the exit code. */
int sub_office_checkpoint(struct sub_office *of, const char *what);

/* sub_send's options from a and of (connected, with its checkpoint):
 * they borrow both. */
void sub_office_send_opts(const struct sub_office *of,
    const struct sub_args *a, unsigned batch, struct sub_opts *so);

/* Free of's resources and wipe the key.  of may be zeroed. */
void sub_office_close(struct sub_office *of);

int sub_cmd(int argc, char **argv);

#endif
