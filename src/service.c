/*
 * DOC: supervisor and services
 *
 * Rounds are scheduled at a fixed rate from the start of the previous round
 * (interval, or fast_interval while the state is changing), so a slow check
 * delays the next round only when the round itself overruns. The
 * maintenance file is looked at before each round; while it exists the
 * service is DISABLED and no checks run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"
#include "service.h"

static void service_round_start(struct loop *loop, void *arg);

static uint64_t
service_period_ns(const struct service *service)
{
	const struct timing_config *timing = &service->config->timing;

	if (health_state_uses_fast_interval(service->health.state))
		return clock_seconds_to_ns(timing->fast_interval);
	return clock_seconds_to_ns(timing->interval);
}

static void
service_set_state_changed(struct service *service, enum health_state old)
{
	struct supervisor *supervisor = service->supervisor;
	uint64_t now = loop_now_ns(supervisor->loop);

	log_info("service %s: %s -> %s (%s)", service->config->name,
	    health_state_name(old), health_state_name(service->health.state),
	    service->reason);
	service->state_since_ns = now;
	if (supervisor->on_change != NULL)
		supervisor->on_change(supervisor, service, old,
		    supervisor->on_change_arg);
}

/* Arm the next round relative to the start of the last one. */
static void
service_schedule_next(struct service *service)
{
	struct loop *loop = service->supervisor->loop;
	uint64_t next = service->round_started_ns + service_period_ns(service);
	uint64_t now = loop_now_ns(loop);

	if (next < now)
		next = now;
	loop_timer_arm(loop, &service->round_timer, next);
}

static void
service_round_finish(struct service *service)
{
	const struct service_config *config = service->config;
	enum health_state old = service->health.state;
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
	if (health_feed(&service->health, passed))
		service_set_state_changed(service, old);
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

static void
service_round_start(struct loop *loop, void *arg)
{
	struct service *service = arg;
	bool maintenance = service_maintenance_file_present(service);
	enum health_state old = service->health.state;

	service->round_started_ns = loop_now_ns(loop);
	if (maintenance != service->maintenance) {
		service->maintenance = maintenance;
		snprintf(service->reason, sizeof(service->reason),
		    "maintenance file %s %s", service->config->maintenance_file,
		    maintenance ? "appeared" : "removed");
		if (health_set_disabled(&service->health, maintenance))
			service_set_state_changed(service, old);
	}
	if (service->maintenance) {
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
	supervisor->service_count = config->service_count;
	supervisor->services = xcalloc(config->service_count,
	    sizeof(struct service));

	for (size_t i = 0; i < config->service_count; i++) {
		struct service *service = &supervisor->services[i];
		const struct service_config *service_config =
		    &config->services[i];

		service->config = service_config;
		service->supervisor = supervisor;
		health_init(&service->health, service_config->timing.rise,
		    service_config->timing.fall);
		service->check_count = service_config->check_count;
		service->checks = xcalloc(service->check_count,
		    sizeof(struct check));
		service->last_results = xcalloc(service->check_count,
		    sizeof(enum check_result));
		for (size_t c = 0; c < service->check_count; c++) {
			check_init(&service->checks[c],
			    &service_config->checks[c],
			    &supervisor->environment, service_check_done,
			    service);
			service->last_results[c] = CHECK_RESULT_COUNT;
		}
		snprintf(service->reason, sizeof(service->reason), "started");
		service->state_since_ns = loop_now_ns(loop);
		loop_timer_init(&service->round_timer, service_round_start,
		    service);
		/* Spread first rounds a little so 10 000 services do not all
		 * fire in the same millisecond. */
		loop_timer_arm_in(loop, &service->round_timer,
		    (uint64_t)(i % 1000) * 10000ULL);
	}
}

void
supervisor_cleanup(struct supervisor *supervisor)
{
	for (size_t i = 0; i < supervisor->service_count; i++) {
		struct service *service = &supervisor->services[i];

		loop_timer_cancel(supervisor->loop, &service->round_timer);
		for (size_t c = 0; c < service->check_count; c++)
			check_cancel(&service->checks[c]);
		free(service->checks);
		free(service->last_results);
	}
	free(supervisor->services);
	supervisor->services = NULL;
	supervisor->service_count = 0;
	check_environment_cleanup(&supervisor->environment);
}

void
supervisor_log_state(const struct supervisor *supervisor)
{
	uint64_t now = loop_now_ns(supervisor->loop);

	for (size_t i = 0; i < supervisor->service_count; i++) {
		const struct service *service = &supervisor->services[i];

		log_info("service %s: state %s for %.1f s, passes %u, "
		    "failures %u, last: %s", service->config->name,
		    health_state_name(service->health.state),
		    (double)(now - service->state_since_ns) / 1e9,
		    service->health.consecutive_passes,
		    service->health.consecutive_failures, service->reason);
	}
}
