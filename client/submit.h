/*
 * submit.h: `pubtrail submit`: records from JSON, JSON Lines or CSV,
 * validated (record_check), canonically encoded, signed for the log's
 * origin (taken from its verified checkpoint), submitted over a pool of
 * keep-alive connections, each receipt verified before it is saved.
 */
#ifndef PT_CLIENT_SUBMIT_H
#define PT_CLIENT_SUBMIT_H

#include <stddef.h>

/* Receipt file name for a record id: DIR/<id>.receipt with every byte
 * outside [A-Za-z0-9._-] (and a leading '.') written as %XX.  out gets at
 * most cap bytes, NUL-terminated.  0 or PT_ETOOBIG. */
int sub_receipt_name(const char *dir, const char *id, char *out, size_t cap);

int sub_cmd(int argc, char **argv);

#endif
