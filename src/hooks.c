/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: hooks: spawning, bounding and reaping on_change commands
 *
 * See hooks.h for what a hook sees. A change is turned into an event at
 * once (the service's name, states, reason and prefixes copied), so a
 * queued hook describes the change it was queued for even if the service
 * changed again or was removed meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "hooks.h"
#include "log.h"

#define HOOKS_KILL_GRACE_NS (1 * NSEC_PER_SEC)
#define HOOKS_VARIABLES 8

extern char **environ;

struct hook_event {
	char *variables[HOOKS_VARIABLES];       /* "NAME=value" */
	char *summary;                          /* "service web UP -> DOWN" */
};

struct hook_run {
	struct hooks *hooks;
	struct hook_event *event;
	pid_t pid;                      /* and process group; 0: free slot */
	bool terminating;               /* timed out: SIGTERM sent */
	double timeout;
	struct loop_timer timer;
};

struct hooks {
	struct daemon *daemon;
	struct daemon_observer observer;
	struct hook_run runs[HOOKS_RUNNING_MAX];
	struct hook_event *queue[HOOKS_QUEUE_MAX];
	size_t queue_head;
	size_t queue_count;
	struct hooks_counts counts;
	struct log_limit drop_log;
};

static void
hook_event_free(struct hook_event *event)
{
	for (size_t i = 0; i < HOOKS_VARIABLES; i++)
		free(event->variables[i]);
	free(event->summary);
	free(event);
}

static struct hook_event *
hook_event_new(struct hooks *hooks, struct service *service,
    const struct supervisor_change *change)
{
	const struct service_config *config = service_config(service);
	struct hook_event *event = xcalloc(1, sizeof(*event));
	const char *old_state = health_state_name(change->old_state);
	const char *new_state = health_state_name(service_state(service));
	size_t length = 1;
	char *prefixes;
	size_t n = 0;

	for (size_t i = 0; i < config->prefix_count; i++)
		length += strlen(config->prefixes[i].text) + 1;
	prefixes = xcalloc(1, length);
	for (size_t i = 0; i < config->prefix_count; i++) {
		if (i > 0)
			strcat(prefixes, " ");
		strcat(prefixes, config->prefixes[i].text);
	}
	event->variables[n++] = xasprintf("ANYCHECK_SERVICE=%s",
	    config->name);
	event->variables[n++] = xasprintf("ANYCHECK_OLD_STATE=%s", old_state);
	event->variables[n++] = xasprintf("ANYCHECK_NEW_STATE=%s", new_state);
	event->variables[n++] = xasprintf("ANYCHECK_REASON=%s",
	    service_reason(service));
	event->variables[n++] = xasprintf("ANYCHECK_PREFIXES=%s", prefixes);
	event->variables[n++] = xasprintf("ANYCHECK_ANNOUNCED=%d",
	    change->announcement != NULL);
	event->variables[n++] = xasprintf("ANYCHECK_PROGRAM=%s",
	    hooks->daemon->program != NULL ? hooks->daemon->program :
	    "anycheck");
	event->variables[n++] = xasprintf("ANYCHECK_TIMESTAMP=%lld",
	    (long long)time(NULL));
	event->summary = xasprintf("service %s %s -> %s", config->name,
	    old_state, new_state);
	free(prefixes);
	return event;
}

/* Our environment without ANYCHECK_* (a parent's must not mislead the
 * hook), then the event's variables. */
static char **
hook_environment(const struct hook_event *event)
{
	size_t count = 0, n = 0;
	char **env;

	while (environ[count] != NULL)
		count++;
	env = xcalloc(count + HOOKS_VARIABLES + 1, sizeof(*env));
	for (size_t i = 0; i < count; i++)
		if (strncmp(environ[i], "ANYCHECK_", 9) != 0)
			env[n++] = environ[i];
	for (size_t i = 0; i < HOOKS_VARIABLES; i++)
		env[n++] = event->variables[i];
	return env;
}

static void hooks_start_queued(struct hooks *hooks);

static void
hook_run_end(struct hook_run *run)
{
	struct hooks *hooks = run->hooks;

	loop_timer_cancel(hooks->daemon->loop, &run->timer);
	hook_event_free(run->event);
	run->event = NULL;
	run->pid = 0;
	run->terminating = false;
	hooks_start_queued(hooks);
}

static void
hook_exited(struct loop *loop, pid_t pid, int status, void *arg)
{
	struct hook_run *run = arg;
	struct hooks *hooks = run->hooks;

	(void)loop;
	/* Whatever it left in its group goes with it. */
	kill(-pid, SIGKILL);
	if (run->terminating) {
		hooks->counts.timed_out++;
		log_warnx("hook for %s: killed after its %.1f s timeout "
		    "(hooks.timeout)", run->event->summary, run->timeout);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		hooks->counts.succeeded++;
		log_debug("hook for %s: exit 0", run->event->summary);
	} else if (WIFEXITED(status)) {
		hooks->counts.failed++;
		log_warnx("hook for %s: exit %d", run->event->summary,
		    WEXITSTATUS(status));
	} else {
		hooks->counts.failed++;
		log_warnx("hook for %s: killed by signal %d (%s)",
		    run->event->summary, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	}
	hook_run_end(run);
}

static void
hook_timer(struct loop *loop, void *arg)
{
	struct hook_run *run = arg;

	if (!run->terminating) {
		run->terminating = true;
		kill(-run->pid, SIGTERM);
		loop_timer_arm_in(loop, &run->timer, HOOKS_KILL_GRACE_NS);
		return;
	}
	kill(-run->pid, SIGKILL);
}

/* Spawn event's hook in run (a free slot). Returns 0, or -1 (logged; the
 * event is freed). */
static int
hook_spawn(struct hooks *hooks, struct hook_run *run,
    struct hook_event *event)
{
	const struct config *config = supervisor_config(
	    hooks->daemon->supervisor);
	char **argv = config->hook_on_change;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attributes;
	sigset_t signals;
	char **env;
	pid_t pid;
	int error;

	if (argv == NULL) {
		/* Removed by a reload while this one waited. */
		hook_event_free(event);
		return -1;
	}
	env = hook_environment(event);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	/* stdout is ExaBGP's: the hook's output goes to our stderr. */
	posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO,
	    STDOUT_FILENO);
	posix_spawnattr_init(&attributes);
	posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attributes, 0);
	sigemptyset(&signals);
	posix_spawnattr_setsigmask(&attributes, &signals);
	sigfillset(&signals);
	posix_spawnattr_setsigdefault(&attributes, &signals);
	error = posix_spawnp(&pid, argv[0], &actions, &attributes, argv, env);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attributes);
	free(env);
	if (error != 0) {
		hooks->counts.failed++;
		log_warnx("hook for %s: cannot run %s: %s", event->summary,
		    argv[0], strerror(error));
		hook_event_free(event);
		return -1;
	}
	hooks->counts.started++;
	run->event = event;
	run->pid = pid;
	run->terminating = false;
	run->timeout = config->hook_timeout;
	loop_watch_child(hooks->daemon->loop, pid, hook_exited, run);
	loop_timer_arm_in(hooks->daemon->loop, &run->timer,
	    (uint64_t)(config->hook_timeout * 1e9));
	return 0;
}

