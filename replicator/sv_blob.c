// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opaque blobs in the header area (the volume key's share, the signed
 * share-location table): length-prefixed, checksummed, two copies each.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "sv.h"
#include "core/crc32c.h"

int sv_blob_encode(const struct sv_info *info, void *buf, size_t cap,
		   unsigned type, uint64_t gen, const void *data, uint32_t len)
{
	struct sv_blob_disk d;

	if (type < 1 || type > SV_BLOB_TYPES || len > SV_BLOB_MAX ||
	    cap < SV_BLOB_HDR_SIZE + (size_t)len)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.magic = htole32(SV_BLOB_MAGIC);
	d.version = htole16(SV_VERSION);
	d.type = (uint8_t)type;
	d.index = (uint8_t)info->index;
	d.gen = htole64(gen);
	memcpy(d.uuid, info->uuid, 16);
	d.len = htole32(len);
	d.payload_crc = htole32(crc32c(0, data, len));
	d.hdr_crc =
		htole32(crc32c(0, &d, offsetof(struct sv_blob_disk, hdr_crc)));
	memcpy(buf, &d, sizeof(d));
	if (len)
		memcpy((uint8_t *)buf + SV_BLOB_HDR_SIZE, data, len);
	memset((uint8_t *)buf + SV_BLOB_HDR_SIZE + len, 0,
	       cap - SV_BLOB_HDR_SIZE - len);
	return 0;
}

int sv_blob_decode(const struct sv_info *info, const void *buf, size_t len,
		   unsigned type, struct sv_blob *out, struct sv_status *st)
{
	struct sv_blob_disk d;
	uint32_t plen;

	if (len < sizeof(d))
		return sv_fail(st, SV_E_FIELD, -EBADMSG, "blob %u: short",
			       type);
	memcpy(&d, buf, sizeof(d));
	if (le32toh(d.magic) != SV_BLOB_MAGIC)
		return sv_fail(st, SV_E_MAGIC, -ENOENT, "blob %u: none", type);
	if (le32toh(d.hdr_crc) !=
	    crc32c(0, &d, offsetof(struct sv_blob_disk, hdr_crc)))
		return sv_fail(st, SV_E_CRC, -EBADMSG,
			       "blob %u: header CRC mismatch", type);
	if (le16toh(d.version) != SV_VERSION)
		return sv_fail(st, SV_E_VERSION, -EBADMSG,
			       "blob %u: version %u", type, le16toh(d.version));
	if (memcmp(d.uuid, info->uuid, 16))
		return sv_fail(st, SV_E_FOREIGN, -ESTALE,
			       "blob %u: of another volume", type);
	if (d.index != info->index)
		return sv_fail(st, SV_E_INDEX, -ESTALE,
			       "blob %u: of share index %u, not %u", type,
			       d.index, info->index);
	plen = le32toh(d.len);
	if (d.type != type || plen > SV_BLOB_MAX ||
	    plen > len - SV_BLOB_HDR_SIZE)
		return sv_fail(st, SV_E_FIELD, -EBADMSG,
			       "blob %u: type %u length %u", type, d.type,
			       plen);
	if (le32toh(d.payload_crc) !=
	    crc32c(0, (const uint8_t *)buf + SV_BLOB_HDR_SIZE, plen))
		return sv_fail(st, SV_E_CRC, -EBADMSG,
			       "blob %u: payload CRC mismatch", type);
	out->gen = le64toh(d.gen);
	out->len = plen;
	out->data = (const uint8_t *)buf + SV_BLOB_HDR_SIZE;
	return 0;
}
