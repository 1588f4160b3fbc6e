/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the share-volume files. */
#ifndef TGTX_SV_PRIV_H
#define TGTX_SV_PRIV_H

#include <stdint.h>

#include "sv.h"

uint32_t sv_codec_share_size(unsigned n, uint32_t block_size);

static inline uint64_t sv_roundup(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static inline int sv_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif
