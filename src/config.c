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

#include "check.h"
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

static const struct timing_config config_builtin_timing = {
	.interval = 1.0,
	.fast_interval = 0.2,
	.timeout = 1.0,
	.rise = 3,
	.fall = 2,
};

static const char *const config_top_keys[] = {
	"local_as", "defaults", "bird", "control", "services", NULL,
};
static const char *const config_timing_keys[] = {
	"interval", "fast_interval", "timeout", "rise", "fall", NULL,
};
static const char *const config_socket_keys[] = { "socket", NULL };
static const char *const config_bird_keys[] = { "socket", "verify_interval",
	NULL };
static const char *const config_service_keys[] = {
	"name", "prefixes", "checks", "require", "interval", "fast_interval",
	"timeout", "rise", "fall", "maintenance_file", "announce", "exabgp",
	"bird", NULL,
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

/* The top-level "bird" block: the control socket, and how often
 * anycheck-bird reads every protocol's state back to correct drift. */
static void
config_parse_bird(struct config_parser *parser, json_t *root,
    struct config *config)
{
	json_t *object = config_get_object(parser, root, "bird");
	const char *socket = CONFIG_DEFAULT_BIRD_SOCKET;
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
    struct service_config *service)
{
	struct announce_attributes *announce = &service->announce;
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

static void
config_parse_announce(struct config_build *build, json_t *service_object,
    struct service_config *service)
{
	struct config_parser *parser = &build->parser;
	struct announce_attributes *announce = &service->announce;
	json_t *object = config_get_object(parser, service_object, "announce");
	size_t saved;
	int64_t n;

	if (object == NULL)
		return;
	saved = config_path_push_key(parser, "announce");
	config_reject_unknown_keys(parser, object, config_announce_keys);
	config_parse_next_hop(parser, object, service);
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
config_parse_service(struct config_build *build, json_t *object,
    size_t index)
{
	struct config_parser *parser = &build->parser;
	struct service_config *service = &build->config->services[index];
	const char *path;

	service->timing = build->config->defaults;
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
		    config_timing_keys);
		config_parse_timing(parser, defaults, &config->defaults);
		config_path_pop(parser, saved);
	}
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
	struct announce_attributes *announce = &service->announce;

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
	free(announce->next_hop_ipv4);
	free(announce->next_hop_ipv6);
	free(announce->communities);
	free(announce->large_communities);
	free(announce->extended_communities);
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
	free(config->bird_socket);
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
