// SPDX-License-Identifier: GPL-2.0-or-later
/* Targets, accounts, bindings and parameter overrides of the config model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/target.h"

static char err[512];

static int teardown(void **state)
{
	target_destroy_all();
	assert_true(list_empty(target_list()));
	assert_true(list_empty(account_list()));
	return 0;
}

static void test_create_destroy(void **state)
{
	struct target *t;
	int expect[] = {1, 3, 5}, i = 0;

	assert_int_equal(
		target_create(5, "iqn.2024-01.org.t:five", err, sizeof(err)),
		0);
	assert_int_equal(
		target_create(1, "iqn.2024-01.org.t:one", err, sizeof(err)), 0);
	assert_int_equal(
		target_create(3, "iqn.2024-01.org.t:three", err, sizeof(err)),
		0);
	list_for_each_entry (t, target_list(), node)
		assert_int_equal(t->tid, expect[i++]);
	assert_int_equal(i, 3);
	t = target_find_name("IQN.2024-01.ORG.T:THREE");
	assert_non_null(t);
	assert_int_equal(t->tid, 3);
	assert_int_equal(t->state, TARGET_READY);
	assert_null(target_find_tid(2));
	assert_true(list_empty(&t->luns));

	assert_int_equal(target_destroy(3, err, sizeof(err)), 0);
	assert_null(target_find_tid(3));
	assert_int_equal(target_destroy(3, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "can't find the target");
}

static void test_duplicates_and_bad(void **state)
{
	char longname[TGTX_NAME_MAX + 10];

	assert_int_equal(
		target_create(1, "iqn.2024-01.org.t:a", err, sizeof(err)), 0);
	assert_int_equal(
		target_create(1, "iqn.2024-01.org.t:b", err, sizeof(err)),
		-EEXIST);
	assert_string_equal(err, "this target already exists");
	assert_int_equal(
		target_create(2, "iqn.2024-01.org.t:a", err, sizeof(err)),
		-EEXIST);
	assert_int_equal(target_create(0, "iqn.x", err, sizeof(err)), -EINVAL);
	assert_int_equal(target_create(-4, "iqn.x", err, sizeof(err)), -EINVAL);
	assert_int_equal(target_create(9, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(target_create(9, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(target_create(9, "iqn.with space", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(target_create(9, "iqn.new\nline", err, sizeof(err)),
			 -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(target_create(9, longname, err, sizeof(err)), -EINVAL);
	longname[TGTX_NAME_MAX - 1] = '\0';
	assert_int_equal(target_create(9, longname, err, sizeof(err)), 0);
}

static void test_accounts(void **state)
{
	struct target *t;
	const struct account *out;

	assert_int_equal(
		target_create(1, "iqn.2024-01.org.t:chap", err, sizeof(err)),
		0);
	t = target_find_tid(1);
	assert_false(target_needs_chap(t));
	assert_int_equal(
		account_create("joe", "secret123456", err, sizeof(err)), 0);
	assert_int_equal(account_create("joe", "other", err, sizeof(err)),
			 -EEXIST);
	assert_string_equal(err, "this account already exists");
	assert_int_equal(account_create("", "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(account_create("a b", "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(account_create("amy", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(
		account_create("amy", "mutual-secret", err, sizeof(err)), 0);
	/* sorted by name */
	assert_string_equal(
		list_first_entry(account_list(), struct account, node)->user,
		"amy");

	assert_int_equal(
		target_account_bind(t, "nobody", false, err, sizeof(err)),
		-ENOENT);
	assert_string_equal(err, "can't find the account");
	assert_int_equal(target_account_bind(t, "joe", false, err, sizeof(err)),
			 0);
	assert_int_equal(target_account_bind(t, "joe", false, err, sizeof(err)),
			 -EEXIST);
	assert_true(target_needs_chap(t));
	assert_string_equal(target_in_secret(t, "joe"), "secret123456");
	assert_null(target_in_secret(t, "amy"));
	assert_null(target_in_secret(t, NULL));

	assert_null(target_out_account(t));
	assert_int_equal(target_account_bind(t, "amy", true, err, sizeof(err)),
			 0);
	assert_int_equal(target_account_bind(t, "joe", true, err, sizeof(err)),
			 -EEXIST);
	assert_string_equal(err, "this target already has an outgoing account");
	out = target_out_account(t);
	assert_non_null(out);
	assert_string_equal(out->password, "mutual-secret");

	assert_int_equal(target_account_unbind(t, "amy", false), -ENOENT);
	assert_int_equal(target_account_unbind(t, "amy", true), 0);
	assert_null(target_out_account(t));

	/* deleting an account drops its bindings */
	assert_int_equal(account_delete("joe"), 0);
	assert_int_equal(account_delete("joe"), -ENOENT);
	assert_false(target_needs_chap(t));
	assert_null(account_find("joe"));
	assert_non_null(account_find("amy"));
}

static void test_params(void **state)
{
	struct target *t;

	assert_int_equal(
		target_create(4, "iqn.2024-01.org.t:p", err, sizeof(err)), 0);
	t = target_find_tid(4);
	assert_null(target_param_get(t, "MaxRecvDataSegmentLength"));
	assert_int_equal(target_param_set(t, "MaxRecvDataSegmentLength",
					  "65536", err, sizeof(err)),
			 0);
	assert_string_equal(target_param_get(t, "MaxRecvDataSegmentLength"),
			    "65536");
	assert_int_equal(target_param_set(t, "MaxRecvDataSegmentLength",
					  "16384", err, sizeof(err)),
			 0);
	assert_string_equal(target_param_get(t, "MaxRecvDataSegmentLength"),
			    "16384");
	/* core stores keys opaquely: iscsi_param_check() judges them */
	assert_int_equal(
		target_param_set(t, "NoSuchIscsiKey", "1", err, sizeof(err)),
		0);
	assert_string_equal(target_param_get(t, "NoSuchIscsiKey"), "1");
	assert_int_equal(target_param_set(t, NULL, "1", err, sizeof(err)),
			 -EINVAL);
	assert_null(target_param_get(t, NULL));
}

static void test_destroy_frees_everything(void **state)
{
	struct target *t;

	assert_int_equal(
		target_create(2, "iqn.2024-01.org.t:full", err, sizeof(err)),
		0);
	t = target_find_tid(2);
	assert_int_equal(account_create("u1", "password1234", err, sizeof(err)),
			 0);
	assert_int_equal(target_account_bind(t, "u1", false, err, sizeof(err)),
			 0);
	assert_int_equal(target_account_bind(t, "u1", true, err, sizeof(err)),
			 0);
	assert_int_equal(target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err)),
			 0);
	assert_int_equal(
		target_acl_add(t, ACL_NAME, "iqn.x:y", err, sizeof(err)), 0);
	assert_int_equal(target_param_set(t, "MaxRecvDataSegmentLength",
					  "65536", err, sizeof(err)),
			 0);
	/* no sessions: plain destroy succeeds; ASan checks nothing leaks */
	assert_int_equal(target_destroy(2, err, sizeof(err)), 0);
	assert_non_null(account_find("u1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_destroy, teardown),
		cmocka_unit_test_teardown(test_duplicates_and_bad, teardown),
		cmocka_unit_test_teardown(test_accounts, teardown),
		cmocka_unit_test_teardown(test_params, teardown),
		cmocka_unit_test_teardown(test_destroy_frees_everything,
					  teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
