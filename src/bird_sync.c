/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: keeping BIRD's anycheck protocols in the desired state (the pump)
 *
 * Work is pumped, not queued: the plan knows which protocols differ, and
 * bird_sync_pump hands commands for them to the client (which pipelines
 * them), at most BIRD_SYNC_IN_FLIGHT_MAX at a time; every reply calls the
 * pump again. The pump's order: nothing while held or disconnected; a
 * wanted "configure" first, and nothing else until it is answered; then a
 * wanted learn listing, and nothing else until it is in; then, for a large
 * backlog, an include rewrite + "configure"; then toggles. A lost
 * connection loses nothing: the plan forgets what BIRD said and the pump
 * learns it again once BIRD greets us. A command carries the protocol's
 * name, not a pointer: a reload may rebuild the table while it is in
 * flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_sync.h"
#include "clock.h"
#include "log.h"

static void bird_sync_pump(struct bird_sync *sync);
static void bird_sync_pump_timer(struct loop *loop, void *arg);
static void bird_sync_batch_timer(struct loop *loop, void *arg);

/* What a toggle's callback needs to find its protocol again. */
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

static void
bird_sync_batch_open(struct bird_sync *sync, uint64_t started_ns)
{
	if (sync->batch.open)
		return;
	memset(&sync->batch, 0, sizeof(sync->batch));
	sync->batch.open = true;
	sync->batch.started_ns = started_ns;
	sync->batch.last_ns = started_ns;
}

/* A toggle BIRD did: its own log line, unless it is part of a batch, or
 * the BIRD_SYNC_BATCH_MIN-th within a second (the services of a start
 * coming up one by one), which opens one. */
static bool
bird_sync_batch_count(struct bird_sync *sync)
{
	uint64_t now = loop_now_ns(sync->loop);

	if (!sync->batch.open) {
		if (now - sync->window_started_ns > NSEC_PER_SEC) {
			sync->window_started_ns = now;
			sync->window_toggles = 0;
		}
		if (++sync->window_toggles < BIRD_SYNC_BATCH_MIN)
			return false;
		bird_sync_batch_open(sync, sync->window_started_ns);
	}
	sync->batch.toggles++;
	sync->batch.last_ns = now;
	return true;
}

static bool
bird_sync_busy(const struct bird_sync *sync)
{
	return bird_plan_unsettled(&sync->plan) > 0 || sync->in_flight > 0 ||
	    sync->learning || sync->configure_wanted ||
	    sync->configure_in_flight;
}

/* BIRD is right (or cannot be helped): once it stayed so for
 * batch_quiet_ns, say in one line what the batch did. */
static void
bird_sync_batch_check(struct bird_sync *sync)
{
	if (sync->batch.open && !bird_sync_busy(sync) &&
	    !loop_timer_armed(&sync->batch_timer))
		loop_timer_arm_in(sync->loop, &sync->batch_timer,
		    sync->batch_quiet_ns);
}

/* O(protocols), once per batch. */
static void
bird_sync_batch_timer(struct loop *loop, void *arg)
{
	struct bird_sync *sync = arg;
	size_t enabled = 0, disabled = 0, failing = 0;
	const struct bird_plan *plan = &sync->plan;
	char errors[96] = "";

	if (!sync->batch.open || bird_sync_busy(sync))
		return;     /* re-armed once settled again */
	if (sync->batch.last_ns + sync->batch_quiet_ns > loop_now_ns(loop)) {
		loop_timer_arm(loop, &sync->batch_timer,
		    sync->batch.last_ns + sync->batch_quiet_ns);
		return;
	}
	for (size_t i = 0; i < plan->protocol_count; i++) {
		const struct bird_plan_protocol *protocol = &plan->protocols[i];

		if (protocol->gone)
			continue;
		if (protocol->differs)
			failing++;
		else if (protocol->wanted)
			enabled++;
		else
			disabled++;
	}
	if (failing > 0)
		snprintf(errors, sizeof(errors), "; %zu not applied (errors "
		    "logged above, retried)", failing);
	log_info("applied the state of %zu protocols in %.2f s: %zu enabled, "
	    "%zu disabled (%zu enable/disable commands, %zu include "
	    "rewrite%s + configure)%s", enabled + disabled,
	    (double)(sync->batch.last_ns - sync->batch.started_ns) / 1e9,
	    enabled, disabled, sync->batch.toggles, sync->batch.configures,
	    sync->batch.configures == 1 ? "" : "s", errors);
	sync->batch.open = false;
}

