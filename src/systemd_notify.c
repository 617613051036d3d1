/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: systemd notifications: the datagram, readiness, status, watchdog
 *
 * See systemd_notify.h for what is sent when. Readiness and the status
 * line are looked at on a short timer after any change (a burst of changes
 * at start sends one STATUS, not thousands); the watchdog has a timer of
 * its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "systemd_notify.h"

/* From a change to the status (and readiness) it leads to. */
#define SYSTEMD_NOTIFY_COALESCE_NS (100 * NSEC_PER_MSEC)
/* While not ready, look again this often (the backend's delivery has no
 * event of its own). */
#define SYSTEMD_NOTIFY_READY_POLL_NS (100 * NSEC_PER_MSEC)

struct systemd_notifier {
	struct daemon *daemon;
	struct daemon_observer observer;
	bool ready;
	bool stopping;
	char status[256];               /* last STATUS= sent */
	struct loop_timer status_timer;
	/* The watchdog (interval 0: none). */
	uint64_t watchdog_interval_ns;  /* WATCHDOG_USEC / 2 */
	struct loop_timer watchdog_timer;
	unsigned long answered;         /* backend commands ended, last look */
	size_t undelivered;             /* and waiting, last look */
	uint64_t stalled_since_ns;      /* 0: not stalled */
	unsigned long pings;
};

int
systemd_notify_send(const char *message)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un address;
	socklen_t length;
	size_t path_length;
	ssize_t sent;
	int fd, saved;

	if (path == NULL || path[0] == '\0')
		return 0;
	path_length = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    path_length >= sizeof(address.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	memcpy(address.sun_path, path, path_length);
	if (path[0] == '@')
		address.sun_path[0] = '\0';     /* abstract namespace */
	length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    path_length + (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL,
	    (struct sockaddr *)&address, length);
	saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)strlen(message) ? 1 : -1;
}

static void
systemd_notify(struct systemd_notifier *notifier, const char *message)
{
	(void)notifier;
	if (systemd_notify_send(message) == -1)
		log_debug("systemd: cannot notify \"%.20s...\": %s", message,
		    strerror(errno));
}

void
systemd_notify_summary(const struct daemon *daemon, char *out, size_t size)
{
	const struct supervisor *supervisor = daemon->supervisor;
	size_t count = supervisor_service_count(supervisor);
	size_t up = 0, down = 0, maintenance = 0, draining = 0, starting = 0;
	size_t degraded = 0;
	size_t length;

	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);

		if (service_stopped(service) || service_removed(service))
			continue;
		switch (service_state(service)) {
		case HEALTH_UP:
		case HEALTH_FALLING:
			up++;
			break;
		case HEALTH_DEGRADED:
			degraded++;
			break;
		case HEALTH_DISABLED:
			maintenance++;
			break;
		case HEALTH_DRAINING:
			draining++;
			break;
		case HEALTH_INIT:
			starting++;
			break;
		default:        /* RISING, DOWN: not announced as up */
			down++;
			break;
		}
	}
	snprintf(out, size, "%zu up, %zu down", up, down);
	length = strlen(out);
	if (degraded > 0 && length < size)
		length += (size_t)snprintf(out + length, size - length,
		    ", %zu degraded", degraded);
	if (maintenance > 0 && length < size)
		length += (size_t)snprintf(out + length, size - length,
		    ", %zu maintenance", maintenance);
	if (draining > 0 && length < size)
		length += (size_t)snprintf(out + length, size - length,
		    ", %zu draining", draining);
	if (starting > 0 && length < size)
		snprintf(out + length, size - length, ", %zu starting",
		    starting);
}

/* Every service decided, and the backend delivered it. */
static bool
systemd_notifier_decided(const struct systemd_notifier *notifier)
{
	const struct daemon *daemon = notifier->daemon;
	const struct supervisor *supervisor = daemon->supervisor;
	size_t count = supervisor_service_count(supervisor);

	for (size_t i = 0; i < count; i++)
		if (service_state(supervisor_service_at(supervisor, i)) ==
		    HEALTH_INIT)
			return false;
	return daemon->backend_ops->undelivered(daemon->backend) == 0;
}

static void
systemd_notifier_look(struct loop *loop, void *arg)
{
	struct systemd_notifier *notifier = arg;
	char status[256], message[300];

	if (notifier->stopping)
		return;
	systemd_notify_summary(notifier->daemon, status, sizeof(status));
	if (!notifier->ready && systemd_notifier_decided(notifier)) {
		notifier->ready = true;
		snprintf(notifier->status, sizeof(notifier->status), "%s",
		    status);
		snprintf(message, sizeof(message), "READY=1\nSTATUS=%s",
		    status);
		systemd_notify(notifier, message);
		log_info("ready: every service's first decision reached the "
		    "routing daemon (%s)", status);
		return;
	}
	if (strcmp(status, notifier->status) != 0) {
		snprintf(notifier->status, sizeof(notifier->status), "%s",
		    status);
		snprintf(message, sizeof(message), "STATUS=%s", status);
		systemd_notify(notifier, message);
	}
	if (!notifier->ready)
		loop_timer_arm_in(loop, &notifier->status_timer,
		    SYSTEMD_NOTIFY_READY_POLL_NS);
}

static void
systemd_notifier_changed(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	struct systemd_notifier *notifier = arg;

	(void)service;
	(void)change;
	if (!loop_timer_armed(&notifier->status_timer))
		loop_timer_arm_in(notifier->daemon->loop,
		    &notifier->status_timer, SYSTEMD_NOTIFY_COALESCE_NS);
}

