/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: ExaBGP text API
 *
 * The lines follow ExaBGP 4.2's API grammar (reactor/api/command/announce.py
 * and configuration/static/): an optional neighbor selector, the command,
 * the prefix, then "next-hop" first and the attributes. Several neighbors
 * are separated by " , ": ExaBGP splits the selector on spaces and a lone
 * "," starts the next neighbor (reactor/api/command/limit.py). It rewrites
 * every "," to " , " before parsing (configuration/core/format.py), so
 * "neighbor A, neighbor B" works too; we write the form it parses. Lists
 * are always bracketed, which the API accepts for one element too.
 *
 * Replies: with exabgp.api.ack = true ExaBGP answers every command with one
 * "done" or "error" line, in order; on shutdown the text encoder sends
 * "shutdown PID PPID" (the JSON encoder a notification object).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exabgp.h"
#include "log.h"

/* A line being built in a caller's buffer; once it overflows it stays
 * failed and every later append is a no-op. */
struct exabgp_line {
	char *buf;
	size_t size;
	size_t length;
	bool overflow;
};

static void exabgp_append(struct exabgp_line *line, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
exabgp_append(struct exabgp_line *line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line->buf + line->length, line->size - line->length, fmt,
	    ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= line->size - line->length) {
		line->overflow = true;
		return;
	}
	line->length += (size_t)n;
}

static const char *
exabgp_extended_community_kind(enum extended_community_kind kind)
{
	switch (kind) {
	case EXTENDED_COMMUNITY_TARGET:
		return "target";
	case EXTENDED_COMMUNITY_ORIGIN:
		return "origin";
	}
	return "target";
}

static void
exabgp_append_neighbors(struct exabgp_line *line, char *const *neighbors,
    size_t neighbor_count)
{
	for (size_t i = 0; i < neighbor_count; i++)
		exabgp_append(line, "%sneighbor %s", i > 0 ? " , " : "",
		    neighbors[i]);
	if (neighbor_count > 0)
		exabgp_append(line, " ");
}

static void
exabgp_append_next_hop(struct exabgp_line *line, const struct prefix *prefix,
    const struct announce_attributes *attributes)
{
	const char *next_hop = NULL;

	if (attributes != NULL)
		next_hop = prefix->family == AF_INET6 ?
		    attributes->next_hop_ipv6 : attributes->next_hop_ipv4;
	exabgp_append(line, " next-hop %s", next_hop != NULL ? next_hop : "self");
}

static void
exabgp_append_attributes(struct exabgp_line *line,
    const struct announce_attributes *attributes, uint32_t local_as)
{
	if (attributes->has_med)
		exabgp_append(line, " med %u", attributes->med);
	if (attributes->has_local_preference)
		exabgp_append(line, " local-preference %u",
		    attributes->local_preference);
	if (attributes->community_count > 0) {
		exabgp_append(line, " community [");
		for (size_t i = 0; i < attributes->community_count; i++)
			exabgp_append(line, "%s%u:%u", i > 0 ? " " : "",
			    attributes->communities[i].asn,
			    attributes->communities[i].value);
		exabgp_append(line, "]");
	}
	if (attributes->large_community_count > 0) {
		exabgp_append(line, " large-community [");
		for (size_t i = 0; i < attributes->large_community_count; i++)
			exabgp_append(line, "%s%u:%u:%u", i > 0 ? " " : "",
			    attributes->large_communities[i].global,
			    attributes->large_communities[i].local1,
			    attributes->large_communities[i].local2);
		exabgp_append(line, "]");
	}
	if (attributes->extended_community_count > 0) {
		exabgp_append(line, " extended-community [");
		for (size_t i = 0; i < attributes->extended_community_count;
		    i++) {
			const struct extended_community *community =
			    &attributes->extended_communities[i];
			exabgp_append(line, "%s%s:%u:%u", i > 0 ? " " : "",
			    exabgp_extended_community_kind(community->kind),
			    community->admin, community->value);
		}
		exabgp_append(line, "]");
	}
	/* ExaBGP sends an explicit AS path verbatim, without adding its own
	 * AS, so the path is our AS once (as eBGP would send it) plus the
	 * prepends: the same path BIRD's bgp_path.prepend() gives. */
	if (attributes->as_path_prepend > 0 && local_as != 0) {
		exabgp_append(line, " as-path [");
		for (unsigned i = 0; i <= attributes->as_path_prepend; i++)
			exabgp_append(line, "%s%u", i > 0 ? " " : "", local_as);
		exabgp_append(line, "]");
	}
}

static void
exabgp_append_path_id(struct exabgp_line *line,
    const struct announce_attributes *attributes)
{
	if (attributes != NULL && attributes->has_path_id)
		exabgp_append(line, " path-information %u",
		    attributes->path_id);
}

