// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the xorshare codec's readers: xs_share_parse and
 * xs_combine on arbitrary share bytes (what a peer or a damaged disk hands
 * back), and a round trip of xs_split_nonce / xs_share_derive / xs_combine
 * on arbitrary secrets.
 *
 * Input: byte 0 is cfg.
 *   cfg & 0x80 clear: shares. (cfg & 3) + 1 shares follow, each as a
 *     16-bit little-endian length and that many bytes (cut short at the
 *     end of the input). cfg & 4: fix up each header CRC so mutations reach
 *     the fields behind it. cfg & 8: the context's (k,n) come from byte 1
 *     (k = low nibble, n = high nibble) instead of the first share's header.
 *   cfg & 0x80 set: round trip. Byte 1 gives (k,n) as above, bytes 2..9 the
 *     nonce, the rest is the secret: xs_split_nonce, then every share
 *     derived alone and the last one by xs_derive_blocks must equal it, and
 *     the last k shares must rebuild the secret. Any mismatch aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bs_xorshare/codec/xs_internal.h"

#define MAX_SHARES 4

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void put_le32(uint8_t *p, uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void kn_from(uint8_t b, unsigned *k, unsigned *nn)
{
	*k = b & 0xf;
	*nn = (b >> 4) + 1;
}

static void shares_case(const uint8_t *d, size_t n)
{
	uint8_t cfg = d[0], *buf[MAX_SHARES] = {NULL}, *out = NULL;
	const uint8_t *sh[MAX_SHARES];
	size_t lens[MAX_SHARES], off = 1, outlen = 0, cap = 1;
	unsigned count = (cfg & 3) + 1, i, got = 0, k = 0, nn = 0;
	struct xs_share_info info, first = {0};
	struct xs_ctx *ctx = NULL;

	if (cfg & 8) {
		if (n < 2)
			return;
		kn_from(d[1], &k, &nn);
		off = 2;
	}
	for (i = 0; i < count && off + 2 <= n; i++) {
		size_t len = (size_t)d[off] | (size_t)d[off + 1] << 8;

		off += 2;
		if (len > n - off)
			len = n - off;
		/* exact-size copies, so a read past a share's end is caught */
		buf[i] = malloc(len ? len : 1);
		if (!buf[i])
			goto out;
		memcpy(buf[i], d + off, len);
		off += len;
		if ((cfg & 4) && len >= XS_HDR_SIZE)
			put_le32(buf[i] + XS_HDR_OFF_CRC,
				 xs_crc32c(0, buf[i], XS_HDR_OFF_CRC));
		sh[i] = buf[i];
		lens[i] = len;
		if (xs_share_parse(buf[i], len, &info) == 0 && !got++)
			first = info;
	}
	count = i;
	if (!count)
		goto out;
	if (!(cfg & 8)) {
		if (!got)
			goto out;
		k = first.k;
		nn = first.n;
	}
	/* a share is longer than its secret: its length bounds the output */
	for (i = 0; i < count; i++)
		cap = lens[i] > cap ? lens[i] : cap;
	if (xs_ctx_new(&ctx, k, nn, cap, 0))
		goto out;
	out = malloc(cap);
	if (!out)
		goto out;
	if (xs_combine(ctx, sh, lens, count, out, cap, &outlen) == 0 &&
	    (outlen != first.secret_len || !got))
		abort();
out:
	xs_ctx_free(ctx);
	free(out);
	for (i = 0; i < MAX_SHARES; i++)
		free(buf[i]);
}

static void roundtrip_case(const uint8_t *d, size_t n)
{
	static const uint8_t key[XS_KEY_SIZE] = {0x42};
	uint8_t *shares[XS_MAX_N] = {NULL}, *one = NULL, *out = NULL;
	const uint8_t *sh[XS_MAX_N];
	size_t lens[XS_MAX_N], len, ssize, outlen = 0;
	struct xs_ctx *ctx = NULL;
	unsigned k, nn, i;
	uint64_t nonce = 0;

	if (n < 11)
		return;
	kn_from(d[1], &k, &nn);
	for (i = 0; i < 8; i++)
		nonce |= (uint64_t)d[2 + i] << (8 * i);
	d += 10;
	len = n - 10;
	if (xs_ctx_new(&ctx, k, nn, len, 0))
		return;
	if (xs_ctx_set_key(ctx, key))
		abort();
	ssize = xs_share_size(nn, len);
	one = malloc(ssize);
	out = malloc(len);
	for (i = 0; i < nn; i++) {
		shares[i] = malloc(ssize);
		if (!shares[i])
			goto out;
	}
	if (!one || !out)
		goto out;
	if (xs_split_nonce(ctx, nonce, d, len, shares))
		abort();
	for (i = 0; i < nn; i++) {
		if (xs_share_derive(ctx, nonce, d, len, i, one) ||
		    memcmp(one, shares[i], ssize))
			abort();
	}
	/* the batch form, one block */
	if (xs_derive_blocks(ctx, nn - 1, nonce, d, 1, len, one) ||
	    memcmp(one, shares[nn - 1], ssize))
		abort();
	/* the last k shares: another subset than a fresh plan cache picks */
	for (i = 0; i < k; i++) {
		sh[i] = shares[nn - k + i];
		lens[i] = ssize;
	}
	if (xs_combine(ctx, sh, lens, k, out, len, &outlen) || outlen != len ||
	    memcmp(out, d, len))
		abort();
out:
	for (i = 0; i < XS_MAX_N; i++)
		free(shares[i]);
	free(one);
	free(out);
	xs_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (!n)
		return 0;
	if (d[0] & 0x80)
		roundtrip_case(d, n);
	else
		shares_case(d, n);
	return 0;
}
