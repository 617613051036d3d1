/*
 * DOC: health state machine tests
 *
 * Every transition from every state, the exact number of results each
 * threshold needs, maintenance, reloads of rise/fall and the policies.
 */
#include <check.h>
#include <stdlib.h>

#include "health.h"

/* Put a machine with the given thresholds into a state by feeding results
 * the way the daemon would, and check it got there. */
static void
reach(struct health *h, unsigned rise, unsigned fall, enum health_state target)
{
	health_init(h, rise, fall);
	switch (target) {
	case HEALTH_INIT:
		break;
	case HEALTH_RISING:
		ck_assert_uint_gt(rise, 1);
		health_feed(h, true);
		break;
	case HEALTH_UP:
		for (unsigned i = 0; i < rise; i++)
			health_feed(h, true);
		break;
	case HEALTH_FALLING:
		ck_assert_uint_gt(fall, 1);
		for (unsigned i = 0; i < rise; i++)
			health_feed(h, true);
		health_feed(h, false);
		break;
	case HEALTH_DOWN:
		health_feed(h, false);
		break;
	case HEALTH_DISABLED:
		health_set_disabled(h, true);
		break;
	default:
		ck_abort_msg("bad target");
	}
	ck_assert_str_eq(health_state_name(h->state), health_state_name(target));
}

START_TEST(test_init_state)
{
	struct health h;
	health_init(&h, 3, 2);
	ck_assert_int_eq(h.state, HEALTH_INIT);
	ck_assert_uint_eq(h.rise, 3);
	ck_assert_uint_eq(h.fall, 2);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	ck_assert_uint_eq(h.consecutive_failures, 0);
}
END_TEST

START_TEST(test_zero_thresholds_act_as_one)
{
	struct health h;
	health_init(&h, 0, 0);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* INIT */
START_TEST(test_init_pass_rises)
{
	struct health h;
	health_init(&h, 3, 2);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert_uint_eq(h.consecutive_passes, 1);
}
END_TEST

START_TEST(test_init_pass_rise1_up_at_once)
{
	struct health h;
	health_init(&h, 1, 2);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_init_fail_down)
{
	struct health h;
	health_init(&h, 3, 5);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.consecutive_failures, 1);
	ck_assert_uint_eq(h.consecutive_passes, 0);
}
END_TEST

/* RISING */
START_TEST(test_rise3_exact_count)
{
	struct health h;
	health_init(&h, 3, 2);
	ck_assert(health_feed(&h, true));       /* 1: RISING */
	ck_assert(!health_feed(&h, true));      /* 2: still RISING */
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(!health_state_announced(h.state));
	ck_assert(health_feed(&h, true));       /* 3: UP */
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert(health_state_announced(h.state));
}
END_TEST

