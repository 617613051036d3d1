/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: metrics: counting and rendering
 *
 * Counters live in one record per service name (transitions, and per check
 * its runs by result and its duration histogram), so that they survive a
 * reload that changes the service; a check whose description changed at
 * its index starts again from zero, and services a reload dropped lose
 * their record once they are gone. Everything else is read at render time
 * through the supervisor's and the backend's accessors, so a scrape always
 * shows the state of this loop round.
 *
 * Names follow Prometheus conventions (base units, _total for counters,
 * one-hot state gauges) and pass `promtool check metrics`.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "file_write.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"

const double metrics_duration_buckets[METRICS_DURATION_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

struct metrics_check {
	char *description;              /* NULL: no run yet */
	unsigned long runs[CHECK_RESULT_COUNT];
	struct metrics_histogram duration;
};

struct metrics_service {
	char *name;                     /* the index's key */
	unsigned long transitions[HEALTH_STATE_COUNT][HEALTH_STATE_COUNT];
	struct metrics_check *checks;
	size_t check_count;
};

void
metrics_histogram_add(struct metrics_histogram *histogram, double value)
{
	size_t i = 0;

	while (i < METRICS_DURATION_BUCKETS &&
	    value > metrics_duration_buckets[i])
		i++;
	histogram->buckets[i]++;
	histogram->sum += value;
	histogram->count++;
}

static double
metrics_wall_clock(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static struct metrics_service *
metrics_service_get(struct metrics *metrics, const char *name)
{
	struct metrics_service *entry = name_index_get(&metrics->services,
	    name);

	if (entry != NULL)
		return entry;
	entry = xcalloc(1, sizeof(*entry));
	entry->name = xstrdup(name);
	name_index_put(&metrics->services, entry->name, entry);
	return entry;
}

static void
metrics_service_free(struct metrics_service *entry)
{
	for (size_t i = 0; i < entry->check_count; i++)
		free(entry->checks[i].description);
	free(entry->checks);
	free(entry->name);
	free(entry);
}

/* The record of check index of entry, for a check described so (a new
 * description at that index: a new check, counted from zero). */
static struct metrics_check *
metrics_check_get(struct metrics_service *entry, size_t index,
    const char *description)
{
	struct metrics_check *check;

	if (index >= entry->check_count) {
		entry->checks = xrealloc(entry->checks, (index + 1) *
		    sizeof(*entry->checks));
		memset(entry->checks + entry->check_count, 0, (index + 1 -
		    entry->check_count) * sizeof(*entry->checks));
		entry->check_count = index + 1;
	}
	check = &entry->checks[index];
	if (check->description == NULL ||
	    strcmp(check->description, description) != 0) {
		free(check->description);
		memset(check, 0, sizeof(*check));
		check->description = xstrdup(description);
	}
	return check;
}

/* Observer callbacks. */

static void
metrics_service_changed(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	struct metrics *metrics = arg;
	enum health_state state = service_state(service);

	if (change->old_state == state || (unsigned)state >=
	    HEALTH_STATE_COUNT || (unsigned)change->old_state >=
	    HEALTH_STATE_COUNT)
		return;
	metrics_service_get(metrics, service_name(service))->
	    transitions[change->old_state][state]++;
}

static void
metrics_check_done(void *arg, struct service *service,
    const struct supervisor_check_run *run)
{
	struct metrics *metrics = arg;
	struct metrics_check *check;

	if ((unsigned)run->result >= CHECK_RESULT_COUNT)
		return;
	check = metrics_check_get(metrics_service_get(metrics,
	    service_name(service)), run->check_index,
	    run->check->description);
	check->runs[run->result]++;
	metrics_histogram_add(&check->duration,
	    (double)run->duration_ns / 1e9);
}

static void metrics_textfile_schedule(struct metrics *metrics);

/* Forget the records of services that are gone. */
static void
metrics_prune(struct metrics *metrics)
{
	const struct supervisor *supervisor = metrics->daemon->supervisor;
	struct name_index keep;
	size_t count = supervisor_service_count(supervisor);

	name_index_init(&keep);
	for (size_t i = 0; i < count; i++) {
		const char *name = service_name(supervisor_service_at(
		    supervisor, i));
		struct metrics_service *entry = name_index_remove(
		    &metrics->services, name);
		if (entry != NULL)
			name_index_put(&keep, entry->name, entry);
	}
	for (size_t i = 0; i < metrics->services.capacity; i++) {
		struct name_index_slot *slot = &metrics->services.slots[i];
		if (slot->key != NULL && !slot->tombstone)
			metrics_service_free(slot->value);
	}
	name_index_cleanup(&metrics->services);
	metrics->services = keep;
}

static void
metrics_reloaded(void *arg, const struct daemon_reload_report *report)
{
	struct metrics *metrics = arg;

	metrics->reload_ok = report->ok;
	if (!report->ok)
		return;
	metrics->reload_timestamp = metrics->wall_clock();
	metrics_prune(metrics);
	/* metrics.textfile and its interval are live. */
	metrics_textfile_schedule(metrics);
}

/* Rendering. */

static void
metrics_escape(FILE *out, const char *text, bool quotes)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", out);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '"' && quotes)
			fputs("\\\"", out);
		else
			fputc(*p, out);
	}
}

