// SPDX-License-Identifier: GPL-2.0-or-later
/* Rebuilding a secret from any k shares and checking it. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xs_internal.h"

#define XS_COMBINE_STRIPE (16u << 10)

/* Validates all headers and picks k distinct shares, lowest index first. */
static int pick_shares(struct xs_ctx *ctx, const uint8_t *const shares[],
		       const size_t lens[], unsigned count,
		       struct xs_share_info *first, unsigned idx[],
		       const uint8_t *chosen[])
{
	const uint8_t *by_index[XS_MAX_N] = {NULL};
	struct xs_share_info info = {0};
	unsigned i, t, distinct = 0;
	int ret;

	for (i = 0; i < count; i++) {
		if (!shares[i])
			return -EINVAL;
		ret = xs_share_parse(shares[i], lens[i], &info);
		if (ret)
			return ret;
		if (i == 0)
			*first = info;
		else if (info.k != first->k || info.n != first->n ||
			 info.secret_len != first->secret_len ||
			 info.split_id != first->split_id ||
			 info.check != first->check)
			return -EBADMSG; /* shares of different splits */
		if (by_index[info.index]) {
			/* a repeated share adds nothing; a different one
			 * under the same index is corrupt */
			if (memcmp(by_index[info.index], shares[i], lens[i]))
				return -EBADMSG;
			continue;
		}
		by_index[info.index] = shares[i];
		distinct++;
	}
	if (first->k != ctx->k || first->n != ctx->n)
		return -EBADMSG;
	if (distinct < ctx->k)
		return -EINVAL;
	for (i = 0, t = 0; i < ctx->n && t < ctx->k; i++) {
		if (by_index[i]) {
			idx[t] = i;
			chosen[t++] = by_index[i];
		}
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	while (len--)
		acc |= *p++;
	return !acc;
}

int xs_combine(struct xs_ctx *ctx, const uint8_t *const shares[],
	       const size_t lens[], unsigned count, void *out, size_t out_cap,
	       size_t *out_len)
{
	const uint8_t *chosen[XS_MAX_N], *wo[XS_MAX_N * (XS_MAX_P - 1)];
	uint8_t *spiece[XS_MAX_P], *so[XS_MAX_P], check[XS_CHECK_SIZE];
	struct xs_share_info info = {0};
	const struct xs_plan *pl;
	unsigned idx[XS_MAX_N], p, m, t, j;
	struct xs_geom g;
	size_t len, off, c, in_secret;
	int ret;

	if (!ctx || !shares || !lens || !out || !out_len || count == 0 ||
	    count > 255)
		return -EINVAL;
	ret = pick_shares(ctx, shares, lens, count, &info, idx, chosen);
	if (ret)
		return ret;
	len = info.secret_len;
	if (len > out_cap)
		return -EINVAL;
	ret = xs_geom(ctx, len, &g);
	if (ret)
		return ret;
	pl = xs_ctx_plan(ctx, idx);
	if (!pl)
		return -EINVAL;
	p = ctx->p;

	spiece[0] = NULL;
	so[0] = NULL;
	for (m = 1; m < p; m++) {
		size_t start = (m - 1) * g.piece;

		spiece[m] = m <= g.full ? (uint8_t *)out + start
					: ctx->tail + (start - g.tail_start);
	}
	for (off = 0; off < g.piece; off += c) {
		c = g.piece - off < XS_COMBINE_STRIPE ? g.piece - off
						      : XS_COMBINE_STRIPE;
		for (m = 1; m < p; m++)
			so[m] = spiece[m] + off;
		for (t = 0; t < ctx->k; t++) {
			for (j = 0; j < p - 1; j++)
				wo[t * (p - 1) + j] = chosen[t] + XS_HDR_SIZE +
						      j * g.piece + off;
		}
		xs_combine_core(pl, wo, so, c);
	}

	in_secret = len - g.tail_start;
	memcpy((uint8_t *)out + g.tail_start, ctx->tail, in_secret);
	ret = xs_check_compute(info.check, out, len, check);
	if (ret || CRYPTO_memcmp(check, ctx->tail + in_secret, XS_CHECK_SIZE) ||
	    !all_zero(ctx->tail + in_secret + XS_CHECK_SIZE,
		      g.tail_len - in_secret - XS_CHECK_SIZE)) {
		/* never hand out a secret that failed its check */
		memset(out, 0, len);
		return ret ? ret : -EBADMSG;
	}
	*out_len = len;
	return 0;
}
