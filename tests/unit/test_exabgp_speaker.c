/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: ExaBGP speaker tests
 *
 * Two pipes stand in for the process pipes: the test plays ExaBGP, reading
 * what the speaker writes on "stdout" and writing replies to its "stdin".
 * Commands arrive in order; a full pipe never blocks a send nor the loop;
 * replies are drained and matched to their commands (an error names the
 * rejected command in the log, captured from stderr); more replies than a
 * pipe holds are all consumed; EOF, "shutdown" and a closed stdout each end
 * in one on_gone call; unwritten output is bounded.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exabgp_speaker.h"
#include "log.h"
#include "loop.h"

static struct {
	struct loop *loop;
	struct exabgp_speaker speaker;
	int replies[2];         /* the test writes [1]; the speaker reads [0] */
	int commands[2];        /* the speaker writes [1]; the test reads [0] */
	int gone_calls;
	char gone_why[256];
	char log_path[64];
	int saved_stderr;
} world;

static void
speaker_gone(struct exabgp_speaker *speaker, const char *why, void *arg)
{
	ck_assert_ptr_eq(speaker, &world.speaker);
	ck_assert_ptr_eq(arg, &world);
	world.gone_calls++;
	snprintf(world.gone_why, sizeof(world.gone_why), "%s", why);
}

