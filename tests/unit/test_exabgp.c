/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: ExaBGP text API tests
 *
 * The exact lines written to ExaBGP for every attribute, family and
 * neighbor selector, the classification of its replies, and the ack
 * tracker's bounded ring.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exabgp.h"

/* Build a prefix by hand: these tests exercise rendering only. */
static struct prefix
make_prefix(const char *text)
{
	struct prefix p;
	char address[64];
	const char *slash = strchr(text, '/');

	memset(&p, 0, sizeof(p));
	ck_assert_ptr_nonnull(slash);
	snprintf(address, sizeof(address), "%.*s", (int)(slash - text), text);
	p.family = strchr(address, ':') != NULL ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(p.family, address, p.address), 1);
	p.length = (uint8_t)atoi(slash + 1);
	snprintf(p.text, sizeof(p.text), "%s", text);
	return p;
}

static char line[EXABGP_LINE_MAX];

static const char *
announce(const char *prefix_text, const struct announce_attributes *a,
    uint32_t local_as, char *const *neighbors, size_t neighbor_count)
{
	struct prefix p = make_prefix(prefix_text);
	int n = exabgp_render_announce(line, sizeof(line), &p, a, local_as,
	    neighbors, neighbor_count);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq((size_t)n, strlen(line));
	return line;
}

static const char *
withdraw(const char *prefix_text, const struct announce_attributes *a,
    char *const *neighbors, size_t neighbor_count)
{
	struct prefix p = make_prefix(prefix_text);
	int n = exabgp_render_withdraw(line, sizeof(line), &p, a, neighbors,
	    neighbor_count);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq((size_t)n, strlen(line));
	return line;
}

static struct community communities[] = { { 65000, 100 }, { 65000, 200 } };
static struct large_community large_communities[] = {
	{ 65000, 1, 2 }, { 4200000000u, 4294967295u, 0 } };
static struct extended_community extended_communities[] = {
	{ EXTENDED_COMMUNITY_TARGET, 65000, 100 },
	{ EXTENDED_COMMUNITY_ORIGIN, 65001, 7 },
};

