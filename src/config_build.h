/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what the config loader's files share while building a config
 *
 * Internal to config_parse.c and config_attributes.c: the state of one load
 * and the functions one file calls in the other. Nothing outside the loader
 * includes this.
 */
#ifndef ANYCHECK_CONFIG_BUILD_H
#define ANYCHECK_CONFIG_BUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "config_json.h"
#include "name_index.h"

#define CONFIG_AS_PATH_PREPEND_MAX 32

/* One load in progress. */
struct config_build {
	struct config_parser parser;
	struct config *config;
	bool local_as_given;    /* even if invalid: avoids a second error */
	/* The canonical form of what every service inherits (local_as,
	 * drain_on_exit, on_exit, the defaults block): each service's
	 * canonical form starts as a copy of it. */
	json_t *inherited;
	/* BIRD protocol names taken so far (bird_names.c). */
	struct name_index bird_protocols;
	/* Canonical prefix text -> the struct service_config announcing it:
	 * a prefix belongs to one service. */
	struct name_index prefixes;
};

/* The object at key of parent, or NULL when absent; reported (NULL) when
 * present and not an object. */
json_t *config_get_object(struct config_parser *parser, json_t *parent,
    const char *key);

/* Parse each string of the array at key with parse(text, item) into a new
 * array of items item_size apart; NULL when the key is absent or broken. */
void *config_parse_attribute_list(struct config_parser *parser,
    json_t *object, const char *key, const char *noun, const char *expected,
    size_t *count, size_t item_size, int (*parse)(const char *, void *));
/* community_parse for config_parse_attribute_list. */
int config_parse_community(const char *text, void *out);

/* A service's "announce" block into service->announce. */
void config_parse_announce(struct config_build *build,
    json_t *service_object, struct service_config *service);
/* "down" or "disabled": "withdraw" (the default) or an attribute set. */
void config_parse_state_announce(struct config_build *build,
    json_t *service_object, const char *key,
    const struct service_config *service, struct state_announce *out);
/* "last_resort": an attribute set (never "withdraw"); out->announced
 * tells whether the service has one. */
void config_parse_last_resort(struct config_build *build,
    json_t *service_object, const struct service_config *service,
    struct state_announce *out);
/* service->drain_announce from its announce and drain blocks. */
void config_build_drain_announce(struct service_config *service);
void config_announce_free(struct announce_attributes *announce);

/* The top-level "metrics" and "hooks" blocks (config_ops.c), and freeing
 * what they hold. */
void config_parse_ops(struct config_parser *parser, json_t *root,
    struct config *config);
void config_ops_free(struct config *config);

/* A copy of count items of size bytes; NULL for none. */
void *config_memdup(const void *data, size_t count, size_t size);

#endif
