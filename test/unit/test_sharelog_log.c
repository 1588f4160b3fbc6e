// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share log: append and read back, reopen, torn tails, segment rotation and
 * reclaim, the two log-full policies, cursor persistence, generations that
 * never repeat across restarts, the generation map, old formats refused.
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
#include <sys/stat.h>
#include <unistd.h>

#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/log/sl_genmap.h"

#define NBLK	 6 /* blocks of 512 bytes per test record */
#define DATA_LEN (NBLK * 512)

struct fx {
	char dir[64];
	struct sharelog_cfg cfg;
	struct sharelog *sl;
	uint8_t *rec;
};

static int rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test-sharelog.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	snprintf(f->dir, sizeof(f->dir), "%s/log", tmpl);
	f->cfg.dir = f->dir;
	f->cfg.k = 2;
	f->cfg.n = 3;
	f->cfg.block_size = 512;
	f->cfg.max_rec_len = (uint32_t)sl_record_size(SL_REC_WRITE, NBLK, 512);
	/*
	 * Segments are at least two records (rounded to 4 KiB): 8 KiB here,
	 * so 8 segments of two records each.
	 */
	f->cfg.log_size = 8 * 8192;
	for (int i = 0; i < 16; i++)
		f->cfg.uuid[i] = (uint8_t)(i + 1);
	f->rec = malloc(f->cfg.max_rec_len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char top[64];

	sharelog_close(f->sl);
	snprintf(top, sizeof(top), "%s", f->dir);
	*strrchr(top, '/') = '\0';
	rm_rf(top);
	free(f->rec);
	free(f);
	return 0;
}

static void do_open(struct fx *f)
{
	char err[256] = "";
	int ret = sharelog_open(&f->sl, &f->cfg, err, sizeof(err));

	if (ret)
		fail_msg("sharelog_open: %d %s", ret, err);
}

static void reopen(struct fx *f)
{
	sharelog_close(f->sl);
	f->sl = NULL;
	do_open(f);
}

/* Record at LBA tag whose data is a pattern derived from tag. */
static int append_tagged(struct fx *f, uint64_t tag, uint64_t *seq)
{
	memset(f->rec, (int)(tag * 3 + 1), DATA_LEN);
	return sharelog_append(f->sl, SL_REC_WRITE, tag, NBLK, 1000 + tag,
			       f->rec, seq);
}

static uint64_t count_records(struct fx *f, uint64_t from, uint64_t *first,
			      uint64_t *last)
{
	struct sl_iter *it;
	const void *rec;
	uint64_t n = 0, prev = 0;
	int ret;

	assert_int_equal(sharelog_iter_open(f->sl, from, &it), 0);
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;

		sl_record_decode(rec, &h);
		if (prev)
			assert_int_equal(h.seq, prev + 1);
		else if (first)
			*first = h.seq;
		prev = h.seq;
		if (h.type == SL_REC_WRITE) {
			/* the record carries what was appended for its tag */
			uint64_t tag = h.lba;
			const uint8_t *s = sl_record_data(rec);

			assert_int_equal(s[0], (uint8_t)(tag * 3 + 1));
			assert_int_equal(s[DATA_LEN - 1],
					 (uint8_t)(tag * 3 + 1));
			assert_int_equal(h.first_gen, 1000 + tag);
		}
		n++;
	}
	assert_int_equal(ret, 0);
	if (last)
		*last = prev;
	sharelog_iter_close(it);
	return n;
}

static void test_append_replay(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t seq, first, last;

	do_open(f);
	for (uint64_t i = 1; i <= 5; i++) {
		assert_int_equal(append_tagged(f, i, &seq), 0);
		assert_int_equal(seq, i);
	}
	assert_int_equal(
		sharelog_append(f->sl, SL_REC_UNMAP, 0, 2048, 0, NULL, &seq),
		0);
	assert_int_equal(seq, 6);
	assert_int_equal(sharelog_sync(f->sl), 0);
	assert_int_equal(count_records(f, 1, &first, &last), 6);
	assert_int_equal(first, 1);
	assert_int_equal(last, 6);
	assert_int_equal(count_records(f, 4, &first, NULL), 3);
	assert_int_equal(first, 4);

	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 6);
	assert_int_equal(st.first_seq, 1);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(count_records(f, 1, NULL, NULL), 6);
	/* numbering goes on, never reused */
	assert_int_equal(append_tagged(f, 7, &seq), 0);
	assert_int_equal(seq, 7);
}

