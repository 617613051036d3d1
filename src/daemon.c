/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the daemon core
 *
 * One life for both programs: load the config (refusing it whole on any
 * error), create the backend and the supervisor, run the loop, and on
 * SIGTERM/SIGINT let the supervisor drain and withdraw, then give the
 * backend a bounded time to deliver the last withdraws. A reload is refused
 * before the file is even read while stopping, and a file that does not
 * load, or that the backend cannot use, leaves everything running as it
 * was. The supervisor's change callback goes to the backend first (routes
 * before anything else), then to every observer.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config_loader.h"
#include "control.h"
#include "daemon.h"
#include "hooks.h"
#include "log.h"
#include "metrics.h"
#include "open_files.h"
#include "subreaper.h"
#include "systemd_notify.h"

/* At the exit, how long hooks of the last changes may still run. */
#define DAEMON_HOOKS_EXIT_WAIT_MS 5000

static void
daemon_service_changed(struct supervisor *supervisor, struct service *service,
    const struct supervisor_change *change, void *arg)
{
	struct daemon *daemon = arg;

	(void)supervisor;
	daemon->backend_ops->service_changed(daemon->backend, service, change);
	for (struct daemon_observer *o = daemon->observers; o != NULL;
	    o = o->next)
		if (o->service_changed != NULL)
			o->service_changed(o->arg, service, change);
}

static void
daemon_check_done(struct supervisor *supervisor, struct service *service,
    const struct supervisor_check_run *run, void *arg)
{
	struct daemon *daemon = arg;

	(void)supervisor;
	for (struct daemon_observer *o = daemon->observers; o != NULL;
	    o = o->next)
		if (o->check_done != NULL)
			o->check_done(o->arg, service, run);
}

static void
daemon_notify_reloaded(struct daemon *daemon,
    const struct daemon_reload_report *report)
{
	for (struct daemon_observer *o = daemon->observers; o != NULL;
	    o = o->next)
		if (o->reloaded != NULL)
			o->reloaded(o->arg, report);
}

void
daemon_add_observer(struct daemon *daemon, struct daemon_observer *observer)
{
	observer->next = daemon->observers;
	daemon->observers = observer;
}

void
daemon_remove_observer(struct daemon *daemon,
    struct daemon_observer *observer)
{
	for (struct daemon_observer **at = &daemon->observers; *at != NULL;
	    at = &(*at)->next)
		if (*at == observer) {
			*at = observer->next;
			return;
		}
}

void
daemon_defaults(struct daemon *daemon, const char *program)
{
	memset(daemon, 0, sizeof(*daemon));
	daemon->program = program;
	daemon->exabgp_input_fd = STDIN_FILENO;
	daemon->exabgp_output_fd = STDOUT_FILENO;
}

int
daemon_init(struct daemon *daemon, struct loop *loop, struct config *config,
    const char *config_path, const struct backend_ops *backend_ops)
{
	struct supervisor_conn_counter counter = { 0 };

	daemon->loop = loop;
	daemon->config = config;
	daemon->config_path = xstrdup(config_path);
	daemon->backend_ops = backend_ops;
	daemon->backend = backend_ops->init(daemon);
	if (daemon->backend == NULL) {
		config_free(config);
		daemon->config = NULL;
		free(daemon->config_path);
		daemon->config_path = NULL;
		return -1;
	}
	daemon->supervisor = supervisor_new(loop, config,
	    daemon_service_changed, daemon);
	supervisor_set_check_callback(daemon->supervisor, daemon_check_done,
	    daemon);
	daemon->counter = conn_counter_new(loop);
	if (daemon->counter != NULL) {
		counter.start = conn_count_start_batch_hook;
		counter.counter = daemon->counter;
		supervisor_set_conn_counter(daemon->supervisor, &counter);
	}
	/* Operations: observers from the first change on. */
	daemon->metrics = metrics_new(daemon);
	daemon->hooks = hooks_new(daemon);
	daemon->notifier = systemd_notifier_new(daemon);
	if (backend_ops->started != NULL)
		backend_ops->started(daemon->backend);
	/* Operator requests kept from the last run apply before any round
	 * runs (the loop has not run yet). */
	if (control_attach(daemon) != 0) {
		daemon_cleanup(daemon);
		return -1;
	}
	return 0;
}

/* Which top-level keys of config a reload applies, and which only a
 * restart would: live keys against the running config, restart-only keys
 * against the config the daemon started with (their values in use). */
