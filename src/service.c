/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor and services
 *
 * Rounds are scheduled at a fixed rate from the start of the previous round
 * (interval, or fast_interval while the state is changing), so a slow check
 * delays the next round only when the round itself overruns. The
 * maintenance file is looked at before each round; while it (or an
 * operator request) is in force the service drains, then is DISABLED and no
 * checks run.
 *
 * Every change goes through the same steps: remember the state and the
 * announcement, let health.c act, then service_settle() logs what happened,
 * tells the backend when the state or the announcement changed, and arms
 * the timers the new state needs (hold-down end, drain deadline, the next
 * connection count). A service that reaches STOPPED (exit, removal by a
 * reload) is freed later from reap_timer, never inside a callback.
 *
 * Configs: every config a service points into is reference counted
 * (struct supervisor_config_ref), so a service removed by a reload can
 * drain with its old config while the new one runs; a config taken over
 * by supervisor_reload is freed once no service and no reload uses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"
#include "service.h"

/* How often connections are counted during a drain, and logged. */
#define SERVICE_COUNT_PERIOD_NS (NSEC_PER_SEC / 2)
#define SERVICE_PROGRESS_LOG_NS (5 * NSEC_PER_SEC)

struct supervisor_config_ref {
	const struct config *config;
	struct config *owned;           /* NULL: the caller's (initial) one */
	size_t users;                   /* services, +1 while current */
	struct supervisor_config_ref *next;
};

static void service_round_start(struct loop *loop, void *arg);
static void service_wake(struct loop *loop, void *arg);
static void service_count_start(struct loop *loop, void *arg);

static struct supervisor_config_ref *
supervisor_ref_new(struct supervisor *supervisor, const struct config *config,
    struct config *owned)
{
	struct supervisor_config_ref *ref = xcalloc(1, sizeof(*ref));

	ref->config = config;
	ref->owned = owned;
	ref->users = 1;
	ref->next = supervisor->refs;
	supervisor->refs = ref;
	return ref;
}

static void
supervisor_ref_release(struct supervisor *supervisor,
    struct supervisor_config_ref *ref)
{
	struct supervisor_config_ref **at;

	if (--ref->users > 0)
		return;
	for (at = &supervisor->refs; *at != NULL; at = &(*at)->next)
		if (*at == ref) {
			*at = ref->next;
			break;
		}
	config_free(ref->owned);
	free(ref);
}

static void
service_health_params(const struct service_config *config,
    struct health_params *params)
{
	params->rise = config->timing.rise;
	params->fall = config->timing.fall;
	params->hold_down_ns = clock_seconds_to_ns(config->timing.hold_down);
	params->flap_window_ns = clock_seconds_to_ns(config->timing.flap_window);
	params->hold_down_max_ns =
	    clock_seconds_to_ns(config->timing.hold_down_max);
}

static uint64_t
service_drain_ns(const struct service *service)
{
	return clock_seconds_to_ns(service->config->drain.seconds);
}

static uint64_t
service_period_ns(const struct service *service)
{
	const struct timing_config *timing = &service->config->timing;

	if (health_uses_fast_interval(&service->health))
		return clock_seconds_to_ns(timing->fast_interval);
	return clock_seconds_to_ns(timing->interval);
}

/* What should be announced now: the attributes of the state, or NULL. */
const struct announce_attributes *
supervisor_announcement(const struct service *service)
{
	const struct service_config *config = service->config;

	switch (service->health.state) {
	case HEALTH_UP:
	case HEALTH_FALLING:
		return &config->announce;
	case HEALTH_DRAINING:
		return &config->drain_announce;
	case HEALTH_INIT:
	case HEALTH_RISING:
	case HEALTH_DOWN:
		return config->down.announced ? &config->down.attributes : NULL;
	case HEALTH_DISABLED:
		return config->disabled.announced ?
		    &config->disabled.attributes : NULL;
	default:
		return NULL;
	}
}

