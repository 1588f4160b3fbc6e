// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Held volumes (replicator/rd_hold.c, rd_hold_scan.c, rd_gossip_hold_table):
 * a table read from a share volume's header binds its UUID to the signer on
 * first sight; the bound owner's higher version is accepted, a lower one
 * refused; a table of the UUID signed by another key is refused and never
 * replaces the binding (also after a restart: the bindings file); a bad
 * signature binds nothing; the cap is held, a stale binding gives its slot;
 * the header reader takes the newer valid blob copy, falls back past a torn
 * one, and tells "not a share volume" from "damaged". The scan over a
 * fake tgtxd: more share volumes than the cap are counted (unbound gauge)
 * and logged once, not at every scan; the metrics say what happened.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/crc32c.h"
#include "core/strbuf.h"
#include "mgmt/mgmt_proto.h"
#include "replicator/gossip/nodekey.h"
#include "replicator/gossip/slt.h"
#include "replicator/rd_gossip.h"
#include "replicator/rd_hold.h"
#include "replicator/rd_hold_scan.h"
#include "replicator/sv.h"

static struct nodekey ka, kb, node_key; /* node_key: the daemon's */
static char dir[256];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_rd_hold.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(nodekey_generate(&ka), 0);
	assert_int_equal(nodekey_generate(&kb), 0);
	assert_int_equal(nodekey_generate(&node_key), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	nodekey_free(&ka);
	nodekey_free(&kb);
	nodekey_free(&node_key);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void uuid_of(uint8_t u[16], int n)
{
	for (int i = 0; i < 16; i++)
		u[i] = (uint8_t)(0x10 * n + i);
}

/* a table of volume n, version v, signed by key */
static size_t table(uint8_t *out, const struct nodekey *key, int n, uint64_t v)
{
	struct slt t;
	const char *why = NULL;
	size_t len = 0;

	memset(&t, 0, sizeof(t));
	uuid_of(t.uuid, n);
	t.version = v;
	t.size = 1 << 20;
	t.block_size = 4096;
	t.k = 2;
	t.n = 2;
	snprintf(t.name, sizeof(t.name), "vol%d", n);
	for (int i = 0; i < 2; i++) {
		t.shares[i].transport = SLT_TRANSPORT_PLAIN;
		t.shares[i].lun = 1;
		snprintf(t.shares[i].portal, sizeof(t.shares[i].portal),
			 "127.0.0.1:326%d", i);
		snprintf(t.shares[i].iqn, sizeof(t.shares[i].iqn),
			 "iqn.2026-11.org.tgtx:p%d", i);
	}
	if (slt_encode_sign(&t, key, out, SLT_MAX_SIZE, &len, &why))
		fail_msg("slt_encode_sign: %s", why ? why : "?");
	return len;
}

/* the signature broken, the CRC made right again: only a signature check
 * can tell */
static void break_signature(uint8_t *tbl, size_t len)
{
	uint32_t crc;

	tbl[len - 1] ^= 0x5a;
	crc = htole32(crc32c(0, tbl + 16, len - 16));
	memcpy(tbl + 12, &crc, 4);
}

static void test_binding_rules(void **state)
{
	uint8_t tbl[SLT_MAX_SIZE], owner[SLT_ID_SIZE], u[16];
	struct rd_hold *h = rd_hold_new(8, NULL);
	struct slt t;
	uint64_t seen;
	size_t len;

	assert_non_null(h);
	/* first sight binds to the signer */
	len = table(tbl, &ka, 1, 3);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1000, &t, owner, &seen),
			 RD_HOLD_BOUND);
	assert_memory_equal(owner, ka.id, SLT_ID_SIZE);
	assert_int_equal(seen, 0);
	uuid_of(u, 1);
	assert_true(rd_hold_owner(h, u, owner));
	assert_memory_equal(owner, ka.id, SLT_ID_SIZE);
	/* the same again changes nothing */
	assert_int_equal(rd_hold_offer(h, tbl, len, 1001, NULL, NULL, NULL),
			 RD_HOLD_SAME);
	/* same key, higher version: accepted */
	len = table(tbl, &ka, 1, 4);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1002, &t, NULL, &seen),
			 RD_HOLD_NEWER);
	assert_int_equal(seen, 3);
	/* same key, lower version: refused */
	len = table(tbl, &ka, 1, 2);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1003, NULL, NULL, &seen),
			 RD_HOLD_OLDER);
	assert_int_equal(seen, 4);
	/* another key, any version: refused, the binding kept */
	len = table(tbl, &kb, 1, 99);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1004, &t, owner, NULL),
			 RD_HOLD_OTHER_KEY);
	assert_memory_equal(owner, ka.id, SLT_ID_SIZE);
	assert_memory_equal(t.owner_id, kb.id, SLT_ID_SIZE);
	assert_true(rd_hold_owner(h, u, owner));
	assert_memory_equal(owner, ka.id, SLT_ID_SIZE);
	/* the owner goes on */
	len = table(tbl, &ka, 1, 5);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1005, NULL, NULL, NULL),
			 RD_HOLD_NEWER);
	/* a configured binding (rd_gossip_hold) agrees or is kept */
	assert_int_equal(rd_hold_bind(h, u, ka.id, 1006), 0);
	assert_int_equal(rd_hold_bind(h, u, kb.id, 1006), -EEXIST);
	assert_true(rd_hold_owner(h, u, owner));
	assert_memory_equal(owner, ka.id, SLT_ID_SIZE);
	rd_hold_free(h);
}

