/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control protocol (implementation)
 *
 * Requests are checked completely before anything runs: unknown members
 * are errors (as in the config), every value is bounded, and the error
 * reply names the member and what it must be.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_protocol.h"
#include "log.h"
#include "prefix.h"

static const char *const control_command_names[CONTROL_COMMAND_COUNT] = {
	[CONTROL_COMMAND_STATUS] = "status",
	[CONTROL_COMMAND_MAINTENANCE] = "maintenance",
	[CONTROL_COMMAND_CHECK] = "check",
	[CONTROL_COMMAND_RELOAD] = "reload",
	[CONTROL_COMMAND_DUMP] = "dump",
	[CONTROL_COMMAND_VERSION] = "version",
	[CONTROL_COMMAND_SHIFT] = "shift",
};

/* The members each command accepts besides "version" and "command". */
static const char *const control_command_members[CONTROL_COMMAND_COUNT][8] = {
	[CONTROL_COMMAND_STATUS] = { "services" },
	[CONTROL_COMMAND_MAINTENANCE] = { "service", "on", "reason" },
	[CONTROL_COMMAND_CHECK] = { "service" },
	[CONTROL_COMMAND_RELOAD] = { NULL },
	[CONTROL_COMMAND_DUMP] = { "format" },
	[CONTROL_COMMAND_VERSION] = { NULL },
	[CONTROL_COMMAND_SHIFT] = { "service", "clear", "med", "prepend",
	    "communities", "for" },
};

const char *
control_command_name(enum control_command command)
{
	return command < CONTROL_COMMAND_COUNT ?
	    control_command_names[command] : "?";
}

json_t *
control_reply_ok(enum control_command command)
{
	return json_pack("{s:i, s:b, s:s}", "version",
	    CONTROL_PROTOCOL_VERSION, "ok", 1, "command",
	    control_command_name(command));
}

json_t *
control_reply_error(const char *code, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return json_pack("{s:i, s:b, s:s, s:s}", "version",
	    CONTROL_PROTOCOL_VERSION, "ok", 0, "code", code, "error",
	    message);
}

char *
control_reply_render(json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *line;

	json_decref(reply);
	if (text == NULL)
		fatalx("out of memory");
	line = xasprintf("%s\n", text);
	free(text);
	return line;
}

static bool
control_member_known(enum control_command command, const char *key)
{
	if (strcmp(key, "version") == 0 || strcmp(key, "command") == 0)
		return true;
	for (size_t i = 0; i < 8 && control_command_members[command][i] !=
	    NULL; i++)
		if (strcmp(control_command_members[command][i], key) == 0)
			return true;
	return false;
}

/* A service name as the config allows it (so it cannot carry anything
 * odd into logs). */
static bool
control_name_valid(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > 48)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

static int
control_get_service(json_t *root, const char **out, json_t **error)
{
	json_t *value = json_object_get(root, "service");

	if (!json_is_string(value)) {
		*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
		    "\"service\" must be a service name");
		return -1;
	}
	if (!control_name_valid(json_string_value(value))) {
		*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
		    "\"service\" is not a valid service name (1..48 "
		    "characters of A-Z a-z 0-9 _ -)");
		return -1;
	}
	*out = json_string_value(value);
	return 0;
}

static int
control_community_text_parse(const char *text, struct community *out)
{
	if (decimal_has_leading_zero(text))
		return -1;
	return community_parse(text, out);
}

