/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: talking to ExaBGP over the process pipes
 *
 * Replies are matched to commands by the ack tracker; an "error" is logged
 * with the command that caused it. With exabgp.api.ack = false no reply ever
 * comes, and nothing here waits for one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "exabgp_speaker.h"
#include "log.h"

static void
exabgp_speaker_gone(struct exabgp_speaker *speaker, const char *why)
{
	if (speaker->on_gone != NULL)
		speaker->on_gone(speaker, why, speaker->on_gone_arg);
}

static void
exabgp_speaker_close_output(struct exabgp_speaker *speaker)
{
	if (!speaker->output_open)
		return;
	if (speaker->output_watched)
		loop_remove_fd(speaker->loop, speaker->output_fd);
	speaker->output_watched = false;
	speaker->output_open = false;
	speaker->output_length = 0;
}

static void exabgp_speaker_output_ready(struct loop *loop, int fd,
    uint32_t events, void *arg);

static void
exabgp_speaker_write(struct exabgp_speaker *speaker)
{
	size_t written = 0;

	while (speaker->output_open && written < speaker->output_length) {
		ssize_t n = write(speaker->output_fd, speaker->output + written,
		    speaker->output_length - written);
		if (n > 0) {
			written += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		log_warn("writing to ExaBGP (stdout)");
		exabgp_speaker_close_output(speaker);
		exabgp_speaker_gone(speaker, "stdout to ExaBGP is closed");
		return;
	}
	memmove(speaker->output, speaker->output + written,
	    speaker->output_length - written);
	speaker->output_length -= written;

	bool want = speaker->output_length > 0;
	if (want && !speaker->output_watched) {
		if (loop_add_fd(speaker->loop, speaker->output_fd, EPOLLOUT,
		    exabgp_speaker_output_ready, speaker) == 0)
			speaker->output_watched = true;
	} else if (!want && speaker->output_watched) {
		loop_remove_fd(speaker->loop, speaker->output_fd);
		speaker->output_watched = false;
	}

}

static void
exabgp_speaker_output_ready(struct loop *loop, int fd, uint32_t events,
    void *arg)
{
	struct exabgp_speaker *speaker = arg;

	(void)loop;
	(void)fd;
	(void)events;
	exabgp_speaker_write(speaker);
	/* Only from here, never from inside a send: the owner's pump is not
	 * re-entered. */
	if (speaker->writable_pending && speaker->output_open &&
	    speaker->output_length < EXABGP_SPEAKER_HIGH_WATER) {
		speaker->writable_pending = false;
		if (speaker->on_writable != NULL)
			speaker->on_writable(speaker, speaker->on_writable_arg);
	}
}

static void
exabgp_speaker_line(const char *line, bool overlong, void *arg)
{
	struct exabgp_speaker *speaker = arg;
	char *command;

	switch (exabgp_parse_reply(line)) {
	case EXABGP_REPLY_DONE:
		speaker->replies_done++;
		command = exabgp_ack_tracker_reply(&speaker->acks);
		if (command != NULL)
			log_debug("ExaBGP accepted: %s", command);
		free(command);
		break;
	case EXABGP_REPLY_ERROR:
		speaker->replies_error++;
		command = exabgp_ack_tracker_reply(&speaker->acks);
		log_error("ExaBGP rejected a command: %s",
		    command != NULL ? command : "(unknown command)");
		free(command);
		break;
	case EXABGP_REPLY_SHUTDOWN:
		log_info("ExaBGP is shutting down");
		exabgp_speaker_gone(speaker, "ExaBGP sent shutdown");
		break;
	case EXABGP_REPLY_OTHER:
		log_debug("ExaBGP says: %s%s", line, overlong ? "..." : "");
		break;
	}
}

static void
exabgp_speaker_input_ready(struct loop *loop, int fd, uint32_t events,
    void *arg)
{
	struct exabgp_speaker *speaker = arg;
	char buffer[8192];

	(void)events;
	/* Drain everything that is there: unread replies stall ExaBGP. */
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = read(fd, buffer, sizeof(buffer));
		if (n > 0) {
			line_reader_feed(&speaker->reader, buffer, (size_t)n,
			    exabgp_speaker_line, speaker);
			if (!speaker->input_open)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			log_warn("reading from ExaBGP (stdin)");
		loop_remove_fd(loop, fd);
		speaker->input_open = false;
		exabgp_speaker_gone(speaker, "stdin from ExaBGP is closed");
		return;
	}
}

int
exabgp_speaker_init(struct exabgp_speaker *speaker, struct loop *loop,
    int input_fd, int output_fd, exabgp_speaker_gone_callback on_gone,
    void *arg)
{
	memset(speaker, 0, sizeof(*speaker));
	speaker->loop = loop;
	speaker->input_fd = input_fd;
	speaker->output_fd = output_fd;
	speaker->on_gone = on_gone;
	speaker->on_gone_arg = arg;
	line_reader_init(&speaker->reader);
	exabgp_ack_tracker_init(&speaker->acks);

	for (int i = 0; i < 2; i++) {
		int fd = i == 0 ? input_fd : output_fd;
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
			log_warn("cannot make fd %d non-blocking", fd);
			return -1;
		}
	}
	if (loop_add_fd(loop, input_fd, EPOLLIN, exabgp_speaker_input_ready,
	    speaker) != 0)
		return -1;
	speaker->input_open = true;
	speaker->output_open = true;
	return 0;
}

void
exabgp_speaker_send(struct exabgp_speaker *speaker, const char *line)
{
	size_t length = strlen(line);

	if (!speaker->output_open)
		return;
	if (speaker->output_length + length > speaker->output_capacity) {
		size_t capacity = speaker->output_capacity ?
		    speaker->output_capacity : 4096;
		while (capacity < speaker->output_length + length)
			capacity *= 2;
		speaker->output = xrealloc(speaker->output, capacity);
		speaker->output_capacity = capacity;
	}
	memcpy(speaker->output + speaker->output_length, line, length);
	speaker->output_length += length;
	speaker->commands_sent++;

	/* Remember the command without its newline for ack matching. */
	char command[EXABGP_LINE_MAX];
	snprintf(command, sizeof(command), "%.*s", (int)(length - 1), line);
	exabgp_ack_tracker_sent(&speaker->acks, command);
	log_info("to ExaBGP: %s", command);

	exabgp_speaker_write(speaker);
}

bool
exabgp_speaker_has_room(struct exabgp_speaker *speaker)
{
	if (!speaker->output_open)
		return false;
	if (speaker->output_length < EXABGP_SPEAKER_HIGH_WATER)
		return true;
	speaker->writable_pending = true;
	return false;
}

bool
exabgp_speaker_flushed(const struct exabgp_speaker *speaker)
{
	return !speaker->output_open || speaker->output_length == 0;
}

void
exabgp_speaker_cleanup(struct exabgp_speaker *speaker)
{
	if (speaker->input_open)
		loop_remove_fd(speaker->loop, speaker->input_fd);
	speaker->input_open = false;
	exabgp_speaker_close_output(speaker);
	free(speaker->output);
	speaker->output = NULL;
	exabgp_ack_tracker_free(&speaker->acks);
}
