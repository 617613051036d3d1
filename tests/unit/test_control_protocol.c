/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control protocol and the operator state file
 *
 * Requests as anycheckctl sends them parse into what control.c runs;
 * every malformed or out-of-bounds request gets an error reply with its
 * code and a message naming the member; replies are one line. The state
 * file keeps maintenance reasons and shifts (with their wall-clock
 * deadline) across a save and a load, and a broken file is ignored.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_protocol.h"
#include "control_state.h"
#include "log.h"

static int
parse(const char *text, struct control_request *request, char **error)
{
	json_t *reply = NULL;
	int rc = control_request_parse(text, strlen(text), request, &reply);

	*error = NULL;
	if (rc != 0) {
		ck_assert_ptr_nonnull(reply);
		ck_assert(json_is_false(json_object_get(reply, "ok")));
		ck_assert_int_eq(json_integer_value(json_object_get(reply,
		    "version")), CONTROL_PROTOCOL_VERSION);
		*error = xasprintf("%s: %s", json_string_value(
		    json_object_get(reply, "code")), json_string_value(
		    json_object_get(reply, "error")));
		json_decref(reply);
	}
	return rc;
}

/* The error text of a request that must fail. */
static void
expect_error(const char *text, const char *expected)
{
	struct control_request request;
	char *error;

	ck_assert_int_eq(parse(text, &request, &error), -1);
	ck_assert_msg(strstr(error, expected) != NULL, "%s: got \"%s\", "
	    "expected \"%s\"", text, error, expected);
	free(error);
}

START_TEST(test_requests)
{
	struct control_request request;
	char *error;

	ck_assert_int_eq(parse("{\"version\":1,\"command\":\"status\"}",
	    &request, &error), 0);
	ck_assert_int_eq(request.command, CONTROL_COMMAND_STATUS);
	ck_assert_uint_eq(request.service_count, 0);
	control_request_clear(&request);

	ck_assert_int_eq(parse("{\"version\":1,\"command\":\"status\","
	    "\"services\":[\"web\",\"api-2\"]}", &request, &error), 0);
	ck_assert_uint_eq(request.service_count, 2);
	ck_assert_str_eq(request.services[1], "api-2");
	control_request_clear(&request);

	ck_assert_int_eq(parse("{\"version\":1,\"command\":\"maintenance\","
	    "\"service\":\"web\",\"on\":true,\"reason\":\"kernel upgrade\"}",
	    &request, &error), 0);
	ck_assert(request.on);
	ck_assert_str_eq(request.service, "web");
	ck_assert_str_eq(request.reason, "kernel upgrade");
	control_request_clear(&request);

	ck_assert_int_eq(parse("{\"version\":1,\"command\":\"shift\","
	    "\"service\":\"web\",\"med\":500,\"prepend\":32,\"communities\":"
	    "[\"65000:1\",\"65535:65535\"],\"for\":600}", &request, &error),
	    0);
	ck_assert(!request.clear);
	ck_assert(request.shift.has_med && request.shift.med == 500);
	ck_assert(request.shift.has_as_path_prepend);
	ck_assert_uint_eq(request.shift.as_path_prepend, 32);
	ck_assert_uint_eq(request.shift.community_count, 2);
	ck_assert_uint_eq(request.shift.communities[1].asn, 65535);
	ck_assert_double_eq(request.for_seconds, 600);
	control_request_clear(&request);

	ck_assert_int_eq(parse("{\"version\":1,\"command\":\"shift\","
	    "\"service\":\"web\",\"clear\":true}", &request, &error), 0);
	ck_assert(request.clear);
	control_request_clear(&request);

	ck_assert_int_eq(parse("{\"version\":1,\"command\":\"dump\","
	    "\"format\":\"text\"}", &request, &error), 0);
	ck_assert(request.text);
	control_request_clear(&request);
}
END_TEST

START_TEST(test_errors)
{
	char big[CONTROL_REQUEST_MAX + 16];

	expect_error("nonsense", "bad-request: not a JSON object");
	expect_error("[1]", "bad-request: not a JSON object");
	expect_error("{\"command\":\"status\"}", "\"version\" must be");
	expect_error("{\"version\":2,\"command\":\"status\"}",
	    "unsupported-version: protocol version 2 is not spoken here");
	expect_error("{\"version\":1,\"command\":\"frob\"}",
	    "unknown-command: unknown command \"frob\"");
	expect_error("{\"version\":1,\"command\":\"status\",\"colour\":1}",
	    "unknown member \"colour\" for status");
	expect_error("{\"version\":1,\"command\":\"check\"}",
	    "\"service\" must be a service name");
	expect_error("{\"version\":1,\"command\":\"check\",\"service\":"
	    "\"a b\"}", "not a valid service name");
	expect_error("{\"version\":1,\"command\":\"maintenance\",\"service\":"
	    "\"web\"}", "\"on\" must be true or false");
	expect_error("{\"version\":1,\"command\":\"maintenance\",\"service\":"
	    "\"web\",\"on\":true,\"reason\":\"a\\nb\"}",
	    "without control characters");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"prepend\":33}", "\"prepend\" must be an integer between 0 and "
	    "32");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"med\":-1}", "\"med\" must be");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"communities\":[\"65000:0100\"]}", "\"communities\"[0] must be");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"communities\":[\"65536:1\"]}", "\"communities\"[0] must be");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\"}",
	    "a shift needs \"med\", \"prepend\" or \"communities\"");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"med\":1,\"for\":0}", "\"for\" must be");
	expect_error("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"clear\":true,\"med\":1}", "\"clear\" takes no other");
	memset(big, ' ', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	expect_error(big, "request longer than 65536 bytes");
}
END_TEST

