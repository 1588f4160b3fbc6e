// SPDX-License-Identifier: GPL-2.0-or-later
/* Share-log records: sealing and checking one record in memory. */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/crc32c.h"
#include "sharelog.h"

void sl_record_encode(void *out, const struct sl_rec_hdr *h, const void *data)
{
	struct sl_rec_hdr r;
	uint64_t dlen = h->type == SL_REC_WRITE
				? (uint64_t)h->nblocks * h->block_size
				: 0;

	memset(&r, 0, sizeof(r));
	r.magic = htole32(SL_REC_MAGIC);
	r.version = htole16(SL_VERSION);
	r.type = h->type;
	r.nblocks = htole32(h->nblocks);
	r.rec_len = htole32((uint32_t)(SL_REC_HDR_SIZE + dlen));
	r.seq = htole64(h->seq);
	r.time_ns = htole64(h->time_ns);
	r.lba = htole64(h->lba);
	r.first_gen = htole64(h->type == SL_REC_WRITE ? h->first_gen : 0);
	r.data_crc = htole32(dlen ? crc32c(0, data, dlen) : 0);
	r.block_size = htole32(h->block_size);
	r.hdr_crc =
		htole32(crc32c(0, &r, offsetof(struct sl_rec_hdr, hdr_crc)));
	memcpy(out, &r, sizeof(r));
}

void sl_record_decode(const void *rec, struct sl_rec_hdr *out)
{
	memcpy(out, rec, sizeof(*out));
	out->magic = le32toh(out->magic);
	out->version = le16toh(out->version);
	out->nblocks = le32toh(out->nblocks);
	out->rec_len = le32toh(out->rec_len);
	out->seq = le64toh(out->seq);
	out->time_ns = le64toh(out->time_ns);
	out->lba = le64toh(out->lba);
	out->first_gen = le64toh(out->first_gen);
	out->data_crc = le32toh(out->data_crc);
	out->block_size = le32toh(out->block_size);
	out->reserved = le32toh(out->reserved);
	out->hdr_crc = le32toh(out->hdr_crc);
}

static bool pow2_block(uint32_t bs)
{
	return bs >= 512 && bs <= 65536 && !(bs & (bs - 1));
}

int sl_record_check_hdr(const void *rec, size_t avail, struct sl_rec_hdr *h)
{
	if (avail < SL_REC_HDR_SIZE)
		return -EBADMSG;
	sl_record_decode(rec, h);
	if (h->magic != SL_REC_MAGIC ||
	    h->hdr_crc != crc32c(0, rec, offsetof(struct sl_rec_hdr, hdr_crc)))
		return -EBADMSG;
	if (h->version != SL_VERSION || h->flags || h->reserved ||
	    !pow2_block(h->block_size) || !h->nblocks || !h->seq ||
	    (h->type != SL_REC_WRITE && h->type != SL_REC_UNMAP &&
	     h->type != SL_REC_GROW))
		return -EINVAL;
	if (h->lba + h->nblocks < h->lba)
		return -EINVAL;
	if (h->type == SL_REC_WRITE && !h->first_gen)
		return -EINVAL;
	if (h->type != SL_REC_WRITE && (h->first_gen || h->data_crc))
		return -EINVAL;
	if (h->rec_len != sl_record_size(h->type, h->nblocks, h->block_size))
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
	if (h.type == SL_REC_WRITE &&
	    h.data_crc !=
		    crc32c(0, sl_record_data(rec), h.rec_len - SL_REC_HDR_SIZE))
		return -EBADMSG;
	return 0;
}
