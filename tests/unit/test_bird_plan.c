/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of the plan (what to tell BIRD next), no sockets
 *
 * The group rule (enable the new target first, disable the old one only
 * once BIRD confirmed), retries, listings, reloads, and that the work per
 * change does not grow with the number of protocols: with 20 000
 * protocols settled, one change yields exactly one command and the queue
 * holds only what changed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_plan.h"
#include "config.h"
#include "log.h"

static struct config *
load_services(size_t count, bool with_down)
{
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);
	struct config_errors errors;
	struct config *config;

	/* One stream, not a string joined again per service: 10 000
	 * services must not cost gigabytes of copying. Each service gets its
	 * own documentation prefix. */
	ck_assert_ptr_nonnull(out);
	fprintf(out, "{ \"services\": [ ");
	for (size_t i = 0; i < count; i++)
		fprintf(out, "%s{ \"name\": \"s%zu\", \"prefixes\": "
		    "[\"2001:db8:%zx:%zx::1/128\"], \"checks\": [ { \"type\": "
		    "\"file\", \"path\": \"/x\" } ], \"drain\": { \"seconds\": "
		    "0 }%s }", i == 0 ? "" : ", ", i, (i >> 16) + 1, i & 0xffff,
		    with_down ? ", \"down\": { \"med\": 1000 }" : "");
	fprintf(out, " ] }");
	ck_assert_int_eq(fclose(out), 0);
	config_errors_init(&errors);
	if (config_load_text("t.json", text, &config, &errors) != 0) {
		config_errors_log(&errors);
		ck_abort_msg("config does not load");
	}
	config_errors_clear(&errors);
	free(text);
	return config;
}

static void
plan_for(struct bird_plan *plan, const struct config *config)
{
	const struct service_config **services = xcalloc(
	    config->service_count + 1, sizeof(*services));

	for (size_t i = 0; i < config->service_count; i++)
		services[i] = &config->services[i];
	bird_plan_init(plan);
	bird_plan_set_services(plan, services, config->service_count, NULL,
	    NULL, NULL);
	free(services);
}

/* Answer every due command as BIRD would; returns how many. */
static size_t
answer_all(struct bird_plan *plan)
{
	enum bird_plan_action action;
	struct bird_plan_protocol *protocol;
	size_t count = 0;

	while ((protocol = bird_plan_peek(plan, 0, &action)) != NULL) {
		bird_plan_sent(plan, protocol);
		bird_plan_confirmed(plan, protocol, action == BIRD_PLAN_ENABLE);
		count++;
	}
	return count;
}

START_TEST(test_group_rule)
{
	struct config *config = load_services(1, true);
	struct bird_plan plan;
	struct bird_plan_protocol *up, *down, *next;
	enum bird_plan_action action;

	plan_for(&plan, config);
	up = bird_plan_find(&plan, "anycheck_s0_v6");
	down = bird_plan_find(&plan, "anycheck_s0_v6_down");
	ck_assert_ptr_nonnull(up);
	ck_assert_ptr_nonnull(down);
	/* Nothing decided: BIRD keeps what it has. */
	ck_assert_uint_eq(answer_all(&plan), 0);
	ck_assert_uint_eq(bird_plan_backlog(&plan), 0);
	/* Withdrawn, nothing known: both must be disabled first. */
	bird_plan_set_target(&plan, "s0", -1);
	ck_assert_uint_eq(answer_all(&plan), 2);
	ck_assert_uint_eq(bird_plan_unsettled(&plan), 0);

	ck_assert_uint_eq(bird_plan_set_target(&plan, "s0", BIRD_VARIANT_UP),
	    1);
	ck_assert_uint_eq(answer_all(&plan), 1);
	ck_assert_int_eq(up->known, BIRD_PLAN_ENABLED);

	/* Switch to _down: only its enable is due ... */
	bird_plan_set_target(&plan, "s0", BIRD_VARIANT_DOWN);
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_ptr_eq(next, down);
	ck_assert_int_eq(action, BIRD_PLAN_ENABLE);
	bird_plan_sent(&plan, next);
	ck_assert_ptr_null(bird_plan_peek(&plan, 0, &action));
	ck_assert(up->wanted);
	/* ... and once BIRD confirmed it, the disable of UP. */
	bird_plan_confirmed(&plan, down, true);
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_ptr_eq(next, up);
	ck_assert_int_eq(action, BIRD_PLAN_DISABLE);

	/* A target BIRD cannot enable releases the others too. */
	bird_plan_sent(&plan, next);
	bird_plan_confirmed(&plan, up, false);
	bird_plan_set_target(&plan, "s0", BIRD_VARIANT_UP);
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_ptr_eq(next, up);
	bird_plan_sent(&plan, next);
	ck_assert_int_eq(bird_plan_failed(&plan, up, BIRD_PLAN_PROBLEM_MISSING,
	    100), BIRD_PLAN_PROBLEM_NONE);
	ck_assert(!down->wanted);
	/* Retried at 100, not before. */
	next = bird_plan_peek(&plan, 50, &action);
	ck_assert_ptr_eq(next, down);
	bird_plan_sent(&plan, next);
	bird_plan_confirmed(&plan, down, false);
	ck_assert_ptr_null(bird_plan_peek(&plan, 50, &action));
	ck_assert_uint_eq(bird_plan_retry_due(&plan, 50), 100);
	ck_assert_uint_eq(bird_plan_retry_due(&plan, 100), 0);
	ck_assert_ptr_eq(bird_plan_peek(&plan, 100, &action), up);
	/* Errors are not "unsettled": the exit path does not wait on them. */
	ck_assert_uint_eq(bird_plan_unsettled(&plan), 0);
	ck_assert_uint_eq(bird_plan_backlog(&plan), 1);

	bird_plan_cleanup(&plan);
	config_free(config);
}
END_TEST

