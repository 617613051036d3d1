/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: configuration of the operations features: metrics and hooks
 *
 * The top-level "metrics" block (an HTTP listener for Prometheus, a
 * textfile for node_exporter's textfile collector) and "hooks" block (a
 * command run on every state change), read the same way as the rest of
 * the loader (every error at once, with its location; every value recorded
 * into the canonical globals so that a reload sees its changes).
 */
#include <stdlib.h>
#include <string.h>

#include "config_build.h"
#include "log.h"
#include "metrics_http.h"

#define CONFIG_METRICS_TEXTFILE_INTERVAL_DEFAULT 15.0
#define CONFIG_HOOK_TIMEOUT_DEFAULT 10.0

static const char *const config_metrics_keys[] = { "listen", "textfile",
	"textfile_interval", NULL };
static const char *const config_hooks_keys[] = { "on_change", "shell",
	"timeout", NULL };

static void
config_parse_metrics(struct config_parser *parser, json_t *root,
    struct config *config)
{
	json_t *object = config_get_object(parser, root, "metrics");
	struct config_scope scope = config_scope_enter(parser, "metrics");
	struct sockaddr_storage address;
	socklen_t length;
	const char *text;
	size_t size;

	config->metrics_textfile_interval =
	    CONFIG_METRICS_TEXTFILE_INTERVAL_DEFAULT;
	if (object != NULL) {
		config_reject_unknown_keys(parser, object,
		    config_metrics_keys);
		if (config_get_string(parser, object, "listen", false,
		    &text) == 1) {
			if (metrics_listen_parse(text, &address,
			    &length) != 0)
				config_error(parser, "listen", "must be an "
				    "IPv4 address and port (\"127.0.0.1:9642\")"
				    " or an IPv6 one in brackets "
				    "(\"[::1]:9642\")");
			else
				config->metrics_listen = xstrdup(text);
		}
		if (config_get_string(parser, object, "textfile", false,
		    &text) == 1) {
			size = strlen(text);
			/* node_exporter reads only *.prom files. */
			if (text[0] != '/' || size < 6 ||
			    strcmp(text + size - 5, ".prom") != 0)
				config_error(parser, "textfile", "must be an "
				    "absolute path ending in \".prom\" (what "
				    "node_exporter's textfile collector reads)");
			else
				config->metrics_textfile = xstrdup(text);
		}
		config_get_seconds(parser, object, "textfile_interval", false,
		    1, 3600, &config->metrics_textfile_interval);
	}
	/* Resolved: the default written out is no change. */
	config_canonical_set(parser, "textfile_interval",
	    json_real(config->metrics_textfile_interval));
	config_scope_leave(parser, scope);
}

static void
config_parse_hooks(struct config_parser *parser, json_t *root,
    struct config *config)
{
	json_t *object = config_get_object(parser, root, "hooks");
	struct config_scope scope = config_scope_enter(parser, "hooks");
	const char *command;
	bool shell = false;
	char **argv = NULL;
	size_t count = 0;

	config->hook_timeout = CONFIG_HOOK_TIMEOUT_DEFAULT;
	if (object != NULL) {
		config_reject_unknown_keys(parser, object, config_hooks_keys);
		config_get_bool(parser, object, "shell", false, &shell);
		config_get_seconds(parser, object, "timeout", false, 0.1,
		    3600, &config->hook_timeout);
		if (shell) {
			if (config_get_string(parser, object, "on_change",
			    false, &command) == 1) {
				if (command[0] == '\0')
					config_error(parser, "on_change",
					    "must not be empty");
				else {
					argv = xcalloc(4, sizeof(*argv));
					argv[0] = xstrdup("/bin/sh");
					argv[1] = xstrdup("-c");
					argv[2] = xstrdup(command);
				}
			}
		} else if (json_is_string(json_object_get(object,
		    "on_change")))
			config_error(parser, "on_change", "must be an array of "
			    "strings (argv), or set \"shell\": true to run a "
			    "string with /bin/sh -c");
		else if (config_get_string_array(parser, object, "on_change",
		    false, &argv, &count) == 1 && (count == 0 ||
		    argv[0][0] == '\0')) {
			config_error(parser, "on_change", "must name a program "
			    "to run");
			config_free_strings(argv);
			argv = NULL;
		}
	}
	config->hook_on_change = argv;
	config_canonical_set(parser, "timeout",
	    json_real(config->hook_timeout));
	config_scope_leave(parser, scope);
}

void
config_parse_ops(struct config_parser *parser, json_t *root,
    struct config *config)
{
	config_parse_metrics(parser, root, config);
	config_parse_hooks(parser, root, config);
}

void
config_ops_free(struct config *config)
{
	free(config->metrics_listen);
	free(config->metrics_textfile);
	config_free_strings(config->hook_on_change);
}
