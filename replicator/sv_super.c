// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Superblock encode/decode and the choice between its two copies. Every
 * field is range-checked against the layout rules, because the layout
 * decides every offset the reader and the writer will touch.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "sv.h"
#include "sv_priv.h"
#include "core/crc32c.h"

void sv_super_encode(const struct sv_info *in, void *buf)
{
	struct sv_super_disk d;

	memset(&d, 0, sizeof(d));
	d.magic = htole64(SV_SUPER_MAGIC);
	d.version = htole16(SV_VERSION);
	d.hdr_len = htole16(SV_SUPER_SIZE);
	d.k = (uint8_t)in->k;
	d.n = (uint8_t)in->n;
	d.index = (uint8_t)in->index;
	d.flags = (uint8_t)in->flags;
	memcpy(d.uuid, in->uuid, 16);
	d.gen = htole64(in->gen);
	d.block_size = htole32(in->block_size);
	d.align = htole32(in->align);
	d.share_size = htole32(in->share_size);
	d.slot_size = htole32(in->slot_size);
	d.nblocks = htole64(in->nblocks);
	d.journal_off = htole64(in->journal_off);
	d.journal_len = htole64(in->journal_len);
	d.data_off = htole64(in->data_off);
	d.format_ns = htole64(in->format_ns);
	d.write_ns = htole64(in->write_ns);
	d.ckpt_seq = htole64(in->ckpt_seq);
	d.ckpt_ns = htole64(in->ckpt_ns);
	d.apply_seq = htole64(in->apply_seq);
	d.apply_ns = htole64(in->apply_ns);
	d.jtail_pos = htole64(in->jtail_pos);
	d.epoch = htole64(in->epoch);
	d.live_mask = htole32(in->live_mask);
	d.retain_s = htole32(in->retain_s);
	d.base_nblocks = htole64(in->base_nblocks);
	d.crc = htole32(crc32c(0, &d, offsetof(struct sv_super_disk, crc)));
	memcpy(buf, &d, sizeof(d));
}

static int is_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return 0;
	return 1;
}

int sv_super_decode(const void *buf, size_t len, uint64_t capacity,
		    struct sv_info *o, struct sv_status *st)
{
	struct sv_super_disk d;
	uint32_t share;
	uint64_t end;

