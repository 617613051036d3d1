/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: typed access to config JSON with precise error locations
 *
 * jansson does not keep the position of each value, so the parser keeps the
 * source text and, at the first problem it reports, indexes the text once
 * (where every value starts, where every line starts) to turn the path of
 * each problem into a line and column. Check types use these
 * helpers in their parse functions so every error reads the same way:
 * "FILE:LINE:COLUMN: services[0].checks[1].port: must be an integer between
 * 1 and 65535".
 *
 * The same getters record every value they accept into the parser's
 * canonical form (parser->canonical, a jansson object mirroring the current
 * JSON object), so what a reload compares is produced by the code that
 * reads the values: a key cannot be parsed and yet left out of the
 * comparison (see config_diff.c).
 */
#ifndef ANYCHECK_CONFIG_JSON_H
#define ANYCHECK_CONFIG_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define CONFIG_PATH_MAX 512

/* Where the values of one JSON text are (config_json.c). */
struct config_json_index;

struct config_parser {
	const char *file;
	const char *text;
	struct config_errors *errors;
	/* The positions of text, built at the first error; owned by whoever
	 * set it. NULL: each error scans the text on its own (fine for a few
	 * errors, as in a check type parsed outside a config). */
	struct config_json_index *positions;
	char path[CONFIG_PATH_MAX]; /* e.g. "services[0].checks[1]" */
	/* The canonical object of the JSON object being read: every getter
	 * that accepts a value records it here under its key. NULL: record
	 * nothing (a check type parsed outside a config, say). */
	json_t *canonical;
};

/* Where a descent into a sub-object started, to come back to. */
struct config_scope {
	size_t path_length;
	json_t *canonical;
};

/* Report a problem with key (NULL: the current object itself) under the
 * current path. Never fails; the message is appended to parser->errors. */
void config_error(struct config_parser *parser, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The same for a problem that does not fail the load: it goes to the
 * warnings of parser->errors. */
void config_warning(struct config_parser *parser, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Descend into a key or an index of the current path; restore with the
 * saved length returned. */
size_t config_path_push_key(struct config_parser *parser, const char *key);
size_t config_path_push_index(struct config_parser *parser, size_t index);
void config_path_pop(struct config_parser *parser, size_t saved_length);

/* Descend into the object at key: the error path gets ".key" and the
 * canonical form moves to its child object key (created when absent, kept
 * when inherited, so keys read below override inherited ones one by one).
 * Every parse of a sub-object's keys goes through this pair. */
struct config_scope config_scope_enter(struct config_parser *parser,
    const char *key);
void config_scope_leave(struct config_parser *parser,
    struct config_scope scope);
/* Record value (a new reference, stolen; NULL is ignored) under key of the
 * current canonical object, replacing what was there. For values read
 * without a getter, and for values normalised after reading. */
void config_canonical_set(struct config_parser *parser, const char *key,
    json_t *value);

/* Report every key of object not in allowed (NULL-terminated) as unknown.
 * Returns the number of unknown keys. */
int config_reject_unknown_keys(struct config_parser *parser, json_t *object,
    const char *const *allowed);

/* Typed getters. Each returns 1 when the key was present and valid (value
 * stored, and recorded in the canonical form), 0 when absent (*out
 * untouched), -1 when present but invalid (an error was reported).
 * "required" variants report absence as an error. Seconds are recorded as
 * reals, so 1 and 1.0 compare equal. */
int config_get_string(struct config_parser *parser, json_t *object,
    const char *key, bool required, const char **out);
int config_get_bool(struct config_parser *parser, json_t *object,
    const char *key, bool required, bool *out);
int config_get_integer(struct config_parser *parser, json_t *object,
    const char *key, bool required, int64_t min, int64_t max, int64_t *out);
/* Seconds: a JSON number (integer or real) within [min, max]. */
int config_get_seconds(struct config_parser *parser, json_t *object,
    const char *key, bool required, double min, double max, double *out);
/* An IPv4 or IPv6 address literal (no name: nothing is resolved): its
 * family (AF_INET, AF_INET6) and 16 bytes, network order (IPv4 in the
 * first 4). */
int config_get_address(struct config_parser *parser, json_t *object,
    const char *key, bool required, int *family, uint8_t address[16]);
/* An array of strings; *out is a NULL-terminated owned array (free with
 * config_free_strings), *count its length. */
int config_get_string_array(struct config_parser *parser, json_t *object,
    const char *key, bool required, char ***out, size_t *count);
void config_free_strings(char **strings);

/* Position of the value at a path like "services[0].checks[1].port" in a
 * JSON text (1-based line and column). Falls back to the closest existing
 * ancestor. Returns 0 on success, -1 if the text does not scan. One call
 * scans the whole text; for many, use an index. */
int config_json_locate(const char *text, const char *path, int *line,
    int *column);

/* An index of text (which must outlive it), built at the first
 * config_json_index_locate: then each lookup costs the depth of the path
 * (times the keys of the objects on it), not the size of the text. */
struct config_json_index *config_json_index_new(const char *text);
void config_json_index_free(struct config_json_index *index);
/* config_json_locate over the index. */
int config_json_index_locate(struct config_json_index *index,
    const char *path, int *line, int *column);

#endif
