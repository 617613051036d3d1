/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: event loop
 *
 * One thread, one loop: epoll for file descriptors, one timerfd armed for the
 * earliest deadline of a binary heap of timers, a signalfd for signals, and a
 * SIGCHLD reaper (waitpid(-1, WNOHANG) until empty) that hands each exit
 * status to whoever spawned that child. Everything anycheck does (checks,
 * libcurl, ExaBGP's pipes, BIRD's socket) is a callback on this loop.
 */
#ifndef ANYCHECK_LOOP_H
#define ANYCHECK_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;

typedef void (*loop_fd_callback)(struct loop *loop, int fd, uint32_t events,
    void *arg);
typedef void (*loop_timer_callback)(struct loop *loop, void *arg);
typedef void (*loop_signal_callback)(struct loop *loop, int signo, void *arg);
typedef void (*loop_child_callback)(struct loop *loop, pid_t pid, int status,
    void *arg);
/* A clock for the loop's timers: nanoseconds that never go backwards. */
typedef uint64_t (*loop_clock_fn)(void *arg);

/* A timer is embedded in its owner's struct; the loop never allocates one. */
struct loop_timer {
	uint64_t deadline_ns;       /* on the loop's clock */
	uint64_t sequence;          /* when armed: orders equal deadlines */
	size_t heap_index;          /* LOOP_TIMER_UNARMED when not armed */
	loop_timer_callback callback;
	void *arg;
};
#define LOOP_TIMER_UNARMED ((size_t)-1)

/* Create a loop; blocks SIGCHLD (and the signals later watched) for the
 * process so that they arrive on the signalfd. NULL on failure (logged). */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...). One registration per fd. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events,
    loop_fd_callback callback, void *arg);
int loop_modify_fd(struct loop *loop, int fd, uint32_t events);
/* Safe to call from inside any callback, including the fd's own. */
void loop_remove_fd(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *timer, loop_timer_callback callback,
    void *arg);
/* Arm (or re-arm) the timer for an absolute deadline on the loop's clock
 * (CLOCK_MONOTONIC unless loop_set_clock says otherwise). Timers with equal
 * deadlines fire in the order they were armed. */
void loop_timer_arm(struct loop *loop, struct loop_timer *timer,
    uint64_t deadline_ns);
/* Arm for delay_ns after the clock's time now (read afresh, not the round's
 * cached time, so that a long callback does not shorten the delay). */
void loop_timer_arm_in(struct loop *loop, struct loop_timer *timer,
    uint64_t delay_ns);
void loop_timer_cancel(struct loop *loop, struct loop_timer *timer);
bool loop_timer_armed(const struct loop_timer *timer);

/* Deliver these signals through the loop instead of default handlers. */
int loop_watch_signals(struct loop *loop, const int *signals, size_t count,
    loop_signal_callback callback, void *arg);

/* Call callback once pid has exited, with its waitpid status. The pid must
 * be a child of this process, registered right after fork. */
int loop_watch_child(struct loop *loop, pid_t pid, loop_child_callback callback,
    void *arg);
/* Forget a child (its exit is still reaped, just not reported). */
void loop_forget_child(struct loop *loop, pid_t pid);
/* Whether someone watches pid with loop_watch_child (children nobody
 * watches are orphans this process adopted as a subreaper). */
bool loop_child_watched(const struct loop *loop, pid_t pid);

/* Run until loop_stop; returns 0, or -1 on an epoll failure (logged). */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* Run one round of dispatch, waiting at most timeout_ms (-1: no limit):
 * ready fds first, then every timer whose deadline has come. A timer armed
 * by a callback of the round's timer pass (also one re-armed for "now" or
 * earlier) runs in the next round, never in the same one, so a round always
 * ends. For tests and for shutdown paths that wait for a bounded time. */
int loop_run_once(struct loop *loop, int timeout_ms);

/* Time of the current dispatch round on the loop's clock (cheap, for
 * scheduling and for measuring durations). */
uint64_t loop_now_ns(const struct loop *loop);

/* The loop's clock read now, not the round's cached time: for measuring how
 * long something took on the same clock the loop's timers run on. */
uint64_t loop_clock_now_ns(const struct loop *loop);

/* Replace the loop's clock (for tests on virtual time); NULL restores
 * CLOCK_MONOTONIC. Everything the loop reads the time for uses it: the
 * round's time, loop_timer_arm_in and the choice of due timers. With a clock
 * set, timer deadlines are never waited for on the real clock (the timerfd
 * stays disarmed and the epoll timeout is not shortened for them): the
 * caller moves its clock forward and calls loop_run_once(loop, 0), which
 * dispatches ready fds and then the timers due by the clock's time. Armed
 * timers keep their absolute deadlines across a change of clock. */
void loop_set_clock(struct loop *loop, loop_clock_fn now, void *arg);

/* The earliest armed timer's deadline, 0 when no timer is armed (so a test
 * can jump straight to the next event). */
uint64_t loop_next_deadline_ns(const struct loop *loop);

#endif
