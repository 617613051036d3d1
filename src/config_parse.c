/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: configuration loading
 *
 * Reads the JSON config with jansson and builds struct config in one pass,
 * reporting every problem it meets through config_error() rather than
 * stopping at the first: an operator fixing a file wants the whole list.
 * The result is all or nothing: a config with any error is freed and never
 * handed out, so a running daemon only ever swaps in a config that passed.
 * This file holds the top level, services, timing, checks and drain blocks;
 * attribute sets are in config_attributes.c, BIRD protocol names in
 * bird_names.c.
 *
 * Timing keys inherit built-in values, then "defaults", then the service's
 * own keys. fast_interval may not be set above interval at the same level;
 * an inherited fast_interval above a service's (shorter) interval is
 * lowered to that interval instead, so "defaults" can be shared by fast and
 * slow services alike.
 *
 * While reading, the getters record every value into a canonical form
 * (config_json.c). What services inherit (local_as, drain_on_exit,
 * on_exit, "defaults") is recorded into build->inherited, which each
 * service's canonical form starts from; everything else at the top level
 * (bird, control) into the globals, flattened into
 * config->canonical_globals. config_diff.c compares the two.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bird_names.h"
#include "check_api.h"
#include "config.h"
#include "config_build.h"
#include "config_json.h"
#include "log.h"

#define CONFIG_DEFAULT_BIRD_SOCKET "/run/bird/bird.ctl"
#define CONFIG_DEFAULT_BIRD_VERIFY_INTERVAL 30.0
#define CONFIG_DEFAULT_STATE_DIRECTORY "/var/lib/anycheck"
/* Service names end up inside BIRD protocol names and log lines. */
#define CONFIG_SERVICE_NAME_MAX 48
#define CONFIG_SECONDS_MIN 0.01
#define CONFIG_SECONDS_MAX 3600.0
#define CONFIG_RISE_FALL_MAX 100
#define CONFIG_HOLD_DOWN_MAX 3600.0
#define CONFIG_FLAP_WINDOW_MAX 86400.0
#define CONFIG_DRAIN_SECONDS_DEFAULT 30.0
/* Long enough for routers to act on 65535:0 before the withdraw. */
#define CONFIG_DRAIN_MIN_SECONDS_DEFAULT 3.0
#define CONFIG_DRAIN_SECONDS_MAX 86400.0
#define CONFIG_CONNECTIONS_MAX 100000000

static const struct timing_config config_builtin_timing = {
	.interval = 1.0,
	.fast_interval = 0.2,
	.timeout = 1.0,
	.rise = 3,
	.fall = 2,
	/* A single failure costs nothing extra (the first DOWN in a window
	 * needs no hold-down); the second within 5 minutes holds the service
	 * back 10 s, then 20, 40, ... up to 5 minutes. */
	.hold_down = 10.0,
	.flap_window = 300.0,
	.hold_down_max = 300.0,
};

static const char *const config_top_keys[] = {
	"local_as", "defaults", "bird", "control", "services", "drain_on_exit",
	"on_exit", "state_directory", "metrics", "hooks", NULL,
};
static const char *const config_defaults_keys[] = {
	"interval", "fast_interval", "timeout", "rise", "fall", "hold_down",
	"flap_window", "hold_down_max", "drain", NULL,
};
static const char *const config_drain_keys[] = {
	"seconds", "min_seconds", "med", "as_path_prepend", "communities",
	"connections", NULL,
};
static const char *const config_connections_keys[] = { "max", "ports",
	NULL };
static const char *const config_control_keys[] = { "socket", "group", NULL };
static const char *const config_bird_keys[] = { "socket", "verify_interval",
	"include_file", NULL };
static const char *const config_service_keys[] = {
	"name", "prefixes", "checks", "require", "interval", "fast_interval",
	"timeout", "rise", "fall", "hold_down", "flap_window", "hold_down_max",
	"maintenance_file", "announce", "down", "disabled", "last_resort",
	"drain", "drain_on_exit", "on_exit", "exabgp", "bird", NULL,
};
static const char *const config_exabgp_keys[] = { "neighbors", NULL };

void
config_errors_init(struct config_errors *errors)
{
	memset(errors, 0, sizeof(*errors));
}

/* Append a line, past the cap too (for the summary line). */
static void
config_errors_push(struct config_errors *errors, char *message)
{
	if (errors->count == errors->capacity) {
		errors->capacity = errors->capacity > 0 ?
		    errors->capacity * 2 : 16;
		errors->messages = xrealloc(errors->messages,
		    errors->capacity * sizeof(*errors->messages));
	}
	errors->messages[errors->count++] = message;
}

bool
config_errors_full(const struct config_errors *errors)
{
	return errors->count >= CONFIG_ERRORS_MAX;
}

void
config_errors_add(struct config_errors *errors, char *message)
{
	errors->total++;
	if (config_errors_full(errors)) {
		errors->omitted++;
		free(message);
		return;
	}
	config_errors_push(errors, message);
}

/* End of one load: say how many errors were only counted. */
static void
config_errors_finish(struct config_errors *errors, const char *file)
{
	if (errors->omitted == 0)
		return;
	config_errors_push(errors, xasprintf("%s: ... and %zu more error%s "
	    "(only the first %d are reported)", file, errors->omitted,
	    errors->omitted == 1 ? "" : "s", CONFIG_ERRORS_MAX));
	errors->omitted = 0;
}

void
config_errors_clear(struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		free(errors->messages[i]);
	free(errors->messages);
	for (size_t i = 0; i < errors->warning_count; i++)
		free(errors->warnings[i]);
	free(errors->warnings);
	config_errors_init(errors);
}

