/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD control-socket client
 *
 * States: IDLE (waiting for the back-off timer) -> GREETING (connected,
 * waiting for "0001") -> READY (commands flow). Any failure (connect error,
 * EOF, read error, malformed line, command timeout) closes the socket, fails
 * every pending command and arms the back-off timer: after a timeout we can
 * no longer tell which reply belongs to which command, so the only safe
 * thing is a fresh connection. One timer serves the greeting and the
 * oldest command sent (the head of the queue): its reply comes first.
 * The first `sent` commands of the queue are written and await replies;
 * `written` bytes of the next one are written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bird_client.h"
#include "bird_include.h"
#include "line_reader.h"
#include "log.h"

/* Reads per readiness event: bounded so BIRD cannot starve the loop. */
#define BIRD_CLIENT_READS_PER_EVENT 16

enum bird_client_state {
	BIRD_CLIENT_IDLE,
	BIRD_CLIENT_GREETING,
	BIRD_CLIENT_READY,
};

struct bird_command {
	char text[BIRD_CLIENT_COMMAND_MAX + 1];     /* with its "\n" */
	size_t length;
	uint64_t timeout_ns;
	bird_client_line_callback line;
	bird_client_reply_callback callback;
	void *arg;
	/* The same command with the name quoted, sent if BIRD did not
	 * parse the bare name (9001); empty: none. */
	char quoted[BIRD_CLIENT_COMMAND_MAX];
};

struct bird_client {
	struct loop *loop;
	char *path;
	struct bird_client_callbacks callbacks;
	enum bird_client_state state;
	bool started;
	int fd;
	uint64_t backoff_ns;
	struct loop_timer reconnect_timer;
	struct loop_timer timeout_timer;
	struct line_reader reader;
	struct bird_parser parser;
	/* Ring of commands; the first `sent` are in flight. */
	struct bird_command queue[BIRD_CLIENT_QUEUE_MAX];
	size_t head;
	size_t count;
	size_t sent;                /* commands written, awaiting replies */
	size_t sent_bytes;          /* their bytes */
	size_t written;             /* bytes of the next command written */
	bool want_out;              /* EPOLLOUT is being waited for */
	bool failed;                /* set during a feed: reset after it */
	bool unreachable_logged;    /* this outage's connect failure logged */
	uint64_t ready_since_ns;    /* when the greeting came (loop time) */
	/* Lines about failing connections: a BIRD that keeps failing the
	 * same way is logged once, then as a count. */
	struct log_limit failure_log;
	struct bird_client_counts counts;
};

static void bird_client_connect(struct bird_client *client);
static void bird_client_send(struct bird_client *client);

static void
bird_client_fail_all(struct bird_client *client, enum bird_client_result first,
    enum bird_client_result rest)
{
	enum bird_client_result result = first;

	/* Callbacks may queue commands; with the state already IDLE those
	 * calls fail, so this loop ends. */
	while (client->count > 0) {
		struct bird_command command = client->queue[client->head];

		client->head = (client->head + 1) % BIRD_CLIENT_QUEUE_MAX;
		client->count--;
		if (result != BIRD_CLIENT_CANCELLED)
			client->counts.failed++;
		command.callback(client, result, NULL, command.arg);
		result = rest;
	}
	client->sent = 0;
	client->sent_bytes = 0;
	client->written = 0;
}

