/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: health state machine
 *
 * The rise/fall hysteresis, hold-down and drain of one service (see
 * health.h for the diagram). One round result moves a service at most one
 * state; counters only count results in a row, so a single pass during
 * FALLING cancels the fall and a single failure during RISING starts the
 * rise over. Time enters only as the now_ns argument, so every transition,
 * the hold-down arithmetic and drain deadlines are tested without clocks.
 *
 * Only a DOWN that takes away an announcement (from UP, FALLING or
 * DEGRADED) counts as a flap: a service that never made it up has not
 * moved any route. A planned withdraw (drain, maintenance, exit) is never a
 * flap either, and neither is DEGRADED: it changes the attributes, the
 * route stays.
 *
 * Failure scope keeps two more counters beside passes and failures in a
 * row: locally healthy rounds in a row (every local check passed; a
 * global-only failure is one) and rounds in a row with a local failure.
 * DOWN needs fall of the latter, so a shared dependency failing at every
 * site never withdraws them all, and flaky local checks during such an
 * outage (they often slow down with it) need the same evidence as ever.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "health.h"

static const char *const health_state_names[HEALTH_STATE_COUNT] = {
	[HEALTH_INIT] = "INIT",
	[HEALTH_RISING] = "RISING",
	[HEALTH_UP] = "UP",
	[HEALTH_FALLING] = "FALLING",
	[HEALTH_DEGRADED] = "DEGRADED",
	[HEALTH_DOWN] = "DOWN",
	[HEALTH_DRAINING] = "DRAINING",
	[HEALTH_DISABLED] = "DISABLED",
	[HEALTH_STOPPED] = "STOPPED",
};

/* A threshold of 0 would mean "change state without any result"; treat it as
 * 1 so a bad caller cannot make the machine skip its evidence. */
static unsigned
health_threshold(unsigned value)
{
	return value == 0 ? 1 : value;
}

static void
health_reset_counters(struct health *health)
{
	health->consecutive_passes = 0;
	health->consecutive_failures = 0;
	health->consecutive_local_passes = 0;
	health->consecutive_local_failures = 0;
	health->holding = false;
}

/* Initialize a service in INIT with every parameter. */
void
health_init_params(struct health *health, const struct health_params *params)
{
	memset(health, 0, sizeof(*health));
	health->state = HEALTH_INIT;
	health_set_params(health, params);
}

/* Change the parameters keeping state and counters: a count that already
 * meets a new threshold completes the transition on the next matching
 * result. A hold-down already imposed keeps its length. Without a last
 * resort (a reload took it away) every failure is local: the scope
 * counters become the plain ones, and a DEGRADED service is FALLING, so
 * that its next round decides (DOWN on a failure, UP on a pass). */
void
health_set_params(struct health *health, const struct health_params *params)
{
	health->params = *params;
	health->params.rise = health_threshold(params->rise);
	health->params.fall = health_threshold(params->fall);
	if (health->params.hold_down_max_ns < health->params.hold_down_ns)
		health->params.hold_down_max_ns = health->params.hold_down_ns;
	if (!health->params.last_resort) {
		health->consecutive_local_passes = health->consecutive_passes;
		health->consecutive_local_failures =
		    health->consecutive_failures;
		health->local_streak_start_ns = health->streak_start_ns;
		if (health->state == HEALTH_DEGRADED)
			health->state = HEALTH_FALLING;
	}
}

/* The extra healthy time the n-th DOWN within the window requires: nothing
 * for the first, hold_down for the second, doubling up to hold_down_max. */
uint64_t
health_hold_down_for(const struct health_params *params,
    unsigned downs_in_window)
{
	uint64_t hold = params->hold_down_ns;
	uint64_t max = params->hold_down_max_ns < params->hold_down_ns ?
	    params->hold_down_ns : params->hold_down_max_ns;

	if (downs_in_window < 2 || hold == 0)
		return 0;
	for (unsigned n = 2; n < downs_in_window && hold < max; n++)
		hold = hold > max / 2 ? max : hold * 2;
	return hold > max ? max : hold;
}

/* Record a DOWN that took an announcement away and set the hold-down the
 * next UP must wait out. */
