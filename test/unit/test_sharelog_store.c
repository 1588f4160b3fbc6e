// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The xorshare store end to end on the event loop: writes land in the volume
 * and in the log (k of the n shares derived from each record give the data
 * back), the generation map agrees with the log and rebuilds every peer's
 * shares from the volume alone (resync), reads see the writes, an unclean
 * stop re-logs the hot extents, the baseline logs a pre-filled or grown
 * volume, bsopts and metadata are checked, VPD 0xC0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs/aio.h"
#include "bs/bs.h"
#include "bs_xorshare/codec/xorshare.h"
#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_resync.h"
#include "bs_xorshare/log/sl_seed.h"
#include "bs_xorshare/store/bs_xorshare.h"
#include "bs_xorshare/store/xs_al.h"
#include "bs_xorshare/store/xs_meta.h"
#include "core/loop.h"
#include "core/strbuf.h"

#define VOL_SIZE (4u << 20)

struct fx {
	char top[64], vol[96], log[96], opts[256];
	struct bs_dev dev;
	const struct bs_ops *ops;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test-xsstore.XXXXXX";
	int fd;

	assert_non_null(mkdtemp(tmpl));
	snprintf(f->top, sizeof(f->top), "%s", tmpl);
	snprintf(f->vol, sizeof(f->vol), "%s/vol.img", tmpl);
	snprintf(f->log, sizeof(f->log), "%s/log", tmpl);
	snprintf(f->opts, sizeof(f->opts), "k=2;n=3;log=%s;log_size=16M",
		 f->log);
	fd = open(f->vol, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VOL_SIZE), 0);
	close(fd);
	f->buf = malloc(VOL_SIZE);
	assert_int_equal(loop_init(), 0);
	f->ops = bs_find("xorshare");
	assert_non_null(f->ops);
	f->dev.block_size = 512;
	f->dev.ops = f->ops;
	snprintf(f->dev.label, sizeof(f->dev.label), "test LUN 1");
	*state = f;
	return 0;
}

static void stop_cb(struct loop_timer *t)
{
	loop_stop();
}

/* Runs the loop for ms milliseconds (lets deferred frees happen). */
static void spin(unsigned ms)
{
	struct loop_timer t;

	loop_timer_init(&t, stop_cb);
	loop_timer_arm(&t, ms);
	loop_run();
	loop_timer_cancel(&t);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->dev.priv) {
		f->ops->close(&f->dev);
		spin(1);
	}
	aio_exit(); /* reads use the aio engine, which lives on this loop */
	loop_exit();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
	assert_int_equal(system(cmd), 0);
	free(f->buf);
	free(f);
	return 0;
}

static int xopen(struct fx *f, const char *opts, char *err, size_t len)
{
	err[0] = '\0';
	return f->ops->open(&f->dev, f->vol, opts, err, len);
}

static void must_open(struct fx *f)
{
	char err[512];
	int ret = xopen(f, f->opts, err, sizeof(err));

	if (ret)
		fail_msg("open: %d %s", ret, err);
	assert_int_equal(f->dev.size, VOL_SIZE);
}

static void xclose(struct fx *f)
{
	f->ops->close(&f->dev);
	spin(1);
}

static void req_done(struct bs_req *r)
{
	*(int *)r->priv = 1;
	loop_stop();
}

static int do_io(struct fx *f, enum bs_op op, uint64_t off, uint64_t len,
		 void *buf, bool fua)
{
	struct bs_req r;
	int done = 0;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.offset = off;
	r.len = len;
	r.buf = buf;
	r.fua = fua;
	r.done = req_done;
	r.priv = &done;
	if (op == BS_FLUSH)
		f->ops->flush(&f->dev, &r);
	else if (op == BS_UNMAP)
		f->ops->unmap(&f->dev, &r);
	else
		f->ops->submit(&f->dev, &r);
	while (!done)
		loop_run();
	return r.result;
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static void show(struct fx *f, struct strbuf *sb)
{
	strbuf_reset(sb);
	f->ops->show(&f->dev, sb, "    ");
}

static void wait_baseline(struct fx *f)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 500; i++) {
		show(f, &sb);
		if (strstr(strbuf_str(&sb), "Baseline: complete"))
			break;
		spin(10);
	}
	assert_non_null(strstr(strbuf_str(&sb), "Baseline: complete"));
	strbuf_free(&sb);
}

