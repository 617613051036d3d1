/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the BIRD backend
 *
 * anycheck-bird runs beside BIRD 2 or 3: whenever what a service should
 * announce changes (UP, drain, down or disabled attributes, or nothing), it
 * enables the static protocol that originates its prefixes with those
 * attributes and disables the others, over BIRD's control socket
 * (bird_sync.c keeps BIRD in that state: enable-before-disable, drift,
 * reconnects). The protocols are declared in a BIRD include file generated
 * from the same config ("anycheck-bird -g FILE"); with bird.include_file
 * set, this backend writes that file itself at start and on every reload,
 * with each protocol's current wanted state, then tells BIRD "configure".
 *
 * A reload first rebuilds the protocol table, then applies every service's
 * announcement, with nothing sent to BIRD until the include file is written
 * and its "configure" queued: BIRD does not know new protocols before.
 *
 * An operator's traffic shift (anycheckctl shift) is one more attribute
 * set, chosen at run time: it needs bird.include_file. The service's
 * NAME_shift protocols are declared with the shifted attributes in the
 * include file (shifts), and the announcement switches to them once the
 * file is written and its "configure" queued, like a reload's; until then
 * the service keeps what BIRD announces for it. A changed shift rewrites
 * the file, and BIRD's "configure" changes the attributes of the running
 * _shift protocol in place. A cleared shift goes back to the UP protocol
 * (enable-before-disable), and the _shift protocols leave the file at its
 * next rewrite once BIRD has them disabled.
 *
 * At start, before that file is rewritten, the protocols it declares are
 * claimed as anycheck's (bird_sync_claim): one that BIRD has enabled and
 * no configured service owns any more (the config was edited, then
 * anycheck-bird died before a reload) is disabled at connect, whatever
 * its name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
#include "bird_include.h"
#include "bird_sync.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"

/* How long the include written at start waits for BIRD's state. */
#define BACKEND_BIRD_START_INCLUDE_WAIT_NS (5 * NSEC_PER_SEC)

struct backend_bird {
	struct daemon *daemon;
	struct bird_sync sync;
	bool reloading;                 /* announcements applied at commit */
	/* The include of the start waits for BIRD's state (bounded). */
	bool start_include_pending;
	struct loop_timer start_include_timer;
	/* The _shift protocols declared to BIRD (plan and include file). */
	struct bird_shifts shifts;
	/* A shift BIRD does not have yet: declare it at the next turn. */
	bool redeclare_pending;
	struct loop_timer redeclare_timer;
	char refusal[256];              /* shift_unsupported's text */
};

static const int backend_bird_families[] = { AF_INET, AF_INET6 };

/* A service's protocols are left as BIRD has them until its first
 * verdict (service_backend_state): a restarted anycheck-bird must not turn
 * off what BIRD announces while the service is still rising. */
#define BACKEND_BIRD_DECIDED 1

static bool
backend_bird_undecided(const struct service *service)
{
	enum health_state state = service_state(service);

	return service_backend_state(service) != BACKEND_BIRD_DECIDED &&
	    (state == HEALTH_INIT || state == HEALTH_RISING);
}

static int
backend_bird_check_config(const struct config *config)
{
	return bird_include_check(config, NULL);
}

/* Why service's _shift protocols cannot be declared, or NULL. */
static const char *
backend_bird_shift_problem(struct backend_bird *backend,
    const struct service_config *config)
{
	const struct bird_plan *plan = &backend->sync.plan;

	if (supervisor_config(backend->daemon->supervisor)->bird_include_file ==
	    NULL)
		return "shift needs bird.include_file (anycheck-bird declares "
		    "the shifted attributes in the include file it writes)";
	for (size_t f = 0; f < 2; f++) {
		char *name = bird_shift_protocol(config,
		    backend_bird_families[f]);
		const struct bird_plan_protocol *p;
		const char *problem = NULL;

		if (name == NULL)
			continue;
		p = bird_plan_find(plan, name);
		if (!bird_protocol_name_valid(name))
			problem = "is not a valid BIRD protocol name (at most "
			    "64 characters); set a shorter bird.protocol";
		else if (p != NULL && (strcmp(p->service, config->name) != 0 ||
		    p->variant != BIRD_VARIANT_SHIFT))
			problem = "is taken by another protocol";
		if (problem != NULL) {
			snprintf(backend->refusal, sizeof(backend->refusal),
			    "cannot declare the shift protocol %s: it %s", name,
			    problem);
			free(name);
			return backend->refusal;
		}
		free(name);
	}
	return NULL;
}

/* Is the service's _shift protocol still needed in BIRD though it is no
 * longer shifted: wanted, or not yet known disabled? */
