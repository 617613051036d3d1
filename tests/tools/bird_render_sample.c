/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: a BIRD include file with every variant, for "bird -p" of each BIRD
 *
 * Prints the include file anycheck-bird would write for two services that
 * between them have every attribute set (UP, drain, down, disabled, the
 * last resort) and every route attribute, in both address families, one of
 * them shifted by an operator (so with its _shift protocols) and some
 * protocols enabled: what "anycheck-bird -g" alone cannot show, since
 * shifts exist only while running. tests/versions/run.sh has every BIRD of
 * the version matrix parse it and fail on any word printed. Usage:
 *   bird_render_sample
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_include.h"
#include "config.h"
#include "log.h"

static const char sample_config[] =
"{ \"local_as\": 65001,\n"
"  \"services\": [\n"
"    { \"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\", \"2001:db8::1/128\"],\n"
"      \"checks\": [ { \"type\": \"file\", \"path\": \"/\" },\n"
"                    { \"type\": \"file\", \"path\": \"/tmp\", \"scope\": \"global\" } ],\n"
"      \"announce\": { \"next_hop\": \"self\", \"med\": 10, \"local_preference\": 200,\n"
"        \"as_path_prepend\": 1, \"communities\": [\"65000:1\"],\n"
"        \"large_communities\": [\"65001:1:2\"],\n"
"        \"extended_communities\": [\"target:65001:3\", \"origin:65001:4\"] },\n"
"      \"drain\": { \"seconds\": 10, \"med\": 500 },\n"
"      \"down\": { \"med\": 1000 },\n"
"      \"disabled\": { \"communities\": [\"65000:2\"] },\n"
"      \"last_resort\": { \"med\": 700, \"as_path_prepend\": 2 } },\n"
"    { \"name\": \"dns\", \"prefixes\": [\"198.51.100.53/32\"],\n"
"      \"checks\": [ { \"type\": \"file\", \"path\": \"/\" } ],\n"
"      \"announce\": { \"next_hop\": { \"ipv4\": \"203.0.113.9\" } } } ] }\n";

static struct community shift_communities[] = {
	{ 65000, 1 }, { 65000, 666 },
};

/* web's UP and _shift protocols run; everything else is disabled. */
static bool
sample_enabled(const char *protocol, void *arg)
{
	(void)arg;
	return strcmp(protocol, "anycheck_web_v4_shift") == 0 ||
	    strcmp(protocol, "anycheck_web_v6_shift") == 0 ||
	    strcmp(protocol, "anycheck_dns_v4") == 0;
}

int
main(int argc, char **argv)
{
	struct config_errors errors;
	struct config *config = NULL;
	struct bird_shifts shifts;
	struct announce_attributes shifted;
	struct bird_include_options options = {
		.enabled = sample_enabled,
		.shifts = &shifts,
	};
	int status;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: bird_render_sample\n");
		return 2;
	}
	log_init("bird_render_sample", LOG_LEVEL_WARNING, false);
	config_errors_init(&errors);
	if (config_load_text("sample.json", sample_config, &config,
	    &errors) != 0) {
		config_errors_log(&errors);
		config_errors_clear(&errors);
		return 1;
	}
	config_errors_clear(&errors);
	/* An operator's shift of web: a MED, a longer path, a community. */
	shifted = config->services[0].announce;
	shifted.has_med = true;
	shifted.med = 300;
	shifted.as_path_prepend = 3;
	shifted.communities = shift_communities;
	shifted.community_count = 2;
	bird_shifts_init(&shifts);
	bird_shifts_add(&shifts, config, &config->services[0], &shifted);
	status = bird_include_render_options(config, &options, stdout) == 0 ?
	    0 : 1;
	bird_shifts_cleanup(&shifts);
	config_free(config);
	return status;
}
