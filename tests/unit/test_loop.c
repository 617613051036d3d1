/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: event loop tests
 *
 * Timers fire in deadline order (also with 10 000 of them), cancelled timers
 * stay silent, callbacks may re-arm timers and remove fds (their own or
 * others') safely, signals arrive through the loop, and exited children are
 * reported once and always reaped.
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
	tcase_add_test(tc, test_child_exit);
	tcase_add_test(tc, test_forget_child);
	tcase_add_test(tc, test_run_and_stop);
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