static void
metrics_family(FILE *out, const char *name, const char *type,
    const char *help)
{
	fprintf(out, "# HELP %s ", name);
	metrics_escape(out, help, false);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* name{service="..." and the rest of the labels as given (already
 * escaped, each starting with ','), then "} " */
static void
metrics_sample_start(FILE *out, const char *name, const char *service)
{
	fprintf(out, "%s{service=\"", name);
	metrics_escape(out, service, true);
	fputc('"', out);
}

static void
metrics_label(FILE *out, const char *label, const char *value)
{
	fprintf(out, ",%s=\"", label);
	metrics_escape(out, value, true);
	fputc('"', out);
}

static void
metrics_lower(char *out, size_t size, const char *text)
{
	size_t i = 0;

	for (; text[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)text[i]);
	out[i] = '\0';
}

/* The services to show: every one the supervisor still has, STOPPED
 * ones included (the textfile written at the exit shows them withdrawn). */
static bool
metrics_shown(const struct service *service)
{
	(void)service;
	return true;
}

static void
metrics_render_services(FILE *out, struct metrics *metrics)
{
	const struct supervisor *supervisor = metrics->daemon->supervisor;
	size_t count = supervisor_service_count(supervisor);
	char state_name[32];

	metrics_family(out, "anycheck_service_state", "gauge", "The service's "
	    "health state: 1 for the state it is in, 0 for the others.");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		if (!metrics_shown(service))
			continue;
		for (int s = 0; s < HEALTH_STATE_COUNT; s++) {
			metrics_lower(state_name, sizeof(state_name),
			    health_state_name((enum health_state)s));
			metrics_sample_start(out, "anycheck_service_state",
			    service_name(service));
			metrics_label(out, "state", state_name);
			fprintf(out, "} %d\n", service_state(service) ==
			    (enum health_state)s);
		}
	}
	metrics_family(out, "anycheck_service_announced", "gauge", "1 when "
	    "anycheck wants the prefix announced (in any attribute set: up, "
	    "drain, down, disabled or last_resort), 0 when withdrawn.");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		const struct service_config *config;
		bool announced;

		if (!metrics_shown(service))
			continue;
		config = service_config(service);
		announced = supervisor_announcement(service) != NULL;
		for (size_t p = 0; p < config->prefix_count; p++) {
			metrics_sample_start(out, "anycheck_service_announced",
			    service_name(service));
			metrics_label(out, "prefix", config->prefixes[p].text);
			fprintf(out, "} %d\n", announced);
		}
	}
	metrics_family(out, "anycheck_service_maintenance", "gauge", "1 while "
	    "the service is in maintenance, by source: its maintenance file, "
	    "or an operator's request.");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		if (!metrics_shown(service))
			continue;
		metrics_sample_start(out, "anycheck_service_maintenance",
		    service_name(service));
		fprintf(out, ",source=\"file\"} %d\n",
		    service_maintenance_file(service));
		metrics_sample_start(out, "anycheck_service_maintenance",
		    service_name(service));
		fprintf(out, ",source=\"request\"} %d\n",
		    service_maintenance_requested(service));
	}
	metrics_family(out, "anycheck_drain_connections", "gauge", "Established "
	    "connections counted during the service's drain (only while it "
	    "drains and a count succeeded).");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		long connections;

		if (!metrics_shown(service) || service_state(service) !=
		    HEALTH_DRAINING)
			continue;
		connections = service_drain_connections(service);
		if (connections < 0)
			continue;
		metrics_sample_start(out, "anycheck_drain_connections",
		    service_name(service));
		fprintf(out, "} %ld\n", connections);
	}
}

