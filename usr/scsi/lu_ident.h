/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Default identities of a logical unit (doc/management.md, "LUN
 * identities"). A LUN's own id is its target's IQN and its LUN number: both
 * are what the administrator configures, so re-applying a configuration (or
 * restarting) finds the same id without keeping any per-LUN state. The node
 * id (core/node_id.h) makes the result differ between machines.
 *
 *   default scsi_id = default scsi_sn = the first 16 bytes, as 32 lowercase
 *   hex digits, of SHA-256("tgtx-lu-ident-1" NUL node_id[16] iqn NUL
 *   be64(lun))
 *
 * The NAA designator of VPD page 0x83 is NAA 3 (locally assigned, SPC-4
 * 7.8.6.6.5): 4 bits 0011b and 60 bits of SHA-256("tgtx-naa-1" NUL scsi_id).
 * It follows the SCSI ID, so an explicit scsi_id (two cluster nodes that
 * must show one LU) moves it too.
 */
#ifndef TGTX_LU_IDENT_H
#define TGTX_LU_IDENT_H

#include <stdint.h>

#define LU_IDENT_HEX_LEN 32

void lu_ident_default(const uint8_t node_id[16], const char *iqn, uint64_t lun,
		      char out[LU_IDENT_HEX_LEN + 1]);
/* The 8-byte NAA 3 designator value (big-endian on the wire). */
uint64_t lu_ident_naa(const char *scsi_id);

#endif
