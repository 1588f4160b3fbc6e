// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shamir's scheme over GF(2^8), straightforward and table-driven: only a
 * yardstick for the benchmark, so the XOR scheme's gain is measured against
 * the usual alternative on the same machine. Not used on the data path.
 */
#include <errno.h>
#include <pthread.h>

#include "xs_internal.h"

static uint8_t gf_mul[256][256];
static uint8_t gf_inv[256];
static pthread_once_t gf_once = PTHREAD_ONCE_INIT;

static void gf_init(void)
{
	uint8_t exp[255], log[256] = {0};
	unsigned i, a, b, x = 1;

	/* x^8 + x^4 + x^3 + x^2 + 1 (0x11d), generator 2 */
	for (i = 0; i < 255; i++) {
		exp[i] = (uint8_t)x;
		log[x] = (uint8_t)i;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
	}
	for (a = 1; a < 256; a++) {
		for (b = 1; b < 256; b++)
			gf_mul[a][b] = exp[(log[a] + log[b]) % 255];
		gf_inv[a] = exp[(255 - log[a]) % 255];
	}
}

int xs_shamir_split(struct xs_rng *rng, unsigned k, unsigned n,
		    const uint8_t *secret, size_t len, uint8_t *const shares[],
		    uint8_t *coef)
{
	unsigned i, h;
	size_t b;
	int ret;

	if (k < 2 || k > n || n > 255)
		return -EINVAL;
	pthread_once(&gf_once, gf_init);
	ret = xs_rng_fill(rng, coef, (size_t)(k - 1) * len);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const uint8_t *mx = gf_mul[i + 1];
		uint8_t *y = shares[i];

		/* Horner, highest coefficient first */
		for (b = 0; b < len; b++)
			y[b] = coef[(size_t)(k - 2) * len + b];
		for (h = k - 1; h-- > 0;) {
			const uint8_t *c =
				h ? coef + (size_t)(h - 1) * len : secret;

			for (b = 0; b < len; b++)
				y[b] = mx[y[b]] ^ c[b];
		}
	}
	return 0;
}

int xs_shamir_combine(unsigned k, const unsigned idx[],
		      const uint8_t *const shares[], size_t len, uint8_t *out)
{
	uint8_t l[256];
	unsigned t, u;
	size_t b;

	if (k < 2 || k > 255)
		return -EINVAL;
	pthread_once(&gf_once, gf_init);
	/* Lagrange basis at 0: l_t = prod x_u / (x_u - x_t), u != t */
	for (t = 0; t < k; t++) {
		uint8_t num = 1, den = 1;

		for (u = 0; u < k; u++) {
			uint8_t xu = (uint8_t)(idx[u] + 1);

			if (u == t)
				continue;
			if (idx[u] == idx[t])
				return -EINVAL;
			num = gf_mul[num][xu];
			den = gf_mul[den][xu ^ (uint8_t)(idx[t] + 1)];
		}
		l[t] = gf_mul[num][gf_inv[den]];
	}
	for (b = 0; b < len; b++)
		out[b] = 0;
	for (t = 0; t < k; t++) {
		const uint8_t *ml = gf_mul[l[t]];
		const uint8_t *y = shares[t];

		for (b = 0; b < len; b++)
			out[b] ^= ml[y[b]];
	}
	return 0;
}
