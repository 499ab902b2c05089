/*
 * logkey.h: the log's key files and the checks on its data directory.
 *
 * DIR/log.key holds the log's private key (a C2SP signed-note private key
 * string and a newline), DIR/log.vkey its verifier key string.  log.key is
 * created once, through a new temporary file in DIR (mkstemp) linked to
 * its name (net/sfile.h: a file or symbolic link planted at either name
 * never receives the key), mode 0600, fsynced with the directory.
 *
 * The data directory and log.key belong to the daemon's user and nobody
 * else may read or write them: whoever can write the directory can swap
 * the key, the submitters file or the checkpoint copy; whoever can read
 * log.key can sign as the log.  Each refusal names the command that fixes
 * it.
 */
#ifndef PTD_LOGKEY_H
#define PTD_LOGKEY_H

#include "note.h"
#include "pt.h"

#define LOGKEY_NAME	"log.key"
#define LOGKEY_VNAME	"log.vkey"

/*
 * dir is a directory of this user that group and others cannot use (mode
 * 0700 or stricter).  PT_ENOTFOUND (missing), PT_EIO (not a directory,
 * another owner, group or other bits: the reason and the chmod or chown
 * that fixes it in why).  O(1).
 */
int logkey_check_dir(const char *dir, struct pt_why *why);

/*
 * A new Ed25519 log key named origin in *k, written to DIR/log.key (0600,
 * must not exist: PT_ECONFLICT) and DIR/log.vkey (0644).  PT_EINVAL (not
 * a valid key name), PT_ECONFLICT, PT_EIO; why says which.  The caller
 * wipes *k (note_skey_wipe).
 */
int logkey_create(const char *dir, const char *origin, struct note_skey *k,
    struct pt_why *why);

/*
 * DIR/log.key into *k: a regular file of this user, mode 0600 or stricter
 * (else PT_EIO naming the fix), an Ed25519 private key string (else
 * PT_EMALFORMED).  PT_ENOTFOUND when missing.  The caller wipes *k.
 */
int logkey_load(const char *dir, struct note_skey *k, struct pt_why *why);

/*
 * The log's verifier key: from DIR/log.key when it is there (checked as
 * logkey_load), else from DIR/log.vkey (a backup without the private key).
 * *has_private says which.  PT_ENOTFOUND (neither), PT_EIO, PT_EMALFORMED.
 */
int logkey_load_vkey(const char *dir, struct note_vkey *vk, int *has_private,
    struct pt_why *why);

#endif