static char *active_segment(struct fx *f)
{
	static char path[128];
	char cmd[160];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s/seg-*.sl | tail -1", f->dir);
	p = popen(cmd, "r");
	assert_non_null(fgets(path, sizeof(path), p));
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	return path;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_torn_tail(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t seq, rec_len = sl_record_size(SL_REC_WRITE, NBLK, 512);
	uint64_t good = SL_SEG_HDR_SIZE + rec_len; /* end of record 3 */
	static const uint8_t zero[4096];
	char *seg;
	int fd;

	do_open(f);
	assert_int_equal(append_tagged(f, 1, &seq), 0);
	assert_int_equal(append_tagged(f, 2, &seq), 0);
	assert_int_equal(append_tagged(f, 3, &seq), 0);
	assert_int_equal(sharelog_sync(f->sl), 0);
	/* records 1-2 fill segment 1; 3 opens segment 2 */
	seg = active_segment(f);
	assert_non_null(strstr(seg, "seg-0000000000000002.sl"));
	/* preallocated once at full size: the zeroes after are free space */
	assert_true(file_size(seg) >= 8192);
	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 3);
	assert_int_equal(st.torn_bytes, 0);
	assert_string_equal(sharelog_alert(f->sl), "");
	assert_int_equal(append_tagged(f, 4, &seq), 0);
	sharelog_close(f->sl);
	f->sl = NULL;

	/* only the header and part of the data of record 4 reached the disk */
	fd = open(seg, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zero, rec_len - 300, good + 300),
			 (ssize_t)(rec_len - 300));
	close(fd);
	do_open(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 3);
	assert_int_equal(st.torn_bytes, rec_len);
	assert_string_not_equal(sharelog_alert(f->sl), "");
	/* the lost seq is handed out again: it was never durable */
	assert_int_equal(append_tagged(f, 4, &seq), 0);
	assert_int_equal(seq, 4);
	assert_int_equal(sharelog_sync(f->sl), 0);
	sharelog_close(f->sl);
	f->sl = NULL;

	/* a complete-looking last record with a flipped data byte */
	fd = open(seg, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, good + rec_len - 100), 1);
	close(fd);
	do_open(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 3);
	assert_int_equal(count_records(f, 1, NULL, NULL), 3);
	reopen(f);

	/* garbage after the last record */
	sharelog_close(f->sl);
	f->sl = NULL;
	fd = open(seg, O_RDWR);
	assert_int_equal(pwrite(fd, "garbage!garbage!", 16, good), 16);
	close(fd);
	do_open(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 3);
	assert_true(st.torn_bytes > 0);
	/* the rest of the segment was cleared: no stale record comes back */
	assert_int_equal(append_tagged(f, 4, &seq), 0);
	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 4);
	assert_int_equal(st.torn_bytes, 0);
}

static void test_corrupt_middle_refused(void **state)
{
	struct fx *f = *state;
	char path[128], err[256];
	uint64_t seq;
	int fd;

	do_open(f);
	for (int i = 1; i <= 12; i++)
		assert_int_equal(append_tagged(f, (uint64_t)i, &seq), 0);
	sharelog_close(f->sl);
	f->sl = NULL;
	/* the first segment is complete: damage there is corruption */
	snprintf(path, sizeof(path), "%s/seg-%016x.sl", f->dir, 1);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, 200), 1);
	close(fd);
	assert_int_equal(sharelog_open(&f->sl, &f->cfg, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "corrupt"));
	assert_null(f->sl);
}

