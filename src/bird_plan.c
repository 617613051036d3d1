/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what to tell BIRD next (implementation)
 *
 * Every change to a protocol's wanted, known, in-flight or problem state
 * ends in bird_plan_touch(), which keeps the two counters and the queue
 * right. The queue may hold protocols that no longer need a command (they
 * were settled by a listing meanwhile, or are in flight, or wait for a
 * retry): bird_plan_peek drops those as it meets them, so each entry is
 * looked at once.
 */
#include <stdlib.h>
#include <string.h>

#include "bird_plan.h"
#include "log.h"

static const char *bird_plan_known_names[] = {
	[BIRD_PLAN_UNKNOWN] = "unknown",
	[BIRD_PLAN_ENABLED] = "enabled",
	[BIRD_PLAN_DISABLED] = "disabled",
};

const char *
bird_plan_known_name(enum bird_plan_known known)
{
	if ((unsigned)known > BIRD_PLAN_DISABLED)
		return "?";
	return bird_plan_known_names[known];
}

/* Has protocol a wish: is it leaving, or has its service decided? */
static bool
bird_plan_has_wish(const struct bird_plan *plan,
    const struct bird_plan_protocol *protocol)
{
	return protocol->group == BIRD_PLAN_NO_GROUP ||
	    plan->groups[protocol->group].decided;
}

/* The state wanted of protocol: the one BIRD has when there is no wish
 * yet. */
static enum bird_plan_known
bird_plan_wanted_known(const struct bird_plan *plan,
    const struct bird_plan_protocol *protocol)
{
	if (!bird_plan_has_wish(plan, protocol))
		return protocol->known;
	return protocol->wanted ? BIRD_PLAN_ENABLED : BIRD_PLAN_DISABLED;
}

bool
bird_plan_should_enable(const struct bird_plan *plan,
    const struct bird_plan_protocol *protocol)
{
	return bird_plan_wanted_known(plan, protocol) == BIRD_PLAN_ENABLED;
}

static size_t
bird_plan_index(const struct bird_plan *plan,
    const struct bird_plan_protocol *protocol)
{
	return (size_t)(protocol - plan->protocols);
}

static void
bird_plan_enqueue(struct bird_plan *plan, struct bird_plan_protocol *protocol)
{
	if (protocol->queued)
		return;
	/* Each protocol is queued at most once: a slot each does. */
	plan->queue[(plan->queue_head + plan->queue_count) %
	    plan->queue_size] = bird_plan_index(plan, protocol);
	plan->queue_count++;
	protocol->queued = true;
}

/* A leaving protocol BIRD has disabled (or does not have): forget it. Its
 * slot stays until the next bird_plan_set_services, so pointers and the
 * queue stay valid; the name no longer finds it. */
static void
bird_plan_drop_leaving(struct bird_plan *plan,
    struct bird_plan_protocol *protocol)
{
	if (name_index_get(&plan->by_name, protocol->name) == protocol)
		name_index_remove(&plan->by_name, protocol->name);
	protocol->leaving = false;
	protocol->gone = true;
	plan->leaving--;
}

/* Recount protocol and queue it if it needs a command. */
static void
bird_plan_touch(struct bird_plan *plan, struct bird_plan_protocol *protocol)
{
	bool differs = !protocol->gone &&
	    protocol->known != bird_plan_wanted_known(plan, protocol);
	bool unsettled = differs && protocol->problem == BIRD_PLAN_PROBLEM_NONE;

	if (differs != protocol->differs) {
		if (differs)
			plan->differing++;
		else
			plan->differing--;
		protocol->differs = differs;
	}
	if (unsettled != protocol->unsettled) {
		if (unsettled)
			plan->unsettled++;
		else
			plan->unsettled--;
		protocol->unsettled = unsettled;
	}
	if (differs && !protocol->in_flight)
		bird_plan_enqueue(plan, protocol);
	if (protocol->leaving && !protocol->in_flight &&
	    protocol->known == BIRD_PLAN_DISABLED)
		bird_plan_drop_leaving(plan, protocol);
}

static void
bird_plan_wait(struct bird_plan *plan, struct bird_plan_protocol *protocol)
{
	if (protocol->waiting)
		return;
	plan->waiting[plan->waiting_count++] = bird_plan_index(plan, protocol);
	protocol->waiting = true;
}

