/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: config loader tests
 *
 * Loads whole config texts the way a user writes them and asserts the
 * values built, or the exact error lines the user would read, positions
 * included, with the real check types.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_api.h"
#include "config.h"
#include "config_json.h"
#include "log.h"

/* One valid service, on one line, for configs that test something else. */
#define SERVICE "{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"tcp\", \"host\": \"192.0.2.1\", " \
	"\"port\": 80}]}"

static struct config *
load_ok(const char *text)
{
	struct config_errors errors;
	struct config *config = NULL;
	int result;

	config_errors_init(&errors);
	result = config_load_text("t.json", text, &config, &errors);
	for (size_t i = 0; i < errors.count; i++)
		fprintf(stderr, "unexpected: %s\n", errors.messages[i]);
	ck_assert_int_eq(result, 0);
	ck_assert_uint_eq(errors.count, 0);
	ck_assert_ptr_nonnull(config);
	config_errors_clear(&errors);
	return config;
}

/* Load text that must fail; return all error lines joined by '\n'. */
static char *
load_errors(const char *text)
{
	struct config_errors errors;
	struct config *config = (struct config *)&errors; /* must be reset */
	char *joined = xstrdup("");
	int result;

	config_errors_init(&errors);
	result = config_load_text("t.json", text, &config, &errors);
	ck_assert_int_eq(result, -1);
	ck_assert_ptr_null(config);
	ck_assert_uint_gt(errors.count, 0);
	for (size_t i = 0; i < errors.count; i++) {
		char *next = xasprintf("%s%s%s", joined, i > 0 ? "\n" : "",
		    errors.messages[i]);
		free(joined);
		joined = next;
	}
	config_errors_clear(&errors);
	return joined;
}

#define ck_assert_errors(text, expected) do {                               \
	char *errors_ = load_errors(text);                                   \
	ck_assert_str_eq(errors_, expected);                                 \
	free(errors_);                                                       \
} while (0)

START_TEST(test_full_config_file)
{
	struct config_errors errors;
	struct config *config = NULL;
	const struct service_config *web, *dns;
	const struct announce_attributes *a;

	config_errors_init(&errors);
	ck_assert_int_eq(config_load(TEST_DATA_DIR "/config_full.json", &config,
	    &errors), 0);
	ck_assert_uint_eq(errors.count, 0);
	ck_assert_str_eq(config->path, TEST_DATA_DIR "/config_full.json");
	ck_assert(config->has_local_as);
	ck_assert_uint_eq(config->local_as, 65001);
	ck_assert_double_eq(config->defaults.interval, 2.5);
	ck_assert_double_eq(config->defaults.fast_interval, 0.5);
	ck_assert_double_eq(config->defaults.timeout, 1.5);
	ck_assert_uint_eq(config->defaults.rise, 4);
	ck_assert_uint_eq(config->defaults.fall, 5);
	ck_assert_str_eq(config->bird_socket, "/tmp/bird-test.ctl");
	ck_assert_str_eq(config->control_socket, "/tmp/anycheck-test.sock");
	ck_assert_double_eq(config->defaults.hold_down, 20);
	ck_assert_double_eq(config->defaults.flap_window, 600);
	ck_assert_double_eq(config->defaults.hold_down_max, 400);
	ck_assert_double_eq(config->default_drain.seconds, 40);
	ck_assert_double_eq(config->default_drain.min_seconds, 4);
	ck_assert_double_eq(config->bird_verify_interval, 15);
	ck_assert_str_eq(config->bird_include_file, "/tmp/anycheck-test.conf");
	ck_assert_uint_eq(config->service_count, 3);

	web = config_find_service(config, "web-front");
	ck_assert_ptr_eq(web, &config->services[0]);
	ck_assert_uint_eq(web->prefix_count, 3);
	ck_assert_str_eq(web->prefixes[0].text, "192.0.2.1/32");
	ck_assert_int_eq(web->prefixes[0].family, AF_INET);
	ck_assert_str_eq(web->prefixes[1].text, "2001:db8::1/128");
	ck_assert_int_eq(web->prefixes[1].family, AF_INET6);
	ck_assert_str_eq(web->prefixes[2].text, "198.51.100.0/24");
	ck_assert_uint_eq(web->prefixes[2].length, 24);

	ck_assert_uint_eq(web->check_count, 3);
	ck_assert_ptr_eq(web->checks[0].ops, &check_http_ops);
	ck_assert_str_eq(web->checks[0].description,
	    "http GET http://192.0.2.1:8080/health");
	ck_assert_double_eq(web->checks[0].timeout, 0.3);
	ck_assert_ptr_eq(web->checks[1].ops, &check_tcp_ops);
	ck_assert_double_eq(web->checks[1].timeout, 0.25);
	ck_assert_str_eq(web->checks[1].description, "tcp 192.0.2.1:8080");
	ck_assert_ptr_eq(web->checks[2].ops, &check_exec_ops);
	ck_assert_str_eq(web->checks[2].description,
	    "exec /usr/local/bin/check-db --quick");
	ck_assert_int_eq(web->require, REQUIRE_AT_LEAST);
	ck_assert_uint_eq(web->require_count, 2);
	ck_assert_double_eq(web->timing.interval, 0.1);
	ck_assert_double_eq(web->timing.fast_interval, 0.05);
	ck_assert_double_eq(web->timing.timeout, 0.3);
	ck_assert_uint_eq(web->timing.rise, 2);
	ck_assert_uint_eq(web->timing.fall, 1);
	ck_assert_str_eq(web->maintenance_file,
	    "/etc/anycheck/maintenance/web");

	a = &web->announce;
	ck_assert_str_eq(a->next_hop_ipv4, "198.51.100.2");
	ck_assert_str_eq(a->next_hop_ipv6, "2001:db8::2");
	ck_assert(a->has_med);
	ck_assert_uint_eq(a->med, 100);
	ck_assert(a->has_local_preference);
	ck_assert_uint_eq(a->local_preference, 4294967295u);
	ck_assert_uint_eq(a->community_count, 2);
	ck_assert_uint_eq(a->communities[0].asn, 65000);
	ck_assert_uint_eq(a->communities[0].value, 100);
	ck_assert_uint_eq(a->communities[1].asn, 65535);
	ck_assert_uint_eq(a->communities[1].value, 0);
	ck_assert_uint_eq(a->large_community_count, 1);
	ck_assert_uint_eq(a->large_communities[0].global, 4200000000u);
	ck_assert_uint_eq(a->large_communities[0].local1, 1);
	ck_assert_uint_eq(a->large_communities[0].local2, 2);
	ck_assert_uint_eq(a->extended_community_count, 2);
	ck_assert_int_eq(a->extended_communities[0].kind,
	    EXTENDED_COMMUNITY_TARGET);
	ck_assert_uint_eq(a->extended_communities[0].admin, 65000);
	ck_assert_uint_eq(a->extended_communities[0].value, 100);
	ck_assert_int_eq(a->extended_communities[1].kind,
	    EXTENDED_COMMUNITY_ORIGIN);
	ck_assert_uint_eq(a->extended_communities[1].admin, 4200000000u);
	ck_assert_uint_eq(a->extended_communities[1].value, 7);
	ck_assert_uint_eq(a->as_path_prepend, 3);
	ck_assert(a->has_path_id);
	ck_assert_uint_eq(a->path_id, 7);

	ck_assert_uint_eq(web->exabgp_neighbor_count, 2);
	ck_assert_str_eq(web->exabgp_neighbors[0], "198.51.100.1");
	ck_assert_str_eq(web->exabgp_neighbors[1], "2001:db8::1");
	ck_assert_ptr_null(web->exabgp_neighbors[2]);
	ck_assert_str_eq(web->bird_protocol_ipv4, "web_v4");
	ck_assert_str_eq(web->bird_protocol_ipv6, "web6");

	dns = config_find_service(config, "dns");
	ck_assert_ptr_eq(dns, &config->services[2]);
	/* Inherited from defaults: anti-flap and the whole drain block. */
	ck_assert_double_eq(dns->timing.hold_down, 20);
	ck_assert_double_eq(dns->timing.hold_down_max, 400);
	ck_assert_double_eq(dns->drain.seconds, 40);
	ck_assert_double_eq(dns->drain.min_seconds, 4);
	ck_assert_uint_eq(dns->drain.port_count, 1);
	ck_assert_uint_eq(dns->drain.ports[0], 443);
	ck_assert_int_eq(dns->require, REQUIRE_ANY);
	ck_assert_uint_eq(dns->require_count, 1);
	ck_assert_double_eq(dns->timing.interval, 2.5);
	ck_assert_double_eq(dns->timing.fast_interval, 0.5);
	ck_assert_double_eq(dns->timing.timeout, 1.5);
	ck_assert_double_eq(dns->checks[0].timeout, 1.5);
	ck_assert_uint_eq(dns->check_count, 5);
	ck_assert_ptr_eq(dns->checks[2].ops, &check_process_ops);
	ck_assert_ptr_eq(dns->checks[3].ops, &check_address_ops);
	ck_assert_ptr_eq(dns->checks[4].ops, &check_listen_ops);
	ck_assert(dns->checks[4].immediate);
	ck_assert_ptr_eq(dns->checks[1].ops, &check_dns_ops);
	ck_assert_str_eq(dns->checks[1].description,
	    "dns [2001:db8::53]:53 example.org. SOA");
	ck_assert_uint_eq(dns->timing.rise, 4);
	ck_assert_uint_eq(dns->timing.fall, 5);
	ck_assert_ptr_null(dns->maintenance_file);
	ck_assert_ptr_null(dns->announce.next_hop_ipv4);
	ck_assert_ptr_null(dns->announce.next_hop_ipv6);
	ck_assert(!dns->announce.has_med);
	ck_assert(!dns->announce.has_path_id);
	ck_assert_uint_eq(dns->exabgp_neighbor_count, 0);
	ck_assert_str_eq(dns->bird_protocol_ipv4, "anycheck_dns_v4");
	ck_assert_str_eq(dns->bird_protocol_ipv6, "anycheck_dns_v6");

	ck_assert_ptr_null(config_find_service(config, "web"));
	config_free(config);
	config_errors_clear(&errors);
}
END_TEST

