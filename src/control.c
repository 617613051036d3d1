/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control module (implementation)
 *
 * Every request that changes a service is applied to the supervisor first
 * and then written to the state file, so the file never holds a request
 * the daemon refused. A reload answers its client from the daemon's
 * reloaded observer; a reload asked for while one is loading is answered
 * by the load after it (which reads the file as it is now).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "control_server.h"
#include "control_state.h"
#include "control_status.h"
#include "daemon.h"
#include "log.h"

/* A shift that ends by itself. */
struct control_expiry {
	char *service;
	uint64_t deadline_ns;           /* loop clock */
};

/* A client waiting for a reload's report. */
struct control_pending_reload {
	uint64_t client;
	unsigned skip;                  /* reports to let pass first */
};

struct control {
	struct daemon *daemon;
	struct control_server *server;
	char *state_path;               /* NULL: requests are not kept */
	char *state_problem;            /* why not, for replies */
	struct control_state state;
	struct control_expiry *expiries;
	size_t expiry_count;
	struct loop_timer expiry_timer;
	struct control_pending_reload *reloads;
	size_t reload_count;
	struct daemon_observer observer;
};

static double
control_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write the state file; a problem goes into the reply as a warning. */
static void
control_save(struct control *control, json_t *reply)
{
	if (control->state_path == NULL) {
		if (reply != NULL)
			json_object_set_new(reply, "warning", json_sprintf(
			    "not kept across restarts: %s",
			    control->state_problem));
		return;
	}
	if (control_state_save(control->state_path, &control->state) != 0 &&
	    reply != NULL)
		json_object_set_new(reply, "warning", json_sprintf("could not "
		    "write %s (see the daemon's log): not kept across "
		    "restarts", control->state_path));
}

/* Expiries. */

static void
control_expiry_rearm(struct control *control)
{
	uint64_t earliest = 0;

	for (size_t i = 0; i < control->expiry_count; i++)
		if (earliest == 0 || control->expiries[i].deadline_ns <
		    earliest)
			earliest = control->expiries[i].deadline_ns;
	if (earliest == 0)
		loop_timer_cancel(control->daemon->loop, &control->expiry_timer);
	else
		loop_timer_arm(control->daemon->loop, &control->expiry_timer,
		    earliest);
}

static void
control_expiry_set(struct control *control, const char *service,
    uint64_t deadline_ns)
{
	for (size_t i = 0; i < control->expiry_count; i++)
		if (strcmp(control->expiries[i].service, service) == 0) {
			free(control->expiries[i].service);
			control->expiries[i] =
			    control->expiries[--control->expiry_count];
			break;
		}
	if (deadline_ns != 0) {
		control->expiries = xrealloc(control->expiries,
		    (control->expiry_count + 1) * sizeof(*control->expiries));
		control->expiries[control->expiry_count].service =
		    xstrdup(service);
		control->expiries[control->expiry_count++].deadline_ns =
		    deadline_ns;
	}
	control_expiry_rearm(control);
}

static uint64_t
control_expiry_left(const struct control *control, const char *service)
{
	uint64_t now = loop_now_ns(control->daemon->loop);

	for (size_t i = 0; i < control->expiry_count; i++)
		if (strcmp(control->expiries[i].service, service) == 0)
			return control->expiries[i].deadline_ns > now ?
			    control->expiries[i].deadline_ns - now : 1;
	return 0;
}

static void
control_expire(struct loop *loop, void *arg)
{
	struct control *control = arg;
	uint64_t now = loop_now_ns(loop);
	bool changed = false;

	for (size_t i = 0; i < control->expiry_count;) {
		char *service = control->expiries[i].service;
		if (control->expiries[i].deadline_ns > now) {
			i++;
			continue;
		}
		control->expiries[i] = control->expiries[--control->expiry_count];
		log_info("service %s: traffic shift expired", service);
		if (control->daemon->supervisor != NULL)
			(void)supervisor_set_shift(control->daemon->supervisor,
			    service, NULL);
		control_state_set_shift(&control->state, service, NULL, 0);
		free(service);
		changed = true;
	}
	if (changed)
		control_save(control, NULL);
	control_expiry_rearm(control);
}

/* Commands. */

