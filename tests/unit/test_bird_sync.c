/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of keeping BIRD's protocols in the wanted state
 *
 * bird_sync (the pump over bird_plan) against the fake BIRD of
 * fake_bird.c on the test's own loop: what BIRD goes through (the fake
 * records every command and every change of a protocol's state) when
 * attributes change, a hand toggle drifts, BIRD restarts, refuses
 * commands, is reconfigured, or many protocols change at once. No test
 * sleeps: the loop is driven by loop_run_once for a bounded number of
 * rounds; timers in play are short (retry 50 ms, verify 0.1 s).
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bird_sync.h"
#include "clock.h"
#include "config.h"
#include "fake_bird.h"
#include "log.h"
#include "loop.h"
#include "name_index.h"
#include "unit_support.h"
#include "virtual_clock.h"

#define ROUNDS 400                  /* of at most 10 ms each */

struct harness {
	struct loop *loop;
	struct fake_bird fake;
	struct config *config;
	struct bird_sync sync;
	char log_path[64];
	int saved_stderr;
	bool virtual_time;              /* the loop runs on clock */
	struct virtual_clock clock;
};

static struct config *
load(const char *socket, double verify, const char *services)
{
	char *text = xasprintf("{ \"bird\": { \"socket\": \"%s\", "
	    "\"verify_interval\": %g }, \"services\": [ %s ] }", socket,
	    verify, services);
	struct config_errors errors;
	struct config *config;

	config_errors_init(&errors);
	if (config_load_text("t.json", text, &config, &errors) != 0) {
		config_errors_log(&errors);
		ck_abort_msg("config does not load");
	}
	config_errors_clear(&errors);
	free(text);
	return config;
}

/* Each service name gets its own prefix, the same one every time (a
 * prefix belongs to one service only). */
static unsigned
prefix_number(const char *name)
{
	static struct name_index numbers;
	static unsigned next;
	uintptr_t number = (uintptr_t)name_index_get(&numbers, name);

	if (number == 0) {
		number = ++next;
		name_index_put(&numbers, xstrdup(name), (void *)number);
	}
	return (unsigned)number;
}

static char *
service_json(const char *name, bool with_down)
{
	static const char *const networks[] = { "192.0.2", "198.51.100",
	    "203.0.113" };
	unsigned number = prefix_number(name) - 1;

	ck_assert_uint_lt(number, 3 * 254);
	return xasprintf("{ \"name\": \"%s\", \"prefixes\": "
	    "[\"%s.%u/32\"], \"checks\": [ { \"type\": \"file\", "
	    "\"path\": \"/nonexistent\" } ]%s }", name,
	    networks[number / 254], number % 254 + 1,
	    with_down ? ", \"down\": { \"med\": 1000 }" : "");
}

/* "count" services named NAME0.. (one JSON array body). */
static char *
services_json(const char *prefix, size_t count, bool with_down)
{
	char *all = xstrdup("");

	for (size_t i = 0; i < count; i++) {
		char name[32], *one, *joined;

		snprintf(name, sizeof(name), "%s%zu", prefix, i);
		one = service_json(name, with_down);
		joined = xasprintf("%s%s%s", all, i == 0 ? "" : ", ", one);
		free(one);
		free(all);
		all = joined;
	}
	return all;
}

/* stderr goes to a file, so tests can count log lines. */
static void
capture_log(struct harness *h)
{
	fflush(stderr);
	h->saved_stderr = dup(2);
	test_capture_log(h->log_path);
}

static size_t
log_count(struct harness *h, const char *needle)
{
	return test_log_count(h->log_path, needle);
}

/* Declare every protocol bird_sync manages in the fake BIRD. */
static void
declare_all(struct harness *h)
{
	for (size_t i = 0; i < h->sync.plan.protocol_count; i++)
		if (fake_bird_find(&h->fake, h->sync.plan.protocols[i].name) ==
		    NULL)
			fake_bird_add(&h->fake, h->sync.plan.protocols[i].name);
}

static bool
connected_and_settled(struct harness *h)
{
	return bird_client_connected(h->sync.client) &&
	    bird_sync_settled(&h->sync);
}

/* Settled, and BIRD confirmed every protocol (no error pending), and the
 * fake's protocols are all in their wanted state. */
static bool
all_confirmed(struct harness *h)
{
	if (!connected_and_settled(h) || bird_sync_backlog(&h->sync) != 0)
		return false;
	for (size_t i = 0; i < h->fake.protocol_count; i++)
		if (h->fake.protocols[i].enabled != bird_sync_protocol_wanted(
		    &h->sync, h->fake.protocols[i].name))
			return false;
	return true;
}

/* On virtual time: let the socket exchanges due now (commands, replies,
 * both ends on this loop) finish before time moves. */
static void
settle_now(struct harness *h)
{
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(loop_run_once(h->loop, 0), 0);
}

