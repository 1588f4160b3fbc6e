// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Persistent reservation state and the access rules of SPC-4 5.13.1
 * (table 56): which commands a non-holder may run under each type.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

static unsigned max_regs = SCSI_PR_MAX_REGS_DEFAULT;

void scsi_pr_set_max_regs(unsigned n)
{
	max_regs = n ? n : 1;
}

bool pr_regs_full(const struct scsi_lu *lu)
{
	return lu->pr_nr_regs >= max_regs;
}

/* FNV-1a: the registration index is keyed by the initiator port name. */
static unsigned port_hash(const char *port)
{
	uint32_t h = 2166136261u;

	while (*port)
		h = (h ^ (uint8_t)*port++) * 16777619u;
	return h % PR_HASH_BUCKETS;
}

/* Every command of a non-holder checks its registration: one bucket. */
struct pr_reg *pr_find_reg(struct scsi_lu *lu, const char *port)
{
	struct pr_reg *r;

	if (!lu->pr_hash)
		return NULL;
	list_for_each_entry (r, &lu->pr_hash[port_hash(port)], hnode)
		if (!strcmp(r->initiator_port, port))
			return r;
	return NULL;
}

int pr_index(struct scsi_lu *lu, struct pr_reg *r)
{
	unsigned i;

	if (!lu->pr_hash) {
		lu->pr_hash = malloc(PR_HASH_BUCKETS * sizeof(*lu->pr_hash));
		if (!lu->pr_hash)
			return -1;
		for (i = 0; i < PR_HASH_BUCKETS; i++)
			list_init(&lu->pr_hash[i]);
	}
	list_add_tail(&r->node, &lu->pr_regs);
	list_add_tail(&r->hnode, &lu->pr_hash[port_hash(r->initiator_port)]);
	lu->pr_nr_regs++;
	return 0;
}

void pr_unindex(struct scsi_lu *lu, struct pr_reg *r)
{
	list_del(&r->node);
	list_del(&r->hnode);
	lu->pr_nr_regs--;
}

void pr_free_all(struct scsi_lu *lu)
{
	struct pr_reg *r, *n;

	list_for_each_entry_safe (r, n, &lu->pr_regs, node) {
		pr_unindex(lu, r);
		free(r);
	}
	lu->pr_type = PR_TYPE_NONE;
	lu->pr_holder = NULL;
}

void pr_destroy(struct scsi_lu *lu)
{
	pr_free_all(lu);
	free(lu->pr_hash);
	lu->pr_hash = NULL;
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