/* The first decision of a group whose other attribute set BIRD runs (a
 * restart found _down announced, the service is UP): _down stays until
 * BIRD confirmed UP, as for any switch. */
START_TEST(test_first_decision_keeps_what_bird_runs)
{
	struct config *config = load_services(1, true);
	struct bird_plan plan;
	struct bird_plan_protocol *up, *down, *next;
	enum bird_plan_action action;

	plan_for(&plan, config);
	up = bird_plan_find(&plan, "anycheck_s0_v6");
	down = bird_plan_find(&plan, "anycheck_s0_v6_down");
	bird_plan_listing_begin(&plan);
	(void)bird_plan_observed(&plan, up, BIRD_PLAN_DISABLED);
	(void)bird_plan_observed(&plan, down, BIRD_PLAN_ENABLED);
	bird_plan_listing_end(&plan);
	ck_assert_uint_eq(answer_all(&plan), 0);
	bird_plan_set_target(&plan, "s0", BIRD_VARIANT_UP);
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_ptr_eq(next, up);
	ck_assert_int_eq(action, BIRD_PLAN_ENABLE);
	bird_plan_sent(&plan, next);
	ck_assert_ptr_null(bird_plan_peek(&plan, 0, &action));
	ck_assert(down->wanted);
	bird_plan_confirmed(&plan, up, true);
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_ptr_eq(next, down);
	ck_assert_int_eq(action, BIRD_PLAN_DISABLE);
	bird_plan_cleanup(&plan);
	config_free(config);
}
END_TEST

START_TEST(test_one_change_one_command_at_scale)
{
	struct config *config = load_services(20000, false);
	struct bird_plan plan;
	enum bird_plan_action action;
	struct bird_plan_protocol *next;

	plan_for(&plan, config);
	ck_assert_uint_eq(plan.protocol_count, 20000);
	/* BIRD lists them all disabled: nothing to send. */
	bird_plan_listing_begin(&plan);
	for (size_t i = 0; i < plan.protocol_count; i++)
		ck_assert(!bird_plan_observed(&plan, &plan.protocols[i],
		    BIRD_PLAN_DISABLED));
	bird_plan_listing_end(&plan);
	ck_assert_uint_eq(bird_plan_backlog(&plan), 0);
	ck_assert_ptr_null(bird_plan_peek(&plan, 0, &action));
	ck_assert_uint_eq(plan.queue_count, 0);

	bird_plan_set_target(&plan, "s12345", BIRD_VARIANT_UP);
	ck_assert_uint_eq(plan.queue_count, 1);
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_str_eq(next->name, "anycheck_s12345_v6");
	ck_assert_int_eq(action, BIRD_PLAN_ENABLE);
	ck_assert_uint_eq(answer_all(&plan), 1);

	/* Drift in a listing: reported only where BIRD had confirmed. */
	bird_plan_listing_begin(&plan);
	ck_assert(bird_plan_observed(&plan,
	    bird_plan_find(&plan, "anycheck_s12345_v6"), BIRD_PLAN_DISABLED));
	bird_plan_listing_end(&plan);
	/* Not listed: unknown now, so a command will tell (for the one
	 * service that decided; the others have no wish yet). */
	ck_assert_uint_eq(bird_plan_backlog(&plan), 1);
	bird_plan_cleanup(&plan);
	config_free(config);
}
END_TEST

