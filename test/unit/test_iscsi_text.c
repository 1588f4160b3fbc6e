// SPDX-License-Identifier: GPL-2.0-or-later
/* iSCSI key=value text: parsing limits, NUL handling, binary values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "iscsi/text.h"

#define T(s) (s), sizeof(s) - 1 /* literal with embedded NULs */

static void test_parse_good(void **state)
{
	struct text_list l;

	assert_int_equal(text_parse(T("A=1\0Bb.c-d=x,y\0Empty=\0"), &l),
			 TEXT_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(text_get(&l, "A"), "1");
	assert_string_equal(text_get(&l, "Bb.c-d"), "x,y");
	assert_string_equal(text_get(&l, "Empty"), "");
	assert_null(text_get(&l, "a")); /* keys are case-sensitive */
	text_list_free(&l);
}

static void test_parse_nul_handling(void **state)
{
	struct text_list l;

	/* padding and doubled NULs are skipped */
	assert_int_equal(text_parse(T("A=1\0\0\0B=2\0\0\0\0"), &l), TEXT_OK);
	assert_int_equal(l.n, 2);
	text_list_free(&l);
	/* last pair without NUL is accepted */
	assert_int_equal(text_parse(T("A=1\0B=2"), &l), TEXT_OK);
	assert_string_equal(text_get(&l, "B"), "2");
	text_list_free(&l);
	/* empty input */
	assert_int_equal(text_parse(NULL, 0, &l), TEXT_OK);
	assert_int_equal(l.n, 0);
	text_list_free(&l);
	/* value with '=' inside keeps it */
	assert_int_equal(text_parse(T("A=b=c\0"), &l), TEXT_OK);
	assert_string_equal(text_get(&l, "A"), "b=c");
	text_list_free(&l);
}

static void test_parse_errors(void **state)
{
	struct text_list l;
	char big[600];

	assert_int_equal(text_parse(T("NoEquals\0"), &l), TEXT_NO_EQUALS);
	assert_null(l.pairs);
	assert_int_equal(text_parse(T("=v\0"), &l), TEXT_BAD_KEY);
	assert_int_equal(text_parse(T("A B=v\0"), &l), TEXT_BAD_KEY);
	assert_int_equal(text_parse(T("A\x01=v\0"), &l), TEXT_BAD_KEY);
	assert_int_equal(text_parse(T("A=1\0A=2\0"), &l), TEXT_DUPLICATE);

	/* key of 63 ok, 64 too long */
	memset(big, 'K', 63);
	strcpy(big + 63, "=v");
	assert_int_equal(text_parse(big, strlen(big) + 1, &l), TEXT_OK);
	text_list_free(&l);
	memset(big, 'K', 64);
	strcpy(big + 64, "=v");
	assert_int_equal(text_parse(big, strlen(big) + 1, &l),
			 TEXT_KEY_TOO_LONG);

	/* value of 255 ok, 256 too long */
	strcpy(big, "V=");
	memset(big + 2, 'x', 255);
	big[257] = '\0';
	assert_int_equal(text_parse(big, 258, &l), TEXT_OK);
	text_list_free(&l);
	memset(big + 2, 'x', 256);
	big[258] = '\0';
	assert_int_equal(text_parse(big, 259, &l), TEXT_VALUE_TOO_LONG);
}

static void test_parse_binary_value_limit(void **state)
{
	char big[1200];
	struct text_list l;

	/* CHAP_C may carry 1024 hex digits, but not more */
	strcpy(big, "CHAP_C=0x");
	memset(big + 9, 'a', 1024);
	big[9 + 1024] = '\0';
	assert_int_equal(text_parse(big, strlen(big) + 1, &l), TEXT_OK);
	text_list_free(&l);
	memset(big + 9, 'a', 1025);
	big[9 + 1025] = '\0';
	assert_int_equal(text_parse(big, strlen(big) + 1, &l),
			 TEXT_VALUE_TOO_LONG);
}

static void test_parse_too_many(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct text_list l;
	char key[16];

	for (int i = 0; i <= ISCSI_TEXT_MAX_PAIRS; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		text_add(&sb, key, "v");
	}
	assert_int_equal(text_parse(sb.buf, sb.len, &l), TEXT_TOO_MANY);
	strbuf_free(&sb);
}

static void test_build(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	text_add(&sb, "A", "b");
	text_add_u32(&sb, "N", 4294967295u);
	assert_int_equal(sb.len, 4 + 13);
	assert_memory_equal(sb.buf, "A=b\0N=4294967295\0", 17);
	strbuf_free(&sb);
}

static void test_binary_decode(void **state)
{
	uint8_t out[16];
	char hex[64];

	assert_int_equal(text_bin_decode("0x0102ff", out, sizeof(out)), 3);
	assert_memory_equal(out, "\x01\x02\xff", 3);
	assert_int_equal(text_bin_decode("0XABC", out, sizeof(out)), 2);
	assert_memory_equal(out, "\x0a\xbc", 2); /* odd: leading zero */
	assert_int_equal(text_bin_decode("0bAQL/", out, sizeof(out)), 3);
	assert_memory_equal(out, "\x01\x02\xff", 3);
	assert_int_equal(text_bin_decode("0bAQI=", out, sizeof(out)), 2);
	assert_int_equal(text_bin_decode("0bAQ==", out, sizeof(out)), 1);
	assert_int_equal(out[0], 1);

	assert_int_equal(text_bin_decode("0x", out, sizeof(out)), -1);
	assert_int_equal(text_bin_decode("0xzz", out, sizeof(out)), -1);
	assert_int_equal(text_bin_decode("1234", out, sizeof(out)), -1);
	assert_int_equal(text_bin_decode("0bAQ=", out, sizeof(out)), -1);
	assert_int_equal(text_bin_decode("0bA!==", out, sizeof(out)), -1);
	assert_int_equal(text_bin_decode("0x0102", out, 1), -1);
	assert_int_equal(text_bin_decode("", out, sizeof(out)), -1);

	text_hex_encode((const uint8_t *)"\x00\x1f\xa0", 3, hex, sizeof(hex));
	assert_string_equal(hex, "0x001fa0");
	/* truncated output stays terminated */
	text_hex_encode((const uint8_t *)"\x00\x1f\xa0", 3, hex, 5);
	assert_string_equal(hex, "0x00");
}

static void test_numbers_and_bools(void **state)
{
	uint64_t v;
	bool b;

	assert_int_equal(text_parse_u64("8192", &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(text_parse_u64("0x2000", &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(text_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(text_parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(text_parse_u64("-1", &v), -1);
	assert_int_equal(text_parse_u64("", &v), -1);
	assert_int_equal(text_parse_u64("12a", &v), -1);
	assert_int_equal(text_parse_u64("0x", &v), -1);
	assert_int_equal(text_parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(text_parse_bool("No", &b), 0);
	assert_false(b);
	assert_int_equal(text_parse_bool("yes", &b), -1);
	assert_int_equal(text_parse_bool("", &b), -1);
}

static void test_lists(void **state)
{
	const char *cur = "None,CRC32C";
	char item[8];

	assert_int_equal(text_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "None");
	assert_int_equal(text_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "CRC32C");
	assert_int_equal(text_list_next(&cur, item, sizeof(item)), 0);
	cur = "a,,b";
	assert_int_equal(text_list_next(&cur, item, sizeof(item)), 1);
	assert_int_equal(text_list_next(&cur, item, sizeof(item)), -1);
	cur = "toolongitem";
	assert_int_equal(text_list_next(&cur, item, sizeof(item)), -1);
	assert_true(text_list_has("CHAP,None", "None"));
	assert_false(text_list_has("CHAP,None", "Non"));
	assert_int_equal(
		strcmp(text_strerror(TEXT_DUPLICATE), "key sent twice"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_nul_handling),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_binary_value_limit),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_binary_decode),
		cmocka_unit_test(test_numbers_and_bools),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
