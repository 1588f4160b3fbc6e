// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xorshare: perfectness and exactness of the scheme itself.
 *  - exhaustive: with 1- and 2-bit pieces, over all secrets x all random
 *    choices, every (k-1)-subset of shares has the same distribution for
 *    every secret, and every k-subset rebuilds the secret;
 *  - the fast data path gives bit-identical shares to the reference for the
 *    same randomness (so the exhaustive result covers it);
 *  - linear algebra over GF(2) for every (k,n) up to XS_MAX_N.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "codec/xs_internal.h"

static uint64_t prng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	prng ^= prng << 13;
	prng ^= prng >> 7;
	prng ^= prng << 17;
	return (uint32_t)(prng >> 11);
}

/* Subsets of {0..n-1} with c members, as bitmasks. */
static unsigned subsets(unsigned n, unsigned c, uint32_t *out)
{
	unsigned cnt = 0;
	uint32_t set;

	for (set = 0; set < (1u << n); set++) {
		if ((unsigned)__builtin_popcount(set) == c)
			out[cnt++] = set;
	}
	return cnt;
}

static void set_to_idx(uint32_t set, unsigned *idx)
{
	unsigned i, t = 0;

	for (i = 0; i < 32; i++) {
		if (set & (1u << i))
			idx[t++] = i;
	}
}

/*
 * Joint distribution of the shares in each `c`-subset, per secret, over all
 * random choices. Returns true if it is the same for every secret.
 */
static bool same_distribution(unsigned k, unsigned n, unsigned wbits,
			      unsigned c)
{
	unsigned p = xs_prime_for(n), np = p - 1, i, t, j, ns;
	unsigned sbits = wbits * np, rbits = wbits * (k - 1) * p;
	unsigned cbits = wbits * c * np, pm = (1u << wbits) - 1;
	uint32_t sets[1024], sv, rv, *hist, shv[XS_MAX_N];
	static unsigned members[1024][XS_MAX_N];
	uint8_t s[XS_MAX_P], r[XS_MAX_N * XS_MAX_P], w[XS_MAX_N * XS_MAX_P];
	size_t nsec = 1u << sbits, ncode = 1u << cbits;
	bool same = true;

	assert_true(sbits + rbits <= 22 && cbits <= 16);
	ns = subsets(n, c, sets);
	for (t = 0; t < ns; t++)
		set_to_idx(sets[t], members[t]);
	hist = calloc((size_t)ns * nsec * ncode, sizeof(*hist));
	assert_non_null(hist);
	for (sv = 0; sv < nsec; sv++) {
		s[0] = 0;
		for (i = 1; i < p; i++)
			s[i] = (sv >> (wbits * (i - 1))) & pm;
		for (rv = 0; rv < (1u << rbits); rv++) {
			for (i = 0; i < (k - 1) * p; i++)
				r[i] = (rv >> (wbits * i)) & pm;
			xs_ref_split(k, n, p, s, r, w);
			for (i = 0; i < n; i++) {
				shv[i] = 0;
				for (j = 0; j < np; j++)
					shv[i] |= (uint32_t)w[i * np + j]
						  << (j * wbits);
			}
			for (t = 0; t < ns; t++) {
				uint32_t code = 0;

				for (i = 0; i < c; i++)
					code |= shv[members[t][i]]
						<< (i * np * wbits);
				hist[((size_t)t * nsec + sv) * ncode + code]++;
			}
		}
	}
	for (t = 0; t < ns; t++) {
		for (sv = 1; sv < nsec; sv++) {
			if (memcmp(&hist[(size_t)t * nsec * ncode],
				   &hist[((size_t)t * nsec + sv) * ncode],
				   ncode * sizeof(*hist)))
				same = false;
		}
	}
	free(hist);
	return same;
}

/* Every k-subset rebuilds every secret under every random choice. */
static void exhaustive_recovery(unsigned k, unsigned n, unsigned wbits)
{
	unsigned p = xs_prime_for(n), np = p - 1, i, t, j, ns;
	unsigned sbits = wbits * np, rbits = wbits * (k - 1) * p;
	unsigned pm = (1u << wbits) - 1, idx[XS_MAX_N];
	uint32_t sets[1024], sv, rv;
	uint8_t s[XS_MAX_P], r[XS_MAX_N * XS_MAX_P], w[XS_MAX_N * XS_MAX_P];
	uint8_t wk[XS_MAX_N * XS_MAX_P], got[XS_MAX_P];
	struct xs_plan *pl;

	ns = subsets(n, k, sets);
	pl = calloc(ns, sizeof(*pl));
	assert_non_null(pl);
	for (t = 0; t < ns; t++) {
		set_to_idx(sets[t], idx);
		assert_int_equal(xs_plan_build(&pl[t], k, p, idx), 0);
	}
	for (sv = 0; sv < (1u << sbits); sv++) {
		s[0] = 0;
		for (i = 1; i < p; i++)
			s[i] = (sv >> (wbits * (i - 1))) & pm;
		for (rv = 0; rv < (1u << rbits); rv++) {
			for (i = 0; i < (k - 1) * p; i++)
				r[i] = (rv >> (wbits * i)) & pm;
			xs_ref_split(k, n, p, s, r, w);
			for (t = 0; t < ns; t++) {
				set_to_idx(sets[t], idx);
				for (i = 0; i < k; i++)
					for (j = 0; j < np; j++)
						wk[i * np + j] =
							w[idx[i] * np + j];
				xs_ref_combine(&pl[t], wk, got);
				assert_memory_equal(got + 1, s + 1, np);
			}
		}
	}
	free(pl);
}