static void
bird_plan_want(struct bird_plan *plan, struct bird_plan_protocol *protocol,
    bool enabled)
{
	if (protocol->wanted == enabled)
		return;
	protocol->wanted = enabled;
	/* A new wish is worth a try at once, whatever failed before. */
	protocol->retry_at_ns = 0;
	bird_plan_touch(plan, protocol);
}

/* The group's target is wanted enabled; the others disabled, but only once
 * BIRD confirmed the target (or cannot enable it): no gap in between. */
static void
bird_plan_update_group(struct bird_plan *plan, size_t group_index)
{
	const struct bird_plan_group *group;
	const struct bird_plan_protocol *target;
	bool release;

	if (group_index == BIRD_PLAN_NO_GROUP)
		return;     /* leaving: wanted disabled, alone */
	group = &plan->groups[group_index];
	target = group->target < 0 ? NULL : &plan->protocols[group->target];
	release = target == NULL || target->known == BIRD_PLAN_ENABLED ||
	    target->problem != BIRD_PLAN_PROBLEM_NONE;
	for (size_t i = group->first; i < group->first + group->count; i++) {
		if ((long)i == group->target)
			bird_plan_want(plan, &plan->protocols[i], true);
		else if (release)
			bird_plan_want(plan, &plan->protocols[i], false);
	}
}

void
bird_plan_init(struct bird_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	name_index_init(&plan->by_name);
	name_index_init(&plan->by_service);
}

static void
bird_plan_free_table(struct bird_plan *plan)
{
	for (size_t i = 0; i < plan->protocol_count; i++) {
		free(plan->protocols[i].name);
		free(plan->protocols[i].service);
	}
	for (size_t i = 0; i < plan->group_count; i++)
		free(plan->groups[i].service);
	free(plan->protocols);
	free(plan->groups);
	free(plan->queue);
	free(plan->waiting);
	name_index_cleanup(&plan->by_name);
	name_index_cleanup(&plan->by_service);
}

void
bird_plan_cleanup(struct bird_plan *plan)
{
	bird_plan_free_table(plan);
	memset(plan, 0, sizeof(*plan));
}

/* Must a protocol no longer configured be disabled before it is
 * forgotten? Yes while BIRD has it enabled, may have it (unknown: a
 * listing or a command will tell) or a command for it is in flight (an
 * enable may land); no when BIRD has it disabled or said it has none. */
static bool
bird_plan_must_leave(const struct bird_plan_protocol *protocol)
{
	if (protocol->in_flight)
		return true;
	if (protocol->problem == BIRD_PLAN_PROBLEM_MISSING)
		return false;
	return protocol->known != BIRD_PLAN_DISABLED;
}

