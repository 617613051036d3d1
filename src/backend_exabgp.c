/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the ExaBGP backend
 *
 * anycheck-exabgp runs as an ExaBGP `process`: whenever what a service
 * should announce changes (UP, drain, down or disabled attributes, or
 * nothing), it writes "announce route" (with the new attributes) or
 * "withdraw route" for each of its prefixes to ExaBGP (exabgp_speaker.c:
 * non-blocking, bounded). Nothing is re-sent every interval. ExaBGP saying
 * "shutdown", or closing our stdin, stops the daemon at once.
 *
 * ExaBGP keeps the routes of a process that died and starts it again, so a
 * fresh anycheck-exabgp cannot know what is announced: every service starts
 * UNKNOWN and its first decision is always sent, the withdraw of a service
 * found DOWN included. A crashed checker never leaves a dead service
 * announced past its first verdict. If ExaBGP fell so far behind that
 * commands were dropped, the state of every route is sent again once it
 * has caught up.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "clock.h"
#include "daemon.h"
#include "exabgp.h"
#include "exabgp_speaker.h"
#include "log.h"

/* What ExaBGP was last told about a service (service_backend_state). */
enum exabgp_announcement {
	EXABGP_ANNOUNCEMENT_UNKNOWN,    /* nothing yet, by this process */
	EXABGP_ANNOUNCEMENT_ANNOUNCED,
	EXABGP_ANNOUNCEMENT_WITHDRAWN,
};

struct backend_exabgp {
	struct daemon *daemon;
	struct exabgp_speaker speaker;
};

/* Announce prefix with attributes, or withdraw it (attributes == NULL;
 * path_from names the path-id of the route to withdraw). */
static void
backend_exabgp_send_prefix(struct backend_exabgp *backend,
    const struct service_config *service, const struct prefix *prefix,
    const struct announce_attributes *attributes,
    const struct announce_attributes *path_from)
{
	const struct config *config =
	    supervisor_config(backend->daemon->supervisor);
	char line[EXABGP_LINE_MAX];
	int n = attributes != NULL ?
	    exabgp_render_announce(line, sizeof(line), prefix, attributes,
	    config->local_as, service->exabgp_neighbors,
	    service->exabgp_neighbor_count) :
	    exabgp_render_withdraw(line, sizeof(line), prefix, path_from,
	    service->exabgp_neighbors, service->exabgp_neighbor_count);

	if (n < 0) {
		log_error("service %s: the %s line for %s is longer than %d "
		    "bytes; not sent", service->name, attributes != NULL ?
		    "announce" : "withdraw", prefix->text, EXABGP_LINE_MAX);
		return;
	}
	exabgp_speaker_send(&backend->speaker, line);
}

static bool
backend_exabgp_has_prefix(const struct service_config *service,
    const struct prefix *prefix)
{
	for (size_t i = 0; i < service->prefix_count; i++)
		if (strcmp(service->prefixes[i].text, prefix->text) == 0)
			return true;
	return false;
}

static bool
backend_exabgp_same_neighbors(const struct service_config *a,
    const struct service_config *b)
{
	if (a->exabgp_neighbor_count != b->exabgp_neighbor_count)
		return false;
	for (size_t i = 0; i < a->exabgp_neighbor_count; i++)
		if (strcmp(a->exabgp_neighbors[i], b->exabgp_neighbors[i]) != 0)
			return false;
	return true;
}

