/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: keeping BIRD's anycheck protocols in the desired state
 *
 * Work is pumped, not queued: the wanted state lives in each protocol and a
 * pump sends commands for protocols whose known state differs, at most
 * BIRD_SYNC_IN_FLIGHT_MAX at a time. A lost connection therefore loses
 * nothing: everything becomes UNKNOWN and the pump runs again once BIRD
 * greets us. A command carries the protocol's name, not a pointer: a
 * reload may rebuild the table while it is in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_sync.h"
#include "clock.h"
#include "log.h"

static void bird_sync_pump(struct bird_sync *sync);
static void bird_sync_verify_next(struct bird_sync *sync);

/* What a command's callback needs to find its protocol again. */
struct bird_sync_request {
	struct bird_sync *sync;
	char *name;
};

static struct bird_sync_request *
bird_sync_request_new(struct bird_sync *sync, const char *name)
{
	struct bird_sync_request *request = xmalloc(sizeof(*request));

	request->sync = sync;
	request->name = xstrdup(name);
	return request;
}

static void
bird_sync_request_free(struct bird_sync_request *request)
{
	free(request->name);
	free(request);
}

static struct bird_sync_protocol *
bird_sync_find(const struct bird_sync *sync, const char *name)
{
	for (size_t i = 0; i < sync->protocol_count; i++)
		if (strcmp(sync->protocols[i].name, name) == 0)
			return &sync->protocols[i];
	return NULL;
}

/* A new connection, boot or configuration: nothing known about BIRD holds,
 * and an error being retried (a missing protocol) may be fixed, so retry
 * now rather than when the retry timer says. */
static void
bird_sync_forget_known(struct bird_sync *sync)
{
	for (size_t i = 0; i < sync->protocol_count; i++) {
		sync->protocols[i].known = BIRD_SYNC_UNKNOWN;
		sync->protocols[i].retry_at_ns = 0;
	}
}

static void
bird_sync_want(struct bird_sync_protocol *protocol, bool enabled)
{
	if (protocol->desired_enabled == enabled)
		return;
	protocol->desired_enabled = enabled;
	protocol->retry_at_ns = 0;
}

/* The group's target is wanted enabled; the others disabled, but only once
 * BIRD confirmed the target (or cannot enable it): no gap in between. */
static void
bird_sync_update_group(struct bird_sync *sync, struct bird_sync_group *group)
{
	const struct bird_sync_protocol *target = group->target < 0 ? NULL :
	    &sync->protocols[group->target];
	bool release = target == NULL || target->known == BIRD_SYNC_ENABLED ||
	    target->problem != BIRD_SYNC_PROBLEM_NONE;

	for (size_t i = group->first; i < group->first + group->count; i++) {
		if ((long)i == group->target)
			bird_sync_want(&sync->protocols[i], true);
		else if (release)
			bird_sync_want(&sync->protocols[i], false);
	}
}

/* Log a problem with one protocol once per cause, with the fix. */
static void
bird_sync_report_problem(struct bird_sync_protocol *protocol,
    enum bird_sync_problem problem, const struct bird_reply *reply)
{
	const char *text = reply != NULL && reply->line_count > 0 ?
	    bird_reply_line_text(reply, reply->line_count - 1) : "";

	if (protocol->problem == problem)
		return;
	protocol->problem = problem;
	switch (problem) {
	case BIRD_SYNC_PROBLEM_NONE:
		log_info("BIRD protocol %s: working again", protocol->name);
		break;
	case BIRD_SYNC_PROBLEM_MISSING:
		log_error("BIRD has no protocol \"%s\" (service %s): generate "
		    "the include file with 'anycheck-bird -c CONFIG -g "
		    "/etc/bird/anycheck.conf' (or set bird.include_file), "
		    "include it from bird.conf and run 'birdc configure'; "
		    "retrying every %llu s",
		    protocol->name, protocol->service,
		    BIRD_SYNC_RETRY_NS / NSEC_PER_SEC);
		break;
	case BIRD_SYNC_PROBLEM_DENIED:
		log_error("BIRD denied access for protocol \"%s\" (service "
		    "%s): the control socket is restricted; point bird.socket "
		    "at an unrestricted socket; retrying every %llu s",
		    protocol->name, protocol->service,
		    BIRD_SYNC_RETRY_NS / NSEC_PER_SEC);
		break;
	case BIRD_SYNC_PROBLEM_OTHER:
		log_error("BIRD protocol \"%s\" (service %s): unexpected reply "
		    "%04u %s; retrying every %llu s", protocol->name,
		    protocol->service, reply != NULL ? reply->code : 0, text,
		    BIRD_SYNC_RETRY_NS / NSEC_PER_SEC);
		break;
	}
}

