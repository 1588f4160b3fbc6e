// SPDX-License-Identifier: GPL-2.0-or-later
/* Share i of the current content of blocks, from the volume + gen map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "sl_resync.h"

int sl_resync_shares(struct xs_ctx *ctx, unsigned n, struct sl_genmap *gm,
		     int vol_fd, uint32_t block_size, unsigned peer,
		     uint64_t lba, uint32_t nblocks, uint8_t *out,
		     uint64_t *gens)
{
	size_t ssz = xs_share_size(n, block_size);
	size_t len = (size_t)nblocks * block_size;
	uint8_t *data;
	ssize_t got;
	int ret;

	if (!nblocks)
		return 0;
	if (!ssz)
		return -EINVAL;
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	ret = sl_genmap_get(gm, lba, nblocks, gens);
	if (ret)
		goto out;
	got = pread_upto(vol_fd, data, len, lba * block_size);
	if (got < 0) {
		ret = (int)got;
		goto out;
	}
	memset(data + got, 0, len - (size_t)got);
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
out:
	free(data);
	return ret;
}
