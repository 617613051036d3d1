/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: small helpers the unit tests share (implementation)
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit_support.h"

void
test_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ck_assert_int_ne(fd, -1);
	close(fd);
}

void
test_write_filev(const char *path, const char *fmt, va_list ap)
{
	FILE *file = fopen(path, "w");

	ck_assert_ptr_nonnull(file);
	vfprintf(file, fmt, ap);
	ck_assert_int_eq(fclose(file), 0);
}

void
test_write_file(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_write_filev(path, fmt, ap);
	va_end(ap);
}

int
test_count_substring(const char *text, const char *needle)
{
	int count = 0;

	for (const char *p = strstr(text, needle); p != NULL;
	    p = strstr(p + 1, needle))
		count++;
	return count;
}

void
test_capture_log(char *path)
{
	int fd;

	snprintf(path, 64, "/tmp/anycheck-test-log-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
}

size_t
test_log_count(const char *path, const char *needle)
{
	FILE *file;
	char line[2048];
	size_t count = 0;

	fflush(stderr);
	file = fopen(path, "r");
	ck_assert_ptr_nonnull(file);
	while (fgets(line, sizeof(line), file) != NULL)
		if (strstr(line, needle) != NULL)
			count++;
	fclose(file);
	return count;
}