static void
daemon_reload_keys(const struct daemon *daemon, const struct config *config,
    struct daemon_reload_report *report)
{
	struct config_global_change changes[DAEMON_RELOAD_KEYS_MAX];
	size_t count;

	count = config_diff_globals(supervisor_config(daemon->supervisor),
	    config, changes, DAEMON_RELOAD_KEYS_MAX);
	for (size_t i = 0; i < count && i < DAEMON_RELOAD_KEYS_MAX; i++)
		if (changes[i].apply == CONFIG_APPLY_LIVE)
			report->applied[report->applied_count++] =
			    changes[i].key;
	count = config_diff_globals(daemon->config, config, changes,
	    DAEMON_RELOAD_KEYS_MAX);
	for (size_t i = 0; i < count && i < DAEMON_RELOAD_KEYS_MAX; i++)
		if (changes[i].apply == CONFIG_APPLY_RESTART)
			report->restart[report->restart_count++] =
			    changes[i].key;
}

/* "; applied bird.verify_interval; bird.socket changes only on restart" */
static void
daemon_append_keys(char *out, size_t size, const char *before,
    const char *const *keys, size_t count, const char *after)
{
	size_t length = strlen(out);

	for (size_t i = 0; i < count && length < size; i++) {
		snprintf(out + length, size - length, "%s%s", i == 0 ? before :
		    ", ", keys[i]);
		length = strlen(out);
	}
	if (count > 0 && length < size)
		snprintf(out + length, size - length, "%s", after);
}

/* The new config is loaded (or not): check it, apply it, report. */
static void
daemon_reload_apply(struct daemon *daemon, struct config *config,
    struct config_errors *errors)
{
	const struct backend_ops *ops = daemon->backend_ops;
	struct daemon_reload_report report;

	memset(&report, 0, sizeof(report));
	report.errors = (const char *const *)errors->messages;
	report.error_count = config == NULL ? errors->count : 0;
	report.warnings = (const char *const *)errors->warnings;
	report.warning_count = errors->warning_count;
	config_warnings_log(errors);
	if (config == NULL) {
		config_errors_log(errors);
		snprintf(report.summary, sizeof(report.summary), "reload failed; "
		    "still running the previous configuration (%zu error%s in "
		    "%s)", errors->count, errors->count == 1 ? "" : "s",
		    daemon->config_path);
		log_error("%s", report.summary);
		daemon_notify_reloaded(daemon, &report);
		return;
	}
	if (daemon->stopping) {
		config_free(config);
		snprintf(report.summary, sizeof(report.summary), "reload of %s "
		    "dropped: stopping", daemon->config_path);
		log_warnx("%s", report.summary);
		daemon_notify_reloaded(daemon, &report);
		return;
	}
	if (ops->check_config != NULL && ops->check_config(config) != 0) {
		config_free(config);
		snprintf(report.summary, sizeof(report.summary), "reload failed "
		    "(the %s backend cannot use it, see above); still running "
		    "the previous configuration", ops->name);
		log_error("%s", report.summary);
		daemon_notify_reloaded(daemon, &report);
		return;
	}
	daemon_reload_keys(daemon, config, &report);
	for (size_t i = 0; i < report.restart_count; i++)
		log_warnx("reload: %s changes only on restart; still using the "
		    "value anycheck started with", report.restart[i]);
	if (ops->reload_begin != NULL)
		ops->reload_begin(daemon->backend);
	supervisor_reload(daemon->supervisor, config, &report.services);
	if (ops->reload_commit != NULL)
		ops->reload_commit(daemon->backend,
		    supervisor_config(daemon->supervisor));
	report.ok = true;
	open_files_check_limit(supervisor_config(daemon->supervisor));
	snprintf(report.summary, sizeof(report.summary), "reloaded %s: %zu "
	    "unchanged, %zu changed, %zu added, %zu removed",
	    daemon->config_path, report.services.unchanged,
	    report.services.changed, report.services.added,
	    report.services.removed);
	daemon_append_keys(report.summary, sizeof(report.summary),
	    "; applied ", report.applied, report.applied_count, "");
	daemon_append_keys(report.summary, sizeof(report.summary), "; ",
	    report.restart, report.restart_count, " change only on restart");
	log_info("%s", report.summary);
	daemon_notify_reloaded(daemon, &report);
}