void
config_warnings_add(struct config_errors *errors, char *message)
{
	errors->warning_total++;
	if (errors->warning_count >= CONFIG_ERRORS_MAX) {
		free(message);
		return;
	}
	if (errors->warning_count == errors->warning_capacity) {
		errors->warning_capacity = errors->warning_capacity > 0 ?
		    errors->warning_capacity * 2 : 16;
		errors->warnings = xrealloc(errors->warnings,
		    errors->warning_capacity * sizeof(*errors->warnings));
	}
	errors->warnings[errors->warning_count++] = message;
}

void
config_warnings_log(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->warning_count; i++)
		log_warnx("%s", errors->warnings[i]);
	if (errors->warning_total > errors->warning_count)
		log_warnx("... and %zu more config warnings",
		    errors->warning_total - errors->warning_count);
}

void
config_errors_log(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		log_error("%s", errors->messages[i]);
}

/* Is value at key an object? Report it if present and not. */
json_t *
config_get_object(struct config_parser *parser, json_t *parent,
    const char *key)
{
	json_t *value = json_object_get(parent, key);

	if (value != NULL && !json_is_object(value)) {
		config_error(parser, key, "must be an object");
		return NULL;
	}
	return value;
}

/* hold_down, flap_window, hold_down_max over the inherited values. An
 * inherited hold_down_max below a hold_down set here is raised to it; one
 * set here below hold_down is an error. */
static void
config_parse_anti_flap(struct config_parser *parser, json_t *object,
    struct timing_config *timing)
{
	int hold_found, max_found;

	hold_found = config_get_seconds(parser, object, "hold_down", false, 0,
	    CONFIG_HOLD_DOWN_MAX, &timing->hold_down);
	config_get_seconds(parser, object, "flap_window", false, 0,
	    CONFIG_FLAP_WINDOW_MAX, &timing->flap_window);
	max_found = config_get_seconds(parser, object, "hold_down_max", false,
	    0, CONFIG_FLAP_WINDOW_MAX, &timing->hold_down_max);
	if (hold_found == -1 || max_found == -1 ||
	    timing->hold_down_max >= timing->hold_down)
		return;
	if (max_found == 1)
		config_error(parser, "hold_down_max",
		    "must be at least hold_down (%g)", timing->hold_down);
	else
		timing->hold_down_max = timing->hold_down;
}

/* The getters recorded the keys given here; the resolved values (built-in,
 * inherited, clamped) replace them, so that a value written out and the
 * same value inherited compare equal. Only precision: a value left out here
 * is still recorded by its getter whenever it is given. */
static void
config_record_timing(struct config_parser *parser,
    const struct timing_config *timing)
{
	config_canonical_set(parser, "interval", json_real(timing->interval));
	config_canonical_set(parser, "fast_interval",
	    json_real(timing->fast_interval));
	config_canonical_set(parser, "timeout", json_real(timing->timeout));
	config_canonical_set(parser, "rise", json_integer(timing->rise));
	config_canonical_set(parser, "fall", json_integer(timing->fall));
	config_canonical_set(parser, "hold_down", json_real(timing->hold_down));
	config_canonical_set(parser, "flap_window",
	    json_real(timing->flap_window));
	config_canonical_set(parser, "hold_down_max",
	    json_real(timing->hold_down_max));
}

/* Read the timing keys of object over the inherited values in timing. */
static void
config_parse_timing(struct config_parser *parser, json_t *object,
    struct timing_config *timing)
{
	int interval_found, fast_found;
	int64_t count;

	interval_found = config_get_seconds(parser, object, "interval", false,
	    CONFIG_SECONDS_MIN, CONFIG_SECONDS_MAX, &timing->interval);
	fast_found = config_get_seconds(parser, object, "fast_interval", false,
	    CONFIG_SECONDS_MIN, CONFIG_SECONDS_MAX, &timing->fast_interval);
	config_get_seconds(parser, object, "timeout", false, CONFIG_SECONDS_MIN,
	    CONFIG_SECONDS_MAX, &timing->timeout);
	if (config_get_integer(parser, object, "rise", false, 1,
	    CONFIG_RISE_FALL_MAX, &count) == 1)
		timing->rise = (unsigned)count;
	if (config_get_integer(parser, object, "fall", false, 1,
	    CONFIG_RISE_FALL_MAX, &count) == 1)
		timing->fall = (unsigned)count;

	config_parse_anti_flap(parser, object, timing);
	if (interval_found != -1 && timing->fast_interval > timing->interval) {
		if (fast_found == 1)
			config_error(parser, "fast_interval",
			    "must not exceed interval (%g)", timing->interval);
		else
			timing->fast_interval = timing->interval;
	}
	config_record_timing(parser, timing);
}

/* The top-level "control" block: the control socket (unset: each program
 * has its own default, /run/anycheck/PROGRAM.sock, see control.h) and the
 * group that may use it. An unknown group is a warning, not an error: the
 * file may be checked (-n) on another host; the daemon logs it again at
 * start and leaves the socket to its own group. */
static void
config_parse_control(struct config_parser *parser, json_t *root,
    struct config *config)
{
	json_t *object = config_get_object(parser, root, "control");
	struct config_scope scope = config_scope_enter(parser, "control");
	const char *socket = NULL, *group = NULL;

