// SPDX-License-Identifier: GPL-2.0-or-later
/* Share writer: membership epoch, blobs, resync of the slots. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sv_writer_priv.h"
#include "sv_priv.h"

int sv_writer_set_members(struct sv_writer *w, uint64_t epoch,
			  uint32_t live_mask, struct sv_status *st)
{
	struct sv_info next = w->info;

	if (live_mask >> w->info.n)
		return sv_fail(st, SV_E_FIELD, -EINVAL, "live mask %#x",
			       live_mask);
	next.epoch = epoch;
	next.live_mask = live_mask;
	return svw_write_super(w, &next, st);
}

int sv_writer_put_blob(struct sv_writer *w, unsigned type, const void *data,
		       uint32_t len, struct sv_status *st)
{
	uint64_t gen;
	size_t cap;
	uint8_t *buf;
	int ret;

	if (type < 1 || type > SV_BLOB_TYPES || len > SV_BLOB_MAX)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "blob type %u of %u bytes", type, len);
	gen = w->blob_gen[type] + 1;
	cap = sv_roundup(SV_BLOB_HDR_SIZE + (uint64_t)len, w->info.align);
	buf = aligned_alloc(4096, sv_roundup(cap, 4096));
	if (!buf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "blob buffer");
	sv_blob_encode(&w->info, buf, cap, type, gen, data, len);
	/* The other copy keeps the previous generation until this one is
	 * durable. */
	ret = svw_blocking(w, 1, sv_blob_off(type, gen % 2), buf, cap,
			   "blob write", st);
	if (!ret)
		ret = svw_bsync(w, st);
	free(buf);
	if (!ret)
		w->blob_gen[type] = gen;
	return ret;
}

int sv_writer_resync_begin(struct sv_writer *w, struct sv_status *st)
{
	struct sv_info next = w->info;

	if (w->info.flags & SV_SF_RESYNC)
		return 0;
	next.flags |= SV_SF_RESYNC;
	return svw_write_super(w, &next, st);
}

int sv_writer_put_slot(struct sv_writer *w, uint64_t lba, uint64_t gen,
		       uint64_t seq, const uint8_t *share, struct sv_status *st)
{
	if (!(w->info.flags & SV_SF_RESYNC) || lba >= w->info.nblocks)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "slot %" PRIu64 " outside a resync", lba);
	if (w->err)
		return sv_fail(st, SV_E_IO, w->err, "device broken (%d)",
			       w->err);
	return svw_write_slot(w, lba, gen, seq, share, st);
}

int sv_writer_put_slots(struct sv_writer *w, uint64_t lba, uint32_t count,
			const uint64_t *gens, uint64_t seq,
			const uint8_t *shares, struct sv_status *st)
{
	size_t ssz = w->info.share_size;
	uint8_t *buf;

	if (!(w->info.flags & SV_SF_RESYNC) || !count ||
	    count > SV_MAX_ENTRIES || lba >= w->info.nblocks ||
	    count > w->info.nblocks - lba)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "slots %" PRIu64 "+%u outside a resync", lba,
			       count);
	if (w->err)
		return sv_fail(st, SV_E_IO, w->err, "device broken (%d)",
			       w->err);
	buf = svw_slot_buf(w, count);
	if (!buf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "slot buffer");
	for (uint32_t j = 0; j < count; j++)
		sv_slot_encode(&w->info, buf + (size_t)j * w->info.slot_size,
			       lba + j, gens[j], seq,
			       gens[j] ? shares + j * ssz : NULL);
	/* one write of adjacent slots: the same bytes as count put_slot */
	return svw_submit_slots(w, lba, buf, count, st);
}

int sv_writer_slots_wait(struct sv_writer *w, struct sv_status *st)
{
	if (svw_wait_slots(w, 1))
		return sv_fail(st, SV_E_IO, w->err, "slot write failed (%d)",
			       w->err);
	return 0;
}

int sv_writer_resync_end(struct sv_writer *w, uint64_t seq, uint64_t time_ns,
			 struct sv_status *st)
{
	struct sv_info next = w->info;
	int ret;

	if (w->qn)
		return sv_fail(st, SV_E_FIELD, -EBUSY,
			       "journal writes pending at resync end");
	if (svw_wait_slots(w, 1))
		return sv_fail(st, SV_E_IO, w->err, "slot write failed (%d)",
			       w->err);
	ret = svw_bsync(w, st);
	if (ret)
		return ret;
	/* The journal restarts empty at the head: nothing before seq is in
	 * it, and the slots hold exactly the volume after seq. */
	next.flags &= ~(unsigned)SV_SF_RESYNC;
	next.ckpt_seq = next.apply_seq = seq;
	next.ckpt_ns = next.apply_ns = time_ns;
	next.jtail_pos = w->head;
	/* the slots are the whole (current) volume after seq */
	if (next.base_nblocks)
		next.base_nblocks = next.nblocks;
	ret = svw_write_super(w, &next, st);
	if (ret)
		return ret;
	w->njr = 0;
	w->cur_nblocks = w->info.nblocks;
	w->last_seq = w->acked_seq = seq;
	w->last_ns = w->acked_ns = time_ns;
	return 0;
}
