// SPDX-License-Identifier: GPL-2.0-or-later
/* ACL matching: ALL, exact v4/v6, CIDR, v4-mapped peers, bad patterns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/target.h"

static struct sockaddr_storage peer(const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
	return ss;
}

static bool match(const char *pattern, const char *addr)
{
	struct sockaddr_storage ss = peer(addr);

	return acl_addr_match(pattern, (struct sockaddr *)&ss);
}

static void test_all(void **state)
{
	assert_true(match("ALL", "10.1.2.3"));
	assert_true(match("all", "::1"));
	assert_true(match("ALL", "::ffff:192.0.2.1"));
}

static void test_exact_v4(void **state)
{
	assert_true(match("192.0.2.1", "192.0.2.1"));
	assert_false(match("192.0.2.1", "192.0.2.2"));
	assert_false(match("192.0.2.1", "::1"));
}

static void test_cidr_v4(void **state)
{
	assert_true(match("10.0.0.0/8", "10.255.1.1"));
	assert_false(match("10.0.0.0/8", "11.0.0.1"));
	assert_true(match("192.168.1.128/25", "192.168.1.200"));
	assert_false(match("192.168.1.128/25", "192.168.1.127"));
	assert_true(match("0.0.0.0/0", "203.0.113.9"));
	assert_true(match("192.0.2.7/32", "192.0.2.7"));
	assert_false(match("192.0.2.7/32", "192.0.2.6"));
	/* host bits set in the pattern are ignored beyond the prefix */
	assert_true(match("172.16.5.9/12", "172.31.0.1"));
	assert_false(match("172.16.0.0/12", "172.32.0.1"));
}

static void test_v6(void **state)
{
	assert_true(match("::1", "::1"));
	assert_true(match("[::1]", "::1"));
	assert_false(match("::1", "::2"));
	assert_true(match("2001:db8::/32", "2001:db8:1234::5"));
	assert_false(match("2001:db8::/32", "2001:db9::5"));
	assert_true(match("fe80::/10", "febf::1"));
	assert_false(match("fe80::/10", "fec0::1"));
	assert_true(match("::/0", "2001:db8::1"));
	assert_false(match("::/0", "192.0.2.1"));
	assert_true(match("2001:db8::1/128", "2001:db8::1"));
}

static void test_mapped(void **state)
{
	assert_true(match("192.0.2.1", "::ffff:192.0.2.1"));
	assert_true(match("192.0.2.0/24", "::ffff:192.0.2.77"));
	assert_false(match("192.0.2.0/24", "::ffff:192.0.3.77"));
	assert_false(match("192.0.2.1", "::192.0.2.1"));
	/* a v6 pattern still compares the full mapped address */
	assert_true(match("::ffff:192.0.2.1", "::ffff:192.0.2.1"));
}

static void test_bad_patterns(void **state)
{
	static const char *bad[] = {
		"",	     "foo",	    "10.0.0.0/33",
		"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
		"::1/129",   "1.2.3",	    "1.2.3.4.5",
		"/8",	     "[::1",	    "10.0.0.0/0008",
		"256.1.1.1", "ALLx",	    "1.2.3.4 ",
		"::1/1/2",
	};
	struct sockaddr_storage ss = peer("10.0.0.1");
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(acl_pattern_valid(bad[i]));
		assert_false(acl_addr_match(bad[i], (struct sockaddr *)&ss));
	}
	assert_false(acl_pattern_valid(NULL));
	assert_false(acl_addr_match(NULL, (struct sockaddr *)&ss));
	assert_false(acl_addr_match("ALL", NULL));
	assert_true(acl_pattern_valid("ALL"));
	assert_true(acl_pattern_valid("10.0.0.0/8"));
	assert_true(acl_pattern_valid("2001:db8::/48"));
	assert_true(acl_pattern_valid("[2001:db8::1]"));
}

static void test_unix_peer(void **state)
{
	struct sockaddr sa = {.sa_family = AF_UNIX};

	assert_false(acl_addr_match("10.0.0.0/8", &sa));
	assert_true(acl_addr_match("ALL", &sa));
}

static void test_permits(void **state)
{
	struct sockaddr_storage a = peer("192.0.2.10");
	struct sockaddr_storage b = peer("198.51.100.1");
	struct target *t;
	char err[256];

	assert_int_equal(
		target_create(7, "iqn.2024-01.org.test:acl", err, sizeof(err)),
		0);
	t = target_find_tid(7);
	assert_non_null(t);
	/* empty list: nobody, as in tgt */
	assert_false(target_acl_permits(t, (struct sockaddr *)&a, "iqn.x"));
	assert_int_equal(
		target_acl_add(t, ACL_ADDR, "192.0.2.0/24", err, sizeof(err)),
		0);
	assert_true(target_acl_permits(t, (struct sockaddr *)&a, "iqn.x"));
	assert_false(target_acl_permits(t, (struct sockaddr *)&b, "iqn.x"));
	assert_int_equal(
		target_acl_add(t, ACL_ADDR, "192.0.2.0/24", err, sizeof(err)),
		-EEXIST);
	assert_int_equal(
		target_acl_add(t, ACL_ADDR, "nonsense", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(target_acl_add(t, ACL_NAME, "iqn.1994-05.com.a:b", err,
					sizeof(err)),
			 0);
	assert_false(target_acl_permits(t, (struct sockaddr *)&a, "iqn.x"));
	assert_false(target_acl_permits(t, (struct sockaddr *)&a, NULL));
	assert_true(target_acl_permits(t, (struct sockaddr *)&a,
				       "IQN.1994-05.com.A:b"));
	assert_int_equal(
		target_acl_add(t, ACL_NAME, "has space", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(target_acl_del(t, ACL_NAME, "iqn.1994-05.com.a:b"), 0);
	assert_int_equal(target_acl_del(t, ACL_NAME, "iqn.1994-05.com.a:b"),
			 -ENOENT);
	assert_true(target_acl_permits(t, (struct sockaddr *)&a, "iqn.x"));
	assert_int_equal(target_destroy(7, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_exact_v4),
		cmocka_unit_test(test_cidr_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_unix_peer),
		cmocka_unit_test(test_permits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
