// SPDX-License-Identifier: GPL-2.0-or-later
/* Codec contexts: parameters, preallocated workspace, CSPRNG, plan cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xs_internal.h"

/* Random bytes produced per stripe: small enough to stay in L1/L2 between
 * being generated and being XORed into the shares. */
#define XS_STRIPE_RANDOM (48u << 10)
#define XS_STRIPE_MIN	 512u
#define XS_STRIPE_MAX	 8192u

int xs_ctx_new(struct xs_ctx **ctxp, unsigned k, unsigned n, size_t max_secret,
	       unsigned flags)
{
	struct xs_ctx *ctx;
	size_t stripe;
	int ret;

	if (!ctxp)
		return -EINVAL;
	*ctxp = NULL;
	if (k < XS_MIN_K || k > n || n > XS_MAX_N || max_secret == 0 ||
	    max_secret > XS_MAX_SECRET || (flags & ~XS_F_CHECK_SHA256))
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->k = k;
	ctx->n = n;
	ctx->p = xs_prime_for(n);
	ctx->check =
		flags & XS_F_CHECK_SHA256 ? XS_CHECK_SHA256 : XS_CHECK_CRC4;
	ctx->max_secret = max_secret;
	ctx->max_piece = xs_piece_size(n, max_secret);
	stripe = XS_STRIPE_RANDOM / ((k - 1) * ctx->p) / 64 * 64;
	if (stripe < XS_STRIPE_MIN)
		stripe = XS_STRIPE_MIN;
	if (stripe > XS_STRIPE_MAX)
		stripe = XS_STRIPE_MAX;
	ctx->stripe = stripe;
	/* see xs_geom(): the tail is under one piece plus check and padding */
	ctx->tail_cap = ctx->max_piece + XS_CHECK_SIZE +
			(size_t)XS_PIECE_ALIGN * ctx->p;
	ctx->rnd = calloc((size_t)(k - 1) * ctx->p, stripe);
	ctx->tail = calloc(1, ctx->tail_cap);
	ctx->plans = calloc(XS_PLAN_CACHE, sizeof(*ctx->plans));
	if (!ctx->rnd || !ctx->tail || !ctx->plans) {
		xs_ctx_free(ctx);
		return -ENOMEM;
	}
	ret = xs_rng_init(&ctx->rng);
	if (ret) {
		xs_ctx_free(ctx);
		return ret;
	}
	*ctxp = ctx;
	return 0;
}

void xs_ctx_free(struct xs_ctx *ctx)
{
	if (!ctx)
		return;
	xs_rng_fini(&ctx->rng);
	xs_ks_fini(&ctx->ks);
	/* the workspace held secret bytes and the randomness that hides them */
	if (ctx->rnd)
		OPENSSL_cleanse(ctx->rnd,
				(size_t)(ctx->k - 1) * ctx->p * ctx->stripe);
	if (ctx->tail)
		OPENSSL_cleanse(ctx->tail, ctx->tail_cap);
	free(ctx->rnd);
	free(ctx->tail);
	free(ctx->plans);
	free(ctx);
}

int xs_ctx_set_key(struct xs_ctx *ctx, const uint8_t key[XS_KEY_SIZE])
{
	if (!ctx || !key)
		return -EINVAL;
	return xs_ks_set_key(&ctx->ks, key);
}

const struct xs_plan *xs_ctx_plan(struct xs_ctx *ctx, const unsigned idx[])
{
	struct xs_plan *pl;
	uint32_t key = 0;
	unsigned i;

	for (i = 0; i < ctx->k; i++)
		key |= 1u << idx[i];
	for (i = 0; i < ctx->nplans; i++) {
		if (ctx->plans[i].key == key)
			return &ctx->plans[i];
	}
	/* backing stores read back the same share sets: round-robin is
	 * enough to keep the common ones */
	pl = &ctx->plans[ctx->next_plan];
	ctx->next_plan = (ctx->next_plan + 1) % XS_PLAN_CACHE;
	if (ctx->nplans < XS_PLAN_CACHE)
		ctx->nplans++;
	if (xs_plan_build(pl, ctx->k, ctx->p, idx)) {
		pl->key = 0;
		return NULL;
	}
	return pl;
}

int xs_geom(const struct xs_ctx *ctx, size_t len, struct xs_geom *g)
{
	g->piece = xs_piece_size(ctx->n, len);
	if (!g->piece || len > ctx->max_secret)
		return -EINVAL;
	g->full = (unsigned)(len / g->piece);
	g->tail_start = (size_t)g->full * g->piece;
	g->tail_len = (ctx->p - 1) * g->piece - g->tail_start;
	if (g->tail_len > ctx->tail_cap)
		return -EINVAL;
	return 0;
}
