/* disclose.c: the disclosures file, `pubtrail disclose` and
 * `pubtrail check-disclosure`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "disclose.h"
#include "keys.h"
#include "logc.h"
#include "num.h"
#include "record.h"
#include "util.h"
#include "verify.h"

#define DIS_FILE_MAX	(256u << 20)

/*
 * The lines, and this submitter's indexed three ways (jansson objects as
 * hash tables; each value an array of lines in file order), so a lookup
 * costs one hash probe, not a pass over the file: an office paying
 * benefits to 50,000 persons looks up that many names against a year's
 * lines.  Keys are "LEN:ID" then the field (LEN: the id's length in
 * bytes, so no id and field run together as another pair).
 */
struct dis_store {
	char *path;
	char *submitter;
	json_t *lines;		/* array of objects */
	json_t *by_field;	/* (id, field) -> lines */
	json_t *by_amend;	/* (id before a '/' of a correction's id,
				 * field after "replacement.") -> lines */
	json_t *by_commit;	/* lower-case hex commitment -> true */
	int fd;			/* open to append, after the first add */
	int unsynced;		/* lines written since the last fsync */
};

static int
hexfield(const json_t *o, const char *key, uint8_t out[32])
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) != 64 ||
	    cr_hex_decode(json_string_value(v), 64, out, 32) != 0)
		return PT_EMALFORMED;
	return 0;
}

static int
valid_line(const json_t *o)
{
	uint8_t b[32];

	return json_is_object(o) &&
	    json_is_string(json_object_get(o, "submitter")) &&
	    json_is_string(json_object_get(o, "id")) &&
	    json_is_string(json_object_get(o, "field")) &&
	    json_is_string(json_object_get(o, "value")) &&
	    hexfield(o, "salt", b) == 0 && hexfield(o, "commitment", b) == 0;
}

/* The index key of (id's first idlen bytes, field), malloc'd, or NULL. */
static char *
index_key(const char *id, size_t idlen, const char *field)
{
	size_t fl = strlen(field), n = idlen + fl + 24;
	char *k = malloc(n);
	int w;

	if (k == NULL)
		return NULL;
	w = snprintf(k, n, "%zu:", idlen);
	memcpy(k + w, id, idlen);
	memcpy(k + w + idlen, field, fl + 1);
	return k;
}

/* Line o appended under key in index ix.  0 or PT_ENOMEM. */
static int
index_put(json_t *ix, const char *id, size_t idlen, const char *field,
    json_t *o)
{
	char *k = index_key(id, idlen, field);
	json_t *a;
	int rc = PT_ENOMEM;

	if (k == NULL)
		return PT_ENOMEM;
	if ((a = json_object_get(ix, k)) == NULL) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new_nocheck(ix, k, a) != 0)
			goto out;
	}
	if (json_array_append(a, o) == 0)
		rc = 0;
out:
	free(k);
	return rc;
}

/* The lines under (id, field) in index ix, or NULL. */
static json_t *
index_get(json_t *ix, const char *id, const char *field)
{
	char *k = index_key(id, strlen(id), field);
	json_t *a;

	if (k == NULL)
		return NULL;
	a = json_object_get(ix, k);
	free(k);
	return a;
}

/* Index line o (valid_line) when it is this submitter's; others' lines
 * are never looked up.  0 or PT_ENOMEM. */
static int
index_line(struct dis_store *s, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *field = json_string_value(json_object_get(o, "field"));
	uint8_t c[32];
	char hex[65];
	int rc;

	if (strcmp(json_string_value(json_object_get(o, "submitter")),
	    s->submitter) != 0)
		return 0;
	hexfield(o, "commitment", c);
	cr_hex_encode(c, 32, hex);
	if ((rc = index_put(s->by_field, id, strlen(id), field, o)) != 0 ||
	    json_object_set_new_nocheck(s->by_commit, hex, json_true()) != 0)
		return rc != 0 ? rc : PT_ENOMEM;
	if (strncmp(field, "replacement.", 12) != 0)
		return 0;
	/* a correction's id is the target's, '/', more: under every
	 * prefix before a '/' (a permit's id holds some itself) */
	for (const char *sl = strchr(id, '/'); sl != NULL;
	    sl = strchr(sl + 1, '/'))
		if ((rc = index_put(s->by_amend, id, (size_t)(sl - id),
		    field + 12, o)) != 0)
			return rc;
	return 0;
}

