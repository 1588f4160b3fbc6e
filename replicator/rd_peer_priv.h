/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State of one peer thread, shared by rd_peer.c and rd_resync.c. */
#ifndef TGTX_RD_PEER_PRIV_H
#define TGTX_RD_PEER_PRIV_H

#include "peer.h"
#include "rd.h"
#include "rd_log.h"
#include "sv_writer.h"

struct rd_pctx {
	struct rd_peer *p;
	struct rd_engine *e;
	unsigned i;
	struct peer *pr;
	struct sv_writer *w;
	struct rd_log *log;
	struct xs_ctx *xs;
	size_t share_size;
	uint8_t *buf; /* shares of one record */
	size_t buf_cap;
	struct sv_share_ent *ents;
	size_t ents_cap;
	uint64_t confirmed;
	uint64_t last_ckpt_ns;
	bool key_blob_done;
	/* blocked by a LUN too small for the grown volume (told once when it
	 * goes on, across reconnects) */
	bool grow_blocked;
	struct sv_status st;
};

/* Share i of one log record as a batch (c->buf/ents hold it until the
 * next call). 0, 1 for a GROW record (no batch: rd_grow), or -errno. */
int rd_record_batch(struct rd_pctx *c, const void *rec, struct sv_batch *b);
/* Pumps, persists the cursor after the peer acknowledged, updates the
 * live status. 0 or < 0 when the device broke. */
int rd_pump(struct rd_pctx *c, int timeout_ms);
/*
 * Refills the whole share volume from the local volume and the log, then
 * leaves the writer ready to stream after the resync's end seq. 0 or
 * -errno (c->st says why).
 */
int rd_resync(struct rd_pctx *c);
bool rd_should_stop(const struct rd_pctx *c);
/*
 * The volume grew to nblocks at log seq seq (0: only make the share volume
 * that large, before a resync). While the peer LUN is too small the peer is
 * `blocked`, its error says how many bytes the LUN needs, and the LUN's
 * capacity is read again every second: it goes on by itself once the
 * partner has grown it. 0, -EINTR (stopping) or -errno.
 */
int rd_grow(struct rd_pctx *c, uint64_t nblocks, uint64_t seq,
	    uint64_t time_ns);

#endif