static void
metrics_render_transitions(FILE *out, struct metrics *metrics)
{
	const struct supervisor *supervisor = metrics->daemon->supervisor;
	size_t count = supervisor_service_count(supervisor);
	char from[32], to[32];

	metrics_family(out, "anycheck_service_transitions_total", "counter",
	    "State transitions of the service, by old and new state.");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		const struct metrics_service *entry;

		if (!metrics_shown(service))
			continue;
		entry = name_index_get(&metrics->services,
		    service_name(service));
		if (entry == NULL)
			continue;
		for (int a = 0; a < HEALTH_STATE_COUNT; a++)
			for (int b = 0; b < HEALTH_STATE_COUNT; b++) {
				if (entry->transitions[a][b] == 0)
					continue;
				metrics_lower(from, sizeof(from),
				    health_state_name((enum health_state)a));
				metrics_lower(to, sizeof(to),
				    health_state_name((enum health_state)b));
				metrics_sample_start(out,
				    "anycheck_service_transitions_total",
				    service_name(service));
				metrics_label(out, "from", from);
				metrics_label(out, "to", to);
				fprintf(out, "} %lu\n",
				    entry->transitions[a][b]);
			}
	}
}

/* The check label of check index of service: its description, with
 * " (2)", " (3)" ... for repeats within the service (series must be
 * unique). */
static void
metrics_check_label(const struct service *service, size_t index, char *out,
    size_t size)
{
	const char *description = service_check_config(service,
	    index)->description;
	unsigned same = 1;

	for (size_t i = 0; i < index; i++)
		if (strcmp(service_check_config(service, i)->description,
		    description) == 0)
			same++;
	if (same == 1)
		snprintf(out, size, "%s", description);
	else
		snprintf(out, size, "%s (%u)", description, same);
}

/* The record of a current check, NULL when it has not run yet. */
static const struct metrics_check *
metrics_check_find(struct metrics *metrics, const struct service *service,
    size_t index)
{
	const struct metrics_service *entry = name_index_get(
	    &metrics->services, service_name(service));
	const struct metrics_check *check;

	if (entry == NULL || index >= entry->check_count)
		return NULL;
	check = &entry->checks[index];
	if (check->description == NULL || strcmp(check->description,
	    service_check_config(service, index)->description) != 0)
		return NULL;
	return check;
}

