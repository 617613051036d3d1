/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD control-socket replies
 *
 * The framing follows BIRD's cli_printf() (nest/cli.c): a non-final line is
 * "%04d-" or, when its code equals the previous line's, a single " "; the
 * final line is "%04d " and resets the continuation code; "+" starts a
 * spontaneous printout. Anything else means we lost sync with BIRD, and the
 * caller should reconnect rather than guess.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bird_reply.h"

static const struct {
	unsigned code;
	const char *name;
} bird_code_names[] = {
	{ BIRD_CODE_OK, "OK" },
	{ BIRD_CODE_WELCOME, "Welcome" },
	{ BIRD_CODE_READING_CONFIGURATION, "Reading configuration" },
	{ BIRD_CODE_RECONFIGURED, "Reconfigured" },
	{ BIRD_CODE_RECONFIGURATION_IN_PROGRESS, "Reconfiguration in progress" },
	{ BIRD_CODE_SHUTDOWN_ORDERED, "Shutdown ordered" },
	{ BIRD_CODE_ALREADY_DISABLED, "Already disabled" },
	{ BIRD_CODE_DISABLED, "Disabled" },
	{ BIRD_CODE_ALREADY_ENABLED, "Already enabled" },
	{ BIRD_CODE_ENABLED, "Enabled" },
	{ BIRD_CODE_RESTARTED, "Restarted" },
	{ BIRD_CODE_STATUS_REPORT, "Status report" },
	{ BIRD_CODE_ACCESS_RESTRICTED, "Access restricted" },
	{ BIRD_CODE_CONFIGURATION_OK, "Configuration OK" },
	{ BIRD_CODE_GRACEFUL_RESTART_STATUS, "Graceful restart status report" },
	{ BIRD_CODE_VERSION, "BIRD version" },
	{ BIRD_CODE_PROTOCOL_LIST, "Protocol list" },
	{ BIRD_CODE_PROTOCOL_DETAILS, "Protocol details" },
	{ BIRD_CODE_UPTIME, "Uptime" },
	{ BIRD_CODE_PROTOCOL_HEADING, "Protocol list heading" },
	{ BIRD_CODE_REPLY_TOO_LONG, "Reply too long" },
	{ BIRD_CODE_NO_PROTOCOLS_MATCH, "No protocols match" },
	{ BIRD_CODE_ACCESS_DENIED, "Access denied" },
	{ BIRD_CODE_COMMAND_TOO_LONG, "Command too long" },
	{ BIRD_CODE_PARSE_ERROR, "Parse error" },
	{ BIRD_CODE_INVALID_SYMBOL_TYPE, "Invalid symbol type" },
};

static const char *bird_toggle_names[] = {
	[BIRD_TOGGLE_ENABLED] = "enabled",
	[BIRD_TOGGLE_ALREADY_ENABLED] = "already enabled",
	[BIRD_TOGGLE_DISABLED] = "disabled",
	[BIRD_TOGGLE_ALREADY_DISABLED] = "already disabled",
	[BIRD_TOGGLE_NO_SUCH_PROTOCOL] = "no such protocol",
	[BIRD_TOGGLE_ACCESS_DENIED] = "access denied",
	[BIRD_TOGGLE_ERROR] = "error",
};

static const char *bird_protocol_state_names[] = {
	[BIRD_PROTOCOL_DOWN] = "down",
	[BIRD_PROTOCOL_START] = "start",
	[BIRD_PROTOCOL_UP] = "up",
	[BIRD_PROTOCOL_STOP] = "stop",
	[BIRD_PROTOCOL_FLUSH] = "flush",
	[BIRD_PROTOCOL_OTHER] = "other",
};

static void
bird_reply_clear(struct bird_reply *reply)
{
	reply->code = 0;
	reply->line_count = 0;
	reply->lines_seen = 0;
	reply->code_count = 0;
	reply->truncated = false;
	reply->text_length = 0;
	reply->text[0] = '\0';
}

void
bird_parser_init(struct bird_parser *parser)
{
	bird_reply_clear(&parser->reply);
	parser->in_reply = false;
	parser->last_code = 0;
	parser->last_final = false;
	parser->async[0] = '\0';
	parser->line_code = 0;
	parser->line_text = "";
}