static json_t *
control_unknown_service(struct control *control, const char *name)
{
	const struct supervisor *supervisor = control->daemon->supervisor;
	const struct config *config = supervisor_config(supervisor);
	json_t *reply, *names = json_array();
	char list[768] = "";
	size_t length = 0;

	for (size_t i = 0; i < config->service_count; i++) {
		const char *service = config->services[i].name;
		json_array_append_new(names, json_string(service));
		if (length < sizeof(list) - 64)
			length += (size_t)snprintf(list + length,
			    sizeof(list) - length, "%s%s", i == 0 ? "" : ", ",
			    service);
		else if (length < sizeof(list) - 1) {
			snprintf(list + length, sizeof(list) - length,
			    ", ... (%zu in all)", config->service_count);
			length = sizeof(list) - 1;
		}
	}
	reply = control_reply_error(CONTROL_ERROR_UNKNOWN_SERVICE, "no service "
	    "\"%s\"; the services are: %s", name, list);
	json_object_set_new(reply, "services", names);
	return reply;
}

static json_t *
control_status(struct control *control, const struct control_request *request,
    enum control_command command)
{
	struct daemon *daemon = control->daemon;
	const struct supervisor *supervisor = daemon->supervisor;
	json_t *reply, *services = json_array();

	for (size_t i = 0; i < request->service_count; i++)
		if (supervisor_find(supervisor, request->services[i]) == NULL) {
			json_decref(services);
			return control_unknown_service(control,
			    request->services[i]);
		}
	for (size_t i = 0; i < supervisor_service_count(supervisor); i++) {
		const struct service *service =
		    supervisor_service_at(supervisor, i);
		bool wanted = request->service_count == 0;
		for (size_t j = 0; j < request->service_count && !wanted; j++)
			wanted = !service_removed(service) && strcmp(
			    service_name(service), request->services[j]) == 0;
		if (wanted && !service_stopped(service))
			json_array_append_new(services, control_status_service(
			    daemon, service, control_expiry_left(control,
			    service_name(service))));
	}
	reply = control_reply_ok(command);
	json_object_set_new(reply, "program", json_string(daemon->program));
	json_object_set_new(reply, "daemon_version",
	    json_string(ANYCHECK_VERSION));
	json_object_set_new(reply, "pid", json_integer(getpid()));
	json_object_set_new(reply, "config", json_string(daemon->config_path));
	json_object_set_new(reply, "backend",
	    json_string(daemon->backend_ops->name));
	json_object_set_new(reply, "stopping", json_boolean(daemon->stopping));
	json_object_set_new(reply, "services", services);
	return reply;
}

static json_t *
control_dump(struct control *control, const struct control_request *request)
{
	json_t *reply = control_status(control, request,
	    CONTROL_COMMAND_DUMP), *errors = json_object();
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	for (enum check_local_cause c = 0; c < CHECK_LOCAL_CAUSE_COUNT; c++)
		json_object_set_new(errors, check_local_cause_name(c),
		    json_integer((json_int_t)supervisor_local_errors(
		    control->daemon->supervisor, c)));
	json_object_set_new(reply, "local_errors", errors);
	/* The same in the daemon's log, as SIGUSR1 does. */
	daemon_dump(control->daemon);
	if (!request->text)
		return reply;
	out = open_memstream(&text, &size);
	if (out == NULL)
		fatalx("out of memory");
	control_status_render(reply, false, out);
	fclose(out);
	json_object_set_new(reply, "text", json_string(text));
	free(text);
	return reply;
}

static json_t *
control_maintenance(struct control *control,
    const struct control_request *request)
{
	struct supervisor *supervisor = control->daemon->supervisor;
	struct service *service = supervisor_find(supervisor, request->service);
	const char *reason = request->reason[0] != '\0' ? request->reason :
	    "no reason given";
	json_t *reply;

	if (service == NULL)
		return control_unknown_service(control, request->service);
	if (supervisor_set_maintenance(supervisor, request->service,
	    request->on, reason) != 0)
		return control_reply_error(CONTROL_ERROR_REFUSED, "service %s "
		    "is left as it is until the exit (on_exit keep)",
		    request->service);
	control_state_set_maintenance(&control->state, request->service,
	    request->on, request->reason);
	reply = control_reply_ok(CONTROL_COMMAND_MAINTENANCE);
	control_save(control, reply);
	if (!request->on && service_maintenance_file(service))
		json_object_set_new(reply, "note", json_sprintf("the "
		    "maintenance file %s still holds the service",
		    service_config(service)->maintenance_file));
	json_object_set_new(reply, "service", control_status_service(
	    control->daemon, service, control_expiry_left(control,
	    request->service)));
	return reply;
}

