/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: typed access to config JSON with precise error locations
 *
 * jansson gives us values but not where they were in the file. Rather than
 * write a second JSON parser, errors carry the dotted path of the value
 * ("services[0].checks[1].port") and config_json_locate() re-scans the
 * source text along that path to turn it into a line and column. The scan
 * only runs when there is an error to report, and it only has to handle text
 * jansson already accepted.
 *
 * The getters also record each value they accept into parser->canonical,
 * the canonical form a reload compares (config_diff.c): recording lives in
 * the one place every value passes through, so no parse function has to
 * remember to do it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "log.h"

/* Longest key the locator compares; longer keys never match. */
#define CONFIG_JSON_KEY_MAX 256

static void
config_errors_append(struct config_errors *errors, char *message)
{
	errors->messages = xrealloc(errors->messages,
	    (errors->count + 1) * sizeof(*errors->messages));
	errors->messages[errors->count++] = message;
}

void
config_error(struct config_parser *parser, const char *key, const char *fmt,
    ...)
{
	char path[CONFIG_PATH_MAX * 2];
	char *what, *message;
	int line, column;
	va_list ap;

	if (key == NULL)
		snprintf(path, sizeof(path), "%s", parser->path);
	else if (parser->path[0] == '\0')
		snprintf(path, sizeof(path), "%s", key);
	else
		snprintf(path, sizeof(path), "%s.%s", parser->path, key);

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		fatalx("out of memory formatting a config error");
	va_end(ap);

	if (config_json_locate(parser->text, path, &line, &column) == 0)
		message = xasprintf("%s:%d:%d: %s%s%s", parser->file, line,
		    column, path, path[0] != '\0' ? ": " : "", what);
	else
		message = xasprintf("%s: %s%s%s", parser->file, path,
		    path[0] != '\0' ? ": " : "", what);
	free(what);
	config_errors_append(parser->errors, message);
}

size_t
config_path_push_key(struct config_parser *parser, const char *key)
{
	size_t saved = strlen(parser->path);

	snprintf(parser->path + saved, sizeof(parser->path) - saved, "%s%s",
	    saved > 0 ? "." : "", key);
	return saved;
}

size_t
config_path_push_index(struct config_parser *parser, size_t index)
{
	size_t saved = strlen(parser->path);

	snprintf(parser->path + saved, sizeof(parser->path) - saved, "[%zu]",
	    index);
	return saved;
}

void
config_path_pop(struct config_parser *parser, size_t saved_length)
{
	if (saved_length < sizeof(parser->path))
		parser->path[saved_length] = '\0';
}

struct config_scope
config_scope_enter(struct config_parser *parser, const char *key)
{
	struct config_scope scope = {
		.path_length = config_path_push_key(parser, key),
		.canonical = parser->canonical,
	};
	json_t *child;

	if (parser->canonical != NULL) {
		child = json_object_get(parser->canonical, key);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(parser->canonical, key, child);
		}
		parser->canonical = child;
	}
	return scope;
}

void
config_scope_leave(struct config_parser *parser, struct config_scope scope)
{
	config_path_pop(parser, scope.path_length);
	parser->canonical = scope.canonical;
}

void
config_canonical_set(struct config_parser *parser, const char *key,
    json_t *value)
{
	if (value == NULL)
		return;
	if (parser->canonical == NULL) {
		json_decref(value);
		return;
	}
	json_object_set_new(parser->canonical, key, value);
}

int
config_reject_unknown_keys(struct config_parser *parser, json_t *object,
    const char *const *allowed)
{
	const char *key;
	json_t *value;
	int unknown = 0;

	json_object_foreach(object, key, value) {
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] != NULL)
			continue;

		char list[1024] = "";
		size_t used = 0;
		for (i = 0; allowed[i] != NULL && used < sizeof(list); i++) {
			int n = snprintf(list + used, sizeof(list) - used,
			    "%s%s", i > 0 ? ", " : "", allowed[i]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		config_error(parser, key, "unknown key \"%s\"; allowed: %s", key,
		    list);
		unknown++;
	}
	return unknown;
}

/* Common start of every getter: 0 absent, -1 required but absent, 1 found. */
static int
config_get_value(struct config_parser *parser, json_t *object,
    const char *key, bool required, json_t **value)
{
	*value = json_object_get(object, key);
	if (*value != NULL)
		return 1;
	if (!required)
		return 0;
	config_error(parser, key, "is required");
	return -1;
}

int
config_get_string(struct config_parser *parser, json_t *object,
    const char *key, bool required, const char **out)
{
	json_t *value;
	int found = config_get_value(parser, object, key, required, &value);

	if (found != 1)
		return found;
	if (!json_is_string(value)) {
		config_error(parser, key, "must be a string");
		return -1;
	}
	*out = json_string_value(value);
	config_canonical_set(parser, key, json_string(*out));
	return 1;
}

