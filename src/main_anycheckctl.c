/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: anycheckctl: ask a running anycheck daemon
 *
 * Talks to anycheck-exabgp or anycheck-bird over its control socket
 * (control_protocol.h): status, maintenance with a reason, a check now, a
 * reload with its report, a dump, the version, and traffic shifts. Without
 * -s it tries each program's default socket and uses the one daemon that
 * answers (saying which); with both running it asks for -s. Errors say what
 * to do: which socket was tried, which group may use it, which services
 * exist, that the daemon is older than this command.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "control_protocol.h"
#include "control_status.h"
#include "log.h"

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,            /* the daemon said no */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3,       /* no daemon to ask */
};

static const char *const ctl_programs[] = { "anycheck-exabgp",
    "anycheck-bird" };

static void
ctl_usage(FILE *out)
{
	fprintf(out,
	    "usage: anycheckctl [-s SOCKET] [--json] COMMAND ...\n"
	    "  status [SERVICE ...]         state, checks, routes of services\n"
	    "  maintenance SERVICE on --reason TEXT\n"
	    "  maintenance SERVICE off      drain then withdraw / back to "
	    "checking\n"
	    "  shift SERVICE [--med M] [--prepend N] [--community C ...] "
	    "[--for DURATION]\n"
	    "  shift SERVICE --clear        announce with changed attributes "
	    "while UP\n"
	    "  check SERVICE                run the service's checks now\n"
	    "  reload                       reload the config, with its "
	    "report\n"
	    "  dump                         everything SIGUSR1 logs\n"
	    "  version                      anycheckctl's and the daemon's "
	    "versions\n"
	    "Without -s: %s/anycheck-exabgp.sock or "
	    "%s/anycheck-bird.sock,\nwhichever daemon runs. DURATION: "
	    "seconds, or with s, m, h, d (90m).\n", CONTROL_SOCKET_DIRECTORY,
	    CONTROL_SOCKET_DIRECTORY);
}

static void __attribute__((format(printf, 2, 3)))
ctl_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "anycheckctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(status);
}

