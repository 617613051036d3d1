/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the daemon core with the ExaBGP backend, against a fake ExaBGP
 *
 * The daemon runs on a virtual clock with its ExaBGP pipes replaced by two
 * pipes the test holds: what anycheck-exabgp would write to ExaBGP is read
 * back line by line, and the test can answer "done" like ExaBGP does. File
 * checks make every service's health a file the test creates or removes.
 * Every assertion is on the lines ExaBGP would receive.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "exabgp_speaker.h"
#include "log.h"
#include "loop.h"
#include "virtual_clock.h"
#include "unit_support.h"

#define OUTPUT_MAX (16 << 20)

static struct {
	char dir[64];
	char path[128];         /* the config file */
	char up[4][128];        /* one health file per service */
	char state[128];        /* anycheck-exabgp.routes */
	char state_copy[128];
	struct loop *loop;
	struct virtual_clock clock;
	struct daemon daemon;
	bool started;
	int to_exabgp[2];       /* [0]: what the test reads */
	int from_exabgp[2];     /* [1]: what the test writes */
	char output[OUTPUT_MAX];
	size_t output_length;
	size_t consumed;        /* lines taken by next_line */
} world;

static void __attribute__((format(printf, 1, 2)))
write_config(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_write_filev(world.path, fmt, ap);
	va_end(ap);
}

/* The state file's name has a hash in it: find it by its pattern. */
static void
find_state_file(void)
{
	char command[256];
	FILE *pipe;

	snprintf(command, sizeof(command), "ls %s/anycheck-exabgp.*.routes",
	    world.dir);
	pipe = popen(command, "r");
	ck_assert_ptr_nonnull(pipe);
	ck_assert_ptr_nonnull(fgets(world.state, sizeof(world.state), pipe));
	world.state[strcspn(world.state, "\n")] = '\0';
	pclose(pipe);
}

static void
remove_state_files(void)
{
	char command[256];

	snprintf(command, sizeof(command), "rm -f %s/anycheck-exabgp.*.routes",
	    world.dir);
	ck_assert_int_eq(system(command), 0);
}

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	snprintf(world.dir, sizeof(world.dir), "/tmp/anycheck-bexa-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(world.dir));
	snprintf(world.path, sizeof(world.path), "%s/anycheck.json", world.dir);
	for (int i = 0; i < 4; i++)
		snprintf(world.up[i], sizeof(world.up[i]), "%s/up%d", world.dir,
		    i);
	snprintf(world.state_copy, sizeof(world.state_copy), "%s/copy",
	    world.dir);
	ck_assert_int_eq(pipe2(world.to_exabgp, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(pipe2(world.from_exabgp, O_CLOEXEC), 0);
	world.loop = loop_new();
	ck_assert_ptr_nonnull(world.loop);
	virtual_clock_attach(&world.clock, world.loop);
	log_init("test", LOG_LEVEL_INFO, false);
}

static void
teardown(void)
{
	if (world.started)
		daemon_cleanup(&world.daemon);
	loop_free(world.loop);
	close(world.to_exabgp[0]);
	close(world.from_exabgp[1]);
	for (int i = 0; i < 4; i++)
		unlink(world.up[i]);
	unlink(world.path);
	unlink(world.state_copy);
	remove_state_files();
	rmdir(world.dir);
}

/* Start the daemon on the config file as written. */
static void
start(void)
{
	struct config_errors errors;
	struct config *config = NULL;

	config_errors_init(&errors);
	if (config_load(world.path, &config, &errors) != 0) {
		config_errors_log(&errors);
		ck_abort_msg("config did not load");
	}
	config_errors_clear(&errors);
	/* The state file lives in the test's directory, never in
	 * /var/lib/anycheck. */
	free(config->state_directory);
	config->state_directory = xstrdup(world.dir);
	daemon_defaults(&world.daemon, "test");
	world.daemon.exabgp_input_fd = world.from_exabgp[0];
	world.daemon.exabgp_output_fd = world.to_exabgp[1];
	ck_assert_int_eq(daemon_init(&world.daemon, world.loop, config,
	    world.path, &backend_exabgp_ops), 0);
	world.started = true;
}

/* Read whatever the daemon wrote to "ExaBGP" so far. */
static void
drain_output(void)
{
	for (;;) {
		ssize_t n = read(world.to_exabgp[0],
		    world.output + world.output_length,
		    OUTPUT_MAX - 1 - world.output_length);
		if (n <= 0)
			break;
		world.output_length += (size_t)n;
	}
	world.output[world.output_length] = '\0';
}

/* Advance without reading: ExaBGP is stalled. */
static void
advance_stalled_ms(uint64_t ms)
{
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    ms * NSEC_PER_MSEC), 0);
}