/* One step: a round of up to 10 ms, or on virtual time the exchanges due
 * now and then a jump to the next timer. */
static void
step(struct harness *h)
{
	if (!h->virtual_time) {
		loop_run_once(h->loop, 10);
		return;
	}
	settle_now(h);
	ck_assert_int_eq(virtual_clock_step(&h->clock, h->loop), 0);
	settle_now(h);
}

static bool
run_until(struct harness *h, bool (*done)(struct harness *), int rounds)
{
	for (int i = 0; i < rounds; i++) {
		if (done(h))
			return true;
		step(h);
	}
	return done(h);
}

static void
run_rounds(struct harness *h, int rounds)
{
	for (int i = 0; i < rounds; i++)
		loop_run_once(h->loop, 5);
}

/* Virtual time only: move ns forward, every timer and exchange on the
 * way. */
static void
run_for(struct harness *h, uint64_t ns)
{
	uint64_t end = h->clock.now_ns + ns;

	ck_assert(h->virtual_time);
	settle_now(h);
	for (;;) {
		uint64_t next = loop_next_deadline_ns(h->loop);

		if (next == 0 || next > end)
			break;
		ck_assert_int_eq(virtual_clock_step(&h->clock, h->loop), 0);
		settle_now(h);
	}
	ck_assert_int_eq(virtual_clock_advance(&h->clock, h->loop,
	    end - h->clock.now_ns), 0);
	settle_now(h);
}

/* before (optional) runs once bird_sync exists and before it connects;
 * virtual_time: the loop runs on h->clock. */
static void
setup_with(struct harness *h, double verify, const char *services,
    void (*before)(struct harness *h), bool virtual_time)
{
	memset(h, 0, sizeof(*h));
	h->virtual_time = virtual_time;
	log_init("test", LOG_LEVEL_INFO, false);
	capture_log(h);
	h->loop = loop_new();
	ck_assert_ptr_nonnull(h->loop);
	if (h->virtual_time)
		virtual_clock_attach(&h->clock, h->loop);
	fake_bird_init(&h->fake, h->loop, true);
	h->config = load(h->fake.path, verify, services);
	bird_sync_init(&h->sync, h->loop, h->config);
	h->sync.retry_ns = 50 * NSEC_PER_MSEC;
	h->sync.batch_quiet_ns = 20 * NSEC_PER_MSEC;
	declare_all(h);
	if (before != NULL)
		before(h);
	ck_assert(run_until(h, connected_and_settled, ROUNDS));
}

static void
setup(struct harness *h, double verify, const char *services)
{
	setup_with(h, verify, services, NULL, false);
}

/* The same on virtual time (the loop's clock starts at
 * VIRTUAL_CLOCK_START_NS and moves only through step and run_for). */
static void
setup_virtual(struct harness *h, double verify, const char *services)
{
	setup_with(h, verify, services, NULL, true);
}

static void
teardown(struct harness *h)
{
	bird_sync_cleanup(&h->sync);
	fake_bird_close(&h->fake);
	loop_free(h->loop);
	config_free(h->config);
	if (getenv("KEEP_LOG") == NULL)
		unlink(h->log_path);
}

static const struct service_config *
service(struct harness *h, const char *name)
{
	for (size_t i = 0; i < h->config->service_count; i++)
		if (strcmp(h->config->services[i].name, name) == 0)
			return &h->config->services[i];
	ck_abort_msg("no service %s", name);
	return NULL;
}

static void
announce(struct harness *h, const char *name, int variant)
{
	const struct service_config *s = service(h, name);

	bird_sync_set_announcement(&h->sync, s, variant < 0 ? NULL :
	    bird_variant_attributes(s, variant, NULL));
}

static bool
enabled(struct harness *h, const char *protocol)
{
	struct fake_bird_protocol *p = fake_bird_find(&h->fake, protocol);

	ck_assert_ptr_nonnull(p);
	return p->enabled;
}

static size_t
commands_since(struct harness *h, size_t from, const char *prefix)
{
	size_t count = 0;

	/* The whole command, or its first words ("show protocols"). */
	for (size_t i = from; i < h->fake.command_count; i++) {
		const char *command = h->fake.commands[i];
		size_t length = strlen(prefix);
		if (strncmp(command, prefix, length) == 0 &&
		    (command[length] == '\0' || command[length] == ' '))
			count++;
	}
	return count;
}

/* Commands since from whose last word is name, bare or quoted. */
static size_t
commands_naming_since(struct harness *h, size_t from, const char *name)
{
	char *quoted = xasprintf(" \"%s\"", name);
	char *bare = xasprintf(" %s", name);
	size_t count = 0;

	for (size_t i = from; i < h->fake.command_count; i++) {
		const char *command = h->fake.commands[i];
		size_t length = strlen(command);
		if ((length >= strlen(quoted) && strcmp(command + length -
		    strlen(quoted), quoted) == 0) || (length >= strlen(bare) &&
		    strcmp(command + length - strlen(bare), bare) == 0))
			count++;
	}
	free(quoted);
	free(bare);
	return count;
}