/* "UP attributes (med 100, 2 communities)" or "withdrawn", for logs. */
static void
service_describe_announcement(const struct service *service, char *out,
    size_t size)
{
	const struct announce_attributes *announce =
	    supervisor_announcement(service);
	const struct service_config *config = service->config;
	const char *which = "UP";
	char med[32] = "";

	if (announce == NULL) {
		snprintf(out, size, "withdrawn");
		return;
	}
	if (announce == &config->drain_announce)
		which = "drain";
	else if (announce == &config->down.attributes)
		which = "down";
	else if (announce == &config->disabled.attributes)
		which = "disabled";
	if (announce->has_med)
		snprintf(med, sizeof(med), "med %u, ", announce->med);
	snprintf(out, size, "announced with the %s attributes (%s%zu "
	    "communit%s, prepend %u)", which, med, announce->community_count,
	    announce->community_count == 1 ? "y" : "ies",
	    announce->as_path_prepend);
}

static const char *
service_ordinal_suffix(unsigned n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1:
		return "st";
	case 2:
		return "nd";
	case 3:
		return "rd";
	default:
		return "th";
	}
}

static void
service_log_events(struct service *service, uint64_t now)
{
	const struct health *health = &service->health;
	const struct service_config *config = service->config;

	if (health->events & HEALTH_EVENT_HOLD_STARTED)
		log_info("service %s: held down for %g s: %u%s DOWN in %g s",
		    config->name, (double)health->hold_ns / 1e9,
		    health->flap_count,
		    service_ordinal_suffix(health->flap_count),
		    config->timing.flap_window);
	if (health->events & HEALTH_EVENT_HOLD_ENDED)
		log_info("service %s: hold-down served: healthy for %.1f s",
		    config->name,
		    (double)(now - health->streak_start_ns) / 1e9);
	if (health->events & HEALTH_EVENT_DRAIN_STARTED) {
		char until[96] = "";
		if (config->drain.has_connections)
			snprintf(until, sizeof(until), ", or until at most %ld "
			    "connection%s remain", config->drain.connections_max,
			    config->drain.connections_max == 1 ? "" : "s");
		log_info("service %s: drain started (%s: %s): announcing with "
		    "65535:0 GRACEFUL_SHUTDOWN for up to %g s%s",
		    config->name,
		    health_drain_reason_name(health->drain_reason),
		    service->reason, config->drain.seconds, until);
	}
	if (health->events & HEALTH_EVENT_DRAIN_ENDED) {
		char left[64] = "";
		if (service->last_count >= 0)
			snprintf(left, sizeof(left), "; %ld connection%s left",
			    service->last_count,
			    service->last_count == 1 ? "" : "s");
		log_info("service %s: drain ended after %.1f s: %s%s",
		    config->name,
		    (double)(now - health->drain_started_ns) / 1e9,
		    health_drain_end_name(health->drain_end), left);
	}
}

static void
service_stop_activity(struct service *service)
{
	struct loop *loop = service->supervisor->loop;

	loop_timer_cancel(loop, &service->round_timer);
	loop_timer_cancel(loop, &service->wake_timer);
	loop_timer_cancel(loop, &service->count_timer);
	for (size_t c = 0; c < service->check_count; c++)
		check_cancel(&service->checks[c]);
	service->round_running = false;
}

