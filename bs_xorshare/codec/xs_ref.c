// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reference implementation on abstract pieces, one piece per byte, so tests
 * can enumerate 1- and 2-bit pieces exhaustively. It evaluates the same
 * index formulas and decode plans as the fast path, one piece at a time.
 */
#include "xs_internal.h"

void xs_ref_split(unsigned k, unsigned n, unsigned p, const uint8_t *s,
		  const uint8_t *r, uint8_t *w)
{
	unsigned i, j, h, m;

	for (i = 0; i < n; i++) {
		for (j = 0; j < p - 1; j++) {
			uint8_t v = 0;

			m = xs_s_index(p, i, j);
			if (m)
				v ^= s[m];
			for (h = 0; h + 1 < k; h++)
				v ^= r[h * p + xs_r_index(p, h, i, j)];
			w[i * (p - 1) + j] = v;
		}
	}
}

void xs_ref_combine(const struct xs_plan *pl, const uint8_t *w, uint8_t *s)
{
	unsigned o, t;

	s[0] = 0;
	for (o = 0; o < pl->nops; o++) {
		const struct xs_op *op = &pl->op[o];
		uint8_t v = op->base ? s[op->base] : 0;

		for (t = 0; t < op->nterm; t++)
			v ^= w[pl->terms[op->first + t]];
		s[op->out] = v;
	}
}
