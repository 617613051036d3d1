/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: DNS check tests
 *
 * The dns check runs on a real loop against a tiny fake DNS server that the
 * test drives by hand: a UDP socket and a TCP listener on one ephemeral
 * port of 127.0.0.1 (or ::1). The test reads each query the check sends,
 * looks at it (ID, flags, question, source port), and writes the reply it
 * wants, built with libldns: the right one, a wrong one, none, or several.
 * The loop runs on virtual time (virtual_clock.c), so the retry at half the
 * timeout and the timeout itself happen exactly when the test moves the
 * clock, while sockets are real. Every test also checks that no file
 * descriptor is left behind.
 */
#include <check.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"
#include "loop.h"
#include "virtual_clock.h"

/* How long (real time) the test waits for something that should happen at
 * once on loopback: a datagram, a connection, the check's verdict. */
#define WAIT_MS 3000

static struct check_environment environment;
static struct virtual_clock virtual_clock;

static void
environment_setup(void)
{
	memset(&environment, 0, sizeof(environment));
	memset(&virtual_clock, 0, sizeof(virtual_clock));
	environment.loop = loop_new();
	ck_assert_ptr_nonnull(environment.loop);
	virtual_clock_attach(&virtual_clock, environment.loop);
}

static void
environment_teardown(void)
{
	check_environment_cleanup(&environment);
	loop_free(environment.loop);
	environment.loop = NULL;
}

static int
fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int count = 0;

	ck_assert_ptr_nonnull(dir);
	while ((entry = readdir(dir)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	closedir(dir);
	return count - 1;       /* the DIR itself */
}

/* Parsing: one check from JSON, as config_parse.c would hand it over. */

struct parsed {
	struct check_config config;
	struct config_errors errors;
};

static char json_text[2048];

static const char *
json_format(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json_text, sizeof(json_text), fmt, ap);
	va_end(ap);
	return json_text;
}

static int
parse_check(const char *text, struct parsed *parsed)
{
	struct config_parser parser;
	json_error_t error;
	json_t *object = json_loads(text, 0, &error), *timeout;
	int rc;

	ck_assert_msg(object != NULL, "bad test JSON: %s", error.text);
	memset(parsed, 0, sizeof(*parsed));
	memset(&parser, 0, sizeof(parser));
	parser.file = "test.json";
	parser.text = text;
	parser.errors = &parsed->errors;
	snprintf(parser.path, sizeof(parser.path), "checks[0]");
	parsed->config.ops = check_ops_find("dns");
	ck_assert_ptr_nonnull(parsed->config.ops);
	timeout = json_object_get(object, "timeout");
	parsed->config.timeout = timeout ? json_number_value(timeout) : 2.0;
	rc = parsed->config.ops->parse(&parsed->config, object, &parser);
	json_decref(object);
	if (rc == 0)
		ck_assert_uint_eq(parsed->errors.count, 0);
	else
		ck_assert_uint_gt(parsed->errors.count, 0);
	return rc;
}

static void
parsed_free(struct parsed *parsed)
{
	if (parsed->config.data != NULL)
		parsed->config.ops->free_config(parsed->config.data);
	free(parsed->config.description);
	for (size_t i = 0; i < parsed->errors.count; i++)
		free(parsed->errors.messages[i]);
	free(parsed->errors.messages);
	memset(parsed, 0, sizeof(*parsed));
}

/* Every error message of a parse expected to fail, without locations,
 * one per line. */
static const char *
parse_errors(const char *text)
{
	static char all[4096];
	struct parsed parsed;
	size_t length = 0;

	ck_assert_int_eq(parse_check(text, &parsed), -1);
	all[0] = '\0';
	for (size_t i = 0; i < parsed.errors.count; i++) {
		const char *message = parsed.errors.messages[i];
		int line, column, skip = 0;
		ck_assert_msg(sscanf(message, "test.json:%d:%d: %n", &line,
		    &column, &skip) == 2 && skip > 0, "no location in \"%s\"",
		    message);
		length += (size_t)snprintf(all + length, sizeof(all) - length,
		    "%s\n", message + skip);
	}
	parsed_free(&parsed);
	return all;
}

/* The fake server. */

struct fake_server {
	int family;
	int udp;
	int listener;
	uint16_t port;
	char address[64];
};

static void
sockaddr_make(int family, const char *address, uint16_t port,
    struct sockaddr_storage *out, socklen_t *length)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, address, &in->sin_addr), 1);
		*length = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, address, &in6->sin6_addr),
		    1);
		*length = sizeof(*in6);
	}
}

