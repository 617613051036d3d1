/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD control-socket replies
 *
 * BIRD's control socket (the protocol birdc speaks, doc/reply_codes and
 * nest/cli.c in BIRD) answers every command with lines "DDDD-text" (more
 * lines follow), "DDDD text" (the last line of the reply) or " text" (one
 * more line with the same code as the line before). Lines starting with "+"
 * are spontaneous printouts (log echo) that may arrive between replies. The
 * greeting "0001 BIRD 2.0.12 ready." is a reply of its own.
 *
 * This module is pure: it is fed one line at a time and assembles a bounded
 * struct bird_reply; helpers then interpret replies to enable, disable,
 * "show protocols" and "show status". Decisions are taken on reply codes;
 * text is only read for the fields of table rows.
 */
#ifndef ANYCHECK_BIRD_REPLY_H
#define ANYCHECK_BIRD_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Reply codes from BIRD's doc/reply_codes, the ones anycheck looks at. */
enum bird_code {
	BIRD_CODE_OK = 0,
	BIRD_CODE_WELCOME = 1,
	BIRD_CODE_READING_CONFIGURATION = 2,
	BIRD_CODE_RECONFIGURED = 3,
	BIRD_CODE_RECONFIGURATION_IN_PROGRESS = 4,
	BIRD_CODE_SHUTDOWN_ORDERED = 7,
	BIRD_CODE_ALREADY_DISABLED = 8,
	BIRD_CODE_DISABLED = 9,
	BIRD_CODE_ALREADY_ENABLED = 10,
	BIRD_CODE_ENABLED = 11,
	BIRD_CODE_RESTARTED = 12,
	BIRD_CODE_STATUS_REPORT = 13,
	BIRD_CODE_ACCESS_RESTRICTED = 16,
	BIRD_CODE_CONFIGURATION_OK = 20,
	BIRD_CODE_GRACEFUL_RESTART_STATUS = 24,
	BIRD_CODE_VERSION = 1000,
	BIRD_CODE_PROTOCOL_LIST = 1002,
	BIRD_CODE_PROTOCOL_DETAILS = 1006,
	BIRD_CODE_UPTIME = 1011,
	BIRD_CODE_PROTOCOL_HEADING = 2002,
	BIRD_CODE_REPLY_TOO_LONG = 8000,
	BIRD_CODE_NO_PROTOCOLS_MATCH = 8003,
	BIRD_CODE_ACCESS_DENIED = 8007,
	BIRD_CODE_COMMAND_TOO_LONG = 9000,
	BIRD_CODE_PARSE_ERROR = 9001,
	BIRD_CODE_INVALID_SYMBOL_TYPE = 9002,
};

/* The class of a code is its first digit (doc/reply_codes). */
enum bird_code_class {
	BIRD_CLASS_SUCCESS,         /* 0xxx action successfully completed */
	BIRD_CLASS_TABLE_ENTRY,     /* 1xxx */
	BIRD_CLASS_TABLE_HEADING,   /* 2xxx */
	BIRD_CLASS_RUNTIME_ERROR,   /* 8xxx */
	BIRD_CLASS_PARSE_ERROR,     /* 9xxx */
	BIRD_CLASS_UNKNOWN,         /* 3xxx-7xxx: not defined by BIRD */
};

#define BIRD_REPLY_MAX_LINES 64
#define BIRD_REPLY_MAX_TEXT 16384
#define BIRD_REPLY_MAX_CODES 16

struct bird_reply_line {
	unsigned code;
	size_t offset;              /* of the NUL-terminated text in text[] */
};

/* One complete reply. Lines beyond the caps are dropped and counted. */
struct bird_reply {
	unsigned code;              /* code of the final line */
	struct bird_reply_line lines[BIRD_REPLY_MAX_LINES];
	size_t line_count;          /* lines stored, final line included */
	size_t lines_seen;          /* lines received, stored or not */
	unsigned codes[BIRD_REPLY_MAX_CODES]; /* distinct codes, in order */
	size_t code_count;
	bool truncated;             /* a line or its text was dropped or cut */
	char text[BIRD_REPLY_MAX_TEXT];
	size_t text_length;
};

enum bird_parse_result {
	BIRD_PARSE_MORE,            /* line taken; the reply continues */
	BIRD_PARSE_REPLY,           /* final line: parser->reply is complete */
	BIRD_PARSE_ASYNC,           /* "+" line: parser->async holds its text */
	BIRD_PARSE_MALFORMED,       /* not BIRD's framing; partial reply dropped */
};

#define BIRD_ASYNC_MAX 512

struct bird_parser {
	struct bird_reply reply;
	bool in_reply;              /* lines of an unfinished reply were seen */
	unsigned last_code;         /* code a " text" line continues; 0 none */
	bool last_final;            /* the previous line ended a reply */
	char async[BIRD_ASYNC_MAX];
	/* The line just fed (after MORE or REPLY), for callers that read a
	 * long reply row by row rather than from the capped reply. */
	unsigned line_code;
	const char *line_text;
};

/* Prepare a parser for a new connection. */
void bird_parser_init(struct bird_parser *parser);
/* Feed one line without its newline; overlong says the line reader cut it.
 * After BIRD_PARSE_REPLY, parser->reply stays valid until the next feed. */
