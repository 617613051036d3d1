/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: file check
 *
 * Passes while a path exists (or, with "absent": true, while it does not):
 * the classic "drain me" flag file, or a file a local agent keeps while the
 * service is ready. A stat() of a local path does not block in practice, so
 * the run completes at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_api.h"
#include "config_json.h"
#include "log.h"

struct check_file_config {
	char *path;
	bool absent;
};

static int
check_file_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "path", "absent", NULL };
	struct check_file_config *file;
	const char *path = NULL;
	bool absent = false;
	int problems = 0;

	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	if (config_get_string(parser, object, "path", true, &path) == 1 &&
	    path[0] != '/') {
		config_error(parser, "path", "must be an absolute path");
		problems++;
	} else if (path == NULL)
		problems++;
	if (config_get_bool(parser, object, "absent", false, &absent) == -1)
		problems++;
	if (problems > 0)
		return -1;
	file = xcalloc(1, sizeof(*file));
	file->path = xstrdup(path);
	file->absent = absent;
	config->data = file;
	config->description = xasprintf("file %s%s", path,
	    absent ? " absent" : "");
	return 0;
}

static void
check_file_start(struct check *check)
{
	const struct check_file_config *file = check->config->data;
	struct stat st;

	if (stat(file->path, &st) == 0) {
		if (file->absent)
			check_done(check, CHECK_RESULT_FAIL, "%s exists",
			    file->path);
		else
			check_done(check, CHECK_RESULT_PASS, "%s exists",
			    file->path);
	} else if (errno == ENOENT || errno == ENOTDIR) {
		if (file->absent)
			check_done(check, CHECK_RESULT_PASS,
			    "%s does not exist", file->path);
		else
			check_done(check, CHECK_RESULT_FAIL,
			    "%s does not exist", file->path);
	} else if (check_errno_is_local(errno)) {
		check_done_local(check, check_local_cause_from_errno(errno),
		    "cannot stat %s: %s", file->path, strerror(errno));
	} else {
		check_done(check, CHECK_RESULT_ERROR, "cannot stat %s: %s",
		    file->path, strerror(errno));
	}
}

static void
check_file_cancel(struct check *check)
{
	(void)check;    /* never running: a run completes in start */
}

static void
check_file_free_config(void *data)
{
	struct check_file_config *file = data;

	if (file == NULL)
		return;
	free(file->path);
	free(file);
}

const struct check_ops check_file_ops = {
	.type = "file",
	.parse = check_file_parse,
	.start = check_file_start,
	.cancel = check_file_cancel,
	.free_config = check_file_free_config,
	.fds_per_run = 0,
};