static void
bird_sync_report_problem(const struct bird_plan_protocol *protocol,
    enum bird_plan_problem problem, const struct bird_reply *reply)
{
	const char *text = reply != NULL && reply->line_count > 0 ?
	    bird_reply_line_text(reply, reply->line_count - 1) : "";

	switch (problem) {
	case BIRD_PLAN_PROBLEM_NONE:
		log_info("BIRD protocol %s: working again", protocol->name);
		break;
	case BIRD_PLAN_PROBLEM_MISSING:
		log_error("BIRD has no protocol \"%s\" (service %s): generate "
		    "the include file with 'anycheck-bird -c CONFIG -g "
		    "/etc/bird/anycheck.conf' (or set bird.include_file), "
		    "include it from bird.conf and run 'birdc configure'; "
		    "retrying every %llu s",
		    protocol->name, protocol->service,
		    BIRD_SYNC_RETRY_NS / NSEC_PER_SEC);
		break;
	case BIRD_PLAN_PROBLEM_DENIED:
		log_error("BIRD denied access for protocol \"%s\" (service "
		    "%s): the control socket is restricted; point bird.socket "
		    "at an unrestricted socket; retrying every %llu s",
		    protocol->name, protocol->service,
		    BIRD_SYNC_RETRY_NS / NSEC_PER_SEC);
		break;
	case BIRD_PLAN_PROBLEM_OTHER:
		log_error("BIRD protocol \"%s\" (service %s): unexpected reply "
		    "%04u %s; retrying every %llu s", protocol->name,
		    protocol->service, reply != NULL ? reply->code : 0, text,
		    BIRD_SYNC_RETRY_NS / NSEC_PER_SEC);
		break;
	}
}

static void
bird_sync_arm_retry(struct bird_sync *sync, uint64_t at)
{
	if (!loop_timer_armed(&sync->retry_timer) ||
	    sync->retry_timer.deadline_ns > at)
		loop_timer_arm(sync->loop, &sync->retry_timer, at);
}

static enum bird_plan_problem
bird_sync_problem_of(enum bird_toggle_result toggle)
{
	switch (toggle) {
	case BIRD_TOGGLE_NO_SUCH_PROTOCOL:
		return BIRD_PLAN_PROBLEM_MISSING;
	case BIRD_TOGGLE_ACCESS_DENIED:
		return BIRD_PLAN_PROBLEM_DENIED;
	default:
		return BIRD_PLAN_PROBLEM_OTHER;
	}
}

static void
bird_sync_toggled(struct bird_client *client, enum bird_client_result result,
    const struct bird_reply *reply, void *arg)
{
	struct bird_sync_request *request = arg;
	struct bird_sync *sync = request->sync;
	struct bird_plan_protocol *protocol;
	enum bird_toggle_result toggle;

	(void)client;
	if (result == BIRD_CLIENT_CANCELLED) {
		bird_sync_request_free(request);
		return;
	}
	sync->in_flight--;
	protocol = bird_plan_find(&sync->plan, request->name);
	bird_sync_request_free(request);
	if (protocol == NULL) {
		/* Dropped by a reload meanwhile. */
		bird_sync_pump(sync);
		return;
	}
	if (result != BIRD_CLIENT_REPLY) {
		/* The client reconnects; on_connected learns everything. */
		bird_plan_lost(&sync->plan, protocol);
		return;
	}
	toggle = bird_reply_toggle_result(reply);
	switch (toggle) {
	case BIRD_TOGGLE_ENABLED:
	case BIRD_TOGGLE_ALREADY_ENABLED:
	case BIRD_TOGGLE_DISABLED:
	case BIRD_TOGGLE_ALREADY_DISABLED: {
		bool enabled = bird_toggle_result_enabled(toggle);
		bool changed = toggle == BIRD_TOGGLE_ENABLED ||
		    toggle == BIRD_TOGGLE_DISABLED;

		if (bird_plan_confirmed(&sync->plan, protocol, enabled) !=
		    BIRD_PLAN_PROBLEM_NONE)
			bird_sync_report_problem(protocol,
			    BIRD_PLAN_PROBLEM_NONE, NULL);
		const char *owner = protocol->service[0] != '\0' ?
		    protocol->service : "none configured";

		if (changed && bird_sync_batch_count(sync)) {
			log_debug("BIRD protocol %s %s (service %s)",
			    protocol->name, enabled ? "enabled" : "disabled",
			    owner);
		} else if (changed)
			log_info("BIRD protocol %s %s (service %s)",
			    protocol->name, enabled ? "enabled" : "disabled",
			    owner);
		break;
	}
	default: {
		enum bird_plan_problem problem = bird_sync_problem_of(toggle);
		uint64_t now = loop_now_ns(sync->loop);
		enum bird_plan_problem before = bird_plan_failed(&sync->plan,
		    protocol, problem, now + sync->retry_ns);

		if (protocol->gone) {
			/* Leaving, and BIRD has no such protocol: done. */
			log_debug("BIRD no longer has protocol %s",
			    protocol->name);
			break;
		}
		if (before != problem)
			bird_sync_report_problem(protocol, problem, reply);
		bird_sync_arm_retry(sync, protocol->retry_at_ns);
		break;
	}
	}
	bird_sync_pump(sync);
}