START_TEST(test_builtin_defaults)
{
	struct config *config = load_ok("{\"services\": [" SERVICE "]}");
	const struct service_config *web = &config->services[0];

	ck_assert(!config->has_local_as);
	ck_assert_str_eq(config->bird_socket, "/run/bird/bird.ctl");
	/* Each program has its own default (control.h). */
	ck_assert_ptr_null(config->control_socket);
	ck_assert_ptr_null(config->control_group);
	ck_assert_double_eq(web->timing.interval, 1.0);
	ck_assert_double_eq(web->timing.fast_interval, 0.2);
	ck_assert_double_eq(web->timing.timeout, 1.0);
	ck_assert_uint_eq(web->timing.rise, 3);
	ck_assert_uint_eq(web->timing.fall, 2);
	ck_assert_double_eq(web->checks[0].timeout, 1.0);
	ck_assert_int_eq(web->require, REQUIRE_ALL);
	ck_assert_uint_eq(web->require_count, 1);
	ck_assert_str_eq(web->bird_protocol_ipv4, "anycheck_web_v4");
	config_free(config);
}
END_TEST

/* The brief's own example: defaults fast_interval 0.2, a service with
 * interval 0.1. The inherited fast_interval is lowered, not an error. */
START_TEST(test_inherited_fast_interval_is_clamped)
{
	struct config *config = load_ok(
	    "{\"defaults\": {\"interval\": 1.0, \"fast_interval\": 0.2},\n"
	    " \"services\": [{\"name\": \"web\", \"interval\": 0.1, "
	    "\"timeout\": 5, \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]}]}");

	ck_assert_double_eq(config->services[0].timing.interval, 0.1);
	ck_assert_double_eq(config->services[0].timing.fast_interval, 0.1);
	/* A timeout above the interval is allowed. */
	ck_assert_double_eq(config->services[0].checks[0].timeout, 5);
	config_free(config);
}
END_TEST

START_TEST(test_unknown_keys)
{
	ck_assert_errors(
	    "{\n"
	    "  \"colour\": 1,\n"
	    "  \"services\": [" SERVICE "]\n"
	    "}\n",
	    "t.json:2:13: colour: unknown key \"colour\"; allowed: local_as, "
	    "defaults, bird, control, services, drain_on_exit, on_exit, "
	    "state_directory, metrics, hooks");
	ck_assert_errors(
	    "{\"services\": [\n"
	    "  {\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    "   \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    "   \"intervall\": 2}\n"
	    "]}\n",
	    "t.json:4:17: services[0].intervall: unknown key \"intervall\"; "
	    "allowed: name, prefixes, checks, require, interval, "
	    "fast_interval, timeout, rise, fall, hold_down, flap_window, "
	    "hold_down_max, maintenance_file, announce, down, disabled, "
	    "last_resort, drain, drain_on_exit, on_exit, exabgp, bird");
	ck_assert_errors(
	    "{\"services\": [\n"
	    "  {\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    "   \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    "   \"announce\": {\"med\": 1, \"metric\": 5}}\n"
	    "]}\n",
	    "t.json:4:37: services[0].announce.metric: unknown key \"metric\"; "
	    "allowed: next_hop, med, local_preference, communities, "
	    "large_communities, extended_communities, as_path_prepend, "
	    "path_id");
	ck_assert_errors(
	    "{\"defaults\": {\"jitter\": 0.1},\n"
	    " \"bird\": {\"sock\": \"/x\"},\n"
	    " \"services\": [" SERVICE "]}",
	    "t.json:1:25: defaults.jitter: unknown key \"jitter\"; allowed: "
	    "interval, fast_interval, timeout, rise, fall, hold_down, "
	    "flap_window, hold_down_max, drain\n"
	    "t.json:2:19: bird.sock: unknown key \"sock\"; allowed: socket, "
	    "verify_interval, include_file");
	/* A check type's own parser rejects keys it does not know. */
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"},\n"
	    "  {\"type\": \"tcp\", \"host\": \"192.0.2.1\", \"port\": 1, "
	    "\"tls\": true}]}]}",
	    "t.json:3:58: services[0].checks[1].tls: unknown key \"tls\"; "
	    "allowed: type, timeout, immediate, scope, host, port, send, expect");
}
END_TEST

START_TEST(test_wrong_types)
{
	ck_assert_errors(
	    "{\"local_as\": \"65001\",\n"
	    " \"services\": [{\"name\": 7, \"prefixes\": [\"192.0.2.1/32\"],\n"
	    "  \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    "  \"rise\": \"3\", \"interval\": \"1\", \"announce\": [],\n"
	    "  \"maintenance_file\": \"maint\", \"exabgp\": {\"neighbors\": "
	    "\"198.51.100.1\"}}]}",
	    "t.json:1:14: local_as: must be an integer between 1 and "
	    "4294967295\n"
	    "t.json:2:24: services[0].name: must be a string\n"
	    "t.json:4:28: services[0].interval: must be a number of seconds "
	    "between 0.01 and 3600\n"
	    "t.json:4:11: services[0].rise: must be an integer between 1 and "
	    "100\n"
	    "t.json:5:23: services[0].maintenance_file: must be an absolute "
	    "path\n"
	    "t.json:4:45: services[0].announce: must be an object\n"
	    "t.json:5:56: services[0].exabgp.neighbors: must be an array of "
	    "strings");
	ck_assert_errors("[1, 2]",
	    "t.json:1:1: the configuration must be a JSON object");
	ck_assert_errors("{\"services\": [\"web\"]}",
	    "t.json:1:15: services[0]: must be an object");
	ck_assert_errors("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\", 5], \"checks\": [\"tcp\"]}]}",
	    "t.json:1:60: services[0].prefixes[1]: must be a string\n"
	    "t.json:1:75: services[0].checks[0]: must be an object");
}
END_TEST

START_TEST(test_sockets)
{
	struct config *config;

	ck_assert_errors(
	    "{\"bird\": {\"socket\": \"\"},\n"
	    " \"control\": \"/run/x.sock\",\n"
	    " \"services\": [" SERVICE "]}",
	    "t.json:1:21: bird.socket: must not be empty\n"
	    "t.json:2:13: control: must be an object");
	config = load_ok("{\"bird\": {\"socket\": \"/run/bird/bird6.ctl\"}, "
	    "\"control\": {}, \"services\": [" SERVICE "]}");
	ck_assert_str_eq(config->bird_socket, "/run/bird/bird6.ctl");
	ck_assert_ptr_null(config->control_socket);
	config_free(config);
	config = load_ok("{\"control\": {\"socket\": \"/run/a/x.sock\", "
	    "\"group\": \"root\"}, \"services\": [" SERVICE "]}");
	ck_assert_str_eq(config->control_socket, "/run/a/x.sock");
	ck_assert_str_eq(config->control_group, "root");
	config_free(config);
}
END_TEST

START_TEST(test_out_of_range)
{
	ck_assert_errors(
	    "{\"defaults\": {\"rise\": 0, \"fall\": 101, \"interval\": 0.001,\n"
	    "  \"timeout\": 3600.5, \"fast_interval\": 0},\n"
	    " \"services\": [" SERVICE "]}",
	    "t.json:1:51: defaults.interval: must be a number of seconds "
	    "between 0.01 and 3600\n"
	    "t.json:2:39: defaults.fast_interval: must be a number of seconds "
	    "between 0.01 and 3600\n"
	    "t.json:2:14: defaults.timeout: must be a number of seconds "
	    "between 0.01 and 3600\n"
	    "t.json:1:23: defaults.rise: must be an integer between 1 and 100\n"
	    "t.json:1:34: defaults.fall: must be an integer between 1 and 100");
	ck_assert_errors("{\"local_as\": 0, \"services\": [" SERVICE "]}",
	    "t.json:1:14: local_as: must be an integer between 1 and "
	    "4294967295");
	ck_assert_errors("{\"local_as\": 4294967296, \"services\": [" SERVICE
	    "]}",
	    "t.json:1:14: local_as: must be an integer between 1 and "
	    "4294967295");
	ck_assert_errors("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"tcp\", \"host\": "
	    "\"192.0.2.1\", \"port\": 80, \"timeout\": 0}]}]}",
	    "t.json:1:132: services[0].checks[0].timeout: must be a number of "
	    "seconds between 0.01 and 3600");
	/* Integers only: 3.0 is not a count. */
	ck_assert_errors("{\"defaults\": {\"fall\": 3.0}, \"services\": ["
	    SERVICE "]}",
	    "t.json:1:23: defaults.fall: must be an integer between 1 and 100");
}
END_TEST

