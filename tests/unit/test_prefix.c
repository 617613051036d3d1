/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: prefix and community parser tests
 *
 * What the config accepts as a prefix, an address or a community, and what
 * it refuses, including the edges of every numeric range.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"

static void
assert_prefix(const char *text, int family, unsigned length,
    const char *canonical)
{
	struct prefix prefix;
	const char *why = NULL;

	ck_assert_msg(prefix_parse(text, &prefix, &why) == 0, "%s: %s", text,
	    why);
	ck_assert_int_eq(prefix.family, family);
	ck_assert_uint_eq(prefix.length, length);
	ck_assert_str_eq(prefix.text, canonical);
}

static void
assert_prefix_invalid(const char *text, const char *reason)
{
	struct prefix prefix;
	const char *why = NULL;

	ck_assert_msg(prefix_parse(text, &prefix, &why) == -1, "%s accepted",
	    text);
	ck_assert_str_eq(why, reason);
}

START_TEST(test_prefix_parse)
{
	assert_prefix("192.0.2.1/32", AF_INET, 32, "192.0.2.1/32");
	assert_prefix("198.51.100.0/24", AF_INET, 24, "198.51.100.0/24");
	assert_prefix("0.0.0.0/0", AF_INET, 0, "0.0.0.0/0");
	assert_prefix("2001:DB8:0:0::1/128", AF_INET6, 128, "2001:db8::1/128");
	assert_prefix("2001:db8::/32", AF_INET6, 32, "2001:db8::/32");
	assert_prefix("::/0", AF_INET6, 0, "::/0");

	assert_prefix_invalid("192.0.2.1", "missing /LENGTH");
	assert_prefix_invalid("192.0.2.1/", "invalid length");
	assert_prefix_invalid("192.0.2.1/+8", "invalid length");
	assert_prefix_invalid("192.0.2.1/032", "invalid length: numbers are "
	    "written without leading zeros");
	assert_prefix_invalid("192.0.2.01/32", "invalid address: numbers are "
	    "written without leading zeros");
	/* IPv6 groups are hex: leading zeros are ordinary there. */
	assert_prefix("2001:0db8:0000::0001/128", AF_INET6, 128,
	    "2001:db8::1/128");
	assert_prefix_invalid("192.0.2.1/32 ", "invalid length");
	assert_prefix_invalid("192.0.2.0/33", "length out of range");
	assert_prefix_invalid("2001:db8::/129", "length out of range");
	assert_prefix_invalid("192.0.2.0/99999999999", "invalid length");
	assert_prefix_invalid("192.0.2.1/31", "host bits set");
	assert_prefix_invalid("2001:db8::1/127", "host bits set");
	assert_prefix_invalid("192.0.2/24", "invalid address");
	assert_prefix_invalid("2001:db8:::1/128", "invalid address");
	assert_prefix_invalid("web/32", "invalid address");
	assert_prefix_invalid("/32", "invalid address");
}
END_TEST

START_TEST(test_address_and_contains)
{
	struct prefix v4, v6;
	const char *why;
	uint8_t address[16];
	int family;

	ck_assert_int_eq(prefix_parse("198.51.100.0/25", &v4, &why), 0);
	ck_assert_int_eq(prefix_parse("2001:db8:1::/48", &v6, &why), 0);

	ck_assert_int_eq(address_parse("198.51.100.127", &family, address), 0);
	ck_assert_int_eq(family, AF_INET);
	ck_assert(prefix_contains(&v4, family, address));
	ck_assert(!prefix_contains(&v6, family, address));
	ck_assert_int_eq(address_parse("198.51.100.128", &family, address), 0);
	ck_assert(!prefix_contains(&v4, family, address));

	ck_assert_int_eq(address_parse("2001:db8:1:ffff::1", &family, address),
	    0);
	ck_assert_int_eq(family, AF_INET6);
	ck_assert(prefix_contains(&v6, family, address));
	ck_assert(!prefix_contains(&v4, family, address));
	ck_assert_int_eq(address_parse("2001:db8:2::1", &family, address), 0);
	ck_assert(!prefix_contains(&v6, family, address));

	ck_assert_int_eq(address_parse("192.0.2.1/32", &family, address), -1);
	ck_assert_int_eq(address_parse("", &family, address), -1);
	ck_assert_int_eq(address_parse("host.example", &family, address), -1);
}
END_TEST

