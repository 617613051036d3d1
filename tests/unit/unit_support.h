/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: small helpers the unit tests share
 *
 * Files a test creates (a check's health file, a config) and text it
 * inspects (what a fake routing daemon received). Every failure is a
 * Check assertion, so a test never goes on with a half-made fixture.
 */
#ifndef ANYCHECK_UNIT_SUPPORT_H
#define ANYCHECK_UNIT_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>

/* Create path (empty) if it does not exist. */
void test_touch(const char *path);
/* Replace path's content with the formatted text. */
void test_write_file(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void test_write_filev(const char *path, const char *fmt, va_list ap);
/* How many times needle occurs in text (overlaps counted). */
int test_count_substring(const char *text, const char *needle);

/* stderr (the log) goes to a fresh file at path (size at least 64, filled
 * in) until the process ends, so the test can count log lines. */
void test_capture_log(char *path);
/* Lines of that file holding needle. */
size_t test_log_count(const char *path, const char *needle);

#endif
