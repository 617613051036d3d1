/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of the BIRD control-socket client
 *
 * NEEDS src/loop.c and src/line_reader.c (written by other helpers): move
 * this file to tests/unit/ once they are merged. A fake BIRD listens on a
 * UNIX socket in a temporary directory and is driven by the same loop as
 * the client; every wait is a bounded number of loop rounds.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bird_client.h"
#include "clock.h"
#include "loop.h"
#include "virtual_clock.h"

struct fake_bird {
	struct loop *loop;
	char dir[64];
	char path[128];
	int listen_fd;
	int conn_fd;
	bool answer;                /* reply to commands, or stay silent */
	bool hang_up;               /* close right after the greeting */
	size_t accepted;
	uint64_t accepted_at_ns;    /* loop time of the last accept */
	char last_command[256];
};

struct observed {
	size_t connected;
	size_t disconnected;
	char version[32];
	size_t replies;
	enum bird_client_result result;
	struct bird_reply reply;
};

static void
fake_on_conn(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct fake_bird *fake = arg;
	char buffer[512];
	ssize_t n;

	(void)events;
	n = read(fd, buffer, sizeof(buffer) - 1);
	if (n <= 0) {
		loop_remove_fd(loop, fd);
		close(fd);
		fake->conn_fd = -1;
		return;
	}
	buffer[n] = '\0';
	buffer[strcspn(buffer, "\n")] = '\0';
	snprintf(fake->last_command, sizeof(fake->last_command), "%.*s",
	    (int)sizeof(fake->last_command) - 1, buffer);
	if (!fake->answer)
		return;
	if (strcmp(buffer, "enable \"anycheck_web_v4\"") == 0)
		ck_assert(write(fd, "0011-anycheck_web_v4: enabled\n0000 \n", 36) == 36);
	else if (strcmp(buffer, "show status") == 0) {
		const char *r = "1000-BIRD 2.0.12\n1011-Router ID is 192.0.2.254\n"
		    " Current server time is 2026-11-25 20:30:56.027\n"
		    " Last reboot on 2026-11-25 20:30:52.052\n"
		    " Last reconfiguration on 2026-11-25 20:30:52.052\n"
		    "+a log line\n0013 Daemon is up and running\n";
		ck_assert(write(fd, r, strlen(r)) == (ssize_t)strlen(r));
	} else
		ck_assert(write(fd, "9001 syntax error\n", 18) == 18);
}

static void
fake_on_listen(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct fake_bird *fake = arg;
	int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	ck_assert_int_ge(conn, 0);
	fake->accepted++;
	fake->accepted_at_ns = loop_now_ns(loop);
	ck_assert(write(conn, "0001 BIRD 2.0.12 ready.\n", 24) == 24);
	if (fake->hang_up) {
		close(conn);
		return;
	}
	fake->conn_fd = conn;
	ck_assert_int_eq(loop_add_fd(loop, conn, EPOLLIN, fake_on_conn, fake), 0);
}

