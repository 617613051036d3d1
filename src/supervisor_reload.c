/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor: applying a new config
 *
 * A reload matches services by name (config_diff): an unchanged service
 * keeps everything, its checks and their runs in progress included (they
 * keep pointing into the old config, which lives on through its reference
 * count); a changed one keeps its state with new checks and parameters and
 * its owner is told even if the announcement looks the same; an added one
 * starts in INIT; a removed one drains with its old config and goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "supervisor_internal.h"

/* Point service at a config from another ref (its checks keep theirs). */
static void
service_move_config(struct service *service,
    const struct service_config *config, struct supervisor_config_ref *ref)
{
	struct supervisor_config_ref *old = service->config_ref;

	service->config = config;
	service->config_ref = ref;
	ref->users++;
	service_shift_rebuild(service);
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
	service_settle(service, &before, true);
	if (!service->dead && !service->kept)
		loop_timer_arm(service->supervisor->loop, &service->round_timer,
		    loop_now_ns(service->supervisor->loop));
}

int
supervisor_reload(struct supervisor *supervisor, struct config *new_config,
    struct supervisor_reload_result *result)
{
	struct config_diff_entry *diff;
	struct supervisor_config_ref *old_ref = supervisor->config_ref;
	struct supervisor_config_ref *new_ref;
	struct service **services, **removed, **draining;
	size_t count, current = 0, removed_count = 0, draining_count = 0;
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
	/* Services removed by earlier reloads and still draining. */
	draining = xcalloc(supervisor->service_count + 1, sizeof(*draining));
	for (size_t i = 0; i < supervisor->service_count; i++)
		if (supervisor->services[i]->removed &&
		    !supervisor->services[i]->dead)
			draining[draining_count++] = supervisor->services[i];

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
			for (size_t j = 0; j < draining_count; j++) {
				struct service *old = draining[j];
				if (!old->dead && strcmp(old->config->name,
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
	supervisor_index_rebuild(supervisor);

	for (size_t i = 0; i < removed_count; i++)
		service_leave(removed[i], HEALTH_DRAIN_REMOVED,
		    service_drain_ns(removed[i]), "removed by a reload");
	/* The old config lives on while removed services drain with it. */
	supervisor_ref_release(supervisor, old_ref);
	if (result != NULL) {
		result->unchanged = tally[CONFIG_SERVICE_UNCHANGED];
		result->changed = tally[CONFIG_SERVICE_CHANGED];
		result->added = tally[CONFIG_SERVICE_ADDED];
		result->removed = tally[CONFIG_SERVICE_REMOVED];
	}
	free(draining);
	free(removed);
	free(diff);
	return 0;
}