/* Learn everything anew: nothing is sent until "show protocols" is in. */
static void
bird_sync_learn(struct bird_sync *sync)
{
	bird_plan_forget(&sync->plan);
	if (!sync->learning)
		sync->learn_started_ns = loop_now_ns(sync->loop);
	sync->learning = true;
	sync->learn_wanted = true;
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
	if (result == BIRD_CLIENT_REPLY)
		sync->configure_cost_ns = loop_now_ns(sync->loop) -
		    sync->configure_sent_ns;
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
		/* Toggles, not another rewrite, until the retry time. */
		sync->rewrite_blocked_until_ns = loop_now_ns(sync->loop) +
		    sync->retry_ns;
		sync->bulk_pending = false;
	} else {
		log_info("BIRD reconfigured (%04u %s); reading back every "
		    "protocol's state", reply->code, reply->line_count > 0 ?
		    bird_reply_line_text(reply, reply->line_count - 1) : "");
		sync->configured_by_us = true;
	}
	bird_sync_learn(sync);
	bird_sync_pump(sync);
}

static enum bird_plan_known
bird_sync_known_of(enum bird_protocol_state state)
{
	/* A static protocol is "up" when enabled, "down" when disabled;
	 * anything in between is settling. */
	switch (state) {
	case BIRD_PROTOCOL_UP:
	case BIRD_PROTOCOL_START:
		return BIRD_PLAN_ENABLED;
	case BIRD_PROTOCOL_DOWN:
		return BIRD_PLAN_DISABLED;
	default:
		return BIRD_PLAN_UNKNOWN;
	}
}

/* Does name look like one of anycheck's protocols? */
static bool
bird_sync_is_anychecks(const struct bird_sync *sync, const char *name)
{
	return bird_names_default_form(name) ||
	    name_index_get(&sync->claimed, name) != NULL;
}

static void
bird_sync_note_orphan(struct bird_sync *sync, const char *name)
{
	size_t length = strlen(sync->orphan_names);

	sync->orphans++;
	if (length + strlen(name) + 8 < sizeof(sync->orphan_names))
		snprintf(sync->orphan_names + length,
		    sizeof(sync->orphan_names) - length, "%s%s",
		    length > 0 ? ", " : "", name);
	else if (length + 5 < sizeof(sync->orphan_names) &&
	    strcmp(sync->orphan_names + length - 3, "...") != 0)
		snprintf(sync->orphan_names + length,
		    sizeof(sync->orphan_names) - length, ", ...");
}

/* One line for what the learn listing swept. */
static void
bird_sync_log_orphans(struct bird_sync *sync)
{
	if (sync->orphans == 0)
		return;
	log_warnx("BIRD has %zu enabled protocol%s of anycheck's that no "
	    "configured service owns (removed while anycheck-bird was not "
	    "running?): %s; disabling %s", sync->orphans,
	    sync->orphans == 1 ? "" : "s", sync->orphan_names,
	    sync->orphans == 1 ? "it" : "them");
	sync->orphans = 0;
	sync->orphan_names[0] = '\0';
}

