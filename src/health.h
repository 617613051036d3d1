/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: health state machine
 *
 * The rise/fall hysteresis, anti-flap hold-down and drain of one service, as
 * pure logic over a plain struct: no clocks, no file descriptors. The caller
 * feeds it the combined result of each round of checks with the current
 * monotonic time, tells it about maintenance and exits, and acts on the
 * transitions (and events) it reports.
 *
 *   INIT     --pass--> RISING (UP at once when rise == 1 and no hold-down)
 *   INIT     --fail--> DOWN   (nothing is announced yet, nothing to protect)
 *   RISING   --pass x (rise-1 more), held long enough--> UP; --fail--> DOWN
 *   UP       --fail--> FALLING (DOWN at once when fall == 1)
 *   UP, FALLING --certain failure--> DOWN at once (health_fail_certain)
 *   FALLING  --fail x (fall-1 more)--> DOWN; --pass--> UP
 *   DOWN     --pass--> RISING (UP at once when rise == 1 and no hold-down)
 *   UP, FALLING --fall failures in a row, fewer than fall of them
 *               local--> DEGRADED (only with a last resort; see below)
 *   DEGRADED --pass x rise--> UP; --local fail x fall--> DOWN
 *   INIT, RISING, DOWN --rise locally healthy rounds, not all passes-->
 *               DEGRADED (the hold-down applies as for UP)
 *   UP, FALLING, DEGRADED --planned withdraw--> DRAINING (or its end
 *               state at once when the drain lasts 0 s)
 *   DRAINING --time bound, few connections, fall failures--> DISABLED
 *               (maintenance) or STOPPED (exit, removed by a reload)
 *   DRAINING --maintenance off--> UP (drain cancelled)
 *   INIT, RISING, DOWN --maintenance on--> DISABLED
 *   DISABLED --maintenance off--> INIT (must rise again before announcing)
 *   any but STOPPED --exit/removal without drain--> STOPPED (final)
 *
 * Hold-down: the n-th DOWN (from an announced state) within flap_window
 * needs the service to stay healthy hold_down * 2^(n-2) seconds (nothing for
 * n = 1, at most hold_down_max) before it is UP again. "Healthy for X s"
 * means the current run of passing rounds began at least X s ago and is at
 * least rise rounds long.
 *
 * Failure scope: a round is fed as a verdict (health_round_verdict): it
 * passed, it failed with only global checks failing (something every site
 * depends on), or it failed with a local check among the failing. With
 * params.last_resort, global-only failures keep the service announced:
 * fall failing rounds in a row of which fewer than fall (in a row) had a
 * local failure make it DEGRADED, announced with its last_resort
 * attributes, not DOWN. Only a DOWN is a flap; DEGRADED withdraws nothing.
 * Without params.last_resort a global-only failure is a failure like any
 * other, so the machine is the one above without DEGRADED. "Locally
 * healthy" rounds (every local check passed) count towards announcing
 * again after a DOWN; full passes towards UP.
 *
 * A service is announced with its UP attributes in UP and FALLING, with
 * its last_resort attributes in DEGRADED and with its drain attributes in
 * DRAINING. Checks run every fast_interval in INIT, FALLING and RISING
 * (until rise locally healthy rounds are in: waiting out a hold-down needs
 * no hurry) and in DEGRADED while a change is being decided (a local
 * failure or a pass in the last round), and every interval otherwise.
 */
#ifndef ANYCHECK_HEALTH_H
#define ANYCHECK_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum health_state {
	HEALTH_INIT,
	HEALTH_RISING,
	HEALTH_UP,
	HEALTH_FALLING,
	HEALTH_DEGRADED,        /* only global checks fail: last_resort */
	HEALTH_DOWN,
	HEALTH_DRAINING,
	HEALTH_DISABLED,
	HEALTH_STOPPED,
	HEALTH_STATE_COUNT,
};

/* What one round says, by the scope of its failing checks
 * (health_round_verdict). */
