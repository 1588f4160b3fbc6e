/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One peer thread's view of a live share log (tgtxd's store writes it; we
 * only read, plus the cursor peer.<i>): a read-only sharelog handle that is
 * refreshed to see new records, the newest record a peer may be sent
 * (durable), the needs-resync marks, the resync handshake and consistent
 * reads of the volume for a resync. Everything behind the names of
 * S2-CONTRACTS.md section A.
 */
#ifndef TGTX_RD_LOG_H
#define TGTX_RD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs_xorshare/codec/xorshare.h"
#include "bs_xorshare/log/sharelog.h"

struct rd_log;

/* Opens DIR read-only. 0 or -errno (err says why). */
int rd_log_open(struct rd_log **out, const char *dir, char *err, size_t errlen);
void rd_log_close(struct rd_log *l);
/* Picks up records appended, segments freed, state and progress. */
int rd_log_refresh(struct rd_log *l, char *err, size_t errlen);
struct sharelog *rd_log_sl(struct rd_log *l);
void rd_log_stats(struct rd_log *l, struct sharelog_stats *st);
/* Newest record that may be sent (on stable storage). */
uint64_t rd_log_durable(struct rd_log *l);
bool rd_log_needs_resync(struct rd_log *l, unsigned peer);

/* Resync handshake (cursor file flags); epoch = the peer's drop epoch
 * when the resync started. */
uint64_t rd_log_drop_epoch(struct rd_log *l, unsigned peer);
int rd_log_resync_start(struct rd_log *l, unsigned peer, uint64_t from_seq);
int rd_log_resync_finish(struct rd_log *l, unsigned peer, uint64_t seq,
			 uint64_t epoch);

/* Volume + generation map of the LUN, for consistent resync reads. */
struct rd_vol;
int rd_vol_open(struct rd_vol **out, struct rd_log *l, const char *vol_path,
		const uint8_t uuid[16], uint32_t block_size, char *err,
		size_t errlen);
void rd_vol_close(struct rd_vol *v);
/*
 * Share `peer` of blocks [lba, lba + nblocks) as of one point *as_of of the
 * log order (every record <= *as_of is in them, none after). -EAGAIN when
 * writes kept hitting the range: try again later.
 */
int rd_vol_read(struct rd_vol *v, struct rd_log *l, struct xs_ctx *ctx,
		unsigned peer, uint64_t lba, uint32_t nblocks, uint8_t *shares,
		uint64_t *gens, uint64_t *as_of);

/* The volume's metadata file: integrity check and protected size. */
int rd_log_read_meta(const char *dir, uint8_t *check, uint64_t *size, char *err,
		     size_t errlen);

#endif
