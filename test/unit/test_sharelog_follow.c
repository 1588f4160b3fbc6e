// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Following a live log from another process (the replicator's view): a
 * writer handle (the store's path) and a read-only handle in one process.
 * Refresh across rotation and reclaim, the progress file (torn reads, rate
 * limit), the resync handshake with drop epochs (a re-drop during a resync
 * is noticed), and the consistent (generation, data) read with a write
 * racing between the map read and the volume read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "bs_xorshare/codec/xorshare.h"
#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/log/sharelog_priv.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_resync.h"

#define BS	 512
#define NBLK	 6
#define DATA_LEN (NBLK * BS)

struct fx {
	char top[64], dir[80];
	struct sharelog_cfg cfg;
	struct sharelog *w, *r; /* writer (the store), reader (replicator) */
	uint8_t rec[DATA_LEN];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	snprintf(f->top, sizeof(f->top), "/tmp/test-slfollow.XXXXXX");
	assert_non_null(mkdtemp(f->top));
	snprintf(f->dir, sizeof(f->dir), "%s/log", f->top);
	f->cfg.dir = f->dir;
	f->cfg.k = 2;
	f->cfg.n = 3;
	f->cfg.block_size = BS;
	f->cfg.max_rec_len = (uint32_t)sl_record_size(SL_REC_WRITE, NBLK, BS);
	f->cfg.log_size = 8 * 8192; /* 8 segments of two records */
	for (int i = 0; i < 16; i++)
		f->cfg.uuid[i] = (uint8_t)(i + 1);
	if (sharelog_open(&f->w, &f->cfg, err, sizeof(err)))
		fail_msg("open writer: %s", err);
	*state = f;
	return 0;
}

static void open_reader(struct fx *f)
{
	struct sharelog_cfg rc = {.dir = f->dir, .read_only = true};
	char err[256] = "";

	rc.log_size = f->cfg.log_size;
	if (sharelog_open(&f->r, &rc, err, sizeof(err)))
		fail_msg("open reader: %s", err);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	sharelog_close(f->r);
	sharelog_close(f->w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
	assert_int_equal(system(cmd), 0);
	free(f);
	sl_progress_retry_hook = NULL;
	sl_resync_race_hook = NULL;
	return 0;
}

static uint64_t append(struct fx *f, uint64_t lba)
{
	uint64_t seq, gen;

	memset(f->rec, (int)(lba * 7 + 3), sizeof(f->rec));
	assert_int_equal(sharelog_gen_take(f->w, NBLK, &gen), 0);
	assert_int_equal(sharelog_append(f->w, SL_REC_WRITE, lba, NBLK, gen,
					 f->rec, &seq),
			 0);
	return seq;
}

/* Records the reader sees from `from`: count, checks order; -errno. */
static long long read_all(struct sharelog *sl, uint64_t from, uint64_t *last)
{
	struct sl_iter *it;
	const void *rec;
	long long n = 0;
	uint64_t prev = from - 1;
	int ret = sharelog_iter_open(sl, from, &it);

	if (ret)
		return ret;
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;

		sl_record_decode(rec, &h);
		assert_int_equal(h.seq, prev + 1);
		prev = h.seq;
		n++;
	}
	sharelog_iter_close(it);
	if (last)
		*last = prev;
	return ret < 0 ? ret : n;
}

static void test_follow_rotation_reclaim(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	struct sl_iter *it;
	const void *rec;
	uint64_t last = 0;

	for (int i = 0; i < 3; i++)
		append(f, (uint64_t)i);
	open_reader(f);
	assert_int_equal(read_all(f->r, 1, &last), 3);
	/* nothing synced yet: the reader's durable point says so */
	sharelog_get_stats(f->r, &st);
	assert_int_equal(st.last_seq, 3);
	assert_int_equal(st.durable_seq, 0);

	/* one more record in the same (active) segment */
	append(f, 3);
	assert_int_equal(sharelog_refresh(f->r), 0);
	assert_int_equal(read_all(f->r, 1, &last), 4);
	assert_int_equal(last, 4);
	/* an iterator at the end sees what a refresh brings */
	assert_int_equal(sharelog_iter_open(f->r, 5, &it), 0);
	assert_int_equal(sharelog_iter_next(it, &rec), 0);
	for (int i = 4; i < 9; i++) /* rotates across 3 more segments */
		append(f, (uint64_t)i);
	assert_int_equal(sharelog_sync(f->w), 0);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sharelog_refresh(f->r), 0);
	for (uint64_t s = 5; s <= 9; s++) {
		struct sl_rec_hdr h;

		assert_int_equal(sharelog_iter_next(it, &rec), 1);
		sl_record_decode(rec, &h);
		assert_int_equal(h.seq, s);
	}
	assert_int_equal(sharelog_iter_next(it, &rec), 0);
	sharelog_iter_close(it);
	sharelog_get_stats(f->r, &st);
	assert_int_equal(st.last_seq, 9);
	assert_int_equal(st.durable_seq, 9);
	assert_int_equal(read_all(f->r, 1, NULL), 9);

	/* every peer past seq 6: the store frees the first segments */
	for (unsigned p = 0; p < 3; p++)
		assert_int_equal(sharelog_peer_confirm(f->w, p, 6), 0);
	sharelog_get_stats(f->w, &st);
	assert_true(st.first_seq > 1);
	assert_int_equal(sharelog_refresh(f->r), 0);
	sharelog_get_stats(f->r, &st);
	assert_true(st.first_seq > 1);
	/* a freed seq: the peer must be resynced */
	assert_int_equal(read_all(f->r, 1, NULL), -ENOENT);
	assert_int_equal(read_all(f->r, 7, NULL), 3);

	/* freed files are reused as new segments: the reader follows */
	for (int i = 9; i < 30; i++) {
		append(f, (uint64_t)i);
		for (unsigned p = 0; p < 3; p++)
			assert_int_equal(
				sharelog_peer_confirm(f->w, p,
						      sharelog_last_seq(f->w)),
				0);
	}
	assert_int_equal(sharelog_sync(f->w), 0);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sharelog_refresh(f->r), 0);
	sharelog_get_stats(f->r, &st);
	assert_int_equal(st.last_seq, 30);
	assert_int_equal(st.durable_seq, 30);
	assert_int_equal(read_all(f->r, st.first_seq, &last),
			 30 - st.first_seq + 1);
	assert_int_equal(last, 30);
}

