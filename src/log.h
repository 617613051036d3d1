/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: logging
 *
 * One small logger for every anycheck program. Lines go to stderr (ExaBGP
 * forwards a process's stderr to its own log; systemd's journal takes it
 * too) and, when asked, to syslog. stdout is never touched: it belongs to
 * ExaBGP's API.
 */
#ifndef ANYCHECK_LOG_H
#define ANYCHECK_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Set the program name shown in every line, the most verbose level kept and
 * whether lines also go to syslog (facility daemon). */
void log_init(const char *program, enum log_level level, bool use_syslog);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* log_warn adds strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Only for bugs and out-of-memory: log and abort. fatal adds errno. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Allocation wrappers that call fatalx on out-of-memory. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
