/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what anycheck-exabgp announced, kept across crashes
 *
 * ExaBGP keeps the routes of a process that died. If the config was edited
 * to remove a service and anycheck-exabgp then died before a reload, a
 * fresh process would know nothing of that service and its routes would
 * stay announced for good. So the backend keeps, in a small file under the
 * state directory, every route it may have announced (by its withdraw
 * line), written atomically before any new route is announced; at start it
 * withdraws those the current config does not own, and leaves the others
 * alone (no blip).
 */
#ifndef ANYCHECK_EXABGP_STATE_H
#define ANYCHECK_EXABGP_STATE_H

#include <stddef.h>

/* The withdraw lines in the state file at path (an array of *count owned
 * strings, free with exabgp_state_free), or NULL with *count 0 when there
 * is no file yet or it cannot be read (logged, except a missing file). */
char **exabgp_state_load(const char *path, size_t *count);
void exabgp_state_free(char **keys, size_t count);

/* Replace the state file at path with keys, atomically (file_write.h:
 * a temporary file in the same directory, fsync, rename). 0, or -1
 * (logged) with errno set. */
int exabgp_state_save(const char *path, const char *const *keys,
    size_t count);

#endif
