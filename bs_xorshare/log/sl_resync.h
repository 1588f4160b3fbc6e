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
#include "sharelog.h"
#include "sl_genmap.h"

/* Attempts of a consistent read, and the wait for the store each time. */
#define SL_RC_TRIES   8
#define SL_RC_WAIT_MS 2000

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

/*
 * The same from OUTSIDE the store (the replicator), while it writes:
 * sl: a read-only handle of the LUN's log, gm: its map opened read-only,
 * vol_fd: the volume opened read-only. Takes P1 = the newest record in the
 * log, waits (bounded) until the store's progress says every record <= P1
 * is in the volume and the map, reads map then volume, then reads the log
 * again: a record after P1 touching the range means a write may have
 * changed one of the two meanwhile, and it tries again (SL_RC_TRIES). The
 * shares are derived only from a pair proved to belong together: a share
 * of a block's new data under its old generation would reuse randomness.
 * On success *as_of_seq = P1: the shares are the content as of P1; the
 * caller sends the records after P1 on top. -EAGAIN: not now (writes kept
 * hitting the range, re-log after a crash running, store gone or slow).
 */
int sl_resync_read_consistent(struct sharelog *sl, struct xs_ctx *ctx,
			      struct sl_genmap *gm, int vol_fd, unsigned peer,
			      uint64_t lba, uint32_t nblocks, uint8_t *shares,
			      uint64_t *gens, uint64_t *as_of_seq);

/* Test only: called between the map read and the volume read. */
extern void (*sl_resync_race_hook)(void *arg);
extern void *sl_resync_race_arg;

#endif
