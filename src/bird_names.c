/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD protocol names
 *
 * A service's protocols are named, per family, by (first match wins) its
 * bird.protocol_ipv4 / protocol_ipv6, else bird.protocol + "_v4" / "_v6",
 * else "anycheck_" + its name ('-' becoming '_') + "_v4" / "_v6". The
 * variants append "_drain", "_down", "_disabled" or "_degraded"
 * (bird_include.c); a
 * "protocol" base is therefore limited to 61 characters so that its
 * "_v4"/"_v6" names fit BIRD's 64, and the variants' lengths are checked
 * when the include file is written (bird_include_check). BIRD needs every
 * protocol name to be unique in its configuration: a clash between two
 * services, or between the families of one, is a config error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bird_include.h"
#include "bird_names.h"
#include "config.h"
#include "config_json.h"
#include "log.h"
#include "name_index.h"

static const char *const bird_names_service_keys[] = {
	"protocol", "protocol_ipv4", "protocol_ipv6", NULL,
};

bool
bird_symbol_valid(const char *name, size_t max)
{
	if (!((name[0] >= 'A' && name[0] <= 'Z') ||
	    (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	if (strlen(name) > max)
		return false;
	return name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0';
}

bool
bird_protocol_name_valid(const char *name)
{
	return name != NULL && bird_symbol_valid(name, BIRD_SYMBOL_MAX);
}

/* Read a BIRD symbol at key; 1 valid, 0 absent, -1 reported. */
static int
bird_names_get_symbol(struct config_parser *parser, json_t *object,
    const char *key, size_t max, const char **out)
{
	int found = config_get_string(parser, object, key, false, out);

	if (found != 1)
		return found;
	if (!bird_symbol_valid(*out, max)) {
		config_error(parser, key, "must be a letter or '_' followed by "
		    "letters, digits or '_', at most %zu characters", max);
		return -1;
	}
	return 1;
}

/* "anycheck_<name>_v4" and "_v6", '-' becoming '_'. */
static void
bird_names_defaults(const char *service_name, char *names[2])
{
	char *base = xasprintf("anycheck_%s", service_name);

	for (char *c = base; *c != '\0'; c++)
		if (*c == '-')
			*c = '_';
	names[0] = xasprintf("%s_v4", base);
	names[1] = xasprintf("%s_v6", base);
	free(base);
}

/* The "bird" block of a service over the default names. */
static void
bird_names_parse_block(struct config_parser *parser, json_t *object,
    char *names[2], const char *sources[2])
{
	struct config_scope scope = config_scope_enter(parser, "bird");
	const char *text;

	config_reject_unknown_keys(parser, object, bird_names_service_keys);
	if (bird_names_get_symbol(parser, object, "protocol",
	    BIRD_SYMBOL_MAX - 3, &text) == 1) {
		for (int i = 0; i < 2; i++) {
			free(names[i]);
			names[i] = xasprintf("%s_v%d", text, i == 0 ? 4 : 6);
			sources[i] = "bird.protocol";
		}
	}
	for (int i = 0; i < 2; i++) {
		const char *key = bird_names_service_keys[i + 1];
		if (bird_names_get_symbol(parser, object, key,
		    BIRD_SYMBOL_MAX, &text) != 1)
			continue;
		free(names[i]);
		names[i] = xstrdup(text);
		sources[i] = i == 0 ? "bird.protocol_ipv4" :
		    "bird.protocol_ipv6";
	}
	config_scope_leave(parser, scope);
}

void
bird_names_parse_service(struct config_parser *parser,
    json_t *service_object, struct service_config *service, size_t index,
    struct name_index *protocols)
{
	/* Where each name came from (a key under the service), for errors. */
	const char *sources[2] = { "name", "name" };
	char *names[2] = { NULL, NULL };
	json_t *object = json_object_get(service_object, "bird");

	if (service->name != NULL)
		bird_names_defaults(service->name, names);
	if (object != NULL && !json_is_object(object))
		config_error(parser, "bird", "must be an object");
	else if (object != NULL)
		bird_names_parse_block(parser, object, names, sources);
	service->bird_protocol_ipv4 = names[0];
	service->bird_protocol_ipv6 = names[1];

	if (names[0] != NULL && names[1] != NULL &&
	    strcmp(names[0], names[1]) == 0) {
		config_error(parser, sources[1],
		    "BIRD protocol name \"%s\" is used for both IPv4 and IPv6",
		    names[1]);
		name_index_put(protocols, names[0],
		    (void *)(uintptr_t)(index + 1));
		return;
	}
	for (int i = 0; i < 2; i++) {
		uintptr_t taken;

		if (names[i] == NULL)
			continue;
		taken = (uintptr_t)name_index_get(protocols, names[i]);
		if (taken != 0) {
			config_error(parser, sources[i],
			    "BIRD protocol name \"%s\" is already used by "
			    "services[%zu]", names[i], (size_t)(taken - 1));
			continue;
		}
		name_index_put(protocols, names[i],
		    (void *)(uintptr_t)(index + 1));
	}
}

#define BIRD_NAMES_DEFAULT_PREFIX "anycheck_"

/* Does name end with suffix? Sets *rest to the length before it. */
static bool
bird_names_ends_with(const char *name, size_t length, const char *suffix,
    size_t *rest)
{
	size_t suffix_length = strlen(suffix);

	if (length < suffix_length ||
	    memcmp(name + length - suffix_length, suffix, suffix_length) != 0)
		return false;
	*rest = length - suffix_length;
	return true;
}

bool
bird_names_default_form(const char *name)
{
	size_t prefix = strlen(BIRD_NAMES_DEFAULT_PREFIX);
	size_t length;

	if (!bird_protocol_name_valid(name) ||
	    strncmp(name, BIRD_NAMES_DEFAULT_PREFIX, prefix) != 0)
		return false;
	length = strlen(name);
	for (int v = 0; v < BIRD_VARIANT_COUNT; v++) {
		size_t base, middle;

		if (!bird_names_ends_with(name, length,
		    bird_variant_suffix((enum bird_variant)v), &base))
			continue;
		/* A service name of at least one character before it. */
		if ((bird_names_ends_with(name, base, "_v4", &middle) ||
		    bird_names_ends_with(name, base, "_v6", &middle)) &&
		    middle > prefix)
			return true;
	}
	return false;
}

/* Skip blanks; then, if text starts with word followed by a blank, skip
 * it too. */
static bool
bird_names_take_word(const char **cursor, const char *word)
{
	const char *p = *cursor;
	size_t length = strlen(word);

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, word, length) != 0 ||
	    (p[length] != ' ' && p[length] != '\t'))
		return false;
	*cursor = p + length;
	return true;
}

size_t
bird_names_each_declared(const char *text,
    void (*each)(const char *name, void *arg), void *arg)
{
	size_t found = 0;

	while (*text != '\0') {
		const char *line_end = strchr(text, '\n');
		const char *cursor = text;
		char name[BIRD_SYMBOL_MAX + 1];
		size_t length;

		if (line_end == NULL)
			line_end = text + strlen(text);
		if (bird_names_take_word(&cursor, "protocol") &&
		    bird_names_take_word(&cursor, "static")) {
			while (*cursor == ' ' || *cursor == '\t')
				cursor++;
			length = strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789_");
			if (length > 0 && length <= BIRD_SYMBOL_MAX &&
			    cursor + length <= line_end) {
				memcpy(name, cursor, length);
				name[length] = '\0';
				if (bird_protocol_name_valid(name)) {
					each(name, arg);
					found++;
				}
			}
		}
		text = *line_end == '\0' ? line_end : line_end + 1;
	}
	return found;
}