static void
bird_sync_arm_retry(struct bird_sync *sync, struct bird_sync_protocol *protocol)
{
	protocol->retry_at_ns = loop_now_ns(sync->loop) + BIRD_SYNC_RETRY_NS;
	if (!loop_timer_armed(&sync->retry_timer) ||
	    sync->retry_timer.deadline_ns > protocol->retry_at_ns)
		loop_timer_arm(sync->loop, &sync->retry_timer,
		    protocol->retry_at_ns);
}

static void
bird_sync_toggled(struct bird_client *client, enum bird_client_result result,
    const struct bird_reply *reply, void *arg)
{
	struct bird_sync_request *request = arg;
	struct bird_sync *sync = request->sync;
	struct bird_sync_protocol *protocol;
	enum bird_toggle_result toggle;

	(void)client;
	if (result == BIRD_CLIENT_CANCELLED) {
		bird_sync_request_free(request);
		return;
	}
	sync->in_flight--;
	protocol = bird_sync_find(sync, request->name);
	bird_sync_request_free(request);
	if (protocol == NULL) {
		/* Dropped by a reload meanwhile. */
		bird_sync_pump(sync);
		return;
	}
	protocol->in_flight = false;
	if (result != BIRD_CLIENT_REPLY) {
		/* The client reconnects; on_connected re-applies everything. */
		protocol->known = BIRD_SYNC_UNKNOWN;
		return;
	}
	toggle = bird_reply_toggle_result(reply);
	switch (toggle) {
	case BIRD_TOGGLE_ENABLED:
	case BIRD_TOGGLE_ALREADY_ENABLED:
	case BIRD_TOGGLE_DISABLED:
	case BIRD_TOGGLE_ALREADY_DISABLED: {
		bool enabled = bird_toggle_result_enabled(toggle);
		protocol->known = enabled ? BIRD_SYNC_ENABLED :
		    BIRD_SYNC_DISABLED;
		if (toggle == BIRD_TOGGLE_ENABLED ||
		    toggle == BIRD_TOGGLE_DISABLED)
			log_info("BIRD protocol %s %s (service %s)",
			    protocol->name, enabled ? "enabled" : "disabled",
			    protocol->service);
		bird_sync_report_problem(protocol, BIRD_SYNC_PROBLEM_NONE,
		    NULL);
		break;
	}
	case BIRD_TOGGLE_NO_SUCH_PROTOCOL:
		bird_sync_report_problem(protocol, BIRD_SYNC_PROBLEM_MISSING,
		    reply);
		bird_sync_arm_retry(sync, protocol);
		break;
	case BIRD_TOGGLE_ACCESS_DENIED:
		bird_sync_report_problem(protocol, BIRD_SYNC_PROBLEM_DENIED,
		    reply);
		bird_sync_arm_retry(sync, protocol);
		break;
	case BIRD_TOGGLE_ERROR:
		bird_sync_report_problem(protocol, BIRD_SYNC_PROBLEM_OTHER,
		    reply);
		bird_sync_arm_retry(sync, protocol);
		break;
	}
	bird_sync_update_group(sync, &sync->groups[protocol->group]);
	bird_sync_pump(sync);
}

static void
bird_sync_configured(struct bird_client *client,
    enum bird_client_result result, const struct bird_reply *reply, void *arg)
{
	struct bird_sync *sync = arg;

