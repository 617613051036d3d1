/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the daemon core with the BIRD backend, against a fake BIRD
 *
 * The daemon runs on a virtual clock with bird.socket pointing at the fake
 * BIRD of tests/unit/fake_bird.c, which declares the protocols the config
 * gives and records every command and every change of a protocol's state.
 * File checks make each service's health a file the test creates or
 * removes. What is asserted is what BIRD would have: which protocols are
 * enabled, in which order they changed, and what was sent.
 */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bird_sync.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "fake_bird.h"
#include "log.h"
#include "loop.h"
#include "supervisor.h"
#include "virtual_clock.h"
#include "unit_support.h"

static struct {
	char dir[64];
	char path[128];
	char up[2][128];
	char maintenance[128];
	struct loop *loop;
	struct virtual_clock clock;
	struct fake_bird fake;
	struct daemon daemon;
	bool started;
	bool reloaded;
	struct daemon_reload_report report;
} world;

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	snprintf(world.dir, sizeof(world.dir), "/tmp/anycheck-bbird-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(world.dir));
	snprintf(world.path, sizeof(world.path), "%s/anycheck.json", world.dir);
	for (int i = 0; i < 2; i++)
		snprintf(world.up[i], sizeof(world.up[i]), "%s/up%d", world.dir,
		    i);
	snprintf(world.maintenance, sizeof(world.maintenance), "%s/maint",
	    world.dir);
	world.loop = loop_new();
	ck_assert_ptr_nonnull(world.loop);
	virtual_clock_attach(&world.clock, world.loop);
	fake_bird_init(&world.fake, world.loop, true);
	log_init("test", LOG_LEVEL_WARNING, false);
}

static void
teardown(void)
{
	if (world.started)
		daemon_cleanup(&world.daemon);
	fake_bird_close(&world.fake);
	loop_free(world.loop);
	for (int i = 0; i < 2; i++)
		unlink(world.up[i]);
	unlink(world.maintenance);
	unlink(world.path);
	rmdir(world.dir);
}

/* Service "web" (192.0.2.1) and, with two, "db" (192.0.2.2); the verify
 * interval given; with include, bird.include_file (the fake reads it at
 * "configure"). */
static void
write_config_include(bool two, double verify, const char *include)
{
	FILE *file = fopen(world.path, "w");

	ck_assert_ptr_nonnull(file);
	if (include != NULL) {
		world.fake.include_path = include;
		fprintf(file, "{\"bird\": {\"include_file\": \"%s\", ",
		    include);
	} else
		fprintf(file, "{\"bird\": {");
	fprintf(file, "\"socket\": \"%s\", \"verify_interval\": "
	    "%g}, \"defaults\": {\"interval\": 1, \"fast_interval\": 0.5, "
	    "\"rise\": 2, \"fall\": 2, \"hold_down\": 0, \"drain\": "
	    "{\"seconds\": 5}}, \"services\": [{\"name\": \"web\", "
	    "\"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\": "
	    "\"file\", \"path\": \"%s\"}], \"maintenance_file\": \"%s\"}",
	    world.fake.path, verify, world.up[0], world.maintenance);
	if (two)
		fprintf(file, ", {\"name\": \"db\", \"prefixes\": "
		    "[\"192.0.2.2/32\"], \"checks\": [{\"type\": \"file\", "
		    "\"path\": \"%s\"}]}", world.up[1]);
	fprintf(file, "]}");
	ck_assert_int_eq(fclose(file), 0);
}

static void
write_config(bool two, double verify)
{
	write_config_include(two, verify, NULL);
}

static void
start(void)
{
	struct config_errors errors;
	struct config *config = NULL;

	config_errors_init(&errors);
	if (config_load(world.path, &config, &errors) != 0) {
		config_errors_log(&errors);
		ck_abort_msg("config did not load");
	}
	config_errors_clear(&errors);
	daemon_defaults(&world.daemon, "test");
	ck_assert_int_eq(daemon_init(&world.daemon, world.loop, config,
	    world.path, &backend_bird_ops), 0);
	world.started = true;
}

