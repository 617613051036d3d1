/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor: services, rounds, maintenance, drains and the exit
 *
 * Rounds are scheduled at a fixed rate from the start of the previous round
 * (interval, or fast_interval while the state is changing), so a slow check
 * delays the next round only when the round itself overruns. The
 * maintenance file is looked at before each round; while it (or an
 * operator request) is in force the service drains, then is DISABLED and no
 * checks run.
 *
 * Every change goes through the same steps: remember the state and the
 * announcement (service_before), let health.c act, then service_settle()
 * logs what happened, tells the owner when the state or the announcement
 * changed, and arms the timers the new state needs (hold-down end, drain
 * deadline, the connection count). A service that reaches STOPPED (exit,
 * removal by a reload) is freed later from reap_timer, never inside a
 * callback.
 *
 * A round ends in a verdict (health_round_verdict): a pass, a failure of
 * global checks only, a local failure, or undecided when checks that could
 * not run might change it (then the state stands). While only global
 * checks fail, a service with a last_resort is DEGRADED, announced with it,
 * and the transition's log line says so and names them.
 *
 * Drains that end on a connection count are counted together: one tick
 * every SUPERVISOR_COUNT_PERIOD_NS asks the counter once for every draining
 * service, so five services draining at once are each counted every tick.
 *
 * Every time here is the loop's (loop_now_ns), so tests can run the
 * supervisor on a virtual clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"
#include "supervisor_internal.h"

static void service_round_start(struct loop *loop, void *arg);
static void service_wake(struct loop *loop, void *arg);
static void supervisor_count_tick(struct loop *loop, void *arg);

struct supervisor_config_ref *
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

void
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

void
service_health_params(const struct service_config *config,
    struct health_params *params)
{
	params->rise = config->timing.rise;
	params->fall = config->timing.fall;
	params->hold_down_ns = clock_seconds_to_ns(config->timing.hold_down);
	params->flap_window_ns = clock_seconds_to_ns(config->timing.flap_window);
	params->hold_down_max_ns =
	    clock_seconds_to_ns(config->timing.hold_down_max);
	params->drain_min_ns = clock_seconds_to_ns(config->drain.min_seconds);
	params->last_resort = config->last_resort.announced;
}

uint64_t
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
		return service->shifted ? &service->shift_announce :
		    &config->announce;
	case HEALTH_DEGRADED:
		/* Only with a last_resort (health.c): the UP set otherwise,
		 * as DEGRADED is an announced state. */
		return config->last_resort.announced ?
		    &config->last_resort.attributes : &config->announce;
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
		    (double)(now - health->local_streak_start_ns) / 1e9);
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

void
service_stop_activity(struct service *service)
{
	struct loop *loop = service->supervisor->loop;

	loop_timer_cancel(loop, &service->round_timer);
	loop_timer_cancel(loop, &service->wake_timer);
	for (size_t c = 0; c < service->check_count; c++)
		check_cancel(&service->checks[c]);
	service->round_running = false;
}

static bool
service_counts_connections(const struct service *service)
{
	return !service->dead && service->health.state == HEALTH_DRAINING &&
	    service->config->drain.has_connections;
}