START_TEST(test_enable_before_disable)
{
	struct harness h;
	char *json = service_json("web", true);
	size_t in_group, before;
	bool seen_enabled = false;

	setup(&h, 3600, json);
	announce(&h, "web", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert(enabled(&h, "anycheck_web_v4"));

	/* While BIRD has not answered the enable of _down, the UP protocol
	 * must not be disabled. */
	before = h.fake.command_count;
	h.fake.paused = true;
	announce(&h, "web", BIRD_VARIANT_DOWN);
	run_rounds(&h, 20);
	ck_assert(!bird_sync_settled(&h.sync));
	/* What BIRD has received, unprocessed: the enable, no disable. */
	ck_assert_ptr_nonnull(memmem(h.fake.input, h.fake.input_length,
	    "enable anycheck_web_v4_down\n", 28));
	ck_assert_ptr_null(memmem(h.fake.input, h.fake.input_length,
	    "disable", 7));
	fake_bird_resume(&h.fake);
	ck_assert(run_until(&h, all_confirmed, ROUNDS));
	ck_assert_uint_eq(commands_since(&h, before,
	    "enable anycheck_web_v4_down"), 1);
	ck_assert_uint_eq(commands_since(&h, before,
	    "disable anycheck_web_v4"), 1);
	ck_assert(enabled(&h, "anycheck_web_v4_down"));
	ck_assert(!enabled(&h, "anycheck_web_v4"));

	/* And back, then withdraw. */
	announce(&h, "web", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert(enabled(&h, "anycheck_web_v4"));
	ck_assert(!enabled(&h, "anycheck_web_v4_down"));

	/* Replay: once the group had a protocol enabled, it always had one
	 * (until the withdraw below). */
	in_group = 0;
	for (size_t i = 0; i < h.fake.change_count; i++) {
		in_group += h.fake.changes[i].enabled ? 1 : (size_t)-1;
		if (h.fake.changes[i].enabled)
			seen_enabled = true;
		ck_assert_msg(!seen_enabled || in_group > 0,
		    "change %zu left the group without a route", i);
	}
	ck_assert_uint_eq(in_group, 1);

	announce(&h, "web", -1);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert_uint_eq(fake_bird_enabled_count(&h.fake), 0);
	teardown(&h);
	free(json);
}
END_TEST

static bool
web_enabled_again(struct harness *h)
{
	return h->sync.corrections > 0 && enabled(h, "anycheck_web_v4") &&
	    bird_sync_settled(&h->sync);
}

START_TEST(test_drift_corrected_by_verify)
{
	struct harness h;
	char *json = service_json("web", false);

	setup(&h, 0.1, json);
	announce(&h, "web", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert_uint_eq(h.sync.corrections, 0);
	fake_bird_set(&h.fake, "anycheck_web_v4", false);   /* by hand */
	ck_assert(run_until(&h, web_enabled_again, ROUNDS));
	ck_assert_uint_eq(h.sync.corrections, 1);
	ck_assert_uint_eq(log_count(&h, "changed by hand?"), 1);
	ck_assert_uint_eq(h.fake.changes[h.fake.change_count - 1].enabled,
	    true);
	ck_assert(!h.fake.changes[h.fake.change_count - 1].by_hand);
	/* A protocol that stays right is not toggled by the verify pass. */
	size_t before = h.fake.command_count;
	run_rounds(&h, 60);
	ck_assert_uint_gt(commands_since(&h, before, "show protocols"), 0);
	ck_assert_uint_eq(commands_since(&h, before, "enable"), 0);
	teardown(&h);
	free(json);
}
END_TEST

static bool
all_three_enabled(struct harness *h)
{
	return fake_bird_enabled_count(&h->fake) == 3 && all_confirmed(h);
}

START_TEST(test_reapply_after_restart_sends_only_differences)
{
	struct harness h;
	char *json = services_json("s", 3, false);
	size_t before, accepted;

	setup(&h, 3600, json);
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "s%d", i);
		announce(&h, name, BIRD_VARIANT_UP);
	}
	ck_assert(run_until(&h, all_three_enabled, ROUNDS));

	/* BIRD restarts with an include that has two of them "disabled
	 * no": only the third needs an enable. */
	fake_bird_find(&h.fake, "anycheck_s0_v4")->config_enabled = true;
	fake_bird_find(&h.fake, "anycheck_s1_v4")->config_enabled = true;
	before = h.fake.command_count;
	accepted = h.fake.accepted;
	fake_bird_restart(&h.fake);
	ck_assert_uint_eq(fake_bird_enabled_count(&h.fake), 2);
	ck_assert(run_until(&h, all_three_enabled, ROUNDS));
	ck_assert_uint_eq(h.fake.accepted, accepted + 1);
	ck_assert_uint_eq(commands_since(&h, before, "show protocols"), 1);
	ck_assert_uint_eq(commands_since(&h, before, "enable"), 1);
	ck_assert_uint_eq(commands_since(&h, before,
	    "enable anycheck_s2_v4"), 1);
	ck_assert_uint_eq(commands_since(&h, before, "disable"), 0);

	/* A restart with nothing enabled: every protocol again. */
	before = h.fake.command_count;
	fake_bird_restart(&h.fake);
	for (size_t i = 0; i < h.fake.protocol_count; i++)
		h.fake.protocols[i].config_enabled = false;
	fake_bird_set(&h.fake, "anycheck_s0_v4", false);
	fake_bird_set(&h.fake, "anycheck_s1_v4", false);
	ck_assert(run_until(&h, all_three_enabled, ROUNDS));
	ck_assert_uint_eq(commands_since(&h, before, "enable"), 3);
	teardown(&h);
	free(json);
}
END_TEST

static bool
web_enabled(struct harness *h)
{
	return enabled(h, "anycheck_web_v4") && all_confirmed(h);
}

static void
check_error_logged_once(unsigned code, const char *text)
{
	struct harness h;
	char *json = service_json("web", false);
	size_t before;

	setup(&h, 3600, json);
	before = h.fake.command_count;
	fake_bird_fail(&h.fake, "anycheck_web_v4", code, 3);
	announce(&h, "web", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, web_enabled, ROUNDS));
	/* Three refusals, retried (every 50 ms here), then it worked; a bare
	 * name BIRD did not parse (9001) is asked again quoted, so there
	 * are four commands naming it either way. */
	ck_assert_uint_eq(commands_naming_since(&h, before, "anycheck_web_v4"),
	    4);
	ck_assert_uint_eq(log_count(&h, text), 1);
	ck_assert_uint_eq(log_count(&h, "anycheck_web_v4: working again"), 1);
	teardown(&h);
	free(json);
}

