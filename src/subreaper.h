/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: child subreaper
 *
 * A check command that puts a process into a new session or process group
 * (`setsid -f`, a double fork with setsid, job control) escapes the group
 * kill that ends every exec run; without help the process lives on under
 * init, one more per run. As a child subreaper (PR_SET_CHILD_SUBREAPER)
 * anycheck adopts every orphaned descendant instead: the loop's SIGCHLD
 * reaper (waitpid(-1)) reaps them when they exit, and check_exec.c finds
 * the ones still running among this process's children and kills them
 * once no run that could have spawned them is still going.
 *
 * What remains out of reach: a descendant that another subreaper between
 * us and it adopts (a check command that is itself a subreaper, e.g. a
 * service manager), one that enters a new PID namespace whose init is not
 * us, or one handed to another process (`systemd-run`, `at`, a request to
 * a daemon): none of those are our children, so we never see them.
 */
#ifndef ANYCHECK_SUBREAPER_H
#define ANYCHECK_SUBREAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Make this process a child subreaper: orphaned descendants are re-parented
 * to it rather than to init. Call once at start, before the first check
 * runs (the daemon core; unit tests that run commands). Returns 0, or -1
 * (logged) when the kernel refuses. */
int subreaper_enable(void);
bool subreaper_enabled(void);

/* The pids of this process's children, running or not yet reaped, into
 * pids (at most max; returns how many there are, which may exceed max).
 * Reads /proc/self/task/TID/children (cost: our children, not the
 * system's processes), or scans /proc when the kernel lacks that file.
 * Returns 0 when none are found or /proc cannot be read. */
size_t subreaper_children(pid_t *pids, size_t max);

/* The process group of pid from /proc, or -1 when it is gone. */
pid_t subreaper_process_group(pid_t pid);

#endif
