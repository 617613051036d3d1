/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: checks
 *
 * A check type is one file (check_exec.c, check_tcp.c, check_http.c,
 * check_file.c, check_dns.c, check_process.c, ...) exporting a const struct check_ops; check_registry.c maps a
 * config "type" to its ops. A run starts with check_start() and ends in
 * exactly one call to check_done(), whatever happened: pass, fail, timeout,
 * error or local error, with a short detail that reaches the logs. A check
 * never has two runs at once.
 *
 * Some types also watch between runs (check_watch): a pidfd, a netlink
 * subscription. A watch reports what became certain at that moment (the
 * process exited, the address was removed, or it is back) through
 * check_event(), its single reporting point; the supervisor then acts
 * without waiting for the next round (see docs/health.md, "Event-driven
 * checks"). A watch never replaces the runs: rounds still run every check.
 *
 * A local error is anycheck's own failure, not the service's: the run could
 * not even start or go on because this host ran out of something (file
 * descriptors, memory, processes). The supervisor keeps the service's state
 * through such rounds instead of counting them as failures, so running out
 * of file descriptors never withdraws a healthy service.
 */
#ifndef ANYCHECK_CHECK_H
#define ANYCHECK_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct config_parser;
struct loop;
struct check;

enum check_result {
	CHECK_RESULT_PASS,
	CHECK_RESULT_FAIL,
	CHECK_RESULT_TIMEOUT,
	/* The check as configured cannot run (no such command, a path that
	 * cannot be looked at): counted as a failure of the service. */
	CHECK_RESULT_ERROR,
	/* anycheck could not run the check (out of file descriptors, memory,
	 * processes): not the service's fault; the round does not count. */
	CHECK_RESULT_LOCAL_ERROR,
	CHECK_RESULT_COUNT,
};

/* Short name ("pass", "fail", "timeout", "error", "local-error") and a
 * description. */
const char *check_result_name(enum check_result result);
const char *check_result_description(enum check_result result);

/* What a local error ran out of; counted per cause by the supervisor. */
enum check_local_cause {
	CHECK_LOCAL_FILE_DESCRIPTORS,   /* EMFILE, ENFILE */
	CHECK_LOCAL_MEMORY,             /* ENOMEM, ENOBUFS, libcurl OOM */
	CHECK_LOCAL_PROCESSES,          /* EAGAIN from fork/clone */
	CHECK_LOCAL_OTHER,              /* any other failure of our own */
	CHECK_LOCAL_CAUSE_COUNT,
};

/* "file-descriptors", "memory", "processes", "other". */
const char *check_local_cause_name(enum check_local_cause cause);
/* The cause an errno value stands for (CHECK_LOCAL_OTHER when none). */
enum check_local_cause check_local_cause_from_errno(int errnum);
/* Whether errnum means this host ran out of a resource (EMFILE, ENFILE,
 * ENOMEM, ENOBUFS, EAGAIN): a failure to report as a local error wherever
 * it appears, also where other errno values are the service's fault. */
bool check_errno_is_local(int errnum);

#define CHECK_DETAIL_MAX 256

/* What every check type needs from its surroundings: the loop, and lazily
 * created shared engines (libcurl's multi handle lives in http_engine). */
struct check_environment {
	struct loop *loop;
	void *http_engine;      /* owned by check_http.c */
	void *exec_sweeper;     /* owned by check_exec.c: orphans to end */
	void *address_engine;   /* owned by check_address.c: rtnetlink */
};
/* Release the shared engines once every check is freed. */
void check_environment_cleanup(struct check_environment *environment);

typedef void (*check_done_callback)(struct check *check,
    enum check_result result, const char *detail, uint64_t duration_ns,
    void *arg);

/* What a watch reports (check_event): result CHECK_RESULT_FAIL when a
 * failure became certain, CHECK_RESULT_PASS when it is over. */
typedef void (*check_event_callback)(struct check *check,
    enum check_result result, const char *detail, void *arg);

/* A runtime check: one per configured check of a running service. */
struct check {
	const struct check_config *config;
	struct check_environment *environment;
	check_done_callback on_done;
	void *on_done_arg;
	bool running;
	uint64_t started_ns;    /* loop_clock_now_ns at check_start */
	/* What the last run ran out of, when it ended in a local error. */
	enum check_local_cause local_cause;
	/* check.c arms this for config->timeout on start; when it fires it
	 * calls ops->cancel and then check_done(CHECK_RESULT_TIMEOUT). */
	struct loop_timer timeout_timer;
	void *state;            /* type-specific runtime state */
	/* Between check_watch and check_unwatch: where events go (NULL: not
	 * watched), and the type's watch state (a pidfd, a registration). */
	check_event_callback on_event;
	void *on_event_arg;
	void *watch;
};

struct check_ops {
	const char *type;
	/* Fill config->data and config->description from the JSON object;
	 * report problems through the parser and return -1. The common keys
	 * "type", "timeout" and "scope" are handled by the caller (and must
	 * be in the type's table of allowed keys); parse must reject any
	 * other key it does not know. Read values through the
	 * config_json.h getters (they record them for reloads). */
	int (*parse)(struct check_config *config, json_t *object,
	    struct config_parser *parser);
	/* Begin a run. Must end, now or later, in exactly one check_done().
	 * Returns 0; on an immediate failure it calls check_done itself. */
	void (*start)(struct check *check);
	/* Abort a running run without calling check_done; release resources
	 * (kill and reap children, close sockets, remove curl handles). */
	void (*cancel)(struct check *check);
	void (*free_config)(void *data);
	/* File descriptors one run holds at most while it runs (limits.c
	 * adds them up to warn when the open-file limit is too low). */
	unsigned fds_per_run;
	/* Optional: the detail of a run that reached its timeout, written
	 * just before cancel releases the run, for a type that can say more
	 * than the default "no answer within 2 s" ("timeout after 2 tries"). */
	void (*timeout_detail)(const struct check *check, char *detail,
	    size_t size);
	/* Optional (NULL for types that only run): watch between runs and
	 * report through check_event() what becomes certain at once.
	 * watch_start is called when a service's checks are built, before
	 * the first run, and watch_stop when they go; runs may add to what
	 * is watched (the pid a pidfile names). watch_start returns 0, or -1
	 * when it cannot watch (it logs why; runs go on without it). */
	int (*watch_start)(struct check *check);
	void (*watch_stop)(struct check *check);
	/* The default of the common key "immediate": a failure of this type
	 * is certain (one failed run or one failure event is enough). */
	bool immediate_default;
	/* No "equal": parse reads through the config_json.c getters, which
	 * record every value into the service's canonical form, and reloads
	 * compare that (config_diff.c). A value parse reads another way must
	 * be recorded with config_canonical_set. */
};

/* "local" or "global". */
const char *check_scope_name(enum check_scope scope);

const struct check_ops *check_ops_find(const char *type);
/* "address, exec, file, http, listen, process, tcp": for error messages. */
const char *check_type_names(void);

void check_init(struct check *check, const struct check_config *config,
    struct check_environment *environment, check_done_callback on_done,
    void *on_done_arg);
/* Start a run unless one is running (returns -1 then, nothing started). */
int check_start(struct check *check);
/* Cancel a running run, if any; on_done is not called. */
void check_cancel(struct check *check);
/* The single completion point of every run: stops the timeout, computes the
 * duration and calls on_done. Called by the check types. */
void check_done(struct check *check, enum check_result result,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* check_done with CHECK_RESULT_LOCAL_ERROR, recording what ran out. */
void check_done_local(struct check *check, enum check_local_cause cause,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern const struct check_ops check_dns_ops;
/* Watch the check between runs, if its type can (ops->watch_start):
 * events go to on_event(check, result, detail, arg). */
void check_watch(struct check *check, check_event_callback on_event,
    void *arg);
/* Stop watching (releases what the watch holds); safe when not watched. */
void check_unwatch(struct check *check);
/* The single reporting point of a watch: CHECK_RESULT_FAIL (certain
 * failure) or CHECK_RESULT_PASS (over again), with a detail for the log.
 * Does nothing when the check is not watched. */
void check_event(struct check *check, enum check_result result,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern const struct check_ops check_address_ops;
extern const struct check_ops check_exec_ops;
extern const struct check_ops check_tcp_ops;
extern const struct check_ops check_http_ops;
extern const struct check_ops check_file_ops;
extern const struct check_ops check_listen_ops;
extern const struct check_ops check_process_ops;

#endif