static void
health_record_flap(struct health *health, uint64_t now_ns)
{
	unsigned remembered, in_window = 0;

	health->down_times_ns[health->down_total % HEALTH_FLAP_HISTORY] =
	    now_ns;
	if (health->down_total < UINT_MAX)
		health->down_total++;
	remembered = health->down_total < HEALTH_FLAP_HISTORY ?
	    health->down_total : HEALTH_FLAP_HISTORY;
	for (unsigned i = 0; i < remembered; i++) {
		uint64_t at = health->down_times_ns[i];
		if (at <= now_ns && now_ns - at <= health->params.flap_window_ns)
			in_window++;
	}
	health->flap_count = in_window;
	health->hold_ns = health_hold_down_for(&health->params, in_window);
}

static bool
health_hold_served(const struct health *health, uint64_t now_ns)
{
	return now_ns >= health->local_streak_start_ns &&
	    now_ns - health->local_streak_start_ns >= health->hold_ns;
}

/* RISING with rise locally healthy rounds in: announced if the hold-down
 * is served (UP after rise passes, else DEGRADED: only global checks
 * fail), else wait. */
static void
health_try_up(struct health *health, uint64_t now_ns)
{
	if (health_hold_served(health, now_ns)) {
		if (health->holding)
			health->events |= HEALTH_EVENT_HOLD_ENDED;
		health->holding = false;
		health->hold_ns = 0;
		health->state = health->consecutive_passes >=
		    health->params.rise ? HEALTH_UP : HEALTH_DEGRADED;
		return;
	}
	if (!health->holding)
		health->events |= HEALTH_EVENT_HOLD_STARTED;
	health->holding = true;
	health->state = HEALTH_RISING;
}

/* End a drain: the planned state, DISABLED or STOPPED. */
static void
health_end_drain(struct health *health, enum health_drain_end end)
{
	health->drain_end = end;
	health->events |= HEALTH_EVENT_DRAIN_ENDED;
	health->state = health->drain_reason == HEALTH_DRAIN_MAINTENANCE ?
	    HEALTH_DISABLED : HEALTH_STOPPED;
	health_reset_counters(health);
}

static void
health_start_drain(struct health *health, enum health_drain_reason reason,
    uint64_t now_ns, uint64_t drain_ns)
{
	health->drain_reason = reason;
	health->drain_end = HEALTH_DRAIN_END_NONE;
	if (drain_ns == 0) {
		/* No drain configured: straight to the end state. */
		health->state = reason == HEALTH_DRAIN_MAINTENANCE ?
		    HEALTH_DISABLED : HEALTH_STOPPED;
		health_reset_counters(health);
		return;
	}
	health->state = HEALTH_DRAINING;
	health->drain_started_ns = now_ns;
	health->drain_deadline_ns = now_ns + drain_ns;
	health->drain_connections_low = false;
	health->events |= HEALTH_EVENT_DRAIN_STARTED;
}

/* Not announced (INIT, RISING, DOWN) and locally healthy: rising, and
 * announced once rise such rounds are in. */
static void
health_rise(struct health *health, uint64_t now_ns)
{
	if (health->consecutive_local_passes >= health->params.rise)
		health_try_up(health, now_ns);
	else
		health->state = HEALTH_RISING;
}

static void
health_after_pass(struct health *health, uint64_t now_ns)
{
	switch (health->state) {
	case HEALTH_INIT:
	case HEALTH_DOWN:
	case HEALTH_RISING:
		health_rise(health, now_ns);
		break;
	case HEALTH_UP:
	case HEALTH_FALLING:
		health->state = HEALTH_UP;
		break;
	case HEALTH_DEGRADED:
		/* Leaving DEGRADED takes rise passes, as leaving DOWN does:
		 * a shared dependency that comes and goes must not swap the
		 * attributes every round. No hold-down: nothing was
		 * withdrawn. */
		if (health->consecutive_passes >= health->params.rise)
			health->state = HEALTH_UP;
		break;
	default:
		break;
	}
}

/* Every local check passed, a global one failed (with a last resort). */
static void
health_after_global_failure(struct health *health, uint64_t now_ns)
{
	switch (health->state) {
	case HEALTH_INIT:
	case HEALTH_DOWN:
	case HEALTH_RISING:
		health_rise(health, now_ns);
		break;
	case HEALTH_UP:
	case HEALTH_FALLING:
		health->state = health->consecutive_failures <
		    health->params.fall ? HEALTH_FALLING : HEALTH_DEGRADED;
		break;
	default:
		/* DEGRADED stays; a drain is not ended by a dependency every
		 * site shares: it would only withdraw sooner. */
		break;
	}
}

