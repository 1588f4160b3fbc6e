/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State of a share writer, shared by its files (sv_writer*.c, sv_checkpoint.c).
 */
#ifndef TGTX_SV_WRITER_PRIV_H
#define TGTX_SV_WRITER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv_writer.h"

enum chunk_state {
	C_OPEN,	  /* records still being added */
	C_READY,  /* to be (re)submitted */
	C_FLIGHT, /* write in flight */
	C_DONE,	  /* written, not yet known durable */
};

struct chunk {
	struct sv_writer *w;
	uint64_t id;
	uint64_t pos;
	uint32_t len, cap;
	uint64_t last_seq, last_ns;
	enum chunk_state state;
	uint8_t *buf;
};

/* A journal record after the checkpoint (queued or durable). */
struct jr {
	uint64_t pos, seq, ns;
	uint32_t len, nent;
	uint64_t grow_nb; /* SV_REC_GROW: the size from seq on, else 0 */
};

struct sv_writer {
	struct sv_dev *dev;
	struct sv_writer_cfg cfg;
	struct sv_info info; /* the superblock as last made durable */
	uint64_t head;	     /* ring position of the next record */
	uint64_t last_seq, last_ns;
	uint64_t acked_seq, acked_ns;
	uint64_t cur_nblocks; /* volume size as of last_seq */
	struct chunk **q;     /* oldest first */
	unsigned qn, qcap;
	uint64_t next_id;
	size_t held; /* bytes of queued chunks */
	unsigned jwrites;
	unsigned slots; /* slot writes in flight */
	unsigned inflight;
	bool sync_busy;
	uint64_t sync_id; /* chunks with id <= this are covered */
	int err;	  /* sticky device error */
	struct jr *jr;
	size_t njr, capjr;
	uint64_t blob_gen[SV_BLOB_TYPES + 1];
	uint8_t *sbbuf;
};

uint64_t svw_now_ns(void);
/* An operation of w completed with err (the first error sticks). */
void svw_op_done(struct sv_writer *w, int err);
/* One blocking operation (op 0 read, 1 write, 2 flush), deadline-bound by
 * the device. */
int svw_blocking(struct sv_writer *w, int op, uint64_t off, void *buf,
		 size_t len, const char *what, struct sv_status *st);
int svw_bread(struct sv_writer *w, uint64_t off, void *buf, size_t len,
	      struct sv_status *st);
int svw_bsync(struct sv_writer *w, struct sv_status *st);
/* Writes superblock generation gen + 1 (= *next) and flushes. */
int svw_write_super(struct sv_writer *w, struct sv_info *next,
		    struct sv_status *st);
void svw_jr_drop_upto(struct sv_writer *w, uint64_t seq);
/* Waits until fewer than below slot writes are in flight; w->err. */
int svw_wait_slots(struct sv_writer *w, unsigned below);
uint8_t *svw_slot_buf(struct sv_writer *w, size_t count);
int svw_submit_slots(struct sv_writer *w, uint64_t lba, uint8_t *buf,
		     size_t count, struct sv_status *st);
int svw_write_slot(struct sv_writer *w, uint64_t lba, uint64_t gen,
		   uint64_t seq, const uint8_t *share, struct sv_status *st);

#endif
