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
#include <stdbool.h>
#include <string.h>

#include "xs_internal.h"

/* Bytes of a piece handled by all k-1 passes before moving on, so the
 * output stays in L1 between passes. */
#define XS_DERIVE_STRIPE (16u << 10)

/*
 * The payload is read in place from the secret up to `ts`, from ctx->tail
 * after it. ts is the start of the payload tail (xs_geom) moved up to the
 * last 16-byte boundary inside the secret, so ctx->tail gets under 16 bytes
 * of the secret plus the check and padding (no piece-sized copy), and a
 * piece that straddles ts splits into two keystream seeks on whole blocks.
 */
static int derive_tail(struct xs_ctx *ctx, const uint8_t *secret, size_t len,
		       const struct xs_geom *g, size_t *ts)
{
	size_t t = g->tail_start + ((len - g->tail_start) & ~(size_t)15);
	size_t in_secret = len - t, end = (ctx->p - 1) * g->piece;
	int ret;

	memcpy(ctx->tail, secret + t, in_secret);
	ret = xs_check_compute(ctx->check, secret, len, ctx->tail + in_secret);
	if (ret)
		return ret;
	memset(ctx->tail + in_secret + XS_CHECK_SIZE, 0,
	       end - t - in_secret - XS_CHECK_SIZE);
	*ts = t;
	return 0;
}

/* w[off, off+c) = payload piece starting at payload offset pstart (none:
 * the zero dummy) XOR random piece rp, over the same range. */
static int first_pass(struct xs_ctx *ctx, const struct xs_src *src, unsigned rp,
		      const uint8_t *secret, size_t ts, bool dummy,
		      size_t pstart, size_t off, uint8_t *w, size_t c)
{
	size_t x0 = pstart + off, cut;
	int ret;

	if (dummy)
		return xs_src_piece(ctx, src, rp, off, NULL, w + off, c);
	if (x0 >= ts)
		return xs_src_piece(ctx, src, rp, off, ctx->tail + (x0 - ts),
				    w + off, c);
	cut = ts - x0 < c ? ts - x0 : c;
	ret = xs_src_piece(ctx, src, rp, off, secret + x0, w + off, cut);
	if (ret || cut == c)
		return ret;
	return xs_src_piece(ctx, src, rp, off + cut, ctx->tail, w + off + cut,
			    c - cut);
}

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
	unsigned p = ctx->p, j, h, m;
	size_t off, c, ts;
	uint8_t *w;
	int ret;

	ret = derive_tail(ctx, secret, len, g, &ts);
	if (ret)
		return ret;
	xs_hdr_write(share, &info);
	for (j = 0; j < p - 1; j++) {
		w = share + XS_HDR_SIZE + j * g->piece;
		m = xs_s_index(p, index, j); /* 0: the zero dummy */
		for (off = 0; off < g->piece; off += c) {
			c = g->piece - off < XS_DERIVE_STRIPE
				    ? g->piece - off
				    : XS_DERIVE_STRIPE;
			ret = first_pass(ctx, src, xs_r_index(p, 0, index, j),
					 secret, ts, m == 0,
					 m ? (m - 1) * g->piece : 0, off, w, c);
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