void
bird_plan_set_services(struct bird_plan *plan,
    const struct service_config *const *services, size_t count,
    const struct bird_shifts *shifts,
    void (*gone)(const struct bird_plan_protocol *protocol, void *arg),
    void *arg)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct bird_plan old = *plan;
	size_t old_count = old.protocol_count;
	/* Room for the old protocols too: some may stay as leaving. */
	struct bird_plan_protocol *protocols = xcalloc(
	    count * 2 * BIRD_VARIANT_COUNT + old_count + 1,
	    sizeof(*protocols));
	struct bird_plan_group *groups = xcalloc(count * 2 + 1,
	    sizeof(*groups));
	size_t protocol_count = 0, group_count = 0;

	bird_plan_init(plan);
	plan->listing = old.listing;
	plan->shifts = shifts;
	for (size_t s = 0; s < count; s++) {
		for (size_t f = 0; f < 2; f++) {
			struct bird_plan_group *group = &groups[group_count];

			if (!bird_service_has_family(services[s], families[f]))
				continue;
			group->service = xstrdup(services[s]->name);
			group->family = families[f];
			group->first = protocol_count;
			group->target = -1;
			if (name_index_get(&plan->by_service,
			    group->service) == NULL)
				name_index_put(&plan->by_service,
				    group->service, group);
			for (int v = 0; v < BIRD_VARIANT_COUNT; v++) {
				char *name = bird_variant_protocol(services[s],
				    families[f], v, shifts);
				struct bird_plan_protocol *protocol, *before;

				if (name == NULL)
					continue;
				protocol = &protocols[protocol_count++];
				before = name_index_get(&old.by_name, name);
				if (before != NULL) {
					/* Keep what BIRD was told and said,
					 * and whether the service decided. */
					if (before->group != BIRD_PLAN_NO_GROUP &&
					    old.groups[before->group].decided)
						group->decided = true;
					protocol->wanted = before->wanted;
					protocol->known = before->known;
					protocol->in_flight = before->in_flight;
					protocol->problem = before->problem;
					protocol->retry_at_ns =
					    before->retry_at_ns;
					protocol->listed = before->listed;
					/* Not gone: marked by a NULL name. */
					name_index_remove(&old.by_name, name);
				}
				protocol->name = name;
				protocol->service = xstrdup(services[s]->name);
				protocol->group = group_count;
				protocol->variant = v;
				name_index_put(&plan->by_name, protocol->name,
				    protocol);
			}
			group->count = protocol_count - group->first;
			group_count++;
		}
	}
	for (size_t i = 0; i < old.protocol_count; i++) {
		struct bird_plan_protocol *before = &old.protocols[i];
		struct bird_plan_protocol *protocol;

		if (before->gone ||
		    name_index_get(&old.by_name, before->name) != before)
			continue;   /* forgotten, or kept above */
		if (!bird_plan_must_leave(before)) {
			if (gone != NULL)
				gone(before, arg);
			continue;
		}
		/* BIRD may still announce it: disable it first. */
		protocol = &protocols[protocol_count++];
		*protocol = (struct bird_plan_protocol){
			.name = xstrdup(before->name),
			.service = xstrdup(before->service),
			.group = BIRD_PLAN_NO_GROUP,
			.variant = before->variant,
			.known = before->known,
			.in_flight = before->in_flight,
			.problem = before->problem,
			.listed = before->listed,
			.leaving = true,
		};
		plan->leaving++;
		name_index_put(&plan->by_name, protocol->name, protocol);
		if (gone != NULL)
			gone(protocol, arg);
	}
	bird_plan_free_table(&old);

	plan->protocols = protocols;
	plan->protocol_count = protocol_count;
	plan->groups = groups;
	plan->group_count = group_count;
	plan->protocol_capacity = count * 2 * BIRD_VARIANT_COUNT +
	    old_count + 1;
	plan->queue_size = plan->protocol_capacity + 1;
	plan->queue = xcalloc(plan->queue_size, sizeof(*plan->queue));
	plan->waiting = xcalloc(plan->queue_size, sizeof(*plan->waiting));
	for (size_t i = 0; i < protocol_count; i++) {
		if (protocols[i].retry_at_ns != 0)
			bird_plan_wait(plan, &protocols[i]);
		bird_plan_touch(plan, &protocols[i]);
	}
}

/* Room for extra more protocols: the arrays grow (doubling), the index
 * is rebuilt over the moved protocols and the queue ring laid out again
 * from its head. */
static void
bird_plan_grow(struct bird_plan *plan, size_t extra)
{
	size_t capacity = plan->protocol_capacity;
	size_t *queue;

	if (plan->protocol_count + extra <= capacity)
		return;
	while (capacity < plan->protocol_count + extra)
		capacity = capacity * 2 + 1;
	plan->protocols = xrealloc(plan->protocols,
	    capacity * sizeof(*plan->protocols));
	plan->protocol_capacity = capacity;
	name_index_cleanup(&plan->by_name);
	name_index_init(&plan->by_name);
	for (size_t i = 0; i < plan->protocol_count; i++)
		if (!plan->protocols[i].gone)
			name_index_put(&plan->by_name, plan->protocols[i].name,
			    &plan->protocols[i]);
	queue = xcalloc(capacity + 1, sizeof(*queue));
	for (size_t i = 0; i < plan->queue_count; i++)
		queue[i] = plan->queue[(plan->queue_head + i) %
		    plan->queue_size];
	free(plan->queue);
	plan->queue = queue;
	plan->queue_head = 0;
	plan->queue_size = capacity + 1;
	plan->waiting = xrealloc(plan->waiting,
	    plan->queue_size * sizeof(*plan->waiting));
}

