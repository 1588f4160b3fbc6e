// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PERSISTENT RESERVE OUT (SPC-4 6.16, 5.13.x): REGISTER (and IGNORE
 * EXISTING KEY), RESERVE, RELEASE, CLEAR, PREEMPT (AND ABORT).
 * Registrations belong to the initiator port, so they outlive sessions.
 * APTPL and SPEC_I_PT are not offered (REPORT CAPABILITIES says so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

#define PROUT_REGISTER	      0
#define PROUT_RESERVE	      1
#define PROUT_RELEASE	      2
#define PROUT_CLEAR	      3
#define PROUT_PREEMPT	      4
#define PROUT_PREEMPT_ABORT   5
#define PROUT_REGISTER_IGNORE 6
#define PROUT_PARAM_LEN	      24

static bool all_reg(uint8_t type)
{
	return type == PR_TYPE_WEAR || type == PR_TYPE_EAAR;
}

static bool type_valid(uint8_t type)
{
	switch (type) {
	case PR_TYPE_WE:
	case PR_TYPE_EA:
	case PR_TYPE_WERO:
	case PR_TYPE_EARO:
	case PR_TYPE_WEAR:
	case PR_TYPE_EAAR:
		return true;
	default:
		return false;
	}
}

static bool is_holder(const struct scsi_lu *lu, const struct pr_reg *reg)
{
	if (!reg || lu->pr_type == PR_TYPE_NONE)
		return false;
	return all_reg(lu->pr_type) || lu->pr_holder == reg;
}

/* UA for every registrant except `except` (may be NULL). */
static void ua_registrants(struct scsi_lu *lu, const struct pr_reg *except,
			   uint16_t asc)
{
	struct pr_reg *r;

	list_for_each_entry (r, &lu->pr_regs, node)
		if (r != except)
			ua_add_port(lu, r->initiator_port, asc);
}

static void release_reservation(struct scsi_lu *lu, const struct pr_reg *by)
{
	uint8_t old = lu->pr_type;

	lu->pr_type = PR_TYPE_NONE;
	lu->pr_holder = NULL;
	/* Only registrants-only/all-registrants types notify (5.13.11.2). */
	if (old == PR_TYPE_WERO || old == PR_TYPE_EARO || all_reg(old))
		ua_registrants(lu, by, ASC_RESERVATIONS_RELEASED);
}

static void drop_reg(struct scsi_lu *lu, struct pr_reg *reg)
{
	pr_unindex(lu, reg);
	if (lu->pr_holder == reg)
		lu->pr_holder = NULL;
	free(reg);
}

static void unregister(struct scsi_lu *lu, struct pr_reg *reg)
{
	if (lu->pr_type != PR_TYPE_NONE) {
		bool last = lu->pr_regs.next == &reg->node &&
			    lu->pr_regs.prev == &reg->node;

		/* An all-registrants reservation lives while anyone is left. */
		if (all_reg(lu->pr_type) ? last : lu->pr_holder == reg)
			release_reservation(lu, reg);
	}
	drop_reg(lu, reg);
}

static struct pr_reg *new_reg(struct scsi_lu *lu,
			      const struct scsi_it_nexus *nx, uint64_t key)
{
	struct pr_reg *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	list_init(&r->node);
	list_init(&r->hnode);
	r->key = key;
	snprintf(r->initiator_port, sizeof(r->initiator_port), "%s",
		 nx->initiator_port);
	if (nx->transport_id_len <= sizeof(r->transport_id)) {
		memcpy(r->transport_id, nx->transport_id, nx->transport_id_len);
		r->transport_id_len = nx->transport_id_len;
	}
	r->rel_tgt_port_id = nx->rel_tgt_port_id;
	if (pr_index(lu, r)) {
		free(r);
		return NULL;
	}
	return r;
}

/* Removes registrations holding `key`, except `self`; returns the count. */
static int remove_key(struct scsi_lu *lu, uint64_t key,
		      const struct pr_reg *self)
{
	struct pr_reg *r, *n;
	int count = 0;

	list_for_each_entry_safe (r, n, &lu->pr_regs, node) {
		if (r == self || r->key != key)
			continue;
		ua_add_port(lu, r->initiator_port, ASC_REGISTRATIONS_PREEMPTED);
		drop_reg(lu, r);
		count++;
	}
	return count;
}

static void preempt(struct scsi_cmd *cmd, struct pr_reg *self, uint8_t type,
		    uint64_t sark)
{
	struct scsi_lu *lu = cmd->lu;

	if (lu->pr_type == PR_TYPE_NONE ||
	    (!all_reg(lu->pr_type) &&
	     (!lu->pr_holder || sark != lu->pr_holder->key)) ||
	    (all_reg(lu->pr_type) && sark)) {
		/* Only registrations go; the reservation (if any) stays. */
		if (!sark) {
			scsi_fail_param(cmd, 8, -1);
			return;
		}
		if (!remove_key(lu, sark, self)) {
			cmd->status = SAM_STAT_RESERVATION_CONFLICT;
			return;
		}
		lu->pr_gen++;
		return;
	}
	if (!type_valid(type)) {
		scsi_fail_cdb(cmd, 2, 3);
		return;
	}
	if (all_reg(lu->pr_type)) {
		/* SARK 0 preempts every other registrant (5.13.11.4.3). */
		struct pr_reg *r, *n;

		list_for_each_entry_safe (r, n, &lu->pr_regs, node) {
			if (r == self)
				continue;
			ua_add_port(lu, r->initiator_port,
				    ASC_REGISTRATIONS_PREEMPTED);
			drop_reg(lu, r);
		}
	} else {
		remove_key(lu, sark, self);
	}
	if (lu->pr_type != type)
		ua_registrants(lu, self, ASC_RESERVATIONS_RELEASED);
	lu->pr_type = type;
	lu->pr_holder = all_reg(type) ? NULL : self;
	lu->pr_gen++;
}

static void do_register(struct scsi_cmd *cmd, struct pr_reg *reg, uint64_t key,
			uint64_t sark, bool ignore)
{
	struct scsi_lu *lu = cmd->lu;

	if (!ignore && (reg ? reg->key != key : key != 0)) {
		cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		return;
	}
	if (!sark) {
		if (reg) {
			unregister(lu, reg);
			lu->pr_gen++;
		}
		return;
	}
	if (reg) {
		reg->key = sark;
	} else if (pr_regs_full(lu)) {
		/* SPC-4 5.13.7: a new registration without room for it */
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
			       ASC_INSUFFICIENT_REG_RES);
		return;
	} else if (!new_reg(lu, cmd->nexus, sark)) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return;
	}
	lu->pr_gen++;
}