static bool
backend_bird_shift_in_use(const struct backend_bird *backend,
    const struct service_config *config)
{
	for (size_t f = 0; f < 2; f++) {
		char *name = bird_shift_protocol(config,
		    backend_bird_families[f]);
		const struct bird_plan_protocol *p = name != NULL ?
		    bird_plan_find(&backend->sync.plan, name) : NULL;

		free(name);
		if (p != NULL && !p->leaving && p->variant ==
		    BIRD_VARIANT_SHIFT && (p->wanted || p->in_flight ||
		    p->known != BIRD_PLAN_DISABLED))
			return true;
	}
	return false;
}

/* Has BIRD been given service's current shift (its _shift protocols
 * declared, with the attributes it has now)? */
static bool
backend_bird_shift_declared(const struct backend_bird *backend,
    const struct service *service)
{
	const struct service_config *config = service_config(service);
	const struct announce_attributes *shift =
	    service_shift_attributes(service);
	const struct bird_shift *entry = bird_shifts_find(&backend->shifts,
	    config->name);
	char *text;
	bool same;

	if (shift == NULL || entry == NULL || entry->attributes != shift)
		return false;
	text = bird_shift_text(supervisor_config(backend->daemon->supervisor),
	    config, shift);
	same = strcmp(text, entry->text) == 0;
	free(text);
	return same;
}

/* What to announce service with in BIRD: announcement, or the UP
 * attributes for a shift BIRD was not given (it cannot be: no include
 * file, or its names are taken). */
static const struct announce_attributes *
backend_bird_announcement(const struct backend_bird *backend,
    const struct service *service,
    const struct announce_attributes *announcement)
{
	const struct service_config *config = service_config(service);

	if (announcement != NULL &&
	    announcement == service_shift_attributes(service) &&
	    bird_shifts_find(&backend->shifts, config->name) == NULL)
		return &config->announce;
	return announcement;
}

/* The table of _shift protocols from the services' shifts now: those
 * shifted (when they can be declared), and those no longer shifted whose
 * _shift protocol BIRD may still run (declared with the UP attributes
 * until BIRD has it disabled). */
static void
backend_bird_rebuild_shifts(struct backend_bird *backend)
{
	const struct supervisor *supervisor = backend->daemon->supervisor;
	const struct config *current = supervisor_config(supervisor);

	bird_shifts_clear(&backend->shifts);
	if (current->bird_include_file == NULL)
		return;
	for (size_t i = 0; i < supervisor_service_count(supervisor); i++) {
		const struct service *service =
		    supervisor_service_at(supervisor, i);
		const struct service_config *config = service_config(service);
		const struct announce_attributes *shift =
		    service_shift_attributes(service);
		const char *problem;

		if (service_stopped(service) && service_removed(service))
			continue;
		if (shift != NULL) {
			if ((problem = backend_bird_shift_problem(backend,
			    config)) == NULL)
				bird_shifts_add(&backend->shifts, current,
				    config, shift);
			else
				log_error("service %s: traffic shift not "
				    "applied: %s", config->name, problem);
		} else if (backend_bird_shift_in_use(backend, config))
			bird_shifts_add(&backend->shifts, current, config,
			    &config->announce);
	}
}

static void backend_bird_apply_all(struct backend_bird *backend);

static void
backend_bird_redeclare_due(struct loop *loop, void *arg)
{
	struct backend_bird *backend = arg;

	(void)loop;
	backend->redeclare_pending = false;
	if (backend->daemon->supervisor != NULL)
		backend_bird_apply_all(backend);
}

static void
backend_bird_service_changed(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	struct backend_bird *backend = arg;
	const struct announce_attributes *announcement = change->announcement;

	if (backend->reloading || backend_bird_undecided(service))
		return;
	service_set_backend_state(service, BACKEND_BIRD_DECIDED);
	if (announcement != NULL &&
	    announcement == service_shift_attributes(service) &&
	    !backend_bird_shift_declared(backend, service) &&
	    backend_bird_shift_problem(backend, service_config(service)) ==
	    NULL) {
		/* BIRD must be given the shifted attributes first: one
		 * rewrite at the next turn, for every shift changed by then;
		 * until then BIRD keeps what it announces for the service. */
		if (!backend->redeclare_pending &&
		    !backend->start_include_pending) {
			/* (The include of the start, once BIRD's state is
			 * known, declares it anyway.) */
			backend->redeclare_pending = true;
			loop_timer_arm_in(backend->daemon->loop,
			    &backend->redeclare_timer, 0);
		}
		return;
	}
	bird_sync_set_announcement(&backend->sync, service_config(service),
	    backend_bird_announcement(backend, service, announcement));
}