/* Drop the connection and try again after the back-off delay. */
static void
bird_client_reset(struct bird_client *client, enum bird_client_result result)
{
	bool was_ready = client->state == BIRD_CLIENT_READY;

	if (client->fd != -1) {
		loop_remove_fd(client->loop, client->fd);
		close(client->fd);
		client->fd = -1;
	}
	client->state = BIRD_CLIENT_IDLE;
	loop_timer_cancel(client->loop, &client->timeout_timer);
	bird_client_fail_all(client, result, BIRD_CLIENT_DISCONNECTED);
	if (was_ready && client->callbacks.disconnected != NULL)
		client->callbacks.disconnected(client, client->callbacks.arg);
	/* Only a connection that lasted starts the back-off afresh: one
	 * that ends right after its greeting (or a few commands) must not
	 * turn into reconnecting ten times a second. */
	if (was_ready && loop_now_ns(client->loop) - client->ready_since_ns >=
	    BIRD_CLIENT_HEALTHY_NS)
		client->backoff_ns = BIRD_CLIENT_BACKOFF_MIN_NS;
	loop_timer_arm_in(client->loop, &client->reconnect_timer,
	    client->backoff_ns);
	client->backoff_ns *= 2;
	if (client->backoff_ns > BIRD_CLIENT_BACKOFF_MAX_NS)
		client->backoff_ns = BIRD_CLIENT_BACKOFF_MAX_NS;
}

static void
bird_client_on_reply(struct bird_client *client)
{
	const struct bird_reply *reply = &client->parser.reply;

	if (client->state == BIRD_CLIENT_GREETING) {
		const char *text = bird_reply_line_text(reply, 0);
		char version[32] = "";

		if (reply->code != BIRD_CODE_WELCOME) {
			log_limited(&client->failure_log,
			    loop_now_ns(client->loop), LOG_LEVEL_WARNING,
			    "BIRD at %s: unexpected greeting code %04u",
			    client->path, reply->code);
			client->failed = true;
			return;
		}
		/* "BIRD 2.0.12 ready." */
		if (sscanf(text, "BIRD %31s", version) != 1)
			snprintf(version, sizeof(version), "?");
		loop_timer_cancel(client->loop, &client->timeout_timer);
		client->state = BIRD_CLIENT_READY;
		client->ready_since_ns = loop_now_ns(client->loop);
		client->unreachable_logged = false;
		/* The owner logs the connection, with what it means. */
		log_debug("connected to BIRD %s at %s", version, client->path);
		if (client->callbacks.connected != NULL)
			client->callbacks.connected(client, version,
			    client->callbacks.arg);
		if (client->state == BIRD_CLIENT_READY)
			bird_client_send(client);
		return;
	}
	if (client->sent == 0) {
		log_limited(&client->failure_log, loop_now_ns(client->loop),
		    LOG_LEVEL_WARNING, "BIRD at %s: reply %04u to no command",
		    client->path, reply->code);
		client->failed = true;
		return;
	}

	struct bird_command command = client->queue[client->head];

	client->head = (client->head + 1) % BIRD_CLIENT_QUEUE_MAX;
	client->count--;
	client->sent--;
	client->sent_bytes -= command.length;
	/* The next command's reply comes next: its timeout runs from now. */
	if (client->sent > 0)
		loop_timer_arm_in(client->loop, &client->timeout_timer,
		    client->queue[client->head].timeout_ns);
	else
		loop_timer_cancel(client->loop, &client->timeout_timer);
	/* A bare name BIRD could not parse (a keyword used as a name, or no
	 * such symbol): ask again with it quoted, which BIRD answers with
	 * what it means (8003 when no protocol matches). */
	if (command.quoted[0] != '\0' && reply->code == BIRD_CODE_PARSE_ERROR &&
	    bird_client_command(client, command.quoted, command.timeout_ns,
	    command.callback, command.arg) == 0)
		return;
	if (bird_reply_is_error(reply))
		client->counts.error++;
	else
		client->counts.ok++;
	command.callback(client, BIRD_CLIENT_REPLY, reply, command.arg);
	if (client->state == BIRD_CLIENT_READY)
		bird_client_send(client);
}

/* Hand a line of a reply to the command it answers, if it wants lines. */
static void
bird_client_on_reply_line(struct bird_client *client)
{
	const struct bird_command *command;

	if (client->state != BIRD_CLIENT_READY || client->sent == 0)
		return;
	command = &client->queue[client->head];
	if (command->line != NULL)
		command->line(client, client->parser.line_code,
		    client->parser.line_text, command->arg);
}

