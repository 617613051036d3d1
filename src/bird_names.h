/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: BIRD protocol names
 *
 * Every rule about the names of the static protocols anycheck-bird drives
 * lives here: what a BIRD symbol may look like and how long it may be, the
 * default names derived from a service's name ("anycheck_<name>_v4" and
 * "_v6", '-' turned into '_'), a service's "bird" block (protocol,
 * protocol_ipv4, protocol_ipv6) and the uniqueness of every name across
 * services. The config loader calls bird_names_parse_service() for each
 * service and only stores the result (service->bird_protocol_ipv4/_ipv6).
 */
#ifndef ANYCHECK_BIRD_NAMES_H
#define ANYCHECK_BIRD_NAMES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct config_parser;
struct name_index;
struct service_config;

/* BIRD's longest symbol (conf/cf-lex.l, SYM_MAX_LEN). */
#define BIRD_SYMBOL_MAX 64

/* Is name a BIRD symbol ([A-Za-z_][A-Za-z0-9_]*) of at most max
 * characters? */
bool bird_symbol_valid(const char *name, size_t max);
/* Is name usable as a BIRD protocol name (a symbol of at most 64
 * characters)? Such a name is also safe to send quoted to "enable". */
bool bird_protocol_name_valid(const char *name);

/* Is name one anycheck would generate for some service by default:
 * "anycheck_<something>_v4" or "_v6", maybe followed by a variant suffix
 * ("_drain", "_down", "_disabled", "_degraded", "_shift")? Such
 * protocols are anycheck's even
 * when no configured service owns them (a service removed while
 * anycheck-bird was not running); names set with bird.protocol... are not
 * recognisable, except through the include file an earlier run wrote. */
bool bird_names_default_form(const char *name);

/* Call each for every "protocol static NAME" a BIRD config text (an
 * include file anycheck wrote) declares, NAME a valid protocol name.
 * Returns how many. */
size_t bird_names_each_declared(const char *text,
    void (*each)(const char *name, void *arg), void *arg);

/* Set the protocol names of services[index] (service) from its name and its
 * "bird" block in service_object, reporting every problem through parser:
 * invalid symbols, one name for both families, a name already used by an
 * earlier service. protocols maps each name taken so far to its service's
 * index + 1; the service's names are added to it (keys point into service,
 * which must outlive the index). */
void bird_names_parse_service(struct config_parser *parser,
    json_t *service_object, struct service_config *service, size_t index,
    struct name_index *protocols);

#endif