START_TEST(test_communities)
{
	struct community c;
	struct large_community l;
	struct extended_community e;

	ck_assert_int_eq(community_parse("65535:65535", &c), 0);
	ck_assert_uint_eq(c.asn, 65535);
	ck_assert_uint_eq(c.value, 65535);
	ck_assert_int_eq(community_parse("0:0", &c), 0);
	ck_assert_int_eq(community_parse("65536:1", &c), -1);
	ck_assert_int_eq(community_parse("1:65536", &c), -1);
	ck_assert_int_eq(community_parse("1:", &c), -1);
	ck_assert_int_eq(community_parse(":1", &c), -1);
	ck_assert_int_eq(community_parse("1:2:3", &c), -1);
	ck_assert_int_eq(community_parse("1 :2", &c), -1);
	ck_assert_int_eq(community_parse("0x1:2", &c), -1);

	ck_assert_int_eq(large_community_parse("4294967295:0:4294967295", &l),
	    0);
	ck_assert_uint_eq(l.global, 4294967295u);
	ck_assert_uint_eq(l.local1, 0);
	ck_assert_uint_eq(l.local2, 4294967295u);
	ck_assert_int_eq(large_community_parse("4294967296:0:0", &l), -1);
	ck_assert_int_eq(large_community_parse("1:2", &l), -1);
	ck_assert_int_eq(large_community_parse("1:2:3:4", &l), -1);

	ck_assert_int_eq(extended_community_parse("target:65000:4294967295",
	    &e), 0);
	ck_assert_int_eq(e.kind, EXTENDED_COMMUNITY_TARGET);
	ck_assert_uint_eq(e.admin, 65000);
	ck_assert_uint_eq(e.value, 4294967295u);
	ck_assert_int_eq(extended_community_parse("origin:4200000000:65535",
	    &e), 0);
	ck_assert_int_eq(e.kind, EXTENDED_COMMUNITY_ORIGIN);
	ck_assert_uint_eq(e.admin, 4200000000u);
	/* Four-byte ASN leaves two bytes for the value. */
	ck_assert_int_eq(extended_community_parse("origin:4200000000:65536",
	    &e), -1);
	ck_assert_int_eq(extended_community_parse("target:65000", &e), -1);
	ck_assert_int_eq(extended_community_parse("target65000:1", &e), -1);
	ck_assert_int_eq(extended_community_parse("rt:1:2", &e), -1);
	ck_assert_str_eq(extended_community_kind_name(EXTENDED_COMMUNITY_TARGET),
	    "target");
	ck_assert_str_eq(extended_community_kind_name(EXTENDED_COMMUNITY_ORIGIN),
	    "origin");
}
END_TEST

/* Numbers written as text take no leading zeros, in every form: prefixes
 * always refused them, communities took 65000:0100 for 65000:100. */
START_TEST(test_no_leading_zeros)
{
	struct community c;
	struct large_community l;
	struct extended_community e;

	ck_assert_int_eq(community_parse("65000:0100", &c), -1);
	ck_assert_int_eq(community_parse("065000:100", &c), -1);
	ck_assert_int_eq(community_parse("00:1", &c), -1);
	ck_assert_int_eq(community_parse("65000:0", &c), 0);
	ck_assert_int_eq(community_parse("0:100", &c), 0);
	ck_assert_int_eq(large_community_parse("1:02:3", &l), -1);
	ck_assert_int_eq(large_community_parse("1:0:3", &l), 0);
	ck_assert_int_eq(extended_community_parse("target:65000:007", &e), -1);
	ck_assert_int_eq(extended_community_parse("origin:0:7", &e), 0);

	ck_assert(decimal_has_leading_zero("65000:0100"));
	ck_assert(decimal_has_leading_zero("target:01:2"));
	ck_assert(decimal_has_leading_zero("192.0.2.01"));
	ck_assert(!decimal_has_leading_zero("65000:100"));
	ck_assert(!decimal_has_leading_zero("0:0"));
	ck_assert(!decimal_has_leading_zero("10.0.0.0"));
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("prefix");
	TCase *tcase = tcase_create("parse");
	SRunner *runner;
	int failed;

	tcase_add_test(tcase, test_prefix_parse);
	tcase_add_test(tcase, test_address_and_contains);
	tcase_add_test(tcase, test_communities);
	tcase_add_test(tcase, test_no_leading_zeros);
	suite_add_tcase(suite, tcase);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
