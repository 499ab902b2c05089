/*
 * webroot.c: static files of the citizen page, and the log's own
 * /config.json.  See webroot.h for the rules.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "ptlimits.h"
#include "allow.h"
#include "webroot.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CACHE_NONE	"no-store"
#define CACHE_REVALIDATE "no-cache"
#define CACHE_ASSET	"public, max-age=300"

/*
 * The page loads only itself: scripts, styles and images from its own
 * origin; it talks to the log it checks (any origin: a watchdog's copy
 * checks a log elsewhere), and to nothing else by itself.
 */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src *; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'"

static const struct {
	const char *ext;
	const char *ctype;
	int page;		/* revalidate every time */
} types[] = {
	{ ".html", "text/html; charset=utf-8", 1 },
	{ ".css", "text/css; charset=utf-8", 0 },
	{ ".js", "text/javascript; charset=utf-8", 0 },
	{ ".mjs", "text/javascript; charset=utf-8", 0 },
	{ ".json", "application/json", 1 },
	{ ".svg", "image/svg+xml", 0 },
	{ ".png", "image/png", 0 },
	{ ".ico", "image/x-icon", 0 },
	{ ".txt", CT_TEXT, 1 },
	{ ".policy", CT_TEXT, 1 },
};

int
webroot_path_ok(const char *path, size_t len)
{
	size_t seg = 0;		/* bytes in the current segment */

	if (len == 0 || len > WEBROOT_MAX_PATH)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = path[i];

		if (c == '/') {
			if (seg == 0)
				return -1;	/* "//" or a leading "/" */
			seg = 0;
			continue;
		}
		if (seg == 0 && c == '.')
			return -1;	/* ".", "..", hidden files */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -1;
		seg++;
	}
	return seg == 0 ? -1 : 0;	/* no trailing "/" */
}

static void
answer_text(struct webroot_answer *out, struct evbuffer *body, int status,
    const char *msg)
{
	out->status = status;
	out->ctype = CT_TEXT;
	out->cache = CACHE_NONE;
	out->csp = NULL;
	evbuffer_add_printf(body, "%s\n", msg);
}

/* Read the policy file: a string, NULL for none, or "" on failure. */
static json_t *
policy_json(const char *path)
{
	char buf[PT_POLICY_MAX + 1];
	ssize_t n;
	size_t got = 0;
	int fd;

	if (path == NULL || path[0] == '\0')
		return json_null();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	while (got < sizeof(buf) &&
	    (n = read(fd, buf + got, sizeof(buf) - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got > PT_POLICY_MAX)
		return NULL;
	return json_stringn(buf, got);	/* NULL when not UTF-8 */
}

/* allow_each_in_force: one office's key into the array arg. */
static void
add_office(void *arg, const struct grants_key *k)
{
	json_array_append_new((json_t *)arg, json_string(k->vkey));
}

static void
serve_config(const struct webroot_log *log, struct evbuffer *body,
    struct webroot_answer *out)
{
	json_t *o = json_object(), *offices = json_array(), *pol;
	char *s = NULL;

	pol = policy_json(log->policy_path);
	if (o == NULL || offices == NULL || pol == NULL) {
		json_decref(o);
		json_decref(offices);
		json_decref(pol);
		answer_text(out, body, 500, "cannot read the witness policy");
		return;
	}
	if (log->allow != NULL)
		allow_each_in_force(log->allow, add_office, offices);
	json_object_set_new(o, "log", json_string(""));
	json_object_set_new(o, "log_key", json_string(log->vkey));
	json_object_set_new(o, "policy", pol);
	json_object_set_new(o, "offices", offices);
	json_object_set_new(o, "served_by_log", json_true());
	s = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL) {
		answer_text(out, body, 503, "out of memory");
		return;
	}
	evbuffer_add(body, s, strlen(s));
	evbuffer_add(body, "\n", 1);
	free(s);
	out->status = 200;
	out->ctype = "application/json";
	out->cache = CACHE_REVALIDATE;
	out->csp = NULL;
}

void
webroot_serve(const char *root, const char *path,
    const struct webroot_log *log, struct evbuffer *body,
    struct webroot_answer *out)
{
	char file[4096];
	const char *rel, *dot;
	size_t t, rlen;
	struct stat st;
	int fd, n;

	if (root == NULL || root[0] == '\0') {
		answer_text(out, body, 404, "no such route");
		return;
	}
	rel = path[0] == '/' ? path + 1 : path;
	if (rel[0] == '\0')
		rel = "index.html";
	rlen = strlen(rel);
	if (webroot_path_ok(rel, rlen) != 0) {
		answer_text(out, body, 404, "not found");
		return;
	}
	dot = strrchr(rel, '.');
	for (t = 0; dot != NULL && t < sizeof(types) / sizeof(types[0]); t++)
		if (strcmp(dot, types[t].ext) == 0)
			break;
	if (dot == NULL || t == sizeof(types) / sizeof(types[0])) {
		answer_text(out, body, 404, "not found");
		return;
	}
	n = snprintf(file, sizeof(file), "%s/%s", root, rel);
	if (n < 0 || (size_t)n >= sizeof(file)) {
		answer_text(out, body, 404, "not found");
		return;
	}
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && strcmp(rel, "config.json") == 0 &&
		    log != NULL) {
			serve_config(log, body, out);
			return;
		}
		answer_text(out, body, 404, errno == ENOENT ?
		    (strcmp(rel, "index.html") == 0 ?
		    "no web page is installed here (see web_root in "
		    "pubtraild.conf(5))" : "not found") : "not found");
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		answer_text(out, body, 404, "not found");
		return;
	}
	if ((unsigned long long)st.st_size > PT_WEB_MAX_FILE) {
		close(fd);
		answer_text(out, body, 500, "file too large to serve");
		return;
	}
	if (st.st_size > 0) {
		struct evbuffer_file_segment *seg;
		int rc;

		/* The segment owns fd once created; the buffer holds its own
		 * reference until the answer is sent. */
		seg = evbuffer_file_segment_new(fd, 0, st.st_size,
		    EVBUF_FS_CLOSE_ON_FREE);
		if (seg == NULL) {
			close(fd);
			answer_text(out, body, 503, "cannot read the file");
			return;
		}
		rc = evbuffer_add_file_segment(body, seg, 0, st.st_size);
		evbuffer_file_segment_free(seg);
		if (rc != 0) {
			answer_text(out, body, 503, "cannot read the file");
			return;
		}
	} else {
		close(fd);
	}
	out->status = 200;
	out->ctype = types[t].ctype;
	out->cache = types[t].page ? CACHE_REVALIDATE : CACHE_ASSET;
	out->csp = types[t].page && strcmp(types[t].ext, ".html") == 0 ?
	    CSP : NULL;
}
