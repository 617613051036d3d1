/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: exec check
 *
 * Runs a command (an argv, no shell, or one string for /bin/sh -c with
 * "shell": true) in its own process group, stdin from /dev/null and stdout
 * plus stderr into a pipe. Exit 0 passes; any other exit, or death by a
 * signal, fails with the first line of output as the detail. At most 4 KiB of
 * output is kept; the rest is read and thrown away, so a flooding command
 * neither blocks nor grows memory.
 *
 * A run is a module-owned record, not part of the check: when the check is
 * cancelled (or times out, or is freed) the record lives on as a reaper that
 * sends SIGTERM to the whole process group, SIGKILL after a grace period, and
 * stays until the loop has reaped the child. So a command never outlives its
 * timeout by more than the grace period and never leaves a zombie.
 *
 * Processes that leave the command's process group (`setsid -f`, a double
 * fork into a new session) escape that kill. With anycheck a child
 * subreaper (subreaper.c) they become our children when their parent
 * dies; a sweep after runs end lists our children, and those that no
 * run's group holds are killed once every run that was going when they
 * were first seen (one of which spawned them) has ended. The loop reaps
 * them like any child.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"
#include "subreaper.h"

#define CHECK_EXEC_OUTPUT_MAX 4096
/* From the end of a run to the sweep for the orphans it left, and between
 * sweeps while orphans wait for the runs that may own them. */
#define CHECK_EXEC_SWEEP_NS (100 * NSEC_PER_MSEC)
#define CHECK_EXEC_SWEEP_AGAIN_NS (250 * NSEC_PER_MSEC)
/* Children looked at per sweep (more: the next sweep comes soon). */
#define CHECK_EXEC_SWEEP_MAX 256
/* From SIGTERM to SIGKILL of a cancelled command's process group. */
#define CHECK_EXEC_KILL_GRACE_NS (1 * NSEC_PER_SEC)
/* After the command exited, how long to wait for the pipe to reach EOF
 * (a background grandchild may hold it open). */
#define CHECK_EXEC_DRAIN_NS (100 * NSEC_PER_MSEC)

extern char **environ;

struct check_exec_config {
	char **argv;            /* NULL-terminated; /bin/sh -c CMD for shell */
};

/* An adopted process no run's group holds, waiting for the runs that were
 * going when it was first seen (its spawner among them) to end. */
struct check_exec_orphan {
	pid_t pid;
	uint64_t seen_after;    /* check_exec_started when first seen */
};

/* Per check_environment: the orphan sweep. */
struct check_exec_sweeper {
	struct loop *loop;
	struct loop_timer timer;
	struct check_exec_orphan *orphans;
	size_t orphan_count;
	unsigned long killed;   /* orphans killed, for the log */
	struct log_limit kill_log;      /* a command that leaves one every
					 * run is logged once a minute */
};

struct check_exec_run {
	struct check *check;    /* NULL once detached (cancelled) */
	struct loop *loop;
	struct check_exec_sweeper *sweeper;
	uint64_t sequence;      /* check_exec_started when it started */
	pid_t pid;              /* also the process group id */
	int pipe_fd;            /* -1 once closed */
	bool exited;
	int status;
	size_t output_length;
	char output[CHECK_EXEC_OUTPUT_MAX];
	struct loop_timer timer;        /* drain bound, then kill grace */
	struct check_exec_run *next;    /* every live run of this module */
	struct check_exec_run **previous_next;
};

static struct check_exec_run *check_exec_runs;
/* Runs started so far (every loop): orders runs against orphans. */
static uint64_t check_exec_started;

