/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the metrics HTTP listener on libmicrohttpd
 *
 * libmicrohttpd (MHD) does the HTTP: request parsing, keep-alive, HEAD,
 * limits. It runs in external-polling mode with epoll (MHD_USE_EPOLL, no
 * internal thread): its one epoll fd is watched by our loop, and MHD_run
 * does whatever is ready without blocking. MHD_get_timeout says when idle
 * connections expire; a loop timer calls MHD_run then. We open the
 * listening socket ourselves (MHD_OPTION_LISTEN_SOCKET) so that an address
 * in use or not configured is one clear log line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics_http.h"

/* Scrapers at once, and how long an idle connection may stay (s). */
#define METRICS_HTTP_CONNECTIONS_MAX 16
#define METRICS_HTTP_IDLE_SECONDS 10
#define METRICS_HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	int listen_fd;
	int epoll_fd;
	uint16_t port;
	struct loop_timer timer;
	metrics_http_render render;
	void *arg;
	unsigned long scrapes;
};

int
metrics_listen_parse(const char *text, struct sockaddr_storage *out,
    socklen_t *length)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_text;
	char *end;
	unsigned long port;
	size_t host_length;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host_length = (size_t)(close - text - 1);
		port_text = close + 2;
		if (host_length == 0 || host_length >= sizeof(host))
			return -1;
		memcpy(host, text + 1, host_length);
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || strchr(text, ':') != colon)
			return -1;
		host_length = (size_t)(colon - text);
		port_text = colon + 1;
		if (host_length == 0 || host_length >= sizeof(host))
			return -1;
		memcpy(host, text, host_length);
	}
	host[host_length] = '\0';
	if (port_text[0] < '0' || port_text[0] > '9')
		return -1;
	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535 ||
	    (port_text[0] == '0' && port_text[1] != '\0'))
		return -1;
	if (text[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*length = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)out;
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*length = sizeof(*in);
	}
	return 0;
}

/* The port fd is bound to. */
static int
listen_socket_port(int fd, uint16_t *port)
{
	struct sockaddr_storage address;
	socklen_t length = sizeof(address);

	if (getsockname(fd, (struct sockaddr *)&address, &length) == -1)
		return -1;
	if (address.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
	else
		*port = ntohs(((struct sockaddr_in *)&address)->sin_port);
	return 0;
}

static void
metrics_http_log(void *arg, const char *fmt, va_list ap)
{
	char text[512];

	(void)arg;
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_debug("metrics: HTTP: %s", text);
}

static enum MHD_Result
metrics_http_answer(struct MHD_Connection *connection, unsigned status,
    char *body, size_t length, const char *type)
{
	struct MHD_Response *response;
	enum MHD_Result result;

	response = MHD_create_response_from_buffer(length, body,
	    MHD_RESPMEM_MUST_FREE);
	if (response == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result
metrics_http_request(void *cls, struct MHD_Connection *connection,
    const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **request)
{
	struct metrics_http *http = cls;
	static int first_call;
	size_t length = 0;
	char *body;

	(void)version;
	(void)upload_data;
	if (*request == NULL) {
		/* Headers only so far: answer once they are all in. */
		*request = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;  /* a body we ignore */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_http_answer(connection,
		    MHD_HTTP_METHOD_NOT_ALLOWED, xstrdup("only GET\n"), 9,
		    "text/plain");
	if (strcmp(url, "/") == 0) {
		body = xstrdup("anycheck: metrics at /metrics\n");
		return metrics_http_answer(connection, MHD_HTTP_OK, body,
		    strlen(body), "text/plain");
	}
	if (strcmp(url, "/metrics") != 0)
		return metrics_http_answer(connection, MHD_HTTP_NOT_FOUND,
		    xstrdup("not found; metrics at /metrics\n"), 31,
		    "text/plain");
	body = http->render(http->arg, &length);
	if (body == NULL)
		return metrics_http_answer(connection,
		    MHD_HTTP_INTERNAL_SERVER_ERROR,
		    xstrdup("cannot render the metrics\n"), 26, "text/plain");
	http->scrapes++;
	return metrics_http_answer(connection, MHD_HTTP_OK, body, length,
	    METRICS_HTTP_CONTENT_TYPE);
}

/* Run MHD and arm the timer for its next timeout. */
static void
metrics_http_run(struct metrics_http *http)
{
	MHD_UNSIGNED_LONG_LONG timeout_ms;

	MHD_run(http->mhd);
	if (MHD_get_timeout(http->mhd, &timeout_ms) == MHD_YES)
		loop_timer_arm_in(http->loop, &http->timer,
		    (uint64_t)timeout_ms * NSEC_PER_MSEC);
	else
		loop_timer_cancel(http->loop, &http->timer);
}

static void
metrics_http_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	metrics_http_run(arg);
}

static void
metrics_http_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	metrics_http_run(arg);
}

struct metrics_http *
metrics_http_start(struct loop *loop, const char *where,
    metrics_http_render render, void *arg)
{
	struct metrics_http *http;
	struct sockaddr_storage address;
	const union MHD_DaemonInfo *info;
	socklen_t length;
	int one = 1;

	if (metrics_listen_parse(where, &address, &length) != 0) {
		log_error("metrics: cannot listen on %s: not an address and "
		    "port", where);
		return NULL;
	}
	http = xcalloc(1, sizeof(*http));
	http->loop = loop;
	http->render = render;
	http->arg = arg;
	http->epoll_fd = -1;
	loop_timer_init(&http->timer, metrics_http_timeout, http);
	http->listen_fd = socket(address.ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (http->listen_fd == -1) {
		log_warn("metrics: cannot listen on %s: socket", where);
		goto fail;
	}
	setsockopt(http->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one));
	if (address.ss_family == AF_INET6)
		setsockopt(http->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(http->listen_fd, (struct sockaddr *)&address, length) == -1) {
		log_warn("metrics: cannot listen on %s", where);
		goto fail;
	}
	if (listen_socket_port(http->listen_fd, &http->port) != 0 ||
	    listen(http->listen_fd, 16) == -1) {
		log_warn("metrics: cannot listen on %s", where);
		goto fail;
	}
	http->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, metrics_http_request, http,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)http->listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_IDLE_SECONDS,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_http_log, NULL,
	    MHD_OPTION_END);
	if (http->mhd == NULL) {
		log_error("metrics: cannot serve on %s: libmicrohttpd did not "
		    "start", where);
		goto fail;
	}
	http->listen_fd = -1;   /* MHD's now: MHD_stop_daemon closes it */
	info = MHD_get_daemon_info(http->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || loop_add_fd(loop, info->epoll_fd, EPOLLIN,
	    metrics_http_ready, http) != 0) {
		log_error("metrics: cannot serve on %s: no epoll fd to watch",
		    where);
		goto fail;
	}
	http->epoll_fd = info->epoll_fd;
	metrics_http_run(http);
	log_info("metrics: serving http://%s/metrics", where);
	return http;
fail:
	metrics_http_stop(http);
	return NULL;
}

uint16_t
metrics_http_port(const struct metrics_http *http)
{
	return http->port;
}

unsigned long
metrics_http_scrapes(const struct metrics_http *http)
{
	return http->scrapes;
}

void
metrics_http_stop(struct metrics_http *http)
{
	if (http == NULL)
		return;
	loop_timer_cancel(http->loop, &http->timer);
	if (http->epoll_fd != -1)
		loop_remove_fd(http->loop, http->epoll_fd);
	if (http->mhd != NULL)
		MHD_stop_daemon(http->mhd);
	if (http->listen_fd != -1)
		close(http->listen_fd);
	free(http);
}