	if (object != NULL) {
		config_reject_unknown_keys(parser, object, config_control_keys);
		if (config_get_string(parser, object, "socket", false,
		    &socket) == 1 && socket[0] == '\0') {
			config_error(parser, "socket", "must not be empty");
			socket = NULL;
		}
		if (config_get_string(parser, object, "group", false,
		    &group) == 1) {
			if (group[0] == '\0') {
				config_error(parser, "group",
				    "must not be empty");
				group = NULL;
			} else if (getgrnam(group) == NULL)
				config_warning(parser, "group", "no such group "
				    "\"%s\" on this host", group);
		}
	}
	config->control_socket = socket != NULL ? xstrdup(socket) : NULL;
	config->control_group = group != NULL ? xstrdup(group) : NULL;
	config_canonical_set(parser, "socket", socket != NULL ?
	    json_string(socket) : json_null());
	config_canonical_set(parser, "group", group != NULL ?
	    json_string(group) : json_null());
	config_scope_leave(parser, scope);
}

/* Where the daemon keeps what must survive a crash (what it announced);
 * an absolute path. */
static void
config_parse_state_directory(struct config_parser *parser, json_t *root,
    struct config *config)
{
	const char *directory = CONFIG_DEFAULT_STATE_DIRECTORY;

	if (config_get_string(parser, root, "state_directory", false,
	    &directory) == 1 && directory[0] != '/') {
		config_error(parser, "state_directory",
		    "must be an absolute path");
		directory = CONFIG_DEFAULT_STATE_DIRECTORY;
	}
	config->state_directory = xstrdup(directory);
	/* Resolved: the default written out is no change. */
	config_canonical_set(parser, "state_directory",
	    json_string(directory));
}

/* The top-level "bird" block: the control socket, how often
 * anycheck-bird reads every protocol's state back to correct drift, and the
 * include file it keeps up to date itself (optional). */
static void
config_parse_bird(struct config_parser *parser, json_t *root,
    struct config *config)
{
	json_t *object = config_get_object(parser, root, "bird");
	const char *socket = CONFIG_DEFAULT_BIRD_SOCKET;
	struct config_scope scope = config_scope_enter(parser, "bird");
	const char *include;

	config->bird_verify_interval = CONFIG_DEFAULT_BIRD_VERIFY_INTERVAL;
	if (object != NULL) {
		config_reject_unknown_keys(parser, object, config_bird_keys);
		if (config_get_string(parser, object, "socket", false,
		    &socket) == 1 && socket[0] == '\0') {
			config_error(parser, "socket", "must not be empty");
			socket = CONFIG_DEFAULT_BIRD_SOCKET;
		}
		config_get_seconds(parser, object, "verify_interval", false,
		    0.1, 3600, &config->bird_verify_interval);
		if (config_get_string(parser, object, "include_file", false,
		    &include) == 1) {
			if (include[0] != '/')
				config_error(parser, "include_file",
				    "must be an absolute path");
			else
				config->bird_include_file = xstrdup(include);
		}
	}
	config->bird_socket = xstrdup(socket);
	/* Resolved: a default written out is no change. */
	config_canonical_set(parser, "socket", json_string(socket));
	config_canonical_set(parser, "verify_interval",
	    json_real(config->bird_verify_interval));
	config_scope_leave(parser, scope);
}

static bool
config_service_name_valid(struct config_parser *parser, const char *name)
{
	if (name[0] == '\0') {
		config_error(parser, "name", "must not be empty");
		return false;
	}
	if (strlen(name) > CONFIG_SERVICE_NAME_MAX) {
		config_error(parser, "name", "must be at most %d characters",
		    CONFIG_SERVICE_NAME_MAX);
		return false;
	}
	if (name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0') {
		config_error(parser, "name",
		    "may only contain letters, digits, '_' and '-'");
		return false;
	}
	return true;
}

static void
config_parse_name(struct config_build *build, json_t *object, size_t index)
{
	struct config_parser *parser = &build->parser;
	struct config *config = build->config;
	const struct service_config *first;
	const char *name;

	if (config_get_string(parser, object, "name", true, &name) != 1 ||
	    !config_service_name_valid(parser, name))
		return;
	first = name_index_get(&config->service_index, name);
	if (first != NULL) {
		config_error(parser, "name", "duplicate service name \"%s\" "
		    "(first used by services[%zu])", name,
		    (size_t)(first - config->services));
		return;
	}
	config->services[index].name = xstrdup(name);
	name_index_put(&config->service_index, config->services[index].name,
	    &config->services[index]);
}

/* services[index]'s name for messages: "web", or its index when the name
 * itself was broken. */
static char *
config_service_label(const struct config *config,
    const struct service_config *service)
{
	if (service->name != NULL)
		return xasprintf("\"%s\"", service->name);
	return xasprintf("services[%zu]", (size_t)(service - config->services));
}

/* Is prefix (canonical) free? Each prefix belongs to one service: two
 * services announcing it would overwrite each other's attributes (ExaBGP
 * keeps one route per prefix). Reports the clash at the current path, the
 * prefix's element. */
static bool
config_prefix_free(struct config_build *build,
    struct service_config *service, const struct prefix *prefix,
    const size_t *origin)
{
	struct config_parser *parser = &build->parser;
	struct service_config *owner = name_index_get(&build->prefixes,
	    prefix->text);
	char *this_label, *owner_label;

	if (owner == NULL)
		return true;
	if (owner == service) {
		size_t i = 0;
		while (strcmp(service->prefixes[i].text, prefix->text) != 0)
			i++;
		config_error(parser, NULL,
		    "duplicate prefix \"%s\" (also prefixes[%zu])", prefix->text,
		    origin[i]);
		return false;
	}
	this_label = config_service_label(build->config, service);
	owner_label = config_service_label(build->config, owner);
	config_error(parser, NULL, "prefix \"%s\" is announced by service %s "
	    "and by service %s (services[%zu]); a prefix can belong to only "
	    "one service", prefix->text, this_label, owner_label,
	    (size_t)(owner - build->config->services));
	free(this_label);
	free(owner_label);
	return false;
}

