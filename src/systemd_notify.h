/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: systemd notifications (sd_notify protocol)
 *
 * Under systemd (Type=notify, WatchdogSec=) the daemon tells the service
 * manager, over the datagram socket in $NOTIFY_SOCKET (a path, or '@' for
 * the abstract namespace):
 *   READY=1      once every service's first decision reached the routing
 *                daemon: every service has left INIT and the backend has
 *                nothing undelivered;
 *   STATUS=...   a one-line summary after changes ("12 up, 1 down,
 *                1 maintenance");
 *   RELOADING=1 with MONOTONIC_USEC=..., then READY=1, around a reload;
 *   STOPPING=1   when the exit begins;
 *   WATCHDOG=1   every WATCHDOG_USEC/2 from a loop timer, only while the
 *                daemon is healthy: the loop turns (a hung loop runs no
 *                timer), and the backend is not stalled (commands waiting
 *                while connected, with no answer for a whole watchdog
 *                interval), so WatchdogSec= restarts a hung daemon.
 * The protocol is a few lines (sd_notify(3)); linking libsystemd for it
 * would add a dependency to a daemon that also runs without systemd, as
 * ExaBGP's child. Without NOTIFY_SOCKET nothing is sent.
 */
#ifndef ANYCHECK_SYSTEMD_NOTIFY_H
#define ANYCHECK_SYSTEMD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct systemd_notifier;

/* Send message (e.g. "READY=1\nSTATUS=...") to $NOTIFY_SOCKET. Returns 1
 * sent, 0 no socket configured, -1 on error (errno set). */
int systemd_notify_send(const char *message);

/* The summary for STATUS=: counts of services by what an operator cares
 * about ("3 up, 1 down, 1 maintenance, 2 starting"). */
void systemd_notify_summary(const struct daemon *daemon, char *out,
    size_t size);

/* Notify for daemon (its supervisor exists). NULL when NOTIFY_SOCKET is
 * not set (nothing to do). */
struct systemd_notifier *systemd_notifier_new(struct daemon *daemon);
/* Has READY=1 been sent? */
bool systemd_notifier_ready(const struct systemd_notifier *notifier);
void systemd_notifier_free(struct systemd_notifier *notifier);

#endif
