// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CRC32C: a table-driven fallback plus the x86 crc32 instruction (8 bytes
 * per step) chosen once at run time.
 *
 * A share-log record's payload is up to 3 MiB and is checksummed on the
 * write path, and iSCSI data digests cover up to MaxRecvDataSegmentLength.
 * The crc32 instruction has a latency of 3 cycles but a throughput of 1, so
 * one dependent chain runs at a third of what the CPU can do: large buffers
 * are cut into strides of three CRC_BLOCK-byte blocks checksummed as three
 * independent chains, then joined; what is left (and buffers of 768 bytes
 * to 12 KiB) takes at most one stride of each smaller block size. Joining
 * uses linearity of the raw CRC register: crc(c, A||B) = shift(crc(c, A),
 * |B|) ^ crc(0, B), where shift (feeding |B| zero bytes) is a linear map
 * on 32 bits, tabulated once per block size in four byte-indexed tables.
 */
#include "crc32c.h"

#include <stdbool.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82f63b78U

static uint32_t crc_table[256];
static int crc_mode; /* 0 unknown, 1 table, 2 hardware */
static bool force_sw;

static void crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc_table[i] = c;
	}
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t len)
{
	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t c, const uint8_t *p, size_t len)
{
	uint64_t c64 = c;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi(c, *p++);
		len--;
	}
	c64 = c;
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
		p += 8;
		len -= 8;
	}
	c = (uint32_t)c64;
	while (len--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}

#define CRC_BLOCK 4096
/* Block sizes 4096 >> l for l < CRC_LEVELS, down to 256 bytes: a 4-5 KiB
 * buffer (a share-volume slot, a 4 KiB data digest) runs mostly three
 * chains too, not one */
#define CRC_LEVELS 5

/* shift_table[l][j][v]: the register v << 8j after CRC_BLOCK >> l zero
 * bytes */
static uint32_t shift_table[CRC_LEVELS][4][256];

static inline uint32_t shift_block(unsigned l, uint32_t c)
{
	return shift_table[l][0][c & 0xff] ^
	       shift_table[l][1][(c >> 8) & 0xff] ^
	       shift_table[l][2][(c >> 16) & 0xff] ^ shift_table[l][3][c >> 24];
}

/* The smallest block's tables by running the instruction over zeros;
 * each larger one is the one below applied twice (twice the zeros). */
static void shift_table_init(void)
{
	static const uint8_t zero[CRC_BLOCK >> (CRC_LEVELS - 1)];
	unsigned l = CRC_LEVELS - 1;

	for (unsigned j = 0; j < 4; j++)
		for (unsigned v = 0; v < 256; v++)
			shift_table[l][j][v] = crc_hw((uint32_t)v << (8 * j),
						      zero, sizeof(zero));
	while (l--)
		for (unsigned j = 0; j < 4; j++)
			for (unsigned v = 0; v < 256; v++)
				shift_table[l][j][v] = shift_block(
					l + 1,
					shift_block(l + 1,
						    (uint32_t)v << (8 * j)));
}

/* Three blocks of blk = CRC_BLOCK >> l bytes as three chains, joined. */
__attribute__((target("sse4.2"))) static inline uint32_t
crc_stride3(uint32_t c, const uint8_t *p, size_t blk, unsigned l)
{
	uint64_t c0 = c, c1 = 0, c2 = 0;

	for (size_t i = 0; i < blk; i += 8) {
		uint64_t v0, v1, v2;

		memcpy(&v0, p + i, 8);
		memcpy(&v1, p + blk + i, 8);
		memcpy(&v2, p + 2 * blk + i, 8);
		c0 = __builtin_ia32_crc32di(c0, v0);
		c1 = __builtin_ia32_crc32di(c1, v1);
		c2 = __builtin_ia32_crc32di(c2, v2);
	}
	return shift_block(l, shift_block(l, (uint32_t)c0) ^ (uint32_t)c1) ^
	       (uint32_t)c2;
}

__attribute__((target("sse4.2"))) static uint32_t
crc_hw3(uint32_t c, const uint8_t *p, size_t len)
{
	while (len >= 3 * CRC_BLOCK) {
		c = crc_stride3(c, p, CRC_BLOCK, 0);
		p += 3 * CRC_BLOCK;
		len -= 3 * CRC_BLOCK;
	}
	/* len < 3 * (CRC_BLOCK >> (l - 1)) here: at most one stride each */
	for (unsigned l = 1; l < CRC_LEVELS; l++) {
		size_t blk = CRC_BLOCK >> l;

		if (len >= 3 * blk) {
			c = crc_stride3(c, p, blk, l);
			p += 3 * blk;
			len -= 3 * blk;
		}
	}
	return crc_hw(c, p, len);
}
#endif

static void crc_pick(void)
{
	int mode = 1;

	crc_table_init();
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2")) {
		shift_table_init();
		mode = 2;
	}
#endif
	__atomic_store_n(&crc_mode, mode, __ATOMIC_RELEASE);
}

void crc32c_force_sw(bool sw)
{
	__atomic_store_n(&force_sw, sw, __ATOMIC_RELEASE);
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t c = ~crc;

	int mode = __atomic_load_n(&crc_mode, __ATOMIC_ACQUIRE);

	if (mode == 0) {
		static int lock;

		while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
			;
		if (__atomic_load_n(&crc_mode, __ATOMIC_ACQUIRE) == 0)
			crc_pick();
		__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
		mode = __atomic_load_n(&crc_mode, __ATOMIC_ACQUIRE);
	}
#if defined(__x86_64__)
	if (mode == 2 && !__atomic_load_n(&force_sw, __ATOMIC_ACQUIRE))
		return ~crc_hw3(c, buf, len);
#endif
	return ~crc_sw(c, buf, len);
}
