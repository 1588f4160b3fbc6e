/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC32C (Castagnoli): the iSCSI header/data digest and the checksum of every
 * share-log record. Chained like zlib's crc32(): crc32c(0, a, la) then
 * crc32c(that, b, lb) equals one pass over a+b; crc32c(0, buf, len) is the
 * finished value. iSCSI puts it on the wire little-endian (RFC 3720 B.4:
 * 32 zero bytes give 0x8a9136aa, sent as aa 36 91 8a). Thread-safe.
 */
#ifndef TGTX_CRC32C_H
#define TGTX_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* Tests: force the table-driven path to check it against the hardware one. */
void crc32c_force_sw(bool sw);

#endif