/* Log, notify and arm timers after health.c acted (see the DOC above). */
static void
service_settle(struct service *service, enum health_state old_state,
    const struct service_config *old_config,
    const struct announce_attributes *old_announcement, bool force)
{
	struct supervisor *supervisor = service->supervisor;
	struct loop *loop = supervisor->loop;
	uint64_t now = loop_now_ns(loop);
	const struct announce_attributes *announcement =
	    supervisor_announcement(service);
	enum health_state state = service->health.state;
	uint64_t wake;

	if (service->health.events & HEALTH_EVENT_DRAIN_STARTED) {
		service->last_count = -1;
		service->last_progress_log_ns = now;
	}
	service_log_events(service, now);
	service->health.events = 0;
	if (state != old_state) {
		log_info("service %s: %s -> %s (%s)", service->config->name,
		    health_state_name(old_state), health_state_name(state),
		    service->reason);
		service->state_since_ns = now;
	}
	if ((force || state != old_state || announcement != old_announcement) &&
	    supervisor->on_change != NULL) {
		struct supervisor_change change = {
			.old_state = old_state,
			.old_config = old_config,
			.old_announcement = old_announcement,
			.announcement = announcement,
		};
		supervisor->on_change(supervisor, service, &change,
		    supervisor->on_change_arg);
	}

	if (state == HEALTH_STOPPED) {
		service_stop_activity(service);
		service->dead = true;
		loop_timer_arm(loop, &supervisor->reap_timer, now);
		return;
	}
	wake = health_next_wake_ns(&service->health);
	if (wake != 0)
		loop_timer_arm(loop, &service->wake_timer, wake);
	else
		loop_timer_cancel(loop, &service->wake_timer);
	if (state == HEALTH_DRAINING && service->config->drain.has_connections) {
		if (!service->count_pending &&
		    !loop_timer_armed(&service->count_timer))
			loop_timer_arm(loop, &service->count_timer, now);
	} else
		loop_timer_cancel(loop, &service->count_timer);
}

/* The state and announcement before a change, for service_settle. */
struct service_before {
	enum health_state state;
	const struct service_config *config;
	const struct announce_attributes *announcement;
};

static struct service_before
service_before(const struct service *service)
{
	struct service_before before = {
		.state = service->health.state,
		.config = service->config,
		.announcement = supervisor_announcement(service),
	};
	return before;
}

static void
service_settle_after(struct service *service,
    const struct service_before *before)
{
	service_settle(service, before->state, before->config,
	    before->announcement, false);
}

/* Arm the next round relative to the start of the last one. */
static void
service_schedule_next(struct service *service)
{
	struct loop *loop = service->supervisor->loop;
	uint64_t next = service->round_started_ns + service_period_ns(service);
	uint64_t now = loop_now_ns(loop);

	if (service->dead || service->kept)
		return;
	if (next < now)
		next = now;
	loop_timer_arm(loop, &service->round_timer, next);
}

static void
service_round_finish(struct service *service)
{
	const struct service_config *config = service->config;
	struct service_before before = service_before(service);
	bool passed;

	service->round_running = false;
	passed = health_policy_passes(config->require, config->require_count,
	    service->round_passes, (unsigned)service->check_count);
	if (passed && service->round_passes == service->check_count)
		snprintf(service->reason, sizeof(service->reason),
		    "%zu of %zu checks passed", service->check_count,
		    service->check_count);
	else if (passed) {
		/* Some checks failed but the policy is met: keep the failing
		 * check's detail in the reason, it is worth seeing. */
		snprintf(service->reason, sizeof(service->reason),
		    "%u of %zu checks passed, policy met; %.400s",
		    service->round_passes, service->check_count,
		    service->round_failure);
	} else
		snprintf(service->reason, sizeof(service->reason), "%s",
		    service->round_failure);
	health_feed(&service->health, passed,
	    loop_now_ns(service->supervisor->loop));
	service_settle_after(service, &before);
	service_schedule_next(service);
}

static void
service_check_done(struct check *check, enum check_result result,
    const char *detail, uint64_t duration_ns, void *arg)
{
	struct service *service = arg;
	size_t index = (size_t)(check - service->checks);
	enum check_result previous = service->last_results[index];

	if (result == CHECK_RESULT_PASS)
		service->round_passes++;
	else if (service->round_failure[0] == '\0') {
		/* The first failure of the round names the round. */
		snprintf(service->round_failure, sizeof(service->round_failure),
		    "check %s: %s, %s (%.1f ms)", check->config->description,
		    check_result_name(result), detail,
		    clock_ns_to_ms(duration_ns));
	}
	if (result != previous)
		log_info("service %s: check %s: %s -> %s: %s (%.1f ms)",
		    service->config->name, check->config->description,
		    previous == CHECK_RESULT_COUNT ? "unknown" :
		    check_result_name(previous), check_result_name(result),
		    detail, clock_ns_to_ms(duration_ns));
	else
		log_debug("service %s: check %s: %s: %s (%.1f ms)",
		    service->config->name, check->config->description,
		    check_result_name(result), detail,
		    clock_ns_to_ms(duration_ns));
	service->last_results[index] = result;

	if (--service->round_outstanding == 0)
		service_round_finish(service);
}