static int
check_exec_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "command", "shell", NULL };
	struct check_exec_config *exec;
	bool shell = false;
	char **argv = NULL;
	size_t count = 0;
	const char *command = NULL;

	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		return -1;
	if (config_get_bool(parser, object, "shell", false, &shell) == -1)
		return -1;
	if (shell) {
		if (config_get_string(parser, object, "command", true,
		    &command) != 1)
			return -1;
		if (command[0] == '\0') {
			config_error(parser, "command", "must not be empty");
			return -1;
		}
		argv = xcalloc(4, sizeof(*argv));
		argv[0] = xstrdup("/bin/sh");
		argv[1] = xstrdup("-c");
		argv[2] = xstrdup(command);
		config->description = xasprintf("exec sh -c '%s'", command);
	} else {
		json_t *value = json_object_get(object, "command");
		if (json_is_string(value)) {
			config_error(parser, "command", "must be an array of "
			    "strings (argv), or set \"shell\": true to run "
			    "a string with /bin/sh -c");
			return -1;
		}
		if (config_get_string_array(parser, object, "command", true,
		    &argv, &count) != 1)
			return -1;
		if (count == 0 || argv[0][0] == '\0') {
			config_error(parser, "command", "must name a program "
			    "to run");
			config_free_strings(argv);
			return -1;
		}
		size_t length = 0;
		for (size_t i = 0; i < count; i++)
			length += strlen(argv[i]) + 1;
		char *text = xmalloc(length);
		text[0] = '\0';
		for (size_t i = 0; i < count; i++) {
			if (i > 0)
				strcat(text, " ");
			strcat(text, argv[i]);
		}
		config->description = xasprintf("exec %s", text);
		free(text);
	}
	exec = xcalloc(1, sizeof(*exec));
	exec->argv = argv;
	config->data = exec;
	return 0;
}

/* Is pgid the process group of a run of this loop (which its end kills)? */
static bool
check_exec_group_owned(const struct loop *loop, pid_t pgid)
{
	for (const struct check_exec_run *run = check_exec_runs; run != NULL;
	    run = run->next)
		if (run->loop == loop && run->pid == pgid)
			return true;
	return false;
}

static uint64_t
check_exec_orphan_seen_after(const struct check_exec_sweeper *sweeper,
    pid_t pid)
{
	for (size_t i = 0; i < sweeper->orphan_count; i++)
		if (sweeper->orphans[i].pid == pid)
			return sweeper->orphans[i].seen_after;
	return check_exec_started;
}

/* Kill the adopted children no run owns any more (see the DOC above). */
static void
check_exec_sweep(struct loop *loop, void *arg)
{
	struct check_exec_sweeper *sweeper = arg;
	struct check_exec_orphan *pending;
	pid_t pids[CHECK_EXEC_SWEEP_MAX];
	size_t count, pending_count = 0;
	uint64_t oldest_running = UINT64_MAX;
	bool again;

	count = subreaper_children(pids, CHECK_EXEC_SWEEP_MAX);
	again = count > CHECK_EXEC_SWEEP_MAX;
	if (again)
		count = CHECK_EXEC_SWEEP_MAX;
	for (const struct check_exec_run *run = check_exec_runs; run != NULL;
	    run = run->next)
		if (run->loop == loop && run->check != NULL &&
		    run->sequence < oldest_running)
			oldest_running = run->sequence;
	pending = xcalloc(count, sizeof(*pending));
	for (size_t i = 0; i < count; i++) {
		pid_t pid = pids[i], group;
		uint64_t seen_after;

		if (loop_child_watched(loop, pid))
			continue;       /* a run's command: its run ends it */
		group = subreaper_process_group(pid);
		if (group == -1 || check_exec_group_owned(loop, group))
			continue;       /* gone, or killed with its run */
		seen_after = check_exec_orphan_seen_after(sweeper, pid);
		if (oldest_running <= seen_after) {
			/* A run that may have spawned it is still going. */
			pending[pending_count].pid = pid;
			pending[pending_count].seen_after = seen_after;
			pending_count++;
			continue;
		}
		/* Its whole group when it leads one (setsid, setpgid), so
		 * its own children go with it. */
		kill(group == pid ? -pid : pid, SIGKILL);
		sweeper->killed++;
		log_limited(&sweeper->kill_log, loop_now_ns(loop),
		    LOG_LEVEL_INFO, "exec: killed process %d, left running by "
		    "a check command outside its process group (%lu so far)",
		    (int)pid, sweeper->killed);
	}
	free(sweeper->orphans);
	sweeper->orphans = pending;
	sweeper->orphan_count = pending_count;
	if (again || pending_count > 0)
		loop_timer_arm_in(loop, &sweeper->timer,
		    CHECK_EXEC_SWEEP_AGAIN_NS);
}

