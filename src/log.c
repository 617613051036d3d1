/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: logging
 *
 * stderr lines carry a UTC timestamp with milliseconds, the program name and
 * the level, so that interleaved logs from ExaBGP and several checkers can be
 * read at 3 a.m. without guessing. syslog lines leave the timestamp to syslog.
 *
 * When stderr is systemd's journal (JOURNAL_STREAM names stderr's device and
 * inode, sd-daemon(3)), a line is "<N>message" instead: the journal reads
 * the priority from the prefix and stamps the time itself. With syslog (-s)
 * lines go to syslog only, not also to stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_program = "anycheck";
static enum log_level log_max_level = LOG_LEVEL_INFO;
static bool log_syslog;
static bool log_journal;

static const struct {
	const char *name;
	int syslog_priority;
} log_levels[] = {
	[LOG_LEVEL_ERROR] = { "error", LOG_ERR },
	[LOG_LEVEL_WARNING] = { "warning", LOG_WARNING },
	[LOG_LEVEL_INFO] = { "info", LOG_INFO },
	[LOG_LEVEL_DEBUG] = { "debug", LOG_DEBUG },
};

void
log_init(const char *program, enum log_level level, bool use_syslog)
{
	log_program = program;
	log_max_level = level;
	if (use_syslog && !log_syslog)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = use_syslog;
	log_journal = log_stderr_is_journal();
}

bool
log_stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long device, inode;
	struct stat st;
	char end;

	if (stream == NULL || sscanf(stream, "%llu:%llu%c", &device, &inode,
	    &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == device &&
	    (unsigned long long)st.st_ino == inode;
}

void
log_set_level(enum log_level level)
{
	log_max_level = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_max_level;
}

static void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char message[2048];
	int n;

	if (!log_enabled(level))
		return;
	n = vsnprintf(message, sizeof(message), fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0 && (size_t)n < sizeof(message))
		snprintf(message + n, sizeof(message) - (size_t)n, ": %s",
		    strerror(errnum));

	if (log_syslog) {
		syslog(log_levels[level].syslog_priority, "%s", message);
		return;
	}
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", log_levels[level].syslog_priority,
		    message);
		return;
	}
	struct timespec now;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000,
	    log_program, log_levels[level].name, message);
}

static void
log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, 0, fmt, ap);
	va_end(ap);
}

void
log_limit_init(struct log_limit *limit, uint64_t window_ns)
{
	memset(limit, 0, sizeof(*limit));
	limit->window_ns = window_ns;
}

void
log_limit_flush(struct log_limit *limit, uint64_t now_ns)
{
	double seconds;

	if (limit->format != NULL && limit->repeats > 0) {
		seconds = (double)(now_ns - limit->window_start_ns) / 1e9;
		if (limit->differed)
			log_write(limit->level, "%s (and %lu more like it in "
			    "%.0f s)", limit->last, limit->repeats, seconds);
		else
			log_write(limit->level, "%s (repeated %lu times in "
			    "%.0f s)", limit->first, limit->repeats, seconds);
	}
	limit->format = NULL;
	limit->repeats = 0;
	limit->differed = false;
}

void
log_limited(struct log_limit *limit, uint64_t now_ns, enum log_level level,
    const char *fmt, ...)
{
	uint64_t window = limit->window_ns != 0 ? limit->window_ns :
	    LOG_LIMIT_DEFAULT_WINDOW_NS;
	char text[LOG_LIMIT_TEXT_MAX];
	int saved_errno = errno;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (limit->format != NULL && ((limit->format != fmt &&
	    strcmp(limit->format, fmt) != 0) || limit->level != level ||
	    now_ns - limit->window_start_ns >= window))
		log_limit_flush(limit, now_ns);
	if (limit->format == NULL) {
		log_write(level, "%s", text);
		limit->format = fmt;
		limit->level = level;
		limit->window_start_ns = now_ns;
		snprintf(limit->first, sizeof(limit->first), "%s", text);
	} else {
		limit->repeats++;
		if (strcmp(text, limit->first) != 0)
			limit->differed = true;
		snprintf(limit->last, sizeof(limit->last), "%s", text);
	}
	errno = saved_errno;
}

#define LOG_DEFINE(function, level, with_errno)                              \
	void function(const char *fmt, ...)                                  \
	{                                                                    \
		int saved_errno = errno;                                     \
		va_list ap;                                                  \
		va_start(ap, fmt);                                           \
		log_vwrite(level, with_errno ? saved_errno : 0, fmt, ap);    \
		va_end(ap);                                                  \
		errno = saved_errno;                                         \
	}

LOG_DEFINE(log_warn, LOG_LEVEL_WARNING, true)
LOG_DEFINE(log_warnx, LOG_LEVEL_WARNING, false)
LOG_DEFINE(log_error, LOG_LEVEL_ERROR, false)
LOG_DEFINE(log_info, LOG_LEVEL_INFO, false)
LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG, false)

void
fatal(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, saved_errno, fmt, ap);
	va_end(ap);
	abort();
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (p == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", count, size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		fatalx("out of memory reallocating %zu bytes", size);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		fatalx("out of memory copying a string");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	char *p;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		fatalx("out of memory formatting a string");
	va_end(ap);
	return p;
}