bool
bird_parser_pending(const struct bird_parser *parser)
{
	return parser->in_reply;
}

static void
bird_reply_note_code(struct bird_reply *reply, unsigned code)
{
	for (size_t i = 0; i < reply->code_count; i++)
		if (reply->codes[i] == code)
			return;
	if (reply->code_count == BIRD_REPLY_MAX_CODES) {
		reply->truncated = true;
		return;
	}
	reply->codes[reply->code_count++] = code;
}

/* Store one line; the final line always gets a slot (the last one is kept
 * free for it), so a capped reply still shows how it ended. */
static void
bird_reply_add_line(struct bird_reply *reply, unsigned code, const char *text,
    bool final)
{
	size_t room, length = strlen(text);
	size_t max_lines = final ? BIRD_REPLY_MAX_LINES : BIRD_REPLY_MAX_LINES - 1;
	/* Keep 256 bytes for the final line's text for the same reason. */
	size_t max_text = final ? BIRD_REPLY_MAX_TEXT : BIRD_REPLY_MAX_TEXT - 256;

	reply->lines_seen++;
	bird_reply_note_code(reply, code);
	if (reply->line_count >= max_lines || reply->text_length + 1 >= max_text) {
		reply->truncated = true;
		return;
	}
	room = max_text - reply->text_length - 1;
	if (length > room) {
		length = room;
		reply->truncated = true;
	}
	reply->lines[reply->line_count].code = code;
	reply->lines[reply->line_count].offset = reply->text_length;
	memcpy(reply->text + reply->text_length, text, length);
	reply->text_length += length;
	reply->text[reply->text_length++] = '\0';
	reply->line_count++;
}

static bool
bird_parse_code(const char *line, unsigned *code)
{
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)line[i]))
			return false;
	*code = (unsigned)((line[0] - '0') * 1000 + (line[1] - '0') * 100 +
	    (line[2] - '0') * 10 + (line[3] - '0'));
	return true;
}

enum bird_parse_result
bird_parser_feed_line(struct bird_parser *parser, const char *line,
    bool overlong)
{
	struct bird_reply *reply = &parser->reply;
	unsigned code;
	bool final;
	const char *text;

	if (parser->last_final) {
		/* The previous feed handed out a reply; start a fresh one. */
		bird_reply_clear(reply);
		parser->last_final = false;
	}
	if (line[0] == '+') {
		snprintf(parser->async, sizeof(parser->async), "%s", line + 1);
		return BIRD_PARSE_ASYNC;
	}
	if (line[0] == ' ') {
		if (parser->last_code == 0 && !parser->in_reply)
			goto malformed;
		code = parser->last_code;
		final = false;
		text = line + 1;
	} else if (bird_parse_code(line, &code) &&
	    (line[4] == '-' || line[4] == ' ')) {
		final = line[4] == ' ';
		text = line + 5;
	} else if (bird_parse_code(line, &code) && line[4] == '\0') {
		/* BIRD never sends this, but "0000" without its space is
		 * unambiguous enough to accept as a final line. */
		final = true;
		text = line + 4;
	} else
		goto malformed;

	if (!parser->in_reply)
		bird_reply_clear(reply);
	parser->in_reply = true;
	bird_reply_add_line(reply, code, text, final);
	parser->line_code = code;
	parser->line_text = text;
	if (overlong)
		reply->truncated = true;
	if (!final) {
		parser->last_code = code;
		return BIRD_PARSE_MORE;
	}
	reply->code = code;
	parser->in_reply = false;
	parser->last_code = 0;
	parser->last_final = true;
	return BIRD_PARSE_REPLY;

malformed:
	bird_reply_clear(reply);
	parser->in_reply = false;
	parser->last_code = 0;
	return BIRD_PARSE_MALFORMED;
}

enum bird_code_class
bird_code_class(unsigned code)
{
	switch (code / 1000) {
	case 0:
		return BIRD_CLASS_SUCCESS;
	case 1:
		return BIRD_CLASS_TABLE_ENTRY;
	case 2:
		return BIRD_CLASS_TABLE_HEADING;
	case 8:
		return BIRD_CLASS_RUNTIME_ERROR;
	case 9:
		return BIRD_CLASS_PARSE_ERROR;
	default:
		return BIRD_CLASS_UNKNOWN;
	}
}

