/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: command line shared by the anycheck daemons
 *
 * Usage errors and config errors go to stderr with distinct exit codes;
 * "-n" prints "configuration OK" on stdout, as relayd -n and bird -p users
 * expect, since it never runs under ExaBGP.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"

static void
cli_usage(FILE *out, const char *program, const char *summary,
    bool allow_generate)
{
	fprintf(out,
	    "usage: %s -c FILE [-n] [-d] [-s]%s\n"
	    "       %s -V | -h\n"
	    "\n%s\n\n"
	    "  -c, --config FILE   the anycheck JSON config (required)\n"
	    "  -n, --check         validate the config, print \"configuration OK\", exit\n"
	    "%s"
	    "  -d, --debug         log every check result, not only changes\n"
	    "  -s, --syslog        log to syslog (facility daemon), not stderr\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n"
	    "\nexit codes: 0 clean exit, 1 runtime failure, 2 usage error, "
	    "3 config error\n",
	    program, allow_generate ? " [-g FILE|-]" : "", program, summary,
	    allow_generate ?
	    "  -g, --generate FILE write the BIRD include file for the config to\n"
	    "                      FILE (- for stdout) and exit\n" : "");
}

void
cli_parse(int argc, char **argv, const char *program, const char *summary,
    bool allow_generate, struct cli_options *options)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 's' },
		{ "generate", required_argument, NULL, 'g' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	*options = (struct cli_options){ .program = program };
	while ((option = getopt_long(argc, argv, allow_generate ?
	    "c:ndsg:Vh" : "c:ndsVh", long_options, NULL)) != -1) {
		switch (option) {
		case 'c':
			options->config_path = optarg;
			break;
		case 'n':
			options->check_only = true;
			break;
		case 'd':
			options->debug = true;
			break;
		case 's':
			options->use_syslog = true;
			break;
		case 'g':
			if (!allow_generate)
				goto usage;
			options->generate = optarg;
			break;
		case 'V':
			printf("%s %s\n", program, ANYCHECK_VERSION);
			exit(CLI_EXIT_OK);
		case 'h':
			cli_usage(stdout, program, summary, allow_generate);
			exit(CLI_EXIT_OK);
		default:
			goto usage;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", program,
		    argv[optind]);
		goto usage;
	}
	if (options->config_path == NULL) {
		fprintf(stderr, "%s: no config given; use -c FILE\n", program);
		goto usage;
	}
	return;
usage:
	cli_usage(stderr, program, summary, allow_generate);
	exit(CLI_EXIT_USAGE);
}

struct config *
cli_load_config(const struct cli_options *options)
{
	struct config_errors errors;
	struct config *config = NULL;

	config_errors_init(&errors);
	if (config_load(options->config_path, &config, &errors) != 0) {
		config_warnings_log(&errors);
		for (size_t i = 0; i < errors.count; i++)
			fprintf(stderr, "%s\n", errors.messages[i]);
		fprintf(stderr, "%s: %zu error%s in %s; nothing was started\n",
		    options->program, errors.total,
		    errors.total == 1 ? "" : "s", options->config_path);
		config_errors_clear(&errors);
		exit(CLI_EXIT_CONFIG);
	}
	config_warnings_log(&errors);
	config_errors_clear(&errors);
	return config;
}
