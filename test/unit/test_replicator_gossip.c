// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-replicd's gossip glue (replicator/rd_gossip.c): a LUN's configuration
 * becomes a table signed by the node key of the state directory; the blob
 * for the share-volume header unwraps to it; nothing secret (CHAP password)
 * goes in; the same configuration keeps its version, a changed peer set
 * bumps it, across restarts too, and even when the saved table is lost
 * the version stays above what gossip has seen; bad fields are refused
 * with a reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "replicator/gossip/nodekey.h"
#include "replicator/gossip/slt.h"
#include "replicator/rd_gossip.h"

static char dir[256];

static void lun_cfg(struct rd_gossip_lun *l, const char *url1)
{
	static char pin[65];

	memset(l, 0, sizeof(*l));
	for (int i = 0; i < 16; i++)
		l->uuid[i] = (uint8_t)(0xa0 + i);
	l->name = "iqn.2026-11.org.tgtx:prim/vol 1:1";
	l->size = 64ULL << 20;
	l->block_size = 4096;
	l->k = 2;
	l->n = 3;
	memset(pin, 'b', 64);
	l->peers[0] =
		(struct rd_gossip_peer){"iscsi://repl%s3cretpw@127.0.0.1:3261/"
					"iqn.2026-11.org.tgtx:p0/1",
					2, pin};
	l->peers[1] = (struct rd_gossip_peer){url1, 0, NULL};
	l->peers[2] = (struct rd_gossip_peer){
		"iscsi://[::1]/iqn.2026-11.org.tgtx:p2/0", 1, NULL};
}

/* the daemon's key, STATE_DIR/node.key, loaded as tgtx-replicd does */
static struct nodekey node_key;

static struct rd_gossip *start(bool listen)
{
	struct rd_gossip_cfg cfg;
	struct rd_gossip *rg = NULL;
	char err[256], path[300];
	bool created;

	nodekey_free(&node_key);
	snprintf(path, sizeof(path), "%s/node.key", dir);
	assert_int_equal(nodekey_load_or_create(path, &node_key, &created), 0);
	rd_gossip_cfg_init(&cfg, dir);
	cfg.key = &node_key;
	if (listen)
		assert_int_equal(rd_gossip_add_listen(&cfg, "127.0.0.1:0"), 0);
	if (rd_gossip_start(&cfg, &rg, err, sizeof(err)))
		fail_msg("rd_gossip_start: %s", err);
	return rg;
}

static uint64_t update(struct rd_gossip *rg, const struct rd_gossip_lun *l,
		       bool *changed, struct slt *t)
{
	uint8_t blob[RD_GOSSIP_BLOB_MAX];
	const uint8_t *tbl;
	size_t len, tlen;
	uint64_t v = 0;
	char err[256];

	if (rd_gossip_lun_update(rg, l, blob, sizeof(blob), &len, &v, changed,
				 err, sizeof(err)))
		fail_msg("rd_gossip_lun_update: %s", err);
	assert_int_equal(slt_blob_unwrap(blob, len, &tbl, &tlen), 0);
	assert_int_equal(slt_parse(tbl, tlen, t, NULL), 0);
	assert_int_equal(t->version, v);
	/* a table is public: no credential in it */
	assert_null(memmem(blob, len, "s3cret", 6));
	assert_null(memmem(blob, len, "repl", 4));
	return v;
}

static void test_build_sign_bump(void **state)
{
	struct rd_gossip_lun l;
	struct rd_gossip *rg;
	struct nodekey key;
	struct slt t;
	struct stat st;
	char path[512], id[65], hex[65];
	bool changed, created;

	snprintf(dir, sizeof(dir), "/tmp/test_rd_gossip.XXXXXX");
	assert_non_null(mkdtemp(dir));
	rg = start(false);
	lun_cfg(&l, "iscsi://127.0.0.1:3262/iqn.2026-11.org.tgtx:p1/2");
	assert_int_equal(update(rg, &l, &changed, &t), 1);
	assert_true(changed);
	/* signed by the key it was given (STATE_DIR/node.key, 0600) */
	snprintf(path, sizeof(path), "%s/node.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(nodekey_load_or_create(path, &key, &created), 0);
	assert_false(created);
	assert_memory_equal(t.owner_pub, key.pub, SLT_PUB_SIZE);
	rd_gossip_node_id(rg, id);
	hex_encode(key.id, SLT_ID_SIZE, hex);
	assert_string_equal(id, hex);
	nodekey_free(&key);
	/* fields */
	assert_memory_equal(t.uuid, l.uuid, 16);
	assert_string_equal(t.name, "iqn.2026-11.org.tgtx:prim_vol_1:1");
	assert_int_equal(t.k, 2);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.size, 64ULL << 20);
	assert_string_equal(t.shares[0].portal, "127.0.0.1:3261");
	assert_string_equal(t.shares[0].iqn, "iqn.2026-11.org.tgtx:p0");
	assert_int_equal(t.shares[0].lun, 1);
	assert_int_equal(t.shares[0].transport, SLT_TRANSPORT_TLS);
	assert_int_equal(t.shares[0].partner_id[0], 0xbb);
	assert_int_equal(t.shares[1].transport, SLT_TRANSPORT_PLAIN);
	assert_int_equal(t.shares[1].lun, 2);
	assert_string_equal(t.shares[2].portal, "[::1]:3260");
	assert_int_equal(t.shares[2].transport, SLT_TRANSPORT_IPSEC);
	/* the same configuration: same version, nothing re-signed */
	assert_int_equal(update(rg, &l, &changed, &t), 1);
	assert_false(changed);
	/* a peer moved: version 2 */
	lun_cfg(&l, "iscsi://127.0.0.1:3263/iqn.2026-11.org.tgtx:p1/2");
	assert_int_equal(update(rg, &l, &changed, &t), 2);
	assert_true(changed);
	assert_string_equal(t.shares[1].portal, "127.0.0.1:3263");
	rd_gossip_stop(rg);

	/* restart: the version is remembered */
	rg = start(false);
	assert_int_equal(update(rg, &l, &changed, &t), 2);
	assert_false(changed);
	lun_cfg(&l, "iscsi://127.0.0.1:3264/iqn.2026-11.org.tgtx:p1/2");
	assert_int_equal(update(rg, &l, &changed, &t), 3);
	assert_true(changed);
	rd_gossip_stop(rg);
}

