/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restore progress file (doc/dr-runbook.md, "Interrupted restores"),
 * defined here and nowhere else: 128 bytes, little-endian, CRC32C of
 * bytes 0..123 at 124. Written atomically (temporary file, fsync, rename)
 * after the target was synced, so done_blocks never claims more than the
 * target holds.
 */
#ifndef TGTX_RC_FORMAT_H
#define TGTX_RC_FORMAT_H

#include <stdint.h>

#define RC_STATE_MAGIC	  0x5453435258544754ULL /* "TGTXRCST" */
#define RC_STATE_VERSION  1
#define RC_STATE_SIZE	  128
#define RC_STATE_COMPLETE 1u /* flags: every block restored and synced */

struct rc_state_disk {
	uint64_t magic;	      /*   0 RC_STATE_MAGIC */
	uint32_t version;     /*   8 RC_STATE_VERSION */
	uint32_t flags;	      /*  12 RC_STATE_* */
	uint8_t uuid[16];     /*  16 volume UUID */
	uint64_t seq;	      /*  32 the restore point */
	uint64_t seq_ns;      /*  40 its time */
	uint64_t nblocks;     /*  48 volume blocks */
	uint32_t block_size;  /*  56 volume block size */
	uint32_t target_crc;  /*  60 CRC32C of the --to string */
	uint64_t done_blocks; /*  64 blocks [0, done) restored and synced */
	uint64_t started_ns;  /*  72 first run */
	uint64_t updated_ns;  /*  80 */
	uint8_t reserved[36]; /*  88 zero */
	uint32_t crc;	      /* 124 CRC32C of bytes 0..123 */
};
_Static_assert(sizeof(struct rc_state_disk) == RC_STATE_SIZE, "rc state");

#endif
