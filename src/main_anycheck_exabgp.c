/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: anycheck-exabgp
 *
 * Runs as an ExaBGP `process`: health-checks the configured services and,
 * whenever what a service should announce changes (UP, drain, down or
 * disabled attributes, or nothing), writes "announce route" (with the new
 * attributes) or "withdraw route" for each of its prefixes on stdout.
 * Nothing is re-sent every interval. On SIGTERM or SIGINT it drains the
 * services with drain_on_exit, withdraws everything it announced (except
 * services with on_exit "keep") and exits 0; a second signal, EOF on stdin
 * or "shutdown" from ExaBGP withdraws at once. SIGHUP reloads the config,
 * SIGUSR1 logs every service's state.
 *
 * ExaBGP keeps the routes of a process that died and starts it again, so a
 * fresh anycheck-exabgp cannot know what is announced: every service starts
 * UNKNOWN and its first decision is always sent, the withdraw of a service
 * found DOWN included. A crashed checker never leaves a dead service
 * announced past its first verdict.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "conn_count.h"
#include "exabgp.h"
#include "exabgp_speaker.h"
#include "log.h"
#include "loop.h"
#include "service.h"

/* How long the exit path waits for ExaBGP to read our last withdraws. */
#define EXIT_FLUSH_TIMEOUT_NS (2 * NSEC_PER_SEC)

/* What ExaBGP was last told about a service (service->backend_state). */
enum exabgp_announcement {
	EXABGP_ANNOUNCEMENT_UNKNOWN,    /* nothing yet, by this process */
	EXABGP_ANNOUNCEMENT_ANNOUNCED,
	EXABGP_ANNOUNCEMENT_WITHDRAWN,
};

struct exabgp_daemon {
	struct loop *loop;
	struct config *config;          /* the first one; reloads go to the
					 * supervisor */
	const char *config_path;
	struct supervisor supervisor;
	struct exabgp_speaker speaker;
	bool stopping;
	struct conn_counter *counter;
};

/* Announce prefix with attributes, or withdraw it (attributes == NULL;
 * path_from names the path-id of the route to withdraw). */
static void
exabgp_daemon_send_prefix(struct exabgp_daemon *daemon,
    const struct service_config *service, const struct prefix *prefix,
    const struct announce_attributes *attributes,
    const struct announce_attributes *path_from)
{
	char line[EXABGP_LINE_MAX];
	int n = attributes != NULL ?
	    exabgp_render_announce(line, sizeof(line), prefix, attributes,
	    daemon->supervisor.config->local_as, service->exabgp_neighbors,
	    service->exabgp_neighbor_count) :
	    exabgp_render_withdraw(line, sizeof(line), prefix, path_from,
	    service->exabgp_neighbors, service->exabgp_neighbor_count);

	if (n < 0) {
		log_error("service %s: the %s line for %s is longer than %d "
		    "bytes; not sent", service->name, attributes != NULL ?
		    "announce" : "withdraw", prefix->text, EXABGP_LINE_MAX);
		return;
	}
	exabgp_speaker_send(&daemon->speaker, line);
}

static bool
exabgp_has_prefix(const struct service_config *service,
    const struct prefix *prefix)
{
	for (size_t i = 0; i < service->prefix_count; i++)
		if (strcmp(service->prefixes[i].text, prefix->text) == 0)
			return true;
	return false;
}

static bool
exabgp_same_neighbors(const struct service_config *a,
    const struct service_config *b)
{
	if (a->exabgp_neighbor_count != b->exabgp_neighbor_count)
		return false;
	for (size_t i = 0; i < a->exabgp_neighbor_count; i++)
		if (strcmp(a->exabgp_neighbors[i], b->exabgp_neighbors[i]) != 0)
			return false;
	return true;
}

static void
exabgp_daemon_service_changed(struct supervisor *supervisor,
    struct service *service, const struct supervisor_change *change,
    void *arg)
{
	struct exabgp_daemon *daemon = arg;
	const struct service_config *config = service->config;
	const struct service_config *old = change->old_config;
	const struct announce_attributes *want = change->announcement;
	const struct announce_attributes *path_from =
	    change->old_announcement != NULL ? change->old_announcement :
	    &old->announce;
	enum health_state state = service->health.state;
	bool reconfigured = old != config;

	(void)supervisor;
	/* Still undecided after a start: say nothing yet. */
	if (service->backend_state == EXABGP_ANNOUNCEMENT_UNKNOWN &&
	    (state == HEALTH_INIT || state == HEALTH_RISING))
		return;
	/* A reload took prefixes (or neighbors) away: withdraw those routes
	 * as they were announced. */
	if (reconfigured &&
	    service->backend_state == EXABGP_ANNOUNCEMENT_ANNOUNCED) {
		bool all = !exabgp_same_neighbors(old, config);
		for (size_t i = 0; i < old->prefix_count; i++)
			if (all || !exabgp_has_prefix(config, &old->prefixes[i]))
				exabgp_daemon_send_prefix(daemon, old,
				    &old->prefixes[i], NULL, path_from);
	}
	if (want == NULL) {
		if (service->backend_state == EXABGP_ANNOUNCEMENT_WITHDRAWN &&
		    !reconfigured)
			return;
		for (size_t i = 0; i < config->prefix_count; i++)
			exabgp_daemon_send_prefix(daemon, config,
			    &config->prefixes[i], NULL, path_from);
		service->backend_state = EXABGP_ANNOUNCEMENT_WITHDRAWN;
		return;
	}
	if (service->backend_state == EXABGP_ANNOUNCEMENT_ANNOUNCED &&
	    want == change->old_announcement && !reconfigured)
		return;
	for (size_t i = 0; i < config->prefix_count; i++)
		exabgp_daemon_send_prefix(daemon, config, &config->prefixes[i],
		    want, NULL);
	service->backend_state = EXABGP_ANNOUNCEMENT_ANNOUNCED;
}