START_TEST(test_error_8003_logged_once_and_retried)
{
	check_error_logged_once(8003, "BIRD has no protocol \"anycheck_web_v4\"");
}
END_TEST

START_TEST(test_error_8007_logged_once_and_retried)
{
	check_error_logged_once(8007, "BIRD denied access for protocol");
}
END_TEST

START_TEST(test_error_9001_logged_once_and_retried)
{
	check_error_logged_once(9001, "unexpected reply 9001");
}
END_TEST

static size_t
command_index(struct harness *h, size_t from, const char *prefix)
{
	for (size_t i = from; i < h->fake.command_count; i++)
		if (strncmp(h->fake.commands[i], prefix, strlen(prefix)) == 0)
			return i;
	return (size_t)-1;
}

START_TEST(test_configure_holds_toggles)
{
	struct harness h;
	char *json = service_json("web", false);
	size_t before, configure, listing, enable;

	setup(&h, 3600, json);
	before = h.fake.command_count;
	h.fake.paused = true;
	bird_sync_configure(&h.sync);
	announce(&h, "web", BIRD_VARIANT_UP);
	run_rounds(&h, 20);
	ck_assert(!bird_sync_settled(&h.sync));
	fake_bird_resume(&h.fake);
	ck_assert(run_until(&h, web_enabled, ROUNDS));
	configure = command_index(&h, before, "configure");
	listing = command_index(&h, configure, "show protocols");
	enable = command_index(&h, before, "enable");
	ck_assert_uint_ne(configure, (size_t)-1);
	ck_assert_uint_lt(configure, listing);
	ck_assert_uint_lt(listing, enable);
	ck_assert_uint_eq(h.fake.configures, 1);
	teardown(&h);
	free(json);
}
END_TEST

