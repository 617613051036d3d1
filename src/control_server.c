/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control socket (implementation)
 *
 * Clients live in a fixed table of CONTROL_SERVER_CLIENTS_MAX slots, each
 * with an input buffer (one request at most, plus what follows it), an
 * output buffer and an idle timer. A client is known to the owner by an id
 * that is never reused, so a late reply to a client that has gone is
 * recognised and dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_protocol.h"
#include "control_server.h"
#include "log.h"

/* Replies are built whole; a client that does not read them costs at most
 * this much before it is dropped. */
#define CONTROL_SERVER_OUTPUT_MAX (256 * 1024 * 1024)

struct control_client {
	struct control_server *server;
	int fd;                         /* -1: free slot */
	uint64_t id;
	char *input;
	size_t input_length;
	char *output;
	size_t output_length;
	size_t output_capacity;
	bool pending;                   /* a request awaits its reply */
	bool eof;                       /* the client sent everything */
	bool closing;                   /* close once output is written */
	struct loop_timer idle_timer;
};

struct control_server {
	struct loop *loop;
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	uint64_t next_id;
	uint64_t idle_ns;
	control_server_request on_request;
	void *arg;
	bool dispatching;
	struct control_client clients[CONTROL_SERVER_CLIENTS_MAX];
};

static void control_client_dispatch(struct control_client *client);

static void
control_client_close(struct control_client *client)
{
	struct control_server *server = client->server;

	if (client->fd < 0)
		return;
	loop_remove_fd(server->loop, client->fd);
	close(client->fd);
	loop_timer_cancel(server->loop, &client->idle_timer);
	free(client->input);
	free(client->output);
	client->fd = -1;
	client->input = NULL;
	client->output = NULL;
	client->input_length = 0;
	client->output_length = client->output_capacity = 0;
}

static void
control_client_touch(struct control_client *client)
{
	loop_timer_arm_in(client->server->loop, &client->idle_timer,
	    client->server->idle_ns);
}

/* The events to wait for: input while no request is pending and there is
 * room, output while some is left. */
static void
control_client_update(struct control_client *client)
{
	uint32_t events = 0;

	if (client->fd < 0)
		return;
	if (client->output_length == 0 && (client->closing ||
	    (client->eof && !client->pending))) {
		control_client_close(client);
		return;
	}
	if (!client->pending && !client->eof && !client->closing &&
	    client->input_length <= CONTROL_REQUEST_MAX)
		events |= EPOLLIN;
	if (client->output_length > 0)
		events |= EPOLLOUT;
	loop_modify_fd(client->server->loop, client->fd, events);
}

static void
control_client_write(struct control_client *client)
{
	while (client->output_length > 0) {
		ssize_t n = send(client->fd, client->output,
		    client->output_length, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* The client went away: nothing more to say. */
			client->output_length = 0;
			client->closing = true;
			break;
		}
		memmove(client->output, client->output + n,
		    client->output_length - (size_t)n);
		client->output_length -= (size_t)n;
		control_client_touch(client);
	}
}

static void
control_client_append(struct control_client *client, const char *text)
{
	size_t length = strlen(text);

	if (client->output_length + length > CONTROL_SERVER_OUTPUT_MAX) {
		log_warnx("control socket: a client does not read its replies "
		    "(%zu bytes waiting); closing it", client->output_length);
		client->output_length = 0;
		client->closing = true;
		return;
	}
	if (client->output_length + length > client->output_capacity) {
		client->output_capacity = client->output_length + length +
		    4096;
		client->output = xrealloc(client->output,
		    client->output_capacity);
	}
	memcpy(client->output + client->output_length, text, length);
	client->output_length += length;
}

static struct control_client *
control_server_find(struct control_server *server, uint64_t id)
{
	for (size_t i = 0; i < CONTROL_SERVER_CLIENTS_MAX; i++)
		if (server->clients[i].fd >= 0 && server->clients[i].id == id)
			return &server->clients[i];
	return NULL;
}

void
control_server_reply(struct control_server *server, uint64_t id,
    const char *text)
{
	struct control_client *client = control_server_find(server, id);

	if (client == NULL || !client->pending)
		return;
	client->pending = false;
	control_client_append(client, text);
	control_client_write(client);
	if (!server->dispatching)
		control_client_dispatch(client);
}

