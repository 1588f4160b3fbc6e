// SPDX-License-Identifier: GPL-2.0-or-later
/* Data-area slots: the checkpointed share of one volume block. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "sv.h"
#include "core/crc32c.h"

void sv_slot_encode(const struct sv_info *info, void *buf, uint64_t lba,
		    uint64_t gen, uint64_t seq, const uint8_t *share)
{
	struct sv_slot_disk d;
	uint8_t *p = buf;
	uint32_t crc;

	memset(&d, 0, sizeof(d));
	d.magic = htole32(SV_SLOT_MAGIC);
	d.version = SV_VERSION;
	d.flags = share ? 0 : SV_EF_ZERO;
	d.index = (uint8_t)info->index;
	d.lba = htole64(lba);
	d.gen = htole64(share ? gen : 0);
	d.seq = htole64(seq);
	memcpy(d.uuid8, info->uuid, 8);
	memset(p, 0, info->slot_size);
	if (share)
		memcpy(p + SV_SLOT_HDR_SIZE, share, info->share_size);
	crc = crc32c(0, &d, offsetof(struct sv_slot_disk, crc));
	if (share)
		crc = crc32c(crc, share, info->share_size);
	d.crc = htole32(crc);
	memcpy(p, &d, sizeof(d));
}

int sv_slot_decode(const struct sv_info *info, const void *buf, uint64_t lba,
		   struct sv_slot *out, struct sv_status *st)
{
	static const uint8_t zero[SV_SLOT_HDR_SIZE];
	const uint8_t *p = buf;
	struct sv_slot_disk d;
	uint32_t crc;

	memset(out, 0, sizeof(*out));
	if (!memcmp(p, zero, sizeof(zero))) {
		out->kind = SV_SLOT_EMPTY;
		return 0;
	}
	memcpy(&d, p, sizeof(d));
	if (le32toh(d.magic) != SV_SLOT_MAGIC)
		return sv_fail(st, SV_E_SLOT, -EBADMSG,
			       "slot of block %" PRIu64 ": no slot magic", lba);
	crc = crc32c(0, &d, offsetof(struct sv_slot_disk, crc));
	if (!(d.flags & SV_EF_ZERO))
		crc = crc32c(crc, p + SV_SLOT_HDR_SIZE, info->share_size);
	if (le32toh(d.crc) != crc)
		return sv_fail(st, SV_E_CRC, -EBADMSG,
			       "slot of block %" PRIu64 ": CRC mismatch", lba);
	if (d.version != SV_VERSION || (d.flags & ~SV_EF_ZERO))
		return sv_fail(st, SV_E_VERSION, -EBADMSG,
			       "slot of block %" PRIu64
			       ": version %u flags %#x",
			       lba, d.version, d.flags);
	if (memcmp(d.uuid8, info->uuid, 8))
		return sv_fail(st, SV_E_FOREIGN, -ESTALE,
			       "slot of block %" PRIu64 ": of another volume",
			       lba);
	if (d.index != info->index)
		return sv_fail(st, SV_E_INDEX, -ESTALE,
			       "slot of block %" PRIu64 ": share index %u", lba,
			       d.index);
	if (le64toh(d.lba) != lba)
		return sv_fail(st, SV_E_SLOT, -EBADMSG,
			       "slot of block %" PRIu64 " says block %" PRIu64,
			       lba, (uint64_t)le64toh(d.lba));
	out->kind = (d.flags & SV_EF_ZERO) ? SV_SLOT_ZERO : SV_SLOT_SHARE;
	out->gen = le64toh(d.gen);
	out->seq = le64toh(d.seq);
	/*
	 * Slots only ever hold versions up to apply_seq; a newer one means
	 * the slot was written by a later life of this volume (a stale copy
	 * of the superblock), so neither can be trusted.
	 */
	if (out->seq > info->apply_seq)
		return sv_fail(st, SV_E_STALE, -ESTALE,
			       "slot of block %" PRIu64 ": seq %" PRIu64
			       " newer than apply %" PRIu64,
			       lba, out->seq, info->apply_seq);
	if (out->kind == SV_SLOT_SHARE)
		return sv_share_check(info, p + SV_SLOT_HDR_SIZE, out->gen, st);
	return 0;
}
