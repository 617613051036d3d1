/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: process check tests
 *
 * Real processes the test forks (each renamed to a name no other process on
 * the machine has, so "command" finds only them), real pidfiles, the real
 * loop: the check passes while the process lives, its watch reports the exit
 * within one turn of the loop, a stale pidfile fails, a new pid in the
 * pidfile passes again, and a pid that now belongs to another process is not
 * taken for the service's.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "unit_support.h"

static struct {
	char dir[64];
	char pidfile[128];
	char name[16];          /* the children's comm */
	struct check_environment environment;
	struct config *config;
	struct check check;
	struct test_check_outcome outcome;
	bool initialized;
} world;

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	snprintf(world.dir, sizeof(world.dir), "/tmp/anycheck-proc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(world.dir));
	snprintf(world.pidfile, sizeof(world.pidfile), "%s/service.pid",
	    world.dir);
	snprintf(world.name, sizeof(world.name), "ackt%d", (int)getpid());
	world.environment.loop = loop_new();
	ck_assert_ptr_nonnull(world.environment.loop);
}

static void
teardown(void)
{
	if (world.initialized) {
		check_unwatch(&world.check);
		check_cancel(&world.check);
	}
	config_free(world.config);
	check_environment_cleanup(&world.environment);
	loop_free(world.environment.loop);
	unlink(world.pidfile);
	rmdir(world.dir);
}

/* A child named world.name that sleeps until killed. */
static pid_t
spawn(void)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_NAME, world.name);
		for (int i = 0; i < 600; i++)
			sleep(1);
		_exit(0);
	}
	/* Until the child has renamed itself it is named as we are. */
	for (int i = 0; i < 1000; i++) {
		char path[64], comm[32] = "";
		FILE *file;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		file = fopen(path, "r");
		if (file != NULL) {
			if (fgets(comm, sizeof(comm), file) == NULL)
				comm[0] = '\0';
			fclose(file);
		}
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, world.name) == 0)
			return pid;
		usleep(1000);
	}
	ck_abort_msg("child %d never renamed itself", (int)pid);
	return -1;
}

/* Kill a child and wait until it is a zombie (its pidfd readable), without
 * reaping it: the loop's SIGCHLD handler does that. */
static void
kill_child(pid_t pid)
{
	siginfo_t info;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT),
	    0);
}

/* A child that has exited and been reaped: its pid is free. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* Load the check from JSON text, watched (events into world.outcome). */
static void __attribute__((format(printf, 1, 2)))
load(const char *fmt, ...)
{
	char text[1024], error[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	world.config = test_load_check(text, error, sizeof(error));
	ck_assert_msg(world.config != NULL, "%s: %s", text, error);
	check_init(&world.check, &world.config->services[0].checks[0],
	    &world.environment, test_check_record_done, &world.outcome);
	check_watch(&world.check, test_check_record_event, &world.outcome);
	world.initialized = true;
}

static void
run(void)
{
	test_check_run(&world.check, &world.outcome, 2000);
}

#define ck_assert_result(expected, text)                                     \
	do {                                                                 \
		ck_assert_msg(world.outcome.result == (expected),            \
		    "result %s, expected %s (detail \"%s\")",                \
		    check_result_name(world.outcome.result),                 \
		    check_result_name(expected), world.outcome.detail);      \
		ck_assert_msg(strstr(world.outcome.detail, text) != NULL,    \
		    "detail \"%s\" lacks \"%s\"", world.outcome.detail,      \
		    text);                                                   \
	} while (0)

/* Turn the loop until the watch reported or limit_ms passed. */
static void
wait_event(int limit_ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)limit_ms * NSEC_PER_MSEC;
	int before = world.outcome.events;

	while (world.outcome.events == before && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.environment.loop, 100),
		    0);
}

