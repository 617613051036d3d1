/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: check type tests
 *
 * Each check type is parsed from JSON and run on a real loop against real
 * local services the test starts itself on 127.0.0.1 and ::1 (ephemeral
 * ports): a tiny HTTP server living on the same loop, TCP listeners, real
 * commands. Besides the results a user would see, the tests make sure no run
 * leaves a child process or a file descriptor behind.
 */
#include <check.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"
#include "loop.h"
#include "subreaper.h"

/* Harness: parse one check from JSON, run it, collect what it reported. */

struct environment_fixture {
	struct check_environment environment;
};

static struct check_environment environment;

static void
environment_setup(void)
{
	environment.loop = loop_new();
	ck_assert_ptr_nonnull(environment.loop);
	environment.http_engine = NULL;
}

static void
environment_teardown(void)
{
	check_environment_cleanup(&environment);
	loop_free(environment.loop);
	environment.loop = NULL;
}

struct parsed {
	struct check_config config;
	struct config_errors errors;
};

static void
errors_clear(struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		free(errors->messages[i]);
	free(errors->messages);
	errors->messages = NULL;
	errors->count = 0;
}

/* Parse text (a JSON object with "type"); -1 on any error. */
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
	parsed->config.ops = check_ops_find(json_string_value(
	    json_object_get(object, "type")));
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
	if (parsed->config.ops != NULL && parsed->config.data != NULL)
		parsed->config.ops->free_config(parsed->config.data);
	free(parsed->config.description);
	errors_clear(&parsed->errors);
}

/* The first error message of a parse expected to fail, without its
 * "test.json:LINE:COLUMN: " location (test_config.c asserts locations). */
static const char *
parse_error(const char *text, struct parsed *parsed)
{
	const char *message;
	int line, column, skip = 0;

	ck_assert_int_eq(parse_check(text, parsed), -1);
	message = parsed->errors.messages[0];
	ck_assert_msg(sscanf(message, "test.json:%d:%d: %n", &line, &column,
	    &skip) == 2 && skip > 0, "no location in \"%s\"", message);
	return message + skip;
}

struct outcome {
	bool done;
	int calls;
	enum check_result result;
	enum check_local_cause cause;   /* with CHECK_RESULT_LOCAL_ERROR */
	char detail[CHECK_DETAIL_MAX];
	uint64_t duration_ns;
};

static void
outcome_record(struct check *check, enum check_result result,
    const char *detail, uint64_t duration_ns, void *arg)
{
	struct outcome *outcome = arg;

	outcome->done = true;
	outcome->calls++;
	outcome->result = result;
	outcome->cause = check->local_cause;
	snprintf(outcome->detail, sizeof(outcome->detail), "%s", detail);
	outcome->duration_ns = duration_ns;
}

static void
run_loop_until(const bool *flag, uint64_t limit_ns)
{
	uint64_t end = clock_now_ns() + limit_ns;

	while (!*flag && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(environment.loop, 10), 0);
}

static void
run_loop_for(uint64_t ns)
{
	bool never = false;

	run_loop_until(&never, ns);
}

/* Parse and run a check to completion (bounded by its timeout + 3 s). */
static struct outcome
run_check(const char *text)
{
	struct parsed parsed;
	struct check check;
	struct outcome outcome = { 0 };

	ck_assert_int_eq(parse_check(text, &parsed), 0);
	check_init(&check, &parsed.config, &environment, outcome_record,
	    &outcome);
	ck_assert_int_eq(check_start(&check), 0);
	run_loop_until(&outcome.done, clock_seconds_to_ns(
	    parsed.config.timeout) + 3 * NSEC_PER_SEC);
	ck_assert_msg(outcome.done, "%s did not complete",
	    parsed.config.description);
	ck_assert_int_eq(outcome.calls, 1);
	ck_assert(!check.running);
	ck_assert_ptr_null(check.state);
	parsed_free(&parsed);
	return outcome;
}

#define ck_assert_outcome(outcome, expected_result, expected_detail)         \
	do {                                                                 \
		ck_assert_msg((outcome).result == (expected_result),         \
		    "result %s, expected %s (detail \"%s\")",                \
		    check_result_name((outcome).result),                     \
		    check_result_name(expected_result), (outcome).detail);   \
		ck_assert_msg(strstr((outcome).detail, expected_detail) !=   \
		    NULL, "detail \"%s\" lacks \"%s\"", (outcome).detail,    \
		    expected_detail);                                        \
	} while (0)

/* Leak accounting: open fds and children. */

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

static void
assert_no_children(void)
{
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* Is any child of ours left (exited or not), without reaping it? */
static bool
children_left(void)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	return !(waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 &&
	    errno == ECHILD);
}

/* Wait (running the loop) until no child of ours is left. */
static void
reap_all(uint64_t limit_ns)
{
	uint64_t end = clock_now_ns() + limit_ns;

	while (clock_now_ns() < end) {
		loop_run_once(environment.loop, 10);
		if (!children_left())
			return;
	}
}

/* A process is gone when it no longer exists or is a zombie of someone
 * else (init in a container may reap it late). */
static bool
process_gone(pid_t pid)
{
	char path[64], state = '?';
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	file = fopen(path, "r");
	if (file == NULL)
		return true;
	if (fscanf(file, "%*d (%*[^)]) %c", &state) != 1)
		state = '?';
	fclose(file);
	return state == 'Z' || state == 'X';
}

static long
rss_kib(void)
{
	FILE *file = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	ck_assert_ptr_nonnull(file);
	while (fgets(line, sizeof(line), file) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(file);
	return kib;
}

/* Make every new file descriptor fail with EMFILE (ulimit -n reached): a
 * soft limit of 0, so that no descriptor closed meanwhile frees one.
 * Returns the limit to restore with setrlimit. */
static struct rlimit
exhaust_fds(void)
{
	struct rlimit saved, lowered;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	lowered = saved;
	lowered.rlim_cur = 0;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lowered), 0);
	ck_assert_int_eq(open("/dev/null", O_RDONLY | O_CLOEXEC), -1);
	ck_assert_int_eq(errno, EMFILE);
	return saved;
}

