// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/share_peer.h: the numbers tgtx-replicd gets from rate= and retain=,
 * note keys, the URL forms libiscsi takes, and masking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/share_peer.h"

static void test_rate_retain(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} rates[] =
		{
			{"1", 1},
			{"512K", 512u << 10},
			{"10M", 10u << 20},
			{"10m", 10u << 20},
			{"2G", 2ull << 30},
			{"999999999999G", 999999999999ull << 30},
		},
	  retains[] = {
		  {"0s", 0},	  {"30s", 30},	     {"10m", 600},
		  {"24h", 86400}, {"7d", 7 * 86400}, {"3650d", 3650 * 86400},
	  };
	static const char *const bad_rates[] = {"",   "0",    "0K",  "K",
						"1T", "1.5M", "-1",  " 1",
						"1 ", "1MB",  "0x10"};
	static const char *const bad_retains[] = {
		"", "7", "s", "7w", "-1s", "3651d", "1.5h", "7 d", "7D"};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		assert_int_equal(share_peer_parse_rate(rates[i].s, &v), 0);
		assert_true(v == rates[i].v);
	}
	for (i = 0; i < sizeof(retains) / sizeof(retains[0]); i++) {
		assert_int_equal(share_peer_parse_retain(retains[i].s, &v), 0);
		assert_true(v == retains[i].v);
	}
	for (i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++)
		assert_int_equal(share_peer_parse_rate(bad_rates[i], &v),
				 -EINVAL);
	for (i = 0; i < sizeof(bad_retains) / sizeof(bad_retains[0]); i++)
		assert_int_equal(share_peer_parse_retain(bad_retains[i], &v),
				 -EINVAL);
}

static void test_keys(void **state)
{
	static const char *const bad[] = {
		"share-peer.",	    "share-peer.16",	 "share-peer.01",
		"share-peer.-1",    "share-peer.1.",	 "share-peer.1.url",
		"share-peer.1.tls", "share-peer.1.pin.", "share-peer.1x",
		"share-peer",	    "backstore",
	};
	enum share_peer_opt o;
	unsigned i;
	char err[256];
	size_t k;

	(void)state;
	assert_int_equal(
		share_peer_key_parse("share-peer.0", &i, &o, err, sizeof(err)),
		0);
	assert_true(i == 0 && o == SP_URL);
	assert_int_equal(share_peer_key_parse("share-peer.15.retain", &i, &o,
					      err, sizeof(err)),
			 0);
	assert_true(i == 15 && o == SP_RETAIN);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		assert_int_equal(
			share_peer_key_parse(bad[k], &i, &o, err, sizeof(err)),
			-EINVAL);
}

static void test_urls(void **state)
{
	static const char *const good[] = {
		"iscsi://h/iqn.x:y/0",
		"iscsi://10.1.2.3:3260/iqn.2026-11.org.x:y/16383",
		"iscsi://[::1]/iqn.x:y/1",
		"iscsi://[fe80::1%25eth0]:3261/iqn.x:y/1",
		"iscsi://user@h/iqn.x:y/1",
		"iscsi://user%pa?ss#word@h/iqn.x:y/1",
		"iscsi://u%p@h/iqn.x:y/1?target_user=t&target_password=p&"
		"header_digest=crc32c",
	};
	static const char *const bad[] = {
		"",
		"ISCSI://h/iqn.x:y/1",
		"iscsi:/h/iqn.x:y/1",
		"iscsi://h/iqn.x:y/16384",
		"iscsi://h/iqn.x:y/1/",
		"iscsi://h/iqn.x:y/",
		"iscsi://h:/iqn.x:y/1",
		"iscsi://h:1:2/iqn.x:y/1",
		"iscsi://[::1]x/iqn.x:y/1",
		"iscsi://[]/iqn.x:y/1",
		"iscsi://a@b@h/iqn.x:y/1",
		"iscsi://%p@h/iqn.x:y/1",
		"iscsi://h/iqn.x:y/1?",
		"iscsi://h/iqn.x:y/1?target_user=",
		"iscsi://h/iqn.x:y/1?target_user=a&",
		"iscsi://h/iqn x:y/1",
		"iscsi://h/iqn.x:y/1\n",
		"iscsi://h/iqn.x:\xc3\xa9/1",
		"iscsi://u%p;w@h/iqn.x:y/1",
		"iscsi://u%p\"w@h/iqn.x:y/1",
		"iscsi://u%p\\w@h/iqn.x:y/1",
	};
	char err[256], long_url[1100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (share_peer_check(SP_URL, good[i], err, sizeof(err)))
			fail_msg("refused %s: %s", good[i], err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!share_peer_check(SP_URL, bad[i], err, sizeof(err)))
			fail_msg("accepted '%s'", bad[i]);
		/* the reason never quotes the URL */
		assert_null(strstr(err, "://h"));
	}
	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "iscsi://h/", 10);
	memcpy(long_url + 1022, "/1", 3); /* 1024 bytes: the limit */
	assert_int_equal(share_peer_check(SP_URL, long_url, err, sizeof(err)),
			 0);
	memcpy(long_url + 1022, "a/1", 4);
	assert_int_equal(share_peer_check(SP_URL, long_url, err, sizeof(err)),
			 -EINVAL);
}

static void test_options(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(share_peer_check(SP_TRANSPORT, "tls", err, 256), 0);
	assert_int_equal(share_peer_check(SP_TRANSPORT, "ipsec", err, 256), 0);
	assert_int_equal(share_peer_check(SP_TRANSPORT, "plain", err, 256), 0);
	assert_int_equal(share_peer_check(SP_TRANSPORT, "TLS", err, 256),
			 -EINVAL);
	assert_int_equal(share_peer_check(SP_PIN,
					  "0123456789abcdef0123456789abcdef"
					  "0123456789abcdef0123456789abcdef",
					  err, 256),
			 0);
	assert_int_equal(share_peer_check(SP_PIN,
					  "0123456789abcdef0123456789abcdef"
					  "0123456789abcdef0123456789abcdeg",
					  err, 256),
			 -EINVAL);
	assert_int_equal(share_peer_check(SP_PIN,
					  "0123456789abcdef0123456789abcdef"
					  "0123456789abcdef0123456789abcdef0",
					  err, 256),
			 -EINVAL);
	assert_int_equal(share_peer_opt_find("transport"), SP_TRANSPORT);
	assert_int_equal(share_peer_opt_find("retain"), SP_RETAIN);
	assert_int_equal(share_peer_opt_find("url"), -1);
	assert_int_equal(share_peer_opt_find("Transport"), -1);
}

static void test_mask(void **state)
{
	char b[128];

	(void)state;
	share_peer_mask_url("iscsi://h/iqn.x:y/1", b, sizeof(b));
	assert_string_equal(b, "iscsi://h/iqn.x:y/1");
	share_peer_mask_url("iscsi://u%p@h/iqn.x:y/1", b, sizeof(b));
	assert_string_equal(b, "iscsi://***@h/iqn.x:y/1");
	share_peer_mask_url("iscsi://h/iqn.x:y/1?header_digest=none&"
			    "target_password=p",
			    b, sizeof(b));
	assert_string_equal(b, "iscsi://h/iqn.x:y/1?header_digest=none&"
			       "target_password=***");
	/* truncation never shows a partial secret beyond what fits */
	share_peer_mask_url("iscsi://u%p@h/iqn.x:y/1", b, 4);
	assert_string_equal(b, "isc");
	share_peer_mask_url("iscsi://u%p@h/iqn.x:y/1", b, 1);
	assert_string_equal(b, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_retain),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
