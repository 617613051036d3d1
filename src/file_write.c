/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: writing a file atomically and safely
 *
 * See file_write.h. The temporary file is created with openat() in the
 * target's directory, opened once and checked first, so the directory that
 * was checked is the one written to even if its path changes meanwhile. Its
 * name is random (".NAME.XXXXXXXX"), and O_EXCL | O_NOFOLLOW make a planted
 * file or symlink a failure (retried under another name), never a write
 * through it. Only the final rename touches the target's name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_write.h"
#include "log.h"

/* Names tried before giving up (each clash means someone else's file). */
#define FILE_WRITE_ATTEMPTS 16

/* The directory of path ("." for a bare name) and its last component. */
static int
file_write_split(const char *path, char **directory, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*directory = xstrdup(".");
		*name = path;
	} else if (slash == path) {
		*directory = xstrdup("/");
		*name = slash + 1;
	} else {
		*directory = xasprintf("%.*s", (int)(slash - path), path);
		*name = slash + 1;
	}
	if ((*name)[0] == '\0' || strcmp(*name, ".") == 0 ||
	    strcmp(*name, "..") == 0) {
		log_warnx("cannot write %s: not a file name", path);
		free(*directory);
		*directory = NULL;
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Open the directory and refuse one any user can replace files in. */
static int
file_write_open_directory(const char *directory, const char *path)
{
	struct stat st;
	int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1) {
		log_warn("cannot write %s: directory %s", path, directory);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("cannot write %s: directory %s", path, directory);
		close(fd);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
		log_warnx("refusing to write %s: its directory %s is "
		    "world-writable without the sticky bit, so any local user "
		    "could replace the file; use a directory only root can "
		    "write to (or chmod o-w %s)", path, directory, directory);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Create a new file in directory_fd under a random name (stored in
 * temporary, of size bytes). */
static int
file_write_create(int directory_fd, const char *name, char *temporary,
    size_t size)
{
	for (int attempt = 0; attempt < FILE_WRITE_ATTEMPTS; attempt++) {
		uint32_t random_value;
		int fd;

		if (getrandom(&random_value, sizeof(random_value), 0) !=
		    (ssize_t)sizeof(random_value))
			return -1;
		snprintf(temporary, size, ".%s.%08" PRIx32, name,
		    random_value);
		fd = openat(directory_fd, temporary, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int
file_write_atomic_stream(const char *path, mode_t mode,
    int (*render)(FILE *out, void *arg), void *arg)
{
	char *directory = NULL, *temporary = NULL;
	const char *name;
	int directory_fd = -1, fd = -1, saved_errno;
	size_t size;
	FILE *out = NULL;

	if (file_write_split(path, &directory, &name) == -1)
		return -1;
	directory_fd = file_write_open_directory(directory, path);
	if (directory_fd == -1)
		goto fail;
	size = strlen(name) + 16;
	temporary = xmalloc(size);
	fd = file_write_create(directory_fd, name, temporary, size);
	if (fd == -1) {
		log_warn("cannot create a temporary file for %s in %s", path,
		    directory);
		free(temporary);
		temporary = NULL;
		goto fail;
	}
	/* Explicit, whatever the umask. */
	if (fchmod(fd, mode) == -1) {
		log_warn("chmod %s/%s", directory, temporary);
		goto fail;
	}
	out = fdopen(fd, "w");
	if (out == NULL) {
		log_warn("fdopen %s/%s", directory, temporary);
		goto fail;
	}
	fd = -1;    /* out owns it */
	if (render(out, arg) == -1) {
		errno = EINVAL;
		goto fail;
	}
	if (fflush(out) != 0 || ferror(out) || fsync(fileno(out)) == -1) {
		log_warn("write %s/%s", directory, temporary);
		goto fail;
	}
	if (fclose(out) != 0) {
		out = NULL;
		log_warn("write %s/%s", directory, temporary);
		goto fail;
	}
	out = NULL;
	if (renameat(directory_fd, temporary, directory_fd, name) == -1) {
		log_warn("rename %s/%s to %s", directory, temporary, path);
		goto fail;
	}
	free(temporary);
	temporary = NULL;
	/* The rename is durable once the directory is. */
	if (fsync(directory_fd) == -1) {
		log_warn("fsync directory %s", directory);
		goto fail;
	}
	close(directory_fd);
	free(directory);
	return 0;

fail:
	saved_errno = errno;
	if (out != NULL)
		fclose(out);
	if (fd != -1)
		close(fd);
	if (temporary != NULL)
		unlinkat(directory_fd, temporary, 0);
	if (directory_fd != -1)
		close(directory_fd);
	free(temporary);
	free(directory);
	errno = saved_errno;
	return -1;
}

struct file_write_buffer {
	const void *data;
	size_t length;
};

static int
file_write_buffer_render(FILE *out, void *arg)
{
	const struct file_write_buffer *buffer = arg;

	/* A short write leaves the stream's error flag set, which the caller
	 * reports with the file's name. */
	if (buffer->length > 0)
		fwrite(buffer->data, 1, buffer->length, out);
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t length,
    mode_t mode)
{
	struct file_write_buffer buffer = { .data = data, .length = length };

	return file_write_atomic_stream(path, mode, file_write_buffer_render,
	    &buffer);
}
