/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: HTTP(S) check
 *
 * HTTP and HTTPS checks run on libcurl's multi interface, driven by our loop:
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION -> loop fds)
 * and when to call it back (CURLMOPT_TIMERFUNCTION -> one loop timer); we
 * hand every event to curl_multi_socket_action() and collect finished
 * transfers with curl_multi_info_read() after each call. Any number of checks
 * run concurrently in the one thread, with no fork per check.
 *
 * One multi handle ("engine") serves a check_environment, created with the
 * first HTTP run and freed by check_environment_cleanup(). Idle easy handles
 * are pooled in the engine, so a run costs no handle allocation.
 *
 * Every run opens a new connection (CURLOPT_FRESH_CONNECT) and closes it
 * afterwards (CURLOPT_FORBID_REUSE): a health check must notice a dead or
 * restarted listener, which a kept-alive connection to an old worker could
 * hide, and it must not hold idle connections open on the service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"

#define CHECK_HTTP_BODY_MAX (64 * 1024)
#define CHECK_HTTP_IDLE_MAX 16

struct check_http_config {
	char *url;
	char *method;
	struct curl_slist *headers;
	long *expect_status;    /* NULL: 200..399 */
	size_t expect_status_count;
	char *expect_status_text;       /* "[200, 204]" for details */
	char *expect_body;      /* NULL: any body */
	bool tls_verify;
	struct curl_slist *resolve;
};

struct check_http_engine {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer;
	CURL *idle[CHECK_HTTP_IDLE_MAX];
	size_t idle_count;
};

struct check_http_run {
	struct check *check;
	struct check_http_engine *engine;
	CURL *easy;
	CURLSH *share;          /* private DNS cache for "resolve" */
	char *body;             /* only with expect_body */
	size_t body_length;
	/* check_http_write ended the transfer: the result was decided. */
	bool stopped;
	/* Why we could not open a socket for curl (EMFILE, ...): curl itself
	 * only says "couldn't connect", which would blame the service. */
	int socket_errno;
	char error[CURL_ERROR_SIZE];
};

/* Parsing. */

static bool
check_http_method_valid(const char *method)
{
	size_t length = strlen(method);

	if (length == 0 || length > 16)
		return false;
	for (size_t i = 0; i < length; i++)
		if (method[i] < 'A' || method[i] > 'Z')
			return false;
	return true;
}

static bool
check_http_header_valid(const char *name, const char *value)
{
	if (name[0] == '\0')
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (*p <= ' ' || *p == ':' || *p == 0x7f)
			return false;
	return strpbrk(value, "\r\n") == NULL;
}

/* "HOST:PORT:ADDRESS" as CURLOPT_RESOLVE takes it. */
static bool
check_http_resolve_valid(const char *resolve)
{
	const char *colon = strchr(resolve, ':');
	char *end;
	long port;

	if (colon == NULL || colon == resolve)
		return false;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != ':' || port < 1 || port > 65535)
		return false;
	return end[1] != '\0';
}

static int
check_http_parse_url(struct config_parser *parser, const char *url)
{
	CURLU *handle = curl_url();
	char *scheme = NULL;
	int ok = 0;

	if (handle == NULL)
		fatalx("out of memory parsing a URL");
	if (curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0))
		ok = 1;
	curl_free(scheme);
	curl_url_cleanup(handle);
	if (!ok) {
		config_error(parser, "url", "must be an http:// or https:// "
		    "URL, not \"%s\"", url);
		return -1;
	}
	return 0;
}

static int
check_http_parse_headers(struct config_parser *parser, json_t *object,
    struct check_http_config *http)
{
	json_t *headers = json_object_get(object, "headers"), *value;
	const char *name;
	size_t saved;
	int problems = 0;

	if (headers == NULL)
		return 0;
	if (!json_is_object(headers)) {
		config_error(parser, "headers", "must be an object of header "
		    "names to values");
		return -1;
	}
	saved = config_path_push_key(parser, "headers");
	json_object_foreach(headers, name, value) {
		const char *text = json_string_value(value);
		if (text == NULL || !check_http_header_valid(name, text)) {
			config_error(parser, name, "must be a header name "
			    "with a single-line string value");
			problems++;
			continue;
		}
		char *line = xasprintf("%s: %s", name, text);
		struct curl_slist *list = curl_slist_append(http->headers,
		    line);
		free(line);
		if (list == NULL)
			fatalx("out of memory building headers");
		http->headers = list;
	}
	config_path_pop(parser, saved);
	/* Read without a getter: recorded here for reloads (config_diff.c). */
	config_canonical_set(parser, "headers", json_deep_copy(headers));
	return problems > 0 ? -1 : 0;
}