static bool
service_maintenance_file_present(const struct service *service)
{
	struct stat st;

	if (service->config->maintenance_file == NULL)
		return false;
	if (stat(service->config->maintenance_file, &st) == 0)
		return true;
	if (errno != ENOENT && errno != ENOTDIR)
		log_warn("service %s: cannot stat maintenance file %s; "
		    "treating it as absent", service->config->name,
		    service->config->maintenance_file);
	return false;
}

/* Apply the maintenance file and operator request to the state. */
static void
service_apply_maintenance(struct service *service)
{
	bool wanted = service->maintenance_file_present ||
	    service->maintenance_requested;
	struct service_before before;

	if (wanted == service->health.maintenance)
		return;
	before = service_before(service);
	health_set_maintenance(&service->health, wanted,
	    loop_now_ns(service->supervisor->loop), service_drain_ns(service));
	service_settle_after(service, &before);
}

static void
service_round_start(struct loop *loop, void *arg)
{
	struct service *service = arg;
	bool present = service_maintenance_file_present(service);

	service->round_started_ns = loop_now_ns(loop);
	if (present != service->maintenance_file_present) {
		service->maintenance_file_present = present;
		snprintf(service->reason, sizeof(service->reason),
		    "maintenance file %s %s", service->config->maintenance_file,
		    present ? "appeared" : "removed");
		service_apply_maintenance(service);
		if (service->dead)
			return;
	}
	if (service->health.state == HEALTH_DISABLED) {
		service_schedule_next(service);
		return;
	}

	service->round_running = true;
	service->round_passes = 0;
	service->round_outstanding = (unsigned)service->check_count;
	service->round_failure[0] = '\0';
	/* Checks may complete synchronously (file checks, immediate errors),
	 * so count them all as outstanding before starting any. */
	for (size_t i = 0; i < service->check_count; i++)
		check_start(&service->checks[i]);
}

/* The hold-down ended or the drain's time bound came. */
static void
service_wake(struct loop *loop, void *arg)
{
	struct service *service = arg;
	struct service_before before = service_before(service);

	if (health_held_down(&service->health))
		snprintf(service->reason, sizeof(service->reason),
		    "hold-down served");
	else
		snprintf(service->reason, sizeof(service->reason),
		    "drain time bound of %g s reached",
		    service->config->drain.seconds);
	health_tick(&service->health, loop_now_ns(loop));
	service_settle_after(service, &before);
	/* After a hold-down the next rounds come at the normal pace. */
	if (!service->dead && !service->round_running)
		service_schedule_next(service);
}

static void
service_count_done(long count, void *arg)
{
	struct service *service = arg;
	struct supervisor *supervisor = service->supervisor;
	uint64_t now = loop_now_ns(supervisor->loop);
	const struct drain_config *drain = &service->config->drain;
	struct service_before before;

	service->count_pending = false;
	if (service->dead) {
		loop_timer_arm(supervisor->loop, &supervisor->reap_timer, now);
		return;
	}
	if (service->health.state != HEALTH_DRAINING)
		return;
	if (count < 0)
		log_warnx("service %s: cannot count connections; the drain "
		    "goes on until its time bound", service->config->name);
	else
		service->last_count = count;
	if (count >= 0 &&
	    now - service->last_progress_log_ns >= SERVICE_PROGRESS_LOG_NS) {
		uint64_t deadline = service->health.drain_deadline_ns;
		service->last_progress_log_ns = now;
		log_info("drain of %s: %ld connection%s left, %.0f s left",
		    service->config->name, count, count == 1 ? "" : "s",
		    deadline > now ? (double)(deadline - now) / 1e9 : 0.0);
	}
	before = service_before(service);
	snprintf(service->reason, sizeof(service->reason),
	    "%ld connection%s left, at most %ld wanted", count,
	    count == 1 ? "" : "s", drain->connections_max);
	health_drain_connections(&service->health, count,
	    drain->connections_max);
	service_settle_after(service, &before);
	if (service->health.state == HEALTH_DRAINING)
		loop_timer_arm(supervisor->loop, &service->count_timer,
		    now + SERVICE_COUNT_PERIOD_NS);
}

