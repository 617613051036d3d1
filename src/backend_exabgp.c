/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the ExaBGP backend
 *
 * anycheck-exabgp runs as an ExaBGP `process` and tells ExaBGP, route by
 * route, "announce route" (with the attributes of the owning service's
 * state) or "withdraw route". Nothing is re-sent every interval.
 *
 * Decisions are per route, from the route's owner: the current service
 * whose config lists the prefix (else a service removed by a reload that is
 * still draining, else nobody: withdraw). So a reload that moves a prefix
 * from one service to another never withdraws it while its new owner is
 * UP, whatever the order of services in the file. What should be said is
 * kept per route (exabgp_routes.c) and sent only as fast as ExaBGP reads:
 * a stalled ExaBGP costs no memory per change, nothing is dropped, and the
 * exit's withdraws are delivered once it reads again (daemon.c waits for
 * them, bounded).
 *
 * ExaBGP keeps the routes of a process that died and starts it again, so a
 * fresh anycheck-exabgp cannot know what is announced: every service starts
 * undecided and its first decision is always sent, the withdraw of a
 * service found DOWN included. A crashed checker never leaves a dead
 * service announced past its first verdict. And because a crash can come
 * after the config was edited, every route that may be announced is kept in
 * a state file (exabgp_state.c), written before a new route is announced:
 * at start the routes of the last run that no service owns any more are
 * withdrawn at once. ExaBGP saying "shutdown", or closing our stdin, stops
 * the daemon at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "clock.h"
#include "daemon.h"
#include "exabgp.h"
#include "exabgp_routes.h"
#include "exabgp_speaker.h"
#include "exabgp_state.h"
#include "log.h"

/* What a service has told ExaBGP (service_backend_state). */
enum backend_exabgp_decided {
	BACKEND_EXABGP_UNDECIDED,       /* nothing yet, by this process */
	BACKEND_EXABGP_DECIDED,
};

/* The attribute sets a service announces with may differ in path-id, and
 * ExaBGP keys its RIB by path-id: each one is a route of its own. */
#define BACKEND_EXABGP_VARIANTS_MAX 5

struct backend_exabgp {
	struct daemon *daemon;
	struct exabgp_speaker speaker;
	struct exabgp_routes routes;
	/* route key -> owning service; keys owned by owner_keys. */
	struct name_index owners;
	char **owner_keys;
	size_t owner_key_count;
	size_t owner_key_capacity;
	/* Keys touched during a reload, decided once it is committed. */
	bool reloading;
	struct name_index touched;
	char **touched_keys;
	size_t touched_count;
	size_t touched_capacity;
	/* The state file (NULL: none) and the routes it lists. */
	char *state_path;
	struct name_index persisted;
	char **persisted_keys;
	size_t persisted_count;
	size_t persisted_capacity;
	bool state_dirty;               /* a route to add before sending */
	int state_errno;                /* last save error logged */
	/* Does ExaBGP acknowledge commands (api.ack)? Looked at until it
	 * answers one, or says nothing for a while after reading some. */
	struct loop_timer ack_probe;
	unsigned ack_probes;
};

/* ExaBGP answers every command with "done" or "error" only with api.ack
 * true. Without it a command ExaBGP rejects is seen nowhere: ExaBGP 5 does
 * not even log it. Looked at every BACKEND_EXABGP_ACK_PROBE_NS, for at most
 * BACKEND_EXABGP_ACK_PROBES turns: once ExaBGP has read commands and
 * answered none for a whole turn, say so, once. */
#define BACKEND_EXABGP_ACK_PROBE_NS (10 * NSEC_PER_SEC)
#define BACKEND_EXABGP_ACK_PROBES 60

static void backend_exabgp_ack_probe(struct loop *loop, void *arg);

/* Each distinct path-id among the attribute sets service can announce
 * with; returns how many (at least 1). */
static size_t
backend_exabgp_variants(const struct service_config *service,
    const struct announce_attributes **out)
{
	const struct announce_attributes *candidates[] = {
		&service->announce,
		&service->drain_announce,
		service->down.announced ? &service->down.attributes : NULL,
		service->disabled.announced ? &service->disabled.attributes :
		    NULL,
		service->last_resort.announced ?
		    &service->last_resort.attributes : NULL,
	};
	size_t count = 0;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]);
	    i++) {
		const struct announce_attributes *c = candidates[i];
		bool seen = false;
		if (c == NULL)
			continue;
		for (size_t j = 0; j < count; j++)
			if (out[j]->has_path_id == c->has_path_id &&
			    out[j]->path_id == c->path_id)
				seen = true;
		if (!seen)
			out[count++] = c;
	}
	return count;
}

