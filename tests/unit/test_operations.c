/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: operations: metrics, hooks and systemd notifications, end to end
 *
 * The daemon runs with the ExaBGP backend on a virtual clock, its ExaBGP
 * pipes held by the test (as in test_backend_exabgp.c), one service whose
 * health is a file. Each test asserts what an operator would see: the
 * exact /metrics text for a small state (and the same over HTTP and in the
 * textfile), the environment a hook gets, a hook that will not stop being
 * killed while the daemon goes on, and the datagrams systemd receives,
 * WATCHDOG=1 included, which stops while the backend is stalled.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "control_status.h"
#include "daemon.h"
#include "hooks.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "metrics_http.h"
#include "systemd_notify.h"
#include "virtual_clock.h"
#include "unit_support.h"

#define OUTPUT_MAX (1 << 20)

static struct {
	char dir[64];
	char path[128];         /* the config file */
	char up[128];           /* the health file */
	struct loop *loop;
	struct virtual_clock clock;
	struct daemon daemon;
	bool started;
	int to_exabgp[2];
	int from_exabgp[2];
	char output[OUTPUT_MAX];
	size_t output_length;
	int notify_fd;          /* systemd's end */
	char notify_path[108];
} world;

static void __attribute__((format(printf, 1, 2)))
write_config(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_write_filev(world.path, fmt, ap);
	va_end(ap);
}

static char *
read_file(const char *path)
{
	FILE *file = fopen(path, "re");
	char *text = xcalloc(1, OUTPUT_MAX);
	size_t n;

	if (file == NULL) {
		free(text);
		return NULL;
	}
	n = fread(text, 1, OUTPUT_MAX - 1, file);
	text[n] = '\0';
	fclose(file);
	return text;
}

static void
setup(void)
{
	memset(&world, 0, sizeof(world));
	world.notify_fd = -1;
	snprintf(world.dir, sizeof(world.dir), "/tmp/anycheck-ops-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(world.dir));
	snprintf(world.path, sizeof(world.path), "%s/anycheck.json", world.dir);
	snprintf(world.up, sizeof(world.up), "%s/up", world.dir);
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
	char command[128];

	if (world.started)
		daemon_cleanup(&world.daemon);
	loop_free(world.loop);
	close(world.to_exabgp[0]);
	close(world.from_exabgp[1]);
	if (world.notify_fd != -1)
		close(world.notify_fd);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	snprintf(command, sizeof(command), "rm -rf %s", world.dir);
	ck_assert_int_eq(system(command), 0);
}

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
	free(config->state_directory);
	config->state_directory = xstrdup(world.dir);
	daemon_defaults(&world.daemon, "anycheck-test");
	world.daemon.exabgp_input_fd = world.from_exabgp[0];
	world.daemon.exabgp_output_fd = world.to_exabgp[1];
	ck_assert_int_eq(daemon_init(&world.daemon, world.loop, config,
	    world.path, &backend_exabgp_ops), 0);
	world.started = true;
	ck_assert_ptr_nonnull(world.daemon.metrics);
	/* What varies from run to run is left out or fixed. */
	world.daemon.metrics->process_metrics = false;
	world.daemon.metrics->reload_timestamp = 1700000000.0;
}

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

static void
advance_ms(uint64_t ms)
{
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    ms * NSEC_PER_MSEC), 0);
	drain_output();
}

/* Run the loop in real time (children exiting, sockets) until done()
 * or about 5 s. */
static bool
run_until(bool (*done)(void))
{
	for (int i = 0; i < 500; i++) {
		if (done())
			return true;
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	}
	return done();
}

#define ONE_SERVICE \
	"{\"local_as\": 65001, %s \"services\": [{\"name\": \"web\", " \
	"\"prefixes\": [\"192.0.2.1/32\", \"2001:db8::1/128\"], " \
	"\"checks\": [{\"type\": \"file\", \"path\": \"%s\"}], " \
	"\"rise\": 2, \"fall\": 1, \"interval\": 1, \"fast_interval\": 0.5, " \
	"\"hold_down\": 0}]}"

/* Metrics. */

