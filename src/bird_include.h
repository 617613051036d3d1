/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD include file
 *
 * anycheck-bird announces by enabling and disabling static protocols over
 * the control socket. Those protocols, and the BGP attributes of their
 * routes, are declared in a file generated from the same JSON config and
 * included from bird.conf: per service and address family one protocol per
 * attribute set the service has (UP, drain, down, disabled, last resort),
 * of which
 * anycheck-bird enables at most one at a time, each route carrying its
 * attributes itself. The file is written by
 * "anycheck-bird -g", or by anycheck-bird itself when bird.include_file is
 * set. This module renders it; it is pure apart from writing to a FILE.
 */
#ifndef ANYCHECK_BIRD_INCLUDE_H
#define ANYCHECK_BIRD_INCLUDE_H

#include <stdbool.h>
#include <stdio.h>

#include "bird_names.h"
#include "config.h"
#include "name_index.h"

/* Names the generated file defines besides the static protocols. */
#define BIRD_INCLUDE_EXPORT_FILTER "anycheck_export"
/* A route attribute set on every route of the file: defined() tells
 * anycheck's routes apart in any filter. */
#define BIRD_INCLUDE_ROUTE_ATTRIBUTE "anycheck_route"

/* The protocols of one (service, family): the base name announces the UP
 * attributes, the others a variant's, named base + suffix. */
enum bird_variant {
	BIRD_VARIANT_UP,
	BIRD_VARIANT_DRAIN,         /* "_drain": drain_announce */
	BIRD_VARIANT_DOWN,          /* "_down": the down set */
	BIRD_VARIANT_DISABLED,      /* "_disabled": the disabled set */
	/* "_degraded": the last_resort set, announced while DEGRADED. Named
	 * after the state, like the others, and no longer than "_disabled",
	 * so a name that fits BIRD's 64 characters with one fits with all. */
	BIRD_VARIANT_LAST_RESORT,
	BIRD_VARIANT_SHIFT,         /* "_shift": an operator's traffic shift */
	BIRD_VARIANT_COUNT,
};

/* The services an operator shifted (anycheckctl shift), each with the
 * attribute set of its "_shift" protocols: a service in the table has one
 * more protocol per family, NAME_shift. The table borrows the attribute
 * sets from its owner, who keeps them alive while they are in it. */
struct bird_shift {
	char *service;
	const struct announce_attributes *attributes;
	/* The attribute statements rendered (both families): tells whether
	 * what BIRD was given still holds. */
	char *text;
};

struct bird_shifts {
	struct name_index by_service;   /* service name -> struct bird_shift */
	struct bird_shift **entries;
	size_t count;
};

void bird_shifts_init(struct bird_shifts *shifts);
/* Empty the table. */
void bird_shifts_clear(struct bird_shifts *shifts);
void bird_shifts_cleanup(struct bird_shifts *shifts);
/* Add service with its shift attributes (rendered with config's local_as
 * for AS-path prepending); replaces an entry of the same name. */
void bird_shifts_add(struct bird_shifts *shifts, const struct config *config,
    const struct service_config *service,
    const struct announce_attributes *attributes);
/* The entry of service, or NULL (shifts may be NULL). */
const struct bird_shift *bird_shifts_find(const struct bird_shifts *shifts,
    const char *service);
/* The rendered text of attributes, as bird_shifts_add stores it; free it. */
char *bird_shift_text(const struct config *config,
    const struct service_config *service,
    const struct announce_attributes *attributes);

/* What the generator needs besides the config. */
struct bird_include_options {
	/* The services to declare; NULL: those of the config. */
	const struct service_config *const *services;
	size_t service_count;
	/* Is the protocol enabled now? Its "disabled" line says so, so that a
	 * "birdc configure" leaves it as it is. NULL: all disabled. */
	bool (*enabled)(const char *protocol, void *arg);
	void *arg;
	/* The shifted services, whose _shift protocols are declared too
	 * (NULL: none). */
	const struct bird_shifts *shifts;
};

/* The suffix of a variant's protocol name ("" for UP). */
const char *bird_variant_suffix(enum bird_variant variant);
/* Does service have a protocol for variant? UP always; drain when
 * drain.seconds > 0; down and disabled when they announce; last resort
 * when the service has one; shift when service is in shifts (which may be
 * NULL). */
bool bird_variant_exists(const struct service_config *service,
    enum bird_variant variant, const struct bird_shifts *shifts);
/* The attributes a variant's route is exported with (shift: those in
 * shifts, the UP ones when the service is not there). */
const struct announce_attributes *bird_variant_attributes(
    const struct service_config *service, enum bird_variant variant,
    const struct bird_shifts *shifts);
/* The variant announcing attributes (a pointer into service, or the shift
 * set in shifts, as returned by supervisor_announcement), or -1 for NULL
 * (withdraw) or unknown. */
int bird_variant_of(const struct service_config *service,
    const struct announce_attributes *attributes,
    const struct bird_shifts *shifts);
/* The protocol name of service's variant in family (AF_INET/AF_INET6), or
 * NULL when the service has no such protocol; free it. */
char *bird_variant_protocol(const struct service_config *service,
    int family, enum bird_variant variant, const struct bird_shifts *shifts);
/* The name service's _shift protocol in family would have, whether or not
 * it is shifted (NULL without prefixes of family); free it. */
char *bird_shift_protocol(const struct service_config *service, int family);
/* Does service have prefixes of family? */
bool bird_service_has_family(const struct service_config *service,
    int family);

/* Can the include file be written for config (valid, unique protocol
 * names; AS-path prepending only with local_as)? Every service's _shift
 * names are reserved, shifted or not, so that a shift never finds its
 * names taken by another service's protocols. Logs every problem. */
int bird_include_check(const struct config *config,
    const struct bird_include_options *options);

/* Write the include file for config to out. Returns 0, or -1 (logged) when
 * the config cannot be expressed (an invalid protocol name, AS-path
 * prepending without local_as) or writing failed. */
int bird_include_render(const struct config *config, FILE *out);
/* The same with options (NULL: as bird_include_render). */
int bird_include_render_options(const struct config *config,
    const struct bird_include_options *options, FILE *out);

/* The include file's permissions. */
#define BIRD_INCLUDE_FILE_MODE 0644

/* Render into path atomically and safely (file_write_atomic_stream: a new
 * file under an unpredictable name in path's directory, renamed over it;
 * a world-writable directory without the sticky bit is refused). */
int bird_include_write_file(const struct config *config, const char *path);
int bird_include_write_file_options(const struct config *config,
    const struct bird_include_options *options, const char *path);

#endif
