// SPDX-License-Identifier: GPL-2.0-or-later
/* Multi-source XOR: portable 64-bit kernel and run-time kernel choice. */
#include <string.h>

#include "xs_internal.h"

static bool force_portable;
static int have_avx2 = -1;

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

void xs_xor_sources_portable(uint8_t *dst, const uint8_t *const src[],
			     unsigned nsrc, size_t len)
{
	size_t off = 0;
	unsigned s;

	for (; off + 32 <= len; off += 32) {
		uint64_t a = ld64(src[0] + off), b = ld64(src[0] + off + 8);
		uint64_t c = ld64(src[0] + off + 16),
			 d = ld64(src[0] + off + 24);

		for (s = 1; s < nsrc; s++) {
			a ^= ld64(src[s] + off);
			b ^= ld64(src[s] + off + 8);
			c ^= ld64(src[s] + off + 16);
			d ^= ld64(src[s] + off + 24);
		}
		st64(dst + off, a);
		st64(dst + off + 8, b);
		st64(dst + off + 16, c);
		st64(dst + off + 24, d);
	}
	/* pieces are multiples of 8 bytes: the AVX2 kernel's tail ends here */
	for (; off + 8 <= len; off += 8) {
		uint64_t a = ld64(src[0] + off);

		for (s = 1; s < nsrc; s++)
			a ^= ld64(src[s] + off);
		st64(dst + off, a);
	}
	for (; off < len; off++) {
		uint8_t v = src[0][off];

		for (s = 1; s < nsrc; s++)
			v ^= src[s][off];
		dst[off] = v;
	}
}

static bool use_avx2(void)
{
	int h = __atomic_load_n(&have_avx2, __ATOMIC_RELAXED);

	if (h < 0) {
		__builtin_cpu_init();
		h = __builtin_cpu_supports("avx2") ? 1 : 0;
		__atomic_store_n(&have_avx2, h, __ATOMIC_RELAXED);
	}
	return h && !__atomic_load_n(&force_portable, __ATOMIC_RELAXED);
}

void xs_xor_sources(uint8_t *dst, const uint8_t *const src[], unsigned nsrc,
		    size_t len)
{
	if (use_avx2())
		xs_xor_sources_avx2(dst, src, nsrc, len);
	else
		xs_xor_sources_portable(dst, src, nsrc, len);
}

bool xs_xor_force_portable(bool on)
{
	return __atomic_exchange_n(&force_portable, on, __ATOMIC_RELAXED);
}

const char *xs_kernel_name(void)
{
	return use_avx2() ? "avx2" : "portable";
}
