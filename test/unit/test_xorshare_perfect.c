// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xorshare: perfectness and exactness of the scheme itself.
 *  - exhaustive: with 1- and 2-bit pieces, over all secrets x all random
 *    choices, every (k-1)-subset of shares has the same distribution for
 *    every secret, and every k-subset rebuilds the secret;
 *  - the fast data path gives bit-identical shares to the reference for the
 *    same randomness (so the exhaustive result covers it);
 *  - linear algebra over GF(2) for every (k,n) up to XS_MAX_N;
 *  - the same exhaustive tests on the production code: xs_split (fresh
 *    randomness, k = 2 in-place path, stripes, payload tail),
 *    xs_split_nonce and xs_share_derive, with every random byte fed by
 *    the test hook (xs_ctx_set_rng_hook). Each byte position ("lane") of
 *    the pieces carries one (secret, randomness) combination, so one real
 *    split evaluates thousands of them; every k-subset is rebuilt by the
 *    real xs_combine.
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

/* ---- the exhaustive tests on the production split/derive code ---- */

enum real_path { REAL_SPLIT, REAL_SPLIT_NONCE, REAL_DERIVE };

/* Lanes per real split: pieces of LANE_P bytes (two derive stripes and more),
 * the last 16 lanes carry the check in the last piece and are not used. LANE_P
 * spans several stripes. */
#define LANE_P	   32784u
#define LANE_USED  (LANE_P - XS_CHECK_SIZE)
#define LANE_RANDS ((XS_MAX_N - 1) * XS_MAX_P)

struct lanes {
	unsigned k, n, p, np, wbits;
	uint8_t *rnd; /* random piece rp at rnd + rp * LANE_P */
	unsigned long hook_calls;
	bool bad_request;
};

static int lanes_hook(void *arg, uint64_t nonce, unsigned rp, size_t off,
		      uint8_t *buf, size_t len)
{
	struct lanes *ln = arg;

	ln->hook_calls++;
	if (rp >= (ln->k - 1) * ln->p || off > LANE_P || len > LANE_P - off) {
		ln->bad_request = true;
		return -EIO;
	}
	memcpy(buf, ln->rnd + (size_t)rp * LANE_P + off, len);
	return 0;
}

/* One real split (or n derives) of the combinations base.. in the lanes. */
static void real_shares(struct xs_ctx *ctx, struct lanes *ln,
			enum real_path path, uint8_t *secret, size_t len,
			uint8_t *const shares[])
{
	unsigned i;

	switch (path) {
	case REAL_SPLIT:
		assert_int_equal(xs_split(ctx, secret, len, shares), 0);
		break;
	case REAL_SPLIT_NONCE:
		assert_int_equal(xs_split_nonce(ctx, 9, secret, len, shares),
				 0);
		break;
	case REAL_DERIVE:
		for (i = 0; i < ln->n; i++)
			assert_int_equal(xs_share_derive(ctx, 9, secret, len, i,
							 shares[i]),
					 0);
		break;
	}
	assert_false(ln->bad_request);
}

/*
 * same_distribution() and exhaustive_recovery() on the production code:
 * returns true if every c-subset of shares has the same distribution for
 * every secret; with `recover` also rebuilds every secret from every
 * k-subset with xs_combine.
 */