/* Hand over the complete requests in the input, one at a time. */
static void
control_client_dispatch(struct control_client *client)
{
	struct control_server *server = client->server;

	server->dispatching = true;
	while (client->fd >= 0 && !client->pending && !client->closing) {
		char *newline = memchr(client->input, '\n',
		    client->input_length);
		size_t length;

		if (newline == NULL) {
			if (client->input_length > CONTROL_REQUEST_MAX) {
				char *reply = control_reply_render(
				    control_reply_error(
				    CONTROL_ERROR_BAD_REQUEST, "request longer "
				    "than %d bytes", CONTROL_REQUEST_MAX));
				control_client_append(client, reply);
				free(reply);
				client->closing = true;
			} else if (client->eof && client->input_length > 0) {
				/* A last request without its newline. */
				newline = client->input + client->input_length;
			}
			if (newline == NULL)
				break;
		}
		length = (size_t)(newline - client->input);
		client->pending = true;
		if (length > 0 && newline[-1] == '\r')
			length--;
		if (length == 0)
			client->pending = false;        /* an empty line */
		else
			server->on_request(server, client->id, client->input,
			    length, server->arg);
		if (client->fd < 0)
			break;
		length = (size_t)(newline - client->input);
		if (length < client->input_length)
			length++;
		memmove(client->input, client->input + length,
		    client->input_length - length);
		client->input_length -= length;
	}
	server->dispatching = false;
	if (client->fd >= 0) {
		control_client_write(client);
		control_client_update(client);
	}
}

static void
control_client_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct control_client *client = arg;

	(void)loop;
	(void)fd;
	if ((events & (EPOLLHUP | EPOLLERR)) && client->pending) {
		/* Gone while we work on its request: the reply is dropped. */
		control_client_close(client);
		return;
	}
	if (events & EPOLLOUT)
		control_client_write(client);
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !client->pending &&
	    !client->eof) {
		size_t room = CONTROL_REQUEST_MAX + 2 - client->input_length;
		ssize_t n = room == 0 ? 0 : recv(client->fd,
		    client->input + client->input_length, room, MSG_DONTWAIT);
		if (n > 0) {
			client->input_length += (size_t)n;
			control_client_touch(client);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR &&
		    errno != EWOULDBLOCK)) {
			client->eof = true;
			if (n < 0)
				client->closing = true;
		}
	}
	control_client_dispatch(client);
}

static void
control_client_idle(struct loop *loop, void *arg)
{
	struct control_client *client = arg;

	(void)loop;
	if (client->pending) {
		/* We are the slow one (a reload loading): wait. */
		control_client_touch(client);
		return;
	}
	log_debug("control socket: closing a client idle for %.0f s",
	    (double)client->server->idle_ns / 1e9);
	control_client_close(client);
}

static void
control_server_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct control_server *server = arg;
	struct control_client *client = NULL;

	(void)events;
	for (int rounds = 0; rounds < 16; rounds++) {
		int client_fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (client_fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("control socket %s: accept",
				    server->path);
			return;
		}
		client = NULL;
		for (size_t i = 0; i < CONTROL_SERVER_CLIENTS_MAX; i++)
			if (server->clients[i].fd < 0) {
				client = &server->clients[i];
				break;
			}
		if (client == NULL) {
			char *reply = control_reply_render(control_reply_error(
			    CONTROL_ERROR_BUSY, "%d clients are connected "
			    "already; try again", CONTROL_SERVER_CLIENTS_MAX));
			(void)send(client_fd, reply, strlen(reply),
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			free(reply);
			close(client_fd);
			continue;
		}
		memset(client, 0, sizeof(*client));
		client->server = server;
		client->fd = client_fd;
		client->id = ++server->next_id;
		client->input = xmalloc(CONTROL_REQUEST_MAX + 2);
		loop_timer_init(&client->idle_timer, control_client_idle,
		    client);
		if (loop_add_fd(loop, client_fd, EPOLLIN,
		    control_client_readable, client) != 0) {
			close(client_fd);
			free(client->input);
			client->input = NULL;
			client->fd = -1;
			continue;
		}
		control_client_touch(client);
	}
}

/* Is a live instance answering on path? False for a stale socket file. */
static bool
control_server_live(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	bool live;

	if (fd < 0)
		return false;
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	live = connect(fd, (struct sockaddr *)&address, sizeof(address)) ==
	    0 || errno == EAGAIN || errno == EINPROGRESS;
	close(fd);
	return live;
}

