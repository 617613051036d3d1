/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: configuration loading
 *
 * Reads the JSON config with jansson and builds struct config in one pass,
 * reporting every problem it meets through config_error() rather than
 * stopping at the first: an operator fixing a file wants the whole list.
 * The result is all or nothing: a config with any error is freed and never
 * handed out, so a running daemon only ever swaps in a config that passed.
 *
 * Timing keys inherit built-in values, then "defaults", then the service's
 * own keys. fast_interval may not be set above interval at the same level;
 * an inherited fast_interval above a service's (shorter) interval is
 * lowered to that interval instead, so "defaults" can be shared by fast and
 * slow services alike.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_api.h"
#include "config.h"
#include "config_json.h"
#include "log.h"

#define CONFIG_DEFAULT_BIRD_SOCKET "/run/bird/bird.ctl"
#define CONFIG_DEFAULT_BIRD_VERIFY_INTERVAL 30.0
#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/anycheck/anycheck.sock"
/* Service names end up inside BIRD protocol names and log lines. */
#define CONFIG_SERVICE_NAME_MAX 48
/* BIRD's limit on symbol names (SYM_MAX_LEN). */
#define CONFIG_BIRD_SYMBOL_MAX 64
#define CONFIG_AS_PATH_PREPEND_MAX 32
#define CONFIG_SECONDS_MIN 0.01
#define CONFIG_SECONDS_MAX 3600.0
#define CONFIG_RISE_FALL_MAX 100
#define CONFIG_HOLD_DOWN_MAX 3600.0
#define CONFIG_FLAP_WINDOW_MAX 86400.0
#define CONFIG_DRAIN_SECONDS_DEFAULT 30.0
#define CONFIG_DRAIN_SECONDS_MAX 86400.0
#define CONFIG_CONNECTIONS_MAX 100000000
/* RFC 8326 GRACEFUL_SHUTDOWN, added to every drain announcement. */
static const struct community config_graceful_shutdown = { 65535, 0 };

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
	"on_exit", NULL,
};
static const char *const config_defaults_keys[] = {
	"interval", "fast_interval", "timeout", "rise", "fall", "hold_down",
	"flap_window", "hold_down_max", "drain", NULL,
};
static const char *const config_drain_keys[] = {
	"seconds", "med", "as_path_prepend", "communities", "connections",
	NULL,
};
static const char *const config_connections_keys[] = { "max", "ports",
	NULL };
static const char *const config_socket_keys[] = { "socket", NULL };
static const char *const config_bird_keys[] = { "socket", "verify_interval",
	"include_file", NULL };
static const char *const config_service_keys[] = {
	"name", "prefixes", "checks", "require", "interval", "fast_interval",
	"timeout", "rise", "fall", "hold_down", "flap_window", "hold_down_max",
	"maintenance_file", "announce", "down", "disabled", "drain",
	"drain_on_exit", "on_exit", "exabgp", "bird", NULL,
};
static const char *const config_announce_keys[] = {
	"next_hop", "med", "local_preference", "communities",
	"large_communities", "extended_communities", "as_path_prepend",
	"path_id", NULL,
};
static const char *const config_next_hop_keys[] = { "ipv4", "ipv6", NULL };
static const char *const config_exabgp_keys[] = { "neighbors", NULL };
static const char *const config_service_bird_keys[] = {
	"protocol", "protocol_ipv4", "protocol_ipv6", NULL,
};

struct config_build {
	struct config_parser parser;
	struct config *config;
	bool local_as_given;    /* even if invalid: avoids a second error */
};

void
config_errors_init(struct config_errors *errors)
{
	errors->messages = NULL;
	errors->count = 0;
}

void
config_errors_clear(struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		free(errors->messages[i]);
	free(errors->messages);
	config_errors_init(errors);
}

void
config_errors_log(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		log_error("%s", errors->messages[i]);
}

/* Is value at key an object? Report it if present and not. */
static json_t *
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
	if (interval_found == -1 || timing->fast_interval <= timing->interval)
		return;
	if (fast_found == 1)
		config_error(parser, "fast_interval",
		    "must not exceed interval (%g)", timing->interval);
	else
		timing->fast_interval = timing->interval;
}

