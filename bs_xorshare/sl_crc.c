// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CRC32C for the share log: a table-driven fallback plus the x86 crc32
 * instruction (8 bytes per step) chosen once at run time.
 */
#include "sl_crc.h"

#include <stdbool.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82f63b78U

static uint32_t crc_table[256];
static int crc_mode; /* 0 unknown, 1 table, 2 hardware */

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
#endif

static void crc_pick(void)
{
	int mode = 1;

	crc_table_init();
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		mode = 2;
#endif
	__atomic_store_n(&crc_mode, mode, __ATOMIC_RELEASE);
}

uint32_t sl_crc32c(uint32_t crc, const void *buf, size_t len)
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
	if (mode == 2)
		return ~crc_hw(c, buf, len);
#endif
	return ~crc_sw(c, buf, len);
}