enum health_verdict {
	HEALTH_VERDICT_PASS,
	HEALTH_VERDICT_FAIL_GLOBAL,     /* every failing check is global */
	HEALTH_VERDICT_FAIL_LOCAL,      /* a local check is among them */
	/* Checks that could not run (local errors) decide the round: it is
	 * not counted, the state stands. */
	HEALTH_VERDICT_UNDECIDED,
};

/* Why a service drains (a planned withdraw). */
enum health_drain_reason {
	HEALTH_DRAIN_NONE,
	HEALTH_DRAIN_MAINTENANCE,
	HEALTH_DRAIN_EXIT,
	HEALTH_DRAIN_REMOVED,
};

/* How the last drain ended. */
enum health_drain_end {
	HEALTH_DRAIN_END_NONE,
	HEALTH_DRAIN_END_TIME,          /* drain.seconds elapsed */
	HEALTH_DRAIN_END_CONNECTIONS,   /* connections at most drain max */
	HEALTH_DRAIN_END_FAILED,        /* checks failed fall times */
	HEALTH_DRAIN_END_CANCELLED,     /* maintenance removed: back UP */
	HEALTH_DRAIN_END_CUT,           /* forced: second signal, no drain */
};

/* Events of the last call, for logging (bit mask in health.events). */
#define HEALTH_EVENT_HOLD_STARTED 0x1   /* rise met, hold-down applies */
#define HEALTH_EVENT_HOLD_ENDED 0x2     /* hold-down served: UP */
#define HEALTH_EVENT_DRAIN_STARTED 0x4
#define HEALTH_EVENT_DRAIN_ENDED 0x8    /* see health.drain_end */

/* How many recent DOWN times are remembered for the flap count. */
#define HEALTH_FLAP_HISTORY 32

struct health_params {
	unsigned rise;
	unsigned fall;
	uint64_t hold_down_ns;
	uint64_t flap_window_ns;
	uint64_t hold_down_max_ns;
	/* A drain lasts at least this long even when the connections are
	 * gone: routers need time to act on 65535:0 before the withdraw
	 * (and a UDP service never has connections). Above the drain's
	 * length it has no effect: the time bound ends the drain. */
	uint64_t drain_min_ns;
	/* The service has a last_resort attribute set: global-only failures
	 * make it DEGRADED instead of DOWN. */
	bool last_resort;
};

struct health {
	enum health_state state;
	struct health_params params;
	unsigned consecutive_passes;
	unsigned consecutive_failures;
	uint64_t streak_start_ns;       /* first pass of the current run */
	/* Failure scope: rounds in a row in which every local check passed
	 * (passes and global-only failures), and rounds in a row with a
	 * local check failing. Without last_resort they equal the two
	 * above. Announcing again after a DOWN counts locally healthy
	 * rounds, and the hold-down runs from the first of them. */
	unsigned consecutive_local_passes;
	unsigned consecutive_local_failures;
	uint64_t local_streak_start_ns;
	/* Anti-flap: times of recent DOWNs (ring), and the extra healthy
	 * time the last DOWN requires before the next UP. */
	uint64_t down_times_ns[HEALTH_FLAP_HISTORY];
	unsigned down_total;            /* ever; the ring holds the last ones */
	unsigned flap_count;            /* DOWNs in the window at the last DOWN */
	uint64_t hold_ns;
	bool holding;                   /* hold-down applying right now */
	/* Drain. */
	bool maintenance;
	enum health_drain_reason drain_reason;
	uint64_t drain_started_ns;
	uint64_t drain_deadline_ns;
	/* The last connection count was at most the maximum: the drain ends
	 * as soon as drain_min_ns has passed. */
	bool drain_connections_low;
	enum health_drain_end drain_end;
	unsigned events;                /* HEALTH_EVENT_* of the last call */
};

/* Start in INIT with every parameter. */
void health_init_params(struct health *health,
    const struct health_params *params);
/* New parameters (after a reload) without losing state or counters. */
void health_set_params(struct health *health,
    const struct health_params *params);

/* Feed one combined round result at now_ns. Returns true if the state
 * changed. Results are ignored in DISABLED and STOPPED. */