static size_t gone_count;

static void
on_gone(const struct bird_plan_protocol *protocol, void *arg)
{
	(void)arg;
	ck_assert_str_eq(protocol->name, "anycheck_s1_v6");
	gone_count++;
}

START_TEST(test_reload_keeps_state_by_name)
{
	struct config *config = load_services(3, false);
	struct bird_plan plan;
	const struct service_config *kept[2] = {
		&config->services[0], &config->services[2],
	};

	plan_for(&plan, config);
	for (size_t i = 0; i < config->service_count; i++)
		bird_plan_set_target(&plan, config->services[i].name, -1);
	answer_all(&plan);
	bird_plan_set_target(&plan, "s0", BIRD_VARIANT_UP);
	answer_all(&plan);
	gone_count = 0;
	bird_plan_set_services(&plan, kept, 2, NULL, on_gone, NULL);
	ck_assert_uint_eq(gone_count, 1);
	ck_assert_uint_eq(plan.protocol_count, 2);
	ck_assert_int_eq(bird_plan_find(&plan, "anycheck_s0_v6")->known,
	    BIRD_PLAN_ENABLED);
	ck_assert(bird_plan_find(&plan, "anycheck_s0_v6")->wanted);
	ck_assert_ptr_null(bird_plan_find(&plan, "anycheck_s1_v6"));
	ck_assert_uint_eq(bird_plan_backlog(&plan), 0);
	ck_assert_uint_eq(bird_plan_set_target(&plan, "s1", BIRD_VARIANT_UP),
	    0);
	bird_plan_cleanup(&plan);
	config_free(config);
}
END_TEST

/* A protocol dropped by a reload while BIRD may announce it is disabled
 * before the plan forgets it: confirmed disabled, or BIRD has no such
 * protocol (8003), or a listing does not show it. One known disabled is
 * dropped at once. */
START_TEST(test_removed_protocols_leave_disabled)
{
	struct config *config = load_services(4, false);
	struct bird_plan plan;
	const struct service_config *kept[1] = { &config->services[0] };
	struct bird_plan_protocol *next;
	enum bird_plan_action action;

	plan_for(&plan, config);
	bird_plan_set_target(&plan, "s0", -1);
	answer_all(&plan);
	bird_plan_set_target(&plan, "s1", BIRD_VARIANT_UP);
	bird_plan_set_target(&plan, "s2", BIRD_VARIANT_UP);
	bird_plan_set_target(&plan, "s3", BIRD_VARIANT_UP);
	ck_assert_uint_eq(answer_all(&plan), 3);
	/* s3's state is lost (a connection went away): unknown. */
	bird_plan_lost(&plan, bird_plan_find(&plan, "anycheck_s3_v6"));
	bird_plan_set_services(&plan, kept, 1, NULL, NULL, NULL);
	ck_assert_uint_eq(bird_plan_leaving(&plan), 3);
	ck_assert_uint_eq(bird_plan_unsettled(&plan), 3);
	for (int i = 0; i < 3; i++) {
		next = bird_plan_peek(&plan, 0, &action);
		ck_assert_ptr_nonnull(next);
		ck_assert(next->leaving);
		ck_assert_int_eq(action, BIRD_PLAN_DISABLE);
		bird_plan_sent(&plan, next);
	}
	ck_assert_ptr_null(bird_plan_peek(&plan, 0, &action));
	/* s1 confirmed disabled, s2 unknown to BIRD: both forgotten. */
	next = bird_plan_find(&plan, "anycheck_s1_v6");
	bird_plan_confirmed(&plan, next, false);
	ck_assert(next->gone);
	ck_assert_ptr_null(bird_plan_find(&plan, "anycheck_s1_v6"));
	next = bird_plan_find(&plan, "anycheck_s2_v6");
	bird_plan_failed(&plan, next, BIRD_PLAN_PROBLEM_MISSING, 100);
	ck_assert(next->gone);
	ck_assert_uint_eq(bird_plan_retry_due(&plan, 0), 0);
	/* s3's disable is lost; a listing without it forgets it. */
	bird_plan_lost(&plan, bird_plan_find(&plan, "anycheck_s3_v6"));
	ck_assert_uint_eq(bird_plan_leaving(&plan), 1);
	bird_plan_listing_begin(&plan);
	bird_plan_observed(&plan, bird_plan_find(&plan, "anycheck_s0_v6"),
	    BIRD_PLAN_DISABLED);
	bird_plan_listing_end(&plan);
	ck_assert_ptr_null(bird_plan_find(&plan, "anycheck_s3_v6"));
	ck_assert_uint_eq(bird_plan_leaving(&plan), 0);
	ck_assert_uint_eq(bird_plan_backlog(&plan), 0);
	ck_assert_ptr_null(bird_plan_peek(&plan, 0, &action));

	/* The next reload drops the forgotten slots. */
	bird_plan_set_services(&plan, kept, 1, NULL, NULL, NULL);
	ck_assert_uint_eq(plan.protocol_count, 1);
	bird_plan_cleanup(&plan);
	config_free(config);
}
END_TEST

