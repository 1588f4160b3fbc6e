// SPDX-License-Identifier: GPL-2.0-or-later
/* The memory budget's accounting and size parsing; peer-text escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/escape.h"
#include "core/membudget.h"

static void test_accounting(void **state)
{
	struct mb_account a = {0}, b = {0};
	size_t base = mb_used();

	(void)state;
	mb_set_budget(64u << 20);
	assert_int_equal(mb_budget(), 64u << 20);
	mb_charge(&a, 10u << 20);
	mb_charge(&b, 50u << 20);
	assert_int_equal(mb_used() - base, 60u << 20);
	/* within a's share, but the total would pass the budget */
	assert_false(mb_fits(&a, 8u << 20, 32u << 20));
	/* fits the total, not a's share */
	assert_false(mb_fits(&a, 3u << 20, 12u << 20));
	assert_true(mb_fits(&a, 2u << 20, 12u << 20));
	mb_charge(&a, 8u << 20);
	assert_true(mb_over());
	mb_uncharge(&b, 50u << 20);
	assert_false(mb_over());
	/* an imbalance never wraps */
	mb_uncharge(&a, 100u << 20);
	assert_int_equal(a.used, 0);
	mb_set_budget(0);
	assert_int_equal(mb_budget(), mb_default_budget());
	assert_true(mb_default_budget() >= 64u << 20);
}

static void test_parse_size(void **state)
{
	size_t v = 0;

	(void)state;
	assert_int_equal(mb_parse_size("512M", &v), 0);
	assert_int_equal(v, 512u << 20);
	assert_int_equal(mb_parse_size("2g", &v), 0);
	assert_int_equal(v, (size_t)2 << 30);
	assert_int_equal(mb_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_not_equal(mb_parse_size("", &v), 0);
	assert_int_not_equal(mb_parse_size("-1M", &v), 0);
	assert_int_not_equal(mb_parse_size("1T", &v), 0);
	assert_int_not_equal(mb_parse_size("1MB", &v), 0);
	assert_int_not_equal(mb_parse_size("99999999999999999999G", &v), 0);
}

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	str_escape("alias\n    Target 99: x\x1b[2J", out, sizeof(out));
	assert_string_equal(out, "alias\\x0a    Target 99: x\\x1b[2J");
	str_escape("a\\b\x7f\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "a\\\\b\\x7f\\xc3\\xa9");
	/* truncated at an escape boundary, always terminated */
	str_escape("\n\n\n", out, 6);
	assert_string_equal(out, "\\x0a");
	str_escape(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("iqn.2026-11.org.example:disk", 28));
	assert_true(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(utf8_valid("\xff\xfe", 2));
	assert_false(utf8_valid("\xc0\xaf", 2));	 /* overlong '/' */
	assert_false(utf8_valid("\xe0\x80\xaf", 3));	 /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	 /* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(utf8_valid("\xc3", 1));		 /* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
