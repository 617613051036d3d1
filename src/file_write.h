/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: writing a file atomically and safely
 *
 * Files anycheck writes as root (the BIRD include file, state files) are
 * replaced whole: a new file is created beside the target under a name
 * nobody can predict or pre-create (O_CREAT | O_EXCL | O_NOFOLLOW, relative
 * to the directory opened once), written, flushed to disk, given an
 * explicit mode and renamed over the target; then the directory is flushed
 * so the rename survives a crash. Readers see the old file or the new one,
 * never a part, and a symlink planted by a local user is never followed.
 * A world-writable directory without the sticky bit is refused: there any
 * user could replace the file after us.
 */
#ifndef ANYCHECK_FILE_WRITE_H
#define ANYCHECK_FILE_WRITE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Replace path with the length bytes at data, with permissions mode (not
 * subject to the umask). Returns 0, or -1 with every problem logged (the
 * directory refused, or a system call failed: errno says which) and path
 * untouched. */
int file_write_atomic(const char *path, const void *data, size_t length,
    mode_t mode);

/* The same, with the content written to out by render(out, arg), which
 * returns 0, or -1 to abandon the write (it logs why). */
int file_write_atomic_stream(const char *path, mode_t mode,
    int (*render)(FILE *out, void *arg), void *arg);

#endif