static void
config_parse_prefixes(struct config_build *build, json_t *object,
    struct service_config *service)
{
	struct config_parser *parser = &build->parser;
	json_t *array = json_object_get(object, "prefixes"), *element, *recorded;
	size_t index, saved, *origin;

	if (array == NULL) {
		config_error(parser, "prefixes", "is required");
		return;
	}
	if (!json_is_array(array) || json_array_size(array) == 0) {
		config_error(parser, "prefixes",
		    "must be a non-empty array of prefixes");
		return;
	}
	if (json_array_size(array) > CONFIG_PREFIXES_MAX) {
		config_error(parser, "prefixes", "at most %d prefixes per "
		    "service (here %zu)", CONFIG_PREFIXES_MAX,
		    json_array_size(array));
		return;
	}
	service->prefixes = xcalloc(json_array_size(array),
	    sizeof(*service->prefixes));
	origin = xcalloc(json_array_size(array), sizeof(*origin));
	saved = config_path_push_key(parser, "prefixes");
	json_array_foreach(array, index, element) {
		size_t at = config_path_push_index(parser, index);
		struct prefix prefix;
		const char *why;

		if (!json_is_string(element)) {
			config_error(parser, NULL, "must be a string");
		} else if (prefix_parse(json_string_value(element), &prefix,
		    &why) == -1) {
			config_error(parser, NULL, "invalid prefix \"%s\": %s",
			    json_string_value(element), why);
		} else if (config_prefix_free(build, service, &prefix,
		    origin)) {
			origin[service->prefix_count] = index;
			service->prefixes[service->prefix_count] = prefix;
			/* The key lives in service->prefixes, never moved. */
			name_index_put(&build->prefixes,
			    service->prefixes[service->prefix_count].text,
			    service);
			service->prefix_count++;
		}
		config_path_pop(parser, at);
	}
	config_path_pop(parser, saved);
	free(origin);
	recorded = json_array();
	for (size_t i = 0; i < service->prefix_count; i++)
		json_array_append_new(recorded,
		    json_string(service->prefixes[i].text));
	config_canonical_set(parser, "prefixes", recorded);
}

/* A check's "scope": "local" (the default) or "global". Recorded resolved,
 * so that writing the default out is no change. */
static void
config_parse_check_scope(struct config_parser *parser, json_t *object,
    struct check_config *check)
{
	const char *text;

	check->scope = CHECK_SCOPE_LOCAL;
	if (config_get_string(parser, object, "scope", false, &text) == 1) {
		if (strcmp(text, "global") == 0)
			check->scope = CHECK_SCOPE_GLOBAL;
		else if (strcmp(text, "local") != 0)
			config_error(parser, "scope", "must be \"local\" (a "
			    "failure withdraws this site) or \"global\" "
			    "(something every site depends on)");
	}
	config_canonical_set(parser, "scope",
	    json_string(check_scope_name(check->scope)));
}

/* A service with global checks needs a last_resort: what to announce while
 * only they fail. Said once, at the first global check (unless the
 * service has a last_resort that is broken: that is reported already). */
static void
config_check_last_resort(struct config_parser *parser, json_t *object,
    const struct service_config *service)
{
	size_t saved;

	if (service->last_resort.announced ||
	    json_object_get(object, "last_resort") != NULL)
		return;
	for (size_t i = 0; i < service->check_count; i++) {
		if (service->checks[i].ops == NULL ||
		    service->checks[i].scope != CHECK_SCOPE_GLOBAL)
			continue;
		saved = config_path_push_key(parser, "checks");
		config_path_push_index(parser, i);
		config_error(parser, "scope", "a global check needs the "
		    "service's \"last_resort\", the attributes to announce "
		    "while only global checks fail, for example "
		    "\"last_resort\": {\"med\": 1000}; or make the check "
		    "\"local\" (its failure then withdraws the service)");
		config_path_pop(parser, saved);
		return;
	}
}

static void
config_parse_check(struct config_parser *parser, json_t *object,
    struct check_config *check, double inherited_timeout)
{
	const struct check_ops *ops;
	const char *type;
	size_t errors_before;

	if (!json_is_object(object)) {
		config_error(parser, NULL, "must be an object");
		return;
	}
	if (config_get_string(parser, object, "type", true, &type) != 1)
		return;
	ops = check_ops_find(type);
	if (ops == NULL) {
		config_error(parser, "type",
		    "unknown check type \"%s\"; known types: %s", type,
		    check_type_names());
		return;
	}
	check->ops = ops;
	check->timeout = inherited_timeout;
	config_get_seconds(parser, object, "timeout", false,
	    CONFIG_SECONDS_MIN, CONFIG_SECONDS_MAX, &check->timeout);
	config_canonical_set(parser, "timeout", json_real(check->timeout));
	/* Recorded with its default, so that writing the default out changes
	 * nothing on a reload. */
	check->immediate = ops->immediate_default;
	config_get_bool(parser, object, "immediate", false, &check->immediate);
	config_canonical_set(parser, "immediate",
	    json_boolean(check->immediate));
	config_parse_check_scope(parser, object, check);
	errors_before = parser->errors->total;
	if (ops->parse(check, object, parser) == -1 &&
	    parser->errors->total == errors_before)
		config_error(parser, NULL, "invalid %s check", type);
}