static json_t *
control_check(struct control *control, const struct control_request *request)
{
	struct service *service = supervisor_find(control->daemon->supervisor,
	    request->service);
	json_t *reply;

	if (service == NULL)
		return control_unknown_service(control, request->service);
	reply = control_reply_ok(CONTROL_COMMAND_CHECK);
	if (service_state(service) == HEALTH_DISABLED)
		json_object_set_new(reply, "note", json_string("in maintenance: "
		    "no checks run"));
	else
		(void)supervisor_check_now(control->daemon->supervisor,
		    request->service);
	json_object_set_new(reply, "service", json_string(request->service));
	return reply;
}

/* Can the service be shifted now? NULL, or the error reply. */
static json_t *
control_shift_refused(struct control *control, const char *service,
    const struct supervisor_shift *shift)
{
	const struct backend_ops *ops = control->daemon->backend_ops;
	const char *why = NULL;

	if (ops->shift_unsupported != NULL)
		why = ops->shift_unsupported(control->daemon->backend,
		    service);
	if (why != NULL)
		return control_reply_error(CONTROL_ERROR_REFUSED, "%s", why);
	if (shift->has_as_path_prepend && shift->as_path_prepend > 0 &&
	    !supervisor_config(control->daemon->supervisor)->has_local_as)
		return control_reply_error(CONTROL_ERROR_REFUSED, "a prepend "
		    "needs local_as in the config");
	return NULL;
}

static json_t *
control_shift(struct control *control, const struct control_request *request)
{
	struct supervisor *supervisor = control->daemon->supervisor;
	struct service *service = supervisor_find(supervisor, request->service);
	char text[512];
	json_t *reply;

	if (service == NULL)
		return control_unknown_service(control, request->service);
	if (request->clear) {
		if (service_shift(service) == NULL)
			return control_reply_error(CONTROL_ERROR_REFUSED,
			    "service %s is not shifted", request->service);
		log_info("service %s: traffic shift cleared by request",
		    request->service);
		(void)supervisor_set_shift(supervisor, request->service, NULL);
		control_state_set_shift(&control->state, request->service, NULL,
		    0);
		control_expiry_set(control, request->service, 0);
	} else {
		if ((reply = control_shift_refused(control, request->service,
		    &request->shift)) != NULL)
			return reply;
		if (supervisor_set_shift(supervisor, request->service,
		    &request->shift) != 0)
			return control_reply_error(CONTROL_ERROR_REFUSED,
			    "service %s is left as it is until the exit "
			    "(on_exit keep)", request->service);
		control_shift_describe(&request->shift, text, sizeof(text));
		if (request->for_seconds > 0)
			log_info("service %s: traffic shift by request: %s, "
			    "for %g s", request->service, text,
			    request->for_seconds);
		else
			log_info("service %s: traffic shift by request: %s, "
			    "until cleared", request->service, text);
		control_state_set_shift(&control->state, request->service,
		    &request->shift, request->for_seconds > 0 ?
		    control_wall_now() + request->for_seconds : 0);
		control_expiry_set(control, request->service,
		    request->for_seconds > 0 ? loop_now_ns(
		    control->daemon->loop) + clock_seconds_to_ns(
		    request->for_seconds) : 0);
	}
	reply = control_reply_ok(CONTROL_COMMAND_SHIFT);
	control_save(control, reply);
	json_object_set_new(reply, "service", control_status_service(
	    control->daemon, service, control_expiry_left(control,
	    request->service)));
	return reply;
}

json_t *
control_execute(struct control *control,
    const struct control_request *request, uint64_t client)
{
	struct daemon *daemon = control->daemon;
	json_t *reply;

	if (daemon->supervisor == NULL)
		return control_reply_error(CONTROL_ERROR_REFUSED, "%s is "
		    "exiting", daemon->program);
	switch (request->command) {
	case CONTROL_COMMAND_VERSION:
		reply = control_reply_ok(request->command);
		json_object_set_new(reply, "program",
		    json_string(daemon->program));
		json_object_set_new(reply, "daemon_version",
		    json_string(ANYCHECK_VERSION));
		json_object_set_new(reply, "protocol",
		    json_integer(CONTROL_PROTOCOL_VERSION));
		return reply;
	case CONTROL_COMMAND_STATUS:
		return control_status(control, request, request->command);
	case CONTROL_COMMAND_DUMP:
		return control_dump(control, request);
	case CONTROL_COMMAND_CHECK:
		return control_check(control, request);
	default:
		break;
	}
	if (daemon->stopping)
		return control_reply_error(CONTROL_ERROR_REFUSED, "%s is "
		    "stopping: no %s now", daemon->program,
		    control_command_name(request->command));
	switch (request->command) {
	case CONTROL_COMMAND_MAINTENANCE:
		return control_maintenance(control, request);
	case CONTROL_COMMAND_SHIFT:
		return control_shift(control, request);
	case CONTROL_COMMAND_RELOAD:
		control->reloads = xrealloc(control->reloads,
		    (control->reload_count + 1) * sizeof(*control->reloads));
		control->reloads[control->reload_count].client = client;
		/* One loading now read the file before this request. */
		control->reloads[control->reload_count++].skip =
		    daemon_reloading(daemon) ? 1 : 0;
		log_info("reload requested over the control socket");
		daemon_reload(daemon);
		return NULL;
	default:
		return control_reply_error(CONTROL_ERROR_UNKNOWN_COMMAND,
		    "command not handled");
	}
}