static const char expected_up[] =
    "# HELP anycheck_build_info anycheck's version and backend; always 1.\n"
    "# TYPE anycheck_build_info gauge\n"
    "anycheck_build_info{version=\"" ANYCHECK_VERSION "\",backend=\"exabgp\"} 1\n"
    "# HELP anycheck_service_state The service's health state: 1 for the state it is in, 0 for the others.\n"
    "# TYPE anycheck_service_state gauge\n"
    "anycheck_service_state{service=\"web\",state=\"init\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"rising\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"up\"} 1\n"
    "anycheck_service_state{service=\"web\",state=\"falling\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"degraded\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"down\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"draining\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"disabled\"} 0\n"
    "anycheck_service_state{service=\"web\",state=\"stopped\"} 0\n"
    "# HELP anycheck_service_announced 1 when anycheck wants the prefix announced (in any attribute set: up, drain, down, disabled or last_resort), 0 when withdrawn.\n"
    "# TYPE anycheck_service_announced gauge\n"
    "anycheck_service_announced{service=\"web\",prefix=\"192.0.2.1/32\"} 1\n"
    "anycheck_service_announced{service=\"web\",prefix=\"2001:db8::1/128\"} 1\n"
    "# HELP anycheck_service_maintenance 1 while the service is in maintenance, by source: its maintenance file, or an operator's request.\n"
    "# TYPE anycheck_service_maintenance gauge\n"
    "anycheck_service_maintenance{service=\"web\",source=\"file\"} 0\n"
    "anycheck_service_maintenance{service=\"web\",source=\"request\"} 0\n"
    "# HELP anycheck_drain_connections Established connections counted during the service's drain (only while it drains and a count succeeded).\n"
    "# TYPE anycheck_drain_connections gauge\n"
    "# HELP anycheck_service_transitions_total State transitions of the service, by old and new state.\n"
    "# TYPE anycheck_service_transitions_total counter\n"
    "anycheck_service_transitions_total{service=\"web\",from=\"init\",to=\"rising\"} 1\n"
    "anycheck_service_transitions_total{service=\"web\",from=\"rising\",to=\"up\"} 1\n"
    "# HELP anycheck_check_runs_total Check runs that ended, by result.\n"
    "# TYPE anycheck_check_runs_total counter\n"
    "anycheck_check_runs_total{service=\"web\",check=\"CHECK\",result=\"pass\"} 3\n"
    "anycheck_check_runs_total{service=\"web\",check=\"CHECK\",result=\"fail\"} 0\n"
    "anycheck_check_runs_total{service=\"web\",check=\"CHECK\",result=\"timeout\"} 0\n"
    "anycheck_check_runs_total{service=\"web\",check=\"CHECK\",result=\"error\"} 0\n"
    "anycheck_check_runs_total{service=\"web\",check=\"CHECK\",result=\"local-error\"} 0\n"
    "# HELP anycheck_check_duration_seconds How long check runs took.\n"
    "# TYPE anycheck_check_duration_seconds histogram\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.001\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.0025\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.005\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.01\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.025\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.05\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.1\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.25\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"0.5\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"1\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"2.5\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"5\"} 3\n"
    "anycheck_check_duration_seconds_bucket{service=\"web\",check=\"CHECK\",le=\"+Inf\"} 3\n"
    "anycheck_check_duration_seconds_sum{service=\"web\",check=\"CHECK\"} 0\n"
    "anycheck_check_duration_seconds_count{service=\"web\",check=\"CHECK\"} 3\n"
    "# HELP anycheck_backend_up 1 while the routing daemon is reachable: BIRD's control socket connected, ExaBGP's pipes open.\n"
    "# TYPE anycheck_backend_up gauge\n"
    "anycheck_backend_up{backend=\"exabgp\"} 1\n"
    "# HELP anycheck_backend_commands_sent_total Commands sent to the routing daemon.\n"
    "# TYPE anycheck_backend_commands_sent_total counter\n"
    "anycheck_backend_commands_sent_total{backend=\"exabgp\"} 2\n"
    "# HELP anycheck_backend_commands_total Commands the routing daemon answered (ok, error) or did not answer (failed: timeout, connection lost).\n"
    "# TYPE anycheck_backend_commands_total counter\n"
    "anycheck_backend_commands_total{backend=\"exabgp\",result=\"ok\"} 1\n"
    "anycheck_backend_commands_total{backend=\"exabgp\",result=\"error\"} 1\n"
    "anycheck_backend_commands_total{backend=\"exabgp\",result=\"failed\"} 0\n"
    "# HELP anycheck_local_errors_total Check runs anycheck could not do itself, by cause (they never move a service's state).\n"
    "# TYPE anycheck_local_errors_total counter\n"
    "anycheck_local_errors_total{cause=\"file-descriptors\"} 0\n"
    "anycheck_local_errors_total{cause=\"memory\"} 0\n"
    "anycheck_local_errors_total{cause=\"processes\"} 0\n"
    "anycheck_local_errors_total{cause=\"other\"} 0\n"
    "# HELP anycheck_reload_success 1 when the last reload succeeded (or none was asked for), 0 when it was refused.\n"
    "# TYPE anycheck_reload_success gauge\n"
    "anycheck_reload_success 1\n"
    "# HELP anycheck_reload_timestamp_seconds When the running configuration was loaded (start or last successful reload), Unix time.\n"
    "# TYPE anycheck_reload_timestamp_seconds gauge\n"
    "anycheck_reload_timestamp_seconds 1700000000.000\n";

