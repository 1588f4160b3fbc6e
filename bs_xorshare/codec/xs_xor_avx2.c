// SPDX-License-Identifier: GPL-2.0-or-later
/* AVX2 multi-source XOR. Compiled for AVX2 per function so the rest of the
 * build keeps the baseline ISA; xs_xor.c calls it only on AVX2 CPUs. */
#include <immintrin.h>

#include "xs_internal.h"

#define AVX2 __attribute__((target("avx2")))

AVX2 void xs_xor_sources_avx2(uint8_t *dst, const uint8_t *const src[],
			      unsigned nsrc, size_t len)
{
	size_t off = 0;
	unsigned s;

	/* 4 registers per source hide load latency without spilling */
	for (; off + 128 <= len; off += 128) {
		const uint8_t *p = src[0] + off;
		__m256i a = _mm256_loadu_si256((const __m256i *)p);
		__m256i b = _mm256_loadu_si256((const __m256i *)(p + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(p + 64));
		__m256i d = _mm256_loadu_si256((const __m256i *)(p + 96));

		for (s = 1; s < nsrc; s++) {
			p = src[s] + off;
			a = _mm256_xor_si256(
				a, _mm256_loadu_si256((const __m256i *)p));
			b = _mm256_xor_si256(
				b,
				_mm256_loadu_si256((const __m256i *)(p + 32)));
			c = _mm256_xor_si256(
				c,
				_mm256_loadu_si256((const __m256i *)(p + 64)));
			d = _mm256_xor_si256(
				d,
				_mm256_loadu_si256((const __m256i *)(p + 96)));
		}
		_mm256_storeu_si256((__m256i *)(dst + off), a);
		_mm256_storeu_si256((__m256i *)(dst + off + 32), b);
		_mm256_storeu_si256((__m256i *)(dst + off + 64), c);
		_mm256_storeu_si256((__m256i *)(dst + off + 96), d);
	}
	for (; off + 32 <= len; off += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(src[0] + off));

		for (s = 1; s < nsrc; s++)
			a = _mm256_xor_si256(
				a, _mm256_loadu_si256(
					   (const __m256i *)(src[s] + off)));
		_mm256_storeu_si256((__m256i *)(dst + off), a);
	}
	if (off < len) {
		const uint8_t *tail[XS_MAX_WPIECES + 1];

		for (s = 0; s < nsrc; s++)
			tail[s] = src[s] + off;
		xs_xor_sources_portable(dst + off, tail, nsrc, len - off);
	}
}
