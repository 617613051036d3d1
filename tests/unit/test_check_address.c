/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: address check tests
 *
 * Each test runs in a network namespace of its own (unshare(CLONE_NEWNET)
 * in the test's process, which Check forks per test), so it can add and
 * remove addresses and interfaces with ip(8) without touching the host: the
 * check passes while its address is there, the watch reports a removal
 * within one turn of the loop, a flood of changes that overruns the netlink
 * socket is made good by dumping again. Root is needed for the namespace;
 * without it the test exits 77 (skipped).
 */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "unit_support.h"

/* Up to three checks at once. */
#define CHECKS 3

static struct {
	struct check_environment environment;
	struct config *configs[CHECKS];
	struct check checks[CHECKS];
	struct test_check_outcome outcomes[CHECKS];
	size_t count;
	char link[16];          /* "dummy" or "veth", whichever exists */
} world;

static void __attribute__((format(printf, 1, 2)))
ip(const char *fmt, ...)
{
	char command[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(command, sizeof(command), fmt, ap);
	va_end(ap);
	strncat(command, " >/dev/null 2>&1", sizeof(command) -
	    strlen(command) - 1);
	status = system(command);
	ck_assert_msg(status == 0, "%s: status %d", command, status);
}

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	/* A namespace of this test's own: only lo, down. */
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ip("ip link set lo up");
	world.environment.loop = loop_new();
	ck_assert_ptr_nonnull(world.environment.loop);
}

static void
teardown(void)
{
	for (size_t i = 0; i < world.count; i++) {
		check_unwatch(&world.checks[i]);
		check_cancel(&world.checks[i]);
		config_free(world.configs[i]);
	}
	check_environment_cleanup(&world.environment);
	loop_free(world.environment.loop);
}

/* Add a watched check from its JSON text; returns its index. */
static size_t __attribute__((format(printf, 1, 2)))
add_check(const char *fmt, ...)
{
	char text[512], error[512];
	size_t i = world.count;
	va_list ap;

	ck_assert_uint_lt(i, CHECKS);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	world.configs[i] = test_load_check(text, error, sizeof(error));
	ck_assert_msg(world.configs[i] != NULL, "%s: %s", text, error);
	check_init(&world.checks[i], &world.configs[i]->services[0].checks[0],
	    &world.environment, test_check_record_done, &world.outcomes[i]);
	check_watch(&world.checks[i], test_check_record_event,
	    &world.outcomes[i]);
	world.count++;
	return i;
}

static void
run(size_t i)
{
	test_check_run(&world.checks[i], &world.outcomes[i], 2000);
}

#define ck_assert_result(i, expected, text)                                  \
	do {                                                                 \
		const struct test_check_outcome *o = &world.outcomes[i];     \
		ck_assert_msg(o->result == (expected),                       \
		    "result %s, expected %s (detail \"%s\")",                \
		    check_result_name(o->result),                            \
		    check_result_name(expected), o->detail);                 \
		ck_assert_msg(strstr(o->detail, text) != NULL,               \
		    "detail \"%s\" lacks \"%s\"", o->detail, text);          \
	} while (0)

/* Turn the loop until check i reported an event (at most limit_ms);
 * returns the turns it took. */
static int
wait_event(size_t i, int limit_ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)limit_ms * NSEC_PER_MSEC;
	int before = world.outcomes[i].events, turns = 0;

	while (world.outcomes[i].events == before && clock_now_ns() < end) {
		ck_assert_int_eq(loop_run_once(world.environment.loop, 100),
		    0);
		turns++;
	}
	ck_assert_msg(world.outcomes[i].events > before,
	    "no event within %d ms", limit_ms);
	return turns;
}

/* Turn the loop for ms without expecting anything. */
static void
spin(int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.environment.loop, 10), 0);
}

/* Two links to put addresses on: a dummy if the kernel has the module,
 * else a veth pair (ack0, ack1). */