int
dis_store_open(const char *path, const char *submitter,
    struct dis_store **out, struct pt_why *why)
{
	struct dis_store *s;
	uint8_t *buf = NULL;
	size_t len = 0, line = 1;
	char *p, *nl;
	int rc;

	*out = NULL;
	rc = ut_read_file(path, DIS_FILE_MAX, &buf, &len, why);
	if (rc == PT_ENOTFOUND) {
		buf = NULL;
		len = 0;
	} else if (rc != 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) != NULL)
		s->fd = -1;
	if (s == NULL || (s->path = strdup(path)) == NULL ||
	    (s->submitter = strdup(submitter)) == NULL ||
	    (s->lines = json_array()) == NULL ||
	    (s->by_field = json_object()) == NULL ||
	    (s->by_amend = json_object()) == NULL ||
	    (s->by_commit = json_object()) == NULL) {
		free(buf);
		dis_store_free(s);
		return PT_ENOMEM;
	}
	for (p = (char *)buf; p != NULL && *p != '\0'; p = nl, line++) {
		json_t *o;
		json_error_t je;

		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (*p == '\0')
			continue;
		o = json_loads(p, JSON_REJECT_DUPLICATES, &je);
		if (o == NULL || !valid_line(o)) {
			json_decref(o);
			cr_wipe(buf, len);
			free(buf);
			dis_store_free(s);
			return pt_why_set(why, PT_EMALFORMED, "%s:%zu: not a "
			    "disclosure line", path, line);
		}
		if (json_array_append_new(s->lines, o) != 0 ||
		    index_line(s, o) != 0) {
			cr_wipe(buf, len);
			free(buf);
			dis_store_free(s);
			return PT_ENOMEM;
		}
	}
	if (buf != NULL) {
		cr_wipe(buf, len);
		free(buf);
	}
	*out = s;
	return 0;
}

void
dis_store_free(struct dis_store *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);	/* synced by dis_store_sync, or not needed */
	free(s->path);
	free(s->submitter);
	json_decref(s->lines);
	json_decref(s->by_field);
	json_decref(s->by_amend);
	json_decref(s->by_commit);
	free(s);
}

/* The first line of lines (an index's array, or NULL) whose value is
 * value (len bytes), or the first of all when value is NULL. */
static json_t *
first_with_value(const json_t *lines, const char *value, size_t len)
{
	size_t i;
	json_t *o;

	json_array_foreach(lines, i, o) {
		const json_t *v = json_object_get(o, "value");

		if (value == NULL || (json_string_length(v) == len &&
		    memcmp(json_string_value(v), value, len) == 0))
			return o;
	}
	return NULL;
}

static json_t *
find_line(struct dis_store *s, const char *id, const char *field,
    const char *value, size_t len)
{
	return first_with_value(index_get(s->by_field, id, field), value,
	    len);
}

const char *
dis_store_path(const struct dis_store *s)
{
	return s->path;
}

int
dis_store_holds(void *store, const uint8_t commitment[32])
{
	struct dis_store *s = store;
	char hex[65];

	cr_hex_encode(commitment, 32, hex);
	return json_object_get(s->by_commit, hex) != NULL;
}

/* A line of this submitter's for the replacement of a correction of id
 * (id "ID/...", field "replacement.FIELD") with this value: the name a
 * `correct --amend` gave the person, whose salt the corrected month file
 * sent again must reuse to read as amended. */
static json_t *
find_amended(struct dis_store *s, const char *id, const char *field,
    const char *value, size_t len)
{
	return first_with_value(index_get(s->by_amend, id, field), value,
	    len);
}

int
dis_store_known(void *store, const char *id, const char *field,
    const char *value, size_t len, uint8_t salt[32])
{
	json_t *o = find_line(store, id, field, value, len);

	if (o == NULL && strncmp(field, "replacement.", 12) != 0)
		o = find_amended(store, id, field, value, len);
	if (o == NULL || hexfield(o, "salt", salt) != 0)
		return 0;
	return 1;
}

/* The lines of d for record id that s does not hold yet, as a new JSON
 * array (empty when none), or NULL when out of memory. */