static int
check_http_parse_status(struct config_parser *parser, json_t *object,
    struct check_http_config *http)
{
	json_t *statuses = json_object_get(object, "expect_status"), *value;
	size_t index, saved, length = 0, size;
	int problems = 0;

	if (statuses == NULL)
		return 0;
	if (!json_is_array(statuses) || json_array_size(statuses) == 0) {
		config_error(parser, "expect_status", "must be a non-empty "
		    "array of HTTP status codes");
		return -1;
	}
	http->expect_status_count = json_array_size(statuses);
	http->expect_status = xcalloc(http->expect_status_count,
	    sizeof(*http->expect_status));
	size = 8 * http->expect_status_count + 3;
	http->expect_status_text = xmalloc(size);
	length += (size_t)snprintf(http->expect_status_text, size, "[");
	saved = config_path_push_key(parser, "expect_status");
	json_array_foreach(statuses, index, value) {
		json_int_t status = json_integer_value(value);
		if (!json_is_integer(value) || status < 100 || status > 599) {
			size_t element = config_path_push_index(parser, index);
			config_error(parser, NULL, "must be an integer "
			    "between 100 and 599");
			config_path_pop(parser, element);
			problems++;
			continue;
		}
		http->expect_status[index] = (long)status;
		length += (size_t)snprintf(http->expect_status_text + length,
		    size - length, "%s%d", index > 0 ? ", " : "",
		    (int)status);
	}
	snprintf(http->expect_status_text + length, size - length, "]");
	config_path_pop(parser, saved);
	/* Read without a getter: recorded here for reloads (config_diff.c). */
	config_canonical_set(parser, "expect_status", json_deep_copy(statuses));
	return problems > 0 ? -1 : 0;
}

static void check_http_free_config(void *data);

static int
check_http_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "url", "method", "headers", "expect_status", "expect_body",
	    "tls_verify", "resolve", NULL };
	struct check_http_config *http = xcalloc(1, sizeof(*http));
	const char *url = NULL, *method = "GET", *body = NULL,
	    *resolve = NULL;
	int problems = 0;

	http->tls_verify = true;
	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	if (config_get_string(parser, object, "url", true, &url) != 1 ||
	    check_http_parse_url(parser, url) == -1)
		problems++;
	if (config_get_string(parser, object, "method", false, &method) ==
	    -1)
		problems++;
	else if (!check_http_method_valid(method)) {
		config_error(parser, "method", "must be an HTTP method in "
		    "capitals (GET, HEAD, POST, ...)");
		problems++;
	}
	if (check_http_parse_headers(parser, object, http) == -1)
		problems++;
	if (check_http_parse_status(parser, object, http) == -1)
		problems++;
	if (config_get_string(parser, object, "expect_body", false, &body) ==
	    -1)
		problems++;
	else if (body != NULL && (body[0] == '\0' ||
	    strlen(body) > CHECK_HTTP_BODY_MAX)) {
		config_error(parser, "expect_body", "must be a non-empty "
		    "string of at most %d bytes", CHECK_HTTP_BODY_MAX);
		problems++;
	}
	if (config_get_bool(parser, object, "tls_verify", false,
	    &http->tls_verify) == -1)
		problems++;
	if (config_get_string(parser, object, "resolve", false, &resolve) ==
	    -1)
		problems++;
	else if (resolve != NULL && !check_http_resolve_valid(resolve)) {
		config_error(parser, "resolve", "must be \"HOST:PORT:ADDRESS\" "
		    "(e.g. \"www.example.com:443:192.0.2.1\")");
		problems++;
	}
	if (problems > 0) {
		check_http_free_config(http);
		return -1;
	}
	http->url = xstrdup(url);
	http->method = xstrdup(method);
	if (body != NULL)
		http->expect_body = xstrdup(body);
	if (resolve != NULL &&
	    (http->resolve = curl_slist_append(NULL, resolve)) == NULL)
		fatalx("out of memory building a resolve list");
	config->data = http;
	config->description = xasprintf("http %s %s", method, url);
	return 0;
}

static void
check_http_free_config(void *data)
{
	struct check_http_config *http = data;

	if (http == NULL)
		return;
	free(http->url);
	free(http->method);
	curl_slist_free_all(http->headers);
	free(http->expect_status);
	free(http->expect_status_text);
	free(http->expect_body);
	curl_slist_free_all(http->resolve);
	free(http);
}

/* The engine: curl's multi handle on our loop. */

