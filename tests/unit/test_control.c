/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control module with the daemon and a fake ExaBGP
 *
 * The daemon runs on virtual time with ExaBGP's pipes held by the test
 * (as in test_backend_exabgp.c); requests go through control_execute, and
 * through the real socket in a temporary directory. Every assertion is on
 * what ExaBGP would be told, what status says, or what a client reads:
 * maintenance drains then withdraws and survives a restart; a shift
 * changes the announced attributes while UP, survives a restart, ends on
 * clear and on expiry; requests for services gone from the config are
 * dropped at start; the socket answers, reclaims a stale file and refuses
 * to take over a live one.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "control_server.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "virtual_clock.h"
#include "unit_support.h"

#define OUTPUT_MAX (1 << 20)

static struct {
	char dir[64];
	char path[128];
	char up[128];
	char socket[100];
	struct loop *loop;
	struct virtual_clock clock;
	struct daemon daemon;
	bool started;
	int to_exabgp[2];
	int from_exabgp[2];
	char output[OUTPUT_MAX];
	size_t output_length;
	size_t consumed;
} world;

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	snprintf(world.dir, sizeof(world.dir), "/tmp/anycheck-ctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(world.dir));
	snprintf(world.path, sizeof(world.path), "%s/anycheck.json", world.dir);
	snprintf(world.up, sizeof(world.up), "%s/up", world.dir);
	snprintf(world.socket, sizeof(world.socket), "%s/ctl.sock", world.dir);
	log_init("test", LOG_LEVEL_INFO, false);
	signal(SIGPIPE, SIG_IGN);
}

static void
pipes_and_loop(void)
{
	ck_assert_int_eq(pipe2(world.to_exabgp, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(pipe2(world.from_exabgp, O_CLOEXEC), 0);
	world.loop = loop_new();
	ck_assert_ptr_nonnull(world.loop);
	virtual_clock_attach(&world.clock, world.loop);
	world.output_length = world.consumed = 0;
}

static void
stop(void)
{
	if (world.started)
		daemon_cleanup(&world.daemon);
	world.started = false;
	loop_free(world.loop);
	close(world.to_exabgp[0]);
	close(world.to_exabgp[1]);
	close(world.from_exabgp[0]);
	close(world.from_exabgp[1]);
}

static void
teardown(void)
{
	char command[256];

	stop();
	snprintf(command, sizeof(command), "rm -rf %s", world.dir);
	ck_assert_int_eq(system(command), 0);
}

#define CONFIG \
	"{\"local_as\": 65001, \"state_directory\": \"%s\", " \
	"\"control\": {\"socket\": \"%s\"}, \"services\": [" \
	"{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}], " \
	"\"rise\": 1, \"fall\": 1, \"interval\": 1, \"fast_interval\": 0.5, " \
	"\"hold_down\": 0, \"announce\": {\"med\": 100}, " \
	"\"drain\": {\"seconds\": 2, \"min_seconds\": 0}}%s]}"

static void
write_config(const char *more)
{
	FILE *file = fopen(world.path, "w");

	ck_assert_ptr_nonnull(file);
	fprintf(file, CONFIG, world.dir, world.socket, world.up, more);
	ck_assert_int_eq(fclose(file), 0);
}

static int
start_result(void)
{
	struct config_errors errors;
	struct config *config = NULL;
	int rc;

	pipes_and_loop();
	config_errors_init(&errors);
	ck_assert_int_eq(config_load(world.path, &config, &errors), 0);
	config_errors_clear(&errors);
	daemon_defaults(&world.daemon, "anycheck-test");
	world.daemon.exabgp_input_fd = world.from_exabgp[0];
	world.daemon.exabgp_output_fd = world.to_exabgp[1];
	rc = daemon_init(&world.daemon, world.loop, config, world.path,
	    &backend_exabgp_ops);
	world.started = rc == 0;
	return rc;
}

static void
start(void)
{
	ck_assert_int_eq(start_result(), 0);
}

static void
advance_ms(uint64_t ms)
{
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    ms * NSEC_PER_MSEC), 0);
	for (;;) {
		ssize_t n = read(world.to_exabgp[0],
		    world.output + world.output_length,
		    OUTPUT_MAX - 1 - world.output_length);
		if (n <= 0)
			break;
		world.output_length += (size_t)n;
	}
	world.output[world.output_length] = '\0';
}