static void
service_count_start(struct loop *loop, void *arg)
{
	struct service *service = arg;
	struct supervisor *supervisor = service->supervisor;
	const struct drain_config *drain = &service->config->drain;

	if (service->health.state != HEALTH_DRAINING || service->count_pending)
		return;
	if (supervisor->conn_counter.start == NULL) {
		if (!supervisor->warned_no_counter)
			log_warnx("no connection counter in this program; "
			    "drains end at their time bound");
		supervisor->warned_no_counter = true;
		return;
	}
	service->count_pending = true;
	if (supervisor->conn_counter.start(supervisor->conn_counter.counter,
	    service->config->prefixes, service->config->prefix_count,
	    drain->ports, drain->port_count, service_count_done,
	    service) != 0) {
		service->count_pending = false;
		log_warnx("service %s: cannot start counting connections",
		    service->config->name);
		loop_timer_arm(loop, &service->count_timer,
		    loop_now_ns(loop) + SERVICE_COUNT_PERIOD_NS);
	}
}

static void
service_build_checks(struct service *service)
{
	const struct service_config *config = service->config;
	struct supervisor *supervisor = service->supervisor;

	service->checks_ref = service->config_ref;
	service->checks_ref->users++;
	service->check_count = config->check_count;
	service->checks = xcalloc(service->check_count, sizeof(struct check));
	service->last_results = xcalloc(service->check_count,
	    sizeof(enum check_result));
	for (size_t c = 0; c < service->check_count; c++) {
		check_init(&service->checks[c], &config->checks[c],
		    &supervisor->environment, service_check_done, service);
		service->last_results[c] = CHECK_RESULT_COUNT;
	}
}

static void
service_free_checks(struct service *service)
{
	for (size_t c = 0; c < service->check_count; c++)
		check_cancel(&service->checks[c]);
	free(service->checks);
	free(service->last_results);
	service->checks = NULL;
	service->last_results = NULL;
	service->check_count = 0;
	if (service->checks_ref != NULL)
		supervisor_ref_release(service->supervisor,
		    service->checks_ref);
	service->checks_ref = NULL;
}

static struct service *
service_new(struct supervisor *supervisor, const struct service_config *config,
    struct supervisor_config_ref *ref, uint64_t first_round_delay_ns)
{
	struct service *service = xcalloc(1, sizeof(*service));
	struct health_params params;

	service->config = config;
	service->config_ref = ref;
	ref->users++;
	service->supervisor = supervisor;
	service_health_params(config, &params);
	health_init_params(&service->health, &params);
	service_build_checks(service);
	service->last_count = -1;
	snprintf(service->reason, sizeof(service->reason), "started");
	service->state_since_ns = loop_now_ns(supervisor->loop);
	loop_timer_init(&service->round_timer, service_round_start, service);
	loop_timer_init(&service->wake_timer, service_wake, service);
	loop_timer_init(&service->count_timer, service_count_start, service);
	loop_timer_arm_in(supervisor->loop, &service->round_timer,
	    first_round_delay_ns);
	return service;
}

static void
service_free(struct service *service)
{
	service_stop_activity(service);
	service_free_checks(service);
	supervisor_ref_release(service->supervisor, service->config_ref);
	free(service);
}

