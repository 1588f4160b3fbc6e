// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xorshare: every k-subset of the n shares rebuilds the secret, for every
 * (k,n) up to XS_MAX_N, at sizes that need padding; any order of shares;
 * both XOR kernels; ideal share size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bs_xorshare/codec/xs_internal.h"

static uint64_t prng = 0x243f6a8885a308d3ull;

/* test data only: the codec's own randomness comes from its CSPRNG */
static uint32_t next_rand(void)
{
	prng ^= prng << 13;
	prng ^= prng >> 7;
	prng ^= prng << 17;
	return (uint32_t)(prng >> 11);
}

static void fill(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = (uint8_t)next_rand();
}

struct bufs {
	uint8_t *share[XS_MAX_N];
	size_t ssize;
	uint8_t *secret, *out;
};

static void bufs_alloc(struct bufs *b, unsigned n, size_t len)
{
	unsigned i;

	b->ssize = xs_share_size(n, len);
	assert_true(b->ssize > 0);
	for (i = 0; i < n; i++)
		b->share[i] = test_malloc(b->ssize);
	b->secret = test_malloc(len);
	b->out = test_malloc(len + 1);
}

static void bufs_free(struct bufs *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		test_free(b->share[i]);
	test_free(b->secret);
	test_free(b->out);
}

/* Combines the shares whose bits are set in `set`, in a shuffled order. */
static int combine_set(struct xs_ctx *ctx, struct bufs *b, unsigned n,
		       uint32_t set, size_t *outlen, size_t cap)
{
	const uint8_t *sh[XS_MAX_N];
	size_t lens[XS_MAX_N];
	unsigned i, c = 0;

	for (i = 0; i < n; i++) {
		if (set & (1u << i)) {
			sh[c] = b->share[i];
			lens[c++] = b->ssize;
		}
	}
	for (i = c; i > 1; i--) {
		unsigned j = next_rand() % i;
		const uint8_t *t = sh[i - 1];

		sh[i - 1] = sh[j];
		sh[j] = t;
	}
	return xs_combine(ctx, sh, lens, c, b->out, cap, outlen);
}

static void roundtrip(unsigned k, unsigned n, size_t len, bool all_subsets)
{
	struct xs_ctx *ctx;
	struct bufs b;
	size_t outlen;
	uint32_t set;
	unsigned tried = 0;

	assert_int_equal(xs_ctx_new(&ctx, k, n, len, 0), 0);
	bufs_alloc(&b, n, len);
	fill(b.secret, len);
	assert_int_equal(xs_split(ctx, b.secret, len, b.share), 0);
	for (set = 0; set < (1u << n); set++) {
		if ((unsigned)__builtin_popcount(set) != k)
			continue;
		/* big n: a fixed sample keeps the test fast; the plans of
		 * all subsets are checked in test_xorshare_perfect */
		if (!all_subsets && tried && next_rand() % 64)
			continue;
		memset(b.out, 0xa5, len + 1);
		outlen = 0;
		assert_int_equal(combine_set(ctx, &b, n, set, &outlen, len + 1),
				 0);
		assert_int_equal(outlen, len);
		assert_memory_equal(b.out, b.secret, len);
		assert_int_equal(b.out[len], 0xa5);
		tried++;
	}
	/* more than k shares: extra ones are validated and ignored */
	assert_int_equal(combine_set(ctx, &b, n, (1u << n) - 1, &outlen, len),
			 0);
	assert_memory_equal(b.out, b.secret, len);
	assert_true(tried > 0);
	bufs_free(&b, n);
	xs_ctx_free(ctx);
}

static void test_all_k_n_all_subsets(void **state)
{
	unsigned k, n;

	for (n = 2; n <= XS_MAX_N; n++) {
		for (k = 2; k <= n; k++)
			roundtrip(k, n, 1 + next_rand() % 700, n <= 9);
	}
}

static void test_sizes_and_padding(void **state)
{
	static const size_t sizes[] = {
		1,   2,	  7,   8,    15,   16,	 17,	31,    63,
		511, 512, 513, 4095, 4096, 4097, 65536, 65537, (1u << 20) + 3};
	static const unsigned kn[][2] = {
		{2, 2}, {2, 3}, {3, 5}, {4, 7}, {5, 16}};
	unsigned i, j;

	for (i = 0; i < sizeof(kn) / sizeof(kn[0]); i++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			roundtrip(kn[i][0], kn[i][1], sizes[j],
				  kn[i][1] <= 7 && sizes[j] < 100000);
	}
}

static void test_portable_kernel(void **state)
{
	bool old = xs_xor_force_portable(true);

	roundtrip(2, 3, 100003, true);
	roundtrip(4, 7, 4097, true);
	xs_xor_force_portable(old);
}

