/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: open files
 *
 * Raising RLIMIT_NOFILE and comparing it with what the configured checks
 * can hold at once. The per-type cost comes from each check type's ops
 * (fds_per_run), so a new type brings its own number and this file never
 * names a type. (The file is not called limits.c: a src/limits.h would
 * hide the C library's <limits.h> from every file built with src/ on the
 * include path.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "check_api.h"
#include "config.h"
#include "open_files.h"
#include "log.h"

/* The kernel's ceiling for RLIMIT_NOFILE, for an unlimited hard limit. */
static rlim_t
open_files_nr_open(void)
{
	FILE *file = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long value = 0;

	if (file == NULL)
		return 1024 * 1024;     /* the kernel's default */
	if (fscanf(file, "%lu", &value) != 1 || value == 0)
		value = 1024 * 1024;
	fclose(file);
	return (rlim_t)value;
}

unsigned long
open_files_raise_limit(void)
{
	struct rlimit limit;
	rlim_t wanted, before;

	if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
		log_warn("cannot read the open-file limit (RLIMIT_NOFILE)");
		return 0;
	}
	before = limit.rlim_cur;
	wanted = limit.rlim_max;
	if (wanted == RLIM_INFINITY)
		wanted = open_files_nr_open();
	if (before != RLIM_INFINITY && before >= wanted)
		return (unsigned long)before;
	if (before == RLIM_INFINITY)
		return (unsigned long)open_files_nr_open();
	limit.rlim_cur = wanted;
	if (setrlimit(RLIMIT_NOFILE, &limit) == -1) {
		log_warn("cannot raise the open-file limit from %lu to %lu",
		    (unsigned long)before, (unsigned long)wanted);
		return (unsigned long)before;
	}
	log_info("open-file limit raised from %lu to %lu (the hard limit)",
	    (unsigned long)before, (unsigned long)wanted);
	return (unsigned long)wanted;
}

/* Checks and descriptors of one check type in a config. */
struct open_files_type_count {
	const struct check_ops *ops;
	size_t checks;
};

#define OPEN_FILES_TYPES_MAX 16

/* Count config's checks per type into counts; returns how many types. */
static size_t
open_files_count_types(const struct config *config,
    struct open_files_type_count *counts)
{
	size_t types = 0;

	for (size_t s = 0; s < config->service_count; s++) {
		const struct service_config *service = &config->services[s];
		for (size_t c = 0; c < service->check_count; c++) {
			const struct check_ops *ops =
			    service->checks[c].ops;
			size_t t;
			for (t = 0; t < types; t++)
				if (counts[t].ops == ops)
					break;
			if (t == types) {
				if (types == OPEN_FILES_TYPES_MAX)
					continue;       /* cannot happen */
				counts[types].ops = ops;
				counts[types].checks = 0;
				types++;
			}
			counts[t].checks++;
		}
	}
	return types;
}

size_t
open_files_needed(const struct config *config)
{
	struct open_files_type_count counts[OPEN_FILES_TYPES_MAX];
	size_t types = open_files_count_types(config, counts);
	size_t needed = OPEN_FILES_BASE;

	for (size_t t = 0; t < types; t++)
		needed += counts[t].checks * counts[t].ops->fds_per_run;
	return needed;
}

int
open_files_check_limit(const struct config *config)
{
	struct open_files_type_count counts[OPEN_FILES_TYPES_MAX];
	size_t types = open_files_count_types(config, counts);
	size_t needed = open_files_needed(config), length = 0;
	struct rlimit limit;
	char detail[512];

	if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
		log_warn("cannot read the open-file limit (RLIMIT_NOFILE)");
		return -1;
	}
	if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed)
		return 0;
	detail[0] = '\0';
	for (size_t t = 0; t < types && length < sizeof(detail); t++)
		length += (size_t)snprintf(detail + length,
		    sizeof(detail) - length, "%s%zu %s x %u", t > 0 ? ", " : "",
		    counts[t].checks, counts[t].ops->type,
		    counts[t].ops->fds_per_run);
	log_error("the open-file limit (%lu) is below the %zu file "
	    "descriptors the configured checks can hold at once (%s, plus %d "
	    "for anycheck itself): checks that find none report local-error "
	    "and their services keep their state unchecked; raise the hard "
	    "limit (systemd LimitNOFILE=, ulimit -Hn) to at least %zu",
	    (unsigned long)limit.rlim_cur, needed, detail, OPEN_FILES_BASE,
	    needed);
	return -1;
}