#define BS	512
#define NBLOCKS (VOL_SIZE / BS)

static struct xs_ctx *volume_ctx(struct fx *f, unsigned *check)
{
	uint8_t key[XS_KEY_SIZE];
	struct xs_meta m;
	struct xs_ctx *ctx;

	assert_int_equal(xs_meta_load(f->log, &m), 0);
	assert_int_equal(sl_key_load(f->log, m.uuid, key), 0);
	assert_int_equal(xs_ctx_new(&ctx, m.k, m.n, BS,
				    m.check == XS_META_CHECK_SHA256
					    ? XS_F_CHECK_SHA256
					    : 0),
			 0);
	assert_int_equal(xs_ctx_set_key(ctx, key), 0);
	if (check)
		*check = m.check;
	return ctx;
}

/*
 * Plays the peers: derives the 3 shares of every block of every record in
 * log order (peer i keeps share i of the latest record of each block),
 * rebuilds the image from shares (first_share, first_share + 1) and
 * compares it with the volume file; then checks that the generation map
 * names the latest record's generation of every block and that each peer's
 * shares, rebuilt from the volume and the map alone, are bit for bit what
 * the peer holds.
 */
/* GROW records the last check_log_matches_volume() met, and the last's
 * first new block */
static unsigned nr_grow;
static uint64_t grow_lba;

static void check_log_matches_volume(struct fx *f, unsigned first_share)
{
	struct sharelog_cfg cfg;
	struct sharelog_stats st;
	struct sharelog *sl;
	struct sl_genmap *gm;
	struct sl_iter *it;
	struct xs_ctx *ctx = volume_ctx(f, NULL);
	size_t ssz = xs_share_size(3, BS);
	uint8_t *img = calloc(1, VOL_SIZE), *peer[3], *sh[3], blk[BS];
	uint64_t *gens = calloc(NBLOCKS, 8), *mgens = calloc(NBLOCKS, 8);
	uint8_t *rebuilt = malloc(NBLOCKS * ssz);
	const void *rec;
	char err[256];
	int fd, ret;

	for (unsigned i = 0; i < 3; i++) {
		peer[i] = calloc(NBLOCKS, ssz);
		sh[i] = malloc(ssz);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->log;
	cfg.read_only = true;
	nr_grow = 0;
	assert_int_equal(sharelog_open(&sl, &cfg, err, sizeof(err)), 0);
	assert_int_equal(sharelog_iter_open(sl, 1, &it), 0);
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;
		const uint8_t *data = sl_record_data(rec);

		sl_record_decode(rec, &h);
		assert_true(h.lba + h.nblocks <= NBLOCKS);
		if (h.type == SL_REC_GROW) {
			/* no blocks: the volume got larger here */
			assert_int_equal(h.first_gen, 0);
			nr_grow++;
			grow_lba = h.lba;
			continue;
		}
		for (uint32_t j = 0; j < h.nblocks; j++) {
			uint64_t b = h.lba + j;
			const uint8_t *pair[2];
			size_t lens[2] = {ssz, ssz}, got;

			gens[b] = h.type == SL_REC_WRITE ? h.first_gen + j : 0;
			if (h.type == SL_REC_UNMAP) {
				memset(img + b * BS, 0, BS);
				for (unsigned i = 0; i < 3; i++)
					memset(peer[i] + b * ssz, 0, ssz);
				continue;
			}
			assert_int_equal(xs_split_nonce(ctx, h.first_gen + j,
							data + j * BS, BS, sh),
					 0);
			for (unsigned i = 0; i < 3; i++)
				memcpy(peer[i] + b * ssz, sh[i], ssz);
			pair[0] = sh[first_share % 3];
			pair[1] = sh[(first_share + 1) % 3];
			assert_int_equal(
				xs_combine(ctx, pair, lens, 2, blk, BS, &got),
				0);
			assert_int_equal(got, BS);
			memcpy(img + b * BS, blk, BS);
		}
	}
	assert_int_equal(ret, 0);
	sharelog_iter_close(it);
	fd = open(f->vol, O_RDONLY);
	assert_int_equal(pread(fd, f->buf, VOL_SIZE, 0), VOL_SIZE);
	assert_memory_equal(img, f->buf, VOL_SIZE);

	/* the map names each block's latest generation */
	sharelog_get_stats(sl, &st);
	assert_int_equal(sl_genmap_open(&gm, f->log, st.uuid, BS, true, err,
					sizeof(err)),
			 0);
	assert_int_equal(sl_genmap_get(gm, 0, NBLOCKS, mgens), 0);
	assert_memory_equal(gens, mgens, NBLOCKS * 8);
	/* resync: every peer's shares from the volume and the map alone */
	for (unsigned i = 0; i < 3; i++) {
		for (uint64_t b = 0; b < NBLOCKS; b += 2048)
			assert_int_equal(
				sl_resync_shares(ctx, 3, gm, fd, BS, i, b, 2048,
						 rebuilt + b * ssz, mgens + b),
				0);
		assert_memory_equal(rebuilt, peer[i], NBLOCKS * ssz);
	}
	sl_genmap_close(gm);
	close(fd);
	sharelog_close(sl);
	xs_ctx_free(ctx);
	for (unsigned i = 0; i < 3; i++) {
		free(peer[i]);
		free(sh[i]);
	}
	free(img);
	free(gens);
	free(mgens);
	free(rebuilt);
}

