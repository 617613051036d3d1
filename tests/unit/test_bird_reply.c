/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of the BIRD reply parser
 *
 * Most inputs are raw bytes recorded from a real BIRD 2.0.12 control socket
 * (tests/data/bird, see its README). Lines are split here, in the test, so
 * that the parser is tested alone, without the line reader.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_reply.h"

struct fed {
	size_t replies;
	size_t asyncs;
	size_t malformed;
	struct bird_reply last;     /* copy of the last complete reply */
	char last_async[BIRD_ASYNC_MAX];
};

static char *
read_data(const char *name, size_t *length)
{
	char path[1024];
	FILE *f;
	char *data;
	long size;

	snprintf(path, sizeof(path), "%s/bird/%s", TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_ge(size, 0);
	rewind(f);
	data = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	*length = (size_t)size;
	return data;
}

static void
feed_one(struct bird_parser *parser, struct fed *fed, const char *line,
    bool overlong)
{
	switch (bird_parser_feed_line(parser, line, overlong)) {
	case BIRD_PARSE_REPLY:
		fed->replies++;
		fed->last = parser->reply;
		break;
	case BIRD_PARSE_ASYNC:
		fed->asyncs++;
		snprintf(fed->last_async, sizeof(fed->last_async), "%s",
		    parser->async);
		break;
	case BIRD_PARSE_MALFORMED:
		fed->malformed++;
		break;
	case BIRD_PARSE_MORE:
		break;
	}
}

/* A tiny line splitter for the tests: bytes may arrive in any chunks. */
struct splitter {
	char line[8192];
	size_t length;
};

static void
split_feed(struct splitter *s, struct bird_parser *parser, struct fed *fed,
    const char *data, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (data[i] == '\n') {
			s->line[s->length] = '\0';
			feed_one(parser, fed, s->line, false);
			s->length = 0;
		} else {
			ck_assert_uint_lt(s->length, sizeof(s->line) - 1);
			s->line[s->length++] = data[i];
		}
	}
}

static void
feed_file(const char *name, struct bird_parser *parser, struct fed *fed)
{
	struct splitter s = { .length = 0 };
	size_t length;
	char *data = read_data(name, &length);

	split_feed(&s, parser, fed, data, length);
	ck_assert_uint_eq(s.length, 0);    /* recordings end with "\n" */
	free(data);
}

/* Parse a recorded file that holds exactly one reply. */
static struct fed *
parse_one(const char *name)
{
	static struct fed fed;
	static struct bird_parser parser;

	memset(&fed, 0, sizeof(fed));
	bird_parser_init(&parser);
	feed_file(name, &parser, &fed);
	ck_assert_uint_eq(fed.replies, 1);
	ck_assert_uint_eq(fed.malformed, 0);
	ck_assert(!bird_parser_pending(&parser));
	return &fed;
}

START_TEST(test_greeting)
{
	struct fed *fed = parse_one("greeting.txt");

	ck_assert_uint_eq(fed->last.code, BIRD_CODE_WELCOME);
	ck_assert_uint_eq(fed->last.line_count, 1);
	ck_assert_str_eq(bird_reply_line_text(&fed->last, 0),
	    "BIRD 2.0.12 ready.");
	ck_assert(!bird_reply_is_error(&fed->last));

	fed = parse_one("bird3_greeting.txt");
	ck_assert_uint_eq(fed->last.code, BIRD_CODE_WELCOME);
}
END_TEST

