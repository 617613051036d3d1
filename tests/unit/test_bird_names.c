/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: tests of what counts as anycheck's BIRD protocol name
 *
 * The default form ("anycheck_<service>_v4"/"_v6", maybe with a variant
 * suffix) and the protocols an include file declares: the two ways a
 * protocol no configured service owns is still known as anycheck's.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bird_names.h"
#include "log.h"

START_TEST(test_default_form)
{
	static const char *const ours[] = {
		"anycheck_web_v4", "anycheck_web_v6", "anycheck_a_v4",
		"anycheck_web_v4_drain", "anycheck_web_v6_down",
		"anycheck_my_svc_2_v4_disabled", "anycheck___v4",
		"anycheck_web_v6_degraded",
	};
	static const char *const not_ours[] = {
		"anycheck_v4", "anycheck__v4", "anycheck__v4_x", "anycheck_web", "anycheck_web_v5",
		"anycheck_web_v4_up", "anycheck_web_v4drain", "web_v4",
		"Anycheck_web_v4", "bgp_upstream", "static_other", "",
		"anycheck_web-x_v4", "xanycheck_web_v4",
	};

	for (size_t i = 0; i < sizeof(ours) / sizeof(*ours); i++)
		ck_assert_msg(bird_names_default_form(ours[i]), "%s", ours[i]);
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(*not_ours); i++)
		ck_assert_msg(!bird_names_default_form(not_ours[i]), "%s",
		    not_ours[i]);
}
END_TEST

static char seen[512];

static void
collect(const char *name, void *arg)
{
	(void)arg;
	strncat(seen, name, sizeof(seen) - strlen(seen) - 2);
	strcat(seen, " ");
}

START_TEST(test_each_declared)
{
	const char *text =
	    "# anycheck include\n"
	    "protocol static web {\n"
	    "\tipv4;\n"
	    "\troute 192.0.2.1/32 blackhole;\n"
	    "}\n"
	    "  protocol\tstatic   anycheck_x_v6_drain {\n"
	    "protocol bgp upstream {\n"
	    "protocol static {\n"
	    "protocol static 9bad {\n"
	    "protocolstatic nope {\n"
	    "protocol static last";

	seen[0] = '\0';
	ck_assert_uint_eq(bird_names_each_declared(text, collect, NULL), 3);
	ck_assert_str_eq(seen, "web anycheck_x_v6_drain last ");
}
END_TEST

static Suite *
bird_names_suite(void)
{
	Suite *s = suite_create("bird_names");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_default_form);
	tcase_add_test(tc, test_each_declared);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *runner = srunner_create(bird_names_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
