/*
 * DOC: BIRD include file
 *
 * anycheck-bird does not write BIRD's configuration while it runs: it only
 * enables and disables static protocols over the control socket. Those
 * protocols, and the BGP attributes of their routes, are declared once in a
 * file generated from the same JSON config and included from bird.conf.
 * This module renders that file; it is pure apart from writing to a FILE.
 */
#ifndef ANYCHECK_BIRD_INCLUDE_H
#define ANYCHECK_BIRD_INCLUDE_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* Names the generated file defines besides the static protocols. */
#define BIRD_INCLUDE_EXPORT_FILTER "anycheck_export"
#define BIRD_INCLUDE_EXPORT_FUNCTION "anycheck_export_attributes"

/* Is name usable as a BIRD protocol name ([A-Za-z_][A-Za-z0-9_]*, at most
 * 63 characters)? Such a name is also safe to send quoted to "enable". */
bool bird_protocol_name_valid(const char *name);

/* Write the include file for config to out. Returns 0, or -1 (logged) when
 * the config cannot be expressed (an invalid protocol name, AS-path
 * prepending without local_as) or writing failed. */
int bird_include_render(const struct config *config, FILE *out);

/* Render into path atomically (a temporary file renamed over it). */
int bird_include_write_file(const struct config *config, const char *path);

#endif
