/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: connection counting tests
 *
 * Real TCP connections on 127.0.0.1 and ::1, counted through the kernel's
 * sock_diag interface on a real loop. Each test runs (when permitted) in a
 * private network namespace of its own, so that the counts are exact even
 * while other tests use loopback: with a port filter only the server ends
 * count, without one both ends do; closed connections stop counting; prefixes
 * select the family and the address; a dual-stack listener's IPv4 connections
 * (IPv4-mapped IPv6 sockets) count under IPv4 prefixes; 300 connections need
 * a dump of several netlink messages. Starting twice is refused, freeing
 * during a count stays silent, errors arrive later through done, and no file
 * descriptor is left behind. A batch answers several queries (overlapping
 * prefixes, port filters, IPv4-mapped sockets, both families) with one dump
 * and one done, and the tally behind it agrees with conn_count_matches for
 * 100 queries over 10 000 sockets.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn_count.h"
#include "log.h"
#include "loop.h"

#define MANY_CONNECTIONS 300

static struct loop *loop;
static bool private_namespace;

/* Enter a network namespace of our own with lo up, if we may. */
static void
setup(void)
{
	struct ifreq ifr;
	int fd;

	private_namespace = false;
	if (unshare(CLONE_NEWNET) == 0) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fd, 0);
		memset(&ifr, 0, sizeof(ifr));
		strcpy(ifr.ifr_name, "lo");
		ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
		ifr.ifr_flags |= IFF_UP;
		ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
		close(fd);
		private_namespace = true;
	}
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
}

static void
teardown(void)
{
	loop_free(loop);
	loop = NULL;
}

static int
open_fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int count = 0;

	ck_assert_ptr_nonnull(dir);
	while (readdir(dir) != NULL)
		count++;
	closedir(dir);
	return count;
}

static struct prefix
make_prefix(const char *text)
{
	struct prefix prefix;
	const char *why = NULL;

	ck_assert_msg(prefix_parse(text, &prefix, &why) == 0, "%s: %s", text,
	    why ? why : "?");
	return prefix;
}

struct result {
	int calls;
	long count;
};

static void
record_done(long count, void *arg)
{
	struct result *result = arg;

	result->calls++;
	result->count = count;
}

/* Run the loop until result has a call or ms passed. */
static void
run_until_done(struct result *result, int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (result->calls == 0 && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
}

/* One whole count; asserts done came exactly once. */
static long
count_now(struct conn_counter *counter, const struct prefix *prefixes,
    size_t prefix_count, const uint16_t *ports, size_t port_count)
{
	struct result result = { 0, -2 };

	ck_assert_int_eq(conn_count_start(counter, prefixes, prefix_count,
	    ports, port_count, record_done, &result), 0);
	ck_assert_int_eq(result.calls, 0);     /* never synchronously */
	run_until_done(&result, 2000);
	ck_assert_int_eq(result.calls, 1);
	/* And never again. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(loop_run_once(loop, 1), 0);
	ck_assert_int_eq(result.calls, 1);
	return result.count;
}

/* Count until it equals want or a second passed; returns the last count. */
static long
count_until(struct conn_counter *counter, const struct prefix *prefixes,
    size_t prefix_count, const uint16_t *ports, size_t port_count, long want)
{
	uint64_t end = clock_now_ns() + NSEC_PER_SEC;
	long count;

	do
		count = count_now(counter, prefixes, prefix_count, ports,
		    port_count);
	while (count != want && clock_now_ns() < end);
	return count;
}

struct endpoint {
	struct sockaddr_storage address;
	socklen_t length;
};

/* A listener on address (port 0: ephemeral); fills in the bound port. */
static int
listen_on(int family, const char *address, bool v6only,
    struct endpoint *endpoint)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int off = 0;

	ck_assert_int_ge(fd, 0);
	memset(endpoint, 0, sizeof(*endpoint));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&endpoint->address;

		in->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, address, &in->sin_addr), 1);
		endpoint->length = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 =
		    (struct sockaddr_in6 *)&endpoint->address;

		in6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, address, &in6->sin6_addr),
		    1);
		endpoint->length = sizeof(*in6);
		if (!v6only)
			ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6,
			    IPV6_V6ONLY, &off, sizeof(off)), 0);
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&endpoint->address,
	    endpoint->length), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&endpoint->address,
	    &endpoint->length), 0);
	ck_assert_int_eq(listen(fd, 1024), 0);
	return fd;
}