/* The route's key: its withdraw line without the "\n". 0, or -1 (logged)
 * when the line does not fit. */
static int
backend_exabgp_key(const struct service_config *service,
    const struct prefix *prefix, const struct announce_attributes *variant,
    char *key, size_t size)
{
	int n = exabgp_render_withdraw(key, size, prefix, variant,
	    service->exabgp_neighbors, service->exabgp_neighbor_count);

	if (n < 0) {
		log_error("service %s: the withdraw line for %s is longer than "
		    "%d bytes; not sent", service->name, prefix->text,
		    EXABGP_LINE_MAX);
		return -1;
	}
	key[n - 1] = '\0';
	return 0;
}

static bool
backend_exabgp_same_path(const struct announce_attributes *a,
    const struct announce_attributes *b)
{
	return a->has_path_id == b->has_path_id &&
	    (!a->has_path_id || a->path_id == b->path_id);
}

/* Want line for the route named key; a route that may now be announced
 * goes into the state file before anything is sent. */
static void
backend_exabgp_want(struct backend_exabgp *backend, const char *key,
    const char *line)
{
	if (backend->state_path != NULL && line != NULL &&
	    name_index_get(&backend->persisted, key) == NULL &&
	    !(strncmp(line, key, strlen(key)) == 0 &&
	    strcmp(line + strlen(key), "\n") == 0))
		backend->state_dirty = true;
	exabgp_routes_want(&backend->routes, key, line);
}

/* Decide what ExaBGP should have for the route named key, of prefix with
 * the path-id of variant, from its owner. */
static void
backend_exabgp_decide(struct backend_exabgp *backend, const char *key,
    const struct prefix *prefix, const struct announce_attributes *variant)
{
	struct service *owner = name_index_get(&backend->owners, key);
	const struct announce_attributes *want;
	const struct service_config *config;
	char line[EXABGP_LINE_MAX];
	int n;

	if (owner == NULL) {
		snprintf(line, sizeof(line), "%s\n", key);
		backend_exabgp_want(backend, key, line);
		return;
	}
	/* An owner still undecided since the start leaves the route as it
	 * is (a restarted checker must not blip what ExaBGP announces). */
	if (service_backend_state(owner) == BACKEND_EXABGP_UNDECIDED)
		return;
	config = service_config(owner);
	want = supervisor_announcement(owner);
	if (want == NULL || !backend_exabgp_same_path(want, variant)) {
		snprintf(line, sizeof(line), "%s\n", key);
		backend_exabgp_want(backend, key, line);
		return;
	}
	n = exabgp_render_announce(line, sizeof(line), prefix, want,
	    supervisor_config(backend->daemon->supervisor)->local_as,
	    config->exabgp_neighbors, config->exabgp_neighbor_count);
	if (n < 0) {
		log_error("service %s: the announce line for %s is longer than "
		    "%d bytes; not sent", config->name, prefix->text,
		    EXABGP_LINE_MAX);
		return;
	}
	backend_exabgp_want(backend, key, line);
}

static void
backend_exabgp_remember(struct name_index *index, char ***keys, size_t *count,
    size_t *capacity, const char *key, void *value)
{
	const char *stored = name_index_key(index, key);
	char *copy;

	/* Known: only the value changes. The index keeps its own copy of
	 * the key; key is often the caller's stack buffer (a reload touches
	 * a route twice, from a service's old and new config). */
	if (stored != NULL) {
		name_index_put(index, stored, value);
		return;
	}
	if (*count == *capacity) {
		*capacity = *capacity ? *capacity * 2 : 64;
		*keys = xrealloc(*keys, *capacity * sizeof(**keys));
	}
	copy = xstrdup(key);
	(*keys)[(*count)++] = copy;
	name_index_put(index, copy, value);
}

static void
backend_exabgp_forget_all(struct name_index *index, char **keys, size_t *count)
{
	name_index_cleanup(index);
	for (size_t i = 0; i < *count; i++)
		free(keys[i]);
	*count = 0;
}

/* Who owns each route: current services first, then services removed by
 * a reload that still drain. */
