/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what operators asked for, kept across restarts (implementation)
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_protocol.h"
#include "control_state.h"
#include "file_write.h"
#include "log.h"

#define CONTROL_STATE_VERSION 1

char *
control_state_path(const char *directory, const char *program,
    const char *config_path)
{
	char *absolute = realpath(config_path, NULL);
	uint32_t hash = 2166136261u;    /* FNV-1a, as the ExaBGP state file */
	char *path;

	for (const char *p = absolute != NULL ? absolute : config_path; *p;
	    p++)
		hash = (hash ^ (unsigned char)*p) * 16777619u;
	free(absolute);
	path = xasprintf("%s/%s.%08x.control", directory, program, hash);
	return path;
}

static void
control_state_entry_free(struct control_state_entry *entry)
{
	free(entry->service);
	free(entry->reason);
	free(entry->shift.communities);
	memset(entry, 0, sizeof(*entry));
}

void
control_state_clear(struct control_state *state)
{
	for (size_t i = 0; i < state->count; i++)
		control_state_entry_free(&state->entries[i]);
	free(state->entries);
	memset(state, 0, sizeof(*state));
}

struct control_state_entry *
control_state_find(struct control_state *state, const char *service,
    bool create)
{
	struct control_state_entry *entry;

	for (size_t i = 0; i < state->count; i++)
		if (strcmp(state->entries[i].service, service) == 0)
			return &state->entries[i];
	if (!create)
		return NULL;
	if (state->count == state->capacity) {
		state->capacity = state->capacity == 0 ? 8 :
		    state->capacity * 2;
		state->entries = xrealloc(state->entries, state->capacity *
		    sizeof(*state->entries));
	}
	entry = &state->entries[state->count++];
	memset(entry, 0, sizeof(*entry));
	entry->service = xstrdup(service);
	return entry;
}

void
control_state_remove(struct control_state *state, const char *service)
{
	struct control_state_entry *entry = control_state_find(state, service,
	    false);
	size_t index;

	if (entry == NULL)
		return;
	index = (size_t)(entry - state->entries);
	control_state_entry_free(entry);
	state->entries[index] = state->entries[--state->count];
}

static void
control_state_prune(struct control_state *state, const char *service)
{
	struct control_state_entry *entry = control_state_find(state, service,
	    false);

	if (entry != NULL && !entry->maintenance && !entry->shifted)
		control_state_remove(state, service);
}

void
control_state_set_maintenance(struct control_state *state,
    const char *service, bool on, const char *reason)
{
	struct control_state_entry *entry = control_state_find(state, service,
	    on);

	if (entry == NULL)
		return;
	free(entry->reason);
	entry->reason = on ? xstrdup(reason != NULL ? reason : "") : NULL;
	entry->maintenance = on;
	control_state_prune(state, service);
}

void
control_state_set_shift(struct control_state *state, const char *service,
    const struct supervisor_shift *shift, double until)
{
	struct control_state_entry *entry = control_state_find(state, service,
	    shift != NULL);

	if (entry == NULL)
		return;
	free(entry->shift.communities);
	memset(&entry->shift, 0, sizeof(entry->shift));
	entry->shifted = shift != NULL;
	entry->until = shift != NULL ? until : 0;
	if (shift != NULL) {
		entry->shift = *shift;
		entry->shift.communities = xcalloc(shift->community_count + 1,
		    sizeof(*shift->communities));
		if (shift->community_count > 0)
			memcpy(entry->shift.communities, shift->communities,
			    shift->community_count *
			    sizeof(*shift->communities));
	}
	control_state_prune(state, service);
}

/* One service's object; false (logged) when it is unusable. */
static bool
control_state_load_entry(const char *path, const char *name, json_t *object,
    struct control_state *state)
{
	json_t *maintenance = json_object_get(object, "maintenance");
	json_t *shift = json_object_get(object, "shift");
	struct supervisor_shift parsed;
	char why[256];
	json_t *until;

	if (!json_is_object(object) || (maintenance != NULL &&
	    !json_is_object(maintenance)) || (shift != NULL &&
	    !json_is_object(shift))) {
		log_warnx("state file %s: service %s: not an object of "
		    "\"maintenance\" and \"shift\"; ignoring it", path, name);
		return false;
	}
	if (shift != NULL) {
		until = json_object_get(shift, "until");
		if (until != NULL && !json_is_number(until)) {
			log_warnx("state file %s: service %s: shift.until must "
			    "be a number; ignoring the shift", path, name);
		} else if (control_shift_from_json(shift, &parsed, why,
		    sizeof(why)) != 0) {
			log_warnx("state file %s: service %s: %s; ignoring the "
			    "shift", path, name, why);
		} else {
			control_state_set_shift(state, name, &parsed,
			    until != NULL ? json_number_value(until) : 0);
			free(parsed.communities);
		}
	}
	if (maintenance != NULL) {
		json_t *reason = json_object_get(maintenance, "reason");
		control_state_set_maintenance(state, name, true,
		    json_is_string(reason) ? json_string_value(reason) : "");
	}
	return true;
}

int
control_state_load(const char *path, struct control_state *state)
{
	json_error_t error;
	json_t *root, *services, *object;
	const char *name;

	control_state_clear(state);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL) {
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return 0;
		log_warnx("state file %s cannot be read (%s, line %d); the "
		    "services start without operator requests", path,
		    error.text, error.line);
		return -1;
	}
	services = json_object_get(root, "services");
	if (json_integer_value(json_object_get(root, "version")) !=
	    CONTROL_STATE_VERSION || !json_is_object(services)) {
		log_warnx("state file %s is not a version %d control state; "
		    "the services start without operator requests", path,
		    CONTROL_STATE_VERSION);
		json_decref(root);
		return -1;
	}
	json_object_foreach(services, name, object)
		(void)control_state_load_entry(path, name, object, state);
	json_decref(root);
	return 0;
}

int
control_state_save(const char *path, const struct control_state *state)
{
	json_t *root = json_object(), *services = json_object();
	char *text;
	int rc;

	for (size_t i = 0; i < state->count; i++) {
		const struct control_state_entry *entry = &state->entries[i];
		json_t *object = json_object();
		if (entry->maintenance)
			json_object_set_new(object, "maintenance",
			    json_pack("{s:s}", "reason", entry->reason));
		if (entry->shifted) {
			json_t *shift = control_shift_to_json(&entry->shift);
			if (entry->until > 0)
				json_object_set_new(shift, "until",
				    json_real(entry->until));
			json_object_set_new(object, "shift", shift);
		}
		json_object_set_new(services, entry->service, object);
	}
	json_object_set_new(root, "version",
	    json_integer(CONTROL_STATE_VERSION));
	json_object_set_new(root, "services", services);
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		fatalx("out of memory");
	rc = file_write_atomic(path, text, strlen(text), 0640);
	free(text);
	return rc;
}
