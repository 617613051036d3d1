/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: typed access to config JSON with precise error locations
 *
 * jansson gives us values but not where they were in the file. Rather than
 * write a second JSON parser, errors carry the dotted path of the value
 * ("services[0].checks[1].port") and a small scanner turns that path into a
 * line and column. At the first error of a load the scanner indexes the
 * text once: where each value starts, each container's children in order,
 * where each line starts and how many characters precede every 4 KiB
 * block. Each error is then a walk down its path and a binary search, so a
 * file with thousands of errors costs one pass, not one pass per error
 * (and only the first CONFIG_ERRORS_MAX are located at all). A valid file
 * pays nothing. The scanner only has to handle text jansson accepted.
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
#include "prefix.h"

/* Longest key the locator compares; longer keys never match. */
#define CONFIG_JSON_KEY_MAX 256
/* Characters are counted once per block of this many bytes; a column costs
 * at most one block's scan. */
#define CONFIG_JSON_BLOCK 4096
#define CONFIG_JSON_NO_KEY UINT32_MAX

/* One value of the text. Offsets are 32-bit: a config is far smaller. */
struct config_json_node {
	uint32_t offset;        /* its first byte */
	uint32_t key_offset;    /* its key's '"' in an object, or NO_KEY */
	uint32_t first_child;   /* into children */
	uint32_t child_count;
};

struct config_json_index {
	const char *text;
	bool built;
	bool valid;             /* the text scanned */
	struct config_json_node *nodes;
	size_t node_count, node_capacity;
	/* The children of every container, each container's contiguous. */
	uint32_t *children;
	size_t child_count, child_capacity;
	/* Children of the containers being scanned (a stack). */
	uint32_t *pending;
	size_t pending_count, pending_capacity;
	uint32_t *line_starts;
	size_t line_count;
	/* Characters (not UTF-8 continuation bytes) before each block. */
	uint32_t *block_characters;
};

/* "FILE:LINE:COLUMN: path: what" for key (NULL: the current path). */
static char *
config_message(struct config_parser *parser, const char *key,
    const char *fmt, va_list ap)
{
	char path[CONFIG_PATH_MAX * 2];
	char *what, *message;
	int line, column;

	if (key == NULL)
		snprintf(path, sizeof(path), "%s", parser->path);
	else if (parser->path[0] == '\0')
		snprintf(path, sizeof(path), "%s", key);
	else
		snprintf(path, sizeof(path), "%s.%s", parser->path, key);

	if (vasprintf(&what, fmt, ap) < 0)
		fatalx("out of memory formatting a config error");

	if ((parser->positions != NULL ?
	    config_json_index_locate(parser->positions, path, &line,
	    &column) : config_json_locate(parser->text, path, &line,
	    &column)) == 0)
		message = xasprintf("%s:%d:%d: %s%s%s", parser->file, line,
		    column, path, path[0] != '\0' ? ": " : "", what);
	else
		message = xasprintf("%s: %s%s%s", parser->file, path,
		    path[0] != '\0' ? ": " : "", what);
	free(what);
	return message;
}

void
config_error(struct config_parser *parser, const char *key, const char *fmt,
    ...)
{
	va_list ap;

	/* Past the cap an error is only counted: formatting and locating
	 * it would cost time for a line nobody sees. */
	if (config_errors_full(parser->errors)) {
		config_errors_add(parser->errors, NULL);
		return;
	}
	va_start(ap, fmt);
	config_errors_add(parser->errors, config_message(parser, key, fmt,
	    ap));
	va_end(ap);
}