static struct check_exec_sweeper *
check_exec_sweeper_get(struct check_environment *environment)
{
	struct check_exec_sweeper *sweeper = environment->exec_sweeper;

	if (sweeper != NULL)
		return sweeper;
	sweeper = xcalloc(1, sizeof(*sweeper));
	sweeper->loop = environment->loop;
	loop_timer_init(&sweeper->timer, check_exec_sweep, sweeper);
	environment->exec_sweeper = sweeper;
	return sweeper;
}

/* A run ended: look for what it left behind soon (not at once: a process
 * is re-parented to us only once its parent is gone). Only a subreaper
 * adopts orphans, so otherwise there is nothing to find. */
static void
check_exec_sweep_soon(struct check_exec_sweeper *sweeper)
{
	if (!subreaper_enabled() || loop_timer_armed(&sweeper->timer))
		return;
	loop_timer_arm_in(sweeper->loop, &sweeper->timer,
	    CHECK_EXEC_SWEEP_NS);
}

static void
check_exec_close_pipe(struct check_exec_run *run)
{
	if (run->pipe_fd == -1)
		return;
	loop_remove_fd(run->loop, run->pipe_fd);
	close(run->pipe_fd);
	run->pipe_fd = -1;
}

static void
check_exec_run_free(struct check_exec_run *run)
{
	check_exec_sweep_soon(run->sweeper);
	check_exec_close_pipe(run);
	loop_timer_cancel(run->loop, &run->timer);
	*run->previous_next = run->next;
	if (run->next != NULL)
		run->next->previous_next = run->previous_next;
	free(run);
}