static void
backend_exabgp_build_owners(struct backend_exabgp *backend)
{
	const struct supervisor *supervisor = backend->daemon->supervisor;
	char key[EXABGP_LINE_MAX];

	backend_exabgp_forget_all(&backend->owners, backend->owner_keys,
	    &backend->owner_key_count);
	for (int removed = 0; removed < 2; removed++)
		for (size_t s = 0; s < supervisor_service_count(supervisor);
		    s++) {
			struct service *service =
			    supervisor_service_at(supervisor, s);
			const struct service_config *config =
			    service_config(service);
			const struct announce_attributes *variants[
			    BACKEND_EXABGP_VARIANTS_MAX];
			size_t variant_count;

			if (service_stopped(service) ||
			    service_removed(service) != (removed == 1))
				continue;
			variant_count = backend_exabgp_variants(config,
			    variants);
			for (size_t p = 0; p < config->prefix_count; p++)
				for (size_t v = 0; v < variant_count; v++) {
					if (backend_exabgp_key(config,
					    &config->prefixes[p], variants[v],
					    key, sizeof(key)) != 0)
						continue;
					if (removed && name_index_get(
					    &backend->owners, key) != NULL)
						continue;
					backend_exabgp_remember(
					    &backend->owners,
					    &backend->owner_keys,
					    &backend->owner_key_count,
					    &backend->owner_key_capacity, key,
					    service);
				}
		}
}

/* Send what is due, as far as ExaBGP reads; forget routes withdrawn for
 * good. */
static void backend_exabgp_save_state(struct backend_exabgp *backend);

static void
backend_exabgp_pump(struct backend_exabgp *backend)
{
	if (backend->state_dirty)
		backend_exabgp_save_state(backend);
	while (exabgp_speaker_has_room(&backend->speaker)) {
		const char *key;
		const char *line = exabgp_routes_next(&backend->routes, &key);
		bool orphan;

		if (line == NULL)
			break;
		orphan = name_index_get(&backend->owners, key) == NULL;
		exabgp_speaker_send(&backend->speaker, line);
		if (orphan && !exabgp_route_announced(
		    exabgp_routes_find(&backend->routes, key)))
			exabgp_routes_remove(&backend->routes, key);
	}
}

/* Write every route that is not known to be withdrawn (announced, about
 * to be, or not yet told anything by this process) to the state file. */
static void
backend_exabgp_save_state(struct backend_exabgp *backend)
{
	const struct name_index *index = &backend->routes.index;
	const char **keys = xcalloc(index->used + 1, sizeof(*keys));
	size_t count = 0;

	backend->state_dirty = false;
	if (backend->state_path == NULL) {
		free(keys);
		return;
	}
	backend_exabgp_forget_all(&backend->persisted, backend->persisted_keys,
	    &backend->persisted_count);
	for (size_t i = 0; i < index->capacity; i++) {
		const struct exabgp_route *route = index->slots[i].value;
		if (index->slots[i].key == NULL)
			continue;
		if (!exabgp_route_announced(route) && route->sent != NULL &&
		    (route->desired == NULL ||
		    strcmp(route->desired, route->sent) == 0))
			continue;       /* withdrawn, and meant to stay so */
		keys[count++] = route->key;
		backend_exabgp_remember(&backend->persisted,
		    &backend->persisted_keys, &backend->persisted_count,
		    &backend->persisted_capacity, route->key, backend);
	}
	if (exabgp_state_save(backend->state_path, keys, count) != 0) {
		if (errno != backend->state_errno)
			log_warnx("without the state file %s, a crash now "
			    "could leave routes of removed services announced",
			    backend->state_path);
		backend->state_errno = errno;
	} else
		backend->state_errno = 0;
	free(keys);
}

/* Decide every route of config (a service's current or old config). While
 * a reload is under way, only remember the keys. */
static void
backend_exabgp_touch(struct backend_exabgp *backend,
    const struct service_config *config)
{
	const struct announce_attributes *variants[BACKEND_EXABGP_VARIANTS_MAX];
	size_t variant_count = backend_exabgp_variants(config, variants);
	char key[EXABGP_LINE_MAX];

	for (size_t p = 0; p < config->prefix_count; p++)
		for (size_t v = 0; v < variant_count; v++) {
			if (backend_exabgp_key(config, &config->prefixes[p],
			    variants[v], key, sizeof(key)) != 0)
				continue;
			if (backend->reloading)
				backend_exabgp_remember(&backend->touched,
				    &backend->touched_keys,
				    &backend->touched_count,
				    &backend->touched_capacity, key,
				    (void *)&config->prefixes[p]);
			else
				backend_exabgp_decide(backend, key,
				    &config->prefixes[p], variants[v]);
		}
}

