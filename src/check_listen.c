/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: listen check
 *
 * Passes while a socket on this host listens on address:port (TCP, state
 * LISTEN) or is bound there (UDP, unconnected): the service's server has
 * its socket open, whatever it answers. A socket bound to the wildcard
 * address (0.0.0.0, or :: for IPv6, and a dual-stack :: for IPv4) receives
 * the address's traffic too and counts, unless "wildcard" is false.
 *
 * A run asks the kernel through sock_diag (NETLINK_SOCK_DIAG, struct
 * inet_diag_req_v2, the interface ss(8) uses) for the sockets in that state
 * with that local port, one dump per address family: the port is filtered
 * in the kernel by a two-instruction inet_diag bytecode (sport >= port,
 * sport <= port), so a host with many connections costs no more than one
 * with none, and the run reads only the sockets on its port. Nothing is
 * forked and the loop never blocks: the answer is read on readiness, in
 * the run's own short-lived socket (a cancelled run cannot leave replies
 * behind for the next). A run is a few system calls, cheap enough for an
 * interval of 10 ms; it is a polled check, so "immediate" (the default)
 * means one failed run is enough to take the service DOWN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_api.h"
#include "config_json.h"
#include "log.h"

#define CHECK_LISTEN_BUFFER_SIZE (32 * 1024)

struct check_listen_config {
	int family;
	uint8_t address[16];
	uint16_t port;
	int protocol;           /* IPPROTO_TCP or IPPROTO_UDP */
	bool wildcard;          /* a wildcard-bound socket counts */
	char text[INET6_ADDRSTRLEN + 8];        /* "192.0.2.1:53" */
};

struct check_listen_run {
	int fd;
	uint32_t sequence;
	int families[2];
	size_t family_count;
	size_t family_index;
	bool wildcard_found;    /* only a wildcard socket so far */
	uint8_t buffer[CHECK_LISTEN_BUFFER_SIZE] __attribute__((aligned(8)));
};

static const uint8_t check_listen_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0xff, 0xff };

static int
check_listen_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "address", "port", "protocol", "wildcard", NULL };
	struct check_listen_config *listen;
	const char *protocol = "tcp";
	uint8_t bytes[16];
	int64_t port = 0;
	int problems = 0, family = 0;
	bool wildcard = true;

	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	if (config_get_address(parser, object, "address", true, &family,
	    bytes) != 1)
		problems++;
	if (config_get_integer(parser, object, "port", true, 1, 65535,
	    &port) != 1)
		problems++;
	if (config_get_string(parser, object, "protocol", false,
	    &protocol) == -1)
		problems++;
	else if (strcmp(protocol, "tcp") != 0 && strcmp(protocol, "udp") != 0) {
		config_error(parser, "protocol", "must be \"tcp\" or \"udp\", "
		    "not \"%s\"", protocol);
		problems++;
	}
	if (config_get_bool(parser, object, "wildcard", false, &wildcard) == -1)
		problems++;
	if (problems > 0)
		return -1;
	listen = xcalloc(1, sizeof(*listen));
	listen->family = family;
	memcpy(listen->address, bytes, family == AF_INET ? 4 : 16);
	listen->port = (uint16_t)port;
	listen->protocol = strcmp(protocol, "udp") == 0 ? IPPROTO_UDP :
	    IPPROTO_TCP;
	listen->wildcard = wildcard;
	{
		char address[INET6_ADDRSTRLEN];

		inet_ntop(family, bytes, address, sizeof(address));
		snprintf(listen->text, sizeof(listen->text),
		    family == AF_INET6 ? "[%s]:%u" : "%s:%u", address,
		    (unsigned)port);
	}
	config->data = listen;
	config->description = xasprintf("listen %s %s%s", protocol,
	    listen->text, wildcard ? "" : " (exact)");
	return 0;
}

static void
check_listen_close(struct check *check)
{
	struct check_listen_run *run = check->state;

	if (run == NULL)
		return;
	loop_remove_fd(check->environment->loop, run->fd);
	close(run->fd);
	free(run);
	check->state = NULL;
}

static void
check_listen_finish(struct check *check, enum check_result result,
    const char *detail)
{
	check_listen_close(check);
	check_done(check, result, "%s", detail);
}