static bool
backend_bird_protocol_wanted(const char *protocol, void *arg)
{
	return bird_sync_protocol_wanted(arg, protocol);
}

/* The services whose protocols BIRD must have: the current ones (also
 * once stopped by the exit: their protocols stay declared, disabled), and
 * those removed by a reload that are still draining. */
static const struct service_config **
backend_bird_services(const struct backend_bird *backend, size_t *count)
{
	const struct supervisor *supervisor = backend->daemon->supervisor;
	size_t total = supervisor_service_count(supervisor);
	const struct service_config **services = xcalloc(total + 1,
	    sizeof(*services));

	*count = 0;
	for (size_t i = 0; i < total; i++) {
		const struct service *service =
		    supervisor_service_at(supervisor, i);
		if (!(service_stopped(service) && service_removed(service)))
			services[(*count)++] = service_config(service);
	}
	return services;
}

/* Write bird.include_file with every protocol's current wanted state and
 * have BIRD re-read it. Returns whether it did. */
static bool
backend_bird_write_include(struct backend_bird *backend)
{
	const struct config *config =
	    supervisor_config(backend->daemon->supervisor);
	const struct service_config **services;
	struct bird_include_options options = {
		.enabled = backend_bird_protocol_wanted,
		.arg = &backend->sync,
		.shifts = &backend->shifts,
	};

	bool written = false;

	if (config->bird_include_file == NULL)
		return false;
	services = backend_bird_services(backend, &options.service_count);
	options.services = services;
	if (bird_include_write_file_options(config, &options,
	    config->bird_include_file) != 0)
		log_error("could not write the BIRD include file %s; BIRD "
		    "keeps its previous protocols", config->bird_include_file);
	else {
		log_info("wrote %s; asking BIRD to reconfigure",
		    config->bird_include_file);
		bird_sync_configure(&backend->sync);
		written = true;
	}
	free(services);
	return written;
}

/* bird_sync's bulk path: many protocols to change at once cost one
 * rewrite and "configure" rather than thousands of toggles. */
static bool
backend_bird_rewrite_include(struct bird_sync *sync, void *arg)
{
	struct backend_bird *backend = arg;

	(void)sync;
	if (backend->daemon->supervisor == NULL)
		return false;   /* the exit's last moments: toggles */
	return backend_bird_write_include(backend);
}

static void
backend_bird_claim_one(const char *name, void *arg)
{
	bird_sync_claim(arg, name);
}

/* Claim the protocols the include file left by an earlier run declares. */
static void
backend_bird_claim_previous(struct backend_bird *backend, const char *path)
{
	FILE *file = fopen(path, "re");
	char *line = NULL;
	size_t size = 0;

	if (file == NULL) {
		if (errno != ENOENT)
			log_warn("could not read the previous BIRD include "
			    "file %s", path);
		return;
	}
	while (getline(&line, &size, file) != -1)
		bird_names_each_declared(line, backend_bird_claim_one,
		    &backend->sync);
	free(line);
	fclose(file);
}

/* The _shift protocols the last run declared for services still
 * configured stay in the table (with the UP attributes until the shift is
 * known), so that BIRD keeps running them until their service decides
 * rather than seeing them as no one's and disabling them at connect. */
static void
backend_bird_keep_previous_shifts(struct backend_bird *backend,
    const struct config *config)
{
	const struct service_config **services;

	for (size_t i = 0; i < config->service_count; i++) {
		const struct service_config *service = &config->services[i];

		for (size_t f = 0; f < 2; f++) {
			char *name = bird_shift_protocol(service,
			    backend_bird_families[f]);
			bool claimed = name != NULL && name_index_get(
			    &backend->sync.claimed, name) != NULL;

			free(name);
			if (claimed) {
				bird_shifts_add(&backend->shifts, config,
				    service, &service->announce);
				break;
			}
		}
	}
	if (backend->shifts.count == 0)
		return;
	services = xcalloc(config->service_count + 1, sizeof(*services));
	for (size_t i = 0; i < config->service_count; i++)
		services[i] = &config->services[i];
	bird_sync_set_services(&backend->sync, services, config->service_count,
	    &backend->shifts);
	free(services);
}

