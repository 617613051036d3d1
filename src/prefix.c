/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: prefixes and BGP attribute values
 *
 * Strict parsers for what the config says about routes: "ADDR/LEN" prefixes
 * (the length is always required and host bits must be zero, so a typo such
 * as 192.0.2.1/24 is caught instead of silently announcing a /24), bare
 * addresses, and standard, large and extended communities. Numbers are plain
 * decimal: no signs, no spaces, no hex, no overflow.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "prefix.h"

/* Parse decimal digits at *p up to max; advance *p past them. */
static int
prefix_parse_decimal(const char **p, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t value = 0;

	if (*s < '0' || *s > '9')
		return -1;
	/* No leading zeros (decimal_has_leading_zero). */
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		value = value * 10 + (uint64_t)(*s - '0');
		if (value > max)
			return -1;
	}
	*p = s;
	*out = value;
	return 0;
}

/* Parse exactly count ':'-separated decimal fields, each within max. */
static int
prefix_parse_fields(const char *text, size_t count, uint64_t max,
    uint64_t *fields)
{
	const char *p = text;

	for (size_t i = 0; i < count; i++) {
		if (i > 0 && *p++ != ':')
			return -1;
		if (prefix_parse_decimal(&p, max, &fields[i]) == -1)
			return -1;
	}
	return *p == '\0' ? 0 : -1;
}

bool
decimal_has_leading_zero(const char *text)
{
	for (const char *p = text; *p != '\0'; p++)
		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9' &&
		    (p == text || !isalnum((unsigned char)p[-1])))
			return true;
	return false;
}

int
address_parse(const char *text, int *family, uint8_t address[16])
{
	uint8_t buffer[16];

	memset(buffer, 0, sizeof(buffer));
	if (inet_pton(AF_INET, text, buffer) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, text, buffer) == 1)
		*family = AF_INET6;
	else
		return -1;
	memcpy(address, buffer, sizeof(buffer));
	return 0;
}

int
prefix_parse(const char *text, struct prefix *out, const char **why)
{
	char address_text[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	const char *p;
	uint64_t length;
	struct prefix prefix;
	int max_length;

	memset(&prefix, 0, sizeof(prefix));
	if (slash == NULL) {
		*why = "missing /LENGTH";
		return -1;
	}
	if ((size_t)(slash - text) >= sizeof(address_text)) {
		*why = "invalid address";
		return -1;
	}
	memcpy(address_text, text, (size_t)(slash - text));
	address_text[slash - text] = '\0';
	if (address_parse(address_text, &prefix.family, prefix.address) == -1) {
		/* IPv6 groups are hex, where leading zeros are usual. */
		*why = strchr(address_text, ':') == NULL &&
		    decimal_has_leading_zero(address_text) ?
		    "invalid address: numbers are written without leading "
		    "zeros" : "invalid address";
		return -1;
	}
	max_length = prefix.family == AF_INET ? 32 : 128;
	p = slash + 1;
	if (prefix_parse_decimal(&p, 255, &length) == -1 || *p != '\0') {
		*why = decimal_has_leading_zero(slash + 1) ? "invalid length: "
		    "numbers are written without leading zeros" :
		    "invalid length";
		return -1;
	}
	if (length > (uint64_t)max_length) {
		*why = "length out of range";
		return -1;
	}
	prefix.length = (uint8_t)length;
	for (int bit = prefix.length; bit < max_length; bit++) {
		if (prefix.address[bit / 8] & (0x80 >> (bit % 8))) {
			*why = "host bits set";
			return -1;
		}
	}
	inet_ntop(prefix.family, prefix.address, address_text,
	    sizeof(address_text));
	snprintf(prefix.text, sizeof(prefix.text), "%s/%u", address_text,
	    (unsigned)prefix.length);
	*out = prefix;
	return 0;
}

bool
prefix_contains(const struct prefix *prefix, int family,
    const uint8_t address[16])
{
	if (family != prefix->family)
		return false;
	for (int bit = 0; bit < prefix->length; bit++) {
		uint8_t mask = (uint8_t)(0x80 >> (bit % 8));
		if ((prefix->address[bit / 8] & mask) !=
		    (address[bit / 8] & mask))
			return false;
	}
	return true;
}

int
community_parse(const char *text, struct community *out)
{
	uint64_t fields[2];

	if (prefix_parse_fields(text, 2, UINT16_MAX, fields) == -1)
		return -1;
	out->asn = (uint16_t)fields[0];
	out->value = (uint16_t)fields[1];
	return 0;
}

int
large_community_parse(const char *text, struct large_community *out)
{
	uint64_t fields[3];

	if (prefix_parse_fields(text, 3, UINT32_MAX, fields) == -1)
		return -1;
	out->global = (uint32_t)fields[0];
	out->local1 = (uint32_t)fields[1];
	out->local2 = (uint32_t)fields[2];
	return 0;
}

static const char *const extended_community_kind_names[] = {
	[EXTENDED_COMMUNITY_TARGET] = "target",
	[EXTENDED_COMMUNITY_ORIGIN] = "origin",
};

int
extended_community_parse(const char *text, struct extended_community *out)
{
	uint64_t fields[2];
	enum extended_community_kind kind;
	const char *rest = NULL;

	for (kind = EXTENDED_COMMUNITY_TARGET;
	    kind <= EXTENDED_COMMUNITY_ORIGIN; kind++) {
		size_t n = strlen(extended_community_kind_names[kind]);
		if (strncmp(text, extended_community_kind_names[kind], n) == 0 &&
		    text[n] == ':') {
			rest = text + n + 1;
			break;
		}
	}
	if (rest == NULL)
		return -1;
	if (prefix_parse_fields(rest, 2, UINT32_MAX, fields) == -1)
		return -1;
	/* Six bytes to share: a 2-byte ASN leaves 4 for the value, a 4-byte
	 * ASN only 2. */
	if (fields[0] > UINT16_MAX && fields[1] > UINT16_MAX)
		return -1;
	out->kind = kind;
	out->admin = (uint32_t)fields[0];
	out->value = (uint32_t)fields[1];
	return 0;
}

const char *
extended_community_kind_name(enum extended_community_kind kind)
{
	if ((unsigned)kind >= sizeof(extended_community_kind_names) /
	    sizeof(extended_community_kind_names[0]))
		return "unknown";
	return extended_community_kind_names[kind];
}