enum bird_parse_result bird_parser_feed_line(struct bird_parser *parser,
    const char *line, bool overlong);
/* Is a reply half-received (lines seen, no final line yet)? */
bool bird_parser_pending(const struct bird_parser *parser);

enum bird_code_class bird_code_class(unsigned code);
/* Short human name of a code ("Enabled", "No protocols match"), or NULL. */
const char *bird_code_name(unsigned code);
/* Text of stored line i (NUL-terminated). */
const char *bird_reply_line_text(const struct bird_reply *reply, size_t i);
/* Did any line of the reply carry this code? */
bool bird_reply_has_code(const struct bird_reply *reply, unsigned code);
/* Is the reply an error (final code 8xxx or 9xxx)? */
bool bird_reply_is_error(const struct bird_reply *reply);

/* What an "enable NAME" or "disable NAME" command did. */
enum bird_toggle_result {
	BIRD_TOGGLE_ENABLED,
	BIRD_TOGGLE_ALREADY_ENABLED,
	BIRD_TOGGLE_DISABLED,
	BIRD_TOGGLE_ALREADY_DISABLED,
	BIRD_TOGGLE_NO_SUCH_PROTOCOL,   /* 8003 (send the name quoted: a bare
					 * unknown name is a 9001 parse error) */
	BIRD_TOGGLE_ACCESS_DENIED,      /* 8007: the socket is restricted */
	BIRD_TOGGLE_ERROR,              /* anything else */
};

/* Classify the reply to enable/disable by its codes. */
enum bird_toggle_result bird_reply_toggle_result(const struct bird_reply *reply);
const char *bird_toggle_result_name(enum bird_toggle_result result);
/* Did the toggle leave the protocol enabled (true) or disabled (false)?
 * Only meaningful for the first four results. */
bool bird_toggle_result_enabled(enum bird_toggle_result result);

/* State column of "show protocols" (nest/proto.c proto_state_name). */
enum bird_protocol_state {
	BIRD_PROTOCOL_DOWN,
	BIRD_PROTOCOL_START,
	BIRD_PROTOCOL_UP,
	BIRD_PROTOCOL_STOP,
	BIRD_PROTOCOL_FLUSH,
	BIRD_PROTOCOL_OTHER,        /* "wait", "feed", "???", ... */
};

struct bird_protocol_status {
	char name[65];              /* BIRD symbols: at most 64 characters */
	char protocol[32];          /* "Static", "BGP", ... */
	char table[64];
	char state_text[16];
	enum bird_protocol_state state;
	char since[40];
	char info[128];
	char message[256];          /* "Message:" of "show protocols all", or "" */
};

/* Parse the text of one "show protocols" row (code 1002): "Name Proto
 * Table State Since Info". Returns 0, or -1 when it is not one. */
int bird_parse_protocol_row(const char *text, struct bird_protocol_status *out);

/* Find the row of protocol name in a "show protocols [all]" reply. Returns
 * 0 and fills *out, or -1 when the reply has no such row (8003 included). */
int bird_reply_find_protocol(const struct bird_reply *reply, const char *name,
    struct bird_protocol_status *out);
const char *bird_protocol_state_name(enum bird_protocol_state state);

enum bird_daemon_state {
	BIRD_DAEMON_UNKNOWN,
	BIRD_DAEMON_RUNNING,
	BIRD_DAEMON_RECONFIGURING,
	BIRD_DAEMON_SHUTTING_DOWN,
};

/* The fields of "show status" anycheck uses to notice restarts and
 * reconfigurations: a change of last_reboot or last_reconfiguration means
 * BIRD re-read "disabled yes" from its config and state must be re-applied. */
struct bird_status {
	char version[32];           /* "2.0.12" */
	char router_id[64];
	char server_time[64];
	char last_reboot[64];
	char last_reconfiguration[64];
	enum bird_daemon_state daemon;
};

/* Parse a "show status" reply. Returns 0, or -1 when it is not one (final
 * code other than 0013, or no reboot/reconfiguration times). */
int bird_reply_parse_status(const struct bird_reply *reply,
    struct bird_status *out);

/* A time as BIRD prints it (timeformat base/protocol defaults of BIRD 2
 * and 3): "2026-11-25 20:30:52.052", "2026-11-25 20:31:01", "17:47:34.802"
 * (today) or "2026-11-25" (long ago). Either part may be missing. */
struct bird_time {
	bool has_date;
	bool has_time;
	long days;                  /* since 1970-01-01 */
	long long ms;               /* since midnight */
};

/* Parse text; 0, or -1 when it is none of those forms. */
int bird_time_parse(const char *text, struct bird_time *out);
/* Do two times BIRD printed for the same event (its last reboot or
 * reconfiguration) name different moments? BIRD derives them from
 * monotonic time, so one event wobbles by a millisecond between reads:
 * parts both have are compared, times within tolerance_ms are the same,
 * and a form that changed with age (a time today, a date later) is no
 * change. Text that does not parse is compared as text. */
bool bird_time_differs(const char *a, const char *b,
    unsigned long tolerance_ms);

#endif