int
config_get_bool(struct config_parser *parser, json_t *object,
    const char *key, bool required, bool *out)
{
	json_t *value;
	int found = config_get_value(parser, object, key, required, &value);

	if (found != 1)
		return found;
	if (!json_is_boolean(value)) {
		config_error(parser, key, "must be true or false");
		return -1;
	}
	*out = json_is_true(value);
	config_canonical_set(parser, key, json_boolean(*out));
	return 1;
}

int
config_get_integer(struct config_parser *parser, json_t *object,
    const char *key, bool required, int64_t min, int64_t max, int64_t *out)
{
	json_t *value;
	int found = config_get_value(parser, object, key, required, &value);

	if (found != 1)
		return found;
	if (!json_is_integer(value) || json_integer_value(value) < min ||
	    json_integer_value(value) > max) {
		config_error(parser, key,
		    "must be an integer between %" PRId64 " and %" PRId64, min,
		    max);
		return -1;
	}
	*out = json_integer_value(value);
	config_canonical_set(parser, key, json_integer(*out));
	return 1;
}

int
config_get_seconds(struct config_parser *parser, json_t *object,
    const char *key, bool required, double min, double max, double *out)
{
	json_t *value;
	int found = config_get_value(parser, object, key, required, &value);

	if (found != 1)
		return found;
	if (!json_is_number(value) || json_number_value(value) < min ||
	    json_number_value(value) > max) {
		config_error(parser, key,
		    "must be a number of seconds between %g and %g", min, max);
		return -1;
	}
	*out = json_number_value(value);
	config_canonical_set(parser, key, json_real(*out));
	return 1;
}

int
config_get_string_array(struct config_parser *parser, json_t *object,
    const char *key, bool required, char ***out, size_t *count)
{
	json_t *value, *element;
	char **strings;
	size_t index, saved;
	int found = config_get_value(parser, object, key, required, &value);
	bool bad = false;

	if (found != 1)
		return found;
	if (!json_is_array(value)) {
		config_error(parser, key, "must be an array of strings");
		return -1;
	}
	strings = xcalloc(json_array_size(value) + 1, sizeof(*strings));
	saved = config_path_push_key(parser, key);
	json_array_foreach(value, index, element) {
		if (!json_is_string(element)) {
			size_t at = config_path_push_index(parser, index);
			config_error(parser, NULL, "must be a string");
			config_path_pop(parser, at);
			bad = true;
			continue;
		}
		strings[index] = xstrdup(json_string_value(element));
	}
	config_path_pop(parser, saved);
	if (bad) {
		for (index = 0; index < json_array_size(value); index++)
			free(strings[index]);
		free(strings);
		return -1;
	}
	*out = strings;
	*count = json_array_size(value);
	config_canonical_set(parser, key, json_deep_copy(value));
	return 1;
}

void
config_free_strings(char **strings)
{
	if (strings == NULL)
		return;
	for (char **s = strings; *s != NULL; s++)
		free(*s);
	free(strings);
}

/*
 * The locator: a scanner that skips JSON values without building them, and
 * descends only where the path says.
 */

static size_t
config_json_skip_space(const char *text, size_t pos)
{
	while (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' ||
	    text[pos] == '\r')
		pos++;
	return pos;
}

static int
config_json_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Scan the string at text[*pos] (a '"'), leaving *pos after it. If out is
 * given, decode into it; a string that does not fit yields "" and *fits
 * false. Returns -1 on malformed text. */
static int
config_json_scan_string(const char *text, size_t *pos, char *out,
    size_t size, bool *fits)
{
	size_t p = *pos + 1, n = 0;

	if (fits != NULL)
		*fits = true;
	while (text[p] != '"') {
		uint32_t codepoint;
		char utf8[4];
		size_t length = 1;

		if (text[p] == '\0')
			return -1;
		if (text[p] != '\\') {
			utf8[0] = text[p++];
		} else {
			p++;
			switch (text[p]) {
			case '"': case '\\': case '/':
				utf8[0] = text[p]; break;
			case 'b': utf8[0] = '\b'; break;
			case 'f': utf8[0] = '\f'; break;
			case 'n': utf8[0] = '\n'; break;
			case 'r': utf8[0] = '\r'; break;
			case 't': utf8[0] = '\t'; break;
			case 'u':
				codepoint = 0;
				for (int i = 1; i <= 4; i++) {
					int h = config_json_hex(text[p + i]);
					if (h < 0)
						return -1;
					codepoint = codepoint * 16 + (uint32_t)h;
				}
				p += 4;
				/* Surrogate pairs are not decoded: keys
				 * with them never match, which only costs
				 * precision, never correctness. */
				if (codepoint < 0x80) {
					utf8[0] = (char)codepoint;
				} else if (codepoint < 0x800) {
					utf8[0] = (char)(0xc0 | (codepoint >> 6));
					utf8[1] = (char)(0x80 | (codepoint & 0x3f));
					length = 2;
				} else {
					utf8[0] = (char)(0xe0 | (codepoint >> 12));
					utf8[1] = (char)(0x80 | ((codepoint >> 6) & 0x3f));
					utf8[2] = (char)(0x80 | (codepoint & 0x3f));
					length = 3;
				}
				break;
			default:
				return -1;
			}
			p++;
		}
		if (out != NULL) {
			if (n + length < size) {
				memcpy(out + n, utf8, length);
				n += length;
			} else {
				*fits = false;
			}
		}
	}
	if (out != NULL) {
		out[n] = '\0';
		if (!*fits)
			out[0] = '\0';
	}
	*pos = p + 1;
	return 0;
}