static const struct {
	const char *file;
	enum bird_toggle_result result;
	unsigned final_code;
} toggle_cases[] = {
	{ "enable.txt", BIRD_TOGGLE_ENABLED, 0 },
	{ "enable_quoted.txt", BIRD_TOGGLE_ENABLED, 0 },
	{ "bird3_enable.txt", BIRD_TOGGLE_ENABLED, 0 },
	{ "enable_already.txt", BIRD_TOGGLE_ALREADY_ENABLED, 0 },
	{ "disable.txt", BIRD_TOGGLE_DISABLED, 0 },
	{ "disable_message.txt", BIRD_TOGGLE_DISABLED, 0 },
	{ "disable_already.txt", BIRD_TOGGLE_ALREADY_DISABLED, 0 },
	{ "enable_quoted_unknown.txt", BIRD_TOGGLE_NO_SUCH_PROTOCOL, 8003 },
	{ "disable_quoted_unknown.txt", BIRD_TOGGLE_NO_SUCH_PROTOCOL, 8003 },
	{ "disable_restricted.txt", BIRD_TOGGLE_ACCESS_DENIED, 8007 },
	{ "enable_unknown.txt", BIRD_TOGGLE_ERROR, 9001 },
	{ "syntax_error.txt", BIRD_TOGGLE_ERROR, 9001 },
	/* A reply that is no toggle at all must not count as success. */
	{ "show_status.txt", BIRD_TOGGLE_ERROR, 13 },
	{ "echo_all.txt", BIRD_TOGGLE_ERROR, 0 },
};

START_TEST(test_toggle)
{
	struct fed *fed = parse_one(toggle_cases[_i].file);

	ck_assert_uint_eq(fed->last.code, toggle_cases[_i].final_code);
	ck_assert_msg(bird_reply_toggle_result(&fed->last) ==
	    toggle_cases[_i].result, "%s: got %s, want %s",
	    toggle_cases[_i].file,
	    bird_toggle_result_name(bird_reply_toggle_result(&fed->last)),
	    bird_toggle_result_name(toggle_cases[_i].result));
}
END_TEST

START_TEST(test_toggle_lines)
{
	struct fed *fed = parse_one("enable.txt");

	/* "0011-anycheck_web_v4: enabled" then "0000 " */
	ck_assert_uint_eq(fed->last.line_count, 2);
	ck_assert_uint_eq(fed->last.lines[0].code, BIRD_CODE_ENABLED);
	ck_assert_str_eq(bird_reply_line_text(&fed->last, 0),
	    "anycheck_web_v4: enabled");
	ck_assert_uint_eq(fed->last.lines[1].code, BIRD_CODE_OK);
	ck_assert_str_eq(bird_reply_line_text(&fed->last, 1), "");
	ck_assert(bird_reply_has_code(&fed->last, BIRD_CODE_ENABLED));
	ck_assert(!bird_reply_has_code(&fed->last, BIRD_CODE_DISABLED));
	ck_assert(bird_toggle_result_enabled(BIRD_TOGGLE_ALREADY_ENABLED));
	ck_assert(!bird_toggle_result_enabled(BIRD_TOGGLE_ALREADY_DISABLED));

	fed = parse_one("enable_pattern.txt");
	ck_assert_uint_eq(fed->last.code_count, 3);
	ck_assert_uint_eq(fed->last.codes[0], 11);
	ck_assert_uint_eq(fed->last.codes[1], 10);
	ck_assert_uint_eq(fed->last.codes[2], 0);
}
END_TEST

START_TEST(test_show_protocols)
{
	struct bird_protocol_status status;
	struct fed *fed = parse_one("show_protocols_disabled.txt");

	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v4",
	    &status), 0);
	ck_assert_str_eq(status.name, "anycheck_web_v4");
	ck_assert_str_eq(status.protocol, "Static");
	ck_assert_str_eq(status.table, "master4");
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_DOWN);
	ck_assert_str_eq(status.since, "20:30:52.052");
	ck_assert_str_eq(status.info, "");
	ck_assert_str_eq(status.message, "");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web",
	    &status), -1);

	fed = parse_one("show_protocols_up.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v4",
	    &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_UP);

	/* The whole list: continuation lines " name ..." are rows too. */
	fed = parse_one("show_protocols.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v6",
	    &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_UP);
	ck_assert_str_eq(status.table, "master6");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v4",
	    &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_DOWN);
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "device1",
	    &status), 0);
	ck_assert_str_eq(status.table, "---");

	fed = parse_one("show_protocols_quoted_unknown.txt");
	ck_assert_uint_eq(fed->last.code, BIRD_CODE_NO_PROTOCOLS_MATCH);
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "nosuchproto",
	    &status), -1);
}
END_TEST

