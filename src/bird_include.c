/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD include file
 *
 * What the generated file contains, and why:
 *
 * - Per service and address family that has prefixes, one "protocol
 *   static" per attribute set: service->bird_protocol_ipv4/_ipv6 for the UP
 *   attributes, and NAME_drain, NAME_down, NAME_disabled, NAME_degraded
 *   where the service has a drain (drain.seconds > 0), down or disabled
 *   attributes, or a last_resort (announced while DEGRADED). Each has
 *   the same routes; the export filter gives each its own attributes, so
 *   switching attributes is enabling one protocol and then disabling the
 *   other, with the route never gone in between. All are "disabled yes"
 *   from "-g": after a BIRD start or "birdc configure" nothing is announced
 *   until anycheck-bird has seen the service and enabled one. A service
 *   an operator shifts (anycheckctl shift) has one more, NAME_shift, with
 *   its UP attributes changed by the shift, declared only while it is
 *   shifted (and until BIRD has it disabled); its name is reserved for it
 *   all the time, so a shift never finds it taken. When
 *   anycheck-bird writes the file itself (bird.include_file), the protocols
 *   enabled at that moment get "disabled no", so that the "configure" it
 *   sends afterwards leaves them running (BIRD restarts a protocol whose
 *   "disabled" differs from its current state).
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
 * - BGP attributes are set on the static routes themselves (a block of
 *   filter statements after the route, evaluated once when the protocol
 *   starts), together with the marker attribute anycheck_route. The export
 *   filter then costs the same for every route, whatever the number of
 *   services: an earlier version set the attributes in a function with one
 *   "if proto = ..." per protocol, run for every exported route, which made
 *   BIRD take ~30 s to parse 20 000 protocols and tripled the cost of every
 *   enable. Only MED and next hop need the export filter: BIRD sends them to
 *   an eBGP neighbour only when the export filter set them
 *   (proto/bgp/attrs.c: a MULTI_EXIT_DISC or NEXT_HOP that is not "fresh" is
 *   removed or replaced), so the filter sets both to themselves. Everything
 *   else (communities, AS path, local_pref) arrives as the route has it.
 *   defined(anycheck_route) is the test for operators' own filters: it holds
 *   whatever bird.protocol names the protocols.
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
#include "file_write.h"
#include "name_index.h"
#include "log.h"

