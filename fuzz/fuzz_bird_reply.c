/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: fuzz target: BIRD control-socket bytes -> replies
 *
 * The input is what BIRD's control socket sends, fed the way bird_client.c
 * feeds it: through the bounded line reader into the reply parser, the
 * connection given up at the first malformed line. Every complete reply is
 * handed to each helper that reads replies (toggle result, "show
 * protocols" rows, "show status"), and the stream is fed twice, in one
 * chunk and in chunks of 1 to 13 bytes, which must give the same replies.
 *
 * Checked besides memory errors and undefined behaviour: a reply stays
 * within its caps with every line's text inside it; helpers return known
 * values; a row "show protocols" holds for a protocol name BIRD accepts
 * (up to BIRD_SYMBOL_MAX characters) is found under that name.
 */
#include <stdbool.h>
#include <string.h>

#include "bird_names.h"
#include "bird_reply.h"
#include "fuzz.h"
#include "line_reader.h"

struct fuzz_pass {
	struct bird_parser parser;
	bool failed;                /* a malformed line ended the connection */
	uint64_t digest;            /* of every result and reply */
	size_t replies;
};

static void
fuzz_digest(uint64_t *digest, const void *data, size_t size)
{
	const unsigned char *p = data;

	/* FNV-1a */
	for (size_t i = 0; i < size; i++) {
		*digest ^= p[i];
		*digest *= 1099511628211ULL;
	}
}

/* The first blank-separated word of text, as bird_reply.c splits rows;
 * false when it is longer than max or there is none. */
static bool
fuzz_first_word(const char *text, char *out, size_t max)
{
	size_t length;

	while (*text == ' ' || *text == '\t')
		text++;
	length = strcspn(text, " \t");
	if (length == 0 || length > max)
		return false;
	memcpy(out, text, length);
	out[length] = '\0';
	return true;
}

/* How many blank-separated words text has. */
static size_t
fuzz_word_count(const char *text)
{
	size_t count = 0;

	for (;;) {
		text += strspn(text, " \t");
		if (*text == '\0')
			return count;
		count++;
		text += strcspn(text, " \t");
	}
}

static void
fuzz_check_protocols(const struct bird_reply *reply)
{
	char name[BIRD_SYMBOL_MAX + 1];
	struct bird_protocol_status status;

	for (size_t i = 0; i < reply->line_count; i++) {
		const char *text = bird_reply_line_text(reply, i);
		size_t first = i;
		int found;

		if (reply->lines[i].code != BIRD_CODE_PROTOCOL_LIST ||
		    !fuzz_first_word(text, name, BIRD_SYMBOL_MAX))
			continue;
		/* The first row of that name is the one that counts. */
		for (size_t j = 0; j < i; j++) {
			char other[BIRD_SYMBOL_MAX + 1];
			if (reply->lines[j].code == BIRD_CODE_PROTOCOL_LIST &&
			    fuzz_first_word(bird_reply_line_text(reply, j),
			    other, BIRD_SYMBOL_MAX) &&
			    strcmp(other, name) == 0) {
				first = j;
				break;
			}
		}
		found = bird_reply_find_protocol(reply, name, &status);
		if (found == 0) {
			FUZZ_EXPECT(strcmp(status.name, name) == 0);
			FUZZ_EXPECT(strnlen(status.protocol,
			    sizeof(status.protocol)) < sizeof(status.protocol));
			FUZZ_EXPECT(strnlen(status.table, sizeof(status.table)) <
			    sizeof(status.table));
			FUZZ_EXPECT(strnlen(status.state_text,
			    sizeof(status.state_text)) <
			    sizeof(status.state_text));
			FUZZ_EXPECT(strnlen(status.since, sizeof(status.since)) <
			    sizeof(status.since));
			FUZZ_EXPECT(strnlen(status.info, sizeof(status.info)) <
			    sizeof(status.info));
			FUZZ_EXPECT(strnlen(status.message,
			    sizeof(status.message)) < sizeof(status.message));
			FUZZ_EXPECT(strcmp(bird_protocol_state_name(
			    status.state), "?") != 0);
		}
		/* Name, protocol, table and state: a complete row. */
		if (!bird_reply_is_error(reply) &&
		    fuzz_word_count(bird_reply_line_text(reply, first)) >= 4)
			FUZZ_EXPECT(found == 0);
	}
	/* A name no row has is never found. */
	FUZZ_EXPECT(bird_reply_find_protocol(reply, "", &status) == -1);
}

static void
fuzz_check_reply(const struct bird_reply *reply)
{
	enum bird_toggle_result toggle;
	struct bird_status status;
	enum bird_code_class class;

	FUZZ_EXPECT(reply->code <= 9999);
	FUZZ_EXPECT(reply->line_count >= 1);
	FUZZ_EXPECT(reply->line_count <= BIRD_REPLY_MAX_LINES);
	FUZZ_EXPECT(reply->lines_seen >= reply->line_count);
	FUZZ_EXPECT(reply->code_count >= 1);
	FUZZ_EXPECT(reply->code_count <= BIRD_REPLY_MAX_CODES);
	FUZZ_EXPECT(reply->text_length <= BIRD_REPLY_MAX_TEXT);
	/* The final line is always kept. */
	FUZZ_EXPECT(reply->lines[reply->line_count - 1].code == reply->code);
	FUZZ_EXPECT(reply->truncated ||
	    reply->lines_seen == reply->line_count);
	for (size_t i = 0; i < reply->line_count; i++) {
		size_t offset = reply->lines[i].offset;

		FUZZ_EXPECT(offset < reply->text_length);
		FUZZ_EXPECT(memchr(reply->text + offset, '\0',
		    reply->text_length - offset) != NULL);
		FUZZ_EXPECT(bird_reply_has_code(reply, reply->lines[i].code) ||
		    reply->truncated);
	}
	FUZZ_EXPECT(strcmp(bird_reply_line_text(reply, reply->line_count),
	    "") == 0);

	class = bird_code_class(reply->code);
	FUZZ_EXPECT(class <= BIRD_CLASS_UNKNOWN);
	(void)bird_code_name(reply->code);
	FUZZ_EXPECT(bird_reply_is_error(reply) ==
	    (class == BIRD_CLASS_RUNTIME_ERROR ||
	    class == BIRD_CLASS_PARSE_ERROR || class == BIRD_CLASS_UNKNOWN));

	toggle = bird_reply_toggle_result(reply);
	FUZZ_EXPECT(toggle <= BIRD_TOGGLE_ERROR);
	FUZZ_EXPECT(strcmp(bird_toggle_result_name(toggle), "?") != 0);
	if (bird_toggle_result_enabled(toggle))
		FUZZ_EXPECT(!bird_reply_is_error(reply));

	fuzz_check_protocols(reply);

	if (bird_reply_parse_status(reply, &status) == 0) {
		FUZZ_EXPECT(reply->code == BIRD_CODE_STATUS_REPORT);
		FUZZ_EXPECT(status.last_reboot[0] != '\0');
		FUZZ_EXPECT(status.last_reconfiguration[0] != '\0');
		FUZZ_EXPECT(strnlen(status.version, sizeof(status.version)) <
		    sizeof(status.version));
		FUZZ_EXPECT(strnlen(status.router_id,
		    sizeof(status.router_id)) < sizeof(status.router_id));
		FUZZ_EXPECT(strnlen(status.server_time,
		    sizeof(status.server_time)) < sizeof(status.server_time));
		FUZZ_EXPECT(strnlen(status.last_reboot,
		    sizeof(status.last_reboot)) < sizeof(status.last_reboot));
		FUZZ_EXPECT(strnlen(status.last_reconfiguration,
		    sizeof(status.last_reconfiguration)) <
		    sizeof(status.last_reconfiguration));
		FUZZ_EXPECT(status.daemon <= BIRD_DAEMON_SHUTTING_DOWN);
	}
}

static void
fuzz_on_line(const char *line, bool overlong, void *arg)
{
	struct fuzz_pass *pass = arg;
	struct bird_parser *parser = &pass->parser;
	enum bird_parse_result result;

	if (pass->failed)
		return;
	FUZZ_EXPECT(strlen(line) < LINE_READER_MAX);
	result = bird_parser_feed_line(parser, line, overlong);
	fuzz_digest(&pass->digest, &result, sizeof(result));
	switch (result) {
	case BIRD_PARSE_MORE:
		FUZZ_EXPECT(bird_parser_pending(parser));
		break;
	case BIRD_PARSE_REPLY:
		FUZZ_EXPECT(!bird_parser_pending(parser));
		fuzz_check_reply(&parser->reply);
		pass->replies++;
		fuzz_digest(&pass->digest, &parser->reply.code,
		    sizeof(parser->reply.code));
		fuzz_digest(&pass->digest, &parser->reply.line_count,
		    sizeof(parser->reply.line_count));
		fuzz_digest(&pass->digest, parser->reply.text,
		    parser->reply.text_length);
		break;
	case BIRD_PARSE_ASYNC:
		FUZZ_EXPECT(memchr(parser->async, '\0',
		    sizeof(parser->async)) != NULL);
		fuzz_digest(&pass->digest, parser->async,
		    strlen(parser->async));
		break;
	case BIRD_PARSE_MALFORMED:
		FUZZ_EXPECT(!bird_parser_pending(parser));
		pass->failed = true;
		break;
	}
}

/* Feed the whole input in one chunk, or (chunked) in the varying sizes of
 * fuzz_chunk_size, as a fresh connection. */
static void
fuzz_feed(struct fuzz_pass *pass, const uint8_t *data, size_t size,
    bool chunked)
{
	struct line_reader reader;
	size_t offset = 0;

	memset(pass, 0, sizeof(*pass));
	pass->digest = 14695981039346656037ULL;
	bird_parser_init(&pass->parser);
	line_reader_init(&reader);
	while (offset < size && !pass->failed) {
		size_t n = chunked ? fuzz_chunk_size(offset) : size;

		if (n > size - offset)
			n = size - offset;
		line_reader_feed(&reader, (const char *)data + offset, n,
		    fuzz_on_line, pass);
		offset += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_pass whole, chunked;  /* 17 KiB each */

	fuzz_feed(&whole, data, size, false);
	fuzz_feed(&chunked, data, size, true);
	FUZZ_EXPECT(whole.replies == chunked.replies);
	FUZZ_EXPECT(whole.failed == chunked.failed);
	FUZZ_EXPECT(whole.digest == chunked.digest);
	return 0;
}
