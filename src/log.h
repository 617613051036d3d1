/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: logging
 *
 * One small logger for every anycheck program. Lines go to stderr (ExaBGP
 * forwards a process's stderr to its own log; systemd's journal takes it
 * too, with priority prefixes) or, when asked, to syslog. stdout is never touched: it belongs to
 * ExaBGP's API.
 */
#ifndef ANYCHECK_LOG_H
#define ANYCHECK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Set the program name shown in every line, the most verbose level kept and
 * whether lines go to syslog (facility daemon) instead of stderr. Also
 * looks whether stderr is the journal (log_stderr_is_journal): then lines
 * are "<priority>message", without a timestamp of their own. */
void log_init(const char *program, enum log_level level, bool use_syslog);
/* Is stderr systemd's journal (JOURNAL_STREAM is its "device:inode")? */
bool log_stderr_is_journal(void);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* log_warn adds strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Rate-limited logging for lines that can repeat without end (a peer that
 * keeps failing the same way, a resource that stays exhausted). A
 * struct log_limit is the key: the caller keeps one per place (or per
 * object and place) that may repeat. The first line is logged; further
 * lines through the same limit and with the same format (whatever their
 * arguments) within window_ns are only counted. When the window has ended
 * or a line with another format comes, the count is logged first:
 *   "<the line> (repeated 120 times in 60 s)"
 * or, when the repeats differed in their arguments,
 *   "<the last line> (and 119 more like it in 60 s)".
 * Time is passed in (the loop's), so tests run it on virtual time. */
#define LOG_LIMIT_TEXT_MAX 512
#define LOG_LIMIT_DEFAULT_WINDOW_NS (60ULL * 1000000000ULL)

struct log_limit {
	uint64_t window_ns;             /* 0: LOG_LIMIT_DEFAULT_WINDOW_NS */
	/* State, zero to begin with. */
	const char *format;             /* of the line that opened the window */
	enum log_level level;
	uint64_t window_start_ns;
	unsigned long repeats;          /* lines counted, not logged */
	bool differed;                  /* a repeat's text was not the first */
	char first[LOG_LIMIT_TEXT_MAX];
	char last[LOG_LIMIT_TEXT_MAX];
};

/* A limit with this window (0: the default 60 s) and nothing logged. */
void log_limit_init(struct log_limit *limit, uint64_t window_ns);
/* Log at level through limit at time now_ns (see above). fmt must live as
 * long as the limit (a string literal). */
void log_limited(struct log_limit *limit, uint64_t now_ns,
    enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Log the count of lines held back, if any, and start afresh (when the
 * condition is over, or before the owner goes away). */
void log_limit_flush(struct log_limit *limit, uint64_t now_ns);

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