/*
 * A reader mid-segment when the store frees and reuses that file (records
 * with new seqs written over the old ones): it must stop, never return a
 * record of the new content as the next one. For every number of appends
 * up to two full cycles of the segment files.
 */
static void test_follow_reused_under_reader(void **state)
{
	struct fx *f = *state;
	char err[256], cmd[128];

	for (int extra = 1; extra <= 32; extra++) {
		struct sl_iter *it;
		const void *rec;
		uint64_t prev = 3;
		int ret;

		sharelog_close(f->r);
		f->r = NULL;
		sharelog_close(f->w);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		assert_int_equal(system(cmd), 0);
		if (sharelog_open(&f->w, &f->cfg, err, sizeof(err)))
			fail_msg("open writer: %s", err);
		for (int i = 0; i < 4; i++)
			append(f, (uint64_t)i);
		open_reader(f);
		/* in the second file: the first one freed is reused last */
		assert_int_equal(sharelog_iter_open(f->r, 3, &it), 0);
		assert_int_equal(sharelog_iter_next(it, &rec), 1);
		for (int i = 0; i < extra; i++) {
			append(f, (uint64_t)(4 + i));
			for (unsigned p = 0; p < 3; p++)
				assert_int_equal(
					sharelog_peer_confirm(
						f->w, p,
						sharelog_last_seq(f->w)),
					0);
		}
		/* no refresh: the old view, the files changed under it */
		while ((ret = sharelog_iter_next(it, &rec)) == 1) {
			struct sl_rec_hdr h;

			sl_record_decode(rec, &h);
			if (h.seq != prev + 1)
				fail_msg("after %d appends: seq %llu after "
					 "%llu",
					 extra, (unsigned long long)h.seq,
					 (unsigned long long)prev);
			prev = h.seq;
		}
		assert_true(ret == 0 || ret == -ENOENT);
		sharelog_iter_close(it);
	}
}

