/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: child subreaper
 *
 * prctl(PR_SET_CHILD_SUBREAPER) and reading our children from /proc. The
 * children file of each of our threads lists the processes that thread is
 * the parent of (orphans are re-parented to a live thread of the
 * subreaper, normally the main one; libcurl's resolver threads come and go,
 * so every task is read). Where the kernel lacks those files (built
 * without CONFIG_PROC_CHILDREN), /proc/PID/stat of every process is read
 * for its parent: slower, but only done when a sweep runs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "subreaper.h"

static bool subreaper_on;

int
subreaper_enable(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) == -1) {
		log_warn("cannot become a child subreaper; processes that "
		    "check commands leave in a new session will outlive them");
		return -1;
	}
	subreaper_on = true;
	return 0;
}

bool
subreaper_enabled(void)
{
	return subreaper_on;
}

/* Parent and process group of pid from /proc/PID/stat; -1 when gone. The
 * command name (field 2) may hold spaces and ')', so parse after the last
 * ')'. */
static int
subreaper_stat(pid_t pid, pid_t *parent, pid_t *group)
{
	char path[64], text[512], *end;
	FILE *file;
	size_t length;
	int ppid, pgrp;
	char state;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((file = fopen(path, "re")) == NULL)
		return -1;
	length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	if ((end = strrchr(text, ')')) == NULL ||
	    sscanf(end + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
		return -1;
	*parent = ppid;
	*group = pgrp;
	return 0;
}

pid_t
subreaper_process_group(pid_t pid)
{
	pid_t parent, group;

	if (subreaper_stat(pid, &parent, &group) == -1)
		return -1;
	return group;
}

static size_t
subreaper_add(pid_t *pids, size_t max, size_t count, pid_t pid)
{
	for (size_t i = 0; i < count && i < max; i++)
		if (pids[i] == pid)
			return count;
	if (count < max)
		pids[count] = pid;
	return count + 1;
}

/* The slow way: every process's parent. */
static size_t
subreaper_scan_all(pid_t *pids, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *entry;
	pid_t self = getpid();
	size_t count = 0;

	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL) {
		pid_t pid, parent, group;
		char *end;

		pid = (pid_t)strtol(entry->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (subreaper_stat(pid, &parent, &group) == 0 &&
		    parent == self)
			count = subreaper_add(pids, max, count, pid);
	}
	closedir(dir);
	return count;
}

size_t
subreaper_children(pid_t *pids, size_t max)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *entry;
	size_t count = 0;
	bool found = false;

	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL) {
		char path[96], *end;
		FILE *file;
		long tid;
		int pid;

		tid = strtol(entry->d_name, &end, 10);
		if (*end != '\0' || tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
		    tid);
		if ((file = fopen(path, "re")) == NULL)
			continue;       /* a thread that just ended, or none */
		found = true;
		while (fscanf(file, "%d", &pid) == 1)
			count = subreaper_add(pids, max, count, (pid_t)pid);
		fclose(file);
	}
	closedir(dir);
	if (!found)
		return subreaper_scan_all(pids, max);
	return count;
}