/* Advance virtual time in 10 ms steps; at each, a few loop rounds with
 * no wait let the fake and the client answer each other (one socket
 * exchange per round, all in this process). */
static void
advance_ms(uint64_t ms)
{
	for (uint64_t step = 0; step < (ms + 9) / 10; step++) {
		ck_assert_int_eq(virtual_clock_advance(&world.clock,
		    world.loop, 10 * NSEC_PER_MSEC), 0);
		for (int round = 0; round < 8; round++)
			ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	}
}

static bool
enabled(const char *protocol)
{
	struct fake_bird_protocol *p = fake_bird_find(&world.fake, protocol);

	ck_assert_msg(p != NULL, "BIRD has no protocol %s", protocol);
	return p->enabled;
}

static void
record_reload(void *arg, const struct daemon_reload_report *report)
{
	(void)arg;
	world.reloaded = true;
	world.report = *report;
}

/* Reload and wait (real time: the file loads on a thread). */
static void
reload(void)
{
	static struct daemon_observer observer = {
		.reloaded = record_reload,
	};

	if (world.daemon.observers != &observer)
		daemon_add_observer(&world.daemon, &observer);
	world.reloaded = false;
	daemon_reload(&world.daemon);
	for (int i = 0; i < 500 && !world.reloaded; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	ck_assert(world.reloaded);
	ck_assert_msg(world.report.ok, "%s", world.report.summary);
}

START_TEST(test_up_then_drain_enable_before_disable)
{
	write_config(false, 30);
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_drain");
	test_touch(world.up[0]);
	start();
	advance_ms(1000);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert(!enabled("anycheck_web_v4_drain"));
	/* Maintenance: the drain protocol comes up before the UP one goes,
	 * so the prefix is never without a route; then both go. */
	size_t first = world.fake.change_count;
	test_touch(world.maintenance);
	advance_ms(1100);
	ck_assert(enabled("anycheck_web_v4_drain"));
	ck_assert(!enabled("anycheck_web_v4"));
	ck_assert_uint_ge(world.fake.change_count, first + 2);
	ck_assert(world.fake.changes[first].enabled);
	ck_assert_str_eq(world.fake.protocols[world.fake.changes[first]
	    .protocol].name, "anycheck_web_v4_drain");
	advance_ms(5000);
	ck_assert(!enabled("anycheck_web_v4_drain"));
	ck_assert(!enabled("anycheck_web_v4"));
}
END_TEST

/* Failure scope: while only the global check (up1) fails, the service is
 * DEGRADED and BIRD runs its _degraded protocol (the last_resort set),
 * enabled before the UP one is disabled, so the route never goes away;
 * a local failure then withdraws; recovery switches back the same way. */
START_TEST(test_degraded_switches_enable_before_disable)
{
	FILE *file = fopen(world.path, "w");
	size_t first;

	ck_assert_ptr_nonnull(file);
	fprintf(file, "{\"bird\": {\"socket\": \"%s\"}, \"services\": [{"
	    "\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}, "
	    "{\"type\": \"file\", \"path\": \"%s\", \"scope\": \"global\"}], "
	    "\"last_resort\": {\"med\": 700}, \"interval\": 1, "
	    "\"fast_interval\": 0.5, \"rise\": 2, \"fall\": 2, "
	    "\"hold_down\": 0}]}", world.fake.path, world.up[0], world.up[1]);
	ck_assert_int_eq(fclose(file), 0);
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_degraded");
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	start();
	advance_ms(1000);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert(!enabled("anycheck_web_v4_degraded"));

	/* The shared dependency fails: DEGRADED after fall rounds. */
	first = world.fake.change_count;
	unlink(world.up[1]);
	advance_ms(1600);
	ck_assert_int_eq(service_state(supervisor_find(world.daemon.supervisor,
	    "web")), HEALTH_DEGRADED);
	ck_assert(enabled("anycheck_web_v4_degraded"));
	ck_assert(!enabled("anycheck_web_v4"));
	ck_assert_uint_eq(world.fake.change_count, first + 2);
	ck_assert(world.fake.changes[first].enabled);
	ck_assert_str_eq(world.fake.protocols[world.fake.changes[first]
	    .protocol].name, "anycheck_web_v4_degraded");

	/* A local failure as well: withdrawn after fall such rounds. */
	unlink(world.up[0]);
	advance_ms(1600);
	ck_assert_int_eq(service_state(supervisor_find(world.daemon.supervisor,
	    "web")), HEALTH_DOWN);
	ck_assert_uint_eq(fake_bird_enabled_count(&world.fake), 0);

	/* Both back: announced again (DEGRADED never in between), UP. */
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	advance_ms(1600);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert(!enabled("anycheck_web_v4_degraded"));
}
END_TEST

START_TEST(test_reload_adds_service_and_applies_verify_interval)
{
	size_t listings;

	write_config(false, 30);
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_drain");
	fake_bird_add(&world.fake, "anycheck_db_v4");
	fake_bird_add(&world.fake, "anycheck_db_v4_drain");
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	start();
	advance_ms(1000);
	ck_assert(enabled("anycheck_web_v4"));
	/* A hand "disable" is corrected only by the verify pass: not within
	 * 10 s while bird.verify_interval is 30. */
	fake_bird_set(&world.fake, "anycheck_web_v4", false);
	advance_ms(10000);
	ck_assert(!enabled("anycheck_web_v4"));
	/* A reload adding "db" and setting verify_interval 1: db comes up
	 * once healthy, and the drift is corrected within about 1 s. */
	write_config(true, 1);
	reload();
	ck_assert_uint_eq(world.report.services.added, 1);
	ck_assert_uint_eq(world.report.applied_count, 1);
	ck_assert_str_eq(world.report.applied[0], "bird.verify_interval");
	listings = fake_bird_count_commands(&world.fake, "show protocols");
	advance_ms(1500);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert(enabled("anycheck_db_v4"));
	advance_ms(5000);
	/* One listing a second from now on. */
	ck_assert_uint_ge(fake_bird_count_commands(&world.fake,
	    "show protocols") - listings, 5);
}
END_TEST

START_TEST(test_exit_disables_everything)
{
	write_config(true, 30);
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_drain");
	fake_bird_add(&world.fake, "anycheck_db_v4");
	fake_bird_add(&world.fake, "anycheck_db_v4_drain");
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	start();
	advance_ms(1500);
	ck_assert_uint_eq(fake_bird_enabled_count(&world.fake), 2);
	daemon_stop(&world.daemon, "test", true);
	advance_ms(100);
	ck_assert_uint_eq(fake_bird_enabled_count(&world.fake), 0);
	ck_assert_uint_eq(backend_bird_ops.undelivered(world.daemon.backend),
	    0);
}
END_TEST

/* A restart's config: "web" with rise 3 (UP at the third round, 1 s
 * after start) and bird.include_file in the test's directory, which the
 * fake reads at "configure". */
static void
restart_config(char *include, size_t size)
{
	FILE *file;

	snprintf(include, size, "%s/anycheck.conf", world.dir);
	world.fake.include_path = include;
	file = fopen(world.path, "w");
	ck_assert_ptr_nonnull(file);
	fprintf(file, "{\"bird\": {\"socket\": \"%s\", \"include_file\": "
	    "\"%s\"}, \"defaults\": {\"interval\": 1, \"fast_interval\": "
	    "0.5, \"rise\": 3, \"fall\": 2, \"hold_down\": 0}, "
	    "\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\"}]}]}", world.fake.path, include, world.up[0]);
	ck_assert_int_eq(fclose(file), 0);
}

/* A restarted anycheck-bird with bird.include_file: BIRD still has the
 * service's UP protocol enabled from the last run. Until the service's
 * first verdict nothing turns it off: not a command, and not the include
 * written at start, which declares it as BIRD has it. */
START_TEST(test_restart_keeps_what_bird_announces)
{
	char include[160];
	FILE *file;
	char text[4096];
	size_t length;

	restart_config(include, sizeof(include));
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_drain");
	fake_bird_set(&world.fake, "anycheck_web_v4", true);
	test_touch(world.up[0]);
	start();
	/* Rounds at 0 and 0.5 s: RISING; UP only at 1 s (rise 3). */
	advance_ms(900);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert_uint_eq(fake_bird_count_commands(&world.fake,
	    "disable anycheck_web_v4"), 0);
	ck_assert_uint_ge(world.fake.configures, 1);
	file = fopen(include, "r");
	ck_assert_ptr_nonnull(file);
	length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	ck_assert_msg(strstr(text, "protocol static anycheck_web_v4 {\n"
	    "\tipv4;\n\tdisabled no;") != NULL, "include: %s", text);
	/* Every change of the protocol's state was the hand one. */
	for (size_t i = 0; i < world.fake.change_count; i++)
		ck_assert(world.fake.changes[i].by_hand ||
		    world.fake.changes[i].enabled);
	advance_ms(500);
	ck_assert(enabled("anycheck_web_v4"));
	unlink(include);
}
END_TEST

static char *
read_text(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = xcalloc(1, 65536);

	ck_assert_ptr_nonnull(file);
	(void)!fread(text, 1, 65535, file);
	fclose(file);
	return text;
}

/* The index in the fake's change record of the first change of protocol
 * to the state given at or after from; SIZE_MAX when none. */
static size_t
change_index(size_t from, const char *protocol, bool to)
{
	for (size_t i = from; i < world.fake.change_count; i++)
		if (world.fake.changes[i].enabled == to &&
		    strcmp(world.fake.protocols[world.fake.changes[i].protocol]
		    .name, protocol) == 0)
			return i;
	return SIZE_MAX;
}

static const char *
shift_refused(const char *service)
{
	return backend_bird_ops.shift_unsupported(world.daemon.backend,
	    service);
}

/* anycheckctl shift on anycheck-bird: the include file gets the _shift
 * protocol with the shifted attributes and BIRD re-reads it before the
 * switch, which is enable-before-disable; a new shift changes the
 * attributes in place; a cleared one goes back to the UP protocol, and
 * the _shift protocol leaves the file at the next rewrite. */
START_TEST(test_shift_declared_then_switched)
{
	char include[160];
	struct supervisor_shift shift = { .has_med = true, .med = 700 };
	size_t configures, first;
	char *text;

	snprintf(include, sizeof(include), "%s/anycheck.conf", world.dir);
	write_config_include(false, 30, include);
	test_touch(world.up[0]);
	start();
	advance_ms(1500);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert_ptr_null(fake_bird_find(&world.fake,
	    "anycheck_web_v4_shift"));
	ck_assert_ptr_null(shift_refused("web"));

	configures = world.fake.configures;
	first = world.fake.change_count;
	ck_assert_int_eq(supervisor_set_shift(world.daemon.supervisor, "web",
	    &shift), 0);
	advance_ms(100);
	ck_assert(enabled("anycheck_web_v4_shift"));
	ck_assert(!enabled("anycheck_web_v4"));
	ck_assert_uint_eq(world.fake.configures, configures + 1);
	ck_assert_uint_ne(change_index(first, "anycheck_web_v4", false),
	    SIZE_MAX);
	ck_assert_uint_lt(change_index(first, "anycheck_web_v4_shift", true),
	    change_index(first, "anycheck_web_v4", false));
	text = read_text(include);
	ck_assert_msg(strstr(text, "protocol static anycheck_web_v4_shift {\n"
	    "\tipv4;\n") != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "bgp_med = 700;"));
	free(text);

	/* A new shift: the attributes change in BIRD, no protocol moves. */
	first = world.fake.change_count;
	shift.med = 800;
	ck_assert_int_eq(supervisor_set_shift(world.daemon.supervisor, "web",
	    &shift), 0);
	advance_ms(100);
	ck_assert_uint_eq(world.fake.configures, configures + 2);
	ck_assert_uint_eq(world.fake.change_count, first);
	text = read_text(include);
	ck_assert_ptr_nonnull(strstr(text, "bgp_med = 800;"));
	ck_assert_ptr_null(strstr(text, "bgp_med = 700;"));
	free(text);

	/* Cleared: the UP protocol is back before the _shift one goes. */
	first = world.fake.change_count;
	ck_assert_int_eq(supervisor_set_shift(world.daemon.supervisor, "web",
	    NULL), 0);
	advance_ms(100);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert(!enabled("anycheck_web_v4_shift"));
	ck_assert_uint_ne(change_index(first, "anycheck_web_v4_shift", false),
	    SIZE_MAX);
	ck_assert_uint_lt(change_index(first, "anycheck_web_v4", true),
	    change_index(first, "anycheck_web_v4_shift", false));
	ck_assert_uint_eq(world.fake.configures, configures + 2);

	/* The next rewrite (a reload) no longer declares it. */
	reload();
	advance_ms(100);
	text = read_text(include);
	ck_assert_ptr_null(strstr(text, "anycheck_web_v4_shift"));
	free(text);
	ck_assert(!fake_bird_find(&world.fake,
	    "anycheck_web_v4_shift")->declared);
	ck_assert(enabled("anycheck_web_v4"));
	unlink(include);
}
END_TEST