static void
add_links(void)
{
	if (system("ip link add ack0 type dummy >/dev/null 2>&1") == 0 &&
	    system("ip link add ack1 type dummy >/dev/null 2>&1") == 0)
		snprintf(world.link, sizeof(world.link), "dummy");
	else {
		ip("ip link add ack0 type veth peer name ack1");
		snprintf(world.link, sizeof(world.link), "veth");
	}
}

START_TEST(test_removed_fires_at_once_and_comes_back)
{
	size_t c;

	ip("ip addr add 192.0.2.1/32 dev lo");
	c = add_check("{\"type\": \"address\", \"address\": \"192.0.2.1\", "
	    "\"interface\": \"lo\"}");
	ck_assert(world.configs[c]->services[0].checks[0].immediate);
	/* The first run waits for the first dump. */
	run(c);
	ck_assert_result(c, CHECK_RESULT_PASS, "192.0.2.1 on lo");
	ck_assert_int_eq(world.outcomes[c].events, 0);

	ip("ip addr del 192.0.2.1/32 dev lo");
	/* The notification is queued by the time ip(8) returns: one turn. */
	ck_assert_int_eq(wait_event(c, 1000), 1);
	ck_assert_int_eq(world.outcomes[c].event_result, CHECK_RESULT_FAIL);
	ck_assert_str_eq(world.outcomes[c].event_detail,
	    "192.0.2.1 removed from lo");
	run(c);
	ck_assert_result(c, CHECK_RESULT_FAIL, "192.0.2.1 on lo: not "
	    "configured");

	ip("ip addr add 192.0.2.1/32 dev lo");
	wait_event(c, 1000);
	ck_assert_int_eq(world.outcomes[c].event_result, CHECK_RESULT_PASS);
	ck_assert_str_eq(world.outcomes[c].event_detail,
	    "192.0.2.1 added to lo");
	run(c);
	ck_assert_result(c, CHECK_RESULT_PASS, "192.0.2.1 on lo");

	/* Other addresses coming and going say nothing. */
	ip("ip addr add 192.0.2.2/32 dev lo");
	ip("ip addr del 192.0.2.2/32 dev lo");
	spin(100);
	ck_assert_int_eq(world.outcomes[c].events, 2);
}
END_TEST

START_TEST(test_interfaces_families_and_tentative)
{
	size_t on0, on1, any;

	add_links();
	ip("ip addr add 198.51.100.7/24 dev ack0");
	ip("ip -6 addr add 2001:db8::7/64 dev ack0 nodad");
	on0 = add_check("{\"type\": \"address\", \"address\": "
	    "\"198.51.100.7\", \"interface\": \"ack0\"}");
	on1 = add_check("{\"type\": \"address\", \"address\": "
	    "\"198.51.100.7\", \"interface\": \"ack1\"}");
	any = add_check("{\"type\": \"address\", \"address\": "
	    "\"2001:DB8:0::7\"}");
	ck_assert_str_eq(world.checks[any].config->description,
	    "address 2001:db8::7 on any interface");
	run(on0);
	ck_assert_result(on0, CHECK_RESULT_PASS, "198.51.100.7 on ack0");
	run(on1);
	ck_assert_result(on1, CHECK_RESULT_FAIL, "not configured");
	run(any);
	ck_assert_result(any, CHECK_RESULT_PASS, "2001:db8::7 on this host");

	/* On a link that is down, an IPv6 address waits for duplicate
	 * address detection: tentative, not usable. */
	ip("ip -6 addr del 2001:db8::7/64 dev ack0");
	ip("ip -6 addr add 2001:db8::7/64 dev ack1");
	wait_event(any, 1000);
	run(any);
	ck_assert_result(any, CHECK_RESULT_FAIL, "tentative");

	/* The interface goes away with its addresses. */
	ip("ip link del ack0");
	wait_event(on0, 1000);
	ck_assert_int_eq(world.outcomes[on0].event_result, CHECK_RESULT_FAIL);
	run(on0);
	ck_assert_result(on0, CHECK_RESULT_FAIL, "no such interface");
	ck_assert_int_eq(world.outcomes[on1].events, 0);
}
END_TEST

