/*
 * pt.h: the project-wide error codes and the "why" buffer that carries a
 * human-readable reason for a refusal (the text of an HTTP 400, a CLI error).
 *
 * Every function in proto/, daemon/ and client/ that can fail returns int:
 * 0 on success or one negative PT_E* code below.  Library codes (MDB_*,
 * OpenSSL errors, msgpack-c results) never cross a module boundary.
 */
#ifndef PT_PT_H
#define PT_PT_H

#include <stddef.h>

enum pt_err {
	PT_OK = 0,
	PT_ENOMEM = -1,		/* allocation failed */
	PT_EINVAL = -2,		/* bad argument (a programmer error or bad CLI use) */
	PT_ETOOBIG = -3,	/* over a named limit (limits.h) */
	PT_EMALFORMED = -4,	/* syntax: not the format at all */
	PT_ENONCANON = -5,	/* decodes, but not in canonical form */
	PT_EDUPKEY = -6,	/* duplicate map key */
	PT_EUNKNOWNKEY = -7,	/* map key the schema does not define */
	PT_ETYPE = -8,		/* a field has the wrong type */
	PT_EUTF8 = -9,		/* invalid UTF-8 */
	PT_ETRAILING = -10,	/* bytes after the end of a complete value */
	PT_ETRUNCATED = -11,	/* input ends inside a value */
	PT_ESCHEMA = -12,	/* well-formed but violates the record schema */
	PT_ESIG = -13,		/* a signature does not verify */
	PT_EUNKNOWNSIGNER = -14, /* no trusted key signed this / unknown submitter */
	PT_EPROOF = -15,	/* a Merkle proof does not verify */
	PT_ERANGE = -16,	/* index or size outside what exists */
	PT_ECRYPTO = -17,	/* the crypto library failed internally */
	PT_ENOTFOUND = -18,	/* no such entry, key or object */
	PT_ECONFLICT = -19,	/* same id, different content; or a fork */
	PT_EFULL = -20,		/* storage full (map or disk) */
	PT_EIO = -21,		/* a read, write or fsync failed */
	PT_ECORRUPT = -22,	/* stored data fails its own checks */
	PT_EROLLBACK = -23,	/* state older than a signed checkpoint */
	PT_ERATE = -24,		/* over a rate limit */
	PT_EBUSY = -25,		/* locked by another process, or overloaded */
	PT_EORIGIN = -26,	/* wrong log origin */
	PT_EPOISONED = -27,	/* object failed earlier; abort it */
	PT_EDEPTH = -28,	/* nesting too deep */
	PT_ETIME = -29,		/* clock or timestamp moved backwards / too far ahead */
	PT_ENET = -30,		/* network or server error (client side) */
	PT_EFORBIDDEN = -31,	/* not allowed (e.g. record type not permitted) */
	PT_EREFUSED = -32,	/* the server refused the request (client side:
				 * an HTTP 4xx other than 404) */
	PT_ESTALE = -33,	/* client side: a checkpoint older than one
				 * verified before, proven a prefix of it (a
				 * cache or relay serving old data), not a
				 * rollback */
	PT_EANSWER = -34,	/* client side: the answer is not for the
				 * question asked (another entry, index, size
				 * or root) */
};

/* Text for a PT_E* code; never NULL; static storage. */
const char *pt_strerror(int err);

/* Short stable token for metrics labels and JSON ("bad_signature"). */
const char *pt_errname(int err);

#define PT_WHY_MAX 200
/*
 * A reason for a refusal, filled by decoders and validators.  Callers may pass
 * NULL when they do not want it.  Always NUL-terminated after pt_why_set().
 */
struct pt_why {
	char text[PT_WHY_MAX];
};

/* printf-style; a NULL why is ignored.  Returns err unchanged, so callers
 * can write: return pt_why_set(why, PT_ETYPE, "amount_minor: want integer"); */
int pt_why_set(struct pt_why *why, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