/* Routes that named service as owner have none now (it stopped). Only
 * its own routes are looked at: at the exit every service stops, and a
 * walk of every route per service would be quadratic. */
static void
backend_exabgp_disown(struct backend_exabgp *backend,
    const struct service *service)
{
	const struct service_config *config = service_config(service);
	const struct announce_attributes *variants[BACKEND_EXABGP_VARIANTS_MAX];
	size_t variant_count = backend_exabgp_variants(config, variants);
	char key[EXABGP_LINE_MAX];

	for (size_t p = 0; p < config->prefix_count; p++)
		for (size_t v = 0; v < variant_count; v++)
			if (backend_exabgp_key(config, &config->prefixes[p],
			    variants[v], key, sizeof(key)) == 0 &&
			    name_index_get(&backend->owners, key) == service)
				name_index_remove(&backend->owners, key);
}

static void
backend_exabgp_service_changed(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	struct backend_exabgp *backend = arg;
	const struct service_config *config = service_config(service);
	enum health_state state = service_state(service);

	/* Still undecided after a start: say nothing yet. */
	if (service_backend_state(service) == BACKEND_EXABGP_UNDECIDED &&
	    (state == HEALTH_INIT || state == HEALTH_RISING))
		return;
	service_set_backend_state(service, BACKEND_EXABGP_DECIDED);
	if (state == HEALTH_STOPPED && service_removed(service))
		backend_exabgp_disown(backend, service);
	if (change->old_config != config)
		backend_exabgp_touch(backend, change->old_config);
	backend_exabgp_touch(backend, config);
	if (state == HEALTH_STOPPED && !service_removed(service))
		backend_exabgp_disown(backend, service);
	backend_exabgp_pump(backend);
}

static void
backend_exabgp_writable(struct exabgp_speaker *speaker, void *arg)
{
	(void)speaker;
	backend_exabgp_pump(arg);
}

static void
backend_exabgp_gone(struct exabgp_speaker *speaker, const char *why,
    void *arg)
{
	struct backend_exabgp *backend = arg;

	(void)speaker;
	daemon_stop(backend->daemon, why, true);
}

/* Use a state file in directory when it exists, and take in what the last
 * run left there. The file's name carries a hash of the config file's
 * absolute path, so that two instances on one host (two ExaBGPs, each with
 * its own config) never read each other's routes. */
static void
backend_exabgp_open_state(struct backend_exabgp *backend,
    const char *directory, const char *config_path)
{
	char *absolute = realpath(config_path, NULL);
	const char *problem = NULL;
	uint32_t hash = 2166136261u;
	struct stat st;
	char **keys;
	size_t count;

	if (stat(directory, &st) != 0)
		problem = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		problem = "not a directory";
	if (problem != NULL) {
		free(absolute);
		log_warnx("state directory %s: %s; without it a crash after "
		    "a service is removed from the config leaves its routes "
		    "announced until ExaBGP restarts: create it (owned by the "
		    "user anycheck-exabgp runs as) or set state_directory",
		    directory, problem);
		return;
	}
	for (const char *p = absolute != NULL ? absolute : config_path; *p;
	    p++)
		hash = (hash ^ (unsigned char)*p) * 16777619u;
	free(absolute);
	if (asprintf(&backend->state_path, "%s/anycheck-exabgp.%08x.routes",
	    directory, hash) < 0)
		fatalx("out of memory");
	keys = exabgp_state_load(backend->state_path, &count);
	for (size_t i = 0; i < count; i++)
		backend_exabgp_remember(&backend->persisted,
		    &backend->persisted_keys, &backend->persisted_count,
		    &backend->persisted_capacity, keys[i], backend);
	exabgp_state_free(keys, count);
}

static void *
backend_exabgp_init(struct daemon *daemon)
{
	struct backend_exabgp *backend = xcalloc(1, sizeof(*backend));

	backend->daemon = daemon;
	exabgp_routes_init(&backend->routes);
	name_index_init(&backend->owners);
	name_index_init(&backend->touched);
	if (exabgp_speaker_init(&backend->speaker, daemon->loop,
	    daemon->exabgp_input_fd, daemon->exabgp_output_fd,
	    backend_exabgp_gone, backend) != 0) {
		exabgp_routes_cleanup(&backend->routes);
		free(backend);
		return NULL;
	}
	backend->speaker.on_writable = backend_exabgp_writable;
	backend->speaker.on_writable_arg = backend;
	loop_timer_init(&backend->ack_probe, backend_exabgp_ack_probe, backend);
	name_index_init(&backend->persisted);
	backend_exabgp_open_state(backend, daemon->config->state_directory,
	    daemon->config_path);
	return backend;
}

