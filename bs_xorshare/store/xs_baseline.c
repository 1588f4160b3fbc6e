// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Baseline pass: when a volume that already holds data becomes protected,
 * every chunk of it is logged once so that replicas end up complete. It runs
 * on the writer thread between batches of live writes, so each baseline
 * record reads the volume after every earlier write and before every later
 * one: log order stays consistent with the volume. All-zero chunks become
 * UNMAP records (no shares needed: zero shares combine to zero). Progress is
 * persisted in the log's state file; a restart resumes (re-logging a few
 * chunks is harmless).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "bs_xorshare_priv.h"
#include "core/log.h"

#define XS_BASELINE_SAVE_MS 1000

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int xs_baseline_init(struct xs_dev *xd, bool new_volume)
{
	sharelog_get_baseline(xd->sl, &xd->base_next, &xd->base_size);
	if (new_volume && xd->size) {
		xd->base_next = 0;
		xd->base_size = xd->size;
		log_info("xorshare %s: baseline of %" PRIu64 " bytes scheduled",
			 xd->logdir, xd->size);
		return sharelog_set_baseline(xd->sl, 0, xd->size);
	}
	if (xd->base_size > xd->size)
		xd->base_size = xd->size;
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

static void save_progress(struct xs_dev *xd)
{
	int ret = sharelog_set_baseline(xd->sl, xd->base_next, xd->base_size);

	if (ret)
		log_err("xorshare %s: saving baseline progress: %s", xd->logdir,
			strerror(-ret));
	xd->base_saved_ms = mono_ms();
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
	ret = xs_pread_all(xd->vol_fd, xd->bbuf, len, off);
	if (!ret && all_zero(xd->bbuf, len))
		ret = xs_log_zero(xd, NULL, off, len, false);
	else if (!ret)
		ret = xs_log_data(xd, NULL, off, len, xd->bbuf, false);
	if (ret) {
		log_err("xorshare %s: baseline at %" PRIu64 ": %s (will retry)",
			xd->logdir, off, strerror(-ret));
		return true;
	}
	xd->base_next = off + len;
	/* the volume already holds what was logged: nothing to apply */
	if (!xd->nr_pend) {
		struct sharelog_stats st;

		sharelog_get_stats(xd->sl, &st);
		xd->applied = st.last_seq;
	}
	if (xd->base_next >= xd->base_size) {
		save_progress(xd);
		log_info("xorshare %s: baseline complete (%" PRIu64 " bytes)",
			 xd->logdir, xd->base_size);
		return false;
	}
	if (mono_ms() - xd->base_saved_ms >= XS_BASELINE_SAVE_MS)
		save_progress(xd);
	return true;
}
