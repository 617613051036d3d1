/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: anycheck-bird
 *
 * Runs beside BIRD 2: health-checks the configured services and, whenever
 * what a service should announce changes (UP, drain, down or disabled
 * attributes, or nothing), enables the static protocol that originates its
 * prefixes with those attributes and disables the others, over BIRD's
 * control socket (see bird_sync.c). "-g FILE" writes the BIRD include file
 * that declares those protocols, generated from the same config; with
 * bird.include_file set anycheck-bird writes it itself at start and on
 * every reload, then tells BIRD "configure".
 *
 * SIGTERM or SIGINT drains the services with drain_on_exit, disables the
 * protocols of every service (except those with on_exit "keep", left as
 * they are), waits for BIRD to confirm and exits 0; a second signal ends
 * the drains at once. SIGHUP reloads the config, SIGUSR1 logs every
 * service's state.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_include.h"
#include "bird_sync.h"
#include "cli.h"
#include "clock.h"
#include "conn_count.h"
#include "log.h"
#include "loop.h"
#include "service.h"

/* How long the exit path waits for BIRD to confirm the disables. */
#define EXIT_SETTLE_TIMEOUT_NS (3 * NSEC_PER_SEC)

struct bird_daemon {
	struct loop *loop;
	struct config *config;          /* the first one; reloads go to the
					 * supervisor */
	const char *config_path;
	struct supervisor supervisor;
	struct bird_sync sync;
	struct conn_counter *counter;
	bool stopping;
	bool reloading;                 /* announcements applied after */
};

static void
bird_daemon_service_changed(struct supervisor *supervisor,
    struct service *service, const struct supervisor_change *change,
    void *arg)
{
	struct bird_daemon *daemon = arg;

	(void)supervisor;
	/* A reload rebuilds the protocol table first, then applies every
	 * service's announcement. */
	if (daemon->reloading)
		return;
	bird_sync_set_announcement(&daemon->sync, service->config,
	    change->announcement);
}

static bool
bird_daemon_protocol_wanted(const char *protocol, void *arg)
{
	return bird_sync_protocol_wanted(arg, protocol);
}

/* The services whose protocols BIRD must have: the current ones, and
 * those removed by a reload that are still draining. */
static const struct service_config **
bird_daemon_services(const struct bird_daemon *daemon, size_t *count)
{
	const struct supervisor *supervisor = &daemon->supervisor;
	const struct service_config **services = xcalloc(
	    supervisor->service_count + 1, sizeof(*services));

	*count = 0;
	for (size_t i = 0; i < supervisor->service_count; i++)
		if (!supervisor->services[i]->dead)
			services[(*count)++] = supervisor->services[i]->config;
	return services;
}

/* Write bird.include_file with every protocol's current wanted state and
 * have BIRD re-read it. Returns whether it did. */
static bool
bird_daemon_write_include(struct bird_daemon *daemon,
    const struct service_config **services, size_t count)
{
	const struct config *config = daemon->supervisor.config;
	struct bird_include_options options = {
		.services = services,
		.service_count = count,
		.enabled = bird_daemon_protocol_wanted,
		.arg = &daemon->sync,
	};

	if (config->bird_include_file == NULL)
		return false;
	if (bird_include_write_file_options(config, &options,
	    config->bird_include_file) != 0) {
		log_error("could not write the BIRD include file %s; BIRD "
		    "keeps its previous protocols", config->bird_include_file);
		return false;
	}
	log_info("wrote %s; asking BIRD to reconfigure",
	    config->bird_include_file);
	bird_sync_configure(&daemon->sync);
	return true;
}

/* bird_sync's bulk path: many protocols to change at once cost one
 * rewrite and "configure" rather than thousands of toggles. */
static bool
bird_daemon_rewrite_include(struct bird_sync *sync, void *arg)
{
	struct bird_daemon *daemon = arg;
	const struct service_config **services;
	size_t count;
	bool written;

	(void)sync;
	services = bird_daemon_services(daemon, &count);
	written = bird_daemon_write_include(daemon, services, count);
	free(services);
	return written;
}

static void
bird_daemon_reload(struct bird_daemon *daemon)
{
	const struct service_config **services;
	struct config *config;
	size_t count;

	if (daemon->stopping) {
		log_warnx("SIGHUP: reload ignored: stopping");
		return;
	}
	config = cli_reload_config(daemon->config_path);
	if (config == NULL)
		return;
	if (bird_include_check(config, NULL) != 0) {
		config_free(config);
		log_error("reload failed (the BIRD protocols cannot be "
		    "declared, see above); still running the previous "
		    "configuration");
		return;
	}
	daemon->reloading = true;
	supervisor_reload(&daemon->supervisor, config);
	daemon->reloading = false;

	/* Nothing goes to BIRD until the include file is written and the
	 * "configure" queued: BIRD does not know the new protocols before. */
	bird_sync_hold(&daemon->sync, true);
	services = bird_daemon_services(daemon, &count);
	bird_sync_set_services(&daemon->sync, services, count);
	for (size_t i = 0; i < daemon->supervisor.service_count; i++) {
		struct service *service = daemon->supervisor.services[i];

		if (!service->dead)
			bird_sync_set_announcement(&daemon->sync,
			    service->config, supervisor_announcement(service));
	}
	bird_daemon_write_include(daemon, services, count);
	free(services);
	bird_sync_hold(&daemon->sync, false);
}

