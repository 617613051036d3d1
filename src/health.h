/*
 * DOC: health state machine
 *
 * The rise/fall hysteresis of one service, as pure logic over a plain struct:
 * no clocks, no file descriptors. The caller feeds it the combined result of
 * each round of checks and whether the service is in maintenance, and acts
 * on the transitions it reports.
 *
 *   INIT     --pass--> RISING (UP at once when rise == 1)
 *   INIT     --fail--> DOWN   (nothing is announced yet, nothing to protect)
 *   RISING   --pass x (rise-1 more)--> UP;  --fail--> DOWN
 *   UP       --fail--> FALLING (DOWN at once when fall == 1)
 *   FALLING  --fail x (fall-1 more)--> DOWN; --pass--> UP
 *   DOWN     --pass--> RISING (UP at once when rise == 1)
 *   any      --maintenance on--> DISABLED
 *   DISABLED --maintenance off--> INIT (must rise again before announcing)
 *
 * A service is announced in UP and FALLING. Checks run every fast_interval in
 * INIT, RISING and FALLING, and every interval otherwise.
 */
#ifndef ANYCHECK_HEALTH_H
#define ANYCHECK_HEALTH_H

#include <stdbool.h>

enum health_state {
	HEALTH_INIT,
	HEALTH_RISING,
	HEALTH_UP,
	HEALTH_FALLING,
	HEALTH_DOWN,
	HEALTH_DISABLED,
	HEALTH_STATE_COUNT,
};

struct health {
	enum health_state state;
	unsigned rise;
	unsigned fall;
	unsigned consecutive_passes;
	unsigned consecutive_failures;
};

void health_init(struct health *health, unsigned rise, unsigned fall);
/* Feed one combined round result. Returns true if the state changed. In
 * DISABLED results are ignored. */
bool health_feed(struct health *health, bool passed);
/* Maintenance on/off. Returns true if the state changed. */
bool health_set_disabled(struct health *health, bool disabled);
/* New rise/fall (after a reload) without losing the state. */
void health_set_thresholds(struct health *health, unsigned rise,
    unsigned fall);

bool health_state_announced(enum health_state state);
bool health_state_uses_fast_interval(enum health_state state);
const char *health_state_name(enum health_state state);

/* Combine the results of one round: passes out of total under a policy. */
#include "config.h"
bool health_policy_passes(enum require_policy policy, unsigned require_count,
    unsigned passes, unsigned total);

#endif
