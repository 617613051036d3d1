/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor tests: reload, drain, exit
 *
 * Runs the real supervisor on a loop with a virtual clock, with file checks (which finish
 * at once) and records every change callback, the way a backend sees them:
 * a reload keeps unchanged services untouched, restarts changed ones with
 * their state (a DEGRADED one that loses its last resort is FALLING),
 * starts new ones in INIT and withdraws removed ones; a
 * maintenance drain announces the drain attributes and ends by the
 * injected connection count; an exit drains and then withdraws.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "supervisor.h"
#include "virtual_clock.h"

#define PRESENT TEST_DATA_DIR "/config_full.json"

#define SVC(name, prefix, extra) "{\"name\": \"" name "\", \"prefixes\": " \
	"[\"" prefix "\"], \"checks\": [{\"type\": \"file\", \"path\": \"" \
	PRESENT "\"}], \"rise\": 1, \"fall\": 1, \"interval\": 0.05, " \
	"\"fast_interval\": 0.05" extra "}"

struct record {
	char name[64];
	enum health_state state;
	bool withdraw;
	bool drain;
	bool reconfigured;
};

static struct virtual_clock virtual;

/* A loop on a fresh virtual clock: every wait below is virtual time. */
static struct loop *
new_loop(void)
{
	struct loop *loop = loop_new();

	ck_assert_ptr_nonnull(loop);
	virtual.now_ns = 0;
	virtual_clock_attach(&virtual, loop);
	return loop;
}

static struct record records[64];
static size_t record_count;
static bool stopped;

static void
on_change(struct supervisor *supervisor, struct service *service,
    const struct supervisor_change *change, void *arg)
{
	struct record *r = &records[record_count < 63 ? record_count++ : 63];

	(void)supervisor;
	(void)arg;
	snprintf(r->name, sizeof(r->name), "%s", service_name(service));
	r->state = service_state(service);
	r->withdraw = change->announcement == NULL;
	r->drain = change->announcement == &service_config(service)->drain_announce;
	r->reconfigured = change->old_config != service_config(service);
	ck_assert_ptr_eq(change->announcement,
	    supervisor_announcement(service));
}

static void
on_stopped(struct supervisor *supervisor, void *arg)
{
	(void)supervisor;
	(void)arg;
	stopped = true;
}

static struct config *
load(const char *text)
{
	struct config_errors errors;
	struct config *config;

	config_errors_init(&errors);
	if (config_load_text("t.json", text, &config, &errors) != 0) {
		config_errors_log(&errors);
		ck_abort_msg("config does not load");
	}
	config_errors_clear(&errors);
	return config;
}

/* Run the loop until the named service is in state (at most 5 s). */
static struct service *
wait_state(struct loop *loop, struct supervisor *supervisor,
    const char *name, enum health_state state)
{
	uint64_t deadline = loop_now_ns(loop) + 5 * NSEC_PER_SEC;
	struct service *service;

	for (;;) {
		service = supervisor_find(supervisor, name);
		if (service != NULL && service_state(service) == state)
			return service;
		ck_assert_msg(loop_now_ns(loop) < deadline, "%s never reached %s",
		    name, health_state_name(state));
		ck_assert_int_eq(virtual_clock_step(&virtual, loop), 0);
	}
}

static const struct record *
last_record(const char *name)
{
	for (size_t i = record_count; i > 0; i--)
		if (strcmp(records[i - 1].name, name) == 0)
			return &records[i - 1];
	return NULL;
}