/* Names BIRD has enabled that no service owns join as leaving; the table
 * grows past its room with the queue and the index intact. */
START_TEST(test_add_leaving_grows)
{
	struct config *config = load_services(2, false);
	struct bird_plan plan;
	struct bird_plan_protocol *next;
	enum bird_plan_action action;
	size_t disables = 0;

	plan_for(&plan, config);
	bird_plan_set_target(&plan, "s0", BIRD_VARIANT_UP);
	bird_plan_set_target(&plan, "s1", BIRD_VARIANT_UP);
	bird_plan_listing_begin(&plan);
	for (int i = 0; i < 100; i++) {
		char name[32];

		snprintf(name, sizeof(name), "anycheck_old%d_v6", i);
		bird_plan_add_leaving(&plan, name);
		bird_plan_add_leaving(&plan, name);     /* once */
		bird_plan_observed(&plan, bird_plan_find(&plan, name),
		    BIRD_PLAN_ENABLED);
	}
	ck_assert_uint_ge(plan.protocol_capacity, 102);
	ck_assert_uint_eq(bird_plan_leaving(&plan), 100);
	/* The configured ones first (queued before), then the leaving. */
	next = bird_plan_peek(&plan, 0, &action);
	ck_assert_str_eq(next->name, "anycheck_s0_v6");
	while ((next = bird_plan_peek(&plan, 0, &action)) != NULL) {
		bird_plan_sent(&plan, next);
		if (action == BIRD_PLAN_DISABLE) {
			ck_assert(next->leaving);
			disables++;
		}
		bird_plan_confirmed(&plan, next, action == BIRD_PLAN_ENABLE);
	}
	ck_assert_uint_eq(disables, 100);
	ck_assert_uint_eq(bird_plan_leaving(&plan), 0);
	ck_assert_ptr_null(bird_plan_find(&plan, "anycheck_old7_v6"));
	ck_assert(bird_plan_find(&plan, "anycheck_s1_v6")->wanted);
	ck_assert_uint_eq(bird_plan_backlog(&plan), 0);
	bird_plan_cleanup(&plan);
	config_free(config);
}
END_TEST

static Suite *
bird_plan_suite(void)
{
	Suite *s = suite_create("bird_plan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_group_rule);
	tcase_add_test(tc, test_first_decision_keeps_what_bird_runs);
	tcase_add_test(tc, test_one_change_one_command_at_scale);
	tcase_add_test(tc, test_reload_keeps_state_by_name);
	tcase_add_test(tc, test_removed_protocols_leave_disabled);
	tcase_add_test(tc, test_add_leaving_grows);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *runner = srunner_create(bird_plan_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
