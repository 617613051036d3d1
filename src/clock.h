/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: monotonic time
 *
 * Every interval, timeout and deadline in anycheck is CLOCK_MONOTONIC
 * nanoseconds, so a wall-clock step (NTP, an operator's `date -s`) never
 * fires or starves a check.
 */
#ifndef ANYCHECK_CLOCK_H
#define ANYCHECK_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

static inline uint64_t
clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Config times are seconds with fractions; validation bounds them. */
static inline uint64_t
clock_seconds_to_ns(double seconds)
{
	return seconds <= 0 ? 0 : (uint64_t)(seconds * (double)NSEC_PER_SEC + 0.5);
}

static inline double
clock_ns_to_ms(uint64_t ns)
{
	return (double)ns / (double)NSEC_PER_MSEC;
}

#endif
