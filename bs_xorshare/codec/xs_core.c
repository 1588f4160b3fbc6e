// SPDX-License-Identifier: GPL-2.0-or-later
/* The data path: share pieces from secret and random pieces and back, as
 * multi-source XORs over whole (or striped) pieces. */
#include "xs_internal.h"

void xs_split_core(unsigned k, unsigned n, unsigned p,
		   const uint8_t *const spiece[], const uint8_t *const rpiece[],
		   uint8_t *const wpiece[], size_t len)
{
	const uint8_t *src[XS_MAX_N + 1];
	unsigned i, j, h, ns, m;

	for (i = 0; i < n; i++) {
		for (j = 0; j < p - 1; j++) {
			ns = 0;
			for (h = 0; h + 1 < k; h++)
				src[ns++] =
					rpiece[h * p + xs_r_index(p, h, i, j)];
			m = xs_s_index(p, i, j);
			if (m)
				src[ns++] = spiece[m];
			/* already in place (xs_split generates it there) */
			if (ns == 1 && src[0] == wpiece[i * (p - 1) + j])
				continue;
			xs_xor_sources(wpiece[i * (p - 1) + j], src, ns, len);
		}
	}
}

void xs_combine_core(const struct xs_plan *pl, const uint8_t *const wpiece[],
		     uint8_t *const spiece[], size_t len)
{
	const uint8_t *src[XS_MAX_WPIECES + 1];
	unsigned o, t, ns;

	for (o = 0; o < pl->nops; o++) {
		const struct xs_op *op = &pl->op[o];

		ns = 0;
		if (op->base)
			src[ns++] = spiece[op->base];
		for (t = 0; t < op->nterm; t++)
			src[ns++] = wpiece[pl->terms[op->first + t]];
		xs_xor_sources(spiece[op->out], src, ns, len);
	}
}
