// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xorshare deterministic splits (xs_split_nonce, xs_share_derive,
 * xs_derive_blocks):
 *  - share i derived alone == share i of the all-n split, for every (k,n)
 *    up to XS_MAX_N and lengths from 1 byte to 64 KiB + odd, on the VAES and
 *    the OpenSSL keystream alike;
 *  - both equal an independent model written from doc/xorshare.md (OpenSSL
 *    AES-128-CTR, IV = nonce || (h*p + m) * ceil(P/16)), which pins the
 *    randomness layout peers and the store rely on;
 *  - same (key, nonce, secret) -> same shares; another nonce or key ->
 *    other shares; the header's split id is the nonce;
 *  - every k-subset of derived shares rebuilds the secret (all subsets for
 *    n <= 9, a sample beyond);
 *  - the batch helpers equal one call per block; argument errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bs_xorshare/codec/xs_internal.h"

static uint64_t prng = 0x452821e638d01377ull;

/* test data only */
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

static const uint8_t key1[XS_KEY_SIZE] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
					  0xcc, 0xdd, 0xee, 0xff};
static const uint8_t key2[XS_KEY_SIZE] = {0x01, 0x11, 0x22, 0x33, 0x44, 0x55,
					  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
					  0xcc, 0xdd, 0xee, 0xff};

static const size_t lengths[] = {1, 7, 100, 4096, 65536 + 13};
#define NLEN (sizeof(lengths) / sizeof(lengths[0]))

/* Keystream bytes of one random piece, straight from OpenSSL. */
static void model_piece(const uint8_t key[16], uint64_t nonce, uint64_t ctr,
			uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t iv[16];
	int outl, i;

	assert_non_null(c);
	for (i = 0; i < 8; i++) {
		iv[i] = (uint8_t)(nonce >> (56 - 8 * i));
		iv[8 + i] = (uint8_t)(ctr >> (56 - 8 * i));
	}
	memset(out, 0, len);
	assert_int_equal(
		EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &outl, out, (int)len), 1);
	assert_int_equal((size_t)outl, len);
	EVP_CIPHER_CTX_free(c);
}

/* Share `index` body as doc/xorshare.md describes it, one byte at a time. */
static void model_share(unsigned k, unsigned n, const uint8_t key[16],
			uint64_t nonce, const uint8_t *secret, size_t len,
			unsigned index, uint8_t *body)
{
	unsigned p = xs_prime_for(n), h, j, m;
	size_t P = xs_piece_size(n, len), b, bpp = (P + 15) / 16;
	uint8_t *payload = calloc(p - 1, P), *r = malloc((k - 1) * p * P);

	assert_non_null(payload);
	assert_non_null(r);
	memcpy(payload, secret, len);
	assert_int_equal(
		xs_check_compute(XS_CHECK_CRC4, secret, len, payload + len), 0);
	for (h = 0; h + 1 < k; h++)
		for (m = 0; m < p; m++)
			model_piece(key, nonce, (h * p + m) * bpp,
				    r + (h * p + m) * P, P);
	for (j = 0; j < p - 1; j++) {
		for (b = 0; b < P; b++) {
			uint8_t v = 0;

			m = (j + p - index % p) % p;
			if (m)
				v = payload[(m - 1) * P + b];
			for (h = 0; h + 1 < k; h++)
				v ^= r[(h * p + (j + h * index) % p) * P + b];
			body[j * P + b] = v;
		}
	}
	free(payload);
	free(r);
}

struct set {
	unsigned k, n;
	size_t len, ssize;
	uint8_t *secret;
	uint8_t *all[XS_MAX_N]; /* xs_split_nonce */
	uint8_t *one;		/* xs_share_derive */
	uint8_t *out;
	struct xs_ctx *ctx;
};

