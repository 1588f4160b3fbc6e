// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share-log space: peer cursors and resync marks, freeing segments once
 * every live peer has passed them, the log-full policies, statistics.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "sharelog_priv.h"

void sl_drop_oldest(struct sharelog *sl)
{
	char path[PATH_MAX + 32];

	sl_seg_path(sl, sl->segs[0].index, path, sizeof(path));
	if (!sl->cfg.read_only && sl->nspares < SL_MAX_SPARES) {
		char spare[PATH_MAX + 32];

		sl_spare_path(sl, sl->segs[0].index, spare, sizeof(spare));
		if (!rename(path, spare)) {
			sl->spares[sl->nspares++] = sl->segs[0].index;
			goto out;
		}
	}
	if (!sl->cfg.read_only && unlink(path) < 0 && errno != ENOENT)
		log_warn("share log %s: unlink: %s", path, strerror(errno));
out:
	memmove(&sl->segs[0], &sl->segs[1], sizeof(sl->segs[0]) * --sl->nsegs);
}

int sl_load_cursors(struct sharelog *sl, bool only_forward)
{
	for (unsigned i = 0; i < sl->n; i++) {
		struct sl_cursor c;
		int ret = sl_cursor_load(sl->dir, i, &c);

		if (ret == -ENOENT)
			continue;
		if (ret) {
			log_warn("share log %s: cursor of peer %u unreadable "
				 "(%s), keeping %" PRIu64,
				 sl->dir, i, strerror(-ret),
				 sl->cursors[i].seq);
			continue;
		}
		if (c.seq > sl_last_seq(sl))
			c.seq = sl_last_seq(sl);
		if (only_forward && c.seq <= sl->cursors[i].seq)
			continue;
		sl->cursors[i] = c;
	}
	return 0;
}

static bool seg_held_by_peer(const struct sharelog *sl, const struct sl_seg *s)
{
	for (unsigned i = 0; i < sl->n; i++)
		if (sl_peer_live(sl, i) && sl->cursors[i].seq < s->last_seq)
			return true;
	return false;
}

void sharelog_reclaim(struct sharelog *sl)
{
	if (sl->cfg.read_only)
		return;
	while (sl->nsegs > 1) {
		const struct sl_seg *s = &sl->segs[0];

		if (s->last_seq >= s->first_seq && seg_held_by_peer(sl, s))
			break;
		sl_drop_oldest(sl);
	}
}

int sharelog_drop_lagging(struct sharelog *sl, unsigned *peer)
{
	unsigned best = SL_MAX_N;
	uint64_t lag;
	int ret;

	for (unsigned i = 0; i < sl->n; i++)
		if (sl_peer_live(sl, i) &&
		    (best == SL_MAX_N ||
		     sl->cursors[i].seq < sl->cursors[best].seq))
			best = i;
	if (best == SL_MAX_N)
		return -ENOENT;
	sl->state.resync_mask |= 1U << best;
	sl->state.resync_seq[best] = sl->cursors[best].seq + 1;
	sl->state.next_seq = sl->next_seq;
	ret = sl_state_store(sl->dir, &sl->state);
	if (ret) {
		sl->state.resync_mask &= ~(1U << best);
		log_err("share log %s: persisting resync mark of peer %u: %s",
			sl->dir, best, strerror(-ret));
		return ret;
	}
	sl->drops++;
	lag = sl_last_seq(sl) - sl->cursors[best].seq;
	snprintf(sl->alert, sizeof(sl->alert),
		 "log full: peer %u marked needs-resync (was %" PRIu64
		 " records behind)",
		 best, lag);
	log_err("ALERT share log %s: %s", sl->dir, sl->alert);
	if (peer)
		*peer = best;
	sharelog_reclaim(sl);
	return 0;
}

/* Makes room for one more segment, or says what blocks. */
int sl_make_room(struct sharelog *sl)
{
	sharelog_reclaim(sl);
	while (sl->nsegs >= sl->max_segs) {
		const struct sl_seg *s = &sl->segs[0];
		int ret;

		if (!seg_held_by_peer(sl, s)) {
			sharelog_reclaim(sl);
			continue;
		}
		if (sl->cfg.full == SL_FULL_BLOCK)
			return -ENOSPC;
		ret = sharelog_drop_lagging(sl, NULL);
		if (ret)
			return ret == -ENOENT ? -ENOSPC : ret;
	}
	return 0;
}

