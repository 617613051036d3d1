/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: supervisor
 *
 * The runtime core shared by every backend. The supervisor owns one service
 * per configured service; each service runs rounds of its checks (all checks
 * of a round run concurrently, rounds never overlap, so a check never has
 * two runs at once), combines each round by the service's `require` policy,
 * feeds the health state machine (health.c), watches the maintenance file,
 * runs drains (counting connections for every draining service in one go),
 * applies reloads and the exit, and tells its owner through one callback
 * whenever what should be announced for a service changes. The backends
 * (ExaBGP lines, BIRD protocols) only map "announce these attributes" or
 * "withdraw" to routes; they see a service through the accessors below, never
 * its insides.
 *
 * Files: supervisor.c (services, rounds, maintenance, drains, exit),
 * supervisor_reload.c (applying a new config), supervisor_dump.c (the state
 * of every service for logs); supervisor_internal.h is what they share.
 */
#ifndef ANYCHECK_SUPERVISOR_H
#define ANYCHECK_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check_api.h"
#include "config.h"
#include "conn_count.h"
#include "health.h"
#include "loop.h"

struct supervisor;
struct service;

#define SERVICE_REASON_MAX 512

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

/* Counts established TCP connections for drains: one call counts every
 * query (one per draining service) and calls done later (or at once) with 0
 * and every queries[i].count filled, or -1 on error. Returns 0, or -1 when
 * it could not start (done is then not called). */
struct supervisor_conn_counter {
	int (*start)(void *counter, struct conn_count_query *queries,
	    size_t query_count, void (*done)(int status, void *arg),
	    void *arg);
	void *counter;
};

typedef void (*supervisor_stopped_callback)(struct supervisor *supervisor,
    void *arg);

/* One check run that ended: its service, which check, how, how long. */
struct supervisor_check_run {
	size_t check_index;
	const struct check_config *check;
	enum check_result result;
	const char *detail;
	uint64_t duration_ns;
};
typedef void (*supervisor_check_callback)(struct supervisor *supervisor,
    struct service *service, const struct supervisor_check_run *run,
    void *arg);

/* The last run of one check of a service (result CHECK_RESULT_COUNT: none
 * yet). */
struct service_check_last {
	enum check_result result;
	uint64_t duration_ns;
	uint64_t ended_ns;              /* loop time */
	char detail[CHECK_DETAIL_MAX];
};

/* What a reload did, for the caller's summary line. */
struct supervisor_reload_result {
	size_t unchanged;
	size_t changed;
	size_t added;
	size_t removed;
};

/* Build the services of config (which the caller keeps and which must
 * outlive the supervisor) and schedule their first rounds, spread over one
 * interval. */
struct supervisor *supervisor_new(struct loop *loop,
    const struct config *config, supervisor_change_callback on_change,
    void *on_change_arg);
/* Cancel every running check and free the services and every config the
 * supervisor took over through supervisor_reload. */
void supervisor_free(struct supervisor *supervisor);

/* Be told about every check run that ends (metrics). */
void supervisor_set_check_callback(struct supervisor *supervisor,
    supervisor_check_callback callback, void *arg);

/* Start a round of the named current service now, unless one is running
 * or it is in maintenance. Returns 0, or -1 if no such service. */
int supervisor_check_now(struct supervisor *supervisor, const char *name);

/* Count connections with counter during drains (NULL start: drains end at
 * their time bound). */
void supervisor_set_conn_counter(struct supervisor *supervisor,
    const struct supervisor_conn_counter *counter);

/* How many configs are alive: the current one, and older ones still
 * used by removed services draining or by checks between two rounds. */
size_t supervisor_configs_alive(const struct supervisor *supervisor);

/* The current config (the last one reloaded). */
const struct config *supervisor_config(const struct supervisor *supervisor);

/* The services: those of the current config in its order, then services
 * removed by reloads that are still draining. Indices are valid until the
 * loop runs again. */
size_t supervisor_service_count(const struct supervisor *supervisor);
struct service *supervisor_service_at(const struct supervisor *supervisor,
    size_t index);
/* Find a current (not removed) service by name. */
struct service *supervisor_find(const struct supervisor *supervisor,
    const char *name);

/* Apply new_config (taken over, freed when no service uses it any more):
 * unchanged services keep everything, changed ones keep their state with
 * new checks, removed ones drain and go, new ones start in INIT. Returns 0
 * (filling result when not NULL); -1 (and frees new_config, changing
 * nothing) while stopping. */
