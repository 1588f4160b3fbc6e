// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gossip state file (struct gstate_hdr): what a node learned, so a
 * restart does not wait for gossip to refill it. Written atomically; read
 * back through gossip_offer(), so the file is never trusted more than the
 * network.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/crc32c.h"
#include "gossip_format.h"
#include "gossip_priv.h"

static uint32_t gstate_crc(const uint8_t *buf, size_t len)
{
	uint32_t crc = crc32c(0, buf, offsetof(struct gstate_hdr, crc));

	return crc32c(crc, buf + GSTATE_HDR_SIZE, len - GSTATE_HDR_SIZE);
}

int gossip_save(struct gossip *g, const char *path)
{
	size_t n = gossip_count(g), total = GSTATE_HDR_SIZE, off, len;
	struct gstate_hdr h;
	uint8_t *buf;
	int ret;

	for (size_t i = 0; i < n; i++) {
		gossip_table(g, i, &len);
		total += 4 + len;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	off = GSTATE_HDR_SIZE;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *t = gossip_table(g, i, &len);
		uint32_t l = htole32((uint32_t)len);

		memcpy(buf + off, &l, 4);
		memcpy(buf + off + 4, t, len);
		off += 4 + len;
	}
	memset(&h, 0, sizeof(h));
	h.magic = htole32(GSTATE_MAGIC);
	h.version = htole16(GSTATE_VERSION);
	h.file_len = htole64(total);
	h.count = htole32((uint32_t)n);
	memcpy(buf, &h, sizeof(h));
	h.crc = htole32(gstate_crc(buf, total));
	memcpy(buf, &h, sizeof(h));
	ret = write_path_atomic(path, buf, total, 0600);
	free(buf);
	if (!ret)
		gossip_mark_clean(g);
	return ret;
}

int gossip_load(struct gossip *g, const char *path)
{
	size_t len, off = GSTATE_HDR_SIZE, max;
	struct gstate_hdr h;
	uint32_t count;
	uint8_t *buf;
	void *vb;
	int ret;

	max = GSTATE_HDR_SIZE +
	      (size_t)gossip_max_tables(g) * (4 + SLT_MAX_SIZE);
	ret = read_file_max(path, max, &vb, &len, NULL);
	if (ret)
		return ret;
	buf = vb;
	ret = -EBADMSG;
	if (len < GSTATE_HDR_SIZE)
		goto out;
	memcpy(&h, buf, sizeof(h));
	count = le32toh(h.count);
	if (le32toh(h.magic) != GSTATE_MAGIC ||
	    le16toh(h.version) != GSTATE_VERSION || h.reserved0 ||
	    le64toh(h.file_len) != len ||
	    le32toh(h.crc) != gstate_crc(buf, len))
		goto out;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t l;

		if (len - off < 4)
			goto out;
		memcpy(&l, buf + off, 4);
		l = le32toh(l);
		off += 4;
		if (l > len - off)
			goto out;
		gossip_offer(g, buf + off, l);
		off += l;
	}
	if (off != len)
		goto out;
	gossip_mark_clean(g);
	ret = 0;
out:
	free(buf);
	return ret;
}
