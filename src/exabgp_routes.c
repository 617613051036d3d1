/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what ExaBGP should be told, route by route (implementation)
 *
 * A name index finds a route by key in O(1); the dirty FIFO is an intrusive
 * singly linked list, so queueing and taking the next line are O(1). A
 * route removed while queued is unlinked by a walk of the queue: removal
 * happens once per route that left the config, never per change.
 */
#include <stdlib.h>
#include <string.h>

#include "exabgp_routes.h"
#include "log.h"

void
exabgp_routes_init(struct exabgp_routes *routes)
{
	memset(routes, 0, sizeof(*routes));
	name_index_init(&routes->index);
}

static void
exabgp_route_free(struct exabgp_route *route)
{
	free(route->key);
	free(route->desired);
	free(route->sent);
	free(route);
}

void
exabgp_routes_cleanup(struct exabgp_routes *routes)
{
	struct name_index *index = &routes->index;

	for (size_t i = 0; i < index->capacity; i++)
		if (index->slots[i].key != NULL)
			exabgp_route_free(index->slots[i].value);
	name_index_cleanup(index);
	memset(routes, 0, sizeof(*routes));
}

static bool
exabgp_line_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
exabgp_routes_enqueue(struct exabgp_routes *routes,
    struct exabgp_route *route)
{
	if (route->queued)
		return;
	route->queued = true;
	route->next_dirty = NULL;
	if (routes->dirty_tail != NULL)
		routes->dirty_tail->next_dirty = route;
	else
		routes->dirty_head = route;
	routes->dirty_tail = route;
	routes->dirty_count++;
}

void
exabgp_routes_want(struct exabgp_routes *routes, const char *key,
    const char *line)
{
	struct exabgp_route *route = name_index_get(&routes->index, key);

	if (line == NULL)
		return;
	if (route == NULL) {
		route = xcalloc(1, sizeof(*route));
		route->key = xstrdup(key);
		name_index_put(&routes->index, route->key, route);
	}
	if (!exabgp_line_equal(route->desired, line)) {
		free(route->desired);
		route->desired = xstrdup(line);
	}
	if (!exabgp_line_equal(route->desired, route->sent))
		exabgp_routes_enqueue(routes, route);
}

const struct exabgp_route *
exabgp_routes_find(const struct exabgp_routes *routes, const char *key)
{
	return name_index_get(&routes->index, key);
}

const char *
exabgp_routes_next(struct exabgp_routes *routes, const char **key)
{
	while (routes->dirty_head != NULL) {
		struct exabgp_route *route = routes->dirty_head;

		routes->dirty_head = route->next_dirty;
		if (routes->dirty_head == NULL)
			routes->dirty_tail = NULL;
		routes->dirty_count--;
		route->queued = false;
		route->next_dirty = NULL;
		/* Changed back while it waited: nothing to say. */
		if (exabgp_line_equal(route->desired, route->sent))
			continue;
		free(route->sent);
		route->sent = xstrdup(route->desired);
		*key = route->key;
		return route->sent;
	}
	return NULL;
}

size_t
exabgp_routes_pending(const struct exabgp_routes *routes)
{
	return routes->dirty_count;
}

void
exabgp_routes_remove(struct exabgp_routes *routes, const char *key)
{
	struct exabgp_route *route = name_index_get(&routes->index, key);
	struct exabgp_route **at;

	if (route == NULL)
		return;
	if (route->queued) {
		struct exabgp_route *previous = NULL;
		for (at = &routes->dirty_head; *at != route;
		    at = &(*at)->next_dirty)
			previous = *at;
		*at = route->next_dirty;
		if (routes->dirty_tail == route)
			routes->dirty_tail = previous;
		routes->dirty_count--;
	}
	name_index_remove(&routes->index, key);
	exabgp_route_free(route);
}

bool
exabgp_route_announced(const struct exabgp_route *route)
{
	size_t length = strlen(route->key);

	/* Every line for the route is its withdraw line or an announce. */
	return route->sent != NULL &&
	    !(strncmp(route->sent, route->key, length) == 0 &&
	    strcmp(route->sent + length, "\n") == 0);
}