static void
config_parse_socket(struct config_parser *parser, json_t *root,
    const char *key, const char *fallback, char **out)
{
	json_t *object = config_get_object(parser, root, key);
	const char *socket = fallback;
	size_t saved;

	if (object != NULL) {
		saved = config_path_push_key(parser, key);
		config_reject_unknown_keys(parser, object, config_socket_keys);
		if (config_get_string(parser, object, "socket", false,
		    &socket) == 1 && socket[0] == '\0') {
			config_error(parser, "socket", "must not be empty");
			socket = fallback;
		}
		config_path_pop(parser, saved);
	}
	*out = xstrdup(socket);
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
	const char *include;
	size_t saved;

	config->bird_verify_interval = CONFIG_DEFAULT_BIRD_VERIFY_INTERVAL;
	if (object != NULL) {
		saved = config_path_push_key(parser, "bird");
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
		config_path_pop(parser, saved);
	}
	config->bird_socket = xstrdup(socket);
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
	const char *name;

	if (config_get_string(parser, object, "name", true, &name) != 1 ||
	    !config_service_name_valid(parser, name))
		return;
	for (size_t i = 0; i < index; i++) {
		if (build->config->services[i].name != NULL &&
		    strcmp(build->config->services[i].name, name) == 0) {
			config_error(parser, "name",
			    "duplicate service name \"%s\" (first used by "
			    "services[%zu])", name, i);
			return;
		}
	}
	build->config->services[index].name = xstrdup(name);
}

static void
config_parse_prefixes(struct config_parser *parser, json_t *object,
    struct service_config *service)
{
	json_t *array = json_object_get(object, "prefixes"), *element;
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
	service->prefixes = xcalloc(json_array_size(array),
	    sizeof(*service->prefixes));
	origin = xcalloc(json_array_size(array), sizeof(*origin));
	saved = config_path_push_key(parser, "prefixes");
	json_array_foreach(array, index, element) {
		struct prefix prefix;
		const char *why;
		size_t i;

		if (!json_is_string(element)) {
			size_t at = config_path_push_index(parser, index);
			config_error(parser, NULL, "must be a string");
			config_path_pop(parser, at);
			continue;
		}
		if (prefix_parse(json_string_value(element), &prefix,
		    &why) == -1) {
			size_t at = config_path_push_index(parser, index);
			config_error(parser, NULL, "invalid prefix \"%s\": %s",
			    json_string_value(element), why);
			config_path_pop(parser, at);
			continue;
		}
		for (i = 0; i < service->prefix_count; i++)
			if (strcmp(service->prefixes[i].text, prefix.text) == 0)
				break;
		if (i < service->prefix_count) {
			size_t at = config_path_push_index(parser, index);
			config_error(parser, NULL,
			    "duplicate prefix \"%s\" (also prefixes[%zu])",
			    prefix.text, origin[i]);
			config_path_pop(parser, at);
			continue;
		}
		origin[service->prefix_count] = index;
		service->prefixes[service->prefix_count++] = prefix;
	}
	config_path_pop(parser, saved);
	free(origin);
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
	errors_before = parser->errors->count;
	if (ops->parse(check, object, parser) == -1 &&
	    parser->errors->count == errors_before)
		config_error(parser, NULL, "invalid %s check", type);
}

