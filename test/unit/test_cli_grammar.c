// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtxcli's grammar without a daemon: path normalisation and resolution on
 * a tree, children, word splitting, parameter binding, completion, URL
 * masking, sizes, and the import's refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define IQN "iqn.2026-11.org.tgtx:t1"
#define T   "/iscsi/" IQN "/tpg1"

static const char model_json[] =
	"{\"storage_objects\": ["
	" {\"plugin\": \"fileio\", \"name\": \"disk1\", \"dev\": \"/d1\","
	"  \"size\": 1048576},"
	" {\"plugin\": \"xorshare\", \"name\": \"vault\", \"dev\": \"/v\","
	"  \"k\": 2, \"n\": 3, \"log\": \"/l\", \"peers\": [{\"index\": 1,"
	"  \"url\": \"iscsi://u%pw@h/iqn.2026-11.org.tgtx:p/1\","
	"  \"transport\": \"tls\", \"rate\": \"10M\"}]},"
	" {\"plugin\": \"null\", \"name\": \"n1\"}],"
	" \"targets\": [{\"fabric\": \"iscsi\", \"wwn\": \"" IQN "\","
	"  \"tpgs\": [{\"tag\": 1, \"luns\": [{\"index\": 0,"
	"  \"storage_object\": \"/backstores/fileio/disk1\"}, {\"index\": 5,"
	"  \"storage_object\": \"/backstores/xorshare/vault\"}],"
	"  \"node_acls\": [{\"node_wwn\": \"iqn.2026-11.org.tgtx:i1\"}],"
	"  \"portals\": [{\"ip_address\": \"::1\", \"port\": 3261},"
	"  {\"ip_address\": \"127.0.0.1\", \"port\": 3260}]}]}]}";

static json_t *model(void)
{
	json_t *report = json_array(), *m;
	char err[256] = "";

	m = cli_import(model_json, strlen(model_json), report, err,
		       sizeof(err));
	if (!m)
		fail_msg("import: %s", err);
	json_decref(report);
	return m;
}

static void init(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->cwd, "/");
	c->out = stdout;
}