/*
 * tgtxd restarts after a crash: a torn tail is cut and its seqs are handed
 * out again, with other sizes. The reader must drop its old view (new run
 * id), not go on scanning from where the old records ended.
 */
static void test_follow_store_restart(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	char path[160], err[256];
	uint64_t seq, gen, last;
	uint8_t b = 0x55;
	int fd;

	for (int i = 0; i < 3; i++)
		append(f, (uint64_t)i);
	open_reader(f);
	assert_int_equal(read_all(f->r, 1, NULL), 3);
	/* record 3 (first of segment 2) never reached the disk whole */
	sharelog_close(f->w);
	f->w = NULL;
	snprintf(path, sizeof(path), "%s/seg-%016x.sl", f->dir, 2);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &b, 1, SL_SEG_HDR_SIZE + 100), 1);
	close(fd);
	if (sharelog_open(&f->w, &f->cfg, err, sizeof(err)))
		fail_msg("reopen writer: %s", err);
	assert_int_equal(sharelog_last_seq(f->w), 2);
	/* seq 3 again, one block this time, then seq 4 */
	memset(f->rec, 0x77, sizeof(f->rec));
	assert_int_equal(sharelog_gen_take(f->w, 1, &gen), 0);
	assert_int_equal(
		sharelog_append(f->w, SL_REC_WRITE, 40, 1, gen, f->rec, &seq),
		0);
	assert_int_equal(seq, 3);
	append(f, 41);
	assert_int_equal(sharelog_sync(f->w), 0);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sharelog_refresh(f->r), 0);
	sharelog_get_stats(f->r, &st);
	assert_int_equal(st.last_seq, 4);
	assert_int_equal(read_all(f->r, 1, &last), 4);
	assert_int_equal(last, 4);
	{
		struct sl_iter *it;
		const void *rec;
		struct sl_rec_hdr h;

		assert_int_equal(sharelog_iter_open(f->r, 3, &it), 0);
		assert_int_equal(sharelog_iter_next(it, &rec), 1);
		sl_record_decode(rec, &h);
		assert_int_equal(h.lba, 40); /* the new record 3 */
		assert_int_equal(h.nblocks, 1);
		sharelog_iter_close(it);
	}
}

static void test_state_drop_epoch_seen(void **state)
{
	struct fx *f = *state;
	struct sharelog_peer pp;
	unsigned dropped;

	for (int i = 0; i < 3; i++)
		append(f, (uint64_t)i);
	open_reader(f);
	sharelog_get_peer(f->r, 1, &pp);
	assert_false(pp.needs_resync);
	assert_int_equal(pp.drop_epoch, 0);
	assert_int_equal(sharelog_peer_confirm(f->w, 0, 3), 0);
	assert_int_equal(sharelog_peer_confirm(f->w, 2, 3), 0);
	assert_int_equal(sharelog_drop_lagging(f->w, &dropped), 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(sharelog_refresh(f->r), 0);
	sharelog_get_peer(f->r, 1, &pp);
	assert_true(pp.needs_resync);
	assert_int_equal(pp.drop_epoch, 1);
	assert_int_equal(pp.resync_seq, 1);
}

/* ---- progress file ---- */

static int torn_calls;
static char torn_dir[80];

static void write_progress(const char *dir, const struct sl_progress_info *p,
			   bool corrupt)
{
	struct sl_progress raw;
	char path[128];
	int fd;

	sl_progress_encode(&raw, p);
	if (corrupt)
		raw.applied_seq ^= 0x10; /* half of a newer write */
	snprintf(path, sizeof(path), "%s/progress", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &raw, sizeof(raw), 0), sizeof(raw));
	close(fd);
}