/* A tiny server on the test's loop: HTTP on /health (200 "ok"), /bad (503),
 * /hang (never answers); "PING\r\n" gets "+PONG\r\n"; "HELLO\r\n" gets
 * "-ERR unknown\r\n". It records the last request's method and headers.
 * Big bodies, written as fast as the client reads: /endless (200, 'x' until
 * the client goes), /endless-found ('x' with "FOUND" at byte 1000),
 * /endless-bad (503, endless), /huge (200, Content-Length 1 GB). */

#define SERVER_CONNECTIONS 64

struct server_connection {
	int fd;
	size_t length;
	char request[2048];
	bool streaming;         /* writing a big body */
	size_t body_sent;
	size_t body_size;       /* 0: endless */
	size_t found_at;        /* "FOUND" there; SIZE_MAX: nowhere */
};

struct server {
	int listen_fd;
	int family;
	uint16_t port;
	int requests;
	char last_request[2048];
	size_t body_bytes;      /* of the big bodies, sent in all */
	struct server_connection connections[SERVER_CONNECTIONS];
};

static void
server_close(struct server_connection *connection)
{
	loop_remove_fd(environment.loop, connection->fd);
	close(connection->fd);
	connection->fd = -1;
}

static void
server_reply(struct server_connection *connection, const char *reply)
{
	ck_assert_int_eq(write(connection->fd, reply, strlen(reply)),
	    (ssize_t)strlen(reply));
	server_close(connection);
}

/* Write as much of a big body as the socket takes. */
static void
server_stream(struct server *server, struct server_connection *connection)
{
	char chunk[16384];

	for (;;) {
		size_t length = sizeof(chunk);
		ssize_t n;

		if (connection->body_size != 0 && connection->body_size -
		    connection->body_sent < length)
			length = connection->body_size - connection->body_sent;
		if (length == 0) {
			server_close(connection);
			return;
		}
		memset(chunk, 'x', length);
		if (connection->found_at >= connection->body_sent &&
		    connection->found_at < connection->body_sent + length - 5)
			memcpy(chunk + (connection->found_at -
			    connection->body_sent), "FOUND", 5);
		n = send(connection->fd, chunk, length, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {   /* the client went away */
			server_close(connection);
			return;
		}
		connection->body_sent += (size_t)n;
		server->body_bytes += (size_t)n;
	}
}

static void
server_stream_start(struct server_connection *connection, const char *head,
    size_t body_size, size_t found_at)
{
	ck_assert_int_eq(write(connection->fd, head, strlen(head)),
	    (ssize_t)strlen(head));
	/* A small send buffer, so that what was sent is close to what the
	 * client read (the kernel's own buffers hold the rest). */
	int buffer = 8192;
	ck_assert_int_eq(setsockopt(connection->fd, SOL_SOCKET, SO_SNDBUF,
	    &buffer, sizeof(buffer)), 0);
	connection->streaming = true;
	connection->body_sent = 0;
	connection->body_size = body_size;
	connection->found_at = found_at;
	ck_assert_int_eq(loop_modify_fd(environment.loop, connection->fd,
	    EPOLLIN | EPOLLOUT), 0);
}

static void
server_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct server *server = arg;
	struct server_connection *connection = NULL;
	ssize_t n;

	(void)loop;
	for (int i = 0; i < SERVER_CONNECTIONS; i++)
		if (server->connections[i].fd == fd)
			connection = &server->connections[i];
	ck_assert_ptr_nonnull(connection);
	if (connection->streaming) {
		if (events & (EPOLLERR | EPOLLHUP))
			server_close(connection);
		else if (events & EPOLLOUT)
			server_stream(server, connection);
		return;
	}
	n = read(fd, connection->request + connection->length,
	    sizeof(connection->request) - 1 - connection->length);
	if (n <= 0) {
		server_close(connection);
		return;
	}
	connection->length += (size_t)n;
	connection->request[connection->length] = '\0';
	if (strcmp(connection->request, "PING\r\n") == 0) {
		server_reply(connection, "+PONG\r\n");
		return;
	}
	if (strcmp(connection->request, "HELLO\r\n") == 0) {
		server_reply(connection, "-ERR unknown\r\n");
		return;
	}
	if (connection->request[0] == 0x16) {   /* a TLS ClientHello */
		server_reply(connection, "HTTP/1.1 400 Bad Request\r\n\r\n");
		return;
	}
	if (strstr(connection->request, "\r\n\r\n") == NULL)
		return;
	server->requests++;
	snprintf(server->last_request, sizeof(server->last_request), "%s",
	    connection->request);
	if (strstr(connection->request, " /health ") != NULL)
		server_reply(connection, "HTTP/1.1 200 OK\r\nContent-Length: 2"
		    "\r\nConnection: close\r\n\r\nok");
	else if (strstr(connection->request, " /bad ") != NULL)
		server_reply(connection, "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Length: 4\r\nConnection: close\r\n\r\ndown");
	else if (strstr(connection->request, " /hang ") != NULL)
		;       /* never answer */
	else if (strstr(connection->request, " /endless ") != NULL)
		server_stream_start(connection, "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n\r\n", 0, SIZE_MAX);
	else if (strstr(connection->request, " /endless-found ") != NULL)
		server_stream_start(connection, "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n\r\n", 0, 1000);
	else if (strstr(connection->request, " /endless-bad ") != NULL)
		server_stream_start(connection, "HTTP/1.1 503 Busy\r\n"
		    "Connection: close\r\n\r\n", 0, SIZE_MAX);
	else if (strstr(connection->request, " /huge ") != NULL)
		server_stream_start(connection, "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 1073741824\r\nConnection: close\r\n\r\n",
		    1073741824, SIZE_MAX);
	else
		server_reply(connection, "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

static void
server_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct server *server = arg;
	int client;

	(void)events;
	while ((client = accept4(fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		int i;
		for (i = 0; i < SERVER_CONNECTIONS; i++)
			if (server->connections[i].fd == -1)
				break;
		ck_assert_int_lt(i, SERVER_CONNECTIONS);
		server->connections[i].fd = client;
		server->connections[i].length = 0;
		server->connections[i].streaming = false;
		ck_assert_int_eq(loop_add_fd(loop, client, EPOLLIN,
		    server_readable, server), 0);
	}
}

/* Bind (and optionally listen on) an ephemeral port of address. */
static int
bind_ephemeral(int family, const char *address, bool listening,
    uint16_t *port)
{
	struct sockaddr_storage storage;
	socklen_t length;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	memset(&storage, 0, sizeof(storage));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&storage;
		in->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, address, &in->sin_addr), 1);
		length = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
		in6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, address, &in6->sin6_addr),
		    1);
		length = sizeof(*in6);
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&storage, length), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 128), 0);
	length = sizeof(storage);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&storage, &length),
	    0);
	*port = ntohs(family == AF_INET ?
	    ((struct sockaddr_in *)&storage)->sin_port :
	    ((struct sockaddr_in6 *)&storage)->sin6_port);
	return fd;
}

