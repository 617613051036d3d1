/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: counting established TCP connections
 *
 * A count opens a non-blocking NETLINK_SOCK_DIAG socket and asks the kernel
 * for a dump of the established TCP sockets of one address family
 * (SOCK_DIAG_BY_FAMILY with struct inet_diag_req_v2), then of the next. The
 * dump arrives as multipart messages ending in NLMSG_DONE; each readiness
 * event reads a bounded number of them and the loop calls back for the rest.
 * Filtering happens here, in user space: a dumped socket counts for a query
 * when its local address is in one of the query's prefixes and, if the query
 * has ports, its local port is one of them. IPv4 prefixes also dump AF_INET6,
 * because a dual-stack listener's IPv4 connections are IPv6 sockets with
 * IPv4-mapped addresses.
 *
 * A batch of queries shares one dump. So that 100 draining services and
 * 10 000 sockets stay cheap, the queries are indexed when the count starts:
 * host prefixes (/32, /128: nearly all VIPs) go into one array sorted by
 * address, so each socket costs one binary search (two for an IPv4-mapped
 * address) that lands on exactly the queries with that address; the few
 * shorter prefixes are tried one by one. Each query's ports are sorted for a
 * binary search, and a per-query "last socket counted" serial number keeps a
 * socket matched by several prefixes of one query from counting twice.
 *
 * Every count ends in conn_count_complete(), which calls done exactly once
 * from the loop (a count that fails or finishes while starting is delivered
 * through a zero-delay timer). A fresh socket per count means that a
 * cancelled or timed-out dump can never leak stale replies into the next.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn_count.h"
#include "log.h"

/* Dump chunks from the kernel are at most 32 KiB; twice that never
 * truncates. */
#define CONN_COUNT_BUFFER_SIZE (64 * 1024)
/* Reads per readiness event (64 KiB, some 500 sockets), so that a big dump
 * shares the loop; epoll is level-triggered and the kernel queues the next
 * chunk as soon as one is read, so the rest comes on the next events. */
#define CONN_COUNT_READS_PER_EVENT 2

/* Why a count failed; each is logged once until a count succeeds again. */
enum conn_count_cause {
	CONN_COUNT_CAUSE_SOCKET,
	CONN_COUNT_CAUSE_SEND,
	CONN_COUNT_CAUSE_RECEIVE,
	CONN_COUNT_CAUSE_KERNEL,
	CONN_COUNT_CAUSE_MALFORMED,
	CONN_COUNT_CAUSE_TIMEOUT,
	CONN_COUNT_CAUSE_COUNT,
};

enum conn_count_parse_result {
	CONN_COUNT_PARSE_MORE,      /* the dump goes on */
	CONN_COUNT_PARSE_DONE,      /* NLMSG_DONE for this family */
	CONN_COUNT_PARSE_ERROR,     /* NLMSG_ERROR or a malformed message */
};

/* A host prefix (/32 or /128) of one query. */
struct conn_count_host {
	int family;
	uint8_t address[16];            /* bytes past the family's are 0 */
	size_t query;
};

/* A shorter prefix of one query. */
struct conn_count_range {
	struct prefix prefix;
	size_t query;
};

/* What a count keeps for one query. */
struct conn_count_tally_slot {
	const uint16_t *ports;          /* sorted, in the index's pool */
	size_t port_count;
	long count;
	uint64_t last_socket;           /* serial of the last socket counted */
};

/* The queries of one count, arranged for matching many sockets. */
struct conn_count_index {
	struct conn_count_host *hosts;  /* sorted by family, address */
	size_t host_count;
	struct conn_count_range *ranges;
	size_t range_count;
	struct conn_count_tally_slot *slots;    /* one per query */
	size_t slot_count;
	uint16_t *ports;
	uint64_t socket_serial;
	bool ipv4, ipv6;                /* prefixes of these families */
};