static void
bird_sync_listing_line(struct bird_client *client, unsigned code,
    const char *text, void *arg)
{
	struct bird_sync *sync = arg;
	struct bird_protocol_status status;
	struct bird_plan_protocol *protocol;

	(void)client;
	if (code != BIRD_CODE_PROTOCOL_LIST ||
	    bird_parse_protocol_row(text, &status) != 0)
		return;
	protocol = bird_plan_find(&sync->plan, status.name);
	if (protocol == NULL && sync->listing_learns &&
	    bird_sync_known_of(status.state) == BIRD_PLAN_ENABLED &&
	    bird_sync_is_anychecks(sync, status.name)) {
		/* Ours, enabled, and no service owns it: disable it. */
		bird_plan_add_leaving(&sync->plan, status.name);
		bird_sync_note_orphan(sync, status.name);
		protocol = bird_plan_find(&sync->plan, status.name);
	}
	if (protocol == NULL)
		return;     /* not ours (device, kernel, BGP, ...) */
	if (bird_plan_observed(&sync->plan, protocol,
	    bird_sync_known_of(status.state)) && !sync->listing_learns) {
		log_warnx("BIRD protocol %s is %s but service %s wants it %s "
		    "(changed by hand?); correcting", protocol->name,
		    status.state_text, protocol->service,
		    protocol->wanted ? "enabled" : "disabled");
		sync->corrections++;
	}
}

static void
bird_sync_listing_reply(struct bird_client *client,
    enum bird_client_result result, const struct bird_reply *reply, void *arg)
{
	struct bird_sync *sync = arg;
	bool learned = sync->listing_learns;

	(void)client;
	if (result == BIRD_CLIENT_CANCELLED)
		return;
	sync->listing_in_flight = false;
	if (result != BIRD_CLIENT_REPLY) {
		if (learned)
			sync->learn_wanted = true;
		return;
	}
	bird_sync_log_orphans(sync);
	if (bird_reply_is_error(reply)) {
		log_warnx("BIRD answered \"show protocols\" with %04u; "
		    "applying every protocol's state blind", reply->code);
	} else {
		bird_plan_listing_end(&sync->plan);
		sync->listings++;
	}
	if (sync->batch.open)
		sync->batch.last_ns = loop_now_ns(sync->loop);
	if (learned && !sync->learn_wanted && sync->bulk_pending) {
		/* A rewrite + configure that changed nothing means BIRD does
		 * not read the file we write: say so, and use toggles. */
		size_t as_written = 0;

		sync->bulk_pending = false;
		for (size_t i = 0; i < sync->plan.protocol_count; i++) {
			struct bird_plan_protocol *protocol =
			    &sync->plan.protocols[i];
			if (protocol->bulk_watch && protocol->known ==
			    (protocol->bulk_expect ? BIRD_PLAN_ENABLED :
			    BIRD_PLAN_DISABLED))
				as_written++;
			protocol->bulk_watch = false;
		}
		if (sync->bulk_backlog > 0 && as_written == 0) {
			log_warnx("rewriting the include file and reconfiguring "
			    "BIRD changed none of %zu protocols: does bird.conf "
			    "include bird.include_file (by absolute path)? "
			    "Using enable/disable instead",
			    sync->bulk_backlog);
			sync->rewrite_blocked_until_ns =
			    loop_now_ns(sync->loop) + sync->retry_ns;
		}
	}
	if (learned && !sync->learn_wanted) {
		sync->learning = false;
		sync->learned_once = true;
		if (sync->on_learned != NULL)
			sync->on_learned(sync, sync->on_learned_arg);
		if (bird_plan_backlog(&sync->plan) > 1)
			bird_sync_batch_open(sync, sync->learn_started_ns);
	}
	bird_sync_pump(sync);
}

static bool
bird_sync_send_listing(struct bird_sync *sync, bool learn)
{
	if (sync->listing_in_flight)
		return false;
	if (bird_client_show_protocols(sync->client, bird_sync_listing_line,
	    bird_sync_listing_reply, sync) != 0)
		return false;
	sync->listing_in_flight = true;
	sync->listing_learns = learn;
	bird_plan_listing_begin(&sync->plan);
	return true;
}

/* Many protocols to change: one include rewrite and "configure" (the
 * owner's hook) rather than thousands of toggles. */