static void
daemon_reload_loaded(struct config *config, struct config_errors *errors,
    void *arg)
{
	struct daemon *daemon = arg;

	daemon->reload_loader = NULL;
	daemon_reload_apply(daemon, config, errors);
	config_errors_clear(errors);
	if (daemon->reload_again) {
		daemon->reload_again = false;
		daemon_reload(daemon);
	}
}

void
daemon_reload(struct daemon *daemon)
{
	struct daemon_reload_report report;
	struct config_errors errors;
	struct config *config = NULL;

	if (daemon->stopping) {
		memset(&report, 0, sizeof(report));
		snprintf(report.summary, sizeof(report.summary),
		    "reload of %s ignored: stopping", daemon->config_path);
		log_warnx("%s", report.summary);
		daemon_notify_reloaded(daemon, &report);
		return;
	}
	if (daemon->reload_loader != NULL) {
		/* The file may have changed again since the load began. */
		log_info("reload of %s requested while one is loading; "
		    "loading it again afterwards", daemon->config_path);
		daemon->reload_again = true;
		return;
	}
	log_info("reloading %s", daemon->config_path);
	for (struct daemon_observer *o = daemon->observers; o != NULL;
	    o = o->next)
		if (o->reload_started != NULL)
			o->reload_started(o->arg);
	daemon->reload_loader = config_loader_start(daemon->loop,
	    daemon->config_path, daemon_reload_loaded, daemon);
	if (daemon->reload_loader != NULL)
		return;
	/* No thread: load here (the loop waits for it). */
	config_errors_init(&errors);
	if (config_load(daemon->config_path, &config, &errors) != 0)
		config = NULL;
	daemon_reload_apply(daemon, config, &errors);
	config_errors_clear(&errors);
}

bool
daemon_reloading(const struct daemon *daemon)
{
	return daemon->reload_loader != NULL;
}

static void
daemon_stopped(struct supervisor *supervisor, void *arg)
{
	struct daemon *daemon = arg;

	(void)supervisor;
	loop_stop(daemon->loop);
}

void
daemon_stop(struct daemon *daemon, const char *why, bool immediate)
{
	bool again = daemon->stopping;

	if (!again) {
		log_info("stopping: %s; %s%s", why,
		    daemon->backend_ops->stop_action,
		    immediate ? "" : " (after draining, where configured)");
		for (struct daemon_observer *o = daemon->observers; o != NULL;
		    o = o->next)
			if (o->stopping != NULL)
				o->stopping(o->arg);
	} else
		log_info("%s while stopping: no more draining", why);
	daemon->stopping = true;
	supervisor_shutdown(daemon->supervisor, immediate || again,
	    daemon_stopped, daemon);
}

void
daemon_dump(struct daemon *daemon)
{
	supervisor_log_state(daemon->supervisor);
	if (daemon->backend_ops->dump != NULL)
		daemon->backend_ops->dump(daemon->backend);
}

int
daemon_run(struct daemon *daemon)
{
	const struct backend_ops *ops = daemon->backend_ops;
	int status = CLI_EXIT_OK;
	uint64_t deadline;
	size_t undelivered;

	if (loop_run(daemon->loop) != 0)
		status = CLI_EXIT_RUNTIME;
	/* The supervisor withdrew what is not kept; a bounded time for the
	 * routing daemon to take it (the supervisor stays, stopped: a backend
	 * may read its services meanwhile, BIRD's bulk include rewrite). */
	if (daemon->counter != NULL) {
		struct supervisor_conn_counter none = { 0 };
		supervisor_set_conn_counter(daemon->supervisor, &none);
		conn_counter_free(daemon->counter);
	}
	daemon->counter = NULL;
	deadline = loop_clock_now_ns(daemon->loop) + ops->settle_timeout_ns;
	while (ops->undelivered(daemon->backend) > 0 &&
	    loop_clock_now_ns(daemon->loop) < deadline)
		loop_run_once(daemon->loop, 50);
	undelivered = ops->undelivered(daemon->backend);
	if (undelivered > 0) {
		log_error("%zu %s within %.0f s; exiting with status %d",
		    undelivered, ops->settle_what,
		    (double)ops->settle_timeout_ns / 1e9, CLI_EXIT_RUNTIME);
		status = CLI_EXIT_RUNTIME;
	}
	/* The hooks of the last changes (bounded: each has its timeout,
	 * and this wait its own). */
	for (int i = 0; i < DAEMON_HOOKS_EXIT_WAIT_MS / 50 &&
	    hooks_busy(daemon->hooks); i++)
		loop_run_once(daemon->loop, 50);
	metrics_exit(daemon->metrics);
	supervisor_free(daemon->supervisor);
	daemon->supervisor = NULL;
	return status;
}