/* Thousands of changes while nobody reads: the socket overruns (ENOBUFS)
 * and notifications are lost, the removal of the watched address at the
 * very end among them. Dumping again finds it gone. */
START_TEST(test_overrun_dumps_again)
{
	char path[] = "/tmp/anycheck-addr-batch-XXXXXX";
	FILE *batch;
	size_t c;
	int fd;

	ip("ip addr add 192.0.2.1/32 dev lo");
	c = add_check("{\"type\": \"address\", \"address\": \"192.0.2.1\", "
	    "\"interface\": \"lo\"}");
	run(c);
	ck_assert_result(c, CHECK_RESULT_PASS, "on lo");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	batch = fdopen(fd, "w");
	ck_assert_ptr_nonnull(batch);
	for (int i = 1; i <= 6000; i++)
		fprintf(batch, "addr add 2001:db8:1::%x/128 dev lo\n", i);
	fprintf(batch, "addr del 192.0.2.1/32 dev lo\n");
	ck_assert_int_eq(fclose(batch), 0);
	ip("ip -batch %s", path);
	unlink(path);
	wait_event(c, 5000);
	ck_assert_int_eq(world.outcomes[c].event_result, CHECK_RESULT_FAIL);
	ck_assert_str_eq(world.outcomes[c].event_detail,
	    "192.0.2.1 removed from lo");
	run(c);
	ck_assert_result(c, CHECK_RESULT_FAIL, "not configured");
}
END_TEST

/* A run cancelled while it waits for the first dump ends nothing later. */
START_TEST(test_cancel_while_waiting)
{
	size_t c = add_check("{\"type\": \"address\", \"address\": "
	    "\"192.0.2.1\", \"timeout\": 1}");

	ck_assert_int_eq(check_start(&world.checks[c]), 0);
	ck_assert(world.checks[c].running);
	check_cancel(&world.checks[c]);
	spin(50);
	ck_assert_int_eq(world.outcomes[c].calls, 0);
	run(c);
	ck_assert_result(c, CHECK_RESULT_FAIL, "192.0.2.1 on this host: not "
	    "configured");
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
	ck_assert_str_eq(load_error("{\"type\": \"address\"}"),
	    "services[0].checks[0].address: is required");
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"address\", "
	    "\"address\": \"192.0.2.1/32\"}"), "must be an IPv4 or IPv6"));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"address\", "
	    "\"address\": \"192.0.2.1\", \"interface\": "
	    "\"averyveryverylongname\"}"), "must be an interface name"));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"address\", "
	    "\"address\": \"192.0.2.1\", \"interface\": \"\"}"),
	    "must be an interface name"));
	ck_assert_ptr_nonnull(strstr(load_error("{\"type\": \"address\", "
	    "\"address\": \"192.0.2.1\", \"port\": 80}"),
	    "unknown key \"port\""));
}
END_TEST

static Suite *
address_suite(void)
{
	Suite *suite = suite_create("check_address");
	TCase *tc = tcase_create("address");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_removed_fires_at_once_and_comes_back);
	tcase_add_test(tc, test_interfaces_families_and_tentative);
	tcase_add_test(tc, test_overrun_dumps_again);
	tcase_add_test(tc, test_cancel_while_waiting);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner;
	int failed;

	/* Namespaces need root; so does ip(8) inside them. */
	if (geteuid() != 0 || system("ip -V >/dev/null 2>&1") != 0) {
		printf("SKIP: needs root and ip(8) for network namespaces\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	log_init("test_check_address", LOG_LEVEL_WARNING, false);
	runner = srunner_create(address_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
