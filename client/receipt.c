/*
 * receipt.c: `pubtrail receipt show|qr`.  See receipt.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <png.h>
#include <qrencode.h>

#include "cli.h"
#include "crypto.h"
#include "amount.h"
#include "cstatus.h"
#include "json.h"
#include "num.h"
#include "receipt.h"
#include "record.h"
#include "signer.h"
#include "util.h"
#include "verify.h"
#include "wire.h"

#define QUIET_ZONE 4

static const char receipt_usage[] =
    "usage: pubtrail receipt show --log-key VKEY [--page URL [--log URL]]\n"
    "                             [--json] RECEIPT\n"
    "       pubtrail receipt qr --log-key VKEY --page URL [--log URL]\n"
    "                           --out FILE.svg|FILE.png [--scale N] RECEIPT\n"
    "\n"
    "show: verify RECEIPT offline with the log key VKEY (as `pubtrail\n"
    "verify`) and print it for people: the log, the entry's index and hash,\n"
    "who signed the record and when the log took it, the record's fields\n"
    "(amounts as exact decimals), then its C2SP tlog-proof text verbatim\n"
    "(the index, the inclusion proof and the signed checkpoint), which any\n"
    "tlog-proof verifier can check.  With --page, also the verify link.\n"
    "\n"
    "qr: verify RECEIPT, then write a QR code of the citizen page's verify\n"
    "link for its entry (docs/WEB.md):\n"
    "  PAGE#/verify?[log=LOG&]index=N&hash=<entry hash>\n"
    "--page is the address of the page (a log's own: its base URL; a\n"
    "watchdog's copy: its address); --log names the log when the page is\n"
    "hosted elsewhere.  SVG or PNG by the file's extension; --scale pixels\n"
    "per module for PNG (default 8).\n"
    "\n"
    "Exit 0 when the receipt verified (and the file was written), 1 when it\n"
    "does not verify, 2 usage, 3 a file could not be written, 4 no such\n"
    "receipt file.\n";

/* --- the verify link --- */

static int
url_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > RECEIPT_MAX_URL)
		return 0;
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '#')
			return 0;
	return 1;
}

/* Append s percent-encoded (all but unreserved characters and ':' '/'). */
static int
put_encoded(char *out, size_t cap, size_t *o, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == ':' || c == '/';

		if (*o + 4 > cap)
			return PT_ETOOBIG;
		if (plain) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hexd[c >> 4];
			out[(*o)++] = hexd[c & 15];
		}
	}
	out[*o] = '\0';
	return 0;
}

int
receipt_link(const char *page, const char *log, uint64_t index,
    const struct mt_hash *leaf, char *out, size_t cap, struct pt_why *why)
{
	char hex[65];
	size_t o;
	int n;

	if (!url_ok(page))
		return pt_why_set(why, PT_EINVAL, "--page: want an http:// or "
		    "https:// URL of printable ASCII without '#', at most %d "
		    "bytes", RECEIPT_MAX_URL);
	if (log != NULL && !url_ok(log))
		return pt_why_set(why, PT_EINVAL, "--log: want an http:// or "
		    "https:// URL of printable ASCII without '#'");
	cr_hex_encode(leaf->b, 32, hex);
	n = snprintf(out, cap, "%s#/verify?", page);
	if (n < 0 || (size_t)n >= cap)
		return PT_ETOOBIG;
	o = (size_t)n;
	if (log != NULL) {
		if (o + 5 > cap)
			return PT_ETOOBIG;
		memcpy(out + o, "log=", 4);
		o += 4;
		if (put_encoded(out, cap, &o, log) != 0 || o + 2 > cap)
			return PT_ETOOBIG;
		out[o++] = '&';
	}
	n = snprintf(out + o, cap - o, "index=%llu&hash=%s",
	    (unsigned long long)index, hex);
	if (n < 0 || (size_t)n >= cap - o)
		return PT_ETOOBIG;
	return 0;
}

/* --- QR codes --- */