START_TEST(test_reload_diff_applied)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *first = load("{\"services\": ["
	    SVC("keep", "192.0.2.1/32", "") ","
	    SVC("change", "192.0.2.2/32", "") ","
	    SVC("gone", "192.0.2.3/32", ", \"drain\": {\"seconds\": 0}") "]}");

	record_count = 0;
	supervisor = supervisor_new(loop, first, on_change, NULL);
	struct service *keep = wait_state(loop, supervisor, "keep", HEALTH_UP);
	wait_state(loop, supervisor, "change", HEALTH_UP);
	wait_state(loop, supervisor, "gone", HEALTH_UP);
	uint64_t since = service_state_since_ns(keep);
	unsigned passes = service_health(keep)->consecutive_passes;
	size_t before = record_count;

	/* "change" gets another prefix; "new" appears; "gone" goes. */
	supervisor_reload(supervisor, load("{\"services\": ["
	    SVC("new", "192.0.2.4/32", "") ","
	    SVC("keep", "192.0.2.1/32", "") ","
	    "{\"name\": \"change\", \"prefixes\": [\"192.0.2.2/32\", "
	    "\"192.0.2.5/32\"], \"checks\": [{\"type\": \"file\", \"path\": \""
	    PRESENT "\"}], \"rise\": 1, \"fall\": 1, \"interval\": 0.05, "
	    "\"fast_interval\": 0.05}]}"), NULL);

	/* Unchanged: the same object, state and since-time, no callback. */
	ck_assert_ptr_eq(supervisor_find(supervisor, "keep"), keep);
	ck_assert_int_eq(service_state(keep), HEALTH_UP);
	ck_assert_uint_eq(service_state_since_ns(keep), since);
	ck_assert_uint_ge(service_health(keep)->consecutive_passes, passes);
	ck_assert_ptr_eq(service_config(keep),
	    &supervisor_config(supervisor)->services[1]);
	ck_assert_ptr_null(last_record("keep") != NULL &&
	    last_record("keep") - records >= (ptrdiff_t)before ?
	    last_record("keep") : NULL);
	/* Changed: told with its old config, state kept. */
	const struct record *r = last_record("change");
	ck_assert_ptr_nonnull(r);
	ck_assert(r->reconfigured);
	ck_assert_int_eq(r->state, HEALTH_UP);
	ck_assert_uint_eq(service_config(supervisor_find(supervisor,
	    "change"))->prefix_count, 2);
	/* Removed without a drain: withdrawn at once. */
	r = last_record("gone");
	ck_assert_ptr_nonnull(r);
	ck_assert(r->withdraw);
	ck_assert_int_eq(r->state, HEALTH_STOPPED);
	ck_assert_ptr_null(supervisor_find(supervisor, "gone"));
	/* New: INIT, then UP on its own. */
	ck_assert_int_eq(service_state(supervisor_find(supervisor, "new")),
	    HEALTH_INIT);
	wait_state(loop, supervisor, "new", HEALTH_UP);
	ck_assert_uint_eq(supervisor_service_count(supervisor), 3);
	ck_assert_ptr_eq(supervisor_find(supervisor, "keep"), keep);
	ck_assert_uint_eq(service_state_since_ns(keep), since);

	supervisor_free(supervisor);
	config_free(first);
	loop_free(loop);
}
END_TEST

START_TEST(test_reload_removed_service_drains)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *first = load("{\"services\": ["
	    SVC("stay", "192.0.2.1/32", "") ","
	    SVC("gone", "192.0.2.3/32", ", \"drain\": {\"seconds\": 0.2}")
	    "]}");

	record_count = 0;
	supervisor = supervisor_new(loop, first, on_change, NULL);
	wait_state(loop, supervisor, "gone", HEALTH_UP);
	supervisor_reload(supervisor, load("{\"services\": ["
	    SVC("stay", "192.0.2.1/32", "") "]}"), NULL);
	const struct record *r = last_record("gone");
	ck_assert(r->drain);
	ck_assert_int_eq(r->state, HEALTH_DRAINING);
	ck_assert_uint_eq(supervisor_service_count(supervisor), 2);
	uint64_t deadline = loop_now_ns(loop) + 3 * NSEC_PER_SEC;
	while (supervisor_service_count(supervisor) > 1 && loop_now_ns(loop) < deadline)
		ck_assert_int_eq(virtual_clock_step(&virtual, loop), 0);
	ck_assert_uint_eq(supervisor_service_count(supervisor), 1);
	r = last_record("gone");
	ck_assert(r->withdraw);
	ck_assert_int_eq(r->state, HEALTH_STOPPED);
	supervisor_free(supervisor);
	config_free(first);
	loop_free(loop);
}
END_TEST

/* keep's check passes while path does not exist. Each service gets a
 * prefix of its own (a prefix belongs to one service). */
static char *
absent_service(const char *name, const char *path)
{
	static int prefixes_used;
	char *text;

	if (asprintf(&text, "{\"name\": \"%s\", \"prefixes\": "
	    "[\"192.0.2.%d/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\", \"absent\": true}], \"rise\": 1, "
	    "\"fall\": 1, \"interval\": 0.05, \"fast_interval\": 0.05}",
	    name, ++prefixes_used, path) < 0)
		ck_abort_msg("asprintf");
	return text;
}

static struct config *
load_services(const char *first, const char *second, const char *third)
{
	char *text;
	struct config *config;

	if (asprintf(&text, "{\"services\": [%s%s%s%s%s]}", first,
	    second != NULL ? "," : "", second != NULL ? second : "",
	    third != NULL ? "," : "", third != NULL ? third : "") < 0)
		ck_abort_msg("asprintf");
	config = load(text);
	free(text);
	return config;
}