static void
health_after_local_failure(struct health *health, uint64_t now_ns)
{
	health->holding = false;
	switch (health->state) {
	case HEALTH_INIT:
	case HEALTH_RISING:
	case HEALTH_DOWN:
		health->state = HEALTH_DOWN;
		break;
	case HEALTH_UP:
	case HEALTH_FALLING:
	case HEALTH_DEGRADED:
		/* DOWN once fall rounds in a row had a local failure, the
		 * usual fall rule, in DEGRADED too. Until then: FALLING from
		 * UP while fewer than fall rounds failed at all, and
		 * otherwise DEGRADED (global checks failed in some of the
		 * rounds in a row: they explain the fall so far). */
		if (health->consecutive_local_failures >= health->params.fall) {
			health->state = HEALTH_DOWN;
			health_record_flap(health, now_ns);
		} else if (health->state != HEALTH_DEGRADED)
			health->state = health->consecutive_failures <
			    health->params.fall ? HEALTH_FALLING :
			    HEALTH_DEGRADED;
		break;
	case HEALTH_DRAINING:
		if (health->consecutive_local_failures >= health->params.fall)
			health_end_drain(health, HEALTH_DRAIN_END_FAILED);
		break;
	default:
		break;
	}
}

/* One more result in a row: count it, reset the other count. */
static void
health_count(unsigned *in_a_row, unsigned *other)
{
	*other = 0;
	if (*in_a_row < UINT_MAX)
		(*in_a_row)++;
}

/* Feed one combined round result; returns true if the state changed. */
bool
health_feed(struct health *health, bool passed, uint64_t now_ns)
{
	return health_feed_verdict(health, passed ? HEALTH_VERDICT_PASS :
	    HEALTH_VERDICT_FAIL_LOCAL, now_ns);
}

/* Feed one round's verdict; returns true if the state changed. */
bool
health_feed_verdict(struct health *health, enum health_verdict verdict,
    uint64_t now_ns)
{
	enum health_state previous = health->state;

	health->events = 0;
	if (health->state == HEALTH_DISABLED ||
	    health->state == HEALTH_STOPPED ||
	    verdict == HEALTH_VERDICT_UNDECIDED)
		return false;
	/* Without a last resort a global failure withdraws like any. */
	if (verdict == HEALTH_VERDICT_FAIL_GLOBAL && !health->params.last_resort)
		verdict = HEALTH_VERDICT_FAIL_LOCAL;
	if (verdict == HEALTH_VERDICT_PASS) {
		if (health->consecutive_passes == 0)
			health->streak_start_ns = now_ns;
		health_count(&health->consecutive_passes,
		    &health->consecutive_failures);
	} else
		health_count(&health->consecutive_failures,
		    &health->consecutive_passes);
	if (verdict != HEALTH_VERDICT_FAIL_LOCAL) {
		if (health->consecutive_local_passes == 0)
			health->local_streak_start_ns = now_ns;
		health_count(&health->consecutive_local_passes,
		    &health->consecutive_local_failures);
	} else
		health_count(&health->consecutive_local_failures,
		    &health->consecutive_local_passes);

	switch (verdict) {
	case HEALTH_VERDICT_PASS:
		health_after_pass(health, now_ns);
		break;
	case HEALTH_VERDICT_FAIL_GLOBAL:
		health_after_global_failure(health, now_ns);
		break;
	default:
		health_after_local_failure(health, now_ns);
		break;
	}
	return health->state != previous;
}

/* A certain failure: as many failures in a row as fall asks for, at once.
 * The counter says "fall failures seen" rather than the real count, which
 * only ever lets fall thresholds be met, never missed. */
bool
health_fail_certain(struct health *health, uint64_t now_ns)
{
	enum health_state previous = health->state;

	health->events = 0;
	if (health->state == HEALTH_DISABLED ||
	    health->state == HEALTH_STOPPED)
		return false;
	/* A local failure, certain: fall of them in a row at once (also
	 * from DEGRADED, whose global failures are not the cause here). */
	health->consecutive_passes = 0;
	health->consecutive_local_passes = 0;
	if (health->consecutive_failures < health->params.fall)
		health->consecutive_failures = health->params.fall;
	else if (health->consecutive_failures < UINT_MAX)
		health->consecutive_failures++;
	if (health->consecutive_local_failures < health->params.fall)
		health->consecutive_local_failures = health->params.fall;
	else if (health->consecutive_local_failures < UINT_MAX)
		health->consecutive_local_failures++;
	health_after_local_failure(health, now_ns);
	return health->state != previous;
}

