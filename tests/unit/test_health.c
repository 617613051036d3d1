/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: health state machine tests
 *
 * Every transition from every state, the exact number of results each
 * threshold needs, maintenance, reloads of rise/fall and the policies;
 * failure scope: global-only failures with a last resort (DEGRADED), local
 * failures during them, and the verdict of a round.
 */
#include <check.h>
#include <stdlib.h>

#include "health.h"

/* Start in INIT with rise/fall and no hold-down. */
static void
health_init(struct health *health, unsigned rise, unsigned fall)
{
	struct health_params params = { .rise = rise, .fall = fall };

	health_init_params(health, &params);
}

/* New rise/fall only, keeping the other parameters (a reload). */
static void
health_set_thresholds(struct health *health, unsigned rise, unsigned fall)
{
	struct health_params params = health->params;

	params.rise = rise;
	params.fall = fall;
	health_set_params(health, &params);
}

#define SEC 1000000000ULL

/* Maintenance with no drain configured, as the old tests expect. */
static bool
set_disabled(struct health *h, bool on)
{
	return health_set_maintenance(h, on, 0, 0);
}

/* The fast-interval rule for a state with no passes in yet. */
static bool
fast_for_state(enum health_state state)
{
	struct health h;
	health_init(&h, 3, 2);
	h.state = state;
	return health_uses_fast_interval(&h);
}

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
		health_feed(h, true, 0);
		break;
	case HEALTH_UP:
		for (unsigned i = 0; i < rise; i++)
			health_feed(h, true, 0);
		break;
	case HEALTH_FALLING:
		ck_assert_uint_gt(fall, 1);
		for (unsigned i = 0; i < rise; i++)
			health_feed(h, true, 0);
		health_feed(h, false, 0);
		break;
	case HEALTH_DOWN:
		health_feed(h, false, 0);
		break;
	case HEALTH_DISABLED:
		set_disabled(h, true);
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
	ck_assert_uint_eq(h.params.rise, 3);
	ck_assert_uint_eq(h.params.fall, 2);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	ck_assert_uint_eq(h.consecutive_failures, 0);
}
END_TEST

START_TEST(test_zero_thresholds_act_as_one)
{
	struct health h;
	health_init(&h, 0, 0);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* INIT */
START_TEST(test_init_pass_rises)
{
	struct health h;
	health_init(&h, 3, 2);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert_uint_eq(h.consecutive_passes, 1);
}
END_TEST

START_TEST(test_init_pass_rise1_up_at_once)
{
	struct health h;
	health_init(&h, 1, 2);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_init_fail_down)
{
	struct health h;
	health_init(&h, 3, 5);
	ck_assert(health_feed(&h, false, 0));
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
	ck_assert(health_feed(&h, true, 0));       /* 1: RISING */
	ck_assert(!health_feed(&h, true, 0));      /* 2: still RISING */
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(!health_state_announced(h.state));
	ck_assert(health_feed(&h, true, 0));       /* 3: UP */
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert(health_state_announced(h.state));
}
END_TEST

START_TEST(test_rising_fail_down_and_restart)
{
	struct health h;
	reach(&h, 3, 2, HEALTH_RISING);
	health_feed(&h, true, 0);                  /* 2 passes */
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.consecutive_passes, 0);
	/* the rise starts over: 3 fresh passes are needed */
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(!health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_rising_fail_fall1)
{
	struct health h;
	reach(&h, 2, 1, HEALTH_RISING);
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* UP */
START_TEST(test_up_pass_stays)
{
	struct health h;
	reach(&h, 2, 2, HEALTH_UP);
	for (int i = 0; i < 10; i++)
		ck_assert(!health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert_uint_eq(h.consecutive_passes, 12);
}
END_TEST

START_TEST(test_up_fail_falling)
{
	struct health h;
	reach(&h, 2, 3, HEALTH_UP);
	ck_assert(health_feed(&h, false, 0));
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
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert(!health_state_announced(h.state));
}
END_TEST

/* FALLING */
START_TEST(test_fall3_exact_count)
{
	struct health h;
	reach(&h, 1, 3, HEALTH_UP);
	ck_assert(health_feed(&h, false, 0));      /* 1: FALLING */
	ck_assert(!health_feed(&h, false, 0));     /* 2: still FALLING */
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false, 0));      /* 3: DOWN */
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_falling_pass_back_up)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_FALLING);
	health_feed(&h, false, 0);                 /* 2 failures */
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);   /* no new rise needed */
	ck_assert_uint_eq(h.consecutive_failures, 0);
	/* the fall starts over: 3 fresh failures are needed */
	ck_assert(health_feed(&h, false, 0));
	ck_assert(!health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* DOWN */
START_TEST(test_down_fail_stays)
{
	struct health h;
	reach(&h, 2, 2, HEALTH_DOWN);
	for (int i = 0; i < 5; i++)
		ck_assert(!health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.consecutive_failures, 6);
}
END_TEST

START_TEST(test_down_pass_rising)
{
	struct health h;
	reach(&h, 2, 2, HEALTH_DOWN);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert_uint_eq(h.consecutive_failures, 0);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_down_pass_rise1_up_at_once)
{
	struct health h;
	health_init(&h, 1, 1);
	health_feed(&h, false, 0);
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert(health_feed(&h, true, 0));
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
	ck_assert(set_disabled(&h, true) == (from != HEALTH_DISABLED));
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
	ck_assert(!set_disabled(&h, false));
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
		ck_assert(!health_feed(&h, true, 0));
		ck_assert(!health_feed(&h, false, 0));
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
	set_disabled(&h, true);
	ck_assert(set_disabled(&h, false));
	ck_assert_int_eq(h.state, HEALTH_INIT);
	ck_assert(!health_state_announced(h.state));
	ck_assert_uint_eq(h.consecutive_passes, 0);
	health_feed(&h, true, 0);
	health_feed(&h, true, 0);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_disabled_off_then_fail_down)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_DISABLED);
	set_disabled(&h, false);
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

