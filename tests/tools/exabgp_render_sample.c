/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: sample ExaBGP lines for the integration test
 *
 * Prints the line exabgp_render_announce or exabgp_render_withdraw makes for
 * one named sample, so tests/integration/exabgp_accepts_lines.sh can feed
 * the real ExaBGP exactly what anycheck-exabgp would write. The samples use
 * that test's documentation addresses. Usage:
 *   exabgp_render_sample announce|withdraw SAMPLE
 *   exabgp_render_sample list
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exabgp.h"

#define LOCAL_AS 65001

struct sample {
	const char *name;
	const char *prefix;
	struct announce_attributes attributes;
	char *neighbors[2];
	size_t neighbor_count;
};

static struct community communities[] = { { 65000, 100 }, { 65000, 200 } };
static struct large_community large_communities[] = {
	{ 65000, 1, 2 }, { 4200000000u, 3, 4 } };
static struct extended_community extended_communities[] = {
	{ EXTENDED_COMMUNITY_TARGET, 65000, 100 },
	{ EXTENDED_COMMUNITY_ORIGIN, 65001, 7 },
};

static const struct sample samples[] = {
	{ "v4-all", "203.0.113.1/32", {
		.has_med = true, .med = 100,
		.communities = communities, .community_count = 2,
		.large_communities = large_communities,
		.large_community_count = 2,
		.extended_communities = extended_communities,
		.extended_community_count = 2,
		.as_path_prepend = 2,
	    }, { "198.51.100.2" }, 1 },
	{ "v4-next-hop", "203.0.113.2/32", {
		.next_hop_ipv4 = "198.51.100.11",
		.next_hop_ipv6 = "2001:db8:100::11",
	    }, { "198.51.100.2" }, 1 },
	{ "v4-two-neighbors", "203.0.113.3/32", {
		.has_med = true, .med = 50,
	    }, { "198.51.100.2", "198.51.100.3" }, 2 },
	{ "v4-path-7", "203.0.113.4/32", {
		.has_med = true, .med = 10, .has_path_id = true, .path_id = 7,
	    }, { "198.51.100.2" }, 1 },
	{ "v4-path-8", "203.0.113.4/32", {
		.has_med = true, .med = 20, .has_path_id = true, .path_id = 8,
	    }, { "198.51.100.2" }, 1 },
	{ "v4-local-preference", "203.0.113.5/32", {
		.has_med = true, .med = 30,
		.has_local_preference = true, .local_preference = 200,
		.communities = communities, .community_count = 1,
	    }, { "198.51.100.4" }, 1 },
	{ "v4-all-neighbors", "203.0.113.8/32", {
		.has_med = true, .med = 80,
		.communities = communities + 1, .community_count = 1,
	    }, { NULL }, 0 },
	{ "v6-self", "2001:db8:1::1/128", {
		.next_hop_ipv4 = "198.51.100.11",
		.has_med = true, .med = 60,
		.communities = communities, .community_count = 2,
		.large_communities = large_communities,
		.large_community_count = 1,
		.extended_communities = extended_communities,
		.extended_community_count = 1,
		.as_path_prepend = 1,
	    }, { NULL }, 0 },
	{ "v6-next-hop", "2001:db8:1::/48", {
		.next_hop_ipv4 = "198.51.100.11",
		.next_hop_ipv6 = "2001:db8:100::11",
		.has_med = true, .med = 70,
	    }, { "2001:db8:100::2" }, 1 },
};

static int
sample_prefix(const char *text, struct prefix *prefix)
{
	char address[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');

	memset(prefix, 0, sizeof(*prefix));
	if (slash == NULL || (size_t)(slash - text) >= sizeof(address))
		return -1;
	memcpy(address, text, (size_t)(slash - text));
	address[slash - text] = '\0';
	prefix->family = strchr(address, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(prefix->family, address, prefix->address) != 1)
		return -1;
	prefix->length = (uint8_t)atoi(slash + 1);
	snprintf(prefix->text, sizeof(prefix->text), "%s", text);
	return 0;
}

int
main(int argc, char **argv)
{
	char line[EXABGP_LINE_MAX];
	struct prefix prefix;
	size_t count = sizeof(samples) / sizeof(samples[0]);
	int n = -1;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < count; i++)
			printf("%s\n", samples[i].name);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s announce|withdraw SAMPLE | list\n",
		    argv[0]);
		return 2;
	}
	for (size_t i = 0; i < count; i++) {
		const struct sample *s = &samples[i];
		if (strcmp(s->name, argv[2]) != 0)
			continue;
		if (sample_prefix(s->prefix, &prefix) == -1)
			break;
		if (strcmp(argv[1], "announce") == 0)
			n = exabgp_render_announce(line, sizeof(line), &prefix,
			    &s->attributes, LOCAL_AS, s->neighbors,
			    s->neighbor_count);
		else if (strcmp(argv[1], "withdraw") == 0)
			n = exabgp_render_withdraw(line, sizeof(line), &prefix,
			    &s->attributes, s->neighbors, s->neighbor_count);
		break;
	}
	if (n < 0) {
		fprintf(stderr, "%s: cannot render %s %s\n", argv[0], argv[1],
		    argv[2]);
		return 1;
	}
	fputs(line, stdout);
	return 0;
}
