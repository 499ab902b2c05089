/*
 * log.h: daemon logging to stderr with syslog priority prefixes ("<3>" err,
 * "<4>" warning, "<6>" info, "<7>" debug), one line per message, so that
 * systemd-journald and similar pick up the priority.  Thread-safe (one
 * fprintf per line).  Keys and request bodies are never logged.
 */
#ifndef PTD_LOG_H
#define PTD_LOG_H

void log_init(int verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error priority and exit(1). */
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Always-on invariant for ledger facts: logs and aborts when false. */
#define LEDGER_INVARIANT(cond) do {					\
	if (!(cond))							\
		fatalx("ledger invariant failed: %s (%s:%d)", #cond,	\
		    __FILE__, __LINE__);				\
} while (0)

#endif
