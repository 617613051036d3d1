/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: open-file limit tests
 *
 * The open-file limit as a user meets it: a low soft limit (ulimit -n 64)
 * is raised to the hard limit at start, and a config whose checks can need
 * more descriptors than the limit is reported (with the numbers per check
 * type and the fix), while one that fits is not. The limits are changed in
 * the test's own process (Check forks one per test) and restored.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "open_files.h"
#include "log.h"

static struct config *
load(const char *text)
{
	struct config_errors errors;
	struct config *config = NULL;

	config_errors_init(&errors);
	if (config_load_text("test.json", text, &config, &errors) != 0) {
		for (size_t i = 0; i < errors.count; i++)
			fprintf(stderr, "%s\n", errors.messages[i]);
		ck_abort_msg("config did not load");
	}
	config_errors_clear(&errors);
	return config;
}

/* Two services: 3 exec + 2 tcp + 1 http + 1 file checks. */
static const char *const config_text =
    "{\"services\": ["
    "{\"name\": \"a\", \"prefixes\": [\"192.0.2.1/32\"], \"checks\": ["
    "{\"type\": \"exec\", \"command\": [\"true\"]},"
    "{\"type\": \"exec\", \"command\": [\"true\"]},"
    "{\"type\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 80},"
    "{\"type\": \"file\", \"path\": \"/tmp\"}]},"
    "{\"name\": \"b\", \"prefixes\": [\"192.0.2.2/32\"], \"checks\": ["
    "{\"type\": \"exec\", \"command\": [\"true\"]},"
    "{\"type\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 81},"
    "{\"type\": \"http\", \"url\": \"http://127.0.0.1/\"}]}]}";

/* Run open_files_check_limit with stderr captured into text. */
static int
check_capturing(const struct config *config, char *text, size_t size)
{
	FILE *capture = tmpfile();
	int saved_stderr = dup(STDERR_FILENO), rc;
	size_t length;

	ck_assert_ptr_nonnull(capture);
	ck_assert_int_ne(saved_stderr, -1);
	fflush(stderr);
	ck_assert_int_ne(dup2(fileno(capture), STDERR_FILENO), -1);
	rc = open_files_check_limit(config);
	fflush(stderr);
	ck_assert_int_ne(dup2(saved_stderr, STDERR_FILENO), -1);
	close(saved_stderr);
	rewind(capture);
	length = fread(text, 1, size - 1, capture);
	text[length] = '\0';
	fclose(capture);
	return rc;
}

START_TEST(test_raise_to_hard_limit)
{
	struct rlimit saved, limit;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max <= 64)
		return;         /* nothing to raise on this host */
	limit = saved;
	limit.rlim_cur = 64;    /* ulimit -n 64 */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);

	unsigned long raised = open_files_raise_limit();
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &limit), 0);
	ck_assert_uint_eq(raised, limit.rlim_cur);
	if (saved.rlim_max != RLIM_INFINITY)
		ck_assert_uint_eq(limit.rlim_cur, saved.rlim_max);
	else
		ck_assert_uint_gt(limit.rlim_cur, 64);
	/* Already at the hard limit: nothing changes. */
	ck_assert_uint_eq(open_files_raise_limit(), raised);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
}
END_TEST

START_TEST(test_needed_and_warning)
{
	struct config *config = load(config_text);
	struct rlimit saved, limit;
	char text[4096], expected[128];
	size_t needed;

	needed = open_files_needed(config);
	/* exec 3 each, tcp 1, http 2, file 0. */
	ck_assert_uint_eq(needed, OPEN_FILES_BASE + 3 * 3 + 2 * 1 + 2 + 0);

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert(saved.rlim_max == RLIM_INFINITY ||
	    saved.rlim_max >= needed);
	limit = saved;
	limit.rlim_cur = needed;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);
	ck_assert_int_eq(check_capturing(config, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "");
	limit.rlim_cur = needed - 1;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);
	ck_assert_int_eq(check_capturing(config, text, sizeof(text)), -1);
	snprintf(expected, sizeof(expected), "the open-file limit (%zu) is "
	    "below the %zu file descriptors", needed - 1, needed);
	ck_assert_msg(strstr(text, expected) != NULL, "%s", text);
	ck_assert_msg(strstr(text, "3 exec x 3, 2 tcp x 1, 1 file x 0, "
	    "1 http x 2") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "LimitNOFILE") != NULL, "%s", text);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	config_free(config);
}
END_TEST

static Suite *
open_files_suite(void)
{
	Suite *suite = suite_create("open_files");
	TCase *tc = tcase_create("open_files");

	tcase_add_test(tc, test_raise_to_hard_limit);
	tcase_add_test(tc, test_needed_and_warning);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(open_files_suite());
	int failed;

	log_init("test_open_files", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
