// SPDX-License-Identifier: GPL-2.0-or-later
/* Share header encoding and validation (layout in xorshare.h). */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

void xs_hdr_write(uint8_t *h, const struct xs_share_info *info)
{
	memset(h, 0, XS_HDR_SIZE);
	memcpy(h, XS_MAGIC, 4);
	h[XS_HDR_OFF_VERSION] = (uint8_t)info->version;
	h[XS_HDR_OFF_K] = (uint8_t)info->k;
	h[XS_HDR_OFF_N] = (uint8_t)info->n;
	h[XS_HDR_OFF_INDEX] = (uint8_t)info->index;
	h[XS_HDR_OFF_CHECK] = (uint8_t)info->check;
	put_le32(h + XS_HDR_OFF_SECRETLEN, info->secret_len);
	put_le64(h + XS_HDR_OFF_SPLITID, info->split_id);
	put_le32(h + XS_HDR_OFF_CRC, xs_crc32c(0, h, XS_HDR_OFF_CRC));
}

static bool zero(const uint8_t *p, size_t len)
{
	while (len--) {
		if (*p++)
			return false;
	}
	return true;
}

int xs_share_parse(const void *share, size_t len, struct xs_share_info *info)
{
	const uint8_t *h = share;

	if (!share || !info)
		return -EINVAL;
	if (len < XS_HDR_SIZE || memcmp(h, XS_MAGIC, 4) ||
	    get_le32(h + XS_HDR_OFF_CRC) != xs_crc32c(0, h, XS_HDR_OFF_CRC))
		return -EBADMSG;
	info->version = h[XS_HDR_OFF_VERSION];
	info->k = h[XS_HDR_OFF_K];
	info->n = h[XS_HDR_OFF_N];
	info->index = h[XS_HDR_OFF_INDEX];
	info->check = (enum xs_check)h[XS_HDR_OFF_CHECK];
	info->secret_len = get_le32(h + XS_HDR_OFF_SECRETLEN);
	info->split_id = get_le64(h + XS_HDR_OFF_SPLITID);
	if (info->version != XS_VERSION || info->k < XS_MIN_K ||
	    info->k > info->n || info->n > XS_MAX_N || info->index >= info->n ||
	    (info->check != XS_CHECK_CRC4 && info->check != XS_CHECK_SHA256) ||
	    !zero(h + 9, 3) || !zero(h + 24, 4))
		return -EBADMSG;
	if (len != xs_share_size(info->n, info->secret_len))
		return -EBADMSG;
	return 0;
}
