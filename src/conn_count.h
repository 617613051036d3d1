/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: counting established TCP connections
 *
 * Counts the established TCP connections whose local address lies in given
 * prefixes (and, optionally, whose local port is one of given ports), so that
 * a drain can wait until the traffic to a VIP has left before withdrawing it.
 * The count asks the kernel through sock_diag netlink (the interface `ss`
 * uses) without forking anything and without blocking the loop: one dump per
 * address family, read across as many readiness events as it takes, bounded
 * by a timeout. The socket lives in the network namespace of the process.
 * One count can answer many questions at once (a batch of queries, say one
 * per draining service): the sockets are dumped once and each is matched
 * against every query.
 */
#ifndef ANYCHECK_CONN_COUNT_H
#define ANYCHECK_CONN_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "prefix.h"

/* A dump that has not finished after this long reports an error. */
#define CONN_COUNT_TIMEOUT_MS 1000

struct conn_counter;

/* One question of a batch: established TCP connections with a local address
 * in one of the prefixes and, when port_count > 0, a local port in ports. */
struct conn_count_query {
	const struct prefix *prefixes;
	size_t prefix_count;
	const uint16_t *ports;
	size_t port_count;
	long count;     /* out: filled before done (-1 on error) */
};

/* Create a counter that runs its counts on loop. */
struct conn_counter *conn_counter_new(struct loop *loop);

/* Free a counter; a count in progress is cancelled without calling done. */
void conn_counter_free(struct conn_counter *counter);

/* Count the connections of every query with one dump per address family.
 * Calls done(status, arg) later from the loop, exactly once: status 0 with
 * every queries[i].count filled in, or -1 on an error (logged once per cause;
 * the counts are then -1). The prefixes and ports are copied here; the
 * queries array itself must stay valid until done is called. One count at a
 * time per counter: returns -1 (done not called) if one is already running. */
int conn_count_start_batch(struct conn_counter *counter,
    struct conn_count_query *queries, size_t query_count,
    void (*done)(int status, void *arg), void *arg);

/* conn_count_start_batch with the counter passed as void *, for a hook. */
int conn_count_start_batch_hook(void *counter,
    struct conn_count_query *queries, size_t query_count,
    void (*done)(int status, void *arg), void *arg);

/* A batch of one: count established TCP connections with a local address in
 * one of the prefixes (and, when port_count > 0, a local port in ports). Calls
 * done(count, arg) later from the loop, exactly once, with count >= 0, or -1
 * on an error (logged once per cause). The prefixes and ports are copied.
 * One count at a time per counter: returns -1 (done not called) if a count
 * (single or batch) is already running. */
int conn_count_start(struct conn_counter *counter,
    const struct prefix *prefixes, size_t prefix_count,
    const uint16_t *ports, size_t port_count,
    void (*done)(long count, void *arg), void *arg);

/* conn_count_start with the counter passed as void *: the shape of the
 * supervisor's connection-counter hook (supervisor.conn_counter.start). */
int conn_count_start_hook(void *counter, const struct prefix *prefixes,
    size_t prefix_count, const uint16_t *ports, size_t port_count,
    void (*done)(long count, void *arg), void *arg);

/* Does a connection with this local family, address (network order) and
 * port (host order) count? An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as a
 * dual-stack listener's connections show) also matches IPv4 prefixes. */
bool conn_count_matches(const struct prefix *prefixes, size_t prefix_count,
    const uint16_t *ports, size_t port_count, int family,
    const uint8_t address[16], uint16_t port);

/* One socket's local end, for conn_count_tally. */
struct conn_count_socket {
	int family;             /* AF_INET or AF_INET6 */
	uint8_t address[16];    /* network order; first 4 bytes for IPv4 */
	uint16_t port;          /* host order */
};

/* Set each query's count to how many of the sockets it matches (by the
 * rules of conn_count_matches), the way a dump is counted: each socket is
 * looked up once among all queries' prefixes, not once per query. */
void conn_count_tally(struct conn_count_query *queries, size_t query_count,
    const struct conn_count_socket *sockets, size_t socket_count);

#endif
