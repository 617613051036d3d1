/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: ExaBGP text API
 *
 * Pure functions for the two directions of ExaBGP's process API: rendering
 * the "announce route" / "withdraw route" lines anycheck-exabgp writes on
 * stdout, and parsing the lines ExaBGP writes back on stdin ("done",
 * "error", "shutdown"). The ack tracker matches replies to the commands
 * sent, in order, and copes with exabgp.api.ack = false (no replies ever)
 * without growing without bound or waiting for anything.
 */
#ifndef ANYCHECK_EXABGP_H
#define ANYCHECK_EXABGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define EXABGP_LINE_MAX 4096

/* Render one line (with its trailing "\n") into buf. Returns its length, or
 * -1 if it does not fit. neighbors (may be empty) target the command. */
int exabgp_render_announce(char *buf, size_t size, const struct prefix *prefix,
    const struct announce_attributes *attributes, uint32_t local_as,
    char *const *neighbors, size_t neighbor_count);
int exabgp_render_withdraw(char *buf, size_t size, const struct prefix *prefix,
    const struct announce_attributes *attributes,
    char *const *neighbors, size_t neighbor_count);

enum exabgp_reply {
	EXABGP_REPLY_DONE,
	EXABGP_REPLY_ERROR,
	EXABGP_REPLY_SHUTDOWN,
	EXABGP_REPLY_OTHER,     /* anything else: logged at debug, ignored */
};
/* Classify one line read from ExaBGP (without its newline). */
enum exabgp_reply exabgp_parse_reply(const char *line);

/* Matches done/error replies to the commands sent, oldest first. */
#define EXABGP_ACK_PENDING_MAX 256
struct exabgp_ack_tracker {
	char *pending[EXABGP_ACK_PENDING_MAX]; /* ring of owned command copies */
	size_t head;
	size_t count;
	bool acks_seen;         /* at least one done/error ever arrived */
	size_t dropped;         /* commands forgotten because the ring was full */
};
void exabgp_ack_tracker_init(struct exabgp_ack_tracker *tracker);
void exabgp_ack_tracker_free(struct exabgp_ack_tracker *tracker);
/* Remember a command just written (a copy is kept). When the ring is full
 * the oldest is dropped: with api.ack = false nothing is ever acked. */
void exabgp_ack_tracker_sent(struct exabgp_ack_tracker *tracker,
    const char *command);
/* A reply arrived: returns the command it answers (owned by the caller,
 * free it) or NULL when none was pending. */
char *exabgp_ack_tracker_reply(struct exabgp_ack_tracker *tracker);

#endif