static uint16_t
sockaddr_port(const struct sockaddr_storage *address)
{
	if (address->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)address)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
}

/* A socket of type bound to address:port (0: any free port). */
static int
bound_socket(int family, int type, const char *address, uint16_t port)
{
	struct sockaddr_storage sa;
	socklen_t length;
	int fd = socket(family, type | SOCK_CLOEXEC, 0), on = 1;

	ck_assert_int_ge(fd, 0);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	sockaddr_make(family, address, port, &sa, &length);
	if (bind(fd, (struct sockaddr *)&sa, length) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
fake_start(struct fake_server *server, int family, const char *address)
{
	memset(server, 0, sizeof(*server));
	server->family = family;
	snprintf(server->address, sizeof(server->address), "%s", address);
	/* A UDP port whose TCP twin is free too, as a DNS server has. */
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_storage sa;
		socklen_t length = sizeof(sa);

		server->udp = bound_socket(family, SOCK_DGRAM, address, 0);
		ck_assert_int_ge(server->udp, 0);
		ck_assert_int_eq(getsockname(server->udp,
		    (struct sockaddr *)&sa, &length), 0);
		server->port = sockaddr_port(&sa);
		server->listener = bound_socket(family, SOCK_STREAM, address,
		    server->port);
		if (server->listener >= 0) {
			ck_assert_int_eq(listen(server->listener, 8), 0);
			return;
		}
		close(server->udp);
	}
	ck_abort_msg("no UDP port with a free TCP twin on %s", address);
}

static void
fake_stop(struct fake_server *server)
{
	close(server->udp);
	close(server->listener);
}

/* A check of the fake server, with extra keys (",\"qtype\": ..."). */
static const char *
dns_json(const struct fake_server *server, const char *extra)
{
	return json_format("{\"type\": \"dns\", \"server\": \"%s\", \"port\": "
	    "%u, \"name\": \"www.example.org\"%s}", server->address,
	    (unsigned)server->port, extra);
}

/* Run the loop (virtual time stands still) until fd is readable. */
static bool
pump_until_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (int waited = 0; waited <= ms; waited += 5) {
		if (poll(&pfd, 1, 0) == 1)
			return true;
		ck_assert_int_eq(loop_run_once(environment.loop, 5), 0);
	}
	return poll(&pfd, 1, 0) == 1;
}

/* Run the loop for about ms of real time. */
static void
pump(int ms)
{
	for (int waited = 0; waited < ms; waited += 5)
		ck_assert_int_eq(loop_run_once(environment.loop, 5), 0);
}

/* A query as the server saw it. */
struct query {
	ldns_pkt *packet;
	struct sockaddr_storage from;
	socklen_t from_length;
	int connection;         /* TCP: the accepted connection; else -1 */
};

static void
query_free(struct query *query)
{
	ldns_pkt_free(query->packet);
	if (query->connection >= 0)
		close(query->connection);
	memset(query, 0, sizeof(*query));
	query->connection = -1;
}

static ldns_pkt *
packet_parse(const uint8_t *data, size_t length)
{
	ldns_pkt *packet = NULL;

	ck_assert_int_eq(ldns_wire2pkt(&packet, data, length), LDNS_STATUS_OK);
	return packet;
}

static void
fake_receive_udp(struct fake_server *server, struct query *query)
{
	uint8_t buffer[LDNS_MAX_PACKETLEN];
	ssize_t n;

	memset(query, 0, sizeof(*query));
	query->connection = -1;
	ck_assert_msg(pump_until_readable(server->udp, WAIT_MS),
	    "no query over UDP");
	query->from_length = sizeof(query->from);
	n = recvfrom(server->udp, buffer, sizeof(buffer), 0,
	    (struct sockaddr *)&query->from, &query->from_length);
	ck_assert_int_gt(n, 0);
	query->packet = packet_parse(buffer, (size_t)n);
}

/* Is there no datagram waiting (after letting the loop run)? */
static bool
fake_udp_quiet(struct fake_server *server)
{
	struct pollfd pfd = { .fd = server->udp, .events = POLLIN };

	pump(30);
	return poll(&pfd, 1, 0) == 0;
}

