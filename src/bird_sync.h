/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: keeping BIRD's anycheck protocols in the desired state
 *
 * The pump between the plan (bird_plan.h: per protocol, the state anycheck
 * wants and the state BIRD is known to be in, and which command is next)
 * and BIRD's control socket (bird_client.h). It sends what the plan says,
 * pipelined, and feeds the replies back. After every (re)connection, every
 * "configure" and every new boot or reconfiguration time in "show status"
 * it first learns every protocol's state with one "show protocols" and
 * then sends only what differs; the same listing every
 * bird.verify_interval corrects drift (a hand-run "birdc enable"). When
 * many protocols must change at once and its owner set rewrite_include,
 * it has the include file rewritten with the wanted states and sends one
 * "configure" instead of thousands of toggles. Errors are logged once per
 * cause, with the fix, and retried; a bulk re-apply is logged as one
 * summary line.
 *
 * The learn listing also sweeps: a protocol BIRD has enabled that looks
 * like anycheck's (bird_names_default_form, or claimed with
 * bird_sync_claim) and that no configured service owns is disabled (a
 * service removed from the config while anycheck-bird was not running).
 * Protocols of configured services are left as BIRD has them until their
 * service decides; any other protocol is never touched.
 */
#ifndef ANYCHECK_BIRD_SYNC_H
#define ANYCHECK_BIRD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_client.h"
#include "bird_include.h"
#include "bird_plan.h"
#include "bird_reply.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "name_index.h"

/* How often "show status" is asked, to notice a restart or reconfigure. */
#define BIRD_SYNC_STATUS_INTERVAL_NS (500ULL * 1000000ULL)
/* BIRD's boot and reconfiguration times wobble by a millisecond between
 * two "show status": closer than this is the same moment. */
#define BIRD_SYNC_TIME_TOLERANCE_MS 10
/* How long after an error (missing protocol, access denied) to retry. */
#define BIRD_SYNC_RETRY_NS BIRD_PLAN_RETRY_NS
/* Commands handed to the client at once (it pipelines them). */
#define BIRD_SYNC_IN_FLIGHT_MAX 64
/* "configure" re-reads every file and may restart protocols: be patient. */
#define BIRD_SYNC_CONFIGURE_TIMEOUT_NS (60ULL * 1000000000ULL)
/* Protocols to change from which one include rewrite and "configure" may
 * beat toggles (BIRD 2.0.12: ~0.3 ms per toggle; a configure of 10 000
 * bare protocols enabling them all, 0.3 s); the measured cost of the last
 * configure decides. */
#define BIRD_SYNC_BULK_MIN 256
/* What one pipelined enable/disable costs BIRD 2.0.12 (measured 0.2-0.4
 * ms), against the measured duration of the last "configure". */
#define BIRD_SYNC_TOGGLE_COST_NS (300ULL * 1000ULL)
/* Protocols to change (at once, or toggled within a second) from which
 * the changes are logged as one summary line rather than a line each. */
#define BIRD_SYNC_BATCH_MIN 8
/* The summary is logged once BIRD stayed right this long. */
#define BIRD_SYNC_BATCH_QUIET_NS (500ULL * 1000000ULL)

struct bird_sync;

/* Rewrite the include file with every protocol's wanted state
 * (bird_sync_protocol_wanted) and call bird_sync_configure; false when it
 * did not (no include file, or writing failed). */
typedef bool (*bird_sync_rewrite_include)(struct bird_sync *sync, void *arg);

/* Changes being logged as one line (a re-apply, a bulk change). */
struct bird_sync_batch {
	bool open;
	uint64_t started_ns;
	uint64_t last_ns;               /* of the last change BIRD made */
	size_t toggles;                 /* enables and disables BIRD did */
	size_t configures;              /* include rewrites + configure */
};

