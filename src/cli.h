/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: command line shared by the anycheck daemons
 *
 * anycheck-exabgp and anycheck-bird take the same flags and exit with the
 * same codes, so operators and unit files can treat them alike.
 */
#ifndef ANYCHECK_CLI_H
#define ANYCHECK_CLI_H

#include <stdbool.h>

#include "config.h"

enum cli_exit {
	CLI_EXIT_OK = 0,        /* clean exit, or -n found the config OK */
	CLI_EXIT_RUNTIME = 1,   /* a runtime failure (event loop, pipes) */
	CLI_EXIT_USAGE = 2,     /* bad command line */
	CLI_EXIT_CONFIG = 3,    /* the config could not be loaded */
};

struct cli_options {
	const char *program;
	const char *config_path;
	bool check_only;        /* -n: validate and exit */
	bool debug;             /* -d: log every check result */
	bool use_syslog;        /* -s: log to syslog instead of stderr */
	const char *generate;   /* anycheck-bird -g FILE|-: write include file */
};

/* Parse argv. Handles -h and -V itself (prints, exits 0) and prints usage
 * errors (exits CLI_EXIT_USAGE). allow_generate enables -g. */
void cli_parse(int argc, char **argv, const char *program,
    const char *summary, bool allow_generate, struct cli_options *options);

/* Load the config named by options, printing every error. Returns the
 * config or exits with CLI_EXIT_CONFIG. */
struct config *cli_load_config(const struct cli_options *options);


#endif
