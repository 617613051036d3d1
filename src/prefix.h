/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: prefixes and BGP attribute values
 *
 * Parsing and printing of IP prefixes and BGP communities as they appear in
 * the config. Pure functions, no allocation.
 */
#ifndef ANYCHECK_PREFIX_H
#define ANYCHECK_PREFIX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define PREFIX_TEXT_MAX (INET6_ADDRSTRLEN + 5)

struct prefix {
	int family;             /* AF_INET or AF_INET6 */
	uint8_t address[16];    /* network order; first 4 bytes for IPv4 */
	uint8_t length;
	char text[PREFIX_TEXT_MAX]; /* canonical "192.0.2.1/32" */
};

/* Parse "ADDR/LEN" (the length is required). Returns 0, or -1 with a short
 * reason in *why ("host bits set", "length out of range", ...). */
int prefix_parse(const char *text, struct prefix *out, const char **why);

/* Does text hold a decimal number written with a leading zero ("0100",
 * fields separated by any non-alphanumeric character)? Numbers written as
 * text never have one (the parsers here refuse them, as inet_pton does for
 * IPv4): "010" would be 8 to some readers and 10 to others. */
bool decimal_has_leading_zero(const char *text);

/* Parse a bare IPv4 or IPv6 address into family and 16 bytes. */
int address_parse(const char *text, int *family, uint8_t address[16]);

/* Does the prefix contain this address (same family)? */
bool prefix_contains(const struct prefix *prefix, int family,
    const uint8_t address[16]);

struct community {
	uint16_t asn;
	uint16_t value;
};
struct large_community {
	uint32_t global;
	uint32_t local1;
	uint32_t local2;
};
enum extended_community_kind {
	EXTENDED_COMMUNITY_TARGET,  /* "target:ASN:N" route target */
	EXTENDED_COMMUNITY_ORIGIN,  /* "origin:ASN:N" route origin */
};
struct extended_community {
	enum extended_community_kind kind;
	uint32_t admin;  /* ASN: 2-byte with a 32-bit value, or 4-byte with 16 */
	uint32_t value;
};

/* "65000:100" (each part 0..65535). */
int community_parse(const char *text, struct community *out);
/* "65000:1:2" (each part 0..4294967295). */
int large_community_parse(const char *text, struct large_community *out);
/* "target:65000:100" or "origin:65000:100". */
int extended_community_parse(const char *text, struct extended_community *out);
const char *extended_community_kind_name(enum extended_community_kind kind);

#endif