/* Free stopped services and finish an exit once every service is done. */
static void
supervisor_reap(struct loop *loop, void *arg)
{
	struct supervisor *supervisor = arg;
	size_t kept = 0;
	bool busy = false;

	(void)loop;
	for (size_t i = 0; i < supervisor->service_count; i++) {
		struct service *service = supervisor->services[i];
		if (service->dead && !service->count_pending) {
			service_free(service);
			continue;
		}
		if (!service->dead && !service->kept)
			busy = true;
		supervisor->services[kept++] = service;
	}
	supervisor->service_count = kept;
	if (supervisor->stopping && !busy && supervisor->on_stopped != NULL) {
		supervisor_stopped_callback stopped = supervisor->on_stopped;
		supervisor->on_stopped = NULL;
		log_info("every service is stopped");
		stopped(supervisor, supervisor->on_stopped_arg);
	}
}

void
supervisor_init(struct supervisor *supervisor, struct loop *loop,
    const struct config *config, supervisor_change_callback on_change,
    void *on_change_arg)
{
	memset(supervisor, 0, sizeof(*supervisor));
	supervisor->loop = loop;
	supervisor->environment.loop = loop;
	supervisor->config = config;
	supervisor->on_change = on_change;
	supervisor->on_change_arg = on_change_arg;
	supervisor->config_ref = supervisor_ref_new(supervisor, config, NULL);
	loop_timer_init(&supervisor->reap_timer, supervisor_reap, supervisor);
	supervisor->service_count = config->service_count;
	supervisor->services = xcalloc(config->service_count,
	    sizeof(*supervisor->services));
	for (size_t i = 0; i < config->service_count; i++) {
		/* Spread the first rounds evenly over one interval: rounds
		 * then repeat at a fixed rate, so this keeps 1 000 services
		 * from running 1 000 checks (sockets, curl handles, memory)
		 * at once every second. One service starts at once. */
		uint64_t interval = clock_seconds_to_ns(
		    config->services[i].timing.interval);
		uint64_t offset = (uint64_t)((double)interval *
		    (double)i / (double)config->service_count);
		supervisor->services[i] = service_new(supervisor,
		    &config->services[i], supervisor->config_ref, offset);
	}
}

void
supervisor_cleanup(struct supervisor *supervisor)
{
	for (size_t i = 0; i < supervisor->service_count; i++)
		service_free(supervisor->services[i]);
	free(supervisor->services);
	supervisor->services = NULL;
	supervisor->service_count = 0;
	loop_timer_cancel(supervisor->loop, &supervisor->reap_timer);
	if (supervisor->config_ref != NULL)
		supervisor_ref_release(supervisor, supervisor->config_ref);
	supervisor->config_ref = NULL;
	check_environment_cleanup(&supervisor->environment);
}

/* Find a current (not removed) service by name. */
struct service *
supervisor_find(const struct supervisor *supervisor, const char *name)
{
	for (size_t i = 0; i < supervisor->service_count; i++) {
		struct service *service = supervisor->services[i];
		if (!service->removed && !service->dead &&
		    strcmp(service->config->name, name) == 0)
			return service;
	}
	return NULL;
}

/* Point service at a config from another ref (its checks keep theirs). */
static void
service_move_config(struct service *service,
    const struct service_config *config, struct supervisor_config_ref *ref)
{
	struct supervisor_config_ref *old = service->config_ref;

	service->config = config;
	service->config_ref = ref;
	ref->users++;
	supervisor_ref_release(service->supervisor, old);
}

/* A changed service: new checks and parameters, same state. */
static void
service_reconfigure(struct service *service,
    const struct service_config *config, struct supervisor_config_ref *ref)
{
	struct service_before before = service_before(service);
	struct health_params params;

	service_stop_activity(service);
	service_free_checks(service);
	service_move_config(service, config, ref);
	service_build_checks(service);
	service_health_params(config, &params);
	health_set_params(&service->health, &params);
	service->health.events = 0;
	snprintf(service->reason, sizeof(service->reason),
	    "config changed by a reload");
	service_settle(service, before.state, before.config,
	    before.announcement, true);
	if (!service->dead && !service->kept)
		loop_timer_arm(service->supervisor->loop, &service->round_timer,
		    loop_now_ns(service->supervisor->loop));
}