enum control_server_open_result
control_server_open(struct loop *loop, const char *path, gid_t gid,
    control_server_request on_request, void *arg,
    struct control_server **out)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	struct control_server *server;
	struct stat st;
	mode_t mask;
	int fd, rc;

	*out = NULL;
	if (strlen(path) >= sizeof(address.sun_path)) {
		log_error("control socket %s: the path is longer than %zu "
		    "bytes; set a shorter control.socket; running without a "
		    "control socket", path, sizeof(address.sun_path) - 1);
		return CONTROL_SERVER_UNAVAILABLE;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("control socket %s: exists and is not a "
			    "socket; remove it or set another control.socket; "
			    "running without a control socket", path);
			return CONTROL_SERVER_UNAVAILABLE;
		}
		if (control_server_live(path)) {
			log_error("control socket %s is in use by another "
			    "running instance; stop that instance, or give "
			    "this one its own control.socket", path);
			return CONTROL_SERVER_IN_USE;
		}
		/* Left behind by an instance that died: ours to reclaim. */
		if (unlink(path) != 0 && errno != ENOENT) {
			log_warn("control socket %s: cannot remove the stale "
			    "socket; running without a control socket", path);
			return CONTROL_SERVER_UNAVAILABLE;
		}
		log_info("control socket %s: reclaimed a stale socket", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_warn("control socket %s: socket; running without it",
		    path);
		return CONTROL_SERVER_UNAVAILABLE;
	}
	/* Never reachable by others, not even between bind and chmod. */
	mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&address, sizeof(address));
	umask(mask);
	if (rc != 0) {
		char *copy = xstrdup(path);
		/* Not an error of the daemon's job: it runs on, and the
		 * package's tmpfiles.d entry makes the directory. */
		if (errno == ENOENT)
			log_warnx("control socket %s: the directory %s does not "
			    "exist; create it (the package's tmpfiles.d does: "
			    "systemd-tmpfiles --create) or set control.socket; "
			    "running without a control socket", path,
			    dirname(copy));
		else
			log_warn("control socket %s: bind; running without a "
			    "control socket", path);
		free(copy);
		close(fd);
		return CONTROL_SERVER_UNAVAILABLE;
	}
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0)
		log_warn("control socket %s: cannot give it to group %u; only "
		    "its owner can use it", path, (unsigned)gid);
	if (chmod(path, CONTROL_SERVER_MODE) != 0)
		log_warn("control socket %s: chmod", path);
	if (listen(fd, 16) != 0 || stat(path, &st) != 0) {
		log_warn("control socket %s: listen; running without it",
		    path);
		unlink(path);
		close(fd);
		return CONTROL_SERVER_UNAVAILABLE;
	}
	server = xcalloc(1, sizeof(*server));
	server->loop = loop;
	server->fd = fd;
	server->path = xstrdup(path);
	server->dev = st.st_dev;
	server->ino = st.st_ino;
	server->idle_ns = CONTROL_SERVER_IDLE_NS;
	server->on_request = on_request;
	server->arg = arg;
	for (size_t i = 0; i < CONTROL_SERVER_CLIENTS_MAX; i++)
		server->clients[i].fd = -1;
	if (loop_add_fd(loop, fd, EPOLLIN, control_server_accept,
	    server) != 0) {
		control_server_close(server);
		return CONTROL_SERVER_UNAVAILABLE;
	}
	log_info("control socket %s", path);
	*out = server;
	return CONTROL_SERVER_OPENED;
}

void
control_server_close(struct control_server *server)
{
	struct stat st;

	if (server == NULL)
		return;
	for (size_t i = 0; i < CONTROL_SERVER_CLIENTS_MAX; i++)
		control_client_close(&server->clients[i]);
	loop_remove_fd(server->loop, server->fd);
	close(server->fd);
	/* Only the socket we made: a new instance may have its own there. */
	if (stat(server->path, &st) == 0 && st.st_dev == server->dev &&
	    st.st_ino == server->ino)
		unlink(server->path);
	free(server->path);
	free(server);
}

void
control_server_set_idle(struct control_server *server, uint64_t ns)
{
	server->idle_ns = ns;
}

size_t
control_server_clients(const struct control_server *server)
{
	size_t count = 0;

	for (size_t i = 0; i < CONTROL_SERVER_CLIENTS_MAX; i++)
		if (server->clients[i].fd >= 0)
			count++;
	return count;
}
