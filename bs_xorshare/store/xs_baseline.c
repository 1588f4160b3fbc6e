// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logging what the volume already holds, in the background on the writer
 * thread between batches of live writes (so each record reads the volume
 * after every earlier write and before every later one):
 *  - the baseline: when a volume that already holds data becomes protected,
 *    or grows, every chunk of the new range is logged once; progress is in
 *    the state file and a restart resumes;
 *  - the re-log after an unclean stop: every extent of the last activity-log
 *    transaction is logged again from the volume, with new generations, so
 *    the log (and the peers) end up with exactly what the volume holds.
 * All-zero chunks become UNMAP records (generation 0, peers unmap them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bs_xorshare_priv.h"
#include "core/log.h"

#define XS_BASELINE_SAVE_MS 1000

int xs_baseline_init(struct xs_dev *xd, bool new_volume, uint64_t old_size)
{
	sharelog_get_baseline(xd->sl, &xd->base_next, &xd->base_size);
	if (new_volume && xd->size) {
		xd->base_next = 0;
		xd->base_size = xd->size;
		log_info("xorshare %s: baseline of %" PRIu64 " bytes scheduled",
			 xd->logdir, xd->size);
		return sharelog_set_baseline(xd->sl, 0, xd->size);
	}
	if (!new_volume && xd->size > old_size) {
		/* grown: the new range is protected without a manual step */
		if (xd->base_next >= xd->base_size)
			xd->base_next = old_size;
		xd->base_size = xd->size;
		log_info("xorshare %s: volume grew from %" PRIu64 " to %" PRIu64
			 " bytes: baseline of the new range "
			 "scheduled",
			 xd->logdir, old_size, xd->size);
		return sharelog_set_baseline(xd->sl, xd->base_next,
					     xd->base_size);
	}
	if (xd->base_size > xd->size)
		xd->base_size = xd->size;
	if (xd->base_next > xd->base_size)
		xd->base_next = xd->base_size;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	static const uint8_t z[4096];

	while (len) {
		size_t n = len < sizeof(z) ? len : sizeof(z);

		if (memcmp(p, z, n))
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Logs what [off, off+len) of the volume holds (no volume change). */
static int log_from_volume(struct xs_dev *xd, uint64_t off, uint64_t len)
{
	int ret = xs_pread_all(xd->vol_fd, xd->bbuf, len, off);

	if (!ret && all_zero(xd->bbuf, len))
		ret = xs_log_zero(xd, NULL, off, len, false);
	else if (!ret)
		ret = xs_log_data(xd, NULL, off, len, xd->bbuf, false, false);
	return ret;
}

static void save_progress(struct xs_dev *xd)
{
	int ret = sharelog_set_baseline(xd->sl, xd->base_next, xd->base_size);

	if (ret)
		log_err("xorshare %s: saving baseline progress: %s", xd->logdir,
			strerror(-ret));
	xd->base_saved_ms = loop_now_ms();
}

bool xs_baseline_step(struct xs_dev *xd)
{
	uint64_t off = xd->base_next, len;
	int ret;

	if (off >= xd->base_size)
		return false;
	len = xd->base_size - off;
	if (len > xd->chunk)
		len = xd->chunk;
	/*
	 * A crash after this leaves the extent in the activity log: it is
	 * re-logged then, so progress may be saved before the log is durable.
	 */
	ret = log_from_volume(xd, off, len);
	if (ret) {
		log_err("xorshare %s: baseline at %" PRIu64 ": %s (will retry)",
			xd->logdir, off, strerror(-ret));
		return true;
	}
	xd->base_next = off + len;
	if (xd->base_next >= xd->base_size) {
		save_progress(xd);
		log_info("xorshare %s: baseline complete (%" PRIu64 " bytes)",
			 xd->logdir, xd->base_size);
		return false;
	}
	if (loop_now_ms() - xd->base_saved_ms >= XS_BASELINE_SAVE_MS)
		save_progress(xd);
	return true;
}

bool xs_relog_step(struct xs_dev *xd)
{
	uint64_t ext, start, end, len;
	int ret;

	if (xd->relog_done >= xd->nr_relog)
		return false;
	ext = xd->relog[xd->relog_done];
	start = ext << SL_EXTENT_SHIFT;
	end = start + SL_EXTENT_BYTES;
	if (end > xd->size)
		end = xd->size;
	if (start + xd->relog_off < end) {
		len = end - start - xd->relog_off;
		if (len > xd->chunk)
			len = xd->chunk;
		ret = log_from_volume(xd, start + xd->relog_off, len);
		if (ret) {
			log_err("xorshare %s: re-log of extent %" PRIu64
				": %s (will retry)",
				xd->logdir, ext, strerror(-ret));
			return true;
		}
		xd->relog_off += len;
		if (start + xd->relog_off < end)
			return true;
	}
	/* the extent may now be evicted like any other */
	xs_al_pin(xd->al, ext, false);
	xd->relog_off = 0;
	if (++xd->relog_done == xd->nr_relog)
		log_info("xorshare %s: %u extent(s) re-logged after an unclean "
			 "stop; log and volume agree again",
			 xd->logdir, xd->nr_relog);
	return xd->relog_done < xd->nr_relog;
}

/*
 * Writer thread, before its first batch after an unclean stop: a map chunk
 * torn by the crash outside the activity log is re-logged too. Writes wait
 * meanwhile (reads do not); the event loop never does.
 */
int xs_recovery_scan(struct xs_dev *xd)
{
	uint64_t nr_ext = (xd->size + SL_EXTENT_BYTES - 1) >> SL_EXTENT_SHIFT;
	uint32_t added = 0;

	for (uint64_t e = 0; e < nr_ext; e++) {
		bool listed = false;
		uint64_t *r;

		for (uint32_t i = 0; i < xd->nr_relog && !listed; i++)
			listed = xd->relog[i] == e;
		if (listed || !sl_genmap_check(xd->gm, e))
			continue;
		r = realloc(xd->relog, sizeof(*r) * (xd->nr_relog + 1));
		if (!r)
			return -ENOMEM;
		xd->relog = r;
		xd->relog[xd->nr_relog++] = e;
		xs_al_want(xd->al, e);
		xs_al_pin(xd->al, e, true);
		added++;
		log_warn("xorshare %s: generation map of extent %" PRIu64
			 " fails its checksum: re-logged too",
			 xd->logdir, e);
	}
	return added ? xs_al_commit(xd->al) : 0;
}
