// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pending unit attention conditions, per LU and I_T nexus (SAM-5 5.14).
 * A reset (ASC 29h) supersedes everything queued before it; the rest are
 * reported oldest first, each exactly once.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "scsi_priv.h"

static bool is_reset(uint16_t asc)
{
	return (asc >> 8) == 0x29;
}

void ua_add(struct scsi_lu *lu, uint64_t nexus_id, uint16_t asc)
{
	struct ua_entry *e, *n;

	list_for_each_entry_safe (e, n, &lu->ua, node) {
		if (e->nexus_id != nexus_id)
			continue;
		if (e->asc == asc)
			return;
		if (is_reset(asc)) {
			list_del(&e->node);
			free(e);
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		log_err("LUN %llu: out of memory queueing unit attention",
			(unsigned long long)lu->lun);
		return;
	}
	e->nexus_id = nexus_id;
	e->asc = asc;
	list_add_tail(&e->node, &lu->ua);
}

void ua_add_all(struct scsi_lu *lu, uint64_t except, uint16_t asc)
{
	struct scsi_it_nexus *nx;

	if (!lu->target)
		return;
	list_for_each_entry (nx, &lu->target->nexuses, node)
		if (nx->id != except)
			ua_add(lu, nx->id, asc);
}

void ua_add_port(struct scsi_lu *lu, const char *port, uint16_t asc)
{
	struct scsi_it_nexus *nx;

	if (!lu->target)
		return;
	list_for_each_entry (nx, &lu->target->nexuses, node)
		if (!strcmp(nx->initiator_port, port))
			ua_add(lu, nx->id, asc);
}

bool ua_pending(const struct scsi_lu *lu, uint64_t nexus_id)
{
	struct ua_entry *e;

	list_for_each_entry (e, &lu->ua, node)
		if (e->nexus_id == nexus_id)
			return true;
	return false;
}

bool ua_take(struct scsi_lu *lu, uint64_t nexus_id, uint16_t *asc)
{
	struct ua_entry *e, *pick = NULL;

	list_for_each_entry (e, &lu->ua, node) {
		if (e->nexus_id != nexus_id)
			continue;
		if (!pick || (is_reset(e->asc) && !is_reset(pick->asc)))
			pick = e;
	}
	if (!pick)
		return false;
	*asc = pick->asc;
	list_del(&pick->node);
	free(pick);
	return true;
}

void ua_clear_nexus(struct scsi_lu *lu, uint64_t nexus_id)
{
	struct ua_entry *e, *n;

	list_for_each_entry_safe (e, n, &lu->ua, node) {
		if (e->nexus_id == nexus_id) {
			list_del(&e->node);
			free(e);
		}
	}
}

void ua_free_all(struct scsi_lu *lu)
{
	struct ua_entry *e, *n;

	list_for_each_entry_safe (e, n, &lu->ua, node) {
		list_del(&e->node);
		free(e);
	}
}
