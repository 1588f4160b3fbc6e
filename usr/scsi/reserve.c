// SPDX-License-Identifier: GPL-2.0-or-later
/* SPC-2 RESERVE/RELEASE (6 and 10): whole-LU reservations per I_T nexus. */
#include "scsi_priv.h"

static uint64_t nexus_id(const struct scsi_cmd *cmd)
{
	return cmd->nexus ? cmd->nexus->id : 0;
}

bool rsv2_conflict(const struct scsi_cmd *cmd, const struct scsi_op *op)
{
	const struct scsi_lu *lu = cmd->lu;

	if (!lu->rsv2_held || lu->rsv2_nexus == nexus_id(cmd))
		return false;
	return !(op->flags & OPF_RSV2_OK);
}

int spc_reserve(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;

	/* Third-party and extent reservations were never widely used. */
	if (cmd->cdb[0] == 0x56 && (cmd->cdb[1] & 0x02)) {
		scsi_fail_cdb(cmd, 1, 1);
		return SCSI_DONE;
	}
	if (cmd->cdb[0] == 0x16 && (cmd->cdb[1] & 0x01)) {
		scsi_fail_cdb(cmd, 1, 0);
		return SCSI_DONE;
	}
	/* SPC-3: RESERVE conflicts while persistent reservations exist. */
	if (lu->pr_type != PR_TYPE_NONE || !list_empty(&lu->pr_regs)) {
		cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		return SCSI_DONE;
	}
	lu->rsv2_held = true;
	lu->rsv2_nexus = nexus_id(cmd);
	return SCSI_DONE;
}

int spc_release(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;

	/* Releasing someone else's reservation is a successful no-op. */
	if (lu->rsv2_held && lu->rsv2_nexus == nexus_id(cmd))
		lu->rsv2_held = false;
	return SCSI_DONE;
}