static void test_write_read_log(void **state)
{
	struct fx *f = *state;
	uint8_t *w = malloc(3 << 20), *r = malloc(3 << 20);
	struct strbuf sb = STRBUF_INIT;

	must_open(f);
	wait_baseline(f);
	fill(w, 3 << 20, 1);
	/* larger than one record: split into 1 MiB records */
	assert_int_equal(do_io(f, BS_WRITE, 4096, 3 << 20, w, false), 0);
	fill(w, 8192, 2);
	assert_int_equal(do_io(f, BS_WRITE, 512, 8192, w, true), 0);
	assert_int_equal(do_io(f, BS_UNMAP, 1 << 20, 65536, NULL, false), 0);
	assert_int_equal(do_io(f, BS_FLUSH, 0, 0, NULL, false), 0);
	assert_int_equal(do_io(f, BS_READ, 512, 8192, r, false), 0);
	assert_memory_equal(r, w, 8192);
	memset(w, 0, 65536);
	assert_int_equal(do_io(f, BS_READ, 1 << 20, 65536, r, false), 0);
	assert_memory_equal(r, w, 65536);
	/* out of range */
	assert_int_equal(do_io(f, BS_READ, VOL_SIZE - 512, 1024, r, false),
			 -EINVAL);

	show(f, &sb);
	assert_non_null(
		strstr(strbuf_str(&sb), "Protection: xorshare k=2 n=3"));
	/* no replicator ever reported: offline, the store's cursor view */
	assert_non_null(strstr(strbuf_str(&sb),
			       "Peer 2: state=offline (no replicator status) "
			       "acked_seq=0 rpo="));
	assert_non_null(strstr(strbuf_str(&sb), "transport=unknown cursor=0"));
	assert_non_null(strstr(strbuf_str(&sb), "Alert: none"));
	strbuf_free(&sb);
	xclose(f);
	/* every pair of shares rebuilds the same history */
	for (unsigned s = 0; s < 3; s++)
		check_log_matches_volume(f, s);
	free(w);
	free(r);
}