struct bird_sync {
	struct loop *loop;
	struct bird_client *client;
	char *socket_path;
	struct bird_plan plan;
	size_t in_flight;               /* toggles handed to the client */
	struct loop_timer status_timer;
	struct loop_timer verify_timer;
	uint64_t verify_interval_ns;    /* config bird.verify_interval */
	struct loop_timer retry_timer;
	struct loop_timer pump_timer;   /* pump on the next loop round */
	bool status_in_flight;
	bool have_status;
	struct bird_status status;      /* last seen */
	bool configured_by_us;          /* expect a new reconfiguration time */
	/* "show protocols": learning (after a connection, configure, restart:
	 * no toggle before it is in) or verifying (drift). */
	bool learning;
	bool learn_wanted;              /* to be sent */
	uint64_t learn_started_ns;
	bool listing_in_flight;
	bool listing_learns;            /* the one in flight is a learn */
	unsigned long corrections;      /* drift fixed, for logs and tests */
	unsigned long listings;         /* "show protocols" answered (tests) */
	/* "configure": wanted, sent; no enable/disable meanwhile, the new
	 * protocols are not in BIRD yet. */
	bool configure_wanted;
	bool configure_in_flight;
	uint64_t configure_sent_ns;
	uint64_t configure_cost_ns;     /* how long the last one took */
	bool held;                      /* bird_sync_hold */
	/* Set by the owner after bird_sync_init (optional). */
	bird_sync_rewrite_include rewrite_include;
	void *rewrite_include_arg;
	/* Set by the owner (optional): BIRD's state of every protocol was
	 * just learned (after a connect, configure or restart). */
	void (*on_learned)(struct bird_sync *sync, void *arg);
	void *on_learned_arg;
	bool learned_once;
	size_t bulk_min;                /* BIRD_SYNC_BULK_MIN unless changed */
	uint64_t retry_ns;              /* BIRD_SYNC_RETRY_NS unless changed */
	bool rewriting;
	bool bulk_pending;              /* our rewrite's configure not read */
	size_t bulk_backlog;            /* the backlog it was to clear */
	uint64_t rewrite_blocked_until_ns;
	struct bird_sync_batch batch;
	struct loop_timer batch_timer;  /* logs the summary */
	uint64_t batch_quiet_ns;        /* BIRD_SYNC_BATCH_QUIET_NS */
	uint64_t window_started_ns;     /* toggles logged one by one ... */
	size_t window_toggles;          /* ... in this second */
	/* anycheck's names beyond the default form (bird_sync_claim). */
	struct name_index claimed;
	char **claimed_names;
	size_t claimed_count;
	/* "connected", "lost the connection": a socket that accepts and
	 * hangs up logs each once, then a count. */
	struct log_limit connected_log;
	struct log_limit lost_log;
	/* Found by the current learn listing, logged in one line at its end. */
	size_t orphans;
	char orphan_names[256];
};

/* The protocols of every service of config, all desired disabled;
 * connects to config->bird_socket. */
void bird_sync_init(struct bird_sync *sync, struct loop *loop,
    const struct config *config);
void bird_sync_cleanup(struct bird_sync *sync);

/* After a reload: the protocols are now those of services, and the _shift
 * protocols of those in shifts (NULL: none; kept alive and unchanged by
 * the caller until the next call). Protocols that keep their name keep
 * their state; groups have no target until bird_sync_set_announcement. */
void bird_sync_set_services(struct bird_sync *sync,
    const struct service_config *const *services, size_t count,
    const struct bird_shifts *shifts);

/* Announce service with attributes (a pointer into service, as from
 * supervisor_announcement), or withdraw it (NULL). */
void bird_sync_set_announcement(struct bird_sync *sync,
    const struct service_config *service,
    const struct announce_attributes *attributes);

/* protocol is anycheck's though not of the default form (declared by the
 * include file an earlier run wrote): when BIRD has it enabled and no
 * configured service owns it, it is disabled at connect. */
void bird_sync_claim(struct bird_sync *sync, const char *protocol);

/* Is protocol wanted enabled now (for the include file's "disabled")? A
 * protocol whose service has not decided yet is as BIRD has it. */
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

/* Protocols whose state BIRD has not confirmed yet (errors included). */
size_t bird_sync_backlog(const struct bird_sync *sync);

/* bird.verify_interval changed by a reload: the next verify pass comes one
 * new interval from now. */
void bird_sync_set_verify_interval(struct bird_sync *sync, double seconds);

#endif