bool health_feed(struct health *health, bool passed, uint64_t now_ns);
/* A failure that is certain the moment it happens (the service's process
 * exited, its address was removed): counted as fall failures in a row, so
 * UP and FALLING go DOWN at once (a flap, with its hold-down), a drain ends
 * and INIT and RISING go DOWN as on any failure. Coming back still takes
 * rise passes and the hold-down. Ignored in DISABLED and STOPPED. Returns
 * true if the state changed. */
bool health_fail_certain(struct health *health, uint64_t now_ns);
/* The same with the round's verdict: a pass, a failure of global checks
 * only (DEGRADED instead of DOWN when params.last_resort; otherwise a
 * failure like any other), a failure with a local check failing. An
 * undecided round changes nothing. health_feed(passed) is
 * HEALTH_VERDICT_PASS or HEALTH_VERDICT_FAIL_LOCAL. */
bool health_feed_verdict(struct health *health, enum health_verdict verdict,
    uint64_t now_ns);
/* Let time act: the end of a hold-down, the drain's time bound. Returns
 * true if the state changed. */
bool health_tick(struct health *health, uint64_t now_ns);
/* When health_tick has something to do next; 0 when nothing is pending. */
uint64_t health_next_wake_ns(const struct health *health);

/* Maintenance on (drain for drain_ns first when announced) or off. Returns
 * true if the state changed. */
bool health_set_maintenance(struct health *health, bool on, uint64_t now_ns,
    uint64_t drain_ns);
/* Leave for good (exit or removal by a reload): drain for drain_ns first
 * when announced, then STOPPED. A drain already running keeps its deadline
 * unless drain_ns is 0, which ends it now. Returns true on a change. */
bool health_stop(struct health *health, enum health_drain_reason reason,
    uint64_t now_ns, uint64_t drain_ns);
/* A connection count arrived at now_ns while draining: at most max ends
 * the drain, once it has lasted params.drain_min_ns (before that, at that
 * time: see health_next_wake_ns; a later count above max cancels it). A
 * negative count (counting failed) changes nothing. */
bool health_drain_connections(struct health *health, long count, long max,
    uint64_t now_ns);
/* When a drain's connection-count end may apply at the earliest. */
uint64_t health_drain_min_end_ns(const struct health *health);

/* The hold-down the n-th DOWN within the window requires. */
uint64_t health_hold_down_for(const struct health_params *params,
    unsigned downs_in_window);
/* Is the service waiting out a hold-down (RISING, rise met)? */
bool health_held_down(const struct health *health);
/* When the current hold-down ends (meaningful while held down). */
uint64_t health_hold_end_ns(const struct health *health);

bool health_state_announced(enum health_state state);
/* Should the next round come after fast_interval rather than interval? */
bool health_uses_fast_interval(const struct health *health);
const char *health_state_name(enum health_state state);
const char *health_drain_reason_name(enum health_drain_reason reason);
const char *health_drain_end_name(enum health_drain_end end);
/* "pass", "global failure", "local failure", "undecided". */
const char *health_verdict_name(enum health_verdict verdict);

/* Combine the results of one round: passes out of total under a policy. */
#include "config.h"
bool health_policy_passes(enum require_policy policy, unsigned require_count,
    unsigned passes, unsigned total);

/* The checks of one round by result and scope. A check that could not run
 * (a local error: anycheck's own problem) is unknown: it might have passed
 * or failed. */
struct health_round {
	unsigned total;
	unsigned passes;
	unsigned failures_local;        /* failing checks of scope "local" */
	unsigned failures_global;       /* failing checks of scope "global" */
	unsigned unknown_local;         /* could not run, scope "local" */
	unsigned unknown_global;        /* could not run, scope "global" */
};
/* The verdict of a round under a policy: PASS when the policy is met,
 * FAIL_GLOBAL when it is not and every failing check is global,
 * FAIL_LOCAL when a local check is among the failing ones (under any
 * policy: a local failure is never explained away by a global one), and
 * UNDECIDED when the unknown checks could change the verdict. */
enum health_verdict health_round_verdict(enum require_policy policy,
    unsigned require_count, const struct health_round *round);

#endif
