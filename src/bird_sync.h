/*
 * DOC: keeping BIRD's anycheck protocols in the desired state
 *
 * Each (service, address family) with prefixes has one static protocol in
 * BIRD. bird_sync holds, per protocol, the state anycheck wants (enabled
 * while the service is announced) and the state BIRD is known to be in, and
 * sends "enable"/"disable" until they agree. It re-applies everything after
 * every (re)connection and whenever "show status" shows a new boot or
 * reconfiguration time (BIRD then re-read "disabled yes"), and it reads each
 * protocol's state back periodically to correct drift (a hand-run
 * "birdc enable"). Errors are logged once per cause, with the fix, and
 * retried.
 */
#ifndef ANYCHECK_BIRD_SYNC_H
#define ANYCHECK_BIRD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_client.h"
#include "bird_reply.h"
#include "config.h"
#include "loop.h"

/* How often "show status" is asked, to notice a restart or reconfigure. */
#define BIRD_SYNC_STATUS_INTERVAL_NS (500ULL * 1000000ULL)
/* How long after an error (missing protocol, access denied) to retry. */
#define BIRD_SYNC_RETRY_NS (5ULL * 1000000000ULL)
/* Commands kept queued at once; the rest wait in desired-vs-known state. */
#define BIRD_SYNC_IN_FLIGHT_MAX 16

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

struct bird_sync;

struct bird_sync_protocol {
	struct bird_sync *sync;
	char *name;
	const char *service;            /* for logs */
	bool desired_enabled;
	enum bird_sync_known known;
	bool in_flight;
	bool verifying;
	enum bird_sync_problem problem; /* last logged problem, to log once */
	uint64_t retry_at_ns;
	bool enabled_by_us;             /* for the exit path */
};

struct bird_sync {
	struct loop *loop;
	struct bird_client *client;
	const char *socket_path;
	const struct config *config;
	struct bird_sync_protocol *protocols;
	size_t protocol_count;
	size_t *service_first;          /* per service: index of its first
					 * protocol; its protocols follow */
	size_t *service_protocols;      /* per service: how many (0..2) */
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
	bool stopping;
};

/* One protocol per (service, family with prefixes) of config, all desired
 * disabled; connects to config->bird_socket. */
void bird_sync_init(struct bird_sync *sync, struct loop *loop,
    const struct config *config);
void bird_sync_cleanup(struct bird_sync *sync);

/* The service is (not) announced: enable (disable) its protocols. */
void bird_sync_set_service(struct bird_sync *sync,
    const struct service_config *service, bool announced);

/* Exit path: want every protocol disabled; returns true once BIRD has
 * confirmed it for every protocol we enabled (or cannot be reached). */
void bird_sync_disable_all(struct bird_sync *sync);
bool bird_sync_settled(const struct bird_sync *sync);

#endif
