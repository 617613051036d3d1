/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: backends: what a routing daemon adapter plugs into the daemon core
 *
 * A backend turns "announce this service with these attributes" or
 * "withdraw it" into what its routing daemon understands: ExaBGP text API
 * lines (backend_exabgp.c) or enabled and disabled BIRD static protocols
 * (backend_bird.c). It is a table of operations, the way BIRD's struct
 * protocol or keepalived's checker table plug in; daemon.c calls them and
 * owns everything else (loop, signals, supervisor, reload, exit).
 *
 * The order of calls: check_config (also for -n and before every reload),
 * init, then service_changed for every change, reload_begin / reload_commit
 * around each reload, dump on SIGUSR1; at the exit undelivered is polled
 * for a bounded time after the supervisor withdrew everything, then
 * cleanup.
 */
#ifndef ANYCHECK_BACKEND_H
#define ANYCHECK_BACKEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "supervisor.h"

struct daemon;

/* What a backend says of its routing daemon (metrics, the watchdog). */
struct backend_stats {
	bool up;                        /* BIRD's socket connected; ExaBGP's
					 * pipes open */
	unsigned long commands_sent;
	/* Commands that ended: answered with success, answered with an
	 * error, not answered (timeout, connection lost). ExaBGP answers
	 * only with api.ack (its default). */
	unsigned long commands_ok;
	unsigned long commands_error;
	unsigned long commands_failed;
};

struct backend_ops {
	const char *name;               /* "exabgp", "bird": for logs */
	/* What the exit does, for its log line: "withdrawing every
	 * announced prefix". */
	const char *stop_action;
	/* What only this backend needs of a config (BIRD: every protocol can
	 * be declared); 0, or -1 with every problem logged. NULL: none. */
	int (*check_config)(const struct config *config);
	/* Create the backend's state for daemon (its loop and first config
	 * are set; the supervisor is not yet). NULL on failure (logged). */
	void *(*init)(struct daemon *daemon);
	/* The supervisor exists and its first rounds are scheduled. */
	void (*started)(void *backend);
	/* What a service should announce changed (see supervisor.h). */
	void (*service_changed)(void *backend, struct service *service,
	    const struct supervisor_change *change);
	/* Around supervisor_reload: begin before the services change,
	 * commit after, with the new config now current. */
	void (*reload_begin)(void *backend);
	void (*reload_commit)(void *backend, const struct config *config);
	/* How many commands (the exit's withdraws) the routing daemon has not
	 * taken yet; 0 when all are delivered, or when none ever can be
	 * (the routing daemon is gone). */
	size_t (*undelivered)(void *backend);
	/* What undelivered counts, for the error when they never arrive. */
	const char *settle_what;
	uint64_t settle_timeout_ns;
	/* Log what the routing daemon was told / is known to have. */
	void (*dump)(void *backend);
	/* Fill out (zeroed by the caller) with the routing daemon's state. */
	void (*stats)(void *backend, struct backend_stats *out);
	/* For status (anycheckctl): what the routing daemon was told about
	 * service and has confirmed, as members added to out. NULL: none. */
	void (*describe_service)(void *backend, const struct service *service,
	    json_t *out);
	/* Why a traffic shift (a changed UP attribute set) of service cannot
	 * be announced now, or NULL when it can (the text lives until the
	 * next call). NULL op: it always can. */
	const char *(*shift_unsupported)(void *backend, const char *service);
	void (*cleanup)(void *backend);
};

extern const struct backend_ops backend_exabgp_ops;
extern const struct backend_ops backend_bird_ops;

#endif