static void
server_start(struct server *server, int family, const char *address)
{
	memset(server, 0, sizeof(*server));
	for (int i = 0; i < SERVER_CONNECTIONS; i++)
		server->connections[i].fd = -1;
	server->family = family;
	server->listen_fd = bind_ephemeral(family, address, true,
	    &server->port);
	ck_assert_int_eq(loop_add_fd(environment.loop, server->listen_fd,
	    EPOLLIN, server_accept, server), 0);
}

static void
server_stop(struct server *server)
{
	for (int i = 0; i < SERVER_CONNECTIONS; i++)
		if (server->connections[i].fd != -1)
			server_close(&server->connections[i]);
	loop_remove_fd(environment.loop, server->listen_fd);
	close(server->listen_fd);
}

/* A port on which nothing listens: connections are refused. */
static uint16_t
refused_port(int family, const char *address)
{
	uint16_t port;
	int fd = bind_ephemeral(family, address, false, &port);

	close(fd);
	return port;
}

static char *
json_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char json_text[2048];

static char *
json_format(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json_text, sizeof(json_text), fmt, ap);
	va_end(ap);
	return json_text;
}

/* Registry and results. */

START_TEST(test_registry)
{
	ck_assert_ptr_eq(check_ops_find("dns"), &check_dns_ops);
	ck_assert_ptr_eq(check_ops_find("exec"), &check_exec_ops);
	ck_assert_ptr_eq(check_ops_find("file"), &check_file_ops);
	ck_assert_ptr_eq(check_ops_find("http"), &check_http_ops);
	ck_assert_ptr_eq(check_ops_find("tcp"), &check_tcp_ops);
	ck_assert_ptr_null(check_ops_find("icmp"));
	ck_assert_str_eq(check_type_names(),
	    "address, dns, exec, file, http, listen, process, tcp");
	ck_assert_str_eq(check_result_name(CHECK_RESULT_PASS), "pass");
	ck_assert_str_eq(check_result_name(CHECK_RESULT_FAIL), "fail");
	ck_assert_str_eq(check_result_name(CHECK_RESULT_TIMEOUT), "timeout");
	ck_assert_str_eq(check_result_name(CHECK_RESULT_ERROR), "error");
	ck_assert_str_eq(check_result_name(CHECK_RESULT_LOCAL_ERROR),
	    "local-error");
	ck_assert_str_eq(check_result_description(CHECK_RESULT_LOCAL_ERROR),
	    "anycheck could not run the check");
	ck_assert_str_eq(check_local_cause_name(check_local_cause_from_errno(
	    EMFILE)), "file-descriptors");
	ck_assert_int_eq(check_local_cause_from_errno(ENOMEM),
	    CHECK_LOCAL_MEMORY);
	ck_assert_int_eq(check_local_cause_from_errno(EAGAIN),
	    CHECK_LOCAL_PROCESSES);
	ck_assert(!check_errno_is_local(ENOENT));
	ck_assert_uint_eq(check_exec_ops.fds_per_run, 3);
	ck_assert_uint_eq(check_tcp_ops.fds_per_run, 1);
	ck_assert_uint_eq(check_file_ops.fds_per_run, 0);
	for (int r = 0; r < CHECK_RESULT_COUNT; r++)
		ck_assert(check_result_description(r)[0] != '\0');
}
END_TEST

START_TEST(test_start_refuses_while_running)
{
	struct parsed parsed;
	struct check check;
	struct outcome outcome = { 0 };

	ck_assert_int_eq(parse_check("{\"type\": \"exec\", \"command\": "
	    "[\"sleep\", \"5\"]}", &parsed), 0);
	check_init(&check, &parsed.config, &environment, outcome_record,
	    &outcome);
	ck_assert_int_eq(check_start(&check), 0);
	ck_assert(check.running);
	ck_assert_int_eq(check_start(&check), -1);
	check_cancel(&check);
	ck_assert(!check.running);
	run_loop_for(100 * NSEC_PER_MSEC);
	ck_assert_int_eq(outcome.calls, 0);     /* cancelled: no on_done */
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
	parsed_free(&parsed);
}
END_TEST

/* exec */

