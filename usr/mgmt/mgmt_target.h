/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Target lifetime across the layers: only management knows sessions
 * (iSCSI), logical units (SCSI) and the configuration model (core) at once,
 * so deletion is sequenced here, for `--op delete --mode target` and for the
 * daemon's shutdown.
 */
#ifndef TGTX_MGMT_TARGET_H
#define TGTX_MGMT_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Ends t's sessions (-EBUSY "this target is still active" unless force),
 * refuses while commands are in flight on its LUs (-EBUSY), destroys the
 * LUs, then the target. -ENOENT when no target has that tid.
 */
int mgmt_target_destroy(int tid, bool force, char *err, size_t errlen);
/* Forces every target down (busy ones are logged and kept), then accounts. */
void mgmt_target_destroy_all(void);

#endif