/* The first non-empty line of the output, printable, for the detail. */
static void
check_exec_output_line(const struct check_exec_run *run, char *out,
    size_t size)
{
	size_t i = 0, j = 0;

	while (i < run->output_length &&
	    (run->output[i] == '\n' || run->output[i] == '\r' ||
	    run->output[i] == ' ' || run->output[i] == '\t'))
		i++;
	for (; i < run->output_length && j + 1 < size; i++) {
		unsigned char c = (unsigned char)run->output[i];
		if (c == '\n' || c == '\r')
			break;
		out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

/* Both the exit status and the output are in: report and forget. */
static void
check_exec_finish(struct check_exec_run *run)
{
	struct check *check = run->check;
	int status = run->status;
	char line[CHECK_DETAIL_MAX];
	const char *separator;

	check_exec_output_line(run, line, sizeof(line));
	separator = line[0] != '\0' ? ": " : "";
	/* Anything the command left behind in its group goes with it. The
	 * group id cannot be reused while a member is alive. */
	kill(-run->pid, SIGKILL);
	check->state = NULL;
	check_exec_run_free(run);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		check_done(check, CHECK_RESULT_PASS, "exit 0%s%s", separator,
		    line);
	else if (WIFEXITED(status))
		check_done(check, CHECK_RESULT_FAIL, "exit %d%s%s",
		    WEXITSTATUS(status), separator, line);
	else if (WIFSIGNALED(status))
		check_done(check, CHECK_RESULT_FAIL, "killed by signal %d "
		    "(%s)%s%s", WTERMSIG(status), strsignal(WTERMSIG(status)),
		    separator, line);
	else
		check_done(check, CHECK_RESULT_FAIL, "status %#x", status);
}

static void
check_exec_timer(struct loop *loop, void *arg)
{
	struct check_exec_run *run = arg;

	(void)loop;
	if (run->check != NULL) {
		/* Drain bound: exited, but someone still holds the pipe. */
		check_exec_finish(run);
		return;
	}
	/* Kill grace over: the group did not stop on SIGTERM. */
	log_debug("exec: pid %d still running after SIGTERM, sending SIGKILL",
	    (int)run->pid);
	kill(-run->pid, SIGKILL);
}

static void
check_exec_child_exited(struct loop *loop, pid_t pid, int status, void *arg)
{
	struct check_exec_run *run = arg;

	(void)pid;
	run->exited = true;
	run->status = status;
	if (run->check == NULL) {
		/* A reaper: the leader is gone, take the rest of the group. */
		kill(-run->pid, SIGKILL);
		check_exec_run_free(run);
		return;
	}
	if (run->pipe_fd == -1)
		check_exec_finish(run);
	else
		loop_timer_arm_in(loop, &run->timer, CHECK_EXEC_DRAIN_NS);
}

static void
check_exec_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct check_exec_run *run = arg;
	char discard[4096];

	(void)loop;
	(void)events;
	/* Bounded per callback so a flooding command cannot starve others. */
	for (int i = 0; i < 16; i++) {
		char *buffer = discard;
		size_t room = sizeof(discard);
		ssize_t n;

		if (run->output_length < sizeof(run->output)) {
			buffer = run->output + run->output_length;
			room = sizeof(run->output) - run->output_length;
		}
		n = read(fd, buffer, room);
		if (n > 0) {
			if (buffer != discard)
				run->output_length += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF (or a read error: nothing more to learn). */
		check_exec_close_pipe(run);
		if (run->exited) {
			loop_timer_cancel(run->loop, &run->timer);
			check_exec_finish(run);
		}
		return;
	}
}

static void
check_exec_start(struct check *check)
{
	const struct check_exec_config *exec = check->config->data;
	struct loop *loop = check->environment->loop;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attributes;
	sigset_t signals;
	struct check_exec_run *run;
	int pipe_fds[2] = { -1, -1 };
	pid_t pid;
	int error;

	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) == -1) {
		/* Every pipe failure is ours (EMFILE, ENFILE, ENOMEM). */
		check_done_local(check, check_local_cause_from_errno(errno),
		    "pipe: %s", strerror(errno));
		return;
	}
	/* The child's end blocks: commands do not expect a non-blocking
	 * stdout. Only our end is non-blocking. */
	fcntl(pipe_fds[1], F_SETFL, 0);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
	posix_spawnattr_init(&attributes);
	/* Own process group (to kill it whole), no signal blocked (the loop
	 * blocks the ones it reads from its signalfd) and default actions. */
	posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attributes, 0);
	sigemptyset(&signals);
	posix_spawnattr_setsigmask(&attributes, &signals);
	sigfillset(&signals);
	posix_spawnattr_setsigdefault(&attributes, &signals);
	error = posix_spawnp(&pid, exec->argv[0], &actions, &attributes,
	    exec->argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attributes);
	close(pipe_fds[1]);
	if (error != 0) {
		close(pipe_fds[0]);
		/* No process slot, memory or fd (for /dev/null) is ours; a
		 * missing or unrunnable command is the check's own error. */
		if (check_errno_is_local(error))
			check_done_local(check,
			    check_local_cause_from_errno(error),
			    "cannot start %s: %s", exec->argv[0],
			    strerror(error));
		else
			check_done(check, CHECK_RESULT_ERROR,
			    "cannot execute %s: %s", exec->argv[0],
			    strerror(error));
		return;
	}
	run = xcalloc(1, sizeof(*run));
	run->check = check;
	run->loop = loop;
	run->sweeper = check_exec_sweeper_get(check->environment);
	run->sequence = ++check_exec_started;
	run->pid = pid;
	run->pipe_fd = pipe_fds[0];
	loop_timer_init(&run->timer, check_exec_timer, run);
	run->next = check_exec_runs;
	if (run->next != NULL)
		run->next->previous_next = &run->next;
	run->previous_next = &check_exec_runs;
	check_exec_runs = run;
	check->state = run;
	loop_watch_child(loop, pid, check_exec_child_exited, run);
	if (loop_add_fd(loop, run->pipe_fd, EPOLLIN, check_exec_readable,
	    run) == -1) {
		/* Without its output the run can still report the exit. */
		close(run->pipe_fd);
		run->pipe_fd = -1;
	}
}