START_TEST(test_exec_results)
{
	int fds_before = fd_count();
	struct outcome outcome;

	outcome = run_check("{\"type\": \"exec\", \"command\": [\"true\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
	outcome = run_check("{\"type\": \"exec\", \"command\": [\"false\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "exit 1");
	outcome = run_check("{\"type\": \"exec\", \"command\": [\"sh\", \"-c\","
	    " \"echo; echo '  database down '; echo more; exit 3\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "exit 3: database down");
	ck_assert_str_eq(outcome.detail, "exit 3: database down");
	outcome = run_check("{\"type\": \"exec\", \"shell\": true, "
	    "\"command\": \"echo to stderr >&2; exit 0\"}");
	ck_assert_str_eq(outcome.detail, "exit 0: to stderr");
	ck_assert_int_eq(outcome.result, CHECK_RESULT_PASS);
	outcome = run_check("{\"type\": \"exec\", \"shell\": true, "
	    "\"command\": \"kill -9 $$\"}");
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "killed by signal 9");
	/* stdin is /dev/null: cat ends at once instead of hanging. */
	outcome = run_check("{\"type\": \"exec\", \"command\": [\"cat\"], "
	    "\"timeout\": 2}");
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
	outcome = run_check("{\"type\": \"exec\", \"command\": [\"/nope\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_ERROR, "cannot execute /nope: "
	    "No such file or directory");
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

static void
ignore_signal(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	(void)arg;
}

START_TEST(test_exec_signals_not_inherited_blocked)
{
	int watched[] = { SIGTERM, SIGUSR1 };
	struct outcome outcome;

	/* The loop blocks the signals it reads; the command must not
	 * inherit that, or SIGTERM on timeout would do nothing. */
	ck_assert_int_eq(loop_watch_signals(environment.loop, watched, 2,
	    ignore_signal, NULL), 0);
	outcome = run_check("{\"type\": \"exec\", \"command\": [\"grep\", "
	    "\"-q\", \"^SigBlk:[[:space:]]*0*$\", \"/proc/self/status\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
}
END_TEST

START_TEST(test_exec_timeout_kills_process_group)
{
	char pid_file[] = "/tmp/anycheck-test-XXXXXX";
	int fds_before = fd_count();
	struct outcome outcome;
	FILE *file;
	int grandchild = 0;
	uint64_t start;
	int fd = mkstemp(pid_file);

	ck_assert_int_ne(fd, -1);
	close(fd);
	start = clock_now_ns();
	outcome = run_check(json_format("{\"type\": \"exec\", \"shell\": true, "
	    "\"timeout\": 0.3, \"command\": \"sleep 30 & echo $! > %s; wait\"}",
	    pid_file));
	ck_assert_outcome(outcome, CHECK_RESULT_TIMEOUT, "no answer within "
	    "0.3 s");
	ck_assert(clock_now_ns() - start < 800 * NSEC_PER_MSEC);
	ck_assert(outcome.duration_ns >= 300 * NSEC_PER_MSEC);
	file = fopen(pid_file, "r");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(fscanf(file, "%d", &grandchild), 1);
	fclose(file);
	unlink(pid_file);
	ck_assert_int_gt(grandchild, 1);
	/* SIGTERM to the group ends the shell and its sleep too. */
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
	for (int i = 0; i < 100 && !process_gone(grandchild); i++)
		usleep(10000);
	ck_assert_msg(process_gone(grandchild), "grandchild %d survived",
	    grandchild);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_exec_sigkill_after_grace)
{
	struct outcome outcome;
	uint64_t start = clock_now_ns();

	/* Ignores SIGTERM (and so does its sleep): only SIGKILL ends it. */
	outcome = run_check("{\"type\": \"exec\", \"shell\": true, "
	    "\"timeout\": 0.2, \"command\": \"trap '' TERM; sleep 30\"}");
	ck_assert_int_eq(outcome.result, CHECK_RESULT_TIMEOUT);
	ck_assert(children_left());     /* still dying after SIGTERM */
	reap_all(4 * NSEC_PER_SEC);
	assert_no_children();
	/* Killed after the 1 s grace, not before, not much later. */
	ck_assert(clock_now_ns() - start >= 1100 * NSEC_PER_MSEC);
	ck_assert(clock_now_ns() - start < 2500 * NSEC_PER_MSEC);
}
END_TEST

START_TEST(test_exec_flood)
{
	const char *flood = "{\"type\": \"exec\", \"command\": [\"head\", "
	    "\"-c\", \"10000000\", \"/dev/zero\"], \"timeout\": 5}";
	int fds_before = fd_count();
	struct outcome outcome;
	long rss_before;

	/* 10 MB through the pipe, three times: drained, not kept. The first
	 * run warms up the allocator (and the sanitizers' bookkeeping). */
	outcome = run_check(flood);
	ck_assert_int_eq(outcome.result, CHECK_RESULT_PASS);
	rss_before = rss_kib();
	for (int i = 0; i < 3; i++) {
		outcome = run_check(flood);
		ck_assert_int_eq(outcome.result, CHECK_RESULT_PASS);
		ck_assert_uint_lt(strlen(outcome.detail), CHECK_DETAIL_MAX);
	}
	ck_assert_msg(rss_kib() - rss_before < 2048, "RSS grew from %ld to "
	    "%ld KiB", rss_before, rss_kib());
	/* Endless output and a long line: bounded detail, then timeout. */
	outcome = run_check("{\"type\": \"exec\", \"shell\": true, \"command\":"
	    " \"while :; do printf '%0300d'; done\", \"timeout\": 0.3}");
	ck_assert_int_eq(outcome.result, CHECK_RESULT_TIMEOUT);
	outcome = run_check("{\"type\": \"exec\", \"shell\": true, \"command\":"
	    " \"head -c 5000 /dev/zero | tr '\\\\0' x; exit 2\"}");
	ck_assert_int_eq(outcome.result, CHECK_RESULT_FAIL);
	ck_assert_uint_eq(strlen(outcome.detail), CHECK_DETAIL_MAX - 1);
	ck_assert(strncmp(outcome.detail, "exit 2: xxxx", 12) == 0);
	outcome = run_check("{\"type\": \"exec\", \"command\": [\"yes\"], "
	    "\"timeout\": 0.3}");
	ck_assert_int_eq(outcome.result, CHECK_RESULT_TIMEOUT);
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_exec_background_holds_pipe)
{
	struct outcome outcome;
	uint64_t start = clock_now_ns();

	/* The command exits at once but leaves a child holding stdout: the
	 * result comes after a short drain bound, and the straggler goes. */
	outcome = run_check("{\"type\": \"exec\", \"shell\": true, "
	    "\"timeout\": 5, \"command\": \"echo started; sleep 30 & exit 0\"}");
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0: started");
	ck_assert(clock_now_ns() - start < NSEC_PER_SEC);
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
}
END_TEST

START_TEST(test_exec_cancel_then_free)
{
	struct parsed parsed;
	struct check *check = xcalloc(1, sizeof(*check));
	struct outcome outcome = { 0 };
	int fds_before = fd_count();

	ck_assert_int_eq(parse_check("{\"type\": \"exec\", \"command\": "
	    "[\"sleep\", \"30\"]}", &parsed), 0);
	check_init(check, &parsed.config, &environment, outcome_record,
	    &outcome);
	ck_assert_int_eq(check_start(check), 0);
	run_loop_for(20 * NSEC_PER_MSEC);
	check_cancel(check);
	free(check);    /* the reaper must not touch the check any more */
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
	ck_assert_int_eq(outcome.calls, 0);
	ck_assert_int_eq(fd_count(), fds_before);
	parsed_free(&parsed);
}
END_TEST

START_TEST(test_exec_cleanup_reaps_dying_commands)
{
	struct parsed parsed;
	struct check check;
	struct outcome outcome = { 0 };

	ck_assert_int_eq(parse_check("{\"type\": \"exec\", \"shell\": true, "
	    "\"command\": \"trap '' TERM; sleep 30\"}", &parsed), 0);
	check_init(&check, &parsed.config, &environment, outcome_record,
	    &outcome);
	ck_assert_int_eq(check_start(&check), 0);
	run_loop_for(20 * NSEC_PER_MSEC);
	check_cancel(&check);
	/* Shutdown right away: cleanup kills and reaps without the loop. */
	check_environment_cleanup(&environment);
	assert_no_children();
	parsed_free(&parsed);
}
END_TEST

START_TEST(test_exec_parse)
{
	struct parsed parsed;

	ck_assert_int_eq(parse_check("{\"type\": \"exec\", \"command\": "
	    "[\"/usr/local/bin/check-db\", \"--quick\"]}", &parsed), 0);
	ck_assert_str_eq(parsed.config.description,
	    "exec /usr/local/bin/check-db --quick");
	parsed_free(&parsed);
	ck_assert_str_eq(parse_error("{\"type\": \"exec\", \"command\": []}",
	    &parsed), "checks[0].command: must name a program to run");
	parsed_free(&parsed);
	ck_assert(strstr(parse_error("{\"type\": \"exec\", \"command\": "
	    "\"true\"}", &parsed), "shell") != NULL);
	parsed_free(&parsed);
	ck_assert_str_eq(parse_error("{\"type\": \"exec\", \"command\": "
	    "[\"true\"], \"environment\": {}}", &parsed),
	    "checks[0].environment: unknown key \"environment\"; allowed: "
	    "type, timeout, immediate, scope, command, shell");
	parsed_free(&parsed);
	parse_error("{\"type\": \"exec\"}", &parsed);
	parsed_free(&parsed);
}
END_TEST

/* tcp */

START_TEST(test_tcp)
{
	struct server server4, server6;
	struct outcome outcome;
	int fds_before = fd_count();

	server_start(&server4, AF_INET, "127.0.0.1");
	server_start(&server6, AF_INET6, "::1");
	outcome = run_check(json_format("{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": %u}", server4.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "connected in ");
	outcome = run_check(json_format("{\"type\": \"tcp\", \"host\": "
	    "\"::1\", \"port\": %u}", server6.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "connected in ");
	outcome = run_check(json_format("{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": %u}", refused_port(AF_INET,
	    "127.0.0.1")));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "connection refused");
	outcome = run_check(json_format("{\"type\": \"tcp\", \"host\": "
	    "\"::1\", \"port\": %u, \"send\": \"PING\\r\\n\", \"expect\": "
	    "\"+PONG\"}", server6.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "reply matched");
	outcome = run_check(json_format("{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": %u, \"send\": \"HELLO\\r\\n\", "
	    "\"expect\": \"+PONG\"}", server4.port));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL,
	    "expected \"+PONG\" not in reply");
	ck_assert(strstr(outcome.detail, "-ERR unknown") != NULL);
	/* The server waits for a full request that never comes. */
	outcome = run_check(json_format("{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": %u, \"send\": \"GET\", \"expect\": "
	    "\"200\", \"timeout\": 0.2}", server4.port));
	ck_assert_outcome(outcome, CHECK_RESULT_TIMEOUT, "no answer within");
	server_stop(&server4);
	server_stop(&server6);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_tcp_parse)
{
	struct parsed parsed;

	ck_assert_int_eq(parse_check("{\"type\": \"tcp\", \"host\": "
	    "\"2001:db8::1\", \"port\": 443}", &parsed), 0);
	ck_assert_str_eq(parsed.config.description, "tcp [2001:db8::1]:443");
	parsed_free(&parsed);
	ck_assert_str_eq(parse_error("{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": 0}", &parsed),
	    "checks[0].port: must be an integer between 1 and 65535");
	parsed_free(&parsed);
	ck_assert(strstr(parse_error("{\"type\": \"tcp\", \"host\": "
	    "\"localhost\", \"port\": 80}", &parsed), "IPv4 or IPv6") != NULL);
	parsed_free(&parsed);
}
END_TEST

/* http */

START_TEST(test_http)
{
	struct server server;
	struct outcome outcome;
	int fds_before = fd_count();

	server_start(&server, AF_INET, "127.0.0.1");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\"}", server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200 in ");
	ck_assert(strncmp(server.last_request, "GET /health HTTP/1.1\r\n",
	    22) == 0);
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/bad\"}", server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL,
	    "HTTP 503 not in expected 200-399");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/bad\", \"expect_status\": [200, 204]}",
	    server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL,
	    "HTTP 503 not in expected [200, 204]");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/bad\", \"expect_status\": [503]}",
	    server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 503 in ");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\", \"expect_body\": \"ok\"}",
	    server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\", \"expect_body\": \"ready\"}",
	    server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL,
	    "body does not contain \"ready\"");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\", \"method\": \"HEAD\", "
	    "\"headers\": {\"X-Probe\": \"anycheck\"}}", server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	ck_assert(strncmp(server.last_request, "HEAD /health ", 13) == 0);
	ck_assert(strstr(server.last_request, "\r\nX-Probe: anycheck\r\n"));
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\", \"method\": \"POST\"}",
	    server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	ck_assert(strncmp(server.last_request, "POST /health ", 13) == 0);
	server_stop(&server);
	check_environment_cleanup(&environment);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

START_TEST(test_http_timeout_and_refused)
{
	struct server server;
	struct outcome outcome;
	uint64_t start;

	server_start(&server, AF_INET, "127.0.0.1");
	start = clock_now_ns();
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/hang\", \"timeout\": 0.3}", server.port));
	ck_assert_int_eq(outcome.result, CHECK_RESULT_TIMEOUT);
	ck_assert(clock_now_ns() - start >= 300 * NSEC_PER_MSEC);
	ck_assert(clock_now_ns() - start < 600 * NSEC_PER_MSEC);
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\"}", refused_port(AF_INET,
	    "127.0.0.1")));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "connection refused");
	/* TLS to a plain-text server: a failure that says why. */
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"https://127.0.0.1:%u/health\", \"tls_verify\": false}",
	    server.port));
	ck_assert_int_eq(outcome.result, CHECK_RESULT_FAIL);
	ck_assert(outcome.detail[0] != '\0');
	/* The engine still works after a timed-out transfer. */
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\"}", server.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	server_stop(&server);
}
END_TEST