/*
 * The XOR kernels themselves, both of them, against a byte loop: every
 * length up to 300 (the 128-, 32-, 8- and 1-byte steps and their tails),
 * 1 to 5 sources at odd offsets, the output in place over the first.
 */
static void test_xor_kernels_every_length(void **state)
{
	enum { MAXLEN = 300, NS = 5 };
	static uint8_t src[NS][MAXLEN + 8], dst[MAXLEN + 8], want[MAXLEN + 8];

	for (unsigned pass = 0; pass < 2; pass++) {
		bool old = xs_xor_force_portable(pass == 1);

		for (unsigned ns = 1; ns <= NS; ns++) {
			for (size_t len = 0; len <= MAXLEN; len++) {
				const uint8_t *sp[NS];
				size_t off = (len + ns) % 8;

				for (unsigned x = 0; x < ns; x++) {
					fill(src[x], sizeof(src[x]));
					sp[x] = src[x] + (off + x) % 8;
				}
				for (size_t i = 0; i < len; i++) {
					uint8_t v = 0;

					for (unsigned x = 0; x < ns; x++)
						v ^= sp[x][i];
					want[i] = v;
				}
				memset(dst, 0xa5, sizeof(dst));
				xs_xor_sources(dst + off, sp, ns, len);
				assert_memory_equal(dst + off, want, len);
				assert_int_equal(dst[off + len], 0xa5);
				if (!len)
					continue;
				/* in place: dst is src[0] */
				xs_xor_sources((uint8_t *)sp[0], sp, ns, len);
				assert_memory_equal(sp[0], want, len);
			}
		}
		xs_xor_force_portable(old);
	}
}

static void test_random_sizes_reused_ctx(void **state)
{
	struct xs_ctx *ctx;
	struct bufs b;
	size_t len, outlen, max = 20000;
	unsigned it;

	assert_int_equal(xs_ctx_new(&ctx, 3, 5, max, 0), 0);
	bufs_alloc(&b, 5, max);
	for (it = 0; it < 200; it++) {
		uint32_t set;

		len = 1 + next_rand() % max;
		do
			set = next_rand() & 31;
		while (__builtin_popcount(set) != 3);
		fill(b.secret, len);
		b.ssize = xs_share_size(5, len);
		assert_int_equal(xs_split(ctx, b.secret, len, b.share), 0);
		assert_int_equal(combine_set(ctx, &b, 5, set, &outlen, max), 0);
		assert_int_equal(outlen, len);
		assert_memory_equal(b.out, b.secret, len);
	}
	b.ssize = 0;
	bufs_free(&b, 5);
	xs_ctx_free(ctx);
}

static void test_sha256_check(void **state)
{
	struct xs_ctx *ctx;
	struct bufs b;
	struct xs_share_info info;
	size_t outlen, len = 3001;

	assert_int_equal(xs_ctx_new(&ctx, 3, 4, len, XS_F_CHECK_SHA256), 0);
	bufs_alloc(&b, 4, len);
	fill(b.secret, len);
	assert_int_equal(xs_split(ctx, b.secret, len, b.share), 0);
	assert_int_equal(xs_share_parse(b.share[2], b.ssize, &info), 0);
	assert_int_equal(info.check, XS_CHECK_SHA256);
	assert_int_equal(combine_set(ctx, &b, 4, 0xb, &outlen, len), 0);
	assert_memory_equal(b.out, b.secret, len);
	b.share[1][XS_HDR_SIZE + 5] ^= 0x10;
	assert_int_equal(combine_set(ctx, &b, 4, 0xb, &outlen, len), -EBADMSG);
	bufs_free(&b, 4);
	xs_ctx_free(ctx);
}

/* Ideal: the body of each share is the secret plus the check and at most
 * XS_PIECE_ALIGN bytes of padding per piece. */
static void test_share_size_is_ideal(void **state)
{
	unsigned n;
	size_t len;

	for (n = 2; n <= XS_MAX_N; n++) {
		size_t pieces = xs_prime_for(n) - 1;

		for (len = 1; len < 5000; len += 1 + len / 3) {
			size_t s = xs_share_size(n, len);

			assert_true(s >= XS_HDR_SIZE + len + XS_CHECK_SIZE);
			assert_true(s <= XS_HDR_SIZE + len + XS_CHECK_SIZE +
						 pieces * XS_PIECE_ALIGN);
		}
	}
	assert_int_equal(xs_share_size(1, 10), 0);
	assert_int_equal(xs_share_size(XS_MAX_N + 1, 10), 0);
	assert_int_equal(xs_share_size(3, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_k_n_all_subsets),
		cmocka_unit_test(test_sizes_and_padding),
		cmocka_unit_test(test_portable_kernel),
		cmocka_unit_test(test_xor_kernels_every_length),
		cmocka_unit_test(test_random_sizes_reused_ctx),
		cmocka_unit_test(test_sha256_check),
		cmocka_unit_test(test_share_size_is_ideal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
