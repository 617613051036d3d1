/*
 * DOC: anycheck-exabgp
 *
 * Runs as an ExaBGP `process`: health-checks the configured services and,
 * on every transition into or out of an announced state, writes "announce
 * route" / "withdraw route" for each of the service's prefixes on stdout.
 * Nothing is re-sent every interval. On SIGTERM, SIGINT, EOF on stdin or
 * "shutdown" from ExaBGP it withdraws everything it announced and exits 0.
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
#include "exabgp.h"
#include "exabgp_speaker.h"
#include "log.h"
#include "loop.h"
#include "service.h"

/* How long the exit path waits for ExaBGP to read our last withdraws. */
#define EXIT_FLUSH_TIMEOUT_NS (2 * NSEC_PER_SEC)

/* What ExaBGP was last told about a service. */
enum exabgp_announcement {
	EXABGP_ANNOUNCEMENT_UNKNOWN,    /* nothing yet, by this process */
	EXABGP_ANNOUNCEMENT_ANNOUNCED,
	EXABGP_ANNOUNCEMENT_WITHDRAWN,
};

struct exabgp_daemon {
	struct loop *loop;
	struct config *config;
	struct supervisor supervisor;
	struct exabgp_speaker speaker;
	enum exabgp_announcement *announced;    /* per service */
	bool stopping;
};

static void
exabgp_daemon_send_service(struct exabgp_daemon *daemon,
    const struct service_config *service, bool announce)
{
	char line[EXABGP_LINE_MAX];

	for (size_t i = 0; i < service->prefix_count; i++) {
		const struct prefix *prefix = &service->prefixes[i];
		int n = announce ?
		    exabgp_render_announce(line, sizeof(line), prefix,
		    &service->announce, daemon->config->local_as,
		    service->exabgp_neighbors, service->exabgp_neighbor_count) :
		    exabgp_render_withdraw(line, sizeof(line), prefix,
		    &service->announce, service->exabgp_neighbors,
		    service->exabgp_neighbor_count);
		if (n < 0) {
			log_error("service %s: the %s line for %s is longer "
			    "than %d bytes; not sent", service->name,
			    announce ? "announce" : "withdraw", prefix->text,
			    EXABGP_LINE_MAX);
			continue;
		}
		exabgp_speaker_send(&daemon->speaker, line);
	}
}

static void
exabgp_daemon_service_changed(struct supervisor *supervisor,
    struct service *service, enum health_state old_state, void *arg)
{
	struct exabgp_daemon *daemon = arg;
	size_t index = (size_t)(service - supervisor->services);
	enum health_state state = service->health.state;
	bool announce = health_state_announced(state);
	enum exabgp_announcement want = announce ?
	    EXABGP_ANNOUNCEMENT_ANNOUNCED : EXABGP_ANNOUNCEMENT_WITHDRAWN;

	(void)old_state;
	if (daemon->stopping || want == daemon->announced[index])
		return;
	/* Still undecided after a start: say nothing yet. */
	if (daemon->announced[index] == EXABGP_ANNOUNCEMENT_UNKNOWN &&
	    (state == HEALTH_INIT || state == HEALTH_RISING))
		return;
	exabgp_daemon_send_service(daemon, service->config, announce);
	daemon->announced[index] = want;
}

static void
exabgp_daemon_stop(struct exabgp_daemon *daemon, const char *why)
{
	if (daemon->stopping)
		return;
	daemon->stopping = true;
	log_info("stopping: %s; withdrawing every announced prefix", why);
	for (size_t i = 0; i < daemon->config->service_count; i++) {
		if (daemon->announced[i] != EXABGP_ANNOUNCEMENT_ANNOUNCED)
			continue;
		exabgp_daemon_send_service(daemon, &daemon->config->services[i],
		    false);
		daemon->announced[i] = EXABGP_ANNOUNCEMENT_WITHDRAWN;
	}
	loop_stop(daemon->loop);
}

static void
exabgp_daemon_gone(struct exabgp_speaker *speaker, const char *why, void *arg)
{
	(void)speaker;
	exabgp_daemon_stop(arg, why);
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
		    "SIGTERM received" : "SIGINT received");
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
	daemon.announced = xcalloc(daemon.config->service_count,
	    sizeof(enum exabgp_announcement));

	log_info("started with %zu service%s from %s",
	    daemon.config->service_count,
	    daemon.config->service_count == 1 ? "" : "s", options.config_path);
	supervisor_init(&daemon.supervisor, daemon.loop, daemon.config,
	    exabgp_daemon_service_changed, &daemon);

	if (loop_run(daemon.loop) != 0)
		status = CLI_EXIT_RUNTIME;

	supervisor_cleanup(&daemon.supervisor);
	/* No more checks; give ExaBGP a bounded time to read the withdraws. */
	uint64_t deadline = clock_now_ns() + EXIT_FLUSH_TIMEOUT_NS;
	while (!exabgp_speaker_flushed(&daemon.speaker) &&
	    clock_now_ns() < deadline)
		loop_run_once(daemon.loop, 50);
	if (!exabgp_speaker_flushed(&daemon.speaker))
		log_error("ExaBGP did not read the final withdraws within 2 s");

	exabgp_speaker_cleanup(&daemon.speaker);
	loop_free(daemon.loop);
	free(daemon.announced);
	config_free(daemon.config);
	log_info("exited");
	return status;
}
