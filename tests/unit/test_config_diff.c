/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: reload comparison tests
 *
 * The property a reload relies on: a change of any value the loader reads
 * is seen. tests/data/config_full.json uses every key the loader accepts
 * (test_full_file_uses_every_key proves it from the loader's own "allowed:"
 * lists, so a key added to the loader fails here until the file uses it).
 * Every leaf of the file is then changed, one at a time, to another valid
 * value: the service holding it must compare unequal and every other
 * service equal; a change of an inherited top-level key (local_as,
 * defaults.*, drain_on_exit, on_exit) must change the last service, which
 * overrides none of them; a change under bird or control must leave every
 * service equal and be listed by config_diff_globals, classified.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define FULL TEST_DATA_DIR "/config_full.json"

/* Leaves with no other valid value on their own: "type" decides which keys
 * the check may have, "shell" whether "command" is a string or an array.
 * Both are still recorded (the getters record every key they read). */
static const char *const unchangeable_keys[] = { "type", "shell", NULL };

static json_t *
load_full_json(void)
{
	json_error_t error;
	json_t *root = json_load_file(FULL, 0, &error);

	ck_assert_msg(root != NULL, "%s:%d: %s", FULL, error.line, error.text);
	return root;
}

/* The config of root, or NULL when it does not load; *errors (if given)
 * gets the error lines. */
static struct config *
load_json(json_t *root, struct config_errors *errors)
{
	struct config_errors local;
	struct config *config;
	char *text = json_dumps(root, JSON_INDENT(1));

	config_errors_init(&local);
	config_load_text("t.json", text, &config, errors != NULL ? errors :
	    &local);
	config_errors_clear(&local);
	free(text);
	return config;
}

static struct config *
load_text_ok(const char *text)
{
	struct config_errors errors;
	struct config *config;

	config_errors_init(&errors);
	if (config_load_text("t.json", text, &config, &errors) != 0) {
		config_errors_log(&errors);
		ck_abort_msg("config does not load");
	}
	config_errors_clear(&errors);
	return config;
}

/* Where a leaf is: a key of an object or an index of an array. */
struct leaf {
	json_t *parent;
	const char *key;        /* NULL: index */
	size_t index;
	const char *path;       /* "services[0].checks[1].port" */
};

static json_t *
leaf_get(const struct leaf *leaf)
{
	return leaf->key != NULL ? json_object_get(leaf->parent, leaf->key) :
	    json_array_get(leaf->parent, leaf->index);
}

/* Put value (stolen) at the leaf. */
static void
leaf_set(const struct leaf *leaf, json_t *value)
{
	if (leaf->key != NULL)
		json_object_set_new(leaf->parent, leaf->key, value);
	else
		json_array_set_new(leaf->parent, leaf->index, value);
}

/* Other values for a leaf, most likely valid first. */
static json_t *
leaf_candidates(json_t *value)
{
	static const char *const alternatives[] = { "keep", "withdraw", "all",
		"any", "HEAD", "192.0.2.9", "2001:db8::9", "self", "tcp", "udp",
		"SERVFAIL", "local", "global", NULL };
	json_t *out = json_array();

	if (json_is_boolean(value)) {
		json_array_append_new(out, json_boolean(!json_is_true(value)));
	} else if (json_is_integer(value)) {
		json_array_append_new(out,
		    json_integer(json_integer_value(value) + 1));
		json_array_append_new(out,
		    json_integer(json_integer_value(value) - 1));
	} else if (json_is_real(value)) {
		json_array_append_new(out, json_real(json_real_value(value) + 1));
		json_array_append_new(out, json_real(json_real_value(value) / 2));
	} else if (json_is_string(value)) {
		const char *text = json_string_value(value);
		size_t length = strlen(text);

		/* One digit changed, from the end: another address, port,
		 * prefix, community... */
		for (size_t i = length; i > 0; i--) {
			char *copy;

			if (text[i - 1] < '0' || text[i - 1] > '9')
				continue;
			copy = xstrdup(text);
			copy[i - 1] = (char)('0' + (text[i - 1] - '0' + 1) % 10);
			json_array_append_new(out, json_string(copy));
			free(copy);
		}
		json_array_append_new(out, json_sprintf("%sx", text));
		for (size_t i = 0; alternatives[i] != NULL; i++)
			if (strcmp(alternatives[i], text) != 0)
				json_array_append_new(out,
				    json_string(alternatives[i]));
	}
	return out;
}