const char *
bird_code_name(unsigned code)
{
	for (size_t i = 0; i < sizeof(bird_code_names) / sizeof(bird_code_names[0]);
	    i++)
		if (bird_code_names[i].code == code)
			return bird_code_names[i].name;
	return NULL;
}

const char *
bird_reply_line_text(const struct bird_reply *reply, size_t i)
{
	if (i >= reply->line_count)
		return "";
	return reply->text + reply->lines[i].offset;
}

bool
bird_reply_has_code(const struct bird_reply *reply, unsigned code)
{
	for (size_t i = 0; i < reply->code_count; i++)
		if (reply->codes[i] == code)
			return true;
	return false;
}

bool
bird_reply_is_error(const struct bird_reply *reply)
{
	enum bird_code_class class = bird_code_class(reply->code);

	return class == BIRD_CLASS_RUNTIME_ERROR ||
	    class == BIRD_CLASS_PARSE_ERROR || class == BIRD_CLASS_UNKNOWN;
}

enum bird_toggle_result
bird_reply_toggle_result(const struct bird_reply *reply)
{
	if (reply->code == BIRD_CODE_NO_PROTOCOLS_MATCH)
		return BIRD_TOGGLE_NO_SUCH_PROTOCOL;
	if (reply->code == BIRD_CODE_ACCESS_DENIED)
		return BIRD_TOGGLE_ACCESS_DENIED;
	if (bird_reply_is_error(reply))
		return BIRD_TOGGLE_ERROR;
	/* One line per matching protocol (we send one name), then "0000". */
	for (size_t i = 0; i < reply->line_count; i++) {
		switch (reply->lines[i].code) {
		case BIRD_CODE_ENABLED:
			return BIRD_TOGGLE_ENABLED;
		case BIRD_CODE_ALREADY_ENABLED:
			return BIRD_TOGGLE_ALREADY_ENABLED;
		case BIRD_CODE_DISABLED:
			return BIRD_TOGGLE_DISABLED;
		case BIRD_CODE_ALREADY_DISABLED:
			return BIRD_TOGGLE_ALREADY_DISABLED;
		default:
			break;
		}
	}
	return BIRD_TOGGLE_ERROR;
}

const char *
bird_toggle_result_name(enum bird_toggle_result result)
{
	if ((unsigned)result > BIRD_TOGGLE_ERROR)
		return "?";
	return bird_toggle_names[result];
}

bool
bird_toggle_result_enabled(enum bird_toggle_result result)
{
	return result == BIRD_TOGGLE_ENABLED ||
	    result == BIRD_TOGGLE_ALREADY_ENABLED;
}

const char *
bird_protocol_state_name(enum bird_protocol_state state)
{
	if ((unsigned)state > BIRD_PROTOCOL_OTHER)
		return "?";
	return bird_protocol_state_names[state];
}

static enum bird_protocol_state
bird_protocol_state_parse(const char *text)
{
	for (unsigned s = BIRD_PROTOCOL_DOWN; s < BIRD_PROTOCOL_OTHER; s++)
		if (strcmp(text, bird_protocol_state_names[s]) == 0)
			return (enum bird_protocol_state)s;
	return BIRD_PROTOCOL_OTHER;
}

/* Copy the next whitespace-separated word of *cursor into out (cut to
 * size); false when there is none. */
static bool
bird_next_word(const char **cursor, char *out, size_t size)
{
	const char *p = *cursor, *start;
	size_t length;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return false;
	start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	length = (size_t)(p - start);
	if (length >= size)
		length = size - 1;
	memcpy(out, start, length);
	out[length] = '\0';
	*cursor = p;
	return true;
}

/* Copy text without leading and trailing blanks. */
static void
bird_copy_trimmed(char *out, size_t size, const char *text)
{
	size_t length;

	while (*text == ' ' || *text == '\t')
		text++;
	length = strlen(text);
	while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t'))
		length--;
	if (length >= size)
		length = size - 1;
	memcpy(out, text, length);
	out[length] = '\0';
}

/* A "since" of "2026-11-25 20:31:01" (timeformat "%F %T", BIRD 3's
 * default for old dates) is two words; take the time too. */