static void
metrics_render_checks(FILE *out, struct metrics *metrics)
{
	const struct supervisor *supervisor = metrics->daemon->supervisor;
	size_t count = supervisor_service_count(supervisor);
	static const struct metrics_check none;
	char label[1024];

	metrics_family(out, "anycheck_check_runs_total", "counter", "Check "
	    "runs that ended, by result.");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		if (!metrics_shown(service))
			continue;
		for (size_t c = 0; c < service_check_count(service); c++) {
			const struct metrics_check *check = metrics_check_find(
			    metrics, service, c);
			if (check == NULL)
				check = &none;
			metrics_check_label(service, c, label, sizeof(label));
			for (int r = 0; r < CHECK_RESULT_COUNT; r++) {
				metrics_sample_start(out,
				    "anycheck_check_runs_total",
				    service_name(service));
				metrics_label(out, "check", label);
				metrics_label(out, "result",
				    check_result_name((enum check_result)r));
				fprintf(out, "} %lu\n", check->runs[r]);
			}
		}
	}
	metrics_family(out, "anycheck_check_duration_seconds", "histogram",
	    "How long check runs took.");
	for (size_t i = 0; i < count; i++) {
		const struct service *service = supervisor_service_at(
		    supervisor, i);
		if (!metrics_shown(service))
			continue;
		for (size_t c = 0; c < service_check_count(service); c++) {
			const struct metrics_check *check = metrics_check_find(
			    metrics, service, c);
			const struct metrics_histogram *histogram;
			unsigned long cumulative = 0;
			char bound[32];

			if (check == NULL)
				check = &none;
			histogram = &check->duration;
			metrics_check_label(service, c, label, sizeof(label));
			for (int b = 0; b <= METRICS_DURATION_BUCKETS; b++) {
				cumulative += histogram->buckets[b];
				if (b < METRICS_DURATION_BUCKETS)
					snprintf(bound, sizeof(bound), "%g",
					    metrics_duration_buckets[b]);
				else
					snprintf(bound, sizeof(bound), "+Inf");
				metrics_sample_start(out,
				    "anycheck_check_duration_seconds_bucket",
				    service_name(service));
				metrics_label(out, "check", label);
				metrics_label(out, "le", bound);
				fprintf(out, "} %lu\n", cumulative);
			}
			metrics_sample_start(out,
			    "anycheck_check_duration_seconds_sum",
			    service_name(service));
			metrics_label(out, "check", label);
			fprintf(out, "} %.9g\n", histogram->sum);
			metrics_sample_start(out,
			    "anycheck_check_duration_seconds_count",
			    service_name(service));
			metrics_label(out, "check", label);
			fprintf(out, "} %lu\n", histogram->count);
		}
	}
}

static void
metrics_render_daemon(FILE *out, struct metrics *metrics)
{
	struct daemon *daemon = metrics->daemon;
	struct backend_stats stats;

	memset(&stats, 0, sizeof(stats));
	if (daemon->backend_ops->stats != NULL)
		daemon->backend_ops->stats(daemon->backend, &stats);
	metrics_family(out, "anycheck_backend_up", "gauge", "1 while the "
	    "routing daemon is reachable: BIRD's control socket connected, "
	    "ExaBGP's pipes open.");
	fprintf(out, "anycheck_backend_up{backend=\"%s\"} %d\n",
	    daemon->backend_ops->name, stats.up);
	metrics_family(out, "anycheck_backend_commands_sent_total", "counter",
	    "Commands sent to the routing daemon.");
	fprintf(out, "anycheck_backend_commands_sent_total{backend=\"%s\"} "
	    "%lu\n", daemon->backend_ops->name, stats.commands_sent);
	metrics_family(out, "anycheck_backend_commands_total", "counter",
	    "Commands the routing daemon answered (ok, error) or did not "
	    "answer (failed: timeout, connection lost).");
	fprintf(out, "anycheck_backend_commands_total{backend=\"%s\","
	    "result=\"ok\"} %lu\n", daemon->backend_ops->name,
	    stats.commands_ok);
	fprintf(out, "anycheck_backend_commands_total{backend=\"%s\","
	    "result=\"error\"} %lu\n", daemon->backend_ops->name,
	    stats.commands_error);
	fprintf(out, "anycheck_backend_commands_total{backend=\"%s\","
	    "result=\"failed\"} %lu\n", daemon->backend_ops->name,
	    stats.commands_failed);
	metrics_family(out, "anycheck_local_errors_total", "counter", "Check "
	    "runs anycheck could not do itself, by cause (they never move a "
	    "service's state).");
	for (int cause = 0; cause < CHECK_LOCAL_CAUSE_COUNT; cause++)
		fprintf(out, "anycheck_local_errors_total{cause=\"%s\"} %lu\n",
		    check_local_cause_name((enum check_local_cause)cause),
		    supervisor_local_errors(daemon->supervisor,
		    (enum check_local_cause)cause));
	metrics_family(out, "anycheck_reload_success", "gauge", "1 when the "
	    "last reload succeeded (or none was asked for), 0 when it was "
	    "refused.");
	fprintf(out, "anycheck_reload_success %d\n", metrics->reload_ok);
	metrics_family(out, "anycheck_reload_timestamp_seconds", "gauge",
	    "When the running configuration was loaded (start or last "
	    "successful reload), Unix time.");
	fprintf(out, "anycheck_reload_timestamp_seconds %.3f\n",
	    metrics->reload_timestamp);
}

