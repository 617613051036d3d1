/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of the BIRD control-socket client
 *
 * A fake BIRD (fake_bird.c) listens on a UNIX socket in a temporary
 * directory and is driven by the same loop as the client; every wait is a
 * bounded number of loop rounds.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bird_client.h"
#include "clock.h"
#include "fake_bird.h"
#include "log.h"
#include "loop.h"
#include "virtual_clock.h"

struct observed {
	size_t connected;
	size_t disconnected;
	char version[32];
	size_t replies;
	enum bird_client_result result;
	struct bird_reply reply;
	struct bird_reply first;        /* of the first reply */
};

static void
on_connected(struct bird_client *client, const char *version, void *arg)
{
	struct observed *seen = arg;

	(void)client;
	seen->connected++;
	snprintf(seen->version, sizeof(seen->version), "%s", version);
}

static void
on_disconnected(struct bird_client *client, void *arg)
{
	(void)client;
	((struct observed *)arg)->disconnected++;
}

static void
on_reply(struct bird_client *client, enum bird_client_result result,
    const struct bird_reply *reply, void *arg)
{
	struct observed *seen = arg;

	(void)client;
	seen->replies++;
	seen->result = result;
	if (reply != NULL)
		seen->reply = *reply;
	if (reply != NULL && seen->replies == 1)
		seen->first = *reply;
}

/* Run the loop until *counter reaches want, at most limit_ms. */
static void
run_until(struct loop *loop, const size_t *counter, size_t want, int limit_ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)limit_ms * NSEC_PER_MSEC;

	while (*counter < want && clock_now_ns() < end)
		loop_run_once(loop, 20);
}

static struct observed seen;

static struct bird_client *
make_client(struct loop *loop, const char *path)
{
	struct bird_client_callbacks callbacks = {
		.connected = on_connected,
		.disconnected = on_disconnected,
		.arg = &seen,
	};

	memset(&seen, 0, sizeof(seen));
	return bird_client_new(loop, path, &callbacks);
}

START_TEST(test_greeting_and_commands)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;

	ck_assert_ptr_nonnull(loop);
	fake_bird_init(&fake, loop, true);
	fake_bird_add(&fake, "anycheck_web_v4");
	client = make_client(loop, fake.path);
	ck_assert_int_eq(bird_client_enable(client, "anycheck_web_v4", on_reply,
	    &seen), -1);               /* not connected yet */
	bird_client_start(client);
	run_until(loop, &seen.connected, 1, 2000);
	ck_assert_uint_eq(seen.connected, 1);
	ck_assert_str_eq(seen.version, "2.0.12");
	ck_assert(bird_client_connected(client));

	ck_assert_int_eq(bird_client_enable(client, "anycheck_web_v4", on_reply,
	    &seen), 0);
	ck_assert_int_eq(bird_client_show_status(client, on_reply, &seen), 0);
	ck_assert_uint_eq(bird_client_pending(client), 2);
	/* Both are written at once (pipelined); replies come in order. */
	run_until(loop, &seen.replies, 2, 2000);
	ck_assert_uint_eq(fake.command_count, 2);
	/* A bare name: BIRD looks it up, rather than matching a pattern
	 * against every protocol. */
	ck_assert_str_eq(fake.commands[0], "enable anycheck_web_v4");
	ck_assert_str_eq(fake.commands[1], "show status");
	ck_assert_int_eq(bird_reply_toggle_result(&seen.first),
	    BIRD_TOGGLE_ENABLED);
	ck_assert_int_eq(seen.result, BIRD_CLIENT_REPLY);
	ck_assert_uint_eq(seen.reply.code, BIRD_CODE_STATUS_REPORT);
	ck_assert_uint_eq(bird_client_pending(client), 0);

	/* An unknown bare name does not parse (9001): the client asks again
	 * with it quoted, and the caller gets BIRD's real answer, 8003. */
	ck_assert_int_eq(bird_client_disable(client, "anycheck_gone_v4",
	    on_reply, &seen), 0);
	run_until(loop, &seen.replies, 3, 2000);
	ck_assert_uint_eq(fake.command_count, 4);
	ck_assert_str_eq(fake.commands[2], "disable anycheck_gone_v4");
	ck_assert_str_eq(fake.commands[3], "disable \"anycheck_gone_v4\"");
	ck_assert_uint_eq(seen.reply.code, BIRD_CODE_NO_PROTOCOLS_MATCH);

	/* Invalid names never reach BIRD. */
	ck_assert_int_eq(bird_client_disable(client, "x\" all", on_reply,
	    &seen), -1);

	bird_client_free(client);
	fake_bird_close(&fake);
	loop_free(loop);
}
END_TEST