static void
bird_join_time(char *since, size_t size, const char **cursor)
{
	const char *peek = *cursor;
	char word[24];
	size_t length = strlen(since);

	if (length != 10 || since[4] != '-' || since[7] != '-')
		return;
	if (!bird_next_word(&peek, word, sizeof(word)) ||
	    !isdigit((unsigned char)word[0]) || strchr(word, ':') == NULL)
		return;
	snprintf(since + length, size - length, " %s", word);
	*cursor = peek;
}

static bool
bird_starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

int
bird_parse_protocol_row(const char *text, struct bird_protocol_status *out)
{
	/* Name Proto Table State Since Info: the first four are single
	 * words; "since" is one word with BIRD's default time formats; the
	 * rest is info. */
	const char *cursor = text;

	memset(out, 0, sizeof(*out));
	if (!bird_next_word(&cursor, out->name, sizeof(out->name)) ||
	    !bird_next_word(&cursor, out->protocol, sizeof(out->protocol)) ||
	    !bird_next_word(&cursor, out->table, sizeof(out->table)) ||
	    !bird_next_word(&cursor, out->state_text,
	    sizeof(out->state_text))) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->state = bird_protocol_state_parse(out->state_text);
	if (bird_next_word(&cursor, out->since, sizeof(out->since))) {
		bird_join_time(out->since, sizeof(out->since), &cursor);
		bird_copy_trimmed(out->info, sizeof(out->info), cursor);
	}
	return 0;
}

int
bird_reply_find_protocol(const struct bird_reply *reply, const char *name,
    struct bird_protocol_status *out)
{
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (bird_reply_is_error(reply))
		return -1;
	for (size_t i = 0; i < reply->line_count; i++) {
		const char *text = bird_reply_line_text(reply, i);
		unsigned code = reply->lines[i].code;

		if (code == BIRD_CODE_PROTOCOL_LIST) {
			/* Name Proto Table State Since Info: the first four
			 * are single words; "since" is one word with BIRD's
			 * default time formats; the rest is info. */
			/* A 64-character name, its NUL, and one more: a
			 * longer word, cut, must not match a name that is its
			 * first 64 characters (found by fuzzing). */
			char word[66];
			const char *cursor = text;

			if (found)
				break;          /* the next protocol's row */
			if (!bird_next_word(&cursor, word, sizeof(word)) ||
			    strlen(word) > 64 || strcmp(word, name) != 0)
				continue;
			if (bird_parse_protocol_row(text, out) != 0)
				return -1;
			found = true;
		} else if (found && code == BIRD_CODE_PROTOCOL_DETAILS) {
			const char *p = text;

			while (*p == ' ')
				p++;
			if (bird_starts_with(p, "Message:"))
				bird_copy_trimmed(out->message,
				    sizeof(out->message), p + strlen("Message:"));
		}
	}
	return found ? 0 : -1;
}

int
bird_reply_parse_status(const struct bird_reply *reply,
    struct bird_status *out)
{
	static const struct {
		const char *prefix;
		size_t offset;
		size_t size;
	} fields[] = {
		{ "Router ID is ", offsetof(struct bird_status, router_id),
		    sizeof(((struct bird_status *)0)->router_id) },
		{ "Current server time is ",
		    offsetof(struct bird_status, server_time),
		    sizeof(((struct bird_status *)0)->server_time) },
		{ "Last reboot on ", offsetof(struct bird_status, last_reboot),
		    sizeof(((struct bird_status *)0)->last_reboot) },
		{ "Last reconfiguration on ",
		    offsetof(struct bird_status, last_reconfiguration),
		    sizeof(((struct bird_status *)0)->last_reconfiguration) },
	};

