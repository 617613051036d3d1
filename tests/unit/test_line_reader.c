/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: bounded line reader tests
 *
 * What a consumer of the reader sees: the lines, in order, without their
 * terminators, and overlong lines cut to the buffer and flagged once.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "line_reader.h"

#define SEEN_MAX 16

struct seen {
	char *lines[SEEN_MAX];
	bool overlong[SEEN_MAX];
	size_t count;
};

static void
record(const char *line, bool overlong, void *arg)
{
	struct seen *seen = arg;

	ck_assert_uint_lt(seen->count, SEEN_MAX);
	seen->lines[seen->count] = strdup(line);
	ck_assert_ptr_nonnull(seen->lines[seen->count]);
	seen->overlong[seen->count] = overlong;
	seen->count++;
}

static void
seen_free(struct seen *seen)
{
	for (size_t i = 0; i < seen->count; i++)
		free(seen->lines[i]);
}

static void
feed_text(struct line_reader *reader, const char *text, struct seen *seen)
{
	line_reader_feed(reader, text, strlen(text), record, seen);
}

START_TEST(test_one_line)
{
	struct line_reader r;
	struct seen s = { 0 };

	line_reader_init(&r);
	feed_text(&r, "done\n", &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_str_eq(s.lines[0], "done");
	ck_assert(!s.overlong[0]);
	seen_free(&s);
}
END_TEST

START_TEST(test_many_lines_in_one_feed)
{
	struct line_reader r;
	struct seen s = { 0 };

	line_reader_init(&r);
	feed_text(&r, "done\nerror\n\nshutdown 1 2\n", &s);
	ck_assert_uint_eq(s.count, 4);
	ck_assert_str_eq(s.lines[0], "done");
	ck_assert_str_eq(s.lines[1], "error");
	ck_assert_str_eq(s.lines[2], "");
	ck_assert_str_eq(s.lines[3], "shutdown 1 2");
	for (size_t i = 0; i < s.count; i++)
		ck_assert(!s.overlong[i]);
	seen_free(&s);
}
END_TEST

START_TEST(test_crlf)
{
	struct line_reader r;
	struct seen s = { 0 };

	line_reader_init(&r);
	feed_text(&r, "0001 BIRD ready.\r\ndone\r\n\r\nx\ry\n", &s);
	ck_assert_uint_eq(s.count, 4);
	ck_assert_str_eq(s.lines[0], "0001 BIRD ready.");
	ck_assert_str_eq(s.lines[1], "done");
	ck_assert_str_eq(s.lines[2], "");
	ck_assert_str_eq(s.lines[3], "x\ry");  /* only a final \r goes */
	seen_free(&s);
}
END_TEST

START_TEST(test_crlf_split_between_feeds)
{
	struct line_reader r;
	struct seen s = { 0 };

	line_reader_init(&r);
	feed_text(&r, "done\r", &s);
	ck_assert_uint_eq(s.count, 0);
	feed_text(&r, "\n", &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_str_eq(s.lines[0], "done");
	seen_free(&s);
}
END_TEST

START_TEST(test_line_split_across_feeds)
{
	struct line_reader r;
	struct seen s = { 0 };

	line_reader_init(&r);
	feed_text(&r, "do", &s);
	ck_assert_uint_eq(s.count, 0);
	feed_text(&r, "ne\nerr", &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_str_eq(s.lines[0], "done");
	feed_text(&r, "o", &s);
	feed_text(&r, "r\n", &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_str_eq(s.lines[1], "error");
	seen_free(&s);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	struct line_reader r;
	struct seen s = { 0 };
	const char *text = "done\r\nerror\nshutdown\n";

	line_reader_init(&r);
	for (size_t i = 0; i < strlen(text); i++)
		line_reader_feed(&r, text + i, 1, record, &s);
	ck_assert_uint_eq(s.count, 3);
	ck_assert_str_eq(s.lines[0], "done");
	ck_assert_str_eq(s.lines[1], "error");
	ck_assert_str_eq(s.lines[2], "shutdown");
	seen_free(&s);
}
END_TEST

START_TEST(test_final_line_kept_until_more_data)
{
	struct line_reader r;
	struct seen s = { 0 };

	line_reader_init(&r);
	feed_text(&r, "done\ndo", &s);
	ck_assert_uint_eq(s.count, 1);
	line_reader_feed(&r, "", 0, record, &s);
	ck_assert_uint_eq(s.count, 1);
	feed_text(&r, "ne\n", &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_str_eq(s.lines[1], "done");
	seen_free(&s);
}
END_TEST

START_TEST(test_longest_line_that_fits)
{
	struct line_reader r;
	struct seen s = { 0 };
	size_t fit = LINE_READER_MAX - 1;   /* plus the NUL */
	char *text = malloc(fit + 1);

	memset(text, 'a', fit);
	text[fit] = '\n';
	line_reader_init(&r);
	/* the "\n" arrives in a separate feed, after a full buffer */
	line_reader_feed(&r, text, fit, record, &s);
	ck_assert_uint_eq(s.count, 0);
	line_reader_feed(&r, text + fit, 1, record, &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(strlen(s.lines[0]), fit);
	ck_assert(!s.overlong[0]);
	/* and in one feed */
	line_reader_feed(&r, text, fit + 1, record, &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_uint_eq(strlen(s.lines[1]), fit);
	ck_assert(!s.overlong[1]);
	free(text);
	seen_free(&s);
}
END_TEST

START_TEST(test_overlong_line_cut_and_rest_skipped)
{
	struct line_reader r;
	struct seen s = { 0 };
	size_t size = 3 * LINE_READER_MAX + 17;
	char *text = malloc(size + 1);

	memset(text, 'b', size);
	text[0] = 'a';
	text[size] = '\n';
	line_reader_init(&r);
	line_reader_feed(&r, text, size + 1, record, &s);
	feed_text(&r, "done\n", &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert(s.overlong[0]);
	ck_assert_uint_eq(strlen(s.lines[0]), LINE_READER_MAX - 1);
	ck_assert_int_eq(s.lines[0][0], 'a');
	ck_assert_str_eq(s.lines[1], "done");
	ck_assert(!s.overlong[1]);
	free(text);
	seen_free(&s);
}
END_TEST

START_TEST(test_overlong_line_over_many_feeds)
{
	struct line_reader r;
	struct seen s = { 0 };
	char chunk[1000];

	memset(chunk, 'c', sizeof(chunk));
	line_reader_init(&r);
	/* 100 KB without a newline: delivered once, memory stays put */
	for (int i = 0; i < 100; i++)
		line_reader_feed(&r, chunk, sizeof(chunk), record, &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert(s.overlong[0]);
	ck_assert_uint_le(r.length, LINE_READER_MAX);
	feed_text(&r, "tail\nerror\n", &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_str_eq(s.lines[1], "error");
	ck_assert(!s.overlong[1]);
	seen_free(&s);
}
END_TEST

START_TEST(test_one_byte_too_long)
{
	struct line_reader r;
	struct seen s = { 0 };
	size_t size = LINE_READER_MAX;      /* one more than fits */
	char *text = malloc(size + 1);

	memset(text, 'd', size);
	text[size] = '\n';
	line_reader_init(&r);
	line_reader_feed(&r, text, size + 1, record, &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert(s.overlong[0]);
	ck_assert_uint_eq(strlen(s.lines[0]), LINE_READER_MAX - 1);
	feed_text(&r, "done\n", &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_str_eq(s.lines[1], "done");
	free(text);
	seen_free(&s);
}
END_TEST

static Suite *
line_reader_suite(void)
{
	Suite *s = suite_create("line_reader");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, test_one_line);
	tcase_add_test(tc, test_many_lines_in_one_feed);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_crlf_split_between_feeds);
	tcase_add_test(tc, test_line_split_across_feeds);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_final_line_kept_until_more_data);
	tcase_add_test(tc, test_longest_line_that_fits);
	tcase_add_test(tc, test_overlong_line_cut_and_rest_skipped);
	tcase_add_test(tc, test_overlong_line_over_many_feeds);
	tcase_add_test(tc, test_one_byte_too_long);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(line_reader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