START_TEST(test_reconnect_when_socket_appears)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;

	fake_bird_init(&fake, loop, false);
	client = make_client(loop, fake.path);
	bird_client_start(client);
	/* 0.1 + 0.2 + 0.4 s of failures: the back-off grows. */
	run_until(loop, &seen.connected, 1, 800);
	ck_assert_uint_eq(seen.connected, 0);
	ck_assert_uint_ge(bird_client_backoff_ns(client),
	    4 * BIRD_CLIENT_BACKOFF_MIN_NS);
	fake_bird_listen(&fake);
	run_until(loop, &seen.connected, 1, 3000);
	ck_assert_uint_eq(seen.connected, 1);
	/* A greeting alone does not make the connection healthy: the
	 * back-off starts afresh only once it has lasted. */
	ck_assert_uint_ge(bird_client_backoff_ns(client),
	    4 * BIRD_CLIENT_BACKOFF_MIN_NS);

	bird_client_free(client);
	fake_bird_close(&fake);
	loop_free(loop);
}
END_TEST

START_TEST(test_disconnect_and_timeout)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;

	fake_bird_init(&fake, loop, true);
	client = make_client(loop, fake.path);
	bird_client_start(client);
	run_until(loop, &seen.connected, 1, 2000);
	ck_assert_uint_eq(seen.connected, 1);

	/* BIRD goes silent: the command times out, the client reconnects. */
	fake.answer = false;
	ck_assert_int_eq(bird_client_command(client, "show status",
	    200 * NSEC_PER_MSEC, on_reply, &seen), 0);
	run_until(loop, &seen.replies, 1, 2000);
	ck_assert_int_eq(seen.result, BIRD_CLIENT_TIMEOUT);
	ck_assert_uint_eq(seen.disconnected, 1);
	run_until(loop, &seen.connected, 2, 2000);
	ck_assert_uint_eq(seen.connected, 2);
	ck_assert_uint_eq(fake.accepted, 2);

	/* BIRD closes the socket with a command in flight. */
	ck_assert_int_eq(bird_client_command(client, "show status",
	    0, on_reply, &seen), 0);
	run_until(loop, (size_t[]){ 0 }, 1, 100);  /* let it be sent */
	fake_bird_drop(&fake);
	run_until(loop, &seen.replies, 2, 2000);
	ck_assert_int_eq(seen.result, BIRD_CLIENT_DISCONNECTED);
	fake.answer = true;
	run_until(loop, &seen.connected, 3, 3000);
	ck_assert_uint_eq(seen.connected, 3);

	bird_client_free(client);
	fake_bird_close(&fake);
	loop_free(loop);
}
END_TEST

/* Replies matched in order to pipelined commands. */
static size_t order_seen;
static bool order_ok = true;

static void
on_ordered_reply(struct bird_client *client, enum bird_client_result result,
    const struct bird_reply *reply, void *arg)
{
	size_t want = (size_t)(uintptr_t)arg;
	char expect[64];

	(void)client;
	snprintf(expect, sizeof(expect), "p%zu: enabled", want);
	if (result != BIRD_CLIENT_REPLY || want != order_seen ||
	    strcmp(bird_reply_line_text(reply, 0), expect) != 0)
		order_ok = false;
	order_seen++;
}