/* Reload of thresholds */
START_TEST(test_thresholds_keep_state_and_counters)
{
	struct health h;
	reach(&h, 5, 5, HEALTH_RISING);
	health_feed(&h, true, 0);
	health_set_thresholds(&h, 4, 6);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert_uint_eq(h.params.rise, 4);
	ck_assert_uint_eq(h.params.fall, 6);
	ck_assert_uint_eq(h.consecutive_passes, 2);
	ck_assert(!health_feed(&h, true, 0));      /* 3 of 4 */
	ck_assert(health_feed(&h, true, 0));       /* 4 of 4 */
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_thresholds_lowered_rise_next_pass_completes)
{
	struct health h;
	reach(&h, 5, 2, HEALTH_RISING);
	health_feed(&h, true, 0);
	health_feed(&h, true, 0);                  /* 3 passes, rise 5 */
	health_set_thresholds(&h, 2, 2);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_thresholds_lowered_fall_next_failure_completes)
{
	struct health h;
	reach(&h, 1, 5, HEALTH_FALLING);
	health_feed(&h, false, 0);
	health_feed(&h, false, 0);                 /* 3 failures, fall 5 */
	health_set_thresholds(&h, 1, 2);
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_thresholds_raised_fall_needs_more)
{
	struct health h;
	reach(&h, 1, 2, HEALTH_FALLING);
	health_set_thresholds(&h, 1, 4);
	ck_assert(!health_feed(&h, false, 0));     /* 2 of 4 */
	ck_assert(!health_feed(&h, false, 0));     /* 3 of 4 */
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_feed(&h, false, 0));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_thresholds_in_disabled_stay_disabled)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_DISABLED);
	health_set_thresholds(&h, 1, 1);
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert(!health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	set_disabled(&h, false);
	ck_assert(health_feed(&h, true, 0));
	ck_assert_int_eq(h.state, HEALTH_UP);   /* new rise 1 applies */
}
END_TEST

START_TEST(test_thresholds_zero_act_as_one)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_DOWN);
	health_set_thresholds(&h, 0, 0);
	ck_assert_uint_eq(h.params.rise, 1);
	ck_assert_uint_eq(h.params.fall, 1);
	ck_assert(health_feed(&h, true, 0));
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
		{ HEALTH_DEGRADED, "DEGRADED", true, false },
		{ HEALTH_DOWN, "DOWN", false, false },
		{ HEALTH_DRAINING, "DRAINING", true, false },
		{ HEALTH_DISABLED, "DISABLED", false, false },
		{ HEALTH_STOPPED, "STOPPED", false, false },
	};
	ck_assert_uint_eq(sizeof(expected) / sizeof(expected[0]),
	    HEALTH_STATE_COUNT);
	for (size_t i = 0; i < HEALTH_STATE_COUNT; i++) {
		ck_assert_str_eq(health_state_name(expected[i].state),
		    expected[i].name);
		ck_assert(health_state_announced(expected[i].state) ==
		    expected[i].announced);
		ck_assert(fast_for_state(expected[i].state) ==
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

/* Anti-flap: hold_down 10 s, window 300 s, max 60 s, rise 2, fall 1. */
static void
flappy(struct health *h)
{
	struct health_params p = {
		.rise = 2, .fall = 1, .hold_down_ns = 10 * SEC,
		.flap_window_ns = 300 * SEC, .hold_down_max_ns = 60 * SEC,
	};
	health_init_params(h, &p);
}

/* From any state, pass rounds one second apart until UP; return when. */
static uint64_t
rise_until_up(struct health *h, uint64_t now)
{
	for (int i = 0; i < 1000 && h->state != HEALTH_UP; i++, now += SEC)
		health_feed(h, true, now);
	ck_assert_int_eq(h->state, HEALTH_UP);
	return now - SEC;
}

START_TEST(test_hold_down_arithmetic)
{
	struct health_params p = {
		.hold_down_ns = 10 * SEC, .hold_down_max_ns = 60 * SEC,
	};
	ck_assert_uint_eq(health_hold_down_for(&p, 0), 0);
	ck_assert_uint_eq(health_hold_down_for(&p, 1), 0);
	ck_assert_uint_eq(health_hold_down_for(&p, 2), 10 * SEC);
	ck_assert_uint_eq(health_hold_down_for(&p, 3), 20 * SEC);
	ck_assert_uint_eq(health_hold_down_for(&p, 4), 40 * SEC);
	ck_assert_uint_eq(health_hold_down_for(&p, 5), 60 * SEC);
	ck_assert_uint_eq(health_hold_down_for(&p, 1000), 60 * SEC);
	p.hold_down_ns = 0;
	ck_assert_uint_eq(health_hold_down_for(&p, 5), 0);
	/* Huge values saturate at the cap instead of overflowing. */
	p.hold_down_ns = 3600 * SEC;
	p.hold_down_max_ns = 86400 * SEC;
	ck_assert_uint_eq(health_hold_down_for(&p, 32), 86400 * SEC);
}
END_TEST

START_TEST(test_first_down_costs_nothing)
{
	struct health h;
	flappy(&h);
	uint64_t now = rise_until_up(&h, 0);
	health_feed(&h, false, now + SEC);
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.flap_count, 1);
	ck_assert_uint_eq(h.hold_ns, 0);
	/* rise 2: UP on the second pass, no hold-down. */
	health_feed(&h, true, now + 2 * SEC);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true, now + 3 * SEC));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert_uint_eq(h.events & HEALTH_EVENT_HOLD_STARTED, 0);
}
END_TEST

START_TEST(test_second_down_holds_and_ends_by_tick)
{
	struct health h;
	flappy(&h);
	uint64_t now = rise_until_up(&h, 0);
	health_feed(&h, false, now += SEC);             /* 1st DOWN */
	now = rise_until_up(&h, now + SEC);
	health_feed(&h, false, now += SEC);             /* 2nd DOWN */
	ck_assert_uint_eq(h.flap_count, 2);
	ck_assert_uint_eq(h.hold_ns, 10 * SEC);
	uint64_t first_pass = now + SEC;
	health_feed(&h, true, first_pass);
	ck_assert(!health_feed(&h, true, first_pass + SEC));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(h.events & HEALTH_EVENT_HOLD_STARTED);
	ck_assert(health_held_down(&h));
	ck_assert(!health_uses_fast_interval(&h));
	ck_assert_uint_eq(health_next_wake_ns(&h), first_pass + 10 * SEC);
	/* Passing rounds before the end keep it held, logged once. */
	ck_assert(!health_feed(&h, true, first_pass + 5 * SEC));
	ck_assert_uint_eq(h.events & HEALTH_EVENT_HOLD_STARTED, 0);
	ck_assert(!health_tick(&h, first_pass + 10 * SEC - 1));
	ck_assert(health_tick(&h, first_pass + 10 * SEC));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert(h.events & HEALTH_EVENT_HOLD_ENDED);
	ck_assert_uint_eq(health_next_wake_ns(&h), 0);
}
END_TEST

