/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor: the state of every service, for logs
 *
 * What SIGUSR1 logs: per service its state and for how long, counters,
 * the announcement it should have, hold-down or drain progress and the
 * reason of the last change.
 */
#include <stdio.h>

#include "log.h"
#include "supervisor_internal.h"

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
	else if (announce == &config->last_resort.attributes)
		which = "last_resort";
	if (announce->has_med)
		snprintf(med, sizeof(med), "med %u, ", announce->med);
	snprintf(out, size, "announced with the %s attributes (%s%zu "
	    "communit%s, prepend %u)", which, med, announce->community_count,
	    announce->community_count == 1 ? "y" : "ies",
	    announce->as_path_prepend);
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
		} else if (health->state == HEALTH_DEGRADED)
			snprintf(extra, sizeof(extra), "; degraded: %u rounds "
			    "with a local failure in a row (DOWN at %u), %u "
			    "passes (UP at %u)",
			    health->consecutive_local_failures,
			    health->params.fall, health->consecutive_passes,
			    health->params.rise);
		else if (health->hold_ns > 0)
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