static void
advance_ms(uint64_t ms)
{
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    ms * NSEC_PER_MSEC), 0);
	drain_output();
}

/* Every line written since the last call, joined with '\n'. */
static char *
new_lines(void)
{
	char *text = xstrdup(world.output + world.consumed);

	world.consumed = world.output_length;
	return text;
}

/* Reload and wait (in real time: the file is loaded on a thread) for the
 * result; 0 when applied. */
static struct {
	bool done;
	struct daemon_reload_report report;
} reloaded;

static void
record_reload(void *arg, const struct daemon_reload_report *report)
{
	(void)arg;
	reloaded.done = true;
	reloaded.report = *report;
}

static int
reload(struct daemon_reload_report *report)
{
	static struct daemon_observer observer = {
		.reloaded = record_reload,
	};

	if (observer.next == NULL && world.daemon.observers != &observer)
		daemon_add_observer(&world.daemon, &observer);
	reloaded.done = false;
	daemon_reload(&world.daemon);
	for (int i = 0; i < 500 && !reloaded.done; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	ck_assert_msg(reloaded.done, "the reload did not end within 5 s");
	if (report != NULL)
		*report = reloaded.report;
	return reloaded.report.ok ? 0 : -1;
}

#define ONE_SERVICE \
	"{\"local_as\": 65001, \"services\": [{\"name\": \"web\", " \
	"\"prefixes\": [\"192.0.2.1/32\", \"2001:db8::1/128\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}], " \
	"\"rise\": 2, \"fall\": 2, \"interval\": 1, \"fast_interval\": 0.5, " \
	"\"hold_down\": 0%s}]}"

START_TEST(test_announce_once_then_withdraw)
{
	char *lines;

	write_config(ONE_SERVICE, world.up[0], "");
	test_touch(world.up[0]);
	start();
	/* One passing round: RISING, nothing said yet (not known). */
	advance_ms(10);
	lines = new_lines();
	ck_assert_str_eq(lines, "");
	free(lines);
	/* rise 2 at fast_interval 0.5 s: UP and announced, both prefixes. */
	advance_ms(600);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route 192.0.2.1/32 "
	    "next-hop self"), 1);
	ck_assert_int_eq(test_count_substring(lines, "announce route "
	    "2001:db8::1/128 next-hop self"), 1);
	ck_assert_int_eq(test_count_substring(lines, "\n"), 2);
	free(lines);
	/* A minute of healthy rounds sends nothing again. */
	advance_ms(60000);
	lines = new_lines();
	ck_assert_str_eq(lines, "");
	free(lines);
	/* Failing for fall rounds withdraws both, once. */
	unlink(world.up[0]);
	advance_ms(2500);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "withdraw route 192.0.2.1/32"),
	    1);
	ck_assert_int_eq(test_count_substring(lines,
	    "withdraw route 2001:db8::1/128"), 1);
	ck_assert_int_eq(test_count_substring(lines, "\n"), 2);
	free(lines);
	ck_assert_int_eq(service_state(supervisor_find(world.daemon.supervisor,
	    "web")), HEALTH_DOWN);
}
END_TEST

/* api.ack false: ExaBGP reads the commands and answers none. Once it has
 * read some and stayed silent for a whole turn, anycheck-exabgp says so,
 * once; an ExaBGP that answers is never warned about. */
START_TEST(test_silent_exabgp_is_warned_about_once)
{
	char log[64];
	const char *warning = "ExaBGP answered none of the";

	test_capture_log(log);
	write_config(ONE_SERVICE, world.up[0], "");
	test_touch(world.up[0]);
	start();
	advance_ms(15000);
	ck_assert_uint_eq(test_log_count(log, warning), 0);
	advance_ms(10000);
	ck_assert_uint_eq(test_log_count(log, warning), 1);
	advance_ms(60000);
	ck_assert_uint_eq(test_log_count(log, warning), 1);
	unlink(log);
}
END_TEST

START_TEST(test_acknowledging_exabgp_is_not_warned_about)
{
	char log[64];

	test_capture_log(log);
	write_config(ONE_SERVICE, world.up[0], "");
	test_touch(world.up[0]);
	start();
	advance_ms(1000);
	ck_assert_int_eq(write(world.from_exabgp[1], "done\ndone\n", 10), 10);
	advance_ms(60000);
	ck_assert_uint_eq(test_log_count(log, "ExaBGP answered none"), 0);
	unlink(log);
}
END_TEST

/* Failure scope: while only the global check (up1) fails the service is
 * DEGRADED and ExaBGP is told the last_resort attributes, once; with
 * another path-id than the UP set, the UP path is withdrawn (ExaBGP keeps
 * one route per path-id); a local failure then withdraws. */