static void
backend_exabgp_service_changed(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	struct backend_exabgp *backend = arg;
	const struct service_config *config = service_config(service);
	const struct service_config *old = change->old_config;
	const struct announce_attributes *want = change->announcement;
	const struct announce_attributes *path_from =
	    change->old_announcement != NULL ? change->old_announcement :
	    &old->announce;
	enum health_state state = service_state(service);
	int told = service_backend_state(service);
	bool reconfigured = old != config;

	/* Still undecided after a start: say nothing yet. */
	if (told == EXABGP_ANNOUNCEMENT_UNKNOWN &&
	    (state == HEALTH_INIT || state == HEALTH_RISING))
		return;
	/* A reload took prefixes (or neighbors) away: withdraw those routes
	 * as they were announced. */
	if (reconfigured && told == EXABGP_ANNOUNCEMENT_ANNOUNCED) {
		bool all = !backend_exabgp_same_neighbors(old, config);
		for (size_t i = 0; i < old->prefix_count; i++)
			if (all || !backend_exabgp_has_prefix(config,
			    &old->prefixes[i]))
				backend_exabgp_send_prefix(backend, old,
				    &old->prefixes[i], NULL, path_from);
	}
	if (want == NULL) {
		if (told == EXABGP_ANNOUNCEMENT_WITHDRAWN && !reconfigured)
			return;
		for (size_t i = 0; i < config->prefix_count; i++)
			backend_exabgp_send_prefix(backend, config,
			    &config->prefixes[i], NULL, path_from);
		service_set_backend_state(service,
		    EXABGP_ANNOUNCEMENT_WITHDRAWN);
		return;
	}
	if (told == EXABGP_ANNOUNCEMENT_ANNOUNCED &&
	    want == change->old_announcement && !reconfigured)
		return;
	for (size_t i = 0; i < config->prefix_count; i++)
		backend_exabgp_send_prefix(backend, config,
		    &config->prefixes[i], want, NULL);
	service_set_backend_state(service, EXABGP_ANNOUNCEMENT_ANNOUNCED);
}

/* ExaBGP fell so far behind that commands were dropped: now that it has
 * read everything, tell it the current state of every route again. */
static void
backend_exabgp_resync(struct exabgp_speaker *speaker, void *arg)
{
	struct backend_exabgp *backend = arg;
	struct supervisor *supervisor = backend->daemon->supervisor;

	(void)speaker;
	if (supervisor == NULL)
		return;
	for (size_t s = 0; s < supervisor_service_count(supervisor); s++) {
		struct service *service = supervisor_service_at(supervisor, s);
		const struct service_config *config = service_config(service);
		const struct announce_attributes *want =
		    supervisor_announcement(service);
		int told = service_backend_state(service);

		if (told == EXABGP_ANNOUNCEMENT_UNKNOWN)
			continue;
		if (told == EXABGP_ANNOUNCEMENT_ANNOUNCED && want == NULL)
			want = &config->announce;   /* as last decided */
		for (size_t i = 0; i < config->prefix_count; i++)
			backend_exabgp_send_prefix(backend, config,
			    &config->prefixes[i],
			    told == EXABGP_ANNOUNCEMENT_ANNOUNCED ? want : NULL,
			    &config->announce);
	}
}

static void
backend_exabgp_gone(struct exabgp_speaker *speaker, const char *why,
    void *arg)
{
	struct backend_exabgp *backend = arg;

	(void)speaker;
	daemon_stop(backend->daemon, why, true);
}

static void *
backend_exabgp_init(struct daemon *daemon)
{
	struct backend_exabgp *backend = xcalloc(1, sizeof(*backend));

	backend->daemon = daemon;
	if (exabgp_speaker_init(&backend->speaker, daemon->loop,
	    daemon->exabgp_input_fd, daemon->exabgp_output_fd,
	    backend_exabgp_gone, backend) != 0) {
		free(backend);
		return NULL;
	}
	backend->speaker.on_resync = backend_exabgp_resync;
	backend->speaker.on_resync_arg = backend;
	return backend;
}

static bool
backend_exabgp_settled(void *arg)
{
	struct backend_exabgp *backend = arg;

	return exabgp_speaker_flushed(&backend->speaker);
}

static void
backend_exabgp_dump(void *arg)
{
	struct backend_exabgp *backend = arg;
	const struct exabgp_speaker *speaker = &backend->speaker;

	log_info("ExaBGP: %lu commands sent, %lu dropped, %zu bytes not yet "
	    "read; replies: %lu done, %lu error", speaker->commands_sent,
	    speaker->commands_dropped, speaker->output_length,
	    speaker->replies_done, speaker->replies_error);
}

static void
backend_exabgp_cleanup(void *arg)
{
	struct backend_exabgp *backend = arg;

	exabgp_speaker_cleanup(&backend->speaker);
	free(backend);
}

const struct backend_ops backend_exabgp_ops = {
	.name = "exabgp",
	.stop_action = "withdrawing every announced prefix",
	.init = backend_exabgp_init,
	.service_changed = backend_exabgp_service_changed,
	.settled = backend_exabgp_settled,
	.settle_what = "ExaBGP did not read the final withdraws",
	.settle_timeout_ns = 2 * NSEC_PER_SEC,
	.dump = backend_exabgp_dump,
	.cleanup = backend_exabgp_cleanup,
};