/* Shifted while down: nothing moves in BIRD until the service is UP
 * again, and then it comes back with the shift, never with its UP
 * protocol. */
START_TEST(test_shift_while_down_recovers_shifted)
{
	char include[160];
	struct supervisor_shift shift = { .has_med = true, .med = 700 };
	size_t first;

	snprintf(include, sizeof(include), "%s/anycheck.conf", world.dir);
	write_config_include(false, 30, include);
	test_touch(world.up[0]);
	start();
	advance_ms(1500);
	ck_assert(enabled("anycheck_web_v4"));
	unlink(world.up[0]);
	advance_ms(2000);
	ck_assert(!enabled("anycheck_web_v4"));
	ck_assert_int_eq(supervisor_set_shift(world.daemon.supervisor, "web",
	    &shift), 0);
	first = world.fake.change_count;
	test_touch(world.up[0]);
	advance_ms(2000);
	ck_assert(enabled("anycheck_web_v4_shift"));
	ck_assert(!enabled("anycheck_web_v4"));
	ck_assert_uint_eq(change_index(first, "anycheck_web_v4", true),
	    SIZE_MAX);
	unlink(include);
}
END_TEST

/* A restarted anycheck-bird whose last run had shifted "web": BIRD runs
 * anycheck_web_v4_shift, declared by the include file left behind. It is
 * the service's, not an unowned protocol: BIRD keeps running it until the
 * service decides (here without the shift: back to the UP protocol, enabled
 * before the _shift one goes). */