/* process_* metrics from /proc (the names every Prometheus client
 * library uses). */
static void
metrics_render_process(FILE *out)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime = 0, stime = 0, start = 0, boot = 0;
	unsigned long long size = 0, resident = 0;
	char buffer[1024], *close_paren;
	struct rlimit limit;
	struct dirent *entry;
	long fds = 0;
	FILE *file;
	DIR *dir;

	file = fopen("/proc/self/stat", "re");
	if (file != NULL) {
		size_t n = fread(buffer, 1, sizeof(buffer) - 1, file);
		buffer[n] = '\0';
		fclose(file);
		/* After "pid (comm) ": fields 3.. ; utime 14, stime 15,
		 * starttime 22. */
		close_paren = strrchr(buffer, ')');
		if (close_paren != NULL)
			sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u "
			    "%*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
			    "%llu", &utime, &stime, &start);
	}
	file = fopen("/proc/stat", "re");
	if (file != NULL) {
		while (fgets(buffer, sizeof(buffer), file) != NULL)
			if (sscanf(buffer, "btime %llu", &boot) == 1)
				break;
		fclose(file);
	}
	file = fopen("/proc/self/statm", "re");
	if (file != NULL) {
		if (fscanf(file, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(file);
	}
	dir = opendir("/proc/self/fd");
	if (dir != NULL) {
		while ((entry = readdir(dir)) != NULL)
			if (entry->d_name[0] != '.')
				fds++;
		closedir(dir);
		fds--;  /* the directory's own */
	}
	if (ticks <= 0)
		ticks = 100;
	metrics_family(out, "process_cpu_seconds_total", "counter", "Total "
	    "user and system CPU time spent in seconds.");
	fprintf(out, "process_cpu_seconds_total %.2f\n",
	    (double)(utime + stime) / (double)ticks);
	metrics_family(out, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	fprintf(out, "process_resident_memory_bytes %llu\n",
	    resident * (unsigned long long)page);
	metrics_family(out, "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.");
	fprintf(out, "process_virtual_memory_bytes %llu\n",
	    size * (unsigned long long)page);
	metrics_family(out, "process_open_fds", "gauge", "Number of open "
	    "file descriptors.");
	fprintf(out, "process_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
		metrics_family(out, "process_max_fds", "gauge", "Maximum "
		    "number of open file descriptors.");
		fprintf(out, "process_max_fds %llu\n",
		    (unsigned long long)limit.rlim_cur);
	}
	metrics_family(out, "process_start_time_seconds", "gauge", "Start "
	    "time of the process since unix epoch in seconds.");
	fprintf(out, "process_start_time_seconds %.2f\n", (double)boot +
	    (double)start / (double)ticks);
}

int
metrics_render(FILE *out, void *arg)
{
	struct metrics *metrics = arg;

	metrics_family(out, "anycheck_build_info", "gauge", "anycheck's "
	    "version and backend; always 1.");
	fprintf(out, "anycheck_build_info{version=\"%s\",backend=\"%s\"} 1\n",
	    ANYCHECK_VERSION, metrics->daemon->backend_ops->name);
	metrics_render_services(out, metrics);
	metrics_render_transitions(out, metrics);
	metrics_render_checks(out, metrics);
	metrics_render_daemon(out, metrics);
	if (metrics->process_metrics)
		metrics_render_process(out);
	return ferror(out) ? -1 : 0;
}

char *
metrics_render_text(struct metrics *metrics, size_t *length)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		return NULL;
	if (metrics_render(out, metrics) != 0) {
		fclose(out);
		free(text);
		return NULL;
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	*length = size;
	return text;
}

static char *
metrics_http_body(void *arg, size_t *length)
{
	return metrics_render_text(arg, length);
}

/* The textfile. */

static void
metrics_textfile_write(struct metrics *metrics)
{
	const struct config *config;

	if (metrics->daemon->supervisor == NULL)
		return;
	config = supervisor_config(metrics->daemon->supervisor);
	if (config->metrics_textfile == NULL)
		return;
	if (file_write_atomic_stream(config->metrics_textfile, 0644,
	    metrics_render, metrics) != 0) {
		/* Logged once per kind of failure, not every interval. */
		if (errno != metrics->textfile_errno)
			log_warn("metrics: cannot write %s",
			    config->metrics_textfile);
		metrics->textfile_errno = errno;
		return;
	}
	if (metrics->textfile_errno != 0)
		log_info("metrics: %s written again",
		    config->metrics_textfile);
	metrics->textfile_errno = 0;
	metrics->textfile_writes++;
}

static void
metrics_textfile_timer(struct loop *loop, void *arg)
{
	(void)loop;
	metrics_textfile_write(arg);
	metrics_textfile_schedule(arg);
}

static void
metrics_textfile_schedule(struct metrics *metrics)
{
	const struct config *config = supervisor_config(
	    metrics->daemon->supervisor);

	if (config->metrics_textfile == NULL) {
		loop_timer_cancel(metrics->daemon->loop,
		    &metrics->textfile_timer);
		return;
	}
	loop_timer_arm_in(metrics->daemon->loop, &metrics->textfile_timer,
	    (uint64_t)(config->metrics_textfile_interval * 1e9));
}

static void
metrics_stopping(void *arg)
{
	metrics_textfile_write(arg);
}

struct metrics *
metrics_new(struct daemon *daemon)
{
	struct metrics *metrics = xcalloc(1, sizeof(*metrics));
	const struct config *config = supervisor_config(daemon->supervisor);

	metrics->daemon = daemon;
	name_index_init(&metrics->services);
	metrics->reload_ok = true;
	metrics->process_metrics = true;
	metrics->wall_clock = metrics_wall_clock;
	metrics->reload_timestamp = metrics->wall_clock();
	metrics->observer.service_changed = metrics_service_changed;
	metrics->observer.check_done = metrics_check_done;
	metrics->observer.reloaded = metrics_reloaded;
	metrics->observer.stopping = metrics_stopping;
	metrics->observer.arg = metrics;
	daemon_add_observer(daemon, &metrics->observer);
	loop_timer_init(&metrics->textfile_timer, metrics_textfile_timer,
	    metrics);
	if (config->metrics_listen != NULL)
		metrics->http = metrics_http_start(daemon->loop,
		    config->metrics_listen, metrics_http_body, metrics);
	if (config->metrics_textfile != NULL) {
		/* The first soon after the first rounds, then every
		 * interval. */
		loop_timer_arm_in(daemon->loop, &metrics->textfile_timer,
		    NSEC_PER_SEC);
	}
	return metrics;
}

void
metrics_exit(struct metrics *metrics)
{
	if (metrics == NULL)
		return;
	loop_timer_cancel(metrics->daemon->loop, &metrics->textfile_timer);
	metrics_textfile_write(metrics);
}

void
metrics_free(struct metrics *metrics)
{
	if (metrics == NULL)
		return;
	metrics_http_stop(metrics->http);
	daemon_remove_observer(metrics->daemon, &metrics->observer);
	loop_timer_cancel(metrics->daemon->loop, &metrics->textfile_timer);
	for (size_t i = 0; i < metrics->services.capacity; i++) {
		struct name_index_slot *slot = &metrics->services.slots[i];
		if (slot->key != NULL && !slot->tombstone)
			metrics_service_free(slot->value);
	}
	name_index_cleanup(&metrics->services);
	free(metrics);
}