enum leaf_owner {
	LEAF_SERVICE,       /* under services[i] */
	LEAF_INHERITED,     /* local_as, defaults.*, drain_on_exit, on_exit */
	LEAF_GLOBAL,        /* bird.*, control.*, state_directory,
			     * metrics.*, hooks.* */
};

struct mutation_run {
	json_t *root;
	struct config *base;
	size_t leaves;
};

/* Change the leaf to each candidate until one loads; assert what the
 * comparison says about it. */
static void
mutate_leaf(struct mutation_run *run, const struct leaf *leaf,
    enum leaf_owner owner, size_t service_index)
{
	json_t *original = json_incref(leaf_get(leaf));
	json_t *candidates = leaf_candidates(original), *candidate;
	struct config *changed = NULL;
	size_t i;

	json_array_foreach(candidates, i, candidate) {
		leaf_set(leaf, json_incref(candidate));
		changed = load_json(run->root, NULL);
		if (changed != NULL)
			break;
	}
	leaf_set(leaf, original);
	json_decref(candidates);
	ck_assert_msg(changed != NULL, "%s: no other valid value found; "
	    "teach leaf_candidates one", leaf->path);
	ck_assert_uint_eq(changed->service_count, run->base->service_count);
	run->leaves++;

	for (size_t s = 0; s < changed->service_count; s++) {
		bool equal = config_service_equal(&run->base->services[s],
		    &changed->services[s]);

		if (owner == LEAF_SERVICE)
			ck_assert_msg(equal == (s != service_index),
			    "changing %s: services[%zu] compares %s", leaf->path,
			    s, equal ? "equal" : "unequal");
		else if (owner == LEAF_GLOBAL)
			ck_assert_msg(equal, "changing %s changed services[%zu]",
			    leaf->path, s);
	}
	if (owner == LEAF_INHERITED)
		ck_assert_msg(!config_service_equal(
		    &run->base->services[changed->service_count - 1],
		    &changed->services[changed->service_count - 1]),
		    "changing %s: the service inheriting it compares equal",
		    leaf->path);

	struct config_global_change globals[8];
	size_t n = config_diff_globals(run->base, changed, globals, 8);
	if (owner == LEAF_GLOBAL) {
		enum config_apply apply;

		ck_assert_msg(n == 1, "changing %s: %zu top-level changes",
		    leaf->path, n);
		/* An element of an array (hooks.on_change[0]) changes the
		 * array's key. */
		char *key = xstrdup(leaf->path);
		key[strcspn(key, "[")] = '\0';
		ck_assert_str_eq(globals[0].key, key);
		ck_assert(config_global_classify(key, &apply));
		ck_assert_int_eq(globals[0].apply, apply);
		free(key);
	} else {
		ck_assert_msg(n == 0, "changing %s: top-level change %s",
		    leaf->path, globals[0].key);
	}
	config_free(changed);
}

static bool
key_unchangeable(const char *key)
{
	for (size_t i = 0; key != NULL && unchangeable_keys[i] != NULL; i++)
		if (strcmp(key, unchangeable_keys[i]) == 0)
			return true;
	return false;
}

static void
mutate_all(struct mutation_run *run, json_t *value, const char *path,
    enum leaf_owner owner, size_t service_index)
{
	const char *key;
	json_t *child;
	size_t index;

	if (json_is_object(value)) {
		json_object_foreach(value, key, child) {
			char *child_path = path[0] != '\0' ?
			    xasprintf("%s.%s", path, key) : xstrdup(key);
			enum leaf_owner child_owner = owner;

			if (path[0] == '\0')
				child_owner = strcmp(key, "bird") == 0 ||
				    strcmp(key, "control") == 0 ||
				    strcmp(key, "state_directory") == 0 ||
				    strcmp(key, "metrics") == 0 ||
				    strcmp(key, "hooks") == 0 ?
				    LEAF_GLOBAL :
				    LEAF_INHERITED;
			if (json_is_object(child) || json_is_array(child)) {
				mutate_all(run, child, child_path, child_owner,
				    service_index);
			} else if (!key_unchangeable(key)) {
				struct leaf leaf = { value, key, 0, child_path };
				mutate_leaf(run, &leaf, child_owner,
				    service_index);
			}
			free(child_path);
		}
		return;
	}
	json_array_foreach(value, index, child) {
		char *child_path = xasprintf("%s[%zu]", path, index);

		if (strcmp(path, "services") == 0) {
			owner = LEAF_SERVICE;
			service_index = index;
		}
		if (json_is_object(child) || json_is_array(child)) {
			mutate_all(run, child, child_path, owner,
			    service_index);
		} else {
			struct leaf leaf = { value, NULL, index, child_path };
			mutate_leaf(run, &leaf, owner, service_index);
		}
		free(child_path);
	}
}