static void
config_parse_checks(struct config_parser *parser, json_t *object,
    struct service_config *service)
{
	json_t *array = json_object_get(object, "checks"), *element, *recorded;
	json_t *service_canonical = parser->canonical;
	size_t index, saved;

	if (array == NULL) {
		config_error(parser, "checks", "is required");
		return;
	}
	if (!json_is_array(array) || json_array_size(array) == 0) {
		config_error(parser, "checks",
		    "must be a non-empty array of checks");
		return;
	}
	if (json_array_size(array) > CONFIG_CHECKS_MAX) {
		config_error(parser, "checks", "at most %d checks per service "
		    "(here %zu)", CONFIG_CHECKS_MAX, json_array_size(array));
		return;
	}
	service->checks = xcalloc(json_array_size(array),
	    sizeof(*service->checks));
	recorded = json_array();
	saved = config_path_push_key(parser, "checks");
	json_array_foreach(array, index, element) {
		size_t at = config_path_push_index(parser, index);
		json_t *check_canonical = json_object();

		/* Each check records into its own object; check types parse
		 * through the same getters. */
		json_array_append_new(recorded, check_canonical);
		parser->canonical = service_canonical != NULL ?
		    check_canonical : NULL;
		/* Counted even when broken, so config_free releases it. */
		config_parse_check(parser, element,
		    &service->checks[service->check_count++],
		    service->timing.timeout);
		config_path_pop(parser, at);
	}
	parser->canonical = service_canonical;
	config_path_pop(parser, saved);
	config_canonical_set(parser, "checks", recorded);
}

static void
config_parse_require(struct config_parser *parser, json_t *object,
    struct service_config *service)
{
	json_t *value = json_object_get(object, "require");
	json_t *checks = json_object_get(object, "checks");
	size_t check_total = json_is_array(checks) ? json_array_size(checks) : 0;

	service->require = REQUIRE_ALL;
	service->require_count = (unsigned)check_total;
	if (value == NULL)
		return;
	config_canonical_set(parser, "require", json_deep_copy(value));
	if (json_is_string(value) &&
	    strcmp(json_string_value(value), "all") == 0)
		return;
	if (json_is_string(value) &&
	    strcmp(json_string_value(value), "any") == 0) {
		service->require = REQUIRE_ANY;
		service->require_count = 1;
		return;
	}
	/* Without usable checks the bound is unknown; that is reported. */
	if (json_is_integer(value) && check_total == 0)
		return;
	if (json_is_integer(value) && json_integer_value(value) >= 1 &&
	    (json_int_t)check_total >= json_integer_value(value)) {
		service->require = REQUIRE_AT_LEAST;
		service->require_count = (unsigned)json_integer_value(value);
		return;
	}
	config_error(parser, "require",
	    "must be \"all\", \"any\" or a number of checks between 1 and %zu",
	    check_total > 0 ? check_total : 1);
}

static void
config_parse_exabgp(struct config_parser *parser, json_t *service_object,
    struct service_config *service)
{
	json_t *object = config_get_object(parser, service_object, "exabgp");
	struct config_scope scope;
	char **neighbors;
	size_t count;

	if (object == NULL)
		return;
	scope = config_scope_enter(parser, "exabgp");
	config_reject_unknown_keys(parser, object, config_exabgp_keys);
	if (config_get_string_array(parser, object, "neighbors", false,
	    &neighbors, &count) == 1) {
		json_t *recorded;
		size_t at = config_path_push_key(parser, "neighbors");
		service->exabgp_neighbors = xcalloc(count + 1,
		    sizeof(*service->exabgp_neighbors));
		for (size_t i = 0; i < count; i++) {
			char canonical[INET6_ADDRSTRLEN];
			uint8_t address[16];
			int family;

			if (address_parse(neighbors[i], &family,
			    address) == -1) {
				size_t element = config_path_push_index(parser,
				    i);
				config_error(parser, NULL,
				    "invalid IP address \"%s\"", neighbors[i]);
				config_path_pop(parser, element);
				continue;
			}
			inet_ntop(family, address, canonical,
			    sizeof(canonical));
			service->exabgp_neighbors[
			    service->exabgp_neighbor_count++] =
			    xstrdup(canonical);
		}
		config_path_pop(parser, at);
		config_free_strings(neighbors);
		/* As parsed: the same address in another notation is equal. */
		recorded = json_array();
		for (size_t i = 0; i < service->exabgp_neighbor_count; i++)
			json_array_append_new(recorded,
			    json_string(service->exabgp_neighbors[i]));
		config_canonical_set(parser, "neighbors", recorded);
	}
	config_scope_leave(parser, scope);
}

static void
config_drain_free(struct drain_config *drain)
{
	free(drain->communities);
	free(drain->ports);
	drain->communities = NULL;
	drain->ports = NULL;
}

static void
config_drain_copy(struct drain_config *out, const struct drain_config *in)
{
	*out = *in;
	out->communities = config_memdup(in->communities, in->community_count,
	    sizeof(*in->communities));
	out->ports = config_memdup(in->ports, in->port_count,
	    sizeof(*in->ports));
}

/* drain.connections: {"max": N, "ports": [P, ...]}. */
static void
config_parse_connections(struct config_parser *parser, json_t *drain_object,
    struct drain_config *drain)
{
	json_t *object = config_get_object(parser, drain_object,
	    "connections"), *ports, *element;
	struct config_scope scope;
	size_t index;
	int64_t n;

