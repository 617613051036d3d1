/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: process check
 *
 * Passes while the service's process is alive: the process a pidfile names
 * ("pidfile"), or the oldest process with a given name ("command": the
 * master, for daemons that fork workers), or the process a pidfile names
 * that also has that name (both keys). A run reads the pidfile (or scans
 * /proc) afresh, so a restarted daemon with a new pid passes again.
 *
 * Between runs the check watches the process it found with a pidfd
 * (pidfd_open, Linux 5.3), which becomes readable the moment the process
 * exits: the check reports that at once (check_event), without waiting for
 * the next round. A pidfd refers to one process, never to a later one that
 * reuses its pid; the pid read from the pidfile may still be reused between
 * the read and pidfd_open, so after opening the run reads the pidfile (and
 * the process's name) again, and only then asks the pidfd whether that
 * process is still alive: if it is, the pid could not have been reused, and
 * what the run read describes the process the pidfd watches.
 *
 * Every run completes at once (a few small reads in /proc); in command mode
 * a run while the watched process lives reads nothing at all.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check_api.h"
#include "config_json.h"
#include "log.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434      /* the same number on every architecture */
#endif

/* The kernel's names (/proc/PID/comm) are at most 15 characters. */
#define CHECK_PROCESS_COMM_MAX 15
/* A pidfile holds one decimal pid; anything longer is not one. */
#define CHECK_PROCESS_PIDFILE_MAX 64
/* Tries at reading the pidfile around pidfd_open while it keeps changing
 * (a daemon restarting right then). */
#define CHECK_PROCESS_TRIES 3

struct check_process_config {
	char *pidfile;          /* NULL: find the process by command */
	char *command;          /* NULL: any process the pidfile names */
};

/* What the watch holds: the process found by the last run. */
struct check_process_watch {
	pid_t pid;              /* 0: none */
	int pidfd;              /* -1 when none (or it exited) */
	/* The last process seen to exit: a pidfile that still names it is
	 * stale, even once another process has been given its pid. */
	pid_t exited_pid;
	char comm[CHECK_PROCESS_COMM_MAX + 1];
};

static int
check_process_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "pidfile", "command", NULL };
	struct check_process_config *process;
	const char *pidfile = NULL, *command = NULL;
	int problems = 0, has_pidfile, has_command;

	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	has_pidfile = config_get_string(parser, object, "pidfile", false,
	    &pidfile);
	has_command = config_get_string(parser, object, "command", false,
	    &command);
	if (has_pidfile == -1 || has_command == -1)
		problems++;
	if (has_pidfile == 1 && pidfile[0] != '/') {
		config_error(parser, "pidfile", "must be an absolute path");
		problems++;
	}
	if (has_command == 1 && (command[0] == '\0' ||
	    strchr(command, '/') != NULL)) {
		config_error(parser, "command", "must be a process name (no "
		    "'/'), as /proc/PID/comm or the base name of argv[0] "
		    "have it");
		problems++;
	}
	if (has_pidfile == 0 && has_command == 0) {
		config_error(parser, NULL, "needs \"pidfile\", \"command\" or "
		    "both");
		problems++;
	}
	if (problems > 0)
		return -1;
	process = xcalloc(1, sizeof(*process));
	if (has_pidfile == 1)
		process->pidfile = xstrdup(pidfile);
	if (has_command == 1)
		process->command = xstrdup(command);
	config->data = process;
	if (process->pidfile != NULL && process->command != NULL)
		config->description = xasprintf("process %s (%s)",
		    process->command, process->pidfile);
	else
		config->description = xasprintf("process %s",
		    process->pidfile != NULL ? process->pidfile :
		    process->command);
	return 0;
}

static int
check_process_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Has the process behind pidfd exited? (Readable means it has.) */
static bool
check_process_exited(int pidfd)
{
	struct pollfd pollfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pollfd, 1, 0) > 0;
}

/* Read a small /proc file into buffer (NUL-terminated); its length, or -1
 * with errno. */