START_TEST(test_degraded_announces_last_resort)
{
	char *lines;

	write_config("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", "
	    "\"path\": \"%s\"}, {\"type\": \"file\", \"path\": \"%s\", "
	    "\"scope\": \"global\"}], \"announce\": {\"med\": 100, "
	    "\"path_id\": 1}, \"last_resort\": {\"med\": 700, \"communities\": "
	    "[\"65000:666\"], \"path_id\": 2}, \"rise\": 2, \"fall\": 2, "
	    "\"interval\": 1, \"fast_interval\": 0.5, \"hold_down\": 0}]}",
	    world.up[0], world.up[1]);
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	start();
	advance_ms(1100);
	lines = new_lines();
	ck_assert_msg(test_count_substring(lines, "announce route 192.0.2.1/32 "
	    "next-hop self med 100 path-information 1\n") == 1, "%s", lines);
	free(lines);

	unlink(world.up[1]);
	advance_ms(2500);
	ck_assert_int_eq(service_state(supervisor_find(world.daemon.supervisor,
	    "web")), HEALTH_DEGRADED);
	lines = new_lines();
	ck_assert_msg(test_count_substring(lines, "announce route 192.0.2.1/32 "
	    "next-hop self med 700 community [65000:666] path-information 2\n")
	    == 1, "%s", lines);
	ck_assert_msg(test_count_substring(lines, "withdraw route 192.0.2.1/32 "
	    "next-hop self path-information 1\n") == 1, "%s", lines);
	ck_assert_int_eq(test_count_substring(lines, "\n"), 2);
	free(lines);
	/* A minute more of it sends nothing again. */
	advance_ms(60000);
	lines = new_lines();
	ck_assert_str_eq(lines, "");
	free(lines);

	unlink(world.up[0]);
	advance_ms(2500);
	ck_assert_int_eq(service_state(supervisor_find(world.daemon.supervisor,
	    "web")), HEALTH_DOWN);
	lines = new_lines();
	ck_assert_msg(test_count_substring(lines, "withdraw route 192.0.2.1/32 "
	    "next-hop self path-information 2\n") == 1, "%s", lines);
	ck_assert_int_eq(test_count_substring(lines, "announce"), 0);
	free(lines);
}
END_TEST

START_TEST(test_first_verdict_down_is_sent)
{
	char *lines;

	/* A restarted checker cannot know what ExaBGP still announces: a
	 * service found DOWN first is withdrawn explicitly. */
	write_config(ONE_SERVICE, world.up[0], "");
	start();
	advance_ms(10);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "withdraw route 192.0.2.1/32"),
	    1);
	ck_assert_int_eq(test_count_substring(lines, "announce"), 0);
	free(lines);
}
END_TEST

START_TEST(test_reload_moves_prefix_and_refuses_bad_files)
{
	char *lines;

	write_config(ONE_SERVICE, world.up[0], "");
	test_touch(world.up[0]);
	start();
	advance_ms(1000);
	free(new_lines());
	/* A bad file changes nothing and says so. */
	write_config("{\"services\": [{\"name\": \"web\", \"rise\": 0}]}");
	ck_assert_int_eq(reload(NULL), -1);
	advance_ms(5000);
	lines = new_lines();
	ck_assert_str_eq(lines, "");
	free(lines);
	/* The IPv6 prefix is replaced: its route is withdrawn, the new one
	 * announced, the unchanged one is announced again (the service
	 * changed, with its state kept). */
	write_config("{\"local_as\": 65001, \"services\": [{\"name\": \"web\", "
	    "\"prefixes\": [\"192.0.2.1/32\", \"2001:db8::2/128\"], "
	    "\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}], "
	    "\"rise\": 2, \"fall\": 2, \"interval\": 1, "
	    "\"fast_interval\": 0.5, \"hold_down\": 0}]}", world.up[0]);
	ck_assert_int_eq(reload(NULL), 0);
	advance_ms(10);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines,
	    "withdraw route 2001:db8::1/128"), 1);
	ck_assert_int_eq(test_count_substring(lines,
	    "announce route 2001:db8::2/128"), 1);
	ck_assert_int_eq(test_count_substring(lines, "withdraw route 192.0.2.1/32"),
	    0);
	free(lines);
	ck_assert_int_eq(service_state(supervisor_find(world.daemon.supervisor,
	    "web")), HEALTH_UP);
}
END_TEST

START_TEST(test_stop_drains_then_withdraws)
{
	char *lines;

	write_config(ONE_SERVICE, world.up[0],
	    ", \"drain_on_exit\": true, \"drain\": {\"seconds\": 4}");
	test_touch(world.up[0]);
	start();
	advance_ms(1000);
	free(new_lines());
	daemon_stop(&world.daemon, "test", false);
	/* A reload while stopping is refused before the file is read. */
	write_config("not json");
	ck_assert_int_eq(reload(NULL), -1);
	advance_ms(10);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route 192.0.2.1/32"),
	    1);
	ck_assert_int_eq(test_count_substring(lines, "65535:0"), 2);
	ck_assert_int_eq(test_count_substring(lines, "withdraw"), 0);
	free(lines);
	advance_ms(3900);
	lines = new_lines();
	ck_assert_str_eq(lines, "");
	free(lines);
	advance_ms(200);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "withdraw route"), 2);
	free(lines);
}
END_TEST

START_TEST(test_exabgp_shutdown_stops_at_once)
{
	char *lines;

	write_config(ONE_SERVICE, world.up[0],
	    ", \"drain_on_exit\": true, \"drain\": {\"seconds\": 30}");
	test_touch(world.up[0]);
	start();
	advance_ms(1000);
	free(new_lines());
	/* ExaBGP going away stops without draining. */
	ck_assert_int_eq(write(world.from_exabgp[1], "shutdown\n", 9), 9);
	advance_ms(10);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "withdraw route"), 2);
	ck_assert_int_eq(test_count_substring(lines, "65535:0"), 0);
	free(lines);
	ck_assert(world.daemon.stopping);
}
END_TEST

/* A process check: the service's process killed is a withdraw written at
 * once, in the same instant of (virtual) time, fall 2 or not; a new process
 * in the pidfile announces again after rise. */
START_TEST(test_process_killed_withdraws_at_once)
{
	char pidfile[160], *lines;
	pid_t pid;
	uint64_t killed_at;

	snprintf(pidfile, sizeof(pidfile), "%s/service.pid", world.dir);
	pid = test_spawn_sleeper(pidfile);
	write_config("{\"local_as\": 65001, \"services\": [{\"name\": "
	    "\"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": "
	    "[{\"type\": \"process\", \"pidfile\": \"%s\"}], \"rise\": 2, "
	    "\"fall\": 2, \"interval\": 1, \"fast_interval\": 0.5, "
	    "\"hold_down\": 0}]}", pidfile);
	start();
	advance_ms(1000);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route "
	    "192.0.2.1/32"), 1);
	free(lines);
	advance_ms(300);
	killed_at = loop_now_ns(world.loop);
	test_kill_and_wait(pid);
	ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	drain_output();
	ck_assert_uint_eq(loop_now_ns(world.loop), killed_at);
	lines = new_lines();
	ck_assert_str_eq(lines, "withdraw route 192.0.2.1/32 next-hop self\n");
	free(lines);
	/* Restarted: announced again after rise rounds. */
	pid = test_spawn_sleeper(pidfile);
	advance_ms(2000);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route "
	    "192.0.2.1/32"), 1);
	free(lines);
	test_kill_and_wait(pid);
	advance_ms(10);
}
END_TEST

#define SVC "{\"name\": \"web\", \"prefixes\": [\"192.0.2.1/32\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}]}"

/* Top-level keys: restart-only ones are named in the reload's summary
 * (and keep saying so until the value is back to the one in use); live
 * ones are applied. */
START_TEST(test_reload_top_level_keys)
{
	struct daemon_reload_report report;

	write_config("{\"control\": {\"socket\": \"/run/a.sock\"}, "
	    "\"bird\": {\"verify_interval\": 1}, \"services\": [" SVC "]}",
	    world.up[0]);
	start();
	write_config("{\"control\": {\"socket\": \"/run/b.sock\"}, "
	    "\"bird\": {\"verify_interval\": 2}, \"services\": [" SVC "]}",
	    world.up[0]);
	ck_assert_int_eq(reload(&report), 0);
	ck_assert(report.ok);
	ck_assert_uint_eq(report.restart_count, 1);
	ck_assert_str_eq(report.restart[0], "control.socket");
	ck_assert_uint_eq(report.applied_count, 1);
	ck_assert_str_eq(report.applied[0], "bird.verify_interval");
	ck_assert_ptr_nonnull(strstr(report.summary, "; applied "
	    "bird.verify_interval; control.socket change only on restart"));
	/* The same file again: verify_interval is in use now, the socket
	 * still is not. */
	ck_assert_int_eq(reload(&report), 0);
	ck_assert_uint_eq(report.applied_count, 0);
	ck_assert_uint_eq(report.restart_count, 1);
	/* Back to the value in use: nothing to say. */
	write_config("{\"control\": {\"socket\": \"/run/a.sock\"}, "
	    "\"bird\": {\"verify_interval\": 2}, \"services\": [" SVC "]}",
	    world.up[0]);
	ck_assert_int_eq(reload(&report), 0);
	ck_assert_uint_eq(report.restart_count, 0);
	ck_assert_uint_eq(report.applied_count, 0);
	ck_assert_ptr_null(strstr(report.summary, "restart"));
}
END_TEST

/* The last line ExaBGP got for prefix (" PREFIX " in it), or NULL. */
static char *
last_line_for(const char *text, const char *prefix)
{
	char needle[128];
	const char *found = NULL, *end;

	snprintf(needle, sizeof(needle), " %s ", prefix);
	for (const char *p = strstr(text, needle); p != NULL;
	    p = strstr(p + 1, needle))
		found = p;
	if (found == NULL)
		return NULL;
	while (found > text && found[-1] != '\n')
		found--;
	end = strchr(found, '\n');
	return strndup(found, (size_t)(end - found));
}

#define TWO_SERVICES_A \
	"{\"name\": \"a\", \"prefixes\": [%s], \"checks\": [{\"type\": " \
	"\"file\", \"path\": \"%s\"}], \"rise\": 1, \"interval\": 1, " \
	"\"announce\": {\"med\": 10}%s}"
#define TWO_SERVICES_B \
	"{\"name\": \"b\", \"prefixes\": [%s], \"checks\": [{\"type\": " \
	"\"file\", \"path\": \"%s\"}], \"rise\": 1, \"interval\": 1, " \
	"\"announce\": {\"med\": 20}}"

/* Write a config of services a and b (in that order, or b first). */
static void
write_two(bool b_first, const char *a_prefixes, const char *b_prefixes,
    const char *a_extra)
{
	char a[1024], b[1024];

	snprintf(a, sizeof(a), TWO_SERVICES_A, a_prefixes, world.up[0],
	    a_extra);
	snprintf(b, sizeof(b), TWO_SERVICES_B, b_prefixes, world.up[1]);
	write_config("{\"services\": [%s, %s]}", b_first ? b : a,
	    b_first ? a : b);
}

/* A reload that moves a prefix from one UP service to another never
 * withdraws it, whatever the order of the services in the file: it is
 * announced again with its new owner's attributes (issue: the old owner's
 * "lost" prefixes were withdrawn after the new owner announced them). */
static void
check_moved_prefix(bool b_first, bool remove_a)
{
	char *lines, *last;

	test_touch(world.up[0]);
	test_touch(world.up[1]);
	write_two(b_first, "\"192.0.2.1/32\", \"192.0.2.2/32\"",
	    "\"192.0.2.3/32\"", "");
	start();
	advance_ms(1000);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route"), 3);
	free(lines);
	if (remove_a)
		write_config("{\"services\": [" TWO_SERVICES_B "]}",
		    "\"192.0.2.1/32\", \"192.0.2.2/32\", \"192.0.2.3/32\"",
		    world.up[1]);
	else
		write_two(!b_first, "\"192.0.2.1/32\"",
		    "\"192.0.2.2/32\", \"192.0.2.3/32\"", "");
	ck_assert_int_eq(reload(NULL), 0);
	advance_ms(3000);
	lines = new_lines();
	ck_assert_msg(test_count_substring(lines, "withdraw") == 0,
	    "withdrawn after the reload: %s", lines);
	last = last_line_for(lines, "192.0.2.2/32");
	ck_assert_ptr_nonnull(last);
	ck_assert_msg(strstr(last, "announce") != NULL &&
	    strstr(last, "med 20") != NULL, "last line: %s", last);
	free(last);
	if (remove_a) {
		last = last_line_for(lines, "192.0.2.1/32");
		ck_assert_ptr_nonnull(last);
		ck_assert_ptr_nonnull(strstr(last, "med 20"));
		free(last);
	}
	free(lines);
}

START_TEST(test_moved_prefix_a_first)
{
	check_moved_prefix(false, false);
}
END_TEST

START_TEST(test_moved_prefix_b_first)
{
	check_moved_prefix(true, false);
}
END_TEST

START_TEST(test_moved_prefix_old_owner_removed)
{
	check_moved_prefix(false, true);
}
END_TEST

/* Many services x 40 prefixes: far more than ExaBGP's pipe and the
 * speaker's high-water mark hold. */
#define MANY_SERVICES 100
#define MANY_PREFIXES 40

static void
write_many(void)
{
	FILE *file = fopen(world.path, "w");

	ck_assert_ptr_nonnull(file);
	fprintf(file, "{\"services\": [");
	for (int s = 0; s < MANY_SERVICES; s++) {
		fprintf(file, "%s{\"name\": \"s%d\", \"prefixes\": [",
		    s ? ", " : "", s);
		for (int p = 0; p < MANY_PREFIXES; p++)
			fprintf(file, "%s\"2001:db8:%x::%x/128\"", p ? ", " : "",
			    s + 1, p + 1);
		fprintf(file, "], \"checks\": [{\"type\": \"file\", "
		    "\"path\": \"%s\"}], \"rise\": 1, \"fall\": 1, "
		    "\"interval\": 0.1, \"hold_down\": 0}",
		    world.up[s % 2]);
	}
	fprintf(file, "]}");
	ck_assert_int_eq(fclose(file), 0);
}

