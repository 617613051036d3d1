/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: event loop implementation
 *
 * epoll watches every file descriptor, including three of the loop's own: a
 * timerfd armed for the earliest deadline of a binary min-heap of timers, and
 * a signalfd receiving the watched signals plus SIGCHLD. Registrations live
 * in a table indexed by fd number; each carries a generation number that is
 * also stored in the epoll event, so an event read in a round is dropped when
 * its registration was removed (or replaced by a new one on a reused fd
 * number) by an earlier callback of the same round. Timers are embedded in
 * their owners and the heap only stores pointers, so arming and cancelling
 * are O(log n) and never allocate once the heap has grown. The heap orders
 * timers by deadline, then by an arming sequence number: equal deadlines fire
 * in arming order, and a round's timer pass stops at the first timer armed
 * during that pass, so nothing re-armed for "now" can keep a round going.
 *
 * The time comes from CLOCK_MONOTONIC or, for tests, from a clock hook
 * (loop_set_clock); with a hook the timerfd is never armed, because its
 * deadlines are virtual.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "loop.h"

#define LOOP_MAX_EVENTS 64

struct loop_fd_registration {
	loop_fd_callback callback;
	void *arg;
	uint32_t events;
	uint32_t generation;    /* 0: slot unused */
};

struct loop_signal_watch {
	int signo;
	loop_signal_callback callback;
	void *arg;
};

struct loop_child {
	pid_t pid;
	loop_child_callback callback;
	void *arg;
};

struct loop {
	int epoll_fd;
	int timer_fd;
	int signal_fd;
	bool stopping;
	uint64_t now_ns;
	loop_clock_fn clock;            /* NULL: CLOCK_MONOTONIC */
	void *clock_arg;

	struct loop_fd_registration *fds;
	size_t fd_capacity;
	uint32_t next_generation;

	struct loop_timer **heap;
	size_t heap_count;
	size_t heap_capacity;
	uint64_t next_sequence;         /* for the next loop_timer_arm */
	uint64_t timer_fd_deadline;     /* what timer_fd is armed for; 0: none */

	sigset_t signals;               /* blocked and read from signal_fd */
	sigset_t saved_mask;
	struct loop_signal_watch *watches;
	size_t watch_count;

	struct loop_child *children;    /* sorted by pid */
	size_t child_count;
	size_t child_capacity;
};

static void loop_timer_fd_ready(struct loop *, int, uint32_t, void *);
static void loop_signal_fd_ready(struct loop *, int, uint32_t, void *);

uint64_t
loop_clock_now_ns(const struct loop *loop)
{
	if (loop->clock != NULL)
		return loop->clock(loop->clock_arg);
	return clock_now_ns();
}

/* Timer heap. */

/* Does a fire before b? */
static bool
loop_timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->sequence < b->sequence;
}

static void
loop_heap_place(struct loop *loop, struct loop_timer *timer, size_t index)
{
	loop->heap[index] = timer;
	timer->heap_index = index;
}

static void
loop_heap_sift_up(struct loop *loop, size_t index)
{
	struct loop_timer *timer = loop->heap[index];

	while (index > 0) {
		size_t parent = (index - 1) / 2;
		if (!loop_timer_before(timer, loop->heap[parent]))
			break;
		loop_heap_place(loop, loop->heap[parent], index);
		index = parent;
	}
	loop_heap_place(loop, timer, index);
}

static void
loop_heap_sift_down(struct loop *loop, size_t index)
{
	struct loop_timer *timer = loop->heap[index];

	for (;;) {
		size_t child = 2 * index + 1;
		if (child >= loop->heap_count)
			break;
		if (child + 1 < loop->heap_count &&
		    loop_timer_before(loop->heap[child + 1],
		    loop->heap[child]))
			child++;
		if (!loop_timer_before(loop->heap[child], timer))
			break;
		loop_heap_place(loop, loop->heap[child], index);
		index = child;
	}
	loop_heap_place(loop, timer, index);
}

