/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: what to tell BIRD next (the plan, no file descriptors)
 *
 * Each (service, address family) with prefixes has a group of static
 * protocols in BIRD, one per attribute set (see bird_include.h), of which
 * at most one should be enabled: the group's target. The plan holds, per
 * protocol, the state anycheck wants and the state BIRD is known to be in,
 * whether a command is in flight, and the error being retried; it says
 * which protocol to enable or disable next. Switching a group's target
 * wants the new protocol enabled at once and the old one disabled only
 * once BIRD confirmed the enable (or cannot enable it), so the route never
 * disappears in between.
 *
 * Every change costs O(1) amortised: protocols whose wanted and known
 * states differ sit in a queue (each at most once), names and services are
 * found through name_index, and a count of unsettled protocols answers
 * "is BIRD right?" without a scan. Only whole-table events (a reload, a
 * new connection, the end of a "show protocols" listing) are O(n).
 * bird_sync.c is the pump that sends what the plan says.
 *
 * A group has no wish until its service decides (bird_plan_set_target):
 * until then its protocols stay as BIRD has them (a restart of anycheck
 * does not touch them before their service's first state). A protocol
 * that leaves the table (its service removed by a reload, or one of
 * anycheck's names that BIRD has enabled and no service owns) while BIRD
 * has it enabled, or may have, stays as "leaving": wanted disabled, without a group, until
 * BIRD confirms it disabled or says it has no such protocol; then the plan
 * forgets it.
 */
#ifndef ANYCHECK_BIRD_PLAN_H
#define ANYCHECK_BIRD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_include.h"
#include "config.h"
#include "name_index.h"

/* How long after an error (missing protocol, access denied) to retry. */
#define BIRD_PLAN_RETRY_NS (5ULL * 1000000000ULL)

enum bird_plan_known {
	BIRD_PLAN_UNKNOWN,
	BIRD_PLAN_ENABLED,
	BIRD_PLAN_DISABLED,
};

enum bird_plan_problem {
	BIRD_PLAN_PROBLEM_NONE,
	BIRD_PLAN_PROBLEM_MISSING,      /* 8003: not in BIRD's config */
	BIRD_PLAN_PROBLEM_DENIED,       /* 8007: restricted socket */
	BIRD_PLAN_PROBLEM_OTHER,        /* 9001 and anything unexpected */
};

enum bird_plan_action {
	BIRD_PLAN_IDLE,                 /* nothing to send now */
	BIRD_PLAN_ENABLE,
	BIRD_PLAN_DISABLE,
};

/* The group of a leaving protocol. */
#define BIRD_PLAN_NO_GROUP ((size_t)-1)

struct bird_plan_protocol {
	char *name;
	char *service;                  /* for logs; "" when none owns it */
	size_t group;                   /* BIRD_PLAN_NO_GROUP when leaving */
	enum bird_variant variant;
	bool wanted;                    /* enabled */
	enum bird_plan_known known;
	bool in_flight;                 /* a command for it awaits its reply */
	enum bird_plan_problem problem; /* last logged problem, to log once */
	uint64_t retry_at_ns;           /* 0: no retry pending */
	/* Bookkeeping of the plan itself. */
	bool queued;                    /* in the queue */
	bool waiting;                   /* in the retry list */
	bool differs;                   /* wanted != known */
	bool unsettled;                 /* differs, and no problem logged */
	unsigned listed;                /* listing generation last seen in */
	bool leaving;                   /* no longer configured: disable */
	bool gone;                      /* left: forgotten, slot unused */
	/* A bulk include rewrite had to change it (bird_sync): whether
	 * BIRD then shows it as written tells if BIRD reads the file. */
	bool bulk_watch;
	bool bulk_expect;               /* enabled in the written include */
};

/* The protocols of one (service, family), variants in order. */
struct bird_plan_group {
	char *service;
	int family;
	size_t first;
	size_t count;
	long target;                    /* protocol index, -1: none */
	bool decided;                   /* a target was set (-1 included) */
};

struct bird_plan {
	struct bird_plan_protocol *protocols;
	size_t protocol_count;          /* slots used, gone ones included */
	size_t protocol_capacity;
	struct bird_plan_group *groups;
	size_t group_count;
	struct name_index by_name;      /* protocol name -> protocol */
	struct name_index by_service;   /* service name -> its first group */
	/* Ring of protocol indices that may need a command. */
	size_t *queue;
	size_t queue_size;              /* slots */
	size_t queue_head;
	size_t queue_count;
	/* Protocols with a retry pending (retry_at_ns set). */
	size_t *waiting;
	size_t waiting_count;
	size_t differing;               /* protocols with wanted != known */
	size_t unsettled;               /* of those, without a problem */
	size_t leaving;                 /* protocols leaving */
	const struct bird_shifts *shifts; /* the shifted services (borrowed) */
	unsigned listing;               /* generation of the current listing */
};

/* An empty plan (no protocols). */
void bird_plan_init(struct bird_plan *plan);
void bird_plan_cleanup(struct bird_plan *plan);

/* The protocols are now those of services (no wish until their service
 * decides), with a _shift protocol for those in shifts (NULL: none; the
 * plan keeps the pointer for bird_variant_of until the next call: the
 * caller keeps the table alive and unchanged until then); protocols that keep their name keep their state and wish.
 * Those no longer there leave: while BIRD has them enabled, may have them
 * (unknown) or a command for them is in flight, they stay as leaving,
 * wanted disabled; the others are dropped at once. gone (optional) is
 * called for each protocol no longer there, with protocol->leaving saying
 * which. */
void bird_plan_set_services(struct bird_plan *plan,
    const struct service_config *const *services, size_t count,
    const struct bird_shifts *shifts, void (*gone)(const struct bird_plan_protocol *protocol, void *arg),
    void *arg);

/* One of anycheck's names that BIRD has enabled and no service owns
 * (a service removed while anycheck was not running): add it as leaving,
 * so that it is disabled, then forgotten. Nothing when the plan has the
 * name already. Protocol pointers from before the call are invalid after
 * it (the table may grow). */
void bird_plan_add_leaving(struct bird_plan *plan, const char *name);

/* The protocol named name (configured or leaving), or NULL. */
struct bird_plan_protocol *bird_plan_find(const struct bird_plan *plan,
    const char *name);

/* Set the target of service's groups: the protocol of variant (-1: none,
 * withdraw); the service has decided, its groups have a wish from now on.
 * Returns the number of
 * groups the service has. */
size_t bird_plan_set_target(struct bird_plan *plan, const char *service,
    int variant);

/* The protocol to send a command for next, with *action; NULL (and
 * BIRD_PLAN_IDLE) when none is due at now. The protocol stays first in
 * line until bird_plan_sent. */
struct bird_plan_protocol *bird_plan_peek(struct bird_plan *plan,
    uint64_t now, enum bird_plan_action *action);
/* The command peeked for protocol was handed to BIRD. */
void bird_plan_sent(struct bird_plan *plan, struct bird_plan_protocol *protocol);

/* BIRD confirmed protocol is enabled (or disabled). Returns the problem
 * the protocol had before (now cleared), so the caller can say it is
 * working again. */
enum bird_plan_problem bird_plan_confirmed(struct bird_plan *plan,
    struct bird_plan_protocol *protocol, bool enabled);
/* BIRD refused the command with problem: retried at retry_at_ns (normally
 * now + BIRD_PLAN_RETRY_NS). Returns the previous problem (log when it
 * differs). A leaving protocol BIRD does not have (MISSING) is forgotten
 * instead (protocol->gone). */
enum bird_plan_problem bird_plan_failed(struct bird_plan *plan,
    struct bird_plan_protocol *protocol, enum bird_plan_problem problem,
    uint64_t retry_at_ns);
/* The command's answer was lost (timeout, connection gone). */
void bird_plan_lost(struct bird_plan *plan, struct bird_plan_protocol *protocol);

/* Retries due at now go back to the queue. Returns the next retry's time,
 * or 0 when none is pending. */
uint64_t bird_plan_retry_due(struct bird_plan *plan, uint64_t now);

/* Nothing known about BIRD holds any more (a new connection, boot or
 * configuration): every protocol UNKNOWN and errors retried at once.
 * Commands in flight stay so: their replies still come (or fail). */
void bird_plan_forget(struct bird_plan *plan);

/* A "show protocols" listing: begin, one observed per row (a protocol of
 * ours that BIRD shows as enabled, disabled, or settling: UNKNOWN), end.
 * observed ignores protocols with a command in flight (sent after the
 * listing). It returns true for drift: BIRD had confirmed the wanted state
 * and now shows another. end makes protocols the listing did not show
 * UNKNOWN (BIRD lacks them: their command will say so), and forgets the
 * leaving ones it did not show. */
void bird_plan_listing_begin(struct bird_plan *plan);
bool bird_plan_observed(struct bird_plan *plan,
    struct bird_plan_protocol *protocol, enum bird_plan_known actual);
void bird_plan_listing_end(struct bird_plan *plan);

/* Protocols whose known state differs from the wanted one, without or
 * with an error being retried. */
size_t bird_plan_backlog(const struct bird_plan *plan);
/* Should protocol be enabled, as far as the plan knows: its service's
 * wish, or, before the service decided, the state BIRD has it in (so an
 * include file written meanwhile changes nothing). */
bool bird_plan_should_enable(const struct bird_plan *plan,
    const struct bird_plan_protocol *protocol);
/* Those of them not held back by a logged error: zero when BIRD is
 * right, as far as it can be helped. */
size_t bird_plan_unsettled(const struct bird_plan *plan);
/* Protocols leaving (not yet confirmed disabled). */
size_t bird_plan_leaving(const struct bird_plan *plan);

const char *bird_plan_known_name(enum bird_plan_known known);

#endif