int supervisor_reload(struct supervisor *supervisor,
    struct config *new_config, struct supervisor_reload_result *result);

/* Operator maintenance on or off for a service (drains when announced);
 * reason is logged, and kept for status while it is on. Returns -1 if no
 * such current service. */
int supervisor_set_maintenance(struct supervisor *supervisor,
    const char *name, bool on, const char *reason);

/* An operator's traffic shift: what changes in a service's UP attributes
 * while it is UP or FALLING (anycheckctl shift). med and as_path_prepend
 * replace the UP values; communities are added to the UP ones. */
#define SUPERVISOR_SHIFT_PREPEND_MAX 32
struct supervisor_shift {
	bool has_med;
	uint32_t med;
	bool has_as_path_prepend;
	unsigned as_path_prepend;       /* 0..SUPERVISOR_SHIFT_PREPEND_MAX */
	struct community *communities;
	size_t community_count;         /* at most CONFIG_COMMUNITIES_MAX */
};

/* Shift the named current service's UP attributes (copied), or end the
 * shift (NULL). The owner is told through the change callback when what
 * should be announced changes; a reload keeps the shift, applied to the
 * new UP attributes. An AS-path prepend needs local_as (the caller
 * checks). Returns -1 if no such current service. */
int supervisor_set_shift(struct supervisor *supervisor, const char *name,
    const struct supervisor_shift *shift);

/* Begin the exit: announced services with drain_on_exit drain, every
 * other service is withdrawn at once (those with on_exit "keep" are left
 * as they are); stopped is called from the loop once all are done. A
 * second call, or immediate, ends every drain now. */
void supervisor_shutdown(struct supervisor *supervisor, bool immediate,
    supervisor_stopped_callback stopped, void *arg);
bool supervisor_stopping(const struct supervisor *supervisor);

/* Check runs that ended in a local error (anycheck could not run them:
 * out of file descriptors, memory, processes) for cause, since the start.
 * A round with such a run does not move its service's state unless the
 * other checks decide the round on their own. */
unsigned long supervisor_local_errors(const struct supervisor *supervisor,
    enum check_local_cause cause);

/* Log everything about every service: state, since, counters, hold-down,
 * drain progress and announcement (what SIGUSR1 shows). */
void supervisor_log_state(const struct supervisor *supervisor);

/* A service, as its owner sees it. */
const struct service_config *service_config(const struct service *service);
const char *service_name(const struct service *service);
enum health_state service_state(const struct service *service);
const struct health *service_health(const struct service *service);
/* Why the last round passed or failed, or what else changed the state. */
const char *service_reason(const struct service *service);
/* Since when the service is in its state (loop time). */
uint64_t service_state_since_ns(const struct service *service);
/* When its last round started, and how many rounds have ended. */
uint64_t service_round_started_ns(const struct service *service);
unsigned long service_rounds(const struct service *service);
/* Its checks: how many, each one's config and last run. */
size_t service_check_count(const struct service *service);
const struct check_config *service_check_config(const struct service *service,
    size_t index);
const struct service_check_last *service_check_last(
    const struct service *service, size_t index);
/* In maintenance (file or request), and the operator's reason if any. */
bool service_maintenance_file(const struct service *service);
bool service_maintenance_requested(const struct service *service);
/* The reason given with the operator's request ("" when none is on). */
const char *service_maintenance_reason(const struct service *service);
/* The operator's shift, NULL when none; and the UP attributes with it
 * (what supervisor_announcement returns while UP or FALLING). */
const struct supervisor_shift *service_shift(const struct service *service);
const struct announce_attributes *service_shift_attributes(
    const struct service *service);
/* Dropped by a reload and draining, or STOPPED (freed soon). */
bool service_removed(const struct service *service);
bool service_stopped(const struct service *service);
/* The last connection count of its drain, -1 when none. */
long service_drain_connections(const struct service *service);

/* What should be announced for service now: its attributes for the
 * current state (UP, drain, down, disabled or last_resort set), or NULL:
 * withdraw. */
const struct announce_attributes *supervisor_announcement(
    const struct service *service);

/* A small integer the backend keeps per service (0 at start; never
 * touched by the supervisor). */
int service_backend_state(const struct service *service);
void service_set_backend_state(struct service *service, int state);

#endif
