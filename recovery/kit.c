// SPDX-License-Identifier: GPL-2.0-or-later
/* The kit's plaintext payload: encode and strict decode. */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kit.h"

#define FAIL(msg)                                                              \
	do {                                                                   \
		if (why)                                                       \
			*why = (msg);                                          \
		return -EBADMSG;                                               \
	} while (0)

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

void kit_kdf_default(struct kit_kdf *kdf)
{
	kdf->log2_n = KIT_DEF_LOG2N;
	kdf->r = 8;
	kdf->p = 1;
}

void kit_wipe(struct kit *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static int put_str(uint8_t *out, size_t cap, size_t *off, const char *s,
		   size_t len)
{
	if (*off + len > cap)
		return -ENOSPC;
	memcpy(out + *off, s, len);
	*off += len;
	return 0;
}

int kit_payload_encode(const struct kit *k, uint8_t *out, size_t cap,
		       size_t *len, const char **why)
{
	struct kit_payload_hdr h;
	size_t off = KIT_PL_HDR_SIZE,
	       nl = strnlen(k->node_name, KIT_MAX_NAME + 1);

	if (k->npeers > KIT_MAX_PEERS || k->nseeds > KIT_MAX_SEEDS || nl < 1 ||
	    nl > KIT_MAX_NAME || !printable(k->node_name, nl)) {
		if (why)
			*why = "node name or counts";
		return -EINVAL;
	}
	if (cap < off + 32 + nl)
		return -ENOSPC;
	memcpy(out + off, k->node_priv, 32);
	off += 32;
	put_str(out, cap, &off, k->node_name, nl);
	for (unsigned i = 0; i < k->npeers; i++) {
		const struct kit_peer *p = &k->peers[i];
		size_t a = strnlen(p->name, KIT_MAX_NAME + 1);
		size_t b = strnlen(p->addr, KIT_MAX_ADDR + 1);
		size_t c = strnlen(p->url, KIT_MAX_URL + 1);
		struct kit_peer_hdr ph;

		if (a > KIT_MAX_NAME || b > KIT_MAX_ADDR || c > KIT_MAX_URL ||
		    !printable(p->name, a) || !printable(p->addr, b) ||
		    !printable(p->url, c)) {
			if (why)
				*why = "peer name, address or URL";
			return -EINVAL;
		}
		memcpy(ph.pub, p->pub, 32);
		ph.name_len = (uint8_t)a;
		ph.addr_len = (uint8_t)b;
		ph.url_len = htole16((uint16_t)c);
		if (off + sizeof(ph) > cap)
			return -ENOSPC;
		memcpy(out + off, &ph, sizeof(ph));
		off += sizeof(ph);
		if (put_str(out, cap, &off, p->name, a) ||
		    put_str(out, cap, &off, p->addr, b) ||
		    put_str(out, cap, &off, p->url, c))
			return -ENOSPC;
	}
	for (unsigned i = 0; i < k->nseeds; i++) {
		size_t a = strnlen(k->seeds[i], KIT_MAX_ADDR + 1);

		if (a < 1 || a > KIT_MAX_ADDR || !printable(k->seeds[i], a)) {
			if (why)
				*why = "seed address";
			return -EINVAL;
		}
		if (off + 1 + a > cap)
			return -ENOSPC;
		out[off++] = (uint8_t)a;
		put_str(out, cap, &off, k->seeds[i], a);
	}
	memset(&h, 0, sizeof(h));
	h.magic = htole32(KIT_PL_MAGIC);
	h.version = htole16(KIT_PL_VERSION);
	h.npeers = htole16(k->npeers);
	h.nseeds = htole16(k->nseeds);
	h.name_len = (uint8_t)nl;
	memcpy(out, &h, sizeof(h));
	*len = off;
	return 0;
}

static int get_str(const uint8_t *buf, size_t len, size_t *off, char *dst,
		   size_t n, bool need)
{
	if (n > len - *off || (need && !n) ||
	    !printable((const char *)buf + *off, n))
		return -1;
	memcpy(dst, buf + *off, n);
	dst[n] = 0;
	*off += n;
	return 0;
}

int kit_payload_decode(const uint8_t *buf, size_t len, struct kit *k,
		       const char **why)
{
	struct kit_payload_hdr h;
	size_t off = KIT_PL_HDR_SIZE;

	memset(k, 0, sizeof(*k));
	if (len < KIT_PL_HDR_SIZE + 32 || len > KIT_MAX_PAYLOAD)
		FAIL("payload length");
	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != KIT_PL_MAGIC ||
	    le16toh(h.version) != KIT_PL_VERSION)
		FAIL("payload magic or version");
	if (h.reserved0 || h.reserved1)
		FAIL("payload reserved bytes");
	k->npeers = le16toh(h.npeers);
	k->nseeds = le16toh(h.nseeds);
	if (k->npeers > KIT_MAX_PEERS || k->nseeds > KIT_MAX_SEEDS)
		FAIL("too many peers or seeds");
	if (h.name_len < 1 || h.name_len > KIT_MAX_NAME)
		FAIL("node name length");
	memcpy(k->node_priv, buf + off, 32);
	off += 32;
	if (get_str(buf, len, &off, k->node_name, h.name_len, true))
		FAIL("node name");
	for (unsigned i = 0; i < k->npeers; i++) {
		struct kit_peer *p = &k->peers[i];
		struct kit_peer_hdr ph;
		uint16_t ul;

		if (len - off < sizeof(ph))
			FAIL("peer truncated");
		memcpy(&ph, buf + off, sizeof(ph));
		off += sizeof(ph);
		ul = le16toh(ph.url_len);
		if (ph.name_len > KIT_MAX_NAME || ph.addr_len > KIT_MAX_ADDR ||
		    ul > KIT_MAX_URL)
			FAIL("peer string length");
		memcpy(p->pub, ph.pub, 32);
		if (get_str(buf, len, &off, p->name, ph.name_len, false) ||
		    get_str(buf, len, &off, p->addr, ph.addr_len, false) ||
		    get_str(buf, len, &off, p->url, ul, false))
			FAIL("peer strings");
	}
	for (unsigned i = 0; i < k->nseeds; i++) {
		size_t a;

		if (off >= len)
			FAIL("seed truncated");
		a = buf[off++];
		if (a > KIT_MAX_ADDR ||
		    get_str(buf, len, &off, k->seeds[i], a, true))
			FAIL("seed address");
	}
	if (off != len)
		FAIL("trailing bytes");
	return 0;
}
