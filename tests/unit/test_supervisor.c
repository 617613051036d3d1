/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor tests
 *
 * The real supervisor on a loop with a virtual clock, with file checks
 * (which finish within the round's own dispatch) under configs loaded from
 * JSON text, observed as a backend would observe it: through the change
 * callback, the services' round counters and their round start times. Time
 * is virtual, so the assertions are exact: a round comes exactly at
 * interval or fast_interval, a change exactly at the round that made it.
 * Two tests run real processes (exec checks) on the real clock, because
 * what they test is process handling: runs never overlap, and cleanup
 * kills and reaps every child.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "health.h"
#include "log.h"
#include "loop.h"
#include "supervisor.h"
#include "virtual_clock.h"
#include "unit_support.h"

#define CHANGES_MAX 64

struct change {
	size_t service;
	enum health_state old_state;
	enum health_state new_state;
	uint64_t at_ns;         /* virtual */
	unsigned long rounds;   /* rounds the service had ended by then */
	char reason[SERVICE_REASON_MAX];
};

/* One test's world; Check runs each test in its own process. */
static struct {
	char dir[64];
	char up[128];           /* the file the file checks look at */
	char missing[128];      /* a file that never exists */
	char db[128];           /* scope tests: the global check's file */
	char count[128];        /* exec tests: one line per run */
	char maintenance[128];
	struct loop *loop;
	struct virtual_clock clock;
	bool virtual;           /* false: the real clock (exec tests) */
	uint64_t t0;            /* loop time when the supervisor started */
	struct config *config;
	struct supervisor *supervisor;
	struct change changes[CHANGES_MAX];
	size_t change_count;
} world;

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
	snprintf(world.missing, sizeof(world.missing), "%s/missing",
	    world.dir);
	snprintf(world.count, sizeof(world.count), "%s/count", world.dir);
	snprintf(world.db, sizeof(world.db), "%s/db", world.dir);
	snprintf(world.maintenance, sizeof(world.maintenance), "%s/maintenance",
	    world.dir);
	world.loop = loop_new();
	ck_assert_ptr_nonnull(world.loop);
	world.virtual = true;
	virtual_clock_attach(&world.clock, world.loop);
}

/* For the exec tests: back to CLOCK_MONOTONIC, before start(). */
static void
use_real_clock(void)
{
	loop_set_clock(world.loop, NULL, NULL);
	world.virtual = false;
}

static void
world_teardown(void)
{
	supervisor_free(world.supervisor);
	config_free(world.config);
	loop_free(world.loop);
	unlink(world.up);
	unlink(world.count);
	unlink(world.db);
	unlink(world.maintenance);
	rmdir(world.dir);
}

static size_t
service_index(const struct service *service)
{
	for (size_t i = 0; i < supervisor_service_count(world.supervisor); i++)
		if (supervisor_service_at(world.supervisor, i) == service)
			return i;
	ck_abort_msg("unknown service");
	return 0;
}

static void
record_change(struct supervisor *supervisor, struct service *service,
    const struct supervisor_change *what, void *arg)
{
	enum health_state old_state = what->old_state;
	struct change *change;

	(void)supervisor;
	ck_assert_ptr_eq(arg, &world);
	/* Announcement-only changes are not state transitions. */
	if (old_state == service_state(service))
		return;
	ck_assert_uint_lt(world.change_count, CHANGES_MAX);
	change = &world.changes[world.change_count++];
	change->service = service_index(service);
	change->old_state = old_state;
	change->new_state = service_state(service);
	change->at_ns = loop_now_ns(world.loop);
	change->rounds = service_rounds(service);
	snprintf(change->reason, sizeof(change->reason), "%s",
	    service_reason(service));
	ck_assert_int_ne(old_state, service_state(service));
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
	world.t0 = loop_now_ns(world.loop);
	world.supervisor = supervisor_new(world.loop, world.config,
	    record_change, &world);
}

/* Virtual: ms after t0 as nanoseconds. */
static uint64_t
at_ms(uint64_t ms)
{
	return world.t0 + ms * NSEC_PER_MSEC;
}

/* Run the loop for ms (virtual, or real in the exec tests). */
static void
run_for(int ms)
{
	uint64_t end;

	if (world.virtual) {
		ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
		    (uint64_t)ms * NSEC_PER_MSEC), 0);
		return;
	}
	end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;
	while (clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
}

/* Run until there are at least n changes or ms of virtual time passed. */
static bool
run_until_changes(size_t n, int ms)
{
	uint64_t end = loop_now_ns(world.loop) + (uint64_t)ms * NSEC_PER_MSEC;

	while (world.change_count < n && loop_now_ns(world.loop) < end)
		ck_assert_int_eq(virtual_clock_step(&world.clock, world.loop),
		    0);
	return world.change_count >= n;
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
	ck_assert_uint_lt(index, supervisor_service_count(world.supervisor));
	return supervisor_service_at(world.supervisor, index);
}

/* One service "s" with a file check on world.up, plus the given timing
 * and extra keys. */
#define SERVICE_FMT \
	"{\"services\": [{\"name\": \"s\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}], %s}]}"