static void test_rotation_and_reclaim(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t seq, first;

	do_open(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.max_segments, 8);
	/* two records per segment */
	for (uint64_t i = 1; i <= 6; i++)
		assert_int_equal(append_tagged(f, i, &seq), 0);
	sharelog_get_stats(f->sl, &st);
	assert_true(st.nr_segments >= 2);
	uint32_t before = st.nr_segments;

	/* nothing is freed while any peer lags */
	assert_int_equal(sharelog_peer_confirm(f->sl, 0, 6), 0);
	assert_int_equal(sharelog_peer_confirm(f->sl, 1, 6), 0);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.nr_segments, before);
	assert_int_equal(sharelog_peer_confirm(f->sl, 2, 4), 0);
	sharelog_get_stats(f->sl, &st);
	assert_true(st.nr_segments < before);
	assert_true(st.first_seq <= 5);
	uint64_t nrec = count_records(f, 0, &first, NULL);

	assert_int_equal(nrec, 6 - first + 1);
	/* confirming beyond the log is refused */
	assert_int_equal(sharelog_peer_confirm(f->sl, 2, 99), -ERANGE);

	/* after reopen the same records are there */
	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.first_seq, first);
	assert_int_equal(st.last_seq, 6);
	assert_int_equal(st.durable_seq, 6);
}

static void fill_until(struct fx *f, int want, uint64_t *last)
{
	int ret;

	for (uint64_t i = 1; i < 1000; i++) {
		ret = append_tagged(f, i, last);
		if (ret == want)
			return;
		assert_int_equal(ret, 0);
	}
	fail_msg("log never reported %d", want);
}

/*
 * Generations are reserved ahead durably: whatever a crash loses, the next
 * start never hands out one that may have been used.
 */
static void test_gen_reservation(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t first, first2;

	do_open(f);
	assert_int_equal(sharelog_gen_take(f->sl, 5, &first), 0);
	assert_true(first >= 1);
	assert_int_equal(sharelog_gen_take(f->sl, 3, &first2), 0);
	assert_int_equal(first2, first + 5);
	sharelog_get_stats(f->sl, &st);
	assert_true(st.gen_reserved >= first2 + 3);
	/* "crash": no record says which generations were used */
	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_true(st.next_gen >= first2 + 3);
	assert_int_equal(sharelog_gen_take(f->sl, 1, &first), 0);
	assert_true(first >= first2 + 3);
	/* past the reservation: it moves ahead first */
	assert_int_equal(sharelog_gen_take(f->sl, 1ULL << 25, &first), 0);
	sharelog_get_stats(f->sl, &st);
	assert_true(st.gen_reserved >= first + (1ULL << 25));
	reopen(f);
	assert_int_equal(sharelog_gen_take(f->sl, 1, &first2), 0);
	assert_true(first2 >= first + (1ULL << 25));
}

static void test_full_block(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t last = 0, seq;

	f->cfg.full = SL_FULL_BLOCK;
	do_open(f);
	fill_until(f, -ENOSPC, &last);
	/* still full, nothing dropped */
	assert_int_equal(append_tagged(f, 1, &seq), -ENOSPC);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.resync_mask, 0);
	assert_int_equal(st.drops, 0);
	assert_true(st.used_bytes <= st.log_size);
	/* the replicator catches up: space comes back */
	for (unsigned p = 0; p < 3; p++)
		assert_int_equal(sharelog_peer_confirm(f->sl, p, last), 0);
	assert_int_equal(append_tagged(f, 1, &seq), 0);
	assert_int_equal(seq, last + 1);
}