static void
loop_heap_remove(struct loop *loop, struct loop_timer *timer)
{
	size_t index = timer->heap_index;
	struct loop_timer *last;

	timer->heap_index = LOOP_TIMER_UNARMED;
	last = loop->heap[--loop->heap_count];
	if (last == timer)
		return;
	loop_heap_place(loop, last, index);
	if (index > 0 &&
	    loop_timer_before(last, loop->heap[(index - 1) / 2]))
		loop_heap_sift_up(loop, index);
	else
		loop_heap_sift_down(loop, index);
}

/* Loop creation. */

static int
loop_register_internal(struct loop *loop, int fd, loop_fd_callback callback)
{
	return loop_add_fd(loop, fd, EPOLLIN, callback, NULL);
}

struct loop *
loop_new(void)
{
	struct loop *loop = xcalloc(1, sizeof(*loop));

	loop->epoll_fd = loop->timer_fd = loop->signal_fd = -1;
	loop->next_generation = 1;
	sigemptyset(&loop->signals);
	sigaddset(&loop->signals, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &loop->signals, &loop->saved_mask) == -1) {
		log_warn("loop: sigprocmask");
		free(loop);
		return NULL;
	}
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd == -1) {
		log_warn("loop: epoll_create1");
		goto fail;
	}
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->timer_fd == -1) {
		log_warn("loop: timerfd_create");
		goto fail;
	}
	loop->signal_fd = signalfd(-1, &loop->signals,
	    SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop->signal_fd == -1) {
		log_warn("loop: signalfd");
		goto fail;
	}
	if (loop_register_internal(loop, loop->timer_fd,
	    loop_timer_fd_ready) == -1 ||
	    loop_register_internal(loop, loop->signal_fd,
	    loop_signal_fd_ready) == -1)
		goto fail;
	loop->now_ns = loop_clock_now_ns(loop);
	return loop;
fail:
	loop_free(loop);
	return NULL;
}

void
loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	/* Timers still armed belong to their owners; just unlink them. */
	for (size_t i = 0; i < loop->heap_count; i++)
		loop->heap[i]->heap_index = LOOP_TIMER_UNARMED;
	if (loop->signal_fd != -1)
		close(loop->signal_fd);
	if (loop->timer_fd != -1)
		close(loop->timer_fd);
	if (loop->epoll_fd != -1)
		close(loop->epoll_fd);
	/* A watched signal still pending (a second SIGTERM while the exit
	 * ran) would act as if never watched once unblocked: killing a
	 * daemon that has withdrawn everything and is returning 0. Those
	 * the loop was told to handle are discarded instead. */
	for (int i = 0; i < 64; i++) {
		static const struct timespec now;

		if (sigtimedwait(&loop->signals, NULL, &now) == -1)
			break;
	}
	sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
	free(loop->heap);
	free(loop->fds);
	free(loop->watches);
	free(loop->children);
	free(loop);
}

/* File descriptors. */

static struct loop_fd_registration *
loop_fd_lookup(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->fd_capacity ||
	    loop->fds[fd].generation == 0)
		return NULL;
	return &loop->fds[fd];
}

static uint64_t
loop_fd_event_data(int fd, uint32_t generation)
{
	return (uint64_t)generation << 32 | (uint32_t)fd;
}

int
loop_add_fd(struct loop *loop, int fd, uint32_t events,
    loop_fd_callback callback, void *arg)
{
	struct epoll_event event;
	struct loop_fd_registration *registration;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (loop_fd_lookup(loop, fd) != NULL) {
		log_warnx("loop: fd %d is already registered", fd);
		errno = EEXIST;
		return -1;
	}
	if ((size_t)fd >= loop->fd_capacity) {
		size_t capacity = loop->fd_capacity ? loop->fd_capacity : 64;
		while (capacity <= (size_t)fd)
			capacity *= 2;
		loop->fds = xrealloc(loop->fds, capacity * sizeof(*loop->fds));
		memset(loop->fds + loop->fd_capacity, 0,
		    (capacity - loop->fd_capacity) * sizeof(*loop->fds));
		loop->fd_capacity = capacity;
	}
	registration = &loop->fds[fd];
	registration->generation = loop->next_generation++;
	if (loop->next_generation == 0)
		loop->next_generation = 1;
	memset(&event, 0, sizeof(event));
	event.events = events;
	event.data.u64 = loop_fd_event_data(fd, registration->generation);
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &event) == -1) {
		log_warn("loop: epoll_ctl add fd %d", fd);
		registration->generation = 0;
		return -1;
	}
	registration->callback = callback;
	registration->arg = arg;
	registration->events = events;
	return 0;
}