static void
config_parse_checks(struct config_parser *parser, json_t *object,
    struct service_config *service)
{
	json_t *array = json_object_get(object, "checks"), *element;
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
	service->checks = xcalloc(json_array_size(array),
	    sizeof(*service->checks));
	saved = config_path_push_key(parser, "checks");
	json_array_foreach(array, index, element) {
		size_t at = config_path_push_index(parser, index);
		/* Counted even when broken, so config_free releases it. */
		config_parse_check(parser, element,
		    &service->checks[service->check_count++],
		    service->timing.timeout);
		config_path_pop(parser, at);
	}
	config_path_pop(parser, saved);
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

static bool
config_service_has_family(const struct service_config *service, int family)
{
	for (size_t i = 0; i < service->prefix_count; i++)
		if (service->prefixes[i].family == family)
			return true;
	return false;
}

static const char *
config_family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Parse "self" or an address in canonical form; -1 if neither. */
static int
config_parse_next_hop_text(const char *text, int *family, char **out)
{
	char canonical[INET6_ADDRSTRLEN];
	uint8_t address[16];

	if (strcmp(text, "self") == 0) {
		*family = AF_UNSPEC;
		*out = NULL;
		return 0;
	}
	if (address_parse(text, family, address) == -1)
		return -1;
	inet_ntop(*family, address, canonical, sizeof(canonical));
	*out = xstrdup(canonical);
	return 0;
}

static void
config_parse_next_hop(struct config_parser *parser, json_t *object,
    const struct service_config *service, struct announce_attributes *announce)
{
	json_t *value = json_object_get(object, "next_hop");
	char *address;
	int family;
	size_t saved;

	if (value == NULL)
		return;
	if (json_is_string(value)) {
		if (config_parse_next_hop_text(json_string_value(value),
		    &family, &address) == -1) {
			config_error(parser, "next_hop", "must be \"self\", an "
			    "IP address, or an object with \"ipv4\" and/or "
			    "\"ipv6\"");
			return;
		}
		if (family == AF_UNSPEC)
			return;
		/* The other family keeps "self". */
		if (service->prefix_count > 0 &&
		    !config_service_has_family(service, family)) {
			config_error(parser, "next_hop", "%s next hop \"%s\" "
			    "but the service has no %s prefix",
			    config_family_name(family), address,
			    config_family_name(family));
			free(address);
			return;
		}
		if (family == AF_INET)
			announce->next_hop_ipv4 = address;
		else
			announce->next_hop_ipv6 = address;
		return;
	}
	if (!json_is_object(value)) {
		config_error(parser, "next_hop", "must be \"self\", an IP "
		    "address, or an object with \"ipv4\" and/or \"ipv6\"");
		return;
	}
	saved = config_path_push_key(parser, "next_hop");
	config_reject_unknown_keys(parser, value, config_next_hop_keys);
	for (int i = 0; i < 2; i++) {
		const char *key = config_next_hop_keys[i];
		int want = i == 0 ? AF_INET : AF_INET6;
		const char *text;

		if (config_get_string(parser, value, key, false, &text) != 1)
			continue;
		address = NULL;
		if (config_parse_next_hop_text(text, &family, &address) == 0 &&
		    (family == AF_UNSPEC || family == want)) {
			if (i == 0)
				announce->next_hop_ipv4 = address;
			else
				announce->next_hop_ipv6 = address;
			continue;
		}
		free(address);
		config_error(parser, key, "must be \"self\" or an %s address",
		    config_family_name(want));
	}
	config_path_pop(parser, saved);
}

/* Parse each string of the array at key with parse(text, item) into a new
 * array of items item_size apart; NULL when the key is absent or broken. */
static void *
config_parse_attribute_list(struct config_parser *parser, json_t *object,
    const char *key, const char *noun, const char *expected, size_t *count,
    size_t item_size, int (*parse)(const char *, void *))
{
	char **strings;
	char *items;
	size_t n, saved;

	*count = 0;
	if (config_get_string_array(parser, object, key, false, &strings,
	    &n) != 1)
		return NULL;
	items = xcalloc(n, item_size);
	saved = config_path_push_key(parser, key);
	for (size_t i = 0; i < n; i++) {
		if (parse(strings[i], items + *count * item_size) == 0) {
			(*count)++;
			continue;
		}
		size_t at = config_path_push_index(parser, i);
		config_error(parser, NULL, "invalid %s \"%s\" (expected %s)",
		    noun, strings[i], expected);
		config_path_pop(parser, at);
	}
	config_path_pop(parser, saved);
	config_free_strings(strings);
	return items;
}

static int
config_parse_community(const char *text, void *out)
{
	return community_parse(text, out);
}

static int
config_parse_large_community(const char *text, void *out)
{
	return large_community_parse(text, out);
}

static int
config_parse_extended_community(const char *text, void *out)
{
	return extended_community_parse(text, out);
}

/* Parse one attribute set (the object at key, already checked to be an
 * object) of a service into announce. */
static void
config_parse_attributes(struct config_build *build, json_t *object,
    const char *key, const struct service_config *service,
    struct announce_attributes *announce)
{
	struct config_parser *parser = &build->parser;
	size_t saved;
	int64_t n;

