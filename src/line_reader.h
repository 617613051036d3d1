/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: bounded line reader
 *
 * Splits a byte stream (ExaBGP's replies on stdin, BIRD's control socket)
 * into lines without ever growing memory: a line longer than the buffer is
 * delivered cut and flagged as overlong, and the rest of it is skipped.
 */
#ifndef ANYCHECK_LINE_READER_H
#define ANYCHECK_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>

#define LINE_READER_MAX 4096

typedef void (*line_reader_callback)(const char *line, bool overlong,
    void *arg);

struct line_reader {
	char buffer[LINE_READER_MAX];
	size_t length;
	bool overlong;          /* the current line was cut; skip to "\n" */
};

void line_reader_init(struct line_reader *reader);
/* Feed bytes; for each complete line calls callback with the line
 * NUL-terminated, without its "\n" (or "\r\n"). */
void line_reader_feed(struct line_reader *reader, const char *data,
    size_t length, line_reader_callback callback, void *arg);

#endif