int
loop_modify_fd(struct loop *loop, int fd, uint32_t events)
{
	struct epoll_event event;
	struct loop_fd_registration *registration = loop_fd_lookup(loop, fd);

	if (registration == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (registration->events == events)
		return 0;
	memset(&event, 0, sizeof(event));
	event.events = events;
	event.data.u64 = loop_fd_event_data(fd, registration->generation);
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &event) == -1) {
		log_warn("loop: epoll_ctl modify fd %d", fd);
		return -1;
	}
	registration->events = events;
	return 0;
}

void
loop_remove_fd(struct loop *loop, int fd)
{
	struct loop_fd_registration *registration = loop_fd_lookup(loop, fd);

	if (registration == NULL)
		return;
	/* The fd may already be closed (then epoll dropped it itself). */
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL) == -1 &&
	    errno != EBADF && errno != ENOENT)
		log_warn("loop: epoll_ctl delete fd %d", fd);
	memset(registration, 0, sizeof(*registration));
}

/* Timers. */

void
loop_timer_init(struct loop_timer *timer, loop_timer_callback callback,
    void *arg)
{
	timer->deadline_ns = 0;
	timer->sequence = 0;
	timer->heap_index = LOOP_TIMER_UNARMED;
	timer->callback = callback;
	timer->arg = arg;
}

void
loop_timer_arm(struct loop *loop, struct loop_timer *timer,
    uint64_t deadline_ns)
{
	if (timer->heap_index != LOOP_TIMER_UNARMED) {
		/* A new sequence number is always later: only an earlier
		 * deadline moves the timer up. */
		bool earlier = deadline_ns < timer->deadline_ns;

		timer->deadline_ns = deadline_ns;
		timer->sequence = loop->next_sequence++;
		if (earlier)
			loop_heap_sift_up(loop, timer->heap_index);
		else
			loop_heap_sift_down(loop, timer->heap_index);
		return;
	}
	if (loop->heap_count == loop->heap_capacity) {
		loop->heap_capacity = loop->heap_capacity ?
		    loop->heap_capacity * 2 : 64;
		loop->heap = xrealloc(loop->heap,
		    loop->heap_capacity * sizeof(*loop->heap));
	}
	timer->deadline_ns = deadline_ns;
	timer->sequence = loop->next_sequence++;
	loop_heap_place(loop, timer, loop->heap_count++);
	loop_heap_sift_up(loop, timer->heap_index);
}

void
loop_timer_arm_in(struct loop *loop, struct loop_timer *timer,
    uint64_t delay_ns)
{
	/* Relative to the clock's time now, not the round's cached time: a
	 * callback that ran long must not shorten the delay it asks for. */
	loop_timer_arm(loop, timer, loop_clock_now_ns(loop) + delay_ns);
}

void
loop_timer_cancel(struct loop *loop, struct loop_timer *timer)
{
	if (timer->heap_index == LOOP_TIMER_UNARMED)
		return;
	loop_heap_remove(loop, timer);
}

bool
loop_timer_armed(const struct loop_timer *timer)
{
	return timer->heap_index != LOOP_TIMER_UNARMED;
}

static void
loop_timer_fd_set(struct loop *loop, uint64_t deadline_ns)
{
	struct itimerspec spec;

	memset(&spec, 0, sizeof(spec));
	spec.it_value.tv_sec = (time_t)(deadline_ns / NSEC_PER_SEC);
	spec.it_value.tv_nsec = (long)(deadline_ns % NSEC_PER_SEC);
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &spec,
	    NULL) == -1)
		fatal("loop: timerfd_settime");
	loop->timer_fd_deadline = deadline_ns;
}