	saved = config_path_push_key(parser, key);
	config_reject_unknown_keys(parser, object, config_announce_keys);
	config_parse_next_hop(parser, object, service, announce);
	if (config_get_integer(parser, object, "med", false, 0, UINT32_MAX,
	    &n) == 1) {
		announce->has_med = true;
		announce->med = (uint32_t)n;
	}
	if (config_get_integer(parser, object, "local_preference", false, 0,
	    UINT32_MAX, &n) == 1) {
		announce->has_local_preference = true;
		announce->local_preference = (uint32_t)n;
	}
	announce->communities = config_parse_attribute_list(parser, object,
	    "communities", "community", "ASN:VALUE, each 0..65535",
	    &announce->community_count, sizeof(struct community),
	    config_parse_community);
	announce->large_communities = config_parse_attribute_list(parser,
	    object, "large_communities", "large community",
	    "GLOBAL:LOCAL1:LOCAL2, each 0..4294967295",
	    &announce->large_community_count, sizeof(struct large_community),
	    config_parse_large_community);
	announce->extended_communities = config_parse_attribute_list(parser,
	    object, "extended_communities", "extended community",
	    "target:ASN:VALUE or origin:ASN:VALUE",
	    &announce->extended_community_count,
	    sizeof(struct extended_community),
	    config_parse_extended_community);
	if (config_get_integer(parser, object, "as_path_prepend", false, 0,
	    CONFIG_AS_PATH_PREPEND_MAX, &n) == 1) {
		if (n > 0 && !build->local_as_given)
			config_error(parser, "as_path_prepend",
			    "as_path_prepend needs the top-level local_as");
		announce->as_path_prepend = (unsigned)n;
	}
	if (config_get_integer(parser, object, "path_id", false, 0, UINT32_MAX,
	    &n) == 1) {
		announce->has_path_id = true;
		announce->path_id = (uint32_t)n;
	}
	config_path_pop(parser, saved);
}

static void
config_parse_announce(struct config_build *build, json_t *service_object,
    struct service_config *service)
{
	json_t *object = config_get_object(&build->parser, service_object,
	    "announce");

	if (object != NULL)
		config_parse_attributes(build, object, "announce", service,
		    &service->announce);
}

/* "down" or "disabled": "withdraw" (the default) or an attribute set. */
static void
config_parse_state_announce(struct config_build *build,
    json_t *service_object, const char *key,
    const struct service_config *service, struct state_announce *out)
{
	json_t *value = json_object_get(service_object, key);

	out->announced = false;
	if (value == NULL)
		return;
	if (json_is_string(value) &&
	    strcmp(json_string_value(value), "withdraw") == 0)
		return;
	if (!json_is_object(value)) {
		config_error(&build->parser, key, "must be \"withdraw\" or an "
		    "object with the keys of announce");
		return;
	}
	out->announced = true;
	config_parse_attributes(build, value, key, service, &out->attributes);
}

static void
config_parse_exabgp(struct config_parser *parser, json_t *service_object,
    struct service_config *service)
{
	json_t *object = config_get_object(parser, service_object, "exabgp");
	char **neighbors;
	size_t count, saved;

