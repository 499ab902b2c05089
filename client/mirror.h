/*
 * mirror.h: `pubtrail mirror`, a verified static copy of a log
 * (docs/MIRROR.md).
 */
#ifndef PT_CLIENT_MIRROR_H
#define PT_CLIENT_MIRROR_H

int mir_cmd(int argc, char **argv);

#endif
