// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rebuilding one peer's share volume from the local site alone (issue 11
 * point 2): 1x the volume to that peer, the others untouched.
 *
 *   S_start = newest durable seq; the store is told to keep every record
 *   after it (resync handshake); the volume is marked RESYNC (unusable for
 *   restores); every block's share i as of some seq P >= S_start is written
 *   into its slot (consistent reads: volume + generation map at one point
 *   of the log order); then the shares of every record in (S_start, S_end]
 *   are written into their slots in seq order, S_end >= every P, so each
 *   block ends as of S_end whatever P its read had; resync_end(S_end) clears
 *   RESYNC and the peer streams from S_end + 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "rd_peer_priv.h"

#define CHUNK_BYTES (1U << 20)
#define MAX_RANGES  256
/* adjacent slots per write in the volume pass (256 KiB at 1 KiB slots) */
#define RD_SLOTS_PER_WRITE 256

struct ranges {
	uint64_t lba[MAX_RANGES], nb[MAX_RANGES];
	unsigned n;
};

static void progress(struct rd_pctx *c, uint64_t done, uint64_t total)
{
	pthread_mutex_lock(&c->p->mu);
	c->p->st.resync_done = done;
	c->p->st.resync_total = total;
	pthread_mutex_unlock(&c->p->mu);
}

/* Two writes to one slot must never be in flight together. */
static int claim(struct rd_pctx *c, struct ranges *r, uint64_t lba, uint64_t nb)
{
	bool clash = r->n == MAX_RANGES;

	for (unsigned j = 0; j < r->n && !clash; j++)
		clash = lba < r->lba[j] + r->nb[j] && r->lba[j] < lba + nb;
	if (clash) {
		int ret = sv_writer_slots_wait(c->w, &c->st);

		if (ret)
			return ret;
		r->n = 0;
	}
	r->lba[r->n] = lba;
	r->nb[r->n++] = nb;
	return 0;
}

static int volume_pass(struct rd_pctx *c, struct rd_vol *v, uint64_t *max_p)
{
	struct rd_engine *e = c->e;
	uint32_t per = CHUNK_BYTES / e->block_size;
	/* what the share volume was made as large as (rd_grow) */
	uint64_t total = sv_writer_info(c->w)->nblocks;
	uint8_t *shares = malloc((size_t)per * c->share_size);
	uint64_t *gens = calloc(per, sizeof(*gens));
	int ret = 0;

	if (!shares || !gens)
		ret = sv_fail(&c->st, SV_E_NOMEM, -ENOMEM, "resync buffers");
	for (uint64_t lba = 0; !ret && lba < total; lba += per) {
		uint32_t nb = total - lba < per ? (uint32_t)(total - lba) : per;
		uint64_t as_of = 0;
		int tries = 0;

		if (rd_should_stop(c)) {
			ret = -EINTR;
			break;
		}
		while ((ret = rd_vol_read(v, c->log, c->xs, c->i, lba, nb,
					  shares, gens, &as_of)) == -EAGAIN &&
		       tries++ < 100)
			rd_nap(&c->p->stop, 100);
		if (ret) {
			ret = sv_fail(&c->st, SV_E_IO, ret,
				      "reading blocks %" PRIu64 "+%u: %s", lba,
				      nb, strerror(-ret));
			break;
		}
		if (as_of > *max_p)
			*max_p = as_of;
		/* the LUN's writes stay within SV_MAX_REC_LEN-sized pieces */
		for (uint32_t j = 0; j < nb && !ret; j += RD_SLOTS_PER_WRITE) {
			uint32_t cnt = nb - j < RD_SLOTS_PER_WRITE
					       ? nb - j
					       : RD_SLOTS_PER_WRITE;

			ret = sv_writer_put_slots(
				c->w, lba + j, cnt, gens + j, as_of,
				shares + (size_t)j * c->share_size, &c->st);
		}
		progress(c, (lba + nb) * e->block_size, total * e->block_size);
	}
	free(shares);
	free(gens);
	if (!ret)
		ret = sv_writer_slots_wait(c->w, &c->st);
	return ret;
}