	if (object == NULL)
		return;
	saved = config_path_push_key(parser, "exabgp");
	config_reject_unknown_keys(parser, object, config_exabgp_keys);
	if (config_get_string_array(parser, object, "neighbors", false,
	    &neighbors, &count) == 1) {
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
	}
	config_path_pop(parser, saved);
}

static bool
config_bird_symbol_valid(const char *name, size_t max)
{
	if (!((name[0] >= 'A' && name[0] <= 'Z') ||
	    (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	if (strlen(name) > max)
		return false;
	return name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0';
}

/* Read a BIRD symbol at key; 1 valid, 0 absent, -1 reported. */
static int
config_get_bird_symbol(struct config_parser *parser, json_t *object,
    const char *key, size_t max, const char **out)
{
	int found = config_get_string(parser, object, key, false, out);

	if (found != 1)
		return found;
	if (!config_bird_symbol_valid(*out, max)) {
		config_error(parser, key, "must be a letter or '_' followed by "
		    "letters, digits or '_', at most %zu characters", max);
		return -1;
	}
	return 1;
}

static void
config_parse_service_bird(struct config_build *build, json_t *service_object,
    size_t index)
{
	struct config_parser *parser = &build->parser;
	struct service_config *service = &build->config->services[index];
	/* Where each name came from (a key under the service), for errors. */
	const char *sources[2] = { "name", "name" };
	json_t *object = config_get_object(parser, service_object, "bird");
	char **names[2] = {
		&service->bird_protocol_ipv4, &service->bird_protocol_ipv6,
	};
	const char *text;
	size_t saved;

	if (service->name != NULL) {
		char *base = xasprintf("anycheck_%s", service->name);
		for (char *c = base; *c != '\0'; c++)
			if (*c == '-')
				*c = '_';
		*names[0] = xasprintf("%s_v4", base);
		*names[1] = xasprintf("%s_v6", base);
		free(base);
	}
	if (object != NULL) {
		saved = config_path_push_key(parser, "bird");
		config_reject_unknown_keys(parser, object,
		    config_service_bird_keys);
		if (config_get_bird_symbol(parser, object, "protocol",
		    CONFIG_BIRD_SYMBOL_MAX - 3, &text) == 1) {
			for (int i = 0; i < 2; i++) {
				free(*names[i]);
				*names[i] = xasprintf("%s_v%d", text,
				    i == 0 ? 4 : 6);
				sources[i] = "bird.protocol";
			}
		}
		for (int i = 0; i < 2; i++) {
			const char *key = config_service_bird_keys[i + 1];
			if (config_get_bird_symbol(parser, object, key,
			    CONFIG_BIRD_SYMBOL_MAX, &text) != 1)
				continue;
			free(*names[i]);
			*names[i] = xstrdup(text);
			sources[i] = i == 0 ? "bird.protocol_ipv4" :
			    "bird.protocol_ipv6";
		}
		config_path_pop(parser, saved);
	}

	/* BIRD needs every protocol name to be unique in its config. */
	if (*names[0] != NULL && *names[1] != NULL &&
	    strcmp(*names[0], *names[1]) == 0) {
		config_error(parser, sources[1],
		    "BIRD protocol name \"%s\" is used for both IPv4 and IPv6",
		    *names[1]);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (*names[i] == NULL)
			continue;
		for (size_t other = 0; other < index; other++) {
			const struct service_config *previous =
			    &build->config->services[other];
			if ((previous->bird_protocol_ipv4 != NULL &&
			    strcmp(previous->bird_protocol_ipv4,
			    *names[i]) == 0) ||
			    (previous->bird_protocol_ipv6 != NULL &&
			    strcmp(previous->bird_protocol_ipv6,
			    *names[i]) == 0)) {
				config_error(parser, sources[i],
				    "BIRD protocol name \"%s\" is already used "
				    "by services[%zu]", *names[i], other);
				break;
			}
		}
	}
}

static void
config_drain_free(struct drain_config *drain)
{
	free(drain->communities);
	free(drain->ports);
	drain->communities = NULL;
	drain->ports = NULL;
}

static void *
config_memdup(const void *data, size_t count, size_t size)
{
	void *copy;

	if (count == 0 || data == NULL)
		return NULL;
	copy = xcalloc(count, size);
	memcpy(copy, data, count * size);
	return copy;
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
	size_t saved, index;
	int64_t n;

	if (object == NULL)
		return;
	saved = config_path_push_key(parser, "connections");
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
	}
	config_path_pop(parser, saved);
}

/* A "drain" block over the inherited values in drain (a deep copy). */
static void
config_parse_drain(struct config_build *build, json_t *parent,
    struct drain_config *drain)
{
	struct config_parser *parser = &build->parser;
	json_t *object = config_get_object(parser, parent, "drain");
	size_t saved, count;
	void *communities;
	int64_t n;

	if (object == NULL)
		return;
	saved = config_path_push_key(parser, "drain");
	config_reject_unknown_keys(parser, object, config_drain_keys);
	config_get_seconds(parser, object, "seconds", false, 0,
	    CONFIG_DRAIN_SECONDS_MAX, &drain->seconds);
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
	config_path_pop(parser, saved);
}

static bool
config_has_community(const struct community *list, size_t count,
    const struct community *community)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].asn == community->asn &&
		    list[i].value == community->value)
			return true;
	return false;
}

