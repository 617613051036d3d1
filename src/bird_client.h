/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD control-socket client
 *
 * A non-blocking client of BIRD's control socket on the event loop, the
 * way birdc talks to BIRD but without forking it: connect, read the
 * greeting, then send commands from a bounded queue, each with its own
 * timeout. Commands are pipelined: BIRD reads its control socket in order
 * and answers in order, so several are written back to back and replies
 * are matched to them in order. The bytes written and not yet answered are
 * kept under BIRD_CLIENT_PIPELINE_BYTES: BIRD (2.0.12, sysdep/unix) reads
 * commands into a 1024-byte buffer and closes the connection when that
 * buffer is full of commands it has not processed yet. When the socket is missing or BIRD goes away it
 * reconnects with exponential back-off (0.1 s doubling to 0.5 s) and calls
 * on_connected again, so that its owner can re-apply its state: a restarted
 * or reconfigured BIRD has forgotten every "enable". The back-off starts
 * again from 0.1 s only once a connection has lasted BIRD_CLIENT_HEALTHY_NS:
 * a socket that greets and hangs up at once is retried every 0.5 s, not
 * ten times a second. Lines about failing connections go through a
 * rate-limited log (log_limited): a failure that repeats shows once, then
 * as a count.
 */
#ifndef ANYCHECK_BIRD_CLIENT_H
#define ANYCHECK_BIRD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_reply.h"
#include "loop.h"

#define BIRD_CLIENT_QUEUE_MAX 256
/* Bytes sent and not yet answered; half of BIRD's 1024-byte read buffer
 * (measured: 64 pipelined 16-byte "disable" lines made BIRD 2.0.12 drop
 * the connection, 32 never did). */
#define BIRD_CLIENT_PIPELINE_BYTES 512
#define BIRD_CLIENT_COMMAND_MAX 256
#define BIRD_CLIENT_DEFAULT_TIMEOUT_NS (5ULL * 1000000000ULL)
#define BIRD_CLIENT_BACKOFF_MIN_NS (100ULL * 1000000ULL)
/* Short: a restarted BIRD must get its state back within a second, and a
 * connect() to a missing UNIX socket costs next to nothing. */
#define BIRD_CLIENT_BACKOFF_MAX_NS (500ULL * 1000000ULL)
/* How long a connection must last before its end resets the back-off. */
#define BIRD_CLIENT_HEALTHY_NS (10ULL * 1000000000ULL)

struct bird_client;

enum bird_client_result {
	BIRD_CLIENT_REPLY,          /* reply is BIRD's answer (maybe an error) */
	BIRD_CLIENT_TIMEOUT,        /* no answer in time; connection reset */
	BIRD_CLIENT_DISCONNECTED,   /* the connection went away first */
	BIRD_CLIENT_CANCELLED,      /* the client was freed */
};

/* reply is NULL unless result is BIRD_CLIENT_REPLY. */
typedef void (*bird_client_reply_callback)(struct bird_client *client,
    enum bird_client_result result, const struct bird_reply *reply,
    void *arg);

/* One line of a reply, as it arrives (code, text without the code), for
 * replies too long to keep whole ("show protocols" of thousands). The
 * final line comes last, before the reply callback. */
typedef void (*bird_client_line_callback)(struct bird_client *client,
    unsigned code, const char *text, void *arg);

struct bird_client_callbacks {
	/* The greeting arrived; version is e.g. "2.0.12". */
	void (*connected)(struct bird_client *client, const char *version,
	    void *arg);
	/* A connection that had greeted us is gone (optional). */
	void (*disconnected)(struct bird_client *client, void *arg);
	void *arg;
};

/* Create a client for the socket at path; nothing happens before
 * bird_client_start. */
struct bird_client *bird_client_new(struct loop *loop, const char *path,
    const struct bird_client_callbacks *callbacks);
/* Close the connection; pending commands get BIRD_CLIENT_CANCELLED. Not to
 * be called from one of the client's own callbacks. */
void bird_client_free(struct bird_client *client);
/* Start connecting (and keep reconnecting). */
void bird_client_start(struct bird_client *client);

bool bird_client_connected(const struct bird_client *client);
/* Commands that ended, by how (for metrics): answered with success, with
 * an error code (8xxx, 9xxx), or not at all (timeout, connection lost). */
struct bird_client_counts {
	unsigned long ok;
	unsigned long error;
	unsigned long failed;
};
void bird_client_get_counts(const struct bird_client *client,
    struct bird_client_counts *out);
/* Commands queued or in flight. */
size_t bird_client_pending(const struct bird_client *client);
/* Delay before the next connection attempt (for tests and logs). */
uint64_t bird_client_backoff_ns(const struct bird_client *client);

/* Queue command (one line, no newline) with a timeout in nanoseconds (0:
 * the default 5 s). Returns 0, or -1 without calling callback when not
 * connected, the queue is full or the command is invalid. */
int bird_client_command(struct bird_client *client, const char *command,
    uint64_t timeout_ns, bird_client_reply_callback callback, void *arg);
/* The same, with line called for every line of the reply as it arrives
 * (the reply handed to callback is capped: see struct bird_reply). */
int bird_client_command_lines(struct bird_client *client, const char *command,
    uint64_t timeout_ns, bird_client_line_callback line,
    bird_client_reply_callback callback, void *arg);
/* "enable", "disable" and "show protocols all" of one protocol, the name
 * quoted so that an unknown name is 8003 rather than a parse error. The
 * name must satisfy bird_protocol_name_valid. */
int bird_client_enable(struct bird_client *client, const char *protocol,
    bird_client_reply_callback callback, void *arg);
int bird_client_disable(struct bird_client *client, const char *protocol,
    bird_client_reply_callback callback, void *arg);
int bird_client_show_protocol(struct bird_client *client, const char *protocol,
    bird_client_reply_callback callback, void *arg);
/* "show protocols": one row (code 1002) per protocol, through line. */
int bird_client_show_protocols(struct bird_client *client,
    bird_client_line_callback line, bird_client_reply_callback callback,
    void *arg);
int bird_client_show_status(struct bird_client *client,
    bird_client_reply_callback callback, void *arg);

#endif
