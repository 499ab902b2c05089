/* pt.c: error texts and the "why" buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "pt.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} errtab[] = {
	{ PT_OK, "ok", "success" },
	{ PT_ENOMEM, "no_memory", "out of memory" },
	{ PT_EINVAL, "invalid_argument", "invalid argument" },
	{ PT_ETOOBIG, "too_big", "over a size or count limit" },
	{ PT_EMALFORMED, "malformed", "malformed input" },
	{ PT_ENONCANON, "non_canonical", "not in canonical encoding" },
	{ PT_EDUPKEY, "duplicate_key", "duplicate map key" },
	{ PT_EUNKNOWNKEY, "unknown_key", "unknown map key" },
	{ PT_ETYPE, "wrong_type", "field has the wrong type" },
	{ PT_EUTF8, "bad_utf8", "invalid UTF-8" },
	{ PT_ETRAILING, "trailing_bytes", "trailing bytes after value" },
	{ PT_ETRUNCATED, "truncated", "input truncated" },
	{ PT_ESCHEMA, "schema", "record violates the schema" },
	{ PT_ESIG, "bad_signature", "signature does not verify" },
	{ PT_EUNKNOWNSIGNER, "unknown_signer", "unknown or untrusted signer" },
	{ PT_EPROOF, "bad_proof", "proof does not verify" },
	{ PT_ERANGE, "out_of_range", "index or size out of range" },
	{ PT_ECRYPTO, "crypto", "cryptographic library failure" },
	{ PT_ENOTFOUND, "not_found", "not found" },
	{ PT_ECONFLICT, "conflict", "conflicts with existing data" },
	{ PT_EFULL, "storage_full", "storage full" },
	{ PT_EIO, "io", "input/output error" },
	{ PT_ECORRUPT, "corrupt", "stored data is corrupt" },
	{ PT_EROLLBACK, "rollback", "state is older than a signed checkpoint" },
	{ PT_ERATE, "rate_limited", "rate limit exceeded" },
	{ PT_EBUSY, "busy", "busy or locked" },
	{ PT_EORIGIN, "wrong_origin", "wrong log origin" },
	{ PT_EPOISONED, "poisoned", "object failed earlier and must be aborted" },
	{ PT_EDEPTH, "too_deep", "nesting too deep" },
	{ PT_ETIME, "bad_time", "time moved backwards or is too far ahead" },
	{ PT_ENET, "network", "network or server error" },
	{ PT_EFORBIDDEN, "forbidden", "not permitted" },
	{ PT_EREFUSED, "refused", "refused by the server" },
	{ PT_ESTALE, "stale", "older than a checkpoint verified before "
	    "(stale, consistent with it)" },
	{ PT_EANSWER, "wrong_answer", "the answer is not for the question "
	    "asked" },
};

const char *
pt_strerror(int err)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return errtab[i].text;
	return "unknown error";
}

const char *
pt_errname(int err)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return errtab[i].name;
	return "unknown";
}

int
pt_why_set(struct pt_why *why, int err, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	return err;
}
