/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor tests
 *
 * A real loop and real checks (file checks on a temporary file, exec checks
 * that append a line to a counter file so the test can count rounds) under
 * configs loaded from JSON text. Everything is observed as a backend would
 * observe it: through the state-change callback, plus the counter file for
 * how many rounds ran, and the services' public round start times for how
 * far apart rounds are. Every wait is bounded; timing assertions compare
 * orderings and ratios with wide margins, since test machines are noisy.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "health.h"
#include "log.h"
#include "loop.h"
#include "service.h"

#define CHANGES_MAX 64

struct change {
	size_t service;
	enum health_state old_state;
	enum health_state new_state;
	uint64_t at_ns;
	long rounds;            /* lines in the counter file at that moment */
	char reason[SERVICE_REASON_MAX];
};

/* One test's world; Check runs each test in its own process. */
static struct {
	char dir[64];
	char up[128];           /* the file the file checks look at */
	char count[128];        /* one line per run of the counting check */
	char count2[128];
	char maintenance[128];
	struct loop *loop;
	struct config *config;
	struct supervisor supervisor;
	bool started;
	struct change changes[CHANGES_MAX];
	size_t change_count;
} world;

static void
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ck_assert_int_ne(fd, -1);
	close(fd);
}

/* Lines in path, 0 when it does not exist. */
static long
line_count(const char *path)
{
	FILE *file = fopen(path, "r");
	long lines = 0;
	int c;

	if (file == NULL)
		return 0;
	while ((c = fgetc(file)) != EOF)
		if (c == '\n')
			lines++;
	fclose(file);
	return lines;
}