START_TEST(test_fast_interval_above_interval)
{
	ck_assert_errors(
	    "{\"defaults\": {\"interval\": 0.5, \"fast_interval\": 0.6},\n"
	    " \"services\": [" SERVICE "]}",
	    "t.json:1:49: defaults.fast_interval: must not exceed interval "
	    "(0.5)");
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"fast_interval\": 2}]}",
	    "t.json:3:19: services[0].fast_interval: must not exceed interval "
	    "(1)");
}
END_TEST

START_TEST(test_duplicate_service_names)
{
	ck_assert_errors(
	    "{\"services\": [\n"
	    SERVICE ",\n"
	    "{\"name\": \"dns\", \"prefixes\": [\"192.0.2.53/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]},\n"
	    "{\"name\": \"web\", \"prefixes\": [\"192.0.2.2/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]}]}",
	    "t.json:4:10: services[2].name: duplicate service name \"web\" "
	    "(first used by services[0])");
}
END_TEST

START_TEST(test_prefix_errors)
{
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}], \"prefixes\": [\n"
	    "  \"192.0.2.1/32\",\n"
	    "  \"192.0.2.1/24\",\n"
	    "  \"192.0.2.0/33\",\n"
	    "  \"2001:db8::/129\",\n"
	    "  \"192.0.2.7\",\n"
	    "  \"2001:db8::g/128\",\n"
	    "  \"192.0.2.1/3x\",\n"
	    "  \"2001:0DB8::0/32\",\n"
	    "  \"2001:db8::/32\",\n"
	    "  \"192.0.2.1/32\"\n"
	    "]}]}",
	    "t.json:3:3: services[0].prefixes[1]: invalid prefix "
	    "\"192.0.2.1/24\": host bits set\n"
	    "t.json:4:3: services[0].prefixes[2]: invalid prefix "
	    "\"192.0.2.0/33\": length out of range\n"
	    "t.json:5:3: services[0].prefixes[3]: invalid prefix "
	    "\"2001:db8::/129\": length out of range\n"
	    "t.json:6:3: services[0].prefixes[4]: invalid prefix "
	    "\"192.0.2.7\": missing /LENGTH\n"
	    "t.json:7:3: services[0].prefixes[5]: invalid prefix "
	    "\"2001:db8::g/128\": invalid address\n"
	    "t.json:8:3: services[0].prefixes[6]: invalid prefix "
	    "\"192.0.2.1/3x\": invalid length\n"
	    "t.json:10:3: services[0].prefixes[8]: duplicate prefix "
	    "\"2001:db8::/32\" (also prefixes[7])\n"
	    "t.json:11:3: services[0].prefixes[9]: duplicate prefix "
	    "\"192.0.2.1/32\" (also prefixes[0])");
}
END_TEST

START_TEST(test_community_errors)
{
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"announce\": {\n"
	    "  \"communities\": [\"65000:1\", \"65536:1\", \"1:2:3\", \"-1:5\"],\n"
	    "  \"large_communities\": [\"1:2\", \"4294967296:1:1\"],\n"
	    "  \"extended_communities\": [\"target:1:2\", \"rt:1:2\",\n"
	    "    \"origin:4200000000:70000\", \"target:65000\"]\n"
	    "}}]}",
	    "t.json:4:30: services[0].announce.communities[1]: invalid "
	    "community \"65536:1\" (expected ASN:VALUE, each 0..65535)\n"
	    "t.json:4:41: services[0].announce.communities[2]: invalid "
	    "community \"1:2:3\" (expected ASN:VALUE, each 0..65535)\n"
	    "t.json:4:50: services[0].announce.communities[3]: invalid "
	    "community \"-1:5\" (expected ASN:VALUE, each 0..65535)\n"
	    "t.json:5:25: services[0].announce.large_communities[0]: invalid "
	    "large community \"1:2\" (expected GLOBAL:LOCAL1:LOCAL2, each "
	    "0..4294967295)\n"
	    "t.json:5:32: services[0].announce.large_communities[1]: invalid "
	    "large community \"4294967296:1:1\" (expected GLOBAL:LOCAL1:LOCAL2, "
	    "each 0..4294967295)\n"
	    "t.json:6:42: services[0].announce.extended_communities[1]: "
	    "invalid extended community \"rt:1:2\" (expected target:ASN:VALUE "
	    "or origin:ASN:VALUE)\n"
	    "t.json:7:5: services[0].announce.extended_communities[2]: "
	    "invalid extended community \"origin:4200000000:70000\" (expected "
	    "target:ASN:VALUE or origin:ASN:VALUE)\n"
	    "t.json:7:32: services[0].announce.extended_communities[3]: "
	    "invalid extended community \"target:65000\" (expected "
	    "target:ASN:VALUE or origin:ASN:VALUE)");
}
END_TEST

START_TEST(test_as_path_prepend_needs_local_as)
{
	struct config *config;

	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"announce\": {\"as_path_prepend\": 2}}]}",
	    "t.json:3:34: services[0].announce.as_path_prepend: "
	    "as_path_prepend needs the top-level local_as");
	ck_assert_errors(
	    "{\"local_as\": 65001, \"services\": [{\"name\": \"web\", "
	    "\"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"announce\": {\"as_path_prepend\": 33}}]}",
	    "t.json:3:34: services[0].announce.as_path_prepend: must be an "
	    "integer between 0 and 32");
	/* Zero prepends need no AS. */
	config = load_ok("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}], \"announce\": {\"as_path_prepend\": 0}}]}");
	ck_assert_uint_eq(config->services[0].announce.as_path_prepend, 0);
	config_free(config);
}
END_TEST

#define TWO_CHECKS "\"checks\": [{\"type\": \"file\", \"path\": \"/a\"}, " \
	"{\"type\": \"file\", \"path\": \"/b\"}]"

START_TEST(test_require)
{
	struct config *config;
	const char *bad[] = { "\"most\"", "0", "3", "1.5", "true" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = xasprintf("{\"services\": [{\"name\": \"web\", "
		    "\"prefixes\": [\"192.0.2.1/32\"], " TWO_CHECKS ",\n"
		    "\"require\": %s}]}", bad[i]);
		ck_assert_errors(text, "t.json:2:12: services[0].require: must "
		    "be \"all\", \"any\" or a number of checks between 1 and 2");
		free(text);
	}
	config = load_ok("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], " TWO_CHECKS ", \"require\": 2}]}");
	ck_assert_int_eq(config->services[0].require, REQUIRE_AT_LEAST);
	ck_assert_uint_eq(config->services[0].require_count, 2);
	config_free(config);
	config = load_ok("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], " TWO_CHECKS ", \"require\": \"all\"}]}");
	ck_assert_int_eq(config->services[0].require, REQUIRE_ALL);
	ck_assert_uint_eq(config->services[0].require_count, 2);
	config_free(config);
}
END_TEST

START_TEST(test_missing_and_empty)
{
	ck_assert_errors("{\"services\": []}",
	    "t.json:1:14: services: must be a non-empty array of services");
	ck_assert_errors("{\"local_as\": 65001}",
	    "t.json:1:1: services: is required");
	ck_assert_errors(
	    "{\"services\": [\n"
	    "  {\"name\": \"web\"},\n"
	    "  {\"name\": \"dns\", \"prefixes\": [], \"checks\": []}\n"
	    "]}",
	    "t.json:2:3: services[0].prefixes: is required\n"
	    "t.json:2:3: services[0].checks: is required\n"
	    "t.json:3:31: services[1].prefixes: must be a non-empty array of "
	    "prefixes\n"
	    "t.json:3:45: services[1].checks: must be a non-empty array of "
	    "checks");
	ck_assert_errors("{\"services\": [{\"prefixes\": [\"192.0.2.1/32\"], "
	    "\"checks\": [{\"path\": \"/x\"}]}]}",
	    "t.json:1:15: services[0].name: is required\n"
	    "t.json:1:57: services[0].checks[0].type: is required");
}
END_TEST

START_TEST(test_json_syntax_error)
{
	ck_assert_errors("{\"services\": [\n  {\"name\": \"web\",,}\n]}",
	    "t.json:2:18: JSON syntax error: string or '}' expected near ','");
	ck_assert_errors("{\"local_as\": 1, \"local_as\": 2}",
	    "t.json:1:26: JSON syntax error: duplicate object key near "
	    "'\"local_as\"'");
	ck_assert_errors("",
	    "t.json:1:1: JSON syntax error: '[' or '{' expected near end of "
	    "file");
}
END_TEST