static void
service_leave(struct service *service, enum health_drain_reason reason,
    uint64_t drain_ns, const char *why)
{
	struct service_before before = service_before(service);

	snprintf(service->reason, sizeof(service->reason), "%s", why);
	health_stop(&service->health, reason,
	    loop_now_ns(service->supervisor->loop), drain_ns);
	service_settle_after(service, &before);
}

int
supervisor_reload(struct supervisor *supervisor, struct config *new_config)
{
	struct config_diff_entry *diff;
	struct supervisor_config_ref *old_ref = supervisor->config_ref;
	struct supervisor_config_ref *new_ref;
	struct service **services, **removed;
	size_t count, current = 0, removed_count = 0;
	size_t tally[4] = { 0, 0, 0, 0 };

	if (supervisor->stopping) {
		log_warnx("reload ignored: stopping");
		config_free(new_config);
		return -1;
	}
	count = config_diff(supervisor->config, new_config, &diff);
	new_ref = supervisor_ref_new(supervisor, new_config, new_config);
	services = xcalloc(count + supervisor->service_count + 1,
	    sizeof(*services));
	removed = xcalloc(count + 1, sizeof(*removed));

	for (size_t i = 0; i < count; i++) {
		const struct config_diff_entry *entry = &diff[i];
		struct service *service = NULL;

		tally[entry->change]++;
		if (entry->old_service != NULL)
			service = supervisor_find(supervisor,
			    entry->old_service->name);
		switch (entry->change) {
		case CONFIG_SERVICE_UNCHANGED:
			service_move_config(service, entry->new_service,
			    new_ref);
			services[current++] = service;
			break;
		case CONFIG_SERVICE_CHANGED:
			log_info("service %s: changed by the reload",
			    service->config->name);
			service_reconfigure(service, entry->new_service,
			    new_ref);
			services[current++] = service;
			break;
		case CONFIG_SERVICE_ADDED:
			/* A service of that name removed earlier and still
			 * draining withdraws now, before the new one starts. */
			for (size_t j = 0; j < supervisor->service_count; j++) {
				struct service *old = supervisor->services[j];
				if (old->removed && !old->dead &&
				    strcmp(old->config->name,
				    entry->new_service->name) == 0)
					service_leave(old, HEALTH_DRAIN_REMOVED,
					    0, "added again by a reload");
			}
			log_info("service %s: added by the reload",
			    entry->new_service->name);
			services[current++] = service_new(supervisor,
			    entry->new_service, new_ref, 0);
			break;
		case CONFIG_SERVICE_REMOVED:
			service->removed = true;
			removed[removed_count++] = service;
			break;
		}
	}
	/* Then the removed services, old and new, until they are gone. */
	for (size_t i = 0; i < supervisor->service_count; i++)
		if (supervisor->services[i]->removed)
			services[current++] = supervisor->services[i];
	free(supervisor->services);
	supervisor->services = services;
	supervisor->service_count = current;
	supervisor->config = new_config;
	supervisor->config_ref = new_ref;

	for (size_t i = 0; i < removed_count; i++)
		service_leave(removed[i], HEALTH_DRAIN_REMOVED,
		    service_drain_ns(removed[i]), "removed by a reload");
	/* The old config lives on while removed services drain with it. */
	supervisor_ref_release(supervisor, old_ref);
	log_info("reloaded %s: %zu unchanged, %zu changed, %zu added, "
	    "%zu removed", new_config->path != NULL ? new_config->path :
	    "the config", tally[CONFIG_SERVICE_UNCHANGED],
	    tally[CONFIG_SERVICE_CHANGED], tally[CONFIG_SERVICE_ADDED],
	    tally[CONFIG_SERVICE_REMOVED]);
	free(removed);
	free(diff);
	return 0;
}

