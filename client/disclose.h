/*
 * disclose.h: the office's local disclosures file and selective
 * disclosure of committed fields.
 *
 * The disclosures file (JSON Lines, mode 0600, kept by the office only)
 * has one line per committed field:
 *   {"commitment":"<hex>","field":"payee","id":"PAY-1","salt":"<hex>",
 *    "submitter":"<verifier key>","value":"Jane Doe","version":1}
 * A disclosure (what the office hands to one person) is the same object
 * as a single JSON document; check-disclosure recomputes
 * record_commit(salt, value) and finds that commitment at `field` of the
 * record `id` by `submitter`, in an entry proven to be in the log.
 * Deleting a line makes the logged commitment unlinkable for good.
 */
#ifndef PT_CLIENT_DISCLOSE_H
#define PT_CLIENT_DISCLOSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "json.h"
#include "pt.h"

struct dis_store;

/*
 * Open the disclosures file at path for submitter (verifier key string):
 * its index PATH.idx (LMDB; names and salts stay in the file only) is
 * brought up to date with the lines appended since, or built again for
 * another or an edited file; a missing file is empty (created with mode
 * 0600 on the first dis_store_add).  readonly (a dry run): nothing is
 * written beside the file: a current index is read as it is, else a
 * temporary one is built and removed at dis_store_free.  A last line cut
 * short (a full disk) is left out, and cut away before the next line is
 * written.  PT_EIO (the file unreadable, readable by others, or holding
 * a line that is no disclosure: its line number in *why), PT_ENOMEM.
 * O(lines appended since the last open); memory O(one line).
 */
int dis_store_open(const char *path, const char *submitter, int readonly,
    struct dis_store **out, struct pt_why *why);
void dis_store_free(struct dis_store *s);

/* The file's path, as given to dis_store_open (s's). */
const char *dis_store_path(const struct dis_store *s);

/* 1 when the store holds a line of this submitter for the commitment
 * (its salt and name are kept), else 0.  For jrec_discs.holds. */
int dis_store_holds(void *store, const uint8_t commitment[32]);

/* 1 when the file has a line for (id, field) of another name than the
 * line of commitment (hex; or any line, when none has it): the record
 * logged under another name, not another salt.  Else 0. */
int dis_store_renamed(struct dis_store *s, const char *id, const char *field,
    const char *commitment);

/* jrec_discs.known callback: 1 and the salt when (id, field, value) was
 * committed before by this submitter, else 0. */
int dis_store_known(void *store, const char *id, const char *field,
    const char *value, size_t len, uint8_t salt[32]);

/* 1 with the field in field (cap bytes) and the name or its word as
 * written in word (wcap bytes) when text holds the name (whole, or a word
 * of it: fold_name_in) of a person of record id, as logged or as a
 * correction of it renamed them; else 0. */
int dis_store_name_in(struct dis_store *s, const char *id, const char *text,
    char *field, size_t cap, char *word, size_t wcap);

/* jrec_discs.alike callback: 1, the salt and the name as the line has
 * it (malloc'd) when a line of (id, field) has value but for case and
 * Unicode form, else 0. */
int dis_store_alike(void *store, const char *id, const char *field,
    const char *value, uint8_t salt[32], char **stored);

/* jrec_discs.erased callback: 1 and the logged commitment when the line
 * of (id, field) was erased (`disclose --erase`), else 0. */
int dis_store_erased(void *store, const char *id, const char *field,
    uint8_t commitment[32]);

/*
 * Append the committed fields of record id to the file (lines already
 * present are not repeated).  Not yet synced: call dis_store_sync before
 * the record is submitted, so that no commitment is ever logged whose
 * secret was lost (one fsync for a batch of records).  PT_EIO with the
 * reason in *why, PT_ENOMEM.  O(fields): the lines are indexed.
 */
int dis_store_add(struct dis_store *s, const char *id,
    const struct jrec_discs *d, struct pt_why *why);

/* fsync what dis_store_add wrote since the last sync (nothing to do when
 * it wrote nothing).  0, or PT_EIO with the reason in *why. */
int dis_store_sync(struct dis_store *s, struct pt_why *why);

/*
 * The lines this run wrote for record id retracted, when the log refused
 * the record for good (its id holds other content): a line
 * {"version", "submitter", "id", "field", "retract": COMMITMENT} each,
 * synced, after which no lookup takes that salt again (a later run, or a
 * `correct --amend` of the record, would otherwise reuse a salt the log
 * never held under the id, and `disclose` show a line no logged record
 * matches).  Lines this run found, not wrote, stay.  0, or PT_EIO.
 */
int dis_store_retract(struct dis_store *s, const char *id,
    struct pt_why *why);

/*
 * Check disclosure object disc against a decoded record (JSON, as
 * jrec_to_json makes) that submitter signed: the commitment recomputed
 * from salt and value equals the one at disc.field.  0, PT_EPROOF
 * (mismatch), PT_EMALFORMED (not a disclosure), PT_ENOTFOUND (no
 * committed field there).
 */
int dis_check_record(const json_t *disc, json_t *record,
    const char *submitter, size_t submitter_len, struct pt_why *why);

int dis_cmd_disclose(int argc, char **argv);
int dis_cmd_check(int argc, char **argv);

#endif