START_TEST(test_show_protocols_all)
{
	struct bird_protocol_status status;
	struct fed *fed = parse_one("show_protocols_all_message.txt");

	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v4",
	    &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_DOWN);
	ck_assert_str_eq(status.message, "anycheck: service web unhealthy");

	fed = parse_one("show_protocols_all_up.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v4",
	    &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_UP);
	ck_assert_str_eq(status.message, "");
	ck_assert(!fed->last.truncated);
	/* The blank " " line that ends the details is a line of its own. */
	ck_assert_str_eq(bird_reply_line_text(&fed->last,
	    fed->last.line_count - 2), "");

	fed = parse_one("bird3_show_protocols_up.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last, "anycheck_web_v4",
	    &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_UP);
	ck_assert_str_eq(status.since, "2026-11-25 20:31:01");
	ck_assert_str_eq(status.info, "");
}
END_TEST

/* Recorded from the real BIRD 3 of Debian 13 (3.1.8) and unstable (3.4.0)
 * (tests/data/bird/VERSION/, see the README there): every reply anycheck
 * reads, parsed by code, with the three forms a protocol's time takes
 * (today "21:58:35.988", "timeformat protocol iso long", a date). */
static const char *const bird3_versions[] = { "3.1.8", "3.4.0" };

static struct fed *
parse_version(const char *version, const char *file)
{
	char name[128];

	snprintf(name, sizeof(name), "%s/%s", version, file);
	return parse_one(name);
}

START_TEST(test_bird3_recorded)
{
	const char *version = bird3_versions[_i];
	struct bird_protocol_status status;
	struct bird_status bird;
	struct bird_time time;
	char ready[64];
	struct fed *fed;
	static const struct {
		const char *file;
		enum bird_toggle_result result;
		unsigned final_code;
	} toggles[] = {
		{ "enable.txt", BIRD_TOGGLE_ENABLED, 0 },
		{ "enable_already.txt", BIRD_TOGGLE_ALREADY_ENABLED, 0 },
		{ "disable.txt", BIRD_TOGGLE_DISABLED, 0 },
		{ "disable_already.txt", BIRD_TOGGLE_ALREADY_DISABLED, 0 },
		{ "enable_quoted_unknown.txt", BIRD_TOGGLE_NO_SUCH_PROTOCOL,
		    8003 },
		{ "enable_unknown.txt", BIRD_TOGGLE_ERROR, 9001 },
	};

	fed = parse_version(version, "greeting.txt");
	ck_assert_uint_eq(fed->last.code, BIRD_CODE_WELCOME);
	snprintf(ready, sizeof(ready), "BIRD %s ready.", version);
	ck_assert_str_eq(bird_reply_line_text(&fed->last, 0), ready);

	for (size_t i = 0; i < sizeof(toggles) / sizeof(toggles[0]); i++) {
		fed = parse_version(version, toggles[i].file);
		ck_assert_msg(bird_reply_toggle_result(&fed->last) ==
		    toggles[i].result, "%s/%s", version, toggles[i].file);
		ck_assert_uint_eq(fed->last.code, toggles[i].final_code);
	}

	fed = parse_version(version, "show_status.txt");
	ck_assert_int_eq(bird_reply_parse_status(&fed->last, &bird), 0);
	ck_assert_str_eq(bird.version, version);
	ck_assert_str_eq(bird.router_id, "192.0.2.254");
	ck_assert_int_eq(bird.daemon, BIRD_DAEMON_RUNNING);
	ck_assert_int_eq(bird_time_parse(bird.last_reboot, &time), 0);
	ck_assert(time.has_date && time.has_time);

	/* The three forms of a protocol's time, each parsed. */
	fed = parse_version(version, "show_protocols.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last,
	    "anycheck_web_v4", &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_DOWN);
	ck_assert_int_eq(bird_time_parse(status.since, &time), 0);
	ck_assert(!time.has_date && time.has_time);
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last,
	    "anycheck_web_v6", &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_UP);
	fed = parse_version(version, "show_protocols_iso_long.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last,
	    "anycheck_web_v4", &status), 0);
	ck_assert_int_eq(bird_time_parse(status.since, &time), 0);
	ck_assert(time.has_date && time.has_time);
	fed = parse_version(version, "show_protocols_date.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last,
	    "anycheck_web_v6", &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_UP);
	ck_assert_int_eq(bird_time_parse(status.since, &time), 0);
	ck_assert(time.has_date && !time.has_time);
	fed = parse_version(version, "show_protocols_all_disabled.txt");
	ck_assert_int_eq(bird_reply_find_protocol(&fed->last,
	    "anycheck_web_v4", &status), 0);
	ck_assert_int_eq(status.state, BIRD_PROTOCOL_DOWN);

	fed = parse_version(version, "configure.txt");
	ck_assert_uint_eq(fed->last.code, BIRD_CODE_RECONFIGURED);
	fed = parse_version(version, "configure_check.txt");
	ck_assert_uint_eq(fed->last.code, BIRD_CODE_CONFIGURATION_OK);
}
END_TEST