	if (object == NULL)
		return;
	/* Replaces an inherited "connections" as a whole, here as in the
	 * canonical form. */
	config_canonical_set(parser, "connections", json_object());
	scope = config_scope_enter(parser, "connections");
	config_reject_unknown_keys(parser, object, config_connections_keys);
	free(drain->ports);
	drain->ports = NULL;
	drain->port_count = 0;
	drain->has_connections = true;
	drain->connections_max = 0;
	if (config_get_integer(parser, object, "max", false, 0,
	    CONFIG_CONNECTIONS_MAX, &n) == 1)
		drain->connections_max = (long)n;
	ports = json_object_get(object, "ports");
	if (ports != NULL && (!json_is_array(ports) ||
	    json_array_size(ports) == 0)) {
		config_error(parser, "ports",
		    "must be a non-empty array of ports (1..65535)");
		ports = NULL;
	}
	if (ports != NULL) {
		size_t at = config_path_push_key(parser, "ports");
		drain->ports = xcalloc(json_array_size(ports),
		    sizeof(*drain->ports));
		json_array_foreach(ports, index, element) {
			json_int_t port = json_is_integer(element) ?
			    json_integer_value(element) : 0;
			if (port < 1 || port > 65535) {
				size_t i = config_path_push_index(parser, index);
				config_error(parser, NULL,
				    "must be a port between 1 and 65535");
				config_path_pop(parser, i);
				continue;
			}
			drain->ports[drain->port_count++] = (uint16_t)port;
		}
		config_path_pop(parser, at);
		config_canonical_set(parser, "ports", json_deep_copy(ports));
	}
	config_scope_leave(parser, scope);
}

/* A "drain" block over the inherited values in drain (a deep copy). */
static void
config_parse_drain(struct config_build *build, json_t *parent,
    struct drain_config *drain)
{
	struct config_parser *parser = &build->parser;
	json_t *object = config_get_object(parser, parent, "drain");
	struct config_scope scope;
	size_t count;
	void *communities;
	int64_t n;

	if (object == NULL)
		return;
	/* Merged key by key into the inherited drain's canonical form. */
	scope = config_scope_enter(parser, "drain");
	config_reject_unknown_keys(parser, object, config_drain_keys);
	config_get_seconds(parser, object, "seconds", false, 0,
	    CONFIG_DRAIN_SECONDS_MAX, &drain->seconds);
	/* Above seconds it is harmless (the time bound ends the drain), so
	 * an inherited default needs no adjusting. */
	config_get_seconds(parser, object, "min_seconds", false, 0,
	    CONFIG_DRAIN_SECONDS_MAX, &drain->min_seconds);
	if (config_get_integer(parser, object, "med", false, 0, UINT32_MAX,
	    &n) == 1) {
		drain->has_med = true;
		drain->med = (uint32_t)n;
	}
	if (config_get_integer(parser, object, "as_path_prepend", false, 0,
	    CONFIG_AS_PATH_PREPEND_MAX, &n) == 1) {
		if (n > 0 && !build->local_as_given)
			config_error(parser, "as_path_prepend",
			    "as_path_prepend needs the top-level local_as");
		drain->has_as_path_prepend = true;
		drain->as_path_prepend = (unsigned)n;
	}
	communities = config_parse_attribute_list(parser, object,
	    "communities", "community", "ASN:VALUE, each 0..65535", &count,
	    sizeof(struct community), config_parse_community);
	if (communities != NULL) {
		free(drain->communities);
		drain->communities = communities;
		drain->community_count = count;
	}
	config_parse_connections(parser, object, drain);
	config_scope_leave(parser, scope);
}

/* "on_exit": "withdraw" or "keep"; 1 found, 0 absent, -1 reported. */
static int
config_get_on_exit(struct config_parser *parser, json_t *object,
    enum on_exit_action *out)
{
	const char *text;
	int found = config_get_string(parser, object, "on_exit", false, &text);

	if (found != 1)
		return found;
	if (strcmp(text, "withdraw") == 0)
		*out = ON_EXIT_WITHDRAW;
	else if (strcmp(text, "keep") == 0)
		*out = ON_EXIT_KEEP;
	else {
		config_error(parser, "on_exit",
		    "must be \"withdraw\" or \"keep\"");
		return -1;
	}
	return 1;
}

/* Warn (not fail) about a maintenance file no one can rely on: in a
 * directory every local user can write to, anyone can withdraw the
 * service; in a directory that does not exist (a typo, usually) it can
 * never appear. The directory is looked at as it is now, at load. */
