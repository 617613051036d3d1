/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: fuzz target: config text -> validated config
 *
 * The input is the text of a config file, loaded with config_load_text as
 * a reload would load it. A config that loads is then compared with a
 * fixed base config both ways (config_diff, config_diff_globals, as a
 * reload from or to it does), loaded a second time and compared with
 * itself, rendered as the BIRD include file into memory, and rendered as
 * ExaBGP announce and withdraw lines for every prefix and attribute set.
 *
 * Checked besides memory errors, leaks and undefined behaviour: a failed
 * load says why and returns no config; a loaded service is found by name;
 * the diff lists the new config's services in order, then the removed
 * ones, each with the right change; the same text loaded twice is
 * unchanged service by service and key by key; changed top-level keys are
 * sorted and classified; the include file has no control characters but
 * tabs and newlines and declares every service's protocols; every ExaBGP
 * line that fits is exactly one line.
 */
#include <stdbool.h>
#include <string.h>

#include "bird_include.h"
#include "config.h"
#include "exabgp.h"
#include "fuzz.h"
#include "log.h"

/* A base to diff against: every kind of top-level key, services that
 * fuzzed configs may add, change, keep or remove. */
static const char fuzz_base_text[] =
	"{\n"
	"  \"local_as\": 65001,\n"
	"  \"defaults\": { \"interval\": 2, \"rise\": 3, \"fall\": 2,\n"
	"    \"drain\": { \"seconds\": 10, \"communities\": [\"65000:9\"] } },\n"
	"  \"bird\": { \"socket\": \"/run/bird/bird.ctl\", \"verify_interval\": 30,\n"
	"    \"include_file\": \"/etc/bird/anycheck.conf\" },\n"
	"  \"control\": { \"socket\": \"/run/anycheck/anycheck.sock\" },\n"
	"  \"services\": [\n"
	"    { \"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\", \"2001:db8::1/128\"],\n"
	"      \"checks\": [ { \"type\": \"http\", \"url\": \"http://192.0.2.1/\" } ],\n"
	"      \"announce\": { \"med\": 100, \"communities\": [\"65000:100\"] },\n"
	"      \"down\": { \"med\": 1000, \"as_path_prepend\": 2 } },\n"
	"    { \"name\": \"dns\", \"prefixes\": [\"203.0.113.53/32\"],\n"
	"      \"checks\": [ { \"type\": \"tcp\", \"host\": \"203.0.113.53\", \"port\": 53 } ] },\n"
	"    { \"name\": \"ntp\", \"prefixes\": [\"2001:db8:123::/48\"],\n"
	"      \"checks\": [ { \"type\": \"file\", \"path\": \"/run/ntp-ok\" } ] }\n"
	"  ]\n"
	"}\n";

static struct config *fuzz_base;

static void
fuzz_load_base(void)
{
	struct config_errors errors;

	if (fuzz_base != NULL)
		return;
	/* The include check logs why a config cannot be rendered: noise. */
	log_init("fuzz_config", LOG_LEVEL_ERROR, false);
	config_errors_init(&errors);
	if (config_load_text("base.json", fuzz_base_text, &fuzz_base,
	    &errors) == -1) {
		for (size_t i = 0; i < errors.count; i++)
			fprintf(stderr, "%s\n", errors.messages[i]);
		abort();
	}
	config_errors_clear(&errors);
}

/* config_diff(old, new) against what it promises. */
static void
fuzz_check_diff(const struct config *old_config,
    const struct config *new_config)
{
	struct config_diff_entry *entries = NULL;
	size_t count = config_diff(old_config, new_config, &entries);
	size_t removed = 0;

	FUZZ_EXPECT(count >= new_config->service_count);
	FUZZ_EXPECT(count <= new_config->service_count +
	    old_config->service_count);
	for (size_t i = 0; i < count; i++) {
		const struct config_diff_entry *entry = &entries[i];

		FUZZ_EXPECT(strcmp(config_change_name(entry->change),
		    "unknown") != 0);
		if (i < new_config->service_count) {
			const struct service_config *old = config_find_service(
			    old_config, new_config->services[i].name);

			FUZZ_EXPECT(entry->new_service ==
			    &new_config->services[i]);
			FUZZ_EXPECT(entry->old_service == old);
			if (old == NULL)
				FUZZ_EXPECT(entry->change ==
				    CONFIG_SERVICE_ADDED);
			else
				FUZZ_EXPECT(entry->change ==
				    (strcmp(old->canonical,
				    entry->new_service->canonical) == 0 ?
				    CONFIG_SERVICE_UNCHANGED :
				    CONFIG_SERVICE_CHANGED));
		} else {
			FUZZ_EXPECT(entry->change == CONFIG_SERVICE_REMOVED);
			FUZZ_EXPECT(entry->new_service == NULL);
			FUZZ_EXPECT(entry->old_service != NULL);
			FUZZ_EXPECT(config_find_service(new_config,
			    entry->old_service->name) == NULL);
			removed++;
		}
	}
	/* Every old service is either matched or removed. */
	size_t matched = 0;
	for (size_t i = 0; i < old_config->service_count; i++)
		if (config_find_service(new_config,
		    old_config->services[i].name) != NULL)
			matched++;
	FUZZ_EXPECT(matched + removed == old_config->service_count);
	free(entries);
}