/* Read exactly length bytes from a TCP connection, running the loop. */
static void
read_exactly(int fd, uint8_t *out, size_t length)
{
	size_t got = 0;

	while (got < length) {
		ssize_t n;
		ck_assert_msg(pump_until_readable(fd, WAIT_MS),
		    "TCP query incomplete (%zu of %zu bytes)", got, length);
		n = recv(fd, out + got, length - got, 0);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
}

static void
fake_accept_tcp(struct fake_server *server, struct query *query)
{
	uint8_t prefix[2], buffer[LDNS_MAX_PACKETLEN];
	size_t length;

	memset(query, 0, sizeof(*query));
	ck_assert_msg(pump_until_readable(server->listener, WAIT_MS),
	    "no connection over TCP");
	query->from_length = sizeof(query->from);
	query->connection = accept4(server->listener,
	    (struct sockaddr *)&query->from, &query->from_length,
	    SOCK_CLOEXEC);
	ck_assert_int_ge(query->connection, 0);
	read_exactly(query->connection, prefix, 2);
	length = ldns_read_uint16(prefix);
	read_exactly(query->connection, buffer, length);
	query->packet = packet_parse(buffer, length);
}

/* A reply to query: rcode, flags (LDNS_TC, LDNS_AD, ...; QR always), and
 * answer records as zone-file lines, NULL-terminated. */
static ldns_pkt *
reply_new(const struct query *query, uint8_t rcode, unsigned flags, ...)
{
	ldns_pkt *reply = ldns_pkt_new();
	const ldns_rr_list *question = ldns_pkt_question(query->packet);
	const char *line;
	va_list ap;

	ck_assert_ptr_nonnull(reply);
	ldns_pkt_set_id(reply, ldns_pkt_id(query->packet));
	ldns_pkt_set_qr(reply, true);
	ldns_pkt_set_rd(reply, ldns_pkt_rd(query->packet));
	ldns_pkt_set_ra(reply, true);
	ldns_pkt_set_tc(reply, (flags & LDNS_TC) != 0);
	ldns_pkt_set_ad(reply, (flags & LDNS_AD) != 0);
	ldns_pkt_set_rcode(reply, rcode);
	for (size_t i = 0; i < ldns_rr_list_rr_count(question); i++)
		ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION,
		    ldns_rr_clone(ldns_rr_list_rr(question, i)));
	va_start(ap, flags);
	while ((line = va_arg(ap, const char *)) != NULL) {
		ldns_rr *rr = NULL;
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, rr);
	}
	va_end(ap);
	return reply;
}

