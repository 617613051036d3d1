/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: event loop tests
 *
 * Timers fire in deadline order (also with 10 000 of them), cancelled timers
 * stay silent, callbacks may re-arm timers and remove fds (their own or
 * others') safely, signals arrive through the loop, and exited children are
 * reported once and always reaped. On a virtual clock, timers fire in order
 * at exactly their virtual deadlines, loop_timer_arm_in counts from virtual
 * now, a timer re-armed for "now" waits for the next round, an hour of a
 * one-second timer is 3600 callbacks, fds are still dispatched, and the real
 * clock comes back when the hook is removed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "virtual_clock.h"

/* Run the loop until *flag or until ms passed. */
static void
run_until(struct loop *loop, const bool *flag, int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (!*flag && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
}

struct order_timer {
	struct loop_timer timer;
	int id;
	int *log;
	size_t *count;
	uint64_t fired_ns;
};

static void
order_fired(struct loop *loop, void *arg)
{
	struct order_timer *t = arg;

	t->fired_ns = loop_now_ns(loop);
	t->log[(*t->count)++] = t->id;
}

START_TEST(test_timers_fire_in_order)
{
	struct loop *loop = loop_new();
	int delays_ms[] = { 30, 10, 50, 20, 40 };
	struct order_timer timers[5];
	int log[5];
	size_t count = 0;
	bool never = false;

	ck_assert_ptr_nonnull(loop);
	for (int i = 0; i < 5; i++) {
		timers[i].id = delays_ms[i];
		timers[i].log = log;
		timers[i].count = &count;
		loop_timer_init(&timers[i].timer, order_fired, &timers[i]);
		loop_timer_arm_in(loop, &timers[i].timer,
		    (uint64_t)delays_ms[i] * NSEC_PER_MSEC);
	}
	uint64_t start = clock_now_ns();
	while (count < 5 && clock_now_ns() - start < NSEC_PER_SEC)
		run_until(loop, &never, 5);
	ck_assert_uint_eq(count, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(log[i], (i + 1) * 10);
	/* Not early. */
	for (int i = 0; i < 5; i++) {
		ck_assert(timers[i].fired_ns >= timers[i].timer.deadline_ns);
		ck_assert(!loop_timer_armed(&timers[i].timer));
	}
	loop_free(loop);
}
END_TEST

START_TEST(test_many_timers)
{
	enum { N = 10000 };
	struct loop *loop = loop_new();
	struct order_timer *timers = calloc(N, sizeof(*timers));
	int *log = calloc(N, sizeof(*log));
	size_t count = 0, expected = 0;
	uint64_t base = clock_now_ns();

	srand(42);
	for (int i = 0; i < N; i++) {
		timers[i].id = i;
		timers[i].log = log;
		timers[i].count = &count;
		loop_timer_init(&timers[i].timer, order_fired, &timers[i]);
		loop_timer_arm(loop, &timers[i].timer, base +
		    (uint64_t)(rand() % 100) * NSEC_PER_MSEC +
		    (uint64_t)(rand() % 1000));
	}
	/* Cancel every third, re-arm every fifth later. */
	for (int i = 0; i < N; i += 3)
		loop_timer_cancel(loop, &timers[i].timer);
	for (int i = 0; i < N; i += 5)
		loop_timer_arm(loop, &timers[i].timer,
		    timers[i].timer.deadline_ns + 20 * NSEC_PER_MSEC);
	for (int i = 0; i < N; i++)
		if (loop_timer_armed(&timers[i].timer))
			expected++;
	while (count < expected && clock_now_ns() - base < 3 * NSEC_PER_SEC)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
	ck_assert_uint_eq(count, expected);
	for (size_t i = 1; i < count; i++)
		ck_assert(timers[log[i - 1]].timer.deadline_ns <=
		    timers[log[i]].timer.deadline_ns);
	for (size_t i = 0; i < count; i++)
		ck_assert(log[i] % 3 != 0 || log[i] % 5 == 0);
	free(timers);
	free(log);
	loop_free(loop);
}
END_TEST

static void
count_fired(struct loop *loop, void *arg)
{
	(void)loop;
	(*(int *)arg)++;
}

START_TEST(test_timer_cancel)
{
	struct loop *loop = loop_new();
	struct loop_timer timer;
	int fired = 0;
	bool never = false;

	loop_timer_init(&timer, count_fired, &fired);
	loop_timer_arm_in(loop, &timer, 20 * NSEC_PER_MSEC);
	ck_assert(loop_timer_armed(&timer));
	loop_timer_cancel(loop, &timer);
	ck_assert(!loop_timer_armed(&timer));
	loop_timer_cancel(loop, &timer);        /* twice is fine */
	run_until(loop, &never, 60);
	ck_assert_int_eq(fired, 0);
	loop_free(loop);
}
END_TEST

struct rearm {
	struct loop_timer timer;
	int fired;
	bool done;
};

static void
rearm_fired(struct loop *loop, void *arg)
{
	struct rearm *r = arg;

	if (++r->fired < 3)
		loop_timer_arm_in(loop, &r->timer, 5 * NSEC_PER_MSEC);
	else
		r->done = true;
}

START_TEST(test_timer_rearm_from_callback)
{
	struct loop *loop = loop_new();
	struct rearm r = { .fired = 0 };
	uint64_t start = clock_now_ns();

	loop_timer_init(&r.timer, rearm_fired, &r);
	loop_timer_arm_in(loop, &r.timer, 5 * NSEC_PER_MSEC);
	run_until(loop, &r.done, 1000);
	ck_assert_int_eq(r.fired, 3);
	ck_assert(clock_now_ns() - start >= 15 * NSEC_PER_MSEC);
	ck_assert(!loop_timer_armed(&r.timer));
	loop_free(loop);
}
END_TEST

struct fd_probe {
	int calls;
	uint32_t events;
	int other_fd;           /* removed and closed by the callback */
	bool remove_self;
	bool done;
};

static void
fd_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct fd_probe *probe = arg;
	char buffer[16];

	probe->calls++;
	probe->events = events;
	probe->done = true;
	(void)!read(fd, buffer, sizeof(buffer));
	if (probe->other_fd != -1) {
		loop_remove_fd(loop, probe->other_fd);
		close(probe->other_fd);
		probe->other_fd = -1;
	}
	if (probe->remove_self)
		loop_remove_fd(loop, fd);
}

START_TEST(test_fd_readiness)
{
	struct loop *loop = loop_new();
	struct fd_probe probe = { .other_fd = -1 };
	int fds[2];
	bool never = false;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(loop_add_fd(loop, fds[0], EPOLLIN, fd_ready, &probe),
	    0);
	/* A second registration of the same fd is refused. */
	ck_assert_int_eq(loop_add_fd(loop, fds[0], EPOLLIN, fd_ready, &probe),
	    -1);
	run_until(loop, &never, 20);
	ck_assert_int_eq(probe.calls, 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	run_until(loop, &probe.done, 1000);
	ck_assert_int_eq(probe.calls, 1);
	ck_assert(probe.events & EPOLLIN);
	/* Writable end, switched from nothing to EPOLLOUT. */
	struct fd_probe out = { .other_fd = -1, .remove_self = true };
	ck_assert_int_eq(loop_add_fd(loop, fds[1], 0, fd_ready, &out), 0);
	run_until(loop, &never, 20);
	ck_assert_int_eq(out.calls, 0);
	ck_assert_int_eq(loop_modify_fd(loop, fds[1], EPOLLOUT), 0);
	run_until(loop, &out.done, 1000);
	ck_assert_int_eq(out.calls, 1);
	ck_assert(out.events & EPOLLOUT);
	/* It removed itself: no more calls although still writable. */
	run_until(loop, &never, 20);
	ck_assert_int_eq(out.calls, 1);
	loop_remove_fd(loop, fds[0]);
	close(fds[0]);
	close(fds[1]);
	loop_free(loop);
}
END_TEST

START_TEST(test_remove_other_fd_inside_callback)
{
	struct loop *loop = loop_new();
	int a[2], b[2];
	struct fd_probe *first = calloc(1, sizeof(*first));
	struct fd_probe *second = calloc(1, sizeof(*second));

	ck_assert_int_eq(pipe2(a, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(pipe2(b, O_CLOEXEC | O_NONBLOCK), 0);
	first->other_fd = b[0];
	second->other_fd = a[0];
	/* Both readable in the same round: whichever runs first removes and
	 * closes the other's fd; the other must then not be called. */
	ck_assert_int_eq(loop_add_fd(loop, a[0], EPOLLIN, fd_ready, first), 0);
	ck_assert_int_eq(loop_add_fd(loop, b[0], EPOLLIN, fd_ready, second),
	    0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	ck_assert_int_eq(loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(first->calls + second->calls, 1);
	/* Reuse the closed fd number at once with a new registration: no
	 * stale event may reach it. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
	ck_assert_int_eq(first->calls + second->calls, 1);
	if (first->calls == 1) {
		loop_remove_fd(loop, a[0]);
		close(a[0]);
	} else {
		loop_remove_fd(loop, b[0]);
		close(b[0]);
	}
	close(a[1]);
	close(b[1]);
	free(first);
	free(second);
	loop_free(loop);
}
END_TEST

static void
signal_seen(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	*(int *)arg = signo;
}

START_TEST(test_signal_through_loop)
{
	struct loop *loop = loop_new();
	int signals[] = { SIGUSR1, SIGUSR2 };
	int seen = 0;
	uint64_t end = clock_now_ns() + NSEC_PER_SEC;

	ck_assert_int_eq(loop_watch_signals(loop, signals, 2, signal_seen,
	    &seen), 0);
	raise(SIGUSR1);         /* would kill the process if not blocked */
	while (seen == 0 && clock_now_ns() < end)
		loop_run_once(loop, 10);
	ck_assert_int_eq(seen, SIGUSR1);
	seen = 0;
	kill(getpid(), SIGUSR2);
	end = clock_now_ns() + NSEC_PER_SEC;
	while (seen == 0 && clock_now_ns() < end)
		loop_run_once(loop, 10);
	ck_assert_int_eq(seen, SIGUSR2);
	loop_free(loop);
}
END_TEST

/* A watched signal that arrives while the loop no longer runs (a second
 * SIGTERM during the exit) is discarded at loop_free, not delivered with
 * its default action once unblocked: that killed a daemon that had
 * withdrawn everything (exit status 143 instead of 0, chaos soak). */
START_TEST(test_pending_signal_discarded_at_free)
{
	struct loop *loop = loop_new();
	int signals[] = { SIGUSR1 };
	int seen = 0;
	sigset_t pending;

	ck_assert_int_eq(loop_watch_signals(loop, signals, 1, signal_seen,
	    &seen), 0);
	raise(SIGUSR1);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(sigismember(&pending, SIGUSR1));
	loop_free(loop);        /* the default action would end the test */
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(!sigismember(&pending, SIGUSR1));
	ck_assert_int_eq(seen, 0);
}
END_TEST

struct child_probe {
	pid_t pid;
	int status;
	int calls;
	bool done;
};

static void
child_exited(struct loop *loop, pid_t pid, int status, void *arg)
{
	struct child_probe *probe = arg;

	(void)loop;
	probe->pid = pid;
	probe->status = status;
	probe->calls++;
	probe->done = true;
}

START_TEST(test_child_exit)
{
	struct loop *loop = loop_new();
	struct child_probe probes[20];
	pid_t unwatched;
	bool never = false;
	int status;

	memset(probes, 0, sizeof(probes));
	/* Many children in unsorted exit order, plus one nobody watches. */
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			usleep((useconds_t)((20 - i) * 1000));
			_exit(i);
		}
		ck_assert_int_eq(loop_watch_child(loop, pid, child_exited,
		    &probes[i]), 0);
		probes[i].pid = -1;
	}
	unwatched = fork();
	if (unwatched == 0)
		_exit(0);
	for (int i = 0; i < 20; i++)
		run_until(loop, &probes[i].done, 2000);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(probes[i].calls, 1);
		ck_assert(WIFEXITED(probes[i].status));
		ck_assert_int_eq(WEXITSTATUS(probes[i].status), i);
	}
	/* The unwatched child was reaped too (or is about to be). */
	run_until(loop, &never, 50);
	ck_assert_int_eq(waitpid(-1, &status, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	loop_free(loop);
}
END_TEST

START_TEST(test_forget_child)
{
	struct loop *loop = loop_new();
	struct child_probe probe = { 0 };
	bool never = false;
	pid_t pid = fork();

	if (pid == 0)
		_exit(3);
	loop_watch_child(loop, pid, child_exited, &probe);
	loop_forget_child(loop, pid);
	run_until(loop, &never, 100);
	ck_assert_int_eq(probe.calls, 0);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	loop_free(loop);
}
END_TEST

struct stopper {
	struct loop_timer timer;
};

static void
stop_fired(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

START_TEST(test_run_and_stop)
{
	struct loop *loop = loop_new();
	struct stopper s;

	loop_timer_init(&s.timer, stop_fired, &s);
	loop_timer_arm_in(loop, &s.timer, 10 * NSEC_PER_MSEC);
	ck_assert_int_eq(loop_run(loop), 0);
	loop_free(loop);
}
END_TEST

/* Virtual time. */

START_TEST(test_virtual_timers_fire_in_order)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	int delays_ms[] = { 3000, 1000, 5000, 2000, 4000, 2000 };
	struct order_timer timers[6];
	int log[6];
	size_t count = 0;
	uint64_t start;

	ck_assert_ptr_nonnull(loop);
	virtual_clock_attach(&clock, loop);
	start = clock.now_ns;
	ck_assert_uint_eq(loop_now_ns(loop), start);
	ck_assert_uint_eq(loop_next_deadline_ns(loop), 0);
	for (int i = 0; i < 6; i++) {
		timers[i].id = i;
		timers[i].log = log;
		timers[i].count = &count;
		loop_timer_init(&timers[i].timer, order_fired, &timers[i]);
		loop_timer_arm_in(loop, &timers[i].timer,
		    (uint64_t)delays_ms[i] * NSEC_PER_MSEC);
	}
	ck_assert_uint_eq(loop_next_deadline_ns(loop), start + NSEC_PER_SEC);
	/* Nothing is due before virtual time moves, however long we wait. */
	ck_assert_int_eq(loop_run_once(loop, 0), 0);
	ck_assert_int_eq(loop_run_once(loop, 20), 0);
	ck_assert_uint_eq(count, 0);
	/* 1.5 s: only the 1 s timer. */
	ck_assert_int_eq(virtual_clock_advance(&clock, loop,
	    1500 * NSEC_PER_MSEC), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(log[0], 1);
	ck_assert_uint_eq(clock.now_ns, start + 1500 * NSEC_PER_MSEC);
	ck_assert_uint_eq(loop_next_deadline_ns(loop),
	    start + 2 * NSEC_PER_SEC);
	ck_assert_int_eq(virtual_clock_advance(&clock, loop,
	    10 * NSEC_PER_SEC), 0);
	ck_assert_uint_eq(count, 6);
	/* Deadline order; the two 2 s timers in the order they were armed. */
	ck_assert_int_eq(log[1], 3);
	ck_assert_int_eq(log[2], 5);
	ck_assert_int_eq(log[3], 0);
	ck_assert_int_eq(log[4], 4);
	ck_assert_int_eq(log[5], 2);
	/* Each saw exactly its own deadline as the loop's time. */
	for (int i = 0; i < 6; i++) {
		ck_assert_uint_eq(timers[i].fired_ns,
		    start + (uint64_t)delays_ms[i] * NSEC_PER_MSEC);
		ck_assert(!loop_timer_armed(&timers[i].timer));
	}
	ck_assert_uint_eq(clock.now_ns, start + 11500 * NSEC_PER_MSEC);
	ck_assert_uint_eq(loop_now_ns(loop), clock.now_ns);
	ck_assert_uint_eq(loop_next_deadline_ns(loop), 0);
	loop_free(loop);
}
END_TEST

struct relative {
	struct loop_timer first, second;
	uint64_t first_ns, second_ns;
};

static void
relative_second(struct loop *loop, void *arg)
{
	struct relative *r = arg;

	r->second_ns = loop_now_ns(loop);
}

static void
relative_first(struct loop *loop, void *arg)
{
	struct relative *r = arg;

	r->first_ns = loop_now_ns(loop);
	/* 250 ms after this callback's virtual time. */
	loop_timer_arm_in(loop, &r->second, 250 * NSEC_PER_MSEC);
}

START_TEST(test_virtual_arm_in_is_relative_to_virtual_now)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { .now_ns = 7 * NSEC_PER_SEC };
	struct relative r = { .first_ns = 0 };

	virtual_clock_attach(&clock, loop);
	ck_assert_uint_eq(clock.now_ns, 7 * NSEC_PER_SEC);
	loop_timer_init(&r.first, relative_first, &r);
	loop_timer_init(&r.second, relative_second, &r);
	/* Moved by hand, without a round: arm_in reads the clock afresh. */
	clock.now_ns += 3 * NSEC_PER_SEC;
	loop_timer_arm_in(loop, &r.first, NSEC_PER_SEC);
	ck_assert_uint_eq(r.first.deadline_ns, 11 * NSEC_PER_SEC);
	ck_assert_int_eq(virtual_clock_advance(&clock, loop,
	    NSEC_PER_SEC - 1), 0);
	ck_assert_uint_eq(r.first_ns, 0);
	ck_assert_int_eq(virtual_clock_step(&clock, loop), 0);
	ck_assert_uint_eq(r.first_ns, 11 * NSEC_PER_SEC);
	ck_assert_uint_eq(r.second.deadline_ns,
	    11 * NSEC_PER_SEC + 250 * NSEC_PER_MSEC);
	ck_assert_int_eq(virtual_clock_step(&clock, loop), 0);
	ck_assert_uint_eq(r.second_ns, 11 * NSEC_PER_SEC + 250 * NSEC_PER_MSEC);
	ck_assert_int_eq(virtual_clock_step(&clock, loop), -1);
	loop_free(loop);
}
END_TEST

struct periodic {
	struct loop_timer timer;
	uint64_t period_ns;
	uint64_t first_ns, last_ns;
	int fired;
	bool regular;           /* every callback exactly one period later */
};

static void
periodic_fired(struct loop *loop, void *arg)
{
	struct periodic *p = arg;
	uint64_t now = loop_now_ns(loop);

	if (p->fired == 0)
		p->first_ns = now;
	else if (now != p->last_ns + p->period_ns)
		p->regular = false;
	p->last_ns = now;
	p->fired++;
	loop_timer_arm(loop, &p->timer, p->timer.deadline_ns + p->period_ns);
}

START_TEST(test_virtual_hour_of_one_second_timer)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	struct periodic p = { .period_ns = NSEC_PER_SEC, .regular = true };
	uint64_t start;

	virtual_clock_attach(&clock, loop);
	start = clock.now_ns;
	loop_timer_init(&p.timer, periodic_fired, &p);
	loop_timer_arm_in(loop, &p.timer, NSEC_PER_SEC);
	ck_assert_int_eq(virtual_clock_advance(&clock, loop,
	    3600 * NSEC_PER_SEC), 0);
	ck_assert_int_eq(p.fired, 3600);
	ck_assert(p.regular);
	ck_assert_uint_eq(p.first_ns, start + NSEC_PER_SEC);
	ck_assert_uint_eq(p.last_ns, start + 3600 * NSEC_PER_SEC);
	ck_assert_uint_eq(loop_next_deadline_ns(loop),
	    start + 3601 * NSEC_PER_SEC);
	loop_free(loop);
}
END_TEST

START_TEST(test_virtual_ten_seconds_of_timers)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	struct periodic fast = { .period_ns = 100 * NSEC_PER_MSEC,
	    .regular = true };
	struct periodic slow = { .period_ns = 3 * NSEC_PER_SEC,
	    .regular = true };
	uint64_t start;

	virtual_clock_attach(&clock, loop);
	start = clock.now_ns;
	loop_timer_init(&fast.timer, periodic_fired, &fast);
	loop_timer_init(&slow.timer, periodic_fired, &slow);
	loop_timer_arm_in(loop, &fast.timer, fast.period_ns);
	loop_timer_arm_in(loop, &slow.timer, slow.period_ns);
	/* Ten virtual seconds; were these real, the test would time out
	 * (tcase timeout 10 s) long before the counts below. */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(virtual_clock_advance(&clock, loop,
		    NSEC_PER_SEC), 0);
	ck_assert_int_eq(fast.fired, 100);
	ck_assert_int_eq(slow.fired, 3);
	ck_assert(fast.regular && slow.regular);
	ck_assert_uint_eq(fast.last_ns, start + 10 * NSEC_PER_SEC);
	ck_assert_uint_eq(slow.last_ns, start + 9 * NSEC_PER_SEC);
	loop_free(loop);
}
END_TEST

struct now_again {
	struct loop_timer timer;
	int fired;
};

static void
now_again_fired(struct loop *loop, void *arg)
{
	struct now_again *n = arg;

	n->fired++;
	loop_timer_arm_in(loop, &n->timer, 0);
}

START_TEST(test_virtual_rearm_for_now_runs_next_round)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	struct now_again n = { .fired = 0 };
	struct loop_timer other;
	int other_fired = 0;

	virtual_clock_attach(&clock, loop);
	loop_timer_init(&n.timer, now_again_fired, &n);
	loop_timer_init(&other, count_fired, &other_fired);
	loop_timer_arm_in(loop, &n.timer, 0);
	/* Due now too, but armed later: runs after n in the same round. */
	loop_timer_arm_in(loop, &other, 0);
	for (int round = 1; round <= 3; round++) {
		ck_assert_int_eq(loop_run_once(loop, 0), 0);
		ck_assert_int_eq(n.fired, round);
		ck_assert_int_eq(other_fired, 1);
		ck_assert_uint_eq(loop_next_deadline_ns(loop), clock.now_ns);
	}
	/* Forever due: advancing gives up instead of spinning. */
	ck_assert_int_eq(virtual_clock_advance(&clock, loop, NSEC_PER_SEC),
	    -1);
	ck_assert_int_eq(n.fired, 3 + VIRTUAL_CLOCK_MAX_ROUNDS);
	loop_free(loop);
}
END_TEST

START_TEST(test_virtual_clock_dispatches_fds)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	struct fd_probe probe = { .other_fd = -1 };
	int fds[2];

	virtual_clock_attach(&clock, loop);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(loop_add_fd(loop, fds[0], EPOLLIN, fd_ready, &probe),
	    0);
	ck_assert_int_eq(virtual_clock_advance(&clock, loop, NSEC_PER_SEC), 0);
	ck_assert_int_eq(probe.calls, 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	/* No timer at all: the final round still reads the pipe. */
	ck_assert_int_eq(virtual_clock_advance(&clock, loop, 0), 0);
	ck_assert_int_eq(probe.calls, 1);
	loop_remove_fd(loop, fds[0]);
	close(fds[0]);
	close(fds[1]);
	loop_free(loop);
}
END_TEST

START_TEST(test_real_clock_restored)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { .now_ns = 42 };
	struct loop_timer timer;
	int fired = 0;
	uint64_t before;

	virtual_clock_attach(&clock, loop);
	ck_assert_uint_eq(loop_now_ns(loop), 42);
	loop_timer_init(&timer, count_fired, &fired);
	loop_timer_arm_in(loop, &timer, 8);
	ck_assert_uint_eq(timer.deadline_ns, 50);
	ck_assert_int_eq(virtual_clock_advance(&clock, loop, 8), 0);
	ck_assert_int_eq(fired, 1);

	loop_set_clock(loop, NULL, NULL);
	before = clock_now_ns();
	ck_assert_uint_ge(loop_now_ns(loop), before - NSEC_PER_SEC);
	ck_assert_uint_le(loop_now_ns(loop), before);
	/* Timers wait on the real clock again: the timerfd wakes the loop
	 * from an unbounded wait. */
	loop_timer_arm_in(loop, &timer, 5 * NSEC_PER_MSEC);
	ck_assert_uint_ge(timer.deadline_ns, before + 5 * NSEC_PER_MSEC);
	while (fired == 1)
		ck_assert_int_eq(loop_run_once(loop, -1), 0);
	ck_assert_int_eq(fired, 2);
	ck_assert_uint_ge(loop_now_ns(loop), timer.deadline_ns);
	ck_assert_uint_ge(clock_now_ns(), timer.deadline_ns);
	loop_free(loop);
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite *suite = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_timers_fire_in_order);
	tcase_add_test(tc, test_many_timers);
	tcase_add_test(tc, test_timer_cancel);
	tcase_add_test(tc, test_timer_rearm_from_callback);
	tcase_add_test(tc, test_fd_readiness);
	tcase_add_test(tc, test_remove_other_fd_inside_callback);
	tcase_add_test(tc, test_signal_through_loop);
	tcase_add_test(tc, test_pending_signal_discarded_at_free);
	tcase_add_test(tc, test_child_exit);
	tcase_add_test(tc, test_forget_child);
	tcase_add_test(tc, test_run_and_stop);
	suite_add_tcase(suite, tc);

	tc = tcase_create("virtual time");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_virtual_timers_fire_in_order);
	tcase_add_test(tc, test_virtual_arm_in_is_relative_to_virtual_now);
	tcase_add_test(tc, test_virtual_hour_of_one_second_timer);
	tcase_add_test(tc, test_virtual_ten_seconds_of_timers);
	tcase_add_test(tc, test_virtual_rearm_for_now_runs_next_round);
	tcase_add_test(tc, test_virtual_clock_dispatches_fds);
	tcase_add_test(tc, test_real_clock_restored);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(loop_suite());
	int failed;

	log_init("test_loop", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