START_TEST(test_pidfile_kill_fires_event_then_new_pid_passes)
{
	pid_t first = spawn(), second;
	char text[64];

	test_write_file(world.pidfile, "%d\n", (int)first);
	load("{\"type\": \"process\", \"pidfile\": \"%s\"}", world.pidfile);
	ck_assert(world.config->services[0].checks[0].immediate);
	run();
	snprintf(text, sizeof(text), "process %d (%s) running", (int)first,
	    world.name);
	ck_assert_result(CHECK_RESULT_PASS, text);
	ck_assert_int_eq(world.outcome.events, 0);

	kill_child(first);
	/* The process is gone: the watch says so in the very next turn. */
	ck_assert_int_eq(loop_run_once(world.environment.loop, 0), 0);
	ck_assert_int_eq(world.outcome.events, 1);
	ck_assert_int_eq(world.outcome.event_result, CHECK_RESULT_FAIL);
	snprintf(text, sizeof(text), "process %d (%s) exited", (int)first,
	    world.name);
	ck_assert_str_eq(world.outcome.event_detail, text);
	/* The pidfile still names it: stale. */
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "stale pidfile");

	/* A restarted service writes its new pid: passes again, watched. */
	second = spawn();
	test_write_file(world.pidfile, "%d\n", (int)second);
	run();
	snprintf(text, sizeof(text), "process %d (%s) running", (int)second,
	    world.name);
	ck_assert_result(CHECK_RESULT_PASS, text);
	kill_child(second);
	wait_event(1000);
	ck_assert_int_eq(world.outcome.events, 2);
	ck_assert_int_eq(world.outcome.event_result, CHECK_RESULT_FAIL);
}
END_TEST

START_TEST(test_stale_and_bad_pidfiles_fail)
{
	pid_t dead = dead_pid();

	test_write_file(world.pidfile, "%d\n", (int)dead);
	load("{\"type\": \"process\", \"pidfile\": \"%s\"}", world.pidfile);
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "is not running (stale pidfile)");
	unlink(world.pidfile);
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "does not exist");
	test_write_file(world.pidfile, "%s", "");
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "holds no pid (empty)");
	test_write_file(world.pidfile, "12x\n");
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "holds no pid");
	test_write_file(world.pidfile, "-5\n");
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "holds no pid");
	/* A directory cannot be read as a pidfile: the check as configured
	 * cannot run. */
	unlink(world.pidfile);
	ck_assert_int_eq(mkdir(world.pidfile, 0700), 0);
	run();
	rmdir(world.pidfile);
	ck_assert_result(CHECK_RESULT_ERROR, world.pidfile);
	ck_assert_int_eq(world.outcome.events, 0);
}
END_TEST

/* The pid a pidfile names belongs to some other program now. */
START_TEST(test_pid_reuse_guard_by_name)
{
	pid_t child = spawn();

	/* Our own pid, under a name that is not ours. */
	test_write_file(world.pidfile, "%d\n", (int)getpid());
	load("{\"type\": \"process\", \"pidfile\": \"%s\", \"command\": "
	    "\"%s\"}", world.pidfile, world.name);
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "stale pidfile, pid reused");
	ck_assert_ptr_nonnull(strstr(world.outcome.detail, world.name));
	test_write_file(world.pidfile, "%d\n", (int)child);
	run();
	ck_assert_result(CHECK_RESULT_PASS, "running");
	kill_child(child);
}
END_TEST

/* The watch remembers the process it saw exit: a pidfile still naming
 * that pid is stale even once a new process has been given the pid. The
 * kernel is made to hand out the same pid through ns_last_pid (root); on a
 * busy machine another process may take it first, so this tries a few
 * times. */
START_TEST(test_pid_reuse_guard_after_exit)
{
	pid_t first = spawn(), second = -1;
	FILE *last;

	test_write_file(world.pidfile, "%d\n", (int)first);
	load("{\"type\": \"process\", \"pidfile\": \"%s\"}", world.pidfile);
	run();
	ck_assert_result(CHECK_RESULT_PASS, "running");
	kill_child(first);
	wait_event(1000);
	ck_assert_int_eq(world.outcome.events, 1);
	/* The loop reaps it (SIGCHLD): then its pid is free. */
	for (int i = 0; i < 100 && kill(first, 0) == 0; i++)
		ck_assert_int_eq(loop_run_once(world.environment.loop, 10), 0);
	ck_assert_int_eq(kill(first, 0), -1);
	for (int tries = 0; tries < 50 && second != first; tries++) {
		if (second > 0) {
			kill(second, SIGKILL);
			waitpid(second, NULL, 0);
		}
		last = fopen("/proc/sys/kernel/ns_last_pid", "w");
		if (last == NULL)
			break;  /* not root: the reuse cannot be staged */
		fprintf(last, "%d", (int)first - 1);
		fclose(last);
		second = spawn();
	}
	if (second == first) {
		/* A live process has the pid now; the pidfile is stale. */
		run();
		ck_assert_result(CHECK_RESULT_FAIL, "exited (stale pidfile)");
	} else {
		fprintf(stderr, "note: pid %d could not be reused; checking "
		    "only that the stale pidfile fails\n", (int)first);
		run();
		ck_assert_result(CHECK_RESULT_FAIL, "stale pidfile");
	}
	if (second > 0)
		kill_child(second);
}
END_TEST