/* The store finishes its write while the reader retries. */
static void finish_write(void *arg)
{
	struct sl_progress_info p = {.durable_seq = 5,
				     .applied_seq = 7,
				     .last_seq = 8,
				     .run_id = 42,
				     .pid = 1};

	(void)arg;
	if (++torn_calls == 3)
		write_progress(torn_dir, &p, false);
}

static void test_progress_torn_read_retry(void **state)
{
	struct fx *f = *state;
	struct sl_progress_info p = {.durable_seq = 1, .applied_seq = 2};

	snprintf(torn_dir, sizeof(torn_dir), "%s", f->dir);
	write_progress(f->dir, &p, true);
	torn_calls = 0;
	sl_progress_retry_hook = finish_write;
	memset(&p, 0, sizeof(p));
	assert_int_equal(sharelog_read_progress(f->dir, &p), 0);
	assert_int_equal(torn_calls, 3);
	assert_int_equal(p.durable_seq, 5);
	assert_int_equal(p.applied_seq, 7);
	assert_int_equal(p.last_seq, 8);
	assert_int_equal(p.run_id, 42);

	/* never whole: an error after bounded tries, not a wrong value */
	write_progress(f->dir, &p, true);
	torn_calls = 100;
	assert_int_equal(sharelog_read_progress(f->dir, &p), -EBADMSG);
	sl_progress_retry_hook = NULL;
}

static void test_progress_published(void **state)
{
	struct fx *f = *state;
	struct sl_progress_info p;

	/* written at open */
	assert_int_equal(sharelog_read_progress(f->dir, &p), 0);
	assert_int_equal(p.pid, (uint32_t)getpid());
	assert_int_equal(p.last_seq, 0);
	append(f, 1);
	append(f, 2);
	sharelog_set_applied(f->w, 2);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sharelog_read_progress(f->dir, &p), 0);
	assert_int_equal(p.last_seq, 2);
	assert_int_equal(p.applied_seq, 2);
	assert_int_equal(p.durable_seq, 0);
	/* rate limited: a change within the interval waits */
	f->w->prog_min_ns = 3600ULL * 1000000000ULL;
	assert_int_equal(sharelog_sync(f->w), 0);
	assert_int_equal(sharelog_publish_progress(f->w, false), 0);
	assert_true(sharelog_progress_pending(f->w));
	assert_int_equal(sharelog_read_progress(f->dir, &p), 0);
	assert_int_equal(p.durable_seq, 0);
	f->w->prog_min_ns = 0; /* the interval is over */
	assert_int_equal(sharelog_publish_progress(f->w, false), 0);
	assert_false(sharelog_progress_pending(f->w));
	assert_int_equal(sharelog_read_progress(f->dir, &p), 0);
	assert_int_equal(p.durable_seq, 2);
	/* applied never moves back */
	sharelog_set_applied(f->w, 1);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sharelog_read_progress(f->dir, &p), 0);
	assert_int_equal(p.applied_seq, 2);
}

/* ---- resync handshake ---- */

/* Fills the log with peers 0 and 1 confirming; peer 2 never does. */
static void fill_dropping(struct fx *f, int records)
{
	for (int i = 0; i < records; i++) {
		append(f, (uint64_t)(i % 50));
		assert_int_equal(
			sharelog_peer_confirm(f->w, 0, sharelog_last_seq(f->w)),
			0);
		assert_int_equal(
			sharelog_peer_confirm(f->w, 1, sharelog_last_seq(f->w)),
			0);
	}
}