static void
world_setup(void)
{
	memset(&world, 0, sizeof(world));
	signal(SIGPIPE, SIG_IGN);
	world.loop = loop_new();
	ck_assert_ptr_nonnull(world.loop);
	ck_assert_int_eq(pipe2(world.replies, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(world.commands, O_CLOEXEC), 0);
	/* The ExaBGP side reads without blocking, so waits stay bounded. */
	ck_assert_int_eq(fcntl(world.commands[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(exabgp_speaker_init(&world.speaker, world.loop,
	    world.replies[0], world.commands[1], speaker_gone, &world), 0);
	world.saved_stderr = -1;
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static void
world_teardown(void)
{
	exabgp_speaker_cleanup(&world.speaker);
	loop_free(world.loop);
	close_fd(&world.replies[0]);
	close_fd(&world.replies[1]);
	close_fd(&world.commands[0]);
	close_fd(&world.commands[1]);
	if (world.saved_stderr != -1) {
		dup2(world.saved_stderr, STDERR_FILENO);
		close(world.saved_stderr);
		unlink(world.log_path);
	}
}

/* Send stderr (the log) to a file until read_log(). */
static void
capture_log(void)
{
	int fd;

	snprintf(world.log_path, sizeof(world.log_path),
	    "/tmp/anycheck-speaker-log-XXXXXX");
	fd = mkstemp(world.log_path);
	ck_assert_int_ne(fd, -1);
	world.saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ne(world.saved_stderr, -1);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* The log so far (caller frees); stderr stays captured. */
static char *
read_log(void)
{
	FILE *file = fopen(world.log_path, "r");
	char *text = calloc(1, 65536);
	size_t length;

	ck_assert_ptr_nonnull(file);
	ck_assert_ptr_nonnull(text);
	length = fread(text, 1, 65535, file);
	text[length] = '\0';
	fclose(file);
	return text;
}

/* Read what the speaker wrote, appending to *buffer (grown as needed). */
static void
read_commands(char **buffer, size_t *length, size_t *capacity)
{
	for (;;) {
		if (*capacity - *length < 65536) {
			*capacity = *capacity * 2 + 65536;
			*buffer = realloc(*buffer, *capacity);
			ck_assert_ptr_nonnull(*buffer);
		}
		ssize_t n = read(world.commands[0], *buffer + *length,
		    *capacity - *length - 1);
		if (n > 0) {
			*length += (size_t)n;
			continue;
		}
		ck_assert(n == 0 || errno == EAGAIN);
		break;
	}
	(*buffer)[*length] = '\0';
}

/* Run the loop and read commands until expected_length bytes arrived or
 * ms passed; returns what arrived (caller frees). */
static char *
collect_commands(size_t expected_length, int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;
	char *buffer = NULL;
	size_t length = 0, capacity = 0;

	read_commands(&buffer, &length, &capacity);
	while (length < expected_length && clock_now_ns() < end) {
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
		read_commands(&buffer, &length, &capacity);
	}
	return buffer;
}

static void
run_until(bool (*done)(void), int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (!done() && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
}

static void
write_replies(const char *text)
{
	size_t length = strlen(text);

	ck_assert_int_eq(write(world.replies[1], text, length),
	    (ssize_t)length);
}

START_TEST(test_lines_arrive_in_order)
{
	static const char *const lines[] = {
		"announce route 192.0.2.1/32 next-hop self\n",
		"announce route 2001:db8::1/128 next-hop 2001:db8:ffff::2\n",
		"withdraw route 192.0.2.1/32 next-hop self\n",
	};
	char expected[512] = "";

	for (size_t i = 0; i < 3; i++) {
		exabgp_speaker_send(&world.speaker, lines[i]);
		strcat(expected, lines[i]);
	}
	ck_assert_uint_eq(world.speaker.commands_sent, 3);
	char *got = collect_commands(strlen(expected), 2000);
	ck_assert_str_eq(got, expected);
	free(got);
	ck_assert(exabgp_speaker_flushed(&world.speaker));
	ck_assert_int_eq(world.gone_calls, 0);
}
END_TEST

static bool timer_fired;

static void
timer_fire(struct loop *loop, void *arg)
{
	(void)loop;
	(void)arg;
	timer_fired = true;
}

static bool
timer_has_fired(void)
{
	return timer_fired;
}

START_TEST(test_full_pipe_never_blocks)
{
	enum { LINES = 20000 };
	char line[128];
	char *expected = malloc((size_t)LINES * sizeof(line));
	size_t expected_length = 0;
	struct loop_timer timer;

	ck_assert_ptr_nonnull(expected);
	log_set_level(LOG_LEVEL_WARNING);
	/* About 1 MiB, far more than a pipe holds: the first sends fill the
	 * pipe, the rest queue. A blocking write would hang here (and the
	 * test would time out). */
	uint64_t started = clock_now_ns();
	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof(line), "announce route "
		    "10.%d.%d.0/24 next-hop self med %d\n", i / 256 % 256,
		    i % 256, i);
		exabgp_speaker_send(&world.speaker, line);
		memcpy(expected + expected_length, line, (size_t)n);
		expected_length += (size_t)n;
	}
	ck_assert_uint_lt(clock_now_ns() - started, 5 * NSEC_PER_SEC);
	ck_assert_uint_eq(world.speaker.commands_sent, LINES);
	ck_assert(!exabgp_speaker_flushed(&world.speaker));
	ck_assert_uint_gt(world.speaker.output_length, 0);

	/* Nobody reads, and the loop still runs its timers. */
	timer_fired = false;
	loop_timer_init(&timer, timer_fire, NULL);
	loop_timer_arm_in(world.loop, &timer, 20 * NSEC_PER_MSEC);
	run_until(timer_has_fired, 2000);
	ck_assert(timer_fired);
	ck_assert(!exabgp_speaker_flushed(&world.speaker));

	/* ExaBGP reads at last: everything, in order, once. */
	char *got = collect_commands(expected_length, 10000);
	ck_assert_uint_eq(strlen(got), expected_length);
	ck_assert(memcmp(got, expected, expected_length) == 0);
	ck_assert(exabgp_speaker_flushed(&world.speaker));
	ck_assert_int_eq(world.gone_calls, 0);
	free(got);
	free(expected);
}
END_TEST

static bool
two_replies(void)
{
	return world.speaker.replies_done + world.speaker.replies_error >= 2;
}

START_TEST(test_done_and_error_replies)
{
	capture_log();
	exabgp_speaker_send(&world.speaker,
	    "announce route 192.0.2.1/32 next-hop self\n");
	exabgp_speaker_send(&world.speaker,
	    "announce route 192.0.2.2/32 next-hop self med 7\n");
	free(collect_commands(1000, 100));
	write_replies("done\nerror\n");
	run_until(two_replies, 2000);
	ck_assert_uint_eq(world.speaker.replies_done, 1);
	ck_assert_uint_eq(world.speaker.replies_error, 1);
	ck_assert_uint_eq(world.speaker.acks.count, 0);

	char *log = read_log();
	/* The error names the second command, not the first. */
	ck_assert_msg(strstr(log, "ExaBGP rejected a command: announce route "
	    "192.0.2.2/32 next-hop self med 7\n") != NULL, "log: %s", log);
	ck_assert_ptr_null(strstr(log, "rejected a command: announce route "
	    "192.0.2.1/32"));
	free(log);

	/* A reply with no command pending is counted and survives. */
	write_replies("error\n");
	uint64_t end = clock_now_ns() + 2 * NSEC_PER_SEC;
	while (world.speaker.replies_error < 2 && clock_now_ns() < end)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
	ck_assert_uint_eq(world.speaker.replies_error, 2);
	log = read_log();
	ck_assert_ptr_nonnull(strstr(log, "(unknown command)"));
	free(log);
	ck_assert_int_eq(world.gone_calls, 0);
}
END_TEST

START_TEST(test_many_replies_drained)
{
	enum { REPLIES = 100000 };
	const size_t total = (size_t)REPLIES * 5;
	char *text = malloc(total);
	size_t written = 0;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < REPLIES; i++)
		memcpy(text + i * 5, "done\n", 5);
	/* The fake ExaBGP writes without blocking, as much as fits, and the
	 * loop runs in between: if the speaker stopped reading, the writer
	 * would stall and the deadline would pass. */
	ck_assert_int_eq(fcntl(world.replies[1], F_SETFL, O_NONBLOCK), 0);
	uint64_t end = clock_now_ns() + 20 * NSEC_PER_SEC;
	while (world.speaker.replies_done < REPLIES &&
	    clock_now_ns() < end) {
		if (written < total) {
			ssize_t n = write(world.replies[1], text + written,
			    total - written);
			if (n > 0)
				written += (size_t)n;
			else
				ck_assert_int_eq(errno, EAGAIN);
		}
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
	}
	ck_assert_uint_eq(written, total);
	ck_assert_uint_eq(world.speaker.replies_done, REPLIES);
	ck_assert_uint_eq(world.speaker.replies_error, 0);
	ck_assert_int_eq(world.gone_calls, 0);
	free(text);
}
END_TEST

static bool
gone(void)
{
	return world.gone_calls > 0;
}

START_TEST(test_eof_on_input)
{
	write_replies("done\n");
	close_fd(&world.replies[1]);
	run_until(gone, 2000);
	ck_assert_int_eq(world.gone_calls, 1);
	ck_assert_ptr_nonnull(strstr(world.gone_why, "stdin"));
	ck_assert_uint_eq(world.speaker.replies_done, 1);
	/* EOF is reported once, however long the loop keeps running. */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
	ck_assert_int_eq(world.gone_calls, 1);
}
END_TEST

START_TEST(test_shutdown)
{
	write_replies("shutdown\n");
	run_until(gone, 2000);
	ck_assert_int_eq(world.gone_calls, 1);
	ck_assert_str_eq(world.gone_why, "ExaBGP sent shutdown");
	ck_assert_uint_eq(world.speaker.replies_done, 0);
}
END_TEST

START_TEST(test_closed_output)
{
	close_fd(&world.commands[0]);
	exabgp_speaker_send(&world.speaker,
	    "announce route 192.0.2.1/32 next-hop self\n");
	ck_assert_int_eq(world.gone_calls, 1);
	ck_assert_ptr_nonnull(strstr(world.gone_why, "stdout"));
	ck_assert(exabgp_speaker_flushed(&world.speaker));
	/* Later sends are dropped quietly, and nothing breaks. */
	exabgp_speaker_send(&world.speaker,
	    "withdraw route 192.0.2.1/32 next-hop self\n");
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(loop_run_once(world.loop, 5), 0);
	ck_assert_int_eq(world.gone_calls, 1);
	ck_assert(exabgp_speaker_flushed(&world.speaker));
}
END_TEST

START_TEST(test_closed_output_while_queued)
{
	char line[128];

	log_set_level(LOG_LEVEL_WARNING);
	/* Fill the pipe and queue more; then ExaBGP goes away. */
	for (int i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "announce route 10.0.%d.%d/32 "
		    "next-hop self\n", i / 256 % 256, i % 256);
		exabgp_speaker_send(&world.speaker, line);
	}
	ck_assert(!exabgp_speaker_flushed(&world.speaker));
	ck_assert_int_eq(world.gone_calls, 0);
	close_fd(&world.commands[0]);
	run_until(gone, 2000);
	ck_assert_int_eq(world.gone_calls, 1);
	ck_assert_ptr_nonnull(strstr(world.gone_why, "stdout"));
	ck_assert(exabgp_speaker_flushed(&world.speaker));
}
END_TEST

/* The i-th line of test_output_bounded, about 100 bytes. */
static size_t
bounded_line(char *line, size_t size, unsigned long i)
{
	int n = snprintf(line, size, "announce route 10.%lu.%lu.%lu/32 "
	    "next-hop self med %08lu local-preference 100 "
	    "community [65000:1]\n", i / 65536 % 256, i / 256 % 256, i % 256,
	    i);

	ck_assert(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static int writable_calls;

static void
record_writable(struct exabgp_speaker *speaker, void *arg)
{
	(void)arg;
	writable_calls++;
	ck_assert(exabgp_speaker_has_room(speaker));
}

START_TEST(test_room_and_writable)
{
	char line[256];
	unsigned long sent = 0;
	size_t length = 0;

	log_set_level(LOG_LEVEL_WARNING);
	writable_calls = 0;
	world.speaker.on_writable = record_writable;
	/* Nobody reads: the owner sends while there is room, and the output
	 * then holds a little over the high-water mark, never more. */
	while (exabgp_speaker_has_room(&world.speaker)) {
		length += bounded_line(line, sizeof(line), sent++);
		exabgp_speaker_send(&world.speaker, line);
		ck_assert_uint_lt(sent, 100000);
	}
	ck_assert_uint_ge(world.speaker.output_length,
	    EXABGP_SPEAKER_HIGH_WATER);
	ck_assert_uint_lt(world.speaker.output_length,
	    EXABGP_SPEAKER_HIGH_WATER + sizeof(line));
	ck_assert_int_eq(writable_calls, 0);
	ck_assert_uint_eq(world.speaker.commands_sent, sent);
	/* ExaBGP reads: every line arrives, in order, and the owner is told
	 * once that there is room again. */
	char *got = collect_commands(length, 20000);
	ck_assert_uint_eq(strlen(got), length);
	size_t at = 0;
	for (unsigned long i = 0; i < sent; i++) {
		size_t n = bounded_line(line, sizeof(line), i);
		ck_assert(memcmp(got + at, line, n) == 0);
		at += n;
	}
	free(got);
	ck_assert_int_eq(writable_calls, 1);
	ck_assert(exabgp_speaker_flushed(&world.speaker));
	ck_assert_int_eq(world.gone_calls, 0);
}
END_TEST

static Suite *
speaker_suite(void)
{
	Suite *suite = suite_create("exabgp_speaker");
	TCase *tc = tcase_create("exabgp_speaker");

	tcase_add_checked_fixture(tc, world_setup, world_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lines_arrive_in_order);
	tcase_add_test(tc, test_full_pipe_never_blocks);
	tcase_add_test(tc, test_done_and_error_replies);
	tcase_add_test(tc, test_many_replies_drained);
	tcase_add_test(tc, test_eof_on_input);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_closed_output);
	tcase_add_test(tc, test_closed_output_while_queued);
	tcase_add_test(tc, test_room_and_writable);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(speaker_suite());
	int failed;

	log_init("test_exabgp_speaker", LOG_LEVEL_INFO, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