	(void)client;
	if (result == BIRD_CLIENT_CANCELLED)
		return;
	sync->configure_in_flight = false;
	if (result != BIRD_CLIENT_REPLY) {
		/* Sent again once connected; configuring twice is harmless. */
		sync->configure_wanted = true;
		return;
	}
	if (reply->code >= 8000) {
		log_error("BIRD refused 'configure' (%04u %s); its new "
		    "protocols are missing until the include file is fixed",
		    reply->code, reply->line_count > 0 ?
		    bird_reply_line_text(reply, reply->line_count - 1) : "");
	} else {
		log_info("BIRD reconfigured (%04u %s); re-applying every "
		    "protocol's state", reply->code, reply->line_count > 0 ?
		    bird_reply_line_text(reply, reply->line_count - 1) : "");
	}
	bird_sync_forget_known(sync);
	bird_sync_pump(sync);
}

static void
bird_sync_pump(struct bird_sync *sync)
{
	uint64_t now = loop_now_ns(sync->loop);

	if (!bird_client_connected(sync->client) || sync->held)
		return;
	if (sync->configure_wanted && !sync->configure_in_flight) {
		if (bird_client_command(sync->client, "configure",
		    BIRD_SYNC_CONFIGURE_TIMEOUT_NS, bird_sync_configured,
		    sync) == 0) {
			sync->configure_wanted = false;
			sync->configure_in_flight = true;
		}
	}
	if (sync->configure_wanted || sync->configure_in_flight)
		return;
	for (size_t i = 0; i < sync->protocol_count &&
	    sync->in_flight < BIRD_SYNC_IN_FLIGHT_MAX; i++) {
		struct bird_sync_protocol *protocol = &sync->protocols[i];
		enum bird_sync_known want = protocol->desired_enabled ?
		    BIRD_SYNC_ENABLED : BIRD_SYNC_DISABLED;
		struct bird_sync_request *request;
		int rc;

		if (protocol->in_flight || protocol->known == want ||
		    protocol->retry_at_ns > now)
			continue;
		request = bird_sync_request_new(sync, protocol->name);
		rc = protocol->desired_enabled ?
		    bird_client_enable(sync->client, protocol->name,
		    bird_sync_toggled, request) :
		    bird_client_disable(sync->client, protocol->name,
		    bird_sync_toggled, request);
		if (rc != 0) {
			bird_sync_request_free(request);
			return;     /* queue full or disconnected: later */
		}
		protocol->in_flight = true;
		sync->in_flight++;
	}
}

static void
bird_sync_retry(struct loop *loop, void *arg)
{
	struct bird_sync *sync = arg;
	uint64_t now = loop_now_ns(loop), next = 0;

	for (size_t i = 0; i < sync->protocol_count; i++) {
		uint64_t at = sync->protocols[i].retry_at_ns;
		if (at != 0 && at <= now)
			sync->protocols[i].retry_at_ns = 0;
		else if (at > now && (next == 0 || at < next))
			next = at;
	}
	if (next != 0)
		loop_timer_arm(loop, &sync->retry_timer, next);
	bird_sync_pump(sync);
}

static void
bird_sync_status_reply(struct bird_client *client,
    enum bird_client_result result, const struct bird_reply *reply, void *arg)
{
	struct bird_sync *sync = arg;
	struct bird_status status;

	(void)client;
	sync->status_in_flight = false;
	if (result != BIRD_CLIENT_REPLY)
		return;
	if (bird_reply_parse_status(reply, &status) != 0) {
		log_warnx("BIRD answered \"show status\" with %04u; ignoring",
		    reply->code);
		return;
	}
	if (sync->have_status &&
	    (strcmp(status.last_reboot, sync->status.last_reboot) != 0 ||
	    strcmp(status.last_reconfiguration,
	    sync->status.last_reconfiguration) != 0)) {
		log_info("BIRD was %s (last reboot %s, last reconfiguration "
		    "%s); re-applying every protocol's state",
		    strcmp(status.last_reboot, sync->status.last_reboot) != 0 ?
		    "restarted" : "reconfigured", status.last_reboot,
		    status.last_reconfiguration);
		bird_sync_forget_known(sync);
	}
	sync->status = status;
	sync->have_status = true;
	bird_sync_pump(sync);
}

static void
bird_sync_status_tick(struct loop *loop, void *arg)
{
	struct bird_sync *sync = arg;

	loop_timer_arm_in(loop, &sync->status_timer,
	    BIRD_SYNC_STATUS_INTERVAL_NS);
	if (sync->status_in_flight || !bird_client_connected(sync->client))
		return;
	if (bird_client_show_status(sync->client, bird_sync_status_reply,
	    sync) == 0)
		sync->status_in_flight = true;
}

