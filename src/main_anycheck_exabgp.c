/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: anycheck-exabgp
 *
 * Runs as an ExaBGP `process`: health-checks the configured services and
 * announces or withdraws their prefixes through ExaBGP's text API on stdout
 * (backend_exabgp.c). On SIGTERM or SIGINT it drains the services with
 * drain_on_exit, withdraws everything it announced (except services with
 * on_exit "keep") and exits 0; a second signal, EOF on stdin or "shutdown"
 * from ExaBGP withdraws at once. SIGHUP reloads the config, SIGUSR1 logs
 * every service's state (daemon.c).
 */
#include "cli.h"
#include "daemon.h"

int
main(int argc, char **argv)
{
	struct cli_options options;

	cli_parse(argc, argv, "anycheck-exabgp",
	    "Health-checks services and announces or withdraws their anycast "
	    "prefixes\nthrough ExaBGP's text API; run it as an ExaBGP process.",
	    false, &options);
	return daemon_main(&options, &backend_exabgp_ops);
}
