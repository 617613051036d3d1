/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor: an operator's traffic shift
 *
 * "anycheckctl shift" makes a service less (or more) preferred without
 * withdrawing it: while the service is UP or FALLING it is announced with
 * its UP attributes changed by the shift (a MED, an AS-path prepend,
 * communities added). The shifted set is built here from the service's
 * current config and rebuilt whenever a reload moves the service to a new
 * one, so backends see one more attribute set, returned by
 * supervisor_announcement, and nothing else. Expiry and persistence are
 * the control module's (control.c): the supervisor only holds the shift.
 */
#include <stdlib.h>
#include <string.h>

#include "supervisor_internal.h"

static bool
shift_has_community(const struct community *list, size_t count,
    const struct community *c)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].asn == c->asn && list[i].value == c->value)
			return true;
	return false;
}

void
service_shift_rebuild(struct service *service)
{
	const struct announce_attributes *up = &service->config->announce;
	struct announce_attributes *out = &service->shift_announce;
	const struct supervisor_shift *shift = &service->shift;
	size_t count = 0;

	free(out->communities);
	memset(out, 0, sizeof(*out));
	if (!service->shifted)
		return;
	/* Borrowed from the config, which outlives the service's use of it;
	 * only the community list is our own. */
	*out = *up;
	out->communities = xcalloc(up->community_count +
	    shift->community_count + 1, sizeof(*out->communities));
	for (size_t i = 0; i < up->community_count; i++)
		out->communities[count++] = up->communities[i];
	for (size_t i = 0; i < shift->community_count; i++)
		if (!shift_has_community(out->communities, count,
		    &shift->communities[i]))
			out->communities[count++] = shift->communities[i];
	out->community_count = count;
	if (shift->has_med) {
		out->has_med = true;
		out->med = shift->med;
	}
	if (shift->has_as_path_prepend)
		out->as_path_prepend = shift->as_path_prepend;
}

void
service_shift_free(struct service *service)
{
	service->shifted = false;
	free(service->shift.communities);
	memset(&service->shift, 0, sizeof(service->shift));
	service_shift_rebuild(service);
}

int
supervisor_set_shift(struct supervisor *supervisor, const char *name,
    const struct supervisor_shift *shift)
{
	struct service *service = supervisor_find(supervisor, name);
	struct service_before before;

	if (service == NULL || service->kept)
		return -1;
	before = service_before(service);
	/* The old set stays alive for the change callback's old pointer:
	 * build the new one aside, then swap. */
	struct announce_attributes old_announce = service->shift_announce;
	struct supervisor_shift old_shift = service->shift;
	bool was_shifted = service->shifted;

	memset(&service->shift_announce, 0, sizeof(service->shift_announce));
	memset(&service->shift, 0, sizeof(service->shift));
	service->shifted = shift != NULL;
	if (shift != NULL) {
		service->shift = *shift;
		service->shift.communities = xcalloc(shift->community_count + 1,
		    sizeof(*shift->communities));
		if (shift->community_count > 0)
			memcpy(service->shift.communities, shift->communities,
			    shift->community_count *
			    sizeof(*shift->communities));
	}
	service_shift_rebuild(service);
	if (supervisor_announcement(service) == &service->shift_announce)
		snprintf(service->reason, sizeof(service->reason),
		    "traffic shift by request");
	else if (was_shifted && before.announcement ==
	    &service->shift_announce)
		snprintf(service->reason, sizeof(service->reason),
		    "traffic shift ended");
	/* A new shift of a shifted service keeps the same pointer: tell the
	 * owner whenever the shift is what it announces. */
	service_settle(service, &before,
	    service->health.state == HEALTH_UP ||
	    service->health.state == HEALTH_FALLING);
	free(old_announce.communities);
	free(old_shift.communities);
	return 0;
}

const struct supervisor_shift *
service_shift(const struct service *service)
{
	return service->shifted ? &service->shift : NULL;
}

const struct announce_attributes *
service_shift_attributes(const struct service *service)
{
	return service->shifted ? &service->shift_announce : NULL;
}

const char *
service_maintenance_reason(const struct service *service)
{
	return service->maintenance_requested ? service->maintenance_reason :
	    "";
}