/* The socket's requests. */
static void
control_on_request(struct control_server *server, uint64_t client,
    const char *line, size_t length, void *arg)
{
	struct control *control = arg;
	struct control_request request;
	json_t *reply;
	char *text;

	if (control_request_parse(line, length, &request, &reply) == 0) {
		reply = control_execute(control, &request, client);
		control_request_clear(&request);
	}
	if (reply == NULL)
		return;         /* answered later */
	text = control_reply_render(reply);
	control_server_reply(server, client, text);
	free(text);
}

/* Requests for services a reload removed go. */
static void
control_prune(struct control *control, const char *when)
{
	bool changed = false;

	for (size_t i = 0; i < control->state.count;) {
		const char *name = control->state.entries[i].service;
		if (supervisor_find(control->daemon->supervisor, name) !=
		    NULL) {
			i++;
			continue;
		}
		log_info("service %s: dropping the operator's %s%s%s: no such "
		    "service %s", name, control->state.entries[i].maintenance ?
		    "maintenance" : "", control->state.entries[i].maintenance &&
		    control->state.entries[i].shifted ? " and " : "",
		    control->state.entries[i].shifted ? "shift" : "", when);
		control_expiry_set(control, name, 0);
		control_state_remove(&control->state, name);
		changed = true;
	}
	if (changed)
		control_save(control, NULL);
}

static void
control_reloaded(void *arg, const struct daemon_reload_report *report)
{
	struct control *control = arg;
	json_t *reply = NULL, *list;
	size_t kept = 0;

	if (report->ok)
		control_prune(control, "after the reload");
	for (size_t i = 0; i < control->reload_count; i++) {
		struct control_pending_reload *pending = &control->reloads[i];
		char *text;
		if (pending->skip > 0) {
			pending->skip--;
			control->reloads[kept++] = *pending;
			continue;
		}
		if (reply == NULL) {
			reply = control_reply_ok(CONTROL_COMMAND_RELOAD);
			json_object_set_new(reply, "reloaded",
			    json_boolean(report->ok));
			json_object_set_new(reply, "summary",
			    json_string(report->summary));
			json_object_set_new(reply, "services", json_pack(
			    "{s:I, s:I, s:I, s:I}", "unchanged",
			    (json_int_t)report->services.unchanged, "changed",
			    (json_int_t)report->services.changed, "added",
			    (json_int_t)report->services.added, "removed",
			    (json_int_t)report->services.removed));
			list = json_array();
			for (size_t k = 0; k < report->applied_count; k++)
				json_array_append_new(list,
				    json_string(report->applied[k]));
			json_object_set_new(reply, "applied", list);
			list = json_array();
			for (size_t k = 0; k < report->restart_count; k++)
				json_array_append_new(list,
				    json_string(report->restart[k]));
			json_object_set_new(reply, "restart", list);
			list = json_array();
			for (size_t k = 0; k < report->error_count; k++)
				json_array_append_new(list,
				    json_string(report->errors[k]));
			json_object_set_new(reply, "errors", list);
			list = json_array();
			for (size_t k = 0; k < report->warning_count; k++)
				json_array_append_new(list,
				    json_string(report->warnings[k]));
			json_object_set_new(reply, "warnings", list);
		}
		text = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (text == NULL)
			fatalx("out of memory");
		if (control->server != NULL) {
			char *line = xasprintf("%s\n", text);
			control_server_reply(control->server, pending->client,
			    line);
			free(line);
		}
		free(text);
	}
	control->reload_count = kept;
	json_decref(reply);
}

