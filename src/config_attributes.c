/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BGP attribute sets in the config
 *
 * How a service is announced: the "announce" block (next_hop, med,
 * local_preference, communities, large and extended communities,
 * as_path_prepend, path_id), the "down" and "disabled" states ("withdraw"
 * or a complete attribute set of the same keys, nothing inherited from
 * announce), "last_resort" (such a set, for DEGRADED: only global checks
 * fail) and the drain set built from announce and the "drain" block:
 * announce + the RFC 8326 GRACEFUL_SHUTDOWN community 65535:0 + the drain
 * block's communities, with its med and as_path_prepend instead of the UP
 * ones. Parsing goes through the config_json.c getters, so every attribute
 * is also in the service's canonical form; next hops are recorded as the
 * resolved pair of addresses, so "self" spelled out or left out, and an
 * address in any notation, compare by what is announced.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config_build.h"
#include "log.h"

/* RFC 8326 GRACEFUL_SHUTDOWN, added to every drain announcement. */
static const struct community config_graceful_shutdown = { 65535, 0 };

static const char *const config_announce_keys[] = {
	"next_hop", "med", "local_preference", "communities",
	"large_communities", "extended_communities", "as_path_prepend",
	"path_id", NULL,
};
static const char *const config_next_hop_keys[] = { "ipv4", "ipv6", NULL };

static bool
config_service_has_family(const struct service_config *service, int family)
{
	for (size_t i = 0; i < service->prefix_count; i++)
		if (service->prefixes[i].family == family)
			return true;
	return false;
}

static const char *
config_family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Parse "self" or an address in canonical form; -1 if neither. */
static int
config_parse_next_hop_text(const char *text, int *family, char **out)
{
	char canonical[INET6_ADDRSTRLEN];
	uint8_t address[16];

	if (strcmp(text, "self") == 0) {
		*family = AF_UNSPEC;
		*out = NULL;
		return 0;
	}
	if (address_parse(text, family, address) == -1)
		return -1;
	inet_ntop(*family, address, canonical, sizeof(canonical));
	*out = xstrdup(canonical);
	return 0;
}

static void
config_parse_next_hop_value(struct config_parser *parser, json_t *object,
    const struct service_config *service, struct announce_attributes *announce)
{
	json_t *value = json_object_get(object, "next_hop");
	struct config_scope scope;
	char *address;
	int family;

	if (value == NULL)
		return;
	if (json_is_string(value)) {
		if (config_parse_next_hop_text(json_string_value(value),
		    &family, &address) == -1) {
			config_error(parser, "next_hop", "must be \"self\", an "
			    "IP address, or an object with \"ipv4\" and/or "
			    "\"ipv6\"");
			return;
		}
		if (family == AF_UNSPEC)
			return;
		/* The other family keeps "self". */
		if (service->prefix_count > 0 &&
		    !config_service_has_family(service, family)) {
			config_error(parser, "next_hop", "%s next hop \"%s\" "
			    "but the service has no %s prefix",
			    config_family_name(family), address,
			    config_family_name(family));
			free(address);
			return;
		}
		if (family == AF_INET)
			announce->next_hop_ipv4 = address;
		else
			announce->next_hop_ipv6 = address;
		return;
	}
	if (!json_is_object(value)) {
		config_error(parser, "next_hop", "must be \"self\", an IP "
		    "address, or an object with \"ipv4\" and/or \"ipv6\"");
		return;
	}
	scope = config_scope_enter(parser, "next_hop");
	config_reject_unknown_keys(parser, value, config_next_hop_keys);
	for (int i = 0; i < 2; i++) {
		const char *key = config_next_hop_keys[i];
		int want = i == 0 ? AF_INET : AF_INET6;
		const char *text;

		if (config_get_string(parser, value, key, false, &text) != 1)
			continue;
		address = NULL;
		if (config_parse_next_hop_text(text, &family, &address) == 0 &&
		    (family == AF_UNSPEC || family == want)) {
			if (i == 0)
				announce->next_hop_ipv4 = address;
			else
				announce->next_hop_ipv6 = address;
			continue;
		}
		free(address);
		config_error(parser, key, "must be \"self\" or an %s address",
		    config_family_name(want));
	}
	config_scope_leave(parser, scope);
}

/* "next_hop": "self", an address, or {"ipv4": ..., "ipv6": ...}; recorded
 * in the canonical form as the resolved pair. */