/* Make timer_fd fire for the earliest deadline (never for a virtual one).
 * Returns the epoll timeout to use instead when a deadline has already passed
 * (0), else -1. */
static int
loop_timer_fd_sync(struct loop *loop)
{
	uint64_t deadline;

	if (loop->heap_count == 0 || loop->clock != NULL) {
		if (loop->timer_fd_deadline != 0)
			loop_timer_fd_set(loop, 0);
		if (loop->heap_count == 0)
			return -1;
	}
	deadline = loop->heap[0]->deadline_ns;
	if (deadline <= loop_clock_now_ns(loop))
		return 0;
	if (loop->clock == NULL && deadline != loop->timer_fd_deadline)
		loop_timer_fd_set(loop, deadline);
	return -1;
}

static void
loop_timer_fd_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t expirations;

	(void)events;
	(void)arg;
	if (read(fd, &expirations, sizeof(expirations)) == -1 &&
	    errno != EAGAIN)
		log_warn("loop: read timerfd");
	/* Expired timers run at the end of the round. */
	loop->timer_fd_deadline = 0;
}

static void
loop_run_timers(struct loop *loop)
{
	/* A timer armed from here on (one re-armed for "now" too) has a
	 * sequence number of at least this, and waits for the next round: the
	 * pass ends when one of them comes first, so it always ends. */
	uint64_t armed_before = loop->next_sequence;

	while (loop->heap_count > 0 &&
	    loop->heap[0]->deadline_ns <= loop->now_ns &&
	    loop->heap[0]->sequence < armed_before) {
		struct loop_timer *timer = loop->heap[0];
		loop_heap_remove(loop, timer);
		timer->callback(loop, timer->arg);
	}
}

/* Signals and children. */

int
loop_watch_signals(struct loop *loop, const int *signals, size_t count,
    loop_signal_callback callback, void *arg)
{
	sigset_t added;

	sigemptyset(&added);
	for (size_t i = 0; i < count; i++) {
		size_t j;
		if (signals[i] == SIGCHLD) {
			log_warnx("loop: SIGCHLD is handled by the loop itself");
			errno = EINVAL;
			return -1;
		}
		sigaddset(&added, signals[i]);
		for (j = 0; j < loop->watch_count; j++)
			if (loop->watches[j].signo == signals[i])
				break;
		if (j == loop->watch_count) {
			loop->watches = xrealloc(loop->watches,
			    (loop->watch_count + 1) * sizeof(*loop->watches));
			loop->watch_count++;
		}
		loop->watches[j].signo = signals[i];
		loop->watches[j].callback = callback;
		loop->watches[j].arg = arg;
		sigaddset(&loop->signals, signals[i]);
	}
	if (sigprocmask(SIG_BLOCK, &added, NULL) == -1) {
		log_warn("loop: sigprocmask");
		return -1;
	}
	if (signalfd(loop->signal_fd, &loop->signals, 0) == -1) {
		log_warn("loop: signalfd");
		return -1;
	}
	return 0;
}

