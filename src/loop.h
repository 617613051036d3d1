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

/* A timer is embedded in its owner's struct; the loop never allocates one. */
struct loop_timer {
	uint64_t deadline_ns;       /* CLOCK_MONOTONIC */
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
/* Arm (or re-arm) the timer for an absolute CLOCK_MONOTONIC deadline. */
void loop_timer_arm(struct loop *loop, struct loop_timer *timer,
    uint64_t deadline_ns);
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

/* Run until loop_stop; returns 0, or -1 on an epoll failure (logged). */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* Run one round of dispatch, waiting at most timeout_ms (-1: no limit).
 * For tests and for shutdown paths that wait for a bounded time. */
int loop_run_once(struct loop *loop, int timeout_ms);

/* Monotonic time of the current dispatch round (cheap, for scheduling). */
uint64_t loop_now_ns(const struct loop *loop);

#endif