static int
fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int count = 0;

	ck_assert_ptr_nonnull(dir);
	while ((entry = readdir(dir)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	closedir(dir);
	return count - 1;       /* the directory's own fd */
}

static void
world_setup(void)
{
	memset(&world, 0, sizeof(world));
	snprintf(world.dir, sizeof(world.dir), "/tmp/anycheck-service-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(world.dir));
	snprintf(world.up, sizeof(world.up), "%s/up", world.dir);
	snprintf(world.count, sizeof(world.count), "%s/count", world.dir);
	snprintf(world.count2, sizeof(world.count2), "%s/count2", world.dir);
	snprintf(world.maintenance, sizeof(world.maintenance), "%s/maintenance",
	    world.dir);
	world.loop = loop_new();
	ck_assert_ptr_nonnull(world.loop);
}

static void
world_teardown(void)
{
	if (world.started)
		supervisor_cleanup(&world.supervisor);
	config_free(world.config);
	loop_free(world.loop);
	unlink(world.up);
	unlink(world.count);
	unlink(world.count2);
	unlink(world.maintenance);
	rmdir(world.dir);
}

static void
record_change(struct supervisor *supervisor, struct service *service,
    const struct supervisor_change *what, void *arg)
{
	enum health_state old_state = what->old_state;
	struct change *change;

	ck_assert_ptr_eq(arg, &world);
	/* Announcement-only changes are not state transitions. */
	if (old_state == service->health.state)
		return;
	ck_assert_uint_lt(world.change_count, CHANGES_MAX);
	change = &world.changes[world.change_count++];
	change->service = supervisor->service_count;
	for (size_t i = 0; i < supervisor->service_count; i++)
		if (supervisor->services[i] == service)
			change->service = i;
	ck_assert_uint_lt(change->service, supervisor->service_count);
	change->old_state = old_state;
	change->new_state = service->health.state;
	change->at_ns = clock_now_ns();
	change->rounds = line_count(world.count);
	snprintf(change->reason, sizeof(change->reason), "%s",
	    service->reason);
	ck_assert_int_ne(old_state, service->health.state);
}

/* Load config text (printf-style, so paths can be filled in) and start the
 * supervisor on it. */
static void __attribute__((format(printf, 1, 2)))
start(const char *fmt, ...)
{
	struct config_errors errors;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	config_errors_init(&errors);
	if (config_load_text("test.json", text, &world.config, &errors) != 0) {
		for (size_t i = 0; i < errors.count; i++)
			fprintf(stderr, "%s\n", errors.messages[i]);
		ck_abort_msg("config did not load: %s", text);
	}
	config_errors_clear(&errors);
	free(text);
	supervisor_init(&world.supervisor, world.loop, world.config,
	    record_change, &world);
	world.started = true;
}

/* Run the loop until there are at least n changes or ms passed. */
static bool
run_until_changes(size_t n, int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (world.change_count < n && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
	return world.change_count >= n;
}

static void
run_for(int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
}

static void
assert_change(size_t index, enum health_state old_state,
    enum health_state new_state)
{
	ck_assert_uint_gt(world.change_count, index);
	ck_assert_msg(world.changes[index].old_state == old_state &&
	    world.changes[index].new_state == new_state,
	    "change %zu: expected %s -> %s, got %s -> %s", index,
	    health_state_name(old_state), health_state_name(new_state),
	    health_state_name(world.changes[index].old_state),
	    health_state_name(world.changes[index].new_state));
}

static struct service *
service(size_t index)
{
	ck_assert_uint_lt(index, world.supervisor.service_count);
	return world.supervisor.services[index];
}

/* One service "s" with a file check on world.up and an exec check that
 * appends a line to world.count (so each round leaves one line), plus the
 * given timing and extra keys. */
#define SERVICE_FMT \
	"{\"services\": [{\"name\": \"s\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}, " \
	"{\"type\": \"exec\", \"shell\": true, \"command\": \"echo r >> %s\"}]," \
	" %s}]}"

START_TEST(test_rise_fall_recover)
{
	start(SERVICE_FMT, world.up, world.count,
	    "\"interval\": 0.05, \"fast_interval\": 0.01, \"rise\": 3, "
	    "\"fall\": 2, \"timeout\": 2");
	touch(world.up);
	ck_assert_int_eq(service(0)->health.state, HEALTH_INIT);

	ck_assert(run_until_changes(2, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_RISING);
	assert_change(1, HEALTH_RISING, HEALTH_UP);
	/* RISING after the first passing round, UP after exactly rise. */
	ck_assert_int_eq(world.changes[0].rounds, 1);
	ck_assert_int_eq(world.changes[1].rounds, 3);

	/* Staying healthy changes nothing, while rounds go on. */
	long before = line_count(world.count);
	run_for(300);
	ck_assert_uint_eq(world.change_count, 2);
	ck_assert_int_gt(line_count(world.count), before + 1);
	ck_assert_int_eq(service(0)->health.state, HEALTH_UP);

	/* The file goes away: FALLING on the first failing round, DOWN
	 * after exactly fall of them. */
	unlink(world.up);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DOWN);
	ck_assert_int_eq(world.changes[3].rounds - world.changes[2].rounds, 1);
	ck_assert_ptr_nonnull(strstr(world.changes[2].reason,
	    "does not exist"));

	/* Back again: RISING at once, UP after rise passing rounds. */
	touch(world.up);
	ck_assert(run_until_changes(6, 3000));
	assert_change(4, HEALTH_DOWN, HEALTH_RISING);
	assert_change(5, HEALTH_RISING, HEALTH_UP);
	ck_assert_int_eq(world.changes[5].rounds - world.changes[4].rounds, 2);
	run_for(100);
	ck_assert_uint_eq(world.change_count, 6);
}
END_TEST

START_TEST(test_rise_one_fall_one)
{
	start(SERVICE_FMT, world.up, world.count,
	    "\"interval\": 0.02, \"fast_interval\": 0.01, \"rise\": 1, "
	    "\"fall\": 1");
	touch(world.up);
	ck_assert(run_until_changes(1, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_UP);
	ck_assert_int_eq(world.changes[0].rounds, 1);
	unlink(world.up);
	ck_assert(run_until_changes(2, 3000));
	assert_change(1, HEALTH_UP, HEALTH_DOWN);
	run_for(100);
	ck_assert_uint_eq(world.change_count, 2);
}
END_TEST

START_TEST(test_first_round_fails)
{
	/* Nothing announced yet, so no RISING/FALLING detour: DOWN at once. */
	start(SERVICE_FMT, world.up, world.count,
	    "\"interval\": 0.02, \"fast_interval\": 0.01, \"rise\": 2, "
	    "\"fall\": 3");
	ck_assert(run_until_changes(1, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_DOWN);
	ck_assert_int_eq(world.changes[0].rounds, 1);
}
END_TEST

START_TEST(test_maintenance)
{
	char extra[512];

	snprintf(extra, sizeof(extra), "\"interval\": 0.02, "
	    "\"fast_interval\": 0.01, \"rise\": 2, \"fall\": 1, "
	    "\"drain\": {\"seconds\": 0.05}, "
	    "\"maintenance_file\": \"%s\"", world.maintenance);
	start(SERVICE_FMT, world.up, world.count, extra);
	touch(world.up);
	ck_assert(run_until_changes(2, 3000));
	assert_change(1, HEALTH_RISING, HEALTH_UP);

	/* A planned withdraw drains first (checks still run), then the
	 * service is DISABLED. */
	touch(world.maintenance);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_DRAINING);
	ck_assert_ptr_nonnull(strstr(world.changes[2].reason, "appeared"));
	assert_change(3, HEALTH_DRAINING, HEALTH_DISABLED);
	/* Let a round that was running when the drain ended finish; then
	 * nothing may start: the counting check leaves no new line, even
	 * when the checked file goes away (about 15 rounds' worth). */
	run_for(100);
	long rounds = line_count(world.count);
	unlink(world.up);
	for (int i = 0; i < 30; i++) {
		run_for(10);
		ck_assert(!service(0)->checks[0].running);
		ck_assert(!service(0)->checks[1].running);
	}
	ck_assert_int_eq(line_count(world.count), rounds);
	ck_assert_uint_eq(world.change_count, 4);
	ck_assert_int_eq(service(0)->health.state, HEALTH_DISABLED);

	/* Maintenance over: INIT, and it must rise again from scratch. */
	touch(world.up);
	unlink(world.maintenance);
	ck_assert(run_until_changes(6, 3000));
	assert_change(4, HEALTH_DISABLED, HEALTH_INIT);
	assert_change(5, HEALTH_INIT, HEALTH_RISING);
	ck_assert(run_until_changes(7, 3000));
	assert_change(6, HEALTH_RISING, HEALTH_UP);
	ck_assert_int_eq(world.changes[5].rounds, rounds + 1);
	ck_assert_int_eq(world.changes[6].rounds, rounds + 2);
}
END_TEST

START_TEST(test_maintenance_from_start)
{
	char extra[512];

	snprintf(extra, sizeof(extra), "\"interval\": 0.02, "
	    "\"fast_interval\": 0.01, \"rise\": 1, "
	    "\"maintenance_file\": \"%s\"", world.maintenance);
	touch(world.up);
	touch(world.maintenance);
	start(SERVICE_FMT, world.up, world.count, extra);
	ck_assert(run_until_changes(1, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_DISABLED);
	run_for(200);
	ck_assert_uint_eq(world.change_count, 1);
	ck_assert_int_eq(line_count(world.count), 0);
	unlink(world.maintenance);
	ck_assert(run_until_changes(3, 3000));
	assert_change(1, HEALTH_DISABLED, HEALTH_INIT);
	assert_change(2, HEALTH_INIT, HEALTH_UP);
	ck_assert_int_eq(world.changes[2].rounds, 1);
}
END_TEST

/* A service named name with the given checks (JSON array text) and
 * require value (JSON text, or NULL for the default). */
static char *
service_json(const char *name, const char *checks, const char *require)
{
	char *text;

	ck_assert_int_ge(asprintf(&text, "{\"name\": \"%s\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": %s, %s%s%s\"rise\": 1, "
	    "\"fall\": 1, \"interval\": 0.02, \"fast_interval\": 0.01}",
	    name, checks, require != NULL ? "\"require\": " : "",
	    require != NULL ? require : "", require != NULL ? ", " : ""), 0);
	return text;
}

#define CHECK_TRUE "{\"type\": \"exec\", \"command\": [\"true\"]}"
#define CHECK_FALSE "{\"type\": \"exec\", \"command\": [\"false\"]}"

START_TEST(test_require_policies)
{
	char file_check[256];
	char checks[1024];
	char *services[6];

	touch(world.up);
	snprintf(file_check, sizeof(file_check), "{\"type\": \"file\", "
	    "\"path\": \"%s\"}", world.up);
	snprintf(checks, sizeof(checks), "[%s, %s]", file_check, CHECK_FALSE);
	services[0] = service_json("any", checks, "\"any\"");
	services[1] = service_json("all", checks, "\"all\"");
	services[2] = service_json("default", checks, NULL);
	snprintf(checks, sizeof(checks), "[%s, %s, %s]", CHECK_TRUE,
	    file_check, CHECK_FALSE);
	services[3] = service_json("two-of-three", checks, "2");
	services[4] = service_json("three-of-three", checks, "3");
	snprintf(checks, sizeof(checks), "[%s, %s, %s]", CHECK_FALSE,
	    file_check, CHECK_FALSE);
	services[5] = service_json("two-of-one", checks, "2");
	start("{\"services\": [%s, %s, %s, %s, %s, %s]}", services[0],
	    services[1], services[2], services[3], services[4], services[5]);
	for (size_t i = 0; i < 6; i++)
		free(services[i]);

	ck_assert(run_until_changes(6, 3000));
	/* Several rounds later nothing changed: "any" and 2 stay UP. The
	 * last reason (what SIGUSR1 logs) always describes a whole round,
	 * also while the next round is running. */
	uint64_t end = clock_now_ns() + 300 * NSEC_PER_MSEC;
	while (clock_now_ns() < end) {
		ck_assert_int_eq(loop_run_once(world.loop, 1), 0);
		for (size_t i = 0; i < 6; i++)
			ck_assert_msg(strstr(service(i)->reason, "exec false")
			    != NULL, "service %zu: reason \"%s\"", i,
			    service(i)->reason);
	}
	ck_assert_uint_eq(world.change_count, 6);
	static const enum health_state expected[6] = { HEALTH_UP, HEALTH_DOWN,
	    HEALTH_DOWN, HEALTH_UP, HEALTH_DOWN, HEALTH_DOWN };
	for (size_t i = 0; i < 6; i++) {
		ck_assert_msg(service(i)->health.state == expected[i],
		    "service %s is %s", service(i)->config->name,
		    health_state_name(service(i)->health.state));
		ck_assert_uint_gt(service(i)->health.consecutive_passes +
		    service(i)->health.consecutive_failures, 3);
	}
	/* A met policy still names the failing check in the reason. */
	for (size_t i = 0; i < 6; i++) {
		const char *reason = world.changes[i].reason;
		size_t index = world.changes[i].service;
		ck_assert_msg(strstr(reason, "exec false") != NULL,
		    "service %zu: reason \"%s\"", index, reason);
		ck_assert_msg((strstr(reason, "policy met") != NULL) ==
		    (expected[index] == HEALTH_UP), "service %zu: reason "
		    "\"%s\"", index, reason);
	}

	/* Losing the file check too: "any" falls, 2 of 3 falls. */
	unlink(world.up);
	ck_assert(run_until_changes(8, 3000));
	run_for(100);
	ck_assert_uint_eq(world.change_count, 8);
	ck_assert_int_eq(service(0)->health.state, HEALTH_DOWN);
	ck_assert_int_eq(service(3)->health.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_slow_check_never_overlaps)
{
	long starts = 0, ends = 0;
	char text[128];
	size_t length;
	FILE *file;

	start("{\"services\": [{\"name\": \"slow\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"exec\", "
	    "\"shell\": true, \"command\": \"echo s >> %s; sleep 0.2; "
	    "echo e >> %s\"}], \"interval\": 0.02, \"fast_interval\": 0.01, "
	    "\"timeout\": 2}]}", world.count, world.count);
	run_for(900);
	/* Stop here; the run in progress is killed before its "e". */
	supervisor_cleanup(&world.supervisor);
	world.started = false;

	file = fopen(world.count, "r");
	ck_assert_ptr_nonnull(file);
	length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	/* Starts and ends strictly alternate: never two runs at once. */
	ck_assert_uint_eq(length % 2, 0);
	for (size_t i = 0; i < length; i += 2) {
		ck_assert_msg(text[i] == (i % 4 == 0 ? 's' : 'e'),
		    "runs overlap: %s", text);
		ck_assert_int_eq(text[i + 1], '\n');
		if (text[i] == 's')
			starts++;
		else
			ends++;
	}
	/* Each run takes 0.2 s: at most 6 in about 1 s, and the next run
	 * follows the previous one soon, not only after a long pause. */
	ck_assert_int_ge(starts, ends);
	ck_assert_int_le(starts, ends + 1);
	ck_assert_int_ge(ends, 3);
	ck_assert_int_le(starts, 6);
}
END_TEST

struct round {
	uint64_t started_ns;
	enum health_state state_after;
};

START_TEST(test_fast_interval_while_changing)
{
	struct round rounds[128];
	size_t count = 0;
	uint64_t fast_ns = 20 * NSEC_PER_MSEC, slow_ns = 200 * NSEC_PER_MSEC;

	touch(world.up);
	/* A file check alone completes within the round's own dispatch, so
	 * after each loop_run_once the state is the one that round left. */
	start("{\"services\": [{\"name\": \"s\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\"}], \"interval\": 0.2, \"fast_interval\": 0.02, "
	    "\"rise\": 4, \"fall\": 4}]}", world.up);
	uint64_t last = 0;
	bool removed = false;
	uint64_t end = clock_now_ns() + 5 * NSEC_PER_SEC;
	while (clock_now_ns() < end && count < 128) {
		ck_assert_int_eq(loop_run_once(world.loop, 2), 0);
		struct service *s = service(0);
		if (s->round_started_ns == last)
			continue;
		last = s->round_started_ns;
		rounds[count].started_ns = last;
		rounds[count].state_after = s->health.state;
		count++;
		/* Three rounds in UP, then fail; three rounds in DOWN. */
		if (!removed && world.change_count == 2 &&
		    count >= 2 && rounds[count - 3].state_after == HEALTH_UP) {
			unlink(world.up);
			removed = true;
		}
		if (world.change_count == 4 &&
		    rounds[count - 3].state_after == HEALTH_DOWN)
			break;
	}
	ck_assert(removed);
	assert_change(1, HEALTH_RISING, HEALTH_UP);
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DOWN);

	uint64_t fast_max = 0, slow_min = UINT64_MAX;
	size_t fast_gaps = 0, slow_gaps = 0;
	for (size_t i = 0; i + 1 < count; i++) {
		uint64_t gap = rounds[i + 1].started_ns - rounds[i].started_ns;
		/* No hold-down here: fast exactly while the state changes. */
		enum health_state after = rounds[i].state_after;
		bool fast = after == HEALTH_INIT || after == HEALTH_RISING ||
		    after == HEALTH_FALLING;
		/* Never early (a little slack for clock rounding). */
		ck_assert_msg(gap + NSEC_PER_MSEC >= (fast ? fast_ns : slow_ns),
		    "round %zu after %s came after %.1f ms", i + 1,
		    health_state_name(rounds[i].state_after), gap / 1e6);
		if (fast) {
			fast_gaps++;
			if (gap > fast_max)
				fast_max = gap;
		} else {
			slow_gaps++;
			if (gap < slow_min)
				slow_min = gap;
		}
	}
	/* rise - 1 gaps in RISING, fall - 1 in FALLING; UP and DOWN each
	 * at least two. Every fast gap is shorter than every slow one. */
	ck_assert_uint_ge(fast_gaps, 6);
	ck_assert_uint_ge(slow_gaps, 4);
	ck_assert_msg(fast_max < slow_min, "fast gap up to %.1f ms, slow "
	    "gap from %.1f ms", fast_max / 1e6, slow_min / 1e6);
}
END_TEST

START_TEST(test_cleanup_while_checks_run)
{
	int fds_before = fd_count();
	uint64_t end;
	bool all_running = false;

	start("{\"defaults\": {\"timeout\": 10, \"interval\": 0.02, "
	    "\"fast_interval\": 0.01}, \"services\": ["
	    "{\"name\": \"a\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"command\": [\"sleep\", \"5\"]}, "
	    "{\"type\": \"exec\", \"command\": [\"sleep\", \"6\"]}]}, "
	    "{\"name\": \"b\", \"prefixes\": [\"192.0.2.2/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"shell\": true, \"command\": "
	    "\"trap '' TERM; sleep 5\"}]}]}");
	end = clock_now_ns() + 3 * NSEC_PER_SEC;
	while (!all_running && clock_now_ns() < end) {
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
		all_running = service(0)->checks[0].running &&
		    service(0)->checks[1].running &&
		    service(1)->checks[0].running;
	}
	ck_assert(all_running);
	run_for(50);    /* let the shell set its trap */
	ck_assert_int_gt(fd_count(), fds_before);

	uint64_t started = clock_now_ns();
	supervisor_cleanup(&world.supervisor);
	world.started = false;
	ck_assert_uint_lt(clock_now_ns() - started, 5 * NSEC_PER_SEC);
	/* Every child reaped already, no pipe left open. */
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert_int_eq(fd_count(), fds_before);
	ck_assert_uint_eq(world.change_count, 0);
}
END_TEST

static Suite *
service_suite(void)
{
	Suite *suite = suite_create("service");
	TCase *tc = tcase_create("service");

	tcase_add_checked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rise_fall_recover);
	tcase_add_test(tc, test_rise_one_fall_one);
	tcase_add_test(tc, test_first_round_fails);
	tcase_add_test(tc, test_maintenance);
	tcase_add_test(tc, test_maintenance_from_start);
	tcase_add_test(tc, test_require_policies);
	tcase_add_test(tc, test_slow_check_never_overlaps);
	tcase_add_test(tc, test_fast_interval_while_changing);
	tcase_add_test(tc, test_cleanup_while_checks_run);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(service_suite());
	int failed;

	log_init("test_service", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