START_TEST(test_announce_ipv4_self)
{
	struct announce_attributes a = { 0 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 65001, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_announce_null_attributes_is_self)
{
	ck_assert_str_eq(announce("192.0.2.0/24", NULL, 65001, NULL, 0),
	    "announce route 192.0.2.0/24 next-hop self\n");
}
END_TEST

START_TEST(test_announce_ipv4_next_hop_address)
{
	struct announce_attributes a = { .next_hop_ipv4 = "198.51.100.1",
	    .next_hop_ipv6 = "2001:db8::1" };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop 198.51.100.1\n");
}
END_TEST

START_TEST(test_announce_ipv6_next_hop_address)
{
	struct announce_attributes a = { .next_hop_ipv4 = "198.51.100.1",
	    .next_hop_ipv6 = "2001:db8::1" };
	ck_assert_str_eq(announce("2001:db8:1::1/128", &a, 0, NULL, 0),
	    "announce route 2001:db8:1::1/128 next-hop 2001:db8::1\n");
}
END_TEST

START_TEST(test_announce_ipv6_self_even_with_ipv4_next_hop)
{
	/* The IPv4 next hop never leaks into an IPv6 route. */
	struct announce_attributes a = { .next_hop_ipv4 = "198.51.100.1" };
	ck_assert_str_eq(announce("2001:db8:1::/48", &a, 0, NULL, 0),
	    "announce route 2001:db8:1::/48 next-hop self\n");
}
END_TEST

START_TEST(test_announce_ipv4_self_even_with_ipv6_next_hop)
{
	struct announce_attributes a = { .next_hop_ipv6 = "2001:db8::1" };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_announce_med)
{
	struct announce_attributes a = { .has_med = true, .med = 100 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self med 100\n");
	a.med = 0;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self med 0\n");
	a.med = 4294967295u;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self med 4294967295\n");
}
END_TEST

START_TEST(test_announce_local_preference)
{
	struct announce_attributes a = { .has_local_preference = true,
	    .local_preference = 200 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self local-preference 200\n");
}
END_TEST

START_TEST(test_announce_communities)
{
	struct announce_attributes a = { .communities = communities,
	    .community_count = 1 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self community [65000:100]\n");
	a.community_count = 2;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self "
	    "community [65000:100 65000:200]\n");
}
END_TEST

START_TEST(test_announce_large_communities)
{
	struct announce_attributes a = { .large_communities = large_communities,
	    .large_community_count = 1 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self "
	    "large-community [65000:1:2]\n");
	a.large_community_count = 2;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self "
	    "large-community [65000:1:2 4200000000:4294967295:0]\n");
}
END_TEST

START_TEST(test_announce_extended_communities)
{
	struct announce_attributes a = {
	    .extended_communities = extended_communities,
	    .extended_community_count = 1 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self "
	    "extended-community [target:65000:100]\n");
	a.extended_community_count = 2;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self "
	    "extended-community [target:65000:100 origin:65001:7]\n");
}
END_TEST

START_TEST(test_announce_as_path_prepend)
{
	struct announce_attributes a = { .as_path_prepend = 1 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 65001, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self as-path [65001 65001]\n");
	a.as_path_prepend = 3;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 4200000001u, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self "
	    "as-path [4200000001 4200000001 4200000001 4200000001]\n");
}
END_TEST

START_TEST(test_announce_as_path_omitted_without_local_as)
{
	struct announce_attributes a = { .as_path_prepend = 2 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_announce_path_id)
{
	struct announce_attributes a = { .has_path_id = true, .path_id = 7 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self path-information 7\n");
}
END_TEST

static struct announce_attributes
all_attributes(void)
{
	struct announce_attributes a = {
		.next_hop_ipv4 = "198.51.100.1",
		.next_hop_ipv6 = "2001:db8::1",
		.has_med = true, .med = 100,
		.has_local_preference = true, .local_preference = 200,
		.communities = communities, .community_count = 2,
		.large_communities = large_communities,
		.large_community_count = 1,
		.extended_communities = extended_communities,
		.extended_community_count = 1,
		.as_path_prepend = 2,
		.has_path_id = true, .path_id = 7,
	};
	return a;
}

START_TEST(test_announce_all_attributes)
{
	struct announce_attributes a = all_attributes();
	a.next_hop_ipv4 = NULL;
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 65001, NULL, 0),
	    "announce route 192.0.2.1/32 next-hop self med 100 "
	    "local-preference 200 community [65000:100 65000:200] "
	    "large-community [65000:1:2] "
	    "extended-community [target:65000:100] as-path [65001 65001 65001] "
	    "path-information 7\n");
}
END_TEST

START_TEST(test_announce_all_attributes_ipv6)
{
	struct announce_attributes a = all_attributes();
	ck_assert_str_eq(announce("2001:db8:1::1/128", &a, 65001, NULL, 0),
	    "announce route 2001:db8:1::1/128 next-hop 2001:db8::1 med 100 "
	    "local-preference 200 community [65000:100 65000:200] "
	    "large-community [65000:1:2] "
	    "extended-community [target:65000:100] as-path [65001 65001 65001] "
	    "path-information 7\n");
}
END_TEST

static char *one_neighbor[] = { "198.51.100.1" };
static char *two_neighbors[] = { "198.51.100.1", "2001:db8::2" };

START_TEST(test_announce_one_neighbor)
{
	struct announce_attributes a = { .has_med = true, .med = 5 };
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, one_neighbor, 1),
	    "neighbor 198.51.100.1 announce route 192.0.2.1/32 "
	    "next-hop self med 5\n");
}
END_TEST