static void set_new(struct set *s, unsigned k, unsigned n, size_t len)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->k = k;
	s->n = n;
	s->len = len;
	s->ssize = xs_share_size(n, len);
	assert_true(s->ssize > 0);
	s->secret = test_malloc(len);
	fill(s->secret, len);
	for (i = 0; i < n; i++)
		s->all[i] = test_malloc(s->ssize);
	s->one = test_malloc(s->ssize);
	s->out = test_malloc(len);
	assert_int_equal(xs_ctx_new(&s->ctx, k, n, len, 0), 0);
	assert_int_equal(xs_ctx_set_key(s->ctx, key1), 0);
}

static void set_free(struct set *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		test_free(s->all[i]);
	test_free(s->one);
	test_free(s->secret);
	test_free(s->out);
	xs_ctx_free(s->ctx);
}

static void derive_all_equal(unsigned k, unsigned n, size_t len, uint64_t nonce)
{
	struct xs_share_info info;
	struct set s;
	unsigned i;

	set_new(&s, k, n, len);
	assert_int_equal(xs_split_nonce(s.ctx, nonce, s.secret, len, s.all), 0);
	for (i = 0; i < n; i++) {
		memset(s.one, 0x5a, s.ssize);
		assert_int_equal(
			xs_share_derive(s.ctx, nonce, s.secret, len, i, s.one),
			0);
		assert_memory_equal(s.one, s.all[i], s.ssize);
		assert_int_equal(xs_share_parse(s.one, s.ssize, &info), 0);
		assert_int_equal(info.index, i);
		assert_true(info.split_id == nonce);
	}
	set_free(&s);
}

static void test_derive_equals_split_all_k_n(void **state)
{
	unsigned k, n, l, pass;

	for (pass = 0; pass < 2; pass++) {
		/* pass 1: OpenSSL keystream; the key is set after forcing */
		bool old = xs_rng_force_openssl(pass == 1);

		for (n = 2; n <= XS_MAX_N; n++)
			for (k = 2; k <= n; k++)
				for (l = 0; l < NLEN; l++)
					derive_all_equal(k, n, lengths[l],
							 0x0123456789abcdefull +
								 l);
		xs_rng_force_openssl(old);
	}
}

/* Both keystream paths and the doc's formula agree byte for byte. */
static void test_model_and_both_keystreams(void **state)
{
	static const unsigned kn[][2] = {{2, 2},  {2, 3},  {3, 5},  {4, 7},
					 {5, 11}, {2, 16}, {16, 16}};
	static const size_t lens[] = {1, 33, 4096, 10000 + 3, 40000 + 3};
	unsigned t, l, i;
	uint64_t nonce;

	for (t = 0; t < sizeof(kn) / sizeof(kn[0]); t++) {
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			unsigned k = kn[t][0], n = kn[t][1];
			struct set s;
			uint8_t *vaes, *body;
			bool old;

			set_new(&s, k, n, lens[l]);
			vaes = test_malloc(s.ssize);
			body = test_malloc(s.ssize - XS_HDR_SIZE);
			nonce = ((uint64_t)next_rand() << 32) | next_rand();
			for (i = 0; i < n; i++) {
				assert_int_equal(
					xs_share_derive(s.ctx, nonce, s.secret,
							s.len, i, vaes),
					0);
				old = xs_rng_force_openssl(true);
				assert_int_equal(xs_ctx_set_key(s.ctx, key1),
						 0);
				assert_int_equal(
					xs_share_derive(s.ctx, nonce, s.secret,
							s.len, i, s.one),
					0);
				xs_rng_force_openssl(old);
				assert_int_equal(xs_ctx_set_key(s.ctx, key1),
						 0);
				assert_memory_equal(vaes, s.one, s.ssize);
				model_share(k, n, key1, nonce, s.secret, s.len,
					    i, body);
				assert_memory_equal(s.one + XS_HDR_SIZE, body,
						    s.ssize - XS_HDR_SIZE);
			}
			test_free(vaes);
			test_free(body);
			set_free(&s);
		}
	}
}

