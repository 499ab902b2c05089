/*
 * webroot.h: the citizen page (web/, docs/WEB.md) served as static files
 * from the `web_root` directory at "/".
 *
 * Safe by construction rather than by cleaning: a request path is served
 * only when every byte is one of [A-Za-z0-9._-/], no segment is empty or
 * starts with ".", it is at most WEBROOT_MAX_PATH bytes and its extension is
 * in a fixed table of content types; the file is opened with O_NOFOLLOW,
 * must be a regular file of at most PT_WEB_MAX_FILE bytes, and is sent with
 * that fixed type, "nosniff" (api.c) and a strict Content-Security-Policy.
 * Nothing is decoded (a "%2e%2e" is just refused), nothing is listed.
 *
 * "/config.json" that the directory does not hold is answered with the
 * log's own trust configuration: its verifier key, its witness policy text
 * and its offices, with "served_by_log": true, so the page can warn that
 * the log vouches for itself.  A watchdog hosting the page writes its own.
 */
#ifndef PTD_WEBROOT_H
#define PTD_WEBROOT_H

#include <stddef.h>

struct allow;
struct evbuffer;

#define WEBROOT_MAX_PATH	255

/* What the synthesized /config.json says. */
struct webroot_log {
	const char *vkey;		/* the log's verifier key string */
	const char *policy_path;	/* witness policy file, "" for none */
	struct allow *allow;		/* who may append, may be NULL */
};

/* One answer: status 200 with the file (or config) in body, or 404/400/
 * 413/500 with a one-line reason in body.  ctype and cache point to static
 * strings; csp is NULL or the Content-Security-Policy to send. */
struct webroot_answer {
	int status;
	const char *ctype;
	const char *cache;
	const char *csp;
};

/*
 * Answer GET or HEAD of path (starts with "/", no query string) from the
 * directory root ("" = no page: 404).  Appends to body; the file is added
 * with evbuffer_add_file (no copy).  Work: one open and fstat, or one read
 * of the policy file (at most PT_POLICY_MAX bytes) for the config.
 */
void webroot_serve(const char *root, const char *path,
    const struct webroot_log *log, struct evbuffer *body,
    struct webroot_answer *out);

/* 0 when path may name a file under the web root (rules above), else -1.
 * Exposed for the tests. */
int webroot_path_ok(const char *path, size_t len);

#endif