/* config_diff_globals(old, new); returns how many keys differ. */
static size_t
fuzz_check_globals(const struct config *old_config,
    const struct config *new_config)
{
	struct config_global_change changes[4];
	size_t count = config_diff_globals(old_config, new_config, changes,
	    sizeof(changes) / sizeof(changes[0]));
	size_t shown = count < 4 ? count : 4;

	for (size_t i = 0; i < shown; i++) {
		enum config_apply apply;

		FUZZ_EXPECT(changes[i].key != NULL);
		if (i > 0)
			FUZZ_EXPECT(strcmp(changes[i - 1].key,
			    changes[i].key) < 0);
		if (config_global_classify(changes[i].key, &apply))
			FUZZ_EXPECT(apply == changes[i].apply);
		else
			FUZZ_EXPECT(changes[i].apply == CONFIG_APPLY_RESTART);
		(void)config_apply_name(changes[i].apply);
	}
	/* The count does not depend on how many fit. */
	FUZZ_EXPECT(config_diff_globals(old_config, new_config, NULL, 0) ==
	    count);
	return count;
}

static void
fuzz_check_include(const struct config *config)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	int result;

	if (out == NULL)
		abort();
	result = bird_include_render(config, out);
	fclose(out);
	if (result == 0) {
		FUZZ_EXPECT(strlen(text) == size);
		for (size_t i = 0; i < size; i++) {
			unsigned char c = (unsigned char)text[i];
			FUZZ_EXPECT((c >= 0x20 && c != 0x7f) || c == '\n' ||
			    c == '\t');
		}
		for (size_t s = 0; s < config->service_count; s++) {
			const struct service_config *service =
			    &config->services[s];

			if (bird_service_has_family(service, AF_INET))
				FUZZ_EXPECT(strstr(text,
				    service->bird_protocol_ipv4) != NULL);
			if (bird_service_has_family(service, AF_INET6))
				FUZZ_EXPECT(strstr(text,
				    service->bird_protocol_ipv6) != NULL);
		}
	}
	free(text);
}

/* One rendered ExaBGP line: -1 (too long), or one line ending in "\n". */
static void
fuzz_check_line(const char *line, int length)
{
	if (length == -1)
		return;
	FUZZ_EXPECT(length > 0 && (size_t)length < EXABGP_LINE_MAX);
	FUZZ_EXPECT(strlen(line) == (size_t)length);
	FUZZ_EXPECT(line[length - 1] == '\n');
	FUZZ_EXPECT(memchr(line, '\n', (size_t)length - 1) == NULL);
	FUZZ_EXPECT(memchr(line, '\r', (size_t)length) == NULL);
}

static void
fuzz_check_exabgp(const struct config *config)
{
	char line[EXABGP_LINE_MAX];

	for (size_t s = 0; s < config->service_count; s++) {
		const struct service_config *service = &config->services[s];
		const struct announce_attributes *sets[4];
		size_t set_count = 0;

		sets[set_count++] = &service->announce;
		sets[set_count++] = &service->drain_announce;
		if (service->down.announced)
			sets[set_count++] = &service->down.attributes;
		if (service->disabled.announced)
			sets[set_count++] = &service->disabled.attributes;
		for (size_t p = 0; p < service->prefix_count; p++)
			for (size_t a = 0; a < set_count; a++) {
				fuzz_check_line(line, exabgp_render_announce(
				    line, sizeof(line), &service->prefixes[p],
				    sets[a], config->local_as,
				    service->exabgp_neighbors,
				    service->exabgp_neighbor_count));
				fuzz_check_line(line, exabgp_render_withdraw(
				    line, sizeof(line), &service->prefixes[p],
				    sets[a], service->exabgp_neighbors,
				    service->exabgp_neighbor_count));
			}
	}
}

static void
fuzz_check_loaded(struct config *config, const char *text)
{
	struct config *again = NULL;
	struct config_errors errors;
	struct config_diff_entry *entries = NULL;
	size_t count;

	for (size_t i = 0; i < config->service_count; i++) {
		const struct service_config *service = &config->services[i];

		FUZZ_EXPECT(service->name != NULL);
		FUZZ_EXPECT(service->canonical != NULL);
		FUZZ_EXPECT(config_find_service(config, service->name) ==
		    service);
		FUZZ_EXPECT(config_service_equal(service, service));
	}

	fuzz_check_diff(fuzz_base, config);
	fuzz_check_diff(config, fuzz_base);
	fuzz_check_globals(fuzz_base, config);
	fuzz_check_globals(config, fuzz_base);
	FUZZ_EXPECT(fuzz_check_globals(config, config) == 0);

	/* The same text is the same config: a reload changes nothing. */
	config_errors_init(&errors);
	FUZZ_EXPECT(config_load_text("fuzz.json", text, &again, &errors) == 0);
	FUZZ_EXPECT(errors.count == 0);
	count = config_diff(config, again, &entries);
	FUZZ_EXPECT(count == config->service_count);
	for (size_t i = 0; i < count; i++)
		FUZZ_EXPECT(entries[i].change == CONFIG_SERVICE_UNCHANGED);
	free(entries);
	FUZZ_EXPECT(fuzz_check_globals(config, again) == 0);
	config_free(again);
	config_errors_clear(&errors);   /* its warnings */

	fuzz_check_include(config);
	fuzz_check_exabgp(config);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *config = NULL;
	struct config_errors errors;
	char *text;

	fuzz_load_base();
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	config_errors_init(&errors);
	if (config_load_text("fuzz.json", text, &config, &errors) == -1) {
		FUZZ_EXPECT(config == NULL);
		FUZZ_EXPECT(errors.count > 0);
		for (size_t i = 0; i < errors.count; i++)
			FUZZ_EXPECT(errors.messages[i] != NULL &&
			    errors.messages[i][0] != '\0');
	} else {
		FUZZ_EXPECT(config != NULL);
		FUZZ_EXPECT(errors.count == 0);
		fuzz_check_loaded(config, text);
		config_free(config);
	}
	config_errors_clear(&errors);
	free(text);
	return 0;
}
