/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: check type registry
 *
 * Maps the config's "type" to the check type's ops. Adding a check type is
 * one file and one line here; nothing else switches on the type.
 */
#include <stdio.h>
#include <string.h>

#include "check_api.h"
#include "log.h"

static const struct check_ops *const check_registry[] = {
	&check_address_ops,
	&check_dns_ops,
	&check_exec_ops,
	&check_file_ops,
	&check_http_ops,
	&check_listen_ops,
	&check_process_ops,
	&check_tcp_ops,
};

#define CHECK_REGISTRY_COUNT (sizeof(check_registry) / sizeof(check_registry[0]))

const struct check_ops *
check_ops_find(const char *type)
{
	for (size_t i = 0; i < CHECK_REGISTRY_COUNT; i++)
		if (strcmp(check_registry[i]->type, type) == 0)
			return check_registry[i];
	return NULL;
}

const char *
check_type_names(void)
{
	static char names[128];

	if (names[0] == '\0') {
		size_t used = 0;

		for (size_t i = 0; i < CHECK_REGISTRY_COUNT; i++) {
			int n = snprintf(names + used, sizeof(names) - used,
			    "%s%s", i > 0 ? ", " : "",
			    check_registry[i]->type);
			if (n < 0 || (size_t)n >= sizeof(names) - used)
				fatalx("check_type_names: more types than "
				    "%zu bytes hold", sizeof(names));
			used += (size_t)n;
		}
	}
	return names;
}