/* Every leaf of the full config, changed alone, is seen. */
START_TEST(test_every_leaf_change_is_seen)
{
	struct mutation_run run = { .root = load_full_json() };

	run.base = load_json(run.root, NULL);
	ck_assert_ptr_nonnull(run.base);
	/* Loading the same text twice: everything equal. */
	struct config *again = load_json(run.root, NULL);
	for (size_t s = 0; s < run.base->service_count; s++)
		ck_assert(config_service_equal(&run.base->services[s],
		    &again->services[s]));
	config_free(again);

	mutate_all(&run, run.root, "", LEAF_INHERITED, 0);
	/* The walk did reach the whole file. */
	ck_assert_uint_ge(run.leaves, 90);
	config_free(run.base);
	json_decref(run.root);
}
END_TEST

/* Collect, per list of allowed keys the loader reports for an object, the
 * keys the file uses in objects with that list. */
static void
collect_schemas(json_t *root, json_t *value, const char *path, json_t *used)
{
	static const char marker[] = "unknown key \"zz_unknown\"; allowed: ";
	struct config_errors errors;
	const char *key, *allowed = NULL;
	struct config *config;
	json_t *child;
	size_t index;

	if (json_is_array(value)) {
		json_array_foreach(value, index, child) {
			char *child_path = xasprintf("%s[%zu]", path, index);
			collect_schemas(root, child, child_path, used);
			free(child_path);
		}
		return;
	}
	if (!json_is_object(value))
		return;

	config_errors_init(&errors);
	json_object_set_new(value, "zz_unknown", json_integer(0));
	config = load_json(root, &errors);
	json_object_del(value, "zz_unknown");
	ck_assert_ptr_null(config);
	for (size_t i = 0; i < errors.count && allowed == NULL; i++) {
		const char *at = strstr(errors.messages[i], marker);
		if (at != NULL)
			allowed = at + strlen(marker);
	}
	/* Free-form maps (http headers) have no list of keys. */
	if (allowed != NULL) {
		json_t *keys = json_object_get(used, allowed);
		if (keys == NULL) {
			keys = json_object();
			json_object_set_new(used, allowed, keys);
		}
		json_object_foreach(value, key, child)
			json_object_set_new(keys, key, json_true());
	}
	config_errors_clear(&errors);

	json_object_foreach(value, key, child) {
		char *child_path = path[0] != '\0' ?
		    xasprintf("%s.%s", path, key) : xstrdup(key);
		collect_schemas(root, child, child_path, used);
		free(child_path);
	}
}

/* config_full.json uses every key the loader accepts, in every kind of
 * object it has, and every check type. */
START_TEST(test_full_file_uses_every_key)
{
	json_t *root = load_full_json(), *used = json_object(), *keys;
	const char *allowed;

	collect_schemas(root, root, "", used);
	/* Top level, defaults, drain, connections, bird, control, service,
	 * attribute set, next_hop, exabgp, service bird, 4 check types. */
	ck_assert_uint_ge(json_object_size(used), 14);
	json_object_foreach(used, allowed, keys) {
		char *list = xstrdup(allowed), *state = NULL;

		for (char *name = strtok_r(list, ", ", &state); name != NULL;
		    name = strtok_r(NULL, ", ", &state))
			ck_assert_msg(json_object_get(keys, name) != NULL,
			    "config_full.json never uses \"%s\" (allowed: %s)",
			    name, allowed);
		free(list);
	}
	json_decref(used);

	/* Every check type: the loader lists them for an unknown one. */
	struct config_errors errors;
	struct config *config;
	const char *types = NULL;
	char *text = json_dumps(root, 0);
	config_errors_init(&errors);
	ck_assert_int_eq(config_load_text("t.json", "{\"services\": [{\"name\": "
	    "\"x\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\": "
	    "\"zz_unknown\"}]}]}", &config, &errors), -1);
	for (size_t i = 0; i < errors.count; i++)
		if (strstr(errors.messages[i], "known types: ") != NULL)
			types = strstr(errors.messages[i], "known types: ") + 13;
	ck_assert_ptr_nonnull(types);
	char *list = xstrdup(types), *state = NULL;
	for (char *type = strtok_r(list, ", ", &state); type != NULL;
	    type = strtok_r(NULL, ", ", &state)) {
		char *needle = xasprintf("\"type\": \"%s\"", type);
		ck_assert_msg(strstr(text, needle) != NULL,
		    "config_full.json has no %s check", type);
		free(needle);
	}
	free(list);
	free(text);
	config_errors_clear(&errors);
	json_decref(root);
}
END_TEST