/* Records (from, to] into their slots, in seq order. */
static int replay(struct rd_pctx *c, uint64_t from, uint64_t to,
		  uint64_t *to_ns)
{
	struct ranges r = {.n = 0};
	struct sl_iter *it = NULL;
	uint64_t next = from + 1;
	int ret = 0;

	if (next > to)
		return 0;
	ret = sharelog_iter_open(rd_log_sl(c->log), next, &it);
	while (!ret && next <= to) {
		const void *rec;
		struct sv_batch b;
		struct sl_rec_hdr h;

		ret = sharelog_iter_next(it, &rec);
		if (ret == 0)
			ret = -ENOENT;
		if (ret < 0)
			break;
		sl_record_decode(rec, &h);
		if (h.seq < next)
			continue;
		if (h.seq != next) {
			ret = -ENOENT;
			break;
		}
		ret = rd_record_batch(c, rec, &b);
		if (ret == 1) {
			/* slots only: the journal restarts after the resync */
			ret = rd_grow(c, h.lba + h.nblocks, 0, 0);
			next++;
			continue;
		}
		if (ret)
			break;
		ret = claim(c, &r, b.ents[0].lba, b.count);
		for (unsigned j = 0; j < b.count && !ret; j++)
			ret = sv_writer_put_slot(c->w, b.ents[j].lba,
						 b.ents[j].gen, b.seq,
						 b.ents[j].share, &c->st);
		*to_ns = b.time_ns;
		next++;
	}
	sharelog_iter_close(it);
	if (ret == -ENOENT)
		return sv_fail(&c->st, SV_E_IO, ret,
			       "log record %" PRIu64
			       " needed by the resync is gone",
			       next);
	if (!ret)
		ret = sv_writer_slots_wait(c->w, &c->st);
	return ret;
}

/* Waits until every record <= seq is durable; its seq or 0 if stopping. */
static uint64_t wait_durable(struct rd_pctx *c, uint64_t seq)
{
	char err[256];

	while (!rd_should_stop(c)) {
		uint64_t d = rd_log_durable(c->log);

		if (d >= seq)
			return d;
		rd_nap(&c->p->stop, 50);
		if (rd_log_refresh(c->log, err, sizeof(err)))
			rd_peer_set_error(c->p, "share log: %s", err);
	}
	return 0;
}

int rd_resync(struct rd_pctx *c)
{
	bool baseline = !rd_log_needs_resync(c->log, c->i);
	uint64_t s_start, s_end, max_p = 0, end_ns = 0, drop_epoch;
	struct rd_vol *v = NULL;
	char err[256];
	int ret;

	atomic_store(&c->p->live, false);
	rd_engine_set_member(c->e, c->i, false);
	rd_peer_set_state(c->p, baseline ? RD_PS_BASELINE : RD_PS_RESYNC);
	pthread_mutex_lock(&c->p->mu);
	c->p->st.resyncs++;
	pthread_mutex_unlock(&c->p->mu);
	/* resync_end wants no journal write pending */
	if (sv_writer_last(c->w) > sv_writer_acked(c->w, NULL)) {
		ret = sv_writer_drain(c->w, rd_opts.op_timeout_ms, &c->st);
		if (ret)
			return ret;
	}
	if (rd_log_refresh(c->log, err, sizeof(err)))
		return sv_fail(&c->st, SV_E_IO, -EIO, "share log: %s", err);
	s_start = rd_log_durable(c->log);
	drop_epoch = rd_log_drop_epoch(c->log, c->i);
	log_info("%s: peer %u: %s from the local volume, log at seq %" PRIu64,
		 c->e->name, c->i, baseline ? "filling" : "resyncing", s_start);
	/* a needs-resync peer no longer holds the log: ask the store to keep
	 * the records the resync will send after its volume pass */
	ret = baseline ? 0 : rd_log_resync_start(c->log, c->i, s_start + 1);
	if (ret)
		return sv_fail(&c->st, SV_E_IO, ret, "resync start: %s",
			       strerror(-ret));
	/* a share volume made before the volume grew: as large first */
	ret = rd_grow(c, atomic_load(&c->e->nblocks), 0, 0);
	if (!ret)
		ret = sv_writer_resync_begin(c->w, &c->st);
	if (ret)
		return ret;
	ret = rd_vol_open(&v, c->log, c->e->path, c->e->uuid, c->e->block_size,
			  err, sizeof(err));
	if (ret)
		return sv_fail(&c->st, SV_E_IO, ret, "%s", err);
	ret = volume_pass(c, v, &max_p);
	rd_vol_close(v);
	if (ret)
		return ret;
	s_end = wait_durable(c, max_p > s_start ? max_p : s_start);
	if (rd_should_stop(c))
		return -EINTR;
	ret = replay(c, s_start, s_end, &end_ns);
	if (ret)
		return ret;
	ret = sv_writer_resync_end(c->w, s_end, end_ns ? end_ns : rd_now_ns(),
				   &c->st);
	if (ret)
		return ret;
	ret = baseline ? sharelog_peer_confirm(rd_log_sl(c->log), c->i, s_end)
		       : rd_log_resync_finish(c->log, c->i, s_end, drop_epoch);
	if (ret && ret != -ERANGE)
		rd_peer_set_error(c->p, "resync finish: %s", strerror(-ret));
	c->confirmed = s_end;
	c->key_blob_done = false;
	atomic_store(&c->p->acked, s_end);
	atomic_store(&c->p->progress_ns, rd_now_ns());
	log_info("%s: peer %u: %s done at seq %" PRIu64, c->e->name, c->i,
		 baseline ? "fill" : "resync", s_end);
	return 0;
}