START_TEST(test_show_status)
{
	struct bird_status status;
	struct fed *fed = parse_one("show_status.txt");

	ck_assert_int_eq(bird_reply_parse_status(&fed->last, &status), 0);
	ck_assert_str_eq(status.version, "2.0.12");
	ck_assert_str_eq(status.router_id, "192.0.2.254");
	ck_assert_str_eq(status.server_time, "2026-11-25 20:30:56.027");
	ck_assert_str_eq(status.last_reboot, "2026-11-25 20:30:52.052");
	ck_assert_str_eq(status.last_reconfiguration, "2026-11-25 20:30:52.052");
	ck_assert_int_eq(status.daemon, BIRD_DAEMON_RUNNING);

	fed = parse_one("bird3_show_status_graceful.txt");
	ck_assert_int_eq(bird_reply_parse_status(&fed->last, &status), 0);
	ck_assert_str_eq(status.version, "3.1.0");
	ck_assert_str_eq(status.last_reconfiguration, "2026-11-25 20:35:10.500");
	ck_assert(bird_reply_has_code(&fed->last,
	    BIRD_CODE_GRACEFUL_RESTART_STATUS));
	ck_assert_int_eq(status.daemon, BIRD_DAEMON_RUNNING);

	/* Not a status reply. */
	fed = parse_one("show_protocols.txt");
	ck_assert_int_eq(bird_reply_parse_status(&fed->last, &status), -1);
}
END_TEST

START_TEST(test_configure_check)
{
	struct fed *fed = parse_one("configure_check.txt");

	ck_assert_uint_eq(fed->last.code, BIRD_CODE_CONFIGURATION_OK);
	ck_assert(bird_reply_has_code(&fed->last,
	    BIRD_CODE_READING_CONFIGURATION));
	fed = parse_one("restrict.txt");
	ck_assert_uint_eq(fed->last.code, BIRD_CODE_ACCESS_RESTRICTED);
}
END_TEST

/* Every split of a recorded session into two reads gives the same
 * replies as reading it whole. */
START_TEST(test_split_every_byte)
{
	size_t length;
	char *data = read_data("show_protocols_all_message.txt", &length);
	struct fed whole = { 0 };
	static struct bird_parser parser;
	struct splitter s = { .length = 0 };

	bird_parser_init(&parser);
	split_feed(&s, &parser, &whole, data, length);
	ck_assert_uint_eq(whole.replies, 1);
	for (size_t cut = 0; cut <= length; cut++) {
		struct fed fed = { 0 };

		bird_parser_init(&parser);
		s.length = 0;
		split_feed(&s, &parser, &fed, data, cut);
		if (cut < length)
			ck_assert_uint_eq(fed.replies, 0);
		split_feed(&s, &parser, &fed, data + cut, length - cut);
		ck_assert_uint_eq(fed.replies, 1);
		ck_assert_uint_eq(fed.last.code, whole.last.code);
		ck_assert_uint_eq(fed.last.line_count, whole.last.line_count);
		ck_assert_uint_eq(fed.last.text_length, whole.last.text_length);
		ck_assert(memcmp(fed.last.text, whole.last.text,
		    whole.last.text_length) == 0);
	}
	free(data);
}
END_TEST

