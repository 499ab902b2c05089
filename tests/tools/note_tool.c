/*
 * note_tool: command-line access to proto/note, proto/ckpt and proto/tproof
 * for the interop tests (tests/integration/test_interop_note.sh).
 *
 *   note_tool keygen NAME [ed25519|cosig]    print skey and vkey lines
 *   note_tool vkey SKEY                      print the verifier key
 *   note_tool sign [-t TS] SKEY...           sign the text on stdin
 *   note_tool verify VKEY...                 verify the note on stdin,
 *                                            print its text
 *   note_tool ckpt-format ORIGIN SIZE ROOT [EXT...]   print a body
 *   note_tool ckpt-parse                     parse a body on stdin, reprint
 *   note_tool ckpt-open LOGVKEY [WVKEY...]   open a signed checkpoint
 *   note_tool tproof-parse                   parse a tlog-proof, reprint
 *
 * Exit status 0 on success; 1 with "error: <name>" on stderr otherwise;
 * 2 on bad usage.  Keys on the command line are for tests only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckpt.h"
#include "crypto.h"
#include "note.h"
#include "num.h"
#include "policy.h"
#include "pt.h"
#include "tproof.h"

#define IN_MAX	(1 << 20)

static char inbuf[IN_MAX];
static char outbuf[4 * PT_NOTE_MAX];

static size_t
read_stdin(void)
{
	size_t n = fread(inbuf, 1, sizeof(inbuf), stdin);

	if (ferror(stdin)) {
		fprintf(stderr, "error: read\n");
		exit(1);
	}
	return n;
}

static int
fail(int rc)
{
	fprintf(stderr, "error: %s\n", pt_errname(rc));
	return 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: note_tool keygen|vkey|sign|verify|"
	    "ckpt-format|ckpt-parse|ckpt-open|tproof-parse ...\n");
	return 2;
}

static int
cmd_keygen(int argc, char **argv)
{
	struct note_skey k;
	char s[PT_MAX_VKEY + 16], v[PT_MAX_VKEY + 1];
	uint8_t alg = NOTE_ALG_ED25519;
	int rc;

	if (argc < 1 || argc > 2)
		return usage();
	if (argc == 2 && strcmp(argv[1], "cosig") == 0)
		alg = NOTE_ALG_COSIG_V1;
	else if (argc == 2 && strcmp(argv[1], "ed25519") != 0)
		return usage();
	if ((rc = note_keygen(argv[0], alg, &k)) != 0 ||
	    (rc = note_skey_format(&k, s, sizeof(s))) != 0 ||
	    (rc = note_vkey_format(&k.vk, v, sizeof(v))) != 0) {
		note_skey_wipe(&k);
		return fail(rc);
	}
	note_skey_wipe(&k);
	printf("%s\n%s\n", s, v);
	cr_wipe(s, sizeof(s));
	return 0;
}

static int
cmd_vkey(int argc, char **argv)
{
	struct note_skey k;
	char v[PT_MAX_VKEY + 1];
	int rc;

	if (argc != 1)
		return usage();
	if ((rc = note_skey_parse(argv[0], strlen(argv[0]), &k)) != 0)
		return fail(rc);
	rc = note_vkey_format(&k.vk, v, sizeof(v));
	note_skey_wipe(&k);
	if (rc != 0)
		return fail(rc);
	printf("%s\n", v);
	return 0;
}

static int
cmd_sign(int argc, char **argv)
{
	struct note_skey keys[PT_NOTE_MAX_SIGS];
	uint64_t ts = 0;
	size_t n = 0, len, outlen;
	int i = 0, rc;

	if (argc >= 2 && strcmp(argv[0], "-t") == 0) {
		if ((rc = num_parse_u64_str(argv[1], 0, UINT64_MAX,
		    &ts)) != 0)
			return usage();
		i = 2;
	}
	if (i == argc || argc - i > PT_NOTE_MAX_SIGS)
		return usage();
	for (; i < argc; i++)
		if ((rc = note_skey_parse(argv[i], strlen(argv[i]),
		    &keys[n++])) != 0)
			goto out;
	len = read_stdin();
	rc = note_sign(inbuf, len, keys, n, ts, outbuf, sizeof(outbuf),
	    &outlen);
	if (rc == 0)
		fwrite(outbuf, 1, outlen, stdout);
out:
	for (size_t j = 0; j < n; j++)
		note_skey_wipe(&keys[j]);
	return rc == 0 ? 0 : fail(rc);
}

static int
parse_vkeys(int argc, char **argv, struct note_vkey *keys)
{
	int rc;

	for (int i = 0; i < argc; i++)
		if ((rc = note_vkey_parse(argv[i], strlen(argv[i]),
		    &keys[i])) != 0)
			return rc;
	return 0;
}

static int
cmd_verify(int argc, char **argv)
{
	static struct note n;
	struct note_vkey keys[64];
	uint64_t mask;
	size_t len;
	int rc;

	if (argc < 1 || argc > 64)
		return usage();
	if ((rc = parse_vkeys(argc, argv, keys)) != 0)
		return fail(rc);
	len = read_stdin();
	if ((rc = note_parse(inbuf, len, &n)) != 0 ||
	    (rc = note_verify(&n, keys, (size_t)argc, &mask)) != 0)
		return fail(rc);
	fwrite(n.text, 1, n.text_len, stdout);
	fprintf(stderr, "verified %016" PRIx64 "\n", mask);
	return 0;
}

static int
cmd_ckpt_format(int argc, char **argv)
{
	static struct ckpt c;
	uint8_t root[34];
	size_t rlen, outlen;
	int rc;

	if (argc < 3 || argc - 3 > PT_CKPT_MAX_EXT)
		return usage();
	memset(&c, 0, sizeof(c));
	if (strlen(argv[0]) > PT_MAX_ORIGIN)
		return fail(PT_ETOOBIG);
	strcpy(c.origin, argv[0]);
	if ((rc = num_parse_u64_str(argv[1], 0, UINT64_MAX,
	    &c.size)) != 0)
		return fail(rc);
	if (cr_b64_decode(argv[2], strlen(argv[2]), root, sizeof(root),
	    &rlen) != 0 || rlen != 32)
		return fail(PT_EMALFORMED);
	memcpy(c.root.b, root, 32);
	for (int i = 3; i < argc; i++) {
		if (strlen(argv[i]) > PT_NOTE_MAX_LINE)
			return fail(PT_ETOOBIG);
		strcpy(c.ext[c.next++], argv[i]);
	}
	if ((rc = ckpt_format(&c, outbuf, sizeof(outbuf), &outlen)) != 0)
		return fail(rc);
	fwrite(outbuf, 1, outlen, stdout);
	return 0;
}

static int
print_ckpt(const struct ckpt *c)
{
	size_t outlen;
	int rc;

	if ((rc = ckpt_format(c, outbuf, sizeof(outbuf), &outlen)) != 0)
		return fail(rc);
	fwrite(outbuf, 1, outlen, stdout);
	return 0;
}

static int
cmd_ckpt_parse(int argc, char **argv)
{
	static struct ckpt c;
	size_t len;
	int rc;

	(void)argv;
	if (argc != 0)
		return usage();
	len = read_stdin();
	if ((rc = ckpt_parse(inbuf, len, &c)) != 0)
		return fail(rc);
	return print_ckpt(&c);
}

/* ckpt-open LOGKEY [WITNESSKEY...]: ckpt_open with the log key, then
 * which witnesses' cosignatures count (pol_cosigs, now) as a bitmask. */
