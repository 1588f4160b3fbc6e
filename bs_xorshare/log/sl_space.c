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

/*
 * A finished resync (SL_CUR_RESYNC_DONE) of the peer's current drop epoch
 * clears its needs-resync mark; one of an older epoch (the peer was
 * dropped again meanwhile) does nothing: the replicator starts over.
 */
static bool take_resync_done(struct sharelog *sl, unsigned i)
{
	const struct sl_cursor *c = &sl->cursors[i];

	if (sl->cfg.read_only || sl_peer_live(sl, i) ||
	    !(c->flags & SL_CUR_RESYNC_DONE) ||
	    c->epoch != sl->state.drop_epoch[i])
		return false;
	sl->state.resync_mask &= ~(1U << i);
	log_info("share log %s: peer %u resynchronised up to seq %" PRIu64,
		 sl->dir, i, c->seq);
	return true;
}

int sl_load_cursors(struct sharelog *sl, bool only_forward)
{
	uint32_t old_mask = sl->state.resync_mask;
	bool cleared = false;
	int ret = 0;

	for (unsigned i = 0; i < sl->n; i++) {
		struct sl_cursor c, *old = &sl->cursors[i];
		int r = sl_cursor_load(sl->dir, i, &c);
		bool same_hs;

		if (r == -ENOENT)
			continue;
		if (r) {
			log_warn("share log %s: cursor of peer %u unreadable "
				 "(%s), keeping %" PRIu64,
				 sl->dir, i, strerror(-r), old->seq);
			continue;
		}
		if (c.seq > sl_last_seq(sl))
			c.seq = sl_last_seq(sl);
		same_hs = c.flags == old->flags && c.epoch == old->epoch &&
			  c.resync_from == old->resync_from;
		if (only_forward && c.seq <= old->seq && same_hs)
			continue;
		if (only_forward && c.seq < old->seq)
			c.seq = old->seq; /* a cursor never moves back */
		*old = c;
		if ((c.flags & SL_CUR_RESYNC_DONE) && !sl_peer_live(sl, i) &&
		    c.epoch != sl->state.drop_epoch[i])
			log_warn("share log %s: resync of peer %u answers drop "
				 "epoch %" PRIu64
				 ", the peer was dropped again "
				 "(epoch %" PRIu64 "): still needs-resync",
				 sl->dir, i, c.epoch, sl->state.drop_epoch[i]);
	}
	for (unsigned i = 0; i < sl->n; i++)
		cleared |= take_resync_done(sl, i);
	if (cleared) {
		sl->state.next_seq = sl->next_seq;
		ret = sl_state_store(sl->dir, &sl->state);
		if (ret) {
			sl->state.resync_mask = old_mask;
			log_err("share log %s: persisting a finished resync: "
				"%s",
				sl->dir, strerror(-ret));
		}
	}
	return ret;
}

static bool seg_held_by_peer(const struct sharelog *sl, const struct sl_seg *s)
{
	for (unsigned i = 0; i < sl->n; i++) {
		uint64_t cur;

		if (sl_peer_holds(sl, i, &cur) && cur < s->last_seq)
			return true;
	}
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
	uint64_t lag, best_cur = 0, old_seq, old_epoch;
	uint32_t old_mask = sl->state.resync_mask;
	int ret;

	/* a peer being resynced holds the log too, and can be dropped again */
	for (unsigned i = 0; i < sl->n; i++) {
		uint64_t cur;

		if (sl_peer_holds(sl, i, &cur) &&
		    (best == SL_MAX_N || cur < best_cur)) {
			best = i;
			best_cur = cur;
		}
	}
	if (best == SL_MAX_N)
		return -ENOENT;
	old_seq = sl->state.resync_seq[best];
	old_epoch = sl->state.drop_epoch[best];
	sl->state.resync_mask |= 1U << best;
	sl->state.resync_seq[best] = best_cur + 1;
	sl->state.drop_epoch[best]++;
	sl->state.next_seq = sl->next_seq;
	ret = sl_state_store(sl->dir, &sl->state);
	if (ret) {
		sl->state.resync_mask = old_mask;
		sl->state.resync_seq[best] = old_seq;
		sl->state.drop_epoch[best] = old_epoch;
		log_err("share log %s: persisting resync mark of peer %u: %s",
			sl->dir, best, strerror(-ret));
		return ret;
	}
	sl->drops++;
	lag = sl_last_seq(sl) - best_cur;
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
	/* the latest cursors first: a resync that just started holds space */
	if (!sl->cfg.read_only)
		sl_load_cursors(sl, true);
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
	/* the handshake ends once the store has cleared the mark; until then
	 * a finished resync must stay in the file for it to see */
	if (sl_peer_live(sl, peer)) {
		c.flags = 0;
		c.resync_from = 0;
		c.epoch = 0;
	}
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

static int write_handshake(struct sharelog *sl, unsigned peer,
			   const struct sl_cursor *c)
{
	int ret = sl_cursor_store(sl->dir, c);

	if (ret)
		return ret;
	sl->cursors[peer] = *c;
	return 0;
}

int sharelog_peer_resync_start(struct sharelog *sl, unsigned peer,
			       uint64_t from_seq)
{
	struct sl_cursor c;

	if (peer >= sl->n || !from_seq)
		return -EINVAL;
	if (from_seq > sl_last_seq(sl) + 1)
		return -ERANGE;
	if (sl->nsegs && from_seq < sl->segs[0].first_seq)
		return -ENOENT; /* already freed: start later */
	c = sl->cursors[peer];
	c.peer = (uint8_t)peer;
	c.flags = SL_CUR_RESYNC;
	c.resync_from = from_seq;
	c.epoch = sl->state.drop_epoch[peer];
	c.time_ns = sl_now_ns();
	return write_handshake(sl, peer, &c);
}

int sharelog_peer_resync_finish(struct sharelog *sl, unsigned peer,
				uint64_t seq, uint64_t epoch)
{
	struct sl_cursor c;
	int ret;

	if (peer >= sl->n)
		return -EINVAL;
	if (seq > sl_last_seq(sl))
		return -ERANGE;
	c = sl->cursors[peer];
	c.peer = (uint8_t)peer;
	c.flags = SL_CUR_RESYNC | SL_CUR_RESYNC_DONE;
	if (!c.resync_from)
		c.resync_from = seq + 1;
	c.seq = seq;
	c.epoch = epoch;
	c.time_ns = sl_now_ns();
	ret = write_handshake(sl, peer, &c);
	/* the store's own handle (tests, tools) takes it at once */
	if (!ret && !sl->cfg.read_only) {
		ret = sl_load_cursors(sl, true);
		sharelog_reclaim(sl);
	}
	return ret;
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
	out->drop_epoch = sl->state.drop_epoch[peer];
	if (out->needs_resync) {
		uint64_t hold;

		out->resync_active = sl_peer_holds(sl, peer, &hold);
		out->resync_from =
			out->resync_active ? sl->cursors[peer].resync_from : 0;
	}
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
