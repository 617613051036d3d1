/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: check runs
 *
 * The life of one run, whatever the check type: check_start() arms the
 * timeout and hands over to the type's start; the run ends in check_done()
 * (or check_done_local(), its form for local errors), the single completion
 * point, which stops the timeout, measures the
 * duration, bounds the detail text and tells the owner. A timeout cancels the
 * type's work first (killing children, closing sockets) so that nothing of a
 * timed-out run outlives it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "check_api.h"
#include "clock.h"
#include "log.h"
#include "loop.h"

static const struct {
	const char *name;
	const char *description;
} check_results[CHECK_RESULT_COUNT] = {
	[CHECK_RESULT_PASS] = { "pass", "the check passed" },
	[CHECK_RESULT_FAIL] = { "fail", "the service answered wrongly or not at all" },
	[CHECK_RESULT_TIMEOUT] = { "timeout", "no answer within the check's timeout" },
	[CHECK_RESULT_ERROR] = { "error", "the check as configured cannot run" },
	[CHECK_RESULT_LOCAL_ERROR] = { "local-error",
	    "anycheck could not run the check" },
};

static const char *const check_local_causes[CHECK_LOCAL_CAUSE_COUNT] = {
	[CHECK_LOCAL_FILE_DESCRIPTORS] = "file-descriptors",
	[CHECK_LOCAL_MEMORY] = "memory",
	[CHECK_LOCAL_PROCESSES] = "processes",
	[CHECK_LOCAL_OTHER] = "other",
};

const char *
check_scope_name(enum check_scope scope)
{
	return scope == CHECK_SCOPE_GLOBAL ? "global" : "local";
}

const char *
check_result_name(enum check_result result)
{
	if ((unsigned)result >= CHECK_RESULT_COUNT)
		return "unknown";
	return check_results[result].name;
}

const char *
check_result_description(enum check_result result)
{
	if ((unsigned)result >= CHECK_RESULT_COUNT)
		return "unknown result";
	return check_results[result].description;
}

const char *
check_local_cause_name(enum check_local_cause cause)
{
	if ((unsigned)cause >= CHECK_LOCAL_CAUSE_COUNT)
		return "unknown";
	return check_local_causes[cause];
}

enum check_local_cause
check_local_cause_from_errno(int errnum)
{
	switch (errnum) {
	case EMFILE:
	case ENFILE:
		return CHECK_LOCAL_FILE_DESCRIPTORS;
	case ENOMEM:
	case ENOBUFS:
		return CHECK_LOCAL_MEMORY;
	case EAGAIN:
		return CHECK_LOCAL_PROCESSES;
	default:
		return CHECK_LOCAL_OTHER;
	}
}

bool
check_errno_is_local(int errnum)
{
	return check_local_cause_from_errno(errnum) != CHECK_LOCAL_OTHER;
}

/* Per-type teardown of what a check_environment holds (check_exec.c,
 * check_http.c); not in check_api.h because nothing else should call them. */
void check_exec_environment_cleanup(struct check_environment *environment);
void check_http_environment_cleanup(struct check_environment *environment);
void check_address_environment_cleanup(struct check_environment *environment);

void
check_environment_cleanup(struct check_environment *environment)
{
	check_exec_environment_cleanup(environment);
	check_http_environment_cleanup(environment);
	check_address_environment_cleanup(environment);
}

static void
check_timeout(struct loop *loop, void *arg)
{
	struct check *check = arg;
	const struct check_ops *ops = check->config->ops;
	char detail[CHECK_DETAIL_MAX];

	(void)loop;
	if (!check->running)
		return;
	if (ops->timeout_detail != NULL)
		ops->timeout_detail(check, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "no answer within %g s",
		    check->config->timeout);
	ops->cancel(check);
	check_done(check, CHECK_RESULT_TIMEOUT, "%s", detail);
}

void
check_init(struct check *check, const struct check_config *config,
    struct check_environment *environment, check_done_callback on_done,
    void *on_done_arg)
{
	check->config = config;
	check->environment = environment;
	check->on_done = on_done;
	check->on_done_arg = on_done_arg;
	check->running = false;
	check->started_ns = 0;
	check->local_cause = CHECK_LOCAL_OTHER;
	check->state = NULL;
	check->on_event = NULL;
	check->on_event_arg = NULL;
	check->watch = NULL;
	loop_timer_init(&check->timeout_timer, check_timeout, check);
}

int
check_start(struct check *check)
{
	if (check->running)
		return -1;
	check->running = true;
	check->started_ns = loop_clock_now_ns(check->environment->loop);
	if (check->config->timeout > 0)
		loop_timer_arm(check->environment->loop, &check->timeout_timer,
		    check->started_ns +
		    clock_seconds_to_ns(check->config->timeout));
	check->config->ops->start(check);
	return 0;
}

void
check_cancel(struct check *check)
{
	if (!check->running)
		return;
	loop_timer_cancel(check->environment->loop, &check->timeout_timer);
	check->config->ops->cancel(check);
	check->running = false;
}

static void
check_vdone(struct check *check, enum check_result result, const char *fmt,
    va_list ap)
{
	char detail[CHECK_DETAIL_MAX];
	uint64_t duration_ns;

	if (!check->running) {
		log_warnx("check %s: completed twice (bug)",
		    check->config->description ? check->config->description :
		    "?");
		return;
	}
	loop_timer_cancel(check->environment->loop, &check->timeout_timer);
	duration_ns = loop_clock_now_ns(check->environment->loop) -
	    check->started_ns;
	check->running = false;
	vsnprintf(detail, sizeof(detail), fmt, ap);
	/* The owner may start the next run or free the check from here. */
	check->on_done(check, result, detail, duration_ns, check->on_done_arg);
}

void
check_done(struct check *check, enum check_result result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vdone(check, result, fmt, ap);
	va_end(ap);
}

void
check_done_local(struct check *check, enum check_local_cause cause,
    const char *fmt, ...)
{
	va_list ap;

	check->local_cause = cause;
	va_start(ap, fmt);
	check_vdone(check, CHECK_RESULT_LOCAL_ERROR, fmt, ap);
	va_end(ap);
}

void
check_watch(struct check *check, check_event_callback on_event, void *arg)
{
	const struct check_ops *ops = check->config->ops;

	if (ops->watch_start == NULL || check->on_event != NULL)
		return;
	check->on_event = on_event;
	check->on_event_arg = arg;
	if (ops->watch_start(check) == -1) {
		check->on_event = NULL;
		check->on_event_arg = NULL;
	}
}

void
check_unwatch(struct check *check)
{
	if (check->on_event == NULL)
		return;
	check->config->ops->watch_stop(check);
	check->on_event = NULL;
	check->on_event_arg = NULL;
	check->watch = NULL;
}

void
check_event(struct check *check, enum check_result result, const char *fmt,
    ...)
{
	char detail[CHECK_DETAIL_MAX];
	va_list ap;

	if (check->on_event == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* The owner may act on the service from here, never free it. */
	check->on_event(check, result, detail, check->on_event_arg);
}