START_TEST(test_hold_down_doubles_and_caps)
{
	struct health h;
	uint64_t expected[] = { 0, 10, 20, 40, 60, 60 };
	flappy(&h);
	uint64_t now = rise_until_up(&h, 0);
	for (int i = 0; i < 6; i++) {
		health_feed(&h, false, now += SEC);
		ck_assert_uint_eq(h.flap_count, (unsigned)i + 1);
		ck_assert_uint_eq(h.hold_ns, expected[i] * SEC);
		uint64_t start = now + SEC;
		now = rise_until_up(&h, start);
		/* UP came exactly when the hold-down was served. */
		ck_assert_uint_ge(now - start, expected[i] * SEC);
		ck_assert_uint_lt(now - start, expected[i] * SEC + 2 * SEC);
	}
}
END_TEST

START_TEST(test_hold_down_window_expires)
{
	struct health h;
	flappy(&h);
	uint64_t now = rise_until_up(&h, 0);
	health_feed(&h, false, now += SEC);
	now = rise_until_up(&h, now + SEC);
	health_feed(&h, false, now += SEC);
	ck_assert_uint_eq(h.flap_count, 2);
	now = rise_until_up(&h, now + SEC);
	/* More than flap_window after both: the next DOWN is a 1st again. */
	now += 400 * SEC;
	health_feed(&h, false, now);
	ck_assert_uint_eq(h.flap_count, 1);
	ck_assert_uint_eq(h.hold_ns, 0);
}
END_TEST

START_TEST(test_hold_down_failure_restarts_streak)
{
	struct health h;
	flappy(&h);
	uint64_t now = rise_until_up(&h, 0);
	health_feed(&h, false, now += SEC);
	now = rise_until_up(&h, now + SEC);
	health_feed(&h, false, now += SEC);
	health_feed(&h, true, now += SEC);
	health_feed(&h, true, now += SEC);
	ck_assert(health_held_down(&h));
	/* A failure while held: DOWN, not a new flap, hold-down kept. */
	health_feed(&h, false, now += SEC);
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.flap_count, 2);
	ck_assert_uint_eq(h.hold_ns, 10 * SEC);
	uint64_t restart = now + SEC;
	health_feed(&h, true, restart);
	health_feed(&h, true, restart + 9 * SEC);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	health_feed(&h, true, restart + 10 * SEC);
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

START_TEST(test_down_from_rising_is_not_a_flap)
{
	struct health h;
	flappy(&h);
	for (int i = 0; i < 5; i++) {
		health_feed(&h, true, (uint64_t)i * 2 * SEC);
		health_feed(&h, false, (uint64_t)i * 2 * SEC + SEC);
	}
	ck_assert_uint_eq(h.flap_count, 0);
	ck_assert_uint_eq(h.hold_ns, 0);
}
END_TEST

/* Draining */
static void
up_at(struct health *h, unsigned fall)
{
	health_init(h, 1, fall);
	health_feed(h, true, 0);
	ck_assert_int_eq(h->state, HEALTH_UP);
}