static void check_http_drain(struct check_http_engine *engine);

static void
check_http_socket_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct check_http_engine *engine = arg;
	int action = 0, running;

	(void)loop;
	if (events & (EPOLLIN | EPOLLHUP))
		action |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(engine->multi, fd, action, &running);
	check_http_drain(engine);
}

static int
check_http_socket_function(CURL *easy, curl_socket_t fd, int what,
    void *user, void *socket_data)
{
	struct check_http_engine *engine = user;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		loop_remove_fd(engine->loop, fd);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (socket_data != NULL)
		return loop_modify_fd(engine->loop, fd, events) == 0 ? 0 : -1;
	if (loop_add_fd(engine->loop, fd, events, check_http_socket_ready,
	    engine) == -1)
		return -1;
	/* Marks the socket as registered for the next call. */
	curl_multi_assign(engine->multi, fd, engine);
	return 0;
}

static void
check_http_timer_expired(struct loop *loop, void *arg)
{
	struct check_http_engine *engine = arg;
	int running;

	(void)loop;
	curl_multi_socket_action(engine->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	check_http_drain(engine);
}

static int
check_http_timer_function(CURLM *multi, long timeout_ms, void *user)
{
	struct check_http_engine *engine = user;

	(void)multi;
	if (timeout_ms < 0)
		loop_timer_cancel(engine->loop, &engine->timer);
	else
		loop_timer_arm_in(engine->loop, &engine->timer,
		    (uint64_t)timeout_ms * NSEC_PER_MSEC);
	return 0;
}

static struct check_http_engine *
check_http_engine_get(struct check_environment *environment)
{
	struct check_http_engine *engine = environment->http_engine;

	if (engine != NULL)
		return engine;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("http: cannot initialise libcurl");
		return NULL;
	}
	engine = xcalloc(1, sizeof(*engine));
	engine->loop = environment->loop;
	engine->multi = curl_multi_init();
	if (engine->multi == NULL) {
		log_warnx("http: cannot create a libcurl multi handle");
		free(engine);
		curl_global_cleanup();
		return NULL;
	}
	loop_timer_init(&engine->timer, check_http_timer_expired, engine);
	curl_multi_setopt(engine->multi, CURLMOPT_SOCKETFUNCTION,
	    check_http_socket_function);
	curl_multi_setopt(engine->multi, CURLMOPT_SOCKETDATA, engine);
	curl_multi_setopt(engine->multi, CURLMOPT_TIMERFUNCTION,
	    check_http_timer_function);
	curl_multi_setopt(engine->multi, CURLMOPT_TIMERDATA, engine);
	environment->http_engine = engine;
	return engine;
}

void check_http_environment_cleanup(struct check_environment *environment);

void
check_http_environment_cleanup(struct check_environment *environment)
{
	struct check_http_engine *engine = environment->http_engine;

	if (engine == NULL)
		return;
	loop_timer_cancel(engine->loop, &engine->timer);
	curl_multi_cleanup(engine->multi);
	for (size_t i = 0; i < engine->idle_count; i++)
		curl_easy_cleanup(engine->idle[i]);
	free(engine);
	environment->http_engine = NULL;
	curl_global_cleanup();
}

/* Runs. */

static void
check_http_run_release(struct check_http_run *run)
{
	struct check_http_engine *engine = run->engine;

	curl_multi_remove_handle(engine->multi, run->easy);
	if (run->share != NULL) {
		curl_easy_setopt(run->easy, CURLOPT_SHARE, NULL);
		if (curl_share_cleanup(run->share) != CURLSHE_OK)
			log_warnx("http: cannot free a libcurl share handle");
	}
	/* Forget every pointer into this run before pooling the handle. */
	curl_easy_reset(run->easy);
	if (engine->idle_count < CHECK_HTTP_IDLE_MAX)
		engine->idle[engine->idle_count++] = run->easy;
	else
		curl_easy_cleanup(run->easy);
	run->check->state = NULL;
	free(run->body);
	free(run);
}

static bool
check_http_status_expected(const struct check_http_config *http, long status)
{
	if (http->expect_status == NULL)
		return status >= 200 && status <= 399;
	for (size_t i = 0; i < http->expect_status_count; i++)
		if (http->expect_status[i] == status)
			return true;
	return false;
}

/* Body bytes as they arrive. Only the first CHECK_HTTP_BODY_MAX bytes can
 * matter, and often none do, so the transfer is ended (by returning short,
 * which curl reports as CURLE_WRITE_ERROR with run->stopped set) as soon as
 * the result is decided: at once when the status alone decides (no
 * expect_body, or an unexpected status), when expect_body is found, or
 * when the cap is reached without it. A 1 GB or endless body is never read
 * past the cap. */
