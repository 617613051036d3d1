/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: configuration
 *
 * The JSON config shared by every anycheck program, parsed with jansson into
 * plain structs. Loading goes parse -> validate -> build; the running daemon
 * swaps in a new config only when all of that succeeded, so a bad file never
 * disturbs what is running. Every problem is reported as
 * "FILE:LINE:COLUMN: path.to.key: what is wrong" and all problems of a file
 * are reported at once.
 *
 * Where things live: config_parse.c reads the JSON into these structs
 * (defaults, inheritance, validation), config_attributes.c the BGP
 * attribute sets, config_diff.c compares configs for reloads, config_json.c
 * holds the typed getters, error locations and canonical-form recording
 * shared with the check types, and bird_names.c the BIRD protocol naming
 * rules.
 */
#ifndef ANYCHECK_CONFIG_H
#define ANYCHECK_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name_index.h"
#include "prefix.h"

struct check_ops;

/* The BGP attributes a prefix is announced with. */
struct announce_attributes {
	/* NULL means "self". Otherwise an address of that family. */
	char *next_hop_ipv4;
	char *next_hop_ipv6;
	bool has_med;
	uint32_t med;
	bool has_local_preference;
	uint32_t local_preference;
	struct community *communities;
	size_t community_count;
	struct large_community *large_communities;
	size_t large_community_count;
	struct extended_community *extended_communities;
	size_t extended_community_count;
	unsigned as_path_prepend;   /* copies of the top-level local_as */
	bool has_path_id;
	uint32_t path_id;
};

/* What a check's failure says about the site (docs/health.md, "Failure
 * scope"): something of this site's (a failure withdraws it), or something
 * every site depends on (a shared database, an upstream API: while only
 * such checks fail the service stays announced with its last_resort). */
enum check_scope {
	CHECK_SCOPE_LOCAL,
	CHECK_SCOPE_GLOBAL,
};

/* One check of a service, as configured. ops->parse fills in data. */
struct check_config {
	const struct check_ops *ops;
	char *description;   /* short human text, e.g. "http GET http://..." */
	double timeout;      /* seconds; inherited from service/defaults */
	/* A failure is certain: one failed run, or one failure event of a
	 * watch, takes the service DOWN at once (health_fail_certain). */
	bool immediate;
	enum check_scope scope;     /* "scope"; default local */
	void *data;          /* type-specific, owned, freed by ops->free_config */
};

enum require_policy {
	REQUIRE_ALL,
	REQUIRE_ANY,
	REQUIRE_AT_LEAST,   /* require_count checks must pass */
};

struct timing_config {
	double interval;
	double fast_interval;
	double timeout;
	unsigned rise;
	unsigned fall;
	/* Anti-flap (see health.h): seconds. */
	double hold_down;
	double flap_window;
	double hold_down_max;
};

/* How a service is announced in one state: withdrawn, or with attributes. */
struct state_announce {
	bool announced;             /* false: "withdraw" */
	struct announce_attributes attributes;
};

/* The planned withdraw of a service (see docs/health.md, "Draining and maintenance"). */
struct drain_config {
	double seconds;             /* longest drain; 0: withdraw at once */
	double min_seconds;         /* shortest drain ended by connections */
	bool has_med;
	uint32_t med;
	bool has_as_path_prepend;
	unsigned as_path_prepend;
	struct community *communities;  /* added to the UP communities */
	size_t community_count;
	bool has_connections;       /* end early on few connections */
	long connections_max;
	uint16_t *ports;            /* none: any port */
	size_t port_count;
};

enum on_exit_action {
	ON_EXIT_WITHDRAW,
	ON_EXIT_KEEP,
};