START_TEST(test_rise_fall_recover)
{
	start(SERVICE_FMT, world.up,
	    "\"interval\": 0.05, \"fast_interval\": 0.01, \"rise\": 3, "
	    "\"fall\": 2, \"timeout\": 2, \"hold_down\": 0");
	test_touch(world.up);
	ck_assert_int_eq(service_state(service(0)), HEALTH_INIT);

	ck_assert(run_until_changes(2, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_RISING);
	assert_change(1, HEALTH_RISING, HEALTH_UP);
	/* RISING after the first passing round (at once), UP after exactly
	 * rise rounds, fast_interval apart. */
	ck_assert_int_eq(world.changes[0].rounds, 1);
	ck_assert_uint_eq(world.changes[0].at_ns, at_ms(0));
	ck_assert_int_eq(world.changes[1].rounds, 3);
	ck_assert_uint_eq(world.changes[1].at_ns, at_ms(20));

	/* Staying healthy changes nothing, while rounds go on at interval:
	 * 300 ms from 20 ms on is 6 more rounds. */
	run_for(300);
	ck_assert_uint_eq(world.change_count, 2);
	ck_assert_uint_eq(service_rounds(service(0)), 3 + 6);
	ck_assert_int_eq(service_state(service(0)), HEALTH_UP);

	/* The file goes away: FALLING on the first failing round, DOWN
	 * after exactly fall of them. */
	unlink(world.up);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DOWN);
	ck_assert_int_eq(world.changes[3].rounds - world.changes[2].rounds, 1);
	ck_assert_uint_eq(world.changes[2].at_ns, at_ms(370));
	ck_assert_uint_eq(world.changes[3].at_ns - world.changes[2].at_ns,
	    10 * NSEC_PER_MSEC);
	ck_assert_ptr_nonnull(strstr(world.changes[2].reason,
	    "does not exist"));

	/* Back again: RISING at once, UP after rise passing rounds. */
	test_touch(world.up);
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
	start(SERVICE_FMT, world.up,
	    "\"interval\": 0.02, \"fast_interval\": 0.01, \"rise\": 1, "
	    "\"fall\": 1");
	test_touch(world.up);
	ck_assert(run_until_changes(1, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_UP);
	ck_assert_int_eq(world.changes[0].rounds, 1);
	unlink(world.up);
	ck_assert(run_until_changes(2, 3000));
	assert_change(1, HEALTH_UP, HEALTH_DOWN);
	ck_assert_uint_eq(world.changes[1].at_ns, at_ms(20));
	run_for(100);
	ck_assert_uint_eq(world.change_count, 2);
}
END_TEST

START_TEST(test_first_round_fails)
{
	/* Nothing announced yet, so no RISING/FALLING detour: DOWN at once. */
	start(SERVICE_FMT, world.up,
	    "\"interval\": 0.02, \"fast_interval\": 0.01, \"rise\": 2, "
	    "\"fall\": 3");
	ck_assert(run_until_changes(1, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_DOWN);
	ck_assert_int_eq(world.changes[0].rounds, 1);
	ck_assert_uint_eq(world.changes[0].at_ns, at_ms(0));
}
END_TEST

START_TEST(test_maintenance)
{
	char extra[512];

	snprintf(extra, sizeof(extra), "\"interval\": 0.02, "
	    "\"fast_interval\": 0.01, \"rise\": 2, \"fall\": 1, "
	    "\"drain\": {\"seconds\": 0.05}, "
	    "\"maintenance_file\": \"%s\"", world.maintenance);
	start(SERVICE_FMT, world.up, extra);
	test_touch(world.up);
	ck_assert(run_until_changes(2, 3000));
	assert_change(1, HEALTH_RISING, HEALTH_UP);

	/* A planned withdraw drains first (checks still run), then the
	 * service is DISABLED exactly drain.seconds later. */
	test_touch(world.maintenance);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_DRAINING);
	ck_assert_ptr_nonnull(strstr(world.changes[2].reason, "appeared"));
	assert_change(3, HEALTH_DRAINING, HEALTH_DISABLED);
	ck_assert_uint_eq(world.changes[3].at_ns - world.changes[2].at_ns,
	    50 * NSEC_PER_MSEC);
	/* While DISABLED no round runs, even when the checked file goes
	 * away (about 15 rounds' worth). */
	unsigned long rounds = service_rounds(service(0));
	unlink(world.up);
	run_for(300);
	ck_assert_uint_eq(service_rounds(service(0)), rounds);
	ck_assert_uint_eq(world.change_count, 4);
	ck_assert_int_eq(service_state(service(0)), HEALTH_DISABLED);

	/* Maintenance over: INIT, and it must rise again from scratch. */
	test_touch(world.up);
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
	test_touch(world.up);
	test_touch(world.maintenance);
	start(SERVICE_FMT, world.up, extra);
	ck_assert(run_until_changes(1, 3000));
	assert_change(0, HEALTH_INIT, HEALTH_DISABLED);
	run_for(200);
	ck_assert_uint_eq(world.change_count, 1);
	ck_assert_uint_eq(service_rounds(service(0)), 0);
	unlink(world.maintenance);
	ck_assert(run_until_changes(3, 3000));
	assert_change(1, HEALTH_DISABLED, HEALTH_INIT);
	assert_change(2, HEALTH_INIT, HEALTH_UP);
	ck_assert_int_eq(world.changes[2].rounds, 1);
}
END_TEST

/* A service named name with the given checks (JSON array text) and
 * require value (JSON text, or NULL for the default), and a prefix of its
 * own (a prefix belongs to one service). */
static char *
service_json(const char *name, const char *checks, const char *require)
{
	static int prefixes_used;
	char *text;

	ck_assert_int_ge(asprintf(&text, "{\"name\": \"%s\", \"prefixes\": "
	    "[\"192.0.2.%d/32\"], \"checks\": %s, %s%s%s\"rise\": 1, "
	    "\"fall\": 1, \"interval\": 0.02, \"fast_interval\": 0.01}",
	    name, ++prefixes_used, checks,
	    require != NULL ? "\"require\": " : "",
	    require != NULL ? require : "", require != NULL ? ", " : ""), 0);
	return text;
}

START_TEST(test_require_policies)
{
	char up[256], missing[256], checks[1024];
	char *services[6];

	test_touch(world.up);
	snprintf(up, sizeof(up), "{\"type\": \"file\", \"path\": \"%s\"}",
	    world.up);
	snprintf(missing, sizeof(missing), "{\"type\": \"file\", "
	    "\"path\": \"%s\"}", world.missing);
	snprintf(checks, sizeof(checks), "[%s, %s]", up, missing);
	services[0] = service_json("any", checks, "\"any\"");
	services[1] = service_json("all", checks, "\"all\"");
	services[2] = service_json("default", checks, NULL);
	snprintf(checks, sizeof(checks), "[%s, %s, %s]", up, up, missing);
	services[3] = service_json("two-of-three", checks, "2");
	services[4] = service_json("three-of-three", checks, "3");
	snprintf(checks, sizeof(checks), "[%s, %s, %s]", missing, up, missing);
	services[5] = service_json("two-of-one", checks, "2");
	start("{\"services\": [%s, %s, %s, %s, %s, %s]}", services[0],
	    services[1], services[2], services[3], services[4], services[5]);
	for (size_t i = 0; i < 6; i++)
		free(services[i]);

	ck_assert(run_until_changes(6, 3000));
	/* Many rounds later nothing changed: "any" and 2 stay UP. The last
	 * reason (what SIGUSR1 logs) always names the failing check. */
	for (int step = 0; step < 30; step++) {
		run_for(10);
		for (size_t i = 0; i < 6; i++)
			ck_assert_msg(strstr(service_reason(service(i)),
			    "missing") != NULL, "service %zu: reason \"%s\"",
			    i, service_reason(service(i)));
	}
	ck_assert_uint_eq(world.change_count, 6);
	static const enum health_state expected[6] = { HEALTH_UP, HEALTH_DOWN,
	    HEALTH_DOWN, HEALTH_UP, HEALTH_DOWN, HEALTH_DOWN };
	for (size_t i = 0; i < 6; i++) {
		ck_assert_msg(service_state(service(i)) == expected[i],
		    "service %s is %s", service_name(service(i)),
		    health_state_name(service_state(service(i))));
		ck_assert_uint_gt(service_rounds(service(i)), 10);
	}
	/* A met policy still names the failing check in the reason. */
	for (size_t i = 0; i < 6; i++) {
		const char *reason = world.changes[i].reason;
		size_t index = world.changes[i].service;
		ck_assert_msg(strstr(reason, "missing") != NULL,
		    "service %zu: reason \"%s\"", index, reason);
		ck_assert_msg((strstr(reason, "policy met") != NULL) ==
		    (expected[index] == HEALTH_UP), "service %zu: reason "
		    "\"%s\"", index, reason);
	}

	/* Every failing check is named, not only the first: "two-of-one"
	 * has two. */
	{
		const char *reason = service_reason(service(5));
		const char *second = strstr(reason, "; check file");
		ck_assert_msg(strncmp(reason, "check file", 10) == 0 &&
		    second != NULL && strstr(second, "missing") != NULL,
		    "reason \"%s\"", reason);
	}

	/* Losing the other file too: "any" falls, 2 of 3 falls. */
	unlink(world.up);
	ck_assert(run_until_changes(8, 3000));
	run_for(100);
	ck_assert_uint_eq(world.change_count, 8);
	ck_assert_int_eq(service_state(service(0)), HEALTH_DOWN);
	ck_assert_int_eq(service_state(service(3)), HEALTH_DOWN);
}
END_TEST

/* Failure scope: a local file check on world.up and a global one on
 * world.db (a dependency every site shares), with a last resort. */
#define SCOPE_FMT \
	"{\"services\": [{\"name\": \"s\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}, " \
	"{\"type\": \"file\", \"path\": \"%s\", \"scope\": \"global\"}], " \
	"\"announce\": {\"med\": 100}, " \
	"\"last_resort\": {\"med\": 700, \"communities\": [\"65000:666\"]}, " \
	"\"interval\": 0.05, \"fast_interval\": 0.01, \"rise\": 2, " \
	"\"fall\": 2, \"hold_down\": 0}]}"

static const struct announce_attributes *
announcement(void)
{
	return supervisor_announcement(service(0));
}

START_TEST(test_scope_global_failure_degraded)
{
	const struct service_config *config;

	test_touch(world.up);
	test_touch(world.db);
	start(SCOPE_FMT, world.up, world.db);
	config = &world.config->services[0];
	ck_assert(run_until_changes(2, 3000));
	assert_change(1, HEALTH_RISING, HEALTH_UP);
	ck_assert_ptr_eq(announcement(), &config->announce);

	/* The shared dependency fails: FALLING, then DEGRADED after exactly
	 * fall rounds, announced with the last resort (not withdrawn). */
	unlink(world.db);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DEGRADED);
	ck_assert_int_eq(world.changes[3].rounds - world.changes[2].rounds, 1);
	ck_assert_uint_eq(world.changes[3].at_ns - world.changes[2].at_ns,
	    10 * NSEC_PER_MSEC);
	ck_assert_msg(strncmp(world.changes[3].reason, "only global checks "
	    "fail: check file ", 35) == 0 && strstr(world.changes[3].reason,
	    "/db (global): fail") != NULL && strstr(world.changes[3].reason,
	    "; announcing with last_resort") != NULL, "reason \"%s\"",
	    world.changes[3].reason);
	ck_assert_ptr_eq(announcement(), &config->last_resort.attributes);
	ck_assert_uint_eq(announcement()->med, 700);
	/* It stays so, rounds at interval: 10 rounds in 500 ms. */
	unsigned long rounds = service_rounds(service(0));
	run_for(500);
	ck_assert_uint_eq(world.change_count, 4);
	ck_assert_uint_eq(service_rounds(service(0)), rounds + 10);

	/* Now a local failure as well: DOWN by the usual fall rule (two
	 * rounds with a local failure), withdrawn. */
	unlink(world.up);
	ck_assert(run_until_changes(5, 3000));
	assert_change(4, HEALTH_DEGRADED, HEALTH_DOWN);
	ck_assert_msg(strstr(world.changes[4].reason, "/up: fail") != NULL &&
	    strstr(world.changes[4].reason, "last_resort") == NULL,
	    "reason \"%s\"", world.changes[4].reason);
	ck_assert_ptr_null(announcement());
	ck_assert_uint_eq(world.changes[4].rounds, rounds + 10 + 2);

	/* The local problem is fixed, the shared one is not: announced
	 * again with the last resort after rise rounds. */
	test_touch(world.up);
	ck_assert(run_until_changes(7, 3000));
	assert_change(5, HEALTH_DOWN, HEALTH_RISING);
	assert_change(6, HEALTH_RISING, HEALTH_DEGRADED);
	ck_assert_ptr_eq(announcement(), &config->last_resort.attributes);

	/* The dependency is back: UP after rise passing rounds. */
	test_touch(world.db);
	ck_assert(run_until_changes(8, 3000));
	assert_change(7, HEALTH_DEGRADED, HEALTH_UP);
	ck_assert_int_eq(world.changes[7].rounds - world.changes[6].rounds, 2);
	ck_assert_ptr_eq(announcement(), &config->announce);
	ck_assert_str_eq(world.changes[7].reason, "2 of 2 checks passed");
}
END_TEST

