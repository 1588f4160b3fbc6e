// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * targets.conf parsing: a tgt-style file used unchanged, every directive,
 * includes, and hostile files that must fail with FILE:LINE and no leak.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/conf.h"

static char dir[64];
static char err[1024];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tgtx-conf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return p;
}

static struct conf *parse_ok(const char *text)
{
	struct conf *c = NULL;
	int ret = conf_parse_string(text, strlen(text), "test.conf", &c, err,
				    sizeof(err));

	if (ret)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(c);
	return c;
}

static void parse_bad(const char *text, const char *expect)
{
	struct conf *c = (struct conf *)1;
	int ret = conf_parse_string(text, strlen(text), "bad.conf", &c, err,
				    sizeof(err));

	assert_int_not_equal(ret, 0);
	assert_null(c);
	if (!strstr(err, expect))
		print_error("error '%s' lacks '%s'\n", err, expect);
	assert_non_null(strstr(err, expect));
}

static int count(const struct list_head *h)
{
	const struct list_head *p;
	int n = 0;

	for (p = h->next; p != h; p = p->next)
		n++;
	return n;
}

/* Written in the style of Debian's shipped example, used unmodified. */
static const char debian_style[] =
	"# Example configuration file for the SCSI target daemon.\n"
	"#\n"
	"# Empty lines and lines starting with # are ignored.\n"
	"\n"
	"# Include every file of a directory:\n"
	"include /nonexistent-tgtx-dir/conf.d/*.conf\n"
	"\n"
	"default-driver iscsi\n"
	"\n"
	"# Continue if tgtadm fails on one target\n"
	"#ignore-errors yes\n"
	"\n"
	"#<target iqn.2008-09.com.example:server.target1>\n"
	"#    backing-store /dev/LVM/somedevice\n"
	"#</target>\n"
	"\n"
	"<target iqn.2008-09.com.example:server.target2>\n"
	"    direct-store /dev/sdd\n"
	"    incominguser someuser secretpass12\n"
	"</target>\n"
	"\n"
	"<target iqn.2008-09.com.example:server.target3>\n"
	"    backing-store /dev/LVM/somedevice1  # LUN 1\n"
	"    backing-store /dev/LVM/somedevice2  # LUN 2\n"
	"    initiator-address 192.168.100.1\n"
	"    initiator-address 192.168.200.5\n"
	"    incominguser someuser secretpass12\n"
	"    incominguser otheruser secretpass13\n"
	"    outgoinguser userA secretpassA\n"
	"</target>\n"
	"\n"
	"<target iqn.2008-09.com.example:server.target4>\n"
	"    <backing-store /dev/LVM/somedevice3>\n"
	"        vendor_id VENDOR1\n"
	"        removable 1\n"
	"        device-type disk\n"
	"        lun 5\n"
	"    </backing-store>\n"
	"    <direct-store /dev/sdb>\n"
	"        vendor_id VENDOR2\n"
	"        lun 1\n"
	"    </direct-store>\n"
	"    backing-store /dev/LVM/somedevice4\n"
	"    vendor_id \"Default Vendor\"\n"
	"    product_id MyDisk\n"
	"    product_rev 0001\n"
	"    scsi_sn 0xdeadbeef\n"
	"    scsi_id \"MY SCSI ID\"\n"
	"    write-cache off\n"
	"    readonly 0\n"
	"    bs-type rdwr\n"
	"    bsoflags direct\n"
	"    allow-in-use yes\n"
	"    initiator-name iqn.1994-05.com.redhat:client1\n"
	"    MaxRecvDataSegmentLength 262144\n"
	"    MaxXmitDataSegmentLength 65536\n"
	"    HeaderDigest CRC32C,None\n"
	"    params thin_provisioning=0,sense_format=1\n"
	"</target>\n";