static void
bird_daemon_stopped(struct supervisor *supervisor, void *arg)
{
	struct bird_daemon *daemon = arg;

	(void)supervisor;
	loop_stop(daemon->loop);
}

static void
bird_daemon_signal(struct loop *loop, int signo, void *arg)
{
	struct bird_daemon *daemon = arg;
	const char *name = signo == SIGTERM ? "SIGTERM" : "SIGINT";

	(void)loop;
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		if (!daemon->stopping)
			log_info("stopping: %s received; disabling every "
			    "anycheck protocol in BIRD (after draining, where "
			    "configured)", name);
		else
			log_info("%s while stopping: disabling now", name);
		supervisor_shutdown(&daemon->supervisor, daemon->stopping,
		    bird_daemon_stopped, daemon);
		daemon->stopping = true;
		break;
	case SIGUSR1:
		supervisor_log_state(&daemon->supervisor);
		break;
	case SIGHUP:
		bird_daemon_reload(daemon);
		break;
	}
}

static int
bird_daemon_generate(const struct config *config, const char *path)
{
	if (strcmp(path, "-") == 0)
		return bird_include_render(config, stdout) == 0 &&
		    fflush(stdout) == 0 ? 0 : -1;
	if (bird_include_write_file(config, path) != 0)
		return -1;
	fprintf(stderr, "anycheck-bird: wrote %s; run 'birdc configure' to "
	    "load it\n", path);
	return 0;
}

int
main(int argc, char **argv)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct cli_options options;
	struct bird_daemon daemon;
	int status = CLI_EXIT_OK;
	bool check_only;

	cli_parse(argc, argv, "anycheck-bird",
	    "Health-checks services and enables or disables the BIRD static "
	    "protocols\nthat originate their anycast prefixes, through BIRD's "
	    "control socket.", true, &options);
	log_init("anycheck-bird", options.debug ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO, options.use_syslog);

	memset(&daemon, 0, sizeof(daemon));
	/* -n also checks what only anycheck-bird needs: the protocols. */
	check_only = options.check_only;
	options.check_only = false;
	daemon.config = cli_load_config(&options);
	if (bird_include_check(daemon.config, NULL) != 0) {
		fprintf(stderr, "anycheck-bird: the BIRD protocols of %s "
		    "cannot be declared (see above); nothing was started\n",
		    options.config_path);
		config_free(daemon.config);
		return CLI_EXIT_CONFIG;
	}
	if (check_only) {
		printf("configuration OK\n");
		config_free(daemon.config);
		return CLI_EXIT_OK;
	}
	if (options.generate != NULL) {
		status = bird_daemon_generate(daemon.config, options.generate);
		config_free(daemon.config);
		if (status != 0)
			fprintf(stderr, "anycheck-bird: cannot write the "
			    "include file %s\n", options.generate);
		return status == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
	}
	signal(SIGPIPE, SIG_IGN);

	daemon.loop = loop_new();
	if (daemon.loop == NULL)
		exit(CLI_EXIT_RUNTIME);
	if (loop_watch_signals(daemon.loop, signals,
	    sizeof(signals) / sizeof(signals[0]), bird_daemon_signal,
	    &daemon) != 0)
		exit(CLI_EXIT_RUNTIME);
	daemon.config_path = options.config_path;

	log_info("started with %zu service%s from %s; BIRD socket %s",
	    daemon.config->service_count,
	    daemon.config->service_count == 1 ? "" : "s", options.config_path,
	    daemon.config->bird_socket);
	bird_sync_init(&daemon.sync, daemon.loop, daemon.config);
	if (daemon.config->bird_include_file != NULL) {
		daemon.sync.rewrite_include = bird_daemon_rewrite_include;
		daemon.sync.rewrite_include_arg = &daemon;
	}
	supervisor_init(&daemon.supervisor, daemon.loop, daemon.config,
	    bird_daemon_service_changed, &daemon);
	daemon.counter = conn_counter_new(daemon.loop);
	if (daemon.counter != NULL) {
		daemon.supervisor.conn_counter.start = conn_count_start_hook;
		daemon.supervisor.conn_counter.counter = daemon.counter;
	}
	if (daemon.config->bird_include_file != NULL) {
		/* Nothing is wanted enabled yet: every protocol "disabled
		 * yes", as BIRD would start them anyway. */
		size_t count;
		const struct service_config **services =
		    bird_daemon_services(&daemon, &count);
		bird_daemon_write_include(&daemon, services, count);
		free(services);
	}

	if (loop_run(daemon.loop) != 0)
		status = CLI_EXIT_RUNTIME;

	/* The supervisor withdrew what is not kept; let BIRD confirm (with
	 * the supervisor still there: the include rewrite of a bulk change,
	 * such as thousands of withdraws, reads its services). */
	uint64_t deadline = clock_now_ns() + EXIT_SETTLE_TIMEOUT_NS;
	while (!bird_sync_settled(&daemon.sync) && clock_now_ns() < deadline)
		loop_run_once(daemon.loop, 50);
	if (!bird_sync_settled(&daemon.sync))
		log_error("BIRD did not confirm disabling every protocol "
		    "within 3 s");
	daemon.sync.rewrite_include = NULL;
	supervisor_cleanup(&daemon.supervisor);
	if (daemon.counter != NULL)
		conn_counter_free(daemon.counter);

	bird_sync_cleanup(&daemon.sync);
	loop_free(daemon.loop);
	config_free(daemon.config);
	log_info("exited");
	return status;
}