START_TEST(test_unreadable_file)
{
	struct config_errors errors;
	struct config *config = NULL;

	config_errors_init(&errors);
	ck_assert_int_eq(config_load(TEST_DATA_DIR "/no-such-file.json",
	    &config, &errors), -1);
	ck_assert_ptr_null(config);
	ck_assert_uint_eq(errors.count, 1);
	ck_assert_str_eq(errors.messages[0], TEST_DATA_DIR
	    "/no-such-file.json: cannot read: No such file or directory");
	ck_assert_int_eq(config_load(TEST_DATA_DIR, &config, &errors), -1);
	ck_assert_uint_eq(errors.count, 2);
	ck_assert_str_eq(errors.messages[1], TEST_DATA_DIR
	    ": cannot read: Is a directory");
	config_errors_clear(&errors);
	ck_assert_uint_eq(errors.count, 0);
}
END_TEST

/* Every problem of a file is reported, across services and levels. */
START_TEST(test_multiple_errors)
{
	ck_assert_errors(
	    "{\"local_as\": -1,\n"
	    " \"services\": [\n"
	    "  {\"name\": \"web site\", \"prefixes\": [\"192.0.2.1/24\"],\n"
	    "   \"checks\": [{\"type\": \"ping\"}], \"rise\": 0},\n"
	    "  {\"name\": \"dns\", \"prefixes\": [\"192.0.2.53/32\"],\n"
	    "   \"checks\": [{\"type\": \"tcp\", \"host\": \"192.0.2.53\", "
	    "\"port\": 0}],\n"
	    "   \"announce\": {\"med\": -5}}\n"
	    "]}",
	    "t.json:1:14: local_as: must be an integer between 1 and "
	    "4294967295\n"
	    "t.json:3:12: services[0].name: may only contain letters, digits, "
	    "'_' and '-'\n"
	    "t.json:3:37: services[0].prefixes[0]: invalid prefix "
	    "\"192.0.2.1/24\": host bits set\n"
	    "t.json:4:42: services[0].rise: must be an integer between 1 and "
	    "100\n"
	    "t.json:4:24: services[0].checks[0].type: unknown check type "
	    "\"ping\"; known types: address, dns, exec, file, http, listen, "
	    "process, tcp\n"
	    "t.json:6:61: services[1].checks[0].port: must be an integer "
	    "between 1 and 65535\n"
	    "t.json:7:24: services[1].announce.med: must be an integer between "
	    "0 and 4294967295");
}
END_TEST

START_TEST(test_service_names)
{
	char long_name[50];
	char *text;

	ck_assert_errors("{\"services\": [{\"name\": \"web/1\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}]}]}",
	    "t.json:1:24: services[0].name: may only contain letters, digits, "
	    "'_' and '-'");
	ck_assert_errors("{\"services\": [{\"name\": \"\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}]}]}",
	    "t.json:1:24: services[0].name: must not be empty");
	memset(long_name, 'a', 49);
	long_name[49] = '\0';
	text = xasprintf("{\"services\": [{\"name\": \"%s\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}]}]}", long_name);
	ck_assert_errors(text,
	    "t.json:1:24: services[0].name: must be at most 48 characters");
	free(text);
	long_name[48] = '\0';
	text = xasprintf("{\"services\": [{\"name\": \"%s\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}]}]}", long_name);
	config_free(load_ok(text));
	free(text);
}
END_TEST

START_TEST(test_next_hop)
{
	struct config *config;

	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\", "
	    "\"2001:db8::1/128\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"announce\": {\"next_hop\": {\"ipv4\": \"2001:db8::2\", "
	    "\"ipv6\": \"198.51.100.2\", \"ipv5\": \"self\"}}}]}",
	    "t.json:3:83: services[0].announce.next_hop.ipv5: unknown key "
	    "\"ipv5\"; allowed: ipv4, ipv6\n"
	    "t.json:3:36: services[0].announce.next_hop.ipv4: must be \"self\" "
	    "or an IPv4 address\n"
	    "t.json:3:59: services[0].announce.next_hop.ipv6: must be \"self\" "
	    "or an IPv6 address");
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"announce\": {\"next_hop\": \"2001:db8::2\"}}]}",
	    "t.json:3:27: services[0].announce.next_hop: IPv6 next hop "
	    "\"2001:db8::2\" but the service has no IPv6 prefix");
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"announce\": {\"next_hop\": \"router\"}}]}",
	    "t.json:3:27: services[0].announce.next_hop: must be \"self\", an "
	    "IP address, or an object with \"ipv4\" and/or \"ipv6\"");
	/* A plain IPv4 next hop with mixed prefixes: IPv6 stays "self". */
	config = load_ok("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\", \"2001:db8::1/128\"], \"checks\": [{\"type\": "
	    "\"file\", \"path\": \"/x\"}], \"announce\": {\"next_hop\": "
	    "\"198.51.100.2\"}}]}");
	ck_assert_str_eq(config->services[0].announce.next_hop_ipv4,
	    "198.51.100.2");
	ck_assert_ptr_null(config->services[0].announce.next_hop_ipv6);
	config_free(config);
	config = load_ok("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"2001:db8::1/128\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}], \"announce\": {\"next_hop\": {\"ipv4\": "
	    "\"self\", \"ipv6\": \"2001:DB8::2\"}}}]}");
	ck_assert_ptr_null(config->services[0].announce.next_hop_ipv4);
	ck_assert_str_eq(config->services[0].announce.next_hop_ipv6,
	    "2001:db8::2");
	config_free(config);
}
END_TEST

START_TEST(test_neighbors)
{
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"exabgp\": {\"neighbors\": [\"198.51.100.1\", \"198.51.100.300\", "
	    "\"peer1\", 4], \"peers\": []}}]}",
	    "t.json:3:83: services[0].exabgp.peers: unknown key \"peers\"; "
	    "allowed: neighbors\n"
	    "t.json:3:70: services[0].exabgp.neighbors[3]: must be a string");
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}],\n"
	    " \"exabgp\": {\"neighbors\": [\"198.51.100.1\", \"198.51.100.300\", "
	    "\"peer1\"]}}]}",
	    "t.json:3:43: services[0].exabgp.neighbors[1]: invalid IP address "
	    "\"198.51.100.300\"\n"
	    "t.json:3:61: services[0].exabgp.neighbors[2]: invalid IP address "
	    "\"peer1\"");
}
END_TEST

START_TEST(test_checks)
{
	struct config *config;

	ck_assert_errors("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"smtp\"}]}]}",
	    "t.json:1:81: services[0].checks[0].type: unknown check type "
	    "\"smtp\"; known types: address, dns, exec, file, http, listen, "
	    "process, tcp");
	ck_assert_errors("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": 3}]}]}",
	    "t.json:1:81: services[0].checks[0].type: must be a string");
	/* The service timeout is inherited; the check's own one wins. */
	config = load_ok("{\"services\": [{\"name\": \"web\", \"timeout\": 0.7, "
	    "\"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}, {\"type\": \"file\", \"path\": \"/y\", "
	    "\"timeout\": 2}]}]}");
	ck_assert_double_eq(config->services[0].checks[0].timeout, 0.7);
	ck_assert_double_eq(config->services[0].checks[1].timeout, 2);
	ck_assert_str_eq(config->services[0].checks[1].description,
	    "file /y");
	config_free(config);
}
END_TEST

START_TEST(test_bird_names)
{
	struct config *config;

	config = load_ok("{\"services\": [{\"name\": \"web-front-1\", "
	    "\"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\": "
	    "\"file\", \"path\": \"/x\"}]}, {\"name\": \"dns\", \"prefixes\": "
	    "[\"192.0.2.53/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}], \"bird\": {\"protocol_ipv4\": \"dns4\"}}]}");
	ck_assert_str_eq(config->services[0].bird_protocol_ipv4,
	    "anycheck_web_front_1_v4");
	ck_assert_str_eq(config->services[0].bird_protocol_ipv6,
	    "anycheck_web_front_1_v6");
	ck_assert_str_eq(config->services[1].bird_protocol_ipv4, "dns4");
	ck_assert_str_eq(config->services[1].bird_protocol_ipv6,
	    "anycheck_dns_v6");
	config_free(config);

	ck_assert_errors(
	    "{\"services\": [\n"
	    "{\"name\": \"a-b\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]},\n"
	    "{\"name\": \"a_b\", \"prefixes\": [\"192.0.2.2/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]},\n"
	    "{\"name\": \"c\", \"prefixes\": [\"192.0.2.3/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}], \"bird\": "
	    "{\"protocol_ipv6\": \"anycheck_a_b_v4\"}},\n"
	    "{\"name\": \"d\", \"prefixes\": [\"192.0.2.4/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}], \"bird\": "
	    "{\"protocol\": \"1st\", \"protocol_ipv4\": \"x-y\"}},\n"
	    "{\"name\": \"e\", \"prefixes\": [\"192.0.2.5/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}], \"bird\": "
	    "{\"protocol_ipv4\": \"same\", \"protocol_ipv6\": \"same\"}}\n"
	    "]}",
	    "t.json:3:10: services[1].name: BIRD protocol name "
	    "\"anycheck_a_b_v4\" is already used by services[0]\n"
	    "t.json:3:10: services[1].name: BIRD protocol name "
	    "\"anycheck_a_b_v6\" is already used by services[0]\n"
	    "t.json:4:115: services[2].bird.protocol_ipv6: BIRD protocol name "
	    "\"anycheck_a_b_v4\" is already used by services[0]\n"
	    "t.json:5:110: services[3].bird.protocol: must be a letter or '_' "
	    "followed by letters, digits or '_', at most 61 characters\n"
	    "t.json:5:134: services[3].bird.protocol_ipv4: must be a letter or "
	    "'_' followed by letters, digits or '_', at most 64 characters\n"
	    "t.json:6:140: services[4].bird.protocol_ipv6: BIRD protocol name "
	    "\"same\" is used for both IPv4 and IPv6");
}
END_TEST