static void test_debian_style(void **state)
{
	struct conf *c = parse_ok(debian_style);
	struct conf_target *t;
	struct conf_lun *l;

	assert_int_equal(count(&c->targets), 3);
	t = conf_find_target(c, "iqn.2008-09.com.example:server.target2");
	assert_non_null(t);
	assert_int_equal(count(&t->luns), 1);
	l = list_first_entry(&t->luns, struct conf_lun, node);
	assert_string_equal(l->path, "/dev/sdd");
	assert_int_equal(l->lun, 1);
	assert_int_equal(count(&t->in_users), 1);

	t = conf_find_target(c, "iqn.2008-09.com.example:server.target3");
	assert_int_equal(count(&t->luns), 2);
	assert_non_null(conf_find_lun(t, 1));
	assert_string_equal(conf_find_lun(t, 2)->path, "/dev/LVM/somedevice2");
	assert_int_equal(count(&t->addrs), 2);
	assert_int_equal(count(&t->in_users), 2);
	assert_int_equal(count(&t->out_users), 1);

	t = conf_find_target(c, "iqn.2008-09.com.example:server.target4");
	assert_int_equal(count(&t->luns), 3);
	/* explicit 5 and 1; the plain backing-store takes the first free: 2 */
	l = conf_find_lun(t, 5);
	assert_string_equal(l->path, "/dev/LVM/somedevice3");
	assert_string_equal(conf_lun_param(t, l, "vendor_id"), "VENDOR1");
	assert_string_equal(conf_lun_param(t, l, "removable"), "1");
	assert_string_equal(conf_lun_param(t, conf_find_lun(t, 1), "vendor_id"),
			    "VENDOR2");
	l = conf_find_lun(t, 2);
	assert_string_equal(l->path, "/dev/LVM/somedevice4");
	assert_string_equal(conf_lun_param(t, l, "vendor_id"),
			    "Default Vendor");
	assert_string_equal(conf_lun_param(t, l, "scsi_id"), "MY SCSI ID");
	assert_string_equal(conf_lun_param(t, l, "write-cache"), "off");
	assert_string_equal(conf_lun_param(t, l, "sense_format"), "1");
	assert_string_equal(conf_lun_bstype(t, l), "rdwr");
	assert_string_equal(conf_lun_bsoflags(t, l), "direct");
	assert_true(conf_lun_allow_in_use(t, l));
	assert_int_equal(count(&t->names), 1);
	assert_int_equal(count(&t->iscsi), 3);
	/* LUNs come out sorted */
	assert_int_equal(list_first_entry(&t->luns, struct conf_lun, node)->lun,
			 1);
	conf_free(c);
}

static void test_syntax_variants(void **state)
{
	struct conf *c = parse_ok("ignore-errors yes\n"
				  "control-port 3\n"
				  "<target iqn.2024-01.org.x:t>\r\n"
				  "  backing-store = \"/srv/with space.img\"\n"
				  "  vendor_id=ACME\n"
				  "  initiator-address 10.0.0.0/8 \\\n"
				  "      192.168.0.0/16   # two on one line\n"
				  "  incominguser 'user' \"pa#ss\\\"word\"\n"
				  "  bsopts \"k=2;n=3\"\n"
				  "  bsopts log=/var/x\n"
				  "  tid 7\n"
				  "</target>\n");
	struct conf_target *t =
		list_first_entry(&c->targets, struct conf_target, node);
	struct conf_kv *kv;

	assert_true(c->ignore_errors);
	assert_int_equal(c->control_port, 3);
	assert_int_equal(t->tid, 7);
	assert_string_equal(
		list_first_entry(&t->luns, struct conf_lun, node)->path,
		"/srv/with space.img");
	assert_string_equal(conf_lun_param(t, conf_find_lun(t, 1), "vendor_id"),
			    "ACME");
	assert_int_equal(count(&t->addrs), 2);
	kv = list_first_entry(&t->in_users, struct conf_kv, node);
	assert_string_equal(kv->key, "user");
	assert_string_equal(kv->value, "pa#ss\"word");
	assert_string_equal(t->defaults.bsopts, "k=2;n=3;log=/var/x");
	conf_free(c);
}

static void test_xorshare(void **state)
{
	struct conf *c = parse_ok("<target iqn.2024-01.org.x:xs>\n"
				  "  <backing-store /srv/xs.img>\n"
				  "    lun 3\n"
				  "    xorshare k=2 n=3 log=/var/lib/tgtx/xs1\n"
				  "  </backing-store>\n"
				  "</target>\n");
	struct conf_target *t =
		list_first_entry(&c->targets, struct conf_target, node);
	struct conf_lun *l = conf_find_lun(t, 3);

	assert_non_null(l);
	assert_string_equal(conf_lun_bstype(t, l), "xorshare");
	assert_string_equal(conf_lun_bsopts(t, l),
			    "k=2;n=3;log=/var/lib/tgtx/xs1");
	conf_free(c);
}