struct conn_counter {
	struct loop *loop;
	int fd;                         /* -1 when no dump is running */
	bool running;
	bool finished;                  /* result decided, timer delivers it */
	int status;                     /* when finished: 0 or -1 */
	struct loop_timer timer;        /* timeout, or deferred completion */
	struct conn_count_index index;
	struct conn_count_query *queries;
	size_t query_count;
	int families[2];
	size_t family_count;
	size_t family_index;
	uint32_t sequence;
	void (*done)(int status, void *arg);
	void *arg;
	/* conn_count_start's batch of one. */
	struct conn_count_query single_query;
	void (*single_done)(long count, void *arg);
	void *single_arg;
	bool logged[CONN_COUNT_CAUSE_COUNT];
	uint8_t *buffer;
};

static void conn_count_timer_fired(struct loop *loop, void *arg);
static void conn_count_readable(struct loop *loop, int fd, uint32_t events,
    void *arg);

/* The index. */

static bool
conn_count_is_host(const struct prefix *prefix)
{
	return (prefix->family == AF_INET && prefix->length == 32) ||
	    (prefix->family == AF_INET6 && prefix->length == 128);
}

static int
conn_count_host_compare_key(int family, const uint8_t address[16],
    const struct conn_count_host *host)
{
	if (family != host->family)
		return family < host->family ? -1 : 1;
	return memcmp(address, host->address, 16);
}

static int
conn_count_host_compare(const void *a, const void *b)
{
	const struct conn_count_host *left = a, *right = b;
	int order = conn_count_host_compare_key(left->family, left->address,
	    right);

	if (order != 0)
		return order;
	return left->query < right->query ? -1 : left->query > right->query;
}

static int
conn_count_port_compare(const void *a, const void *b)
{
	uint16_t left = *(const uint16_t *)a, right = *(const uint16_t *)b;

	return left < right ? -1 : left > right;
}

static void
conn_count_index_free(struct conn_count_index *index)
{
	free(index->hosts);
	free(index->ranges);
	free(index->slots);
	free(index->ports);
	memset(index, 0, sizeof(*index));
}

/* Copy what matching needs out of the queries. */
static void
conn_count_index_build(struct conn_count_index *index,
    const struct conn_count_query *queries, size_t query_count)
{
	size_t prefix_total = 0, port_total = 0, port_used = 0;

	memset(index, 0, sizeof(*index));
	for (size_t q = 0; q < query_count; q++) {
		prefix_total += queries[q].prefix_count;
		port_total += queries[q].port_count;
	}
	index->slots = xcalloc(query_count ? query_count : 1,
	    sizeof(*index->slots));
	index->slot_count = query_count;
	index->hosts = xcalloc(prefix_total ? prefix_total : 1,
	    sizeof(*index->hosts));
	index->ranges = xcalloc(prefix_total ? prefix_total : 1,
	    sizeof(*index->ranges));
	index->ports = xcalloc(port_total ? port_total : 1,
	    sizeof(*index->ports));
	for (size_t q = 0; q < query_count; q++) {
		const struct conn_count_query *query = &queries[q];
		struct conn_count_tally_slot *slot = &index->slots[q];

		for (size_t i = 0; i < query->prefix_count; i++) {
			const struct prefix *prefix = &query->prefixes[i];

			if (prefix->family == AF_INET)
				index->ipv4 = true;
			else if (prefix->family == AF_INET6)
				index->ipv6 = true;
			else
				continue;
			if (conn_count_is_host(prefix)) {
				struct conn_count_host *host =
				    &index->hosts[index->host_count++];

				host->family = prefix->family;
				memcpy(host->address, prefix->address,
				    prefix->family == AF_INET ? 4 : 16);
				host->query = q;
			} else {
				struct conn_count_range *range =
				    &index->ranges[index->range_count++];

				range->prefix = *prefix;
				range->query = q;
			}
		}
		if (query->port_count > 0) {
			slot->ports = index->ports + port_used;
			slot->port_count = query->port_count;
			memcpy(index->ports + port_used, query->ports,
			    query->port_count * sizeof(*query->ports));
			qsort(index->ports + port_used, query->port_count,
			    sizeof(*query->ports), conn_count_port_compare);
			port_used += query->port_count;
		}
	}
	qsort(index->hosts, index->host_count, sizeof(*index->hosts),
	    conn_count_host_compare);
}

