/*
 * crypto.h: the only module that talks to OpenSSL.  SHA-256, Ed25519,
 * randomness, strict base64 and constant-time comparison.  OpenSSL error
 * codes never leave this module: failures are PT_ECRYPTO.
 */
#ifndef PT_CRYPTO_H
#define PT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CR_SHA256_SIZE	32
#define CR_ED25519_SEED	32	/* private key (seed) */
#define CR_ED25519_PUB	32
#define CR_ED25519_SIG	64

/* Incremental SHA-256.  cr_sha256_init allocates an EVP context that
 * cr_sha256_final (or cr_sha256_cleanup on error paths) frees. */
struct cr_sha256 {
	void *ctx;
};
int cr_sha256_init(struct cr_sha256 *s);
int cr_sha256_update(struct cr_sha256 *s, const void *data, size_t len);
int cr_sha256_final(struct cr_sha256 *s, uint8_t out[CR_SHA256_SIZE]);
void cr_sha256_cleanup(struct cr_sha256 *s);

/* One-shot SHA-256 over up to three pieces (any may be NULL with length 0).
 * O(total length). 0 or PT_ECRYPTO. */
int cr_sha256(const void *a, size_t alen, const void *b, size_t blen,
    const void *c, size_t clen, uint8_t out[CR_SHA256_SIZE]);

/* Fill buf with len bytes from the OS CSPRNG (RAND_bytes). 0 or PT_ECRYPTO. */
int cr_random(void *buf, size_t len);

/* New Ed25519 key: a random seed and its public key.  0 or PT_ECRYPTO. */
int cr_ed25519_keygen(uint8_t seed[CR_ED25519_SEED], uint8_t pub[CR_ED25519_PUB]);
/* Public key for a seed. */
int cr_ed25519_public(const uint8_t seed[CR_ED25519_SEED], uint8_t pub[CR_ED25519_PUB]);
/* Sign msg with seed.  0 or PT_ECRYPTO. */
int cr_ed25519_sign(const uint8_t seed[CR_ED25519_SEED], const void *msg,
    size_t len, uint8_t sig[CR_ED25519_SIG]);
/*
 * A signing key kept ready for many signatures.  Making the library's key
 * object from a seed derives the public key, a scalar multiplication that
 * costs about as much as the signature itself (27 us of 50 us here), so
 * cr_ed25519_sign pays it on every call; a kept signer pays it once.  new:
 * 0, PT_ENOMEM or PT_ECRYPTO.  sign: 0 or PT_ECRYPTO; one signer may be
 * used by one thread at a time.  free(NULL) does nothing.
 */
struct cr_signer;
int cr_signer_new(const uint8_t seed[CR_ED25519_SEED], struct cr_signer **out);
int cr_signer_sign(struct cr_signer *s, const void *msg, size_t len,
    uint8_t sig[CR_ED25519_SIG]);
void cr_signer_free(struct cr_signer *s);
/* 0 when sig is a valid signature of msg under pub; PT_ESIG otherwise. */
int cr_ed25519_verify(const uint8_t pub[CR_ED25519_PUB], const void *msg,
    size_t len, const uint8_t sig[CR_ED25519_SIG]);

/* Standard base64 (RFC 4648 section 4, with padding).  encode writes
 * cr_b64_enclen(len)+1 bytes including a NUL; returns the length or a
 * negative code when cap is too small. */
size_t cr_b64_enclen(size_t len);
int cr_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Strict decode: only the canonical encoding of some byte string is accepted
 * (length a multiple of 4, correct padding, no whitespace, zero unused bits).
 * Writes *outlen bytes to out (cap >= 3*len/4).  0, PT_EMALFORMED, PT_ETOOBIG. */
int cr_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
    size_t *outlen);

/* Lower-case hex. out gets 2*len+1 bytes including the NUL. */
void cr_hex_encode(const uint8_t *in, size_t len, char *out);
/* Strict hex (either case) of exactly 2*outlen chars.  0 or PT_EMALFORMED. */
int cr_hex_decode(const char *in, size_t len, uint8_t *out, size_t outlen);

/* The crypto library and its version, e.g. "OpenSSL 3.0.17 1 Jul 2025"
 * (static storage): for messages about what this build can verify. */
const char *cr_library_version(void);

/* Constant-time equality: 0 when equal, nonzero otherwise. */
int cr_memcmp(const void *a, const void *b, size_t len);
/* Wipe a secret. */
void cr_wipe(void *p, size_t len);

#endif
