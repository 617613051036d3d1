/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what anycheck-exabgp announced, kept across crashes (implementation)
 *
 * The file is JSON: {"version": 1, "routes": ["withdraw route ...", ...]}.
 * A file that does not parse is reported and ignored: the worst case is the
 * behaviour without a state file, never a wrong withdraw of a route the
 * config owns.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exabgp_state.h"
#include "file_write.h"
#include "log.h"

#define EXABGP_STATE_VERSION 1

char **
exabgp_state_load(const char *path, size_t *count)
{
	json_error_t error;
	json_t *root, *routes, *route;
	char **keys = NULL;
	size_t index;

	*count = 0;
	root = json_load_file(path, 0, &error);
	if (root == NULL) {
		if (access(path, F_OK) == 0)
			log_warnx("state file %s cannot be read (%s, line %d); "
			    "ignoring it", path, error.text, error.line);
		return NULL;
	}
	routes = json_object_get(root, "routes");
	if (json_integer_value(json_object_get(root, "version")) !=
	    EXABGP_STATE_VERSION || !json_is_array(routes)) {
		log_warnx("state file %s is not a version %d route list; "
		    "ignoring it", path, EXABGP_STATE_VERSION);
		json_decref(root);
		return NULL;
	}
	keys = xcalloc(json_array_size(routes) + 1, sizeof(*keys));
	json_array_foreach(routes, index, route)
		if (json_is_string(route) && json_string_length(route) > 0 &&
		    strchr(json_string_value(route), '\n') == NULL)
			keys[(*count)++] = xstrdup(json_string_value(route));
	json_decref(root);
	return keys;
}

void
exabgp_state_free(char **keys, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(keys[i]);
	free(keys);
}

int
exabgp_state_save(const char *path, const char *const *keys, size_t count)
{
	json_t *root = json_object(), *routes = json_array();
	char *text;
	int rc;

	for (size_t i = 0; i < count; i++)
		json_array_append_new(routes, json_string(keys[i]));
	json_object_set_new(root, "version",
	    json_integer(EXABGP_STATE_VERSION));
	json_object_set_new(root, "routes", routes);
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (text == NULL)
		fatalx("out of memory");
	rc = file_write_atomic(path, text, strlen(text), 0640);
	free(text);
	return rc;
}