static void test_signature_checked(void **state)
{
	uint8_t tbl[SLT_MAX_SIZE], u[16];
	struct rd_hold *h = rd_hold_new(8, NULL);
	struct rd_hold_stats st;
	size_t len;

	assert_non_null(h);
	/* first sight with a broken signature binds nothing */
	len = table(tbl, &kb, 2, 1);
	break_signature(tbl, len);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1, NULL, NULL, NULL),
			 RD_HOLD_BAD);
	uuid_of(u, 2);
	assert_false(rd_hold_owner(h, u, NULL));
	/* so the real owner still binds it */
	len = table(tbl, &ka, 2, 1);
	assert_int_equal(rd_hold_offer(h, tbl, len, 2, NULL, NULL, NULL),
			 RD_HOLD_BOUND);
	/* the bound owner's key in the table, a higher version, but not
	 * its signature: refused, the version held stays */
	len = table(tbl, &ka, 2, 50);
	break_signature(tbl, len);
	assert_int_equal(rd_hold_offer(h, tbl, len, 3, NULL, NULL, NULL),
			 RD_HOLD_BAD);
	len = table(tbl, &ka, 2, 2);
	assert_int_equal(rd_hold_offer(h, tbl, len, 4, NULL, NULL, NULL),
			 RD_HOLD_NEWER);
	/* garbage */
	memset(tbl, 0xee, 200);
	assert_int_equal(rd_hold_offer(h, tbl, 200, 5, NULL, NULL, NULL),
			 RD_HOLD_BAD);
	assert_int_equal(
		rd_hold_offer(h, tbl, SLT_MAX_SIZE + 1, 5, NULL, NULL, NULL),
		RD_HOLD_BAD);
	rd_hold_stats(h, &st);
	assert_int_equal(st.verdicts[RD_HOLD_BAD], 4);
	assert_int_equal(st.count, 1);
	rd_hold_free(h);
}