START_TEST(test_command_finds_oldest_and_fires)
{
	pid_t first = spawn(), second;
	char text[64];

	usleep(30000);          /* start times are in clock ticks */
	second = spawn();
	load("{\"type\": \"process\", \"command\": \"%s\"}", world.name);
	ck_assert_str_eq(world.check.config->description + 8, world.name);
	run();
	snprintf(text, sizeof(text), "process %d (%s) running", (int)first,
	    world.name);
	ck_assert_result(CHECK_RESULT_PASS, text);
	/* The younger one exiting is not the watched one's exit. */
	kill_child(second);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(loop_run_once(world.environment.loop, 20), 0);
	ck_assert_int_eq(world.outcome.events, 0);
	kill_child(first);
	ck_assert_int_eq(loop_run_once(world.environment.loop, 0), 0);
	ck_assert_int_eq(world.outcome.events, 1);
	ck_assert_int_eq(world.outcome.event_result, CHECK_RESULT_FAIL);
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "no process named");
}
END_TEST

/* How many file descriptors this process has open. */
static int
open_fds(void)
{
	int count = 0;

	for (int fd = 0; fd < 1024; fd++)
		count += fcntl(fd, F_GETFD) != -1;
	return count;
}

/* Without a watch (a run alone) nothing is kept open, nothing reported. */
START_TEST(test_unwatched_run_keeps_nothing)
{
	pid_t child = spawn();
	int before;

	test_write_file(world.pidfile, "%d\n", (int)child);
	load("{\"type\": \"process\", \"pidfile\": \"%s\"}", world.pidfile);
	check_unwatch(&world.check);
	before = open_fds();
	run();
	ck_assert_result(CHECK_RESULT_PASS, "running");
	ck_assert_int_eq(open_fds(), before);
	kill_child(child);
	ck_assert_int_eq(loop_run_once(world.environment.loop, 0), 0);
	ck_assert_int_eq(world.outcome.events, 0);
	run();
	ck_assert_result(CHECK_RESULT_FAIL, "stale pidfile");
}
END_TEST

static const char *
load_error(const char *text)
{
	static char error[512];
	struct config *config = test_load_check(text, error, sizeof(error));

	ck_assert_msg(config == NULL, "%s loaded", text);
	return error;
}

START_TEST(test_config_errors)
{
	struct config *config;
	char error[256];

	ck_assert_str_eq(load_error("{\"type\": \"process\"}"),
	    "services[0].checks[0]: needs \"pidfile\", \"command\" or both");
	ck_assert_str_eq(load_error("{\"type\": \"process\", \"pidfile\": "
	    "\"run/x.pid\"}"),
	    "services[0].checks[0].pidfile: must be an absolute path");
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"process\", "
	    "\"command\": \"/usr/sbin/nginx\"}"), "must be a process name"));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"process\", "
	    "\"command\": \"\"}"), "must be a process name"));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"process\", "
	    "\"pid\": 5, \"command\": \"x\"}"), "unknown key \"pid\""));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"process\", "
	    "\"command\": \"x\", \"immediate\": 1}"), "immediate"));
	config = test_load_check("{\"type\": \"process\", \"command\": "
	    "\"nginx\", \"immediate\": false}", error, sizeof(error));
	ck_assert_ptr_nonnull(config);
	ck_assert(!config->services[0].checks[0].immediate);
	ck_assert_str_eq(config->services[0].checks[0].description,
	    "process nginx");
	config_free(config);
	config = test_load_check("{\"type\": \"process\", \"command\": "
	    "\"nginx\", \"pidfile\": \"/run/nginx.pid\"}", error,
	    sizeof(error));
	ck_assert_ptr_nonnull(config);
	ck_assert(config->services[0].checks[0].immediate);
	ck_assert_str_eq(config->services[0].checks[0].description,
	    "process nginx (/run/nginx.pid)");
	config_free(config);
}
END_TEST

static Suite *
process_suite(void)
{
	Suite *suite = suite_create("check_process");
	TCase *tc = tcase_create("process");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pidfile_kill_fires_event_then_new_pid_passes);
	tcase_add_test(tc, test_stale_and_bad_pidfiles_fail);
	tcase_add_test(tc, test_pid_reuse_guard_by_name);
	tcase_add_test(tc, test_pid_reuse_guard_after_exit);
	tcase_add_test(tc, test_command_finds_oldest_and_fires);
	tcase_add_test(tc, test_unwatched_run_keeps_nothing);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(process_suite());
	int failed;

	log_init("test_check_process", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
