/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: hooks: a command run on every state change
 *
 * hooks.on_change (an argv, or a string for /bin/sh -c with "shell": true)
 * runs whenever a service changes state, the way keepalived's notify
 * scripts do, with what changed in its environment: ANYCHECK_SERVICE,
 * ANYCHECK_OLD_STATE, ANYCHECK_NEW_STATE, ANYCHECK_REASON,
 * ANYCHECK_PREFIXES (space-separated), ANYCHECK_ANNOUNCED (1 or 0),
 * ANYCHECK_PROGRAM and ANYCHECK_TIMESTAMP (Unix seconds).
 *
 * It never blocks the loop: a hook is spawned like an exec check, in its
 * own process group, stdin from /dev/null and its output to anycheck's
 * stderr (never stdout, ExaBGP's); the loop reaps it. After hooks.timeout
 * its group gets SIGTERM, then SIGKILL a second later. At most
 * HOOKS_RUNNING_MAX run at once; further changes wait in a queue of
 * HOOKS_QUEUE_MAX, in order, and beyond that they are dropped and counted
 * (logged once a minute). A hook that fails (exit status, signal, timeout,
 * cannot start) is logged as a warning; one that succeeds at debug level.
 */
#ifndef ANYCHECK_HOOKS_H
#define ANYCHECK_HOOKS_H

#include <stdbool.h>

struct daemon;
struct hooks;

#define HOOKS_RUNNING_MAX 4
#define HOOKS_QUEUE_MAX 64

/* What happened to hooks so far (tests, the dump). */
struct hooks_counts {
	unsigned long started;
	unsigned long succeeded;
	unsigned long failed;           /* exit status or signal */
	unsigned long timed_out;
	unsigned long dropped;          /* the queue was full */
};

/* Run hooks for daemon (its supervisor exists; hooks.* are read from the
 * current config at every change, so a reload applies them). */
struct hooks *hooks_new(struct daemon *daemon);
/* Hooks running or queued. */
bool hooks_busy(const struct hooks *hooks);
void hooks_get_counts(const struct hooks *hooks, struct hooks_counts *out);
/* Kill (SIGKILL) and reap every hook still running; drop the queue. */
void hooks_free(struct hooks *hooks);

#endif