/* Replace the reply's question with "NAME TYPE". */
static void
reply_set_question(ldns_pkt *reply, const char *question)
{
	ldns_rr *rr = NULL;
	ldns_rr_list *list = ldns_rr_list_new();

	ck_assert_int_eq(ldns_rr_new_question_frm_str(&rr, question, NULL,
	    NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(list, rr);
	ldns_rr_list_deep_free(ldns_pkt_question(reply));
	ldns_pkt_set_question(reply, list);
	ldns_pkt_set_qdcount(reply, 1);
}

/* The reply's wire form (freed by the caller), cut short by cut bytes. */
static uint8_t *
reply_wire(ldns_pkt *reply, size_t cut, size_t *length)
{
	uint8_t *wire = NULL;

	ck_assert_int_eq(ldns_pkt2wire(&wire, reply, length), LDNS_STATUS_OK);
	ck_assert_uint_gt(*length, cut);
	*length -= cut;
	ldns_pkt_free(reply);
	return wire;
}

/* Send reply (freed) to the query's source from fd (the server's socket,
 * or another one). */
static void
send_udp_from(int fd, const struct query *query, ldns_pkt *reply, size_t cut)
{
	size_t length;
	uint8_t *wire = reply_wire(reply, cut, &length);

	ck_assert_int_eq(sendto(fd, wire, length, 0,
	    (const struct sockaddr *)&query->from, query->from_length),
	    (ssize_t)length);
	free(wire);
}

static void
send_udp(struct fake_server *server, const struct query *query,
    ldns_pkt *reply)
{
	send_udp_from(server->udp, query, reply, 0);
}

static void
send_tcp(const struct query *query, ldns_pkt *reply)
{
	size_t length;
	uint8_t *wire = reply_wire(reply, 0, &length), prefix[2];

	ldns_write_uint16(prefix, (uint16_t)length);
	ck_assert_int_eq(send(query->connection, prefix, 2, MSG_NOSIGNAL), 2);
	ck_assert_int_eq(send(query->connection, wire, length, MSG_NOSIGNAL),
	    (ssize_t)length);
	free(wire);
}

/* A run of the check. */

struct run {
	struct parsed parsed;
	struct check check;
	bool done;
	int calls;
	enum check_result result;
	enum check_local_cause cause;
	char detail[CHECK_DETAIL_MAX];
	uint64_t duration_ns;
};

static void
run_record(struct check *check, enum check_result result, const char *detail,
    uint64_t duration_ns, void *arg)
{
	struct run *run = arg;

	run->done = true;
	run->calls++;
	run->result = result;
	run->cause = check->local_cause;
	snprintf(run->detail, sizeof(run->detail), "%s", detail);
	run->duration_ns = duration_ns;
}

static void
run_start(struct run *run, const char *text)
{
	memset(run, 0, sizeof(*run));
	ck_assert_int_eq(parse_check(text, &run->parsed), 0);
	check_init(&run->check, &run->parsed.config, &environment, run_record,
	    run);
	ck_assert_int_eq(check_start(&run->check), 0);
}

/* Wait (real time, the virtual clock standing still) for the verdict, and
 * release the run. */
static void
run_finish(struct run *run)
{
	for (int waited = 0; !run->done && waited < WAIT_MS; waited += 5)
		ck_assert_int_eq(loop_run_once(environment.loop, 5), 0);
	ck_assert_msg(run->done, "%s did not complete",
	    run->parsed.config.description);
	ck_assert_int_eq(run->calls, 1);
	ck_assert(!run->check.running);
	ck_assert_ptr_null(run->check.state);
	parsed_free(&run->parsed);
}

static void
advance_seconds(double seconds)
{
	ck_assert_int_eq(virtual_clock_advance(&virtual_clock,
	    environment.loop, clock_seconds_to_ns(seconds)), 0);
}

#define ck_assert_run(run, expected_result, expected_detail)                 \
	do {                                                                 \
		ck_assert_msg((run).result == (expected_result),             \
		    "result %s, expected %s (detail \"%s\")",                \
		    check_result_name((run).result),                         \
		    check_result_name(expected_result), (run).detail);       \
		ck_assert_msg(strstr((run).detail, expected_detail) != NULL, \
		    "detail \"%s\" lacks \"%s\"", (run).detail,              \
		    expected_detail);                                        \
	} while (0)

#define ANSWER_A1 "www.example.org. 60 IN A 192.0.2.10"
#define ANSWER_A2 "www.example.org. 60 IN A 192.0.2.11"

/* Tests. */

START_TEST(test_dns_pass_and_query)
{
	struct fake_server server;
	struct query query;
	struct run run;
	const ldns_rr *question;
	char *name;
	int fds_before = fd_count();

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"expect_answer\": "
	    "\"192.0.2.10\""));
	fake_receive_udp(&server, &query);
	/* The query: our question, RD, EDNS with 1232 bytes, no AD. */
	ck_assert_uint_eq(ldns_pkt_qdcount(query.packet), 1);
	question = ldns_rr_list_rr(ldns_pkt_question(query.packet), 0);
	name = ldns_rdf2str(ldns_rr_owner(question));
	ck_assert_str_eq(name, "www.example.org.");
	free(name);
	ck_assert_int_eq(ldns_rr_get_type(question), LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_rr_get_class(question), LDNS_RR_CLASS_IN);
	ck_assert(ldns_pkt_rd(query.packet));
	ck_assert(!ldns_pkt_ad(query.packet));
	ck_assert(!ldns_pkt_qr(query.packet));
	ck_assert_uint_eq(ldns_pkt_edns_udp_size(query.packet), 1232);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    ANSWER_A2, ANSWER_A1, NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS,
	    "NOERROR, 2 answers, 192.0.2.10 found (");
	ck_assert_uint_eq(run.duration_ns, 0);
	/* Without expect_answer any NOERROR passes, even without answers. */
	run_start(&run, dns_json(&server, ""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "NOERROR, 0 answers (");
	fake_stop(&server);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_dns_random_id_and_port)
{
	struct fake_server server;
	struct query query;
	struct run run;
	uint16_t ids[4], ports[4];
	int distinct_ids = 0, distinct_ports = 0;

	fake_start(&server, AF_INET, "127.0.0.1");
	for (int i = 0; i < 4; i++) {
		run_start(&run, dns_json(&server, ""));
		fake_receive_udp(&server, &query);
		ids[i] = ldns_pkt_id(query.packet);
		ports[i] = sockaddr_port(&query.from);
		send_udp(&server, &query, reply_new(&query,
		    LDNS_RCODE_NOERROR, 0, NULL));
		query_free(&query);
		run_finish(&run);
		ck_assert_run(run, CHECK_RESULT_PASS, "NOERROR");
	}
	/* Four random 16-bit IDs and four ephemeral ports: all equal would
	 * mean they are not random (odds of a false alarm: below 2^-40). */
	for (int i = 1; i < 4; i++) {
		distinct_ids += ids[i] != ids[0];
		distinct_ports += ports[i] != ports[0];
	}
	ck_assert_int_gt(distinct_ids, 0);
	ck_assert_int_gt(distinct_ports, 0);
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_expected_answer_missing)
{
	struct fake_server server;
	struct query query;
	struct run run;

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"expect_answer\": "
	    "\"192.0.2.10\""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    ANSWER_A2, NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL,
	    "NOERROR, 1 answer, 192.0.2.10 not found in: 192.0.2.11");

	/* An address matches exactly: 192.0.2.1 is no part of 192.0.2.10. */
	run_start(&run, dns_json(&server, ", \"expect_answer\": "
	    "\"192.0.2.1\""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    ANSWER_A1, NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL, "192.0.2.1 not found in: "
	    "192.0.2.10");

	/* Other text is a substring of a record's data, in any case; an
	 * IPv6 address matches however it is written. */
	run_start(&run, dns_json(&server, ", \"qtype\": \"MX\", "
	    "\"expect_answer\": \"MAIL.example.org\""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    "www.example.org. 60 IN MX 10 mail.example.org.", NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "MAIL.example.org found");
	run_start(&run, dns_json(&server, ", \"qtype\": \"AAAA\", "
	    "\"expect_answer\": \"2001:DB8:0::10\""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    "www.example.org. 60 IN AAAA 2001:db8::10", NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "1 answer, 2001:DB8:0::10 found");
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_rcodes)
{
	struct fake_server server;
	struct query query;
	struct run run;

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_SERVFAIL, 0,
	    NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL, "SERVFAIL (expected NOERROR)");

	run_start(&run, dns_json(&server, ""));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NXDOMAIN, 0,
	    NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL, "NXDOMAIN (expected NOERROR)");

	/* An authority's "this name does not exist" is what is expected. */
	run_start(&run, dns_json(&server, ", \"expect_rcode\": "
	    "[\"nxdomain\", \"NOERROR\"]"));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NXDOMAIN, 0,
	    NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "NXDOMAIN, 0 answers (");

	run_start(&run, dns_json(&server, ", \"expect_rcode\": "
	    "[\"NXDOMAIN\", \"NOERROR\"]"));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_REFUSED, 0,
	    NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL,
	    "REFUSED (expected NOERROR or NXDOMAIN)");
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_unmatched_replies_ignored)
{
	struct fake_server server;
	struct query query;
	struct run run;
	ldns_pkt *reply;
	static const uint8_t garbage[] = { 0xde, 0xad, 0xbe, 0xef, 0x00 };

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"expect_answer\": "
	    "\"192.0.2.10\""));
	fake_receive_udp(&server, &query);
	/* Another ID. */
	reply = reply_new(&query, LDNS_RCODE_SERVFAIL, 0, NULL);
	ldns_pkt_set_id(reply, (uint16_t)(ldns_pkt_id(query.packet) + 1));
	send_udp(&server, &query, reply);
	/* Our ID, another name; our ID, another type. */
	reply = reply_new(&query, LDNS_RCODE_NOERROR, 0, NULL);
	reply_set_question(reply, "www.example.net. IN A");
	send_udp(&server, &query, reply);
	reply = reply_new(&query, LDNS_RCODE_NOERROR, 0, NULL);
	reply_set_question(reply, "www.example.org. IN AAAA");
	send_udp(&server, &query, reply);
	/* Our ID and question, but a query, not a response. */
	reply = reply_new(&query, LDNS_RCODE_NXDOMAIN, 0, NULL);
	ldns_pkt_set_qr(reply, false);
	send_udp(&server, &query, reply);
	/* Not DNS at all. */
	ck_assert_int_eq(sendto(server.udp, garbage, sizeof(garbage), 0,
	    (struct sockaddr *)&query.from, query.from_length),
	    (ssize_t)sizeof(garbage));
	pump(50);
	ck_assert_msg(!run.done, "ended on a reply not ours: %s", run.detail);
	/* The answer, its name in another case (0x20), is taken. */
	reply = reply_new(&query, LDNS_RCODE_NOERROR, 0, ANSWER_A1, NULL);
	reply_set_question(reply, "WwW.ExAmPlE.oRg. IN A");
	send_udp(&server, &query, reply);
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "192.0.2.10 found (");
	ck_assert_run(run, CHECK_RESULT_PASS, "; ignored 5 replies not ours");
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_other_source_ignored)
{
	struct fake_server server;
	struct query query;
	struct run run;
	int other_port, other_address;

	fake_start(&server, AF_INET, "127.0.0.1");
	other_port = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
	other_address = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.2",
	    server.port);
	ck_assert_int_ge(other_port, 0);
	ck_assert_int_ge(other_address, 0);
	run_start(&run, dns_json(&server, ""));
	fake_receive_udp(&server, &query);
	/* Right ID and question, from the wrong port or address: a forgery
	 * (or another server) must not decide the check. */
	send_udp_from(other_port, &query, reply_new(&query,
	    LDNS_RCODE_SERVFAIL, 0, NULL), 0);
	send_udp_from(other_address, &query, reply_new(&query,
	    LDNS_RCODE_SERVFAIL, 0, NULL), 0);
	pump(50);
	ck_assert_msg(!run.done, "ended on a reply from elsewhere: %s",
	    run.detail);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    ANSWER_A1, NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "NOERROR, 1 answer (");
	close(other_port);
	close(other_address);
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_retry_then_answer)
{
	struct fake_server server;
	struct query first, second;
	struct run run;

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"timeout\": 2"));
	fake_receive_udp(&server, &first);      /* dropped */
	advance_seconds(0.999);
	ck_assert_msg(fake_udp_quiet(&server), "retried before half the "
	    "timeout");
	advance_seconds(0.001);
	fake_receive_udp(&server, &second);
	/* A new query: new ID or new source port (both, but either may
	 * repeat by chance). */
	ck_assert(ldns_pkt_id(first.packet) != ldns_pkt_id(second.packet) ||
	    sockaddr_port(&first.from) != sockaddr_port(&second.from));
	/* The late answer to the first query comes to a closed socket. */
	send_udp(&server, &first, reply_new(&first, LDNS_RCODE_SERVFAIL, 0,
	    NULL));
	pump(30);
	ck_assert(!run.done);
	advance_seconds(0.5);
	send_udp(&server, &second, reply_new(&second, LDNS_RCODE_NOERROR, 0,
	    ANSWER_A1, NULL));
	query_free(&first);
	query_free(&second);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS,
	    "NOERROR, 1 answer (1500.0 ms); answered on try 2");
	ck_assert_uint_eq(run.duration_ns, 1500 * NSEC_PER_MSEC);
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_timeout)
{
	struct fake_server server;
	struct query first, second;
	struct run run;
	int fds_before = fd_count();

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"timeout\": 2"));
	fake_receive_udp(&server, &first);
	advance_seconds(1);
	fake_receive_udp(&server, &second);
	advance_seconds(0.999);
	ck_assert(!run.done);
	ck_assert_msg(fake_udp_quiet(&server), "a third try");
	advance_seconds(0.001);
	ck_assert(run.done);
	query_free(&first);
	query_free(&second);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_TIMEOUT, "timeout after 2 tries (2 s)");
	ck_assert_uint_eq(run.duration_ns, 2 * NSEC_PER_SEC);
	fake_stop(&server);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_dns_truncated_then_tcp)
{
	struct fake_server server;
	struct query query, tcp;
	struct run run;
	int fds_before = fd_count();

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"expect_answer\": "
	    "\"192.0.2.11\""));
	fake_receive_udp(&server, &query);
	/* TC, and an answer section cut off in the middle of a record. */
	send_udp_from(server.udp, &query, reply_new(&query,
	    LDNS_RCODE_NOERROR, LDNS_TC, ANSWER_A1, NULL), 3);
	fake_accept_tcp(&server, &tcp);
	ck_assert_uint_eq(ldns_pkt_qdcount(tcp.packet), 1);
	/* One message not ours first: the stream goes on to the next. */
	{
		ldns_pkt *other = reply_new(&tcp, LDNS_RCODE_SERVFAIL, 0,
		    NULL);
		ldns_pkt_set_id(other, (uint16_t)(ldns_pkt_id(tcp.packet) ^
		    0x8000));
		send_tcp(&tcp, other);
	}
	send_tcp(&tcp, reply_new(&tcp, LDNS_RCODE_NOERROR, 0, ANSWER_A1,
	    ANSWER_A2, NULL));
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "NOERROR, 2 answers, 192.0.2.11 "
	    "found (0.0 ms); truncated, retried over TCP; ignored 1 reply "
	    "not ours");
	query_free(&query);
	query_free(&tcp);
	fake_stop(&server);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_dns_tcp)
{
	struct fake_server server;
	struct query query;
	struct run run;

	fake_start(&server, AF_INET6, "::1");
	run_start(&run, dns_json(&server, ", \"transport\": \"tcp\", "
	    "\"qtype\": \"TXT\", \"recursion\": false, \"expect_answer\": "
	    "\"v=ok\""));
	ck_assert_str_eq(run.parsed.config.description, json_format(
	    "dns [::1]:%u www.example.org. TXT over tcp",
	    (unsigned)server.port));
	fake_accept_tcp(&server, &query);
	ck_assert(!ldns_pkt_rd(query.packet));
	send_tcp(&query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    "www.example.org. 60 IN TXT \"v=ok\"", NULL));
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "NOERROR, 1 answer, v=ok found");
	query_free(&query);

	/* Closed without a reply. */
	run_start(&run, dns_json(&server, ", \"transport\": \"tcp\""));
	fake_accept_tcp(&server, &query);
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL,
	    "connection closed before the reply over TCP");

	/* Accepted and read, never answered. */
	run_start(&run, dns_json(&server, ", \"transport\": \"tcp\", "
	    "\"timeout\": 1"));
	fake_accept_tcp(&server, &query);
	advance_seconds(1);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_TIMEOUT,
	    "timeout waiting for the reply over TCP (1 s)");
	query_free(&query);
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_refused_fails_fast)
{
	struct run run;
	struct sockaddr_storage sa;
	socklen_t length = sizeof(sa);
	char extra[256];
	int fd;
	uint16_t port;

	/* A port nothing listens on: ICMP port unreachable. */
	fd = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &length), 0);
	port = sockaddr_port(&sa);
	close(fd);
	snprintf(extra, sizeof(extra), "{\"type\": \"dns\", \"server\": "
	    "\"127.0.0.1\", \"port\": %u, \"name\": \"example.org.\"}",
	    (unsigned)port);
	run_start(&run, extra);
	run_finish(&run);        /* on real time, the virtual clock still */
	ck_assert_run(run, CHECK_RESULT_FAIL,
	    "connection refused (ICMP port unreachable)");
	ck_assert_uint_eq(run.duration_ns, 0);
	snprintf(extra, sizeof(extra), "{\"type\": \"dns\", \"server\": "
	    "\"127.0.0.1\", \"port\": %u, \"name\": \"example.org.\", "
	    "\"transport\": \"tcp\"}", (unsigned)port);
	run_start(&run, extra);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL, "connection refused over TCP");
}
END_TEST