/* An "immediate" check that is global: its failure is certain, but of
 * something every site shares, so it leads to DEGRADED like any global
 * failure, never to DOWN at once; an immediate local one is DOWN at once. */
#define SCOPE_IMMEDIATE_FMT \
	"{\"services\": [{\"name\": \"s\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\", " \
	"\"immediate\": true}, {\"type\": \"file\", \"path\": \"%s\", " \
	"\"scope\": \"global\", \"immediate\": true}], " \
	"\"last_resort\": {\"med\": 700}, " \
	"\"interval\": 0.05, \"fast_interval\": 0.01, \"rise\": 2, " \
	"\"fall\": 3, \"hold_down\": 0}]}"

START_TEST(test_scope_immediate_global_is_not_certain)
{
	test_touch(world.up);
	test_touch(world.db);
	start(SCOPE_IMMEDIATE_FMT, world.up, world.db);
	ck_assert(run_until_changes(2, 3000));
	unlink(world.db);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DEGRADED);
	ck_assert_int_eq(world.changes[3].rounds - world.changes[2].rounds, 2);
	/* The local immediate check fails: DOWN at the first such round. */
	unlink(world.up);
	ck_assert(run_until_changes(5, 3000));
	assert_change(4, HEALTH_DEGRADED, HEALTH_DOWN);
	ck_assert_ptr_null(announcement());
}
END_TEST

