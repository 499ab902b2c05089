/*
 * keys.h: loading C2SP key strings from the command line or files, and
 * `pubtrail keygen`.
 */
#ifndef PT_CLIENT_KEYS_H
#define PT_CLIENT_KEYS_H

#include "note.h"
#include "pt.h"

/* Room for any key string note_*_format produces, with its NUL. */
#define KEYS_STR_MAX	512

/*
 * A verifier key: arg is either the key string itself or the name of a
 * file whose first line is one.  0, PT_EMALFORMED (not a valid key
 * string), PT_ENOTFOUND / PT_EIO (file), reason in *why.  Only Ed25519
 * (alg 0x01) keys are accepted as log or submitter keys.
 */
int keys_load_vkey(const char *arg, struct note_vkey *out,
    struct pt_why *why);

/*
 * The private key in file path (C2SP "PRIVATE+KEY+..." string, one line).
 * Refused (PT_EIO, naming the chmod that fixes it) when the file or its
 * directory is writable by group or others; warns on stderr when the file
 * is readable by them (ut_check_secret_file).  The caller wipes *out with
 * note_skey_wipe().  0, PT_ENOTFOUND, PT_EIO, PT_EMALFORMED.
 */
int keys_load_skey(const char *path, struct note_skey *out,
    struct pt_why *why);

/* `pubtrail keygen --name NAME --out FILE [--force]`. */
int keys_cmd_keygen(int argc, char **argv);

#endif