static void test_full_drop_lagging(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	struct sharelog_peer pi;
	uint64_t seq;

	do_open(f);
	/* peers 0 and 2 keep up, peer 1 stalls at seq 2 */
	for (uint64_t i = 1; i <= 40; i++) {
		assert_int_equal(append_tagged(f, i, &seq), 0);
		assert_int_equal(sharelog_peer_confirm(f->sl, 0, seq), 0);
		assert_int_equal(sharelog_peer_confirm(f->sl, 2, seq), 0);
		if (seq <= 2)
			assert_int_equal(sharelog_peer_confirm(f->sl, 1, seq),
					 0);
		sharelog_get_stats(f->sl, &st);
		assert_true(st.used_bytes <= st.log_size);
	}
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.resync_mask, 1U << 1);
	assert_int_equal(st.drops, 1);
	assert_non_null(strstr(sharelog_alert(f->sl), "peer 1"));
	sharelog_get_peer(f->sl, 1, &pi);
	assert_true(pi.needs_resync);
	assert_int_equal(pi.resync_seq, 3);
	sharelog_get_peer(f->sl, 0, &pi);
	assert_false(pi.needs_resync);
	assert_int_equal(pi.lag_records, 0);

	/* the mark survives a restart */
	reopen(f);
	sharelog_get_peer(f->sl, 1, &pi);
	assert_true(pi.needs_resync);
	/* until the replicator reports a full resync */
	assert_int_equal(sharelog_peer_resync_done(f->sl, 1, 40), 0);
	reopen(f);
	sharelog_get_peer(f->sl, 1, &pi);
	assert_false(pi.needs_resync);
	assert_int_equal(pi.cursor, 40);
}

static void test_cursor_persistence(void **state)
{
	struct fx *f = *state;
	struct sharelog_peer pi;
	char path[128];
	uint64_t seq;
	int fd;

	do_open(f);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(append_tagged(f, i, &seq), 0);
	assert_int_equal(sharelog_peer_confirm(f->sl, 0, 3), 0);
	assert_int_equal(sharelog_peer_confirm(f->sl, 1, 5), 0);
	/* a cursor never goes back */
	assert_int_equal(sharelog_peer_confirm(f->sl, 1, 2), 0);
	assert_int_equal(sharelog_peer_confirm(f->sl, 7, 2), -EINVAL);
	sharelog_get_peer(f->sl, 0, &pi);
	assert_int_equal(pi.cursor, 3);
	assert_int_equal(pi.lag_records, 2);
	assert_true(pi.lag_bytes > 0);
	assert_true(pi.lag_seconds >= 0);
	reopen(f);
	sharelog_get_peer(f->sl, 0, &pi);
	assert_int_equal(pi.cursor, 3);
	sharelog_get_peer(f->sl, 1, &pi);
	assert_int_equal(pi.cursor, 5);
	assert_int_equal(pi.lag_records, 0);
	sharelog_get_peer(f->sl, 2, &pi);
	assert_int_equal(pi.cursor, 0);
	assert_int_equal(pi.lag_records, 5);
	/* no temporary left behind by the atomic replace */
	snprintf(path, sizeof(path), "%s/.peer.0.tmp", f->dir);
	assert_int_equal(access(path, F_OK), -1);

	/* an external writer (the replicator) moves a cursor: reload */
	{
		struct sharelog_cfg ro = f->cfg;
		struct sharelog *other;
		char err[256];

		assert_int_equal(sharelog_open(&other, &ro, err, sizeof(err)),
				 0);
		assert_int_equal(sharelog_peer_confirm(other, 2, 4), 0);
		sharelog_close(other);
	}
	assert_int_equal(sharelog_reload_cursors(f->sl), 0);
	sharelog_get_peer(f->sl, 2, &pi);
	assert_int_equal(pi.cursor, 4);

	/* a damaged cursor file is ignored (conservative), not fatal */
	sharelog_close(f->sl);
	f->sl = NULL;
	snprintf(path, sizeof(path), "%s/peer.0", f->dir);
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\x55", 1, 9), 1);
	close(fd);
	do_open(f);
	sharelog_get_peer(f->sl, 0, &pi);
	assert_int_equal(pi.cursor, 0);
}

static void test_wrong_volume_refused(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct sharelog *sl;

	do_open(f);
	sharelog_close(f->sl);
	f->sl = NULL;
	f->cfg.uuid[0] ^= 1;
	assert_int_equal(sharelog_open(&sl, &f->cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "another volume"));
	f->cfg.uuid[0] ^= 1;
	f->cfg.k = 3;
	assert_int_equal(sharelog_open(&sl, &f->cfg, err, sizeof(err)),
			 -EINVAL);
	f->cfg.k = 2;
	f->cfg.log_size = 8192;
	assert_int_equal(sharelog_open(&sl, &f->cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "too small"));
	f->cfg.log_size = 8 * 8192;
	f->cfg.block_size = 4096;
	f->cfg.max_rec_len = (uint32_t)sl_record_size(SL_REC_WRITE, 2, 4096);
	assert_int_equal(sharelog_open(&sl, &f->cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "block"));
}