int
control_shift_from_json(const json_t *object, struct supervisor_shift *out,
    char *why, size_t why_size)
{
	json_t *med = json_object_get(object, "med");
	json_t *prepend = json_object_get(object, "prepend");
	json_t *communities = json_object_get(object, "communities");
	json_t *item;
	size_t index;

	memset(out, 0, sizeof(*out));
	if (med != NULL) {
		if (!json_is_integer(med) || json_integer_value(med) < 0 ||
		    json_integer_value(med) > UINT32_MAX) {
			snprintf(why, why_size, "\"med\" must be an integer "
			    "between 0 and 4294967295");
			return -1;
		}
		out->has_med = true;
		out->med = (uint32_t)json_integer_value(med);
	}
	if (prepend != NULL) {
		if (!json_is_integer(prepend) || json_integer_value(prepend) <
		    0 || json_integer_value(prepend) >
		    SUPERVISOR_SHIFT_PREPEND_MAX) {
			snprintf(why, why_size, "\"prepend\" must be an "
			    "integer between 0 and %d",
			    SUPERVISOR_SHIFT_PREPEND_MAX);
			return -1;
		}
		out->has_as_path_prepend = true;
		out->as_path_prepend = (unsigned)json_integer_value(prepend);
	}
	if (communities != NULL) {
		if (!json_is_array(communities) || json_array_size(communities)
		    > CONFIG_COMMUNITIES_MAX) {
			snprintf(why, why_size, "\"communities\" must be a "
			    "list of at most %d communities",
			    CONFIG_COMMUNITIES_MAX);
			return -1;
		}
		out->communities = xcalloc(json_array_size(communities) + 1,
		    sizeof(*out->communities));
		json_array_foreach(communities, index, item) {
			if (!json_is_string(item) ||
			    control_community_text_parse(
			    json_string_value(item),
			    &out->communities[out->community_count]) != 0) {
				snprintf(why, why_size, "\"communities\"[%zu] "
				    "must be a community \"ASN:VALUE\" (each "
				    "0..65535, no leading zeros)", index);
				free(out->communities);
				memset(out, 0, sizeof(*out));
				return -1;
			}
			out->community_count++;
		}
	}
	if (!out->has_med && !out->has_as_path_prepend &&
	    out->community_count == 0) {
		snprintf(why, why_size, "a shift needs \"med\", \"prepend\" or "
		    "\"communities\"");
		free(out->communities);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

json_t *
control_shift_to_json(const struct supervisor_shift *shift)
{
	json_t *object = json_object();

	if (shift->has_med)
		json_object_set_new(object, "med", json_integer(shift->med));
	if (shift->has_as_path_prepend)
		json_object_set_new(object, "prepend",
		    json_integer(shift->as_path_prepend));
	if (shift->community_count > 0) {
		json_t *list = json_array();
		for (size_t i = 0; i < shift->community_count; i++)
			json_array_append_new(list, json_sprintf("%u:%u",
			    shift->communities[i].asn,
			    shift->communities[i].value));
		json_object_set_new(object, "communities", list);
	}
	return object;
}

void
control_shift_describe(const struct supervisor_shift *shift, char *out,
    size_t size)
{
	size_t length = 0;

	out[0] = '\0';
	if (shift->has_med)
		length += (size_t)snprintf(out + length, size - length,
		    "med %u", shift->med);
	if (shift->has_as_path_prepend && length < size)
		length += (size_t)snprintf(out + length, size - length,
		    "%sprepend %u", length > 0 ? ", " : "",
		    shift->as_path_prepend);
	for (size_t i = 0; i < shift->community_count && length < size; i++)
		length += (size_t)snprintf(out + length, size - length,
		    "%s%u:%u", i == 0 ? (length > 0 ? ", communities " :
		    "communities ") : " ", shift->communities[i].asn,
		    shift->communities[i].value);
}

/* Printable text without control characters (it goes into logs). */
static bool
control_text_printable(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	    p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int
control_parse_members(struct control_request *request, json_t **error)
{
	json_t *root = request->root, *value;
	char why[256];
	size_t index;

	switch (request->command) {
	case CONTROL_COMMAND_STATUS:
		value = json_object_get(root, "services");
		if (value == NULL)
			return 0;
		if (!json_is_array(value) || json_array_size(value) >
		    CONFIG_SERVICES_MAX) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "\"services\" must be a list of service names");
			return -1;
		}
		request->services = xcalloc(json_array_size(value) + 1,
		    sizeof(*request->services));
		for (index = 0; index < json_array_size(value); index++) {
			json_t *name = json_array_get(value, index);
			if (!json_is_string(name) ||
			    !control_name_valid(json_string_value(name))) {
				*error = control_reply_error(
				    CONTROL_ERROR_BAD_REQUEST, "\"services\"[%zu]"
				    " is not a valid service name", index);
				return -1;
			}
			request->services[request->service_count++] =
			    json_string_value(name);
		}
		return 0;
	case CONTROL_COMMAND_MAINTENANCE:
		if (control_get_service(root, &request->service, error) != 0)
			return -1;
		value = json_object_get(root, "on");
		if (!json_is_boolean(value)) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "\"on\" must be true or false");
			return -1;
		}
		request->on = json_is_true(value);
		value = json_object_get(root, "reason");
		request->reason = "";
		if (value == NULL)
			return 0;
		if (!json_is_string(value) || json_string_length(value) >
		    CONTROL_REASON_MAX || !control_text_printable(
		    json_string_value(value))) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "\"reason\" must be text of at most %d characters "
			    "without control characters", CONTROL_REASON_MAX);
			return -1;
		}
		request->reason = json_string_value(value);
		return 0;
	case CONTROL_COMMAND_CHECK:
		return control_get_service(root, &request->service, error);
	case CONTROL_COMMAND_DUMP:
		value = json_object_get(root, "format");
		if (value != NULL && (!json_is_string(value) ||
		    (strcmp(json_string_value(value), "json") != 0 &&
		    strcmp(json_string_value(value), "text") != 0))) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "\"format\" must be \"json\" or \"text\"");
			return -1;
		}
		request->text = value != NULL &&
		    strcmp(json_string_value(value), "text") == 0;
		return 0;
	case CONTROL_COMMAND_SHIFT:
		if (control_get_service(root, &request->service, error) != 0)
			return -1;
		value = json_object_get(root, "clear");
		if (value != NULL && !json_is_boolean(value)) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "\"clear\" must be true or false");
			return -1;
		}
		if (json_is_true(value)) {
			if (json_object_size(root) != 4) {
				*error = control_reply_error(
				    CONTROL_ERROR_BAD_REQUEST, "\"clear\" "
				    "takes no other shift member");
				return -1;
			}
			request->clear = true;
			return 0;
		}
		if (control_shift_from_json(root, &request->shift, why,
		    sizeof(why)) != 0) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "%s", why);
			return -1;
		}
		value = json_object_get(root, "for");
		if (value != NULL && (!json_is_number(value) ||
		    !(json_number_value(value) > 0) ||
		    json_number_value(value) > CONTROL_SHIFT_FOR_MAX)) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "\"for\" must be a number of seconds above 0 and "
			    "at most %.0f (a year)", CONTROL_SHIFT_FOR_MAX);
			return -1;
		}
		request->for_seconds = value != NULL ?
		    json_number_value(value) : 0;
		return 0;
	default:
		return 0;
	}
}

