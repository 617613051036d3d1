/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control module: operator requests, kept and served
 *
 * What anycheckctl asks a running daemon goes through here: status, a
 * check now, a reload (answered when it is done, with every error line),
 * a dump, operator maintenance with a reason, and traffic shifts. The
 * requests that change how a service is announced (maintenance, shift) are
 * kept in a state file under state_directory (control_state.h) and applied
 * again at the next start, before the first check runs; requests for
 * services that no longer exist are dropped with a log line. A shift with
 * a length ends on the monotonic clock while running (its wall-clock
 * deadline is what the state file keeps).
 *
 * The socket itself is control_server.c; the wire format
 * control_protocol.c; the status document control_status.c.
 */
#ifndef ANYCHECK_CONTROL_H
#define ANYCHECK_CONTROL_H

#include <jansson.h>

#include "control_protocol.h"

struct daemon;
struct control;

/* The default control socket of a program:
 * "/run/anycheck/PROGRAM.sock". */
#define CONTROL_SOCKET_DIRECTORY "/run/anycheck"

/* Attach to daemon (its supervisor exists, no round has run): restore
 * the operator requests kept for this program and config, and listen on
 * control.socket (or daemon->control_socket_default). A socket that cannot
 * be made is logged and the daemon runs without it. Returns 0, or -1 when
 * another running instance holds the socket (logged with the fix). */
int control_attach(struct daemon *daemon);
/* Close the socket and free everything (requests stay in the file). */
void control_detach(struct daemon *daemon);

/* Run one request and return its reply, or NULL when the reply comes
 * later through reply(client, text, arg) (a reload). For the socket and
 * for tests. */
json_t *control_execute(struct control *control,
    const struct control_request *request, uint64_t client);

#endif
