/*
 * DOC: supervisor and services
 *
 * The runtime core shared by every backend. The supervisor owns one
 * struct service per configured service; each service runs rounds of its
 * checks (all checks of a round run concurrently, rounds never overlap, so a
 * check never has two runs at once), combines each round by the service's
 * `require` policy, feeds the health state machine, watches the maintenance
 * file, and tells the backend about every state change through one callback.
 * The backend (ExaBGP lines, BIRD protocols) only maps states to routes.
 */
#ifndef ANYCHECK_SERVICE_H
#define ANYCHECK_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "config.h"
#include "health.h"
#include "loop.h"

struct supervisor;

#define SERVICE_REASON_MAX 512

struct service {
	const struct service_config *config;
	struct supervisor *supervisor;
	struct health health;
	struct check *checks;
	size_t check_count;
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
	bool maintenance;               /* maintenance file present */
	uint64_t state_since_ns;
};

/* Called after every state change of a service, once the new state is in
 * service->health.state. */
typedef void (*supervisor_change_callback)(struct supervisor *supervisor,
    struct service *service, enum health_state old_state, void *arg);

struct supervisor {
	struct loop *loop;
	struct check_environment environment;
	const struct config *config;
	struct service *services;
	size_t service_count;
	supervisor_change_callback on_change;
	void *on_change_arg;
};

/* Build the runtime services of config (which must outlive the supervisor)
 * and schedule their first rounds at once. */
void supervisor_init(struct supervisor *supervisor, struct loop *loop,
    const struct config *config, supervisor_change_callback on_change,
    void *on_change_arg);
/* Cancel every running check and free the services. */
void supervisor_cleanup(struct supervisor *supervisor);

/* Log one line per service with its state, counters and last reason. */
void supervisor_log_state(const struct supervisor *supervisor);

#endif