static bool real_same_distribution(unsigned k, unsigned n, unsigned wbits,
				   unsigned c, enum real_path path,
				   bool recover)
{
	static const uint8_t key[XS_KEY_SIZE] = {1, 2, 3};
	unsigned p = xs_prime_for(n), np = p - 1, i, t, j, m, ns, nr;
	unsigned sbits = wbits * np, rbits = wbits * (k - 1) * p;
	unsigned cbits = wbits * c * np, pm = (1u << wbits) - 1;
	static unsigned members[1024][XS_MAX_N];
	uint32_t sets[1024], *hist, shv[XS_MAX_N], ksets[1024];
	size_t nsec = 1u << sbits, ncode = 1u << cbits, len, b, lanes;
	uint64_t total = (uint64_t)nsec << rbits, base, x;
	uint8_t *secret, *shares[XS_MAX_N], *out;
	const uint8_t *pick[XS_MAX_N];
	size_t lens[XS_MAX_N], ssize, outlen;
	struct lanes ln = {.k = k, .n = n, .p = p, .np = np, .wbits = wbits};
	struct xs_ctx *ctx;
	bool same = true;
	unsigned nk, kidx[XS_MAX_N];

	assert_true(sbits + rbits <= 22 && cbits <= 16);
	len = (size_t)np * LANE_P - XS_CHECK_SIZE;
	assert_int_equal(xs_piece_size(n, len), LANE_P);
	ssize = xs_share_size(n, len);
	ns = subsets(n, c, sets);
	for (t = 0; t < ns; t++)
		set_to_idx(sets[t], members[t]);
	nk = subsets(n, k, ksets);
	hist = calloc((size_t)ns * nsec * ncode, sizeof(*hist));
	secret = calloc(1, len);
	out = malloc(len);
	ln.rnd = calloc(LANE_RANDS, LANE_P);
	assert_non_null(hist);
	assert_non_null(secret);
	assert_non_null(out);
	assert_non_null(ln.rnd);
	for (i = 0; i < n; i++) {
		shares[i] = malloc(ssize);
		assert_non_null(shares[i]);
	}
	assert_int_equal(xs_ctx_new(&ctx, k, n, len, 0), 0);
	assert_int_equal(xs_ctx_set_key(ctx, key), 0);
	xs_ctx_set_rng_hook(ctx, lanes_hook, &ln);
	nr = (k - 1) * p;
	for (base = 0; base < total; base += LANE_USED) {
		lanes = total - base < LANE_USED ? (size_t)(total - base)
						 : LANE_USED;
		for (b = 0; b < lanes; b++) {
			x = base + b;
			for (m = 1; m < p; m++)
				secret[(m - 1) * LANE_P + b] =
					(uint8_t)((x >> rbits >>
						   (wbits * (m - 1))) &
						  pm);
			for (i = 0; i < nr; i++)
				ln.rnd[(size_t)i * LANE_P + b] =
					(uint8_t)((x >> (wbits * i)) & pm);
		}
		real_shares(ctx, &ln, path, secret, len, shares);
		for (b = 0; b < lanes; b++) {
			uint32_t sv = (uint32_t)((base + b) >> rbits);

			for (i = 0; i < n; i++) {
				shv[i] = 0;
				for (j = 0; j < np; j++) {
					uint8_t v = shares[i][XS_HDR_SIZE +
							      j * LANE_P + b];

					assert_true(v <= pm);
					shv[i] |= (uint32_t)v << (j * wbits);
				}
			}
			for (t = 0; t < ns; t++) {
				uint32_t code = 0;

				for (i = 0; i < c; i++)
					code |= shv[members[t][i]]
						<< (i * np * wbits);
				hist[((size_t)t * nsec + sv) * ncode + code]++;
			}
		}
		if (!recover)
			continue;
		for (t = 0; t < nk; t++) {
			set_to_idx(ksets[t], kidx);
			for (i = 0; i < k; i++) {
				pick[i] = shares[kidx[i]];
				lens[i] = ssize;
			}
			assert_int_equal(xs_combine(ctx, pick, lens, k, out,
						    len, &outlen),
					 0);
			assert_memory_equal(out, secret, len);
		}
	}
	assert_true(ln.hook_calls > 0);
	for (t = 0; t < ns; t++) {
		for (b = 1; b < nsec; b++) {
			if (memcmp(&hist[(size_t)t * nsec * ncode],
				   &hist[((size_t)t * nsec + b) * ncode],
				   ncode * sizeof(*hist)))
				same = false;
		}
	}
	xs_ctx_free(ctx);
	for (i = 0; i < n; i++)
		free(shares[i]);
	free(ln.rnd);
	free(out);
	free(secret);
	free(hist);
	return same;
}

static const char *const path_name[] = {"xs_split", "xs_split_nonce",
					"xs_share_derive"};

static void real_perfect(enum real_path path)
{
	unsigned i;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		unsigned k = small[i].k, n = small[i].n, w = small[i].wbits;

		print_message("%s (%u,%u) %u-bit pieces\n", path_name[path], k,
			      n, w);
		assert_true(real_same_distribution(k, n, w, k - 1, path, true));
	}
	/* k shares do depend on the secret: the test can fail */
	assert_false(real_same_distribution(2, 3, 1, 2, path, false));
	assert_false(real_same_distribution(3, 5, 1, 3, path, false));
	assert_false(real_same_distribution(2, 3, 2, 2, path, false));
}

static void test_real_split_perfect(void **state)
{
	real_perfect(REAL_SPLIT);
}

static void test_real_split_nonce_perfect(void **state)
{
	real_perfect(REAL_SPLIT_NONCE);
}

static void test_real_derive_perfect(void **state)
{
	real_perfect(REAL_DERIVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive_perfect),
		cmocka_unit_test(test_exhaustive_detects_k_shares),
		cmocka_unit_test(test_exhaustive_recovery),
		cmocka_unit_test(test_fast_matches_reference),
		cmocka_unit_test(test_linear_algebra_all_k_n),
		cmocka_unit_test(test_real_split_perfect),
		cmocka_unit_test(test_real_split_nonce_perfect),
		cmocka_unit_test(test_real_derive_perfect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