static const struct {
	unsigned k, n, wbits;
} small[] = {
	{2, 2, 1}, {2, 2, 2}, {2, 3, 1}, {2, 3, 2}, {3, 3, 1},
	{3, 3, 2}, {2, 4, 1}, {2, 5, 1}, {2, 5, 2}, {3, 4, 1},
	{3, 5, 1}, {4, 4, 1}, {4, 5, 1}, {2, 7, 1},
};

static void test_exhaustive_perfect(void **state)
{
	unsigned i;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		unsigned k = small[i].k, n = small[i].n, w = small[i].wbits;

		print_message("(%u,%u) %u-bit pieces\n", k, n, w);
		assert_true(same_distribution(k, n, w, k - 1));
	}
}

/* The test above can fail: k shares do depend on the secret. */
static void test_exhaustive_detects_k_shares(void **state)
{
	assert_false(same_distribution(2, 3, 1, 2));
	assert_false(same_distribution(3, 5, 1, 3));
	assert_false(same_distribution(2, 3, 2, 2));
}

static void test_exhaustive_recovery(void **state)
{
	unsigned i;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		exhaustive_recovery(small[i].k, small[i].n, small[i].wbits);
}

/* Fast split/combine cores against the reference, byte by byte. */
static void cross_check(unsigned k, unsigned n)
{
	enum { L = 40 }; /* a 32-byte vector plus a tail */
	unsigned p = xs_prime_for(n), np = p - 1, i, j, b, m;
	static uint8_t sbuf[XS_MAX_P][L], rbuf[XS_MAX_N * XS_MAX_P][L];
	static uint8_t wbuf[XS_MAX_N * XS_MAX_P][L], out[XS_MAX_P][L];
	const uint8_t *sp[XS_MAX_P], *rp[XS_MAX_N * XS_MAX_P];
	const uint8_t *wp[XS_MAX_N * XS_MAX_P];
	uint8_t *wo[XS_MAX_N * XS_MAX_P], *so[XS_MAX_P];
	uint8_t s[XS_MAX_P], r[XS_MAX_N * XS_MAX_P], w[XS_MAX_N * XS_MAX_P];
	unsigned idx[XS_MAX_N];
	uint32_t set;
	struct xs_plan pl;

	for (m = 0; m < p; m++) {
		for (b = 0; b < L; b++)
			sbuf[m][b] = m ? (uint8_t)next_rand() : 0;
		sp[m] = sbuf[m];
		so[m] = out[m];
	}
	for (i = 0; i < (k - 1) * p; i++) {
		for (b = 0; b < L; b++)
			rbuf[i][b] = (uint8_t)next_rand();
		rp[i] = rbuf[i];
	}
	for (i = 0; i < n * np; i++)
		wo[i] = wbuf[i];
	xs_split_core(k, n, p, sp, rp, wo, L);
	for (b = 0; b < L; b++) {
		for (m = 0; m < p; m++)
			s[m] = sbuf[m][b];
		for (i = 0; i < (k - 1) * p; i++)
			r[i] = rbuf[i][b];
		xs_ref_split(k, n, p, s, r, w);
		for (i = 0; i < n * np; i++)
			assert_int_equal(wbuf[i][b], w[i]);
	}
	do
		set = next_rand() & ((1u << n) - 1);
	while ((unsigned)__builtin_popcount(set) != k);
	set_to_idx(set, idx);
	assert_int_equal(xs_plan_build(&pl, k, p, idx), 0);
	for (i = 0; i < k; i++)
		for (j = 0; j < np; j++)
			wp[i * np + j] = wbuf[idx[i] * np + j];
	xs_combine_core(&pl, wp, so, L);
	for (m = 1; m < p; m++)
		assert_memory_equal(out[m], sbuf[m], L);
}

static void test_fast_matches_reference(void **state)
{
	unsigned k, n, pass;

	for (pass = 0; pass < 2; pass++) {
		bool old = xs_xor_force_portable(pass == 1);

		for (n = 2; n <= XS_MAX_N; n++)
			for (k = 2; k <= n; k++)
				cross_check(k, n);
		xs_xor_force_portable(old);
	}
}

/*
 * For every (k,n): no (k-1) shares leak (no XOR of their pieces is free of
 * randomness), and k shares rebuild the secret. All subsets for n <= 10,
 * a random sample beyond (131k subsets take too long under ASan).
 */
static void test_linear_algebra_all_k_n(void **state)
{
	static uint32_t sets[1u << 16];
	static struct xs_plan pl;
	unsigned k, n, p, t, cnt, idx[XS_MAX_N];

	for (n = 2; n <= XS_MAX_N; n++) {
		p = xs_prime_for(n);
		for (k = 2; k <= n; k++) {
			cnt = subsets(n, k - 1, sets);
			for (t = 0; t < cnt; t++) {
				if (n > 10 && t && next_rand() % cnt > 24)
					continue;
				set_to_idx(sets[t], idx);
				assert_false(xs_scheme_leaks(k, p, idx, k - 1));
			}
			cnt = subsets(n, k, sets);
			for (t = 0; t < cnt; t++) {
				if (n > 10 && t && next_rand() % cnt > 24)
					continue;
				set_to_idx(sets[t], idx);
				assert_int_equal(xs_plan_build(&pl, k, p, idx),
						 0);
				assert_true(xs_scheme_leaks(k, p, idx, k));
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive_perfect),
		cmocka_unit_test(test_exhaustive_detects_k_shares),
		cmocka_unit_test(test_exhaustive_recovery),
		cmocka_unit_test(test_fast_matches_reference),
		cmocka_unit_test(test_linear_algebra_all_k_n),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
