// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Splitting a secret into all n shares (scheme: doc/xorshare.md), with
 * fresh randomness (xs_split) or randomness fixed by (key, nonce)
 * (xs_split_nonce). Both run the same code; only the source differs.
 */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

/* Builds the payload tail: secret end, check, zero padding. */
static int fill_tail(struct xs_ctx *ctx, const uint8_t *secret, size_t len,
		     const struct xs_geom *g)
{
	size_t in_secret = len - g->tail_start;
	int ret;

	memcpy(ctx->tail, secret + g->tail_start, in_secret);
	ret = xs_check_compute(ctx->check, secret, len, ctx->tail + in_secret);
	if (ret)
		return ret;
	memset(ctx->tail + in_secret + XS_CHECK_SIZE, 0,
	       g->tail_len - in_secret - XS_CHECK_SIZE);
	return 0;
}

int xs_payload(struct xs_ctx *ctx, const uint8_t *secret, size_t len,
	       const struct xs_geom *g, const uint8_t *spiece[])
{
	unsigned m;
	int ret;

	ret = fill_tail(ctx, secret, len, g);
	if (ret)
		return ret;
	spiece[0] = NULL;
	for (m = 1; m < ctx->p; m++) {
		size_t start = (m - 1) * g->piece;

		spiece[m] = m <= g->full ? secret + start
					 : ctx->tail + (start - g->tail_start);
	}
	return 0;
}

static void write_headers(struct xs_ctx *ctx, size_t len, uint64_t split_id,
			  uint8_t *const shares[])
{
	struct xs_share_info info = {
		.version = XS_VERSION,
		.k = ctx->k,
		.n = ctx->n,
		.check = ctx->check,
		.secret_len = (uint32_t)len,
		.split_id = split_id,
	};
	unsigned i;

	for (i = 0; i < ctx->n; i++) {
		info.index = i;
		xs_hdr_write(shares[i], &info);
	}
}

/*
 * Random pieces of one stripe. For k = 2 share m's piece m is r[0][m] alone
 * (its secret term is the zero dummy), so that random piece is generated
 * straight into the share and read from there: one copy less per piece.
 */
static int stripe_random(struct xs_ctx *ctx, const struct xs_src *src,
			 const struct xs_geom *g, uint8_t *const shares[],
			 size_t off, size_t c, const uint8_t *ro[])
{
	unsigned r, p = ctx->p;
	uint8_t *dst;
	int ret;

	for (r = 0; r < (ctx->k - 1) * p; r++) {
		if (ctx->k == 2 && r < ctx->n && r < p - 1)
			dst = shares[r] + XS_HDR_SIZE + r * g->piece + off;
		else
			dst = ctx->rnd + r * c;
		ret = xs_src_piece(ctx, src, r, off, NULL, dst, c);
		if (ret)
			return ret;
		ro[r] = dst;
	}
	return 0;
}

static int split_with(struct xs_ctx *ctx, struct xs_src *src,
		      const void *secret, size_t len, uint8_t *const shares[])
{
	const uint8_t *spiece[XS_MAX_P], *so[XS_MAX_P];
	const uint8_t *ro[(XS_MAX_N - 1) * XS_MAX_P];
	uint8_t *wo[XS_MAX_N * (XS_MAX_P - 1)];
	unsigned k, n, p, m, i, j;
	struct xs_geom g;
	size_t off, c;
	uint8_t id[8];
	int ret;

	if (!ctx || !secret || !shares)
		return -EINVAL;
	for (i = 0; i < ctx->n; i++) {
		if (!shares[i])
			return -EINVAL;
	}
	ret = xs_geom(ctx, len, &g);
	if (ret)
		return ret;
	k = ctx->k;
	n = ctx->n;
	p = ctx->p;
	ret = xs_payload(ctx, secret, len, &g, spiece);
	if (ret)
		return ret;
	if (!src->keyed) {
		/* a fresh random id per split lets combine reject mixed
		 * shares */
		ret = xs_rng_fill(&ctx->rng, id, sizeof(id));
		if (ret)
			return ret;
		src->nonce = 0;
		for (i = 0; i < 8; i++)
			src->nonce |= (uint64_t)id[i] << (8 * i);
	}
	src->piece_blocks = (g.piece + 15) / 16;
	write_headers(ctx, len, src->nonce, shares);

	so[0] = NULL;
	/* one stripe at a time, so its randomness is still in cache when the
	 * shares consume it */
	for (off = 0; off < g.piece; off += c) {
		c = g.piece - off < ctx->stripe ? g.piece - off : ctx->stripe;
		ret = stripe_random(ctx, src, &g, shares, off, c, ro);
		if (ret)
			return ret;
		for (m = 1; m < p; m++)
			so[m] = spiece[m] + off;
		for (i = 0; i < n; i++) {
			for (j = 0; j < p - 1; j++)
				wo[i * (p - 1) + j] = shares[i] + XS_HDR_SIZE +
						      j * g.piece + off;
		}
		xs_split_core(k, n, p, so, ro, wo, c);
	}
	return 0;
}

int xs_split(struct xs_ctx *ctx, const void *secret, size_t len,
	     uint8_t *const shares[])
{
	struct xs_src src = {.keyed = false};

	return split_with(ctx, &src, secret, len, shares);
}

int xs_split_nonce(struct xs_ctx *ctx, uint64_t nonce, const void *secret,
		   size_t len, uint8_t *const shares[])
{
	struct xs_src src = {.keyed = true, .nonce = nonce};

	if (ctx && !ctx->ks.set)
		return -EINVAL;
	return split_with(ctx, &src, secret, len, shares);
}

int xs_split_blocks(struct xs_ctx *ctx, uint64_t first_nonce, const void *data,
		    size_t nblocks, size_t block_len, uint8_t *const out[])
{
	uint8_t *sh[XS_MAX_N];
	size_t b, ssize;
	unsigned i;
	int ret;

	if (!ctx || !data || !out || !ctx->ks.set)
		return -EINVAL;
	if (nblocks && nblocks - 1 > UINT64_MAX - first_nonce)
		return -EINVAL;
	ssize = xs_share_size(ctx->n, block_len);
	for (i = 0; i < ctx->n; i++) {
		if (!out[i])
			return -EINVAL;
	}
	for (b = 0; b < nblocks; b++) {
		for (i = 0; i < ctx->n; i++)
			sh[i] = out[i] + b * ssize;
		ret = xs_split_nonce(ctx, first_nonce + b,
				     (const uint8_t *)data + b * block_len,
				     block_len, sh);
		if (ret)
			return ret;
	}
	return 0;
}
