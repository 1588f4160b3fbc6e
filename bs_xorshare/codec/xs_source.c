// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one place a split's random pieces come from: the CSPRNG (xs_split),
 * the keyed stream (xs_split_nonce, xs_share_derive) or, in tests, a hook
 * that lets the exhaustive perfectness tests choose every random value
 * while the production split and derive code runs unchanged around it.
 */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

#define XS_HOOK_CHUNK 1024u

void xs_ctx_set_rng_hook(struct xs_ctx *ctx, xs_rng_hook_fn fn, void *arg)
{
	ctx->hook = fn;
	ctx->hook_arg = arg;
}

static void xor_into(const uint8_t *in, uint8_t *out, size_t len)
{
	const uint8_t *src[2] = {in, out};

	xs_xor_sources(out, src, 2, len);
}

/* The hook fills a buffer; XORing it into in/out needs a copy. */
static int hook_piece(struct xs_ctx *ctx, const struct xs_src *src, unsigned rp,
		      size_t off, const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t tmp[XS_HOOK_CHUNK];
	size_t done, c;
	int ret;

	if (!in)
		return ctx->hook(ctx->hook_arg, src->nonce, rp, off, out, len);
	for (done = 0; done < len; done += c) {
		c = len - done < sizeof(tmp) ? len - done : sizeof(tmp);
		ret = ctx->hook(ctx->hook_arg, src->nonce, rp, off + done, tmp,
				c);
		if (ret)
			return ret;
		if (in + done != out + done)
			memcpy(out + done, in + done, c);
		xor_into(tmp, out + done, c);
	}
	return 0;
}

int xs_src_piece(struct xs_ctx *ctx, const struct xs_src *src, unsigned rp,
		 size_t off, const uint8_t *in, uint8_t *out, size_t len)
{
	if (ctx->hook)
		return hook_piece(ctx, src, rp, off, in, out, len);
	if (src->keyed) {
		if (off % 16)
			return -EINVAL; /* a seek must land on a block */
		return xs_ks_xor(&ctx->ks, src->nonce,
				 rp * src->piece_blocks + off / 16, in, out,
				 len);
	}
	if (in)
		return -EINVAL; /* xs_split only draws pieces alone */
	return xs_rng_fill(&ctx->rng, out, len);
}