	if (len < sizeof(d))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "superblock: %zu bytes", len);
	memcpy(&d, buf, sizeof(d));
	if (le64toh(d.magic) != SV_SUPER_MAGIC)
		return sv_fail(st, SV_E_MAGIC, -EBADMSG,
			       "superblock: no share-volume magic");
	if (le32toh(d.crc) !=
	    crc32c(0, &d, offsetof(struct sv_super_disk, crc)))
		return sv_fail(st, SV_E_CRC, -EBADMSG,
			       "superblock: CRC mismatch");
	if (le16toh(d.version) != SV_VERSION ||
	    le16toh(d.hdr_len) != SV_SUPER_SIZE)
		return sv_fail(st, SV_E_VERSION, -EBADMSG,
			       "superblock: version %u length %u",
			       le16toh(d.version), le16toh(d.hdr_len));
	memset(o, 0, sizeof(*o));
	memcpy(o->uuid, d.uuid, 16);
	o->k = d.k;
	o->n = d.n;
	o->index = d.index;
	o->flags = d.flags;
	o->gen = le64toh(d.gen);
	o->block_size = le32toh(d.block_size);
	o->align = le32toh(d.align);
	o->share_size = le32toh(d.share_size);
	o->slot_size = le32toh(d.slot_size);
	o->nblocks = le64toh(d.nblocks);
	o->journal_off = le64toh(d.journal_off);
	o->journal_len = le64toh(d.journal_len);
	o->data_off = le64toh(d.data_off);
	o->format_ns = le64toh(d.format_ns);
	o->write_ns = le64toh(d.write_ns);
	o->ckpt_seq = le64toh(d.ckpt_seq);
	o->ckpt_ns = le64toh(d.ckpt_ns);
	o->apply_seq = le64toh(d.apply_seq);
	o->apply_ns = le64toh(d.apply_ns);
	o->jtail_pos = le64toh(d.jtail_pos);
	o->epoch = le64toh(d.epoch);
	o->live_mask = le32toh(d.live_mask);
	o->retain_s = le32toh(d.retain_s);
	o->base_nblocks = le64toh(d.base_nblocks);

	if (o->k < 2 || o->n < o->k || o->n > SV_MAX_N || o->index >= o->n ||
	    (o->live_mask >> o->n) || (o->flags & ~(unsigned)SV_SF_RESYNC) ||
	    !o->gen || !is_zero(d.reserved, sizeof(d.reserved)))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "superblock: k=%u n=%u index=%u flags=%#x "
			       "live=%#x gen=%" PRIu64,
			       o->k, o->n, o->index, o->flags, o->live_mask,
			       o->gen);
	share = sv_codec_share_size(o->n, o->block_size);
	if ((o->block_size != 512 && o->block_size != 4096) ||
	    !sv_is_pow2(o->align) || o->align < 512 || o->align > 4096 ||
	    o->share_size != share ||
	    o->slot_size !=
		    sv_roundup(SV_SLOT_HDR_SIZE + (uint64_t)share, o->align))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "superblock: block %u align %u share %u slot %u",
			       o->block_size, o->align, o->share_size,
			       o->slot_size);
	if (!o->nblocks || o->nblocks > SV_MAX_NBLOCKS ||
	    o->base_nblocks > o->nblocks || o->journal_off != SV_JOURNAL_OFF ||
	    o->journal_len < SV_MIN_JOURNAL ||
	    o->journal_len > SV_MAX_JOURNAL || o->journal_len % o->align ||
	    o->data_off !=
		    sv_roundup(o->journal_off + o->journal_len, SV_DATA_ALIGN))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "superblock: layout blocks %" PRIu64
			       " journal %" PRIu64 "+%" PRIu64 " data %" PRIu64,
			       o->nblocks, o->journal_off, o->journal_len,
			       o->data_off);
	if (o->ckpt_seq > o->apply_seq || o->jtail_pos % o->align ||
	    o->jtail_pos > UINT64_MAX / 2)
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "superblock: ckpt %" PRIu64 " apply %" PRIu64
			       " tail %" PRIu64,
			       o->ckpt_seq, o->apply_seq, o->jtail_pos);
	end = sv_layout_end(o);
	if (capacity && end > capacity)
		return sv_fail(st, SV_E_SMALL, -EBADMSG,
			       "superblock: needs %" PRIu64
			       " bytes, LUN has %" PRIu64,
			       end, capacity);
	return 0;
}

int sv_super_pick(const void *c0, const void *c1, uint64_t capacity,
		  struct sv_info *info, int *which, struct sv_status *st)
{
	struct sv_info a, b;
	struct sv_status s0 = {0}, s1 = {0};
	int r0 = sv_super_decode(c0, SV_SUPER_SIZE, capacity, &a, &s0);
	int r1 = sv_super_decode(c1, SV_SUPER_SIZE, capacity, &b, &s1);

	if (r0 && r1) {
		/* Name the more telling of the two failures. */
		struct sv_status *w = s0.code == SV_E_MAGIC ? &s1 : &s0;

		return sv_fail(st, w->code, -EBADMSG,
			       "no valid superblock (copy 0: %s; copy 1: %s)",
			       s0.msg, s1.msg);
	}
	if (!r0 && !r1) {
		if (memcmp(a.uuid, b.uuid, 16) || a.index != b.index)
			return sv_fail(st, SV_E_FOREIGN, -EBADMSG,
				       "superblock copies of different "
				       "volumes or indexes");
		if (a.gen == b.gen)
			return sv_fail(
				st, SV_E_FIELD, -EBADMSG,
				"both superblock copies have gen %" PRIu64,
				a.gen);
	}
	if (!r0 && (r1 || a.gen > b.gen)) {
		*info = a;
		*which = 0;
	} else {
		*info = b;
		*which = 1;
	}
	if ((unsigned)*which != info->gen % 2)
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "superblock gen %" PRIu64 " in copy %d",
			       info->gen, *which);
	return 0;
}