static void wait_show(struct fx *f, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 500; i++) {
		show(f, &sb);
		if (strstr(strbuf_str(&sb), what))
			break;
		spin(10);
	}
	assert_non_null(strstr(strbuf_str(&sb), what));
	strbuf_free(&sb);
}

/*
 * After an unclean stop the volume may hold a change whose record never
 * reached the disk: the extents of the last activity-log transaction are
 * re-logged from the volume, with new generations. Here: a clean stop,
 * then a change written to the volume behind the store's back with its
 * extent marked hot, as a power cut after the volume write would leave.
 */
static void test_relog_after_unclean_stop(void **state)
{
	struct fx *f = *state;
	uint8_t data[4096], *w = malloc(65536);
	uint64_t *hot = NULL;
	uint32_t nr_hot = 0;
	struct xs_meta m;
	struct xs_al *al;
	char err[256];
	int fd;

	must_open(f);
	wait_baseline(f);
	fill(w, 65536, 3);
	assert_int_equal(do_io(f, BS_WRITE, 1 << 20, 65536, w, false), 0);
	xclose(f);
	check_log_matches_volume(f, 0);

	fill(data, sizeof(data), 9);
	fd = open(f->vol, O_RDWR);
	assert_int_equal(pwrite(fd, data, sizeof(data), (1 << 20) + 4096),
			 sizeof(data));
	close(fd);
	assert_int_equal(xs_meta_load(f->log, &m), 0);
	assert_int_equal(xs_al_open(&al, f->log, m.uuid, 1, 16, false, &hot,
				    &nr_hot, err, sizeof(err)),
			 0);
	assert_int_equal(nr_hot, 0); /* the clean stop left it empty */
	xs_al_want(al, 0);
	assert_int_equal(xs_al_commit(al), 0);
	xs_al_close(al);

	must_open(f);
	wait_show(f, "re-log pending=0");
	assert_int_equal(do_io(f, BS_READ, (1 << 20) + 4096, sizeof(data),
			       f->buf, false),
			 0);
	assert_memory_equal(f->buf, data, sizeof(data));
	xclose(f);
	check_log_matches_volume(f, 1);
	free(w);
}

