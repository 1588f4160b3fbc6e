// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Journal records: one log record's shares for one peer. A record is
 * accepted only if it is exactly the record expected at its ring position:
 * right position, volume, index, chain, lengths and checksums.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "sv.h"
#include "sv_priv.h"
#include "core/crc32c.h"

uint32_t sv_rec_size(const struct sv_info *info, unsigned nent, unsigned nzero)
{
	uint64_t len;

	if (nent > SV_MAX_ENTRIES || nzero > nent)
		return 0;
	len = SV_REC_HDR_SIZE + (uint64_t)nent * SV_ENT_SIZE +
	      (uint64_t)(nent - nzero) * info->share_size;
	len = sv_roundup(len, info->align);
	return len > SV_MAX_REC_LEN ? 0 : (uint32_t)len;
}

int sv_rec_encode(const struct sv_info *info, void *buf, size_t cap,
		  unsigned type, uint64_t pos, uint64_t seq, uint64_t prev_seq,
		  uint64_t time_ns, const struct sv_share_ent *ents,
		  unsigned nent)
{
	uint8_t *p = buf, *sh;
	struct sv_rec_disk d;
	unsigned j, nzero = 0;
	uint32_t len, crc;

	for (j = 0; j < nent; j++)
		nzero += !ents[j].share;
	len = sv_rec_size(info, nent, nzero);
	if (!len || cap < len || (type == SV_REC_WRAP && nent) ||
	    (type == SV_REC_SHARES && !nent) || pos % info->align ||
	    (type == SV_REC_GROW && (nent != 1 || nzero != 1)))
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.magic = htole32(SV_REC_MAGIC);
	d.version = htole16(SV_VERSION);
	d.type = (uint8_t)type;
	d.index = (uint8_t)info->index;
	d.rec_len = htole32(len);
	d.nent = htole32(nent);
	d.pos = htole64(pos);
	d.seq = htole64(seq);
	d.prev_seq = htole64(prev_seq);
	d.time_ns = htole64(time_ns);
	memcpy(d.uuid8, info->uuid, 8);
	sh = p + SV_REC_HDR_SIZE + (size_t)nent * SV_ENT_SIZE;
	for (j = 0; j < nent; j++) {
		struct sv_ent_disk e;

		memset(&e, 0, sizeof(e));
		e.lba = htole64(ents[j].lba);
		e.gen = htole64(ents[j].share ? ents[j].gen : 0);
		e.flags = htole16(
			ents[j].share || type == SV_REC_GROW ? 0 : SV_EF_ZERO);
		if (ents[j].share) {
			memcpy(sh, ents[j].share, info->share_size);
			e.crc = htole32(crc32c(0, sh, info->share_size));
			sh += info->share_size;
		}
		memcpy(p + SV_REC_HDR_SIZE + (size_t)j * SV_ENT_SIZE, &e,
		       sizeof(e));
	}
	memset(sh, 0, len - (size_t)(sh - p));
	crc = crc32c(0, &d, offsetof(struct sv_rec_disk, hdr_crc));
	crc = crc32c(crc, p + SV_REC_HDR_SIZE, (size_t)nent * SV_ENT_SIZE);
	d.hdr_crc = htole32(crc);
	memcpy(p, &d, sizeof(d));
	return 0;
}

uint32_t sv_rec_meta_len(const struct sv_info *info, const void *first,
			 size_t len)
{
	struct sv_rec_disk d;
	uint32_t nent;

	if (len < sizeof(d))
		return 0;
	memcpy(&d, first, sizeof(d));
	nent = le32toh(d.nent);
	if (le32toh(d.magic) != SV_REC_MAGIC || nent > SV_MAX_ENTRIES)
		return 0;
	return (uint32_t)sv_roundup(
		SV_REC_HDR_SIZE + (uint64_t)nent * SV_ENT_SIZE, info->align);
}

/* The one entry of a GROW record: the size from its seq on. */
static int grow_decode(const struct sv_info *info, const uint8_t *p,
		       struct sv_rec *r, uint64_t pos, struct sv_status *st)
{
	struct sv_ent_disk e;

	memcpy(&e, p + SV_REC_HDR_SIZE, sizeof(e));
	if (r->nent != 1 || r->seq <= r->prev_seq || e.gen || e.flags ||
	    e.reserved || e.crc || !le64toh(e.lba) ||
	    le64toh(e.lba) > info->nblocks ||
	    r->rec_len !=
		    sv_roundup(SV_REC_HDR_SIZE + SV_ENT_SIZE, info->align))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "grow record at %" PRIu64 ": bad fields (size "
			       "%" PRIu64 " blocks, volume %" PRIu64 ")",
			       pos, (uint64_t)le64toh(e.lba), info->nblocks);
	r->grow_nblocks = le64toh(e.lba);
	return 0;
}