/* The expected text with CHECK replaced by the check's description. */
static char *
expected_text(const char *check)
{
	char *text = xcalloc(1, sizeof(expected_up) * 4);
	const char *from = expected_up, *at;

	while ((at = strstr(from, "CHECK")) != NULL) {
		strncat(text, from, (size_t)(at - from));
		strcat(text, check);
		from = at + 5;
	}
	strcat(text, from);
	return text;
}

/* Two passing rounds: UP, both prefixes announced; ExaBGP answered one
 * "done" and one "error". The whole text, byte for byte. */
START_TEST(test_metrics_text)
{
	char check[256], *text, *expected;
	size_t length;

	write_config(ONE_SERVICE, "", world.up);
	test_touch(world.up);
	start();
	advance_ms(1500);       /* three rounds */
	ck_assert_int_eq(service_state(supervisor_find(
	    world.daemon.supervisor, "web")), HEALTH_UP);
	ck_assert_int_eq(write(world.from_exabgp[1], "done\nerror\n", 11), 11);
	advance_ms(10);
	snprintf(check, sizeof(check), "file %s", world.up);
	ck_assert_str_eq(service_check_config(supervisor_find(
	    world.daemon.supervisor, "web"), 0)->description, check);
	text = metrics_render_text(world.daemon.metrics, &length);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(length, strlen(text));
	expected = expected_text(check);
	if (strcmp(text, expected) != 0) {
		FILE *file = fopen("/tmp/anycheck-ops-metrics.txt", "w");
		fputs(text, file);
		fclose(file);
	}
	ck_assert_msg(strcmp(text, expected) == 0, "the text differs: see "
	    "/tmp/anycheck-ops-metrics.txt");
	free(text);
	free(expected);
}
END_TEST

/* Buckets hold values up to and including their bound; beyond the last,
 * +Inf; sum and count follow. */
START_TEST(test_histogram)
{
	struct metrics_histogram histogram;

	memset(&histogram, 0, sizeof(histogram));
	metrics_histogram_add(&histogram, 0);
	metrics_histogram_add(&histogram, 0.001);
	metrics_histogram_add(&histogram, 0.0011);
	metrics_histogram_add(&histogram, 0.3);
	metrics_histogram_add(&histogram, 5);
	metrics_histogram_add(&histogram, 60);
	ck_assert_uint_eq(histogram.buckets[0], 2);
	ck_assert_uint_eq(histogram.buckets[1], 1);
	ck_assert_uint_eq(histogram.buckets[8], 1);    /* le 0.5 */
	ck_assert_uint_eq(histogram.buckets[11], 1);   /* le 5 */
	ck_assert_uint_eq(histogram.buckets[METRICS_DURATION_BUCKETS], 1);
	ck_assert_uint_eq(histogram.count, 6);
	ck_assert_double_eq_tol(histogram.sum, 65.3021, 1e-9);
}
END_TEST

/* A failover as the metrics show it: DOWN, withdrawn, failing runs
 * counted, the transitions in order; a maintenance file: DISABLED, the
 * file as the source; a refused reload: reload_success 0. */