static void *
backend_bird_init(struct daemon *daemon)
{
	struct backend_bird *backend = xcalloc(1, sizeof(*backend));

	backend->daemon = daemon;
	bird_shifts_init(&backend->shifts);
	loop_timer_init(&backend->redeclare_timer, backend_bird_redeclare_due,
	    backend);
	log_info("BIRD socket %s", daemon->config->bird_socket);
	bird_sync_init(&backend->sync, daemon->loop, daemon->config);
	if (daemon->config->bird_include_file != NULL) {
		backend_bird_claim_previous(backend,
		    daemon->config->bird_include_file);
		backend_bird_keep_previous_shifts(backend, daemon->config);
		backend->sync.rewrite_include = backend_bird_rewrite_include;
		backend->sync.rewrite_include_arg = backend;
	}
	return backend;
}

/* BIRD told us every protocol's state: the include written at start can
 * now declare the protocols of undecided services as BIRD has them, so a
 * restart of anycheck-bird never turns off what BIRD announces. */
static void
backend_bird_learned(struct bird_sync *sync, void *arg)
{
	struct backend_bird *backend = arg;

	(void)sync;
	if (!backend->start_include_pending)
		return;
	backend->start_include_pending = false;
	loop_timer_cancel(backend->daemon->loop, &backend->start_include_timer);
	/* With the shifts restored from the last run declared. */
	backend_bird_apply_all(backend);
}

/* BIRD did not answer within a few seconds: write the include anyway (a
 * BIRD that is not running loses nothing by it). */
static void
backend_bird_start_include_due(struct loop *loop, void *arg)
{
	(void)loop;
	backend_bird_learned(NULL, arg);
}

static void
backend_bird_arm_start_include(struct backend_bird *backend)
{
	loop_timer_init(&backend->start_include_timer,
	    backend_bird_start_include_due, backend);
	loop_timer_arm_in(backend->daemon->loop, &backend->start_include_timer,
	    BACKEND_BIRD_START_INCLUDE_WAIT_NS);
}

static void
backend_bird_started(void *arg)
{
	struct backend_bird *backend = arg;

	/* With bird.include_file, the include is written once BIRD's state
	 * is known (or at once if BIRD has none yet to keep: it is not
	 * running, and will read the file when it starts). */
	if (supervisor_config(backend->daemon->supervisor)->bird_include_file ==
	    NULL)
		return;
	backend->start_include_pending = true;
	backend->sync.on_learned = backend_bird_learned;
	backend->sync.on_learned_arg = backend;
	backend_bird_arm_start_include(backend);
}

static void
backend_bird_reload_begin(void *arg)
{
	struct backend_bird *backend = arg;

	backend->reloading = true;
}

/* The protocol table from the services and shifts now, every decided
 * service's announcement, then the include file and its "configure",
 * with nothing sent to BIRD in between (a reload, a shift BIRD lacks, the
 * include of the start). */
static void
backend_bird_apply_all(struct backend_bird *backend)
{
	const struct supervisor *supervisor = backend->daemon->supervisor;
	const struct service_config **services;
	size_t count;
	bool written;

	bird_sync_hold(&backend->sync, true);
	backend_bird_rebuild_shifts(backend);
	services = backend_bird_services(backend, &count);
	for (int round = 0; round < 2; round++) {
		bird_sync_set_services(&backend->sync, services, count,
		    &backend->shifts);
		for (size_t i = 0; i < supervisor_service_count(supervisor);
		    i++) {
			const struct service *service =
			    supervisor_service_at(supervisor, i);
			if (!service_stopped(service) &&
			    !backend_bird_undecided(service))
				bird_sync_set_announcement(&backend->sync,
				    service_config(service),
				    backend_bird_announcement(backend,
				    service, supervisor_announcement(service)));
		}
		if (backend->start_include_pending) {
			backend->start_include_pending = false;
			loop_timer_cancel(backend->daemon->loop,
			    &backend->start_include_timer);
		}
		written = backend_bird_write_include(backend);
		if (written || backend->shifts.count == 0 ||
		    supervisor_config(supervisor)->bird_include_file == NULL)
			break;
		/* BIRD cannot be told the _shift protocols: announce the
		 * shifted services with their UP attributes instead. */
		log_error("traffic shifts not applied: the BIRD include file "
		    "could not be written");
		bird_shifts_clear(&backend->shifts);
	}
	free(services);
	bird_sync_hold(&backend->sync, false);
}

static void
backend_bird_reload_commit(void *arg, const struct config *config)
{
	struct backend_bird *backend = arg;

	backend->reloading = false;
	bird_sync_set_verify_interval(&backend->sync,
	    config->bird_verify_interval);
	backend_bird_apply_all(backend);
}

static size_t
backend_bird_undelivered(void *arg)
{
	struct backend_bird *backend = arg;

	size_t unsettled;

	if (bird_sync_settled(&backend->sync))
		return 0;
	/* A configure still running counts as one. */
	unsettled = bird_plan_unsettled(&backend->sync.plan);
	return unsettled > 0 ? unsettled : 1;
}

