// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/crc32c.h"
#include "slt.h"

#define FAIL(msg)                                                              \
	do {                                                                   \
		if (why)                                                       \
			*why = (msg);                                          \
		return -EBADMSG;                                               \
	} while (0)

/* visible ASCII, no space: the strings end up in logs and URLs */
static bool slt_str_ok(const char *s, size_t len, bool name)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return false;
		if (name && !(c == '-' || c == '_' || c == '.' || c == ':' ||
			      (c >= '0' && c <= '9') ||
			      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* The rules a table's fields obey, for the encoder and the decoder alike. */
static const char *slt_fields_bad(const struct slt *t, size_t name_len)
{
	if (!t->version)
		return "version 0";
	if (t->n < 1 || t->n > SLT_MAX_N)
		return "n out of range";
	if (t->k < 1 || t->k > t->n)
		return "k out of range";
	if (t->block_size < SLT_MIN_BLOCK || t->block_size > SLT_MAX_BLOCK ||
	    (t->block_size & (t->block_size - 1)))
		return "block size";
	if (!t->size || t->size % t->block_size)
		return "volume size";
	if (name_len < 1 || name_len > SLT_MAX_NAME ||
	    !slt_str_ok(t->name, name_len, true))
		return "volume name";
	return NULL;
}

static const char *slt_share_bad(const struct slt_share *s, size_t plen,
				 size_t ilen)
{
	if (s->transport > SLT_TRANSPORT_MAX)
		return "share transport";
	if (s->lun > SLT_MAX_LUN)
		return "share LUN";
	if (plen < 1 || plen > SLT_MAX_PORTAL ||
	    !slt_str_ok(s->portal, plen, false))
		return "share portal";
	if (ilen < 1 || ilen > SLT_MAX_IQN || !slt_str_ok(s->iqn, ilen, false))
		return "share IQN";
	return NULL;
}

int slt_encode_sign(const struct slt *t, const struct nodekey *key,
		    uint8_t *out, size_t cap, size_t *len, const char **why)
{
	struct slt_hdr h;
	size_t off, nlen = strnlen(t->name, SLT_MAX_NAME + 1);
	const char *bad = slt_fields_bad(t, nlen);
	int ret;

	if (bad) {
		if (why)
			*why = bad;
		return -EINVAL;
	}
	off = SLT_HDR_SIZE + nlen;
	if (off > cap)
		return -ENOSPC;
	memcpy(out + SLT_HDR_SIZE, t->name, nlen);
	for (unsigned i = 0; i < t->n; i++) {
		const struct slt_share *s = &t->shares[i];
		size_t pl = strnlen(s->portal, SLT_MAX_PORTAL + 1);
		size_t il = strnlen(s->iqn, SLT_MAX_IQN + 1);
		struct slt_share_hdr sh;

		bad = slt_share_bad(s, pl, il);
		if (bad) {
			if (why)
				*why = bad;
			return -EINVAL;
		}
		if (off + SLT_SHARE_HDR_SIZE + pl + il > cap)
			return -ENOSPC;
		memset(&sh, 0, sizeof(sh));
		sh.index = (uint8_t)i;
		sh.transport = s->transport;
		sh.portal_len = (uint8_t)pl;
		sh.iqn_len = (uint8_t)il;
		sh.lun = htole16(s->lun);
		memcpy(sh.partner_id, s->partner_id, SLT_ID_SIZE);
		memcpy(out + off, &sh, sizeof(sh));
		off += sizeof(sh);
		memcpy(out + off, s->portal, pl);
		off += pl;
		memcpy(out + off, s->iqn, il);
		off += il;
	}
	if (off + SLT_SIG_SIZE > cap)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.magic = htole32(SLT_MAGIC);
	h.version = htole16(SLT_VERSION);
	h.total_len = htole32((uint32_t)(off + SLT_SIG_SIZE));
	h.table_version = htole64(t->version);
	memcpy(h.uuid, t->uuid, SLT_UUID_SIZE);
	memcpy(h.owner_pub, key->pub, SLT_PUB_SIZE);
	h.size = htole64(t->size);
	h.block_size = htole32(t->block_size);
	h.k = t->k;
	h.n = t->n;
	h.name_len = (uint8_t)nlen;
	h.signed_at_ms = htole64(t->signed_at_ms);
	memcpy(out, &h, sizeof(h));
	ret = nodekey_sign(key, out + 16, off - 16, out + off);
	if (ret)
		return ret;
	off += SLT_SIG_SIZE;
	h.crc = htole32(crc32c(0, out + 16, off - 16));
	memcpy(out, &h, sizeof(h));
	*len = off;
	return 0;
}

int slt_decode(const uint8_t *buf, size_t len, struct slt *t, const char **why)
{
	struct slt_hdr h;
	size_t off, total;
	const char *bad;

	if (len < SLT_HDR_SIZE + SLT_SIG_SIZE)
		FAIL("table truncated");
	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != SLT_MAGIC)
		FAIL("not a share-location table (magic)");
	if (le16toh(h.version) != SLT_VERSION)
		FAIL("unknown table format version");
	if (h.flags || h.reserved0)
		FAIL("reserved header bytes set");
	total = le32toh(h.total_len);
	if (total != len || total > SLT_MAX_SIZE)
		FAIL("table length");
	if (le32toh(h.crc) != crc32c(0, buf + 16, total - 16))
		FAIL("table CRC");
	memset(t, 0, sizeof(*t));
	t->version = le64toh(h.table_version);
	memcpy(t->uuid, h.uuid, SLT_UUID_SIZE);
	memcpy(t->owner_pub, h.owner_pub, SLT_PUB_SIZE);
	t->size = le64toh(h.size);
	t->block_size = le32toh(h.block_size);
	t->k = h.k;
	t->n = h.n;
	t->signed_at_ms = le64toh(h.signed_at_ms);
	off = SLT_HDR_SIZE;
	if (h.name_len > SLT_MAX_NAME ||
	    off + h.name_len > total - SLT_SIG_SIZE)
		FAIL("volume name length");
	memcpy(t->name, buf + off, h.name_len);
	off += h.name_len;
	bad = slt_fields_bad(t, h.name_len);
	if (bad)
		FAIL(bad);
	for (unsigned i = 0; i < t->n; i++) {
		struct slt_share *s = &t->shares[i];
		struct slt_share_hdr sh;

		if (off + SLT_SHARE_HDR_SIZE > total - SLT_SIG_SIZE)
			FAIL("share entry truncated");
		memcpy(&sh, buf + off, sizeof(sh));
		off += sizeof(sh);
		if (sh.index != i)
			FAIL("share index out of order");
		if (sh.reserved0 || sh.reserved1)
			FAIL("reserved share bytes set");
		if (sh.portal_len > SLT_MAX_PORTAL ||
		    sh.iqn_len > SLT_MAX_IQN ||
		    off + sh.portal_len + sh.iqn_len > total - SLT_SIG_SIZE)
			FAIL("share string length");
		s->transport = sh.transport;
		s->lun = le16toh(sh.lun);
		memcpy(s->partner_id, sh.partner_id, SLT_ID_SIZE);
		memcpy(s->portal, buf + off, sh.portal_len);
		off += sh.portal_len;
		memcpy(s->iqn, buf + off, sh.iqn_len);
		off += sh.iqn_len;
		bad = slt_share_bad(s, sh.portal_len, sh.iqn_len);
		if (bad)
			FAIL(bad);
	}
	if (off != total - SLT_SIG_SIZE)
		FAIL("trailing bytes before the signature");
	nodekey_id_of(t->owner_pub, t->owner_id);
	return 0;
}

int slt_verify(const uint8_t *buf, size_t len)
{
	if (len < SLT_HDR_SIZE + SLT_SIG_SIZE)
		return -EKEYREJECTED;
	if (!nodekey_verify(buf + offsetof(struct slt_hdr, owner_pub), buf + 16,
			    len - 16 - SLT_SIG_SIZE, buf + len - SLT_SIG_SIZE))
		return -EKEYREJECTED;
	return 0;
}

int slt_parse(const uint8_t *buf, size_t len, struct slt *t, const char **why)
{
	int ret = slt_decode(buf, len, t, why);

	if (ret)
		return ret;
	ret = slt_verify(buf, len);
	if (ret && why)
		*why = "owner signature does not verify";
	return ret;
}

uint64_t slt_peek_version(const uint8_t *buf)
{
	uint64_t v;

	memcpy(&v, buf + offsetof(struct slt_hdr, table_version), sizeof(v));
	return le64toh(v);
}

const uint8_t *slt_peek_uuid(const uint8_t *buf)
{
	return buf + offsetof(struct slt_hdr, uuid);
}

int slt_blob_wrap(const uint8_t *tbl, size_t tlen, uint8_t *out, size_t cap,
		  size_t *len)
{
	struct slt_blob_hdr h;
	uint32_t crc;

	if (tlen > SLT_MAX_SIZE)
		return -EINVAL;
	if (cap < SLT_BLOB_HDR_SIZE + tlen)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.magic = htole32(SLT_BLOB_MAGIC);
	h.version = htole16(SLT_BLOB_VERSION);
	h.len = htole32((uint32_t)tlen);
	crc = crc32c(0, &h, offsetof(struct slt_blob_hdr, crc));
	h.crc = htole32(crc32c(crc, tbl, tlen));
	memcpy(out, &h, sizeof(h));
	memmove(out + SLT_BLOB_HDR_SIZE, tbl, tlen);
	*len = SLT_BLOB_HDR_SIZE + tlen;
	return 0;
}

int slt_blob_unwrap(const uint8_t *blob, size_t len, const uint8_t **tbl,
		    size_t *tlen)
{
	struct slt_blob_hdr h;
	uint32_t crc, tl;

	if (len < SLT_BLOB_HDR_SIZE)
		return -EBADMSG;
	memcpy(&h, blob, sizeof(h));
	tl = le32toh(h.len);
	if (le32toh(h.magic) != SLT_BLOB_MAGIC ||
	    le16toh(h.version) != SLT_BLOB_VERSION || h.flags ||
	    tl > SLT_MAX_SIZE || tl > len - SLT_BLOB_HDR_SIZE)
		return -EBADMSG;
	crc = crc32c(0, &h, offsetof(struct slt_blob_hdr, crc));
	if (le32toh(h.crc) != crc32c(crc, blob + SLT_BLOB_HDR_SIZE, tl))
		return -EBADMSG;
	*tbl = blob + SLT_BLOB_HDR_SIZE;
	*tlen = tl;
	return 0;
}

const char *slt_transport_name(uint8_t transport)
{
	switch (transport) {
	case SLT_TRANSPORT_TLS:
		return "tls";
	case SLT_TRANSPORT_IPSEC:
		return "ipsec";
	case SLT_TRANSPORT_PLAIN:
		return "plain";
	}
	return "?";
}

void slt_uuid_str(const uint8_t u[SLT_UUID_SIZE], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

int slt_uuid_parse(const char *s, uint8_t uuid[SLT_UUID_SIZE])
{
	char hex[33];
	size_t j = 0;

	for (size_t i = 0; s[i]; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (s[i] == '-' && dash && strlen(s) == 36)
			continue;
		if (j >= 32)
			return -EINVAL;
		hex[j++] = s[i];
	}
	hex[j] = 0;
	return hex_decode(hex, uuid, SLT_UUID_SIZE);
}
