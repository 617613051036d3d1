/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: listen check tests
 *
 * Real sockets the test opens on 127.0.0.1 and ::1 (ephemeral ports): a TCP
 * listener and a bound UDP socket pass, the same port with nothing on it
 * fails, a socket in the wrong state (a TCP socket bound but not listening)
 * does not count, the wildcard address counts unless "wildcard" is false,
 * and a dual-stack :: listener serves an IPv4 address. Then what a run
 * costs, measured (printed as MEASURE).
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "unit_support.h"

static struct {
	struct check_environment environment;
	struct config *config;
	struct check check;
	struct test_check_outcome outcome;
	bool initialized;
} world;

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	world.environment.loop = loop_new();
	ck_assert_ptr_nonnull(world.environment.loop);
}

static void
forget(void)
{
	if (world.initialized)
		check_cancel(&world.check);
	config_free(world.config);
	world.config = NULL;
	world.initialized = false;
}

static void
teardown(void)
{
	forget();
	check_environment_cleanup(&world.environment);
	loop_free(world.environment.loop);
}

/* Open a socket of type on address (port 0: any), listening for TCP when
 * listen_too; returns the fd, the port in *port. */
static int
open_socket(int type, const char *address, uint16_t *port, bool listen_too,
    int v6only)
{
	struct sockaddr_storage storage;
	struct sockaddr_in *in = (struct sockaddr_in *)&storage;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
	socklen_t length;
	int fd, family = strchr(address, ':') ? AF_INET6 : AF_INET;

	memset(&storage, 0, sizeof(storage));
	if (family == AF_INET) {
		in->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, address, &in->sin_addr), 1);
		length = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, address, &in6->sin6_addr),
		    1);
		length = sizeof(*in6);
	}
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	if (family == AF_INET6 && v6only >= 0)
		ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    &v6only, sizeof(v6only)), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&storage, length), 0);
	if (listen_too)
		ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&storage,
	    &length), 0);
	*port = ntohs(family == AF_INET ? in->sin_port : in6->sin6_port);
	return fd;
}

static void __attribute__((format(printf, 1, 2)))
load(const char *fmt, ...)
{
	char text[512], error[512];
	va_list ap;

	forget();
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	world.config = test_load_check(text, error, sizeof(error));
	ck_assert_msg(world.config != NULL, "%s: %s", text, error);
	check_init(&world.check, &world.config->services[0].checks[0],
	    &world.environment, test_check_record_done, &world.outcome);
	world.initialized = true;
}

/* Load and run once; the outcome in world.outcome. */
static void __attribute__((format(printf, 1, 2)))
run(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	load("%s", text);
	test_check_run(&world.check, &world.outcome, 2000);
	ck_assert_ptr_null(world.check.state);
}

#define ck_assert_result(expected, text)                                     \
	do {                                                                 \
		ck_assert_msg(world.outcome.result == (expected),            \
		    "result %s, expected %s (detail \"%s\")",                \
		    check_result_name(world.outcome.result),                 \
		    check_result_name(expected), world.outcome.detail);      \
		ck_assert_msg(strstr(world.outcome.detail, text) != NULL,    \
		    "detail \"%s\" lacks \"%s\"", world.outcome.detail,      \
		    text);                                                   \
	} while (0)

START_TEST(test_tcp_and_udp)
{
	uint16_t tcp_port, udp_port, idle_port;
	int tcp = open_socket(SOCK_STREAM, "127.0.0.1", &tcp_port, true, -1);
	int udp = open_socket(SOCK_DGRAM, "127.0.0.1", &udp_port, false, -1);
	/* Bound, not listening: not a server. */
	int idle = open_socket(SOCK_STREAM, "127.0.0.1", &idle_port, false, -1);

	run("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u}",
	    tcp_port);
	ck_assert(world.config->services[0].checks[0].immediate);
	ck_assert_result(CHECK_RESULT_PASS, "listening");
	run("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u, "
	    "\"protocol\": \"udp\"}", udp_port);
	ck_assert_result(CHECK_RESULT_PASS, "bound");
	/* The UDP port over TCP, the TCP port over UDP: nothing. */
	run("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u}",
	    udp_port);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing listens on tcp 127.0.0.1:");
	run("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u, "
	    "\"protocol\": \"udp\"}", tcp_port);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing is bound on udp");
	run("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u}",
	    idle_port);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing listens");
	/* Another address, the same port. */
	run("{\"type\": \"listen\", \"address\": \"127.0.0.2\", \"port\": %u}",
	    tcp_port);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing listens");
	/* Closed: gone. */
	close(tcp);
	run("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u}",
	    tcp_port);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing listens");
	close(udp);
	close(idle);
}
END_TEST