START_TEST(test_reload_unchanged_checks_outlive_old_config)
{
	/* Two reloads leave "keep" unchanged; the second frees the config
	 * its checks were built from once "gone" has drained. Its checks
	 * must go on working: they still see the file appear. */
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	char dir[] = "/tmp/anycheck-reload-XXXXXX";
	char path[64];
	char *keep_text, *new_text;
	const char *gone = SVC("gone", "192.0.2.3/32",
	    ", \"drain\": {\"seconds\": 0.1}");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/down", dir);
	keep_text = absent_service("keep", path);
	new_text = absent_service("new", "/nonexistent/anycheck");
	struct config *first = load_services(keep_text, gone, NULL);

	record_count = 0;
	supervisor = supervisor_new(loop, first, on_change, NULL);
	struct service *keep = wait_state(loop, supervisor, "keep", HEALTH_UP);
	wait_state(loop, supervisor, "gone", HEALTH_UP);
	supervisor_reload(supervisor, load_services(keep_text, gone,
	    new_text), NULL);
	wait_state(loop, supervisor, "new", HEALTH_UP);
	supervisor_reload(supervisor, load_services(keep_text, new_text,
	    NULL), NULL);
	uint64_t deadline = loop_now_ns(loop) + 3 * NSEC_PER_SEC;
	while (supervisor_service_count(supervisor) > 2 && loop_now_ns(loop) < deadline)
		ck_assert_int_eq(virtual_clock_step(&virtual, loop), 0);
	ck_assert_uint_eq(supervisor_service_count(supervisor), 2);
	ck_assert_ptr_eq(supervisor_find(supervisor, "keep"), keep);
	/* Let a few rounds run on the checks, then make the check fail. */
	ck_assert_int_eq(virtual_clock_advance(&virtual, loop,
	    100 * NSEC_PER_MSEC), 0);
	ck_assert_int_eq(service_state(keep), HEALTH_UP);
	FILE *file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	fclose(file);
	wait_state(loop, supervisor, "keep", HEALTH_DOWN);
	unlink(path);
	rmdir(dir);
	supervisor_free(supervisor);
	config_free(first);
	loop_free(loop);
	free(keep_text);
	free(new_text);
}
END_TEST

/* A fake connection counter: answers from a script of counts, at once,
 * and remembers when it was asked. */
static long script[] = { 7, 4, 1 };
static size_t script_at;
static uint64_t asked_at[8];
static struct loop *count_loop;

static int
fake_count(void *counter, struct conn_count_query *queries,
    size_t query_count, void (*done)(int status, void *arg), void *arg)
{
	(void)counter;
	ck_assert_uint_eq(query_count, 1);
	ck_assert_uint_eq(queries[0].prefix_count, 1);
	ck_assert_uint_eq(queries[0].port_count, 1);
	ck_assert_uint_eq(queries[0].ports[0], 443);
	asked_at[script_at] = loop_now_ns(count_loop);
	queries[0].count = script[script_at < 2 ? script_at++ : 2];
	done(0, arg);
	return 0;
}

/* A reload that makes a DEGRADED service's global check local (and drops
 * its last resort): every failure now counts as local, the service is
 * FALLING (UP attributes) and the next round decides: DOWN. */
START_TEST(test_reload_takes_last_resort_away)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *first = load("{\"services\": ["
	    "{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"" PRESENT "\"}, {\"type\": "
	    "\"file\", \"path\": \"/nonexistent/anycheck-db\", \"scope\": "
	    "\"global\"}], \"last_resort\": {\"med\": 5}, \"rise\": 1, "
	    "\"fall\": 2, \"interval\": 0.05, \"fast_interval\": 0.05}]}");
	struct config *second = load("{\"services\": ["
	    "{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"" PRESENT "\"}, {\"type\": "
	    "\"file\", \"path\": \"/nonexistent/anycheck-db\"}], \"rise\": 1, "
	    "\"fall\": 2, \"interval\": 0.05, \"fast_interval\": 0.05}]}");
	struct service *web;

	record_count = 0;
	supervisor = supervisor_new(loop, first, on_change, NULL);
	/* Only the global check fails: announced with the last resort from
	 * the start (rise 1). */
	web = wait_state(loop, supervisor, "web", HEALTH_DEGRADED);
	ck_assert_ptr_eq(supervisor_announcement(web),
	    &first->services[0].last_resort.attributes);
	ck_assert_int_eq(supervisor_reload(supervisor, second, NULL), 0);
	ck_assert_int_eq(last_record("web")->state, HEALTH_FALLING);
	ck_assert(last_record("web")->reconfigured);
	ck_assert_ptr_eq(supervisor_announcement(web),
	    &second->services[0].announce);
	/* The next round fails (locally now): the fall-th failure. */
	wait_state(loop, supervisor, "web", HEALTH_DOWN);
	ck_assert(last_record("web")->withdraw);
	supervisor_free(supervisor);
	config_free(first);
	loop_free(loop);
}
END_TEST