/* The config path goes into a comment: keep it on one line. */
static void
bird_include_write_comment_text(FILE *out, const char *text)
{
	for (const char *p = text; *p != '\0'; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

bool
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

static const char *const bird_variant_suffixes[BIRD_VARIANT_COUNT] = {
	[BIRD_VARIANT_UP] = "",
	[BIRD_VARIANT_DRAIN] = "_drain",
	[BIRD_VARIANT_DOWN] = "_down",
	[BIRD_VARIANT_DISABLED] = "_disabled",
	[BIRD_VARIANT_LAST_RESORT] = "_degraded",
	[BIRD_VARIANT_SHIFT] = "_shift",
};

const char *
bird_variant_suffix(enum bird_variant variant)
{
	return bird_variant_suffixes[variant];
}

bool
bird_variant_exists(const struct service_config *service,
    enum bird_variant variant, const struct bird_shifts *shifts)
{
	switch (variant) {
	case BIRD_VARIANT_UP:
		return true;
	case BIRD_VARIANT_DRAIN:
		return service->drain.seconds > 0;
	case BIRD_VARIANT_DOWN:
		return service->down.announced;
	case BIRD_VARIANT_DISABLED:
		return service->disabled.announced;
	case BIRD_VARIANT_LAST_RESORT:
		return service->last_resort.announced;
	case BIRD_VARIANT_SHIFT:
		return bird_shifts_find(shifts, service->name) != NULL;
	case BIRD_VARIANT_COUNT:
		break;
	}
	return false;
}

const struct announce_attributes *
bird_variant_attributes(const struct service_config *service,
    enum bird_variant variant, const struct bird_shifts *shifts)
{
	const struct bird_shift *shift;

	switch (variant) {
	case BIRD_VARIANT_DRAIN:
		return &service->drain_announce;
	case BIRD_VARIANT_DOWN:
		return &service->down.attributes;
	case BIRD_VARIANT_DISABLED:
		return &service->disabled.attributes;
	case BIRD_VARIANT_LAST_RESORT:
		return &service->last_resort.attributes;
	case BIRD_VARIANT_SHIFT:
		shift = bird_shifts_find(shifts, service->name);
		return shift != NULL ? shift->attributes : &service->announce;
	default:
		return &service->announce;
	}
}

int
bird_variant_of(const struct service_config *service,
    const struct announce_attributes *attributes,
    const struct bird_shifts *shifts)
{
	if (attributes == NULL)
		return -1;
	for (int v = 0; v < BIRD_VARIANT_COUNT; v++)
		if (bird_variant_exists(service, v, shifts) &&
		    bird_variant_attributes(service, v, shifts) == attributes)
			return v;
	return -1;
}

char *
bird_variant_protocol(const struct service_config *service, int family,
    enum bird_variant variant, const struct bird_shifts *shifts)
{
	const char *base = bird_service_protocol(service, family);

	if (base == NULL || !bird_service_has_family(service, family) ||
	    !bird_variant_exists(service, variant, shifts))
		return NULL;
	return xasprintf("%s%s", base, bird_variant_suffix(variant));
}

char *
bird_shift_protocol(const struct service_config *service, int family)
{
	const char *base = bird_service_protocol(service, family);

	if (base == NULL || !bird_service_has_family(service, family))
		return NULL;
	return xasprintf("%s%s", base,
	    bird_variant_suffix(BIRD_VARIANT_SHIFT));
}

void
bird_shifts_init(struct bird_shifts *shifts)
{
	memset(shifts, 0, sizeof(*shifts));
	name_index_init(&shifts->by_service);
}

void
bird_shifts_clear(struct bird_shifts *shifts)
{
	for (size_t i = 0; i < shifts->count; i++) {
		free(shifts->entries[i]->service);
		free(shifts->entries[i]->text);
		free(shifts->entries[i]);
	}
	free(shifts->entries);
	shifts->entries = NULL;
	shifts->count = 0;
	name_index_cleanup(&shifts->by_service);
	name_index_init(&shifts->by_service);
}

void
bird_shifts_cleanup(struct bird_shifts *shifts)
{
	bird_shifts_clear(shifts);
	name_index_cleanup(&shifts->by_service);
}

const struct bird_shift *
bird_shifts_find(const struct bird_shifts *shifts, const char *service)
{
	if (shifts == NULL || shifts->count == 0)
		return NULL;
	return name_index_get(&shifts->by_service, service);
}

static void bird_include_render_attributes(const struct config *config,
    const struct announce_attributes *a, int family, const char *indent,
    FILE *out);

char *
bird_shift_text(const struct config *config,
    const struct service_config *service,
    const struct announce_attributes *attributes)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		fatal("open_memstream");
	for (size_t f = 0; f < 2; f++)
		if (bird_service_has_family(service, f == 0 ? AF_INET :
		    AF_INET6))
			bird_include_render_attributes(config, attributes,
			    f == 0 ? AF_INET : AF_INET6, "", out);
	if (fclose(out) != 0)
		fatal("open_memstream");
	return text;
}

void
bird_shifts_add(struct bird_shifts *shifts, const struct config *config,
    const struct service_config *service,
    const struct announce_attributes *attributes)
{
	struct bird_shift *shift = name_index_get(&shifts->by_service,
	    service->name);

	if (shift == NULL) {
		shift = xcalloc(1, sizeof(*shift));
		shifts->entries = xrealloc(shifts->entries,
		    (shifts->count + 1) * sizeof(*shifts->entries));
		shifts->entries[shifts->count++] = shift;
	} else {
		free(shift->text);
		name_index_remove(&shifts->by_service, shift->service);
		free(shift->service);
	}
	shift->service = xstrdup(service->name);
	shift->attributes = attributes;
	shift->text = bird_shift_text(config, service, attributes);
	name_index_put(&shifts->by_service, shift->service, shift);
}

static const int bird_families[] = { AF_INET, AF_INET6 };

/* The services to declare: the options' or the config's. */
static size_t
bird_include_services(const struct config *config,
    const struct bird_include_options *options,
    const struct service_config **out, size_t index)
{
	if (options != NULL && options->services != NULL) {
		if (out != NULL)
			*out = options->services[index];
		return options->service_count;
	}
	if (out != NULL)
		*out = &config->services[index];
	return config->service_count;
}

/* name is in seen already: say whose it is (a reserved _shift name has
 * its service's name as value, a declared one itself). */
static void
bird_include_name_taken(const struct name_index *seen,
    const struct service_config *service, const char *name)
{
	const char *value = name_index_get(seen, name);
	const char *key = name_index_key(seen, name);

	if (value != key)
		log_warnx("service %s: BIRD protocol name %s is reserved for "
		    "the traffic shift of service %s; set another "
		    "bird.protocol", service->name, name, value);
	else
		log_warnx("service %s: BIRD protocol name %s is used twice",
		    service->name, name);
}

int
bird_include_check(const struct config *config,
    const struct bird_include_options *options)
{
	size_t count = bird_include_services(config, options, NULL, 0);
	const struct bird_shifts *shifts = options != NULL ? options->shifts :
	    NULL;
	/* Every name so far, to find one used twice in O(1) rather than by
	 * rescanning every service (O(n^2): 30 s at 10 000 services). The
	 * value says whose _shift name it is, for a reserved one. */
	struct name_index seen;
	char **names = xcalloc(count * 2 * (BIRD_VARIANT_COUNT + 1) + 1,
	    sizeof(*names));
	size_t name_count = 0;
	int ok = 0;

	name_index_init(&seen);
	for (size_t s = 0; s < count; s++) {
		const struct service_config *service;

		bird_include_services(config, options, &service, s);
		for (size_t f = 0; f < 2; f++) {
			const char *base = bird_service_protocol(service,
			    bird_families[f]);
			bool checked = bird_service_has_family(service,
			    bird_families[f]);

			if (checked && base == NULL) {
				log_warnx("service %s: no BIRD protocol name",
				    service->name);
				ok = -1;
				checked = false;
			}
			for (int v = 0; v < BIRD_VARIANT_COUNT; v++) {
				char *name = bird_variant_protocol(service,
				    bird_families[f], v, shifts);

				if (name == NULL)
					continue;
				if (!checked) {
					/* Not declared, yet its name is
					 * taken for those after it. */
				} else if (!bird_protocol_name_valid(name)) {
					log_warnx("service %s: \"%s\" is not a "
					    "valid BIRD protocol name (a letter "
					    "or '_', then letters, digits or "
					    "'_', at most %d characters); set a "
					    "shorter bird.protocol",
					    service->name, name,
					    BIRD_SYMBOL_MAX);
					ok = -1;
				} else if (strcmp(name,
				    BIRD_INCLUDE_EXPORT_FILTER) == 0 ||
				    strcmp(name,
				    BIRD_INCLUDE_ROUTE_ATTRIBUTE) == 0) {
					log_warnx("service %s: protocol name %s "
					    "is reserved by anycheck",
					    service->name, name);
					ok = -1;
				} else if (name_index_get(&seen, name) != NULL) {
					bird_include_name_taken(&seen, service,
					    name);
					ok = -1;
				}
				if (name_index_get(&seen, name) == NULL) {
					name_index_put(&seen, name, name);
					names[name_count++] = name;
				} else
					free(name);
			}
			/* The _shift name is the service's, shifted or not. */
			if (checked && !bird_variant_exists(service,
			    BIRD_VARIANT_SHIFT, shifts)) {
				char *name = bird_shift_protocol(service,
				    bird_families[f]);

				if (name_index_get(&seen, name) != NULL) {
					log_warnx("service %s: %s, the name of "
					    "its traffic shift protocol, is "
					    "taken by another protocol; set "
					    "another bird.protocol",
					    service->name, name);
					ok = -1;
					free(name);
				} else {
					name_index_put(&seen, name,
					    (void *)service->name);
					names[name_count++] = name;
				}
			}
		}
		for (int v = 0; v < BIRD_VARIANT_COUNT; v++)
			if (bird_variant_exists(service, v, shifts) &&
			    bird_variant_attributes(service, v,
			    shifts)->as_path_prepend > 0 &&
			    !config->has_local_as) {
				log_warnx("service %s: as_path_prepend needs "
				    "local_as", service->name);
				ok = -1;
				break;
			}
	}
	name_index_cleanup(&seen);
	for (size_t i = 0; i < name_count; i++)
		free(names[i]);
	free(names);
	return ok;
}

/* The statements that give a route of the variant its attributes, one per
 * line after indent. */
static void
bird_include_render_attributes(const struct config *config,
    const struct announce_attributes *a, int family, const char *indent,
    FILE *out)
{
	const char *next_hop = family == AF_INET ? a->next_hop_ipv4 :
	    a->next_hop_ipv6;

	fprintf(out, "%s" BIRD_INCLUDE_ROUTE_ATTRIBUTE " = 1;\n", indent);
	if (next_hop != NULL)
		fprintf(out, "%sbgp_next_hop = %s;\n", indent, next_hop);
	if (a->has_med)
		fprintf(out, "%sbgp_med = %u;\n", indent, a->med);
	if (a->has_local_preference)
		fprintf(out, "%sbgp_local_pref = %u;\n", indent,
		    a->local_preference);
	for (size_t i = 0; i < a->community_count; i++)
		fprintf(out, "%sbgp_community.add((%u, %u));\n", indent,
		    a->communities[i].asn, a->communities[i].value);
	for (size_t i = 0; i < a->large_community_count; i++)
		fprintf(out, "%sbgp_large_community.add((%u, %u, %u));\n",
		    indent, a->large_communities[i].global,
		    a->large_communities[i].local1,
		    a->large_communities[i].local2);
	for (size_t i = 0; i < a->extended_community_count; i++)
		fprintf(out, "%sbgp_ext_community.add((%s, %u, %u));\n", indent,
		    a->extended_communities[i].kind == EXTENDED_COMMUNITY_ORIGIN ?
		    "ro" : "rt", a->extended_communities[i].admin,
		    a->extended_communities[i].value);
	/* BGP adds the session's own AS once more on eBGP export. */
	for (unsigned i = 0; i < a->as_path_prepend; i++)
		fprintf(out, "%sbgp_path.prepend(%u);\n", indent,
		    config->local_as);
}

static void
bird_include_render_protocol(const struct config *config,
    const struct service_config *service, int family,
    enum bird_variant variant, const struct bird_shifts *shifts,
    const char *name, bool enabled, FILE *out)
{
	fprintf(out, "protocol static %s {\n", name);
	fprintf(out, "\t%s;\n", family == AF_INET ? "ipv4" : "ipv6");
	fprintf(out, "\tdisabled %s;\n", enabled ? "no" : "yes");
	for (size_t i = 0; i < service->prefix_count; i++) {
		if (service->prefixes[i].family != family)
			continue;
		fprintf(out, "\troute %s blackhole {\n",
		    service->prefixes[i].text);
		bird_include_render_attributes(config,
		    bird_variant_attributes(service, variant, shifts), family,
		    "\t\t", out);
		fprintf(out, "\t};\n");
	}
	fprintf(out, "}\n\n");
}

static const char *const bird_variant_titles[BIRD_VARIANT_COUNT] = {
	[BIRD_VARIANT_UP] = "UP",
	[BIRD_VARIANT_DRAIN] = "draining",
	[BIRD_VARIANT_DOWN] = "down",
	[BIRD_VARIANT_DISABLED] = "disabled",
	[BIRD_VARIANT_LAST_RESORT] = "last resort (DEGRADED)",
	[BIRD_VARIANT_SHIFT] = "traffic shift",
};

int
bird_include_render_options(const struct config *config,
    const struct bird_include_options *options, FILE *out)
{
	size_t count = bird_include_services(config, options, NULL, 0);
	const struct bird_shifts *shifts = options != NULL ? options->shifts :
	    NULL;

	if (bird_include_check(config, options) == -1)
		return -1;

	fprintf(out, "# Generated by anycheck from ");
	bird_include_write_comment_text(out, config->path != NULL ?
	    config->path : "(unknown)");
	fprintf(out, ". Do not edit: regenerate it.\n"
	    "#\n"
	    "# Include it from bird.conf. Per service and address family "
	    "there is one\n"
	    "# protocol per attribute set: NAME (UP), NAME_drain, NAME_down, "
	    "NAME_disabled,\n"
	    "# NAME_degraded (last_resort), and NAME_shift while an operator "
	    "shifts the\n"
	    "# service's traffic.\n"
	    "# anycheck-bird enables at most one of them through the control "
	    "socket.\n"
	    "# Every route carries its BGP attributes and the attribute "
	    BIRD_INCLUDE_ROUTE_ATTRIBUTE ".\n"
	    "# Export anycheck's routes to BGP with\n"
	    "#   export filter " BIRD_INCLUDE_EXPORT_FILTER ";\n"
	    "# (in a filter of your own: do what it does, see the end of this "
	    "file), and\n"
	    "# keep them out of the kernel with\n"
	    "#   export where !defined(" BIRD_INCLUDE_ROUTE_ATTRIBUTE ");\n"
	    "\n"
	    "# Set on every route declared here, whatever its protocol's name.\n"
	    "attribute int " BIRD_INCLUDE_ROUTE_ATTRIBUTE ";\n"
	    "\n");

	for (size_t s = 0; s < count; s++) {
		const struct service_config *service;

		bird_include_services(config, options, &service, s);
		for (size_t f = 0; f < 2; f++)
			for (int v = 0; v < BIRD_VARIANT_COUNT; v++) {
				char *name = bird_variant_protocol(service,
				    bird_families[f], v, shifts);
				bool enabled;

				if (name == NULL)
					continue;
				enabled = options != NULL &&
				    options->enabled != NULL &&
				    options->enabled(name, options->arg);
				fprintf(out, "# service %s, %s, %s\n",
				    service->name, bird_families[f] == AF_INET ?
				    "IPv4" : "IPv6", bird_variant_titles[v]);
				bird_include_render_protocol(config, service,
				    bird_families[f], v, shifts, name, enabled,
				    out);
				free(name);
			}
	}

	fprintf(out, "# Exports exactly anycheck's routes, with the attributes "
	    "their protocols gave\n"
	    "# them. BIRD sends a MED or a next hop to an eBGP neighbour only "
	    "when the\n"
	    "# export filter sets it, hence the two lines that set them to "
	    "themselves.\n"
	    "filter " BIRD_INCLUDE_EXPORT_FILTER "\n{\n"
	    "\tif !defined(" BIRD_INCLUDE_ROUTE_ATTRIBUTE ") then reject;\n"
	    "\tif defined(bgp_med) then bgp_med = bgp_med;\n"
	    "\tif defined(bgp_next_hop) then bgp_next_hop = bgp_next_hop;\n"
	    "\taccept;\n}\n");

	if (fflush(out) != 0 || ferror(out)) {
		log_warn("writing the BIRD include file");
		return -1;
	}
	return 0;
}

int
bird_include_render(const struct config *config, FILE *out)
{
	return bird_include_render_options(config, NULL, out);
}

int
bird_include_write_file(const struct config *config, const char *path)
{
	return bird_include_write_file_options(config, NULL, path);
}

struct bird_include_job {
	const struct config *config;
	const struct bird_include_options *options;
};

static int
bird_include_render_job(FILE *out, void *arg)
{
	const struct bird_include_job *job = arg;

	return bird_include_render_options(job->config, job->options, out);
}

int
bird_include_write_file_options(const struct config *config,
    const struct bird_include_options *options, const char *path)
{
	struct bird_include_job job = { .config = config, .options = options };

	/* BIRD may run as another user: the file is readable by all. */
	return file_write_atomic_stream(path, BIRD_INCLUDE_FILE_MODE,
	    bird_include_render_job, &job);
}
