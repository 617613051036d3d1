/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what ExaBGP should be told, route by route
 *
 * The ExaBGP backend decides per route, not per service: each route (one
 * prefix, path-id and neighbor set, named by its own "withdraw route" line)
 * has the line ExaBGP should have been sent last (desired) and the line it
 * was sent last (sent). Routes whose two differ wait in a FIFO of dirty
 * routes, and the backend sends them only as fast as ExaBGP reads. A route
 * that changes several times while it waits is sent once, in its latest
 * state; nothing is ever dropped, so a withdraw cannot be lost however far
 * behind ExaBGP falls, and the work after a stall is bounded by the number
 * of routes, not by the number of changes. No file descriptors here.
 */
#ifndef ANYCHECK_EXABGP_ROUTES_H
#define ANYCHECK_EXABGP_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "name_index.h"

struct exabgp_route {
	char *key;              /* its withdraw line, without "\n" */
	char *desired;          /* line to have sent (with "\n"); NULL: none */
	char *sent;             /* line last sent; NULL: none by us */
	bool queued;
	struct exabgp_route *next_dirty;
};

struct exabgp_routes {
	struct name_index index;        /* key -> route */
	struct exabgp_route *dirty_head;
	struct exabgp_route *dirty_tail;
	size_t dirty_count;
};

void exabgp_routes_init(struct exabgp_routes *routes);
void exabgp_routes_cleanup(struct exabgp_routes *routes);

/* Say line (ending in "\n") for the route named key, or nothing more
 * (NULL: leave it as it is). Queues the route when line differs from what
 * was sent. */
void exabgp_routes_want(struct exabgp_routes *routes, const char *key,
    const char *line);
/* The route named key, or NULL. */
const struct exabgp_route *exabgp_routes_find(
    const struct exabgp_routes *routes, const char *key);

/* The next line to send, now taken as sent (valid until the route changes
 * or is removed), or NULL when every route is as it should be. *key is set
 * to the route's key. */
const char *exabgp_routes_next(struct exabgp_routes *routes,
    const char **key);
/* Lines still to send. */
size_t exabgp_routes_pending(const struct exabgp_routes *routes);

/* Forget a route that is withdrawn and no longer configured. */
void exabgp_routes_remove(struct exabgp_routes *routes, const char *key);

/* Is the route's last sent line an announce? */
bool exabgp_route_announced(const struct exabgp_route *route);

#endif