/* Deep copy of an attribute set. */
static void
config_announce_copy(struct announce_attributes *out,
    const struct announce_attributes *in)
{
	*out = *in;
	out->next_hop_ipv4 = in->next_hop_ipv4 != NULL ?
	    xstrdup(in->next_hop_ipv4) : NULL;
	out->next_hop_ipv6 = in->next_hop_ipv6 != NULL ?
	    xstrdup(in->next_hop_ipv6) : NULL;
	out->communities = config_memdup(in->communities,
	    in->community_count, sizeof(*in->communities));
	out->large_communities = config_memdup(in->large_communities,
	    in->large_community_count, sizeof(*in->large_communities));
	out->extended_communities = config_memdup(in->extended_communities,
	    in->extended_community_count, sizeof(*in->extended_communities));
}

static void
config_announce_free(struct announce_attributes *announce)
{
	free(announce->next_hop_ipv4);
	free(announce->next_hop_ipv6);
	free(announce->communities);
	free(announce->large_communities);
	free(announce->extended_communities);
	memset(announce, 0, sizeof(*announce));
}

/* The drain attributes: announce, plus 65535:0 and the drain block's
 * communities, with the drain block's med and prepend when given. */
static void
config_build_drain_announce(struct service_config *service)
{
	struct announce_attributes *out = &service->drain_announce;
	const struct drain_config *drain = &service->drain;
	size_t room;

	config_announce_copy(out, &service->announce);
	room = out->community_count + 1 + drain->community_count;
	out->communities = xrealloc(out->communities,
	    room * sizeof(*out->communities));
	if (!config_has_community(out->communities, out->community_count,
	    &config_graceful_shutdown))
		out->communities[out->community_count++] =
		    config_graceful_shutdown;
	for (size_t i = 0; i < drain->community_count; i++)
		if (!config_has_community(out->communities,
		    out->community_count, &drain->communities[i]))
			out->communities[out->community_count++] =
			    drain->communities[i];
	if (drain->has_med) {
		out->has_med = true;
		out->med = drain->med;
	}
	if (drain->has_as_path_prepend)
		out->as_path_prepend = drain->as_path_prepend;
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

static void
config_parse_service(struct config_build *build, json_t *object,
    size_t index)
{
	struct config_parser *parser = &build->parser;
	struct service_config *service = &build->config->services[index];
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
	config_parse_prefixes(parser, object, service);
	config_parse_timing(parser, object, &service->timing);
	config_parse_checks(parser, object, service);
	config_parse_require(parser, object, service);
	if (config_get_string(parser, object, "maintenance_file", false,
	    &path) == 1) {
		if (path[0] != '/')
			config_error(parser, "maintenance_file",
			    "must be an absolute path");
		else
			service->maintenance_file = xstrdup(path);
	}
	config_parse_announce(build, object, service);
	config_parse_state_announce(build, object, "down", service,
	    &service->down);
	config_parse_state_announce(build, object, "disabled", service,
	    &service->disabled);
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
	config_parse_service_bird(build, object, index);
}

static void
config_parse_root(struct config_build *build, json_t *root)
{
	struct config_parser *parser = &build->parser;
	struct config *config = build->config;
	json_t *defaults, *services, *element;
	size_t index, saved;
	int64_t local_as;

	config->defaults = config_builtin_timing;
	config->default_drain.seconds = CONFIG_DRAIN_SECONDS_DEFAULT;
	if (!json_is_object(root)) {
		config_error(parser, NULL,
		    "the configuration must be a JSON object");
		return;
	}
	config_reject_unknown_keys(parser, root, config_top_keys);
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
	config_parse_bird(parser, root, config);
	config_parse_socket(parser, root, "control",
	    CONFIG_DEFAULT_CONTROL_SOCKET, &config->control_socket);

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

int
config_load_text(const char *file, const char *text, struct config **out,
    struct config_errors *errors)
{
	struct config_build build;
	json_error_t json_error;
	size_t errors_before = errors->count;
	json_t *root;

	*out = NULL;
	root = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
	if (root == NULL) {
		errors->messages = xrealloc(errors->messages,
		    (errors->count + 1) * sizeof(*errors->messages));
		/* jansson says column 0 at the end of an empty text. */
		errors->messages[errors->count++] = xasprintf(
		    "%s:%d:%d: JSON syntax error: %s", file, json_error.line,
		    json_error.column > 0 ? json_error.column : 1,
		    json_error.text);
		return -1;
	}

	memset(&build, 0, sizeof(build));
	build.parser.file = file;
	build.parser.text = text;
	build.parser.errors = errors;
	build.config = xcalloc(1, sizeof(*build.config));
	config_parse_root(&build, root);
	json_decref(root);
	if (errors->count != errors_before) {
		config_free(build.config);
		return -1;
	}
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
	FILE *file;
	int result;

	*out = NULL;
	file = fopen(path, "r");
	if (file == NULL)
		goto fail;
	errno = 0;
	for (;;) {
		size_t n;
		if (size - used < 4096) {
			size = size * 2 + 8192;
			text = xrealloc(text, size);
		}
		n = fread(text + used, 1, size - used - 1, file);
		used += n;
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
		errors->messages = xrealloc(errors->messages,
		    (errors->count + 1) * sizeof(*errors->messages));
		errors->messages[errors->count++] = xasprintf(
		    "%s: cannot read: the file contains a NUL byte", path);
		free(text);
		return -1;
	}
	result = config_load_text(path, text, out, errors);
	free(text);
	return result;

fail:
	errors->messages = xrealloc(errors->messages,
	    (errors->count + 1) * sizeof(*errors->messages));
	errors->messages[errors->count++] = xasprintf("%s: cannot read: %s",
	    path, strerror(errno));
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
	config_announce_free(&service->drain_announce);
	config_drain_free(&service->drain);
	config_free_strings(service->exabgp_neighbors);
	free(service->bird_protocol_ipv4);
	free(service->bird_protocol_ipv6);
}

void
config_free(struct config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->service_count; i++)
		config_free_service(&config->services[i]);
	free(config->services);
	config_drain_free(&config->default_drain);
	free(config->bird_socket);
	free(config->bird_include_file);
	free(config->control_socket);
	free(config->path);
	free(config);
}

const struct service_config *
config_find_service(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->service_count; i++)
		if (config->services[i].name != NULL &&
		    strcmp(config->services[i].name, name) == 0)
			return &config->services[i];
	return NULL;
}