#define PIN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Issue 11's peers: the line form, tgtxd's note form, inheritance. */
static void test_share_peers(void **state)
{
	struct conf *c = parse_ok(
		"<target iqn.2024-01.org.x:xs>\n"
		"  share-peer 2 iscsi://10.0.0.9/iqn.2024-01.org.z:all/0\n"
		"  xorshare k=2 n=3 log=/var/lib/tgtx/xs\n"
		"  <backing-store /srv/a.img>\n"
		"    lun 1\n"
		"    share-peer 0 \"iscsi://u%pw@[::1]:3261/iqn.2024-01.org.y:"
		"s/1?target_user=t&target_password=tp\" transport=tls pin=" PIN
		" rate=10M retain=7d\n"
		"    share-peer 1 iscsi://h.example/iqn.2024-01.org.y:s/2 "
		"transport=plain\n"
		"  </backing-store>\n"
		"  <backing-store /srv/b.img>\n"
		"    lun 2\n"
		"    share-peer.2 \"iscsi://h2/iqn.2024-01.org.y:t/3\"\n"
		"    share-peer.2.transport ipsec\n"
		"    share-peer.2.retain 30s\n"
		"  </backing-store>\n"
		"</target>\n");
	struct conf_target *t =
		list_first_entry(&c->targets, struct conf_target, node);
	struct conf_lun *a = conf_find_lun(t, 1), *b = conf_find_lun(t, 2);

	assert_int_equal(CONF_PEERS_MAX, 16);
	assert_string_equal(a->peers[0].url,
			    "iscsi://u%pw@[::1]:3261/iqn.2024-01.org.y:s/1"
			    "?target_user=t&target_password=tp");
	assert_string_equal(a->peers[0].transport, "tls");
	assert_string_equal(a->peers[0].pin, PIN);
	assert_string_equal(a->peers[0].rate, "10M");
	assert_string_equal(a->peers[0].retain, "7d");
	assert_string_equal(a->peers[1].transport, "plain");
	assert_null(a->peers[1].pin);
	assert_null(a->peers[1].rate);
	assert_null(a->peers[1].retain);
	/* the target-level peer reaches the LUN that lacks index 2 */
	assert_string_equal(a->peers[2].url,
			    "iscsi://10.0.0.9/iqn.2024-01.org.z:all/0");
	assert_null(a->peers[2].transport);
	assert_null(a->peers[3].url);
	assert_string_equal(b->peers[2].url,
			    "iscsi://h2/iqn.2024-01.org.y:t/3");
	assert_string_equal(b->peers[2].transport, "ipsec");
	assert_string_equal(b->peers[2].retain, "30s");
	assert_null(b->peers[0].url);
	assert_string_equal(conf_peer_opt(&b->peers[2], 1), "ipsec");
	conf_free(c);
}