static void write_seed(const char *path, uint64_t nblocks)
{
	static uint64_t gens[NBLOCKS];
	struct sl_seed_range rev = {100, 10};
	struct sl_seed s = {.k = 2,
			    .n = 3,
			    .check = 1,
			    .block_size = BS,
			    .nblocks = nblocks,
			    .size = nblocks * BS,
			    .point_seq = 10,
			    .next_seq = 21,
			    .gen_floor = 1ULL << 40,
			    .held_mask = 3,
			    .gens = gens,
			    .rev = &rev,
			    .nrevert = 1};
	void *buf;
	size_t len;
	int fd;

	for (int i = 0; i < 16; i++) {
		s.uuid[i] = (uint8_t)(0x40 + i);
		s.key[i] = (uint8_t)(0x90 + i);
	}
	for (uint64_t b = 0; b < nblocks; b++)
		gens[b] = b + 1;
	assert_int_equal(sl_seed_encode(&s, &buf, &len), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

/*
 * bsopts reprotect=FILE: a seed of another size is refused and stays
 * unused; the right one makes the log (UUID, key, seqs from next_seq, the
 * reverted extent re-logged with generations from the floor) and is
 * consumed; a second log directory from it is refused; restarts (seed
 * kept or deleted) open the log as it is.
 */
static void test_reprotect_seed(void **state)
{
	struct fx *f = *state;
	char seed[128], small[128], opts[512], err[512];
	struct sharelog_cfg cfg = {.read_only = true};
	struct sharelog *sl;
	struct sl_iter *it;
	const void *rec;
	struct sl_rec_hdr h;
	struct sl_seed s;
	struct xs_meta m;
	uint8_t key[16];
	int fd, n = 0;

	fill(f->buf, VOL_SIZE, 5);
	fd = open(f->vol, O_RDWR);
	assert_int_equal(pwrite(fd, f->buf, VOL_SIZE, 0), VOL_SIZE);
	close(fd);
	snprintf(seed, sizeof(seed), "%s/seed", f->top);
	snprintf(small, sizeof(small), "%s/small.seed", f->top);
	write_seed(seed, NBLOCKS);
	write_seed(small, NBLOCKS / 2);
	snprintf(opts, sizeof(opts), "%s;reprotect=%s", f->opts, small);
	assert_int_not_equal(xopen(f, opts, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "is of a volume of"));
	assert_int_equal(sl_seed_load(small, &s, err, sizeof(err)), 0);
	assert_int_equal(s.flags, 0); /* refused before it was used */
	sl_seed_free(&s);

	snprintf(opts, sizeof(opts), "%s;reprotect=%s", f->opts, seed);
	if (xopen(f, opts, err, sizeof(err)))
		fail_msg("open with the seed: %s", err);
	wait_show(f, "re-log pending=0");
	xclose(f);
	assert_int_equal(sl_seed_load(seed, &s, err, sizeof(err)), 0);
	assert_int_equal(s.flags, SL_SEED_CONSUMED);
	sl_seed_free(&s);
	assert_int_equal(xs_meta_load(f->log, &m), 0);
	assert_int_equal(m.uuid[0], 0x40);
	assert_int_equal(sl_key_load(f->log, m.uuid, key), 0);
	assert_int_equal(key[0], 0x90);
	cfg.dir = f->log;
	assert_int_equal(sharelog_open(&sl, &cfg, err, sizeof(err)), 0);
	assert_int_equal(sharelog_iter_open(sl, 0, &it), 0);
	while (sharelog_iter_next(it, &rec) == 1) {
		sl_record_decode(rec, &h);
		if (!n++)
			assert_int_equal(h.seq, 21);
		assert_int_equal(h.type, SL_REC_WRITE);
		assert_true(h.first_gen >= 1ULL << 40);
	}
	sharelog_iter_close(it);
	sharelog_close(sl);
	assert_true(n > 0); /* extent 0 re-logged */

	snprintf(opts, sizeof(opts), "k=2;n=3;log=%s/log2;reprotect=%s", f->top,
		 seed);
	assert_int_not_equal(xopen(f, opts, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "already used"));
	snprintf(opts, sizeof(opts), "%s;reprotect=%s", f->opts, seed);
	if (xopen(f, opts, err, sizeof(err)))
		fail_msg("restart with the used seed: %s", err);
	xclose(f);
	unlink(seed);
	if (xopen(f, opts, err, sizeof(err)))
		fail_msg("restart with the seed deleted: %s", err);
	xclose(f);
}

/* A volume that grew is protected without a manual step. */
static void test_grown_volume(void **state)
{
	struct fx *f = *state;
	uint8_t *w = malloc(VOL_SIZE / 2);
	int fd;

	/* protected at half its size */
	fd = open(f->vol, O_RDWR);
	assert_int_equal(ftruncate(fd, VOL_SIZE / 2), 0);
	close(fd);
	{
		char err[512];

		assert_int_equal(xopen(f, f->opts, err, sizeof(err)), 0);
	}
	wait_baseline(f);
	xclose(f);
	/* grown, with data in the new half */
	fill(w, VOL_SIZE / 2, 11);
	fd = open(f->vol, O_RDWR);
	assert_int_equal(pwrite(fd, w, VOL_SIZE / 2, VOL_SIZE / 2),
			 VOL_SIZE / 2);
	close(fd);
	must_open(f);
	wait_baseline(f);
	xclose(f);
	check_log_matches_volume(f, 2);
	/* the growth is in the log once, before the new half's records */
	assert_int_equal(nr_grow, 1);
	assert_int_equal(grow_lba, NBLOCKS / 2);
	/* shrinking is refused, and the LUN not opened */
	fd = open(f->vol, O_RDWR);
	assert_int_equal(ftruncate(fd, VOL_SIZE / 4), 0);
	close(fd);
	{
		char err[512] = "";

		assert_int_equal(xopen(f, f->opts, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "shrinking is refused"));
	}
	free(w);
}

static void test_baseline_prefilled(void **state)
{
	struct fx *f = *state;
	int fd = open(f->vol, O_RDWR);

	/* data before protection, and a hole that stays zero */
	fill(f->buf, 2 << 20, 5);
	assert_int_equal(pwrite(fd, f->buf, 2 << 20, 0), 2 << 20);
	close(fd);
	must_open(f);
	wait_baseline(f);
	xclose(f);
	check_log_matches_volume(f, 0);
}

static void test_opts_and_meta(void **state)
{
	struct fx *f = *state;
	char err[512], opts[300];

	assert_int_equal(xopen(f, "k=2;n=3", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "log=DIR"));
	snprintf(opts, sizeof(opts), "k=3;n=2;log=%s", f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	snprintf(opts, sizeof(opts), "log=%s;full=sometimes", f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	snprintf(opts, sizeof(opts), "log=%s;log_size=12Q", f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	snprintf(opts, sizeof(opts), "log=%s;al_extents=2", f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	snprintf(opts, sizeof(opts), "log=%s;colour=blue", f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "colour"));

	must_open(f);
	xclose(f);
	/* different (k,n) than the volume was protected with */
	snprintf(opts, sizeof(opts), "k=3;n=4;log=%s;log_size=16M", f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "force=1"));
	snprintf(opts, sizeof(opts), "k=3;n=4;log=%s;log_size=16M;force=1",
		 f->log);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), 0);
	xclose(f);
	/* a volume inside a share log directory is refused */
	{
		char vol[128];
		int fd;

		snprintf(vol, sizeof(vol), "%s/inside.img", f->log);
		fd = open(vol, O_RDWR | O_CREAT, 0600);
		assert_int_equal(ftruncate(fd, 1 << 20), 0);
		close(fd);
		assert_int_equal(
			f->ops->open(&f->dev, vol, f->opts, err, sizeof(err)),
			-EINVAL);
		assert_non_null(strstr(err, "share log"));
	}
}

/* The check the derived shares of the volume carry. */
static unsigned derived_check(struct fx *f)
{
	unsigned check;
	struct xs_ctx *ctx = volume_ctx(f, &check);
	size_t ssz = xs_share_size(3, BS);
	uint8_t blk[BS], *share = malloc(ssz);
	struct xs_share_info info;

	memset(blk, 1, sizeof(blk));
	assert_int_equal(xs_share_derive(ctx, 5, blk, BS, 1, share), 0);
	assert_int_equal(xs_share_parse(share, ssz, &info), 0);
	assert_int_equal(info.check, check);
	free(share);
	xs_ctx_free(ctx);
	return check;
}

static void test_check_sha256(void **state)
{
	struct fx *f = *state;
	struct strbuf sb = STRBUF_INIT;
	uint8_t *w = malloc(1 << 20);
	char err[512], opts[300];
	struct xs_meta m;

	snprintf(opts, sizeof(opts), "%s;check=md5", f->opts);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "check=md5"));
	snprintf(opts, sizeof(opts), "%s;check=sha256", f->opts);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), 0);
	wait_baseline(f);
	fill(w, 1 << 20, 7);
	assert_int_equal(do_io(f, BS_WRITE, 8192, 1 << 20, w, false), 0);
	show(f, &sb);
	assert_non_null(strstr(strbuf_str(&sb), " check=sha256\n"));
	xclose(f);
	assert_int_equal(xs_meta_load(f->log, &m), 0);
	assert_int_equal(m.check, XS_META_CHECK_SHA256);
	assert_int_equal(derived_check(f), XS_CHECK_SHA256);
	/* SHA-256-checked shares combine back from every pair */
	for (unsigned s = 0; s < 3; s++)
		check_log_matches_volume(f, s);

	/* kept in the metadata: an open without check= stays on sha256 */
	must_open(f);
	show(f, &sb);
	assert_non_null(strstr(strbuf_str(&sb), " check=sha256\n"));
	xclose(f);
	/* switching back changes the shares derived from now on */
	snprintf(opts, sizeof(opts), "%s;check=crc", f->opts);
	assert_int_equal(xopen(f, opts, err, sizeof(err)), 0);
	assert_int_equal(do_io(f, BS_WRITE, 0, 4096, w, true), 0);
	show(f, &sb);
	assert_non_null(strstr(strbuf_str(&sb), " check=crc\n"));
	xclose(f);
	assert_int_equal(derived_check(f), XS_CHECK_CRC4);
	check_log_matches_volume(f, 1);
	strbuf_free(&sb);
	free(w);
}

