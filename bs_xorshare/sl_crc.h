/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC32C (Castagnoli) for the share log. Chained like zlib's crc32():
 * sl_crc32c(0, a, la) then sl_crc32c(that, b, lb) equals one pass over a+b.
 * Uses the SSE4.2 instruction when the CPU has it: shares are checksummed on
 * the write path, so speed matters.
 */
#ifndef TGTX_SL_CRC_H
#define TGTX_SL_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t sl_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
