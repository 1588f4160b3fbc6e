// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * READ CAPACITY (10/16), GET LBA STATUS and READ DEFECT DATA (SBC-3).
 * Without a backing-store query for holes every block reports mapped.
 */
#include <string.h>

#include "scsi_priv.h"

int sbc_read_capacity10(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint64_t last = lu_nr_blocks(lu) ? lu_nr_blocks(lu) - 1 : 0;
	uint8_t buf[8];

	if (!(cmd->cdb[8] & 0x01) && get_be32(cmd->cdb + 2)) {
		scsi_fail_cdb(cmd, 2, -1);
		return SCSI_DONE;
	}
	put_be32(buf, last > 0xffffffff ? 0xffffffff : (uint32_t)last);
	put_be32(buf + 4, lu_block_size(lu));
	scsi_data_in(cmd, buf, sizeof(buf), sizeof(buf));
	return SCSI_DONE;
}

int sbc_read_capacity16(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint64_t nr = lu_nr_blocks(lu);
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	put_be64(buf, nr ? nr - 1 : 0);
	put_be32(buf + 8, lu_block_size(lu));
	if (lu_can_unmap(lu))
		buf[14] = 0x80 | 0x40; /* LBPME, LBPRZ */
	scsi_data_in(cmd, buf, sizeof(buf), get_be32(cmd->cdb + 10));
	return SCSI_DONE;
}

int sbc_get_lba_status(struct scsi_cmd *cmd)
{
	uint64_t lba = get_be64(cmd->cdb + 2), nr = lu_nr_blocks(cmd->lu);
	uint32_t alloc = get_be32(cmd->cdb + 10);
	uint64_t count;
	uint8_t buf[24];

	cmd->xfer_len = alloc;
	if (lba >= nr) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return SCSI_DONE;
	}
	count = nr - lba;
	memset(buf, 0, sizeof(buf));
	put_be32(buf, 20);
	put_be64(buf + 8, lba);
	put_be32(buf + 16, count > 0xffffffff ? 0xffffffff : (uint32_t)count);
	buf[20] = 0x00; /* mapped */
	scsi_data_in(cmd, buf, sizeof(buf), alloc);
	return SCSI_DONE;
}

int sbc_read_defect(struct scsi_cmd *cmd)
{
	bool twelve = cmd->cdb[0] == 0xb7;
	uint8_t buf[8];
	uint32_t alloc =
		twelve ? get_be32(cmd->cdb + 6) : get_be16(cmd->cdb + 7);

	/* A virtual disk has no defects: an empty list in the format asked. */
	memset(buf, 0, sizeof(buf));
	buf[1] = (twelve ? cmd->cdb[1] : cmd->cdb[2]) & 0x1f;
	scsi_data_in(cmd, buf, twelve ? 8 : 4, alloc);
	return SCSI_DONE;
}