START_TEST(test_http_ipv6_and_resolve)
{
	struct server server6, server4;
	struct outcome outcome;

	server_start(&server6, AF_INET6, "::1");
	server_start(&server4, AF_INET, "127.0.0.1");
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://[::1]:%u/health\"}", server6.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	ck_assert_int_eq(server6.requests, 1);
	/* A name that resolves nowhere, pinned to our address. */
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://anycast.test:%u/health\", \"resolve\": "
	    "\"anycast.test:%u:127.0.0.1\"}", server4.port, server4.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	ck_assert_msg(strstr(server4.last_request, json_format(
	    "\r\nHost: anycast.test:%u\r\n", server4.port)) != NULL, "%s",
	    server4.last_request);
	/* The same name and port pinned to ::1 by another check reaches the
	 * IPv6 server: each check's pin is its own. */
	outcome = run_check(json_format("{\"type\": \"http\", \"url\": "
	    "\"http://anycast.test:%u/health\", \"resolve\": "
	    "\"anycast.test:%u:[::1]\"}", server6.port, server6.port));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	ck_assert_int_eq(server6.requests, 2);
	server_stop(&server6);
	server_stop(&server4);
}
END_TEST

START_TEST(test_http_concurrent)
{
	enum { N = 40 };
	struct server server;
	struct parsed parsed;
	struct check checks[N];
	struct outcome outcomes[N];
	bool all_done = false;
	uint64_t end;

	server_start(&server, AF_INET, "127.0.0.1");
	ck_assert_int_eq(parse_check(json_format("{\"type\": \"http\", "
	    "\"url\": \"http://127.0.0.1:%u/health\"}", server.port), &parsed),
	    0);
	memset(outcomes, 0, sizeof(outcomes));
	/* Two rounds: the second reuses the pooled easy handles. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			outcomes[i].done = false;
			check_init(&checks[i], &parsed.config, &environment,
			    outcome_record, &outcomes[i]);
			ck_assert_int_eq(check_start(&checks[i]), 0);
		}
		end = clock_now_ns() + 5 * NSEC_PER_SEC;
		do {
			loop_run_once(environment.loop, 10);
			all_done = true;
			for (int i = 0; i < N; i++)
				all_done = all_done && outcomes[i].done;
		} while (!all_done && clock_now_ns() < end);
		for (int i = 0; i < N; i++)
			ck_assert_outcome(outcomes[i], CHECK_RESULT_PASS,
			    "HTTP 200");
	}
	ck_assert_int_eq(server.requests, 2 * N);
	/* Cancel in flight: no callback, nothing left behind. */
	for (int i = 0; i < N; i++) {
		outcomes[i].calls = 0;
		ck_assert_int_eq(check_start(&checks[i]), 0);
	}
	run_loop_for(1 * NSEC_PER_MSEC);
	for (int i = 0; i < N; i++)
		check_cancel(&checks[i]);
	run_loop_for(50 * NSEC_PER_MSEC);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(outcomes[i].calls, 0);
	parsed_free(&parsed);
	server_stop(&server);
}
END_TEST