static void
config_check_maintenance_directory(struct config_parser *parser,
    const char *path)
{
	const char *slash = strrchr(path, '/');
	char *directory = slash == path ? xstrdup("/") :
	    xasprintf("%.*s", (int)(slash - path), path);
	struct stat st;

	if (stat(directory, &st) == -1) {
		if (errno == ENOENT)
			config_warning(parser, "maintenance_file",
			    "the directory %s does not exist: the file can "
			    "never appear there, so maintenance is impossible "
			    "(a typo?)", directory);
		else
			config_warning(parser, "maintenance_file",
			    "cannot look at the directory %s: %s", directory,
			    strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		config_warning(parser, "maintenance_file", "%s is not a "
		    "directory: maintenance is impossible", directory);
	} else if ((st.st_mode & S_IWOTH) != 0) {
		config_warning(parser, "maintenance_file", "the directory %s "
		    "is world-writable: any local user can create the file "
		    "and withdraw the service; use a directory only its "
		    "operators can write to", directory);
	}
	free(directory);
}

static void config_parse_service_keys(struct config_build *build,
    json_t *object, struct service_config *service, size_t index);

/* services[index], with its canonical form. */
static void
config_parse_service(struct config_build *build, json_t *object,
    size_t index)
{
	struct config_parser *parser = &build->parser;
	struct service_config *service = &build->config->services[index];
	json_t *top_canonical = parser->canonical;

	parser->canonical = json_deep_copy(build->inherited);
	config_parse_service_keys(build, object, service, index);
	service->canonical = json_dumps(parser->canonical,
	    JSON_SORT_KEYS | JSON_COMPACT);
	if (service->canonical == NULL)
		fatalx("out of memory recording a service's canonical form");
	json_decref(parser->canonical);
	parser->canonical = top_canonical;
}

/* A service's keys over what it inherits, recorded into parser->canonical
 * (a copy of the inherited canonical form). */
static void
config_parse_service_keys(struct config_build *build, json_t *object,
    struct service_config *service, size_t index)
{
	struct config_parser *parser = &build->parser;
	const char *path;

	service->timing = build->config->defaults;
	config_drain_copy(&service->drain, &build->config->default_drain);
	service->drain_on_exit = build->config->drain_on_exit;
	service->on_exit = build->config->on_exit;
	if (!json_is_object(object)) {
		config_error(parser, NULL, "must be an object");
		return;
	}
	config_reject_unknown_keys(parser, object, config_service_keys);
	config_parse_name(build, object, index);
	config_parse_prefixes(build, object, service);
	config_parse_timing(parser, object, &service->timing);
	config_parse_checks(parser, object, service);
	config_parse_require(parser, object, service);
	if (config_get_string(parser, object, "maintenance_file", false,
	    &path) == 1) {
		if (path[0] != '/') {
			config_error(parser, "maintenance_file",
			    "must be an absolute path");
		} else {
			service->maintenance_file = xstrdup(path);
			config_check_maintenance_directory(parser, path);
		}
	}
	config_parse_announce(build, object, service);
	config_parse_state_announce(build, object, "down", service,
	    &service->down);
	config_parse_state_announce(build, object, "disabled", service,
	    &service->disabled);
	config_parse_last_resort(build, object, service, &service->last_resort);
	config_check_last_resort(parser, object, service);
	config_parse_drain(build, object, &service->drain);
	config_build_drain_announce(service);
	/* A contradiction inherited from the top level is reported there. */
	if ((config_get_bool(parser, object, "drain_on_exit", false,
	    &service->drain_on_exit) == 1) +
	    (config_get_on_exit(parser, object, &service->on_exit) == 1) > 0 &&
	    service->drain_on_exit && service->on_exit == ON_EXIT_KEEP)
		config_error(parser, NULL, "drain_on_exit needs on_exit "
		    "\"withdraw\": a drain on exit ends in a withdraw");
	config_parse_exabgp(parser, object, service);
	bird_names_parse_service(parser, object, service, index,
	    &build->bird_protocols);
}

static void
config_parse_root(struct config_build *build, json_t *root)
{
	struct config_parser *parser = &build->parser;
	struct config *config = build->config;
	json_t *defaults, *services, *element, *globals;
	size_t index, saved;
	int64_t local_as;

	config->defaults = config_builtin_timing;
	config->default_drain.seconds = CONFIG_DRAIN_SECONDS_DEFAULT;
	config->default_drain.min_seconds = CONFIG_DRAIN_MIN_SECONDS_DEFAULT;
	if (!json_is_object(root)) {
		config_error(parser, NULL,
		    "the configuration must be a JSON object");
		return;
	}
	config_reject_unknown_keys(parser, root, config_top_keys);
	/* What services inherit is recorded where each service's canonical
	 * form starts; every other top-level key (below) among the globals. */
	globals = parser->canonical;
	parser->canonical = build->inherited;
	build->local_as_given = json_object_get(root, "local_as") != NULL;
	if (config_get_integer(parser, root, "local_as", false, 1, UINT32_MAX,
	    &local_as) == 1) {
		config->has_local_as = true;
		config->local_as = (uint32_t)local_as;
	}
	defaults = config_get_object(parser, root, "defaults");
	if (defaults != NULL) {
		saved = config_path_push_key(parser, "defaults");
		config_reject_unknown_keys(parser, defaults,
		    config_defaults_keys);
		config_parse_timing(parser, defaults, &config->defaults);
		config_parse_drain(build, defaults, &config->default_drain);
		config_path_pop(parser, saved);
	}
	config_get_bool(parser, root, "drain_on_exit", false,
	    &config->drain_on_exit);
	config_get_on_exit(parser, root, &config->on_exit);
	if (config->drain_on_exit && config->on_exit == ON_EXIT_KEEP)
		config_error(parser, "drain_on_exit", "drain_on_exit needs "
		    "on_exit \"withdraw\": a drain on exit ends in a withdraw");
	parser->canonical = globals;
	config_parse_bird(parser, root, config);
	config_parse_control(parser, root, config);
	config_parse_state_directory(parser, root, config);
	config_parse_ops(parser, root, config);

	services = json_object_get(root, "services");
	if (services == NULL) {
		config_error(parser, "services", "is required");
		return;
	}
	if (!json_is_array(services) || json_array_size(services) == 0) {
		config_error(parser, "services",
		    "must be a non-empty array of services");
		return;
	}
	if (json_array_size(services) > CONFIG_SERVICES_MAX) {
		config_error(parser, "services", "at most %d services (here "
		    "%zu)", CONFIG_SERVICES_MAX, json_array_size(services));
		return;
	}
	config->service_count = json_array_size(services);
	config->services = xcalloc(config->service_count,
	    sizeof(*config->services));
	saved = config_path_push_key(parser, "services");
	json_array_foreach(services, index, element) {
		size_t at = config_path_push_index(parser, index);
		config_parse_service(build, element, index);
		config_path_pop(parser, at);
	}
	config_path_pop(parser, saved);
}

/* {"bird": {"socket": S}} -> {"bird.socket": S}: a changed key is then
 * named the way docs/configuration.md and the error messages name it. */
static void
config_flatten(json_t *object, const char *prefix, json_t *out)
{
	const char *key;
	json_t *value;

	json_object_foreach(object, key, value) {
		char *name = prefix != NULL ? xasprintf("%s.%s", prefix, key) :
		    xstrdup(key);

		if (json_is_object(value))
			config_flatten(value, name, out);
		else
			json_object_set(out, name, value);
		free(name);
	}
}

int
config_load_text(const char *file, const char *text, struct config **out,
    struct config_errors *errors)
{
	struct config_build build;
	json_error_t json_error;
	size_t errors_before = errors->total;
	json_t *root, *globals;

	*out = NULL;
	root = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
	if (root == NULL) {
		/* jansson says column 0 at the end of an empty text. */
		config_errors_add(errors, xasprintf(
		    "%s:%d:%d: JSON syntax error: %s", file, json_error.line,
		    json_error.column > 0 ? json_error.column : 1,
		    json_error.text));
		config_errors_finish(errors, file);
		return -1;
	}

	memset(&build, 0, sizeof(build));
	build.parser.file = file;
	build.parser.text = text;
	build.parser.errors = errors;
	build.parser.positions = config_json_index_new(text);
	build.parser.canonical = globals = json_object();
	build.inherited = json_object();
	name_index_init(&build.bird_protocols);
	name_index_init(&build.prefixes);
	build.config = xcalloc(1, sizeof(*build.config));
	name_index_init(&build.config->service_index);
	config_parse_root(&build, root);
	json_decref(root);
	json_decref(build.inherited);
	name_index_cleanup(&build.bird_protocols);
	name_index_cleanup(&build.prefixes);
	config_json_index_free(build.parser.positions);
	if (errors->total != errors_before) {
		config_errors_finish(errors, file);
		json_decref(globals);
		config_free(build.config);
		return -1;
	}
	build.config->canonical_globals = json_object();
	config_flatten(globals, NULL, build.config->canonical_globals);
	json_decref(globals);
	build.config->path = xstrdup(file);
	*out = build.config;
	return 0;
}

int
config_load(const char *path, struct config **out,
    struct config_errors *errors)
{
	char *text = NULL;
	size_t size = 0, used = 0;
	struct stat st;
	FILE *file;
	int result;

	*out = NULL;
	file = fopen(path, "r");
	if (file == NULL)
		goto fail;
	/* Refused before parsing: a huge file costs many times its size in
	 * jansson's tree. Checked while reading too (a pipe, a file that
	 * grows). */
	if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > CONFIG_FILE_SIZE_MAX)
		goto too_large;
	errno = 0;
	for (;;) {
		size_t n;
		if (size - used < 4096) {
			size = size * 2 + 8192;
			text = xrealloc(text, size);
		}
		n = fread(text + used, 1, size - used - 1, file);
		used += n;
		if (used > CONFIG_FILE_SIZE_MAX)
			goto too_large;
		if (n == 0)
			break;
	}
	if (ferror(file)) {
		/* fread does not promise errno; the usual cause is EISDIR. */
		if (errno == 0)
			errno = EIO;
		goto fail;
	}
	fclose(file);
	text[used] = '\0';
	if (memchr(text, '\0', used) != NULL) {
		config_errors_add(errors, xasprintf(
		    "%s: cannot read: the file contains a NUL byte", path));
		config_errors_finish(errors, path);
		free(text);
		return -1;
	}
	result = config_load_text(path, text, out, errors);
	free(text);
	return result;

too_large:
	config_errors_add(errors, xasprintf("%s: the file is larger than "
	    "%d MiB, the most a config may be", path,
	    CONFIG_FILE_SIZE_MAX / (1024 * 1024)));
	fclose(file);
	free(text);
	return -1;

fail:
	config_errors_add(errors, xasprintf("%s: cannot read: %s", path,
	    strerror(errno)));
	config_errors_finish(errors, path);
	if (file != NULL)
		fclose(file);
	free(text);
	return -1;
}

static void
config_free_service(struct service_config *service)
{
	free(service->name);
	free(service->prefixes);
	for (size_t i = 0; i < service->check_count; i++) {
		struct check_config *check = &service->checks[i];
		if (check->ops != NULL && check->data != NULL)
			check->ops->free_config(check->data);
		free(check->description);
	}
	free(service->checks);
	free(service->maintenance_file);
	config_announce_free(&service->announce);
	config_announce_free(&service->down.attributes);
	config_announce_free(&service->disabled.attributes);
	config_announce_free(&service->last_resort.attributes);
	config_announce_free(&service->drain_announce);
	config_drain_free(&service->drain);
	config_free_strings(service->exabgp_neighbors);
	free(service->bird_protocol_ipv4);
	free(service->bird_protocol_ipv6);
	free(service->canonical);
}

void
config_free(struct config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->service_count; i++)
		config_free_service(&config->services[i]);
	free(config->services);
	name_index_cleanup(&config->service_index);
	json_decref(config->canonical_globals);
	config_drain_free(&config->default_drain);
	free(config->bird_socket);
	free(config->bird_include_file);
	free(config->state_directory);
	free(config->control_socket);
	config_ops_free(config);
	free(config->control_group);
	free(config->path);
	free(config);
}
