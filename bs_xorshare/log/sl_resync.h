/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rebuilding a lost peer from the local site alone: share `peer` of the
 * CURRENT content of a range of blocks, derived from the local volume and
 * the generation map (nonce = the block's generation, key = the volume's).
 * These are bit for bit the shares that peer got (or would have got) from
 * the log for the same content, and consistent with what the other peers
 * hold: any k of them rebuild the volume. Streaming a needs-resync peer its
 * own shares costs 1x the volume to that peer and nothing to the others;
 * no plaintext leaves the site.
 *
 * The caller keeps writes to the range out while it runs (the store does so
 * through its writer thread), so volume and map describe the same content.
 */
#ifndef TGTX_SL_RESYNC_H
#define TGTX_SL_RESYNC_H

#include <stdint.h>

#include "bs_xorshare/codec/xorshare.h"
#include "sl_genmap.h"

/*
 * Fills out with nblocks shares of xs_share_size(n, block_size) bytes each
 * (share of block lba + j at out + j * that size) and gens[j] with each
 * block's generation. A block of generation 0 reads as zeroes and its peer
 * copy is unmapped: its share is all zeroes. ctx: the volume's (k, n), the
 * volume key set (xs_ctx_set_key), max secret >= block_size; n: its n.
 * 0 or -errno.
 */
int sl_resync_shares(struct xs_ctx *ctx, unsigned n, struct sl_genmap *gm,
		     int vol_fd, uint32_t block_size, unsigned peer,
		     uint64_t lba, uint32_t nblocks, uint8_t *out,
		     uint64_t *gens);

#endif