START_TEST(test_ipv6_and_wildcards)
{
	uint16_t port6, any4, any6, only6;
	int six = open_socket(SOCK_STREAM, "::1", &port6, true, 1);
	int wild4 = open_socket(SOCK_DGRAM, "0.0.0.0", &any4, false, -1);
	int wild6 = open_socket(SOCK_STREAM, "::", &any6, true, 0);
	int v6only = open_socket(SOCK_STREAM, "::", &only6, true, 1);

	run("{\"type\": \"listen\", \"address\": \"::1\", \"port\": %u}", port6);
	ck_assert_result(CHECK_RESULT_PASS, "tcp [::1]:");
	ck_assert_ptr_null(strstr(world.outcome.detail, "wildcard"));
	/* 0.0.0.0 serves 192.0.2.1 too, unless an exact bind is asked for. */
	run("{\"type\": \"listen\", \"address\": \"192.0.2.1\", \"port\": %u, "
	    "\"protocol\": \"udp\"}", any4);
	ck_assert_result(CHECK_RESULT_PASS, "(wildcard address)");
	run("{\"type\": \"listen\", \"address\": \"192.0.2.1\", \"port\": %u, "
	    "\"protocol\": \"udp\", \"wildcard\": false}", any4);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing is bound");
	ck_assert_ptr_nonnull(strstr(world.check.config->description,
	    "listen udp 192.0.2.1:"));
	ck_assert_ptr_nonnull(strstr(world.check.config->description,
	    " (exact)"));
	/* A dual-stack :: listener serves IPv4 and IPv6 addresses. */
	run("{\"type\": \"listen\", \"address\": \"192.0.2.1\", \"port\": %u}",
	    any6);
	ck_assert_result(CHECK_RESULT_PASS, "(wildcard address)");
	run("{\"type\": \"listen\", \"address\": \"2001:db8::1\", \"port\": %u}",
	    any6);
	ck_assert_result(CHECK_RESULT_PASS, "tcp [2001:db8::1]:");
	/* An IPv6-only one serves only IPv6. */
	run("{\"type\": \"listen\", \"address\": \"192.0.2.1\", \"port\": %u}",
	    only6);
	ck_assert_result(CHECK_RESULT_FAIL, "nothing listens");
	run("{\"type\": \"listen\", \"address\": \"2001:db8::1\", \"port\": %u}",
	    only6);
	ck_assert_result(CHECK_RESULT_PASS, "(wildcard address)");
	close(six);
	close(wild4);
	close(wild6);
	close(v6only);
}
END_TEST

/* What a run costs: wall time per run on the loop, and CPU, with 200
 * listening sockets on the host besides the one looked for. */
START_TEST(test_cost_of_a_run)
{
	enum { OTHERS = 200, RUNS = 500 };
	int others[OTHERS], fd;
	uint16_t port, ignored;
	struct rusage before, after;
	uint64_t start, wall;
	double cpu_us;

	for (int i = 0; i < OTHERS; i++)
		others[i] = open_socket(SOCK_STREAM, "127.0.0.1", &ignored,
		    true, -1);
	fd = open_socket(SOCK_STREAM, "127.0.0.1", &port, true, -1);
	load("{\"type\": \"listen\", \"address\": \"127.0.0.1\", \"port\": %u}",
	    port);
	getrusage(RUSAGE_SELF, &before);
	start = clock_now_ns();
	for (int i = 0; i < RUNS; i++) {
		test_check_run(&world.check, &world.outcome, 2000);
		ck_assert_int_eq(world.outcome.result, CHECK_RESULT_PASS);
	}
	wall = clock_now_ns() - start;
	getrusage(RUSAGE_SELF, &after);
	cpu_us = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec +
	    after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1e6 +
	    (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec +
	    after.ru_stime.tv_usec - before.ru_stime.tv_usec);
	printf("MEASURE listen check run: %.1f us wall, %.1f us CPU per run "
	    "(%d runs, %d other listeners); every 10 ms: %.2f%% of a core\n",
	    (double)wall / RUNS / 1e3, cpu_us / RUNS, RUNS, OTHERS,
	    cpu_us / RUNS / 100.0);
	/* Generous: a run is tens of microseconds; this only catches a
	 * run that waits for something. */
	ck_assert_uint_lt(wall / RUNS, 5 * NSEC_PER_MSEC);
	for (int i = 0; i < OTHERS; i++)
		close(others[i]);
	close(fd);
}
END_TEST

static const char *
load_error(const char *text)
{
	static char error[512];
	struct config *config = test_load_check(text, error, sizeof(error));

	ck_assert_msg(config == NULL, "%s loaded", text);
	return error;
}

START_TEST(test_config_errors)
{
	ck_assert_str_eq(load_error("{\"type\": \"listen\", \"address\": "
	    "\"192.0.2.1\"}"), "services[0].checks[0].port: is required");
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"listen\", "
	    "\"address\": \"localhost\", \"port\": 53}"),
	    "must be an IPv4 or IPv6"));
	ck_assert_str_eq(load_error("{\"type\": \"listen\", \"address\": "
	    "\"192.0.2.1\", \"port\": 53, \"protocol\": \"sctp\"}"),
	    "services[0].checks[0].protocol: must be \"tcp\" or \"udp\", "
	    "not \"sctp\"");
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"listen\", "
	    "\"address\": \"192.0.2.1\", \"port\": 70000}"), "between 1 and "
	    "65535"));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"listen\", "
	    "\"address\": \"192.0.2.1\", \"port\": 53, \"wildcard\": \"no\"}"),
	    "wildcard"));
}
END_TEST

static Suite *
listen_suite(void)
{
	Suite *suite = suite_create("check_listen");
	TCase *tc = tcase_create("listen");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tcp_and_udp);
	tcase_add_test(tc, test_ipv6_and_wildcards);
	tcase_add_test(tc, test_cost_of_a_run);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(listen_suite());
	int failed;

	log_init("test_check_listen", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
