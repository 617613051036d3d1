/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: small helpers the unit tests share
 *
 * Files a test creates (a check's health file, a config) and text it
 * inspects (what a fake routing daemon received). Every failure is a
 * Check assertion, so a test never goes on with a half-made fixture.
 */
#ifndef ANYCHECK_UNIT_SUPPORT_H
#define ANYCHECK_UNIT_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "check_api.h"
#include "config.h"

/* Create path (empty) if it does not exist. */
void test_touch(const char *path);
/* Replace path's content with the formatted text. */
void test_write_file(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void test_write_filev(const char *path, const char *fmt, va_list ap);
/* How many times needle occurs in text (overlaps counted). */
int test_count_substring(const char *text, const char *needle);

/* stderr (the log) goes to a fresh file at path (size at least 64, filled
 * in) until the process ends, so the test can count log lines. */
void test_capture_log(char *path);
/* Lines of that file holding needle. */
size_t test_log_count(const char *path, const char *needle);

/* Fork a child that sleeps until killed (at most 10 minutes); with a
 * pidfile, write its pid there. */
pid_t test_spawn_sleeper(const char *pidfile);
/* SIGKILL a child and wait until it has exited (its pidfd is readable),
 * leaving the reaping to whoever does it (a loop's SIGCHLD handler). */
void test_kill_and_wait(pid_t pid);

/* Load one check the way the config loader does (common keys such as
 * "immediate" included), from the JSON text of the check object, inside a
 * service of its own. Returns the config holding it (free with
 * config_free; the check is config->services[0].checks[0]), or NULL with the
 * first error, without its "FILE:LINE:COLUMN: " location, in error. */
struct config *test_load_check(const char *check_json, char *error,
    size_t error_size);

/* What one check reported: the end of its run, and the events of its watch
 * (the last one's result and detail, and how many). */
struct test_check_outcome {
	bool done;
	int calls;
	enum check_result result;
	char detail[CHECK_DETAIL_MAX];
	int events;
	enum check_result event_result;
	char event_detail[CHECK_DETAIL_MAX];
};
/* on_done and on_event callbacks that fill a struct test_check_outcome. */
void test_check_record_done(struct check *check, enum check_result result,
    const char *detail, uint64_t duration_ns, void *arg);
void test_check_record_event(struct check *check, enum check_result result,
    const char *detail, void *arg);
/* Run check once on its environment's loop (real clock) until it ends,
 * at most limit_ms; asserts that it ended exactly once. */
void test_check_run(struct check *check, struct test_check_outcome *outcome,
    int limit_ms);

#endif
