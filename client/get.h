/*
 * get.h: `pubtrail get checkpoint|entry|inclusion|consistency|lookup`:
 * one read from a log, verified before it is shown.
 */
#ifndef PT_CLIENT_GET_H
#define PT_CLIENT_GET_H

int get_cmd(int argc, char **argv);

#endif
