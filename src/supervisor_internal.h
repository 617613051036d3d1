/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor internals
 *
 * The insides of a service and of the supervisor, shared by supervisor.c,
 * supervisor_reload.c and supervisor_dump.c only. Nothing else includes
 * this file: backends and the daemon core go through supervisor.h.
 */
#ifndef ANYCHECK_SUPERVISOR_INTERNAL_H
#define ANYCHECK_SUPERVISOR_INTERNAL_H

#include "check_api.h"
#include "log.h"
#include "name_index.h"
#include "supervisor.h"

/* How often connections are counted during a drain, and logged. */
#define SUPERVISOR_COUNT_PERIOD_NS (NSEC_PER_SEC / 2)
#define SUPERVISOR_PROGRESS_LOG_NS (5 * NSEC_PER_SEC)

/* Every config a service points into, reference counted: a service removed
 * by a reload drains with its old config while the new one runs. */
struct supervisor_config_ref {
	const struct config *config;
	struct config *owned;           /* NULL: the caller's (initial) one */
	size_t users;                   /* services, +1 while current */
	struct supervisor_config_ref *next;
};

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
	unsigned round_local_errors;    /* checks anycheck could not run */
	/* Event-driven checks (docs/health.md, "Event-driven checks"): a
	 * check with "immediate" failed in this round (its failure is
	 * certain); an event moved the state while the round ran (what the
	 * round saw is older: it does not count); an event asks for a round
	 * as soon as this one ends. */
	bool round_certain;
	bool round_stale;
	bool round_soon;
	/* Failure scope: the round's failing checks by their scope, and how
	 * many of round_local_errors are global checks. */
	unsigned round_failures_local;
	unsigned round_failures_global;
	unsigned round_local_errors_global;
	unsigned long rounds;           /* rounds ended */
	/* Why the last round passed or failed: the failing checks and their
	 * details, or "all 3 checks passed". Logged with each transition. */
	char reason[SERVICE_REASON_MAX];
	/* The failures of the round in progress, every failing check with
	 * its detail as far as they fit ("; "-separated), the rest counted;
	 * becomes reason when the round ends, so reason always describes a
	 * whole round. */
	char round_failure[SERVICE_REASON_MAX];
	unsigned round_failures_omitted;
	/* Per check: the last run (to log changes only, and for status). */
	struct service_check_last *last;
	struct loop_timer round_timer;
	struct loop_timer wake_timer;   /* hold-down end, drain deadline */
	bool maintenance_file_present;
	bool maintenance_requested;     /* supervisor_set_maintenance */
	char maintenance_reason[SERVICE_REASON_MAX];
	/* The operator's shift (supervisor_shift.c): the request, and the UP
	 * attributes with it (communities owned, the rest borrowed from
	 * config->announce). */
	bool shifted;
	struct supervisor_shift shift;
	struct announce_attributes shift_announce;
	uint64_t state_since_ns;
	/* Drain progress. */
	bool count_pending;             /* in the connection count running */
	long last_count;                /* -1: none yet or failed */
	bool count_failure_logged;      /* "cannot count" said, until a count works */
	uint64_t last_progress_log_ns;
	/* Lifecycle. */
	bool removed;                   /* dropped by a reload: drain, go */
	bool kept;                      /* exit with on_exit "keep" */
	bool dead;                      /* STOPPED; freed once idle */
	int backend_state;              /* the backend's; see supervisor.h */
};

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
	struct name_index by_name;      /* current services (not removed) */
	supervisor_change_callback on_change;
	void *on_change_arg;
	supervisor_check_callback on_check;
	void *on_check_arg;
	/* Connection counts: one count for every draining service a tick. */
	struct supervisor_conn_counter conn_counter; /* start NULL: none */
	struct loop_timer count_timer;
	struct service **count_services;        /* in the count running */
	struct conn_count_query *count_queries;
	size_t count_size;                      /* 0: no count running */
	bool warned_no_counter;
	bool warned_count_start;
	/* Check runs that ended in a local error, per cause, and their log
	 * (once per cause and minute, then a count; zeroed is ready). */
	unsigned long local_errors[CHECK_LOCAL_CAUSE_COUNT];
	struct log_limit local_error_log[CHECK_LOCAL_CAUSE_COUNT];
	/* Exit. */
	bool stopping;
	supervisor_stopped_callback on_stopped;
	void *on_stopped_arg;
	struct loop_timer reap_timer;   /* frees dead services, ends exits */
};

/* The state and announcement before a change, for service_settle. */
struct service_before {
	enum health_state state;
	const struct service_config *config;
	const struct announce_attributes *announcement;
};

struct service_before service_before(const struct service *service);
/* Log, notify and arm timers after health.c acted; force: tell the owner
 * even when nothing it sees changed (a reload changed the config). */
void service_settle(struct service *service,
    const struct service_before *before, bool force);

struct supervisor_config_ref *supervisor_ref_new(struct supervisor *supervisor,
    const struct config *config, struct config *owned);
void supervisor_ref_release(struct supervisor *supervisor,
    struct supervisor_config_ref *ref);

/* Index the current services by name again (after a reload). */
void supervisor_index_rebuild(struct supervisor *supervisor);

struct service *service_new(struct supervisor *supervisor,
    const struct service_config *config, struct supervisor_config_ref *ref,
    uint64_t first_round_delay_ns);
void service_build_checks(struct service *service);
void service_free_checks(struct service *service);
void service_stop_activity(struct service *service);
void service_health_params(const struct service_config *config,
    struct health_params *params);
uint64_t service_drain_ns(const struct service *service);
/* The shift's attributes again from the service's (new) config; free
 * them (supervisor_shift.c). */
void service_shift_rebuild(struct service *service);
void service_shift_free(struct service *service);
/* Stop the service (drain for drain_ns first when it is announced). */
void service_leave(struct service *service, enum health_drain_reason reason,
    uint64_t drain_ns, const char *why);

#endif
