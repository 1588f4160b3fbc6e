// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Side effects of task management functions on LU state (SAM-5 7.x): the
 * transport aborts its own tasks; here resets drop SPC-2 reservations and
 * raise the unit attentions every other nexus must see.
 */
#include <errno.h>

#include "scsi_priv.h"

/* except: nexus id spared the unit attention, 0 for none */
static void lu_reset(struct scsi_lu *lu, uint64_t except, uint16_t asc)
{
	lu->rsv2_held = false;
	lu->prevent = false;
	/* Persistent reservations survive resets (SPC-4 5.13.1). */
	ua_add_all(lu, except, asc);
}

int scsi_tmf(struct target *t, struct scsi_it_nexus *by, enum scsi_tmf fn,
	     uint64_t lun)
{
	struct scsi_lu *lu;

	switch (fn) {
	case SCSI_TMF_LUN_RESET:
		lu = scsi_lu_lookup(t, lun);
		if (!lu)
			return -ENOENT;
		/*
		 * SAM-5 7.9: the nexus that asked for the reset knows about
		 * it; every other one gets the unit attention.
		 */
		lu_reset(lu, by ? by->id : 0, ASC_BUS_DEVICE_RESET);
		return 0;
	case SCSI_TMF_TARGET_WARM_RESET:
	case SCSI_TMF_TARGET_COLD_RESET:
		list_for_each_entry (lu, &t->luns, node)
			lu_reset(lu, 0, ASC_BUS_DEVICE_RESET);
		return 0;
	default:
		return 0;
	}
}