static void test_cap(void **state)
{
	uint8_t tbl[SLT_MAX_SIZE], u[16];
	struct rd_hold *h = rd_hold_new(2, NULL);
	struct rd_hold_stats st;
	uint64_t t0 = 1000000;
	size_t len;

	assert_non_null(h);
	assert_null(rd_hold_new(0, NULL));
	assert_null(rd_hold_new(RD_HOLD_MAX_CAP + 1, NULL));
	len = table(tbl, &ka, 1, 1);
	assert_int_equal(rd_hold_offer(h, tbl, len, t0, NULL, NULL, NULL),
			 RD_HOLD_BOUND);
	len = table(tbl, &kb, 2, 1);
	assert_int_equal(rd_hold_offer(h, tbl, len, t0, NULL, NULL, NULL),
			 RD_HOLD_BOUND);
	len = table(tbl, &ka, 3, 1);
	assert_int_equal(rd_hold_offer(h, tbl, len, t0 + 1, NULL, NULL, NULL),
			 RD_HOLD_FULL);
	uuid_of(u, 3);
	assert_int_equal(rd_hold_bind(h, u, ka.id, t0 + 1), -ENOSPC);
	rd_hold_stats(h, &st);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.cap, 2);
	/* what is allocated is fixed by the cap, not by what came in */
	assert_true(st.bytes > 0 && st.bytes < 1024);
	/* volume 2 is still seen, volume 1 not: after RD_HOLD_STALE_MS its
	 * slot is given to volume 3, volume 2 is kept */
	len = table(tbl, &kb, 2, 1);
	assert_int_equal(rd_hold_offer(h, tbl, len, t0 + RD_HOLD_STALE_MS, NULL,
				       NULL, NULL),
			 RD_HOLD_SAME);
	len = table(tbl, &ka, 3, 1);
	assert_int_equal(rd_hold_offer(h, tbl, len, t0 + RD_HOLD_STALE_MS + 2,
				       NULL, NULL, NULL),
			 RD_HOLD_BOUND);
	uuid_of(u, 1);
	assert_false(rd_hold_owner(h, u, NULL));
	uuid_of(u, 2);
	assert_true(rd_hold_owner(h, u, NULL));
	rd_hold_stats(h, &st);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.evicted, 1);
	rd_hold_free(h);
}

static void test_persisted(void **state)
{
	uint8_t tbl[SLT_MAX_SIZE], owner[SLT_ID_SIZE], u[16];
	char path[300], bad[310], err[512];
	struct rd_hold *h;
	uint8_t byte;
	struct stat sb;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/held", dir);
	h = rd_hold_new(4, path);
	assert_int_equal(rd_hold_load(h, 1, err, sizeof(err)), -ENOENT);
	len = table(tbl, &ka, 1, 7);
	assert_int_equal(rd_hold_offer(h, tbl, len, 1, NULL, NULL, NULL),
			 RD_HOLD_BOUND);
	rd_hold_free(h);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* after a restart another key is still refused, and the version
	 * seen is remembered */
	h = rd_hold_new(4, path);
	assert_int_equal(rd_hold_load(h, 2, err, sizeof(err)), 0);
	len = table(tbl, &kb, 1, 8);
	assert_int_equal(rd_hold_offer(h, tbl, len, 2, NULL, owner, NULL),
			 RD_HOLD_OTHER_KEY);
	assert_memory_equal(owner, ka.id, SLT_ID_SIZE);
	len = table(tbl, &ka, 1, 6);
	assert_int_equal(rd_hold_offer(h, tbl, len, 2, NULL, NULL, NULL),
			 RD_HOLD_OLDER);
	rd_hold_free(h);
	/* more records than the cap: refused as a whole, moved aside */
	len = table(tbl, &ka, 2, 1);
	h = rd_hold_new(4, path);
	assert_int_equal(rd_hold_load(h, 3, err, sizeof(err)), 0);
	assert_int_equal(rd_hold_offer(h, tbl, len, 3, NULL, NULL, NULL),
			 RD_HOLD_BOUND);
	rd_hold_free(h);
	h = rd_hold_new(1, path);
	assert_int_equal(rd_hold_load(h, 4, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, ".bad"));
	rd_hold_free(h);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	assert_int_equal(rename(bad, path), 0);
	/* one flipped byte: refused as a whole */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, 40), 1);
	byte ^= 0x01;
	assert_int_equal(pwrite(fd, &byte, 1, 40), 1);
	close(fd);
	h = rd_hold_new(4, path);
	assert_int_equal(rd_hold_load(h, 5, err, sizeof(err)), -EBADMSG);
	uuid_of(u, 1);
	assert_false(rd_hold_owner(h, u, NULL));
	rd_hold_free(h);
	unlink(bad);
}