START_TEST(test_reload_adds_and_removes_protocols)
{
	struct harness h;
	char *json = services_json("s", 2, false);
	char *json2 = services_json("s", 3, false);   /* s0 s1 s2 */
	struct config *next;
	const struct service_config *services[2];
	size_t before;

	setup(&h, 3600, json);
	announce(&h, "s0", BIRD_VARIANT_UP);
	announce(&h, "s1", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert_uint_eq(fake_bird_enabled_count(&h.fake), 2);

	/* Reload: s0 stays, s1 goes, s2 is new. */
	next = load(h.fake.path, 3600, json2);
	services[0] = &next->services[0];
	services[1] = &next->services[2];
	before = h.fake.command_count;
	bird_sync_set_services(&h.sync, services, 2, NULL);
	declare_all(&h);   /* as the rewritten include + configure would */
	ck_assert_ptr_nonnull(bird_plan_find(&h.sync.plan, "anycheck_s2_v4"));
	/* s1's protocol is leaving: wanted disabled until BIRD says so. */
	ck_assert_ptr_nonnull(bird_plan_find(&h.sync.plan, "anycheck_s1_v4"));
	ck_assert(bird_plan_find(&h.sync.plan, "anycheck_s1_v4")->leaving);
	ck_assert(!bird_sync_protocol_wanted(&h.sync, "anycheck_s1_v4"));
	ck_assert(bird_sync_protocol_wanted(&h.sync, "anycheck_s0_v4"));
	ck_assert(!bird_sync_protocol_wanted(&h.sync, "anycheck_s2_v4"));
	bird_sync_set_announcement(&h.sync, services[0],
	    bird_variant_attributes(services[0], BIRD_VARIANT_UP, NULL));
	bird_sync_set_announcement(&h.sync, services[1],
	    bird_variant_attributes(services[1], BIRD_VARIANT_UP, NULL));
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	/* s0 kept its state: no command for it; s2 enabled. */
	ck_assert_uint_eq(commands_since(&h, before, "enable anycheck_s0_v4"),
	    0);
	ck_assert_uint_eq(commands_since(&h, before, "enable anycheck_s2_v4"),
	    1);
	ck_assert(enabled(&h, "anycheck_s2_v4"));
	/* s1 was UP: disabled before it is forgotten, not left announced
	 * until someone regenerates the include and reconfigures BIRD. */
	ck_assert_uint_eq(commands_since(&h, before,
	    "disable anycheck_s1_v4"), 1);
	ck_assert(!enabled(&h, "anycheck_s1_v4"));
	ck_assert_uint_eq(log_count(&h, "anycheck_s1_v4 (service s1) is no "
	    "longer configured; disabling it"), 1);
	ck_assert_uint_eq(log_count(&h, "anycheck_s1_v4 disabled (service s1)"),
	    1);
	ck_assert_ptr_null(bird_plan_find(&h.sync.plan, "anycheck_s1_v4"));
	ck_assert_uint_eq(bird_plan_leaving(&h.sync.plan), 0);
	ck_assert_uint_eq(bird_sync_backlog(&h.sync), 0);
	teardown(&h);
	config_free(next);
	free(json);
	free(json2);
}
END_TEST

START_TEST(test_settled)
{
	struct harness h;
	char *json = services_json("s", 2, false);

	setup(&h, 3600, json);
	ck_assert(bird_sync_settled(&h.sync));
	h.fake.paused = true;
	announce(&h, "s0", BIRD_VARIANT_UP);
	ck_assert(!bird_sync_settled(&h.sync));
	run_rounds(&h, 10);
	ck_assert(!bird_sync_settled(&h.sync));
	fake_bird_resume(&h.fake);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));

	/* A protocol BIRD lacks cannot be helped: settled once logged. */
	fake_bird_fail(&h.fake, "anycheck_s1_v4", 8003, -1);
	announce(&h, "s1", BIRD_VARIANT_UP);
	ck_assert(!bird_sync_settled(&h.sync));
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert_uint_eq(bird_sync_backlog(&h.sync), 1);

	/* No BIRD to confirm anything: settled (the exit path). */
	fake_bird_close(&h.fake);
	announce(&h, "s0", -1);
	run_rounds(&h, 20);
	ck_assert(!bird_client_connected(h.sync.client));
	ck_assert(bird_sync_settled(&h.sync));
	bird_sync_cleanup(&h.sync);
	loop_free(h.loop);
	config_free(h.config);
	unlink(h.log_path);
	free(json);
}
END_TEST

/* The owner's include rewrite, against the fake: each protocol's
 * "disabled" line from its wanted state, then configure. */
static size_t rewrites;

static bool
rewrite_into_fake(struct bird_sync *sync, void *arg)
{
	struct fake_bird *fake = arg;

	for (size_t i = 0; i < fake->protocol_count; i++)
		fake->protocols[i].config_enabled = bird_sync_protocol_wanted(
		    sync, fake->protocols[i].name);
	rewrites++;
	bird_sync_configure(sync);
	return true;
}

static bool
summary_logged(struct harness *h)
{
	return log_count(h, "applied the state of") > 0;
}

static bool
all_enabled(struct harness *h)
{
	return fake_bird_enabled_count(&h->fake) == h->config->service_count &&
	    all_confirmed(h);
}

START_TEST(test_bulk_change_rewrites_include_once)
{
	struct harness h;
	size_t services = 300, before;
	char *json = services_json("s", services, false);

	setup(&h, 3600, json);
	h.sync.rewrite_include = rewrite_into_fake;
	h.sync.rewrite_include_arg = &h.fake;
	h.sync.bulk_min = 50;
	rewrites = 0;
	before = h.fake.command_count;
	for (size_t i = 0; i < services; i++)
		bird_sync_set_announcement(&h.sync, &h.config->services[i],
		    bird_variant_attributes(&h.config->services[i],
		    BIRD_VARIANT_UP, NULL));
	ck_assert(run_until(&h, all_enabled, ROUNDS));
	/* One rewrite + configure did (almost) all of it. */
	ck_assert_uint_eq(rewrites, 1);
	ck_assert_uint_eq(h.fake.configures, 1);
	ck_assert_uint_eq(commands_since(&h, before, "enable"), 0);
	ck_assert(run_until(&h, summary_logged, 50));
	ck_assert_uint_eq(log_count(&h, "applied the state of 600 protocols"),
	    1);
	ck_assert_uint_eq(log_count(&h, "enabled (service"), 0);
	teardown(&h);
	free(json);
}
END_TEST