void
config_warning(struct config_parser *parser, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	if (parser->errors->warning_count >= CONFIG_ERRORS_MAX) {
		config_warnings_add(parser->errors, NULL);
		return;
	}
	va_start(ap, fmt);
	config_warnings_add(parser->errors, config_message(parser, key, fmt,
	    ap));
	va_end(ap);
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
config_get_address(struct config_parser *parser, json_t *object,
    const char *key, bool required, int *family, uint8_t address[16])
{
	const char *text;
	int found = config_get_string(parser, object, key, required, &text);

	if (found != 1)
		return found;
	if (address_parse(text, family, address) != 0) {
		config_error(parser, key, "must be an IPv4 or IPv6 address, "
		    "not \"%s\"", text);
		return -1;
	}
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

/* Make room for one more item in a growing array. */
static void
config_json_reserve(void **items, size_t *capacity, size_t count,
    size_t size)
{
	if (count < *capacity)
		return;
	*capacity = *capacity > 0 ? *capacity * 2 : 64;
	*items = xrealloc(*items, *capacity * size);
}

static uint32_t
config_json_add_node(struct config_json_index *index, size_t offset,
    uint32_t key_offset)
{
	config_json_reserve((void **)&index->nodes, &index->node_capacity,
	    index->node_count, sizeof(*index->nodes));
	index->nodes[index->node_count] = (struct config_json_node){
		.offset = (uint32_t)offset,
		.key_offset = key_offset,
	};
	return (uint32_t)index->node_count++;
}

/* Index the value at text[*pos] (no leading space) and everything in it,
 * leaving *pos after it; its node in *id. -1 on malformed text. Recursion
 * is bounded by jansson's nesting limit (the text passed jansson). */
static int
config_json_index_value(struct config_json_index *index, size_t *pos,
    uint32_t key_offset, uint32_t *id)
{
	const char *text = index->text;
	size_t p = *pos, first_pending;
	uint32_t node = config_json_add_node(index, p, key_offset);
	uint32_t count;
	char close;

	switch (text[p]) {
	case '"':
		if (config_json_scan_string(text, &p, NULL, 0, NULL) == -1)
			return -1;
		break;
	case '{':
	case '[':
		close = text[p] == '{' ? '}' : ']';
		first_pending = index->pending_count;
		p = config_json_skip_space(text, p + 1);
		while (text[p] != close) {
			uint32_t key = CONFIG_JSON_NO_KEY, child;

			if (close == '}') {
				key = (uint32_t)p;
				if (text[p] != '"' ||
				    config_json_scan_string(text, &p, NULL, 0,
				    NULL) == -1)
					return -1;
				p = config_json_skip_space(text, p);
				if (text[p] != ':')
					return -1;
				p = config_json_skip_space(text, p + 1);
			}
			if (config_json_index_value(index, &p, key,
			    &child) == -1)
				return -1;
			config_json_reserve((void **)&index->pending,
			    &index->pending_capacity, index->pending_count,
			    sizeof(*index->pending));
			index->pending[index->pending_count++] = child;
			p = config_json_skip_space(text, p);
			if (text[p] == ',')
				p = config_json_skip_space(text, p + 1);
			else if (text[p] != close)
				return -1;
		}
		p++;
		/* The children scanned above are the top of the stack. */
		count = (uint32_t)(index->pending_count - first_pending);
		while (index->child_count + count > index->child_capacity)
			config_json_reserve((void **)&index->children,
			    &index->child_capacity, index->child_capacity,
			    sizeof(*index->children));
		if (count > 0)
			memcpy(index->children + index->child_count,
			    index->pending + first_pending,
			    count * sizeof(*index->children));
		index->nodes[node].first_child = (uint32_t)index->child_count;
		index->nodes[node].child_count = count;
		index->child_count += count;
		index->pending_count = first_pending;
		break;
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
		break;
	}
	*pos = p;
	*id = node;
	return 0;
}

/* Line starts and characters per block, in one pass over the text. */
static void
config_json_index_lines(struct config_json_index *index, size_t length)
{
	size_t capacity = 0, characters = 0;

	index->block_characters = xcalloc(length / CONFIG_JSON_BLOCK + 1,
	    sizeof(*index->block_characters));
	config_json_reserve((void **)&index->line_starts, &capacity, 0,
	    sizeof(*index->line_starts));
	index->line_starts[index->line_count++] = 0;
	for (size_t i = 0; i < length; i++) {
		if (i % CONFIG_JSON_BLOCK == 0)
			index->block_characters[i / CONFIG_JSON_BLOCK] =
			    (uint32_t)characters;
		if (((unsigned char)index->text[i] & 0xc0) != 0x80)
			characters++;
		if (index->text[i] == '\n') {
			config_json_reserve((void **)&index->line_starts,
			    &capacity, index->line_count,
			    sizeof(*index->line_starts));
			index->line_starts[index->line_count++] =
			    (uint32_t)(i + 1);
		}
	}
}

static void
config_json_index_build(struct config_json_index *index)
{
	size_t length = strlen(index->text), pos;
	uint32_t root;

	index->built = true;
	if (length >= UINT32_MAX)
		return;
	pos = config_json_skip_space(index->text, 0);
	if (config_json_index_value(index, &pos, CONFIG_JSON_NO_KEY,
	    &root) == -1)
		return;
	free(index->pending);
	index->pending = NULL;
	index->pending_capacity = 0;
	config_json_index_lines(index, length);
	index->valid = true;
}

struct config_json_index *
config_json_index_new(const char *text)
{
	struct config_json_index *index = xcalloc(1, sizeof(*index));

	index->text = text;
	return index;
}

void
config_json_index_free(struct config_json_index *index)
{
	if (index == NULL)
		return;
	free(index->nodes);
	free(index->children);
	free(index->pending);
	free(index->line_starts);
	free(index->block_characters);
	free(index);
}

/* Characters (not bytes) before text[offset]. */
static size_t
config_json_characters_before(const struct config_json_index *index,
    size_t offset)
{
	size_t block = offset / CONFIG_JSON_BLOCK;
	size_t characters = index->block_characters[block];

	for (size_t i = block * CONFIG_JSON_BLOCK; i < offset; i++)
		if (((unsigned char)index->text[i] & 0xc0) != 0x80)
			characters++;
	return characters;
}

/* The child of object node with key, or NULL. */
static const struct config_json_node *
config_json_index_member(const struct config_json_index *index,
    const struct config_json_node *node, const char *key)
{
	char name[CONFIG_JSON_KEY_MAX];

	for (uint32_t i = 0; i < node->child_count; i++) {
		const struct config_json_node *child =
		    &index->nodes[index->children[node->first_child + i]];
		size_t p = child->key_offset;
		bool fits;

		if (config_json_scan_string(index->text, &p, name,
		    sizeof(name), &fits) == 0 && fits &&
		    strcmp(name, key) == 0)
			return child;
	}
	return NULL;
}

int
config_json_index_locate(struct config_json_index *index, const char *path,
    int *line, int *column)
{
	const struct config_json_node *node, *next;
	const char *p = path;
	size_t low, high;

	if (!index->built)
		config_json_index_build(index);
	if (!index->valid)
		return -1;
	node = &index->nodes[0];
	while (*p != '\0') {
		char opener = index->text[node->offset];

		if (*p == '[') {
			char *end;
			unsigned long long element = strtoull(p + 1, &end, 10);
			if (end == p + 1 || *end != ']')
				return -1;
			p = end + 1;
			if (opener != '[' || element >= node->child_count)
				break;
			next = &index->nodes[index->children[
			    node->first_child + element]];
		} else {
			char key[CONFIG_JSON_KEY_MAX];
			size_t length = strcspn(p, ".[");
			if (length >= sizeof(key))
				break;
			memcpy(key, p, length);
			key[length] = '\0';
			p += length;
			if (opener != '{')
				break;
			next = config_json_index_member(index, node, key);
			if (next == NULL)
				break;
		}
		node = next;
		if (*p == '.')
			p++;
	}

	/* The last line starting at or before the value. */
	low = 0;
	high = index->line_count;
	while (high - low > 1) {
		size_t middle = low + (high - low) / 2;
		if (index->line_starts[middle] <= node->offset)
			low = middle;
		else
			high = middle;
	}
	*line = (int)(low + 1);
	*column = (int)(config_json_characters_before(index, node->offset) -
	    config_json_characters_before(index, index->line_starts[low]) + 1);
	return 0;
}

int
config_json_locate(const char *text, const char *path, int *line,
    int *column)
{
	struct config_json_index *index;
	int result;

	if (text == NULL)
		return -1;
	index = config_json_index_new(text);
	result = config_json_index_locate(index, path, line, column);
	config_json_index_free(index);
	return result;
}
