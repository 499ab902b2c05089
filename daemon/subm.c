/* subm.c: the allowed-submitters file and per-submitter rate limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"
#include "record.h"
#include "subm.h"
#include "wire.h"


void
subm_free(struct subm_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].office);
	free(l->e);
	free(l);
}

/* One line's key and types (line: no comment, no newline, not blank). */
static int
parse_line(char *line, struct subm_entry *e, struct pt_why *why)
{
	char *save = NULL, *tok, *bar;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((bar = strchr(line, '|')) != NULL) {
		*bar++ = '\0';
		bar += strspn(bar, " \t");
		bar[strcspn(bar, "\r")] = '\0';
		for (size_t n = strlen(bar); n > 0 && (bar[n - 1] == ' ' ||
		    bar[n - 1] == '\t'); n--)
			bar[n - 1] = '\0';
		if (*bar == '\0')
			return pt_why_set(why, PT_EINVAL, "nothing after '|': "
			    "want SCHEME ID DISPLAY NAME");
	}
	if ((tok = strtok_r(line, " \t", &save)) == NULL)
		return pt_why_set(why, PT_EINVAL, "no verifier key before '|'");
	if (strlen(tok) > PT_MAX_VKEY)
		return pt_why_set(why, PT_EINVAL, "verifier key too long");
	if ((rc = note_vkey_parse(tok, strlen(tok), &e->key)) != 0)
		return pt_why_set(why, PT_EINVAL, "bad verifier key: %s",
		    pt_strerror(rc));
	if (e->key.alg != NOTE_ALG_ED25519)
		return pt_why_set(why, PT_EINVAL, "submitter keys must be "
		    "Ed25519 (0x01)");
	snprintf(e->vkey, sizeof(e->vkey), "%s", tok);
	if ((rc = wire_submitter_id(e->vkey, strlen(e->vkey), e->id)) != 0)
		return pt_why_set(why, rc, "%s", pt_strerror(rc));
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		enum record_type t;

		if (record_type_parse(tok, strlen(tok), &t) != 0)
			return pt_why_set(why, PT_EINVAL, "unknown record type "
			    "\"%.40s\"", tok);
		e->types |= 1u << t;
	}
	if (e->types == 0)
		e->types = ~0u;
	if (bar != NULL && (e->office = strdup(bar)) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	return 0;
}

/* Room for one more entry in l (cap grows by doubling). */
static int
grow(struct subm_list *l, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	struct subm_entry *ne;

	if (l->n < *cap)
		return 0;
	if ((ne = realloc(l->e, ncap * sizeof(*ne))) == NULL)
		return PT_ENOMEM;
	l->e = ne;
	*cap = ncap;
	return 0;
}

/*
 * Read one line of f into line (SUBM_MAX_LINE bytes and a NUL): 1 read,
 * 0 at the end, or an error: PT_ETOOBIG (longer), PT_EMALFORMED (a NUL
 * byte: a line is seen whole, never cut at a NUL), PT_EIO.
 */
static int
read_line(FILE *f, char *line, size_t *len)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0')
			return PT_EMALFORMED;
		if (n == SUBM_MAX_LINE)
			return PT_ETOOBIG;
		line[n++] = (char)ch;
	}
	if (ferror(f))
		return PT_EIO;
	line[n] = '\0';
	*len = n;
	return ch == EOF && n == 0 ? 0 : 1;
}

