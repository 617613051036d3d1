/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control socket
 *
 * A UNIX stream socket served from the event loop: non-blocking accepts,
 * reads and writes, never a wait. Each client sends newline-delimited
 * requests (at most CONTROL_REQUEST_MAX bytes each) and gets one reply
 * line per request, in order; a request is handed to the owner's callback,
 * which answers at once or later (a reload answers when it is done), and
 * the next request of that client is read only after the reply. At most
 * CONTROL_SERVER_CLIENTS_MAX clients at once (one more is told "busy" and
 * closed), and a client idle for CONTROL_SERVER_IDLE_NS (not reading its
 * reply, not sending) is closed.
 *
 * At start a socket file left by a dead instance is reclaimed; one that
 * another running instance answers on is an error, so two daemons never
 * steal each other's socket. The socket gets mode 0660 and, when given,
 * the group that may use it.
 */
#ifndef ANYCHECK_CONTROL_SERVER_H
#define ANYCHECK_CONTROL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

#define CONTROL_SERVER_CLIENTS_MAX 8
#define CONTROL_SERVER_IDLE_NS (30ULL * 1000000000ULL)
#define CONTROL_SERVER_MODE 0660

struct control_server;

/* A request line (no newline) from client: answer with
 * control_server_reply, now or later. */
typedef void (*control_server_request)(struct control_server *server,
    uint64_t client, const char *line, size_t length, void *arg);

enum control_server_open_result {
	CONTROL_SERVER_OPENED,
	CONTROL_SERVER_UNAVAILABLE,     /* logged: run on without it */
	CONTROL_SERVER_IN_USE,          /* logged: another instance has it */
};

/* Listen on path (gid: the socket's group, (gid_t)-1 to leave it). */
enum control_server_open_result control_server_open(struct loop *loop,
    const char *path, gid_t gid, control_server_request on_request,
    void *arg, struct control_server **out);
/* Close every client and the socket, and remove the socket file (if it
 * is still ours). NULL is fine. */
void control_server_close(struct control_server *server);

/* Send text (one or more lines, each ending in "\n") as the answer to
 * client's pending request; ignored when the client is gone. Then the
 * client's next request is read. */
void control_server_reply(struct control_server *server, uint64_t client,
    const char *text);

/* The idle timeout (tests shorten it). */
void control_server_set_idle(struct control_server *server, uint64_t ns);
/* Clients connected now. */
size_t control_server_clients(const struct control_server *server);

#endif