struct service_config {
	char *name;
	struct prefix *prefixes;
	size_t prefix_count;
	struct check_config *checks;
	size_t check_count;
	enum require_policy require;
	unsigned require_count;
	struct timing_config timing;
	char *maintenance_file;     /* NULL when not configured */
	struct announce_attributes announce;
	struct state_announce down;         /* DOWN, INIT, RISING */
	struct state_announce disabled;     /* DISABLED */
	/* DEGRADED (only global checks fail); announced is false without
	 * one, which the loader allows only without global checks. */
	struct state_announce last_resort;
	struct drain_config drain;
	/* announce + 65535:0 + the drain block's attributes. */
	struct announce_attributes drain_announce;
	bool drain_on_exit;
	enum on_exit_action on_exit;
	char **exabgp_neighbors;
	size_t exabgp_neighbor_count;
	/* BIRD static protocol names per family (bird_names.c). */
	char *bird_protocol_ipv4;
	char *bird_protocol_ipv6;
	/* Every value the loader read for this service, after defaults and
	 * inheritance (local_as included), as compact JSON with sorted keys:
	 * what config_service_equal compares. NULL when not loaded from a
	 * file (then it equals nothing). See config_diff.c. */
	char *canonical;
};

struct config {
	char *path;
	bool has_local_as;
	uint32_t local_as;
	struct timing_config defaults;
	struct drain_config default_drain;  /* "defaults.drain" */
	bool drain_on_exit;                 /* top level, services inherit */
	enum on_exit_action on_exit;
	char *bird_socket;          /* default /run/bird/bird.ctl */
	double bird_verify_interval; /* seconds between drift checks */
	char *bird_include_file;    /* NULL: the operator runs -g */
	char *control_socket;       /* NULL: the program's default */
	char *control_group;        /* NULL: the daemon's own group */
	char *state_directory;      /* default /var/lib/anycheck */
	/* Operations (config_ops.c): metrics listener ("127.0.0.1:9642",
	 * NULL: none), node_exporter textfile (NULL: none) and how often it
	 * is written; the state change hook (argv, NULL: none) and its time
	 * bound. */
	char *metrics_listen;
	char *metrics_textfile;
	double metrics_textfile_interval;
	char **hook_on_change;
	double hook_timeout;
	struct service_config *services;
	size_t service_count;
	/* Service name -> struct service_config *, for lookups by name. */
	struct name_index service_index;
	/* The top-level keys that do not flow into services, flattened
	 * ("bird.socket": value), as the loader read them: what
	 * config_diff_globals compares. */
	json_t *canonical_globals;
};

/* Limits of what a config may hold (docs/configuration.md,
 * "Limits"): far above any real deployment, low enough that a runaway
 * generator is refused with a clear error instead of costing gigabytes.
 * The file size is checked before parsing; jansson's tree of a file costs
 * some 20 to 50 times its size. */
#define CONFIG_FILE_SIZE_MAX (16 * 1024 * 1024)
#define CONFIG_SERVICES_MAX 20000
#define CONFIG_CHECKS_MAX 64            /* per service */
#define CONFIG_PREFIXES_MAX 1024        /* per service */
/* Per list: communities, large_communities, extended_communities (of any
 * attribute set) and drain.communities. */
#define CONFIG_COMMUNITIES_MAX 256
/* Errors kept with their text; the rest are only counted, and a last line
 * says how many ("... and N more errors"): a broken file must not cost
 * seconds of formatting that nobody reads. */
#define CONFIG_ERRORS_MAX 100

/* All problems found while loading one file, in order. */
struct config_errors {
	char **messages;    /* the lines to show, at most CONFIG_ERRORS_MAX
	                     * errors plus one summary line per load */
	size_t count;       /* lines in messages */
	size_t capacity;    /* allocated; grows by doubling */
	size_t total;       /* errors found, those not kept included */
	size_t omitted;     /* errors of the current load not kept */
	/* Warnings: problems that do not fail the load (a maintenance file
	 * in a world-writable directory, say), kept the same way up to
	 * CONFIG_ERRORS_MAX and logged by config_warnings_log. */
	char **warnings;
	size_t warning_count;
	size_t warning_capacity;
	size_t warning_total;
};

