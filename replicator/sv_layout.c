// SPDX-License-Identifier: GPL-2.0-or-later
/* Where everything of a share volume lives, from its parameters. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sv.h"
#include "sv_priv.h"

int sv_layout_init(struct sv_info *info, const struct sv_params *p,
		   uint64_t now_ns, struct sv_status *st)
{
	memset(info, 0, sizeof(*info));
	if (p->k < 2 || p->n < p->k || p->n > SV_MAX_N || p->index >= p->n)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "k=%u n=%u index=%u out of range", p->k, p->n,
			       p->index);
	if (p->block_size != 512 && p->block_size != 4096)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "volume block size %u (512 or 4096)",
			       p->block_size);
	if (!sv_is_pow2(p->align) || p->align < 512 || p->align > 4096)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "peer LUN block size %u (512..4096)", p->align);
	if (!p->nblocks || p->nblocks > SV_MAX_NBLOCKS)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "volume of %" PRIu64 " blocks", p->nblocks);
	memcpy(info->uuid, p->uuid, 16);
	info->k = p->k;
	info->n = p->n;
	info->index = p->index;
	info->gen = 1;
	info->block_size = p->block_size;
	info->align = p->align;
	info->share_size = sv_codec_share_size(p->n, p->block_size);
	info->slot_size = (uint32_t)sv_roundup(
		SV_SLOT_HDR_SIZE + (uint64_t)info->share_size, p->align);
	info->nblocks = p->nblocks;
	info->journal_off = SV_JOURNAL_OFF;
	info->journal_len = sv_roundup(p->journal_len, p->align);
	if (info->journal_len < SV_MIN_JOURNAL ||
	    info->journal_len > SV_MAX_JOURNAL)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "journal of %" PRIu64 " bytes (1 MiB .. 1 TiB)",
			       p->journal_len);
	info->data_off = sv_roundup(info->journal_off + info->journal_len,
				    SV_DATA_ALIGN);
	info->format_ns = now_ns;
	info->write_ns = now_ns;
	info->ckpt_seq = info->apply_seq = p->start_seq;
	info->ckpt_ns = info->apply_ns = p->start_ns;
	info->jtail_pos = 0;
	info->epoch = p->epoch;
	info->live_mask = p->live_mask;
	info->retain_s = p->retain_s;
	return 0;
}

uint64_t sv_layout_end(const struct sv_info *info)
{
	return info->data_off + info->nblocks * info->slot_size;
}