static int
qr_svg(const QRcode *qr, struct wire_buf *b)
{
	int w = qr->width + 2 * QUIET_ZONE;
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "<?xml version=\"1.0\" encoding=\""
	    "UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 "
	    "0 %d %d\" width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges"
	    "\">\n", w, w, w * 8, w * 8);
	if (wire_buf_append(b, line, (size_t)n) != 0)
		return PT_ENOMEM;
	n = snprintf(line, sizeof(line), "<rect width=\"%d\" height=\"%d\" "
	    "fill=\"#ffffff\"/>\n<path fill=\"#000000\" d=\"", w, w);
	if (wire_buf_append(b, line, (size_t)n) != 0)
		return PT_ENOMEM;
	for (int y = 0; y < qr->width; y++) {
		for (int x = 0; x < qr->width; x++) {
			if (!(qr->data[y * qr->width + x] & 1))
				continue;
			n = snprintf(line, sizeof(line), "M%d %dh1v1h-1z",
			    x + QUIET_ZONE, y + QUIET_ZONE);
			if (wire_buf_append(b, line, (size_t)n) != 0)
				return PT_ENOMEM;
		}
	}
	if (wire_buf_append(b, "\"/>\n</svg>\n", 11) != 0)
		return PT_ENOMEM;
	return 0;
}

static void
png_put(png_structp p, png_bytep data, png_size_t len)
{
	struct wire_buf *b = png_get_io_ptr(p);

	if (wire_buf_append(b, data, len) != 0)
		png_error(p, "out of memory");
}

static void
png_flush_none(png_structp p)
{
	(void)p;
}

/* Set before png_create_write_struct and read after a longjmp. */
struct png_job {
	const QRcode *qr;
	unsigned scale;
	struct wire_buf *out;
	png_bytep row;
};

static int
qr_png(struct png_job *j)
{
	png_structp p;
	png_infop info;
	unsigned side = (unsigned)(j->qr->width + 2 * QUIET_ZONE) * j->scale;
	volatile int rc = PT_ENOMEM;

	if ((j->row = malloc(side)) == NULL)
		return PT_ENOMEM;
	p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (p == NULL || (info = png_create_info_struct(p)) == NULL) {
		png_destroy_write_struct(&p, NULL);
		free(j->row);
		return PT_ENOMEM;
	}
	if (setjmp(png_jmpbuf(p))) {
		png_destroy_write_struct(&p, &info);
		free(j->row);
		return rc;
	}
	png_set_write_fn(p, j->out, png_put, png_flush_none);
	png_set_IHDR(p, info, side, side, 8, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(p, info);
	for (unsigned py = 0; py < side; py++) {
		int y = (int)(py / j->scale) - QUIET_ZONE;

		for (unsigned px = 0; px < side; px++) {
			int x = (int)(px / j->scale) - QUIET_ZONE;
			int dark = x >= 0 && y >= 0 && x < j->qr->width &&
			    y < j->qr->width &&
			    (j->qr->data[y * j->qr->width + x] & 1);

			j->row[px] = dark ? 0 : 255;
		}
		png_write_row(p, j->row);
	}
	png_write_end(p, NULL);
	png_destroy_write_struct(&p, &info);
	free(j->row);
	return 0;
}

int
receipt_qr_write(const char *text, const char *path, unsigned scale,
    struct pt_why *why)
{
	const char *dot = strrchr(path, '.');
	struct wire_buf b;
	QRcode *qr;
	int svg, rc;

	if (dot != NULL && strcmp(dot, ".svg") == 0)
		svg = 1;
	else if (dot != NULL && strcmp(dot, ".png") == 0)
		svg = 0;
	else
		return pt_why_set(why, PT_EINVAL, "--out: the file name must "
		    "end in .svg or .png");
	if (scale < 1 || scale > RECEIPT_MAX_SCALE)
		return pt_why_set(why, PT_EINVAL, "--scale: 1..%d",
		    RECEIPT_MAX_SCALE);
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (qr == NULL)
		return pt_why_set(why, PT_ETOOBIG, "the link (%zu bytes) does "
		    "not fit in a QR code", strlen(text));
	wire_buf_init(&b);
	if (svg) {
		rc = qr_svg(qr, &b);
	} else {
		struct png_job j = { qr, scale, &b, NULL };

		rc = qr_png(&j);
	}
	QRcode_free(qr);
	if (rc == 0)
		rc = ut_write_file(path, b.data, b.len, 0644, 0, why);
	else
		pt_why_set(why, rc, "cannot make the image");
	wire_buf_free(&b);
	return rc;
}

/* --- show --- */

/* Print n bytes of s for a terminal: control characters (C0, DEL, C1)
 * are written as \xNN, so a record cannot forge lines or move the cursor. */
static void
put_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else if (c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			printf("\\u%04x", (unsigned char)s[++i]);
		else
			putchar(c);
	}
}

