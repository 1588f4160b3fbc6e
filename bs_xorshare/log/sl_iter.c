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
	int fd;
	uint8_t *buf;
	size_t cap;
};

int sharelog_iter_open(struct sharelog *sl, uint64_t from_seq,
		       struct sl_iter **out)
{
	struct sl_iter *it = calloc(1, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->sl = sl;
	it->from = from_seq;
	it->fd = -1;
	it->seg_index = 0;
	*out = it;
	return 0;
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
		if (s->last_seq < it->from || s->last_seq < s->first_seq)
			continue;
		sl_seg_path(sl, s->index, path, sizeof(path));
		it->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (it->fd < 0)
			return -errno;
		it->off = SL_SEG_HDR_SIZE;
		it->end = s->used;
		return 1;
	}
	return 0;
}

int sharelog_iter_next(struct sl_iter *it, const void **rec)
{
	for (;;) {
		struct sl_rec_hdr h;
		uint8_t hb[SL_REC_HDR_SIZE];
		int ret;

		if (it->fd < 0 || it->off >= it->end) {
			ret = iter_next_segment(it);
			if (ret <= 0)
				return ret;
			continue;
		}
		ret = sl_pread_all(it->fd, hb, sizeof(hb), it->off);
		if (!ret)
			ret = sl_record_check_hdr(hb, it->end - it->off, &h);
		if (ret)
			return ret == -EINVAL ? -EBADMSG : ret;
		if (h.seq < it->from) {
			it->off += h.rec_len;
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
