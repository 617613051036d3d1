/*
 * DOC: health state machine
 *
 * The rise/fall hysteresis of one service (see health.h for the diagram).
 * One round result moves a service at most one state; counters only count
 * results in a row, so a single pass during FALLING cancels the fall and a
 * single failure during RISING starts the rise over. Maintenance wins over
 * everything: while DISABLED results are ignored, and leaving it goes back
 * to INIT so that a service proves itself again before it is announced.
 */
#include <limits.h>
#include <stddef.h>

#include "health.h"

static const char *const health_state_names[HEALTH_STATE_COUNT] = {
	[HEALTH_INIT] = "INIT",
	[HEALTH_RISING] = "RISING",
	[HEALTH_UP] = "UP",
	[HEALTH_FALLING] = "FALLING",
	[HEALTH_DOWN] = "DOWN",
	[HEALTH_DISABLED] = "DISABLED",
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
}

/* Initialize a service in INIT with the given rise and fall thresholds. */
void
health_init(struct health *health, unsigned rise, unsigned fall)
{
	health->state = HEALTH_INIT;
	health->rise = health_threshold(rise);
	health->fall = health_threshold(fall);
	health_reset_counters(health);
}

static enum health_state
health_after_pass(const struct health *health)
{
	switch (health->state) {
	case HEALTH_INIT:
	case HEALTH_DOWN:
	case HEALTH_RISING:
		return health->consecutive_passes >= health->rise ?
		    HEALTH_UP : HEALTH_RISING;
	case HEALTH_UP:
	case HEALTH_FALLING:
		return HEALTH_UP;
	default:
		return health->state;
	}
}

static enum health_state
health_after_failure(const struct health *health)
{
	switch (health->state) {
	case HEALTH_INIT:
	case HEALTH_RISING:
	case HEALTH_DOWN:
		return HEALTH_DOWN;
	case HEALTH_UP:
	case HEALTH_FALLING:
		return health->consecutive_failures >= health->fall ?
		    HEALTH_DOWN : HEALTH_FALLING;
	default:
		return health->state;
	}
}

/* Feed one combined round result; returns true if the state changed. */
bool
health_feed(struct health *health, bool passed)
{
	enum health_state previous = health->state;

	if (health->state == HEALTH_DISABLED)
		return false;
	if (passed) {
		health->consecutive_failures = 0;
		if (health->consecutive_passes < UINT_MAX)
			health->consecutive_passes++;
		health->state = health_after_pass(health);
	} else {
		health->consecutive_passes = 0;
		if (health->consecutive_failures < UINT_MAX)
			health->consecutive_failures++;
		health->state = health_after_failure(health);
	}
	return health->state != previous;
}

/* Enter or leave maintenance; returns true if the state changed. */
bool
health_set_disabled(struct health *health, bool disabled)
{
	if (disabled == (health->state == HEALTH_DISABLED))
		return false;
	health->state = disabled ? HEALTH_DISABLED : HEALTH_INIT;
	health_reset_counters(health);
	return true;
}

/* Change rise/fall keeping state and counters: a count that already meets
 * the new threshold completes the transition on the next matching result. */
void
health_set_thresholds(struct health *health, unsigned rise, unsigned fall)
{
	health->rise = health_threshold(rise);
	health->fall = health_threshold(fall);
}

/* Is a service in this state announced? */
bool
health_state_announced(enum health_state state)
{
	return state == HEALTH_UP || state == HEALTH_FALLING;
}

/* Are checks run every fast_interval in this state? */
bool
health_state_uses_fast_interval(enum health_state state)
{
	return state == HEALTH_INIT || state == HEALTH_RISING ||
	    state == HEALTH_FALLING;
}

/* The upper-case name of a state, "UNKNOWN" for an invalid value. */
const char *
health_state_name(enum health_state state)
{
	if ((unsigned)state >= HEALTH_STATE_COUNT)
		return "UNKNOWN";
	return health_state_names[state];
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