START_TEST(test_truncated_input)
{
	static struct bird_parser parser;
	struct fed fed = { 0 };

	bird_parser_init(&parser);
	feed_one(&parser, &fed, "2002-Name       Proto      Table      State", false);
	feed_one(&parser, &fed, "1002-anycheck_web_v4 Static master4 up 20:30:52.052", false);
	/* The connection ends here: no final line, no reply. */
	ck_assert_uint_eq(fed.replies, 0);
	ck_assert(bird_parser_pending(&parser));
	/* A new connection starts clean. */
	bird_parser_init(&parser);
	ck_assert(!bird_parser_pending(&parser));
	feed_one(&parser, &fed, "0001 BIRD 2.0.12 ready.", false);
	ck_assert_uint_eq(fed.replies, 1);
	ck_assert_uint_eq(fed.last.line_count, 1);
}
END_TEST

START_TEST(test_overlong_and_caps)
{
	static struct bird_parser parser;
	struct fed fed = { 0 };
	char line[4096];

	bird_parser_init(&parser);
	/* The line reader cut this line: the reply is flagged. */
	feed_one(&parser, &fed, "1006-  Message:        xxxxxxxx", true);
	feed_one(&parser, &fed, "0000 ", false);
	ck_assert_uint_eq(fed.replies, 1);
	ck_assert(fed.last.truncated);

	/* 1000 long lines: bounded storage, but the final line is kept. */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "1007-", 5);
	for (int i = 0; i < 1000; i++)
		feed_one(&parser, &fed, i == 0 ? line : " more", false);
	feed_one(&parser, &fed, "0000 done", false);
	ck_assert_uint_eq(fed.replies, 2);
	ck_assert(fed.last.truncated);
	ck_assert_uint_eq(fed.last.lines_seen, 1001);
	ck_assert_uint_le(fed.last.line_count, BIRD_REPLY_MAX_LINES);
	ck_assert_uint_le(fed.last.text_length, BIRD_REPLY_MAX_TEXT);
	ck_assert_uint_eq(fed.last.code, 0);
	ck_assert_uint_eq(fed.last.lines[fed.last.line_count - 1].code, 0);
	ck_assert_str_eq(bird_reply_line_text(&fed.last,
	    fed.last.line_count - 1), "done");
	ck_assert(bird_reply_has_code(&fed.last, 1007));

	/* The next reply is not affected by the previous one's caps. */
	feed_one(&parser, &fed, "0009-p: disabled", false);
	feed_one(&parser, &fed, "0000 ", false);
	ck_assert(!fed.last.truncated);
	ck_assert_uint_eq(fed.last.line_count, 2);
}
END_TEST

START_TEST(test_async_interleaved)
{
	static struct bird_parser parser;
	struct fed fed = { 0 };

	bird_parser_init(&parser);
	feed_file("async_echo.txt", &parser, &fed);
	/* greeting, echo, disable, enable, configure, show protocols */
	ck_assert_uint_eq(fed.replies, 6);
	ck_assert_uint_eq(fed.asyncs, 5);
	ck_assert_uint_eq(fed.malformed, 0);
	ck_assert_str_eq(fed.last_async, "Reconfigured");
	ck_assert_uint_eq(fed.last.code, 0);

	/* An async line in the middle of a reply does not break it. */
	bird_parser_init(&parser);
	memset(&fed, 0, sizeof(fed));
	feed_one(&parser, &fed, "1000-BIRD 2.0.12", false);
	feed_one(&parser, &fed, "1011-Router ID is 192.0.2.254", false);
	feed_one(&parser, &fed, "+Reconfiguring", false);
	feed_one(&parser, &fed, " Last reboot on 2026-11-25 20:30:52.052", false);
	feed_one(&parser, &fed, " Last reconfiguration on 2026-11-25 20:31:08.258", false);
	feed_one(&parser, &fed, "0013 Daemon is up and running", false);
	ck_assert_uint_eq(fed.asyncs, 1);
	ck_assert_str_eq(fed.last_async, "Reconfiguring");
	ck_assert_uint_eq(fed.replies, 1);
	ck_assert_uint_eq(fed.last.line_count, 5);
	ck_assert_uint_eq(fed.last.lines[2].code, BIRD_CODE_UPTIME);

	struct bird_status status;
	ck_assert_int_eq(bird_reply_parse_status(&fed.last, &status), 0);
	ck_assert_str_eq(status.last_reconfiguration, "2026-11-25 20:31:08.258");
}
END_TEST