START_TEST(test_restart_keeps_a_shifted_route)
{
	char include[160];
	size_t first;

	restart_config(include, sizeof(include));
	test_write_file(include, "protocol static anycheck_web_v4 {\n"
	    "\tipv4;\n\tdisabled yes;\n}\n"
	    "protocol static anycheck_web_v4_shift {\n"
	    "\tipv4;\n\tdisabled no;\n}\n");
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_shift");
	fake_bird_set(&world.fake, "anycheck_web_v4_shift", true);
	first = world.fake.change_count;
	test_touch(world.up[0]);
	start();
	/* Rounds at 0 and 0.5 s: RISING; UP only at 1 s (rise 3). */
	advance_ms(900);
	ck_assert(enabled("anycheck_web_v4_shift"));
	ck_assert_uint_eq(fake_bird_count_commands(&world.fake,
	    "disable anycheck_web_v4_shift"), 0);
	ck_assert_uint_ge(world.fake.configures, 1);
	ck_assert(fake_bird_find(&world.fake,
	    "anycheck_web_v4_shift")->declared);
	advance_ms(500);
	ck_assert(enabled("anycheck_web_v4"));
	ck_assert(!enabled("anycheck_web_v4_shift"));
	ck_assert_uint_lt(change_index(first, "anycheck_web_v4", true),
	    change_index(first, "anycheck_web_v4_shift", false));
	unlink(include);
}
END_TEST

