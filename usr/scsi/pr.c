// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Persistent reservation state and the access rules of SPC-4 5.13.1
 * (table 56): which commands a non-holder may run under each type.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

struct pr_reg *pr_find_reg(struct scsi_lu *lu, const char *port)
{
	struct pr_reg *r;

	list_for_each_entry (r, &lu->pr_regs, node)
		if (!strcmp(r->initiator_port, port))
			return r;
	return NULL;
}

void pr_free_all(struct scsi_lu *lu)
{
	struct pr_reg *r, *n;

	list_for_each_entry_safe (r, n, &lu->pr_regs, node) {
		list_del(&r->node);
		free(r);
	}
	lu->pr_type = PR_TYPE_NONE;
	lu->pr_holder = NULL;
}

static bool all_registrants(uint8_t type)
{
	return type == PR_TYPE_WEAR || type == PR_TYPE_EAAR;
}

static bool exclusive_access(uint8_t type)
{
	return type == PR_TYPE_EA || type == PR_TYPE_EARO ||
	       type == PR_TYPE_EAAR;
}

bool pr_conflict(const struct scsi_cmd *cmd, const struct scsi_op *op)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_reg *reg;
	uint8_t type = lu->pr_type;

	if (type == PR_TYPE_NONE)
		return false;
	if (!(op->flags & (OPF_PR_WRITE | OPF_PR_READ)))
		return false;
	reg = cmd->nexus ? pr_find_reg(lu, cmd->nexus->initiator_port) : NULL;
	if (reg && (all_registrants(type) || reg == lu->pr_holder))
		return false;
	/* Reads are refused only by the exclusive access types. */
	if (!(op->flags & OPF_PR_WRITE) && !exclusive_access(type))
		return false;
	/* Registrants-only and all-registrants types admit registrants. */
	if (type == PR_TYPE_WE || type == PR_TYPE_EA)
		return true;
	return reg == NULL;
}