START_TEST(test_rising_fail_down_and_restart)
{
	struct health h;
	reach(&h, 3, 2, HEALTH_RISING);
	health_feed(&h, true);                  /* 2 passes */
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	/* the rise starts over: 3 fresh passes are needed */
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(!health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_rising_fail_fall1)
{
	struct health h;
	reach(&h, 2, 1, HEALTH_RISING);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* UP */
START_TEST(test_up_pass_stays)
{
	struct health h;
	reach(&h, 2, 2, HEALTH_UP);
	for (int i = 0; i < 10; i++)
		ck_assert(!health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert_uint_eq(h.consecutive_passes, 12);
}
END_TEST

START_TEST(test_up_fail_falling)
{
	struct health h;
	reach(&h, 2, 3, HEALTH_UP);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert_uint_eq(h.consecutive_failures, 1);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	ck_assert(health_state_announced(h.state));
}
END_TEST

START_TEST(test_up_fail_fall1_down_at_once)
{
	struct health h;
	reach(&h, 2, 1, HEALTH_UP);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert(!health_state_announced(h.state));
}
END_TEST

/* FALLING */
START_TEST(test_fall3_exact_count)
{
	struct health h;
	reach(&h, 1, 3, HEALTH_UP);
	ck_assert(health_feed(&h, false));      /* 1: FALLING */
	ck_assert(!health_feed(&h, false));     /* 2: still FALLING */
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false));      /* 3: DOWN */
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_falling_pass_back_up)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_FALLING);
	health_feed(&h, false);                 /* 2 failures */
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);   /* no new rise needed */
	ck_assert_uint_eq(h.consecutive_failures, 0);
	/* the fall starts over: 3 fresh failures are needed */
	ck_assert(health_feed(&h, false));
	ck_assert(!health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* DOWN */
START_TEST(test_down_fail_stays)
{
	struct health h;
	reach(&h, 2, 2, HEALTH_DOWN);
	for (int i = 0; i < 5; i++)
		ck_assert(!health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.consecutive_failures, 6);
}
END_TEST

START_TEST(test_down_pass_rising)
{
	struct health h;
	reach(&h, 2, 2, HEALTH_DOWN);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert_uint_eq(h.consecutive_failures, 0);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_down_pass_rise1_up_at_once)
{
	struct health h;
	health_init(&h, 1, 1);
	health_feed(&h, false);
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

/* Maintenance: on from every state, off only matters in DISABLED. */
static const enum health_state every_reachable_state[] = {
	HEALTH_INIT, HEALTH_RISING, HEALTH_UP, HEALTH_FALLING, HEALTH_DOWN,
	HEALTH_DISABLED,
};

START_TEST(test_maintenance_on_from_every_state)
{
	struct health h;
	enum health_state from = every_reachable_state[_i];
	reach(&h, 3, 3, from);
	ck_assert(health_set_disabled(&h, true) == (from != HEALTH_DISABLED));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	ck_assert_uint_eq(h.consecutive_failures, 0);
	ck_assert(!health_state_announced(h.state));
}
END_TEST

START_TEST(test_maintenance_off_outside_disabled_is_noop)
{
	struct health h;
	enum health_state from = every_reachable_state[_i];
	if (from == HEALTH_DISABLED)
		return;
	reach(&h, 3, 3, from);
	unsigned passes = h.consecutive_passes;
	unsigned failures = h.consecutive_failures;
	ck_assert(!health_set_disabled(&h, false));
	ck_assert_int_eq(h.state, from);
	ck_assert_uint_eq(h.consecutive_passes, passes);
	ck_assert_uint_eq(h.consecutive_failures, failures);
}
END_TEST

START_TEST(test_disabled_ignores_results)
{
	struct health h;
	reach(&h, 1, 1, HEALTH_DISABLED);
	for (int i = 0; i < 5; i++) {
		ck_assert(!health_feed(&h, true));
		ck_assert(!health_feed(&h, false));
	}
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	ck_assert_uint_eq(h.consecutive_failures, 0);
}
END_TEST

START_TEST(test_disabled_off_goes_init_and_must_rise)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_UP);
	health_set_disabled(&h, true);
	ck_assert(health_set_disabled(&h, false));
	ck_assert_int_eq(h.state, HEALTH_INIT);
	ck_assert(!health_state_announced(h.state));
	ck_assert_uint_eq(h.consecutive_passes, 0);
	health_feed(&h, true);
	health_feed(&h, true);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_disabled_off_then_fail_down)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_DISABLED);
	health_set_disabled(&h, false);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* Reload of thresholds */
START_TEST(test_thresholds_keep_state_and_counters)
{
	struct health h;
	reach(&h, 5, 5, HEALTH_RISING);
	health_feed(&h, true);
	health_set_thresholds(&h, 4, 6);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert_uint_eq(h.rise, 4);
	ck_assert_uint_eq(h.fall, 6);
	ck_assert_uint_eq(h.consecutive_passes, 2);
	ck_assert(!health_feed(&h, true));      /* 3 of 4 */
	ck_assert(health_feed(&h, true));       /* 4 of 4 */
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_thresholds_lowered_rise_next_pass_completes)
{
	struct health h;
	reach(&h, 5, 2, HEALTH_RISING);
	health_feed(&h, true);
	health_feed(&h, true);                  /* 3 passes, rise 5 */
	health_set_thresholds(&h, 2, 2);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_thresholds_lowered_fall_next_failure_completes)
{
	struct health h;
	reach(&h, 1, 5, HEALTH_FALLING);
	health_feed(&h, false);
	health_feed(&h, false);                 /* 3 failures, fall 5 */
	health_set_thresholds(&h, 1, 2);
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_thresholds_raised_fall_needs_more)
{
	struct health h;
	reach(&h, 1, 2, HEALTH_FALLING);
	health_set_thresholds(&h, 1, 4);
	ck_assert(!health_feed(&h, false));     /* 2 of 4 */
	ck_assert(!health_feed(&h, false));     /* 3 of 4 */
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_thresholds_in_disabled_stay_disabled)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_DISABLED);
	health_set_thresholds(&h, 1, 1);
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert(!health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	health_set_disabled(&h, false);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);   /* new rise 1 applies */
}
END_TEST

START_TEST(test_thresholds_zero_act_as_one)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_DOWN);
	health_set_thresholds(&h, 0, 0);
	ck_assert_uint_eq(h.rise, 1);
	ck_assert_uint_eq(h.fall, 1);
	ck_assert(health_feed(&h, true));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

/* Predicates and names */
START_TEST(test_state_predicates)
{
	static const struct {
		enum health_state state;
		const char *name;
		bool announced;
		bool fast;
	} expected[] = {
		{ HEALTH_INIT, "INIT", false, true },
		{ HEALTH_RISING, "RISING", false, true },
		{ HEALTH_UP, "UP", true, false },
		{ HEALTH_FALLING, "FALLING", true, true },
		{ HEALTH_DOWN, "DOWN", false, false },
		{ HEALTH_DISABLED, "DISABLED", false, false },
	};
	ck_assert_uint_eq(sizeof(expected) / sizeof(expected[0]),
	    HEALTH_STATE_COUNT);
	for (size_t i = 0; i < HEALTH_STATE_COUNT; i++) {
		ck_assert_str_eq(health_state_name(expected[i].state),
		    expected[i].name);
		ck_assert(health_state_announced(expected[i].state) ==
		    expected[i].announced);
		ck_assert(health_state_uses_fast_interval(expected[i].state) ==
		    expected[i].fast);
	}
	ck_assert_str_eq(health_state_name(HEALTH_STATE_COUNT), "UNKNOWN");
	ck_assert_str_eq(health_state_name((enum health_state)-1), "UNKNOWN");
}
END_TEST