START_TEST(test_pipelined_in_order_within_bird_buffer)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;
	char name[16];
	size_t commands = 100;

	fake_bird_init(&fake, loop, true);
	for (size_t i = 0; i < commands; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		fake_bird_add(&fake, name);
	}
	client = make_client(loop, fake.path);
	bird_client_start(client);
	run_until(loop, &seen.connected, 1, 2000);
	ck_assert_uint_eq(seen.connected, 1);

	/* A slow BIRD: commands pile up unprocessed. The client writes
	 * several back to back, but never more than BIRD's buffer holds. */
	fake.paused = true;
	order_seen = 0;
	order_ok = true;
	for (size_t i = 0; i < commands; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		ck_assert_int_eq(bird_client_enable(client, name,
		    on_ordered_reply, (void *)(uintptr_t)i), 0);
	}
	for (int i = 0; i < 20; i++)
		loop_run_once(loop, 10);
	ck_assert_uint_gt(fake.input_length, 100);  /* pipelined */
	ck_assert_uint_le(fake.input_length, BIRD_CLIENT_PIPELINE_BYTES);
	ck_assert_uint_eq(order_seen, 0);
	fake_bird_resume(&fake);
	run_until(loop, &order_seen, commands, 3000);
	ck_assert_uint_eq(order_seen, commands);
	ck_assert(order_ok);
	ck_assert_uint_eq(fake.overflows, 0);
	ck_assert_uint_eq(fake.accepted, 1);
	ck_assert_uint_eq(fake_bird_enabled_count(&fake), commands);

	bird_client_free(client);
	fake_bird_close(&fake);
	loop_free(loop);
}
END_TEST

/* "show protocols" of thousands of rows, read row by row. */
static size_t rows_seen;

static void
on_row(struct bird_client *client, unsigned code, const char *text, void *arg)
{
	(void)client;
	(void)arg;
	if (code == 1002 && strncmp(text, "p", 1) == 0)
		rows_seen++;
}

START_TEST(test_long_listing_by_lines)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;
	char name[16];

	fake_bird_init(&fake, loop, true);
	for (size_t i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		fake_bird_add(&fake, name);
	}
	client = make_client(loop, fake.path);
	bird_client_start(client);
	run_until(loop, &seen.connected, 1, 2000);
	rows_seen = 0;
	ck_assert_int_eq(bird_client_show_protocols(client, on_row, on_reply,
	    &seen), 0);
	run_until(loop, &seen.replies, 1, 3000);
	ck_assert_int_eq(seen.result, BIRD_CLIENT_REPLY);
	ck_assert_uint_eq(seen.reply.code, 0);
	ck_assert_uint_eq(rows_seen, 5000);

	bird_client_free(client);
	fake_bird_close(&fake);
	loop_free(loop);
}
END_TEST

/* Let fd exchanges between the fake and the client (connect, greeting,
 * hang-up) finish at the current virtual time: each step needs a round. */
static void
pump(struct loop *loop)
{
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(loop_run_once(loop, 0), 0);
}

/* Move virtual time ns forward, timer by timer, pumping at each. */
static void
run_virtual(struct virtual_clock *clock, struct loop *loop, uint64_t ns)
{
	uint64_t end = clock->now_ns + ns;

	pump(loop);
	for (;;) {
		uint64_t next = loop_next_deadline_ns(loop);

		if (next == 0 || next > end)
			break;
		ck_assert_int_eq(virtual_clock_step(clock, loop), 0);
		pump(loop);
	}
	ck_assert_int_eq(virtual_clock_advance(clock, loop,
	    end - clock->now_ns), 0);
	pump(loop);
}

/* A socket that greets and hangs up at once is not a healthy BIRD: the
 * back-off keeps growing to its 0.5 s cap (two attempts a second, not ten),
 * and starts again from 0.1 s only after a connection that lasted 10 s.
 * On virtual time, so the numbers are exact. */
