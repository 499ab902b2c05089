/*
 * input.h: records from files: one JSON object, JSON Lines (one object a
 * line), a JSON array of objects, or CSV (csvin.h).  "-" is standard
 * input.  The format comes from --format, else the file name's extension
 * (.json, .jsonl, .ndjson, .csv), else the first byte ('{' or '[': JSON,
 * anything else: CSV).
 */
#ifndef PT_CLIENT_INPUT_H
#define PT_CLIENT_INPUT_H

#include <stddef.h>

#include <jansson.h>

#include "csvin.h"
#include "pt.h"

#define IN_MAX_FILE	(1024u << 20)	/* one input file, bytes */

struct in_opts {
	const char *format;	/* NULL (detect), "json", "jsonl", "csv" */
	struct csvin_opts csv;
};

/* Called once per record with a new object (the callback json_decref()s
 * it); where is "file:line" for messages.  Non-zero stops the read. */
typedef int (*in_record_fn)(void *arg, json_t *obj, const char *where);

/*
 * Read every record of path, in order.  PT_EMALFORMED (with file and line
 * in *why), PT_ENOTFOUND, PT_EIO, PT_ETOOBIG (over IN_MAX_FILE), or the
 * callback's code.  O(file size).
 */
int in_read(const char *path, const struct in_opts *o, in_record_fn fn,
    void *arg, struct pt_why *why);

#endif