static bool
config_string_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
config_memory_equal(const void *a, size_t a_count, const void *b,
    size_t b_count, size_t size)
{
	if (a_count != b_count)
		return false;
	return a_count == 0 || memcmp(a, b, a_count * size) == 0;
}

/* Are two announcement attribute sets the same? */
bool
config_announce_equal(const struct announce_attributes *a,
    const struct announce_attributes *b)
{
	return config_string_equal(a->next_hop_ipv4, b->next_hop_ipv4) &&
	    config_string_equal(a->next_hop_ipv6, b->next_hop_ipv6) &&
	    a->has_med == b->has_med && (!a->has_med || a->med == b->med) &&
	    a->has_local_preference == b->has_local_preference &&
	    (!a->has_local_preference ||
	    a->local_preference == b->local_preference) &&
	    config_memory_equal(a->communities, a->community_count,
	    b->communities, b->community_count, sizeof(*a->communities)) &&
	    config_memory_equal(a->large_communities,
	    a->large_community_count, b->large_communities,
	    b->large_community_count, sizeof(*a->large_communities)) &&
	    config_memory_equal(a->extended_communities,
	    a->extended_community_count, b->extended_communities,
	    b->extended_community_count,
	    sizeof(*a->extended_communities)) &&
	    a->as_path_prepend == b->as_path_prepend &&
	    a->has_path_id == b->has_path_id &&
	    (!a->has_path_id || a->path_id == b->path_id);
}

static bool
config_state_announce_equal(const struct state_announce *a,
    const struct state_announce *b)
{
	return a->announced == b->announced && (!a->announced ||
	    config_announce_equal(&a->attributes, &b->attributes));
}

static bool
config_drain_equal(const struct drain_config *a, const struct drain_config *b)
{
	return a->seconds == b->seconds &&
	    a->has_med == b->has_med && (!a->has_med || a->med == b->med) &&
	    a->has_as_path_prepend == b->has_as_path_prepend &&
	    a->as_path_prepend == b->as_path_prepend &&
	    config_memory_equal(a->communities, a->community_count,
	    b->communities, b->community_count, sizeof(*a->communities)) &&
	    a->has_connections == b->has_connections &&
	    a->connections_max == b->connections_max &&
	    config_memory_equal(a->ports, a->port_count, b->ports,
	    b->port_count, sizeof(*a->ports));
}