static int
cmd_ckpt_open(int argc, char **argv)
{
	static struct ckpt c;
	static struct note n;
	static struct pol p;
	struct note_vkey keys[64];
	struct pol_cosigs cs;
	size_t len;
	int rc;

	if (argc < 1 || argc > 1 + PT_POLICY_MAX_WITNESSES)
		return usage();
	if ((rc = parse_vkeys(argc, argv, keys)) != 0)
		return fail(rc);
	len = read_stdin();
	if ((rc = ckpt_open(inbuf, len, &keys[0], &c)) != 0)
		return fail(rc);
	memset(&p, 0, sizeof(p));
	p.quorum = POL_NONE;
	for (int i = 1; i < argc; i++) {
		snprintf(p.wit[p.nwit].name, sizeof(p.wit[p.nwit].name),
		    "w%d", i);
		p.wit[p.nwit++].key = keys[i];
	}
	if ((rc = note_parse(inbuf, len, &n)) != 0 ||
	    (rc = pol_cosigs(&p, &n, (uint64_t)time(NULL), &cs)) != 0)
		return fail(rc);
	fprintf(stderr, "witnessed %016" PRIx64 "\n", cs.counted);
	return print_ckpt(&c);
}

static int
cmd_tproof_parse(int argc, char **argv)
{
	static struct tproof p;
	size_t len, outlen;
	int rc;

	(void)argv;
	if (argc != 0)
		return usage();
	len = read_stdin();
	if ((rc = tproof_parse(inbuf, len, &p)) != 0 ||
	    (rc = tproof_format(&p, outbuf, sizeof(outbuf), &outlen)) != 0)
		return fail(rc);
	fwrite(outbuf, 1, outlen, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "keygen", cmd_keygen }, { "vkey", cmd_vkey },
		{ "sign", cmd_sign }, { "verify", cmd_verify },
		{ "ckpt-format", cmd_ckpt_format },
		{ "ckpt-parse", cmd_ckpt_parse },
		{ "ckpt-open", cmd_ckpt_open },
		{ "tproof-parse", cmd_tproof_parse },
	};

	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	return usage();
}