/* A local failure alone withdraws as it always did; the global check
 * passing changes nothing. */
START_TEST(test_scope_local_failure_down)
{
	test_touch(world.up);
	test_touch(world.db);
	start(SCOPE_FMT, world.up, world.db);
	ck_assert(run_until_changes(2, 3000));
	unlink(world.up);
	ck_assert(run_until_changes(4, 3000));
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DOWN);
	ck_assert_int_eq(world.changes[3].rounds - world.changes[2].rounds, 1);
	ck_assert_ptr_null(announcement());
	ck_assert_msg(strncmp(world.changes[3].reason, "check file ", 11) ==
	    0, "reason \"%s\"", world.changes[3].reason);
	run_for(300);
	ck_assert_uint_eq(world.change_count, 4);
}
END_TEST

/* Both fail in the same rounds: a local failure, DOWN. */
START_TEST(test_scope_both_fail_down)
{
	test_touch(world.up);
	test_touch(world.db);
	start(SCOPE_FMT, world.up, world.db);
	ck_assert(run_until_changes(2, 3000));
	unlink(world.up);
	unlink(world.db);
	ck_assert(run_until_changes(4, 3000));
	assert_change(3, HEALTH_FALLING, HEALTH_DOWN);
	ck_assert_msg(strstr(world.changes[3].reason, "/up: fail") != NULL &&
	    strstr(world.changes[3].reason, "/db (global): fail") != NULL,
	    "reason \"%s\"", world.changes[3].reason);
}
END_TEST