static void
backend_exabgp_ack_probe(struct loop *loop, void *arg)
{
	struct backend_exabgp *backend = arg;
	const struct exabgp_speaker *speaker = &backend->speaker;

	if (speaker->replies_done + speaker->replies_error > 0)
		return;         /* it acknowledges */
	if (speaker->commands_sent > 0 && exabgp_speaker_flushed(speaker) &&
	    speaker->input_open && backend->ack_probes > 0) {
		log_warnx("ExaBGP answered none of the %lu commands it read "
		    "(api.ack is false): a command it rejects is then seen "
		    "nowhere (ExaBGP 5 does not log it); set "
		    "exabgp.api.ack=true (or exabgp_api_ack=true, which every "
		    "launcher passes on)", speaker->commands_sent);
		return;
	}
	if (++backend->ack_probes < BACKEND_EXABGP_ACK_PROBES)
		loop_timer_arm_in(loop, &backend->ack_probe,
		    BACKEND_EXABGP_ACK_PROBE_NS);
}

static void
backend_exabgp_started(void *arg)
{
	struct backend_exabgp *backend = arg;
	char line[EXABGP_LINE_MAX];
	size_t orphans = 0;

	backend_exabgp_build_owners(backend);
	/* What the last run may have announced and no service owns now. */
	for (size_t i = 0; i < backend->persisted_count; i++) {
		const char *key = backend->persisted_keys[i];
		if (name_index_get(&backend->owners, key) != NULL)
			continue;
		snprintf(line, sizeof(line), "%s\n", key);
		exabgp_routes_want(&backend->routes, key, line);
		orphans++;
	}
	if (orphans > 0)
		log_info("withdrawing %zu route%s the last run may have "
		    "announced that no configured service owns (%s)", orphans,
		    orphans == 1 ? "" : "s", backend->state_path);
	backend_exabgp_pump(backend);
	loop_timer_arm_in(backend->daemon->loop, &backend->ack_probe,
	    BACKEND_EXABGP_ACK_PROBE_NS);
}

static void
backend_exabgp_reload_begin(void *arg)
{
	struct backend_exabgp *backend = arg;

	backend->reloading = true;
}

static void
backend_exabgp_reload_commit(void *arg, const struct config *config)
{
	struct backend_exabgp *backend = arg;

	(void)config;
	backend->reloading = false;
	backend_exabgp_build_owners(backend);
	/* Every route a changed service had or has, decided by its owner in
	 * the new config; the prefix is found in whichever config named it
	 * (still alive: the owner's, or the key's own record). */
	for (size_t i = 0; i < backend->touched_count; i++) {
		const char *key = backend->touched_keys[i];
		struct service *owner = name_index_get(&backend->owners, key);
		const struct service_config *owner_config;
		const struct announce_attributes *variants[
		    BACKEND_EXABGP_VARIANTS_MAX];
		char owner_key[EXABGP_LINE_MAX];
		char line[EXABGP_LINE_MAX];

		if (owner == NULL) {
			snprintf(line, sizeof(line), "%s\n", key);
			backend_exabgp_want(backend, key, line);
			continue;
		}
		owner_config = service_config(owner);
		size_t variant_count = backend_exabgp_variants(owner_config,
		    variants);
		for (size_t p = 0; p < owner_config->prefix_count; p++)
			for (size_t v = 0; v < variant_count; v++)
				if (backend_exabgp_key(owner_config,
				    &owner_config->prefixes[p], variants[v],
				    owner_key, sizeof(owner_key)) == 0 &&
				    strcmp(owner_key, key) == 0)
					backend_exabgp_decide(backend, key,
					    &owner_config->prefixes[p],
					    variants[v]);
	}
	backend_exabgp_forget_all(&backend->touched, backend->touched_keys,
	    &backend->touched_count);
	backend_exabgp_pump(backend);
}

/* Lines ExaBGP has not read yet: queued in the route table, or written to
 * the pipe's buffer. */
static size_t
backend_exabgp_undelivered(void *arg)
{
	struct backend_exabgp *backend = arg;
	const struct exabgp_speaker *speaker = &backend->speaker;
	size_t lines = exabgp_routes_pending(&backend->routes);

	if (!speaker->output_open)
		return 0;       /* ExaBGP is gone: nothing can be delivered */
	for (size_t i = 0; i < speaker->output_length; i++)
		if (speaker->output[i] == '\n')
			lines++;
	return lines;
}