void
daemon_cleanup(struct daemon *daemon)
{
	/* Nothing is told anything any more: the parts below go one by
	 * one, and none may walk a list holding another's freed observer. */
	daemon->observers = NULL;
	control_detach(daemon);
	if (daemon->reload_loader != NULL)
		config_loader_abandon(daemon->reload_loader);
	daemon->reload_loader = NULL;
	systemd_notifier_free(daemon->notifier);
	hooks_free(daemon->hooks);
	metrics_free(daemon->metrics);
	daemon->notifier = NULL;
	daemon->hooks = NULL;
	daemon->metrics = NULL;
	if (daemon->counter != NULL)
		conn_counter_free(daemon->counter);
	supervisor_free(daemon->supervisor);
	if (daemon->backend != NULL)
		daemon->backend_ops->cleanup(daemon->backend);
	config_free(daemon->config);
	free(daemon->config_path);
	daemon->counter = NULL;
	daemon->supervisor = NULL;
	daemon->backend = NULL;
	daemon->config = NULL;
	daemon->config_path = NULL;
}

static void
daemon_signal(struct loop *loop, int signo, void *arg)
{
	struct daemon *daemon = arg;

	(void)loop;
	switch (signo) {
	case SIGTERM:
		daemon_stop(daemon, "SIGTERM received", false);
		break;
	case SIGINT:
		daemon_stop(daemon, "SIGINT received", false);
		break;
	case SIGUSR1:
		daemon_dump(daemon);
		break;
	case SIGHUP:
		daemon_reload(daemon);
		break;
	}
}

int
daemon_main(const struct cli_options *options,
    const struct backend_ops *backend_ops)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct daemon daemon;
	char *control_socket_default;
	struct config *config;
	struct loop *loop;
	int status;

	/* -n answers on the terminal, -s or not. */
	log_init(options->program, options->debug ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO, options->use_syslog && !options->check_only);
	/* One malloc arena: the only other thread is a reload's short-lived
	 * loader, and a second arena holding a freed config only makes the
	 * resident size harder to predict. */
	mallopt(M_ARENA_MAX, 1);
	config = cli_load_config(options);
	if (backend_ops->check_config != NULL &&
	    backend_ops->check_config(config) != 0) {
		fprintf(stderr, "%s: %s cannot be used by the %s backend (see "
		    "above); nothing was started\n", options->program,
		    options->config_path, backend_ops->name);
		config_free(config);
		return CLI_EXIT_CONFIG;
	}
	if (options->check_only) {
		printf("configuration OK\n");
		config_free(config);
		return CLI_EXIT_OK;
	}
	/* Before the first check: as many descriptors as allowed (and a loud
	 * word when the checks may need more), and the orphans of check
	 * commands become ours to reap. */
	open_files_raise_limit();
	open_files_check_limit(config);
	subreaper_enable();
	/* A closed pipe or socket is an event to handle, not a reason to
	 * die. */
	signal(SIGPIPE, SIG_IGN);
	loop = loop_new();
	if (loop == NULL) {
		config_free(config);
		return CLI_EXIT_RUNTIME;
	}
	daemon_defaults(&daemon, options->program);
	daemon.control_socket_default = control_socket_default =
	    xasprintf("%s/%s.sock", CONTROL_SOCKET_DIRECTORY,
	    options->program);
	if (loop_watch_signals(loop, signals,
	    sizeof(signals) / sizeof(signals[0]), daemon_signal,
	    &daemon) != 0) {
		config_free(config);
		loop_free(loop);
		free(control_socket_default);
		return CLI_EXIT_RUNTIME;
	}
	if (daemon_init(&daemon, loop, config, options->config_path,
	    backend_ops) != 0) {
		loop_free(loop);
		free(control_socket_default);
		return CLI_EXIT_RUNTIME;
	}
	log_info("started with %zu service%s from %s", config->service_count,
	    config->service_count == 1 ? "" : "s", options->config_path);
	status = daemon_run(&daemon);
	daemon_cleanup(&daemon);
	loop_free(loop);
	free(control_socket_default);
	log_info("exited");
	return status;
}
