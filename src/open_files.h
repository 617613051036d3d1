/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: open files
 *
 * Every check in flight holds file descriptors (an exec check ~3, a TCP
 * check 1, an HTTP check 1-2), and all the checks of all services may be in
 * flight at once. The usual soft limit of 1024 (or a unit's `ulimit -n 64`)
 * is far below what a few hundred services need, while the hard limit is
 * usually generous: anycheck raises its soft limit to the hard one at start
 * and says loudly when the configured checks can still exceed it. A check
 * that finds no descriptor then reports a local error, which never moves a
 * service's state (check_api.h), but the operator should hear about it
 * before that happens.
 */
#ifndef ANYCHECK_OPEN_FILES_H
#define ANYCHECK_OPEN_FILES_H

#include <stddef.h>

struct config;

/* Descriptors anycheck holds besides its checks: stdio, epoll, timerfd,
 * signalfd, BIRD's socket, syslog, libcurl's wake-up pair, sock_diag
 * netlink, the include file being written, with room to spare. */
#define OPEN_FILES_BASE 32

/* Raise the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the
 * hard limit is unlimited) and log the change. Call once at start, before
 * the first check runs. Returns the soft limit now in force, or 0 when it
 * cannot be read (logged). */
unsigned long open_files_raise_limit(void);

/* The most file descriptors config's checks can hold at once (every check
 * of every service in flight), plus OPEN_FILES_BASE. */
size_t open_files_needed(const struct config *config);

/* Warn loudly when the soft open-file limit is below what config can need
 * (open_files_needed), naming the numbers per check type and the
 * fix. Call at start (after open_files_raise_limit) and after every
 * successful reload. Returns 0 when the limit suffices, -1 when it does
 * not (or cannot be read). */
int open_files_check_limit(const struct config *config);

#endif