static void
bird_client_on_line(const char *line, bool overlong, void *arg)
{
	struct bird_client *client = arg;

	if (client->failed || client->state == BIRD_CLIENT_IDLE)
		return;
	switch (bird_parser_feed_line(&client->parser, line, overlong)) {
	case BIRD_PARSE_MORE:
		bird_client_on_reply_line(client);
		break;
	case BIRD_PARSE_ASYNC:
		log_debug("BIRD: %s", client->parser.async);
		break;
	case BIRD_PARSE_REPLY:
		bird_client_on_reply_line(client);
		bird_client_on_reply(client);
		break;
	case BIRD_PARSE_MALFORMED:
		log_limited(&client->failure_log, loop_now_ns(client->loop),
		    LOG_LEVEL_WARNING, "BIRD at %s: malformed reply line, "
		    "reconnecting", client->path);
		client->failed = true;
		break;
	}
}

static void
bird_client_on_fd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct bird_client *client = arg;
	char buffer[4096];

	(void)loop;
	(void)fd;
	if (events & EPOLLOUT)
		bird_client_send(client);
	if (client->state == BIRD_CLIENT_IDLE)
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int i = 0; i < BIRD_CLIENT_READS_PER_EVENT; i++) {
		ssize_t n = read(client->fd, buffer, sizeof(buffer));

		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == -1) {
			log_limited(&client->failure_log,
			    loop_now_ns(client->loop), LOG_LEVEL_WARNING,
			    "BIRD at %s: read: %s", client->path,
			    strerror(errno));
			bird_client_reset(client, BIRD_CLIENT_DISCONNECTED);
			return;
		}
		if (n == 0) {
			log_limited(&client->failure_log,
			    loop_now_ns(client->loop), LOG_LEVEL_WARNING,
			    "BIRD at %s closed the connection", client->path);
			bird_client_reset(client, BIRD_CLIENT_DISCONNECTED);
			return;
		}
		client->failed = false;
		line_reader_feed(&client->reader, buffer, (size_t)n,
		    bird_client_on_line, client);
		if (client->failed) {
			bird_client_reset(client, BIRD_CLIENT_DISCONNECTED);
			return;
		}
		if (client->state == BIRD_CLIENT_IDLE)
			return;
	}
}