/* Resolved values: a default written out, a value in another notation, or
 * an inherited value repeated in the service, is no change. */
START_TEST(test_same_meaning_is_equal)
{
	struct config *a = load_text_ok("{\"services\": [{\"name\": \"web\", "
	    "\"prefixes\": [\"2001:db8::/32\"], \"checks\": [{\"type\": "
	    "\"file\", \"path\": \"/x\"}], \"announce\": {\"next_hop\": "
	    "\"self\"}}]}");
	struct config *b = load_text_ok("{\"defaults\": {\"interval\": 1}, "
	    "\"bird\": {\"socket\": \"/run/bird/bird.ctl\"}, \"services\": "
	    "[{\"name\": \"web\", \"prefixes\": [\"2001:DB8:0::/32\"], "
	    "\"interval\": 1.0, \"fast_interval\": 0.2, \"rise\": 3, "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\", \"timeout\": "
	    "1}], \"announce\": {\"next_hop\": {\"ipv4\": \"self\", \"ipv6\": "
	    "\"self\"}}}]}");
	struct config_global_change change;

	ck_assert_msg(config_service_equal(&a->services[0], &b->services[0]),
	    "%s\n%s", a->services[0].canonical, b->services[0].canonical);
	ck_assert_uint_eq(config_diff_globals(a, b, &change, 1), 0);
	config_free(a);
	config_free(b);
}
END_TEST

/* Every top-level key the loader records is classified; unknown ones are
 * restart-only. */
START_TEST(test_globals_classified)
{
	json_t *root = load_full_json(), *value;
	struct config *config = load_json(root, NULL);
	enum config_apply apply;
	const char *key;

	ck_assert_uint_eq(json_object_size(config->canonical_globals), 12);
	json_object_foreach(config->canonical_globals, key, value)
		ck_assert_msg(config_global_classify(key, &apply),
		    "top-level key %s is missing from config_global_rules",
		    key);
	ck_assert(config_global_classify("bird.verify_interval", &apply));
	ck_assert_int_eq(apply, CONFIG_APPLY_LIVE);
	ck_assert(config_global_classify("bird.include_file", &apply));
	ck_assert_int_eq(apply, CONFIG_APPLY_LIVE);
	ck_assert(config_global_classify("bird.socket", &apply));
	ck_assert_int_eq(apply, CONFIG_APPLY_RESTART);
	ck_assert(config_global_classify("control.socket", &apply));
	ck_assert_int_eq(apply, CONFIG_APPLY_RESTART);
	apply = CONFIG_APPLY_LIVE;
	ck_assert(!config_global_classify("bird.colour", &apply));
	ck_assert_int_eq(apply, CONFIG_APPLY_RESTART);
	ck_assert_str_eq(config_apply_name(CONFIG_APPLY_LIVE), "live");
	ck_assert_str_eq(config_apply_name(CONFIG_APPLY_RESTART), "restart");
	config_free(config);
	json_decref(root);
}
END_TEST

#define ONE_SERVICE "\"services\": [{\"name\": \"web\", \"prefixes\": " \
	"[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": " \
	"\"/x\"}]}]"

START_TEST(test_diff_globals)
{
	struct config *a = load_text_ok("{\"bird\": {\"include_file\": "
	    "\"/etc/bird/anycheck.conf\"}, " ONE_SERVICE "}");
	struct config *b = load_text_ok("{\"bird\": {\"socket\": \"/b.ctl\", "
	    "\"verify_interval\": 5}, \"control\": {\"socket\": \"/c.sock\"}, "
	    ONE_SERVICE "}");
	struct config_global_change changes[4];
	struct config_diff_entry *diff;
	size_t n;

	n = config_diff_globals(a, b, changes, 4);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(changes[0].key, "bird.include_file");
	ck_assert_int_eq(changes[0].apply, CONFIG_APPLY_LIVE);
	ck_assert_str_eq(changes[1].key, "bird.socket");
	ck_assert_int_eq(changes[1].apply, CONFIG_APPLY_RESTART);
	ck_assert_str_eq(changes[2].key, "bird.verify_interval");
	ck_assert_int_eq(changes[2].apply, CONFIG_APPLY_LIVE);
	ck_assert_str_eq(changes[3].key, "control.socket");
	ck_assert_int_eq(changes[3].apply, CONFIG_APPLY_RESTART);
	/* The count is the whole count, even beyond max. */
	ck_assert_uint_eq(config_diff_globals(a, b, changes, 1), 4);
	ck_assert_str_eq(changes[0].key, "bird.include_file");
	ck_assert_uint_eq(config_diff_globals(b, b, changes, 4), 0);
	/* None of it touches the services. */
	n = config_diff(a, b, &diff);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(diff[0].change, CONFIG_SERVICE_UNCHANGED);
	free(diff);
	config_free(a);
	config_free(b);
}
END_TEST

