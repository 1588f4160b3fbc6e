/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reprotect seed (format: struct sl_seed_hdr in sharelog_format.h):
 * what tgtx-recover learned from the share volumes at a restore, so that a
 * new store over the restored volume continues the peers' share volumes
 * instead of rebuilding them (doc/dr-runbook.md "Step 4").
 */
#ifndef TGTX_SL_SEED_H
#define TGTX_SL_SEED_H

#include <stddef.h>
#include <stdint.h>

#include "sharelog_format.h"

/* Largest seed accepted: 2^32 blocks (generations kept in memory). */
#define SL_SEED_MAX_BLOCKS (1ULL << 32)

struct sl_seed {
	uint8_t k, n, check, flags;
	uint8_t uuid[16];
	uint32_t block_size;
	uint64_t size, nblocks;
	uint64_t point_seq, next_seq, gen_floor, created_ns;
	uint8_t key[16];
	uint32_t held_mask;
	uint64_t *gens; /* nblocks */
	struct sl_seed_range *rev;
	uint32_t nrevert;
};

/* Encodes s into a malloc'd buffer (*len bytes). 0 or -ENOMEM/-EINVAL. */
int sl_seed_encode(const struct sl_seed *s, void **buf, size_t *len);
/*
 * Decodes and checks a whole seed file's bytes: magic, version
 * (-EPROTONOSUPPORT), header and body CRCs, lengths, geometry, ranges
 * inside the volume, every generation below gen_floor (-EBADMSG); why
 * names what is wrong. s gets malloc'd arrays (sl_seed_free).
 */
int sl_seed_decode(const void *buf, size_t len, struct sl_seed *s, char *why,
		   size_t whylen);
int sl_seed_load(const char *path, struct sl_seed *s, char *why, size_t whylen);
void sl_seed_free(struct sl_seed *s);
/* Sets SL_SEED_CONSUMED, zeroes the key, fsyncs: the seed is refused from
 * now on (a second store from it would hand out the same generations). */
int sl_seed_consume(const char *path);
/*
 * Writes a new log directory's key, state (next seq, generation
 * reservation at gen_floor, baseline complete, peers outside held_mask
 * needs-resync) and generation map (every extent sealed). The store adds
 * the metadata file last.
 */
int sl_seed_apply(const char *dir, const struct sl_seed *s, char *err,
		  size_t errlen);

#endif