START_TEST(test_backoff_resets_only_when_healthy)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	struct fake_bird fake;
	struct bird_client *client;
	uint64_t closed_at;

	virtual_clock_attach(&clock, loop);
	fake_bird_init(&fake, loop, true);
	fake.hang_up = true;
	client = make_client(loop, fake.path);
	bird_client_start(client);
	run_virtual(&clock, loop, 10 * NSEC_PER_SEC);
	/* Attempts at 0, 0.1, 0.3, 0.7, then every 0.5 s: 1.2 ... 9.7. */
	ck_assert_uint_eq(fake.accepted, 4 + 18);
	ck_assert_uint_eq(seen.connected, fake.accepted);
	ck_assert_uint_eq(bird_client_backoff_ns(client),
	    BIRD_CLIENT_BACKOFF_MAX_NS);

	/* BIRD behaves again: the next attempt stays connected. */
	fake.hang_up = false;
	run_virtual(&clock, loop, NSEC_PER_SEC);
	ck_assert(bird_client_connected(client));
	ck_assert_uint_eq(fake.accepted, 4 + 18 + 1);

	/* It drops the connection after 5 s: still not healthy, so the
	 * next attempt comes after the full 0.5 s. */
	run_virtual(&clock, loop, 5 * NSEC_PER_SEC);
	closed_at = loop_now_ns(loop);
	fake_bird_drop(&fake);
	run_virtual(&clock, loop, NSEC_PER_SEC);
	ck_assert_uint_eq(fake.accepted, 4 + 18 + 2);
	ck_assert_uint_eq(fake.accepted_at_ns - closed_at,
	    BIRD_CLIENT_BACKOFF_MAX_NS);

	/* After 10 s connected, a lost connection is retried after 0.1 s. */
	run_virtual(&clock, loop, 10 * NSEC_PER_SEC);
	closed_at = loop_now_ns(loop);
	fake_bird_drop(&fake);
	run_virtual(&clock, loop, NSEC_PER_SEC);
	ck_assert_uint_eq(fake.accepted, 4 + 18 + 3);
	ck_assert_uint_eq(fake.accepted_at_ns - closed_at,
	    BIRD_CLIENT_BACKOFF_MIN_NS);
	ck_assert(bird_client_connected(client));

	bird_client_free(client);
	fake_bird_close(&fake);
	loop_free(loop);
}
END_TEST

/* A hostile "BIRD": greets properly, then answers the first command as
 * told. */
enum hostile_mode {
	HOSTILE_GARBAGE,        /* binary noise, no valid reply */
	HOSTILE_HUGE_LINE,      /* 10 MB without a newline */
	HOSTILE_CLOSE_MID_REPLY, /* "0011-..." then the socket closes */
	HOSTILE_SILENT,         /* reads, never answers */
};

struct hostile {
	struct loop *loop;
	enum hostile_mode mode;
	char dir[64];
	char path[128];
	int listen_fd;
	int conn_fd;
	size_t accepted;
	size_t sent;            /* bytes of the answer written so far */
};

static void
hostile_answer(struct hostile *h)
{
	static char chunk[65536];

	switch (h->mode) {
	case HOSTILE_GARBAGE:
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)(i * 7919 % 251);
		(void)!write(h->conn_fd, chunk, 4096);
		break;
	case HOSTILE_HUGE_LINE:
		memset(chunk, 'x', sizeof(chunk));
		memcpy(chunk, "0011-", 5);
		/* As much as the socket takes now; the rest when writable. */
		while (h->sent < 10 * 1024 * 1024) {
			ssize_t n = write(h->conn_fd, chunk + (h->sent ? 5 : 0),
			    sizeof(chunk) - (h->sent ? 5 : 0));
			if (n <= 0)
				break;
			h->sent += (size_t)n;
		}
		break;
	case HOSTILE_CLOSE_MID_REPLY:
		(void)!write(h->conn_fd, "0011-anycheck_web_v4: ena", 25);
		loop_remove_fd(h->loop, h->conn_fd);
		close(h->conn_fd);
		h->conn_fd = -1;
		break;
	case HOSTILE_SILENT:
		break;
	}
}

static void
hostile_on_conn(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct hostile *h = arg;
	char buffer[4096];
	ssize_t n;

	if (events & EPOLLOUT) {
		hostile_answer(h);
		if (h->sent >= 10 * 1024 * 1024)
			loop_modify_fd(loop, fd, EPOLLIN);
		return;
	}
	n = read(fd, buffer, sizeof(buffer));
	if (n <= 0) {
		loop_remove_fd(loop, fd);
		close(fd);
		h->conn_fd = -1;
		return;
	}
	hostile_answer(h);
	if (h->conn_fd != -1 && h->mode == HOSTILE_HUGE_LINE)
		loop_modify_fd(loop, fd, EPOLLIN | EPOLLOUT);
}

static void
hostile_on_listen(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct hostile *h = arg;
	int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (conn == -1)
		return;
	if (h->conn_fd != -1) {
		loop_remove_fd(loop, h->conn_fd);
		close(h->conn_fd);
	}
	h->accepted++;
	h->conn_fd = conn;
	h->sent = 0;
	ck_assert(write(conn, "0001 BIRD 2.0.12 ready.\n", 24) == 24);
	ck_assert_int_eq(loop_add_fd(loop, conn, EPOLLIN, hostile_on_conn, h),
	    0);
}

