/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: comparing configurations for a reload
 *
 * A reload applies only what changed, so deciding "unchanged" wrongly
 * would silently ignore an operator's edit. Equality therefore does not
 * compare a hand-kept list of struct fields (a field added later and left
 * off such a list is never compared). It compares each service's
 * canonical form instead: while the loader reads a service, every getter
 * in config_json.c records each value it accepts into a jansson object
 * (config_parser.canonical), and values read another way (prefix lists,
 * "require", next hops, ports) are recorded by the code that reads them.
 * The object starts as a copy of what the service inherits (local_as, which
 * is rendered into AS paths, top-level drain_on_exit and on_exit, and the
 * "defaults" block), so inherited values are part of it, and each check
 * type's parse function records its keys through the same getters, which
 * is why check types need no "equal" of their own. The object is dumped
 * with sorted keys and no spaces, so two services are equal when two
 * strings are. Timing, socket and check timeout values are recorded
 * resolved (after defaults and clamping), so writing out a default is no
 * change; elsewhere a value spelled differently (a default written out, a
 * community with a leading zero) may count as a change, which costs a
 * re-announcement, never a missed edit. tests/unit/test_config.c changes
 * every leaf of tests/data/config_full.json, which uses every key the
 * loader accepts, and expects each change to be seen.
 *
 * Top-level keys that do not flow into services (bird.*, control.*) are
 * compared the same way, key by key (config->canonical_globals), and each
 * change is classified by config_global_rules: applied by a reload, or only
 * by a restart. A key the table lacks counts as restart-only, and a unit
 * test fails when a key the loader accepts is missing from the table.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

/* How a change of each top-level key takes effect. Keys that flow into
 * services (local_as, defaults.*, drain_on_exit, on_exit) are not listed:
 * they are in every inheriting service's canonical form, so the service
 * diff (config_diff) already reports and applies their changes. */
static const struct config_global_rule {
	const char *key;
	enum config_apply apply;
} config_global_rules[] = {
	/* anycheck-bird reads both again after a reload. */
	{ "bird.include_file", CONFIG_APPLY_LIVE },
	{ "bird.verify_interval", CONFIG_APPLY_LIVE },
	/* Sockets are opened or connected once, at start. */
	{ "bird.socket", CONFIG_APPLY_RESTART },
	{ "control.group", CONFIG_APPLY_RESTART },
	{ "control.socket", CONFIG_APPLY_RESTART },
	/* Read at start (what the last run announced). */
	{ "state_directory", CONFIG_APPLY_RESTART },
	/* The listener is opened at start; the textfile is written where
	 * and as often as the current config says. */
	{ "metrics.listen", CONFIG_APPLY_RESTART },
	{ "metrics.textfile", CONFIG_APPLY_LIVE },
	{ "metrics.textfile_interval", CONFIG_APPLY_LIVE },
	/* Read at each state change. */
	{ "hooks.on_change", CONFIG_APPLY_LIVE },
	{ "hooks.shell", CONFIG_APPLY_LIVE },
	{ "hooks.timeout", CONFIG_APPLY_LIVE },
};

const struct service_config *
config_find_service(const struct config *config, const char *name)
{
	return name_index_get(&config->service_index, name);
}

/* Are two services configured identically? A service without a canonical
 * form (not built by the loader) equals nothing. */
bool
config_service_equal(const struct service_config *a,
    const struct service_config *b)
{
	return a->canonical != NULL && b->canonical != NULL &&
	    strcmp(a->canonical, b->canonical) == 0;
}

/* Compare two configs service by service, matched by name. */
size_t
config_diff(const struct config *old_config, const struct config *new_config,
    struct config_diff_entry **out)
{
	struct config_diff_entry *entries;
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
		else if (config_service_equal(old, service))
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

static const struct config_global_rule *
config_global_rule_find(const char *key)
{
	for (size_t i = 0; i < sizeof(config_global_rules) /
	    sizeof(config_global_rules[0]); i++)
		if (strcmp(config_global_rules[i].key, key) == 0)
			return &config_global_rules[i];
	return NULL;
}

bool
config_global_classify(const char *key, enum config_apply *apply)
{
	const struct config_global_rule *rule = config_global_rule_find(key);

	*apply = rule != NULL ? rule->apply : CONFIG_APPLY_RESTART;
	return rule != NULL;
}

const char *
config_apply_name(enum config_apply apply)
{
	return apply == CONFIG_APPLY_LIVE ? "live" : "restart";
}

static int
config_compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add the keys of object not yet in keys (a set as a jansson object). */
static void
config_collect_keys(const json_t *object, json_t *keys)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)object, key, value)
		json_object_set_new(keys, key, json_null());
}

size_t
config_diff_globals(const struct config *old_config,
    const struct config *new_config, struct config_global_change *out,
    size_t max)
{
	json_t *old_globals = old_config->canonical_globals;
	json_t *new_globals = new_config->canonical_globals;
	json_t *keys = json_object();
	const char **sorted, *key;
	size_t count = 0, n = 0;
	json_t *value;

	config_collect_keys(old_globals, keys);
	config_collect_keys(new_globals, keys);
	sorted = xcalloc(json_object_size(keys) + 1, sizeof(*sorted));
	json_object_foreach(keys, key, value) {
		/* Point into a config, which outlives this call. */
		const char *stable = NULL;
		void *iter = json_object_iter_at(new_globals, key);

		if (iter == NULL)
			iter = json_object_iter_at(old_globals, key);
		stable = json_object_iter_key(iter);
		if (!json_equal(json_object_get(old_globals, key),
		    json_object_get(new_globals, key)))
			sorted[n++] = stable;
	}
	qsort(sorted, n, sizeof(*sorted), config_compare_keys);
	for (size_t i = 0; i < n; i++, count++) {
		const struct config_global_rule *rule =
		    config_global_rule_find(sorted[i]);

		if (count >= max)
			continue;
		out[count].key = rule != NULL ? rule->key : sorted[i];
		out[count].apply = rule != NULL ? rule->apply :
		    CONFIG_APPLY_RESTART;
	}
	free(sorted);
	json_decref(keys);
	return count;
}