/* ---- the header reader ---- */

static struct sv_info mkvol(const char *path, int n, unsigned index)
{
	struct sv_params p = {0};
	struct sv_status st;
	struct sv_info info;
	uint8_t sb[512];
	int fd;

	uuid_of(p.uuid, n);
	p.k = 2;
	p.n = 2;
	p.index = index;
	p.block_size = 4096;
	p.nblocks = 16;
	p.align = 512;
	p.journal_len = 1 << 20;
	p.live_mask = 3;
	assert_int_equal(sv_layout_init(&info, &p, 1, &st), 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)sv_layout_end(&info)), 0);
	sv_super_encode(&info, sb);
	assert_int_equal(pwrite(fd, sb, sizeof(sb),
				(off_t)(info.gen % 2) * SV_SUPER_AREA),
			 (ssize_t)sizeof(sb));
	close(fd);
	return info;
}

static void put_blob(const char *path, const struct sv_info *info, uint64_t gen,
		     const uint8_t *tbl, size_t len)
{
	static uint8_t area[SV_BLOB_AREA];
	uint8_t blob[RD_GOSSIP_BLOB_MAX];
	size_t blen;
	int fd;

	assert_int_equal(slt_blob_wrap(tbl, len, blob, sizeof(blob), &blen), 0);
	assert_int_equal(sv_blob_encode(info, area, sizeof(area),
					SV_BLOB_LOCATIONS, gen, blob,
					(uint32_t)blen),
			 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, area, sizeof(area),
				(off_t)sv_blob_off(SV_BLOB_LOCATIONS, gen % 2)),
			 (ssize_t)sizeof(area));
	close(fd);
}

static void test_read_header(void **state)
{
	uint8_t *scratch = malloc(RD_HOLD_SCRATCH), tbl[SLT_MAX_SIZE],
		got[SLT_MAX_SIZE];
	char path[300], why[256];
	struct sv_info info, rinfo;
	size_t len, glen = 0;
	uint32_t hostile;
	int fd;

	assert_non_null(scratch);
	snprintf(path, sizeof(path), "%s/lun.img", dir);
	/* not a share volume: zeroes */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	close(fd);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 -ENOENT);
	/* a share volume without a table yet */
	info = mkvol(path, 1, 1);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 -ENOENT);
	/* version 1 in copy 1, version 2 in copy 0: the newer wins */
	len = table(tbl, &ka, 1, 1);
	put_blob(path, &info, 1, tbl, len);
	len = table(tbl, &ka, 1, 2);
	put_blob(path, &info, 2, tbl, len);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 0);
	assert_int_equal(glen, len);
	assert_memory_equal(got, tbl, len);
	assert_int_equal(rinfo.index, 1);
	/* copy 0 torn in the middle of the write (payload CRC): copy 1 */
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\xff\xff", 2,
				(off_t)sv_blob_off(SV_BLOB_LOCATIONS, 0) + 200),
			 2);
	close(fd);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 0);
	assert_int_equal(slt_peek_version(got), 1);
	/* both torn: damaged, try later */
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\xff\xff", 2,
				(off_t)sv_blob_off(SV_BLOB_LOCATIONS, 1) + 200),
			 2);
	close(fd);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "CRC"));
	/* a hostile length in a blob header is refused before any use */
	len = table(tbl, &ka, 1, 3);
	put_blob(path, &info, 3, tbl, len);
	hostile = htole32(0x7fffffff);
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, &hostile, 4,
				(off_t)sv_blob_off(SV_BLOB_LOCATIONS, 1) + 32),
			 4);
	close(fd);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 -EBADMSG);
	/* a table of another volume in this volume's header */
	len = table(tbl, &ka, 9, 4);
	put_blob(path, &info, 4, tbl, len);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "another volume"));
	/* a FIFO is not read (and does not hang the open) */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(rd_hold_read_header(path, scratch, got, sizeof(got),
					     &glen, &rinfo, why, sizeof(why)),
			 -ENOENT);
	unlink(path);
	free(scratch);
}

