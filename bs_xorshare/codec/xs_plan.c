// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decode plans: which share pieces XOR to each secret piece, for one set of
 * share indices. Derived by Gaussian elimination over GF(2) from the same
 * xs_s_index/xs_r_index formulas split uses, so the decoder can never drift
 * from the encoder, and the same elimination proves (for tests) that fewer
 * than k shares carry no information.
 */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

#define UW ((XS_MAX_UNKNOWNS + 63) / 64)
#define CW ((XS_MAX_WPIECES + 63) / 64)

struct row {
	uint64_t u[UW]; /* unknowns: s[1..p-1] low, then r[h][m] */
	uint64_t c[CW]; /* which share pieces were XORed into this row */
};

struct basis {
	unsigned p;
	unsigned nrows;
	int pivot[XS_MAX_UNKNOWNS]; /* row holding this pivot bit, or -1 */
	struct row rows[XS_MAX_WPIECES];
};

static inline void bit_set(uint64_t *w, unsigned b)
{
	w[b / 64] ^= 1ull << (b % 64);
}

static inline bool bit_get(const uint64_t *w, unsigned b)
{
	return (w[b / 64] >> (b % 64)) & 1;
}

static int top_bit(const uint64_t *w, unsigned nw)
{
	while (nw--) {
		if (w[nw])
			return (int)(nw * 64 + 63 - __builtin_clzll(w[nw]));
	}
	return -1;
}

static void row_xor(struct row *a, const struct row *b)
{
	unsigned i;

	for (i = 0; i < UW; i++)
		a->u[i] ^= b->u[i];
	for (i = 0; i < CW; i++)
		a->c[i] ^= b->c[i];
}

/* Secret pieces are the lowest unknowns so that, with pivots taken from the
 * top, a row whose pivot is a secret piece holds no randomness at all. */
static unsigned unk_s(unsigned m)
{
	return m - 1;
}

static unsigned unk_r(unsigned p, unsigned h, unsigned m)
{
	return (p - 1) + h * p + m;
}

static void basis_build(struct basis *b, unsigned k, unsigned p,
			const unsigned idx[], unsigned cnt)
{
	unsigned t, j, h;

	memset(b, 0, sizeof(*b));
	b->p = p;
	for (t = 0; t < XS_MAX_UNKNOWNS; t++)
		b->pivot[t] = -1;
	for (t = 0; t < cnt; t++) {
		for (j = 0; j < p - 1; j++) {
			struct row r;
			unsigned m = xs_s_index(p, idx[t], j);
			int hb;

			memset(&r, 0, sizeof(r));
			if (m)
				bit_set(r.u, unk_s(m));
			for (h = 0; h + 1 < k; h++)
				bit_set(r.u,
					unk_r(p, h,
					      xs_r_index(p, h, idx[t], j)));
			bit_set(r.c, t * (p - 1) + j);
			while ((hb = top_bit(r.u, UW)) >= 0 &&
			       b->pivot[hb] >= 0)
				row_xor(&r, &b->rows[b->pivot[hb]]);
			if (hb < 0)
				continue;
			b->pivot[hb] = (int)b->nrows;
			b->rows[b->nrows++] = r;
		}
	}
}

bool xs_scheme_leaks(unsigned k, unsigned p, const unsigned idx[], unsigned cnt)
{
	static __thread struct basis b;
	unsigned m;

	basis_build(&b, k, p, idx, cnt);
	for (m = 1; m < p; m++) {
		if (b.pivot[unk_s(m)] >= 0)
			return true;
	}
	return false;
}

static unsigned popc(const uint64_t *c)
{
	unsigned i, n = 0;

	for (i = 0; i < CW; i++)
		n += (unsigned)__builtin_popcountll(c[i]);
	return n;
}

int xs_plan_build(struct xs_plan *pl, unsigned k, unsigned p,
		  const unsigned idx[])
{
	static __thread struct basis b;
	uint64_t mask[XS_MAX_P][CW], d[CW];
	bool done[XS_MAX_P] = {false};
	unsigned m, m2, i, t;

	if (k < XS_MIN_K || p > XS_MAX_P || k > p)
		return -EINVAL;
	basis_build(&b, k, p, idx, k);
	/* back-substitute so each secret row becomes a unit vector */
	for (m = 1; m < p; m++) {
		int r = b.pivot[unk_s(m)];

		if (r < 0)
			return -EINVAL;
		for (m2 = 1; m2 < m; m2++) {
			if (bit_get(b.rows[r].u, unk_s(m2)))
				row_xor(&b.rows[r],
					&b.rows[b.pivot[unk_s(m2)]]);
		}
		memcpy(mask[m], b.rows[r].c, sizeof(mask[m]));
	}

	memset(pl, 0, sizeof(*pl));
	pl->k = k;
	pl->p = p;
	for (t = 0; t < k; t++)
		pl->key |= 1u << idx[t];
	/*
	 * Greedy straight-line program: rebuild the cheapest piece first and
	 * let later pieces start from an earlier one when that saves reads
	 * (for k = 2 this turns p-1 long sums into a running chain).
	 */
	for (i = 0; i < p - 1; i++) {
		unsigned best_m = 0, best_cost = ~0u, best_base = 0, cost;
		struct xs_op *op = &pl->op[pl->nops];

		for (m = 1; m < p; m++) {
			if (done[m])
				continue;
			cost = popc(mask[m]);
			if (cost < best_cost) {
				best_cost = cost;
				best_m = m;
				best_base = 0;
			}
			for (m2 = 1; m2 < p; m2++) {
				unsigned w;

				if (!done[m2])
					continue;
				for (w = 0; w < CW; w++)
					d[w] = mask[m][w] ^ mask[m2][w];
				cost = popc(d) + 1;
				if (cost < best_cost) {
					best_cost = cost;
					best_m = m;
					best_base = m2;
				}
			}
		}
		for (t = 0; t < CW; t++)
			d[t] = mask[best_m][t] ^
			       (best_base ? mask[best_base][t] : 0);
		op->out = (uint8_t)best_m;
		op->base = (uint8_t)best_base;
		op->first = (uint16_t)pl->nterms;
		for (t = 0; t < k * (p - 1); t++) {
			if (bit_get(d, t))
				pl->terms[pl->nterms++] = (uint16_t)t;
		}
		op->nterm = (uint16_t)(pl->nterms - op->first);
		done[best_m] = true;
		pl->nops++;
	}
	return 0;
}
