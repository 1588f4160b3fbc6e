// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Command dispatch: LU lookup, unit attentions, reservation checks and the
 * medium state, in the order SAM-5/SPC-4 report them, then the handler.
 */
#include <string.h>

#include "core/log.h"
#include "scsi_priv.h"

uint64_t scsi_lun_decode(const uint8_t raw[8])
{
	switch (raw[0] >> 6) {
	case 0: /* peripheral device addressing; bus 0 only */
		if (raw[0] & 0x3f)
			return UINT64_MAX;
		return raw[1];
	case 1: /* flat space addressing */
		return (uint64_t)(raw[0] & 0x3f) << 8 | raw[1];
	default:
		return UINT64_MAX;
	}
}

void scsi_nexus_add(struct target *t, struct scsi_it_nexus *nx)
{
	struct scsi_lu *lu;

	nx->target = t;
	list_add_tail(&nx->node, &t->nexuses);
	list_for_each_entry (lu, &t->luns, node)
		ua_add(lu, nx->id, ASC_POWER_ON_RESET);
}

void scsi_nexus_del(struct scsi_it_nexus *nx)
{
	struct target *t = nx->target;
	struct scsi_lu *lu;

	if (!t)
		return;
	list_for_each_entry (lu, &t->luns, node) {
		ua_clear_nexus(lu, nx->id);
		/* SPC-2 reservations do not survive the nexus. */
		if (lu->rsv2_held && lu->rsv2_nexus == nx->id)
			lu->rsv2_held = false;
	}
	list_del(&nx->node);
	nx->target = NULL;
}

/* A command addressed to a LUN with no logical unit behind it. */
static void exec_no_lu(struct scsi_cmd *cmd, const struct scsi_op *op)
{
	if (op && (op->flags & OPF_NO_LU)) {
		if (op->fn(cmd) == SCSI_DONE)
			scsi_finish(cmd);
		return;
	}
	scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
	scsi_finish(cmd);
}

/* Returns false and sets sense when the medium cannot be accessed. */
static bool medium_ready(struct scsi_cmd *cmd, const struct scsi_op *op)
{
	struct scsi_lu *lu = cmd->lu;

	/* A controller LU has no medium; its few commands always work. */
	if (!(op->flags & OPF_MEDIUM) || lu->controller)
		return true;
	if (!lu->online || !lu->dev_open) {
		scsi_set_sense(cmd, SK_NOT_READY, ASC_LUN_NOT_READY_MANUAL);
		return false;
	}
	if (lu->ejected) {
		scsi_set_sense(cmd, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		return false;
	}
	return true;
}

void scsi_exec(struct scsi_cmd *cmd)
{
	const struct scsi_op *op;
	struct scsi_lu *lu;
	bool bad_sa;
	uint16_t asc;

	cmd->status = SAM_STAT_GOOD;
	cmd->sense_len = 0;
	cmd->xfer_len = 0;
	cmd->data_in_len = 0;
	cmd->lu = NULL;
	cmd->scratch = NULL;
	cmd->stage = 0;
	list_init(&cmd->node);

	op = scsi_op_find(cmd->cdb[0], cmd->cdb[1], &bad_sa);
	lu = cmd->target ? scsi_lu_lookup(cmd->target,
					  scsi_lun_decode(cmd->lun_raw))
			 : NULL;
	if (!lu) {
		exec_no_lu(cmd, op);
		return;
	}
	cmd->lu = lu;
	lu->pending++;
	cmd->start_ns = loop_now_ns();

	if ((!op || !(op->flags & OPF_NO_UA)) && cmd->nexus &&
	    ua_take(lu, cmd->nexus->id, &asc)) {
		scsi_set_sense(cmd, SK_UNIT_ATTENTION, asc);
		goto finish;
	}
	if (!op) {
		if (bad_sa)
			scsi_fail_cdb(cmd, 1, 4);
		else
			scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
				       ASC_INVALID_OPCODE);
		goto finish;
	}
	if (lu->controller && !(op->flags & OPF_CONTROLLER)) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		goto finish;
	}
	if (rsv2_conflict(cmd, op) || pr_conflict(cmd, op)) {
		cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		goto finish;
	}
	if (!medium_ready(cmd, op))
		goto finish;
	if (op->fn(cmd) == SCSI_ASYNC)
		return;
finish:
	scsi_finish(cmd);
}