static void test_resync_handshake(void **state)
{
	struct fx *f = *state;
	struct sharelog_peer pp;
	struct sharelog_stats st;
	uint64_t from, epoch;

	fill_dropping(f, 20); /* 8 segments of 2: peer 2 dropped */
	sharelog_get_peer(f->w, 2, &pp);
	assert_true(pp.needs_resync);
	assert_int_equal(pp.drop_epoch, 1);
	open_reader(f);
	sharelog_get_peer(f->r, 2, &pp);
	assert_true(pp.needs_resync);
	epoch = pp.drop_epoch;
	assert_false(pp.resync_active);

	/* the replicator starts a resync that needs every record >= from */
	from = sharelog_last_seq(f->r) + 1;
	assert_int_equal(sharelog_peer_resync_start(f->r, 2, 0), -EINVAL);
	assert_int_equal(sharelog_peer_resync_start(f->r, 2, 1), -ENOENT);
	assert_int_equal(sharelog_peer_resync_start(f->r, 2, from), 0);
	assert_int_equal(sharelog_reload_cursors(f->w), 0);
	sharelog_get_peer(f->w, 2, &pp);
	assert_true(pp.needs_resync);
	assert_true(pp.resync_active);
	assert_int_equal(pp.resync_from, from);
	/* the store keeps them although the other peers are past them */
	fill_dropping(f, 8);
	sharelog_get_stats(f->w, &st);
	assert_true(st.first_seq <= from);
	sharelog_get_peer(f->w, 2, &pp);
	assert_true(pp.needs_resync);
	assert_int_equal(pp.drop_epoch, epoch);
	assert_int_equal(sharelog_refresh(f->r), 0);
	assert_true(read_all(f->r, from, NULL) > 0);

	/* finished: the store clears the mark at its next reload */
	assert_int_equal(sharelog_peer_resync_finish(
				 f->r, 2, sharelog_last_seq(f->r), epoch),
			 0);
	assert_int_equal(sharelog_reload_cursors(f->w), 0);
	sharelog_get_peer(f->w, 2, &pp);
	assert_false(pp.needs_resync);
	assert_int_equal(pp.cursor, sharelog_last_seq(f->r));
	/* the mark is gone from the state file too */
	assert_int_equal(sharelog_refresh(f->r), 0);
	sharelog_get_peer(f->r, 2, &pp);
	assert_false(pp.needs_resync);
	/* plain confirms from now on end the handshake in the file */
	append(f, 1);
	assert_int_equal(sharelog_refresh(f->r), 0);
	assert_int_equal(
		sharelog_peer_confirm(f->r, 2, sharelog_last_seq(f->r)), 0);
	{
		struct sl_cursor c;

		assert_int_equal(sl_cursor_load(f->dir, 2, &c), 0);
		assert_int_equal(c.flags, 0);
		assert_int_equal(c.seq, sharelog_last_seq(f->r));
	}
}

static void test_resync_redrop_noticed(void **state)
{
	struct fx *f = *state;
	struct sharelog_peer pp;
	uint64_t from, epoch;
	unsigned dropped;

	fill_dropping(f, 20);
	open_reader(f);
	sharelog_get_peer(f->r, 2, &pp);
	epoch = pp.drop_epoch;
	from = sharelog_last_seq(f->r) - 1; /* behind peers 0 and 1 */
	assert_int_equal(sharelog_peer_resync_start(f->r, 2, from), 0);
	assert_int_equal(sharelog_reload_cursors(f->w), 0);

	/* the log fills during the resync: the resyncing peer is the most
	 * lagging holder and is dropped again */
	assert_int_equal(sharelog_drop_lagging(f->w, &dropped), 0);
	assert_int_equal(dropped, 2);
	sharelog_get_peer(f->w, 2, &pp);
	assert_int_equal(pp.drop_epoch, epoch + 1);
	assert_false(pp.resync_active); /* it no longer holds the log */

	/* the replicator finishes the old resync: not accepted */
	append(f, 3);
	assert_int_equal(sharelog_refresh(f->r), 0);
	assert_int_equal(sharelog_peer_resync_finish(
				 f->r, 2, sharelog_last_seq(f->r), epoch),
			 0);
	assert_int_equal(sharelog_reload_cursors(f->w), 0);
	sharelog_get_peer(f->w, 2, &pp);
	assert_true(pp.needs_resync);
	/* and it learns the new epoch, resyncs again, and is accepted */
	assert_int_equal(sharelog_refresh(f->r), 0);
	sharelog_get_peer(f->r, 2, &pp);
	assert_true(pp.needs_resync);
	assert_int_equal(pp.drop_epoch, epoch + 1);
	assert_int_equal(sharelog_peer_resync_start(
				 f->r, 2, sharelog_last_seq(f->r) + 1),
			 0);
	assert_int_equal(sharelog_peer_resync_finish(
				 f->r, 2, sharelog_last_seq(f->r), epoch + 1),
			 0);
	assert_int_equal(sharelog_reload_cursors(f->w), 0);
	sharelog_get_peer(f->w, 2, &pp);
	assert_false(pp.needs_resync);
}

