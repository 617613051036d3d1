/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: fuzz target: ExaBGP's stdin bytes -> acks
 *
 * The input is a first byte that sets how commands are sent, then what
 * ExaBGP writes on anycheck-exabgp's stdin, fed the way exabgp_speaker.c
 * feeds it: through the bounded line reader into exabgp_parse_reply, each
 * "done" or "error" taken from the ack tracker, reading stopped at
 * "shutdown". The first byte's low six bits times 8 is how many commands
 * were sent before the stream (0 to 504: the ring of 256 overflows), and
 * its bit 0x40 sends one more after each line, so replies meet an empty, a
 * partly filled and a full ring. The stream is fed twice, in one chunk and
 * in chunks of 1 to 13 bytes, which must give the same replies.
 *
 * Checked besides memory errors, leaks and undefined behaviour: the tracker
 * answers every reply with the oldest command not yet answered or dropped
 * (a model FIFO says which), drops only when full, and never holds more
 * than EXABGP_ACK_PENDING_MAX.
 */
#include <stdbool.h>
#include <string.h>

#include "exabgp.h"
#include "fuzz.h"
#include "line_reader.h"

struct fuzz_pass {
	struct exabgp_ack_tracker tracker;
	/* The model: commands are numbered; those in [oldest, next) that
	 * were not dropped are pending, at most EXABGP_ACK_PENDING_MAX. */
	unsigned long oldest;
	unsigned long next;
	unsigned long dropped;
	bool send_per_line;
	bool shutdown;
	uint64_t digest;
	unsigned long replies[4];   /* per enum exabgp_reply */
};

static void
fuzz_send(struct fuzz_pass *pass)
{
	char command[96];

	snprintf(command, sizeof(command),
	    "announce route 192.0.2.%lu/32 next-hop self #%lu",
	    pass->next % 256, pass->next);
	exabgp_ack_tracker_sent(&pass->tracker, command);
	pass->next++;
	if (pass->next - pass->oldest > EXABGP_ACK_PENDING_MAX) {
		pass->oldest++;
		pass->dropped++;
	}
	FUZZ_EXPECT(pass->tracker.count == pass->next - pass->oldest);
	FUZZ_EXPECT(pass->tracker.dropped == pass->dropped);
}

static void
fuzz_acked(struct fuzz_pass *pass)
{
	char *command = exabgp_ack_tracker_reply(&pass->tracker);

	FUZZ_EXPECT(pass->tracker.acks_seen);
	if (pass->oldest == pass->next) {
		FUZZ_EXPECT(command == NULL);
		return;
	}
	FUZZ_EXPECT(command != NULL);
	const char *number = strrchr(command, '#');
	FUZZ_EXPECT(number != NULL &&
	    strtoul(number + 1, NULL, 10) == pass->oldest);
	free(command);
	pass->oldest++;
	FUZZ_EXPECT(pass->tracker.count == pass->next - pass->oldest);
}

static void
fuzz_on_line(const char *line, bool overlong, void *arg)
{
	struct fuzz_pass *pass = arg;
	enum exabgp_reply reply;

	(void)overlong;
	/* exabgp_speaker.c stops reading at shutdown. */
	if (pass->shutdown)
		return;
	FUZZ_EXPECT(strlen(line) < LINE_READER_MAX);
	reply = exabgp_parse_reply(line);
	FUZZ_EXPECT(reply <= EXABGP_REPLY_OTHER);
	pass->replies[reply]++;
	pass->digest = (pass->digest ^ (uint64_t)reply) * 1099511628211ULL;
	switch (reply) {
	case EXABGP_REPLY_DONE:
		FUZZ_EXPECT(strncmp(line, "done", 4) == 0);
		fuzz_acked(pass);
		break;
	case EXABGP_REPLY_ERROR:
		FUZZ_EXPECT(strncmp(line, "error", 5) == 0);
		fuzz_acked(pass);
		break;
	case EXABGP_REPLY_SHUTDOWN:
		pass->shutdown = true;
		return;
	case EXABGP_REPLY_OTHER:
		break;
	}
	if (pass->send_per_line)
		fuzz_send(pass);
}

static void
fuzz_feed(struct fuzz_pass *pass, uint8_t control, const uint8_t *data,
    size_t size, bool chunked)
{
	struct line_reader reader;
	size_t offset = 0;

	memset(pass, 0, sizeof(*pass));
	pass->digest = 14695981039346656037ULL;
	pass->send_per_line = (control & 0x40) != 0;
	exabgp_ack_tracker_init(&pass->tracker);
	line_reader_init(&reader);
	for (unsigned i = 0; i < (control & 0x3fu) * 8u; i++)
		fuzz_send(pass);
	while (offset < size && !pass->shutdown) {
		size_t n = chunked ? fuzz_chunk_size(offset) : size;

		if (n > size - offset)
			n = size - offset;
		line_reader_feed(&reader, (const char *)data + offset, n,
		    fuzz_on_line, pass);
		offset += n;
	}
	FUZZ_EXPECT(pass->tracker.count <= EXABGP_ACK_PENDING_MAX);
	exabgp_ack_tracker_free(&pass->tracker);
	FUZZ_EXPECT(pass->tracker.count == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pass whole, chunked;

	if (size == 0)
		return 0;
	fuzz_feed(&whole, data[0], data + 1, size - 1, false);
	fuzz_feed(&chunked, data[0], data + 1, size - 1, true);
	FUZZ_EXPECT(memcmp(whole.replies, chunked.replies,
	    sizeof(whole.replies)) == 0);
	FUZZ_EXPECT(whole.digest == chunked.digest);
	FUZZ_EXPECT(whole.next == chunked.next &&
	    whole.oldest == chunked.oldest);
	return 0;
}