START_TEST(test_metrics_failover_and_maintenance)
{
	char *text, maintenance[160];
	size_t length;

	snprintf(maintenance, sizeof(maintenance), "%s/maintenance",
	    world.dir);
	write_config("{\"services\": [{\"name\": \"web\", \"prefixes\": "
	    "[\"192.0.2.1/32\"], \"checks\": [{\"type\": \"file\", \"path\": "
	    "\"%s\"}], \"rise\": 1, \"fall\": 1, \"interval\": 1, "
	    "\"hold_down\": 0, \"maintenance_file\": \"%s\", \"drain\": "
	    "{\"seconds\": 0}}]}", world.up, maintenance);
	test_touch(world.up);
	start();
	advance_ms(1000);
	unlink(world.up);
	advance_ms(1000);
	text = metrics_render_text(world.daemon.metrics, &length);
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_state{service="
	    "\"web\",state=\"down\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_announced{"
	    "service=\"web\",prefix=\"192.0.2.1/32\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "from=\"up\",to=\"down\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "result=\"fail\"} 1\n"));
	free(text);

	test_touch(maintenance);
	advance_ms(1000);
	text = metrics_render_text(world.daemon.metrics, &length);
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_state{service="
	    "\"web\",state=\"disabled\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_maintenance{"
	    "service=\"web\",source=\"file\"} 1\n"));
	free(text);

	/* A broken file: refused, and the gauge says so. */
	write_config("{\"services\": 7}");
	daemon_reload(&world.daemon);
	for (int i = 0; i < 500 && world.daemon.metrics->reload_ok; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	text = metrics_render_text(world.daemon.metrics, &length);
	ck_assert_ptr_nonnull(strstr(text, "anycheck_reload_success 0\n"));
	free(text);
}
END_TEST

/* An HTTP GET of the response of a listener on 127.0.0.1:port, read
 * while the loop runs (the server is on the same loop). */
static int http_fd = -1;
static char http_reply[OUTPUT_MAX];
static size_t http_length;

static bool
http_done(void)
{
	for (;;) {
		ssize_t n = read(http_fd, http_reply + http_length,
		    sizeof(http_reply) - 1 - http_length);
		if (n > 0) {
			http_length += (size_t)n;
			continue;
		}
		http_reply[http_length] = '\0';
		return n == 0;
	}
}

static void
http_get(int family, uint16_t port, const char *path)
{
	struct sockaddr_storage address;
	socklen_t length;
	char request[256];
	int n;

	memset(&address, 0, sizeof(address));
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons(port);
		length = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&address;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
		length = sizeof(*in);
	}
	http_fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(http_fd, -1);
	/* The listen backlog takes it before the loop runs. */
	ck_assert_int_eq(connect(http_fd, (struct sockaddr *)&address,
	    length), 0);
	n = snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\n\r\n",
	    path);
	ck_assert_int_eq(write(http_fd, request, (size_t)n), n);
	ck_assert_int_eq(fcntl(http_fd, F_SETFL, O_NONBLOCK), 0);
	http_length = 0;
	ck_assert(run_until(http_done));
	close(http_fd);
	http_fd = -1;
}