START_TEST(test_malformed)
{
	static struct bird_parser parser;

	bird_parser_init(&parser);
	/* A continuation with nothing to continue. */
	ck_assert_int_eq(bird_parser_feed_line(&parser, " orphan", false),
	    BIRD_PARSE_MALFORMED);
	ck_assert_int_eq(bird_parser_feed_line(&parser, "hello", false),
	    BIRD_PARSE_MALFORMED);
	ck_assert_int_eq(bird_parser_feed_line(&parser, "12a4 x", false),
	    BIRD_PARSE_MALFORMED);
	ck_assert_int_eq(bird_parser_feed_line(&parser, "0011+x", false),
	    BIRD_PARSE_MALFORMED);
	ck_assert_int_eq(bird_parser_feed_line(&parser, "", false),
	    BIRD_PARSE_MALFORMED);
	/* Malformed mid-reply drops the partial reply. */
	ck_assert_int_eq(bird_parser_feed_line(&parser, "1002-x", false),
	    BIRD_PARSE_MORE);
	ck_assert_int_eq(bird_parser_feed_line(&parser, "<3 messages lost>",
	    false), BIRD_PARSE_MALFORMED);
	ck_assert(!bird_parser_pending(&parser));
	/* And after a final line, " x" has no code to continue. */
	ck_assert_int_eq(bird_parser_feed_line(&parser, "0000 ", false),
	    BIRD_PARSE_REPLY);
	ck_assert_int_eq(bird_parser_feed_line(&parser, " x", false),
	    BIRD_PARSE_MALFORMED);
}
END_TEST

START_TEST(test_code_classes)
{
	ck_assert_int_eq(bird_code_class(0), BIRD_CLASS_SUCCESS);
	ck_assert_int_eq(bird_code_class(13), BIRD_CLASS_SUCCESS);
	ck_assert_int_eq(bird_code_class(1002), BIRD_CLASS_TABLE_ENTRY);
	ck_assert_int_eq(bird_code_class(2002), BIRD_CLASS_TABLE_HEADING);
	ck_assert_int_eq(bird_code_class(8003), BIRD_CLASS_RUNTIME_ERROR);
	ck_assert_int_eq(bird_code_class(9001), BIRD_CLASS_PARSE_ERROR);
	ck_assert_int_eq(bird_code_class(5000), BIRD_CLASS_UNKNOWN);
	ck_assert_str_eq(bird_code_name(8007), "Access denied");
	ck_assert_str_eq(bird_code_name(11), "Enabled");
	ck_assert_ptr_null(bird_code_name(4242));
	ck_assert_str_eq(bird_protocol_state_name(BIRD_PROTOCOL_UP), "up");
}
END_TEST

