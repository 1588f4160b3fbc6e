// SPDX-License-Identifier: GPL-2.0-or-later
/* REPORT LUNS (SPC-4 6.33): the target's LUN inventory, for any LUN. */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

static void lun_encode(uint8_t *p, uint64_t lun)
{
	memset(p, 0, 8);
	if (lun < 256) {
		p[1] = (uint8_t)lun;
	} else {
		p[0] = 0x40 | (uint8_t)((lun >> 8) & 0x3f);
		p[1] = (uint8_t)lun;
	}
}

int spc_report_luns(struct scsi_cmd *cmd)
{
	uint32_t alloc = get_be32(cmd->cdb + 6);
	uint8_t sel = cmd->cdb[2];
	struct scsi_lu *lu;
	uint32_t n = 0, len;
	uint8_t *buf;

	/* SPC-4: an allocation length under 16 is an error. */
	if (alloc < 16) {
		scsi_fail_cdb(cmd, 6, -1);
		return SCSI_DONE;
	}
	if (sel > 2) {
		scsi_fail_cdb(cmd, 2, -1);
		return SCSI_DONE;
	}
	if (cmd->target)
		list_for_each_entry (lu, &cmd->target->luns, node)
			n++;
	/* Select report 1 lists only well known LUs: there are none. */
	if (sel == 1)
		n = 0;
	len = 8 + 8 * n;
	buf = calloc(1, len);
	if (!buf) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return SCSI_DONE;
	}
	put_be32(buf, 8 * n);
	if (n) {
		uint8_t *p = buf + 8;

		list_for_each_entry (lu, &cmd->target->luns, node) {
			lun_encode(p, lu->lun);
			p += 8;
		}
	}
	scsi_data_in(cmd, buf, len, alloc);
	free(buf);
	return SCSI_DONE;
}