static void
backend_bird_dump(void *arg)
{
	struct backend_bird *backend = arg;
	const struct bird_plan *plan = &backend->sync.plan;

	log_info("BIRD at %s: %s; %zu protocols, %zu not yet as wanted (%zu "
	    "of them with an error being retried)", backend->sync.socket_path,
	    bird_client_connected(backend->sync.client) ? "connected" :
	    "not connected", plan->protocol_count, plan->differing,
	    plan->differing - plan->unsettled);
}

/* Per protocol of service: what anycheck-bird wants and what BIRD has
 * confirmed (bird_sync's plan). */
static void
backend_bird_describe_service(void *arg, const struct service *service,
    json_t *out)
{
	const int *families = backend_bird_families;
	struct backend_bird *backend = arg;
	const struct service_config *config = service_config(service);
	json_t *protocols = json_array();

	for (size_t f = 0; f < 2; f++)
		for (int v = 0; v < BIRD_VARIANT_COUNT; v++) {
			char *name = bird_variant_protocol(config, families[f],
			    (enum bird_variant)v, &backend->shifts);
			const struct bird_plan_protocol *p;
			if (name == NULL)
				continue;
			p = bird_plan_find(&backend->sync.plan, name);
			if (p != NULL)
				json_array_append_new(protocols, json_pack(
				    "{s:s, s:s, s:s, s:s, s:b}", "protocol",
				    name, "wanted", p->wanted ? "enabled" :
				    "disabled", "bird", bird_plan_known_name(
				    p->known), "problem", p->problem ==
				    BIRD_PLAN_PROBLEM_NONE ? "" : p->problem ==
				    BIRD_PLAN_PROBLEM_MISSING ? "not in BIRD's "
				    "config" : p->problem ==
				    BIRD_PLAN_PROBLEM_DENIED ? "access denied"
				    : "error, retrying", "settled",
				    !p->differs));
			free(name);
		}
	json_object_set_new(out, "bird", json_string(bird_client_connected(
	    backend->sync.client) ? "connected" : "not connected"));
	json_object_set_new(out, "protocols", protocols);
}

/* A shift is an attribute set of its own, which BIRD must have declared
 * as a protocol: in the include file anycheck-bird writes. */
static const char *
backend_bird_shift_unsupported(void *arg, const char *service)
{
	struct backend_bird *backend = arg;
	const struct service *found = supervisor_find(
	    backend->daemon->supervisor, service);

	if (found == NULL)
		return NULL;    /* the caller says it does not exist */
	return backend_bird_shift_problem(backend, service_config(found));
}

static void
backend_bird_stats(void *arg, struct backend_stats *out)
{
	struct backend_bird *backend = arg;
	struct bird_client_counts counts;

	out->up = bird_client_connected(backend->sync.client);
	bird_client_get_counts(backend->sync.client, &counts);
	out->commands_ok = counts.ok;
	out->commands_error = counts.error;
	out->commands_failed = counts.failed;
	out->commands_sent = counts.ok + counts.error + counts.failed +
	    bird_client_pending(backend->sync.client);
}

static void
backend_bird_cleanup(void *arg)
{
	struct backend_bird *backend = arg;

	if (backend->start_include_pending)
		loop_timer_cancel(backend->daemon->loop,
		    &backend->start_include_timer);
	if (backend->redeclare_pending)
		loop_timer_cancel(backend->daemon->loop,
		    &backend->redeclare_timer);
	bird_sync_cleanup(&backend->sync);
	bird_shifts_cleanup(&backend->shifts);
	free(backend);
}

/* BIRD needs the protocols declared before anything can be toggled, so
 * this backend checks every config and holds commands during a reload. */
const struct backend_ops backend_bird_ops = {
	.name = "bird",
	.stop_action = "disabling every anycheck protocol in BIRD",
	.check_config = backend_bird_check_config,
	/* Life. */
	.init = backend_bird_init,
	.started = backend_bird_started,
	.cleanup = backend_bird_cleanup,
	/* Changes. */
	.service_changed = backend_bird_service_changed,
	.reload_begin = backend_bird_reload_begin,
	.reload_commit = backend_bird_reload_commit,
	/* The exit: protocols BIRD has not confirmed, for at most 3 s. */
	.undelivered = backend_bird_undelivered,
	.settle_what = "protocol changes BIRD did not confirm",
	.settle_timeout_ns = 3 * NSEC_PER_SEC,
	.dump = backend_bird_dump,
	.stats = backend_bird_stats,
	.describe_service = backend_bird_describe_service,
	.shift_unsupported = backend_bird_shift_unsupported,
};