static void test_vpd(void **state)
{
	struct fx *f = *state;
	uint8_t page[64], plain[64];
	struct xs_meta m;

	must_open(f);
	assert_int_equal(f->ops->nr_vpd_pages, 1);
	assert_int_equal(f->ops->vpd_pages[0], 0xc0);
	assert_int_equal(f->ops->vpd_page(&f->dev, 0xc1, page, sizeof(page)),
			 0);
	assert_int_equal(f->ops->vpd_page(&f->dev, 0xc0, page, sizeof(page)),
			 XS_VPD_LEN);
	assert_int_equal(page[1], 0xc0);
	assert_int_equal(page[3], XS_VPD_LEN - 4);
	assert_int_equal(page[21], 2);
	assert_int_equal(page[22], 3);
	assert_int_equal(xs_meta_load(f->log, &m), 0);
	assert_memory_equal(page + 24, m.uuid, 16);
	assert_true(xorshare_vpd_is_xorshare(page, XS_VPD_LEN));
	assert_false(xorshare_vpd_is_xorshare(page, 10));
	memset(plain, 0, sizeof(plain));
	plain[1] = 0xc0;
	assert_false(xorshare_vpd_is_xorshare(plain, sizeof(plain)));
}

/*
 * The store publishes its progress (applied = every record's volume write
 * and map entries done) and a replicator-side consistent read from outside
 * the store gives the shares the map and the volume name.
 */