static void do_reserve(struct scsi_cmd *cmd, struct pr_reg *reg, uint8_t type)
{
	struct scsi_lu *lu = cmd->lu;

	if (!type_valid(type)) {
		scsi_fail_cdb(cmd, 2, 3);
		return;
	}
	if (lu->pr_type != PR_TYPE_NONE) {
		if (!is_holder(lu, reg) || lu->pr_type != type)
			cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		return;
	}
	lu->pr_type = type;
	lu->pr_holder = all_reg(type) ? NULL : reg;
}

static void do_release(struct scsi_cmd *cmd, struct pr_reg *reg, uint8_t type)
{
	struct scsi_lu *lu = cmd->lu;

	if (!is_holder(lu, reg))
		return; /* nothing of ours to release: GOOD */
	if (type != lu->pr_type) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_RELEASE_PR);
		return;
	}
	release_reservation(lu, reg);
}

static void do_clear(struct scsi_cmd *cmd, struct pr_reg *reg)
{
	struct scsi_lu *lu = cmd->lu;

	ua_registrants(lu, reg, ASC_RESERVATIONS_PREEMPTED);
	pr_free_all(lu);
	lu->pr_gen++;
}

int spc_pr_out(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint8_t sa = cmd->cdb[1] & 0x1f;
	uint8_t scope = cmd->cdb[2] >> 4, type = cmd->cdb[2] & 0x0f;
	uint32_t plen = get_be32(cmd->cdb + 5);
	const uint8_t *d = cmd->data_out;
	uint64_t key, sark;
	struct pr_reg *reg;

	cmd->xfer_len = plen;
	if (!cmd->nexus) {
		cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		return SCSI_DONE;
	}
	if (plen != PROUT_PARAM_LEN) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return SCSI_DONE;
	}
	if (!sbc_have_data(cmd, PROUT_PARAM_LEN))
		return SCSI_DONE;
	if (d[20] & 0x08) { /* SPEC_I_PT */
		scsi_fail_param(cmd, 20, 3);
		return SCSI_DONE;
	}
	if (d[20] & 0x01) { /* APTPL: nothing is persisted across power loss */
		scsi_fail_param(cmd, 20, 0);
		return SCSI_DONE;
	}
	if ((sa == PROUT_RESERVE || sa == PROUT_RELEASE ||
	     sa == PROUT_PREEMPT || sa == PROUT_PREEMPT_ABORT) &&
	    scope != 0) {
		scsi_fail_cdb(cmd, 2, 7);
		return SCSI_DONE;
	}
	key = get_be64(d);
	sark = get_be64(d + 8);
	reg = pr_find_reg(lu, cmd->nexus->initiator_port);

	if (sa == PROUT_REGISTER || sa == PROUT_REGISTER_IGNORE) {
		do_register(cmd, reg, key, sark, sa == PROUT_REGISTER_IGNORE);
		return SCSI_DONE;
	}
	if (!reg || reg->key != key) {
		cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		return SCSI_DONE;
	}
	switch (sa) {
	case PROUT_RESERVE:
		do_reserve(cmd, reg, type);
		break;
	case PROUT_RELEASE:
		do_release(cmd, reg, type);
		break;
	case PROUT_CLEAR:
		do_clear(cmd, reg);
		break;
	case PROUT_PREEMPT:
	case PROUT_PREEMPT_ABORT:
		preempt(cmd, reg, type, sark);
		break;
	default:
		scsi_fail_cdb(cmd, 1, 4);
		break;
	}
	return SCSI_DONE;
}