static ssize_t
check_process_read(const char *path, char *buffer, size_t size)
{
	ssize_t length, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	while ((size_t)total + 1 < size) {
		length = read(fd, buffer + total, size - 1 - (size_t)total);
		if (length == -1 && errno == EINTR)
			continue;
		if (length == -1) {
			int error = errno;
			close(fd);
			errno = error;
			return -1;
		}
		if (length == 0)
			break;
		total += length;
	}
	close(fd);
	buffer[total] = '\0';
	return total;
}

/* The kernel's name of pid (/proc/PID/comm) into comm; -1 when it is gone. */
static int
check_process_comm(pid_t pid, char comm[CHECK_PROCESS_COMM_MAX + 1])
{
	char path[64], buffer[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (check_process_read(path, buffer, sizeof(buffer)) == -1)
		return -1;
	buffer[strcspn(buffer, "\n")] = '\0';
	buffer[CHECK_PROCESS_COMM_MAX] = '\0';
	memcpy(comm, buffer, CHECK_PROCESS_COMM_MAX + 1);
	return 0;
}

/* Is pid named command: its comm (a command longer than the kernel keeps
 * matching on its first 15 characters), or the base name of its argv[0]? */
static bool
check_process_named(pid_t pid, const char *comm, const char *command)
{
	char path[64], argv0[4096];
	const char *base;

	if (strcmp(comm, command) == 0 ||
	    (strlen(command) > CHECK_PROCESS_COMM_MAX &&
	    strncmp(comm, command, CHECK_PROCESS_COMM_MAX) == 0))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (check_process_read(path, argv0, sizeof(argv0)) <= 0)
		return false;   /* gone, or a kernel thread */
	base = strrchr(argv0, '/');
	return strcmp(base != NULL ? base + 1 : argv0, command) == 0;
}

/* The state letter and start time (clock ticks since boot) of pid. */
static int
check_process_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buffer[1024], *at;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (check_process_read(path, buffer, sizeof(buffer)) == -1)
		return -1;
	/* The name in parentheses may hold anything, ')' included. */
	at = strrchr(buffer, ')');
	if (at == NULL || sscanf(at + 1, " %c %*s %*s %*s %*s %*s %*s %*s "
	    "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", state,
	    start) != 2)
		return -1;
	return 0;
}

/* The oldest live process named command, or 0 (errno set when /proc could
 * not be read). */
static pid_t
check_process_find(const char *command)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	unsigned long long best_start = 0;
	pid_t best = 0, self = getpid();

	if (proc == NULL)
		return 0;
	while ((entry = readdir(proc)) != NULL) {
		char comm[CHECK_PROCESS_COMM_MAX + 1], state;
		unsigned long long start;
		char *end;
		long pid;

		if (!isdigit((unsigned char)entry->d_name[0]))
			continue;
		pid = strtol(entry->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid > INT_MAX || pid == self)
			continue;
		if (check_process_comm((pid_t)pid, comm) == -1 ||
		    !check_process_named((pid_t)pid, comm, command) ||
		    check_process_stat((pid_t)pid, &state, &start) == -1 ||
		    state == 'Z' || state == 'X')
			continue;
		if (best == 0 || start < best_start ||
		    (start == best_start && pid < best)) {
			best = (pid_t)pid;
			best_start = start;
		}
	}
	closedir(proc);
	errno = 0;
	return best;
}

/* The pid in a pidfile: 1 with *pid set; 0 with why in detail (missing,
 * empty, not a pid: the service's failure); -1 with errno (cannot read). */