/* bird.include_file: optional, an absolute path. */
START_TEST(test_bird_include_file)
{
	struct config *config;

	config = load_ok("{\"bird\": {\"include_file\": "
	    "\"/etc/bird/anycheck.conf\"}, \"services\": [" SERVICE "]}");
	ck_assert_str_eq(config->bird_include_file, "/etc/bird/anycheck.conf");
	config_free(config);
	config = load_ok("{\"services\": [" SERVICE "]}");
	ck_assert_ptr_null(config->bird_include_file);
	config_free(config);
	ck_assert_errors(
	    "{\"bird\": {\"include_file\": \"anycheck.conf\"},\n"
	    "\"services\": [" SERVICE "]}",
	    "t.json:1:27: bird.include_file: must be an absolute path");
	ck_assert_errors(
	    "{\"bird\": {\"include_file\": 7},\n"
	    "\"services\": [" SERVICE "]}",
	    "t.json:1:27: bird.include_file: must be a string");
}
END_TEST

START_TEST(test_locate)
{
	const char *text =
	    "{\n"
	    "  \"a\": {\"x\": [10, {\"y\": \"\\u00e9\\\"\", \"z\": 2}]},\n"
	    "  \"s\\u0074r\": \"\xc3\xa9t\xc3\xa9\", \"b\": true\n"
	    "}\n";
	int line = 0, column = 0;

	ck_assert_int_eq(config_json_locate(text, "a.x[1].z", &line, &column),
	    0);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(column, 42);
	ck_assert_int_eq(config_json_locate(text, "a.x[0]", &line, &column), 0);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(column, 15);
	/* A missing key or index falls back to the closest ancestor. */
	ck_assert_int_eq(config_json_locate(text, "a.x[7].q", &line, &column),
	    0);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(column, 14);
	ck_assert_int_eq(config_json_locate(text, "a.nope.deeper", &line,
	    &column), 0);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(column, 8);
	/* Escaped keys match; columns count characters, not bytes. */
	ck_assert_int_eq(config_json_locate(text, "b", &line, &column), 0);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(column, 27);
	ck_assert_int_eq(config_json_locate(text, "str", &line, &column), 0);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(column, 15);
	ck_assert_int_eq(config_json_locate(text, "", &line, &column), 0);
	ck_assert_int_eq(line, 1);
	ck_assert_int_eq(column, 1);
	ck_assert_int_eq(config_json_locate("{\"a\": [1,", "a[5]", &line,
	    &column), -1);
}
END_TEST

START_TEST(test_errors_are_appended)
{
	struct config_errors errors;
	struct config *config = NULL;

	config_errors_init(&errors);
	ck_assert_int_eq(config_load_text("a.json", "{}", &config, &errors),
	    -1);
	ck_assert_int_eq(config_load_text("b.json", "{\"services\": [" SERVICE
	    "]}", &config, &errors), 0);
	ck_assert_ptr_nonnull(config);
	/* An earlier file's errors do not make a good file fail. */
	ck_assert_uint_eq(errors.count, 1);
	ck_assert_str_eq(errors.messages[0],
	    "a.json:1:1: services: is required");
	config_free(config);
	config_errors_log(&errors);
	config_errors_clear(&errors);
}
END_TEST

/* Load text that must fail and check one error line contains part. */
#define ck_assert_error_has(text, part) do {                            \
	char *errors_ = load_errors(text);                                   \
	ck_assert_msg(strstr(errors_, part) != NULL, "%s\nnot in:\n%s",      \
	    part, errors_);                                                  \
	ck_assert_msg(strncmp(errors_, "t.json:1:", 9) == 0, "%s", errors_); \
	free(errors_);                                                       \
} while (0)

/* A config of one service with extra keys (JSON text) in the service. */
#define ONE(extra) "{\"local_as\": 65001, \"services\": [{\"name\": \"web\", " \
	"\"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", " \
	"\"path\": \"/x\"}], \"announce\": {\"med\": 100, " \
	"\"communities\": [\"65000:1\"]}" extra "}]}"

START_TEST(test_new_key_defaults)
{
	struct config *config = load_ok(ONE(""));
	const struct service_config *s = &config->services[0];

	ck_assert_double_eq(s->timing.hold_down, 10);
	ck_assert_double_eq(s->timing.flap_window, 300);
	ck_assert_double_eq(s->timing.hold_down_max, 300);
	ck_assert(!s->down.announced);
	ck_assert(!s->disabled.announced);
	ck_assert_double_eq(s->drain.seconds, 30);
	ck_assert_double_eq(s->drain.min_seconds, 3);
	ck_assert(!s->drain.has_connections);
	ck_assert(!s->drain_on_exit);
	ck_assert_int_eq(s->on_exit, ON_EXIT_WITHDRAW);
	/* Drain attributes: the UP ones plus 65535:0. */
	ck_assert(s->drain_announce.has_med);
	ck_assert_uint_eq(s->drain_announce.med, 100);
	ck_assert_uint_eq(s->drain_announce.community_count, 2);
	ck_assert_uint_eq(s->drain_announce.communities[0].asn, 65000);
	ck_assert_uint_eq(s->drain_announce.communities[1].asn, 65535);
	ck_assert_uint_eq(s->drain_announce.communities[1].value, 0);
	config_free(config);
}
END_TEST

START_TEST(test_drain_attributes_and_inheritance)
{
	struct config *config = load_ok("{\"local_as\": 65001, \"defaults\": "
	    "{\"hold_down\": 5, \"drain\": {\"seconds\": 12, \"med\": 900, "
	    "\"connections\": {\"max\": 3}}}, \"drain_on_exit\": true, "
	    "\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}], \"announce\": {\"med\": 100, \"communities\": "
	    "[\"65000:1\", \"65535:0\"]}, \"drain\": {\"as_path_prepend\": 3, "
	    "\"min_seconds\": 0.5, "
	    "\"communities\": [\"65000:99\"]}, \"down\": {\"med\": 1000}, "
	    "\"disabled\": \"withdraw\", \"hold_down_max\": 7}]}");
	const struct service_config *s = &config->services[0];

	ck_assert_double_eq(s->timing.hold_down, 5);
	ck_assert_double_eq(s->timing.hold_down_max, 7);
	ck_assert_double_eq(s->drain.seconds, 12);
	ck_assert_double_eq(s->drain.min_seconds, 0.5);
	ck_assert(s->drain.has_connections);
	ck_assert_int_eq(s->drain.connections_max, 3);
	ck_assert(s->drain_on_exit);
	ck_assert_uint_eq(s->drain_announce.med, 900);
	ck_assert_uint_eq(s->drain_announce.as_path_prepend, 3);
	/* 65535:0 is not doubled; the drain block's community is added. */
	ck_assert_uint_eq(s->drain_announce.community_count, 3);
	ck_assert_uint_eq(s->drain_announce.communities[2].value, 99);
	ck_assert(s->down.announced);
	ck_assert_uint_eq(s->down.attributes.med, 1000);
	ck_assert(!s->disabled.announced);
	/* The UP set is untouched. */
	ck_assert_uint_eq(s->announce.med, 100);
	ck_assert_uint_eq(s->announce.as_path_prepend, 0);
	config_free(config);
}
END_TEST

START_TEST(test_connections_ports)
{
	struct config *config = load_ok(ONE(", \"drain\": {\"connections\": "
	    "{\"ports\": [80, 443]}}"));
	const struct drain_config *d = &config->services[0].drain;

	ck_assert(d->has_connections);
	ck_assert_int_eq(d->connections_max, 0);
	ck_assert_uint_eq(d->port_count, 2);
	ck_assert_uint_eq(d->ports[1], 443);
	config_free(config);
}
END_TEST

