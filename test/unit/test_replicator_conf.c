// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What tgtx-replicd replicates (replicator/rd_conf.c): from tgtxd's dump
 * text, only xorshare LUNs with share peers, with their log directory;
 * each peer's transport defaults to tls (never plain unless said), pin,
 * rate and retain are taken; a bad value is refused with its name.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "replicator/rd.h"

static const char dump[] =
	"default-driver iscsi\n\n"
	"<target iqn.2026-11.org.t:a>\n"
	"\t<backing-store /srv/plain.img>\n"
	"\t\tlun 1\n"
	"\t\tbs-type rdwr\n"
	"\t</backing-store>\n"
	"\t<backing-store /srv/xs.img>\n"
	"\t\tlun 2\n"
	"\t\tbs-type xorshare\n"
	"\t\tbsopts \"k=2;n=3;log=/srv/xs.log;log_size=64M\"\n"
	"\t\tshare-peer.0 "
	"\"iscsi://u%pw@10.0.0.1:3261/iqn.2026-11.org.p:0/1\"\n"
	"\t\tshare-peer.0.transport ipsec\n"
	"\t\tshare-peer.2 \"iscsi://10.0.0.3/iqn.2026-11.org.p:2/1\"\n"
	"\t</backing-store>\n"
	"\t<backing-store /srv/xs2.img>\n"
	"\t\tlun 3\n"
	"\t\tbs-type xorshare\n"
	"\t\tbsopts \"k=2;n=3;log=/srv/xs2.log\"\n"
	"\t</backing-store>\n"
	"</target>\n";

static void test_xorshare_luns_only(void **state)
{
	struct rd_conf c;
	char err[256] = "";

	(void)state;
	assert_int_equal(
		rd_conf_from_text(dump, strlen(dump), &c, err, sizeof(err)), 0);
	/* lun 1 is rdwr, lun 3 has no peer */
	assert_int_equal(c.count, 1);
	assert_string_equal(c.luns[0].name, "iqn.2026-11.org.t:a/2");
	assert_string_equal(c.luns[0].path, "/srv/xs.img");
	assert_string_equal(c.luns[0].log_dir, "/srv/xs.log");
	assert_int_equal(c.luns[0].npeers, 3);
	assert_string_equal(c.luns[0].peers[0].url,
			    "iscsi://u%pw@10.0.0.1:3261/iqn.2026-11.org.p:0/1");
	assert_int_equal(c.luns[0].peers[0].transport, RD_TRANSPORT_IPSEC);
	assert_null(c.luns[0].peers[1].url);
	/* no transport given: tls, never plain */
	assert_int_equal(c.luns[0].peers[2].transport, RD_TRANSPORT_TLS);
	rd_conf_free(&c);
}

static void test_options(void **state)
{
	static const char text[] =
		"<target iqn.2026-11.org.t:b>\n"
		"\t<backing-store /srv/b.img>\n"
		"\t\tlun 1\n"
		"\t\tbs-type xorshare\n"
		"\t\tbsopts \"k=2;n=3;log=/srv/b.log\"\n"
		"\t\tshare-peer 1 iscsi://h/iqn.2026-11.org.p:1/1 "
		"transport=tls pin="
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddee"
		"ff"
		" rate=10M retain=2h\n"
		"\t\tshare-peer 2 iscsi://h/iqn.2026-11.org.p:2/1 "
		"transport=plain\n"
		"\t</backing-store>\n"
		"</target>\n";
	struct rd_conf c;
	char err[256] = "";
	struct rd_peer_conf other;

	(void)state;
	assert_int_equal(
		rd_conf_from_text(text, strlen(text), &c, err, sizeof(err)), 0);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.luns[0].peers[1].transport, RD_TRANSPORT_TLS);
	assert_non_null(c.luns[0].peers[1].pin);
	assert_int_equal(c.luns[0].peers[1].rate, 10ULL << 20);
	assert_int_equal(c.luns[0].peers[1].retain, 7200);
	assert_int_equal(c.luns[0].peers[2].transport, RD_TRANSPORT_PLAIN);
	other = c.luns[0].peers[1];
	assert_true(rd_peer_conf_equal(&c.luns[0].peers[1], &other));
	other.rate = 1;
	assert_false(rd_peer_conf_equal(&c.luns[0].peers[1], &other));
	rd_conf_free(&c);
}

static void test_bad_values(void **state)
{
	static const char text[] =
		"<target iqn.2026-11.org.t:c>\n"
		"\t<backing-store /srv/c.img>\n"
		"\t\tlun 1\n"
		"\t\tbs-type xorshare\n"
		"\t\tbsopts \"k=2;n=3\"\n"
		"\t\tshare-peer 0 iscsi://h/iqn.2026-11.org.p:1/1 "
		"transport=plain\n"
		"\t</backing-store>\n"
		"</target>\n";
	struct rd_conf c;
	char err[256] = "";
	uint32_t s;
	uint64_t b;

	(void)state;
	/* an xorshare LUN with peers but no log directory */
	assert_int_equal(
		rd_conf_from_text(text, strlen(text), &c, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "log="));
	assert_int_equal(rd_parse_duration("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_not_equal(rd_parse_duration("5x", &s), 0);
	assert_int_equal(rd_parse_bytes("512K", &b), 0);
	assert_int_equal(b, 512 << 10);
	assert_int_not_equal(rd_parse_bytes("-1", &b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xorshare_luns_only),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