/* Count the socket (serial index->socket_serial) for query q, once. */
static void
conn_count_index_credit(struct conn_count_index *index, size_t q,
    uint16_t port)
{
	struct conn_count_tally_slot *slot = &index->slots[q];

	if (slot->last_socket == index->socket_serial)
		return;
	if (slot->port_count > 0 && bsearch(&port, slot->ports,
	    slot->port_count, sizeof(port), conn_count_port_compare) == NULL)
		return;
	slot->last_socket = index->socket_serial;
	slot->count++;
}

/* Credit the queries with a host prefix equal to this address. */
static void
conn_count_index_match_host(struct conn_count_index *index, int family,
    const uint8_t address[16], uint16_t port)
{
	size_t low = 0, high = index->host_count;

	while (low < high) {            /* the first host >= address */
		size_t middle = low + (high - low) / 2;

		if (conn_count_host_compare_key(family, address,
		    &index->hosts[middle]) > 0)
			low = middle + 1;
		else
			high = middle;
	}
	for (; low < index->host_count && conn_count_host_compare_key(family,
	    address, &index->hosts[low]) == 0; low++)
		conn_count_index_credit(index, index->hosts[low].query, port);
}

/* Count one socket's local end for every query it matches. */
static void
conn_count_index_add(struct conn_count_index *index, int family,
    const uint8_t address[16], uint16_t port)
{
	static const uint8_t mapped_head[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	uint8_t ipv4[16] = { 0 };
	bool mapped;

	index->socket_serial++;
	mapped = family == AF_INET6 &&
	    memcmp(address, mapped_head, sizeof(mapped_head)) == 0;
	if (mapped)
		memcpy(ipv4, address + 12, 4);
	conn_count_index_match_host(index, family, address, port);
	if (mapped)
		conn_count_index_match_host(index, AF_INET, ipv4, port);
	for (size_t i = 0; i < index->range_count; i++) {
		const struct conn_count_range *range = &index->ranges[i];

		if (prefix_contains(&range->prefix, family, address) ||
		    (mapped && prefix_contains(&range->prefix, AF_INET, ipv4)))
			conn_count_index_credit(index, range->query, port);
	}
}

void
conn_count_tally(struct conn_count_query *queries, size_t query_count,
    const struct conn_count_socket *sockets, size_t socket_count)
{
	struct conn_count_index index;

	conn_count_index_build(&index, queries, query_count);
	for (size_t i = 0; i < socket_count; i++)
		conn_count_index_add(&index, sockets[i].family,
		    sockets[i].address, sockets[i].port);
	for (size_t q = 0; q < query_count; q++)
		queries[q].count = index.slots[q].count;
	conn_count_index_free(&index);
}

/* The counter. */

struct conn_counter *
conn_counter_new(struct loop *loop)
{
	struct conn_counter *counter;

	counter = xcalloc(1, sizeof(*counter));
	counter->loop = loop;
	counter->fd = -1;
	counter->buffer = xmalloc(CONN_COUNT_BUFFER_SIZE);
	loop_timer_init(&counter->timer, conn_count_timer_fired, counter);
	return counter;
}

/* Release what one count holds; the counter is idle afterwards. */
static void
conn_count_cleanup(struct conn_counter *counter)
{
	if (counter->fd != -1) {
		loop_remove_fd(counter->loop, counter->fd);
		close(counter->fd);
		counter->fd = -1;
	}
	loop_timer_cancel(counter->loop, &counter->timer);
	conn_count_index_free(&counter->index);
	counter->queries = NULL;
	counter->query_count = 0;
	counter->running = false;
	counter->finished = false;
}

void
conn_counter_free(struct conn_counter *counter)
{
	if (counter == NULL)
		return;
	conn_count_cleanup(counter);
	free(counter->buffer);
	free(counter);
}

/* The one completion point: fills in the counts, ends the count, then calls
 * done, which may start another count or free the counter. */
static void
conn_count_complete(struct conn_counter *counter, int status)
{
	void (*done)(int, void *) = counter->done;
	void *arg = counter->arg;
	long total = 0;

	for (size_t q = 0; q < counter->query_count; q++) {
		counter->queries[q].count = status == 0 ?
		    counter->index.slots[q].count : -1;
		total += status == 0 ? counter->index.slots[q].count : 0;
	}
	if (status == 0) {
		bool recovered = false;

		for (int cause = 0; cause < CONN_COUNT_CAUSE_COUNT; cause++) {
			recovered = recovered || counter->logged[cause];
			counter->logged[cause] = false;
		}
		if (recovered)
			log_info("connection count: works again (%ld "
			    "connections)", total);
	}
	conn_count_cleanup(counter);
	done(status, arg);
}

/* Log why the count failed (once per cause until a count succeeds). */
static void
conn_count_log_failure(struct conn_counter *counter,
    enum conn_count_cause cause, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (counter->logged[cause]) {
		log_debug("connection count: %s", text);
		return;
	}
	counter->logged[cause] = true;
	log_warnx("connection count: %s", text);
}

/* Deliver status from the loop after the current callback returns. */
static void
conn_count_complete_later(struct conn_counter *counter, int status)
{
	if (counter->fd != -1) {
		loop_remove_fd(counter->loop, counter->fd);
		close(counter->fd);
		counter->fd = -1;
	}
	counter->finished = true;
	counter->status = status;
	loop_timer_arm_in(counter->loop, &counter->timer, 0);
}

static void
conn_count_timer_fired(struct loop *loop, void *arg)
{
	struct conn_counter *counter = arg;

	(void)loop;
	if (counter->finished) {
		conn_count_complete(counter, counter->status);
		return;
	}
	conn_count_log_failure(counter, CONN_COUNT_CAUSE_TIMEOUT,
	    "the kernel's socket dump took longer than %d ms",
	    CONN_COUNT_TIMEOUT_MS);
	conn_count_complete(counter, -1);
}

bool
conn_count_matches(const struct prefix *prefixes, size_t prefix_count,
    const uint16_t *ports, size_t port_count, int family,
    const uint8_t address[16], uint16_t port)
{
	static const uint8_t mapped_head[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	uint8_t ipv4[16] = { 0 };
	bool mapped;
	size_t i;

	if (port_count > 0) {
		for (i = 0; i < port_count && ports[i] != port; i++)
			;
		if (i == port_count)
			return false;
	}
	mapped = family == AF_INET6 &&
	    memcmp(address, mapped_head, sizeof(mapped_head)) == 0;
	if (mapped)
		memcpy(ipv4, address + 12, 4);
	for (i = 0; i < prefix_count; i++) {
		if (prefix_contains(&prefixes[i], family, address))
			return true;
		if (mapped && prefix_contains(&prefixes[i], AF_INET, ipv4))
			return true;
	}
	return false;
}

/* Ask the kernel for the established TCP sockets of the current family. */
static int
conn_count_request(struct conn_counter *counter)
{
	struct {
		struct nlmsghdr header;
		struct inet_diag_req_v2 request;
	} message;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t sent;

	memset(&message, 0, sizeof(message));
	message.header.nlmsg_len = sizeof(message);
	message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	message.header.nlmsg_seq = ++counter->sequence;
	message.request.sdiag_family =
	    (uint8_t)counter->families[counter->family_index];
	message.request.sdiag_protocol = IPPROTO_TCP;
	message.request.idiag_states = 1U << TCP_ESTABLISHED;
	do
		sent = sendto(counter->fd, &message, sizeof(message), 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (sent == -1 && errno == EINTR);
	if (sent != (ssize_t)sizeof(message)) {
		conn_count_log_failure(counter, CONN_COUNT_CAUSE_SEND,
		    "cannot send the sock_diag request: %s",
		    sent == -1 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* Count one dumped socket for the queries its local end matches. */
static void
conn_count_entry(struct conn_counter *counter, const struct inet_diag_msg *msg)
{
	uint8_t address[16] = { 0 };

	if (msg->idiag_state != TCP_ESTABLISHED)
		return;
	if (msg->idiag_family == AF_INET)
		memcpy(address, msg->id.idiag_src, 4);
	else if (msg->idiag_family == AF_INET6)
		memcpy(address, msg->id.idiag_src, 16);
	else
		return;
	conn_count_index_add(&counter->index, msg->idiag_family, address,
	    ntohs(msg->id.idiag_sport));
}

/* Walk the netlink messages of one datagram. */
static enum conn_count_parse_result
conn_count_parse(struct conn_counter *counter, size_t length)
{
	struct nlmsghdr *header = (struct nlmsghdr *)counter->buffer;
	/* Signed, and wider than NLMSG_OK's unsigned nlmsg_len (no sign
	 * comparison): NLMSG_NEXT may take it below zero, which ends the walk. */
	ssize_t remaining = (ssize_t)length;

	for (; NLMSG_OK(header, remaining);
	    header = NLMSG_NEXT(header, remaining)) {
		if (header->nlmsg_seq != counter->sequence)
			continue;       /* not an answer to this request */
		if (header->nlmsg_type == NLMSG_DONE) {
			int *status = NLMSG_DATA(header);

			if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) &&
			    *status < 0) {
				conn_count_log_failure(counter,
				    CONN_COUNT_CAUSE_KERNEL,
				    "the kernel ended the socket dump with: %s",
				    strerror(-*status));
				return CONN_COUNT_PARSE_ERROR;
			}
			return CONN_COUNT_PARSE_DONE;
		}
		if (header->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *error = NLMSG_DATA(header);

			if (header->nlmsg_len < NLMSG_LENGTH(sizeof(*error))) {
				conn_count_log_failure(counter,
				    CONN_COUNT_CAUSE_MALFORMED,
				    "short NLMSG_ERROR from the kernel");
				return CONN_COUNT_PARSE_ERROR;
			}
			if (error->error == 0)
				continue;       /* an acknowledgement */
			conn_count_log_failure(counter, CONN_COUNT_CAUSE_KERNEL,
			    "the kernel refused the socket dump (family %d): "
			    "%s", counter->families[counter->family_index],
			    strerror(-error->error));
			return CONN_COUNT_PARSE_ERROR;
		}
		if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct
		    inet_diag_msg))) {
			conn_count_log_failure(counter,
			    CONN_COUNT_CAUSE_MALFORMED,
			    "short sock_diag message from the kernel");
			return CONN_COUNT_PARSE_ERROR;
		}
		conn_count_entry(counter, NLMSG_DATA(header));
	}
	return CONN_COUNT_PARSE_MORE;
}

static void
conn_count_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct conn_counter *counter = arg;

	(void)loop;
	(void)events;
	for (int reads = 0; reads < CONN_COUNT_READS_PER_EVENT; reads++) {
		struct sockaddr_nl from;
		struct iovec iov = {
			.iov_base = counter->buffer,
			.iov_len = CONN_COUNT_BUFFER_SIZE,
		};
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t received;

		received = recvmsg(fd, &msg, 0);
		if (received == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;         /* more comes on a later event */
			if (errno == EINTR)
				continue;
			conn_count_log_failure(counter,
			    CONN_COUNT_CAUSE_RECEIVE,
			    "cannot read the socket dump: %s",
			    strerror(errno));
			conn_count_complete(counter, -1);
			return;
		}
		if (received == 0 || (msg.msg_flags & MSG_TRUNC)) {
			conn_count_log_failure(counter,
			    CONN_COUNT_CAUSE_MALFORMED, "%s",
			    received == 0 ? "the socket dump ended early" :
			    "a socket dump message was truncated");
			conn_count_complete(counter, -1);
			return;
		}
		if (from.nl_pid != 0)
			continue;               /* not from the kernel */
		switch (conn_count_parse(counter, (size_t)received)) {
		case CONN_COUNT_PARSE_MORE:
			break;
		case CONN_COUNT_PARSE_ERROR:
			conn_count_complete(counter, -1);
			return;
		case CONN_COUNT_PARSE_DONE:
			counter->family_index++;
			if (counter->family_index == counter->family_count) {
				conn_count_complete(counter, 0);
				return;
			}
			if (conn_count_request(counter) == -1) {
				conn_count_complete(counter, -1);
				return;
			}
			break;
		}
	}
}

