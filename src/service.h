/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor and services
 *
 * The runtime core shared by every backend. The supervisor owns one
 * struct service per configured service; each service runs rounds of its
 * checks (all checks of a round run concurrently, rounds never overlap, so a
 * check never has two runs at once), combines each round by the service's
 * `require` policy, feeds the health state machine, watches the maintenance
 * file, runs drains (with an optional connection counter), applies reloads
 * and the exit, and tells the backend through one callback whenever what
 * should be announced for a service changes. The backend (ExaBGP lines,
 * BIRD protocols) only maps "announce these attributes" or "withdraw" to
 * routes.
 */
#ifndef ANYCHECK_SERVICE_H
#define ANYCHECK_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check_api.h"
#include "config.h"
#include "health.h"
#include "loop.h"

struct supervisor;
struct supervisor_config_ref;

#define SERVICE_REASON_MAX 512

struct service {
	const struct service_config *config;
	struct supervisor_config_ref *config_ref;   /* keeps config alive */
	struct supervisor *supervisor;
	struct health health;
	struct check *checks;
	size_t check_count;
	/* The config the checks point into: a reload that finds the service
	 * unchanged moves config to the new one but keeps the checks (and
	 * their runs in progress), so their config must live on. */
	struct supervisor_config_ref *checks_ref;
	/* The round in progress. */
	bool round_running;
	uint64_t round_started_ns;
	unsigned round_outstanding;
	unsigned round_passes;
	/* Why the last round passed or failed: the first failing check and its
	 * detail, or "all 3 checks passed". Logged with each transition. */
	char reason[SERVICE_REASON_MAX];
	/* The first failure of the round in progress; becomes reason when the
	 * round ends, so reason always describes a whole round. */
	char round_failure[SERVICE_REASON_MAX];
	enum check_result *last_results; /* per check, to log changes only */
	struct loop_timer round_timer;
	struct loop_timer wake_timer;   /* hold-down end, drain deadline */
	struct loop_timer count_timer;  /* next connection count in a drain */
	bool maintenance_file_present;
	bool maintenance_requested;     /* supervisor_set_maintenance */
	uint64_t state_since_ns;
	/* Drain progress. */
	bool count_pending;             /* a connection count is running */
	long last_count;                /* -1: none yet or failed */
	uint64_t last_progress_log_ns;
	/* Lifecycle. */
	bool removed;                   /* dropped by a reload: drain, go */
	bool kept;                      /* exit with on_exit "keep" */
	bool dead;                      /* STOPPED; freed once idle */
	/* Free for the backend: 0 at start, never touched by the supervisor. */
	int backend_state;
};

/* What changed for a service, passed to the change callback. The old
 * pointers stay valid for the duration of the callback only. */
struct supervisor_change {
	enum health_state old_state;
	/* The config the previous announcement was made with (the old config
	 * of a service changed by a reload, else the current one): prefixes
	 * it has that config lacks must be withdrawn. */
	const struct service_config *old_config;
	/* What should have been announced before / now: NULL is withdraw. */
	const struct announce_attributes *old_announcement;
	const struct announce_attributes *announcement;
};

/* Called whenever a service's state or the announcement it should have
 * changes (a reload of a changed service always calls it). */
typedef void (*supervisor_change_callback)(struct supervisor *supervisor,
    struct service *service, const struct supervisor_change *change,
    void *arg);

/* Counts established TCP connections to prefixes (optionally to ports) for
 * drains. start calls done later (or at once) with the count, -1 on error;
 * returns 0, or -1 when it could not start (done is then not called). */
struct supervisor_conn_counter {
	int (*start)(void *counter, const struct prefix *prefixes,
	    size_t prefix_count, const uint16_t *ports, size_t port_count,
	    void (*done)(long count, void *arg), void *arg);
	void *counter;
};

typedef void (*supervisor_stopped_callback)(struct supervisor *supervisor,
    void *arg);

struct supervisor {
	struct loop *loop;
	struct check_environment environment;
	const struct config *config;    /* the current config */
	struct supervisor_config_ref *config_ref;
	struct supervisor_config_ref *refs;     /* every config in use */
	/* The services of the current config in its order, then services
	 * removed by reloads that are still draining. */
	struct service **services;
	size_t service_count;
	supervisor_change_callback on_change;
	void *on_change_arg;
	struct supervisor_conn_counter conn_counter; /* start NULL: none */
	bool warned_no_counter;
	/* Exit. */
	bool stopping;
	supervisor_stopped_callback on_stopped;
	void *on_stopped_arg;
	struct loop_timer reap_timer;   /* frees dead services, ends exits */
};

/* Build the runtime services of config (which the caller keeps and must
 * outlive the supervisor) and schedule their first rounds at once. */
void supervisor_init(struct supervisor *supervisor, struct loop *loop,
    const struct config *config, supervisor_change_callback on_change,
    void *on_change_arg);
/* Cancel every running check and free the services and every config the
 * supervisor took over through supervisor_reload. */
void supervisor_cleanup(struct supervisor *supervisor);

/* What should be announced for service now: its attributes for the
 * current state (UP, drain, down or disabled set), or NULL: withdraw. */
const struct announce_attributes *supervisor_announcement(
    const struct service *service);

/* Apply new_config (taken over, freed when no service uses it any more):
 * unchanged services keep everything, changed ones keep their state with
 * new checks, removed ones drain and go, new ones start in INIT. Returns 0;
 * -1 (and frees new_config, changing nothing) while stopping. */
int supervisor_reload(struct supervisor *supervisor,
    struct config *new_config);

/* Operator maintenance on or off for a service (drains when announced);
 * reason is logged. Returns -1 if no such current service. */
int supervisor_set_maintenance(struct supervisor *supervisor,
    const char *name, bool on, const char *reason);

/* Begin the exit: announced services with drain_on_exit drain, every
 * other service is withdrawn at once (those with on_exit "keep" are left
 * as they are); stopped is called from the loop once all are done. A
 * second call, or immediate, ends every drain now. */
void supervisor_shutdown(struct supervisor *supervisor, bool immediate,
    supervisor_stopped_callback stopped, void *arg);

/* Find a current (not removed) service by name. */
struct service *supervisor_find(const struct supervisor *supervisor,
    const char *name);

/* Log everything about every service: state, since, counters, hold-down,
 * drain progress and announcement. */
void supervisor_log_state(const struct supervisor *supervisor);

#endif
