/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: name index tests
 *
 * Put, get, replace and remove, across growth and with tombstones, checked
 * against a plain array of what should be there.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "name_index.h"

#define KEYS 5000

START_TEST(test_put_get_remove)
{
	static char keys[KEYS][16];
	static int values[KEYS];
	struct name_index index;

	name_index_init(&index);
	ck_assert_ptr_null(name_index_get(&index, "absent"));
	ck_assert_ptr_null(name_index_remove(&index, "absent"));
	for (int i = 0; i < KEYS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "svc-%d", i);
		values[i] = i;
		name_index_put(&index, keys[i], &values[i]);
	}
	ck_assert_uint_eq(name_index_count(&index), KEYS);
	for (int i = 0; i < KEYS; i++)
		ck_assert_ptr_eq(name_index_get(&index, keys[i]), &values[i]);
	/* Remove every other key; the rest stay reachable past tombstones. */
	for (int i = 0; i < KEYS; i += 2)
		ck_assert_ptr_eq(name_index_remove(&index, keys[i]), &values[i]);
	ck_assert_uint_eq(name_index_count(&index), KEYS / 2);
	for (int i = 0; i < KEYS; i++)
		ck_assert_ptr_eq(name_index_get(&index, keys[i]),
		    i % 2 == 0 ? NULL : &values[i]);
	/* Put again over tombstones, and replace a value. */
	for (int i = 0; i < KEYS; i += 2)
		name_index_put(&index, keys[i], &values[i]);
	name_index_put(&index, keys[1], &values[0]);
	ck_assert_ptr_eq(name_index_get(&index, keys[1]), &values[0]);
	ck_assert_uint_eq(name_index_count(&index), KEYS);
	name_index_cleanup(&index);
	ck_assert_ptr_null(name_index_get(&index, keys[1]));
}
END_TEST

START_TEST(test_key_is_the_stored_pointer)
{
	char stored[] = "route-1", other[] = "route-1";
	struct name_index index;
	int a = 1, b = 2;

	/* name_index_key gives the index's own pointer for an equal string,
	 * so a value can change without the index taking a caller's
	 * (short-lived) buffer as its key; put itself replaces the key. */
	name_index_init(&index);
	ck_assert_ptr_null(name_index_key(&index, "route-1"));
	name_index_put(&index, stored, &a);
	ck_assert_ptr_eq(name_index_key(&index, other), stored);
	name_index_put(&index, name_index_key(&index, other), &b);
	ck_assert_ptr_eq(name_index_key(&index, other), stored);
	ck_assert_ptr_eq(name_index_get(&index, other), &b);
	name_index_put(&index, other, &a);
	ck_assert_ptr_eq(name_index_key(&index, stored), other);
	ck_assert_ptr_null(name_index_key(&index, "route-2"));
	name_index_cleanup(&index);
}
END_TEST

START_TEST(test_churn_keeps_table_bounded)
{
	static char key[16];
	struct name_index index;
	int value = 1;

	/* Insert and remove many distinct keys, one live at a time: tombstones
	 * must not fill the table for good. */
	name_index_init(&index);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		name_index_put(&index, key, &value);
		ck_assert_ptr_eq(name_index_get(&index, key), &value);
		ck_assert_ptr_eq(name_index_remove(&index, key), &value);
	}
	ck_assert_uint_eq(name_index_count(&index), 0);
	ck_assert_uint_le(index.capacity, 64);
	name_index_cleanup(&index);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("name_index");
	TCase *tcase = tcase_create("name_index");
	SRunner *runner;
	int failed;

	tcase_add_test(tcase, test_put_get_remove);
	tcase_add_test(tcase, test_key_is_the_stored_pointer);
	tcase_add_test(tcase, test_churn_keeps_table_bounded);
	suite_add_tcase(suite, tcase);
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