/* rd_gossip: the verdicts name the LUN and both keys; bindings survive a
 * restart of the daemon's gossip glue. */
static void test_gossip_glue(void **state)
{
	uint8_t tbl[SLT_MAX_SIZE], u[16];
	struct rd_gossip_cfg cfg;
	struct rd_gossip *rg = NULL;
	char err[256], msg[1024], a[65], b[65], pin[65];
	size_t len;

	hex_encode(ka.id, SLT_ID_SIZE, a);
	hex_encode(kb.id, SLT_ID_SIZE, b);
	rd_gossip_cfg_init(&cfg, dir);
	cfg.key = &node_key;
	assert_int_equal(rd_gossip_add_listen(&cfg, "127.0.0.1:0"), 0);
	if (rd_gossip_start(&cfg, &rg, err, sizeof(err)))
		fail_msg("rd_gossip_start: %s", err);
	len = table(tbl, &ka, 5, 1);
	assert_int_equal(
		rd_gossip_hold_table(rg, "LUN t/1", tbl, len, msg, sizeof(msg)),
		RD_HOLD_BOUND);
	assert_non_null(strstr(msg, "LUN t/1"));
	assert_non_null(strstr(msg, a));
	assert_int_equal(
		rd_gossip_hold_table(rg, "LUN t/1", tbl, len, msg, sizeof(msg)),
		RD_HOLD_SAME);
	rd_gossip_stop(rg);
	rg = NULL;
	if (rd_gossip_start(&cfg, &rg, err, sizeof(err)))
		fail_msg("rd_gossip_start: %s", err);
	len = table(tbl, &kb, 5, 2);
	assert_int_equal(
		rd_gossip_hold_table(rg, "LUN t/1", tbl, len, msg, sizeof(msg)),
		RD_HOLD_OTHER_KEY);
	assert_non_null(strstr(msg, "REFUSED"));
	assert_non_null(strstr(msg, "LUN t/1"));
	assert_non_null(strstr(msg, a));
	assert_non_null(strstr(msg, b));
	/* a configured binding to another owner is refused too */
	uuid_of(u, 5);
	assert_int_equal(rd_gossip_hold(rg, u, b), -EEXIST);
	assert_int_equal(rd_gossip_hold(rg, u, a), 0);
	uuid_of(u, 6);
	hex_encode(kb.id, SLT_ID_SIZE, pin);
	assert_int_equal(rd_gossip_hold(rg, u, pin), 0);
	assert_int_equal(rd_gossip_hold(rg, u, "zz"), -EINVAL);
	len = table(tbl, &ka, 6, 1);
	assert_int_equal(
		rd_gossip_hold_table(rg, "LUN t/2", tbl, len, msg, sizeof(msg)),
		RD_HOLD_OTHER_KEY);
	rd_gossip_stop(rg);
}

/* ---- the scan over a fake tgtxd control socket ---- */

struct fake_tgtxd {
	int lfd;
	const char *conf;
	volatile int stop;
	pthread_t th;
};