static void
bird_sync_verify_reply(struct bird_client *client,
    enum bird_client_result result, const struct bird_reply *reply, void *arg)
{
	struct bird_sync_request *request = arg;
	struct bird_sync *sync = request->sync;
	struct bird_sync_protocol *protocol;
	struct bird_protocol_status status;

	(void)client;
	if (result == BIRD_CLIENT_CANCELLED) {
		bird_sync_request_free(request);
		return;
	}
	protocol = bird_sync_find(sync, request->name);
	bird_sync_request_free(request);
	if (result != BIRD_CLIENT_REPLY) {
		if (protocol != NULL)
			protocol->verifying = false;
		sync->verify_running = false;
		return;
	}
	if (protocol == NULL) {
		bird_sync_verify_next(sync);
		return;
	}
	protocol->verifying = false;
	if (bird_reply_find_protocol(reply, protocol->name, &status) == 0 &&
	    !protocol->in_flight) {
		/* A static protocol is "up" when enabled, "down" when
		 * disabled; anything in between is settling, leave it. */
		enum bird_sync_known actual = BIRD_SYNC_UNKNOWN;
		if (status.state == BIRD_PROTOCOL_UP ||
		    status.state == BIRD_PROTOCOL_START)
			actual = BIRD_SYNC_ENABLED;
		else if (status.state == BIRD_PROTOCOL_DOWN)
			actual = BIRD_SYNC_DISABLED;
		enum bird_sync_known want = protocol->desired_enabled ?
		    BIRD_SYNC_ENABLED : BIRD_SYNC_DISABLED;
		if (actual != BIRD_SYNC_UNKNOWN && actual != want) {
			/* Drift only if BIRD had confirmed the wanted state;
			 * otherwise the command is still to be sent or being
			 * retried after an error that was logged already. */
			if (protocol->known == want) {
				log_warnx("BIRD protocol %s is %s but service "
				    "%s wants it %s (changed by hand?); "
				    "correcting", protocol->name,
				    status.state_text, protocol->service,
				    protocol->desired_enabled ? "enabled" :
				    "disabled");
				sync->corrections++;
			}
			protocol->known = actual;
		}
		/* It exists: if it was missing, do not wait for the retry. */
		if (protocol->problem == BIRD_SYNC_PROBLEM_MISSING)
			protocol->retry_at_ns = 0;
	} else if (bird_reply_has_code(reply, BIRD_CODE_NO_PROTOCOLS_MATCH)) {
		bird_sync_report_problem(protocol, BIRD_SYNC_PROBLEM_MISSING,
		    reply);
	}
	bird_sync_update_group(sync, &sync->groups[protocol->group]);
	bird_sync_pump(sync);
	bird_sync_verify_next(sync);
}

/* Read back the next protocol; one at a time so verification never
 * crowds out the enables and disables that matter. */
static void
bird_sync_verify_next(struct bird_sync *sync)
{
	while (sync->verify_cursor < sync->protocol_count) {
		struct bird_sync_protocol *protocol =
		    &sync->protocols[sync->verify_cursor++];
		struct bird_sync_request *request =
		    bird_sync_request_new(sync, protocol->name);

		if (bird_client_show_protocol(sync->client, protocol->name,
		    bird_sync_verify_reply, request) == 0) {
			protocol->verifying = true;
			return;
		}
		bird_sync_request_free(request);
		break;
	}
	sync->verify_running = false;
}

static void
bird_sync_verify_tick(struct loop *loop, void *arg)
{
	struct bird_sync *sync = arg;

	loop_timer_arm_in(loop, &sync->verify_timer, sync->verify_interval_ns);
	if (sync->verify_running || !bird_client_connected(sync->client))
		return;
	sync->verify_running = true;
	sync->verify_cursor = 0;
	bird_sync_verify_next(sync);
}