/* Every bad share-peer value: refused at its FILE:LINE. */
static void test_share_peer_errors(void **state)
{
	static const struct {
		const char *line;
		const char *expect;
	} bad[] = {
		{"share-peer 16 iscsi://h/iqn.x:y/1", "bad share-peer index"},
		{"share-peer -1 iscsi://h/iqn.x:y/1", "bad share-peer index"},
		{"share-peer 01 iscsi://h/iqn.x:y/1", "bad share-peer index"},
		{"share-peer x iscsi://h/iqn.x:y/1", "bad share-peer index"},
		{"share-peer 1", "takes an index, a URL"},
		{"share-peer 1 https://h/iqn.x:y/1", "must be iscsi://"},
		{"share-peer 1 iscsi://h", "lacks /IQN/LUN"},
		{"share-peer 1 iscsi://h//1", "lacks the target IQN"},
		{"share-peer 1 iscsi://h/iqn.x:y", "lacks the LUN"},
		{"share-peer 1 iscsi://h/iqn.x:y/99999", "LUN must be"},
		{"share-peer 1 iscsi://h/iqn.x:y/1x", "LUN must be"},
		{"share-peer 1 iscsi://h:0/iqn.x:y/1", "bad HOST[:PORT]"},
		{"share-peer 1 iscsi://h:70000/iqn.x:y/1", "bad HOST[:PORT]"},
		{"share-peer 1 iscsi://:3260/iqn.x:y/1", "bad HOST[:PORT]"},
		{"share-peer 1 iscsi://[::1/iqn.x:y/1", "bad HOST[:PORT]"},
		{"share-peer 1 iscsi://@h/iqn.x:y/1", "credentials"},
		{"share-peer 1 iscsi://u%p@w@h/iqn.x:y/1", "credentials"},
		{"share-peer 1 \"iscsi://u%p w@h/iqn.x:y/1\"", "no spaces"},
		{"share-peer 1 iscsi://u%p,w@h/iqn.x:y/1", "commas"},
		{"share-peer 1 iscsi://h/iqn.x:y/1?foo=bar", "known arguments"},
		{"share-peer 1 iscsi://h/iqn.x:y/1?target_user", "key=value"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 transport=https",
		 "bad share-peer transport 'https'"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 transport=",
		 "empty transport"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 pin=abc",
		 "bad share-peer pin"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 "
		 "pin="
		 "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
		 "abcdef",
		 "bad share-peer pin"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 rate=0",
		 "bad share-peer rate"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 rate=10X",
		 "bad share-peer rate"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 rate=M",
		 "bad share-peer rate"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 rate=9999999999999G",
		 "bad share-peer rate"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 retain=7",
		 "bad share-peer retain"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 retain=7w",
		 "bad share-peer retain"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 retain=4000d",
		 "bad share-peer retain"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 retain=-1s",
		 "bad share-peer retain"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 color=red",
		 "unknown option"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 tls", "unknown option"},
		{"share-peer 1 iscsi://h/iqn.x:y/1 rate=1M rate=2M",
		 "rate given twice"},
		{"share-peer.1.transport tls",
		 "share-peer.1.transport without"},
		{"share-peer.16 iscsi://h/iqn.x:y/1", "unknown LU parameter"},
		{"share-peer.1.colour red", "unknown LU parameter"},
		{"share-peer.1 https://h/x", "must be iscsi://"},
	};
	char text[1024], want[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "<target iqn.x:a>\n<backing-store /a>\n"
			 "xorshare k=2 n=3 log=/l\n%s\n</backing-store>\n"
			 "</target>\n",
			 bad[i].line);
		parse_bad(text, bad[i].expect);
		snprintf(want, sizeof(want), "bad.conf:%d: ",
			 strstr(bad[i].expect, "without") ? 2 : 4);
		if (strncmp(err, want, strlen(want)))
			print_error("'%s': '%s' lacks '%s'\n", bad[i].line, err,
				    want);
		assert_int_equal(strncmp(err, want, strlen(want)), 0);
		/* a URL may carry a password: never echoed */
		assert_null(strstr(err, "://h"));
		assert_null(strstr(err, "u%p"));
	}
	/* duplicates, across forms and lines */
	parse_bad("<target iqn.x:a>\n<backing-store /a>\nxorshare k=2 n=3 "
		  "log=/l\nshare-peer 1 iscsi://h/iqn.x:y/1\n"
		  "share-peer 1 iscsi://h/iqn.x:y/2\n</backing-store>\n"
		  "</target>\n",
		  "bad.conf:5: share-peer 1 given twice (also at bad.conf:4)");
	parse_bad("<target iqn.x:a>\n<backing-store /a>\nxorshare k=2 n=3 "
		  "log=/l\nshare-peer 1 iscsi://h/iqn.x:y/1\n"
		  "share-peer.1 iscsi://h/iqn.x:y/2\n</backing-store>\n"
		  "</target>\n",
		  "bad.conf:5: share-peer 1 given twice");
	parse_bad("<target iqn.x:a>\n<backing-store /a>\nxorshare k=2 n=3 "
		  "log=/l\nshare-peer 1 iscsi://h/iqn.x:y/1 transport=tls\n"
		  "share-peer.1.transport plain\n</backing-store>\n"
		  "</target>\n",
		  "bad.conf:5: share-peer 1: transport given twice");
	/* only on xorshare LUNs, within their n shares */
	parse_bad("<target iqn.x:a>\n<backing-store /a>\n"
		  "share-peer 1 iscsi://h/iqn.x:y/1\n</backing-store>\n"
		  "</target>\n",
		  "bad.conf:3: share-peer 1: LUN 1 of iqn.x:a is not xorshare");
	parse_bad("<target iqn.x:a>\n<backing-store /a>\nxorshare k=2 n=3 "
		  "log=/l\nshare-peer 3 iscsi://h/iqn.x:y/1\n"
		  "</backing-store>\n</target>\n",
		  "bad.conf:4: share-peer 3: LUN 1 of iqn.x:a has n=3 shares");
	parse_bad("<target iqn.x:a>\nshare-peer 5 iscsi://h/iqn.x:y/1\n"
		  "xorshare k=2 n=3 log=/l\nbacking-store /a\n</target>\n",
		  "bad.conf:2: share-peer 5: LUN 1 of iqn.x:a has n=3");
}

