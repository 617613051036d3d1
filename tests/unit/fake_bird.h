/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: a fake BIRD control socket for unit tests
 *
 * A UNIX socket server in a temporary directory, driven by the test's own
 * loop, that speaks BIRD 2's control protocol the way BIRD 2.0.12 does:
 * greets with 0001, and answers "enable"/"disable" (0011/0010/0009/0008,
 * 8003 for an unknown protocol), "show protocols" (a 2002 heading and one
 * 1002 row per protocol, continuation lines starting with a space),
 * "show protocols all NAME", "show status" (boot and reconfiguration
 * times) and "configure" (every protocol takes the state of its
 * "disabled" line, as BIRD does). Anything else is 9001.
 *
 * Scripted trouble: a protocol that answers 8003, 8007 or 9001 a number of
 * times; paused processing (commands pile up unanswered, like a slow BIRD;
 * more than 1024 bytes of unprocessed commands make it drop the
 * connection, as BIRD 2.0.12 does); silence (no reply at all); hand
 * toggles ("birdc enable" behind anycheck's back); a restart (the
 * connection dropped, every protocol back to its "disabled" line, a new
 * boot time). It records every command and every change of a protocol's
 * state, in order, so tests can replay what BIRD went through.
 */
#ifndef ANYCHECK_TEST_FAKE_BIRD_H
#define ANYCHECK_TEST_FAKE_BIRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* BIRD 2.0.12 reads commands into a buffer of this size and closes the
 * connection when it is full of unprocessed commands. */
#define FAKE_BIRD_READ_BUFFER 1024

struct fake_bird_protocol {
	char name[72];
	bool enabled;               /* running state */
	bool declared;              /* in BIRD's config (else 8003) */
	bool config_enabled;        /* its "disabled no" line, for configure
				     * and restarts */
	unsigned fail_code;         /* answer toggles with this code ... */
	int fail_count;             /* ... this many times (-1: always) */
};

/* One change of a protocol's running state. */
struct fake_bird_change {
	size_t protocol;            /* index in protocols */
	bool enabled;
	bool by_hand;               /* fake_bird_set, not a command */
};

struct fake_bird {
	struct loop *loop;
	char dir[64];
	char path[128];
	int listen_fd;
	int conn_fd;
	size_t accepted;
	uint64_t accepted_at_ns;    /* loop time of the last accept */
	bool hang_up;               /* close right after the greeting */
	/* The include file "configure" re-reads, or NULL: the protocols it
	 * declares become BIRD's (with config_enabled from their "disabled"
	 * lines), those it does not are gone. */
	const char *include_path;
	bool answer;                /* false: read commands, never reply */
	bool paused;                /* keep commands until fake_bird_resume */
	bool writable_wait;         /* output waits for EPOLLOUT */
	size_t overflows;           /* connections dropped for a full buffer */
	char input[FAKE_BIRD_READ_BUFFER + 1];
	size_t input_length;
	char *output;
	size_t output_length;
	size_t output_capacity;
	struct fake_bird_protocol *protocols;
	size_t protocol_count;
	/* Every command, in order (strings owned by the fake). */
	char **commands;
	size_t command_count;
	struct fake_bird_change *changes;
	size_t change_count;
	size_t configures;
	unsigned boots;
	unsigned reconfigurations;
	/* Added to both times "show status" prints, in milliseconds (BIRD's
	 * own wobble of 1 ms between reads, or a jump). */
	unsigned status_skew_ms;
};

/* Start listening at a fresh path (listening false: create the path only;
 * fake_bird_listen later). */
void fake_bird_init(struct fake_bird *fake, struct loop *loop, bool listening);
void fake_bird_listen(struct fake_bird *fake);
void fake_bird_close(struct fake_bird *fake);

/* Declare a protocol (disabled, declared). Returns its index. */
size_t fake_bird_add(struct fake_bird *fake, const char *name);
struct fake_bird_protocol *fake_bird_find(struct fake_bird *fake,
    const char *name);
/* A hand toggle: "birdc enable NAME" behind anycheck's back. */
void fake_bird_set(struct fake_bird *fake, const char *name, bool enabled);
/* Answer the next count toggles of name with code (-1: always; 0: stop). */
void fake_bird_fail(struct fake_bird *fake, const char *name, unsigned code,
    int count);

/* Process the commands that piled up while paused. */
void fake_bird_resume(struct fake_bird *fake);
/* Drop the connection (with what it had not processed). */
void fake_bird_drop(struct fake_bird *fake);
/* "birdc configure" by someone else: every protocol takes the state of
 * its config line, a new reconfiguration time. */
void fake_bird_reconfigure(struct fake_bird *fake);
/* kill -9 and start again: connection dropped, every protocol back to its
 * config line, a new boot time. */
void fake_bird_restart(struct fake_bird *fake);

/* Commands received that start with prefix. */
size_t fake_bird_count_commands(const struct fake_bird *fake,
    const char *prefix);
/* Protocols enabled now. */
size_t fake_bird_enabled_count(const struct fake_bird *fake);

#endif
