/*
 * DOC: anycheck-bird
 *
 * Runs beside BIRD 2: health-checks the configured services and enables the
 * static protocols that originate a service's prefixes while it is
 * announced, disabling them otherwise, over BIRD's control socket (see
 * bird_sync.c). "-g FILE" writes the BIRD include file that declares those
 * protocols, generated from the same config. On SIGTERM or SIGINT it
 * disables every protocol and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_include.h"
#include "bird_sync.h"
#include "cli.h"
#include "clock.h"
#include "log.h"
#include "loop.h"
#include "service.h"

/* How long the exit path waits for BIRD to confirm the disables. */
#define EXIT_SETTLE_TIMEOUT_NS (3 * NSEC_PER_SEC)

struct bird_daemon {
	struct loop *loop;
	struct config *config;
	struct supervisor supervisor;
	struct bird_sync sync;
	bool stopping;
};

static void
bird_daemon_service_changed(struct supervisor *supervisor,
    struct service *service, const struct supervisor_change *change,
    void *arg)
{
	struct bird_daemon *daemon = arg;

	(void)supervisor;
	if (daemon->stopping)
		return;
	/* Only the UP attributes are in the generated protocols (yet). */
	bird_sync_set_service(&daemon->sync, service->config,
	    change->announcement == &service->config->announce);
}

static void
bird_daemon_signal(struct loop *loop, int signo, void *arg)
{
	struct bird_daemon *daemon = arg;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		if (daemon->stopping)
			break;
		daemon->stopping = true;
		log_info("stopping: %s received; disabling every anycheck "
		    "protocol in BIRD", signo == SIGTERM ? "SIGTERM" :
		    "SIGINT");
		loop_stop(loop);
		break;
	case SIGUSR1:
		supervisor_log_state(&daemon->supervisor);
		break;
	case SIGHUP:
		log_warnx("SIGHUP: reloading the config is not supported yet; "
		    "restart the process to apply changes; nothing changed");
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

	cli_parse(argc, argv, "anycheck-bird",
	    "Health-checks services and enables or disables the BIRD static "
	    "protocols\nthat originate their anycast prefixes, through BIRD's "
	    "control socket.", true, &options);
	log_init("anycheck-bird", options.debug ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO, options.use_syslog);

	memset(&daemon, 0, sizeof(daemon));
	daemon.config = cli_load_config(&options);
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

	log_info("started with %zu service%s from %s; BIRD socket %s",
	    daemon.config->service_count,
	    daemon.config->service_count == 1 ? "" : "s", options.config_path,
	    daemon.config->bird_socket);
	bird_sync_init(&daemon.sync, daemon.loop, daemon.config);
	supervisor_init(&daemon.supervisor, daemon.loop, daemon.config,
	    bird_daemon_service_changed, &daemon);

	if (loop_run(daemon.loop) != 0)
		status = CLI_EXIT_RUNTIME;

	supervisor_cleanup(&daemon.supervisor);
	bird_sync_disable_all(&daemon.sync);
	uint64_t deadline = clock_now_ns() + EXIT_SETTLE_TIMEOUT_NS;
	while (!bird_sync_settled(&daemon.sync) && clock_now_ns() < deadline)
		loop_run_once(daemon.loop, 50);
	if (!bird_sync_settled(&daemon.sync))
		log_error("BIRD did not confirm disabling every protocol "
		    "within 3 s");

	bird_sync_cleanup(&daemon.sync);
	loop_free(daemon.loop);
	config_free(daemon.config);
	log_info("exited");
	return status;
}