/* ExaBGP fell so far behind that commands were dropped: now that it has
 * read everything, tell it the current state of every route again. */
static void
exabgp_daemon_resync(struct exabgp_speaker *speaker, void *arg)
{
	struct exabgp_daemon *daemon = arg;

	(void)speaker;
	for (size_t s = 0; s < daemon->supervisor.service_count; s++) {
		struct service *service = daemon->supervisor.services[s];
		const struct service_config *config = service->config;
		const struct announce_attributes *want =
		    supervisor_announcement(service);

		if (service->backend_state == EXABGP_ANNOUNCEMENT_UNKNOWN)
			continue;
		if (service->backend_state == EXABGP_ANNOUNCEMENT_ANNOUNCED &&
		    want == NULL)
			want = &config->announce;   /* as last decided */
		for (size_t i = 0; i < config->prefix_count; i++)
			exabgp_daemon_send_prefix(daemon, config,
			    &config->prefixes[i],
			    service->backend_state ==
			    EXABGP_ANNOUNCEMENT_ANNOUNCED ? want : NULL,
			    &config->announce);
	}
}

static void
exabgp_daemon_stopped(struct supervisor *supervisor, void *arg)
{
	struct exabgp_daemon *daemon = arg;

	(void)supervisor;
	loop_stop(daemon->loop);
}

/* Stop: drain what drains on exit, withdraw the rest (through the change
 * callback), then leave the loop. Again or immediate: no more draining. */
static void
exabgp_daemon_stop(struct exabgp_daemon *daemon, const char *why,
    bool immediate)
{
	if (!daemon->stopping)
		log_info("stopping: %s; withdrawing every announced prefix%s",
		    why, immediate ? "" : " (after draining, where configured)");
	else
		log_info("%s while stopping: withdrawing now", why);
	daemon->stopping = true;
	supervisor_shutdown(&daemon->supervisor, immediate,
	    exabgp_daemon_stopped, daemon);
}

static void
exabgp_daemon_gone(struct exabgp_speaker *speaker, const char *why, void *arg)
{
	(void)speaker;
	exabgp_daemon_stop(arg, why, true);
}

static void
exabgp_daemon_reload(struct exabgp_daemon *daemon)
{
	struct config *config = cli_reload_config(daemon->config_path);

	if (config != NULL)
		supervisor_reload(&daemon->supervisor, config);
}

static void
exabgp_daemon_signal(struct loop *loop, int signo, void *arg)
{
	struct exabgp_daemon *daemon = arg;

	(void)loop;
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		exabgp_daemon_stop(daemon, signo == SIGTERM ?
		    "SIGTERM received" : "SIGINT received", false);
		break;
	case SIGUSR1:
		supervisor_log_state(&daemon->supervisor);
		break;
	case SIGHUP:
		exabgp_daemon_reload(daemon);
		break;
	}
}

int
main(int argc, char **argv)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct cli_options options;
	struct exabgp_daemon daemon;
	int status = CLI_EXIT_OK;

	cli_parse(argc, argv, "anycheck-exabgp",
	    "Health-checks services and announces or withdraws their anycast "
	    "prefixes\nthrough ExaBGP's text API; run it as an ExaBGP process.",
	    false, &options);
	log_init("anycheck-exabgp", options.debug ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO, options.use_syslog);

	memset(&daemon, 0, sizeof(daemon));
	daemon.config = cli_load_config(&options);
	/* A closed pipe to ExaBGP is an event to handle, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);

	daemon.loop = loop_new();
	if (daemon.loop == NULL)
		exit(CLI_EXIT_RUNTIME);
	if (loop_watch_signals(daemon.loop, signals,
	    sizeof(signals) / sizeof(signals[0]), exabgp_daemon_signal,
	    &daemon) != 0)
		exit(CLI_EXIT_RUNTIME);
	if (exabgp_speaker_init(&daemon.speaker, daemon.loop, STDIN_FILENO,
	    STDOUT_FILENO, exabgp_daemon_gone, &daemon) != 0)
		exit(CLI_EXIT_RUNTIME);
	daemon.speaker.on_resync = exabgp_daemon_resync;
	daemon.speaker.on_resync_arg = &daemon;
	daemon.config_path = options.config_path;

	log_info("started with %zu service%s from %s",
	    daemon.config->service_count,
	    daemon.config->service_count == 1 ? "" : "s", options.config_path);
	supervisor_init(&daemon.supervisor, daemon.loop, daemon.config,
	    exabgp_daemon_service_changed, &daemon);
	daemon.counter = conn_counter_new(daemon.loop);
	if (daemon.counter != NULL) {
		daemon.supervisor.conn_counter.start =
		    conn_count_start_hook;
		daemon.supervisor.conn_counter.counter = daemon.counter;
	}

	if (loop_run(daemon.loop) != 0)
		status = CLI_EXIT_RUNTIME;

	supervisor_cleanup(&daemon.supervisor);
	if (daemon.counter != NULL)
		conn_counter_free(daemon.counter);
	/* No more checks; give ExaBGP a bounded time to read the withdraws. */
	uint64_t deadline = clock_now_ns() + EXIT_FLUSH_TIMEOUT_NS;
	while (!exabgp_speaker_flushed(&daemon.speaker) &&
	    clock_now_ns() < deadline)
		loop_run_once(daemon.loop, 50);
	if (!exabgp_speaker_flushed(&daemon.speaker))
		log_error("ExaBGP did not read the final withdraws within 2 s");

	exabgp_speaker_cleanup(&daemon.speaker);
	loop_free(daemon.loop);
	config_free(daemon.config);
	log_info("exited");
	return status;
}