int
supervisor_set_maintenance(struct supervisor *supervisor, const char *name,
    bool on, const char *reason)
{
	struct service *service = supervisor_find(supervisor, name);

	if (service == NULL || service->kept)
		return -1;
	service->maintenance_requested = on;
	snprintf(service->reason, sizeof(service->reason),
	    "maintenance %s by request: %s", on ? "on" : "off", reason);
	log_info("service %s: %s", name, service->reason);
	service_apply_maintenance(service);
	/* Out of DISABLED: check again now rather than after interval. */
	if (service->health.state == HEALTH_INIT && !service->round_running)
		loop_timer_arm(supervisor->loop, &service->round_timer,
		    loop_now_ns(supervisor->loop));
	return 0;
}

void
supervisor_shutdown(struct supervisor *supervisor, bool immediate,
    supervisor_stopped_callback stopped, void *arg)
{
	bool again = supervisor->stopping;

	supervisor->stopping = true;
	if (!again || supervisor->on_stopped != NULL) {
		supervisor->on_stopped = stopped;
		supervisor->on_stopped_arg = arg;
	}
	if (again)
		log_info("stopping again: every drain ends now");
	for (size_t i = 0; i < supervisor->service_count; i++) {
		struct service *service = supervisor->services[i];
		const struct service_config *config = service->config;
		uint64_t drain_ns = 0;

		if (service->dead || service->kept)
			continue;
		if (config->on_exit == ON_EXIT_KEEP && !service->removed) {
			service->kept = true;
			service_stop_activity(service);
			log_info("service %s: on_exit keep: leaving it as it "
			    "is (%s)", config->name,
			    supervisor_announcement(service) != NULL ?
			    "announced" : "withdrawn");
			continue;
		}
		if (!immediate && !again && (config->drain_on_exit ||
		    service->removed))
			drain_ns = service_drain_ns(service);
		service_leave(service, HEALTH_DRAIN_EXIT, drain_ns,
		    "anycheck is stopping");
	}
	loop_timer_arm(supervisor->loop, &supervisor->reap_timer,
	    loop_now_ns(supervisor->loop));
}

void
supervisor_log_state(const struct supervisor *supervisor)
{
	uint64_t now = loop_now_ns(supervisor->loop);

	log_info("state of %zu service%s:", supervisor->service_count,
	    supervisor->service_count == 1 ? "" : "s");
	for (size_t i = 0; i < supervisor->service_count; i++) {
		const struct service *service = supervisor->services[i];
		const struct health *health = &service->health;
		char announcement[160], extra[200] = "";

		service_describe_announcement(service, announcement,
		    sizeof(announcement));
		if (health_held_down(health)) {
			uint64_t end = health_hold_end_ns(health);
			snprintf(extra, sizeof(extra), "; held down %g s, "
			    "%.1f s left (%u DOWNs in %g s)",
			    (double)health->hold_ns / 1e9,
			    end > now ? (double)(end - now) / 1e9 : 0.0,
			    health->flap_count,
			    service->config->timing.flap_window);
		} else if (health->state == HEALTH_DRAINING) {
			uint64_t end = health->drain_deadline_ns;
			char count[48] = "";
			if (service->last_count >= 0)
				snprintf(count, sizeof(count),
				    ", %ld connection%s left",
				    service->last_count,
				    service->last_count == 1 ? "" : "s");
			snprintf(extra, sizeof(extra), "; draining (%s) "
			    "for %.1f s, %.1f s left%s",
			    health_drain_reason_name(health->drain_reason),
			    (double)(now - health->drain_started_ns) / 1e9,
			    end > now ? (double)(end - now) / 1e9 : 0.0,
			    count);
		} else if (health->hold_ns > 0)
			snprintf(extra, sizeof(extra), "; next UP needs %g s "
			    "healthy (%u DOWNs in %g s)",
			    (double)health->hold_ns / 1e9, health->flap_count,
			    service->config->timing.flap_window);
		log_info("service %s: %s for %.1f s%s%s, passes %u, failures "
		    "%u, %s%s; last: %s", service->config->name,
		    health_state_name(health->state),
		    (double)(now - service->state_since_ns) / 1e9,
		    service->removed ? " (removed)" : "",
		    service->kept ? " (kept)" : "",
		    health->consecutive_passes, health->consecutive_failures,
		    announcement, extra, service->reason);
	}
}