static size_t
loop_child_position(const struct loop *loop, pid_t pid)
{
	size_t low = 0, high = loop->child_count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (loop->children[middle].pid < pid)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

int
loop_watch_child(struct loop *loop, pid_t pid, loop_child_callback callback,
    void *arg)
{
	size_t position = loop_child_position(loop, pid);
	struct loop_child *child;

	if (position < loop->child_count &&
	    loop->children[position].pid == pid) {
		child = &loop->children[position];
	} else {
		if (loop->child_count == loop->child_capacity) {
			loop->child_capacity = loop->child_capacity ?
			    loop->child_capacity * 2 : 16;
			loop->children = xrealloc(loop->children,
			    loop->child_capacity * sizeof(*loop->children));
		}
		memmove(&loop->children[position + 1],
		    &loop->children[position],
		    (loop->child_count - position) * sizeof(*loop->children));
		loop->child_count++;
		child = &loop->children[position];
	}
	child->pid = pid;
	child->callback = callback;
	child->arg = arg;
	return 0;
}

void
loop_forget_child(struct loop *loop, pid_t pid)
{
	size_t position = loop_child_position(loop, pid);

	if (position >= loop->child_count ||
	    loop->children[position].pid != pid)
		return;
	memmove(&loop->children[position], &loop->children[position + 1],
	    (loop->child_count - position - 1) * sizeof(*loop->children));
	loop->child_count--;
}

bool
loop_child_watched(const struct loop *loop, pid_t pid)
{
	size_t position = loop_child_position(loop, pid);

	return position < loop->child_count &&
	    loop->children[position].pid == pid;
}

static void
loop_reap_children(struct loop *loop)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		size_t position = loop_child_position(loop, pid);
		struct loop_child child;

		if (position >= loop->child_count ||
		    loop->children[position].pid != pid) {
			log_debug("loop: reaped unwatched child %d", (int)pid);
			continue;
		}
		child = loop->children[position];
		loop_forget_child(loop, pid);
		child.callback(loop, pid, status, child.arg);
	}
}

static void
loop_signal_fd_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo info;
	bool child_exited = false;
	ssize_t n;

	(void)events;
	(void)arg;
	/* Bounded: signals of one kind coalesce, so this drains quickly. */
	for (int i = 0; i < 64; i++) {
		n = read(fd, &info, sizeof(info));
		if (n != (ssize_t)sizeof(info)) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("loop: read signalfd");
			break;
		}
		if ((int)info.ssi_signo == SIGCHLD) {
			child_exited = true;
			continue;
		}
		for (size_t j = 0; j < loop->watch_count; j++) {
			if (loop->watches[j].signo == (int)info.ssi_signo) {
				loop->watches[j].callback(loop,
				    (int)info.ssi_signo, loop->watches[j].arg);
				break;
			}
		}
	}
	if (child_exited)
		loop_reap_children(loop);
}

/* Dispatch. */

int
loop_run_once(struct loop *loop, int timeout_ms)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int count, due;

	due = loop_timer_fd_sync(loop);
	if (due == 0)
		timeout_ms = 0;
	count = epoll_wait(loop->epoll_fd, events, LOOP_MAX_EVENTS, timeout_ms);
	if (count == -1) {
		if (errno == EINTR)
			count = 0;
		else {
			log_warn("loop: epoll_wait");
			return -1;
		}
	}
	loop->now_ns = loop_clock_now_ns(loop);
	for (int i = 0; i < count; i++) {
		int fd = (int)(uint32_t)events[i].data.u64;
		uint32_t generation = (uint32_t)(events[i].data.u64 >> 32);
		struct loop_fd_registration *registration;

		/* Removed (or replaced) by an earlier callback this round? */
		registration = loop_fd_lookup(loop, fd);
		if (registration == NULL ||
		    registration->generation != generation)
			continue;
		registration->callback(loop, fd, events[i].events,
		    registration->arg);
	}
	loop_run_timers(loop);
	return 0;
}

int
loop_run(struct loop *loop)
{
	loop->stopping = false;
	while (!loop->stopping)
		if (loop_run_once(loop, -1) == -1)
			return -1;
	return 0;
}

void
loop_stop(struct loop *loop)
{
	loop->stopping = true;
}

uint64_t
loop_now_ns(const struct loop *loop)
{
	return loop->now_ns;
}

void
loop_set_clock(struct loop *loop, loop_clock_fn now, void *arg)
{
	loop->clock = now;
	loop->clock_arg = now != NULL ? arg : NULL;
	/* loop_now_ns answers on the new clock before the next round. */
	loop->now_ns = loop_clock_now_ns(loop);
}

uint64_t
loop_next_deadline_ns(const struct loop *loop)
{
	return loop->heap_count > 0 ? loop->heap[0]->deadline_ns : 0;
}
