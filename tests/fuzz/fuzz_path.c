/*
 * fuzz_path.c: the daemon's request-target parsing, as far as it is
 * reachable outside the HTTP server: tile paths (tile_path_parse, as the
 * /tile/ route calls it), query strings (libevent's evhttp_parse_query_str,
 * as daemon/api.c's parse_query calls it) and the one strict decimal
 * parser (proto/num.c: num_parse_u64, used for every numeric query
 * parameter, path segment and checkpoint size).  The route table itself is
 * static in daemon/api.c; it is exercised through the real daemon by the
 * integration tests.
 * Invariants:
 *   - an accepted tile path formats back to exactly the input (one tile,
 *     one path), and its fields are in range;
 *   - num_parse_u64 agrees with a plain reference parser (1..20 digits,
 *     no sign, no leading zero, no overflow, bounds), NUL bytes included.
 */
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "fuzz.h"
#include "num.h"
#include "pt.h"
#include "tile.h"

/* Reference: the obvious strict decimal parser. */
static int
ref_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned __int128 v = 0;

	if (len == 0 || len > 20)
		return -1;
	if (s[0] == '0' && len > 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > UINT64_MAX || v < min || v > max)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static void
check_u64(const char *s, size_t len, uint64_t max)
{
	uint64_t a = 0, b = 0;
	int ra, rb;

	ra = num_parse_u64(s, len, 0, max, &a);
	rb = ref_u64(s, len, 0, max, &b);
	FUZZ_ASSERT((ra == 0) == (rb == 0));
	FUZZ_ASSERT(ra != 0 || a == b);
	/* A lower bound too. */
	ra = num_parse_u64(s, len, 1, max, &a);
	rb = ref_u64(s, len, 1, max, &b);
	FUZZ_ASSERT((ra == 0) == (rb == 0));
	FUZZ_ASSERT(ra != 0 || a == b);
}

static void
check_tile(const char *p, size_t len)
{
	struct tile t;
	char out[TILE_PATH_MAX + 1];

	if (tile_path_parse(p, len, &t) != 0)
		return;
	FUZZ_ASSERT(t.width >= 1 && t.width <= TILE_WIDTH);
	FUZZ_ASSERT(t.entries || t.level <= TILE_MAX_LEVEL);
	FUZZ_ASSERT(tile_path_format(&t, out, sizeof(out)) == 0);
	FUZZ_ASSERT(strlen(out) == len && memcmp(out, p, len) == 0);
}

/* What daemon/api.c does with a request target, minus the HTTP server. */
static void
check_target(const char *s, size_t len)
{
	static char uri[4096];
	struct evkeyvalq kv;
	struct evkeyval *e;
	const char *q;
	size_t plen;

	if (len >= sizeof(uri) || memchr(s, '\0', len) != NULL)
		return;
	memcpy(uri, s, len);
	uri[len] = '\0';
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : len;
	if (plen > 6 && memcmp(uri, "/tile/", 6) == 0)
		check_tile(uri + 1, plen - 1);
	if (q == NULL)
		return;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q + 1, &kv) == 0) {
		TAILQ_FOREACH(e, &kv, next)
			check_u64(e->value, strlen(e->value), UINT64_MAX);
	}
	evhttp_clear_headers(&kv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	check_tile(s, size);
	check_u64(s, size, UINT64_MAX);
	if (size > 0)
		check_u64(s + 1, size - 1, (uint64_t)1 << (data[0] % 64));
	check_target(s, size);
	return 0;
}
