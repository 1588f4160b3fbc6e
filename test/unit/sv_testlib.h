/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the share-volume unit tests: a reference volume whose block
 * writes are split into real codec shares (gen = split id), share volumes
 * on in-memory devices, and rebuilding a block from k readers.
 */
#ifndef TGTX_TEST_SV_TESTLIB_H
#define TGTX_TEST_SV_TESTLIB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bs_xorshare/codec/xorshare.h"
#include "replicator/sv.h"
#include "replicator/sv_memdev.h"
#include "replicator/sv_writer.h"

#define T_UUID                                                                 \
	"\x11\x22\x33\x44\x55\x66\x47\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x01"

static inline uint64_t t_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline struct sv_params t_params(unsigned k, unsigned n, unsigned index,
					uint32_t bs, uint64_t nblocks)
{
	struct sv_params p;

	memset(&p, 0, sizeof(p));
	memcpy(p.uuid, T_UUID, 16);
	p.k = k;
	p.n = n;
	p.index = index;
	p.block_size = bs;
	p.nblocks = nblocks;
	p.align = 512;
	p.journal_len = 1 << 20;
	p.live_mask = (1u << n) - 1;
	return p;
}

/* Splits block into n shares (malloc'd into sh[0..n-1]); returns gen. */
static inline uint64_t t_split(struct xs_ctx *ctx, unsigned n,
			       const uint8_t *block, uint32_t bs, uint8_t **sh)
{
	size_t sz = xs_share_size(n, bs);
	struct xs_share_info si;
	unsigned i;

	for (i = 0; i < n; i++)
		sh[i] = malloc(sz);
	if (xs_split(ctx, block, bs, sh) || xs_share_parse(sh[0], sz, &si))
		abort();
	return si.split_id;
}

/*
 * Rebuilds block lba as of seq from count readers into out: 0, or -1 if
 * the readers disagree (per-block mix) or a share fails.
 */
static inline int t_rebuild(struct xs_ctx *ctx, struct sv_reader **r,
			    unsigned count, uint64_t lba, uint64_t seq,
			    uint8_t *out)
{
	const struct sv_info *in = sv_reader_info(r[0]);
	uint8_t *sh[SV_MAX_N];
	size_t lens[SV_MAX_N], outlen;
	unsigned i, zero = 0;
	int ret = 0;

	for (i = 0; i < count; i++) {
		enum sv_slot_kind kind;
		uint64_t gen;

		sh[i] = malloc(in->share_size);
		lens[i] = in->share_size;
		if (sv_reader_block(r[i], lba, seq, sh[i], &kind, &gen, NULL))
			ret = -1;
		else if (kind != SV_SLOT_SHARE)
			zero++;
	}
	if (!ret && zero == count)
		memset(out, 0, in->block_size);
	else if (!ret && zero)
		ret = -1;
	else if (!ret && xs_combine(ctx, (const uint8_t *const *)sh, lens,
				    count, out, in->block_size, &outlen))
		ret = -1;
	for (i = 0; i < count; i++)
		free(sh[i]);
	return ret;
}

#endif
