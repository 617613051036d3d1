/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: keeping BIRD's anycheck protocols in the desired state
 *
 * Each (service, address family) with prefixes has a group of static
 * protocols in BIRD, one per attribute set (see bird_include.h), of which
 * at most one should be enabled: the group's target. bird_sync holds, per
 * protocol, the state anycheck wants and the state BIRD is known to be in,
 * and sends "enable"/"disable" until they agree. Switching the target
 * enables the new protocol first and disables the old one only once BIRD
 * confirmed the enable, so the route never disappears in between. It
 * re-applies everything after every (re)connection and whenever
 * "show status" shows a new boot or reconfiguration time (BIRD then re-read
 * the "disabled" lines), reads each protocol's state back periodically to
 * correct drift (a hand-run "birdc enable"), and can send BIRD "configure"
 * after anycheck-bird rewrote the include file. Errors are logged once per
 * cause, with the fix, and retried.
 */
#ifndef ANYCHECK_BIRD_SYNC_H
#define ANYCHECK_BIRD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_client.h"
#include "bird_include.h"
#include "bird_reply.h"
#include "config.h"
#include "loop.h"

/* How often "show status" is asked, to notice a restart or reconfigure. */
#define BIRD_SYNC_STATUS_INTERVAL_NS (500ULL * 1000000ULL)
/* How long after an error (missing protocol, access denied) to retry. */
#define BIRD_SYNC_RETRY_NS (5ULL * 1000000000ULL)
/* Commands kept queued at once; the rest wait in desired-vs-known state. */
#define BIRD_SYNC_IN_FLIGHT_MAX 16
/* "configure" re-reads every file and may restart protocols: be patient. */
#define BIRD_SYNC_CONFIGURE_TIMEOUT_NS (60ULL * 1000000000ULL)

enum bird_sync_known {
	BIRD_SYNC_UNKNOWN,
	BIRD_SYNC_ENABLED,
	BIRD_SYNC_DISABLED,
};

enum bird_sync_problem {
	BIRD_SYNC_PROBLEM_NONE,
	BIRD_SYNC_PROBLEM_MISSING,      /* 8003: not in BIRD's config */
	BIRD_SYNC_PROBLEM_DENIED,       /* 8007: restricted socket */
	BIRD_SYNC_PROBLEM_OTHER,
};

struct bird_sync_protocol {
	char *name;
	char *service;                  /* for logs */
	size_t group;
	enum bird_variant variant;
	bool desired_enabled;
	enum bird_sync_known known;
	bool in_flight;
	bool verifying;
	enum bird_sync_problem problem; /* last logged problem, to log once */
	uint64_t retry_at_ns;
};

/* The protocols of one (service, family), variants in order. */
struct bird_sync_group {
	char *service;
	int family;
	size_t first;
	size_t count;
	long target;                    /* protocol index, -1: none */
};

struct bird_sync {
	struct loop *loop;
	struct bird_client *client;
	char *socket_path;
	struct bird_sync_protocol *protocols;
	size_t protocol_count;
	struct bird_sync_group *groups;
	size_t group_count;
	size_t in_flight;
	struct loop_timer status_timer;
	struct loop_timer verify_timer;
	uint64_t verify_interval_ns;    /* config bird.verify_interval */
	struct loop_timer retry_timer;
	bool status_in_flight;
	bool have_status;
	struct bird_status status;      /* last seen */
	size_t verify_cursor;           /* next protocol to read back */
	bool verify_running;
	unsigned long corrections;      /* drift fixed, for logs and tests */
	/* "configure": wanted, sent; no enable/disable meanwhile, the new
	 * protocols are not in BIRD yet. */
	bool configure_wanted;
	bool configure_in_flight;
	bool held;                      /* bird_sync_hold */
};

/* The protocols of every service of config, all desired disabled;
 * connects to config->bird_socket. */
void bird_sync_init(struct bird_sync *sync, struct loop *loop,
    const struct config *config);
void bird_sync_cleanup(struct bird_sync *sync);

/* After a reload: the protocols are now those of services. Protocols that
 * keep their name keep their state; groups have no target until
 * bird_sync_set_announcement. */
void bird_sync_set_services(struct bird_sync *sync,
    const struct service_config *const *services, size_t count);

/* Announce service with attributes (a pointer into service, as from
 * supervisor_announcement), or withdraw it (NULL). */
void bird_sync_set_announcement(struct bird_sync *sync,
    const struct service_config *service,
    const struct announce_attributes *attributes);

/* Is protocol wanted enabled now (for the include file's "disabled")? */
bool bird_sync_protocol_wanted(const struct bird_sync *sync,
    const char *protocol);

/* Send BIRD "configure" (once connected), holding back enables and
 * disables until it answered; then re-apply every protocol. */
void bird_sync_configure(struct bird_sync *sync);

/* Send nothing while held (a reload rebuilding the table and the include
 * file); releasing sends what is due. */
void bird_sync_hold(struct bird_sync *sync, bool held);

/* Has BIRD confirmed the wanted state of every protocol (or can it not be
 * reached, or not be helped)? For the exit path. */
bool bird_sync_settled(const struct bird_sync *sync);

#endif