/* Let time act on a hold-down or a drain; returns true on a change. */
bool
health_tick(struct health *health, uint64_t now_ns)
{
	enum health_state previous = health->state;

	health->events = 0;
	if (health_held_down(health))
		health_try_up(health, now_ns);
	else if (health->state == HEALTH_DRAINING &&
	    now_ns >= health->drain_deadline_ns)
		health_end_drain(health, HEALTH_DRAIN_END_TIME);
	else if (health->state == HEALTH_DRAINING &&
	    health->drain_connections_low &&
	    now_ns >= health_drain_min_end_ns(health))
		health_end_drain(health, HEALTH_DRAIN_END_CONNECTIONS);
	return health->state != previous;
}

/* When health_tick has something to do next; 0 when nothing. */
uint64_t
health_next_wake_ns(const struct health *health)
{
	if (health_held_down(health))
		return health_hold_end_ns(health);
	if (health->state == HEALTH_DRAINING &&
	    health->drain_connections_low &&
	    health_drain_min_end_ns(health) < health->drain_deadline_ns)
		return health_drain_min_end_ns(health);
	if (health->state == HEALTH_DRAINING)
		return health->drain_deadline_ns;
	return 0;
}

/* Maintenance on or off; returns true if the state changed. */
bool
health_set_maintenance(struct health *health, bool on, uint64_t now_ns,
    uint64_t drain_ns)
{
	enum health_state previous = health->state;

	health->events = 0;
	health->maintenance = on;
	switch (health->state) {
	case HEALTH_UP:
	case HEALTH_FALLING:
	case HEALTH_DEGRADED:
		if (on)
			health_start_drain(health, HEALTH_DRAIN_MAINTENANCE,
			    now_ns, drain_ns);
		break;
	case HEALTH_INIT:
	case HEALTH_RISING:
	case HEALTH_DOWN:
		if (on) {
			health->state = HEALTH_DISABLED;
			health_reset_counters(health);
		}
		break;
	case HEALTH_DRAINING:
		/* Only a maintenance drain is cancelled; exit and removal
		 * drains go on. The service is still up. */
		if (!on && health->drain_reason == HEALTH_DRAIN_MAINTENANCE) {
			health->drain_end = HEALTH_DRAIN_END_CANCELLED;
			health->drain_reason = HEALTH_DRAIN_NONE;
			health->events |= HEALTH_EVENT_DRAIN_ENDED;
			health->state = HEALTH_UP;
		}
		break;
	case HEALTH_DISABLED:
		if (!on) {
			health->state = HEALTH_INIT;
			health_reset_counters(health);
		}
		break;
	default:
		break;
	}
	return health->state != previous;
}

/* Leave for good, draining first when announced and drain_ns > 0. */
bool
health_stop(struct health *health, enum health_drain_reason reason,
    uint64_t now_ns, uint64_t drain_ns)
{
	enum health_state previous = health->state;

	health->events = 0;
	switch (health->state) {
	case HEALTH_STOPPED:
		break;
	case HEALTH_DRAINING:
		health->drain_reason = reason;
		if (drain_ns == 0)
			health_end_drain(health, HEALTH_DRAIN_END_CUT);
		break;
	case HEALTH_UP:
	case HEALTH_FALLING:
	case HEALTH_DEGRADED:
		health_start_drain(health, reason, now_ns, drain_ns);
		break;
	default:
		health->drain_reason = reason;
		health->state = HEALTH_STOPPED;
		health_reset_counters(health);
		break;
	}
	return health->state != previous;
}

uint64_t
health_drain_min_end_ns(const struct health *health)
{
	return health->drain_started_ns + health->params.drain_min_ns;
}

/* A connection count while draining: at most max ends the drain, but not
 * before drain_min_ns. Without it a drain with no connections (always, for
 * UDP) would send 65535:0 and the withdraw in the same millisecond, and
 * GRACEFUL_SHUTDOWN would move nothing. */
bool
health_drain_connections(struct health *health, long count, long max,
    uint64_t now_ns)
{
	health->events = 0;
	if (health->state != HEALTH_DRAINING || count < 0)
		return false;
	health->drain_connections_low = count <= max;
	if (!health->drain_connections_low ||
	    now_ns < health_drain_min_end_ns(health))
		return false;
	health_end_drain(health, HEALTH_DRAIN_END_CONNECTIONS);
	return true;
}

/* Is the service RISING with rise met, waiting out a hold-down? */
bool
health_held_down(const struct health *health)
{
	return health->state == HEALTH_RISING &&
	    health->consecutive_local_passes >= health->params.rise;
}