/* Every route's last line in text is what want says: announce when
 * announced[s], else withdraw. */
static void
assert_final_state(const char *text, const bool *announced)
{
	char prefix[64];

	for (int s = 0; s < MANY_SERVICES; s++)
		for (int p = 0; p < MANY_PREFIXES; p++) {
			snprintf(prefix, sizeof(prefix), "2001:db8:%x::%x/128",
			    s + 1, p + 1);
			char *last = last_line_for(text, prefix);
			ck_assert_msg(last != NULL, "nothing for %s", prefix);
			ck_assert_msg(strncmp(last, announced[s] ?
			    "announce" : "withdraw", 8) == 0, "%s: last line "
			    "%s", prefix, last);
			free(last);
		}
}

START_TEST(test_stalled_exabgp_gets_every_exit_withdraw)
{
	bool announced[MANY_SERVICES];

	log_set_level(LOG_LEVEL_WARNING);
	write_many();
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	start();
	/* ExaBGP reads nothing while every service comes UP and half of
	 * them flap: the backlog is 4 000 routes' worth. */
	advance_stalled_ms(500);
	for (int flap = 0; flap < 5; flap++) {
		unlink(world.up[1]);
		advance_stalled_ms(300);
		test_touch(world.up[1]);
		advance_stalled_ms(300);
	}
	ck_assert_uint_gt(backend_exabgp_ops.undelivered(
	    world.daemon.backend), 1000);
	/* The exit, still stalled: nothing is lost, ExaBGP gets every
	 * withdraw once it reads again. */
	daemon_stop(&world.daemon, "test", true);
	advance_stalled_ms(1000);
	for (int i = 0; i < 2000 && backend_exabgp_ops.undelivered(
	    world.daemon.backend) > 0; i++)
		advance_ms(10);
	ck_assert_uint_eq(backend_exabgp_ops.undelivered(world.daemon.backend),
	    0);
	memset(announced, 0, sizeof(announced));
	assert_final_state(world.output, announced);
}
END_TEST

START_TEST(test_slow_reader_converges)
{
	bool announced[MANY_SERVICES];
	char buffer[4096];

	log_set_level(LOG_LEVEL_WARNING);
	write_many();
	test_touch(world.up[0]);
	test_touch(world.up[1]);
	start();
	/* ExaBGP reads 4 KiB every 10 ms (400 KiB/s) while half of the
	 * services flap every 200 ms, so the changes come faster than it
	 * reads: the backlog must stay bounded by the route count and
	 * drain once the flapping stops. */
	for (int tick = 0; tick < 300; tick++) {
		if (tick < 200 && tick % 20 == 0)
			unlink(world.up[1]);
		else if (tick < 200 && tick % 20 == 10)
			test_touch(world.up[1]);
		advance_stalled_ms(10);
		ssize_t n = read(world.to_exabgp[0], buffer, sizeof(buffer));
		if (n > 0) {
			ck_assert_uint_lt(world.output_length + (size_t)n,
			    OUTPUT_MAX);
			memcpy(world.output + world.output_length, buffer,
			    (size_t)n);
			world.output_length += (size_t)n;
			world.output[world.output_length] = '\0';
		}
		/* At most every route once, plus what sits in the pipe's
		 * buffer below the high-water mark. */
		ck_assert_uint_le(backend_exabgp_ops.undelivered(
		    world.daemon.backend), MANY_SERVICES * MANY_PREFIXES +
		    EXABGP_SPEAKER_HIGH_WATER / 40);
	}
	/* Then at full speed: converged, every route as its service is. */
	for (int i = 0; i < 1000 && backend_exabgp_ops.undelivered(
	    world.daemon.backend) > 0; i++)
		advance_ms(10);
	ck_assert_uint_eq(backend_exabgp_ops.undelivered(world.daemon.backend),
	    0);
	for (int s = 0; s < MANY_SERVICES; s++)
		announced[s] = true;
	assert_final_state(world.output, announced);
}
END_TEST

/* A reload never stalls the checks or a withdraw, however long the file
 * takes to load: here the config is a FIFO nobody writes yet, so the load
 * cannot finish, and meanwhile a failed service is withdrawn on time. */