static int
check_process_read_pidfile(const char *path, pid_t *pid, char *detail,
    size_t size)
{
	char buffer[CHECK_PROCESS_PIDFILE_MAX + 1], *end;
	ssize_t length;
	int fd;
	long value;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1 && (errno == ENOENT || errno == ENOTDIR)) {
		snprintf(detail, size, "pidfile %s does not exist", path);
		return 0;
	}
	if (fd == -1)
		return -1;
	do
		length = read(fd, buffer, sizeof(buffer) - 1);
	while (length == -1 && errno == EINTR);
	if (length == -1) {
		int error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	close(fd);
	buffer[length] = '\0';
	errno = 0;
	value = strtol(buffer, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (end == buffer || *end != '\0' || errno != 0 || value <= 0 ||
	    value > INT_MAX) {
		snprintf(detail, size, "pidfile %s holds no pid%s", path,
		    length == 0 ? " (empty)" : "");
		return 0;
	}
	*pid = (pid_t)value;
	return 1;
}

static void
check_process_unwatch_pid(struct check *check)
{
	struct check_process_watch *watch = check->watch;

	if (watch == NULL || watch->pidfd == -1)
		return;
	loop_remove_fd(check->environment->loop, watch->pidfd);
	close(watch->pidfd);
	watch->pidfd = -1;
}

/* The watched process exited: say so now. */
static void
check_process_watch_fired(struct loop *loop, int fd, uint32_t events,
    void *arg)
{
	struct check *check = arg;
	struct check_process_watch *watch = check->watch;

	(void)loop;
	(void)fd;
	(void)events;
	check_process_unwatch_pid(check);
	watch->exited_pid = watch->pid;
	check_event(check, CHECK_RESULT_FAIL, "process %d (%s) exited",
	    (int)watch->pid, watch->comm);
}

/* Keep pidfd (of pid, named comm) as the watched process; closes it when
 * there is no watch or the loop cannot take it. */
static void
check_process_watch_pid(struct check *check, pid_t pid, int pidfd,
    const char *comm)
{
	struct check_process_watch *watch = check->watch;

	if (watch == NULL) {
		close(pidfd);
		return;
	}
	check_process_unwatch_pid(check);
	watch->pid = pid;
	watch->exited_pid = 0;
	snprintf(watch->comm, sizeof(watch->comm), "%s", comm);
	if (loop_add_fd(check->environment->loop, pidfd, EPOLLIN,
	    check_process_watch_fired, check) == -1) {
		/* Runs still see the process; only the event is lost. */
		log_warn("check %s: cannot watch process %d",
		    check->config->description, (int)pid);
		close(pidfd);
		return;
	}
	watch->pidfd = pidfd;
}

/* End the run from an errno of our own doing or of the configuration. */
static void
check_process_done_errno(struct check *check, int error, const char *what)
{
	if (check_errno_is_local(error))
		check_done_local(check, check_local_cause_from_errno(error),
		    "%s: %s", what, strerror(error));
	else
		check_done(check, CHECK_RESULT_ERROR, "%s: %s", what,
		    strerror(error));
}

static void
check_process_start(struct check *check)
{
	const struct check_process_config *process = check->config->data;
	struct check_process_watch *watch = check->watch;
	char detail[CHECK_DETAIL_MAX], comm[CHECK_PROCESS_COMM_MAX + 1];
	pid_t pid = 0, again;
	int pidfd, found = 0;

	for (int tries = 0; tries < CHECK_PROCESS_TRIES; tries++) {
		if (process->pidfile != NULL) {
			found = check_process_read_pidfile(process->pidfile,
			    &pid, detail, sizeof(detail));
			if (found == -1) {
				check_process_done_errno(check, errno,
				    process->pidfile);
				return;
			}
			if (found == 0) {
				check_done(check, CHECK_RESULT_FAIL, "%s",
				    detail);
				return;
			}
			if (watch != NULL && pid == watch->exited_pid) {
				check_done(check, CHECK_RESULT_FAIL, "pid %d "
				    "from %s exited (stale pidfile)", (int)pid,
				    process->pidfile);
				return;
			}
		} else if (watch != NULL && watch->pidfd != -1 &&
		    !check_process_exited(watch->pidfd)) {
			/* The process found before lives on: no scan. */
			check_done(check, CHECK_RESULT_PASS,
			    "process %d (%s) running", (int)watch->pid,
			    watch->comm);
			return;
		} else {
			pid = check_process_find(process->command);
			if (pid == 0 && errno != 0) {
				check_process_done_errno(check, errno,
				    "/proc");
				return;
			}
			if (pid == 0) {
				check_done(check, CHECK_RESULT_FAIL,
				    "no process named %s", process->command);
				return;
			}
		}
		if (watch != NULL && watch->pidfd != -1 && watch->pid == pid &&
		    !check_process_exited(watch->pidfd)) {
			check_done(check, CHECK_RESULT_PASS,
			    "process %d (%s) running", (int)pid, watch->comm);
			return;
		}
		pidfd = check_process_pidfd_open(pid);
		if (pidfd == -1 && errno == ESRCH) {
			if (process->pidfile != NULL)
				check_done(check, CHECK_RESULT_FAIL, "pid %d "
				    "from %s is not running (stale pidfile)",
				    (int)pid, process->pidfile);
			else
				check_done(check, CHECK_RESULT_FAIL,
				    "process %d (%s) exited", (int)pid,
				    process->command);
			return;
		}
		if (pidfd == -1) {
			check_process_done_errno(check, errno, "pidfd_open");
			return;
		}
		/* What the pidfd refers to, read after opening it. */
		if (check_process_comm(pid, comm) == -1)
			snprintf(comm, sizeof(comm), "?");
		if (process->pidfile != NULL && (found =
		    check_process_read_pidfile(process->pidfile, &again,
		    detail, sizeof(detail))) == 1 && again != pid) {
			close(pidfd);   /* rewritten meanwhile: read again */
			continue;
		}
		if (check_process_exited(pidfd)) {
			close(pidfd);
			check_done(check, CHECK_RESULT_FAIL, "process %d "
			    "(%s) exited", (int)pid, comm);
			return;
		}
		if (process->pidfile != NULL && found != 1) {
			close(pidfd);
			check_done(check, CHECK_RESULT_FAIL, "%s", found == 0 ?
			    detail : "pidfile went away");
			return;
		}
		if (process->command != NULL &&
		    !check_process_named(pid, comm, process->command)) {
			close(pidfd);
			if (process->pidfile == NULL)
				continue;       /* pid reused since the scan */
			check_done(check, CHECK_RESULT_FAIL, "pid %d from %s "
			    "is %s, not %s (stale pidfile, pid reused)",
			    (int)pid, process->pidfile, comm,
			    process->command);
			return;
		}
		check_process_watch_pid(check, pid, pidfd, comm);
		check_done(check, CHECK_RESULT_PASS, "process %d (%s) running",
		    (int)pid, comm);
		return;
	}
	if (process->pidfile != NULL)
		check_done(check, CHECK_RESULT_FAIL, "pidfile %s keeps "
		    "changing", process->pidfile);
	else
		check_done(check, CHECK_RESULT_FAIL, "processes named %s keep "
		    "exiting", process->command);
}

static void
check_process_cancel(struct check *check)
{
	(void)check;    /* never running: a run completes in start */
}

static int
check_process_watch_start(struct check *check)
{
	struct check_process_watch *watch = xcalloc(1, sizeof(*watch));

	watch->pidfd = -1;
	check->watch = watch;
	return 0;
}

static void
check_process_watch_stop(struct check *check)
{
	check_process_unwatch_pid(check);
	free(check->watch);
	check->watch = NULL;
}

static void
check_process_free_config(void *data)
{
	struct check_process_config *process = data;

	if (process == NULL)
		return;
	free(process->pidfile);
	free(process->command);
	free(process);
}

const struct check_ops check_process_ops = {
	.type = "process",
	.parse = check_process_parse,
	.start = check_process_start,
	.cancel = check_process_cancel,
	.free_config = check_process_free_config,
	/* The watched pidfd, and during a run the pidfile and a new pidfd. */
	.fds_per_run = 3,
	.watch_start = check_process_watch_start,
	.watch_stop = check_process_watch_stop,
	.immediate_default = true,
};