static size_t
check_http_write(char *data, size_t size, size_t count, void *user)
{
	struct check_http_run *run = user;
	const struct check_http_config *http = run->check->config->data;
	size_t length = size * count, room, needle, from;
	long status = 0;

	curl_easy_getinfo(run->easy, CURLINFO_RESPONSE_CODE, &status);
	if (run->body == NULL || !check_http_status_expected(http, status)) {
		run->stopped = true;
		return length == 0 ? 1 : 0;     /* not length: ends it */
	}
	room = CHECK_HTTP_BODY_MAX - run->body_length;
	if (room > length)
		room = length;
	memcpy(run->body + run->body_length, data, room);
	/* Search only what is new, plus the tail a match could straddle. */
	needle = strlen(http->expect_body);
	from = run->body_length >= needle ? run->body_length - (needle - 1) :
	    0;
	run->body_length += room;
	if (memmem(run->body + from, run->body_length - from,
	    http->expect_body, needle) != NULL ||
	    run->body_length == CHECK_HTTP_BODY_MAX) {
		run->stopped = true;
		return 0;
	}
	return length;
}

/* curl's sockets are opened here, so that a failure to get one is known
 * for what it is (a local error) and so that they are close-on-exec: an
 * exec check spawned meanwhile must not inherit a connection. */
static curl_socket_t
check_http_open_socket(void *user, curlsocktype purpose,
    struct curl_sockaddr *address)
{
	struct check_http_run *run = user;
	int fd;

	(void)purpose;
	fd = socket(address->family, address->socktype | SOCK_CLOEXEC,
	    address->protocol);
	/* Only running out of something is ours; a family this host lacks
	 * (with another address to try) is left to curl to report. */
	if (fd == -1 && check_errno_is_local(errno))
		run->socket_errno = errno;
	if (fd == -1)
		return CURL_SOCKET_BAD;
	return fd;
}

static void
check_http_complete(struct check_http_run *run, CURLcode code)
{
	struct check *check = run->check;
	const struct check_http_config *http = check->config->data;
	enum check_result result;
	enum check_local_cause cause = CHECK_LOCAL_OTHER;
	char detail[CHECK_DETAIL_MAX];
	long status = 0, os_errno = 0;
	double elapsed_ms = clock_ns_to_ms(
	    loop_clock_now_ns(check->environment->loop) - check->started_ns);

	curl_easy_getinfo(run->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(run->easy, CURLINFO_OS_ERRNO, &os_errno);
	/* A transfer we stopped ourselves is judged on what it got. */
	if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && run->stopped)) {
		if (!check_http_status_expected(http, status)) {
			result = CHECK_RESULT_FAIL;
			snprintf(detail, sizeof(detail),
			    "HTTP %ld not in expected %s", status,
			    http->expect_status_text != NULL ?
			    http->expect_status_text : "200-399");
		} else if (http->expect_body != NULL &&
		    memmem(run->body, run->body_length, http->expect_body,
		    strlen(http->expect_body)) == NULL) {
			result = CHECK_RESULT_FAIL;
			snprintf(detail, sizeof(detail),
			    "HTTP %ld but body does not contain \"%s\"%s",
			    status, http->expect_body,
			    run->body_length == CHECK_HTTP_BODY_MAX ?
			    " in its first 64 KiB" : "");
		} else {
			result = CHECK_RESULT_PASS;
			snprintf(detail, sizeof(detail), "HTTP %ld in %.1f ms",
			    status, elapsed_ms);
		}
	} else if (run->socket_errno != 0) {
		result = CHECK_RESULT_LOCAL_ERROR;
		cause = check_local_cause_from_errno(run->socket_errno);
		snprintf(detail, sizeof(detail), "socket: %s",
		    strerror(run->socket_errno));
	} else if (code == CURLE_OUT_OF_MEMORY) {
		result = CHECK_RESULT_LOCAL_ERROR;
		cause = CHECK_LOCAL_MEMORY;
		snprintf(detail, sizeof(detail), "%s", run->error[0] != '\0' ?
		    run->error : curl_easy_strerror(code));
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		result = CHECK_RESULT_TIMEOUT;
		snprintf(detail, sizeof(detail), "%s", run->error[0] != '\0' ?
		    run->error : curl_easy_strerror(code));
	} else if (code == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED) {
		result = CHECK_RESULT_FAIL;
		snprintf(detail, sizeof(detail), "connection refused");
	} else {
		result = CHECK_RESULT_FAIL;
		snprintf(detail, sizeof(detail), "%s", run->error[0] != '\0' ?
		    run->error : curl_easy_strerror(code));
	}
	check_http_run_release(run);
	if (result == CHECK_RESULT_LOCAL_ERROR)
		check_done_local(check, cause, "%s", detail);
	else
		check_done(check, result, "%s", detail);
}

