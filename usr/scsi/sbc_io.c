// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block I/O plumbing shared by the SBC commands: backing-store submission,
 * range and protection checks, and the per-LU write lock that makes
 * COMPARE AND WRITE atomic against every other write to the LU.
 */
#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "scsi_priv.h"

/* Largest transfer one command may move (also VPD B0h). */
#define MAX_XFER_BYTES (8u * 1024 * 1024)

uint32_t sbc_max_xfer_blocks(const struct scsi_lu *lu)
{
	return MAX_XFER_BYTES / lu_block_size(lu);
}

bool sbc_range_ok(struct scsi_cmd *cmd, uint64_t lba, uint64_t nr)
{
	uint64_t cap = lu_nr_blocks(cmd->lu);

	if (lba > cap || nr > cap - lba) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return false;
	}
	return true;
}

bool sbc_writable(struct scsi_cmd *cmd)
{
	if (lu_write_protected(cmd->lu)) {
		scsi_set_sense(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return false;
	}
	return true;
}

bool sbc_have_data(struct scsi_cmd *cmd, uint64_t need)
{
	if (cmd->data_out_len < need) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IU);
		return false;
	}
	return true;
}

/* COMPARE AND WRITE and ORWRITE read, then write: they run alone. */
static bool op_is_excl(const struct scsi_cmd *cmd)
{
	return cmd->cdb[0] == 0x89 || cmd->cdb[0] == 0x8b;
}

bool lu_lock(struct scsi_cmd *cmd, bool excl)
{
	struct scsi_lu *lu = cmd->lu;

	if (cmd->stage & STAGE_LOCKED)
		return true;
	/* Queue behind waiters too, so an exclusive user is not starved. */
	if (lu->excl || !list_empty(&lu->wait) || (excl && lu->writers)) {
		list_add_tail(&cmd->node, &lu->wait);
		return false;
	}
	if (excl)
		lu->excl = true;
	else
		lu->writers++;
	cmd->stage |= STAGE_LOCKED;
	return true;
}

void lu_unlock(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;

	if (lu->excl)
		lu->excl = false;
	else if (lu->writers)
		lu->writers--;
	cmd->stage &= ~STAGE_LOCKED;
}

/* Restarts queued commands that can now take the lock. */
void lu_wake(struct scsi_lu *lu)
{
	while (!list_empty(&lu->wait) && !lu->excl) {
		struct scsi_cmd *cmd =
			list_first_entry(&lu->wait, struct scsi_cmd, node);
		const struct scsi_op *op;
		bool bad_sa;

		if (op_is_excl(cmd) && lu->writers)
			return;
		list_del(&cmd->node);
		if (op_is_excl(cmd))
			lu->excl = true;
		else
			lu->writers++;
		cmd->stage |= STAGE_LOCKED;
		op = scsi_op_find(cmd->cdb[0], cmd->cdb[1], &bad_sa);
		if (op->fn(cmd) == SCSI_DONE)
			scsi_finish(cmd);
	}
}

void sbc_submit(struct scsi_cmd *cmd, enum bs_op op, uint64_t off, uint64_t len,
		void *buf, bool fua, void (*done)(struct bs_req *req))
{
	struct bs_req *req = &cmd->bsreq;
	struct bs_dev *dev = &cmd->lu->dev;

	req->op = op;
	req->offset = off;
	req->len = len;
	req->buf = buf;
	req->fua = op == BS_WRITE && (fua || !dev->wce);
	req->result = 0;
	req->done = done;
	req->priv = cmd;
	switch (op) {
	case BS_READ:
	case BS_WRITE:
		dev->ops->submit(dev, req);
		break;
	case BS_FLUSH:
		dev->ops->flush(dev, req);
		break;
	case BS_UNMAP:
		dev->ops->unmap(dev, req);
		break;
	}
}

void sbc_io_error(struct scsi_cmd *cmd, enum bs_op op, int err)
{
	struct scsi_lu *lu = cmd->lu;

	log_err("tid %d LUN %llu: %s at byte %llu failed: %s",
		lu->target ? lu->target->tid : -1, (unsigned long long)lu->lun,
		op == BS_READ	 ? "read"
		: op == BS_WRITE ? "write"
				 : "flush",
		(unsigned long long)cmd->bsreq.offset, strerror(-err));
	if (err == -ENOSPC)
		scsi_set_sense(cmd, SK_DATA_PROTECT, 0x2707); /* space alloc */
	else
		scsi_set_sense_info(cmd, SK_MEDIUM_ERROR,
				    op == BS_READ ? ASC_READ_ERROR
						  : ASC_WRITE_ERROR,
				    cmd->bsreq.offset / lu_block_size(lu));
}