START_TEST(test_announce_two_neighbors)
{
	struct announce_attributes a = { 0 };
	/* ExaBGP 4.2 splits neighbors on a lone "," token. */
	ck_assert_str_eq(announce("192.0.2.1/32", &a, 0, two_neighbors, 2),
	    "neighbor 198.51.100.1 , neighbor 2001:db8::2 "
	    "announce route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_announce_zero_neighbors_with_pointer)
{
	ck_assert_str_eq(announce("192.0.2.1/32", NULL, 0, one_neighbor, 0),
	    "announce route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_withdraw_plain)
{
	struct announce_attributes a = { 0 };
	ck_assert_str_eq(withdraw("192.0.2.1/32", &a, NULL, 0),
	    "withdraw route 192.0.2.1/32 next-hop self\n");
	ck_assert_str_eq(withdraw("192.0.2.1/32", NULL, NULL, 0),
	    "withdraw route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_withdraw_carries_only_path_id)
{
	struct announce_attributes a = all_attributes();
	ck_assert_str_eq(withdraw("192.0.2.1/32", &a, NULL, 0),
	    "withdraw route 192.0.2.1/32 next-hop self path-information 7\n");
	ck_assert_str_eq(withdraw("2001:db8:1::1/128", &a, NULL, 0),
	    "withdraw route 2001:db8:1::1/128 next-hop self "
	    "path-information 7\n");
	a.has_path_id = false;
	ck_assert_str_eq(withdraw("192.0.2.1/32", &a, NULL, 0),
	    "withdraw route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_withdraw_neighbors)
{
	ck_assert_str_eq(withdraw("192.0.2.1/32", NULL, one_neighbor, 1),
	    "neighbor 198.51.100.1 withdraw route 192.0.2.1/32 "
	    "next-hop self\n");
	ck_assert_str_eq(withdraw("192.0.2.1/32", NULL, two_neighbors, 2),
	    "neighbor 198.51.100.1 , neighbor 2001:db8::2 "
	    "withdraw route 192.0.2.1/32 next-hop self\n");
}
END_TEST

START_TEST(test_buffer_too_small)
{
	struct announce_attributes a = all_attributes();
	struct prefix p = make_prefix("192.0.2.1/32");
	char full[EXABGP_LINE_MAX];
	char small[EXABGP_LINE_MAX];
	int n = exabgp_render_announce(full, sizeof(full), &p, &a, 65001,
	    two_neighbors, 2);

	ck_assert_int_gt(n, 0);
	/* exactly fits: n characters plus the NUL */
	ck_assert_int_eq(exabgp_render_announce(small, (size_t)n + 1, &p, &a,
	    65001, two_neighbors, 2), n);
	ck_assert_str_eq(small, full);
	/* one byte short: the "\n" (or the NUL) would not fit */
	ck_assert_int_eq(exabgp_render_announce(small, (size_t)n, &p, &a,
	    65001, two_neighbors, 2), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(exabgp_render_announce(small, 10, &p, &a, 65001,
	    NULL, 0), -1);
	ck_assert_int_eq(exabgp_render_announce(small, 0, &p, &a, 65001,
	    NULL, 0), -1);

	n = exabgp_render_withdraw(full, sizeof(full), &p, &a, NULL, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(exabgp_render_withdraw(small, (size_t)n + 1, &p, &a,
	    NULL, 0), n);
	ck_assert_int_eq(exabgp_render_withdraw(small, (size_t)n, &p, &a,
	    NULL, 0), -1);
	ck_assert_int_eq(exabgp_render_withdraw(small, 5, &p, &a, NULL, 0),
	    -1);
}
END_TEST

START_TEST(test_long_as_path_fits_or_fails)
{
	struct announce_attributes a = { .as_path_prepend = 1000 };
	struct prefix p = make_prefix("192.0.2.1/32");
	/* 1000 x "4200000001 " is about 11 KB: more than a line may be. */
	ck_assert_int_eq(exabgp_render_announce(line, sizeof(line), &p, &a,
	    4200000001u, NULL, 0), -1);
	a.as_path_prepend = 10;
	ck_assert_int_gt(exabgp_render_announce(line, sizeof(line), &p, &a,
	    4200000001u, NULL, 0), 0);
}
END_TEST

/* Replies */
START_TEST(test_parse_reply)
{
	static const struct {
		const char *line;
		enum exabgp_reply reply;
	} cases[] = {
		{ "done", EXABGP_REPLY_DONE },
		{ "done\r", EXABGP_REPLY_DONE },
		{ "done  \t", EXABGP_REPLY_DONE },
		{ "error", EXABGP_REPLY_ERROR },
		{ "error\r", EXABGP_REPLY_ERROR },
		{ "error could not parse route", EXABGP_REPLY_ERROR },
		{ "shutdown", EXABGP_REPLY_SHUTDOWN },
		{ "shutdown 1234 1", EXABGP_REPLY_SHUTDOWN },
		{ "shutdown 1234 1\r", EXABGP_REPLY_SHUTDOWN },
		{ "{ \"exabgp\": \"5.0.0\", \"type\": \"notification\", "
		  "\"notification\": \"shutdown\" }", EXABGP_REPLY_SHUTDOWN },
		{ "", EXABGP_REPLY_OTHER },
		{ "\r", EXABGP_REPLY_OTHER },
		{ "Done", EXABGP_REPLY_OTHER },
		{ "doneish", EXABGP_REPLY_OTHER },
		{ "errors", EXABGP_REPLY_OTHER },
		{ "shutdowns", EXABGP_REPLY_OTHER },
		{ " done", EXABGP_REPLY_OTHER },
		{ "neighbor 198.51.100.2 up", EXABGP_REPLY_OTHER },
		{ "{ \"type\": \"state\", \"neighbor\": {} }",
		  EXABGP_REPLY_OTHER },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(exabgp_parse_reply(cases[i].line) ==
		    cases[i].reply, "reply \"%s\": got %d, want %d",
		    cases[i].line, exabgp_parse_reply(cases[i].line),
		    cases[i].reply);
}
END_TEST

/* Ack tracker */
START_TEST(test_ack_in_order)
{
	struct exabgp_ack_tracker t;
	char *c;

	exabgp_ack_tracker_init(&t);
	ck_assert(!t.acks_seen);
	exabgp_ack_tracker_sent(&t, "announce route 192.0.2.1/32 next-hop self");
	exabgp_ack_tracker_sent(&t, "withdraw route 192.0.2.1/32 next-hop self");
	exabgp_ack_tracker_sent(&t, "announce route 192.0.2.2/32 next-hop self");
	ck_assert_uint_eq(t.count, 3);
	c = exabgp_ack_tracker_reply(&t);
	ck_assert_str_eq(c, "announce route 192.0.2.1/32 next-hop self");
	free(c);
	ck_assert(t.acks_seen);
	c = exabgp_ack_tracker_reply(&t);
	ck_assert_str_eq(c, "withdraw route 192.0.2.1/32 next-hop self");
	free(c);
	exabgp_ack_tracker_sent(&t, "announce route 192.0.2.3/32 next-hop self");
	c = exabgp_ack_tracker_reply(&t);
	ck_assert_str_eq(c, "announce route 192.0.2.2/32 next-hop self");
	free(c);
	c = exabgp_ack_tracker_reply(&t);
	ck_assert_str_eq(c, "announce route 192.0.2.3/32 next-hop self");
	free(c);
	ck_assert_ptr_null(exabgp_ack_tracker_reply(&t));
	ck_assert_uint_eq(t.count, 0);
	ck_assert_uint_eq(t.dropped, 0);
	exabgp_ack_tracker_free(&t);
}
END_TEST

START_TEST(test_ack_keeps_a_copy)
{
	struct exabgp_ack_tracker t;
	char command[] = "announce route 192.0.2.1/32 next-hop self";
	char *c;

	exabgp_ack_tracker_init(&t);
	exabgp_ack_tracker_sent(&t, command);
	command[0] = 'X';
	c = exabgp_ack_tracker_reply(&t);
	ck_assert_str_eq(c, "announce route 192.0.2.1/32 next-hop self");
	free(c);
	exabgp_ack_tracker_free(&t);
}
END_TEST

START_TEST(test_ack_reply_with_nothing_pending)
{
	struct exabgp_ack_tracker t;

	exabgp_ack_tracker_init(&t);
	ck_assert_ptr_null(exabgp_ack_tracker_reply(&t));
	ck_assert(t.acks_seen);
	ck_assert_uint_eq(t.count, 0);
	/* still works afterwards */
	exabgp_ack_tracker_sent(&t, "a");
	char *c = exabgp_ack_tracker_reply(&t);
	ck_assert_str_eq(c, "a");
	free(c);
	exabgp_ack_tracker_free(&t);
}
END_TEST

START_TEST(test_ack_overflow_drops_oldest)
{
	struct exabgp_ack_tracker t;
	char command[32];
	char *c;
	size_t total = EXABGP_ACK_PENDING_MAX + 10;

	exabgp_ack_tracker_init(&t);
	for (size_t i = 0; i < total; i++) {
		snprintf(command, sizeof(command), "command %zu", i);
		exabgp_ack_tracker_sent(&t, command);
	}
	ck_assert_uint_eq(t.count, EXABGP_ACK_PENDING_MAX);
	ck_assert_uint_eq(t.dropped, 10);
	ck_assert(!t.acks_seen);
	/* the oldest left is number 10, and the rest follow in order */
	for (size_t i = 10; i < total; i++) {
		snprintf(command, sizeof(command), "command %zu", i);
		c = exabgp_ack_tracker_reply(&t);
		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c, command);
		free(c);
	}
	ck_assert_ptr_null(exabgp_ack_tracker_reply(&t));
	exabgp_ack_tracker_free(&t);
}
END_TEST

START_TEST(test_ack_free_releases_pending)
{
	struct exabgp_ack_tracker t;

	exabgp_ack_tracker_init(&t);
	/* wrap the ring so pending entries straddle the end of the array */
	for (size_t i = 0; i < EXABGP_ACK_PENDING_MAX + 3; i++)
		exabgp_ack_tracker_sent(&t, "announce route 192.0.2.1/32");
	free(exabgp_ack_tracker_reply(&t));
	exabgp_ack_tracker_free(&t);    /* ASan reports any leak */
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(exabgp_ack_tracker_reply(&t));
	exabgp_ack_tracker_free(&t);    /* twice is harmless */
}
END_TEST

static Suite *
exabgp_suite(void)
{
	Suite *s = suite_create("exabgp");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, test_announce_ipv4_self);
	tcase_add_test(tc, test_announce_null_attributes_is_self);
	tcase_add_test(tc, test_announce_ipv4_next_hop_address);
	tcase_add_test(tc, test_announce_ipv6_next_hop_address);
	tcase_add_test(tc, test_announce_ipv6_self_even_with_ipv4_next_hop);
	tcase_add_test(tc, test_announce_ipv4_self_even_with_ipv6_next_hop);
	tcase_add_test(tc, test_announce_med);
	tcase_add_test(tc, test_announce_local_preference);
	tcase_add_test(tc, test_announce_communities);
	tcase_add_test(tc, test_announce_large_communities);
	tcase_add_test(tc, test_announce_extended_communities);
	tcase_add_test(tc, test_announce_as_path_prepend);
	tcase_add_test(tc, test_announce_as_path_omitted_without_local_as);
	tcase_add_test(tc, test_announce_path_id);
	tcase_add_test(tc, test_announce_all_attributes);
	tcase_add_test(tc, test_announce_all_attributes_ipv6);
	tcase_add_test(tc, test_announce_one_neighbor);
	tcase_add_test(tc, test_announce_two_neighbors);
	tcase_add_test(tc, test_announce_zero_neighbors_with_pointer);
	tcase_add_test(tc, test_withdraw_plain);
	tcase_add_test(tc, test_withdraw_carries_only_path_id);
	tcase_add_test(tc, test_withdraw_neighbors);
	tcase_add_test(tc, test_buffer_too_small);
	tcase_add_test(tc, test_long_as_path_fits_or_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_test(tc, test_parse_reply);
	suite_add_tcase(s, tc);

	tc = tcase_create("ack");
	tcase_add_test(tc, test_ack_in_order);
	tcase_add_test(tc, test_ack_keeps_a_copy);
	tcase_add_test(tc, test_ack_reply_with_nothing_pending);
	tcase_add_test(tc, test_ack_overflow_drops_oldest);
	tcase_add_test(tc, test_ack_free_releases_pending);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(exabgp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
