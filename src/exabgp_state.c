/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what anycheck-exabgp announced, kept across crashes (implementation)
 *
 * The file is JSON: {"version": 1, "routes": ["withdraw route ...", ...]}.
 * A file that does not parse is reported and ignored: the worst case is the
 * behaviour without a state file, never a wrong withdraw of a route the
 * config owns.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exabgp_state.h"
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
	char *copy = xstrdup(path), *temporary = NULL, *text = NULL;
	const char *directory = dirname(copy);
	int fd = -1, directory_fd = -1, saved_errno = 0;
	size_t length, done = 0;

	for (size_t i = 0; i < count; i++)
		json_array_append_new(routes, json_string(keys[i]));
	json_object_set_new(root, "version",
	    json_integer(EXABGP_STATE_VERSION));
	json_object_set_new(root, "routes", routes);
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (text == NULL)
		fatalx("out of memory");
	length = strlen(text);
	if (asprintf(&temporary, "%s/.anycheck-state.XXXXXX", directory) < 0)
		fatalx("out of memory");
	fd = mkostemp(temporary, O_CLOEXEC);
	if (fd == -1)
		goto fail;
	while (done < length) {
		ssize_t n = write(fd, text + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fchmod(fd, 0640) != 0 || fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(temporary, path) != 0)
		goto fail;
	directory_fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (directory_fd != -1) {
		fsync(directory_fd);
		close(directory_fd);
	}
	free(temporary);
	free(text);
	free(copy);
	return 0;
fail:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	if (temporary != NULL)
		unlink(temporary);     /* nothing there if mkostemp failed */
	free(temporary);
	free(text);
	free(copy);
	errno = saved_errno;
	return -1;
}