/* A directory of the first format (n shares per record) is refused. */
static void test_old_format_refused(void **state)
{
	struct fx *f = *state;
	uint8_t meta[64] = "TGTXXSMD";
	char err[512], path[128];
	int fd;

	do_open(f);
	sharelog_close(f->sl);
	f->sl = NULL;
	meta[8] = 2; /* version 2 */
	snprintf(path, sizeof(path), "%s/meta", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, meta, sizeof(meta)), (ssize_t)sizeof(meta));
	close(fd);
	assert_int_equal(sharelog_open(&f->sl, &f->cfg, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "move the directory aside"));
	assert_null(f->sl);
}

/* The generation map: set/get, sealed chunks checked, a torn one seen. */
static void test_genmap(void **state)
{
	struct fx *f = *state;
	struct sl_genmap *gm;
	uint64_t gens[16], ext_blocks;
	char err[256], path[128];
	int fd;

	do_open(f);
	assert_int_equal(sl_genmap_open(&gm, f->dir, f->cfg.uuid, 512, false,
					err, sizeof(err)),
			 0);
	ext_blocks = sl_genmap_extent_blocks(gm);
	assert_int_equal(ext_blocks, SL_EXTENT_BYTES / 512);
	/* never written: all zero, and consistent */
	assert_int_equal(sl_genmap_get(gm, 5, 4, gens), 0);
	assert_int_equal(gens[0] | gens[3], 0);
	assert_int_equal(sl_genmap_check(gm, 3), 0);
	/* a range across two extents */
	assert_int_equal(sl_genmap_set(gm, ext_blocks - 2, 4, 77), 0);
	assert_int_equal(sl_genmap_get(gm, ext_blocks - 3, 6, gens), 0);
	assert_int_equal(gens[0], 0);
	assert_int_equal(gens[1], 77);
	assert_int_equal(gens[4], 80);
	assert_int_equal(gens[5], 0);
	/* unsealed after a change, sealed again */
	assert_int_equal(sl_genmap_check(gm, 1), -EBADMSG);
	assert_int_equal(sl_genmap_seal(gm, 0), 0);
	assert_int_equal(sl_genmap_seal(gm, 1), 0);
	assert_int_equal(sl_genmap_check(gm, 0), 0);
	assert_int_equal(sl_genmap_check(gm, 1), 0);
	assert_int_equal(sl_genmap_set(gm, 0, 1, 0), 0); /* unmapped: gen 0 */
	assert_int_equal(sl_genmap_get(gm, 0, 1, gens), 0);
	assert_int_equal(gens[0], 0);
	assert_int_equal(sl_genmap_sync(gm), 0);
	sl_genmap_close(gm);
	/* a torn entry in a sealed chunk */
	snprintf(path, sizeof(path), "%s/genmap", f->dir);
	fd = open(path, O_RDWR);
	assert_int_equal(
		pwrite(fd, "\x01", 1,
		       SL_GENMAP_HDR_PAGE + ext_blocks * 8 + 4096 + 8 * 10),
		1);
	close(fd);
	assert_int_equal(sl_genmap_open(&gm, f->dir, f->cfg.uuid, 512, true,
					err, sizeof(err)),
			 0);
	assert_int_equal(sl_genmap_check(gm, 1), -EBADMSG);
	assert_int_equal(sl_genmap_check(gm, 0), 0); /* its neighbour: fine */
	sl_genmap_close(gm);
	/* another block size is not this map */
	assert_int_equal(sl_genmap_open(&gm, f->dir, f->cfg.uuid, 4096, false,
					err, sizeof(err)),
			 -EBADMSG);
}