static void
check_http_drain(struct check_http_engine *engine)
{
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(engine->multi, &left)) !=
	    NULL) {
		struct check_http_run *run = NULL;
		CURLcode code = message->data.result;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE,
		    (char **)&run);
		check_http_complete(run, code);
	}
}

static int
check_http_configure(struct check_http_run *run,
    const struct check_http_config *http)
{
	CURL *easy = run->easy;
	CURLcode code = CURLE_OK;

#define SET(option, value) \
	do { if (code == CURLE_OK) \
		code = curl_easy_setopt(easy, option, value); } while (0)
	SET(CURLOPT_URL, http->url);
	SET(CURLOPT_PRIVATE, run);
	SET(CURLOPT_ERRORBUFFER, run->error);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_USERAGENT, "anycheck/" ANYCHECK_VERSION);
	SET(CURLOPT_WRITEFUNCTION, check_http_write);
	SET(CURLOPT_WRITEDATA, run);
	SET(CURLOPT_OPENSOCKETFUNCTION, check_http_open_socket);
	SET(CURLOPT_OPENSOCKETDATA, run);
	/* A health check talks to the service itself, never through a proxy
	 * named in the environment (this also spares curl's getenv calls). */
	SET(CURLOPT_PROXY, "");
	/* No ALPN or upgrade logic: plain HTTP/1.1 over http and https. */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (http->headers != NULL)
		SET(CURLOPT_HTTPHEADER, http->headers);
	if (!http->tls_verify) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(http->method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(http->method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else {
		if (strcmp(http->method, "POST") == 0) {
			SET(CURLOPT_POSTFIELDS, "");
			SET(CURLOPT_POSTFIELDSIZE, 0L);
		}
		SET(CURLOPT_CUSTOMREQUEST, http->method);
	}
	if (http->resolve != NULL) {
		/* A private DNS cache, so this override never leaks into
		 * other checks sharing the multi handle's cache. */
		run->share = curl_share_init();
		if (run->share == NULL)
			return -1;
		if (curl_share_setopt(run->share, CURLSHOPT_SHARE,
		    CURL_LOCK_DATA_DNS) != CURLSHE_OK)
			return -1;
		SET(CURLOPT_SHARE, run->share);
		SET(CURLOPT_RESOLVE, http->resolve);
	}
#undef SET
	return code == CURLE_OK ? 0 : -1;
}

static void
check_http_start(struct check *check)
{
	const struct check_http_config *http = check->config->data;
	struct check_http_engine *engine;
	struct check_http_run *run;

	engine = check_http_engine_get(check->environment);
	if (engine == NULL) {
		check_done_local(check, CHECK_LOCAL_OTHER,
		    "libcurl unavailable");
		return;
	}
	run = xcalloc(1, sizeof(*run));
	run->check = check;
	run->engine = engine;
	if (engine->idle_count > 0)
		run->easy = engine->idle[--engine->idle_count];
	else if ((run->easy = curl_easy_init()) == NULL) {
		free(run);
		check_done_local(check, CHECK_LOCAL_MEMORY, "cannot create a "
		    "libcurl handle");
		return;
	}
	if (http->expect_body != NULL)
		run->body = xmalloc(CHECK_HTTP_BODY_MAX);
	check->state = run;
	if (check_http_configure(run, http) == -1 ||
	    curl_multi_add_handle(engine->multi, run->easy) != CURLM_OK) {
		/* Setting options and adding a handle fail only when curl
		 * runs out of memory (or on a bug). */
		check_http_run_release(run);
		check_done_local(check, CHECK_LOCAL_MEMORY, "cannot set up the "
		    "libcurl transfer");
	}
	/* curl_multi_add_handle armed the engine timer to begin. */
}

static void
check_http_cancel(struct check *check)
{
	if (check->state != NULL)
		check_http_run_release(check->state);
}

const struct check_ops check_http_ops = {
	.type = "http",
	.parse = check_http_parse,
	.start = check_http_start,
	.cancel = check_http_cancel,
	.free_config = check_http_free_config,
	/* The connection, and curl's resolver socketpair for host names. */
	.fds_per_run = 2,
};
