/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: virtual time for tests
 *
 * A clock that stands still until a test moves it, hooked into a loop with
 * loop_set_clock, so that tests of timers, timeouts and back-offs run in no
 * real time and assert exact virtual timestamps instead of "wide margins".
 * Advancing steps the clock to each timer deadline in turn and runs one round
 * of the loop there (which also dispatches whatever fds are ready), so every
 * callback sees loop_now_ns equal to its own deadline.
 */
#ifndef ANYCHECK_VIRTUAL_CLOCK_H
#define ANYCHECK_VIRTUAL_CLOCK_H

#include <stdint.h>

#include "loop.h"

/* Where an attached clock that reads 0 starts: loop_next_deadline_ns uses 0
 * for "no timer", so virtual deadlines should stay above it. */
#define VIRTUAL_CLOCK_START_NS (1000ULL * 1000000000ULL)

/* Rounds one virtual_clock_advance may run before it gives up: a timer that
 * keeps re-arming itself for "now" must fail a test, not hang it. */
#define VIRTUAL_CLOCK_MAX_ROUNDS 1000000

struct virtual_clock {
	uint64_t now_ns;
};

/* Make the loop run on this clock (starting at VIRTUAL_CLOCK_START_NS when
 * now_ns is 0). loop_set_clock(loop, NULL, NULL) goes back to real time. */
void virtual_clock_attach(struct virtual_clock *clock, struct loop *loop);

/* Move the clock ns forward: to each timer deadline within the span in turn,
 * with one loop_run_once(loop, 0) at each (more while timers stay due), then
 * to the end of the span for a final round. Returns 0, or -1 when the loop
 * failed or VIRTUAL_CLOCK_MAX_ROUNDS rounds did not get there. */
int virtual_clock_advance(struct virtual_clock *clock, struct loop *loop,
    uint64_t ns);

/* Advance to the next armed timer's deadline (or not at all if it is due)
 * and run the rounds due there. Returns 0, or -1 if no timer is armed. */
int virtual_clock_step(struct virtual_clock *clock, struct loop *loop);

#endif