START_TEST(test_new_key_errors)
{
	ck_assert_error_has(ONE(", \"hold_down\": 3601"),
	    "services[0].hold_down: must be a number of seconds between 0 "
	    "and 3600");
	ck_assert_error_has(ONE(", \"flap_window\": -1"),
	    "services[0].flap_window: must be a number of seconds between 0 "
	    "and 86400");
	ck_assert_error_has(ONE(", \"hold_down\": 20, \"hold_down_max\": 10"),
	    "services[0].hold_down_max: must be at least hold_down (20)");
	ck_assert_error_has(ONE(", \"down\": \"keep\""),
	    "services[0].down: must be \"withdraw\" or an object with the "
	    "keys of announce");
	ck_assert_error_has(ONE(", \"disabled\": {\"medd\": 1}"),
	    "services[0].disabled.medd: unknown key \"medd\"");
	ck_assert_error_has(ONE(", \"down\": {\"med\": -1}"),
	    "services[0].down.med: must be an integer between 0 and "
	    "4294967295");
	ck_assert_error_has(ONE(", \"drain\": {\"seconds\": \"x\"}"),
	    "services[0].drain.seconds: must be a number of seconds");
	ck_assert_error_has(ONE(", \"drain\": {\"grace\": 1}"),
	    "services[0].drain.grace: unknown key \"grace\"; allowed: seconds, "
	    "min_seconds, med, as_path_prepend, communities, connections");
	ck_assert_error_has(ONE(", \"drain\": {\"communities\": [\"1:2:3\"]}"),
	    "services[0].drain.communities[0]: invalid community \"1:2:3\"");
	ck_assert_error_has(ONE(", \"drain\": {\"connections\": {\"max\": -1}}"),
	    "services[0].drain.connections.max: must be an integer between 0");
	ck_assert_error_has(ONE(", \"drain\": {\"connections\": {\"ports\": "
	    "[80, 0]}}"), "services[0].drain.connections.ports[1]: must be a "
	    "port between 1 and 65535");
	ck_assert_error_has(ONE(", \"drain\": {\"connections\": {\"ports\": "
	    "[]}}"), "services[0].drain.connections.ports: must be a non-empty "
	    "array");
	ck_assert_error_has(ONE(", \"drain\": {\"connections\": {\"min\": 1}}"),
	    "services[0].drain.connections.min: unknown key");
	ck_assert_error_has(ONE(", \"on_exit\": \"stay\""),
	    "services[0].on_exit: must be \"withdraw\" or \"keep\"");
	ck_assert_error_has(ONE(", \"drain_on_exit\": 1"),
	    "services[0].drain_on_exit: must be true or false");
	ck_assert_error_has(ONE(", \"drain_on_exit\": true, \"on_exit\": "
	    "\"keep\""), "services[0]: drain_on_exit needs on_exit "
	    "\"withdraw\"");
	ck_assert_error_has("{\"drain_on_exit\": true, \"on_exit\": \"keep\", "
	    "\"services\": [" SERVICE "]}", "drain_on_exit: drain_on_exit "
	    "needs on_exit \"withdraw\"");
	ck_assert_error_has("{\"defaults\": {\"drain\": {\"as_path_prepend\": "
	    "2}}, \"services\": [" SERVICE "]}", "defaults.drain."
	    "as_path_prepend: as_path_prepend needs the top-level local_as");
	ck_assert_error_has("{\"defaults\": {\"on_exit\": \"keep\"}, "
	    "\"services\": [" SERVICE "]}", "defaults.on_exit: unknown key");
}
END_TEST

/* Failure scope: each check is local by default or global; global checks
 * need the service's last_resort, an attribute set like down's. */
START_TEST(test_scope_and_last_resort)
{
	struct config *config;
	const struct service_config *web;

	config = load_ok("{\"local_as\": 65001, \"services\": [{\"name\": "
	    "\"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": ["
	    "{\"type\": \"file\", \"path\": \"/x\"}, "
	    "{\"type\": \"file\", \"path\": \"/y\", \"scope\": \"local\"}, "
	    "{\"type\": \"http\", \"url\": \"http://198.51.100.7/\", "
	    "\"scope\": \"global\"}], "
	    "\"last_resort\": {\"med\": 1000, \"communities\": [\"65000:666\"], "
	    "\"as_path_prepend\": 2}}]}");
	web = &config->services[0];
	ck_assert_int_eq(web->checks[0].scope, CHECK_SCOPE_LOCAL);
	ck_assert_int_eq(web->checks[1].scope, CHECK_SCOPE_LOCAL);
	ck_assert_int_eq(web->checks[2].scope, CHECK_SCOPE_GLOBAL);
	ck_assert_str_eq(check_scope_name(web->checks[2].scope), "global");
	ck_assert(web->last_resort.announced);
	ck_assert(web->last_resort.attributes.has_med);
	ck_assert_uint_eq(web->last_resort.attributes.med, 1000);
	ck_assert_uint_eq(web->last_resort.attributes.community_count, 1);
	ck_assert_uint_eq(web->last_resort.attributes.communities[0].value,
	    666);
	ck_assert_uint_eq(web->last_resort.attributes.as_path_prepend, 2);
	/* Nothing is inherited from announce or down. */
	ck_assert(!web->down.announced);
	ck_assert(!web->announce.has_med);
	config_free(config);

	/* A last resort without global checks is allowed (unused). */
	config = load_ok(ONE(", \"last_resort\": {\"med\": 5}"));
	ck_assert(config->services[0].last_resort.announced);
	ck_assert_int_eq(config->services[0].checks[0].scope,
	    CHECK_SCOPE_LOCAL);
	config_free(config);
	config = load_ok("{\"services\": [" SERVICE "]}");
	ck_assert(!config->services[0].last_resort.announced);
	config_free(config);
}
END_TEST

START_TEST(test_scope_errors)
{
	/* Global checks without a last resort: where, and the fix. */
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/x\"},\n"
	    "  {\"type\": \"file\", \"path\": \"/db\", \"scope\": \"global\"},\n"
	    "  {\"type\": \"file\", \"path\": \"/api\", \"scope\": \"global\"}]}]}",
	    "t.json:3:44: services[0].checks[1].scope: a global check needs "
	    "the service's \"last_resort\", the attributes to announce while "
	    "only global checks fail, for example \"last_resort\": {\"med\": "
	    "1000}; or make the check \"local\" (its failure then withdraws "
	    "the service)");
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"tcp\", \"host\": \"192.0.2.1\", "
	    "\"port\": 80, \"scope\": \"site\"}]}]}",
	    "t.json:2:71: services[0].checks[0].scope: must be \"local\" (a "
	    "failure withdraws this site) or \"global\" (something every site "
	    "depends on)");
	ck_assert_errors(
	    "{\"services\": [{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"],\n"
	    " \"checks\": [{\"type\": \"file\", \"path\": \"/db\", "
	    "\"scope\": \"global\"}],\n"
	    " \"last_resort\": \"withdraw\"}]}",
	    "t.json:3:17: services[0].last_resort: must be an object with the "
	    "keys of announce: the attributes announced while only global "
	    "checks fail (to withdraw on their failure, make those checks "
	    "\"local\" instead)");
	ck_assert_error_has(ONE(", \"last_resort\": {\"medd\": 1}"),
	    "services[0].last_resort.medd: unknown key \"medd\"; allowed: "
	    "next_hop, med");
	ck_assert_error_has(ONE(", \"last_resort\": {\"communities\": "
	    "[\"65000:0100\"]}"), "services[0].last_resort.communities[0]: "
	    "invalid community \"65000:0100\": numbers are written without "
	    "leading zeros");
	ck_assert_error_has("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"/x\"}], \"last_resort\": {\"as_path_prepend\": 1}}]}",
	    "services[0].last_resort.as_path_prepend: as_path_prepend needs "
	    "the top-level local_as");
	/* last_resort is not inherited: defaults has no such key. */
	ck_assert_error_has("{\"defaults\": {\"last_resort\": {\"med\": 1}}, "
	    "\"services\": [" SERVICE "]}", "defaults.last_resort: unknown key");
}
END_TEST

/* Every check type takes "scope" (the loader reads it for all of them; each
 * type lists it among its allowed keys): a new type that forgets it fails
 * here. */
START_TEST(test_scope_every_check_type)
{
	char *types = xstrdup(check_type_names()), *state = NULL;
	unsigned count = 0;

	for (char *type = strtok_r(types, ", ", &state); type != NULL;
	    type = strtok_r(NULL, ", ", &state)) {
		char *text = xasprintf("{\"services\": [{\"name\": \"web\", "
		    "\"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\": "
		    "\"%s\", \"scope\": \"global\"}], \"last_resort\": {}}]}",
		    type);
		struct config_errors errors;
		struct config *config = NULL;

		config_errors_init(&errors);
		config_load_text("t.json", text, &config, &errors);
		for (size_t i = 0; i < errors.count; i++)
			ck_assert_msg(strstr(errors.messages[i],
			    "unknown key \"scope\"") == NULL,
			    "check type %s: %s", type, errors.messages[i]);
		config_free(config);
		config_errors_clear(&errors);
		free(text);
		count++;
	}
	free(types);
	ck_assert_uint_ge(count, 4);
}
END_TEST