/* Connect to path: the fd, or -1 with errno. */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd, saved;

	if (strlen(path) >= sizeof(address.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Why path could not be used, for a human. */
static void
ctl_explain(const char *path, int error, char *out, size_t size)
{
	struct stat st;

	if (error == ENOENT)
		snprintf(out, size, "%s does not exist (is the daemon "
		    "running? is control.socket set elsewhere? then use -s)",
		    path);
	else if (error == ECONNREFUSED)
		snprintf(out, size, "nothing listens on %s (the daemon is not "
		    "running; the file is left from an earlier run)", path);
	else if ((error == EACCES || error == EPERM) && stat(path, &st) == 0) {
		struct group *group = getgrgid(st.st_gid);
		char name[32];
		if (group != NULL)
			snprintf(name, sizeof(name), "%s", group->gr_name);
		else
			snprintf(name, sizeof(name), "%u",
			    (unsigned)st.st_gid);
		snprintf(out, size, "permission denied on %s: it is for its "
		    "owner and group %s (control.group); run anycheckctl as "
		    "root or as a member of %s", path, name, name);
	} else
		snprintf(out, size, "%s: %s", path, strerror(error));
}

/* Connect to -s SOCKET, or find the one daemon that runs. */
static int
ctl_open(const char *socket_path)
{
	char tried[2][512], paths[2][256];
	const char *directory = getenv("ANYCHECK_CONTROL_DIRECTORY");
	int fds[2], live = 0, which = -1;

	if (socket_path != NULL) {
		int fd = ctl_connect(socket_path);
		if (fd < 0) {
			ctl_explain(socket_path, errno, tried[0],
			    sizeof(tried[0]));
			ctl_fail(CTL_EXIT_UNREACHABLE, "cannot reach the daemon: "
			    "%s", tried[0]);
		}
		return fd;
	}
	if (directory == NULL)
		directory = CONTROL_SOCKET_DIRECTORY;
	for (int i = 0; i < 2; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s.sock", directory,
		    ctl_programs[i]);
		fds[i] = ctl_connect(paths[i]);
		if (fds[i] >= 0) {
			live++;
			which = i;
		} else
			ctl_explain(paths[i], errno, tried[i],
			    sizeof(tried[i]));
	}
	if (live == 2) {
		close(fds[0]);
		close(fds[1]);
		ctl_fail(CTL_EXIT_USAGE, "both %s (%s) and %s (%s) are running; "
		    "say which with -s SOCKET", ctl_programs[0], paths[0],
		    ctl_programs[1], paths[1]);
	}
	if (live == 0)
		ctl_fail(CTL_EXIT_UNREACHABLE, "no anycheck daemon to ask:\n  "
		    "%s\n  %s", tried[0], tried[1]);
	fprintf(stderr, "anycheckctl: using %s (%s)\n", paths[which],
	    ctl_programs[which]);
	return fds[which];
}

/* Send request, read the reply line (within timeout seconds). */
static json_t *
ctl_ask(int fd, json_t *request, int timeout_seconds)
{
	char *json = json_dumps(request, JSON_COMPACT);
	char *text;
	size_t length, size = 0, capacity = 65536;
	char *buffer = xmalloc(capacity);
	time_t deadline = time(NULL) + timeout_seconds;
	json_error_t error;
	json_t *reply;

	if (json == NULL)
		fatalx("out of memory");
	/* The request and its newline in one piece. */
	text = xasprintf("%s\n", json);
	free(json);
	length = strlen(text);
	for (size_t sent = 0; sent < length;) {
		ssize_t n = send(fd, text + sent, length - sent, MSG_NOSIGNAL);
		/* The daemon may answer and close before reading it all (a
		 * request over its size limit): its answer says why. */
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (n < 0 && errno != EINTR)
			ctl_fail(CTL_EXIT_UNREACHABLE, "sending the request: "
			    "%s", strerror(errno));
		if (n > 0)
			sent += (size_t)n;
	}
	free(text);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *newline = size > 0 ? memchr(buffer, '\n', size) : NULL;
		ssize_t n;
		int left = (int)(deadline - time(NULL));

		if (newline != NULL) {
			size = (size_t)(newline - buffer);
			break;
		}
		if (left <= 0)
			ctl_fail(CTL_EXIT_FAILED, "no answer from the daemon "
			    "within %d s", timeout_seconds);
		if (poll(&pfd, 1, left * 1000) < 0 && errno != EINTR)
			ctl_fail(CTL_EXIT_FAILED, "poll: %s", strerror(errno));
		if (size == capacity) {
			capacity *= 2;
			buffer = xrealloc(buffer, capacity);
		}
		n = recv(fd, buffer + size, capacity - size, MSG_DONTWAIT);
		if (n == 0)
			ctl_fail(CTL_EXIT_FAILED, "the daemon closed the "
			    "connection without an answer (is it exiting?)");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			ctl_fail(CTL_EXIT_FAILED, "reading the answer: %s",
			    strerror(errno));
		if (n > 0)
			size += (size_t)n;
	}
	reply = json_loadb(buffer, size, 0, &error);
	free(buffer);
	if (!json_is_object(reply))
		ctl_fail(CTL_EXIT_FAILED, "the daemon's answer is not JSON: %s",
		    error.text);
	return reply;
}

/* An error reply, for a human: exits. */
static void
ctl_reply_error(const json_t *reply, const char *command)
{
	const char *code = json_string_value(json_object_get(reply, "code"));
	const char *message = json_string_value(json_object_get(reply,
	    "error"));

	if (code != NULL && (strcmp(code, CONTROL_ERROR_UNKNOWN_COMMAND) == 0 ||
	    strcmp(code, CONTROL_ERROR_VERSION) == 0))
		ctl_fail(CTL_EXIT_FAILED, "the daemon does not know \"%s\": it "
		    "is older than this anycheckctl (%s); upgrade and restart "
		    "it (it said: %s)", command, ANYCHECK_VERSION,
		    message != NULL ? message : "?");
	ctl_fail(CTL_EXIT_FAILED, "%s", message != NULL ? message :
	    "the daemon refused without a reason");
}

/* "600", "90s", "10m", "2h", "1d": seconds, or -1. */
static double
ctl_duration(const char *text)
{
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || !(value > 0))
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return value;
	if (strcmp(end, "m") == 0)
		return value * 60;
	if (strcmp(end, "h") == 0)
		return value * 3600;
	if (strcmp(end, "d") == 0)
		return value * 86400;
	return -1;
}

static long
ctl_integer(const char *text, const char *what, long max)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || *text == '\0' || *end != '\0' || value < 0 ||
	    value > max)
		ctl_fail(CTL_EXIT_USAGE, "%s must be an integer between 0 and "
		    "%ld, not \"%s\"", what, max, text);
	return value;
}