static void test_normalize(void **state)
{
	char out[CLI_PATH_MAX];
	char big[CLI_PATH_MAX + 10];

	(void)state;
	assert_int_equal(cli_path_normalize("/", "..", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(cli_path_normalize("/iscsi", "../backstores//fileio/.",
					    out, sizeof(out)),
			 0);
	assert_string_equal(out, "/backstores/fileio");
	assert_int_equal(
		cli_path_normalize("/a/b", "c/../../d", out, sizeof(out)), 0);
	assert_string_equal(out, "/a/d");
	assert_int_equal(cli_path_normalize("/x", "/", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(cli_path_normalize("/", big, out, sizeof(out)), -1);
}

struct pk {
	const char *path;
	enum cli_kind kind;
};

static void test_resolve(void **state)
{
	static const struct pk ok[] = {
		{"/", N_ROOT},
		{"/backstores", N_BACKSTORES},
		{"/backstores/xorshare", N_BSTYPE},
		{"/backstores/fileio/disk1", N_BS},
		{"/backstores/xorshare/vault/peers", N_PEERS},
		{"/backstores/xorshare/vault/peers/1", N_PEER},
		{"/iscsi", N_ISCSI},
		{"/iscsi/" IQN, N_TARGET},
		{T, N_TPG},
		{T "/luns", N_LUNS},
		{T "/luns/lun5", N_LUN},
		{T "/acls/iqn.2026-11.org.tgtx:i1", N_ACL},
		{T "/acls/IQN.2026-11.ORG.TGTX:I1/mapped_lun5", N_MLUN},
		{T "/portals/[::1]:3261", N_PORTAL},
		{T "/portals/127.0.0.1:3260", N_PORTAL},
		{T "/luns/../acls/./", N_ACLS},
	};
	static const char *const bad[] = {
		"/nope",
		"/backstores/tape",
		"/backstores/fileio/none",
		"/backstores/fileio/disk1/peers",
		"/backstores/xorshare/vault/peers/2",
		"/backstores/xorshare/vault/peers/x",
		"/iscsi/iqn.2026-11.org.tgtx:none",
		"/iscsi/" IQN "/tpg2",
		T "/luns/lun1",
		T "/luns/lun-5",
		T "/luns/lun+5",
		T "/luns/lun",
		T "/luns/5",
		T "/acls/iqn.2026-11.org.tgtx:i1/mapped_lun1",
		T "/portals/::1:3261",
		T "/portals/127.0.0.1:3260/x",
		"/a/b/c/d/e/f/g/h/i/j",
	};
	json_t *m = model();
	struct cli_node n;
	struct cli c;
	size_t i;

	(void)state;
	init(&c);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (cli_resolve(&c, m, ok[i].path, &n))
			fail_msg("%s: %s", ok[i].path, c.err);
		assert_int_equal(n.kind, ok[i].kind);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!cli_resolve(&c, m, bad[i], &n))
			fail_msg("%s resolved", bad[i]);
		assert_non_null(strstr(c.err, "No such path"));
	}
	/* relative to the current directory */
	strcpy(c.cwd, T "/luns");
	assert_int_equal(cli_resolve(&c, m, "../portals", &n), 0);
	assert_int_equal(n.kind, N_PORTALS);
	assert_string_equal(n.path, T "/portals");
	assert_int_equal(cli_resolve(&c, m, "lun0", &n), 0);
	assert_int_equal(n.kind, N_LUN);
	json_decref(m);
}

static void test_children(void **state)
{
	json_t *m = model(), *k;
	struct cli_node n;
	struct cli c;
	char *s;

	(void)state;
	init(&c);
	assert_int_equal(cli_resolve(&c, m, T "/luns", &n), 0);
	k = cli_children(m, &n);
	s = json_dumps(k, JSON_COMPACT);
	assert_string_equal(s, "[\"lun0\",\"lun5\"]");
	free(s);
	json_decref(k);
	assert_int_equal(cli_resolve(&c, m, T "/portals", &n), 0);
	k = cli_children(m, &n);
	s = json_dumps(k, JSON_COMPACT);
	assert_string_equal(s, "[\"[::1]:3261\",\"127.0.0.1:3260\"]");
	free(s);
	json_decref(k);
	assert_int_equal(cli_resolve(&c, m, "/backstores/fileio/disk1", &n), 0);
	k = cli_children(m, &n);
	assert_int_equal(json_array_size(k), 0);
	json_decref(k);
	json_decref(m);
}

static void test_split(void **state)
{
	char *argv[8], buf[256];
	int argc = 0;

	(void)state;
	assert_int_equal(cli_split("  create  'a b' \"c\\\"d\" e\\ f # x",
				   &argc, argv, 8, buf, sizeof(buf)),
			 0);
	assert_int_equal(argc, 4);
	assert_string_equal(argv[0], "create");
	assert_string_equal(argv[1], "a b");
	assert_string_equal(argv[2], "c\"d");
	assert_string_equal(argv[3], "e f");
	assert_int_equal(cli_split("x 'open", &argc, argv, 8, buf, sizeof(buf)),
			 -2);
	assert_int_equal(cli_split("a b c d e f g h i", &argc, argv, 8, buf,
				   sizeof(buf)),
			 -1);
	assert_int_equal(cli_split("", &argc, argv, 8, buf, sizeof(buf)), 0);
	assert_int_equal(argc, 0);
	assert_int_equal(cli_split("''", &argc, argv, 8, buf, sizeof(buf)), 0);
	assert_int_equal(argc, 1);
	assert_string_equal(argv[0], "");
}

static void test_bind(void **state)
{
	static const char *const p[] = {"name", "file_or_dev", "size", NULL};
	char *w1[] = {"d1", "size=1M", "file_or_dev=/x"};
	char *w2[] = {"d1", "name=d2"};
	char *w3[] = {"a", "b", "c", "d"};
	char *w4[] = {"d1", "colour=red"};
	char *w5[] = {"size=1", "size=2"};
	char *w6[] = {"/a=b", "9x=1"};
	struct cli_args a;
	const char *v[3];
	struct cli c;

	(void)state;
	init(&c);
	assert_int_equal(cli_parse_args(&c, 3, w1, &a), 0);
	assert_int_equal(cli_bind(&c, &a, p, v), 0);
	assert_string_equal(v[0], "d1");
	assert_string_equal(v[1], "/x");
	assert_string_equal(v[2], "1M");
	assert_int_equal(cli_parse_args(&c, 2, w2, &a), 0);
	assert_int_equal(cli_bind(&c, &a, p, v), -1);
	assert_non_null(strstr(c.err, "given twice"));
	assert_int_equal(cli_parse_args(&c, 4, w3, &a), 0);
	assert_int_equal(cli_bind(&c, &a, p, v), -1);
	assert_non_null(strstr(c.err, "Too many parameters: 'd'"));
	assert_int_equal(cli_parse_args(&c, 2, w4, &a), 0);
	assert_int_equal(cli_bind(&c, &a, p, v), -1);
	assert_non_null(strstr(c.err, "Unexpected keyword parameter 'colour'"));
	assert_int_equal(cli_parse_args(&c, 2, w5, &a), -1);
	assert_non_null(strstr(c.err, "given twice"));
	/* "key=" only when the key is a word: paths stay positional */
	assert_int_equal(cli_parse_args(&c, 2, w6, &a), 0);
	assert_int_equal(a.npos, 2);
	assert_int_equal(a.nkv, 0);
}

static bool has(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return true;
	return false;
}

static void test_complete(void **state)
{
	json_t *m = model(), *r;
	struct cli c;
	const char *line;

	(void)state;
	init(&c);
	r = cli_complete(&c, m, "cd /ba", 6);
	assert_true(has(r, "/backstores"));
	assert_int_equal(json_array_size(r), 1);
	json_decref(r);
	r = cli_complete(&c, m, "", 0);
	assert_true(has(r, "ls") && has(r, "saveconfig") && has(r, "iscsi"));
	assert_false(has(r, "create"));
	json_decref(r);
	line = T " set auth u";
	r = cli_complete(&c, m, line, strlen(line));
	assert_true(has(r, "userid="));
	assert_int_equal(json_array_size(r), 1);
	json_decref(r);
	line = T "/luns create ";
	r = cli_complete(&c, m, line, strlen(line));
	assert_true(has(r, "/backstores/fileio") && has(r, "/backstores/null"));
	json_decref(r);
	line = "/backstores/fileio cr";
	r = cli_complete(&c, m, line, strlen(line));
	assert_true(has(r, "create"));
	json_decref(r);
	line = "/backstores/xorshare create vault /v 1M ";
	r = cli_complete(&c, m, line, strlen(line));
	assert_true(has(r, "k=") && has(r, "log=") && has(r, "options="));
	json_decref(r);
	strcpy(c.cwd, "/iscsi");
	r = cli_complete(&c, m, "cd iqn", 6);
	assert_true(has(r, IQN));
	json_decref(r);
	json_decref(m);
}

/* A restored peer keeps its options (saveconfig -> restoreconfig). */
static void test_peer_options(void **state)
{
	json_t *m = model(), *so, *p;

	(void)state;
	so = cli_so_find(m, "xorshare", "vault");
	assert_non_null(so);
	p = json_array_get(json_object_get(so, "peers"), 0);
	assert_string_equal(cli_str(p, "url"),
			    "iscsi://u%pw@h/iqn.2026-11.org.tgtx:p/1");
	assert_string_equal(cli_str(p, "transport"), "tls");
	assert_string_equal(cli_str(p, "rate"), "10M");
	assert_null(json_object_get(p, "pin"));
	json_decref(m);
}

static void test_mask_size(void **state)
{
	char b[256];
	uint64_t v;

	(void)state;
	cli_mask_url("https://u:pw@h/x@y", b, sizeof(b));
	assert_string_equal(b, "https://***@h/x@y");
	cli_mask_url("ssh://h/srv", b, sizeof(b));
	assert_string_equal(b, "ssh://h/srv");
	cli_mask_url("s3://key:sec@ret@bucket", b, sizeof(b));
	assert_string_equal(b, "s3://***@bucket");
	cli_mask_url("iscsi://u%pw@[::1]:3261/iqn.x:y/1?header_digest=none&"
		     "target_user=t&target_password=tp",
		     b, sizeof(b));
	assert_string_equal(b, "iscsi://***@[::1]:3261/iqn.x:y/1?header_digest="
			       "none&target_user=***&target_password=***");
	cli_mask_url("iscsi://u%p?w#x@h/iqn.x:y/1", b, sizeof(b));
	assert_string_equal(b, "iscsi://***@h/iqn.x:y/1");
	cli_mask_url("iscsi://u%pw@h/iqn.x:y/1", b, 12);
	assert_string_equal(b, "iscsi://***");
	assert_int_equal(cli_parse_size("64M", &v), 0);
	assert_int_equal(v, 64u << 20);
	assert_int_equal(cli_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(cli_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(cli_parse_size("0", &v), -1);
	assert_int_equal(cli_parse_size("12Q", &v), -1);
	assert_int_equal(cli_parse_size("-1M", &v), -1);
	assert_int_equal(cli_parse_size("99999999999T", &v), -1);
}

static void test_import_refusals(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"targets\": {}}",
		"{\"storage_objects\": [{\"plugin\": \"fileio\", \"name\": "
		"\"a/b\", \"dev\": \"/x\"}]}",
		"{\"storage_objects\": [{\"plugin\": \"fileio\", \"name\": "
		"\"a\"}]}",
		"{\"storage_objects\": [{\"plugin\": \"xorshare\", \"name\": "
		"\"a\", \"dev\": \"/x\", \"k\": 2, \"n\": 3, \"log\": \"/l\", "
		"\"peers\": [{\"index\": 16, \"url\": \"a://b\"}]}]}",
		/* peers: tgtxd's rules (core/share_peer.h) */
		"{\"storage_objects\": [{\"plugin\": \"xorshare\", \"name\": "
		"\"a\", \"dev\": \"/x\", \"k\": 2, \"n\": 3, \"log\": \"/l\", "
		"\"peers\": [{\"index\": 1, \"url\": \"https://h/i/1\"}]}]}",
		"{\"storage_objects\": [{\"plugin\": \"xorshare\", \"name\": "
		"\"a\", \"dev\": \"/x\", \"k\": 2, \"n\": 3, \"log\": \"/l\", "
		"\"peers\": [{\"index\": 1, \"url\": \"iscsi://h/i/1\", "
		"\"transport\": \"https\"}]}]}",
		"{\"storage_objects\": [{\"plugin\": \"xorshare\", \"name\": "
		"\"a\", \"dev\": \"/x\", \"k\": 2, \"n\": 3, \"log\": \"/l\", "
		"\"peers\": [{\"index\": 1, \"url\": \"iscsi://h/i/1\", "
		"\"pin\": \"12\"}]}]}",
		"{\"storage_objects\": [{\"plugin\": \"xorshare\", \"name\": "
		"\"a\", \"dev\": \"/x\", \"k\": 2, \"n\": 3, \"log\": \"/l\", "
		"\"peers\": [{\"index\": 1, \"url\": \"iscsi://h/i/1\", "
		"\"rate\": 5}]}]}",
		"{\"targets\": [{\"fabric\": \"iscsi\", \"wwn\": \"iqn.a:b\", "
		"\"tpgs\": [{\"luns\": [{\"index\": 99999}]}]}]}",
		"{\"targets\": [{\"fabric\": \"iscsi\", \"wwn\": \"iqn.a:b\", "
		"\"tpgs\": [{\"chap_userid\": \"u\"}]}]}",
		"{\"targets\": [{\"fabric\": \"iscsi\", \"wwn\": \"iqn.a:b\", "
		"\"tpgs\": []}]}",
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *report = json_array();
		json_t *m = cli_import(bad[i], strlen(bad[i]), report, err,
				       sizeof(err));

		if (m)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != 0);
		json_decref(report);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_peer_options),
		cmocka_unit_test(test_mask_size),
		cmocka_unit_test(test_import_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
