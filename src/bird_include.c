/*
 * DOC: BIRD include file
 *
 * What the generated file contains, and why:
 *
 * - One "protocol static" per service and address family that has
 *   prefixes, named service->bird_protocol_ipv4/_ipv6, "disabled yes": after
 *   a BIRD start or "birdc configure" nothing is announced until
 *   anycheck-bird has seen the service healthy and enabled the protocol.
 *
 * - Routes are "blackhole". The route only has to exist in BIRD's table to
 *   be exported over BGP, which sets the next hop itself ("next hop self",
 *   or the session's local address on eBGP). A blackhole route needs no
 *   interface or gateway, so it is valid the moment the protocol is enabled.
 *   It must not reach the kernel: the example bird.conf's kernel protocols
 *   reject routes of anycheck protocols. Were it exported anyway, the VIP
 *   configured on lo would still be delivered locally (the kernel's local
 *   table is consulted before main), and traffic for a VIP this host does
 *   not serve is dropped instead of looping. A device route via "lo" would
 *   depend on lo's state and, in the kernel, send transit traffic to lo.
 *
 * - BGP attributes are set in a filter for the BGP protocol's export, not in
 *   the static routes: BIRD sends a MED to an eBGP neighbour only when the
 *   export filter set it (proto/bgp/attrs.c, bgp_update_attrs: a
 *   MULTI_EXIT_DISC not "fresh" is removed), and a NEXT_HOP is only kept
 *   when set there too. The function returns whether the route is one of
 *   anycheck's, so a hand-written filter can call it; the filter exports
 *   exactly anycheck's routes.
 *
 * - next_hop: "self" (NULL) leaves the choice to the BGP session (next hop
 *   self); an address becomes bgp_next_hop in the route's family. path_id is
 *   not rendered: BIRD assigns ADD-PATH identifiers itself. local_pref is
 *   only sent to iBGP neighbours (BIRD drops it towards eBGP).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bird_include.h"
#include "log.h"

bool
bird_protocol_name_valid(const char *name)
{
	size_t length;

	if (name == NULL || name[0] == '\0')
		return false;
	if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (length = 0; name[length] != '\0'; length++) {
		char c = name[length];

		if (!(c == '_' || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
	}
	return length <= 63;
}

/* The config path goes into a comment: keep it on one line. */
static void
bird_include_write_comment_text(FILE *out, const char *text)
{
	for (const char *p = text; *p != '\0'; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static bool
bird_service_has_family(const struct service_config *service, int family)
{
	for (size_t i = 0; i < service->prefix_count; i++)
		if (service->prefixes[i].family == family)
			return true;
	return false;
}

static const char *
bird_service_protocol(const struct service_config *service, int family)
{
	return family == AF_INET ? service->bird_protocol_ipv4 :
	    service->bird_protocol_ipv6;
}

static int
bird_include_check(const struct config *config)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int ok = 0;

	for (size_t s = 0; s < config->service_count; s++) {
		const struct service_config *service = &config->services[s];

		for (size_t f = 0; f < 2; f++) {
			const char *name = bird_service_protocol(service,
			    families[f]);

			if (!bird_service_has_family(service, families[f]))
				continue;
			if (!bird_protocol_name_valid(name)) {
				log_warnx("service %s: \"%s\" is not a valid "
				    "BIRD protocol name", service->name,
				    name != NULL ? name : "(none)");
				ok = -1;
			} else if (strcmp(name, BIRD_INCLUDE_EXPORT_FILTER) == 0 ||
			    strcmp(name, BIRD_INCLUDE_EXPORT_FUNCTION) == 0) {
				log_warnx("service %s: protocol name %s is "
				    "reserved by anycheck", service->name, name);
				ok = -1;
			}
		}
		if (service->announce.as_path_prepend > 0 && !config->has_local_as) {
			log_warnx("service %s: as_path_prepend needs local_as",
			    service->name);
			ok = -1;
		}
	}
	return ok;
}

static void
bird_include_render_protocol(const struct service_config *service,
    int family, FILE *out)
{
	fprintf(out, "# service %s, %s\n", service->name,
	    family == AF_INET ? "IPv4" : "IPv6");
	fprintf(out, "protocol static %s {\n", bird_service_protocol(service,
	    family));
	fprintf(out, "\t%s;\n", family == AF_INET ? "ipv4" : "ipv6");
	fprintf(out, "\tdisabled yes;\n");
	for (size_t i = 0; i < service->prefix_count; i++)
		if (service->prefixes[i].family == family)
			fprintf(out, "\troute %s blackhole;\n",
			    service->prefixes[i].text);
	fprintf(out, "}\n\n");
}

static void
bird_include_render_attributes(const struct config *config,
    const struct service_config *service, int family, FILE *out)
{
	const struct announce_attributes *a = &service->announce;
	const char *next_hop = family == AF_INET ? a->next_hop_ipv4 :
	    a->next_hop_ipv6;

	fprintf(out, "\tif proto = \"%s\" then {\n",
	    bird_service_protocol(service, family));
	if (next_hop != NULL)
		fprintf(out, "\t\tbgp_next_hop = %s;\n", next_hop);
	if (a->has_med)
		fprintf(out, "\t\tbgp_med = %u;\n", a->med);
	if (a->has_local_preference)
		fprintf(out, "\t\tbgp_local_pref = %u;\n", a->local_preference);
	for (size_t i = 0; i < a->community_count; i++)
		fprintf(out, "\t\tbgp_community.add((%u, %u));\n",
		    a->communities[i].asn, a->communities[i].value);
	for (size_t i = 0; i < a->large_community_count; i++)
		fprintf(out, "\t\tbgp_large_community.add((%u, %u, %u));\n",
		    a->large_communities[i].global,
		    a->large_communities[i].local1,
		    a->large_communities[i].local2);
	for (size_t i = 0; i < a->extended_community_count; i++)
		fprintf(out, "\t\tbgp_ext_community.add((%s, %u, %u));\n",
		    a->extended_communities[i].kind == EXTENDED_COMMUNITY_ORIGIN ?
		    "ro" : "rt", a->extended_communities[i].admin,
		    a->extended_communities[i].value);
	/* BGP adds the session's own AS once more on eBGP export. */
	for (unsigned i = 0; i < a->as_path_prepend; i++)
		fprintf(out, "\t\tbgp_path.prepend(%u);\n", config->local_as);
	fprintf(out, "\t\treturn true;\n\t}\n");
}

int
bird_include_render(const struct config *config, FILE *out)
{
	static const int families[] = { AF_INET, AF_INET6 };

	if (bird_include_check(config) == -1)
		return -1;

	fprintf(out, "# Generated by anycheck from ");
	bird_include_write_comment_text(out, config->path != NULL ?
	    config->path : "(unknown)");
	fprintf(out, ". Do not edit: regenerate it.\n"
	    "#\n"
	    "# Include it from bird.conf. Every protocol starts disabled;\n"
	    "# anycheck-bird enables the ones of healthy services through the\n"
	    "# control socket. Export anycheck's routes to BGP with\n"
	    "#   export filter " BIRD_INCLUDE_EXPORT_FILTER ";\n"
	    "# and keep them out of the kernel (see the example bird.conf).\n"
	    "\n");

	for (size_t s = 0; s < config->service_count; s++)
		for (size_t f = 0; f < 2; f++)
			if (bird_service_has_family(&config->services[s],
			    families[f]))
				bird_include_render_protocol(&config->services[s],
				    families[f], out);

	fprintf(out, "# Sets the BGP attributes of an anycheck route and says "
	    "whether the route\n# is one; call it from a BGP export filter.\n"
	    "function " BIRD_INCLUDE_EXPORT_FUNCTION "()\n{\n");
	for (size_t s = 0; s < config->service_count; s++)
		for (size_t f = 0; f < 2; f++)
			if (bird_service_has_family(&config->services[s],
			    families[f]))
				bird_include_render_attributes(config,
				    &config->services[s], families[f], out);
	fprintf(out, "\treturn false;\n}\n\n");

	fprintf(out, "# Exports exactly anycheck's routes, with their attributes.\n"
	    "filter " BIRD_INCLUDE_EXPORT_FILTER "\n{\n"
	    "\tif " BIRD_INCLUDE_EXPORT_FUNCTION "() then accept;\n"
	    "\treject;\n}\n");

	if (fflush(out) != 0 || ferror(out)) {
		log_warn("writing the BIRD include file");
		return -1;
	}
	return 0;
}

int
bird_include_write_file(const struct config *config, const char *path)
{
	char *temporary = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *out = NULL;

	out = fopen(temporary, "w");
	if (out == NULL) {
		log_warn("%s", temporary);
		goto fail;
	}
	if (bird_include_render(config, out) == -1)
		goto fail;
	if (fsync(fileno(out)) == -1) {
		log_warn("fsync %s", temporary);
		goto fail;
	}
	if (fclose(out) != 0) {
		out = NULL;
		log_warn("%s", temporary);
		goto fail;
	}
	out = NULL;
	if (rename(temporary, path) == -1) {
		log_warn("rename %s to %s", temporary, path);
		goto fail;
	}
	free(temporary);
	return 0;

fail:
	if (out != NULL)
		fclose(out);
	unlink(temporary);
	free(temporary);
	return -1;
}
