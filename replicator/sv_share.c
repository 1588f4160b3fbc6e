// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The share volume's only contact with the codec: share sizes and the check
 * that a share read back is share `index` of the block write `gen`. Kept in
 * one file so the codec's move to codec/xorshare.h touches one include.
 */
#include <errno.h>
#include <inttypes.h>

#include "sv.h"
#include "sv_priv.h"
#include "bs_xorshare/codec/xorshare.h"

_Static_assert(SV_MAX_N == XS_MAX_N, "share index range");

uint32_t sv_codec_share_size(unsigned n, uint32_t block_size)
{
	size_t s = xs_share_size(n, block_size);

	return s > UINT32_MAX ? 0 : (uint32_t)s;
}

int sv_share_check(const struct sv_info *info, const uint8_t *share,
		   uint64_t gen, struct sv_status *st)
{
	struct xs_share_info si;
	int ret = xs_share_parse(share, info->share_size, &si);

	if (ret)
		return sv_fail(st, SV_E_SHARE, -EBADMSG,
			       "share of gen %" PRIu64 ": codec header invalid",
			       gen);
	if (si.index != info->index || si.k != info->k || si.n != info->n ||
	    si.secret_len != info->block_size)
		return sv_fail(st, SV_E_SHARE, -EBADMSG,
			       "share of gen %" PRIu64
			       ": header says index %u k %u n %u len %u",
			       gen, si.index, si.k, si.n, si.secret_len);
	if (si.split_id != gen)
		return sv_fail(st, SV_E_SHARE, -EBADMSG,
			       "share of gen %" PRIu64 ": split id %" PRIu64,
			       gen, si.split_id);
	return 0;
}