static void
put_safe_str(const char *s)
{
	put_safe(s, strlen(s));
}

static void
show_text(const struct vrf_result *r, const char *file, const char *proof,
    size_t proof_len, const char *link)
{
	char hex[65], when[32];
	time_t t = (time_t)(r->entry.time_ms / 1000);
	struct tm tm;
	json_t *rec = NULL;
	struct pt_why w = { "" };
	const char *currency = NULL;

	cr_hex_encode(r->leaf.b, 32, hex);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("pubtrail receipt: ");
	put_safe_str(file);
	printf("\n  %-24s %svalid%s: signed by the log key, entry proven in "
	    "its checkpoint\n", "verified", cli_green(stdout),
	    cli_reset(stdout));
	printf("  %-24s ", "log");
	put_safe_str(r->ck.origin);
	printf(" (tree size %llu)\n", (unsigned long long)r->ck.size);
	printf("  %-24s #%llu\n", "entry", (unsigned long long)r->index);
	printf("  %-24s %s\n", "entry hash", hex);
	printf("  %-24s %s\n", "taken in by the log", when);
	printf("  %-24s ", "signed by");
	signer_print(stdout, &r->entry.sub.submitter);
	printf("\n  %-24s ", "office key");
	put_safe(r->entry.sub.submitter_str, r->entry.sub.submitter_len);
	printf("\n  %-24s %s ", "record",
	    record_type_name(r->entry.sub.info.type));
	put_safe(r->entry.sub.info.id, r->entry.sub.info.id_len);
	putchar('\n');
	if (jrec_to_json(r->entry.sub.record, r->entry.sub.record_len, &rec,
	    &w) == 0) {
		json_t *c = json_object_get(rec, "currency");

		if (json_is_string(c))
			currency = json_string_value(c);
		cst_put_fields(stdout, rec, "", currency);
		json_decref(rec);
	}
	printf("  %-24s not checked offline: the verify link (or `pubtrail "
	    "get`) checks corrections\n", "corrections");
	if (link != NULL)
		printf("  %-24s %s\n", "verify link", link);
	printf("\n");
	fwrite(proof, 1, proof_len, stdout);
}

static int
show_json(const struct vrf_result *r, const char *file, const char *proof,
    size_t proof_len, const char *link)
{
	json_t *o = json_object(), *e = NULL;

	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "valid", json_true());
	json_object_set_new(o, "origin", json_string(r->ck.origin));
	json_object_set_new(o, "tree_size", json_integer((json_int_t)r->ck.size));
	if (jrec_entry_to_json(&r->entry, r->entry_bytes, r->entry_len,
	    r->index, &e, NULL) == 0)
		json_object_set_new(o, "entry", e);
	json_object_set_new(o, "tlog_proof", json_stringn(proof, proof_len));
	if (link != NULL)
		json_object_set_new(o, "link", json_string(link));
	json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return CLI_OK;
}

/* What `pubtrail receipt show|qr` was asked to do. */
struct receipt_args {
	struct cli_common co;
	int qr;				/* qr, else show */
	const char *page;		/* --page URL */
	const char *out;		/* --out FILE (qr) */
	uint64_t scale;			/* --scale N (qr, PNG) */
	const char *file;		/* RECEIPT */
};

/* The command line (argv[1] show or qr) into a.  -1 to go on, or an exit
 * code (CLI_OK after --help). */
