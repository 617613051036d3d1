/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: TCP check
 *
 * Connects to host:port without blocking the loop. Passes once connected, or,
 * with "send" and/or "expect", once the request is written and the expected
 * text appears in the first 4 KiB read back. A connection the peer closes
 * before the expected text arrives fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"

#define CHECK_TCP_REPLY_MAX 4096

struct check_tcp_config {
	char *host;
	uint16_t port;
	struct sockaddr_storage address;
	socklen_t address_length;
	char *send;             /* NULL: send nothing */
	size_t send_length;
	char *expect;           /* NULL: connecting is enough */
};

struct check_tcp_run {
	int fd;
	bool connected;
	size_t sent;
	size_t reply_length;
	char reply[CHECK_TCP_REPLY_MAX];
};

static int
check_tcp_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "host", "port", "send", "expect", NULL };
	struct check_tcp_config *tcp;
	struct sockaddr_in *in;
	struct sockaddr_in6 *in6;
	const char *host = NULL, *send = NULL, *expect = NULL;
	int64_t port = 0;
	int problems = 0;

	tcp = xcalloc(1, sizeof(*tcp));
	in = (struct sockaddr_in *)&tcp->address;
	in6 = (struct sockaddr_in6 *)&tcp->address;
	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	if (config_get_integer(parser, object, "port", true, 1, 65535,
	    &port) != 1)
		problems++;
	if (config_get_string(parser, object, "host", true, &host) != 1)
		problems++;
	else if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		tcp->address_length = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		tcp->address_length = sizeof(*in6);
	} else {
		config_error(parser, "host",
		    "must be an IPv4 or IPv6 address, not \"%s\"", host);
		problems++;
	}
	if (config_get_string(parser, object, "send", false, &send) == -1)
		problems++;
	if (config_get_string(parser, object, "expect", false, &expect) == -1)
		problems++;
	else if (expect != NULL && expect[0] == '\0') {
		config_error(parser, "expect", "must not be empty");
		problems++;
	} else if (expect != NULL && strlen(expect) > CHECK_TCP_REPLY_MAX) {
		config_error(parser, "expect", "must be at most %d bytes",
		    CHECK_TCP_REPLY_MAX);
		problems++;
	}
	if (problems > 0) {
		free(tcp);
		return -1;
	}
	tcp->host = xstrdup(host);
	tcp->port = (uint16_t)port;
	if (send != NULL) {
		tcp->send = xstrdup(send);
		tcp->send_length = strlen(send);
	}
	if (expect != NULL)
		tcp->expect = xstrdup(expect);
	config->data = tcp;
	config->description = xasprintf(strchr(host, ':') ? "tcp [%s]:%u" :
	    "tcp %s:%u", host, (unsigned)port);
	return 0;
}

static void
check_tcp_close(struct check *check)
{
	struct check_tcp_run *run = check->state;

	if (run == NULL)
		return;
	loop_remove_fd(check->environment->loop, run->fd);
	close(run->fd);
	free(run);
	check->state = NULL;
}

static double
check_tcp_elapsed_ms(const struct check *check)
{
	return clock_ns_to_ms(loop_clock_now_ns(check->environment->loop) -
	    check->started_ns);
}

/* The reply as printable text for a detail line. */
static void
check_tcp_printable(const char *data, size_t length, char *out, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; i < length && j + 1 < size; i++) {
		unsigned char c = (unsigned char)data[i];
		out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	out[j] = '\0';
}

static void
check_tcp_finish(struct check *check, enum check_result result,
    const char *detail)
{
	check_tcp_close(check);
	check_done(check, result, "%s", detail);
}

static void
check_tcp_fail_mismatch(struct check *check, const char *why)
{
	const struct check_tcp_config *tcp = check->config->data;
	struct check_tcp_run *run = check->state;
	char reply[96], detail[CHECK_DETAIL_MAX];

	check_tcp_printable(run->reply, run->reply_length, reply,
	    sizeof(reply));
	snprintf(detail, sizeof(detail), "expected \"%s\" not in reply%s \"%s\"",
	    tcp->expect, why, reply);
	check_tcp_finish(check, CHECK_RESULT_FAIL, detail);
}

static void
check_tcp_pass(struct check *check)
{
	const struct check_tcp_config *tcp = check->config->data;
	char detail[CHECK_DETAIL_MAX];

	if (tcp->expect != NULL)
		snprintf(detail, sizeof(detail), "reply matched in %.1f ms",
		    check_tcp_elapsed_ms(check));
	else
		snprintf(detail, sizeof(detail), "connected in %.1f ms",
		    check_tcp_elapsed_ms(check));
	check_tcp_finish(check, CHECK_RESULT_PASS, detail);
}