START_TEST(test_http_parse)
{
	struct parsed parsed;

	ck_assert_int_eq(parse_check("{\"type\": \"http\", \"url\": "
	    "\"https://192.0.2.1:8443/health\", \"method\": \"HEAD\", "
	    "\"tls_verify\": false, \"expect_status\": [200]}", &parsed), 0);
	ck_assert_str_eq(parsed.config.description,
	    "http HEAD https://192.0.2.1:8443/health");
	parsed_free(&parsed);
	ck_assert(strstr(parse_error("{\"type\": \"http\", \"url\": "
	    "\"ftp://192.0.2.1/\"}", &parsed), "http:// or https://") != NULL);
	parsed_free(&parsed);
	ck_assert_str_eq(parse_error("{\"type\": \"http\", \"url\": "
	    "\"http://192.0.2.1/\", \"expect_status\": [200, 600]}", &parsed),
	    "checks[0].expect_status[1]: must be an integer between 100 and "
	    "599");
	parsed_free(&parsed);
	ck_assert(strstr(parse_error("{\"type\": \"http\", \"url\": "
	    "\"http://192.0.2.1/\", \"resolve\": \"x:80\"}", &parsed),
	    "HOST:PORT:ADDRESS") != NULL);
	parsed_free(&parsed);
	ck_assert_str_eq(parse_error("{\"type\": \"http\", \"url\": "
	    "\"http://192.0.2.1/\", \"follow\": true}", &parsed),
	    "checks[0].follow: unknown key \"follow\"; allowed: type, "
	    "timeout, immediate, scope, url, method, headers, expect_status, "
	    "expect_body, tls_verify, resolve");
	parsed_free(&parsed);
	parse_error("{\"type\": \"http\", \"url\": \"http://192.0.2.1/\", "
	    "\"headers\": {\"Bad Name\": \"x\"}}", &parsed);
	parsed_free(&parsed);
	parse_error("{\"type\": \"http\", \"url\": \"http://192.0.2.1/\", "
	    "\"method\": \"get\"}", &parsed);
	parsed_free(&parsed);
}
END_TEST

/* file */