static void
config_parse_next_hop(struct config_parser *parser, json_t *object,
    const struct service_config *service, struct announce_attributes *announce)
{
	const char *ipv4, *ipv6;

	if (json_object_get(object, "next_hop") == NULL)
		return;
	config_parse_next_hop_value(parser, object, service, announce);
	ipv4 = announce->next_hop_ipv4 != NULL ? announce->next_hop_ipv4 :
	    "self";
	ipv6 = announce->next_hop_ipv6 != NULL ? announce->next_hop_ipv6 :
	    "self";
	config_canonical_set(parser, "next_hop", json_pack("{ssss}", "ipv4",
	    ipv4, "ipv6", ipv6));
}

/* Parse each string of the array at key with parse(text, item) into a new
 * array of items item_size apart; NULL when the key is absent or broken. */
void *
config_parse_attribute_list(struct config_parser *parser, json_t *object,
    const char *key, const char *noun, const char *expected, size_t *count,
    size_t item_size, int (*parse)(const char *, void *))
{
	char **strings;
	char *items;
	size_t n, saved;

	*count = 0;
	if (config_get_string_array(parser, object, key, false, &strings,
	    &n) != 1)
		return NULL;
	if (n > CONFIG_COMMUNITIES_MAX) {
		config_error(parser, key, "at most %d per list (here %zu)",
		    CONFIG_COMMUNITIES_MAX, n);
		config_free_strings(strings);
		return NULL;
	}
	items = xcalloc(n, item_size);
	saved = config_path_push_key(parser, key);
	for (size_t i = 0; i < n; i++) {
		if (parse(strings[i], items + *count * item_size) == 0) {
			(*count)++;
			continue;
		}
		size_t at = config_path_push_index(parser, i);
		if (decimal_has_leading_zero(strings[i]))
			config_error(parser, NULL, "invalid %s \"%s\": numbers "
			    "are written without leading zeros", noun,
			    strings[i]);
		else
			config_error(parser, NULL,
			    "invalid %s \"%s\" (expected %s)", noun, strings[i],
			    expected);
		config_path_pop(parser, at);
	}
	config_path_pop(parser, saved);
	config_free_strings(strings);
	return items;
}

int
config_parse_community(const char *text, void *out)
{
	return community_parse(text, out);
}

static int
config_parse_large_community(const char *text, void *out)
{
	return large_community_parse(text, out);
}

static int
config_parse_extended_community(const char *text, void *out)
{
	return extended_community_parse(text, out);
}

/* Parse one attribute set (the object at key, already checked to be an
 * object) of a service into announce. */
static void
config_parse_attributes(struct config_build *build, json_t *object,
    const char *key, const struct service_config *service,
    struct announce_attributes *announce)
{
	struct config_parser *parser = &build->parser;
	struct config_scope scope;
	int64_t n;

	scope = config_scope_enter(parser, key);
	config_reject_unknown_keys(parser, object, config_announce_keys);
	config_parse_next_hop(parser, object, service, announce);
	if (config_get_integer(parser, object, "med", false, 0, UINT32_MAX,
	    &n) == 1) {
		announce->has_med = true;
		announce->med = (uint32_t)n;
	}
	if (config_get_integer(parser, object, "local_preference", false, 0,
	    UINT32_MAX, &n) == 1) {
		announce->has_local_preference = true;
		announce->local_preference = (uint32_t)n;
	}
	announce->communities = config_parse_attribute_list(parser, object,
	    "communities", "community", "ASN:VALUE, each 0..65535",
	    &announce->community_count, sizeof(struct community),
	    config_parse_community);
	announce->large_communities = config_parse_attribute_list(parser,
	    object, "large_communities", "large community",
	    "GLOBAL:LOCAL1:LOCAL2, each 0..4294967295",
	    &announce->large_community_count, sizeof(struct large_community),
	    config_parse_large_community);
	announce->extended_communities = config_parse_attribute_list(parser,
	    object, "extended_communities", "extended community",
	    "target:ASN:VALUE or origin:ASN:VALUE",
	    &announce->extended_community_count,
	    sizeof(struct extended_community),
	    config_parse_extended_community);
	if (config_get_integer(parser, object, "as_path_prepend", false, 0,
	    CONFIG_AS_PATH_PREPEND_MAX, &n) == 1) {
		if (n > 0 && !build->local_as_given)
			config_error(parser, "as_path_prepend",
			    "as_path_prepend needs the top-level local_as");
		announce->as_path_prepend = (unsigned)n;
	}
	if (config_get_integer(parser, object, "path_id", false, 0, UINT32_MAX,
	    &n) == 1) {
		announce->has_path_id = true;
		announce->path_id = (uint32_t)n;
	}
	config_scope_leave(parser, scope);
}

