/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Share writer: applies share batches to ONE peer's share volume following
 * share_volume_format.h, over an asynchronous block device (the peer layer
 * over libiscsi, or sv_memdev for tests). The daemon's glue per peer is:
 *
 *   log record -> derive share i of each block -> struct sv_batch
 *     -> sv_writer_append() ... sv_writer_pump() -> sv_writer_acked()
 *   every so often: sv_writer_checkpoint(min acked seq of all live peers)
 *   device error: reconnect, sv_writer_resume(), pump again
 *
 * Appends are batched into large journal writes with a bounded number in
 * flight; a seq is reported acknowledged only after a SYNCHRONIZE CACHE
 * that was issued after its write completed.
 *
 * One writer is single-threaded: call everything from one thread (the
 * peer's thread), completions run inside sv_dev poll.
 */
#ifndef TGTX_SV_WRITER_H
#define TGTX_SV_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv.h"

/* Completion of an asynchronous device operation: 0 or a negative errno. */
typedef void (*sv_io_cb)(void *arg, int err);

/*
 * An asynchronous block device. Submits return 0 (the callback will run,
 * from poll only) or a negative errno (it will not). poll runs completions
 * for up to timeout_ms and returns < 0 once the device is broken; by then
 * every submitted operation has had its callback (with an error).
 */
struct sv_dev_ops {
	int (*write)(void *priv, uint64_t off, const void *buf, size_t len,
		     sv_io_cb cb, void *arg);
	int (*read)(void *priv, uint64_t off, void *buf, size_t len,
		    sv_io_cb cb, void *arg);
	int (*sync)(void *priv, sv_io_cb cb, void *arg);
	int (*poll)(void *priv, int timeout_ms);
};

struct sv_dev {
	const struct sv_dev_ops *ops;
	void *priv;
	uint64_t capacity;   /* bytes; may grow between resumes */
	uint32_t block_size; /* LUN logical block size */
};

struct sv_batch {
	uint64_t seq, time_ns;
	unsigned count;
	const struct sv_share_ent *ents;
};

struct sv_writer_cfg {
	struct sv_params params; /* what the volume must be (or become) */
	bool format;		 /* format a LUN that holds no share volume */
	bool zeroed;	    /* ...whose data area is known to read as zeroes;
			     * otherwise it is marked RESYNC until filled */
	size_t chunk;	    /* journal bytes per write (default 1 MiB) */
	unsigned window;    /* journal writes in flight (default 8) */
	size_t max_unacked; /* bytes held for rewrite (default 64 MiB) */
	int op_timeout_ms;  /* deadline of a blocking step (default 30 s) */
};

struct sv_writer;

/* Opens (or formats) the share volume on dev: blocking, deadline-bound. */
int sv_writer_open(struct sv_writer **wp, struct sv_dev *dev,
		   const struct sv_writer_cfg *cfg, struct sv_status *st);
void sv_writer_free(struct sv_writer *w);

/*
 * Queues one batch. 0 (also for a seq already held: replays after a
 * restart are harmless), -EAGAIN (too much unacknowledged: pump first),
 * -ENOSPC (journal full: a checkpoint must free space), -E2BIG (batch
 * larger than a record may be), -EINVAL (bad entries), -EIO (broken).
 */
int sv_writer_append(struct sv_writer *w, const struct sv_batch *b,
		     struct sv_status *st);
/*
 * The protected volume grew to nblocks at log seq seq: raises the
 * superblock's size (if larger; blocking, crash-safe through the two
 * superblock copies) and queues a GROW journal record for seq, so a
 * restore before seq still gets the old size. seq 0: only the superblock
 * (before a resync). -ENOSPC (SV_E_SMALL) when the LUN is smaller than
 * sv_writer_need(nblocks): nothing changed; refresh the capacity and call
 * again. A seq already held is a no-op.
 */
int sv_writer_grow(struct sv_writer *w, uint64_t nblocks, uint64_t seq,
		   uint64_t time_ns, struct sv_status *st);
/* LUN bytes a share volume of nblocks needs with this layout. */
uint64_t sv_writer_need(const struct sv_writer *w, uint64_t nblocks);
/* Submits what is due and runs completions for up to timeout_ms. < 0 when
 * the device broke: reconnect it, then sv_writer_resume(). */
int sv_writer_pump(struct sv_writer *w, int timeout_ms, struct sv_status *st);
/* Runs pump until every queued seq is acknowledged or timeout_ms passes. */
int sv_writer_drain(struct sv_writer *w, int timeout_ms, struct sv_status *st);

/* Newest seq durable on the peer (and its record time). */
uint64_t sv_writer_acked(const struct sv_writer *w, uint64_t *time_ns);
/* Newest seq queued. */
uint64_t sv_writer_last(const struct sv_writer *w);
/* Journal bytes in use and ring size. */
void sv_writer_usage(const struct sv_writer *w, uint64_t *used, uint64_t *size);
const struct sv_info *sv_writer_info(const struct sv_writer *w);

/*
 * Applies the journal into the slots up to the newest record with seq <=
 * all_acked (the newest seq EVERY live peer has acknowledged: the caller
 * computes it; peers marked needs-resync are not counted) that is older
 * than retain, or regardless of retain when the journal is over 3/4 full.
 * Blocking. Safe to call again after any failure.
 */
int sv_writer_checkpoint(struct sv_writer *w, uint64_t all_acked,
			 uint64_t now_ns, struct sv_status *st);

/* After the device was reconnected: checks the volume is still ours, then
 * writes again what was not acknowledged. */
int sv_writer_resume(struct sv_writer *w, struct sv_status *st);

/* Membership: written to the superblock now (blocking). */
int sv_writer_set_members(struct sv_writer *w, uint64_t epoch,
			  uint32_t live_mask, struct sv_status *st);
/* Stores an opaque blob (SV_BLOB_KEY / SV_BLOB_LOCATIONS); blocking. */
int sv_writer_put_blob(struct sv_writer *w, unsigned type, const void *data,
		       uint32_t len, struct sv_status *st);

/*
 * Resync / baseline: begin marks the volume RESYNC (unusable for restores),
 * put_slot writes the share of a block as of seq (blocking when the window
 * is full), end(seq) declares the slots equal to the volume after seq and
 * empties the journal; appends then continue after seq.
 */
int sv_writer_resync_begin(struct sv_writer *w, struct sv_status *st);
int sv_writer_put_slot(struct sv_writer *w, uint64_t lba, uint64_t gen,
		       uint64_t seq, const uint8_t *share,
		       struct sv_status *st);
/* count adjacent slots from lba in one write, all as of seq: block j has
 * generation gens[j] and its share at shares + j * share_size (gens[j] 0:
 * a zero block, its share is not read). */
int sv_writer_put_slots(struct sv_writer *w, uint64_t lba, uint32_t count,
			const uint64_t *gens, uint64_t seq,
			const uint8_t *shares, struct sv_status *st);
/* Waits until every slot write submitted so far has completed (two writes
 * to one slot must never be in flight together). */
int sv_writer_slots_wait(struct sv_writer *w, struct sv_status *st);
int sv_writer_resync_end(struct sv_writer *w, uint64_t seq, uint64_t time_ns,
			 struct sv_status *st);

#endif
