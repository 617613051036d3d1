/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what operators asked for, kept across restarts
 *
 * Maintenance requested with "anycheckctl maintenance" and traffic shifts
 * from "anycheckctl shift" must survive a restart of the daemon (a
 * service put into maintenance for a kernel upgrade must not come back
 * announced when the checker restarts). They are kept in a small JSON
 * file under state_directory, replaced atomically (file_write.h) after
 * every request:
 *
 *   {"version": 1, "services": {
 *     "web": {"maintenance": {"reason": "kernel upgrade"},
 *             "shift": {"med": 500, "prepend": 2, "until": 1767225600}}}}
 *
 * "until" is a wall-clock deadline (seconds since the epoch): a restart
 * cannot carry a monotonic one. A file that does not parse is reported and
 * ignored (the services then start without operator requests). The file's
 * name carries the program and a hash of the config file's absolute path,
 * as the ExaBGP state file does, so two instances never share one.
 */
#ifndef ANYCHECK_CONTROL_STATE_H
#define ANYCHECK_CONTROL_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor.h"

/* One service's requests. */
struct control_state_entry {
	char *service;
	bool maintenance;
	char *reason;                   /* owned; "" when none given */
	bool shifted;
	struct supervisor_shift shift;  /* communities owned */
	double until;                   /* wall clock, seconds; 0: none */
};

struct control_state {
	struct control_state_entry *entries;
	size_t count;
	size_t capacity;
};

/* "DIRECTORY/PROGRAM.HASH.control" (owned). */
char *control_state_path(const char *directory, const char *program,
    const char *config_path);

/* Read path into state (emptied first). A missing file is an empty
 * state; one that cannot be read or parsed is logged and also empty.
 * Entries that make no sense (no name, a bad shift) are logged and
 * skipped. Returns 0, or -1 when the file exists but was unusable. */
int control_state_load(const char *path, struct control_state *state);
/* Replace path with state, atomically. 0, or -1 (logged). */
int control_state_save(const char *path, const struct control_state *state);

/* The entry for service, created empty when create is true; NULL when
 * there is none. Pointers are valid until the state changes size. */
struct control_state_entry *control_state_find(struct control_state *state,
    const char *service, bool create);
/* Set (copying) or clear an entry's maintenance or shift; an entry left
 * with neither is removed. */
void control_state_set_maintenance(struct control_state *state,
    const char *service, bool on, const char *reason);
void control_state_set_shift(struct control_state *state, const char *service,
    const struct supervisor_shift *shift, double until);
void control_state_remove(struct control_state *state, const char *service);
void control_state_clear(struct control_state *state);

#endif