/* Policies */
START_TEST(test_policy_all)
{
	ck_assert(health_policy_passes(REQUIRE_ALL, 0, 3, 3));
	ck_assert(!health_policy_passes(REQUIRE_ALL, 0, 2, 3));
	ck_assert(!health_policy_passes(REQUIRE_ALL, 0, 0, 3));
	ck_assert(health_policy_passes(REQUIRE_ALL, 0, 1, 1));
	ck_assert(!health_policy_passes(REQUIRE_ALL, 0, 0, 1));
}
END_TEST

START_TEST(test_policy_any)
{
	ck_assert(health_policy_passes(REQUIRE_ANY, 0, 1, 3));
	ck_assert(health_policy_passes(REQUIRE_ANY, 0, 3, 3));
	ck_assert(!health_policy_passes(REQUIRE_ANY, 0, 0, 3));
}
END_TEST

START_TEST(test_policy_at_least)
{
	ck_assert(!health_policy_passes(REQUIRE_AT_LEAST, 2, 1, 3));
	ck_assert(health_policy_passes(REQUIRE_AT_LEAST, 2, 2, 3));
	ck_assert(health_policy_passes(REQUIRE_AT_LEAST, 2, 3, 3));
	ck_assert(!health_policy_passes(REQUIRE_AT_LEAST, 3, 2, 3));
	ck_assert(health_policy_passes(REQUIRE_AT_LEAST, 3, 3, 3));
}
END_TEST

START_TEST(test_policy_no_checks_never_passes)
{
	ck_assert(!health_policy_passes(REQUIRE_ALL, 0, 0, 0));
	ck_assert(!health_policy_passes(REQUIRE_ANY, 0, 0, 0));
	ck_assert(!health_policy_passes(REQUIRE_AT_LEAST, 0, 0, 0));
	/* more passes than checks is a caller bug, not a pass */
	ck_assert(!health_policy_passes(REQUIRE_ALL, 0, 4, 3));
}
END_TEST

static Suite *
health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("transitions");
	size_t states = sizeof(every_reachable_state) /
	    sizeof(every_reachable_state[0]);

	tcase_add_test(tc, test_init_state);
	tcase_add_test(tc, test_zero_thresholds_act_as_one);
	tcase_add_test(tc, test_init_pass_rises);
	tcase_add_test(tc, test_init_pass_rise1_up_at_once);
	tcase_add_test(tc, test_init_fail_down);
	tcase_add_test(tc, test_rise3_exact_count);
	tcase_add_test(tc, test_rising_fail_down_and_restart);
	tcase_add_test(tc, test_rising_fail_fall1);
	tcase_add_test(tc, test_up_pass_stays);
	tcase_add_test(tc, test_up_fail_falling);
	tcase_add_test(tc, test_up_fail_fall1_down_at_once);
	tcase_add_test(tc, test_fall3_exact_count);
	tcase_add_test(tc, test_falling_pass_back_up);
	tcase_add_test(tc, test_down_fail_stays);
	tcase_add_test(tc, test_down_pass_rising);
	tcase_add_test(tc, test_down_pass_rise1_up_at_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("maintenance");
	tcase_add_loop_test(tc, test_maintenance_on_from_every_state, 0,
	    (int)states);
	tcase_add_loop_test(tc, test_maintenance_off_outside_disabled_is_noop,
	    0, (int)states);
	tcase_add_test(tc, test_disabled_ignores_results);
	tcase_add_test(tc, test_disabled_off_goes_init_and_must_rise);
	tcase_add_test(tc, test_disabled_off_then_fail_down);
	suite_add_tcase(s, tc);

	tc = tcase_create("thresholds");
	tcase_add_test(tc, test_thresholds_keep_state_and_counters);
	tcase_add_test(tc, test_thresholds_lowered_rise_next_pass_completes);
	tcase_add_test(tc, test_thresholds_lowered_fall_next_failure_completes);
	tcase_add_test(tc, test_thresholds_raised_fall_needs_more);
	tcase_add_test(tc, test_thresholds_in_disabled_stay_disabled);
	tcase_add_test(tc, test_thresholds_zero_act_as_one);
	suite_add_tcase(s, tc);

	tc = tcase_create("predicates");
	tcase_add_test(tc, test_state_predicates);
	tcase_add_test(tc, test_policy_all);
	tcase_add_test(tc, test_policy_any);
	tcase_add_test(tc, test_policy_at_least);
	tcase_add_test(tc, test_policy_no_checks_never_passes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(health_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
