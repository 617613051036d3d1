/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: small helpers the unit tests share (implementation)
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "loop.h"

#include "unit_support.h"

void
test_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ck_assert_int_ne(fd, -1);
	close(fd);
}

void
test_write_filev(const char *path, const char *fmt, va_list ap)
{
	FILE *file = fopen(path, "w");

	ck_assert_ptr_nonnull(file);
	vfprintf(file, fmt, ap);
	ck_assert_int_eq(fclose(file), 0);
}

void
test_write_file(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_write_filev(path, fmt, ap);
	va_end(ap);
}

int
test_count_substring(const char *text, const char *needle)
{
	int count = 0;

	for (const char *p = strstr(text, needle); p != NULL;
	    p = strstr(p + 1, needle))
		count++;
	return count;
}

void
test_capture_log(char *path)
{
	int fd;

	snprintf(path, 64, "/tmp/anycheck-test-log-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
}

size_t
test_log_count(const char *path, const char *needle)
{
	FILE *file;
	char line[2048];
	size_t count = 0;

	fflush(stderr);
	file = fopen(path, "r");
	ck_assert_ptr_nonnull(file);
	while (fgets(line, sizeof(line), file) != NULL)
		if (strstr(line, needle) != NULL)
			count++;
	fclose(file);
	return count;
}

struct config *
test_load_check(const char *check_json, char *error, size_t error_size)
{
	struct config_errors errors;
	struct config *config = NULL;
	char *text;
	const char *message;
	int line, column, skip = 0;

	text = xasprintf("{\"services\": [{\"name\": \"s\", "
	    "\"prefixes\": [\"192.0.2.1/32\"], \"checks\": [%s]}]}",
	    check_json);
	config_errors_init(&errors);
	error[0] = '\0';
	if (config_load_text("test.json", text, &config, &errors) != 0) {
		ck_assert_uint_gt(errors.count, 0);
		message = errors.messages[0];
		if (sscanf(message, "test.json:%d:%d: %n", &line, &column,
		    &skip) == 2 && skip > 0)
			message += skip;
		snprintf(error, error_size, "%s", message);
		config = NULL;
	}
	config_errors_clear(&errors);
	free(text);
	return config;
}

void
test_check_record_done(struct check *check, enum check_result result,
    const char *detail, uint64_t duration_ns, void *arg)
{
	struct test_check_outcome *outcome = arg;

	(void)check;
	(void)duration_ns;
	outcome->done = true;
	outcome->calls++;
	outcome->result = result;
	snprintf(outcome->detail, sizeof(outcome->detail), "%s", detail);
}

void
test_check_record_event(struct check *check, enum check_result result,
    const char *detail, void *arg)
{
	struct test_check_outcome *outcome = arg;

	(void)check;
	outcome->events++;
	outcome->event_result = result;
	snprintf(outcome->event_detail, sizeof(outcome->event_detail), "%s",
	    detail);
}

void
test_check_run(struct check *check, struct test_check_outcome *outcome,
    int limit_ms)
{
	struct loop *loop = check->environment->loop;
	uint64_t end = clock_now_ns() + (uint64_t)limit_ms * NSEC_PER_MSEC;

	outcome->done = false;
	outcome->calls = 0;
	ck_assert_int_eq(check_start(check), 0);
	while (!outcome->done && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
	ck_assert_msg(outcome->done, "check %s did not end within %d ms",
	    check->config->description, limit_ms);
	ck_assert_int_eq(outcome->calls, 1);
	ck_assert(!check->running);
}

pid_t
test_spawn_sleeper(const char *pidfile)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (int i = 0; i < 600; i++)
			sleep(1);
		_exit(0);
	}
	if (pidfile != NULL)
		test_write_file(pidfile, "%d\n", (int)pid);
	return pid;
}

void
test_kill_and_wait(pid_t pid)
{
	siginfo_t info;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT),
	    0);
}