/* A version-2 cursor file (32 bytes) written before the handshake. */
static void test_cursor_v2_read(void **state)
{
	struct fx *f = *state;
	uint8_t raw[SL_CURSOR_V2_SIZE];
	struct sl_cursor c;
	uint32_t v32;
	uint64_t v64;
	char path[128];
	int fd;

	memset(raw, 0, sizeof(raw));
	v32 = htole32(SL_CURSOR_MAGIC);
	memcpy(raw, &v32, 4);
	raw[4] = 2;
	raw[6] = 1;
	v64 = htole64(77);
	memcpy(raw + 8, &v64, 8);
	v32 = htole32(crc32c(0, raw, 28));
	memcpy(raw + 28, &v32, 4);
	snprintf(path, sizeof(path), "%s/peer.1", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, raw, sizeof(raw)), sizeof(raw));
	close(fd);
	assert_int_equal(sl_cursor_load(f->dir, 1, &c), 0);
	assert_int_equal(c.seq, 77);
	assert_int_equal(c.flags, 0);
	raw[9] ^= 1;
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, raw, sizeof(raw)), sizeof(raw));
	close(fd);
	assert_int_equal(sl_cursor_load(f->dir, 1, &c), -EBADMSG);
}

/* ---- consistent resync read ---- */

struct race {
	struct fx *f;
	struct sl_genmap *gm;
	int vol_fd;
	int writes; /* racing writes left */
	uint64_t lba;
	uint64_t gen, seq;
	uint8_t data[BS];
};

/* The store's write path for one block: log, map, volume, progress. */
static void store_write(struct fx *f, struct sl_genmap *gm, int vol_fd,
			uint64_t lba, uint8_t fill, uint64_t *gen,
			uint64_t *seq)
{
	uint8_t b[BS];

	memset(b, fill, sizeof(b));
	assert_int_equal(sharelog_gen_take(f->w, 1, gen), 0);
	assert_int_equal(
		sharelog_append(f->w, SL_REC_WRITE, lba, 1, *gen, b, seq), 0);
	assert_int_equal(sl_genmap_set(gm, lba, 1, *gen), 0);
	assert_int_equal(pwrite(vol_fd, b, BS, (off_t)(lba * BS)), BS);
	sharelog_set_applied(f->w, *seq);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
}

static void racing_write(void *arg)
{
	struct race *r = arg;

	if (!r->writes)
		return;
	r->writes--;
	/* between the reader's map read and its volume read */
	store_write(r->f, r->gm, r->vol_fd, r->lba, (uint8_t)(0x60 + r->writes),
		    &r->gen, &r->seq);
	memset(r->data, 0x60 + r->writes, BS);
}