static int
receipt_parse(int argc, char **argv, struct receipt_args *a)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS_COMMON,
		{ "page", 1, NULL, 'p' },
		{ "out", 1, NULL, 'o' },
		{ "scale", 1, NULL, 's' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->scale = RECEIPT_PNG_SCALE;
	if (argc < 2 || (strcmp(argv[1], "show") != 0 &&
	    strcmp(argv[1], "qr") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)) {
			fputs(receipt_usage, stdout);
			return CLI_OK;
		}
		return cli_usage_error(receipt_usage, "want: receipt show|qr");
	}
	a->qr = strcmp(argv[1], "qr") == 0;
	argc--;
	argv++;
	optind = 0;
	cli_common_init(&a->co);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(receipt_usage, stdout);
			return CLI_OK;
		case 'p':
			a->page = optarg;
			continue;
		case 'o':
			a->out = optarg;
			continue;
		case 's':
			if (num_parse_u64_str(optarg, 1, RECEIPT_MAX_SCALE,
			    &a->scale) != 0)
				return cli_usage_error(receipt_usage,
				    "--scale: 1..%d", RECEIPT_MAX_SCALE);
			continue;
		}
		if ((rc = cli_common_opt(&a->co, c, optarg, receipt_usage)) < 0)
			return -rc;
		if (rc == 0) {
			fputs(receipt_usage, stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(receipt_usage, "want one RECEIPT");
	a->file = argv[optind];
	if (a->qr && (a->page == NULL || a->out == NULL))
		return cli_usage_error(receipt_usage, "qr needs --page and "
		    "--out");
	if (a->co.log_url != NULL && a->page == NULL)
		return cli_usage_error(receipt_usage, "--log names the log "
		    "for a page given with --page");
	if ((rc = cli_common_check(&a->co, 0, receipt_usage)) != 0)
		return rc;
	return -1;
}

/* The receipt file into *buf (heap) and verified into res.  0 or the exit
 * code (an invalid receipt said in red). */
static int
receipt_load(const struct receipt_args *a, uint8_t **buf, size_t *len,
    struct vrf_result *res)
{
	struct pt_why why = { "" };
	int rc;

	if ((rc = ut_read_file(a->file, WIRE_MAX_RECEIPT, buf, len,
	    &why)) != 0)
		return cli_fail(rc, &why, "%s", a->file);
	if ((rc = vrf_receipt(*buf, *len, &a->co.key, res, &why)) != 0) {
		fflush(stdout);
		fprintf(stderr, "%s", cli_red(stderr));
		fprintf(stderr, "pubtrail: %s: INVALID%s: %s\n", a->file,
		    cli_reset(stderr), why.text[0] ? why.text :
		    pt_strerror(rc));
		return rc == PT_ENOMEM ? CLI_ENET : CLI_EVERIFY;
	}
	return 0;
}

/* receipt qr: the verify link as a QR code in --out.  The exit code. */
static int
receipt_qr(const struct receipt_args *a, const char *link)
{
	struct pt_why why = { "" };
	int rc;

	if ((rc = receipt_qr_write(link, a->out, (unsigned)a->scale,
	    &why)) != 0)
		return rc == PT_EINVAL ? cli_usage_error(receipt_usage, "%s",
		    why.text) : cli_fail(rc == PT_ETOOBIG ? PT_EIO : rc, &why,
		    "%s", a->out);
	if (!a->co.quiet)
		printf("%s\n", link);
	return CLI_OK;
}

/* receipt show: the receipt for people (or --json) with its tlog-proof
 * text, verbatim from the receipt.  The exit code. */
static int
receipt_show(const struct receipt_args *a, const uint8_t *buf, size_t len,
    const struct vrf_result *res, const char *link)
{
	struct wire_receipt wr;
	struct pt_why why = { "" };
	int rc;

	if ((rc = wire_receipt_decode(buf, len, &wr, &why)) != 0)
		return cli_fail(rc, &why, "%s", a->file);
	if (a->co.json)
		return show_json(res, a->file, wr.proof, wr.proof_len, link);
	show_text(res, a->file, wr.proof, wr.proof_len, link);
	return CLI_OK;
}

static int
receipt_run(const struct receipt_args *a)
{
	struct vrf_result *res;
	struct pt_why why = { "" };
	char link[RECEIPT_MAX_LINK];
	uint8_t *buf = NULL;
	size_t len;
	int rc, ex;

	if ((res = malloc(sizeof(*res))) == NULL)
		return cli_fail(PT_ENOMEM, NULL, "receipt");
	if ((ex = receipt_load(a, &buf, &len, res)) != 0)
		goto done;
	if (a->page != NULL && (rc = receipt_link(a->page, a->co.log_url,
	    res->index, &res->leaf, link, sizeof(link), &why)) != 0) {
		ex = rc == PT_EINVAL ? cli_usage_error(receipt_usage, "%s",
		    why.text) : cli_fail(rc, &why, "link");
		goto done;
	}
	if (a->qr)
		ex = receipt_qr(a, link);
	else
		ex = receipt_show(a, buf, len, res, a->page != NULL ? link :
		    NULL);
done:
	free(buf);
	free(res);
	return ex;
}

int
receipt_cmd(int argc, char **argv)
{
	struct receipt_args a;
	int rc;

	if ((rc = receipt_parse(argc, argv, &a)) >= 0)
		return rc;
	return receipt_run(&a);
}