int sharelog_peer_confirm(struct sharelog *sl, unsigned peer, uint64_t seq)
{
	struct sl_cursor c;
	int ret;

	if (peer >= sl->n)
		return -EINVAL;
	if (seq > sl_last_seq(sl))
		return -ERANGE;
	if (seq <= sl->cursors[peer].seq)
		return 0;
	c = sl->cursors[peer];
	c.peer = (uint8_t)peer;
	c.seq = seq;
	c.time_ns = sl_now_ns();
	ret = sl_cursor_store(sl->dir, &c);
	if (ret)
		return ret;
	sl->cursors[peer] = c;
	sharelog_reclaim(sl);
	return 0;
}

int sharelog_reload_cursors(struct sharelog *sl)
{
	sl_load_cursors(sl, true);
	sharelog_reclaim(sl);
	return 0;
}

int sharelog_peer_resync_done(struct sharelog *sl, unsigned peer, uint64_t seq)
{
	uint32_t old = sl->state.resync_mask;
	int ret;

	if (peer >= sl->n)
		return -EINVAL;
	if (seq > sl_last_seq(sl))
		return -ERANGE;
	sl->state.resync_mask &= ~(1U << peer);
	ret = sl_state_store(sl->dir, &sl->state);
	if (ret) {
		sl->state.resync_mask = old;
		return ret;
	}
	sl->cursors[peer].seq = 0;
	return sharelog_peer_confirm(sl, peer, seq);
}

int sharelog_set_baseline(struct sharelog *sl, uint64_t next, uint64_t size)
{
	sl->state.baseline_next = next;
	sl->state.baseline_size = size;
	sl->state.next_seq = sl->next_seq;
	return sl_state_store(sl->dir, &sl->state);
}

void sharelog_get_baseline(struct sharelog *sl, uint64_t *next, uint64_t *size)
{
	*next = sl->state.baseline_next;
	*size = sl->state.baseline_size;
}

void sharelog_get_stats(struct sharelog *sl, struct sharelog_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < sl->nsegs; i++) {
		const struct sl_seg *s = &sl->segs[i];

		st->used_bytes += s->used;
		if (!st->first_seq && s->last_seq >= s->first_seq)
			st->first_seq = s->first_seq;
	}
	st->last_seq = sl_last_seq(sl);
	st->next_seq = sl->next_seq;
	st->durable_seq = sl->durable_seq;
	st->next_gen = sl->next_gen;
	st->gen_reserved = sl->state.gen_reserved;
	st->block_size = sl->block_size;
	memcpy(st->uuid, sl->uuid, 16);
	st->log_size = sl->cfg.log_size;
	st->seg_size = sl->seg_size;
	st->nr_segments = sl->nsegs;
	st->max_segments = sl->max_segs;
	st->resync_mask = sl->state.resync_mask;
	st->drops = sl->drops;
	st->torn_bytes = sl->torn_bytes;
	st->k = sl->k;
	st->n = sl->n;
}

void sharelog_get_peer(struct sharelog *sl, unsigned peer,
		       struct sharelog_peer *out)
{
	uint64_t cur, oldest;

	memset(out, 0, sizeof(*out));
	if (peer >= sl->n)
		return;
	cur = sl->cursors[peer].seq;
	out->cursor = cur;
	out->cursor_time_ns = sl->cursors[peer].time_ns;
	out->needs_resync = !sl_peer_live(sl, peer);
	out->resync_seq = sl->state.resync_seq[peer];
	if (cur >= sl_last_seq(sl))
		return;
	out->lag_records = sl_last_seq(sl) - cur;
	oldest = 0;
	for (uint32_t i = 0; i < sl->nsegs; i++) {
		const struct sl_seg *s = &sl->segs[i];
		uint64_t nrec, bytes, after;

		if (s->last_seq < s->first_seq || s->last_seq <= cur)
			continue;
		nrec = s->last_seq - s->first_seq + 1;
		bytes = s->used - SL_SEG_HDR_SIZE;
		after = s->first_seq > cur ? nrec : s->last_seq - cur;
		out->lag_bytes += (uint64_t)((double)bytes * after / nrec);
		if (!oldest) {
			uint64_t first = s->last_seq - after + 1;
			double f = nrec > 1 ? (double)(first - s->first_seq) /
						      (double)(nrec - 1)
					    : 0;

			oldest = s->first_time_ns +
				 (uint64_t)(f * (double)(s->last_time_ns -
							 s->first_time_ns));
		}
	}
	if (oldest) {
		uint64_t now = sl_now_ns();

		out->lag_seconds =
			now > oldest ? (double)(now - oldest) / 1e9 : 0;
	}
}

const char *sharelog_alert(struct sharelog *sl)
{
	return sl->alert;
}
