/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generation map of a volume (format: struct sl_genmap_hdr and
 * sl_genmap_trailer in sharelog_format.h): the generation of the current
 * content of every block, so that share i of any block can be derived from
 * the local volume alone, consistent with the shares the peers hold (the
 * resync of a lost peer, sl_resync.h). Generation 0: the block reads as
 * zeroes and peers hold it unmapped.
 *
 * Writes are plain pwrite()s, made durable by sl_genmap_sync(); an extent's
 * trailer CRC is written (sl_genmap_seal) when the store knows the extent
 * will not change before the next sync (it leaves the activity log). Reads
 * may come from any thread; writes from one.
 */
#ifndef TGTX_SL_GENMAP_H
#define TGTX_SL_GENMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Extent: unit of the map's checksums and of the store's activity log. */
#define SL_EXTENT_SHIFT 22
#define SL_EXTENT_BYTES (1ULL << SL_EXTENT_SHIFT)

struct sl_genmap;

int sl_genmap_open(struct sl_genmap **out, const char *dir,
		   const uint8_t uuid[16], uint32_t block_size, bool read_only,
		   char *err, size_t errlen);
void sl_genmap_close(struct sl_genmap *gm);
uint32_t sl_genmap_extent_blocks(const struct sl_genmap *gm);
/* Blocks [lba, lba+nblocks) get first_gen, first_gen+1, ... (0: all 0). */
int sl_genmap_set(struct sl_genmap *gm, uint64_t lba, uint32_t nblocks,
		  uint64_t first_gen);
/* Reads nblocks generations (past the end of the file: 0). */
int sl_genmap_get(struct sl_genmap *gm, uint64_t lba, uint32_t nblocks,
		  uint64_t *gens);
/* Writes the trailer (CRC) of an extent whose entries are final. */
int sl_genmap_seal(struct sl_genmap *gm, uint64_t extent);
/* 0 when the extent's chunk is consistent (sealed or never written),
 * -EBADMSG when not, -errno on I/O error. */
int sl_genmap_check(struct sl_genmap *gm, uint64_t extent);
int sl_genmap_sync(struct sl_genmap *gm);

/* The volume key file (struct sl_key_disk), mode 0600, never sent. */
int sl_key_create(const char *dir, const uint8_t uuid[16], uint8_t key[16]);
/* Writes a known key (reprotect: the key recovered from the peers). */
int sl_key_store(const char *dir, const uint8_t uuid[16],
		 const uint8_t key[16]);
int sl_key_load(const char *dir, const uint8_t uuid[16], uint8_t key[16]);

#endif