/* answers every request with conf as the dump (the client half-closes) */
static void *fake_serve(void *arg)
{
	struct fake_tgtxd *f = arg;

	while (!f->stop) {
		struct pollfd pfd = {.fd = f->lfd, .events = POLLIN};
		struct strbuf out = STRBUF_INIT;
		char buf[4096];
		int c;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		c = accept(f->lfd, NULL, NULL);
		if (c < 0)
			continue;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		mgmt_resp_encode(&out, 0, f->conf, strlen(f->conf));
		if (write(c, strbuf_str(&out), out.len) != (ssize_t)out.len)
			fprintf(stderr, "fake tgtxd: short write\n");
		strbuf_free(&out);
		close(c);
	}
	return NULL;
}

static unsigned long metric_val(const char *text, const char *name)
{
	char key[200];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key);
	if (!p)
		fail_msg("no metric %s in:\n%s", name, text);
	return strtoul(p + strlen(key), NULL, 10);
}

static void render(struct rd_gossip *rg, struct rd_hold_scan *hs,
		   struct strbuf *out)
{
	strbuf_free(out);
	strbuf_addf(out, "\n");
	rd_gossip_metrics(rg, out);
	rd_hold_scan_metrics(hs, out);
	assert_false(out->oom);
}

static unsigned count_in_file(const char *path, const char *needle)
{
	static char text[1 << 20];
	unsigned n = 0;
	ssize_t len;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_true(len >= 0);
	text[len] = '\0';
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_scan_cap_metrics(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct strbuf conf = STRBUF_INIT, m = STRBUF_INIT;
	struct fake_tgtxd f = {0};
	struct rd_gossip_cfg cfg;
	struct rd_gossip *rg = NULL;
	struct rd_hold_scan *hs = NULL;
	struct rd_hold_scan_cfg hc = {0};
	char sdir[300], path[300], logf[300], err[256];
	uint8_t tbl[SLT_MAX_SIZE];
	int saved;

	/* 4 share volumes of 4 owners' volumes, a cap of 2 bindings */
	strbuf_addf(&conf, "<target iqn.2026-11.org.tgtx:held>\n");
	for (int i = 0; i < 4; i++) {
		struct sv_info info;

		snprintf(path, sizeof(path), "%s/held%d.img", dir, i);
		info = mkvol(path, 30 + i, 0);
		put_blob(path, &info, 1, tbl, table(tbl, &ka, 30 + i, 1));
		strbuf_addf(&conf, "    backing-store %s\n", path);
	}
	strbuf_addf(&conf, "</target>\n");
	assert_true(strlen(dir) + 5 < sizeof(sun.sun_path));
	memcpy(sun.sun_path, dir, strlen(dir));
	memcpy(sun.sun_path + strlen(dir), "/ctl", 5);
	f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f.lfd >= 0);
	assert_int_equal(bind(f.lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f.lfd, 8), 0);
	f.conf = strbuf_str(&conf);
	assert_int_equal(pthread_create(&f.th, NULL, fake_serve, &f), 0);

	snprintf(sdir, sizeof(sdir), "%s/scan", dir);
	assert_int_equal(mkdir(sdir, 0700), 0);
	rd_gossip_cfg_init(&cfg, sdir);
	cfg.key = &node_key;
	cfg.hold_max = 2;
	if (rd_gossip_start(&cfg, &rg, err, sizeof(err)))
		fail_msg("rd_gossip_start: %s", err);
	/* the scan's log lines, to count them */
	snprintf(logf, sizeof(logf), "%s/scan.log", dir);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(freopen(logf, "w", stderr) != NULL);
	hc.sock = sun.sun_path;
	hc.rg = rg;
	hc.interval_ms = 20;
	assert_int_equal(rd_hold_scan_start(&hc, &hs), 0);
	for (int i = 0; i < 6000; i++) { /* up to a minute */
		render(rg, hs, &m);
		if (metric_val(strbuf_str(&m),
			       "tgtx_replicd_hold_scans_total") >= 5)
			break;
		usleep(10000);
	}
	assert_true(metric_val(strbuf_str(&m),
			       "tgtx_replicd_held_volumes_unbound") == 2);
	assert_true(
		metric_val(
			strbuf_str(&m),
			"tgtx_replicd_hold_scan_errors_total{kind=\"read\"}") ==
		0);
	rd_hold_scan_stop(hs);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	f.stop = 1;
	pthread_join(f.th, NULL);
	close(f.lfd);

	render(rg, NULL, &m);
	assert_true(metric_val(strbuf_str(&m), "tgtx_replicd_held_volumes") ==
		    2);
	assert_true(metric_val(strbuf_str(&m),
			       "tgtx_replicd_held_volumes_cap") == 2);
	assert_true(
		metric_val(
			strbuf_str(&m),
			"tgtx_replicd_held_tables_total{verdict=\"bound\"}") ==
		2);
	/* the 3rd and 4th volumes at every scan: counted, not bound */
	assert_true(
		metric_val(
			strbuf_str(&m),
			"tgtx_replicd_held_tables_total{verdict=\"full\"}") >=
		10);
	/* every scan found the same 2 unbound volumes: one log line */
	assert_int_equal(count_in_file(logf, "share volume(s) found not bound"),
			 1);
	assert_int_equal(count_in_file(logf, "2 share volume(s) found not "
					     "bound, the first: LUN "
					     "iqn.2026-11.org.tgtx:held/"),
			 1);
	assert_int_equal(count_in_file(logf, "is the cap"), 1);
	rd_gossip_stop(rg);
	strbuf_free(&m);
	strbuf_free(&conf);
}