static void
check_tcp_socket_error(struct check *check, int error, const char *what)
{
	char detail[CHECK_DETAIL_MAX];

	if (error == ECONNREFUSED)
		snprintf(detail, sizeof(detail), "connection refused");
	else
		snprintf(detail, sizeof(detail), "%s: %s", what,
		    strerror(error));
	check_tcp_finish(check, CHECK_RESULT_FAIL, detail);
}

static void
check_tcp_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct check *check = arg;
	const struct check_tcp_config *tcp = check->config->data;
	struct check_tcp_run *run = check->state;
	ssize_t n;

	(void)events;
	if (!run->connected) {
		int error = 0;
		socklen_t length = sizeof(error);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
		    &length) == -1)
			error = errno;
		if (error == EINPROGRESS)
			return;
		if (error != 0) {
			check_tcp_socket_error(check, error, "connect");
			return;
		}
		run->connected = true;
		if (tcp->send == NULL && tcp->expect == NULL) {
			check_tcp_pass(check);
			return;
		}
	}
	while (run->sent < tcp->send_length) {
		n = send(fd, tcp->send + run->sent, tcp->send_length -
		    run->sent, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			check_tcp_socket_error(check, errno, "send");
			return;
		}
		run->sent += (size_t)n;
		if (run->sent == tcp->send_length) {
			if (tcp->expect == NULL) {
				check_tcp_pass(check);
				return;
			}
			loop_modify_fd(loop, fd, EPOLLIN);
			return;
		}
	}
	if (tcp->expect == NULL) {
		check_tcp_pass(check);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		loop_modify_fd(loop, fd, EPOLLIN);
		return;
	}
	n = recv(fd, run->reply + run->reply_length,
	    sizeof(run->reply) - run->reply_length, 0);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		check_tcp_socket_error(check, errno, "receive");
		return;
	}
	run->reply_length += (size_t)n;
	if (memmem(run->reply, run->reply_length, tcp->expect,
	    strlen(tcp->expect)) != NULL)
		check_tcp_pass(check);
	else if (n == 0)
		check_tcp_fail_mismatch(check, " (closed)");
	else if (run->reply_length == sizeof(run->reply))
		check_tcp_fail_mismatch(check, " (first 4 KiB)");
}

static void
check_tcp_start(struct check *check)
{
	const struct check_tcp_config *tcp = check->config->data;
	struct check_tcp_run *run;
	int fd;

	fd = socket(tcp->address.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		/* No socket is never the service's fault (EMFILE, ENFILE,
		 * ENOBUFS, or a family this host does not support). */
		check_done_local(check, check_local_cause_from_errno(errno),
		    "socket: %s", strerror(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)&tcp->address,
	    tcp->address_length) == -1 && errno != EINPROGRESS) {
		int error = errno;
		close(fd);
		if (error == ECONNREFUSED)
			check_done(check, CHECK_RESULT_FAIL,
			    "connection refused");
		else if (check_errno_is_local(error) ||
		    error == EADDRNOTAVAIL)
			/* Out of buffers, or of local ports. */
			check_done_local(check,
			    check_local_cause_from_errno(error),
			    "connect: %s", strerror(error));
		else
			check_done(check, CHECK_RESULT_FAIL, "connect: %s",
			    strerror(error));
		return;
	}
	run = xcalloc(1, sizeof(*run));
	run->fd = fd;
	check->state = run;
	/* Even an immediate connect (loopback) is reported through the loop:
	 * one path for every outcome. */
	if (loop_add_fd(check->environment->loop, fd, EPOLLOUT,
	    check_tcp_ready, check) == -1) {
		int error = errno;
		close(fd);
		free(run);
		check->state = NULL;
		check_done_local(check, check_local_cause_from_errno(error),
		    "cannot watch socket: %s", strerror(error));
	}
}

static void
check_tcp_cancel(struct check *check)
{
	check_tcp_close(check);
}

static void
check_tcp_free_config(void *data)
{
	struct check_tcp_config *tcp = data;

	if (tcp == NULL)
		return;
	free(tcp->host);
	free(tcp->send);
	free(tcp->expect);
	free(tcp);
}

const struct check_ops check_tcp_ops = {
	.type = "tcp",
	.parse = check_tcp_parse,
	.start = check_tcp_start,
	.cancel = check_tcp_cancel,
	.free_config = check_tcp_free_config,
	.fds_per_run = 1,
};