static void test_daemon_dump_lines(void **state)
{
	struct conf *c = parse_ok("default-driver iscsi\n\n"
				  "account joe secret123456\n\n"
				  "<target iqn.x:y>\n"
				  "\ttid 4\n"
				  "\tactive-sessions 2\n"
				  "\t<backing-store /tmp/a>\n"
				  "\t\tlun 1\n"
				  "\t\tbs-type rdwr\n"
				  "\t\tblock-size 4096\n"
				  "\t\tonline 1\n"
				  "\t\tsense-format 0\n"
				  "\t\tthin-provisioning off\n"
				  "\t</backing-store>\n"
				  "</target>\n");
	struct conf_target *t =
		list_first_entry(&c->targets, struct conf_target, node);

	assert_int_equal(t->tid, 4);
	assert_int_equal(t->sessions, 2);
	assert_int_equal(count(&c->accounts), 1);
	assert_string_equal(
		conf_lun_param(t, conf_find_lun(t, 1), "block_size"), "4096");
	conf_free(c);
}

static void test_includes(void **state)
{
	char text[512];
	struct conf *c;
	const char *main_path;

	write_file("a.conf",
		   "<target iqn.x:a>\n  backing-store /tmp/a\n</target>\n",
		   strlen("<target iqn.x:a>\n  backing-store /tmp/a\n"
			  "</target>\n"));
	write_file("b.conf", "<target iqn.x:b>\n</target>\n",
		   strlen("<target iqn.x:b>\n</target>\n"));
	snprintf(text, sizeof(text), "include %s/?.conf\ninclude nothing*\n",
		 dir);
	main_path = write_file("main.cfg", text, strlen(text));
	assert_int_equal(conf_parse_file(main_path, &c, err, sizeof(err)), 0);
	assert_int_equal(count(&c->targets), 2);
	assert_non_null(conf_find_target(c, "iqn.x:b"));
	conf_free(c);

	/* relative include: from the including file's directory */
	main_path = write_file("rel.cfg", "include b.conf\n", 15);
	assert_int_equal(conf_parse_file(main_path, &c, err, sizeof(err)), 0);
	assert_int_equal(count(&c->targets), 1);
	conf_free(c);
}