static int
exabgp_finish(struct exabgp_line *line)
{
	exabgp_append(line, "\n");
	if (line->overflow) {
		if (line->size > 0)
			line->buf[0] = '\0';
		return -1;
	}
	return (int)line->length;
}

/* Render an "announce route" line for one prefix into buf. */
int
exabgp_render_announce(char *buf, size_t size, const struct prefix *prefix,
    const struct announce_attributes *attributes, uint32_t local_as,
    char *const *neighbors, size_t neighbor_count)
{
	struct exabgp_line line = { buf, size, 0, size == 0 || size > INT32_MAX };

	exabgp_append_neighbors(&line, neighbors, neighbor_count);
	exabgp_append(&line, "announce route %s", prefix->text);
	exabgp_append_next_hop(&line, prefix, attributes);
	if (attributes != NULL)
		exabgp_append_attributes(&line, attributes, local_as);
	exabgp_append_path_id(&line, attributes);
	return exabgp_finish(&line);
}

/* Render a "withdraw route" line; it carries the announce's path-information
 * so that exactly that path is withdrawn. */
int
exabgp_render_withdraw(char *buf, size_t size, const struct prefix *prefix,
    const struct announce_attributes *attributes,
    char *const *neighbors, size_t neighbor_count)
{
	struct exabgp_line line = { buf, size, 0, size == 0 || size > INT32_MAX };

	exabgp_append_neighbors(&line, neighbors, neighbor_count);
	exabgp_append(&line, "withdraw route %s", prefix->text);
	/* ExaBGP indexes its RIB by family, path-information and prefix, not
	 * by next-hop, so "self" withdraws whatever next-hop was announced. */
	exabgp_append(&line, " next-hop self");
	exabgp_append_path_id(&line, attributes);
	return exabgp_finish(&line);
}

/* Does line start with word, followed by the end or whitespace? */
static bool
exabgp_reply_is(const char *line, size_t length, const char *word)
{
	size_t word_length = strlen(word);

	if (length < word_length || strncmp(line, word, word_length) != 0)
		return false;
	return length == word_length ||
	    isspace((unsigned char)line[word_length]);
}

/* Classify one reply line from ExaBGP. */
enum exabgp_reply
exabgp_parse_reply(const char *line)
{
	size_t length = strlen(line);

	while (length > 0 && isspace((unsigned char)line[length - 1]))
		length--;
	if (exabgp_reply_is(line, length, "done"))
		return EXABGP_REPLY_DONE;
	if (exabgp_reply_is(line, length, "error"))
		return EXABGP_REPLY_ERROR;
	/* Text encoder: "shutdown PID PPID". */
	if (exabgp_reply_is(line, length, "shutdown"))
		return EXABGP_REPLY_SHUTDOWN;
	/* JSON encoder: { ..., "type": "notification", "notification":
	 * "shutdown" }. */
	if (length > 0 && line[0] == '{' &&
	    strstr(line, "\"notification\": \"shutdown\"") != NULL)
		return EXABGP_REPLY_SHUTDOWN;
	return EXABGP_REPLY_OTHER;
}

/* Start with nothing pending. */
void
exabgp_ack_tracker_init(struct exabgp_ack_tracker *tracker)
{
	memset(tracker, 0, sizeof(*tracker));
}

/* Forget and free every pending command. */
void
exabgp_ack_tracker_free(struct exabgp_ack_tracker *tracker)
{
	while (tracker->count > 0) {
		free(tracker->pending[tracker->head]);
		tracker->pending[tracker->head] = NULL;
		tracker->head = (tracker->head + 1) % EXABGP_ACK_PENDING_MAX;
		tracker->count--;
	}
	tracker->head = 0;
}

/* Remember a command just written, dropping the oldest when full. */
void
exabgp_ack_tracker_sent(struct exabgp_ack_tracker *tracker,
    const char *command)
{
	size_t tail;

	if (tracker->count == EXABGP_ACK_PENDING_MAX) {
		free(tracker->pending[tracker->head]);
		tracker->pending[tracker->head] = NULL;
		tracker->head = (tracker->head + 1) % EXABGP_ACK_PENDING_MAX;
		tracker->count--;
		tracker->dropped++;
	}
	tail = (tracker->head + tracker->count) % EXABGP_ACK_PENDING_MAX;
	tracker->pending[tail] = xstrdup(command);
	tracker->count++;
}

/* A done/error arrived: hand back the oldest pending command, or NULL. */
char *
exabgp_ack_tracker_reply(struct exabgp_ack_tracker *tracker)
{
	char *command;

	tracker->acks_seen = true;
	if (tracker->count == 0)
		return NULL;
	command = tracker->pending[tracker->head];
	tracker->pending[tracker->head] = NULL;
	tracker->head = (tracker->head + 1) % EXABGP_ACK_PENDING_MAX;
	tracker->count--;
	return command;
}
