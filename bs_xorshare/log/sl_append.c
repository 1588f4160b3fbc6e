// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Appending to the share log: one pwritev (header + the caller's data, no
 * copy) per record into a segment preallocated once and reused; rotation
 * makes the finished segment durable, so only the newest one can ever have
 * a torn tail. No fsync per record: sharelog_sync() is the caller's call.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "sharelog_priv.h"
#include "sl_pio.h"

int sl_create_segment(struct sharelog *sl, uint64_t index)
{
	char path[PATH_MAX + 32];
	struct sl_seg_hdr h, raw;
	struct sl_seg seg;
	bool reused = false;
	int fd, ret;

	ret = sl_segs_reserve(sl, sl->nsegs + 1);
	if (ret)
		return ret;
	memset(&h, 0, sizeof(h));
	h.k = sl->k;
	h.n = sl->n;
	h.index = index;
	h.first_seq = sl->next_seq;
	memcpy(h.uuid, sl->uuid, 16);
	h.seg_size = sl->seg_size;
	h.block_size = sl->block_size;
	sl_seg_hdr_encode(&raw, &h);
	sl_seg_path(sl, index, path, sizeof(path));
	fd = -1;
	while (fd < 0 && sl->nspares) {
		char spare[PATH_MAX + 32];

		/*
		 * Old records stay behind the new header: their seqs are all
		 * lower, so a scan stops at them like at free space.
		 */
		sl_spare_path(sl, sl->spares[--sl->nspares], spare,
			      sizeof(spare));
		if (!rename(spare, path))
			fd = open(path, O_RDWR | O_CLOEXEC);
		reused = fd >= 0;
	}
	if (fd < 0)
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/*
	 * Allocated once, at full size: appends then never extend the file
	 * (no size update to flush) and a full file system is an error here,
	 * not in the middle of a write. Without fallocate support, appends
	 * simply grow the file.
	 */
	if (!reused && fallocate(fd, 0, 0, (off_t)sl->seg_size) < 0 &&
	    errno != EOPNOTSUPP) {
		ret = -errno;
		close(fd);
		unlink(path);
		return ret;
	}
	ret = sl_pwrite(fd, &raw, sizeof(raw), 0);
	if (!ret)
		ret = sl_fdatasync(fd);
	if (!ret)
		ret = fsync_dir(sl->dir);
	if (ret) {
		sl_pio_forget(fd);
		close(fd);
		unlink(path);
		return ret;
	}
	memset(&seg, 0, sizeof(seg));
	seg.index = index;
	seg.first_seq = sl->next_seq;
	seg.last_seq = sl->next_seq - 1;
	seg.used = SL_SEG_HDR_SIZE;
	if (sl->active_fd >= 0) {
		sl_pio_forget(sl->active_fd);
		close(sl->active_fd);
	}
	sl->active_fd = fd;
	sl->kicked = SL_SEG_HDR_SIZE;
	sl->segs[sl->nsegs++] = seg;
	return 0;
}

static int rotate(struct sharelog *sl)
{
	uint64_t index = sl_active_seg(sl)->index + 1;
	int ret = sl_make_room(sl);

	if (ret)
		return ret;
	/* Older segments are always complete and durable. */
	ret = sharelog_sync(sl);
	if (ret)
		return ret;
	ret = sl_create_segment(sl, index);
	if (ret) {
		snprintf(sl->alert, sizeof(sl->alert),
			 "creating segment %" PRIu64 " failed: %s", index,
			 strerror(-ret));
		log_err("ALERT share log %s: %s", sl->dir, sl->alert);
	}
	return ret;
}

/*
 * Starts writeback of what was appended since the last kick, without
 * waiting: the data reaches the disk steadily instead of in one burst at
 * the next fdatasync, which then has little left to do.
 */
static void kick_writeback(struct sharelog *sl)
{
	uint64_t used = sl_active_seg(sl)->used;

	if (used - sl->kicked < SL_KICK_BYTES)
		return;
	sync_file_range(sl->active_fd, (off64_t)sl->kicked,
			(off64_t)(used - sl->kicked), SYNC_FILE_RANGE_WRITE);
	sl->kicked = used;
}

