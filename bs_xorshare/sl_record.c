// SPDX-License-Identifier: GPL-2.0-or-later
/* Share-log records: building, sealing and checking one record in memory. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "sharelog.h"
#include "sharelog_priv.h"
#include "../usr/core/crc32c.h"

uint32_t sl_record_size(unsigned n, uint32_t share_len)
{
	uint64_t len = SL_REC_HDR_SIZE + (uint64_t)n * share_len;

	len = (len + SL_REC_ALIGN - 1) & ~(uint64_t)(SL_REC_ALIGN - 1);
	return len > UINT32_MAX ? 0 : (uint32_t)len;
}

void sl_record_init(void *rec, enum sl_rec_type type, uint8_t k, uint8_t n,
		    uint64_t offset, uint64_t length, uint32_t share_len)
{
	struct sl_rec_hdr h;
	unsigned nsh = type == SL_REC_WRITE ? n : 0;
	uint32_t rec_len = sl_record_size(nsh, share_len);

	memset(&h, 0, sizeof(h));
	h.magic = htole32(SL_REC_MAGIC);
	h.version = htole16(SL_VERSION);
	h.type = (uint8_t)type;
	h.k = k;
	h.n = n;
	h.hdr_len = htole16(SL_REC_HDR_SIZE);
	h.rec_len = htole32(rec_len);
	h.offset = htole64(offset);
	h.length = htole64(length);
	h.share_len = htole32(nsh ? share_len : 0);
	memcpy(rec, &h, sizeof(h));
	/* Padding is part of no CRC, but keep files free of stale memory. */
	memset((uint8_t *)rec + SL_REC_HDR_SIZE + (size_t)nsh * share_len, 0,
	       rec_len - SL_REC_HDR_SIZE - (size_t)nsh * share_len);
}

static unsigned rec_nr_shares(const struct sl_rec_hdr *h)
{
	return h->type == SL_REC_WRITE ? h->n : 0;
}

void sl_record_seal(void *rec, uint64_t seq, uint64_t time_ns)
{
	struct sl_rec_hdr h;
	uint32_t share_len;

	memcpy(&h, rec, sizeof(h));
	share_len = le32toh(h.share_len);
	h.seq = htole64(seq);
	h.time_ns = htole64(time_ns);
	h.payload_crc = htole32(crc32c(0, (uint8_t *)rec + SL_REC_HDR_SIZE,
				       (size_t)rec_nr_shares(&h) * share_len));
	h.hdr_crc =
		htole32(crc32c(0, &h, offsetof(struct sl_rec_hdr, hdr_crc)));
	memcpy(rec, &h, sizeof(h));
}

void sl_record_decode(const void *rec, struct sl_rec_hdr *out)
{
	memcpy(out, rec, sizeof(*out));
	out->magic = le32toh(out->magic);
	out->version = le16toh(out->version);
	out->hdr_len = le16toh(out->hdr_len);
	out->rec_len = le32toh(out->rec_len);
	out->seq = le64toh(out->seq);
	out->time_ns = le64toh(out->time_ns);
	out->offset = le64toh(out->offset);
	out->length = le64toh(out->length);
	out->share_len = le32toh(out->share_len);
	out->payload_crc = le32toh(out->payload_crc);
	out->hdr_crc = le32toh(out->hdr_crc);
}

int sl_record_check_hdr(const void *rec, size_t avail, struct sl_rec_hdr *h)
{
	uint64_t need;

	if (avail < SL_REC_HDR_SIZE)
		return -EBADMSG;
	sl_record_decode(rec, h);
	if (h->magic != SL_REC_MAGIC ||
	    h->hdr_crc != crc32c(0, rec, offsetof(struct sl_rec_hdr, hdr_crc)))
		return -EBADMSG;
	if (h->version != SL_VERSION || h->hdr_len != SL_REC_HDR_SIZE ||
	    h->n == 0 || h->n > SL_MAX_N || h->k == 0 || h->k > h->n ||
	    (h->type != SL_REC_WRITE && h->type != SL_REC_UNMAP))
		return -EINVAL;
	need = SL_REC_HDR_SIZE + (uint64_t)rec_nr_shares(h) * h->share_len;
	if (h->rec_len < need || h->rec_len % SL_REC_ALIGN ||
	    h->rec_len - need >= SL_REC_ALIGN)
		return -EINVAL;
	if (h->type == SL_REC_WRITE && (h->share_len == 0 || h->length == 0))
		return -EINVAL;
	if (h->rec_len > avail)
		return -EBADMSG;
	return 0;
}

int sl_record_check(const void *rec, size_t avail)
{
	struct sl_rec_hdr h;
	int ret = sl_record_check_hdr(rec, avail, &h);

	if (ret)
		return ret;
	if (h.payload_crc != crc32c(0, (const uint8_t *)rec + SL_REC_HDR_SIZE,
				    (size_t)rec_nr_shares(&h) * h.share_len))
		return -EBADMSG;
	return 0;
}
