/*
 * hcli_gzip.c: hcli_gunzip (hcli.h): one gzip member decoded with zlib
 * under a cap, on any thread.  Apart from hcli.c because it touches no
 * connection: audits call it on their worker threads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "hcli.h"
#include "pt.h"

int
hcli_gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out,
    size_t *outlen, size_t *cap)
{
	z_stream zs;
	uint8_t *buf = NULL, *nb;
	size_t bcap;
	int zr, rc = 0;

	*out = NULL;
	*outlen = 0;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)	/* gzip only */
		return PT_ENOMEM;
	/* The size the member's trailer announces (ISIZE: the length mod
	 * 2^32), within the cap, so that one allocation usually holds it;
	 * inflate checks the real size (a wrong one is grown or refused). */
	bcap = 64;
	if (len >= 18) {
		const uint8_t *t = in + len - 4;
		size_t isz = (size_t)t[0] | (size_t)t[1] << 8 |
		    (size_t)t[2] << 16 | (size_t)t[3] << 24;

		bcap = isz + 1;
	}
	if (bcap > max + 1)
		bcap = max + 1;
	if ((buf = malloc(bcap)) == NULL) {
		inflateEnd(&zs);
		return PT_ENOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	for (;;) {
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(bcap - 1 - zs.total_out);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rc = zr == Z_MEM_ERROR ? PT_ENOMEM : PT_EMALFORMED;
			break;
		}
		if (zs.avail_out > 0) {		/* input ended mid-stream */
			rc = PT_EMALFORMED;
			break;
		}
		if (bcap - 1 >= max) {		/* full at the cap: too big */
			rc = PT_ETOOBIG;
			break;
		}
		bcap = 2 * bcap > max + 1 ? max + 1 : 2 * bcap;
		if ((nb = realloc(buf, bcap)) == NULL) {
			rc = PT_ENOMEM;
			break;
		}
		buf = nb;
	}
	if (rc == 0 && zs.avail_in != 0)
		rc = PT_EMALFORMED;		/* bytes after the member */
	if (rc == 0) {
		buf[zs.total_out] = '\0';
		*out = buf;
		*outlen = zs.total_out;
		if (cap != NULL)
			*cap = bcap;
	} else
		free(buf);
	inflateEnd(&zs);
	return rc;
}
