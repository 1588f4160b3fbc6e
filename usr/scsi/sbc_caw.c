// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * COMPARE AND WRITE (SBC-3 5.2) and ORWRITE(16) (SBC-3 5.9): read, combine
 * with the Data-Out buffer, write. Both hold the LU write lock exclusively
 * so no other write can slip in between the read and the write.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

static void rmw_write_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;

	if (req->result < 0)
		sbc_io_error(cmd, BS_WRITE, req->result);
	scsi_finish(cmd);
}

static void caw_read_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;
	uint64_t len = req->len;
	bool fua = cmd->cdb[1] & 0x08;

	if (req->result < 0) {
		sbc_io_error(cmd, BS_READ, req->result);
		scsi_finish(cmd);
		return;
	}
	for (uint64_t i = 0; i < len; i++) {
		if (cmd->scratch[i] != cmd->data_out[i]) {
			/* INFORMATION: offset of the first differing byte */
			scsi_set_sense_info(cmd, SK_MISCOMPARE,
					    ASC_MISCOMPARE_VERIFY, i);
			scsi_finish(cmd);
			return;
		}
	}
	sbc_submit(cmd, BS_WRITE, req->offset, len,
		   (void *)(cmd->data_out + len), fua, rmw_write_done);
}

/* Checks shared by both; returns false when the command is complete. */
static bool rmw_prepare(struct scsi_cmd *cmd, uint64_t lba, uint32_t nr,
			uint64_t need, bool exact)
{
	uint32_t bs = lu_block_size(cmd->lu);

	if (cmd->cdb[1] >> 5) {
		scsi_fail_cdb(cmd, 1, 7);
		return false;
	}
	if (!sbc_range_ok(cmd, lba, nr) || !sbc_writable(cmd))
		return false;
	if (!nr) {
		/*
		 * Zero blocks is a no-op, but not when data follows: the CDB
		 * then contradicts the transfer (e.g. 256 blocks wrapped to
		 * 0 in COMPARE AND WRITE's one-byte length field).
		 */
		if (cmd->data_out_len)
			scsi_fail_cdb(cmd, cmd->cdb[0] == 0x89 ? 13 : 10, -1);
		return false;
	}
	if (nr > sbc_max_xfer_blocks(cmd->lu)) {
		scsi_fail_cdb(cmd, cmd->cdb[0] == 0x89 ? 13 : 10, -1);
		return false;
	}
	/* COMPARE AND WRITE must get exactly its two halves. */
	if (exact ? cmd->data_out_len != need : cmd->data_out_len < need) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IU);
		return false;
	}
	cmd->scratch = malloc((uint64_t)nr * bs);
	if (!cmd->scratch) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
	return true;
}

int sbc_caw(struct scsi_cmd *cmd)
{
	uint32_t bs = lu_block_size(cmd->lu);
	uint64_t lba = get_be64(cmd->cdb + 2);
	uint32_t nr = cmd->cdb[13];

	cmd->xfer_len = 2 * nr * bs;
	if (!lu_lock(cmd, true))
		return SCSI_ASYNC;
	if (!rmw_prepare(cmd, lba, nr, cmd->xfer_len, true))
		return SCSI_DONE;
	sbc_submit(cmd, BS_READ, lba * bs, (uint64_t)nr * bs, cmd->scratch,
		   false, caw_read_done);
	return SCSI_ASYNC;
}

static void orwrite_read_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;
	bool fua = cmd->cdb[1] & 0x08;

	if (req->result < 0) {
		sbc_io_error(cmd, BS_READ, req->result);
		scsi_finish(cmd);
		return;
	}
	for (uint64_t i = 0; i < req->len; i++)
		cmd->scratch[i] |= cmd->data_out[i];
	sbc_submit(cmd, BS_WRITE, req->offset, req->len, cmd->scratch, fua,
		   rmw_write_done);
}

int sbc_orwrite(struct scsi_cmd *cmd)
{
	uint32_t bs = lu_block_size(cmd->lu);
	uint64_t lba = get_be64(cmd->cdb + 2);
	uint32_t nr = get_be32(cmd->cdb + 10);

	cmd->xfer_len = nr <= sbc_max_xfer_blocks(cmd->lu) ? nr * bs : 0;
	if (!lu_lock(cmd, true))
		return SCSI_ASYNC;
	if (!rmw_prepare(cmd, lba, nr, cmd->xfer_len, false))
		return SCSI_DONE;
	sbc_submit(cmd, BS_READ, lba * bs, (uint64_t)nr * bs, cmd->scratch,
		   false, orwrite_read_done);
	return SCSI_ASYNC;
}
