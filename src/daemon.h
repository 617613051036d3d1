/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the daemon core shared by anycheck-exabgp and anycheck-bird
 *
 * Everything both programs do the same way lives here, written once: the
 * event loop and its signals (SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1
 * dumps), loading and reloading the config with one summary line, the
 * supervisor, the connection counter for drains, the exit sequence with its
 * bounded wait for the routing daemon, and observers that later features
 * (control socket, metrics, systemd notify) attach to. What differs is a
 * backend (backend.h); a program's main only parses its arguments and
 * picks one.
 */
#ifndef ANYCHECK_DAEMON_H
#define ANYCHECK_DAEMON_H

#include <stdbool.h>

#include "backend.h"
#include "cli.h"
#include "config.h"
#include "conn_count.h"
#include "loop.h"
#include "supervisor.h"

#define DAEMON_RELOAD_KEYS_MAX 16

struct control;

/* What a reload did: the summary line it logged, and the top-level keys
 * it applied or could not apply (key strings valid until the next
 * reload). */
struct daemon_reload_report {
	bool ok;                        /* false: refused, nothing changed */
	struct supervisor_reload_result services;
	const char *applied[DAEMON_RELOAD_KEYS_MAX];    /* live keys */
	size_t applied_count;
	const char *restart[DAEMON_RELOAD_KEYS_MAX];    /* restart-only */
	size_t restart_count;
	char summary[1024];
	/* Every error line of a refused reload (and the warnings of any),
	 * valid for the callback only; at most CONFIG_ERRORS_MAX + 1 each
	 * (the last one says how many more there were). */
	const char *const *errors;
	size_t error_count;
	const char *const *warnings;
	size_t warning_count;
};

/* Told about what happens in the daemon; every callback may be NULL. */
struct daemon_observer {
	void (*service_changed)(void *arg, struct service *service,
	    const struct supervisor_change *change);
	/* A check run ended (metrics). */
	void (*check_done)(void *arg, struct service *service,
	    const struct supervisor_check_run *run);
	/* A reload ended (report->ok false when it was refused). */
	void (*reloaded)(void *arg, const struct daemon_reload_report *report);
	/* A reload began loading the file (systemd's RELOADING=1). */
	void (*reload_started)(void *arg);
	/* The exit began. */
	void (*stopping)(void *arg);
	void *arg;
	struct daemon_observer *next;   /* the daemon's list */
};

struct daemon {
	const char *program;            /* for logs */
	const struct backend_ops *backend_ops;
	void *backend;
	struct loop *loop;
	struct config *config;          /* the first one; reloads are the
					 * supervisor's to own */
	char *config_path;
	struct supervisor *supervisor;
	struct conn_counter *counter;
	struct daemon_observer *observers;
	struct config_loader *reload_loader;    /* a reload is loading */
	bool reload_again;              /* asked again meanwhile */
	bool stopping;
	/* Operations (observers): metrics.c, hooks.c, systemd_notify.c;
	 * NULL when off. */
	struct metrics *metrics;
	struct hooks *hooks;
	struct systemd_notifier *notifier;
	/* ExaBGP's pipes (default stdin and stdout; tests use others). */
	int exabgp_input_fd;
	int exabgp_output_fd;
	/* The control socket and operator requests (control.h); the socket
	 * path when control.socket is not set (the program's own, set by
	 * daemon_main; NULL: no socket unless configured). */
	struct control *control;
	const char *control_socket_default;
};

/* Set up daemon on loop with config (taken over) and the backend: creates
 * the backend, the supervisor and the connection counter, so the first
 * rounds are scheduled. Returns 0, or -1 (logged; nothing to clean up but
 * the config, which is freed). The ExaBGP fds must be set before. */
int daemon_init(struct daemon *daemon, struct loop *loop,
    struct config *config, const char *config_path,
    const struct backend_ops *backend_ops);
/* Default values for the fields daemon_init does not set. */
void daemon_defaults(struct daemon *daemon, const char *program);

/* Run the loop until the exit is done, then wait (bounded) for the backend
 * to settle. Returns the exit status (enum cli_exit). */
int daemon_run(struct daemon *daemon);
void daemon_cleanup(struct daemon *daemon);

/* Load the config again and apply it. The file is loaded in the
 * background (config_loader.h), so the checks and withdraws go on however
 * long it takes; then, on the loop, a bad file changes nothing and says
 * why, and a good one is applied. Top-level keys that a reload can apply
 * (bird.verify_interval, ...) are applied; those that need a restart are
 * named in the summary and keep the value the daemon started with. The
 * observers' reloaded callback gets the report. A reload asked for while
 * one is loading runs again once it is done. */
void daemon_reload(struct daemon *daemon);
/* Is a reload loading? */
bool daemon_reloading(const struct daemon *daemon);
/* Begin the exit (drains first unless immediate); again: no more drains. */
void daemon_stop(struct daemon *daemon, const char *why, bool immediate);
/* Log every service's state and what the backend knows. */
void daemon_dump(struct daemon *daemon);

void daemon_add_observer(struct daemon *daemon,
    struct daemon_observer *observer);
/* Take observer off the list (before its owner frees it). */
void daemon_remove_observer(struct daemon *daemon,
    struct daemon_observer *observer);

/* A program's whole life after cli_parse: load (and with -n only check)
 * the config, run the daemon with backend_ops, exit status. */
int daemon_main(const struct cli_options *options,
    const struct backend_ops *backend_ops);

#endif