int sv_rec_decode(const struct sv_info *info, const void *buf, size_t len,
		  uint64_t pos, struct sv_rec *r, struct sv_status *st)
{
	const uint8_t *p = buf;
	struct sv_rec_disk d;
	unsigned j, nzero = 0;
	uint64_t meta;
	uint32_t crc;

	if (len < sizeof(d))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "record at %" PRIu64 ": short", pos);
	memcpy(&d, p, sizeof(d));
	if (le32toh(d.magic) != SV_REC_MAGIC)
		return sv_fail(st, SV_E_MAGIC, -EBADMSG,
			       "record at %" PRIu64 ": no record magic", pos);
	r->type = d.type;
	r->index = d.index;
	r->rec_len = le32toh(d.rec_len);
	r->nent = le32toh(d.nent);
	r->pos = le64toh(d.pos);
	r->seq = le64toh(d.seq);
	r->prev_seq = le64toh(d.prev_seq);
	r->time_ns = le64toh(d.time_ns);
	r->grow_nblocks = 0;
	meta = SV_REC_HDR_SIZE + (uint64_t)r->nent * SV_ENT_SIZE;
	if (r->nent > SV_MAX_ENTRIES || meta > len)
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "record at %" PRIu64 ": %u entries in %zu bytes",
			       pos, r->nent, len);
	crc = crc32c(0, &d, offsetof(struct sv_rec_disk, hdr_crc));
	crc = crc32c(crc, p + SV_REC_HDR_SIZE, (size_t)r->nent * SV_ENT_SIZE);
	if (le32toh(d.hdr_crc) != crc)
		return sv_fail(st, SV_E_CRC, -EBADMSG,
			       "record at %" PRIu64 ": CRC mismatch", pos);
	if (le16toh(d.version) != SV_VERSION)
		return sv_fail(st, SV_E_VERSION, -EBADMSG,
			       "record at %" PRIu64 ": version %u", pos,
			       le16toh(d.version));
	if (memcmp(d.uuid8, info->uuid, 8))
		return sv_fail(st, SV_E_FOREIGN, -ESTALE,
			       "record at %" PRIu64 ": of another volume", pos);
	if (r->index != info->index)
		return sv_fail(st, SV_E_INDEX, -ESTALE,
			       "record at %" PRIu64 ": of share index %u", pos,
			       r->index);
	if (r->pos != pos)
		return sv_fail(st, SV_E_STALE, -EBADMSG,
			       "record at %" PRIu64 ": says position %" PRIu64
			       " (earlier lap)",
			       pos, r->pos);
	if (r->rec_len < meta || r->rec_len % info->align ||
	    r->rec_len > sv_ring_room(info, pos) || d.reserved)
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "record at %" PRIu64 ": length %u", pos,
			       r->rec_len);
	if (r->type == SV_REC_WRAP) {
		if (r->nent || r->rec_len != info->align ||
		    r->seq != r->prev_seq)
			return sv_fail(st, SV_E_FIELD, -EBADMSG,
				       "wrap record at %" PRIu64 ": bad fields",
				       pos);
		return 0;
	}
	if (r->type == SV_REC_GROW)
		return grow_decode(info, p, r, pos, st);
	if (r->type != SV_REC_SHARES || !r->nent || r->seq <= r->prev_seq)
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "record at %" PRIu64 ": type %u seq %" PRIu64
			       " after %" PRIu64,
			       pos, r->type, r->seq, r->prev_seq);
	for (j = 0; j < r->nent; j++) {
		struct sv_ent_disk e;
		unsigned flags;

		memcpy(&e, p + SV_REC_HDR_SIZE + (size_t)j * SV_ENT_SIZE,
		       sizeof(e));
		flags = le16toh(e.flags);
		if (le64toh(e.lba) >= info->nblocks || (flags & ~SV_EF_ZERO) ||
		    e.reserved || ((flags & SV_EF_ZERO) && (e.crc || e.gen)))
			return sv_fail(st, SV_E_FIELD, -EBADMSG,
				       "record seq %" PRIu64
				       ": entry %u block %" PRIu64 " flags %#x",
				       r->seq, j, (uint64_t)le64toh(e.lba),
				       flags);
		nzero += !!(flags & SV_EF_ZERO);
	}
	if (r->rec_len != sv_rec_size(info, r->nent, nzero))
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "record seq %" PRIu64 ": length %u for %u "
			       "entries",
			       r->seq, r->rec_len, r->nent);
	return 0;
}

void sv_rec_entry(const struct sv_info *info, const void *buf,
		  const struct sv_rec *rec, unsigned j, uint32_t *next_share,
		  struct sv_ent *ent)
{
	struct sv_ent_disk e;

	if (!j)
		*next_share = SV_REC_HDR_SIZE + rec->nent * SV_ENT_SIZE;
	memcpy(&e,
	       (const uint8_t *)buf + SV_REC_HDR_SIZE + (size_t)j * SV_ENT_SIZE,
	       sizeof(e));
	ent->lba = le64toh(e.lba);
	ent->gen = le64toh(e.gen);
	ent->flags = le16toh(e.flags);
	ent->crc = le32toh(e.crc);
	ent->share_off = 0;
	/* Shares follow in entry order; zero blocks have none. */
	if (!(ent->flags & SV_EF_ZERO)) {
		ent->share_off = *next_share;
		*next_share += info->share_size;
	}
}

int sv_rec_check_shares(const struct sv_info *info, const void *buf,
			const struct sv_rec *rec, struct sv_status *st)
{
	const uint8_t *p = buf;
	struct sv_ent e;
	uint32_t next = 0;
	unsigned j;
	int ret;

	if (rec->type != SV_REC_SHARES)
		return 0;
	for (j = 0; j < rec->nent; j++) {
		sv_rec_entry(info, buf, rec, j, &next, &e);
		if (e.flags & SV_EF_ZERO)
			continue;
		if (crc32c(0, p + e.share_off, info->share_size) != e.crc)
			return sv_fail(st, SV_E_CRC, -EBADMSG,
				       "record seq %" PRIu64
				       ": share of block %" PRIu64
				       " CRC mismatch",
				       rec->seq, e.lba);
		ret = sv_share_check(info, p + e.share_off, e.gen, st);
		if (ret)
			return ret;
	}
	return 0;
}