static json_t *
new_lines(struct dis_store *s, const char *id,
    const struct jrec_discs *d)
{
	json_t *batch = json_array(), *o;
	char hex[65];

	if (batch == NULL)
		return NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct jrec_disc *x = &d->d[i];

		if (find_line(s, id, x->field, x->value, x->value_len) != NULL)
			continue;
		o = json_object();
		json_object_set_new(o, "version", json_integer(1));
		json_object_set_new(o, "submitter", json_string(s->submitter));
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "field", json_string(x->field));
		json_object_set_new(o, "value", json_stringn(x->value,
		    x->value_len));
		cr_hex_encode(x->salt, 32, hex);
		json_object_set_new(o, "salt", json_string(hex));
		cr_hex_encode(x->commitment, 32, hex);
		json_object_set_new(o, "commitment", json_string(hex));
		json_array_append_new(batch, o);
	}
	return batch;
}

/* s's file opened to append: names and salts of natural persons, so never
 * through a symbolic link, never in a directory others can write, never
 * readable by others.  The descriptor, or a negative PT_E* code with the
 * reason in *why. */
static int
open_private(const struct dis_store *s, struct pt_why *why)
{
	char dir[UT_PATH_MAX];
	const char *sl = strrchr(s->path, '/');
	size_t dl = sl == NULL ? 1 : sl == s->path ? 1 :
	    (size_t)(sl - s->path);
	struct stat st;
	int fd, rc;

	if (dl >= sizeof(dir))
		return pt_why_set(why, PT_EINVAL, "%s: path too long",
		    s->path);
	memcpy(dir, sl == NULL ? "." : s->path, dl);
	dir[dl] = '\0';
	if ((rc = ut_check_dir_private(dir, why)) != 0)
		return rc;
	if ((fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return pt_why_set(why, PT_EIO, "%s: %s%s", s->path,
		    strerror(errno), errno == ELOOP ? " (a symbolic link: "
		    "disclosures are not written through one)" : "");
	if (fstat(fd, &st) != 0)
		rc = pt_why_set(why, PT_EIO, "%s: %s", s->path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0)
		rc = pt_why_set(why, PT_EIO, "%s: not a private regular file "
		    "(mode %04o): it holds names and salts; run `chmod 600 "
		    "%s`", s->path, (unsigned)(st.st_mode & 07777), s->path);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* The line o, and a newline, appended to fd (s's file); the text wiped
 * from memory after.  0, PT_ENOMEM or PT_EIO. */
static int
write_line(const struct dis_store *s, int fd, const json_t *o,
    struct pt_why *why)
{
	char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	size_t n, off = 0;
	int rc = 0;

	if (line == NULL)
		return PT_ENOMEM;
	n = strlen(line);
	line[n++] = '\n';	/* replaces the NUL; written by length */
	while (off < n) {
		ssize_t w = write(fd, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = pt_why_set(why, PT_EIO, "%s: %s", s->path,
			    strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	cr_wipe(line, n);
	free(line);
	return rc;
}

int
dis_store_add(struct dis_store *s, const char *id, const struct jrec_discs *d,
    struct pt_why *why)
{
	json_t *batch, *o;
	size_t i;
	int rc = 0;

	if ((batch = new_lines(s, id, d)) == NULL)
		return PT_ENOMEM;
	if (json_array_size(batch) == 0)
		goto out;
	if (s->fd < 0 && (s->fd = open_private(s, why)) < 0) {
		rc = s->fd;
		s->fd = -1;
		goto out;
	}
	json_array_foreach(batch, i, o) {
		s->unsynced = 1;
		if ((rc = write_line(s, s->fd, o, why)) != 0)
			goto out;
		if (json_array_append(s->lines, o) != 0 ||
		    index_line(s, o) != 0) {
			rc = PT_ENOMEM;
			goto out;
		}
	}
out:
	json_decref(batch);
	return rc;
}

int
dis_store_sync(struct dis_store *s, struct pt_why *why)
{
	if (!s->unsynced)
		return 0;
	if (fsync(s->fd) != 0)
		return pt_why_set(why, PT_EIO, "%s: fsync: %s", s->path,
		    strerror(errno));
	s->unsynced = 0;
	return 0;
}

int
dis_check_record(const json_t *disc, json_t *record, const char *submitter,
    size_t submitter_len, struct pt_why *why)
{
	uint8_t salt[32], want[32], got[32], logged[32];
	const json_t *v = json_object_get(disc, "value");
	const json_t *sub = json_object_get(disc, "submitter");
	const char *field;
	json_t *party;
	int rc;

	if (!valid_line(disc))
		return pt_why_set(why, PT_EMALFORMED, "not a disclosure");
	field = json_string_value(json_object_get(disc, "field"));
	hexfield(disc, "salt", salt);
	hexfield(disc, "commitment", want);
	if (json_string_length(sub) != submitter_len ||
	    memcmp(json_string_value(sub), submitter, submitter_len) != 0)
		return pt_why_set(why, PT_EPROOF, "the logged record was "
		    "signed by another submitter than the disclosure names");
	if (strcmp(json_string_value(json_object_get(disc, "id")),
	    json_string_value(json_object_get(record, "id")) ?
	    json_string_value(json_object_get(record, "id")) : "") != 0)
		return pt_why_set(why, PT_EPROOF, "the logged record has "
		    "another id");
	if ((rc = record_commit(salt, json_string_value(v),
	    json_string_length(v), got)) != 0)
		return rc;
	if (cr_memcmp(got, want, 32) != 0)
		return pt_why_set(why, PT_EPROOF, "salt and value do not "
		    "give the disclosure's commitment");
	party = jrec_path(record, field);
	if (party == NULL || hexfield(party, "commitment", logged) != 0)
		return pt_why_set(why, PT_ENOTFOUND, "the logged record has "
		    "no committed field %s", field);
	if (cr_memcmp(logged, got, 32) != 0)
		return pt_why_set(why, PT_EPROOF, "the logged commitment at "
		    "%s is not the commitment to this value", field);
	return 0;
}

static const char disclose_usage[] =
    "usage: pubtrail disclose --disclosures FILE --key FILE --id ID\n"
    "                         [--field FIELD]\n"
    "\n"
    "Print the disclosure of one committed field (default: the only one)\n"
    "of the record ID, from the office's disclosures FILE: the value and\n"
    "its salt, which let one person check the logged commitment with\n"
    "`pubtrail check-disclosure`.  --key is the office's key file (its\n"
    "verifier key selects the lines).  Exit 4 when there is no such field;\n"
    "1 when the field has several lines (from two runs at once, before\n"
    "runs took turns): all are printed, one a line.\n";

int
dis_cmd_disclose(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "disclosures", 1, NULL, 'd' },
		{ "key", 1, NULL, 'k' },
		{ "id", 1, NULL, 'i' },
		{ "field", 1, NULL, 'f' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *keyfile = NULL, *id = NULL, *field = NULL;
	char vkey[PT_MAX_VKEY + 1];
	struct note_skey k;
	struct dis_store *s;
	struct pt_why why = { "" };
	json_t *o, *hit = NULL;
	size_t i, nhit = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			file = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'f':
			field = optarg;
			break;
		case 'h':
			fputs(disclose_usage, stdout);
			return CLI_OK;
		default:
			fputs(disclose_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind != argc || file == NULL || keyfile == NULL || id == NULL)
		return cli_usage_error(disclose_usage, "--disclosures, --key "
		    "and --id are required");
	if ((rc = keys_load_skey(keyfile, &k, &why)) != 0)
		return cli_fail(rc, &why, "--key");
	rc = note_vkey_format(&k.vk, vkey, sizeof(vkey));
	note_skey_wipe(&k);
	if (rc != 0)
		return cli_fail(rc, NULL, "--key");
	if ((rc = dis_store_open(file, vkey, &s, &why)) != 0)
		return cli_fail(rc, &why, "--disclosures");
	json_array_foreach(s->lines, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "submitter")),
		    vkey) != 0 || strcmp(json_string_value(json_object_get(o,
		    "id")), id) != 0)
			continue;
		if (field != NULL && strcmp(json_string_value(
		    json_object_get(o, "field")), field) != 0)
			continue;
		hit = o;
		nhit++;
	}
	if (nhit == 0) {
		dis_store_free(s);
		return cli_fail(PT_ENOTFOUND, NULL, "no committed field%s%s "
		    "of record %s in %s", field ? " " : "", field ? field : "",
		    id, file);
	}
	if (nhit > 1 && field == NULL) {
		dis_store_free(s);
		return cli_usage_error(disclose_usage, "record %s has several "
		    "committed fields: name one with --field", id);
	}
	if (nhit > 1) {
		/* one field under several salts: written by two runs at
		 * once, before runs took turns; the log holds one of them */
		json_array_foreach(s->lines, i, o)
			if (strcmp(json_string_value(json_object_get(o,
			    "submitter")), vkey) == 0 && strcmp(
			    json_string_value(json_object_get(o, "id")),
			    id) == 0 && strcmp(json_string_value(
			    json_object_get(o, "field")), field) == 0) {
				json_dumpf(o, stdout, JSON_COMPACT |
				    JSON_SORT_KEYS);
				fputc('\n', stdout);
			}
		dis_store_free(s);
		return cli_fail(PT_EMALFORMED, NULL, "record %s has %zu lines "
		    "for field %s in %s, with different salts (two runs at once, "
		    "before runs took turns): all are above, one a line; "
		    "`pubtrail check-disclosure` finds the one the log "
		    "holds", id, nhit, field, file);
	}
	json_dumpf(hit, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	dis_store_free(s);
	return CLI_OK;
}

static const char check_usage[] =
    "usage: pubtrail check-disclosure --log-key VKEY (--log URL | --receipt FILE)\n"
    "                                 [--index I] [--json] DISCLOSURE\n"
    "\n"
    "Check a disclosure (a JSON file from `pubtrail disclose`, \"-\" for\n"
    "standard input) against the logged record: with --log, the record is\n"
    "looked up by submitter and id (or fetched at --index), proven to be in\n"
    "the log's signed checkpoint; with --receipt, the receipt is verified\n"
    "offline.  Then the commitment recomputed from salt and value must be\n"
    "the one logged at the disclosed field.  Exit 0 valid, 1 not, 3\n"
    "network, 4 no such record.\n";

/* What `pubtrail check-disclosure` was asked to do. */
struct check_args {
	struct cli_common co;
	const char *receipt;		/* --receipt FILE, or NULL: --log */
	const char *index_arg;		/* --index I, or NULL: look it up */
	uint64_t index;
	const char *file;		/* DISCLOSURE */
};

/* The command line into a.  -1 to go on, or an exit code (CLI_OK after
 * --help). */
static int
check_parse(int argc, char **argv, struct check_args *a)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "receipt", 1, NULL, 'r' },
		{ "index", 1, NULL, 'i' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	cli_common_init(&a->co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_usage, stdout);
			return CLI_OK;
		} else if (c == 'r')
			a->receipt = optarg;
		else if (c == 'i')
			a->index_arg = optarg;
		else if ((rc = cli_common_opt(&a->co, c, optarg,
		    check_usage)) < 0)
			return -rc;
		else if (rc == 0) {
			fputs(check_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(check_usage, "one DISCLOSURE file");
	if ((a->receipt == NULL) == (a->co.log_url == NULL))
		return cli_usage_error(check_usage, "give --log or --receipt");
	if (a->index_arg != NULL && num_parse_u64_str(a->index_arg, 0,
	    PT_MAX_TREE_SIZE, &a->index) != 0)
		return cli_usage_error(check_usage, "--index: bad number");
	if ((rc = cli_common_check(&a->co, 0, check_usage)) != 0)
		return rc;
	a->file = argv[optind];
	return -1;
}

/* The logged entry a disclosure is checked against, and what holds it. */
struct logged {
	struct wire_entry e;		/* into buf or res's receipt */
	uint64_t index;
	uint8_t *buf;			/* the receipt or the entry (heap) */
	struct vrf_result *res;		/* --receipt: the verified receipt */
	struct logc *lc;		/* --log */
};

static void
logged_free(struct logged *g)
{
	free(g->buf);
	free(g->res);
	logc_free(g->lc);
}

/* --receipt: the entry of the receipt, verified offline.  0 or the exit
 * code. */
static int
entry_from_receipt(const struct check_args *a, struct logged *g)
{
	struct pt_why why = { "" };
	size_t len;
	int rc;

	if ((g->res = malloc(sizeof(*g->res))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "check-disclosure");
	if ((rc = ut_read_input(a->receipt, WIRE_MAX_RECEIPT, &g->buf, &len,
	    &why)) != 0)
		return cli_fail(rc, &why, "--receipt");
	if ((rc = vrf_receipt(g->buf, len, &a->co.key, g->res, &why)) != 0)
		return cli_fail(rc, &why, "%s", a->receipt);
	g->e = g->res->entry;
	g->index = g->res->index;
	return 0;
}

/* --log: the entry at --index, or the disclosure's record looked up by
 * submitter and id; proven in the log's verified checkpoint.  0 or the
 * exit code. */
static int
entry_from_log(const struct check_args *a, const json_t *disc,
    struct logged *g)
{
	struct hcli_opts ho;
	struct ckpt ck;
	struct pt_why why = { "" };
	const json_t *sv = json_object_get(disc, "submitter");
	const char *id = json_string_value(json_object_get(disc, "id"));
	uint8_t sid[32];
	size_t len;
	int rc;

	cli_hcli_opts(&a->co, 1, &ho);
	if ((rc = logc_open(a->co.log_url, &a->co.key, &ho, &g->lc, &why)) !=
	    0)
		return cli_fail(rc, &why, "--log");
	g->lc->tiles_only = a->co.tiles_only;
	if ((rc = logc_checkpoint(g->lc, &ck, NULL, NULL, &why)) != 0)
		return cli_fail(rc, &why, "checkpoint");
	g->index = a->index;
	if (a->index_arg != NULL)
		rc = logc_entry(g->lc, a->index, &ck, &g->buf, &len, &g->e,
		    &why);
	else if ((rc = wire_submitter_id(json_string_value(sv),
	    json_string_length(sv), sid)) == 0)
		rc = logc_lookup(g->lc, sid, id, &ck, &g->index, &g->buf, &len,
		    &g->e, &why);
	if (rc != 0)
		return cli_fail(rc, &why, "record %s", id);
	return 0;
}

/* The outcome of dis_check_record (rc, why) for the entry at index. */
static void
print_check(const struct check_args *a, const json_t *disc, uint64_t index,
    int rc, const struct pt_why *why)
{
	if (a->co.json) {
		json_t *o = json_object();

		json_object_set_new(o, "valid", json_boolean(rc == 0));
		json_object_set_new(o, "index", json_integer((json_int_t)index));
		json_object_set(o, "field", json_object_get(disc, "field"));
		json_object_set(o, "id", json_object_get(disc, "id"));
		if (rc != 0)
			json_object_set_new(o, "reason", json_string(why->text));
		json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	} else if (rc == 0)
		printf("%svalid%s: %s of record %s (index %llu) is the "
		    "commitment to the disclosed value\n", cli_green(stdout),
		    cli_reset(stdout), json_string_value(json_object_get(disc,
		    "field")), json_string_value(json_object_get(disc, "id")),
		    (unsigned long long)index);
	else
		cli_fail(rc, why, "disclosure does not match");
}

/* Read the disclosure, find its logged entry, check, print.  The exit
 * code. */
static int
check_run(const struct check_args *a)
{
	struct pt_why why = { "" };
	struct logged g;
	uint8_t *dbuf = NULL;
	size_t dlen;
	json_t *disc = NULL, *rec = NULL;
	json_error_t je;
	int rc, ex;

	memset(&g, 0, sizeof(g));
	if ((rc = ut_read_input(a->file, 65536, &dbuf, &dlen, &why)) != 0)
		return cli_fail(rc, &why, "disclosure");
	disc = json_loadb((const char *)dbuf, dlen, JSON_REJECT_DUPLICATES,
	    &je);
	if (disc == NULL || !valid_line(disc)) {
		ex = cli_fail(PT_EINVAL, NULL, "%s: not a disclosure", a->file);
		goto out;
	}
	if ((ex = a->receipt != NULL ? entry_from_receipt(a, &g) :
	    entry_from_log(a, disc, &g)) != 0)
		goto out;
	if ((rc = jrec_to_json(g.e.sub.record, g.e.sub.record_len, &rec,
	    &why)) != 0) {
		ex = cli_fail(rc, &why, "record");
		goto out;
	}
	rc = dis_check_record(disc, rec, g.e.sub.submitter_str,
	    g.e.sub.submitter_len, &why);
	ex = cli_exit_for(rc);
	print_check(a, disc, g.index, rc, &why);
out:
	json_decref(disc);
	json_decref(rec);
	free(dbuf);
	logged_free(&g);
	return ex;
}

int
dis_cmd_check(int argc, char **argv)
{
	struct check_args a;
	int rc;

	if ((rc = check_parse(argc, argv, &a)) >= 0)
		return rc;
	return check_run(&a);
}