/* Ask for the sockets of the current family on our port, in our state. */
static int
check_listen_request(struct check *check)
{
	const struct check_listen_config *listen = check->config->data;
	struct check_listen_run *run = check->state;
	struct {
		struct nlmsghdr header;
		struct inet_diag_req_v2 request;
		struct rtattr attribute;
		struct inet_diag_bc_op code[4];
	} message;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t sent;

	memset(&message, 0, sizeof(message));
	message.header.nlmsg_len = sizeof(message);
	message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	message.header.nlmsg_seq = ++run->sequence;
	message.request.sdiag_family =
	    (uint8_t)run->families[run->family_index];
	message.request.sdiag_protocol = (uint8_t)listen->protocol;
	/* UDP has no LISTEN: a server's socket is bound and unconnected,
	 * which the kernel reports as CLOSE. */
	message.request.idiag_states = listen->protocol == IPPROTO_TCP ?
	    1U << TCP_LISTEN : 1U << TCP_CLOSE;
	message.attribute.rta_type = INET_DIAG_REQ_BYTECODE;
	message.attribute.rta_len = RTA_LENGTH(sizeof(message.code));
	/* sport >= port, else jump past the end (reject); then sport <=
	 * port, else reject; falling off the end exactly accepts. */
	message.code[0] = (struct inet_diag_bc_op){ .code =
	    INET_DIAG_BC_S_GE, .yes = 8, .no = 20 };
	message.code[1] = (struct inet_diag_bc_op){ .no = listen->port };
	message.code[2] = (struct inet_diag_bc_op){ .code =
	    INET_DIAG_BC_S_LE, .yes = 8, .no = 12 };
	message.code[3] = (struct inet_diag_bc_op){ .no = listen->port };
	do
		sent = sendto(run->fd, &message, sizeof(message), 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (sent == -1 && errno == EINTR);
	if (sent == (ssize_t)sizeof(message))
		return 0;
	if (sent != -1)
		errno = EIO;    /* a short write: errno says nothing */
	return -1;
}

/* Does one dumped socket serve the address: 2 exactly, 1 through the
 * wildcard, 0 not at all? */
static int
check_listen_matches(const struct check_listen_config *listen,
    const struct nlmsghdr *header)
{
	const struct inet_diag_msg *msg = NLMSG_DATA(header);
	const uint8_t *source = (const uint8_t *)msg->id.idiag_src;
	static const uint8_t zero[16];
	const struct rtattr *attribute;
	bool v6only = false;
	int length;

	if (ntohs(msg->id.idiag_sport) != listen->port)
		return 0;       /* the filter did it; be sure anyway */
	length = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof(*msg)));
	for (attribute = (const struct rtattr *)(msg + 1);
	    RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length))
		if (attribute->rta_type == INET_DIAG_SKV6ONLY &&
		    RTA_PAYLOAD(attribute) >= 1)
			v6only = *(const uint8_t *)RTA_DATA(attribute) != 0;
	if (listen->family == AF_INET && msg->idiag_family == AF_INET) {
		if (memcmp(source, listen->address, 4) == 0)
			return 2;
		return memcmp(source, zero, 4) == 0 ? 1 : 0;
	}
	if (listen->family == AF_INET && msg->idiag_family == AF_INET6) {
		if (memcmp(source, check_listen_mapped, 12) == 0 &&
		    memcmp(source + 12, listen->address, 4) == 0)
			return 2;
		return memcmp(source, zero, 16) == 0 && !v6only ? 1 : 0;
	}
	if (listen->family == AF_INET6 && msg->idiag_family == AF_INET6) {
		if (memcmp(source, listen->address, 16) == 0)
			return 2;
		return memcmp(source, zero, 16) == 0 ? 1 : 0;
	}
	return 0;
}

static void
check_listen_found(struct check *check, bool wildcard)
{
	const struct check_listen_config *listen = check->config->data;
	char detail[CHECK_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "%s %s %s%s",
	    listen->protocol == IPPROTO_TCP ? "tcp" : "udp", listen->text,
	    listen->protocol == IPPROTO_TCP ? "listening" : "bound",
	    wildcard ? " (wildcard address)" : "");
	check_listen_finish(check, CHECK_RESULT_PASS, detail);
}