void
bird_plan_add_leaving(struct bird_plan *plan, const char *name)
{
	struct bird_plan_protocol *protocol;

	if (name_index_get(&plan->by_name, name) != NULL)
		return;
	bird_plan_grow(plan, 1);
	protocol = &plan->protocols[plan->protocol_count++];
	*protocol = (struct bird_plan_protocol){
		.name = xstrdup(name),
		.service = xstrdup(""),
		.group = BIRD_PLAN_NO_GROUP,
		.known = BIRD_PLAN_UNKNOWN,
		.leaving = true,
	};
	plan->leaving++;
	name_index_put(&plan->by_name, protocol->name, protocol);
	bird_plan_touch(plan, protocol);
}

struct bird_plan_protocol *
bird_plan_find(const struct bird_plan *plan, const char *name)
{
	return name_index_get(&plan->by_name, name);
}

size_t
bird_plan_set_target(struct bird_plan *plan, const char *service,
    int variant)
{
	struct bird_plan_group *group = name_index_get(&plan->by_service,
	    service);
	size_t groups = 0;

	if (group == NULL)
		return 0;
	/* A service's groups are adjacent (IPv4 then IPv6). */
	for (; group < plan->groups + plan->group_count &&
	    strcmp(group->service, service) == 0; group++, groups++) {
		group->target = -1;
		if (!group->decided) {
			/* A wish at last: what differs is due now. What BIRD
			 * runs stays wanted until the target is confirmed,
			 * as a previous target would (a restart finding
			 * another attribute set announced: no gap). */
			for (size_t i = group->first;
			    i < group->first + group->count; i++)
				plan->protocols[i].wanted =
				    plan->protocols[i].known ==
				    BIRD_PLAN_ENABLED;
			group->decided = true;
			for (size_t i = group->first;
			    i < group->first + group->count; i++)
				bird_plan_touch(plan, &plan->protocols[i]);
		}
		for (size_t i = group->first; variant >= 0 &&
		    i < group->first + group->count; i++)
			if ((int)plan->protocols[i].variant == variant)
				group->target = (long)i;
		bird_plan_update_group(plan,
		    (size_t)(group - plan->groups));
	}
	return groups;
}

struct bird_plan_protocol *
bird_plan_peek(struct bird_plan *plan, uint64_t now,
    enum bird_plan_action *action)
{
	while (plan->queue_count > 0) {
		struct bird_plan_protocol *protocol =
		    &plan->protocols[plan->queue[plan->queue_head]];

		if (protocol->differs && !protocol->in_flight &&
		    protocol->retry_at_ns <= now) {
			*action = protocol->wanted ? BIRD_PLAN_ENABLE :
			    BIRD_PLAN_DISABLE;
			return protocol;
		}
		/* Settled meanwhile, in flight (its reply queues it again)
		 * or waiting for its retry (bird_plan_retry_due queues it). */
		plan->queue_head = (plan->queue_head + 1) % plan->queue_size;
		plan->queue_count--;
		protocol->queued = false;
	}
	*action = BIRD_PLAN_IDLE;
	return NULL;
}

void
bird_plan_sent(struct bird_plan *plan, struct bird_plan_protocol *protocol)
{
	/* Only the peeked protocol, first in the queue, can be sent. */
	if (plan->queue_count > 0 &&
	    plan->queue[plan->queue_head] == bird_plan_index(plan, protocol)) {
		plan->queue_head = (plan->queue_head + 1) % plan->queue_size;
		plan->queue_count--;
		protocol->queued = false;
	}
	protocol->in_flight = true;
}

enum bird_plan_problem
bird_plan_confirmed(struct bird_plan *plan, struct bird_plan_protocol *protocol,
    bool enabled)
{
	enum bird_plan_problem before = protocol->problem;

	protocol->in_flight = false;
	protocol->known = enabled ? BIRD_PLAN_ENABLED : BIRD_PLAN_DISABLED;
	protocol->problem = BIRD_PLAN_PROBLEM_NONE;
	protocol->retry_at_ns = 0;
	bird_plan_touch(plan, protocol);
	bird_plan_update_group(plan, protocol->group);
	return before;
}

enum bird_plan_problem
bird_plan_failed(struct bird_plan *plan, struct bird_plan_protocol *protocol,
    enum bird_plan_problem problem, uint64_t retry_at_ns)
{
	enum bird_plan_problem before = protocol->problem;