static void test_read_only(void **state)
{
	struct fx *f = *state;
	struct sharelog_cfg ro;
	struct sharelog *sl;
	struct sharelog_stats st;
	char err[256];
	uint64_t seq;

	do_open(f);
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(append_tagged(f, i, &seq), 0);
	assert_int_equal(sharelog_sync(f->sl), 0);
	memset(&ro, 0, sizeof(ro));
	ro.dir = f->dir;
	ro.read_only = true;
	assert_int_equal(sharelog_open(&sl, &ro, err, sizeof(err)), 0);
	sharelog_get_stats(sl, &st);
	assert_int_equal(st.k, 2);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.last_seq, 3);
	assert_int_equal(
		sharelog_append(sl, SL_REC_WRITE, 0, 1, 1, f->rec, &seq),
		-EROFS);
	sharelog_close(sl);
}

static void test_stale_segments_after_gap(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	char src[128], dst[128], cmd[300];
	uint64_t seq;

	do_open(f);
	for (uint64_t i = 1; i <= 6; i++)
		assert_int_equal(append_tagged(f, i, &seq), 0);
	sharelog_close(f->sl);
	f->sl = NULL;
	/* an unlink of segment 2 persisted but not the one of segment 1 */
	snprintf(src, sizeof(src), "%s/seg-%016x.sl", f->dir, 2);
	snprintf(dst, sizeof(dst), "%s/seg-%016x.sl", f->dir, 2);
	snprintf(cmd, sizeof(cmd), "rm -f %s", dst);
	assert_int_equal(system(cmd), 0);
	(void)src;
	do_open(f);
	sharelog_get_stats(f->sl, &st);
	assert_true(st.first_seq > 2);
	assert_int_equal(st.last_seq, 6);
}

static void test_segment_reuse(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t seq, first, last;
	char cmd[160];

	do_open(f);
	/* many laps around the bounded log, everyone keeping up */
	for (uint64_t i = 1; i <= 101; i++) {
		assert_int_equal(append_tagged(f, i, &seq), 0);
		for (unsigned p = 0; p < 3; p++)
			assert_int_equal(sharelog_peer_confirm(f->sl, p, seq),
					 0);
	}
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 101);
	/* freed files are recycled, never more files than segments */
	snprintf(cmd, sizeof(cmd), "test $(ls %s/*.sl | wc -l) -le 8", f->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "ls %s/spare-*.sl >/dev/null 2>&1", f->dir);
	assert_int_equal(system(cmd), 0);
	/* stale records of a reused file end the scan like a torn tail */
	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 101);
	uint64_t nrec = count_records(f, 0, &first, &last);

	assert_int_equal(nrec, last - first + 1);
	assert_int_equal(last, 101);
	assert_int_equal(append_tagged(f, 1, &seq), 0);
	assert_int_equal(seq, 102);
}

/*
 * Records of another size after a lap: where the new records of a reused
 * file end, an old record's middle follows. Reopening (the store after a
 * restart) must still read the log, neither calling an older segment
 * corrupt nor the newest one torn.
 */
static void test_segment_reuse_mixed_sizes(void **state)
{
	struct fx *f = *state;
	struct sharelog_stats st;
	uint64_t seq;

	do_open(f);
	for (uint64_t i = 1; i <= 120; i++) {
		uint32_t nb = i <= 40 ? NBLK : 1 + (uint32_t)(i % 3);

		memset(f->rec, (int)(i | 1), DATA_LEN);
		assert_int_equal(sharelog_append(f->sl, SL_REC_WRITE, i, nb,
						 1000 + i, f->rec, &seq),
				 0);
		for (unsigned p = 0; p < 3; p++)
			assert_int_equal(sharelog_peer_confirm(f->sl, p, seq),
					 0);
	}
	reopen(f);
	sharelog_get_stats(f->sl, &st);
	assert_int_equal(st.last_seq, 120);
	/* a clean stop is not reported as a torn tail */
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(append_tagged(f, 1, &seq), 0);
	assert_int_equal(seq, 121);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_replay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_and_reclaim,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen_reservation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_old_format_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_genmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_drop_lagging, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cursor_persistence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_volume_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_segments_after_gap,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_reuse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segment_reuse_mixed_sizes,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