START_TEST(test_many_toggles_pipelined_one_summary)
{
	struct harness h;
	size_t services = 200, before;
	char *json = services_json("s", services, false);

	setup(&h, 3600, json);
	before = h.fake.command_count;
	for (size_t i = 0; i < services; i++)
		bird_sync_set_announcement(&h.sync, &h.config->services[i],
		    bird_variant_attributes(&h.config->services[i],
		    BIRD_VARIANT_UP, NULL));
	ck_assert(run_until(&h, all_enabled, ROUNDS));
	ck_assert_uint_eq(commands_since(&h, before, "enable"), services);
	ck_assert_uint_eq(h.fake.overflows, 0);
	ck_assert_uint_eq(h.fake.accepted, 1);
	ck_assert(run_until(&h, summary_logged, 50));
	ck_assert_uint_eq(log_count(&h, "applied the state of 400 protocols"),
	    1);
	ck_assert_uint_eq(log_count(&h, "enabled (service"), 0);

	/* Once settled, one change is one command (and its own line). */
	before = h.fake.command_count;
	announce(&h, "s7", -1);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert_uint_eq(commands_since(&h, before, "enable"), 0);
	ck_assert_uint_eq(commands_since(&h, before, "disable"), 1);
	ck_assert_uint_eq(commands_since(&h, before, "show protocols"), 0);
	ck_assert_uint_eq(log_count(&h, "anycheck_s7_v4 disabled (service"),
	    1);
	teardown(&h);
	free(json);
}
END_TEST

static const char *const sweep_enabled[] = {
	"anycheck_web_v4",          /* configured: left to its service */
	"anycheck_gone_v4",         /* default form, not configured */
	"anycheck_gone_v6_drain",   /* the same, a variant */
	"custom_web",               /* claimed (an earlier include file) */
	"bgp_upstream",             /* never anycheck's */
	"static_other",
	"anycheck_notours",         /* anycheck_ but not the default form */
};

static void
add_sweep_protocols(struct harness *h)
{
	for (size_t i = 0; i < sizeof(sweep_enabled) / sizeof(*sweep_enabled);
	    i++) {
		if (fake_bird_find(&h->fake, sweep_enabled[i]) == NULL)
			fake_bird_add(&h->fake, sweep_enabled[i]);
		fake_bird_set(&h->fake, sweep_enabled[i], true);
	}
	fake_bird_add(&h->fake, "anycheck_old_v4");  /* disabled: left */
	bird_sync_claim(&h->sync, "custom_web");
}

static bool
sweep_done(struct harness *h)
{
	return connected_and_settled(h) && !enabled(h, "anycheck_gone_v4") &&
	    !enabled(h, "anycheck_gone_v6_drain") && !enabled(h, "custom_web");
}

static size_t
commands_naming(struct harness *h, const char *name)
{
	return commands_naming_since(h, 0, name);
}

/* anycheck-bird died after its config lost a service (no SIGHUP): the
 * respawned one disables, at connect, the protocols BIRD has enabled that
 * look like anycheck's and no configured service owns, logged in one
 * line; a configured service's protocol waits for its service; nothing
 * else is touched. */