static void test_consistent_read_race(void **state)
{
	struct fx *f = *state;
	struct sl_genmap *gm_w, *gm_r;
	struct xs_ctx *ctx;
	struct race r;
	uint8_t key[16], *shares, *want;
	uint64_t gens[4], as_of, g, s;
	size_t ssz = xs_share_size(3, BS);
	char err[256], vol[128];
	int wfd, rfd;

	snprintf(vol, sizeof(vol), "%s/vol", f->top);
	wfd = open(vol, O_RDWR | O_CREAT, 0600);
	rfd = open(vol, O_RDONLY);
	assert_true(wfd >= 0 && rfd >= 0);
	assert_int_equal(ftruncate(wfd, 64 * BS), 0);
	assert_int_equal(sl_genmap_open(&gm_w, f->dir, f->cfg.uuid, BS, false,
					err, sizeof(err)),
			 0);
	assert_int_equal(sl_genmap_open(&gm_r, f->dir, f->cfg.uuid, BS, true,
					err, sizeof(err)),
			 0);
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(xs_ctx_new(&ctx, 2, 3, BS, 0), 0);
	assert_int_equal(xs_ctx_set_key(ctx, key), 0);
	shares = calloc(4, ssz);
	want = calloc(4, ssz);
	for (uint64_t lba = 0; lba < 4; lba++)
		store_write(f, gm_w, wfd, 8 + lba, (uint8_t)(0x10 + lba), &g,
			    &s);
	open_reader(f);

	/* quiet: one pass, as of the newest record */
	assert_int_equal(sl_resync_read_consistent(f->r, ctx, gm_r, rfd, 1, 8,
						   4, shares, gens, &as_of),
			 0);
	assert_int_equal(as_of, s);
	assert_int_equal(gens[3], g);

	/* a write lands between the map read and the volume read: the
	 * first pair is (old generation, new data); it must be detected */
	memset(&r, 0, sizeof(r));
	r.f = f;
	r.gm = gm_w;
	r.vol_fd = wfd;
	r.writes = 1;
	r.lba = 9;
	sl_resync_race_hook = racing_write;
	sl_resync_race_arg = &r;
	assert_int_equal(sl_resync_read_consistent(f->r, ctx, gm_r, rfd, 1, 8,
						   4, shares, gens, &as_of),
			 0);
	assert_int_equal(r.writes, 0);
	assert_int_equal(gens[1], r.gen); /* the new pair, read again */
	assert_int_equal(as_of, r.seq);
	assert_int_equal(xs_derive_blocks(ctx, 1, r.gen, r.data, 1, BS, want),
			 0);
	assert_memory_equal(shares + ssz, want, ssz);

	/* a write outside the range does not disturb the read */
	r.writes = 1;
	r.lba = 30;
	assert_int_equal(sl_resync_read_consistent(f->r, ctx, gm_r, rfd, 1, 8,
						   4, shares, gens, &as_of),
			 0);
	assert_true(as_of < r.seq);

	/* writes that never stop hitting the range: -EAGAIN, no share */
	r.writes = 1000;
	r.lba = 10;
	assert_int_equal(sl_resync_read_consistent(f->r, ctx, gm_r, rfd, 1, 8,
						   4, shares, gens, &as_of),
			 -EAGAIN);
	sl_resync_race_hook = NULL;

	/* the store says the map is being repaired: no read at all */
	sharelog_set_progress_flags(f->w, SL_PROG_RELOG);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sl_resync_read_consistent(f->r, ctx, gm_r, rfd, 1, 8,
						   4, shares, gens, &as_of),
			 -EAGAIN);
	sharelog_set_progress_flags(f->w, 0);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	/* not yet applied: waits, then gives up (bounded) */
	assert_int_equal(
		sharelog_append(f->w, SL_REC_UNMAP, 50, 1, 0, NULL, &s), 0);
	assert_int_equal(sharelog_publish_progress(f->w, true), 0);
	assert_int_equal(sl_resync_read_consistent(f->r, ctx, gm_r, rfd, 1, 8,
						   4, shares, gens, &as_of),
			 -EAGAIN);

	xs_ctx_free(ctx);
	free(shares);
	free(want);
	sl_genmap_close(gm_w);
	sl_genmap_close(gm_r);
	close(wfd);
	close(rfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_follow_rotation_reclaim,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_reused_under_reader,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_store_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_drop_epoch_seen,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_torn_read_retry,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_published, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resync_handshake, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resync_redrop_noticed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_v2_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consistent_read_race,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