static bool
bird_sync_try_bulk(struct bird_sync *sync)
{
	uint64_t now = loop_now_ns(sync->loop);
	bool rewritten;

	if (sync->rewrite_include == NULL ||
	    bird_plan_backlog(&sync->plan) < sync->bulk_min ||
	    now < sync->rewrite_blocked_until_ns)
		return false;
	/* BIRD re-parses its whole config on "configure": with thousands
	 * of services (and the export function that names every protocol)
	 * that took 29 s on BIRD 2.0.12, against ~0.3 ms per toggle. Rewrite
	 * only when the toggles would take longer than the last configure
	 * did. */
	if (sync->configure_cost_ns > 0 && bird_plan_backlog(&sync->plan) *
	    BIRD_SYNC_TOGGLE_COST_NS < sync->configure_cost_ns)
		return false;
	sync->rewriting = true;
	bird_sync_batch_open(sync, now);
	rewritten = sync->rewrite_include(sync, sync->rewrite_include_arg);
	sync->rewriting = false;
	if (!rewritten) {
		sync->rewrite_blocked_until_ns = now + sync->retry_ns;
		return false;
	}
	sync->batch.configures++;
	sync->batch.last_ns = now;
	sync->bulk_pending = true;
	sync->bulk_backlog = 0;
	/* Which protocols the file must change, and to what; services that
	 * decide meanwhile must not make it look as if BIRD ignored it. */
	for (size_t i = 0; i < sync->plan.protocol_count; i++) {
		struct bird_plan_protocol *protocol = &sync->plan.protocols[i];
		protocol->bulk_watch = !protocol->gone && protocol->differs;
		protocol->bulk_expect = protocol->wanted;
		sync->bulk_backlog += protocol->bulk_watch;
	}
	return true;
}

static void
bird_sync_send_toggles(struct bird_sync *sync)
{
	uint64_t now = loop_now_ns(sync->loop);

	if (bird_plan_backlog(&sync->plan) >= BIRD_SYNC_BATCH_MIN)
		bird_sync_batch_open(sync, now);
	while (sync->in_flight < BIRD_SYNC_IN_FLIGHT_MAX) {
		enum bird_plan_action action;
		struct bird_plan_protocol *protocol =
		    bird_plan_peek(&sync->plan, now, &action);
		struct bird_sync_request *request;
		int rc;

		if (protocol == NULL)
			break;
		request = bird_sync_request_new(sync, protocol->name);
		rc = action == BIRD_PLAN_ENABLE ?
		    bird_client_enable(sync->client, protocol->name,
		    bird_sync_toggled, request) :
		    bird_client_disable(sync->client, protocol->name,
		    bird_sync_toggled, request);
		if (rc != 0) {
			bird_sync_request_free(request);
			break;      /* queue full or disconnected: later */
		}
		bird_plan_sent(&sync->plan, protocol);
		sync->in_flight++;
	}
}

static void
bird_sync_pump(struct bird_sync *sync)
{
	if (!bird_client_connected(sync->client) || sync->held ||
	    sync->rewriting)
		return;
	if (sync->configure_wanted && !sync->configure_in_flight) {
		if (bird_client_command(sync->client, "configure",
		    BIRD_SYNC_CONFIGURE_TIMEOUT_NS, bird_sync_configured,
		    sync) == 0) {
			sync->configure_wanted = false;
			sync->configure_in_flight = true;
			sync->configure_sent_ns = loop_now_ns(sync->loop);
		}
	}
	if (sync->configure_wanted || sync->configure_in_flight)
		return;
	if (sync->learn_wanted && bird_sync_send_listing(sync, true))
		sync->learn_wanted = false;
	if (sync->learning)
		return;
	if (bird_sync_try_bulk(sync)) {
		bird_sync_pump(sync);   /* sends the "configure" */
		return;
	}
	bird_sync_send_toggles(sync);
	bird_sync_batch_check(sync);
}