/* When the hold-down of the current run of locally healthy rounds ends. */
uint64_t
health_hold_end_ns(const struct health *health)
{
	return health->local_streak_start_ns + health->hold_ns;
}

/* Is a service in this state announced (with UP, last-resort or drain
 * attributes)? */
bool
health_state_announced(enum health_state state)
{
	return state == HEALTH_UP || state == HEALTH_FALLING ||
	    state == HEALTH_DEGRADED || state == HEALTH_DRAINING;
}

/* Are checks run every fast_interval now? */
bool
health_uses_fast_interval(const struct health *health)
{
	switch (health->state) {
	case HEALTH_INIT:
	case HEALTH_FALLING:
		return true;
	case HEALTH_RISING:
		return health->consecutive_local_passes < health->params.rise;
	case HEALTH_DEGRADED:
		/* A local fall or a recovery under way. */
		return health->consecutive_local_failures > 0 ||
		    health->consecutive_passes > 0;
	default:
		return false;
	}
}

/* The upper-case name of a state, "UNKNOWN" for an invalid value. */
const char *
health_state_name(enum health_state state)
{
	if ((unsigned)state >= HEALTH_STATE_COUNT)
		return "UNKNOWN";
	return health_state_names[state];
}

/* Why a drain runs, in words for the log. */
const char *
health_drain_reason_name(enum health_drain_reason reason)
{
	switch (reason) {
	case HEALTH_DRAIN_MAINTENANCE:
		return "maintenance";
	case HEALTH_DRAIN_EXIT:
		return "exit";
	case HEALTH_DRAIN_REMOVED:
		return "removed from the config";
	default:
		return "none";
	}
}

/* How a drain ended, in words for the log. */
const char *
health_drain_end_name(enum health_drain_end end)
{
	switch (end) {
	case HEALTH_DRAIN_END_TIME:
		return "time bound reached";
	case HEALTH_DRAIN_END_CONNECTIONS:
		return "connections drained";
	case HEALTH_DRAIN_END_FAILED:
		return "checks failed";
	case HEALTH_DRAIN_END_CANCELLED:
		return "cancelled: maintenance ended";
	case HEALTH_DRAIN_END_CUT:
		return "cut short";
	default:
		return "not ended";
	}
}

/* A verdict in words for the log. */
const char *
health_verdict_name(enum health_verdict verdict)
{
	switch (verdict) {
	case HEALTH_VERDICT_PASS:
		return "pass";
	case HEALTH_VERDICT_FAIL_GLOBAL:
		return "global failure";
	case HEALTH_VERDICT_FAIL_LOCAL:
		return "local failure";
	default:
		return "undecided";
	}
}

/* Does a round with passes out of total checks passing pass the policy? A
 * round without any check proves nothing and never passes. */
bool
health_policy_passes(enum require_policy policy, unsigned require_count,
    unsigned passes, unsigned total)
{
	if (total == 0 || passes > total)
		return false;
	switch (policy) {
	case REQUIRE_ALL:
		return passes == total;
	case REQUIRE_ANY:
		return passes >= 1;
	case REQUIRE_AT_LEAST:
		return passes >= require_count;
	}
	return false;
}

/* The verdict if the unknown checks were known: a pass by the policy, else
 * global when every failing check is global. */
static enum health_verdict
health_round_outcome(enum require_policy policy, unsigned require_count,
    unsigned total, unsigned passes, unsigned failures_local,
    unsigned failures_global)
{
	if (health_policy_passes(policy, require_count, passes, total))
		return HEALTH_VERDICT_PASS;
	return failures_local == 0 && failures_global > 0 ?
	    HEALTH_VERDICT_FAIL_GLOBAL : HEALTH_VERDICT_FAIL_LOCAL;
}

/* The verdict with every unknown check passing and with every one failing:
 * each unknown that fails can only make it worse (PASS, then FAIL_GLOBAL,
 * then FAIL_LOCAL), so when the two agree every combination does. */
enum health_verdict
health_round_verdict(enum require_policy policy, unsigned require_count,
    const struct health_round *round)
{
	unsigned unknown = round->unknown_local + round->unknown_global;
	enum health_verdict best = health_round_outcome(policy, require_count,
	    round->total, round->passes + unknown, round->failures_local,
	    round->failures_global);
	enum health_verdict worst = health_round_outcome(policy,
	    require_count, round->total, round->passes,
	    round->failures_local + round->unknown_local,
	    round->failures_global + round->unknown_global);

	return best == worst ? best : HEALTH_VERDICT_UNDECIDED;
}
