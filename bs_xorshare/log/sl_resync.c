// SPDX-License-Identifier: GPL-2.0-or-later
/* Share i of the current content of blocks, from the volume + gen map. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "core/loop.h"
#include "sharelog_priv.h"
#include "sl_resync.h"

void (*sl_resync_race_hook)(void *arg);
void *sl_resync_race_arg;

/* Map, then volume: the pair the caller must prove belongs together. */
static int read_pair(struct sl_genmap *gm, int vol_fd, uint32_t block_size,
		     uint64_t lba, uint32_t nblocks, uint8_t *data,
		     uint64_t *gens)
{
	size_t len = (size_t)nblocks * block_size;
	ssize_t got;
	int ret = sl_genmap_get(gm, lba, nblocks, gens);

	if (ret)
		return ret;
	if (sl_resync_race_hook)
		sl_resync_race_hook(sl_resync_race_arg);
	got = pread_upto(vol_fd, data, len, lba * block_size);
	if (got < 0)
		return (int)got;
	memset(data + got, 0, len - (size_t)got);
	return 0;
}

static int derive(struct xs_ctx *ctx, size_t ssz, uint32_t block_size,
		  unsigned peer, const uint8_t *data, const uint64_t *gens,
		  uint32_t nblocks, uint8_t *out)
{
	int ret = 0;

	/* runs of consecutive generations (one record's blocks) in one call */
	for (uint32_t j = 0; j < nblocks && !ret;) {
		uint32_t run = 1;

		if (!gens[j]) {
			memset(out + (size_t)j * ssz, 0, ssz);
			j++;
			continue;
		}
		while (j + run < nblocks && gens[j + run] == gens[j] + run)
			run++;
		ret = xs_derive_blocks(ctx, peer, gens[j],
				       data + (size_t)j * block_size, run,
				       block_size, out + (size_t)j * ssz);
		j += run;
	}
	return ret;
}

int sl_resync_shares(struct xs_ctx *ctx, unsigned n, struct sl_genmap *gm,
		     int vol_fd, uint32_t block_size, unsigned peer,
		     uint64_t lba, uint32_t nblocks, uint8_t *out,
		     uint64_t *gens)
{
	size_t ssz = xs_share_size(n, block_size);
	uint8_t *data;
	int ret;

	if (!nblocks)
		return 0;
	if (!ssz)
		return -EINVAL;
	data = malloc((size_t)nblocks * block_size);
	if (!data)
		return -ENOMEM;
	ret = read_pair(gm, vol_fd, block_size, lba, nblocks, data, gens);
	if (!ret)
		ret = derive(ctx, ssz, block_size, peer, data, gens, nblocks,
			     out);
	free(data);
	return ret;
}

/*
 * Waits (bounded) until the store has written every record <= seq to the
 * volume and the map. -EAGAIN when it cannot say so: re-log after a crash
 * running, the store gone after an unclean stop, or the deadline.
 */
static int wait_applied(const char *dir, uint64_t seq)
{
	uint64_t deadline = loop_now_ms() + SL_RC_WAIT_MS;

	for (;;) {
		struct sl_progress_info p;
		int ret = sharelog_read_progress(dir, &p);

		if (ret == -ENOENT)
			return -EAGAIN; /* no store has published yet */
		if (ret)
			return ret;
		if (p.flags & SL_PROG_RELOG)
			return -EAGAIN; /* volume and map may disagree */
		if (p.applied_seq >= seq)
			return 0;
		if (!(p.flags & SL_PROG_CLEAN) && p.pid &&
		    kill((pid_t)p.pid, 0) < 0 && errno == ESRCH)
			return -EAGAIN; /* crashed: its restart re-logs */
		if (loop_now_ms() >= deadline)
			return -EAGAIN;
		usleep(1000);
	}
}

/* 1 when a record after seq touches [lba, lba+nblocks), 0 if none. */
static int touched_after(struct sharelog *sl, uint64_t seq, uint64_t lba,
			 uint32_t nblocks)
{
	struct sl_iter *it;
	const void *rec;
	int ret = sharelog_refresh(sl);

	if (ret)
		return ret == -EAGAIN ? 1 : ret;
	if (sl_last_seq(sl) <= seq)
		return 0;
	ret = sharelog_iter_open(sl, seq + 1, &it);
	if (ret)
		return ret == -ENOENT ? 1 : ret;
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;

		sl_record_decode(rec, &h);
		if (h.lba < lba + nblocks && lba < h.lba + h.nblocks)
			break;
	}
	sharelog_iter_close(it);
	if (ret == -ENOENT)
		return 1;
	return ret;
}

int sl_resync_read_consistent(struct sharelog *sl, struct xs_ctx *ctx,
			      struct sl_genmap *gm, int vol_fd, unsigned peer,
			      uint64_t lba, uint32_t nblocks, uint8_t *shares,
			      uint64_t *gens, uint64_t *as_of_seq)
{
	size_t ssz;
	uint8_t *data;
	int ret = -EAGAIN;

	if (!sl->cfg.read_only || peer >= sl->n)
		return -EINVAL;
	ssz = xs_share_size(sl->n, sl->block_size);
	if (!ssz)
		return -EINVAL;
	if (!nblocks) {
		*as_of_seq = sl_last_seq(sl);
		return 0;
	}
	data = malloc((size_t)nblocks * sl->block_size);
	if (!data)
		return -ENOMEM;
	for (int attempt = 0; attempt < SL_RC_TRIES; attempt++) {
		uint64_t p1;

		ret = sharelog_refresh(sl);
		if (ret && ret != -EAGAIN)
			break;
		p1 = sl_last_seq(sl);
		ret = wait_applied(sl->dir, p1);
		if (ret)
			break;
		ret = read_pair(gm, vol_fd, sl->block_size, lba, nblocks, data,
				gens);
		if (ret)
			break;
		/*
		 * A write that changed the map or the volume while they were
		 * read was logged before it changed either: no record after
		 * P1 on the range means the pair is the content as of P1.
		 */
		ret = touched_after(sl, p1, lba, nblocks);
		if (ret < 0)
			break;
		if (ret) {
			ret = -EAGAIN;
			continue;
		}
		/* only now: a share of a mismatched pair would reuse
		 * randomness (two contents, one generation) */
		ret = derive(ctx, ssz, sl->block_size, peer, data, gens,
			     nblocks, shares);
		if (!ret)
			*as_of_seq = p1;
		break;
	}
	free(data);
	return ret;
}
