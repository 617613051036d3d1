/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: logging tests
 *
 * The rate-limited log as an operator reads it: a line that repeats every
 * half second for a minute shows once, then as one summary line with the
 * count; a change of line shows at once (after the summary of the old
 * one). Time is passed in, so the test walks through a minute of "repeats"
 * in no time; stderr is captured into a file and read back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static FILE *capture;
static int saved_stderr = -1;

static void
capture_start(void)
{
	capture = tmpfile();
	ck_assert_ptr_nonnull(capture);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ne(saved_stderr, -1);
	ck_assert_int_ne(dup2(fileno(capture), STDERR_FILENO), -1);
}

/* Stop capturing; the captured lines, without their timestamp and program
 * prefix ("... test_log warning: "), into lines (each at most 511 bytes).
 * Returns how many. */
static size_t
capture_stop(char lines[][512], size_t max)
{
	char line[1024];
	size_t count = 0;

	fflush(stderr);
	ck_assert_int_ne(dup2(saved_stderr, STDERR_FILENO), -1);
	close(saved_stderr);
	rewind(capture);
	while (fgets(line, sizeof(line), capture) != NULL) {
		char *text = strstr(line, ": ");

		ck_assert_ptr_nonnull(text);
		line[strcspn(line, "\n")] = '\0';
		ck_assert_uint_lt(count, max);
		snprintf(lines[count++], 512, "%s", text + 2);
	}
	fclose(capture);
	return count;
}

#define SECOND NSEC_PER_SEC

START_TEST(test_repeats_summarised)
{
	struct log_limit limit;
	char lines[8][512];
	uint64_t t = 1000 * SECOND;
	size_t count;

	log_limit_init(&limit, 60 * SECOND);
	capture_start();
	/* A BIRD that closes every connection, twice a second, for a
	 * minute: 120 lines to log. */
	for (int i = 0; i < 120; i++)
		log_limited(&limit, t + (uint64_t)i * SECOND / 2,
		    LOG_LEVEL_WARNING, "BIRD at %s closed the connection",
		    "/run/bird/bird.ctl");
	/* The minute is over: the summary, then the line again. */
	log_limited(&limit, t + 60 * SECOND, LOG_LEVEL_WARNING,
	    "BIRD at %s closed the connection", "/run/bird/bird.ctl");
	count = capture_stop(lines, 8);
	ck_assert_uint_eq(count, 3);
	ck_assert_str_eq(lines[0], "BIRD at /run/bird/bird.ctl closed the "
	    "connection");
	ck_assert_str_eq(lines[1], "BIRD at /run/bird/bird.ctl closed the "
	    "connection (repeated 119 times in 60 s)");
	ck_assert_str_eq(lines[2], lines[0]);
	/* Nothing held back now: a flush says nothing. */
	capture_start();
	log_limit_flush(&limit, t + 61 * SECOND);
	ck_assert_uint_eq(capture_stop(lines, 8), 0);
}
END_TEST

START_TEST(test_change_of_line_shows_at_once)
{
	struct log_limit limit;
	char lines[8][512];
	uint64_t t = 1000 * SECOND;

	log_limit_init(&limit, 0);      /* the default window, 60 s */
	capture_start();
	for (int i = 0; i < 10; i++)
		log_limited(&limit, t + (uint64_t)i * SECOND,
		    LOG_LEVEL_WARNING, "BIRD at %s: malformed reply line, "
		    "reconnecting", "/b");
	log_limited(&limit, t + 10 * SECOND, LOG_LEVEL_WARNING,
	    "BIRD at %s closed the connection", "/b");
	/* Same format, other arguments: counted as more like it. */
	log_limited(&limit, t + 11 * SECOND, LOG_LEVEL_ERROR,
	    "service %s: check failed", "a");
	log_limited(&limit, t + 12 * SECOND, LOG_LEVEL_ERROR,
	    "service %s: check failed", "b");
	log_limited(&limit, t + 13 * SECOND, LOG_LEVEL_ERROR,
	    "service %s: check failed", "c");
	log_limit_flush(&limit, t + 20 * SECOND);
	ck_assert_uint_eq(capture_stop(lines, 8), 5);
	ck_assert_str_eq(lines[0], "BIRD at /b: malformed reply line, "
	    "reconnecting");
	ck_assert_str_eq(lines[1], "BIRD at /b: malformed reply line, "
	    "reconnecting (repeated 9 times in 10 s)");
	ck_assert_str_eq(lines[2], "BIRD at /b closed the connection");
	ck_assert_str_eq(lines[3], "service a: check failed");
	ck_assert_str_eq(lines[4], "service c: check failed (and 2 more like "
	    "it in 9 s)");
}
END_TEST

START_TEST(test_level_filtered)
{
	struct log_limit limit;
	char lines[8][512];

	log_limit_init(&limit, 0);
	capture_start();
	log_limited(&limit, SECOND, LOG_LEVEL_DEBUG, "hidden %d", 1);
	log_limited(&limit, 2 * SECOND, LOG_LEVEL_DEBUG, "hidden %d", 2);
	log_limit_flush(&limit, 3 * SECOND);
	ck_assert_uint_eq(capture_stop(lines, 8), 0);
}
END_TEST

/* Under systemd, stderr is the journal when JOURNAL_STREAM names its
 * device and inode: then every line is "<priority>message", no timestamp,
 * no program name. A JOURNAL_STREAM naming another file changes nothing. */
START_TEST(test_journal_prefixes)
{
	char line[1024], expected_plain[64];
	struct stat st;
	char stream[64];
	static const char *const expected[] = { "<3>broken 1", "<4>odd 2",
	    "<6>fine 3", "<7>detail 4" };
	size_t count = 0;

	capture_start();
	ck_assert_int_eq(fstat(fileno(capture), &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	log_init("test_log", LOG_LEVEL_DEBUG, false);
	ck_assert(log_stderr_is_journal());
	log_error("broken %d", 1);
	log_warnx("odd %d", 2);
	log_info("fine %d", 3);
	log_debug("detail %d", 4);
	/* Another inode: not the journal, the usual timestamped line. */
	snprintf(stream, sizeof(stream), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", stream, 1);
	log_init("test_log", LOG_LEVEL_INFO, false);
	ck_assert(!log_stderr_is_journal());
	log_info("plain %d", 5);
	unsetenv("JOURNAL_STREAM");
	log_init("test_log", LOG_LEVEL_INFO, false);

	fflush(stderr);
	ck_assert_int_ne(dup2(saved_stderr, STDERR_FILENO), -1);
	close(saved_stderr);
	rewind(capture);
	while (fgets(line, sizeof(line), capture) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (count < 4)
			ck_assert_str_eq(line, expected[count]);
		else {
			snprintf(expected_plain, sizeof(expected_plain),
			    "test_log info: plain 5");
			ck_assert_msg(line[0] == '2' && strstr(line,
			    expected_plain) != NULL, "line \"%s\"", line);
		}
		count++;
	}
	fclose(capture);
	ck_assert_uint_eq(count, 5);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *suite = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_repeats_summarised);
	tcase_add_test(tc, test_change_of_line_shows_at_once);
	tcase_add_test(tc, test_level_filtered);
	tcase_add_test(tc, test_journal_prefixes);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(log_suite());
	int failed;

	log_init("test_log", LOG_LEVEL_INFO, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