START_TEST(test_connect_sweeps_unowned_protocols)
{
	struct harness h;
	char *json = service_json("web", false);

	setup_with(&h, 3600, json, add_sweep_protocols, true);
	ck_assert(run_until(&h, sweep_done, ROUNDS));
	ck_assert_uint_eq(commands_naming(&h, "anycheck_gone_v4"), 1);
	ck_assert_uint_eq(commands_naming(&h, "anycheck_gone_v6_drain"), 1);
	ck_assert_uint_eq(commands_naming(&h, "custom_web"), 1);
	ck_assert_uint_eq(log_count(&h, "BIRD has 3 enabled protocols of "
	    "anycheck's that no configured service owns"), 1);
	ck_assert_uint_eq(log_count(&h, "anycheck_gone_v4, "
	    "anycheck_gone_v6_drain, custom_web; disabling them"), 1);
	ck_assert_uint_eq(bird_plan_leaving(&h.sync.plan), 0);
	ck_assert_ptr_null(bird_plan_find(&h.sync.plan, "anycheck_gone_v4"));
	/* Untouched: the configured one (undecided), foreign ones. */
	ck_assert(enabled(&h, "anycheck_web_v4"));
	ck_assert_uint_eq(commands_naming(&h, "anycheck_web_v4"), 0);
	ck_assert_uint_eq(commands_naming(&h, "anycheck_old_v4"), 0);
	ck_assert(enabled(&h, "bgp_upstream"));
	ck_assert(enabled(&h, "static_other"));
	ck_assert(enabled(&h, "anycheck_notours"));
	ck_assert_uint_eq(commands_naming(&h, "bgp_upstream"), 0);
	ck_assert_uint_eq(commands_naming(&h, "static_other"), 0);
	ck_assert_uint_eq(commands_naming(&h, "anycheck_notours"), 0);

	/* A reconnection finds nothing more to sweep. */
	fake_bird_drop(&h.fake);
	run_rounds(&h, 40);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert_uint_eq(h.fake.accepted, 2);
	ck_assert_uint_eq(log_count(&h, "that no configured service owns"), 1);

	/* Once web decides (withdrawn), its protocol follows. */
	announce(&h, "web", -1);
	ck_assert(run_until(&h, connected_and_settled, ROUNDS));
	ck_assert(!enabled(&h, "anycheck_web_v4"));
	ck_assert(enabled(&h, "bgp_upstream"));
	teardown(&h);
	free(json);
}
END_TEST

/* BIRD prints its boot and reconfiguration times a millisecond apart
 * from one "show status" to the next: no restart. A jump of 2 s is one. */
START_TEST(test_status_time_wobble_is_no_restart)
{
	struct harness h;
	char *json = service_json("web", false);
	size_t listings;

	setup_virtual(&h, 3600, json);
	announce(&h, "web", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, web_enabled, ROUNDS));
	run_for(&h, NSEC_PER_SEC);
	listings = h.sync.listings;
	h.fake.status_skew_ms = 1;
	run_for(&h, NSEC_PER_SEC);
	h.fake.status_skew_ms = 0;
	run_for(&h, NSEC_PER_SEC);
	ck_assert_uint_eq(log_count(&h, "BIRD was"), 0);
	ck_assert_uint_eq(h.sync.listings, listings);

	h.fake.status_skew_ms = 2000;
	run_for(&h, NSEC_PER_SEC);
	ck_assert_uint_eq(log_count(&h, "BIRD was restarted"), 1);
	ck_assert_uint_eq(log_count(&h, "BIRD was reconfigured"), 0);
	ck_assert_uint_eq(h.sync.listings, listings + 1);
	ck_assert(enabled(&h, "anycheck_web_v4"));
	teardown(&h);
	free(json);
}
END_TEST

/* Virtual time: move on until timer first is due before timer second
 * (a verify listing before the next status poll, or the reverse). */
static void
advance_until_first(struct harness *h, const struct loop_timer *first,
    const struct loop_timer *second)
{
	for (int i = 0; i < 100; i++) {
		if (loop_timer_armed(first) && loop_timer_armed(second) &&
		    first->deadline_ns < second->deadline_ns)
			return;
		step(h);
	}
	ck_abort_msg("the timers never came in that order");
}

/* Run just past timer's deadline. */
static void
run_past(struct harness *h, const struct loop_timer *timer)
{
	run_for(h, timer->deadline_ns - h->clock.now_ns + NSEC_PER_MSEC);
}

/* Someone runs "birdc configure" (every protocol back to "disabled
 * yes"): whether the verify listing or the status poll comes first, the
 * log says BIRD was reconfigured, not "changed by hand?", and the state
 * is re-applied. */
START_TEST(test_foreign_configure_is_no_hand_change)
{
	struct harness h;
	char *json = service_json("web", false);

	/* verify every 0.3 s, status every 0.5 s */
	setup_virtual(&h, 0.3, json);
	announce(&h, "web", BIRD_VARIANT_UP);
	ck_assert(run_until(&h, web_enabled, ROUNDS));

	/* Verify first. */
	advance_until_first(&h, &h.sync.verify_timer, &h.sync.status_timer);
	fake_bird_reconfigure(&h.fake);
	ck_assert(!enabled(&h, "anycheck_web_v4"));
	run_past(&h, &h.sync.verify_timer);
	ck_assert_uint_eq(log_count(&h, "changed by hand?"), 0);
	ck_assert_uint_eq(log_count(&h, "BIRD was reconfigured"), 1);
	ck_assert(enabled(&h, "anycheck_web_v4"));

	/* Status first. */
	advance_until_first(&h, &h.sync.status_timer, &h.sync.verify_timer);
	fake_bird_reconfigure(&h.fake);
	run_past(&h, &h.sync.status_timer);
	ck_assert_uint_eq(log_count(&h, "BIRD was reconfigured"), 2);
	ck_assert(enabled(&h, "anycheck_web_v4"));

	run_for(&h, 2 * NSEC_PER_SEC);
	ck_assert_uint_eq(log_count(&h, "changed by hand?"), 0);
	ck_assert_uint_eq(log_count(&h, "BIRD was"), 2);
	ck_assert_uint_eq(h.sync.corrections, 0);
	ck_assert(enabled(&h, "anycheck_web_v4"));
	teardown(&h);
	free(json);
}
END_TEST