int
conn_count_start_batch(struct conn_counter *counter,
    struct conn_count_query *queries, size_t query_count,
    void (*done)(int status, void *arg), void *arg)
{
	if (counter->running)
		return -1;
	counter->running = true;
	counter->finished = false;
	counter->done = done;
	counter->arg = arg;
	counter->queries = queries;
	counter->query_count = query_count;
	counter->family_index = 0;
	counter->family_count = 0;
	conn_count_index_build(&counter->index, queries, query_count);
	if (counter->index.ipv4)
		counter->families[counter->family_count++] = AF_INET;
	/* IPv4 prefixes also need AF_INET6, for IPv4-mapped sockets. */
	if (counter->index.ipv4 || counter->index.ipv6)
		counter->families[counter->family_count++] = AF_INET6;
	if (counter->family_count == 0) {
		conn_count_complete_later(counter, 0);
		return 0;
	}

	counter->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (counter->fd == -1) {
		conn_count_log_failure(counter, CONN_COUNT_CAUSE_SOCKET,
		    "cannot open a sock_diag netlink socket: %s",
		    strerror(errno));
		goto fail;
	}
	if (loop_add_fd(counter->loop, counter->fd, EPOLLIN,
	    conn_count_readable, counter) == -1) {
		/* The loop logged why; keep the fd from being removed. */
		close(counter->fd);
		counter->fd = -1;
		goto fail;
	}
	if (conn_count_request(counter) == -1)
		goto fail;
	loop_timer_arm_in(counter->loop, &counter->timer,
	    (uint64_t)CONN_COUNT_TIMEOUT_MS * NSEC_PER_MSEC);
	return 0;
fail:
	conn_count_complete_later(counter, -1);
	return 0;
}

