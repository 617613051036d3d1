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
 * interval given. */
static void
write_config(bool two, double verify)
{
	FILE *file = fopen(world.path, "w");

	ck_assert_ptr_nonnull(file);
	fprintf(file, "{\"bird\": {\"socket\": \"%s\", \"verify_interval\": "
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

	snprintf(include, sizeof(include), "%s/anycheck.conf", world.dir);
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

int
main(void)
{
	Suite *suite = suite_create("backend_bird");
	TCase *tcase = tcase_create("backend_bird");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, test_up_then_drain_enable_before_disable);
	tcase_add_test(tcase, test_reload_adds_service_and_applies_verify_interval);
	tcase_add_test(tcase, test_exit_disables_everything);
	tcase_add_test(tcase, test_restart_keeps_what_bird_announces);
	tcase_set_timeout(tcase, 30);
	suite_add_tcase(suite, tcase);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