static void
bird_sync_connected(struct bird_client *client, const char *version,
    void *arg)
{
	struct bird_sync *sync = arg;

	(void)client;
	log_info("connected to BIRD %s at %s; applying the state of %zu "
	    "protocol%s", version, sync->socket_path, sync->protocol_count,
	    sync->protocol_count == 1 ? "" : "s");
	bird_sync_forget_known(sync);
	sync->in_flight = 0;
	sync->status_in_flight = false;
	sync->verify_running = false;
	if (sync->configure_in_flight) {
		sync->configure_in_flight = false;
		sync->configure_wanted = true;
	}
	for (size_t i = 0; i < sync->protocol_count; i++) {
		sync->protocols[i].in_flight = false;
		sync->protocols[i].verifying = false;
	}
	/* Take the boot/reconfiguration times as the new baseline. */
	sync->have_status = false;
	if (bird_client_show_status(sync->client, bird_sync_status_reply,
	    sync) == 0)
		sync->status_in_flight = true;
	bird_sync_pump(sync);
}

static void
bird_sync_disconnected(struct bird_client *client, void *arg)
{
	struct bird_sync *sync = arg;

	(void)client;
	log_warnx("lost the connection to BIRD at %s; reconnecting",
	    sync->socket_path);
	bird_sync_forget_known(sync);
}

/* Build the table for services; protocols whose name is in old (count
 * old_count) keep their state. */
static void
bird_sync_build(struct bird_sync *sync,
    const struct service_config *const *services, size_t count,
    const struct bird_sync_protocol *old, size_t old_count)
{
	static const int families[] = { AF_INET, AF_INET6 };

	sync->protocols = xcalloc(count * 2 * BIRD_VARIANT_COUNT + 1,
	    sizeof(struct bird_sync_protocol));
	sync->groups = xcalloc(count * 2 + 1, sizeof(struct bird_sync_group));
	sync->protocol_count = 0;
	sync->group_count = 0;
	for (size_t s = 0; s < count; s++) {
		for (size_t f = 0; f < 2; f++) {
			struct bird_sync_group *group;

			if (!bird_service_has_family(services[s], families[f]))
				continue;
			group = &sync->groups[sync->group_count];
			group->service = xstrdup(services[s]->name);
			group->family = families[f];
			group->first = sync->protocol_count;
			group->target = -1;
			for (int v = 0; v < BIRD_VARIANT_COUNT; v++) {
				char *name = bird_variant_protocol(services[s],
				    families[f], v);
				struct bird_sync_protocol *protocol;

				if (name == NULL)
					continue;
				protocol =
				    &sync->protocols[sync->protocol_count++];
				for (size_t o = 0; o < old_count; o++)
					if (strcmp(old[o].name, name) == 0) {
						*protocol = old[o];
						break;
					}
				protocol->name = name;
				protocol->service = xstrdup(services[s]->name);
				protocol->group = sync->group_count;
				protocol->variant = v;
			}
			group->count = sync->protocol_count - group->first;
			sync->group_count++;
		}
	}
}

static void
bird_sync_free_table(struct bird_sync_protocol *protocols, size_t count,
    struct bird_sync_group *groups, size_t group_count)
{
	for (size_t i = 0; i < count; i++) {
		free(protocols[i].name);
		free(protocols[i].service);
	}
	for (size_t i = 0; i < group_count; i++)
		free(groups[i].service);
	free(protocols);
	free(groups);
}

void
bird_sync_init(struct bird_sync *sync, struct loop *loop,
    const struct config *config)
{
	struct bird_client_callbacks callbacks = {
		.connected = bird_sync_connected,
		.disconnected = bird_sync_disconnected,
		.arg = sync,
	};
	const struct service_config **services = xcalloc(
	    config->service_count + 1, sizeof(*services));

	memset(sync, 0, sizeof(*sync));
	sync->loop = loop;
	sync->socket_path = xstrdup(config->bird_socket);
	for (size_t i = 0; i < config->service_count; i++)
		services[i] = &config->services[i];
	bird_sync_build(sync, services, config->service_count, NULL, 0);
	free(services);
	loop_timer_init(&sync->status_timer, bird_sync_status_tick, sync);
	loop_timer_init(&sync->verify_timer, bird_sync_verify_tick, sync);
	loop_timer_init(&sync->retry_timer, bird_sync_retry, sync);
	loop_timer_arm_in(loop, &sync->status_timer,
	    BIRD_SYNC_STATUS_INTERVAL_NS);
	sync->verify_interval_ns = clock_seconds_to_ns(
	    config->bird_verify_interval);
	loop_timer_arm_in(loop, &sync->verify_timer, sync->verify_interval_ns);
	sync->client = bird_client_new(loop, config->bird_socket, &callbacks);
	bird_client_start(sync->client);
}