static void test_deterministic(void **state)
{
	uint8_t *again[XS_MAX_N];
	struct set s;
	unsigned i;

	set_new(&s, 3, 5, 4096 + 5);
	for (i = 0; i < 5; i++)
		again[i] = test_malloc(s.ssize);
	assert_int_equal(xs_split_nonce(s.ctx, 42, s.secret, s.len, s.all), 0);
	/* same inputs in a fresh context: same bits */
	xs_ctx_free(s.ctx);
	assert_int_equal(xs_ctx_new(&s.ctx, 3, 5, s.len, 0), 0);
	assert_int_equal(xs_ctx_set_key(s.ctx, key1), 0);
	assert_int_equal(xs_split_nonce(s.ctx, 42, s.secret, s.len, again), 0);
	for (i = 0; i < 5; i++)
		assert_memory_equal(again[i], s.all[i], s.ssize);
	/* another nonce: every share body differs */
	assert_int_equal(xs_split_nonce(s.ctx, 43, s.secret, s.len, again), 0);
	for (i = 0; i < 5; i++)
		assert_memory_not_equal(again[i] + XS_HDR_SIZE,
					s.all[i] + XS_HDR_SIZE,
					s.ssize - XS_HDR_SIZE);
	/* another key, same nonce: every share body differs */
	assert_int_equal(xs_ctx_set_key(s.ctx, key2), 0);
	assert_int_equal(xs_split_nonce(s.ctx, 42, s.secret, s.len, again), 0);
	for (i = 0; i < 5; i++)
		assert_memory_not_equal(again[i] + XS_HDR_SIZE,
					s.all[i] + XS_HDR_SIZE,
					s.ssize - XS_HDR_SIZE);
	/* the fresh-random split still gives different shares each time */
	assert_int_equal(xs_split(s.ctx, s.secret, s.len, again), 0);
	for (i = 0; i < 5; i++)
		assert_memory_not_equal(again[i] + XS_HDR_SIZE,
					s.all[i] + XS_HDR_SIZE,
					s.ssize - XS_HDR_SIZE);
	for (i = 0; i < 5; i++)
		test_free(again[i]);
	set_free(&s);
}

/* Every k-subset of derived shares rebuilds the secret. */
static void rebuild_from_derived(unsigned k, unsigned n, size_t len)
{
	const uint8_t *sh[XS_MAX_N];
	size_t lens[XS_MAX_N], outlen;
	unsigned i, c, tried = 0;
	uint32_t set;
	struct set s;

	set_new(&s, k, n, len);
	for (i = 0; i < n; i++)
		assert_int_equal(xs_share_derive(s.ctx, 7 + n, s.secret, len, i,
						 s.all[i]),
				 0);
	for (set = 0; set < (1u << n); set++) {
		if ((unsigned)__builtin_popcount(set) != k)
			continue;
		if (n > 9 && tried && next_rand() % 256)
			continue;
		for (i = 0, c = 0; i < n; i++) {
			if (set & (1u << i)) {
				sh[c] = s.all[i];
				lens[c++] = s.ssize;
			}
		}
		memset(s.out, 0, len);
		assert_int_equal(
			xs_combine(s.ctx, sh, lens, c, s.out, len, &outlen), 0);
		assert_int_equal(outlen, len);
		assert_memory_equal(s.out, s.secret, len);
		tried++;
	}
	assert_true(tried > 0);
	set_free(&s);
}

static void test_derived_k_subsets_rebuild(void **state)
{
	unsigned k, n;

	for (n = 2; n <= XS_MAX_N; n++)
		for (k = 2; k <= n; k++)
			rebuild_from_derived(k, n, 1000 + n);
}