static void
bird_client_want_out(struct bird_client *client, bool want)
{
	if (client->want_out == want)
		return;
	client->want_out = want;
	loop_modify_fd(client->loop, client->fd,
	    want ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* Write the queued commands back to back, as far as the pipeline bytes
 * allow; wait for EPOLLOUT if the socket is full. */
static void
bird_client_send(struct bird_client *client)
{
	while (client->state == BIRD_CLIENT_READY &&
	    client->sent < client->count) {
		struct bird_command *command = &client->queue[(client->head +
		    client->sent) % BIRD_CLIENT_QUEUE_MAX];
		ssize_t n;

		if (client->sent > 0 && client->sent_bytes + command->length >
		    BIRD_CLIENT_PIPELINE_BYTES)
			break;      /* sent once BIRD answered more */
		if (client->sent == 0 && client->written == 0)
			loop_timer_arm_in(client->loop, &client->timeout_timer,
			    command->timeout_ns);
		n = send(client->fd, command->text + client->written,
		    command->length - client->written, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			bird_client_want_out(client, true);
			return;
		}
		if (n == -1) {
			log_limited(&client->failure_log,
			    loop_now_ns(client->loop), LOG_LEVEL_WARNING,
			    "BIRD at %s: write: %s", client->path,
			    strerror(errno));
			bird_client_reset(client, BIRD_CLIENT_DISCONNECTED);
			return;
		}
		client->written += (size_t)n;
		if (client->written < command->length)
			continue;
		client->written = 0;
		client->sent++;
		client->sent_bytes += command->length;
	}
	if (client->state == BIRD_CLIENT_READY)
		bird_client_want_out(client, false);
}

static void
bird_client_on_timeout(struct loop *loop, void *arg)
{
	struct bird_client *client = arg;

	(void)loop;
	if (client->state == BIRD_CLIENT_GREETING)
		log_limited(&client->failure_log, loop_now_ns(client->loop),
		    LOG_LEVEL_WARNING, "BIRD at %s: no greeting in time",
		    client->path);
	else if (client->count > 0)
		log_limited(&client->failure_log, loop_now_ns(client->loop),
		    LOG_LEVEL_WARNING, "BIRD at %s: no reply to \"%.*s\" in "
		    "time", client->path,
		    (int)client->queue[client->head].length - 1,
		    client->queue[client->head].text);
	bird_client_reset(client, BIRD_CLIENT_TIMEOUT);
}

static void
bird_client_on_reconnect(struct loop *loop, void *arg)
{
	(void)loop;
	bird_client_connect(arg);
}

/* Say once per outage that BIRD cannot be reached, and why: a wrong
 * bird.socket or a stopped BIRD must show in the log, but a BIRD that stays
 * down must not fill it (retries run every BIRD_CLIENT_BACKOFF_MAX_NS). */
static void
bird_client_report_unreachable(struct bird_client *client, int error)
{
	if (client->unreachable_logged) {
		log_debug("connect %s: %s", client->path, strerror(error));
		return;
	}
	client->unreachable_logged = true;
	log_warnx("cannot connect to BIRD at %s: %s; retrying every %.1f s "
	    "until it answers (is BIRD running, and is bird.socket its "
	    "control socket?)", client->path, strerror(error),
	    (double)BIRD_CLIENT_BACKOFF_MAX_NS / 1e9);
}

static void
bird_client_connect(struct bird_client *client)
{
	struct sockaddr_un address;
	int fd = -1;

	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	if (strlen(client->path) >= sizeof(address.sun_path)) {
		bird_client_report_unreachable(client, ENAMETOOLONG);
		goto fail;
	}
	memcpy(address.sun_path, client->path, strlen(client->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("socket");
		goto fail;
	}
	/* A UNIX connect completes at once or fails (EAGAIN: backlog full,
	 * retried later like any other failure). */
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == -1) {
		bird_client_report_unreachable(client, errno);
		goto fail;
	}
	if (loop_add_fd(client->loop, fd, EPOLLIN, bird_client_on_fd,
	    client) == -1)
		goto fail;
	client->fd = fd;
	client->want_out = false;
	client->state = BIRD_CLIENT_GREETING;
	line_reader_init(&client->reader);
	bird_parser_init(&client->parser);
	loop_timer_arm_in(client->loop, &client->timeout_timer,
	    BIRD_CLIENT_DEFAULT_TIMEOUT_NS);
	return;

fail:
	if (fd != -1)
		close(fd);
	bird_client_reset(client, BIRD_CLIENT_DISCONNECTED);
}

struct bird_client *
bird_client_new(struct loop *loop, const char *path,
    const struct bird_client_callbacks *callbacks)
{
	struct bird_client *client = xcalloc(1, sizeof(*client));

	client->loop = loop;
	client->path = xstrdup(path);
	if (callbacks != NULL)
		client->callbacks = *callbacks;
	client->state = BIRD_CLIENT_IDLE;
	client->fd = -1;
	client->backoff_ns = BIRD_CLIENT_BACKOFF_MIN_NS;
	log_limit_init(&client->failure_log, 0);
	loop_timer_init(&client->reconnect_timer, bird_client_on_reconnect,
	    client);
	loop_timer_init(&client->timeout_timer, bird_client_on_timeout, client);
	line_reader_init(&client->reader);
	bird_parser_init(&client->parser);
	return client;
}

void
bird_client_start(struct bird_client *client)
{
	if (client->started)
		return;
	client->started = true;
	bird_client_connect(client);
}

void
bird_client_free(struct bird_client *client)
{
	if (client == NULL)
		return;
	if (client->fd != -1) {
		loop_remove_fd(client->loop, client->fd);
		close(client->fd);
		client->fd = -1;
	}
	client->state = BIRD_CLIENT_IDLE;
	loop_timer_cancel(client->loop, &client->timeout_timer);
	loop_timer_cancel(client->loop, &client->reconnect_timer);
	bird_client_fail_all(client, BIRD_CLIENT_CANCELLED,
	    BIRD_CLIENT_CANCELLED);
	log_limit_flush(&client->failure_log, loop_now_ns(client->loop));
	free(client->path);
	free(client);
}

void
bird_client_get_counts(const struct bird_client *client,
    struct bird_client_counts *out)
{
	*out = client->counts;
}

bool
bird_client_connected(const struct bird_client *client)
{
	return client->state == BIRD_CLIENT_READY;
}

size_t
bird_client_pending(const struct bird_client *client)
{
	return client->count;
}

uint64_t
bird_client_backoff_ns(const struct bird_client *client)
{
	return client->backoff_ns;
}

int
bird_client_command(struct bird_client *client, const char *command,
    uint64_t timeout_ns, bird_client_reply_callback callback, void *arg)
{
	return bird_client_command_lines(client, command, timeout_ns, NULL,
	    callback, arg);
}

int
bird_client_command_lines(struct bird_client *client, const char *command,
    uint64_t timeout_ns, bird_client_line_callback line,
    bird_client_reply_callback callback, void *arg)
{
	struct bird_command *slot;
	size_t length = strlen(command);

	if (client->state != BIRD_CLIENT_READY ||
	    client->count == BIRD_CLIENT_QUEUE_MAX)
		return -1;
	if (length == 0 || length >= BIRD_CLIENT_COMMAND_MAX ||
	    strchr(command, '\n') != NULL || callback == NULL)
		return -1;
	slot = &client->queue[(client->head + client->count) %
	    BIRD_CLIENT_QUEUE_MAX];
	memcpy(slot->text, command, length);
	slot->text[length] = '\n';
	slot->length = length + 1;
	slot->timeout_ns = timeout_ns != 0 ? timeout_ns :
	    BIRD_CLIENT_DEFAULT_TIMEOUT_NS;
	slot->line = line;
	slot->callback = callback;
	slot->arg = arg;
	slot->quoted[0] = '\0';
	client->count++;
	bird_client_send(client);
	return 0;
}

static int
bird_client_protocol_command(struct bird_client *client, const char *verb,
    const char *protocol, bird_client_reply_callback callback, void *arg)
{
	char command[BIRD_CLIENT_COMMAND_MAX];
	struct bird_command *slot;

	if (!bird_protocol_name_valid(protocol))
		return -1;
	/* The bare name: BIRD looks it up in its symbol table. A quoted name
	 * is a pattern BIRD matches against every protocol, ten times slower
	 * with 20 000 protocols (bench/results/bird_scale.md). */
	snprintf(command, sizeof(command), "%s %s", verb, protocol);
	if (bird_client_command(client, command, 0, callback, arg) != 0)
		return -1;
	slot = &client->queue[(client->head + client->count - 1) %
	    BIRD_CLIENT_QUEUE_MAX];
	snprintf(slot->quoted, sizeof(slot->quoted), "%s \"%s\"", verb,
	    protocol);
	return 0;
}

int
bird_client_enable(struct bird_client *client, const char *protocol,
    bird_client_reply_callback callback, void *arg)
{
	return bird_client_protocol_command(client, "enable", protocol,
	    callback, arg);
}

int
bird_client_disable(struct bird_client *client, const char *protocol,
    bird_client_reply_callback callback, void *arg)
{
	return bird_client_protocol_command(client, "disable", protocol,
	    callback, arg);
}

int
bird_client_show_protocol(struct bird_client *client, const char *protocol,
    bird_client_reply_callback callback, void *arg)
{
	return bird_client_protocol_command(client, "show protocols all",
	    protocol, callback, arg);
}

int
bird_client_show_protocols(struct bird_client *client,
    bird_client_line_callback line, bird_client_reply_callback callback,
    void *arg)
{
	return bird_client_command_lines(client, "show protocols", 0, line,
	    callback, arg);
}

int
bird_client_show_status(struct bird_client *client,
    bird_client_reply_callback callback, void *arg)
{
	return bird_client_command(client, "show status", 0, callback, arg);
}