START_TEST(test_dns_ad_flag)
{
	struct fake_server server;
	struct query query;
	struct run run;

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ", \"expect_ad\": true"));
	fake_receive_udp(&server, &query);
	/* RFC 6840: AD in the query asks for AD in the answer. */
	ck_assert(ldns_pkt_ad(query.packet));
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR, 0,
	    ANSWER_A1, NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_FAIL,
	    "NOERROR, 1 answer, AD flag not set");

	run_start(&run, dns_json(&server, ", \"expect_ad\": true"));
	fake_receive_udp(&server, &query);
	send_udp(&server, &query, reply_new(&query, LDNS_RCODE_NOERROR,
	    LDNS_AD, ANSWER_A1, NULL));
	query_free(&query);
	run_finish(&run);
	ck_assert_run(run, CHECK_RESULT_PASS, "NOERROR, 1 answer (");
	fake_stop(&server);
}
END_TEST

START_TEST(test_dns_cancel_and_local_error)
{
	struct fake_server server;
	struct query query;
	struct run run;
	struct rlimit saved, lowered;
	int fds_before = fd_count();

	fake_start(&server, AF_INET, "127.0.0.1");
	run_start(&run, dns_json(&server, ""));
	fake_receive_udp(&server, &query);
	query_free(&query);
	check_cancel(&run.check);
	ck_assert_ptr_null(run.check.state);
	ck_assert(!run.done);
	ck_assert_uint_eq(loop_next_deadline_ns(environment.loop), 0);
	parsed_free(&run.parsed);

	/* Out of file descriptors: anycheck's problem, not the server's. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	lowered = saved;
	lowered.rlim_cur = 0;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lowered), 0);
	run_start(&run, dns_json(&server, ""));
	run_finish(&run);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_run(run, CHECK_RESULT_LOCAL_ERROR,
	    "socket: Too many open files");
	ck_assert_int_eq(run.cause, CHECK_LOCAL_FILE_DESCRIPTORS);
	fake_stop(&server);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_dns_parse)
{
	struct parsed parsed;
	const char *errors;

	ck_assert_ptr_eq(check_ops_find("dns"), &check_dns_ops);
	ck_assert_uint_eq(check_dns_ops.fds_per_run, 1);
	ck_assert_int_eq(parse_check("{\"type\": \"dns\", \"server\": "
	    "\"192.0.2.53\", \"name\": \"example.org\"}", &parsed), 0);
	ck_assert_str_eq(parsed.config.description,
	    "dns 192.0.2.53:53 example.org. A");
	parsed_free(&parsed);
	ck_assert_int_eq(parse_check("{\"type\": \"dns\", \"server\": "
	    "\"2001:db8::53\", \"port\": 5353, \"name\": \".\", \"qtype\": "
	    "\"ns\", \"expect_rcode\": [\"NOTIMP\"]}", &parsed), 0);
	ck_assert_str_eq(parsed.config.description,
	    "dns [2001:db8::53]:5353 . NS");
	parsed_free(&parsed);

	errors = parse_errors("{\"type\": \"dns\", \"server\": \"localhost\", "
	    "\"name\": \"example.org\"}");
	ck_assert_str_eq(errors, "checks[0].server: must be an IPv4 or IPv6 "
	    "address, not \"localhost\"\n");
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"example.org\", \"qtype\": \"AAA\"}");
	ck_assert_msg(strstr(errors, "checks[0].qtype: must be a DNS record "
	    "type (A, AAAA, NS, SOA, TXT, MX") != NULL, "%s", errors);
	ck_assert_msg(strstr(errors, "not \"AAA\"") != NULL, "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"example.org\", \"qtype\": \"AXFR\"}");
	ck_assert_msg(strstr(errors, "checks[0].qtype:") != NULL, "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"example.org\", \"qtype\": \"TYPE70000\"}");
	ck_assert_msg(strstr(errors, "checks[0].qtype:") != NULL, "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"example.org\", \"expect_rcode\": [\"NOERROR\", "
	    "\"SRVFAIL\"]}");
	ck_assert_str_eq(errors, "checks[0].expect_rcode[1]: unknown DNS "
	    "response code \"SRVFAIL\"; allowed: NOERROR, FORMERR, SERVFAIL, "
	    "NXDOMAIN, NOTIMPL, REFUSED, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, "
	    "NOTZONE\n");
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"example.org\", \"expect_rcode\": []}");
	ck_assert_msg(strstr(errors, "checks[0].expect_rcode: must be a "
	    "non-empty array") != NULL, "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"www..example.org\"}");
	ck_assert_msg(strstr(errors, "checks[0].name: must be a domain name")
	    != NULL, "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"www example.org\"}");
	ck_assert_msg(strstr(errors, "checks[0].name: must be a domain name "
	    "without spaces") != NULL, "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\","
	    " \"name\": \"example.org\", \"transport\": \"quic\", "
	    "\"expect_answer\": \"\", \"port\": 0, \"colour\": 1}");
	ck_assert_msg(strstr(errors, "checks[0].transport: must be \"udp\" or "
	    "\"tcp\"") != NULL, "%s", errors);
	ck_assert_msg(strstr(errors, "checks[0].expect_answer: must not be "
	    "empty") != NULL, "%s", errors);
	ck_assert_msg(strstr(errors, "checks[0].port: must be an integer "
	    "between 1 and 65535") != NULL, "%s", errors);
	ck_assert_msg(strstr(errors, "checks[0].colour: unknown key") != NULL,
	    "%s", errors);
	errors = parse_errors("{\"type\": \"dns\", \"server\": \"192.0.2.53\"}");
	ck_assert_msg(strstr(errors, "checks[0].name:") != NULL, "%s", errors);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *suite = suite_create("check_dns");
	TCase *tc = tcase_create("dns");

	tcase_add_checked_fixture(tc, environment_setup, environment_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dns_pass_and_query);
	tcase_add_test(tc, test_dns_random_id_and_port);
	tcase_add_test(tc, test_dns_expected_answer_missing);
	tcase_add_test(tc, test_dns_rcodes);
	tcase_add_test(tc, test_dns_unmatched_replies_ignored);
	tcase_add_test(tc, test_dns_other_source_ignored);
	tcase_add_test(tc, test_dns_retry_then_answer);
	tcase_add_test(tc, test_dns_timeout);
	tcase_add_test(tc, test_dns_truncated_then_tcp);
	tcase_add_test(tc, test_dns_tcp);
	tcase_add_test(tc, test_dns_refused_fails_fast);
	tcase_add_test(tc, test_dns_ad_flag);
	tcase_add_test(tc, test_dns_cancel_and_local_error);
	tcase_add_test(tc, test_dns_parse);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(dns_suite());
	int failed;

	log_init("test_check_dns", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