/* Without bird.include_file a shift is refused, with the reason. */
START_TEST(test_shift_needs_include_file)
{
	write_config(false, 30);
	fake_bird_add(&world.fake, "anycheck_web_v4");
	fake_bird_add(&world.fake, "anycheck_web_v4_drain");
	start();
	ck_assert_ptr_nonnull(shift_refused("web"));
	ck_assert_ptr_nonnull(strstr(shift_refused("web"),
	    "bird.include_file"));
}
END_TEST

/* A process check: the service's process killed disables its protocol
 * at once, in the same instant of (virtual) time (the exchange with BIRD
 * takes a few turns of the loop, no time). */
START_TEST(test_process_killed_disables_at_once)
{
	char pidfile[160];
	FILE *file;
	pid_t pid;
	uint64_t killed_at;

	snprintf(pidfile, sizeof(pidfile), "%s/service.pid", world.dir);
	pid = test_spawn_sleeper(pidfile);
	file = fopen(world.path, "w");
	ck_assert_ptr_nonnull(file);
	fprintf(file, "{\"bird\": {\"socket\": \"%s\"}, \"defaults\": "
	    "{\"interval\": 1, \"fast_interval\": 0.5, \"rise\": 2, "
	    "\"fall\": 2, \"hold_down\": 0}, \"services\": [{\"name\": "
	    "\"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"process\", \"pidfile\": \"%s\"}]}]}",
	    world.fake.path, pidfile);
	ck_assert_int_eq(fclose(file), 0);
	fake_bird_add(&world.fake, "anycheck_web_v4");
	start();
	advance_ms(1000);
	ck_assert(enabled("anycheck_web_v4"));
	advance_ms(300);
	killed_at = loop_now_ns(world.loop);
	test_kill_and_wait(pid);
	for (int round = 0; round < 16; round++)
		ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	ck_assert_uint_eq(loop_now_ns(world.loop), killed_at);
	ck_assert(!enabled("anycheck_web_v4"));
	pid = test_spawn_sleeper(pidfile);
	advance_ms(2000);
	ck_assert(enabled("anycheck_web_v4"));
	test_kill_and_wait(pid);
	advance_ms(10);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("backend_bird");
	TCase *tcase = tcase_create("backend_bird");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, test_up_then_drain_enable_before_disable);
	tcase_add_test(tcase, test_degraded_switches_enable_before_disable);
	tcase_add_test(tcase, test_reload_adds_service_and_applies_verify_interval);
	tcase_add_test(tcase, test_exit_disables_everything);
	tcase_add_test(tcase, test_restart_keeps_what_bird_announces);
	tcase_add_test(tcase, test_shift_declared_then_switched);
	tcase_add_test(tcase, test_shift_while_down_recovers_shifted);
	tcase_add_test(tcase, test_shift_needs_include_file);
	tcase_add_test(tcase, test_restart_keeps_a_shifted_route);
	tcase_add_test(tcase, test_process_killed_disables_at_once);
	tcase_set_timeout(tcase, 30);
	suite_add_tcase(suite, tcase);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
