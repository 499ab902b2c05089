/*
 * correct.h: `pubtrail correct`: void or amend a record this office
 * logged, by appending a correction (the log is never edited).
 *
 *   pubtrail correct --void ID --reason TEXT ...
 *   pubtrail correct --amend ID --with FILE --reason TEXT ...
 *
 * The target is looked up in the log by the office's key and id, and
 * verified (inclusion in a verified checkpoint, its signature) before its
 * index and leaf hash go into the correction; the office rule
 * (record_may_append) is checked on the client as the log will check it.
 * The correction's id is --id, else "ID/void" or "ID/amend" (then
 * "ID/amend-2", ... when an earlier correction took it with other
 * content), so running the same command twice logs it once.
 */
#ifndef PT_CLIENT_CORRECT_H
#define PT_CLIENT_CORRECT_H

int cor_cmd(int argc, char **argv);

#endif