START_TEST(test_replies)
{
	char *line = control_reply_render(control_reply_error(
	    CONTROL_ERROR_UNKNOWN_SERVICE, "no service \"%s\"", "x"));

	ck_assert_str_eq(line, "{\"version\":1,\"ok\":false,\"code\":"
	    "\"unknown-service\",\"error\":\"no service \\\"x\\\"\"}\n");
	free(line);
	line = control_reply_render(control_reply_ok(CONTROL_COMMAND_RELOAD));
	ck_assert_str_eq(line, "{\"version\":1,\"ok\":true,\"command\":"
	    "\"reload\"}\n");
	free(line);
}
END_TEST

START_TEST(test_state_file)
{
	char dir[] = "/tmp/anycheck-ctlstate-XXXXXX", path[128];
	struct control_state state = { 0 }, loaded = { 0 };
	struct community communities[] = { { 65000, 1 } };
	struct supervisor_shift shift = { .has_med = true, .med = 500,
		.has_as_path_prepend = true, .as_path_prepend = 2,
		.communities = communities, .community_count = 1 };
	struct control_state_entry *entry;
	char *a, *b;
	FILE *file;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	/* Missing: empty, no error. */
	ck_assert_int_eq(control_state_load(path, &loaded), 0);
	ck_assert_uint_eq(loaded.count, 0);

	control_state_set_maintenance(&state, "web", true, "kernel upgrade");
	control_state_set_shift(&state, "web", &shift, 1767225600.5);
	control_state_set_shift(&state, "api", &shift, 0);
	ck_assert_uint_eq(state.count, 2);
	ck_assert_int_eq(control_state_save(path, &state), 0);
	ck_assert_int_eq(control_state_load(path, &loaded), 0);
	ck_assert_uint_eq(loaded.count, 2);
	entry = control_state_find(&loaded, "web", false);
	ck_assert_ptr_nonnull(entry);
	ck_assert(entry->maintenance);
	ck_assert_str_eq(entry->reason, "kernel upgrade");
	ck_assert(entry->shifted);
	ck_assert_double_eq(entry->until, 1767225600.5);
	ck_assert_uint_eq(entry->shift.med, 500);
	ck_assert_uint_eq(entry->shift.as_path_prepend, 2);
	ck_assert_uint_eq(entry->shift.community_count, 1);
	entry = control_state_find(&loaded, "api", false);
	ck_assert(!entry->maintenance && entry->shifted);
	ck_assert_double_eq(entry->until, 0);

	/* An entry with nothing left goes. */
	control_state_set_shift(&loaded, "api", NULL, 0);
	ck_assert_ptr_null(control_state_find(&loaded, "api", false));
	control_state_set_maintenance(&loaded, "web", false, NULL);
	ck_assert_ptr_nonnull(control_state_find(&loaded, "web", false));
	control_state_set_shift(&loaded, "web", NULL, 0);
	ck_assert_uint_eq(loaded.count, 0);

	/* Two instances never share a file. */
	a = control_state_path("/var/lib/anycheck", "anycheck-bird", "/a.json");
	b = control_state_path("/var/lib/anycheck", "anycheck-bird", "/b.json");
	ck_assert_str_ne(a, b);
	ck_assert(strncmp(a, "/var/lib/anycheck/anycheck-bird.", 32) == 0);
	free(a);
	free(b);

	/* A broken file is ignored, and a bad shift in it skipped. */
	file = fopen(path, "w");
	fputs("{\"version\": 1, \"services\": {\"web\": {\"shift\": "
	    "{\"prepend\": 99}, \"maintenance\": {\"reason\": \"r\"}}}}", file);
	fclose(file);
	ck_assert_int_eq(control_state_load(path, &loaded), 0);
	ck_assert_uint_eq(loaded.count, 1);
	ck_assert(loaded.entries[0].maintenance);
	ck_assert(!loaded.entries[0].shifted);
	file = fopen(path, "w");
	fputs("{\"version\": 1, \"serv", file);
	fclose(file);
	ck_assert_int_eq(control_state_load(path, &loaded), -1);
	ck_assert_uint_eq(loaded.count, 0);

	control_state_clear(&state);
	control_state_clear(&loaded);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("control_protocol");
	TCase *tc = tcase_create("protocol");
	SRunner *runner;
	int failed;

	log_init("test", LOG_LEVEL_INFO, false);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_replies);
	tcase_add_test(tc, test_state_file);
	suite_add_tcase(suite, tc);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
