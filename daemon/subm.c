/* subm.c: the allowed-submitters file and per-submitter rate limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"
#include "record.h"
#include "subm.h"
#include "wire.h"

#define SUBM_MAX_LINE	1024
#define SUBM_MAX_ENTRIES 100000

void
subm_free(struct subm_list *l)
{
	if (l == NULL)
		return;
	free(l->e);
	free(l);
}

static int
parse_line(char *line, struct subm_entry *e, char *why, size_t whylen)
{
	char *save = NULL, *tok;
	int rc;

	memset(e, 0, sizeof(*e));
	tok = strtok_r(line, " \t", &save);
	if (strlen(tok) > PT_MAX_VKEY) {
		snprintf(why, whylen, "verifier key too long");
		return PT_EINVAL;
	}
	if ((rc = note_vkey_parse(tok, strlen(tok), &e->key)) != 0) {
		snprintf(why, whylen, "bad verifier key: %s", pt_strerror(rc));
		return PT_EINVAL;
	}
	if (e->key.alg != NOTE_ALG_ED25519) {
		snprintf(why, whylen, "submitter keys must be Ed25519 (0x01)");
		return PT_EINVAL;
	}
	snprintf(e->vkey, sizeof(e->vkey), "%s", tok);
	if ((rc = wire_submitter_id(e->vkey, strlen(e->vkey), e->id)) != 0) {
		snprintf(why, whylen, "%s", pt_strerror(rc));
		return rc;
	}
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		enum record_type t;

		if (record_type_parse(tok, strlen(tok), &t) != 0) {
			snprintf(why, whylen, "unknown record type \"%.40s\"",
			    tok);
			return PT_EINVAL;
		}
		e->types |= 1u << t;
	}
	if (e->types == 0)
		e->types = ~0u;
	return 0;
}

int
subm_load(const char *path, struct subm_list **out, char *why, size_t whylen)
{
	struct subm_list *l;
	char line[SUBM_MAX_LINE + 2];
	FILE *f;
	unsigned lineno = 0;
	size_t cap = 0;
	int rc = 0;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PT_ENOMEM;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT) {
			*out = l;
			return 0;
		}
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		free(l);
		return PT_EIO;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char lwhy[160], *p;
		size_t len = strlen(line);

		lineno++;
		if (len > SUBM_MAX_LINE) {
			snprintf(why, whylen, "%s:%u: line too long", path,
			    lineno);
			rc = PT_EINVAL;
			break;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0')
			continue;
		if (l->n == SUBM_MAX_ENTRIES) {
			snprintf(why, whylen, "%s: too many submitters", path);
			rc = PT_ETOOBIG;
			break;
		}
		if (l->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct subm_entry *ne = realloc(l->e,
			    ncap * sizeof(*ne));

			if (ne == NULL) {
				rc = PT_ENOMEM;
				break;
			}
			l->e = ne;
			cap = ncap;
		}
		if ((rc = parse_line(p, &l->e[l->n], lwhy, sizeof(lwhy))) != 0) {
			snprintf(why, whylen, "%s:%u: %s", path, lineno, lwhy);
			break;
		}
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(l->e[i].vkey, l->e[l->n].vkey) == 0) {
				snprintf(why, whylen, "%s:%u: duplicate key",
				    path, lineno);
				rc = PT_EINVAL;
			}
		if (rc != 0)
			break;
		l->n++;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(why, whylen, "%s: read error", path);
		rc = PT_EIO;
	}
	fclose(f);
	if (rc != 0) {
		subm_free(l);
		return rc;
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