static void
backend_exabgp_dump(void *arg)
{
	struct backend_exabgp *backend = arg;
	const struct exabgp_speaker *speaker = &backend->speaker;

	log_info("ExaBGP: %zu routes known, %zu waiting to be sent, %zu bytes "
	    "not yet read; %lu commands sent; replies: %lu done, %lu error",
	    name_index_count(&backend->routes.index),
	    exabgp_routes_pending(&backend->routes), speaker->output_length,
	    speaker->commands_sent, speaker->replies_done,
	    speaker->replies_error);
}

/* Per route of service: what ExaBGP was told last and whether it has
 * read it ("settled"), or what still waits to be sent. */
static void
backend_exabgp_describe_service(void *arg, const struct service *service,
    json_t *out)
{
	struct backend_exabgp *backend = arg;
	const struct service_config *config = service_config(service);
	const struct announce_attributes *variants[BACKEND_EXABGP_VARIANTS_MAX];
	size_t variant_count = backend_exabgp_variants(config, variants);
	bool unread = backend->speaker.output_length > 0;
	json_t *routes = json_array();
	char key[EXABGP_LINE_MAX];

	for (size_t p = 0; p < config->prefix_count; p++)
		for (size_t v = 0; v < variant_count; v++) {
			const struct exabgp_route *route;
			const char *told, *state;
			bool waiting;
			if (backend_exabgp_key(config, &config->prefixes[p],
			    variants[v], key, sizeof(key)) != 0 ||
			    (route = exabgp_routes_find(&backend->routes,
			    key)) == NULL)
				continue;
			waiting = route->queued;
			told = route->sent == NULL ? "nothing" :
			    exabgp_route_announced(route) ? "announce" :
			    "withdraw";
			state = waiting ? "a newer line waits to be sent" :
			    unread ? "sent, ExaBGP has not read it yet" :
			    "sent and read by ExaBGP";
			json_array_append_new(routes, json_pack(
			    "{s:s, s:s, s:s, s:s?, s:b}", "prefix",
			    config->prefixes[p].text, "told", told, "state",
			    state, "line", route->sent, "settled",
			    !waiting && !unread));
		}
	json_object_set_new(out, "routes", routes);
}

static void
backend_exabgp_stats(void *arg, struct backend_stats *out)
{
	struct backend_exabgp *backend = arg;
	const struct exabgp_speaker *speaker = &backend->speaker;

	out->up = speaker->input_open && speaker->output_open;
	out->commands_sent = speaker->commands_sent;
	out->commands_ok = speaker->replies_done;
	out->commands_error = speaker->replies_error;
}

static void
backend_exabgp_cleanup(void *arg)
{
	struct backend_exabgp *backend = arg;

	/* What ExaBGP keeps after us: kept services, and anything not
	 * delivered. */
	backend_exabgp_save_state(backend);
	loop_timer_cancel(backend->daemon->loop, &backend->ack_probe);
	exabgp_speaker_cleanup(&backend->speaker);
	exabgp_routes_cleanup(&backend->routes);
	backend_exabgp_forget_all(&backend->persisted,
	    backend->persisted_keys, &backend->persisted_count);
	free(backend->persisted_keys);
	free(backend->state_path);
	backend_exabgp_forget_all(&backend->owners, backend->owner_keys,
	    &backend->owner_key_count);
	backend_exabgp_forget_all(&backend->touched, backend->touched_keys,
	    &backend->touched_count);
	free(backend->owner_keys);
	free(backend->touched_keys);
	free(backend);
}

const struct backend_ops backend_exabgp_ops = {
	.name = "exabgp",
	.stop_action = "withdrawing every announced prefix",
	.init = backend_exabgp_init,
	.started = backend_exabgp_started,
	.service_changed = backend_exabgp_service_changed,
	.reload_begin = backend_exabgp_reload_begin,
	.reload_commit = backend_exabgp_reload_commit,
	.undelivered = backend_exabgp_undelivered,
	.settle_what = "commands ExaBGP did not read (withdraws at the exit)",
	.settle_timeout_ns = 10 * NSEC_PER_SEC,
	.dump = backend_exabgp_dump,
	.stats = backend_exabgp_stats,
	.describe_service = backend_exabgp_describe_service,
	.cleanup = backend_exabgp_cleanup,
};