int
control_request_parse(const char *line, size_t length,
    struct control_request *request, json_t **error)
{
	json_error_t json_error;
	json_t *version, *command;
	const char *key;
	json_t *value;

	memset(request, 0, sizeof(*request));
	*error = NULL;
	if (length > CONTROL_REQUEST_MAX) {
		*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
		    "request longer than %d bytes", CONTROL_REQUEST_MAX);
		return -1;
	}
	request->root = json_loadb(line, length, JSON_REJECT_DUPLICATES,
	    &json_error);
	if (request->root == NULL || !json_is_object(request->root)) {
		*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
		    "not a JSON object: %s", request->root == NULL ?
		    json_error.text : "another JSON value");
		goto fail;
	}
	version = json_object_get(request->root, "version");
	if (!json_is_integer(version)) {
		*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
		    "\"version\" must be an integer (this daemon speaks "
		    "version %d)", CONTROL_PROTOCOL_VERSION);
		goto fail;
	}
	if (json_integer_value(version) != CONTROL_PROTOCOL_VERSION) {
		*error = control_reply_error(CONTROL_ERROR_VERSION, "protocol "
		    "version %" JSON_INTEGER_FORMAT " is not spoken here; this "
		    "daemon speaks version %d", json_integer_value(version),
		    CONTROL_PROTOCOL_VERSION);
		goto fail;
	}
	command = json_object_get(request->root, "command");
	if (!json_is_string(command)) {
		*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
		    "\"command\" must be a string");
		goto fail;
	}
	for (request->command = 0; request->command < CONTROL_COMMAND_COUNT;
	    request->command++)
		if (strcmp(json_string_value(command),
		    control_command_names[request->command]) == 0)
			break;
	if (request->command == CONTROL_COMMAND_COUNT) {
		*error = control_reply_error(CONTROL_ERROR_UNKNOWN_COMMAND,
		    "unknown command \"%.64s\" (this daemon knows: status, "
		    "maintenance, check, reload, dump, version, shift)",
		    json_string_value(command));
		goto fail;
	}
	json_object_foreach(request->root, key, value)
		if (!control_member_known(request->command, key)) {
			*error = control_reply_error(CONTROL_ERROR_BAD_REQUEST,
			    "unknown member \"%.64s\" for %s", key,
			    control_command_names[request->command]);
			goto fail;
		}
	if (control_parse_members(request, error) != 0)
		goto fail;
	return 0;
fail:
	control_request_clear(request);
	return -1;
}

void
control_request_clear(struct control_request *request)
{
	free(request->services);
	free(request->shift.communities);
	json_decref(request->root);
	memset(request, 0, sizeof(*request));
}