START_TEST(test_metrics_http)
{
	struct sockaddr_storage address;
	socklen_t length;
	char *body;
	uint16_t port;

	/* The listen address forms. */
	ck_assert_int_eq(metrics_listen_parse("127.0.0.1:9642", &address,
	    &length), 0);
	ck_assert_int_eq(address.ss_family, AF_INET);
	ck_assert_int_eq(metrics_listen_parse("[::1]:9642", &address,
	    &length), 0);
	ck_assert_int_eq(address.ss_family, AF_INET6);
	ck_assert_int_eq(metrics_listen_parse("::1:9642", &address, &length),
	    -1);
	ck_assert_int_eq(metrics_listen_parse("127.0.0.1:65536", &address,
	    &length), -1);
	ck_assert_int_eq(metrics_listen_parse("127.0.0.1", &address,
	    &length), -1);
	ck_assert_int_eq(metrics_listen_parse("localhost:9642", &address,
	    &length), -1);

	write_config(ONE_SERVICE, "\"metrics\": {\"listen\": "
	    "\"127.0.0.1:0\"},", world.up);
	test_touch(world.up);
	start();
	advance_ms(1500);
	ck_assert_ptr_nonnull(world.daemon.metrics->http);
	port = metrics_http_port(world.daemon.metrics->http);
	ck_assert_uint_ne(port, 0);
	http_get(AF_INET, port, "/metrics");
	ck_assert_msg(strncmp(http_reply, "HTTP/1.1 200", 12) == 0 ||
	    strncmp(http_reply, "HTTP/1.0 200", 12) == 0, "%s", http_reply);
	ck_assert_ptr_nonnull(strstr(http_reply, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	body = strstr(http_reply, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(strstr(body, "anycheck_service_state{service="
	    "\"web\",state=\"up\"} 1\n"));
	ck_assert_uint_eq(metrics_http_scrapes(world.daemon.metrics->http), 1);
	http_get(AF_INET, port, "/other");
	ck_assert_msg(strstr(http_reply, " 404 ") != NULL, "%s", http_reply);
	ck_assert_uint_eq(metrics_http_scrapes(world.daemon.metrics->http), 1);
}
END_TEST

START_TEST(test_metrics_http_ipv6)
{
	write_config(ONE_SERVICE, "\"metrics\": {\"listen\": \"[::1]:0\"},",
	    world.up);
	test_touch(world.up);
	start();
	if (world.daemon.metrics->http == NULL)
		return;         /* no IPv6 loopback here */
	http_get(AF_INET6, metrics_http_port(world.daemon.metrics->http),
	    "/metrics");
	ck_assert_ptr_nonnull(strstr(http_reply, "anycheck_build_info{"));
}
END_TEST

/* The textfile: written every textfile_interval, whole (written to a
 * temporary file and renamed), and once more at the exit. */
START_TEST(test_metrics_textfile)
{
	char config[256], textfile[160], *text;

	snprintf(textfile, sizeof(textfile), "%s/anycheck.prom", world.dir);
	snprintf(config, sizeof(config), "\"metrics\": {\"textfile\": \"%s\", "
	    "\"textfile_interval\": 2},", textfile);
	write_config(ONE_SERVICE, config, world.up);
	test_touch(world.up);
	start();
	advance_ms(900);
	ck_assert_ptr_null(read_file(textfile));
	advance_ms(200);        /* the first, 1 s after the start */
	text = read_file(textfile);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_state{"));
	free(text);
	ck_assert_uint_eq(world.daemon.metrics->textfile_writes, 1);
	advance_ms(2000);
	ck_assert_uint_eq(world.daemon.metrics->textfile_writes, 2);
	text = read_file(textfile);
	ck_assert_ptr_nonnull(strstr(text, "state=\"up\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "anycheck_reload_timestamp_seconds"
	    " 1700000000.000\n"));
	free(text);
	/* The exit: written when it begins, and once more at its end,
	 * when the services are gone (node_exporter then shows none). */
	daemon_stop(&world.daemon, "test", true);
	ck_assert_uint_eq(world.daemon.metrics->textfile_writes, 3);
	advance_ms(100);
	metrics_exit(world.daemon.metrics);
	ck_assert_uint_eq(world.daemon.metrics->textfile_writes, 4);
	text = read_file(textfile);
	ck_assert_ptr_null(strstr(text, "anycheck_service_state{"));
	ck_assert_ptr_nonnull(strstr(text, "anycheck_build_info{"));
	free(text);
}
END_TEST

/* Hooks. */

static struct hooks_counts hook_counts;
static unsigned long hook_target;

static bool
hooks_ended(void)
{
	hooks_get_counts(world.daemon.hooks, &hook_counts);
	return hook_counts.succeeded + hook_counts.failed +
	    hook_counts.timed_out >= hook_target;
}

/* A hook sees the change in its environment; the string form runs with
 * /bin/sh -c. */
START_TEST(test_hook_environment)
{
	char config[512], file[160], *text;

	snprintf(config, sizeof(config), "\"hooks\": {\"shell\": true, "
	    "\"on_change\": \"env | grep ^ANYCHECK_ | sort > "
	    "%s/hook.$ANYCHECK_NEW_STATE\"},", world.dir);
	write_config(ONE_SERVICE, config, world.up);
	test_touch(world.up);
	setenv("ANYCHECK_REASON", "from the parent, never seen", 1);
	start();
	advance_ms(1500);
	unsetenv("ANYCHECK_REASON");
	hook_target = 2;        /* INIT -> RISING, RISING -> UP */
	ck_assert(run_until(hooks_ended));
	ck_assert_uint_eq(hook_counts.succeeded, 2);
	snprintf(file, sizeof(file), "%s/hook.UP", world.dir);
	text = read_file(file);
	ck_assert_ptr_nonnull(text);
	{
		static const char expected[] =
		    "ANYCHECK_ANNOUNCED=1\n"
		    "ANYCHECK_NEW_STATE=UP\n"
		    "ANYCHECK_OLD_STATE=RISING\n"
		    "ANYCHECK_PREFIXES=192.0.2.1/32 2001:db8::1/128\n"
		    "ANYCHECK_PROGRAM=anycheck-test\n"
		    "ANYCHECK_REASON=1 of 1 checks passed\n"
		    "ANYCHECK_SERVICE=web\n"
		    "ANYCHECK_TIMESTAMP=";
		ck_assert_msg(strncmp(text, expected, sizeof(expected) - 1) ==
		    0, "%s", text);
		/* Unix seconds, then the end. */
		ck_assert_int_gt(atol(text + sizeof(expected) - 1),
		    1600000000L);
		ck_assert_ptr_null(strstr(text, "never seen"));
	}
	free(text);
}
END_TEST

static pid_t hook_group;      /* the first hook's sleep, in fact */

/* Running (not gone, not a zombie)? */
static bool
process_alive(pid_t pid)
{
	char path[64], *stat, *close_paren;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	stat = read_file(path);
	if (stat == NULL)
		return false;
	close_paren = strrchr(stat, ')');
	alive = close_paren != NULL && close_paren[2] != 'Z';
	free(stat);
	return alive;
}

/* Failure scope as an operator sees it: only the global check fails, the
 * service is DEGRADED: its own state label in the metrics, still
 * announced (with the last resort, which ExaBGP is told), a hook with
 * DEGRADED in its environment, the status naming the set and the scopes,
 * and systemd's status line counting it. */
START_TEST(test_degraded_as_operators_see_it)
{
	char config[512], db[160], file[160], summary[256], *text;
	const struct service *web;
	json_t *status, *checks;
	size_t length;

	snprintf(db, sizeof(db), "%s/db", world.dir);
	snprintf(config, sizeof(config), "\"hooks\": {\"shell\": true, "
	    "\"on_change\": \"env | grep ^ANYCHECK_ | sort > "
	    "%s/hook.$ANYCHECK_NEW_STATE\"},", world.dir);
	write_config("{\"local_as\": 65001, %s \"services\": [{\"name\": "
	    "\"web\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": ["
	    "{\"type\": \"file\", \"path\": \"%s\"}, {\"type\": \"file\", "
	    "\"path\": \"%s\", \"scope\": \"global\"}], \"announce\": "
	    "{\"med\": 100}, \"last_resort\": {\"med\": 700, \"communities\": "
	    "[\"65000:666\"]}, \"rise\": 1, \"fall\": 1, \"interval\": 1, "
	    "\"hold_down\": 0}]}", config, world.up, db);
	test_touch(world.up);
	test_touch(db);
	start();
	advance_ms(1000);
	web = supervisor_find(world.daemon.supervisor, "web");
	ck_assert_int_eq(service_state(web), HEALTH_UP);
	unlink(db);
	advance_ms(1000);
	ck_assert_int_eq(service_state(web), HEALTH_DEGRADED);

	text = metrics_render_text(world.daemon.metrics, &length);
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_state{service="
	    "\"web\",state=\"degraded\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "anycheck_service_announced{"
	    "service=\"web\",prefix=\"192.0.2.1/32\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "from=\"up\",to=\"degraded\"} "
	    "1\n"));
	free(text);
	ck_assert_msg(strstr(world.output, "announce route 192.0.2.1/32 "
	    "next-hop self med 700 community [65000:666]") != NULL, "%s",
	    world.output);

	status = control_status_service(&world.daemon, web, 0);
	ck_assert_str_eq(json_string_value(json_object_get(status, "state")),
	    "DEGRADED");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    status, "announcement"), "set")), "last_resort");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    status, "announcement"), "med")), 700);
	checks = json_object_get(status, "checks");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    checks, 0), "scope")), "local");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    checks, 1), "scope")), "global");
	ck_assert_msg(strncmp(json_string_value(json_object_get(status,
	    "reason")), "only global checks fail: ", 25) == 0, "%s",
	    json_string_value(json_object_get(status, "reason")));
	json_decref(status);

	systemd_notify_summary(&world.daemon, summary, sizeof(summary));
	ck_assert_str_eq(summary, "0 up, 0 down, 1 degraded");

	hook_target = 2;        /* INIT -> UP, UP -> DEGRADED */
	ck_assert(run_until(hooks_ended));
	snprintf(file, sizeof(file), "%s/hook.DEGRADED", world.dir);
	text = read_file(file);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "ANYCHECK_ANNOUNCED=1\n"
	    "ANYCHECK_NEW_STATE=DEGRADED\nANYCHECK_OLD_STATE=UP\n"));
	ck_assert_ptr_nonnull(strstr(text, "ANYCHECK_REASON=only global "
	    "checks fail: check file "));
	ck_assert_ptr_nonnull(strstr(text, "; announcing with last_resort\n"));
	free(text);
}
END_TEST

