/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: bounded line reader
 *
 * Bytes are copied into one fixed buffer until a "\n" completes the line.
 * When a line fills the buffer before its "\n", what fits is delivered at
 * once, flagged overlong, and everything up to the next "\n" is dropped, so
 * a peer that never sends a newline cannot make us grow or stall. A line
 * without "\n" at the end of a feed waits in the buffer for the next feed.
 */
#include <string.h>

#include "line_reader.h"

/* Start with an empty buffer. */
void
line_reader_init(struct line_reader *reader)
{
	reader->length = 0;
	reader->overlong = false;
	reader->buffer[0] = '\0';
}

static void
line_reader_deliver(struct line_reader *reader, bool overlong,
    line_reader_callback callback, void *arg)
{
	size_t length = reader->length;

	if (!overlong && length > 0 && reader->buffer[length - 1] == '\r')
		length--;
	reader->buffer[length] = '\0';
	reader->length = 0;
	callback(reader->buffer, overlong, arg);
}

/* Split data into lines and call callback for each complete one. */
void
line_reader_feed(struct line_reader *reader, const char *data,
    size_t length, line_reader_callback callback, void *arg)
{
	while (length > 0) {
		const char *newline = memchr(data, '\n', length);
		size_t chunk = newline != NULL ?
		    (size_t)(newline - data) : length;
		size_t room = LINE_READER_MAX - 1 - reader->length;

		if (!reader->overlong) {
			size_t copy = chunk < room ? chunk : room;
			memcpy(reader->buffer + reader->length, data, copy);
			reader->length += copy;
			if (chunk > room) {
				/* Full before its end: deliver the cut line
				 * and skip the rest of it. */
				line_reader_deliver(reader, true, callback,
				    arg);
				reader->overlong = true;
			}
		}
		if (newline == NULL)
			return;
		if (reader->overlong)
			reader->overlong = false;
		else
			line_reader_deliver(reader, false, callback, arg);
		data = newline + 1;
		length -= chunk + 1;
	}
}