void
bird_sync_cleanup(struct bird_sync *sync)
{
	loop_timer_cancel(sync->loop, &sync->status_timer);
	loop_timer_cancel(sync->loop, &sync->verify_timer);
	loop_timer_cancel(sync->loop, &sync->retry_timer);
	if (sync->client != NULL)
		bird_client_free(sync->client);
	sync->client = NULL;
	bird_sync_free_table(sync->protocols, sync->protocol_count,
	    sync->groups, sync->group_count);
	free(sync->socket_path);
	memset(sync, 0, sizeof(*sync));
}

void
bird_sync_set_services(struct bird_sync *sync,
    const struct service_config *const *services, size_t count)
{
	struct bird_sync_protocol *old = sync->protocols;
	struct bird_sync_group *old_groups = sync->groups;
	size_t old_count = sync->protocol_count;
	size_t old_group_count = sync->group_count;

	bird_sync_build(sync, services, count, old, old_count);
	for (size_t o = 0; o < old_count; o++) {
		if (bird_sync_find(sync, old[o].name) != NULL)
			continue;
		/* A protocol gone from the config: its commands in flight
		 * still complete (by name), and BIRD forgets it once the
		 * include file no longer declares it. */
		if (old[o].known == BIRD_SYNC_ENABLED)
			log_warnx("BIRD protocol %s (service %s) is no longer "
			    "configured but still enabled in BIRD",
			    old[o].name, old[o].service);
	}
	bird_sync_free_table(old, old_count, old_groups, old_group_count);
	if (sync->verify_cursor > sync->protocol_count)
		sync->verify_cursor = sync->protocol_count;
}

void
bird_sync_set_announcement(struct bird_sync *sync,
    const struct service_config *service,
    const struct announce_attributes *attributes)
{
	int variant = bird_variant_of(service, attributes);

	if (attributes != NULL && variant < 0) {
		/* Not expected: every announced set has a protocol. */
		log_warnx("service %s: no BIRD protocol for its current "
		    "attributes; announcing with the UP attributes",
		    service->name);
		variant = BIRD_VARIANT_UP;
	}
	for (size_t g = 0; g < sync->group_count; g++) {
		struct bird_sync_group *group = &sync->groups[g];

		if (strcmp(group->service, service->name) != 0)
			continue;
		group->target = -1;
		for (size_t i = group->first; variant >= 0 &&
		    i < group->first + group->count; i++)
			if ((int)sync->protocols[i].variant == variant)
				group->target = (long)i;
		bird_sync_update_group(sync, group);
	}
	bird_sync_pump(sync);
}

bool
bird_sync_protocol_wanted(const struct bird_sync *sync, const char *protocol)
{
	const struct bird_sync_protocol *found = bird_sync_find(sync, protocol);

	return found != NULL && found->desired_enabled;
}

void
bird_sync_configure(struct bird_sync *sync)
{
	sync->configure_wanted = true;
	bird_sync_pump(sync);
}

void
bird_sync_hold(struct bird_sync *sync, bool held)
{
	sync->held = held;
	if (!held)
		bird_sync_pump(sync);
}

bool
bird_sync_settled(const struct bird_sync *sync)
{
	if (!bird_client_connected(sync->client))
		return true;
	if (sync->configure_wanted || sync->configure_in_flight)
		return false;
	for (size_t i = 0; i < sync->protocol_count; i++) {
		const struct bird_sync_protocol *protocol = &sync->protocols[i];
		enum bird_sync_known want = protocol->desired_enabled ?
		    BIRD_SYNC_ENABLED : BIRD_SYNC_DISABLED;
		if (protocol->known != want && protocol->problem ==
		    BIRD_SYNC_PROBLEM_NONE)
			return false;
	}
	return true;
}