static void
ctl_print_json(const json_t *reply)
{
	char *text = json_dumps(reply, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (text == NULL)
		fatalx("out of memory");
	printf("%s\n", text);
	free(text);
}

static void
ctl_print_notes(const json_t *reply)
{
	const char *note = json_string_value(json_object_get(reply, "note"));
	const char *warning = json_string_value(json_object_get(reply,
	    "warning"));

	if (note != NULL)
		printf("note: %s\n", note);
	if (warning != NULL)
		fprintf(stderr, "anycheckctl: warning: %s\n", warning);
}

/* The shift command's arguments into request. */
static void
ctl_parse_shift(int argc, char **argv, json_t *request)
{
	static const struct option options[] = {
		{ "med", required_argument, NULL, 'm' },
		{ "prepend", required_argument, NULL, 'p' },
		{ "community", required_argument, NULL, 'C' },
		{ "for", required_argument, NULL, 'f' },
		{ "clear", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *communities = json_array();
	bool clear = false, any = false;
	double seconds;
	int c;

	optind = 0;     /* glibc: start afresh, from argv[1] */
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'm':
			json_object_set_new(request, "med", json_integer(
			    ctl_integer(optarg, "--med", 4294967295L)));
			any = true;
			break;
		case 'p':
			json_object_set_new(request, "prepend", json_integer(
			    ctl_integer(optarg, "--prepend",
			    SUPERVISOR_SHIFT_PREPEND_MAX)));
			any = true;
			break;
		case 'C':
			json_array_append_new(communities, json_string(optarg));
			any = true;
			break;
		case 'f':
			if ((seconds = ctl_duration(optarg)) < 0)
				ctl_fail(CTL_EXIT_USAGE, "--for takes a "
				    "duration (600, 90s, 10m, 2h, 1d), not "
				    "\"%s\"", optarg);
			json_object_set_new(request, "for", json_real(seconds));
			break;
		case 'x':
			clear = true;
			break;
		default:
			ctl_usage(stderr);
			exit(CTL_EXIT_USAGE);
		}
	}
	if (json_array_size(communities) > 0)
		json_object_set_new(request, "communities", communities);
	else
		json_decref(communities);
	if (optind != argc - 1)
		ctl_fail(CTL_EXIT_USAGE, "shift takes one SERVICE");
	if (clear && (any || json_object_get(request, "for") != NULL))
		ctl_fail(CTL_EXIT_USAGE, "shift --clear takes no other option");
	if (!clear && !any)
		ctl_fail(CTL_EXIT_USAGE, "shift needs --med, --prepend or "
		    "--community (or --clear)");
	json_object_set_new(request, "service", json_string(argv[optind]));
	if (clear)
		json_object_set_new(request, "clear", json_true());
}

/* The maintenance command's arguments into request. */
static void
ctl_parse_maintenance(int argc, char **argv, json_t *request)
{
	static const struct option options[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	int c;

	optind = 0;     /* glibc: start afresh, from argv[1] */
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c != 'r') {
			ctl_usage(stderr);
			exit(CTL_EXIT_USAGE);
		}
		reason = optarg;
	}
	if (optind != argc - 2 || (strcmp(argv[optind + 1], "on") != 0 &&
	    strcmp(argv[optind + 1], "off") != 0))
		ctl_fail(CTL_EXIT_USAGE, "usage: maintenance SERVICE on "
		    "--reason TEXT | maintenance SERVICE off");
	json_object_set_new(request, "service", json_string(argv[optind]));
	json_object_set_new(request, "on", json_boolean(strcmp(
	    argv[optind + 1], "on") == 0));
	if (strcmp(argv[optind + 1], "on") == 0 && (reason == NULL ||
	    reason[0] == '\0'))
		ctl_fail(CTL_EXIT_USAGE, "maintenance on needs --reason TEXT "
		    "(it shows in status and in the logs)");
	if (reason != NULL)
		json_object_set_new(request, "reason", json_string(reason));
}

static int
ctl_show_service_change(const json_t *reply, const char *what)
{
	const json_t *service = json_object_get(reply, "service");
	char when[64];

	snprintf(when, sizeof(when), "%s", json_string_value(json_object_get(
	    service, "state")));
	printf("%s: %s; now %s (%s)\n", json_string_value(json_object_get(
	    service, "name")), what, when, json_string_value(
	    json_object_get(service, "reason")));
	ctl_print_notes(reply);
	return CTL_EXIT_OK;
}