START_TEST(test_file)
{
	char path[] = "/tmp/anycheck-file-XXXXXX";
	struct outcome outcome;
	struct parsed parsed;
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	close(fd);
	outcome = run_check(json_format("{\"type\": \"file\", \"path\": "
	    "\"%s\"}", path));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exists");
	outcome = run_check(json_format("{\"type\": \"file\", \"path\": "
	    "\"%s\", \"absent\": true}", path));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "exists");
	unlink(path);
	outcome = run_check(json_format("{\"type\": \"file\", \"path\": "
	    "\"%s\"}", path));
	ck_assert_outcome(outcome, CHECK_RESULT_FAIL, "does not exist");
	outcome = run_check(json_format("{\"type\": \"file\", \"path\": "
	    "\"%s\", \"absent\": true}", path));
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "does not exist");
	ck_assert_int_eq(parse_check("{\"type\": \"file\", \"path\": "
	    "\"/etc/x\", \"absent\": true}", &parsed), 0);
	ck_assert_str_eq(parsed.config.description, "file /etc/x absent");
	parsed_free(&parsed);
	ck_assert_str_eq(parse_error("{\"type\": \"file\", \"path\": "
	    "\"relative\"}", &parsed), "checks[0].path: must be an absolute "
	    "path");
	parsed_free(&parsed);
}
END_TEST

/* Processes running "sleep ARGUMENT", anywhere on the host (an escaped
 * process is nobody's child we know of), zombies included; at most max. */
static size_t
find_sleeps(const char *argument, pid_t *pids, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *entry;
	size_t count = 0;
	char expected[64];
	size_t expected_length;

	ck_assert_ptr_nonnull(dir);
	expected_length = (size_t)snprintf(expected, sizeof(expected),
	    "sleep%c%s", '\0', argument) + 1;
	while ((entry = readdir(dir)) != NULL && count < max) {
		char path[300], text[64];
		size_t length;
		FILE *file;

		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", entry->d_name);
		if ((file = fopen(path, "re")) == NULL)
			continue;
		length = fread(text, 1, sizeof(text), file);
		fclose(file);
		/* A zombie has an empty cmdline: one of ours counts. */
		if (length == 0) {
			char state = '?', name[32] = "";
			int parent = 0;
			snprintf(path, sizeof(path), "/proc/%s/stat",
			    entry->d_name);
			if ((file = fopen(path, "re")) == NULL)
				continue;
			if (fscanf(file, "%*d (%31[^)]) %c %d", name, &state,
			    &parent) == 3 && state == 'Z' &&
			    strcmp(name, "sleep") == 0 && parent == getpid())
				pids[count++] = (pid_t)atoi(entry->d_name);
			fclose(file);
			continue;
		}
		if (length == expected_length &&
		    memcmp(text, expected, length) == 0)
			pids[count++] = (pid_t)atoi(entry->d_name);
	}
	closedir(dir);
	return count;
}

/* Wait (running the loop) until no "sleep ARGUMENT" is left, at most
 * limit_ns; kill what is left (so a failing test leaks nothing) and say
 * how many there were. */
static size_t
sleeps_left_after(const char *argument, uint64_t limit_ns)
{
	uint64_t end = clock_now_ns() + limit_ns;
	pid_t pids[8];
	size_t count;

	for (;;) {
		count = find_sleeps(argument, pids, 8);
		if (count == 0 || clock_now_ns() >= end)
			break;
		loop_run_once(environment.loop, 10);
	}
	for (size_t i = 0; i < count; i++)
		kill(pids[i], SIGKILL);
	return count;
}

/* Processes a command puts outside its process group (setsid -f, a double
 * fork into a new session) are adopted (anycheck is a child subreaper) and
 * killed once the run that spawned them has ended, not before; no zombie
 * is left. */
