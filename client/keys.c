/* keys.c: key strings from files and arguments; `pubtrail keygen`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "keys.h"
#include "ptlimits.h"
#include "util.h"

int
keys_load_vkey(const char *arg, struct note_vkey *out, struct pt_why *why)
{
	uint8_t *buf;
	size_t len, n;
	int rc;

	len = strlen(arg);
	if (len <= PT_MAX_VKEY && strchr(arg, '+') != NULL &&
	    note_vkey_parse(arg, len, out) == 0)
		goto check;
	if ((rc = ut_read_file(arg, 4 * PT_MAX_VKEY, &buf, &len, why)) != 0) {
		if (rc == PT_ENOTFOUND && strchr(arg, '+') != NULL)
			return pt_why_set(why, PT_EMALFORMED,
			    "not a valid verifier key string: %s", arg);
		return rc == PT_ENOTFOUND ? PT_EIO : rc;
	}
	for (n = 0; n < len && buf[n] != '\n'; n++)
		;
	n = ut_rtrim((const char *)buf, n);
	rc = note_vkey_parse((const char *)buf, n, out);
	free(buf);
	if (rc != 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "%s: not a valid verifier key string", arg);
check:
	if (out->alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EMALFORMED,
		    "%s: not an Ed25519 (type 0x01) key", out->name);
	return 0;
}

int
keys_load_skey(const char *path, struct note_skey *out, struct pt_why *why)
{
	uint8_t *buf;
	size_t len, n;
	int rc;

	if (strcmp(path, "-") != 0 &&
	    (rc = ut_check_secret_file(path, why)) != 0)
		return rc == PT_ENOTFOUND ? PT_EIO : rc;
	if ((rc = ut_read_input(path, 4 * KEYS_STR_MAX, &buf, &len, why)) != 0)
		return rc;
	for (n = 0; n < len && buf[n] != '\n'; n++)
		;
	n = ut_rtrim((const char *)buf, n);
	rc = note_skey_parse((const char *)buf, n, out);
	cr_wipe(buf, len);
	free(buf);
	if (rc != 0)
		return pt_why_set(why, PT_EMALFORMED,
		    "%s: not a valid private key string", path);
	if (out->vk.alg != NOTE_ALG_ED25519) {
		note_skey_wipe(out);
		return pt_why_set(why, PT_EMALFORMED,
		    "%s: not an Ed25519 (type 0x01) key", path);
	}
	return 0;
}

static const char keygen_usage[] =
    "usage: pubtrail keygen --name NAME --out FILE [--force]\n"
    "\n"
    "Create a new Ed25519 key (C2SP signed-note, type 0x01).  FILE gets the\n"
    "private-key string (mode 0600), FILE.pub and standard output the\n"
    "verifier-key string.  NAME is the key name (for an office: e.g.\n"
    "finance.example-city.gov).  Refuses to overwrite FILE unless --force.\n";

int
keys_cmd_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", 1, NULL, 'n' },
		{ "out", 1, NULL, 'o' },
		{ "force", 0, NULL, 'f' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *out = NULL;
	char skey[KEYS_STR_MAX], vkey[KEYS_STR_MAX], pubpath[4096];
	struct note_skey k;
	struct pt_why why = { "" };
	int c, force = 0, rc;

	while ((c = getopt_long(argc, argv, "n:o:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			fputs(keygen_usage, stdout);
			return CLI_OK;
		default:
			fputs(keygen_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error(keygen_usage, "unexpected argument '%s'",
		    argv[optind]);
	if (name == NULL || out == NULL)
		return cli_usage_error(keygen_usage, "--name and --out are "
		    "required");
	if (note_name_check(name, strlen(name)) != 0)
		return cli_usage_error(keygen_usage, "--name: a key name is 1..%d "
		    "bytes of UTF-8 without spaces or '+'", PT_MAX_KEY_NAME);
	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", out) >=
	    (int)sizeof(pubpath))
		return cli_usage_error(keygen_usage, "--out: path too long");
	if ((rc = note_keygen(name, NOTE_ALG_ED25519, &k)) != 0)
		return cli_fail(rc, NULL, "keygen");
	if ((rc = note_skey_format(&k, skey, sizeof(skey) - 1)) != 0 ||
	    (rc = note_vkey_format(&k.vk, vkey, sizeof(vkey) - 1)) != 0) {
		note_skey_wipe(&k);
		return cli_fail(rc, NULL, "keygen: formatting the key");
	}
	note_skey_wipe(&k);
	strcat(skey, "\n");
	rc = ut_write_file(out, skey, strlen(skey), 0600, !force, &why);
	cr_wipe(skey, sizeof(skey));
	if (rc != 0)
		return cli_fail(rc == PT_ECONFLICT ? PT_EINVAL : rc, &why,
		    "keygen");
	strcat(vkey, "\n");
	if ((rc = ut_write_file(pubpath, vkey, strlen(vkey), 0644, 0,
	    &why)) != 0)
		return cli_fail(rc, &why, "keygen");
	fputs(vkey, stdout);
	return CLI_OK;
}
