/*
 * receipt.h: receipts people can keep (`pubtrail receipt show|qr`).
 *
 *   show: a verified receipt in words (log, index, entry hash, who signed
 *         it, when the log took it, the record's fields with exact
 *         amounts) followed by its C2SP tlog-proof text, verbatim.
 *   qr:   a QR code (libqrencode) of the citizen page's verify link for
 *         the receipt's entry, as SVG or PNG (libpng), for printed notices.
 *
 * Both verify the receipt first (vrf_receipt with --log-key): nothing is
 * shown or encoded for a receipt that does not verify.
 */
#ifndef PT_CLIENT_RECEIPT_H
#define PT_CLIENT_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"
#include "pt.h"

#define RECEIPT_MAX_URL		1024	/* --page and --log, bytes */
#define RECEIPT_MAX_LINK	(2 * 3 * RECEIPT_MAX_URL + 128)
#define RECEIPT_PNG_SCALE	8	/* pixels per module by default */
#define RECEIPT_MAX_SCALE	64

/*
 * The verify link of docs/WEB.md:
 *   <page>#/verify?[log=<log, percent-encoded>&]index=<index>&hash=<hex>
 * page must be an http:// or https:// URL without '#', of printable ASCII;
 * log (may be NULL: the page's own log) likewise.  0, or PT_EINVAL with
 * the reason in *why, or PT_ETOOBIG when cap is too small.  O(length).
 */
int receipt_link(const char *page, const char *log, uint64_t index,
    const struct mt_hash *leaf, char *out, size_t cap, struct pt_why *why);

/*
 * Encode text as a QR code (error correction level M, 8-bit mode) and
 * write it to path as SVG (".svg") or PNG (".png", scale pixels per
 * module), each with a 4-module quiet zone, atomically (ut_write_file).
 * PT_EINVAL (other extension, scale out of 1..RECEIPT_MAX_SCALE),
 * PT_ETOOBIG (text does not fit a QR code), PT_ENOMEM, PT_EIO.
 */
int receipt_qr_write(const char *text, const char *path, unsigned scale,
    struct pt_why *why);

/* `pubtrail receipt show|qr ...`. */
int receipt_cmd(int argc, char **argv);

#endif
