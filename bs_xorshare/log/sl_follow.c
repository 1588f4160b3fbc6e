// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Following a live log from another process (the replicator): a read-only
 * handle catches up with what the store did since it last looked. The
 * store never waits for it: the follower reads the same files (appends are
 * plain pwrites, segments are renamed when freed, small files are replaced
 * atomically, the progress file is CRC-checked), and whatever it sees half
 * done (a record being written, a segment being created) it reads again
 * at the next refresh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sharelog_priv.h"

static bool listed(const uint64_t *idx, uint32_t nr, uint64_t index)
{
	for (uint32_t i = 0; i < nr; i++)
		if (idx[i] == index)
			return true;
	return false;
}

/* Forgets every segment: the next pass reads them all from scratch. */
static void forget_segments(struct sharelog *sl)
{
	sl->nsegs = 0;
}

/*
 * Segment list: drops those the store freed (oldest first), scans the
 * known newest one further, adds new ones. 1 when the view no longer fits
 * the directory (a gap: the store restarted and cut a torn tail) and must
 * be read again from scratch.
 */
static int refresh_segments(struct sharelog *sl)
{
	uint64_t *idx = NULL, known_last;
	uint32_t nr = 0;
	int ret;

	sl->nspares = 0;
	ret = sl_list_segments(sl, &idx, &nr);
	if (ret)
		return ret;
	while (sl->nsegs && !listed(idx, nr, sl->segs[0].index)) {
		/* not sl_drop_oldest: a reader removes nothing */
		memmove(&sl->segs[0], &sl->segs[1],
			sizeof(sl->segs[0]) * --sl->nsegs);
	}
	for (uint32_t i = 1; i < sl->nsegs; i++)
		if (!listed(idx, nr, sl->segs[i].index)) {
			free(idx);
			return 1; /* a hole: not a free by the store */
		}
	known_last = sl->nsegs ? sl_active_seg(sl)->index : 0;
	if (sl->nsegs) {
		ret = sl_scan_more(sl, sl_active_seg(sl));
		if (ret == -ENOENT) {
			/* freed between the listing and now */
			free(idx);
			return 1;
		}
		if (ret)
			goto out;
	}
	for (uint32_t i = 0; i < nr; i++) {
		char err[256];
		uint32_t before = sl->nsegs;
		uint64_t want;

		if (idx[i] <= known_last)
			continue;
		want = sl->nsegs ? sl_active_seg(sl)->last_seq + 1 : 0;
		ret = sl_load_segment(sl, idx[i], i + 1 == nr, err,
				      sizeof(err));
		if (ret < 0 || sl->nsegs == before) {
			/* the newest may be half created: read it next time */
			ret = i + 1 == nr ? 0 : ret;
			if (ret)
				log_warn("share log follower: %s", err);
			goto out;
		}
		if (want && sl_active_seg(sl)->first_seq != want) {
			ret = 1;
			goto out;
		}
	}
	ret = 0;
out:
	free(idx);
	return ret;
}

int sharelog_refresh(struct sharelog *sl)
{
	struct sl_progress_info p;
	struct sl_state st;
	uint64_t torn;
	bool have_prog;
	int ret;

	if (!sl->cfg.read_only)
		return -EINVAL;
	ret = sl_state_load(sl->dir, &st);
	if (!ret)
		sl->state = st;
	else if (ret != -ENOENT)
		log_warn("share log %s/state: %s", sl->dir, strerror(-ret));
	have_prog = !sharelog_read_progress(sl->dir, &p);
	if (have_prog && sl->ro_run_id && p.run_id != sl->ro_run_id) {
		/* the store restarted: a torn tail may have been cut */
		log_info("share log %s: store restarted, reading the log again",
			 sl->dir);
		forget_segments(sl);
	}
	if (have_prog)
		sl->ro_run_id = p.run_id;
	torn = sl->torn_bytes; /* a record being written is no torn tail */
	ret = refresh_segments(sl);
	if (ret == 1) {
		forget_segments(sl);
		ret = refresh_segments(sl);
	}
	sl->torn_bytes = torn;
	if (ret < 0)
		return ret;
	if (ret == 1)
		return -EAGAIN;
	if (sl->nsegs)
		sl->next_seq = sl_active_seg(sl)->last_seq + 1;
	sl->durable_seq = sl_last_seq(sl);
	if (have_prog && p.durable_seq < sl->durable_seq)
		sl->durable_seq = p.durable_seq;
	sl_load_cursors(sl, true);
	return 0;
}