static void test_include_loop_and_depth(void **state)
{
	struct conf *c = NULL;
	const char *p;
	char text[256];
	int i;

	p = write_file("self.cfg", "include self.cfg\n", 17);
	assert_int_not_equal(conf_parse_file(p, &c, err, sizeof(err)), 0);
	assert_null(c);
	assert_non_null(strstr(err, "loop"));
	assert_non_null(strstr(err, "self.cfg:1"));

	write_file("x.cfg", "include y.cfg\n", 14);
	p = write_file("y.cfg", "\ninclude x.cfg\n", 15);
	assert_int_not_equal(conf_parse_file(p, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "loop"));

	/* a chain deeper than the limit, without a loop */
	for (i = 0; i < CONF_INCLUDE_DEPTH + 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d%d.cfg", i);
		snprintf(text, sizeof(text), "include d%d.cfg\n", i + 1);
		p = write_file(name, text, strlen(text));
	}
	snprintf(text, sizeof(text), "%s/d0.cfg", dir);
	assert_int_not_equal(conf_parse_file(text, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "deeper"));

	/* a target may not span files */
	write_file("open.cfg", "<target iqn.x:open>\n", 20);
	p = write_file("inc.cfg", "include open.cfg\n</target>\n", 27);
	assert_int_not_equal(conf_parse_file(p, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not closed"));
}

static void test_hostile(void **state)
{
	struct conf *c = (struct conf *)1;
	char *huge;
	size_t n;

	parse_bad("<target iqn.x:a>\n  backing-store /a\n", "not closed");
	parse_bad("<target iqn.x:a>\n<backing-store /a>\n</target>\n",
		  "unexpected </target>");
	parse_bad("</target>\n", "bad.conf:1: unexpected </target>");
	parse_bad("<target iqn.x:a>\n<target iqn.x:b>\n", "cannot nest");
	parse_bad("<target iqn.x:a>\n  frobnicate 1\n</target>\n",
		  "bad.conf:2: unknown directive 'frobnicate'");
	parse_bad("frobnicate 1\n", "unknown directive");
	parse_bad("backing-store /a\n", "unknown directive");
	parse_bad("<target>\n</target>\n", "exactly one argument");
	parse_bad("<target a b>\n</target>\n", "exactly one argument");
	parse_bad("<target iqn.x:a\n", "unterminated block tag");
	parse_bad("<lun 3>\n", "unknown block");
	parse_bad("<target iqn.x:a>\n</target>\n<target IQN.X:A>\n</target>\n",
		  "already defined at bad.conf:1");
	parse_bad("<target iqn.x:a>\n  lun 3\n</target>\n", "lun must be");
	parse_bad("<target iqn.x:a>\n<backing-store /a>\nlun 99999\n"
		  "</backing-store>\n</target>\n",
		  "bad lun");
	parse_bad("<target iqn.x:a>\n<backing-store /a>\nlun 2\n"
		  "</backing-store>\n<backing-store /b>\nlun 2\n"
		  "</backing-store>\n</target>\n",
		  "defined twice");
	parse_bad("<target iqn.x:a>\n initiator-address 10.0.0.300\n"
		  "</target>\n",
		  "bad initiator-address");
	parse_bad("<target iqn.x:a>\n incominguser onlyuser\n</target>\n",
		  "user name and a password");
	parse_bad("<target iqn.x:a>\n outgoinguser a pw1\n"
		  " outgoinguser b pw2\n</target>\n",
		  "only one outgoinguser");
	parse_bad("<target iqn.x:a>\n vendor_id \"unbalanced\n</target>\n",
		  "unbalanced quotes");
	parse_bad("<target iqn.x:a>\n params novalue\n</target>\n",
		  "not key=value");
	parse_bad("<target iqn.x:a>\n params colour=red\n</target>\n",
		  "unknown LU parameter");
	parse_bad("<target iqn.x:a>\n bsoflags fast\n</target>\n",
		  "bad bsoflags");
	parse_bad("<target iqn.x:a>\n device-type tape\n</target>\n",
		  "not supported");
	parse_bad("default-driver iser\n", "not supported");
	parse_bad("iSNSServerIP 192.0.2.1\n", "iSNS");
	parse_bad("control-port 70000\n", "bad control-port");
	parse_bad("<target iqn.x:a>\n readonly\n</target>\n", "needs a value");
	parse_bad("<target iqn.x:a>\n xorshare k2\n</target>\n",
		  "xorshare: bad option");

	/* NUL bytes */
	assert_int_not_equal(conf_parse_string("<target a>\0</target>\n", 22,
					       "nul.conf", &c, err,
					       sizeof(err)),
			     0);
	assert_null(c);
	assert_non_null(strstr(err, "NUL"));

	/* a huge line, continuation lines adding up past the limit */
	n = 2 * CONF_LINE_MAX;
	huge = malloc(n + 1);
	assert_non_null(huge);
	memset(huge, 'a', n);
	huge[n] = '\0';
	parse_bad(huge, "longer than");
	for (size_t i = 100; i < n; i += 100)
		huge[i] = '\\', huge[i + 1] = '\n';
	huge[n - 1] = '\n';
	parse_bad(huge, "longer than");
	free(huge);

	/* many targets: bounded */
	{
		size_t cap = (CONF_TARGETS_MAX + 2) * 40, used = 0;
		char *many = malloc(cap);
		int i;

		assert_non_null(many);
		for (i = 0; i < CONF_TARGETS_MAX + 1; i++)
			used += (size_t)snprintf(
				many + used, cap - used,
				"<target iqn.x:%d>\n</target>\n", i);
		parse_bad(many, "too many targets");
		free(many);
	}

	/* missing and non-regular files */
	assert_int_not_equal(
		conf_parse_file("/nonexistent/tgtx.conf", &c, err, sizeof(err)),
		0);
	assert_non_null(strstr(err, "/nonexistent/tgtx.conf"));
	assert_int_not_equal(conf_parse_file("/tmp", &c, err, sizeof(err)), 0);
	assert_null(c);
	/* tgt-admin's "-c /dev/null": no targets */
	assert_int_equal(conf_parse_file("/dev/null", &c, err, sizeof(err)), 0);
	assert_true(list_empty(&c->targets));
	conf_free(c);
}

static void test_empty(void **state)
{
	struct conf *c = parse_ok("");

	assert_true(list_empty(&c->targets));
	assert_int_equal(c->control_port, -1);
	conf_free(c);
	c = parse_ok("\n# only comments\n   \t\n");
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_style),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_xorshare),
		cmocka_unit_test(test_share_peers),
		cmocka_unit_test(test_share_peer_errors),
		cmocka_unit_test(test_daemon_dump_lines),
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_include_loop_and_depth),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