START_TEST(test_maintenance_drain_ends_by_connections)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *config = load("{\"services\": ["
	    SVC("web", "192.0.2.1/32", ", \"drain\": {\"seconds\": 60, "
	    "\"connections\": {\"max\": 1, \"ports\": [443]}}") "]}");

	record_count = 0;
	script_at = 0;
	supervisor = supervisor_new(loop, config, on_change, NULL);
	count_loop = loop;
	supervisor_set_conn_counter(supervisor,
	    &(struct supervisor_conn_counter){ .start = fake_count });
	struct service *web = wait_state(loop, supervisor, "web", HEALTH_UP);
	uint64_t started = loop_now_ns(loop);
	ck_assert_int_eq(supervisor_set_maintenance(supervisor, "web", true,
	    "test"), 0);
	ck_assert_int_eq(service_state(web), HEALTH_DRAINING);
	ck_assert(last_record("web")->drain);
	wait_state(loop, supervisor, "web", HEALTH_DISABLED);
	/* Three counts 0.5 s apart: 7, 4, then 1 <= max ends it, at
	 * drain.min_seconds (default 3 s; the wake timer from
	 * health_next_wake_ns), not at the count (1 s). */
	ck_assert_int_eq(service_health(web)->drain_end,
	    HEALTH_DRAIN_END_CONNECTIONS);
	ck_assert_uint_eq(script_at, 2);
	ck_assert_uint_eq(asked_at[0], started);
	ck_assert_uint_eq(asked_at[1], started + NSEC_PER_SEC / 2);
	ck_assert_uint_eq(loop_now_ns(loop) - started, 3 * NSEC_PER_SEC);
	ck_assert(last_record("web")->withdraw);
	/* Maintenance off: INIT, then UP again. */
	supervisor_set_maintenance(supervisor, "web", false, "test");
	wait_state(loop, supervisor, "web", HEALTH_UP);
	ck_assert_int_eq(supervisor_set_maintenance(supervisor, "nope", true,
	    "test"), -1);
	supervisor_free(supervisor);
	config_free(config);
	loop_free(loop);
}
END_TEST

START_TEST(test_maintenance_cancelled_back_up)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *config = load("{\"services\": ["
	    SVC("web", "192.0.2.1/32", "") "]}");

	record_count = 0;
	supervisor = supervisor_new(loop, config, on_change, NULL);
	struct service *web = wait_state(loop, supervisor, "web", HEALTH_UP);
	supervisor_set_maintenance(supervisor, "web", true, "test");
	ck_assert_int_eq(service_state(web), HEALTH_DRAINING);
	supervisor_set_maintenance(supervisor, "web", false, "test");
	ck_assert_int_eq(service_state(web), HEALTH_UP);
	ck_assert(!last_record("web")->drain);
	ck_assert(!last_record("web")->withdraw);
	supervisor_free(supervisor);
	config_free(config);
	loop_free(loop);
}
END_TEST

START_TEST(test_exit_drains_then_withdraws)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *config = load("{\"services\": ["
	    SVC("slow", "192.0.2.1/32", ", \"drain_on_exit\": true, "
	    "\"drain\": {\"seconds\": 0.3}") ","
	    SVC("fast", "192.0.2.2/32", "") ","
	    SVC("kept", "192.0.2.3/32", ", \"on_exit\": \"keep\"") "]}");

	record_count = 0;
	stopped = false;
	supervisor = supervisor_new(loop, config, on_change, NULL);
	wait_state(loop, supervisor, "slow", HEALTH_UP);
	wait_state(loop, supervisor, "fast", HEALTH_UP);
	wait_state(loop, supervisor, "kept", HEALTH_UP);
	size_t before = record_count;
	uint64_t started = loop_now_ns(loop);
	supervisor_shutdown(supervisor, false, on_stopped, NULL);
	ck_assert(last_record("slow")->drain);
	ck_assert(last_record("fast")->withdraw);
	ck_assert_int_eq(last_record("fast")->state, HEALTH_STOPPED);
	uint64_t deadline = started + 3 * NSEC_PER_SEC;
	while (!stopped && loop_now_ns(loop) < deadline)
		ck_assert_int_eq(virtual_clock_step(&virtual, loop), 0);
	ck_assert(stopped);
	/* Stopped when the 0.3 s drain ended, not earlier. */
	ck_assert_uint_eq(loop_now_ns(loop) - started, 300 * NSEC_PER_MSEC);
	ck_assert(last_record("slow")->withdraw);
	/* on_exit keep: never told anything after the shutdown began. */
	for (size_t i = before; i < record_count; i++)
		ck_assert_str_ne(records[i].name, "kept");
	supervisor_free(supervisor);
	config_free(config);
	loop_free(loop);
}
END_TEST