static int
ctl_show_reload(const json_t *reply)
{
	const json_t *item;
	size_t i;

	printf("%s\n", json_string_value(json_object_get(reply, "summary")));
	json_array_foreach(json_object_get(reply, "errors"), i, item)
		printf("  error: %s\n", json_string_value(item));
	json_array_foreach(json_object_get(reply, "warnings"), i, item)
		printf("  warning: %s\n", json_string_value(item));
	return json_is_true(json_object_get(reply, "reloaded")) ? CTL_EXIT_OK :
	    CTL_EXIT_FAILED;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL, *command;
	bool json = false;
	json_t *request, *reply;
	int c, fd, status = CTL_EXIT_OK, timeout = 10;
	char *shift_text = NULL;

	/* Options before the command only: the command has its own. */
	while ((c = getopt_long(argc, argv, "+s:jhV", options, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("anycheckctl %s (protocol %d)\n",
			    ANYCHECK_VERSION, CONTROL_PROTOCOL_VERSION);
			return CTL_EXIT_OK;
		default:
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	command = argv[0];
	/* "status --json" reads naturally too. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	request = json_pack("{s:i, s:s}", "version", CONTROL_PROTOCOL_VERSION,
	    "command", command);
	if (strcmp(command, "status") == 0) {
		json_t *names = json_array();
		for (int i = 1; i < argc; i++)
			json_array_append_new(names, json_string(argv[i]));
		json_object_set_new(request, "services", names);
	} else if (strcmp(command, "maintenance") == 0)
		ctl_parse_maintenance(argc, argv, request);
	else if (strcmp(command, "shift") == 0)
		ctl_parse_shift(argc, argv, request);
	else if (strcmp(command, "check") == 0) {
		if (argc != 2)
			ctl_fail(CTL_EXIT_USAGE, "check takes one SERVICE");
		json_object_set_new(request, "service", json_string(argv[1]));
	} else if (strcmp(command, "reload") == 0 ||
	    strcmp(command, "version") == 0 || strcmp(command, "dump") == 0) {
		if (argc != 1)
			ctl_fail(CTL_EXIT_USAGE, "%s takes no arguments",
			    command);
		if (strcmp(command, "reload") == 0)
			timeout = 300;  /* a large file loads for a while */
		if (strcmp(command, "dump") == 0)
			json_object_set_new(request, "format",
			    json_string(json ? "json" : "text"));
	} else {
		fprintf(stderr, "anycheckctl: unknown command \"%s\"\n",
		    command);
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	fd = ctl_open(socket_path);
	reply = ctl_ask(fd, request, timeout);
	close(fd);
	json_decref(request);
	if (!json_is_true(json_object_get(reply, "ok"))) {
		if (json)
			ctl_print_json(reply);
		ctl_reply_error(reply, command);
	}
	if (json && strcmp(command, "reload") != 0)
		ctl_print_json(reply);
	else if (json) {
		ctl_print_json(reply);
		status = json_is_true(json_object_get(reply, "reloaded")) ?
		    CTL_EXIT_OK : CTL_EXIT_FAILED;
	} else if (strcmp(command, "status") == 0)
		control_status_render(reply, isatty(STDOUT_FILENO) &&
		    getenv("NO_COLOR") == NULL, stdout);
	else if (strcmp(command, "dump") == 0)
		fputs(json_string_value(json_object_get(reply, "text")),
		    stdout);
	else if (strcmp(command, "version") == 0)
		printf("anycheckctl %s; %s %s (protocol %" JSON_INTEGER_FORMAT
		    ")\n", ANYCHECK_VERSION, json_string_value(json_object_get(
		    reply, "program")), json_string_value(json_object_get(
		    reply, "daemon_version")), json_integer_value(
		    json_object_get(reply, "protocol")));
	else if (strcmp(command, "check") == 0) {
		printf("%s: checking now\n", json_string_value(json_object_get(
		    reply, "service")));
		ctl_print_notes(reply);
	} else if (strcmp(command, "reload") == 0)
		status = ctl_show_reload(reply);
	else if (strcmp(command, "maintenance") == 0)
		status = ctl_show_service_change(reply, json_is_true(
		    json_object_get(json_object_get(json_object_get(reply,
		    "service"), "maintenance"), "requested")) ?
		    "maintenance on" : "maintenance off");
	else if (strcmp(command, "shift") == 0) {
		const json_t *shift = json_object_get(json_object_get(reply,
		    "service"), "shift");
		struct supervisor_shift parsed;
		char text[512], why[64];
		if (shift != NULL && control_shift_from_json(shift, &parsed,
		    why, sizeof(why)) == 0) {
			control_shift_describe(&parsed, text, sizeof(text));
			free(parsed.communities);
			shift_text = xasprintf("shifted (%s)", text);
		} else
			shift_text = xstrdup("shift cleared");
		status = ctl_show_service_change(reply, shift_text);
		free(shift_text);
	}
	json_decref(reply);
	return status;
}
