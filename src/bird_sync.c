/*
 * DOC: keeping BIRD's anycheck protocols in the desired state
 *
 * Work is pumped, not queued: the wanted state lives in each protocol and a
 * pump sends commands for protocols whose known state differs, at most
 * BIRD_SYNC_IN_FLIGHT_MAX at a time. A lost connection therefore loses
 * nothing: everything becomes UNKNOWN and the pump runs again once BIRD
 * greets us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_sync.h"
#include "clock.h"
#include "log.h"

static void bird_sync_pump(struct bird_sync *sync);
static void bird_sync_verify_next(struct bird_sync *sync);

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
		    "/etc/bird/anycheck.conf', include it from bird.conf and "
		    "run 'birdc configure'; retrying every %llu s",
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
	struct bird_sync_protocol *protocol = arg;
	struct bird_sync *sync = protocol->sync;
	enum bird_toggle_result toggle;

	(void)client;
	protocol->in_flight = false;
	sync->in_flight--;
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
		if (enabled)
			protocol->enabled_by_us = true;
		else
			protocol->enabled_by_us = false;
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
	bird_sync_pump(sync);
}

static void
bird_sync_pump(struct bird_sync *sync)
{
	uint64_t now = loop_now_ns(sync->loop);

	if (!bird_client_connected(sync->client))
		return;
	for (size_t i = 0; i < sync->protocol_count &&
	    sync->in_flight < BIRD_SYNC_IN_FLIGHT_MAX; i++) {
		struct bird_sync_protocol *protocol = &sync->protocols[i];
		enum bird_sync_known want = protocol->desired_enabled ?
		    BIRD_SYNC_ENABLED : BIRD_SYNC_DISABLED;
		int rc;

		if (protocol->in_flight || protocol->known == want ||
		    protocol->retry_at_ns > now)
			continue;
		rc = protocol->desired_enabled ?
		    bird_client_enable(sync->client, protocol->name,
		    bird_sync_toggled, protocol) :
		    bird_client_disable(sync->client, protocol->name,
		    bird_sync_toggled, protocol);
		if (rc != 0)
			return;     /* queue full or disconnected: later */
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
	struct bird_sync_protocol *protocol = arg;
	struct bird_sync *sync = protocol->sync;
	struct bird_protocol_status status;

	(void)client;
	protocol->verifying = false;
	if (result != BIRD_CLIENT_REPLY) {
		sync->verify_running = false;
		return;
	}
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
		if (bird_client_show_protocol(sync->client, protocol->name,
		    bird_sync_verify_reply, protocol) == 0) {
			protocol->verifying = true;
			return;
		}
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

static void
bird_sync_add_protocol(struct bird_sync *sync, const char *name,
    const char *service)
{
	struct bird_sync_protocol *protocol =
	    &sync->protocols[sync->protocol_count++];

	memset(protocol, 0, sizeof(*protocol));
	protocol->sync = sync;
	protocol->name = xstrdup(name);
	protocol->service = service;
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

	memset(sync, 0, sizeof(*sync));
	sync->loop = loop;
	sync->config = config;
	sync->socket_path = config->bird_socket;
	sync->protocols = xcalloc(config->service_count * 2,
	    sizeof(struct bird_sync_protocol));
	sync->service_first = xcalloc(config->service_count, sizeof(size_t));
	sync->service_protocols = xcalloc(config->service_count,
	    sizeof(size_t));
	for (size_t i = 0; i < config->service_count; i++) {
		const struct service_config *service = &config->services[i];
		bool ipv4 = false, ipv6 = false;

		for (size_t p = 0; p < service->prefix_count; p++) {
			if (service->prefixes[p].family == AF_INET)
				ipv4 = true;
			else
				ipv6 = true;
		}
		sync->service_first[i] = sync->protocol_count;
		if (ipv4)
			bird_sync_add_protocol(sync,
			    service->bird_protocol_ipv4, service->name);
		if (ipv6)
			bird_sync_add_protocol(sync,
			    service->bird_protocol_ipv6, service->name);
		sync->service_protocols[i] = sync->protocol_count -
		    sync->service_first[i];
	}
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
	for (size_t i = 0; i < sync->protocol_count; i++)
		free(sync->protocols[i].name);
	free(sync->protocols);
	free(sync->service_first);
	free(sync->service_protocols);
	memset(sync, 0, sizeof(*sync));
}

void
bird_sync_set_service(struct bird_sync *sync,
    const struct service_config *service, bool announced)
{
	size_t index = (size_t)(service - sync->config->services);

	for (size_t i = 0; i < sync->service_protocols[index]; i++) {
		struct bird_sync_protocol *protocol =
		    &sync->protocols[sync->service_first[index] + i];
		protocol->desired_enabled = announced;
		protocol->retry_at_ns = 0;
	}
	bird_sync_pump(sync);
}

void
bird_sync_disable_all(struct bird_sync *sync)
{
	sync->stopping = true;
	for (size_t i = 0; i < sync->protocol_count; i++) {
		sync->protocols[i].desired_enabled = false;
		sync->protocols[i].retry_at_ns = 0;
	}
	bird_sync_pump(sync);
}

bool
bird_sync_settled(const struct bird_sync *sync)
{
	if (!bird_client_connected(sync->client))
		return true;
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