/* Load and validate the file at path. On success *out owns a config and 0 is
 * returned; on failure -1 is returned, *out is NULL and errors holds every
 * problem (also for unreadable files and JSON syntax errors). Either way
 * errors may hold warnings: the caller always clears it. */
int config_load(const char *path, struct config **out,
    struct config_errors *errors);
/* The same from text already in memory; file is only used in messages. */
int config_load_text(const char *file, const char *text, struct config **out,
    struct config_errors *errors);
void config_free(struct config *config);

void config_errors_init(struct config_errors *errors);
void config_errors_clear(struct config_errors *errors);
/* Add one error (message is owned, and freed when beyond
 * CONFIG_ERRORS_MAX: then it is only counted). */
void config_errors_add(struct config_errors *errors, char *message);
/* Are CONFIG_ERRORS_MAX errors held already (so a new one is only
 * counted)? Lets a caller skip formatting one. */
bool config_errors_full(const struct config_errors *errors);
/* Log every error with log_error. */
void config_errors_log(const struct config_errors *errors);
/* Add one warning (owned; beyond CONFIG_ERRORS_MAX only counted). */
void config_warnings_add(struct config_errors *errors, char *message);
/* Log every warning with log_warnx (and how many were not kept). The
 * programs do this after every load, successful or not: at start (and
 * with -n) and on each reload. */
void config_warnings_log(const struct config_errors *errors);

/* Are two services configured identically: the same canonical form, so
 * every value read for them (checks included, and the local_as rendered
 * into their AS paths) is the same? A reload leaves such a service alone. */
bool config_service_equal(const struct service_config *a,
    const struct service_config *b);

enum config_change {
	CONFIG_SERVICE_UNCHANGED,
	CONFIG_SERVICE_CHANGED,
	CONFIG_SERVICE_ADDED,
	CONFIG_SERVICE_REMOVED,
};

/* One service in the difference between two configs, matched by name. */
struct config_diff_entry {
	enum config_change change;
	const struct service_config *old_service;   /* NULL when ADDED */
	const struct service_config *new_service;   /* NULL when REMOVED */
};

/* Compare two configs service by service: the services of new_config in
 * order, then those removed. A change of local_as, or of any inherited
 * top-level key, changes every service inheriting it (it is part of each
 * service's canonical form). Returns the count; *out is owned by the
 * caller (free). O(services). */
size_t config_diff(const struct config *old_config,
    const struct config *new_config, struct config_diff_entry **out);
const char *config_change_name(enum config_change change);

/* How a change of a top-level key can take effect. */
enum config_apply {
	CONFIG_APPLY_LIVE,          /* a reload applies it */
	CONFIG_APPLY_RESTART,       /* only a restart does */
};

/* One top-level key that differs between two configs. */
struct config_global_change {
	const char *key;            /* dotted: "bird.socket" */
	enum config_apply apply;
};

/* List the top-level keys (those that do not flow into services: bird.*,
 * control.*) whose values differ between old_config and new_config, in key
 * order, at most max of them into out. Returns how many differ (which may
 * exceed max). Keys are static strings, or for keys unknown to the
 * classification (applied on RESTART) point into one of the configs. */
size_t config_diff_globals(const struct config *old_config,
    const struct config *new_config, struct config_global_change *out,
    size_t max);
/* How a change of the dotted top-level key takes effect; false (and
 * *apply = CONFIG_APPLY_RESTART) for a key the classification lacks. */
bool config_global_classify(const char *key, enum config_apply *apply);
/* "live" or "restart". */
const char *config_apply_name(enum config_apply apply);

/* Find a service by name (hashed); NULL if none. The config must come from
 * config_load or config_load_text. */
const struct service_config *config_find_service(const struct config *config,
    const char *name);

#endif