	protocol->in_flight = false;
	if (protocol->leaving && problem == BIRD_PLAN_PROBLEM_MISSING) {
		/* BIRD has no such protocol: nothing left to disable. */
		protocol->known = BIRD_PLAN_DISABLED;
		bird_plan_touch(plan, protocol);
		return before;
	}
	protocol->problem = problem;
	protocol->retry_at_ns = retry_at_ns;
	bird_plan_wait(plan, protocol);
	bird_plan_touch(plan, protocol);
	/* A target BIRD cannot enable releases the others: waiting for it
	 * would keep them forever. */
	bird_plan_update_group(plan, protocol->group);
	return before;
}

void
bird_plan_lost(struct bird_plan *plan, struct bird_plan_protocol *protocol)
{
	protocol->in_flight = false;
	protocol->known = BIRD_PLAN_UNKNOWN;
	bird_plan_touch(plan, protocol);
}

uint64_t
bird_plan_retry_due(struct bird_plan *plan, uint64_t now)
{
	uint64_t next = 0;
	size_t kept = 0;

	for (size_t i = 0; i < plan->waiting_count; i++) {
		struct bird_plan_protocol *protocol =
		    &plan->protocols[plan->waiting[i]];

		if (protocol->retry_at_ns > now && !protocol->gone) {
			plan->waiting[kept++] = plan->waiting[i];
			if (next == 0 || protocol->retry_at_ns < next)
				next = protocol->retry_at_ns;
			continue;
		}
		protocol->waiting = false;
		protocol->retry_at_ns = 0;
		bird_plan_touch(plan, protocol);
	}
	plan->waiting_count = kept;
	return next;
}

void
bird_plan_forget(struct bird_plan *plan)
{
	for (size_t i = 0; i < plan->protocol_count; i++) {
		struct bird_plan_protocol *protocol = &plan->protocols[i];

		if (protocol->gone)
			continue;
		protocol->known = BIRD_PLAN_UNKNOWN;
		protocol->retry_at_ns = 0;
		protocol->waiting = false;
		bird_plan_touch(plan, protocol);
	}
	plan->waiting_count = 0;
}

void
bird_plan_listing_begin(struct bird_plan *plan)
{
	plan->listing++;
	if (plan->listing == 0)
		plan->listing = 1;  /* 0 means "never listed" */
}

bool
bird_plan_observed(struct bird_plan *plan, struct bird_plan_protocol *protocol,
    enum bird_plan_known actual)
{
	enum bird_plan_known want = bird_plan_wanted_known(plan, protocol);
	bool drift;

	protocol->listed = plan->listing;
	if (protocol->in_flight)
		return false;
	drift = bird_plan_has_wish(plan, protocol) && protocol->known == want &&
	    actual != BIRD_PLAN_UNKNOWN && actual != want;
	if (actual != BIRD_PLAN_UNKNOWN)
		protocol->known = actual;
	/* It exists: if it was missing, do not wait for the retry. */
	if (protocol->problem == BIRD_PLAN_PROBLEM_MISSING)
		protocol->retry_at_ns = 0;
	bird_plan_touch(plan, protocol);
	bird_plan_update_group(plan, protocol->group);
	return drift;
}

void
bird_plan_listing_end(struct bird_plan *plan)
{
	for (size_t i = 0; i < plan->protocol_count; i++) {
		struct bird_plan_protocol *protocol = &plan->protocols[i];

		if (protocol->listed == plan->listing || protocol->in_flight ||
		    protocol->gone)
			continue;
		if (protocol->leaving) {
			/* Not in BIRD: nothing left to disable. */
			protocol->known = BIRD_PLAN_DISABLED;
			bird_plan_touch(plan, protocol);
			continue;
		}
		if (protocol->known == BIRD_PLAN_UNKNOWN)
			continue;
		protocol->known = BIRD_PLAN_UNKNOWN;
		bird_plan_touch(plan, protocol);
	}
}

size_t
bird_plan_backlog(const struct bird_plan *plan)
{
	return plan->differing;
}

size_t
bird_plan_unsettled(const struct bird_plan *plan)
{
	return plan->unsettled;
}

size_t
bird_plan_leaving(const struct bird_plan *plan)
{
	return plan->leaving;
}