int sharelog_append(struct sharelog *sl, enum sl_rec_type type, uint64_t lba,
		    uint32_t nblocks, uint64_t first_gen, const void *data,
		    uint64_t *seq)
{
	static const uint8_t end_mark[SL_REC_HDR_SIZE];
	uint64_t len = sl_record_size(type, nblocks, sl->block_size);
	uint8_t hdr[SL_REC_HDR_SIZE];
	struct sl_rec_hdr h;
	struct iovec iov[3];
	uint64_t mark;
	int niov = 0;
	struct sl_seg *s;
	uint64_t now;
	int ret;

	if (sl->cfg.read_only)
		return -EROFS;
	if (len > sl->cfg.max_rec_len || !nblocks ||
	    (type == SL_REC_WRITE && (!data || !first_gen)))
		return -EMSGSIZE;
	s = sl_active_seg(sl);
	if (s->used + len > sl->seg_size && s->last_seq >= s->first_seq) {
		ret = rotate(sl);
		if (ret)
			return ret;
		s = sl_active_seg(sl);
	}
	now = sl_now_ns();
	memset(&h, 0, sizeof(h));
	h.type = (uint8_t)type;
	h.nblocks = nblocks;
	h.seq = sl->next_seq;
	h.time_ns = now;
	h.lba = lba;
	h.first_gen = first_gen;
	h.block_size = sl->block_size;
	sl_record_encode(hdr, &h, data);
	iov[niov++] = (struct iovec){hdr, sizeof(hdr)};
	if (len > SL_REC_HDR_SIZE)
		iov[niov++] =
			(struct iovec){(void *)data, len - SL_REC_HDR_SIZE};
	/*
	 * Zeroes after the record, overwritten by the next one: a reused
	 * file still holds its earlier records, and where the new ones end
	 * need not be where an old one starts. Without this end mark, an
	 * open after a restart would find the middle of an old record after
	 * the last one and could not tell it from a torn or corrupt record.
	 */
	mark = s->used + len < sl->seg_size ? sl->seg_size - (s->used + len)
					    : 0;
	if (mark > sizeof(end_mark))
		mark = sizeof(end_mark);
	if (mark)
		iov[niov++] = (struct iovec){(void *)end_mark, (size_t)mark};
	ret = sl_pwritev(sl->active_fd, iov, niov, s->used);
	if (ret) {
		snprintf(sl->alert, sizeof(sl->alert),
			 "append of seq %" PRIu64 " failed: %s", sl->next_seq,
			 strerror(-ret));
		log_err("ALERT share log %s: %s", sl->dir, sl->alert);
		return ret;
	}
	if (s->last_seq < s->first_seq)
		s->first_time_ns = now;
	s->last_seq = sl->next_seq;
	s->last_time_ns = now;
	s->used += len;
	sl->dirty = true;
	*seq = sl->next_seq++;
	atomic_store_explicit(&sl->pub_last, *seq, memory_order_relaxed);
	kick_writeback(sl);
	return 0;
}

int sharelog_sync(struct sharelog *sl)
{
	int ret;

	if (!sl->dirty || sl->active_fd < 0)
		return 0;
	ret = sl_fdatasync(sl->active_fd);
	if (ret) {
		log_err("share log %s: fdatasync: %s", sl->dir, strerror(-ret));
		return ret;
	}
	sl->dirty = false;
	sl->durable_seq = sl_last_seq(sl);
	atomic_store(&sl->pub_durable, sl->durable_seq);
	return 0;
}

int sharelog_gen_take(struct sharelog *sl, uint64_t nr, uint64_t *first)
{
	if (sl->cfg.read_only)
		return -EROFS;
	if (sl->next_gen + nr > sl->state.gen_reserved) {
		uint64_t old = sl->state.gen_reserved;
		int ret;

		sl->state.gen_reserved = sl->next_gen + nr + SL_GEN_RESERVE;
		sl->state.next_seq = sl->next_seq;
		ret = sl_state_store(sl->dir, &sl->state);
		if (ret) {
			sl->state.gen_reserved = old;
			log_err("share log %s: reserving generations: %s",
				sl->dir, strerror(-ret));
			return ret;
		}
	}
	*first = sl->next_gen;
	sl->next_gen += nr;
	return 0;
}
