/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xorshare backing store's public face: its vendor-specific VPD page
 * 0xC0, through which an xorshare LUN identifies itself so that it is never
 * used as a share destination (no secret-sharing chains).
 *
 * VPD page 0xC0, 40 bytes, multi-byte fields big-endian as in SPC:
 *   0     peripheral qualifier/device type (0x00)
 *   1     page code 0xC0
 *   2..3  page length (36)
 *   4..19 marker "TGTX-XORSHARE", NUL padded
 *   20    page version (1)
 *   21    k
 *   22    n
 *   23    reserved
 *   24..39 volume UUID (16 bytes, RFC 4122 byte order)
 */
#ifndef TGTX_BS_XORSHARE_H
#define TGTX_BS_XORSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XS_VPD_PAGE    0xC0
#define XS_VPD_LEN     40
#define XS_VPD_MARKER  "TGTX-XORSHARE"
#define XS_VPD_VERSION 1

struct bs_dev;
struct xs_ctx;

/*
 * For the replicator's resync of a lost peer: share `peer` of the current
 * content of blocks [lba, lba+nblocks) of an open xorshare LUN, derived from
 * the local volume and generation map (log/sl_resync.h), with writes held
 * off meanwhile. ctx: (k, n) of the LUN with the volume key set. -EAGAIN
 * while the store still re-logs extents after an unclean stop.
 */
int xorshare_resync_shares(struct bs_dev *dev, struct xs_ctx *ctx,
			   unsigned peer, uint64_t lba, uint32_t nblocks,
			   uint8_t *out, uint64_t *gens);

/* True if page (a VPD 0xC0 response of len bytes) is an xorshare LUN's. */
bool xorshare_vpd_is_xorshare(const uint8_t *page, size_t len);

#endif
