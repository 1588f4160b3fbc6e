// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One share of a deterministic split alone (doc/xorshare.md, section 5):
 *   w(i,j) = d[(j - i) mod p] XOR r^0[j] XOR .. XOR r^{k-2}[(j + (k-2)i) mod p]
 * Each piece is made in place: the first random term is the keystream
 * encrypting the payload piece (one AES-CTR pass with the XOR fused), the
 * others are XORed in by further passes. Only the (k-1)(p-1) random pieces
 * share i reads are computed, and nothing else is written.
 */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

/* Bytes of a piece handled by all k-1 passes before moving on, so the
 * output stays in L1 between passes. */
#define XS_DERIVE_STRIPE (16u << 10)

static int derive_one(struct xs_ctx *ctx, struct xs_src *src,
		      const struct xs_geom *g, const uint8_t *secret,
		      size_t len, unsigned index, uint8_t *share)
{
	const struct xs_share_info info = {
		.version = XS_VERSION,
		.k = ctx->k,
		.n = ctx->n,
		.index = index,
		.check = ctx->check,
		.secret_len = (uint32_t)len,
		.split_id = src->nonce,
	};
	const uint8_t *spiece[XS_MAX_P], *d;
	unsigned p = ctx->p, j, h, m;
	size_t off, c;
	uint8_t *w;
	int ret;

	ret = xs_payload(ctx, secret, len, g, spiece);
	if (ret)
		return ret;
	xs_hdr_write(share, &info);
	for (j = 0; j < p - 1; j++) {
		w = share + XS_HDR_SIZE + j * g->piece;
		m = xs_s_index(p, index, j);
		d = spiece[m]; /* NULL for the zero dummy */
		for (off = 0; off < g->piece; off += c) {
			c = g->piece - off < XS_DERIVE_STRIPE
				    ? g->piece - off
				    : XS_DERIVE_STRIPE;
			ret = xs_src_piece(ctx, src, xs_r_index(p, 0, index, j),
					   off, d ? d + off : NULL, w + off, c);
			for (h = 1; !ret && h + 1 < ctx->k; h++)
				ret = xs_src_piece(
					ctx, src,
					h * p + xs_r_index(p, h, index, j), off,
					w + off, w + off, c);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int derive_check(struct xs_ctx *ctx, unsigned index, const void *data,
			const void *out, size_t block_len, struct xs_geom *g)
{
	if (!ctx || !data || !out || index >= ctx->n)
		return -EINVAL;
	if (!ctx->ks.set)
		return -EINVAL;
	return xs_geom(ctx, block_len, g);
}

int xs_share_derive(struct xs_ctx *ctx, uint64_t nonce, const void *secret,
		    size_t len, unsigned index, uint8_t *share)
{
	struct xs_src src = {.keyed = true, .nonce = nonce};
	struct xs_geom g;
	int ret;

	ret = derive_check(ctx, index, secret, share, len, &g);
	if (ret)
		return ret;
	src.piece_blocks = (g.piece + 15) / 16;
	return derive_one(ctx, &src, &g, secret, len, index, share);
}

int xs_derive_blocks(struct xs_ctx *ctx, unsigned index, uint64_t first_nonce,
		     const void *data, size_t nblocks, size_t block_len,
		     uint8_t *out)
{
	struct xs_src src = {.keyed = true, .nonce = first_nonce};
	size_t b, ssize;
	struct xs_geom g;
	int ret;

	ret = derive_check(ctx, index, data, out, block_len, &g);
	if (ret)
		return ret;
	if (nblocks && nblocks - 1 > UINT64_MAX - first_nonce)
		return -EINVAL;
	ssize = xs_share_size(ctx->n, block_len);
	src.piece_blocks = (g.piece + 15) / 16;
	for (b = 0; b < nblocks; b++, src.nonce++) {
		ret = derive_one(ctx, &src, &g,
				 (const uint8_t *)data + b * block_len,
				 block_len, index, out + b * ssize);
		if (ret)
			return ret;
	}
	return 0;
}