static char *
new_lines(void)
{
	char *text = xstrdup(world.output + world.consumed);

	world.consumed = world.output_length;
	return text;
}

#define expect_lines(expected) do { \
	char *lines_ = new_lines(); \
	ck_assert_str_eq(lines_, expected); \
	free(lines_); \
} while (0)

/* Run a request; the reply (owned). */
static json_t *
ask(const char *text)
{
	struct control_request request;
	json_t *reply = NULL;

	if (control_request_parse(text, strlen(text), &request, &reply) == 0) {
		reply = control_execute(world.daemon.control, &request, 0);
		control_request_clear(&request);
	}
	ck_assert_ptr_nonnull(reply);
	return reply;
}

static void
ask_ok(const char *text)
{
	json_t *reply = ask(text);

	ck_assert_msg(json_is_true(json_object_get(reply, "ok")), "%s: %s",
	    text, json_string_value(json_object_get(reply, "error")));
	json_decref(reply);
}

/* The status member of the first service. */
static char *
status_of(const char *member)
{
	json_t *reply = ask("{\"version\":1,\"command\":\"status\","
	    "\"services\":[\"web\"]}");
	json_t *web = json_array_get(json_object_get(reply, "services"), 0);
	char *text = json_dumps(json_object_get(web, member),
	    JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

	json_decref(reply);
	return text;
}

START_TEST(test_maintenance_drains_and_survives_restart)
{
	char *text;

	write_config("");
	test_touch(world.up);
	start();
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
	ask_ok("{\"version\":1,\"command\":\"maintenance\",\"service\":\"web\","
	    "\"on\":true,\"reason\":\"kernel upgrade\"}");
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100 "
	    "community [65535:0]\n");
	text = status_of("maintenance");
	ck_assert_str_eq(text, "{\"file\":false,\"file_path\":null,\"reason\":"
	    "\"kernel upgrade\",\"requested\":true}");
	free(text);
	advance_ms(2000);
	expect_lines("withdraw route 192.0.2.1/32 next-hop self\n");
	text = status_of("state");
	ck_assert_str_eq(text, "\"DISABLED\"");
	free(text);

	/* A restart: DISABLED before any check, with the reason. */
	stop();
	start();
	text = status_of("state");
	ck_assert_str_eq(text, "\"DISABLED\"");
	free(text);
	text = status_of("reason");
	ck_assert_str_eq(text, "\"maintenance on by request: kernel upgrade\"");
	free(text);
	advance_ms(3000);
	expect_lines("withdraw route 192.0.2.1/32 next-hop self\n");

	/* Off: checks again, rises, announced. */
	ask_ok("{\"version\":1,\"command\":\"maintenance\",\"service\":\"web\","
	    "\"on\":false}");
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
	stop();
	start();
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
}
END_TEST