static void
fake_listen(struct fake_bird *fake)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };

	ck_assert_uint_lt(strlen(fake->path), sizeof(address.sun_path));
	memcpy(address.sun_path, fake->path, strlen(fake->path) + 1);
	fake->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fake->listen_fd, 0);
	ck_assert_int_eq(bind(fake->listen_fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	ck_assert_int_eq(listen(fake->listen_fd, 4), 0);
	ck_assert_int_eq(loop_add_fd(fake->loop, fake->listen_fd, EPOLLIN,
	    fake_on_listen, fake), 0);
}

static void
fake_init(struct fake_bird *fake, struct loop *loop, bool listening)
{
	memset(fake, 0, sizeof(*fake));
	fake->loop = loop;
	fake->answer = true;
	fake->conn_fd = -1;
	fake->listen_fd = -1;
	snprintf(fake->dir, sizeof(fake->dir), "/tmp/anycheck-bird-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake->dir));
	snprintf(fake->path, sizeof(fake->path), "%s/bird.ctl", fake->dir);
	if (listening)
		fake_listen(fake);
}

static void
fake_close(struct fake_bird *fake)
{
	if (fake->conn_fd != -1) {
		loop_remove_fd(fake->loop, fake->conn_fd);
		close(fake->conn_fd);
		fake->conn_fd = -1;
	}
	if (fake->listen_fd != -1) {
		loop_remove_fd(fake->loop, fake->listen_fd);
		close(fake->listen_fd);
		fake->listen_fd = -1;
	}
	unlink(fake->path);
	rmdir(fake->dir);
}

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
	fake_init(&fake, loop, true);
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
	run_until(loop, &seen.replies, 1, 2000);
	ck_assert_str_eq(fake.last_command, "enable \"anycheck_web_v4\"");
	ck_assert_int_eq(seen.result, BIRD_CLIENT_REPLY);
	ck_assert_int_eq(bird_reply_toggle_result(&seen.reply),
	    BIRD_TOGGLE_ENABLED);
	run_until(loop, &seen.replies, 2, 2000);
	ck_assert_int_eq(seen.result, BIRD_CLIENT_REPLY);
	ck_assert_uint_eq(seen.reply.code, BIRD_CODE_STATUS_REPORT);
	ck_assert_uint_eq(bird_client_pending(client), 0);

	/* Invalid names never reach BIRD. */
	ck_assert_int_eq(bird_client_disable(client, "x\" all", on_reply,
	    &seen), -1);

	bird_client_free(client);
	fake_close(&fake);
	loop_free(loop);
}
END_TEST

START_TEST(test_reconnect_when_socket_appears)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;

	fake_init(&fake, loop, false);
	client = make_client(loop, fake.path);
	bird_client_start(client);
	/* 0.1 + 0.2 + 0.4 s of failures: the back-off grows. */
	run_until(loop, &seen.connected, 1, 800);
	ck_assert_uint_eq(seen.connected, 0);
	ck_assert_uint_ge(bird_client_backoff_ns(client),
	    4 * BIRD_CLIENT_BACKOFF_MIN_NS);
	fake_listen(&fake);
	run_until(loop, &seen.connected, 1, 3000);
	ck_assert_uint_eq(seen.connected, 1);
	/* A greeting alone does not make the connection healthy: the
	 * back-off starts afresh only once it has lasted. */
	ck_assert_uint_ge(bird_client_backoff_ns(client),
	    4 * BIRD_CLIENT_BACKOFF_MIN_NS);

	bird_client_free(client);
	fake_close(&fake);
	loop_free(loop);
}
END_TEST

START_TEST(test_disconnect_and_timeout)
{
	struct loop *loop = loop_new();
	struct fake_bird fake;
	struct bird_client *client;

	fake_init(&fake, loop, true);
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
	loop_remove_fd(loop, fake.conn_fd);
	close(fake.conn_fd);
	fake.conn_fd = -1;
	run_until(loop, &seen.replies, 2, 2000);
	ck_assert_int_eq(seen.result, BIRD_CLIENT_DISCONNECTED);
	fake.answer = true;
	run_until(loop, &seen.connected, 3, 3000);
	ck_assert_uint_eq(seen.connected, 3);

	bird_client_free(client);
	fake_close(&fake);
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
	fake_init(&fake, loop, true);
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
	loop_remove_fd(loop, fake.conn_fd);
	close(fake.conn_fd);
	fake.conn_fd = -1;
	run_virtual(&clock, loop, NSEC_PER_SEC);
	ck_assert_uint_eq(fake.accepted, 4 + 18 + 2);
	ck_assert_uint_eq(fake.accepted_at_ns - closed_at,
	    BIRD_CLIENT_BACKOFF_MAX_NS);

	/* After 10 s connected, a lost connection is retried after 0.1 s. */
	run_virtual(&clock, loop, 10 * NSEC_PER_SEC);
	closed_at = loop_now_ns(loop);
	loop_remove_fd(loop, fake.conn_fd);
	close(fake.conn_fd);
	fake.conn_fd = -1;
	run_virtual(&clock, loop, NSEC_PER_SEC);
	ck_assert_uint_eq(fake.accepted, 4 + 18 + 3);
	ck_assert_uint_eq(fake.accepted_at_ns - closed_at,
	    BIRD_CLIENT_BACKOFF_MIN_NS);
	ck_assert(bird_client_connected(client));

	bird_client_free(client);
	fake_close(&fake);
	loop_free(loop);
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