static void
check_exec_cancel(struct check *check)
{
	struct check_exec_run *run = check->state;

	if (run == NULL)
		return;
	check->state = NULL;
	run->check = NULL;
	check_exec_close_pipe(run);
	loop_timer_cancel(run->loop, &run->timer);
	if (run->exited) {
		/* Only the group's stragglers (if any) are left. */
		kill(-run->pid, SIGKILL);
		check_exec_run_free(run);
		return;
	}
	kill(-run->pid, SIGTERM);
	loop_timer_arm_in(run->loop, &run->timer, CHECK_EXEC_KILL_GRACE_NS);
}

/* Every run is over: kill every adopted orphan at once and reap those
 * already gone; the rest die of SIGKILL and are reaped by the loop, or by
 * init once we exit. */
static void
check_exec_sweeper_cleanup(struct check_environment *environment)
{
	struct check_exec_sweeper *sweeper = environment->exec_sweeper;
	pid_t pids[CHECK_EXEC_SWEEP_MAX];
	size_t count;

	if (sweeper == NULL)
		return;
	loop_timer_cancel(sweeper->loop, &sweeper->timer);
	count = subreaper_enabled() ? subreaper_children(pids,
	    CHECK_EXEC_SWEEP_MAX) : 0;
	for (size_t i = 0; i < count && i < CHECK_EXEC_SWEEP_MAX; i++) {
		pid_t group;

		if (loop_child_watched(sweeper->loop, pids[i]))
			continue;
		group = subreaper_process_group(pids[i]);
		kill(group == pids[i] ? -pids[i] : pids[i], SIGKILL);
		waitpid(pids[i], NULL, WNOHANG);
	}
	log_limit_flush(&sweeper->kill_log, loop_now_ns(sweeper->loop));
	free(sweeper->orphans);
	free(sweeper);
	environment->exec_sweeper = NULL;
}

/* Called from check_environment_cleanup: reap, without a loop, whatever
 * cancelled commands of this loop are still dying. */
void check_exec_environment_cleanup(struct check_environment *environment);

void
check_exec_environment_cleanup(struct check_environment *environment)
{
	struct check_exec_run *run, *next;

	for (run = check_exec_runs; run != NULL; run = next) {
		next = run->next;
		if (run->loop != environment->loop)
			continue;
		if (run->check != NULL)
			check_cancel(run->check);
		/* check_cancel detached it; it may already be freed. */
	}
	for (run = check_exec_runs; run != NULL; run = next) {
		next = run->next;
		if (run->loop != environment->loop)
			continue;
		kill(-run->pid, SIGKILL);
		if (!run->exited) {
			while (waitpid(run->pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
			loop_forget_child(run->loop, run->pid);
		}
		check_exec_run_free(run);
	}
	check_exec_sweeper_cleanup(environment);
}

static void
check_exec_free_config(void *data)
{
	struct check_exec_config *exec = data;

	if (exec == NULL)
		return;
	config_free_strings(exec->argv);
	free(exec);
}

const struct check_ops check_exec_ops = {
	.type = "exec",
	.parse = check_exec_parse,
	.start = check_exec_start,
	.cancel = check_exec_cancel,
	.free_config = check_exec_free_config,
	/* Our end of the output pipe, plus its write end and /dev/null while
	 * the command is being spawned. */
	.fds_per_run = 3,
};