static void test_derive_blocks(void **state)
{
	enum { NB = 9, BL = 4096 };
	uint8_t *data, *batch;
	struct set s;
	size_t b;
	unsigned i;

	set_new(&s, 2, 3, BL);
	data = test_malloc(NB * BL);
	fill(data, NB * BL);
	batch = test_malloc(NB * s.ssize);
	for (i = 0; i < 3; i++) {
		assert_int_equal(
			xs_derive_blocks(s.ctx, i, 1000, data, NB, BL, batch),
			0);
		for (b = 0; b < NB; b++) {
			assert_int_equal(xs_share_derive(s.ctx, 1000 + b,
							 data + b * BL, BL, i,
							 s.one),
					 0);
			assert_memory_equal(batch + b * s.ssize, s.one,
					    s.ssize);
		}
	}
	/* all n shares of every block: share i of block b == derived one */
	{
		uint8_t *all[3];

		for (i = 0; i < 3; i++)
			all[i] = test_malloc(NB * s.ssize);
		assert_int_equal(
			xs_split_blocks(s.ctx, 1000, data, NB, BL, all), 0);
		for (i = 0; i < 3; i++) {
			assert_int_equal(xs_derive_blocks(s.ctx, i, 1000, data,
							  NB, BL, batch),
					 0);
			assert_memory_equal(all[i], batch, NB * s.ssize);
			test_free(all[i]);
		}
	}
	assert_int_equal(
		xs_split_blocks(s.ctx, UINT64_MAX, data, 2, BL,
				(uint8_t *const[]){batch, batch, batch}),
		-EINVAL);
	/* zero blocks is a no-op; a nonce run that would wrap is refused */
	assert_int_equal(xs_derive_blocks(s.ctx, 0, 5, data, 0, BL, batch), 0);
	assert_int_equal(
		xs_derive_blocks(s.ctx, 0, UINT64_MAX - 1, data, 2, BL, batch),
		0);
	assert_int_equal(
		xs_derive_blocks(s.ctx, 0, UINT64_MAX - 1, data, 3, BL, batch),
		-EINVAL);
	test_free(batch);
	test_free(data);
	set_free(&s);
}

static void test_errors(void **state)
{
	uint8_t key[XS_KEY_SIZE], key_b[XS_KEY_SIZE];
	struct xs_ctx *ctx;
	struct set s;

	set_new(&s, 2, 3, 100);
	assert_int_equal(xs_ctx_new(&ctx, 2, 3, 100, 0), 0);
	/* no key: the deterministic calls refuse rather than invent one */
	assert_int_equal(xs_split_nonce(ctx, 1, s.secret, 100, s.all), -EINVAL);
	assert_int_equal(xs_share_derive(ctx, 1, s.secret, 100, 0, s.one),
			 -EINVAL);
	assert_int_equal(xs_derive_blocks(ctx, 0, 1, s.secret, 1, 100, s.one),
			 -EINVAL);
	assert_int_equal(xs_split_blocks(ctx, 1, s.secret, 1, 100, s.all),
			 -EINVAL);
	xs_ctx_free(ctx);
	assert_int_equal(xs_ctx_set_key(NULL, key1), -EINVAL);
	assert_int_equal(xs_ctx_set_key(s.ctx, NULL), -EINVAL);
	assert_int_equal(xs_share_derive(s.ctx, 1, s.secret, 100, 3, s.one),
			 -EINVAL);
	assert_int_equal(xs_share_derive(s.ctx, 1, s.secret, 101, 0, s.one),
			 -EINVAL);
	assert_int_equal(xs_share_derive(s.ctx, 1, s.secret, 0, 0, s.one),
			 -EINVAL);
	assert_int_equal(xs_share_derive(s.ctx, 1, NULL, 100, 0, s.one),
			 -EINVAL);
	assert_int_equal(xs_share_derive(s.ctx, 1, s.secret, 100, 0, NULL),
			 -EINVAL);
	assert_int_equal(xs_split_nonce(s.ctx, 1, s.secret, 101, s.all),
			 -EINVAL);
	assert_int_equal(xs_key_generate(NULL), -EINVAL);
	assert_int_equal(xs_key_generate(key), 0);
	assert_int_equal(xs_key_generate(key_b), 0);
	assert_memory_not_equal(key, key_b, XS_KEY_SIZE);
	set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_equals_split_all_k_n),
		cmocka_unit_test(test_model_and_both_keystreams),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_derived_k_subsets_rebuild),
		cmocka_unit_test(test_derive_blocks),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