static void
check_listen_not_found(struct check *check)
{
	const struct check_listen_config *listen = check->config->data;
	char detail[CHECK_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "nothing %s on %s %s%s",
	    listen->protocol == IPPROTO_TCP ? "listens" : "is bound",
	    listen->protocol == IPPROTO_TCP ? "tcp" : "udp", listen->text,
	    listen->wildcard ? " (nor on the wildcard address)" : "");
	check_listen_finish(check, CHECK_RESULT_FAIL, detail);
}

/* Local trouble with sock_diag: anycheck's, not the service's. */
static void
check_listen_local(struct check *check, int error, const char *what)
{
	check_listen_close(check);
	check_done_local(check, check_local_cause_from_errno(error), "%s: %s",
	    what, strerror(error));
}

static void
check_listen_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct check *check = arg;
	const struct check_listen_config *listen = check->config->data;
	struct check_listen_run *run = check->state;
	struct nlmsghdr *header;
	ssize_t received, remaining;

	(void)loop;
	(void)events;
	do
		received = recv(fd, run->buffer, sizeof(run->buffer), 0);
	while (received == -1 && errno == EINTR);
	if (received == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (received <= 0) {
		check_listen_local(check, received == 0 ? EIO : errno,
		    "reading the socket dump");
		return;
	}
	remaining = received;
	for (header = (struct nlmsghdr *)run->buffer;
	    NLMSG_OK(header, remaining);
	    header = NLMSG_NEXT(header, remaining)) {
		if (header->nlmsg_seq != run->sequence)
			continue;
		if (header->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *error = NLMSG_DATA(header);
			int code = header->nlmsg_len >=
			    NLMSG_LENGTH(sizeof(*error)) ? -error->error : EIO;
			if (code == 0)
				continue;
			check_listen_local(check, code, "sock_diag");
			return;
		}
		if (header->nlmsg_type == NLMSG_DONE) {
			run->family_index++;
			if (run->family_index < run->family_count) {
				if (check_listen_request(check) == -1)
					check_listen_local(check, errno,
					    "sock_diag request");
				return;
			}
			if (run->wildcard_found)
				check_listen_found(check, true);
			else
				check_listen_not_found(check);
			return;
		}
		if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    header->nlmsg_len < NLMSG_LENGTH(sizeof(struct
		    inet_diag_msg)))
			continue;
		switch (check_listen_matches(listen, header)) {
		case 2:
			check_listen_found(check, false);
			return;
		case 1:
			if (listen->wildcard)
				run->wildcard_found = true;
			break;
		default:
			break;
		}
	}
}

static void
check_listen_start(struct check *check)
{
	const struct check_listen_config *listen = check->config->data;
	struct check_listen_run *run;
	int error;

	run = xcalloc(1, sizeof(*run));
	run->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG);
	if (run->fd == -1) {
		error = errno;
		free(run);
		check_done_local(check, check_local_cause_from_errno(error),
		    "sock_diag socket: %s", strerror(error));
		return;
	}
	run->families[run->family_count++] = listen->family;
	/* An IPv4 address is also served by IPv6 sockets: dual-stack ones
	 * bound to ::, and those bound to its IPv4-mapped form. */
	if (listen->family == AF_INET)
		run->families[run->family_count++] = AF_INET6;
	check->state = run;
	if (loop_add_fd(check->environment->loop, run->fd, EPOLLIN,
	    check_listen_readable, check) == -1) {
		error = errno;
		close(run->fd);
		free(run);
		check->state = NULL;
		check_done_local(check, check_local_cause_from_errno(error),
		    "cannot watch the sock_diag socket: %s", strerror(error));
		return;
	}
	if (check_listen_request(check) == -1)
		check_listen_local(check, errno, "sock_diag request");
}

static void
check_listen_cancel(struct check *check)
{
	check_listen_close(check);
}

static void
check_listen_free_config(void *data)
{
	free(data);
}

const struct check_ops check_listen_ops = {
	.type = "listen",
	.parse = check_listen_parse,
	.start = check_listen_start,
	.cancel = check_listen_cancel,
	.free_config = check_listen_free_config,
	.fds_per_run = 1,
	.immediate_default = true,
};