static bool
config_timing_equal(const struct timing_config *a,
    const struct timing_config *b)
{
	return a->interval == b->interval &&
	    a->fast_interval == b->fast_interval && a->timeout == b->timeout &&
	    a->rise == b->rise && a->fall == b->fall &&
	    a->hold_down == b->hold_down && a->flap_window == b->flap_window &&
	    a->hold_down_max == b->hold_down_max;
}

static bool
config_check_equal(const struct check_config *a, const struct check_config *b)
{
	return a->ops == b->ops && a->timeout == b->timeout &&
	    config_string_equal(a->description, b->description) &&
	    a->ops->equal(a->data, b->data);
}

/* Are two services configured identically? */
bool
config_service_equal(const struct service_config *a,
    const struct service_config *b)
{
	if (!config_string_equal(a->name, b->name) ||
	    a->prefix_count != b->prefix_count ||
	    a->check_count != b->check_count || a->require != b->require ||
	    a->require_count != b->require_count ||
	    !config_timing_equal(&a->timing, &b->timing) ||
	    !config_string_equal(a->maintenance_file, b->maintenance_file) ||
	    !config_announce_equal(&a->announce, &b->announce) ||
	    !config_state_announce_equal(&a->down, &b->down) ||
	    !config_state_announce_equal(&a->disabled, &b->disabled) ||
	    !config_drain_equal(&a->drain, &b->drain) ||
	    a->drain_on_exit != b->drain_on_exit ||
	    a->on_exit != b->on_exit ||
	    a->exabgp_neighbor_count != b->exabgp_neighbor_count ||
	    !config_string_equal(a->bird_protocol_ipv4, b->bird_protocol_ipv4) ||
	    !config_string_equal(a->bird_protocol_ipv6, b->bird_protocol_ipv6))
		return false;
	for (size_t i = 0; i < a->prefix_count; i++)
		if (strcmp(a->prefixes[i].text, b->prefixes[i].text) != 0)
			return false;
	for (size_t i = 0; i < a->check_count; i++)
		if (!config_check_equal(&a->checks[i], &b->checks[i]))
			return false;
	for (size_t i = 0; i < a->exabgp_neighbor_count; i++)
		if (strcmp(a->exabgp_neighbors[i], b->exabgp_neighbors[i]) != 0)
			return false;
	return true;
}

/* Compare two configs service by service, matched by name. */
size_t
config_diff(const struct config *old_config, const struct config *new_config,
    struct config_diff_entry **out)
{
	struct config_diff_entry *entries;
	bool same_as = old_config->has_local_as == new_config->has_local_as &&
	    old_config->local_as == new_config->local_as;
	size_t count = 0;

	entries = xcalloc(old_config->service_count +
	    new_config->service_count + 1, sizeof(*entries));
	for (size_t i = 0; i < new_config->service_count; i++) {
		const struct service_config *service = &new_config->services[i];
		const struct service_config *old =
		    config_find_service(old_config, service->name);
		struct config_diff_entry *entry = &entries[count++];

		entry->old_service = old;
		entry->new_service = service;
		if (old == NULL)
			entry->change = CONFIG_SERVICE_ADDED;
		else if (same_as && config_service_equal(old, service))
			entry->change = CONFIG_SERVICE_UNCHANGED;
		else
			entry->change = CONFIG_SERVICE_CHANGED;
	}
	for (size_t i = 0; i < old_config->service_count; i++) {
		const struct service_config *old = &old_config->services[i];

		if (config_find_service(new_config, old->name) != NULL)
			continue;
		entries[count].change = CONFIG_SERVICE_REMOVED;
		entries[count].old_service = old;
		entries[count++].new_service = NULL;
	}
	*out = entries;
	return count;
}

/* "unchanged", "changed", "added" or "removed". */
const char *
config_change_name(enum config_change change)
{
	switch (change) {
	case CONFIG_SERVICE_UNCHANGED:
		return "unchanged";
	case CONFIG_SERVICE_CHANGED:
		return "changed";
	case CONFIG_SERVICE_ADDED:
		return "added";
	case CONFIG_SERVICE_REMOVED:
		return "removed";
	}
	return "unknown";
}