START_TEST(test_slow_check_never_overlaps)
{
	long starts = 0, ends = 0;
	char text[128];
	size_t length;
	FILE *file;

	use_real_clock();
	start("{\"services\": [{\"name\": \"slow\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"exec\", "
	    "\"shell\": true, \"command\": \"echo s >> %s; sleep 0.2; "
	    "echo e >> %s\"}], \"interval\": 0.02, \"fast_interval\": 0.01, "
	    "\"timeout\": 2}]}", world.count, world.count);
	run_for(900);
	/* Stop here; the run in progress is killed before its "e". */
	supervisor_free(world.supervisor);
	world.supervisor = NULL;

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

START_TEST(test_fast_interval_while_changing)
{
	uint64_t started[64];
	enum health_state after[64];
	size_t count = 0;
	bool removed = false;

	test_touch(world.up);
	/* A file check completes within the round's own dispatch, so after
	 * each step the state is the one that round left. */
	start("{\"services\": [{\"name\": \"s\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\"}], \"interval\": 0.2, \"fast_interval\": 0.02, "
	    "\"rise\": 4, \"fall\": 4, \"hold_down\": 0}]}", world.up);
	while (count < 64) {
		uint64_t last = count > 0 ? started[count - 1] : 0;
		ck_assert_int_eq(virtual_clock_step(&world.clock, world.loop),
		    0);
		if (service_rounds(service(0)) == count)
			continue;
		ck_assert_uint_eq(service_rounds(service(0)), count + 1);
		started[count] = service_round_started_ns(service(0));
		after[count] = service_state(service(0));
		ck_assert(count == 0 || started[count] > last);
		count++;
		/* Three rounds in UP, then fail; three rounds in DOWN. */
		if (!removed && count >= 3 && after[count - 3] == HEALTH_UP) {
			unlink(world.up);
			removed = true;
		}
		if (removed && count >= 3 && after[count - 3] == HEALTH_DOWN)
			break;
	}
	assert_change(1, HEALTH_RISING, HEALTH_UP);
	assert_change(2, HEALTH_UP, HEALTH_FALLING);
	assert_change(3, HEALTH_FALLING, HEALTH_DOWN);
	/* Each round comes exactly fast_interval after a round that left
	 * the state changing (INIT, RISING, FALLING), else interval. */
	for (size_t i = 0; i + 1 < count; i++) {
		bool fast = after[i] == HEALTH_INIT ||
		    after[i] == HEALTH_RISING || after[i] == HEALTH_FALLING;
		ck_assert_msg(started[i + 1] - started[i] ==
		    (fast ? 20 : 200) * NSEC_PER_MSEC, "round %zu after %s "
		    "came after %.1f ms", i + 1, health_state_name(after[i]),
		    (double)(started[i + 1] - started[i]) / 1e6);
	}
	ck_assert_uint_ge(count, 10);
}
END_TEST

/* A fake connection counter that records every count it is asked for and
 * answers 10 connections fewer each time, from 25. */
static struct {
	unsigned calls;
	size_t queries[16];
	uint64_t at_ns[16];
} counted;

static int
fake_count(void *counter, struct conn_count_query *queries,
    size_t query_count, void (*done)(int status, void *arg), void *arg)
{
	(void)counter;
	ck_assert_uint_lt(counted.calls, 16);
	counted.queries[counted.calls] = query_count;
	counted.at_ns[counted.calls] = loop_now_ns(world.loop);
	for (size_t i = 0; i < query_count; i++)
		queries[i].count = 25 - 10 * (long)counted.calls;
	counted.calls++;
	done(0, arg);
	return 0;
}

START_TEST(test_five_drains_counted_together)
{
	char *text = NULL, *services[5];

	test_touch(world.up);
	for (int i = 0; i < 5; i++)
		ck_assert_int_ge(asprintf(&services[i], "{\"name\": \"s%d\", "
		    "\"prefixes\": [\"192.0.2.%d/32\"], \"checks\": "
		    "[{\"type\": \"file\", \"path\": \"%s\"}], \"rise\": 1, "
		    "\"drain\": {\"seconds\": 60, \"min_seconds\": 0, "
		    "\"connections\": {\"max\": 5}}}", i, i + 1, world.up), 0);
	ck_assert_int_ge(asprintf(&text, "%s, %s, %s, %s, %s", services[0],
	    services[1], services[2], services[3], services[4]), 0);
	start("{\"services\": [%s]}", text);
	free(text);
	for (int i = 0; i < 5; i++)
		free(services[i]);
	supervisor_set_conn_counter(world.supervisor,
	    &(struct supervisor_conn_counter){ .start = fake_count });
	/* All five UP within one interval (first rounds are spread). */
	ck_assert(run_until_changes(5, 2000));
	uint64_t started = loop_now_ns(world.loop);
	for (int i = 0; i < 5; i++) {
		char name[8];
		snprintf(name, sizeof(name), "s%d", i);
		ck_assert_int_eq(supervisor_set_maintenance(world.supervisor,
		    name, true, "test"), 0);
	}
	/* Each tick counts all five at once: 25, 15, then 5 <= max ends
	 * every drain together, 0.5 s apart, with no turn-taking. */
	ck_assert(run_until_changes(15, 5000));
	ck_assert_uint_eq(counted.calls, 3);
	for (unsigned c = 0; c < 3; c++) {
		ck_assert_uint_eq(counted.queries[c], 5);
		ck_assert_uint_eq(counted.at_ns[c],
		    started + c * NSEC_PER_SEC / 2);
	}
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(service_state(service(i)), HEALTH_DISABLED);
		ck_assert_int_eq(service_health(service(i))->drain_end,
		    HEALTH_DRAIN_END_CONNECTIONS);
		ck_assert_int_eq(service_drain_connections(service(i)), 5);
	}
	/* Nothing drains any more: no more counts. */
	run_for(3000);
	ck_assert_uint_eq(counted.calls, 3);
}
END_TEST