/* A hook that ignores SIGTERM and would sleep for 30 s: killed at its
 * timeout plus the grace second, and meanwhile the daemon goes on (the
 * withdraw is written on time). */
START_TEST(test_hook_timeout_never_blocks)
{
	char config[1024], pidfile[160], *text;

	snprintf(pidfile, sizeof(pidfile), "%s/hook.pid", world.dir);
	snprintf(config, sizeof(config), "\"hooks\": {\"on_change\": "
	    "[\"/bin/sh\", \"-c\", \"trap '' TERM; sleep 30 & "
	    "echo $! > %s.$$; mv -n %s.$$ %s; wait; exit 0\"], "
	    "\"timeout\": 1},", pidfile, pidfile, pidfile);
	write_config(ONE_SERVICE, config, world.up);
	test_touch(world.up);
	start();
	advance_ms(1200);       /* RISING, then UP: two hooks */
	ck_assert(strstr(world.output, "announce route 192.0.2.1/32") !=
	    NULL);
	/* Wait (real time) for the first hook to have started. */
	for (int i = 0; i < 500 && access(pidfile, F_OK) != 0; i++)
		usleep(10000);
	text = read_file(pidfile);
	ck_assert_ptr_nonnull(text);
	hook_group = (pid_t)atoi(text);
	free(text);
	ck_assert(process_alive(hook_group));
	/* The service fails while the hooks run: withdrawn at once. */
	unlink(world.up);
	advance_ms(600);
	ck_assert(strstr(world.output, "withdraw route 192.0.2.1/32") !=
	    NULL);
	/* Timeout (1 s after its start) and SIGTERM ignored; SIGKILL a
	 * second later. */
	advance_ms(1500);
	hook_target = 2;
	ck_assert(run_until(hooks_ended));
	ck_assert_uint_ge(hook_counts.timed_out, 2);
	/* The whole group went, the hook's own child (sleep) included: gone,
	 * or a zombie waiting for whoever reaps orphans here. */
	for (int i = 0; i < 100 && process_alive(hook_group); i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	ck_assert_msg(!process_alive(hook_group), "sleep %d still runs",
	    (int)hook_group);
}
END_TEST

/* systemd notifications. */

static void
notify_listen(void)
{
	struct sockaddr_un address;
	socklen_t length;

	snprintf(world.notify_path, sizeof(world.notify_path),
	    "@anycheck-test-%d", (int)getpid());
	world.notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	ck_assert_int_ne(world.notify_fd, -1);
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	memcpy(address.sun_path, world.notify_path,
	    strlen(world.notify_path));
	address.sun_path[0] = '\0';
	length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(world.notify_path));
	ck_assert_int_eq(bind(world.notify_fd, (struct sockaddr *)&address,
	    length), 0);
	setenv("NOTIFY_SOCKET", world.notify_path, 1);
}

