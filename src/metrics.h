/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: metrics: what the daemon has done, as Prometheus text
 *
 * A daemon observer counts what only events can tell (state transitions,
 * check runs by result, check durations as a histogram, reloads); the
 * rest (states, announcements, maintenance, drains, the backend, local
 * errors, the process) is read from the supervisor and the backend at
 * each render. Rendering is the Prometheus text exposition format
 * (version 0.0.4): every family with HELP and TYPE, label values escaped.
 * It is served over HTTP (metrics_http.c, metrics.listen) and written
 * atomically to metrics.textfile for node_exporter's textfile collector,
 * every metrics.textfile_interval seconds and at exit.
 */
#ifndef ANYCHECK_METRICS_H
#define ANYCHECK_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "daemon.h"
#include "name_index.h"

/* Upper bounds (seconds) of the check duration histogram's buckets;
 * +Inf comes last. */
#define METRICS_DURATION_BUCKETS 12
extern const double metrics_duration_buckets[METRICS_DURATION_BUCKETS];

/* One histogram: counts per bucket (not cumulative), sum, count. */
struct metrics_histogram {
	unsigned long buckets[METRICS_DURATION_BUCKETS + 1];
	double sum;
	unsigned long count;
};

struct metrics {
	struct daemon *daemon;
	struct daemon_observer observer;
	/* Service name -> struct metrics_service (event counters). */
	struct name_index services;
	/* The last reload: its result, and when the running config was
	 * loaded (start, or the last reload that succeeded): Unix time. */
	bool reload_ok;
	double reload_timestamp;
	/* Render process_* metrics (off in tests: they vary). */
	bool process_metrics;
	/* Wall clock (Unix seconds); tests set their own. */
	double (*wall_clock)(void);
	struct metrics_http *http;
	struct loop_timer textfile_timer;
	unsigned long textfile_writes;
	int textfile_errno;             /* last write error logged */
};

/* Add value (seconds) to histogram. */
void metrics_histogram_add(struct metrics_histogram *histogram,
    double value);

/* Start counting for daemon (its supervisor exists): the observer, the
 * HTTP listener (metrics.listen) and the textfile timer
 * (metrics.textfile). A listener that cannot start is logged and
 * left out: health checking goes on without it. */
struct metrics *metrics_new(struct daemon *daemon);
/* Write the textfile one last time (at exit, while the supervisor still
 * exists). */
void metrics_exit(struct metrics *metrics);
void metrics_free(struct metrics *metrics);

/* Render every metric into out (file_write_atomic_stream's form, arg is
 * the struct metrics). Returns 0, or -1 on a write error. */
int metrics_render(FILE *out, void *arg);
/* The same into a malloc'ed string (length in *length); NULL on failure. */
char *metrics_render_text(struct metrics *metrics, size_t *length);

#endif