START_TEST(test_shift_clear_expiry_and_restart)
{
	json_t *reply;
	char *text;

	write_config("");
	test_touch(world.up);
	start();
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
	ask_ok("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"med\":500,\"prepend\":2,\"communities\":[\"65000:7\"]}");
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 500 "
	    "community [65000:7] as-path [65001 65001 65001]\n");
	text = status_of("announcement");
	ck_assert_str_eq(text, "{\"as_path_prepend\":2,\"communities\":"
	    "[\"65000:7\"],\"med\":500,\"set\":\"shifted\"}");
	free(text);
	/* A failure withdraws; recovery comes back shifted. */
	unlink(world.up);
	advance_ms(1000);
	expect_lines("withdraw route 192.0.2.1/32 next-hop self\n");
	test_touch(world.up);
	advance_ms(1000);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 500 "
	    "community [65000:7] as-path [65001 65001 65001]\n");
	/* Kept across a restart. */
	stop();
	start();
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 500 "
	    "community [65000:7] as-path [65001 65001 65001]\n");
	ask_ok("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"clear\":true}");
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
	reply = ask("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"clear\":true}");
	ck_assert_str_eq(json_string_value(json_object_get(reply, "error")),
	    "service web is not shifted");
	json_decref(reply);

	/* For 5 s: on the monotonic clock while running. */
	ask_ok("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"med\":700,\"for\":5}");
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 700\n");
	text = status_of("shift");
	ck_assert(strstr(text, "\"seconds_left\":4.99") != NULL);
	free(text);
	advance_ms(4900);
	expect_lines("");
	advance_ms(200);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
	text = status_of("shift");
	ck_assert_ptr_null(text);       /* no member */
	/* Expired: nothing left for the next start. */
	stop();
	start();
	advance_ms(10);
	expect_lines("announce route 192.0.2.1/32 next-hop self med 100\n");
}
END_TEST

START_TEST(test_requests_for_removed_services_are_dropped)
{
	json_t *reply;

	write_config(", {\"name\": \"api\", \"prefixes\": [\"192.0.2.2/32\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/\"}]}");
	start();
	ask_ok("{\"version\":1,\"command\":\"maintenance\",\"service\":\"api\","
	    "\"on\":true,\"reason\":\"gone soon\"}");
	ask_ok("{\"version\":1,\"command\":\"shift\",\"service\":\"api\","
	    "\"med\":5}");
	stop();
	write_config("");
	start();
	reply = ask("{\"version\":1,\"command\":\"maintenance\",\"service\":"
	    "\"api\",\"on\":false}");
	ck_assert_str_eq(json_string_value(json_object_get(reply, "code")),
	    "unknown-service");
	ck_assert_str_eq(json_string_value(json_object_get(reply, "error")),
	    "no service \"api\"; the services are: web");
	json_decref(reply);
	/* And the file no longer has them: api comes back clean. */
	stop();
	write_config(", {\"name\": \"api\", \"prefixes\": [\"192.0.2.2/32\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"/\"}], \"rise\": 1}");
	start();
	advance_ms(1000);
	ck_assert(strstr(world.output, "announce route 192.0.2.2/32") != NULL);
}
END_TEST