int
subm_load(const char *path, struct subm_list **out, struct pt_why *why)
{
	struct subm_list *l;
	struct pt_why lwhy;
	char line[SUBM_MAX_LINE + 1];
	FILE *f;
	unsigned lineno = 0;
	size_t cap = 0, len;
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return pt_why_set(why, PT_ENOMEM, "out of memory");
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT) {
			*out = l;
			return 0;
		}
		rc = pt_why_set(why, PT_EIO, "%s: %s", path, strerror(errno));
		free(l);
		return rc;
	}
	while ((rc = read_line(f, line, &len)) != 0) {
		char *p;

		lineno++;
		if (rc == PT_ETOOBIG) {
			rc = pt_why_set(why, PT_EINVAL, "%s:%u: line longer "
			    "than %d bytes", path, lineno, SUBM_MAX_LINE);
			break;
		}
		if (rc == PT_EMALFORMED) {
			rc = pt_why_set(why, PT_EINVAL, "%s:%u: NUL byte", path,
			    lineno);
			break;
		}
		if (rc == PT_EIO) {
			pt_why_set(why, rc, "%s: read error", path);
			break;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		line[strcspn(line, "\r")] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0')
			continue;
		if (l->n == SUBM_MAX_ENTRIES) {
			rc = pt_why_set(why, PT_ETOOBIG, "%s: more than %d "
			    "submitters", path, SUBM_MAX_ENTRIES);
			break;
		}
		if ((rc = grow(l, &cap)) != 0) {
			pt_why_set(why, rc, "out of memory");
			break;
		}
		if ((rc = parse_line(p, &l->e[l->n], &lwhy)) != 0) {
			free(l->e[l->n].office);
			pt_why_set(why, rc, "%s:%u: %s", path, lineno,
			    lwhy.text);
			break;
		}
		l->e[l->n].line = lineno;
		if (subm_find(l, l->e[l->n].vkey, strlen(l->e[l->n].vkey))
		    != NULL) {
			free(l->e[l->n].office);
			rc = pt_why_set(why, PT_EINVAL, "%s:%u: duplicate key",
			    path, lineno);
			break;
		}
		/* Readers see a signer as its name (and key hash): two keys
		 * of one name would read as one office. */
		for (size_t k = 0; k < l->n; k++)
			if (strcmp(l->e[k].key.name, l->e[l->n].key.name) ==
			    0) {
				rc = pt_why_set(why, PT_EINVAL, "%s:%u: a "
				    "second key named \"%.60s\": each office "
				    "key needs a name of its own (readers "
				    "tell offices apart by it)", path, lineno,
				    l->e[l->n].key.name);
				break;
			}
		if (rc != 0)
			break;
		l->n++;
		rc = 0;
	}
	fclose(f);
	if (rc != 0) {
		subm_free(l);
		return rc == PT_EMALFORMED ? PT_EINVAL : rc;
	}
	*out = l;
	return 0;
}

struct subm_entry *
subm_find(struct subm_list *l, const char *vkey, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->e[i].vkey) == len &&
		    memcmp(l->e[i].vkey, vkey, len) == 0)
			return &l->e[i];
	return NULL;
}

void
subm_carry(struct subm_list *new_list, const struct subm_list *old)
{
	for (size_t i = 0; i < new_list->n; i++)
		for (size_t j = 0; old != NULL && j < old->n; j++)
			if (strcmp(new_list->e[i].vkey, old->e[j].vkey) == 0) {
				new_list->e[i].tokens = old->e[j].tokens;
				new_list->e[i].last_ms = old->e[j].last_ms;
			}
}

static void
refill(struct subm_entry *e, uint64_t now_ms, uint64_t rate, uint64_t burst)
{
	if (e->last_ms == 0) {
		e->tokens = (double)burst;
	} else if (now_ms > e->last_ms) {
		e->tokens += (double)(now_ms - e->last_ms) * (double)rate /
		    1000.0;
		if (e->tokens > (double)burst)
			e->tokens = (double)burst;
	}
	if (now_ms > e->last_ms)
		e->last_ms = now_ms;
}

int
subm_peek(struct subm_entry *e, uint64_t now_ms, uint64_t rate,
    uint64_t burst)
{
	if (rate == 0)
		return 0;
	refill(e, now_ms, rate, burst);
	return e->tokens < 1.0 ? PT_ERATE : 0;
}

void
subm_refund(struct subm_entry *e, uint64_t rate, uint64_t burst)
{
	if (rate == 0)
		return;
	e->tokens += 1.0;
	if (e->tokens > (double)burst)
		e->tokens = (double)burst;
}

int
subm_take(struct subm_entry *e, uint64_t now_ms, uint64_t rate,
    uint64_t burst)
{
	if (rate == 0)
		return 0;
	refill(e, now_ms, rate, burst);
	if (e->tokens < 1.0)
		return PT_ERATE;
	e->tokens -= 1.0;
	return 0;
}
