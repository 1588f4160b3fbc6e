/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-volume metadata of an xorshare LUN (format: struct xs_meta_disk in
 * sharelog_format.h): its UUID and protection parameters, checked at every
 * open so a log is never mixed with another volume or another (k,n).
 */
#ifndef TGTX_XS_META_H
#define TGTX_XS_META_H

#include <stdint.h>

struct xs_meta {
	uint16_t version;
	uint8_t k, n;
	uint8_t check; /* XS_META_CHECK_* (secret check of new splits) */
	uint8_t uuid[16];
	uint32_t block_size;
	uint64_t size;
	uint64_t created_ns;
};

/* Fills m for a new volume with a fresh random UUID (check: CRC). */
int xs_meta_new(struct xs_meta *m, uint8_t k, uint8_t n, uint32_t block_size,
		uint64_t size);
/* 0, -ENOENT (absent), -EBADMSG (checksum/format), or -errno. */
int xs_meta_load(const char *dir, struct xs_meta *m);
/* Atomic replace of DIR/meta. */
int xs_meta_store(const char *dir, const struct xs_meta *m);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (37 bytes with the NUL) */
void xs_uuid_str(const uint8_t uuid[16], char out[37]);

#endif