static uint16_t
endpoint_port(const struct endpoint *endpoint)
{
	if (endpoint->address.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)
		    &endpoint->address)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)
	    &endpoint->address)->sin6_port);
}

static uint16_t
local_port(int fd)
{
	struct endpoint local;

	local.length = sizeof(local.address);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&local.address,
	    &local.length), 0);
	return endpoint_port(&local);
}

/* Connect count clients to the listener and accept them all. */
static void
connect_clients(int listener, const struct endpoint *endpoint, size_t count,
    int *clients, int *servers)
{
	for (size_t i = 0; i < count; i++) {
		clients[i] = socket(endpoint->address.ss_family,
		    SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(clients[i], 0);
		ck_assert_msg(connect(clients[i],
		    (const struct sockaddr *)&endpoint->address,
		    endpoint->length) == 0, "connect: %s", strerror(errno));
		servers[i] = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		ck_assert_int_ge(servers[i], 0);
	}
}

static void
close_all(int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (fds[i] != -1)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Without a private namespace other programs' loopback connections count
 * too, so only a lower bound holds. */
static void
assert_both_ends(long count, long want)
{
	if (private_namespace)
		ck_assert_int_eq(count, want);
	else
		ck_assert_int_ge(count, want);
}

START_TEST(test_matches)
{
	struct prefix prefixes[2] = { make_prefix("192.0.2.0/24"),
	    make_prefix("2001:db8::/32") };
	uint16_t ports[2] = { 80, 443 };
	uint8_t address[16];
	int family;

	ck_assert_int_eq(address_parse("192.0.2.7", &family, address), 0);
	ck_assert(conn_count_matches(prefixes, 2, NULL, 0, family, address,
	    1234));
	ck_assert(conn_count_matches(prefixes, 2, ports, 2, family, address,
	    443));
	ck_assert(!conn_count_matches(prefixes, 2, ports, 2, family, address,
	    8080));
	ck_assert(!conn_count_matches(prefixes, 1, ports, 1, family, address,
	    443));
	ck_assert(!conn_count_matches(prefixes + 1, 1, NULL, 0, family,
	    address, 80));
	ck_assert(!conn_count_matches(prefixes, 0, NULL, 0, family, address,
	    80));

	ck_assert_int_eq(address_parse("192.0.3.7", &family, address), 0);
	ck_assert(!conn_count_matches(prefixes, 2, NULL, 0, family, address,
	    80));

	ck_assert_int_eq(address_parse("2001:db8:1::5", &family, address), 0);
	ck_assert(conn_count_matches(prefixes, 2, ports, 2, family, address,
	    80));
	ck_assert(!conn_count_matches(prefixes, 1, NULL, 0, family, address,
	    80));
	ck_assert_int_eq(address_parse("2001:db9::5", &family, address), 0);
	ck_assert(!conn_count_matches(prefixes, 2, NULL, 0, family, address,
	    80));

	/* A dual-stack listener's IPv4 connection: IPv4-mapped IPv6. */
	ck_assert_int_eq(address_parse("::ffff:192.0.2.7", &family, address),
	    0);
	ck_assert_int_eq(family, AF_INET6);
	ck_assert(conn_count_matches(prefixes, 2, ports, 2, family, address,
	    80));
	ck_assert(!conn_count_matches(prefixes, 2, ports, 2, family, address,
	    81));
	ck_assert(!conn_count_matches(prefixes + 1, 1, NULL, 0, family,
	    address, 80));
	/* Only ::ffff:0:0/96 is mapped; these merely end alike. */
	ck_assert_int_eq(address_parse("::192.0.2.7", &family, address), 0);
	ck_assert(!conn_count_matches(prefixes, 1, NULL, 0, family, address,
	    80));
	ck_assert_int_eq(address_parse("::fffe:192.0.2.7", &family, address),
	    0);
	ck_assert(!conn_count_matches(prefixes, 1, NULL, 0, family, address,
	    80));
	ck_assert_int_eq(address_parse("1::ffff:192.0.2.7", &family, address),
	    0);
	ck_assert(!conn_count_matches(prefixes, 1, NULL, 0, family, address,
	    80));
}
END_TEST

START_TEST(test_counts_ipv4)
{
	enum { N = 6, K = 2 };
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix local = make_prefix("127.0.0.1/32");
	struct prefix elsewhere[2] = { make_prefix("192.0.2.0/24"),
	    make_prefix("::1/128") };
	struct endpoint endpoint;
	int clients[N], servers[N];
	uint16_t port, all_ports[N + 1];
	int listener;

	listener = listen_on(AF_INET, "127.0.0.1", true, &endpoint);
	port = endpoint_port(&endpoint);
	ck_assert_int_eq(count_now(counter, &local, 1, &port, 1), 0);

	connect_clients(listener, &endpoint, N, clients, servers);
	/* Only the server ends have the listener's port. */
	ck_assert_int_eq(count_now(counter, &local, 1, &port, 1), N);
	/* The clients' ends are local 127.0.0.1 too. */
	assert_both_ends(count_now(counter, &local, 1, NULL, 0), 2 * N);
	all_ports[0] = port;
	for (size_t i = 0; i < N; i++)
		all_ports[i + 1] = local_port(clients[i]);
	ck_assert_int_eq(count_now(counter, &local, 1, all_ports, N + 1),
	    2 * N);
	ck_assert_int_eq(count_now(counter, NULL, 0, all_ports, N + 1), 0);
	ck_assert_int_eq(count_now(counter, elsewhere, 2, NULL, 0), 0);

	/* A closed server end leaves ESTABLISHED at once (FIN_WAIT1), its
	 * client end as soon as the FIN arrives (CLOSE_WAIT). */
	close_all(servers, K);
	ck_assert_int_eq(count_until(counter, &local, 1, &port, 1, N - K),
	    N - K);
	ck_assert_int_eq(count_until(counter, &local, 1, all_ports, N + 1,
	    2 * (N - K)), 2 * (N - K));
	close_all(clients, N);
	close_all(servers, N);
	ck_assert_int_eq(count_until(counter, &local, 1, &port, 1, 0), 0);
	close(listener);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_counts_ipv6)
{
	enum { N = 4 };
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix ipv6 = make_prefix("::1/128");
	struct prefix ipv4 = make_prefix("127.0.0.1/32");
	struct prefix both[2] = { ipv4, ipv6 };
	struct endpoint endpoint4, endpoint6;
	int clients4[N], servers4[N], clients6[N], servers6[N];
	uint16_t ports[2];
	int listener4, listener6;

	listener6 = listen_on(AF_INET6, "::1", true, &endpoint6);
	listener4 = listen_on(AF_INET, "127.0.0.1", true, &endpoint4);
	ports[0] = endpoint_port(&endpoint6);
	ports[1] = endpoint_port(&endpoint4);
	connect_clients(listener6, &endpoint6, N, clients6, servers6);
	connect_clients(listener4, &endpoint4, N - 1, clients4, servers4);

	ck_assert_int_eq(count_now(counter, &ipv6, 1, ports, 2), N);
	assert_both_ends(count_now(counter, &ipv6, 1, NULL, 0), 2 * N);
	ck_assert_int_eq(count_now(counter, &ipv4, 1, ports, 2), N - 1);
	ck_assert_int_eq(count_now(counter, both, 2, ports, 2), 2 * N - 1);
	ck_assert_int_eq(count_now(counter, both, 2, ports, 1), N);
	ck_assert_int_eq(count_now(counter, both, 2, ports + 1, 1), N - 1);

	close_all(clients6, N);
	close_all(servers6, N);
	close_all(clients4, N - 1);
	close_all(servers4, N - 1);
	close(listener6);
	close(listener4);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_dual_stack_listener)
{
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix ipv4 = make_prefix("127.0.0.1/32");
	struct prefix ipv6 = make_prefix("::1/128");
	struct endpoint endpoint, target;
	struct sockaddr_in *in = (struct sockaddr_in *)&target.address;
	int listener, client, server;
	uint16_t port;

	/* An IPv6 socket serving IPv4: its connections are AF_INET6 sockets
	 * with local address ::ffff:127.0.0.1. */
	listener = listen_on(AF_INET6, "::ffff:127.0.0.1", false, &endpoint);
	port = endpoint_port(&endpoint);
	memset(&target, 0, sizeof(target));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	target.length = sizeof(*in);
	connect_clients(listener, &target, 1, &client, &server);

	ck_assert_int_eq(count_now(counter, &ipv4, 1, &port, 1), 1);
	ck_assert_int_eq(count_now(counter, &ipv6, 1, &port, 1), 0);
	close(client);
	close(server);
	close(listener);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_many_connections)
{
	static int clients[MANY_CONNECTIONS], servers[MANY_CONNECTIONS];
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix local = make_prefix("127.0.0.1/32");
	struct result result = { 0, -2 };
	struct endpoint endpoint;
	struct rlimit limit;
	uint16_t port;
	int listener;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &limit), 0);
	if (limit.rlim_cur < 2 * MANY_CONNECTIONS + 64 &&
	    limit.rlim_max >= 2 * MANY_CONNECTIONS + 64) {
		limit.rlim_cur = 2 * MANY_CONNECTIONS + 64;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);
	}
	listener = listen_on(AF_INET, "127.0.0.1", true, &endpoint);
	port = endpoint_port(&endpoint);
	connect_clients(listener, &endpoint, MANY_CONNECTIONS, clients,
	    servers);
	/* 600 sockets are far more than one 32 KiB dump message holds, and
	 * more than one readiness event reads: the count shares the loop. */
	ck_assert_int_eq(conn_count_start(counter, &local, 1, &port, 1,
	    record_done, &result), 0);
	ck_assert_int_eq(loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(result.calls, 0);
	run_until_done(&result, 2000);
	ck_assert_int_eq(result.calls, 1);
	ck_assert_int_eq(result.count, MANY_CONNECTIONS);
	ck_assert_int_eq(count_now(counter, &local, 1, &port, 1),
	    MANY_CONNECTIONS);
	assert_both_ends(count_now(counter, &local, 1, NULL, 0),
	    2 * MANY_CONNECTIONS);
	close_all(clients, MANY_CONNECTIONS);
	close_all(servers, MANY_CONNECTIONS);
	close(listener);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_second_start_refused)
{
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix local = make_prefix("127.0.0.1/32");
	struct result first = { 0, -2 }, second = { 0, -2 };

	ck_assert_int_eq(conn_count_start(counter, &local, 1, NULL, 0,
	    record_done, &first), 0);
	ck_assert_int_eq(conn_count_start(counter, &local, 1, NULL, 0,
	    record_done, &second), -1);
	run_until_done(&first, 2000);
	ck_assert_int_eq(first.calls, 1);
	ck_assert_int_ge(first.count, 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(loop_run_once(loop, 1), 0);
	ck_assert_int_eq(first.calls, 1);
	ck_assert_int_eq(second.calls, 0);
	/* Once done, the counter takes the next count. */
	ck_assert_int_ge(count_now(counter, &local, 1, NULL, 0), 0);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_free_during_count_is_silent)
{
	struct prefix prefixes[2] = { make_prefix("127.0.0.1/32"),
	    make_prefix("::1/128") };
	int baseline = open_fd_count();

	/* Free right away, or after some dispatch: whatever done has not
	 * reported by then it never reports. */
	for (int rounds = 0; rounds < 4; rounds++) {
		struct conn_counter *counter = conn_counter_new(loop);
		struct result result = { 0, -2 };
		int calls;

		ck_assert_int_eq(conn_count_start(counter, prefixes, 2, NULL, 0,
		    record_done, &result), 0);
		for (int i = 0; i < rounds; i++)
			ck_assert_int_eq(loop_run_once(loop, 0), 0);
		calls = result.calls;
		ck_assert_int_le(calls, 1);
		conn_counter_free(counter);
		for (int i = 0; i < 20; i++)
			ck_assert_int_eq(loop_run_once(loop, 5), 0);
		ck_assert_int_eq(result.calls, calls);
		if (rounds == 0)
			ck_assert_int_eq(calls, 0);
	}
	ck_assert_int_eq(open_fd_count(), baseline);
}
END_TEST

START_TEST(test_no_fd_leak)
{
	struct prefix prefixes[2] = { make_prefix("127.0.0.1/32"),
	    make_prefix("::1/128") };
	int baseline = open_fd_count();
	struct conn_counter *counter = conn_counter_new(loop);

	for (int i = 0; i < 20; i++) {
		ck_assert_int_ge(count_now(counter, prefixes, 2, NULL, 0), 0);
		/* The netlink socket lives only while a count runs. */
		ck_assert_int_eq(open_fd_count(), baseline);
	}
	conn_counter_free(counter);
	ck_assert_int_eq(open_fd_count(), baseline);
}
END_TEST

START_TEST(test_no_prefixes_counts_zero_later)
{
	struct conn_counter *counter = conn_counter_new(loop);
	uint16_t port = 80;

	ck_assert_int_eq(count_now(counter, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(count_now(counter, NULL, 0, &port, 1), 0);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_error_reported_through_done)
{
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix local = make_prefix("127.0.0.1/32");
	struct rlimit limit, saved;
	int baseline = open_fd_count();
	int lowest_free = dup(0);

	/* No descriptor left for the netlink socket. */
	ck_assert_int_ge(lowest_free, 0);
	close(lowest_free);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	limit = saved;
	limit.rlim_cur = (rlim_t)lowest_free;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);
	ck_assert_int_eq(count_now(counter, &local, 1, NULL, 0), -1);
	ck_assert_int_eq(count_now(counter, &local, 1, NULL, 0), -1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	/* And it recovers. */
	ck_assert_int_ge(count_now(counter, &local, 1, NULL, 0), 0);
	ck_assert_int_eq(open_fd_count(), baseline);
	conn_counter_free(counter);
}
END_TEST

struct chain {
	struct conn_counter *counter;
	struct prefix prefix;
	int calls;
	long counts[2];
};

/* done may start the next count, or free the counter. */
static void
chain_done(long count, void *arg)
{
	struct chain *chain = arg;

	chain->counts[chain->calls++] = count;
	if (chain->calls == 1)
		ck_assert_int_eq(conn_count_start(chain->counter,
		    &chain->prefix, 1, NULL, 0, chain_done, chain), 0);
	else {
		conn_counter_free(chain->counter);
		chain->counter = NULL;
	}
}

START_TEST(test_done_may_restart_or_free)
{
	struct chain chain = { .calls = 0 };
	uint64_t end = clock_now_ns() + 2 * NSEC_PER_SEC;
	int baseline = open_fd_count();

	chain.counter = conn_counter_new(loop);
	chain.prefix = make_prefix("127.0.0.1/32");
	ck_assert_int_eq(conn_count_start(chain.counter, &chain.prefix, 1,
	    NULL, 0, chain_done, &chain), 0);
	while (chain.calls < 2 && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
	ck_assert_int_eq(chain.calls, 2);
	ck_assert_int_ge(chain.counts[0], 0);
	ck_assert_int_ge(chain.counts[1], 0);
	ck_assert_ptr_null(chain.counter);
	ck_assert_int_eq(open_fd_count(), baseline);
}
END_TEST

/* Batches. */

START_TEST(test_tally_agrees_with_matches)
{
	enum { QUERIES = 100, SOCKETS = 10000, ADDRESSES = 64 };
	static struct conn_count_socket sockets[SOCKETS];
	static struct prefix prefixes[QUERIES][4];
	static uint16_t ports[QUERIES][3];
	static const char *const ranges[] = { "10.0.0.0/8", "10.1.0.0/16",
	    "2001:db8::/32", "::ffff:0:0/96", "0.0.0.0/0", "2001:db8:0:1::/64" };
	struct conn_count_query queries[QUERIES];
	char text[64];
	long matched = 0;

	srand(7);
	/* A small pool of addresses, so that queries share VIPs and most
	 * sockets hit something: 10.0.x.y and 2001:db8::x / 2001:db8:0:1::x,
	 * some of the IPv4 ones seen as IPv4-mapped IPv6 sockets. */
	for (size_t i = 0; i < SOCKETS; i++) {
		int pick = rand() % ADDRESSES;

		if (pick % 3 == 0)
			snprintf(text, sizeof(text), "2001:db8:0:%d::%d",
			    pick % 2, pick);
		else if (pick % 3 == 1)
			snprintf(text, sizeof(text), "10.%d.0.%d", pick % 2,
			    pick);
		else
			snprintf(text, sizeof(text), "::ffff:10.%d.0.%d",
			    pick % 2, pick);
		ck_assert_int_eq(address_parse(text, &sockets[i].family,
		    sockets[i].address), 0);
		sockets[i].port = (uint16_t)(80 + rand() % 4);
	}
	for (size_t q = 0; q < QUERIES; q++) {
		size_t count = 1 + (size_t)rand() % 4;

		for (size_t i = 0; i < count; i++) {
			int pick = rand() % ADDRESSES;

			if (rand() % 8 == 0)
				snprintf(text, sizeof(text), "%s",
				    ranges[rand() % 6]);
			else if (pick % 3 == 0)
				snprintf(text, sizeof(text),
				    "2001:db8:0:%d::%d/128", pick % 2, pick);
			else
				snprintf(text, sizeof(text), "10.%d.0.%d/32",
				    pick % 2, pick);
			prefixes[q][i] = make_prefix(text);
		}
		queries[q] = (struct conn_count_query){
			.prefixes = prefixes[q],
			.prefix_count = count,
			.ports = ports[q],
			.port_count = (size_t)rand() % 4,
			.count = -2,
		};
		/* Unsorted, with repeats. */
		for (size_t i = 0; i < queries[q].port_count; i++)
			ports[q][i] = (uint16_t)(83 - rand() % 4);
	}
	/* One query with a prefix twice: still one count per socket. */
	prefixes[0][1] = prefixes[0][0];
	queries[0].prefix_count = 2;

	conn_count_tally(queries, QUERIES, sockets, SOCKETS);
	for (size_t q = 0; q < QUERIES; q++) {
		long want = 0;

		for (size_t i = 0; i < SOCKETS; i++)
			if (conn_count_matches(queries[q].prefixes,
			    queries[q].prefix_count, queries[q].ports,
			    queries[q].port_count, sockets[i].family,
			    sockets[i].address, sockets[i].port))
				want++;
		ck_assert_msg(queries[q].count == want,
		    "query %zu: %ld, want %ld", q, queries[q].count, want);
		matched += want;
	}
	/* The data exercise something: plenty of matches, not all. */
	ck_assert_int_gt(matched, SOCKETS);
	ck_assert_int_lt(matched, (long)SOCKETS * QUERIES / 2);
}
END_TEST

struct batch_result {
	int calls;
	int status;
};

static void
record_batch_done(int status, void *arg)
{
	struct batch_result *result = arg;

	result->calls++;
	result->status = status;
}

/* One whole batch; asserts done came exactly once. Returns its status. */
static int
batch_now(struct conn_counter *counter, struct conn_count_query *queries,
    size_t query_count)
{
	struct batch_result result = { 0, -2 };
	uint64_t end = clock_now_ns() + 2 * NSEC_PER_SEC;

	for (size_t q = 0; q < query_count; q++)
		queries[q].count = -2;
	ck_assert_int_eq(conn_count_start_batch(counter, queries, query_count,
	    record_batch_done, &result), 0);
	ck_assert_int_eq(result.calls, 0);     /* never synchronously */
	while (result.calls == 0 && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(loop, 10), 0);
	ck_assert_int_eq(result.calls, 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(loop_run_once(loop, 1), 0);
	ck_assert_int_eq(result.calls, 1);
	return result.status;
}

START_TEST(test_batch_counts_each_query)
{
	enum { N4 = 5, N6 = 3, NMAPPED = 2 };
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix host4 = make_prefix("127.0.0.1/32");
	struct prefix net4 = make_prefix("127.0.0.0/8");
	struct prefix host6 = make_prefix("::1/128");
	struct prefix elsewhere = make_prefix("192.0.2.0/24");
	struct prefix overlapping[2] = { host4, net4 };
	struct prefix both[2] = { net4, host6 };
	struct endpoint endpoint4, endpoint6, endpoint_mapped, target;
	struct sockaddr_in *in = (struct sockaddr_in *)&target.address;
	int clients4[N4], servers4[N4], clients6[N6], servers6[N6];
	int clients_mapped[NMAPPED], servers_mapped[NMAPPED];
	int listener4, listener6, listener_mapped;
	uint16_t port4, port6, port_mapped, ports_4_mapped[2], all_ports[3];
	struct batch_result result = { 0, -2 };
	int baseline;

	listener4 = listen_on(AF_INET, "127.0.0.1", true, &endpoint4);
	listener6 = listen_on(AF_INET6, "::1", true, &endpoint6);
	listener_mapped = listen_on(AF_INET6, "::ffff:127.0.0.1", false,
	    &endpoint_mapped);
	port4 = endpoint_port(&endpoint4);
	port6 = endpoint_port(&endpoint6);
	port_mapped = endpoint_port(&endpoint_mapped);
	memset(&target, 0, sizeof(target));
	in->sin_family = AF_INET;
	in->sin_port = htons(port_mapped);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	target.length = sizeof(*in);
	connect_clients(listener4, &endpoint4, N4, clients4, servers4);
	connect_clients(listener6, &endpoint6, N6, clients6, servers6);
	connect_clients(listener_mapped, &target, NMAPPED, clients_mapped,
	    servers_mapped);
	ports_4_mapped[0] = port_mapped;        /* unsorted on purpose */
	ports_4_mapped[1] = port4;
	all_ports[0] = port6;
	all_ports[1] = port_mapped;
	all_ports[2] = port4;

	struct conn_count_query queries[] = {
		/* The IPv4 listener's server ends. */
		{ .prefixes = &host4, .prefix_count = 1, .ports = &port4,
		    .port_count = 1 },
		/* Overlapping prefixes count a socket once; the dual-stack
		 * listener's IPv4-mapped sockets count under IPv4. */
		{ .prefixes = overlapping, .prefix_count = 2,
		    .ports = ports_4_mapped, .port_count = 2 },
		{ .prefixes = &host6, .prefix_count = 1, .ports = &port6,
		    .port_count = 1 },
		{ .prefixes = both, .prefix_count = 2, .ports = all_ports,
		    .port_count = 3 },
		{ .prefixes = &elsewhere, .prefix_count = 1 },
		/* IPv6 only: the mapped sockets are not ::1. */
		{ .prefixes = &host6, .prefix_count = 1, .ports = all_ports,
		    .port_count = 3 },
		/* No port filter: client ends count too. */
		{ .prefixes = &host4, .prefix_count = 1 },
	};
	enum { QUERY_COUNT = sizeof(queries) / sizeof(queries[0]) };

	ck_assert_int_eq(batch_now(counter, queries, QUERY_COUNT), 0);
	ck_assert_int_eq(queries[0].count, N4);
	ck_assert_int_eq(queries[1].count, N4 + NMAPPED);
	ck_assert_int_eq(queries[2].count, N6);
	ck_assert_int_eq(queries[3].count, N4 + N6 + NMAPPED);
	ck_assert_int_eq(queries[4].count, 0);
	ck_assert_int_eq(queries[5].count, N6);
	/* Server ends, IPv4 clients, and the mapped clients (AF_INET). */
	assert_both_ends(queries[6].count, 2 * N4 + 2 * NMAPPED);

	/* Five queries, one count: one netlink socket the whole time, one
	 * done, five answers; the counter is busy meanwhile. */
	baseline = open_fd_count();
	for (size_t q = 0; q < QUERY_COUNT; q++)
		queries[q].count = -2;
	ck_assert_int_eq(conn_count_start_batch(counter, queries, 5,
	    record_batch_done, &result), 0);
	ck_assert_int_eq(open_fd_count(), baseline + 1);
	ck_assert_int_eq(conn_count_start_batch(counter, queries + 5, 1,
	    record_batch_done, &result), -1);
	ck_assert_int_eq(conn_count_start(counter, &host4, 1, NULL, 0,
	    record_done, &(struct result){ 0, -2 }), -1);
	while (result.calls == 0) {
		ck_assert_int_eq(open_fd_count(), baseline + 1);
		ck_assert_int_eq(loop_run_once(loop, 1000), 0);
	}
	ck_assert_int_eq(result.calls, 1);
	ck_assert_int_eq(result.status, 0);
	ck_assert_int_eq(open_fd_count(), baseline);
	ck_assert_int_eq(queries[0].count, N4);
	ck_assert_int_eq(queries[1].count, N4 + NMAPPED);
	ck_assert_int_eq(queries[2].count, N6);
	ck_assert_int_eq(queries[3].count, N4 + N6 + NMAPPED);
	ck_assert_int_eq(queries[4].count, 0);
	ck_assert_int_eq(queries[5].count, -2);  /* not part of it */

	/* Closed server ends stop counting in every query at once. */
	close_all(servers4, N4);
	ck_assert_int_eq(batch_now(counter, queries, 4), 0);
	ck_assert_int_eq(queries[0].count, 0);
	ck_assert_int_eq(queries[1].count, NMAPPED);
	ck_assert_int_eq(queries[2].count, N6);
	ck_assert_int_eq(queries[3].count, N6 + NMAPPED);

	close_all(clients4, N4);
	close_all(clients6, N6);
	close_all(servers6, N6);
	close_all(clients_mapped, NMAPPED);
	close_all(servers_mapped, NMAPPED);
	close(listener4);
	close(listener6);
	close(listener_mapped);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_batch_without_prefixes_counts_zero_later)
{
	struct conn_counter *counter = conn_counter_new(loop);
	uint16_t port = 80;
	struct conn_count_query queries[2] = {
		{ .prefixes = NULL, .prefix_count = 0 },
		{ .ports = &port, .port_count = 1 },
	};

	ck_assert_int_eq(batch_now(counter, queries, 2), 0);
	ck_assert_int_eq(queries[0].count, 0);
	ck_assert_int_eq(queries[1].count, 0);
	ck_assert_int_eq(batch_now(counter, queries, 0), 0);
	conn_counter_free(counter);
}
END_TEST

START_TEST(test_batch_error_reported_through_done)
{
	struct conn_counter *counter = conn_counter_new(loop);
	struct prefix local = make_prefix("127.0.0.1/32");
	struct prefix ipv6 = make_prefix("::1/128");
	struct conn_count_query queries[2] = {
		{ .prefixes = &local, .prefix_count = 1 },
		{ .prefixes = &ipv6, .prefix_count = 1 },
	};
	struct rlimit limit, saved;
	int lowest_free = dup(0);

	ck_assert_int_ge(lowest_free, 0);
	close(lowest_free);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	limit = saved;
	limit.rlim_cur = (rlim_t)lowest_free;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);
	ck_assert_int_eq(batch_now(counter, queries, 2), -1);
	ck_assert_int_eq(queries[0].count, -1);
	ck_assert_int_eq(queries[1].count, -1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_int_eq(batch_now(counter, queries, 2), 0);
	ck_assert_int_ge(queries[0].count, 0);
	ck_assert_int_ge(queries[1].count, 0);
	conn_counter_free(counter);
}
END_TEST

static Suite *
conn_count_suite(void)
{
	Suite *suite = suite_create("conn_count");
	TCase *pure = tcase_create("matches");
	TCase *tc = tcase_create("sock_diag");

	tcase_add_test(pure, test_matches);
	tcase_add_test(pure, test_tally_agrees_with_matches);
	suite_add_tcase(suite, pure);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_counts_ipv4);
	tcase_add_test(tc, test_counts_ipv6);
	tcase_add_test(tc, test_dual_stack_listener);
	tcase_add_test(tc, test_many_connections);
	tcase_add_test(tc, test_second_start_refused);
	tcase_add_test(tc, test_free_during_count_is_silent);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_no_prefixes_counts_zero_later);
	tcase_add_test(tc, test_error_reported_through_done);
	tcase_add_test(tc, test_done_may_restart_or_free);
	tcase_add_test(tc, test_batch_counts_each_query);
	tcase_add_test(tc, test_batch_without_prefixes_counts_zero_later);
	tcase_add_test(tc, test_batch_error_reported_through_done);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(conn_count_suite());
	int failed;

	log_init("test_conn_count", LOG_LEVEL_ERROR, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