/* Many services, matched by name through the index: order kept (the new
 * config's services in order, then the removed ones). */
START_TEST(test_diff_many_services)
{
	enum { COUNT = 3000 };
	char *a_text = NULL, *b_text = NULL;
	size_t a_size, b_size, n;
	FILE *a_out = open_memstream(&a_text, &a_size);
	FILE *b_out = open_memstream(&b_text, &b_size);
	const struct service_config *previous = NULL;
	struct config_diff_entry *diff;
	struct config *a, *b;

	/* a: s0..s2999. b, in reverse order: the even ones below 2990 kept,
	 * the last ten renamed (new2990..new2999), the odd ones dropped. */
	fputs("{\"services\": [", a_out);
	fputs("{\"services\": [", b_out);
	for (int i = 0; i < COUNT; i++) {
		int j = COUNT - 1 - i;

		fprintf(a_out, "%s{\"name\": \"s%d\", \"prefixes\": "
		    "[\"10.%d.%d.0/24\"], \"checks\": [{\"type\": \"file\", "
		    "\"path\": \"/x\"}]}", i > 0 ? "," : "", i, i / 256, i % 256);
		if (j % 2 != 0 && j < COUNT - 10)
			continue;
		fprintf(b_out, "%s{\"name\": \"%s%d\", \"prefixes\": "
		    "[\"10.%d.%d.0/24\"], \"checks\": [{\"type\": \"file\", "
		    "\"path\": \"/x\"}]}", i > 0 ? "," : "",
		    j >= COUNT - 10 ? "new" : "s", j, j / 256, j % 256);
	}
	fputs("]}", a_out);
	fputs("]}", b_out);
	fclose(a_out);
	fclose(b_out);
	a = load_text_ok(a_text);
	b = load_text_ok(b_text);

	n = config_diff(a, b, &diff);
	ck_assert_uint_eq(b->service_count, 10 + 1495);
	/* Removed: the 1495 odd ones below 2990 and the 10 renamed. */
	ck_assert_uint_eq(n, b->service_count + 1505);
	for (size_t i = 0; i < b->service_count; i++) {
		ck_assert_ptr_eq(diff[i].new_service, &b->services[i]);
		ck_assert_int_eq(diff[i].change, strncmp(b->services[i].name,
		    "new", 3) == 0 ? CONFIG_SERVICE_ADDED :
		    CONFIG_SERVICE_UNCHANGED);
	}
	for (size_t i = b->service_count; i < n; i++) {
		ck_assert_int_eq(diff[i].change, CONFIG_SERVICE_REMOVED);
		/* In the old config's order. */
		ck_assert(previous == NULL || diff[i].old_service > previous);
		previous = diff[i].old_service;
	}
	ck_assert_ptr_eq(config_find_service(a, "s2999"), &a->services[2999]);
	ck_assert_ptr_null(config_find_service(a, "s3000"));
	free(diff);
	free(a_text);
	free(b_text);
	config_free(a);
	config_free(b);
}
END_TEST

static Suite *
config_diff_suite(void)
{
	Suite *suite = suite_create("config_diff");
	TCase *tcase = tcase_create("diff");

	tcase_set_timeout(tcase, 60);
	tcase_add_test(tcase, test_full_file_uses_every_key);
	tcase_add_test(tcase, test_every_leaf_change_is_seen);
	tcase_add_test(tcase, test_same_meaning_is_equal);
	tcase_add_test(tcase, test_globals_classified);
	tcase_add_test(tcase, test_diff_globals);
	tcase_add_test(tcase, test_diff_many_services);
	suite_add_tcase(suite, tcase);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(config_diff_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