START_TEST(test_time_parse)
{
	struct bird_time t;

	ck_assert_int_eq(bird_time_parse("2026-11-25 20:30:52.052", &t), 0);
	ck_assert(t.has_date && t.has_time);
	ck_assert_int_eq(t.days, 20782);        /* date -u -d 2026-11-25 +%s / 86400 */
	ck_assert_int_eq(t.ms, (20 * 3600 + 30 * 60 + 52) * 1000LL + 52);
	ck_assert_int_eq(bird_time_parse("2026-11-25 20:31:01", &t), 0);
	ck_assert(t.has_date && t.has_time);
	ck_assert_int_eq(t.ms, (20 * 3600 + 31 * 60 + 1) * 1000LL);
	ck_assert_int_eq(bird_time_parse("17:47:34.802", &t), 0);
	ck_assert(!t.has_date && t.has_time);
	ck_assert_int_eq(t.ms, (17 * 3600 + 47 * 60 + 34) * 1000LL + 802);
	ck_assert_int_eq(bird_time_parse("17:47:34.8", &t), 0);
	ck_assert_int_eq(t.ms % 1000, 800);
	ck_assert_int_eq(bird_time_parse("2026-11-25", &t), 0);
	ck_assert(t.has_date && !t.has_time);
	ck_assert_int_eq(bird_time_parse("1970-01-01", &t), 0);
	ck_assert_int_eq(t.days, 0);
	ck_assert_int_eq(bird_time_parse("2000-03-01", &t), 0);
	ck_assert_int_eq(t.days, 11017);
	ck_assert_int_eq(bird_time_parse("", &t), -1);
	ck_assert_int_eq(bird_time_parse("yesterday", &t), -1);
	ck_assert_int_eq(bird_time_parse("2026-13-01", &t), -1);
	ck_assert_int_eq(bird_time_parse("25:00:00", &t), -1);
	ck_assert_int_eq(bird_time_parse("17:47:34.", &t), -1);
	ck_assert_int_eq(bird_time_parse("17:47:34 x", &t), -1);
}
END_TEST

START_TEST(test_time_differs)
{
	/* BIRD's wobble: 1 ms is the same moment, 2 s is another. */
	ck_assert(!bird_time_differs("2026-11-25 20:30:52.052",
	    "2026-11-25 20:30:52.053", 10));
	ck_assert(bird_time_differs("2026-11-25 20:30:52.052",
	    "2026-11-25 20:30:54.052", 10));
	ck_assert(!bird_time_differs("23:59:59.999", "00:00:00.000", 10));
	ck_assert(!bird_time_differs("17:47:34.802", "17:47:34.801", 10));
	ck_assert(bird_time_differs("17:47:34.802", "17:47:36.802", 10));
	/* Across midnight with dates. */
	ck_assert(!bird_time_differs("2026-11-25 23:59:59.999",
	    "2026-11-26 00:00:00.004", 10));
	ck_assert(!bird_time_differs("2026-11-25 20:31:01",
	    "2026-11-25 20:31:01", 10));
	ck_assert(bird_time_differs("2026-11-25", "2026-11-26", 10));
	ck_assert(!bird_time_differs("2026-11-25", "2026-11-25", 10));
	/* A form that changed with age: the parts both have decide. */
	ck_assert(!bird_time_differs("17:47:34.802", "2026-11-25", 10));
	ck_assert(!bird_time_differs("2026-11-25 17:47:34.802", "2026-11-25",
	    10));
	ck_assert(bird_time_differs("2026-11-24 17:47:34.802", "2026-11-25",
	    10));
	/* Unparseable: as text. */
	ck_assert(!bird_time_differs("whenever", "whenever", 10));
	ck_assert(bird_time_differs("whenever", "never", 10));
}
END_TEST

static Suite *
bird_reply_suite(void)
{
	Suite *s = suite_create("bird_reply");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_greeting);
	tcase_add_loop_test(tc, test_toggle, 0,
	    (int)(sizeof(toggle_cases) / sizeof(toggle_cases[0])));
	tcase_add_test(tc, test_toggle_lines);
	tcase_add_test(tc, test_show_protocols);
	tcase_add_test(tc, test_show_protocols_all);
	tcase_add_test(tc, test_show_status);
	tcase_add_loop_test(tc, test_bird3_recorded, 0,
	    sizeof(bird3_versions) / sizeof(bird3_versions[0]));
	tcase_add_test(tc, test_configure_check);
	tcase_add_test(tc, test_split_every_byte);
	tcase_add_test(tc, test_truncated_input);
	tcase_add_test(tc, test_overlong_and_caps);
	tcase_add_test(tc, test_async_interleaved);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_code_classes);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_time_differs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *runner = srunner_create(bird_reply_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