static void
hostile_start(struct hostile *h, struct loop *loop, enum hostile_mode mode)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };

	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->mode = mode;
	h->conn_fd = -1;
	snprintf(h->dir, sizeof(h->dir), "/tmp/anycheck-hostile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/bird.ctl", h->dir);
	memcpy(address.sun_path, h->path, strlen(h->path) + 1);
	h->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	ck_assert_int_ge(h->listen_fd, 0);
	ck_assert_int_eq(bind(h->listen_fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	ck_assert_int_eq(listen(h->listen_fd, 4), 0);
	ck_assert_int_eq(loop_add_fd(loop, h->listen_fd, EPOLLIN,
	    hostile_on_listen, h), 0);
}

static void
hostile_stop(struct hostile *h)
{
	if (h->conn_fd != -1) {
		loop_remove_fd(h->loop, h->conn_fd);
		close(h->conn_fd);
	}
	loop_remove_fd(h->loop, h->listen_fd);
	close(h->listen_fd);
	unlink(h->path);
	rmdir(h->dir);
}

static long
resident_kib(void)
{
	FILE *file = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;

	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(fscanf(file, "%ld %ld", &pages, &resident), 2);
	fclose(file);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Each hostile answer ends the command with an error result (never a
 * reply that looks valid), the client connects again, and memory stays
 * bounded (a 10 MB line is not kept). */
static void
check_hostile(enum hostile_mode mode)
{
	struct loop *loop = loop_new();
	struct virtual_clock clock = { 0 };
	struct hostile h;
	struct bird_client *client;
	long before;

	log_set_level(LOG_LEVEL_ERROR);
	virtual_clock_attach(&clock, loop);
	hostile_start(&h, loop, mode);
	client = make_client(loop, h.path);
	bird_client_start(client);
	run_virtual(&clock, loop, NSEC_PER_SEC / 10);
	ck_assert(bird_client_connected(client));
	before = resident_kib();
	ck_assert_int_eq(bird_client_enable(client, "anycheck_web_v4",
	    on_reply, &seen), 0);
	/* The huge line needs many exchanges; the silent one a timeout. */
	for (int i = 0; i < 2000 && seen.replies == 0; i++)
		run_virtual(&clock, loop, 10 * NSEC_PER_MSEC);
	ck_assert_uint_eq(seen.replies, 1);
	ck_assert_int_ne(seen.result, BIRD_CLIENT_REPLY);
	ck_assert_int_ne(seen.result, BIRD_CLIENT_CANCELLED);
	ck_assert_msg(resident_kib() - before < 4096, "resident grew by "
	    "%ld KiB", resident_kib() - before);
	/* And it connects again. */
	run_virtual(&clock, loop, NSEC_PER_SEC);
	ck_assert_uint_ge(h.accepted, 2);
	bird_client_free(client);
	hostile_stop(&h);
	loop_free(loop);
}

START_TEST(test_hostile_garbage)
{
	check_hostile(HOSTILE_GARBAGE);
}
END_TEST

START_TEST(test_hostile_huge_line)
{
	check_hostile(HOSTILE_HUGE_LINE);
}
END_TEST

START_TEST(test_hostile_close_mid_reply)
{
	check_hostile(HOSTILE_CLOSE_MID_REPLY);
}
END_TEST

START_TEST(test_hostile_silent)
{
	check_hostile(HOSTILE_SILENT);
}
END_TEST

static Suite *
bird_client_suite(void)
{
	Suite *s = suite_create("bird_client");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_greeting_and_commands);
	tcase_add_test(tc, test_reconnect_when_socket_appears);
	tcase_add_test(tc, test_disconnect_and_timeout);
	tcase_add_test(tc, test_backoff_resets_only_when_healthy);
	tcase_add_test(tc, test_hostile_garbage);
	tcase_add_test(tc, test_hostile_huge_line);
	tcase_add_test(tc, test_hostile_close_mid_reply);
	tcase_add_test(tc, test_hostile_silent);
	tcase_add_test(tc, test_pipelined_in_order_within_bird_buffer);
	tcase_add_test(tc, test_long_listing_by_lines);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *runner = srunner_create(bird_client_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
