/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the control protocol (anycheckctl <-> daemon), without sockets
 *
 * Newline-delimited JSON over a UNIX stream socket: one request per line,
 * one reply line per request, in order. Every message carries "version"
 * (CONTROL_PROTOCOL_VERSION); a daemon answers a request of a version it
 * does not speak, or a command it does not know, with an error reply that
 * says so, so an old daemon and a new anycheckctl understand each other
 * well enough to tell the operator.
 *
 *   -> {"version":1,"command":"status","services":["web"]}
 *   <- {"version":1,"ok":true,"command":"status","services":[...],...}
 *   -> {"version":1,"command":"maintenance","service":"web","on":true,
 *       "reason":"kernel upgrade"}
 *   -> {"version":1,"command":"shift","service":"web","med":500,
 *       "prepend":2,"communities":["65000:1"],"for":600}
 *   -> {"version":1,"command":"shift","service":"web","clear":true}
 *   <- {"version":1,"ok":false,"code":"unknown-service","error":"...",
 *       "services":["web","api"]}
 *
 * This module parses requests into a struct and renders replies; it has
 * no file descriptors, so it is tested directly (test_control_protocol.c).
 * control.c runs the commands, control_server.c carries the lines.
 */
#ifndef ANYCHECK_CONTROL_PROTOCOL_H
#define ANYCHECK_CONTROL_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "supervisor.h"

#define CONTROL_PROTOCOL_VERSION 1
/* A request line, newline excluded. */
#define CONTROL_REQUEST_MAX (64 * 1024)
/* A maintenance reason: printable text, logged and kept in the state. */
#define CONTROL_REASON_MAX 256
/* The longest shift: a year. */
#define CONTROL_SHIFT_FOR_MAX (366.0 * 86400.0)

enum control_command {
	CONTROL_COMMAND_STATUS,
	CONTROL_COMMAND_MAINTENANCE,
	CONTROL_COMMAND_CHECK,
	CONTROL_COMMAND_RELOAD,
	CONTROL_COMMAND_DUMP,
	CONTROL_COMMAND_VERSION,
	CONTROL_COMMAND_SHIFT,
	CONTROL_COMMAND_COUNT,
};

/* Error codes of replies (the "code" member). */
#define CONTROL_ERROR_BAD_REQUEST "bad-request"
#define CONTROL_ERROR_VERSION "unsupported-version"
#define CONTROL_ERROR_UNKNOWN_COMMAND "unknown-command"
#define CONTROL_ERROR_UNKNOWN_SERVICE "unknown-service"
#define CONTROL_ERROR_REFUSED "refused"
#define CONTROL_ERROR_BUSY "busy"

/* One parsed request. Strings point into root, which the request owns. */
struct control_request {
	enum control_command command;
	json_t *root;
	/* status: the services asked for (none: all). */
	const char **services;
	size_t service_count;
	/* maintenance, check, shift */
	const char *service;
	/* maintenance */
	bool on;
	const char *reason;             /* "" when none was given */
	/* shift: clear, or the shift (communities owned) and its length in
	 * seconds (0: until cleared) */
	bool clear;
	struct supervisor_shift shift;
	double for_seconds;
	/* dump: "text" rather than JSON */
	bool text;
};

const char *control_command_name(enum control_command command);

/* Parse one request line (length bytes, no newline). Returns 0 and fills
 * request (free with control_request_clear), or -1 with *error set to the
 * error reply to send (owned by the caller). */
int control_request_parse(const char *line, size_t length,
    struct control_request *request, json_t **error);
void control_request_clear(struct control_request *request);

/* A shift from its JSON form ({"med":N,"prepend":N,"communities":[...]}),
 * each value bounded as in the config (prepend 0..32, at most
 * CONFIG_COMMUNITIES_MAX communities, no leading zeros). Returns 0, or -1
 * with why filled. out->communities is owned (free it). */
int control_shift_from_json(const json_t *object, struct supervisor_shift *out,
    char *why, size_t why_size);
/* The JSON form of a shift (new reference). */
json_t *control_shift_to_json(const struct supervisor_shift *shift);
/* "med 500, prepend 2, communities 65000:1" for logs and text. */
void control_shift_describe(const struct supervisor_shift *shift, char *out,
    size_t size);

/* {"version":1,"ok":true,"command":NAME}: add the payload to it. */
json_t *control_reply_ok(enum control_command command);
/* {"version":1,"ok":false,"code":CODE,"error":MESSAGE}. */
json_t *control_reply_error(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The reply as one line ending in "\n" (owned; free it). Steals reply. */
char *control_reply_render(json_t *reply);

#endif