START_TEST(test_exec_escaped_processes_killed)
{
	char setsid_f[32], double_fork[32], still_needed[32], text[256];
	struct parsed parsed;
	struct check owner;
	struct outcome owner_outcome = { 0 }, outcome;
	pid_t pids[8];

	ck_assert_int_eq(subreaper_enable(), 0);
	ck_assert(subreaper_enabled());
	/* Unique arguments: other tests may run sleeps at the same time. */
	snprintf(setsid_f, sizeof(setsid_f), "3001.%d", (int)getpid());
	snprintf(double_fork, sizeof(double_fork), "3002.%d", (int)getpid());
	snprintf(still_needed, sizeof(still_needed), "3003.%d",
	    (int)getpid());

	snprintf(text, sizeof(text), "{\"type\": \"exec\", \"command\": "
	    "[\"setsid\", \"-f\", \"sleep\", \"%s\"]}", setsid_f);
	outcome = run_check(text);
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
	snprintf(text, sizeof(text), "{\"type\": \"exec\", \"shell\": "
	    "true, \"command\": \"(setsid sleep %s > /dev/null 2>&1 &); "
	    "exit 0\"}", double_fork);
	outcome = run_check(text);
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
	ck_assert_uint_eq(sleeps_left_after(setsid_f, 3 * NSEC_PER_SEC), 0);
	ck_assert_uint_eq(sleeps_left_after(double_fork, 3 * NSEC_PER_SEC),
	    0);

	/* While the run that spawned it goes on, an escaped process lives
	 * (the command may still use it), though other runs end meanwhile
	 * and sweeps look at it. */
	snprintf(text, sizeof(text), "{\"type\": \"exec\", \"shell\": "
	    "true, \"command\": \"setsid -f sleep %s; sleep 0.6\", "
	    "\"timeout\": 5}", still_needed);
	ck_assert_int_eq(parse_check(text, &parsed), 0);
	check_init(&owner, &parsed.config, &environment, outcome_record,
	    &owner_outcome);
	ck_assert_int_eq(check_start(&owner), 0);
	run_loop_for(100 * NSEC_PER_MSEC);
	outcome = run_check("{\"type\": \"exec\", \"command\": "
	    "[\"true\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
	run_loop_for(300 * NSEC_PER_MSEC);
	ck_assert(!owner_outcome.done);
	ck_assert_uint_eq(find_sleeps(still_needed, pids, 8), 1);
	run_loop_until(&owner_outcome.done, 3 * NSEC_PER_SEC);
	ck_assert_outcome(owner_outcome, CHECK_RESULT_PASS, "exit 0");
	ck_assert_uint_eq(sleeps_left_after(still_needed, 3 * NSEC_PER_SEC),
	    0);
	parsed_free(&parsed);
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
}
END_TEST

/* A huge or endless body is not read to its end: the check ends as soon
 * as the result is decided (the status alone, the expected text found) or
 * the 64 KiB cap is reached, with that result, not "write error". */
START_TEST(test_http_big_bodies)
{
	static const struct {
		const char *path;
		const char *expect_body;        /* NULL: none */
		enum check_result result;
		const char *detail;
	} cases[] = {
		{ "/endless", NULL, CHECK_RESULT_PASS, "HTTP 200 in " },
		{ "/huge", NULL, CHECK_RESULT_PASS, "HTTP 200 in " },
		{ "/endless-bad", NULL, CHECK_RESULT_FAIL, "HTTP 503 not in" },
		{ "/endless-bad", "FOUND", CHECK_RESULT_FAIL,
		    "HTTP 503 not in" },
		{ "/endless-found", "FOUND", CHECK_RESULT_PASS, "HTTP 200 in " },
		{ "/huge", "FOUND", CHECK_RESULT_FAIL, "HTTP 200 but body does "
		    "not contain \"FOUND\" in its first 64 KiB" },
		{ "/endless", "FOUND", CHECK_RESULT_FAIL, "in its first 64 KiB" },
	};
	struct server server;
	int fds_before = fd_count();

	server_start(&server, AF_INET, "127.0.0.1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], body[64] = "";
		struct outcome outcome;
		uint64_t started = clock_now_ns();

		if (cases[i].expect_body != NULL)
			snprintf(body, sizeof(body), ", \"expect_body\": "
			    "\"%s\"", cases[i].expect_body);
		snprintf(text, sizeof(text), "{\"type\": \"http\", \"url\": "
		    "\"http://127.0.0.1:%u%s\", \"timeout\": 10%s}",
		    server.port, cases[i].path, body);
		server.body_bytes = 0;
		outcome = run_check(text);
		ck_assert_msg(outcome.result == cases[i].result &&
		    strstr(outcome.detail, cases[i].detail) != NULL,
		    "%s: %s: %s", text, check_result_name(outcome.result),
		    outcome.detail);
		/* Promptly, nowhere near the 10 s timeout. */
		ck_assert_msg(clock_now_ns() - started < 2 * NSEC_PER_SEC,
		    "%s took %.0f ms", text,
		    clock_ns_to_ms(clock_now_ns() - started));
		/* Let the server see the close, then count what it could
		 * send: at most the cap plus what the socket buffers hold
		 * (~80 KiB measured with the server's small send buffer). */
		run_loop_for(50 * NSEC_PER_MSEC);
		ck_assert_msg(server.body_bytes <= (64 + 256) * 1024,
		    "%s: the server sent %zu bytes", text, server.body_bytes);
	}
	server_stop(&server);
	check_environment_cleanup(&environment);
	ck_assert_int_eq(fd_count(), fds_before);
}
END_TEST

/* Out of file descriptors, every check type that needs one reports a
 * local error (anycheck's fault), never a failure of the service, and
 * works again once descriptors are free. */
START_TEST(test_local_error_out_of_fds)
{
	struct server server;
	struct outcome outcome;
	struct rlimit saved;
	char tcp[128], http[128];
	int fds_before;

	server_start(&server, AF_INET, "127.0.0.1");
	snprintf(tcp, sizeof(tcp), "{\"type\": \"tcp\", \"host\": "
	    "\"127.0.0.1\", \"port\": %u}", server.port);
	snprintf(http, sizeof(http), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%u/health\"}", server.port);
	/* libcurl's engine exists before the limit, as in a daemon that
	 * has been running for a while. */
	outcome = run_check(http);
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	fds_before = fd_count();

	saved = exhaust_fds();
	outcome = run_check(tcp);
	ck_assert_outcome(outcome, CHECK_RESULT_LOCAL_ERROR,
	    "socket: Too many open files");
	ck_assert_int_eq(outcome.cause, CHECK_LOCAL_FILE_DESCRIPTORS);
	outcome = run_check("{\"type\": \"exec\", \"command\": "
	    "[\"true\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_LOCAL_ERROR,
	    "Too many open files");
	ck_assert_int_eq(outcome.cause, CHECK_LOCAL_FILE_DESCRIPTORS);
	outcome = run_check(http);
	ck_assert_outcome(outcome, CHECK_RESULT_LOCAL_ERROR,
	    "socket: Too many open files");
	ck_assert_int_eq(outcome.cause, CHECK_LOCAL_FILE_DESCRIPTORS);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);

	outcome = run_check(tcp);
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "connected");
	outcome = run_check(http);
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "HTTP 200");
	outcome = run_check("{\"type\": \"exec\", \"command\": "
	    "[\"true\"]}");
	ck_assert_outcome(outcome, CHECK_RESULT_PASS, "exit 0");
	reap_all(3 * NSEC_PER_SEC);
	assert_no_children();
	ck_assert_int_eq(fd_count(), fds_before);
	server_stop(&server);
}
END_TEST

static Suite *
checks_suite(void)
{
	Suite *suite = suite_create("checks");
	TCase *tc = tcase_create("checks");

	tcase_add_checked_fixture(tc, environment_setup, environment_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_registry);
	tcase_add_test(tc, test_start_refuses_while_running);
	tcase_add_test(tc, test_exec_results);
	tcase_add_test(tc, test_exec_signals_not_inherited_blocked);
	tcase_add_test(tc, test_exec_timeout_kills_process_group);
	tcase_add_test(tc, test_exec_sigkill_after_grace);
	tcase_add_test(tc, test_exec_flood);
	tcase_add_test(tc, test_exec_background_holds_pipe);
	tcase_add_test(tc, test_exec_cancel_then_free);
	tcase_add_test(tc, test_exec_cleanup_reaps_dying_commands);
	tcase_add_test(tc, test_exec_parse);
	tcase_add_test(tc, test_exec_escaped_processes_killed);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_tcp_parse);
	tcase_add_test(tc, test_http);
	tcase_add_test(tc, test_http_timeout_and_refused);
	tcase_add_test(tc, test_http_ipv6_and_resolve);
	tcase_add_test(tc, test_http_concurrent);
	tcase_add_test(tc, test_http_parse);
	tcase_add_test(tc, test_http_big_bodies);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_local_error_out_of_fds);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(checks_suite());
	int failed;

	log_init("test_checks", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