int
conn_count_start_batch_hook(void *counter, struct conn_count_query *queries,
    size_t query_count, void (*done)(int status, void *arg), void *arg)
{
	return conn_count_start_batch(counter, queries, query_count, done,
	    arg);
}

/* conn_count_start's done, called through the batch's. */
static void
conn_count_single_done(int status, void *arg)
{
	struct conn_counter *counter = arg;

	/* The count is over: done may start the next or free the counter. */
	counter->single_done(status == 0 ? counter->single_query.count : -1,
	    counter->single_arg);
}

int
conn_count_start(struct conn_counter *counter, const struct prefix *prefixes,
    size_t prefix_count, const uint16_t *ports, size_t port_count,
    void (*done)(long count, void *arg), void *arg)
{
	if (counter->running)
		return -1;
	counter->single_query = (struct conn_count_query){
		.prefixes = prefixes,
		.prefix_count = prefix_count,
		.ports = ports,
		.port_count = port_count,
	};
	counter->single_done = done;
	counter->single_arg = arg;
	return conn_count_start_batch(counter, &counter->single_query, 1,
	    conn_count_single_done, counter);
}

int
conn_count_start_hook(void *counter, const struct prefix *prefixes,
    size_t prefix_count, const uint16_t *ports, size_t port_count,
    void (*done)(long count, void *arg), void *arg)
{
	return conn_count_start(counter, prefixes, prefix_count, ports,
	    port_count, done, arg);
}