static void test_progress_and_outside_read(void **state)
{
	struct fx *f = *state;
	struct sl_progress_info p;
	struct sharelog_cfg cfg;
	struct sharelog_stats st;
	struct sharelog *sl;
	struct sl_genmap *gm;
	struct xs_ctx *ctx;
	size_t ssz = xs_share_size(3, BS);
	uint8_t *a = malloc(64 * ssz), *b = malloc(64 * ssz);
	uint64_t ga[64], gb[64], as_of = 0;
	char err[256];
	int fd, i;

	must_open(f);
	wait_baseline(f);
	fill(f->buf, 64 * BS, 9);
	assert_int_equal(do_io(f, BS_WRITE, 0, 64 * BS, f->buf, false), 0);
	assert_int_equal(do_io(f, BS_WRITE, 8 * BS, 4 * BS, f->buf, false), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->log;
	cfg.read_only = true;
	assert_int_equal(sharelog_open(&sl, &cfg, err, sizeof(err)), 0);
	sharelog_get_stats(sl, &st);
	/* the progress write may be held back up to a few ms */
	for (i = 0; i < 1000; i++) {
		assert_int_equal(sharelog_read_progress(f->log, &p), 0);
		if (p.applied_seq >= st.last_seq)
			break;
		usleep(1000);
	}
	assert_int_equal(p.applied_seq, st.last_seq);
	assert_int_equal(p.last_seq, st.last_seq);
	assert_int_equal(p.pid, (uint32_t)getpid());
	assert_int_equal(p.flags & SL_PROG_RELOG, 0);

	ctx = volume_ctx(f, NULL);
	assert_int_equal(sl_genmap_open(&gm, f->log, st.uuid, BS, true, err,
					sizeof(err)),
			 0);
	fd = open(f->vol, O_RDONLY);
	assert_int_equal(sl_resync_read_consistent(sl, ctx, gm, fd, 2, 0, 64, a,
						   ga, &as_of),
			 0);
	assert_int_equal(as_of, st.last_seq);
	assert_int_equal(sl_resync_shares(ctx, 3, gm, fd, BS, 2, 0, 64, b, gb),
			 0);
	assert_memory_equal(a, b, 64 * ssz);
	assert_memory_equal(ga, gb, sizeof(ga));
	close(fd);
	sl_genmap_close(gm);
	sharelog_close(sl);
	xs_ctx_free(ctx);

	/* a clean stop says so: volume, map and log agree */
	xclose(f);
	assert_int_equal(sharelog_read_progress(f->log, &p), 0);
	assert_true(p.flags & SL_PROG_CLEAN);
	assert_int_equal(p.applied_seq, p.last_seq);
	assert_int_equal(p.durable_seq, p.last_seq);
	free(a);
	free(b);
}

struct metric_seen {
	double state1, rpo1, throttle;
	int n;
};

static void metric_emit(void *arg, const struct bs_metric *m)
{
	struct metric_seen *ms = arg;
	bool p1 = m->label_value && !strcmp(m->label_value, "1");

	ms->n++;
	if (!strcmp(m->name, "xorshare_peer_state") && p1)
		ms->state1 = m->value;
	if (!strcmp(m->name, "xorshare_peer_rpo_seconds") && p1)
		ms->rpo1 = m->value;
	if (!strcmp(m->name, "xorshare_throttle_delay_ms"))
		ms->throttle = m->value;
}

/* The replicator's status file reaches show and the metrics. */
static void test_peer_status_shown(void **state)
{
	struct fx *f = *state;
	struct sl_peer_status_info ps;
	struct strbuf sb = STRBUF_INIT;
	struct metric_seen ms;
	int i;

	must_open(f);
	wait_baseline(f);
	memset(&ps, 0, sizeof(ps));
	ps.state = SL_PS_IN_SYNC;
	ps.transport = SL_PT_TLS;
	ps.rate_bps = 2500000;
	ps.acked_seq = 1000000; /* past every durable record: RPO 0 */
	assert_int_equal(sharelog_write_peer_status(f->log, 1, &ps), 0);
	/* the writer reads the files once a second */
	for (i = 0; i < 300; i++) {
		show(f, &sb);
		if (strstr(strbuf_str(&sb), "Peer 1: state=in-sync"))
			break;
		spin(10);
	}
	assert_non_null(
		strstr(strbuf_str(&sb),
		       "Peer 1: state=in-sync acked_seq=1000000 rpo=0.0s "
		       "rate=2.5MB/s transport=tls cursor=0"));
	assert_non_null(strstr(strbuf_str(&sb), "throttle=80%"));
	memset(&ms, 0, sizeof(ms));
	f->ops->metrics(&f->dev, metric_emit, &ms);
	assert_true(ms.n > 0);
	assert_true(ms.state1 == SL_PS_IN_SYNC);
	assert_true(ms.rpo1 == 0.0);
	assert_true(ms.throttle == 0.0);
	strbuf_free(&sb);
	xclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_relog_after_unclean_stop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_grown_volume, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_baseline_prefilled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_opts_and_meta, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_sha256, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vpd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reprotect_seed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_progress_and_outside_read,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_status_shown, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