/* Every datagram received so far, each followed by "|". */
static char *
notifications(void)
{
	char *all = xcalloc(1, 65536), message[1024];
	ssize_t n;

	while ((n = recv(world.notify_fd, message, sizeof(message) - 1, 0)) >
	    0) {
		message[n] = '\0';
		strncat(all, message, 65536 - strlen(all) - 2);
		strcat(all, "|");
	}
	return all;
}

START_TEST(test_sd_notify)
{
	char *seen;

	notify_listen();
	/* A 2 s watchdog: WATCHDOG=1 every second. */
	setenv("WATCHDOG_USEC", "2000000", 1);
	write_config(ONE_SERVICE, "", world.up);
	test_touch(world.up);
	start();
	ck_assert_ptr_nonnull(world.daemon.notifier);
	/* INIT: no decision yet. */
	ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	seen = notifications();
	ck_assert_str_eq(seen, "");
	free(seen);
	/* RISING (withdrawn: nothing to deliver) is a decision; then UP,
	 * announced, read by "ExaBGP". */
	advance_ms(1600);
	seen = notifications();
	ck_assert_msg(strstr(seen, "READY=1\nSTATUS=") == seen &&
	    strstr(seen, "STATUS=1 up, 0 down|") != NULL, "%s", seen);
	ck_assert_int_eq(test_count_substring(seen, "WATCHDOG=1"), 1);
	free(seen);
	ck_assert(systemd_notifier_ready(world.daemon.notifier));

	/* A failure: the status follows. */
	unlink(world.up);
	advance_ms(1200);
	seen = notifications();
	ck_assert_msg(strstr(seen, "STATUS=0 up, 1 down|") != NULL, "%s",
	    seen);
	free(seen);

	/* A reload: RELOADING=1 (with the time), then READY=1. */
	daemon_reload(&world.daemon);
	for (int i = 0; i < 500 && daemon_reloading(&world.daemon); i++)
		ck_assert_int_eq(loop_run_once(world.loop, 10), 0);
	seen = notifications();
	ck_assert_msg(strstr(seen, "RELOADING=1\nMONOTONIC_USEC=") == seen,
	    "%s", seen);
	ck_assert_ptr_nonnull(strstr(seen, "|READY=1\nSTATUS="));
	free(seen);

	/* A stalled loop sends nothing, and does not catch up with a
	 * burst: the pings come from the loop's timer, nowhere else. */
	world.clock.now_ns += 5 * NSEC_PER_SEC;
	usleep(20000);
	seen = notifications();
	ck_assert_int_eq(test_count_substring(seen, "WATCHDOG=1"), 0);
	free(seen);
	ck_assert_int_eq(loop_run_once(world.loop, 0), 0);
	seen = notifications();
	ck_assert_int_eq(test_count_substring(seen, "WATCHDOG=1"), 1);
	free(seen);

	/* A stalled backend: ExaBGP stops reading, a change is waiting.
	 * One more ping (the first look), then none until it reads. */
	{
		char junk[4096];
		memset(junk, 'x', sizeof(junk));
		while (write(world.to_exabgp[1], junk, sizeof(junk)) > 0)
			;
	}
	test_touch(world.up);
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    1500 * NSEC_PER_MSEC), 0);
	ck_assert_uint_gt(backend_exabgp_ops.undelivered(world.daemon.backend),
	    0);
	seen = notifications();
	free(seen);
	/* The first look that sees it waiting still pings; a whole
	 * interval later, no more. */
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    2000 * NSEC_PER_MSEC), 0);
	seen = notifications();
	ck_assert_msg(test_count_substring(seen, "WATCHDOG=1") <= 1, "%s", seen);
	free(seen);
	ck_assert_int_eq(virtual_clock_advance(&world.clock, world.loop,
	    5000 * NSEC_PER_MSEC), 0);
	seen = notifications();
	ck_assert_msg(test_count_substring(seen, "WATCHDOG=1") == 0, "%s", seen);
	free(seen);
	/* It reads again: the pings come back. */
	advance_ms(10);
	advance_ms(2000);
	seen = notifications();
	ck_assert_int_ge(test_count_substring(seen, "WATCHDOG=1"), 1);
	free(seen);

	/* The exit. */
	daemon_stop(&world.daemon, "test", true);
	seen = notifications();
	ck_assert_ptr_nonnull(strstr(seen, "STOPPING=1"));
	free(seen);
}
END_TEST

static Suite *
operations_suite(void)
{
	Suite *suite = suite_create("operations");
	TCase *metrics = tcase_create("metrics");
	TCase *hooks = tcase_create("hooks");
	TCase *notify = tcase_create("systemd");

	tcase_add_checked_fixture(metrics, setup, teardown);
	tcase_add_test(metrics, test_metrics_text);
	tcase_add_test(metrics, test_histogram);
	tcase_add_test(metrics, test_metrics_failover_and_maintenance);
	tcase_add_test(metrics, test_metrics_http);
	tcase_add_test(metrics, test_metrics_http_ipv6);
	tcase_add_test(metrics, test_metrics_textfile);
	suite_add_tcase(suite, metrics);
	tcase_add_checked_fixture(hooks, setup, teardown);
	tcase_add_test(hooks, test_hook_environment);
	tcase_add_test(hooks, test_degraded_as_operators_see_it);
	tcase_add_test(hooks, test_hook_timeout_never_blocks);
	tcase_set_timeout(hooks, 30);
	suite_add_tcase(suite, hooks);
	tcase_add_checked_fixture(notify, setup, teardown);
	tcase_add_test(notify, test_sd_notify);
	suite_add_tcase(suite, notify);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(operations_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