static void
systemd_notifier_reload_started(void *arg)
{
	struct systemd_notifier *notifier = arg;
	struct timespec now;
	char message[96];

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* systemd 253+ wants the time with RELOADING=1. */
	snprintf(message, sizeof(message), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)now.tv_sec * 1000000ULL +
	    (unsigned long long)now.tv_nsec / 1000ULL);
	systemd_notify(notifier, message);
}

static void
systemd_notifier_reloaded(void *arg, const struct daemon_reload_report *report)
{
	struct systemd_notifier *notifier = arg;
	char message[1200];

	if (notifier->stopping)
		return;
	/* Refused or applied, the daemon runs a config again. */
	snprintf(message, sizeof(message), "READY=1\nSTATUS=%s%.200s",
	    report->ok ? "" : "reload failed: ", report->ok ? notifier->status :
	    report->summary);
	if (notifier->ready)
		systemd_notify(notifier, message);
	systemd_notifier_changed(notifier, NULL, NULL);
}

static void
systemd_notifier_stopping(void *arg)
{
	struct systemd_notifier *notifier = arg;

	notifier->stopping = true;
	loop_timer_cancel(notifier->daemon->loop, &notifier->status_timer);
	systemd_notify(notifier, "STOPPING=1\nSTATUS=stopping: withdrawing");
}

/* Is the backend stalled: connected, commands waiting, and no command
 * ended and none delivered for a whole interval? A disconnected backend
 * is not stalled: anycheck is reconnecting, which a restart would not
 * do any better. */
static bool
systemd_notifier_backend_stalled(struct systemd_notifier *notifier,
    uint64_t now)
{
	const struct daemon *daemon = notifier->daemon;
	struct backend_stats stats;
	unsigned long answered;
	size_t undelivered;
	bool progress;

	memset(&stats, 0, sizeof(stats));
	if (daemon->backend_ops->stats != NULL)
		daemon->backend_ops->stats(daemon->backend, &stats);
	undelivered = daemon->backend_ops->undelivered(daemon->backend);
	answered = stats.commands_ok + stats.commands_error +
	    stats.commands_failed;
	progress = !stats.up || undelivered == 0 ||
	    answered != notifier->answered ||
	    undelivered < notifier->undelivered;
	notifier->answered = answered;
	notifier->undelivered = undelivered;
	if (progress) {
		notifier->stalled_since_ns = 0;
		return false;
	}
	if (notifier->stalled_since_ns == 0)
		notifier->stalled_since_ns = now;
	/* Two looks without progress: a whole interval. */
	return now - notifier->stalled_since_ns >=
	    notifier->watchdog_interval_ns;
}

static void
systemd_notifier_watchdog(struct loop *loop, void *arg)
{
	struct systemd_notifier *notifier = arg;
	uint64_t now = loop_now_ns(loop);

	if (!systemd_notifier_backend_stalled(notifier, now)) {
		systemd_notify(notifier, "WATCHDOG=1");
		notifier->pings++;
	} else
		log_warnx("watchdog: the %s backend has had commands waiting "
		    "for %.1f s without progress; not telling systemd we are "
		    "alive", notifier->daemon->backend_ops->name,
		    (double)(now - notifier->stalled_since_ns) / 1e9);
	loop_timer_arm_in(loop, &notifier->watchdog_timer,
	    notifier->watchdog_interval_ns);
}

/* WATCHDOG_USEC, when it is meant for this process (WATCHDOG_PID unset
 * or ours); 0 otherwise. */
static uint64_t
systemd_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long value;
	char *end;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	value = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || end == usec)
		return 0;
	return value;
}

struct systemd_notifier *
systemd_notifier_new(struct daemon *daemon)
{
	struct systemd_notifier *notifier;
	uint64_t usec;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return NULL;
	notifier = xcalloc(1, sizeof(*notifier));
	notifier->daemon = daemon;
	loop_timer_init(&notifier->status_timer, systemd_notifier_look,
	    notifier);
	loop_timer_init(&notifier->watchdog_timer, systemd_notifier_watchdog,
	    notifier);
	notifier->observer.service_changed = systemd_notifier_changed;
	notifier->observer.reload_started = systemd_notifier_reload_started;
	notifier->observer.reloaded = systemd_notifier_reloaded;
	notifier->observer.stopping = systemd_notifier_stopping;
	notifier->observer.arg = notifier;
	daemon_add_observer(daemon, &notifier->observer);
	loop_timer_arm_in(daemon->loop, &notifier->status_timer,
	    SYSTEMD_NOTIFY_READY_POLL_NS);
	usec = systemd_watchdog_usec();
	if (usec > 0) {
		notifier->watchdog_interval_ns = usec * 1000ULL / 2;
		if (notifier->watchdog_interval_ns == 0)
			notifier->watchdog_interval_ns = 1;
		loop_timer_arm_in(daemon->loop, &notifier->watchdog_timer,
		    notifier->watchdog_interval_ns);
		log_info("systemd watchdog: every %.1f s",
		    (double)notifier->watchdog_interval_ns / 1e9);
	}
	return notifier;
}

bool
systemd_notifier_ready(const struct systemd_notifier *notifier)
{
	return notifier != NULL && notifier->ready;
}

void
systemd_notifier_free(struct systemd_notifier *notifier)
{
	if (notifier == NULL)
		return;
	loop_timer_cancel(notifier->daemon->loop, &notifier->status_timer);
	loop_timer_cancel(notifier->daemon->loop, &notifier->watchdog_timer);
	daemon_remove_observer(notifier->daemon, &notifier->observer);
	free(notifier);
}