START_TEST(test_prepend_needs_local_as)
{
	FILE *file = fopen(world.path, "w");
	json_t *reply;

	fprintf(file, "{\"state_directory\": \"%s\", \"services\": [{\"name\": "
	    "\"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": [{\"type\":"
	    " \"file\", \"path\": \"/\"}]}]}", world.dir);
	fclose(file);
	start();
	reply = ask("{\"version\":1,\"command\":\"shift\",\"service\":\"web\","
	    "\"prepend\":1}");
	ck_assert_str_eq(json_string_value(json_object_get(reply, "error")),
	    "a prepend needs local_as in the config");
	json_decref(reply);
}
END_TEST

/* A client of the real socket: send a line, run the loop, read a line. */
static char *
socket_ask(int fd, const char *line)
{
	static char buffer[1 << 16];
	size_t length = 0;

	if (line[0] != '\0')
		ck_assert_int_eq(send(fd, line, strlen(line), MSG_NOSIGNAL),
		    (ssize_t)strlen(line));
	for (int i = 0; i < 200; i++) {
		ssize_t n;
		loop_run_once(world.loop, 5);
		n = recv(fd, buffer + length, sizeof(buffer) - 1 - length,
		    MSG_DONTWAIT);
		if (n > 0)
			length += (size_t)n;
		buffer[length] = '\0';
		if (n == 0 || memchr(buffer, '\n', length) != NULL)
			break;
	}
	return buffer;
}

static int
socket_connect(void)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(address.sun_path, sizeof(address.sun_path), "%s",
	    world.socket);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	return fd;
}

START_TEST(test_socket)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	struct stat st;
	char *reply;
	int fd, clients[CONTROL_SERVER_CLIENTS_MAX + 1];
	struct daemon other;
	struct loop *loop;
	struct config *config = NULL;
	struct config_errors errors;

	write_config("");
	/* A stale socket file: nobody listens. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(address.sun_path, sizeof(address.sun_path), "%s",
	    world.socket);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	close(fd);
	start();
	ck_assert_int_eq(stat(world.socket, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	fd = socket_connect();
	reply = socket_ask(fd, "{\"version\":1,\"command\":\"version\"}\n");
	ck_assert(strncmp(reply, "{\"version\":1,\"ok\":true,\"command\":"
	    "\"version\",\"program\":\"anycheck-test\"", 63) == 0);
	/* Two requests in one write: two replies, in order. */
	reply = socket_ask(fd, "{\"version\":1,\"command\":\"check\","
	    "\"service\":\"nope\"}\n{\"version\":9,\"command\":\"status\"}\n");
	ck_assert(strstr(reply, "\"code\":\"unknown-service\"") != NULL);
	reply = strchr(reply, '\n') + 1;
	if (*reply == '\0')
		reply = socket_ask(fd, "");
	ck_assert(strstr(reply, "\"code\":\"unsupported-version\"") != NULL);
	close(fd);

	/* A second instance on the same socket is refused at start. */
	loop = loop_new();
	config_errors_init(&errors);
	ck_assert_int_eq(config_load(world.path, &config, &errors), 0);
	config_errors_clear(&errors);
	daemon_defaults(&other, "anycheck-test");
	other.exabgp_input_fd = world.from_exabgp[0];
	other.exabgp_output_fd = world.to_exabgp[1];
	ck_assert_int_eq(daemon_init(&other, loop, config, world.path,
	    &backend_exabgp_ops), -1);
	loop_free(loop);
	ck_assert_int_eq(stat(world.socket, &st), 0);   /* still ours */

	/* Clients beyond the limit are told "busy". */
	for (int i = 0; i <= CONTROL_SERVER_CLIENTS_MAX; i++) {
		clients[i] = socket_connect();
		loop_run_once(world.loop, 5);
	}
	reply = socket_ask(clients[CONTROL_SERVER_CLIENTS_MAX], "");
	ck_assert(strstr(reply, "\"code\":\"busy\"") != NULL);
	for (int i = 0; i <= CONTROL_SERVER_CLIENTS_MAX; i++)
		close(clients[i]);

	/* An endless request line is refused, and the client closed. */
	fd = socket_connect();
	{
		static char big[CONTROL_REQUEST_MAX + 100];
		memset(big, 'x', sizeof(big));
		(void)send(fd, big, sizeof(big), MSG_DONTWAIT);
		reply = socket_ask(fd, "");
		ck_assert(strstr(reply, "request longer than") != NULL);
	}
	close(fd);

	/* The exit removes the socket. */
	stop();
	ck_assert_int_eq(stat(world.socket, &st), -1);
	pipes_and_loop();       /* for teardown */
}
END_TEST

START_TEST(test_missing_directory_runs_without_socket)
{
	snprintf(world.socket, sizeof(world.socket), "%s/no/such/dir.sock",
	    world.dir);
	write_config("");
	start();
	ask_ok("{\"version\":1,\"command\":\"status\"}");
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("control");
	TCase *tc = tcase_create("control");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_maintenance_drains_and_survives_restart);
	tcase_add_test(tc, test_shift_clear_expiry_and_restart);
	tcase_add_test(tc, test_requests_for_removed_services_are_dropped);
	tcase_add_test(tc, test_prepend_needs_local_as);
	tcase_add_test(tc, test_socket);
	tcase_add_test(tc, test_missing_directory_runs_without_socket);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(suite, tc);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
