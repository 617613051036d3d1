/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of the atomic, symlink-safe file writer
 *
 * Each test works in its own fresh directory under /tmp and asserts what an
 * operator would find there afterwards: the content, the mode, no
 * temporary files left, a planted symlink not followed, a dangerous
 * directory refused with a message that names it and the fix.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_write.h"
#include "log.h"

static char directory[64];
static char log_path[64];
static int saved_stderr = -1;

static void
setup(void)
{
	snprintf(directory, sizeof(directory), "/tmp/anycheck-fw-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(directory));
}

static void
teardown(void)
{
	char command[128];

	if (saved_stderr != -1) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
		unlink(log_path);
	}
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	ck_assert_int_eq(system(command), 0);
}

/* Send stderr (the log) to a file until teardown. */
static void
capture_log(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/anycheck-fw-log-XXXXXX");
	fd = mkstemp(log_path);
	ck_assert_int_ne(fd, -1);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* The whole of a small file (caller frees), or NULL. */
static char *
slurp(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text;
	size_t length;

	if (file == NULL)
		return NULL;
	text = xcalloc(1, 65536);
	length = fread(text, 1, 65535, file);
	text[length] = '\0';
	fclose(file);
	return text;
}

static int
entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int count = 0;

	ck_assert_ptr_nonnull(dir);
	while ((entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 &&
		    strcmp(entry->d_name, "..") != 0)
			count++;
	closedir(dir);
	return count;
}

START_TEST(test_writes_content_and_mode)
{
	char *path = xasprintf("%s/out.conf", directory), *text;
	mode_t old_umask = umask(077);
	struct stat st;

	ck_assert_int_eq(file_write_atomic(path, "one\n", 4, 0644), 0);
	ck_assert_int_eq(file_write_atomic(path, "two\n", 4, 0644), 0);
	umask(old_umask);
	text = slurp(path);
	ck_assert_str_eq(text, "two\n");
	/* The mode asked for, not what the umask leaves. */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(entries(directory), 1);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_symlink_at_target_is_replaced_not_followed)
{
	char *path = xasprintf("%s/out.conf", directory);
	char *victim = xasprintf("%s/victim", directory), *text;
	struct stat st;

	ck_assert_int_eq(file_write_atomic(victim, "precious\n", 9, 0600), 0);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(file_write_atomic(path, "new\n", 4, 0644), 0);
	text = slurp(victim);
	ck_assert_str_eq(text, "precious\n");
	free(text);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	free(victim);
	free(path);
}
END_TEST

static int
render_fails(FILE *out, void *arg)
{
	(void)arg;
	fputs("half", out);
	return -1;
}

START_TEST(test_failed_render_leaves_target)
{
	char *path = xasprintf("%s/out.conf", directory), *text;

	ck_assert_int_eq(file_write_atomic(path, "old\n", 4, 0644), 0);
	ck_assert_int_eq(file_write_atomic_stream(path, 0644, render_fails,
	    NULL), -1);
	text = slurp(path);
	ck_assert_str_eq(text, "old\n");
	ck_assert_int_eq(entries(directory), 1);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_world_writable_directory_refused)
{
	char *path = xasprintf("%s/out.conf", directory), *log;
	char *expected;

	ck_assert_int_eq(chmod(directory, 0777), 0);
	capture_log();
	errno = 0;
	ck_assert_int_eq(file_write_atomic(path, "x\n", 2, 0644), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(entries(directory), 0);
	log = slurp(log_path);
	expected = xasprintf("refusing to write %s: its directory %s is "
	    "world-writable without the sticky bit", path, directory);
	ck_assert_msg(strstr(log, expected) != NULL, "log: %s", log);
	ck_assert_ptr_nonnull(strstr(log, "chmod o-w"));
	free(expected);
	free(log);

	/* With the sticky bit (like /tmp) nobody can replace our file. */
	ck_assert_int_eq(chmod(directory, 01777), 0);
	ck_assert_int_eq(file_write_atomic(path, "x\n", 2, 0644), 0);
	ck_assert_int_eq(entries(directory), 1);
	free(path);
}
END_TEST

START_TEST(test_missing_directory)
{
	char *path = xasprintf("%s/no/out.conf", directory);

	ck_assert_int_eq(file_write_atomic(path, "x\n", 2, 0644), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(file_write_atomic(directory, "x\n", 2, 0644), -1);
	free(path);
}
END_TEST

static Suite *
file_write_suite(void)
{
	Suite *suite = suite_create("file_write");
	TCase *tcase = tcase_create("core");

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, test_writes_content_and_mode);
	tcase_add_test(tcase, test_symlink_at_target_is_replaced_not_followed);
	tcase_add_test(tcase, test_failed_render_leaves_target);
	tcase_add_test(tcase, test_world_writable_directory_refused);
	tcase_add_test(tcase, test_missing_directory);
	suite_add_tcase(suite, tcase);
	return suite;
}

int
main(void)
{
	SRunner *runner = srunner_create(file_write_suite());
	int failed;

	log_init("test_file_write", LOG_LEVEL_WARNING, false);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