/* A real "birdc enable" by hand: one "changed by hand?" line and the
 * correction, whichever timer comes first; no "reconfigured". */
START_TEST(test_hand_enable_is_one_warning)
{
	struct harness h;
	char *json = services_json("h", 2, false);

	setup_virtual(&h, 0.3, json);
	announce(&h, "h0", BIRD_VARIANT_UP);
	announce(&h, "h1", -1);
	ck_assert(run_until(&h, all_confirmed, ROUNDS));

	advance_until_first(&h, &h.sync.status_timer, &h.sync.verify_timer);
	fake_bird_set(&h.fake, "anycheck_h1_v4", true);
	run_past(&h, &h.sync.status_timer);
	ck_assert(enabled(&h, "anycheck_h1_v4"));   /* status: no news */
	run_past(&h, &h.sync.verify_timer);
	ck_assert_uint_eq(log_count(&h, "anycheck_h1_v4 is up but service h1 "
	    "wants it disabled (changed by hand?)"), 1);
	ck_assert(run_until(&h, all_confirmed, ROUNDS));
	ck_assert(!enabled(&h, "anycheck_h1_v4"));
	ck_assert(enabled(&h, "anycheck_h0_v4"));
	run_for(&h, 2 * NSEC_PER_SEC);
	ck_assert_uint_eq(log_count(&h, "changed by hand?"), 1);
	ck_assert_uint_eq(h.sync.corrections, 1);
	ck_assert_uint_eq(log_count(&h, "BIRD was"), 0);
	teardown(&h);
	free(json);
}
END_TEST

/* A socket that greets and hangs up at once (twice a second, the
 * client's back-off cap): "connected" and "lost the connection" are
 * logged once each, then as a count, not twice a second. */
START_TEST(test_flapping_socket_logs_once_then_a_count)
{
	struct harness h;
	char *json = service_json("web", false);
	size_t accepted;

	setup_virtual(&h, 3600, json);
	ck_assert_uint_eq(log_count(&h, "connected to BIRD"), 1);
	h.fake.hang_up = true;
	fake_bird_drop(&h.fake);
	run_for(&h, 10 * NSEC_PER_SEC);
	accepted = h.fake.accepted;
	ck_assert_uint_ge(accepted, 15);
	ck_assert_uint_eq(log_count(&h, "connected to BIRD"), 1);
	ck_assert_uint_eq(log_count(&h, "lost the connection to BIRD"), 1);

	/* A minute on, the next line says how many were held back. */
	run_for(&h, 60 * NSEC_PER_SEC);
	ck_assert_uint_eq(log_count(&h, "connected to BIRD"), 3);
	ck_assert_uint_eq(log_count(&h, "lost the connection to BIRD"), 3);
	ck_assert_uint_eq(log_count(&h, "; applying the state of 2 protocols "
	    "(repeated "), 1);
	ck_assert_uint_eq(log_count(&h, "; reconnecting (repeated "), 1);

	/* BIRD behaves again: connected, and nothing more about it. */
	h.fake.hang_up = false;
	run_for(&h, NSEC_PER_SEC);
	ck_assert(bird_client_connected(h.sync.client));
	teardown(&h);
	free(json);
}
END_TEST

static Suite *
bird_sync_suite(void)
{
	Suite *s = suite_create("bird_sync");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_enable_before_disable);
	tcase_add_test(tc, test_drift_corrected_by_verify);
	tcase_add_test(tc, test_reapply_after_restart_sends_only_differences);
	tcase_add_test(tc, test_error_8003_logged_once_and_retried);
	tcase_add_test(tc, test_error_8007_logged_once_and_retried);
	tcase_add_test(tc, test_error_9001_logged_once_and_retried);
	tcase_add_test(tc, test_configure_holds_toggles);
	tcase_add_test(tc, test_reload_adds_and_removes_protocols);
	tcase_add_test(tc, test_connect_sweeps_unowned_protocols);
	tcase_add_test(tc, test_status_time_wobble_is_no_restart);
	tcase_add_test(tc, test_foreign_configure_is_no_hand_change);
	tcase_add_test(tc, test_hand_enable_is_one_warning);
	tcase_add_test(tc, test_flapping_socket_logs_once_then_a_count);
	tcase_add_test(tc, test_settled);
	tcase_add_test(tc, test_bulk_change_rewrites_include_once);
	tcase_add_test(tc, test_many_toggles_pipelined_one_summary);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *runner = srunner_create(bird_sync_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