START_TEST(test_drain_ends_by_time_into_disabled)
{
	struct health h;
	up_at(&h, 2);
	ck_assert(health_set_maintenance(&h, true, 100 * SEC, 30 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	ck_assert(h.events & HEALTH_EVENT_DRAIN_STARTED);
	ck_assert_int_eq(h.drain_reason, HEALTH_DRAIN_MAINTENANCE);
	ck_assert(health_state_announced(h.state));
	ck_assert_uint_eq(health_next_wake_ns(&h), 130 * SEC);
	/* Passing rounds go on; the drain stays. */
	ck_assert(!health_feed(&h, true, 110 * SEC));
	ck_assert(!health_tick(&h, 130 * SEC - 1));
	ck_assert(health_tick(&h, 130 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_TIME);
	ck_assert(h.events & HEALTH_EVENT_DRAIN_ENDED);
}
END_TEST

START_TEST(test_drain_ends_by_connections)
{
	struct health h;
	up_at(&h, 2);
	health_set_maintenance(&h, true, 0, 30 * SEC);
	ck_assert(!health_drain_connections(&h, 5, 2, 1 * SEC));
	ck_assert(!health_drain_connections(&h, -1, 2, 1 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	ck_assert(health_drain_connections(&h, 2, 2, 1 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_CONNECTIONS);
	/* Counts outside a drain change nothing. */
	ck_assert(!health_drain_connections(&h, 0, 2, 2 * SEC));
}
END_TEST

/* UP with fall 2 and a 3 s minimum drain. */
static void
up_with_min_drain(struct health *h)
{
	struct health_params params = { .rise = 1, .fall = 2,
		.drain_min_ns = 3 * SEC };

	health_init_params(h, &params);
	health_feed(h, true, 0);
	ck_assert_int_eq(h->state, HEALTH_UP);
}

/* A drain with no connections (a UDP service, an idle one) still lasts
 * drain.min_seconds, so 65535:0 reaches the routers before the withdraw. */
START_TEST(test_drain_lasts_min_seconds_without_connections)
{
	struct health h;

	up_with_min_drain(&h);
	health_set_maintenance(&h, true, 100 * SEC, 30 * SEC);
	/* No connections at the first count, at once: not yet. */
	ck_assert(!health_drain_connections(&h, 0, 0, 100 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	ck_assert_uint_eq(health_next_wake_ns(&h), 103 * SEC);
	ck_assert(!health_tick(&h, 103 * SEC - 1));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	ck_assert(health_tick(&h, 103 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_CONNECTIONS);
	ck_assert(h.events & HEALTH_EVENT_DRAIN_ENDED);
}
END_TEST

START_TEST(test_drain_min_seconds_count_rises_again)
{
	struct health h;

	up_with_min_drain(&h);
	health_set_maintenance(&h, true, 100 * SEC, 30 * SEC);
	ck_assert(!health_drain_connections(&h, 0, 0, 100 * SEC));
	/* A client came back: only the time bound is pending again. */
	ck_assert(!health_drain_connections(&h, 4, 0, 101 * SEC));
	ck_assert_uint_eq(health_next_wake_ns(&h), 130 * SEC);
	ck_assert(!health_tick(&h, 103 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	/* Gone after the minimum: the drain ends with that count. */
	ck_assert(health_drain_connections(&h, 0, 0, 104 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_CONNECTIONS);
}
END_TEST

/* A minimum above the drain's length: the time bound ends it. */
START_TEST(test_drain_min_seconds_above_drain_seconds)
{
	struct health h;

	up_with_min_drain(&h);
	health_set_maintenance(&h, true, 100 * SEC, 2 * SEC);
	ck_assert(!health_drain_connections(&h, 0, 0, 101 * SEC));
	ck_assert_uint_eq(health_next_wake_ns(&h), 102 * SEC);
	ck_assert(health_tick(&h, 102 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_TIME);
}
END_TEST

START_TEST(test_drain_cancelled_by_maintenance_off)
{
	struct health h;
	up_at(&h, 2);
	health_set_maintenance(&h, true, 0, 30 * SEC);
	ck_assert(health_set_maintenance(&h, false, SEC, 30 * SEC));
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_CANCELLED);
	ck_assert_uint_eq(health_next_wake_ns(&h), 0);
}
END_TEST

START_TEST(test_drain_ends_on_fall_failures)
{
	struct health h;
	up_at(&h, 2);
	health_set_maintenance(&h, true, 0, 30 * SEC);
	ck_assert(!health_feed(&h, false, SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	ck_assert(health_feed(&h, false, 2 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_FAILED);
	/* A planned withdraw is not a flap. */
	ck_assert_uint_eq(h.flap_count, 0);
}
END_TEST

START_TEST(test_drain_zero_seconds_disables_at_once)
{
	struct health h;
	up_at(&h, 2);
	ck_assert(health_set_maintenance(&h, true, 0, 0));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_uint_eq(h.events & HEALTH_EVENT_DRAIN_STARTED, 0);
}
END_TEST

START_TEST(test_maintenance_from_falling_drains)
{
	struct health h;
	health_init(&h, 1, 3);
	health_feed(&h, true, 0);
	health_feed(&h, false, 0);
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	ck_assert(health_set_maintenance(&h, true, 0, SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
}
END_TEST

START_TEST(test_stop_drains_then_stopped)
{
	struct health h;
	up_at(&h, 2);
	ck_assert(health_stop(&h, HEALTH_DRAIN_EXIT, 0, 10 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	/* Maintenance off does not cancel an exit drain. */
	ck_assert(!health_set_maintenance(&h, false, SEC, 10 * SEC));
	ck_assert(health_tick(&h, 10 * SEC));
	ck_assert_int_eq(h.state, HEALTH_STOPPED);
	ck_assert(!health_feed(&h, true, 11 * SEC));
	ck_assert(!health_set_maintenance(&h, true, 11 * SEC, SEC));
	ck_assert(!health_stop(&h, HEALTH_DRAIN_EXIT, 11 * SEC, SEC));
}
END_TEST

START_TEST(test_stop_during_maintenance_drain)
{
	struct health h;
	up_at(&h, 2);
	health_set_maintenance(&h, true, 0, 30 * SEC);
	/* An exit with drain keeps the deadline, then ends STOPPED. */
	ck_assert(!health_stop(&h, HEALTH_DRAIN_EXIT, SEC, 5 * SEC));
	ck_assert_uint_eq(health_next_wake_ns(&h), 30 * SEC);
	ck_assert(health_tick(&h, 30 * SEC));
	ck_assert_int_eq(h.state, HEALTH_STOPPED);
	/* A second signal (drain 0) cuts a drain short. */
	up_at(&h, 2);
	health_stop(&h, HEALTH_DRAIN_REMOVED, 0, 30 * SEC);
	ck_assert(health_stop(&h, HEALTH_DRAIN_EXIT, SEC, 0));
	ck_assert_int_eq(h.state, HEALTH_STOPPED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_CUT);
}
END_TEST

START_TEST(test_stop_unannounced_at_once)
{
	static const enum health_state from[] = {
		HEALTH_INIT, HEALTH_RISING, HEALTH_DOWN, HEALTH_DISABLED,
	};
	for (size_t i = 0; i < 4; i++) {
		struct health h;
		reach(&h, 3, 2, from[i]);
		ck_assert(health_stop(&h, HEALTH_DRAIN_EXIT, 0, 30 * SEC));
		ck_assert_int_eq(h.state, HEALTH_STOPPED);
	}
}
END_TEST

START_TEST(test_params_keep_state)
{
	struct health h;
	struct health_params p = { .rise = 5, .fall = 5,
	    .hold_down_ns = 20 * SEC, .hold_down_max_ns = SEC };
	up_at(&h, 2);
	health_set_params(&h, &p);
	ck_assert_int_eq(h.state, HEALTH_UP);
	ck_assert_uint_eq(h.params.rise, 5);
	/* A max below hold_down is raised to it. */
	ck_assert_uint_eq(h.params.hold_down_max_ns, 20 * SEC);
}
END_TEST

/* Certain failures (health_fail_certain): DOWN at once, back by rise and
 * hold-down. fall 3 everywhere, so that "at once" is visibly not "after fall
 * rounds". */

START_TEST(test_certain_failure_up_down_at_once)
{
	struct health h;
	reach(&h, 2, 3, HEALTH_UP);
	ck_assert(health_fail_certain(&h, 5 * SEC));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	/* A DOWN that took an announcement away: a flap. */
	ck_assert_uint_eq(h.flap_count, 1);
	ck_assert_uint_eq(h.down_times_ns[0], 5 * SEC);
}
END_TEST

START_TEST(test_certain_failure_falling_down_at_once)
{
	struct health h;
	reach(&h, 2, 3, HEALTH_FALLING);
	ck_assert(health_fail_certain(&h, SEC));
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.flap_count, 1);
}
END_TEST

START_TEST(test_certain_failure_unannounced_states)
{
	static const enum health_state from[] = {
		HEALTH_INIT, HEALTH_RISING, HEALTH_DOWN,
	};
	for (size_t i = 0; i < 3; i++) {
		struct health h;
		reach(&h, 3, 3, from[i]);
		health_fail_certain(&h, SEC);
		ck_assert_int_eq(h.state, HEALTH_DOWN);
		ck_assert_uint_eq(h.consecutive_passes, 0);
		/* Nothing was announced: no flap. */
		ck_assert_uint_eq(h.flap_count, 0);
	}
}
END_TEST

START_TEST(test_certain_failure_ignored_disabled_stopped)
{
	struct health h;
	reach(&h, 2, 3, HEALTH_DISABLED);
	ck_assert(!health_fail_certain(&h, SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	up_at(&h, 3);
	health_stop(&h, HEALTH_DRAIN_EXIT, 0, 0);
	ck_assert_int_eq(h.state, HEALTH_STOPPED);
	ck_assert(!health_fail_certain(&h, SEC));
	ck_assert_int_eq(h.state, HEALTH_STOPPED);
}
END_TEST

START_TEST(test_certain_failure_ends_drain)
{
	struct health h;
	up_at(&h, 3);
	health_set_maintenance(&h, true, 0, 30 * SEC);
	ck_assert_int_eq(h.state, HEALTH_DRAINING);
	ck_assert(health_fail_certain(&h, SEC));
	ck_assert_int_eq(h.state, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_FAILED);
	ck_assert_uint_eq(h.flap_count, 0);
}
END_TEST

START_TEST(test_certain_failure_return_needs_rise)
{
	struct health h;
	reach(&h, 3, 3, HEALTH_UP);
	health_fail_certain(&h, 10 * SEC);
	ck_assert(health_feed(&h, true, 11 * SEC));
	ck_assert_int_eq(h.state, HEALTH_RISING);
	health_feed(&h, true, 12 * SEC);
	ck_assert_int_eq(h.state, HEALTH_RISING);
	ck_assert(health_feed(&h, true, 13 * SEC));
	ck_assert_int_eq(h.state, HEALTH_UP);
	/* And a normal failure after that needs fall rounds again. */
	health_feed(&h, false, 14 * SEC);
	health_feed(&h, false, 15 * SEC);
	ck_assert_int_eq(h.state, HEALTH_FALLING);
	health_feed(&h, false, 16 * SEC);
	ck_assert_int_eq(h.state, HEALTH_DOWN);
}
END_TEST

START_TEST(test_certain_failure_hold_down_applies)
{
	struct health h;
	struct health_params p = {
		.rise = 2, .fall = 3, .hold_down_ns = 10 * SEC,
		.flap_window_ns = 300 * SEC, .hold_down_max_ns = 60 * SEC,
	};
	health_init_params(&h, &p);
	uint64_t now = rise_until_up(&h, 0);
	health_fail_certain(&h, now += SEC);            /* 1st DOWN */
	ck_assert_uint_eq(h.hold_ns, 0);
	now = rise_until_up(&h, now + SEC);
	health_fail_certain(&h, now += SEC);            /* 2nd DOWN */
	ck_assert_int_eq(h.state, HEALTH_DOWN);
	ck_assert_uint_eq(h.flap_count, 2);
	ck_assert_uint_eq(h.hold_ns, 10 * SEC);
	uint64_t first_pass = now + SEC;
	health_feed(&h, true, first_pass);
	health_feed(&h, true, first_pass + SEC);
	ck_assert(health_held_down(&h));
	ck_assert(!health_tick(&h, first_pass + 10 * SEC - 1));
	ck_assert(health_tick(&h, first_pass + 10 * SEC));
	ck_assert_int_eq(h.state, HEALTH_UP);
}
END_TEST

/* Failure scope. Rounds as letters: P passes, G fails with only global
 * checks failing, L fails with a local check failing, U undecided. */
static void
scope_init(struct health *h, unsigned rise, unsigned fall)
{
	struct health_params params = {
		.rise = rise, .fall = fall, .last_resort = true,
	};

	health_init_params(h, &params);
}

static enum health_verdict
verdict_of(char round)
{
	switch (round) {
	case 'P':
		return HEALTH_VERDICT_PASS;
	case 'G':
		return HEALTH_VERDICT_FAIL_GLOBAL;
	case 'L':
		return HEALTH_VERDICT_FAIL_LOCAL;
	case 'U':
		return HEALTH_VERDICT_UNDECIDED;
	}
	ck_abort_msg("bad round %c", round);
	return HEALTH_VERDICT_UNDECIDED;
}

/* Feed the rounds one second apart from *now; returns whether the last
 * one changed the state. */
static bool
feed_rounds(struct health *h, const char *rounds, uint64_t *now)
{
	bool changed = false;

	for (const char *r = rounds; *r != '\0'; r++) {
		changed = health_feed_verdict(h, verdict_of(*r), *now);
		*now += SEC;
	}
	return changed;
}

#define assert_state(h, want) \
	ck_assert_msg((h)->state == (want), "state %s, expected %s", \
	    health_state_name((h)->state), health_state_name(want))

/* UP with rise passes from t = 0; returns the time of the next round. */
static uint64_t
scope_up(struct health *h, unsigned rise, unsigned fall)
{
	uint64_t now = 0;

	scope_init(h, rise, fall);
	for (unsigned i = 0; i < rise; i++)
		feed_rounds(h, "P", &now);
	assert_state(h, HEALTH_UP);
	return now;
}

START_TEST(test_scope_global_fall_degraded)
{
	struct health h;
	uint64_t now = scope_up(&h, 2, 3);

	/* fall 3: FALLING on the first two, DEGRADED on exactly the 3rd. */
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_FALLING);
	ck_assert(!feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_FALLING);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(health_state_announced(h.state));
	/* Not a withdraw: no flap recorded, no hold-down. */
	ck_assert_uint_eq(h.down_total, 0);
	ck_assert_uint_eq(h.hold_ns, 0);
	/* More global failures change nothing, at interval. */
	ck_assert(!feed_rounds(&h, "GGGGG", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(!health_uses_fast_interval(&h));
	ck_assert_uint_eq(h.consecutive_failures, 8);
	ck_assert_uint_eq(h.consecutive_local_passes, 10);
	ck_assert_uint_eq(h.consecutive_local_failures, 0);
}
END_TEST

START_TEST(test_scope_fall1_degraded_at_once)
{
	struct health h;
	uint64_t now = scope_up(&h, 1, 1);

	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(feed_rounds(&h, "P", &now));  /* rise 1 */
	assert_state(&h, HEALTH_UP);
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DOWN);
}
END_TEST

/* A local failure while DEGRADED withdraws by the usual fall rule: fall
 * rounds in a row with a local failure, not at once. */
START_TEST(test_scope_degraded_local_fall_rule)
{
	struct health h;
	uint64_t now = scope_up(&h, 2, 3);

	feed_rounds(&h, "GGG", &now);
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(!feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(health_uses_fast_interval(&h));       /* deciding */
	ck_assert(!feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DOWN);
	ck_assert(!health_state_announced(h.state));
	/* It took an announcement away: a flap. */
	ck_assert_uint_eq(h.down_total, 1);
	ck_assert_uint_eq(h.flap_count, 1);
}
END_TEST

START_TEST(test_scope_degraded_local_failures_must_be_in_a_row)
{
	struct health h;
	uint64_t now = scope_up(&h, 2, 2);

	feed_rounds(&h, "GG", &now);
	assert_state(&h, HEALTH_DEGRADED);
	/* A round between them in which every local check passed. */
	ck_assert(!feed_rounds(&h, "LGLGLPL", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DOWN);
}
END_TEST

START_TEST(test_scope_degraded_recovers_after_rise_passes)
{
	struct health h;
	uint64_t now = scope_up(&h, 3, 2);

	feed_rounds(&h, "GG", &now);
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(!feed_rounds(&h, "PP", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(health_uses_fast_interval(&h));       /* recovering */
	/* A global failure starts the rise over; no hold-down after it. */
	ck_assert(!feed_rounds(&h, "GPP", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(feed_rounds(&h, "P", &now));
	assert_state(&h, HEALTH_UP);
	ck_assert(!health_uses_fast_interval(&h));
	ck_assert_uint_eq(h.events & HEALTH_EVENT_HOLD_STARTED, 0);
}
END_TEST

/* A pass, then a local failure while DEGRADED: still DEGRADED (never back
 * to the UP attributes on a failure). */
START_TEST(test_scope_degraded_pass_then_local_failure)
{
	struct health h;
	uint64_t now = scope_up(&h, 3, 2);

	feed_rounds(&h, "GG", &now);
	ck_assert(!feed_rounds(&h, "PL", &now));
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DOWN);
}
END_TEST

/* Mixed falls from UP (fall 2): DOWN only when fall rounds in a row had a
 * local failure; otherwise DEGRADED once fall rounds failed at all. */
START_TEST(test_scope_mixed_falls)
{
	static const struct {
		const char *rounds;
		enum health_state end;
	} cases[] = {
		{ "LL", HEALTH_DOWN },
		{ "GG", HEALTH_DEGRADED },
		{ "GL", HEALTH_DEGRADED },      /* 1 local failure of 2 */
		{ "LG", HEALTH_DEGRADED },      /* the G round: locals passed */
		{ "GLL", HEALTH_DOWN },
		{ "LGL", HEALTH_DEGRADED },
		{ "LP", HEALTH_UP },
		{ "GP", HEALTH_UP },
		{ "G", HEALTH_FALLING },
		{ "L", HEALTH_FALLING },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct health h;
		uint64_t now = scope_up(&h, 1, 2);

		feed_rounds(&h, cases[i].rounds, &now);
		ck_assert_msg(h.state == cases[i].end, "UP + %s: %s, expected "
		    "%s", cases[i].rounds, health_state_name(h.state),
		    health_state_name(cases[i].end));
	}
}
END_TEST

/* Without a last resort a global-only failure is a failure like any. */
START_TEST(test_scope_without_last_resort_global_withdraws)
{
	struct health h;
	uint64_t now = 0;

	health_init(&h, 1, 2);
	feed_rounds(&h, "P", &now);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_FALLING);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DOWN);
	ck_assert_uint_eq(h.flap_count, 1);
	/* And does not count as locally healthy when rising. */
	ck_assert(!feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DOWN);
}
END_TEST

/* Not announced (INIT, DOWN): rise locally healthy rounds announce it,
 * with the last resort while global checks still fail. */
START_TEST(test_scope_rising_on_global_failures)
{
	struct health h;
	uint64_t now = 0;

	scope_init(&h, 3, 2);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_RISING);
	ck_assert(health_uses_fast_interval(&h));
	ck_assert(!feed_rounds(&h, "P", &now));
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DEGRADED);
	/* UP needs rise passes in a row. */
	ck_assert(!feed_rounds(&h, "PP", &now));
	ck_assert(feed_rounds(&h, "P", &now));
	assert_state(&h, HEALTH_UP);

	/* From INIT with rise 1: DEGRADED at once. */
	scope_init(&h, 1, 2);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DEGRADED);
	/* A local failure while rising: DOWN, the rise starts over. */
	scope_init(&h, 3, 2);
	feed_rounds(&h, "GP", &now);
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DOWN);
	ck_assert(feed_rounds(&h, "PPG", &now));
	assert_state(&h, HEALTH_DEGRADED);
}
END_TEST

/* After DOWNs the hold-down applies to announcing again with the last
 * resort as with UP, counted from the first locally healthy round. */
START_TEST(test_scope_hold_down_applies_to_degraded)
{
	struct health h;
	struct health_params p = {
		.rise = 2, .fall = 1, .hold_down_ns = 10 * SEC,
		.flap_window_ns = 300 * SEC, .hold_down_max_ns = 60 * SEC,
		.last_resort = true,
	};
	uint64_t now = 0, first;

	health_init_params(&h, &p);
	feed_rounds(&h, "PPL", &now);           /* 1st DOWN */
	feed_rounds(&h, "PPL", &now);           /* 2nd DOWN */
	ck_assert_uint_eq(h.flap_count, 2);
	ck_assert_uint_eq(h.hold_ns, 10 * SEC);
	first = now;
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_RISING);
	ck_assert(!feed_rounds(&h, "GPG", &now));
	ck_assert(health_held_down(&h));
	ck_assert_uint_eq(health_next_wake_ns(&h), first + 10 * SEC);
	ck_assert(!health_tick(&h, first + 10 * SEC - 1));
	ck_assert(health_tick(&h, first + 10 * SEC));
	/* The last round failed globally: announced with the last resort. */
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(h.events & HEALTH_EVENT_HOLD_ENDED);
}
END_TEST

/* DEGRADED is not a DOWN: going there and back any number of times is no
 * flap, and the next real DOWN is the first. */
START_TEST(test_scope_degraded_is_not_a_flap)
{
	struct health h;
	uint64_t now = scope_up(&h, 1, 1);

	for (int i = 0; i < 6; i++) {
		feed_rounds(&h, "G", &now);
		assert_state(&h, HEALTH_DEGRADED);
		feed_rounds(&h, "P", &now);
		assert_state(&h, HEALTH_UP);
	}
	ck_assert_uint_eq(h.down_total, 0);
	feed_rounds(&h, "L", &now);
	assert_state(&h, HEALTH_DOWN);
	ck_assert_uint_eq(h.flap_count, 1);
	ck_assert_uint_eq(h.hold_ns, 0);
}
END_TEST

/* Maintenance and exits behave as from UP. A drain is not ended by global
 * failures, only by fall local ones. */
START_TEST(test_scope_maintenance_from_degraded_drains)
{
	struct health h;
	uint64_t now = scope_up(&h, 1, 2);

	feed_rounds(&h, "GG", &now);
	assert_state(&h, HEALTH_DEGRADED);
	ck_assert(health_set_maintenance(&h, true, now, 30 * SEC));
	assert_state(&h, HEALTH_DRAINING);
	ck_assert_int_eq(h.drain_reason, HEALTH_DRAIN_MAINTENANCE);
	ck_assert(!feed_rounds(&h, "GGGGG", &now));
	assert_state(&h, HEALTH_DRAINING);
	ck_assert(!feed_rounds(&h, "L", &now));
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DISABLED);
	ck_assert_int_eq(h.drain_end, HEALTH_DRAIN_END_FAILED);

	/* No drain configured: DISABLED at once. */
	now = scope_up(&h, 1, 1);
	feed_rounds(&h, "G", &now);
	ck_assert(health_set_maintenance(&h, true, now, 0));
	assert_state(&h, HEALTH_DISABLED);
}
END_TEST

START_TEST(test_scope_stop_from_degraded)
{
	struct health h;
	uint64_t now = scope_up(&h, 1, 1);

	feed_rounds(&h, "G", &now);
	ck_assert(health_stop(&h, HEALTH_DRAIN_EXIT, now, 5 * SEC));
	assert_state(&h, HEALTH_DRAINING);
	ck_assert(health_tick(&h, now + 5 * SEC));
	assert_state(&h, HEALTH_STOPPED);

	now = scope_up(&h, 1, 1);
	feed_rounds(&h, "G", &now);
	ck_assert(health_stop(&h, HEALTH_DRAIN_EXIT, now, 0));
	assert_state(&h, HEALTH_STOPPED);
}
END_TEST

/* A reload that takes the last resort away: every failure so far counts
 * as local, and the next round decides. */
START_TEST(test_scope_reload_without_last_resort)
{
	struct health h;
	struct health_params p;
	uint64_t now = scope_up(&h, 2, 2);

	feed_rounds(&h, "GG", &now);
	assert_state(&h, HEALTH_DEGRADED);
	p = h.params;
	p.last_resort = false;
	health_set_params(&h, &p);
	assert_state(&h, HEALTH_FALLING);
	ck_assert_uint_eq(h.consecutive_local_failures, 2);
	ck_assert(feed_rounds(&h, "L", &now));
	assert_state(&h, HEALTH_DOWN);

	/* The same, and the next round passes: UP. */
	now = scope_up(&h, 2, 2);
	feed_rounds(&h, "GG", &now);
	health_set_params(&h, &p);
	ck_assert(feed_rounds(&h, "P", &now));
	assert_state(&h, HEALTH_UP);

	/* FALLING on global failures: the next failure is the fall-th. */
	now = scope_up(&h, 2, 3);
	feed_rounds(&h, "GG", &now);
	assert_state(&h, HEALTH_FALLING);
	p = h.params;
	p.last_resort = false;
	health_set_params(&h, &p);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DOWN);
}
END_TEST

START_TEST(test_scope_undecided_changes_nothing)
{
	struct health h;
	uint64_t now = scope_up(&h, 2, 2);

	feed_rounds(&h, "G", &now);
	ck_assert(!feed_rounds(&h, "UUUU", &now));
	assert_state(&h, HEALTH_FALLING);
	ck_assert_uint_eq(h.consecutive_failures, 1);
	ck_assert(feed_rounds(&h, "G", &now));
	assert_state(&h, HEALTH_DEGRADED);
}
END_TEST

/* The round's verdict: every failing check global, or not; unknown checks
 * (could not run) decide only when they could change it. */
START_TEST(test_round_verdict)
{
	static const struct {
		enum require_policy policy;
		unsigned count;
		struct health_round round;
		enum health_verdict want;
	} cases[] = {
		/* total, passes, failures local/global, unknown local/global */
		{ REQUIRE_ALL, 2, { 2, 2, 0, 0, 0, 0 }, HEALTH_VERDICT_PASS },
		{ REQUIRE_ALL, 2, { 2, 1, 0, 1, 0, 0 },
		    HEALTH_VERDICT_FAIL_GLOBAL },
		{ REQUIRE_ALL, 2, { 2, 1, 1, 0, 0, 0 },
		    HEALTH_VERDICT_FAIL_LOCAL },
		{ REQUIRE_ALL, 2, { 2, 0, 1, 1, 0, 0 },
		    HEALTH_VERDICT_FAIL_LOCAL },
		{ REQUIRE_ALL, 3, { 3, 1, 0, 2, 0, 0 },
		    HEALTH_VERDICT_FAIL_GLOBAL },
		/* "any": one pass is enough, whatever the scope. */
		{ REQUIRE_ANY, 1, { 2, 1, 1, 0, 0, 0 }, HEALTH_VERDICT_PASS },
		{ REQUIRE_ANY, 1, { 2, 0, 0, 2, 0, 0 },
		    HEALTH_VERDICT_FAIL_GLOBAL },
		/* A local check among the failing ones is a local failure,
		 * even where the policy alone would tolerate it. */
		{ REQUIRE_ANY, 1, { 2, 0, 1, 1, 0, 0 },
		    HEALTH_VERDICT_FAIL_LOCAL },
		{ REQUIRE_AT_LEAST, 2, { 3, 1, 1, 1, 0, 0 },
		    HEALTH_VERDICT_FAIL_LOCAL },
		{ REQUIRE_AT_LEAST, 2, { 3, 2, 0, 1, 0, 0 },
		    HEALTH_VERDICT_PASS },
		/* Unknown checks. */
		{ REQUIRE_ALL, 2, { 2, 1, 0, 0, 0, 1 },
		    HEALTH_VERDICT_UNDECIDED },     /* pass or global */
		{ REQUIRE_ALL, 2, { 2, 0, 0, 1, 1, 0 },
		    HEALTH_VERDICT_UNDECIDED },     /* global or local */
		{ REQUIRE_ALL, 2, { 2, 0, 1, 0, 0, 1 },
		    HEALTH_VERDICT_FAIL_LOCAL },    /* local whatever it says */
		{ REQUIRE_ALL, 3, { 3, 0, 0, 2, 0, 1 },
		    HEALTH_VERDICT_FAIL_GLOBAL },   /* global whatever */
		{ REQUIRE_ANY, 1, { 2, 1, 0, 0, 1, 0 }, HEALTH_VERDICT_PASS },
		/* No checks never passes. */
		{ REQUIRE_ALL, 0, { 0, 0, 0, 0, 0, 0 },
		    HEALTH_VERDICT_FAIL_LOCAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum health_verdict got = health_round_verdict(
		    cases[i].policy, cases[i].count, &cases[i].round);
		ck_assert_msg(got == cases[i].want, "case %zu: %s, expected %s",
		    i, health_verdict_name(got),
		    health_verdict_name(cases[i].want));
	}
	ck_assert_str_eq(health_verdict_name(HEALTH_VERDICT_FAIL_GLOBAL),
	    "global failure");
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

	tc = tcase_create("anti-flap");
	tcase_add_test(tc, test_hold_down_arithmetic);
	tcase_add_test(tc, test_first_down_costs_nothing);
	tcase_add_test(tc, test_second_down_holds_and_ends_by_tick);
	tcase_add_test(tc, test_hold_down_doubles_and_caps);
	tcase_add_test(tc, test_hold_down_window_expires);
	tcase_add_test(tc, test_hold_down_failure_restarts_streak);
	tcase_add_test(tc, test_down_from_rising_is_not_a_flap);
	suite_add_tcase(s, tc);

	tc = tcase_create("drain");
	tcase_add_test(tc, test_drain_ends_by_time_into_disabled);
	tcase_add_test(tc, test_drain_ends_by_connections);
	tcase_add_test(tc, test_drain_lasts_min_seconds_without_connections);
	tcase_add_test(tc, test_drain_min_seconds_count_rises_again);
	tcase_add_test(tc, test_drain_min_seconds_above_drain_seconds);
	tcase_add_test(tc, test_drain_cancelled_by_maintenance_off);
	tcase_add_test(tc, test_drain_ends_on_fall_failures);
	tcase_add_test(tc, test_drain_zero_seconds_disables_at_once);
	tcase_add_test(tc, test_maintenance_from_falling_drains);
	tcase_add_test(tc, test_stop_drains_then_stopped);
	tcase_add_test(tc, test_stop_during_maintenance_drain);
	tcase_add_test(tc, test_stop_unannounced_at_once);
	tcase_add_test(tc, test_params_keep_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("certain failure");
	tcase_add_test(tc, test_certain_failure_up_down_at_once);
	tcase_add_test(tc, test_certain_failure_falling_down_at_once);
	tcase_add_test(tc, test_certain_failure_unannounced_states);
	tcase_add_test(tc, test_certain_failure_ignored_disabled_stopped);
	tcase_add_test(tc, test_certain_failure_ends_drain);
	tcase_add_test(tc, test_certain_failure_return_needs_rise);
	tcase_add_test(tc, test_certain_failure_hold_down_applies);
	suite_add_tcase(s, tc);

	tc = tcase_create("thresholds");
	tcase_add_test(tc, test_thresholds_keep_state_and_counters);
	tcase_add_test(tc, test_thresholds_lowered_rise_next_pass_completes);
	tcase_add_test(tc, test_thresholds_lowered_fall_next_failure_completes);
	tcase_add_test(tc, test_thresholds_raised_fall_needs_more);
	tcase_add_test(tc, test_thresholds_in_disabled_stay_disabled);
	tcase_add_test(tc, test_thresholds_zero_act_as_one);
	suite_add_tcase(s, tc);

	tc = tcase_create("scope");
	tcase_add_test(tc, test_scope_global_fall_degraded);
	tcase_add_test(tc, test_scope_fall1_degraded_at_once);
	tcase_add_test(tc, test_scope_degraded_local_fall_rule);
	tcase_add_test(tc, test_scope_degraded_local_failures_must_be_in_a_row);
	tcase_add_test(tc, test_scope_degraded_recovers_after_rise_passes);
	tcase_add_test(tc, test_scope_degraded_pass_then_local_failure);
	tcase_add_test(tc, test_scope_mixed_falls);
	tcase_add_test(tc, test_scope_without_last_resort_global_withdraws);
	tcase_add_test(tc, test_scope_rising_on_global_failures);
	tcase_add_test(tc, test_scope_hold_down_applies_to_degraded);
	tcase_add_test(tc, test_scope_degraded_is_not_a_flap);
	tcase_add_test(tc, test_scope_maintenance_from_degraded_drains);
	tcase_add_test(tc, test_scope_stop_from_degraded);
	tcase_add_test(tc, test_scope_reload_without_last_resort);
	tcase_add_test(tc, test_scope_undecided_changes_nothing);
	tcase_add_test(tc, test_round_verdict);
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