/* A counter that can never count: the drain runs to its time bound, and
 * the log says so once, not at every count (every 0.5 s). */
static unsigned failing_calls;

static int
failing_count(void *counter, struct conn_count_query *queries,
    size_t query_count, void (*done)(int status, void *arg), void *arg)
{
	(void)counter;
	(void)queries;
	(void)query_count;
	failing_calls++;
	done(-1, arg);
	return 0;
}

START_TEST(test_count_failure_logged_once)
{
	char log[64];

	test_capture_log(log);
	test_touch(world.up);
	start("{\"services\": [{\"name\": \"s\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\"}], \"rise\": 1, \"drain\": {\"seconds\": 3, "
	    "\"min_seconds\": 0, \"connections\": {\"max\": 0}}}]}",
	    world.up);
	supervisor_set_conn_counter(world.supervisor,
	    &(struct supervisor_conn_counter){ .start = failing_count });
	ck_assert(run_until_changes(1, 2000));
	ck_assert_int_eq(supervisor_set_maintenance(world.supervisor, "s",
	    true, "test"), 0);
	run_for(3500);
	ck_assert_uint_ge(failing_calls, 5);
	ck_assert_int_eq(service_state(service(0)), HEALTH_DISABLED);
	ck_assert_int_eq(service_health(service(0))->drain_end,
	    HEALTH_DRAIN_END_TIME);
	ck_assert_uint_eq(test_log_count(log, "cannot count connections"), 1);
	unlink(log);
}
END_TEST

START_TEST(test_cleanup_while_checks_run)
{
	int fds_before = fd_count();
	uint64_t end;
	bool all_running = false;

	use_real_clock();
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
		/* A round with checks in flight has not ended: both
		 * services started their first round, none ended it. */
		all_running = service_round_started_ns(service(0)) != 0 &&
		    service_round_started_ns(service(1)) != 0 &&
		    fd_count() >= fds_before + 3;
	}
	ck_assert(all_running);
	run_for(50);    /* let the shell set its trap */
	ck_assert_int_gt(fd_count(), fds_before);

	uint64_t started = clock_now_ns();
	supervisor_free(world.supervisor);
	world.supervisor = NULL;
	ck_assert_uint_lt(clock_now_ns() - started, 5 * NSEC_PER_SEC);
	/* Every child reaped already, no pipe left open. */
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert_int_eq(fd_count(), fds_before);
	ck_assert_uint_eq(world.change_count, 0);
}
END_TEST

/* A TCP listener on 127.0.0.1 that accepts and closes every connection,
 * on the test's loop: a healthy service for tcp checks. */
static void
listener_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	int client;

	(void)loop;
	(void)events;
	(void)arg;
	while ((client = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) != -1)
		close(client);
}

static int
listener_start(uint16_t *port)
{
	struct sockaddr_in address = { .sin_family = AF_INET };
	socklen_t length = sizeof(address);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&address, length), 0);
	ck_assert_int_eq(listen(fd, 128), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&address,
	    &length), 0);
	*port = ntohs(address.sin_port);
	ck_assert_int_eq(loop_add_fd(world.loop, fd, EPOLLIN, listener_accept,
	    NULL), 0);
	return fd;
}

/* Out of file descriptors (ulimit -n reached), tcp checks report
 * local-error: the healthy UP services stay UP, round after round, and
 * the errors are counted; a round that the other checks decide on their
 * own still counts (a real failure still withdraws). */