/* Restore what the state file holds, before the first round. */
static void
control_restore(struct control *control)
{
	struct supervisor *supervisor = control->daemon->supervisor;
	double wall = control_wall_now();
	bool changed = false;

	(void)control_state_load(control->state_path, &control->state);
	control_prune(control, "in the config");
	for (size_t i = 0; i < control->state.count;) {
		struct control_state_entry *entry = &control->state.entries[i];
		const char *drop = NULL;
		json_t *refused = NULL;
		char text[512];

		if (entry->shifted) {
			control_shift_describe(&entry->shift, text,
			    sizeof(text));
			if (entry->until > 0 && entry->until <= wall)
				drop = "has expired";
			else if ((refused = control_shift_refused(control,
			    entry->service, &entry->shift)) != NULL)
				drop = json_string_value(json_object_get(
				    refused, "error"));
			if (drop != NULL) {
				log_info("service %s: dropping the traffic "
				    "shift of the last run (%s): %s",
				    entry->service, text, drop);
				json_decref(refused);
				changed = true;
				if (!entry->maintenance) {
					/* The entry goes: the next one
					 * takes its place. */
					control_state_set_shift(&control->state,
					    entry->service, NULL, 0);
					continue;
				}
				control_state_set_shift(&control->state,
				    entry->service, NULL, 0);
			} else {
				log_info("service %s: traffic shift kept from "
				    "the last run: %s", entry->service, text);
				(void)supervisor_set_shift(supervisor,
				    entry->service, &entry->shift);
				if (entry->until > 0)
					control_expiry_set(control,
					    entry->service, loop_now_ns(
					    control->daemon->loop) +
					    clock_seconds_to_ns(entry->until -
					    wall));
			}
		}
		if (entry->maintenance) {
			log_info("service %s: operator maintenance kept from "
			    "the last run (reason: %s)", entry->service,
			    entry->reason[0] != '\0' ? entry->reason :
			    "none given");
			(void)supervisor_set_maintenance(supervisor,
			    entry->service, true, entry->reason[0] != '\0' ?
			    entry->reason : "no reason given");
		}
		i++;
	}
	if (changed)
		control_save(control, NULL);
}

static void
control_open_state(struct control *control)
{
	const struct config *config = control->daemon->config;
	struct stat st;

	if (stat(config->state_directory, &st) != 0 || !S_ISDIR(st.st_mode)) {
		control->state_problem = xasprintf("state directory %s: %s",
		    config->state_directory, stat(config->state_directory,
		    &st) != 0 ? strerror(errno) : "not a directory");
		log_warnx("%s; operator maintenance and shifts will not "
		    "survive a restart: create it or set state_directory",
		    control->state_problem);
		return;
	}
	control->state_path = control_state_path(config->state_directory,
	    control->daemon->program, control->daemon->config_path);
	control_restore(control);
}

int
control_attach(struct daemon *daemon)
{
	struct control *control = xcalloc(1, sizeof(*control));
	const struct config *config = daemon->config;
	const char *path = config->control_socket != NULL ?
	    config->control_socket : daemon->control_socket_default;
	gid_t gid = (gid_t)-1;

	control->daemon = daemon;
	daemon->control = control;
	loop_timer_init(&control->expiry_timer, control_expire, control);
	control->observer.reloaded = control_reloaded;
	control->observer.arg = control;
	daemon_add_observer(daemon, &control->observer);
	control_open_state(control);
	if (path == NULL)
		return 0;
	if (config->control_group != NULL) {
		struct group *group = getgrnam(config->control_group);
		if (group == NULL)
			log_error("control.group %s: no such group; only %s's "
			    "own user can use the control socket",
			    config->control_group, daemon->program);
		else
			gid = group->gr_gid;
	}
	if (control_server_open(daemon->loop, path, gid, control_on_request,
	    control, &control->server) == CONTROL_SERVER_IN_USE)
		return -1;
	return 0;
}

void
control_detach(struct daemon *daemon)
{
	struct control *control = daemon->control;

	if (control == NULL)
		return;
	/* Our observer is not unlinked: this is the end of the daemon
	 * (daemon_cleanup), nothing is reported after it, and other
	 * observers in the list may be gone already. */
	control_server_close(control->server);
	loop_timer_cancel(daemon->loop, &control->expiry_timer);
	for (size_t i = 0; i < control->expiry_count; i++)
		free(control->expiries[i].service);
	free(control->expiries);
	free(control->reloads);
	control_state_clear(&control->state);
	free(control->state_path);
	free(control->state_problem);
	free(control);
	daemon->control = NULL;
}
