/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: talking to ExaBGP over the process pipes
 *
 * anycheck-exabgp's stdout is ExaBGP's command pipe and its stdin carries
 * ExaBGP's replies. Both are non-blocking on the event loop: commands are
 * queued in memory and written when the pipe is writable, so a slow ExaBGP
 * never stalls health checking; stdin is drained on every readiness event,
 * so replies never pile up in ExaBGP (which stalls when ~64 KiB of unread
 * "done" lines fill the pipe).
 */
#ifndef ANYCHECK_EXABGP_SPEAKER_H
#define ANYCHECK_EXABGP_SPEAKER_H

#include <stdbool.h>
#include <stddef.h>

#include "exabgp.h"
#include "line_reader.h"
#include "loop.h"

/* The owner sends only while less than this is waiting for ExaBGP to read
 * (exabgp_speaker_has_room); the rest waits in the owner's own state, which
 * coalesces changes (exabgp_routes.h). So the output stays bounded and a
 * stalled ExaBGP costs no memory per change. */
#define EXABGP_SPEAKER_HIGH_WATER (64u * 1024u)

struct exabgp_speaker;

/* ExaBGP said "shutdown", or closed our stdin (it exited), or stdout broke. */
typedef void (*exabgp_speaker_gone_callback)(struct exabgp_speaker *speaker,
    const char *why, void *arg);

struct exabgp_speaker {
	struct loop *loop;
	int input_fd;
	int output_fd;
	char *output;
	size_t output_length;
	size_t output_capacity;
	bool output_watched;
	bool input_open;
	bool output_open;
	struct line_reader reader;
	struct exabgp_ack_tracker acks;
	exabgp_speaker_gone_callback on_gone;
	void *on_gone_arg;
	/* Optional: called when ExaBGP read some output and there is room
	 * (below EXABGP_SPEAKER_HIGH_WATER) again. */
	void (*on_writable)(struct exabgp_speaker *speaker, void *arg);
	void *on_writable_arg;
	bool writable_pending;          /* the owner waits for room */
	unsigned long commands_sent;
	unsigned long replies_done;
	unsigned long replies_error;
};

/* Take over input_fd and output_fd (made non-blocking) on the loop. */
int exabgp_speaker_init(struct exabgp_speaker *speaker, struct loop *loop,
    int input_fd, int output_fd, exabgp_speaker_gone_callback on_gone,
    void *arg);
/* Queue one command line (ending in "\n") and try to write it now. The
 * speaker never drops a line; the owner keeps it bounded by sending only
 * while exabgp_speaker_has_room. */
void exabgp_speaker_send(struct exabgp_speaker *speaker, const char *line);
/* Is less than EXABGP_SPEAKER_HIGH_WATER waiting? When not, on_writable
 * is called once there is room again. */
bool exabgp_speaker_has_room(struct exabgp_speaker *speaker);
/* Is every queued byte written (or the pipe gone, so nothing can be)? */
bool exabgp_speaker_flushed(const struct exabgp_speaker *speaker);
void exabgp_speaker_cleanup(struct exabgp_speaker *speaker);

#endif