static struct hook_run *
hooks_free_slot(struct hooks *hooks)
{
	for (size_t i = 0; i < HOOKS_RUNNING_MAX; i++)
		if (hooks->runs[i].pid == 0)
			return &hooks->runs[i];
	return NULL;
}

static void
hooks_start_queued(struct hooks *hooks)
{
	struct hook_run *run;

	while (hooks->queue_count > 0 && (run = hooks_free_slot(hooks)) !=
	    NULL) {
		struct hook_event *event = hooks->queue[hooks->queue_head];

		hooks->queue_head = (hooks->queue_head + 1) % HOOKS_QUEUE_MAX;
		hooks->queue_count--;
		hook_spawn(hooks, run, event);
	}
}

static void
hooks_service_changed(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	struct hooks *hooks = arg;
	const struct config *config = supervisor_config(
	    hooks->daemon->supervisor);

	if (config->hook_on_change == NULL ||
	    change->old_state == service_state(service))
		return;
	if (hooks->queue_count == HOOKS_QUEUE_MAX) {
		hooks->counts.dropped++;
		log_limited(&hooks->drop_log, loop_now_ns(hooks->daemon->loop),
		    LOG_LEVEL_WARNING, "hook for service %s not run: %d hooks "
		    "running and %d waiting (%lu dropped so far)",
		    service_name(service), HOOKS_RUNNING_MAX, HOOKS_QUEUE_MAX,
		    hooks->counts.dropped);
		return;
	}
	hooks->queue[(hooks->queue_head + hooks->queue_count) %
	    HOOKS_QUEUE_MAX] = hook_event_new(hooks, service, change);
	hooks->queue_count++;
	hooks_start_queued(hooks);
}

struct hooks *
hooks_new(struct daemon *daemon)
{
	struct hooks *hooks = xcalloc(1, sizeof(*hooks));

	hooks->daemon = daemon;
	for (size_t i = 0; i < HOOKS_RUNNING_MAX; i++) {
		hooks->runs[i].hooks = hooks;
		loop_timer_init(&hooks->runs[i].timer, hook_timer,
		    &hooks->runs[i]);
	}
	log_limit_init(&hooks->drop_log, 0);
	hooks->observer.service_changed = hooks_service_changed;
	hooks->observer.arg = hooks;
	daemon_add_observer(daemon, &hooks->observer);
	return hooks;
}

bool
hooks_busy(const struct hooks *hooks)
{
	if (hooks == NULL)
		return false;
	for (size_t i = 0; i < HOOKS_RUNNING_MAX; i++)
		if (hooks->runs[i].pid != 0)
			return true;
	return hooks->queue_count > 0;
}

void
hooks_get_counts(const struct hooks *hooks, struct hooks_counts *out)
{
	*out = hooks->counts;
}

void
hooks_free(struct hooks *hooks)
{
	struct loop *loop;

	if (hooks == NULL)
		return;
	loop = hooks->daemon->loop;
	while (hooks->queue_count > 0) {
		hook_event_free(hooks->queue[hooks->queue_head]);
		hooks->queue_head = (hooks->queue_head + 1) % HOOKS_QUEUE_MAX;
		hooks->queue_count--;
	}
	for (size_t i = 0; i < HOOKS_RUNNING_MAX; i++) {
		struct hook_run *run = &hooks->runs[i];

		if (run->pid == 0)
			continue;
		log_warnx("hook for %s: still running at exit, killed",
		    run->event->summary);
		kill(-run->pid, SIGKILL);
		/* SIGKILL cannot be ignored: this wait is short. */
		while (waitpid(run->pid, NULL, 0) == -1 && errno == EINTR)
			;
		loop_forget_child(loop, run->pid);
		loop_timer_cancel(loop, &run->timer);
		hook_event_free(run->event);
		run->pid = 0;
	}
	log_limit_flush(&hooks->drop_log, loop_now_ns(loop));
	daemon_remove_observer(hooks->daemon, &hooks->observer);
	free(hooks);
}
