/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: virtual time for tests
 *
 * The clock is a plain counter read through loop_set_clock's hook. Advancing
 * jumps from one earliest deadline to the next (loop_next_deadline_ns), so an
 * hour of a one-second timer costs 3600 rounds and no sleeping.
 */
#include <stddef.h>

#include "log.h"
#include "virtual_clock.h"

static uint64_t
virtual_clock_read(void *arg)
{
	const struct virtual_clock *clock = arg;

	return clock->now_ns;
}

void
virtual_clock_attach(struct virtual_clock *clock, struct loop *loop)
{
	if (clock->now_ns == 0)
		clock->now_ns = VIRTUAL_CLOCK_START_NS;
	loop_set_clock(loop, virtual_clock_read, clock);
}

/* Run rounds at the clock's current time until no timer is due. */
static int
virtual_clock_settle(struct virtual_clock *clock, struct loop *loop,
    unsigned *rounds)
{
	for (;;) {
		uint64_t next;

		if (++*rounds > VIRTUAL_CLOCK_MAX_ROUNDS) {
			log_warnx("virtual clock: timers still due after %d "
			    "rounds", VIRTUAL_CLOCK_MAX_ROUNDS);
			return -1;
		}
		if (loop_run_once(loop, 0) == -1)
			return -1;
		next = loop_next_deadline_ns(loop);
		if (next == 0 || next > clock->now_ns)
			return 0;
	}
}

int
virtual_clock_advance(struct virtual_clock *clock, struct loop *loop,
    uint64_t ns)
{
	uint64_t end = clock->now_ns + ns;
	unsigned rounds = 0;

	for (;;) {
		uint64_t next = loop_next_deadline_ns(loop);

		if (next == 0 || next > end)
			break;
		if (next > clock->now_ns)
			clock->now_ns = next;
		if (virtual_clock_settle(clock, loop, &rounds) == -1)
			return -1;
	}
	clock->now_ns = end;
	return virtual_clock_settle(clock, loop, &rounds);
}

int
virtual_clock_step(struct virtual_clock *clock, struct loop *loop)
{
	uint64_t next = loop_next_deadline_ns(loop);
	unsigned rounds = 0;

	if (next == 0)
		return -1;
	if (next > clock->now_ns)
		clock->now_ns = next;
	return virtual_clock_settle(clock, loop, &rounds);
}