static void
bird_sync_retry(struct loop *loop, void *arg)
{
	struct bird_sync *sync = arg;
	uint64_t next = bird_plan_retry_due(&sync->plan, loop_now_ns(loop));

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
	bool by_us = sync->configured_by_us;
	bool rebooted, reconfigured;

	(void)client;
	if (result == BIRD_CLIENT_CANCELLED)
		return;
	sync->status_in_flight = false;
	if (result != BIRD_CLIENT_REPLY)
		return;
	if (bird_reply_parse_status(reply, &status) != 0) {
		log_warnx("BIRD answered \"show status\" with %04u; ignoring",
		    reply->code);
		return;
	}
	sync->configured_by_us = false;
	rebooted = sync->have_status && bird_time_differs(status.last_reboot,
	    sync->status.last_reboot, BIRD_SYNC_TIME_TOLERANCE_MS);
	reconfigured = sync->have_status && bird_time_differs(
	    status.last_reconfiguration, sync->status.last_reconfiguration,
	    BIRD_SYNC_TIME_TOLERANCE_MS);
	if (rebooted || (reconfigured && !by_us)) {
		log_info("BIRD was %s (last reboot %s, last reconfiguration "
		    "%s); re-applying every protocol's state",
		    rebooted ? "restarted" : "reconfigured", status.last_reboot,
		    status.last_reconfiguration);
		bird_sync_learn(sync);
		if (sync->listing_in_flight && !sync->listing_learns) {
			/* A verify listing sent after this status (replies
			 * come in order): it shows BIRD after the change, so
			 * it is the learn, and what differs is no drift. */
			sync->listing_learns = true;
			sync->learn_wanted = false;
		}
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
bird_sync_verify_tick(struct loop *loop, void *arg)
{
	struct bird_sync *sync = arg;

	loop_timer_arm_in(loop, &sync->verify_timer, sync->verify_interval_ns);
	if (!bird_client_connected(sync->client) || sync->learning ||
	    sync->held || sync->listing_in_flight)
		return;
	/* "show status" first, in the same pipelined exchange: a listing
	 * taken after someone's "birdc configure" shows every protocol
	 * disabled, which is BIRD re-reading its config, not a hand change.
	 * The status answers first and turns the listing into a learn. A
	 * status already in flight was sent earlier: it answers first too. */
	if (!sync->status_in_flight && bird_client_show_status(sync->client,
	    bird_sync_status_reply, sync) == 0)
		sync->status_in_flight = true;
	bird_sync_send_listing(sync, false);
}

static void
bird_sync_connected(struct bird_client *client, const char *version,
    void *arg)
{
	struct bird_sync *sync = arg;

	(void)client;
	log_limited(&sync->connected_log, loop_now_ns(sync->loop),
	    LOG_LEVEL_INFO, "connected to BIRD %s at %s; applying the state "
	    "of %zu protocol%s", version, sync->socket_path,
	    sync->plan.protocol_count,
	    sync->plan.protocol_count == 1 ? "" : "s");
	sync->in_flight = 0;
	sync->status_in_flight = false;
	sync->listing_in_flight = false;
	sync->learning = false;
	bird_sync_learn(sync);
	if (sync->configure_in_flight) {
		sync->configure_in_flight = false;
		sync->configure_wanted = true;
	}
	/* Take the boot/reconfiguration times as the new baseline. */
	sync->have_status = false;
	sync->configured_by_us = false;
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
	log_limited(&sync->lost_log, loop_now_ns(sync->loop),
	    LOG_LEVEL_WARNING, "lost the connection to BIRD at %s; "
	    "reconnecting", sync->socket_path);
	bird_plan_forget(&sync->plan);
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
	sync->bulk_min = BIRD_SYNC_BULK_MIN;
	sync->retry_ns = BIRD_SYNC_RETRY_NS;
	bird_plan_init(&sync->plan);
	name_index_init(&sync->claimed);
	log_limit_init(&sync->connected_log, 0);
	log_limit_init(&sync->lost_log, 0);
	for (size_t i = 0; i < config->service_count; i++)
		services[i] = &config->services[i];
	bird_plan_set_services(&sync->plan, services, config->service_count,
	    NULL, NULL, NULL);
	free(services);
	loop_timer_init(&sync->status_timer, bird_sync_status_tick, sync);
	loop_timer_init(&sync->verify_timer, bird_sync_verify_tick, sync);
	loop_timer_init(&sync->retry_timer, bird_sync_retry, sync);
	loop_timer_init(&sync->pump_timer, bird_sync_pump_timer, sync);
	loop_timer_init(&sync->batch_timer, bird_sync_batch_timer, sync);
	sync->batch_quiet_ns = BIRD_SYNC_BATCH_QUIET_NS;
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
	loop_timer_cancel(sync->loop, &sync->pump_timer);
	loop_timer_cancel(sync->loop, &sync->batch_timer);
	if (sync->client != NULL)
		bird_client_free(sync->client);
	sync->client = NULL;
	log_limit_flush(&sync->connected_log, loop_now_ns(sync->loop));
	log_limit_flush(&sync->lost_log, loop_now_ns(sync->loop));
	bird_plan_cleanup(&sync->plan);
	name_index_cleanup(&sync->claimed);
	for (size_t i = 0; i < sync->claimed_count; i++)
		free(sync->claimed_names[i]);
	free(sync->claimed_names);
	free(sync->socket_path);
	memset(sync, 0, sizeof(*sync));
}

/* A protocol gone from the config. One BIRD may still announce stays in
 * the plan as leaving until BIRD confirms it disabled (or has no such
 * protocol, once the include file no longer declares it). */
static void
bird_sync_protocol_gone(const struct bird_plan_protocol *protocol, void *arg)
{
	(void)arg;
	if (protocol->leaving && protocol->known == BIRD_PLAN_ENABLED)
		log_info("BIRD protocol %s (service %s) is no longer "
		    "configured; disabling it", protocol->name,
		    protocol->service);
}

/* Pump on the next loop round rather than now: the supervisor announces
 * many services in one go (start, reload, a shared check failing), and the
 * pump should see them all before choosing toggles or a bulk rewrite. */
static void
bird_sync_pump_soon(struct bird_sync *sync)
{
	if (!loop_timer_armed(&sync->pump_timer))
		loop_timer_arm(sync->loop, &sync->pump_timer, 0);
}

static void
bird_sync_pump_timer(struct loop *loop, void *arg)
{
	(void)loop;
	bird_sync_pump(arg);
}

void
bird_sync_set_services(struct bird_sync *sync,
    const struct service_config *const *services, size_t count,
    const struct bird_shifts *shifts)
{
	bird_plan_set_services(&sync->plan, services, count, shifts,
	    bird_sync_protocol_gone, sync);
	bird_sync_pump_soon(sync);
}

void
bird_sync_set_announcement(struct bird_sync *sync,
    const struct service_config *service,
    const struct announce_attributes *attributes)
{
	int variant = bird_variant_of(service, attributes, sync->plan.shifts);

	if (attributes != NULL && variant < 0) {
		/* Not expected: every announced set has a protocol. */
		log_warnx("service %s: no BIRD protocol for its current "
		    "attributes; announcing with the UP attributes",
		    service->name);
		variant = BIRD_VARIANT_UP;
	}
	bird_plan_set_target(&sync->plan, service->name, variant);
	bird_sync_pump_soon(sync);
}

void
bird_sync_claim(struct bird_sync *sync, const char *protocol)
{
	char *name;

	if (name_index_get(&sync->claimed, protocol) != NULL)
		return;
	name = xstrdup(protocol);
	sync->claimed_names = xrealloc(sync->claimed_names,
	    (sync->claimed_count + 1) * sizeof(*sync->claimed_names));
	sync->claimed_names[sync->claimed_count++] = name;
	name_index_put(&sync->claimed, name, name);
}

bool
bird_sync_protocol_wanted(const struct bird_sync *sync, const char *protocol)
{
	const struct bird_plan_protocol *found =
	    bird_plan_find(&sync->plan, protocol);

	return found != NULL && bird_plan_should_enable(&sync->plan, found);
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
	if (sync->configure_wanted || sync->configure_in_flight ||
	    sync->learning)
		return false;
	return bird_plan_unsettled(&sync->plan) == 0;
}

size_t
bird_sync_backlog(const struct bird_sync *sync)
{
	return bird_plan_backlog(&sync->plan);
}

void
bird_sync_set_verify_interval(struct bird_sync *sync, double seconds)
{
	uint64_t interval_ns = clock_seconds_to_ns(seconds);

	if (interval_ns == sync->verify_interval_ns)
		return;
	sync->verify_interval_ns = interval_ns;
	loop_timer_arm_in(sync->loop, &sync->verify_timer, interval_ns);
}