START_TEST(test_inherited_hold_down_max_is_raised)
{
	struct config *config = load_ok(ONE(", \"hold_down\": 600"));

	ck_assert_double_eq(config->services[0].timing.hold_down_max, 600);
	config_free(config);
}
END_TEST

/* config_diff: matched by name, deep-equal or not, added, removed. */
START_TEST(test_config_diff)
{
	struct config *a = load_ok("{\"services\": ["
	    "{\"name\": \"same\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"command\": [\"/bin/true\"]}]},"
	    "{\"name\": \"med\", \"prefixes\": [\"192.0.2.2/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]},"
	    "{\"name\": \"cmd\", \"prefixes\": [\"192.0.2.3/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"command\": [\"/bin/true\"]}]},"
	    "{\"name\": \"gone\", \"prefixes\": [\"192.0.2.4/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]}]}");
	struct config *b = load_ok("{\"services\": ["
	    "{\"name\": \"new\", \"prefixes\": [\"192.0.2.5/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}]},"
	    "{\"name\": \"same\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"command\": [\"/bin/true\"]}]},"
	    "{\"name\": \"med\", \"prefixes\": [\"192.0.2.2/32\"], \"checks\": "
	    "[{\"type\": \"file\", \"path\": \"/x\"}], \"drain\": "
	    "{\"med\": 5}},"
	    "{\"name\": \"cmd\", \"prefixes\": [\"192.0.2.3/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"command\": [\"/bin/false\"]}]}]}");
	struct config_diff_entry *diff;
	size_t n = config_diff(a, b, &diff);

	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(diff[0].change, CONFIG_SERVICE_ADDED);
	ck_assert_str_eq(diff[0].new_service->name, "new");
	ck_assert_ptr_null(diff[0].old_service);
	ck_assert_int_eq(diff[1].change, CONFIG_SERVICE_UNCHANGED);
	ck_assert_ptr_eq(diff[1].old_service, &a->services[0]);
	ck_assert_int_eq(diff[2].change, CONFIG_SERVICE_CHANGED);
	ck_assert_int_eq(diff[3].change, CONFIG_SERVICE_CHANGED);
	ck_assert_int_eq(diff[4].change, CONFIG_SERVICE_REMOVED);
	ck_assert_str_eq(diff[4].old_service->name, "gone");
	ck_assert_ptr_null(diff[4].new_service);
	ck_assert_str_eq(config_change_name(diff[4].change), "removed");
	free(diff);
	ck_assert(config_service_equal(&a->services[0], &b->services[1]));
	ck_assert(!config_service_equal(&a->services[1], &b->services[2]));
	/* A different local_as changes every service. */
	struct config *c = load_ok("{\"local_as\": 65009, \"services\": ["
	    "{\"name\": \"same\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"exec\", \"command\": [\"/bin/true\"]}]}]}");
	n = config_diff(a, c, &diff);
	ck_assert_int_eq(diff[0].change, CONFIG_SERVICE_CHANGED);
	free(diff);
	config_free(c);
	/* The same config: everything unchanged. */
	n = config_diff(a, a, &diff);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(diff[i].change, CONFIG_SERVICE_UNCHANGED);
	free(diff);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(test_service_equal_every_field)
{
	/* Each variant differs from the base in one key. */
	static const char *const variants[] = {
		", \"hold_down\": 1", ", \"flap_window\": 1",
		", \"hold_down_max\": 400", ", \"down\": {\"med\": 1}",
		", \"disabled\": {}", ", \"drain\": {\"seconds\": 1}",
		", \"drain\": {\"connections\": {}}",
		", \"drain\": {\"communities\": [\"1:1\"]}",
		", \"drain_on_exit\": true", ", \"on_exit\": \"keep\"",
		", \"maintenance_file\": \"/m\"", ", \"rise\": 1",
		", \"exabgp\": {\"neighbors\": [\"198.51.100.1\"]}",
	};
	struct config *base = load_ok(ONE(""));
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		char *text = xasprintf("{\"local_as\": 65001, \"services\": "
		    "[{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], "
		    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"}], "
		    "\"announce\": {\"med\": 100, \"communities\": "
		    "[\"65000:1\"]}%s}]}", variants[i]);
		struct config *other = load_ok(text);
		ck_assert_msg(!config_service_equal(&base->services[0],
		    &other->services[0]), "%s", variants[i]);
		config_free(other);
		free(text);
	}
	struct config *same = load_ok(ONE(""));
	ck_assert(config_service_equal(&base->services[0], &same->services[0]));
	config_free(same);
	config_free(base);
}
END_TEST

/* One service per line, each with "rise": 0 (one error), after "{" and
 * "\"services\": [" on lines 1 and 2: services[i] is on line i + 3. */
static char *
many_bad_services(size_t count)
{
	char *text = xstrdup("{\n\"services\": [\n");

	for (size_t i = 0; i < count; i++) {
		/* Prefixes of one width: each service its own. */
		char *next = xasprintf("%s%s{\"name\": \"s%zu\", "
		    "\"prefixes\": [\"10.1.%zu.%zu/32\"], \"rise\": 0, "
		    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"}]}\n",
		    text, i > 0 ? "," : "", i, 100 + i / 100, 100 + i % 100);
		free(text);
		text = next;
	}
	char *next = xasprintf("%s]}\n", text);
	free(text);
	return next;
}

START_TEST(test_many_errors_are_capped)
{
	struct config_errors errors;
	struct config *config = NULL;
	char *text = many_bad_services(250);

	config_errors_init(&errors);
	ck_assert_int_eq(config_load_text("t.json", text, &config, &errors),
	    -1);
	ck_assert_ptr_null(config);
	/* The first CONFIG_ERRORS_MAX with their positions, then a count. */
	ck_assert_uint_eq(errors.total, 250);
	ck_assert_uint_eq(errors.count, CONFIG_ERRORS_MAX + 1);
	ck_assert_str_eq(errors.messages[0], "t.json:3:57: services[0].rise: "
	    "must be an integer between 1 and 100");
	ck_assert_str_eq(errors.messages[99], "t.json:102:59: services[99].rise: "
	    "must be an integer between 1 and 100");
	ck_assert_str_eq(errors.messages[100], "t.json: ... and 150 more errors "
	    "(only the first 100 are reported)");
	config_errors_clear(&errors);
	free(text);
}
END_TEST

START_TEST(test_index_locates_every_value)
{
	char *text = many_bad_services(300);
	struct config_json_index *index = config_json_index_new(text);
	int line = 0, column = 0;

	/* Every service, in any order, through the one index. */
	for (size_t i = 300; i-- > 0;) {
		char path[64];
		snprintf(path, sizeof(path), "services[%zu].checks[0].path", i);
		ck_assert_int_eq(config_json_index_locate(index, path, &line,
		    &column), 0);
		ck_assert_int_eq(line, (int)i + 3);
		/* A comma before all but the first; the name's digits. */
		ck_assert_int_eq(column, 96 + (i > 0) + (i >= 10) +
		    (i >= 100));
	}
	/* Missing parts fall back to the closest ancestor. */
	ck_assert_int_eq(config_json_index_locate(index, "services[300].x",
	    &line, &column), 0);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(column, 13);
	ck_assert_int_eq(config_json_index_locate(index, "services[7].nope",
	    &line, &column), 0);
	ck_assert_int_eq(line, 10);
	ck_assert_int_eq(column, 2);
	config_json_index_free(index);
	free(text);
}
END_TEST

/* Load a service whose maintenance_file is path; return its warnings
 * joined by '\n' ("" for none). The load must succeed. */
static char *
maintenance_warnings(const char *path)
{
	struct config_errors errors;
	struct config *config = NULL;
	char *text = xasprintf("{\"services\": [{\"name\": \"web\", "
	    "\"prefixes\": [\"192.0.2.1/32\"], \"maintenance_file\": \"%s\", "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"}]}]}", path);
	char *joined = xstrdup("");

	config_errors_init(&errors);
	ck_assert_int_eq(config_load_text("t.json", text, &config, &errors),
	    0);
	ck_assert_uint_eq(errors.count, 0);
	ck_assert_uint_eq(errors.warning_total, errors.warning_count);
	for (size_t i = 0; i < errors.warning_count; i++) {
		char *next = xasprintf("%s%s%s", joined, i > 0 ? "\n" : "",
		    errors.warnings[i]);
		free(joined);
		joined = next;
	}
	config_warnings_log(&errors);
	config_errors_clear(&errors);
	config_free(config);
	free(text);
	return joined;
}