START_TEST(test_local_errors_keep_state)
{
	struct rlimit saved, lowered;
	char tcp[128], checks[3][512];
	unsigned long rounds;
	uint16_t port;
	int listen_fd = listener_start(&port);

	test_touch(world.up);
	test_touch(world.count);
	snprintf(tcp, sizeof(tcp), "{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": %u}", port);
	snprintf(checks[0], sizeof(checks[0]), "[%s]", tcp);
	snprintf(checks[1], sizeof(checks[1]), "[%s, {\"type\": \"file\", "
	    "\"path\": \"%s\"}]", tcp, world.up);
	snprintf(checks[2], sizeof(checks[2]), "[%s, {\"type\": \"file\", "
	    "\"path\": \"%s\"}]", tcp, world.count);
	char *services[3] = {
		service_json("tcp", checks[0], NULL),
		service_json("any", checks[1], "\"any\""),
		service_json("all", checks[2], "\"all\""),
	};
	start("{\"services\": [%s, %s, %s]}", services[0], services[1],
	    services[2]);
	for (size_t i = 0; i < 3; i++)
		free(services[i]);
	ck_assert(run_until_changes(3, 3000));
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(service_state(service(i)), HEALTH_UP);
	ck_assert_uint_eq(supervisor_local_errors(world.supervisor,
	    CHECK_LOCAL_FILE_DESCRIPTORS), 0);

	/* ulimit -n reached: every new descriptor fails with EMFILE (a
	 * limit of 0, so that a descriptor closed meanwhile frees none). */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	lowered = saved;
	lowered.rlim_cur = 0;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lowered), 0);
	rounds = service_rounds(service(0));
	run_for(1000);
	ck_assert_uint_eq(world.change_count, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(service_state(service(i)), HEALTH_UP);
	/* 50 rounds of 20 ms, one tcp check each in 3 services. */
	ck_assert_uint_ge(service_rounds(service(0)), rounds + 49);
	ck_assert_uint_ge(supervisor_local_errors(world.supervisor,
	    CHECK_LOCAL_FILE_DESCRIPTORS), 3 * 49);
	ck_assert_uint_eq(supervisor_local_errors(world.supervisor,
	    CHECK_LOCAL_MEMORY), 0);

	/* "all" loses its file: decided without the tcp check, so it goes
	 * DOWN; "any" is still met by its file. */
	unlink(world.count);
	ck_assert(run_until_changes(4, 1000));
	ck_assert_uint_eq(world.changes[3].service, 2);
	assert_change(3, HEALTH_UP, HEALTH_DOWN);
	ck_assert_ptr_nonnull(strstr(world.changes[3].reason,
	    "does not exist"));

	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	run_for(500);
	ck_assert_uint_eq(world.change_count, 4);
	ck_assert_int_eq(service_state(service(0)), HEALTH_UP);
	ck_assert_int_eq(service_state(service(1)), HEALTH_UP);
	ck_assert_str_eq(service_reason(service(0)), "1 of 1 checks passed");
	loop_remove_fd(world.loop, listen_fd);
	close(listen_fd);
}
END_TEST

/* "immediate": a failed run of such a check is a certain failure: DOWN at
 * that round, not after fall rounds; back after rise rounds as ever. Under
 * "require": "any" the other check still carries the service. */
START_TEST(test_immediate_run_failure)
{
	char text[2048];

	snprintf(text, sizeof(text), "{\"defaults\": {\"interval\": 0.05, "
	    "\"fast_interval\": 0.01, \"rise\": 2, \"fall\": 3, "
	    "\"hold_down\": 0}, \"services\": ["
	    "{\"name\": \"s\", \"prefixes\": [\"192.0.2.1/32\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"%s\", "
	    "\"immediate\": true}]}, "
	    "{\"name\": \"t\", \"prefixes\": [\"192.0.2.2/32\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}]}, "
	    "{\"name\": \"u\", \"prefixes\": [\"192.0.2.3/32\"], "
	    "\"require\": \"any\", \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\", \"immediate\": true}, {\"type\": \"file\", "
	    "\"path\": \"%s\", \"absent\": true}]}]}", world.up, world.up,
	    world.up, world.missing);
	start("%s", text);
	test_touch(world.up);
	run_for(200);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(service_state(service(i)), HEALTH_UP);
	world.change_count = 0;
	unlink(world.up);
	run_for(60);
	/* s: UP -> DOWN at its first failing round; t: FALLING first, DOWN
	 * fall rounds later; u: still UP. */
	ck_assert_int_eq(service_state(service(0)), HEALTH_DOWN);
	ck_assert_int_eq(service_state(service(1)), HEALTH_DOWN);
	ck_assert_int_eq(service_state(service(2)), HEALTH_UP);
	ck_assert_uint_eq(world.change_count, 3);
	ck_assert_uint_eq(world.changes[0].service, 0);
	assert_change(0, HEALTH_UP, HEALTH_DOWN);
	ck_assert_ptr_nonnull(strstr(world.changes[0].reason,
	    "does not exist"));
	ck_assert_uint_eq(world.changes[1].service, 1);
	assert_change(1, HEALTH_UP, HEALTH_FALLING);
	assert_change(2, HEALTH_FALLING, HEALTH_DOWN);
	ck_assert_uint_eq(world.changes[2].rounds - world.changes[1].rounds,
	    2);
	/* Back: rise rounds, as for any failure. */
	test_touch(world.up);
	run_for(1);
	world.change_count = 0;
	run_for(60);
	ck_assert_int_eq(service_state(service(0)), HEALTH_UP);
	for (size_t i = 0, seen = 0; i < world.change_count; i++) {
		if (world.changes[i].service != 0)
			continue;
		if (seen++ == 0)
			assert_change(i, HEALTH_DOWN, HEALTH_RISING);
		else
			assert_change(i, HEALTH_RISING, HEALTH_UP);
	}
}
END_TEST