START_TEST(test_second_shutdown_cuts_drain)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *config = load("{\"drain_on_exit\": true, \"services\": ["
	    SVC("slow", "192.0.2.1/32", ", \"drain\": {\"seconds\": 60}")
	    "]}");

	record_count = 0;
	stopped = false;
	supervisor = supervisor_new(loop, config, on_change, NULL);
	wait_state(loop, supervisor, "slow", HEALTH_UP);
	supervisor_shutdown(supervisor, false, on_stopped, NULL);
	ck_assert(last_record("slow")->drain);
	supervisor_shutdown(supervisor, false, on_stopped, NULL);
	ck_assert(last_record("slow")->withdraw);
	for (int i = 0; i < 10 && !stopped; i++)
		ck_assert_int_eq(virtual_clock_step(&virtual, loop), 0);
	ck_assert(stopped);
	/* No reload while stopping. */
	ck_assert_int_eq(supervisor_reload(supervisor, load("{\"services\": ["
	    SVC("slow", "192.0.2.1/32", "") "]}"), NULL), -1);
	supervisor_free(supervisor);
	config_free(config);
	loop_free(loop);
}
END_TEST

/* Reloads that each change one service leave the others unchanged; their
 * checks are rebuilt from the current config at their next round, so old
 * configs do not pile up (they did: one per reload, for good). */
START_TEST(test_reloads_do_not_pin_old_configs)
{
	struct loop *loop = new_loop();
	struct supervisor *supervisor;
	struct config *first;
	char *text;

	first = load("{\"services\": ["
	    SVC("a", "192.0.2.1/32", "") "," SVC("b", "192.0.2.2/32", "") ","
	    SVC("c", "192.0.2.3/32", "") "]}");
	record_count = 0;
	supervisor = supervisor_new(loop, first, on_change, NULL);
	wait_state(loop, supervisor, "a", HEALTH_UP);
	int med[3] = { 0, 0, 0 };

	for (int i = 0; i < 20; i++) {
		/* One service changes (its MED), a different one each time:
		 * the other two keep the checks built at their own last
		 * change, two older configs. */
		med[i % 3] = i + 1;
		ck_assert_int_ge(asprintf(&text, "{\"services\": ["
		    SVC("a", "192.0.2.1/32", ", \"announce\": {\"med\": %d}")
		    "," SVC("b", "192.0.2.2/32", ", \"announce\": "
		    "{\"med\": %d}") "," SVC("c", "192.0.2.3/32",
		    ", \"announce\": {\"med\": %d}") "]}", med[0], med[1],
		    med[2]), 0);
		ck_assert_int_eq(supervisor_reload(supervisor, load(text),
		    NULL), 0);
		free(text);
		/* A round of every service (interval 0.05 s). */
		ck_assert_int_eq(virtual_clock_advance(&virtual, loop,
		    100 * NSEC_PER_MSEC), 0);
		ck_assert_uint_eq(supervisor_configs_alive(supervisor), 1);
	}
	ck_assert_int_eq(service_state(supervisor_find(supervisor, "a")),
	    HEALTH_UP);
	supervisor_free(supervisor);
	config_free(first);
	loop_free(loop);
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("supervisor");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_reload_diff_applied);
	tcase_add_test(tc, test_reload_removed_service_drains);
	tcase_add_test(tc, test_reload_unchanged_checks_outlive_old_config);
	tcase_add_test(tc, test_reload_takes_last_resort_away);
	tcase_add_test(tc, test_maintenance_drain_ends_by_connections);
	tcase_add_test(tc, test_maintenance_cancelled_back_up);
	tcase_add_test(tc, test_exit_drains_then_withdraws);
	tcase_add_test(tc, test_second_shutdown_cuts_drain);
	tcase_add_test(tc, test_reloads_do_not_pin_old_configs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reload_suite());
	int failed;

	log_init("test_reload", LOG_LEVEL_INFO, false);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