START_TEST(test_maintenance_file_warnings)
{
	char directory[] = "/tmp/anycheck-maint-XXXXXX";
	char *path, *warnings, *expected;

	ck_assert_ptr_nonnull(mkdtemp(directory));
	path = xasprintf("%s/web", directory);

	/* Only its operators can write there: nothing to say. */
	ck_assert_int_eq(chmod(directory, 0755), 0);
	warnings = maintenance_warnings(path);
	ck_assert_str_eq(warnings, "");
	free(warnings);

	/* World-writable, sticky or not: anyone can create the file. */
	expected = xasprintf("t.json:1:81: services[0].maintenance_file: the "
	    "directory %s is world-writable: any local user can create the "
	    "file and withdraw the service; use a directory only its "
	    "operators can write to", directory);
	ck_assert_int_eq(chmod(directory, 0777), 0);
	warnings = maintenance_warnings(path);
	ck_assert_str_eq(warnings, expected);
	free(warnings);
	ck_assert_int_eq(chmod(directory, 01777), 0);
	warnings = maintenance_warnings(path);
	ck_assert_str_eq(warnings, expected);
	free(warnings);
	free(expected);

	/* A directory that is not there: maintenance can never start. */
	ck_assert_int_eq(rmdir(directory), 0);
	expected = xasprintf("t.json:1:81: services[0].maintenance_file: the "
	    "directory %s does not exist: the file can never appear there, "
	    "so maintenance is impossible (a typo?)", directory);
	warnings = maintenance_warnings(path);
	ck_assert_str_eq(warnings, expected);
	free(warnings);
	free(expected);
	free(path);
}
END_TEST

/* Two services announcing one prefix would overwrite each other's
 * attributes under ExaBGP: the prefix is compared in canonical form. */
START_TEST(test_prefix_in_two_services)
{
	ck_assert_errors("{\"services\": [\n"
	    "{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\", "
	    "\"2001:db8::1/128\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}]},\n"
	    "{\"name\": \"api\", \"prefixes\": [\"192.0.2.2/32\", "
	    "\"2001:DB8:0:0::0001/128\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}]},\n"
	    "{\"name\": \"dns\", \"prefixes\": [\"192.0.2.1/32\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"}]}]}",
	    "t.json:3:46: services[1].prefixes[1]: prefix \"2001:db8::1/128\" "
	    "is announced by service \"api\" and by service \"web\" "
	    "(services[0]); a prefix can belong to only one service\n"
	    "t.json:4:30: services[2].prefixes[0]: prefix \"192.0.2.1/32\" "
	    "is announced by service \"dns\" and by service \"web\" "
	    "(services[0]); a prefix can belong to only one service");
	/* The same address with another length is another prefix. */
	config_free(load_ok("{\"services\": ["
	    "{\"name\": \"a\", \"prefixes\": [\"192.0.2.0/24\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"}]}, "
	    "{\"name\": \"b\", \"prefixes\": [\"192.0.2.0/25\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/x\"}]}]}"));
}
END_TEST

/* A JSON array of count copies of item. */
static char *
repeated(const char *item, size_t count)
{
	size_t length = strlen(item);
	char *text = xmalloc(count * (length + 1) + 3), *p = text;

	*p++ = '[';
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, item, length);
		p += length;
	}
	*p++ = ']';
	*p = '\0';
	return text;
}

/* Every list the config holds has a documented bound, with a clear error:
 * a million checks used to be accepted (737 MB). */
START_TEST(test_limits)
{
	char *list, *text;

	list = repeated("{}", CONFIG_SERVICES_MAX + 1);
	text = xasprintf("{\"services\": %s}", list);
	ck_assert_errors(text, "t.json:1:14: services: at most "
	    "20000 services (here 20001)");
	free(text);
	free(list);

	list = repeated("{\"type\": \"file\", \"path\": \"/x\"}",
	    CONFIG_CHECKS_MAX + 1);
	text = xasprintf("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": %s}]}", list);
	ck_assert_errors(text, "t.json:1:71: services[0].checks: at most 64 "
	    "checks per service (here 65)");
	free(text);
	free(list);
	/* At the limit: fine. */
	list = repeated("{\"type\": \"file\", \"path\": \"/x\"}",
	    CONFIG_CHECKS_MAX);
	text = xasprintf("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": %s}]}", list);
	config_free(load_ok(text));
	free(text);
	free(list);

	list = repeated("\"192.0.2.1/32\"", CONFIG_PREFIXES_MAX + 1);
	text = xasprintf("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "%s, \"checks\": [{\"type\": \"file\", \"path\": \"/x\"}]}]}",
	    list);
	ck_assert_errors(text, "t.json:1:43: services[0].prefixes: at most "
	    "1024 prefixes per service (here 1025)");
	free(text);
	free(list);

	list = repeated("\"65000:1\"", CONFIG_COMMUNITIES_MAX + 1);
	text = xasprintf(ONE(", \"drain\": {\"communities\": %s}"), list);
	ck_assert_error_has(text, "services[0].drain.communities: at most 256 "
	    "per list (here 257)");
	free(text);
	free(list);
	list = repeated("\"1:2:3\"", CONFIG_COMMUNITIES_MAX + 1);
	text = xasprintf("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}], \"announce\": {\"large_communities\": "
	    "%s}}]}", list);
	ck_assert_error_has(text, "services[0].announce.large_communities: "
	    "at most 256 per list (here 257)");
	free(text);
	free(list);
}
END_TEST

START_TEST(test_file_size_limit)
{
	char path[] = "/tmp/anycheck-big-XXXXXX";
	struct config_errors errors;
	struct config *config = NULL;
	char *expected;
	int fd = mkstemp(path);

	/* Sparse: refused from its size, before a byte is read. */
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(ftruncate(fd, CONFIG_FILE_SIZE_MAX + 1), 0);
	close(fd);
	config_errors_init(&errors);
	ck_assert_int_eq(config_load(path, &config, &errors), -1);
	ck_assert_uint_eq(errors.count, 1);
	expected = xasprintf("%s: the file is larger than 16 MiB, the most a "
	    "config may be", path);
	ck_assert_str_eq(errors.messages[0], expected);
	free(expected);
	config_errors_clear(&errors);
	unlink(path);
}
END_TEST

/* Numbers written as text take no leading zeros, and the error says so. */
START_TEST(test_leading_zeros_refused)
{
	ck_assert_error_has(ONE(", \"drain\": {\"communities\": "
	    "[\"65000:0100\"]}"), "services[0].drain.communities[0]: invalid "
	    "community \"65000:0100\": numbers are written without leading "
	    "zeros");
	ck_assert_errors("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.01/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"/x\"}]}]}", "t.json:1:44: services[0].prefixes[0]: "
	    "invalid prefix \"192.0.2.01/32\": invalid address: numbers are "
	    "written without leading zeros");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *tcase = tcase_create("load");

	tcase_add_test(tcase, test_full_config_file);
	tcase_add_test(tcase, test_builtin_defaults);
	tcase_add_test(tcase, test_inherited_fast_interval_is_clamped);
	tcase_add_test(tcase, test_unknown_keys);
	tcase_add_test(tcase, test_new_key_defaults);
	tcase_add_test(tcase, test_drain_attributes_and_inheritance);
	tcase_add_test(tcase, test_connections_ports);
	tcase_add_test(tcase, test_new_key_errors);
	tcase_add_test(tcase, test_scope_and_last_resort);
	tcase_add_test(tcase, test_scope_errors);
	tcase_add_test(tcase, test_scope_every_check_type);
	tcase_add_test(tcase, test_inherited_hold_down_max_is_raised);
	tcase_add_test(tcase, test_config_diff);
	tcase_add_test(tcase, test_service_equal_every_field);
	tcase_add_test(tcase, test_wrong_types);
	tcase_add_test(tcase, test_sockets);
	tcase_add_test(tcase, test_out_of_range);
	tcase_add_test(tcase, test_fast_interval_above_interval);
	tcase_add_test(tcase, test_duplicate_service_names);
	tcase_add_test(tcase, test_prefix_errors);
	tcase_add_test(tcase, test_community_errors);
	tcase_add_test(tcase, test_as_path_prepend_needs_local_as);
	tcase_add_test(tcase, test_require);
	tcase_add_test(tcase, test_missing_and_empty);
	tcase_add_test(tcase, test_json_syntax_error);
	tcase_add_test(tcase, test_unreadable_file);
	tcase_add_test(tcase, test_multiple_errors);
	tcase_add_test(tcase, test_service_names);
	tcase_add_test(tcase, test_next_hop);
	tcase_add_test(tcase, test_neighbors);
	tcase_add_test(tcase, test_checks);
	tcase_add_test(tcase, test_bird_names);
	tcase_add_test(tcase, test_bird_include_file);
	tcase_add_test(tcase, test_locate);
	tcase_add_test(tcase, test_errors_are_appended);
	tcase_add_test(tcase, test_many_errors_are_capped);
	tcase_add_test(tcase, test_index_locates_every_value);
	tcase_add_test(tcase, test_maintenance_file_warnings);
	tcase_add_test(tcase, test_prefix_in_two_services);
	tcase_add_test(tcase, test_limits);
	tcase_add_test(tcase, test_file_size_limit);
	tcase_add_test(tcase, test_leading_zeros_refused);
	suite_add_tcase(suite, tcase);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(config_suite());
	int failed;

	log_init("test_config", LOG_LEVEL_ERROR, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