void
config_parse_announce(struct config_build *build, json_t *service_object,
    struct service_config *service)
{
	json_t *object = config_get_object(&build->parser, service_object,
	    "announce");

	if (object != NULL)
		config_parse_attributes(build, object, "announce", service,
		    &service->announce);
}

/* "down" or "disabled": "withdraw" (the default) or an attribute set. */
void
config_parse_state_announce(struct config_build *build,
    json_t *service_object, const char *key,
    const struct service_config *service, struct state_announce *out)
{
	json_t *value = json_object_get(service_object, key);

	out->announced = false;
	if (value == NULL)
		return;
	if (json_is_string(value) &&
	    strcmp(json_string_value(value), "withdraw") == 0) {
		config_canonical_set(&build->parser, key,
		    json_string("withdraw"));
		return;
	}
	if (!json_is_object(value)) {
		config_error(&build->parser, key, "must be \"withdraw\" or an "
		    "object with the keys of announce");
		return;
	}
	out->announced = true;
	config_parse_attributes(build, value, key, service, &out->attributes);
}

/* "last_resort": the attributes of DEGRADED. "withdraw" is refused: it is
 * what a local failure does, and a service whose global failures should
 * withdraw it has no global checks. */
void
config_parse_last_resort(struct config_build *build,
    json_t *service_object, const struct service_config *service,
    struct state_announce *out)
{
	json_t *value = json_object_get(service_object, "last_resort");

	out->announced = false;
	if (value == NULL)
		return;
	if (!json_is_object(value)) {
		config_error(&build->parser, "last_resort", "must be an object "
		    "with the keys of announce: the attributes announced while "
		    "only global checks fail (to withdraw on their failure, "
		    "make those checks \"local\" instead)");
		return;
	}
	out->announced = true;
	config_parse_attributes(build, value, "last_resort", service,
	    &out->attributes);
}

void *
config_memdup(const void *data, size_t count, size_t size)
{
	void *copy;

	if (count == 0 || data == NULL)
		return NULL;
	copy = xcalloc(count, size);
	memcpy(copy, data, count * size);
	return copy;
}

static bool
config_has_community(const struct community *list, size_t count,
    const struct community *community)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].asn == community->asn &&
		    list[i].value == community->value)
			return true;
	return false;
}

/* Deep copy of an attribute set. */
static void
config_announce_copy(struct announce_attributes *out,
    const struct announce_attributes *in)
{
	*out = *in;
	out->next_hop_ipv4 = in->next_hop_ipv4 != NULL ?
	    xstrdup(in->next_hop_ipv4) : NULL;
	out->next_hop_ipv6 = in->next_hop_ipv6 != NULL ?
	    xstrdup(in->next_hop_ipv6) : NULL;
	out->communities = config_memdup(in->communities,
	    in->community_count, sizeof(*in->communities));
	out->large_communities = config_memdup(in->large_communities,
	    in->large_community_count, sizeof(*in->large_communities));
	out->extended_communities = config_memdup(in->extended_communities,
	    in->extended_community_count, sizeof(*in->extended_communities));
}

void
config_announce_free(struct announce_attributes *announce)
{
	free(announce->next_hop_ipv4);
	free(announce->next_hop_ipv6);
	free(announce->communities);
	free(announce->large_communities);
	free(announce->extended_communities);
	memset(announce, 0, sizeof(*announce));
}

/* The drain attributes: announce, plus 65535:0 and the drain block's
 * communities, with the drain block's med and prepend when given. */
void
config_build_drain_announce(struct service_config *service)
{
	struct announce_attributes *out = &service->drain_announce;
	const struct drain_config *drain = &service->drain;
	size_t room;

	config_announce_copy(out, &service->announce);
	room = out->community_count + 1 + drain->community_count;
	out->communities = xrealloc(out->communities,
	    room * sizeof(*out->communities));
	if (!config_has_community(out->communities, out->community_count,
	    &config_graceful_shutdown))
		out->communities[out->community_count++] =
		    config_graceful_shutdown;
	for (size_t i = 0; i < drain->community_count; i++)
		if (!config_has_community(out->communities,
		    out->community_count, &drain->communities[i]))
			out->communities[out->community_count++] =
			    drain->communities[i];
	if (drain->has_med) {
		out->has_med = true;
		out->med = drain->med;
	}
	if (drain->has_as_path_prepend)
		out->as_path_prepend = drain->as_path_prepend;
}