void
service_settle(struct service *service, const struct service_before *before,
    bool force)
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
	if (state != before->state) {
		log_info("service %s: %s -> %s (%s)", service->config->name,
		    health_state_name(before->state), health_state_name(state),
		    service->reason);
		service->state_since_ns = now;
	}
	if ((force || state != before->state ||
	    announcement != before->announcement) &&
	    supervisor->on_change != NULL) {
		struct supervisor_change change = {
			.old_state = before->state,
			.old_config = before->config,
			.old_announcement = before->announcement,
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
	/* A drain that just started is counted at once; the tick then
	 * counts every draining service together. */
	if (service_counts_connections(service) && supervisor->count_size == 0 &&
	    !loop_timer_armed(&supervisor->count_timer))
		loop_timer_arm(loop, &supervisor->count_timer, now);
}

struct service_before
service_before(const struct service *service)
{
	struct service_before before = {
		.state = service->health.state,
		.config = service->config,
		.announcement = supervisor_announcement(service),
	};
	return before;
}

/* Arm the next round relative to the start of the last one. */
static void
service_schedule_next(struct service *service)
{
	struct loop *loop = service->supervisor->loop;
	uint64_t period = service_period_ns(service);
	uint64_t fast = clock_seconds_to_ns(service->config->timing.fast_interval);
	uint64_t next, now = loop_now_ns(loop);

	if (service->dead || service->kept)
		return;
	/* An event asked for a round: the next one comes fast_interval after
	 * this one's start at the latest. */
	if (service->round_soon && fast < period)
		period = fast;
	service->round_soon = false;
	next = service->round_started_ns + period;
	if (next < now)
		next = now;
	loop_timer_arm(loop, &service->round_timer, next);
}

static void
service_round_finish(struct service *service)
{
	const struct service_config *config = service->config;
	struct service_before before = service_before(service);
	unsigned checks = (unsigned)service->check_count;
	struct health_round round = {
		.total = checks,
		.passes = service->round_passes,
		.failures_local = service->round_failures_local,
		.failures_global = service->round_failures_global,
		.unknown_local = service->round_local_errors -
		    service->round_local_errors_global,
		.unknown_global = service->round_local_errors_global,
	};
	enum health_verdict verdict;
	bool passed;

	service->round_running = false;
	service->rounds++;
	if (service->round_stale) {
		log_debug("service %s: round not counted: an event changed "
		    "the state while it ran", config->name);
		service_schedule_next(service);
		return;
	}
	if (service->round_failures_omitted > 0) {
		size_t used = strlen(service->round_failure);
		snprintf(service->round_failure + used, SERVICE_REASON_MAX - used,
		    " (and %u more failing check%s)",
		    service->round_failures_omitted,
		    service->round_failures_omitted == 1 ? "" : "s");
	}
	/* Checks anycheck could not run say nothing about the service. The
	 * round counts only when it is decided whatever they would have
	 * said (the passes alone meet the policy, or even with them all
	 * passing it fails, and in the same scope); otherwise the state
	 * stands as it is. */
	verdict = health_round_verdict(config->require, config->require_count,
	    &round);
	passed = verdict == HEALTH_VERDICT_PASS;
	if (verdict == HEALTH_VERDICT_UNDECIDED) {
		log_debug("service %s: round not counted: %u of %u checks "
		    "could not run (local error)", config->name,
		    service->round_local_errors, checks);
		service_schedule_next(service);
		return;
	}
	if (passed && service->round_passes == service->check_count)
		snprintf(service->reason, sizeof(service->reason),
		    "%zu of %zu checks passed", service->check_count,
		    service->check_count);
	else if (passed && service->round_failure[0] == '\0')
		snprintf(service->reason, sizeof(service->reason),
		    "%u of %zu checks passed, policy met; %u could not run "
		    "(local error)", service->round_passes,
		    service->check_count, service->round_local_errors);
	else if (passed) {
		/* Some checks failed but the policy is met: keep the failing
		 * check's detail in the reason, it is worth seeing. */
		snprintf(service->reason, sizeof(service->reason),
		    "%u of %zu checks passed, policy met; %.400s",
		    service->round_passes, service->check_count,
		    service->round_failure);
	} else if (verdict == HEALTH_VERDICT_FAIL_GLOBAL)
		snprintf(service->reason, sizeof(service->reason),
		    "only global checks fail: %.440s", service->round_failure);
	else
		snprintf(service->reason, sizeof(service->reason), "%s",
		    service->round_failure);
	/* A failed round with an "immediate" local check among its failures
	 * is a certain failure: no waiting for fall rounds. */
	if (verdict == HEALTH_VERDICT_FAIL_LOCAL && service->round_certain)
		health_fail_certain(&service->health,
		    loop_now_ns(service->supervisor->loop));
	else
		health_feed_verdict(&service->health, verdict,
		    loop_now_ns(service->supervisor->loop));
	if (verdict == HEALTH_VERDICT_FAIL_GLOBAL &&
	    service->health.state == HEALTH_DEGRADED) {
		size_t used = strlen(service->reason);
		snprintf(service->reason + used, sizeof(service->reason) - used,
		    "; announcing with last_resort");
	}
	service_settle(service, &before, false);
	service_schedule_next(service);
}

/* A run anycheck could not do: counted per cause, logged once per cause
 * and minute with a count of the others (a host out of file descriptors
 * fails every check of every round), and kept out of the per-check result
 * log so that its end logs nothing. */
static void
service_check_local_error(struct service *service, struct check *check,
    const char *detail)
{
	struct supervisor *supervisor = service->supervisor;
	enum check_local_cause cause = check->local_cause;

	if ((unsigned)cause >= CHECK_LOCAL_CAUSE_COUNT)
		cause = CHECK_LOCAL_OTHER;
	service->round_local_errors++;
	if (check->config->scope == CHECK_SCOPE_GLOBAL)
		service->round_local_errors_global++;
	supervisor->local_errors[cause]++;
	log_limited(&supervisor->local_error_log[cause],
	    loop_now_ns(supervisor->loop), LOG_LEVEL_ERROR, "service %s: "
	    "check %s: anycheck could not run the check (%s): %s; rounds "
	    "that need it keep the service's state", service->config->name,
	    check->config->description, check_local_cause_name(cause),
	    detail);
	if (--service->round_outstanding == 0)
		service_round_finish(service);
}

/* Room kept at the end of round_failure for " (and N more failing
 * checks)". */
#define SERVICE_FAILURE_SUFFIX_MAX 40

/* Every failing check names the round, as many as fit; the others are
 * counted, so a transition's reason says how many failed. */
static void
service_round_add_failure(struct service *service, const struct check *check,
    enum check_result result, const char *detail, uint64_t duration_ns)
{
	char *failure = service->round_failure;
	size_t used = strlen(failure);
	char entry[SERVICE_REASON_MAX];
	int length;

	if (check->config->scope == CHECK_SCOPE_GLOBAL)
		service->round_failures_global++;
	else
		service->round_failures_local++;
	length = snprintf(entry, sizeof(entry), "check %s%s: %s, %s (%.1f ms)",
	    check->config->description,
	    check->config->scope == CHECK_SCOPE_GLOBAL ? " (global)" : "",
	    check_result_name(result), detail, clock_ns_to_ms(duration_ns));
	if (used == 0) {
		snprintf(failure, SERVICE_REASON_MAX, "%s", entry);
		return;
	}
	if (length < 0 || used + 2 + (size_t)length >= SERVICE_REASON_MAX -
	    SERVICE_FAILURE_SUFFIX_MAX) {
		service->round_failures_omitted++;
		return;
	}
	/* It fits (checked above). */
	memcpy(failure + used, "; ", 2);
	memcpy(failure + used + 2, entry, (size_t)length + 1);
}

static void
service_check_done(struct check *check, enum check_result result,
    const char *detail, uint64_t duration_ns, void *arg)
{
	struct service *service = arg;
	struct supervisor *supervisor = service->supervisor;
	size_t index = (size_t)(check - service->checks);
	struct service_check_last *last = &service->last[index];
	enum check_result previous = last->result;

	if (supervisor->on_check != NULL) {
		struct supervisor_check_run run = {
			.check_index = index,
			.check = check->config,
			.result = result,
			.detail = detail,
			.duration_ns = duration_ns,
		};
		supervisor->on_check(supervisor, service, &run,
		    supervisor->on_check_arg);
	}
	if (result == CHECK_RESULT_LOCAL_ERROR) {
		service_check_local_error(service, check, detail);
		return;
	}
	if (result == CHECK_RESULT_PASS)
		service->round_passes++;
	else {
		service_round_add_failure(service, check, result, detail,
		    duration_ns);
		if (check->config->immediate &&
		    check->config->scope == CHECK_SCOPE_LOCAL)
			service->round_certain = true;
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
	last->result = result;
	last->duration_ns = duration_ns;
	last->ended_ns = loop_now_ns(supervisor->loop);
	snprintf(last->detail, sizeof(last->detail), "%s", detail);

	if (--service->round_outstanding == 0)
		service_round_finish(service);
}

/* Run a round soon after an event: at once when none ran for
 * fast_interval, else fast_interval after the last one's start (so a burst
 * of events costs one round per fast_interval at most), or right after the
 * round in progress. */
static void
service_round_soon(struct service *service)
{
	struct loop *loop = service->supervisor->loop;
	uint64_t next = service->round_started_ns +
	    clock_seconds_to_ns(service->config->timing.fast_interval);

	if (service->dead || service->kept ||
	    service->health.state == HEALTH_DISABLED)
		return;
	if (service->round_running) {
		service->round_soon = true;
		return;
	}
	if (next < loop_now_ns(loop))
		next = loop_now_ns(loop);
	if (!loop_timer_armed(&service->round_timer) ||
	    service->round_timer.deadline_ns > next)
		loop_timer_arm(loop, &service->round_timer, next);
}

/* Would the service's policy fail with check index failing and the others
 * as their last runs left them? Then a failure event decides the round
 * before it runs. */
static bool
service_event_fails_policy(const struct service *service, size_t index)
{
	const struct service_config *config = service->config;
	unsigned passes = 0;

	for (size_t c = 0; c < service->check_count; c++)
		if (c != index && service->last[c].result == CHECK_RESULT_PASS)
			passes++;
	return !health_policy_passes(config->require, config->require_count,
	    passes, (unsigned)service->check_count);
}

/* A watch reported: a failure became certain, or is over. An "immediate"
 * check's failure that fails the policy takes the service DOWN now (a
 * round running meanwhile saw the world before it, so it does not count),
 * and the rounds go on at their pace; any other event runs a round soon. */
static void
service_check_event(struct check *check, enum check_result result,
    const char *detail, void *arg)
{
	struct service *service = arg;
	struct loop *loop = service->supervisor->loop;
	size_t index = (size_t)(check - service->checks);
	struct service_check_last *last = &service->last[index];
	struct service_before before;

	if (service->dead || service->kept)
		return;
	log_info("service %s: check %s: event: %s", service->config->name,
	    check->config->description, detail);
	/* A global check's failure is no certain local one: its scope
	 * decides in the next round (DEGRADED with a last resort). */
	if (result == CHECK_RESULT_PASS || !check->config->immediate ||
	    check->config->scope != CHECK_SCOPE_LOCAL ||
	    !service_event_fails_policy(service, index) ||
	    service->health.state == HEALTH_DISABLED) {
		service_round_soon(service);
		return;
	}
	last->result = result;
	last->duration_ns = 0;
	last->ended_ns = loop_now_ns(loop);
	snprintf(last->detail, sizeof(last->detail), "%s", detail);
	before = service_before(service);
	snprintf(service->reason, sizeof(service->reason),
	    "check %s: %s (immediate)", check->config->description, detail);
	if (service->round_running)
		service->round_stale = true;
	health_fail_certain(&service->health, loop_now_ns(loop));
	service_settle(service, &before, false);
}

unsigned long
supervisor_local_errors(const struct supervisor *supervisor,
    enum check_local_cause cause)
{
	if ((unsigned)cause >= CHECK_LOCAL_CAUSE_COUNT)
		return 0;
	return supervisor->local_errors[cause];
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
	service_settle(service, &before, false);
}

/* New checks from the current config, keeping what the last runs said
 * (the config is the same but for where it lives). */
static void
service_rebuild_checks(struct service *service)
{
	struct service_check_last *last = service->last;
	size_t count = service->check_count;

	service->last = NULL;
	service_free_checks(service);
	service_build_checks(service);
	if (service->check_count == count)
		memcpy(service->last, last, count * sizeof(*last));
	free(last);
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
	/* Checks an unchanged service kept across a reload still point into
	 * the config they were built from, which keeps that whole config
	 * alive: between rounds, rebuild them from the current one. */
	if (service->checks_ref != service->config_ref && !service->round_running)
		service_rebuild_checks(service);
	if (service->health.state == HEALTH_DISABLED) {
		service_schedule_next(service);
		return;
	}

	service->round_running = true;
	service->round_passes = 0;
	service->round_local_errors = 0;
	service->round_failures_local = 0;
	service->round_failures_global = 0;
	service->round_local_errors_global = 0;
	service->round_outstanding = (unsigned)service->check_count;
	service->round_failure[0] = '\0';
	service->round_failures_omitted = 0;
	service->round_certain = false;
	service->round_stale = false;
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
	service_settle(service, &before, false);
	/* After a hold-down the next rounds come at the normal pace. */
	if (!service->dead && !service->round_running)
		service_schedule_next(service);
}

/* Apply one drain's connection count (-1: it could not be counted). */
static void
service_count_done(struct service *service, long count)
{
	struct supervisor *supervisor = service->supervisor;
	uint64_t now = loop_now_ns(supervisor->loop);
	const struct drain_config *drain = &service->config->drain;
	struct service_before before;

	if (count < 0) {
		/* Once until a count works again, not every 0.5 s. */
		if (!service->count_failure_logged)
			log_warnx("service %s: cannot count connections; the "
			    "drain goes on until its time bound",
			    service->config->name);
		service->count_failure_logged = true;
		return;
	}
	service->count_failure_logged = false;
	service->last_count = count;
	if (now - service->last_progress_log_ns >= SUPERVISOR_PROGRESS_LOG_NS) {
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
	    drain->connections_max, now);
	service_settle(service, &before, false);
}

/* Free what the count that just ended held. */
static void
supervisor_count_release(struct supervisor *supervisor)
{
	for (size_t i = 0; i < supervisor->count_size; i++) {
		struct service *service = supervisor->count_services[i];
		service->count_pending = false;
		/* The config the query pointed into may go now. */
		supervisor_ref_release(supervisor, service->config_ref);
	}
	free(supervisor->count_services);
	free(supervisor->count_queries);
	supervisor->count_services = NULL;
	supervisor->count_queries = NULL;
	supervisor->count_size = 0;
}

/* Count again in one period if any service still drains by connections. */
static void
supervisor_count_rearm(struct supervisor *supervisor)
{
	for (size_t i = 0; i < supervisor->service_count; i++)
		if (service_counts_connections(supervisor->services[i])) {
			loop_timer_arm(supervisor->loop,
			    &supervisor->count_timer,
			    loop_now_ns(supervisor->loop) +
			    SUPERVISOR_COUNT_PERIOD_NS);
			return;
		}
}

static void
supervisor_count_done(int status, void *arg)
{
	struct supervisor *supervisor = arg;
	size_t size = supervisor->count_size;
	struct service **services = supervisor->count_services;
	struct conn_count_query *queries = supervisor->count_queries;

	/* Apply first (a service may stop and be reaped later), then let go
	 * of the refs that kept the queried prefixes alive. */
	supervisor->count_size = 0;
	for (size_t i = 0; i < size; i++) {
		struct service *service = services[i];
		service->count_pending = false;
		if (service_counts_connections(service))
			service_count_done(service,
			    status == 0 ? queries[i].count : -1);
	}
	supervisor->count_size = size;
	supervisor_count_release(supervisor);
	loop_timer_arm(supervisor->loop, &supervisor->reap_timer,
	    loop_now_ns(supervisor->loop));
	supervisor_count_rearm(supervisor);
}

static void
supervisor_count_tick(struct loop *loop, void *arg)
{
	struct supervisor *supervisor = arg;
	size_t size = 0;

	if (supervisor->count_size != 0)
		return;         /* the running count re-arms when done */
	if (supervisor->conn_counter.start == NULL) {
		if (!supervisor->warned_no_counter)
			log_warnx("no connection counter in this program; "
			    "drains end at their time bound");
		supervisor->warned_no_counter = true;
		return;
	}
	for (size_t i = 0; i < supervisor->service_count; i++)
		if (service_counts_connections(supervisor->services[i]))
			size++;
	if (size == 0)
		return;
	supervisor->count_services = xcalloc(size,
	    sizeof(*supervisor->count_services));
	supervisor->count_queries = xcalloc(size,
	    sizeof(*supervisor->count_queries));
	for (size_t i = 0, n = 0; i < supervisor->service_count; i++) {
		struct service *service = supervisor->services[i];
		const struct service_config *config = service->config;
		struct conn_count_query *query;

		if (!service_counts_connections(service))
			continue;
		query = &supervisor->count_queries[n];
		query->prefixes = config->prefixes;
		query->prefix_count = config->prefix_count;
		query->ports = config->drain.ports;
		query->port_count = config->drain.port_count;
		query->count = -1;
		service->count_pending = true;
		service->config_ref->users++;
		supervisor->count_services[n++] = service;
	}
	supervisor->count_size = size;
	if (supervisor->conn_counter.start(supervisor->conn_counter.counter,
	    supervisor->count_queries, size, supervisor_count_done,
	    supervisor) != 0) {
		supervisor_count_release(supervisor);
		if (!supervisor->warned_count_start)
			log_warnx("cannot start counting connections; "
			    "trying again every %.1f s",
			    (double)SUPERVISOR_COUNT_PERIOD_NS / 1e9);
		supervisor->warned_count_start = true;
		loop_timer_arm(loop, &supervisor->count_timer,
		    loop_now_ns(loop) + SUPERVISOR_COUNT_PERIOD_NS);
		return;
	}
	supervisor->warned_count_start = false;
}

void
service_build_checks(struct service *service)
{
	const struct service_config *config = service->config;
	struct supervisor *supervisor = service->supervisor;

	service->checks_ref = service->config_ref;
	service->checks_ref->users++;
	service->check_count = config->check_count;
	service->checks = xcalloc(service->check_count, sizeof(struct check));
	service->last = xcalloc(service->check_count + 1,
	    sizeof(*service->last));
	for (size_t c = 0; c < service->check_count; c++) {
		check_init(&service->checks[c], &config->checks[c],
		    &supervisor->environment, service_check_done, service);
		service->last[c].result = CHECK_RESULT_COUNT;
	}
	/* Once every check is in place: an event may look at them all. */
	for (size_t c = 0; c < service->check_count; c++)
		check_watch(&service->checks[c], service_check_event, service);
}

void
service_free_checks(struct service *service)
{
	for (size_t c = 0; c < service->check_count; c++) {
		check_unwatch(&service->checks[c]);
		check_cancel(&service->checks[c]);
	}
	free(service->checks);
	free(service->last);
	service->checks = NULL;
	service->last = NULL;
	service->check_count = 0;
	if (service->checks_ref != NULL)
		supervisor_ref_release(service->supervisor,
		    service->checks_ref);
	service->checks_ref = NULL;
}

struct service *
service_new(struct supervisor *supervisor, const struct service_config *config,
    struct supervisor_config_ref *ref, uint64_t first_round_delay_ns)
{
	struct service *service = xcalloc(1, sizeof(*service));
	struct health_params params;
	struct loop *loop = supervisor->loop;

	service->config = config;
	service->config_ref = ref;
	ref->users++;
	service->supervisor = supervisor;
	service_health_params(config, &params);
	health_init_params(&service->health, &params);
	service_build_checks(service);
	service->last_count = -1;
	snprintf(service->reason, sizeof(service->reason), "started");
	service->state_since_ns = loop_now_ns(loop);
	loop_timer_init(&service->round_timer, service_round_start, service);
	loop_timer_init(&service->wake_timer, service_wake, service);
	loop_timer_arm(loop, &service->round_timer,
	    loop_now_ns(loop) + first_round_delay_ns);
	return service;
}

static void
service_free(struct service *service)
{
	service_stop_activity(service);
	service_free_checks(service);
	service_shift_free(service);
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
			if (name_index_get(&supervisor->by_name,
			    service->config->name) == service)
				name_index_remove(&supervisor->by_name,
				    service->config->name);
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

struct supervisor *
supervisor_new(struct loop *loop, const struct config *config,
    supervisor_change_callback on_change, void *on_change_arg)
{
	struct supervisor *supervisor = xcalloc(1, sizeof(*supervisor));

	supervisor->loop = loop;
	supervisor->environment.loop = loop;
	supervisor->config = config;
	supervisor->on_change = on_change;
	supervisor->on_change_arg = on_change_arg;
	supervisor->config_ref = supervisor_ref_new(supervisor, config, NULL);
	loop_timer_init(&supervisor->reap_timer, supervisor_reap, supervisor);
	loop_timer_init(&supervisor->count_timer, supervisor_count_tick,
	    supervisor);
	supervisor->service_count = config->service_count;
	supervisor->services = xcalloc(config->service_count + 1,
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
	supervisor_index_rebuild(supervisor);
	return supervisor;
}

void
supervisor_free(struct supervisor *supervisor)
{
	if (supervisor == NULL)
		return;
	supervisor_count_release(supervisor);
	for (size_t c = 0; c < CHECK_LOCAL_CAUSE_COUNT; c++)
		log_limit_flush(&supervisor->local_error_log[c],
		    loop_now_ns(supervisor->loop));
	for (size_t i = 0; i < supervisor->service_count; i++)
		service_free(supervisor->services[i]);
	free(supervisor->services);
	name_index_cleanup(&supervisor->by_name);
	loop_timer_cancel(supervisor->loop, &supervisor->reap_timer);
	loop_timer_cancel(supervisor->loop, &supervisor->count_timer);
	if (supervisor->config_ref != NULL)
		supervisor_ref_release(supervisor, supervisor->config_ref);
	check_environment_cleanup(&supervisor->environment);
	free(supervisor);
}

void
supervisor_set_check_callback(struct supervisor *supervisor,
    supervisor_check_callback callback, void *arg)
{
	supervisor->on_check = callback;
	supervisor->on_check_arg = arg;
}

int
supervisor_check_now(struct supervisor *supervisor, const char *name)
{
	struct service *service = supervisor_find(supervisor, name);

	if (service == NULL)
		return -1;
	if (service->round_running || service->kept ||
	    service->health.state == HEALTH_DISABLED)
		return 0;
	loop_timer_arm(supervisor->loop, &service->round_timer,
	    loop_now_ns(supervisor->loop));
	return 0;
}

void
supervisor_set_conn_counter(struct supervisor *supervisor,
    const struct supervisor_conn_counter *counter)
{
	supervisor->conn_counter = *counter;
}

size_t
supervisor_configs_alive(const struct supervisor *supervisor)
{
	size_t count = 0;

	for (const struct supervisor_config_ref *ref = supervisor->refs;
	    ref != NULL; ref = ref->next)
		count++;
	return count;
}

const struct config *
supervisor_config(const struct supervisor *supervisor)
{
	return supervisor->config;
}

size_t
supervisor_service_count(const struct supervisor *supervisor)
{
	return supervisor->service_count;
}

struct service *
supervisor_service_at(const struct supervisor *supervisor, size_t index)
{
	return index < supervisor->service_count ?
	    supervisor->services[index] : NULL;
}

void
supervisor_index_rebuild(struct supervisor *supervisor)
{
	name_index_cleanup(&supervisor->by_name);
	for (size_t i = 0; i < supervisor->service_count; i++) {
		struct service *service = supervisor->services[i];
		if (!service->removed && !service->dead)
			name_index_put(&supervisor->by_name,
			    service->config->name, service);
	}
}

/* Find a current (not removed) service by name. */
struct service *
supervisor_find(const struct supervisor *supervisor, const char *name)
{
	struct service *service = name_index_get(&supervisor->by_name, name);

	return service != NULL && !service->removed && !service->dead ?
	    service : NULL;
}

bool
supervisor_stopping(const struct supervisor *supervisor)
{
	return supervisor->stopping;
}

void
service_leave(struct service *service, enum health_drain_reason reason,
    uint64_t drain_ns, const char *why)
{
	struct service_before before = service_before(service);

	snprintf(service->reason, sizeof(service->reason), "%s", why);
	health_stop(&service->health, reason,
	    loop_now_ns(service->supervisor->loop), drain_ns);
	service_settle(service, &before, false);
}

int
supervisor_set_maintenance(struct supervisor *supervisor, const char *name,
    bool on, const char *reason)
{
	struct service *service = supervisor_find(supervisor, name);

	if (service == NULL || service->kept)
		return -1;
	service->maintenance_requested = on;
	snprintf(service->maintenance_reason,
	    sizeof(service->maintenance_reason), "%s", on ? reason : "");
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

/* Accessors: how backends and the daemon see a service. */

const struct service_config *
service_config(const struct service *service)
{
	return service->config;
}

const char *
service_name(const struct service *service)
{
	return service->config->name;
}

enum health_state
service_state(const struct service *service)
{
	return service->health.state;
}

const struct health *
service_health(const struct service *service)
{
	return &service->health;
}

const char *
service_reason(const struct service *service)
{
	return service->reason;
}

uint64_t
service_state_since_ns(const struct service *service)
{
	return service->state_since_ns;
}

uint64_t
service_round_started_ns(const struct service *service)
{
	return service->round_started_ns;
}

unsigned long
service_rounds(const struct service *service)
{
	return service->rounds;
}

bool
service_removed(const struct service *service)
{
	return service->removed;
}

bool
service_stopped(const struct service *service)
{
	return service->dead;
}

long
service_drain_connections(const struct service *service)
{
	return service->last_count;
}

size_t
service_check_count(const struct service *service)
{
	return service->check_count;
}

const struct check_config *
service_check_config(const struct service *service, size_t index)
{
	return index < service->check_count ? service->checks[index].config :
	    NULL;
}

const struct service_check_last *
service_check_last(const struct service *service, size_t index)
{
	return index < service->check_count ? &service->last[index] : NULL;
}

bool
service_maintenance_file(const struct service *service)
{
	return service->maintenance_file_present;
}

bool
service_maintenance_requested(const struct service *service)
{
	return service->maintenance_requested;
}

int
service_backend_state(const struct service *service)
{
	return service->backend_state;
}

void
service_set_backend_state(struct service *service, int state)
{
	service->backend_state = state;
}