/* Event-driven: the process's exit takes an immediate check's service
 * DOWN in the same instant (no virtual time passes), fall 3 or not; a
 * service whose process check is not immediate runs a round at once and
 * is FALLING. Back once a new process is in the pidfile, after rise. */
START_TEST(test_process_event_down_at_once)
{
	char pidfile[160], text[2048];
	pid_t first, second;
	uint64_t killed_at;

	snprintf(pidfile, sizeof(pidfile), "%s/service.pid", world.dir);
	first = test_spawn_sleeper(pidfile);
	snprintf(text, sizeof(text), "{\"defaults\": {\"interval\": 1, "
	    "\"fast_interval\": 0.5, \"rise\": 2, \"fall\": 3, "
	    "\"hold_down\": 0}, \"services\": ["
	    "{\"name\": \"s\", \"prefixes\": [\"192.0.2.1/32\"], "
	    "\"checks\": [{\"type\": \"process\", \"pidfile\": \"%s\"}, "
	    "{\"type\": \"file\", \"path\": \"%s\"}]}, "
	    "{\"name\": \"n\", \"prefixes\": [\"192.0.2.2/32\"], "
	    "\"checks\": [{\"type\": \"process\", \"pidfile\": \"%s\", "
	    "\"immediate\": false}]}]}", pidfile, world.up, pidfile);
	test_touch(world.up);
	start("%s", text);
	run_for(2000);
	ck_assert_int_eq(service_state(service(0)), HEALTH_UP);
	ck_assert_int_eq(service_state(service(1)), HEALTH_UP);
	world.change_count = 0;
	run_for(600);           /* between rounds, fast_interval after n's */
	killed_at = loop_now_ns(world.loop);
	test_kill_and_wait(first);
	ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	ck_assert_uint_eq(loop_now_ns(world.loop), killed_at);
	ck_assert_int_eq(service_state(service(0)), HEALTH_DOWN);
	ck_assert_uint_ge(world.change_count, 1);
	ck_assert_uint_eq(world.changes[0].service, 0);
	assert_change(0, HEALTH_UP, HEALTH_DOWN);
	ck_assert_uint_eq(world.changes[0].at_ns, killed_at);
	ck_assert_ptr_nonnull(strstr(world.changes[0].reason, "exited"));
	/* n's round comes now, not at its next interval. */
	run_for(0);
	ck_assert_int_eq(service_state(service(1)), HEALTH_FALLING);
	ck_assert_uint_eq(world.changes[1].at_ns, killed_at);
	/* A round of s meanwhile changes nothing (and nothing is counted
	 * twice): DOWN stays. */
	run_for(1000);
	ck_assert_int_eq(service_state(service(0)), HEALTH_DOWN);

	second = test_spawn_sleeper(pidfile);
	run_for(2000);
	ck_assert_int_eq(service_state(service(0)), HEALTH_UP);
	ck_assert_int_eq(service_state(service(1)), HEALTH_UP);
	test_kill_and_wait(second);
	ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	ck_assert_int_eq(service_state(service(0)), HEALTH_DOWN);
}
END_TEST

static Suite *
supervisor_suite(void)
{
	Suite *suite = suite_create("supervisor");
	TCase *tc = tcase_create("supervisor");

	tcase_add_checked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rise_fall_recover);
	tcase_add_test(tc, test_rise_one_fall_one);
	tcase_add_test(tc, test_first_round_fails);
	tcase_add_test(tc, test_maintenance);
	tcase_add_test(tc, test_maintenance_from_start);
	tcase_add_test(tc, test_require_policies);
	tcase_add_test(tc, test_scope_global_failure_degraded);
	tcase_add_test(tc, test_scope_local_failure_down);
	tcase_add_test(tc, test_scope_immediate_global_is_not_certain);
	tcase_add_test(tc, test_scope_both_fail_down);
	tcase_add_test(tc, test_slow_check_never_overlaps);
	tcase_add_test(tc, test_fast_interval_while_changing);
	tcase_add_test(tc, test_five_drains_counted_together);
	tcase_add_test(tc, test_count_failure_logged_once);
	tcase_add_test(tc, test_cleanup_while_checks_run);
	tcase_add_test(tc, test_local_errors_keep_state);
	tcase_add_test(tc, test_immediate_run_failure);
	tcase_add_test(tc, test_process_event_down_at_once);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(supervisor_suite());
	int failed;

	log_init("test_supervisor", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