static void test_scan_metrics_no_tgtxd(void **state)
{
	struct strbuf m = STRBUF_INIT;
	struct rd_gossip_cfg cfg;
	struct rd_gossip *rg = NULL;
	struct rd_hold_scan *hs = NULL;
	struct rd_hold_scan_cfg hc = {0};
	char sdir[300], sock[300], err[256];
	unsigned long cfgerr = 0;

	snprintf(sdir, sizeof(sdir), "%s/scan2", dir);
	assert_int_equal(mkdir(sdir, 0700), 0);
	snprintf(sock, sizeof(sock), "%s/no-such-socket", dir);
	rd_gossip_cfg_init(&cfg, sdir);
	cfg.key = &node_key;
	if (rd_gossip_start(&cfg, &rg, err, sizeof(err)))
		fail_msg("rd_gossip_start: %s", err);
	hc.sock = sock;
	hc.rg = rg;
	hc.interval_ms = 20;
	assert_int_equal(rd_hold_scan_start(&hc, &hs), 0);
	for (int i = 0; i < 6000 && cfgerr < 3; i++) {
		render(rg, hs, &m);
		cfgerr = metric_val(
			strbuf_str(&m),
			"tgtx_replicd_hold_scan_errors_total{kind=\"config\"}");
		usleep(10000);
	}
	assert_true(cfgerr >= 3);
	assert_int_equal(
		metric_val(strbuf_str(&m), "tgtx_replicd_hold_scans_total"), 0);
	assert_int_equal(
		metric_val(strbuf_str(&m),
			   "tgtx_replicd_hold_scan_last_complete_seconds"),
		0);
	assert_int_equal(
		metric_val(strbuf_str(&m), "tgtx_replicd_hold_read_overdue"),
		0);
	assert_int_equal(
		metric_val(strbuf_str(&m), "tgtx_replicd_held_volumes"), 0);
	rd_hold_scan_stop(hs);
	rd_gossip_stop(rg);
	strbuf_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binding_rules),
		cmocka_unit_test(test_signature_checked),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_persisted),
		cmocka_unit_test(test_read_header),
		cmocka_unit_test(test_gossip_glue),
		cmocka_unit_test(test_scan_cap_metrics),
		cmocka_unit_test(test_scan_metrics_no_tgtxd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