/* the saved table lost, gossip's state kept: still a higher version */
static void test_version_above_gossip(void **state)
{
	struct rd_gossip_lun l;
	struct rd_gossip *rg;
	struct slt t;
	char path[512], u[37];
	bool changed;

	rg = start(true);
	lun_cfg(&l, "iscsi://127.0.0.1:3265/iqn.2026-11.org.tgtx:p1/2");
	assert_int_equal(update(rg, &l, &changed, &t), 4);
	rd_gossip_stop(rg); /* saves gossip/state, which holds version 4 */
	slt_uuid_str(l.uuid, u);
	snprintf(path, sizeof(path), "%s/gossip/%s.slt", dir, u);
	assert_int_equal(unlink(path), 0);
	rg = start(true);
	lun_cfg(&l, "iscsi://127.0.0.1:3266/iqn.2026-11.org.tgtx:p1/2");
	assert_int_equal(update(rg, &l, &changed, &t), 5);
	assert_true(changed);
	rd_gossip_stop(rg);
}

static void test_bad_fields(void **state)
{
	static const char *const bad_urls[] = {
		"http://127.0.0.1/iqn.x/1",
		"iscsi://127.0.0.1:3260",
		"iscsi://127.0.0.1:99999/iqn.x/1",
		"iscsi://127.0.0.1/iqn.x/notanumber",
		"iscsi://127.0.0.1//1",
		"iscsi://[::1/iqn.x/1",
	};
	uint8_t blob[RD_GOSSIP_BLOB_MAX];
	struct rd_gossip_lun l;
	struct rd_gossip *rg = start(false);
	char err[256];
	size_t len;

	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		lun_cfg(&l, bad_urls[i]);
		err[0] = 0;
		assert_int_equal(rd_gossip_lun_update(rg, &l, blob,
						      sizeof(blob), &len, NULL,
						      NULL, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "URL"));
	}
	lun_cfg(&l, "iscsi://127.0.0.1/iqn.x/1");
	l.k = 4;
	assert_int_equal(rd_gossip_lun_update(rg, &l, blob, sizeof(blob), &len,
					      NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	lun_cfg(&l, "iscsi://127.0.0.1/iqn.x/1");
	l.peers[0].pin = "xyz";
	assert_int_equal(rd_gossip_lun_update(rg, &l, blob, sizeof(blob), &len,
					      NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "pin"));
	lun_cfg(&l, "iscsi://127.0.0.1/iqn.x/1");
	l.block_size = 1000; /* the encoder's rules apply too */
	assert_int_equal(rd_gossip_lun_update(rg, &l, blob, sizeof(blob), &len,
					      NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	rd_gossip_stop(rg);
}

static void test_options(void **state)
{
	struct rd_gossip_cfg cfg;
	struct rd_gossip *rg = NULL;
	char err[256] = "";

	rd_gossip_cfg_init(&cfg, dir);
	assert_int_equal(rd_gossip_add_listen(&cfg, "[::1]:3270"), 0);
	assert_int_equal(rd_gossip_add_listen(&cfg, "127.0.0.1:x"), -EINVAL);
	assert_int_equal(rd_gossip_add_seed(&cfg, "127.0.0.1:3270"), 0);
	assert_int_equal(rd_gossip_add_seed(
				 &cfg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
				       "bbbbbbbbbbbbbbbbbbbbbbbbbb@[::1]:3270"),
			 0);
	assert_int_equal(rd_gossip_add_seed(&cfg, "bb@127.0.0.1:3270"),
			 -EINVAL);
	assert_int_equal(cfg.nlisten, 1);
	assert_int_equal(cfg.nseeds, 2);
	/* the daemon's key is borrowed, never loaded a second time */
	assert_int_equal(rd_gossip_start(&cfg, &rg, err, sizeof(err)), -EINVAL);
	assert_null(rg);
	assert_non_null(strstr(err, "no node key"));
}

static int cleanup(void **state)
{
	char cmd[300];

	nodekey_free(&node_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_sign_bump),
		cmocka_unit_test(test_version_above_gossip),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}