START_TEST(test_reload_never_stalls_the_loop)
{
	struct daemon_reload_report report;
	char text[2048], *lines;
	int fd;

	write_config(ONE_SERVICE, world.up[0], "");
	test_touch(world.up[0]);
	start();
	advance_ms(1000);
	free(new_lines());
	snprintf(text, sizeof(text), ONE_SERVICE, world.up[0],
	    ", \"announce\": {\"med\": 7}");
	ck_assert_int_eq(unlink(world.path), 0);
	ck_assert_int_eq(mkfifo(world.path, 0600), 0);
	daemon_reload(&world.daemon);
	ck_assert(daemon_reloading(&world.daemon));
	/* The service fails while the reload is loading: withdrawn after
	 * fall rounds, as without a reload. */
	unlink(world.up[0]);
	advance_ms(2500);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "withdraw route"), 2);
	free(lines);
	ck_assert(daemon_reloading(&world.daemon));
	/* A second request meanwhile is run again afterwards. */
	daemon_reload(&world.daemon);
	/* The file arrives: the reload ends and is applied. */
	test_touch(world.up[0]);
	fd = open(world.path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	reloaded.done = false;
	{
		static struct daemon_observer observer = {
			.reloaded = record_reload,
		};
		daemon_add_observer(&world.daemon, &observer);
	}
	for (int i = 0; i < 500 && !reloaded.done; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	ck_assert(reloaded.done);
	report = reloaded.report;
	ck_assert(report.ok);
	ck_assert_uint_eq(report.services.changed, 1);
	/* The second load opens the FIFO again: feed it the same file. */
	ck_assert(daemon_reloading(&world.daemon));
	reloaded.done = false;
	fd = open(world.path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	for (int i = 0; i < 500 && !reloaded.done; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	ck_assert(reloaded.done);
	ck_assert(reloaded.report.ok);
	ck_assert_uint_eq(reloaded.report.services.unchanged, 1);
	ck_assert(!daemon_reloading(&world.daemon));
}
END_TEST

static void
copy_file(const char *from, const char *to)
{
	char buffer[65536];
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	size_t n;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0)
		ck_assert_uint_eq(fwrite(buffer, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

/* A crash after the config was edited: the service removed from the file
 * never got a reload, and the new process must withdraw its routes at once
 * (from the state file written before they were announced), without a blip
 * for the service it still has. */
START_TEST(test_crash_after_edit_withdraws_removed_routes)
{
	char *lines;

	test_touch(world.up[0]);
	test_touch(world.up[1]);
	write_two(false, "\"192.0.2.1/32\"", "\"192.0.2.3/32\"", "");
	start();
	advance_ms(1000);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route"), 2);
	free(lines);
	/* kill -9 now: what is on disk is what the announce left. */
	find_state_file();
	copy_file(world.state, world.state_copy);
	daemon_cleanup(&world.daemon);
	world.started = false;
	copy_file(world.state_copy, world.state);

	/* The operator removed "b" from the file; ExaBGP restarts us. */
	write_config("{\"services\": [" TWO_SERVICES_A "]}",
	    "\"192.0.2.1/32\"", world.up[0], "");
	drain_output();
	world.consumed = world.output_length;
	/* Before any check has run. */
	start();
	drain_output();
	lines = new_lines();
	ck_assert_str_eq(lines, "withdraw route 192.0.2.3/32 next-hop self\n");
	free(lines);
	/* "a" is decided by its own first round, not withdrawn first. */
	advance_ms(1000);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "withdraw"), 0);
	ck_assert_int_eq(test_count_substring(lines, "announce route 192.0.2.1/32"),
	    1);
	free(lines);
}
END_TEST

/* Every part the daemon core attaches (control socket, metrics textfile,
 * hooks, systemd notifier) observes it; the cleanup frees them one after
 * the other, and none may touch another's freed observer (ASan found one
 * doing so at the exit of the chaos soak). */
START_TEST(test_cleanup_with_every_part_attached)
{
	char *lines;

	write_config("{\"control\": {\"socket\": \"%s/ctl.sock\"}, "
	    "\"metrics\": {\"textfile\": \"%s/anycheck.prom\"}, "
	    "\"hooks\": {\"on_change\": [\"true\"]}, \"services\": ["
	    SVC "]}", world.dir, world.dir, world.up[0]);
	test_touch(world.up[0]);
	start();
	ck_assert_ptr_nonnull(world.daemon.control);
	ck_assert_ptr_nonnull(world.daemon.metrics);
	ck_assert_ptr_nonnull(world.daemon.hooks);
	advance_ms(3000);
	lines = new_lines();
	ck_assert_int_eq(test_count_substring(lines, "announce route"), 1);
	free(lines);
	daemon_stop(&world.daemon, "test", true);
	advance_ms(100);
	/* The teardown's daemon_cleanup is what this test is about. */
	daemon_cleanup(&world.daemon);
	world.started = false;
	char path[256];
	snprintf(path, sizeof(path), "%s/ctl.sock", world.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/anycheck.prom", world.dir);
	unlink(path);
}
END_TEST

/* An observer (what the control socket and metrics attach to) sees every
 * change the backend sees, and every reload with its outcome. */
static struct {
	int changes;
	int checks;
	int reloads_ok;
	int reloads_failed;
	int stopping;
} observed;

static void
observe_change(void *arg, struct service *service,
    const struct supervisor_change *change)
{
	(void)service;
	(void)change;
	ck_assert_ptr_eq(arg, &observed);
	observed.changes++;
}

static void
observe_check(void *arg, struct service *service,
    const struct supervisor_check_run *run)
{
	(void)arg;
	ck_assert_str_eq(service_name(service), "web");
	ck_assert_uint_eq(run->check_index, 0);
	ck_assert_int_eq(run->result, CHECK_RESULT_PASS);
	observed.checks++;
}

static void
observe_reload(void *arg, const struct daemon_reload_report *report)
{
	bool ok = report->ok;

	(void)arg;
	if (ok)
		observed.reloads_ok++;
	else
		observed.reloads_failed++;
}

static void
observe_stopping(void *arg)
{
	(void)arg;
	observed.stopping++;
}

START_TEST(test_observers)
{
	/* Static: the daemon still walks its observers in the teardown. */
	static struct daemon_observer observer = {
		.service_changed = observe_change,
		.check_done = observe_check,
		.reloaded = observe_reload,
		.stopping = observe_stopping,
		.arg = &observed,
	};

	write_config(ONE_SERVICE, world.up[0], "");
	test_touch(world.up[0]);
	start();
	daemon_add_observer(&world.daemon, &observer);
	advance_ms(1000);
	/* INIT -> RISING -> UP, after rounds at 0 and 0.5 s. */
	ck_assert_int_eq(observed.changes, 2);
	ck_assert_int_eq(observed.checks, 2);
	ck_assert_int_eq(service_check_last(supervisor_find(
	    world.daemon.supervisor, "web"), 0)->result, CHECK_RESULT_PASS);
	/* A round now, on request. */
	ck_assert_int_eq(supervisor_check_now(world.daemon.supervisor, "web"),
	    0);
	ck_assert_int_eq(supervisor_check_now(world.daemon.supervisor, "nope"),
	    -1);
	advance_ms(1);
	ck_assert_int_eq(observed.checks, 3);
	write_config("{\"services\": []");
	ck_assert_int_eq(reload(NULL), -1);
	write_config(ONE_SERVICE, world.up[0], "");
	ck_assert_int_eq(reload(NULL), 0);
	ck_assert_int_eq(observed.reloads_ok, 1);
	ck_assert_int_eq(observed.reloads_failed, 1);
	daemon_stop(&world.daemon, "test", false);
	daemon_stop(&world.daemon, "test again", false);
	ck_assert_int_eq(observed.stopping, 1);
	/* UP -> STOPPED. */
	ck_assert_int_eq(observed.changes, 3);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("backend_exabgp");
	TCase *tcase = tcase_create("backend_exabgp");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, test_announce_once_then_withdraw);
	tcase_add_test(tcase, test_degraded_announces_last_resort);
	tcase_add_test(tcase, test_first_verdict_down_is_sent);
	tcase_add_test(tcase, test_silent_exabgp_is_warned_about_once);
	tcase_add_test(tcase, test_acknowledging_exabgp_is_not_warned_about);
	tcase_add_test(tcase, test_reload_moves_prefix_and_refuses_bad_files);
	tcase_add_test(tcase, test_stop_drains_then_withdraws);
	tcase_add_test(tcase, test_exabgp_shutdown_stops_at_once);
	tcase_add_test(tcase, test_observers);
	tcase_add_test(tcase, test_cleanup_with_every_part_attached);
	tcase_add_test(tcase, test_reload_top_level_keys);
	tcase_add_test(tcase, test_reload_never_stalls_the_loop);
	tcase_add_test(tcase, test_crash_after_edit_withdraws_removed_routes);
	tcase_add_test(tcase, test_moved_prefix_a_first);
	tcase_add_test(tcase, test_moved_prefix_b_first);
	tcase_add_test(tcase, test_moved_prefix_old_owner_removed);
	tcase_add_test(tcase, test_stalled_exabgp_gets_every_exit_withdraw);
	tcase_add_test(tcase, test_slow_reader_converges);
	tcase_add_test(tcase, test_process_killed_withdraws_at_once);
	tcase_set_timeout(tcase, 60);
	suite_add_tcase(suite, tcase);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