	memset(out, 0, sizeof(*out));
	if (reply->code != BIRD_CODE_STATUS_REPORT)
		return -1;
	for (size_t i = 0; i < reply->line_count; i++) {
		const char *text = bird_reply_line_text(reply, i);

		switch (reply->lines[i].code) {
		case BIRD_CODE_VERSION:
			if (bird_starts_with(text, "BIRD "))
				bird_copy_trimmed(out->version,
				    sizeof(out->version), text + 5);
			break;
		case BIRD_CODE_UPTIME:
			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]);
			    f++)
				if (bird_starts_with(text, fields[f].prefix))
					bird_copy_trimmed((char *)out +
					    fields[f].offset, fields[f].size,
					    text + strlen(fields[f].prefix));
			break;
		case BIRD_CODE_STATUS_REPORT:
			/* All three daemon states share code 0013 (nest/cmds.c
			 * cmd_show_status); only the text tells them apart. */
			if (strcmp(text, "Daemon is up and running") == 0)
				out->daemon = BIRD_DAEMON_RUNNING;
			else if (strcmp(text, "Reconfiguration in progress") == 0)
				out->daemon = BIRD_DAEMON_RECONFIGURING;
			else if (strcmp(text, "Shutdown in progress") == 0)
				out->daemon = BIRD_DAEMON_SHUTTING_DOWN;
			break;
		default:
			break;
		}
	}
	if (out->last_reboot[0] == '\0' || out->last_reconfiguration[0] == '\0')
		return -1;
	return 0;
}

/* n digits at *p as a number; false when they are not all digits. */
static bool
bird_time_digits(const char **p, int n, long *out)
{
	long value = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		value = value * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = value;
	return true;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (the usual
 * era-of-400-years arithmetic). */
static long
bird_time_days(long year, long month, long day)
{
	long era, year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	    day_of_year;
	return era * 146097 + day_of_era - 719468;
}

/* "HH:MM:SS" with an optional fraction (".052"), at *p. */
static bool
bird_time_of_day(const char **p, long long *ms)
{
	long hour, minute, second, fraction = 0;
	int digits = 0;

	if (!bird_time_digits(p, 2, &hour) || *(*p)++ != ':' ||
	    !bird_time_digits(p, 2, &minute) || *(*p)++ != ':' ||
	    !bird_time_digits(p, 2, &second) || hour > 23 || minute > 59 ||
	    second > 60)
		return false;
	if (**p == '.') {
		(*p)++;
		/* Milliseconds; finer digits (timeformat "%f") are cut. */
		while (isdigit((unsigned char)**p)) {
			if (digits < 3) {
				fraction = fraction * 10 + (**p - '0');
				digits++;
			}
			(*p)++;
		}
		if (digits == 0)
			return false;
		while (digits++ < 3)
			fraction *= 10;
	}
	*ms = ((hour * 60 + minute) * 60 + second) * 1000LL + fraction;
	return true;
}

int
bird_time_parse(const char *text, struct bird_time *out)
{
	const char *p = text;

	memset(out, 0, sizeof(*out));
	while (*p == ' ')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
	    p[4] == '-') {
		long year, month, day;

		if (!bird_time_digits(&p, 4, &year) || *p++ != '-' ||
		    !bird_time_digits(&p, 2, &month) || *p++ != '-' ||
		    !bird_time_digits(&p, 2, &day) || month < 1 ||
		    month > 12 || day < 1 || day > 31)
			return -1;
		out->has_date = true;
		out->days = bird_time_days(year, month, day);
		if (*p == ' ' || *p == 'T')
			p++;
	}
	if (isdigit((unsigned char)*p)) {
		if (!bird_time_of_day(&p, &out->ms))
			return -1;
		out->has_time = true;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || (!out->has_date && !out->has_time)) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

bool
bird_time_differs(const char *a, const char *b, unsigned long tolerance_ms)
{
	struct bird_time x, y;
	long long distance;

	if (bird_time_parse(a, &x) != 0 || bird_time_parse(b, &y) != 0)
		return strcmp(a, b) != 0;
	if (x.has_date && y.has_date && x.has_time && y.has_time) {
		distance = (x.days - y.days) * 86400000LL + x.ms - y.ms;
		return (distance < 0 ? -distance : distance) >
		    (long long)tolerance_ms;
	}
	if (x.has_date && y.has_date && x.days != y.days)
		return true;
	if (x.has_time && y.has_time && !x.has_date && !y.has_date) {
		distance = x.ms > y.ms ? x.ms - y.ms : y.ms - x.ms;
		/* Both "today": 23:59:59.999 and 00:00:00.000 are 1 ms apart. */
		if (86400000LL - distance < distance)
			distance = 86400000LL - distance;
		return distance > (long long)tolerance_ms;
	}
	return false;
}