/* Skip the value at text[*pos] (no leading space), leaving *pos after it. */
static int
config_json_skip_value(const char *text, size_t *pos)
{
	size_t p = *pos;
	char close;

	switch (text[p]) {
	case '"':
		return config_json_scan_string(text, pos, NULL, 0, NULL);
	case '{':
	case '[':
		close = text[p] == '{' ? '}' : ']';
		p = config_json_skip_space(text, p + 1);
		if (text[p] == close) {
			*pos = p + 1;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				if (text[p] != '"' ||
				    config_json_scan_string(text, &p, NULL, 0,
				    NULL) == -1)
					return -1;
				p = config_json_skip_space(text, p);
				if (text[p] != ':')
					return -1;
				p = config_json_skip_space(text, p + 1);
			}
			if (config_json_skip_value(text, &p) == -1)
				return -1;
			p = config_json_skip_space(text, p);
			if (text[p] == close) {
				*pos = p + 1;
				return 0;
			}
			if (text[p] != ',')
				return -1;
			p = config_json_skip_space(text, p + 1);
		}
	case '\0':
		return -1;
	default:
		/* Numbers, true, false, null. */
		while (text[p] != '\0' && text[p] != ',' && text[p] != '}' &&
		    text[p] != ']' && text[p] != ' ' && text[p] != '\t' &&
		    text[p] != '\n' && text[p] != '\r')
			p++;
		if (p == *pos)
			return -1;
		*pos = p;
		return 0;
	}
}

/* Find member key of the object at text[pos]; 1 found (*value_pos set),
 * 0 not found, -1 malformed. */
static int
config_json_find_member(const char *text, size_t pos, const char *key,
    size_t *value_pos)
{
	char name[CONFIG_JSON_KEY_MAX];
	bool fits;
	size_t p = config_json_skip_space(text, pos + 1);

	if (text[p] == '}')
		return 0;
	for (;;) {
		if (text[p] != '"' || config_json_scan_string(text, &p, name,
		    sizeof(name), &fits) == -1)
			return -1;
		p = config_json_skip_space(text, p);
		if (text[p] != ':')
			return -1;
		p = config_json_skip_space(text, p + 1);
		if (fits && strcmp(name, key) == 0) {
			*value_pos = p;
			return 1;
		}
		if (config_json_skip_value(text, &p) == -1)
			return -1;
		p = config_json_skip_space(text, p);
		if (text[p] == '}')
			return 0;
		if (text[p] != ',')
			return -1;
		p = config_json_skip_space(text, p + 1);
	}
}

/* Find element index of the array at text[pos]; like find_member. */
static int
config_json_find_element(const char *text, size_t pos, size_t index,
    size_t *value_pos)
{
	size_t p = config_json_skip_space(text, pos + 1);

	if (text[p] == ']')
		return 0;
	for (size_t i = 0;; i++) {
		if (i == index) {
			*value_pos = p;
			return 1;
		}
		if (config_json_skip_value(text, &p) == -1)
			return -1;
		p = config_json_skip_space(text, p);
		if (text[p] == ']')
			return 0;
		if (text[p] != ',')
			return -1;
		p = config_json_skip_space(text, p + 1);
	}
}

int
config_json_locate(const char *text, const char *path, int *line,
    int *column)
{
	size_t pos, next;
	const char *p = path;
	int found;

	if (text == NULL)
		return -1;
	pos = config_json_skip_space(text, 0);
	if (text[pos] == '\0')
		return -1;
	while (*p != '\0') {
		if (*p == '[') {
			char *end;
			unsigned long long index = strtoull(p + 1, &end, 10);
			if (end == p + 1 || *end != ']')
				return -1;
			p = end + 1;
			if (text[pos] != '[')
				break;
			found = config_json_find_element(text, pos,
			    (size_t)index, &next);
		} else {
			char key[CONFIG_JSON_KEY_MAX];
			size_t length = strcspn(p, ".[");
			if (length >= sizeof(key))
				break;
			memcpy(key, p, length);
			key[length] = '\0';
			p += length;
			if (text[pos] != '{')
				break;
			found = config_json_find_member(text, pos, key, &next);
		}
		if (found == -1)
			return -1;
		if (found == 0)
			break;
		pos = next;
		if (*p == '.')
			p++;
	}

	*line = 1;
	*column = 1;
	for (size_t i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			/* Count characters, not UTF-8 continuation bytes. */
			(*column)++;
		}
	}
	return 0;
}
