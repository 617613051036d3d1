/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: anycheck-bird
 *
 * Runs beside BIRD 2 or 3: health-checks the configured services and
 * enables or disables the static protocols that originate their prefixes
 * over BIRD's control socket (backend_bird.c). "-g FILE" (or "-g -") writes
 * the BIRD include file that declares those protocols, generated from the
 * same config, and exits.
 *
 * SIGTERM or SIGINT drains the services with drain_on_exit, disables the
 * protocols of every service (except those with on_exit "keep", left as
 * they are), waits for BIRD to confirm and exits 0; a second signal ends
 * the drains at once. SIGHUP reloads the config, SIGUSR1 logs every
 * service's state (daemon.c).
 */
#include <stdio.h>
#include <string.h>

#include "bird_include.h"
#include "cli.h"
#include "daemon.h"
#include "log.h"

/* -g: write the include file for the config and exit. */
static int
bird_generate(const struct cli_options *options)
{
	struct config *config;
	int status;

	log_init(options->program, LOG_LEVEL_INFO, false);
	config = cli_load_config(options);
	if (bird_include_check(config, NULL) != 0) {
		fprintf(stderr, "anycheck-bird: the BIRD protocols of %s "
		    "cannot be declared (see above); nothing was written\n",
		    options->config_path);
		config_free(config);
		return CLI_EXIT_CONFIG;
	}
	if (strcmp(options->generate, "-") == 0)
		status = bird_include_render(config, stdout) == 0 &&
		    fflush(stdout) == 0 ? 0 : -1;
	else {
		status = bird_include_write_file(config, options->generate);
		if (status == 0)
			fprintf(stderr, "anycheck-bird: wrote %s; run 'birdc "
			    "configure' to load it\n", options->generate);
	}
	config_free(config);
	if (status != 0) {
		fprintf(stderr, "anycheck-bird: cannot write the include file "
		    "%s\n", options->generate);
		return CLI_EXIT_RUNTIME;
	}
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct cli_options options;

	cli_parse(argc, argv, "anycheck-bird",
	    "Health-checks services and enables or disables the BIRD static "
	    "protocols\nthat originate their anycast prefixes, through BIRD's "
	    "control socket.", true, &options);
	if (options.generate != NULL && !options.check_only)
		return bird_generate(&options);
	return daemon_main(&options, &backend_bird_ops);
}
