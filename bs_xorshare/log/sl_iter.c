// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading the share log in order, for the replicator and the tools. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sharelog_priv.h"

struct sl_iter {
	struct sharelog *sl;
	uint64_t from;
	uint64_t seg_index; /* segment being read */
	uint64_t end;
	uint64_t off;
	uint64_t expect; /* seq of the next record in this segment */
	int fd;
	uint8_t *buf;
	size_t cap;
};

int sharelog_iter_open(struct sharelog *sl, uint64_t from_seq,
		       struct sl_iter **out)
{
	struct sl_iter *it;

	/* 0: from the oldest record kept; an older seq was freed */
	if (from_seq && sl->nsegs && from_seq < sl->segs[0].first_seq)
		return -ENOENT;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->sl = sl;
	it->from = from_seq;
	it->fd = -1;
	it->seg_index = 0;
	*out = it;
	return 0;
}

/* Bytes the current segment holds now (it->end if it is gone). */
static uint64_t seg_used(const struct sl_iter *it)
{
	for (uint32_t i = 0; i < it->sl->nsegs; i++)
		if (it->sl->segs[i].index == it->seg_index)
			return it->sl->segs[i].used;
	return it->end;
}

static bool later_segment(const struct sl_iter *it)
{
	return it->sl->nsegs &&
	       it->sl->segs[it->sl->nsegs - 1].index > it->seg_index;
}

/* Moves to the first segment after it->seg_index that may hold from. */
static int iter_next_segment(struct sl_iter *it)
{
	struct sharelog *sl = it->sl;
	char path[PATH_MAX + 32];

	if (it->fd >= 0) {
		close(it->fd);
		it->fd = -1;
	}
	for (uint32_t i = 0; i < sl->nsegs; i++) {
		const struct sl_seg *s = &sl->segs[i];

		if (s->index <= it->seg_index)
			continue;
		it->seg_index = s->index;
		/* the newest segment is opened anyway: it may still grow */
		if ((s->last_seq < it->from || s->last_seq < s->first_seq) &&
		    i + 1 < sl->nsegs)
			continue;
		sl_seg_path(sl, s->index, path, sizeof(path));
		it->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (it->fd < 0)
			return -errno; /* -ENOENT: freed by the store meanwhile
					*/
		it->off = SL_SEG_HDR_SIZE;
		it->end = s->used;
		it->expect = s->first_seq;
		return 1;
	}
	return 0;
}

static bool is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int sharelog_iter_next(struct sl_iter *it, const void **rec)
{
	for (;;) {
		struct sl_rec_hdr h;
		uint8_t hb[SL_REC_HDR_SIZE];
		int ret;

		if (it->fd >= 0 && it->off >= it->end) {
			it->end =
				seg_used(it); /* a follower's refresh grew it */
			/* the newest segment: stay, more may come */
			if (it->off >= it->end && !later_segment(it))
				return 0;
		}
		if (it->fd < 0 || it->off >= it->end) {
			ret = iter_next_segment(it);
			if (ret <= 0)
				return ret;
			continue;
		}
		ret = sl_pread_all(it->fd, hb, sizeof(hb), it->off);
		/*
		 * The end mark that follows the newest record where this
		 * view saw one: the file was freed and reused meanwhile.
		 */
		if (!ret && is_zero(hb, sizeof(hb)))
			return -ENOENT;
		if (!ret)
			ret = sl_record_check_hdr(hb, it->end - it->off, &h);
		if (ret)
			return ret == -EINVAL ? -EBADMSG : ret;
		/*
		 * Another seq here: the store freed this file and reused it
		 * under a reader (its new records have higher seqs).
		 */
		if (h.seq != it->expect)
			return -ENOENT;
		if (h.seq < it->from) {
			it->off += h.rec_len;
			it->expect++;
			continue;
		}
		if (h.rec_len > it->cap) {
			uint8_t *nb = realloc(it->buf, h.rec_len);

			if (!nb)
				return -ENOMEM;
			it->buf = nb;
			it->cap = h.rec_len;
		}
		ret = sl_pread_all(it->fd, it->buf, h.rec_len, it->off);
		if (!ret)
			ret = sl_record_check(it->buf, h.rec_len);
		if (ret)
			return ret == -EINVAL ? -EBADMSG : ret;
		it->off += h.rec_len;
		it->expect++;
		*rec = it->buf;
		return 1;
	}
}

void sharelog_iter_close(struct sl_iter *it)
{
	if (!it)
		return;
	if (it->fd >= 0)
		close(it->fd);
	free(it->buf);
	free(it);
}
