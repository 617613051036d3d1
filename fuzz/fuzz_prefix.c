/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: fuzz target: prefixes, addresses and communities
 *
 * The input, cut at its first NUL, is given to every parser of prefix.h:
 * prefix_parse, address_parse and the standard, large and extended
 * community parsers. Besides memory errors (ASan) and undefined behaviour
 * (UBSan) it checks what the config relies on: a parsed prefix has no host
 * bits, contains its own address, and its canonical text parses back to the
 * same prefix; a rejected prefix says why; every accepted community prints
 * back to text that parses to the same value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "prefix.h"

static void
fuzz_prefix(const char *text)
{
	struct prefix prefix, again;
	const char *why = NULL;
	int max_length;

	if (prefix_parse(text, &prefix, &why) == -1) {
		FUZZ_EXPECT(why != NULL && why[0] != '\0');
		return;
	}
	FUZZ_EXPECT(prefix.family == AF_INET || prefix.family == AF_INET6);
	max_length = prefix.family == AF_INET ? 32 : 128;
	FUZZ_EXPECT(prefix.length <= max_length);
	for (int bit = prefix.length; bit < 128; bit++)
		FUZZ_EXPECT(!(prefix.address[bit / 8] & (0x80 >> (bit % 8))));
	FUZZ_EXPECT(memchr(prefix.text, '\0', sizeof(prefix.text)) != NULL);
	FUZZ_EXPECT(prefix_contains(&prefix, prefix.family, prefix.address));
	FUZZ_EXPECT(!prefix_contains(&prefix,
	    prefix.family == AF_INET ? AF_INET6 : AF_INET, prefix.address));

	/* The canonical text is a fixed point. */
	why = NULL;
	FUZZ_EXPECT(prefix_parse(prefix.text, &again, &why) == 0);
	FUZZ_EXPECT(again.family == prefix.family);
	FUZZ_EXPECT(again.length == prefix.length);
	FUZZ_EXPECT(memcmp(again.address, prefix.address, 16) == 0);
	FUZZ_EXPECT(strcmp(again.text, prefix.text) == 0);
}

static void
fuzz_address(const char *text)
{
	uint8_t address[16];
	int family = 0;

	if (address_parse(text, &family, address) == -1)
		return;
	FUZZ_EXPECT(family == AF_INET || family == AF_INET6);
	if (family == AF_INET) {
		for (int i = 4; i < 16; i++)
			FUZZ_EXPECT(address[i] == 0);
	}
}

static void
fuzz_communities(const char *text)
{
	char printed[64];
	struct community community, community_again;
	struct large_community large, large_again;
	struct extended_community extended, extended_again;

	if (community_parse(text, &community) == 0) {
		snprintf(printed, sizeof(printed), "%u:%u",
		    (unsigned)community.asn, (unsigned)community.value);
		FUZZ_EXPECT(community_parse(printed, &community_again) == 0);
		FUZZ_EXPECT(community_again.asn == community.asn &&
		    community_again.value == community.value);
	}
	if (large_community_parse(text, &large) == 0) {
		snprintf(printed, sizeof(printed), "%u:%u:%u",
		    (unsigned)large.global, (unsigned)large.local1,
		    (unsigned)large.local2);
		FUZZ_EXPECT(large_community_parse(printed, &large_again) == 0);
		FUZZ_EXPECT(large_again.global == large.global &&
		    large_again.local1 == large.local1 &&
		    large_again.local2 == large.local2);
	}
	if (extended_community_parse(text, &extended) == 0) {
		/* Six bytes: a 4-byte admin leaves two for the value. */
		FUZZ_EXPECT(extended.admin <= UINT16_MAX ||
		    extended.value <= UINT16_MAX);
		snprintf(printed, sizeof(printed), "%s:%u:%u",
		    extended_community_kind_name(extended.kind),
		    (unsigned)extended.admin, (unsigned)extended.value);
		FUZZ_EXPECT(extended_community_parse(printed,
		    &extended_again) == 0);
		FUZZ_EXPECT(extended_again.kind == extended.kind &&
		    extended_again.admin == extended.admin &&
		    extended_again.value == extended.value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	/* Config strings are short; long inputs only slow the search. */
	if (size > 512)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_prefix(text);
	fuzz_address(text);
	fuzz_communities(text);
	free(text);
	return 0;
}
