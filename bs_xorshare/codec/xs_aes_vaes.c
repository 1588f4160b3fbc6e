// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AES-128-CTR keystream with VAES on AVX-512 (4 blocks per instruction).
 * OpenSSL 3.0's CTR runs one block per AES-NI instruction (~10 GB/s here)
 * and the keystream is most of a split's cost. The stream is bit-identical
 * to OpenSSL's AES-128-CTR with IV = nonce || counter (big-endian), which a
 * unit test checks. With an input it encrypts (out = in XOR keystream) in the
 * same pass, which is how a derived share piece is made in one sweep. xs_rng.c
 * uses it only when the CPU has VAES/AVX-512BW.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#include "xs_internal.h"

#define AESNI	__attribute__((target("aes,sse4.1")))
#define VAES512 __attribute__((target("aes,avx512f,avx512bw,vaes")))

AESNI static __m128i expand(__m128i key, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	return _mm_xor_si128(key, assist);
}

#define EXPAND(i, rcon)                                                        \
	rk[i] = expand(rk[i - 1], _mm_aeskeygenassist_si128(rk[i - 1], rcon))

AESNI void xs_aes128_expand(const uint8_t key[16], uint8_t out[176])
{
	__m128i rk[11];

	rk[0] = _mm_loadu_si128((const __m128i *)key);
	EXPAND(1, 0x01);
	EXPAND(2, 0x02);
	EXPAND(3, 0x04);
	EXPAND(4, 0x08);
	EXPAND(5, 0x10);
	EXPAND(6, 0x20);
	EXPAND(7, 0x40);
	EXPAND(8, 0x80);
	EXPAND(9, 0x1b);
	EXPAND(10, 0x36);
	memcpy(out, rk, sizeof(rk));
}

/* Counter blocks are kept byte-reversed, where the big-endian counter is
 * the low 64-bit lane, so a plain 64-bit add advances it. */
VAES512 static __m512i block(__m512i rev, __m512i swap)
{
	return _mm512_shuffle_epi8(rev, swap);
}

VAES512 static __m512i enc(__m512i b, const __m512i k[11])
{
	unsigned r;

	b = _mm512_xor_si512(b, k[0]);
	for (r = 1; r < 10; r++)
		b = _mm512_aesenc_epi128(b, k[r]);
	return _mm512_aesenclast_epi128(b, k[10]);
}

#define ROUND4(op, key)                                                        \
	do {                                                                   \
		b0 = op(b0, key);                                              \
		b1 = op(b1, key);                                              \
		b2 = op(b2, key);                                              \
		b3 = op(b3, key);                                              \
	} while (0)

/* One 64-byte chunk of output: keystream, XORed with the input if any. */
VAES512 static void put(uint8_t *out, const uint8_t *in, __m512i ks)
{
	if (in)
		ks = _mm512_xor_si512(ks, _mm512_loadu_si512(in));
	_mm512_storeu_si512(out, ks);
}

VAES512 void xs_aes128_ctr_vaes(const uint8_t rk[176], uint64_t nonce,
				uint64_t *ctr, const uint8_t *in, uint8_t *out,
				size_t len)
{
	const __m512i swap = _mm512_broadcast_i32x4(_mm_set_epi8(
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
	const __m512i four = _mm512_set_epi64(0, 4, 0, 4, 0, 4, 0, 4);
	__m512i k[11], c0, c1, c2, c3, sixteen;
	uint64_t rnonce = nonce, c = *ctr;
	unsigned r;

	for (r = 0; r < 11; r++)
		k[r] = _mm512_broadcast_i32x4(
			_mm_loadu_si128((const __m128i *)(rk + 16 * r)));
	c0 = _mm512_set_epi64((long long)rnonce, (long long)(c + 3),
			      (long long)rnonce, (long long)(c + 2),
			      (long long)rnonce, (long long)(c + 1),
			      (long long)rnonce, (long long)c);
	c1 = _mm512_add_epi64(c0, four);
	c2 = _mm512_add_epi64(c1, four);
	c3 = _mm512_add_epi64(c2, four);
	sixteen = _mm512_add_epi64(four, _mm512_add_epi64(four, four));
	sixteen = _mm512_add_epi64(sixteen, four);
	for (; len >= 256; len -= 256, out += 256, c += 16) {
		__m512i b0 = block(c0, swap), b1 = block(c1, swap);
		__m512i b2 = block(c2, swap), b3 = block(c3, swap);

		/* four independent chains, round by round: the AES unit's
		 * latency is hidden only if the blocks interleave */
		ROUND4(_mm512_xor_si512, k[0]);
		ROUND4(_mm512_aesenc_epi128, k[1]);
		ROUND4(_mm512_aesenc_epi128, k[2]);
		ROUND4(_mm512_aesenc_epi128, k[3]);
		ROUND4(_mm512_aesenc_epi128, k[4]);
		ROUND4(_mm512_aesenc_epi128, k[5]);
		ROUND4(_mm512_aesenc_epi128, k[6]);
		ROUND4(_mm512_aesenc_epi128, k[7]);
		ROUND4(_mm512_aesenc_epi128, k[8]);
		ROUND4(_mm512_aesenc_epi128, k[9]);
		ROUND4(_mm512_aesenclast_epi128, k[10]);
		put(out, in, b0);
		put(out + 64, in ? in + 64 : NULL, b1);
		put(out + 128, in ? in + 128 : NULL, b2);
		put(out + 192, in ? in + 192 : NULL, b3);
		if (in)
			in += 256;
		c0 = _mm512_add_epi64(c0, sixteen);
		c1 = _mm512_add_epi64(c1, sixteen);
		c2 = _mm512_add_epi64(c2, sixteen);
		c3 = _mm512_add_epi64(c3, sixteen);
	}
	while (len) {
		size_t n = len < 64 ? len : 64;
		__mmask64 mk = n == 64 ? ~0ull : (1ull << n) - 1;
		__m512i ks = enc(block(c0, swap), k);

		if (in)
			ks = _mm512_xor_si512(ks,
					      _mm512_maskz_loadu_epi8(mk, in));
		_mm512_mask_storeu_epi8(out, mk, ks);
		out += n;
		if (in)
			in += n;
		len -= n;
		/* a partly used block is dropped, never reused */
		c += (n + 15) / 16;
		c0 = _mm512_add_epi64(c0, four);
	}
	*ctr = c;
}

bool xs_aes_vaes_usable(void)
{
	unsigned int a, b, c, d;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f") ||
	    !__builtin_cpu_supports("avx512bw") ||
	    !__builtin_cpu_supports("aes"))
		return false;
	/* clang's __builtin_cpu_supports does not know "vaes": ask CPUID. */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return c & (1u << 9);
}
